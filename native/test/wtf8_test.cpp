// core::wtf8_from_utf16 against fixed vectors (ASCII, NUL, 2-, 3- and 4-byte
// forms, lone and reversed surrogates, pairs straddling the 4-unit ASCII
// stride) and, for random mixes, against a reference that first splits the
// units into code points and then encodes each one generically.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "core/wtf8.h"

namespace tophash::core {
namespace {

std::vector<uint8_t> encode(const std::u16string& s) {
  std::vector<uint8_t> out(3 * s.size() + 1, 0xAA);
  const size_t n = wtf8_from_utf16(s.data(), s.size(), out.data());
  EXPECT_LE(n, 3 * s.size());
  EXPECT_EQ(out[3 * s.size()], 0xAA) << "wrote past 3 bytes per unit";
  out.resize(n);
  return out;
}

std::vector<uint8_t> bytes(std::initializer_list<int> b) {
  std::vector<uint8_t> v;
  for (int x : b) v.push_back(static_cast<uint8_t>(x));
  return v;
}

// Code points first (a lead followed by a trail is one, any other surrogate
// stands alone), then generalized UTF-8.
std::vector<uint8_t> reference(const std::u16string& s) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i < s.size(); ++i) {
    uint32_t c = s[i];
    if (c >= 0xD800 && c < 0xDC00 && i + 1 < s.size() && s[i + 1] >= 0xDC00 && s[i + 1] < 0xE000) {
      c = 0x10000 + ((c - 0xD800) << 10) + (s[++i] - 0xDC00u);
    }
    if (c < 0x80) {
      out.push_back(static_cast<uint8_t>(c));
    } else if (c < 0x800) {
      out.push_back(static_cast<uint8_t>(0xC0 | c >> 6));
      out.push_back(static_cast<uint8_t>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out.push_back(static_cast<uint8_t>(0xE0 | c >> 12));
      out.push_back(static_cast<uint8_t>(0x80 | (c >> 6 & 0x3F)));
      out.push_back(static_cast<uint8_t>(0x80 | (c & 0x3F)));
    } else {
      out.push_back(static_cast<uint8_t>(0xF0 | c >> 18));
      out.push_back(static_cast<uint8_t>(0x80 | (c >> 12 & 0x3F)));
      out.push_back(static_cast<uint8_t>(0x80 | (c >> 6 & 0x3F)));
      out.push_back(static_cast<uint8_t>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

TEST(Wtf8, FixedVectors) {
  EXPECT_EQ(encode(u""), bytes({}));
  EXPECT_EQ(encode(u"user:42"), bytes({'u', 's', 'e', 'r', ':', '4', '2'}));
  EXPECT_EQ(encode(std::u16string(u"a\0b", 3)), bytes({'a', 0, 'b'}));
  EXPECT_EQ(encode(u"\u007F\u0080\u07FF\u0800"),
            bytes({0x7F, 0xC2, 0x80, 0xDF, 0xBF, 0xE0, 0xA0, 0x80}));
  EXPECT_EQ(encode(u"\u00E9"), bytes({0xC3, 0xA9}));
  EXPECT_EQ(encode(u"\uFFFD"), bytes({0xEF, 0xBF, 0xBD}));
  EXPECT_EQ(encode(u"\U0001F600"), bytes({0xF0, 0x9F, 0x98, 0x80}));
  EXPECT_EQ(encode(u"\U0010FFFF"), bytes({0xF4, 0x8F, 0xBF, 0xBF}));
}

TEST(Wtf8, LoneSurrogatesKeepTheirOwnBytes) {
  const char16_t lead[] = {0xD800}, trail[] = {0xDC00}, last[] = {0xDFFF};
  EXPECT_EQ(encode(std::u16string(lead, 1)), bytes({0xED, 0xA0, 0x80}));
  EXPECT_EQ(encode(std::u16string(trail, 1)), bytes({0xED, 0xB0, 0x80}));
  EXPECT_EQ(encode(std::u16string(last, 1)), bytes({0xED, 0xBF, 0xBF}));
  // Reversed pair: two lone surrogates, not a code point.
  const char16_t reversed[] = {0xDC00, 0xD800};
  EXPECT_EQ(encode(std::u16string(reversed, 2)), bytes({0xED, 0xB0, 0x80, 0xED, 0xA0, 0x80}));
  // Lead at the very end, lead followed by ASCII.
  const char16_t tail[] = {'a', 'b', 'c', 0xD83D};
  EXPECT_EQ(encode(std::u16string(tail, 4)), bytes({'a', 'b', 'c', 0xED, 0xA0, 0xBD}));
  const char16_t lead_ascii[] = {0xD83D, 'x'};
  EXPECT_EQ(encode(std::u16string(lead_ascii, 2)), bytes({0xED, 0xA0, 0xBD, 'x'}));
}

TEST(Wtf8, PairsAndNonAsciiAroundTheAsciiStride) {
  // Every position of one non-ASCII unit or pair inside a run of ASCII, so
  // the 4-unit fast path stops and resumes at every alignment.
  for (size_t len = 0; len < 20; ++len) {
    for (size_t at = 0; at <= len; ++at) {
      for (const std::u16string& odd : {std::u16string(u"\u00E9"), std::u16string(u"\U0001F600"),
                                        std::u16string(1, char16_t{0xDBFF})}) {
        std::u16string s(len, u'k');
        s.insert(at, odd);
        EXPECT_EQ(encode(s), reference(s)) << "len " << len << " at " << at;
      }
    }
  }
}

TEST(Wtf8, RandomMixesMatchTheReference) {
  std::mt19937 rng(7);
  const char16_t pool[] = {u'a',   u'Z',   0,      0x7F,   0x80,   0x7FF,  0x800,
                           0xFFFF, 0xD800, 0xDBFF, 0xDC00, 0xDFFF, 0xE000, 0xFFFD};
  for (int round = 0; round < 2000; ++round) {
    std::u16string s(rng() % 70, u' ');
    for (char16_t& c : s) {
      c = rng() % 3 == 0 ? pool[rng() % (sizeof pool / sizeof pool[0])]
                         : static_cast<char16_t>(rng() % 4 == 0 ? rng() : rng() % 0x80);
    }
    ASSERT_EQ(encode(s), reference(s)) << "round " << round;
  }
}

TEST(Wtf8, LongKeyAtTheLimit) {
  std::u16string s(64 * 1024, u'x');
  s[1000] = 0xD800;
  EXPECT_EQ(encode(s), reference(s));
}

TEST(Wtf8, AllAscii) {
  std::vector<uint8_t> v(37, 'a');
  EXPECT_TRUE(all_ascii(v.data(), 0));
  EXPECT_TRUE(all_ascii(v.data(), v.size()));
  for (size_t i = 0; i < v.size(); ++i) {
    v[i] = 0x80;
    EXPECT_FALSE(all_ascii(v.data(), v.size())) << i;
    EXPECT_TRUE(all_ascii(v.data(), i)) << i;
    v[i] = 0x7F;
  }
}

}  // namespace
}  // namespace tophash::core
