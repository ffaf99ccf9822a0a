// memoryFloor(): the machine's random-read floor for benchmark W8 (see
// bench/workloads/w8.ts). Not part of the map API.
#pragma once
#include <napi.h>

namespace tophash::addon {

// memoryFloor({ bytes?, hugePages?, reads?, streams?, chaseSteps? }) ->
//   { bytes, hugePages, thpBytes, streams, reads, nsPerRead, chaseSteps, nsPerStep, touchMs,
//     permutationMs, totalMs }
// nsPerRead / nsPerStep are -1 when reads / chaseSteps is 0; thpBytes is -1 where smaps is unreadable.
// Synchronous: it is a benchmark and blocks the thread for its whole run.
Napi::Value MemoryFloor(const Napi::CallbackInfo& info);

}  // namespace tophash::addon
