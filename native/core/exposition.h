// Prometheus 0.0.4 / OpenMetrics sample lines of an aggregator's entries,
// written straight from its rows (src/aggregator.ts toPrometheus and
// tophash/prom's histograms use it; src/exposition.ts renders everything
// else and decides the per-family strings passed in here).
//
// Why native: a scrape of 1000 histogram series is ~15,000 lines. Built in
// JavaScript it needs the keys decoded to strings, a label block per series
// and the text assembled in a buffer; every one of those allocates, and
// right after a collection V8's concurrent sweeping competes with the scrape
// for the same cores. Here one pass over the rows appends to one reused
// byte buffer, which becomes the one string JavaScript sees.
//
// Byte parity with the JavaScript renderer (and so with prom-client) is the
// contract: numbers are spelled as JavaScript's Number#toString spells them,
// label values escaped the same way, and a lone surrogate in a key's WTF-8
// bytes becomes U+FFFD as Buffer#write makes it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/aggregator.h"

namespace tophash::core {

// What every series of one family shares, as the renderer prepared it.
struct ExpositionLayout {
  std::string name;  // the metric name, e.g. http_request_duration_seconds
  // `l1="`, `,l2="`, ... for each label; empty: no label block. With u64
  // keys there is one, its value the key in decimal.
  std::vector<std::string> label_heads;
  bool u64_keys = false;
  bool histogram = false;  // else a summary: _sum and _count
  // Histogram: `<le>"} ` per bound; the row holds le_tails.size() + 1 buckets.
  std::vector<std::string> le_tails;
  // The `le` lines written are le_tails[first_le, end_le): the buckets outside hold no event in
  // any series of the family (see used_buckets), so leaving them out loses nothing; cumulative
  // counts still run over every bucket. +Inf is always written.
  size_t first_le = 0;
  size_t end_le = SIZE_MAX;
  bool omit_sum = false;  // OpenMetrics histogram with a negative bound
};

// Narrows layout's le range to the buckets from the one below the lowest to the highest that holds
// an event in any of the entries `visit` walks (a log2 histogram has 65 or more buckets, most of
// them empty); none used: only +Inf is written.
void trim_to_used_buckets(ExpositionLayout* layout,
                          const std::function<void(const EntryVisitor&)>& visit);

// Appends what JavaScript's String(v) gives, except NaN, +Inf and -Inf,
// spelled as Prometheus reads them.
void append_js_number(std::string* out, double v);

// Appends one entry's lines; a null row renders as all zeros.
void append_series(std::string* out, const ExpositionLayout& layout, const EntryView& entry);

}  // namespace tophash::core
