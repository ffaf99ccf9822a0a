// libFuzzer target: U64Map.open's path (core/mapped_u64_map.h), which checks
// only a file's header and section table and then reads the rest in place,
// unverified, on every lookup. The input is laid out as
// test/fuzz_snapshot_input.h says; re-sealed checksums let mutations behind
// them survive into verify() and the copy-on-write load.
// A file must be refused at open with a SnapshotError or accepted; on an
// accepted one every read (lookups of fuzzer-chosen and scanned keys, batches
// of every key kind, a full scan, verify, and the copy-on-write
// materialization) must end in an answer or a SnapshotError: never a read
// outside the bytes (ASan) or a loop (libFuzzer's timeout).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/mapped_u64_map.h"
#include "test/fuzz_common.h"
#include "test/fuzz_snapshot_input.h"

using namespace tophash;
using fuzz::check;
using fuzz::tolerate;

namespace {

// Keys to look up: what a scan finds (when it gets through) and a few more.
std::vector<uint64_t> probe_keys(const core::MappedU64Map& m) {
  std::vector<uint64_t> keys = {0, 1, 2, 31, 62, 1000, ~uint64_t{0}};
  tolerate([&] {
    m.read([&] {
      uint64_t cursor = 0;
      do {
        cursor = m.scan(cursor, [&](uint64_t key, double) {
          if (keys.size() < 4096) keys.push_back(key);
        });
      } while (cursor != 0);
    });
  });
  return keys;
}

void exercise(const core::MappedU64Map& m) {
  const std::vector<uint64_t> keys = probe_keys(m);
  std::vector<double> out(keys.size());
  std::vector<uint8_t> found(keys.size());
  tolerate([&] {
    const size_t hits = core::get_batch(m, {core::KeyBatch::Kind::kU64, keys.data(), keys.size()},
                                        out.data(), found.data());
    size_t counted = 0;
    for (uint8_t f : found) counted += f;
    check(hits == counted);
  });
  std::vector<uint32_t> small(keys.begin(), keys.end());
  tolerate([&] {
    core::has_batch(m, {core::KeyBatch::Kind::kU32, small.data(), small.size()}, found.data());
  });
  tolerate([&] {
    m.read([&] {
      for (uint64_t k : keys) m.find(k, m.hash(k));
    });
  });
  tolerate([&] { m.verify(); });
  tolerate([&] {
    auto t = m.materialize();
    uint64_t n = 0;
    uint64_t cursor = 0;
    do {
      cursor = t->scan(cursor, [&](uint64_t, double) { ++n; });
    } while (cursor != 0);
    check(n == t->size());
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::SnapshotInput in = fuzz::snapshot_input(data, size);
  std::unique_ptr<core::MappedU64Map> m;
  try {
    m = core::MappedU64Map::over(in.file.data(), in.file.size(), in.match, nullptr);
  } catch (const core::SnapshotError&) {
    return 0;
  }
  exercise(*m);
  return 0;
}
