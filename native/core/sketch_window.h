// The sliding window of a Summary's quantiles, as prom-client keeps it
// (maxAgeSeconds split into ageBuckets periods): quantiles cover the last
// ageBuckets - 1 whole periods and the current one. prom-client pushes every
// value into every period's t-digest and reads the oldest; with a mergeable
// sketch a value goes into its own period's sketch only, and a read merges the
// periods: the same window for 1/ageBuckets of the work per observation.
//
// Time is the caller's (milliseconds, Date.now() in JavaScript), given with
// each value, so values recorded in a batch later land in the period they
// were observed in, and a fake clock in tests moves the window.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/quantile_sketch.h"

namespace tophash::core {

class SketchWindow {
 public:
  // periods >= 1; period_ms > 0, or infinity for a window that never slides
  // (prom-client without maxAgeSeconds and ageBuckets). now: the creation time.
  SketchWindow(uint32_t periods, double period_ms, double now);

  void add(double value, double now) {
    // Never true for a window that never slides (period_ infinite).
    if (now - last_rotate_ > period_) rotate(now);
    ring_[current_].add(value);
  }
  // The window's values at `now`: its one sketch, or the periods merged into
  // *scratch (cleared first).
  const QuantileSketch& read(double now, QuantileSketch* scratch);
  // How many values the window holds at `now`.
  uint64_t size(double now);
  // Forgets every value.
  void reset();

  size_t buckets() const;
  size_t bytes() const;

 private:
  // prom-client's rule: a period ends once more than period_ms have passed
  // since the last one did.
  void rotate(double now);

  std::vector<QuantileSketch> ring_;
  size_t current_ = 0;
  double last_rotate_;
  double period_;
};

}  // namespace tophash::core
