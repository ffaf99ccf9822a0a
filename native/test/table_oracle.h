// Checks the table suites (u64, byte and fixed-width keys) share: one step of
// a random-operation loop, and a batch lookup's results, each against an
// oracle map from key to value.
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>

namespace tophash::test {

// One random step on key k: assign a value below 1000 (half the steps),
// erase, or find, each checked against the oracle. assign(v) and erase()
// return whether the key was new / present, find() the value or nullptr.
// Call under ASSERT_NO_FATAL_FAILURE.
template <class Oracle, class Key, class Assign, class Erase, class Find>
void random_op(std::mt19937_64& rng, Oracle& oracle, const Key& k, Assign assign, Erase erase,
               Find find) {
  switch (rng() % 4) {
    case 0:
    case 1: {
      const double v = static_cast<double>(rng() % 1000);
      ASSERT_EQ(assign(v), oracle.count(k) == 0);
      oracle[k] = v;
      break;
    }
    case 2: ASSERT_EQ(erase(), oracle.erase(k) == 1); break;
    default: {
      const double* got = find();
      auto it = oracle.find(k);
      ASSERT_EQ(got != nullptr, it != oracle.end());
      if (got) {
        ASSERT_EQ(*got, it->second);
      }
    }
  }
}

// A batch get (out, found), a batch has (has) and single lookups
// (present(i)) of probes key_of(0..n) agree with the oracle: present keys
// with their values, absent ones with NaN; `hits` is what the get returned.
// Call under ASSERT_NO_FATAL_FAILURE.
template <class Oracle, class KeyOf, class Present>
void expect_batch_agrees(const Oracle& oracle, size_t n, KeyOf key_of, Present present,
                         const double* out, const uint8_t* found, const uint8_t* has, size_t hits) {
  size_t expect_hits = 0;
  for (size_t i = 0; i < n; ++i) {
    auto it = oracle.find(key_of(i));
    ASSERT_EQ(found[i], it != oracle.end());
    ASSERT_EQ(found[i], present(i));
    ASSERT_EQ(has[i], found[i]);
    if (it != oracle.end()) {
      ++expect_hits;
      ASSERT_EQ(out[i], it->second);
    } else {
      ASSERT_TRUE(std::isnan(out[i]));
    }
  }
  EXPECT_EQ(hits, expect_hits);
}

}  // namespace tophash::test
