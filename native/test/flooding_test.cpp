// Hash flooding: keys an attacker crafted to collide under one seed (same
// bucket and same tophash) pile into one overflow chain of a map with that
// seed, and spread out normally in a map with another seed. This is why each
// map draws a random seed, and why a fixed user-given seed gives the
// protection up for untrusted keys.
#include <gtest/gtest.h>

#include <vector>

#include "core/u64_map.h"
#include "cpu/cpu_registry.h"

namespace tophash::core {
namespace {

constexpr uint64_t kSeedA = 0x1234;
constexpr uint64_t kSeedB = 0x5678;
constexpr size_t kKeys = 300;
// 300 keys stay at B = 6 (6.5 * 64 = 416 > 300); matching 10 low bits keeps
// them in one bucket at every B up to 10.
constexpr uint64_t kLowMask = (1u << 10) - 1;

// The "attacker": knows seed A and searches for keys whose hashes agree in
// the low bits (bucket) and the top byte (tophash).
std::vector<uint64_t> craft_collisions(const hash::HashKernel* k) {
  const hash::Seed seed = hash::expand_seed(kSeedA);
  const uint64_t target = k->u64(0, seed);
  std::vector<uint64_t> keys;
  uint64_t batch[1024], hashes[1024];
  for (uint64_t base = 0; keys.size() < kKeys; base += 1024) {
    for (uint64_t i = 0; i < 1024; ++i) batch[i] = base + i;
    k->u64_many(batch, 1024, seed, hashes);
    for (int i = 0; i < 1024 && keys.size() < kKeys; ++i) {
      if ((hashes[i] & kLowMask) == (target & kLowMask) && (hashes[i] >> 56) == (target >> 56)) {
        keys.push_back(batch[i]);
      }
    }
  }
  return keys;
}

uint64_t overflow_after_inserting(const std::vector<uint64_t>& keys, const hash::HashKernel* k,
                                  uint64_t seed) {
  U64Table t(cpu::select_match(nullptr, nullptr), k, seed, 0);
  for (uint64_t key : keys) t.assign(key, t.hash(key), 1.0);
  EXPECT_EQ(t.size(), keys.size());
  for (uint64_t key : keys) EXPECT_NE(t.find(key, t.hash(key)), nullptr);
  return t.stats().overflow_buckets;
}

TEST(HashFlooding, CollisionsCraftedForOneSeedDoNotCollideUnderAnother) {
  for (const char* name : {"fold", "aes"}) {
    const hash::HashKernel* k = cpu::select_hash(name, nullptr);
    if (k == nullptr) continue;  // no AES-NI here
    const std::vector<uint64_t> keys = craft_collisions(k);
    const uint64_t chained = overflow_after_inserting(keys, k, kSeedA);
    const uint64_t spread = overflow_after_inserting(keys, k, kSeedB);
    // Under seed A every key lands in one bucket: a chain of ~kKeys/8 buckets.
    EXPECT_GE(chained, kKeys / 8 - 2) << name;
    // Under seed B the same keys behave like random ones (load ~4.7 per bucket).
    EXPECT_LE(spread, 8u) << name;
  }
}

}  // namespace
}  // namespace tophash::core
