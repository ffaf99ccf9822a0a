#include "addon/summary_binding.h"

#include <cmath>
#include <cstdint>
#include <string>

#include "addon/errors.h"
#include "addon/typed_arrays.h"

namespace tophash::addon {

namespace {

// Memory changes smaller than this are not reported to V8.
constexpr int64_t kReportStep = 64 * 1024;
constexpr const char* kOutOfMemory = "Out of memory for a Summary's sketches";

double number_arg(const Napi::Value& v, const char* expected, const char* name) {
  if (!v.IsNumber()) throw_type(v.Env(), expected, name, describe(v));
  return v.As<Napi::Number>().DoubleValue();
}

double time_arg(const Napi::Value& v) {
  const double now = number_arg(v, "a finite number of milliseconds", "now");
  if (!std::isfinite(now))
    throw_range(v.Env(), "a finite number of milliseconds", "now", describe(v));
  return now;
}

// A typed array of `kind` with at least `n` elements.
template <class T>
T* array_arg(const Napi::Value& v, napi_typedarray_type kind, const char* kind_name, size_t n,
             const char* name) {
  TypedView view;
  if (!typed_view(v, &view) || view.type != kind) {
    throw_type(v.Env(), std::string("a ") + kind_name, name, describe(v));
  }
  if (view.length < n) {
    throw_range(v.Env(),
                std::string("a ") + kind_name + " of at least " + std::to_string(n) + " elements",
                name, "length " + std::to_string(view.length));
  }
  return static_cast<T*>(view.data);
}

}  // namespace

Napi::Function SummaryBinding::Define(Napi::Env env) {
  return DefineClass(env, "SummarySketches",
                     {InstanceMethod<&SummaryBinding::Open>("open"),
                      InstanceMethod<&SummaryBinding::Close>("close"),
                      InstanceMethod<&SummaryBinding::Record>("record"),
                      InstanceMethod<&SummaryBinding::Quantiles>("quantiles"),
                      InstanceMethod<&SummaryBinding::Reset>("reset"),
                      InstanceMethod<&SummaryBinding::Stats>("stats")});
}

SummaryBinding::SummaryBinding(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<SummaryBinding>(info) {
  Napi::Env env = info.Env();
  const double periods = number_arg(info[0], "a positive integer", "periods");
  if (!(periods >= 1 && periods <= UINT32_MAX && std::floor(periods) == periods)) {
    throw_range(env, "a positive integer", "periods", describe(info[0]));
  }
  const double period = number_arg(info[1], "a positive number or Infinity", "periodMs");
  if (!(period > 0))
    throw_range(env, "a positive number or Infinity", "periodMs", describe(info[1]));
  windows_ = std::make_unique<core::SummaryWindows>(static_cast<uint32_t>(periods), period);
  report_memory(env);
}

SummaryBinding::~SummaryBinding() { memory_.report(Env(), 0); }

void SummaryBinding::report_memory(Napi::Env env) {
  memory_.report(env, windows_->bytes(), kReportStep);
}

uint32_t SummaryBinding::slot_arg(const Napi::Value& v) {
  const double d = number_arg(v, "an open slot", "slot");
  if (!(d >= 0 && d <= UINT32_MAX && std::floor(d) == d) ||
      !windows_->is_open(static_cast<uint32_t>(d))) {
    throw_range(v.Env(), "an open slot", "slot", describe(v));
  }
  return static_cast<uint32_t>(d);
}

Napi::Value SummaryBinding::Open(const Napi::CallbackInfo& info) {
  const double now = time_arg(info[0]);
  const uint32_t slot = guard_alloc(info.Env(), kOutOfMemory, [&] { return windows_->open(now); });
  return Napi::Number::New(info.Env(), slot);
}

Napi::Value SummaryBinding::Close(const Napi::CallbackInfo& info) {
  windows_->close(slot_arg(info[0]));
  return info.Env().Undefined();
}

Napi::Value SummaryBinding::Record(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const double count = number_arg(info[3], "a count", "n");
  if (!(count >= 0 && count <= UINT32_MAX && std::floor(count) == count)) {
    throw_range(env, "a count", "n", describe(info[3]));
  }
  const auto n = static_cast<size_t>(count);
  const auto* slots = array_arg<uint32_t>(info[0], napi_uint32_array, "Uint32Array", n, "slots");
  const auto* values = array_arg<double>(info[1], napi_float64_array, "Float64Array", n, "values");
  const double* times = info[2].IsUndefined() ? nullptr
                                              : array_arg<double>(info[2], napi_float64_array,
                                                                  "Float64Array", n, "times");
  // Every element checked before any is counted: a bad batch changes nothing.
  for (size_t i = 0; i < n; ++i) {
    if (!windows_->is_open(slots[i]))
      throw_range(env, "an open slot", indexed("slots", i), std::to_string(slots[i]));
    if (!std::isfinite(values[i]))
      throw_range(env, "a finite number", indexed("values", i), std::to_string(values[i]));
    if (times != nullptr && !std::isfinite(times[i])) {
      throw_range(env, "a finite number of milliseconds", indexed("times", i),
                  std::to_string(times[i]));
    }
  }
  guard_alloc(env, kOutOfMemory, [&] { windows_->record(slots, values, times, n); });
  if (++batches_ % kReportEvery == 1) report_memory(env);
  return env.Undefined();
}

Napi::Value SummaryBinding::Quantiles(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint32_t slot = slot_arg(info[0]);
  const double now = time_arg(info[1]);
  TypedView qs;
  if (!typed_view(info[2], &qs) || qs.type != napi_float64_array) {
    throw_type(env, "a Float64Array", "qs", describe(info[2]));
  }
  double* out = array_arg<double>(info[3], napi_float64_array, "Float64Array", qs.length, "out");
  const uint64_t size = guard_alloc(env, kOutOfMemory, [&] {
    return windows_->quantiles(slot, now, static_cast<const double*>(qs.data), qs.length, out);
  });
  return Napi::Number::New(env, static_cast<double>(size));
}

Napi::Value SummaryBinding::Reset(const Napi::CallbackInfo& info) {
  windows_->at(slot_arg(info[0])).reset();
  return info.Env().Undefined();
}

Napi::Value SummaryBinding::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto o = Napi::Object::New(env);
  o.Set("series", static_cast<double>(windows_->series()));
  o.Set("observations", static_cast<double>(windows_->observations()));
  o.Set("buckets", static_cast<double>(windows_->buckets()));
  o.Set("bytes", static_cast<double>(windows_->bytes()));
  report_memory(env);
  o.Set("relativeError", core::QuantileSketch::kRelativeError);
  return o;
}

}  // namespace tophash::addon
