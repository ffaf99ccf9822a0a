// Byte keys for the table: variable-length keys (Go's faststr path, StrMap)
// and fixed-width keys of keySize bytes (eBPF's key_size, BpfMap).
//
// VARIABLE-LENGTH KEYS: ONE 16-BYTE SLOT, SHORT KEYS INLINE, LONG ONES IN AN ARENA
//
// A slot is two little-endian words, lo = bytes 0..7 and hi = bytes 8..15:
//
//     inline (len <= 15)  bytes 0..14 the key, zero-padded | byte 15 = len
//     long   (len >= 16)  lo = pointer to the key's bytes in the arena
//                         hi = len (u32) | hash bits 32..55 (24 bits) | 0xFF
//
// A probe computes the slot image it expects (ByteProbe::lo/hi) once, from the
// key and its hash, so comparing a slot is: hi == probe.hi, then for an inline
// key lo == probe.lo (two word compares, no length-dependent loop), for a long
// key memcmp against the arena. The hi word of a long key carries the length
// and 24 hash bits instead of a few prefix bytes: keys of equal length that
// share a prefix ("user:", "/api/v1/", a tenant id) are the common case, prefix
// bytes would reject none of those mismatches, and 24 hash bits beyond the
// tophash reject all but 1 in 16M of them (bits 32..55 are free of both the
// tophash, bits 56..63, and the bucket index, bits 0..B-1, for B <= 32). So a
// tophash match against the wrong long key almost never touches the arena.
//
// 15 bytes is the most a 16-byte slot can hold with its length; a 16-byte
// slot keeps a bucket at 8 + 128 + 64 + 8 = 208 bytes (f64 values), and most
// real keys (ids, "user:<n>", metric names) are short.
//
// Long keys live in a KeyArena: append-only chunks, no malloc per key. Each
// bucket array owns one arena (table.h, "BYTE KEYS AND ARENAS"): evacuation
// copies every live long key into the new array's arena, into one chunk
// reserved for exactly the old arena's live bytes when growth starts, so
// relocating a key never allocates or fails; the old arena is freed with the
// old array. Evacuation prefetches a bucket chain's arena bytes before moving
// it, and batch lookups prefetch the arena bytes of a slot whose hi word
// matches one pipeline stage before comparing (batch_pipeline.h). A delete only
// counts the key's bytes as garbage; the table starts a same-size growth (a
// compaction) when garbage outweighs the live bytes and half the bucket array,
// which bounds memory under churn at a small factor of the live data for
// amortised O(1) work per deleted byte.
//
// MAXIMUM LENGTH: kMaxByteKeyLength = 64 KiB. Every operation hashes the whole
// key and every hit compares it in full, so the key length bounds the time of a
// single get (64 KiB hash in microseconds on AES-NI); keys far longer than that
// are a misuse a map should reject loudly (RangeError in the binding) rather
// than turn into event-loop stalls. It also keeps a key well below the arena's
// largest chunk (1 MiB), so chunk-tail waste stays bounded. The slot format
// itself allows lengths up to 2^32 - 1 (the batch offsets are u32 too); the
// limit is a policy, not a format constraint.
//
// FIXED-WIDTH KEYS: see FixedKey below and core/fixed_map.h.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <utility>
#include <vector>

#include "core/prefetch.h"
#include "core/table.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "byte keys assume a little-endian slot layout"
#endif

namespace tophash::core {

inline constexpr size_t kInlineKeyBytes = 15;
inline constexpr size_t kMaxByteKeyLength = 64 * 1024;  // inclusive
inline constexpr uint8_t kLongKeyTag = 0xFF;

// ---- the arena ----

// Append-only storage for the bytes of long keys, owned by one bucket array.
class KeyArena {
 public:
  // Chunks grow with the arena (half of it, so 1.5x), between these bounds.
  static constexpr size_t kMinChunk = 1024;
  static constexpr size_t kMaxChunk = 1024 * 1024;

  KeyArena() = default;
  ~KeyArena() { release(); }
  KeyArena(const KeyArena&) = delete;
  KeyArena& operator=(const KeyArena&) = delete;
  KeyArena(KeyArena&& o) noexcept { take(o); }
  KeyArena& operator=(KeyArena&& o) noexcept {
    if (this != &o) {
      release();
      take(o);
    }
    return *this;
  }

  // Room for a new key of n bytes; throws std::bad_alloc, arena unchanged.
  uint8_t* allocate(size_t n) {
    if (n > left_) return allocate_slow(n);
    uint8_t* p = cur_;
    cur_ += n;
    left_ -= n;
    live_ += n;
    return p;
  }
  // Room for a key evacuation moves in, from the reserve made when the growth
  // started (which holds exactly what evacuation will copy).
  uint8_t* allocate_relocated(size_t n) {
    if (n > reserve_left_) return allocate(n);  // not reached: the reserve is exact
    uint8_t* p = reserve_;
    reserve_ += n;
    reserve_left_ -= n;
    live_ += n;
    return p;
  }
  // A deleted key's bytes become garbage until the arena is dropped.
  void forget(size_t n) {
    live_ -= n;
    garbage_ += n;
  }

  // Table hooks (see "Storage" in table.h).
  // Reserves one chunk for the live keys of `from`, the arena of the array
  // being evacuated into this one. False if memory runs out.
  bool reserve_relocation(const KeyArena& from);
  uint64_t bytes() const { return capacity_ + chunks_.capacity() * sizeof(Chunk); }
  uint64_t live_bytes() const { return live_; }
  // Deleted keys plus chunk tails abandoned because a key did not fit.
  uint64_t garbage_bytes() const { return garbage_; }

 private:
  struct Chunk {
    uint8_t* p;
    size_t n;
  };
  uint8_t* allocate_slow(size_t n);
  uint8_t* new_chunk(size_t n);  // throws std::bad_alloc
  void release();
  void take(KeyArena& o) {
    chunks_ = std::move(o.chunks_);
    o.chunks_.clear();
    cur_ = std::exchange(o.cur_, nullptr);
    left_ = std::exchange(o.left_, 0);
    reserve_ = std::exchange(o.reserve_, nullptr);
    reserve_left_ = std::exchange(o.reserve_left_, 0);
    capacity_ = std::exchange(o.capacity_, 0);
    live_ = std::exchange(o.live_, 0);
    garbage_ = std::exchange(o.garbage_, 0);
  }

  std::vector<Chunk> chunks_;
  uint8_t* cur_ = nullptr;  // the insert cursor in the newest regular chunk
  size_t left_ = 0;
  uint8_t* reserve_ = nullptr;  // the evacuation cursor in the reserved chunk
  size_t reserve_left_ = 0;
  uint64_t capacity_ = 0;  // bytes in all chunks
  uint64_t live_ = 0;
  uint64_t garbage_ = 0;
};

// ---- variable-length keys ----

struct alignas(8) ByteSlot {
  uint64_t lo;
  uint64_t hi;
};
static_assert(sizeof(ByteSlot) == 16, "a byte-key slot is 16 bytes");

// A key as a lookup carries it: the bytes, their hash, and the slot image
// an equal stored key has (lo is meaningless for a long key).
struct ByteProbe {
  const uint8_t* data;
  uint32_t len;
  uint64_t hash;
  uint64_t lo;
  uint64_t hi;
};

struct ByteView {
  const uint8_t* data;
  size_t len;
};

namespace bytes_detail {
inline uint64_t load8(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline uint64_t load4(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
}  // namespace bytes_detail

// The slot image of key [data, data+len) with hash h. Reads only inside the
// key (overlapping loads, as the hash kernels do), so a key that ends at an
// unmapped page is safe.
inline ByteProbe make_byte_probe(const uint8_t* data, size_t len, uint64_t h) {
  using bytes_detail::load4;
  using bytes_detail::load8;
  ByteProbe p{data, static_cast<uint32_t>(len), h, 0, 0};
  if (len > kInlineKeyBytes) {
    p.hi = uint64_t{static_cast<uint32_t>(len)} | ((h >> 32) & 0xFFFFFF) << 32 |
           uint64_t{kLongKeyTag} << 56;
    return p;
  }
  uint64_t lo = 0, hi = 0;
  if (len >= 8) {
    lo = load8(data);
    // Bytes len-8..len-1; keep 8..len-1 in the low end of hi.
    if (len > 8) hi = load8(data + len - 8) >> (8 * (16 - len));
  } else if (len >= 4) {
    lo = load4(data) | load4(data + len - 4) << (8 * (len - 4));
  } else if (len > 0) {
    lo = uint64_t{data[0]} | uint64_t{data[len / 2]} << (8 * (len / 2)) |
         uint64_t{data[len - 1]} << (8 * (len - 1));
  }
  p.lo = lo;
  p.hi = hi | uint64_t{len} << 56;
  return p;
}

inline bool is_long_key(const ByteSlot& s) { return (s.hi >> 56) == kLongKeyTag; }

inline ByteView key_bytes(const ByteSlot& s) {
  if (is_long_key(s)) {
    return {reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(s.lo)),
            static_cast<uint32_t>(s.hi)};
  }
  return {reinterpret_cast<const uint8_t*>(&s), static_cast<size_t>(s.hi >> 56)};
}

struct BytesPolicy {
  using Key = ByteSlot;
  using Probe = const ByteProbe&;
  using Storage = KeyArena;

  static ByteProbe probe(const Hasher& h, const void* data, size_t len) {
    const auto* p = static_cast<const uint8_t*>(data);
    return make_byte_probe(p, len, h.kernel->bytes(p, len, h.seed));
  }

  static bool equal(const ByteSlot& s, const ByteProbe& p) {
    if (s.hi != p.hi) return false;
    if (p.len <= kInlineKeyBytes) return s.lo == p.lo;
    return std::memcmp(reinterpret_cast<const void*>(static_cast<uintptr_t>(s.lo)), p.data,
                       p.len) == 0;
  }
  static uint64_t hash(const Hasher& h, const ByteProbe& p) {
    return h.kernel->bytes(p.data, p.len, h.seed);
  }
  static uint64_t hash_stored(const Hasher& h, const ByteSlot& s) {
    const ByteView v = key_bytes(s);
    return h.kernel->bytes(v.data, v.len, h.seed);
  }
  // Throws std::bad_alloc before writing anything.
  static void store(ByteSlot& s, const ByteProbe& p, KeyArena& arena) {
    uint64_t lo = p.lo;
    if (p.len > kInlineKeyBytes) {
      uint8_t* dst = arena.allocate(p.len);
      std::memcpy(dst, p.data, p.len);
      lo = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(dst));
    }
    s.lo = lo;
    s.hi = p.hi;
  }
  static void relocate(ByteSlot& dst, const ByteSlot& src, KeyArena& to) {
    dst = src;
    if (is_long_key(src)) {
      const ByteView v = key_bytes(src);
      uint8_t* p = to.allocate_relocated(v.len);
      std::memcpy(p, v.data, v.len);
      dst.lo = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p));
    }
  }
  static void prefetch_stored(const ByteSlot& s) {
    if (is_long_key(s)) {
      prefetch_read(reinterpret_cast<const void*>(static_cast<uintptr_t>(s.lo)));
    }
  }
  static void forget(const ByteSlot& s, KeyArena& arena) {
    if (is_long_key(s)) arena.forget(static_cast<uint32_t>(s.hi));
  }
};

// ---- fixed-width keys ----
//
// A FixedKey<N> is keySize bytes zero-padded to the size class N (see
// core/fixed_map.h for the classes and why). Stored keys and probes are both
// padded, so equality compares N bytes as N/8 words with no length loop, and
// the hash covers the N padded bytes (for a given map keySize is fixed, so
// that is as good a key as the unpadded bytes, and every class boundary sits
// on a boundary of the hash kernels' length tiers, so it costs no more).
template <size_t N>
struct alignas(8) FixedKey {
  static_assert(N % 8 == 0 && N >= 8, "size classes are multiples of 8");
  uint8_t b[N];

  // Pads [data, data+size), size <= N; reads only those bytes.
  void assign(const uint8_t* data, size_t size) {
    std::memcpy(b, data, size);
    std::memset(b + size, 0, N - size);
  }
};

template <size_t N>
struct FixedKeyPolicy {
  using Key = FixedKey<N>;
  using Probe = const FixedKey<N>&;

  static bool equal(const Key& s, const Key& p) {
    uint64_t diff = 0;
    for (size_t i = 0; i < N; i += 8)
      diff |= bytes_detail::load8(s.b + i) ^ bytes_detail::load8(p.b + i);
    return diff == 0;
  }
  static uint64_t hash(const Hasher& h, const Key& k) { return h.kernel->bytes(k.b, N, h.seed); }
  static uint64_t hash_stored(const Hasher& h, const Key& k) {
    return h.kernel->bytes(k.b, N, h.seed);
  }
  static void store(Key& s, const Key& p) { s = p; }
};

}  // namespace tophash::core
