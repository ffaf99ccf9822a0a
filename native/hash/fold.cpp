// kHashFold: the scalar multiply-fold family (in the spirit of foldhash and
// wyhash), for CPUs or builds where AES is not the better choice and for
// short keys, where two dependent multiplies beat three AES rounds.
//
// fm(a, b) = lo ^ hi of the 128-bit product a*b. A 64x64 multiply spreads
// every input bit over the high half and every low input bit over the low
// half; folding the two halves gives output bits that depend on all input
// bits at both ends, which is what the table needs (top 8 bits = tophash,
// low bits = bucket).
//
// Seed words s[0..7] (expand_seed). For every length:
//   st = fm(s0 ^ len, s1)       seed and length, mixed nonlinearly, before data
//   len <= 16: (a, b) = page-safe overlapping loads (8+8, 4+4 or 1/2/3 bytes)
//              (lo, hi) = a ^ s2 times b ^ st;  h = fm(lo ^ s4, hi ^ s5)
//   17..32:    x = fm(w0 ^ s2, w1 ^ st), y = fm(w2 ^ s3, w3 ^ st) over the first
//              and last 16 bytes;  h = fm(x ^ s4, y ^ s5)
//   33..64:    four such products over the first and last 32 bytes (s2 s3 s6 s7),
//              h = fm(x0 ^ x2 ^ s4, x1 ^ x3 ^ s5)
//   > 64:      four accumulators acc_i = st ^ c_i, c = (s2, s3, s6, s7); for each
//              64-byte chunk (then the last 64 bytes, overlapping)
//              acc_i = fm(w_2i ^ acc_i, w_2i+1 ^ c_i); h = fm(acc0^acc2^s4, acc1^acc3^s5)
// u64(k) is the len-8 case (a = b = k).
//
// Why the length goes through a multiply with a secret: a length folded in by
// xor alone is a known difference, and for lengths 9..16 the overlapping loads
// leave enough freedom to build two keys of different lengths whose words
// differ by exactly that xor, colliding under every seed.
// As with wyhash, a word equal to its (secret) xor constant zeroes a product;
// an attacker who cannot see the seed hits that with probability 2^-64.
#include <cstring>

#include "hash/hash.h"
#include "hash/load.h"

namespace tophash::hash {
namespace {

inline uint64_t r8(const uint8_t* p) { return load_le64(p); }
inline uint64_t r4(const uint8_t* p) { return load_le32(p); }

#if defined(__SIZEOF_INT128__)
__extension__ typedef unsigned __int128 u128;
inline void mul(uint64_t a, uint64_t b, uint64_t& lo, uint64_t& hi) {
  u128 p = static_cast<u128>(a) * b;
  lo = static_cast<uint64_t>(p);
  hi = static_cast<uint64_t>(p >> 64);
}
#else
inline void mul(uint64_t a, uint64_t b, uint64_t& lo, uint64_t& hi) {
  uint64_t al = a & 0xffffffff, ah = a >> 32, bl = b & 0xffffffff, bh = b >> 32;
  uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
  uint64_t mid = (ll >> 32) + (lh & 0xffffffff) + (hl & 0xffffffff);
  lo = (ll & 0xffffffff) | (mid << 32);
  hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}
#endif

inline uint64_t fm(uint64_t a, uint64_t b) {
  uint64_t lo, hi;
  mul(a, b, lo, hi);
  return lo ^ hi;
}

inline uint64_t start(const uint64_t* s, size_t len) { return fm(s[0] ^ uint64_t(len), s[1]); }

inline uint64_t short8(uint64_t a, uint64_t b, uint64_t st, const uint64_t* s) {
  uint64_t lo, hi;
  mul(a ^ s[2], b ^ st, lo, hi);
  return fm(lo ^ s[4], hi ^ s[5]);
}

__attribute__((noinline)) uint64_t hash_long(const uint8_t* p, size_t len, uint64_t st,
                                             const uint64_t* s) {
  const uint64_t c0 = s[2], c1 = s[3], c2 = s[6], c3 = s[7];
  uint64_t a0 = st ^ c0, a1 = st ^ c1, a2 = st ^ c2, a3 = st ^ c3;
  const uint8_t* end = p + len;
  for (; p + 64 < end; p += 64) {
    a0 = fm(r8(p) ^ a0, r8(p + 8) ^ c0);
    a1 = fm(r8(p + 16) ^ a1, r8(p + 24) ^ c1);
    a2 = fm(r8(p + 32) ^ a2, r8(p + 40) ^ c2);
    a3 = fm(r8(p + 48) ^ a3, r8(p + 56) ^ c3);
  }
  p = end - 64;
  a0 = fm(r8(p) ^ a0, r8(p + 8) ^ c0);
  a1 = fm(r8(p + 16) ^ a1, r8(p + 24) ^ c1);
  a2 = fm(r8(p + 32) ^ a2, r8(p + 40) ^ c2);
  a3 = fm(r8(p + 48) ^ a3, r8(p + 56) ^ c3);
  return fm(a0 ^ a2 ^ s[4], a1 ^ a3 ^ s[5]);
}

// st = start(s, len), passed in so a batch of one key length computes it once.
inline uint64_t hash_from(const uint8_t* p, size_t len, uint64_t st, const uint64_t* s) {
  if (len <= 16) {
    uint64_t a, b;
    if (len >= 8) {
      a = r8(p);
      b = r8(p + len - 8);
    } else if (len >= 4) {
      a = r4(p);
      b = r4(p + len - 4);
    } else if (len > 0) {
      a = uint64_t{p[0]} | uint64_t{p[len / 2]} << 8 | uint64_t{p[len - 1]} << 16;
      b = 0;
    } else {
      a = b = 0;
    }
    return short8(a, b, st, s);
  }
  if (len <= 32) {
    uint64_t x = fm(r8(p) ^ s[2], r8(p + 8) ^ st);
    uint64_t y = fm(r8(p + len - 16) ^ s[3], r8(p + len - 8) ^ st);
    return fm(x ^ s[4], y ^ s[5]);
  }
  if (len <= 64) {
    const uint8_t* q = p + len - 32;
    uint64_t x0 = fm(r8(p) ^ s[2], r8(p + 8) ^ st);
    uint64_t x1 = fm(r8(p + 16) ^ s[3], r8(p + 24) ^ st);
    uint64_t x2 = fm(r8(q) ^ s[6], r8(q + 8) ^ st);
    uint64_t x3 = fm(r8(q + 16) ^ s[7], r8(q + 24) ^ st);
    return fm(x0 ^ x2 ^ s[4], x1 ^ x3 ^ s[5]);
  }
  return hash_long(p, len, st, s);
}

inline uint64_t hash_bytes(const uint8_t* p, size_t len, const uint64_t* s) {
  return hash_from(p, len, start(s, len), s);
}

uint64_t f_bytes(const void* data, size_t len, const Seed& seed) {
  return hash_bytes(static_cast<const uint8_t*>(data), len, seed.k);
}

uint64_t f_u64(uint64_t key, const Seed& seed) {
  return short8(key, key, start(seed.k, 8), seed.k);
}

void f_u64_many(const uint64_t* keys, size_t n, const Seed& seed, uint64_t* out) {
  const uint64_t* s = seed.k;
  const uint64_t st = start(s, 8);
  // Iterations are independent, so the core overlaps the multiplies of
  // neighbouring keys by itself; 4 per iteration just trims loop overhead.
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    out[i] = short8(keys[i], keys[i], st, s);
    out[i + 1] = short8(keys[i + 1], keys[i + 1], st, s);
    out[i + 2] = short8(keys[i + 2], keys[i + 2], st, s);
    out[i + 3] = short8(keys[i + 3], keys[i + 3], st, s);
  }
  for (; i < n; ++i) out[i] = short8(keys[i], keys[i], st, s);
}

void f_bytes_many(const uint8_t* data, const uint32_t* offsets, size_t n, const Seed& seed,
                  uint64_t* out) {
  for (size_t i = 0; i < n; ++i)
    out[i] = hash_bytes(data + offsets[i], offsets[i + 1] - offsets[i], seed.k);
}

void f_bytes_fixed(const uint8_t* data, size_t key_size, size_t n, const Seed& seed,
                   uint64_t* out) {
  const uint64_t st = start(seed.k, key_size);
  for (size_t i = 0; i < n; ++i) out[i] = hash_from(data + i * key_size, key_size, st, seed.k);
}

}  // namespace

const HashKernel kHashFold = {
    "fold", Family::kFold, 0, f_bytes, f_u64, f_u64_many, f_bytes_many, f_bytes_fixed,
};

}  // namespace tophash::hash
