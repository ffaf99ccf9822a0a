// The AES hash family: one function, three kernels ("aes-portable" in plain
// C++, "aes" on AES-NI, "vaes" on VAES/AVX2). This header is the single
// description of the algorithm; every kernel must match it bit for bit, and
// aes-portable is the oracle the tests compare the others against.
//
// NOTATION
//
//   Blocks are 128 bits; memory byte i is block byte i, so a block's two
//   64-bit halves are little-endian words lo (bytes 0..7) and hi (8..15).
//   E(x, k) = AESENC(x, k) = MixColumns(SubBytes(ShiftRows(x))) ^ k, exactly
//   the x86 instruction (one full AES round, round key last).
//   Keys: K0=(k[0],k[1]) K1=(k[2],k[3]) K2=(k[4],k[5]) K3=(k[6],k[7]) from Seed.
//   a +64 b adds the 64-bit halves separately (paddq).
//
// ALGORITHM
//
//   S(len) = E(E(E(K0 ^ (len, 0), K1), K2), K3)   seed and length, three keyed
//            rounds before any data; precomputed per seed for len 0..16
//            (Seed::aes_start), so single-block keys and u64 keys load it
//   S_i = S +64 i*K2                    distinct secret start for lane i (0..7)
//
//   fin_m(x_0..x_{m-1}), m in {1,2,4,8}:
//     x_i = E(x_i, K1) for every i
//     for h = m/2, m/4, .., 1:  x_j = E(x_j, x_{j+h}) for j < h
//     (m = 1: the tree is one round, x_0 = E(x_0, K0))
//     x = E(E(x_0, K2), K3);   return lo(x)
//
//   len 0..16    fin_1(B ^ S),  B = the len bytes zero-padded to 16
//   len 17..32   fin_2 of B_j ^ S_j with blocks at offsets 0, len-16
//   len 33..64   fin_4, blocks at 0, 16, len-32, len-16
//   len 65..128  fin_8, blocks at 0, 16, 32, 48, len-64, len-48, len-32, len-16
//   len > 128    lanes s_i = S_i; for each 128-byte chunk at offsets
//                0, 128, .. (while the chunk ends before len) and then once
//                more for the last 128 bytes (overlapping):
//                  t_i = E(d_i ^ K2, K3);  s_i = E(s_i, t_i)     (d_i: 16-byte block i)
//                then fin_8(s_0..s_7)
//
//   u64(k) is the len-8 case: B = (k, 0).
//
// WHY IT IS BUILT THIS WAY
//
// - Length and seed enter through S, and S must be unpredictable *as a
//   difference*: two keys of lengths l1 != l2 up to 16 bytes collide exactly
//   when B1 ^ B2 = S(l1) ^ S(l2) (fin_1 is a permutation before truncation),
//   so an attacker who can guess that xor can build colliding keys for every
//   seed. An earlier version took S from one round, E(K0 ^ len, K1): a
//   length difference sits in byte 0, one round spreads it over column 0
//   only, as MixColumns(d, 0, 0, 0) = (2d, d, d, 3d) for the S-box output
//   difference d, so S(l1) ^ S(l2) was one of 255 patterns whatever the seed,
//   and a set of 256 keys (one zero key of length l1, the 255 patterns as keys
//   of length l2) held a collision under every seed.
//   Three rounds close that. K0 makes the first S-box input secret; one
//   active byte becomes four after round 1 (MixColumns has branch number 5),
//   ShiftRows puts those four in four columns, so round 2 leaves all sixteen
//   bytes different, and round 3 passes all sixteen through S-boxes whose
//   inputs are masked by K2. An S-box maps a fixed input difference to any
//   one output difference with probability at most 4/256, so any xor the
//   attacker names is S(l1) ^ S(l2) with probability at most 2^-96 over the
//   seed: no better than guessing, and cross-length keys collide only as
//   random 64-bit outputs do. (This rests on K0..K3 behaving as independent
//   secrets: they are 256 bits of splitmix64 output of the 64-bit seed.)
//   Above 16 bytes two lengths may differ in several bytes; every
//   three-round AES trail still has at least nine active S-boxes (the
//   wide-trail bound), so a named xor holds with probability at most 2^-54.
//   Within one length S is a constant and fin_1 a keyed permutation, so keys
//   of one length up to 16 bytes never collide before truncation.
//   The three rounds cost nothing per key up to 16 bytes (S is read from the
//   seed) and nothing per key in a batch of one key length (computed once);
//   longer keys of mixed lengths pay them once per key, beside the data's
//   own rounds. Overlapping blocks are fine for the same reason: two inputs
//   of different length never share a predictable S.
// - Every data block sees at least four AES rounds after it is xored in (a
//   round on its own lane, at least one round of the tree, whose other input
//   is another lane or K0, then the two final rounds). Two rounds give full
//   diffusion and three pass the avalanche test, but three are not enough for
//   truncated outputs: over the 1.15 million 4-byte keys with at most six bits
//   set, collisions of the low 32 bits varied from seed to seed with a
//   standard deviation of 42 where random output gives 12 (one seed in 40 had
//   2x the expected count), and the high 32 bits 28; with the fourth round
//   both are 12, as random. The table takes the bucket index from the low
//   bits and the tophash from the top byte, so it needs them to behave. The
//   keyset tests (hash_quality_test) hold every family to this: collisions of
//   the full 64 bits and of each 32-bit half, bucket and tophash bins, and
//   avalanche, over sparse, cyclic, zero-extended and text keysets.
// - The tree combines lanes with E(a, b) rather than xor, so lanes are not
//   interchangeable: swapping two blocks changes the hash.
// - Long inputs: a single AES round per block would let an attacker cancel a
//   one-byte difference in block n with a chosen difference in block n+8 with
//   probability ~2^-6 whatever the key (one S-box transition). So each block
//   gets two rounds, but only one of them is on the lane's dependency chain:
//   t_i = E(d_i ^ K2, K3) depends on data only and runs ahead, then
//   s_i = E(s_i, t_i). The key before the data's S-box makes t's differences
//   secret; cancelling then needs about nine S-box transitions (< 2^-50).
//   With the chain at one round (4 cycles on Zen 3) per 128-byte chunk, 8 lanes
//   keep a VAES core at its two 256-bit AES ops per cycle (32 B/cycle), while
//   AES-NI is throughput-bound at 16 B/cycle. 8 lanes is also what 16 XMM
//   registers hold without spilling.
// - The lane tree maps onto 256-bit registers lane-aligned: ymm (x0,x1) pairs
//   with (x4,x5) and (x2,x3) with (x6,x7), so VAES gets the same result with
//   half the instructions and only the last step is 128-bit.
// - Blocks shorter than 16 bytes are assembled from overlapping 8/4/1-byte
//   loads inside [data, data+len): never a read past the end, so no page
//   check and nothing for ASan or Valgrind to flag. (A 16-byte load masked by
//   length would save a couple of cycles but reads past the key.)
//
// This is a hash-table hash, not a MAC: it resists flooding with a secret seed
// the way Go's aeshash does, nothing more.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "hash/load.h"

namespace tophash::hash::aesfam {

// Length thresholds of the paths above.
inline constexpr size_t kShortMax = 16;
inline constexpr size_t kChunk = 128;  // 8 lanes x 16 bytes

using hash::load_le32;
using hash::load_le64;

// The first len <= 16 bytes of p, zero-padded to a block, read only inside
// [p, p+len). The branch on len is predictable for the usual fixed-size keys.
inline void load_upto16(const uint8_t* p, size_t len, uint64_t& lo, uint64_t& hi) {
  if (len >= 8) {
    // Bytes 8..len-1 are the top of the overlapping read ending at len; for
    // len == 8 the shift wraps to 0 and the mask clears the word.
    lo = load_le64(p);
    hi = (load_le64(p + len - 8) >> ((8 * (16 - len)) & 63)) & (0 - uint64_t{len > 8});
  } else if (len >= 4) {
    // Bytes 4..len-1 likewise from the read ending at len.
    lo = load_le32(p) | (uint64_t{load_le32(p + len - 4)} >> (8 * (8 - len)) << 32);
    hi = 0;
  } else if (len > 0) {
    lo = uint64_t{p[0]} | uint64_t{p[len / 2]} << (8 * (len / 2)) |
         uint64_t{p[len - 1]} << (8 * (len - 1));
    hi = 0;
  } else {
    lo = hi = 0;
  }
}

// One AESENC round in software, for the known-answer test: out = E(state, key).
void aesenc_portable(const uint8_t state[16], const uint8_t key[16], uint8_t out[16]);

// S(len) of the algorithm above from the seed words k[0..7], in software.
void start_portable(const uint64_t k[8], size_t len, uint64_t out[2]);

#if defined(__x86_64__) || defined(_M_X64)
// S(0..kShortMax) on AES-NI: 17 independent chains of three rounds, ~15 ns
// where the software rounds take ~250 ns. expand_seed runs once per map but
// also once per hash() call, so this is worth its few lines. Only call it
// where cpu::has_all(cpu::kAes | cpu::kSse41).
void short_starts_ni(const uint64_t k[8], uint64_t out[kShortMax + 1][2]);
#endif

}  // namespace tophash::hash::aesfam
