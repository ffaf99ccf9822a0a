#include "addon/mapped_u64_map_binding.h"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "addon/snapshot_args.h"
#include "addon/table_stats.h"
#include "addon/typed_arrays.h"
#include "addon/u64_map_binding.h"

namespace tophash::addon {

namespace {

Napi::Value count(Napi::Env env, size_t n) {
  return Napi::Number::New(env, static_cast<double>(n));
}

// The view's value for key, or nullptr; faults and corruption become the
// snapshot's coded errors.
bool lookup(Napi::Env env, const core::MappedU64Map& m, uint64_t key, double* value) {
  bool hit = false;
  guard_snapshot(env, MappedU64MapBinding::kOutOfMemory, [&] {
    m.read([&] {
      const double* v = m.find(key, m.hash(key));
      hit = v != nullptr;
      if (hit) *value = *v;
    });
  });
  return hit;
}

}  // namespace

MappedU64MapBinding::MappedU64MapBinding(const Napi::CallbackInfo& info) : BindingBase(info) {
  const KernelChoice kernels = kernels_arg(info[0], info[1], "options.match", "options.hash");
  const hash::HashKernel* forced = info[1].IsUndefined() ? nullptr : kernels.hash;
  const std::string path = path_arg(info[2], "path");
  guard_snapshot(info.Env(), kOutOfMemory,
                 [&] { engine_ = core::MappedU64Map::open(path, kernels.match, forced); });
  expose_handle(info);
}

Napi::Function MappedU64MapBinding::Define(Napi::Env env) {
  return DefineClass(env, "NativeMappedU64Map",
                     {
                         Method("size", &MappedU64MapBinding::Size),
                         Method("stats", &MappedU64MapBinding::Stats),
                         Method("getBatch", &MappedU64MapBinding::GetBatch),
                         Method("hasBatch", &MappedU64MapBinding::HasBatch),
                         Method("getBatchAsync", &MappedU64MapBinding::GetBatchAsync),
                         Method("scan", &MappedU64MapBinding::Scan),
                         Method("verify", &MappedU64MapBinding::Verify),
                         Method("save", &MappedU64MapBinding::Save),
                         Method("saveAsync", &MappedU64MapBinding::SaveAsync),
                         CloseMethod(),
                     });
}

void MappedU64MapBinding::DefineHandleFunctions(Napi::Env env, Napi::Object exports) {
  exports.Set("mappedGet", Napi::Function::New<&MappedU64MapBinding::Get>(env, "mappedGet"));
  exports.Set("mappedHas", Napi::Function::New<&MappedU64MapBinding::Has>(env, "mappedHas"));
}

const core::MappedU64Map& MappedU64MapBinding::view_of(const Napi::Value& handle) {
  return from_value(handle).open(handle.Env());
}

Napi::Value MappedU64MapBinding::Get(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const core::MappedU64Map& m = from_handle(info).open(env);
  const uint64_t key = single_key(info[1], "key");
  double value = 0;
  if (!lookup(env, m, key, &value)) return env.Undefined();
  return Napi::Number::New(env, value);
}

Napi::Value MappedU64MapBinding::Has(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const core::MappedU64Map& m = from_handle(info).open(env);
  const uint64_t key = single_key(info[1], "key");
  double value = 0;
  return Napi::Boolean::New(env, lookup(env, m, key, &value));
}

Napi::Value MappedU64MapBinding::Size(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(open(info.Env()).size()));
}

Napi::Value MappedU64MapBinding::Stats(const Napi::CallbackInfo& info) {
  Napi::Object o = table_stats(info.Env(), open(info.Env()));
  o.Set("mapped", true);
  return o;
}

// getBatch(keys, out: Float64Array, found?: Uint8Array) -> hits
Napi::Value MappedU64MapBinding::GetBatch(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const core::MappedU64Map& m = open(env);
  const core::KeyBatch keys = key_batch(info[0], "keys");
  double* out = exact_array<double>(info[1], napi_float64_array, "Float64Array", keys.count, "out");
  uint8_t* found = info[2].IsUndefined() ? nullptr
                                         : exact_array<uint8_t>(info[2], napi_uint8_array,
                                                                "Uint8Array", keys.count, "found");
  size_t hits = 0;
  guard_snapshot(env, kOutOfMemory, [&] {
    m.check_unchanged();
    hits = core::get_batch(m, keys, out, found);
  });
  return count(env, hits);
}

// hasBatch(keys, out: Uint8Array) -> hits
Napi::Value MappedU64MapBinding::HasBatch(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const core::MappedU64Map& m = open(env);
  const core::KeyBatch keys = key_batch(info[0], "keys");
  uint8_t* out = exact_array<uint8_t>(info[1], napi_uint8_array, "Uint8Array", keys.count, "out");
  size_t hits = 0;
  guard_snapshot(env, kOutOfMemory, [&] {
    m.check_unchanged();
    hits = core::has_batch(m, keys, out);
  });
  return count(env, hits);
}

// getBatchAsync(keys, out, found?) -> Promise<hits>: the batch on the libuv
// pool over a copy of the keys; the fault guard is per thread, so it holds there too.
Napi::Value MappedU64MapBinding::GetBatchAsync(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  open(env);
  const core::KeyBatch keys = key_batch(info[0], "keys");
  exact_array<double>(info[1], napi_float64_array, "Float64Array", keys.count, "out");
  if (!info[2].IsUndefined()) {
    exact_array<uint8_t>(info[2], napi_uint8_array, "Uint8Array", keys.count, "found");
  }
  auto run = [this, owned = U64MapBinding::own(keys)](double* values, uint8_t* hits) {
    const core::MappedU64Map& m = engine();
    m.check_unchanged();
    return core::get_batch(m, owned.view(), values, hits);
  };
  return queue(info, "tophash:U64Map.batch", AsyncBatch::Op::kGet, keys.count, std::move(run), 1,
               nullptr);
}

// scan(cursor, atLeast) -> [keys: BigUint64Array, values: Float64Array, next]
Napi::Value MappedU64MapBinding::Scan(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const core::MappedU64Map& m = open(env);
  uint64_t cursor = cursor_arg(info[0], "cursor", "scan");
  const size_t at_least = std::max<size_t>(scan_size_arg(info[1], "atLeast", 1024), 1);
  U64MapBinding::ScanOut out;
  // The vectors live out here, so a fault mid-scan abandons no allocation.
  guard_snapshot(env, kOutOfMemory, [&] {
    m.check_unchanged();
    out.reserve(scan_reserve(at_least));
    m.read([&] {
      do {
        cursor = m.scan(cursor, [&](uint64_t key, double value) { out.add(key, value); });
      } while (cursor != 0 && !out.full(at_least));
    });
  });
  return out.result(env, cursor);
}

// verify(): every section's checksum (docs/FORMAT.md step 5).
Napi::Value MappedU64MapBinding::Verify(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const core::MappedU64Map& m = open(env);
  guard_snapshot(env, kOutOfMemory, [&] { m.verify(); });
  return env.Undefined();
}

// save(path), saveAsync(path): see BindingBase::save_now and queue_save.
Napi::Value MappedU64MapBinding::Save(const Napi::CallbackInfo& info) { return save_now(info); }
Napi::Value MappedU64MapBinding::SaveAsync(const Napi::CallbackInfo& info) {
  return queue_save(info);
}

}  // namespace tophash::addon
