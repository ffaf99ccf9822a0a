// Typed-array arguments read in place, checked for kind and length first.
#pragma once
#include <napi.h>

#include "core/u64_map.h"

namespace tophash::addon {

// The first element's address, also for views of a SharedArrayBuffer.
void* typed_data(const Napi::TypedArray& ta);

// BigUint64Array, Float64Array (integers < 2^53, checked) or Uint32Array.
core::KeyBatch key_batch(const Napi::Value& v, const char* name);

// A typed array of exactly `length` elements of the given kind.
template <class T>
T* exact_array(const Napi::Value& v, napi_typedarray_type kind, const char* kind_name,
               size_t length, const char* name);

// Key for a single operation: an integer number in [0, 2^53) or a bigint in [0, 2^64).
uint64_t single_key(const Napi::Value& v, const char* name);

}  // namespace tophash::addon
