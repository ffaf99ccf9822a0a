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

// A snapshot's header and section table, checked (steps 1-4 of
// docs/FORMAT.md: identity, header checksum, shape, section layout against
// the file's length); no section has been read. The sections of a U64Map
// snapshot are [0] buckets and [1] overflow.
struct SnapshotLayout {
  SnapshotHeader header;
  SnapshotSectionEntry sections[kSnapshotMaxSections];
};
SnapshotLayout read_u64_layout(SnapshotSource& src);

// Steps 1 and 2 for any kind of snapshot: identity (magic, byte order,
// version), the section table within the file, and the header checksum.
// Nothing else in the header has been checked.
SnapshotLayout read_snapshot_header(SnapshotSource& src);

// Step 4 for any kind of snapshot: the sections a kind lists, in order, with
// the lengths its header's counts give.
struct SectionPlan {
  const SnapshotSection* kinds;
  const uint64_t* lengths;
  uint32_t count;
  const char* map_name;  // for messages: "a <map_name> snapshot has ..."
};
void check_section_layout(const SnapshotHeader& h, const SnapshotSectionEntry* s,
                          uint64_t file_bytes, const SectionPlan& want);

// Step 5 for one section read whole into out (its length in bytes), or
// checked piecewise: `crc` is the CRC32C of all its bytes.
void read_checked_section(SnapshotSource& src, const SnapshotSectionEntry& s, void* out);
void check_section_checksum(const SnapshotSectionEntry& s, uint32_t crc);

// The hash kernel for a snapshot of `family`: `forced` if it is of that
// family (else ERR_SNAPSHOT_HASH), the process default if it is, else the
// first supported kernel of the family.
const hash::HashKernel* snapshot_hash_kernel(uint32_t family, const hash::HashKernel* forced);

// Step 5 for one section: its CRC32C, read through `scratch` a piece at a
// time; and that the bytes [from, to) between two sections are zero.
void verify_section(SnapshotSource& src, const SnapshotSectionEntry& s, void* scratch,
                    size_t scratch_bytes);
void verify_padding(SnapshotSource& src, uint64_t from, uint64_t to);

// read_*_snapshot from the file at path.
std::unique_ptr<U64Table> load_u64_snapshot(const std::string& path, const simd::MatchKernel* match,
                                            const hash::HashKernel* hash);
std::unique_ptr<StrTable> load_str_snapshot(const std::string& path, const simd::MatchKernel* match,
                                            const hash::HashKernel* hash);

}  // namespace tophash::core
