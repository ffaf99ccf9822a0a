// The JavaScript face of core::Aggregator: argument checks and typed-array
// views only. Staging, handles, key encoding and readout objects are
// src/aggregator.ts.
#pragma once
#include <napi.h>

#include <memory>
#include <string>
#include <vector>

#include "addon/binding_base.h"
#include "core/aggregator.h"

namespace tophash::addon {

class AggregatorBinding : public BindingBase<AggregatorBinding, core::Aggregator> {
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
  Napi::Value Delete(const Napi::CallbackInfo& info);
  Napi::Value Clear(const Napi::CallbackInfo& info);
  Napi::Value Zero(const Napi::CallbackInfo& info);
  Napi::Value Size(const Napi::CallbackInfo& info);
  Napi::Value Scan(const Napi::CallbackInfo& info);
  Napi::Value Render(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);

  // Throws a RangeError naming the first bad event (id or value).
  void check_events(Napi::Env env, const uint32_t* ids, const double* values, size_t n,
                    const core::StagedKeys& keys, const char* values_name);
  void apply_checked(Napi::Env env, const uint32_t* ids, const double* values, size_t n,
                     const core::StagedKeys& keys, const char* values_name);

  uint64_t scratch_u64_ = 0;
  std::vector<uint32_t> scratch_ids_;
  std::vector<uint64_t> scratch_keys_;
  // render()'s text, kept between scrapes so each one reuses the memory.
  std::string text_;
};

}  // namespace tophash::addon
