// The pinned table on a real file: the kernel's flags and errors, two
// mappings sharing entries, the whole-structure check after every kind of
// operation, header validation, and a forked child SIGKILLed inside each
// critical section (the TOPHASH_TEST_PIN_CRASH hook) leaving the table
// repairable with nothing lost.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/pinned_table.h"
#include "cpu/cpu_registry.h"

namespace tophash::core {
namespace {

const hash::HashKernel* best_hash() {
  std::string e;
  return cpu::select_hash(nullptr, &e);
}

std::string temp_path(const char* label) {
  return "/tmp/tophash-pintest-" + std::string(label) + "-" + std::to_string(::getpid());
}

struct PinnedFile {
  std::string path;
  std::unique_ptr<PinnedTable> table;
  PinnedFile(const char* label, BpfType type, uint64_t max_entries, size_t value_size = 8)
      : path(temp_path(label)) {
    ::unlink(path.c_str());
    const hash::HashKernel* h = best_hash();
    table =
        PinnedTable::create(path, pinned_shape(type, 4, value_size, max_entries, h->family, 7), h);
  }
  ~PinnedFile() { ::unlink(path.c_str()); }
  std::string check() const { return check_pinned_table(table->base(), table->shape()); }
};

std::vector<uint8_t> key(uint32_t i) {
  std::vector<uint8_t> k(4);
  std::memcpy(k.data(), &i, 4);
  return k;
}
std::vector<uint8_t> value(uint8_t fill, size_t n = 8) { return std::vector<uint8_t>(n, fill); }

TEST(PinnedTable, FlagsAndErrorsAsTheKernelHasThem) {
  PinnedFile f("flags", BpfType::kHash, 4);
  PinnedTable& t = *f.table;
  EXPECT_EQ(t.update(key(1).data(), value(1).data(), kBpfExist), BpfStatus::kNoEntry);
  EXPECT_EQ(t.update(key(1).data(), value(1).data(), kBpfNoExist), BpfStatus::kOk);
  EXPECT_EQ(t.update(key(1).data(), value(2).data(), kBpfNoExist), BpfStatus::kExists);
  EXPECT_EQ(t.update(key(1).data(), value(3).data(), kBpfExist), BpfStatus::kOk);
  for (uint32_t i = 2; i <= 4; ++i)
    EXPECT_EQ(t.update(key(i).data(), value(i).data(), kBpfAny), BpfStatus::kOk);
  EXPECT_EQ(t.update(key(5).data(), value(5).data(), kBpfAny), BpfStatus::kFull);
  EXPECT_EQ(t.update(key(4).data(), value(9).data(), kBpfAny), BpfStatus::kOk);  // present: fine
  std::vector<uint8_t> out(8);
  ASSERT_TRUE(t.lookup(key(1).data(), out.data()));
  EXPECT_EQ(out, value(3));
  EXPECT_EQ(t.erase(key(7).data()), BpfStatus::kNoEntry);
  EXPECT_EQ(t.erase(key(1).data()), BpfStatus::kOk);
  EXPECT_FALSE(t.lookup(key(1).data(), out.data()));
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(f.check(), "");
}

TEST(PinnedTable, TwoMappingsShareEntriesAndWalksVisitEachKeyOnce) {
  PinnedFile f("share", BpfType::kHash, 100);
  auto other = PinnedTable::open(f.path, best_hash());
  for (uint32_t i = 0; i < 100; ++i)
    ASSERT_EQ(f.table->update(key(i).data(), value(i & 0xff).data(), kBpfAny), BpfStatus::kOk);
  std::vector<uint8_t> out(8);
  for (uint32_t i = 0; i < 100; ++i) {
    ASSERT_TRUE(other->lookup(key(i).data(), out.data()));
    EXPECT_EQ(out, value(i & 0xff));
  }
  std::vector<bool> seen(100);
  std::vector<uint8_t> k(4), next(4);
  size_t n = 0;
  for (bool more = other->get_next_key(nullptr, next.data()); more;
       more = other->get_next_key(k.data(), next.data())) {
    k = next;
    uint32_t i;
    std::memcpy(&i, k.data(), 4);
    ASSERT_LT(i, 100u);
    EXPECT_FALSE(seen[i]);
    seen[i] = true;
    ++n;
  }
  EXPECT_EQ(n, 100u);
  std::vector<uint8_t> keys, values;
  uint64_t cursor = 0;
  size_t drained = 0;
  for (;;) {
    const BpfMap::BatchRead r = other->lookup_batch(cursor, 7, true, &keys, &values);
    ASSERT_EQ(r.status, BpfStatus::kOk);
    drained += r.count;
    if (r.done) break;
    cursor = r.next;
  }
  EXPECT_EQ(drained, 100u);
  EXPECT_EQ(f.table->size(), 0u);
  EXPECT_EQ(f.check(), "");
}

TEST(PinnedTable, LruEvictsExactlyOneForEachNewKeyOfAFullMap) {
  PinnedFile f("lru", BpfType::kLruHash, 16);
  std::vector<uint8_t> out(8);
  for (uint32_t i = 0; i < 16; ++i) f.table->update(key(i).data(), value(1).data(), kBpfAny);
  for (uint32_t i = 0; i < 8; ++i) f.table->lookup(key(i).data(), out.data());  // used
  for (uint32_t i = 100; i < 108; ++i) f.table->update(key(i).data(), value(2).data(), kBpfAny);
  EXPECT_EQ(f.table->size(), 16u);
  EXPECT_EQ(f.table->evictions(), 8u);
  for (uint32_t i = 0; i < 8; ++i) EXPECT_TRUE(f.table->lookup(key(i).data(), out.data())) << i;
  EXPECT_EQ(f.check(), "");
}

TEST(PinnedTable, HeaderChecksNameWhatIsWrong) {
  PinnedFile f("header", BpfType::kHash, 8);
  const PinnedShape& s = f.table->shape();
  std::vector<uint8_t> bytes(f.table->base(), f.table->base() + s.total_bytes);
  auto code = [&](std::vector<uint8_t> b, size_t size) -> std::string {
    try {
      check_pinned_header(b.data(), size);
    } catch (const PinError& e) {
      return e.code();
    }
    return "ok";
  };
  EXPECT_EQ(code(bytes, bytes.size()), "ok");
  EXPECT_EQ(code(bytes, 10), kPinTruncated);
  EXPECT_EQ(code(bytes, bytes.size() - 1), kPinTruncated);
  auto flipped = [&](size_t at) {
    std::vector<uint8_t> b = bytes;
    b[at] ^= 1;
    return b;
  };
  EXPECT_EQ(code(flipped(0), bytes.size()), kPinFormat);
  EXPECT_EQ(code(flipped(8), bytes.size()), kPinVersion);
  EXPECT_EQ(code(flipped(12), bytes.size()), kPinEndian);
  EXPECT_EQ(code(flipped(28), bytes.size()), kPinCorrupt);
}

// A child opens the file with the crash hook set, runs op and dies inside it.
template <class Op>
void die_inside(const std::string& path, const char* point, Op op) {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::setenv("TOPHASH_TEST_PIN_CRASH", point, 1);
    auto t = PinnedTable::open(path, best_hash());
    op(*t);
    std::_Exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << point;
  ASSERT_EQ(WTERMSIG(status), SIGKILL) << point;
}

struct CrashCase {
  const char* point;
  bool present_after;
};

class PinnedCrash : public ::testing::TestWithParam<CrashCase> {};

TEST_P(PinnedCrash, TheNextLockerRepairsAndNothingIsLost) {
  const CrashCase c = GetParam();
  PinnedFile f("crash", BpfType::kHash, 12);
  PinnedTable& t = *f.table;
  for (uint32_t i = 0; i < 6; ++i) t.update(key(i).data(), value(i).data(), kBpfAny);
  const std::string point = c.point;
  die_inside(f.path, c.point, [&](PinnedTable& child) {
    if (point == "delete-unlinked")
      child.erase(key(3).data());
    else if (point == "write-value")
      child.update(key(3).data(), value(99).data(), kBpfAny);
    else
      child.update(key(50).data(), value(50).data(), kBpfAny);
  });
  const uint32_t victim = point == "delete-unlinked" || point == "write-value" ? 3 : 50;
  std::vector<uint8_t> out(8);
  EXPECT_EQ(t.lookup(key(victim).data(), out.data()), c.present_after);  // repairs the bucket
  t.update(key(60).data(), value(60).data(), kBpfAny);  // takes the pool lock: repairs it
  EXPECT_EQ(f.check(), "");
  // Every record is accounted for: the table fills to exactly maxEntries.
  uint32_t added = 0;
  for (uint32_t i = 1000; t.update(key(i).data(), value(1).data(), kBpfNoExist) == BpfStatus::kOk;
       ++i)
    ++added;
  EXPECT_EQ(t.size(), 12u);
  EXPECT_EQ(f.check(), "");
  EXPECT_GT(added, 0u);
}

INSTANTIATE_TEST_SUITE_P(Points, PinnedCrash,
                         ::testing::Values(CrashCase{"insert-popped", false},
                                           CrashCase{"insert-linked", true},
                                           CrashCase{"pool-pop", false},
                                           CrashCase{"delete-unlinked", false},
                                           CrashCase{"write-value", false}),
                         [](const ::testing::TestParamInfo<CrashCase>& i) {
                           std::string n = i.param.point;
                           for (char& ch : n)
                             if (ch == '-') ch = '_';
                           return n;
                         });

}  // namespace
}  // namespace tophash::core
