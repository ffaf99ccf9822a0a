#include "core/snapshot_reader.h"

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <vector>

#include "core/snapshot_file.h"
#include "core/sliced_read.h"
#include "core/snapshot_keys.h"
#include "core/table_snapshot.h"
#include "cpu/cpu_registry.h"
#include "hash/crc32c.h"

namespace tophash::core {
namespace {

[[noreturn]] void fail(const char* code, const std::string& message) {
  throw SnapshotError(code, message);
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}
std::string num(uint64_t v) { return std::to_string(v); }

const char* section_name(uint32_t kind) {
  switch (static_cast<SnapshotSection>(kind)) {
    case SnapshotSection::kBuckets: return "buckets";
    case SnapshotSection::kOverflow: return "overflow";
    case SnapshotSection::kKeys: return "keys";
    case SnapshotSection::kRecords: return "records";
    case SnapshotSection::kOptions: return "options";
    case SnapshotSection::kEntries: return "entries";
  }
  return "unknown";
}

const char* family_name(uint32_t family) {
  return family == static_cast<uint32_t>(hash::Family::kAes) ? "aes" : "fold";
}

// Magic, byte order and version: what a file is, before anything else is read.
void check_identity(const SnapshotHeader& h) {
  if (std::memcmp(h.magic, kSnapshotMagic, sizeof h.magic) != 0) {
    fail(kSnapshotNotSnapshot,
         "Not a tophash snapshot: bytes 0..7 are not the magic \"TOPHASH\\x1a\"");
  }
  if (h.endian != kSnapshotEndianMark) {
    if (h.endian == __builtin_bswap32(kSnapshotEndianMark)) {
      fail(kSnapshotEndian,
           "The snapshot was written on a host of the other byte order (endianness mark " +
               hex(h.endian) + " at offset 12); snapshots are not portable across byte orders");
    }
    fail(kSnapshotCorrupt, "The snapshot's endianness mark at offset 12 is " + hex(h.endian) +
                               ", neither byte order's");
  }
  if (h.version != kSnapshotVersion) {
    fail(kSnapshotVersionCode, "The snapshot has format version " + num(h.version) +
                                   " (offset 8); this build reads version " +
                                   num(kSnapshotVersion));
  }
}

// Fields every snapshot of a T must have, after the header checksum matched.
template <class T>
void check_shape(const SnapshotHeader& h) {
  using Bucket = TableSnapshot::BucketOf<T>;
  using Keys = SnapshotKeys<T>;
  if (h.key_kind != static_cast<uint32_t>(Keys::kKind)) {
    fail(kSnapshotKind, "The snapshot holds key kind " + num(h.key_kind) + " (offset 16), not a " +
                            Keys::kMapName + "'s (kind " + num(static_cast<uint32_t>(Keys::kKind)) +
                            ")");
  }
  if (h.key_size != sizeof(typename T::Key) || h.value_size != sizeof(double) ||
      h.bucket_size != sizeof(Bucket)) {
    fail(kSnapshotKind, "The snapshot's slots are key " + num(h.key_size) + " / value " +
                            num(h.value_size) + " / bucket " + num(h.bucket_size) +
                            " bytes (offsets 20..31); a " + Keys::kMapName + "'s are " +
                            num(sizeof(typename T::Key)) + " / 8 / " + num(sizeof(Bucket)));
  }
  if (h.hash_family > static_cast<uint32_t>(hash::Family::kFold)) {
    fail(kSnapshotHash, "The snapshot names hash family " + num(h.hash_family) +
                            " (offset 32), which this build does not know");
  }
  if (h.B > kMaxB) {
    fail(kSnapshotCorrupt, "The snapshot declares B = " + num(h.B) + " (offset 36); at most " +
                               num(kMaxB) + " is valid");
  }
  if (h.reserved0 != 0 || h.reserved1 != 0 || (!Keys::kArena && h.params[0] != 0) ||
      h.params[1] != 0 || h.params[2] != 0 || h.params[3] != 0) {
    fail(kSnapshotCorrupt, "The snapshot's reserved header fields (offsets 84..123) are not zero");
  }
  const uint64_t buckets = uint64_t{1} << h.B;
  // Both bounds keep the products below 2^64: buckets <= 2^56, overflow < 2^57.
  if (h.overflow > UINT64_MAX / sizeof(Bucket) || h.count > (buckets + h.overflow) * kBucketSlots) {
    fail(kSnapshotCorrupt, "The snapshot declares " + num(h.count) + " entries in " + num(buckets) +
                               " buckets and " + num(h.overflow) +
                               " overflow buckets (offsets 48..63)");
  }
}

// Bytes `kind` must have: 2^B or h.overflow buckets (B <= 56 and check_shape's
// bound on the overflow count keep the product within 64 bits), or the keys
// section's length, header parameter 0.
template <class T>
uint64_t expected_length(const SnapshotHeader& h, SnapshotSection kind) {
  if (kind == SnapshotSection::kKeys) return h.params[0];
  const uint64_t n = kind == SnapshotSection::kBuckets ? uint64_t{1} << h.B : h.overflow;
  return n * sizeof(TableSnapshot::BucketOf<T>);
}

// The section table of a version 1 snapshot is exactly buckets, overflow
// and (byte keys) keys, laid out back to back at the aligned offsets the
// writer uses, and the file ends with the last one: one canonical layout
// leaves no room for overlapping or dangling sections.
template <class T>
void check_sections(const SnapshotHeader& h, const SnapshotSectionEntry* s, uint64_t file_bytes) {
  const uint32_t n = SnapshotKeys<T>::kArena ? 3 : 2;
  const SnapshotSection order[3] = {SnapshotSection::kBuckets, SnapshotSection::kOverflow,
                                    SnapshotSection::kKeys};
  uint64_t lengths[3];
  for (uint32_t i = 0; i < n; ++i) lengths[i] = expected_length<T>(h, order[i]);
  check_section_layout(h, s, file_bytes, {order, lengths, n, SnapshotKeys<T>::kMapName});
}

void check_section_crc(const SnapshotSectionEntry& s, uint32_t crc) {
  if (crc != s.crc) {
    fail(kSnapshotCorrupt, "The snapshot's '" + std::string(section_name(s.kind)) +
                               "' section (bytes " + num(s.offset) + ".." +
                               num(s.offset + s.length) + ") fails its checksum: stored " +
                               hex(s.crc) + ", computed " + hex(crc));
  }
}

void read_section(SnapshotSource& src, const SnapshotSectionEntry& s, void* out) {
  src.read(s.offset, out, static_cast<size_t>(s.length));
  check_section_crc(s, hash::crc32c(0, out, static_cast<size_t>(s.length)));
}

// The bytes between two sections are zero: no byte of a snapshot escapes
// every check, so any bit flip is noticed.
void check_padding(SnapshotSource& src, uint64_t from, uint64_t to) {
  uint8_t pad[kSnapshotAlign];
  src.read(from, pad, static_cast<size_t>(to - from));
  for (uint64_t i = 0; i < to - from; ++i) {
    if (pad[i] != 0) {
      fail(kSnapshotCorrupt,
           "The snapshot's padding byte at offset " + num(from + i) + " is not zero");
    }
  }
}

// The file's two bucket arrays, once read.
template <class Bucket>
struct Arrays {
  Bucket* primary;
  uint64_t nprimary;
  Bucket* overflow;
  uint64_t noverflow;

  std::string name(const Bucket* b) const {
    if (b >= primary && b < primary + nprimary)
      return "bucket " + num(static_cast<uint64_t>(b - primary));
    return "overflow bucket " + num(static_cast<uint64_t>(b - overflow));
  }
};

// Turns bucket b's stored link into a pointer, refusing a link out of range
// or to an overflow bucket already linked (`linked` spans both arrays): with
// every overflow bucket linked at most once, no chain can loop back on
// itself.
template <class Bucket>
inline void link_bucket(const Arrays<Bucket>& a, Bucket* b, std::vector<uint8_t>& linked) {
  constexpr size_t kLinkAt = offsetof(Bucket, overflow);
  uint64_t link;
  std::memcpy(&link, reinterpret_cast<const uint8_t*>(b) + kLinkAt, sizeof link);
  if (link == 0) {
    b->overflow = nullptr;
    return;
  }
  if (link > a.noverflow) {
    fail(kSnapshotCorrupt, "The snapshot's " + a.name(b) + " links to overflow bucket " +
                               num(link - 1) + " of " + num(a.noverflow));
  }
  if (linked[link - 1] != 0) {
    fail(kSnapshotCorrupt, "The snapshot's " + a.name(b) + " links to overflow bucket " +
                               num(link - 1) + ", which another bucket links to as well");
  }
  linked[link - 1] = 1;
  b->overflow = a.overflow + (link - 1);
}

// Live slots and overflow buckets reached so far, which finish_chain_check
// compares with the header once every chain is walked.
struct ChainTally {
  uint64_t live = 0;
  uint64_t reached = 0;
};

// A bucket's eight tophash bytes are checked as one word (SWAR): the byte
// loop was a fifth of a load's time.
static_assert(kBucketSlots == 8, "one 64-bit word of tophash bytes per bucket");
constexpr uint64_t kEachByteLow = 0x0101010101010101u;
constexpr uint64_t kEachByteHigh = 0x8080808080808080u;

// The high bit of each byte of `word` that is at least k (1 <= k <= 0x80):
// no subtraction borrows across bytes, as every byte of word | kEachByteHigh
// is at least 0x80.
constexpr uint64_t bytes_at_least(uint64_t word, uint8_t k) {
  return (((word | kEachByteHigh) - kEachByteLow * k) | word) & kEachByteHigh;
}

// Walks the chain of primary bucket `head`: no evacuation marks (a snapshot
// is never mid-growth) and nothing live after a kEmptyRest.
template <class Bucket>
inline void check_chain(const Arrays<Bucket>& a, const Bucket* head, ChainTally& tally) {
  bool rest = false;
  for (const Bucket* b = head; b != nullptr; b = b->overflow) {
    if (b != head) ++tally.reached;
    uint64_t tops;
    std::memcpy(&tops, b->tophash, sizeof tops);
    const uint64_t live = bytes_at_least(tops, kMinTopHash);
    const uint64_t marks = bytes_at_least(tops, kEmptyOne + 1) & ~live;
    const uint64_t empty_rest = ~bytes_at_least(tops, kEmptyRest + 1) & kEachByteHigh;
    uint64_t live_after_rest = live;
    if (!rest) {
      // Live bytes above the bucket's first kEmptyRest byte.
      const int first_rest = empty_rest == 0 ? 64 : __builtin_ctzll(empty_rest) + 1;
      live_after_rest = first_rest >= 64 ? 0 : live & (~uint64_t{0} << first_rest);
    }
    const uint64_t bad = marks | live_after_rest;
    if (bad != 0) {
      const uint64_t slot = static_cast<uint64_t>(__builtin_ctzll(bad) / 8);
      const bool bad_mark = (marks >> (8 * slot + 7)) & 1;
      fail(kSnapshotCorrupt,
           "The snapshot's " + a.name(b) + " slot " + num(slot) +
               (bad_mark ? " holds an evacuation mark" : " is live after an empty-rest slot"));
    }
    rest = rest || empty_rest != 0;
    // The count of high bits, by multiplication: the build targets x86-64's
    // baseline, where __builtin_popcountll is a library call.
    tally.live += ((live >> 7) * kEachByteLow) >> 56;
  }
}

// Every overflow bucket reached, and the live slots add up to the header's count.
template <class Bucket>
void finish_chain_check(const Arrays<Bucket>& a, const ChainTally& tally, uint64_t count) {
  if (tally.reached != a.noverflow) {
    fail(kSnapshotCorrupt, "The snapshot has " + num(a.noverflow - tally.reached) +
                               " overflow buckets no chain reaches");
  }
  if (tally.live != count) {
    fail(kSnapshotCorrupt, "The snapshot's header counts " + num(count) +
                               " entries (offset 48) but its buckets hold " + num(tally.live));
  }
}

// Reads the primary bucket array a slice at a time and, while a slice is
// still in the cache, checksums it, links it and walks its chains (the
// overflow buckets are read and linked before). One pass over memory
// instead of four: the separate passes were half a load's time at 1e7
// entries. A structure error found before the whole section is checksummed
// is reported as the checksum's failure when the checksum fails too, so a
// bit flip reads the same whichever check meets it first.
template <class Bucket>
void read_primary_streamed(SnapshotSource& src, const SnapshotSectionEntry& s,
                           const Arrays<Bucket>& a, std::vector<uint8_t>& linked,
                           ChainTally& tally) {
  constexpr size_t kSliceBytes = ((size_t{256} << 10) / sizeof(Bucket)) * sizeof(Bucket);
  uint32_t crc = 0;
  uint64_t done = 0;
  try {
    read_in_slices(src, s.offset, reinterpret_cast<uint8_t*>(a.primary),
                   a.nprimary * sizeof(Bucket), kSliceBytes, [&](uint64_t at, size_t bytes) {
                     Bucket* slice = a.primary + at / sizeof(Bucket);
                     crc = hash::crc32c(crc, slice, bytes);
                     done += bytes / sizeof(Bucket);
                     // Each bucket linked, then its chain walked, while its lines are at hand.
                     for (Bucket* b = slice; b != slice + bytes / sizeof(Bucket); ++b) {
                       link_bucket(a, b, linked);
                       check_chain(a, b, tally);
                     }
                   });
  } catch (const SnapshotError&) {
    const size_t rest = static_cast<size_t>((a.nprimary - done) * sizeof(Bucket));
    src.read(s.offset + done * sizeof(Bucket), a.primary + done, rest);
    check_section_crc(s, hash::crc32c(crc, a.primary + done, rest));
    throw;
  }
  check_section_crc(s, crc);
}

// A long key's slot holds its offset in the keys section: the keys must
// follow one another from offset 0 in file order and fill the section
// exactly, each longer than a slot holds and no longer than a key may be.
// Then every offset becomes a pointer into `keys`, the table's arena.
template <class Bucket>
void attach_keys(const Arrays<Bucket>& a, uint8_t* keys, size_t n) {
  uint64_t next = 0;
  auto visit = [&](Bucket* b) {
    for (int i = 0; i < kBucketSlots; ++i) {
      if (b->tophash[i] < kMinTopHash) continue;
      ByteSlot& k = b->keys[i];
      const uint64_t len = static_cast<uint32_t>(k.hi);
      const uint64_t tag = k.hi >> 56;
      const std::string where = a.name(b) + " slot " + num(static_cast<uint64_t>(i));
      if (tag != kLongKeyTag) {
        if (tag > kInlineKeyBytes) {
          fail(kSnapshotCorrupt, "The snapshot's " + where + " holds a key of length " + num(tag) +
                                     " inline; a slot holds at most " + num(kInlineKeyBytes));
        }
        continue;
      }
      if (len <= kInlineKeyBytes || len > kMaxByteKeyLength || k.lo != next || len > n - next) {
        fail(kSnapshotCorrupt, "The snapshot's " + where + " names key bytes " + num(k.lo) + ".." +
                                   num(k.lo + len) + "; the next long key starts at " + num(next) +
                                   " of the " + num(n) + "-byte keys section");
      }
      k.lo = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(keys + next));
      next += len;
    }
  };
  for (uint64_t i = 0; i < a.nprimary; ++i) visit(a.primary + i);
  for (uint64_t i = 0; i < a.noverflow; ++i) visit(a.overflow + i);
  if (next != n) {
    fail(kSnapshotCorrupt,
         "The snapshot's keys section has " + num(n - next) + " bytes no slot refers to");
  }
}

}  // namespace

const hash::HashKernel* snapshot_hash_kernel(uint32_t family, const hash::HashKernel* forced) {
  if (forced != nullptr) {
    if (static_cast<uint32_t>(forced->family) != family) {
      fail(kSnapshotHash, std::string("The snapshot was hashed with the ") + family_name(family) +
                              " family; options.hash '" + forced->name + "' is of the " +
                              family_name(static_cast<uint32_t>(forced->family)) + " family");
    }
    return forced;
  }
  std::string ignored;
  const hash::HashKernel* dflt = cpu::select_hash("", &ignored);
  if (dflt != nullptr && static_cast<uint32_t>(dflt->family) == family) return dflt;
  for (const hash::HashKernel* k : cpu::hash_kernels()) {
    if (static_cast<uint32_t>(k->family) == family && cpu::supported(k->needs)) return k;
  }
  fail(kSnapshotHash,
       std::string("No hash kernel of the ") + family_name(family) + " family runs on this CPU");
}

SnapshotLayout read_snapshot_header(SnapshotSource& src) {
  const uint64_t file_bytes = src.size();
  SnapshotLayout layout;
  SnapshotHeader& h = layout.header;
  if (file_bytes < sizeof h) {
    fail(kSnapshotTruncated, "The snapshot is truncated: " + num(file_bytes) +
                                 " bytes, less than its " + num(sizeof h) + "-byte header");
  }
  src.read(0, &h, sizeof h);
  check_identity(h);
  if (h.section_count > kSnapshotMaxSections) {
    fail(kSnapshotCorrupt, "The snapshot lists " + num(h.section_count) +
                               " sections (offset 80); at most " + num(kSnapshotMaxSections) +
                               " are valid");
  }
  const uint64_t table_end =
      kSnapshotHeaderBytes + uint64_t{h.section_count} * kSnapshotSectionBytes;
  if (file_bytes < table_end) {
    fail(kSnapshotTruncated, "The snapshot is truncated: " + num(file_bytes) +
                                 " bytes, less than its header and section table (" +
                                 num(table_end) + ")");
  }
  SnapshotSectionEntry* sections = layout.sections;
  src.read(kSnapshotHeaderBytes, sections, h.section_count * kSnapshotSectionBytes);
  uint32_t crc = hash::crc32c(0, &h, offsetof(SnapshotHeader, header_crc));
  crc = hash::crc32c(crc, sections, h.section_count * kSnapshotSectionBytes);
  if (crc != h.header_crc) {
    fail(kSnapshotCorrupt, "The snapshot's header (bytes 0.." + num(table_end) +
                               ") fails its checksum: stored " + hex(h.header_crc) + ", computed " +
                               hex(crc));
  }
  return layout;
}

void check_section_layout(const SnapshotHeader& h, const SnapshotSectionEntry* s,
                          uint64_t file_bytes, const SectionPlan& want) {
  const uint32_t n = want.count;
  if (h.section_count != n) {
    fail(kSnapshotCorrupt, "The snapshot lists " + num(h.section_count) +
                               " sections (offset 80); a " + want.map_name + " snapshot has " +
                               num(n));
  }
  const SnapshotSection* order = want.kinds;
  uint64_t at = snapshot_align(kSnapshotHeaderBytes + n * kSnapshotSectionBytes);
  for (uint32_t i = 0; i < n; ++i) {
    const std::string where = "section " + num(static_cast<uint64_t>(i)) +
                              " (table entry at offset " +
                              num(kSnapshotHeaderBytes + i * kSnapshotSectionBytes) + ")";
    if (s[i].kind != static_cast<uint32_t>(order[i]) || s[i].reserved != 0) {
      fail(kSnapshotCorrupt, "The snapshot's " + where + " is of kind " + num(s[i].kind) +
                                 "; expected '" + section_name(static_cast<uint32_t>(order[i])) +
                                 "'");
    }
    if (s[i].length != want.lengths[i]) {
      fail(kSnapshotCorrupt, "The snapshot's '" + std::string(section_name(s[i].kind)) + "' " +
                                 where + " is " + num(s[i].length) +
                                 " bytes; its header's counts need " + num(want.lengths[i]));
    }
    if (s[i].offset != at) {
      fail(kSnapshotCorrupt, "The snapshot's '" + std::string(section_name(s[i].kind)) +
                                 "' section starts at offset " + num(s[i].offset) + "; expected " +
                                 num(at));
    }
    if (s[i].length > file_bytes || s[i].offset > file_bytes - s[i].length) {
      fail(kSnapshotTruncated, "The snapshot is truncated: its '" +
                                   std::string(section_name(s[i].kind)) + "' section needs bytes " +
                                   num(s[i].offset) + ".." + num(s[i].offset + s[i].length) +
                                   " but the file has " + num(file_bytes));
    }
    at = i + 1 < n ? snapshot_align(s[i].offset + s[i].length) : s[i].offset + s[i].length;
  }
  if (file_bytes != at) {
    fail(kSnapshotCorrupt, "The snapshot has " + num(file_bytes - at) +
                               " bytes after its last section (which ends at offset " + num(at) +
                               ")");
  }
}

namespace {

// Steps 1-4 of FORMAT.md: the header and section table, checked against
// each other and the file's length, before any section is read.
template <class T>
SnapshotLayout read_layout(SnapshotSource& src) {
  SnapshotLayout layout = read_snapshot_header(src);
  check_shape<T>(layout.header);
  check_sections<T>(layout.header, layout.sections, src.size());
  // A StrMap's three table entries end at byte 224, short of the first
  // section: that padding is zero too, so no byte escapes every check.
  check_padding(src, kSnapshotHeaderBytes + layout.header.section_count * kSnapshotSectionBytes,
                layout.sections[0].offset);
  return layout;
}

template <class T>
std::unique_ptr<T> read_snapshot(SnapshotSource& src, const simd::MatchKernel* match,
                                 const hash::HashKernel* hash) {
  const SnapshotLayout layout = read_layout<T>(src);
  const SnapshotHeader& h = layout.header;
  const SnapshotSectionEntry* sections = layout.sections;
  const hash::HashKernel* kernel = snapshot_hash_kernel(h.hash_family, hash);
  auto t = std::make_unique<T>(match, kernel, h.seed, 0);
  Arrays<TableSnapshot::BucketOf<T>> a{TableSnapshot::replace_array(*t, h.B), uint64_t{1} << h.B,
                                       nullptr, h.overflow};
  check_padding(src, sections[0].offset + sections[0].length, sections[1].offset);
  a.overflow = TableSnapshot::add_overflow(*t, h.overflow);
  if (h.overflow != 0) read_section(src, sections[1], a.overflow);
  std::vector<uint8_t> linked(static_cast<size_t>(h.overflow), 0);
  // The overflow buckets are linked before the primary section streams in,
  // so that each primary chain can be walked as soon as its bucket is read.
  for (auto* b = a.overflow; b != a.overflow + a.noverflow; ++b) link_bucket(a, b, linked);
  ChainTally tally;
  read_primary_streamed(src, sections[0], a, linked, tally);
  finish_chain_check(a, tally, h.count);
  if constexpr (SnapshotKeys<T>::kArena) {
    check_padding(src, sections[1].offset + sections[1].length, sections[2].offset);
    const size_t n = static_cast<size_t>(sections[2].length);
    uint8_t* keys = n == 0 ? nullptr : TableSnapshot::storage(*t).allocate(n);
    if (n != 0) read_section(src, sections[2], keys);
    attach_keys(a, keys, n);
  }
  TableSnapshot::set_count(*t, h.count);
  return t;
}

template <class T>
std::unique_ptr<T> load_snapshot(const std::string& path, const simd::MatchKernel* match,
                                 const hash::HashKernel* hash) {
  FileSource file(path);
  try {
    return read_snapshot<T>(file, match, hash);
  } catch (const SnapshotError& e) {
    throw SnapshotError(e.code(), std::string(e.what()) + " ('" + path + "')");
  }
}

}  // namespace

SnapshotLayout read_u64_layout(SnapshotSource& src) { return read_layout<U64Table>(src); }

void verify_section(SnapshotSource& src, const SnapshotSectionEntry& s, void* scratch,
                    size_t scratch_bytes) {
  uint32_t crc = 0;
  for (uint64_t at = 0; at < s.length;) {
    const size_t n =
        static_cast<size_t>(s.length - at < scratch_bytes ? s.length - at : scratch_bytes);
    src.read(s.offset + at, scratch, n);
    crc = hash::crc32c(crc, scratch, n);
    at += n;
  }
  check_section_crc(s, crc);
}

void verify_padding(SnapshotSource& src, uint64_t from, uint64_t to) {
  check_padding(src, from, to);
}

std::unique_ptr<U64Table> read_u64_snapshot(SnapshotSource& src, const simd::MatchKernel* match,
                                            const hash::HashKernel* hash) {
  return read_snapshot<U64Table>(src, match, hash);
}
std::unique_ptr<StrTable> read_str_snapshot(SnapshotSource& src, const simd::MatchKernel* match,
                                            const hash::HashKernel* hash) {
  return read_snapshot<StrTable>(src, match, hash);
}
std::unique_ptr<StrTable> load_str_snapshot(const std::string& path, const simd::MatchKernel* match,
                                            const hash::HashKernel* hash) {
  return load_snapshot<StrTable>(path, match, hash);
}

std::unique_ptr<U64Table> load_u64_snapshot(const std::string& path, const simd::MatchKernel* match,
                                            const hash::HashKernel* hash) {
  return load_snapshot<U64Table>(path, match, hash);
}

void read_checked_section(SnapshotSource& src, const SnapshotSectionEntry& s, void* out) {
  read_section(src, s, out);
}

void check_section_checksum(const SnapshotSectionEntry& s, uint32_t crc) {
  check_section_crc(s, crc);
}

}  // namespace tophash::core
