#include "core/bpf_snapshot.h"

#include "core/fixed_map.h"
#include "core/snapshot_file.h"

namespace tophash::core {

BpfSnapshotShape read_bpf_shape(const SnapshotHeader& h) {
  const auto num = snapshot_num;
  if (h.key_kind != static_cast<uint32_t>(SnapshotKeyKind::kBpf)) {
    snapshot_fail(kSnapshotKind, "The snapshot holds key kind " + num(h.key_kind) +
                                     " (offset 16), not a BpfMap's (kind 3)");
  }
  BpfSnapshotShape s{};
  s.key_size = static_cast<uint32_t>(h.params[1]);
  s.value_size = static_cast<size_t>(h.params[1] >> 32);
  s.max_entries = h.params[2];
  if (h.params[0] > 1 || s.key_size == 0 || s.key_size > kMaxFixedKeySize || s.value_size == 0 ||
      s.value_size > kMaxBpfValueSize || s.max_entries == 0 || s.max_entries > kMaxBpfEntries ||
      h.params[3] > s.max_entries) {
    snapshot_fail(kSnapshotCorrupt, "The snapshot's BpfMap parameters (offsets 88..119: type " +
                                        num(h.params[0]) + ", keySize " + num(s.key_size) +
                                        ", valueSize " + num(s.value_size) + ", maxEntries " +
                                        num(s.max_entries) + ", records " + num(h.params[3]) +
                                        ") are out of range");
  }
  s.type = h.params[0] == 0 ? BpfType::kHash : BpfType::kLruHash;
  s.handed_out = static_cast<uint32_t>(h.params[3]);
  if (h.key_size != fixed_key_class(s.key_size) || h.value_size != sizeof(uint32_t)) {
    snapshot_fail(kSnapshotKind,
                  "The snapshot's slots are key " + num(h.key_size) + " / value " +
                      num(h.value_size) + " bytes (offsets 20..27); a BpfMap of keySize " +
                      num(s.key_size) + " uses " + num(fixed_key_class(s.key_size)) + " / 4");
  }
  if (h.hash_family > static_cast<uint32_t>(hash::Family::kFold)) {
    snapshot_fail(kSnapshotHash, "The snapshot names hash family " + num(h.hash_family) +
                                     " (offset 32), which this build does not know");
  }
  if (h.B > kMaxB || h.reserved0 != 0 || h.reserved1 != 0) {
    snapshot_fail(kSnapshotCorrupt, "The snapshot declares B = " + num(h.B) +
                                        " (offset 36; at most " + num(kMaxB) +
                                        ") or non-zero reserved fields (offsets 84, 120)");
  }
  return s;
}

BpfSnapshotShape read_bpf_file_shape(const std::string& path) {
  FileSource file(path);
  return with_snapshot_path(path,
                            [&] { return read_bpf_shape(read_snapshot_header(file).header); });
}

}  // namespace tophash::core
