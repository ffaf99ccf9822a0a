// How big a table may be and still count as cache-resident for batch
// lookups (batch_pipeline.h): 3/4 of this CPU's L2 cache, as the C library
// reports it, or 256 KiB where it does not.
#include <unistd.h>

#include <atomic>
#include <cstddef>

#include "core/batch_pipeline.h"

namespace tophash::core::batch {

namespace {
size_t from_cpu() {
#ifdef _SC_LEVEL2_CACHE_SIZE
  const long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
  if (l2 > 0) return static_cast<size_t>(l2) / 4 * 3;
#endif
  return size_t{256} * 1024;
}

std::atomic<size_t> resident_bytes{from_cpu()};
}  // namespace

size_t cache_resident_bytes() { return resident_bytes.load(std::memory_order_relaxed); }
void set_cache_resident_bytes(size_t bytes) {
  resident_bytes.store(bytes, std::memory_order_relaxed);
}

}  // namespace tophash::core::batch
