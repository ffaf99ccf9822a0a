// A protobuf byte writer for the protobuf scrape's hot messages, writing straight into one
// growable byte buffer kept between scrapes. protobufjs' Writer queues an operation object per
// field and copies them out at finish(): with ~40 fields per native-histogram series that was
// tens of thousands of short-lived objects per 1000-series scrape, a quarter of its time in the
// garbage collector. Here a varint is a few byte stores and a double one DataView store. A
// length-delimited message reserves room for its length, as many bytes as the caller expects
// (what the previous message of its kind took), and moves its body only when that was wrong. Strings are measured and
// written with protobufjs' own UTF-8 helpers, so text bytes are those its Writer would produce,
// and what this writes is decoded by protobufjs in the tests.
import * as protobuf from 'protobufjs';

const INITIAL_BYTES = 64 * 1024;
// Past this, a scrape's buffer is not kept for the next scrape.
const KEEP_BYTES = 16 * 1024 * 1024;

/** The length of n's varint encoding (n a non-negative integer below 2^53). */
export function varintLength(n: number): number {
  if (n < 128) return 1;
  if (n < 16384) return 2;
  if (n < 2097152) return 3;
  if (n < 268435456) return 4;
  let length = 4;
  n = Math.floor(n / 268435456);
  while (n > 0) {
    n = Math.floor(n / 128);
    length++;
  }
  return length;
}

/** sint32/sint64's zigzag of an integer in ±2^52: 0, -1, 1, -2 → 0, 1, 2, 3. */
export function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

/**
 * Writes n (a non-negative integer below 2^53) as a varint at buf[pos], which has room for 10
 * bytes; returns the position after it. For loops that reserve room once and keep the position
 * in a local.
 */
export function putVarint(buf: Uint8Array, pos: number, n: number): number {
  if (n < 2147483648) {
    while (n > 127) {
      buf[pos++] = (n & 127) | 128;
      n >>>= 7;
    }
  } else {
    while (n > 127) {
      buf[pos++] = (n % 128) | 128;
      n = Math.floor(n / 128);
    }
  }
  buf[pos++] = n;
  return pos;
}

export class ProtoBuffer {
  /** The bytes; valid up to {@link pos}. A hot loop may write here after {@link reserve}. */
  buf = new Uint8Array(INITIAL_BYTES);
  private view = new DataView(this.buf.buffer);
  /** Where the next byte goes. */
  pos = 0;
  private readonly starts: number[] = [];

  /** Makes room for `bytes` more bytes at {@link pos} (buf may be replaced). */
  reserve(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.pos + bytes));
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
    this.view = new DataView(grown.buffer);
  }

  /** A varint: a tag, a length, or an unsigned value below 2^53. */
  varint(n: number): this {
    this.reserve(10);
    this.pos = putVarint(this.buf, this.pos, n);
    return this;
  }

  /** A sint32 or sint64 (zigzag varint). */
  sint(n: number): this {
    return this.varint(zigzag(n));
  }

  /** A double, little-endian. */
  double(v: number): this {
    this.reserve(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
    return this;
  }

  /** Bytes with their length in front (a string or a message encoded elsewhere). */
  bytes(data: Uint8Array): this {
    this.varint(data.length);
    this.reserve(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
    return this;
  }

  /** A string: its UTF-8 length, then its UTF-8 bytes (protobufjs' encoder). */
  string(s: string): this {
    const length = protobuf.util.utf8.length(s);
    this.varint(length);
    this.reserve(length);
    this.pos += protobuf.util.utf8.write(s, this.buf, this.pos);
    return this;
  }

  /**
   * Starts a length-delimited message; {@link ldelim} ends it. `lengthBytes` is room left for the
   * length: when the body's length takes as many bytes, nothing moves. Pass what the previous
   * message of the kind took (see {@link ldelim}'s result).
   */
  fork(lengthBytes = 1): this {
    this.reserve(lengthBytes);
    this.starts.push(this.pos, lengthBytes);
    this.pos += lengthBytes;
    return this;
  }

  /**
   * Ends the innermost forked message, writing its length in front of it (moving the body when
   * the room left for the length was not its size).
   *
   * @returns how many bytes the length took
   */
  ldelim(): number {
    const room = this.starts.pop()!;
    const start = this.starts.pop()!;
    const length = this.pos - start - room;
    const size = varintLength(length);
    if (size !== room) {
      this.reserve(size - room);
      this.buf.copyWithin(start + size, start + room, this.pos);
      this.pos += size - room;
    }
    putVarint(this.buf, start, length);
    return size;
  }

  /** The bytes written, copied out; the buffer is emptied for the next message. */
  finish(): Uint8Array {
    const out = this.buf.slice(0, this.pos);
    this.pos = 0;
    this.starts.length = 0;
    if (this.buf.length > KEEP_BYTES) {
      this.buf = new Uint8Array(INITIAL_BYTES);
      this.view = new DataView(this.buf.buffer);
    }
    return out;
  }
}
