// The JavaScript face of core::U64Table: argument checks and typed-array
// views only. The idiomatic API (iteration, options, dispose) is src/u64map.ts.
#pragma once
#include <napi.h>

#include <memory>

#include "addon/async_batch.h"
#include "addon/binding_args.h"
#include "core/u64_map.h"

namespace tophash::addon {

class U64MapBinding : public Napi::ObjectWrap<U64MapBinding> {
 public:
  static Napi::Function Define(Napi::Env env);
  // Module functions for single operations, called as f(handle, key[, value])
  // where handle is the External the constructor stores as `this.handle`.
  // Skipping ObjectWrap's unwrap (a runtime private-property lookup) halves
  // the cost of a single get.
  static void DefineHandleFunctions(Napi::Env env, Napi::Object exports);
  explicit U64MapBinding(const Napi::CallbackInfo& info);
  ~U64MapBinding() override;

 private:
  // Checks the receiver's type tag and that the map is open.
  core::U64Table& table(const Napi::CallbackInfo& info);
  // Tells V8 how many off-heap bytes this map holds now.
  void report_memory(Napi::Env env);

  // Single operations take (handle, key[, value]): see DefineHandleFunctions.
  static U64MapBinding& from_handle(const Napi::CallbackInfo& info);
  core::U64Table& open_table(Napi::Env env);
  static Napi::Value Get(const Napi::CallbackInfo& info);
  static Napi::Value Set(const Napi::CallbackInfo& info);
  static Napi::Value Has(const Napi::CallbackInfo& info);
  static Napi::Value Delete(const Napi::CallbackInfo& info);
  Napi::Value Clear(const Napi::CallbackInfo& info);
  Napi::Value Size(const Napi::CallbackInfo& info);
  Napi::Value GetBatch(const Napi::CallbackInfo& info);
  Napi::Value HasBatch(const Napi::CallbackInfo& info);
  Napi::Value SetBatch(const Napi::CallbackInfo& info);
  Napi::Value DeleteBatch(const Napi::CallbackInfo& info);
  Napi::Value Scan(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value GetBatchAsync(const Napi::CallbackInfo& info);
  Napi::Value SetBatchAsync(const Napi::CallbackInfo& info);

  Napi::Value QueueBatch(const Napi::CallbackInfo& info, AsyncBatch::Op op,
                         const core::KeyBatch& keys, const double* values_to_set);
  // Called on the JS thread when an async batch settles.
  void finish_async(Napi::Env env);

  std::unique_ptr<core::U64Table> table_;
  ReportedMemory memory_;
  // An async batch is running on the libuv pool: every other call is EBUSY.
  bool busy_ = false;
  // close() arrived while busy: free the table when the batch settles.
  bool close_pending_ = false;
};

}  // namespace tophash::addon
