// Error construction in one voice, sharp's: "Expected X for Y but received Z".
#pragma once
#include <napi.h>

#include <string>

namespace tophash::addon {

// A short, safe description of any JS value for error messages: the typed
// array's kind, a number's value, a string's quoted start, a class name.
std::string describe(const Napi::Value& v);

// Argument errors carry Node's codes: ERR_INVALID_ARG_TYPE for a value of the wrong type,
// ERR_OUT_OF_RANGE for a number outside its domain, ERR_INVALID_ARG_VALUE for any other value
// that is not acceptable (the same rule as src/runtime/errors.ts).
Napi::Error with_code(Napi::Error err, const char* code);
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
