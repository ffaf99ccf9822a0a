// An Aggregator's snapshot (docs/FORMAT.md, key kind 4). Unlike a map's, it
// is a list, not the table's memory: an 'options' section (the caller's
// description of the aggregator's options, opaque here: JavaScript keeps its
// key spec and histogram there) and an 'entries' section (the counters, the
// overflow row, then each entry's key and row back to back in scan order).
//
// Why a list: an aggregator's rows live in a pool whose indices, handles and
// generations belong to the process, and its byte keys in per-row strings,
// so there is no array to copy as is. The table's B, hash family and seed
// are recorded all the same, and the entries are re-inserted in scan order
// into a table of that B and seed, where they land in the same bucket
// chains in the same order: the loaded aggregator iterates (and so renders)
// its entries in the saved order. What is not kept: the CLOCK reference
// bytes and hand ('lru' starts with every entry unreferenced), handles, and
// the free slots deletes left in chains (a key added after the load may
// sit elsewhere in its chain than it would have in the saved aggregator).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/aggregator.h"
#include "core/snapshot_format.h"
#include "core/snapshot_reader.h"
#include "core/snapshot_sections.h"

namespace tophash::core {

// The first 64 bytes of the entries section.
struct AggSnapshotState {
  uint64_t events;
  uint64_t batches;
  uint64_t dropped;
  uint64_t evicted;
  uint64_t overflow_events;
  uint64_t has_overflow_row;  // 0 or 1: the stride doubles after this state
  uint64_t reserved[2];
};
static_assert(sizeof(AggSnapshotState) == kSnapshotAlign, "FORMAT.md: a 64-byte state");

// Writes a snapshot piece by piece: options, state, entries, then the header.
class AggSnapshotWriter {
 public:
  AggSnapshotWriter(SnapshotSink& sink, const std::string& meta);
  // overflow_row: stride doubles, or null for none (zeros are written).
  void state(const AggSnapshotState& s, const double* overflow_row, size_t stride);
  void entry(const EntryView& e, AggKeyKind kind, size_t stride);
  void finish(const AggOptions& o, size_t stride, const hash::HashKernel* kernel, unsigned B,
              uint64_t seed);

 private:
  SnapshotSink& sink_;
  SectionWriter w_;
  SnapshotSectionEntry sections_[2];
  uint64_t count_ = 0;
  uint64_t meta_bytes_;
};

// Reads and checks a snapshot for an aggregator of options `o` (stride
// doubles a row): the header against the options, both sections' checksums,
// then entries one at a time, each bounded by the section.
class AggSnapshotReader {
 public:
  AggSnapshotReader(SnapshotSource& src, const SnapshotLayout& layout, const AggOptions& o,
                    size_t stride);
  const AggSnapshotState& state() const { return state_; }
  const double* overflow_row() const { return overflow_.data(); }
  unsigned B() const { return B_; }
  // The next entry's key (count 1) and row (stride doubles, copied to row);
  // false after the last, once the count matched the header's.
  bool next(StagedKeys* key, double* row);
  // Refuses the file: a key seen twice.
  [[noreturn]] void duplicate() const;

 private:
  std::vector<uint8_t> entries_;
  size_t at_ = 0;
  uint64_t left_;
  AggKeyKind kind_;
  size_t stride_;
  unsigned B_;
  AggSnapshotState state_;
  std::vector<double> overflow_;
  uint64_t u64_key_ = 0;
  uint32_t offsets_[2] = {0, 0};
};

// The options section of the aggregator snapshot at path (steps 1-5 for
// it; the entries are checked by the load).
std::string read_agg_meta(const std::string& path);

}  // namespace tophash::core
