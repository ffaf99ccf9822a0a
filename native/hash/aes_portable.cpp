// kHashAesPortable: the AES hash family (aes_family.h) in plain C++.
//
// It is the oracle for the AES-NI and VAES kernels and the fallback where
// neither exists, so it favours being obviously equal to the instruction over
// speed: the round is the textbook T-table formulation of AESENC, built at
// compile time from the S-box, on little-endian 32-bit columns, which makes it
// independent of host byte order. Table lookups indexed by data are not
// constant-time; that is acceptable for a hash-table hash (and it only runs
// on CPUs without AES instructions).
#include <cstring>

#include "hash/aes_family.h"
#include "hash/hash.h"

namespace tophash::hash {
namespace {

constexpr uint8_t kSbox[256] = {
    0x63, 0x7c, 0x77, 0x7b, 0xf2, 0x6b, 0x6f, 0xc5, 0x30, 0x01, 0x67, 0x2b, 0xfe, 0xd7, 0xab, 0x76,
    0xca, 0x82, 0xc9, 0x7d, 0xfa, 0x59, 0x47, 0xf0, 0xad, 0xd4, 0xa2, 0xaf, 0x9c, 0xa4, 0x72, 0xc0,
    0xb7, 0xfd, 0x93, 0x26, 0x36, 0x3f, 0xf7, 0xcc, 0x34, 0xa5, 0xe5, 0xf1, 0x71, 0xd8, 0x31, 0x15,
    0x04, 0xc7, 0x23, 0xc3, 0x18, 0x96, 0x05, 0x9a, 0x07, 0x12, 0x80, 0xe2, 0xeb, 0x27, 0xb2, 0x75,
    0x09, 0x83, 0x2c, 0x1a, 0x1b, 0x6e, 0x5a, 0xa0, 0x52, 0x3b, 0xd6, 0xb3, 0x29, 0xe3, 0x2f, 0x84,
    0x53, 0xd1, 0x00, 0xed, 0x20, 0xfc, 0xb1, 0x5b, 0x6a, 0xcb, 0xbe, 0x39, 0x4a, 0x4c, 0x58, 0xcf,
    0xd0, 0xef, 0xaa, 0xfb, 0x43, 0x4d, 0x33, 0x85, 0x45, 0xf9, 0x02, 0x7f, 0x50, 0x3c, 0x9f, 0xa8,
    0x51, 0xa3, 0x40, 0x8f, 0x92, 0x9d, 0x38, 0xf5, 0xbc, 0xb6, 0xda, 0x21, 0x10, 0xff, 0xf3, 0xd2,
    0xcd, 0x0c, 0x13, 0xec, 0x5f, 0x97, 0x44, 0x17, 0xc4, 0xa7, 0x7e, 0x3d, 0x64, 0x5d, 0x19, 0x73,
    0x60, 0x81, 0x4f, 0xdc, 0x22, 0x2a, 0x90, 0x88, 0x46, 0xee, 0xb8, 0x14, 0xde, 0x5e, 0x0b, 0xdb,
    0xe0, 0x32, 0x3a, 0x0a, 0x49, 0x06, 0x24, 0x5c, 0xc2, 0xd3, 0xac, 0x62, 0x91, 0x95, 0xe4, 0x79,
    0xe7, 0xc8, 0x37, 0x6d, 0x8d, 0xd5, 0x4e, 0xa9, 0x6c, 0x56, 0xf4, 0xea, 0x65, 0x7a, 0xae, 0x08,
    0xba, 0x78, 0x25, 0x2e, 0x1c, 0xa6, 0xb4, 0xc6, 0xe8, 0xdd, 0x74, 0x1f, 0x4b, 0xbd, 0x8b, 0x8a,
    0x70, 0x3e, 0xb5, 0x66, 0x48, 0x03, 0xf6, 0x0e, 0x61, 0x35, 0x57, 0xb9, 0x86, 0xc1, 0x1d, 0x9e,
    0xe1, 0xf8, 0x98, 0x11, 0x69, 0xd9, 0x8e, 0x94, 0x9b, 0x1e, 0x87, 0xe9, 0xce, 0x55, 0x28, 0xdf,
    0x8c, 0xa1, 0x89, 0x0d, 0xbf, 0xe6, 0x42, 0x68, 0x41, 0x99, 0x2d, 0x0f, 0xb0, 0x54, 0xbb, 0x16,
};

// T[r][x]: the MixColumns column contributed by S(x) sitting in row r after
// ShiftRows, as a little-endian u32 (row 0 in bits 0..7). Row 0 contributes
// (2,1,1,3)*S(x); each further row is the same column rotated by one byte.
struct TTables {
  uint32_t t[4][256];
};

constexpr uint8_t xtime(uint8_t x) { return uint8_t((x << 1) ^ ((x & 0x80) ? 0x1b : 0)); }

constexpr TTables make_tables() {
  TTables tt{};
  for (int x = 0; x < 256; ++x) {
    uint8_t s = kSbox[x];
    uint8_t s2 = xtime(s);
    uint8_t s3 = uint8_t(s2 ^ s);
    uint32_t t0 = uint32_t(s2) | uint32_t(s) << 8 | uint32_t(s) << 16 | uint32_t(s3) << 24;
    tt.t[0][x] = t0;
    tt.t[1][x] = (t0 << 8) | (t0 >> 24);
    tt.t[2][x] = (t0 << 16) | (t0 >> 16);
    tt.t[3][x] = (t0 << 24) | (t0 >> 8);
  }
  return tt;
}

constexpr TTables kT = make_tables();

struct Blk {
  uint64_t lo, hi;
};

inline Blk x(Blk a, Blk b) { return {a.lo ^ b.lo, a.hi ^ b.hi}; }
inline Blk add64(Blk a, Blk b) { return {a.lo + b.lo, a.hi + b.hi}; }

// AESENC. Column c of the result takes row r from input column (c + r) mod 4
// (ShiftRows), through the S-box, mixed by the T-tables, then the round key.
inline Blk E(Blk s, Blk k) {
  const uint32_t c0 = uint32_t(s.lo), c1 = uint32_t(s.lo >> 32);
  const uint32_t c2 = uint32_t(s.hi), c3 = uint32_t(s.hi >> 32);
  const auto& T = kT.t;
  uint32_t o0 = T[0][c0 & 0xff] ^ T[1][(c1 >> 8) & 0xff] ^ T[2][(c2 >> 16) & 0xff] ^ T[3][c3 >> 24];
  uint32_t o1 = T[0][c1 & 0xff] ^ T[1][(c2 >> 8) & 0xff] ^ T[2][(c3 >> 16) & 0xff] ^ T[3][c0 >> 24];
  uint32_t o2 = T[0][c2 & 0xff] ^ T[1][(c3 >> 8) & 0xff] ^ T[2][(c0 >> 16) & 0xff] ^ T[3][c1 >> 24];
  uint32_t o3 = T[0][c3 & 0xff] ^ T[1][(c0 >> 8) & 0xff] ^ T[2][(c1 >> 16) & 0xff] ^ T[3][c2 >> 24];
  return {(uint64_t(o0) | uint64_t(o1) << 32) ^ k.lo, (uint64_t(o2) | uint64_t(o3) << 32) ^ k.hi};
}

inline Blk load16(const uint8_t* p) { return {aesfam::load_le64(p), aesfam::load_le64(p + 8)}; }

struct Keys {
  Blk k0, k1, k2, k3;
  const uint64_t* words;  // Seed::k, for the start of longer keys
  const uint64_t (*short_start)[2];  // Seed::aes_start
  explicit Keys(const Seed& s)
      : k0{s.k[0], s.k[1]},
        k1{s.k[2], s.k[3]},
        k2{s.k[4], s.k[5]},
        k3{s.k[6], s.k[7]},
        words(s.k),
        short_start(s.aes_start) {}
};

// The three rounds of S(len), from the seed words alone.
inline Blk start_rounds(const uint64_t* k, size_t len) {
  return E(E(E(x(Blk{k[0], k[1]}, Blk{uint64_t(len), 0}), Blk{k[2], k[3]}), Blk{k[4], k[5]}),
           Blk{k[6], k[7]});
}

// S(len): read from the seed up to 16 bytes, else three rounds.
inline Blk start(const Keys& K, size_t len) {
  if (len <= aesfam::kShortMax) return Blk{K.short_start[len][0], K.short_start[len][1]};
  return start_rounds(K.words, len);
}

// fin_m of aes_family.h; v is clobbered.
template <int m>
inline uint64_t fin(Blk* v, const Keys& K) {
  for (int i = 0; i < m; ++i) v[i] = E(v[i], K.k1);
  if (m == 1) v[0] = E(v[0], K.k0);  // one lane: the tree is a round keyed by K0
  for (int h = m / 2; h >= 1; h /= 2)
    for (int j = 0; j < h; ++j) v[j] = E(v[j], v[j + h]);
  return E(E(v[0], K.k2), K.k3).lo;
}

inline uint64_t fin1(Blk b, const Keys& K) { return fin<1>(&b, K); }

// 17..128 bytes: m lanes, the first m/2 blocks from the front and the last
// m/2 from the back.
template <int m>
uint64_t hash_mid(const uint8_t* p, size_t len, const Keys& K, Blk lane) {
  Blk v[m];
  const uint8_t* back = p + len - 16 * (m / 2);
  for (int i = 0; i < m; ++i, lane = add64(lane, K.k2)) {
    const uint8_t* q = i < m / 2 ? p + 16 * i : back + 16 * (i - m / 2);
    v[i] = x(load16(q), lane);
  }
  return fin<m>(v, K);
}

uint64_t hash_long(const uint8_t* p, size_t len, const Keys& K, Blk lane) {
  Blk v[8];
  for (int i = 0; i < 8; ++i, lane = add64(lane, K.k2)) v[i] = lane;
  auto absorb = [&](const uint8_t* q) {
    for (int i = 0; i < 8; ++i) v[i] = E(v[i], E(x(load16(q + 16 * i), K.k2), K.k3));
  };
  const uint8_t* end = p + len;
  for (; p + aesfam::kChunk < end; p += aesfam::kChunk) absorb(p);
  absorb(end - aesfam::kChunk);
  return fin<8>(v, K);
}

// S = start(K, len), passed in so a batch of one key length computes it once.
inline uint64_t hash_from(const uint8_t* p, size_t len, const Keys& K, const Blk S) {
  if (len <= aesfam::kShortMax) {
    Blk b;
    aesfam::load_upto16(p, len, b.lo, b.hi);
    return fin1(x(b, S), K);
  }
  if (len <= 32) return hash_mid<2>(p, len, K, S);
  if (len <= 64) return hash_mid<4>(p, len, K, S);
  if (len <= aesfam::kChunk) return hash_mid<8>(p, len, K, S);
  return hash_long(p, len, K, S);
}

inline uint64_t hash_bytes(const uint8_t* p, size_t len, const Keys& K) {
  return hash_from(p, len, K, start(K, len));
}

uint64_t p_bytes(const void* data, size_t len, const Seed& seed) {
  return hash_bytes(static_cast<const uint8_t*>(data), len, Keys(seed));
}

uint64_t p_u64(uint64_t key, const Seed& seed) {
  const Keys K(seed);
  return fin1(x(Blk{key, 0}, start(K, 8)), K);
}

void p_u64_many(const uint64_t* keys, size_t n, const Seed& seed, uint64_t* out) {
  const Keys K(seed);
  const Blk S = start(K, 8);
  for (size_t i = 0; i < n; ++i) out[i] = fin1(x(Blk{keys[i], 0}, S), K);
}

void p_bytes_many(const uint8_t* data, const uint32_t* offsets, size_t n, const Seed& seed,
                  uint64_t* out) {
  const Keys K(seed);
  for (size_t i = 0; i < n; ++i)
    out[i] = hash_bytes(data + offsets[i], offsets[i + 1] - offsets[i], K);
}

void p_bytes_fixed(const uint8_t* data, size_t key_size, size_t n, const Seed& seed,
                   uint64_t* out) {
  const Keys K(seed);
  const Blk S = start(K, key_size);
  for (size_t i = 0; i < n; ++i) out[i] = hash_from(data + i * key_size, key_size, K, S);
}

}  // namespace

namespace aesfam {
void aesenc_portable(const uint8_t state[16], const uint8_t key[16], uint8_t out[16]) {
  Blk r = E(load16(state), load16(key));
  for (int i = 0; i < 8; ++i) {
    out[i] = uint8_t(r.lo >> (8 * i));
    out[8 + i] = uint8_t(r.hi >> (8 * i));
  }
}

void start_portable(const uint64_t k[8], size_t len, uint64_t out[2]) {
  const Blk S = start_rounds(k, len);
  out[0] = S.lo;
  out[1] = S.hi;
}
}  // namespace aesfam

const HashKernel kHashAesPortable = {
    "aes-portable", Family::kAes, 0, p_bytes, p_u64, p_u64_many, p_bytes_many, p_bytes_fixed,
};

}  // namespace tophash::hash
