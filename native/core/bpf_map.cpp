// BpfMap: one BpfImpl<N> per key size class behind a virtual interface, as
// FixedMap does, so each call or batch pays one indirect call (bpf_map.h).
#include "core/bpf_map.h"

#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <new>
#include <stdexcept>

#include "core/bpf_snapshot.h"
#include "core/byte_keys.h"
#include "core/fixed_map.h"
#include "core/pinned_table.h"
#include "core/record_pool.h"
#include "core/snapshot_file.h"
#include "core/snapshot_reader.h"
#include "cpu/cpu_registry.h"
#ifdef TOPHASH_TABLE_CHECKS
#include "core/table_debug.h"
#endif

namespace tophash::core {

struct BpfMap::Impl {
  virtual ~Impl() = default;
  virtual uint64_t size() const = 0;
  virtual uint64_t bytes() const = 0;
  virtual BpfStats stats() const = 0;
  virtual const char* match_name() const = 0;
  virtual const char* hash_name() const = 0;
#ifdef TOPHASH_TABLE_CHECKS
  virtual std::string check_invariants() const = 0;
#endif
  virtual const uint8_t* lookup(const uint8_t* key) = 0;
  virtual BpfStatus update(const uint8_t* key, const uint8_t* value, uint64_t flags) = 0;
  virtual BpfStatus erase(const uint8_t* key) = 0;
  virtual bool get_next_key(const uint8_t* key, uint8_t* next) const = 0;
  virtual BatchRead lookup_batch(uint64_t cursor, size_t max_count, bool and_delete,
                                 std::vector<uint8_t>* keys, std::vector<uint8_t>* values) = 0;
  virtual BatchWrite update_batch(const uint8_t* keys, const uint8_t* values, size_t count,
                                  uint64_t flags) = 0;
  virtual BatchWrite delete_batch(const uint8_t* keys, size_t count) = 0;
  virtual uint64_t seed() const = 0;
  virtual const hash::HashKernel* hash_kernel() const = 0;
  virtual const std::string* pinned_path() const { return nullptr; }
  virtual void write_snapshot(SnapshotSink& sink) = 0;
};

namespace {

constexpr size_t round_up8(size_t n) { return (n + 7) / 8 * 8; }

template <size_t N>
class BpfImpl final : public BpfMap::Impl {
 public:
  using Policy = FixedKeyPolicy<N>;
  using Key = FixedKey<N>;
  using T = Table<Policy, uint32_t>;

  // Record layout: value (value_stride_ bytes); lru_hash adds the padded key
  // (N bytes) and the reference byte (in an 8-byte word, keeping the stride
  // a multiple of 8).
  BpfImpl(BpfType type, size_t key_size, size_t value_size, uint32_t max_entries,
          const simd::MatchKernel* m, const hash::HashKernel* h, uint64_t seed)
      : lru_(type == BpfType::kLruHash),
        key_size_(key_size),
        value_size_(value_size),
        value_stride_(round_up8(value_size)),
        ref_offset_(value_stride_ + N),
        pool_(max_entries, lru_ ? value_stride_ + N + 8 : value_stride_,
              lru_ ? ref_offset_ : RecordPool::kNoClock),
        t_(m, h, seed, 0) {}

  uint64_t size() const override { return t_.size(); }
  uint64_t bytes() const override { return sizeof(*this) + t_.bytes() + pool_.bytes(); }
  BpfStats stats() const override {
    BpfStats s;
    s.table = t_.stats();
    s.table.bytes = bytes();
    s.records_bytes = pool_.bytes();
    s.evictions = evictions_;
    return s;
  }
  const char* match_name() const override { return t_.match_kernel()->name; }
  const char* hash_name() const override { return t_.hasher().kernel->name; }
  uint64_t seed() const override { return t_.seed(); }
  const hash::HashKernel* hash_kernel() const override { return t_.hasher().kernel; }
#ifdef TOPHASH_TABLE_CHECKS
  std::string check_invariants() const override {
    return core::check_invariants(t_, pool_.in_use());
  }
#endif

  const uint8_t* lookup(const uint8_t* key) override {
    const Key k = pad(key);
    const uint32_t* i = t_.find(k, t_.hash(k));
    if (i == nullptr) return nullptr;
    mark_used(*i);
    return pool_.at(*i);
  }

  BpfStatus update(const uint8_t* key, const uint8_t* value, uint64_t flags) override {
    const Key k = pad(key);
    return update_one(k, t_.hash(k), value, flags);
  }

  BpfStatus erase(const uint8_t* key) override {
    const Key k = pad(key);
    return erase_one(k, t_.hash(k));
  }

  bool get_next_key(const uint8_t* key, uint8_t* next) const override {
    uint64_t cursor = 0;
    if (key != nullptr) {
      const Key k = pad(key);
      const uint64_t h = t_.hash(k);
      if (t_.find(k, h) != nullptr) {
        bool seen = false, emitted = false;
        cursor = t_.scan(t_.group_cursor(h), [&](const Key& s, uint32_t) {
          if (emitted) return;
          if (seen) {
            std::memcpy(next, s.b, key_size_);
            emitted = true;
          } else {
            seen = Policy::equal(s, k);
          }
        });
        if (emitted) return true;
        if (cursor == 0) return false;  // the key was the last
      }
    }
    for (;;) {
      bool emitted = false;
      cursor = t_.scan(cursor, [&](const Key& s, uint32_t) {
        if (!emitted) std::memcpy(next, s.b, key_size_);
        emitted = true;
      });
      if (emitted) return true;
      if (cursor == 0) return false;
    }
  }

  BpfMap::BatchRead lookup_batch(uint64_t cursor, size_t max_count, bool and_delete,
                                 std::vector<uint8_t>* keys,
                                 std::vector<uint8_t>* values) override {
    struct Entry {
      const Key* key;
      uint32_t record;
    };
    std::vector<Entry> group;
    const size_t first_key = keys->size() / key_size_;
    const uint64_t room = t_.size() < max_count ? t_.size() : max_count;
    keys->reserve(keys->size() + room * key_size_);
    values->reserve(values->size() + room * value_size_);
    size_t count = 0;
    uint64_t c = cursor;
    bool done = false;
    for (;;) {
      group.clear();
      const uint64_t after = t_.scan(c, [&](const Key& k, uint32_t i) {
        group.push_back({&k, i});
      });
      if (!group.empty()) {
        if (group.size() > max_count - count) {
          if (count == 0) return {BpfStatus::kNoSpace, 0, cursor, false, group.size()};
          break;  // c names this group: the next call starts with it
        }
        for (const Entry& e : group) {
          keys->insert(keys->end(), e.key->b, e.key->b + key_size_);
          const uint8_t* v = pool_.at(e.record);
          values->insert(values->end(), v, v + value_size_);
        }
        count += group.size();
      }
      c = after;
      if (c == 0) {
        done = true;
        break;
      }
    }
    if (and_delete) {
      for (size_t j = 0; j < count; ++j) {
        const Key k = pad(keys->data() + (first_key + j) * key_size_);
        // Can only fail while the table grows (an erase evacuates first).
        if (erase_one(k, t_.hash(k)) == BpfStatus::kNoMemory) {
          return {BpfStatus::kNoMemory, j, cursor, false, 0};
        }
      }
    }
    return {BpfStatus::kOk, count, c, done, 0};
  }

  BpfMap::BatchWrite update_batch(const uint8_t* keys, const uint8_t* values, size_t count,
                                  uint64_t flags) override {
    for (size_t i = 0; i < count; ++i) {
      const Key k = pad(keys + i * key_size_);
      const BpfStatus s = update_one(k, t_.hash(k), values + i * value_size_, flags);
      if (s != BpfStatus::kOk) return {s, i};
    }
    return {BpfStatus::kOk, count};
  }

  void write_snapshot(SnapshotSink& sink) override {
    const BpfSnapshotShape shape{lru_ ? BpfType::kLruHash : BpfType::kHash, key_size_, value_size_,
                                 pool_.capacity(), pool_.handed_out()};
    write_bpf_snapshot(sink, t_, pool_, shape, evictions_);
  }

  // Fills this new map from a snapshot whose header matched its shape.
  void restore(SnapshotSource& src, const SnapshotLayout& layout, const BpfSnapshotShape& shape) {
    read_bpf_sections(src, layout, shape, t_, pool_, value_stride_, &evictions_);
  }

  BpfMap::BatchWrite delete_batch(const uint8_t* keys, size_t count) override {
    for (size_t i = 0; i < count; ++i) {
      const Key k = pad(keys + i * key_size_);
      const BpfStatus s = erase_one(k, t_.hash(k));
      if (s != BpfStatus::kOk) return {s, i};
    }
    return {BpfStatus::kOk, count};
  }

 private:
  Key pad(const uint8_t* key) const {
    Key k;
    k.assign(key, key_size_);
    return k;
  }

  void mark_used(uint32_t i) {
    if (lru_) pool_.touch(i);
  }

  BpfStatus update_one(const Key& k, uint64_t h, const uint8_t* value, uint64_t flags) {
    if (const uint32_t* present = t_.find(k, h)) {
      if (flags == kBpfNoExist) return BpfStatus::kExists;
      std::memcpy(pool_.at(*present), value, value_size_);
      mark_used(*present);
      return BpfStatus::kOk;
    }
    if (flags == kBpfExist) return BpfStatus::kNoEntry;
    try {
      uint32_t i = pool_.take();
      if (i == RecordPool::kNil) {
        if (!lru_) return BpfStatus::kFull;
        i = evict();
      }
      try {
        t_.assign(k, h, i);
      } catch (const std::bad_alloc&) {
        // The table is unchanged; for lru_hash the victim is already gone.
        pool_.give(i);
        throw;
      }
      uint8_t* r = pool_.at(i);
      std::memcpy(r, value, value_size_);
      if (lru_) std::memcpy(r + value_stride_, k.b, N);
      return BpfStatus::kOk;
    } catch (const std::bad_alloc&) {
      return BpfStatus::kNoMemory;
    }
  }

  BpfStatus erase_one(const Key& k, uint64_t h) {
    uint32_t i = RecordPool::kNil;
    try {
      if (!t_.erase(k, h, &i)) return BpfStatus::kNoEntry;
    } catch (const std::bad_alloc&) {
      return BpfStatus::kNoMemory;
    }
    pool_.give(i);
    return BpfStatus::kOk;
  }

  // The clock hand's victim, erased from the table; its record is the
  // caller's. Only called with every record in use. Throws std::bad_alloc
  // with the table unchanged (the hand may have moved on).
  uint32_t evict() {
    const uint32_t i = pool_.clock_victim();
    Key victim;
    std::memcpy(victim.b, pool_.at(i) + value_stride_, N);
    uint32_t erased = RecordPool::kNil;
    t_.erase(victim, t_.hash(victim), &erased);
    ++evictions_;
    return i;
  }

  const bool lru_;
  const size_t key_size_;
  const size_t value_size_;
  const size_t value_stride_;
  const size_t ref_offset_;
  RecordPool pool_;
  T t_;
  uint64_t evictions_ = 0;
};

[[noreturn]] void refuse_pinned_save(const std::string& path) {
  throw SnapshotError("EINVAL", "A pinned map cannot be saved: its file '" + path +
                                    "' already outlives the process, and other processes write "
                                    "it; copy its entries into a new BpfMap to save them");
}

// A map whose entries live in a pinned file (core/pinned_table.h). Its
// lookup copies the value out under the bucket lock, so the pointer handed
// back is this object's buffer, not the shared record.
class PinnedImpl final : public BpfMap::Impl {
 public:
  explicit PinnedImpl(std::unique_ptr<PinnedTable> t)
      : t_(std::move(t)), value_(t_->shape().value_size) {}

  uint64_t size() const override { return t_->size(); }
  uint64_t bytes() const override { return t_->shape().total_bytes; }
  BpfStats stats() const override {
    const PinnedShape& s = t_->shape();
    BpfStats st{};
    st.table.size = t_->size();
    st.table.B = 0;
    while ((uint64_t{1} << st.table.B) < s.bucket_count) ++st.table.B;
    st.table.buckets = s.bucket_count;
    st.table.load_factor = static_cast<double>(st.table.size) / s.bucket_count;
    st.table.bytes = s.total_bytes;
    st.records_bytes = uint64_t{s.max_entries} * s.record_stride;
    st.evictions = t_->evictions();
    return st;
  }
  const char* match_name() const override { return "none"; }
  const char* hash_name() const override { return t_->hash_kernel()->name; }
  uint64_t seed() const override { return t_->shape().seed; }
  const hash::HashKernel* hash_kernel() const override { return t_->hash_kernel(); }
  const std::string* pinned_path() const override { return &t_->path(); }
  void write_snapshot(SnapshotSink&) override { refuse_pinned_save(t_->path()); }
#ifdef TOPHASH_TABLE_CHECKS
  std::string check_invariants() const override {
    return check_pinned_table(t_->base(), t_->shape());
  }
#endif
  const uint8_t* lookup(const uint8_t* key) override {
    return t_->lookup(key, value_.data()) ? value_.data() : nullptr;
  }
  BpfStatus update(const uint8_t* key, const uint8_t* value, uint64_t flags) override {
    return t_->update(key, value, flags);
  }
  BpfStatus erase(const uint8_t* key) override { return t_->erase(key); }
  bool get_next_key(const uint8_t* key, uint8_t* next) const override {
    return t_->get_next_key(key, next);
  }
  BpfMap::BatchRead lookup_batch(uint64_t cursor, size_t max_count, bool and_delete,
                                 std::vector<uint8_t>* keys,
                                 std::vector<uint8_t>* values) override {
    return t_->lookup_batch(cursor, max_count, and_delete, keys, values);
  }
  BpfMap::BatchWrite update_batch(const uint8_t* keys, const uint8_t* values, size_t count,
                                  uint64_t flags) override {
    const size_t ks = t_->shape().key_size, vs = t_->shape().value_size;
    for (size_t i = 0; i < count; ++i) {
      const BpfStatus s = t_->update(keys + i * ks, values + i * vs, flags);
      if (s != BpfStatus::kOk) return {s, i};
    }
    return {BpfStatus::kOk, count};
  }
  BpfMap::BatchWrite delete_batch(const uint8_t* keys, size_t count) override {
    const size_t ks = t_->shape().key_size;
    for (size_t i = 0; i < count; ++i) {
      const BpfStatus s = t_->erase(keys + i * ks);
      if (s != BpfStatus::kOk) return {s, i};
    }
    return {BpfStatus::kOk, count};
  }

 private:
  std::unique_ptr<PinnedTable> t_;
  std::vector<uint8_t> value_;
};

// A hash kernel of the pinned file's family: forced (checked) or the CPU's best.
const hash::HashKernel* pinned_hash_kernel(hash::Family family, const hash::HashKernel* forced) {
  if (forced != nullptr) {
    if (forced->family == family) return forced;
    throw PinError(kPinHash, std::string("The pinned map was hashed with the ") +
                                 (family == hash::Family::kAes ? "aes" : "fold") +
                                 " family; options.hash '" + forced->name + "' is of another");
  }
  std::string ignored;
  const hash::HashKernel* best = cpu::select_hash("", &ignored);
  if (best != nullptr && best->family == family) return best;
  for (const hash::HashKernel* k : cpu::hash_kernels()) {
    if (k->family == family && cpu::supported(k->needs)) return k;
  }
  throw PinError(kPinHash, "No hash kernel of the pinned map's family runs on this CPU");
}

template <size_t N>
std::unique_ptr<BpfMap::Impl> restore(SnapshotSource& src, const SnapshotLayout& layout,
                                      const BpfSnapshotShape& s, const simd::MatchKernel* m,
                                      const hash::HashKernel* h) {
  auto impl =
      std::make_unique<BpfImpl<N>>(s.type, s.key_size, s.value_size,
                                   static_cast<uint32_t>(s.max_entries), m, h, layout.header.seed);
  impl->restore(src, layout, s);
  return impl;
}

template <size_t N>
std::unique_ptr<BpfMap::Impl> make(BpfType type, size_t ks, size_t vs, uint32_t max,
                                   const simd::MatchKernel* m, const hash::HashKernel* h,
                                   uint64_t seed) {
  return std::make_unique<BpfImpl<N>>(type, ks, vs, max, m, h, seed);
}

}  // namespace

BpfMap::BpfMap(BpfType type, size_t key_size, size_t value_size, uint64_t max_entries,
               const simd::MatchKernel* m, const hash::HashKernel* h, uint64_t seed)
    : type_(type), key_size_(key_size), value_size_(value_size), max_entries_(max_entries) {
  if (value_size == 0 || value_size > kMaxBpfValueSize)
    throw std::invalid_argument("valueSize must be an integer in 1..65536");
  if (max_entries == 0 || max_entries > kMaxBpfEntries)
    throw std::invalid_argument("maxEntries must be an integer in 1..2^31");
  const auto max = static_cast<uint32_t>(max_entries);
  switch (fixed_key_class(key_size)) {
    case 8: impl_ = make<8>(type, key_size, value_size, max, m, h, seed); break;
    case 16: impl_ = make<16>(type, key_size, value_size, max, m, h, seed); break;
    case 24: impl_ = make<24>(type, key_size, value_size, max, m, h, seed); break;
    case 32: impl_ = make<32>(type, key_size, value_size, max, m, h, seed); break;
    case 48: impl_ = make<48>(type, key_size, value_size, max, m, h, seed); break;
    case 64: impl_ = make<64>(type, key_size, value_size, max, m, h, seed); break;
    case 96: impl_ = make<96>(type, key_size, value_size, max, m, h, seed); break;
    case 128: impl_ = make<128>(type, key_size, value_size, max, m, h, seed); break;
    case 192: impl_ = make<192>(type, key_size, value_size, max, m, h, seed); break;
    case 256: impl_ = make<256>(type, key_size, value_size, max, m, h, seed); break;
    default: throw std::invalid_argument("keySize must be an integer in 1..256");
  }
}

BpfMap::BpfMap(BpfType type, size_t key_size, size_t value_size, uint64_t max_entries,
               std::unique_ptr<Impl> impl)
    : type_(type),
      key_size_(key_size),
      value_size_(value_size),
      max_entries_(max_entries),
      impl_(std::move(impl)) {}

BpfMap::~BpfMap() = default;

void BpfMap::pin(const std::string& path) {
  if (const std::string* at = impl_->pinned_path()) {
    throw PinError("EINVAL", "The map is already pinned at '" + *at + "'");
  }
  const hash::HashKernel* h = impl_->hash_kernel();
  const PinnedShape shape =
      pinned_shape(type_, key_size_, value_size_, max_entries_, h->family, impl_->seed());
  std::unique_ptr<PinnedTable> t = PinnedTable::create(path, shape, h);
  try {
    std::vector<uint8_t> keys, values;
    impl_->lookup_batch(0, SIZE_MAX, false, &keys, &values);
    for (size_t i = 0, n = keys.size() / key_size_; i < n; ++i) {
      t->update(keys.data() + i * key_size_, values.data() + i * value_size_, kBpfAny);
    }
    impl_ = std::make_unique<PinnedImpl>(std::move(t));
  } catch (...) {
    ::unlink(path.c_str());  // the new file only: this map never left its memory
    throw;
  }
}

std::unique_ptr<BpfMap> BpfMap::open_pinned(const std::string& path,
                                            const hash::HashKernel* forced_hash) {
  const PinnedShape shape = PinnedTable::read_shape(path);
  std::unique_ptr<PinnedTable> t =
      PinnedTable::open(path, pinned_hash_kernel(shape.family, forced_hash));
  const PinnedShape& s = t->shape();
  return std::unique_ptr<BpfMap>(new BpfMap(s.type, s.key_size, s.value_size, s.max_entries,
                                            std::make_unique<PinnedImpl>(std::move(t))));
}

const std::string* BpfMap::pinned_path() const { return impl_->pinned_path(); }

void BpfMap::write_snapshot(SnapshotSink& sink) { impl_->write_snapshot(sink); }

void BpfMap::save(const std::string& path) {
  if (const std::string* at = impl_->pinned_path()) refuse_pinned_save(*at);
  AtomicFile file(path);
  impl_->write_snapshot(file);
  file.commit();
}

std::unique_ptr<BpfMap> BpfMap::read_snapshot(SnapshotSource& src, const simd::MatchKernel* m,
                                              const hash::HashKernel* forced) {
  const SnapshotLayout layout = read_snapshot_header(src);
  const BpfSnapshotShape s = read_bpf_shape(layout.header);
  const hash::HashKernel* h = snapshot_hash_kernel(layout.header.hash_family, forced);
  std::unique_ptr<Impl> impl;
  switch (fixed_key_class(s.key_size)) {
    case 8: impl = restore<8>(src, layout, s, m, h); break;
    case 16: impl = restore<16>(src, layout, s, m, h); break;
    case 24: impl = restore<24>(src, layout, s, m, h); break;
    case 32: impl = restore<32>(src, layout, s, m, h); break;
    case 48: impl = restore<48>(src, layout, s, m, h); break;
    case 64: impl = restore<64>(src, layout, s, m, h); break;
    case 96: impl = restore<96>(src, layout, s, m, h); break;
    case 128: impl = restore<128>(src, layout, s, m, h); break;
    case 192: impl = restore<192>(src, layout, s, m, h); break;
    default: impl = restore<256>(src, layout, s, m, h); break;
  }
  return std::unique_ptr<BpfMap>(
      new BpfMap(s.type, s.key_size, s.value_size, s.max_entries, std::move(impl)));
}

std::unique_ptr<BpfMap> BpfMap::load(const std::string& path, const simd::MatchKernel* match,
                                     const hash::HashKernel* hash) {
  FileSource file(path);
  return with_snapshot_path(path, [&] { return read_snapshot(file, match, hash); });
}

uint64_t BpfMap::size() const { return impl_->size(); }
uint64_t BpfMap::bytes() const { return impl_->bytes(); }
BpfStats BpfMap::stats() const { return impl_->stats(); }
const char* BpfMap::match_name() const { return impl_->match_name(); }
const char* BpfMap::hash_name() const { return impl_->hash_name(); }
#ifdef TOPHASH_TABLE_CHECKS
std::string BpfMap::check_invariants() const { return impl_->check_invariants(); }
#endif
const uint8_t* BpfMap::lookup(const uint8_t* key) { return impl_->lookup(key); }
BpfStatus BpfMap::update(const uint8_t* key, const uint8_t* value, uint64_t flags) {
  return impl_->update(key, value, flags);
}
BpfStatus BpfMap::erase(const uint8_t* key) { return impl_->erase(key); }
bool BpfMap::get_next_key(const uint8_t* key, uint8_t* next) const {
  return impl_->get_next_key(key, next);
}
BpfMap::BatchRead BpfMap::lookup_batch(uint64_t cursor, size_t max_count, bool and_delete,
                                       std::vector<uint8_t>* keys, std::vector<uint8_t>* values) {
  return impl_->lookup_batch(cursor, max_count, and_delete, keys, values);
}
BpfMap::BatchWrite BpfMap::update_batch(const uint8_t* keys, const uint8_t* values, size_t count,
                                        uint64_t flags) {
  return impl_->update_batch(keys, values, count, flags);
}
BpfMap::BatchWrite BpfMap::delete_batch(const uint8_t* keys, size_t count) {
  return impl_->delete_batch(keys, count);
}

}  // namespace tophash::core
