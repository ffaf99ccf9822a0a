#include "core/wtf8.h"

#include <cstring>

namespace tophash::core {

namespace {

inline uint64_t load8(const void* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

}  // namespace

size_t wtf8_from_utf16(const char16_t* src, size_t n, uint8_t* dst) {
  uint8_t* out = dst;
  size_t i = 0;
  while (i < n) {
    // Keys are mostly ASCII: four units at a time while all four are below
    // 0x80 (each unit's high 9 bits clear), narrowed with shifts.
    while (i + 4 <= n) {
      const uint64_t v = load8(src + i);
      if ((v & 0xFF80FF80FF80FF80ull) != 0) break;
      out[0] = static_cast<uint8_t>(v);
      out[1] = static_cast<uint8_t>(v >> 16);
      out[2] = static_cast<uint8_t>(v >> 32);
      out[3] = static_cast<uint8_t>(v >> 48);
      out += 4;
      i += 4;
    }
    if (i >= n) break;
    uint32_t c = src[i++];
    if (c < 0x80) {
      *out++ = static_cast<uint8_t>(c);
    } else if (c < 0x800) {
      out[0] = static_cast<uint8_t>(0xC0 | (c >> 6));
      out[1] = static_cast<uint8_t>(0x80 | (c & 0x3F));
      out += 2;
    } else {
      if (c >= 0xD800 && c <= 0xDBFF && i < n && src[i] >= 0xDC00 && src[i] <= 0xDFFF) {
        c = 0x10000 + ((c - 0xD800) << 10) + (src[i++] - 0xDC00u);
        out[0] = static_cast<uint8_t>(0xF0 | (c >> 18));
        out[1] = static_cast<uint8_t>(0x80 | ((c >> 12) & 0x3F));
        out[2] = static_cast<uint8_t>(0x80 | ((c >> 6) & 0x3F));
        out[3] = static_cast<uint8_t>(0x80 | (c & 0x3F));
        out += 4;
        continue;
      }
      // Any other BMP unit, a lone surrogate included.
      out[0] = static_cast<uint8_t>(0xE0 | (c >> 12));
      out[1] = static_cast<uint8_t>(0x80 | ((c >> 6) & 0x3F));
      out[2] = static_cast<uint8_t>(0x80 | (c & 0x3F));
      out += 3;
    }
  }
  return static_cast<size_t>(out - dst);
}

bool all_ascii(const uint8_t* p, size_t n) {
  uint64_t acc = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) acc |= load8(p + i);
  for (; i < n; ++i) acc |= p[i];
  return (acc & 0x8080808080808080ull) == 0;
}

}  // namespace tophash::core
