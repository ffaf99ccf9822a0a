#include "core/quantile_sketch.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>

namespace tophash::core {

namespace {

constexpr double kGamma = QuantileSketch::kGamma;
const double kLogGamma = std::log(kGamma);
// log(2 / (gamma + 1)): a bucket's value is exp(i log(gamma) + this).
const double kLogMid = std::log(2 / (kGamma + 1));
// Every finite magnitude's index lies within this (DBL_MAX: ~35,500; the
// smallest subnormal: ~-37,300); growth slack never goes past it.
constexpr int32_t kIndexLimit = 40000;

double value_of(int32_t index) {
  // The top bucket's midpoint can pass DBL_MAX by the relative error.
  return std::min(std::exp(index * kLogGamma + kLogMid), DBL_MAX);
}

}  // namespace

void QuantileSketch::Store::cover(int32_t lo, int32_t hi) {
  if (counts_.empty()) {
    lo_ = lo;
    counts_.assign(static_cast<size_t>(hi - lo), 0);
    return;
  }
  const int32_t cur_lo = lo_, cur_hi = this->hi();
  if (lo >= cur_lo && hi <= cur_hi) return;
  // Grow by half the span on the side that grows, so values creeping one
  // bucket at a time cost amortised O(1) copies.
  const int32_t slack = (cur_hi - cur_lo) / 2;
  const int32_t new_lo =
      lo < cur_lo ? std::max(std::min(lo, cur_lo - slack), -kIndexLimit) : cur_lo;
  const int32_t new_hi = hi > cur_hi ? std::min(std::max(hi, cur_hi + slack), kIndexLimit) : cur_hi;
  std::vector<uint64_t> grown(static_cast<size_t>(new_hi - new_lo), 0);
  std::copy(counts_.begin(), counts_.end(), grown.begin() + (cur_lo - new_lo));
  counts_.swap(grown);
  lo_ = new_lo;
}

void QuantileSketch::Store::grow_and_add(int32_t index) {
  cover(index, index + 1);
  ++counts_[static_cast<size_t>(index - lo_)];
}

void QuantileSketch::Store::merge(const Store& other) {
  if (other.counts_.empty()) return;
  cover(other.lo(), other.hi());
  const size_t at = static_cast<size_t>(other.lo_ - lo_);
  for (size_t i = 0; i < other.counts_.size(); ++i) counts_[at + i] += other.counts_[i];
}

size_t QuantileSketch::Store::nonzero() const {
  return static_cast<size_t>(
      std::count_if(counts_.begin(), counts_.end(), [](uint64_t n) { return n != 0; }));
}

void QuantileSketch::merge(const QuantileSketch& other) {
  positive_.merge(other.positive_);
  negative_.merge(other.negative_);
  zeros_ += other.zeros_;
  count_ += other.count_;
}

double QuantileSketch::quantile(double q) const {
  if (count_ == 0) return std::numeric_limits<double>::quiet_NaN();
  q = q >= 0 ? std::min(q, 1.0) : 0;  // NaN too: the conversion below needs a number in range
  const auto rank = static_cast<uint64_t>(std::floor(q * static_cast<double>(count_ - 1)));
  uint64_t seen = 0;
  // Most negative first: negative magnitudes in decreasing bucket order.
  for (int32_t i = negative_.hi() - 1; i >= negative_.lo(); --i) {
    seen += negative_.at(i);
    if (seen > rank) return -value_of(i);
  }
  seen += zeros_;
  if (seen > rank) return 0;
  int32_t last = positive_.lo();
  for (int32_t i = positive_.lo(); i < positive_.hi(); ++i) {
    const uint64_t n = positive_.at(i);
    if (n == 0) continue;
    seen += n;
    last = i;
    if (seen > rank) return value_of(i);
  }
  return value_of(last);  // not reached: rank < count
}

void QuantileSketch::clear() {
  positive_.clear();
  negative_.clear();
  zeros_ = 0;
  count_ = 0;
}

size_t QuantileSketch::buckets() const {
  return positive_.nonzero() + negative_.nonzero() + (zeros_ != 0 ? 1 : 0);
}

size_t QuantileSketch::bytes() const {
  return sizeof(*this) + positive_.bytes() + negative_.bytes();
}

}  // namespace tophash::core
