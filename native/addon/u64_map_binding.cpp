#include "addon/u64_map_binding.h"

#include <cmath>
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

// Marks objects made by this class so a method borrowed onto another object
// is refused instead of reinterpreting foreign memory.
constexpr napi_type_tag kU64MapTag = {0x7a3c1e9b4d2f6a81ull, 0x95e0c4b7a1d3f268ull};

// Runs f, turning an allocation failure into a JS error with code ENOMEM.
constexpr const char* kOutOfMemory =
    "Out of memory: the map could not grow (it is unchanged by the failing key)";

}  // namespace

Napi::Function U64MapBinding::Define(Napi::Env env) {
  return DefineClass(env, "NativeU64Map",
                     {
                         InstanceMethod<&U64MapBinding::Clear>("clear"),
                         InstanceMethod<&U64MapBinding::Size>("size"),
                         InstanceMethod<&U64MapBinding::GetBatch>("getBatch"),
                         InstanceMethod<&U64MapBinding::HasBatch>("hasBatch"),
                         InstanceMethod<&U64MapBinding::SetBatch>("setBatch"),
                         InstanceMethod<&U64MapBinding::DeleteBatch>("deleteBatch"),
                         InstanceMethod<&U64MapBinding::Scan>("scan"),
                         InstanceMethod<&U64MapBinding::Stats>("stats"),
                         InstanceMethod<&U64MapBinding::Close>("close"),
                         InstanceMethod<&U64MapBinding::GetBatchAsync>("getBatchAsync"),
                         InstanceMethod<&U64MapBinding::SetBatchAsync>("setBatchAsync"),
                     });
}

// new NativeU64Map(capacity: number, seed: bigint | undefined, match?: string, hash?: string)
U64MapBinding::U64MapBinding(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<U64MapBinding>(info) {
  Napi::Env env = info.Env();
  double capacity = 0;
  if (!info[0].IsUndefined()) {
    if (!info[0].IsNumber())
      throw_type(env, "a non-negative integer", "capacity", describe(info[0]));
    capacity = info[0].As<Napi::Number>().DoubleValue();
    if (!(capacity >= 0 && capacity <= core::kMaxSafeKey && std::floor(capacity) == capacity)) {
      throw_range(env, "a non-negative integer", "capacity", describe(info[0]));
    }
  }
  const uint64_t seed = seed_arg(info[1], "seed");
  const KernelChoice kernels = kernels_arg(info[2], info[3], "match", "hash");

  guard_alloc(env, kOutOfMemory, [&] {
    table_ = std::make_unique<core::U64Table>(kernels.match, kernels.hash, seed,
                                              static_cast<uint64_t>(capacity));
  });
  napi_type_tag_object(env, info.This(), &kU64MapTag);
  info.This().As<Napi::Object>().DefineProperty(Napi::PropertyDescriptor::Value(
      "handle", Napi::External<U64MapBinding>::New(env, this), napi_default));
  report_memory(env);
}

U64MapBinding::~U64MapBinding() { memory_.report(Env(), 0); }

core::U64Table& U64MapBinding::table(const Napi::CallbackInfo& info) {
  return open_table(info.Env());
}

// The receiver was unwrapped by ObjectWrap already, which refuses objects
// that wrap nothing. Objects wrapped by another class cannot get here: the
// native object and its handle live in private fields of the TypeScript
// class, whose methods check their receiver. (A type-tag check per call cost
// ~70 ns, more than the lookup itself.)
core::U64Table& U64MapBinding::open_table(Napi::Env env) {
  if (!table_ || close_pending_) throw Napi::Error::New(env, "This U64Map is closed");
  if (busy_) throw_code(env, "EBUSY", "This U64Map is in use by an async batch; await it first");
  return *table_;
}

U64MapBinding& U64MapBinding::from_handle(const Napi::CallbackInfo& info) {
  if (!info[0].IsExternal()) throw_type(info.Env(), "a U64Map handle", "handle", describe(info[0]));
  return *info[0].As<Napi::External<U64MapBinding>>().Data();
}

void U64MapBinding::DefineHandleFunctions(Napi::Env env, Napi::Object exports) {
  exports.Set("mapGet", Napi::Function::New<&U64MapBinding::Get>(env, "mapGet"));
  exports.Set("mapSet", Napi::Function::New<&U64MapBinding::Set>(env, "mapSet"));
  exports.Set("mapHas", Napi::Function::New<&U64MapBinding::Has>(env, "mapHas"));
  exports.Set("mapDelete", Napi::Function::New<&U64MapBinding::Delete>(env, "mapDelete"));
}

void U64MapBinding::report_memory(Napi::Env env) {
  memory_.report(env, table_ ? table_->bytes() : 0);
}

Napi::Value U64MapBinding::Get(const Napi::CallbackInfo& info) {
  auto& t = from_handle(info).open_table(info.Env());
  uint64_t key = single_key(info[1], "key");
  const double* v = t.find(key, t.hash(key));
  if (v == nullptr) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), *v);
}

Napi::Value U64MapBinding::Set(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  U64MapBinding& self = from_handle(info);
  auto& t = self.open_table(env);
  uint64_t key = single_key(info[1], "key");
  if (!info[2].IsNumber()) throw_type(env, "a number", "value", describe(info[2]));
  double value = info[2].As<Napi::Number>().DoubleValue();
  bool added = guard_alloc(env, kOutOfMemory, [&] { return t.assign(key, t.hash(key), value); });
  self.report_memory(env);
  return Napi::Boolean::New(env, added);
}

Napi::Value U64MapBinding::Has(const Napi::CallbackInfo& info) {
  auto& t = from_handle(info).open_table(info.Env());
  uint64_t key = single_key(info[1], "key");
  return Napi::Boolean::New(info.Env(), t.find(key, t.hash(key)) != nullptr);
}

Napi::Value U64MapBinding::Delete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  U64MapBinding& self = from_handle(info);
  auto& t = self.open_table(env);
  uint64_t key = single_key(info[1], "key");
  bool deleted = guard_alloc(env, kOutOfMemory, [&] { return t.erase(key, t.hash(key)); });
  self.report_memory(env);
  return Napi::Boolean::New(env, deleted);
}

Napi::Value U64MapBinding::Clear(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& t = table(info);
  guard_alloc(env, kOutOfMemory, [&] { t.clear(); });
  report_memory(env);
  return env.Undefined();
}

Napi::Value U64MapBinding::Size(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(table(info).size()));
}

// getBatch(keys, out: Float64Array, found?: Uint8Array) -> hits
Napi::Value U64MapBinding::GetBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& t = table(info);
  core::KeyBatch keys = key_batch(info[0], "keys");
  double* out = exact_array<double>(info[1], napi_float64_array, "Float64Array", keys.count, "out");
  uint8_t* found = nullptr;
  if (!info[2].IsUndefined()) {
    found = exact_array<uint8_t>(info[2], napi_uint8_array, "Uint8Array", keys.count, "found");
  }
  return Napi::Number::New(env, static_cast<double>(core::get_batch(t, keys, out, found)));
}

// hasBatch(keys, out: Uint8Array) -> hits
Napi::Value U64MapBinding::HasBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& t = table(info);
  core::KeyBatch keys = key_batch(info[0], "keys");
  uint8_t* out = exact_array<uint8_t>(info[1], napi_uint8_array, "Uint8Array", keys.count, "out");
  return Napi::Number::New(env, static_cast<double>(core::has_batch(t, keys, out)));
}

// setBatch(keys, values: Float64Array) -> keys that were new
Napi::Value U64MapBinding::SetBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& t = table(info);
  core::KeyBatch keys = key_batch(info[0], "keys");
  const double* values =
      exact_array<double>(info[1], napi_float64_array, "Float64Array", keys.count, "values");
  size_t added = guard_alloc(env, kOutOfMemory, [&] { return core::set_batch(t, keys, values); });
  report_memory(env);
  return Napi::Number::New(env, static_cast<double>(added));
}

// deleteBatch(keys) -> keys that were deleted
Napi::Value U64MapBinding::DeleteBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& t = table(info);
  core::KeyBatch keys = key_batch(info[0], "keys");
  size_t deleted = guard_alloc(env, kOutOfMemory, [&] { return core::delete_batch(t, keys); });
  report_memory(env);
  return Napi::Number::New(env, static_cast<double>(deleted));
}

// scan(cursor: number, atLeast: number) -> [keys: BigUint64Array, values: Float64Array, next: number]
// Walks whole bucket groups until at least `atLeast` entries or the end
// (next === 0). The cursor is an opaque number < 2^53.
Napi::Value U64MapBinding::Scan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& t = table(info);
  if (!info[0].IsNumber()) throw_type(env, "a cursor (number)", "cursor", describe(info[0]));
  double c = info[0].As<Napi::Number>().DoubleValue();
  if (!core::is_valid_f64_key(c))
    throw_range(env, "a cursor returned by scan", "cursor", describe(info[0]));
  size_t at_least =
      info[1].IsNumber() ? static_cast<size_t>(info[1].As<Napi::Number>().Int64Value()) : 1024;
  if (at_least == 0) at_least = 1;
  uint64_t cursor = static_cast<uint64_t>(c);
  std::vector<uint64_t> keys;
  std::vector<double> values;
  keys.reserve(at_least + 16);
  values.reserve(at_least + 16);
  do {
    cursor = t.scan(cursor, [&](uint64_t k, double v) {
      keys.push_back(k);
      values.push_back(v);
    });
  } while (cursor != 0 && keys.size() < at_least);
  auto out_keys = Napi::BigUint64Array::New(env, keys.size());
  auto out_values = Napi::Float64Array::New(env, values.size());
  if (!keys.empty()) {
    std::memcpy(out_keys.Data(), keys.data(), keys.size() * sizeof(uint64_t));
    std::memcpy(out_values.Data(), values.data(), values.size() * sizeof(double));
  }
  auto result = Napi::Array::New(env, 3);
  result.Set(0u, out_keys);
  result.Set(1u, out_values);
  result.Set(2u, Napi::Number::New(env, static_cast<double>(cursor)));
  return result;
}

Napi::Value U64MapBinding::Stats(const Napi::CallbackInfo& info) {
  return table_stats(info.Env(), table(info));
}

Napi::Value U64MapBinding::Close(const Napi::CallbackInfo& info) {
  if (busy_) {
    close_pending_ = true;  // the batch in flight still uses the table
    return info.Env().Undefined();
  }
  table_.reset();
  report_memory(info.Env());
  return info.Env().Undefined();
}

namespace {
size_t key_bytes(const core::KeyBatch& keys) {
  return keys.count * (keys.kind == core::KeyBatch::Kind::kU32 ? 4 : 8);
}
}  // namespace

void U64MapBinding::finish_async(Napi::Env env) {
  busy_ = false;
  if (close_pending_) {
    table_.reset();
    close_pending_ = false;
  }
  report_memory(env);
}

// Runs a batch on the libuv pool over a copy of the keys (see async_batch.h).
Napi::Value U64MapBinding::QueueBatch(const Napi::CallbackInfo& info, AsyncBatch::Op op,
                                      const core::KeyBatch& keys, const double* values_to_set) {
  const auto* first = static_cast<const uint8_t*>(keys.data);
  std::vector<uint8_t> copy(first, first + key_bytes(keys));
  const core::KeyBatch::Kind kind = keys.kind;
  const size_t count = keys.count;
  auto run = [this, op, kind, count, copy = std::move(copy)](double* values, uint8_t* hits) {
    core::KeyBatch owned{kind, copy.data(), count};
    return op == AsyncBatch::Op::kGet ? core::get_batch(*table_, owned, values, hits)
                                      : core::set_batch(*table_, owned, values);
  };
  busy_ = true;
  return AsyncBatch::Start(
      info, "tophash:U64Map.batch", op, count, std::move(run),
      [this](Napi::Env e) { finish_async(e); }, 1, values_to_set);
}

// getBatchAsync(keys, out, found?) -> Promise<hits>
Napi::Value U64MapBinding::GetBatchAsync(const Napi::CallbackInfo& info) {
  table(info);
  core::KeyBatch keys = key_batch(info[0], "keys");
  exact_array<double>(info[1], napi_float64_array, "Float64Array", keys.count, "out");
  if (!info[2].IsUndefined())
    exact_array<uint8_t>(info[2], napi_uint8_array, "Uint8Array", keys.count, "found");
  return QueueBatch(info, AsyncBatch::Op::kGet, keys, nullptr);
}

// setBatchAsync(keys, values) -> Promise<new keys>
Napi::Value U64MapBinding::SetBatchAsync(const Napi::CallbackInfo& info) {
  table(info);
  core::KeyBatch keys = key_batch(info[0], "keys");
  const double* values =
      exact_array<double>(info[1], napi_float64_array, "Float64Array", keys.count, "values");
  return QueueBatch(info, AsyncBatch::Op::kSet, keys, values);
}

}  // namespace tophash::addon
