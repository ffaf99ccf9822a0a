// Hostile pinned files: anything that is not a whole pinned map of this
// layout ends in an Error whose err.code says what is wrong, never a crash
// or a read outside the mapping. Header offsets are those of docs/FORMAT.md.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { BpfMap, kernels } from '../src/index';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tophash-pinhostile-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let files = 0;
const fresh = (): string => path.join(dir, `f${files++}`);

const HEADER_BYTES = 96; // the checksummed header struct
const READY_AT = 16;
const CHECKSUM_AT = 88;

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    return (err as { code: string }).code;
  }
  return 'OK';
}

// A pinned file of a small map, as bytes.
function pinnedBytes(type: 'hash' | 'lru_hash' = 'hash'): Buffer {
  const file = fresh();
  const m = new BpfMap({ type, keySize: 4, valueSize: 8, maxEntries: 8 });
  for (let i = 0; i < 5; i++) m.update(Uint8Array.of(i, 0, 0, 0), new Uint8Array(8).fill(i));
  m.pin(file);
  m.close();
  const bytes = fs.readFileSync(file);
  fs.unlinkSync(file);
  return bytes;
}

// The header's checksum (FNV-1a 64 over the header with ready and checksum zeroed).
function resign(bytes: Buffer): void {
  const h = Buffer.from(bytes.subarray(0, HEADER_BYTES));
  h.writeUInt32LE(0, READY_AT);
  h.writeBigUInt64LE(0n, CHECKSUM_AT);
  let sum = 0xcbf29ce484222325n;
  for (const b of h) sum = ((sum ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  bytes.writeBigUInt64LE(sum, CHECKSUM_AT);
}

function openBytes(bytes: Uint8Array): string {
  const file = fresh();
  fs.writeFileSync(file, bytes);
  return codeOf(() => BpfMap.open(file).close());
}

describe.runIf(process.platform === 'linux' && os.endianness() === 'LE')('hostile pinned files', () => {
  it('a whole file opens, and re-signing an unchanged header keeps it valid', () => {
    const bytes = pinnedBytes();
    resign(bytes);
    expect(openBytes(bytes)).toBe('OK');
  });

  it.each([
    ['empty', () => new Uint8Array(0), 'ERR_PIN_TRUNCATED'],
    ['shorter than the header', () => pinnedBytes().subarray(0, 40), 'ERR_PIN_TRUNCATED'],
    ['cut inside the records', () => pinnedBytes().subarray(0, 600), 'ERR_PIN_TRUNCATED'],
    ['not a pinned map', () => Buffer.alloc(4096, 0x41), 'ERR_PIN_FORMAT'],
  ])('%s', (_, bytes, code) => {
    expect(openBytes(bytes())).toBe(code);
  });

  it.each([
    ['magic', 0, 'ERR_PIN_FORMAT'],
    ['layout version', 8, 'ERR_PIN_VERSION'],
    ['endianness mark', 12, 'ERR_PIN_ENDIAN'],
    ['key size (checksum)', 24, 'ERR_PIN_CORRUPT'],
    ['maxEntries (checksum)', 32, 'ERR_PIN_CORRUPT'],
    ['seed (checksum)', 56, 'ERR_PIN_CORRUPT'],
    ['checksum itself', CHECKSUM_AT, 'ERR_PIN_CORRUPT'],
  ])('a changed %s', (_, at, code) => {
    const bytes = pinnedBytes();
    bytes[at] ^= 0x5a;
    expect(openBytes(bytes)).toBe(code);
  });

  it.each([
    ['a lock size of another C library', 44, 41, 'ERR_PIN_VERSION'],
    ['an unknown map type', 20, 7, 'ERR_PIN_CORRUPT'],
    ['a key size out of range', 24, 300, 'ERR_PIN_CORRUPT'],
    ['a bucket count that does not fit maxEntries', 36, 2, 'ERR_PIN_CORRUPT'],
    ['a record stride that does not fit the sizes', 40, 8, 'ERR_PIN_CORRUPT'],
    ['an unknown hash family', 48, 9, 'ERR_PIN_CORRUPT'],
  ])('a re-signed header with %s', (_, at, v, code) => {
    const bytes = pinnedBytes();
    bytes.writeUInt32LE(v, at);
    resign(bytes);
    expect(openBytes(bytes)).toBe(code);
  });

  it('a header claiming more bytes than the file, re-signed', () => {
    const bytes = pinnedBytes();
    bytes.writeUInt32LE(1 << 20, 32); // maxEntries, with a matching layout
    bytes.writeUInt32LE(1 << 20, 36);
    const total = 256n + (1n << 20n) * 64n + (1n << 20n) * 40n;
    bytes.writeBigUInt64LE(256n + (1n << 20n) * 64n, 72);
    bytes.writeBigUInt64LE(total, 80);
    resign(bytes);
    expect(openBytes(bytes)).toBe('ERR_PIN_TRUNCATED');
  });

  it('a file whose creator died before finishing it (ready 0)', () => {
    const bytes = pinnedBytes();
    bytes.writeUInt32LE(0, READY_AT);
    expect(openBytes(bytes)).toBe('ERR_PIN_CORRUPT');
  });

  it('garbage links and records give answers or codes, never a crash', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const bytes = pinnedBytes(seed % 2 ? 'hash' : 'lru_hash');
      let x = seed * 2654435761;
      const rnd = (): number => ((x = (x * 1103515245 + 12345) >>> 0) >>> 8) & 0xff;
      // Bucket heads, counts and journals (not the lock words), the free list
      // head and the records: anything a writer could leave behind.
      for (let b = 0; b < 8; b++) for (let i = 48; i < 64; i++) if (rnd() < 64) bytes[256 + b * 64 + i] = rnd();
      for (let i = 192; i < 200; i++) if (rnd() < 64) bytes[i] = rnd();
      for (let i = 256 + 8 * 64; i < bytes.length; i++) if (rnd() < 32) bytes[i] = rnd();
      const file = fresh();
      fs.writeFileSync(file, bytes);
      using m = BpfMap.open(file);
      for (let i = 0; i < 12; i++) {
        const k = Uint8Array.of(i, 0, 0, 0);
        codeOf(() => m.update(k, new Uint8Array(8).fill(i)));
        m.lookup(k);
        codeOf(() => m.delete(k));
      }
      expect([...m].length).toBeLessThanOrEqual(8 * 8);
      expect(m.size).toBeGreaterThanOrEqual(0);
    }
  });

  it('argument and path errors', () => {
    expect(codeOf(() => BpfMap.open(path.join(dir, 'missing')))).toBe('ENOENT');
    expect(() => BpfMap.open(42 as unknown as string)).toThrow(TypeError);
    expect(() => BpfMap.open('')).toThrow(RangeError);
    expect(() => BpfMap.open(fresh(), { seed: 1 } as never)).toThrow(/options/);
    const notPinned = fresh();
    fs.writeFileSync(notPinned, Buffer.alloc(300, 1));
    expect(codeOf(() => BpfMap.unpin(notPinned))).toBe('ERR_PIN_FORMAT');
    expect(fs.existsSync(notPinned)).toBe(true);

    using m = new BpfMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 8 });
    expect(codeOf(() => m.pin(notPinned))).toBe('EEXIST');
    expect(m.pinnedPath).toBeUndefined();
    const file = fresh();
    m.pin(file);
    expect(codeOf(() => m.pin(fresh()))).toBe('EINVAL');
  });

  it('a hash kernel of another family than the file is ERR_PIN_HASH', () => {
    const file = fresh();
    using m = new BpfMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 8, hash: 'fold' });
    m.pin(file);
    const aes = kernels().find((k) => k.kind === 'hash' && k.name === 'aes-portable');
    expect(aes?.supported).toBe(true);
    expect(codeOf(() => BpfMap.open(file, { hash: 'aes-portable' }))).toBe('ERR_PIN_HASH');
    using o = BpfMap.open(file);
    expect(o.stats().hash).toBe('fold');
  });
});
