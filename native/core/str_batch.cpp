// StrMap's batches: the pipeline of batch_pipeline.h with keys hashed a
// chunk at a time by the kernel's bytes_many and turned into probes (slot
// images) right after, while the bytes are still in cache.
#include "core/batch_operations.h"
#include "core/str_map.h"

namespace tophash::core {

namespace {

struct ByteSource {
  static constexpr size_t kChunk = 64;
  const ByteBatch& batch;

  size_t count() const { return batch.count; }
  void load(size_t start, size_t n, const Hasher& h, ByteProbe* probes, uint64_t* hashes) const {
    const uint32_t* off = batch.offsets + start;
    h.kernel->bytes_many(batch.bytes, off, n, h.seed, hashes);
    for (size_t i = 0; i < n; ++i)
      probes[i] = make_byte_probe(batch.bytes + off[i], off[i + 1] - off[i], hashes[i]);
  }
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
  return batch::get(t, ByteSource{keys}, out, found);
}
size_t has_batch(const StrTable& t, const ByteBatch& keys, uint8_t* out) {
  return batch::has(t, ByteSource{keys}, out);
}
size_t set_batch(StrTable& t, const ByteBatch& keys, const double* values) {
  return batch::set(t, ByteSource{keys}, values);
}
size_t delete_batch(StrTable& t, const ByteBatch& keys) {
  return batch::erase(t, ByteSource{keys});
}

}  // namespace tophash::core
