// Packed byte keys, { bytes: Uint8Array, offsets: Uint32Array }: key i is
// bytes[offsets[i] .. offsets[i + 1]). One reading of them for StrMap, the
// Aggregator and hashBatch, so every caller gets the same checks and words.
#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>

#include "core/str_map.h"

namespace tophash::addon {

// Checked for kind only: bytes a Uint8Array, offsets a Uint32Array holding
// count + 1 entries (at least 1). `count` is all of them unless given.
struct PackedArrays {
  Napi::TypedArray bytes;
  Napi::TypedArray offsets;
  size_t count;
  // Read once, with the checks (typed_arrays.h, TypedView).
  const uint8_t* bytes_data;
  size_t bytes_length;
  const uint32_t* offsets_data;
};
constexpr size_t kAllOffsets = SIZE_MAX;
PackedArrays packed_arrays(const Napi::Value& bytes, const Napi::Value& offsets,
                           size_t count = kAllOffsets);

// Keys for a map or an aggregator, validated in full: offsets in order
// within bytes, each key at most core::kMaxByteKeyLength bytes.
core::ByteBatch packed_batch(const Napi::Value& bytes, const Napi::Value& offsets,
                             size_t count = kAllOffsets);

// The key of a single operation: bytes[0 .. length), length defaulting to
// the whole array; at most core::kMaxByteKeyLength bytes.
core::ByteView single_bytes(const Napi::Value& bytes, const Napi::Value& length);

}  // namespace tophash::addon
