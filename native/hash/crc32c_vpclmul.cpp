// CRC32C by carry-less multiplication on 512-bit registers (VPCLMULQDQ with
// AVX-512): sixteen 16-byte lanes, 256 bytes a round, folded forward and
// finished with the crc32 instruction. The crc32 instruction alone is bound
// to 8 bytes a cycle (crc32c_sse42.cpp, three chains: ~28 GB/s here), a
// snapshot load's largest cost after the kernel's own; folding four lanes in
// 128-bit registers (PCLMULQDQ) measured half that on this CPU, so only the
// wide form is worth having.
//
// Why folding is sound. A raw CRC register after a message M (initial
// register 0) is M(x)·x^32 mod P, so two messages of the same length whose
// polynomials agree mod P have the same CRC, and leading zero bytes change
// nothing. A 16-byte block X followed by D bits of message is X·x^D + rest;
// with X = A·x^64 + B (A the block's first eight bytes), X·x^D ≡ A·(x^(D+64)
// mod P) + B·(x^D mod P), a value of at most 96 bits: a new 16-byte block
// that stands for X, D bits further on. The register's initial value enters
// by being XORed into the first four bytes (what the crc32 instruction does
// with its accumulator); the last folded block is finished by running the
// crc32 instruction over it and over the bytes left.
//
// The reflected bit order: a 16-byte block loaded little-endian holds x^127
// in bit 0, so each 64-bit half is its polynomial bit-reversed, and a
// carry-less product of two reversed 64-bit values lands one bit short of
// the block's own order; the constants are x^(k-1) instead of x^k to make up
// for it. They are computed at first use from the polynomial, not typed in.
#if defined(__x86_64__)

#include <immintrin.h>

#include "hash/crc32c.h"
#include "hash/crc32c_poly.h"

#define TOPHASH_TARGET __attribute__((target("avx512f,vpclmulqdq,pclmul,sse4.2")))

namespace tophash::hash::detail {
namespace {

// The multipliers that move a block `bits` further on, as one 128-bit lane:
// for its first eight bytes x^(bits+64), for its last eight x^bits, each one
// power lower for the reflected product, in the 64-bit reversed form (x^d in
// bit 63 - d: the 32-bit reflected form shifted up by 32).
TOPHASH_TARGET __m128i fold_constants(uint64_t bits) {
  const uint64_t first = uint64_t{x_to_the(bits + 64 - 1)} << 32;
  const uint64_t last = uint64_t{x_to_the(bits - 1)} << 32;
  return _mm_set_epi64x(static_cast<long long>(last), static_cast<long long>(first));
}

struct FoldConstants {
  __m512i by2048, by1536, by1024, by512;
  __m128i by384, by256, by128;
  TOPHASH_TARGET FoldConstants()
      : by2048(_mm512_broadcast_i32x4(fold_constants(2048))),
        by1536(_mm512_broadcast_i32x4(fold_constants(1536))),
        by1024(_mm512_broadcast_i32x4(fold_constants(1024))),
        by512(_mm512_broadcast_i32x4(fold_constants(512))),
        by384(fold_constants(384)),
        by256(fold_constants(256)),
        by128(fold_constants(128)) {}
};

TOPHASH_TARGET inline __m512i fold(__m512i lanes, __m512i k) {
  return _mm512_xor_si512(_mm512_clmulepi64_epi128(lanes, k, 0x00),
                          _mm512_clmulepi64_epi128(lanes, k, 0x11));
}

TOPHASH_TARGET inline __m128i fold(__m128i block, __m128i k) {
  return _mm_xor_si128(_mm_clmulepi64_si128(block, k, 0x00), _mm_clmulepi64_si128(block, k, 0x11));
}

TOPHASH_TARGET inline __m512i load64(const uint8_t* p) { return _mm512_loadu_si512(p); }

}  // namespace

TOPHASH_TARGET uint32_t crc32c_vpclmul_raw(uint32_t state, const uint8_t* p, size_t n) {
  if (n < 256) return crc32c_sse42_raw(state, p, n);
  static const FoldConstants k;
  __m512i z0 = _mm512_xor_si512(load64(p),
                                _mm512_castsi128_si512(_mm_cvtsi32_si128(static_cast<int>(state))));
  __m512i z1 = load64(p + 64);
  __m512i z2 = load64(p + 128);
  __m512i z3 = load64(p + 192);
  p += 256;
  n -= 256;
  for (; n >= 256; n -= 256, p += 256) {
    z0 = _mm512_xor_si512(fold(z0, k.by2048), load64(p));
    z1 = _mm512_xor_si512(fold(z1, k.by2048), load64(p + 64));
    z2 = _mm512_xor_si512(fold(z2, k.by2048), load64(p + 128));
    z3 = _mm512_xor_si512(fold(z3, k.by2048), load64(p + 192));
  }
  __m512i z = _mm512_xor_si512(_mm512_xor_si512(fold(z0, k.by1536), fold(z1, k.by1024)),
                               _mm512_xor_si512(fold(z2, k.by512), z3));
  for (; n >= 64; n -= 64, p += 64) z = _mm512_xor_si512(fold(z, k.by512), load64(p));
  // The register's four lanes are four consecutive blocks: fold them into the last.
  __m128i x = _mm_xor_si128(_mm_xor_si128(fold(_mm512_extracti32x4_epi32(z, 0), k.by384),
                                          fold(_mm512_extracti32x4_epi32(z, 1), k.by256)),
                            _mm_xor_si128(fold(_mm512_extracti32x4_epi32(z, 2), k.by128),
                                          _mm512_extracti32x4_epi32(z, 3)));
  for (; n >= 16; n -= 16, p += 16) {
    x = _mm_xor_si128(fold(x, k.by128), _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  uint64_t c = _mm_crc32_u64(0, static_cast<uint64_t>(_mm_cvtsi128_si64(x)));
  c = _mm_crc32_u64(c, static_cast<uint64_t>(_mm_extract_epi64(x, 1)));
  return crc32c_sse42_raw(static_cast<uint32_t>(c), p, n);
}

}  // namespace tophash::hash::detail

#endif
