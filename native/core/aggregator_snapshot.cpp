#include "core/aggregator_snapshot.h"

#include <cstring>

#include "core/snapshot_errors.h"
#include "core/snapshot_file.h"

namespace tophash::core {
namespace {

const auto num = snapshot_num;

constexpr uint32_t kSections = 2;
constexpr uint64_t kNoKeyBytes = 0;

uint64_t pad8(uint64_t n) { return (n + 7) & ~uint64_t{7}; }

// Header parameter 0: key kind | onFull << 8 | histogram kind << 16.
uint64_t kinds_of(const AggOptions& o) {
  return uint64_t{o.key_kind == AggKeyKind::kBytes} |
         uint64_t{static_cast<uint8_t>(o.on_full)} << 8 |
         uint64_t{static_cast<uint8_t>(o.hist.kind)} << 16;
}

// Steps 1-4 for an aggregator snapshot: identity and header checksum (done
// by the caller), kind, sections. Returns nothing; throws SnapshotError.
void check_layout(SnapshotSource& src, const SnapshotLayout& layout) {
  const SnapshotHeader& h = layout.header;
  if (h.key_kind != static_cast<uint32_t>(SnapshotKeyKind::kAggregator)) {
    snapshot_fail(kSnapshotKind, "The snapshot holds key kind " + num(h.key_kind) +
                                     " (offset 16), not an Aggregator's (kind 4)");
  }
  if (h.hash_family > static_cast<uint32_t>(hash::Family::kFold) || h.reserved0 != 0 ||
      h.reserved1 != 0 || h.overflow != 0 || h.bucket_size != 0 || h.B > kMaxB) {
    snapshot_fail(kSnapshotCorrupt,
                  "The snapshot's hash family, B or reserved fields (offsets 28..63, 84, "
                  "120) are out of range for an Aggregator");
  }
  const SnapshotSection kinds[kSections] = {SnapshotSection::kOptions, SnapshotSection::kEntries};
  const uint64_t lengths[kSections] = {h.params[2], h.params[3]};
  check_section_layout(h, layout.sections, src.size(), {kinds, lengths, kSections, "Aggregator"});
  verify_padding(src, kSnapshotHeaderBytes + kSections * kSnapshotSectionBytes,
                 layout.sections[0].offset);
  verify_padding(src, layout.sections[0].offset + layout.sections[0].length,
                 layout.sections[1].offset);
}

void read_whole(SnapshotSource& src, const SnapshotSectionEntry& s, std::vector<uint8_t>* out) {
  out->resize(static_cast<size_t>(s.length));
  read_checked_section(src, s, out->data());
}

}  // namespace

AggSnapshotWriter::AggSnapshotWriter(SnapshotSink& sink, const std::string& meta)
    : sink_(sink), w_(sink, begin_snapshot(sink, kSections)), meta_bytes_(meta.size()) {
  w_.begin();
  w_.put(meta.data(), meta.size());
  sections_[0] = w_.end(SnapshotSection::kOptions);
  w_.pad();
  w_.begin();
}

void AggSnapshotWriter::state(const AggSnapshotState& s, const double* overflow_row,
                              size_t stride) {
  w_.put(&s, sizeof s);
  const std::vector<double> zeros(overflow_row == nullptr ? stride : 0, 0.0);
  w_.put(overflow_row == nullptr ? zeros.data() : overflow_row, stride * sizeof(double));
}

void AggSnapshotWriter::entry(const EntryView& e, AggKeyKind kind, size_t stride) {
  static const uint8_t zeros[8] = {};
  if (kind == AggKeyKind::kU64) {
    w_.put(&e.u64, sizeof e.u64);
  } else {
    const uint64_t len = e.len;
    w_.put(&len, sizeof len);
    w_.put(e.bytes, e.len);
    w_.put(zeros, static_cast<size_t>(pad8(len) - len));
  }
  w_.put(e.row, stride * sizeof(double));
  ++count_;
}

void AggSnapshotWriter::finish(const AggOptions& o, size_t stride, const hash::HashKernel* kernel,
                               unsigned B, uint64_t seed) {
  sections_[1] = w_.end(SnapshotSection::kEntries);
  SnapshotHeader h =
      snapshot_header(SnapshotKeyKind::kAggregator, kSections, kernel, B, seed, count_);
  h.key_size = o.key_kind == AggKeyKind::kU64 ? sizeof(uint64_t) : kNoKeyBytes;
  h.value_size = static_cast<uint32_t>(stride * sizeof(double));
  h.params[0] = kinds_of(o);
  h.params[1] = o.max_entries;
  h.params[2] = meta_bytes_;
  h.params[3] = sections_[1].length;
  seal_snapshot(sink_, h, sections_);
}

AggSnapshotReader::AggSnapshotReader(SnapshotSource& src, const SnapshotLayout& layout,
                                     const AggOptions& o, size_t stride)
    : kind_(o.key_kind), stride_(stride), overflow_(stride) {
  check_layout(src, layout);
  const SnapshotHeader& h = layout.header;
  if (h.params[0] != kinds_of(o) || h.params[1] != o.max_entries ||
      h.value_size != stride * sizeof(double) ||
      h.key_size != (o.key_kind == AggKeyKind::kU64 ? sizeof(uint64_t) : kNoKeyBytes)) {
    snapshot_fail(kSnapshotCorrupt, "The snapshot's header (kinds " + num(h.params[0]) +
                                        ", maxEntries " + num(h.params[1]) + ", row bytes " +
                                        num(h.value_size) +
                                        ") disagrees with its options section (kinds " +
                                        num(kinds_of(o)) + ", maxEntries " + num(o.max_entries) +
                                        ", row bytes " + num(stride * sizeof(double)) + ")");
  }
  // The most buckets an aggregator of these options grows to: a forged B
  // cannot make the load allocate more than filling it could.
  if (h.count > o.max_entries || h.B > b_for_capacity(o.max_entries) + 1) {
    snapshot_fail(kSnapshotCorrupt, "The snapshot declares " + num(h.count) + " entries in 2^" +
                                        num(h.B) + " buckets (offsets 36, 48); its maxEntries is " +
                                        num(o.max_entries));
  }
  B_ = h.B;
  left_ = h.count;
  std::vector<uint8_t> meta;
  read_whole(src, layout.sections[0], &meta);
  read_whole(src, layout.sections[1], &entries_);
  const size_t head = sizeof state_ + stride * sizeof(double);
  if (entries_.size() < head) {
    snapshot_fail(kSnapshotCorrupt, "The snapshot's 'entries' section is " + num(entries_.size()) +
                                        " bytes, less than its " + num(head) + "-byte state");
  }
  std::memcpy(&state_, entries_.data(), sizeof state_);
  std::memcpy(overflow_.data(), entries_.data() + sizeof state_, stride * sizeof(double));
  const bool overflow_kind = o.on_full == OnFull::kOverflow;
  if (state_.reserved[0] != 0 || state_.reserved[1] != 0 || state_.has_overflow_row > 1 ||
      (state_.has_overflow_row == 1) != overflow_kind) {
    snapshot_fail(kSnapshotCorrupt,
                  "The snapshot's counters (entries section bytes 40..63) "
                  "have an overflow flag or reserved fields out of range");
  }
  at_ = head;
}

bool AggSnapshotReader::next(StagedKeys* key, double* row) {
  const size_t n = entries_.size();
  if (left_ == 0) {
    if (at_ != n) {
      snapshot_fail(kSnapshotCorrupt, "The snapshot's 'entries' section has " + num(n - at_) +
                                          " bytes after its last entry");
    }
    return false;
  }
  const std::string where = "entry at byte " + num(at_) + " of the 'entries' section";
  uint64_t len = sizeof u64_key_;
  if (n - at_ < sizeof len)
    snapshot_fail(kSnapshotCorrupt, "The snapshot's " + where + " is cut off");
  *key = StagedKeys{};
  key->count = 1;
  if (kind_ == AggKeyKind::kU64) {
    std::memcpy(&u64_key_, entries_.data() + at_, sizeof u64_key_);
    key->u64 = &u64_key_;
    at_ += sizeof u64_key_;
  } else {
    std::memcpy(&len, entries_.data() + at_, sizeof len);
    at_ += sizeof len;
    if (len > kMaxByteKeyLength || pad8(len) > n - at_) {
      snapshot_fail(kSnapshotCorrupt, "The snapshot's " + where + " declares a key of " + num(len) +
                                          " bytes, past the section or the " +
                                          num(kMaxByteKeyLength) + "-byte limit");
    }
    key->bytes = entries_.data() + at_;
    offsets_[1] = static_cast<uint32_t>(len);
    key->offsets = offsets_;
    at_ += static_cast<size_t>(pad8(len));
  }
  const size_t row_bytes = stride_ * sizeof(double);
  if (n - at_ < row_bytes) {
    snapshot_fail(kSnapshotCorrupt, "The snapshot's " + where + " has its row cut off");
  }
  std::memcpy(row, entries_.data() + at_, row_bytes);
  at_ += row_bytes;
  --left_;
  return true;
}

void AggSnapshotReader::duplicate() const {
  snapshot_fail(kSnapshotCorrupt, "The snapshot's entry ending at byte " + num(at_) +
                                      " of the 'entries' section repeats an earlier key");
}

std::string read_agg_meta(const std::string& path) {
  FileSource file(path);
  return with_snapshot_path(path, [&] {
    const SnapshotLayout layout = read_snapshot_header(file);
    check_layout(file, layout);
    std::vector<uint8_t> meta;
    read_whole(file, layout.sections[0], &meta);
    return std::string(meta.begin(), meta.end());
  });
}

}  // namespace tophash::core
