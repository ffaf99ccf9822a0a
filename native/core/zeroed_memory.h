// Zero-filled allocations for bucket arrays.
//
// Large arrays come straight from mmap: the kernel hands out zero pages
// lazily, so doubling a 300 MB table costs a page fault per 4 KiB touched
// (spread over the writes that evacuate into it) instead of one 300 MB memset
// inside a single insert. Small arrays use calloc, which is cheaper there.
#pragma once
#include <cstddef>

namespace tophash::core {

// Returns nullptr on failure; the caller decides how to report it.
void* zeroed_alloc(size_t bytes);
void zeroed_free(void* p, size_t bytes);

}  // namespace tophash::core
