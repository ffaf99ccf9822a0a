// Fixed-size records addressed by a u32 index, and the CLOCK evictor over
// them: the values of a BpfMap (as the kernel's hashtab keeps them in
// preallocated htab_elems) and the rows of an Aggregator. The table's slot
// holds the index, so a record never moves when the table grows (slots do),
// and "the map is full" is "the pool is empty", known before the table is
// touched.
//
// Records are handed out from a free list (freed records, linked through
// their first 4 bytes) and then from a high-water mark, and allocated as
// they are first needed rather than all `capacity` up front: a map declared
// with room for 1e8 entries that holds 1e3 costs 1e3 records, and no single
// mapping of capacity * stride bytes has to fit the address-space
// overcommit limit. The first chunk starts at kFirstRecords and doubles
// (moving its records) until it is a full chunk; later chunks are full from
// the start. A full chunk is at most ~2 MiB and holds a power of two of
// records, so an index maps to its record with a shift, a mask and one load
// from a short array, and a pool of a few records costs a few records.
//
// The Aggregator, whose every event indexes a row, builds its pool as one
// chunk (kOneChunk): the rows are then one array that doubles, indexed by a
// multiply alone, and move when it grows, as a vector's would. BpfMap keeps
// 2 MiB chunks: its maps may declare 2^31 records of 64 KiB.
//
// CLOCK (SECOND CHANCE)
//
// A pool built with a reference-byte offset keeps, at that offset in each
// record, a byte its owner sets when the record is used. Eviction is needed
// only when every record is in use, so the hand sweeps the dense range of
// records handed out: a record with the byte set has it cleared and is
// passed over, the first with it clear is the victim. Each clear is paid for
// by the use that set it, so eviction is O(1) amortised, and a record taken
// just now (unreferenced, behind the hand) survives a full revolution. This
// is the kernel's own approximation of LRU: its BPF LRU lists carry a `ref`
// bit set on lookup and rotate referenced nodes instead of evicting them
// (kernel/bpf/bpf_lru_list.c). An exact LRU list would cost two more random
// cache lines (the neighbours' links) per use.
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
  static constexpr uint32_t kFirstRecords = 16;
  static constexpr size_t kNoClock = SIZE_MAX;
  // A chunk size for pools that stay one array (see view()).
  static constexpr size_t kOneChunk = SIZE_MAX;

  // capacity < kNil records of stride bytes (a multiple of 8, at least 8);
  // ref_offset is where each record's reference byte sits (kNoClock: none);
  // a full chunk is at most chunk_bytes.
  RecordPool(uint32_t capacity, size_t stride, size_t ref_offset = kNoClock,
             size_t chunk_bytes = kChunkBytes);
  ~RecordPool();
  RecordPool(const RecordPool&) = delete;
  RecordPool& operator=(const RecordPool&) = delete;

  // Indexing as plain values, for loops that must not reload the pool's
  // members after every store through a record pointer. Valid until take().
  uint8_t* at(uint32_t i) const { return chunks_[i >> shift_] + size_t{i & mask_} * stride_; }

  // A pool built with kOneChunk as plain values: the records are one array,
  // so indexing needs no load from the chunk list, and a loop holding these
  // locals need not reload the pool's members after every store through a
  // record pointer. Valid until take().
  struct View {
    uint8_t* first;
    size_t stride;
    uint8_t* at(uint32_t i) const { return first + size_t{i} * stride; }
  };
  View view() const { return {first_, stride_}; }

  // A free record's index, unreferenced, or kNil when all `capacity` are in
  // use. Throws std::bad_alloc, pool unchanged, when memory runs out. May
  // move the records while the pool is smaller than one chunk.
  uint32_t take();
  // Returns record i (in use) to the free list.
  void give(uint32_t i);
  // Every record free again, handed out anew from index 0; memory is kept.
  void clear();

  // Marks record i used, storing only when the byte is clear (a clean cache
  // line stays clean on repeated hits).
  void touch(uint32_t i) {
    uint8_t& ref = at(i)[ref_offset_];
    if (ref == 0) ref = 1;
  }
  // The CLOCK hand's victim: the next unreferenced record at or after the
  // hand, clearing the references it passes. Only with every record handed
  // out in use; the record stays in use, the caller's to reuse or give back.
  uint32_t clock_victim();

  // For a pool read from a snapshot (a new pool): records [0, handed_out)
  // get memory, their bytes the caller's to fill (see run_from), and the
  // free list, the count in use and the CLOCK hand are as given. Throws
  // std::bad_alloc. The caller has checked the free list and counts.
  void restore(uint32_t handed_out, uint32_t free_head, uint32_t in_use, uint32_t hand);
  // How many records from record i (< allocated()) are contiguous in memory.
  uint32_t run_from(uint32_t i) const;
  uint32_t free_head() const { return free_head_; }
  uint32_t hand() const { return hand_; }

  uint32_t capacity() const { return capacity_; }
  uint32_t in_use() const { return in_use_; }
  // Records [0, handed_out()) have been handed out since creation or clear().
  uint32_t handed_out() const { return watermark_; }
  // Records [0, allocated()) have memory.
  uint32_t allocated() const { return allocated_; }
  size_t stride() const { return stride_; }
  size_t ref_offset() const { return ref_offset_; }
  uint64_t bytes() const { return bytes_; }

 private:
  size_t chunk_records(size_t chunk) const;
  void grow();

  std::vector<uint8_t*> chunks_;
  uint8_t* first_ = nullptr;  // chunks_[0]
  uint32_t capacity_;
  size_t stride_;
  size_t ref_offset_;
  unsigned shift_;
  uint32_t mask_;
  uint32_t first_records_ = 0;  // records chunk 0 holds now
  uint32_t allocated_ = 0;
  uint32_t watermark_ = 0;
  uint32_t free_head_ = kNil;
  uint32_t in_use_ = 0;
  uint32_t hand_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace tophash::core
