// core::append_js_number and core::append_series against fixed texts: the
// spellings JavaScript's String(n) gives (every branch of Number::toString),
// label escaping, lone surrogates in WTF-8 keys, a missing row and the
// summary layout. Random values are compared with String(n) itself in
// test/aggregator.exposition.test.ts.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/exposition.h"

namespace tophash::core {
namespace {

std::string js(double v) {
  std::string s;
  append_js_number(&s, v);
  return s;
}

TEST(ExpositionNumber, SpellsAsJavaScript) {
  EXPECT_EQ(js(0), "0");
  EXPECT_EQ(js(-0.0), "0");
  EXPECT_EQ(js(7), "7");
  EXPECT_EQ(js(-7), "-7");
  EXPECT_EQ(js(9007199254740992.0), "9007199254740992");
  EXPECT_EQ(js(1e21), "1e+21");
  EXPECT_EQ(js(-1e21), "-1e+21");
  EXPECT_EQ(js(123456789012345680000.0), "123456789012345680000");
  EXPECT_EQ(js(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(js(1.5), "1.5");
  EXPECT_EQ(js(-0.005), "-0.005");
  EXPECT_EQ(js(1e-6), "0.000001");
  EXPECT_EQ(js(1e-7), "1e-7");
  EXPECT_EQ(js(1.25e-7), "1.25e-7");
  EXPECT_EQ(js(5e-324), "5e-324");
  EXPECT_EQ(js(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(js(std::nan("")), "NaN");
  EXPECT_EQ(js(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(js(-std::numeric_limits<double>::infinity()), "-Inf");
}

EntryView bytes_entry(const std::string& key, const double* row) {
  return {0, reinterpret_cast<const uint8_t*>(key.data()), key.size(), row};
}

TEST(ExpositionSeries, HistogramLinesWithEscapedLabels) {
  ExpositionLayout l;
  l.name = "h";
  l.label_heads = {"a=\"", ",b=\""};
  l.histogram = true;
  l.le_tails = {"1\"} ", "2\"} "};
  const double row[] = {3, 4.5, 0, 0, 1, 0, 2};
  const std::string key = std::string("x\"\\\n\xED\xA0\x80y") + '\0' + "\xE2\x98\x83";
  std::string out;
  append_series(&out, l, bytes_entry(key, row));
  const std::string labels = "a=\"x\\\"\\\\\\n\xEF\xBF\xBDy\",b=\"\xE2\x98\x83\"";
  EXPECT_EQ(out, "h_bucket{" + labels + ",le=\"1\"} 1\n" +  //
                     "h_bucket{" + labels + ",le=\"2\"} 1\n" +  //
                     "h_bucket{" + labels + ",le=\"+Inf\"} 3\n" +  //
                     "h_sum{" + labels + "} 4.5\n" +  //
                     "h_count{" + labels + "} 3\n");
}

TEST(ExpositionSeries, MissingRowIsZeroAndSumCanBeOmitted) {
  ExpositionLayout l;
  l.name = "h";
  l.histogram = true;
  l.le_tails = {"-1.0\"} "};
  l.omit_sum = true;
  std::string out;
  append_series(&out, l, EntryView{});
  EXPECT_EQ(out, "h_bucket{le=\"-1.0\"} 0\nh_bucket{le=\"+Inf\"} 0\nh_count 0\n");
}

// Rows of count, sum, min, max and five buckets (le 1, 2, 4, 8, then the overflow bucket).
ExpositionLayout trimmed(const std::vector<std::vector<double>>& rows) {
  ExpositionLayout l;
  l.name = "h";
  l.histogram = true;
  l.le_tails = {"1\"} ", "2\"} ", "4\"} ", "8\"} "};
  trim_to_used_buckets(&l, [&](const EntryVisitor& visit) {
    for (const auto& row : rows) visit(EntryView{0, nullptr, 0, row.data()});
    visit(EntryView{});  // a handle's key without an entry uses nothing
  });
  return l;
}

TEST(ExpositionTrim, FromOneBucketBelowTheLowestUsedToTheHighest) {
  const ExpositionLayout l = trimmed({{1, 3, 3, 3, 0, 0, 1, 0, 0}, {1, 5, 5, 5, 0, 0, 0, 1, 0}});
  EXPECT_EQ(l.first_le, 1u);
  EXPECT_EQ(l.end_le, 4u);
  const std::vector<double> row = {1, 3, 3, 3, 0, 0, 1, 0, 0};
  std::string out;
  append_series(&out, l, EntryView{0, nullptr, 0, row.data()});
  EXPECT_EQ(out,
            "h_bucket{le=\"2\"} 0\nh_bucket{le=\"4\"} 1\nh_bucket{le=\"8\"} 1\n"
            "h_bucket{le=\"+Inf\"} 1\nh_sum 3\nh_count 1\n");
}

TEST(ExpositionTrim, TheOverflowBucketKeepsTheTopAndNothingUsedKeepsOnlyInf) {
  const ExpositionLayout top = trimmed({{1, 9, 9, 9, 0, 0, 0, 0, 1}});
  EXPECT_EQ(top.first_le, 3u);
  EXPECT_EQ(top.end_le, 4u);
  const ExpositionLayout none = trimmed({{0, 0, 0, 0, 0, 0, 0, 0, 0}});
  std::string out;
  append_series(&out, none, EntryView{});
  EXPECT_EQ(out, "h_bucket{le=\"+Inf\"} 0\nh_sum 0\nh_count 0\n");
  const ExpositionLayout lowest = trimmed({{1, 0.5, 0.5, 0.5, 1, 0, 0, 0, 0}});
  EXPECT_EQ(lowest.first_le, 0u);
  EXPECT_EQ(lowest.end_le, 1u);
}

TEST(ExpositionSeries, SummaryOfAU64Key) {
  ExpositionLayout l;
  l.name = "s";
  l.label_heads = {"key=\""};
  l.u64_keys = true;
  const double row[] = {2, 0.25, 0, 0};
  std::string out;
  append_series(&out, l, EntryView{18446744073709551615ull, nullptr, 0, row});
  EXPECT_EQ(out,
            "s_sum{key=\"18446744073709551615\"} 0.25\ns_count{key=\"18446744073709551615\"} 2\n");
}

}  // namespace
}  // namespace tophash::core
