// Fixed-width byte keys of keySize bytes (1..256), eBPF's key_size: the
// engine under BpfMap. FixedMap gives them f64 values, which lets the table
// over these keys be tested on its own; what BpfMap adds is written down at
// the end of this comment.
//
// WHY SIZE CLASSES, NOT A RUNTIME STRIDE
//
// keySize is known only at run time, but the table's bucket is a C++ type
// (tophash[8] | Key[8] | Value[8] | overflow). Two ways to get there:
//
//   - a runtime-stride bucket: a second table whose slots are addressed by
//     computed offsets and compared with memcmp(keySize), duplicating the
//     growth, evacuation and iteration logic table.h has once, tested once;
//   - size classes (chosen here): keySize is rounded up to one of
//       8 16 24 32 48 64 96 128 192 256
//     and the key is stored zero-padded in a FixedKey<N> slot of the existing
//     Table. Stored keys and probes are padded alike, so a compare is N/8
//     branch-free word xors the compiler unrolls and vectorises, with no
//     length loop, and the hash runs over the N padded bytes: every class
//     ends on a length tier of both hash families (16/32/64/128 and the
//     128- or 64-byte chunks above), so a padded key never costs more to
//     hash than the raw one.
//
// The price is padding: up to 32 bytes at most 7 bytes a key (classes are
// multiples of 8 so the values behind the keys stay aligned), above that a
// slot is at most 1.5x the key (33 -> 48, 65 -> 96, 129 -> 192) where powers
// of two alone would cost up to 2x (33 -> 64). The common eBPF keys lose
// little: u32/u64 ids in 8, a 13-byte IPv4 5-tuple in 16, a 37-byte IPv6
// 5-tuple in 48. Ten classes are ten instantiations of the table and its
// batch pipeline (about 16 KB of code each at -O3); they live in
// fixed_map.cpp behind one virtual call per operation or per batch (the
// "dispatch once per batch, never per key" rule), so callers see one type.
// Measured at N = 1e6 (batches, avx2/aes): keySize 8 hits in ~42 ns, 13 and
// 16 (class 16) both ~53 ns: the padded 13-byte key costs nothing extra.
//
// WHAT BPFMAP ADDS ON TOP: core/bpf_map.h, which keeps this
// file's size classes and puts Table<FixedKeyPolicy<N>, uint32_t> over a
// record pool (core/record_pool.h) of valueSize-byte values:
//
//   1. values are u32 indices into a pool of maxEntries records, allocated in
//      chunks as entries arrive rather than all up front; E2BIG is "pool
//      empty", decided before the table is touched;
//   2. a new key is found, then assigned (two probes over the same lines)
//      instead of a find-or-insert hook, so the table's insert path stays the
//      one every map uses; Table::erase hands back the old index;
//   3. lookupBatch returns whole scan() groups, ENOSPC when the first does
//      not fit; 4. getNextKey resumes at Table::group_cursor(hash);
//   5. lru_hash keeps the key and a reference byte in the record and evicts
//      with a CLOCK hand over the pool instead of prev/next links (why: see
//      bpf_map.h).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>

#include "core/byte_keys.h"
#include "core/table.h"

namespace tophash::core {

inline constexpr size_t kMaxFixedKeySize = 256;
inline constexpr size_t kFixedKeyClasses[] = {8, 16, 24, 32, 48, 64, 96, 128, 192, 256};

// The size class keySize rounds up to; 0 if keySize is not in 1..256.
size_t fixed_key_class(size_t key_size);

template <size_t N>
using FixedTable = Table<FixedKeyPolicy<N>, double>;

class FixedMap {
 public:
  // key_size in 1..kMaxFixedKeySize, else std::invalid_argument. Kernels as
  // for U64Table; throws std::bad_alloc if the first array cannot be had.
  FixedMap(size_t key_size, const simd::MatchKernel* match, const hash::HashKernel* hash_kernel,
           uint64_t seed, uint64_t capacity_hint);
  ~FixedMap();
  FixedMap(FixedMap&&) noexcept;  // a moved-from map may only be destroyed or assigned
  FixedMap& operator=(FixedMap&&) noexcept;

  size_t key_size() const { return key_size_; }
  size_t key_class() const;  // the padded slot width
  uint64_t size() const;
  TableStats stats() const;
  uint64_t bytes() const;
  bool growing() const;
#ifdef TOPHASH_TABLE_CHECKS
  // The table's check_invariants() (core/table_debug.h); test builds only.
  std::string check_invariants() const;
#endif

  // key points at key_size() bytes.
  const double* find(const uint8_t* key) const;
  bool assign(const uint8_t* key, double value);  // true when new
  bool erase(const uint8_t* key);  // true when present
  void clear();

  // As Table::scan: visit(const uint8_t* key, double value), key_size() bytes.
  using VisitFn = void (*)(void* ctx, const uint8_t* key, double value);
  uint64_t scan(uint64_t cursor, VisitFn visit, void* ctx) const;
  template <class Visit>
  uint64_t scan(uint64_t cursor, Visit&& visit) const {
    using V = std::remove_reference_t<Visit>;
    return scan(
        cursor, [](void* c, const uint8_t* k, double v) { (*static_cast<V*>(c))(k, v); },
        const_cast<void*>(static_cast<const void*>(&visit)));
  }

  // Batches: keys packed back to back, count * key_size() bytes. As for
  // U64Table (core/u64_map.h).
  size_t get_batch(const uint8_t* keys, size_t count, double* out, uint8_t* found) const;
  size_t has_batch(const uint8_t* keys, size_t count, uint8_t* out) const;
  size_t set_batch(const uint8_t* keys, size_t count, const double* values);
  size_t delete_batch(const uint8_t* keys, size_t count);

  struct Impl;

 private:
  size_t key_size_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tophash::core
