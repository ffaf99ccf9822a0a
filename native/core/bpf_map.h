// The engine under BpfMap: eBPF's BPF_MAP_TYPE_HASH and
// BPF_MAP_TYPE_LRU_HASH over the table of table.h, with keySize-byte keys
// (the size classes of fixed_map.h) and valueSize-byte values.
//
// VALUES LIVE IN A RECORD POOL, THE TABLE HOLDS THEIR INDEX
//
// The table's slot value is a u32 index into a RecordPool (record_pool.h) of
// maxEntries records of round_up(valueSize, 8) bytes: Table<FixedKeyPolicy<N>,
// uint32_t>. As in the kernel's preallocated hashtab, "full" is "no free
// record", decided before the table is touched, so E2BIG leaves the map
// exactly as it was, and a record never moves when the table grows or
// evacuates (slots do; records move only while the pool fits one chunk,
// on an insert). An update of a present key overwrites its record in
// place, so a full hash map still accepts updates of its keys.
//
// An update probes twice for a new key (find, then Table::assign): the
// second probe walks the lines the first has just loaded, and it keeps the
// table's insert path the one every map uses. Table::erase hands back the
// old index so delete frees the record without a second probe.
//
// LRU: CLOCK (SECOND CHANCE) OVER THE POOL
//
// An lru_hash record also holds a copy of its key (to erase the victim from
// the table) and the pool's reference byte (record_pool.h, CLOCK). lookup
// and update of a present key set it; a new key starts with it clear. So
// "fill, look up half, insert half again" keeps the looked-up half, as the
// kernel's LRU lists do. bpf_map_test.cpp measures the hit rate against an
// exact LRU on a skewed trace.
//
// ITERATION: GROUPS AND CURSORS
//
// lookup_batch walks Table::scan's bucket groups and returns whole groups:
// a group that does not fit in what is left of the batch ends it, and a first
// group that does not fit is ENOSPC with the caller's cursor still valid.
// Empty groups after the last full one are skipped within the same call, so
// the end is reported with the last entries whenever only empty groups
// remain. get_next_key starts at the group of the key's hash
// (Table::group_cursor), emits what follows the key in that group, then the
// next non-empty group. Batch reads do not count as use for LRU.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/table.h"

namespace tophash::core {

enum class BpfType { kHash, kLruHash };

class SnapshotSink;
class SnapshotSource;

// The update flags of bpf(2).
inline constexpr uint64_t kBpfAny = 0;
inline constexpr uint64_t kBpfNoExist = 1;
inline constexpr uint64_t kBpfExist = 2;

// Outcomes, numbered as the binding reports them to JavaScript.
enum class BpfStatus : int {
  kOk = 0,
  kExists = 1,  // EEXIST: BPF_NOEXIST and the key is present
  kNoEntry = 2,  // ENOENT: BPF_EXIST or delete and the key is absent
  kFull = 3,  // E2BIG: a new key into a full hash map
  kNoSpace = 4,  // ENOSPC: the first bucket group does not fit in the batch
  kNoMemory = 5,  // ENOMEM: memory ran out (the failing element is not applied)
};

inline constexpr size_t kMaxBpfValueSize = 65536;
inline constexpr uint64_t kMaxBpfEntries = uint64_t{1} << 31;

struct BpfStats {
  TableStats table;
  uint64_t records_bytes;  // allocated record chunks (included in table.bytes)
  uint64_t evictions;  // lru_hash only
};

class BpfMap {
 public:
  // key_size in 1..256, value_size in 1..kMaxBpfValueSize, max_entries in
  // 1..kMaxBpfEntries, else std::invalid_argument; std::bad_alloc if the
  // first bucket array cannot be had.
  BpfMap(BpfType type, size_t key_size, size_t value_size, uint64_t max_entries,
         const simd::MatchKernel* match, const hash::HashKernel* hash_kernel, uint64_t seed);
  ~BpfMap();
  BpfMap(const BpfMap&) = delete;
  BpfMap& operator=(const BpfMap&) = delete;

  BpfType type() const { return type_; }
  size_t key_size() const { return key_size_; }
  size_t value_size() const { return value_size_; }
  uint64_t max_entries() const { return max_entries_; }
  uint64_t size() const;
  uint64_t bytes() const;
  BpfStats stats() const;
  const char* match_name() const;
  const char* hash_name() const;
#ifdef TOPHASH_TABLE_CHECKS
  // core/table_debug.h's check of the table and its records; test builds only.
  std::string check_invariants() const;
#endif

  // Keys point at key_size() bytes, values at value_size() bytes.
  // The value, valid until the next write, or nullptr. Counts as use (LRU).
  const uint8_t* lookup(const uint8_t* key);
  // flags: kBpfAny, kBpfNoExist or kBpfExist (the binding checks them).
  BpfStatus update(const uint8_t* key, const uint8_t* value, uint64_t flags);
  BpfStatus erase(const uint8_t* key);
  // Writes the key after `key` (the first key when key is null or absent)
  // to next; false after the last key.
  bool get_next_key(const uint8_t* key, uint8_t* next) const;

  struct BatchRead {
    BpfStatus status;  // kOk, kNoSpace, or kNoMemory (and_delete only)
    size_t count;  // entries appended to keys/values
    uint64_t next;  // cursor of the next call, when !done
    bool done;
    size_t needed;  // kNoSpace: entries in the group that did not fit
  };
  // Appends up to max_count whole groups' entries, starting at cursor (0: the
  // beginning), to keys and values (packed); and_delete erases exactly them.
  BatchRead lookup_batch(uint64_t cursor, size_t max_count, bool and_delete,
                         std::vector<uint8_t>* keys, std::vector<uint8_t>* values);

  struct BatchWrite {
    BpfStatus status;  // of the first element that failed, else kOk
    size_t applied;  // elements applied before it
  };
  // Packed keys/values, applied in order, stopping at the first failure.
  BatchWrite update_batch(const uint8_t* keys, const uint8_t* values, size_t count, uint64_t flags);
  BatchWrite delete_batch(const uint8_t* keys, size_t count);

  // Moves the map to a new shared file at path (core/pinned_table.h): its
  // entries are copied and every later call works on the file, which other
  // processes may open. Throws PinError (EEXIST for a path in use, EINVAL
  // when already pinned); the map is unchanged by a throw.
  void pin(const std::string& path);
  // A map over the pinned file at path. forced_hash, when given, must be of
  // the file's hash family (ERR_PIN_HASH); null picks one. Throws PinError.
  static std::unique_ptr<BpfMap> open_pinned(const std::string& path,
                                             const hash::HashKernel* forced_hash);
  // The file the map is pinned at, or null.
  const std::string* pinned_path() const;

  // Writes the map's snapshot (core/bpf_snapshot.h) to sink, after finishing
  // a growth in progress. A pinned map throws SnapshotError (EINVAL): its
  // file already outlives the process, and other processes write it.
  void write_snapshot(SnapshotSink& sink);
  // write_snapshot into the file at path, crash-safely (core/snapshot_file.h).
  void save(const std::string& path);
  // The map a snapshot holds, every index checked. hash: a kernel of the
  // file's family, or null to pick one. Throws SnapshotError naming what is
  // wrong, or std::bad_alloc.
  static std::unique_ptr<BpfMap> read_snapshot(SnapshotSource& src, const simd::MatchKernel* match,
                                               const hash::HashKernel* hash);
  // read_snapshot from the file at path (named in error messages).
  static std::unique_ptr<BpfMap> load(const std::string& path, const simd::MatchKernel* match,
                                      const hash::HashKernel* hash);

  struct Impl;

 private:
  BpfMap(BpfType type, size_t key_size, size_t value_size, uint64_t max_entries,
         std::unique_ptr<Impl> impl);
  BpfType type_;
  size_t key_size_;
  size_t value_size_;
  uint64_t max_entries_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tophash::core
