// Aggregator snapshots (core/aggregator_snapshot.h): for u64 and byte keys
// and each histogram kind, a restored aggregator visits the same entries in
// the same order with the same rows and counters, passes the invariant
// check, and after the same later events still agrees (but for 'lru', whose
// reference bytes are not kept); every byte of a
// snapshot is covered by a check; options that disagree are refused.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "core/aggregator.h"
#include "core/aggregator_snapshot.h"
#include "core/snapshot_reader.h"
#include "core/snapshot_writer.h"
#include "cpu/cpu_registry.h"
#include "test/snapshot_test_util.h"

namespace tophash::core {
namespace {

using test::snapshot_of;

std::unique_ptr<Aggregator> make(const AggOptions& o, uint64_t seed) {
  std::string e;
  return make_aggregator(o, cpu::select_match(nullptr, &e), cpu::select_hash(nullptr, &e), seed);
}

// Events for keys from..from+n: u64 keys i * 7919, byte keys "k<i % 97>" of
// growing length.
void record(Aggregator& a, uint32_t from, uint32_t n) {
  std::vector<uint64_t> u64;
  std::string bytes;
  std::vector<uint32_t> offsets{0}, ids;
  std::vector<double> values;
  for (uint32_t i = from; i < from + n; ++i) {
    u64.push_back(uint64_t{i % 300} * 7919);
    bytes += "k" + std::to_string(i % 97) + std::string(i % 23, 'x');
    offsets.push_back(static_cast<uint32_t>(bytes.size()));
    ids.push_back(kKeyedEvent | (i - from));
    values.push_back((i * 37) % 150);
  }
  StagedKeys s;
  s.count = n;
  if (a.options().key_kind == AggKeyKind::kU64) {
    s.u64 = u64.data();
  } else {
    s.bytes = reinterpret_cast<const uint8_t*>(bytes.data());
    s.offsets = offsets.data();
  }
  a.apply(ids.data(), values.data(), n, s);
}

// Every entry in visit order: key, then row.
std::vector<std::string> dump(const Aggregator& a) {
  std::vector<std::string> out;
  a.visit_entries([&](const EntryView& e) {
    std::string s = e.bytes != nullptr ? std::string(reinterpret_cast<const char*>(e.bytes), e.len)
                                       : std::to_string(e.u64);
    for (size_t i = 0; i < a.stride(); ++i) s += " " + std::to_string(e.row[i]);
    out.push_back(s);
  });
  const AggStats st = a.stats();
  out.push_back(std::to_string(st.events) + "/" + std::to_string(st.dropped) + "/" +
                std::to_string(st.evicted) + "/" + std::to_string(st.overflow_events));
  return out;
}

void restore(Aggregator& into, const std::vector<uint8_t>& bytes) {
  MemorySource src(bytes.data(), bytes.size());
  into.restore_snapshot(src, read_snapshot_header(src), nullptr);
}

std::vector<AggOptions> cases() {
  std::vector<AggOptions> out;
  for (AggKeyKind kind : {AggKeyKind::kU64, AggKeyKind::kBytes}) {
    for (HistSpec h : {HistSpec{}, HistSpec::log2(1), HistSpec::linear(0, 100, 10),
                       HistSpec::buckets({0.5, 5, 50})}) {
      for (OnFull full : {OnFull::kDrop, OnFull::kLru, OnFull::kOverflow}) {
        AggOptions o;
        o.key_kind = kind;
        o.hist = h;
        o.on_full = full;
        o.max_entries = full == OnFull::kDrop ? 1000 : 60;
        out.push_back(o);
      }
    }
  }
  return out;
}

TEST(AggregatorSnapshot, ARestoredAggregatorVisitsAndAgreesAsTheSavedOne) {
  for (const AggOptions& o : cases()) {
    SCOPED_TRACE(std::to_string(static_cast<int>(o.key_kind)) + "/" +
                 std::to_string(static_cast<int>(o.hist.kind)) + "/" +
                 std::to_string(static_cast<int>(o.on_full)));
    auto a = make(o, 41);
    record(*a, 0, 700);
    const auto bytes = snapshot_of(*a, "{}");
    auto b = make(o, 5);  // another seed: the file's wins
    restore(*b, bytes);
    ASSERT_EQ(b->check_invariants(), "");
    ASSERT_EQ(dump(*b), dump(*a));
    record(*a, 700, 300);
    record(*b, 700, 300);
    // 'lru' restarts with every row unreferenced (not kept), so its later
    // victims may differ; the others agree entry for entry.
    if (o.on_full != OnFull::kLru) {
      ASSERT_EQ(dump(*b), dump(*a));
    }
    ASSERT_EQ(b->size(), a->size());
    ASSERT_EQ(b->check_invariants(), "");
  }
}

TEST(AggregatorSnapshot, EveryByteIsCoveredAndOptionsMustAgree) {
  AggOptions o;
  o.key_kind = AggKeyKind::kBytes;
  o.hist = HistSpec::log2(0);
  auto a = make(o, 1);
  record(*a, 0, 5);
  auto bytes = snapshot_of(*a, "{\"opaque\":1}");
  for (size_t at = 0; at < bytes.size(); ++at) {
    bytes[at] ^= 0x04;
    auto b = make(o, 1);
    EXPECT_THROW(restore(*b, bytes), SnapshotError) << "a flip at offset " << at;
    bytes[at] ^= 0x04;
  }
  AggOptions other = o;
  other.hist = HistSpec::log2(1);
  auto c = make(other, 1);
  try {
    restore(*c, bytes);
    ADD_FAILURE() << "restored into an aggregator of other options";
  } catch (const SnapshotError& e) {
    EXPECT_STREQ(e.code(), kSnapshotCorrupt);
  }
  auto d = make(o, 1);
  restore(*d, bytes);
  EXPECT_EQ(dump(*d), dump(*a));
}

}  // namespace
}  // namespace tophash::core
