// Scratch memory for batches applied region by region (partitioned_batch.h),
// kept by the thread between batches.
//
// Fresh memory costs the kernel a zeroed page per 4 KiB (or 2 MiB) touched:
// for a 1e6-key getBatch that was a tenth of the call (clear_page in the
// profile), ~4 ns of ~22 per key. So the block a batch used is kept for
// the thread's next one, up to the smaller of kMaxHeldBatchScratch and the
// bucket array of the table that used it: what a thread holds never exceeds
// the table that asked for it. A table's destructor gives its thread's block
// back (closing a big map frees its scratch too), and so does the thread's
// exit.
#pragma once
#include <cstddef>

namespace tophash::core {

inline constexpr size_t kMaxHeldBatchScratch = size_t{64} << 20;

// A block of at least `bytes` (not zeroed): this thread's held block when it
// is big enough, else a fresh one. `bytes` becomes the block's size. nullptr
// when memory is not to be had.
void* take_batch_scratch(size_t& bytes);
// Holds the block for the thread's next batch when it is within hold_limit
// (and kMaxHeldBatchScratch) and bigger than what the thread holds;
// otherwise frees it.
void keep_batch_scratch(void* p, size_t bytes, size_t hold_limit);
// Frees this thread's held block, if any.
void release_batch_scratch();
// The bytes this thread holds (tests).
size_t held_batch_scratch_bytes();

// One batch's scratch: taken on construction (data() is nullptr when memory
// is not to be had), kept or freed as keep_batch_scratch decides when the
// batch ends, however it ends.
class ScratchLease {
 public:
  ScratchLease(size_t bytes, size_t hold_limit)
      : bytes_(bytes), hold_limit_(hold_limit), p_(take_batch_scratch(bytes_)) {}
  ~ScratchLease() { keep_batch_scratch(p_, bytes_, hold_limit_); }
  ScratchLease(const ScratchLease&) = delete;
  ScratchLease& operator=(const ScratchLease&) = delete;
  void* data() const { return p_; }

 private:
  size_t bytes_;
  size_t hold_limit_;
  void* p_;
};

}  // namespace tophash::core
