// The hash functions seen from JavaScript: hash(), and hashBatch() over u64
// keys, packed { bytes, offsets } keys and fixed-width { bytes, keySize } keys.
#pragma once
#include <napi.h>

namespace tophash::addon {

// hashBytes(data: Uint8Array, seed?: bigint, kernel?: string) -> bigint
Napi::Value HashBytes(const Napi::CallbackInfo& info);
// hashU64Batch(keys: BigUint64Array, out: BigUint64Array, seed?, kernel?)
Napi::Value HashU64Batch(const Napi::CallbackInfo& info);
// hashPackedBatch(bytes: Uint8Array, offsets: Uint32Array, out?: BigUint64Array, seed?, kernel?)
//   -> out, or a new BigUint64Array(offsets.length - 1)
Napi::Value HashPackedBatch(const Napi::CallbackInfo& info);
// hashFixedBatch(bytes: Uint8Array, keySize: number, out?: BigUint64Array, seed?, kernel?)
//   -> out, or a new BigUint64Array(bytes.length / keySize)
Napi::Value HashFixedBatch(const Napi::CallbackInfo& info);

}  // namespace tophash::addon
