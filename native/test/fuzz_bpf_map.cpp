// libFuzzer target: random operation sequences against the eBPF-style map
// (fixed-width keys of every size class, hash and lru_hash, tiny maxEntries
// so "full" and eviction happen constantly), for every supported kernel pair.
//
// hash: an exact reference (std::map) predicts every status code (EEXIST,
// ENOENT, E2BIG), every value, partial batches (applied count and status)
// and the set a batch walk or get_next_key walk produces.
// lru_hash: which key a CLOCK sweep evicts is the engine's choice, so the
// reference holds every key's latest value and learns evictions from misses;
// the checks are that a hit returns the latest value, size never exceeds
// maxEntries, an update never fails with E2BIG, and walks produce each
// present key once with its latest value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/bpf_map.h"
#include "cpu/cpu_registry.h"
#include "test/fuzz_common.h"

using namespace tophash;
using fuzz::check;
using fuzz::Reader;

namespace {

constexpr size_t kKeySizes[] = {1, 4, 8, 13, 16, 37, 64, 256};

struct Fixture {
  core::BpfMap& map;
  bool lru;
  size_t key_size;
  size_t value_size;
  std::map<std::string, std::string>& ref;

  // Keys from a small family (so they repeat): one varying byte spread over
  // the key, the rest a fixed pattern.
  std::string key(Reader& r) const {
    std::string k(key_size, '\x5a');
    const uint8_t b = r.byte() % 48;
    k[0] = static_cast<char>(b);
    k[key_size - 1] = static_cast<char>(b ^ 0x33);
    return k;
  }
  std::string value(Reader& r) const {
    std::string v(value_size, static_cast<char>(r.byte()));
    v[0] = static_cast<char>(r.byte());
    return v;
  }
  const uint8_t* bytes(const std::string& s) const {
    return reinterpret_cast<const uint8_t*>(s.data());
  }

  // What update(k, v, flags) must do on the hash reference, applied to it.
  core::BpfStatus expect_update(const std::string& k, const std::string& v, uint64_t flags) {
    const bool present = ref.count(k) != 0;
    if (flags == core::kBpfNoExist && present) return core::BpfStatus::kExists;
    if (flags == core::kBpfExist && !present) return core::BpfStatus::kNoEntry;
    if (!present && ref.size() >= map.max_entries()) return core::BpfStatus::kFull;
    ref[k] = v;
    return core::BpfStatus::kOk;
  }

  void update(Reader& r) {
    const std::string k = key(r), v = value(r);
    const uint64_t flags = r.byte() % 3;
    const core::BpfStatus got = map.update(bytes(k), bytes(v), flags);
    if (!lru) {
      check(got == expect_update(k, v, flags));
      return;
    }
    check(got != core::BpfStatus::kFull);
    // NOEXIST/EXIST against a key the reference thinks present may disagree
    // when it was evicted unseen; learn the truth from the status.
    if (got == core::BpfStatus::kOk) {
      ref[k] = v;
    } else if (got == core::BpfStatus::kExists) {
      check(flags == core::kBpfNoExist);
    } else {
      check(got == core::BpfStatus::kNoEntry && flags == core::kBpfExist);
      ref.erase(k);
    }
  }

  void lookup(Reader& r) {
    const std::string k = key(r);
    const uint8_t* v = map.lookup(bytes(k));
    auto it = ref.find(k);
    if (v != nullptr) {
      check(it != ref.end() && std::memcmp(v, it->second.data(), value_size) == 0);
    } else {
      check(lru || it == ref.end());
      if (it != ref.end()) ref.erase(it);  // evicted
    }
  }

  void erase(Reader& r) {
    const std::string k = key(r);
    const core::BpfStatus got = map.erase(bytes(k));
    const bool was = ref.erase(k) == 1;  // the reference holds every key the map can hold
    if (!was || !lru) check(got == (was ? core::BpfStatus::kOk : core::BpfStatus::kNoEntry));
    if (lru) check(got == core::BpfStatus::kOk || got == core::BpfStatus::kNoEntry);
  }

  void update_batch(Reader& r) {
    const size_t count = r.byte() % 6;
    const uint64_t flags = r.byte() % 3;
    std::string keys, values;
    std::vector<std::string> ks, vs;
    for (size_t i = 0; i < count; ++i) {
      ks.push_back(key(r));
      vs.push_back(value(r));
      keys += ks.back();
      values += vs.back();
    }
    const core::BpfMap::BatchWrite got = map.update_batch(bytes(keys), bytes(values), count, flags);
    check(got.applied <= count);
    if (lru) {
      check(got.status != core::BpfStatus::kFull);
      for (size_t i = 0; i < got.applied; ++i) ref[ks[i]] = vs[i];
      if (got.applied < count && got.status == core::BpfStatus::kNoEntry)
        ref.erase(ks[got.applied]);
      return;
    }
    size_t applied = 0;
    core::BpfStatus status = core::BpfStatus::kOk;
    for (; applied < count; ++applied) {
      status = expect_update(ks[applied], vs[applied], flags);
      if (status != core::BpfStatus::kOk) break;
    }
    check(got.applied == applied && got.status == status);
  }

  void delete_batch(Reader& r) {
    const size_t count = r.byte() % 6;
    std::string keys;
    std::vector<std::string> ks;
    for (size_t i = 0; i < count; ++i) {
      ks.push_back(key(r));
      keys += ks.back();
    }
    const core::BpfMap::BatchWrite got = map.delete_batch(bytes(keys), count);
    check(got.applied <= count);
    for (size_t i = 0; i < got.applied; ++i) check(ref.erase(ks[i]) == 1);
    if (got.applied < count) {
      check(got.status == core::BpfStatus::kNoEntry);
      check(lru || ref.count(ks[got.applied]) == 0);
      ref.erase(ks[got.applied]);
    } else {
      check(got.status == core::BpfStatus::kOk);
    }
  }

  // A whole batch walk (optionally draining) must produce every present key
  // once; ENOSPC is answered by retrying with the size it asked for.
  void walk(Reader& r, bool and_delete) {
    size_t batch = 1 + r.byte() % 9;
    uint64_t cursor = 0;
    std::set<std::string> seen;
    for (int guard = 0; guard < 100000; ++guard) {
      std::vector<uint8_t> keys, values;
      const core::BpfMap::BatchRead got =
          map.lookup_batch(cursor, batch, and_delete, &keys, &values);
      if (got.status == core::BpfStatus::kNoSpace) {
        check(got.needed > batch && got.count == 0);
        batch = got.needed;
        continue;
      }
      check(got.status == core::BpfStatus::kOk && got.count <= batch);
      check(keys.size() == got.count * key_size && values.size() == got.count * value_size);
      for (size_t i = 0; i < got.count; ++i) {
        std::string k(reinterpret_cast<const char*>(&keys[i * key_size]), key_size);
        auto it = ref.find(k);
        check(it != ref.end());
        check(std::memcmp(&values[i * value_size], it->second.data(), value_size) == 0);
        check(seen.insert(k).second);
      }
      if (got.done) break;
      cursor = got.next;
    }
    if (and_delete) {
      for (const std::string& k : seen) ref.erase(k);
      check(map.size() == 0);
    }
    if (!lru && !and_delete) check(seen.size() == ref.size());
  }

  void next_key_walk() {
    std::set<std::string> seen;
    std::string at;
    std::string next(key_size, '\0');
    bool first = true;
    while (map.get_next_key(first ? nullptr : bytes(at), reinterpret_cast<uint8_t*>(&next[0]))) {
      first = false;
      check(ref.count(next) == 1);
      check(seen.insert(next).second);
      at = next;
      check(seen.size() <= map.size());
    }
    check(seen.size() == map.size());
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader r{data, size};
  const fuzz::Kernels kernels = fuzz::pick_kernels(r);
  const bool lru = (r.byte() & 1) != 0;
  const size_t key_size = kKeySizes[r.byte() % (sizeof kKeySizes / sizeof kKeySizes[0])];
  const size_t value_size = 1 + r.byte() % 40;
  const uint64_t max_entries = 1 + r.byte() % 40;
  core::BpfMap map(lru ? core::BpfType::kLruHash : core::BpfType::kHash, key_size, value_size,
                   max_entries, kernels.match, kernels.hash, r.byte());
  std::map<std::string, std::string> ref;
  Fixture f{map, lru, key_size, value_size, ref};
  while (!r.empty()) {
    switch (r.byte() % 10) {
      case 0:
      case 1:
      case 2: f.update(r); break;
      case 3:
      case 4: f.lookup(r); break;
      case 5: f.erase(r); break;
      case 6: f.update_batch(r); break;
      case 7: f.delete_batch(r); break;
      case 8: f.walk(r, (r.byte() & 3) == 0); break;
      case 9: f.next_key_walk(); break;
    }
    check(map.size() <= max_entries);
    if (!lru) check(map.size() == ref.size());
    fuzz::check_sound(map.check_invariants());
  }
  return 0;
}
