// The JavaScript face of core::StrTable: how byte keys cross the boundary;
// the rest is MapBinding's. Keys arrive as bytes (src/strmap.ts encodes
// strings as WTF-8); the idiomatic API (string keys, iteration, options,
// dispose) is src/strmap.ts.
#pragma once
#include <napi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "addon/map_binding.h"
#include "core/str_map.h"

namespace tophash::addon {

class StrMapBinding : public MapBinding<StrMapBinding, core::StrTable> {
 public:
  static constexpr uint64_t kMagic = 0x95e0c4b7a1d3f268ull;
  static constexpr const char* kName = "StrMap";
  static constexpr const char* kPrefix = "str";
  // A key is (bytes: Uint8Array, length: number), the key being
  // bytes[0 .. length); a batch is (bytes, offsets) (see packed_keys.h).
  static constexpr size_t kKeyArgs = 2;

  using MapBinding::MapBinding;

  static std::pair<core::ByteProbe, uint64_t> probe(core::StrTable& t,
                                                    const Napi::CallbackInfo& info);
  static core::ByteBatch batch_arg(const Napi::CallbackInfo& info);
  static void save_snapshot(core::StrTable& t, const std::string& path);
  static std::unique_ptr<core::StrTable> load_snapshot(const std::string& path,
                                                       const simd::MatchKernel* match,
                                                       const hash::HashKernel* hash);
  // A batch's keys copied for the pool, offsets rebased to the copy's first byte.
  struct Owned {
    std::vector<uint8_t> bytes;
    std::vector<uint32_t> offsets;
    core::ByteBatch view() const { return {bytes.data(), offsets.data(), offsets.size() - 1}; }
  };
  static Owned own(const core::ByteBatch& keys);
  // scan() -> [bytes: Uint8Array, offsets: Uint32Array, values: Float64Array, next],
  // key i being bytes[offsets[i] .. offsets[i + 1]).
  struct ScanOut {
    std::vector<uint8_t> bytes;
    std::vector<uint32_t> offsets{0};
    std::vector<double> values;
    void reserve(size_t n) {
      offsets.reserve(n + 1);
      values.reserve(n);
    }
    void add(const core::ByteSlot& key, double value);
    // Stays well inside u32 offsets however long the keys are.
    bool full(size_t at_least) const {
      return values.size() >= at_least || bytes.size() >= (size_t{1} << 30);
    }
    Napi::Value result(Napi::Env env, uint64_t next) const;
  };
};

}  // namespace tophash::addon
