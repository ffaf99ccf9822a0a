// Threads updating, looking up, deleting and draining one pinned table at
// once (built under ThreadSanitizer too): every lock-free read of the shared
// words is atomic, values are never seen torn, and the table ends exact.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "core/pinned_table.h"
#include "cpu/cpu_registry.h"

namespace tophash::core {
namespace {

constexpr size_t kValueBytes = 48;

struct SharedFile {
  std::string path;
  std::unique_ptr<PinnedTable> table;
  SharedFile(BpfType type, uint64_t max_entries)
      : path("/tmp/tophash-pinconc-" + std::to_string(::getpid()) + "-" +
             std::to_string(static_cast<int>(type))) {
    ::unlink(path.c_str());
    std::string e;
    const hash::HashKernel* h = cpu::select_hash(nullptr, &e);
    table =
        PinnedTable::create(path, pinned_shape(type, 8, kValueBytes, max_entries, h->family, 3), h);
  }
  ~SharedFile() { ::unlink(path.c_str()); }
};

bool whole(const uint8_t* v) {
  for (size_t i = 1; i < kValueBytes; ++i)
    if (v[i] != v[0]) return false;
  return true;
}

TEST(PinnedConcurrency, UpdateLookupDeleteOnOneTable) {
  SharedFile f(BpfType::kHash, 4096);
  PinnedTable& t = *f.table;
  constexpr int kThreads = 4;
  constexpr uint64_t kOwn = 300;
  std::atomic<int> torn{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kThreads; ++w) {
    threads.emplace_back([&, w] {
      std::vector<uint8_t> v(kValueBytes), out(kValueBytes);
      for (int round = 0; round < 4; ++round) {
        for (uint64_t i = 0; i < kOwn; ++i) {
          const uint64_t own = (uint64_t(w) << 32) | i;
          std::memset(v.data(), static_cast<int>(i + round), kValueBytes);
          t.update(reinterpret_cast<const uint8_t*>(&own), v.data(), kBpfAny);
          const uint64_t shared = 1000 + i % 16;  // contended keys
          std::memset(v.data(), w + 1, kValueBytes);
          t.update(reinterpret_cast<const uint8_t*>(&shared), v.data(), kBpfAny);
          if (t.lookup(reinterpret_cast<const uint8_t*>(&shared), out.data()) && !whole(out.data()))
            torn.fetch_add(1);
          if (i % 3 == 0) t.erase(reinterpret_cast<const uint8_t*>(&shared));
          if (round == 3 && i % 2 == 1) t.erase(reinterpret_cast<const uint8_t*>(&own));
        }
        std::vector<uint8_t> keys, values;
        t.lookup_batch(0, SIZE_MAX, false, &keys, &values);
        for (size_t j = 0; j < values.size() / kValueBytes; ++j)
          if (!whole(values.data() + j * kValueBytes)) torn.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(torn.load(), 0);
  std::vector<uint8_t> out(kValueBytes);
  uint64_t own_left = 0;
  for (int w = 0; w < kThreads; ++w) {
    for (uint64_t i = 0; i < kOwn; ++i) {
      const uint64_t own = (uint64_t(w) << 32) | i;
      const bool present = t.lookup(reinterpret_cast<const uint8_t*>(&own), out.data());
      EXPECT_EQ(present, i % 2 == 0);
      if (present) {
        EXPECT_EQ(out[0], static_cast<uint8_t>(i + 3));
        ++own_left;
      }
    }
  }
  EXPECT_EQ(own_left, kThreads * kOwn / 2);
  EXPECT_EQ(check_pinned_table(t.base(), t.shape()), "");
}

TEST(PinnedConcurrency, LruEvictionAcrossBucketsUnderContention) {
  SharedFile f(BpfType::kLruHash, 64);
  PinnedTable& t = *f.table;
  std::atomic<uint64_t> inserted{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      std::vector<uint8_t> v(kValueBytes, static_cast<uint8_t>(w)), out(kValueBytes);
      for (uint64_t i = 0; i < 2000; ++i) {
        const uint64_t k = (uint64_t(w) << 32) | i;
        if (t.update(reinterpret_cast<const uint8_t*>(&k), v.data(), kBpfAny) == BpfStatus::kOk)
          inserted.fetch_add(1);
        const uint64_t back = (uint64_t(w) << 32) | (i / 2);
        t.lookup(reinterpret_cast<const uint8_t*>(&back), out.data());
      }
    });
  }
  for (auto& th : threads) th.join();
  // Every key is new: each insert took a free record or evicted one.
  EXPECT_EQ(t.size(), 64u);
  EXPECT_EQ(t.evictions(), inserted.load() - t.size());
  EXPECT_GT(inserted.load(), 4u * 1900);
  EXPECT_EQ(check_pinned_table(t.base(), t.shape()), "");
}

}  // namespace
}  // namespace tophash::core
