#include "addon/packed_keys.h"

#include <cmath>
#include <string>

#include "addon/binding_args.h"
#include "addon/errors.h"
#include "addon/typed_arrays.h"

namespace tophash::addon {

PackedArrays packed_arrays(const Napi::Value& bytes, const Napi::Value& offsets, size_t count) {
  Napi::Env env = bytes.Env();
  TypedView b;
  TypedView o;
  if (!typed_view(bytes, &b) || b.type != napi_uint8_array)
    throw_type(env, "a Uint8Array", "keys.bytes", describe(bytes));
  if (!typed_view(offsets, &o) || o.type != napi_uint32_array)
    throw_type(env, "a Uint32Array", "keys.offsets", describe(offsets));
  const size_t need = count == kAllOffsets ? 1 : count + 1;
  if (o.length < need) {
    throw_range(env, "a Uint32Array of count + 1 offsets (at least " + std::to_string(need) + ")",
                "keys.offsets", "length " + std::to_string(o.length));
  }
  return {bytes.As<Napi::TypedArray>(),
          offsets.As<Napi::TypedArray>(),
          count == kAllOffsets ? o.length - 1 : count,
          static_cast<const uint8_t*>(b.data),
          b.length,
          static_cast<const uint32_t*>(o.data)};
}

core::ByteBatch packed_batch(const Napi::Value& bytes, const Napi::Value& offsets, size_t count) {
  const PackedArrays a = packed_arrays(bytes, offsets, count);
  const core::ByteBatch batch{a.bytes_data, a.offsets_data, a.count};
  const size_t bytes_len = a.bytes_length;
  const size_t bad = core::first_invalid_key(batch, bytes_len);
  if (bad == batch.count) return batch;
  const uint32_t begin = batch.offsets[bad], end = batch.offsets[bad + 1];
  std::string received = "offsets " + std::to_string(begin) + ".." + std::to_string(end) + " in " +
                         std::to_string(bytes_len) + " bytes";
  if (end >= begin && end <= bytes_len) received = std::to_string(end - begin) + " bytes";
  throw_range(bytes.Env(),
              "a key of at most " + std::to_string(core::kMaxByteKeyLength) +
                  " bytes with offsets in order within keys.bytes",
              indexed("keys", bad), received);
}

core::ByteView single_bytes(const Napi::Value& bytes, const Napi::Value& length) {
  Napi::Env env = bytes.Env();
  if (!is_typed(bytes, napi_uint8_array))
    throw_type(env, "a string or Uint8Array", "key", describe(bytes));
  auto ta = bytes.As<Napi::TypedArray>();
  const size_t avail = ta.ElementLength();
  size_t len = avail;
  if (!length.IsUndefined()) {
    if (!length.IsNumber()) throw_type(env, "a key length (number)", "length", describe(length));
    const double d = length.As<Napi::Number>().DoubleValue();
    if (!(d >= 0 && d <= static_cast<double>(avail) && std::floor(d) == d))
      throw_range(env, "a key length within the buffer", "length", describe(length));
    len = static_cast<size_t>(d);
  }
  if (len > core::kMaxByteKeyLength) {
    throw_range(env, "a key of at most " + std::to_string(core::kMaxByteKeyLength) + " bytes",
                "key", std::to_string(len) + " bytes");
  }
  return {static_cast<const uint8_t*>(typed_data(ta)), len};
}

}  // namespace tophash::addon
