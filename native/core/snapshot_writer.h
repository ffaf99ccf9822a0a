// Writing a map's snapshot (core/snapshot_format.h): the header, the section
// table, then the bucket arrays as they sit in memory with each overflow
// pointer replaced by an index into the overflow section.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/snapshot_format.h"
#include "core/str_map.h"
#include "core/u64_map.h"

namespace tophash::core {

// Writes t to sink. A growth in progress is finished first (the table is
// otherwise unchanged). Throws SnapshotError if the sink fails and
// std::bad_alloc if finishing the growth runs out of memory.
void write_u64_snapshot(U64Table& t, SnapshotSink& sink);
void write_str_snapshot(StrTable& t, SnapshotSink& sink);

// write_u64_snapshot into a file, crash-safely (core/snapshot_file.h): the
// file at path is the old snapshot or the new one, never a mix.
void save_u64_snapshot(U64Table& t, const std::string& path);
void save_str_snapshot(StrTable& t, const std::string& path);

class MemorySink final : public SnapshotSink {
 public:
  explicit MemorySink(std::vector<uint8_t>* out) : out_(out) {}
  void write(const void* data, size_t n) override {
    const auto* p = static_cast<const uint8_t*>(data);
    out_->insert(out_->end(), p, p + n);
  }
  void write_at(uint64_t offset, const void* data, size_t n) override {
    const auto* p = static_cast<const uint8_t*>(data);
    std::copy(p, p + n, out_->begin() + static_cast<std::ptrdiff_t>(offset));
  }

 private:
  std::vector<uint8_t>* out_;
};

}  // namespace tophash::core
