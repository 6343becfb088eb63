import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/mmu/errors.js';
import { type PageTableFormat, SV39, X86_32, X86_64, X86_64_LA57, X86_PAE } from '../../src/mmu/formats/format.js';
import { X86_PTE, X86_PTE_XD, type X86PteFields, decodeX86Pte, encodeX86Pte, readX86Pte, writeX86Pte } from '../../src/mmu/formats/x86.js';
import { PhysicalMemory } from '../../src/mmu/physical-memory.js';
import { assertRoundTrip } from './round-trip.js';

/** Any field set encode accepts at (format, level). */
function validFields(format: PageTableFormat, level: number): fc.Arbitrary<X86PteFields> {
  const last = level === format.levels.length - 1;
  const psAllowed = !last && format.levels[level].leafShift > 0;
  const pdpte = format.name === 'x86-pae' && level === 0;
  const wide = format.name === 'x86-64' || format.name === 'x86-64-la57';
  return fc.boolean().chain((ps) => {
    const pageSize = psAllowed && ps;
    const leaf = last || pageSize;
    const shift = pageSize ? format.levels[level].leafShift : 12;
    const addressBits = format.name === 'x86-32' ? (shift === 22 ? 40 : 32) : 52;
    const maybe = (allowed: boolean) => (allowed ? fc.boolean() : fc.constant(false));
    return fc.record({
      present: fc.boolean(),
      writable: maybe(!pdpte),
      user: maybe(!pdpte),
      writeThrough: fc.boolean(),
      cacheDisable: fc.boolean(),
      accessed: maybe(!pdpte),
      dirty: maybe(leaf),
      pageSize: fc.constant(pageSize),
      global: maybe(leaf),
      pat: maybe(leaf),
      noExecute: maybe(format.pteSize === 8 && !pdpte),
      address: fc.integer({ min: 0, max: 2 ** (addressBits - shift) - 1 }).map((k) => k * 2 ** shift),
      available: fc.integer({ min: 0, max: wide ? 1023 : 7 }),
    });
  });
}

describe('encodeX86Pte / decodeX86Pte', () => {
  it('round-trip every format and level, large pages included', () => {
    assertRoundTrip([X86_64, X86_64_LA57, X86_32, X86_PAE], validFields, encodeX86Pte, decodeX86Pte);
  });

  it('place the bits where the SDM tables put them (4-level PTE, Table 4-20)', () => {
    const value = encodeX86Pte(
      { present: true, writable: true, user: true, accessed: true, dirty: true, global: true, pat: true, noExecute: true, address: 0xf_ffff_ffff_f000, available: 0x3ff },
      X86_64,
      3,
    );
    expect(value).toBe(X86_PTE_XD | (0x7fn << 52n) | 0xf_ffff_ffff_f000n | 0xe00n | 0x1e7n);
  });

  it('encode a 1 GiB PDPTE with PAT in bit 12 (Table 4-16)', () => {
    expect(encodeX86Pte({ present: true, pageSize: true, pat: true, address: 0x4000_0000 }, X86_64, 1)).toBe(0x4000_1081n);
  });

  it('encode a PSE-36 4 MiB page: PA bits 39:32 in PDE bits 20:13 (Table 4-4)', () => {
    const value = encodeX86Pte({ present: true, pageSize: true, address: 0xab_ffc0_0000 }, X86_32, 0);
    expect(value).toBe(0xffc0_0000n | (0xabn << 13n) | 0x81n);
    expect(decodeX86Pte(value, X86_32, 0).address).toBe(0xab_ffc0_0000);
  });

  it('decode bit 7 as PAT at the last level and as PS above it', () => {
    expect(decodeX86Pte(0x81n, X86_64, 3)).toMatchObject({ pat: true, pageSize: false });
    expect(decodeX86Pte(0x81n, X86_64, 2)).toMatchObject({ pat: false, pageSize: true });
  });
});

describe('encodeX86Pte validation', () => {
  const bad: [string, Partial<X86PteFields>, PageTableFormat, number][] = [
    ['PS in a PML4E', { pageSize: true }, X86_64, 0],
    ['PS in a PML5E', { pageSize: true }, X86_64_LA57, 0],
    ['PS in a PTE', { pageSize: true }, X86_64, 3],
    ['PS in a PAE PDPTE', { pageSize: true }, X86_PAE, 0],
    ['D in a table pointer', { dirty: true }, X86_64, 2],
    ['G in a table pointer', { global: true }, X86_64, 0],
    ['PAT in a table pointer', { pat: true }, X86_64, 1],
    ['R/W in a PAE PDPTE', { writable: true }, X86_PAE, 0],
    ['U/S in a PAE PDPTE', { user: true }, X86_PAE, 0],
    ['A in a PAE PDPTE', { accessed: true }, X86_PAE, 0],
    ['XD in a PAE PDPTE', { noExecute: true }, X86_PAE, 0],
    ['XD in 32-bit paging', { noExecute: true }, X86_32, 1],
    ['an unaligned table address', { address: 0x1800 }, X86_64, 0],
    ['a 2 MiB page not 2 MiB aligned', { pageSize: true, address: 0x1000 }, X86_64, 2],
    ['a 1 GiB page not 1 GiB aligned', { pageSize: true, address: 0x20_0000 }, X86_64, 1],
    ['a 4 MiB page not 4 MiB aligned', { pageSize: true, address: 0x20_0000 }, X86_32, 0],
    ['an address at 2^52', { address: 2 ** 52 }, X86_64, 3],
    ['a 4 KiB page above 4 GiB in 32-bit paging', { address: 2 ** 32 }, X86_32, 1],
    ['a 4 MiB page at 2^40', { pageSize: true, address: 2 ** 40 }, X86_32, 0],
    ['a negative address', { address: -4096 }, X86_64, 3],
    ['available bits 52-58 in PAE (reserved there)', { available: 8 }, X86_PAE, 2],
    ['available out of range', { available: 1024 }, X86_64, 3],
    ['a non-boolean flag', { present: 1 as unknown as boolean }, X86_64, 3],
    ['a level out of range', {}, X86_64, 4],
    ['a RISC-V format', {}, SV39, 0],
  ];
  for (const [what, fields, format, level] of bad) {
    it(`rejects ${what}`, () => {
      expect(() => encodeX86Pte(fields, format, level)).toThrow(InvalidArgumentError);
    });
  }

  it('rejects an entry value wider than the format in decode', () => {
    expect(() => decodeX86Pte(1n << 32n, X86_32, 0)).toThrow(InvalidArgumentError);
  });
});

describe('readX86Pte / writeX86Pte', () => {
  it('write 4 bytes for 32-bit paging and 8 otherwise', () => {
    const mem = new PhysicalMemory({ size: 0x1000 });
    mem.write32(0x14, 0x5555_5555);
    writeX86Pte(mem, 0x10, BigInt(X86_PTE.P | X86_PTE.RW), X86_32);
    expect(mem.read32(0x14)).toBe(0x5555_5555);
    writeX86Pte(mem, 0x10, X86_PTE_XD | 1n);
    expect(mem.read32(0x14)).toBe(0x8000_0000);
    expect(readX86Pte(mem, 0x10)).toBe(X86_PTE_XD | 1n);
    expect(readX86Pte(mem, 0x10, X86_32)).toBe(1n);
    expect(() => readX86Pte(mem, 0x10, SV39)).toThrow(InvalidArgumentError);
  });
});
