// What a snapshot needs to know about each kind of table: its key kind, the
// sections after the bucket arrays, and how keys that point outside their
// slot (StrMap's long keys, in its arena) become file offsets and back.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/byte_keys.h"
#include "core/fixed_map.h"
#include "core/snapshot_format.h"
#include "core/str_map.h"
#include "core/table_snapshot.h"
#include "core/u64_map.h"

namespace tophash::core {

template <class T>
struct SnapshotKeys;

// u64 keys live wholly in their slots.
template <>
struct SnapshotKeys<U64Table> {
  static constexpr SnapshotKeyKind kKind = SnapshotKeyKind::kU64;
  static constexpr const char* kMapName = "U64Map";
  static constexpr bool kArena = false;
};

// Byte keys: a long key's slot holds a pointer into the array's arena. The
// file holds the live long keys back to back in a 'keys' section, in the
// order their slots appear in the file (buckets, then overflow), and each
// such slot's pointer word holds the key's offset in that section. Header
// parameter 0 is the section's length.
template <>
struct SnapshotKeys<StrTable> {
  static constexpr SnapshotKeyKind kKind = SnapshotKeyKind::kBytes;
  static constexpr const char* kMapName = "StrMap";
  static constexpr bool kArena = true;
  using Bucket = TableSnapshot::BucketOf<StrTable>;

  // Rewrites the long keys of b (a copy about to be written) as offsets
  // into `keys`, appending their bytes.
  static void encode(Bucket& b, std::vector<uint8_t>& keys) {
    for (int i = 0; i < kBucketSlots; ++i) {
      if (b.tophash[i] < kMinTopHash || !is_long_key(b.keys[i])) continue;
      const ByteView v = key_bytes(b.keys[i]);
      b.keys[i].lo = keys.size();
      keys.insert(keys.end(), v.data, v.data + v.len);
    }
  }
};

// A BpfMap's table: fixed-width keys wholly in their slots, and a u32
// record index as the value (the records go to a section of their own).
template <size_t N>
struct SnapshotKeys<Table<FixedKeyPolicy<N>, uint32_t>> {
  static constexpr SnapshotKeyKind kKind = SnapshotKeyKind::kBpf;
  static constexpr const char* kMapName = "BpfMap";
  static constexpr bool kArena = false;
};

}  // namespace tophash::core
