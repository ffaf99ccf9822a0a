// stats() of U64Map and StrMap: the table's shape and the kernels it runs,
// under the names src/native.ts's MapStats declares.
#pragma once
#include <napi.h>

#include "core/table.h"

namespace tophash::addon {

template <class TableT>
Napi::Object table_stats(Napi::Env env, const TableT& t) {
  const core::TableStats s = t.stats();
  auto o = Napi::Object::New(env);
  o.Set("size", static_cast<double>(s.size));
  o.Set("B", s.B);
  o.Set("buckets", static_cast<double>(s.buckets));
  o.Set("overflowBuckets", static_cast<double>(s.overflow_buckets));
  o.Set("loadFactor", s.load_factor);
  o.Set("bytes", static_cast<double>(s.bytes));
  o.Set("growing", s.growing);
  o.Set("match", t.match_kernel()->name);
  o.Set("hash", t.hasher().kernel->name);
  return o;
}

}  // namespace tophash::addon
