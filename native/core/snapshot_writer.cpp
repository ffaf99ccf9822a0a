#include "core/snapshot_writer.h"

#include <cstddef>
#include <cstring>
#include <vector>

#include "core/snapshot_file.h"
#include "core/table_snapshot.h"
#include "hash/crc32c.h"

namespace tophash::core {
namespace {

using Bucket = TableSnapshot::BucketOf<U64Table>;
static_assert(sizeof(Bucket) == 144, "FORMAT.md describes a 144-byte u64 bucket");
static_assert(offsetof(Bucket, overflow) == 136, "FORMAT.md puts the overflow link at byte 136");

inline constexpr uint32_t kSections = 2;

// Appends sections to a sink through a buffer, CRC-ing each as it goes and
// padding between them to kSnapshotAlign.
class SectionWriter {
 public:
  SectionWriter(SnapshotSink& sink, uint64_t at) : sink_(sink), pos_(at) {
    buffer_.reserve(kBlock);
  }

  void begin() {
    crc_ = 0;
    start_ = pos_;
  }
  // A bucket with its overflow pointer replaced by `link`.
  void bucket(const Bucket& b, uint64_t link) {
    if (buffer_.size() + sizeof(Bucket) > kBlock) flush();
    const size_t at = buffer_.size();
    buffer_.resize(at + sizeof(Bucket));
    std::memcpy(buffer_.data() + at, &b, sizeof(Bucket));
    std::memcpy(buffer_.data() + at + offsetof(Bucket, overflow), &link, sizeof link);
  }
  SnapshotSectionEntry end(SnapshotSection kind) {
    flush();
    SnapshotSectionEntry e{};
    e.kind = static_cast<uint32_t>(kind);
    e.crc = crc_;
    e.offset = start_;
    e.length = pos_ - start_;
    return e;
  }
  void pad() {
    static const uint8_t zeros[kSnapshotAlign] = {};
    const uint64_t to = snapshot_align(pos_);
    sink_.write(zeros, static_cast<size_t>(to - pos_));
    pos_ = to;
  }

 private:
  static constexpr size_t kBlock = size_t{1} << 20;
  void flush() {
    if (buffer_.empty()) return;
    crc_ = hash::crc32c(crc_, buffer_.data(), buffer_.size());
    sink_.write(buffer_.data(), buffer_.size());
    pos_ += buffer_.size();
    buffer_.clear();
  }

  SnapshotSink& sink_;
  uint64_t pos_;
  uint64_t start_ = 0;
  uint32_t crc_ = 0;
  std::vector<uint8_t> buffer_;
};

// Overflow buckets are numbered in chain order, bucket 0's chain first; a
// link is 1 + the index of the bucket it points to, 0 for none.
uint64_t chain_length(const Bucket* b) {
  uint64_t n = 0;
  for (b = b->overflow; b != nullptr; b = b->overflow) ++n;
  return n;
}

}  // namespace

void write_u64_snapshot(U64Table& t, SnapshotSink& sink) {
  TableSnapshot::finish_growth(t);
  const Bucket* buckets = TableSnapshot::buckets(t);
  const unsigned B = TableSnapshot::B(t);
  const uint64_t nbuckets = uint64_t{1} << B;

  const uint64_t table_end = kSnapshotHeaderBytes + kSections * kSnapshotSectionBytes;
  const uint64_t data_start = snapshot_align(table_end);
  const std::vector<uint8_t> placeholder(static_cast<size_t>(data_start), 0);
  sink.write(placeholder.data(), placeholder.size());

  SectionWriter w(sink, data_start);
  SnapshotSectionEntry sections[kSections];
  uint64_t overflow = 0;
  w.begin();
  for (uint64_t i = 0; i < nbuckets; ++i) {
    const Bucket& b = buckets[i];
    const uint64_t chain = chain_length(&b);
    w.bucket(b, chain == 0 ? 0 : overflow + 1);
    overflow += chain;
  }
  sections[0] = w.end(SnapshotSection::kBuckets);
  w.pad();
  w.begin();
  uint64_t index = 0;
  for (uint64_t i = 0; i < nbuckets; ++i) {
    for (const Bucket* b = buckets[i].overflow; b != nullptr; b = b->overflow) {
      ++index;
      w.bucket(*b, b->overflow == nullptr ? 0 : index + 1);
    }
  }
  sections[1] = w.end(SnapshotSection::kOverflow);

  SnapshotHeader h{};
  std::memcpy(h.magic, kSnapshotMagic, sizeof h.magic);
  h.version = kSnapshotVersion;
  h.endian = kSnapshotEndianMark;
  h.key_kind = static_cast<uint32_t>(SnapshotKeyKind::kU64);
  h.key_size = sizeof(uint64_t);
  h.value_size = sizeof(double);
  h.bucket_size = sizeof(Bucket);
  h.hash_family = static_cast<uint32_t>(t.hasher().kernel->family);
  h.B = B;
  h.seed = TableSnapshot::seed(t);
  h.count = t.size();
  h.overflow = overflow;
  std::strncpy(h.hash_kernel, t.hasher().kernel->name, sizeof h.hash_kernel - 1);
  h.section_count = kSections;
  uint32_t crc = hash::crc32c(0, &h, offsetof(SnapshotHeader, header_crc));
  h.header_crc = hash::crc32c(crc, sections, sizeof sections);
  sink.write_at(0, &h, sizeof h);
  sink.write_at(kSnapshotHeaderBytes, sections, sizeof sections);
}

void save_u64_snapshot(U64Table& t, const std::string& path) {
  AtomicFile file(path);
  write_u64_snapshot(t, file);
  file.commit();
}

}  // namespace tophash::core
