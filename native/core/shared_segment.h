// A named POSIX shared-memory segment through which the processes of one
// host (node:cluster workers, or any processes) share one aggregation.
//
// THE PERCPU IDEA
//
// eBPF's per-CPU maps give each CPU its own copy of every value, so the
// recording path takes no lock and shares no cache line; a reader sums the
// copies. Here each process is the "CPU": it aggregates in its own engine,
// as an unshared Aggregator does, and publishes the result as a snapshot in
// its own shard of the segment; a reader merges every shard's latest
// snapshot. Recording never touches the segment.
//
// LAYOUT (all integers in the creating host's byte order, checked on open)
//
//   header (kHeaderBytes): magic, layout version, endianness mark, the key
//     kind and histogram spec (every process must aggregate the same way),
//     shard count and size, total size, a ready word the creator sets last,
//     and a checksum over the rest.
//   shard i at kHeaderBytes + i * shard_bytes: an owner word (state | pid),
//     the index of the buffer holding the latest snapshot, a publish count,
//     then two snapshot buffers.
//   snapshot buffer: seq (odd while being written), entry count, key bytes,
//     then the keys (u64, or u32 offsets + bytes) and the rows (count, sum,
//     min, max, buckets), stride doubles each.
//
// CRASH SAFETY
//
// A publish writes the buffer that is not the latest, then switches the
// latest index with one store. A process killed at any instruction leaves
// its previous snapshot whole and current, so every event it recorded
// before its last completed publish stays counted. A reader copies a
// buffer and keeps the copy only if seq was even and unchanged around it.
// Everything read from the segment (header, owner words, snapshots) is
// validated before use: another process may have written garbage.
//
// OWNERSHIP
//
// A process claims a free shard, or adopts one whose owner closed (state
// orphaned) or died (its pid is gone): it merges the snapshot there into
// its own engine first, so the data stays counted exactly once, and
// publishes over it from then on. close() publishes and orphans the shard.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "core/coded_error.h"
#include "core/aggregator.h"

namespace tophash::core {

inline constexpr uint32_t kSegmentLayoutVersion = 1;
inline constexpr size_t kSegmentHeaderBytes = 16384;

// Why opening or using a segment failed: `code` becomes err.code in
// JavaScript (ENOENT, EACCES... from the system, or one of ours below).
class SegmentError : public CodedFailure {
 public:
  using CodedFailure::CodedFailure;
};

inline constexpr const char* kSegmentCorrupt = "ERR_SEGMENT_CORRUPT";
inline constexpr const char* kSegmentVersion = "ERR_SEGMENT_VERSION";
inline constexpr const char* kSegmentSpec = "ERR_SEGMENT_SPEC";
inline constexpr const char* kSegmentTruncated = "ERR_SEGMENT_TRUNCATED";

struct SegmentGeometry {
  uint32_t shards = 16;
  uint64_t shard_bytes = uint64_t{2} << 20;
};

// The header's checks, over bytes that may be anything (the fuzz target's
// entry point): throws SegmentError naming the first thing that differs
// from `expect` (or is damaged); file_bytes is the segment's size.
void check_segment_header(const uint8_t* header, size_t file_bytes, const AggOptions& expect,
                          const SegmentGeometry& geometry);
// Writes a header for this spec (ready left 0).
void write_segment_header(uint8_t* header, const AggOptions& spec, const SegmentGeometry& geometry);
// Merges one snapshot buffer's entries into view, validating every length
// and offset against buffer_bytes; false (view unchanged by the bad part)
// when the buffer is inconsistent.
bool merge_snapshot(const uint8_t* buffer, size_t buffer_bytes, Aggregator& view);

class SharedSegment {
 public:
  // Creates the segment (O_EXCL) or opens the existing one, checks its
  // header against `spec`, and claims a shard, merging an adopted shard's
  // snapshot into `local`. Throws SegmentError.
  static std::unique_ptr<SharedSegment> open(const std::string& name, const AggOptions& spec,
                                             const SegmentGeometry& geometry, Aggregator& local);
  // Removes the name (mappings stay valid); false when there was none.
  static bool unlink(const std::string& name);
  ~SharedSegment();
  SharedSegment(const SharedSegment&) = delete;
  SharedSegment& operator=(const SharedSegment&) = delete;

  uint32_t shard() const { return shard_; }
  uint32_t shards() const { return geometry_.shards; }
  // Writes local's entries as this process's latest snapshot. Throws
  // SegmentError (ENOSPC) when they do not fit a buffer.
  void publish(const Aggregator& local);
  // Adds every shard's latest snapshot into view.
  void merge_into(Aggregator& view) const;
  // Publishes a last time and leaves the shard for adoption.
  void close(const Aggregator& local);

 private:
  SharedSegment(std::string name, uint8_t* base, size_t bytes, SegmentGeometry geometry);
  uint8_t* shard_at(uint32_t i) const;
  size_t buffer_bytes() const;
  void claim(Aggregator& local);

  std::string name_;
  uint8_t* base_;
  size_t bytes_;
  SegmentGeometry geometry_;
  uint32_t shard_ = 0;
  bool closed_ = false;
};

}  // namespace tophash::core
