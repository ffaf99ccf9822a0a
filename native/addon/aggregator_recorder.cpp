#include "addon/aggregator_recorder.h"

namespace tophash::addon {

namespace {

// Detaching must not give up: the events in the ring are acknowledged ones.
constexpr std::chrono::hours kDetachDeadline{24};

}  // namespace

AggregatorRecorder::AggregatorRecorder(std::shared_ptr<core::SharedAggregator> shared, bool owner,
                                       uint32_t ring_capacity, std::chrono::milliseconds timeout)
    : shared_(std::move(shared)), owner_(owner), timeout_(timeout) {
  if (!shared_->offloaded()) return;
  auto lock = shared_->lock(kDetachDeadline);
  ring_ = shared_->add_ring(ring_capacity);
}

AggregatorRecorder::~AggregatorRecorder() {
  auto lock = shared_->lock(kDetachDeadline);
  if (owner_) {
    shared_->close();
    return;
  }
  if (shared_->closed()) return;
  if (ring_) shared_->remove_ring(ring_);
  for (uint32_t id : handles_) shared_->engine()->release_handle(id);
  shared_->note_bytes();
}

}  // namespace tophash::addon
