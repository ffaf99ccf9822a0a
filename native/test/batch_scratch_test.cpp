// The scratch a thread keeps between region-by-region batches: what it holds,
// when it lets go, and that a held block is reused rather than reallocated.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <thread>

#include "core/batch_scratch.h"
#include "core/zeroed_memory.h"
#include "core/u64_map.h"
#include "cpu/cpu_registry.h"

namespace tophash::core {
namespace {

class BatchScratch : public testing::Test {
 protected:
  void SetUp() override { release_batch_scratch(); }
  void TearDown() override { release_batch_scratch(); }
};

TEST_F(BatchScratch, AKeptBlockIsHandedOutAgainWhole) {
  size_t bytes = 100000;
  void* p = take_batch_scratch(bytes);
  ASSERT_NE(p, nullptr);
  EXPECT_GE(bytes, 100000u);
  std::memset(p, 0xab, bytes);
  keep_batch_scratch(p, bytes, SIZE_MAX);
  EXPECT_EQ(held_batch_scratch_bytes(), bytes);

  size_t smaller = 5000;
  EXPECT_EQ(take_batch_scratch(smaller), p);
  EXPECT_EQ(smaller, bytes) << "the block's whole size comes back";
  EXPECT_EQ(held_batch_scratch_bytes(), 0u) << "taken, not shared";
  keep_batch_scratch(p, smaller, SIZE_MAX);
}

TEST_F(BatchScratch, ABiggerNeedGetsAFreshBlockAndTheBiggerOneIsKept) {
  size_t small = 64 << 10;
  void* a = take_batch_scratch(small);
  keep_batch_scratch(a, small, SIZE_MAX);
  size_t big = 1 << 20;
  void* b = take_batch_scratch(big);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(b, a);
  EXPECT_EQ(held_batch_scratch_bytes(), small) << "the small block stays held meanwhile";
  keep_batch_scratch(b, big, SIZE_MAX);
  EXPECT_EQ(held_batch_scratch_bytes(), big);
}

TEST_F(BatchScratch, BlocksPastTheLimitsAreFreedNotHeld) {
  size_t bytes = 1 << 20;
  void* p = take_batch_scratch(bytes);
  keep_batch_scratch(p, bytes, /*hold_limit=*/bytes - 1);
  EXPECT_EQ(held_batch_scratch_bytes(), 0u) << "bigger than the table that used it";

  size_t huge = kMaxHeldBatchScratch + 4096;
  void* q = take_batch_scratch(huge);
  ASSERT_NE(q, nullptr);
  keep_batch_scratch(q, huge, SIZE_MAX);
  EXPECT_EQ(held_batch_scratch_bytes(), 0u) << "over kMaxHeldBatchScratch";
}

TEST_F(BatchScratch, ASmallerBlockDoesNotReplaceTheHeldOne) {
  size_t big = 1 << 20;
  void* b = take_batch_scratch(big);
  keep_batch_scratch(b, big, SIZE_MAX);
  size_t small = 64 << 10;
  void* s = zeroed_alloc(small);  // not from the held block
  keep_batch_scratch(s, small, SIZE_MAX);
  EXPECT_EQ(held_batch_scratch_bytes(), big);
}

TEST_F(BatchScratch, ATablesDestructorAndEachThreadLetGo) {
  size_t bytes = 1 << 20;
  keep_batch_scratch(take_batch_scratch(bytes), bytes, SIZE_MAX);
  ASSERT_EQ(held_batch_scratch_bytes(), bytes);
  std::thread([] {
    EXPECT_EQ(held_batch_scratch_bytes(), 0u) << "a block is the thread's own";
    size_t b = 1 << 20;
    keep_batch_scratch(take_batch_scratch(b), b, SIZE_MAX);
    EXPECT_EQ(held_batch_scratch_bytes(), b);
  }).join();
  EXPECT_EQ(held_batch_scratch_bytes(), bytes);
  { U64Table t(cpu::select_match(nullptr, nullptr), cpu::select_hash(nullptr, nullptr), 1, 0); }
  EXPECT_EQ(held_batch_scratch_bytes(), 0u) << "closing a map frees its thread's scratch";
}

}  // namespace
}  // namespace tophash::core
