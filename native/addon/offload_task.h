// Work on a shared aggregator done on the libuv pool: draining the rings
// (flushAsync) and rendering exposition text (scrapes off the event loop).
// The task holds its own reference to the aggregator, so a close() meanwhile
// is seen as ERR_CLOSED under the lock rather than as freed memory; it takes
// the lock with the recorder's deadline and rejects with ETIMEDOUT past it.
#pragma once
#include <napi.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "core/shared_aggregator.h"

namespace tophash::addon {

// Exposition text as a JavaScript string: nearly always ASCII, which V8
// takes as a plain copy.
napi_value exposition_string(Napi::Env env, const std::string& text);

class OffloadTask : public Napi::AsyncWorker {
 public:
  struct Result {
    bool has_text = false;  // resolve with text, else with undefined
    std::string text;
    const char* code = nullptr;  // reject with err.code = code
    std::string message;
  };
  // Runs on the pool with the lock held and every ring drained.
  using Job = std::function<void(core::SharedAggregator&, Result*)>;

  static Napi::Promise Start(Napi::Env env, const char* resource_name,
                             std::shared_ptr<core::SharedAggregator> shared,
                             std::chrono::milliseconds timeout, Job job);

  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error& e) override;

 private:
  OffloadTask(Napi::Env env, const char* resource_name,
              std::shared_ptr<core::SharedAggregator> shared, std::chrono::milliseconds timeout,
              Job job);

  Napi::Promise::Deferred deferred_;
  std::shared_ptr<core::SharedAggregator> shared_;
  std::chrono::milliseconds timeout_;
  Job job_;
  Result result_;
};

}  // namespace tophash::addon
