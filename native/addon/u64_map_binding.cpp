#include "addon/u64_map_binding.h"

#include <cstring>
#include <vector>

#include "addon/binding_args.h"
#include "addon/errors.h"
#include "addon/typed_arrays.h"

namespace tophash::addon {

std::pair<uint64_t, uint64_t> U64MapBinding::probe(core::U64Table& t,
                                                   const Napi::CallbackInfo& info) {
  const uint64_t key = single_key(info[1], "key");
  return {key, t.hash(key)};
}

core::KeyBatch U64MapBinding::batch_arg(const Napi::CallbackInfo& info) {
  return key_batch(info[0], "keys");
}

U64MapBinding::Owned U64MapBinding::own(const core::KeyBatch& keys) {
  const auto* first = static_cast<const uint8_t*>(keys.data);
  const size_t width = keys.kind == core::KeyBatch::Kind::kU32 ? 4 : 8;
  return {keys.kind, keys.count, std::vector<uint8_t>(first, first + keys.count * width)};
}

// Walks whole bucket groups until at least `atLeast` entries or the end
// (next === 0). The cursor is an opaque number < 2^53.
Napi::Value U64MapBinding::Scan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  core::U64Table& t = open(env);
  uint64_t cursor = cursor_arg(info[0], "cursor", "scan");
  const size_t at_least = std::max<size_t>(scan_size_arg(info[1], "atLeast", 1024), 1);
  std::vector<uint64_t> keys;
  std::vector<double> values;
  guard_alloc(env, kOutOfMemory, [&] {
    keys.reserve(scan_reserve(at_least));
    values.reserve(scan_reserve(at_least));
    do {
      cursor = t.scan(cursor, [&](uint64_t k, double v) {
        keys.push_back(k);
        values.push_back(v);
      });
    } while (cursor != 0 && keys.size() < at_least);
  });
  auto result = Napi::Array::New(env, 3);
  result.Set(0u, copy_out<Napi::BigUint64Array>(env, keys));
  result.Set(1u, copy_out<Napi::Float64Array>(env, values));
  result.Set(2u, Napi::Number::New(env, static_cast<double>(cursor)));
  return result;
}

}  // namespace tophash::addon
