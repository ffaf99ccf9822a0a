// Zero-filled allocations for bucket arrays.
//
// Large arrays come straight from mmap: the kernel hands out zero pages
// lazily, so doubling a 300 MB table costs a page fault per 4 KiB touched
// (spread over the writes that evacuate into it) instead of one 300 MB memset
// inside a single insert. Small arrays use calloc, which is cheaper there.
//
// No MADV_HUGEPAGE by default: with the common THP setting (defrag=madvise)
// a fault on a madvised range may compact memory synchronously, and measured
// single inserts after a doubling then stalled for 1-17 ms (371 inserts over
// 1 ms while growing to 1e7, against 20 without the advice). A map created
// with hugePages asks for it (zeroed_alloc's huge_pages): a table much bigger
// than the TLB's reach then takes one TLB entry and one fault per 2 MiB
// instead of per 4 KiB, which is most of a random access's cost there.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tophash::core {

// Returns nullptr on failure; the caller decides how to report it.
// huge_pages: a block of at least kHugePageBytes is aligned to it and
// advised MADV_HUGEPAGE (where the system has transparent huge pages).
inline constexpr size_t kHugePageBytes = size_t{2} << 20;
void* zeroed_alloc(size_t bytes, bool huge_pages = false);
void zeroed_free(void* p, size_t bytes);

// Whether a zeroed_alloc(bytes) block is made of whole pages that can be
// handed back piecewise, and the page-rounded size of such a block.
bool zeroed_is_paged(size_t bytes);
size_t zeroed_paged_size(size_t bytes);
// Hands back [p, p + bytes) of a paged block; p and bytes page-aligned.
void zeroed_free_pages(void* p, size_t bytes);

// Blocks waiting to be freed a little at a time. Unmapping a 150 MB bucket
// array in one go takes ~20 ms (a page-table walk and a TLB shootdown), which
// would land inside the one insert that finishes an evacuation; instead each
// later write hands back at most kBudget bytes.
class Graveyard {
 public:
  static constexpr size_t kBudget = size_t{1} << 20;
  Graveyard() = default;
  Graveyard(const Graveyard&) = delete;
  Graveyard& operator=(const Graveyard&) = delete;
  ~Graveyard() { release_all(); }

  // Never throws: a block it cannot keep is freed at once.
  void bury(void* p, size_t bytes);
  // Frees up to kBudget bytes; cheap when empty.
  void release_some() {
    if (!blocks_.empty()) release(kBudget);
  }
  void release_all() { release(SIZE_MAX); }
  size_t bytes() const { return bytes_; }

 private:
  void release(size_t budget);
  struct Block {
    char* p;
    size_t bytes;
    bool paged;
  };
  std::vector<Block> blocks_;
  size_t bytes_ = 0;
};

}  // namespace tophash::core
