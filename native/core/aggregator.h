// The aggregator's engine: eBPF-map-style aggregation of (key, value) events.
//
// KEYS AND RECORDS
//
// A key (u64, or bytes: strings and encoded label tuples) maps through the
// ordinary table (core/table.h) to a u32 record index. Records live in the
// record pool BpfMap uses too (core/record_pool.h), allocated as keys arrive
// (never past maxEntries) and recycled through its free list: a row of
// doubles, [count, sum, min, max, hist[0..nb)], then the row's generation
// and CLOCK reference byte. The generation is bumped whenever the row is
// freed (delete, drain, clear, eviction), which is what keeps handles honest.
//
// EVENTS AND HANDLES
//
// JavaScript stages events in typed arrays and hands over a whole batch:
// ids[i] and values[i]. An id is either a handle id or kKeyedEvent | j, the
// j-th key staged with the batch. A handle is a key resolved once: the handle
// table keeps the key and the (row, generation) it last resolved to, so an
// event through a handle costs one generation compare before the row update.
// When the row was freed since, the generation differs and the handle looks
// its key up again (re-inserting it, subject to maxEntries), so handles stay
// correct across eviction, drains, deletes and clear().
//
// FULL MAPS: maxEntries bounds the keys. 'drop' discards the events of new
// keys once full (counted in dropped). 'overflow' (the Aggregator's
// maxSeries, OpenTelemetry's cardinality limit) aggregates them into one
// overflow row instead, which is no key's (a row reserved at creation and
// reset by clear() and zero()), counted in overflow_events. Neither handles
// nor the u64 memo remember it: a key that overflowed gets a row of its own
// as soon as there is room again (after a delete or a drain). 'lru' evicts an approximately least
// recently used key with the pool's CLOCK (second chance): every update
// after a key's first sets the row's reference byte, and the hand evicts the
// first row it finds clear. A new key starts unreferenced, so keys seen once
// go before keys seen again (the kernel's LRU lists start new entries as
// inactive for the same reason). Exact LRU would relink a list node on every
// event (dependent writes to other rows' cache lines); CLOCK costs one byte
// store per event into the row the event updates anyway, evicts in O(1)
// amortised, and keeps every key touched since the hand last passed it (the
// kernel's BPF LRU maps are approximate too).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/byte_keys.h"
#include "core/histogram.h"
#include "core/table.h"
#include "core/u64_map.h"

namespace tophash::core {

class SnapshotSink;
class SnapshotSource;
struct SnapshotLayout;

inline constexpr uint32_t kKeyedEvent = 0x80000000u;
inline constexpr uint32_t kNoRecord = 0xFFFFFFFFu;
inline constexpr size_t kRecordHeader = 4;  // count, sum, min, max
inline constexpr uint64_t kMaxAggEntries = uint64_t{1} << 31;

enum class OnFull : uint8_t { kDrop, kLru, kOverflow };
enum class AggKeyKind : uint8_t { kU64, kBytes };

struct AggOptions {
  AggKeyKind key_kind = AggKeyKind::kU64;
  HistSpec hist;
  uint64_t max_entries = 1000000;
  OnFull on_full = OnFull::kDrop;
};

struct AggStats {
  uint64_t entries;
  uint64_t events;  // handed to apply(), dropped ones included
  uint64_t batches;  // apply() calls
  uint64_t dropped;  // events discarded because their key was new and the map full
  uint64_t evicted;  // keys evicted by 'lru'
  uint64_t overflow_events;  // events aggregated into the overflow row ('overflow')
  uint64_t handles;  // live handle ids
  uint64_t bytes;
};

// The keys staged with a batch (or a single key, count 1): u64 keys, or
// bytes with count + 1 offsets.
struct StagedKeys {
  const uint64_t* u64 = nullptr;
  const uint8_t* bytes = nullptr;
  const uint32_t* offsets = nullptr;
  size_t count = 0;
};

// What a scan hands back: keys in the kind's form and rows of `stride` doubles.
struct ScanOut {
  std::vector<uint64_t> u64_keys;
  std::vector<uint8_t> key_bytes;
  std::vector<uint32_t> key_offsets{0};
  std::vector<double> rows;
  size_t count = 0;
};

enum class ScanStatus { kOk, kNoSpace };

// One entry as a readout visits it, without copying: the key (u64, or bytes
// for byte keys) and its row of stride() doubles, nullptr for a handle whose
// key holds no entry now.
struct EntryView {
  uint64_t u64 = 0;
  const uint8_t* bytes = nullptr;
  size_t len = 0;
  const double* row = nullptr;
};
using EntryVisitor = std::function<void(const EntryView&)>;

class Aggregator {
 public:
  virtual ~Aggregator() = default;
  const AggOptions& options() const { return options_; }
  size_t stride() const { return stride_; }

  // Validates ids against the staged keys and the handle table, and values
  // for finiteness: index of the first bad event (count when all are good)
  // and, through *why, which part was bad (0: id, 1: value).
  virtual size_t first_invalid_event(const uint32_t* ids, const double* values, size_t n,
                                     const StagedKeys& keys, int* why) const = 0;
  // Aggregates a validated batch in order. May throw std::bad_alloc with the
  // events before the failing one applied.
  virtual void apply(const uint32_t* ids, const double* values, size_t n,
                     const StagedKeys& keys) = 0;
  virtual uint32_t add_handle(const StagedKeys& key) = 0;
  virtual bool release_handle(uint32_t id) = 0;
  // The row of key 0 of `key`, or nullptr.
  virtual const double* find(const StagedKeys& key) const = 0;
  // Adds a row of another aggregation with the same spec (count, sum, min,
  // max, buckets) into key 0's entry, inserting it (subject to maxEntries)
  // when new: how the shards of a shared segment merge. false when the key
  // was new and the aggregator full ('drop'). Throws std::bad_alloc.
  virtual bool merge_row(const StagedKeys& key, const double* row) = 0;
  virtual bool erase(const StagedKeys& key) = 0;
  virtual void clear() = 0;
  virtual void zero() = 0;
  // Appends whole bucket groups from cursor until `max_count` entries would
  // be exceeded or the walk ends; *next is the cursor to continue from (0:
  // done). kNoSpace (nothing appended, cursor unchanged) when the first
  // group alone has more than max_count entries. With del, every entry
  // returned is removed.
  virtual ScanStatus scan(uint64_t cursor, size_t max_count, bool del, ScanOut* out,
                          uint64_t* next) = 0;
  // Every entry, in scan order (what the exposition renders).
  virtual void visit_entries(const EntryVisitor& visit) const = 0;
  // The index of the first id that is not a live handle (n when all are);
  // only then visit_handles may be called with them.
  virtual size_t first_dead_handle(const uint32_t* ids, size_t n) const = 0;
  // Each handle's key and current row, in the order given.
  virtual void visit_handles(const uint32_t* ids, size_t n, const EntryVisitor& visit) const = 0;
  virtual uint64_t size() const = 0;
  // The overflow row ('overflow' only, and once an event went there), or nullptr.
  virtual const double* overflow_row() const = 0;
  virtual AggStats stats() const = 0;
  // The key table's kernels, as U64Map and BpfMap report theirs.
  virtual const char* match_name() const = 0;
  virtual const char* hash_name() const = 0;
  // Off-heap bytes held, without walking the entries (for V8's accounting).
  virtual uint64_t bytes() const = 0;
  // Writes the aggregation's snapshot (core/aggregator_snapshot.h): `meta`,
  // the caller's description of its options, then its entries in scan
  // order. Finishes a growth in progress first.
  virtual void write_snapshot(SnapshotSink& sink, const std::string& meta) = 0;
  // Fills this aggregator, new and empty, from a snapshot written by one of
  // the same options (else ERR_SNAPSHOT_CORRUPT). hash: a kernel of the
  // file's family, or null to pick one. Throws SnapshotError or
  // std::bad_alloc.
  virtual void restore_snapshot(SnapshotSource& src, const SnapshotLayout& layout,
                                const hash::HashKernel* hash) = 0;
#ifdef TOPHASH_TABLE_CHECKS
  // core/table_debug.h's check of the key table and its rows ("" when
  // sound); test builds only.
  virtual std::string check_invariants() const = 0;
#endif

 protected:
  explicit Aggregator(const AggOptions& o) : options_(o), stride_(kRecordHeader + o.hist.size()) {}
  AggOptions options_;
  size_t stride_;
};

// The engine for options.key_kind; throws std::bad_alloc.
std::unique_ptr<Aggregator> make_aggregator(const AggOptions& options,
                                            const simd::MatchKernel* match,
                                            const hash::HashKernel* hash, uint64_t seed);

}  // namespace tophash::core
