// The aggregator engine, once per key kind. See core/aggregator.h.
#include "core/aggregator.h"

#include <cmath>
#include <limits>
#include <new>
#include <type_traits>

#include "core/aggregator_snapshot.h"
#include "core/record_pool.h"
#include "core/table_snapshot.h"
#ifdef TOPHASH_TABLE_CHECKS
#include "core/table_debug.h"
#endif

namespace tophash::core {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// How a key kind reaches the table and is kept by the pool and handles.
struct U64Ops {
  using Table = core::Table<U64Policy, uint32_t>;
  using View = uint64_t;
  using Owned = uint64_t;
  static View key_at(const StagedKeys& s, size_t i) { return s.u64[i]; }
  static Owned own(View k) { return k; }
  static View view(const Owned& k) { return k; }
  static uint32_t* find(const Table& t, View k) { return t.find(k, t.hash(k)); }
  static void insert(Table& t, View k, uint32_t row) { t.assign(k, t.hash(k), row); }
  static void erase(Table& t, View k) { t.erase(k, t.hash(k)); }
  static void emit(ScanOut* out, const Owned& k) { out->u64_keys.push_back(k); }
  static void truncate(ScanOut* out, size_t n) { out->u64_keys.resize(n); }
  static size_t heap_bytes(const Owned&) { return 0; }
  static EntryView entry(const Owned& k, const double* row) { return {k, nullptr, 0, row}; }
};

struct BytesOps {
  using Table = core::Table<BytesPolicy, uint32_t>;
  using View = ByteView;
  using Owned = std::string;
  static View key_at(const StagedKeys& s, size_t i) {
    return {s.bytes + s.offsets[i], static_cast<size_t>(s.offsets[i + 1] - s.offsets[i])};
  }
  static Owned own(View k) { return Owned(reinterpret_cast<const char*>(k.data), k.len); }
  static View view(const Owned& k) {
    return {reinterpret_cast<const uint8_t*>(k.data()), k.size()};
  }
  static uint32_t* find(const Table& t, View k) {
    const ByteProbe p = BytesPolicy::probe(t.hasher(), k.data, k.len);
    return t.find(p, p.hash);
  }
  static void insert(Table& t, View k, uint32_t row) {
    const ByteProbe p = BytesPolicy::probe(t.hasher(), k.data, k.len);
    t.assign(p, p.hash, row);
  }
  static void erase(Table& t, View k) {
    const ByteProbe p = BytesPolicy::probe(t.hasher(), k.data, k.len);
    t.erase(p, p.hash);
  }
  static void emit(ScanOut* out, const Owned& k) {
    out->key_bytes.insert(out->key_bytes.end(), k.begin(), k.end());
    out->key_offsets.push_back(static_cast<uint32_t>(out->key_bytes.size()));
  }
  static void truncate(ScanOut* out, size_t n) {
    out->key_bytes.resize(out->key_offsets[n]);
    out->key_offsets.resize(n + 1);
  }
  static size_t heap_bytes(const Owned& k) { return k.capacity() > 15 ? k.capacity() + 1 : 0; }
  static EntryView entry(const Owned& k, const double* row) {
    return {0, reinterpret_cast<const uint8_t*>(k.data()), k.size(), row};
  }
};

template <class Ops>
class KeyedAggregator final : public Aggregator {
  using View = typename Ops::View;
  using Owned = typename Ops::Owned;

  // A row's generation never takes this value, so it marks "unresolved".
  static constexpr uint32_t kNoGen = UINT32_MAX;

  struct Handle {
    Owned key{};
    uint32_t row = 0;
    uint32_t gen = kNoGen;
    bool live = false;
  };

 public:
  KeyedAggregator(const AggOptions& o, const simd::MatchKernel* match, const hash::HashKernel* hash,
                  uint64_t seed)
      : Aggregator(o),
        table_(match, hash, seed, 0),
        gen_offset_(stride_ * sizeof(double)),
        pool_(static_cast<uint32_t>(o.max_entries + (o.on_full == OnFull::kOverflow ? 1 : 0)),
              gen_offset_ + 8, gen_offset_ + 4, RecordPool::kOneChunk) {
    // Row 0 has memory from the start, so an unresolved handle (row 0,
    // kNoGen) always has a generation to compare against.
    pool_.give(pool_.take());
    reserve_overflow_row();
  }

  size_t first_invalid_event(const uint32_t* ids, const double* values, size_t n,
                             const StagedKeys& keys, int* why) const override {
    for (size_t i = 0; i < n; ++i) {
      const uint32_t id = ids[i];
      const bool ok = (id & kKeyedEvent) ? (id & ~kKeyedEvent) < keys.count
                                         : id < handles_.size() && handles_[id].live;
      if (!ok) {
        *why = 0;
        return i;
      }
      if (!std::isfinite(values[i])) {
        *why = 1;
        return i;
      }
    }
    return n;
  }

  void apply(const uint32_t* ids, const double* values, size_t n, const StagedKeys& keys) override {
    ++batches_;
    switch (options_.hist.kind) {
      case HistKind::kLog2: apply_as<HistKind::kLog2>(ids, values, n, keys); break;
      case HistKind::kLinear: apply_as<HistKind::kLinear>(ids, values, n, keys); break;
      case HistKind::kBuckets: apply_as<HistKind::kBuckets>(ids, values, n, keys); break;
      default: apply_as<HistKind::kNone>(ids, values, n, keys); break;
    }
  }

  uint32_t add_handle(const StagedKeys& key) override {
    uint32_t id;
    if (!free_handles_.empty()) {
      id = free_handles_.back();
      free_handles_.pop_back();
    } else {
      if (handles_.size() >= kKeyedEvent) throw std::bad_alloc();
      handles_.emplace_back();
      id = static_cast<uint32_t>(handles_.size() - 1);
    }
    Handle& h = handles_[id];
    h.key = Ops::own(Ops::key_at(key, 0));
    key_heap_ += Ops::heap_bytes(h.key);
    h.row = 0;
    h.gen = kNoGen;
    h.live = true;
    ++live_handles_;
    return id;
  }

  bool release_handle(uint32_t id) override {
    if (id >= handles_.size() || !handles_[id].live) return false;
    key_heap_ -= Ops::heap_bytes(handles_[id].key);
    handles_[id] = Handle{};
    free_handles_.push_back(id);
    --live_handles_;
    return true;
  }

  const double* find(const StagedKeys& key) const override {
    const uint32_t* row = Ops::find(table_, Ops::key_at(key, 0));
    return row == nullptr ? nullptr : record(*row);
  }

  bool merge_row(const StagedKeys& key, const double* src) override {
    bool inserted = false;
    const uint32_t row = resolve(Ops::key_at(key, 0), &inserted);
    if (row == kNoRecord) {
      ++dropped_;
      return false;
    }
    double* r = record(row);
    r[0] += src[0];
    r[1] += src[1];
    r[2] = src[2] < r[2] ? src[2] : r[2];
    r[3] = src[3] > r[3] ? src[3] : r[3];
    for (size_t i = kRecordHeader; i < stride_; ++i) r[i] += src[i];
    return true;
  }

  bool erase(const StagedKeys& key) override {
    const View k = Ops::key_at(key, 0);
    const uint32_t* row = Ops::find(table_, k);
    if (row == nullptr) return false;
    const uint32_t r = *row;
    Ops::erase(table_, k);
    free_row(r);
    return true;
  }

  void clear() override {
    table_.clear();
    // Every row's generation moves on, so no handle matches a row any more.
    for (uint32_t r = 0; r < pool_.handed_out(); ++r) bump(r);
    for (auto& k : keys_) {
      key_heap_ -= Ops::heap_bytes(k);
      k = Owned{};
    }
    pool_.clear();
    reserve_overflow_row();
  }

  // Only the live rows: a free row's first bytes link the pool's free list.
  void zero() override {
    uint64_t cur = 0;
    do {
      cur = table_.scan(cur, [&](const auto&, uint32_t row) { init_row(row); });
    } while (cur != 0);
    if (overflow_row_ != kNoRecord) init_row(overflow_row_);
  }

  // With del, nothing is erased until every group is in out, so running out
  // of memory while appending leaves the map as it was. An erase itself can
  // fail only while the table grows (it evacuates first); then out keeps
  // exactly the entries erased so far and *next is cursor again, so the
  // next call returns the rest of those groups and nothing is lost.
  ScanStatus scan(uint64_t cursor, size_t max_count, bool del, ScanOut* out,
                  uint64_t* next) override {
    const size_t start = out->count;
    std::vector<uint32_t> group, taken;
    uint64_t cur = cursor;
    ScanStatus status = ScanStatus::kOk;
    for (;;) {
      group.clear();
      const uint64_t after =
          table_.scan(cur, [&](const auto&, uint32_t row) { group.push_back(row); });
      if (out->count + group.size() > max_count) {
        if (out->count == 0) status = ScanStatus::kNoSpace;
        break;
      }
      for (uint32_t row : group) {
        Ops::emit(out, keys_[row]);
        const double* r = record(row);
        out->rows.insert(out->rows.end(), r, r + stride_);
      }
      out->count += group.size();
      if (del) taken.insert(taken.end(), group.begin(), group.end());
      cur = after;
      if (cur == 0 || out->count == max_count) break;
    }
    *next = cur;
    if (del) erase_taken(taken, start, cursor, out, next);
    return status;
  }

  void visit_entries(const EntryVisitor& visit) const override {
    uint64_t cur = 0;
    do {
      cur = table_.scan(
          cur, [&](const auto&, uint32_t row) { visit(Ops::entry(keys_[row], record(row))); });
    } while (cur != 0);
  }

  size_t first_dead_handle(const uint32_t* ids, size_t n) const override {
    for (size_t i = 0; i < n; ++i) {
      if (ids[i] >= handles_.size() || !handles_[ids[i]].live) return i;
    }
    return n;
  }

  void visit_handles(const uint32_t* ids, size_t n, const EntryVisitor& visit) const override {
    for (size_t i = 0; i < n; ++i) {
      const Handle& h = handles_[ids[i]];
      // A handle last resolved before its row was freed looks its key up:
      // another path may have inserted the key again since.
      const double* row = nullptr;
      if (gen(h.row) == h.gen) {
        row = record(h.row);
      } else if (const uint32_t* r = Ops::find(table_, Ops::view(h.key))) {
        row = record(*r);
      }
      visit(Ops::entry(h.key, row));
    }
  }

  uint64_t size() const override { return table_.size(); }

  const double* overflow_row() const override {
    if (overflow_row_ == kNoRecord) return nullptr;
    const double* row = record(overflow_row_);
    return row[0] > 0 ? row : nullptr;
  }

  AggStats stats() const override {
    AggStats s{};
    s.entries = table_.size();
    s.events = events_;
    s.batches = batches_;
    s.dropped = dropped_;
    s.evicted = evicted_;
    s.overflow_events = overflow_events_;
    s.handles = live_handles_;
    s.bytes = bytes();
    return s;
  }

  const char* match_name() const override { return table_.match_kernel()->name; }
  const char* hash_name() const override { return table_.hasher().kernel->name; }

#ifdef TOPHASH_TABLE_CHECKS
  std::string check_invariants() const override {
    const uint32_t reserved = overflow_row_ == kNoRecord ? 0 : 1;
    std::string problem = core::check_invariants(table_, pool_.in_use() - reserved);
    // Each entry's row keeps the entry's key (drains and eviction erase by it).
    uint64_t cur = 0;
    while (problem.empty()) {
      cur = table_.scan(cur, [&](const auto&, uint32_t row) {
        const uint32_t* found = Ops::find(table_, Ops::view(keys_[row]));
        if (found == nullptr || *found != row) problem = "a row's key does not lead to it";
      });
      if (cur == 0) break;
    }
    return problem;
  }
#endif

  void write_snapshot(SnapshotSink& sink, const std::string& meta) override {
    TableSnapshot::finish_growth(table_);
    AggSnapshotWriter w(sink, meta);
    const AggSnapshotState state{events_,  batches_,         dropped_,
                                 evicted_, overflow_events_, overflow_row_ != kNoRecord,
                                 {0, 0}};
    w.state(state, overflow_row_ == kNoRecord ? nullptr : record(overflow_row_), stride_);
    visit_entries([&](const EntryView& e) { w.entry(e, options_.key_kind, stride_); });
    w.finish(options_, stride_, table_.hasher().kernel, TableSnapshot::B(table_),
             TableSnapshot::seed(table_));
  }

  // Entries go back in scan order into a table of the saved B and seed, so
  // they land in the same chains in the same order (aggregator_snapshot.h).
  void restore_snapshot(SnapshotSource& src, const SnapshotLayout& layout,
                        const hash::HashKernel* hash) override {
    AggSnapshotReader r(src, layout, options_, stride_);
    TableSnapshot::set_hash(table_, snapshot_hash_kernel(layout.header.hash_family, hash),
                            layout.header.seed);
    TableSnapshot::replace_array(table_, r.B());
    StagedKeys key;
    std::vector<double> row(stride_);
    while (r.next(&key, row.data())) {
      bool inserted = false;
      const uint32_t at = resolve(Ops::key_at(key, 0), &inserted);
      if (!inserted) r.duplicate();
      std::memcpy(record(at), row.data(), stride_ * sizeof(double));
    }
    const AggSnapshotState& s = r.state();
    events_ = s.events;
    batches_ = s.batches;
    dropped_ = s.dropped;
    evicted_ = s.evicted;
    overflow_events_ = s.overflow_events;
    if (overflow_row_ != kNoRecord) {
      std::memcpy(record(overflow_row_), r.overflow_row(), stride_ * sizeof(double));
    }
  }

  uint64_t bytes() const override {
    return table_.bytes() + pool_.bytes() + keys_.capacity() * sizeof(Owned) +
           handles_.capacity() * sizeof(Handle) + memo_.capacity() * sizeof(Memo) + key_heap_;
  }

 private:
  // A row's record in the pool: stride_ doubles, then its generation (u32)
  // and the CLOCK reference byte.
  static double* row_of(uint8_t* record) { return reinterpret_cast<double*>(record); }
  double* record(uint32_t row) { return row_of(pool_.view().at(row)); }
  const double* record(uint32_t row) const { return row_of(pool_.view().at(row)); }
  uint32_t gen(uint32_t row) const { return gen_in(pool_.view().at(row)); }
  uint32_t gen_in(const uint8_t* record) const {
    uint32_t g;
    std::memcpy(&g, record + gen_offset_, sizeof g);
    return g;
  }

  void init_row(uint32_t row) {
    double* r = record(row);
    r[0] = 0;
    r[1] = 0;
    r[2] = kInf;
    r[3] = -kInf;
    for (size_t i = kRecordHeader; i < stride_; ++i) r[i] = 0;
  }

  // 'overflow': takes the row every key past maxEntries shares; not in the table.
  void reserve_overflow_row() {
    if (options_.on_full != OnFull::kOverflow) return;
    overflow_row_ = pool_.take();
    init_row(overflow_row_);
  }

  void bump(uint32_t row) {
    const uint32_t g = gen(row) + 1;
    const uint32_t next = g == kNoGen ? 0 : g;
    std::memcpy(pool_.view().at(row) + gen_offset_, &next, sizeof next);
  }

  // A row for a new key. Callers keep the map below maxEntries, so the pool
  // has one; throws std::bad_alloc with nothing taken.
  uint32_t alloc_row() {
    const uint32_t row = pool_.take();
    if (row == RecordPool::kNil) throw std::bad_alloc();  // not reached
    if (keys_.size() < pool_.allocated()) {
      try {
        keys_.resize(pool_.allocated());
      } catch (...) {
        pool_.give(row);
        throw;
      }
    }
    init_row(row);
    return row;
  }

  void free_row(uint32_t row) {
    bump(row);
    key_heap_ -= Ops::heap_bytes(keys_[row]);
    keys_[row] = Owned{};
    pool_.give(row);
  }

  // scan()'s deletion: rows taken[i] are out's entries start + i.
  void erase_taken(const std::vector<uint32_t>& taken, size_t start, uint64_t cursor, ScanOut* out,
                   uint64_t* next) {
    size_t j = 0;
    try {
      for (; j < taken.size(); ++j) {
        Ops::erase(table_, Ops::view(keys_[taken[j]]));
        free_row(taken[j]);
      }
    } catch (const std::bad_alloc&) {
      Ops::truncate(out, start + j);
      out->rows.resize((start + j) * stride_);
      out->count = start + j;
      if (j == 0) throw;
      *next = cursor;
    }
  }

  // CLOCK (record_pool.h). Only called when every row handed out is live.
  void evict_one() {
    const uint32_t row = pool_.clock_victim();
    Ops::erase(table_, Ops::view(keys_[row]));
    free_row(row);
    ++evicted_;
  }

  // The row of key k, inserting it if new; kNoRecord when the map is full
  // and drops new keys.
  uint32_t resolve(View k, bool* inserted) {
    *inserted = false;
    if (const uint32_t* row = Ops::find(table_, k)) return *row;
    if (table_.size() >= options_.max_entries) {
      if (options_.on_full == OnFull::kDrop) return kNoRecord;
      if (options_.on_full == OnFull::kOverflow) return overflow_row_;
      evict_one();
    }
    const uint32_t row = alloc_row();
    try {
      keys_[row] = Ops::own(k);
      key_heap_ += Ops::heap_bytes(keys_[row]);
      Ops::insert(table_, k, row);
    } catch (...) {
      free_row(row);
      throw;
    }
    *inserted = true;
    return row;
  }

  // resolve() for a keyed event. Recently seen u64 keys skip the hash and
  // the probe: a direct-mapped memo of (key, row, generation), checked like a
  // handle. Kept out of line so the handle loop stays small.
  __attribute__((noinline)) uint32_t resolve_staged(View key, bool* inserted) {
    if constexpr (std::is_same_v<Ops, U64Ops>) {
      Memo& m = memo_[(key * 0x9E3779B97F4A7C15ull) >> (64 - kMemoBits)];
      if (m.key == key && gen(m.row) == m.gen) return m.row;
      const uint32_t row = resolve(key, inserted);
      // Not the overflow row: the key takes a row of its own once there is room again.
      if (row != kNoRecord && row != overflow_row_) m = Memo{key, row, gen(row)};
      return row;
    } else {
      return resolve(key, inserted);
    }
  }

  template <HistKind K>
  void apply_as(const uint32_t* ids, const double* values, size_t n, const StagedKeys& keys) {
    const HistSpec& h = options_.hist;
    const unsigned k = h.k;
    const int64_t lmin = h.min, lmax = h.max, lstep = h.step;
    const double* bounds = h.bounds.data();
    const size_t nbounds = h.bounds.size();
    // Locals rather than members: the byte store to the reference byte
    // below may alias anything, which would make the compiler reload every
    // member per event. resolve() may grow the pool, so the view is
    // refreshed after it.
    RecordPool::View pool = pool_.view();
    const size_t gen_offset = gen_offset_, ref_offset = pool_.ref_offset();
    const auto gen_at = [&](uint32_t row) {
      uint32_t g;
      std::memcpy(&g, pool.at(row) + gen_offset, sizeof g);
      return g;
    };
    Handle* handles = handles_.data();
    const uint32_t overflow_row = overflow_row_;
    uint64_t dropped = 0, overflowed = 0;
    for (size_t i = 0; i < n; ++i) {
      const uint32_t id = ids[i];
      const double v = values[i];
      uint32_t row;
      bool inserted = false;
      if (id & kKeyedEvent) {
        row = resolve_staged(Ops::key_at(keys, id & ~kKeyedEvent), &inserted);
        pool = pool_.view();
      } else {
        Handle& hd = handles[id];
        row = hd.row;
        if (__builtin_expect(gen_at(row) != hd.gen, 0)) {
          row = resolve(Ops::view(hd.key), &inserted);
          pool = pool_.view();
          // Not the overflow row, as for the memo above.
          if (row != kNoRecord && row != overflow_row) {
            hd.row = row;
            hd.gen = gen_at(row);
          }
        }
      }
      if (row == kNoRecord) {
        ++dropped;
        continue;
      }
      overflowed += row == overflow_row;
      uint8_t* rec = pool.at(row);
      double* r = row_of(rec);
      const double c = r[0] + 1, s = r[1] + v, lo = r[2], hi = r[3];
      r[0] = c;
      r[1] = s;
      r[2] = v < lo ? v : lo;
      r[3] = v > hi ? v : hi;
      // A key's first event leaves it unreferenced, so a key seen once is
      // evicted before one seen again (new pages start on the kernel's
      // inactive LRU list for the same reason).
      rec[ref_offset] = !inserted;
      if constexpr (K == HistKind::kLog2) {
        r[kRecordHeader + log2_bucket(v, k)] += 1;
      } else if constexpr (K == HistKind::kLinear) {
        r[kRecordHeader + linear_bucket(v, lmin, lmax, lstep)] += 1;
      } else if constexpr (K == HistKind::kBuckets) {
        r[kRecordHeader + le_bucket(v, bounds, nbounds)] += 1;
      }
    }
    events_ += n;
    dropped_ += dropped;
    overflow_events_ += overflowed;
  }

  struct Memo {
    uint64_t key = 0;
    uint32_t row = 0;
    uint32_t gen = kNoGen;  // empty: matches no row
  };
  static constexpr unsigned kMemoBits = 10;

  typename Ops::Table table_;
  std::vector<Memo> memo_ = std::vector<Memo>(std::is_same_v<Ops, U64Ops> ? 1u << kMemoBits : 0);
  const size_t gen_offset_;
  RecordPool pool_;
  std::vector<Owned> keys_;  // by row
  std::vector<Handle> handles_;
  std::vector<uint32_t> free_handles_;
  uint64_t live_handles_ = 0;
  uint64_t key_heap_ = 0;  // heap bytes of long keys held by rows and handles
  uint64_t events_ = 0, batches_ = 0, dropped_ = 0, evicted_ = 0, overflow_events_ = 0;
  uint32_t overflow_row_ = kNoRecord;  // 'overflow' only
};

}  // namespace

std::unique_ptr<Aggregator> make_aggregator(const AggOptions& options,
                                            const simd::MatchKernel* match,
                                            const hash::HashKernel* hash, uint64_t seed) {
  if (options.key_kind == AggKeyKind::kU64) {
    return std::make_unique<KeyedAggregator<U64Ops>>(options, match, hash, seed);
  }
  return std::make_unique<KeyedAggregator<BytesOps>>(options, match, hash, seed);
}

}  // namespace tophash::core
