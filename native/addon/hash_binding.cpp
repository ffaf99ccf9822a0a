// hash() and hashBatch(). A batch is one crossing and one kernel call: every
// argument is checked before anything is written, so a bad batch leaves `out`
// as it was, and the kernel is picked once, never per key.
#include "addon/hash_binding.h"

#include <cmath>
#include <cstdint>
#include <string>

#include "addon/binding_args.h"
#include "addon/errors.h"
#include "addon/packed_keys.h"
#include "addon/typed_arrays.h"
#include "cpu/cpu_registry.h"
#include "hash/hash.h"

namespace tophash::addon {

namespace {

const hash::HashKernel* hash_kernel_arg(const Napi::Value& v) {
  std::string error;
  std::string name;
  if (!v.IsUndefined()) {
    if (!v.IsString()) throw_type(v.Env(), "a hash kernel name (string)", "kernel", describe(v));
    name = v.As<Napi::String>().Utf8Value();
  }
  const hash::HashKernel* k = cpu::select_hash(name.empty() ? nullptr : name.c_str(), &error);
  if (k == nullptr) throw with_code(Napi::RangeError::New(v.Env(), error), "ERR_INVALID_ARG_VALUE");
  return k;
}

// hash() and hashBatch() without a seed use 0: a stable, documented result.
// Callers repeat one seed, so the last expansion is kept (per thread: workers
// call in parallel); expanding costs about as much as hashing a short key.
const hash::Seed& seed_of(const Napi::Value& v) {
  thread_local uint64_t last_seed = 0;
  thread_local hash::Seed last = hash::expand_seed(0);
  const uint64_t seed = seed_arg(v, "seed", SeedDefault::kZero);
  if (seed != last_seed) {
    last = hash::expand_seed(seed);
    last_seed = seed;
  }
  return last;
}

// A typed array's bytes, for the overlap check.
struct Span {
  const uint8_t* begin;
  size_t size;
  bool overlaps(const Span& o) const {
    return size != 0 && o.size != 0 && begin < o.begin + o.size && o.begin < begin + size;
  }
};

Span span_of(const Napi::TypedArray& ta) {
  return {static_cast<const uint8_t*>(typed_data(ta)), ta.ByteLength()};
}

// The caller's `out` (a BigUint64Array of exactly `count`, sharing no memory
// with the keys: writing a hash must not change a key or offset still to be
// read) or, when undefined, nothing yet: the result is allocated only after
// every other argument has been checked.
Napi::Value out_arg(const Napi::Value& v, size_t count, const Span& bytes, const Span* offsets) {
  Napi::Env env = v.Env();
  if (v.IsUndefined()) return v;
  TypedView out;
  if (!typed_view(v, &out) || out.type != napi_biguint64_array)
    throw_type(env, "a BigUint64Array", "out", describe(v));
  if (out.length != count) {
    throw_range(env, "a BigUint64Array of length " + std::to_string(count), "out",
                "length " + std::to_string(out.length));
  }
  const Span o{static_cast<const uint8_t*>(out.data), out.length * sizeof(uint64_t)};
  if (o.overlaps(bytes))
    throw_range(env, "a BigUint64Array sharing no memory with keys.bytes", "out", describe(v));
  if (offsets != nullptr && o.overlaps(*offsets))
    throw_range(env, "a BigUint64Array sharing no memory with keys.offsets", "out", describe(v));
  return v;
}

uint64_t* out_data(Napi::Env env, Napi::Value& out, size_t count) {
  if (out.IsUndefined()) out = Napi::BigUint64Array::New(env, count);
  return static_cast<uint64_t*>(typed_data(out.As<Napi::TypedArray>()));
}

Napi::TypedArray bytes_arg(const Napi::Value& v) {
  if (!is_typed(v, napi_uint8_array))
    throw_type(v.Env(), "a Uint8Array", "keys.bytes", describe(v));
  return v.As<Napi::TypedArray>();
}

// One pass over the offsets with no early exit, so it vectorises: are they
// valid (non-decreasing, the last within bytes: then all are), and does every
// key have the first key's length? Keys of one length are back to back, so a
// uniform batch (ids, tuples, UUIDs packed with offsets) goes to bytes_fixed.
struct OffsetScan {
  bool valid;
  bool uniform;
  uint32_t first;  // off[0] and the first key's length, read once: the
  uint32_t width;  // uniform path uses these, not a second read of memory JS can share
};

OffsetScan scan_offsets(const uint32_t* off, size_t n_offsets, size_t bytes_len) {
  const uint32_t first = off[0];
  const uint32_t len0 = n_offsets > 1 ? off[1] - first : 0;
  uint32_t decreasing = 0, differs = 0;
  for (size_t i = 0; i + 1 < n_offsets; ++i) {
    decreasing |= uint32_t(off[i + 1] < off[i]);
    differs |= (off[i + 1] - off[i]) ^ len0;
  }
  const bool uniform = differs == 0 && first + uint64_t{len0} * (n_offsets - 1) <= bytes_len;
  return {decreasing == 0 && off[n_offsets - 1] <= bytes_len, uniform, first, len0};
}

// The first offset that breaks "non-decreasing and within bytes", or the
// offsets' length if none does.
size_t first_bad_offset(const uint32_t* off, size_t n_offsets, size_t bytes_len) {
  if (off[0] > bytes_len) return 0;
  for (size_t i = 1; i < n_offsets; ++i)
    if (off[i] < off[i - 1] || off[i] > bytes_len) return i;
  return n_offsets;
}

}  // namespace

Napi::Value HashBytes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!is_typed(info[0], napi_uint8_array))
    throw_type(env, "a Uint8Array", "data", describe(info[0]));
  auto data = info[0].As<Napi::Uint8Array>();
  const hash::Seed& seed = seed_of(info[1]);
  const hash::HashKernel* k = hash_kernel_arg(info[2]);
  return Napi::BigInt::New(env, k->bytes(data.Data(), data.ElementLength(), seed));
}

Napi::Value HashU64Batch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  // One napi_get_typedarray_info per array: kind, length and data asked for
  // separately walk V8's chain of typed-array checks each time.
  TypedView keys;
  TypedView out;
  if (!typed_view(info[0], &keys) || keys.type != napi_biguint64_array)
    throw_type(env, "a BigUint64Array", "keys", describe(info[0]));
  if (!typed_view(info[1], &out) || out.type != napi_biguint64_array)
    throw_type(env, "a BigUint64Array", "out", describe(info[1]));
  if (out.length != keys.length) {
    throw_range(env, "a BigUint64Array of length " + std::to_string(keys.length), "out",
                "length " + std::to_string(out.length));
  }
  const hash::Seed& seed = seed_of(info[2]);
  const hash::HashKernel* k = hash_kernel_arg(info[3]);
  k->u64_many(static_cast<const uint64_t*>(keys.data), keys.length, seed,
              static_cast<uint64_t*>(out.data));
  return env.Undefined();
}

Napi::Value HashPackedBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const PackedArrays packed = packed_arrays(info[0], info[1]);
  const Napi::TypedArray& bytes = packed.bytes;
  const Napi::TypedArray& offsets = packed.offsets;
  const size_t n_offsets = packed.count + 1;
  const auto* off = static_cast<const uint32_t*>(typed_data(offsets));
  const size_t bytes_len = bytes.ElementLength();
  const OffsetScan scan = scan_offsets(off, n_offsets, bytes_len);
  if (!scan.valid) {
    const size_t bad = first_bad_offset(off, n_offsets, bytes_len);
    const std::string limit = "at most keys.bytes.length (" + std::to_string(bytes_len) + ")";
    const std::string expected = bad > 0 && off[bad] < off[bad - 1]
                                     ? "an offset at least keys.offsets[" +
                                           std::to_string(bad - 1) + "] (" +
                                           std::to_string(off[bad - 1]) + ") and " + limit
                                     : "an offset " + limit;
    throw_range(env, expected, indexed("keys.offsets", bad), std::to_string(off[bad]));
  }
  const size_t count = n_offsets - 1;
  const Span offsets_span = span_of(offsets);
  Napi::Value out = out_arg(info[2], count, span_of(bytes), &offsets_span);
  const hash::Seed& seed = seed_of(info[3]);
  const hash::HashKernel* k = hash_kernel_arg(info[4]);
  uint64_t* dst = out_data(env, out, count);
  const auto* data = static_cast<const uint8_t*>(typed_data(bytes));
  if (scan.uniform && count > 0)
    k->bytes_fixed(data + scan.first, scan.width, count, seed, dst);
  else
    k->bytes_many(data, off, count, seed, dst);
  return out;
}

Napi::Value HashFixedBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto bytes = bytes_arg(info[0]);
  const Napi::Value size_v = info[1];
  if (!size_v.IsNumber()) throw_type(env, "a positive integer", "keys.keySize", describe(size_v));
  const double size_d = size_v.As<Napi::Number>().DoubleValue();
  // 2^53 - 1: every safe integer, and still far below SIZE_MAX.
  if (!(size_d >= 1 && size_d <= 9007199254740991.0) || std::floor(size_d) != size_d)
    throw_range(env, "a positive integer", "keys.keySize", describe(size_v));
  const auto key_size = static_cast<size_t>(size_d);
  const size_t bytes_len = bytes.ElementLength();
  if (bytes_len % key_size != 0) {
    throw_range(env, "a multiple of keys.keySize (" + std::to_string(key_size) + ") bytes",
                "keys.bytes", std::to_string(bytes_len) + " bytes");
  }
  const size_t count = bytes_len / key_size;
  Napi::Value out = out_arg(info[2], count, span_of(bytes), nullptr);
  const hash::Seed& seed = seed_of(info[3]);
  const hash::HashKernel* k = hash_kernel_arg(info[4]);
  uint64_t* dst = out_data(env, out, count);
  k->bytes_fixed(static_cast<const uint8_t*>(typed_data(bytes)), key_size, count, seed, dst);
  return out;
}

}  // namespace tophash::addon
