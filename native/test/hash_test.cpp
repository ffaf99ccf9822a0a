// Tests of the hash kernels (native/hash): pinned outputs, agreement between
// the kernels of a family, the u64/batch/fixed-width entry points against bytes(), reads
// that stay inside [data, data+len) at a page boundary, and loose statistical
// sanity of the bits the table uses. Every input and seed is fixed, so the
// statistical bounds are deterministic, not flaky; they are set several
// standard deviations wide so an algorithm change does not trip them by luck.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cpu/cpu_features.h"
#include "hash/aes_family.h"
#include "hash/hash.h"
#include "test/hash_kernels.h"

namespace tophash::hash {
namespace {

uint64_t bytes_of_u64(const HashKernel& k, uint64_t key, const Seed& s) {
  uint8_t b[8];
  for (int i = 0; i < 8; ++i) b[i] = uint8_t(key >> (8 * i));  // little-endian
  return k.bytes(b, 8, s);
}

class HashKernelTest : public ::testing::TestWithParam<const HashKernel*> {};

INSTANTIATE_TEST_SUITE_P(Hash, HashKernelTest, ::testing::ValuesIn(all_kernels()), kernel_name);

// ---------------------------------------------------------------------------
// Seed expansion and the AES round itself.

TEST(HashSeed, IsSplitmix64) {
  // The reference splitmix64 stream for state 0.
  const Seed s = expand_seed(0);
  const uint64_t want[8] = {0xe220a8397b1dcdafull, 0x6e789e6aa1b965f4ull, 0x06c45d188009454full,
                            0xf88bb8a8724c81ecull, 0x1b39896a51a8749bull, 0x53cb9f0c747ea2eaull,
                            0x2c829abe1f4532e1ull, 0xc584133ac916ab3cull};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(s.k[i], want[i]) << i;
  EXPECT_NE(expand_seed(1).k[0], expand_seed(2).k[0]);
}

// expand_seed fills the short-key start blocks with AES-NI where it can; they
// must be the software rounds' exactly, for every length.
TEST(HashSeed, ShortStartsAreTheSoftwareRounds) {
  Rng rng(3);
  for (int i = 0; i < 64; ++i) {
    const Seed s = expand_seed(i < 2 ? uint64_t(i) : rng.next());
    for (size_t len = 0; len <= aesfam::kShortMax; ++len) {
      uint64_t want[2];
      aesfam::start_portable(s.k, len, want);
      ASSERT_EQ(s.aes_start[len][0], want[0]) << "len " << len;
      ASSERT_EQ(s.aes_start[len][1], want[1]) << "len " << len;
    }
  }
}

TEST(AesRound, Fips197Round1) {
  // FIPS-197 appendix B, round 1: start of round -> state after MixColumns
  // xor round key 1. That is exactly one AESENC.
  const uint8_t state[16] = {0x19, 0x3d, 0xe3, 0xbe, 0xa0, 0xf4, 0xe2, 0x2b,
                             0x9a, 0xc6, 0x8d, 0x2a, 0xe9, 0xf8, 0x48, 0x08};
  const uint8_t key[16] = {0xa0, 0xfa, 0xfe, 0x17, 0x88, 0x54, 0x2c, 0xb1,
                           0x23, 0xa3, 0x39, 0x39, 0x2a, 0x6c, 0x76, 0x05};
  const uint8_t want[16] = {0xa4, 0x9c, 0x7f, 0xf2, 0x68, 0x9f, 0x35, 0x2b,
                            0x6b, 0x5b, 0xea, 0x43, 0x02, 0x6a, 0x50, 0x49};
  uint8_t out[16];
  aesfam::aesenc_portable(state, key, out);
  EXPECT_EQ(0, std::memcmp(out, want, 16));
}

TEST(LoadUpTo16, IsZeroPaddedPrefix) {
  uint8_t src[16];
  for (int i = 0; i < 16; ++i) src[i] = uint8_t(0xa0 + i);
  for (size_t len = 0; len <= 16; ++len) {
    uint8_t want[16] = {};
    std::memcpy(want, src, len);
    uint64_t lo, hi;
    aesfam::load_upto16(src, len, lo, hi);
    EXPECT_EQ(lo, aesfam::load_le64(want)) << len;
    EXPECT_EQ(hi, aesfam::load_le64(want + 8)) << len;
  }
}

// ---------------------------------------------------------------------------
// Golden vectors: pinned outputs of each family. A change here is a change of
// the hash function (every persisted or cross-process expectation breaks);
// update them only on purpose, by pasting the output of
//   tophash_tests --gtest_also_run_disabled_tests --gtest_filter='*PrintGolden*'
// between the GOLDEN markers.

struct Golden {
  size_t len;
  uint64_t hash;
};

std::vector<uint8_t> golden_input() {
  std::vector<uint8_t> buf(4096);
  for (size_t i = 0; i < buf.size(); ++i) buf[i] = uint8_t((i * 167 + 13) ^ (i >> 8));
  return buf;
}

constexpr uint64_t kGoldenSeeds[2] = {0, 0x0123456789abcdefull};
constexpr uint64_t kGoldenKeys[4] = {0, 1, ~0ull, 0x0123456789abcdefull};

// GOLDEN-BEGIN (generated, see the comment above)
// fold, for kGoldenSeeds[0] then [1].
constexpr Golden kGoldenFold[] = {
    {0, 0x081a7ce507228edbull},    {1, 0xfe78dcda30ffbf77ull},    {2, 0xefcf443945dc956dull},
    {3, 0x32501a261f06b1a9ull},    {4, 0xa6584d81b4306772ull},    {5, 0x0c79757ae7d266f0ull},
    {7, 0x5077399ea6e2e159ull},    {8, 0x0998abc3b2ecea9cull},    {9, 0x3fcca867a96bb9d5ull},
    {12, 0xe1b9c722721510adull},   {15, 0x2b6c8c63c2882589ull},   {16, 0x8a13cb9c906d3a3cull},
    {17, 0x53dfa5bf8193755eull},   {24, 0x3870ec9319849c56ull},   {31, 0xf2c448ddbc78bee1ull},
    {32, 0x83031bafb86ff3c4ull},   {33, 0xb5837901fb126e76ull},   {48, 0x60663089d2447717ull},
    {63, 0x3954287d18007088ull},   {64, 0xf66118914efc64e4ull},   {65, 0xb5ff3bd05cd8ad86ull},
    {96, 0x44dae2a79d73144cull},   {127, 0x018c19768e92cf28ull},  {128, 0xe1b7fbd826af4498ull},
    {129, 0x84e6b5112fe57e56ull},  {200, 0x61e18aa6c72e11b0ull},  {255, 0x1bd9ef30377d264bull},
    {256, 0xebdd7fb1a1cacef9ull},  {257, 0x6aae44f62da2c76aull},  {1000, 0xf71b4f8db93616c7ull},
    {4096, 0x0f0c2508ad5a797eull}, {0, 0x46014c9318ea1207ull},    {1, 0x6dac746864ae9bdbull},
    {2, 0x5ba549866044168eull},    {3, 0x5cf05d5a5dcafde7ull},    {4, 0x84372ac321a80815ull},
    {5, 0xf18422073364cc62ull},    {7, 0x1403b2a2f84dbf33ull},    {8, 0xdf9d030fdf5e6f6eull},
    {9, 0x9f08e0a86c5ba159ull},    {12, 0x4a8a80fbcef9fe5aull},   {15, 0x09a7e36b228fa6e6ull},
    {16, 0xd22b852f5ff23055ull},   {17, 0xd40442a2b8d69617ull},   {24, 0x549a6e34999b3680ull},
    {31, 0xb0633781a2ff05fdull},   {32, 0xcfc9ae6a90e4eaf3ull},   {33, 0x7ce65faaff1a5620ull},
    {48, 0x332f984b38c3ae4cull},   {63, 0x8eb158f8de170f67ull},   {64, 0x6ff91f61fd5fab13ull},
    {65, 0xbde1db5f0c602a35ull},   {96, 0xffbee1abd2de8eacull},   {127, 0x074e241b154a9d21ull},
    {128, 0x6fd67bc0668c787cull},  {129, 0x5e81baf9948aad3aull},  {200, 0xb07b0d66b06eb92bull},
    {255, 0xe5eb0085143c4ad5ull},  {256, 0x8457a473e50fe951ull},  {257, 0x48c9d2c7b7ac21c8ull},
    {1000, 0xeae764d33dd39b35ull}, {4096, 0xeb03024c086e5937ull},
};
// u64(kGoldenKeys[i]) for kGoldenSeeds[0] then [1].
constexpr uint64_t kGoldenFoldU64[] = {
    0x0e56280f63b2664bull, 0x35c6f305c30ca8d4ull, 0xc1b701655285221eull, 0x9f29b0315f7bc635ull,
    0x1630cca652146e66ull, 0x24ee6fbd9c9faa22ull, 0x177f887d8447aa21ull, 0xe798b81cff00f705ull,
};
// aes-portable, for kGoldenSeeds[0] then [1].
constexpr Golden kGoldenAes[] = {
    {0, 0xb3c179cbb2f1ce70ull},    {1, 0x0a94b8a1631954d1ull},    {2, 0xbc317e3e468398c9ull},
    {3, 0x95732ce78484018cull},    {4, 0x5cd1d97691ce9d5full},    {5, 0x599c3f8cbd378a11ull},
    {7, 0xabaefad6e246380dull},    {8, 0xfbd938aa01411747ull},    {9, 0xe6b0853dcc9dc4edull},
    {12, 0x1030f1ca29913963ull},   {15, 0xb7cee336dd621bdfull},   {16, 0x3c3cac6499c615f0ull},
    {17, 0x2a10339d85b05b7aull},   {24, 0x464ce36d7172b191ull},   {31, 0x338d31eb1fd4420cull},
    {32, 0x3f9f8bd6ab392973ull},   {33, 0x7726ff2f8f18ae8dull},   {48, 0x7a1081a1cafe566dull},
    {63, 0x78f41156ae54cdcaull},   {64, 0x51151b723556addaull},   {65, 0x3c2c6e42c1c3c52aull},
    {96, 0x4fe530500ddbe063ull},   {127, 0x0c9893757dce6bf3ull},  {128, 0x6d5093d6b70832b2ull},
    {129, 0xfb1920e06be38d26ull},  {200, 0xefcbe8f6d0f840e4ull},  {255, 0xd1cd767f0a934ff5ull},
    {256, 0x648c024f57db2b3aull},  {257, 0x6ece80d9d114b937ull},  {1000, 0xecc78df9cc6a3005ull},
    {4096, 0xcb9958842b91ba79ull}, {0, 0xe236e7f347270786ull},    {1, 0x1734dfe8b8e89410ull},
    {2, 0x4cd86cfb6af6b656ull},    {3, 0x227d8dd7cf8cadfeull},    {4, 0x20bd33e491c34adcull},
    {5, 0x47d4bb37d77541b0ull},    {7, 0x8918b42008d7a206ull},    {8, 0x7deaacbfb34c635aull},
    {9, 0x6f473da1f6bb4735ull},    {12, 0x8703ed94aae1f88cull},   {15, 0x1089a9a11e6962b9ull},
    {16, 0x81914bcb714d452bull},   {17, 0xe3aae7863fed0221ull},   {24, 0x281cd8580f0c141cull},
    {31, 0xb7b81bc2a3eaac08ull},   {32, 0xf55906bef9a88241ull},   {33, 0x793e0d12eacb9afeull},
    {48, 0x8d2b0ec5f138bc6bull},   {63, 0xf6ef7c04434eedf4ull},   {64, 0xd0f4769b77203c7eull},
    {65, 0x68fcff6e99f84c3bull},   {96, 0x0271ab8b28759c7eull},   {127, 0xd1d545446bcc9178ull},
    {128, 0x0d66e5188880f757ull},  {129, 0x24393a546505dc4cull},  {200, 0x65f080c2411c9719ull},
    {255, 0x16b49cc6e2721703ull},  {256, 0xeccf208c6a1b242dull},  {257, 0x8c83e89644421789ull},
    {1000, 0xa703ae9f2b4b309dull}, {4096, 0x9480301e9927c428ull},
};
// u64(kGoldenKeys[i]) for kGoldenSeeds[0] then [1].
constexpr uint64_t kGoldenAesU64[] = {
    0x72b871b7cc00a04dull, 0xdaa683e1dfe3956eull, 0x5568a2585d143be7ull, 0x494117369f67f516ull,
    0x0f4b8f2485cf8e47ull, 0xc35bf447082d9868ull, 0x1f7c4a14ce5ac371ull, 0x55e1cbe989068c46ull,
};
// GOLDEN-END

const Golden* golden_bytes(Family f) { return f == Family::kAes ? kGoldenAes : kGoldenFold; }
const uint64_t* golden_u64(Family f) { return f == Family::kAes ? kGoldenAesU64 : kGoldenFoldU64; }
constexpr size_t kGoldenPerSeed = sizeof(kGoldenFold) / sizeof(kGoldenFold[0]) / 2;

void print_golden(const HashKernel& k, const char* name) {
  const std::vector<uint8_t> in = golden_input();
  std::printf("// %s, for kGoldenSeeds[0] then [1].\nconstexpr Golden kGolden%s[] = {\n", k.name,
              name);
  for (uint64_t seed : kGoldenSeeds)
    for (size_t i = 0; i < kGoldenPerSeed; ++i) {
      const size_t len = kGoldenFold[i].len;
      std::printf("    {%zu, 0x%016llxull},\n", len,
                  static_cast<unsigned long long>(k.bytes(in.data(), len, expand_seed(seed))));
    }
  std::printf("};\n// u64(kGoldenKeys[i]) for kGoldenSeeds[0] then [1].\n");
  std::printf("constexpr uint64_t kGolden%sU64[] = {\n", name);
  for (uint64_t seed : kGoldenSeeds)
    for (uint64_t key : kGoldenKeys)
      std::printf("    0x%016llxull,\n",
                  static_cast<unsigned long long>(k.u64(key, expand_seed(seed))));
  std::printf("};\n");
}

TEST(HashGolden, DISABLED_PrintGolden) {
  print_golden(kHashFold, "Fold");
  print_golden(kHashAesPortable, "Aes");
}

TEST_P(HashKernelTest, GoldenVectors) {
  const HashKernel* k = GetParam();
  SKIP_IF_UNSUPPORTED(k);
  const std::vector<uint8_t> in = golden_input();
  const Golden* g = golden_bytes(k->family);
  const uint64_t* gu = golden_u64(k->family);
  for (int si = 0; si < 2; ++si) {
    const Seed s = expand_seed(kGoldenSeeds[si]);
    for (size_t i = 0; i < kGoldenPerSeed; ++i) {
      const Golden& e = g[si * kGoldenPerSeed + i];
      EXPECT_EQ(k->bytes(in.data(), e.len, s), e.hash) << "seed " << si << " len " << e.len;
    }
    for (int i = 0; i < 4; ++i)
      EXPECT_EQ(k->u64(kGoldenKeys[i], s), gu[si * 4 + i]) << "seed " << si << " key " << i;
  }
}

// ---------------------------------------------------------------------------
// The AES kernels are one function.

TEST(AesFamily, KernelsAgreeBitForBit) {
  std::vector<const HashKernel*> ks;
  for (const HashKernel* k : aes_kernels())
    if (cpu::has_all(k->needs)) ks.push_back(k);
  ASSERT_GE(ks.size(), 1u);  // aes-portable runs everywhere
  std::string ran;
  for (const HashKernel* k : ks) ran += std::string(ran.empty() ? "" : ",") + k->name;
  RecordProperty("kernels", ran);
  if (ks.size() == 1) GTEST_SKIP() << "no hardware AES kernel on this CPU to compare";
  const HashKernel& ref = kHashAesPortable;
  Rng rng(7);
  std::vector<size_t> lens;
  for (size_t l = 0; l <= 256; ++l) lens.push_back(l);
  for (size_t l : {383, 384, 385, 511, 512, 513, 1000, 4096, 65537}) lens.push_back(l);
  std::vector<uint8_t> buf(65537 + 64);
  rng.fill(buf.data(), buf.size());
  for (int si = 0; si < 24; ++si) {
    const Seed s = expand_seed(rng.next());
    for (size_t len : lens) {
      const uint8_t* p = buf.data() + rng.next() % 64;  // misaligned on purpose
      const uint64_t want = ref.bytes(p, len, s);
      for (const HashKernel* k : ks)
        ASSERT_EQ(k->bytes(p, len, s), want) << k->name << " len " << len;
    }
    for (int i = 0; i < 64; ++i) {
      const uint64_t key = rng.next() >> (i & 63);
      const uint64_t want = ref.u64(key, s);
      for (const HashKernel* k : ks) ASSERT_EQ(k->u64(key, s), want) << k->name;
    }
  }
}

// ---------------------------------------------------------------------------
// Entry points agree with bytes().

TEST_P(HashKernelTest, U64EqualsBytesOfLittleEndianKey) {
  const HashKernel* k = GetParam();
  SKIP_IF_UNSUPPORTED(k);
  Rng rng(11);
  for (int si = 0; si < 8; ++si) {
    const Seed s = expand_seed(rng.next());
    std::vector<uint64_t> keys = {0, 1, 2, 255, 256, ~0ull, 1ull << 63, 0x8000000000000001ull};
    for (int i = 0; i < 200; ++i) keys.push_back(rng.next() >> (i % 64));
    for (uint64_t key : keys) ASSERT_EQ(k->u64(key, s), bytes_of_u64(*k, key, s)) << key;
  }
}

TEST_P(HashKernelTest, U64ManyEqualsU64) {
  const HashKernel* k = GetParam();
  SKIP_IF_UNSUPPORTED(k);
  Rng rng(13);
  const Seed s = expand_seed(99);
  // Every count up to a few batches, so each tail length is hit, and one long run.
  std::vector<size_t> counts;
  for (size_t n = 0; n <= 40; ++n) counts.push_back(n);
  counts.push_back(1001);
  for (size_t n : counts) {
    std::vector<uint64_t> keys(n + 1), out(n + 1, 0x5a5a5a5a5a5a5a5aull);
    for (auto& x : keys) x = rng.next();
    // Offset by one element so 16-byte vector loads/stores are misaligned.
    k->u64_many(keys.data() + 1, n, s, out.data() + 1);
    EXPECT_EQ(out[0], 0x5a5a5a5a5a5a5a5aull) << "wrote before out";
    for (size_t i = 0; i < n; ++i)
      ASSERT_EQ(out[i + 1], k->u64(keys[i + 1], s)) << "n " << n << " i " << i;
  }
}

TEST_P(HashKernelTest, BytesManyEqualsBytes) {
  const HashKernel* k = GetParam();
  SKIP_IF_UNSUPPORTED(k);
  Rng rng(17);
  const Seed s = expand_seed(1234);
  std::vector<uint32_t> offsets = {0};
  for (int i = 0; i < 600; ++i) {
    uint32_t len = i < 300 ? uint32_t(i) : uint32_t(rng.next() % (i % 7 == 0 ? 3000 : 40));
    offsets.push_back(offsets.back() + len);
  }
  std::vector<uint8_t> data(offsets.back() + 1);
  rng.fill(data.data(), data.size());
  const size_t n = offsets.size() - 1;
  std::vector<uint64_t> out(n + 1, 0);
  k->bytes_many(data.data(), offsets.data(), n, s, out.data());
  for (size_t i = 0; i < n; ++i)
    ASSERT_EQ(out[i], k->bytes(data.data() + offsets[i], offsets[i + 1] - offsets[i], s)) << i;
  EXPECT_EQ(out[n], 0u);
  k->bytes_many(data.data(), offsets.data(), 0, s, out.data());  // n = 0 touches nothing
}

// Fixed-width batches: every key size through each path (short, 16 with its
// 8- and 16-key groups, 2/4/8 lanes, chunked) and batch sizes that leave
// every possible remainder after the groups.
TEST_P(HashKernelTest, BytesFixedEqualsBytes) {
  const HashKernel* k = GetParam();
  SKIP_IF_UNSUPPORTED(k);
  Rng rng(29);
  const Seed s = expand_seed(777);
  std::vector<size_t> sizes;
  for (size_t ks = 1; ks <= 40; ++ks) sizes.push_back(ks);
  for (size_t ks : {63, 64, 65, 127, 128, 129, 200, 256, 300}) sizes.push_back(ks);
  for (size_t ks : sizes) {
    for (size_t n : {0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 40}) {
      std::vector<uint8_t> data(n * ks);
      rng.fill(data.data(), data.size());
      std::vector<uint64_t> out(n + 1, 0);
      k->bytes_fixed(data.data(), ks, n, s, out.data());
      for (size_t i = 0; i < n; ++i)
        ASSERT_EQ(out[i], k->bytes(data.data() + i * ks, ks, s)) << "size " << ks << " i " << i;
      EXPECT_EQ(out[n], 0u) << "wrote past n, size " << ks << " n " << n;
      // The same keys as a packed batch hash the same.
      std::vector<uint32_t> offsets(n + 1);
      for (size_t i = 0; i <= n; ++i) offsets[i] = uint32_t(i * ks);
      std::vector<uint64_t> packed(n + 1, 0);
      k->bytes_many(data.data(), offsets.data(), n, s, packed.data());
      ASSERT_EQ(packed, out) << "size " << ks << " n " << n;
    }
  }
}

// ---------------------------------------------------------------------------
// Page-safe reads: a key flush against an inaccessible page on either side.

TEST_P(HashKernelTest, NeverReadsOutsideTheKey) {
  const HashKernel* k = GetParam();
  SKIP_IF_UNSUPPORTED(k);
  const size_t page = size_t(sysconf(_SC_PAGESIZE));
  // guard | data | guard
  void* m = mmap(nullptr, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(m, MAP_FAILED);
  uint8_t* base = static_cast<uint8_t*>(m);
  uint8_t* data = base + page;
  Rng(23).fill(data, page);
  ASSERT_EQ(0, mprotect(base, page, PROT_NONE));
  ASSERT_EQ(0, mprotect(base + 2 * page, page, PROT_NONE));
  const Seed s = expand_seed(5);
  uint64_t sink = 0;
  // Up to 300 covers the short, 2/4/8-lane and chunked paths of every kernel.
  for (size_t len = 0; len <= 300; ++len) {
    const uint8_t* at_end = data + page - len;
    const uint8_t* at_start = data;
    sink ^= k->bytes(at_end, len, s);
    sink ^= k->bytes(at_start, len, s);
    // Same bytes elsewhere hash the same: the guard pages changed nothing.
    std::vector<uint8_t> copy(at_end, at_end + len);
    EXPECT_EQ(k->bytes(at_end, len, s), k->bytes(copy.data(), len, s)) << len;
    const uint32_t off[2] = {0, uint32_t(len)};
    uint64_t o = 0;
    k->bytes_many(at_end, off, 1, s, &o);
    sink ^= o;
  }
  // u64_many reading a key array that ends at the guard page.
  for (size_t n = 0; n <= 33; ++n) {
    std::vector<uint64_t> out(n + 1);
    k->u64_many(reinterpret_cast<const uint64_t*>(data + page) - n, n, s, out.data());
    sink ^= n ? out[n - 1] : 0;
  }
  // bytes_fixed over key arrays flush against either guard page.
  for (size_t ks = 1; ks <= 300; ++ks) {
    for (size_t n : {1, 2, 9, 17, 33}) {
      if (n * ks > page) continue;
      std::vector<uint64_t> out(n);
      k->bytes_fixed(data + page - n * ks, ks, n, s, out.data());
      sink ^= out[n - 1];
      k->bytes_fixed(data, ks, n, s, out.data());
      sink ^= out[0];
    }
  }
  EXPECT_NE(sink, 1u);  // keep the calls
  munmap(m, 3 * page);
}

// ---------------------------------------------------------------------------
// Statistics. The table takes the bucket from the low bits and the tag from
// the top byte, so both must look uniform even for structured keys.

double chi_square(const std::vector<uint32_t>& hist, double expected) {
  double c = 0;
  for (uint32_t h : hist) c += (h - expected) * (h - expected) / expected;
  return c;
}

// For B buckets the statistic has mean B-1 and sd sqrt(2(B-1)); allow ~6 sd.
void expect_uniform(const std::vector<uint64_t>& hs, const char* what, const char* kname) {
  const double n = double(hs.size());
  std::vector<uint32_t> top(256), low(4096), mid(256);
  for (uint64_t h : hs) {
    top[h >> 56]++;
    low[h & 4095]++;
    mid[(h >> 28) & 255]++;
  }
  auto bound = [](double b) {
    return (b - 1) + 6 * std::sqrt(2 * (b - 1));
  };
  EXPECT_LT(chi_square(top, n / 256.0), bound(256)) << kname << " top byte, " << what;
  EXPECT_LT(chi_square(low, n / 4096.0), bound(4096)) << kname << " low 12 bits, " << what;
  EXPECT_LT(chi_square(mid, n / 256.0), bound(256)) << kname << " bits 28..35, " << what;
  std::vector<uint64_t> sorted = hs;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end())
      << kname << " 64-bit collision, " << what;
}

TEST_P(HashKernelTest, StructuredKeysSpreadUniformly) {
  const HashKernel* k = GetParam();
  SKIP_IF_UNSUPPORTED(k);
  const size_t n = 1 << 16;
  for (uint64_t seed : {0ull, 42ull}) {
    const Seed s = expand_seed(seed);
    std::vector<uint64_t> h(n);
    for (size_t i = 0; i < n; ++i) h[i] = k->u64(i, s);
    expect_uniform(h, "u64 0..n", k->name);
    for (size_t i = 0; i < n; ++i) h[i] = k->u64(uint64_t(i) << 40, s);  // only high bits vary
    expect_uniform(h, "u64 i<<40", k->name);
    for (size_t i = 0; i < n; ++i) {
      const uint32_t v = uint32_t(i);
      h[i] = k->bytes(&v, 4, s);
    }
    expect_uniform(h, "4-byte ints", k->name);
    for (size_t i = 0; i < n; ++i) {
      const std::string str = "key:" + std::to_string(i);
      h[i] = k->bytes(str.data(), str.size(), s);
    }
    expect_uniform(h, "decimal strings", k->name);
    for (size_t i = 0; i < n; ++i) {
      // 40 bytes (4-lane path) differing in one position only.
      uint8_t b[40] = {};
      std::memcpy(b + 20, &i, 2);
      h[i] = k->bytes(b, sizeof b, s);
    }
    expect_uniform(h, "40 zero bytes + counter", k->name);
    // Same bytes, different lengths: the length must matter.
    std::vector<uint8_t> zeros(300, 0);
    std::vector<uint64_t> byLen;
    for (size_t len = 0; len <= 300; ++len) byLen.push_back(k->bytes(zeros.data(), len, s));
    std::sort(byLen.begin(), byLen.end());
    EXPECT_EQ(std::adjacent_find(byLen.begin(), byLen.end()), byLen.end())
        << k->name << " zero runs";
  }
}

// Flipping one input bit must flip each output bit with probability ~1/2.
// Checked per (input bit, output bit) pair, so a weak top byte or a weak low
// bit cannot hide behind a good average.
TEST_P(HashKernelTest, Avalanche) {
  const HashKernel* k = GetParam();
  SKIP_IF_UNSUPPORTED(k);
  Rng rng(29);
  const int trials = 300;  // per pair: sd of the rate = sqrt(.25/300) = 0.029
  for (size_t len : {3, 8, 13, 16, 24, 40, 100, 200}) {
    const int in_bits = int(len * 8);
    std::vector<uint32_t> flips(size_t(in_bits) * 64);
    double total = 0;
    std::vector<uint8_t> buf(len), alt(len);
    for (int t = 0; t < trials; ++t) {
      const Seed s = expand_seed(rng.next());
      rng.fill(buf.data(), len);
      const uint64_t h0 = k->bytes(buf.data(), len, s);
      for (int b = 0; b < in_bits; ++b) {
        alt = buf;
        alt[b / 8] ^= uint8_t(1u << (b % 8));
        const uint64_t d = h0 ^ k->bytes(alt.data(), len, s);
        total += __builtin_popcountll(d);
        for (int o = 0; o < 64; ++o) flips[size_t(b) * 64 + o] += (d >> o) & 1;
      }
    }
    const double avg = total / (double(trials) * in_bits);
    EXPECT_NEAR(avg, 32.0, 1.0) << k->name << " len " << len;
    double worst = 0;
    int wb = 0, wo = 0;
    for (int b = 0; b < in_bits; ++b)
      for (int o = 0; o < 64; ++o) {
        const double dev = std::fabs(flips[size_t(b) * 64 + o] / double(trials) - 0.5);
        if (dev > worst) worst = dev, wb = b, wo = o;
      }
    // Up to 1600 pairs x 64 at sd 0.029: 0.2 is ~7 sd.
    EXPECT_LT(worst, 0.2) << k->name << " len " << len << " input bit " << wb << " output bit "
                          << wo;
  }
  // The u64 path on its own, with the seed fixed (as in a table) and keys random.
  const Seed s = expand_seed(31);
  std::vector<uint32_t> flips(64 * 64);
  for (int t = 0; t < 2 * trials; ++t) {
    const uint64_t key = rng.next();
    const uint64_t h0 = k->u64(key, s);
    for (int b = 0; b < 64; ++b) {
      const uint64_t d = h0 ^ k->u64(key ^ (1ull << b), s);
      for (int o = 0; o < 64; ++o) flips[b * 64 + o] += (d >> o) & 1;
    }
  }
  double worst = 0;
  for (uint32_t f : flips) worst = std::max(worst, std::fabs(f / (2.0 * trials) - 0.5));
  EXPECT_LT(worst, 0.15) << k->name << " u64";
}

TEST_P(HashKernelTest, SeedChangesEverything) {
  const HashKernel* k = GetParam();
  SKIP_IF_UNSUPPORTED(k);
  const char msg[] = "tophash";
  double total = 0;
  int n = 0;
  for (uint64_t seed = 0; seed < 256; ++seed) {
    const uint64_t a = k->bytes(msg, 7, expand_seed(seed));
    const uint64_t b = k->bytes(msg, 7, expand_seed(seed ^ 1));
    total += __builtin_popcountll(a ^ b);
    ++n;
    EXPECT_NE(k->u64(seed, expand_seed(seed)), k->u64(seed, expand_seed(seed + 1)));
  }
  EXPECT_NEAR(total / n, 32.0, 2.5);
}

}  // namespace
}  // namespace tophash::hash
