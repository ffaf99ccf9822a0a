// Kernel registry: see cpu_registry.h for the resolution rule and messages.
#include "cpu_registry.h"

#include <cstdlib>
#include <cstring>

namespace tophash::cpu {
namespace {

// Default hash kernels, best first: the first one this CPU supports wins.
// vaes before aes: it is the same function, and measured (CPU time, this
// project's hash bench) it matched aes on single keys and beat it on every
// batch and long input (u64 batches 0.28 vs 0.47 ns/key, 16-byte keys 0.27 vs
// 0.42, 1 KiB 23 vs 32 ns, 1 MiB 83 vs 54 GB/s on an AMD EPYC).
constexpr const char* kHashDefaultOrder[] = {"vaes", "aes", "fold"};

constexpr uint32_t kOsBits = kOsAvx | kOsAvx512;

const char* env_nonempty(const char* var) {
  const char* v = std::getenv(var);
  return (v != nullptr && *v != '\0') ? v : nullptr;
}

std::string join_names(const std::vector<Candidate>& cs, uint32_t features, bool only_supported) {
  std::string out;
  for (const Candidate& c : cs) {
    if (only_supported && (c.needs & ~features) != 0) continue;
    if (!out.empty()) out += ", ";
    out += c.name;
  }
  return out;
}

template <typename K>
std::vector<Candidate> candidates_of(const std::vector<const K*>& ks) {
  std::vector<Candidate> cs;
  cs.reserve(ks.size());
  for (const K* k : ks) cs.push_back({k->name, k->needs});
  return cs;
}

// Shared body of select_match/select_hash. `default_name` is used when neither
// `requested` nor the env var gives a name. A known, supported name is found
// without allocating (hash() resolves its kernel on every call); only a
// failure builds the candidate list and the error message.
template <typename K>
const K* select(const std::vector<const K*>& ks, const char* kind, const char* env_var,
                const char* requested, const char* default_name, std::string* error) {
  const char* name;
  const char* source = kind;
  if (requested != nullptr && *requested != '\0') {
    name = requested;
  } else if (const char* forced = env_nonempty(env_var)) {
    name = forced;
    source = env_var;
  } else {
    name = default_name;
  }
  for (const K* k : ks) {
    if (std::strcmp(k->name, name) == 0 && supported(k->needs)) return k;
  }
  const int idx = find_candidate(candidates_of(ks), kind, source, name, info().features, error);
  return idx < 0 ? nullptr : ks[static_cast<size_t>(idx)];
}

}  // namespace

std::vector<const simd::MatchKernel*> match_kernels() {
  return {
    &simd::kMatchScalar, &simd::kMatchSwar,
#if defined(__x86_64__)  // as the kernel definitions (GCC/Clang only: they use target attributes)
        &simd::kMatchSse2, &simd::kMatchAvx2, &simd::kMatchAvx512,
#endif
#if defined(__aarch64__)
        &simd::kMatchNeon,
#endif
  };
}

std::vector<const hash::HashKernel*> hash_kernels() {
  return {
#if defined(__x86_64__)  // as the kernel definitions (GCC/Clang only: they use target attributes)
    &hash::kHashAes, &hash::kHashVaes,
#endif
        &hash::kHashAesPortable, &hash::kHashFold,
  };
}

std::vector<KernelInfo> kernels() {
  std::vector<KernelInfo> out;
  for (const simd::MatchKernel* k : match_kernels())
    out.push_back({"match", k->name, k->needs, supported(k->needs)});
  for (const hash::HashKernel* k : hash_kernels())
    out.push_back({"hash", k->name, k->needs, supported(k->needs)});
  return out;
}

bool supported(uint32_t needs) { return has_all(needs); }

std::string describe_needs(uint32_t needs) {
  std::string out;
  uint32_t named = 0;
  for (const FeatureName* f = kFeatureNames; f->name != nullptr; ++f) {
    if ((needs & f->bit) == 0 || (named & f->bit) != 0) continue;
    named |= f->bit;
    if (!out.empty()) out += ", ";
    out += f->name;
  }
  for (int b = 0; b < 32; ++b) {
    const uint32_t bit = 1u << b;
    if ((needs & bit) == 0 || (named & bit) != 0) continue;
    if (!out.empty()) out += ", ";
    out += "bit" + std::to_string(b);
  }
  return out;
}

int find_candidate(const std::vector<Candidate>& candidates, const char* kind, const char* source,
                   const std::string& name, uint32_t features, std::string* error) {
  for (size_t i = 0; i < candidates.size(); ++i) {
    const Candidate& c = candidates[i];
    if (name != c.name) continue;
    const uint32_t missing = c.needs & ~features;
    if (missing == 0) return static_cast<int>(i);
    if (error != nullptr) {
      // Hide the OS-state bits unless they are all that is missing.
      const uint32_t shown = (missing & ~kOsBits) != 0 ? (missing & ~kOsBits) : missing;
      *error = std::string("Expected a ") + kind + " kernel this CPU supports (" +
               join_names(candidates, features, true) + ") for " + source + " but received '" +
               name + "' (needs " + describe_needs(shown) + ")";
    }
    return -1;
  }
  if (error != nullptr) {
    *error = "Expected one of " + join_names(candidates, features, false) + " for " + source +
             " but received '" + name + "'";
  }
  return -1;
}

const simd::MatchKernel* select_match(const char* requested, std::string* error) {
  static const std::vector<const simd::MatchKernel*> ks = match_kernels();
  // Worst -> best order: the last supported kernel is the default.
  static const char* const best = [] {
    const char* name = "";
    for (const simd::MatchKernel* k : ks)
      if (supported(k->needs)) name = k->name;
    return name;
  }();
  return select(ks, "match", "TOPHASH_FORCE_MATCH", requested, best, error);
}

const hash::HashKernel* select_hash(const char* requested, std::string* error) {
  static const std::vector<const hash::HashKernel*> ks = hash_kernels();
  static const char* const dflt = [] {
    for (const char* want : kHashDefaultOrder) {
      for (const hash::HashKernel* k : ks) {
        if (std::strcmp(k->name, want) == 0 && supported(k->needs)) return want;
      }
    }
    return "";
  }();
  return select(ks, "hash", "TOPHASH_FORCE_HASH", requested, dflt, error);
}

}  // namespace tophash::cpu
