// libFuzzer target: random operation sequences against the U64 table, with
// std::unordered_map as the reference. The first two bytes pick the match and
// hash kernels, so one corpus exercises every kernel this CPU supports.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "core/table_debug.h"
#include "core/u64_map.h"
#include "cpu/cpu_registry.h"
#include "test/fuzz_common.h"

using namespace tophash;
using fuzz::check;
using fuzz::Reader;

namespace {

// Keys from a small space collide often (updates, deletes, slot reuse);
// occasionally a full 64-bit key.
uint64_t key_from(Reader& r) {
  uint8_t sel = r.byte();
  if (sel < 200) return sel;
  if (sel < 250) return r.byte() * 257u + sel;
  return r.u64();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader r{data, size};
  const fuzz::Kernels kernels = fuzz::pick_kernels(r);
  core::U64Table t(kernels.match, kernels.hash, r.byte(), r.byte() % 64);
  std::unordered_map<uint64_t, double> ref;

  while (!r.empty()) {
    const uint8_t op = r.byte() % 9;
    switch (op) {
      case 0:
      case 1: {
        uint64_t k = key_from(r);
        double v = static_cast<double>(r.byte());
        check(t.assign(k, t.hash(k), v) == (ref.count(k) == 0));
        ref[k] = v;
        break;
      }
      case 2: {
        uint64_t k = key_from(r);
        check(t.erase(k, t.hash(k)) == (ref.erase(k) == 1));
        break;
      }
      case 3: {
        uint64_t k = key_from(r);
        const double* v = t.find(k, t.hash(k));
        auto it = ref.find(k);
        check((v != nullptr) == (it != ref.end()));
        if (v != nullptr) check(*v == it->second);
        break;
      }
      case 4: {  // batch set: many keys to force growth
        size_t n = r.byte() * 4u;
        std::vector<uint64_t> keys(n);
        std::vector<double> values(n);
        uint64_t base = r.u64() % 100000;
        for (size_t i = 0; i < n; ++i) {
          keys[i] = base + i * (1 + r.byte() % 3);
          values[i] = static_cast<double>(i);
        }
        size_t added = 0;
        for (size_t i = 0; i < n; ++i) added += ref.insert_or_assign(keys[i], values[i]).second;
        check(core::set_batch(t, core::KeyBatch{core::KeyBatch::Kind::kU64, keys.data(), n},
                              values.data()) == added);
        break;
      }
      case 5: {  // batch delete of a range
        size_t n = r.byte() * 4u;
        std::vector<uint32_t> keys(n);
        uint32_t base = static_cast<uint32_t>(r.u64() % 100000);
        size_t deleted = 0;
        for (size_t i = 0; i < n; ++i) {
          keys[i] = base + static_cast<uint32_t>(i);
          deleted += ref.erase(keys[i]);
        }
        check(core::delete_batch(t, core::KeyBatch{core::KeyBatch::Kind::kU32, keys.data(), n}) ==
              deleted);
        break;
      }
      case 6: {  // batch get
        size_t n = r.byte();
        std::vector<double> keys(n);
        for (size_t i = 0; i < n; ++i)
          keys[i] = static_cast<double>(key_from(r) & ((1ull << 53) - 1));
        std::vector<double> out(n);
        std::vector<uint8_t> found(n);
        core::get_batch(t, core::KeyBatch{core::KeyBatch::Kind::kF64, keys.data(), n}, out.data(),
                        found.data());
        for (size_t i = 0; i < n; ++i) {
          auto it = ref.find(static_cast<uint64_t>(keys[i]));
          check(found[i] == (it != ref.end()));
          check(it == ref.end() ? std::isnan(out[i]) : out[i] == it->second);
        }
        break;
      }
      case 7:
        if (r.byte() < 16) {
          t.clear();
          ref.clear();
        }
        break;
      case 8: {  // full scan: every entry exactly once
        check(fuzz::scanned<decltype(ref)>(t, [](uint64_t k) { return k; }) == ref);
        break;
      }
    }
    check(t.size() == ref.size());
    fuzz::check_sound(core::check_invariants(t));
  }
  return 0;
}
