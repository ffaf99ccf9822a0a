// The checksum of the shared files' headers (the aggregator's segment, a
// pinned BpfMap): FNV-1a 64 over the header struct with its `ready` word
// (stored last by the creator, after the checksum) and the checksum zeroed.
// It catches damage and forgery by accident, not by an attacker, who can
// recompute it; what protects the reader is that every field is validated.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace tophash::core {

inline uint64_t fnv1a(const uint8_t* p, size_t n, uint64_t h = 0xcbf29ce484222325ull) {
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

template <class Header>
uint64_t header_checksum(const Header& h) {
  Header copy;
  std::memcpy(&copy, &h, sizeof copy);
  copy.ready = 0;
  copy.checksum = 0;
  return fnv1a(reinterpret_cast<const uint8_t*>(&copy), sizeof copy);
}

}  // namespace tophash::core
