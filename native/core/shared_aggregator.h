// One aggregation that several threads record into.
//
// A SharedAggregator owns the engine (core/aggregator.h) and the lock every
// use of it takes, and, when offloaded, the event rings of its recorders
// (core/event_ring.h): one per JavaScript thread that records into it, the
// owner's and each worker_thread's that attached. Whoever holds the lock
// may drain any ring, since a ring's consumer is "the lock holder":
//   - the offload thread (core/offload_thread.h) drains every ring in
//     batches, so the recording thread only appends;
//   - every locked use (a read, a batch, a scrape) drains every ring first,
//     which is what makes reads see every event the reading thread recorded
//     before them (read-your-writes) without waiting for the offload thread,
//     and what every other thread has published by then;
//   - a producer that finds its ring full drains it itself ('flush').
// Locks are taken with a deadline: a reader waits a bounded time and then
// fails (ETIMEDOUT in JavaScript) instead of hanging behind a long batch.
//
// Attached recorders find the aggregator by id in a process-wide registry;
// the registry holds weak references, so an aggregator lives exactly as long
// as its owner's binding and the recorders that joined it hold it.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "core/aggregator.h"
#include "core/deadline_mutex.h"
#include "core/event_ring.h"
#include "core/shared_segment.h"

namespace tophash::core {

class SharedAggregator {
 public:
  // Registers the aggregator (ids are never reused in a process) and, when
  // offloaded, hands it to the offload thread, starting that thread if it
  // is the first.
  static std::shared_ptr<SharedAggregator> create(std::unique_ptr<Aggregator> engine, bool offload);
  // The live aggregator with this id, or nullptr.
  static std::shared_ptr<SharedAggregator> find(uint64_t id);
  ~SharedAggregator();

  uint64_t id() const { return id_; }
  bool offloaded() const { return offload_; }
  const AggOptions& options() const { return options_; }
  bool closed() const { return closed_.load(std::memory_order_acquire); }
  // Off-heap bytes of engine and rings, as of the last locked use.
  uint64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }

  // The lock, held for every use of engine(); owns_lock() is false when the
  // deadline passed first.
  std::unique_lock<DeadlineMutex> lock(std::chrono::milliseconds deadline);
  std::unique_lock<DeadlineMutex> try_lock();
  // Holding the lock: the engine, or nullptr once closed.
  Aggregator* engine() { return engine_.get(); }

  // A new ring for a recorder (u64 keys get a keys lane). Throws
  // std::bad_alloc.
  std::shared_ptr<EventRing> add_ring(uint32_t capacity);
  // Holding the lock: drains the ring and forgets it.
  void remove_ring(const std::shared_ptr<EventRing>& ring);
  // Holding the lock: drains one ring, or every ring.
  size_t drain(EventRing& ring);
  size_t drain_all();
  // Holding the lock: counts over every ring (dropped by producers, and
  // rejected events) added to the engine's.
  AggStats stats() const;
  // Holding the lock: drains every ring, closes them (producers see it and
  // throw), frees the engine and leaves the offload thread.
  void close();
  // Holding the lock: refreshes bytes().
  void note_bytes();

  // Processes: the segment this aggregation publishes its shard to (see
  // core/shared_segment.h), or nullptr.
  void set_segment(std::unique_ptr<SharedSegment> segment) { segment_ = std::move(segment); }
  SharedSegment* segment() { return segment_.get(); }
  // Holding the lock: publishes this process's shard. Throws SegmentError.
  void publish();
  // Holding the lock: this process's shard published, then every shard
  // merged into a new engine of the same spec (what reads of a shared
  // aggregator see). Throws SegmentError, std::bad_alloc.
  std::unique_ptr<Aggregator> merged_view();

 private:
  SharedAggregator(std::unique_ptr<Aggregator> engine, bool offload, uint64_t id);

  const uint64_t id_;
  const bool offload_;
  const AggOptions options_;
  DeadlineMutex mutex_;
  std::unique_ptr<Aggregator> engine_;
  std::vector<std::shared_ptr<EventRing>> rings_;
  std::unique_ptr<SharedSegment> segment_;
  // Dropped events of rings already removed.
  double removed_dropped_ = 0;
  uint64_t rejected_ = 0;
  std::atomic<bool> closed_{false};
  std::atomic<uint64_t> bytes_{0};
};

}  // namespace tophash::core
