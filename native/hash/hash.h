// The tiny interface every tophash hash kernel implements.
//
// A hash *family* fixes the output for a given (bytes, seed): every kernel of
// the AES family ("aes" on AES-NI, "vaes" on VAES, "aes-portable" in plain C++)
// returns the same 64 bits, so the portable one is the test oracle and the
// fallback. The "fold" family (scalar multiply-fold) is a different function.
//
// The hash resists flooding only while the seed stays secret: a map seeded by
// the user with a fixed value gives that up for untrusted keys.
#pragma once
#include <cstddef>
#include <cstdint>

namespace tophash::hash {

enum class Family : uint8_t { kAes = 0, kFold = 1 };

// A 64-bit seed expanded once per map into the key material the kernels use,
// so no kernel pays for key expansion per call.
struct alignas(16) Seed {
  uint64_t k[8];
  // The AES family's start block S(len) (aes_family.h) for len 0..16, as
  // (lo, hi): three rounds per length done here once, not per key.
  uint64_t aes_start[17][2];
};
Seed expand_seed(uint64_t seed);

struct HashKernel {
  const char* name;  // "aes", "vaes", "aes-portable", "fold"
  Family family;
  uint32_t needs;  // tophash::cpu::Feature bits
  // Never reads outside [data, data+len) (page-safe tails).
  uint64_t (*bytes)(const void* data, size_t len, const Seed& seed);
  // Equal to bytes(&key, 8, seed) with key stored little-endian.
  uint64_t (*u64)(uint64_t key, const Seed& seed);
  // out[i] = u64(keys[i], seed): a batch, so kernels may interleave keys.
  void (*u64_many)(const uint64_t* keys, size_t n, const Seed& seed, uint64_t* out);
  // out[i] = bytes(data + offsets[i], offsets[i+1] - offsets[i], seed); offsets has n+1 entries.
  void (*bytes_many)(const uint8_t* data, const uint32_t* offsets, size_t n, const Seed& seed,
                     uint64_t* out);
  // out[i] = bytes(data + i * key_size, key_size, seed) for i < n. Every key has one length, so
  // the length-dependent start and path are chosen once per batch, not per key.
  void (*bytes_fixed)(const uint8_t* data, size_t key_size, size_t n, const Seed& seed,
                      uint64_t* out);
};

extern const HashKernel kHashFold;
extern const HashKernel kHashAesPortable;
#if defined(__x86_64__) || defined(_M_X64)
extern const HashKernel kHashAes;  // AES-NI (+SSE4.1 for loads)
extern const HashKernel kHashVaes;  // VAES on 256-bit lanes: same output as kHashAes
#endif

}  // namespace tophash::hash
