// Reading a long section of a snapshot slice by slice, with the reads run
// ahead on a second thread.
//
// A load spends most of its time in the kernel: faulting in the fresh pages
// read(2) copies into and copying the file out of the page cache. The checks
// that follow each slice (checksum, links, chains) are a fifth of it and need
// the CPU, not the kernel. With the reads on their own thread, the kernel
// copies slice k + 1 while the caller checks slice k, so a long load costs
// about its reads alone. Short sections stay on the calling thread: a
// thread's start costs more than they would save.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>

#include "core/snapshot_format.h"

namespace tophash::core {

// Sections at least this long are read ahead on a second thread.
inline constexpr uint64_t kReadAheadFromBytes = uint64_t{4} << 20;

// Reads bytes [offset, offset + length) of src into dst in slices of
// slice_bytes (the last may be shorter) and calls visit(at, n) on the calling
// thread for each slice, in order, once its n bytes are at dst + at. Slices
// are read ahead on a second thread when length >= read_ahead_from. If visit
// throws, the reads stop and the exception propagates once the reader has
// stopped; if a read throws, its exception propagates in place of the visit
// of the slice it was reading. Either way dst may hold slices not yet
// visited.
void read_in_slices(SnapshotSource& src, uint64_t offset, uint8_t* dst, uint64_t length,
                    size_t slice_bytes, const std::function<void(uint64_t at, size_t n)>& visit,
                    uint64_t read_ahead_from = kReadAheadFromBytes);

}  // namespace tophash::core
