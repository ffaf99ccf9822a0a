// Packing a StrMap batch given as an array of keys into the {bytes, offsets}
// the native batch methods take, in reused buffers. Strings can cross the
// boundary several ways (README, Design; bench/string-transfer.ts measures
// them); `packer` picks one, and every way produces the same bytes.
import { rangeError, typeError } from './errors';
import { native } from './native';
import { encodeWtf8Into } from './wtf8';

/** The longest key StrMap accepts, in bytes (64 KiB). */
export const MAX_KEY_BYTES = 64 * 1024;

/**
 * How string[] batches reach native code (internal; tests and bench/string-transfer.ts force each):
 * - `js`: encoded to WTF-8 in JavaScript (a loop for short strings, `TextEncoder.encodeInto`
 *   for long well-formed ones);
 * - `napi-utf16` / `napi-utf8`: one Node-API read per string, as UTF-16 encoded natively, or as
 *   V8's UTF-8 with a UTF-16 re-read of any key holding U+FFFD's bytes;
 * - `joined-utf16` / `joined-utf8` / `joined-latin1`: `keys.join('')` and each key's length, read
 *   in one call as UTF-16, as V8's UTF-8 kept when it is all ASCII, or as Latin-1 (a copy) after
 *   a regular-expression check that the string is ASCII.
 */
export type StringPacker = 'js' | 'napi-utf16' | 'napi-utf8' | 'joined-utf16' | 'joined-utf8' | 'joined-latin1';

/** Every {@link StringPacker}, for tests and the transfer benchmark. */
export const STRING_PACKERS: readonly StringPacker[] = [
  'js',
  'napi-utf16',
  'napi-utf8',
  'joined-utf16',
  'joined-utf8',
  'joined-latin1',
];

// Strings up to this many code units are encoded by the JS loop, longer ones
// by TextEncoder.encodeInto (which costs a subarray and a call per string):
// encodeInto overtakes the loop somewhere past 64 code units.
const SHORT_STRING = 64;
const encoder = new TextEncoder();
const keyLimit = `a key of at most ${MAX_KEY_BYTES} bytes`;
// eslint-disable-next-line no-control-regex -- NUL..DEL is exactly ASCII
const ASCII_ONLY = /^[\x00-\x7f]*$/;

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
let packLengths = new Uint32Array(1024);
// UTF-16 scratch for the native packers, made on first use.
let packUnits = new Uint16Array(0);

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

function unitsFor(count: number): Uint16Array {
  if (packUnits.length < count) packUnits = new Uint16Array(Math.max(count, packUnits.length * 2));
  return packUnits;
}

// Appends keys[i] (k) at pos; returns the end. Throws for a bad key.
function packOne(k: unknown, i: number, pos: number): number {
  if (typeof k === 'string') {
    const n = k.length;
    if (n > MAX_KEY_BYTES) throw rangeError(keyLimit, `keys[${i}]`, k);
    if (pos + n * 3 > packBytes.length) growPackBytes(pos + n * 3);
    const end = encodeKeyAt(k, packBytes, pos);
    if (end - pos > MAX_KEY_BYTES) throw rangeError(keyLimit, `keys[${i}]`, k);
    return end;
  }
  if (isBytes(k)) {
    if (k.length > MAX_KEY_BYTES) throw rangeError(keyLimit, `keys[${i}]`, k);
    if (pos + k.length > packBytes.length) growPackBytes(pos + k.length);
    packBytes.set(k, pos);
    return pos + k.length;
  }
  throw typeError('a string or Uint8Array', `keys[${i}]`, k);
}

function packJs(keys: readonly unknown[], count: number): Uint32Array {
  const offsets = offsetsFor(count);
  let pos = 0;
  for (let i = 0; i < count; i++) offsets[i + 1] = pos = packOne(keys[i], i, pos);
  return offsets;
}

// One Node-API read per element; any element the native side leaves (not a
// string, too long, no room) is packed here and the native side resumes.
function packPerString(keys: readonly unknown[], count: number, viaUtf8: boolean): Uint32Array {
  const offsets = offsetsFor(count);
  const units = unitsFor(MAX_KEY_BYTES + 2);
  let i = 0;
  for (;;) {
    i = native.packStrings(keys, i, packBytes, offsets, units, viaUtf8);
    if (i >= count) return offsets;
    const pos = packOne(keys[i], i, offsets[i]);
    offsets[++i] = pos;
    // Out of room is what usually stops the native side: double ahead.
    if (packBytes.length - pos < 4 * 1024) growPackBytes(packBytes.length * 2);
  }
}

// The whole batch as one string plus each key's length in code units.
function packJoinedString(keys: readonly unknown[], count: number, mode: 0 | 1 | 2): Uint32Array {
  if (packLengths.length < count) packLengths = new Uint32Array(Math.max(count, packLengths.length * 2));
  const lengths = packLengths;
  let total = 0;
  for (let i = 0; i < count; i++) {
    const k = keys[i];
    // Byte keys, and the errors in the JS packer's words, go the JS way.
    if (typeof k !== 'string' || k.length > MAX_KEY_BYTES) return packJs(keys, count);
    lengths[i] = k.length;
    total += k.length;
  }
  const joined = (keys as string[]).join('');
  // An array whose elements change under us (getters, proxies): the JS way.
  if (joined.length !== total) return packJs(keys, count);
  if (mode === 2 && !ASCII_ONLY.test(joined)) mode = 0;
  if (3 * total + 1 > packBytes.length) packBytes = new Uint8Array(Math.max(3 * total + 1, packBytes.length * 2));
  const offsets = offsetsFor(count);
  const units = mode === 2 ? packUnits : unitsFor(total + 1);
  const written = native.packJoined(joined, lengths.subarray(0, count), packBytes, offsets, units, mode);
  return written < 0 ? packJs(keys, count) : offsets;
}

// The JS packer: in bench/string-transfer.ts (results in bench/results) it
// beat every native way for 1e5 and 1e6 fresh 'user:<n>' strings, ASCII and
// mixed, because each native way pays more per key than the whole JS loop
// does: a napi_get_element plus a string read per element (~2x), or
// keys.join('') alone, before any native work, for the joined ways.
let defaultPacker: StringPacker = 'js';

/**
 * Makes `packer` the way StrMap packs string[] batches from now on (internal: for tests and
 * bench/string-transfer.ts); returns the previous one.
 */
export function setStringPacker(packer: StringPacker): StringPacker {
  if (!STRING_PACKERS.includes(packer)) throw typeError('a string packer name', 'packer', packer);
  const previous = defaultPacker;
  defaultPacker = packer;
  return previous;
}

/**
 * [bytes, offsets] for the native batch calls: an array of keys packed into the reused buffers
 * (valid until the next call), or the caller's {@link PackedKeys}-shaped object as given. Every
 * key of an array is validated before the call, so a bad one leaves the map unchanged.
 */
export function packKeys(keys: unknown, packer: StringPacker = defaultPacker): [Uint8Array, Uint32Array] {
  if (Array.isArray(keys)) {
    const count = keys.length;
    let offsets: Uint32Array;
    switch (packer) {
      case 'napi-utf16':
      case 'napi-utf8':
        offsets = packPerString(keys, count, packer === 'napi-utf8');
        break;
      case 'joined-utf16':
        offsets = packJoinedString(keys, count, 0);
        break;
      case 'joined-utf8':
        offsets = packJoinedString(keys, count, 1);
        break;
      case 'joined-latin1':
        offsets = packJoinedString(keys, count, 2);
        break;
      default:
        offsets = packJs(keys, count);
    }
    return [packBytes, offsets.subarray(0, count + 1)];
  }
  if (typeof keys === 'object' && keys !== null && !ArrayBuffer.isView(keys)) {
    // The native side checks both fields' types and every offset.
    const { bytes, offsets } = keys as { bytes: Uint8Array; offsets: Uint32Array };
    return [bytes, offsets];
  }
  throw typeError('an array of keys or { bytes: Uint8Array, offsets: Uint32Array }', 'keys', keys);
}
