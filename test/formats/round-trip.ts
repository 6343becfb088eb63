import fc from 'fast-check';
import { expect } from 'vitest';
import type { PageTableFormat } from '../../src/mmu/formats/format.js';

/**
 * Checks `decode(encode(fields)) == fields` and the entry width for random
 * (format, level, fields) drawn from `formats` and `validFields`.
 */
export function assertRoundTrip<T>(
  formats: PageTableFormat[],
  validFields: (format: PageTableFormat, level: number) => fc.Arbitrary<T>,
  encode: (fields: T, format: PageTableFormat, level: number) => bigint,
  decode: (value: bigint, format: PageTableFormat, level: number) => T,
): void {
  const cases = fc
    .constantFrom(...formats)
    .chain((format) => fc.integer({ min: 0, max: format.levels.length - 1 }).chain((level) => validFields(format, level).map((fields) => ({ format, level, fields }))));
  fc.assert(
    fc.property(cases, ({ format, level, fields }) => {
      const value = encode(fields, format, level);
      expect(value < 1n << BigInt(format.pteSize * 8)).toBe(true);
      expect(decode(value, format, level)).toEqual(fields);
    }),
    { numRuns: 2000 },
  );
}
