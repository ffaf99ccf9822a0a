// The offloaded aggregator's event ring: one producer (a JavaScript thread
// writing through typed-array views, or a test thread), one consumer at a
// time (whoever holds the aggregator's lock: the offload thread, or the
// producer itself when it reads or finds the ring full).
//
// LAYOUT
//
// One block, laid out for JavaScript's views as much as for C++:
//   line 0: head      u32, written by the producer only
//   line 1: tail      u32, written by the consumer only
//   line 2: closed    u32, set once by the owner's close(); capacity u32;
//           dropped   f64 (offset 136), events the producer discarded under
//                     onRingFull 'drop', written by the producer only
//   then ids[capacity] u32, values[capacity] f64 and, for u64 keys,
//   keys[capacity] u64.
// head and tail live on their own cache lines so the producer's per-event
// store and the consumer's per-batch store do not bounce one line.
//
// PROTOCOL
//
// Positions are free-running u32 counters (slot = position & (capacity-1));
// head - tail, in u32 arithmetic, is the number of events waiting. The
// producer writes slot head's id and value (and key), then publishes head+1
// with a release store; the consumer loads head with acquire, aggregates the
// slots from tail up to it and publishes the new tail with release. The
// producer reads tail only when it runs out of the room it last saw, so the
// per-event cost is two stores and the publishing one.
//
// An event's id is a handle id, or kKeyedEvent | slot for a u64 key written
// in keys[slot]: the keys lane doubles as the batch's staged keys, so a
// segment of the ring is handed to Aggregator::apply() as it is.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/aggregator.h"

namespace tophash::core {

class EventRing {
 public:
  static constexpr size_t kHeadOffset = 0;
  static constexpr size_t kTailOffset = 64;
  static constexpr size_t kClosedOffset = 128;
  static constexpr size_t kCapacityOffset = 132;
  static constexpr size_t kDroppedOffset = 136;
  static constexpr size_t kHeaderBytes = 192;
  static constexpr uint32_t kMinCapacity = 16;
  static constexpr uint32_t kMaxCapacity = uint32_t{1} << 24;

  // capacity: a power of two in [kMinCapacity, kMaxCapacity]. Throws
  // std::bad_alloc.
  EventRing(uint32_t capacity, bool u64_keys);
  ~EventRing();
  EventRing(const EventRing&) = delete;
  EventRing& operator=(const EventRing&) = delete;

  uint32_t capacity() const { return capacity_; }
  bool u64_keys() const { return keys_ != nullptr; }
  // The whole block, for JavaScript's views.
  uint8_t* data() { return block_; }
  size_t bytes() const { return bytes_; }
  size_t ids_offset() const { return reinterpret_cast<uint8_t*>(ids_) - block_; }
  size_t values_offset() const { return reinterpret_cast<uint8_t*>(values_) - block_; }
  size_t keys_offset() const { return keys_ ? reinterpret_cast<uint8_t*>(keys_) - block_ : 0; }

  // Producer side, for native producers (tests, fuzzing); JavaScript does the
  // same through its views. false when the ring is full.
  bool try_push(uint32_t id, double value, uint64_t key = 0);
  void add_dropped(double n);

  // Consumer side; the caller holds the aggregator's lock.
  uint32_t waiting() const;
  // Aggregates every published event into `engine` and advances tail.
  // Events that fail validation (a producer bug, or a hostile writer) are
  // skipped and counted in *rejected. Returns the events consumed.
  size_t drain(Aggregator& engine, uint64_t* rejected);

  void close();
  bool closed() const;
  double dropped() const;

 private:
  uint32_t* word(size_t offset) { return reinterpret_cast<uint32_t*>(block_ + offset); }
  const uint32_t* word(size_t offset) const {
    return reinterpret_cast<const uint32_t*>(block_ + offset);
  }
  void apply_segment(Aggregator& engine, uint32_t first, uint32_t count, uint64_t* rejected);

  uint32_t capacity_;
  size_t bytes_;
  uint8_t* block_;
  uint32_t* ids_;
  double* values_;
  uint64_t* keys_;
};

}  // namespace tophash::core
