// The aggregator engine: bucket math against bpftrace's algorithms written out
// literally, and aggregation (keyed events and handles) against a std::map
// oracle, including the maxEntries bound, eviction, drains and clear.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "core/aggregator.h"
#include "core/histogram.h"
#include "cpu/cpu_registry.h"
#include "test/alloc_failure.h"
#include "test/kernel_pairs.h"

namespace tophash::core {
namespace {

// bpftrace's log2(n, k) (codegen_llvm.cpp createLog2Function) on int64.
uint32_t reference_log2(int64_t n, unsigned k) {
  if (n < 0) return 0;
  const uint64_t mask = (uint64_t{1} << k) - 1;
  if (static_cast<uint64_t>(n) <= mask) return static_cast<uint32_t>(n + 1);
  uint64_t m = static_cast<uint64_t>(n), l = 0;
  for (int i = 5; i >= 0; i--) {
    const uint64_t threshold = uint64_t{1} << (1u << i);
    const uint64_t shift = (m >= threshold ? 1u : 0u) << i;
    m >>= shift;
    l += shift;
  }
  l -= k;
  const uint64_t x = (static_cast<uint64_t>(n) >> l) & mask;
  return static_cast<uint32_t>(((l + 1) << k) + x + 1);
}

// bpftrace's lhist (createLinearFunction).
uint32_t reference_linear(int64_t n, int64_t min, int64_t max, int64_t step) {
  if (n < min) return 0;
  if (n > max) return static_cast<uint32_t>((max - min) / step + 1);
  return static_cast<uint32_t>((n - min) / step + 1);
}

TEST(HistogramMath, Log2MatchesBpftraceOnEdgesAndRandomValues) {
  std::mt19937_64 rng(7);
  for (unsigned k = 0; k <= kMaxLog2K; ++k) {
    const HistSpec spec = HistSpec::log2(k);
    for (int p = 0; p < 63; ++p) {
      const int64_t b = int64_t{1} << p;
      for (int64_t n : {b - 1, b, b + 1, 3 * (b / 2)}) {
        // Past 2^53 the double is the nearest representable value: bucket that.
        const double d = static_cast<double>(n);
        const int64_t exact = d >= 9223372036854775808.0 ? INT64_MAX : static_cast<int64_t>(d);
        ASSERT_EQ(log2_bucket(d, k), reference_log2(exact, k)) << "k=" << k << " n=" << n;
        ASSERT_LT(log2_bucket(d, k), spec.size());
      }
    }
    for (int i = 0; i < 20000; ++i) {
      const int64_t n = static_cast<int64_t>(rng() >> (rng() % 64)) - 1000;
      if (std::fabs(static_cast<double>(n)) >= 9007199254740992.0) continue;
      ASSERT_EQ(log2_bucket(static_cast<double>(n), k), reference_log2(n, k)) << n;
      // A fraction lands where its floor does.
      ASSERT_EQ(log2_bucket(static_cast<double>(n) + 0.5, k), reference_log2(n, k)) << n;
    }
    EXPECT_EQ(log2_bucket(-0.5, k), 0u);
    EXPECT_EQ(log2_bucket(-1e300, k), 0u);
    EXPECT_EQ(log2_bucket(9223372036854775808.0, k), spec.size() - 1);
    EXPECT_EQ(log2_bucket(1e300, k), spec.size() - 1);
  }
}

TEST(HistogramMath, LinearMatchesBpftrace) {
  std::mt19937_64 rng(8);
  for (int t = 0; t < 300; ++t) {
    const int64_t min = static_cast<int64_t>(rng() % 2000) - 1000;
    const int64_t step = 1 + static_cast<int64_t>(rng() % 50);
    const int64_t max = min + step * (1 + static_cast<int64_t>(rng() % 40)) +
                        static_cast<int64_t>(rng() % static_cast<uint64_t>(step));
    const HistSpec spec = HistSpec::linear(min, max, step);
    for (int64_t n = min - 3 * step; n <= max + 3 * step; ++n) {
      const uint32_t want = reference_linear(n, min, max, step);
      ASSERT_EQ(linear_bucket(static_cast<double>(n), min, max, step), want) << n;
      ASSERT_EQ(linear_bucket(static_cast<double>(n) + 0.25, min, max, step), want) << n;
      ASSERT_LT(want, spec.size());
    }
  }
}

TEST(HistogramMath, LeBucketsAreUpperInclusiveForShortAndLongLists) {
  for (size_t n : {size_t{1}, size_t{5}, size_t{32}, size_t{33}, size_t{200}}) {
    std::vector<double> bounds;
    for (size_t i = 0; i < n; ++i) bounds.push_back(static_cast<double>(i) * 1.5 - 10);
    for (double v = -12; v < static_cast<double>(n) * 1.5; v += 0.25) {
      uint32_t want = 0;
      for (double b : bounds) want += b < v;
      ASSERT_EQ(le_bucket(v, bounds.data(), n), want) << "n=" << n << " v=" << v;
    }
  }
}

struct Oracle {
  double count = 0, sum = 0, min = INFINITY, max = -INFINITY;
  std::vector<double> hist;
};

class AggregatorTest : public testing::Test {
 protected:
  std::unique_ptr<Aggregator> make(AggOptions o) {
    std::string e;
    return make_aggregator(o, cpu::select_match(nullptr, &e), cpu::select_hash(nullptr, &e), 3);
  }
  static StagedKeys one(const uint64_t& k) {
    StagedKeys s;
    s.u64 = &k;
    s.count = 1;
    return s;
  }
  // One event of value i for each key i * 2654435761, i < n.
  static void apply_spread(Aggregator& a, uint32_t n) {
    std::vector<uint64_t> keys;
    std::vector<uint32_t> ids;
    std::vector<double> values;
    for (uint32_t i = 0; i < n; ++i) {
      keys.push_back(i * uint64_t{2654435761u});
      ids.push_back(kKeyedEvent | i);
      values.push_back(i);
    }
    StagedKeys s;
    s.u64 = keys.data();
    s.count = keys.size();
    a.apply(ids.data(), values.data(), ids.size(), s);
  }
  static std::map<uint64_t, std::vector<double>> all_u64(Aggregator& a) {
    EXPECT_EQ(a.check_invariants(), "");
    ScanOut out;
    uint64_t next = 0;
    EXPECT_EQ(a.scan(0, SIZE_MAX, false, &out, &next), ScanStatus::kOk);
    EXPECT_EQ(next, 0u);
    std::map<uint64_t, std::vector<double>> m;
    for (size_t i = 0; i < out.count; ++i) {
      m[out.u64_keys[i]] = std::vector<double>(out.rows.begin() + i * a.stride(),
                                               out.rows.begin() + (i + 1) * a.stride());
    }
    return m;
  }
};

TEST_F(AggregatorTest, KeyedEventsAndHandlesMatchAnOracle) {
  std::mt19937_64 rng(9);
  for (HistSpec spec : {HistSpec{}, HistSpec::log2(1), HistSpec::linear(-10, 100, 7),
                        HistSpec::buckets({0, 1, 10, 100})}) {
    AggOptions o;
    o.hist = spec;
    auto a = make(o);
    std::vector<uint32_t> handles;
    for (uint64_t k = 0; k < 20; ++k) handles.push_back(a->add_handle(one(k)));
    std::map<uint64_t, Oracle> oracle;
    for (int batch = 0; batch < 50; ++batch) {
      std::vector<uint64_t> keys;
      std::vector<uint32_t> ids;
      std::vector<double> values;
      for (int i = 0; i < 200; ++i) {
        const uint64_t k = rng() % 40;
        const double v = static_cast<double>(static_cast<int64_t>(rng() % 4000) - 1000) / 8;
        if (k < 20 && rng() % 2 == 0) {
          ids.push_back(handles[k]);
        } else {
          ids.push_back(kKeyedEvent | static_cast<uint32_t>(keys.size()));
          keys.push_back(k);
        }
        values.push_back(v);
        Oracle& e = oracle[k];
        if (e.hist.empty()) e.hist.assign(spec.size(), 0);
        e.count += 1;
        e.sum += v;
        e.min = std::min(e.min, v);
        e.max = std::max(e.max, v);
        if (spec.size() > 0) e.hist[hist_index(spec, v)] += 1;
      }
      StagedKeys s;
      s.u64 = keys.data();
      s.count = keys.size();
      int why = 0;
      ASSERT_EQ(a->first_invalid_event(ids.data(), values.data(), ids.size(), s, &why), ids.size());
      a->apply(ids.data(), values.data(), ids.size(), s);
      ASSERT_EQ(a->check_invariants(), "");
    }
    auto got = all_u64(*a);
    ASSERT_EQ(got.size(), oracle.size());
    for (auto& [k, e] : oracle) {
      const std::vector<double>& r = got.at(k);
      EXPECT_EQ(r[0], e.count);
      EXPECT_EQ(r[1], e.sum);
      EXPECT_EQ(r[2], e.min);
      EXPECT_EQ(r[3], e.max);
      for (size_t b = 0; b < spec.size(); ++b) EXPECT_EQ(r[kRecordHeader + b], e.hist[b]);
    }
  }
}

TEST_F(AggregatorTest, RejectsBadIdsAndNonFiniteValues) {
  auto a = make(AggOptions{});
  const uint64_t k = 1;
  StagedKeys s = one(k);
  const uint32_t h = a->add_handle(s);
  const uint32_t ids[] = {h, kKeyedEvent | 0, kKeyedEvent | 1, h + 5};
  const double values[] = {1, 2, 3, 4};
  int why = -1;
  EXPECT_EQ(a->first_invalid_event(ids, values, 4, s, &why), 2u);
  EXPECT_EQ(why, 0);
  const double nan_values[] = {1, NAN};
  EXPECT_EQ(a->first_invalid_event(ids, nan_values, 2, s, &why), 1u);
  EXPECT_EQ(why, 1);
  EXPECT_TRUE(a->release_handle(h));
  EXPECT_FALSE(a->release_handle(h));
  EXPECT_EQ(a->first_invalid_event(ids, values, 1, s, &why), 0u);
}

TEST_F(AggregatorTest, DropCountsEveryEventOfANewKeyWhenFull) {
  AggOptions o;
  o.max_entries = 4;
  auto a = make(o);
  std::vector<uint64_t> keys;
  std::vector<uint32_t> ids;
  std::vector<double> values;
  for (uint64_t i = 0; i < 30; ++i) {
    keys.push_back(i % 10);
    ids.push_back(kKeyedEvent | static_cast<uint32_t>(i));
    values.push_back(1);
  }
  StagedKeys s;
  s.u64 = keys.data();
  s.count = keys.size();
  a->apply(ids.data(), values.data(), ids.size(), s);
  EXPECT_EQ(a->size(), 4u);
  EXPECT_EQ(a->stats().dropped, 18u);
  EXPECT_EQ(a->stats().events, 30u);
  auto got = all_u64(*a);
  for (uint64_t k = 0; k < 4; ++k) EXPECT_EQ(got.at(k)[0], 3);
}

// 'overflow' (maxSeries): events of keys new past the limit, keyed or through
// a handle, all land in the one overflow row, which is no key's and counted;
// the keys seen before keep theirs, and zero() and clear() reset it.
TEST_F(AggregatorTest, OverflowAggregatesNewKeysPastTheLimitIntoOneRow) {
  AggOptions o;
  o.max_entries = 2;
  o.on_full = OnFull::kOverflow;
  auto a = make(o);
  auto record = [&](uint64_t k, double v) {
    const uint32_t id = kKeyedEvent;
    a->apply(&id, &v, 1, one(k));
  };
  EXPECT_EQ(a->overflow_row(), nullptr);
  record(1, 10);
  record(2, 20);
  for (uint64_t k = 3; k < 100; ++k) record(k, 1);
  const uint64_t late = 500;
  const uint32_t h = a->add_handle(one(late));
  const double v = 5;
  a->apply(&h, &v, 1, StagedKeys{});
  a->apply(&h, &v, 1, StagedKeys{});
  record(1, 1);
  const auto all = all_u64(*a);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all.at(1)[0], 2);
  EXPECT_EQ(all.at(2)[0], 1);
  const double* over = a->overflow_row();
  ASSERT_NE(over, nullptr);
  EXPECT_EQ(over[0], 99);
  EXPECT_EQ(over[1], 97 + 10);
  EXPECT_EQ(a->stats().overflow_events, 99u);
  EXPECT_EQ(a->stats().dropped, 0u);
  // Room again: the handle's key gets its own row rather than staying on the overflow row.
  ASSERT_TRUE(a->erase(one(2)));
  a->apply(&h, &v, 1, StagedKeys{});
  EXPECT_EQ(all_u64(*a).at(late)[0], 1);
  a->zero();
  EXPECT_EQ(a->overflow_row(), nullptr);
  record(7, 1);
  EXPECT_NE(a->overflow_row(), nullptr);
  a->clear();
  EXPECT_EQ(a->overflow_row(), nullptr);
  record(8, 1);
  record(9, 1);
  record(10, 1);
  EXPECT_EQ(all_u64(*a).size(), 2u);
  EXPECT_EQ(a->overflow_row()[0], 1);
}

// zero() after a delete: the freed row is on the pool's free list, and
// zeroing it too would break the list, so two later keys shared a row.
TEST_F(AggregatorTest, ZeroKeepsFreedRowsFree) {
  auto a = make(AggOptions{});
  auto record = [&](uint64_t k, double v) {
    const uint32_t id = kKeyedEvent;
    a->apply(&id, &v, 1, one(k));
  };
  for (uint64_t k = 1; k <= 3; ++k) record(k, 10);
  ASSERT_TRUE(a->erase(one(2)));
  a->zero();
  record(4, 1);
  record(5, 1);
  record(5, 1);
  const auto all = all_u64(*a);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all.at(1)[0], 0);
  EXPECT_EQ(all.at(3)[0], 0);
  EXPECT_EQ(all.at(4)[0], 1);
  EXPECT_EQ(all.at(5)[0], 2);
}

TEST_F(AggregatorTest, HandlesReResolveAfterEvictionEraseDrainAndClear) {
  AggOptions o;
  o.max_entries = 3;
  o.on_full = OnFull::kLru;
  auto a = make(o);
  const uint64_t hk = 77;
  const uint32_t h = a->add_handle(one(hk));
  auto record_handle = [&](double v) {
    const uint32_t id = h;
    a->apply(&id, &v, 1, StagedKeys{});
  };
  auto record_key = [&](uint64_t k, double v) {
    const uint32_t id = kKeyedEvent;
    a->apply(&id, &v, 1, one(k));
  };
  record_handle(1);
  for (uint64_t k = 0; k < 10; ++k) record_key(k, 1);  // evicts 77 (seen once) early
  EXPECT_EQ(a->find(one(hk)), nullptr);
  EXPECT_LE(a->size(), 3u);
  record_handle(2);
  ASSERT_NE(a->find(one(hk)), nullptr);
  EXPECT_EQ(a->find(one(hk))[1], 2);
  EXPECT_TRUE(a->erase(one(hk)));
  record_handle(3);
  EXPECT_EQ(a->find(one(hk))[1], 3);
  ScanOut out;
  uint64_t next = 0;
  ASSERT_EQ(a->scan(0, SIZE_MAX, true, &out, &next), ScanStatus::kOk);
  EXPECT_EQ(a->size(), 0u);
  record_handle(4);
  EXPECT_EQ(a->find(one(hk))[1], 4);
  a->clear();
  EXPECT_EQ(a->find(one(hk)), nullptr);
  record_handle(5);
  EXPECT_EQ(a->find(one(hk))[0], 1);
  EXPECT_EQ(a->find(one(hk))[1], 5);
  a->zero();
  EXPECT_EQ(a->find(one(hk))[0], 0);
  EXPECT_TRUE(std::isinf(a->find(one(hk))[2]));
}

TEST_F(AggregatorTest, ScanReturnsWholeGroupsAndDrainsExactlyWhatItReturned) {
  auto a = make(AggOptions{});
  apply_spread(*a, 5000);
  std::map<uint64_t, int> seen;
  uint64_t cursor = 0;
  size_t batches = 0;
  do {
    ScanOut out;
    uint64_t next = 0;
    const size_t before = a->size();
    ASSERT_EQ(a->scan(cursor, 100, true, &out, &next), ScanStatus::kOk);
    ASSERT_LE(out.count, 100u);
    ASSERT_EQ(a->size(), before - out.count);
    for (size_t i = 0; i < out.count; ++i) {
      ++seen[out.u64_keys[i]];
      ASSERT_EQ(out.rows[i * a->stride() + 1], out.rows[i * a->stride() + 2]);  // one event each
    }
    cursor = next;
    ++batches;
  } while (cursor != 0);
  EXPECT_EQ(seen.size(), 5000u);
  for (auto& [k, n] : seen) EXPECT_EQ(n, 1) << k;
  EXPECT_EQ(a->size(), 0u);
  EXPECT_GT(batches, 50u);
}

// Memory runs out at every allocation of a draining scan in turn, on a table
// caught mid-growth (so erases evacuate): an entry is either returned or
// still in the map, never lost, and a scan that throws leaves the map as it was.
TEST_F(AggregatorTest, DrainThatRunsOutOfMemoryLosesNothing) {
  // 3329 keys start the growth from 512 buckets; a few more leave it running.
  bool completed = false;
  for (size_t nth = 1; !completed; ++nth) {
    SCOPED_TRACE("allocation " + std::to_string(nth));
    auto a = make(AggOptions{});
    apply_spread(*a, 3340);
    const auto before = all_u64(*a);
    ScanOut out;
    uint64_t next = 0;
    bool threw = false;
    {
      test::FailAllocation fail(nth);
      try {
        a->scan(0, 2000, true, &out, &next);
      } catch (const std::bad_alloc&) {
        threw = true;
      }
      completed = !fail.fired();
    }
    auto rest = all_u64(*a);
    if (threw) {
      ASSERT_EQ(rest, before);
      continue;
    }
    ASSERT_EQ(out.u64_keys.size(), out.count);
    for (size_t i = 0; i < out.count; ++i) {
      ASSERT_TRUE(rest.emplace(out.u64_keys[i],
                               std::vector<double>(out.rows.begin() + i * a->stride(),
                                                   out.rows.begin() + (i + 1) * a->stride()))
                      .second);
    }
    ASSERT_EQ(rest, before);
  }
}

TEST_F(AggregatorTest, ScanReportsNoSpaceWithTheCursorUnchanged) {
  auto a = make(AggOptions{});
  std::vector<uint64_t> keys(8);
  std::vector<uint32_t> ids(8);
  std::vector<double> values(8, 1);
  for (uint32_t i = 0; i < 8; ++i) {
    keys[i] = i;
    ids[i] = kKeyedEvent | i;
  }
  StagedKeys s;
  s.u64 = keys.data();
  s.count = 8;
  a->apply(ids.data(), values.data(), 8, s);
  // 8 keys in a fresh table (B = 0): one bucket group of 8.
  ScanOut out;
  uint64_t next = 123;
  EXPECT_EQ(a->scan(0, 7, false, &out, &next), ScanStatus::kNoSpace);
  EXPECT_EQ(next, 0u);
  EXPECT_EQ(out.count, 0u);
  EXPECT_EQ(a->scan(0, 8, false, &out, &next), ScanStatus::kOk);
  EXPECT_EQ(out.count, 8u);
}

TEST_F(AggregatorTest, ByteKeysAggregateAndDrain) {
  AggOptions o;
  o.key_kind = AggKeyKind::kBytes;
  o.hist = HistSpec::log2(0);
  auto a = make(o);
  const std::string names[] = {"", "a", "a-much-longer-key-than-fifteen-bytes", "b"};
  std::vector<uint8_t> bytes;
  std::vector<uint32_t> offsets{0};
  std::vector<uint32_t> ids;
  std::vector<double> values;
  std::map<std::string, double> counts;
  for (int i = 0; i < 100; ++i) {
    const std::string& n = names[i % 4];
    bytes.insert(bytes.end(), n.begin(), n.end());
    offsets.push_back(static_cast<uint32_t>(bytes.size()));
    ids.push_back(kKeyedEvent | static_cast<uint32_t>(i));
    values.push_back(i);
    counts[n] += 1;
  }
  StagedKeys s;
  s.bytes = bytes.data();
  s.offsets = offsets.data();
  s.count = 100;
  const uint32_t h = a->add_handle([&] {
    StagedKeys k;
    k.bytes = reinterpret_cast<const uint8_t*>(names[2].data());
    static uint32_t off[2];
    off[0] = 0;
    off[1] = static_cast<uint32_t>(names[2].size());
    k.offsets = off;
    k.count = 1;
    return k;
  }());
  ids.push_back(h);
  values.push_back(1000);
  counts[names[2]] += 1;
  a->apply(ids.data(), values.data(), ids.size(), s);
  ScanOut out;
  uint64_t next = 0;
  ASSERT_EQ(a->scan(0, SIZE_MAX, true, &out, &next), ScanStatus::kOk);
  ASSERT_EQ(out.count, 4u);
  for (size_t i = 0; i < out.count; ++i) {
    const std::string k(out.key_bytes.begin() + out.key_offsets[i],
                        out.key_bytes.begin() + out.key_offsets[i + 1]);
    EXPECT_EQ(out.rows[i * a->stride()], counts.at(k)) << k;
  }
  EXPECT_EQ(a->size(), 0u);
}

TEST_F(AggregatorTest, VisitsEveryEntryAndHandlesWithTheirCurrentRows) {
  auto a = make(AggOptions{});
  const uint64_t hk = 5, other = 6;
  const uint32_t h = a->add_handle(one(hk));
  const uint32_t unused = a->add_handle(one(other));
  auto record_key = [&](uint64_t k, double v) {
    const uint32_t id = kKeyedEvent;
    a->apply(&id, &v, 1, one(k));
  };
  for (uint64_t k = 0; k < 40; ++k) record_key(k, static_cast<double>(k));
  std::map<uint64_t, double> seen;
  a->visit_entries([&](const EntryView& e) { seen[e.u64] += e.row[1]; });
  std::map<uint64_t, double> want;
  for (uint64_t k = 0; k < 40; ++k) want[k] = static_cast<double>(k);
  EXPECT_EQ(seen, want);
  const uint32_t ids[] = {unused, h, h};
  EXPECT_EQ(a->first_dead_handle(ids, 3), 3u);
  const uint32_t dead[] = {h, 999};
  EXPECT_EQ(a->first_dead_handle(dead, 2), 1u);
  // The handle never recorded, yet its key was inserted by key: found by lookup.
  std::vector<std::pair<uint64_t, double>> rows;
  a->visit_handles(ids, 3, [&](const EntryView& e) {
    rows.emplace_back(e.u64, e.row == nullptr ? -1 : e.row[1]);
  });
  EXPECT_EQ(rows, (std::vector<std::pair<uint64_t, double>>{{6, 6}, {5, 5}, {5, 5}}));
  EXPECT_TRUE(a->erase(one(hk)));
  rows.clear();
  a->visit_handles(ids + 1, 1, [&](const EntryView& e) {
    rows.emplace_back(e.u64, e.row == nullptr ? -1 : e.row[1]);
  });
  EXPECT_EQ(rows, (std::vector<std::pair<uint64_t, double>>{{5, -1}}));
}

// Every kernel pair: the engine uses (and reports) the kernels it was given,
// and byte and u64 keys aggregate alike under each.
class AggregatorKernelTest : public testing::TestWithParam<test::KernelPair> {};

TEST_P(AggregatorKernelTest, ReportsAndUsesTheGivenKernels) {
  const test::KernelPair& kp = GetParam();
  for (AggKeyKind kind : {AggKeyKind::kU64, AggKeyKind::kBytes}) {
    AggOptions o;
    o.key_kind = kind;
    auto a = make_aggregator(o, kp.match, kp.hash, 11);
    EXPECT_STREQ(a->match_name(), kp.match->name);
    EXPECT_STREQ(a->hash_name(), kp.hash->name);
    std::vector<uint64_t> u64;
    std::string bytes;
    std::vector<uint32_t> offsets{0}, ids;
    std::vector<double> values;
    for (uint32_t i = 0; i < 2000; ++i) {
      u64.push_back(i % 300);
      bytes += "k" + std::to_string(i % 300);
      offsets.push_back(static_cast<uint32_t>(bytes.size()));
      ids.push_back(kKeyedEvent | i);
      values.push_back(1);
    }
    StagedKeys s;
    s.count = ids.size();
    if (kind == AggKeyKind::kU64) {
      s.u64 = u64.data();
    } else {
      s.bytes = reinterpret_cast<const uint8_t*>(bytes.data());
      s.offsets = offsets.data();
    }
    a->apply(ids.data(), values.data(), ids.size(), s);
    EXPECT_EQ(a->size(), 300u);
    double total = 0;
    a->visit_entries([&](const EntryView& e) { total += e.row[0]; });
    EXPECT_EQ(total, 2000);
  }
}

INSTANTIATE_TEST_SUITE_P(AllKernels, AggregatorKernelTest,
                         testing::ValuesIn(test::supported_pairs()), test::pair_name);

}  // namespace
}  // namespace tophash::core
