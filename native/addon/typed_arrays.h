// Typed-array arguments read in place, checked for kind and length first.
#pragma once
#include <napi.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/u64_map.h"

namespace tophash::addon {

// The first element's address, also for views of a SharedArrayBuffer.
void* typed_data(const Napi::TypedArray& ta);

// A typed array's kind, length and first element, read with one
// napi_get_typedarray_info call. Each call walks V8's chain of IsXArray
// checks (BigUint64Array is the last of eleven), and asking for kind, length
// and data one at a time made those checks a third of an empty batch call.
struct TypedView {
  napi_typedarray_type type;
  size_t length;
  void* data;
};
// False, with nothing thrown, when v is not a typed array.
bool typed_view(const Napi::Value& v, TypedView* out);

// BigUint64Array, Float64Array (integers < 2^53, checked) or Uint32Array.
core::KeyBatch key_batch(const Napi::Value& v, const char* name);

// A typed array of exactly `length` elements of the given kind.
template <class T>
T* exact_array(const Napi::Value& v, napi_typedarray_type kind, const char* kind_name,
               size_t length, const char* name);

// Key for a single operation: an integer number in [0, 2^53) or a bigint in [0, 2^64).
uint64_t single_key(const Napi::Value& v, const char* name);

// A new typed array (Napi::Uint8Array, Float64Array, ...) holding a copy of
// n elements.
template <class Array, class T>
Array copy_out(Napi::Env env, const T* data, size_t n) {
  auto out = Array::New(env, n);
  if (n != 0) std::memcpy(out.Data(), data, n * sizeof(T));
  return out;
}
template <class Array, class T>
Array copy_out(Napi::Env env, const std::vector<T>& v) {
  return copy_out<Array>(env, v.data(), v.size());
}

// What a scan reserves for `at_least` entries up front: the caller's count
// is only a target, so a huge one grows the vectors as entries arrive
// instead of asking for all the memory at once.
inline size_t scan_reserve(size_t at_least) { return std::min<size_t>(at_least, 4096) + 16; }

}  // namespace tophash::addon
