#include "addon/typed_arrays.h"

#include "addon/errors.h"

namespace tophash::addon {

namespace {
constexpr const char* kKeyKinds = "a BigUint64Array, Float64Array or Uint32Array";
constexpr const char* kKeyRange = "an integer in [0, 2^53) or a bigint in [0, 2^64)";
}  // namespace

// The element pointer straight from napi_get_typedarray_info, which also works
// for views of a SharedArrayBuffer (Napi::ArrayBuffer would not).
void* typed_data(const Napi::TypedArray& ta) {
  void* data = nullptr;
  if (napi_get_typedarray_info(ta.Env(), ta, nullptr, nullptr, &data, nullptr, nullptr) !=
      napi_ok) {
    throw Napi::Error::New(ta.Env(), "Could not read the typed array");
  }
  return data;
}

bool typed_view(const Napi::Value& v, TypedView* out) {
  // Not napi_is_typedarray first: napi_get_typedarray_info checks that
  // itself and fails with napi_invalid_arg, leaving no exception pending.
  if (v.IsEmpty()) return false;
  return napi_get_typedarray_info(v.Env(), v, &out->type, &out->length, &out->data, nullptr,
                                  nullptr) == napi_ok;
}

core::KeyBatch key_batch(const Napi::Value& v, const char* name) {
  TypedView view;
  if (!typed_view(v, &view)) throw_type(v.Env(), kKeyKinds, name, describe(v));
  core::KeyBatch batch;
  switch (view.type) {
    case napi_biguint64_array: batch.kind = core::KeyBatch::Kind::kU64; break;
    case napi_float64_array: batch.kind = core::KeyBatch::Kind::kF64; break;
    case napi_uint32_array: batch.kind = core::KeyBatch::Kind::kU32; break;
    default: throw_type(v.Env(), kKeyKinds, name, describe(v));
  }
  batch.count = view.length;
  batch.data = view.data;
  size_t bad = core::first_invalid_key(batch);
  if (bad != batch.count) {
    const double* src = static_cast<const double*>(batch.data);
    throw_range(v.Env(), "an integer in [0, 2^53)", indexed(name, bad),
                describe(Napi::Number::New(v.Env(), src[bad])));
  }
  return batch;
}

template <class T>
T* exact_array(const Napi::Value& v, napi_typedarray_type kind, const char* kind_name,
               size_t length, const char* name) {
  TypedView view;
  if (!typed_view(v, &view) || view.type != kind) {
    throw_type(v.Env(), std::string("a ") + kind_name, name, describe(v));
  }
  if (view.length != length) {
    throw_range(v.Env(),
                std::string("a ") + kind_name + " of length " + std::to_string(length) +
                    " (one element per key)",
                name, "length " + std::to_string(view.length));
  }
  return static_cast<T*>(view.data);
}

template double* exact_array<double>(const Napi::Value&, napi_typedarray_type, const char*, size_t,
                                     const char*);
template uint8_t* exact_array<uint8_t>(const Napi::Value&, napi_typedarray_type, const char*,
                                       size_t, const char*);

uint64_t single_key(const Napi::Value& v, const char* name) {
  // napi_get_value_double fails, with nothing thrown, for anything but a
  // number: one Node-API call for the common case instead of two.
  double d = 0;
  if (napi_get_value_double(v.Env(), v, &d) == napi_ok) {
    if (!core::is_valid_f64_key(d)) throw_range(v.Env(), kKeyRange, name, describe(v));
    return static_cast<uint64_t>(d);
  }
  if (v.IsBigInt()) {
    bool lossless = false;
    uint64_t k = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) throw_range(v.Env(), kKeyRange, name, describe(v));
    return k;
  }
  throw_type(v.Env(), "a number or bigint", name, describe(v));
}

}  // namespace tophash::addon
