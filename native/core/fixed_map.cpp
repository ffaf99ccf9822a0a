// FixedMap: one Table<FixedKeyPolicy<N>, double> per size class behind a
// virtual interface, so the class is chosen once per map and each call or
// batch pays one indirect call (see fixed_map.h).
#include "core/fixed_map.h"

#include <stdexcept>

#include "core/batch_operations.h"
#ifdef TOPHASH_TABLE_CHECKS
#include "core/table_debug.h"
#endif

namespace tophash::core {

size_t fixed_key_class(size_t key_size) {
  if (key_size == 0) return 0;
  for (size_t n : kFixedKeyClasses) {
    if (key_size <= n) return n;
  }
  return 0;
}

struct FixedMap::Impl {
  virtual ~Impl() = default;
  virtual size_t key_class() const = 0;
  virtual uint64_t size() const = 0;
  virtual TableStats stats() const = 0;
  virtual uint64_t bytes() const = 0;
  virtual bool growing() const = 0;
#ifdef TOPHASH_TABLE_CHECKS
  virtual std::string check_invariants() const = 0;
#endif
  virtual const double* find(const uint8_t* key) const = 0;
  virtual bool assign(const uint8_t* key, double value) = 0;
  virtual bool erase(const uint8_t* key) = 0;
  virtual void clear() = 0;
  virtual uint64_t scan(uint64_t cursor, VisitFn visit, void* ctx) const = 0;
  virtual size_t get_batch(const uint8_t* keys, size_t count, double* out,
                           uint8_t* found) const = 0;
  virtual size_t has_batch(const uint8_t* keys, size_t count, uint8_t* out) const = 0;
  virtual size_t set_batch(const uint8_t* keys, size_t count, const double* values) = 0;
  virtual size_t delete_batch(const uint8_t* keys, size_t count) = 0;
};

namespace {

template <size_t N>
struct FixedSource {
  // Chunks of at most 4 KiB of keys: 64 short keys, 16 of 256 bytes.
  static constexpr size_t kChunk = 4096 / N < 16 ? 16 : (4096 / N > 64 ? 64 : 4096 / N);
  const uint8_t* keys;
  size_t key_size;
  size_t n_keys;

  size_t count() const { return n_keys; }
  void load(size_t start, size_t n, const Hasher& h, FixedKey<N>* probes, uint64_t* hashes) const {
    uint32_t offsets[kChunk + 1];
    for (size_t i = 0; i < n; ++i) {
      probes[i].assign(keys + (start + i) * key_size, key_size);
      offsets[i] = static_cast<uint32_t>(i * N);
    }
    offsets[n] = static_cast<uint32_t>(n * N);
    h.kernel->bytes_many(probes[0].b, offsets, n, h.seed, hashes);
  }
};

template <size_t N>
class FixedImpl final : public FixedMap::Impl {
 public:
  using T = FixedTable<N>;
  using Key = FixedKey<N>;
  FixedImpl(size_t key_size, const simd::MatchKernel* m, const hash::HashKernel* h, uint64_t seed,
            uint64_t cap)
      : key_size_(key_size), t_(m, h, seed, cap) {}

  size_t key_class() const override { return N; }
  uint64_t size() const override { return t_.size(); }
  TableStats stats() const override { return t_.stats(); }
  uint64_t bytes() const override { return t_.bytes(); }
  bool growing() const override { return t_.growing(); }
#ifdef TOPHASH_TABLE_CHECKS
  std::string check_invariants() const override { return core::check_invariants(t_); }
#endif

  const double* find(const uint8_t* key) const override {
    const Key k = pad(key);
    return t_.find(k, t_.hash(k));
  }
  bool assign(const uint8_t* key, double value) override {
    const Key k = pad(key);
    return t_.assign(k, t_.hash(k), value);
  }
  bool erase(const uint8_t* key) override {
    const Key k = pad(key);
    return t_.erase(k, t_.hash(k));
  }
  void clear() override { t_.clear(); }
  uint64_t scan(uint64_t cursor, FixedMap::VisitFn visit, void* ctx) const override {
    return t_.scan(cursor, [&](const Key& k, double v) { visit(ctx, k.b, v); });
  }

  size_t get_batch(const uint8_t* keys, size_t count, double* out, uint8_t* found) const override {
    return batch::get(t_, source(keys, count), out, found);
  }
  size_t has_batch(const uint8_t* keys, size_t count, uint8_t* out) const override {
    return batch::has(t_, source(keys, count), out);
  }
  size_t set_batch(const uint8_t* keys, size_t count, const double* values) override {
    return batch::set(t_, source(keys, count), values);
  }
  size_t delete_batch(const uint8_t* keys, size_t count) override {
    return batch::erase(t_, source(keys, count));
  }

 private:
  Key pad(const uint8_t* key) const {
    Key k;
    k.assign(key, key_size_);
    return k;
  }
  FixedSource<N> source(const uint8_t* keys, size_t count) const {
    return FixedSource<N>{keys, key_size_, count};
  }

  size_t key_size_;
  T t_;
};

template <size_t N>
std::unique_ptr<FixedMap::Impl> make(size_t key_size, const simd::MatchKernel* m,
                                     const hash::HashKernel* h, uint64_t seed, uint64_t cap) {
  return std::make_unique<FixedImpl<N>>(key_size, m, h, seed, cap);
}

}  // namespace

FixedMap::FixedMap(size_t key_size, const simd::MatchKernel* m, const hash::HashKernel* h,
                   uint64_t seed, uint64_t cap)
    : key_size_(key_size) {
  switch (fixed_key_class(key_size)) {
    case 8: impl_ = make<8>(key_size, m, h, seed, cap); break;
    case 16: impl_ = make<16>(key_size, m, h, seed, cap); break;
    case 24: impl_ = make<24>(key_size, m, h, seed, cap); break;
    case 32: impl_ = make<32>(key_size, m, h, seed, cap); break;
    case 48: impl_ = make<48>(key_size, m, h, seed, cap); break;
    case 64: impl_ = make<64>(key_size, m, h, seed, cap); break;
    case 96: impl_ = make<96>(key_size, m, h, seed, cap); break;
    case 128: impl_ = make<128>(key_size, m, h, seed, cap); break;
    case 192: impl_ = make<192>(key_size, m, h, seed, cap); break;
    case 256: impl_ = make<256>(key_size, m, h, seed, cap); break;
    default: throw std::invalid_argument("keySize must be an integer in 1..256");
  }
}

FixedMap::~FixedMap() = default;
FixedMap::FixedMap(FixedMap&&) noexcept = default;
FixedMap& FixedMap::operator=(FixedMap&&) noexcept = default;

size_t FixedMap::key_class() const { return impl_->key_class(); }
uint64_t FixedMap::size() const { return impl_->size(); }
TableStats FixedMap::stats() const { return impl_->stats(); }
uint64_t FixedMap::bytes() const { return impl_->bytes(); }
bool FixedMap::growing() const { return impl_->growing(); }
#ifdef TOPHASH_TABLE_CHECKS
std::string FixedMap::check_invariants() const { return impl_->check_invariants(); }
#endif
const double* FixedMap::find(const uint8_t* key) const { return impl_->find(key); }
bool FixedMap::assign(const uint8_t* key, double value) { return impl_->assign(key, value); }
bool FixedMap::erase(const uint8_t* key) { return impl_->erase(key); }
void FixedMap::clear() { impl_->clear(); }
uint64_t FixedMap::scan(uint64_t cursor, VisitFn visit, void* ctx) const {
  return impl_->scan(cursor, visit, ctx);
}
size_t FixedMap::get_batch(const uint8_t* keys, size_t count, double* out, uint8_t* found) const {
  return impl_->get_batch(keys, count, out, found);
}
size_t FixedMap::has_batch(const uint8_t* keys, size_t count, uint8_t* out) const {
  return impl_->has_batch(keys, count, out);
}
size_t FixedMap::set_batch(const uint8_t* keys, size_t count, const double* values) {
  return impl_->set_batch(keys, count, values);
}
size_t FixedMap::delete_batch(const uint8_t* keys, size_t count) {
  return impl_->delete_batch(keys, count);
}

}  // namespace tophash::core
