#include "core/zeroed_memory.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#define TOPHASH_HAVE_MMAP 1
#endif

namespace tophash::core {

namespace {
// Below this, calloc's free lists beat a system call per allocation. Not
// higher: a big table's overflow chunks (1/512 of its array, 147 KiB at
// 2^19 buckets) used to come from calloc, and when a doubling retired them
// the last free() let glibc trim the heap top they had all coalesced into:
// 0.8-0.9 ms inside one insert, the slowest set of W7. From mmap they go
// back a page range at a time through the graveyard's budget.
constexpr size_t kMmapThreshold = 64 * 1024;

// glibc returns freed heap memory to the OS only from the top of the heap:
// the small arrays of 10,000 dropped maps sit between other allocations,
// and measured RSS stayed at its peak (535 MB for 470 MB of freed arrays)
// after every map was closed. malloc_trim(0) also releases free pages in the
// middle of the heap; it walks every arena, so it runs once per 32 MiB of
// calloc'd memory freed, not per free (thread-safe: maps free on libuv
// threads too).
constexpr size_t kTrimEvery = 32u << 20;
std::atomic<size_t> freed_since_trim{0};

void note_heap_free(size_t bytes) {
#if defined(__GLIBC__)
  if (freed_since_trim.fetch_add(bytes, std::memory_order_relaxed) + bytes < kTrimEvery) return;
  freed_since_trim.store(0, std::memory_order_relaxed);
  malloc_trim(0);
#else
  (void)bytes;
#endif
}
}  // namespace

#if TOPHASH_HAVE_MMAP
namespace {
// A huge page backs only a 2 MiB-aligned range: map one more huge page than
// needed and cut the slack from both ends, so the block is aligned and
// munmap(p, bytes) later frees exactly it.
void* huge_page_block(size_t bytes) {
  const size_t length = zeroed_paged_size(bytes);
  const size_t padded = length + kHugePageBytes;
  void* raw = mmap(nullptr, padded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  const auto start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (start + kHugePageBytes - 1) & ~(uintptr_t{kHugePageBytes} - 1);
  if (aligned > start) munmap(raw, aligned - start);
  const uintptr_t end = aligned + length;
  if (start + padded > end) munmap(reinterpret_cast<void*>(end), start + padded - end);
  auto* p = reinterpret_cast<void*>(aligned);
#ifdef MADV_HUGEPAGE
  madvise(p, length, MADV_HUGEPAGE);  // advice only: without THP it is refused, harmlessly
#endif
  return p;
}
}  // namespace
#endif

void* zeroed_alloc(size_t bytes, bool huge_pages) {
#if TOPHASH_HAVE_MMAP
  if (huge_pages && bytes >= kHugePageBytes) return huge_page_block(bytes);
  if (bytes >= kMmapThreshold) {
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return nullptr;
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
  note_heap_free(bytes);
}

bool zeroed_is_paged(size_t bytes) {
#if TOPHASH_HAVE_MMAP
  return bytes >= kMmapThreshold;
#else
  (void)bytes;
  return false;
#endif
}

namespace {
constexpr size_t kPage = 4096;  // munmap rounds lengths up to the real page size anyway
}  // namespace

size_t zeroed_paged_size(size_t bytes) { return (bytes + kPage - 1) / kPage * kPage; }

void zeroed_free_pages(void* p, size_t bytes) {
#if TOPHASH_HAVE_MMAP
  munmap(p, bytes);
#else
  (void)p;
  (void)bytes;
#endif
}

void Graveyard::bury(void* p, size_t bytes) {
  if (p == nullptr) return;
  const bool paged = zeroed_is_paged(bytes);
  const size_t size = paged ? zeroed_paged_size(bytes) : bytes;
  try {
    blocks_.push_back(Block{static_cast<char*>(p), size, paged});
  } catch (const std::bad_alloc&) {
    // The table retires an array half-way through a write and cannot undo
    // it: pay for the free now rather than fail.
    zeroed_free(p, bytes);
    return;
  }
  bytes_ += size;
}

void Graveyard::release(size_t budget) {
  while (!blocks_.empty() && budget > 0) {
    Block& b = blocks_.back();
    if (!b.paged) {  // calloc'd: small, all at once
      std::free(b.p);
      note_heap_free(b.bytes);
      bytes_ -= b.bytes;
      budget = budget > b.bytes ? budget - b.bytes : 0;
      blocks_.pop_back();
      continue;
    }
    // Unmap whole pages from the end of the block.
    const size_t take = std::min(b.bytes, budget / kPage * kPage);
    if (take == 0) break;
    zeroed_free_pages(b.p + (b.bytes - take), take);
    b.bytes -= take;
    bytes_ -= take;
    budget -= take;
    if (b.bytes == 0) blocks_.pop_back();
  }
}

}  // namespace tophash::core
