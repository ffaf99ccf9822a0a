// libFuzzer target: random event batches through the aggregator engine, for
// both key kinds (u64, bytes), every histogram kind, both onFull policies,
// tiny maxEntries, keyed events and handles mixed, with erase, clear, zero
// and draining scans in between, for every supported kernel pair.
//
// 'drop' is checked exactly against a reference (count, sum, min, max and
// every histogram bucket of every key, the dropped count, each scan's set).
// 'lru' evicts by the engine's CLOCK choice, so there the checks are that
// size never exceeds maxEntries, a present key's aggregate never counts more
// events than the key was given, its rows are internally consistent (bucket
// counts sum to count, min <= max), and scans produce each key once.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/aggregator.h"
#include "core/exposition.h"
#include "cpu/cpu_registry.h"
#include "test/fuzz_common.h"

using namespace tophash;
using fuzz::check;
using fuzz::Reader;

namespace {

core::HistSpec hist_from(Reader& r) {
  switch (r.byte() % 4) {
    case 0: return {};
    case 1: return core::HistSpec::log2(r.byte() % 3);
    case 2: {
      const int64_t min = static_cast<int64_t>(r.byte() % 20) - 10;
      const int64_t step = 1 + r.byte() % 5;
      return core::HistSpec::linear(min, min + step * (1 + r.byte() % 8), step);
    }
    default: return core::HistSpec::buckets({-1, 0, 0.5, 1, 2.5, 10, 100});
  }
}

// Values that land on bucket edges: integers, halves, negatives, zero.
double value_from(Reader& r) {
  const uint8_t b = r.byte();
  if (b == 255) return 1e300;
  return (static_cast<double>(b % 64) - 16) / ((b & 64) ? 2.0 : 1.0);
}

// An empty row as the engine initialises it (a new key, or zero()).
struct Row {
  double count = 0, sum = 0, min = HUGE_VAL, max = -HUGE_VAL;
  std::vector<double> hist;
};

// A key in both forms: the u64 and its 8 little-endian bytes stand for the
// same key of a u64 or a bytes aggregator.
struct Key {
  uint64_t u64;
  std::string bytes;
};

Key key_from(Reader& r) {
  const uint8_t b = r.byte() % 24;
  Key k{b * 0x9E3779B97F4A7C15ull, std::string("route/") + std::to_string(b)};
  if (b % 5 == 0) k.bytes.append(20, 'x');  // past the inline limit: arena keys
  return k;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader r{data, size};
  const fuzz::Kernels kernels = fuzz::pick_kernels(r);
  core::AggOptions o;
  o.key_kind = (r.byte() & 1) ? core::AggKeyKind::kBytes : core::AggKeyKind::kU64;
  o.hist = hist_from(r);
  o.max_entries = 1 + r.byte() % 12;
  o.on_full = (r.byte() & 1) ? core::OnFull::kLru : core::OnFull::kDrop;
  const bool lru = o.on_full == core::OnFull::kLru;
  const bool bytes_keys = o.key_kind == core::AggKeyKind::kBytes;
  auto agg = core::make_aggregator(o, kernels.match, kernels.hash, r.byte());
  const size_t nb = o.hist.size();

  std::map<std::string, Row> ref;  // 'drop': the exact aggregate of every key held
  std::map<std::string, double> given;  // events each key was given (both policies)
  uint64_t dropped = 0;
  std::vector<std::pair<uint32_t, Key>> handles;

  // StagedKeys for a list of keys, in the aggregator's key kind.
  struct Staged {
    std::vector<uint64_t> u64;
    std::string bytes;
    std::vector<uint32_t> offsets{0};
    core::StagedKeys view(bool as_bytes) const {
      core::StagedKeys s;
      if (as_bytes) {
        s.bytes = reinterpret_cast<const uint8_t*>(bytes.data());
        s.offsets = offsets.data();
        s.count = offsets.size() - 1;
      } else {
        s.u64 = u64.data();
        s.count = u64.size();
      }
      return s;
    }
    void add(const Key& k) {
      u64.push_back(k.u64);
      bytes += k.bytes;
      offsets.push_back(static_cast<uint32_t>(bytes.size()));
    }
  };
  auto name = [&](const Key& k) {
    return bytes_keys ? k.bytes : std::to_string(k.u64);
  };
  auto name_of_row = [&](const core::ScanOut& out, size_t i) {
    if (!bytes_keys) return std::to_string(out.u64_keys[i]);
    return std::string(reinterpret_cast<const char*>(&out.key_bytes[out.key_offsets[i]]),
                       out.key_offsets[i + 1] - out.key_offsets[i]);
  };
  auto record_ref = [&](const std::string& k, double v) {
    given[k] += 1;
    if (lru) return;
    auto it = ref.find(k);
    if (it == ref.end()) {
      if (ref.size() >= o.max_entries) {
        ++dropped;
        return;
      }
      it = ref.emplace(k, Row{0, 0, HUGE_VAL, -HUGE_VAL, std::vector<double>(nb)}).first;
    }
    Row& row = it->second;
    row.count += 1;
    row.sum += v;
    row.min = std::fmin(row.min, v);
    row.max = std::fmax(row.max, v);
    if (nb != 0) row.hist[core::hist_index(o.hist, v)] += 1;
  };
  // A row as the engine holds it must match the reference ('drop') or be
  // consistent with what the key was given ('lru').
  auto check_row = [&](const std::string& k, const double* row) {
    double in_buckets = 0;
    for (size_t b = 0; b < nb; ++b) in_buckets += row[core::kRecordHeader + b];
    if (nb != 0) check(in_buckets == row[0]);
    if (row[0] > 0) check(row[2] <= row[3]);
    if (lru) {
      check(row[0] <= given[k]);
      return;
    }
    auto it = ref.find(k);
    check(it != ref.end());
    const Row& want = it->second;
    check(row[0] == want.count && row[1] == want.sum);
    if (want.count > 0) check(row[2] == want.min && row[3] == want.max);
    for (size_t b = 0; b < nb; ++b) check(row[core::kRecordHeader + b] == want.hist[b]);
  };
  auto scan_all = [&](bool del) {
    std::set<std::string> seen;
    uint64_t cursor = 0;
    const size_t batch = 1 + r.byte() % 8;
    size_t want_more = batch;
    for (int guard = 0; guard < 100000; ++guard) {
      core::ScanOut out;
      uint64_t next = 0;
      if (agg->scan(cursor, want_more, del, &out, &next) == core::ScanStatus::kNoSpace) {
        check(out.count == 0);
        want_more *= 2;
        continue;
      }
      for (size_t i = 0; i < out.count; ++i) {
        const std::string k = name_of_row(out, i);
        check(seen.insert(k).second);
        check_row(k, &out.rows[i * agg->stride()]);
        if (del) ref.erase(k);
      }
      if (next == 0) break;
      cursor = next;
    }
    if (!lru && !del) check(seen.size() == ref.size());
    if (del) check(agg->size() == 0);
  };

  while (!r.empty()) {
    switch (r.byte() % 9) {
      case 0:
      case 1:
      case 2: {  // a batch of keyed events and handle events
        Staged staged;
        std::vector<uint32_t> ids;
        std::vector<double> values;
        std::vector<std::string> names;
        for (size_t i = r.byte() % 16; i > 0; --i) {
          const double v = value_from(r);
          if (!handles.empty() && (r.byte() & 1)) {
            const auto& h = handles[r.byte() % handles.size()];
            ids.push_back(h.first);
            names.push_back(name(h.second));
          } else {
            const Key k = key_from(r);
            ids.push_back(core::kKeyedEvent | static_cast<uint32_t>(staged.u64.size()));
            staged.add(k);
            names.push_back(name(k));
          }
          values.push_back(v);
        }
        int why = -1;
        const core::StagedKeys view = staged.view(bytes_keys);
        check(agg->first_invalid_event(ids.data(), values.data(), ids.size(), view, &why) ==
              ids.size());
        agg->apply(ids.data(), values.data(), ids.size(), view);
        for (size_t i = 0; i < ids.size(); ++i) record_ref(names[i], values[i]);
        break;
      }
      case 3: {  // a new handle
        const Key k = key_from(r);
        Staged staged;
        staged.add(k);
        handles.emplace_back(agg->add_handle(staged.view(bytes_keys)), k);
        break;
      }
      case 4: {  // find and erase one key
        const Key k = key_from(r);
        Staged staged;
        staged.add(k);
        const core::StagedKeys view = staged.view(bytes_keys);
        const double* row = agg->find(view);
        if (!lru) check((row != nullptr) == (ref.count(name(k)) == 1));
        if (row != nullptr) check_row(name(k), row);
        if (r.byte() & 1) {
          const bool erased = agg->erase(view);
          check(erased == (row != nullptr));
          ref.erase(name(k));
        }
        break;
      }
      case 5:
        agg->zero();
        for (auto& [k, row] : ref) row = Row{0, 0, HUGE_VAL, -HUGE_VAL, std::vector<double>(nb)};
        given.clear();  // zeroed rows count again from 0
        break;
      case 6:
        if (r.byte() & 1) {
          agg->clear();
          ref.clear();
        } else {
          scan_all(true);
        }
        break;
      case 7: scan_all(false); break;
      case 8: {  // the readout the exposition renders: entries and handles
        std::set<std::string> seen;
        core::ExpositionLayout layout;
        layout.name = "m";
        layout.label_heads = {"a=\"", ",b=\""};
        layout.u64_keys = !bytes_keys;
        if (layout.u64_keys) layout.label_heads.pop_back();
        layout.histogram = nb != 0;
        layout.le_tails.assign(nb == 0 ? 0 : nb - 1, "1\"} ");
        std::string text;
        agg->visit_entries([&](const core::EntryView& e) {
          const std::string k = bytes_keys
                                    ? std::string(reinterpret_cast<const char*>(e.bytes), e.len)
                                    : std::to_string(e.u64);
          check(seen.insert(k).second);
          check_row(k, e.row);
          core::append_series(&text, layout, e);
        });
        check(seen.size() == agg->size());
        std::vector<uint32_t> ids;
        for (const auto& h : handles) ids.push_back(h.first);
        check(agg->first_dead_handle(ids.data(), ids.size()) == ids.size());
        size_t i = 0;
        agg->visit_handles(ids.data(), ids.size(), [&](const core::EntryView& e) {
          const std::string k = name(handles[i++].second);
          check((e.row != nullptr) == (seen.count(k) == 1));
          if (e.row != nullptr) check_row(k, e.row);
          core::append_series(&text, layout, e);
        });
        break;
      }
    }
    check(agg->size() <= o.max_entries);
    if (!lru) {
      check(agg->size() == ref.size());
      check(agg->stats().dropped == dropped);
    }
    fuzz::check_sound(agg->check_invariants());
  }
  return 0;
}
