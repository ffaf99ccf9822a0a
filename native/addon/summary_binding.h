// The JavaScript face of core::SummaryWindows: one object per tophash/prom
// Summary, its series as slots, observations arriving as staged batches
// (src/metrics/summary-sketches.ts stages them; a crossing per value would
// cost more than the sketch update itself).
#pragma once
#include <napi.h>

#include <memory>

#include "addon/binding_args.h"
#include "core/summary_windows.h"

namespace tophash::addon {

class SummaryBinding : public Napi::ObjectWrap<SummaryBinding> {
 public:
  static Napi::Function Define(Napi::Env env);
  // new SummarySketches(periods, periodMs): periods >= 1, periodMs > 0 or Infinity.
  explicit SummaryBinding(const Napi::CallbackInfo& info);
  ~SummaryBinding() override;

 private:
  // open(now) -> slot
  Napi::Value Open(const Napi::CallbackInfo& info);
  // close(slot)
  Napi::Value Close(const Napi::CallbackInfo& info);
  // record(slots: Uint32Array, values: Float64Array, times: Float64Array | undefined, n)
  Napi::Value Record(const Napi::CallbackInfo& info);
  // quantiles(slot, now, qs: Float64Array, out: Float64Array) -> values in the window
  Napi::Value Quantiles(const Napi::CallbackInfo& info);
  // reset(slot)
  Napi::Value Reset(const Napi::CallbackInfo& info);
  // stats() -> { series, observations, buckets, bytes, relativeError }
  Napi::Value Stats(const Napi::CallbackInfo& info);

  uint32_t slot_arg(const Napi::Value& v);
  void report_memory(Napi::Env env);

  // Measuring the memory walks every series' sketches: after every kReportEvery-th batch only.
  static constexpr uint32_t kReportEvery = 64;
  uint32_t batches_ = 0;

  std::unique_ptr<core::SummaryWindows> windows_;
  ReportedMemory memory_;
};

}  // namespace tophash::addon
