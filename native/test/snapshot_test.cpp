// The snapshot format: CRC32C against its standard check value and its two
// kernels against each other; a round trip per kernel pair (including a
// table saved mid-growth, and a StrMap table with long keys) gives a sound
// table with the same entries; a bit
// flip in any section, the header or the padding is refused as corrupt,
// naming the section.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/sliced_read.h"
#include "core/snapshot_reader.h"
#include "core/snapshot_writer.h"
#include "core/str_map.h"
#include "core/table_debug.h"
#include "core/u64_map.h"
#include "cpu/cpu_features.h"
#include "hash/crc32c.h"
#include "test/fuzz_reseal.h"
#include "test/kernel_pairs.h"
#include "test/snapshot_test_util.h"

namespace tophash::core {
namespace {

using test::KernelPair;
using test::pair_name;
using test::snapshot_of;
using test::supported_pairs;

TEST(Crc32c, MatchesTheStandardCheckValue) {
  const char* s = "123456789";
  EXPECT_EQ(hash::crc32c(0, s, 9), 0xE3069283u);
  EXPECT_EQ(hash::crc32c_portable(0, s, 9), 0xE3069283u);
  EXPECT_EQ(hash::crc32c(0, s, 0), 0u);
}

TEST(Crc32c, DispatchedKernelEqualsPortableTwinAndExtendsInPieces) {
  std::mt19937_64 rng(7);
  std::vector<uint8_t> data(40000);
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  for (size_t start = 0; start < 9; ++start) {
    // Around the three-chain kernel's round lengths (3 x 256 and 3 x 4096
    // bytes) and their sums, where a wrong join of the chains would show.
    for (size_t len : {0,   1,    7,    8,     9,     63,    64,    65,    767,   768,   769,
                       775, 1536, 4000, 12287, 12288, 12289, 13063, 13064, 24576, 30001, 39990}) {
      const uint8_t* p = data.data() + start;
      const uint32_t whole = hash::crc32c(0, p, len);
      ASSERT_EQ(whole, hash::crc32c_portable(0, p, len)) << start << "+" << len;
      const size_t cut = len / 3;
      ASSERT_EQ(hash::crc32c(hash::crc32c(0, p, cut), p + cut, len - cut), whole);
    }
  }
}

// Each x86 kernel on its own against the portable twin (the dispatched
// crc32c above is only the best one this CPU has): every length to 600 bytes
// (the folding kernel's 256-byte rounds, 64- and 16-byte tails and crc32
// finish), longer ones around the three-chain rounds, odd starts and a
// running crc.
TEST(Crc32c, EachX86KernelEqualsThePortableTwin) {
#if defined(__x86_64__)
  using Raw = uint32_t (*)(uint32_t, const uint8_t*, size_t);
  struct Kernel {
    const char* name;
    uint32_t needs;
    Raw raw;
  };
  const Kernel kernels[] = {
      {"sse42", cpu::kSse42, hash::detail::crc32c_sse42_raw},
      {"vpclmul", hash::detail::kVpclmulNeeds, hash::detail::crc32c_vpclmul_raw}};
  std::mt19937_64 rng(13);
  std::vector<uint8_t> data(70000);
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  std::vector<size_t> lengths;
  for (size_t len = 0; len <= 600; ++len) lengths.push_back(len);
  for (size_t len : {767, 768, 769, 1024, 4096, 12287, 12288, 12289, 13063, 65536, 69990})
    lengths.push_back(len);
  int ran = 0;
  for (const Kernel& k : kernels) {
    if (!cpu::has_all(k.needs)) continue;
    ++ran;
    for (size_t start : {0, 1, 7}) {
      for (size_t len : lengths) {
        const uint8_t* p = data.data() + start;
        for (uint32_t crc : {0u, 0xDEADBEEFu}) {
          ASSERT_EQ(~k.raw(~crc, p, len), hash::crc32c_portable(crc, p, len))
              << k.name << " " << start << "+" << len << " crc " << crc;
        }
      }
    }
  }
  if (ran == 0) GTEST_SKIP() << "the CPU lacks SSE4.2";
#else
  GTEST_SKIP() << "x86-64 kernels";
#endif
}

std::unique_ptr<U64Table> read(const std::vector<uint8_t>& bytes, const KernelPair& k) {
  MemorySource src(bytes.data(), bytes.size());
  return read_u64_snapshot(src, k.match, k.hash);
}

class SnapshotTest : public testing::TestWithParam<KernelPair> {};

TEST_P(SnapshotTest, RoundTripGivesASoundTableWithTheSameEntries) {
  const KernelPair k = GetParam();
  std::mt19937_64 rng(3);
  for (uint64_t n : {0, 1, 9, 1000, 20000}) {
    U64Table t(k.match, k.hash, 99 + n, 0);
    std::unordered_map<uint64_t, double> oracle;
    for (uint64_t i = 0; i < n; ++i) {
      const uint64_t key = i % 3 ? rng() : rng() % 64;
      t.assign(key, t.hash(key), static_cast<double>(i));
      oracle[key] = static_cast<double>(i);
    }
    for (uint64_t i = 0; i < n / 4; ++i) {
      const uint64_t key = rng() % 64;
      t.erase(key, t.hash(key));
      oracle.erase(key);
    }
    const bool was_growing = t.growing();
    const auto bytes = snapshot_of(t);
    EXPECT_FALSE(t.growing()) << "a save finishes the growth first (was " << was_growing << ")";
    // Another match kernel reads it as well: the layout does not depend on it.
    for (const KernelPair& other : supported_pairs()) {
      if (other.hash->family != k.hash->family) continue;
      auto loaded = read(bytes, other);
      ASSERT_EQ(check_invariants(*loaded), "");
      ASSERT_EQ(loaded->size(), oracle.size());
      for (auto& [key, v] : oracle) {
        const double* got = loaded->find(key, loaded->hash(key));
        ASSERT_NE(got, nullptr);
        ASSERT_EQ(*got, v);
      }
      ASSERT_EQ(loaded->stats().B, t.stats().B);
      ASSERT_EQ(loaded->stats().overflow_buckets, t.stats().overflow_buckets);
    }
  }
}

TEST_P(SnapshotTest, ATableSavedMidGrowthLoadsWhole) {
  const KernelPair k = GetParam();
  U64Table t(k.match, k.hash, 5, 0);
  uint64_t i = 0;
  while (!t.growing()) t.assign(i, t.hash(i), 1.0), ++i;
  const auto bytes = snapshot_of(t);
  auto loaded = read(bytes, k);
  ASSERT_EQ(check_invariants(*loaded), "");
  ASSERT_EQ(loaded->size(), i);
  for (uint64_t j = 0; j < i; ++j) ASSERT_NE(loaded->find(j, loaded->hash(j)), nullptr);
}

TEST_P(SnapshotTest, StrTableRoundTripKeepsShortAndLongKeys) {
  const KernelPair k = GetParam();
  StrTable t(k.match, k.hash, 8, 0);
  std::unordered_map<std::string, double> oracle;
  for (int i = 0; i < 3000; ++i) {
    const std::string key =
        i % 3 ? "k" + std::to_string(i) : "a key for the arena #" + std::to_string(i);
    const ByteProbe p = str_probe(t, key.data(), key.size());
    t.assign(p, p.hash, i);
    oracle[key] = i;
  }
  for (int i = 0; i < 3000; i += 5) {
    const std::string key =
        i % 3 ? "k" + std::to_string(i) : "a key for the arena #" + std::to_string(i);
    const ByteProbe p = str_probe(t, key.data(), key.size());
    t.erase(p, p.hash);
    oracle.erase(key);
  }
  const auto bytes = snapshot_of(t);
  MemorySource src(bytes.data(), bytes.size());
  auto loaded = read_str_snapshot(src, k.match, k.hash);
  ASSERT_EQ(check_invariants(*loaded), "");
  ASSERT_EQ(loaded->size(), oracle.size());
  for (auto& [key, v] : oracle) {
    const ByteProbe p = str_probe(*loaded, key.data(), key.size());
    const double* got = loaded->find(p, p.hash);
    ASSERT_NE(got, nullptr) << key;
    ASSERT_EQ(*got, v);
  }
}

INSTANTIATE_TEST_SUITE_P(Pairs, SnapshotTest, testing::ValuesIn(supported_pairs()), pair_name);

// Every byte of a snapshot with an overflow section and inter-section
// padding is covered: flipping any one bit is refused.
TEST(SnapshotChecksums, EverySectionHeaderAndPaddingDetectsABitFlip) {
  const KernelPair k = supported_pairs().front();
  // 13 keys fit 2 buckets (B = 1, whose 288 bytes leave padding before the
  // next section); some seed puts 9 of them in one, which needs an overflow bucket.
  std::vector<uint8_t> bytes;
  SnapshotHeader h{};
  for (uint64_t seed = 1; h.overflow == 0 && seed < 1000; ++seed) {
    U64Table t(k.match, k.hash, seed, 0);
    for (uint64_t key = 0; key < 13; ++key) t.assign(key, t.hash(key), 0.5);
    bytes = snapshot_of(t);
    std::memcpy(&h, bytes.data(), sizeof h);
  }
  ASSERT_GT(h.overflow, 0u) << "the test needs an overflow section";
  SnapshotSectionEntry s[2];
  std::memcpy(s, bytes.data() + kSnapshotHeaderBytes, sizeof s);
  ASSERT_GT(s[1].offset, s[0].offset + s[0].length) << "the test needs padding";
  for (size_t at = 0; at < bytes.size(); ++at) {
    for (int bit : {0, 5}) {
      bytes[at] ^= static_cast<uint8_t>(1u << bit);
      try {
        read(bytes, k);
        ADD_FAILURE() << "a flip of bit " << bit << " at offset " << at << " went unnoticed";
      } catch (const SnapshotError& e) {
        const std::string msg = e.what();
        if (at >= s[0].offset && at < s[0].offset + s[0].length) {
          EXPECT_NE(msg.find("'buckets' section"), std::string::npos) << msg;
        } else if (at >= s[1].offset) {
          EXPECT_NE(msg.find("'overflow' section"), std::string::npos) << msg;
        } else if (at >= s[0].offset + s[0].length) {
          EXPECT_NE(msg.find("padding byte at offset " + std::to_string(at)), std::string::npos);
        }
      }
      bytes[at] ^= static_cast<uint8_t>(1u << bit);
    }
  }
  EXPECT_EQ(read(bytes, k)->size(), 13u);
}

void structure_errors_defer_to_a_failed_checksum(uint64_t keys) {
  const KernelPair k = supported_pairs().front();
  U64Table t(k.match, k.hash, 5, 0);
  for (uint64_t key = 0; key < keys; ++key) t.assign(key, t.hash(key), 1.0);
  const auto pristine = snapshot_of(t);
  SnapshotHeader h;
  std::memcpy(&h, pristine.data(), sizeof h);
  SnapshotSectionEntry buckets;
  std::memcpy(&buckets, pristine.data() + kSnapshotHeaderBytes, sizeof buckets);
  const size_t bucket_bytes = h.bucket_size;
  ASSERT_GT(buckets.length, 4u * (256u << 10)) << "the test needs several slices";
  if (keys > 100000) {
    ASSERT_GE(buckets.length, kReadAheadFromBytes) << "the test needs the reads run ahead";
  }
  auto message_of = [&](const std::vector<uint8_t>& bytes) -> std::string {
    try {
      read(bytes, k);
    } catch (const SnapshotError& e) {
      return e.what();
    }
    return "accepted";
  };
  const size_t link_of_bucket_2 = buckets.offset + 3 * bucket_bytes - sizeof(uint64_t);
  auto broken = pristine;
  broken[link_of_bucket_2 + 6] ^= 0x40;  // a link far past the overflow buckets
  EXPECT_NE(message_of(broken).find("'buckets' section"), std::string::npos) << message_of(broken);
  EXPECT_NE(message_of(broken).find("fails its checksum"), std::string::npos);
  fuzz::reseal(broken);
  EXPECT_NE(message_of(broken).find("bucket 2 links to overflow bucket"), std::string::npos)
      << message_of(broken);

  const uint64_t last = (uint64_t{1} << h.B) - 1;
  auto marked = pristine;
  marked[buckets.offset + last * bucket_bytes] = kMinTopHash - 1;  // an evacuation mark
  EXPECT_NE(message_of(marked).find("fails its checksum"), std::string::npos);
  fuzz::reseal(marked);
  EXPECT_NE(message_of(marked).find("bucket " + std::to_string(last) +
                                    " slot 0 holds an evacuation mark"),
            std::string::npos)
      << message_of(marked);
  EXPECT_EQ(read(pristine, k)->size(), keys);
}

// The bucket array is read, checksummed, linked and checked a slice at a
// time. A link broken in the first slice is a structure error found before
// the section's checksum is known: with the checksum left stale the error is
// still the checksum's (a bit flip reads the same wherever it lands), and
// with the checksum re-sealed it is the link's. A mark in the last slice is
// found by bucket. Both ways of reading: in turn (60,000 keys) and with
// the reads run ahead on a second thread (200,000 keys).
TEST(SnapshotErrors, StructureErrorsInAnySliceDeferToAFailedChecksum) {
  for (const uint64_t keys : {uint64_t{60000}, uint64_t{200000}}) {
    SCOPED_TRACE(std::to_string(keys) + " keys");
    structure_errors_defer_to_a_failed_checksum(keys);
  }
}

TEST(SnapshotErrors, ShortAndForeignInputsAreNamed) {
  const KernelPair k = supported_pairs().front();
  auto code_of = [&](const std::vector<uint8_t>& bytes) -> std::string {
    try {
      read(bytes, k);
    } catch (const SnapshotError& e) {
      return e.code();
    }
    return "accepted";
  };
  EXPECT_EQ(code_of({}), kSnapshotTruncated);
  EXPECT_EQ(code_of(std::vector<uint8_t>(200, 0)), kSnapshotNotSnapshot);
  U64Table t(k.match, k.hash, 1, 0);
  auto bytes = snapshot_of(t);
  bytes.pop_back();
  EXPECT_EQ(code_of(bytes), kSnapshotTruncated);
}

// A StrMap's section table ends at byte 224 and its first section starts at
// 256: a flip in between is refused like any other padding byte.
TEST(SnapshotChecksums, PaddingBeforeTheFirstSectionDetectsABitFlip) {
  const KernelPair k = supported_pairs().front();
  StrTable t(k.match, k.hash, 8, 0);
  const ByteProbe p = str_probe(t, "key", 3);
  t.assign(p, p.hash, 1.0);
  auto bytes = snapshot_of(t);
  for (size_t at = kSnapshotHeaderBytes + 3 * kSnapshotSectionBytes; at < 256; ++at) {
    bytes[at] ^= 1;
    MemorySource src(bytes.data(), bytes.size());
    try {
      read_str_snapshot(src, k.match, k.hash);
      ADD_FAILURE() << "a flip at offset " << at << " went unnoticed";
    } catch (const SnapshotError& e) {
      EXPECT_NE(std::string(e.what()).find("padding byte at offset " + std::to_string(at)),
                std::string::npos)
          << e.what();
    }
    bytes[at] ^= 1;
  }
}

}  // namespace
}  // namespace tophash::core
