// The mapped view of a U64Map snapshot (core/mapped_u64_map.h): per kernel
// pair it answers every lookup, batch (of every key kind) and scan as the
// saved table does; a damaged file fails the read that meets the damage as
// corrupt instead of leaving the mapping or looping; a file truncated in
// place while mapped fails reads as changed instead of killing the process;
// and the fault handler passes every other SIGBUS on (core/fault_guard.h).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmath>
#include <functional>
#include <stdexcept>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/mapped_u64_map.h"
#include "core/snapshot_reader.h"
#include "core/snapshot_writer.h"
#include "core/table_debug.h"
#include "core/u64_map.h"
#include "test/kernel_pairs.h"
#include "test/snapshot_test_util.h"

namespace tophash::core {
namespace {

using test::KernelPair;
using test::pair_name;
using test::snapshot_of;
using test::supported_pairs;

// A table of n keys (some small, some near 2^64) with a quarter of the small
// ones deleted again, and its oracle.
std::unique_ptr<U64Table> filled(const KernelPair& k, uint64_t n,
                                 std::unordered_map<uint64_t, double>* oracle) {
  auto t = std::make_unique<U64Table>(k.match, k.hash, 17 + n, 0);
  std::mt19937_64 rng(n);
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t key = i % 3 ? rng() : rng() % 4096;
    t->assign(key, t->hash(key), static_cast<double>(i) + 0.5);
    (*oracle)[key] = static_cast<double>(i) + 0.5;
  }
  for (uint64_t i = 0; i < n / 4; ++i) {
    const uint64_t key = rng() % 4096;
    t->erase(key, t->hash(key));
    oracle->erase(key);
  }
  return t;
}

// A scratch file, removed with the object.
struct TempFile {
  std::string path;
  TempFile() {
    const char* dir = std::getenv("TMPDIR");
    path = std::string(dir != nullptr ? dir : "/tmp") + "/tophash-mapped-XXXXXX";
    const int fd = ::mkstemp(path.data());
    EXPECT_GE(fd, 0);
    ::close(fd);
  }
  ~TempFile() { ::unlink(path.c_str()); }
  void write(const std::vector<uint8_t>& bytes) const {
    FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
    std::fclose(f);
  }
};

std::string code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const SnapshotError& e) {
    return e.code();
  }
  return "";
}

class MappedTest : public testing::TestWithParam<KernelPair> {};

TEST_P(MappedTest, AnswersEveryReadAsTheSavedTable) {
  const KernelPair k = GetParam();
  for (uint64_t n : {0, 1, 9, 1000, 30000}) {
    std::unordered_map<uint64_t, double> oracle;
    auto t = filled(k, n, &oracle);
    const auto bytes = snapshot_of(*t);
    // Any match kernel reads it; the hash kernel must be of the file's family.
    for (const KernelPair& other : supported_pairs()) {
      if (other.hash->family != k.hash->family) continue;
      auto m = MappedU64Map::over(bytes.data(), bytes.size(), other.match, other.hash);
      ASSERT_EQ(m->size(), oracle.size());
      ASSERT_EQ(m->stats().B, t->stats().B);
      ASSERT_EQ(m->stats().overflow_buckets, t->stats().overflow_buckets);
      std::vector<uint64_t> keys;
      for (auto& [key, v] : oracle) keys.push_back(key);
      for (uint64_t i = 0; i < 500; ++i) keys.push_back(i * 7 + (uint64_t{1} << 40));
      m->read([&] {
        for (uint64_t key : keys) {
          const double* got = m->find(key, m->hash(key));
          const auto it = oracle.find(key);
          ASSERT_EQ(got != nullptr, it != oracle.end()) << key;
          if (got != nullptr) {
            ASSERT_EQ(*got, it->second);
          }
        }
      });
      std::vector<double> out(keys.size());
      std::vector<uint8_t> found(keys.size());
      const KeyBatch batch{KeyBatch::Kind::kU64, keys.data(), keys.size()};
      ASSERT_EQ(get_batch(*m, batch, out.data(), found.data()), oracle.size());
      ASSERT_EQ(has_batch(*m, batch, found.data()), oracle.size());
      for (size_t i = 0; i < keys.size(); ++i) {
        const auto it = oracle.find(keys[i]);
        ASSERT_EQ(found[i], it != oracle.end());
        if (it != oracle.end()) {
          ASSERT_EQ(out[i], it->second);
        } else {
          ASSERT_TRUE(std::isnan(out[i]));
        }
      }
      std::vector<uint32_t> small;
      for (uint64_t key : keys) {
        if (key < 4096) small.push_back(static_cast<uint32_t>(key));
      }
      size_t small_hits = 0;
      for (uint32_t key : small) small_hits += oracle.count(key);
      std::vector<uint8_t> present(small.size());
      ASSERT_EQ(has_batch(*m, {KeyBatch::Kind::kU32, small.data(), small.size()}, present.data()),
                small_hits);
      std::unordered_map<uint64_t, double> scanned;
      m->read([&] {
        uint64_t cursor = 0;
        do {
          cursor = m->scan(cursor, [&](uint64_t key, double v) {
            ASSERT_TRUE(scanned.emplace(key, v).second) << "emitted twice: " << key;
          });
        } while (cursor != 0);
      });
      ASSERT_EQ(scanned, oracle);
    }
  }
}

TEST_P(MappedTest, AFileOpensVerifiesAndMaterializesAsLoadWould) {
  const KernelPair k = GetParam();
  std::unordered_map<uint64_t, double> oracle;
  auto t = filled(k, 20000, &oracle);
  TempFile file;
  save_u64_snapshot(*t, file.path);
  auto m = MappedU64Map::open(file.path, k.match, k.hash);
  m->verify();
  m->check_unchanged();
  auto copy = m->materialize();
  ASSERT_EQ(check_invariants(*copy), "");
  ASSERT_EQ(copy->size(), oracle.size());
  for (auto& [key, v] : oracle) {
    const double* got = copy->find(key, copy->hash(key));
    ASSERT_NE(got, nullptr);
    ASSERT_EQ(*got, v);
  }
  // The view keeps the inode it opened: unlinking the path changes nothing.
  ::unlink(file.path.c_str());
  m->verify();
  ASSERT_EQ(m->materialize()->size(), oracle.size());
}

INSTANTIATE_TEST_SUITE_P(Pairs, MappedTest, testing::ValuesIn(supported_pairs()), pair_name);

// Bytes of a snapshot with overflow buckets, and the offset of a primary
// bucket's link that is set (a chain that goes on).
struct Damaged {
  std::vector<uint8_t> bytes;
  size_t link_at = 0;
  uint64_t first_overflow = 0;
  std::vector<uint64_t> keys;
};

Damaged chained_snapshot() {
  const KernelPair k = supported_pairs().front();
  std::unordered_map<uint64_t, double> oracle;
  auto t = filled(k, 3000, &oracle);
  Damaged d;
  d.bytes = snapshot_of(*t);
  for (auto& [key, v] : oracle) d.keys.push_back(key);
  SnapshotHeader h;
  std::memcpy(&h, d.bytes.data(), sizeof h);
  EXPECT_GT(h.overflow, 0u);
  const size_t buckets = 192;
  for (uint64_t i = 0; i < (uint64_t{1} << h.B); ++i) {
    const size_t at = buckets + i * 144 + 136;
    uint64_t link;
    std::memcpy(&link, d.bytes.data() + at, sizeof link);
    if (link != 0) {
      d.link_at = at;
      d.first_overflow = link - 1;
      break;
    }
  }
  EXPECT_NE(d.link_at, 0u);
  return d;
}

// Every key through the pipeline and a full scan: whatever meets the damage.
void read_everything(const MappedU64Map& m, const std::vector<uint64_t>& keys) {
  std::vector<double> out(keys.size());
  get_batch(m, {KeyBatch::Kind::kU64, keys.data(), keys.size()}, out.data(), nullptr);
  m.read([&] {
    uint64_t cursor = 0;
    do {
      cursor = m.scan(cursor, [](uint64_t, double) {});
    } while (cursor != 0);
  });
}

TEST(MappedHostile, ALinkPastTheOverflowSectionIsCorruptNotARead) {
  Damaged d = chained_snapshot();
  const uint64_t far = uint64_t{1} << 50;
  std::memcpy(d.bytes.data() + d.link_at, &far, sizeof far);
  const KernelPair k = supported_pairs().front();
  auto m = MappedU64Map::over(d.bytes.data(), d.bytes.size(), k.match, k.hash);
  EXPECT_EQ(code_of([&] { read_everything(*m, d.keys); }), kSnapshotCorrupt);
  EXPECT_EQ(code_of([&] { m->verify(); }), kSnapshotCorrupt);
}

TEST(MappedHostile, AChainThatLoopsIsCorruptNotEndless) {
  Damaged d = chained_snapshot();
  SnapshotSectionEntry s;
  std::memcpy(&s, d.bytes.data() + kSnapshotHeaderBytes + kSnapshotSectionBytes, sizeof s);
  uint8_t* bucket = d.bytes.data() + s.offset + d.first_overflow * 144;
  const uint64_t self = d.first_overflow + 1;
  std::memcpy(bucket + 136, &self, sizeof self);
  bucket[7] = kEmptyOne;  // the chain does not end here
  const KernelPair k = supported_pairs().front();
  auto m = MappedU64Map::over(d.bytes.data(), d.bytes.size(), k.match, k.hash);
  EXPECT_EQ(code_of([&] { read_everything(*m, d.keys); }), kSnapshotCorrupt);
}

TEST(MappedHostile, HeaderDamageIsRefusedAtOpen) {
  Damaged d = chained_snapshot();
  const KernelPair k = supported_pairs().front();
  for (size_t at : {8, 12, 36, 40, 100, 150}) {
    std::vector<uint8_t> bad = d.bytes;
    bad[at] ^= 0x10;
    EXPECT_NE(code_of([&] { MappedU64Map::over(bad.data(), bad.size(), k.match, k.hash); }), "")
        << at;
  }
  for (size_t n : {0, 127, 191, 4096}) {
    EXPECT_EQ(code_of([&] { MappedU64Map::over(d.bytes.data(), n, k.match, k.hash); }),
              kSnapshotTruncated)
        << n;
  }
}

TEST(MappedChanged, ATruncationInPlaceFailsReadsInsteadOfKillingTheProcess) {
  const KernelPair k = supported_pairs().front();
  std::unordered_map<uint64_t, double> oracle;
  auto t = filled(k, 30000, &oracle);
  TempFile file;
  save_u64_snapshot(*t, file.path);
  auto m = MappedU64Map::open(file.path, k.match, k.hash);
  std::vector<uint64_t> keys;
  for (auto& [key, v] : oracle) keys.push_back(key);
  std::vector<double> out(keys.size());
  const KeyBatch batch{KeyBatch::Kind::kU64, keys.data(), keys.size()};
  ASSERT_EQ(get_batch(*m, batch, out.data(), nullptr), keys.size());
  ASSERT_EQ(::truncate(file.path.c_str(), 4096), 0);
  // The batch meets pages past the new end: SIGBUS, caught.
  EXPECT_EQ(code_of([&] { get_batch(*m, batch, out.data(), nullptr); }), kSnapshotChanged);
  // From then on the view refuses every read, the first page's included.
  EXPECT_EQ(code_of([&] { m->read([&] { m->find(keys[0], m->hash(keys[0])); }); }),
            kSnapshotChanged);
  EXPECT_EQ(code_of([&] { m->check_unchanged(); }), kSnapshotChanged);
  EXPECT_EQ(code_of([&] { MappedU64Map::open(file.path, k.match, k.hash); }), kSnapshotTruncated);
}

// A file of two pages, mapped, then cut to nothing: reading it faults.
const uint8_t* doomed_mapping(const TempFile& file) {
  file.write(std::vector<uint8_t>(8192, 1));
  const int fd = ::open(file.path.c_str(), O_RDWR);
  void* p = ::mmap(nullptr, 8192, PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED || ::ftruncate(fd, 0) != 0) std::abort();
  ::close(fd);
  return static_cast<const uint8_t*>(p);
}

TEST(FaultGuard, AFaultInTheGuardedRangeReturnsFalse) {
  TempFile file;
  const uint8_t* p = doomed_mapping(file);
  volatile uint8_t sink = 0;
  EXPECT_FALSE(guarded(p, 8192, [&] { sink = p[4096]; }));
  EXPECT_TRUE(guarded(p, 8192, [&] { sink = 0; }));
  ::munmap(const_cast<uint8_t*>(p), 8192);
}

TEST(FaultGuard, ExceptionsPassThroughAndCloseTheScope) {
  EXPECT_THROW(guarded(this, 1, [] { throw std::runtime_error("x"); }), std::runtime_error);
  TempFile file;
  const uint8_t* p = doomed_mapping(file);
  volatile uint8_t sink = 0;
  EXPECT_FALSE(guarded(p, 8192, [&] { sink = p[0]; }));
  ::munmap(const_cast<uint8_t*>(p), 8192);
}

// A SIGBUS outside any guarded range goes to the handler installed before
// ours (here one that exits 42); run in a fresh process so that ours is
// installed after it.
TEST(FaultGuardDeathTest, AFaultOutsideTheGuardedRangeGoesToThePreviousHandler) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        signal(SIGBUS, [](int) { _exit(42); });
        TempFile file;
        const uint8_t* p = doomed_mapping(file);
        volatile uint8_t sink = 0;
        // Ours is installed now; the fault lies outside its range.
        guarded(const_cast<uint8_t*>(&sink), 1, [&] { sink = p[0]; });
      },
      testing::ExitedWithCode(42), "");
}

TEST(FaultGuardDeathTest, AFaultOutsideAGuardedCallStillEndsTheProcess) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        TempFile file;
        const uint8_t* p = doomed_mapping(file);
        volatile uint8_t sink = 0;
        guarded(p, 8192, [&] { sink = 0; });
        sink = p[0];
      },
      "");
}

}  // namespace
}  // namespace tophash::core
