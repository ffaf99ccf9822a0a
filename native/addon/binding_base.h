// What the four engine bindings (U64Map, StrMap, BpfMap, Aggregator) share:
// the engine they own, its off-heap bytes reported to V8, the busy/close
// state of an async batch, close(), the async plumbing, save()/saveAsync(),
// and the handle check. A binding derives from BindingBase<Itself, Engine>
// and keeps only its argument conversion and forwarding. It declares:
//   static constexpr uint64_t kMagic;         // unique per class
//   static constexpr const char* kName;        // "U64Map", ... (error messages)
//   static constexpr const char* kOutOfMemory; // what failed, for ENOMEM
// and may hide bytes_held(), release_extra(), save_snapshot(), kReportStep
// and kBusyWith.
#pragma once
#include <napi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "addon/async_batch.h"
#include "addon/binding_args.h"
#include "addon/errors.h"
#include "addon/snapshot_args.h"

namespace tophash::addon {

template <class Derived, class Engine>
class BindingBase : public Napi::ObjectWrap<Derived> {
 public:
  explicit BindingBase(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Derived>(info) {}
  ~BindingBase() override {
    magic_ = 0;  // a handle kept past its object fails the check until the memory is reused
    memory_.report(this->Env(), 0);
  }

  // close(): frees the engine now, or when the async batch in flight settles.
  static Napi::ClassPropertyDescriptor<Derived> CloseMethod() {
    return Method("close", &BindingBase::Close);
  }
  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (busy_) {
      close_pending_ = true;
      return info.Env().Undefined();
    }
    release(info.Env());
    return info.Env().Undefined();
  }

 protected:
  // An instance method declared in Derived or one of its bases (ObjectWrap's
  // compile-time form takes only Derived's own member pointers).
  template <class M>
  static Napi::ClassPropertyDescriptor<Derived> Method(const char* name, M method) {
    using Callback = Napi::Value (Derived::*)(const Napi::CallbackInfo&);
    return Napi::ObjectWrap<Derived>::InstanceMethod(name, static_cast<Callback>(method));
  }

  // What keeps the engine busy, for the EBUSY message.
  static constexpr const char* kBusyWith = "an async batch";
  // Changes of fewer bytes than this are not reported to V8.
  static constexpr int64_t kReportStep = 0;

  // The engine, or a thrown error if it is closed or busy with an async
  // batch. (Instance methods need no receiver check: V8 refuses to call them
  // on an object another class made, "Illegal invocation".)
  Engine& open(Napi::Env env) {
    if (!engine_ || close_pending_)
      throw Napi::Error::New(env, std::string("This ") + Derived::kName + " is closed");
    if (busy_) {
      throw_code(env, "EBUSY",
                 std::string("This ") + Derived::kName + " is in use by " + Derived::kBusyWith +
                     "; await it first");
    }
    return *engine_;
  }

  // Single operations are module or static functions called as
  // f(handle, ...), where handle is the External the constructor stores as
  // `this.handle`: skipping ObjectWrap's unwrap (a private-property lookup)
  // is a large share of a single lookup's cost. Nothing checks what such a
  // function is given, so the handle is: every External this addon makes
  // points to a binding object, whose magic word sits at the same offset in
  // all four classes (the first member after ObjectWrap's), so one compare
  // tells them apart. (A napi type-tag check cost ~70 ns a call, more than
  // the lookup itself.)
  static Derived& from_handle(const Napi::CallbackInfo& info) { return from_value(info[0]); }
  // from_handle's check on any value (a handle passed as another argument).
  // napi_get_value_external checks the type itself: no napi_typeof first
  // (single get/set are a few Node-API calls, each a measurable share).
  static Derived& from_value(const Napi::Value& v) {
    void* data = nullptr;
    if (napi_get_value_external(v.Env(), v, &data) == napi_ok) {
      auto* self = static_cast<Derived*>(data);
      if (self != nullptr && self->magic_ == Derived::kMagic) return *self;
    }
    throw_type(v.Env(), std::string("a ") + Derived::kName + " handle", "handle", describe(v));
  }

  // Defines `this.handle` for from_handle; call once the engine exists.
  void expose_handle(const Napi::CallbackInfo& info) {
    info.This().As<Napi::Object>().DefineProperty(Napi::PropertyDescriptor::Value(
        "handle", Napi::External<void>::New(info.Env(), static_cast<Derived*>(this)),
        napi_default));
  }

  // Tells V8 how many off-heap bytes this object holds now.
  void report_memory(Napi::Env env) {
    memory_.report(env, engine_ ? self().bytes_held() : 0, Derived::kReportStep);
  }
  uint64_t bytes_held() const { return engine_->bytes(); }
  // What a derived class frees with the engine.
  void release_extra() {}

  // Runs `run` on the libuv pool (see async_batch.h); every other call is
  // EBUSY until it settles, and a close() meanwhile waits for it.
  Napi::Value queue(const Napi::CallbackInfo& info, const char* resource_name, AsyncBatch::Op op,
                    size_t count, AsyncBatch::Run run, size_t out_arg,
                    const double* values_to_set) {
    busy_ = true;
    return AsyncBatch::Start(
        info, resource_name, Derived::kOutOfMemory, op, count, std::move(run),
        [this](Napi::Env env) { finish_async(env); }, out_arg, values_to_set);
  }

  // How save()/saveAsync() write the engine's snapshot to path, crash-safely
  // (core/snapshot_file.h); a derived class may hide it.
  static void save_snapshot(Engine& e, const std::string& path) { e.save(path); }

  // save(path)
  Napi::Value save_now(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Engine& e = open(env);
    const std::string path = path_arg(info[0], "path");
    guard_snapshot(env, Derived::kOutOfMemory, [&] { Derived::save_snapshot(e, path); });
    report_memory(env);
    return env.Undefined();
  }

  // saveAsync(path) -> Promise<undefined>: save() on the libuv pool; the
  // engine is busy (EBUSY) until it settles, so the file is the engine as it
  // was when called.
  Napi::Value queue_save(const Napi::CallbackInfo& info) {
    open(info.Env());
    auto job = [this, path = path_arg(info[0], "path")] {
      Derived::save_snapshot(engine(), path);
    };
    const std::string resource = std::string("tophash:") + Derived::kName + ".save";
    return queue(info, resource.c_str(), AsyncBatch::Op::kRun, 0, AsyncBatch::Job(std::move(job)),
                 0, nullptr);
  }

  // The engine for code that runs where no JS call can reach (the pool).
  Engine& engine() { return *engine_; }

  // Keep first: see from_handle.
  uint64_t magic_ = Derived::kMagic;
  std::unique_ptr<Engine> engine_;

 private:
  Derived& self() { return static_cast<Derived&>(*this); }

  void release(Napi::Env env) {
    engine_.reset();
    self().release_extra();
    report_memory(env);
  }

  // Called on the JS thread when an async batch settles.
  void finish_async(Napi::Env env) {
    busy_ = false;
    if (close_pending_) {
      close_pending_ = false;
      release(env);
      return;
    }
    report_memory(env);
  }

  ReportedMemory memory_;
  // An async batch is running on the libuv pool.
  bool busy_ = false;
  // close() arrived while busy: free the engine when the batch settles.
  bool close_pending_ = false;
};

}  // namespace tophash::addon
