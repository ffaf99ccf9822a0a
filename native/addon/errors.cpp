#include "addon/errors.h"

#include <cmath>
#include <cstdio>

namespace tophash::addon {

namespace {

const char* typed_array_name(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: return "Int8Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint8_clamped_array: return "Uint8ClampedArray";
    case napi_int16_array: return "Int16Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    case napi_bigint64_array: return "BigInt64Array";
    case napi_biguint64_array: return "BigUint64Array";
    default: return "TypedArray";
  }
}

std::string number_text(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0 && std::signbit(d)) return "-0";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

}  // namespace

std::string describe(const Napi::Value& v) {
  switch (v.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return v.As<Napi::Boolean>().Value() ? "true" : "false";
    case napi_number: return number_text(v.As<Napi::Number>().DoubleValue());
    case napi_bigint: {
      bool lossless = false;
      int64_t s = v.As<Napi::BigInt>().Int64Value(&lossless);
      if (lossless) return std::to_string(s) + "n";
      uint64_t u = v.As<Napi::BigInt>().Uint64Value(&lossless);
      if (lossless) return std::to_string(u) + "n";
      return "a bigint outside the 64-bit range";
    }
    case napi_string: {
      std::string s = v.As<Napi::String>().Utf8Value();
      if (s.size() > 24) s = s.substr(0, 24) + "...";
      return "string '" + s + "'";
    }
    case napi_symbol: return "a symbol";
    case napi_function: return "a function";
    default: break;
  }
  if (v.IsTypedArray()) {
    auto ta = v.As<Napi::TypedArray>();
    return std::string(typed_array_name(ta.TypedArrayType())) + "(" +
           std::to_string(ta.ElementLength()) + ")";
  }
  if (v.IsArray()) return "Array(" + std::to_string(v.As<Napi::Array>().Length()) + ")";
  if (v.IsArrayBuffer()) return "ArrayBuffer";
  if (v.IsDataView()) return "DataView";
  return "an object";
}

namespace {

// describe() writes numbers as JavaScript prints them ("-1", "1.5e+300", "NaN", "12n"); a size is
// written as a number and its unit ("70000 bytes").
bool describes_a_number(const std::string& text) {
  const std::string received = text.substr(0, text.find(' '));
  if (received == "NaN" || received == "Infinity" || received == "-Infinity") return true;
  if (received.empty()) return false;
  size_t end = received.size();
  if (received[end - 1] == 'n') --end;  // a bigint
  bool digit = false;
  for (size_t i = 0; i < end; ++i) {
    const char c = received[i];
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if (c != '-' && c != '+' && c != '.' && c != 'e') {
      return false;
    }
  }
  return digit;
}

}  // namespace

Napi::Error with_code(Napi::Error err, const char* code) {
  err.Set("code", Napi::String::New(err.Env(), code));
  return err;
}

void throw_type(Napi::Env env, const std::string& expected, const std::string& what,
                const std::string& received) {
  throw with_code(Napi::TypeError::New(
                      env, "Expected " + expected + " for " + what + " but received " + received),
                  "ERR_INVALID_ARG_TYPE");
}

void throw_range(Napi::Env env, const std::string& expected, const std::string& what,
                 const std::string& received) {
  throw with_code(Napi::RangeError::New(
                      env, "Expected " + expected + " for " + what + " but received " + received),
                  describes_a_number(received) ? "ERR_OUT_OF_RANGE" : "ERR_INVALID_ARG_VALUE");
}

void throw_code(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  throw err;
}

}  // namespace tophash::addon
