#include "core/offload_thread.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "core/shared_aggregator.h"

namespace tophash::core {

namespace {

struct State {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::shared_ptr<SharedAggregator>> aggregators;
  std::thread thread;
  // A thread runs while the generation it was started with is current, so a
  // thread still winding down never mistakes its successor's start for its own.
  uint64_t generation = 0;
  std::atomic<bool> woken{false};
  std::atomic<uint64_t> passes{0};

  // Process exit with an aggregator never closed: stop the thread before
  // the statics it uses go away.
  ~State() {
    std::thread t;
    {
      std::lock_guard<std::mutex> lock(mutex);
      ++generation;
      t = std::move(thread);
    }
    cv.notify_all();
    if (t.joinable()) t.join();
  }
};

State& state() {
  static State s;
  return s;
}

void run(uint64_t generation) {
  State& s = state();
  std::vector<std::shared_ptr<SharedAggregator>> list;
  auto sleep = OffloadThread::kMinSleep;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(s.mutex);
      if (s.generation != generation) return;
      list = s.aggregators;
    }
    size_t work = 0;
    for (const auto& aggregator : list) {
      auto lock = aggregator->try_lock();
      if (!lock.owns_lock()) {
        ++work;  // busy with a reader: come back soon rather than sleep
        continue;
      }
      work += aggregator->drain_all();
      aggregator->note_bytes();
    }
    // Dropped outside the state lock: an aggregator closed meanwhile may be
    // freed right here.
    list.clear();
    s.passes.fetch_add(1, std::memory_order_relaxed);
    // Even after a pass that found work, wait a little: a consumer right
    // behind its producer reads the cache lines the producer is writing (and
    // the head it stores per event), and each such line then bounces between
    // the cores; a few microseconds behind, it reads only lines the producer
    // has finished with, in batches.
    if (work > 0) sleep = OffloadThread::kMinSleep;
    std::unique_lock<std::mutex> lock(s.mutex);
    s.cv.wait_for(lock, sleep, [&] {
      return s.generation != generation || s.woken.load(std::memory_order_relaxed);
    });
    s.woken.store(false, std::memory_order_relaxed);
    if (work == 0) {
      sleep =
          std::min(sleep * 2,
                   std::chrono::duration_cast<std::chrono::microseconds>(OffloadThread::kMaxSleep));
    }
  }
}

}  // namespace

void OffloadThread::enlist(std::shared_ptr<SharedAggregator> aggregator) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.aggregators.push_back(std::move(aggregator));
  if (!s.thread.joinable()) s.thread = std::thread(run, ++s.generation);
}

void OffloadThread::leave(const SharedAggregator* aggregator) {
  State& s = state();
  std::thread stopping;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    auto& list = s.aggregators;
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](const auto& a) { return a.get() == aggregator; }),
               list.end());
    if (!list.empty()) return;
    ++s.generation;
    stopping = std::move(s.thread);
  }
  s.cv.notify_all();
  if (stopping.joinable()) stopping.join();
}

void OffloadThread::wake() {
  State& s = state();
  s.woken.store(true, std::memory_order_relaxed);
  s.cv.notify_one();
}

bool OffloadThread::running() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return s.thread.joinable();
}

uint64_t OffloadThread::passes() { return state().passes.load(std::memory_order_relaxed); }

}  // namespace tophash::core
