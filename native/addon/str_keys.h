// Native packers for StrMap's string[] batches: they write the WTF-8 bytes
// and offsets of a batch of JS strings into the caller's reused buffers, the
// same {bytes, offsets} the packed batch methods take. Two ways across the
// boundary, both measured against the JS packer by bench/string-transfer.ts
// (README, Design):
//
//   packStrings(keys, start, bytes, offsets, units, mode) -> next index
//     one Node-API read per element. mode 0 reads UTF-16 into `units` and
//     encodes WTF-8 here; mode 1 lets V8 write UTF-8 straight into `bytes`
//     and re-reads as UTF-16 only a key whose output holds EF BF BD, since V8
//     turns a lone surrogate into U+FFFD. Stops at the first element it does
//     not take (not a string, over the length limit, no room left) and
//     returns its index; the JS caller handles that element and resumes.
//
//   packJoined(joined, lengths, bytes, offsets, units, mode) -> total bytes
//     the batch as one string, keys.join(''), plus each key's UTF-16 length.
//     mode 0 reads UTF-16 and encodes here; mode 1 lets V8 write UTF-8 and
//     keeps it when that is exactly one ASCII byte per unit (else mode 0);
//     mode 2 reads Latin-1, a plain copy for V8's flat one-byte strings,
//     which the caller must know to be ASCII (Latin-1 reading of a two-byte
//     string drops each unit's high byte without a trace). Returns -(i + 1)
//     when key i encodes to more than the key limit.
#pragma once
#include <napi.h>

namespace tophash::addon {

Napi::Value PackStrings(const Napi::CallbackInfo& info);
Napi::Value PackJoined(const Napi::CallbackInfo& info);

}  // namespace tophash::addon
