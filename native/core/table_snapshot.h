// What snapshot reading and writing need from a Table's internals, and no
// more: the bucket array and its overflow chains to write, and a way to hand
// a fresh table arrays read from a file.
#pragma once
#include <cstdint>
#include <new>

#include "core/table.h"

namespace tophash::core {

struct TableSnapshot {
  template <class T>
  using BucketOf = typename T::Bucket;

  // A snapshot holds one bucket array, so a growth in progress is finished
  // first: the evacuation later writes would have done, done now.
  template <class T>
  static void finish_growth(T& t) {
    while (t.growing()) t.evacuate(t.nevacuate_);
  }

  template <class T>
  static const BucketOf<T>* buckets(const T& t) {
    return t.current_.buckets;
  }
  template <class T>
  static unsigned B(const T& t) {
    return t.B_;
  }
  template <class T>
  static uint64_t seed(const T& t) {
    return t.seed_;
  }

  // Gives the (new, empty) table a zeroed array of 2^B buckets and returns it.
  // The array is asked for on huge pages whatever the table's option: a load
  // writes every byte of it at once, so what makes huge pages opt-in for a
  // growing table (one insert waiting while the kernel compacts memory) does
  // not arise, and a 4 KiB page fault per 4 KiB read was two thirds of a
  // load's time.
  template <class T>
  static BucketOf<T>* replace_array(T& t, unsigned B) {
    typename T::BucketArray fresh;
    if (!T::allocate_array(&fresh, B, /*huge_pages=*/true)) throw std::bad_alloc();
    T::release_array(&t.current_);
    t.current_ = std::move(fresh);
    t.B_ = B;
    return t.current_.buckets;
  }

  // n contiguous zeroed overflow buckets owned by the table's array, counted
  // as chained; the caller links them.
  template <class T>
  static BucketOf<T>* add_overflow(T& t, uint64_t n) {
    if (n == 0) return nullptr;
    t.add_overflow_chunk(static_cast<size_t>(n), /*huge_pages=*/true);  // as replace_array
    t.current_.overflow_used = static_cast<size_t>(n);
    t.noverflow_ = n;
    return t.current_.overflow_chunks.back().first;
  }

  // The key storage of the table's array (StrTable's arena).
  template <class T>
  static typename T::Storage& storage(T& t) {
    return t.current_.storage;
  }

  // A new, empty table hashes from now on as a snapshot's did.
  template <class T>
  static void set_hash(T& t, const hash::HashKernel* kernel, uint64_t seed) {
    t.hasher_ = Hasher{kernel, hash::expand_seed(seed)};
    t.seed_ = seed;
  }

  template <class T>
  static void set_count(T& t, uint64_t count) {
    t.count_ = count;
  }
};

}  // namespace tophash::core
