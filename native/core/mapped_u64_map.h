// A U64Map snapshot served from the file itself: U64Map.open().
//
// The file is mapped read-only and private, its header and section table are
// checked (steps 1-4 of docs/FORMAT.md: a few hundred bytes), and lookups go
// straight to the mapped bucket arrays, so a map of 1e8 entries is usable in
// the time the checks take and the OS brings pages in as lookups touch them.
//
// The on-disk bucket is the in-memory one with the overflow pointer replaced
// by an index (0 = none, else 1 + the overflow bucket's index), so this view
// has its own Bucket type with the same layout and follows links through
// next_bucket(). It offers the read surface batch_pipeline.h needs (hasher,
// match kernel, home_bucket, next_bucket, find_from), so batches run the
// same four-stage pipeline as the table's, with the same hash and match
// kernels.
//
// What open does not check is every section's checksum: that reads the whole
// file, which is what open avoids (verify() does it on demand). So a lookup
// must be safe on bytes nothing has vouched for: every link is checked
// against the overflow count before it is followed and a chain may visit at
// most 1 + overflow buckets, so a damaged or forged file cannot make a read
// leave the mapping or loop; it fails with ERR_SNAPSHOT_CORRUPT. A bit flip
// that keeps the structure valid (a key or value changed) goes unnoticed
// until verify().
//
// Reads must go through read() (core/fault_guard.h): a file truncated in
// place by another process raises SIGBUS on the pages past its new end, and
// read() turns that into ERR_SNAPSHOT_CHANGED. Once that has happened the
// view refuses every later read the same way.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "core/fault_guard.h"
#include "core/snapshot_file.h"
#include "core/snapshot_format.h"
#include "core/u64_map.h"

namespace tophash::core {

// The snapshot file was truncated or rewritten in place while mapped.
inline constexpr const char* kSnapshotChanged = "ERR_SNAPSHOT_CHANGED";

class MappedU64Map {
 public:
  using Key = uint64_t;
  using Probe = uint64_t;

  struct Bucket {
    uint8_t tophash[kBucketSlots];
    uint64_t keys[kBucketSlots];
    double values[kBucketSlots];
    uint64_t overflow;  // 0 = none, else 1 + the index in the overflow section

    uint64_t ctrl() const {
      uint64_t w;
      std::memcpy(&w, tophash, sizeof w);
      return w;
    }
    bool ends_chain() const { return tophash[kBucketSlots - 1] == kEmptyRest; }
  };
  static_assert(sizeof(Bucket) == sizeof(U64Table::Bucket), "the file's bucket is the table's");

  // Maps the snapshot at path. match: the match kernel (any works); hash:
  // the kernel the caller insists on or nullptr (as in read_u64_snapshot).
  // Throws SnapshotError naming what is wrong (the header and section table
  // are checked), with the errno name for I/O failures.
  static std::unique_ptr<MappedU64Map> open(const std::string& path, const simd::MatchKernel* match,
                                            const hash::HashKernel* hash);
  // A view of n bytes the caller keeps alive and unchanged (tests, fuzzer).
  static std::unique_ptr<MappedU64Map> over(const uint8_t* bytes, size_t n,
                                            const simd::MatchKernel* match,
                                            const hash::HashKernel* hash);
  ~MappedU64Map();
  MappedU64Map(const MappedU64Map&) = delete;
  MappedU64Map& operator=(const MappedU64Map&) = delete;

  // --- the read surface batch_pipeline.h uses; call inside read() ---
  const Hasher& hasher() const { return hasher_; }
  const simd::MatchKernel* match_kernel() const { return match_; }
  uint64_t hash(uint64_t key) const { return hasher_.kernel->u64(key, hasher_.seed); }
  const Bucket* home_bucket(uint64_t hash) const { return buckets_ + (hash & mask_); }
  // The bucket array's bytes: small ones are looked up key by key.
  uint64_t bucket_bytes() const { return (mask_ + 1) * sizeof(Bucket); }
  // Throws ERR_SNAPSHOT_CORRUPT for a link past the overflow section.
  const Bucket* next_bucket(const Bucket* b) const;
  // match_tag as in Table::find_from: the kernel's function or its inline word.
  template <class MatchTag>
  const double* find_from(const Bucket* b, uint64_t key, uint8_t top, simd::SlotMask first_mask,
                          MatchTag match_tag) const {
    simd::SlotMask m = first_mask;
    for (uint64_t steps = 1;; ++steps) {
      check_chain_length(steps, b);
      while (m != 0) {
        const int i = __builtin_ctz(m);
        if (b->keys[i] == key) return &b->values[i];
        m &= m - 1;
      }
      if (b->ends_chain()) return nullptr;
      b = next_bucket(b);
      if (b == nullptr) return nullptr;
      m = match_tag(b->ctrl(), top);
    }
  }
  const double* find_from(const Bucket* b, uint64_t key, uint8_t top,
                          simd::SlotMask first_mask) const {
    return find_from(b, key, top, first_mask, match_->match_tag);
  }
  template <class MatchTag>
  const double* find(uint64_t key, uint64_t hash, MatchTag match_tag) const {
    const Bucket* b = home_bucket(hash);
    const uint8_t top = tophash_of(hash);
    return find_from(b, key, top, match_tag(b->ctrl(), top), match_tag);
  }
  const double* find(uint64_t key, uint64_t hash) const {
    return find(key, hash, match_->match_tag);
  }
  // Table::scan's contract: the chain of bucket (cursor & mask), then the next cursor.
  template <class Visit>
  uint64_t scan(uint64_t cursor, Visit&& visit) const {
    const Bucket* b = buckets_ + (cursor & mask_);
    for (uint64_t steps = 0; b != nullptr; b = next_bucket(b)) {
      check_chain_length(++steps, b);
      for (int i = 0; i < kBucketSlots; ++i) {
        if (b->tophash[i] >= kMinTopHash) visit(b->keys[i], b->values[i]);
      }
    }
    return next_scan_cursor(cursor, mask_);
  }

  // Runs fn() with faults in the mapping turned into ERR_SNAPSHOT_CHANGED
  // (see the top of this file for what fn may do).
  template <class F>
  void read(F&& fn) const {
    if (changed_) throw_changed();
    if (!guarded(base_, bytes_, fn)) {
      changed_ = true;
      throw_changed();
    }
  }
  // Throws ERR_SNAPSHOT_CHANGED if the file's size or modification time
  // differ from when it was opened (a write in place); a fstat, no page read.
  void check_unchanged() const;

  // Entries, from the header (not counted: see verify()).
  uint64_t size() const { return count_; }
  TableStats stats() const;
  const std::string& path() const;

  // Step 5 of docs/FORMAT.md: every section's checksum and the padding,
  // read through the file descriptor (so a truncated file is an error, not
  // a fault). Throws ERR_SNAPSHOT_CORRUPT naming the section.
  void verify() const;
  // The snapshot read into an ordinary table with every check load() makes
  // (U64Map.open's copy-on-write): the file as it is now, through the
  // descriptor, even if the path was unlinked or replaced since.
  std::unique_ptr<U64Table> materialize() const;
  // Writes the snapshot's bytes to path crash-safely (as U64Map#save does).
  void save(const std::string& path) const;

 private:
  MappedU64Map() = default;
  void attach(const uint8_t* base, size_t bytes, const simd::MatchKernel* match,
              const hash::HashKernel* hash);
  SnapshotSource& source() const;
  void check_chain_length(uint64_t steps, const Bucket* b) const;
  [[noreturn]] void throw_changed() const;
  [[noreturn]] void corrupt(const Bucket* b, const std::string& what) const;
  std::string name(const Bucket* b) const;

  std::unique_ptr<FileSource> file_;  // null for a view over memory
  std::unique_ptr<MemorySource> memory_;
  const uint8_t* base_ = nullptr;
  size_t bytes_ = 0;
  bool mapped_ = false;  // base_ came from mmap
  int64_t mtime_ns_ = 0;
  const Bucket* buckets_ = nullptr;
  const Bucket* overflow_ = nullptr;
  uint64_t mask_ = 0;
  unsigned B_ = 0;
  uint64_t noverflow_ = 0;
  uint64_t count_ = 0;
  const simd::MatchKernel* match_ = nullptr;
  Hasher hasher_{};
  mutable bool changed_ = false;
};

// Batches over the view, run inside its read(); as get_batch/has_batch.
size_t get_batch(const MappedU64Map& m, const KeyBatch& keys, double* out, uint8_t* found);
size_t has_batch(const MappedU64Map& m, const KeyBatch& keys, uint8_t* out);

}  // namespace tophash::core
