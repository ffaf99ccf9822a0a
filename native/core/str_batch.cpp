// Batch operations for byte keys: the pipeline of batch_pipeline.h with
// keys hashed a chunk at a time by the kernel's bytes_many and turned into
// probes (slot images) right after, while the bytes are still in cache.
#include <limits>

#include "core/batch_pipeline.h"
#include "core/str_map.h"

namespace tophash::core {

namespace {

struct ByteSource {
  using Item = ByteProbe;
  static constexpr size_t kChunk = 64;
  const ByteBatch& batch;

  size_t count() const { return batch.count; }
  void load(size_t start, size_t n, const Hasher& h, ByteProbe* items, uint64_t* hashes) const {
    const uint32_t* off = batch.offsets + start;
    h.kernel->bytes_many(batch.bytes, off, n, h.seed, hashes);
    for (size_t i = 0; i < n; ++i)
      items[i] = make_byte_probe(batch.bytes + off[i], off[i + 1] - off[i], hashes[i]);
  }
  static const ByteProbe& probe(const ByteProbe& p) { return p; }
  // A long key whose length and hash bits match will be compared against
  // the arena: fetch its first and last line now.
  static void prefetch_stored(const ByteSlot& s, const ByteProbe& p) {
    if (s.hi != p.hi || p.len <= kInlineKeyBytes) return;
    const auto* k = reinterpret_cast<const char*>(static_cast<uintptr_t>(s.lo));
    prefetch_read(k);
    prefetch_read(k + p.len - 1);
  }
};

}  // namespace

size_t first_invalid_key(const ByteBatch& keys, size_t bytes_len) {
  if (keys.count == 0) return 0;
  if (keys.offsets[0] > bytes_len) return 0;
  for (size_t i = 0; i < keys.count; ++i) {
    const uint32_t a = keys.offsets[i], b = keys.offsets[i + 1];
    if (b < a || b > bytes_len || b - a > kMaxByteKeyLength) return i;
  }
  return keys.count;
}

size_t get_batch(const StrTable& t, const ByteBatch& keys, double* out, uint8_t* found) {
  size_t hits = 0;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  batch::lookup_pipeline(t, ByteSource{keys}, [&](size_t i, const double* v) {
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

size_t has_batch(const StrTable& t, const ByteBatch& keys, uint8_t* out) {
  size_t hits = 0;
  batch::lookup_pipeline(t, ByteSource{keys}, [&](size_t i, const double* v) {
    out[i] = v != nullptr;
    hits += v != nullptr;
  });
  return hits;
}

size_t set_batch(StrTable& t, const ByteBatch& keys, const double* values) {
  size_t added = 0;
  batch::write_pipeline(t, ByteSource{keys}, [&](size_t i, const ByteProbe& p, uint64_t hash) {
    added += t.assign(p, hash, values[i]);
  });
  return added;
}

size_t delete_batch(StrTable& t, const ByteBatch& keys) {
  size_t deleted = 0;
  batch::write_pipeline(t, ByteSource{keys}, [&](size_t, const ByteProbe& p, uint64_t hash) {
    deleted += t.erase(p, hash);
  });
  return deleted;
}

}  // namespace tophash::core
