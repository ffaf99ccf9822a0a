// Packing a StrMap batch given as an array of keys into the {bytes, offsets}
// the native batch methods take, in reused buffers, encoded to WTF-8 here in
// JavaScript. Native packers (one Node-API read per string, or one joined
// string read as UTF-16, UTF-8 or Latin-1) lost to this one in every
// bench/string-transfer.ts measurement (README, Design): each pays more per
// key, in napi_get_element plus a string read, or in keys.join('') alone,
// than the whole JS loop does.
import { keyTooLong, typeError } from './errors';
import { encodeWtf8Into } from './wtf8';

/** The longest key StrMap accepts, in bytes (64 KiB). */
export const MAX_KEY_BYTES = 64 * 1024;

// Strings up to this many code units are encoded by the JS loop, longer ones
// by TextEncoder.encodeInto (which costs a subarray and a call per string):
// encodeInto overtakes the loop somewhere past 64 code units.
const SHORT_STRING = 64;
const encoder = new TextEncoder();

type WellFormedCheck = { isWellFormed(): boolean };

/** Encodes s at pos in buf (which has room for 3 bytes per code unit); returns the end. */
export function encodeKeyAt(s: string, buf: Uint8Array, pos: number): number {
  if (s.length <= SHORT_STRING || !(s as unknown as WellFormedCheck).isWellFormed()) {
    return encodeWtf8Into(s, buf, pos);
  }
  return pos + encoder.encodeInto(s, pos === 0 ? buf : buf.subarray(pos)).written;
}

/** Whether v is a Uint8Array (also from another realm). */
export function isBytes(v: unknown): v is Uint8Array {
  return ArrayBuffer.isView(v) && (v as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] === 'Uint8Array';
}

let packBytes = new Uint8Array(64 * 1024);
let packOffsets = new Uint32Array(1025);

function growPackBytes(need: number): void {
  const bigger = new Uint8Array(Math.max(need, packBytes.length * 2));
  bigger.set(packBytes);
  packBytes = bigger;
}

function offsetsFor(count: number): Uint32Array {
  if (packOffsets.length < count + 1) packOffsets = new Uint32Array(Math.max(count + 1, packOffsets.length * 2));
  packOffsets[0] = 0;
  return packOffsets;
}

// Appends keys[i] (k) at pos; returns the end. Throws for a bad key.
function packOne(k: unknown, i: number, pos: number): number {
  if (typeof k === 'string') {
    const n = k.length;
    if (n > MAX_KEY_BYTES) throw keyTooLong(MAX_KEY_BYTES, `keys[${i}]`, k);
    if (pos + n * 3 > packBytes.length) growPackBytes(pos + n * 3);
    const end = encodeKeyAt(k, packBytes, pos);
    if (end - pos > MAX_KEY_BYTES) throw keyTooLong(MAX_KEY_BYTES, `keys[${i}]`, k);
    return end;
  }
  if (isBytes(k)) {
    if (k.length > MAX_KEY_BYTES) throw keyTooLong(MAX_KEY_BYTES, `keys[${i}]`, k);
    if (pos + k.length > packBytes.length) growPackBytes(pos + k.length);
    packBytes.set(k, pos);
    return pos + k.length;
  }
  throw typeError('a string or Uint8Array', `keys[${i}]`, k);
}

// Keys a server parsed earlier sit scattered over the heap, and reading each
// one's characters is a cache miss the encoding loop waits for, one at a
// time: 1e6 such keys packed at 280 ns/key against 50 for keys made in
// lookup order. Every 8 keys, the lengths of the 8 string keys 16 places
// ahead are read back to back, so their misses overlap (a single read ahead
// would not help: the core retires it in order and stalls on it): 85-105
// ns/key, and no cost on keys already in order. Only strings are read
// ahead, so no getter of a hostile key runs before packOne rejects it.
const TOUCH_AHEAD = 16;
const TOUCH_GROUP = 8;

function stringLength(k: unknown): number {
  return typeof k === 'string' ? k.length : 0;
}

function touchGroup(keys: readonly unknown[], j: number): number {
  return (
    stringLength(keys[j]) +
    stringLength(keys[j + 1]) +
    stringLength(keys[j + 2]) +
    stringLength(keys[j + 3]) +
    stringLength(keys[j + 4]) +
    stringLength(keys[j + 5]) +
    stringLength(keys[j + 6]) +
    stringLength(keys[j + 7])
  );
}

function packJs(keys: readonly unknown[], count: number): Uint32Array {
  const offsets = offsetsFor(count);
  let pos = 0;
  let touched = 0;
  let i = 0;
  for (; i + TOUCH_AHEAD + TOUCH_GROUP <= count; i += TOUCH_GROUP) {
    touched += touchGroup(keys, i + TOUCH_AHEAD);
    for (let k = i; k < i + TOUCH_GROUP; k++) offsets[k + 1] = pos = packOne(keys[k], k, pos);
  }
  for (; i < count; i++) offsets[i + 1] = pos = packOne(keys[i], i, pos);
  // A use of the reads the compiler cannot prove dead; never true.
  if (touched < 0) offsets[0] = 0;
  return offsets;
}

/**
 * [bytes, offsets] for the native batch calls: an array of keys packed into the reused buffers
 * (valid until the next call), or the caller's {@link PackedKeys}-shaped object as given. Every
 * key of an array is validated before the call, so a bad one leaves the map unchanged.
 */
export function packKeys(keys: unknown): [Uint8Array, Uint32Array] {
  if (Array.isArray(keys)) {
    const count = keys.length;
    const offsets = packJs(keys, count); // first: packing may replace packBytes
    return [packBytes, offsets.subarray(0, count + 1)];
  }
  if (typeof keys === 'object' && keys !== null && !ArrayBuffer.isView(keys)) {
    // The native side checks both fields' types and every offset.
    const { bytes, offsets } = keys as { bytes: Uint8Array; offsets: Uint32Array };
    return [bytes, offsets];
  }
  throw typeError('an array of keys or { bytes: Uint8Array, offsets: Uint32Array }', 'keys', keys);
}
