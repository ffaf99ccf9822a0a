// setBatch of a big batch into a big table, a region of the bucket array at
// a time.
//
// Applied in batch order, random keys write random buckets: once the array
// is far bigger than the caches, every insert misses on its bucket's lines
// and each line it dirties is written back later, so a bucket that receives
// six keys is fetched and written back about six times. Prefetching hides
// the latency but not the traffic, and the traffic is what bounds an insert
// into a 300 MB table (~65 ns/key at 1e7 keys on a 2-vCPU EPYC).
//
// So a big batch is first partitioned by the high bits of each key's home
// bucket into regions of the array small enough for the L2 cache (a stable
// counting partition: one pass counts, one pass scatters each key with its
// hash and value), and then applied a region at a time. Each bucket line is
// then fetched about once, and the scatter's writes go to one open line per
// region. The partition is stable, so the keys of one bucket are applied in
// batch order: every bucket ends with the same slots in the same order as
// in-order inserts give, and a key repeated in the batch ends with its last
// value. Only the overflow buckets' addresses differ, which nothing observes.
//
// The cost is scratch memory, one record (hash, key, value) per key, freed
// before the call returns; when it cannot be had the batch is applied in
// order as before. A batch too small for its table to hold some keys per
// bucket gains nothing (each region's lines would still be fetched once per
// key) and also goes in order.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "core/batch_pipeline.h"
#include "core/zeroed_memory.h"

namespace tophash::core::batch {

// The array region one partition covers is the largest power of two of
// buckets within this: 295 KB of u64 buckets, under a third of a 1 MiB L2,
// leaving room for the region's overflow buckets and the scatter's open
// lines. Measured on setBatch of 1e7 new u64 keys (ns/key): regions of 147 KB
// 28-30, 295 KB 25-26, 590 KB 27-28; in order, 69.
inline constexpr size_t kRegionBytes = size_t{512} << 10;
// Keys per bucket below which a batch goes in order.
inline constexpr uint64_t kMinKeysPerBucketShift = 1;  // half a key per bucket
// A batch is partitioned this many keys at a time, which bounds the scratch
// memory (384 MiB of u64 records) whatever the batch's size.
inline constexpr size_t kMaxPieceKeys = size_t{1} << 24;

template <class TableT>
struct PartitionRecord {
  uint64_t hash;
  ProbeOf<TableT> probe;
  double value;
};

// Worth it, and safe to assume no doubling starts halfway (the regions are
// the current array's): the table has room for every key as a new one.
template <class TableT>
bool worth_partitioning(const TableT& t, size_t keys) {
  // Long fixed-width keys would make each record a copy of the key: left in order.
  if (sizeof(PartitionRecord<TableT>) > 48) return false;
  const unsigned B = t.log2_buckets();
  return !t.growing() && !over_load_factor(t.size() + keys, B) &&
         t.bucket_bytes() / 4 > cache_resident_bytes() &&
         (uint64_t{keys} << kMinKeysPerBucketShift) >= (uint64_t{1} << B);
}

// Applies the batch region by region; false, with the table untouched, when
// the scratch memory is not to be had. `added`: keys that were new.
// Partitions keys [first, first + n) of the batch into `records` by region
// (stable), then applies them; `next` has one counter per region.
template <class TableT, class Source>
void partition_and_apply(TableT& t, const Source& src, const double* values, size_t first, size_t n,
                         unsigned region_shift, PartitionRecord<TableT>* records,
                         std::vector<size_t>& next, size_t& added) {
  const uint64_t mask = (uint64_t{1} << t.log2_buckets()) - 1;
  auto region_of = [&](uint64_t hash) {
    return static_cast<size_t>((hash & mask) >> region_shift);
  };
  ProbeOf<TableT> probes[Source::kChunk];
  uint64_t hashes[Source::kChunk];
  std::fill(next.begin(), next.end(), 0);
  for (size_t start = first; start < first + n; start += Source::kChunk) {
    const size_t len = std::min(Source::kChunk, first + n - start);
    src.load(start, len, t.hasher(), probes, hashes);
    for (size_t i = 0; i < len; ++i) ++next[region_of(hashes[i])];
  }
  size_t at = 0;
  for (size_t& slot : next) {
    const size_t count = slot;
    slot = at;
    at += count;
  }
  for (size_t start = first; start < first + n; start += Source::kChunk) {
    const size_t len = std::min(Source::kChunk, first + n - start);
    src.load(start, len, t.hasher(), probes, hashes);
    for (size_t i = 0; i < len; ++i) {
      PartitionRecord<TableT>& r = records[next[region_of(hashes[i])]++];
      r.hash = hashes[i];
      r.probe = probes[i];
      r.value = values[start + i];
    }
  }
  for (size_t i = 0; i < n; ++i)
    added += t.assign(records[i].probe, records[i].hash, records[i].value);
}

// Applies the batch region by region; false, with the table untouched, when
// the scratch memory is not to be had. `added`: keys that were new.
template <class TableT, class Source>
bool set_partitioned(TableT& t, const Source& src, const double* values, size_t& added,
                     size_t max_piece_keys = kMaxPieceKeys) {
  static_assert(std::is_trivially_copyable_v<ProbeOf<TableT>>, "probes are copied into scratch");
  using Bucket = typename TableT::Bucket;
  using Record = PartitionRecord<TableT>;
  const unsigned B = t.log2_buckets();
  unsigned region_shift = 0;
  while (region_shift < B && (sizeof(Bucket) << (region_shift + 1)) <= kRegionBytes) ++region_shift;
  const size_t n = src.count();
  const size_t piece = std::min(n, max_piece_keys);
  const size_t scratch_bytes = piece * sizeof(Record);
  auto* records = static_cast<Record*>(zeroed_alloc(scratch_bytes, /*huge_pages=*/true));
  if (records == nullptr) return false;
  std::vector<size_t> next;
  try {
    next.resize(size_t{1} << (B - region_shift));
  } catch (const std::bad_alloc&) {
    zeroed_free(records, scratch_bytes);
    return false;
  }
  try {
    for (size_t first = 0; first < n; first += piece) {
      partition_and_apply(t, src, values, first, std::min(piece, n - first), region_shift, records,
                          next, added);
    }
  } catch (...) {
    zeroed_free(records, scratch_bytes);
    throw;
  }
  zeroed_free(records, scratch_bytes);
  return true;
}

}  // namespace tophash::core::batch
