// U64Map's batches: the pipeline of batch_pipeline.h over U64Source.
#include "core/batch_operations.h"
#include "core/u64_map.h"
#include "core/u64_source.h"

namespace tophash::core {

size_t first_invalid_key(const KeyBatch& keys) {
  if (keys.kind != KeyBatch::Kind::kF64) return keys.count;
  const auto* src = static_cast<const double*>(keys.data);
  for (size_t i = 0; i < keys.count; ++i) {
    if (!is_valid_f64_key(src[i])) return i;
  }
  return keys.count;
}

size_t get_batch(const U64Table& t, const KeyBatch& keys, double* out, uint8_t* found) {
  return batch::get(t, U64Source{keys}, out, found);
}
size_t has_batch(const U64Table& t, const KeyBatch& keys, uint8_t* out) {
  return batch::has(t, U64Source{keys}, out);
}
size_t set_batch(U64Table& t, const KeyBatch& keys, const double* values) {
  return batch::set(t, U64Source{keys}, values);
}
size_t delete_batch(U64Table& t, const KeyBatch& keys) { return batch::erase(t, U64Source{keys}); }

}  // namespace tophash::core
