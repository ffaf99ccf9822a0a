// check_invariants(table): walks every bucket of a Table (core/table.h), old
// and new arrays while it grows, and reports the first broken invariant, in
// the spirit of Go's checkInvariants (internal/runtime/maps/table_debug.go).
// An empty string means the table is sound. For tests and fuzz targets only:
// it costs a full walk and a lookup per entry.
//
// What it checks:
//   - the entries found by walking every chain add up to size();
//   - an occupied slot's tophash is tophash_of(its key's hash), the key sits
//     in the chain its hash picks, and a lookup of the key finds that very
//     slot (so no key is stored twice);
//   - after a kEmptyRest slot, only empty slots follow in its chain;
//   - the evacuation state: no evacuation marks in the current array; while
//     growing, every old bucket below the evacuation cursor is evacuated, an
//     evacuated old bucket holds only evacuation marks (kEvacuatedY only when
//     doubling), an unevacuated one holds none and its heirs in the new
//     array are still empty;
//   - the overflow count equals the overflow buckets chained in the current
//     array, and the bucket counts agree with B.
#pragma once
#include <cstdint>
#include <string>

#include "core/byte_keys.h"
#include "core/table.h"

namespace tophash::core {

namespace table_debug {

// A lookup's probe for a stored key, by key type.
inline uint64_t probe_of(const Hasher&, uint64_t key) { return key; }
template <size_t N>
const FixedKey<N>& probe_of(const Hasher&, const FixedKey<N>& key) {
  return key;
}
inline ByteProbe probe_of(const Hasher& h, const ByteSlot& key) {
  const ByteView v = key_bytes(key);
  return BytesPolicy::probe(h, v.data, v.len);
}

inline std::string where(const char* array, uint64_t bucket, int link, int slot) {
  return std::string(array) + " bucket " + std::to_string(bucket) + " overflow " +
         std::to_string(link) + " slot " + std::to_string(slot);
}

}  // namespace table_debug

struct TableDebug {
  template <class Policy, class Value>
  static std::string check(const Table<Policy, Value>& t) {
    using T = Table<Policy, Value>;
    using Bucket = typename T::Bucket;
    using table_debug::where;
    const bool growing = t.growing();
    if (t.current_.count != uint64_t{1} << t.B_) return "current array has not 2^B buckets";
    if (!growing && t.same_size_grow_) return "same-size growth flag left behind";
    if (growing) {
      const uint64_t expect = t.same_size_grow_ ? t.current_.count : t.current_.count / 2;
      if (t.old_.count != expect) return "old array size does not match the kind of growth";
      if (t.nevacuate_ >= t.old_.count) return "evacuation cursor past the old array";
    }
    uint64_t entries = 0;
    uint64_t overflow = 0;
    std::string error;
    // One chain of the array named `array` with index mask `m`.
    auto walk = [&](const char* array, const Bucket* first, uint64_t index, uint64_t m,
                    bool current) {
      bool rest = false;
      int link = 0;
      for (const Bucket* b = first; b != nullptr && error.empty(); b = b->overflow, ++link) {
        if (b != first && current) ++overflow;
        for (int i = 0; i < kBucketSlots && error.empty(); ++i) {
          const uint8_t top = b->tophash[i];
          if (rest && top != kEmptyRest && top != kEmptyOne) {
            error = where(array, index, link, i) + ": kEmptyRest followed by a non-empty slot";
          } else if (top == kEmptyRest) {
            rest = true;
          } else if (is_evacuated_top(top)) {
            error = where(array, index, link, i) + ": evacuation mark outside evacuated bucket";
          } else if (top >= kMinTopHash) {
            ++entries;
            error = check_slot<Policy>(t, b, i, index, m);
            if (!error.empty()) error = where(array, index, link, i) + ": " + error;
          }
        }
      }
    };
    for (uint64_t i = 0; i < t.current_.count && error.empty(); ++i) {
      walk("current", t.current_.buckets + i, i, t.current_.count - 1, true);
    }
    for (uint64_t i = 0; growing && i < t.old_.count && error.empty(); ++i) {
      const Bucket* ob = t.old_.buckets + i;
      if (ob->evacuated()) {
        error = check_evacuated(ob, t.same_size_grow_);
        if (!error.empty()) error = where("old", i, 0, 0) + ": " + error;
        continue;
      }
      if (i < t.nevacuate_) {
        error = where("old", i, 0, 0) + ": below the evacuation cursor but not evacuated";
        break;
      }
      const uint64_t heirs[] = {i, t.same_size_grow_ ? i : i + t.old_.count};
      for (uint64_t h : heirs) {
        const Bucket* nb = t.current_.buckets + h;
        for (int s = 0; s < kBucketSlots; ++s) {
          if (nb->tophash[s] != kEmptyRest || nb->overflow != nullptr) {
            error = where("current", h, 0, s) + ": filled before its old bucket was evacuated";
          }
        }
      }
      walk("old", ob, i, t.old_.count - 1, false);
    }
    if (!error.empty()) return error;
    if (entries != t.count_) {
      return "size() is " + std::to_string(t.count_) + " but the chains hold " +
             std::to_string(entries);
    }
    if (overflow != t.noverflow_) {
      return "overflow count is " + std::to_string(t.noverflow_) + " but " +
             std::to_string(overflow) + " are chained";
    }
    return "";
  }

  // The tophash byte of some occupied slot, or nullptr: for tests that
  // corrupt a table on purpose to see check() catch it.
  template <class Policy, class Value>
  static uint8_t* occupied_tophash(Table<Policy, Value>& t) {
    for (uint64_t i = 0; i < t.current_.count; ++i) {
      for (auto* b = t.current_.buckets + i; b != nullptr; b = b->overflow) {
        for (int s = 0; s < kBucketSlots; ++s) {
          if (b->tophash[s] >= kMinTopHash) return &b->tophash[s];
        }
      }
    }
    return nullptr;
  }

 private:
  template <class Policy, class T, class Bucket>
  static std::string check_slot(const T& t, const Bucket* b, int i, uint64_t index, uint64_t m) {
    const uint64_t h = Policy::hash_stored(t.hasher_, b->keys[i]);
    if (b->tophash[i] != tophash_of(h)) return "tophash is not the top byte of the key's hash";
    if ((h & m) != index) return "key sits in another bucket's chain";
    const auto probe = table_debug::probe_of(t.hasher_, b->keys[i]);
    if (t.find(probe, h) != &b->values[i]) return "a lookup of the key does not find this slot";
    return "";
  }

  template <class Bucket>
  static std::string check_evacuated(const Bucket* ob, bool same_size) {
    for (const Bucket* b = ob; b != nullptr; b = b->overflow) {
      for (int s = 0; s < kBucketSlots; ++s) {
        const uint8_t top = b->tophash[s];
        if (!is_evacuated_top(top)) return "evacuated bucket with a live or empty slot";
        if (same_size && top == kEvacuatedY) return "kEvacuatedY in a same-size growth";
      }
    }
    return "";
  }
};

template <class Policy, class Value>
std::string check_invariants(const Table<Policy, Value>& t) {
  return TableDebug::check(t);
}

// The same for a table whose values index a record pool: also one record in
// use per entry.
template <class Policy, class Value>
std::string check_invariants(const Table<Policy, Value>& t, uint64_t records_in_use) {
  std::string problem = TableDebug::check(t);
  if (problem.empty() && records_in_use != t.size()) {
    problem = std::to_string(records_in_use) + " records in use for " + std::to_string(t.size()) +
              " entries";
  }
  return problem;
}

}  // namespace tophash::core
