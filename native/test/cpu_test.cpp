// CPU probe: cross-checked against Linux's /proc/cpuinfo, plus the
// TOPHASH_CPU_MASK hook (in freshly exec'd children, since info() is probed once).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "../cpu/cpu_features.h"
#include "test/scoped_env.h"

namespace {

using tophash::test::ScopedEnv;

namespace cpu = tophash::cpu;

bool is_os_bit(const char* name) { return std::strncmp(name, "os_", 3) == 0; }

// The first "flags" (x86) or "Features" (arm64) line of /proc/cpuinfo: only
// this architecture's, since under qemu-user the file is the host's.
std::set<std::string> proc_cpuinfo_flags() {
#if defined(__aarch64__)
  const char* key = "Features";
#else
  const char* key = "flags";
#endif
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) {
      const size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::istringstream words(line.substr(colon + 1));
      std::set<std::string> out;
      std::string w;
      while (words >> w) out.insert(w);
      return out;
    }
  }
  return {};
}

TEST(Cpu, FeatureNamesWellFormed) {
  std::set<std::string> names;
  uint32_t bits = 0;
  size_t count = 0;
  for (const cpu::FeatureName* f = cpu::kFeatureNames; f->name != nullptr; ++f, ++count) {
    EXPECT_TRUE(names.insert(f->name).second) << "duplicate name " << f->name;
    EXPECT_NE(f->bit, 0u) << f->name;
    EXPECT_EQ(f->bit & (f->bit - 1), 0u) << f->name << " is not a single bit";
    EXPECT_EQ(bits & f->bit, 0u) << f->name << " bit listed twice";
    bits |= f->bit;
  }
#if defined(__x86_64__)
  EXPECT_EQ(count, 17u);
#endif
  // Every reported bit has a name.
  EXPECT_EQ(cpu::info().features & ~bits, 0u);
}

#if defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__))
TEST(Cpu, AgreesWithProcCpuinfo) {
  if (std::getenv("TOPHASH_CPU_MASK") != nullptr) GTEST_SKIP() << "TOPHASH_CPU_MASK is set";
  const std::set<std::string> flags = proc_cpuinfo_flags();
  if (flags.empty())
    GTEST_SKIP() << "no flags line for this architecture in /proc/cpuinfo (emulated?)";
  const uint32_t f = cpu::info().features;
  for (const cpu::FeatureName* n = cpu::kFeatureNames; n->name != nullptr; ++n) {
    if (is_os_bit(n->name)) continue;
    const bool reported = (f & n->bit) != 0;
    const bool in_proc = flags.count(n->name) != 0;
    EXPECT_EQ(reported, in_proc) << n->name << ": probe says " << reported
                                 << ", /proc/cpuinfo says " << in_proc;
  }
}
#endif

#if defined(__x86_64__)
TEST(Cpu, X86Identity) {
  const cpu::CpuInfo& ci = cpu::info();
  EXPECT_EQ(ci.arch, "x64");
  EXPECT_EQ(ci.vendor.size(), 12u) << ci.vendor;
  EXPECT_FALSE(ci.brand.empty());
  EXPECT_NE(ci.brand.front(), ' ');
  EXPECT_NE(ci.brand.back(), ' ');
  EXPECT_EQ(ci.brand.find('\0'), std::string::npos);
  std::printf("vendor '%s' brand '%s' features 0x%x\n", ci.vendor.c_str(), ci.brand.c_str(),
              ci.features);
}

TEST(Cpu, X86Implications) {
  const uint32_t f = cpu::info().features;
  if (std::getenv("TOPHASH_CPU_MASK") == nullptr) {
    EXPECT_TRUE(f & cpu::kSse2);  // x86-64 baseline
  }
  auto implies = [&](uint32_t a, uint32_t b) {
    return (f & a) == 0 || (f & b) == b;
  };
  // VEX/EVEX features are reported only with OS support (unless masked away
  // separately, which the mask can do: it is a plain AND).
  if (std::getenv("TOPHASH_CPU_MASK") == nullptr) {
    EXPECT_TRUE(implies(cpu::kAvx, cpu::kOsAvx));
    EXPECT_TRUE(implies(cpu::kAvx2, cpu::kAvx | cpu::kOsAvx));
    EXPECT_TRUE(implies(cpu::kVaes, cpu::kAvx | cpu::kOsAvx));
    EXPECT_TRUE(implies(cpu::kAvx512f, cpu::kAvx | cpu::kOsAvx | cpu::kOsAvx512));
    EXPECT_TRUE(implies(cpu::kAvx512bw, cpu::kAvx512f | cpu::kOsAvx512));
    EXPECT_TRUE(implies(cpu::kAvx512vl, cpu::kAvx512f | cpu::kOsAvx512));
    EXPECT_TRUE(implies(cpu::kOsAvx512, cpu::kOsAvx));
  }
  EXPECT_EQ(f & (cpu::kNeon | cpu::kArmAes), 0u);
}

TEST(Cpu, ProbedOnce) { EXPECT_EQ(&cpu::info(), &cpu::info()); }

// TOPHASH_CPU_MASK parsing, each case in a freshly exec'd child ("threadsafe"
// death-test style). info() is probed once per process, possibly already while
// gtest registers parameterized tests, so the mask goes into the environment
// the child inherits; the parent probes first so its own result is unaffected.
int masked_child(const char* mask, bool expect_applied, uint32_t expect_features) {
  const uint32_t f = cpu::info().features;
  if (expect_applied && f != expect_features) {
    std::fprintf(stderr, "mask %s: features 0x%x, want 0x%x\n", mask, f, expect_features);
    return 1;
  }
  if (!expect_applied && (f & cpu::kSse2) == 0) {  // an ignored mask leaves the probe alone
    std::fprintf(stderr, "mask %s should be ignored: features 0x%x\n", mask, f);
    return 1;
  }
  return 0;
}

TEST(Cpu, MaskEnvHook) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  (void)cpu::info();  // parent: probe before any mask is set
  struct Case {
    const char* mask;
    bool applied;
    uint32_t want;
  };
  // x86-64 always has SSE2, so masking with 1 leaves exactly kSse2.
  const Case cases[] = {
      {"1", true, cpu::kSse2}, {"0x1", true, cpu::kSse2}, {"0X1", true, cpu::kSse2},
      {"0", true, 0},          {"0x0", true, 0},          {"junk", false, 0},
      {"0x", false, 0},        {"12z", false, 0},         {"", false, 0}};
  for (const Case& c : cases) {
    ScopedEnv env("TOPHASH_CPU_MASK", c.mask);
    EXPECT_EXIT(std::_Exit(masked_child(c.mask, c.applied, c.want)), testing::ExitedWithCode(0), "")
        << "TOPHASH_CPU_MASK='" << c.mask << "'";
  }
}
#endif

#if defined(__aarch64__)
TEST(Cpu, Arm64Identity) {
  EXPECT_EQ(cpu::info().arch, "arm64");
  if (std::getenv("TOPHASH_CPU_MASK") == nullptr) {
    EXPECT_TRUE(cpu::info().features & cpu::kNeon);
  }
}
#endif

}  // namespace
