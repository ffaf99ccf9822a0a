#include "core/exposition.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

namespace tophash::core {

namespace {

void append_uint(std::string* out, uint64_t v) {
  char buf[20];
  char* end = buf + sizeof buf;
  char* p = end;
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  out->append(p, static_cast<size_t>(end - p));
}

// Writes a label value from WTF-8 key bytes, escaped for both formats.
void append_label_value(std::string* out, const uint8_t* p, size_t n) {
  size_t run = 0;  // start of the bytes not yet copied
  for (size_t i = 0; i < n; ++i) {
    const uint8_t c = p[i];
    const char* rep = nullptr;
    size_t skip = 1;
    if (c == '\\') {
      rep = "\\\\";
    } else if (c == '"') {
      rep = "\\\"";
    } else if (c == '\n') {
      rep = "\\n";
    } else if (c == 0xED && i + 2 < n && p[i + 1] >= 0xA0) {
      // A lone surrogate (ED A0..BF xx): WTF-8 keeps it, UTF-8 cannot.
      rep = "\xEF\xBF\xBD";
      skip = 3;
    } else {
      continue;
    }
    out->append(reinterpret_cast<const char*>(p + run), i - run);
    out->append(rep);
    i += skip - 1;
    run = i + 1;
  }
  out->append(reinterpret_cast<const char*>(p + run), n - run);
}

// The label pairs `l1="v1",l2="v2"` of an entry (nothing without labels).
void append_labels(std::string* out, const ExpositionLayout& l, const EntryView& e) {
  const size_t nl = l.label_heads.size();
  if (nl == 0) return;
  if (l.u64_keys) {
    out->append(l.label_heads[0]);
    append_uint(out, e.u64);
    out->push_back('"');
    return;
  }
  // Byte keys hold the label values joined by NUL (values never hold NUL).
  size_t at = 0;
  for (size_t i = 0; i < nl; ++i) {
    size_t end = at;
    if (i + 1 < nl) {
      while (end < e.len && e.bytes[end] != 0) ++end;
    } else {
      end = e.len;
    }
    out->append(l.label_heads[i]);
    append_label_value(out, e.bytes + at, end - at);
    out->push_back('"');
    at = end < e.len ? end + 1 : end;
  }
}

// Appends a copy of out[start, start + len): reserving first keeps the
// source in place while it is copied.
void append_copy(std::string* out, size_t start, size_t len) {
  if (out->capacity() - out->size() < len) {
    out->reserve(std::max(out->capacity() * 2, out->size() + len));
  }
  out->append(out->data() + start, len);
}

void append_value_line(std::string* out, double v) {
  append_js_number(out, v);
  out->push_back('\n');
}

}  // namespace

void append_js_number(std::string* out, double v) {
  if (std::isnan(v)) return out->append("NaN"), void();
  if (std::isinf(v)) return out->append(v > 0 ? "+Inf" : "-Inf"), void();
  if (v == 0) return out->push_back('0');
  if (v > 0 && v <= 9007199254740991.0 && std::floor(v) == v) {
    return append_uint(out, static_cast<uint64_t>(v));
  }
  // ECMAScript Number::toString from the shortest round-trip digits, which
  // std::to_chars gives in scientific form: d[.ddd]e±x.
  char sci[40];
  const auto r = std::to_chars(sci, sci + sizeof sci, std::fabs(v), std::chars_format::scientific);
  char digits[20];
  int k = 0;
  const char* p = sci;
  for (; p < r.ptr && *p != 'e'; ++p) {
    if (*p != '.') digits[k++] = *p;
  }
  int exp = 0;
  std::from_chars(p[1] == '+' ? p + 2 : p + 1, r.ptr, exp);
  const int n = exp + 1;  // value = 0.digits × 10^n
  if (v < 0) out->push_back('-');
  if (k <= n && n <= 21) {
    out->append(digits, static_cast<size_t>(k));
    out->append(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out->append(digits, static_cast<size_t>(n));
    out->push_back('.');
    out->append(digits + n, static_cast<size_t>(k - n));
  } else if (-6 < n && n <= 0) {
    out->append("0.");
    out->append(static_cast<size_t>(-n), '0');
    out->append(digits, static_cast<size_t>(k));
  } else {
    out->push_back(digits[0]);
    if (k > 1) {
      out->push_back('.');
      out->append(digits + 1, static_cast<size_t>(k - 1));
    }
    out->push_back('e');
    out->push_back(n - 1 < 0 ? '-' : '+');
    append_uint(out, static_cast<uint64_t>(n - 1 < 0 ? 1 - n : n - 1));
  }
}

void append_series(std::string* out, const ExpositionLayout& l, const EntryView& e) {
  const double* row = e.row;
  const double count = row == nullptr ? 0 : row[0];
  const double sum = row == nullptr ? 0 : row[1];
  const size_t labels_start = out->size() + l.name.size() + (l.histogram ? 8 : 5);
  if (l.histogram) {
    const size_t prefix_start = out->size();
    out->append(l.name);
    out->append("_bucket{");
    append_labels(out, l, e);
    const size_t labels_len = out->size() - labels_start;
    out->append(labels_len > 0 ? ",le=\"" : "le=\"");
    const size_t prefix_len = out->size() - prefix_start;
    const size_t end = std::min(l.le_tails.size(), l.end_le);
    double cumulative = 0;
    for (size_t i = 0; i < end; ++i) {
      if (row != nullptr) cumulative += row[kRecordHeader + i];
      if (i < l.first_le) continue;
      // The prefix written above serves as the first line's own; the rest
      // copy it (by offset: appending may move the buffer).
      if (i > l.first_le) append_copy(out, prefix_start, prefix_len);
      out->append(l.le_tails[i]);
      append_value_line(out, cumulative);
    }
    if (end > l.first_le) append_copy(out, prefix_start, prefix_len);
    out->append("+Inf\"} ");
    append_value_line(out, count);
    const auto sample = [&](const char* suffix, double v) {
      out->append(l.name);
      out->append(suffix);
      if (labels_len > 0) {
        out->push_back('{');
        append_copy(out, labels_start, labels_len);
        out->push_back('}');
      }
      out->push_back(' ');
      append_value_line(out, v);
    };
    if (!l.omit_sum) sample("_sum", sum);
    sample("_count", count);
    return;
  }
  // Summary: `name_sum{labels} sum`, its labels copied into the _count line.
  out->append(l.name);
  out->append("_sum");
  const bool braces = !l.label_heads.empty();
  if (braces) out->push_back('{');
  const size_t start = out->size();
  append_labels(out, l, e);
  const size_t labels_len = out->size() - start;
  if (braces) out->push_back('}');
  out->push_back(' ');
  append_value_line(out, sum);
  out->append(l.name);
  out->append("_count");
  if (braces) {
    out->push_back('{');
    append_copy(out, start, labels_len);
    out->push_back('}');
  }
  out->push_back(' ');
  append_value_line(out, count);
}

void trim_to_used_buckets(ExpositionLayout* layout,
                          const std::function<void(const EntryVisitor&)>& visit) {
  // Bucket `bounds` is the overflow one: it shows only in +Inf.
  const size_t bounds = layout->le_tails.size();
  size_t lowest = bounds + 1, highest = 0;
  bool any = false;
  visit([&](const EntryView& e) {
    if (e.row == nullptr) return;
    const double* hist = e.row + kRecordHeader;
    for (size_t i = 0; i < lowest; ++i) {
      if (hist[i] != 0) {
        lowest = i;
        break;
      }
    }
    for (size_t i = bounds + 1; i > 0 && !(any && i - 1 <= highest); --i) {
      if (hist[i - 1] != 0) {
        highest = i - 1;
        any = true;
        break;
      }
    }
  });
  if (!any) {
    layout->first_le = layout->end_le = 0;
    return;
  }
  // One empty bucket is kept below the lowest used one: its `le` is the lower edge Prometheus'
  // histogram_quantile interpolates from (without it, from 0), so quantiles come out the same.
  layout->first_le = lowest == 0 ? 0 : std::min(lowest - 1, bounds);
  layout->end_le = std::min(highest + 1, bounds);
}

}  // namespace tophash::core
