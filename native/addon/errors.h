// Error construction in one voice, sharp's: "Expected X for Y but received Z".
#pragma once
#include <napi.h>

#include <string>

namespace tophash::addon {

// A short, safe description of any JS value for error messages: the typed
// array's kind, a number's value, a string's quoted start, a class name.
std::string describe(const Napi::Value& v);

[[noreturn]] void throw_type(Napi::Env env, const std::string& expected, const std::string& what,
                             const std::string& received);
[[noreturn]] void throw_range(Napi::Env env, const std::string& expected, const std::string& what,
                              const std::string& received);
// An Error with err.code (eBPF-style: ENOMEM, EBUSY, ...).
[[noreturn]] void throw_code(Napi::Env env, const char* code, const std::string& message);

inline std::string indexed(const char* name, size_t i) {
  return std::string(name) + "[" + std::to_string(i) + "]";
}

}  // namespace tophash::addon
