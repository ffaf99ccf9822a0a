#include "core/shared_aggregator.h"

#include <algorithm>
#include <unordered_map>

#include "core/offload_thread.h"
#include "cpu/cpu_registry.h"

namespace tophash::core {

namespace {

struct Registry {
  std::mutex mutex;
  std::unordered_map<uint64_t, std::weak_ptr<SharedAggregator>> live;
  uint64_t next_id = 1;
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

SharedAggregator::SharedAggregator(std::unique_ptr<Aggregator> engine, bool offload, uint64_t id)
    : id_(id), offload_(offload), options_(engine->options()), engine_(std::move(engine)) {
  bytes_.store(engine_->bytes(), std::memory_order_relaxed);
}

std::shared_ptr<SharedAggregator> SharedAggregator::create(std::unique_ptr<Aggregator> engine,
                                                           bool offload) {
  Registry& r = registry();
  std::shared_ptr<SharedAggregator> a;
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    a.reset(new SharedAggregator(std::move(engine), offload, r.next_id++));
    r.live.emplace(a->id_, a);
  }
  if (offload) OffloadThread::enlist(a);
  return a;
}

std::shared_ptr<SharedAggregator> SharedAggregator::find(uint64_t id) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.live.find(id);
  return it == r.live.end() ? nullptr : it->second.lock();
}

SharedAggregator::~SharedAggregator() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.live.erase(id_);
}

std::unique_lock<DeadlineMutex> SharedAggregator::lock(std::chrono::milliseconds deadline) {
  std::unique_lock<DeadlineMutex> l(mutex_, std::defer_lock);
  (void)l.try_lock_for(deadline);
  return l;
}

std::unique_lock<DeadlineMutex> SharedAggregator::try_lock() {
  return std::unique_lock<DeadlineMutex>(mutex_, std::try_to_lock);
}

std::shared_ptr<EventRing> SharedAggregator::add_ring(uint32_t capacity) {
  auto ring = std::make_shared<EventRing>(capacity, options_.key_kind == AggKeyKind::kU64);
  rings_.push_back(ring);
  note_bytes();
  return ring;
}

void SharedAggregator::remove_ring(const std::shared_ptr<EventRing>& ring) {
  drain(*ring);
  auto it = std::find(rings_.begin(), rings_.end(), ring);
  if (it == rings_.end()) return;
  removed_dropped_ += ring->dropped();
  rings_.erase(it);
  note_bytes();
}

size_t SharedAggregator::drain(EventRing& ring) {
  if (engine_ == nullptr) return 0;
  return ring.drain(*engine_, &rejected_);
}

size_t SharedAggregator::drain_all() {
  size_t n = 0;
  for (const auto& ring : rings_) n += drain(*ring);
  return n;
}

AggStats SharedAggregator::stats() const {
  AggStats s = engine_->stats();
  double dropped = removed_dropped_;
  for (const auto& ring : rings_) dropped += ring->dropped();
  s.dropped += static_cast<uint64_t>(dropped) + rejected_;
  s.events += static_cast<uint64_t>(dropped);
  // The rings' bytes, counted here: bytes() is a snapshot from the last
  // locked use and may be older than the engine's own figure.
  for (const auto& ring : rings_) s.bytes += ring->bytes();
  return s;
}

void SharedAggregator::close() {
  if (closed()) return;
  drain_all();
  if (segment_) {
    // The last publish; a failure (the shard too small) must not stop the
    // close, and the previous snapshot stays counted.
    try {
      segment_->close(*engine_);
    } catch (const SegmentError&) {
    }
    segment_.reset();
  }
  for (const auto& ring : rings_) ring->close();
  closed_.store(true, std::memory_order_release);
  engine_.reset();
  if (offload_) OffloadThread::leave(this);
  note_bytes();
}

void SharedAggregator::note_bytes() {
  uint64_t b = engine_ ? engine_->bytes() : 0;
  for (const auto& ring : rings_) b += ring->bytes();
  bytes_.store(b, std::memory_order_relaxed);
}

}  // namespace tophash::core

namespace tophash::core {

void SharedAggregator::publish() {
  if (segment_ && engine_) segment_->publish(*engine_);
}

std::unique_ptr<Aggregator> SharedAggregator::merged_view() {
  publish();
  AggOptions o = options_;
  o.max_entries = kMaxAggEntries;
  o.on_full = OnFull::kDrop;
  std::string unused;
  auto view = make_aggregator(o, cpu::select_match(nullptr, &unused),
                              cpu::select_hash(nullptr, &unused), 0x5eed);
  segment_->merge_into(*view);
  return view;
}

}  // namespace tophash::core
