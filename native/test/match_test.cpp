// Match kernels against the scalar twin, plus the kernel registry.
//
// zlib-ng style: TEST_MATCH(label, kernel) instantiates the same test bodies
// for every kernel compiled in; a kernel whose `needs` this CPU (after
// TOPHASH_CPU_MASK) lacks is skipped, not failed.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "../cpu/cpu_features.h"
#include "../cpu/cpu_registry.h"
#include "../simd/match.h"
#include "../simd/match_word.h"
#include "test/scoped_env.h"

namespace {

using tophash::test::ScopedEnv;

using tophash::simd::kMatchScalar;
using tophash::simd::MatchKernel;
using tophash::simd::SlotMask;
namespace cpu = tophash::cpu;
namespace simd = tophash::simd;

constexpr uint64_t kLsb = 0x0101010101010101ull;

uint8_t byte_at(uint64_t w, int i) { return static_cast<uint8_t>(w >> (8 * i)); }
uint64_t with_byte(uint64_t w, int i, uint8_t v) {
  return (w & ~(0xffull << (8 * i))) | (static_cast<uint64_t>(v) << (8 * i));
}

// A word whose bytes come from values chosen to provoke SWAR carry/borrow bugs
// and signed-compare bugs: the tag, its neighbours, the tag with the high bit
// flipped, the reserved values 0..4 and 0xff, and the signed boundaries.
uint64_t tricky_word(std::mt19937_64& rng, uint8_t tag) {
  const uint8_t alphabet[] = {tag,
                              tag,
                              tag,
                              static_cast<uint8_t>(tag ^ 1),
                              static_cast<uint8_t>(tag ^ 0x80),
                              static_cast<uint8_t>(tag ^ 0xff),
                              static_cast<uint8_t>(tag + 1),
                              static_cast<uint8_t>(tag - 1),
                              0,
                              1,
                              2,
                              3,
                              4,
                              5,
                              0x7f,
                              0x80,
                              0xfe,
                              0xff};
  uint64_t w = 0;
  for (int i = 0; i < 8; ++i) w = with_byte(w, i, alphabet[rng() % sizeof(alphabet)]);
  return w;
}

// Only bytes from the reserved set {0..4, 0xff} plus at most a few real values.
uint64_t reserved_word(std::mt19937_64& rng) {
  const uint8_t reserved[] = {0, 1, 2, 3, 4, 0xff};
  uint64_t w = 0;
  for (int i = 0; i < 8; ++i) {
    const uint8_t v = (rng() % 4 == 0) ? static_cast<uint8_t>(rng()) : reserved[rng() % 6];
    w = with_byte(w, i, v);
  }
  return w;
}

std::string hex(uint64_t w) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(w));
  return buf;
}

// ---- test bodies, shared by every kernel ----

void check_tag_all_256(const MatchKernel& k) {
  std::mt19937_64 rng(0x7a9ull);
  for (int t = 0; t < 256; ++t) {
    const uint8_t tag = static_cast<uint8_t>(t);
    std::vector<uint64_t> words = {0, ~0ull, kLsb * tag, kLsb * static_cast<uint8_t>(tag ^ 1),
                                   kLsb * static_cast<uint8_t>(tag ^ 0x80)};
    for (int i = 0; i < 8; ++i) {
      words.push_back(with_byte(0, i, tag));
      words.push_back(with_byte(~0ull, i, tag));
      words.push_back(with_byte(kLsb * static_cast<uint8_t>(tag ^ 1), i, tag));
    }
    for (int r = 0; r < 300; ++r) words.push_back(r % 3 == 0 ? rng() : tricky_word(rng, tag));
    for (uint64_t w : words) {
      ASSERT_EQ(k.match_tag(w, tag), kMatchScalar.match_tag(w, tag))
          << k.name << " word " << hex(w) << " tag " << t;
    }
  }
}

void check_every_byte_value(const MatchKernel& k) {
  // Each position takes every value 0..255 over a random background, against
  // a handful of tags (including 0 and 0x80) and for match_empty.
  std::mt19937_64 rng(0xbeefull);
  const int tags[] = {0, 1, 2, 4, 5, 0x7f, 0x80, 0x81, 0xfe, 0xff};
  for (int rep = 0; rep < 4; ++rep) {
    const uint64_t bg = rep == 0 ? 0 : rep == 1 ? ~0ull : rng();
    for (int pos = 0; pos < 8; ++pos) {
      for (int v = 0; v < 256; ++v) {
        const uint64_t w = with_byte(bg, pos, static_cast<uint8_t>(v));
        ASSERT_EQ(k.match_empty(w), kMatchScalar.match_empty(w)) << k.name << " word " << hex(w);
        for (int t : tags) {
          ASSERT_EQ(k.match_tag(w, static_cast<uint8_t>(t)),
                    kMatchScalar.match_tag(w, static_cast<uint8_t>(t)))
              << k.name << " word " << hex(w) << " tag " << t;
        }
      }
    }
  }
}

void check_reserved(const MatchKernel& k) {
  std::mt19937_64 rng(0x5eedull);
  for (int r = 0; r < 20000; ++r) {
    const uint64_t w = reserved_word(rng);
    ASSERT_EQ(k.match_empty(w), kMatchScalar.match_empty(w)) << k.name << " word " << hex(w);
    const uint8_t here = byte_at(w, r % 8);
    for (const uint8_t tag : {uint8_t{0}, uint8_t{1}, uint8_t{2}, uint8_t{3}, uint8_t{4},
                              uint8_t{5}, uint8_t{0xff}, here}) {
      ASSERT_EQ(k.match_tag(w, tag), kMatchScalar.match_tag(w, tag))
          << k.name << " word " << hex(w) << " tag " << int(tag);
    }
  }
}

void check_empty_random(const MatchKernel& k) {
  std::mt19937_64 rng(0xe3e3ull);
  for (int r = 0; r < 100000; ++r) {
    const uint64_t w = (r & 1) ? rng() : tricky_word(rng, static_cast<uint8_t>(r % 3));
    ASSERT_EQ(k.match_empty(w), kMatchScalar.match_empty(w)) << k.name << " word " << hex(w);
  }
}

// n = 0..70 at element offsets 0 and 1, inputs in exact-size heap buffers (so
// ASan sees any read past the end) and masks checked for stray writes.
void check_many(const MatchKernel& k) {
  std::mt19937_64 rng(0x3a4ull);
  for (size_t n = 0; n <= 70; ++n) {
    for (size_t off : {size_t{0}, size_t{1}}) {
      for (int rep = 0; rep < 20; ++rep) {
        std::vector<uint64_t> ctrls(off + n);
        std::vector<uint8_t> tags(off + n);
        for (size_t i = 0; i < off + n; ++i) {
          const uint8_t tag = static_cast<uint8_t>(rng());
          tags[i] = tag;
          switch (rng() % 4) {
            case 0: ctrls[i] = rng(); break;
            case 1: ctrls[i] = tricky_word(rng, tag); break;
            case 2: ctrls[i] = reserved_word(rng); break;
            default: ctrls[i] = with_byte(rng(), static_cast<int>(rng() % 8), tag); break;
          }
        }
        constexpr uint8_t kSentinel = 0xa5;  // bytes outside [off, off+n) must keep it
        std::vector<uint8_t> masks(off + n + 8, kSentinel);
        std::vector<uint8_t> want(n);
        for (size_t i = 0; i < n; ++i)
          want[i] = static_cast<uint8_t>(kMatchScalar.match_tag(ctrls[off + i], tags[off + i]));
        k.match_tag_many(ctrls.data() + off, tags.data() + off, n, masks.data() + off);
        for (size_t i = 0; i < n; ++i) {
          ASSERT_EQ(masks[off + i], want[i])
              << k.name << " n=" << n << " off=" << off << " i=" << i << " word "
              << hex(ctrls[off + i]) << " tag " << int(tags[off + i]);
        }
        for (size_t i = 0; i < off; ++i)
          ASSERT_EQ(masks[i], kSentinel) << k.name << " wrote before";
        for (size_t i = off + n; i < masks.size(); ++i)
          ASSERT_EQ(masks[i], kSentinel) << k.name << " n=" << n << " wrote past end at " << i;
      }
    }
  }
  // n = 0 with null pointers must not touch anything.
  k.match_tag_many(nullptr, nullptr, 0, nullptr);
}

void check_many_exact_tail_buffers(const MatchKernel& k) {
  // Same as above but the *output* is exact-size too, so ASan catches a wide
  // store past the end in the tail path.
  std::mt19937_64 rng(0x7a11ull);
  for (size_t n = 0; n <= 70; ++n) {
    std::vector<uint64_t> ctrls(n);
    std::vector<uint8_t> tags(n), masks(n);
    for (size_t i = 0; i < n; ++i) {
      tags[i] = static_cast<uint8_t>(rng());
      ctrls[i] = tricky_word(rng, tags[i]);
    }
    k.match_tag_many(ctrls.data(), tags.data(), n, masks.data());
    for (size_t i = 0; i < n; ++i)
      ASSERT_EQ(masks[i], kMatchScalar.match_tag(ctrls[i], tags[i])) << k.name << " n=" << n;
  }
}

// The inline word that loops take for this kernel (simd/match_word.h) is the
// one its match_tag wraps, and agrees with the reference on every tag.
void check_inline_word(const MatchKernel& k, const char* want_word) {
  simd::with_word_match(k, [&](auto word) {
    EXPECT_STREQ(decltype(word)::kName, want_word) << k.name;
    std::mt19937_64 rng(0x30adull);
    for (int t = 0; t < 256; ++t) {
      const uint8_t tag = static_cast<uint8_t>(t);
      for (int r = 0; r < 200; ++r) {
        const uint64_t w = r % 2 == 0 ? tricky_word(rng, tag) : rng();
        ASSERT_EQ(word(w, tag), kMatchScalar.match_tag(w, tag))
            << k.name << " word " << hex(w) << " tag " << t;
        ASSERT_EQ(word(w, tag), k.match_tag(w, tag)) << k.name << " word " << hex(w);
      }
    }
  });
}

#define SKIP_UNLESS_SUPPORTED(k)                                                                  \
  if (!cpu::has_all((k).needs))                                                                   \
  GTEST_SKIP() << (k).name << " needs " << cpu::describe_needs((k).needs & ~cpu::info().features) \
               << ", which this CPU lacks"

#define TEST_MATCH(label, kernel, word)              \
  TEST(Match_##label, InlineWord) {                  \
    SKIP_UNLESS_SUPPORTED(kernel);                   \
    check_inline_word(kernel, word);                 \
  }                                                  \
  TEST(Match_##label, TagAll256Tags) {               \
    SKIP_UNLESS_SUPPORTED(kernel);                   \
    check_tag_all_256(kernel);                       \
  }                                                  \
  TEST(Match_##label, EveryByteValueEveryPosition) { \
    SKIP_UNLESS_SUPPORTED(kernel);                   \
    check_every_byte_value(kernel);                  \
  }                                                  \
  TEST(Match_##label, ReservedValues) {              \
    SKIP_UNLESS_SUPPORTED(kernel);                   \
    check_reserved(kernel);                          \
  }                                                  \
  TEST(Match_##label, EmptyRandom) {                 \
    SKIP_UNLESS_SUPPORTED(kernel);                   \
    check_empty_random(kernel);                      \
  }                                                  \
  TEST(Match_##label, ManyTailsUnaligned) {          \
    SKIP_UNLESS_SUPPORTED(kernel);                   \
    check_many(kernel);                              \
  }                                                  \
  TEST(Match_##label, ManyExactBuffers) {            \
    SKIP_UNLESS_SUPPORTED(kernel);                   \
    check_many_exact_tail_buffers(kernel);           \
  }                                                  \
  TEST(Match_##label, NameMatches) { EXPECT_STREQ((kernel).name, #label); }

TEST_MATCH(scalar, simd::kMatchScalar, "scalar")
TEST_MATCH(swar, simd::kMatchSwar, "swar")
#if defined(__x86_64__)
TEST_MATCH(sse2, simd::kMatchSse2, "sse")
TEST_MATCH(avx2, simd::kMatchAvx2, "sse")
TEST_MATCH(avx512, simd::kMatchAvx512, "sse")
#endif
#if defined(__aarch64__)
TEST_MATCH(neon, simd::kMatchNeon, "neon")
#endif

// The oracle itself, against hand-computed values.
TEST(MatchScalar, KnownValues) {
  const uint64_t w = 0x0706050403020100ull;  // slot i holds i
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(kMatchScalar.match_tag(w, static_cast<uint8_t>(i)), 1u << i);
  EXPECT_EQ(kMatchScalar.match_tag(w, 8), 0u);
  EXPECT_EQ(kMatchScalar.match_empty(w), 0x03u);  // 0 = emptyRest, 1 = emptyOne
  EXPECT_EQ(kMatchScalar.match_empty(0xffffffffffffffffull), 0u);
  EXPECT_EQ(kMatchScalar.match_empty(0), 0xffu);
  EXPECT_EQ(kMatchScalar.match_tag(0x0101010101010101ull * 0x9c, 0x9c), 0xffu);
  EXPECT_EQ(kMatchScalar.match_empty(0x0402030201000504ull), 0x0cu);  // slots 2, 3
}

// ---- registry ----

std::vector<std::string> names_of_match() {
  std::vector<std::string> out;
  for (const MatchKernel* k : cpu::match_kernels()) out.push_back(k->name);
  return out;
}

std::vector<cpu::Candidate> match_candidates() {
  std::vector<cpu::Candidate> cs;
  for (const MatchKernel* k : cpu::match_kernels()) cs.push_back({k->name, k->needs});
  return cs;
}

#if defined(__x86_64__)
const char* const kAllMatchNames = "scalar, swar, sse2, avx2, avx512";
#elif defined(__aarch64__)
const char* const kAllMatchNames = "scalar, swar, neon";
#else
const char* const kAllMatchNames = "scalar, swar";
#endif

TEST(Registry, MatchKernelsListedWorstToBest) {
#if defined(__x86_64__)
  EXPECT_EQ(names_of_match(),
            (std::vector<std::string>{"scalar", "swar", "sse2", "avx2", "avx512"}));
#elif defined(__aarch64__)
  EXPECT_EQ(names_of_match(), (std::vector<std::string>{"scalar", "swar", "neon"}));
#endif
  for (const MatchKernel* k : cpu::match_kernels()) {
    EXPECT_NE(k->match_tag, nullptr);
    EXPECT_NE(k->match_empty, nullptr);
    EXPECT_NE(k->match_tag_many, nullptr);
  }
}

TEST(Registry, HashKernelsListed) {
  std::vector<std::string> names;
  for (const tophash::hash::HashKernel* k : cpu::hash_kernels()) names.push_back(k->name);
#if defined(__x86_64__)
  EXPECT_EQ(names, (std::vector<std::string>{"aes", "vaes", "aes-portable", "fold"}));
#else
  EXPECT_EQ(names, (std::vector<std::string>{"aes-portable", "fold"}));
#endif
}

TEST(Registry, KernelInfoRows) {
  const auto rows = cpu::kernels();
  ASSERT_EQ(rows.size(), cpu::match_kernels().size() + cpu::hash_kernels().size());
  for (const auto& r : rows) {
    EXPECT_TRUE(std::strcmp(r.kind, "match") == 0 || std::strcmp(r.kind, "hash") == 0);
    EXPECT_EQ(r.supported, cpu::has_all(r.needs)) << r.name;
  }
  EXPECT_STREQ(rows.front().name, "scalar");
  EXPECT_TRUE(rows.front().supported);
}

TEST(Registry, DefaultIsBestSupportedMatch) {
  ScopedEnv env("TOPHASH_FORCE_MATCH", nullptr);
  const MatchKernel* best = nullptr;
  for (const MatchKernel* k : cpu::match_kernels())
    if (cpu::supported(k->needs)) best = k;
  std::string err;
  EXPECT_EQ(cpu::select_match(nullptr, &err), best) << err;
  EXPECT_EQ(cpu::select_match("", &err), best) << err;
  EXPECT_TRUE(cpu::has_all(best->needs));
}

TEST(Registry, EverySupportedKernelSelectableByName) {
  ScopedEnv env("TOPHASH_FORCE_MATCH", "scalar");  // an explicit name wins over the env var
  for (const MatchKernel* k : cpu::match_kernels()) {
    std::string err;
    const MatchKernel* got = cpu::select_match(k->name, &err);
    if (cpu::supported(k->needs)) {
      EXPECT_EQ(got, k) << err;
      EXPECT_TRUE(err.empty());
    } else {
      EXPECT_EQ(got, nullptr);
      EXPECT_EQ(err.rfind("Expected a match kernel this CPU supports (", 0), 0u) << err;
      EXPECT_NE(err.find(std::string("received '") + k->name + "' (needs "), std::string::npos)
          << err;
    }
  }
}

TEST(Registry, UnknownMatchName) {
  ScopedEnv env("TOPHASH_FORCE_MATCH", nullptr);
  std::string err;
  EXPECT_EQ(cpu::select_match("foo", &err), nullptr);
  EXPECT_EQ(err,
            std::string("Expected one of ") + kAllMatchNames + " for match but received 'foo'");
  EXPECT_EQ(cpu::select_match("foo", nullptr), nullptr);  // error is optional
  EXPECT_EQ(cpu::select_match("SSE2", &err), nullptr);  // names are case-sensitive
}

TEST(Registry, ForceMatchEnv) {
  {
    ScopedEnv env("TOPHASH_FORCE_MATCH", "swar");
    std::string err;
    const MatchKernel* k = cpu::select_match(nullptr, &err);
    ASSERT_NE(k, nullptr) << err;
    EXPECT_STREQ(k->name, "swar");
    EXPECT_EQ(cpu::select_match("scalar", &err), &kMatchScalar);
  }
  {
    ScopedEnv env("TOPHASH_FORCE_MATCH", "bogus");
    std::string err;
    EXPECT_EQ(cpu::select_match(nullptr, &err), nullptr);
    EXPECT_EQ(err, std::string("Expected one of ") + kAllMatchNames +
                       " for TOPHASH_FORCE_MATCH but received 'bogus'");
  }
  {
    ScopedEnv env("TOPHASH_FORCE_MATCH", "");  // empty means unset
    std::string err;
    EXPECT_NE(cpu::select_match(nullptr, &err), nullptr) << err;
  }
}

TEST(Registry, HashDefaultAndForce) {
  ScopedEnv env("TOPHASH_FORCE_HASH", nullptr);
  std::string err;
  const tophash::hash::HashKernel* h = cpu::select_hash(nullptr, &err);
  ASSERT_NE(h, nullptr) << err;
#if defined(__x86_64__)
  const char* want = cpu::supported(tophash::hash::kHashVaes.needs)  ? "vaes"
                     : cpu::supported(tophash::hash::kHashAes.needs) ? "aes"
                                                                     : "fold";
  EXPECT_STREQ(h->name, want);
#else
  EXPECT_STREQ(h->name, "fold");
#endif
  EXPECT_EQ(cpu::select_hash("aes-portable", &err), &tophash::hash::kHashAesPortable);
  EXPECT_EQ(cpu::select_hash("fold", &err), &tophash::hash::kHashFold);
  EXPECT_EQ(cpu::select_hash("nope", &err), nullptr);
#if defined(__x86_64__)
  EXPECT_EQ(err, "Expected one of aes, vaes, aes-portable, fold for hash but received 'nope'");
#endif
  {
    ScopedEnv force("TOPHASH_FORCE_HASH", "fold");
    EXPECT_EQ(cpu::select_hash(nullptr, &err), &tophash::hash::kHashFold);
  }
  {
    ScopedEnv force("TOPHASH_FORCE_HASH", "x");
    EXPECT_EQ(cpu::select_hash(nullptr, &err), nullptr);
    EXPECT_NE(err.find(" for TOPHASH_FORCE_HASH but received 'x'"), std::string::npos) << err;
  }
}

TEST(Registry, DescribeNeeds) {
  EXPECT_EQ(cpu::describe_needs(0), "");
  EXPECT_EQ(cpu::describe_needs(1u << 31), "bit31");
#if defined(__x86_64__)
  EXPECT_EQ(cpu::describe_needs(cpu::kAvx512f | cpu::kAvx512bw), "avx512f, avx512bw");
  EXPECT_EQ(cpu::describe_needs(cpu::kOsAvx | cpu::kAvx2 | cpu::kAvx), "avx, avx2, os_avx");
  EXPECT_EQ(cpu::describe_needs(cpu::kSse2 | (1u << 30)), "sse2, bit30");
  EXPECT_EQ(cpu::describe_needs(cpu::kPclmul | cpu::kAes | cpu::kVaes), "aes, vaes, pclmulqdq");
#endif
}

TEST(Registry, SupportedHelper) {
  EXPECT_TRUE(cpu::supported(0));
  EXPECT_FALSE(cpu::supported(1u << 31));  // no such feature: never supported
  EXPECT_EQ(cpu::supported(cpu::info().features), true);
}

// A fake kernel that needs a feature no CPU has, through the lookup seam.
TEST(Registry, FakeUnsupportedKernelMessage) {
  const std::vector<cpu::Candidate> cs = {{"scalar", 0}, {"fake", 1u << 31}};
  std::string err;
  EXPECT_EQ(cpu::find_candidate(cs, "match", "match", "fake", cpu::info().features, &err), -1);
  EXPECT_EQ(err,
            "Expected a match kernel this CPU supports (scalar) for match but received 'fake' "
            "(needs bit31)");
  EXPECT_EQ(cpu::find_candidate(cs, "match", "match", "scalar", cpu::info().features, &err), 0);
  EXPECT_EQ(cpu::find_candidate(cs, "match", "TOPHASH_FORCE_MATCH", "zz", 0, &err), -1);
  EXPECT_EQ(err, "Expected one of scalar, fake for TOPHASH_FORCE_MATCH but received 'zz'");
}

#if defined(__x86_64__)
// Simulated CPUs through the lookup seam (info() itself is probed once).
TEST(Registry, SimulatedCpuMessages) {
  const auto cs = match_candidates();
  const uint32_t avx2_box = cpu::kSse2 | cpu::kSsse3 | cpu::kSse41 | cpu::kSse42 | cpu::kPopcnt |
                            cpu::kAvx | cpu::kAvx2 | cpu::kBmi2 | cpu::kAes | cpu::kPclmul |
                            cpu::kOsAvx;
  std::string err;
  EXPECT_EQ(cpu::find_candidate(cs, "match", "match", "avx512", avx2_box, &err), -1);
  EXPECT_EQ(err,
            "Expected a match kernel this CPU supports (scalar, swar, sse2, avx2) for match but "
            "received 'avx512' (needs avx512f, avx512bw)");

  EXPECT_EQ(cpu::find_candidate(cs, "match", "match", "avx2", cpu::kSse2, &err), -1);
  EXPECT_EQ(err,
            "Expected a match kernel this CPU supports (scalar, swar, sse2) for match but "
            "received 'avx2' (needs avx, avx2)");

  // Silicon has AVX-512 but the OS does not save ZMM state: only the OS bit is missing.
  const uint32_t no_os512 = avx2_box | cpu::kAvx512f | cpu::kAvx512bw | cpu::kAvx512vl;
  EXPECT_EQ(cpu::find_candidate(cs, "match", "TOPHASH_FORCE_MATCH", "avx512", no_os512, &err), -1);
  EXPECT_EQ(err,
            "Expected a match kernel this CPU supports (scalar, swar, sse2, avx2) for "
            "TOPHASH_FORCE_MATCH but received 'avx512' (needs os_avx512)");

  EXPECT_EQ(cpu::find_candidate(cs, "match", "match", "avx512", no_os512 | cpu::kOsAvx512, &err),
            4);
}

// A real SSE2-only run in a child process. info() is probed once per process,
// possibly already while gtest registers parameterized tests, so the mask is
// put in the environment the ("threadsafe" style, freshly exec'd) child
// inherits; the parent probes first so its own result is unaffected.
int sse2_only_child() {
  unsetenv("TOPHASH_FORCE_MATCH");
  unsetenv("TOPHASH_FORCE_HASH");
  int bad = 0;
  auto fail = [&](const std::string& what) {
    std::fprintf(stderr, "child: %s\n", what.c_str());
    ++bad;
  };
  if (cpu::info().features != cpu::kSse2) fail("features != kSse2");
  std::string err;
  const MatchKernel* m = cpu::select_match(nullptr, &err);
  if (m == nullptr || std::strcmp(m->name, "sse2") != 0) fail("default match is not sse2: " + err);
  if (cpu::select_match("avx2", &err) != nullptr) fail("avx2 selectable");
  if (err !=
      "Expected a match kernel this CPU supports (scalar, swar, sse2) for match but "
      "received 'avx2' (needs avx, avx2)")
    fail("message: " + err);
  if (cpu::select_match("avx512", &err) != nullptr) fail("avx512 selectable");
  if (err !=
      "Expected a match kernel this CPU supports (scalar, swar, sse2) for match but "
      "received 'avx512' (needs avx, avx2, avx512f, avx512bw)")
    fail("message: " + err);
  const tophash::hash::HashKernel* h = cpu::select_hash(nullptr, &err);
  if (h == nullptr || std::strcmp(h->name, "fold") != 0) fail("default hash is not fold: " + err);
  for (const auto& row : cpu::kernels()) {
    const bool want = std::strcmp(row.name, "scalar") == 0 || std::strcmp(row.name, "swar") == 0 ||
                      std::strcmp(row.name, "sse2") == 0 || std::strcmp(row.name, "fold") == 0 ||
                      std::strcmp(row.name, "aes-portable") == 0;
    if (row.supported != want) fail(std::string("supported flag of ") + row.name);
  }
  return bad;
}

TEST(Registry, CpuMaskSimulatesSse2OnlyCpu) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  (void)cpu::info();  // parent: probe before the mask is set
  ScopedEnv mask("TOPHASH_CPU_MASK", "0x1");
  EXPECT_EXIT(std::_Exit(sse2_only_child()), testing::ExitedWithCode(0), "");
}
#endif

}  // namespace
