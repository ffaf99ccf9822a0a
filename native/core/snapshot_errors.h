// What the readers of each snapshot kind share to report damage: a
// SnapshotError with its code, numbers in messages, and the file's path
// appended to whatever a read of it throws.
#pragma once
#include <cstdint>
#include <string>

#include "core/snapshot_format.h"

namespace tophash::core {

[[noreturn]] inline void snapshot_fail(const char* code, const std::string& message) {
  throw SnapshotError(code, message);
}

inline std::string snapshot_num(uint64_t v) { return std::to_string(v); }

// f(), its SnapshotError's message naming the file at path.
template <class F>
auto with_snapshot_path(const std::string& path, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const SnapshotError& e) {
    throw SnapshotError(e.code(), std::string(e.what()) + " ('" + path + "')");
  }
}

}  // namespace tophash::core
