// Batch pipeline. Per chunk of kChunk keys: widen the keys to u64, hash them
// all with the kernel's many-key entry point, prefetch every home bucket,
// and only then match and compare. Lookups keep four chunks in flight
// (hashed, matched, overflow-prefetched, resolved), so the memory latency of
// one chunk hides behind the work on the others. Matching uses match_tag_many, which
// compares 4 (AVX2) or 8 (AVX-512) different buckets' control words at once.
#include <cmath>
#include <limits>

#include "core/prefetch.h"
#include "core/u64_map.h"

namespace tophash::core {

namespace {

constexpr size_t kChunk = 64;

// Widens keys [start, start+n) of the batch to u64. Float64 keys were
// validated beforehand, so the cast is exact.
void load_keys(const KeyBatch& keys, size_t start, size_t n, uint64_t* dst) {
  switch (keys.kind) {
    case KeyBatch::Kind::kU64: {
      const auto* src = static_cast<const uint64_t*>(keys.data) + start;
      for (size_t i = 0; i < n; ++i) dst[i] = src[i];
      break;
    }
    case KeyBatch::Kind::kF64: {
      const auto* src = static_cast<const double*>(keys.data) + start;
      for (size_t i = 0; i < n; ++i) dst[i] = static_cast<uint64_t>(src[i]);
      break;
    }
    case KeyBatch::Kind::kU32: {
      const auto* src = static_cast<const uint32_t*>(keys.data) + start;
      for (size_t i = 0; i < n; ++i) dst[i] = src[i];
      break;
    }
  }
}

// All lines of a bucket (144 bytes: three lines whatever its alignment), at
// first sight of its address. Prefetching only the control word's line and
// the matched slot's lines a stage later fetched fewer lines but measured
// 1.5x slower at 1e8 keys (102 against 68 ns/key, CPU time, this VM): every
// random access here misses the TLB, and the later prefetches did not
// overlap as the first ones do.
inline void prefetch_bucket(const U64Table::Bucket* b) {
  const char* p = reinterpret_cast<const char*>(b);
  prefetch_read(p);
  prefetch_read(p + 64);
  prefetch_read(p + 128);
}

struct LookupChunk {
  size_t start = 0;
  size_t n = 0;
  uint64_t keys[kChunk];
  uint64_t hashes[kChunk];
  const U64Table::Bucket* buckets[kChunk];
  uint8_t tags[kChunk];
  uint64_t ctrls[kChunk];
  uint8_t masks[kChunk];
};

void stage_hash_and_prefetch(const U64Table& t, const KeyBatch& keys, size_t start,
                             LookupChunk* c) {
  c->start = start;
  c->n = keys.count - start < kChunk ? keys.count - start : kChunk;
  load_keys(keys, start, c->n, c->keys);
  const Hasher& h = t.hasher();
  h.kernel->u64_many(c->keys, c->n, h.seed, c->hashes);
  for (size_t i = 0; i < c->n; ++i) {
    const U64Table::Bucket* b = t.home_bucket(c->hashes[i]);
    c->buckets[i] = b;
    c->tags[i] = tophash_of(c->hashes[i]);
    prefetch_bucket(b);
  }
}

// A home bucket with no tag match whose chain may go on: the key, if
// present, is in an overflow bucket, reached through the link at the
// bucket's end (a line of its own).
inline bool may_continue(const U64Table::Bucket* b, uint8_t mask) {
  return mask == 0 && !b->ends_chain();
}

void stage_match(const U64Table& t, LookupChunk* c) {
  for (size_t i = 0; i < c->n; ++i) c->ctrls[i] = c->buckets[i]->ctrl();
  t.match_kernel()->match_tag_many(c->ctrls, c->tags, c->n, c->masks);
  for (size_t i = 0; i < c->n; ++i) {
    const U64Table::Bucket* b = c->buckets[i];
    if (c->masks[i] != 0) {  // already requested; a hint to keep them close
      const int slot = __builtin_ctz(c->masks[i]);
      prefetch_read(&b->keys[slot]);
      prefetch_read(&b->values[slot]);
    }
  }
}

// For the keys that must go on to an overflow bucket (about 5% at load 6):
// the link's line came with the bucket, so prefetch the overflow bucket a
// stage before the resolve loop walks to it. Left to the resolve loop, each
// such key is a chain of dependent misses that stalls the keys behind it.
void stage_chase(LookupChunk* c) {
  for (size_t i = 0; i < c->n; ++i) {
    const U64Table::Bucket* b = c->buckets[i];
    if (may_continue(b, c->masks[i]) && b->overflow != nullptr) prefetch_bucket(b->overflow);
  }
}

// A four-stage pipeline over chunks: while chunk r is resolved, chunk r+1
// has had its overflow buckets prefetched, chunk r+2 has been matched (its
// slot lines are in flight) and chunk r+3 hashed (its control lines are in
// flight). Each result goes to on_result(i, value*), in batch order.
template <class OnResult>
void lookup_pipeline(const U64Table& t, const KeyBatch& keys, OnResult&& on_result) {
  if (keys.count == 0) return;
  constexpr size_t kDepth = 4;
  LookupChunk chunks[kDepth];
  size_t next_start = 0;
  size_t started = 0;
  auto start_chunk = [&]() {
    LookupChunk* c = &chunks[started % kDepth];
    stage_hash_and_prefetch(t, keys, next_start, c);
    next_start += c->n;
    ++started;
  };
  // Fill: chunk 0 chased, 1 matched, 2 hashed; the loop hashes 3.
  for (size_t j = 0; j < kDepth - 1 && next_start < keys.count; ++j) start_chunk();
  stage_match(t, &chunks[0]);
  if (started > 1) stage_match(t, &chunks[1]);
  stage_chase(&chunks[0]);
  for (size_t resolved = 0; resolved < started; ++resolved) {
    if (next_start < keys.count) start_chunk();
    if (resolved + 2 < started) stage_match(t, &chunks[(resolved + 2) % kDepth]);
    if (resolved + 1 < started) stage_chase(&chunks[(resolved + 1) % kDepth]);
    LookupChunk& c = chunks[resolved % kDepth];
    for (size_t i = 0; i < c.n; ++i) {
      on_result(c.start + i, t.find_from(c.buckets[i], c.keys[i], c.tags[i], c.masks[i]));
    }
  }
}

struct WriteChunk {
  size_t start = 0;
  size_t n = 0;
  uint64_t keys[kChunk];
  uint64_t hashes[kChunk];
};

// Hashes chunk [start, start+n) and prefetches the lines its writes will
// touch: the bucket in the current array and, during growth, the old bucket
// the write must evacuate first.
void stage_write_prefetch(const U64Table& t, const KeyBatch& keys, size_t start, WriteChunk* c) {
  c->start = start;
  c->n = keys.count - start < kChunk ? keys.count - start : kChunk;
  load_keys(keys, start, c->n, c->keys);
  const Hasher& h = t.hasher();
  h.kernel->u64_many(c->keys, c->n, h.seed, c->hashes);
  for (size_t i = 0; i < c->n; ++i) {
    const char* b = reinterpret_cast<const char*>(t.write_bucket(c->hashes[i]));
    prefetch_write(b);
    prefetch_write(b + 64);
    prefetch_write(b + 128);
    if (const char* ob = reinterpret_cast<const char*>(t.pending_old_bucket(c->hashes[i]))) {
      prefetch_write(ob);
      prefetch_write(ob + 64);
      prefetch_write(ob + 128);
    }
  }
}

// Writes in batch order, with the next chunk hashed and prefetched before
// the current one is applied. A write that starts a doubling makes the
// prefetches of the next chunk point at the old array: harmless, just wasted.
template <class Apply>
void write_pipeline(U64Table& t, const KeyBatch& keys, Apply&& apply) {
  if (keys.count == 0) return;
  WriteChunk chunks[2];
  int cur = 0;
  stage_write_prefetch(t, keys, 0, &chunks[cur]);
  for (;;) {
    WriteChunk& c = chunks[cur];
    const size_t next_start = c.start + c.n;
    if (next_start < keys.count) stage_write_prefetch(t, keys, next_start, &chunks[cur ^ 1]);
    for (size_t i = 0; i < c.n; ++i) apply(c.start + i, c.keys[i], c.hashes[i]);
    if (next_start >= keys.count) break;
    cur ^= 1;
  }
}

}  // namespace

size_t first_invalid_key(const KeyBatch& keys) {
  if (keys.kind != KeyBatch::Kind::kF64) return keys.count;
  const auto* src = static_cast<const double*>(keys.data);
  for (size_t i = 0; i < keys.count; ++i) {
    if (!is_valid_f64_key(src[i])) return i;
  }
  return keys.count;
}

size_t get_batch(const U64Table& t, const KeyBatch& keys, double* out, uint8_t* found) {
  size_t hits = 0;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  lookup_pipeline(t, keys, [&](size_t i, const double* v) {
    if (v != nullptr) {
      out[i] = *v;
      ++hits;
    } else {
      out[i] = nan;
    }
    if (found != nullptr) found[i] = v != nullptr;
  });
  return hits;
}

size_t has_batch(const U64Table& t, const KeyBatch& keys, uint8_t* out) {
  size_t hits = 0;
  lookup_pipeline(t, keys, [&](size_t i, const double* v) {
    out[i] = v != nullptr;
    hits += v != nullptr;
  });
  return hits;
}

size_t set_batch(U64Table& t, const KeyBatch& keys, const double* values) {
  size_t added = 0;
  write_pipeline(t, keys, [&](size_t i, uint64_t key, uint64_t hash) {
    added += t.assign(key, hash, values[i]);
  });
  return added;
}

size_t delete_batch(U64Table& t, const KeyBatch& keys) {
  size_t deleted = 0;
  write_pipeline(t, keys,
                 [&](size_t, uint64_t key, uint64_t hash) { deleted += t.erase(key, hash); });
  return deleted;
}

}  // namespace tophash::core
