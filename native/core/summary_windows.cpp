#include "core/summary_windows.h"

namespace tophash::core {

uint32_t SummaryWindows::open(double now) {
  auto window = std::make_unique<SketchWindow>(periods_, period_, now);
  if (!free_.empty()) {
    const uint32_t slot = free_.back();
    free_.pop_back();
    windows_[slot] = std::move(window);
    return slot;
  }
  windows_.push_back(std::move(window));
  return static_cast<uint32_t>(windows_.size() - 1);
}

void SummaryWindows::close(uint32_t slot) {
  windows_[slot].reset();
  free_.push_back(slot);
}

void SummaryWindows::record(const uint32_t* slots, const double* values, const double* times,
                            size_t n) {
  for (size_t i = 0; i < n; ++i)
    windows_[slots[i]]->add(values[i], times != nullptr ? times[i] : 0);
  observations_ += n;
}

uint64_t SummaryWindows::quantiles(uint32_t slot, double now, const double* qs, size_t nq,
                                   double* out) {
  const QuantileSketch& sketch = windows_[slot]->read(now, &scratch_);
  for (size_t i = 0; i < nq; ++i) out[i] = sketch.quantile(qs[i]);
  return sketch.count();
}

size_t SummaryWindows::buckets() const {
  size_t n = 0;
  for (const auto& w : windows_)
    if (w) n += w->buckets();
  return n;
}

size_t SummaryWindows::bytes() const {
  size_t n = sizeof(*this) + scratch_.bytes() + windows_.capacity() * sizeof(windows_[0]) +
             free_.capacity() * sizeof(uint32_t);
  for (const auto& w : windows_)
    if (w) n += w->bytes();
  return n;
}

}  // namespace tophash::core
