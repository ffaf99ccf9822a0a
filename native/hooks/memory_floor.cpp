// The random-read floor of benchmark W8 (bench/WORKLOADS.md, "W8: the physical
// limit"): an anonymous mmap of `bytes`, madvise'd MADV_NOHUGEPAGE or
// MADV_HUGEPAGE, every page touched; then
//  (i)  `reads` independent random 8-byte reads from `streams` interleaved
//       LCG streams (addresses never depend on loaded data, so many misses
//       are in flight at once) -> ns per read;
//  (ii) a dependent pointer chase over a random cyclic permutation of all
//       cache lines of the region (Sattolo driven by splitmix64(42)),
//       `chaseSteps` steps -> ns per step (the load-to-use latency).
// AnonHugePages of the region is read back from /proc/self/smaps (Linux).
#include "hooks/memory_floor.h"

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "addon/errors.h"

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#include <unistd.h>
#define TOPHASH_HAVE_MMAP 1
#endif

namespace tophash::addon {

namespace {

volatile uint64_t g_sink = 0;

constexpr uint64_t kLine = 64;
constexpr uint64_t kHuge = uint64_t{2} << 20;
constexpr double kMaxBytes = 1099511627776.0;  // 2^40
constexpr double kMaxCount = 1099511627776.0;  // 2^40

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// floor(x * n / 2^64): a uniform index in [0, n) from the high bits of x.
inline uint64_t scale(uint64_t x, uint64_t n) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(x) * n) >> 64);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// An integer option in [lo, hi]; `fallback` when absent.
double count_option(const Napi::Object& o, const char* name, double fallback, double lo, double hi,
                    const std::string& expected) {
  Napi::Value v = o.Get(name);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) throw_type(o.Env(), expected, name, describe(v));
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= lo && d <= hi) || d != static_cast<double>(static_cast<uint64_t>(d))) {
    throw_range(o.Env(), expected, name, describe(v));
  }
  return d;
}

template <int S>
uint64_t random_reads(const uint64_t* base, uint64_t words, uint64_t rounds) {
  uint64_t x[S];
  uint64_t seed = 0x5eed;
  for (int s = 0; s < S; ++s) x[s] = splitmix64(seed);
  uint64_t sum = 0;
  for (uint64_t r = 0; r < rounds; ++r) {
    for (int s = 0; s < S; ++s) {
      // Knuth's MMIX LCG; the index comes from the high bits.
      x[s] = x[s] * 6364136223846793005ULL + 1442695040888963407ULL;
      sum += base[scale(x[s], words)];
    }
  }
  return sum;
}

uint64_t run_reads(int streams, const uint64_t* base, uint64_t words, uint64_t rounds) {
  switch (streams) {
    case 1: return random_reads<1>(base, words, rounds);
    case 2: return random_reads<2>(base, words, rounds);
    case 4: return random_reads<4>(base, words, rounds);
    case 8: return random_reads<8>(base, words, rounds);
    case 16: return random_reads<16>(base, words, rounds);
    case 32: return random_reads<32>(base, words, rounds);
    default: return random_reads<64>(base, words, rounds);
  }
}

#ifdef TOPHASH_HAVE_MMAP
// AnonHugePages (bytes) of the mappings overlapping [lo, hi); -1 if unreadable.
double thp_bytes(uintptr_t lo, uintptr_t hi) {
  FILE* f = std::fopen("/proc/self/smaps", "r");
  if (f == nullptr) return -1;
  char line[512];
  bool inside = false;
  bool seen = false;
  double total = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    unsigned long long a = 0;
    unsigned long long b = 0;
    if (std::sscanf(line, "%llx-%llx ", &a, &b) == 2 && std::strchr(line, '-') != nullptr &&
        line[0] != ' ' && std::strncmp(line, "AnonHugePages", 13) != 0) {
      inside = a < hi && b > lo;
      continue;
    }
    unsigned long long kb = 0;
    if (inside && std::sscanf(line, "AnonHugePages: %llu kB", &kb) == 1) {
      total += static_cast<double>(kb) * 1024;
      seen = true;
    }
  }
  std::fclose(f);
  return seen ? total : -1;
}

// An anonymous mapping of `bytes`, its start aligned to 2 MiB.
class Region {
 public:
  explicit Region(uint64_t bytes) : bytes_(bytes) {
    map_bytes_ = bytes + kHuge;
    void* p = mmap(nullptr, map_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return;
    map_ = static_cast<char*>(p);
    uintptr_t a = reinterpret_cast<uintptr_t>(map_);
    data_ = reinterpret_cast<char*>((a + kHuge - 1) & ~(kHuge - 1));
  }
  ~Region() {
    if (map_ != nullptr) munmap(map_, map_bytes_);
  }
  Region(const Region&) = delete;
  Region& operator=(const Region&) = delete;
  char* data() const { return data_; }
  uint64_t bytes() const { return bytes_; }

 private:
  uint64_t bytes_;
  uint64_t map_bytes_ = 0;
  char* map_ = nullptr;
  char* data_ = nullptr;
};
#endif

}  // namespace

Napi::Value MemoryFloor(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  if (!info[0].IsUndefined()) {
    if (!info[0].IsObject() || info[0].IsArray() || info[0].IsFunction()) {
      throw_type(env, "an options object", "options", describe(info[0]));
    }
    o = info[0].As<Napi::Object>();
  }
  const double bytes_d =
      count_option(o, "bytes", 2147483648.0, 1048576, kMaxBytes,
                   "an integer number of bytes in [2^20, 2^40], a multiple of 4096");
  if (static_cast<uint64_t>(bytes_d) % 4096 != 0) {
    throw_range(env, "an integer number of bytes in [2^20, 2^40], a multiple of 4096", "bytes",
                describe(o.Get("bytes")));
  }
  bool huge = false;
  {
    Napi::Value v = o.Get("hugePages");
    if (!v.IsUndefined()) {
      if (!v.IsBoolean()) throw_type(env, "a boolean", "hugePages", describe(v));
      huge = v.As<Napi::Boolean>().Value();
    }
  }
  const double reads_d =
      count_option(o, "reads", 33554432.0, 0, kMaxCount, "an integer in [0, 2^40]");
  const double streams_d = count_option(o, "streams", 16, 1, 64, "a power of two in [1, 64]");
  const int streams = static_cast<int>(streams_d);
  if ((streams & (streams - 1)) != 0) {
    throw_range(env, "a power of two in [1, 64]", "streams", describe(o.Get("streams")));
  }
  const double chase_d =
      count_option(o, "chaseSteps", 8388608.0, 0, kMaxCount, "an integer in [0, 2^40]");

#ifndef TOPHASH_HAVE_MMAP
  (void)huge;
  (void)reads_d;
  (void)chase_d;
  throw_code(env, "ENOSYS", "memoryFloor() needs mmap (Linux or macOS)");
#else
  const uint64_t bytes = static_cast<uint64_t>(bytes_d);
  const auto t_setup = std::chrono::steady_clock::now();
  Region region(bytes);
  if (region.data() == nullptr) {
    throw_code(env, "ENOMEM",
               "memoryFloor(): mmap of " + std::to_string(bytes) +
                   " bytes failed: " + std::strerror(errno));
  }
  char* data = region.data();
#if defined(MADV_HUGEPAGE) && defined(MADV_NOHUGEPAGE)
  // Failure is not fatal: THP may be compiled out; thpBytes tells what happened.
  (void)madvise(data, bytes, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
#endif
  const auto t_touch = std::chrono::steady_clock::now();
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  for (uint64_t off = 0; off < bytes; off += page) data[off] = 1;
  const double touch_s = seconds_since(t_touch);
  const double thp =
      thp_bytes(reinterpret_cast<uintptr_t>(data), reinterpret_cast<uintptr_t>(data) + bytes);

  auto* words = reinterpret_cast<uint64_t*>(data);
  const uint64_t nwords = bytes / 8;
  const uint64_t rounds = static_cast<uint64_t>(reads_d) / static_cast<uint64_t>(streams);
  const uint64_t reads = rounds * static_cast<uint64_t>(streams);
  double ns_per_read = -1;
  if (reads > 0) {
    run_reads(streams, words, nwords, rounds / 16 + 1);  // warm the TLB/caches a little
    const auto t0 = std::chrono::steady_clock::now();
    g_sink = g_sink + run_reads(streams, words, nwords, rounds);
    ns_per_read = seconds_since(t0) * 1e9 / static_cast<double>(reads);
  }

  // Sattolo's algorithm: a[i] = i, for i = n-1..1: swap(a[i], a[j]), j uniform in [0, i)
  // gives a single cycle; each line's first word holds the index of the next line.
  const uint64_t lines = bytes / kLine;
  const uint64_t steps = static_cast<uint64_t>(chase_d);
  const uint64_t stride = kLine / 8;
  double ns_per_step = -1;
  double perm_s = 0;
  if (steps > 0) {
    const auto t_perm = std::chrono::steady_clock::now();
    for (uint64_t i = 0; i < lines; ++i) words[i * stride] = i;
    uint64_t state = 42;
    for (uint64_t i = lines - 1; i >= 1; --i) {
      const uint64_t j = scale(splitmix64(state), i);
      const uint64_t t = words[i * stride];
      words[i * stride] = words[j * stride];
      words[j * stride] = t;
    }
    perm_s = seconds_since(t_perm);
    uint64_t p = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (uint64_t s = 0; s < steps; ++s) p = words[p * stride];
    ns_per_step = seconds_since(t0) * 1e9 / static_cast<double>(steps);
    g_sink = g_sink + p;
  }

  Napi::Object r = Napi::Object::New(env);
  r.Set("bytes", static_cast<double>(bytes));
  r.Set("hugePages", huge);
  r.Set("thpBytes", thp);
  r.Set("streams", streams);
  r.Set("reads", static_cast<double>(reads));
  r.Set("nsPerRead", ns_per_read);
  r.Set("chaseSteps", static_cast<double>(steps));
  r.Set("nsPerStep", ns_per_step);
  r.Set("touchMs", touch_s * 1e3);
  r.Set("permutationMs", perm_s * 1e3);
  r.Set("totalMs", seconds_since(t_setup) * 1e3);
  return r;
#endif
}

}  // namespace tophash::addon
