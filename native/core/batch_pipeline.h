// The batch pipeline behind every map's batches: u64 keys (u64_batch.cpp),
// variable-length byte keys (str_batch.cpp) and fixed-width keys
// (fixed_map.cpp); batch_operations.h builds get/has/set/delete on it.
//
// Per chunk of keys: load and hash them all with the kernel's many-key entry
// point, prefetch every home bucket, and only then match and compare.
// Lookups keep four chunks in flight, so the memory latency of one chunk
// hides behind the work on the others. While chunk r is resolved:
//
//   r+1  chased   keys with no tag match whose chain goes on have their
//                 overflow bucket prefetched; matched keys whose bytes live
//                 outside the slot (long byte keys) have those prefetched
//   r+2  matched  4 (AVX2) or 8 (AVX-512) buckets' control words compared
//                 per instruction; matched slots' lines prefetched
//   r+3  hashed   home buckets' lines in flight
//
// Writes run two deep: the next chunk is hashed and its buckets prefetched
// before the current one is applied in batch order.
//
// Lookups in a table small enough to stay in the L2 cache skip the stages
// (lookup_resident_with): with nothing to hide, each stage's pass over the chunk
// cost more than it saved, nearly 2x at 1e3 keys.
//
// Each stage is a function of its own that is never inlined. A call per
// chunk of keys is noise next to a chunk's cache misses, and it leaves one
// symbol per stage and key kind in the binary, which
// scripts/check-pipeline-stages.js finds and checks for prefetches: a
// compiler that drops a stage fails the tests rather than quietly slowing
// batches down.
//
// TableT is a core::Table or a view with the same read surface (Bucket with
// ctrl(), ends_chain(), keys, values and an overflow link; hasher(),
// match_kernel(), home_bucket(), next_bucket(), find_from()): the mapped
// U64Map (core/mapped_u64_map.h), whose links are indices into the file.
//
// A Source describes the batch:
//   static constexpr size_t kChunk;    keys per chunk
//   size_t count() const;
//   void load(size_t start, size_t n, const Hasher&, ProbeOf<TableT>* probes,
//             uint64_t* hashes) const;
//   optional: static void prefetch_stored(const Key& slot, const ProbeOf<TableT>&);
//     starts loading what comparing the probe with a matched slot will read
//     beyond the slot.
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "core/prefetch.h"
#include "core/table.h"
#include "simd/match_word.h"

namespace tophash::core::batch {

// What a chunk keeps per key: the table's probe, by value.
template <class TableT>
using ProbeOf = std::remove_cv_t<std::remove_reference_t<typename TableT::Probe>>;

// Lines of a bucket worth prefetching at first sight of its address: all of
// a small bucket, the control word and the first keys of a big one (fixed
// keys of 256 bytes). Prefetching only the control word's line first and the
// matched slot's lines a stage later fetched fewer lines but measured 1.5x
// slower on U64Map at 1e8 keys (102 against 68 ns/key, CPU time): every
// random access there misses the TLB, and the later prefetches did not
// overlap as the first ones do.
template <class Bucket>
constexpr size_t kPrefetchLines = sizeof(Bucket) <= 256 ? (sizeof(Bucket) + 63) / 64 : 2;

// Whether those lines hold the whole bucket, its overflow link included.
template <class Bucket>
constexpr bool kWholeBucketPrefetched = 64 * kPrefetchLines<Bucket> >= sizeof(Bucket);

template <class Bucket>
inline void prefetch_bucket_for_read(const Bucket* b) {
  const char* p = reinterpret_cast<const char*>(b);
  for (size_t i = 0; i < kPrefetchLines<Bucket>; ++i) prefetch_read(p + 64 * i);
}

template <class Bucket>
inline void prefetch_bucket_for_write(const Bucket* b) {
  const char* p = reinterpret_cast<const char*>(b);
  for (size_t i = 0; i < kPrefetchLines<Bucket>; ++i) prefetch_write(p + 64 * i);
}

// A home bucket with no tag match whose chain may go on: the key, if
// present, is in an overflow bucket.
template <class Bucket>
inline bool may_continue(const Bucket* b, uint8_t mask) {
  return mask == 0 && !b->ends_chain();
}

template <class Source>
inline size_t chunk_length(const Source& src, size_t start) {
  return src.count() - start < Source::kChunk ? src.count() - start : Source::kChunk;
}

template <class TableT, class Source>
struct LookupChunk {
  static constexpr size_t kN = Source::kChunk;
  size_t start = 0;
  size_t n = 0;
  ProbeOf<TableT> probes[kN];
  uint64_t hashes[kN];
  const typename TableT::Bucket* buckets[kN];
  uint8_t tags[kN];
  uint64_t ctrls[kN];
  uint8_t masks[kN];
};

template <class Source, class Key, class Probe, class = void>
struct HasPrefetchStored : std::false_type {};
template <class Source, class Key, class Probe>
struct HasPrefetchStored<Source, Key, Probe,
                         std::void_t<decltype(Source::prefetch_stored(
                             std::declval<const Key&>(), std::declval<const Probe&>()))>>
    : std::true_type {};

template <class TableT, class Source>
[[gnu::noinline]] void stage_hash_and_prefetch(const TableT& t, const Source& src, size_t start,
                                               LookupChunk<TableT, Source>* c) {
  c->start = start;
  c->n = chunk_length(src, start);
  src.load(start, c->n, t.hasher(), c->probes, c->hashes);
  for (size_t i = 0; i < c->n; ++i) {
    const auto* b = t.home_bucket(c->hashes[i]);
    c->buckets[i] = b;
    c->tags[i] = tophash_of(c->hashes[i]);
    prefetch_bucket_for_read(b);
  }
}

// The matched slots' lines were requested with the bucket when the bucket is
// small: prefetching them again keeps them close. A big bucket's overflow
// link lies beyond the lines prefetched with it, so for a key that will be
// chased the link's line is fetched now, a stage before the chase reads it.
template <class TableT, class Source>
[[gnu::noinline]] void stage_match(const TableT& t, LookupChunk<TableT, Source>* c) {
  using Bucket = typename TableT::Bucket;
  for (size_t i = 0; i < c->n; ++i) c->ctrls[i] = c->buckets[i]->ctrl();
  t.match_kernel()->match_tag_many(c->ctrls, c->tags, c->n, c->masks);
  for (size_t i = 0; i < c->n; ++i) {
    const Bucket* b = c->buckets[i];
    if (c->masks[i] != 0) {
      const int slot = __builtin_ctz(c->masks[i]);
      prefetch_read(&b->keys[slot]);
      prefetch_read(&b->values[slot]);
    } else if constexpr (!kWholeBucketPrefetched<Bucket>) {
      if (!b->ends_chain()) prefetch_read(&b->overflow);
    }
  }
}

// For the keys that must go on to an overflow bucket (about 5% at load 6):
// prefetch it a stage before the resolve loop walks to it. Left to the
// resolve loop, each such key is a chain of dependent misses that stalls the
// keys behind it. For matched keys the Source may prefetch what the compare
// reads beyond the slot (a long byte key's arena bytes), the slot's line
// having been requested a stage earlier.
template <class TableT, class Source>
[[gnu::noinline]] void stage_chase(const TableT& t, LookupChunk<TableT, Source>* c) {
  constexpr bool kStoredBytes =
      HasPrefetchStored<Source, typename TableT::Key, ProbeOf<TableT>>::value;
  for (size_t i = 0; i < c->n; ++i) {
    const auto* b = c->buckets[i];
    if (may_continue(b, c->masks[i])) {
      if (const auto* next = t.next_bucket(b)) prefetch_bucket_for_read(next);
    } else if constexpr (kStoredBytes) {
      if (c->masks[i] != 0) {
        Source::prefetch_stored(b->keys[__builtin_ctz(c->masks[i])], c->probes[i]);
      }
    }
  }
}

// A table whose buckets fit in the L2 cache gains nothing from prefetching
// them: each stage's pass over the chunk then costs more than the misses it
// hides. Such tables are looked up key by key, a chunk hashed at a time.
// Measured with u64 keys (CPU time per key, pipeline / key by key): 1e3
// keys, a 37 KB array, 8.3 / 4.5 ns; 1e4 (295 KB) 7.7 / 5.3; 3e4 (590 KB)
// 8.0 / 7.5; 5e4 (1.2 MB) 9.5 / 9.7; 1e5 (2.4 MB) 11.2 / 13.2, on an EPYC
// with 1 MiB of L2 per core. So the limit is 3/4 of the L2 cache
// (cache_size.cpp), and tests move it to run either path on any table.
size_t cache_resident_bytes();
void set_cache_resident_bytes(size_t bytes);

// Key by key, with the kernel's one-word match inline (simd/match_word.h):
// a call per key left the loop no registers for its counters and pointers.
template <class TableT, class Source, class OnResult, class WordMatch>
[[gnu::noinline]] size_t lookup_resident_with(const TableT& t, const Source& src,
                                              OnResult& on_result, WordMatch match_tag) {
  ProbeOf<TableT> probes[Source::kChunk];
  uint64_t hashes[Source::kChunk];
  size_t hits = 0;
  for (size_t start = 0; start < src.count(); start += Source::kChunk) {
    const size_t n = chunk_length(src, start);
    src.load(start, n, t.hasher(), probes, hashes);
    for (size_t i = 0; i < n; ++i) {
      const auto* v = t.find(probes[i], hashes[i], match_tag);
      hits += v != nullptr;
      on_result(start + i, v);
    }
  }
  return hits;
}

// The stages above, four chunks in flight. The count is kept here, in a
// register: a counter the callback captured lives in memory (stores through
// a uint8_t* `found` may alias it), one load and store per key.
template <class TableT, class Source, class OnResult, class WordMatch>
[[gnu::noinline]] size_t lookup_staged(const TableT& t, const Source& src, OnResult& on_result,
                                       WordMatch match_tag) {
  size_t hits = 0;
  constexpr size_t kDepth = 4;
  LookupChunk<TableT, Source> chunks[kDepth];
  size_t next_start = 0;
  size_t started = 0;
  auto start_chunk = [&]() {
    LookupChunk<TableT, Source>* c = &chunks[started % kDepth];
    stage_hash_and_prefetch(t, src, next_start, c);
    next_start += c->n;
    ++started;
  };
  // Fill: chunk 0 chased, 1 matched, 2 hashed; the loop hashes 3.
  for (size_t j = 0; j < kDepth - 1 && next_start < src.count(); ++j) start_chunk();
  stage_match(t, &chunks[0]);
  if (started > 1) stage_match(t, &chunks[1]);
  stage_chase(t, &chunks[0]);
  for (size_t resolved = 0; resolved < started; ++resolved) {
    if (next_start < src.count()) start_chunk();
    if (resolved + 2 < started) stage_match(t, &chunks[(resolved + 2) % kDepth]);
    if (resolved + 1 < started) stage_chase(t, &chunks[(resolved + 1) % kDepth]);
    const LookupChunk<TableT, Source>& c = chunks[resolved % kDepth];
    for (size_t i = 0; i < c.n; ++i) {
      const auto* v = t.find_from(c.buckets[i], c.probes[i], c.tags[i], c.masks[i], match_tag);
      hits += v != nullptr;
      on_result(c.start + i, v);
    }
  }
  return hits;
}

// on_result(i, const Value*) for every key, in batch order; returns how
// many keys were found. The resolve loops take the kernel's one-word match
// inline (for overflow buckets), so they keep their counters in registers.
template <class TableT, class Source, class OnResult>
size_t lookup_pipeline(const TableT& t, const Source& src, OnResult&& on_result) {
  if (src.count() == 0) return 0;
  return simd::with_word_match(*t.match_kernel(), [&](auto match_tag) {
    if (t.bucket_bytes() <= cache_resident_bytes()) {
      return lookup_resident_with(t, src, on_result, match_tag);
    }
    return lookup_staged(t, src, on_result, match_tag);
  });
}

template <class TableT, class Source>
struct WriteChunk {
  size_t start = 0;
  size_t n = 0;
  ProbeOf<TableT> probes[Source::kChunk];
  uint64_t hashes[Source::kChunk];
};

// Hashes the chunk and prefetches the lines its writes will touch: the
// bucket in the current array and, during growth, the old bucket the write
// must evacuate first.
template <class TableT, class Source>
[[gnu::noinline]] void stage_write_prefetch(const TableT& t, const Source& src, size_t start,
                                            WriteChunk<TableT, Source>* c) {
  c->start = start;
  c->n = chunk_length(src, start);
  src.load(start, c->n, t.hasher(), c->probes, c->hashes);
  for (size_t i = 0; i < c->n; ++i) {
    prefetch_bucket_for_write(t.write_bucket(c->hashes[i]));
    if (const auto* ob = t.pending_old_bucket(c->hashes[i])) prefetch_bucket_for_write(ob);
  }
}

// apply(i, probe, hash) for every key, in batch order, with the next chunk
// hashed and prefetched before the current one is applied. A write that
// starts a doubling makes the prefetches of the next chunk point at the old
// array: harmless, just wasted.
template <class TableT, class Source, class Apply>
void write_pipeline(TableT& t, const Source& src, Apply&& apply) {
  if (src.count() == 0) return;
  WriteChunk<TableT, Source> chunks[2];
  int cur = 0;
  stage_write_prefetch(t, src, 0, &chunks[cur]);
  for (;;) {
    const WriteChunk<TableT, Source>& c = chunks[cur];
    const size_t next_start = c.start + c.n;
    if (next_start < src.count()) stage_write_prefetch(t, src, next_start, &chunks[cur ^ 1]);
    for (size_t i = 0; i < c.n; ++i) apply(c.start + i, c.probes[i], c.hashes[i]);
    if (next_start >= src.count()) break;
    cur ^= 1;
  }
}

}  // namespace tophash::core::batch
