// WTF-8: the lossless byte encoding of JavaScript strings StrMap keys use.
// A well-formed string encodes to exactly its UTF-8 bytes; a lone surrogate
// (U+D800..U+DFFF not part of a pair) encodes as its 3-byte generalized UTF-8
// form ED A0..BF 80..BF, so '\uD800', '\uDC00' and '\uFFFD' stay three keys.
// A surrogate pair always encodes as the 4-byte form of its code point, never
// as two 3-byte halves, so every string has exactly one encoding.

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Writes the WTF-8 encoding of s into buf at pos and returns the position
 * after it. buf must have room for 3 bytes per UTF-16 code unit.
 */
export function encodeWtf8Into(s: string, buf: Uint8Array, pos: number): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      buf[pos++] = c;
    } else if (c < 0x800) {
      buf[pos++] = 0xc0 | (c >> 6);
      buf[pos++] = 0x80 | (c & 0x3f);
    } else {
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
          buf[pos++] = 0xf0 | (c >> 18);
          buf[pos++] = 0x80 | ((c >> 12) & 0x3f);
          buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
          buf[pos++] = 0x80 | (c & 0x3f);
          continue;
        }
      }
      // Any other BMP code unit, a lone surrogate included.
      buf[pos++] = 0xe0 | (c >> 12);
      buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
      buf[pos++] = 0x80 | (c & 0x3f);
    }
  }
  return pos;
}

/** The WTF-8 encoding of s as a new Uint8Array. */
export function encodeWtf8(s: string): Uint8Array {
  const buf = new Uint8Array(s.length * 3);
  return buf.slice(0, encodeWtf8Into(s, buf, 0));
}

// Decodes bytes that are valid WTF-8 but not valid UTF-8 (they hold at least
// one encoded lone surrogate); null when they are not WTF-8 either.
function decodeGeneralized(b: Uint8Array): string | null {
  const units: number[] = [];
  let prevLead = false; // the previous code point was an encoded lead surrogate
  for (let i = 0; i < b.length;) {
    const x = b[i];
    let cp: number;
    let need: number;
    let min: number;
    if (x < 0x80) {
      cp = x;
      need = 0;
      min = 0;
    } else if (x >= 0xc2 && x <= 0xdf) {
      cp = x & 0x1f;
      need = 1;
      min = 0x80;
    } else if (x >= 0xe0 && x <= 0xef) {
      cp = x & 0x0f;
      need = 2;
      min = 0x800;
    } else if (x >= 0xf0 && x <= 0xf4) {
      cp = x & 0x07;
      need = 3;
      min = 0x10000;
    } else {
      return null;
    }
    for (let k = 1; k <= need; k++) {
      const y = b[i + k];
      if (y === undefined || (y & 0xc0) !== 0x80) return null;
      cp = (cp << 6) | (y & 0x3f);
    }
    if (cp < min || cp > 0x10ffff) return null;
    const isLead = cp >= 0xd800 && cp <= 0xdbff;
    const isTrail = cp >= 0xdc00 && cp <= 0xdfff;
    // An encoded surrogate pair is not WTF-8: the pair has a 4-byte form.
    if (isTrail && prevLead) return null;
    prevLead = isLead;
    if (cp >= 0x10000) {
      units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
    } else {
      units.push(cp);
    }
    i += need + 1;
  }
  let s = '';
  for (let i = 0; i < units.length; i += 4096) s += String.fromCharCode(...units.slice(i, i + 4096));
  return s;
}

/**
 * The string whose WTF-8 encoding is bytes, or null when bytes are not
 * valid WTF-8 (such a key can only have been set as a Uint8Array).
 */
export function decodeWtf8(bytes: Uint8Array): string | null {
  const n = bytes.length;
  if (n <= 24) {
    // Short ASCII keys (the common case) without TextDecoder's per-call cost.
    let s = '';
    let i = 0;
    for (; i < n; i++) {
      const c = bytes[i];
      if (c >= 0x80) break;
      s += String.fromCharCode(c);
    }
    if (i === n) return s;
  }
  try {
    return utf8.decode(bytes);
  } catch {
    return decodeGeneralized(bytes);
  }
}
