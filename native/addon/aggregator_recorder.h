// What one JavaScript Aggregator object holds: its thread's way into a
// core::SharedAggregator. The owner (new Aggregator) created the shared
// aggregator and closes it; an attached recorder (Aggregator.attach in a
// worker_thread) joined it and, when it closes or its thread ends, hands in
// what its ring still holds and releases the handles it made, so a worker
// that exits loses none of its events.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <unordered_set>

#include "core/shared_aggregator.h"

namespace tophash::addon {

class AggregatorRecorder {
 public:
  AggregatorRecorder(std::shared_ptr<core::SharedAggregator> shared, bool owner,
                     uint32_t ring_capacity, std::chrono::milliseconds timeout);
  // Detaches (see above); the owner closes the shared aggregator.
  ~AggregatorRecorder();
  AggregatorRecorder(const AggregatorRecorder&) = delete;
  AggregatorRecorder& operator=(const AggregatorRecorder&) = delete;

  core::SharedAggregator& shared() { return *shared_; }
  const std::shared_ptr<core::SharedAggregator>& shared_ptr() const { return shared_; }
  // This thread's ring (offloaded aggregators only).
  const std::shared_ptr<core::EventRing>& ring() const { return ring_; }
  bool owner() const { return owner_; }
  std::chrono::milliseconds timeout() const { return timeout_; }
  uint64_t bytes() const { return shared_->bytes(); }
  // The handle ids this recorder made, released when it detaches.
  std::unordered_set<uint32_t>& handles() { return handles_; }

 private:
  std::shared_ptr<core::SharedAggregator> shared_;
  std::shared_ptr<core::EventRing> ring_;
  bool owner_;
  std::chrono::milliseconds timeout_;
  std::unordered_set<uint32_t> handles_;
};

}  // namespace tophash::addon
