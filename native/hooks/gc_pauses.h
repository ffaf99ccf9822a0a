// Benchmark W7's attribution of slow calls: the start and end of every V8
// garbage-collection pause while recording, on the clock
// process.hrtime.bigint() reads (CLOCK_MONOTONIC), so a timed call can be
// matched to the pauses inside it.
#pragma once
#include <napi.h>

namespace tophash::hooks {

// recordGcPauses() -> undefined: starts recording (forgetting earlier pauses).
Napi::Value RecordGcPauses(const Napi::CallbackInfo& info);
// takeGcPauses() -> Float64Array [start0, end0, start1, end1, ...] in
// nanoseconds: stops recording and returns the pauses since recordGcPauses().
Napi::Value TakeGcPauses(const Napi::CallbackInfo& info);

}  // namespace tophash::hooks
