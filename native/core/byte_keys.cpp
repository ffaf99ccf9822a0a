// KeyArena's slow paths: chunk allocation and release (see byte_keys.h).
#include "core/byte_keys.h"

#include "core/zeroed_memory.h"

namespace tophash::core {

uint8_t* KeyArena::new_chunk(size_t n) {
  chunks_.reserve(chunks_.size() + 1);  // may throw before anything is allocated
  auto* p = static_cast<uint8_t*>(zeroed_alloc(n));
  if (p == nullptr) throw std::bad_alloc();
  chunks_.push_back({p, n});
  capacity_ += n;
  return p;
}

uint8_t* KeyArena::allocate_slow(size_t n) {
  size_t size = static_cast<size_t>(capacity_ / 2);
  if (size < kMinChunk) size = kMinChunk;
  if (size > kMaxChunk) size = kMaxChunk;
  if (n > size / 4) {
    // A key this large relative to a chunk gets a chunk of its own, so the
    // tail of the current chunk stays in use and its waste stays below 1/4.
    uint8_t* p = new_chunk(n);
    live_ += n;
    return p;
  }
  uint8_t* p = new_chunk(size);
  garbage_ += left_;  // the old chunk's tail, too short for this key
  cur_ = p + n;
  left_ = size - n;
  live_ += n;
  return p;
}

bool KeyArena::reserve_relocation(const KeyArena& from) {
  const uint64_t n = from.live_bytes();
  if (n == 0) return true;
  try {
    reserve_ = new_chunk(static_cast<size_t>(n));
  } catch (const std::bad_alloc&) {
    return false;
  }
  reserve_left_ = static_cast<size_t>(n);
  return true;
}

void KeyArena::release() {
  for (const Chunk& c : chunks_) zeroed_free(c.p, c.n);
  chunks_.clear();
  chunks_.shrink_to_fit();
  cur_ = reserve_ = nullptr;
  left_ = reserve_left_ = 0;
  capacity_ = live_ = garbage_ = 0;
}

}  // namespace tophash::core
