// The JavaScript face of core::BpfMap: argument checks and byte copies only.
// eBPF outcomes (EEXIST, ENOENT, E2BIG, ENOSPC) come back as status numbers
// that src/bpfmap.ts turns into CodedErrors, so they carry a stack from the
// caller and a typed `count`; ENOMEM and bad arguments throw here.
#pragma once
#include <napi.h>

#include <memory>

#include "addon/binding_args.h"
#include "core/bpf_map.h"

namespace tophash::addon {

class BpfMapBinding : public Napi::ObjectWrap<BpfMapBinding> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit BpfMapBinding(const Napi::CallbackInfo& info);
  ~BpfMapBinding() override;

 private:
  // The map, or a thrown error if it is closed.
  core::BpfMap& map(Napi::Env env);
  // Tells V8 how many off-heap bytes this map holds now.
  void report_memory(Napi::Env env);

  // Single operations are static methods called as f(handle, ...), where
  // handle is the External the constructor stores as `this.handle`: skipping
  // ObjectWrap's unwrap (a private-property lookup) is a large share of a
  // single lookup's cost, as for U64Map.
  static BpfMapBinding& from_handle(const Napi::CallbackInfo& info);
  static Napi::Value Lookup(const Napi::CallbackInfo& info);
  static Napi::Value Update(const Napi::CallbackInfo& info);
  static Napi::Value Delete(const Napi::CallbackInfo& info);
  Napi::Value GetNextKey(const Napi::CallbackInfo& info);
  Napi::Value LookupBatch(const Napi::CallbackInfo& info);
  Napi::Value UpdateBatch(const Napi::CallbackInfo& info);
  Napi::Value DeleteBatch(const Napi::CallbackInfo& info);
  Napi::Value Size(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  std::unique_ptr<core::BpfMap> map_;
  // lookup's landing buffer, a valueSize-byte Uint8Array private to the
  // TypeScript object: held here so a lookup reads one typed array, not two.
  Napi::ObjectReference scratch_ref_;
  uint8_t* scratch_ = nullptr;
  ReportedMemory memory_;
};

}  // namespace tophash::addon
