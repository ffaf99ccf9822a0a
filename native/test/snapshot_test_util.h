// A snapshot written to memory, for the suites that read it back: of a
// U64Map or StrMap table, or of an engine that writes its own (a BpfMap; an
// Aggregator, given its meta).
#pragma once
#include <cstdint>
#include <type_traits>
#include <vector>

#include "core/snapshot_writer.h"

namespace tophash::test {

template <class Source, class... Meta>
std::vector<uint8_t> snapshot_of(Source& source, const Meta&... meta) {
  std::vector<uint8_t> bytes;
  core::MemorySink sink(&bytes);
  if constexpr (std::is_same_v<Source, core::U64Table>) {
    core::write_u64_snapshot(source, sink);
  } else if constexpr (std::is_same_v<Source, core::StrTable>) {
    core::write_str_snapshot(source, sink);
  } else {
    source.write_snapshot(sink, meta...);
  }
  return bytes;
}

}  // namespace tophash::test
