// kHashAes (AES-NI) and kHashVaes (VAES on 256-bit registers): the AES family
// of aes_family.h in hardware, bit-identical to kHashAesPortable.
//
// This file is compiled without -maes/-mavx2 so the addon still loads on an
// SSE2-only CPU: every function that touches an intrinsic carries a target
// attribute, and the kernels are only called after cpu::has_all(needs).
// Helpers are always_inline with the *smaller* target ("aes,sse4.1"), which
// GCC lets a "vaes,avx2,aes" caller inline (its ISA is a superset), so the
// VAES kernel reuses the short paths VEX-encoded.
//
// Where the time goes (Zen 3: AESENC latency 4, two per cycle, 128 or 256 bit):
//   - <= 128 bytes: latency-bound (4-5 dependent rounds); both kernels share code.
//   - > 128 bytes: the lane chain costs one round per 128-byte chunk, so AES-NI
//     is bound by its 16 rounds per chunk (16 B/cycle) and VAES by 8 (32 B/cycle).
//   - u64_many and 16-byte bytes_fixed: 8 (AES-NI) or 16 (VAES, two per
//     register) keys in flight, four rounds each.
#if defined(__x86_64__)

#include <immintrin.h>
#include <wmmintrin.h>

#include "cpu/cpu_features.h"
#include "hash/aes_family.h"
#include "hash/hash.h"

#define TH_NI __attribute__((target("aes,sse4.1")))
#define TH_NI_INLINE inline __attribute__((always_inline, target("aes,sse4.1")))
#define TH_VAES __attribute__((target("vaes,avx2,aes")))
#define TH_VAES_INLINE inline __attribute__((always_inline, target("vaes,avx2,aes")))

namespace tophash::hash {
namespace {

using aesfam::kChunk;

struct Keys {
  __m128i k0, k1, k2, k3;
  const Seed* seed;  // for the precomputed starts of short keys
};

TH_NI_INLINE Keys load_keys(const Seed& s) {
  const __m128i* p = reinterpret_cast<const __m128i*>(s.k);
  return {_mm_load_si128(p), _mm_load_si128(p + 1), _mm_load_si128(p + 2), _mm_load_si128(p + 3),
          &s};
}

TH_NI_INLINE __m128i E(__m128i x, __m128i k) { return _mm_aesenc_si128(x, k); }
TH_NI_INLINE __m128i X(__m128i a, __m128i b) { return _mm_xor_si128(a, b); }
TH_NI_INLINE __m128i A(__m128i a, __m128i b) { return _mm_add_epi64(a, b); }
TH_NI_INLINE __m128i L(const uint8_t* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

TH_NI_INLINE __m128i start_rounds(const Keys& K, size_t len) {
  return E(E(E(X(K.k0, _mm_cvtsi64_si128(static_cast<long long>(len))), K.k1), K.k2), K.k3);
}

// S(len) of aes_family.h: read from the seed up to 16 bytes, else three rounds.
TH_NI_INLINE __m128i start(const Keys& K, size_t len) {
  if (len <= aesfam::kShortMax)
    return _mm_load_si128(reinterpret_cast<const __m128i*>(K.seed->aes_start[len]));
  return start_rounds(K, len);
}

TH_NI_INLINE uint64_t out64(__m128i x) { return static_cast<uint64_t>(_mm_cvtsi128_si64(x)); }

// fin_1: with one lane the tree is a round keyed by K0, so the block sees four rounds.
TH_NI_INLINE uint64_t fin1(__m128i x, const Keys& K) {
  return out64(E(E(E(E(x, K.k1), K.k0), K.k2), K.k3));
}

TH_NI_INLINE uint64_t fin2(__m128i a, __m128i b, const Keys& K) {
  a = E(a, K.k1);
  b = E(b, K.k1);
  return out64(E(E(E(a, b), K.k2), K.k3));
}

TH_NI_INLINE uint64_t fin4(__m128i a, __m128i b, __m128i c, __m128i d, const Keys& K) {
  a = E(a, K.k1);
  b = E(b, K.k1);
  c = E(c, K.k1);
  d = E(d, K.k1);
  a = E(a, c);
  b = E(b, d);
  return out64(E(E(E(a, b), K.k2), K.k3));
}

TH_NI_INLINE uint64_t fin8(__m128i* v, const Keys& K) {
  for (int i = 0; i < 8; ++i) v[i] = E(v[i], K.k1);
  for (int j = 0; j < 4; ++j) v[j] = E(v[j], v[j + 4]);
  v[0] = E(v[0], v[2]);
  v[1] = E(v[1], v[3]);
  return out64(E(E(E(v[0], v[1]), K.k2), K.k3));
}

// The zero-padded block of aes_family.h's load_upto16, built in XMM registers
// for 8..16 bytes: the second read ends at len, and psrlq by 8*(16-len) drops
// the bytes the first read already has (a count of 64 gives 0, so len == 8
// needs no special case).
TH_NI_INLINE __m128i load_short(const uint8_t* p, size_t len) {
  if (len >= 8) {
    const __m128i lo = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
    const __m128i hi = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + len - 8));
    return _mm_unpacklo_epi64(lo, _mm_srl_epi64(hi, _mm_cvtsi32_si128(int(8 * (16 - len)))));
  }
  uint64_t lo, hi;
  aesfam::load_upto16(p, len, lo, hi);
  return _mm_cvtsi64_si128(static_cast<long long>(lo));
}

TH_NI_INLINE uint64_t hash_short(const uint8_t* p, size_t len, const Keys& K, __m128i S) {
  return fin1(X(load_short(p, len), S), K);
}

// 17..128 bytes: one block per lane, no chain.
TH_NI_INLINE uint64_t hash_mid(const uint8_t* p, size_t len, const Keys& K, __m128i S) {
  const __m128i S1 = A(S, K.k2);
  if (len <= 32) return fin2(X(L(p), S), X(L(p + len - 16), S1), K);
  const __m128i S2 = A(S1, K.k2), S3 = A(S2, K.k2);
  if (len <= 64) {
    const uint8_t* q = p + len - 32;
    return fin4(X(L(p), S), X(L(p + 16), S1), X(L(q), S2), X(L(q + 16), S3), K);
  }
  const __m128i S4 = A(S3, K.k2), S5 = A(S4, K.k2), S6 = A(S5, K.k2), S7 = A(S6, K.k2);
  const uint8_t* q = p + len - 64;
  __m128i v[8] = {X(L(p), S),  X(L(p + 16), S1), X(L(p + 32), S2), X(L(p + 48), S3),
                  X(L(q), S4), X(L(q + 16), S5), X(L(q + 32), S6), X(L(q + 48), S7)};
  return fin8(v, K);
}

TH_NI_INLINE void absorb8(__m128i* v, const uint8_t* q, __m128i k2, __m128i k3) {
  for (int i = 0; i < 8; ++i) v[i] = E(v[i], E(X(L(q + 16 * i), k2), k3));
}

// > 128 bytes, 8 lanes in XMM registers.
TH_NI __attribute__((noinline)) uint64_t hash_long_ni(const uint8_t* p, size_t len, const Keys& K,
                                                      __m128i S) {
  __m128i v[8];
  v[0] = S;
  for (int i = 1; i < 8; ++i) v[i] = A(v[i - 1], K.k2);
  const __m128i k2 = K.k2, k3 = K.k3;
  const uint8_t* end = p + len;
  for (; p + kChunk < end; p += kChunk) absorb8(v, p, k2, k3);
  absorb8(v, end - kChunk, k2, k3);
  return fin8(v, K);
}

// S = start(K, len), passed in so a batch of one key length computes it once.
TH_NI_INLINE uint64_t ni_hash_from(const uint8_t* p, size_t len, const Keys& K, __m128i S) {
  if (len <= aesfam::kShortMax) return hash_short(p, len, K, S);
  if (len <= kChunk) return hash_mid(p, len, K, S);
  return hash_long_ni(p, len, K, S);
}

TH_NI_INLINE uint64_t ni_hash(const uint8_t* p, size_t len, const Keys& K) {
  return ni_hash_from(p, len, K, start(K, len));
}

TH_NI uint64_t ni_bytes(const void* data, size_t len, const Seed& seed) {
  return ni_hash(static_cast<const uint8_t*>(data), len, load_keys(seed));
}

TH_NI uint64_t ni_u64(uint64_t key, const Seed& seed) {
  const Keys K = load_keys(seed);
  return fin1(X(_mm_cvtsi64_si128(static_cast<long long>(key)), start(K, 8)), K);
}

// Two keys per load: unpack into (k, 0) blocks, hash, and pack the low
// halves of two results back into one store. `keys` is bytes, not u64s, so
// 8-byte keys at any alignment (bytes_fixed) share it.
TH_NI_INLINE void ni_u64_x2(const uint8_t* keys, uint64_t* out, __m128i S8, const Keys& K,
                            int pairs) {
  __m128i a[8], b[8];
  const __m128i z = _mm_setzero_si128();
  for (int j = 0; j < pairs; ++j) {
    __m128i k = L(keys + 16 * j);
    a[j] = X(_mm_unpacklo_epi64(k, z), S8);
    b[j] = X(_mm_unpackhi_epi64(k, z), S8);
  }
  for (int j = 0; j < pairs; ++j) a[j] = E(a[j], K.k1), b[j] = E(b[j], K.k1);
  for (int j = 0; j < pairs; ++j) a[j] = E(a[j], K.k0), b[j] = E(b[j], K.k0);
  for (int j = 0; j < pairs; ++j) a[j] = E(a[j], K.k2), b[j] = E(b[j], K.k2);
  for (int j = 0; j < pairs; ++j) a[j] = E(a[j], K.k3), b[j] = E(b[j], K.k3);
  for (int j = 0; j < pairs; ++j)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 2 * j), _mm_unpacklo_epi64(a[j], b[j]));
}

TH_NI void ni_u64_many(const uint64_t* keys, size_t n, const Seed& seed, uint64_t* out) {
  const Keys K = load_keys(seed);
  const __m128i S8 = start(K, 8);
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    ni_u64_x2(reinterpret_cast<const uint8_t*>(keys + i), out + i, S8, K, 4);
  for (; i < n; ++i) out[i] = fin1(X(_mm_cvtsi64_si128(static_cast<long long>(keys[i])), S8), K);
}

TH_NI void ni_bytes_many(const uint8_t* data, const uint32_t* offsets, size_t n, const Seed& seed,
                         uint64_t* out) {
  const Keys K = load_keys(seed);
  for (size_t i = 0; i < n; ++i)
    out[i] = ni_hash(data + offsets[i], offsets[i + 1] - offsets[i], K);
}

// Eight 16-byte keys: each is exactly one block (no tail assembly) and S is
// the batch's, so a key costs four rounds; eight chains cover their latency.
TH_NI_INLINE void ni_fixed16_x8(const uint8_t* p, uint64_t* out, __m128i S, const Keys& K) {
  __m128i v[8];
  for (int j = 0; j < 8; ++j) v[j] = X(L(p + 16 * j), S);
  for (int j = 0; j < 8; ++j) v[j] = E(v[j], K.k1);
  for (int j = 0; j < 8; ++j) v[j] = E(v[j], K.k0);
  for (int j = 0; j < 8; ++j) v[j] = E(v[j], K.k2);
  for (int j = 0; j < 8; ++j) v[j] = E(v[j], K.k3);
  for (int j = 0; j < 4; ++j)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 2 * j),
                     _mm_unpacklo_epi64(v[2 * j], v[2 * j + 1]));
}

TH_NI void ni_bytes_fixed(const uint8_t* data, size_t key_size, size_t n, const Seed& seed,
                          uint64_t* out) {
  const Keys K = load_keys(seed);
  const __m128i S = start(K, key_size);
  size_t i = 0;
  if (key_size == 16)
    for (; i + 8 <= n; i += 8) ni_fixed16_x8(data + 16 * i, out + i, S, K);
  if (key_size == 8)  // u64 keys as bytes: the u64_many loop
    for (; i + 8 <= n; i += 8) ni_u64_x2(data + 8 * i, out + i, S, K, 4);
  for (; i < n; ++i) out[i] = ni_hash_from(data + i * key_size, key_size, K, S);
}

// ---- VAES: lanes (2i, 2i+1) share one 256-bit register. ----

TH_VAES_INLINE __m256i E2(__m256i x, __m256i k) { return _mm256_aesenc_epi128(x, k); }
TH_VAES_INLINE __m256i L2(const uint8_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}
TH_VAES_INLINE __m256i B2(__m128i x) { return _mm256_broadcastsi128_si256(x); }

TH_VAES_INLINE void absorb8x2(__m256i& v0, __m256i& v1, __m256i& v2, __m256i& v3, const uint8_t* q,
                              __m256i k2, __m256i k3) {
  v0 = E2(v0, E2(_mm256_xor_si256(L2(q), k2), k3));
  v1 = E2(v1, E2(_mm256_xor_si256(L2(q + 32), k2), k3));
  v2 = E2(v2, E2(_mm256_xor_si256(L2(q + 64), k2), k3));
  v3 = E2(v3, E2(_mm256_xor_si256(L2(q + 96), k2), k3));
}

TH_VAES __attribute__((noinline)) uint64_t hash_long_vaes(const uint8_t* p, size_t len,
                                                          const Keys& K, __m128i S) {
  const __m256i k2 = B2(K.k2), k3 = B2(K.k3);
  // (S0, S1) = S + (0, K2); each next register is 2*K2 further.
  __m256i v0 = _mm256_add_epi64(B2(S), _mm256_set_m128i(K.k2, _mm_setzero_si128()));
  const __m256i step = _mm256_add_epi64(k2, k2);
  __m256i v1 = _mm256_add_epi64(v0, step);
  __m256i v2 = _mm256_add_epi64(v1, step);
  __m256i v3 = _mm256_add_epi64(v2, step);
  const uint8_t* end = p + len;
  for (; p + 2 * kChunk < end; p += 2 * kChunk) {
    absorb8x2(v0, v1, v2, v3, p, k2, k3);
    absorb8x2(v0, v1, v2, v3, p + kChunk, k2, k3);
  }
  if (p + kChunk < end) absorb8x2(v0, v1, v2, v3, p, k2, k3);
  absorb8x2(v0, v1, v2, v3, end - kChunk, k2, k3);
  // fin_8: the tree pairs lane j with j+4 and then j+2, which are the same
  // positions in the other registers, so only the last step crosses halves.
  const __m256i k1 = B2(K.k1);
  v0 = E2(v0, k1);
  v1 = E2(v1, k1);
  v2 = E2(v2, k1);
  v3 = E2(v3, k1);
  v0 = E2(v0, v2);
  v1 = E2(v1, v3);
  v0 = E2(v0, v1);
  __m128i x = E(_mm256_castsi256_si128(v0), _mm256_extracti128_si256(v0, 1));
  return out64(E(E(x, K.k2), K.k3));
}

TH_VAES_INLINE uint64_t vaes_hash_from(const uint8_t* p, size_t len, const Keys& K, __m128i S) {
  if (len <= aesfam::kShortMax) return hash_short(p, len, K, S);
  if (len <= kChunk) return hash_mid(p, len, K, S);
  return hash_long_vaes(p, len, K, S);
}

TH_VAES_INLINE uint64_t vaes_hash(const uint8_t* p, size_t len, const Keys& K) {
  return vaes_hash_from(p, len, K, start(K, len));
}

TH_VAES uint64_t vaes_bytes(const void* data, size_t len, const Seed& seed) {
  return vaes_hash(static_cast<const uint8_t*>(data), len, load_keys(seed));
}

TH_VAES void vaes_bytes_many(const uint8_t* data, const uint32_t* offsets, size_t n,
                             const Seed& seed, uint64_t* out) {
  const Keys K = load_keys(seed);
  for (size_t i = 0; i < n; ++i)
    out[i] = vaes_hash(data + offsets[i], offsets[i + 1] - offsets[i], K);
}

// The round keys in both halves of a 256-bit register.
struct Keys2 {
  __m256i k0, k1, k2, k3;
};

TH_VAES_INLINE Keys2 broadcast_keys(const Keys& K) {
  return {B2(K.k0), B2(K.k1), B2(K.k2), B2(K.k3)};
}

// fin_1's four rounds on n registers of two blocks each.
template <int n>
TH_VAES_INLINE void fin1_x2(__m256i* v, const Keys2& K) {
  for (int j = 0; j < n; ++j) v[j] = E2(v[j], K.k1);
  for (int j = 0; j < n; ++j) v[j] = E2(v[j], K.k0);
  for (int j = 0; j < n; ++j) v[j] = E2(v[j], K.k2);
  for (int j = 0; j < n; ++j) v[j] = E2(v[j], K.k3);
}

// Sixteen 16-byte keys, two per 256-bit register: eight chains of four
// rounds at half the instructions of ni_fixed16_x8. The low halves come out
// as (h0, h2, h1, h3) after unpacklo; vpermq puts them back in order.
TH_VAES_INLINE void vaes_fixed16_x16(const uint8_t* p, uint64_t* out, __m256i s, const Keys2& K) {
  __m256i v[8];
  for (int j = 0; j < 8; ++j) v[j] = _mm256_xor_si256(L2(p + 32 * j), s);
  fin1_x2<8>(v, K);
  for (int j = 0; j < 4; ++j)
    _mm256_storeu_si256(
        reinterpret_cast<__m256i*>(out + 4 * j),
        _mm256_permute4x64_epi64(_mm256_unpacklo_epi64(v[2 * j], v[2 * j + 1]), 0xd8));
}

TH_VAES void vaes_bytes_fixed(const uint8_t* data, size_t key_size, size_t n, const Seed& seed,
                              uint64_t* out) {
  const Keys K = load_keys(seed);
  const __m128i S = start(K, key_size);
  size_t i = 0;
  if (key_size == 16) {
    const __m256i s = B2(S);
    const Keys2 K2 = broadcast_keys(K);
    for (; i + 16 <= n; i += 16) vaes_fixed16_x16(data + 16 * i, out + i, s, K2);
    for (; i + 8 <= n; i += 8) ni_fixed16_x8(data + 16 * i, out + i, S, K);
  }
  if (key_size == 8)
    for (; i + 8 <= n; i += 8) ni_u64_x2(data + 8 * i, out + i, S, K, 4);
  for (; i < n; ++i) out[i] = vaes_hash_from(data + i * key_size, key_size, K, S);
}

// 16 keys per iteration: each 256-bit load holds 4 keys, unpacked into two
// registers of two (k, 0) blocks, so 8 independent chains of 4 rounds.
TH_VAES void vaes_u64_many(const uint64_t* keys, size_t n, const Seed& seed, uint64_t* out) {
  const Keys K = load_keys(seed);
  const __m128i S8 = start(K, 8);
  const __m256i s8 = B2(S8);
  const Keys2 K2 = broadcast_keys(K);
  const __m256i z = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256i v[8];  // v[2j], v[2j+1]: the low and high key pairs of load j
    for (int j = 0; j < 4; ++j) {
      __m256i k = L2(reinterpret_cast<const uint8_t*>(keys + i + 4 * j));
      v[2 * j] = _mm256_xor_si256(_mm256_unpacklo_epi64(k, z), s8);
      v[2 * j + 1] = _mm256_xor_si256(_mm256_unpackhi_epi64(k, z), s8);
    }
    fin1_x2<8>(v, K2);
    for (int j = 0; j < 4; ++j)
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i + 4 * j),
                          _mm256_unpacklo_epi64(v[2 * j], v[2 * j + 1]));
  }
  for (; i + 2 <= n; i += 2)
    ni_u64_x2(reinterpret_cast<const uint8_t*>(keys + i), out + i, S8, K, 1);
  if (i < n) out[i] = fin1(X(_mm_cvtsi64_si128(static_cast<long long>(keys[i])), S8), K);
}

}  // namespace

namespace aesfam {
TH_NI void short_starts_ni(const uint64_t k[8], uint64_t out[kShortMax + 1][2]) {
  const __m128i* p = reinterpret_cast<const __m128i*>(k);
  const Keys K = {_mm_loadu_si128(p), _mm_loadu_si128(p + 1), _mm_loadu_si128(p + 2),
                  _mm_loadu_si128(p + 3), nullptr};
  for (size_t len = 0; len <= kShortMax; ++len)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out[len]), start_rounds(K, len));
}
}  // namespace aesfam

const HashKernel kHashAes = {
    "aes",  Family::kAes, cpu::kAes | cpu::kSse41, ni_bytes,
    ni_u64, ni_u64_many,  ni_bytes_many,           ni_bytes_fixed,
};

// A single u64 is latency-bound, so the AES-NI function serves both kernels.
const HashKernel kHashVaes = {
    "vaes",
    Family::kAes,
    cpu::kAes | cpu::kSse41 | cpu::kAvx | cpu::kAvx2 | cpu::kVaes,
    vaes_bytes,
    ni_u64,
    vaes_u64_many,
    vaes_bytes_many,
    vaes_bytes_fixed,
};

}  // namespace tophash::hash

#endif  // __x86_64__
