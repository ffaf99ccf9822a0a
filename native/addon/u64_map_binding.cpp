#include "addon/u64_map_binding.h"

#include <cstring>
#include <vector>

#include "addon/binding_args.h"
#include "addon/errors.h"
#include "addon/mapped_u64_map_binding.h"
#include "addon/snapshot_args.h"
#include "addon/typed_arrays.h"
#include "core/snapshot_reader.h"
#include "core/snapshot_writer.h"

namespace tophash::addon {

U64MapBinding::U64MapBinding(const Napi::CallbackInfo& info) : MapBinding(info) {
  if (info.Length() < 7 || info[6].IsUndefined()) return;
  const core::MappedU64Map& view = MappedU64MapBinding::view_of(info[6]);
  guard_snapshot(info.Env(), kOutOfMemory, [&] { engine_ = view.materialize(); });
  report_memory(info.Env());
}

std::pair<uint64_t, uint64_t> U64MapBinding::probe(core::U64Table& t,
                                                   const Napi::CallbackInfo& info) {
  const uint64_t key = single_key(info[1], "key");
  return {key, t.hash(key)};
}

core::KeyBatch U64MapBinding::batch_arg(const Napi::CallbackInfo& info) {
  return key_batch(info[0], "keys");
}

void U64MapBinding::save_snapshot(core::U64Table& t, const std::string& path) {
  core::save_u64_snapshot(t, path);
}

std::unique_ptr<core::U64Table> U64MapBinding::load_snapshot(const std::string& path,
                                                             const simd::MatchKernel* match,
                                                             const hash::HashKernel* hash) {
  return core::load_u64_snapshot(path, match, hash);
}

U64MapBinding::Owned U64MapBinding::own(const core::KeyBatch& keys) {
  const auto* first = static_cast<const uint8_t*>(keys.data);
  const size_t width = keys.kind == core::KeyBatch::Kind::kU32 ? 4 : 8;
  return {keys.kind, keys.count, std::vector<uint8_t>(first, first + keys.count * width)};
}

Napi::Value U64MapBinding::ScanOut::result(Napi::Env env, uint64_t next) const {
  auto result = Napi::Array::New(env, 3);
  result.Set(0u, copy_out<Napi::BigUint64Array>(env, keys));
  result.Set(1u, copy_out<Napi::Float64Array>(env, values));
  result.Set(2u, Napi::Number::New(env, static_cast<double>(next)));
  return result;
}

}  // namespace tophash::addon
