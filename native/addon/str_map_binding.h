// The JavaScript face of core::StrTable: argument checks and typed-array
// views only. Keys arrive as bytes (src/strmap.ts encodes strings as WTF-8);
// the idiomatic API (string keys, iteration, options, dispose) is src/strmap.ts.
#pragma once
#include <napi.h>

#include <memory>

#include "addon/async_batch.h"
#include "addon/binding_args.h"
#include "core/str_map.h"

namespace tophash::addon {

class StrMapBinding : public Napi::ObjectWrap<StrMapBinding> {
 public:
  static Napi::Function Define(Napi::Env env);
  // Module functions for single operations, called as
  // f(handle, bytes: Uint8Array, length: number[, value]) where the key is
  // bytes[0 .. length) and handle is the External stored as `this.handle`
  // (see U64MapBinding::DefineHandleFunctions for why).
  static void DefineHandleFunctions(Napi::Env env, Napi::Object exports);
  explicit StrMapBinding(const Napi::CallbackInfo& info);
  ~StrMapBinding() override;

 private:
  core::StrTable& open_table(Napi::Env env);
  void report_memory(Napi::Env env);
  static StrMapBinding& from_handle(const Napi::CallbackInfo& info);

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
                         const core::ByteBatch& keys, const double* values_to_set);
  // Called on the JS thread when an async batch settles.
  void finish_async(Napi::Env env);

  std::unique_ptr<core::StrTable> table_;
  ReportedMemory memory_;
  // An async batch is running on the libuv pool: every other call is EBUSY.
  bool busy_ = false;
  // close() arrived while busy: free the table when the batch settles.
  bool close_pending_ = false;
};

}  // namespace tophash::addon
