// libFuzzer target: what a process reads from a shared segment that another
// process (or anything with write access to /dev/shm) may have written.
//   - Headers: a valid header with fuzzer-chosen bytes overwritten and a
//     fuzzer-chosen file size, checked against a fuzzer-chosen spec. It must
//     be refused with a SegmentError or accepted; an accepted one must
//     describe a layout that fits the file.
//   - Snapshots: fuzzer bytes as a shard's snapshot buffer, merged into an
//     engine. A bad one must be refused whole, a good one must leave the
//     engine sound, with whole, finite counts whose buckets add up to them.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/aggregator.h"
#include "core/shared_segment.h"
#include "test/fuzz_common.h"

using namespace tophash;
using fuzz::check;
using fuzz::Reader;

namespace {

core::AggOptions spec_from(Reader& r) {
  core::AggOptions o;
  o.key_kind = r.byte() & 1 ? core::AggKeyKind::kBytes : core::AggKeyKind::kU64;
  switch (r.byte() % 4) {
    case 1: o.hist = core::HistSpec::log2(r.byte() % 3); break;
    case 2: o.hist = core::HistSpec::linear(0, 8 + r.byte() % 8, 2); break;
    case 3: o.hist = core::HistSpec::buckets({1, 10, 100}); break;
    default: break;
  }
  return o;
}

void fuzz_header(Reader& r) {
  const core::AggOptions written = spec_from(r);
  const core::AggOptions expected = r.byte() & 1 ? spec_from(r) : written;
  core::SegmentGeometry g;
  g.shards = 1 + r.byte() % 8;
  g.shard_bytes = 4096 * (1 + r.byte() % 4);
  std::vector<uint8_t> header(core::kSegmentHeaderBytes, 0);
  core::write_segment_header(header.data(), written, g);
  // ready: the creator's last store, at byte 16
  const uint32_t ready = 1;
  std::memcpy(header.data() + 16, &ready, sizeof ready);
  const size_t mutations = r.byte() % 8;
  for (size_t i = 0; i < mutations; ++i) {
    const size_t at = (r.byte() | (size_t{r.byte()} << 8)) % header.size();
    header[at] = r.byte();
  }
  const size_t file_bytes = r.byte() & 1 ? r.u64() % (size_t{1} << 20)
                                         : core::kSegmentHeaderBytes + g.shards * g.shard_bytes;
  try {
    core::check_segment_header(header.data(), file_bytes, expected, g);
  } catch (const core::SegmentError&) {
    return;
  }
  // Accepted: the size it promises fits the file.
  uint64_t total;
  std::memcpy(&total, header.data() + 72, sizeof total);  // RawHeader::total_bytes
  check(total <= file_bytes);
}

void fuzz_snapshot(Reader& r, const fuzz::Kernels& k) {
  const core::AggOptions spec = spec_from(r);
  std::vector<uint8_t> buffer(r.p, r.p + r.n);
  // Give the header plausible sizes often enough to reach the rows.
  if (buffer.size() >= 32 && (buffer[0] & 1)) {
    const uint64_t count = buffer[1] % 8, key_bytes = buffer[2] % 32;
    std::memcpy(buffer.data() + 8, &count, 8);
    std::memcpy(buffer.data() + 16, &key_bytes, 8);
  }
  auto view = core::make_aggregator(spec, k.match, k.hash, 1);
  const bool merged = core::merge_snapshot(buffer.data(), buffer.size(), *view);
  if (!merged) check(view->size() == 0);
  fuzz::check_sound(view->check_invariants());
  // What merged rows promise: whole, finite counts whose buckets add up to
  // them (exactly, while they stay below 2^52). Sums may overflow to
  // infinity, as an engine's own sum of huge finite values does.
  view->visit_entries([&](const core::EntryView& e) {
    check(std::isfinite(e.row[0]) && e.row[0] >= 0);
    if (view->stride() == core::kRecordHeader) return;
    double buckets = 0;
    for (size_t i = core::kRecordHeader; i < view->stride(); ++i) buckets += e.row[i];
    check(std::isfinite(buckets));
    if (e.row[0] < 4503599627370496.0) check(buckets == e.row[0]);
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader r{data, size};
  const fuzz::Kernels k = fuzz::pick_kernels(r);
  if (r.byte() & 1) {
    fuzz_snapshot(r, k);
  } else {
    fuzz_header(r);
  }
  return 0;
}
