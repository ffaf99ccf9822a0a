// The batch pipeline of u64_batch.cpp, generic over the key kind, for the
// byte-key maps (str_batch.cpp, fixed_map.cpp). Per chunk of keys: load and
// hash them all (bytes_many), prefetch every home bucket, and only then match
// and compare. Lookups run three chunks deep: while chunk k is resolved,
// chunk k+1 has been matched (its slot and value lines are in flight) and
// chunk k+2 hashed (its bucket lines are in flight). A Source whose keys may
// live outside the slot (long byte keys in the arena) gets a fourth stage:
// chunk k+1's matched slots, whose lines were prefetched a stage earlier,
// are read and the arena bytes of a plausible match prefetched, so the
// compare in stage k does not wait for a third miss. Writes run two deep:
// the next chunk is hashed and its buckets prefetched before the current one
// is applied in batch order.
//
// A Source describes the batch:
//   using Item = ...;                  what a chunk keeps per key (a probe)
//   static constexpr size_t kChunk;    keys per chunk
//   size_t count() const;
//   void load(size_t start, size_t n, const Hasher&, Item* items, uint64_t* hashes) const;
//   static Probe probe(const Item&);   the table's Probe for an item
//   optional: static void prefetch_stored(const Key& slot, const Item&);
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "core/prefetch.h"
#include "core/table.h"

namespace tophash::core::batch {

// Lines of a bucket worth prefetching for a write: all of a small bucket,
// the control word and the first keys of a big one (fixed keys of 256 bytes).
template <class Bucket>
constexpr size_t kPrefetchLines = sizeof(Bucket) <= 256 ? (sizeof(Bucket) + 63) / 64 : 2;

template <class Bucket>
inline void prefetch_bucket_for_write(const Bucket* b) {
  const char* p = reinterpret_cast<const char*>(b);
  for (size_t i = 0; i < kPrefetchLines<Bucket>; ++i) prefetch_write(p + 64 * i);
}

// The same lines for a lookup, at first sight of the bucket's address: on
// U64Map at 1e8 keys, prefetching only the control word's line first and the
// matched slot's lines a stage later measured 1.5x slower (u64_batch.cpp).
template <class Bucket>
inline void prefetch_bucket_for_read(const Bucket* b) {
  const char* p = reinterpret_cast<const char*>(b);
  for (size_t i = 0; i < kPrefetchLines<Bucket>; ++i) prefetch_read(p + 64 * i);
}

template <class TableT, class Source>
struct LookupChunk {
  static constexpr size_t kN = Source::kChunk;
  size_t start = 0;
  size_t n = 0;
  typename Source::Item items[kN];
  uint64_t hashes[kN];
  const typename TableT::Bucket* buckets[kN];
  uint8_t tags[kN];
  uint64_t ctrls[kN];
  uint8_t masks[kN];
};

template <class TableT, class Source>
void stage_hash_and_prefetch(const TableT& t, const Source& src, size_t start,
                             LookupChunk<TableT, Source>* c) {
  c->start = start;
  c->n = src.count() - start < Source::kChunk ? src.count() - start : Source::kChunk;
  src.load(start, c->n, t.hasher(), c->items, c->hashes);
  for (size_t i = 0; i < c->n; ++i) {
    const auto* b = t.home_bucket(c->hashes[i]);
    c->buckets[i] = b;
    c->tags[i] = tophash_of(c->hashes[i]);
    prefetch_bucket_for_read(b);
  }
}

template <class TableT, class Source>
void stage_match(const TableT& t, LookupChunk<TableT, Source>* c) {
  for (size_t i = 0; i < c->n; ++i) c->ctrls[i] = c->buckets[i]->ctrl();
  t.match_kernel()->match_tag_many(c->ctrls, c->tags, c->n, c->masks);
  for (size_t i = 0; i < c->n; ++i) {
    if (c->masks[i] != 0) {
      const int slot = __builtin_ctz(c->masks[i]);
      prefetch_read(&c->buckets[i]->keys[slot]);
      prefetch_read(&c->buckets[i]->values[slot]);
    }
  }
}

template <class Source, class Key, class = void>
struct HasPrefetchStored : std::false_type {};
template <class Source, class Key>
struct HasPrefetchStored<
    Source, Key,
    std::void_t<decltype(Source::prefetch_stored(std::declval<const Key&>(),
                                                 std::declval<const typename Source::Item&>()))>>
    : std::true_type {};

// Reads the matched slots of a matched chunk and lets the Source prefetch
// what a compare will touch beyond them.
template <class TableT, class Source>
void stage_prefetch_stored(LookupChunk<TableT, Source>* c) {
  for (size_t i = 0; i < c->n; ++i) {
    if (c->masks[i] != 0) {
      Source::prefetch_stored(c->buckets[i]->keys[__builtin_ctz(c->masks[i])], c->items[i]);
    }
  }
}

// on_result(i, const Value*) for every key, in batch order.
template <class TableT, class Source, class OnResult>
void lookup_pipeline(const TableT& t, const Source& src, OnResult&& on_result) {
  if (src.count() == 0) return;
  constexpr bool kDeep = HasPrefetchStored<Source, typename TableT::Key>::value;
  // Chunks in flight: hashed, matched, (slots read,) being resolved.
  constexpr int kDepth = kDeep ? 4 : 3;
  LookupChunk<TableT, Source> chunks[kDepth];
  size_t next_start = 0;
  size_t started = 0;  // chunks started
  size_t resolved = 0;  // chunks resolved
  auto start_chunk = [&]() {
    stage_hash_and_prefetch(t, src, next_start, &chunks[started % kDepth]);
    next_start += chunks[started % kDepth].n;
    ++started;
  };
  // Before resolving chunk r: chunk r is matched (and its slots read, deep),
  // chunk r+1 hashed (and matched, deep), chunk r+2 hashed (deep). Each turn
  // hashes the next chunk, moves the ones in between a stage on, resolves r.
  for (int j = 0; j < kDepth - 1 && next_start < src.count(); ++j) start_chunk();
  stage_match(t, &chunks[0]);
  if constexpr (kDeep) {
    if (started > 1) stage_match(t, &chunks[1]);
    stage_prefetch_stored(&chunks[0]);
  }
  while (resolved < started) {
    if (next_start < src.count()) start_chunk();
    const size_t newest = started - 1;
    if constexpr (kDeep) {
      if (resolved + 2 <= newest) stage_match(t, &chunks[(resolved + 2) % kDepth]);
      if (resolved + 1 <= newest) stage_prefetch_stored(&chunks[(resolved + 1) % kDepth]);
    } else {
      if (resolved + 1 <= newest) stage_match(t, &chunks[(resolved + 1) % kDepth]);
    }
    LookupChunk<TableT, Source>& c = chunks[resolved % kDepth];
    for (size_t i = 0; i < c.n; ++i) {
      on_result(c.start + i,
                t.find_from(c.buckets[i], Source::probe(c.items[i]), c.tags[i], c.masks[i]));
    }
    ++resolved;
  }
}

template <class TableT, class Source>
struct WriteChunk {
  size_t start = 0;
  size_t n = 0;
  typename Source::Item items[Source::kChunk];
  uint64_t hashes[Source::kChunk];
};

template <class TableT, class Source>
void stage_write_prefetch(const TableT& t, const Source& src, size_t start,
                          WriteChunk<TableT, Source>* c) {
  c->start = start;
  c->n = src.count() - start < Source::kChunk ? src.count() - start : Source::kChunk;
  src.load(start, c->n, t.hasher(), c->items, c->hashes);
  for (size_t i = 0; i < c->n; ++i) {
    prefetch_bucket_for_write(t.write_bucket(c->hashes[i]));
    if (const auto* ob = t.pending_old_bucket(c->hashes[i])) prefetch_bucket_for_write(ob);
  }
}

// apply(i, Probe, hash) for every key, in batch order.
template <class TableT, class Source, class Apply>
void write_pipeline(TableT& t, const Source& src, Apply&& apply) {
  if (src.count() == 0) return;
  WriteChunk<TableT, Source> chunks[2];
  int cur = 0;
  stage_write_prefetch(t, src, 0, &chunks[cur]);
  for (;;) {
    WriteChunk<TableT, Source>& c = chunks[cur];
    const size_t next_start = c.start + c.n;
    if (next_start < src.count()) stage_write_prefetch(t, src, next_start, &chunks[cur ^ 1]);
    for (size_t i = 0; i < c.n; ++i) apply(c.start + i, Source::probe(c.items[i]), c.hashes[i]);
    if (next_start >= src.count()) break;
    cur ^= 1;
  }
}

}  // namespace tophash::core::batch
