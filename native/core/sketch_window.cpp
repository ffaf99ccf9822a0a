#include "core/sketch_window.h"

#include <cmath>

namespace tophash::core {

SketchWindow::SketchWindow(uint32_t periods, double period_ms, double now)
    : ring_(std::isinf(period_ms) ? 1 : periods), last_rotate_(now), period_(period_ms) {}

void SketchWindow::rotate(double now) {
  if (std::isinf(period_)) return;
  double since = now - last_rotate_;
  // Idle for the whole window: every period is empty, without a step per period.
  if (since > period_ * static_cast<double>(ring_.size())) {
    reset();
    const double periods = std::floor(since / period_);
    current_ =
        (current_ + static_cast<size_t>(std::fmod(periods, static_cast<double>(ring_.size())))) %
        ring_.size();
    last_rotate_ += periods * period_;
    since -= periods * period_;
  }
  while (since > period_) {
    current_ = (current_ + 1) % ring_.size();
    ring_[current_].clear();
    since -= period_;
    last_rotate_ += period_;
  }
}

const QuantileSketch& SketchWindow::read(double now, QuantileSketch* scratch) {
  rotate(now);
  if (ring_.size() == 1) return ring_[0];
  scratch->clear();
  for (const QuantileSketch& s : ring_) scratch->merge(s);
  return *scratch;
}

uint64_t SketchWindow::size(double now) {
  rotate(now);
  uint64_t n = 0;
  for (const QuantileSketch& s : ring_) n += s.count();
  return n;
}

void SketchWindow::reset() {
  for (QuantileSketch& s : ring_) s.clear();
}

size_t SketchWindow::buckets() const {
  size_t n = 0;
  for (const QuantileSketch& s : ring_) n += s.buckets();
  return n;
}

size_t SketchWindow::bytes() const {
  size_t n = sizeof(*this);
  for (const QuantileSketch& s : ring_) n += s.bytes();
  return n;
}

}  // namespace tophash::core
