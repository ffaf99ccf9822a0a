#include "core/mapped_u64_map.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "core/batch_operations.h"
#include "core/snapshot_reader.h"
#include "core/u64_source.h"

namespace tophash::core {
namespace {

// The header and section table: all open() reads, copied out of the
// mapping under the fault guard so the checks run on a stable copy.
constexpr size_t kHeadBytes = kSnapshotHeaderBytes + kSnapshotMaxSections * kSnapshotSectionBytes;

class HeadSource final : public SnapshotSource {
 public:
  HeadSource(const uint8_t* head, size_t n, uint64_t file_bytes)
      : head_(head), n_(n), file_bytes_(file_bytes) {}
  uint64_t size() const override { return file_bytes_; }
  void read(uint64_t offset, void* out, size_t n) override {
    // read_u64_layout reads only the header and at most kSnapshotMaxSections entries.
    if (offset > n_ || n > n_ - offset) {
      throw SnapshotError(kSnapshotTruncated, "The snapshot's header area was read past its copy");
    }
    std::memcpy(out, head_ + offset, n);
  }

 private:
  const uint8_t* head_;
  size_t n_;
  uint64_t file_bytes_;
};

int64_t mtime_ns(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

std::string num(uint64_t v) { return std::to_string(v); }

}  // namespace

std::unique_ptr<MappedU64Map> MappedU64Map::open(const std::string& path,
                                                 const simd::MatchKernel* match,
                                                 const hash::HashKernel* hash) {
  std::unique_ptr<MappedU64Map> m(new MappedU64Map());
  m->file_ = std::make_unique<FileSource>(path);
  struct stat st;
  if (::fstat(m->file_->fd(), &st) != 0) {
    const int err = errno;
    throw SnapshotError(errno_code(err),
                        "Could not stat snapshot '" + path + "': " + std::strerror(err));
  }
  m->mtime_ns_ = mtime_ns(st);
  const uint64_t file_bytes = m->file_->size();
  try {
    if (file_bytes < kSnapshotHeaderBytes) {
      // Too short to map usefully; the layout check words the error.
      HeadSource empty(nullptr, 0, file_bytes);
      read_u64_layout(empty);
    }
    if (file_bytes > SIZE_MAX) {
      throw SnapshotError(kSnapshotCorrupt, "The snapshot is larger than this process can map");
    }
    void* p =
        ::mmap(nullptr, static_cast<size_t>(file_bytes), PROT_READ, MAP_PRIVATE, m->file_->fd(), 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      throw SnapshotError(errno_code(err),
                          "Could not map snapshot '" + path + "': " + std::strerror(err));
    }
    m->mapped_ = true;
    m->attach(static_cast<const uint8_t*>(p), static_cast<size_t>(file_bytes), match, hash);
  } catch (const SnapshotError& e) {
    throw SnapshotError(e.code(), std::string(e.what()) + " ('" + path + "')");
  }
  return m;
}

std::unique_ptr<MappedU64Map> MappedU64Map::over(const uint8_t* bytes, size_t n,
                                                 const simd::MatchKernel* match,
                                                 const hash::HashKernel* hash) {
  std::unique_ptr<MappedU64Map> m(new MappedU64Map());
  m->memory_ = std::make_unique<MemorySource>(bytes, n);
  m->attach(bytes, n, match, hash);
  return m;
}

MappedU64Map::~MappedU64Map() {
  if (mapped_) ::munmap(const_cast<uint8_t*>(base_), bytes_);
}

void MappedU64Map::attach(const uint8_t* base, size_t bytes, const simd::MatchKernel* match,
                          const hash::HashKernel* hash) {
  base_ = base;
  bytes_ = bytes;
  uint8_t head[kHeadBytes];
  const size_t n = bytes < kHeadBytes ? bytes : kHeadBytes;
  read([&] {
    if (n != 0) std::memcpy(head, base, n);
  });
  HeadSource src(head, n, bytes);
  const SnapshotLayout layout = read_u64_layout(src);
  const SnapshotHeader& h = layout.header;
  hasher_ = {snapshot_hash_kernel(h.hash_family, hash), hash::expand_seed(h.seed)};
  match_ = match;
  B_ = h.B;
  mask_ = (uint64_t{1} << h.B) - 1;
  noverflow_ = h.overflow;
  count_ = h.count;
  // read_u64_layout checked that both sections lie inside the file at
  // 64-byte aligned offsets, so these pointers and every index below
  // noverflow_ stay inside the mapping.
  buckets_ = reinterpret_cast<const Bucket*>(base + layout.sections[0].offset);
  overflow_ = reinterpret_cast<const Bucket*>(base + layout.sections[1].offset);
}

std::string MappedU64Map::name(const Bucket* b) const {
  if (b >= buckets_ && b <= buckets_ + mask_) return "bucket " + num(b - buckets_);
  return "overflow bucket " + num(b - overflow_);
}

void MappedU64Map::corrupt(const Bucket* b, const std::string& what) const {
  throw SnapshotError(kSnapshotCorrupt, "The mapped snapshot's " + name(b) + " " + what + " ('" +
                                            path() + "'; verify() checks the whole file)");
}

const MappedU64Map::Bucket* MappedU64Map::next_bucket(const Bucket* b) const {
  const uint64_t link = b->overflow;
  if (link == 0) return nullptr;
  if (link > noverflow_) {
    corrupt(b, "links to overflow bucket " + num(link - 1) + " of " + num(noverflow_));
  }
  return overflow_ + (link - 1);
}

// A valid chain visits each overflow bucket at most once: more steps than
// that means the links loop.
void MappedU64Map::check_chain_length(uint64_t steps, const Bucket* b) const {
  if (steps > noverflow_ + 1) corrupt(b, "is on a chain that loops");
}

void MappedU64Map::throw_changed() const {
  throw SnapshotError(kSnapshotChanged,
                      "The mapped snapshot '" + path() +
                          "' was truncated or rewritten in place by another process while open; "
                          "this map can no longer be read (replace snapshots by saving to a new "
                          "file and renaming it, as save() does)");
}

void MappedU64Map::check_unchanged() const {
  if (changed_) throw_changed();
  if (!file_) return;
  struct stat st;
  if (::fstat(file_->fd(), &st) != 0) return;  // the mapping stays valid; the guard still holds
  if (static_cast<uint64_t>(st.st_size) != file_->size() || mtime_ns(st) != mtime_ns_) {
    changed_ = true;
    throw_changed();
  }
}

TableStats MappedU64Map::stats() const {
  TableStats s{};
  s.size = count_;
  s.B = B_;
  s.buckets = mask_ + 1;
  s.overflow_buckets = noverflow_;
  s.load_factor = static_cast<double>(count_) / static_cast<double>(mask_ + 1);
  s.bytes = bytes_;
  s.growing = false;
  s.same_size_grows = 0;
  return s;
}

const std::string& MappedU64Map::path() const {
  static const std::string kMemory = "<memory>";
  return file_ ? file_->path() : kMemory;
}

SnapshotSource& MappedU64Map::source() const {
  if (file_) return *file_;
  return *memory_;
}

void MappedU64Map::verify() const {
  check_unchanged();
  SnapshotSource& src = source();
  const SnapshotLayout layout = read_u64_layout(src);
  const SnapshotSectionEntry* s = layout.sections;
  std::vector<uint8_t> scratch(size_t{1} << 20);
  verify_section(src, s[0], scratch.data(), scratch.size());
  verify_padding(src, s[0].offset + s[0].length, s[1].offset);
  verify_section(src, s[1], scratch.data(), scratch.size());
}

std::unique_ptr<U64Table> MappedU64Map::materialize() const {
  check_unchanged();
  return read_u64_snapshot(source(), match_, hasher_.kernel);
}

void MappedU64Map::save(const std::string& path) const {
  check_unchanged();
  SnapshotSource& src = source();
  AtomicFile out(path);
  std::vector<uint8_t> chunk(size_t{1} << 20);
  for (uint64_t at = 0; at < bytes_;) {
    const size_t n = static_cast<size_t>(bytes_ - at < chunk.size() ? bytes_ - at : chunk.size());
    src.read(at, chunk.data(), n);
    out.write(chunk.data(), n);
    at += n;
  }
  out.commit();
}

size_t get_batch(const MappedU64Map& m, const KeyBatch& keys, double* out, uint8_t* found) {
  size_t hits = 0;
  m.read([&] { hits = batch::get(m, U64Source{keys}, out, found); });
  return hits;
}

size_t has_batch(const MappedU64Map& m, const KeyBatch& keys, uint8_t* out) {
  size_t hits = 0;
  m.read([&] { hits = batch::has(m, U64Source{keys}, out); });
  return hits;
}

}  // namespace tophash::core
