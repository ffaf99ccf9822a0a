#include "addon/str_map_binding.h"

#include <cmath>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "addon/binding_args.h"
#include "addon/errors.h"
#include "addon/table_stats.h"
#include "addon/typed_arrays.h"
#include "cpu/cpu_registry.h"

namespace tophash::addon {

namespace {

constexpr const char* kOutOfMemory =
    "Out of memory: the map could not grow (it is unchanged by the failing key)";

const std::string kMaxKeyText = std::to_string(core::kMaxByteKeyLength);

// The key of a single operation: bytes[0 .. length).
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
    if (!(d >= 0 && d <= static_cast<double>(avail) && std::floor(d) == d)) {
      throw_range(env, "a key length within the buffer", "length", describe(length));
    }
    len = static_cast<size_t>(d);
  }
  if (len > core::kMaxByteKeyLength) {
    throw_range(env, "a key of at most " + kMaxKeyText + " bytes", "key",
                std::to_string(len) + " bytes");
  }
  return {static_cast<const uint8_t*>(typed_data(ta)), len};
}

// A packed batch (bytes: Uint8Array, offsets: Uint32Array of count + 1),
// validated in full.
core::ByteBatch packed_batch(const Napi::Value& bytes, const Napi::Value& offsets) {
  Napi::Env env = bytes.Env();
  if (!is_typed(bytes, napi_uint8_array))
    throw_type(env, "a Uint8Array", "keys.bytes", describe(bytes));
  if (!is_typed(offsets, napi_uint32_array))
    throw_type(env, "a Uint32Array", "keys.offsets", describe(offsets));
  auto b = bytes.As<Napi::TypedArray>();
  auto o = offsets.As<Napi::TypedArray>();
  if (o.ElementLength() == 0) {
    throw_range(env, "a Uint32Array of count + 1 offsets (at least 1)", "keys.offsets", "length 0");
  }
  core::ByteBatch batch{static_cast<const uint8_t*>(typed_data(b)),
                        static_cast<const uint32_t*>(typed_data(o)), o.ElementLength() - 1};
  const size_t bytes_len = b.ElementLength();
  const size_t bad = core::first_invalid_key(batch, bytes_len);
  if (bad != batch.count) {
    const uint32_t a = batch.offsets[bad], e = batch.offsets[bad + 1];
    std::string received = "offsets " + std::to_string(a) + ".." + std::to_string(e) + " in " +
                           std::to_string(bytes_len) + " bytes";
    if (e >= a && e <= bytes_len && a <= bytes_len) received = std::to_string(e - a) + " bytes";
    throw_range(
        env, "a key of at most " + kMaxKeyText + " bytes with offsets in order within keys.bytes",
        indexed("keys", bad), received);
  }
  return batch;
}

}  // namespace

Napi::Function StrMapBinding::Define(Napi::Env env) {
  return DefineClass(env, "NativeStrMap",
                     {
                         InstanceMethod<&StrMapBinding::Clear>("clear"),
                         InstanceMethod<&StrMapBinding::Size>("size"),
                         InstanceMethod<&StrMapBinding::GetBatch>("getBatch"),
                         InstanceMethod<&StrMapBinding::HasBatch>("hasBatch"),
                         InstanceMethod<&StrMapBinding::SetBatch>("setBatch"),
                         InstanceMethod<&StrMapBinding::DeleteBatch>("deleteBatch"),
                         InstanceMethod<&StrMapBinding::Scan>("scan"),
                         InstanceMethod<&StrMapBinding::Stats>("stats"),
                         InstanceMethod<&StrMapBinding::Close>("close"),
                         InstanceMethod<&StrMapBinding::GetBatchAsync>("getBatchAsync"),
                         InstanceMethod<&StrMapBinding::SetBatchAsync>("setBatchAsync"),
                     });
}

// new NativeStrMap(capacity: number, seed: bigint | undefined, match?: string, hash?: string)
StrMapBinding::StrMapBinding(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<StrMapBinding>(info) {
  Napi::Env env = info.Env();
  double capacity = 0;
  if (!info[0].IsUndefined()) {
    if (!info[0].IsNumber())
      throw_type(env, "a non-negative integer", "capacity", describe(info[0]));
    capacity = info[0].As<Napi::Number>().DoubleValue();
    if (!(capacity >= 0 && capacity <= 9007199254740991.0 && std::floor(capacity) == capacity)) {
      throw_range(env, "a non-negative integer", "capacity", describe(info[0]));
    }
  }
  const uint64_t seed = seed_arg(info[1], "seed");
  const KernelChoice kernels = kernels_arg(info[2], info[3], "match", "hash");

  guard_alloc(env, kOutOfMemory, [&] {
    table_ = std::make_unique<core::StrTable>(kernels.match, kernels.hash, seed,
                                              static_cast<uint64_t>(capacity));
  });
  info.This().As<Napi::Object>().DefineProperty(Napi::PropertyDescriptor::Value(
      "handle", Napi::External<StrMapBinding>::New(env, this), napi_default));
  report_memory(env);
}

StrMapBinding::~StrMapBinding() { memory_.report(Env(), 0); }

core::StrTable& StrMapBinding::open_table(Napi::Env env) {
  if (!table_) throw Napi::Error::New(env, "This StrMap is closed");
  if (busy_) throw_code(env, "EBUSY", "This StrMap is in use by an async batch; await it first");
  return *table_;
}

StrMapBinding& StrMapBinding::from_handle(const Napi::CallbackInfo& info) {
  if (!info[0].IsExternal()) throw_type(info.Env(), "a StrMap handle", "handle", describe(info[0]));
  return *info[0].As<Napi::External<StrMapBinding>>().Data();
}

void StrMapBinding::DefineHandleFunctions(Napi::Env env, Napi::Object exports) {
  exports.Set("strGet", Napi::Function::New<&StrMapBinding::Get>(env, "strGet"));
  exports.Set("strSet", Napi::Function::New<&StrMapBinding::Set>(env, "strSet"));
  exports.Set("strHas", Napi::Function::New<&StrMapBinding::Has>(env, "strHas"));
  exports.Set("strDelete", Napi::Function::New<&StrMapBinding::Delete>(env, "strDelete"));
}

void StrMapBinding::report_memory(Napi::Env env) {
  memory_.report(env, table_ ? table_->bytes() : 0);
}

// strGet(handle, bytes, length) -> number | undefined
Napi::Value StrMapBinding::Get(const Napi::CallbackInfo& info) {
  auto& t = from_handle(info).open_table(info.Env());
  core::ByteView k = single_bytes(info[1], info[2]);
  core::ByteProbe p = core::str_probe(t, k.data, k.len);
  const double* v = t.find(p, p.hash);
  if (v == nullptr) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), *v);
}

// strSet(handle, bytes, length, value) -> added
Napi::Value StrMapBinding::Set(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  StrMapBinding& self = from_handle(info);
  auto& t = self.open_table(env);
  core::ByteView k = single_bytes(info[1], info[2]);
  if (!info[3].IsNumber()) throw_type(env, "a number", "value", describe(info[3]));
  const double value = info[3].As<Napi::Number>().DoubleValue();
  core::ByteProbe p = core::str_probe(t, k.data, k.len);
  bool added = guard_alloc(env, kOutOfMemory, [&] { return t.assign(p, p.hash, value); });
  self.report_memory(env);
  return Napi::Boolean::New(env, added);
}

Napi::Value StrMapBinding::Has(const Napi::CallbackInfo& info) {
  auto& t = from_handle(info).open_table(info.Env());
  core::ByteView k = single_bytes(info[1], info[2]);
  core::ByteProbe p = core::str_probe(t, k.data, k.len);
  return Napi::Boolean::New(info.Env(), t.find(p, p.hash) != nullptr);
}

Napi::Value StrMapBinding::Delete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  StrMapBinding& self = from_handle(info);
  auto& t = self.open_table(env);
  core::ByteView k = single_bytes(info[1], info[2]);
  core::ByteProbe p = core::str_probe(t, k.data, k.len);
  bool deleted = guard_alloc(env, kOutOfMemory, [&] { return t.erase(p, p.hash); });
  self.report_memory(env);
  return Napi::Boolean::New(env, deleted);
}

Napi::Value StrMapBinding::Clear(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& t = open_table(env);
  guard_alloc(env, kOutOfMemory, [&] { t.clear(); });
  report_memory(env);
  return env.Undefined();
}

Napi::Value StrMapBinding::Size(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(open_table(info.Env()).size()));
}

// getBatch(bytes, offsets, out: Float64Array, found?: Uint8Array) -> hits
Napi::Value StrMapBinding::GetBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& t = open_table(env);
  core::ByteBatch keys = packed_batch(info[0], info[1]);
  double* out = exact_array<double>(info[2], napi_float64_array, "Float64Array", keys.count, "out");
  uint8_t* found = nullptr;
  if (!info[3].IsUndefined()) {
    found = exact_array<uint8_t>(info[3], napi_uint8_array, "Uint8Array", keys.count, "found");
  }
  return Napi::Number::New(env, static_cast<double>(core::get_batch(t, keys, out, found)));
}

// hasBatch(bytes, offsets, out: Uint8Array) -> hits
Napi::Value StrMapBinding::HasBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& t = open_table(env);
  core::ByteBatch keys = packed_batch(info[0], info[1]);
  uint8_t* out = exact_array<uint8_t>(info[2], napi_uint8_array, "Uint8Array", keys.count, "out");
  return Napi::Number::New(env, static_cast<double>(core::has_batch(t, keys, out)));
}

// setBatch(bytes, offsets, values: Float64Array) -> keys that were new
Napi::Value StrMapBinding::SetBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& t = open_table(env);
  core::ByteBatch keys = packed_batch(info[0], info[1]);
  const double* values =
      exact_array<double>(info[2], napi_float64_array, "Float64Array", keys.count, "values");
  size_t added = guard_alloc(env, kOutOfMemory, [&] { return core::set_batch(t, keys, values); });
  report_memory(env);
  return Napi::Number::New(env, static_cast<double>(added));
}

// deleteBatch(bytes, offsets) -> keys that were deleted
Napi::Value StrMapBinding::DeleteBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& t = open_table(env);
  core::ByteBatch keys = packed_batch(info[0], info[1]);
  size_t deleted = guard_alloc(env, kOutOfMemory, [&] { return core::delete_batch(t, keys); });
  report_memory(env);
  return Napi::Number::New(env, static_cast<double>(deleted));
}

// scan(cursor, atLeast) -> [bytes: Uint8Array, offsets: Uint32Array, values: Float64Array, next]
// Key i is bytes[offsets[i] .. offsets[i+1]). The keys are copied out here,
// because the table's views are valid only until its next write.
Napi::Value StrMapBinding::Scan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& t = open_table(env);
  if (!info[0].IsNumber()) throw_type(env, "a cursor (number)", "cursor", describe(info[0]));
  const double c = info[0].As<Napi::Number>().DoubleValue();
  if (!(c >= 0 && c <= 9007199254740991.0 && std::floor(c) == c)) {
    throw_range(env, "a cursor returned by scan", "cursor", describe(info[0]));
  }
  size_t at_least =
      info[1].IsNumber() ? static_cast<size_t>(info[1].As<Napi::Number>().Int64Value()) : 1024;
  if (at_least == 0) at_least = 1;
  uint64_t cursor = static_cast<uint64_t>(c);
  std::vector<uint8_t> bytes;
  std::vector<uint32_t> offsets{0};
  std::vector<double> values;
  offsets.reserve(at_least + 17);
  values.reserve(at_least + 16);
  do {
    cursor = t.scan(cursor, [&](const core::ByteSlot& k, double v) {
      const core::ByteView kb = core::key_bytes(k);
      bytes.insert(bytes.end(), kb.data, kb.data + kb.len);
      offsets.push_back(static_cast<uint32_t>(bytes.size()));
      values.push_back(v);
    });
    // Stay well inside u32 offsets however long the keys are.
  } while (cursor != 0 && values.size() < at_least && bytes.size() < (size_t{1} << 30));
  auto out_bytes = Napi::Uint8Array::New(env, bytes.size());
  auto out_offsets = Napi::Uint32Array::New(env, offsets.size());
  auto out_values = Napi::Float64Array::New(env, values.size());
  if (!bytes.empty()) std::memcpy(out_bytes.Data(), bytes.data(), bytes.size());
  std::memcpy(out_offsets.Data(), offsets.data(), offsets.size() * sizeof(uint32_t));
  if (!values.empty())
    std::memcpy(out_values.Data(), values.data(), values.size() * sizeof(double));
  auto result = Napi::Array::New(env, 4);
  result.Set(0u, out_bytes);
  result.Set(1u, out_offsets);
  result.Set(2u, out_values);
  result.Set(3u, Napi::Number::New(env, static_cast<double>(cursor)));
  return result;
}

Napi::Value StrMapBinding::Stats(const Napi::CallbackInfo& info) {
  return table_stats(info.Env(), open_table(info.Env()));
}

Napi::Value StrMapBinding::Close(const Napi::CallbackInfo& info) {
  if (busy_) {
    close_pending_ = true;  // the batch in flight still uses the table
    return info.Env().Undefined();
  }
  table_.reset();
  report_memory(info.Env());
  return info.Env().Undefined();
}

void StrMapBinding::finish_async(Napi::Env env) {
  busy_ = false;
  if (close_pending_) {
    table_.reset();
    close_pending_ = false;
  }
  report_memory(env);
}

// Runs a batch on the libuv pool over a copy of the packed keys (see
// async_batch.h); the copy's offsets are rebased to its own first byte.
Napi::Value StrMapBinding::QueueBatch(const Napi::CallbackInfo& info, AsyncBatch::Op op,
                                      const core::ByteBatch& keys, const double* values_to_set) {
  const uint32_t base = keys.offsets[0];
  std::vector<uint8_t> bytes(keys.bytes + base, keys.bytes + keys.offsets[keys.count]);
  std::vector<uint32_t> offsets(keys.offsets, keys.offsets + keys.count + 1);
  for (uint32_t& o : offsets) o -= base;
  const size_t count = keys.count;
  auto run = [this, op, count, bytes = std::move(bytes), offsets = std::move(offsets)](
                 double* values, uint8_t* hits) {
    core::ByteBatch owned{bytes.data(), offsets.data(), count};
    return op == AsyncBatch::Op::kGet ? core::get_batch(*table_, owned, values, hits)
                                      : core::set_batch(*table_, owned, values);
  };
  busy_ = true;
  return AsyncBatch::Start(
      info, "tophash:StrMap.batch", op, count, std::move(run),
      [this](Napi::Env e) { finish_async(e); }, 2, values_to_set);
}

// getBatchAsync(bytes, offsets, out, found?) -> Promise<hits>
Napi::Value StrMapBinding::GetBatchAsync(const Napi::CallbackInfo& info) {
  open_table(info.Env());
  core::ByteBatch keys = packed_batch(info[0], info[1]);
  exact_array<double>(info[2], napi_float64_array, "Float64Array", keys.count, "out");
  if (!info[3].IsUndefined())
    exact_array<uint8_t>(info[3], napi_uint8_array, "Uint8Array", keys.count, "found");
  return QueueBatch(info, AsyncBatch::Op::kGet, keys, nullptr);
}

// setBatchAsync(bytes, offsets, values) -> Promise<new keys>
Napi::Value StrMapBinding::SetBatchAsync(const Napi::CallbackInfo& info) {
  open_table(info.Env());
  core::ByteBatch keys = packed_batch(info[0], info[1]);
  const double* values =
      exact_array<double>(info[2], napi_float64_array, "Float64Array", keys.count, "values");
  return QueueBatch(info, AsyncBatch::Op::kSet, keys, values);
}

}  // namespace tophash::addon
