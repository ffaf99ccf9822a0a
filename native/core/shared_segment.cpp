#include "core/shared_segment.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <chrono>
#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

#include "core/header_checksum.h"

namespace tophash::core {

namespace {

constexpr char kMagic[8] = {'t', 'o', 'p', 'h', 'a', 's', 'h', 'S'};
constexpr uint32_t kEndianMark = 0x01020304;
constexpr uint32_t kMaxShards = 4096;
constexpr uint64_t kMinShardBytes = 4096;
constexpr uint64_t kMaxShardBytes = uint64_t{1} << 36;
constexpr size_t kShardHeaderBytes = 64;
constexpr size_t kSnapshotHeaderBytes = 32;
// Counts are whole numbers of events; doubles hold them exactly below 2^53.
constexpr double kMaxExactCount = 9007199254740992.0;
// How long an opener waits for a creator to finish the header.
constexpr auto kReadyWait = std::chrono::seconds(2);

struct RawHeader {
  char magic[8];
  uint32_t version;
  uint32_t endian;
  uint32_t ready;
  uint32_t key_kind;
  uint32_t hist_kind;
  uint32_t hist_k;
  int64_t hist_min;
  int64_t hist_max;
  int64_t hist_step;
  uint32_t bound_count;
  uint32_t shard_count;
  uint64_t shard_bytes;
  uint64_t total_bytes;
  uint64_t checksum;
  double bounds[kMaxBounds];
};
static_assert(sizeof(RawHeader) <= kSegmentHeaderBytes, "the header outgrew its reserved bytes");
// Offsets the tests and the fuzz target rely on (they corrupt these fields).
static_assert(offsetof(RawHeader, version) == 8 && offsetof(RawHeader, ready) == 16 &&
                  offsetof(RawHeader, total_bytes) == 72,
              "the header's field offsets are part of the format");

// Owner word: state in the high half, pid in the low half.
enum ShardState : uint32_t { kFree = 0, kOwned = 1, kOrphaned = 2 };
uint64_t owner_word(ShardState state, uint32_t pid) { return (uint64_t{state} << 32) | pid; }

const char* kind_name(uint32_t kind) {
  switch (kind) {
    case 0: return "u64";
    case 1: return "bytes";
    default: return "unknown";
  }
}

std::string hist_text(uint32_t kind, uint32_t k, int64_t mn, int64_t mx, int64_t st,
                      uint32_t bounds) {
  switch (kind) {
    case static_cast<uint32_t>(HistKind::kNone): return "none";
    case static_cast<uint32_t>(HistKind::kLog2): return "log2 k=" + std::to_string(k);
    case static_cast<uint32_t>(HistKind::kLinear):
      return "linear " + std::to_string(mn) + ".." + std::to_string(mx) + " step " +
             std::to_string(st);
    case static_cast<uint32_t>(HistKind::kBuckets): return std::to_string(bounds) + " buckets";
    default: return "unknown kind " + std::to_string(kind);
  }
}

std::string hist_text(const HistSpec& h) {
  return hist_text(static_cast<uint32_t>(h.kind), h.k, h.min, h.max, h.step,
                   static_cast<uint32_t>(h.bounds.size()));
}

uint64_t load64(const uint8_t* p) {
  return __atomic_load_n(reinterpret_cast<const uint64_t*>(p), __ATOMIC_ACQUIRE);
}
void store64(uint8_t* p, uint64_t v) {
  __atomic_store_n(reinterpret_cast<uint64_t*>(p), v, __ATOMIC_RELEASE);
}
bool cas64(uint8_t* p, uint64_t expect, uint64_t desired) {
  return __atomic_compare_exchange_n(reinterpret_cast<uint64_t*>(p), &expect, desired, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

bool process_alive(uint32_t pid) {
  if (pid == 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

[[noreturn]] void throw_errno(const std::string& what) {
  const int e = errno;
  const char* code = e == ENOENT   ? "ENOENT"
                     : e == EACCES ? "EACCES"
                     : e == ENOMEM ? "ENOMEM"
                     : e == ENOSPC ? "ENOSPC"
                     : e == EINVAL ? "EINVAL"
                                   : "EIO";
  throw SegmentError(code, what + ": " + std::strerror(e));
}

size_t align8(size_t n) { return (n + 7) & ~size_t{7}; }

// The bytes a snapshot of `count` entries with `key_bytes` of byte keys takes.
bool snapshot_bytes(bool u64_keys, uint64_t count, uint64_t key_bytes, size_t stride, size_t limit,
                    size_t* out) {
  // Each term is bounded before it is added, so nothing wraps.
  if (count > limit || key_bytes > limit) return false;
  const size_t keys = u64_keys ? count * 8 : align8((count + 1) * 4 + key_bytes);
  if (count * stride > limit / 8) return false;
  const size_t total = kSnapshotHeaderBytes + keys + count * stride * 8;
  if (total > limit) return false;
  *out = total;
  return true;
}

}  // namespace

void write_segment_header(uint8_t* header, const AggOptions& spec,
                          const SegmentGeometry& geometry) {
  RawHeader h;
  std::memset(&h, 0, sizeof h);
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.version = kSegmentLayoutVersion;
  h.endian = kEndianMark;
  h.key_kind = spec.key_kind == AggKeyKind::kU64 ? 0 : 1;
  h.hist_kind = static_cast<uint32_t>(spec.hist.kind);
  h.hist_k = spec.hist.k;
  h.hist_min = spec.hist.min;
  h.hist_max = spec.hist.max;
  h.hist_step = spec.hist.step;
  h.bound_count = static_cast<uint32_t>(spec.hist.bounds.size());
  for (size_t i = 0; i < spec.hist.bounds.size() && i < kMaxBounds; ++i)
    h.bounds[i] = spec.hist.bounds[i];
  h.shard_count = geometry.shards;
  h.shard_bytes = geometry.shard_bytes;
  h.total_bytes = kSegmentHeaderBytes + uint64_t{geometry.shards} * geometry.shard_bytes;
  h.checksum = header_checksum(h);
  std::memcpy(header, &h, sizeof h);
}

void check_segment_header(const uint8_t* header, size_t file_bytes, const AggOptions& expect,
                          const SegmentGeometry& /*unused*/) {
  if (file_bytes < kSegmentHeaderBytes) {
    throw SegmentError(kSegmentTruncated, "the segment has " + std::to_string(file_bytes) +
                                              " bytes, fewer than its header's " +
                                              std::to_string(kSegmentHeaderBytes));
  }
  RawHeader h;
  std::memcpy(&h, header, sizeof h);
  if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0)
    throw SegmentError(kSegmentCorrupt, "not a tophash segment (its magic bytes differ)");
  if (h.endian != kEndianMark) {
    throw SegmentError(kSegmentVersion,
                       "the segment was written by a host of the other byte order");
  }
  if (h.version != kSegmentLayoutVersion) {
    throw SegmentError(kSegmentVersion, "the segment has layout version " +
                                            std::to_string(h.version) + "; this build reads " +
                                            std::to_string(kSegmentLayoutVersion));
  }
  if (h.checksum != header_checksum(h))
    throw SegmentError(kSegmentCorrupt, "the segment's header is damaged (checksum mismatch)");
  if (__atomic_load_n(&reinterpret_cast<const RawHeader*>(header)->ready, __ATOMIC_ACQUIRE) != 1) {
    throw SegmentError(kSegmentCorrupt,
                       "the segment's header was never completed (its creator died while "
                       "creating it?); unlink it and start again");
  }
  if (h.shard_count == 0 || h.shard_count > kMaxShards || h.shard_bytes < kMinShardBytes ||
      h.shard_bytes > kMaxShardBytes || h.shard_bytes % 64 != 0 ||
      h.total_bytes != kSegmentHeaderBytes + uint64_t{h.shard_count} * h.shard_bytes ||
      h.bound_count > kMaxBounds) {
    throw SegmentError(kSegmentCorrupt, "the segment's header describes an impossible layout");
  }
  if (file_bytes < h.total_bytes) {
    throw SegmentError(kSegmentTruncated, "the segment has " + std::to_string(file_bytes) +
                                              " bytes; its header says " +
                                              std::to_string(h.total_bytes));
  }
  const uint32_t want_kind = expect.key_kind == AggKeyKind::kU64 ? 0 : 1;
  if (h.key_kind != want_kind) {
    throw SegmentError(kSegmentSpec, std::string("key kind differs: the segment has ") +
                                         kind_name(h.key_kind) + " keys, this aggregator " +
                                         kind_name(want_kind));
  }
  const HistSpec& e = expect.hist;
  bool same = h.hist_kind == static_cast<uint32_t>(e.kind);
  if (same && e.kind == HistKind::kLog2) same = h.hist_k == e.k;
  if (same && e.kind == HistKind::kLinear)
    same = h.hist_min == e.min && h.hist_max == e.max && h.hist_step == e.step;
  if (same && e.kind == HistKind::kBuckets) {
    same = h.bound_count == e.bounds.size() &&
           std::memcmp(h.bounds, e.bounds.data(), e.bounds.size() * sizeof(double)) == 0;
  }
  if (!same) {
    throw SegmentError(kSegmentSpec, "histogram differs: the segment has " +
                                         hist_text(h.hist_kind, h.hist_k, h.hist_min, h.hist_max,
                                                   h.hist_step, h.bound_count) +
                                         ", this aggregator " + hist_text(e));
  }
}

bool merge_snapshot(const uint8_t* buffer, size_t buffer_bytes, Aggregator& view) {
  if (buffer_bytes < kSnapshotHeaderBytes) return false;
  uint64_t count, key_bytes;
  std::memcpy(&count, buffer + 8, 8);
  std::memcpy(&key_bytes, buffer + 16, 8);
  const bool u64_keys = view.options().key_kind == AggKeyKind::kU64;
  const size_t stride = view.stride();
  size_t total;
  if (!snapshot_bytes(u64_keys, count, u64_keys ? 0 : key_bytes, stride, buffer_bytes, &total))
    return false;
  const uint8_t* keys = buffer + kSnapshotHeaderBytes;
  const size_t keys_size = u64_keys ? count * 8 : align8((count + 1) * 4 + key_bytes);
  const uint8_t* rows = keys + keys_size;
  std::vector<uint32_t> offsets;
  if (!u64_keys) {
    offsets.resize(count + 1);
    std::memcpy(offsets.data(), keys, (count + 1) * 4);
    if (offsets[0] != 0 || offsets[count] != key_bytes) return false;
    for (uint64_t i = 0; i < count; ++i) {
      if (offsets[i + 1] < offsets[i]) return false;
    }
  }
  // Every row first: a bad one rejects the snapshot before anything merges.
  // A row an engine wrote has a whole count below 2^53, whole bucket counts
  // that add up to it, a finite sum, and min/max that are not NaN.
  std::vector<double> row(stride);
  for (uint64_t i = 0; i < count; ++i) {
    std::memcpy(row.data(), rows + i * stride * 8, stride * 8);
    const double n = row[0];
    if (!(n >= 0 && n <= kMaxExactCount && std::floor(n) == n && std::isfinite(row[1]) &&
          !std::isnan(row[2]) && !std::isnan(row[3])))
      return false;
    if (stride > kRecordHeader) {
      double buckets = 0;
      for (size_t j = kRecordHeader; j < stride; ++j) {
        if (!(row[j] >= 0 && row[j] <= kMaxExactCount && std::floor(row[j]) == row[j]))
          return false;
        buckets += row[j];
      }
      if (buckets != n) return false;
    }
  }
  const uint8_t* key_data = keys + (count + 1) * 4;
  for (uint64_t i = 0; i < count; ++i) {
    std::memcpy(row.data(), rows + i * stride * 8, stride * 8);
    StagedKeys k;
    k.count = 1;
    uint64_t u64;
    uint32_t one[2];
    if (u64_keys) {
      std::memcpy(&u64, keys + i * 8, 8);
      k.u64 = &u64;
    } else {
      one[0] = 0;
      one[1] = offsets[i + 1] - offsets[i];
      k.bytes = key_data + offsets[i];
      k.offsets = one;
    }
    view.merge_row(k, row.data());
  }
  return true;
}

SharedSegment::SharedSegment(std::string name, uint8_t* base, size_t bytes,
                             SegmentGeometry geometry)
    : name_(std::move(name)), base_(base), bytes_(bytes), geometry_(geometry) {}

SharedSegment::~SharedSegment() { ::munmap(base_, bytes_); }

uint8_t* SharedSegment::shard_at(uint32_t i) const {
  return base_ + kSegmentHeaderBytes + size_t{i} * geometry_.shard_bytes;
}

size_t SharedSegment::buffer_bytes() const {
  return ((geometry_.shard_bytes - kShardHeaderBytes) / 2) & ~size_t{63};
}

std::unique_ptr<SharedSegment> SharedSegment::open(const std::string& name, const AggOptions& spec,
                                                   const SegmentGeometry& geometry,
                                                   Aggregator& local) {
  if (geometry.shards == 0 || geometry.shards > kMaxShards ||
      geometry.shard_bytes < kMinShardBytes || geometry.shard_bytes > kMaxShardBytes ||
      geometry.shard_bytes % 64 != 0)
    throw SegmentError("EINVAL", "impossible segment geometry");
  int fd = ::shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
  const bool created = fd >= 0;
  if (!created) {
    if (errno != EEXIST) throw_errno("shm_open(" + name + ")");
    fd = ::shm_open(name.c_str(), O_RDWR, 0);
    if (fd < 0) throw_errno("shm_open(" + name + ")");
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  if (created) {
    const uint64_t total = kSegmentHeaderBytes + uint64_t{geometry.shards} * geometry.shard_bytes;
    if (::ftruncate(fd, static_cast<off_t>(total)) != 0) {
      const int e = errno;
      ::shm_unlink(name.c_str());
      errno = e;
      throw_errno("ftruncate(" + name + ")");
    }
  }
  // An opener may arrive between the creator's O_EXCL and its header: wait
  // (bounded) for the size and the ready word.
  const auto give_up = std::chrono::steady_clock::now() + kReadyWait;
  struct stat st;
  for (;;) {
    if (::fstat(fd, &st) != 0) throw_errno("fstat(" + name + ")");
    if (created || static_cast<size_t>(st.st_size) >= kSegmentHeaderBytes ||
        std::chrono::steady_clock::now() > give_up)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const size_t file_bytes = static_cast<size_t>(st.st_size);
  if (file_bytes < kSegmentHeaderBytes) check_segment_header(nullptr, file_bytes, spec, geometry);
  void* head = ::mmap(nullptr, kSegmentHeaderBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (head == MAP_FAILED) throw_errno("mmap(" + name + ")");
  auto* header = static_cast<uint8_t*>(head);
  if (created) {
    write_segment_header(header, spec, geometry);
    __atomic_store_n(&reinterpret_cast<RawHeader*>(header)->ready, 1u, __ATOMIC_RELEASE);
  } else {
    while (__atomic_load_n(&reinterpret_cast<RawHeader*>(header)->ready, __ATOMIC_ACQUIRE) != 1 &&
           std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  SegmentGeometry actual;
  uint64_t total = 0;
  try {
    check_segment_header(header, file_bytes, spec, geometry);
    const auto* raw = reinterpret_cast<const RawHeader*>(header);
    actual.shards = raw->shard_count;
    actual.shard_bytes = raw->shard_bytes;
    total = raw->total_bytes;
  } catch (...) {
    ::munmap(head, kSegmentHeaderBytes);
    throw;
  }
  ::munmap(head, kSegmentHeaderBytes);
  void* all = ::mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (all == MAP_FAILED) throw_errno("mmap(" + name + ")");
  std::unique_ptr<SharedSegment> seg(
      new SharedSegment(name, static_cast<uint8_t*>(all), total, actual));
  seg->claim(local);
  return seg;
}

bool SharedSegment::unlink(const std::string& name) {
  if (::shm_unlink(name.c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  throw_errno("shm_unlink(" + name + ")");
}

void SharedSegment::claim(Aggregator& local) {
  const uint32_t me = static_cast<uint32_t>(::getpid());
  const uint64_t mine = owner_word(kOwned, me);
  // Adopt first, so a cluster that restarts workers reuses their shards.
  for (uint32_t i = 0; i < geometry_.shards; ++i) {
    uint8_t* s = shard_at(i);
    const uint64_t w = load64(s);
    const auto state = static_cast<uint32_t>(w >> 32);
    const auto pid = static_cast<uint32_t>(w);
    const bool adoptable =
        state == kOrphaned || (state == kOwned && pid != me && !process_alive(pid));
    if (!adoptable || !cas64(s, w, mine)) continue;
    shard_ = i;
    if (load64(s + 16) > 0) {
      const uint64_t latest = load64(s + 8) & 1;
      merge_snapshot(s + kShardHeaderBytes + latest * buffer_bytes(), buffer_bytes(), local);
    }
    publish(local);
    return;
  }
  for (uint32_t i = 0; i < geometry_.shards; ++i) {
    uint8_t* s = shard_at(i);
    if (load64(s) == 0 && cas64(s, 0, mine)) {
      shard_ = i;
      return;
    }
  }
  throw SegmentError("ENOSPC", "every one of the segment's " + std::to_string(geometry_.shards) +
                                   " shards belongs to a live process; create it with more "
                                   "shards");
}

void SharedSegment::publish(const Aggregator& local) {
  uint8_t* s = shard_at(shard_);
  const bool u64_keys = local.options().key_kind == AggKeyKind::kU64;
  const size_t stride = local.stride();
  const uint64_t count = local.size();
  uint64_t key_bytes = 0;
  if (!u64_keys) local.visit_entries([&](const EntryView& e) { key_bytes += e.len; });
  size_t total;
  if (!snapshot_bytes(u64_keys, count, key_bytes, stride, buffer_bytes(), &total)) {
    throw SegmentError("ENOSPC", std::to_string(count) +
                                     " entries do not fit this process's shard of the segment (" +
                                     std::to_string(buffer_bytes()) +
                                     " bytes per snapshot); create it with a larger shardBytes");
  }
  const uint64_t target = 1 - (load64(s + 8) & 1);
  uint8_t* buf = s + kShardHeaderBytes + target * buffer_bytes();
  const uint64_t seq = load64(buf) | 1;  // odd: being written
  store64(buf, seq);
  std::memcpy(buf + 8, &count, 8);
  std::memcpy(buf + 16, &key_bytes, 8);
  uint8_t* keys = buf + kSnapshotHeaderBytes;
  const size_t keys_size = u64_keys ? count * 8 : align8((count + 1) * 4 + key_bytes);
  uint8_t* rows = keys + keys_size;
  uint8_t* key_data = keys + (count + 1) * 4;
  uint64_t i = 0;
  uint32_t offset = 0;
  if (!u64_keys) std::memcpy(keys, &offset, 4);
  local.visit_entries([&](const EntryView& e) {
    if (i >= count) return;
    if (u64_keys) {
      std::memcpy(keys + i * 8, &e.u64, 8);
    } else {
      std::memcpy(key_data + offset, e.bytes, e.len);
      offset += static_cast<uint32_t>(e.len);
      std::memcpy(keys + (i + 1) * 4, &offset, 4);
    }
    std::memcpy(rows + i * stride * 8, e.row, stride * 8);
    ++i;
  });
  store64(buf, seq + 1);  // even: whole
  store64(s + 8, target);
  store64(s + 16, load64(s + 16) + 1);
}

void SharedSegment::merge_into(Aggregator& view) const {
  const size_t bytes = buffer_bytes();
  std::vector<uint8_t> copy;
  for (uint32_t i = 0; i < geometry_.shards; ++i) {
    const uint8_t* s = shard_at(i);
    if ((load64(s) >> 32) == kFree || load64(s + 16) == 0) continue;
    for (int attempt = 0; attempt < 1000; ++attempt) {
      const uint64_t latest = load64(s + 8) & 1;
      const uint8_t* buf = s + kShardHeaderBytes + latest * bytes;
      const uint64_t seq = load64(buf);
      if (seq & 1) {
        std::this_thread::yield();
        continue;
      }
      // Only the bytes the snapshot says it uses; a size that makes no
      // sense is caught by merge_snapshot on the (bounded) whole buffer.
      uint64_t count, key_bytes;
      std::memcpy(&count, buf + 8, 8);
      std::memcpy(&key_bytes, buf + 16, 8);
      size_t used = bytes;
      const bool u64_keys = view.options().key_kind == AggKeyKind::kU64;
      if (!snapshot_bytes(u64_keys, count, u64_keys ? 0 : key_bytes, view.stride(), bytes, &used))
        used = bytes;
      copy.assign(buf, buf + used);
      __atomic_thread_fence(__ATOMIC_ACQUIRE);
      if (load64(buf) != seq) continue;
      merge_snapshot(copy.data(), copy.size(), view);
      break;
    }
  }
}

void SharedSegment::close(const Aggregator& local) {
  if (closed_) return;
  closed_ = true;
  publish(local);
  uint8_t* s = shard_at(shard_);
  const uint32_t me = static_cast<uint32_t>(::getpid());
  cas64(s, owner_word(kOwned, me), owner_word(kOrphaned, me));
}

}  // namespace tophash::core
