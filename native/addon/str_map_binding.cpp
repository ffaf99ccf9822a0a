#include "addon/str_map_binding.h"

#include <vector>

#include "addon/binding_args.h"
#include "addon/errors.h"
#include "addon/packed_keys.h"
#include "addon/typed_arrays.h"

namespace tophash::addon {

std::pair<core::ByteProbe, uint64_t> StrMapBinding::probe(core::StrTable& t,
                                                          const Napi::CallbackInfo& info) {
  const core::ByteView k = single_bytes(info[1], info[2]);
  const core::ByteProbe p = core::str_probe(t, k.data, k.len);
  return {p, p.hash};
}

core::ByteBatch StrMapBinding::batch_arg(const Napi::CallbackInfo& info) {
  return packed_batch(info[0], info[1]);
}

StrMapBinding::Owned StrMapBinding::own(const core::ByteBatch& keys) {
  const uint32_t base = keys.offsets[0];
  Owned owned{std::vector<uint8_t>(keys.bytes + base, keys.bytes + keys.offsets[keys.count]),
              std::vector<uint32_t>(keys.offsets, keys.offsets + keys.count + 1)};
  for (uint32_t& o : owned.offsets) o -= base;
  return owned;
}

// Key i is bytes[offsets[i] .. offsets[i+1]). The keys are copied out here,
// because the table's views are valid only until its next write.
Napi::Value StrMapBinding::Scan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  core::StrTable& t = open(env);
  uint64_t cursor = cursor_arg(info[0], "cursor", "scan");
  const size_t at_least = std::max<size_t>(scan_size_arg(info[1], "atLeast", 1024), 1);
  std::vector<uint8_t> bytes;
  std::vector<uint32_t> offsets{0};
  std::vector<double> values;
  guard_alloc(env, kOutOfMemory, [&] {
    offsets.reserve(scan_reserve(at_least) + 1);
    values.reserve(scan_reserve(at_least));
    do {
      cursor = t.scan(cursor, [&](const core::ByteSlot& k, double v) {
        const core::ByteView kb = core::key_bytes(k);
        bytes.insert(bytes.end(), kb.data, kb.data + kb.len);
        offsets.push_back(static_cast<uint32_t>(bytes.size()));
        values.push_back(v);
      });
      // Stay well inside u32 offsets however long the keys are.
    } while (cursor != 0 && values.size() < at_least && bytes.size() < (size_t{1} << 30));
  });
  auto result = Napi::Array::New(env, 4);
  result.Set(0u, copy_out<Napi::Uint8Array>(env, bytes));
  result.Set(1u, copy_out<Napi::Uint32Array>(env, offsets));
  result.Set(2u, copy_out<Napi::Float64Array>(env, values));
  result.Set(3u, Napi::Number::New(env, static_cast<double>(cursor)));
  return result;
}

}  // namespace tophash::addon
