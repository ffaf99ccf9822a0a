#include "addon/snapshot_args.h"

namespace tophash::addon {

std::string path_arg(const Napi::Value& v, const char* name) {
  if (!v.IsString()) throw_type(v.Env(), "a file path (string)", name, describe(v));
  std::string path = v.As<Napi::String>().Utf8Value();
  if (path.empty() || path.find('\0') != std::string::npos) {
    throw_type(v.Env(), "a non-empty file path without NUL characters", name, describe(v));
  }
  return path;
}

}  // namespace tophash::addon
