// Benchmark W10's cold reads: dropping a file's pages from the OS page cache
// (posix_fadvise DONTNEED, which needs no privileges for clean pages of a
// file nobody maps), so the next read of it comes from the disk.
#pragma once
#include <napi.h>

namespace tophash::hooks {

// dropPageCache(path: string) -> the fraction of the file's pages still
// resident afterwards (mincore), 0 when every page was dropped.
Napi::Value DropPageCache(const Napi::CallbackInfo& info);

}  // namespace tophash::hooks
