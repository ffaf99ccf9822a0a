// The JavaScript face of core::U64Table: how u64 keys cross the boundary;
// the rest is MapBinding's. The idiomatic API (iteration, options, dispose)
// is src/u64map.ts.
#pragma once
#include <napi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "addon/map_binding.h"
#include "core/u64_map.h"

namespace tophash::addon {

class U64MapBinding : public MapBinding<U64MapBinding, core::U64Table> {
 public:
  static constexpr uint64_t kMagic = 0x7a3c1e9b4d2f6a81ull;
  static constexpr const char* kName = "U64Map";
  static constexpr const char* kPrefix = "map";
  // A key is one argument: a number or a bigint; a batch, one typed array.
  static constexpr size_t kKeyArgs = 1;

  // MapBinding's constructor, plus a sixth argument: the handle of a
  // NativeMappedU64Map whose snapshot becomes this map's table
  // (U64Map.open's copy-on-write; core::MappedU64Map::materialize).
  explicit U64MapBinding(const Napi::CallbackInfo& info);

  static std::pair<uint64_t, uint64_t> probe(core::U64Table& t, const Napi::CallbackInfo& info);
  static core::KeyBatch batch_arg(const Napi::CallbackInfo& info);
  static void save_snapshot(core::U64Table& t, const std::string& path);
  static std::unique_ptr<core::U64Table> load_snapshot(const std::string& path,
                                                       const simd::MatchKernel* match,
                                                       const hash::HashKernel* hash);
  // A batch's keys copied for the pool.
  struct Owned {
    core::KeyBatch::Kind kind;
    size_t count;
    std::vector<uint8_t> data;
    core::KeyBatch view() const { return {kind, data.data(), count}; }
  };
  static Owned own(const core::KeyBatch& keys);
  // scan() -> [keys: BigUint64Array, values: Float64Array, next]
  struct ScanOut {
    std::vector<uint64_t> keys;
    std::vector<double> values;
    void reserve(size_t n) {
      keys.reserve(n);
      values.reserve(n);
    }
    void add(uint64_t key, double value) {
      keys.push_back(key);
      values.push_back(value);
    }
    bool full(size_t at_least) const { return values.size() >= at_least; }
    Napi::Value result(Napi::Env env, uint64_t next) const;
  };
};

}  // namespace tophash::addon
