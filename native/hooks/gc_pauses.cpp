#include "hooks/gc_pauses.h"

#include <time.h>
#include <v8.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace tophash::hooks {

namespace {

// One isolate's pauses, from its own thread (V8 calls prologue and epilogue
// on the thread that runs the isolate). Capped: a run that ends in a flood
// of scavenges keeps the first ones.
constexpr size_t kMaxPauses = size_t{1} << 16;
std::vector<uint64_t> pauses;
bool recording = false;

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

void on_gc_start(v8::Isolate*, v8::GCType, v8::GCCallbackFlags) {
  if (pauses.size() + 2 <= 2 * kMaxPauses) pauses.push_back(now_ns());
}

void on_gc_end(v8::Isolate*, v8::GCType, v8::GCCallbackFlags) {
  if (pauses.size() % 2 == 1) pauses.push_back(now_ns());
}

void stop(v8::Isolate* isolate) {
  if (!recording) return;
  isolate->RemoveGCPrologueCallback(on_gc_start);
  isolate->RemoveGCEpilogueCallback(on_gc_end);
  recording = false;
}

}  // namespace

Napi::Value RecordGcPauses(const Napi::CallbackInfo& info) {
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  stop(isolate);
  pauses.clear();
  pauses.reserve(2 * kMaxPauses);
  isolate->AddGCPrologueCallback(on_gc_start);
  isolate->AddGCEpilogueCallback(on_gc_end);
  recording = true;
  return info.Env().Undefined();
}

Napi::Value TakeGcPauses(const Napi::CallbackInfo& info) {
  stop(v8::Isolate::GetCurrent());
  const size_t whole = pauses.size() / 2 * 2;  // a pause still open is dropped
  Napi::Float64Array out = Napi::Float64Array::New(info.Env(), whole);
  for (size_t i = 0; i < whole; ++i) out[i] = static_cast<double>(pauses[i]);
  pauses.clear();
  return out;
}

}  // namespace tophash::hooks
