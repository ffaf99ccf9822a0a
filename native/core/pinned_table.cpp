// The shared fixed-capacity table of a pinned BpfMap (design: pinned_table.h).
#include "core/pinned_table.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/header_checksum.h"
#include "core/snapshot_file.h"

namespace tophash::core {

namespace {

constexpr char kMagic[8] = {'t', 'o', 'p', 'h', 'a', 's', 'h', 'P'};
constexpr uint32_t kEndianMark = 0x01020304;
constexpr uint32_t kNil = 0xffffffffu;
constexpr uint32_t kFreeOwner = 0xffffffffu;
constexpr size_t kChecksummedBytes = 128;
constexpr uint64_t kMaxTotalBytes = uint64_t{1} << 46;
constexpr size_t kRecordHeaderBytes = 24;

struct RawHeader {
  char magic[8];
  uint32_t version;
  uint32_t endian;
  uint32_t ready;
  uint32_t type;
  uint32_t key_size;
  uint32_t value_size;
  uint32_t max_entries;
  uint32_t bucket_count;
  uint32_t record_stride;
  uint32_t mutex_bytes;
  uint32_t family;
  uint32_t reserved;
  uint64_t seed;
  uint64_t buckets_offset;
  uint64_t records_offset;
  uint64_t total_bytes;
  uint64_t checksum;
};
static_assert(sizeof(RawHeader) <= kChecksummedBytes, "the header outgrew its checksummed part");
static_assert(offsetof(RawHeader, ready) == 16 && offsetof(RawHeader, checksum) == 88,
              "the header's field offsets are part of the format (docs/FORMAT.md)");

// The shared state after the checksummed header.
constexpr size_t kPoolLockAt = 128;
constexpr size_t kFreeHeadAt = 192;
constexpr size_t kHandAt = 200;
constexpr size_t kEvictionsAt = 208;
static_assert(sizeof(pthread_mutex_t) <= kFreeHeadAt - kPoolLockAt, "the pool lock does not fit");

// Bucket fields (the mutex first).
constexpr size_t kHeadAt = 48;
constexpr size_t kCountAt = 52;
constexpr size_t kJournalOpAt = 56;
constexpr size_t kJournalRecordAt = 60;
static_assert(sizeof(pthread_mutex_t) <= kHeadAt, "a bucket's mutex does not fit");
static_assert(kJournalRecordAt + 4 == kPinnedBucketBytes, "a bucket is one cache line");

enum JournalOp : uint32_t { kNoOp = 0, kInsert = 1, kDelete = 2, kWrite = 3 };

// Record fields.
constexpr size_t kNextAt = 0;
constexpr size_t kOwnerAt = 4;
constexpr size_t kHashAt = 8;
constexpr size_t kRefAt = 16;

enum CrashPoint : int {
  kNoCrash = 0,
  kInsertLinked,
  kInsertPopped,
  kDeleteUnlinked,
  kWriteValue,
  kPoolPop
};

int crash_point_from_env() {
  const char* v = std::getenv("TOPHASH_TEST_PIN_CRASH");
  if (v == nullptr) return kNoCrash;
  const std::string s = v;
  if (s == "insert-linked") return kInsertLinked;
  if (s == "insert-popped") return kInsertPopped;
  if (s == "delete-unlinked") return kDeleteUnlinked;
  if (s == "write-value") return kWriteValue;
  if (s == "pool-pop") return kPoolPop;
  return kNoCrash;
}

size_t round_up8(size_t n) { return (n + 7) / 8 * 8; }

uint32_t load32(const uint8_t* p) {
  return __atomic_load_n(reinterpret_cast<const uint32_t*>(p), __ATOMIC_ACQUIRE);
}
void store32(uint8_t* p, uint32_t v) {
  __atomic_store_n(reinterpret_cast<uint32_t*>(p), v, __ATOMIC_RELEASE);
}
uint64_t load64(const uint8_t* p) {
  return __atomic_load_n(reinterpret_cast<const uint64_t*>(p), __ATOMIC_ACQUIRE);
}
void store64(uint8_t* p, uint64_t v) {
  __atomic_store_n(reinterpret_cast<uint64_t*>(p), v, __ATOMIC_RELEASE);
}

uint32_t buckets_for(uint64_t max_entries) {
  uint64_t n = 1;
  while (n < max_entries) n <<= 1;
  return static_cast<uint32_t>(n);
}

[[noreturn]] void fail_errno(const char* what, const std::string& path) {
  const int e = errno;
  throw PinError(errno_code(e), std::string("Could not ") + what + " pinned map '" + path +
                                    "': " + std::strerror(e));
}

[[noreturn]] void corrupt(const std::string& why) {
  throw PinError(kPinCorrupt, "The pinned map is damaged: " + why);
}

void init_robust_mutex(pthread_mutex_t* m) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(m, &a);
  pthread_mutexattr_destroy(&a);
}

// Runs the repair of a lock whose holder died, then marks the lock
// consistent. A repair that throws (its own lock unusable) unlocks without
// marking it: the lock then fails with ENOTRECOVERABLE for everyone, a clear
// error, instead of staying held by this thread forever.
template <class Repair>
void repair_then_consistent(pthread_mutex_t* m, Repair&& repair) {
  try {
    repair();
  } catch (...) {
    pthread_mutex_unlock(m);
    throw;
  }
  pthread_mutex_consistent(m);
}

// The file's bytes, mapped; unmapped by the destructor unless released.
struct Mapping {
  uint8_t* base = nullptr;
  size_t bytes = 0;
  ~Mapping() {
    if (base != nullptr) ::munmap(base, bytes);
  }
  uint8_t* release() {
    uint8_t* b = base;
    base = nullptr;
    return b;
  }
};

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

void map_file(int fd, size_t bytes, const std::string& path, Mapping* m) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) fail_errno("map", path);
  m->base = static_cast<uint8_t*>(p);
  m->bytes = bytes;
}

// The validated header of an open file descriptor.
PinnedShape read_header(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) fail_errno("stat", path);
  const auto file_bytes = static_cast<size_t>(st.st_size);
  uint8_t head[sizeof(RawHeader)] = {};
  const ssize_t got = ::pread(fd, head, sizeof head, 0);
  if (got < 0) fail_errno("read", path);
  const auto read = static_cast<size_t>(got);
  return check_pinned_header(head, read < sizeof head ? read : file_bytes);
}

}  // namespace

struct PinnedTable::Bucket {
  uint8_t bytes[kPinnedBucketBytes];
  pthread_mutex_t* mutex() { return reinterpret_cast<pthread_mutex_t*>(bytes); }
};

PinnedShape pinned_shape(BpfType type, size_t key_size, size_t value_size, uint64_t max_entries,
                         hash::Family family, uint64_t seed) {
  if (key_size == 0 || key_size > 256 || value_size == 0 || value_size > kMaxBpfValueSize ||
      max_entries == 0 || max_entries > kMaxBpfEntries)
    throw PinError("EINVAL", "A pinned map's sizes are out of range");
  PinnedShape s;
  s.type = type;
  s.key_size = static_cast<uint32_t>(key_size);
  s.value_size = static_cast<uint32_t>(value_size);
  s.max_entries = static_cast<uint32_t>(max_entries);
  s.bucket_count = buckets_for(max_entries);
  s.record_stride =
      static_cast<uint32_t>(kRecordHeaderBytes + round_up8(key_size) + round_up8(value_size));
  s.family = family;
  s.seed = seed;
  s.total_bytes = kPinnedHeaderBytes + uint64_t{s.bucket_count} * kPinnedBucketBytes +
                  uint64_t{s.max_entries} * s.record_stride;
  if (s.total_bytes > kMaxTotalBytes) {
    throw PinError("EINVAL", "A pinned map of " + std::to_string(max_entries) + " entries of " +
                                 std::to_string(value_size) + " bytes needs " +
                                 std::to_string(s.total_bytes) + " bytes, more than a file holds");
  }
  return s;
}

PinnedShape check_pinned_header(const uint8_t* bytes, size_t file_bytes) {
  if (file_bytes < sizeof(RawHeader)) {
    throw PinError(kPinTruncated, "The pinned map's file has " + std::to_string(file_bytes) +
                                      " bytes, fewer than its header's " +
                                      std::to_string(sizeof(RawHeader)));
  }
  RawHeader h;
  std::memcpy(&h, bytes, sizeof h);
  if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0)
    throw PinError(kPinFormat, "Not a pinned tophash map (its magic bytes differ)");
  if (h.endian != kEndianMark)
    throw PinError(kPinEndian, "The pinned map was created on a host of the other byte order");
  if (h.version != kPinnedLayoutVersion) {
    throw PinError(kPinVersion, "The pinned map has layout version " + std::to_string(h.version) +
                                    "; this build reads " + std::to_string(kPinnedLayoutVersion));
  }
  if (h.checksum != header_checksum(h)) corrupt("its header's checksum does not match");
  if (h.mutex_bytes != sizeof(pthread_mutex_t)) {
    throw PinError(kPinVersion, "The pinned map's locks are " + std::to_string(h.mutex_bytes) +
                                    " bytes, this C library's " +
                                    std::to_string(sizeof(pthread_mutex_t)) +
                                    ": it was created by another platform");
  }
  if (h.type > 1 || h.family > 1) corrupt("its map type or hash family is unknown");
  PinnedShape s;
  try {
    s = pinned_shape(h.type == 0 ? BpfType::kHash : BpfType::kLruHash, h.key_size, h.value_size,
                     h.max_entries, static_cast<hash::Family>(h.family), h.seed);
  } catch (const PinError&) {
    corrupt("its sizes are out of range");
  }
  if (h.bucket_count != s.bucket_count || h.record_stride != s.record_stride ||
      h.buckets_offset != kPinnedHeaderBytes ||
      h.records_offset != kPinnedHeaderBytes + uint64_t{s.bucket_count} * kPinnedBucketBytes ||
      h.total_bytes != s.total_bytes)
    corrupt("its header describes an impossible layout");
  if (__atomic_load_n(&reinterpret_cast<const RawHeader*>(bytes)->ready, __ATOMIC_ACQUIRE) != 1)
    corrupt("its creator never finished it (it died while pinning?); unlink it and pin again");
  if (file_bytes < h.total_bytes) {
    throw PinError(kPinTruncated, "The pinned map's file has " + std::to_string(file_bytes) +
                                      " bytes; its header says " + std::to_string(h.total_bytes));
  }
  return s;
}

void format_pinned_table(uint8_t* bytes, const PinnedShape& s) {
  RawHeader h;
  std::memset(&h, 0, sizeof h);
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.version = kPinnedLayoutVersion;
  h.endian = kEndianMark;
  h.type = s.type == BpfType::kHash ? 0 : 1;
  h.key_size = s.key_size;
  h.value_size = s.value_size;
  h.max_entries = s.max_entries;
  h.bucket_count = s.bucket_count;
  h.record_stride = s.record_stride;
  h.mutex_bytes = sizeof(pthread_mutex_t);
  h.family = static_cast<uint32_t>(s.family);
  h.seed = s.seed;
  h.buckets_offset = kPinnedHeaderBytes;
  h.records_offset = kPinnedHeaderBytes + uint64_t{s.bucket_count} * kPinnedBucketBytes;
  h.total_bytes = s.total_bytes;
  h.checksum = header_checksum(h);
  std::memcpy(bytes, &h, sizeof h);
  init_robust_mutex(reinterpret_cast<pthread_mutex_t*>(bytes + kPoolLockAt));
  uint8_t* buckets = bytes + h.buckets_offset;
  for (uint32_t i = 0; i < s.bucket_count; ++i) {
    uint8_t* b = buckets + size_t{i} * kPinnedBucketBytes;
    init_robust_mutex(reinterpret_cast<pthread_mutex_t*>(b));
    store32(b + kHeadAt, kNil);
  }
  uint8_t* records = bytes + h.records_offset;
  for (uint32_t r = 0; r < s.max_entries; ++r) {
    uint8_t* rec = records + size_t{r} * s.record_stride;
    store32(rec + kNextAt, r + 1 < s.max_entries ? r + 1 : kNil);
    store32(rec + kOwnerAt, kFreeOwner);
  }
  store32(bytes + kFreeHeadAt, 0);
}

std::string check_pinned_table(const uint8_t* bytes, const PinnedShape& s) {
  const uint8_t* buckets = bytes + kPinnedHeaderBytes;
  const uint8_t* records = buckets + size_t{s.bucket_count} * kPinnedBucketBytes;
  auto rec = [&](uint32_t r) {
    return records + size_t{r} * s.record_stride;
  };
  std::vector<uint8_t> seen(s.max_entries, 0);
  for (uint32_t b = 0; b < s.bucket_count; ++b) {
    const uint8_t* bk = buckets + size_t{b} * kPinnedBucketBytes;
    if (load32(bk + kJournalOpAt) != kNoOp) return "bucket " + std::to_string(b) + "'s journal";
    uint32_t n = 0;
    for (uint32_t r = load32(bk + kHeadAt); r != kNil; r = load32(rec(r) + kNextAt)) {
      if (r >= s.max_entries) return "bucket " + std::to_string(b) + " links outside the records";
      if (seen[r]++) return "record " + std::to_string(r) + " is linked twice";
      if (load32(rec(r) + kOwnerAt) != b) return "record " + std::to_string(r) + "'s owner";
      if ((load64(rec(r) + kHashAt) & (s.bucket_count - 1)) != b)
        return "record " + std::to_string(r) + " is in the wrong bucket";
      ++n;
    }
    if (load32(bk + kCountAt) != n) return "bucket " + std::to_string(b) + "'s count";
  }
  for (uint32_t r = load32(bytes + kFreeHeadAt); r != kNil; r = load32(rec(r) + kNextAt)) {
    if (r >= s.max_entries) return "the free list links outside the records";
    if (seen[r]++) return "record " + std::to_string(r) + " is free and linked";
    if (load32(rec(r) + kOwnerAt) != kFreeOwner) return "free record " + std::to_string(r);
  }
  for (uint32_t r = 0; r < s.max_entries; ++r) {
    if (!seen[r]) return "record " + std::to_string(r) + " is lost";
  }
  return "";
}

// A bucket's lock, repairing the bucket when its last holder died.
class PinnedTable::Locked {
 public:
  Locked(PinnedTable* t, uint32_t i) : b_(t->bucket(i)) {
    const int rc = pthread_mutex_lock(b_->mutex());
    if (rc == EOWNERDEAD) {
      repair_then_consistent(b_->mutex(), [&] { t->repair_bucket(i); });
    } else if (rc != 0) {
      throw PinError(rc == ENOTRECOVERABLE ? "ENOTRECOVERABLE" : kPinCorrupt,
                     "A pinned map's bucket lock is unusable: " + std::string(std::strerror(rc)));
    }
  }
  ~Locked() { pthread_mutex_unlock(b_->mutex()); }
  Locked(const Locked&) = delete;
  Locked& operator=(const Locked&) = delete;
  Bucket* bucket() const { return b_; }

 private:
  Bucket* b_;
};

PinnedTable::PinnedTable(std::string path, uint8_t* base, const PinnedShape& shape,
                         const hash::HashKernel* hash_kernel)
    : path_(std::move(path)),
      base_(base),
      shape_(shape),
      hash_kernel_(hash_kernel),
      seed_(hash::expand_seed(shape.seed)),
      crash_point_(crash_point_from_env()) {}

PinnedTable::~PinnedTable() { ::munmap(base_, shape_.total_bytes); }

std::unique_ptr<PinnedTable> PinnedTable::create(const std::string& path, const PinnedShape& shape,
                                                 const hash::HashKernel* hash_kernel) {
  Fd fd{::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)};
  if (fd.fd < 0) fail_errno("create", path);
  Mapping m;
  try {
    if (::ftruncate(fd.fd, static_cast<off_t>(shape.total_bytes)) != 0) fail_errno("size", path);
    map_file(fd.fd, shape.total_bytes, path, &m);
    format_pinned_table(m.base, shape);
  } catch (...) {
    ::unlink(path.c_str());
    throw;
  }
  __atomic_store_n(&reinterpret_cast<RawHeader*>(m.base)->ready, 1u, __ATOMIC_RELEASE);
  return std::unique_ptr<PinnedTable>(new PinnedTable(path, m.release(), shape, hash_kernel));
}

PinnedShape PinnedTable::read_shape(const std::string& path) {
  Fd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (fd.fd < 0) fail_errno("open", path);
  return read_header(fd.fd, path);
}

std::unique_ptr<PinnedTable> PinnedTable::open(const std::string& path,
                                               const hash::HashKernel* hash_kernel) {
  Fd fd{::open(path.c_str(), O_RDWR | O_CLOEXEC)};
  if (fd.fd < 0) fail_errno("open", path);
  const PinnedShape shape = read_header(fd.fd, path);
  if (hash_kernel->family != shape.family) {
    throw PinError(kPinHash, std::string("The pinned map was hashed with the ") +
                                 (shape.family == hash::Family::kAes ? "aes" : "fold") +
                                 " family; hash kernel '" + hash_kernel->name + "' is of another");
  }
  Mapping m;
  map_file(fd.fd, shape.total_bytes, path, &m);
  // The file may have been swapped or rewritten between the read and the
  // map: the header that counts is the mapped one.
  const PinnedShape mapped = check_pinned_header(m.base, shape.total_bytes);
  if (mapped.type != shape.type || mapped.total_bytes != shape.total_bytes ||
      mapped.seed != shape.seed || mapped.family != shape.family ||
      mapped.record_stride != shape.record_stride)
    corrupt("it changed while being opened");
  return std::unique_ptr<PinnedTable>(new PinnedTable(path, m.release(), shape, hash_kernel));
}

void PinnedTable::unpin(const std::string& path) {
  read_shape(path);
  if (::unlink(path.c_str()) != 0) fail_errno("unlink", path);
}

PinnedTable::Bucket* PinnedTable::bucket(uint32_t i) const {
  return reinterpret_cast<Bucket*>(base_ + kPinnedHeaderBytes + size_t{i} * kPinnedBucketBytes);
}

uint8_t* PinnedTable::record(uint32_t i) const {
  return base_ + kPinnedHeaderBytes + size_t{shape_.bucket_count} * kPinnedBucketBytes +
         size_t{i} * shape_.record_stride;
}

uint64_t PinnedTable::hash(const uint8_t* key) const {
  return hash_kernel_->bytes(key, shape_.key_size, seed_);
}

uint64_t PinnedTable::size() const {
  uint64_t n = 0;
  for (uint32_t i = 0; i < shape_.bucket_count; ++i) n += load32(bucket(i)->bytes + kCountAt);
  return n;
}

uint64_t PinnedTable::evictions() const { return load64(base_ + kEvictionsAt); }

// A chain walk visits at most max_entries records, each index checked: a
// hostile or cyclic chain ends the walk instead of running away.
#define FOR_CHAIN(r, b)                                       \
  for (uint32_t r = load32((b)->bytes + kHeadAt), steps_ = 0; \
       r < shape_.max_entries && steps_ < shape_.max_entries; \
       r = load32(record(r) + kNextAt), ++steps_)

uint32_t PinnedTable::find(const Bucket* b, const uint8_t* key, uint64_t h) const {
  FOR_CHAIN(r, b) {
    const uint8_t* rec = record(r);
    if (load64(rec + kHashAt) == h &&
        std::memcmp(rec + kRecordHeaderBytes, key, shape_.key_size) == 0)
      return r;
  }
  return kNil;
}

void PinnedTable::lock_pool() {
  auto* m = reinterpret_cast<pthread_mutex_t*>(base_ + kPoolLockAt);
  const int rc = pthread_mutex_lock(m);
  if (rc == EOWNERDEAD) {
    repair_then_consistent(m, [&] { repair_pool(); });
  } else if (rc != 0) {
    throw PinError(rc == ENOTRECOVERABLE ? "ENOTRECOVERABLE" : kPinCorrupt,
                   "A pinned map's pool lock is unusable: " + std::string(std::strerror(rc)));
  }
}

void PinnedTable::unlock_pool() {
  pthread_mutex_unlock(reinterpret_cast<pthread_mutex_t*>(base_ + kPoolLockAt));
}

void PinnedTable::repair_pool() {
  uint32_t head = kNil;
  for (uint32_t r = shape_.max_entries; r-- > 0;) {
    uint8_t* rec = record(r);
    if (load32(rec + kOwnerAt) != kFreeOwner) continue;
    store32(rec + kNextAt, head);
    head = r;
  }
  store32(base_ + kFreeHeadAt, head);
}

// Pops a free record for bucket_index, whose lock the caller holds, and
// journals it as an insert first; kNil when none is free.
uint32_t PinnedTable::take_record(uint32_t bucket_index) {
  Bucket* b = bucket(bucket_index);
  lock_pool();
  const uint32_t r = load32(base_ + kFreeHeadAt);
  if (r >= shape_.max_entries) {
    unlock_pool();
    return kNil;
  }
  uint8_t* rec = record(r);
  store32(b->bytes + kJournalRecordAt, r);
  store32(b->bytes + kJournalOpAt, kInsert);
  store32(rec + kOwnerAt, bucket_index);
  if (crash_point_ == kPoolPop) ::raise(SIGKILL);
  const uint32_t next = load32(rec + kNextAt);
  store32(base_ + kFreeHeadAt, next < shape_.max_entries ? next : kNil);
  unlock_pool();
  return r;
}

void PinnedTable::free_record(uint32_t r) {
  lock_pool();
  uint8_t* rec = record(r);
  store32(rec + kOwnerAt, kFreeOwner);
  store32(rec + kNextAt, load32(base_ + kFreeHeadAt));
  store32(base_ + kFreeHeadAt, r);
  unlock_pool();
}

void PinnedTable::unlink(Bucket* b, uint32_t r) {
  uint8_t* link = b->bytes + kHeadAt;
  uint32_t steps = 0;
  for (uint32_t c = load32(link); c < shape_.max_entries && steps < shape_.max_entries;
       c = load32(link), ++steps) {
    if (c == r) {
      store32(link, load32(record(r) + kNextAt));
      store32(b->bytes + kCountAt, load32(b->bytes + kCountAt) - 1);
      return;
    }
    link = record(c) + kNextAt;
  }
}

void PinnedTable::repair_bucket(uint32_t bucket_index) {
  Bucket* b = bucket(bucket_index);
  const uint32_t op = load32(b->bytes + kJournalOpAt);
  const uint32_t r = load32(b->bytes + kJournalRecordAt);
  if (op != kNoOp && r < shape_.max_entries) {
    bool linked = false;
    FOR_CHAIN(c, b) linked = linked || c == r;
    if (linked && op == kWrite) {
      unlink(b, r);  // its value may be half old, half new
      linked = false;
    }
    if (!linked && load32(record(r) + kOwnerAt) == bucket_index) free_record(r);
  }
  store32(b->bytes + kJournalOpAt, kNoOp);
  uint32_t n = 0;
  FOR_CHAIN(c, b) {
    (void)c;
    ++n;
  }
  store32(b->bytes + kCountAt, n);
}

bool PinnedTable::lookup(const uint8_t* key, uint8_t* out) {
  const uint64_t h = hash(key);
  Locked l(this, static_cast<uint32_t>(h & (shape_.bucket_count - 1)));
  const uint32_t r = find(l.bucket(), key, h);
  if (r == kNil) return false;
  uint8_t* rec = record(r);
  std::memcpy(out, rec + kRecordHeaderBytes + round_up8(shape_.key_size), shape_.value_size);
  if (shape_.type == BpfType::kLruHash) __atomic_store_n(rec + kRefAt, 1, __ATOMIC_RELAXED);
  return true;
}

BpfStatus PinnedTable::update(const uint8_t* key, const uint8_t* value, uint64_t flags) {
  const uint64_t h = hash(key);
  const auto bi = static_cast<uint32_t>(h & (shape_.bucket_count - 1));
  Locked l(this, bi);
  Bucket* b = l.bucket();
  const size_t value_at = kRecordHeaderBytes + round_up8(shape_.key_size);
  const bool lru = shape_.type == BpfType::kLruHash;
  uint32_t r = find(b, key, h);
  if (r != kNil) {
    if (flags == kBpfNoExist) return BpfStatus::kExists;
    uint8_t* rec = record(r);
    store32(b->bytes + kJournalRecordAt, r);
    store32(b->bytes + kJournalOpAt, kWrite);
    if (crash_point_ == kWriteValue) {
      std::memcpy(rec + value_at, value, shape_.value_size / 2);
      ::raise(SIGKILL);
    }
    std::memcpy(rec + value_at, value, shape_.value_size);
    if (lru) __atomic_store_n(rec + kRefAt, 1, __ATOMIC_RELAXED);
    store32(b->bytes + kJournalOpAt, kNoOp);
    return BpfStatus::kOk;
  }
  if (flags == kBpfExist) return BpfStatus::kNoEntry;
  r = take_record(bi);
  if (r == kNil && lru) r = evict(bi);
  if (r == kNil) return BpfStatus::kFull;
  uint8_t* rec = record(r);
  store64(rec + kHashAt, h);
  std::memcpy(rec + kRecordHeaderBytes, key, shape_.key_size);
  std::memcpy(rec + value_at, value, shape_.value_size);
  __atomic_store_n(rec + kRefAt, 0, __ATOMIC_RELAXED);
  if (crash_point_ == kInsertPopped) ::raise(SIGKILL);
  store32(rec + kNextAt, load32(b->bytes + kHeadAt));
  store32(b->bytes + kHeadAt, r);
  store32(b->bytes + kCountAt, load32(b->bytes + kCountAt) + 1);
  if (crash_point_ == kInsertLinked) ::raise(SIGKILL);
  store32(b->bytes + kJournalOpAt, kNoOp);
  return BpfStatus::kOk;
}

// CLOCK over the records, shared by every process: the hand is one counter in
// the header. A victim in another bucket is only tried (trylock), so holding
// held_bucket's lock never waits on another; its record moves to held_bucket
// (journalled in both) without passing through the pool.
uint32_t PinnedTable::evict(uint32_t held_bucket) {
  Bucket* held = bucket(held_bucket);
  const uint64_t sweeps = uint64_t{shape_.max_entries} * 4 + 64;
  for (uint64_t step = 0; step < sweeps; ++step) {
    const uint64_t hand =
        __atomic_fetch_add(reinterpret_cast<uint64_t*>(base_ + kHandAt), 1, __ATOMIC_RELAXED);
    const auto r = static_cast<uint32_t>(hand % shape_.max_entries);
    uint8_t* rec = record(r);
    const uint32_t owner = load32(rec + kOwnerAt);
    if (owner >= shape_.bucket_count) continue;
    if (__atomic_load_n(rec + kRefAt, __ATOMIC_RELAXED) != 0) {
      __atomic_store_n(rec + kRefAt, 0, __ATOMIC_RELAXED);
      continue;
    }
    Bucket* vb = bucket(owner);
    const bool same = owner == held_bucket;
    if (!same) {
      const int rc = pthread_mutex_trylock(vb->mutex());
      if (rc == EOWNERDEAD) {
        repair_then_consistent(vb->mutex(), [&] { repair_bucket(owner); });
      } else if (rc != 0) {
        continue;
      }
    }
    bool linked = false;
    if (load32(rec + kOwnerAt) == owner) {
      FOR_CHAIN(c, vb) linked = linked || c == r;
    }
    if (linked) {
      store32(vb->bytes + kJournalRecordAt, r);
      store32(vb->bytes + kJournalOpAt, kDelete);
      unlink(vb, r);
      store32(held->bytes + kJournalRecordAt, r);
      store32(held->bytes + kJournalOpAt, kInsert);
      store32(rec + kOwnerAt, held_bucket);
      if (!same) store32(vb->bytes + kJournalOpAt, kNoOp);
      __atomic_fetch_add(reinterpret_cast<uint64_t*>(base_ + kEvictionsAt), 1, __ATOMIC_RELAXED);
    }
    if (!same) pthread_mutex_unlock(vb->mutex());
    if (linked) return r;
  }
  return kNil;
}

BpfStatus PinnedTable::erase(const uint8_t* key) {
  const uint64_t h = hash(key);
  Locked l(this, static_cast<uint32_t>(h & (shape_.bucket_count - 1)));
  Bucket* b = l.bucket();
  const uint32_t r = find(b, key, h);
  if (r == kNil) return BpfStatus::kNoEntry;
  store32(b->bytes + kJournalRecordAt, r);
  store32(b->bytes + kJournalOpAt, kDelete);
  unlink(b, r);
  if (crash_point_ == kDeleteUnlinked) ::raise(SIGKILL);
  free_record(r);
  store32(b->bytes + kJournalOpAt, kNoOp);
  return BpfStatus::kOk;
}

bool PinnedTable::get_next_key(const uint8_t* key, uint8_t* next) {
  uint32_t start = 0;
  if (key != nullptr) {
    const uint64_t h = hash(key);
    const auto bi = static_cast<uint32_t>(h & (shape_.bucket_count - 1));
    Locked l(this, bi);
    const uint32_t r = find(l.bucket(), key, h);
    if (r != kNil) {
      const uint32_t after = load32(record(r) + kNextAt);
      if (after < shape_.max_entries) {
        std::memcpy(next, record(after) + kRecordHeaderBytes, shape_.key_size);
        return true;
      }
      start = bi + 1;
    }
  }
  for (uint32_t i = start; i < shape_.bucket_count; ++i) {
    if (load32(bucket(i)->bytes + kCountAt) == 0) continue;
    Locked l(this, i);
    const uint32_t head = load32(l.bucket()->bytes + kHeadAt);
    if (head < shape_.max_entries) {
      std::memcpy(next, record(head) + kRecordHeaderBytes, shape_.key_size);
      return true;
    }
  }
  return false;
}

BpfMap::BatchRead PinnedTable::lookup_batch(uint64_t cursor, size_t max_count, bool and_delete,
                                            std::vector<uint8_t>* keys,
                                            std::vector<uint8_t>* values) {
  const size_t ks = shape_.key_size, vs = shape_.value_size;
  const size_t value_at = kRecordHeaderBytes + round_up8(ks);
  std::vector<uint32_t> group;
  size_t count = 0;
  for (uint64_t i = cursor; i < shape_.bucket_count; ++i) {
    if (load32(bucket(static_cast<uint32_t>(i))->bytes + kCountAt) == 0) continue;
    Locked l(this, static_cast<uint32_t>(i));
    Bucket* b = l.bucket();
    group.clear();
    FOR_CHAIN(r, b) group.push_back(r);
    if (group.size() > max_count - count) {
      if (count == 0) return {BpfStatus::kNoSpace, 0, cursor, false, group.size()};
      return {BpfStatus::kOk, count, i, false, 0};
    }
    for (const uint32_t r : group) {
      const uint8_t* rec = record(r);
      keys->insert(keys->end(), rec + kRecordHeaderBytes, rec + kRecordHeaderBytes + ks);
      values->insert(values->end(), rec + value_at, rec + value_at + vs);
      if (and_delete) {
        store32(b->bytes + kJournalRecordAt, r);
        store32(b->bytes + kJournalOpAt, kDelete);
        unlink(b, r);
        free_record(r);
        store32(b->bytes + kJournalOpAt, kNoOp);
      }
    }
    count += group.size();
  }
  return {BpfStatus::kOk, count, 0, true, 0};
}

#undef FOR_CHAIN

}  // namespace tophash::core
