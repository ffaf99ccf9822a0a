// CPU feature probe (see cpu_features.h).
//
// x86-64: cpuid says what the silicon implements; xgetbv(XCR0) says which
// register state the OS saves on a context switch. A VEX/EVEX feature bit is
// reported only when both agree, so a kernel whose `needs` are all present
// cannot fault with #UD:
//   - kAvx, kAvx2, kVaes, kVpclmul need XCR0 bits 1,2 (XMM|YMM)   -> kOsAvx
//   - kAvx512f/bw/vl additionally need XCR0 bits 5,6,7
//     (opmask|ZMM_Hi256|Hi16_ZMM)                                   -> kOsAvx512
// xgetbv itself is only executed when cpuid.1:ECX.OSXSAVE (bit 27) is set;
// without it the instruction would #UD and every AVX bit stays clear.
// Legacy-encoded SSE/AES-NI/PCLMUL and the GPR-only BMI2 need no XCR0 state.
//
// aarch64: Linux getauxval(AT_HWCAP) (asimd, aes); Apple silicon always has both.
// Other architectures report no features (the scalar and SWAR kernels still run).
//
// Test hook: if the environment variable TOPHASH_CPU_MASK is set when info() is
// first called, it is parsed as a decimal number, or as hex with a leading 0x/0X,
// and ANDed into `features`. TOPHASH_CPU_MASK=1 (kSse2) simulates an SSE2-only
// x86-64 CPU; TOPHASH_CPU_MASK=0 simulates a CPU with nothing usable beyond the
// portable kernels. A value that does not parse completely is ignored. The mask
// can only remove features, never add them. Because info() is probed once per
// process, the variable must be set before the first call (e.g. in the
// environment of the node process, or in a freshly exec'd test child).
#include "cpu_features.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

namespace tophash::cpu {

// Names as Linux spells the flags in /proc/cpuinfo ("flags" on x86, "Features"
// on arm64), plus os_avx/os_avx512 which have no cpuinfo equivalent. Only the
// current architecture's features are listed, so every name is unique within a
// build (both x86 AES-NI and the Arm crypto extension are "aes" in cpuinfo).
const FeatureName kFeatureNames[] = {
#if defined(__x86_64__) || defined(_M_X64)
    {"sse2", kSse2},
    {"ssse3", kSsse3},
    {"sse4_1", kSse41},
    {"sse4_2", kSse42},
    {"popcnt", kPopcnt},
    {"avx", kAvx},
    {"avx2", kAvx2},
    {"bmi2", kBmi2},
    {"avx512f", kAvx512f},
    {"avx512bw", kAvx512bw},
    {"avx512vl", kAvx512vl},
    {"aes", kAes},
    {"vaes", kVaes},
    {"pclmulqdq", kPclmul},
    {"vpclmulqdq", kVpclmul},
    {"os_avx", kOsAvx},
    {"os_avx512", kOsAvx512},
#endif
#if defined(__aarch64__) || defined(_M_ARM64)
    {"asimd", kNeon},
    {"aes", kArmAes},
#endif
    {nullptr, 0},
};

namespace {

#if defined(__x86_64__)

struct Regs {
  uint32_t a = 0, b = 0, c = 0, d = 0;
};

Regs cpuid(uint32_t leaf, uint32_t subleaf = 0) {
  Regs r;
  // __get_cpuid_count checks the maximum leaf (basic or extended range) and
  // leaves the outputs untouched (zero) when the leaf is out of range.
  if (!__get_cpuid_count(leaf, subleaf, &r.a, &r.b, &r.c, &r.d)) r = Regs{};
  return r;
}

// Only call when cpuid.1:ECX.OSXSAVE is set.
uint64_t xgetbv0() {
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

inline bool bit(uint32_t reg, int n) { return (reg >> n) & 1u; }

void probe(CpuInfo& ci) {
  ci.arch = "x64";
  uint32_t f = 0;

  Regs l0 = cpuid(0);
  const uint32_t max_leaf = l0.a;
  char vendor[13];
  std::memcpy(vendor + 0, &l0.b, 4);
  std::memcpy(vendor + 4, &l0.d, 4);
  std::memcpy(vendor + 8, &l0.c, 4);
  vendor[12] = '\0';
  ci.vendor = vendor;

  Regs l1 = max_leaf >= 1 ? cpuid(1) : Regs{};
  Regs l7 = max_leaf >= 7 ? cpuid(7, 0) : Regs{};

  // OS support for extended register state.
  bool os_avx = false, os_avx512 = false;
  if (bit(l1.c, 27)) {  // OSXSAVE: xgetbv is usable
    const uint64_t xcr0 = xgetbv0();
    os_avx = (xcr0 & 0x6) == 0x6;  // XMM | YMM
    os_avx512 = os_avx && (xcr0 & 0xe0) == 0xe0;  // opmask | ZMM_Hi256 | Hi16_ZMM
  }
  if (os_avx) f |= kOsAvx;
  if (os_avx512) f |= kOsAvx512;

  // Legacy-encoded features: no OS state beyond SSE needed.
  if (bit(l1.d, 26)) f |= kSse2;
  if (bit(l1.c, 9)) f |= kSsse3;
  if (bit(l1.c, 19)) f |= kSse41;
  if (bit(l1.c, 20)) f |= kSse42;
  if (bit(l1.c, 23)) f |= kPopcnt;
  if (bit(l1.c, 25)) f |= kAes;
  if (bit(l1.c, 1)) f |= kPclmul;
  if (bit(l7.b, 8)) f |= kBmi2;  // VEX-encoded but GPR-only: no XCR0 dependency

  // VEX-encoded vector features: need the OS to save YMM state.
  const bool avx = os_avx && bit(l1.c, 28);
  if (avx) {
    f |= kAvx;
    if (bit(l7.b, 5)) f |= kAvx2;
    if (bit(l7.c, 9)) f |= kVaes;
    if (bit(l7.c, 10)) f |= kVpclmul;
  }
  // EVEX-encoded: also need opmask/ZMM state.
  if (avx && os_avx512 && bit(l7.b, 16)) {
    f |= kAvx512f;
    if (bit(l7.b, 30)) f |= kAvx512bw;
    if (bit(l7.b, 31)) f |= kAvx512vl;
  }
  ci.features = f;

  // Brand string: leaves 0x80000002..0x80000004, 48 bytes, NUL-padded and
  // often space-padded on either side.
  const uint32_t max_ext = cpuid(0x80000000u).a;
  if (max_ext >= 0x80000004u) {
    char brand[49];
    for (uint32_t i = 0; i < 3; ++i) {
      Regs r = cpuid(0x80000002u + i);
      std::memcpy(brand + 16 * i + 0, &r.a, 4);
      std::memcpy(brand + 16 * i + 4, &r.b, 4);
      std::memcpy(brand + 16 * i + 8, &r.c, 4);
      std::memcpy(brand + 16 * i + 12, &r.d, 4);
    }
    brand[48] = '\0';
    std::string s(brand);  // stops at the first NUL
    const size_t first = s.find_first_not_of(' ');
    if (first == std::string::npos) {
      s.clear();
    } else {
      s.erase(s.find_last_not_of(' ') + 1);
      s.erase(0, first);
    }
    ci.brand = s;
  }
}

#elif defined(__aarch64__)

void probe(CpuInfo& ci) {
  ci.arch = "arm64";
  uint32_t f = 0;
#if defined(__linux__)
  const unsigned long hwcap = getauxval(AT_HWCAP);
  // Values from <asm/hwcap.h>; spelled out so older headers still build.
  constexpr unsigned long kHwcapAsimd = 1ul << 1;
  constexpr unsigned long kHwcapAes = 1ul << 3;
  if (hwcap & kHwcapAsimd) f |= kNeon;
  if (hwcap & kHwcapAes) f |= kArmAes;
#elif defined(__APPLE__)
  f |= kNeon | kArmAes;  // every Apple arm64 core has both
  ci.vendor = "Apple";
#else
  f |= kNeon;  // Advanced SIMD is mandatory in AArch64
#endif
  ci.features = f;
}

#else

void probe(CpuInfo& ci) {
#if defined(__i386__) || defined(_M_IX86)
  ci.arch = "ia32";
#elif defined(__arm__)
  ci.arch = "arm";
#elif defined(__riscv) && __riscv_xlen == 64
  ci.arch = "riscv64";
#elif defined(__powerpc64__)
  ci.arch = "ppc64";
#elif defined(__s390x__)
  ci.arch = "s390x";
#elif defined(__loongarch64)
  ci.arch = "loong64";
#else
  ci.arch = "unknown";
#endif
  ci.features = 0;
}

#endif

// Parses TOPHASH_CPU_MASK: decimal, or hex with 0x/0X. Returns false when the
// text is empty or not a complete number.
bool parse_mask(const char* s, uint32_t* out) {
  if (s == nullptr || *s == '\0') return false;
  int base = 10;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s += 2;
    if (*s == '\0') return false;
  }
  for (const char* p = s; *p; ++p) {
    const bool ok = base == 16 ? std::strchr("0123456789abcdefABCDEF", *p) != nullptr
                               : (*p >= '0' && *p <= '9');
    if (!ok) return false;
  }
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s, &end, base);
  if (errno == ERANGE || end == s || *end != '\0') return false;
  *out = static_cast<uint32_t>(v);  // bits above 31 name no feature
  return true;
}

CpuInfo make_info() {
  CpuInfo ci;
  probe(ci);
  uint32_t mask;
  if (parse_mask(std::getenv("TOPHASH_CPU_MASK"), &mask)) ci.features &= mask;
  return ci;
}

}  // namespace

const CpuInfo& info() {
  static const CpuInfo ci = make_info();
  return ci;
}

}  // namespace tophash::cpu
