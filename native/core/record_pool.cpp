#include "core/record_pool.h"

#include <new>

#include "core/zeroed_memory.h"

namespace tophash::core {

RecordPool::RecordPool(uint32_t capacity, size_t stride) : capacity_(capacity), stride_(stride) {
  // The largest power of two of records that fits a chunk, and no more than
  // the pool needs.
  shift_ = 0;
  while (shift_ < 31 && (stride << (shift_ + 1)) <= kChunkBytes &&
         (uint64_t{1} << shift_) < capacity) {
    ++shift_;
  }
  mask_ = static_cast<uint32_t>((uint64_t{1} << shift_) - 1);
}

RecordPool::~RecordPool() {
  for (size_t c = 0; c < chunks_.size(); ++c) zeroed_free(chunks_[c], chunk_records(c) * stride_);
}

size_t RecordPool::chunk_records(size_t chunk) const {
  const uint64_t first = uint64_t{chunk} << shift_;
  const uint64_t left = capacity_ - first;
  const uint64_t full = uint64_t{1} << shift_;
  return static_cast<size_t>(left < full ? left : full);
}

uint32_t RecordPool::take() {
  if (free_head_ != kNil) {
    const uint32_t i = free_head_;
    std::memcpy(&free_head_, at(i), sizeof free_head_);
    ++in_use_;
    return i;
  }
  if (watermark_ == capacity_) return kNil;
  const uint32_t i = watermark_;
  if ((i >> shift_) == chunks_.size()) {
    const size_t n = chunk_records(chunks_.size());
    chunks_.reserve(chunks_.size() + 1);  // may throw: before the allocation
    auto* chunk = static_cast<uint8_t*>(zeroed_alloc(n * stride_));
    if (chunk == nullptr) throw std::bad_alloc();
    chunks_.push_back(chunk);
    bytes_ += n * stride_;
  }
  ++watermark_;
  ++in_use_;
  return i;
}

void RecordPool::give(uint32_t i) {
  std::memcpy(at(i), &free_head_, sizeof free_head_);
  free_head_ = i;
  --in_use_;
}

}  // namespace tophash::core
