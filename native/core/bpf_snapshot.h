// A BpfMap's snapshot (docs/FORMAT.md, key kind 3): its table's bucket
// arrays as U64Map's are written (each slot's value a u32 record index),
// then a 'records' section: the record pool's state and records
// [0, handed out) byte for byte. A loaded map is then the saved one, not a
// copy of its entries: the same buckets (so the same iteration order and
// growth points), the same free list and CLOCK hand and reference bytes (so
// the same E2BIG and the same LRU victims).
//
// Every index in the file is checked before the map is handed out: each
// slot's record is below the records handed out and no other slot's, the
// free list visits the rest exactly once, each key sits in the bucket its
// hash picks (with its tag), and an lru_hash record's key copy is its slot's
// key. A file that passes is a map the engine itself could have built.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/bpf_map.h"
#include "core/record_pool.h"
#include "core/snapshot_errors.h"
#include "core/snapshot_format.h"
#include "core/snapshot_reader.h"
#include "core/snapshot_sections.h"
#include "core/table_snapshot.h"

namespace tophash::core {

// The first 64 bytes of the records section.
struct BpfPoolState {
  uint32_t free_head;  // first free record, RecordPool::kNil for none
  uint32_t hand;  // the CLOCK hand (lru_hash)
  uint64_t evictions;
  uint64_t reserved[6];
};
static_assert(sizeof(BpfPoolState) == kSnapshotAlign, "FORMAT.md: a 64-byte pool state");

// The map a snapshot holds, from its header's parameters:
//   params[0]  type (0 hash, 1 lru_hash)
//   params[1]  keySize | valueSize << 32
//   params[2]  maxEntries
//   params[3]  records handed out (written in the records section)
struct BpfSnapshotShape {
  BpfType type;
  size_t key_size;
  size_t value_size;
  uint64_t max_entries;
  uint32_t handed_out;
};

// The header's BpfMap fields checked (kind, sizes, counts): what picks the
// engine. Throws SnapshotError.
BpfSnapshotShape read_bpf_shape(const SnapshotHeader& h);
// read_bpf_shape of the file at path (its header and section table checked).
BpfSnapshotShape read_bpf_file_shape(const std::string& path);

template <class T>
void write_bpf_snapshot(SnapshotSink& sink, T& t, const RecordPool& pool,
                        const BpfSnapshotShape& shape, uint64_t evictions) {
  constexpr uint32_t kSections = 3;
  TableSnapshot::finish_growth(t);
  SectionWriter w(sink, begin_snapshot(sink, kSections));
  SnapshotSectionEntry sections[kSections];
  std::vector<uint8_t> no_keys;
  const uint64_t overflow = write_bucket_sections(w, t, no_keys, sections);
  w.pad();
  w.begin();
  BpfPoolState state{};
  state.free_head = pool.free_head();
  state.hand = pool.hand();
  state.evictions = evictions;
  w.put(&state, sizeof state);
  for (uint32_t i = 0, n = pool.handed_out(); i < n;) {
    uint32_t run = pool.run_from(i);
    if (run > n - i) run = n - i;
    w.put(pool.at(i), size_t{run} * pool.stride());
    i += run;
  }
  sections[2] = w.end(SnapshotSection::kRecords);
  SnapshotHeader h = table_header(t, overflow, kSections);
  h.params[0] = shape.type == BpfType::kHash ? 0 : 1;
  h.params[1] = shape.key_size | uint64_t{shape.value_size} << 32;
  h.params[2] = shape.max_entries;
  h.params[3] = pool.handed_out();
  seal_snapshot(sink, h, sections);
}

namespace bpf_snapshot_detail {

// Overflow link words of buckets [first, first + n) become pointers, each
// overflow bucket linked at most once (so no chain loops).
template <class Bucket>
void link(Bucket* first, uint64_t n, Bucket* overflow, uint64_t noverflow,
          std::vector<uint8_t>& linked) {
  for (Bucket* b = first; b != first + n; ++b) {
    uint64_t to;
    std::memcpy(&to, reinterpret_cast<const uint8_t*>(b) + offsetof(Bucket, overflow), sizeof to);
    if (to == 0) {
      b->overflow = nullptr;
      continue;
    }
    if (to > noverflow || linked[to - 1] != 0) {
      snapshot_fail(
          kSnapshotCorrupt,
          "The snapshot links to overflow bucket " + snapshot_num(to - 1) +
              (to > noverflow ? ", past the " + snapshot_num(noverflow) : ", already linked") +
              " (from the bucket arrays' link words)");
    }
    linked[to - 1] = 1;
    b->overflow = overflow + (to - 1);
  }
}

// Marks record r as `what`'s, refusing one out of range or taken already.
inline void claim(std::vector<uint8_t>& owned, uint64_t r, const std::string& what) {
  if (r >= owned.size() || owned[r] != 0) {
    snapshot_fail(kSnapshotCorrupt,
                  "The snapshot's " + what + " names record " + snapshot_num(r) +
                      (r >= owned.size() ? ", past the " + snapshot_num(owned.size()) + " written"
                                         : ", which another slot or the free list holds"));
  }
  owned[r] = 1;
}

}  // namespace bpf_snapshot_detail

// Reads the sections of a BpfMap snapshot (header and layout checked by the
// caller against `shape`) into t and pool, both new, and checks every index
// (see the top of this file). key_size: the map's keySize; value_stride:
// where an lru_hash record's key copy starts.
template <class T>
void read_bpf_sections(SnapshotSource& src, const SnapshotLayout& layout,
                       const BpfSnapshotShape& shape, T& t, RecordPool& pool, size_t value_stride,
                       uint64_t* evictions) {
  using Bucket = TableSnapshot::BucketOf<T>;
  using Key = typename T::Key;
  namespace d = bpf_snapshot_detail;
  const SnapshotHeader& h = layout.header;
  const SnapshotSectionEntry* s = layout.sections;
  if (h.bucket_size != sizeof(Bucket)) {
    snapshot_fail(kSnapshotKind, "The snapshot's buckets are " + snapshot_num(h.bucket_size) +
                                     " bytes (offset 28); this build's are " +
                                     snapshot_num(sizeof(Bucket)));
  }
  const uint64_t nbuckets = uint64_t{1} << h.B;
  if (h.overflow > UINT64_MAX / sizeof(Bucket) ||
      h.count > (nbuckets + h.overflow) * kBucketSlots) {
    snapshot_fail(kSnapshotCorrupt, "The snapshot declares " + snapshot_num(h.count) +
                                        " entries in " + snapshot_num(nbuckets) + " buckets and " +
                                        snapshot_num(h.overflow) + " overflow buckets");
  }
  const SnapshotSection kinds[3] = {SnapshotSection::kBuckets, SnapshotSection::kOverflow,
                                    SnapshotSection::kRecords};
  const uint64_t lengths[3] = {nbuckets * sizeof(Bucket), h.overflow * sizeof(Bucket),
                               sizeof(BpfPoolState) + uint64_t{shape.handed_out} * pool.stride()};
  check_section_layout(h, s, src.size(), {kinds, lengths, 3, "BpfMap"});

  // Three table entries end at byte 224: the padding to the first section
  // is checked like the padding between sections.
  verify_padding(src, kSnapshotHeaderBytes + 3 * kSnapshotSectionBytes, s[0].offset);
  Bucket* primary = TableSnapshot::replace_array(t, h.B);
  read_checked_section(src, s[0], primary);
  verify_padding(src, s[0].offset + s[0].length, s[1].offset);
  Bucket* overflow = TableSnapshot::add_overflow(t, h.overflow);
  if (h.overflow != 0) read_checked_section(src, s[1], overflow);
  verify_padding(src, s[1].offset + s[1].length, s[2].offset);

  BpfPoolState state;
  src.read(s[2].offset, &state, sizeof state);
  uint32_t crc = hash::crc32c(0, &state, sizeof state);
  pool.restore(shape.handed_out, RecordPool::kNil, static_cast<uint32_t>(h.count), 0);
  for (uint32_t i = 0, n = shape.handed_out; i < n;) {
    uint32_t run = pool.run_from(i);
    if (run > n - i) run = n - i;
    const size_t bytes = size_t{run} * pool.stride();
    src.read(s[2].offset + sizeof state + uint64_t{i} * pool.stride(), pool.at(i), bytes);
    crc = hash::crc32c(crc, pool.at(i), bytes);
    i += run;
  }
  check_section_checksum(s[2], crc);
  for (uint64_t r : state.reserved) {
    if (r != 0) {
      snapshot_fail(kSnapshotCorrupt, "The snapshot's pool state (at offset " +
                                          snapshot_num(s[2].offset) +
                                          ") has non-zero reserved fields");
    }
  }

  std::vector<uint8_t> linked(static_cast<size_t>(h.overflow), 0);
  d::link(primary, nbuckets, overflow, h.overflow, linked);
  d::link(overflow, h.overflow, overflow, h.overflow, linked);
  std::vector<uint8_t> owned(shape.handed_out, 0);
  const bool lru = shape.type == BpfType::kLruHash;
  uint64_t live = 0, reached = 0;
  for (uint64_t i = 0; i < nbuckets; ++i) {
    bool rest = false;
    for (const Bucket* b = primary + i; b != nullptr; b = b->overflow) {
      reached += b != primary + i;
      for (int slot = 0; slot < kBucketSlots; ++slot) {
        const uint8_t top = b->tophash[slot];
        const std::string where = "bucket chain " + snapshot_num(i) + " slot " + snapshot_num(slot);
        if (is_evacuated_top(top) || (rest && top >= kMinTopHash)) {
          snapshot_fail(kSnapshotCorrupt, "The snapshot's " + where +
                                              " is live after an empty-rest slot or "
                                              "holds an evacuation mark");
        }
        rest = rest || top == kEmptyRest;
        if (top < kMinTopHash) continue;
        ++live;
        const Key& k = b->keys[slot];
        const uint64_t hash = t.hash(k);
        bool padded = true;
        for (size_t j = shape.key_size; j < sizeof k.b; ++j) padded = padded && k.b[j] == 0;
        // A lookup must find this very slot: in its hash's bucket, with its
        // tag, and no copy of the key earlier in the chain.
        if (!padded || (hash & (nbuckets - 1)) != i || tophash_of(hash) != top ||
            t.find(k, hash) != &b->values[slot]) {
          snapshot_fail(kSnapshotCorrupt, "The snapshot's " + where +
                                              " holds a key a lookup would not find there "
                                              "(its hash, its padding or a copy disagrees)");
        }
        d::claim(owned, b->values[slot], where);
        if (lru && std::memcmp(pool.at(b->values[slot]) + value_stride, k.b, sizeof k.b) != 0) {
          snapshot_fail(kSnapshotCorrupt, "The snapshot's record " + snapshot_num(b->values[slot]) +
                                              " (for " + where +
                                              ") holds another key than its slot");
        }
      }
    }
  }
  if (reached != h.overflow || live != h.count) {
    snapshot_fail(kSnapshotCorrupt, "The snapshot's chains reach " + snapshot_num(reached) +
                                        " of " + snapshot_num(h.overflow) +
                                        " overflow buckets and hold " + snapshot_num(live) +
                                        " entries; its header counts " + snapshot_num(h.count));
  }
  uint64_t free = 0;
  for (uint32_t r = state.free_head; r != RecordPool::kNil; ++free) {
    d::claim(owned, r, "free list");
    std::memcpy(&r, pool.at(r), sizeof r);
  }
  if (live + free != shape.handed_out || state.hand > shape.handed_out) {
    snapshot_fail(kSnapshotCorrupt,
                  "The snapshot's pool hands out " + snapshot_num(shape.handed_out) +
                      " records but its table holds " + snapshot_num(live) + " and its free list " +
                      snapshot_num(free) + ", or its CLOCK hand " + snapshot_num(state.hand) +
                      " is past them");
  }
  pool.restore(shape.handed_out, state.free_head, static_cast<uint32_t>(h.count), state.hand);
  TableSnapshot::set_count(t, h.count);
  *evictions = state.evictions;
}

}  // namespace tophash::core
