// What the snapshot methods of the map bindings share: the path argument and
// turning the engine's SnapshotError into an Error with err.code.
#pragma once
#include <napi.h>

#include <string>

#include "addon/binding_args.h"
#include "addon/errors.h"
#include "core/snapshot_format.h"

namespace tophash::addon {

// A file path: a non-empty string without NUL bytes (the OS would cut it there).
std::string path_arg(const Napi::Value& v, const char* name);

// Runs f(); a SnapshotError becomes an Error with its code (ERR_SNAPSHOT_*,
// or the errno name of an I/O failure), std::bad_alloc an ENOMEM one.
template <class F>
void guard_snapshot(Napi::Env env, const char* out_of_memory, F&& f) {
  try {
    guard_alloc(env, out_of_memory, f);
  } catch (const core::SnapshotError& e) {
    throw_code(env, e.code(), e.what());
  }
}

}  // namespace tophash::addon
