// Prefetches the optimiser cannot delete. To GCC a prefetch has no side
// effect, so a function that only prefetches counts as const and its calls
// are dropped: g++ 12 at -O3 removed the overflow-chase stage of the u64
// batch lookups that way (clang kept it). The empty volatile asm naming the
// address is a side effect the compiler must keep, and the prefetch with it.
// Every prefetch in the engine goes through these two, and
// scripts/check-pipeline-stages.js checks the batch stages still hold one.
#pragma once

namespace tophash::core {

inline void prefetch_read(const void* p) {
  __builtin_prefetch(p, 0, 3);
  asm volatile("" : : "r"(p));
}

inline void prefetch_write(const void* p) {
  __builtin_prefetch(p, 1, 3);
  asm volatile("" : : "r"(p));
}

}  // namespace tophash::core
