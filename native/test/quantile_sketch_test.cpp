// The Summary's sketch: every quantile within the stated relative error of
// the exact order statistic on several distributions (negative values and
// zeros included, and the whole double range), merge equal to the sketch of
// the union, an empty sketch; then the sliding window and the slot table.
#include "core/quantile_sketch.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "core/sketch_window.h"
#include "core/summary_windows.h"

namespace tophash::core {
namespace {

constexpr double kA = QuantileSketch::kRelativeError;
const std::vector<double> kQs = {0,    0.001, 0.01, 0.05, 0.1,   0.25, 0.5,
                                 0.75, 0.9,   0.95, 0.99, 0.999, 1};

// Checks every q against the exact value of rank floor(q (n - 1)).
void expect_within_bound(std::vector<double> values, const char* what) {
  QuantileSketch s;
  for (double v : values) s.add(v);
  std::sort(values.begin(), values.end());
  ASSERT_EQ(s.count(), values.size());
  for (double q : kQs) {
    const double exact =
        values[static_cast<size_t>(std::floor(q * static_cast<double>(values.size() - 1)))];
    const double got = s.quantile(q);
    // A hair over a for the rounding of log() at a bucket's edge.
    EXPECT_LE(std::fabs(got - exact), kA * (1 + 1e-9) * std::fabs(exact))
        << what << ": q=" << q << " got " << got << " exact " << exact;
    if (exact == 0) {
      EXPECT_EQ(got, 0) << what << ": q=" << q;
    }
  }
}

TEST(QuantileSketch, EveryQuantileWithinTheRelativeErrorOnSeveralDistributions) {
  std::mt19937_64 rng(42);
  std::vector<double> uniform, lognormal, mixed, wide, negative;
  std::uniform_real_distribution<double> u(0, 1000);
  std::lognormal_distribution<double> ln(std::log(0.05), 1.5);
  std::exponential_distribution<double> ex(3);
  std::uniform_real_distribution<double> exponent(-300, 300);
  for (int i = 0; i < 50000; ++i) {
    uniform.push_back(u(rng));
    lognormal.push_back(ln(rng));
    // Negative values, zeros and positives together.
    mixed.push_back(i % 10 == 0 ? 0 : i % 3 == 0 ? -ex(rng) : ln(rng));
    wide.push_back((i % 2 ? 1 : -1) * std::pow(10.0, exponent(rng)));
    negative.push_back(-ln(rng));
  }
  expect_within_bound(uniform, "uniform");
  expect_within_bound(lognormal, "lognormal");
  expect_within_bound(mixed, "mixed signs and zeros");
  expect_within_bound(wide, "1e-300 to 1e300, both signs");
  expect_within_bound(negative, "all negative");
  expect_within_bound({0, 0, 0}, "zeros");
  expect_within_bound({DBL_MAX, std::numeric_limits<double>::denorm_min(), -DBL_MAX, 1},
                      "extremes");
}

TEST(QuantileSketch, MergeEqualsTheSketchOfTheUnion) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> ln(0, 3);
  QuantileSketch a, b, both;
  for (int i = 0; i < 20000; ++i) {
    // Different ranges on each side, so the merge has to grow the store both ways.
    const double v = i % 7 == 0 ? -ln(rng) : i % 11 == 0 ? 0 : ln(rng);
    (i % 3 == 0 ? a : b).add(i % 3 == 0 ? v * 1e6 : v * 1e-6);
    both.add(i % 3 == 0 ? v * 1e6 : v * 1e-6);
  }
  QuantileSketch merged;
  merged.merge(a);
  merged.merge(b);
  EXPECT_EQ(merged.count(), both.count());
  EXPECT_EQ(merged.buckets(), both.buckets());
  for (int i = 0; i <= 1000; ++i) {
    const double q = i / 1000.0;
    ASSERT_EQ(merged.quantile(q), both.quantile(q)) << "q=" << q;
  }
  a.merge(QuantileSketch());  // merging an empty sketch changes nothing
  b.merge(a);
  EXPECT_EQ(b.count(), both.count());
  for (double q : kQs) EXPECT_EQ(b.quantile(q), both.quantile(q)) << "q=" << q;
}

TEST(QuantileSketch, EmptySketchAndClear) {
  QuantileSketch s;
  EXPECT_EQ(s.count(), 0u);
  EXPECT_EQ(s.buckets(), 0u);
  for (double q : kQs) EXPECT_TRUE(std::isnan(s.quantile(q)));
  QuantileSketch e;
  s.merge(e);
  EXPECT_EQ(s.count(), 0u);
  EXPECT_TRUE(std::isnan(s.quantile(0.5)));
  s.add(5);
  s.add(-5);
  s.add(0);
  EXPECT_EQ(s.buckets(), 3u);
  // q outside [0, 1] or NaN is clamped rather than undefined.
  EXPECT_LT(s.quantile(-1), 0);
  EXPECT_GT(s.quantile(2), 0);
  EXPECT_LT(s.quantile(std::nan("")), 0);
  s.clear();
  EXPECT_EQ(s.count(), 0u);
  EXPECT_EQ(s.buckets(), 0u);
  EXPECT_TRUE(std::isnan(s.quantile(0.5)));
  s.add(2);
  EXPECT_NEAR(s.quantile(0.5), 2, 2 * kA);
}

TEST(QuantileSketch, MemoryGrowsWithTheRangeNotTheCount) {
  QuantileSketch s;
  for (int i = 0; i < 1000000; ++i)
    s.add(1 + (i % 1000) / 1000.0);  // [1, 2): log(2)/log(gamma) ~ 35 buckets
  EXPECT_LE(s.buckets(), 36u);
  EXPECT_LT(s.bytes(), 4096u);
}

TEST(SketchWindow, SlidesAsPromClientsWindowDoes) {
  // 10 s in 5 periods of 2 s.
  SketchWindow w(5, 2000, 0);
  QuantileSketch scratch;
  for (int i = 0; i < 100; ++i) w.add(1, 0);
  for (int i = 0; i < 100; ++i) w.add(100, 4000);
  EXPECT_EQ(w.size(4000), 200u);
  EXPECT_NEAR(w.read(4000, &scratch).quantile(0.1), 1, kA);
  // 10.5 s on: the first values' period has left the window, the second's not.
  EXPECT_EQ(w.size(10500), 100u);
  EXPECT_NEAR(w.read(10500, &scratch).quantile(0.1), 100, 100 * kA);
  w.add(7, 10500);
  // Idle past the whole window: empty, and it still counts new values.
  EXPECT_EQ(w.size(80000), 0u);
  EXPECT_TRUE(std::isnan(w.read(80000, &scratch).quantile(0.5)));
  w.add(3, 80001);
  EXPECT_EQ(w.size(80001), 1u);
  // A clock going back moves nothing.
  EXPECT_EQ(w.size(0), 1u);
  w.reset();
  EXPECT_EQ(w.size(80001), 0u);
}

TEST(SketchWindow, WithoutAPeriodNeverSlides) {
  SketchWindow w(1, std::numeric_limits<double>::infinity(), 0);
  QuantileSketch scratch;
  w.add(4, 0);
  EXPECT_EQ(w.size(1e15), 1u);
  EXPECT_EQ(&w.read(1e15, &scratch), &w.read(0, &scratch)) << "one sketch, read in place";
}

TEST(SummaryWindows, RecordsBatchesBySlotAndReusesClosedSlots) {
  SummaryWindows t(2, 1000);
  const uint32_t a = t.open(0), b = t.open(0);
  EXPECT_NE(a, b);
  const uint32_t slots[] = {a, b, a, b};
  const double values[] = {1, 10, 3, 30};
  const double times[] = {0, 0, 500, 2500};
  t.record(slots, values, times, 4);
  EXPECT_EQ(t.observations(), 4u);
  const double qs[] = {0, 1};
  double out[2];
  EXPECT_EQ(t.quantiles(a, 600, qs, 2, out), 2u);
  EXPECT_NEAR(out[0], 1, kA);
  EXPECT_NEAR(out[1], 3, 3 * kA);
  // b's window slid at its 2.5 s value: only 30 is left.
  EXPECT_EQ(t.quantiles(b, 2500, qs, 2, out), 1u);
  EXPECT_NEAR(out[0], 30, 30 * kA);
  EXPECT_EQ(t.series(), 2u);
  t.close(a);
  EXPECT_FALSE(t.is_open(a));
  EXPECT_EQ(t.series(), 1u);
  EXPECT_EQ(t.open(3000), a);
  EXPECT_EQ(t.quantiles(a, 3000, qs, 2, out), 0u) << "a reused slot starts empty";
  EXPECT_TRUE(std::isnan(out[0]));
  EXPECT_GT(t.bytes(), 0u);
}

}  // namespace
}  // namespace tophash::core
