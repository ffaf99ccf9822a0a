// read_in_slices: every slice once, in order, with its bytes in place,
// whether the reads take turns with the visits or run ahead on a second
// thread; and a failure on either side stops the other (this suite also runs
// under ThreadSanitizer).
#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "core/sliced_read.h"

namespace tophash::core {
namespace {

constexpr uint64_t kAlwaysAhead = 0;
constexpr uint64_t kNeverAhead = std::numeric_limits<uint64_t>::max();

std::vector<uint8_t> random_bytes(size_t n) {
  std::mt19937_64 rng(7);
  std::vector<uint8_t> bytes(n);
  for (auto& b : bytes) b = static_cast<uint8_t>(rng());
  return bytes;
}

// A source whose reads fail from a given offset on, as a file cut short would.
class FailingSource final : public SnapshotSource {
 public:
  FailingSource(const std::vector<uint8_t>& bytes, uint64_t fail_from)
      : bytes_(bytes), fail_from_(fail_from) {}
  uint64_t size() const override { return bytes_.size(); }
  void read(uint64_t offset, void* out, size_t n) override {
    if (offset + n > fail_from_) throw SnapshotError(kSnapshotTruncated, "cut short");
    std::memcpy(out, bytes_.data() + offset, n);
  }

 private:
  const std::vector<uint8_t>& bytes_;
  uint64_t fail_from_;
};

struct Visit {
  uint64_t at;
  size_t n;
};

void expect_every_slice_in_order(uint64_t read_ahead_from) {
  const auto file = random_bytes((5u << 20) + 4099);
  const uint64_t offset = 4099;  // the section starts past a header
  const uint64_t length = file.size() - offset;
  const size_t slice = (64u << 10) + 3;  // slices need not be pages
  MemorySource src(file.data(), file.size());
  std::vector<uint8_t> dst(length);
  std::vector<Visit> visits;
  read_in_slices(
      src, offset, dst.data(), length, slice,
      [&](uint64_t at, size_t n) {
        // The slice's bytes are in place when it is visited.
        ASSERT_EQ(std::memcmp(dst.data() + at, file.data() + offset + at, n), 0) << "at " << at;
        visits.push_back({at, n});
      },
      read_ahead_from);
  uint64_t next = 0;
  for (const Visit& v : visits) {
    EXPECT_EQ(v.at, next);
    EXPECT_EQ(v.n, std::min<uint64_t>(slice, length - v.at));
    next = v.at + v.n;
  }
  EXPECT_EQ(next, length);
  EXPECT_EQ(std::memcmp(dst.data(), file.data() + offset, length), 0);
}

TEST(SlicedRead, InTurnVisitsEverySliceInOrder) { expect_every_slice_in_order(kNeverAhead); }

TEST(SlicedRead, ReadAheadVisitsEverySliceInOrder) { expect_every_slice_in_order(kAlwaysAhead); }

TEST(SlicedRead, AVisitThatThrowsStopsTheReadsAndPropagates) {
  for (const uint64_t ahead : {kNeverAhead, kAlwaysAhead}) {
    const auto file = random_bytes(8u << 20);
    MemorySource src(file.data(), file.size());
    std::vector<uint8_t> dst(file.size());
    int visited = 0;
    EXPECT_THROW(read_in_slices(
                     src, 0, dst.data(), file.size(), 4096,
                     [&](uint64_t, size_t) {
                       if (++visited == 3) throw std::runtime_error("a bad bucket");
                     },
                     ahead),
                 std::runtime_error);
    EXPECT_EQ(visited, 3);
  }
}

TEST(SlicedRead, AFailedReadPropagatesInPlaceOfItsSlice) {
  for (const uint64_t ahead : {kNeverAhead, kAlwaysAhead}) {
    const auto file = random_bytes(1u << 20);
    const size_t slice = 4096;
    FailingSource src(file, 10 * slice + 1);  // slice 10 cannot be read
    std::vector<uint8_t> dst(file.size());
    uint64_t visited_to = 0;
    try {
      read_in_slices(
          src, 0, dst.data(), file.size(), slice,
          [&](uint64_t at, size_t n) { visited_to = at + n; }, ahead);
      ADD_FAILURE() << "a failed read went unnoticed";
    } catch (const SnapshotError& e) {
      EXPECT_STREQ(e.code(), kSnapshotTruncated);
    }
    EXPECT_EQ(visited_to, 10 * slice) << "every slice before the failed one, and none after";
  }
}

TEST(SlicedRead, ShortSectionsAndEmptyOnesWork) {
  const auto file = random_bytes(100);
  MemorySource src(file.data(), file.size());
  std::vector<uint8_t> dst(file.size());
  int visits = 0;
  read_in_slices(
      src, 0, dst.data(), 0, 64, [&](uint64_t, size_t) { ++visits; }, kAlwaysAhead);
  EXPECT_EQ(visits, 0);
  read_in_slices(
      src, 0, dst.data(), 100, 64, [&](uint64_t, size_t) { ++visits; }, kAlwaysAhead);
  EXPECT_EQ(visits, 2);
  EXPECT_EQ(dst, file);
}

}  // namespace
}  // namespace tophash::core
