// The JavaScript face of core::Aggregator: argument checks and typed-array
// views only. Staging, the event ring's views, handles, key encoding and
// readout objects are src/metrics/. Every use of the engine goes through
// locked(), which takes the shared aggregator's lock (other threads may
// record into it: see core/shared_aggregator.h) and first drains every
// ring, so a read sees every event this thread recorded before it.
#pragma once
#include <napi.h>

#include <memory>
#include <string>
#include <vector>

#include "addon/binding_base.h"
#include "addon/aggregator_recorder.h"
#include "core/aggregator.h"
#include "core/exposition.h"

namespace tophash::addon {

class AggregatorBinding : public BindingBase<AggregatorBinding, AggregatorRecorder> {
 public:
  static constexpr uint64_t kMagic = 0xc41a8e5f27d06b93ull;
  static constexpr const char* kName = "Aggregator";
  static constexpr const char* kOutOfMemory = "Out of memory: the aggregator could not grow";
  // Small changes are not worth a call into V8 on every batch.
  static constexpr int64_t kReportStep = 65536;

  static Napi::Function Define(Napi::Env env);
  explicit AggregatorBinding(const Napi::CallbackInfo& info);

  // The kept exposition text counts too: it lives as long as the aggregator.
  uint64_t bytes_held() const { return engine_->bytes() + text_.capacity(); }
  void release_extra() { std::string().swap(text_); }

 private:
  // The engine under its lock, every ring drained; the lock is held
  // until this goes out of scope. Throws ETIMEDOUT when the lock was not
  // free within the recorder's timeout, ERR_CLOSED once the owner closed.
  class Locked {
   public:
    Locked(std::unique_lock<core::DeadlineMutex> lock, core::SharedAggregator& shared)
        : lock_(std::move(lock)), shared_(shared) {}
    ~Locked() { shared_.note_bytes(); }
    Locked(Locked&&) = delete;  // returned by copy elision only
    core::Aggregator& engine() { return *shared_.engine(); }
    core::SharedAggregator& shared() { return shared_; }
    // What a read sees: the engine, or for an aggregator shared between
    // processes every process's shard merged (this one's published first).
    // Throws the segment's errors as coded JavaScript errors.
    core::Aggregator& read_view(Napi::Env env);
    // Mutations other than recording act on one process's shard only, which
    // no reader could tell apart from the others: refused when shared.
    void refuse_if_shared(Napi::Env env, const char* what);

   private:
    std::unique_lock<core::DeadlineMutex> lock_;
    core::SharedAggregator& shared_;
    std::unique_ptr<core::Aggregator> view_;
  };
  Locked locked(Napi::Env env);
  bool bytes_keys() const;
  // One key from (key) for u64 or (bytes, length) for byte keys, as a
  // StagedKeys of count 1 backed by scratch_u64_ when needed.
  core::StagedKeys single(const Napi::CallbackInfo& info, size_t at);

  // The arguments of apply/applyAsync, checked: views into the caller's arrays.
  struct StagedBatch {
    const uint32_t* ids;
    const double* values;
    size_t n;
    core::StagedKeys keys;
  };
  StagedBatch staged_batch(const Napi::CallbackInfo& info);
  Napi::Value Apply(const Napi::CallbackInfo& info);
  Napi::Value ApplyAsync(const Napi::CallbackInfo& info);
  Napi::Value RecordKeys(const Napi::CallbackInfo& info);
  Napi::Value RecordBytes(const Napi::CallbackInfo& info);
  Napi::Value AddHandle(const Napi::CallbackInfo& info);
  Napi::Value ReleaseHandles(const Napi::CallbackInfo& info);
  Napi::Value Get(const Napi::CallbackInfo& info);
  Napi::Value Overflow(const Napi::CallbackInfo& info);
  Napi::Value Delete(const Napi::CallbackInfo& info);
  Napi::Value Clear(const Napi::CallbackInfo& info);
  Napi::Value Zero(const Napi::CallbackInfo& info);
  Napi::Value Size(const Napi::CallbackInfo& info);
  Napi::Value Scan(const Napi::CallbackInfo& info);
  Napi::Value Render(const Napi::CallbackInfo& info);
  Napi::Value ReadHandles(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  // Offload: the ring's memory for JavaScript's views, draining this
  // thread's ring now (sync) or on the libuv pool (syncAsync), waking the
  // offload thread, the token other threads attach with, and render on the
  // libuv pool.
  Napi::Value Ring(const Napi::CallbackInfo& info);
  Napi::Value Sync(const Napi::CallbackInfo& info);
  Napi::Value SyncAsync(const Napi::CallbackInfo& info);
  Napi::Value Wake(const Napi::CallbackInfo& info);
  Napi::Value Share(const Napi::CallbackInfo& info);
  Napi::Value RenderAsync(const Napi::CallbackInfo& info);
  // Snapshots (aggregator_snapshot_binding.cpp): save/saveAsync(path, meta),
  // restore(path, hash?) into a new aggregator, readSnapshotMeta(path).
  Napi::Value Save(const Napi::CallbackInfo& info);
  Napi::Value SaveAsync(const Napi::CallbackInfo& info);
  Napi::Value Restore(const Napi::CallbackInfo& info);
  static Napi::Value ReadSnapshotMeta(const Napi::CallbackInfo& info);
  // The snapshot's bytes, the engine locked (every ring drained) meanwhile.
  std::vector<uint8_t> snapshot_bytes(Napi::Env env, const std::string& meta);
  // Processes: publishes this process's shard now.
  Napi::Value Publish(const Napi::CallbackInfo& info);
  static Napi::Value UnlinkShared(const Napi::CallbackInfo& info);

  // render()'s arguments, copied so the libuv pool can use them too.
  struct RenderRequest {
    std::string head, tail;
    core::ExpositionLayout layout;
    bool by_handles = false;
    std::vector<uint32_t> handle_ids;
    bool trim_buckets = false;  // write only the used le range (log2/linear histograms)
  };
  RenderRequest render_request(const Napi::CallbackInfo& info, size_t stride);
  // The text of a request into *out (engine locked); false when a handle id
  // is dead, with its index in *bad.
  // handles: the engine the handle ids belong to; rows: where the rows come
  // from (the engine, or the merged view of a shared aggregator).
  static bool render_text(core::Aggregator& handles, core::Aggregator& rows, const RenderRequest& r,
                          std::string* out, size_t* bad);
  // Each handle's key with its row from rows (the engine's own, or the merged
  // view's for the same key), in the order of ids; all ids must be live.
  static void visit_handle_rows(core::Aggregator& handles, core::Aggregator& rows,
                                const uint32_t* ids, size_t n, const core::EntryVisitor& visit);

  // Throws a RangeError naming the first bad event (id or value).
  void check_events(Napi::Env env, core::Aggregator& a, const uint32_t* ids, const double* values,
                    size_t n, const core::StagedKeys& keys, const char* values_name);
  void apply_checked(Napi::Env env, const uint32_t* ids, const double* values, size_t n,
                     const core::StagedKeys& keys, const char* values_name);

  uint64_t scratch_u64_ = 0;
  std::vector<uint32_t> scratch_ids_;
  std::vector<uint64_t> scratch_keys_;
  // render()'s text, kept between scrapes so each one reuses the memory.
  std::string text_;
};

}  // namespace tophash::addon
