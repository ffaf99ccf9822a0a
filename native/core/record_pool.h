// Fixed-size records addressed by a u32 index: the values of a BpfMap, as the
// kernel's hashtab keeps them in preallocated htab_elems. The table's slot
// holds the index, so a record never moves when the table grows (slots do),
// and "the map is full" is "the pool is empty", known before the table is
// touched.
//
// Records are handed out from a free list (freed records, linked through
// their first 4 bytes) and then from a high-water mark, in chunks allocated
// on first use rather than all maxEntries up front: a map declared with room
// for 1e8 entries that holds 1e3 costs 1e3 records, and no single mapping of
// maxEntries * recordSize bytes has to fit the address-space overcommit limit.
// A chunk is at most ~2 MiB and holds a power of two of records, so an index
// maps to its record with a shift, a mask and one load from a short array.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace tophash::core {

class RecordPool {
 public:
  static constexpr uint32_t kNil = UINT32_MAX;
  static constexpr size_t kChunkBytes = size_t{2} << 20;

  // capacity < kNil records of stride bytes (a multiple of 8, at least 8).
  RecordPool(uint32_t capacity, size_t stride);
  ~RecordPool();
  RecordPool(const RecordPool&) = delete;
  RecordPool& operator=(const RecordPool&) = delete;

  uint8_t* at(uint32_t i) const { return chunks_[i >> shift_] + size_t{i & mask_} * stride_; }

  // A free record's index, or kNil when all `capacity` are in use. Throws
  // std::bad_alloc, pool unchanged, when a new chunk cannot be had.
  uint32_t take();
  // Returns record i (in use) to the free list.
  void give(uint32_t i);

  uint32_t capacity() const { return capacity_; }
  uint32_t in_use() const { return in_use_; }
  size_t stride() const { return stride_; }
  uint64_t bytes() const { return bytes_; }

 private:
  size_t chunk_records(size_t chunk) const;

  std::vector<uint8_t*> chunks_;
  uint32_t capacity_;
  size_t stride_;
  unsigned shift_;
  uint32_t mask_;
  uint32_t watermark_ = 0;  // records [0, watermark_) have been handed out at least once
  uint32_t free_head_ = kNil;
  uint32_t in_use_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace tophash::core
