#include "addon/str_map_binding.h"

#include <vector>

#include "addon/binding_args.h"
#include "addon/errors.h"
#include "addon/packed_keys.h"
#include "addon/typed_arrays.h"
#include "core/snapshot_reader.h"
#include "core/snapshot_writer.h"

namespace tophash::addon {

std::pair<core::ByteProbe, uint64_t> StrMapBinding::probe(core::StrTable& t,
                                                          const Napi::CallbackInfo& info) {
  const core::ByteView k = single_bytes(info[1], info[2]);
  const core::ByteProbe p = core::str_probe(t, k.data, k.len);
  return {p, p.hash};
}

void StrMapBinding::save_snapshot(core::StrTable& t, const std::string& path) {
  core::save_str_snapshot(t, path);
}

std::unique_ptr<core::StrTable> StrMapBinding::load_snapshot(const std::string& path,
                                                             const simd::MatchKernel* match,
                                                             const hash::HashKernel* hash) {
  return core::load_str_snapshot(path, match, hash);
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

void StrMapBinding::ScanOut::add(const core::ByteSlot& key, double value) {
  const core::ByteView kb = core::key_bytes(key);
  bytes.insert(bytes.end(), kb.data, kb.data + kb.len);
  offsets.push_back(static_cast<uint32_t>(bytes.size()));
  values.push_back(value);
}

Napi::Value StrMapBinding::ScanOut::result(Napi::Env env, uint64_t next) const {
  auto result = Napi::Array::New(env, 4);
  result.Set(0u, copy_out<Napi::Uint8Array>(env, bytes));
  result.Set(1u, copy_out<Napi::Uint32Array>(env, offsets));
  result.Set(2u, copy_out<Napi::Float64Array>(env, values));
  result.Set(3u, Napi::Number::New(env, static_cast<double>(next)));
  return result;
}

}  // namespace tophash::addon
