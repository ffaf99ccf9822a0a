#include "addon/bpf_map_binding.h"

#include <cmath>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "addon/binding_args.h"
#include "addon/errors.h"
#include "addon/snapshot_args.h"
#include "addon/typed_arrays.h"
#include "core/bpf_snapshot.h"
#include "core/fixed_map.h"
#include "core/pinned_table.h"
#include "cpu/cpu_registry.h"

namespace tophash::addon {

namespace {

// An integer number in [lo, hi], else TypeError/RangeError naming it.
uint64_t integer_arg(const Napi::Value& v, uint64_t lo, uint64_t hi, const char* name) {
  const std::string expected =
      "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  if (!v.IsNumber()) throw_type(v.Env(), expected, name, describe(v));
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= static_cast<double>(lo) && d <= static_cast<double>(hi) && std::floor(d) == d)) {
    throw_range(v.Env(), expected, name, describe(v));
  }
  return static_cast<uint64_t>(d);
}

std::string bytes_text(size_t n) { return std::to_string(n) + (n == 1 ? " byte" : " bytes"); }

// A Uint8Array (a Buffer is one) of exactly `size` bytes.
const uint8_t* exact_bytes(const Napi::Value& v, size_t size, const char* name) {
  const std::string expected = "a Uint8Array of " + bytes_text(size);
  TypedView view;
  if (!typed_view(v, &view) || view.type != napi_uint8_array) {
    throw_type(v.Env(), expected, name, describe(v));
  }
  if (view.length != size) throw_range(v.Env(), expected, name, describe(v));
  return static_cast<const uint8_t*>(view.data);
}

// Packed keys: a Uint8Array whose length is a multiple of key_size.
const uint8_t* packed_keys(const Napi::Value& v, size_t key_size, size_t* count) {
  const std::string expected = "a Uint8Array of count * " + bytes_text(key_size);
  TypedView view;
  if (!typed_view(v, &view) || view.type != napi_uint8_array) {
    throw_type(v.Env(), expected, "keys", describe(v));
  }
  if (view.length % key_size != 0) throw_range(v.Env(), expected, "keys", describe(v));
  *count = view.length / key_size;
  return static_cast<const uint8_t*>(view.data);
}

uint64_t flags_arg(const Napi::Value& v, const char* name) {
  constexpr const char* kExpected = "BPF_ANY (0), BPF_NOEXIST (1) or BPF_EXIST (2)";
  if (!v.IsNumber()) throw_type(v.Env(), kExpected, name, describe(v));
  const double d = v.As<Napi::Number>().DoubleValue();
  if (d != 0 && d != 1 && d != 2) throw_range(v.Env(), kExpected, name, describe(v));
  return static_cast<uint64_t>(d);
}

[[noreturn]] void throw_no_memory(Napi::Env env) {
  throw_code(env, "ENOMEM", BpfMapBinding::kOutOfMemory);
}

Napi::Value batch_write_result(Napi::Env env, const core::BpfMap::BatchWrite& w) {
  if (w.status == core::BpfStatus::kNoMemory) {
    Napi::Error err = Napi::Error::New(
        env, "Out of memory after " + std::to_string(w.applied) + " elements were applied");
    err.Set("code", Napi::String::New(env, "ENOMEM"));
    err.Set("count", Napi::Number::New(env, static_cast<double>(w.applied)));
    throw err;
  }
  auto result = Napi::Array::New(env, 2);
  result.Set(0u, Napi::Number::New(env, static_cast<double>(w.applied)));
  result.Set(1u, Napi::Number::New(env, static_cast<int>(w.status)));
  return result;
}

// Runs f(); a coded engine failure (a pinned file's PinError) becomes an
// Error with its err.code.
template <class F>
auto guard_coded(Napi::Env env, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const core::CodedFailure& e) {
    throw_code(env, e.code(), e.what());
  }
}

const char* type_name(core::BpfType t) { return t == core::BpfType::kHash ? "hash" : "lru_hash"; }

// { type, keySize, valueSize, maxEntries }: what a file says the map is.
Napi::Object shape_object(Napi::Env env, core::BpfType type, size_t key_size, size_t value_size,
                          uint64_t max_entries) {
  auto o = Napi::Object::New(env);
  o.Set("type", type_name(type));
  o.Set("keySize", static_cast<double>(key_size));
  o.Set("valueSize", static_cast<double>(value_size));
  o.Set("maxEntries", static_cast<double>(max_entries));
  return o;
}

}  // namespace

Napi::Function BpfMapBinding::Define(Napi::Env env) {
  return DefineClass(env, "NativeBpfMap",
                     {
                         StaticMethod<&BpfMapBinding::Lookup>("lookup"),
                         StaticMethod<&BpfMapBinding::Update>("update"),
                         StaticMethod<&BpfMapBinding::Delete>("delete"),
                         StaticMethod<&BpfMapBinding::ReadPinned>("readPinned"),
                         StaticMethod<&BpfMapBinding::Unpin>("unpin"),
                         InstanceMethod<&BpfMapBinding::Pin>("pin"),
                         InstanceMethod<&BpfMapBinding::PinnedPath>("pinnedPath"),
                         InstanceMethod<&BpfMapBinding::Save>("save"),
                         InstanceMethod<&BpfMapBinding::SaveAsync>("saveAsync"),
                         StaticMethod<&BpfMapBinding::ReadSnapshotShape>("readSnapshotShape"),
                         InstanceMethod<&BpfMapBinding::GetNextKey>("getNextKey"),
                         InstanceMethod<&BpfMapBinding::LookupBatch>("lookupBatch"),
                         InstanceMethod<&BpfMapBinding::UpdateBatch>("updateBatch"),
                         InstanceMethod<&BpfMapBinding::DeleteBatch>("deleteBatch"),
                         InstanceMethod<&BpfMapBinding::Size>("size"),
                         InstanceMethod<&BpfMapBinding::Stats>("stats"),
                         CloseMethod(),
                     });
}

// new NativeBpfMap(type: 'hash' | 'lru_hash', keySize, valueSize, maxEntries,
//                  seed?: bigint, match?: string, hash?: string,
//                  scratch: Uint8Array of valueSize bytes, pinned?: string,
//                  snapshot?: string)
// With `pinned`, opens that pinned file instead (seed and match unused); the
// sizes and type must be the ones readPinned reported (ERR_PIN_CORRUPT if the
// file changed since). With `snapshot`, loads that snapshot file (seed
// unused), whose sizes and type must be the ones readSnapshotShape reported
// (ERR_SNAPSHOT_CHANGED if the file changed since).
BpfMapBinding::BpfMapBinding(const Napi::CallbackInfo& info) : BindingBase(info) {
  Napi::Env env = info.Env();
  constexpr const char* kTypes = "'hash' or 'lru_hash'";
  if (!info[0].IsString()) throw_type(env, kTypes, "options.type", describe(info[0]));
  const std::string type_name = info[0].As<Napi::String>().Utf8Value();
  core::BpfType type;
  if (type_name == "hash") {
    type = core::BpfType::kHash;
  } else if (type_name == "lru_hash") {
    type = core::BpfType::kLruHash;
  } else {
    throw_range(env, kTypes, "options.type", describe(info[0]));
  }
  const size_t key_size = integer_arg(info[1], 1, core::kMaxFixedKeySize, "options.keySize");
  const size_t value_size = integer_arg(info[2], 1, core::kMaxBpfValueSize, "options.valueSize");
  const uint64_t max_entries = integer_arg(info[3], 1, core::kMaxBpfEntries, "options.maxEntries");
  const uint64_t seed = seed_arg(info[4], "options.seed", SeedDefault::kRandom);
  // Reading its address moves a small array's bytes off the V8 heap, once;
  // they stay put from then on, and the reference keeps them alive.
  scratch_ = const_cast<uint8_t*>(exact_bytes(info[7], value_size, "scratch"));
  scratch_ref_ = Napi::Persistent(info[7].As<Napi::Object>());
  const KernelChoice kernels = kernels_arg(info[5], info[6], "options.match", "options.hash");
  if (!info[8].IsUndefined()) {
    const std::string path = path_arg(info[8], "path");
    const hash::HashKernel* forced = info[6].IsUndefined() ? nullptr : kernels.hash;
    guard_alloc(env, "Out of memory: the map could not be opened", [&] {
      engine_ = guard_coded(env, [&] { return core::BpfMap::open_pinned(path, forced); });
    });
    check_shape(env, type, key_size, value_size, max_entries, core::kPinCorrupt,
                "The pinned map '" + path + "' changed while being opened");
  } else if (!info[9].IsUndefined()) {
    const std::string path = path_arg(info[9], "path");
    const hash::HashKernel* forced = info[6].IsUndefined() ? nullptr : kernels.hash;
    guard_snapshot(env, "Out of memory: the snapshot could not be loaded",
                   [&] { engine_ = core::BpfMap::load(path, kernels.match, forced); });
    check_shape(env, type, key_size, value_size, max_entries, "ERR_SNAPSHOT_CHANGED",
                "The snapshot '" + path + "' changed while being loaded");
  } else {
    guard_alloc(env, "Out of memory: the map could not be created", [&] {
      engine_ = std::make_unique<core::BpfMap>(type, key_size, value_size, max_entries,
                                               kernels.match, kernels.hash, seed);
    });
  }
  expose_handle(info);
  report_memory(env);
}

// The map just opened or loaded has the shape JavaScript was told, else it
// is dropped and `code` thrown: the file changed between the two reads.
void BpfMapBinding::check_shape(Napi::Env env, core::BpfType type, size_t key_size,
                                size_t value_size, uint64_t max_entries, const char* code,
                                const std::string& message) {
  if (engine_->type() != type || engine_->key_size() != key_size ||
      engine_->value_size() != value_size || engine_->max_entries() != max_entries) {
    engine_.reset();
    throw_code(env, code, message);
  }
}

// lookup(handle, key) -> whether key is present; its value is copied to the
// scratch array the constructor was given.
Napi::Value BpfMapBinding::Lookup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BpfMapBinding& self = from_handle(info);
  core::BpfMap& m = self.open(env);
  const uint8_t* key = exact_bytes(info[1], m.key_size(), "key");
  const uint8_t* value = guard_coded(env, [&] { return m.lookup(key); });
  if (value == nullptr) return Napi::Boolean::New(env, false);
  std::memcpy(self.scratch_, value, m.value_size());
  return Napi::Boolean::New(env, true);
}

// update(handle, key, value, flags) -> status (0 ok, 1 EEXIST, 2 ENOENT, 3 E2BIG)
Napi::Value BpfMapBinding::Update(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BpfMapBinding& self = from_handle(info);
  core::BpfMap& m = self.open(env);
  const uint8_t* key = exact_bytes(info[1], m.key_size(), "key");
  const uint8_t* value = exact_bytes(info[2], m.value_size(), "value");
  const uint64_t flags = flags_arg(info[3], "flags");
  const core::BpfStatus s = guard_coded(env, [&] { return m.update(key, value, flags); });
  if (s == core::BpfStatus::kNoMemory) throw_no_memory(env);
  self.report_memory(env);
  return Napi::Number::New(env, static_cast<int>(s));
}

// delete(handle, key) -> status (0 ok, 2 ENOENT)
Napi::Value BpfMapBinding::Delete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BpfMapBinding& self = from_handle(info);
  core::BpfMap& m = self.open(env);
  const uint8_t* key = exact_bytes(info[1], m.key_size(), "key");
  const core::BpfStatus s = guard_coded(env, [&] { return m.erase(key); });
  if (s == core::BpfStatus::kNoMemory) throw_no_memory(env);
  self.report_memory(env);
  return Napi::Number::New(env, static_cast<int>(s));
}

// getNextKey(key?) -> the next key, or undefined after the last
Napi::Value BpfMapBinding::GetNextKey(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  core::BpfMap& m = open(env);
  const uint8_t* key = nullptr;
  if (!info[0].IsUndefined() && !info[0].IsNull()) key = exact_bytes(info[0], m.key_size(), "key");
  std::vector<uint8_t> next(m.key_size());
  if (!guard_coded(env, [&] { return m.get_next_key(key, next.data()); })) return env.Undefined();
  return copy_out<Napi::Uint8Array>(env, next.data(), next.size());
}

// lookupBatch(cursor, count, andDelete) -> [keys, values, count, next, done],
// or the entries of the first group when it does not fit in count (ENOSPC).
Napi::Value BpfMapBinding::LookupBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  core::BpfMap& m = open(env);
  uint64_t cursor = 0;
  if (!info[0].IsUndefined() && !info[0].IsNull()) {
    cursor = integer_arg(info[0], 0, (uint64_t{1} << 53) - 1, "options.inBatch");
  }
  const size_t count = integer_arg(info[1], 1, UINT32_MAX, "options.count");
  const bool and_delete = info[2].ToBoolean().Value();
  std::vector<uint8_t> keys, values;
  core::BpfMap::BatchRead r;
  guard_alloc(env, "Out of memory: no room for the batch (the map is unchanged)", [&] {
    r = guard_coded(env, [&] { return m.lookup_batch(cursor, count, and_delete, &keys, &values); });
  });
  if (and_delete) report_memory(env);
  if (r.status == core::BpfStatus::kNoSpace) return Napi::Number::New(env, r.needed);
  if (r.status == core::BpfStatus::kNoMemory) {
    throw_code(env, "ENOMEM",
               "Out of memory while deleting a batch: " + std::to_string(r.count) +
                   " of its entries were deleted");
  }
  auto result = Napi::Array::New(env, 5);
  result.Set(0u, copy_out<Napi::Uint8Array>(env, keys.data(), keys.size()));
  result.Set(1u, copy_out<Napi::Uint8Array>(env, values.data(), values.size()));
  result.Set(2u, Napi::Number::New(env, static_cast<double>(r.count)));
  result.Set(3u, Napi::Number::New(env, static_cast<double>(r.done ? 0 : r.next)));
  result.Set(4u, Napi::Boolean::New(env, r.done));
  return result;
}

// updateBatch(keys, values, flags) -> [applied, status]
Napi::Value BpfMapBinding::UpdateBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  core::BpfMap& m = open(env);
  size_t count = 0;
  const uint8_t* keys = packed_keys(info[0], m.key_size(), &count);
  const uint8_t* values = exact_bytes(info[1], count * m.value_size(), "values");
  const uint64_t flags = flags_arg(info[2], "options.flags");
  const core::BpfMap::BatchWrite w =
      guard_coded(env, [&] { return m.update_batch(keys, values, count, flags); });
  report_memory(env);
  return batch_write_result(env, w);
}

// deleteBatch(keys) -> [applied, status]
Napi::Value BpfMapBinding::DeleteBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  core::BpfMap& m = open(env);
  size_t count = 0;
  const uint8_t* keys = packed_keys(info[0], m.key_size(), &count);
  const core::BpfMap::BatchWrite w = guard_coded(env, [&] { return m.delete_batch(keys, count); });
  report_memory(env);
  return batch_write_result(env, w);
}

Napi::Value BpfMapBinding::Size(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(open(info.Env()).size()));
}

Napi::Value BpfMapBinding::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  core::BpfMap& m = open(env);
  const core::BpfStats s = m.stats();
  auto o = Napi::Object::New(env);
  o.Set("type", type_name(m.type()));
  o.Set("keySize", static_cast<double>(m.key_size()));
  o.Set("valueSize", static_cast<double>(m.value_size()));
  o.Set("maxEntries", static_cast<double>(m.max_entries()));
  o.Set("size", static_cast<double>(s.table.size));
  o.Set("B", s.table.B);
  o.Set("buckets", static_cast<double>(s.table.buckets));
  o.Set("overflowBuckets", static_cast<double>(s.table.overflow_buckets));
  o.Set("loadFactor", s.table.load_factor);
  o.Set("bytes", static_cast<double>(s.table.bytes));
  o.Set("recordBytes", static_cast<double>(s.records_bytes));
  o.Set("growing", s.table.growing);
  o.Set("evictions", static_cast<double>(s.evictions));
  o.Set("match", m.match_name());
  o.Set("hash", m.hash_name());
  return o;
}

// readPinned(path) -> { type, keySize, valueSize, maxEntries } of a pinned
// file, its header validated.
Napi::Value BpfMapBinding::ReadPinned(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string path = path_arg(info[0], "path");
  const core::PinnedShape s = guard_coded(env, [&] { return core::PinnedTable::read_shape(path); });
  return shape_object(env, s.type, s.key_size, s.value_size, s.max_entries);
}

// unpin(path): removes a pinned file's name; maps open on it keep working.
Napi::Value BpfMapBinding::Unpin(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string path = path_arg(info[0], "path");
  guard_coded(env, [&] { core::PinnedTable::unpin(path); });
  return env.Undefined();
}

// pin(path): moves the map's entries to a new pinned file at path.
Napi::Value BpfMapBinding::Pin(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  core::BpfMap& m = open(env);
  const std::string path = path_arg(info[0], "path");
  guard_alloc(env, "Out of memory: the map could not be pinned (it is unchanged)",
              [&] { guard_coded(env, [&] { m.pin(path); }); });
  report_memory(env);
  return env.Undefined();
}

// pinnedPath() -> the file the map is pinned at, or undefined.
Napi::Value BpfMapBinding::PinnedPath(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string* path = open(env).pinned_path();
  if (path == nullptr) return env.Undefined();
  return Napi::String::New(env, *path);
}

// save(path), saveAsync(path): see BindingBase::save_now and queue_save.
Napi::Value BpfMapBinding::Save(const Napi::CallbackInfo& info) { return save_now(info); }
Napi::Value BpfMapBinding::SaveAsync(const Napi::CallbackInfo& info) { return queue_save(info); }

// readSnapshotShape(path) -> { type, keySize, valueSize, maxEntries } of a
// BpfMap snapshot, its header checked (the sections are checked by the load).
Napi::Value BpfMapBinding::ReadSnapshotShape(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string path = path_arg(info[0], "path");
  core::BpfSnapshotShape s{};
  guard_snapshot(env, "Out of memory", [&] { s = core::read_bpf_file_shape(path); });
  return shape_object(env, s.type, s.key_size, s.value_size, s.max_entries);
}

}  // namespace tophash::addon
