// The JavaScript face of core::BpfMap: argument checks and byte copies only.
// eBPF outcomes (EEXIST, ENOENT, E2BIG, ENOSPC) come back as status numbers
// that src/bpfmap.ts turns into CodedErrors, so they carry a stack from the
// caller and a typed `count`; ENOMEM and bad arguments throw here.
#pragma once
#include <napi.h>

#include <string>

#include "addon/binding_base.h"
#include "core/bpf_map.h"

namespace tophash::addon {

class BpfMapBinding : public BindingBase<BpfMapBinding, core::BpfMap> {
 public:
  static constexpr uint64_t kMagic = 0x3e51b7d20c94a6f8ull;
  static constexpr const char* kName = "BpfMap";
  static constexpr const char* kOutOfMemory =
      "Out of memory: the map could not grow (the failing element was not applied)";

  static Napi::Function Define(Napi::Env env);
  explicit BpfMapBinding(const Napi::CallbackInfo& info);

 private:
  // Single operations are static methods called as f(handle, ...) (see
  // BindingBase::from_handle).
  static Napi::Value Lookup(const Napi::CallbackInfo& info);
  static Napi::Value Update(const Napi::CallbackInfo& info);
  static Napi::Value Delete(const Napi::CallbackInfo& info);
  Napi::Value GetNextKey(const Napi::CallbackInfo& info);
  Napi::Value LookupBatch(const Napi::CallbackInfo& info);
  Napi::Value UpdateBatch(const Napi::CallbackInfo& info);
  Napi::Value DeleteBatch(const Napi::CallbackInfo& info);
  Napi::Value Size(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  static Napi::Value ReadPinned(const Napi::CallbackInfo& info);
  static Napi::Value Unpin(const Napi::CallbackInfo& info);
  Napi::Value Pin(const Napi::CallbackInfo& info);
  Napi::Value PinnedPath(const Napi::CallbackInfo& info);
  Napi::Value Save(const Napi::CallbackInfo& info);
  Napi::Value SaveAsync(const Napi::CallbackInfo& info);
  static Napi::Value ReadSnapshotShape(const Napi::CallbackInfo& info);

  void check_shape(Napi::Env env, core::BpfType type, size_t key_size, size_t value_size,
                   uint64_t max_entries, const char* code, const std::string& message);

  // lookup's landing buffer, a valueSize-byte Uint8Array private to the
  // TypeScript object: held here so a lookup reads one typed array, not two.
  Napi::ObjectReference scratch_ref_;
  uint8_t* scratch_ = nullptr;
};

}  // namespace tophash::addon
