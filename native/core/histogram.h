// Bucket math for the aggregator's histograms, bit-for-bit bpftrace's where
// bpftrace defines it (src/ast/passes/codegen_llvm.cpp: createLog2Function,
// createLinearFunction), plus Prometheus' upper-inclusive `le` buckets.
//
// bpftrace works on int64 values; ours are doubles. A value is bucketed as
// floor(value) would be by bpftrace. Every log2 and linear bucket edge is an
// integer, so that is the same as comparing the real value against the edges:
// 3.7 lands in [2, 4), -0.5 in (..., 0), 99.9 in lhist(0, 100, 10)'s [90, 100).
// Values at or beyond 2^63 land in the last log2 bucket (int64's largest).
// NaN and infinities never reach these functions (the binding rejects them).
//
//   log2(n, k): 0 for n < 0; 1 + n for 0 <= n < 2^k; otherwise, with l the
//     position of n's leftmost 1 bit, ((l - k + 1) << k) + (the k bits after
//     that 1) + 1. So k = 0 gives [0], [1], [2, 4), [4, 8), ... and each
//     power of two splits into 2^k buckets. (64 - k) * 2^k + 1 buckets.
//   linear(n, min, max, step): 0 for n < min; for n >= max the overflow
//     bucket (max - min) / step + 1; else (n - min) / step + 1. When step does
//     not divide max - min, the overflow bucket starts at min + buckets*step,
//     as in bpftrace. (max - min) / step + 2 buckets.
//   le(v, bounds): the number of bounds below v, so bucket i holds
//     bounds[i-1] < v <= bounds[i] and the last one v > bounds[n-1].
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tophash::core {

enum class HistKind : uint8_t { kNone, kLog2, kLinear, kBuckets };

inline constexpr unsigned kMaxLog2K = 5;  // bpftrace's limit
inline constexpr int64_t kMaxLinearBuckets = 1000;  // bpftrace's limit
inline constexpr size_t kMaxBounds = 1024;
// Past this many bounds a binary search beats counting every bound.
inline constexpr size_t kLinearScanBounds = 32;

struct HistSpec {
  HistKind kind = HistKind::kNone;
  unsigned k = 0;
  int64_t min = 0, max = 0, step = 1;
  std::vector<double> bounds;

  static HistSpec log2(unsigned k) {
    HistSpec s;
    s.kind = HistKind::kLog2;
    s.k = k;
    return s;
  }
  static HistSpec linear(int64_t min, int64_t max, int64_t step) {
    HistSpec s;
    s.kind = HistKind::kLinear;
    s.min = min;
    s.max = max;
    s.step = step;
    return s;
  }
  static HistSpec buckets(std::vector<double> bounds) {
    HistSpec s;
    s.kind = HistKind::kBuckets;
    s.bounds = std::move(bounds);
    return s;
  }

  // Buckets per key (0: no histogram).
  size_t size() const {
    switch (kind) {
      case HistKind::kLog2: return (size_t{64} - k) * (size_t{1} << k) + 1;
      case HistKind::kLinear: return static_cast<size_t>((max - min) / step) + 2;
      case HistKind::kBuckets: return bounds.size() + 1;
      default: return 0;
    }
  }
};

inline uint32_t log2_bucket(double v, unsigned k) {
  if (!(v >= 0)) return 0;
  // 2^63 and beyond: as int64's largest value would.
  const uint64_t n = v >= 9223372036854775808.0 ? uint64_t{INT64_MAX} : static_cast<uint64_t>(v);
  const uint64_t mask = (uint64_t{1} << k) - 1;
  if (n <= mask) return static_cast<uint32_t>(n + 1);
  const unsigned l = 63u - static_cast<unsigned>(__builtin_clzll(n)) - k;
  const uint64_t x = (n >> l) & mask;
  return static_cast<uint32_t>((uint64_t{l + 1} << k) + x + 1);
}

inline uint32_t linear_bucket(double v, int64_t min, int64_t max, int64_t step) {
  if (v < static_cast<double>(min)) return 0;
  if (v >= static_cast<double>(max)) return static_cast<uint32_t>((max - min) / step + 1);
  // min <= v < max, both within 2^53: floor is exact and fits int64.
  const int64_t d = static_cast<int64_t>(std::floor(v)) - min;
  return static_cast<uint32_t>(d / step + 1);
}

// Bucket i holds bounds[i-1] < v <= bounds[i]: the count of bounds below v.
// Short lists are counted without branches (the compiler vectorises it).
inline uint32_t le_bucket(double v, const double* bounds, size_t n) {
  if (n <= kLinearScanBounds) {
    uint32_t below = 0;
    for (size_t i = 0; i < n; ++i) below += bounds[i] < v;
    return below;
  }
  return static_cast<uint32_t>(std::lower_bound(bounds, bounds + n, v) - bounds);
}

// The bucket of v under spec s, switching on the kind per call: for tests and
// single lookups. Batch loops switch on the kind once, outside the loop.
inline uint32_t hist_index(const HistSpec& s, double v) {
  switch (s.kind) {
    case HistKind::kLog2: return log2_bucket(v, s.k);
    case HistKind::kLinear: return linear_bucket(v, s.min, s.max, s.step);
    case HistKind::kBuckets: return le_bucket(v, s.bounds.data(), s.bounds.size());
    default: return 0;
  }
}

}  // namespace tophash::core
