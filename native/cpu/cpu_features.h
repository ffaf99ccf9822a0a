// CPU feature probing: cpuid for what the silicon has, xgetbv for what the OS
// saves on a context switch. A feature bit is set only when both agree, so a
// kernel whose `needs` are all present can run without faulting.
#pragma once
#include <cstdint>
#include <string>

namespace tophash::cpu {

enum Feature : uint32_t {
  kSse2 = 1u << 0,
  kSsse3 = 1u << 1,
  kSse41 = 1u << 2,
  kSse42 = 1u << 3,
  kPopcnt = 1u << 4,
  kAvx = 1u << 5,  // cpuid AVX and OS saves YMM state
  kAvx2 = 1u << 6,  // implies kAvx
  kBmi2 = 1u << 7,
  kAvx512f = 1u << 8,  // cpuid AVX512F and OS saves ZMM/opmask state
  kAvx512bw = 1u << 9,
  kAvx512vl = 1u << 10,
  kAes = 1u << 11,  // AES-NI
  kVaes = 1u << 12,  // VEX/EVEX vector AES (256-bit needs kAvx too)
  kPclmul = 1u << 13,
  kOsAvx = 1u << 14,  // xgetbv: XMM|YMM enabled
  kOsAvx512 = 1u << 15,  // xgetbv: opmask|ZMM_Hi256|Hi16_ZMM enabled
  kNeon = 1u << 16,  // Arm
  kArmAes = 1u << 17,  // Arm crypto extension
  kVpclmul = 1u << 18,  // VEX/EVEX carry-less multiply (needs kOsAvx; 512-bit needs kAvx512f)
};

struct FeatureName {
  const char* name;  // as in /proc/cpuinfo where one exists
  uint32_t bit;
};
// Every feature tophash knows, in display order, terminated by {nullptr, 0}.
extern const FeatureName kFeatureNames[];

struct CpuInfo {
  std::string arch;  // "x64" or "arm64", as process.arch
  std::string vendor;  // "AuthenticAMD", "GenuineIntel", ...
  std::string brand;  // the marketing name from cpuid leaves 0x80000002..4
  uint32_t features = 0;
};

// Probed once (thread-safe static); cheap to call afterwards.
const CpuInfo& info();

inline bool has_all(uint32_t needs) { return (info().features & needs) == needs; }

}  // namespace tophash::cpu
