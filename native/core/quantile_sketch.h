// A quantile sketch with a relative-error guarantee (DDSketch, Masson et al.,
// VLDB 2019), the one behind tophash/prom's Summary. A value v > 0 is counted
// in bucket ceil(log_gamma(v)), gamma = (1 + a) / (1 - a), and bucket i is read
// back as 2 gamma^i / (gamma + 1), which lies within a relative distance a of
// every value the bucket holds (v in (gamma^(i-1), gamma^i]). Negative values
// go to a mirror store by magnitude, and zero has its own count. So every
// quantile is within a of the exact order statistic whatever the
// distribution, and two sketches merge exactly by adding their buckets: what
// a sliding window of sketches needs.
//
// Why not the Aggregator's log2 histogram: bpftrace's buckets are integers
// (every value below 1 falls in one bucket), which loses the seconds-scale
// latencies a Summary usually holds, and at k = 5 a bucket still spans 2 %.
//
// Memory: one counter per bucket between the smallest and the largest
// magnitude seen, so it grows with log(max / min), not with the count:
// about 575 buckets for values from 10 us to 100 s, and at most ~73,000 per
// sign for the whole double range.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tophash::core {

// log(gamma) = log((1 + a) / (1 - a)) = 2 atanh(a), summed at compile time
// (the series converges fast for a small a; std::log is not constexpr).
constexpr double sketch_log_gamma(double a) {
  double term = a, sum = 0;
  for (int k = 1; k < 40; k += 2) {
    sum += term / k;
    term *= a * a;
  }
  return 2 * sum;
}

class QuantileSketch {
 public:
  // The relative error of every quantile: |estimate - exact| <= a * |exact|.
  static constexpr double kRelativeError = 0.01;

  static constexpr double kGamma = (1 + kRelativeError) / (1 - kRelativeError);

  // Counts a finite value (callers reject NaN and infinities). Inline: it is
  // the per-observation cost.
  void add(double value) {
    ++count_;
    if (value > 0) {
      positive_.add(index_of(value));
    } else if (value < 0) {
      negative_.add(index_of(-value));
    } else {
      ++zeros_;
    }
  }
  // Adds every count of other into this one.
  void merge(const QuantileSketch& other);
  // The q-quantile (q in [0, 1]): the value of rank floor(q (count - 1)) in
  // sorted order, within kRelativeError; NaN when empty.
  double quantile(double q) const;
  // Forgets every value, keeping the buckets' memory for reuse.
  void clear();

  uint64_t count() const { return count_; }
  // Buckets holding at least one value (zero counts as one).
  size_t buckets() const;
  size_t bytes() const;

  // The bucket of a positive magnitude: ceil(log_gamma(magnitude)).
  // (ceil by hand: without SSE4.1, which the build does not assume, std::ceil
  // is a call.)
  static int32_t index_of(double magnitude) {
    const double x = std::log(magnitude) * kInvLogGamma;
    const auto i = static_cast<int32_t>(x);  // toward zero; |x| < 40000
    return i + (i < x ? 1 : 0);
  }

 private:
  static constexpr double kInvLogGamma = 1 / sketch_log_gamma(kRelativeError);

  // Counts of one sign's magnitudes by bucket index, in one dense array
  // covering [lo_, lo_ + counts_.size()).
  class Store {
   public:
    void add(int32_t index) {
      const auto at = static_cast<size_t>(static_cast<uint32_t>(index - lo_));
      if (at < counts_.size()) {
        ++counts_[at];
      } else {
        grow_and_add(index);
      }
    }
    void merge(const Store& other);
    void clear() { counts_.clear(); }
    int32_t lo() const { return lo_; }
    int32_t hi() const { return lo_ + static_cast<int32_t>(counts_.size()); }
    uint64_t at(int32_t index) const { return counts_[static_cast<size_t>(index - lo_)]; }
    size_t nonzero() const;
    size_t bytes() const { return counts_.capacity() * sizeof(uint64_t); }

   private:
    void cover(int32_t lo, int32_t hi);
    void grow_and_add(int32_t index);
    int32_t lo_ = 0;
    std::vector<uint64_t> counts_;
  };

  Store positive_, negative_;
  uint64_t zeros_ = 0;
  uint64_t count_ = 0;
};

}  // namespace tophash::core
