// Reading and patching snapshot files by the offsets docs/FORMAT.md gives,
// with a CRC32C written from its description: the hostile-file tests damage
// files on purpose, and re-sealing a section's checksum is how they reach
// the checks behind it.
import * as fs from 'node:fs';

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, i) => {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  return c >>> 0;
});

export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export const HEADER = 128;
export const SECTION = 32;
export const BUCKET = 144;

/** A snapshot's bytes with typed access to the fields FORMAT.md lists. */
export class SnapshotBytes {
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  static read(file: string): SnapshotBytes {
    return new SnapshotBytes(new Uint8Array(fs.readFileSync(file)));
  }
  write(file: string): void {
    fs.writeFileSync(file, this.bytes);
  }
  u32(at: number): number {
    return this.view.getUint32(at, true);
  }
  setU32(at: number, v: number): this {
    this.view.setUint32(at, v, true);
    return this;
  }
  u64(at: number): bigint {
    return this.view.getBigUint64(at, true);
  }
  setU64(at: number, v: bigint): this {
    this.view.setBigUint64(at, v, true);
    return this;
  }
  get sectionCount(): number {
    return this.u32(80);
  }
  /** Offset, length and stored checksum of section i (0 = buckets, 1 = overflow). */
  section(i: number): { offset: number; length: number; crc: number } {
    const at = HEADER + i * SECTION;
    return { offset: Number(this.u64(at + 8)), length: Number(this.u64(at + 16)), crc: this.u32(at + 4) };
  }
  /** Recomputes section i's checksum and then the header's. */
  sealSection(i: number): this {
    const s = this.section(i);
    this.setU32(HEADER + i * SECTION + 4, crc32c(this.bytes.subarray(s.offset, s.offset + s.length)));
    return this.sealHeader();
  }
  /** Recomputes the header checksum over bytes 0..123 and the section table. */
  sealHeader(): this {
    const table = HEADER + this.sectionCount * SECTION;
    const covered = new Uint8Array(124 + this.sectionCount * SECTION);
    covered.set(this.bytes.subarray(0, 124));
    covered.set(this.bytes.subarray(HEADER, table), 124);
    return this.setU32(124, crc32c(covered));
  }
  flip(at: number, bit = 0): this {
    this.bytes[at] ^= 1 << bit;
    return this;
  }
}
