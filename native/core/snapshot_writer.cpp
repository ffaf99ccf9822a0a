#include "core/snapshot_writer.h"

#include <cstddef>
#include <cstring>
#include <vector>

#include "core/snapshot_file.h"
#include "core/snapshot_keys.h"
#include "core/table_snapshot.h"
#include "hash/crc32c.h"

namespace tophash::core {
namespace {

static_assert(sizeof(TableSnapshot::BucketOf<U64Table>) == 144, "FORMAT.md: a 144-byte u64 bucket");
static_assert(offsetof(TableSnapshot::BucketOf<U64Table>, overflow) == 136,
              "FORMAT.md puts the overflow link at byte 136");
static_assert(sizeof(TableSnapshot::BucketOf<StrTable>) == 208,
              "FORMAT.md: a 208-byte StrMap bucket");

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

// Overflow buckets are numbered in chain order, bucket 0's chain first; a
// link is 1 + the index of the bucket it points to, 0 for none.
template <class Bucket>
uint64_t chain_length(const Bucket* b) {
  uint64_t n = 0;
  for (b = b->overflow; b != nullptr; b = b->overflow) ++n;
  return n;
}

template <class T>
void write_snapshot(T& t, SnapshotSink& sink) {
  using Bucket = TableSnapshot::BucketOf<T>;
  constexpr uint32_t kSections = SnapshotKeys<T>::kArena ? 3 : 2;
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
  std::vector<uint8_t> keys;
  uint64_t overflow = 0;
  w.begin();
  for (uint64_t i = 0; i < nbuckets; ++i) {
    const Bucket& b = buckets[i];
    const uint64_t chain = chain_length(&b);
    w.bucket<T>(b, chain == 0 ? 0 : overflow + 1, keys);
    overflow += chain;
  }
  sections[0] = w.end(SnapshotSection::kBuckets);
  w.pad();
  w.begin();
  uint64_t index = 0;
  for (uint64_t i = 0; i < nbuckets; ++i) {
    for (const Bucket* b = buckets[i].overflow; b != nullptr; b = b->overflow) {
      ++index;
      w.bucket<T>(*b, b->overflow == nullptr ? 0 : index + 1, keys);
    }
  }
  sections[1] = w.end(SnapshotSection::kOverflow);
  SnapshotHeader h{};
  if constexpr (SnapshotKeys<T>::kArena) {
    w.pad();
    w.begin();
    w.put(keys.data(), keys.size());
    sections[2] = w.end(SnapshotSection::kKeys);
    h.params[0] = keys.size();
  }

  std::memcpy(h.magic, kSnapshotMagic, sizeof h.magic);
  h.version = kSnapshotVersion;
  h.endian = kSnapshotEndianMark;
  h.key_kind = static_cast<uint32_t>(SnapshotKeys<T>::kKind);
  h.key_size = sizeof(typename T::Key);
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

template <class T>
void save_snapshot(T& t, const std::string& path) {
  AtomicFile file(path);
  write_snapshot(t, file);
  file.commit();
}

}  // namespace

void write_u64_snapshot(U64Table& t, SnapshotSink& sink) { write_snapshot(t, sink); }
void write_str_snapshot(StrTable& t, SnapshotSink& sink) { write_snapshot(t, sink); }
void save_u64_snapshot(U64Table& t, const std::string& path) { save_snapshot(t, path); }
void save_str_snapshot(StrTable& t, const std::string& path) { save_snapshot(t, path); }

}  // namespace tophash::core
