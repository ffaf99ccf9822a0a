// Re-seals a snapshot's checksums (every section the table places inside
// the file, then the header's), so that a fuzzer's mutations reach the
// checks behind them: a forger can compute CRC32C too.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/snapshot_format.h"
#include "hash/crc32c.h"

namespace tophash::fuzz {

inline void reseal(std::vector<uint8_t>& f) {
  core::SnapshotHeader h;
  if (f.size() < sizeof h) return;
  std::memcpy(&h, f.data(), sizeof h);
  if (h.section_count > core::kSnapshotMaxSections) return;
  const size_t table = core::kSnapshotHeaderBytes + h.section_count * core::kSnapshotSectionBytes;
  if (f.size() < table) return;
  for (uint32_t i = 0; i < h.section_count; ++i) {
    core::SnapshotSectionEntry s;
    uint8_t* entry = f.data() + core::kSnapshotHeaderBytes + i * core::kSnapshotSectionBytes;
    std::memcpy(&s, entry, sizeof s);
    if (s.length > f.size() || s.offset > f.size() - s.length) continue;
    s.crc = hash::crc32c(0, f.data() + s.offset, static_cast<size_t>(s.length));
    std::memcpy(entry, &s, sizeof s);
  }
  uint32_t crc = hash::crc32c(0, f.data(), offsetof(core::SnapshotHeader, header_crc));
  crc =
      hash::crc32c(crc, f.data() + core::kSnapshotHeaderBytes, table - core::kSnapshotHeaderBytes);
  std::memcpy(f.data() + offsetof(core::SnapshotHeader, header_crc), &crc, sizeof crc);
}

}  // namespace tophash::fuzz
