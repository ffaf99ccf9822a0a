// Large exposition text handed to V8 without a copy.
#pragma once
#include <js_native_api.h>

#include <string>

namespace tophash::addon {

// A latin1 JavaScript string over *text's bytes, which must all be below
// 0x80 (ASCII reads the same in latin1 and UTF-8). V8 takes ownership of
// `text` (it is deleted when the string is collected, or at once if V8
// chose to copy); on failure it is deleted here and the status returned.
napi_status external_ascii_string(napi_env env, std::string* text, napi_value* result);

}  // namespace tophash::addon
