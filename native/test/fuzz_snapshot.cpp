// libFuzzer target: the snapshot reader (core/snapshot_reader.h), which reads
// files anyone with write access to them may have crafted. The input is laid
// out as test/fuzz_snapshot_input.h says (byte 0, bit 0: re-seal the
// checksums, as a forger can compute CRC32C too); byte 0's other bits:
//           bit 1: read it as a StrMap snapshot, else as a U64Map one;
//           bit 2: read it as a BpfMap snapshot (bit 1 ignored);
//           bit 3: restore it into an Aggregator (bits 1-2 ignored) whose key
//                  kind, onFull and maxEntries (up to 4096) the file's header
//                  names, without a histogram.
// A file must be refused with a SnapshotError or accepted; an accepted one
// must give a table whose scan agrees with its size, before and after writes
// that grow it, delete from it and look things up in it; an accepted BpfMap
// must also pass its invariant check (records and table agree) after writes
// that fill it, evict from it and drain it; so must an accepted Aggregator,
// after events for new and old keys.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/aggregator.h"
#include "core/bpf_map.h"
#include "core/snapshot_reader.h"
#include "test/fuzz_common.h"
#include "test/fuzz_snapshot_input.h"

using namespace tophash;
using fuzz::check;
using fuzz::tolerate;

namespace {

template <class T>
uint64_t scanned_entries(const T& t) {
  uint64_t n = 0;
  uint64_t cursor = 0;
  do {
    cursor = t.scan(cursor, [&](const auto&, double) { ++n; });
  } while (cursor != 0);
  return n;
}

// Key k as a U64Map probe, or as a StrMap one (long enough for the arena
// when k is odd).
uint64_t key_of(const core::U64Table&, uint64_t k, std::string*) { return k * 31; }
core::ByteProbe key_of(const core::StrTable& t, uint64_t k, std::string* bytes) {
  *bytes = std::to_string(k * 31) + (k % 2 ? "-a-key-for-the-arena" : "");
  return core::str_probe(t, bytes->data(), bytes->size());
}

template <class T>
void exercise(T& t) {
  check(scanned_entries(t) == t.size());
  // A forged table may hold a key twice or out of place: writes must stay
  // inside its memory and keep the count honest all the same.
  std::string bytes;
  for (uint64_t k = 0; k < 200; ++k) {
    const auto key = key_of(t, k, &bytes);
    t.assign(key, t.hash(key), 1.0);
  }
  for (uint64_t k = 0; k < 200; k += 2) {
    const auto key = key_of(t, k, &bytes);
    t.erase(key, t.hash(key));
  }
  // Only the keys just set and not deleted are sure to be found: a forged
  // copy of a deleted one may still be.
  for (uint64_t k = 1; k < 200; k += 2) {
    const auto key = key_of(t, k, &bytes);
    check(t.find(key, t.hash(key)) != nullptr);
  }
  check(scanned_entries(t) == t.size());
}

void exercise_bpf(core::BpfMap& m) {
  check(m.check_invariants().empty());
  std::vector<uint8_t> key(m.key_size()), value(m.value_size(), 1);
  for (uint32_t k = 0; k < 300; ++k) {
    std::memcpy(key.data(), &k, key.size() < 4 ? key.size() : 4);
    m.update(key.data(), value.data(), core::kBpfAny);
    if (k % 3 == 0) m.erase(key.data());
    m.lookup(key.data());
  }
  std::vector<uint8_t> keys, values;
  const auto r = m.lookup_batch(0, 64, true, &keys, &values);
  check(r.status != core::BpfStatus::kOk || keys.size() == r.count * m.key_size());
  check(m.size() <= m.max_entries());
  check(m.check_invariants().empty());
}

// An aggregator shaped by the header's parameters, so that the file can get
// past the options check; restored from it, then recorded into.
void restore_aggregator(core::SnapshotSource& src, const simd::MatchKernel* match) {
  const core::SnapshotLayout layout = core::read_snapshot_header(src);
  const uint64_t kinds = layout.header.params[0];
  core::AggOptions o;
  o.key_kind = kinds & 1 ? core::AggKeyKind::kBytes : core::AggKeyKind::kU64;
  o.on_full = static_cast<core::OnFull>((kinds >> 8) % 3);
  const uint64_t max = layout.header.params[1];
  o.max_entries = max >= 1 && max <= 4096 ? max : 1 + max % 4096;
  std::string unused;
  auto agg = core::make_aggregator(o, match, cpu::select_hash(nullptr, &unused), 1);
  agg->restore_snapshot(src, layout, nullptr);
  check(agg->check_invariants().empty());
  std::vector<uint64_t> keys(64);
  std::vector<uint8_t> bytes(64 * 3);
  std::vector<uint32_t> offsets(65), ids(64);
  std::vector<double> values(64, 1.0);
  for (uint32_t i = 0; i < 64; ++i) {
    keys[i] = i * 3;
    bytes[i * 3] = static_cast<uint8_t>(i);
    offsets[i + 1] = (i + 1) * 3;
    ids[i] = core::kKeyedEvent | i;
  }
  core::StagedKeys staged;
  staged.count = 64;
  if (o.key_kind == core::AggKeyKind::kU64) {
    staged.u64 = keys.data();
  } else {
    staged.bytes = bytes.data();
    staged.offsets = offsets.data();
  }
  agg->apply(ids.data(), values.data(), 64, staged);
  uint64_t n = 0;
  agg->visit_entries([&](const core::EntryView&) { ++n; });
  check(n == agg->size() && n <= o.max_entries);
  check(agg->check_invariants().empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::SnapshotInput in = fuzz::snapshot_input(data, size);
  core::MemorySource src(in.file.data(), in.file.size());
  if (in.flags & 8) {
    tolerate([&] { restore_aggregator(src, in.match); });
  } else if (in.flags & 4) {
    tolerate([&] { exercise_bpf(*core::BpfMap::read_snapshot(src, in.match, nullptr)); });
  } else if (in.flags & 2) {
    tolerate([&] { exercise(*core::read_str_snapshot(src, in.match, nullptr)); });
  } else {
    tolerate([&] { exercise(*core::read_u64_snapshot(src, in.match, nullptr)); });
  }
  return 0;
}
