// A mutex whose waiters give up at a deadline, built on std::mutex.
//
// std::timed_mutex would do, but glibc implements its timed wait with
// pthread_mutex_clocklock, which ThreadSanitizer (clang 14) does not
// intercept: it then reports every unlock as unlocking an unlocked mutex,
// and the concurrency tests could not run under it. Contention here is
// short (a drain of one ring, a scrape), so waiting by retrying try_lock,
// first yielding, then sleeping in short steps, costs little: an
// uncontended lock is one try_lock.
#pragma once
#include <chrono>
#include <mutex>
#include <thread>

namespace tophash::core {

class DeadlineMutex {
 public:
  void lock() { mutex_.lock(); }
  bool try_lock() { return mutex_.try_lock(); }
  void unlock() { mutex_.unlock(); }

  template <class Rep, class Period>
  bool try_lock_for(std::chrono::duration<Rep, Period> timeout) {
    if (mutex_.try_lock()) return true;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (int spins = 0;; ++spins) {
      if (spins < 64) {
        std::this_thread::yield();
      } else {
        std::this_thread::sleep_for(kStep);
      }
      if (mutex_.try_lock()) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
    }
  }

 private:
  static constexpr std::chrono::microseconds kStep{20};
  std::mutex mutex_;
};

}  // namespace tophash::core
