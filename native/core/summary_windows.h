// The windows of one Summary's series, by slot: what the addon's
// SummarySketches holds. Observations arrive in batches (slot, value, time)
// staged in JavaScript, so one crossing into the addon carries many.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/quantile_sketch.h"
#include "core/sketch_window.h"

namespace tophash::core {

class SummaryWindows {
 public:
  // See SketchWindow: periods >= 1, period_ms > 0 or infinity.
  SummaryWindows(uint32_t periods, double period_ms) : periods_(periods), period_(period_ms) {}

  // A new, empty window created at `now`; its slot.
  uint32_t open(double now);
  // Frees a slot for reuse.
  void close(uint32_t slot);
  bool is_open(uint32_t slot) const { return slot < windows_.size() && windows_[slot] != nullptr; }
  SketchWindow& at(uint32_t slot) { return *windows_[slot]; }

  // Counts value i in slot i's window at time i (times may be null for
  // windows that never slide). Every slot must be open and every value finite.
  void record(const uint32_t* slots, const double* values, const double* times, size_t n);
  // The q-quantiles of slot's window at `now` into out (NaN when empty);
  // returns how many values the window holds.
  uint64_t quantiles(uint32_t slot, double now, const double* qs, size_t nq, double* out);

  size_t series() const { return windows_.size() - free_.size(); }
  // Observations recorded since creation.
  uint64_t observations() const { return observations_; }
  size_t buckets() const;
  size_t bytes() const;

 private:
  uint32_t periods_;
  double period_;
  std::vector<std::unique_ptr<SketchWindow>> windows_;
  std::vector<uint32_t> free_;
  QuantileSketch scratch_;
  uint64_t observations_ = 0;
};

}  // namespace tophash::core
