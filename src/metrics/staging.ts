// The JavaScript half of the aggregator's hot path: the typed-array staging
// buffers, the handle whose record() is two writes into them, and the key and
// value checks that run before anything is staged.
import { rangeError, typeError } from '../runtime/errors';

const TWO32 = 4294967296;
const KEY_RANGE = 'an integer in [0, 2^53) or a bigint in [0, 2^64)';

/** The error for a value that is not a finite number (RangeError for NaN/±Infinity). */
export function badValue(value: unknown, what = 'value'): Error {
  return typeof value === 'number'
    ? rangeError('a finite number', what, value)
    : typeError('a finite number', what, value);
}

/**
 * The staging buffers, shared by the aggregator and its handles. A handle writes its id and the
 * value and flushes when the batch is full: the whole hot path.
 */
export class Staging {
  ids: Uint32Array;
  values: Float64Array;
  n = 0;
  capacity: number;
  // Keys staged with keyed events: u64 as little-endian (lo, hi) word pairs,
  // byte keys packed with offsets.
  keyWords: Uint32Array;
  keyU64: BigUint64Array;
  keyBytes: Uint8Array;
  keyOffsets: Uint32Array;
  nkeys = 0;
  bytePos = 0;

  constructor(
    batch: number,
    bytesKeys: boolean,
    readonly flush: () => void,
  ) {
    this.capacity = batch;
    this.ids = new Uint32Array(batch);
    this.values = new Float64Array(batch);
    this.keyU64 = new BigUint64Array(bytesKeys ? 0 : batch);
    this.keyWords = new Uint32Array(this.keyU64.buffer);
    this.keyBytes = new Uint8Array(bytesKeys ? 16 * batch : 0);
    this.keyOffsets = new Uint32Array(bytesKeys ? batch + 1 : 0);
  }

  reset(): void {
    this.n = 0;
    this.nkeys = 0;
    this.bytePos = 0;
  }

  // After close: the next handle.record lands past the (now empty) arrays and
  // reaches flush, which throws the closed error.
  neuter(): void {
    this.reset();
    this.capacity = 1;
    this.ids = new Uint32Array(0);
    this.values = new Float64Array(0);
  }
}

/** A key resolved once, for the hot path: see {@link Aggregator.handle}. */
export interface AggHandle {
  /** Records one event for the handle's key. Throws for a value that is not a finite number. */
  record(value: number): void;
}

/** A key resolved natively once; record() stages (id, value). */
export class Handle implements AggHandle {
  constructor(
    private readonly s: Staging,
    readonly id: number,
  ) {}

  record(value: number): void {
    if (typeof value !== 'number' || value - value !== 0) throw badValue(value);
    const s = this.s;
    const n = s.n;
    s.ids[n] = this.id;
    s.values[n] = value;
    if ((s.n = n + 1) >= s.capacity) s.flush();
  }
}

/** 'key' for record(), 'keys[i]' for recordBatch: built only when an error or handle needs it. */
export function keyName(index: number): string {
  return index < 0 ? 'key' : `keys[${index}]`;
}

/** A label value as text: strings as they are, numbers in decimal, missing as ''. */
export function labelText(v: unknown, index: number, name: string): string {
  if (typeof v === 'string') return v;
  if (v === undefined) return '';
  if (typeof v === 'number') return String(v);
  throw typeError('a string or number', `${keyName(index)}.${name}`, v);
}

/** Writes a u64 key (number below 2^53 or bigint) as little-endian (lo, hi) words at out[at]. */
export function u64Words(key: unknown, what: string, out: Uint32Array, at: number): void {
  if (typeof key === 'number') {
    if (key >>> 0 === key) {
      out[at] = key;
      out[at + 1] = 0;
      return;
    }
    if (Number.isSafeInteger(key) && key >= 0) {
      const lo = key % TWO32;
      out[at] = lo;
      out[at + 1] = (key - lo) / TWO32;
      return;
    }
    throw rangeError(KEY_RANGE, what, key);
  }
  if (typeof key === 'bigint') {
    if (key < 0n || key >= 18446744073709551616n) throw rangeError(KEY_RANGE, what, key);
    out[at] = Number(key & 0xffffffffn);
    out[at + 1] = Number(key >> 32n);
    return;
  }
  throw typeError('a number or bigint', what, key);
}
