// W1 and W2 (bench/WORKLOADS.md) through the best-known C++ hash tables, one key at a
// time, so the bench tables can put tophash beside them. The bench builds and runs this
// program (bench/native-baselines.ts); it prints one JSON object on stdout.
//
//   baselines <w1|w2> <n> <reps> <samples> <present-xor> <absent-xor> <order-check>
//
// The keys are generated here from the same splitmix64 streams as bench/keys.ts; the XOR
// checksums and the lookup-order check the bench computed are compared before any timing,
// so both sides provably use the same keys. Each table keeps its default hash (std::hash,
// absl::Hash, boost::hash): what a C++ user gets without tuning.
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#if defined(BASELINES_ABSL) && __has_include(<absl/container/flat_hash_map.h>)
#include <absl/container/flat_hash_map.h>
#define HAVE_ABSL 1
#endif

#if __has_include(<boost/unordered/unordered_flat_map.hpp>)
#include <boost/unordered/unordered_flat_map.hpp>
#define HAVE_BOOST_FLAT 1
#elif __has_include(<boost/version.hpp>)
#include <boost/version.hpp>
#endif

namespace {

struct Splitmix64 {
  uint64_t state;
  uint64_t next() {
    state += 0x9E3779B97F4A7C15ULL;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
};

// Fisher–Yates driven by splitmix64(43): order[i] is the insertion index of hit i.
std::vector<uint32_t> shuffle_order(size_t n) {
  std::vector<uint32_t> order(n);
  for (size_t i = 0; i < n; i++) order[i] = static_cast<uint32_t>(i);
  Splitmix64 rng{43};
  for (size_t i = n - 1; n > 1 && i >= 1; i--) {
    const uint64_t j = (rng.next() >> 32) % (i + 1);
    std::swap(order[i], order[j]);
  }
  return order;
}

// The same fold as orderCheck() in bench/native-baselines.ts.
uint32_t order_check(const std::vector<uint32_t>& order) {
  uint32_t h = 0;
  for (size_t i = 0; i < order.size(); i++) h += (order[i] + 1U) * static_cast<uint32_t>(i + 1);
  return h;
}

template <typename K>
struct Keys {
  std::vector<K> present, hit, absent;
  uint64_t present_xor = 0, absent_xor = 0;
  uint32_t order_check = 0;
};

Keys<uint64_t> w1_keys(size_t n) {
  Keys<uint64_t> k;
  Splitmix64 rng{42};
  for (size_t i = 0; i < n; i++) k.present.push_back(rng.next());
  for (size_t i = 0; i < n; i++) k.absent.push_back(rng.next());
  for (uint64_t x : k.present) k.present_xor ^= x;
  for (uint64_t x : k.absent) k.absent_xor ^= x;
  const auto order = shuffle_order(n);
  for (uint32_t j : order) k.hit.push_back(k.present[j]);
  k.order_check = order_check(order);
  return k;
}

// W2: 'user:<v>' with v drawn from two outputs; parity 0 for present keys, 1 for absent.
Keys<std::string> w2_keys(size_t n) {
  Keys<std::string> k;
  Splitmix64 rng{42};
  uint64_t pow10[16];
  pow10[0] = 1;
  for (int i = 1; i < 16; i++) pow10[i] = pow10[i - 1] * 10;
  auto gen = [&](uint64_t parity, std::vector<std::string>& out, uint64_t& x) {
    std::unordered_set<uint64_t> seen;
    while (out.size() < n) {
      const uint64_t d1 = rng.next();
      const uint64_t d2 = rng.next();
      const uint64_t digits = 5 + (d1 >> 32) % 11;
      const uint64_t v0 = pow10[digits - 1] + (d2 >> 11) % (9 * pow10[digits - 1]);
      const uint64_t v = v0 - v0 % 2 + parity;
      if (!seen.insert(v).second) continue;
      out.push_back("user:" + std::to_string(v));
      x ^= v;
    }
  };
  gen(0, k.present, k.present_xor);
  gen(1, k.absent, k.absent_xor);
  const auto order = shuffle_order(n);
  // Copies, so that a hit never compares a key with the very bytes stored in the map.
  for (uint32_t j : order) k.hit.push_back(std::string(k.present[j]));
  k.order_check = order_check(order);
  return k;
}

using Clock = std::chrono::steady_clock;

double elapsed_ns(Clock::time_point t0) {
  return static_cast<double>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
}

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "baselines: %s\n", what);
  std::exit(1);
}

// Between passes over the same keys: without it the compiler may fuse or hoist the
// lookups of R identical passes, and a pass would no longer cost N lookups.
template <typename T>
void clobber(T& x) {
  asm volatile("" : : "r"(&x) : "memory");
}

struct Samples {
  std::vector<double> insert, hit, miss;
  uint64_t hits = 0, misses = 0, hit_sum = 0;
};

// Insert N into R fresh maps, hit N in lookup order, miss N, per sample; the checks follow
// every sample, outside the timed region, as in the JS rows.
template <typename Map, typename K>
Samples measure(const Keys<K>& k, size_t reps, size_t samples) {
  const size_t n = k.present.size();
  const uint64_t want_sum = static_cast<uint64_t>(n) * (n - 1) / 2;
  Samples s;
  Map kept;
  for (size_t sample = 0; sample < samples; sample++) {
    std::vector<Map> maps(reps);
    const auto t0 = Clock::now();
    for (auto& m : maps)
      for (size_t i = 0; i < n; i++) m.emplace(k.present[i], static_cast<uint64_t>(i));
    s.insert.push_back(elapsed_ns(t0));
    for (auto& m : maps)
      if (m.size() != n) fail("insert: wrong size");
    if (sample + 1 == samples) kept = std::move(maps.back());
  }
  for (size_t sample = 0; sample < samples; sample++) {
    uint64_t sum = 0, found = 0;
    const auto t0 = Clock::now();
    for (size_t r = 0; r < reps; r++) {
      for (const auto& key : k.hit) {
        const auto it = kept.find(key);
        if (it != kept.end()) {
          sum += it->second;
          found++;
        }
      }
      clobber(kept);
    }
    s.hit.push_back(elapsed_ns(t0));
    if (found != reps * n || sum != reps * want_sum) fail("hit: wrong hits or sum of values");
    s.hits = found / reps;
    s.hit_sum = sum / reps;
  }
  for (size_t sample = 0; sample < samples; sample++) {
    uint64_t missed = 0;
    const auto t0 = Clock::now();
    for (size_t r = 0; r < reps; r++) {
      for (const auto& key : k.absent) missed += kept.find(key) == kept.end() ? 1 : 0;
      clobber(kept);
    }
    s.miss.push_back(elapsed_ns(t0));
    if (missed != reps * n) fail("miss: wrong misses");
    s.misses = missed / reps;
  }
  return s;
}

void print_samples(const char* name, const std::vector<double>& v) {
  std::printf("\"%s\":[", name);
  for (size_t i = 0; i < v.size(); i++) std::printf("%s%.0f", i ? "," : "", v[i]);
  std::printf("]");
}

void print_row(const char* id, bool first, const Samples* s, const char* missing) {
  std::printf("%s{\"id\":\"%s\",", first ? "" : ",", id);
  if (s == nullptr) {
    std::printf("\"available\":false,\"reason\":\"%s\"}", missing);
    return;
  }
  std::printf("\"available\":true,\"hits\":%" PRIu64 ",\"misses\":%" PRIu64 ",\"hitSum\":%" PRIu64
              ",",
              s->hits, s->misses, s->hit_sum);
  print_samples("insertNs", s->insert);
  std::printf(",");
  print_samples("hitNs", s->hit);
  std::printf(",");
  print_samples("missNs", s->miss);
  std::printf("}");
}

template <typename K>
void run(const Keys<K>& k, size_t reps, size_t samples) {
  std::printf("{\"rows\":[");
#ifdef HAVE_ABSL
  const Samples absl_s = measure<absl::flat_hash_map<K, uint64_t>>(k, reps, samples);
  print_row("absl", true, &absl_s, nullptr);
#elif defined(BASELINES_ABSL)
  print_row("absl", true, nullptr, "absl headers not found");
#else
  print_row("absl", true, nullptr, "absl libraries not found (libabsl-dev)");
#endif
#ifdef HAVE_BOOST_FLAT
  const Samples boost_s = measure<boost::unordered_flat_map<K, uint64_t>>(k, reps, samples);
  print_row("boost", false, &boost_s, nullptr);
#elif defined(BOOST_VERSION)
  // unordered_flat_map first shipped in Boost 1.81.
  const std::string why = "not available (Boost " + std::to_string(BOOST_VERSION / 100000) + "." +
                          std::to_string(BOOST_VERSION / 100 % 1000) + " < 1.81)";
  print_row("boost", false, nullptr, why.c_str());
#else
  print_row("boost", false, nullptr, "Boost headers not found (libboost-dev)");
#endif
  const Samples std_s = measure<std::unordered_map<K, uint64_t>>(k, reps, samples);
  print_row("std", false, &std_s, nullptr);
  std::printf("]}\n");
}

template <typename K>
void check_keys(const Keys<K>& k, uint64_t present_xor, uint64_t absent_xor, uint32_t order) {
  if (k.present_xor != present_xor) fail("present keys: XOR checksum differs from the bench's");
  if (k.absent_xor != absent_xor) fail("absent keys: XOR checksum differs from the bench's");
  if (k.order_check != order) fail("lookup order differs from the bench's");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 8)
    fail("usage: baselines <w1|w2> <n> <reps> <samples> <present-xor> <absent-xor> <order-check>");
  const std::string workload = argv[1];
  const size_t n = std::strtoull(argv[2], nullptr, 10);
  const size_t reps = std::strtoull(argv[3], nullptr, 10);
  const size_t samples = std::strtoull(argv[4], nullptr, 10);
  const uint64_t present_xor = std::strtoull(argv[5], nullptr, 16);
  const uint64_t absent_xor = std::strtoull(argv[6], nullptr, 16);
  const uint32_t order = static_cast<uint32_t>(std::strtoul(argv[7], nullptr, 10));
  if (n == 0 || reps == 0 || samples == 0) fail("n, reps and samples must be positive");
  if (workload == "w1") {
    const auto k = w1_keys(n);
    check_keys(k, present_xor, absent_xor, order);
    run(k, reps, samples);
  } else if (workload == "w2") {
    const auto k = w2_keys(n);
    check_keys(k, present_xor, absent_xor, order);
    run(k, reps, samples);
  } else {
    fail("workload must be w1 or w2");
  }
  return 0;
}
