// Batches far bigger than the caches, applied a region of the bucket array
// at a time.
//
// In batch order, random keys touch random buckets: once the array is far
// bigger than the caches every key misses on its bucket's lines. For writes
// each line dirtied is also written back later, so a bucket that receives
// six keys is fetched and written back six times; prefetching hides the
// latency but not that traffic, which bounded setBatch of 1e7 new u64 keys at
// ~69 ns/key (2-vCPU EPYC). Lookups fetch the lines once per key as well.
//
// So a big batch into an array bigger than the last-level cache is first
// partitioned by the high bits of each key's home bucket into regions of the
// array small enough for the L2 cache (a stable counting partition: one pass
// counts, one pass scatters a record per key), and then applied a region at
// a time, each region's lines fetched about once and prefetched a few
// records ahead. The scatter writes to one open line per region.
//
// Measured on a 2-vCPU EPYC, CPU time per key, in order / partitioned:
// setBatch of 1e7 new u64 keys 69 / 22, getBatch of 1e7 hits 37 / 24.
//
// Writes: the partition is stable, so the keys of one bucket are applied in
// batch order. Every bucket ends with the same slots in the same order as
// in-order inserts give, and a key repeated in the batch ends with its last
// value; only the overflow buckets' addresses differ, which nothing observes.
//
// Lookups: the results go to out[i] in the order the regions are visited,
// stores the core retires without waiting on them.
//
// For u64 keys only (worth_partitioning_lookups says why). The cost is scratch
// memory, one record of 24 bytes per key, at most kMaxPieceKeys of them at a
// time, freed before the call returns; when it cannot be had the batch goes
// in order as before. A batch with few keys per bucket gains nothing (each
// region's lines would still be fetched once per key) and also goes in order.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <vector>

#include "core/batch_pipeline.h"
#include "core/batch_scratch.h"

namespace tophash::core::batch {

// The array region one partition covers is the largest power of two of
// buckets within this: 295 KB of u64 buckets, under a third of a 1 MiB L2,
// leaving room for the region's overflow buckets and the scatter's open
// lines. Measured on setBatch of 1e7 new u64 keys (ns/key): regions of 147 KB
// 28-30, 295 KB 25-26, 590 KB 27-28; in order, 69.
inline constexpr size_t kRegionBytes = size_t{512} << 10;
// Arrays within the last-level cache gain nothing: the pipeline's prefetches
// reach them quickly, and the partition's two passes cost more (getBatch of
// 2e5 keys, a 5.5 MB array: 10 ns/key in order, 19 partitioned; 5e5, 19 MB:
// even; 1e6, 38 MB: 27 against 24). An array counts as past it when it is
// this many times the L2-resident size (3/4 of L2): 24 MiB with a 1 MiB L2,
// under a Zen core's 32 MiB share of L3. (The C library's L3 figure is the
// whole package's, not what one core reaches.)
inline constexpr size_t kPastL3 = 32;
// Keys per bucket below which a batch goes in order.
inline constexpr uint64_t kMinKeysPerBucketShift = 1;  // half a key per bucket
// A batch is partitioned this many keys at a time, which bounds the scratch
// memory (384 MiB of u64 records) whatever the batch's size.
inline constexpr size_t kMaxPieceKeys = size_t{1} << 24;

// Records ahead whose buckets are prefetched: a region's lines still come
// from memory the first time it is visited.
inline constexpr size_t kAhead = 16;

template <class TableT>
struct SetRecord {
  uint64_t hash;
  ProbeOf<TableT> probe;
  double value;
};

template <class TableT>
struct GetRecord {
  uint64_t hash;
  ProbeOf<TableT> probe;
  uint64_t index;  // in the batch
};

// Only a core::Table has regions (the mapped view's array is the file's).
template <class TableT, class = void>
struct HasRegions : std::false_type {};
template <class TableT>
struct HasRegions<TableT, std::void_t<decltype(std::declval<const TableT&>().log2_buckets())>>
    : std::true_type {};

// u64 keys only. Byte keys lost: a record holds a pointer to the key's
// bytes, which the region pass then reads in random order, and hashing them
// twice costs more than a u64's hash (StrMap getBatch of 1e6 packed keys,
// a 32 MB array: 67 ns/key in order, 99 partitioned); fixed-width keys'
// records are copies of the key. A lookup batch qualifies with this alone.
template <class TableT>
bool worth_partitioning_lookups(const TableT& t, size_t keys) {
  if constexpr (!HasRegions<TableT>::value || !std::is_integral_v<ProbeOf<TableT>>) {
    return false;
  } else {
    const unsigned B = t.log2_buckets();
    return !t.growing() && t.bucket_bytes() / kPastL3 > cache_resident_bytes() &&
           (uint64_t{keys} << kMinKeysPerBucketShift) >= (uint64_t{1} << B);
  }
}

// A write batch must also be safe to apply without a doubling starting
// halfway (the regions are the current array's): the table has room for
// every key as a new one.
template <class TableT>
bool worth_partitioning(const TableT& t, size_t keys) {
  if constexpr (!HasRegions<TableT>::value) {
    return false;
  } else {
    return worth_partitioning_lookups(t, keys) &&
           !over_load_factor(t.size() + keys, t.log2_buckets());
  }
}

// Which region a hash's home bucket lies in.
struct RegionMap {
  uint64_t mask;
  unsigned shift;
  size_t count;
  size_t of(uint64_t hash) const { return static_cast<size_t>((hash & mask) >> shift); }
};

template <class TableT>
RegionMap region_map(const TableT& t) {
  const unsigned B = t.log2_buckets();
  unsigned shift = 0;
  while (shift < B && (sizeof(typename TableT::Bucket) << (shift + 1)) <= kRegionBytes) ++shift;
  return {(uint64_t{1} << B) - 1, shift, size_t{1} << (B - shift)};
}

// Stable partition of keys [first, first + n) of the batch into records[0, n)
// by region; fill(record, probe, hash, batch index) writes each record.
template <class TableT, class Source, class Record, class Fill>
void partition_keys(const TableT& t, const Source& src, size_t first, size_t n,
                    const RegionMap& regions, Record* records, std::vector<size_t>& next,
                    Fill& fill) {
  ProbeOf<TableT> probes[Source::kChunk];
  uint64_t hashes[Source::kChunk];
  std::fill(next.begin(), next.end(), 0);
  for (size_t start = first; start < first + n; start += Source::kChunk) {
    const size_t len = std::min(Source::kChunk, first + n - start);
    src.load(start, len, t.hasher(), probes, hashes);
    for (size_t i = 0; i < len; ++i) ++next[regions.of(hashes[i])];
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
      fill(records[next[regions.of(hashes[i])]++], probes[i], hashes[i], start + i);
    }
  }
}

// Partitions the batch a piece at a time and hands each piece's records,
// region by region, to apply(records, n). False, with nothing applied, when
// the scratch memory is not to be had.
template <class Record, class TableT, class Source, class Fill, class Apply>
bool apply_partitioned(const TableT& t, const Source& src, size_t max_piece_keys, Fill&& fill,
                       Apply&& apply) {
  static_assert(std::is_trivially_copyable_v<ProbeOf<TableT>>, "probes are copied into scratch");
  const RegionMap regions = region_map(t);
  const size_t n = src.count();
  const size_t piece = std::min(n, max_piece_keys);
  const ScratchLease scratch(piece * sizeof(Record), t.bucket_bytes());
  auto* records = static_cast<Record*>(scratch.data());
  if (records == nullptr) return false;
  std::vector<size_t> next;
  try {
    next.resize(regions.count);
  } catch (const std::bad_alloc&) {
    return false;
  }
  for (size_t first = 0; first < n; first += piece) {
    const size_t len = std::min(piece, n - first);
    partition_keys(t, src, first, len, regions, records, next, fill);
    apply(static_cast<const Record*>(records), len);
  }
  return true;
}

// setBatch region by region; false, with the table untouched, when the
// scratch memory is not to be had. `added`: keys that were new.
template <class TableT, class Source>
bool set_partitioned(TableT& t, const Source& src, const double* values, size_t& added,
                     size_t max_piece_keys = kMaxPieceKeys) {
  using Record = SetRecord<TableT>;
  return apply_partitioned<Record>(
      t, src, max_piece_keys,
      [values](Record& r, const ProbeOf<TableT>& probe, uint64_t hash, size_t i) {
        r.hash = hash;
        r.probe = probe;
        r.value = values[i];
      },
      [&](const Record* records, size_t n) {
        for (size_t i = 0; i < n; ++i) {
          if (i + kAhead < n) prefetch_bucket_for_write(t.write_bucket(records[i + kAhead].hash));
          added += t.assign(records[i].probe, records[i].hash, records[i].value);
        }
      });
}

// A piece's records in region order, the kernel's one-word match inline as
// in lookup_resident_with (batch_pipeline.h). Returns the hits.
template <class TableT, class Record, class OnResult, class WordMatch>
[[gnu::noinline]] size_t lookup_region_records(const TableT& t, const Record* records, size_t n,
                                               OnResult& on_result, WordMatch match_tag) {
  size_t hits = 0;
  for (size_t i = 0; i < n; ++i) {
    if (i + kAhead < n) prefetch_bucket_for_read(t.home_bucket(records[i + kAhead].hash));
    const auto* v = t.find(records[i].probe, records[i].hash, match_tag);
    hits += v != nullptr;
    on_result(static_cast<size_t>(records[i].index), v);
  }
  return hits;
}

// on_result(i, const Value*) for every key, region by region; the number
// found through `hits`. False, with nothing looked up, when the scratch
// memory is not to be had.
template <class TableT, class Source, class OnResult>
bool lookup_partitioned(const TableT& t, const Source& src, OnResult& on_result, size_t& hits,
                        size_t max_piece_keys = kMaxPieceKeys) {
  using Record = GetRecord<TableT>;
  return apply_partitioned<Record>(
      t, src, max_piece_keys,
      [](Record& r, const ProbeOf<TableT>& probe, uint64_t hash, size_t i) {
        r.hash = hash;
        r.probe = probe;
        r.index = i;
      },
      [&](const Record* records, size_t n) {
        hits += simd::with_word_match(*t.match_kernel(), [&](auto match_tag) {
          return lookup_region_records(t, records, n, on_result, match_tag);
        });
      });
}

}  // namespace tophash::core::batch
