// The shared segment: its header's checks name what is wrong, snapshots
// published by several owners merge into one view, a closed owner's shard is
// adopted with its data counted once, and hostile snapshots are refused.
// Runs on a real POSIX shared-memory segment with a name unique to the test.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "core/aggregator.h"
#include "core/shared_segment.h"
#include "cpu/cpu_registry.h"

namespace tophash::core {
namespace {

AggOptions spec(AggKeyKind kind = AggKeyKind::kBytes, HistSpec hist = HistSpec::log2(0)) {
  AggOptions o;
  o.key_kind = kind;
  o.hist = std::move(hist);
  return o;
}

std::unique_ptr<Aggregator> engine(const AggOptions& o) {
  std::string e;
  return make_aggregator(o, cpu::select_match(nullptr, &e), cpu::select_hash(nullptr, &e), 9);
}

struct Key {
  std::string text;
  uint32_t offsets[2];
  StagedKeys staged;
  explicit Key(std::string t) : text(std::move(t)), offsets{0, static_cast<uint32_t>(text.size())} {
    staged.bytes = reinterpret_cast<const uint8_t*>(text.data());
    staged.offsets = offsets;
    staged.count = 1;
  }
};

void record(Aggregator& a, const std::string& key, double v) {
  Key k(key);
  const uint32_t id = kKeyedEvent;
  a.apply(&id, &v, 1, k.staged);
}

const double* row(const Aggregator& a, const std::string& key) { return a.find(Key(key).staged); }

class SegmentTest : public testing::Test {
 protected:
  void SetUp() override {
    name_ = "/tophash-test-" + std::to_string(::getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name();
    SharedSegment::unlink(name_);
  }
  void TearDown() override { SharedSegment::unlink(name_); }
  std::string name_;
};

const char* code_of(const std::vector<uint8_t>& header, size_t file_bytes, const AggOptions& o) {
  try {
    check_segment_header(header.data(), file_bytes, o, SegmentGeometry{});
  } catch (const SegmentError& e) {
    return e.code();
  }
  return "ok";
}

TEST(SegmentHeader, EachDamageIsNamed) {
  const AggOptions o = spec();
  SegmentGeometry g;
  g.shards = 2;
  g.shard_bytes = 8192;
  std::vector<uint8_t> good(kSegmentHeaderBytes);
  write_segment_header(good.data(), o, g);
  const uint32_t ready = 1;
  std::memcpy(good.data() + 16, &ready, 4);
  const size_t size = kSegmentHeaderBytes + 2 * 8192;
  EXPECT_STREQ(code_of(good, size, o), "ok");
  EXPECT_STREQ(code_of(good, size - 1, o), kSegmentTruncated);
  EXPECT_STREQ(code_of(good, 100, o), kSegmentTruncated);
  auto bad = good;
  bad[0] = 'X';
  EXPECT_STREQ(code_of(bad, size, o), kSegmentCorrupt);
  bad = good;
  bad[8] = 2;  // layout version
  EXPECT_STREQ(code_of(bad, size, o), kSegmentVersion);
  bad = good;
  bad[60] ^= 1;  // the shard count, under the checksum
  EXPECT_STREQ(code_of(bad, size, o), kSegmentCorrupt);
  bad = good;
  std::memset(bad.data() + 16, 0, 4);  // never made ready
  EXPECT_STREQ(code_of(bad, size, o), kSegmentCorrupt);
  EXPECT_STREQ(code_of(good, size, spec(AggKeyKind::kU64)), kSegmentSpec);
  EXPECT_STREQ(code_of(good, size, spec(AggKeyKind::kBytes, HistSpec::log2(1))), kSegmentSpec);
  EXPECT_STREQ(code_of(good, size, spec(AggKeyKind::kBytes, HistSpec())), kSegmentSpec);
  try {
    check_segment_header(good.data(), size, spec(AggKeyKind::kU64), g);
  } catch (const SegmentError& e) {
    EXPECT_NE(std::string(e.what()).find("key kind differs"), std::string::npos) << e.what();
  }
}

TEST_F(SegmentTest, OwnersPublishAndAnyReaderMergesThemAll) {
  const AggOptions o = spec();
  auto a = engine(o), b = engine(o);
  auto seg_a = SharedSegment::open(name_, o, SegmentGeometry{}, *a);
  auto seg_b = SharedSegment::open(name_, o, SegmentGeometry{}, *b);
  EXPECT_NE(seg_a->shard(), seg_b->shard());
  for (int i = 0; i < 100; ++i) record(*a, "x", i);
  record(*b, "x", 1000);
  record(*b, "y", 5);
  seg_a->publish(*a);
  seg_b->publish(*b);
  auto view = engine(o);
  seg_a->merge_into(*view);
  ASSERT_NE(row(*view, "x"), nullptr);
  EXPECT_EQ(row(*view, "x")[0], 101);
  EXPECT_EQ(row(*view, "x")[1], 4950 + 1000);
  EXPECT_EQ(row(*view, "x")[2], 0);
  EXPECT_EQ(row(*view, "x")[3], 1000);
  EXPECT_EQ(row(*view, "y")[0], 1);
  // Publishing again replaces, never adds.
  seg_a->publish(*a);
  seg_a->publish(*a);
  auto again = engine(o);
  seg_b->merge_into(*again);
  EXPECT_EQ(row(*again, "x")[0], 101);
}

TEST_F(SegmentTest, AClosedOwnersShardIsAdoptedWithItsDataCountedOnce) {
  const AggOptions o = spec();
  auto a = engine(o);
  auto seg_a = SharedSegment::open(name_, o, SegmentGeometry{}, *a);
  record(*a, "kept", 7);
  seg_a->close(*a);
  const uint32_t shard = seg_a->shard();
  seg_a.reset();
  auto c = engine(o);
  auto seg_c = SharedSegment::open(name_, o, SegmentGeometry{}, *c);
  EXPECT_EQ(seg_c->shard(), shard);
  ASSERT_NE(row(*c, "kept"), nullptr);  // merged into the adopter's engine
  record(*c, "kept", 3);
  seg_c->publish(*c);
  auto view = engine(o);
  seg_c->merge_into(*view);
  EXPECT_EQ(row(*view, "kept")[0], 2);
  EXPECT_EQ(row(*view, "kept")[1], 10);
}

TEST_F(SegmentTest, OpeningWithAnotherSpecIsRefused) {
  auto a = engine(spec());
  auto seg = SharedSegment::open(name_, spec(), SegmentGeometry{}, *a);
  auto b = engine(spec(AggKeyKind::kU64));
  try {
    SharedSegment::open(name_, spec(AggKeyKind::kU64), SegmentGeometry{}, *b);
    FAIL() << "opened with another key kind";
  } catch (const SegmentError& e) {
    EXPECT_STREQ(e.code(), kSegmentSpec);
  }
}

TEST_F(SegmentTest, ASnapshotTooBigForTheShardIsENOSPC) {
  const AggOptions o = spec();
  SegmentGeometry g;
  g.shards = 1;
  g.shard_bytes = 4096;
  auto a = engine(o);
  auto seg = SharedSegment::open(name_, o, g, *a);
  for (int i = 0; i < 200; ++i) record(*a, "key-" + std::to_string(i), 1);
  try {
    seg->publish(*a);
    FAIL() << "published more than fits";
  } catch (const SegmentError& e) {
    EXPECT_STREQ(e.code(), "ENOSPC");
  }
  // Every shard taken by a live owner: the next opener is refused.
  auto b = engine(o);
  try {
    SharedSegment::open(name_, o, g, *b);
    FAIL() << "claimed a shard that was not free";
  } catch (const SegmentError& e) {
    EXPECT_STREQ(e.code(), "ENOSPC");
  }
}

TEST(SegmentSnapshot, InconsistentSnapshotsAreRefusedWhole) {
  const AggOptions o = spec();
  auto view = engine(o);
  std::vector<uint8_t> buf(4096, 0);
  const uint64_t count = 2, key_bytes = 3;
  std::memcpy(buf.data() + 8, &count, 8);
  std::memcpy(buf.data() + 16, &key_bytes, 8);
  const uint32_t offsets[3] = {0, 2, 3};
  std::memcpy(buf.data() + 32, offsets, sizeof offsets);
  std::memcpy(buf.data() + 44, "abc", 3);
  double r[2][4 + 65] = {};
  r[0][0] = 1;
  r[0][4 + 1] = 1;
  r[1][0] = 2;
  r[1][4 + 1] = 2;
  // Rows follow the offsets (12 bytes) and key bytes (3), rounded up to 8: 16.
  std::memcpy(buf.data() + 32 + 16, r, sizeof r);
  EXPECT_TRUE(merge_snapshot(buf.data(), buf.size(), *view));
  EXPECT_EQ(view->size(), 2u);
  auto bad = buf;
  const uint32_t backwards[3] = {0, 3, 2};
  std::memcpy(bad.data() + 32, backwards, sizeof backwards);
  auto v2 = engine(o);
  EXPECT_FALSE(merge_snapshot(bad.data(), bad.size(), *v2));
  EXPECT_EQ(v2->size(), 0u);
  bad = buf;
  const double nan = std::nan("");
  std::memcpy(bad.data() + 32 + 16 + 8, &nan, 8);  // first row's sum
  EXPECT_FALSE(merge_snapshot(bad.data(), bad.size(), *v2));
  EXPECT_EQ(v2->size(), 0u);
  const uint64_t huge = uint64_t{1} << 60;
  bad = buf;
  std::memcpy(bad.data() + 8, &huge, 8);
  EXPECT_FALSE(merge_snapshot(bad.data(), bad.size(), *v2));
}

}  // namespace
}  // namespace tophash::core
