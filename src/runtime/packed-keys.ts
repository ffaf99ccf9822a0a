// The packed shape of a batch of byte keys, shared by StrMap's batch methods,
// the string[] packer's output and hashBatch: below all of them.

/**
 * A batch of keys packed into one buffer: key `i` is `bytes.subarray(offsets[i], offsets[i + 1])`,
 * so `offsets` has one more element than there are keys. Strings go in as their UTF-8 (WTF-8)
 * bytes.
 */
export interface PackedKeys {
  /** The keys' bytes, back to back. */
  bytes: Uint8Array;
  /** `count + 1` offsets into `bytes`, non-decreasing. */
  offsets: Uint32Array;
}
