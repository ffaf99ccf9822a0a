#include "core/batch_scratch.h"

#include <algorithm>

#include "core/zeroed_memory.h"

namespace tophash::core {

namespace {

struct HeldBlock {
  void* p = nullptr;
  size_t bytes = 0;
  HeldBlock() = default;
  HeldBlock(const HeldBlock&) = delete;
  HeldBlock& operator=(const HeldBlock&) = delete;
  ~HeldBlock() { release(); }
  void release() {
    zeroed_free(p, bytes);
    p = nullptr;
    bytes = 0;
  }
};

thread_local HeldBlock held;

}  // namespace

void* take_batch_scratch(size_t& bytes) {
  if (held.p != nullptr && held.bytes >= bytes) {
    void* p = held.p;
    bytes = held.bytes;
    held.p = nullptr;
    held.bytes = 0;
    return p;
  }
  return zeroed_alloc(bytes, /*huge_pages=*/true);
}

void keep_batch_scratch(void* p, size_t bytes, size_t hold_limit) {
  if (p == nullptr) return;
  if (bytes <= std::min(hold_limit, kMaxHeldBatchScratch) && bytes > held.bytes) {
    held.release();
    held.p = p;
    held.bytes = bytes;
    return;
  }
  zeroed_free(p, bytes);
}

void release_batch_scratch() { held.release(); }

size_t held_batch_scratch_bytes() { return held.bytes; }

}  // namespace tophash::core
