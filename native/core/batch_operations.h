// get/has/set/delete over a batch of any key kind, for the maps whose values
// are f64 (U64Map, StrMap, FixedMap): each map's batch entry points are one
// line that hands its Source (batch_pipeline.h) to these. Each returns how
// many keys hit, were new, or were deleted.
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>

#include "core/batch_pipeline.h"
#include "core/partitioned_batch.h"

namespace tophash::core::batch {

// on_result(i, const Value*) for every key; returns how many were found. A
// batch far bigger than the caches goes region by region
// (partitioned_batch.h), any other through the pipeline.
template <class TableT, class Source, class OnResult>
size_t lookup(const TableT& t, const Source& keys, OnResult&& on_result) {
  if constexpr (HasRegions<TableT>::value) {
    size_t hits = 0;
    if (worth_partitioning_lookups(t, keys.count()) &&
        lookup_partitioned(t, keys, on_result, hits)) {
      return hits;
    }
  }
  return lookup_pipeline(t, keys, on_result);
}

// out[i] = the value or NaN; found (optional) [i] = 1 or 0.
template <class TableT, class Source>
size_t get(const TableT& t, const Source& keys, double* out, uint8_t* found) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  return lookup(t, keys, [out, found, nan](size_t i, const double* v) {
    out[i] = v != nullptr ? *v : nan;
    if (found != nullptr) found[i] = v != nullptr;
  });
}

template <class TableT, class Source>
size_t has(const TableT& t, const Source& keys, uint8_t* out) {
  return lookup(t, keys, [&](size_t i, const double* v) { out[i] = v != nullptr; });
}

// In batch order, so a key repeated in the batch ends with its last value.
// A batch big enough to double the table twice or more sizes it first
// (Table::reserve), as if every key were new.
template <class TableT, class Source>
size_t set(TableT& t, const Source& keys, const double* values) {
  t.reserve(t.size() + keys.count());
  size_t added = 0;
  if constexpr (HasRegions<TableT>::value) {
    if (worth_partitioning(t, keys.count()) && set_partitioned(t, keys, values, added))
      return added;
  }
  write_pipeline(t, keys, [&](size_t i, const ProbeOf<TableT>& key, uint64_t hash) {
    added += t.assign(key, hash, values[i]);
  });
  return added;
}

template <class TableT, class Source>
size_t erase(TableT& t, const Source& keys) {
  size_t deleted = 0;
  write_pipeline(t, keys, [&](size_t, const ProbeOf<TableT>& key, uint64_t hash) {
    deleted += t.erase(key, hash);
  });
  return deleted;
}

}  // namespace tophash::core::batch
