// What the snapshot targets (fuzz_snapshot, fuzz_snapshot_open) read from a
// fuzzer input, and how they take a refusal.
//   byte 0:   flags; bit 0 asks for the checksums to be re-sealed, so that
//             mutations reach the checks behind them (the other bits are the
//             target's own);
//   byte 1:   the match kernel;
//   the rest: the file.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/snapshot_format.h"
#include "test/fuzz_common.h"
#include "test/fuzz_reseal.h"

namespace tophash::fuzz {

struct SnapshotInput {
  uint8_t flags;
  const simd::MatchKernel* match;
  std::vector<uint8_t> file;
};

inline SnapshotInput snapshot_input(const uint8_t* data, size_t size) {
  Reader r{data, size};
  SnapshotInput in;
  in.flags = r.byte();
  in.match = pick(cpu::match_kernels(), r.byte());
  in.file.assign(r.p, r.p + r.n);
  if (in.flags & 1) reseal(in.file);
  return in;
}

// Runs f(): a SnapshotError is a file refused, which is a correct outcome.
template <class F>
void tolerate(F&& f) {
  try {
    f();
  } catch (const core::SnapshotError&) {
  }
}

}  // namespace tophash::fuzz
