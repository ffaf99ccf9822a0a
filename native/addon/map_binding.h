// What U64Map's and StrMap's bindings share: everything but the keys. A
// binding derives from MapBinding<Itself, Table> and says how its keys cross
// the boundary; besides BindingBase's declarations it has:
//   static constexpr size_t kKeyArgs;      // arguments one key (or batch) takes
//   static constexpr const char* kPrefix;   // "map" -> mapGet, mapSet, ...
//   static std::pair<Probe, uint64_t> probe(Table&, const Napi::CallbackInfo&);
//                                          // the key at info[1..] and its hash
//   static Batch batch_arg(const Napi::CallbackInfo&);  // the keys at info[0..]
//   static Owned own(const Batch&);        // a copy for the pool; .view() -> Batch
//   struct ScanOut;                         // what scan() collects (see Scan)
// and for snapshots (core/snapshot_writer.h, snapshot_reader.h):
//   static void save_snapshot(Table&, const std::string& path);
//   static std::unique_ptr<Table> load_snapshot(const std::string& path,
//       const simd::MatchKernel*, const hash::HashKernel* forced_or_null);
#pragma once
#include <napi.h>

#include <algorithm>
#include <string>
#include <utility>

#include "addon/binding_base.h"
#include "addon/snapshot_args.h"
#include "addon/table_stats.h"
#include "addon/typed_arrays.h"
#include "core/str_map.h"
#include "core/u64_map.h"

namespace tophash::addon {

template <class Derived, class Table>
class MapBinding : public BindingBase<Derived, Table> {
  using Base = BindingBase<Derived, Table>;

 public:
  static constexpr const char* kOutOfMemory =
      "Out of memory: the map could not grow (it is unchanged by the failing key)";

  explicit MapBinding(const Napi::CallbackInfo& info) : Base(info) {
    const Napi::Env env = info.Env();
    if (!info[4].IsUndefined()) {
      load(info, kernels_arg(info[2], info[3], "options.match", "options.hash"));
    } else {
      const uint64_t capacity = capacity_arg(info[0]);
      const uint64_t seed = seed_arg(info[1], "options.seed", SeedDefault::kRandom);
      const KernelChoice kernels = kernels_arg(info[2], info[3], "options.match", "options.hash");
      // Checked in TypeScript; anything but true is the default.
      const bool huge_pages = info[5].IsBoolean() && info[5].As<Napi::Boolean>().Value();
      guard_alloc(env, Derived::kOutOfMemory, [&] {
        this->engine_ =
            std::make_unique<Table>(kernels.match, kernels.hash, seed, capacity, huge_pages);
      });
    }
    this->expose_handle(info);
    this->report_memory(env);
  }

  // new Native<Name>(capacity?: number, seed?: bigint, match?: string, hash?: string,
  //                  snapshot?: string, hugePages?: boolean, mapped?: handle), a
  //                  snapshot path loading the map from that file (U64Map also takes a
  //                  MappedU64Map handle to copy, U64Map.open's copy-on-write)
  static Napi::Function Define(Napi::Env env) {
    const std::string class_name = std::string("Native") + Derived::kName;
    return Base::DefineClass(env, class_name.c_str(),
                             {
                                 Base::Method("clear", &MapBinding::Clear),
                                 Base::Method("size", &MapBinding::Size),
                                 Base::Method("getBatch", &MapBinding::GetBatch),
                                 Base::Method("hasBatch", &MapBinding::HasBatch),
                                 Base::Method("setBatch", &MapBinding::SetBatch),
                                 Base::Method("deleteBatch", &MapBinding::DeleteBatch),
                                 Base::Method("scan", &MapBinding::Scan),
                                 Base::Method("stats", &MapBinding::Stats),
                                 Base::CloseMethod(),
                                 Base::Method("getBatchAsync", &MapBinding::GetBatchAsync),
                                 Base::Method("setBatchAsync", &MapBinding::SetBatchAsync),
                                 Base::Method("save", &MapBinding::Save),
                                 Base::Method("saveAsync", &MapBinding::SaveAsync),
                             });
  }

  // Module functions for single operations, called as f(handle, key...[, value])
  // (see BindingBase::from_handle): <prefix>Get, Set, Has and Delete.
  static void DefineHandleFunctions(Napi::Env env, Napi::Object exports) {
    const std::string p = Derived::kPrefix;
    exports.Set(p + "Get", Napi::Function::New<&MapBinding::Get>(env, p + "Get"));
    exports.Set(p + "Set", Napi::Function::New<&MapBinding::Set>(env, p + "Set"));
    exports.Set(p + "Has", Napi::Function::New<&MapBinding::Has>(env, p + "Has"));
    exports.Set(p + "Delete", Napi::Function::New<&MapBinding::Delete>(env, p + "Delete"));
  }

  // get(handle, key...) -> number | undefined
  static Napi::Value Get(const Napi::CallbackInfo& info) {
    Table& t = Base::from_handle(info).open(info.Env());
    const auto p = Derived::probe(t, info);
    const double* v = t.find(p.first, p.second);
    if (v == nullptr) return info.Env().Undefined();
    return Napi::Number::New(info.Env(), *v);
  }

  // set(handle, key..., value) -> whether the key was new
  static Napi::Value Set(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Derived& self = Base::from_handle(info);
    Table& t = self.open(env);
    const auto p = Derived::probe(t, info);
    const Napi::Value value = info[1 + Derived::kKeyArgs];
    if (!value.IsNumber()) throw_type(env, "a number", "value", describe(value));
    const double d = value.As<Napi::Number>().DoubleValue();
    const bool added =
        guard_alloc(env, Derived::kOutOfMemory, [&] { return t.assign(p.first, p.second, d); });
    self.report_memory(env);
    return Napi::Boolean::New(env, added);
  }

  static Napi::Value Has(const Napi::CallbackInfo& info) {
    Table& t = Base::from_handle(info).open(info.Env());
    const auto p = Derived::probe(t, info);
    return Napi::Boolean::New(info.Env(), t.find(p.first, p.second) != nullptr);
  }

  static Napi::Value Delete(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Derived& self = Base::from_handle(info);
    Table& t = self.open(env);
    const auto p = Derived::probe(t, info);
    const bool deleted =
        guard_alloc(env, Derived::kOutOfMemory, [&] { return t.erase(p.first, p.second); });
    self.report_memory(env);
    return Napi::Boolean::New(env, deleted);
  }

  Napi::Value Clear(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Table& t = this->open(env);
    guard_alloc(env, Derived::kOutOfMemory, [&] { t.clear(); });
    this->report_memory(env);
    return env.Undefined();
  }

  Napi::Value Size(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(this->open(info.Env()).size()));
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    return table_stats(info.Env(), this->open(info.Env()));
  }

  // getBatch(keys..., out: Float64Array, found?: Uint8Array) -> hits
  Napi::Value GetBatch(const Napi::CallbackInfo& info) {
    Table& t = this->open(info.Env());
    const auto keys = Derived::batch_arg(info);
    double* out = values_arg(info, keys.count, "out");
    uint8_t* found = found_arg(info, keys.count);
    return count(info.Env(), core::get_batch(t, keys, out, found));
  }

  // hasBatch(keys..., out: Uint8Array) -> hits
  Napi::Value HasBatch(const Napi::CallbackInfo& info) {
    Table& t = this->open(info.Env());
    const auto keys = Derived::batch_arg(info);
    uint8_t* out = exact_array<uint8_t>(info[Derived::kKeyArgs], napi_uint8_array, "Uint8Array",
                                        keys.count, "out");
    return count(info.Env(), core::has_batch(t, keys, out));
  }

  // setBatch(keys..., values: Float64Array) -> keys that were new
  Napi::Value SetBatch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Table& t = this->open(env);
    const auto keys = Derived::batch_arg(info);
    const double* values = values_arg(info, keys.count, "values");
    const size_t added =
        guard_alloc(env, Derived::kOutOfMemory, [&] { return core::set_batch(t, keys, values); });
    this->report_memory(env);
    return count(env, added);
  }

  // deleteBatch(keys...) -> keys that were deleted
  Napi::Value DeleteBatch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Table& t = this->open(env);
    const auto keys = Derived::batch_arg(info);
    const size_t deleted =
        guard_alloc(env, Derived::kOutOfMemory, [&] { return core::delete_batch(t, keys); });
    this->report_memory(env);
    return count(env, deleted);
  }

  // scan(cursor, atLeast) -> [...ScanOut's arrays, next cursor]: whole bucket
  // groups until at least `atLeast` entries or the end (next === 0). The
  // cursor is an opaque number < 2^53. Keys are copied out here, because
  // the table's views are valid only until its next write.
  Napi::Value Scan(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Table& t = this->open(env);
    uint64_t cursor = cursor_arg(info[0], "cursor", "scan");
    const size_t at_least = std::max<size_t>(scan_size_arg(info[1], "atLeast", 1024), 1);
    typename Derived::ScanOut out;
    guard_alloc(env, Derived::kOutOfMemory, [&] {
      out.reserve(scan_reserve(at_least));
      do {
        cursor = t.scan(cursor, [&](const auto& key, double value) { out.add(key, value); });
      } while (cursor != 0 && !out.full(at_least));
    });
    return out.result(env, cursor);
  }

  // getBatchAsync(keys..., out, found?) -> Promise<hits>
  Napi::Value GetBatchAsync(const Napi::CallbackInfo& info) {
    this->open(info.Env());
    const auto keys = Derived::batch_arg(info);
    values_arg(info, keys.count, "out");
    found_arg(info, keys.count);
    return queue_batch(info, AsyncBatch::Op::kGet, keys, nullptr);
  }

  // setBatchAsync(keys..., values) -> Promise<new keys>
  Napi::Value SetBatchAsync(const Napi::CallbackInfo& info) {
    this->open(info.Env());
    const auto keys = Derived::batch_arg(info);
    return queue_batch(info, AsyncBatch::Op::kSet, keys, values_arg(info, keys.count, "values"));
  }

  // save(path), saveAsync(path): see BindingBase::save_now and queue_save.
  Napi::Value Save(const Napi::CallbackInfo& info) { return this->save_now(info); }
  Napi::Value SaveAsync(const Napi::CallbackInfo& info) { return this->queue_save(info); }

 private:
  void load(const Napi::CallbackInfo& info, const KernelChoice& kernels) {
    const std::string path = path_arg(info[4], "path");
    const hash::HashKernel* forced = info[3].IsUndefined() ? nullptr : kernels.hash;
    guard_snapshot(info.Env(), Derived::kOutOfMemory,
                   [&] { this->engine_ = Derived::load_snapshot(path, kernels.match, forced); });
  }

  static Napi::Value count(Napi::Env env, size_t n) {
    return Napi::Number::New(env, static_cast<double>(n));
  }
  static double* values_arg(const Napi::CallbackInfo& info, size_t n, const char* name) {
    return exact_array<double>(info[Derived::kKeyArgs], napi_float64_array, "Float64Array", n,
                               name);
  }
  static uint8_t* found_arg(const Napi::CallbackInfo& info, size_t n) {
    const Napi::Value v = info[Derived::kKeyArgs + 1];
    if (v.IsUndefined()) return nullptr;
    return exact_array<uint8_t>(v, napi_uint8_array, "Uint8Array", n, "found");
  }

  // Runs a batch on the libuv pool over a copy of the keys (see async_batch.h).
  template <class Batch>
  Napi::Value queue_batch(const Napi::CallbackInfo& info, AsyncBatch::Op op, const Batch& keys,
                          const double* values_to_set) {
    auto run = [this, op, owned = Derived::own(keys)](double* values, uint8_t* hits) {
      Table& t = this->engine();
      const Batch view = owned.view();
      return op == AsyncBatch::Op::kGet ? core::get_batch(t, view, values, hits)
                                        : core::set_batch(t, view, values);
    };
    const std::string resource = std::string("tophash:") + Derived::kName + ".batch";
    return this->queue(info, resource.c_str(), op, keys.count, std::move(run), Derived::kKeyArgs,
                       values_to_set);
  }
};

}  // namespace tophash::addon
