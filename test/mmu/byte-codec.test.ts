// The byte codec of saved states: CRC-32 as zlib computes it (eight bytes a step, checked against a byte at a time and
// the standard check value), strings as UTF-16 code units (lone surrogates kept), and integers in LEB128.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter, crc32 } from '../../src/mmu/byte-codec.js';
import { SavedStateError } from '../../src/index.js';

/** CRC-32 a bit at a time, straight from the polynomial: the reference. */
function crcByBits(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('byte codec', () => {
  it('computes the CRC-32 check value of "123456789" (0xCBF43926) and of nothing (0)', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('computes the CRC-32 of any bytes, at any offset and length, as the bit-at-a-time reference does (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(7), (data, skip) => {
        const view = data.subarray(Math.min(skip, data.length));
        expect(crc32(view)).toBe(crcByBits(view));
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips strings (lone surrogates included), integers below 2^53 and floats', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary' })), fc.array(fc.maxSafeNat()), fc.array(fc.double()), (strings, ints, floats) => {
        const out = new ByteWriter();
        for (const s of strings) out.string(s);
        for (const n of ints) out.varuint(n);
        for (const f of floats) out.f64(f);
        const input = new ByteReader(out.finish());
        expect(strings.map(() => input.string())).toEqual(strings);
        expect(ints.map(() => input.varuint())).toEqual(ints);
        expect(floats.map(() => input.f64())).toEqual(floats);
        expect(input.remaining).toBe(0);
      }),
      { numRuns: 100 },
    );
    const lone = 'a\ud800b';
    const out = new ByteWriter();
    out.string(lone);
    expect(new ByteReader(out.finish()).string()).toBe(lone);
  });

  it('refuses to read past the end or to announce more items than bytes left, as a SavedStateError', () => {
    const out = new ByteWriter();
    out.varuint(1000);
    const bytes = out.finish();
    expect(() => new ByteReader(bytes).count(4)).toThrow(SavedStateError);
    expect(() => new ByteReader(bytes).string()).toThrow(SavedStateError);
    expect(() => new ByteReader(new Uint8Array([0x80, 0x80])).varuint()).toThrow(SavedStateError);
  });
});
