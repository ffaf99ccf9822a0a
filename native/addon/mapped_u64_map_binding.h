// The JavaScript face of core::MappedU64Map (U64Map.open): reads only. The
// class has no method that writes, so nothing reaching the binding directly
// can write through a mapping; src/maps/u64map.ts turns the first write on a
// writable open into an ordinary table (U64MapBinding adopting
// materialize()) and refuses writes on a read-only one.
#pragma once
#include <napi.h>

#include <cstdint>

#include "addon/binding_base.h"
#include "core/mapped_u64_map.h"

namespace tophash::addon {

class MappedU64MapBinding : public BindingBase<MappedU64MapBinding, core::MappedU64Map> {
 public:
  static constexpr uint64_t kMagic = 0x4c8e2a61f0b7d359ull;
  static constexpr const char* kName = "U64Map";
  static constexpr const char* kOutOfMemory = "Out of memory reading the mapped snapshot";

  // new NativeMappedU64Map(match?: string, hash?: string, path: string)
  explicit MappedU64MapBinding(const Napi::CallbackInfo& info);
  static Napi::Function Define(Napi::Env env);
  // mappedGet(handle, key) -> number | undefined; mappedHas(handle, key) -> boolean
  static void DefineHandleFunctions(Napi::Env env, Napi::Object exports);

  // The view behind a handle, for U64MapBinding's copy-on-write adoption.
  static const core::MappedU64Map& view_of(const Napi::Value& handle);
  // Mapped pages belong to the page cache, not the process heap: V8 is told nothing.
  uint64_t bytes_held() const { return 0; }

 private:
  static Napi::Value Get(const Napi::CallbackInfo& info);
  static Napi::Value Has(const Napi::CallbackInfo& info);
  Napi::Value Size(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value GetBatch(const Napi::CallbackInfo& info);
  Napi::Value HasBatch(const Napi::CallbackInfo& info);
  Napi::Value GetBatchAsync(const Napi::CallbackInfo& info);
  Napi::Value Scan(const Napi::CallbackInfo& info);
  Napi::Value Verify(const Napi::CallbackInfo& info);
  Napi::Value Save(const Napi::CallbackInfo& info);
  Napi::Value SaveAsync(const Napi::CallbackInfo& info);
};

}  // namespace tophash::addon
