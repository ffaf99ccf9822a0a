// StrMap's engine: the table specialised for variable-length byte keys
// (core/byte_keys.h) and f64 values, plus the batch operations the
// JavaScript API is built on. Nothing here knows about Node; native/addon/
// turns strings (as WTF-8) and Uint8Arrays into ByteBatch views.
#pragma once
#include <cstddef>
#include <cstdint>

#include "core/byte_keys.h"
#include "core/table.h"

namespace tophash::core {

using StrTable = Table<BytesPolicy, double>;

// Single operations: probe once, then use the table with (probe, probe.hash).
//   ByteProbe p = str_probe(t, data, len);   // len <= kMaxByteKeyLength
//   t.find(p, p.hash); t.assign(p, p.hash, v); t.erase(p, p.hash);
// scan() hands out ByteSlots; key_bytes(slot) is the key, its bytes valid
// until the next write to the table (a long key's bytes move with growth).
inline ByteProbe str_probe(const StrTable& t, const void* data, size_t len) {
  return BytesPolicy::probe(t.hasher(), data, len);
}

// A packed batch: key i is bytes[offsets[i] .. offsets[i+1]); offsets has
// count + 1 entries.
struct ByteBatch {
  const uint8_t* bytes;
  const uint32_t* offsets;
  size_t count;
};

// Index of the first key the batch cannot hold, or count when all are
// valid: an offset past bytes_len or below its predecessor (key i is then
// the key that ends or starts there), or a key longer than kMaxByteKeyLength.
// Batches are validated in full before anything is applied.
size_t first_invalid_key(const ByteBatch& keys, size_t bytes_len);

// As for U64Table (core/u64_map.h). Keys must be valid (see above).
size_t get_batch(const StrTable& t, const ByteBatch& keys, double* out, uint8_t* found);
size_t has_batch(const StrTable& t, const ByteBatch& keys, uint8_t* out);
size_t set_batch(StrTable& t, const ByteBatch& keys, const double* values);
size_t delete_batch(StrTable& t, const ByteBatch& keys);

}  // namespace tophash::core
