// Why: a scrape of 10,000 histogram series is ~13 MB of text. Copying it into
// a V8 string costs the event loop ~8 ms, the largest part of a scrape whose
// rendering already runs on the libuv pool; an external string costs O(1).
// node_api_create_external_string_latin1 is still marked experimental in
// Node 20, so NAPI_EXPERIMENTAL is defined for this file alone, which
// includes only the C API (node-addon-api's inline code must see one set of
// macros in every file).
#define NAPI_EXPERIMENTAL
#include "addon/external_string.h"

namespace tophash::addon {

namespace {

void free_text(node_api_basic_env, void*, void* hint) { delete static_cast<std::string*>(hint); }

}  // namespace

napi_status external_ascii_string(napi_env env, std::string* text, napi_value* result) {
  bool copied = false;
  const napi_status st = node_api_create_external_string_latin1(env, text->data(), text->size(),
                                                                free_text, text, result, &copied);
  // When V8 copied, it has already called free_text.
  if (st != napi_ok) delete text;
  return st;
}

}  // namespace tophash::addon
