// The protobuf scrape's byte writer against protobufjs' own Writer: for any sequence of varints
// (up to 2^53), sint values, doubles, strings (any UTF-16, lone surrogates included) and nested
// messages of any length, whatever room each fork leaves for its length, the bytes are the same.
import * as fc from 'fast-check';
import * as protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';

import { ProtoBuffer, varintLength } from '../src/prom/proto-buffer';

type Field =
  | { kind: 'varint'; value: number }
  | { kind: 'sint'; value: number }
  | { kind: 'double'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'message'; room: number; fields: Field[] };

const { field } = fc.letrec<{ field: Field }>((tie) => ({
  field: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ kind: fc.constant('varint' as const), value: fc.maxSafeNat() }),
    fc.record({ kind: fc.constant('sint' as const), value: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) }),
    fc.record({ kind: fc.constant('double' as const), value: fc.double() }),
    fc.record({ kind: fc.constant('string' as const), value: fc.string({ unit: 'binary', maxLength: 200 }) }),
    fc.record({
      kind: fc.constant('message' as const),
      room: fc.integer({ min: 1, max: 3 }),
      fields: fc.array(tie('field'), { maxLength: 40 }),
    }),
  ),
}));

function ours(w: ProtoBuffer, fields: Field[]): void {
  for (const f of fields) {
    if (f.kind === 'varint') w.varint(f.value);
    else if (f.kind === 'sint') w.sint(f.value);
    else if (f.kind === 'double') w.double(f.value);
    else if (f.kind === 'string') w.string(f.value);
    else {
      w.fork(f.room);
      ours(w, f.fields);
      w.ldelim();
    }
  }
}

function theirs(w: protobuf.Writer, fields: Field[]): void {
  for (const f of fields) {
    if (f.kind === 'varint') w.uint64(f.value);
    else if (f.kind === 'sint') w.sint32(f.value);
    else if (f.kind === 'double') w.double(f.value);
    else if (f.kind === 'string') w.string(f.value);
    else {
      w.fork();
      theirs(w, f.fields);
      w.ldelim();
    }
  }
}

describe('ProtoBuffer', () => {
  it("writes the bytes protobufjs' Writer writes, whatever room a fork leaves for its length", () => {
    const w = new ProtoBuffer();
    fc.assert(
      fc.property(fc.array(field, { maxLength: 30 }), (fields) => {
        ours(w, fields);
        const expected = protobuf.Writer.create();
        theirs(expected, fields);
        expect(Buffer.from(w.finish()).equals(Buffer.from(expected.finish()))).toBe(true);
      }),
    );
  });

  it('moves a body whose length outgrew or undershot the room left for it', () => {
    const w = new ProtoBuffer();
    const body = 'x'.repeat(20_000); // a 3-byte length for the outer message, a 2-byte for the string
    expect(w.fork(1).string(body).ldelim()).toBe(3);
    const grown = w.finish();
    expect(w.fork(3).varint(1).ldelim()).toBe(1);
    expect([...w.finish()]).toEqual([1, 1]);
    const reader = protobuf.Reader.create(grown);
    expect(reader.uint32()).toBe(20_000 + 3);
    expect(reader.string()).toBe(body);
  });

  it('measures varints up to 2^53', () => {
    for (const n of [0, 127, 128, 16383, 16384, 2 ** 28 - 1, 2 ** 28, 2 ** 32, 2 ** 49, 2 ** 53 - 1]) {
      expect(varintLength(n)).toBe(protobuf.Writer.create().uint64(n).finish().length);
    }
  });
});
