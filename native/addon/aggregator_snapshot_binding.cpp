// The Aggregator's snapshot methods (core/aggregator_snapshot.h). A save
// takes the engine's lock, which drains every ring first, so the file is a
// consistent point-in-time copy even of an offloaded aggregator; saveAsync
// copies the bytes under the lock on the JS thread and writes the file on
// the libuv pool, the aggregator free to record meanwhile. An aggregator
// shared between processes is refused (its engine is this process's shard).
#include <memory>
#include <string>
#include <vector>

#include "addon/aggregator_binding.h"
#include "addon/snapshot_args.h"
#include "core/aggregator_snapshot.h"
#include "core/snapshot_errors.h"
#include "core/snapshot_file.h"
#include "core/snapshot_writer.h"

namespace tophash::addon {

std::vector<uint8_t> AggregatorBinding::snapshot_bytes(Napi::Env env, const std::string& meta) {
  std::vector<uint8_t> bytes;
  Locked g = locked(env);
  g.refuse_if_shared(env, "save()");
  core::Aggregator& a = g.engine();
  guard_snapshot(env, kOutOfMemory, [&] {
    core::MemorySink sink(&bytes);
    a.write_snapshot(sink, meta);
  });
  return bytes;
}

namespace {

// The options description JavaScript stores with the snapshot.
std::string meta_arg(const Napi::Value& v) {
  if (!v.IsString()) throw_type(v.Env(), "a string", "meta", describe(v));
  return v.As<Napi::String>().Utf8Value();
}

void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  core::AtomicFile file(path);
  file.write(bytes.data(), bytes.size());
  file.commit();
}

}  // namespace

// save(path, meta): the snapshot, written crash-safely.
Napi::Value AggregatorBinding::Save(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string path = path_arg(info[0], "path");
  const std::vector<uint8_t> bytes = snapshot_bytes(env, meta_arg(info[1]));
  guard_snapshot(env, kOutOfMemory, [&] { write_file(path, bytes); });
  return env.Undefined();
}

// saveAsync(path, meta) -> Promise<undefined>: the bytes now, the file on
// the libuv pool.
Napi::Value AggregatorBinding::SaveAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string path = path_arg(info[0], "path");
  auto bytes = std::make_shared<std::vector<uint8_t>>(snapshot_bytes(env, meta_arg(info[1])));
  return AsyncBatch::Start(
      info, "tophash:Aggregator.save", kOutOfMemory, AsyncBatch::Op::kRun, 0,
      AsyncBatch::Job([path, bytes] { write_file(path, *bytes); }), [](Napi::Env) {}, 0, nullptr);
}

// restore(path, hash?): fills this new aggregator from the snapshot at path.
Napi::Value AggregatorBinding::Restore(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string path = path_arg(info[0], "path");
  const KernelChoice kernels =
      kernels_arg(env.Undefined(), info[1], "options.match", "options.hash");
  const hash::HashKernel* forced = info[1].IsUndefined() ? nullptr : kernels.hash;
  {
    Locked g = locked(env);
    g.refuse_if_shared(env, "load()");
    core::Aggregator& a = g.engine();
    guard_snapshot(env, kOutOfMemory, [&] {
      core::FileSource file(path);
      core::with_snapshot_path(
          path, [&] { a.restore_snapshot(file, core::read_snapshot_header(file), forced); });
    });
  }
  report_memory(env);
  return env.Undefined();
}

// readSnapshotMeta(path) -> the options section of an aggregator snapshot.
Napi::Value AggregatorBinding::ReadSnapshotMeta(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string path = path_arg(info[0], "path");
  std::string meta;
  guard_snapshot(env, "Out of memory", [&] { meta = core::read_agg_meta(path); });
  return Napi::String::New(env, meta);
}

}  // namespace tophash::addon
