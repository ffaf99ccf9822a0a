#include "addon/str_keys.h"

#include <cstring>
#include <string>

#include "addon/errors.h"
#include "addon/typed_arrays.h"
#include "core/byte_keys.h"
#include "core/wtf8.h"

namespace tophash::addon {

namespace {

template <class T>
struct View {
  T* data;
  size_t length;
};

template <class T>
View<T> typed(const Napi::Value& v, napi_typedarray_type kind, const char* kind_name,
              const char* name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != kind)
    throw_type(v.Env(), kind_name, name, describe(v));
  auto ta = v.As<Napi::TypedArray>();
  return {static_cast<T*>(typed_data(ta)), ta.ElementLength()};
}

size_t index_arg(const Napi::Value& v, const char* name) {
  if (!v.IsNumber()) throw_type(v.Env(), "an index (number)", name, describe(v));
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 4294967295.0 && static_cast<double>(static_cast<uint32_t>(d)) == d))
    throw_range(v.Env(), "an index in [0, 2^32)", name, describe(v));
  return static_cast<size_t>(d);
}

void check(Napi::Env env, napi_status s) {
  if (s != napi_ok) throw Napi::Error::New(env);  // carries a pending JS exception
}

// The UTF-8 V8 wrote for one key is WTF-8 too unless it replaced a lone
// surrogate, which leaves U+FFFD's bytes; a genuine U+FFFD takes the slow
// path as well, which encodes it the same.
bool may_hold_replacement(const uint8_t* p, size_t n) {
  for (const uint8_t* q = p; n >= 3;) {
    const void* hit = std::memchr(q, 0xEF, n - 2);
    if (hit == nullptr) return false;
    const auto* h = static_cast<const uint8_t*>(hit);
    if (h[1] == 0xBF && h[2] == 0xBD) return true;
    n -= static_cast<size_t>(h + 1 - q);
    q = h + 1;
  }
  return false;
}

}  // namespace

Napi::Value PackStrings(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) throw_type(env, "an array of keys", "keys", describe(info[0]));
  napi_value keys = info[0];
  const uint32_t count = info[0].As<Napi::Array>().Length();
  size_t i = index_arg(info[1], "start");
  auto bytes = typed<uint8_t>(info[2], napi_uint8_array, "a Uint8Array", "bytes");
  auto offsets = typed<uint32_t>(info[3], napi_uint32_array, "a Uint32Array", "offsets");
  auto units = typed<char16_t>(info[4], napi_uint16_array, "a Uint16Array", "units");
  const bool via_utf8 = info[5].ToBoolean();
  if (offsets.length < size_t{count} + 1)
    throw_range(env, "a Uint32Array of at least keys.length + 1", "offsets",
                "length " + std::to_string(offsets.length));
  if (i > count) throw_range(env, "an index within keys", "start", describe(info[1]));
  size_t pos = offsets.data[i];
  if (pos > bytes.length)
    throw_range(env, "offsets[start] within bytes", "offsets", "past the end");
  // A key longer than this many units cannot be within the limit.
  const size_t max_units = core::kMaxByteKeyLength;
  if (units.length < max_units + 2)
    throw_range(env, "a Uint16Array of at least 65538 units", "units",
                "length " + std::to_string(units.length));

  for (; i < count; ++i) {
    napi_value v;
    check(env, napi_get_element(env, keys, static_cast<uint32_t>(i), &v));
    const size_t room = bytes.length - pos;
    size_t len = 0;
    if (via_utf8) {
      if (room < 8) break;
      const napi_status s =
          napi_get_value_string_utf8(env, v, reinterpret_cast<char*>(bytes.data + pos), room, &len);
      if (s == napi_string_expected) break;
      check(env, s);
      // Fewer than 4 bytes left over: the next character may not have fit.
      if (room - 1 - len < 4 || len > core::kMaxByteKeyLength) break;
      if (!may_hold_replacement(bytes.data + pos, len)) {
        pos += len;
        offsets.data[i + 1] = static_cast<uint32_t>(pos);
        continue;
      }
    }
    const napi_status s = napi_get_value_string_utf16(env, v, units.data, max_units + 2, &len);
    if (s == napi_string_expected) break;
    check(env, s);
    if (len > max_units || 3 * len > room) break;
    const size_t n = core::wtf8_from_utf16(units.data, len, bytes.data + pos);
    if (n > core::kMaxByteKeyLength) break;
    pos += n;
    offsets.data[i + 1] = static_cast<uint32_t>(pos);
  }
  return Napi::Number::New(env, static_cast<double>(i));
}

Napi::Value PackJoined(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw_type(env, "a string", "joined", describe(info[0]));
  napi_value joined = info[0];
  auto lengths = typed<uint32_t>(info[1], napi_uint32_array, "a Uint32Array", "lengths");
  auto bytes = typed<uint8_t>(info[2], napi_uint8_array, "a Uint8Array", "bytes");
  auto offsets = typed<uint32_t>(info[3], napi_uint32_array, "a Uint32Array", "offsets");
  auto units = typed<char16_t>(info[4], napi_uint16_array, "a Uint16Array", "units");
  const uint32_t mode = info[5].IsNumber() ? info[5].As<Napi::Number>().Uint32Value() : 0;
  const size_t count = lengths.length;

  size_t total = 0;
  check(env, napi_get_value_string_utf16(env, joined, nullptr, 0, &total));
  size_t sum = 0;
  for (size_t i = 0; i < count; ++i) sum += lengths.data[i];
  if (sum != total)
    throw_range(env, "lengths that add up to joined.length (" + std::to_string(total) + ")",
                "lengths", "a sum of " + std::to_string(sum));
  if (offsets.length < count + 1)
    throw_range(env, "a Uint32Array of at least lengths.length + 1", "offsets",
                "length " + std::to_string(offsets.length));
  if (bytes.length < 3 * total + 1)
    throw_range(env, "a Uint8Array of at least 3 * joined.length + 1 bytes", "bytes",
                "length " + std::to_string(bytes.length));

  bool ascii = false;
  if (mode == 1 || mode == 2) {
    size_t n = 0;
    auto* out = reinterpret_cast<char*>(bytes.data);
    check(env, mode == 1 ? napi_get_value_string_utf8(env, joined, out, total + 1, &n)
                         : napi_get_value_string_latin1(env, joined, out, total + 1, &n));
    // UTF-8 that is exactly one byte below 0x80 per unit came from ASCII;
    // anything else wrote multi-byte forms (or ran out of room) somewhere.
    ascii = n == total && (mode == 2 || core::all_ascii(bytes.data, n));
  }
  offsets.data[0] = 0;
  if (ascii) {
    size_t pos = 0;
    for (size_t i = 0; i < count; ++i) {
      if (lengths.data[i] > core::kMaxByteKeyLength) return Napi::Number::New(env, -double(i) - 1);
      pos += lengths.data[i];
      offsets.data[i + 1] = static_cast<uint32_t>(pos);
    }
    return Napi::Number::New(env, static_cast<double>(pos));
  }
  // Node-API keeps one unit for a terminating NUL.
  if (units.length < total + 1)
    throw_range(env, "a Uint16Array of at least joined.length + 1 units", "units",
                "length " + std::to_string(units.length));
  size_t read = 0;
  check(env, napi_get_value_string_utf16(env, joined, units.data, total + 1, &read));
  size_t pos = 0, at = 0;
  for (size_t i = 0; i < count; ++i) {
    const size_t n = core::wtf8_from_utf16(units.data + at, lengths.data[i], bytes.data + pos);
    if (n > core::kMaxByteKeyLength) return Napi::Number::New(env, -double(i) - 1);
    at += lengths.data[i];
    pos += n;
    offsets.data[i + 1] = static_cast<uint32_t>(pos);
  }
  return Napi::Number::New(env, static_cast<double>(pos));
}

}  // namespace tophash::addon
