// Hash flooding: keys an attacker crafted to collide under one seed (same
// bucket and same tophash) pile into one overflow chain of a map with that
// seed, and spread out normally in a map with another seed. This is why each
// map draws a random seed, and why a fixed user-given seed gives the
// protection up for untrusted keys.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "core/u64_map.h"
#include "cpu/cpu_registry.h"
#include "hash/aes_family.h"

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

// ---------------------------------------------------------------------------
// Cross-length flooding of the AES family (aes_family.h explains the attack).
// A former version started from one round, S = E(K0 ^ (len, 0), K1): for two
// lengths, S(l1) ^ S(l2) = MixColumns(d, 0, 0, 0) = (2d, d, d, 3d) in bytes
// 0..3 for some unknown d != 0. So the 256 keys "l1 zero bytes" and, for every
// d, "(2d, d, d, 3d) zero-padded to l2 bytes" hold a full collision whatever
// the seed. The first test shows the attack works on that construction (the
// check can fail); the second that the family as it is now resists it.
namespace cross_length {

using Key = std::vector<uint8_t>;

uint8_t xtime(uint8_t x) { return uint8_t((x << 1) ^ ((x & 0x80) ? 0x1b : 0)); }

std::vector<Key> attack_set(size_t l1, size_t l2) {
  std::vector<Key> keys = {Key(l1, 0)};
  for (int d = 1; d < 256; ++d) {
    Key k(l2, 0);
    const uint8_t d1 = uint8_t(d), d2 = xtime(d1);
    const uint8_t pattern[4] = {d2, d1, d1, uint8_t(d2 ^ d1)};
    std::memcpy(k.data(), pattern, 4);
    keys.push_back(k);
  }
  return keys;
}

// The former construction for keys up to 16 bytes, from the portable round.
uint64_t one_round_start_hash(const Key& key, const hash::Seed& s) {
  uint8_t K[4][16], b[16] = {}, len[16] = {};
  for (int i = 0; i < 4; ++i) {
    std::memcpy(K[i], &s.k[2 * i], 8);
    std::memcpy(K[i] + 8, &s.k[2 * i + 1], 8);
  }
  len[0] = uint8_t(key.size());
  for (int i = 0; i < 16; ++i) len[i] ^= K[0][i];
  uint8_t S[16], x[16];
  hash::aesfam::aesenc_portable(len, K[1], S);
  if (!key.empty()) std::memcpy(b, key.data(), key.size());
  for (int i = 0; i < 16; ++i) x[i] = b[i] ^ S[i];
  for (int r = 1; r <= 3; ++r) hash::aesfam::aesenc_portable(x, K[r], x);
  uint64_t out;
  std::memcpy(&out, x, 8);
  return out;
}

const std::pair<size_t, size_t> kLengthPairs[] = {{3, 4}, {2, 4}, {4, 5}, {0, 8}, {8, 16}, {7, 12}};

template <class Hash>
size_t collisions(const std::vector<Key>& keys, Hash&& h) {
  std::vector<uint64_t> v;
  for (const Key& k : keys) v.push_back(h(k));
  std::sort(v.begin(), v.end());
  return size_t(std::adjacent_find(v.begin(), v.end()) != v.end());
}

std::vector<uint64_t> flood_seeds() {
  std::vector<uint64_t> seeds = {kSeedA};
  uint64_t state = 2024;
  for (int i = 0; i < 1000; ++i) seeds.push_back(hash::expand_seed(state++).k[0]);
  return seeds;
}

TEST(CrossLengthFlooding, OneRoundStartCollidesUnderEverySeed) {
  for (uint64_t seed : flood_seeds()) {
    const hash::Seed s = hash::expand_seed(seed);
    for (auto [l1, l2] : kLengthPairs)
      ASSERT_EQ(1u, collisions(attack_set(l1, l2),
                               [&](const Key& k) { return one_round_start_hash(k, s); }))
          << "seed " << seed << " lengths " << l1 << "/" << l2;
  }
}

TEST(CrossLengthFlooding, TheAesFamilyResistsItUnderEverySeed) {
  std::vector<const hash::HashKernel*> kernels;
  for (const char* name : {"aes-portable", "aes", "vaes"})
    if (const hash::HashKernel* k = cpu::select_hash(name, nullptr)) kernels.push_back(k);
  for (uint64_t seed : flood_seeds()) {
    const hash::Seed s = hash::expand_seed(seed);
    // Every kernel under the attacked seed; the fastest one under the rest.
    const size_t first = seed == kSeedA ? 0 : kernels.size() - 1;
    for (size_t i = first; i < kernels.size(); ++i)
      for (auto [l1, l2] : kLengthPairs)
        ASSERT_EQ(
            0u, collisions(attack_set(l1, l2),
                           [&](const Key& k) { return kernels[i]->bytes(k.data(), k.size(), s); }))
            << kernels[i]->name << " seed " << seed << " lengths " << l1 << "/" << l2;
  }
}

}  // namespace cross_length

}  // namespace
}  // namespace tophash::core
