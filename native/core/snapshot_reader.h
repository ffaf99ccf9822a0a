// Reading a map's snapshot back (core/snapshot_format.h). The file is
// untrusted: the header, the section table and every section's checksum are
// checked before the buckets are used, and the buckets' structure (overflow
// links, slot states, the entry count) before the table is handed out. What
// a checksum cannot vouch for is a file forged with correct checksums: it may
// place a key where lookups do not find it, but it cannot make the table
// read or write outside its own arrays.
#pragma once
#include <memory>
#include <string>

#include "core/snapshot_format.h"
#include "core/str_map.h"
#include "core/u64_map.h"

namespace tophash::core {

// The table in src (a U64Map or StrMap snapshot). match: the match kernel the table uses (any works).
// hash: the hash kernel the caller insists on, or nullptr for the process
// default when it belongs to the file's hash family, else the first
// supported kernel of that family. Throws SnapshotError naming what is wrong
// and where, or std::bad_alloc.
std::unique_ptr<U64Table> read_u64_snapshot(SnapshotSource& src, const simd::MatchKernel* match,
                                            const hash::HashKernel* hash);

std::unique_ptr<StrTable> read_str_snapshot(SnapshotSource& src, const simd::MatchKernel* match,
                                            const hash::HashKernel* hash);

// read_*_snapshot from the file at path.
std::unique_ptr<U64Table> load_u64_snapshot(const std::string& path, const simd::MatchKernel* match,
                                            const hash::HashKernel* hash);
std::unique_ptr<StrTable> load_str_snapshot(const std::string& path, const simd::MatchKernel* match,
                                            const hash::HashKernel* hash);

}  // namespace tophash::core
