#include "core/sliced_read.h"

#include <condition_variable>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>

namespace tophash::core {
namespace {

size_t slice_at(uint64_t at, uint64_t length, size_t slice_bytes) {
  return static_cast<size_t>(length - at < slice_bytes ? length - at : slice_bytes);
}

void read_in_turn(SnapshotSource& src, uint64_t offset, uint8_t* dst, uint64_t length,
                  size_t slice_bytes, const std::function<void(uint64_t, size_t)>& visit) {
  for (uint64_t at = 0; at < length;) {
    const size_t n = slice_at(at, length, slice_bytes);
    src.read(offset + at, dst + at, n);
    visit(at, n);
    at += n;
  }
}

// What the reader thread and the caller share: how far the reads have got,
// whether the caller wants them stopped, and a read's failure.
class ReadAhead {
 public:
  ReadAhead(SnapshotSource& src, uint64_t offset, uint8_t* dst, uint64_t length, size_t slice_bytes)
      : src_(src), offset_(offset), dst_(dst), length_(length), slice_bytes_(slice_bytes) {}

  void run_reader() {
    try {
      for (uint64_t at = 0; at < length_;) {
        if (stopping()) return;
        const size_t n = slice_at(at, length_, slice_bytes_);
        src_.read(offset_ + at, dst_ + at, n);
        at += n;
        publish(at, nullptr);
      }
    } catch (...) {
      publish(read_, std::current_exception());
    }
  }

  // Waits until bytes [0, end) are read; rethrows a read's failure that
  // stopped the reads before end.
  void wait_for(uint64_t end) {
    std::unique_lock<std::mutex> lock(mutex_);
    ready_.wait(lock, [&] { return read_ >= end || failure_ != nullptr; });
    if (read_ < end) std::rethrow_exception(failure_);
  }

  void stop() {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }

 private:
  bool stopping() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stop_;
  }

  void publish(uint64_t read, std::exception_ptr failure) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      read_ = read;
      failure_ = failure;
    }
    ready_.notify_one();
  }

  SnapshotSource& src_;
  const uint64_t offset_;
  uint8_t* const dst_;
  const uint64_t length_;
  const size_t slice_bytes_;
  std::mutex mutex_;
  std::condition_variable ready_;
  uint64_t read_ = 0;
  bool stop_ = false;
  std::exception_ptr failure_;
};

// Joins the reader on every way out, after asking it to stop.
class ReaderThread {
 public:
  ReaderThread(ReadAhead& shared, std::thread thread)
      : shared_(shared), thread_(std::move(thread)) {}
  ~ReaderThread() {
    shared_.stop();
    thread_.join();
  }
  ReaderThread(const ReaderThread&) = delete;
  ReaderThread& operator=(const ReaderThread&) = delete;

 private:
  ReadAhead& shared_;
  std::thread thread_;
};

}  // namespace

void read_in_slices(SnapshotSource& src, uint64_t offset, uint8_t* dst, uint64_t length,
                    size_t slice_bytes, const std::function<void(uint64_t, size_t)>& visit,
                    uint64_t read_ahead_from) {
  if (length < read_ahead_from || length <= slice_bytes) {
    read_in_turn(src, offset, dst, length, slice_bytes, visit);
    return;
  }
  ReadAhead shared(src, offset, dst, length, slice_bytes);
  std::thread thread;
  try {
    thread = std::thread([&shared] { shared.run_reader(); });
  } catch (const std::system_error&) {
    // No thread to be had (a process at its limit): the reads take turns.
    read_in_turn(src, offset, dst, length, slice_bytes, visit);
    return;
  }
  ReaderThread reader(shared, std::move(thread));
  for (uint64_t at = 0; at < length;) {
    const size_t n = slice_at(at, length, slice_bytes);
    shared.wait_for(at + n);
    visit(at, n);
    at += n;
  }
}

}  // namespace tophash::core
