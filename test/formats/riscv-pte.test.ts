import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/mmu/errors.js';
import { type PageTableFormat, SV32, SV39, SV48, SV57, X86_64 } from '../../src/mmu/formats/format.js';
import {
  RISCV_PBMT,
  type RiscvPteFields,
  decodeRiscvPte,
  encodeRiscvPte,
  readRiscvPte,
  writeRiscvPte,
} from '../../src/mmu/formats/riscv.js';
import { PhysicalMemory } from '../../src/mmu/physical-memory.js';
import { assertRoundTrip } from './round-trip.js';

/** Any field set encode accepts (without allowReserved) at (format, level). */
function validFields(format: PageTableFormat, level: number): fc.Arbitrary<RiscvPteFields> {
  const wide = format.pteSize === 8;
  const last = level === format.levels.length - 1;
  // R/W/X combinations without the reserved W-only and W+X-only ones: 0 is a pointer.
  return fc.constantFrom(0b000, 0b001, 0b011, 0b100, 0b101, 0b111).chain((rwx) => {
    const leaf = rwx !== 0;
    return fc.boolean().chain((n) => {
      const napot = wide && leaf && last && n;
      const shift = napot ? 16 : leaf ? format.levels[level].leafShift : 12;
      const maybe = (allowed: boolean) => (allowed ? fc.boolean() : fc.constant(false));
      return fc.record({
        valid: fc.boolean(),
        read: fc.constant((rwx & 1) !== 0),
        write: fc.constant((rwx & 2) !== 0),
        execute: fc.constant((rwx & 4) !== 0),
        user: maybe(leaf),
        global: fc.boolean(),
        accessed: maybe(leaf),
        dirty: maybe(leaf),
        rsw: fc.integer({ min: 0, max: 3 }),
        address: fc.integer({ min: 0, max: 2 ** (format.paBits - shift) - 1 }).map((k) => k * 2 ** shift),
        pbmt: wide && leaf ? fc.integer({ min: 0, max: 2 }) : fc.constant(0),
        napot: fc.constant(napot),
      });
    });
  });
}

describe('encodeRiscvPte / decodeRiscvPte', () => {
  it('round-trip every format and level, superpages and NAPOT pages included', () => {
    assertRoundTrip([SV32, SV39, SV48, SV57], validFields, encodeRiscvPte, decodeRiscvPte);
  });

  it('place PPN at bits 53:10, RSW at 9:8, PBMT at 62:61 and N at 63 (Sv39 PTE figure)', () => {
    const value = encodeRiscvPte(
      { valid: true, read: true, write: true, accessed: true, dirty: true, rsw: 2, pbmt: RISCV_PBMT.IO, address: 0xff_ffff_ffff_f000 },
      SV39,
      2,
    );
    expect(value).toBe((2n << 61n) | (((1n << 44n) - 1n) << 10n) | (2n << 8n) | 0xc7n);
  });

  it('encode a 64 KiB NAPOT PTE with PPN bits 3:0 = 1000 (Svnapot)', () => {
    const value = encodeRiscvPte({ valid: true, read: true, napot: true, address: 0x8001_0000 }, SV39, 2);
    expect(value).toBe((1n << 63n) | ((0x80010n | 0b1000n) << 10n) | 0x3n);
    expect(decodeRiscvPte(value, SV39)).toMatchObject({ napot: true, address: 0x8001_0000 });
  });

  it('encode Sv32 PTEs in 32 bits with a 22-bit PPN (34-bit physical address)', () => {
    const value = encodeRiscvPte({ valid: true, read: true, address: 0x3_ffff_f000 }, SV32, 1);
    expect(value).toBe(0xffff_fc03n);
  });
});

describe('encodeRiscvPte validation', () => {
  const reserved: [string, Partial<RiscvPteFields>, PageTableFormat, number][] = [
    ['W without R', { write: true }, SV39, 2],
    ['W+X without R', { write: true, execute: true }, SV39, 2],
    ['PBMT = 3', { read: true, pbmt: 3 }, SV39, 2],
    ['PBMT in a non-leaf PTE', { pbmt: 1 }, SV39, 0],
    ['N in a non-leaf PTE', { napot: true }, SV39, 0],
    ['D in a non-leaf PTE', { dirty: true }, SV39, 0],
    ['A in a non-leaf PTE', { accessed: true }, SV39, 0],
    ['U in a non-leaf PTE', { user: true }, SV39, 0],
    ['N above the last level', { read: true, napot: true }, SV39, 1],
    ['a misaligned megapage', { read: true, address: 0x1000 }, SV39, 1],
    ['a misaligned Sv32 megapage', { read: true, address: 0x1000 }, SV32, 0],
    ['a misaligned Sv48 terapage', { read: true, address: 2 ** 30 }, SV48, 0],
    ['a NAPOT page not 64 KiB aligned', { read: true, napot: true, address: 0x1000 }, SV39, 2],
  ];
  for (const [what, fields, format, level] of reserved) {
    it(`rejects ${what} unless allowReserved`, () => {
      expect(() => encodeRiscvPte({ valid: true, ...fields }, format, level)).toThrow(InvalidArgumentError);
      expect(() => encodeRiscvPte({ valid: true, ...fields }, format, level, { allowReserved: true })).not.toThrow();
    });
  }

  const invalid: [string, Partial<RiscvPteFields>, PageTableFormat, number][] = [
    ['PBMT in Sv32', { read: true, pbmt: 1 }, SV32, 1],
    ['N in Sv32', { read: true, napot: true }, SV32, 1],
    ['rsw 4', { rsw: 4 }, SV39, 0],
    ['pbmt 4', { read: true, pbmt: 4 }, SV39, 2],
    ['an address not 4 KiB aligned', { address: 0x800 }, SV39, 0],
    ['an address at 2^56', { address: 2 ** 56 }, SV39, 0],
    ['an Sv32 address at 2^34', { address: 2 ** 34 }, SV32, 0],
    ['a level out of range', {}, SV39, 3],
    ['an x86 format', {}, X86_64, 0],
  ];
  for (const [what, fields, format, level] of invalid) {
    it(`rejects ${what} even with allowReserved`, () => {
      expect(() => encodeRiscvPte(fields, format, level, { allowReserved: true })).toThrow(InvalidArgumentError);
    });
  }
});

describe('readRiscvPte / writeRiscvPte', () => {
  it('honour the PTE size', () => {
    const mem = new PhysicalMemory({ size: 0x1000 });
    mem.write32(0x24, 0x1234_5678);
    writeRiscvPte(mem, 0x20, 0xcfn, SV32);
    expect(mem.read32(0x24)).toBe(0x1234_5678);
    writeRiscvPte(mem, 0x20, (1n << 63n) | 0xcfn, SV39);
    expect(readRiscvPte(mem, 0x20, SV39)).toBe((1n << 63n) | 0xcfn);
    expect(() => writeRiscvPte(mem, 0x20, 1n << 32n, SV32)).toThrow(InvalidArgumentError);
  });
});
