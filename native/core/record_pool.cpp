#include "core/record_pool.h"

#include <new>

#include "core/zeroed_memory.h"

namespace tophash::core {

RecordPool::RecordPool(uint32_t capacity, size_t stride, size_t ref_offset, size_t chunk_bytes)
    : capacity_(capacity), stride_(stride), ref_offset_(ref_offset) {
  // The largest power of two of records that fits a chunk, and no more than
  // the pool needs.
  shift_ = 0;
  while (shift_ < 31 && (stride << (shift_ + 1)) <= chunk_bytes &&
         (uint64_t{1} << shift_) < capacity) {
    ++shift_;
  }
  mask_ = static_cast<uint32_t>((uint64_t{1} << shift_) - 1);
}

RecordPool::~RecordPool() {
  for (size_t c = 0; c < chunks_.size(); ++c) {
    zeroed_free(chunks_[c], (c == 0 ? first_records_ : chunk_records(c)) * stride_);
  }
}

size_t RecordPool::chunk_records(size_t chunk) const {
  const uint64_t first = uint64_t{chunk} << shift_;
  const uint64_t left = capacity_ - first;
  const uint64_t full = uint64_t{1} << shift_;
  return static_cast<size_t>(left < full ? left : full);
}

// Room for record allocated_: chunk 0 doubles until full, then a new chunk.
void RecordPool::grow() {
  if (chunks_.empty() || (chunks_.size() == 1 && first_records_ < chunk_records(0))) {
    const size_t full = chunk_records(0);
    size_t n = first_records_ == 0 ? kFirstRecords : size_t{first_records_} * 2;
    if (n > full) n = full;
    chunks_.reserve(1);  // may throw: before the allocation
    auto* chunk = static_cast<uint8_t*>(zeroed_alloc(n * stride_));
    if (chunk == nullptr) throw std::bad_alloc();
    if (chunks_.empty()) {
      chunks_.push_back(chunk);
    } else {
      std::memcpy(chunk, chunks_[0], size_t{first_records_} * stride_);
      zeroed_free(chunks_[0], size_t{first_records_} * stride_);
      chunks_[0] = chunk;
    }
    first_ = chunk;
    bytes_ += (n - first_records_) * stride_;
    allocated_ += static_cast<uint32_t>(n - first_records_);
    first_records_ = static_cast<uint32_t>(n);
    return;
  }
  const size_t n = chunk_records(chunks_.size());
  chunks_.reserve(chunks_.size() + 1);  // may throw: before the allocation
  auto* chunk = static_cast<uint8_t*>(zeroed_alloc(n * stride_));
  if (chunk == nullptr) throw std::bad_alloc();
  chunks_.push_back(chunk);
  bytes_ += n * stride_;
  allocated_ += static_cast<uint32_t>(n);
}

uint32_t RecordPool::take() {
  uint32_t i;
  if (free_head_ != kNil) {
    i = free_head_;
    std::memcpy(&free_head_, at(i), sizeof free_head_);
  } else {
    if (watermark_ == capacity_) return kNil;
    if (watermark_ == allocated_) grow();
    i = watermark_++;
  }
  ++in_use_;
  if (ref_offset_ != kNoClock) at(i)[ref_offset_] = 0;
  return i;
}

void RecordPool::give(uint32_t i) {
  std::memcpy(at(i), &free_head_, sizeof free_head_);
  free_head_ = i;
  --in_use_;
}

void RecordPool::clear() {
  watermark_ = 0;
  free_head_ = kNil;
  in_use_ = 0;
  hand_ = 0;
}

void RecordPool::restore(uint32_t handed_out, uint32_t free_head, uint32_t in_use, uint32_t hand) {
  while (allocated_ < handed_out) grow();
  watermark_ = handed_out;
  free_head_ = free_head;
  in_use_ = in_use;
  hand_ = hand;
}

uint32_t RecordPool::run_from(uint32_t i) const {
  const size_t chunk = i >> shift_;
  const uint64_t end =
      (uint64_t{chunk} << shift_) + (chunk == 0 ? first_records_ : chunk_records(chunk));
  return static_cast<uint32_t>(end - i);
}

uint32_t RecordPool::clock_victim() {
  for (;;) {
    if (hand_ >= watermark_) hand_ = 0;
    const uint32_t i = hand_++;
    uint8_t& ref = at(i)[ref_offset_];
    if (ref == 0) return i;
    ref = 0;
  }
}

}  // namespace tophash::core
