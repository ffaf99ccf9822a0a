// CRC32C (Castagnoli), the checksum of snapshot sections.
//
// Why CRC32C and not a fast keyed hash: it is a standard (iSCSI, ext4,
// Btrfs), so any tool can verify a snapshot without tophash's code; it
// detects every burst error up to 32 bits and every odd number of flipped
// bits, which is the damage disks and copies do; and x86-64 computes it in
// hardware (SSE4.2's crc32 instruction). The table-driven twin gives the same
// value everywhere else.
#pragma once
#include <cstddef>
#include <cstdint>

#include "cpu/cpu_features.h"

namespace tophash::hash {

// Extends `crc` (0 to start, or an earlier result) over data[0, n), as zlib's
// crc32() does: crc32c(crc32c(0, a), b) == crc32c(0, a + b).
uint32_t crc32c(uint32_t crc, const void* data, size_t n);

// The portable twin, for tests that compare it with the dispatched one.
uint32_t crc32c_portable(uint32_t crc, const void* data, size_t n);

namespace detail {
// The SSE4.2 kernel over the inverted register (crc32c() does the inversion);
// only called when the CPU has SSE4.2.
uint32_t crc32c_sse42_raw(uint32_t state, const uint8_t* p, size_t n);
// Folding on 512-bit registers (crc32c_vpclmul.cpp); only called when the
// CPU has what kVpclmulNeeds names.
uint32_t crc32c_vpclmul_raw(uint32_t state, const uint8_t* p, size_t n);
inline constexpr uint32_t kVpclmulNeeds =
    cpu::kVpclmul | cpu::kAvx512f | cpu::kPclmul | cpu::kSse42;
}  // namespace detail

}  // namespace tophash::hash
