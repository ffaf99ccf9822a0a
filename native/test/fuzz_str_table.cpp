// libFuzzer target: random operation sequences against the byte-key table
// (inline and arena keys, churn that triggers arena compaction), with
// std::unordered_map<std::string, double> as the reference, plus the packed
// batch decoder's validation (first_invalid_key) on arbitrary offsets.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/str_map.h"
#include "core/table_debug.h"
#include "cpu/cpu_registry.h"
#include "test/fuzz_common.h"

using namespace tophash;
using fuzz::check;
using fuzz::Reader;

namespace {

// Keys from a small family so they repeat: a prefix, a number, and a length
// that crosses the 15-byte inline limit.
std::string key_from(Reader& r) {
  uint8_t sel = r.byte();
  std::string k = (sel & 1) ? "user:" : "k";
  k += std::to_string(r.byte() % 64);
  k.append(sel % 24, static_cast<char>('a' + sel % 3));
  if (sel > 240) k.push_back('\0');
  return k;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader r{data, size};
  const fuzz::Kernels kernels = fuzz::pick_kernels(r);

  // The packed-batch validator on raw input: it must not read out of range
  // and must agree with a direct check.
  {
    const size_t count = r.byte() % 8;
    std::vector<uint32_t> offsets(count + 1);
    for (auto& o : offsets) o = r.byte() % 40;
    const size_t bytes_len = r.byte() % 40;
    core::ByteBatch batch{nullptr, offsets.data(), count};
    size_t expect = count;
    for (size_t i = 0; i < count; ++i) {
      if (offsets[i + 1] < offsets[i] || offsets[i + 1] > bytes_len || offsets[i] > bytes_len) {
        expect = i;
        break;
      }
    }
    check(core::first_invalid_key(batch, bytes_len) == expect);
  }

  core::StrTable t(kernels.match, kernels.hash, r.byte(), r.byte() % 64);
  std::unordered_map<std::string, double> ref;
  while (!r.empty()) {
    const uint8_t op = r.byte() % 6;
    const std::string k = key_from(r);
    const core::ByteProbe p = core::str_probe(t, k.data(), k.size());
    switch (op) {
      case 0:
      case 1: {
        double v = static_cast<double>(r.byte());
        check(t.assign(p, p.hash, v) == (ref.count(k) == 0));
        ref[k] = v;
        break;
      }
      case 2: check(t.erase(p, p.hash) == (ref.erase(k) == 1)); break;
      case 3: {
        const double* v = t.find(p, p.hash);
        auto it = ref.find(k);
        check((v != nullptr) == (it != ref.end()));
        if (v != nullptr) check(*v == it->second);
        break;
      }
      case 4: {  // packed batch get of a few keys
        std::vector<std::string> keys;
        for (int i = r.byte() % 8; i > 0; --i) keys.push_back(key_from(r));
        std::string bytes;
        std::vector<uint32_t> offsets{0};
        for (auto& kk : keys) {
          bytes += kk;
          offsets.push_back(static_cast<uint32_t>(bytes.size()));
        }
        std::vector<double> out(keys.size());
        std::vector<uint8_t> found(keys.size());
        core::ByteBatch b{reinterpret_cast<const uint8_t*>(bytes.data()), offsets.data(),
                          keys.size()};
        core::get_batch(t, b, out.data(), found.data());
        for (size_t i = 0; i < keys.size(); ++i) {
          auto it = ref.find(keys[i]);
          check(found[i] == (it != ref.end()));
          check(it == ref.end() ? std::isnan(out[i]) : out[i] == it->second);
        }
        break;
      }
      case 5: {  // full scan
        auto key_of = [](const core::ByteSlot& s) {
          const core::ByteView view = core::key_bytes(s);
          return std::string(reinterpret_cast<const char*>(view.data), view.len);
        };
        check(fuzz::scanned<decltype(ref)>(t, key_of) == ref);
        break;
      }
    }
    check(t.size() == ref.size());
    fuzz::check_sound(core::check_invariants(t));
  }
  return 0;
}
