// tophash_hooks.node: what tests and benchmarks measure the addon with, built
// beside it (binding.gyp's second target) and never part of tophash.node.
#include <napi.h>

#include "hooks/gc_pauses.h"
#include "hooks/memory_floor.h"
#include "hooks/page_cache.h"

namespace tophash::hooks {

namespace {

// externalMemory() -> V8's running total of external bytes reported through
// napi_adjust_external_memory (process.memoryUsage().external does not
// include them on Node 20), so tests can check the addon's accounting: the
// total is per isolate, so this addon sees what tophash.node reported.
Napi::Value ExternalMemory(const Napi::CallbackInfo& info) {
  return Napi::Number::New(
      info.Env(), static_cast<double>(Napi::MemoryManagement::AdjustExternalMemory(info.Env(), 0)));
}

// emptyCall(a, b) -> undefined, touching neither argument: what crossing from
// JavaScript into an addon costs by itself, for W1 to set beside a single
// get (which is this call plus a handle check, a hash, a probe and a result).
Napi::Value EmptyCall(const Napi::CallbackInfo& info) { return info.Env().Undefined(); }

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("externalMemory", Napi::Function::New<ExternalMemory>(env, "externalMemory"));
  exports.Set("memoryFloor", Napi::Function::New<addon::MemoryFloor>(env, "memoryFloor"));
  exports.Set("emptyCall", Napi::Function::New<EmptyCall>(env, "emptyCall"));
  exports.Set("dropPageCache", Napi::Function::New<DropPageCache>(env, "dropPageCache"));
  exports.Set("recordGcPauses", Napi::Function::New<RecordGcPauses>(env, "recordGcPauses"));
  exports.Set("takeGcPauses", Napi::Function::New<TakeGcPauses>(env, "takeGcPauses"));
  return exports;
}

}  // namespace tophash::hooks

// NODE_API_MODULE pastes the function's name into an identifier.
static Napi::Object InitHooks(Napi::Env env, Napi::Object exports) {
  return tophash::hooks::Init(env, exports);
}
NODE_API_MODULE(tophash_hooks, InitHooks)
