#include "core/zeroed_memory.h"

#include <cstdlib>
#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#define TOPHASH_HAVE_MMAP 1
#endif

namespace tophash::core {

namespace {
// Below this, calloc's free lists beat a system call per allocation.
constexpr size_t kMmapThreshold = 256 * 1024;
}  // namespace

void* zeroed_alloc(size_t bytes) {
#if TOPHASH_HAVE_MMAP
  if (bytes >= kMmapThreshold) {
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return nullptr;
#ifdef MADV_HUGEPAGE
    // Lookups are random over the whole array: 2 MiB pages cut TLB misses.
    madvise(p, bytes, MADV_HUGEPAGE);
#endif
    return p;
  }
#endif
  return std::calloc(1, bytes);
}

void zeroed_free(void* p, size_t bytes) {
  if (p == nullptr) return;
#if TOPHASH_HAVE_MMAP
  if (bytes >= kMmapThreshold) {
    munmap(p, bytes);
    return;
  }
#endif
  std::free(p);
}

}  // namespace tophash::core
