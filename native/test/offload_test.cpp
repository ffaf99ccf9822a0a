// The offload machinery: the event ring's protocol, and several producer
// threads recording into one shared aggregator while the offload thread and
// readers drain it. Built plain, under ASan/UBSan and, on its own, under
// ThreadSanitizer (scripts/test-native.sh), which checks the ring's
// acquire/release pairs and the lock discipline.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "core/aggregator.h"
#include "core/event_ring.h"
#include "core/offload_thread.h"
#include "core/shared_aggregator.h"
#include "cpu/cpu_registry.h"

namespace tophash::core {
namespace {

constexpr auto kForever = std::chrono::hours(1);

std::unique_ptr<Aggregator> engine(AggKeyKind kind = AggKeyKind::kU64,
                                   HistSpec hist = HistSpec::log2(0)) {
  AggOptions o;
  o.key_kind = kind;
  o.hist = hist;
  std::string e;
  return make_aggregator(o, cpu::select_match(nullptr, &e), cpu::select_hash(nullptr, &e), 5);
}

StagedKeys u64_key(const uint64_t* k) {
  StagedKeys s;
  s.u64 = k;
  s.count = 1;
  return s;
}

TEST(EventRing, PushesUntilFullThenDrainsInOrderAcrossTheWrap) {
  auto agg = engine();
  EventRing ring(16, true);
  uint64_t rejected = 0;
  // Offset the positions so the second fill wraps around the end.
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(ring.try_push(kKeyedEvent, 1.0, 1));
  EXPECT_EQ(ring.drain(*agg, &rejected), 10u);
  for (int i = 0; i < 16; ++i) ASSERT_TRUE(ring.try_push(kKeyedEvent, i, 2));
  EXPECT_FALSE(ring.try_push(kKeyedEvent, 99, 2));
  EXPECT_EQ(ring.waiting(), 16u);
  EXPECT_EQ(ring.drain(*agg, &rejected), 16u);
  EXPECT_EQ(ring.waiting(), 0u);
  EXPECT_EQ(rejected, 0u);
  const uint64_t k1 = 1, k2 = 2;
  EXPECT_EQ(agg->find(u64_key(&k1))[0], 10.0);
  const double* row = agg->find(u64_key(&k2));
  EXPECT_EQ(row[0], 16.0);
  EXPECT_EQ(row[1], 120.0);  // 0 + 1 + ... + 15
  EXPECT_EQ(row[2], 0.0);
  EXPECT_EQ(row[3], 15.0);
}

TEST(EventRing, SkipsAndCountsEventsThatFailValidation) {
  auto agg = engine();
  EventRing ring(16, true);
  uint64_t rejected = 0;
  ASSERT_TRUE(ring.try_push(kKeyedEvent, 1.0, 7));
  ASSERT_TRUE(ring.try_push(12345, 1.0));  // no such handle
  ASSERT_TRUE(ring.try_push(kKeyedEvent, std::nan(""), 7));
  ASSERT_TRUE(ring.try_push(kKeyedEvent, 2.0, 7));
  EXPECT_EQ(ring.drain(*agg, &rejected), 4u);
  EXPECT_EQ(rejected, 2u);
  const uint64_t k = 7;
  EXPECT_EQ(agg->find(u64_key(&k))[0], 2.0);
}

TEST(EventRing, AHeadTooFarAheadIsRejectedWhole) {
  auto agg = engine();
  EventRing ring(16, true);
  uint64_t rejected = 0;
  // A producer that wrote a head past capacity (a bug, or hostile memory).
  uint32_t head = 1000;
  std::memcpy(ring.data() + EventRing::kHeadOffset, &head, sizeof head);
  EXPECT_EQ(ring.drain(*agg, &rejected), 1000u);
  EXPECT_EQ(rejected, 1000u);
  EXPECT_EQ(agg->size(), 0u);
  EXPECT_EQ(ring.waiting(), 0u);
}

TEST(EventRing, ByteKeyRingsCarryHandleEventsOnly) {
  auto agg = engine(AggKeyKind::kBytes);
  EventRing ring(32, false);
  EXPECT_FALSE(ring.u64_keys());
  const uint8_t key[] = {'a', 'b'};
  const uint32_t offsets[] = {0, 2};
  StagedKeys k;
  k.bytes = key;
  k.offsets = offsets;
  k.count = 1;
  const uint32_t h = agg->add_handle(k);
  uint64_t rejected = 0;
  ASSERT_TRUE(ring.try_push(h, 3.0));
  ASSERT_TRUE(ring.try_push(kKeyedEvent, 3.0));  // no key lane: rejected
  ring.drain(*agg, &rejected);
  EXPECT_EQ(rejected, 1u);
  EXPECT_EQ(agg->find(k)[0], 1.0);
}

TEST(OffloadThread, RunsOnlyWhileAnOffloadedAggregatorIsOpen) {
  ASSERT_FALSE(OffloadThread::running());
  auto inline_only = SharedAggregator::create(engine(), false);
  EXPECT_FALSE(OffloadThread::running());
  auto a = SharedAggregator::create(engine(), true);
  auto b = SharedAggregator::create(engine(), true);
  EXPECT_TRUE(OffloadThread::running());
  {
    auto lock = a->lock(kForever);
    a->close();
  }
  EXPECT_TRUE(OffloadThread::running());
  {
    auto lock = b->lock(kForever);
    b->close();
  }
  EXPECT_FALSE(OffloadThread::running());
  // And it starts again for the next one.
  auto c = SharedAggregator::create(engine(), true);
  EXPECT_TRUE(OffloadThread::running());
  auto lock = c->lock(kForever);
  c->close();
  EXPECT_FALSE(OffloadThread::running());
}

TEST(OffloadThread, DrainsRingsWithoutAnyReader) {
  auto shared = SharedAggregator::create(engine(), true);
  std::shared_ptr<EventRing> ring;
  {
    auto lock = shared->lock(kForever);
    ring = shared->add_ring(1024);
  }
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(ring->try_push(kKeyedEvent, 1.0, 3));
  OffloadThread::wake();
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (ring->waiting() != 0 && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(ring->waiting(), 0u);
  auto lock = shared->lock(kForever);
  const uint64_t k = 3;
  EXPECT_EQ(shared->engine()->find(u64_key(&k))[0], 500.0);
  shared->close();
}

TEST(SharedAggregator, FindsLiveAggregatorsByIdOnly) {
  auto a = SharedAggregator::create(engine(), false);
  EXPECT_EQ(SharedAggregator::find(a->id()), a);
  const uint64_t id = a->id();
  a.reset();
  EXPECT_EQ(SharedAggregator::find(id), nullptr);
  EXPECT_EQ(SharedAggregator::find(0), nullptr);
}

// The scenario the JavaScript side builds on: producers on their own
// threads, each with a ring, the offload thread draining, readers taking the
// lock and draining their own ring; every event lands exactly once.
TEST(SharedAggregator, ManyProducersOneAggregationNothingLostNothingDoubled) {
  constexpr int kProducers = 4;
  constexpr int kEvents = 200000;
  auto shared = SharedAggregator::create(engine(), true);
  std::vector<std::shared_ptr<EventRing>> rings;
  {
    auto lock = shared->lock(kForever);
    for (int p = 0; p < kProducers; ++p) rings.push_back(shared->add_ring(256));
  }
  std::atomic<int> reads{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      EventRing& ring = *rings[p];
      for (int i = 0; i < kEvents; ++i) {
        // Key per producer and one key they share; value i % 100.
        const uint64_t key = (i & 1) ? 1000 + p : 42;
        while (!ring.try_push(kKeyedEvent, i % 100, key)) {
          // 'flush': drain our own ring under the lock.
          auto lock = shared->lock(kForever);
          shared->drain(ring);
        }
        if (i % 50000 == 0) {
          // A read: sees at least this producer's events so far.
          auto lock = shared->lock(kForever);
          shared->drain(ring);
          const uint64_t k = 42;
          const double* row = shared->engine()->find(u64_key(&k));
          if (row != nullptr && row[0] >= i / 2) reads.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  auto lock = shared->lock(kForever);
  shared->drain_all();
  const uint64_t shared_key = 42;
  EXPECT_EQ(shared->engine()->find(u64_key(&shared_key))[0], kProducers * kEvents / 2.0);
  for (int p = 0; p < kProducers; ++p) {
    const uint64_t k = 1000 + p;
    const double* row = shared->engine()->find(u64_key(&k));
    ASSERT_NE(row, nullptr);
    EXPECT_EQ(row[0], kEvents / 2.0);
    EXPECT_EQ(row[2], 1.0);
    EXPECT_EQ(row[3], 99.0);
  }
  EXPECT_EQ(reads.load(), kProducers * (kEvents / 50000));
  const AggStats s = shared->stats();
  EXPECT_EQ(s.events, uint64_t{kProducers} * kEvents);
  EXPECT_EQ(s.dropped, 0u);
  shared->close();
}

TEST(SharedAggregator, RemovedRingsAreDrainedAndTheirDropsKept) {
  auto shared = SharedAggregator::create(engine(), true);
  auto lock = shared->lock(kForever);
  auto ring = shared->add_ring(16);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(ring->try_push(kKeyedEvent, 1.0, 9));
  ring->add_dropped(3);
  shared->remove_ring(ring);
  const uint64_t k = 9;
  EXPECT_EQ(shared->engine()->find(u64_key(&k))[0], 5.0);
  EXPECT_EQ(shared->stats().dropped, 3u);
  shared->close();
  EXPECT_TRUE(shared->closed());
  EXPECT_EQ(shared->engine(), nullptr);
}

TEST(SharedAggregator, CloseDrainsEveryRingAndMarksItClosed) {
  auto shared = SharedAggregator::create(engine(), true);
  auto lock = shared->lock(kForever);
  auto ring = shared->add_ring(16);
  ASSERT_TRUE(ring->try_push(kKeyedEvent, 1.0, 9));
  EXPECT_FALSE(ring->closed());
  shared->close();
  EXPECT_TRUE(ring->closed());
  EXPECT_EQ(ring->waiting(), 0u);
}

}  // namespace
}  // namespace tophash::core
