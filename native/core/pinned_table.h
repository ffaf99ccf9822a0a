// A pinned BpfMap's table: a fixed-capacity hash table that lives entirely in
// one shared file (any path; under /dev/shm it is shared memory), so several
// processes map it and update and look up the same entries, as processes
// share a map pinned in bpffs.
//
// WHY NOT THE IN-PROCESS TABLE
//
// table.h's buckets hold pointers (overflow chains, key storage) and grow by
// reallocating; neither means anything in another process's mapping. Here
// every link is a u32 index into arrays at fixed offsets, and nothing ever
// grows: the file is sized for maxEntries when it is created, as the
// kernel's preallocated hash maps are.
//
// LAYOUT (integers in the creating host's byte order, checked on open)
//
//   header, kPinnedHeaderBytes:
//     [0, 128)  immutable, covered by a checksum: magic "tophashP", layout
//               version, endianness mark, ready word (the creator's last
//               store, outside the checksum), map type, key size, value
//               size, maxEntries, bucket count (a power of two >= maxEntries),
//               record stride, sizeof(pthread_mutex_t), hash family, seed,
//               the offsets of the bucket and record arrays, total size.
//     [128, 256) shared state: the record pool's lock and free-list head,
//               the CLOCK hand and the eviction count (lru_hash).
//   buckets, kPinnedBucketBytes each: a robust process-shared mutex, the
//     head record of its chain, the chain's length, and a one-entry journal
//     (operation, record) naming the record the lock holder is working on.
//   records, stride bytes each: next (chain or free list), owner (the bucket
//     the record belongs to, or free), the key's 64-bit hash, the CLOCK
//     reference byte, then the key and the value, each padded to 8 bytes.
//
// Keys are hashed with the map's hash kernel and seed over their keySize
// bytes; a chain compares the stored 64-bit hash before the key bytes, so a
// miss rarely touches a key. (table.h's SIMD tophash match needs 8-slot
// buckets with overflow chains allocated on demand; a fixed preallocated
// table with one record per entry does not have them, and a chain averages
// under one record at the load factor here.)
//
// LOCKING
//
// As in the kernel's htab, every operation takes the lock of the key's home
// bucket; lookups too, so a reader sees each value whole: per-key
// atomicity for values of any size (the kernel gives none for plain hash
// maps without BPF_F_LOCK; we choose to). The pool lock is taken only
// inside a bucket lock, and a bucket lock is only ever tried (never waited
// for) while another is held, so there is no lock-order cycle.
//
// A PROCESS THAT DIES HOLDING A LOCK
//
// The mutexes are PTHREAD_MUTEX_ROBUST: the next locker gets EOWNERDEAD and
// repairs the bucket from its journal before pthread_mutex_consistent. Every
// record not free is owned by exactly one bucket (record.owner), which the
// holder of that bucket's lock alone changes, and each step that moves a
// record is one aligned store, ordered (release) after the journal entry
// that names it:
//   insert: journal (insert, r); pop r from the pool (owner := bucket); write
//           hash, key, value; r.next := head; head := r (the commit).
//   delete: journal (delete, r); unlink r (one store, the commit); push r.
//   update of a present key: journal (write, r); copy the value; clear.
// Repair, idempotent (a repairer that dies is repaired in turn): if the
// journal names r and r is in the chain, keep it, unless the op was a
// write, whose value may be torn: then unlink r. A journal record that is
// not in the chain and still owned by this bucket goes back to the pool.
// Then the chain is recounted. So a death leaves every key either as it was
// or as the dying operation would have left it, except a key whose value
// was being overwritten, which is removed rather than seen half-written.
// The pool lock's repair rebuilds the free list from the owner words.
//
// EVERYTHING READ IS CHECKED
//
// The header is validated on open (check_pinned_header); every index read
// from the file afterwards (chain links, free list, journal) is checked
// against the array it indexes, and every chain walk is bounded by
// maxEntries, so a hostile file gives an error code or a wrong answer, never
// a read outside the mapping. check_pinned_table validates the whole
// structure when nothing else writes (tests, the fuzz target).
#pragma once
#include <pthread.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/bpf_map.h"
#include "core/coded_error.h"
#include "hash/hash.h"

namespace tophash::core {

inline constexpr uint32_t kPinnedLayoutVersion = 1;
inline constexpr size_t kPinnedHeaderBytes = 256;
inline constexpr size_t kPinnedBucketBytes = 64;

inline constexpr const char* kPinFormat = "ERR_PIN_FORMAT";
inline constexpr const char* kPinVersion = "ERR_PIN_VERSION";
inline constexpr const char* kPinEndian = "ERR_PIN_ENDIAN";
inline constexpr const char* kPinCorrupt = "ERR_PIN_CORRUPT";
inline constexpr const char* kPinTruncated = "ERR_PIN_TRUNCATED";
inline constexpr const char* kPinHash = "ERR_PIN_HASH";

// Why creating, opening or using a pinned map failed; `code` becomes err.code.
class PinError : public CodedFailure {
 public:
  using CodedFailure::CodedFailure;
};

// What a pinned file's header describes.
struct PinnedShape {
  BpfType type;
  uint32_t key_size;
  uint32_t value_size;
  uint32_t max_entries;
  uint32_t bucket_count;
  uint32_t record_stride;
  hash::Family family;
  uint64_t seed;
  uint64_t total_bytes;
};

// The shape a new pinned map of these sizes gets (PinError EINVAL when the
// file would not be addressable).
PinnedShape pinned_shape(BpfType type, size_t key_size, size_t value_size, uint64_t max_entries,
                         hash::Family family, uint64_t seed);
// Validates a header over bytes that may be anything (the fuzz target's
// entry point); file_bytes is the file's size. Throws PinError.
PinnedShape check_pinned_header(const uint8_t* bytes, size_t file_bytes);
// Lays out an empty table in `bytes` (total_bytes of them, zeroed): the
// header, every lock and the free list; ready is left 0.
void format_pinned_table(uint8_t* bytes, const PinnedShape& shape);
// The whole structure, when no process writes: every chain in range and
// acyclic, each record owned by the bucket whose chain holds it and hashed
// there, the free list exactly the free records. "" when sound.
std::string check_pinned_table(const uint8_t* bytes, const PinnedShape& shape);

// Test-only hook: a process started with TOPHASH_TEST_PIN_CRASH naming one
// of these points kills itself (SIGKILL) there, inside the critical section.
//   insert-linked   after linking a new record, before clearing the journal
//   insert-popped   after taking a record from the pool, before linking it
//   delete-unlinked after unlinking a record, before freeing it
//   write-value     halfway through overwriting a value
//   pool-pop        inside the pool lock, halfway through popping

class PinnedTable {
 public:
  // Creates `path` (O_EXCL, mode 0600) holding an empty table; PinError with
  // the errno name (EEXIST, ENOENT, ENOSPC...) on failure.
  static std::unique_ptr<PinnedTable> create(const std::string& path, const PinnedShape& shape,
                                             const hash::HashKernel* hash_kernel);
  // Opens an existing pinned file; hash_kernel must be of the file's family
  // (pick one with the family open_shape reports), else ERR_PIN_HASH.
  static std::unique_ptr<PinnedTable> open(const std::string& path,
                                           const hash::HashKernel* hash_kernel);
  // The header of the file at path, validated (for choosing kernels first).
  static PinnedShape read_shape(const std::string& path);
  // Unlinks path after checking it is a pinned map; maps that have it open
  // keep working on the (now nameless) storage.
  static void unpin(const std::string& path);
  ~PinnedTable();
  PinnedTable(const PinnedTable&) = delete;
  PinnedTable& operator=(const PinnedTable&) = delete;

  const PinnedShape& shape() const { return shape_; }
  const std::string& path() const { return path_; }
  const hash::HashKernel* hash_kernel() const { return hash_kernel_; }
  uint64_t size() const;
  uint64_t evictions() const;
  const uint8_t* base() const { return base_; }

  // Copies the value to out (value_size bytes); false when absent. Counts as
  // use (lru_hash).
  bool lookup(const uint8_t* key, uint8_t* out);
  BpfStatus update(const uint8_t* key, const uint8_t* value, uint64_t flags);
  BpfStatus erase(const uint8_t* key);
  bool get_next_key(const uint8_t* key, uint8_t* next);
  // Buckets are the groups: cursor is a bucket index.
  BpfMap::BatchRead lookup_batch(uint64_t cursor, size_t max_count, bool and_delete,
                                 std::vector<uint8_t>* keys, std::vector<uint8_t>* values);

 private:
  PinnedTable(std::string path, uint8_t* base, const PinnedShape& shape,
              const hash::HashKernel* hash_kernel);
  struct Bucket;
  class Locked;
  Bucket* bucket(uint32_t i) const;
  uint8_t* record(uint32_t i) const;
  uint64_t hash(const uint8_t* key) const;
  uint32_t find(const Bucket* b, const uint8_t* key, uint64_t h) const;
  uint32_t take_record(uint32_t bucket_index);
  void free_record(uint32_t r);
  uint32_t evict(uint32_t held_bucket);
  void unlink(Bucket* b, uint32_t r);
  void repair_bucket(uint32_t bucket_index);
  void repair_pool();
  void lock_pool();
  void unlock_pool();

  std::string path_;
  uint8_t* base_;
  PinnedShape shape_;
  const hash::HashKernel* hash_kernel_;
  hash::Seed seed_;
  int crash_point_;
};

}  // namespace tophash::core
