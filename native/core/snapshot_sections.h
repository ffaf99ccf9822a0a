// What every snapshot writer shares (core/snapshot_format.h): the header
// placeholder, sections appended through a CRC-ing buffer and padded to
// kSnapshotAlign, a table's bucket arrays with each overflow pointer replaced
// by an index, and the sealed header written last.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/snapshot_format.h"
#include "core/snapshot_keys.h"
#include "core/table_snapshot.h"
#include "hash/crc32c.h"

namespace tophash::core {

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
  // A bucket with its overflow pointer replaced by `link` (and, for byte
  // keys, its long keys by offsets into `keys`).
  template <class T, class Bucket>
  void bucket(const Bucket& b, uint64_t link, std::vector<uint8_t>& keys) {
    Bucket copy = b;
    if constexpr (SnapshotKeys<T>::kArena) SnapshotKeys<T>::encode(copy, keys);
    put(&copy, offsetof(Bucket, overflow));
    put(&link, sizeof link);
  }
  void put(const void* p, size_t n) {
    if (buffer_.size() + n > kBlock) flush();
    const auto* bytes = static_cast<const uint8_t*>(p);
    buffer_.insert(buffer_.end(), bytes, bytes + n);
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

// Zeros where the header and a table of `sections` entries go (they are
// written last, by seal_snapshot); returns where the first section starts.
inline uint64_t begin_snapshot(SnapshotSink& sink, uint32_t sections) {
  const uint64_t data_start =
      snapshot_align(kSnapshotHeaderBytes + uint64_t{sections} * kSnapshotSectionBytes);
  const std::vector<uint8_t> placeholder(static_cast<size_t>(data_start), 0);
  sink.write(placeholder.data(), placeholder.size());
  return data_start;
}

// Overflow buckets are numbered in chain order, bucket 0's chain first; a
// link is 1 + the index of the bucket it points to, 0 for none.
template <class Bucket>
uint64_t chain_length(const Bucket* b) {
  uint64_t n = 0;
  for (b = b->overflow; b != nullptr; b = b->overflow) ++n;
  return n;
}

// The 'buckets' and 'overflow' sections of t (not growing) into out[0] and
// out[1]; returns the overflow buckets written.
template <class T>
uint64_t write_bucket_sections(SectionWriter& w, const T& t, std::vector<uint8_t>& keys,
                               SnapshotSectionEntry* out) {
  using Bucket = TableSnapshot::BucketOf<T>;
  const Bucket* buckets = TableSnapshot::buckets(t);
  const uint64_t nbuckets = uint64_t{1} << TableSnapshot::B(t);
  uint64_t overflow = 0;
  w.begin();
  for (uint64_t i = 0; i < nbuckets; ++i) {
    const Bucket& b = buckets[i];
    const uint64_t chain = chain_length(&b);
    w.bucket<T>(b, chain == 0 ? 0 : overflow + 1, keys);
    overflow += chain;
  }
  out[0] = w.end(SnapshotSection::kBuckets);
  w.pad();
  w.begin();
  uint64_t index = 0;
  for (uint64_t i = 0; i < nbuckets; ++i) {
    for (const Bucket* b = buckets[i].overflow; b != nullptr; b = b->overflow) {
      ++index;
      w.bucket<T>(*b, b->overflow == nullptr ? 0 : index + 1, keys);
    }
  }
  out[1] = w.end(SnapshotSection::kOverflow);
  return overflow;
}

// The header fields every snapshot has (parameters and slot sizes left zero).
inline SnapshotHeader snapshot_header(SnapshotKeyKind kind, uint32_t sections,
                                      const hash::HashKernel* kernel, unsigned B, uint64_t seed,
                                      uint64_t count) {
  SnapshotHeader h{};
  std::memcpy(h.magic, kSnapshotMagic, sizeof h.magic);
  h.version = kSnapshotVersion;
  h.endian = kSnapshotEndianMark;
  h.key_kind = static_cast<uint32_t>(kind);
  h.hash_family = static_cast<uint32_t>(kernel->family);
  h.B = B;
  h.seed = seed;
  h.count = count;
  std::strncpy(h.hash_kernel, kernel->name, sizeof h.hash_kernel - 1);
  h.section_count = sections;
  return h;
}

// The header fields a table fixes (parameters left zero).
template <class T>
SnapshotHeader table_header(const T& t, uint64_t overflow, uint32_t sections) {
  using Bucket = TableSnapshot::BucketOf<T>;
  SnapshotHeader h = snapshot_header(SnapshotKeys<T>::kKind, sections, t.hasher().kernel,
                                     TableSnapshot::B(t), TableSnapshot::seed(t), t.size());
  h.key_size = sizeof(typename T::Key);
  h.value_size = sizeof(Bucket::values[0]);
  h.bucket_size = sizeof(Bucket);
  h.overflow = overflow;
  return h;
}

// Writes the header, its checksum over itself and the section table, and
// the table.
template <size_t kSections>
void seal_snapshot(SnapshotSink& sink, SnapshotHeader& h,
                   const SnapshotSectionEntry (&sections)[kSections]) {
  const uint32_t crc = hash::crc32c(0, &h, offsetof(SnapshotHeader, header_crc));
  h.header_crc = hash::crc32c(crc, sections, sizeof sections);
  sink.write_at(0, &h, sizeof h);
  sink.write_at(kSnapshotHeaderBytes, sections, sizeof sections);
}

}  // namespace tophash::core
