// The offload thread: one per process, shared by every offloaded aggregator
// (core/shared_aggregator.h), started when the first one is created and
// stopped when the last one closes, so a process that offloads nothing runs
// no thread of ours.
//
// Each pass drains every ring of every aggregator whose lock is free (one
// that a reader holds is retried on the next pass, never waited for, so a
// slow reader cannot stall the other aggregators). Between passes the
// thread sleeps: kMinSleep after a pass that found work (so it drains in
// batches instead of chasing its producers' cache lines), doubling up to
// kMaxSleep while idle, and until wake() (which a producer calls every
// quarter ring) or the sleep ends. The sleep bounds how stale another
// thread's view can be; reads never wait for it (they drain every ring).
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>

namespace tophash::core {

class SharedAggregator;

class OffloadThread {
 public:
  static constexpr std::chrono::microseconds kMinSleep{20};
  static constexpr std::chrono::microseconds kMaxSleep{1000};

  // Adds an aggregator, starting the thread if none runs.
  static void enlist(std::shared_ptr<SharedAggregator> aggregator);
  // Removes it; the last one out stops the thread and waits for it to end.
  // Never called from the offload thread itself.
  static void leave(const SharedAggregator* aggregator);
  // Ends the current sleep early.
  static void wake();
  // For tests and stats: whether the thread exists, and how many passes it made.
  static bool running();
  static uint64_t passes();
};

}  // namespace tophash::core
