#include "addon/aggregator_binding.h"

#include <cmath>
#include <cstring>
#include <new>
#include <string>

#include "addon/binding_args.h"
#include "addon/errors.h"
#include "addon/packed_keys.h"
#include "addon/typed_arrays.h"
#include "addon/offload_task.h"
#include "core/exposition.h"
#include "core/offload_thread.h"
#include "core/str_map.h"
#include "core/wtf8.h"
#include "cpu/cpu_registry.h"

namespace tophash::addon {

namespace {

template <class T>
T* typed_at_least(const Napi::Value& v, napi_typedarray_type t, const char* kind, size_t n,
                  const char* name) {
  TypedView view;
  if (!typed_view(v, &view) || view.type != t)
    throw_type(v.Env(), std::string("a ") + kind, name, describe(v));
  if (view.length < n) {
    throw_range(v.Env(),
                std::string("a ") + kind + " of at least " + std::to_string(n) + " elements", name,
                describe(v));
  }
  return static_cast<T*>(view.data);
}

// handleIds: a Uint32Array, copied (the ids outlive the call's arguments).
std::vector<uint32_t> handle_ids_arg(const Napi::Value& v) {
  TypedView view;
  if (!typed_view(v, &view) || view.type != napi_uint32_array)
    throw_type(v.Env(), "a Uint32Array", "handleIds", describe(v));
  const auto* ids = static_cast<const uint32_t*>(view.data);
  return std::vector<uint32_t>(ids, ids + view.length);
}

double number_field(const Napi::Object& o, const char* name, double fallback) {
  Napi::Value v = o.Get(name);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) throw_type(o.Env(), "a number", std::string("options.") + name, describe(v));
  return v.As<Napi::Number>().DoubleValue();
}

std::string string_arg(const Napi::Value& v, const std::string& name) {
  if (!v.IsString()) throw_type(v.Env(), "a string", name, describe(v));
  return v.As<Napi::String>().Utf8Value();
}

std::vector<std::string> strings_arg(const Napi::Value& v, const char* name) {
  if (!v.IsArray()) throw_type(v.Env(), "an array of strings", name, describe(v));
  auto a = v.As<Napi::Array>();
  std::vector<std::string> out(a.Length());
  for (uint32_t i = 0; i < a.Length(); ++i) out[i] = string_arg(a.Get(i), indexed(name, i));
  return out;
}

std::string string_field(const Napi::Object& o, const char* name) {
  Napi::Value v = o.Get(name);
  if (!v.IsString()) throw_type(o.Env(), "a string", std::string("options.") + name, describe(v));
  return v.As<Napi::String>().Utf8Value();
}

bool is_int(double d) { return std::isfinite(d) && std::floor(d) == d; }

}  // namespace

Napi::Function AggregatorBinding::Define(Napi::Env env) {
  return DefineClass(env, "NativeAggregator",
                     {
                         InstanceMethod<&AggregatorBinding::Apply>("apply"),
                         InstanceMethod<&AggregatorBinding::ApplyAsync>("applyAsync"),
                         InstanceMethod<&AggregatorBinding::RecordKeys>("recordKeys"),
                         InstanceMethod<&AggregatorBinding::RecordBytes>("recordBytes"),
                         InstanceMethod<&AggregatorBinding::AddHandle>("addHandle"),
                         InstanceMethod<&AggregatorBinding::ReleaseHandles>("releaseHandles"),
                         InstanceMethod<&AggregatorBinding::Get>("get"),
                         InstanceMethod<&AggregatorBinding::Overflow>("overflow"),
                         InstanceMethod<&AggregatorBinding::Delete>("delete"),
                         InstanceMethod<&AggregatorBinding::Clear>("clear"),
                         InstanceMethod<&AggregatorBinding::Zero>("zero"),
                         InstanceMethod<&AggregatorBinding::Size>("size"),
                         InstanceMethod<&AggregatorBinding::Scan>("scan"),
                         InstanceMethod<&AggregatorBinding::Render>("render"),
                         InstanceMethod<&AggregatorBinding::ReadHandles>("readHandles"),
                         InstanceMethod<&AggregatorBinding::Stats>("stats"),
                         InstanceMethod<&AggregatorBinding::Ring>("ring"),
                         InstanceMethod<&AggregatorBinding::Sync>("sync"),
                         InstanceMethod<&AggregatorBinding::SyncAsync>("syncAsync"),
                         InstanceMethod<&AggregatorBinding::Wake>("wake"),
                         InstanceMethod<&AggregatorBinding::Share>("share"),
                         InstanceMethod<&AggregatorBinding::RenderAsync>("renderAsync"),
                         InstanceMethod<&AggregatorBinding::Publish>("publish"),
                         StaticMethod<&AggregatorBinding::UnlinkShared>("unlinkShared"),
                         InstanceMethod<&AggregatorBinding::Save>("save"),
                         InstanceMethod<&AggregatorBinding::SaveAsync>("saveAsync"),
                         InstanceMethod<&AggregatorBinding::Restore>("restore"),
                         StaticMethod<&AggregatorBinding::ReadSnapshotMeta>("readSnapshotMeta"),
                         CloseMethod(),
                     });
}

// new NativeAggregator({ keyKind: 'u64' | 'bytes', hist: 'none' | 'log2' | 'linear' |
//   'buckets', k?, min?, max?, step?, bounds?: Float64Array, maxEntries, onFull: 'drop' | 'lru',
//   seed?: bigint, match?: string, hash?: string }). src/histogram.ts validates the spec with precise messages first; the
// checks here only keep the engine safe.
AggregatorBinding::AggregatorBinding(const Napi::CallbackInfo& info) : BindingBase(info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) throw_type(env, "an options object", "options", describe(info[0]));
  Napi::Object o = info[0].As<Napi::Object>();
  const double ring_size = number_field(o, "ringSize", 65536);
  if (!(is_int(ring_size) && ring_size >= core::EventRing::kMinCapacity &&
        ring_size <= core::EventRing::kMaxCapacity &&
        (static_cast<uint32_t>(ring_size) & (static_cast<uint32_t>(ring_size) - 1)) == 0)) {
    throw_range(env, "a power of two in [16, 2^24]", "options.ringSize",
                describe(o.Get("ringSize")));
  }
  const double timeout = number_field(o, "syncTimeoutMs", 5000);
  if (!(is_int(timeout) && timeout >= 0 && timeout <= 3600000))
    throw_range(env, "an integer in [0, 3600000]", "options.syncTimeoutMs",
                describe(o.Get("syncTimeoutMs")));
  const auto deadline = std::chrono::milliseconds(static_cast<int64_t>(timeout));
  const auto capacity = static_cast<uint32_t>(ring_size);
  if (!o.Get("attach").IsUndefined()) {
    const double id = number_field(o, "attach", 0);
    std::shared_ptr<core::SharedAggregator> shared =
        is_int(id) && id > 0 ? core::SharedAggregator::find(static_cast<uint64_t>(id)) : nullptr;
    if (shared == nullptr || shared->closed())
      throw_code(env, "ERR_CLOSED",
                 "The Aggregator this token shares is closed (or the token is not from this "
                 "process)");
    if (!shared->offloaded())
      throw_range(env, "a token from share()", "token", describe(o.Get("attach")));
    guard_alloc(env, kOutOfMemory, [&] {
      engine_ = std::make_unique<AggregatorRecorder>(shared, false, capacity, deadline);
    });
    report_memory(env);
    return;
  }
  const bool offload = o.Get("offload").ToBoolean().Value();
  core::AggOptions opts;
  const std::string key_kind = string_field(o, "keyKind");
  if (key_kind == "u64") {
    opts.key_kind = core::AggKeyKind::kU64;
  } else if (key_kind == "bytes") {
    opts.key_kind = core::AggKeyKind::kBytes;
  } else {
    throw_range(env, "'u64' or 'bytes'", "options.keyKind", describe(o.Get("keyKind")));
  }
  const std::string hist = string_field(o, "hist");
  if (hist == "log2") {
    const double k = number_field(o, "k", 0);
    if (!(is_int(k) && k >= 0 && k <= core::kMaxLog2K))
      throw_range(env, "an integer in [0, 5]", "options.k", describe(o.Get("k")));
    opts.hist = core::HistSpec::log2(static_cast<unsigned>(k));
  } else if (hist == "linear") {
    const double mn = number_field(o, "min", NAN), mx = number_field(o, "max", NAN),
                 st = number_field(o, "step", NAN);
    const double lim = core::kMaxSafeKey;
    if (!(is_int(mn) && is_int(mx) && is_int(st) && std::fabs(mn) <= lim && std::fabs(mx) <= lim &&
          st >= 1 && mx - mn >= st && (mx - mn) / st < core::kMaxLinearBuckets + 1)) {
      throw_range(env, "integers with step >= 1, max - min >= step, at most 1000 buckets",
                  "options.min/max/step", describe(o.Get("step")));
    }
    opts.hist = core::HistSpec::linear(static_cast<int64_t>(mn), static_cast<int64_t>(mx),
                                       static_cast<int64_t>(st));
  } else if (hist == "buckets") {
    Napi::Value bv = o.Get("bounds");
    TypedView view;
    if (!typed_view(bv, &view) || view.type != napi_float64_array)
      throw_type(env, "a Float64Array", "options.bounds", describe(bv));
    const double* b = static_cast<const double*>(view.data);
    const size_t n = view.length;
    if (n == 0 || n > core::kMaxBounds)
      throw_range(env, "1 to 1024 bounds", "options.bounds", describe(bv));
    for (size_t i = 0; i < n; ++i) {
      if (!std::isfinite(b[i]) || (i > 0 && !(b[i] > b[i - 1])))
        throw_range(env, "finite, strictly increasing bounds", indexed("options.bounds", i),
                    describe(Napi::Number::New(env, b[i])));
    }
    opts.hist = core::HistSpec::buckets(std::vector<double>(b, b + n));
  } else if (hist != "none") {
    throw_range(env, "'none', 'log2', 'linear' or 'buckets'", "options.hist",
                describe(o.Get("hist")));
  }
  const double max_entries = number_field(o, "maxEntries", 1000000);
  if (!(is_int(max_entries) && max_entries >= 1 &&
        max_entries <= static_cast<double>(core::kMaxAggEntries))) {
    throw_range(env, "an integer in [1, 2^31]", "options.maxEntries",
                describe(o.Get("maxEntries")));
  }
  opts.max_entries = static_cast<uint64_t>(max_entries);
  const std::string on_full = string_field(o, "onFull");
  if (on_full == "lru") {
    opts.on_full = core::OnFull::kLru;
  } else if (on_full == "overflow") {
    opts.on_full = core::OnFull::kOverflow;
  } else if (on_full != "drop") {
    throw_range(env, "'drop', 'lru' or 'overflow'", "options.onFull", describe(o.Get("onFull")));
  }
  const uint64_t seed = seed_arg(o.Get("seed"), "options.seed", SeedDefault::kRandom);
  const KernelChoice kernels =
      kernels_arg(o.Get("match"), o.Get("hash"), "options.match", "options.hash");
  std::string segment_name;
  core::SegmentGeometry geometry;
  const Napi::Value shared_opt = o.Get("shared");
  if (!shared_opt.IsUndefined()) {
    if (!shared_opt.IsObject())
      throw_type(env, "an object { name }", "options.shared", describe(shared_opt));
    const Napi::Object so = shared_opt.As<Napi::Object>();
    segment_name = string_arg(so.Get("name"), "options.shared.name");
    const double shards = number_field(so, "shards", geometry.shards);
    const double shard_bytes =
        number_field(so, "shardBytes", static_cast<double>(geometry.shard_bytes));
    if (!(is_int(shards) && shards >= 1 && shards <= 4096))
      throw_range(env, "an integer in [1, 4096]", "options.shared.shards",
                  describe(so.Get("shards")));
    if (!(is_int(shard_bytes) && shard_bytes >= 4096 && shard_bytes <= 68719476736.0 &&
          std::fmod(shard_bytes, 64) == 0))
      throw_range(env, "a multiple of 64 in [4096, 2^36]", "options.shared.shardBytes",
                  describe(so.Get("shardBytes")));
    geometry.shards = static_cast<uint32_t>(shards);
    geometry.shard_bytes = static_cast<uint64_t>(shard_bytes);
  }
  guard_alloc(env, kOutOfMemory, [&] {
    auto shared = core::SharedAggregator::create(
        core::make_aggregator(opts, kernels.match, kernels.hash, seed), offload);
    engine_ = std::make_unique<AggregatorRecorder>(std::move(shared), true, capacity, deadline);
  });
  if (!segment_name.empty()) {
    core::SharedAggregator& shared = engine_->shared();
    auto lock = shared.lock(deadline);
    try {
      guard_alloc(env, kOutOfMemory, [&] {
        shared.set_segment(
            core::SharedSegment::open(segment_name, opts, geometry, *shared.engine()));
      });
    } catch (const core::SegmentError& e) {
      lock.unlock();
      engine_.reset();
      throw_code(env, e.code(), e.what());
    }
  }
  report_memory(env);
}

core::Aggregator& AggregatorBinding::Locked::read_view(Napi::Env env) {
  if (shared_.segment() == nullptr) return *shared_.engine();
  try {
    guard_alloc(env, kOutOfMemory, [&] { view_ = shared_.merged_view(); });
  } catch (const core::SegmentError& e) {
    throw_code(env, e.code(), e.what());
  }
  return *view_;
}

void AggregatorBinding::Locked::refuse_if_shared(Napi::Env env, const char* what) {
  if (shared_.segment() == nullptr) return;
  throw_code(env, "ENOTSUP",
             std::string(what) +
                 " is not supported on an Aggregator shared between processes (it would act "
                 "on this process's shard only)");
}

// unlinkShared(name) -> whether a segment of that name existed.
Napi::Value AggregatorBinding::UnlinkShared(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string name = string_arg(info[0], "name");
  try {
    return Napi::Boolean::New(env, core::SharedSegment::unlink(name));
  } catch (const core::SegmentError& e) {
    throw_code(env, e.code(), e.what());
  }
}

// publish(): this process's shard of the shared segment, now.
Napi::Value AggregatorBinding::Publish(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Locked g = locked(env);
  try {
    g.shared().publish();
  } catch (const core::SegmentError& e) {
    throw_code(env, e.code(), e.what());
  }
  return env.Undefined();
}

AggregatorBinding::Locked AggregatorBinding::locked(Napi::Env env) {
  AggregatorRecorder& r = open(env);
  core::SharedAggregator& shared = r.shared();
  auto lock = shared.lock(r.timeout());
  if (!lock.owns_lock()) {
    throw_code(env, "ETIMEDOUT",
               "The Aggregator stayed busy for " + std::to_string(r.timeout().count()) +
                   " ms (options.syncTimeoutMs); nothing was done");
  }
  if (shared.closed()) throw_code(env, "ERR_CLOSED", "This Aggregator is closed");
  // Every ring, not only this thread's: the lock is held anyway, and a
  // scrape then includes what every thread published up to now.
  shared.drain_all();
  return Locked(std::move(lock), shared);
}

bool AggregatorBinding::bytes_keys() const {
  return engine_->shared().options().key_kind == core::AggKeyKind::kBytes;
}

core::StagedKeys AggregatorBinding::single(const Napi::CallbackInfo& info, size_t at) {
  core::StagedKeys k;
  k.count = 1;
  if (!bytes_keys()) {
    scratch_u64_ = single_key(info[at], "key");
    k.u64 = &scratch_u64_;
    return k;
  }
  const core::ByteView key = single_bytes(info[at], info[at + 1]);
  scratch_ids_.assign(2, 0);
  scratch_ids_[1] = static_cast<uint32_t>(key.len);
  k.bytes = key.data;
  k.offsets = scratch_ids_.data();
  return k;
}

void AggregatorBinding::check_events(Napi::Env env, core::Aggregator& a, const uint32_t* ids,
                                     const double* values, size_t n, const core::StagedKeys& keys,
                                     const char* values_name) {
  int why = 0;
  const size_t bad = a.first_invalid_event(ids, values, n, keys, &why);
  if (bad == n) return;
  if (why == 1) {
    throw_range(env, "a finite number", indexed(values_name, bad),
                describe(Napi::Number::New(env, values[bad])));
  }
  throw_range(env, "a staged key index or a live handle id", indexed("ids", bad),
              std::to_string(ids[bad]));
}

void AggregatorBinding::apply_checked(Napi::Env env, const uint32_t* ids, const double* values,
                                      size_t n, const core::StagedKeys& keys,
                                      const char* values_name) {
  {
    Locked g = locked(env);
    core::Aggregator& a = g.engine();
    check_events(env, a, ids, values, n, keys, values_name);
    guard_alloc(env, kOutOfMemory, [&] { a.apply(ids, values, n, keys); });
  }
  report_memory(env);
}

// The arguments of apply and applyAsync: (ids: Uint32Array, values:
// Float64Array, n, keysU64?: BigUint64Array, keyBytes?: Uint8Array,
// keyOffsets?: Uint32Array, nkeys).
AggregatorBinding::StagedBatch AggregatorBinding::staged_batch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  open(env);
  if (!info[2].IsNumber() || !info[6].IsNumber())
    throw_type(env, "event and key counts", "n", describe(info[2]));
  const double nd = info[2].As<Napi::Number>().DoubleValue();
  const double kd = info[6].As<Napi::Number>().DoubleValue();
  if (!(is_int(nd) && nd >= 0 && nd < 4294967296.0 && is_int(kd) && kd >= 0 && kd <= nd))
    throw_range(env, "counts with 0 <= nkeys <= n", "n", describe(info[2]));
  StagedBatch b;
  b.n = static_cast<size_t>(nd);
  const size_t nkeys = static_cast<size_t>(kd);
  b.ids = typed_at_least<uint32_t>(info[0], napi_uint32_array, "Uint32Array", b.n, "ids");
  b.values = typed_at_least<double>(info[1], napi_float64_array, "Float64Array", b.n, "values");
  b.keys.count = nkeys;
  if (nkeys > 0) {
    if (bytes_keys()) {
      core::ByteBatch bytes = packed_batch(info[4], info[5], nkeys);
      b.keys.bytes = bytes.bytes;
      b.keys.offsets = bytes.offsets;
    } else {
      b.keys.u64 =
          typed_at_least<uint64_t>(info[3], napi_biguint64_array, "BigUint64Array", nkeys, "keys");
    }
  }
  return b;
}

// apply(ids, values, n, keysU64?, keyBytes?, keyOffsets?, nkeys) -> undefined
Napi::Value AggregatorBinding::Apply(const Napi::CallbackInfo& info) {
  const StagedBatch b = staged_batch(info);
  apply_checked(info.Env(), b.ids, b.values, b.n, b.keys, "values");
  return info.Env().Undefined();
}

// applyAsync(same arguments) -> Promise<events>: validated now, then the
// events and their keys are copied and applied on the libuv pool (see
// async_batch.h); the aggregator is EBUSY until it settles.
Napi::Value AggregatorBinding::ApplyAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const StagedBatch b = staged_batch(info);
  {
    Locked g = locked(env);
    check_events(env, g.engine(), b.ids, b.values, b.n, b.keys, "values");
  }
  std::vector<uint32_t> ids(b.ids, b.ids + b.n);
  std::vector<double> values(b.values, b.values + b.n);
  std::vector<uint64_t> u64;
  std::vector<uint8_t> bytes;
  std::vector<uint32_t> offsets;
  if (b.keys.u64 != nullptr) u64.assign(b.keys.u64, b.keys.u64 + b.keys.count);
  if (b.keys.bytes != nullptr) {
    const uint32_t base = b.keys.offsets[0];
    bytes.assign(b.keys.bytes + base, b.keys.bytes + b.keys.offsets[b.keys.count]);
    offsets.assign(b.keys.offsets, b.keys.offsets + b.keys.count + 1);
    for (uint32_t& o : offsets) o -= base;
  }
  const size_t n = b.n, nkeys = b.keys.count;
  auto run = [shared = engine_->shared_ptr(), n, nkeys, ids = std::move(ids),
              values = std::move(values), u64 = std::move(u64), bytes = std::move(bytes),
              offsets = std::move(offsets)](double*, uint8_t*) {
    core::StagedKeys keys;
    keys.count = nkeys;
    if (!u64.empty()) keys.u64 = u64.data();
    if (!offsets.empty()) {
      keys.bytes = bytes.data();
      keys.offsets = offsets.data();
    }
    // Only this thread adds handles or releases them, and it is EBUSY until
    // this settles, so the ids checked above are still live.
    auto lock = shared->lock(std::chrono::hours(24));
    if (shared->closed()) return size_t{0};
    shared->engine()->apply(ids.data(), values.data(), n, keys);
    shared->note_bytes();
    return n;
  };
  return queue(info, "tophash:Aggregator.flush", AsyncBatch::Op::kRun, n, std::move(run), 0,
               nullptr);
}

// recordKeys(keys: BigUint64Array | Float64Array | Uint32Array, values: Float64Array)
Napi::Value AggregatorBinding::RecordKeys(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  open(env);
  if (bytes_keys()) throw_type(env, "string keys", "keys", describe(info[0]));
  core::KeyBatch kb = key_batch(info[0], "keys");
  const double* values =
      exact_array<double>(info[1], napi_float64_array, "Float64Array", kb.count, "values");
  scratch_keys_.resize(kb.count);
  scratch_ids_.resize(kb.count);
  for (size_t i = 0; i < kb.count; ++i) {
    switch (kb.kind) {
      case core::KeyBatch::Kind::kU64:
        scratch_keys_[i] = static_cast<const uint64_t*>(kb.data)[i];
        break;
      case core::KeyBatch::Kind::kF64:
        scratch_keys_[i] = static_cast<uint64_t>(static_cast<const double*>(kb.data)[i]);
        break;
      case core::KeyBatch::Kind::kU32:
        scratch_keys_[i] = static_cast<const uint32_t*>(kb.data)[i];
        break;
    }
    scratch_ids_[i] = core::kKeyedEvent | static_cast<uint32_t>(i);
  }
  core::StagedKeys keys;
  keys.u64 = scratch_keys_.data();
  keys.count = kb.count;
  apply_checked(env, scratch_ids_.data(), values, kb.count, keys, "values");
  return env.Undefined();
}

// recordBytes(bytes: Uint8Array, offsets: Uint32Array, values: Float64Array)
Napi::Value AggregatorBinding::RecordBytes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  open(env);
  if (!bytes_keys()) throw_type(env, "u64 keys", "keys", describe(info[0]));
  const core::ByteBatch b = packed_batch(info[0], info[1]);
  const size_t count = b.count;
  const double* values =
      exact_array<double>(info[2], napi_float64_array, "Float64Array", count, "values");
  scratch_ids_.resize(count);
  for (size_t i = 0; i < count; ++i) scratch_ids_[i] = core::kKeyedEvent | static_cast<uint32_t>(i);
  core::StagedKeys keys;
  keys.bytes = b.bytes;
  keys.offsets = b.offsets;
  keys.count = count;
  apply_checked(env, scratch_ids_.data(), values, count, keys, "values");
  return env.Undefined();
}

// addHandle(key) or addHandle(bytes, length) -> handle id
Napi::Value AggregatorBinding::AddHandle(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  core::StagedKeys k = single(info, 0);
  Locked g = locked(env);
  core::Aggregator& a = g.engine();
  auto& mine = engine_->handles();
  const uint32_t id = guard_alloc(env, kOutOfMemory, [&] {
    const uint32_t made = a.add_handle(k);
    try {
      mine.insert(made);
    } catch (...) {
      a.release_handle(made);
      throw;
    }
    return made;
  });
  return Napi::Number::New(env, id);
}

// releaseHandles(ids: Uint32Array, n) -> released
Napi::Value AggregatorBinding::ReleaseHandles(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const double nd = info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : -1;
  if (!(is_int(nd) && nd >= 0 && nd < 4294967296.0))
    throw_range(env, "a count", "n", describe(info[1]));
  const size_t n = static_cast<size_t>(nd);
  const uint32_t* ids =
      typed_at_least<uint32_t>(info[0], napi_uint32_array, "Uint32Array", n, "ids");
  Locked g = locked(env);
  core::Aggregator& a = g.engine();
  auto& mine = engine_->handles();
  size_t released = 0;
  // Only this recorder's own handles: another thread's are not its to free.
  for (size_t i = 0; i < n; ++i) {
    if (mine.erase(ids[i]) != 0) released += a.release_handle(ids[i]);
  }
  return Napi::Number::New(env, static_cast<double>(released));
}

// get(key) / get(bytes, length) -> Float64Array row (count, sum, min, max, hist...) | undefined
Napi::Value AggregatorBinding::Get(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  core::StagedKeys k = single(info, 0);
  Locked g = locked(env);
  core::Aggregator& a = g.read_view(env);
  const double* row = a.find(k);
  if (row == nullptr) return env.Undefined();
  return copy_out<Napi::Float64Array>(env, row, a.stride());
}

// overflow() -> the overflow row (as get() returns a row) | undefined
Napi::Value AggregatorBinding::Overflow(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Locked g = locked(env);
  core::Aggregator& a = g.read_view(env);
  const double* row = a.overflow_row();
  if (row == nullptr) return env.Undefined();
  return copy_out<Napi::Float64Array>(env, row, a.stride());
}

Napi::Value AggregatorBinding::Delete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  core::StagedKeys k = single(info, 0);
  Locked g = locked(env);
  g.refuse_if_shared(env, "delete()");
  core::Aggregator& a = g.engine();
  const bool deleted = guard_alloc(env, kOutOfMemory, [&] { return a.erase(k); });
  return Napi::Boolean::New(env, deleted);
}

Napi::Value AggregatorBinding::Clear(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  {
    Locked g = locked(env);
    g.refuse_if_shared(env, "clear()");
    core::Aggregator& a = g.engine();
    guard_alloc(env, kOutOfMemory, [&] { a.clear(); });
  }
  report_memory(env);
  return env.Undefined();
}

Napi::Value AggregatorBinding::Zero(const Napi::CallbackInfo& info) {
  Locked g = locked(info.Env());
  g.refuse_if_shared(info.Env(), "zero()");
  g.engine().zero();
  return info.Env().Undefined();
}

Napi::Value AggregatorBinding::Size(const Napi::CallbackInfo& info) {
  Locked g = locked(info.Env());
  return Napi::Number::New(info.Env(), static_cast<double>(g.read_view(info.Env()).size()));
}

// scan(cursor: number, count: number, del: boolean)
//   -> [keys: BigUint64Array | [Uint8Array, Uint32Array], rows: Float64Array, next: number]
// Whole bucket groups only; ENOSPC when the first group alone exceeds count.
Napi::Value AggregatorBinding::Scan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const double c = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
  if (!core::is_valid_f64_key(c))
    throw_range(env, "a cursor returned by lookupBatch", "inBatch", describe(info[0]));
  const double count = info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : -1;
  if (!(is_int(count) && count >= 1))
    throw_range(env, "a positive integer", "count", describe(info[1]));
  const bool del = info[2].ToBoolean().Value();
  core::ScanOut out;
  uint64_t next = 0;
  const size_t max_count = count > 4294967295.0 ? SIZE_MAX : static_cast<size_t>(count);
  core::ScanStatus st;
  {
    Locked g = locked(env);
    if (del) g.refuse_if_shared(env, "lookupAndDeleteBatch()");
    core::Aggregator& a = g.read_view(env);
    st = guard_alloc(env, kOutOfMemory,
                     [&] { return a.scan(static_cast<uint64_t>(c), max_count, del, &out, &next); });
  }
  if (st == core::ScanStatus::kNoSpace) {
    throw_code(env, "ENOSPC",
               "count is smaller than the next bucket group; retry with a larger count");
  }
  auto result = Napi::Array::New(env, 3);
  if (bytes_keys()) {
    auto pair = Napi::Array::New(env, 2);
    pair.Set(0u, copy_out<Napi::Uint8Array>(env, out.key_bytes));
    pair.Set(1u, copy_out<Napi::Uint32Array>(env, out.key_offsets));
    result.Set(0u, pair);
  } else {
    result.Set(0u, copy_out<Napi::BigUint64Array>(env, out.u64_keys));
  }
  result.Set(1u, copy_out<Napi::Float64Array>(env, out.rows));
  result.Set(2u, Napi::Number::New(env, static_cast<double>(next)));
  if (del) report_memory(env);
  return result;
}

// Text above this size is not kept for the next render().
constexpr size_t kKeepTextBytes = size_t{16} << 20;

// render(head, tail, name, labelHeads: string[], leTails: string[] | null,
//   omitSum, handleIds?: Uint32Array, trimBuckets?: boolean): see Render.
AggregatorBinding::RenderRequest AggregatorBinding::render_request(const Napi::CallbackInfo& info,
                                                                   size_t stride) {
  Napi::Env env = info.Env();
  RenderRequest r;
  r.head = string_arg(info[0], "head");
  r.tail = string_arg(info[1], "tail");
  core::ExpositionLayout& layout = r.layout;
  layout.name = string_arg(info[2], "name");
  layout.label_heads = strings_arg(info[3], "labelHeads");
  layout.u64_keys = !bytes_keys();
  if (layout.u64_keys && layout.label_heads.size() > 1)
    throw_range(env, "at most one label for u64 keys", "labelHeads", describe(info[3]));
  layout.histogram = !info[4].IsNull();
  if (layout.histogram) {
    layout.le_tails = strings_arg(info[4], "leTails");
    if (layout.le_tails.size() + core::kRecordHeader + 1 != stride)
      throw_range(env, "one le per bucket bound", "leTails", describe(info[4]));
  }
  layout.omit_sum = info[5].ToBoolean().Value();
  r.by_handles = !info[6].IsUndefined();
  if (r.by_handles) {
    r.handle_ids = handle_ids_arg(info[6]);
  }
  r.trim_buckets = layout.histogram && info[7].ToBoolean().Value();
  return r;
}

bool AggregatorBinding::render_text(core::Aggregator& handles, core::Aggregator& rows,
                                    const RenderRequest& r, std::string* out, size_t* bad) {
  const uint32_t* ids = r.handle_ids.data();
  const size_t n = r.handle_ids.size();
  if (r.by_handles) {
    *bad = handles.first_dead_handle(ids, n);
    if (*bad != n) return false;
  }
  out->append(r.head);
  core::ExpositionLayout layout = r.layout;
  const core::EntryVisitor write = [&](const core::EntryView& e) {
    core::append_series(out, layout, e);
  };
  if (!r.by_handles) {
    if (r.trim_buckets) {
      core::trim_to_used_buckets(&layout,
                                 [&](const core::EntryVisitor& v) { rows.visit_entries(v); });
    }
    rows.visit_entries(write);
  } else {
    visit_handle_rows(handles, rows, ids, n, write);
  }
  out->append(r.tail);
  return true;
}

void AggregatorBinding::visit_handle_rows(core::Aggregator& handles, core::Aggregator& rows,
                                          const uint32_t* ids, size_t n,
                                          const core::EntryVisitor& visit) {
  if (&rows == &handles) {
    handles.visit_handles(ids, n, visit);
    return;
  }
  // Shared between processes: the handles' keys, with the merged rows.
  handles.visit_handles(ids, n, [&](const core::EntryView& e) {
    core::EntryView merged = e;
    uint32_t offsets[2] = {0, static_cast<uint32_t>(e.len)};
    core::StagedKeys k;
    k.count = 1;
    if (e.bytes != nullptr) {
      k.bytes = e.bytes;
      k.offsets = offsets;
    } else {
      k.u64 = &e.u64;
    }
    merged.row = rows.find(k);
    visit(merged);
  });
}

// readHandles(handleIds: Uint32Array) -> Float64Array: the rows of the
// handles' keys in that order, stride doubles each, zeros for a key without
// an entry. tophash/prom's protobuf scrape and tophash/otel read a metric's
// series through it: no key text, no lookup per series in JavaScript.
Napi::Value AggregatorBinding::ReadHandles(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::vector<uint32_t> ids = handle_ids_arg(info[0]);
  const size_t stride = open(env).shared().options().hist.size() + core::kRecordHeader;
  auto out = Napi::Float64Array::New(env, ids.size() * stride);
  double* dst = out.Data();
  if (!ids.empty()) std::memset(dst, 0, ids.size() * stride * sizeof(double));
  Locked g = locked(env);
  core::Aggregator& handles = g.engine();
  core::Aggregator& rows = g.read_view(env);
  const size_t bad = handles.first_dead_handle(ids.data(), ids.size());
  if (bad != ids.size())
    throw_range(env, "a live handle id", indexed("handleIds", bad), std::to_string(ids[bad]));
  size_t at = 0;
  visit_handle_rows(handles, rows, ids.data(), ids.size(), [&](const core::EntryView& e) {
    if (e.row != nullptr) std::memcpy(dst + at * stride, e.row, stride * sizeof(double));
    at++;
  });
  return out;
}

// render(...) -> string: head, the sample lines of every entry (scan order)
// or of the given handles' keys (that order, zeros for a key without an
// entry), then tail. src/metrics/exposition.ts prepares the strings (and
// validates the names); see core/exposition.h.
Napi::Value AggregatorBinding::Render(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const RenderRequest request =
      render_request(info, open(env).shared().options().hist.size() + core::kRecordHeader);
  text_.clear();
  {
    Locked g = locked(env);
    core::Aggregator& handles = g.engine();
    core::Aggregator& rows = g.read_view(env);
    size_t bad = 0;
    const bool ok = guard_alloc(env, kOutOfMemory,
                                [&] { return render_text(handles, rows, request, &text_, &bad); });
    if (!ok)
      throw_range(env, "a live handle id", indexed("handleIds", bad),
                  std::to_string(request.handle_ids[bad]));
  }
  napi_value out = exposition_string(env, text_);
  if (text_.capacity() > kKeepTextBytes) std::string().swap(text_);
  report_memory(env);
  return Napi::Value(env, out);
}

// renderAsync(same arguments) -> Promise<string>: rendered on the libuv
// pool under the aggregator's lock, so a scrape costs the event loop only
// the string's creation.
Napi::Value AggregatorBinding::RenderAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  AggregatorRecorder& r = open(env);
  auto request = std::make_shared<RenderRequest>(
      render_request(info, r.shared().options().hist.size() + core::kRecordHeader));
  auto job = [request](core::SharedAggregator& shared, OffloadTask::Result* result) {
    std::unique_ptr<core::Aggregator> view;
    if (shared.segment() != nullptr) view = shared.merged_view();
    size_t bad = 0;
    if (!render_text(*shared.engine(), view ? *view : *shared.engine(), *request, &result->text,
                     &bad)) {
      result->code = "ERANGE";
      result->message = "Expected a live handle id for handleIds[" + std::to_string(bad) +
                        "] but received " + std::to_string(request->handle_ids[bad]);
      return;
    }
    result->has_text = true;
  };
  return OffloadTask::Start(env, "tophash:Aggregator.render", r.shared_ptr(), r.timeout(),
                            std::move(job));
}

Napi::Value AggregatorBinding::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  core::AggStats s;
  const char* match;
  const char* hash;
  {
    Locked g = locked(env);
    s = g.shared().stats();
    match = g.engine().match_name();
    hash = g.engine().hash_name();
  }
  auto o = Napi::Object::New(env);
  o.Set("entries", static_cast<double>(s.entries));
  o.Set("events", static_cast<double>(s.events));
  o.Set("batches", static_cast<double>(s.batches));
  o.Set("dropped", static_cast<double>(s.dropped));
  o.Set("evicted", static_cast<double>(s.evicted));
  o.Set("overflowEvents", static_cast<double>(s.overflow_events));
  o.Set("handles", static_cast<double>(s.handles));
  o.Set("bytes", static_cast<double>(s.bytes + text_.capacity()));
  o.Set("match", match);
  o.Set("hash", hash);
  return o;
}

// ring() -> [buffer: ArrayBuffer, capacity, idsOffset, valuesOffset,
// keysOffset] | undefined (not offloaded). The buffer is the ring's own
// memory; it keeps the ring alive as long as any view of it exists, so a
// producer that outlives close() writes into memory that is still there
// (and sees the closed flag).
Napi::Value AggregatorBinding::Ring(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  AggregatorRecorder& r = open(env);
  if (!r.ring()) return env.Undefined();
  auto* keep = new std::shared_ptr<core::EventRing>(r.ring());
  core::EventRing& ring = **keep;
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(
      env, ring.data(), ring.bytes(),
      [](Napi::Env, void*, std::shared_ptr<core::EventRing>* hold) { delete hold; }, keep);
  auto out = Napi::Array::New(env, 5);
  out.Set(0u, buffer);
  out.Set(1u, static_cast<double>(ring.capacity()));
  out.Set(2u, static_cast<double>(ring.ids_offset()));
  out.Set(3u, static_cast<double>(ring.values_offset()));
  out.Set(4u, static_cast<double>(ring.keys_offset()));
  return out;
}

// sync(): drains this thread's ring now (locked() does it).
Napi::Value AggregatorBinding::Sync(const Napi::CallbackInfo& info) {
  { Locked g = locked(info.Env()); }
  report_memory(info.Env());
  return info.Env().Undefined();
}

// syncAsync() -> Promise<undefined>: the same on the libuv pool.
Napi::Value AggregatorBinding::SyncAsync(const Napi::CallbackInfo& info) {
  AggregatorRecorder& r = open(info.Env());
  return OffloadTask::Start(info.Env(), "tophash:Aggregator.flush", r.shared_ptr(), r.timeout(),
                            [](core::SharedAggregator&, OffloadTask::Result*) {});
}

Napi::Value AggregatorBinding::Wake(const Napi::CallbackInfo& info) {
  core::OffloadThread::wake();
  return info.Env().Undefined();
}

// share() -> the id Aggregator.attach finds this aggregator by.
Napi::Value AggregatorBinding::Share(const Napi::CallbackInfo& info) {
  AggregatorRecorder& r = open(info.Env());
  return Napi::Number::New(info.Env(), static_cast<double>(r.shared().id()));
}

}  // namespace tophash::addon
