#include "core/event_ring.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace tophash::core {

namespace {

constexpr size_t kAlign = 64;

size_t round_up(size_t n) { return (n + kAlign - 1) & ~(kAlign - 1); }

uint64_t load_bits(const void* at) {
  return __atomic_load_n(static_cast<const uint64_t*>(at), __ATOMIC_RELAXED);
}

}  // namespace

EventRing::EventRing(uint32_t capacity, bool u64_keys) : capacity_(capacity) {
  const size_t ids = kHeaderBytes;
  const size_t values = round_up(ids + size_t{capacity} * sizeof(uint32_t));
  const size_t keys = round_up(values + size_t{capacity} * sizeof(double));
  bytes_ = u64_keys ? round_up(keys + size_t{capacity} * sizeof(uint64_t)) : keys;
  block_ = static_cast<uint8_t*>(std::aligned_alloc(kAlign, bytes_));
  if (block_ == nullptr) throw std::bad_alloc();
  std::memset(block_, 0, bytes_);
  *word(kCapacityOffset) = capacity;
  ids_ = reinterpret_cast<uint32_t*>(block_ + ids);
  values_ = reinterpret_cast<double*>(block_ + values);
  keys_ = u64_keys ? reinterpret_cast<uint64_t*>(block_ + keys) : nullptr;
}

EventRing::~EventRing() { std::free(block_); }

bool EventRing::try_push(uint32_t id, double value, uint64_t key) {
  const uint32_t head = __atomic_load_n(word(kHeadOffset), __ATOMIC_RELAXED);
  const uint32_t tail = __atomic_load_n(word(kTailOffset), __ATOMIC_ACQUIRE);
  if (head - tail >= capacity_) return false;
  const uint32_t slot = head & (capacity_ - 1);
  ids_[slot] = (id & kKeyedEvent) != 0 ? (kKeyedEvent | slot) : id;
  values_[slot] = value;
  if (keys_ != nullptr) keys_[slot] = key;
  __atomic_store_n(word(kHeadOffset), head + 1, __ATOMIC_RELEASE);
  return true;
}

void EventRing::add_dropped(double n) {
  double d;
  uint64_t bits = load_bits(block_ + kDroppedOffset);
  std::memcpy(&d, &bits, sizeof d);
  d += n;
  std::memcpy(&bits, &d, sizeof d);
  __atomic_store_n(reinterpret_cast<uint64_t*>(block_ + kDroppedOffset), bits, __ATOMIC_RELAXED);
}

double EventRing::dropped() const {
  const uint64_t bits = load_bits(block_ + kDroppedOffset);
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

uint32_t EventRing::waiting() const {
  return __atomic_load_n(word(kHeadOffset), __ATOMIC_ACQUIRE) -
         __atomic_load_n(word(kTailOffset), __ATOMIC_RELAXED);
}

void EventRing::apply_segment(Aggregator& engine, uint32_t first, uint32_t count,
                              uint64_t* rejected) {
  StagedKeys keys;
  keys.u64 = keys_;
  keys.count = keys_ != nullptr ? capacity_ : 0;
  const uint32_t* ids = ids_ + first;
  const double* values = values_ + first;
  size_t n = count;
  while (n > 0) {
    int why = 0;
    const size_t good = engine.first_invalid_event(ids, values, n, keys, &why);
    try {
      if (good > 0) engine.apply(ids, values, good, keys);
    } catch (const std::bad_alloc&) {
      // Which of them were applied is unknown; count them all as not
      // aggregated rather than claim them.
      *rejected += n;
      return;
    }
    if (good == n) return;
    ++*rejected;
    ids += good + 1;
    values += good + 1;
    n -= good + 1;
  }
}

size_t EventRing::drain(Aggregator& engine, uint64_t* rejected) {
  const uint32_t head = __atomic_load_n(word(kHeadOffset), __ATOMIC_ACQUIRE);
  uint32_t tail = __atomic_load_n(word(kTailOffset), __ATOMIC_RELAXED);
  uint32_t waiting = head - tail;
  if (waiting == 0) return 0;
  if (waiting > capacity_) {
    // Only a broken producer gets here: nothing in the ring can be trusted.
    *rejected += waiting;
    __atomic_store_n(word(kTailOffset), head, __ATOMIC_RELEASE);
    return waiting;
  }
  const size_t total = waiting;
  while (waiting > 0) {
    const uint32_t first = tail & (capacity_ - 1);
    const uint32_t run = first + waiting > capacity_ ? capacity_ - first : waiting;
    apply_segment(engine, first, run, rejected);
    tail += run;
    waiting -= run;
  }
  __atomic_store_n(word(kTailOffset), tail, __ATOMIC_RELEASE);
  return total;
}

void EventRing::close() { __atomic_store_n(word(kClosedOffset), 1u, __ATOMIC_RELEASE); }

bool EventRing::closed() const {
  return __atomic_load_n(word(kClosedOffset), __ATOMIC_ACQUIRE) != 0;
}

}  // namespace tophash::core
