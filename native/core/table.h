// tophash's table: Go's classic hash map (runtime/map.go, Go <= 1.23), in C++.
//
// LAYOUT
//
// A table is an array of 2^B buckets. A bucket holds 8 slots laid out as
//
//     tophash[8] | keys[8] | values[8] | overflow pointer
//
// rather than as 8 (key, value) pairs: the tophash bytes form one 64-bit
// control word that a single SIMD compare (or a SWAR trick) matches against a
// probe's tag, and the keys follow right behind, so a hit usually touches the
// control word's cache line and at most one more for the value. For u64 keys
// and f64 values a bucket is 8 + 64 + 64 + 8 = 144 bytes.
//
// A hash h picks bucket h & (2^B - 1) from its low bits and the tag from its
// top byte. Tags below kMinTopHash are reserved for slot states (see
// simd/match.h), so a real tag is bumped to at least kMinTopHash:
//
//     kEmptyRest   this slot and every later one, overflow buckets included, is empty
//     kEmptyOne    this slot is empty
//     kEvacuated*  the (old) bucket was moved to the new array during growth
//
// kEmptyRest is what lets a probe stop early: a lookup that has seen no match
// in a bucket whose last slot is kEmptyRest knows nothing follows. Delete
// keeps that invariant by turning a trailing run of kEmptyOne into kEmptyRest.
//
// When a bucket's 8 slots are full, an overflow bucket is chained to it.
// Overflow buckets come from the current array's pool, so no insert pays for
// a malloc of its own more than once per pool chunk.
//
// PROBE
//
// Lookup: hash, pick the bucket (the old one when the table is growing and the
// old bucket has not been evacuated yet), match the tag against the control
// word, compare the key of each matching slot, follow overflow links until a
// hit, a nil link, or a bucket ending in kEmptyRest. Insert walks the same
// chain, remembering the first free slot, and writes there if the key was
// not found. A deleted slot is kEmptyOne and is reused by the next insert that
// passes it.
//
// Batches (batch_pipeline.h, one pipeline for every key kind) split this
// into stages across a chunk of keys: hash them all, prefetch every bucket,
// match the control words of 4 or 8 different keys in one AVX2/AVX-512
// compare, prefetch the overflow bucket of each key the match sends on down
// its chain, then compare keys. The per-key miss latency overlaps instead of
// adding up, which is where the batch API earns its speed; wide SIMD inside
// one 8-byte control word would buy nothing.
//
// GROWTH, AND WHY 6.5
//
// The table doubles when an insert would push the average load past 6.5
// entries per bucket. Go picked 6.5 by measuring: at a lower load more memory
// sits empty, at a higher one chains get long. Go's table for 8-byte keys:
//
//     load  %overflow  bytes/entry  hitprobe  missprobe
//     6.00    18.55       12.94       3.00       6.00
//     6.50    20.90       10.79       3.25       6.50
//     7.00    23.34        9.20       3.50       7.00
//     8.00    27.36        5.78       4.00       8.00
//
// 6.5 is the knee: past it the share of buckets with an overflow chain grows
// faster than the memory saved. A table also grows *in place* ("same-size
// growth") when overflow buckets pile up: deletes leave long chains of mostly
// empty overflow buckets that a rebuild at the same size packs tight again.
//
// Growth is incremental. Starting it only allocates the new array (zero pages
// from mmap, so even that is cheap) and keeps the old one. Every later write
// first evacuates the old bucket its key maps to, then the next
// kEvacuatePerWrite (3) buckets not yet evacuated, so one write moves at most
// four old buckets (with their overflow chains) and no write pays for a whole
// rehash. An insert may pay twice: if its share finishes one growth and the
// table is then due for another (say inserts during a same-size growth
// pushed it past the load factor), it starts that one and does its share
// there too: eight old buckets at most. A third cannot follow, since a
// finished growth leaves the chains packed and the load under the limit. Old
// bucket i splits into new buckets i ("X") and i + 2^(B-1) ("Y") by the next
// hash bit; its tophash bytes are overwritten with kEvacuatedX/Y/Empty so
// readers know to look in the new array. When the last old bucket is moved
// the old array is freed.
//
// A batch write of many keys skips the doublings: reserve() sizes the table
// for everything the batch could add before the first key is written, so
// each key goes straight to its final bucket. One-at-a-time writes cannot
// know what follows and keep growing incrementally.
//
// ITERATION
//
// Go's iterator holds a pointer into the bucket array it started on and, if
// the map grows meanwhile, relies on the garbage collector to keep that old
// array alive. We have no collector, and JavaScript iterators may be
// abandoned without notice, so iteration here is a stateless cursor in
// reverse-binary order (the cursor Redis's SCAN uses). scan(cursor) emits
// every entry of one bucket *group* and returns the next cursor:
//
//   - not growing: the chain of bucket (cursor & mask);
//   - growing by doubling: old bucket p = cursor & oldmask if it is not yet
//     evacuated, else its two heirs p and p + 2^(B-1) in the new array;
//   - growing at the same size: old bucket p if not evacuated, else new p.
//
// The cursor is then incremented on its bit-reversed form over the mask in
// use. Because the table only ever doubles (clear() keeps B), a cursor taken
// at size 2^b still names the right set of buckets at any larger size, so
// every key present for the whole iteration is emitted exactly once, a key
// deleted before its group is reached is not emitted, and keys added during
// the iteration may or may not be: Go's guarantee, without pinning memory.
//
// BYTE KEYS AND ARENAS
//
// A slot holds a fixed-size Key. u64 and fixed-width byte keys live entirely
// in it; a variable-length byte key lives in it when short (up to 15 bytes in
// a 16-byte slot) and otherwise in an arena, with the slot holding a pointer,
// the length and a few hash bits (core/byte_keys.h). Such a policy declares a
// Storage type, and every bucket array owns one (the arena): a new key is
// stored into the current array's, an evacuated key is relocated into the new
// array's, and a deleted key is forgotten (its bytes become garbage, since the
// arena is append-only). When a growth starts, the new array's storage
// reserves exactly the live bytes of the old one, so evacuation never
// allocates; the old storage is freed with the old array. That is how a
// growth reclaims the space of deleted keys, and so an insert also starts a
// same-size growth when the garbage outweighs the live key bytes and half the
// bucket array: the rebuild then costs O(1) per garbage byte, amortised, and
// churn keeps memory within a small factor of the live data. stats().bytes
// counts the storage of both arrays.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/batch_scratch.h"
#include "core/zeroed_memory.h"
#include "hash/hash.h"
#include "simd/match.h"

namespace tophash::core {

using simd::kEmptyOne;
using simd::kEmptyRest;
using simd::kEvacuatedEmpty;
using simd::kEvacuatedX;
using simd::kEvacuatedY;
using simd::kMinTopHash;

inline constexpr int kBucketSlots = 8;
// Load factor 6.5 as the ratio Go uses: count > 13 * 2^B / 2.
inline constexpr uint64_t kLoadFactorNum = 13;
inline constexpr uint64_t kLoadFactorDen = 2;
// 2^56 buckets is beyond any address space: growth past it is refused
// (bad_alloc) long before a shift could overflow.
inline constexpr unsigned kMaxB = 56;
// Old buckets each write evacuates in order during growth, besides its own.
inline constexpr int kEvacuatePerWrite = 3;

inline uint8_t tophash_of(uint64_t hash) {
  uint8_t top = static_cast<uint8_t>(hash >> 56);
  return top < kMinTopHash ? static_cast<uint8_t>(top + kMinTopHash) : top;
}
inline bool is_empty_slot(uint8_t top) { return top <= kEmptyOne; }
inline bool is_evacuated_top(uint8_t top) { return top > kEmptyOne && top < kMinTopHash; }

inline bool over_load_factor(uint64_t count, unsigned B) {
  return count > kBucketSlots && count > kLoadFactorNum * ((uint64_t{1} << B) / kLoadFactorDen);
}
// "Too many" overflow buckets: as many as there are buckets, which after
// deletes means most of them sit mostly empty. (Go caps the threshold at 2^15
// but, past B = 15, counts only 1 in 2^(B-15) overflow allocations at random;
// we count exactly and so compare against 2^B directly.)
inline bool too_many_overflow(uint64_t noverflow, unsigned B) {
  return noverflow >= (uint64_t{1} << B);
}
inline unsigned b_for_capacity(uint64_t hint) {
  unsigned B = 0;
  while (B < kMaxB && over_load_factor(hint, B)) ++B;
  return B;
}

inline uint64_t reverse_bits(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ull) | ((v & 0x5555555555555555ull) << 1);
  v = ((v >> 2) & 0x3333333333333333ull) | ((v & 0x3333333333333333ull) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0Full) | ((v & 0x0F0F0F0F0F0F0F0Full) << 4);
  return __builtin_bswap64(v);
}

// The cursor after `cursor` in a scan over buckets `mask` + 1: incremented on
// its bit-reversed form (see ITERATION); 0 once every bucket was visited.
inline uint64_t next_scan_cursor(uint64_t cursor, uint64_t mask) {
  cursor |= ~mask;
  cursor = reverse_bits(cursor);
  ++cursor;
  return reverse_bits(cursor);
}

struct TableStats {
  uint64_t size;
  unsigned B;
  uint64_t buckets;
  uint64_t overflow_buckets;
  double load_factor;
  uint64_t bytes;
  bool growing;
  uint64_t same_size_grows;  // compactions after delete churn, since creation
};

struct Hasher {
  const hash::HashKernel* kernel;
  hash::Seed seed;
};

// Per-array key storage of a policy whose keys live entirely in the slot.
struct NoKeyStorage {
  bool reserve_relocation(const NoKeyStorage&) { return true; }
  uint64_t bytes() const { return 0; }
  uint64_t live_bytes() const { return 0; }
  uint64_t garbage_bytes() const { return 0; }
};

namespace table_detail {
template <class P, class = void>
struct StorageOf {
  using type = NoKeyStorage;
  static constexpr bool kDeclared = false;
};
template <class P>
struct StorageOf<P, std::void_t<typename P::Storage>> {
  using type = typename P::Storage;
  static constexpr bool kDeclared = true;
};
}  // namespace table_detail

// The invariant checker of table_debug.h, for tests: it reads the internals.
struct TableDebug;
// Snapshot reading and writing (core/table_snapshot.h): the bucket arrays go
// to and from a file as they are.
struct TableSnapshot;

// Policy supplies: Key (slot type), Probe (lookup type), equal(Key, Probe),
// hash(Hasher, Probe), hash_stored(Hasher, Key), and either
//   store(Key&, Probe)                  keys live entirely in the slot, or
//   Storage (a movable type, one per bucket array: see BYTE KEYS AND ARENAS
//   and NoKeyStorage for its members), store(Key&, Probe, Storage&) which
//   may throw std::bad_alloc before writing anything,
//   relocate(Key& dst, const Key& src, Storage& to) which must not throw,
//   forget(const Key&, Storage&) for a deleted key, and
//   prefetch_stored(const Key&) to start loading a key's out-of-slot bytes.
template <class Policy, class Value>
class Table {
 public:
  using Key = typename Policy::Key;
  using Probe = typename Policy::Probe;
  using Storage = typename table_detail::StorageOf<Policy>::type;

  struct Bucket {
    uint8_t tophash[kBucketSlots];
    Key keys[kBucketSlots];
    Value values[kBucketSlots];
    Bucket* overflow;

    uint64_t ctrl() const {
      uint64_t w;
      std::memcpy(&w, tophash, sizeof w);
      return w;
    }
    bool evacuated() const { return is_evacuated_top(tophash[0]); }
    // Every later slot and overflow bucket is empty: a probe may stop here.
    bool ends_chain() const { return tophash[kBucketSlots - 1] == kEmptyRest; }
  };

  // huge_pages: bucket arrays of 2 MiB and more are asked for on huge pages
  // (zeroed_memory.h).
  Table(const simd::MatchKernel* match, const hash::HashKernel* hash_kernel, uint64_t seed,
        uint64_t capacity_hint, bool huge_pages = false)
      : match_(match),
        hasher_{hash_kernel, hash::expand_seed(seed)},
        seed_(seed),
        huge_pages_(huge_pages) {
    B_ = b_for_capacity(capacity_hint);
    if (!allocate_array(&current_, B_)) throw std::bad_alloc();
  }
  ~Table() {
    release_array(&current_);
    release_array(&old_);
    // The thread's batch scratch may be held for this table's batches.
    release_batch_scratch();
  }
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  const Hasher& hasher() const { return hasher_; }
  uint64_t seed() const { return seed_; }
  const simd::MatchKernel* match_kernel() const { return match_; }
  bool huge_pages() const { return huge_pages_; }
  // The bucket arrays' bytes, the old one's during growth included (what a
  // lookup may touch, overflow buckets aside).
  uint64_t bucket_bytes() const { return current_.array_bytes() + old_.array_bytes(); }
  // For a map read from a snapshot: the arrays allocated from now on.
  void set_huge_pages(bool on) { huge_pages_ = on; }
  uint64_t size() const { return count_; }
  // log2 of the current array's bucket count.
  unsigned log2_buckets() const { return B_; }
  bool growing() const { return old_.buckets != nullptr; }
  uint64_t hash(Probe key) const { return Policy::hash(hasher_, key); }

  // The bucket a write of `hash` lands in, for prefetching.
  const Bucket* write_bucket(uint64_t hash) const { return current_.buckets + (hash & mask()); }
  // The old bucket a write of `hash` must evacuate first, or nullptr.
  const Bucket* pending_old_bucket(uint64_t hash) const {
    if (!growing()) return nullptr;
    const uint64_t oldbucket = hash & old_mask();
    return oldbucket >= nevacuate_ ? old_.buckets + oldbucket : nullptr;
  }

  // The bucket a probe for `hash` starts at, for prefetching and batch matching.
  const Bucket* home_bucket(uint64_t hash) const {
    if (growing()) {
      // Below the evacuation mark everything has moved: no need to touch
      // (and miss on) the old bucket to find that out.
      const uint64_t oldbucket = hash & old_mask();
      const Bucket* ob = old_.buckets + oldbucket;
      if (oldbucket >= nevacuate_ && !ob->evacuated()) return ob;
    }
    return current_.buckets + (hash & mask());
  }

  // Continues a lookup at bucket b whose first bucket's tag matches are
  // already known (first_mask), as batch lookups have them.
  // The next bucket of b's chain, or nullptr (batch_pipeline.h follows
  // chains through this, so a view whose links are indices can stand in).
  const Bucket* next_bucket(const Bucket* b) const { return b->overflow; }

  // match_tag(ctrl, tag) matches the chain's later buckets: the kernel's
  // function, or its inline word (simd/match_word.h) in loops that take it.
  template <class MatchTag>
  Value* find_from(const Bucket* b, Probe key, uint8_t top, simd::SlotMask first_mask,
                   MatchTag match_tag) const {
    simd::SlotMask m = first_mask;
    for (;;) {
      while (m != 0) {
        int i = __builtin_ctz(m);
        if (Policy::equal(b->keys[i], key)) return const_cast<Value*>(&b->values[i]);
        m &= m - 1;
      }
      if (b->ends_chain() || b->overflow == nullptr) return nullptr;
      b = b->overflow;
      m = match_tag(b->ctrl(), top);
    }
  }
  Value* find_from(const Bucket* b, Probe key, uint8_t top, simd::SlotMask first_mask) const {
    return find_from(b, key, top, first_mask, match_->match_tag);
  }

  template <class MatchTag>
  Value* find(Probe key, uint64_t hash, MatchTag match_tag) const {
    const Bucket* b = home_bucket(hash);
    uint8_t top = tophash_of(hash);
    return find_from(b, key, top, match_tag(b->ctrl(), top), match_tag);
  }
  Value* find(Probe key, uint64_t hash) const { return find(key, hash, match_->match_tag); }

  // Inserts or overwrites; returns true when the key is new. Throws
  // std::bad_alloc with the table unchanged if memory runs out.
  bool assign(Probe key, uint64_t hash, Value value) {
    graveyard_.release_some();
    for (;;) {
      if (growing()) grow_work(hash & mask());
      const uint8_t top = tophash_of(hash);
      Bucket* b = current_.buckets + (hash & mask());
      Bucket* insert_b = nullptr;
      int insert_i = 0;
      Bucket* last = b;
      for (; b != nullptr; b = b->overflow) {
        last = b;
        const uint64_t ctrl = b->ctrl();
        simd::SlotMask m = match_->match_tag(ctrl, top);
        while (m != 0) {
          int i = __builtin_ctz(m);
          if (Policy::equal(b->keys[i], key)) {
            b->values[i] = value;
            return false;
          }
          m &= m - 1;
        }
        if (insert_b == nullptr) {
          simd::SlotMask free_slots = match_->match_empty(ctrl);
          if (free_slots != 0) {
            insert_b = b;
            insert_i = __builtin_ctz(free_slots);
          }
        }
        if (b->ends_chain()) break;
      }
      if (!growing() && (over_load_factor(count_ + 1, B_) || too_many_overflow(noverflow_, B_) ||
                         too_much_key_garbage())) {
        start_growth();
        continue;  // the key's bucket moved: look again in the new array
      }
      if (insert_b == nullptr) {
        insert_b = new_overflow(last);
        insert_i = 0;
      }
      store_key(insert_b->keys[insert_i], key);  // may throw: before the tophash
      insert_b->tophash[insert_i] = top;
      insert_b->values[insert_i] = value;
      ++count_;
      return true;
    }
  }

  // Sizes the table for `entries` at once when that is at least two doublings
  // away, so a batch about to insert that many keys writes each into its
  // final bucket instead of moving it through every doubling on the way:
  // each doubling rehashes and moves every key and faults in a fresh array.
  // Measured on setBatch of 1e7 new u64 keys into an empty map: 150 ns/key
  // growing, 90 presized. The keys already present are moved here, in one
  // go (the batch is at least three times their number, so it pays for
  // that). Best effort: false, with the table unchanged, when the memory is
  // not to be had, and the inserts then grow the table as usual.
  bool reserve(uint64_t entries) {
    const unsigned target = b_for_capacity(entries);
    if (target < B_ + 2 || target > kMaxB) return false;
    while (growing()) evacuate(nevacuate_);
    BucketArray fresh;
    if (!allocate_array(&fresh, target, /*huge_pages=*/true)) return false;
    if (!fresh.storage.reserve_relocation(current_.storage)) {
      release_array(&fresh);
      return false;
    }
    const unsigned old_B = B_;
    const uint64_t old_overflow = noverflow_;
    old_ = std::move(current_);
    current_ = std::move(fresh);
    B_ = target;
    noverflow_ = 0;
    if (count_ > 0) {
      // A chain's overflow bucket is added only when the chain is full, so
      // count / 8 of them is the most the move can need: with them at hand
      // it cannot fail halfway.
      try {
        add_overflow_chunk(count_ / kBucketSlots + 1);
      } catch (const std::bad_alloc&) {
        release_array(&current_);
        current_ = std::move(old_);
        old_ = BucketArray{};
        B_ = old_B;
        noverflow_ = old_overflow;
        return false;
      }
      for (uint64_t i = 0; i < old_.count; ++i) {
        for (Bucket* b = old_.buckets + i; b != nullptr; b = b->overflow) {
          for (int slot = 0; slot < kBucketSlots; ++slot) {
            if (is_empty_slot(b->tophash[slot])) continue;
            place_moved(Policy::hash_stored(hasher_, b->keys[slot]), b->tophash[slot],
                        b->keys[slot], b->values[slot]);
          }
        }
      }
    }
    retire_array(&old_);
    nevacuate_ = 0;
    same_size_grow_ = false;
    return true;
  }

  // Removes key; returns true when it was present, and its value through
  // old_value when that is not null (BpfMap frees the value's pool record).
  bool erase(Probe key, uint64_t hash, Value* old_value = nullptr) {
    graveyard_.release_some();
    if (count_ == 0) return false;
    if (growing()) grow_work(hash & mask());
    const uint8_t top = tophash_of(hash);
    Bucket* const first = current_.buckets + (hash & mask());
    for (Bucket* b = first; b != nullptr; b = b->overflow) {
      simd::SlotMask m = match_->match_tag(b->ctrl(), top);
      while (m != 0) {
        int i = __builtin_ctz(m);
        if (Policy::equal(b->keys[i], key)) {
          if (old_value != nullptr) *old_value = b->values[i];
          forget_key(b->keys[i]);
          remove_slot(first, b, i);
          return true;
        }
        m &= m - 1;
      }
      if (b->ends_chain()) break;
    }
    return false;
  }

  // Empties the table but keeps B, so live iteration cursors stay valid.
  // The array is replaced by fresh zero pages rather than memset, which also
  // hands the old pages back to the OS.
  void clear() {
    BucketArray fresh;
    if (!allocate_array(&fresh, B_)) throw std::bad_alloc();
    release_array(&current_);
    release_array(&old_);
    graveyard_.release_all();
    current_ = std::move(fresh);
    count_ = 0;
    noverflow_ = 0;
    nevacuate_ = 0;
    same_size_grow_ = false;
  }

  // Emits every entry of the bucket group named by cursor through
  // visit(const Key&, const Value&) and returns the next cursor; 0 means the
  // walk is complete. Start with cursor 0. See ITERATION above.
  template <class Visit>
  uint64_t scan(uint64_t cursor, Visit&& visit) const {
    uint64_t m;
    if (!growing()) {
      m = mask();
      emit_chain(current_.buckets + (cursor & m), visit);
    } else if (same_size_grow_) {
      m = mask();
      const Bucket* ob = old_.buckets + (cursor & m);
      emit_chain(ob->evacuated() ? current_.buckets + (cursor & m) : ob, visit);
    } else {
      m = old_mask();
      const uint64_t p = cursor & m;
      const Bucket* ob = old_.buckets + p;
      if (!ob->evacuated()) {
        emit_chain(ob, visit);
      } else {
        emit_chain(current_.buckets + p, visit);
        emit_chain(current_.buckets + p + old_.count, visit);
      }
    }
    return next_scan_cursor(cursor, m);
  }

  // The cursor whose scan() emits the group holding keys of this hash: the
  // key's bucket under the mask scan() uses in the table's current state.
  // get-next-key walks resume from here; valid until the next write.
  uint64_t group_cursor(uint64_t hash) const {
    return hash & (growing() && !same_size_grow_ ? old_mask() : mask());
  }

  TableStats stats() const {
    TableStats s;
    s.size = count_;
    s.B = B_;
    s.buckets = current_.count;
    s.overflow_buckets = noverflow_;
    s.load_factor = static_cast<double>(count_) / static_cast<double>(current_.count);
    s.bytes = bytes();
    s.growing = growing();
    s.same_size_grows = same_size_grows_;
    return s;
  }
  uint64_t bytes() const {
    return sizeof(*this) + current_.bytes_total() + old_.bytes_total() + graveyard_.bytes();
  }

 private:
  friend struct TableDebug;
  friend struct TableSnapshot;

  // One generation of buckets plus the overflow buckets chained from it, and
  // the storage of its keys' out-of-slot bytes.
  struct BucketArray {
    Bucket* buckets = nullptr;
    uint64_t count = 0;  // 2^B
    std::vector<std::pair<Bucket*, size_t>> overflow_chunks;  // (chunk, buckets in it)
    size_t overflow_used = 0;  // in the last chunk
    size_t overflow_bytes = 0;
    Storage storage;

    size_t array_bytes() const { return count * sizeof(Bucket); }
    size_t bytes_total() const {
      return buckets == nullptr ? 0 : array_bytes() + overflow_bytes + storage.bytes();
    }
  };

  static constexpr bool kKeyStorage = table_detail::StorageOf<Policy>::kDeclared;
  void store_key(Key& slot, Probe key) {
    if constexpr (kKeyStorage) {
      Policy::store(slot, key, current_.storage);
    } else {
      Policy::store(slot, key);
    }
  }
  void relocate_key(Key& dst, const Key& src) {
    if constexpr (kKeyStorage) {
      Policy::relocate(dst, src, current_.storage);
    } else {
      dst = src;
    }
  }
  void forget_key(const Key& k) {
    if constexpr (kKeyStorage) Policy::forget(k, current_.storage);
  }
  // Deleted keys' bytes outweigh the live ones and half the bucket array, so
  // a same-size growth (which copies the live ones and walks the array) pays
  // for itself. Always false without key storage.
  bool too_much_key_garbage() const {
    const uint64_t garbage = current_.storage.garbage_bytes();
    return garbage > current_.storage.live_bytes() && garbage > current_.array_bytes() / 2;
  }

  uint64_t mask() const { return current_.count - 1; }
  uint64_t old_mask() const { return old_.count - 1; }

  bool allocate_array(BucketArray* a, unsigned B) const {
    return allocate_array(a, B, huge_pages_);
  }
  static bool allocate_array(BucketArray* a, unsigned B, bool huge_pages) {
    const uint64_t count = uint64_t{1} << B;
    if (count > SIZE_MAX / sizeof(Bucket)) return false;
    auto* buckets = static_cast<Bucket*>(zeroed_alloc(count * sizeof(Bucket), huge_pages));
    if (buckets == nullptr) return false;
    *a = BucketArray{};
    a->buckets = buckets;
    a->count = count;
    return true;
  }
  static void release_array(BucketArray* a) {
    if (a->buckets == nullptr) return;
    zeroed_free(a->buckets, a->array_bytes());
    for (auto& [chunk, n] : a->overflow_chunks) zeroed_free(chunk, n * sizeof(Bucket));
    *a = BucketArray{};
  }
  // Like release_array, but the bucket memory goes to the graveyard, to be
  // handed back over the next writes rather than inside this one.
  void retire_array(BucketArray* a) {
    if (a->buckets == nullptr) return;
    graveyard_.bury(a->buckets, a->array_bytes());
    for (auto& [chunk, n] : a->overflow_chunks) graveyard_.bury(chunk, n * sizeof(Bucket));
    *a = BucketArray{};
  }

  // Makes sure the next `n` overflow buckets come from memory already
  // allocated, so an evacuation never fails halfway through a bucket.
  void reserve_overflow(size_t n) {
    BucketArray& a = current_;
    if (!a.overflow_chunks.empty() && a.overflow_chunks.back().second - a.overflow_used >= n)
      return;
    add_overflow_chunk(n);
  }
  void add_overflow_chunk(size_t at_least, bool huge_pages = false) {
    BucketArray& a = current_;
    // Chunks grow with the table (1/512 of it) so big tables take few
    // system calls and small ones waste little.
    size_t n = static_cast<size_t>(a.count / 512);
    if (n < 8) n = 8;
    if (n < at_least) n = at_least;
    // Room in the list first: if that throws, no chunk is lost.
    if (a.overflow_chunks.size() == a.overflow_chunks.capacity())
      a.overflow_chunks.reserve(2 * a.overflow_chunks.size() + 1);
    auto* chunk = static_cast<Bucket*>(zeroed_alloc(n * sizeof(Bucket), huge_pages));
    if (chunk == nullptr) throw std::bad_alloc();
    a.overflow_chunks.emplace_back(chunk, n);
    a.overflow_used = 0;
    a.overflow_bytes += n * sizeof(Bucket);
  }

  // Chains a zeroed overflow bucket behind `last` in the current array.
  Bucket* new_overflow(Bucket* last) {
    BucketArray& a = current_;
    if (a.overflow_chunks.empty() || a.overflow_used == a.overflow_chunks.back().second)
      add_overflow_chunk(1);
    Bucket* ovf = a.overflow_chunks.back().first + a.overflow_used++;
    last->overflow = ovf;
    ++noverflow_;
    return ovf;
  }

  // Appends a key being moved by reserve() to its chain in the current
  // array; the overflow buckets it may need were reserved beforehand.
  void place_moved(uint64_t hash, uint8_t top, const Key& key, const Value& value) {
    Bucket* b = current_.buckets + (hash & mask());
    for (;;) {
      const simd::SlotMask free_slots = match_->match_empty(b->ctrl());
      if (free_slots != 0) {
        const int i = __builtin_ctz(free_slots);
        b->tophash[i] = top;
        relocate_key(b->keys[i], key);
        b->values[i] = value;
        return;
      }
      b = b->overflow != nullptr ? b->overflow : new_overflow(b);
    }
  }

  void remove_slot(Bucket* first, Bucket* b, int i) {
    b->tophash[i] = kEmptyOne;
    --count_;
    // Is the freed slot followed only by empties? Then turn the trailing run
    // of kEmptyOne into kEmptyRest so probes stop sooner.
    if (i == kBucketSlots - 1) {
      if (b->overflow != nullptr && b->overflow->tophash[0] != kEmptyRest) return;
    } else if (b->tophash[i + 1] != kEmptyRest) {
      return;
    }
    for (;;) {
      b->tophash[i] = kEmptyRest;
      if (i == 0) {
        if (b == first) break;
        Bucket* c = b;
        for (b = first; b->overflow != c; b = b->overflow) {
        }
        i = kBucketSlots - 1;
      } else {
        --i;
      }
      if (b->tophash[i] != kEmptyOne) break;
    }
  }

  void start_growth() {
    const bool bigger = over_load_factor(count_ + 1, B_);
    const unsigned newB = bigger ? B_ + 1 : B_;
    if (newB > kMaxB) throw std::bad_alloc();
    BucketArray fresh;
    if (!allocate_array(&fresh, newB)) throw std::bad_alloc();
    // Room for every live key evacuation will relocate, so it never allocates.
    if (!fresh.storage.reserve_relocation(current_.storage)) {
      release_array(&fresh);
      throw std::bad_alloc();
    }
    old_ = std::move(current_);
    current_ = std::move(fresh);
    B_ = newB;
    same_size_grow_ = !bigger;
    same_size_grows_ += !bigger;
    nevacuate_ = 0;
    noverflow_ = 0;
  }

  // One write's share of an in-progress growth: the old bucket the write's
  // key maps to (it must move before the key can be written to the new
  // array), then the next kEvacuatePerWrite buckets in order. Go moves one in
  // order; we move more because sequential evacuation streams through memory
  // while the key's own bucket is a random access, and finishing sooner means
  // fewer writes pay for the random one. The bound stays small and fixed.
  void grow_work(uint64_t bucket) {
    const uint64_t oldbucket = bucket & old_mask();
    if (oldbucket >= nevacuate_) evacuate(oldbucket);
    for (int i = 0; i < kEvacuatePerWrite && growing(); ++i) evacuate(nevacuate_);
  }

  struct EvacDst {
    Bucket* b;
    int i;
  };

  void evacuate(uint64_t oldbucket) {
    Bucket* ob = old_.buckets + oldbucket;
    if (!ob->evacuated()) {
      // Each destination needs at most as many buckets as the chain has:
      // allocate them before the first slot is marked evacuated, so running
      // out of memory cannot strand half a bucket.
      size_t chain = 0;
      for (const Bucket* b = ob; b != nullptr; b = b->overflow) ++chain;
      reserve_overflow(2 * chain);
      if constexpr (kKeyStorage) {
        // Out-of-slot key bytes are read to rehash and relocate them: start
        // every miss of the chain at once rather than one after another.
        for (const Bucket* b = ob; b != nullptr; b = b->overflow) {
          for (int i = 0; i < kBucketSlots; ++i) {
            if (!is_empty_slot(b->tophash[i])) Policy::prefetch_stored(b->keys[i]);
          }
        }
      }
      const uint64_t newbit = old_.count;
      EvacDst x{current_.buckets + oldbucket, 0};
      EvacDst y{same_size_grow_ ? nullptr : current_.buckets + oldbucket + newbit, 0};
      for (Bucket* b = ob; b != nullptr; b = b->overflow) {
        for (int i = 0; i < kBucketSlots; ++i) {
          const uint8_t top = b->tophash[i];
          if (is_empty_slot(top)) {
            b->tophash[i] = kEvacuatedEmpty;
            continue;
          }
          bool use_y = false;
          if (!same_size_grow_) use_y = (Policy::hash_stored(hasher_, b->keys[i]) & newbit) != 0;
          b->tophash[i] = use_y ? kEvacuatedY : kEvacuatedX;
          EvacDst& d = use_y ? y : x;
          if (d.i == kBucketSlots) {
            d.b = new_overflow(d.b);
            d.i = 0;
          }
          d.b->tophash[d.i] = top;
          relocate_key(d.b->keys[d.i], b->keys[i]);
          d.b->values[d.i] = b->values[i];
          ++d.i;
        }
      }
    }
    if (oldbucket == nevacuate_) advance_evacuation_mark();
  }

  void advance_evacuation_mark() {
    ++nevacuate_;
    // Bounded so one write never scans far; buckets evacuated out of order
    // by writes to them are skipped here.
    const uint64_t stop = nevacuate_ + 1024;
    while (nevacuate_ != stop && nevacuate_ != old_.count && old_.buckets[nevacuate_].evacuated()) {
      ++nevacuate_;
    }
    if (nevacuate_ == old_.count) {
      retire_array(&old_);
      same_size_grow_ = false;
    }
  }

  template <class Visit>
  static void emit_chain(const Bucket* b, Visit& visit) {
    for (; b != nullptr; b = b->overflow) {
      for (int i = 0; i < kBucketSlots; ++i) {
        if (b->tophash[i] >= kMinTopHash) visit(b->keys[i], b->values[i]);
      }
    }
  }

  const simd::MatchKernel* match_;
  Hasher hasher_;
  // The seed hasher_ was expanded from: a snapshot records it, since the
  // bucket a key sits in depends on it.
  uint64_t seed_;
  bool huge_pages_;
  uint64_t count_ = 0;
  unsigned B_ = 0;
  uint64_t noverflow_ = 0;
  uint64_t nevacuate_ = 0;
  bool same_size_grow_ = false;
  uint64_t same_size_grows_ = 0;
  BucketArray current_;
  BucketArray old_;
  // The previous array's memory, handed back a little per write.
  Graveyard graveyard_;
};

}  // namespace tophash::core
