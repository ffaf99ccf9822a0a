// WTF-8 from UTF-16: the byte form StrMap stores JS string keys in (the same
// encoding as src/wtf8.ts, which the JS packer uses). A well-formed string
// becomes exactly its UTF-8 bytes; a lone surrogate keeps its 3-byte
// generalized-UTF-8 form (ED A0..BF 80..BF), so '\uD800', '\uDC00' and
// '\uFFFD' stay three keys. A surrogate pair always becomes the 4-byte form of
// its code point, so every string has exactly one encoding.
//
// The native string[] packers (addon/str_keys.cpp) read strings as UTF-16
// through Node-API and encode them here. napi_get_value_string_utf8 is no
// substitute on its own: V8 replaces lone surrogates with U+FFFD, which would
// merge three distinct keys into one.
#pragma once
#include <cstddef>
#include <cstdint>

namespace tophash::core {

// Writes the WTF-8 encoding of src[0 .. n) to dst and returns the bytes
// written. dst must have room for 3 * n bytes (the worst case: every unit a
// BMP character from U+0800 up, or a lone surrogate).
size_t wtf8_from_utf16(const char16_t* src, size_t n, uint8_t* dst);

// Whether every byte of p[0 .. n) is below 0x80.
bool all_ascii(const uint8_t* p, size_t n);

}  // namespace tophash::core
