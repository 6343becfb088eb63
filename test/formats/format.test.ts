import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/mmu/errors.js';
import {
  FORMAT_NAMES,
  SV32,
  SV39,
  SV48,
  SV57,
  X86_32,
  X86_64,
  X86_64_LA57,
  X86_PAE,
  formatByName,
  readPte,
  writePte,
} from '../../src/mmu/formats/format.js';
import { PhysicalMemory } from '../../src/mmu/physical-memory.js';

const ALL = [X86_64, X86_64_LA57, X86_32, X86_PAE, SV32, SV39, SV48, SV57];

describe('format descriptors', () => {
  it('describe each mode as the manuals do', () => {
    const summary = ALL.map((f) => ({
      name: f.name,
      va: f.vaBits,
      pa: f.paBits,
      pte: f.pteSize,
      levels: f.levels.map((l) => `${l.name}:${l.indexShift}/${l.indexBits}/${l.leafShift}`).join(' '),
      pages: f.pageShifts.join(','),
    }));
    expect(summary).toEqual([
      { name: 'x86-64', va: 48, pa: 52, pte: 8, levels: 'PML4E:39/9/0 PDPTE:30/9/30 PDE:21/9/21 PTE:12/9/12', pages: '12,21,30' },
      {
        name: 'x86-64-la57',
        va: 57,
        pa: 52,
        pte: 8,
        levels: 'PML5E:48/9/0 PML4E:39/9/0 PDPTE:30/9/30 PDE:21/9/21 PTE:12/9/12',
        pages: '12,21,30',
      },
      { name: 'x86-32', va: 32, pa: 40, pte: 4, levels: 'PDE:22/10/22 PTE:12/10/12', pages: '12,22' },
      { name: 'x86-pae', va: 32, pa: 52, pte: 8, levels: 'PDPTE:30/2/0 PDE:21/9/21 PTE:12/9/12', pages: '12,21' },
      { name: 'sv32', va: 32, pa: 34, pte: 4, levels: 'L1:22/10/22 L0:12/10/12', pages: '12,22' },
      { name: 'sv39', va: 39, pa: 56, pte: 8, levels: 'L2:30/9/30 L1:21/9/21 L0:12/9/12', pages: '12,21,30' },
      { name: 'sv48', va: 48, pa: 56, pte: 8, levels: 'L3:39/9/39 L2:30/9/30 L1:21/9/21 L0:12/9/12', pages: '12,21,30,39' },
      {
        name: 'sv57',
        va: 57,
        pa: 56,
        pte: 8,
        levels: 'L4:48/9/48 L3:39/9/39 L2:30/9/30 L1:21/9/21 L0:12/9/12',
        pages: '12,21,30,39,48',
      },
    ]);
  });

  it('cover every VA bit above the page offset exactly once', () => {
    for (const f of ALL) {
      const covered = f.levels.reduce((sum, l) => sum + l.indexBits, 12);
      expect(covered, f.name).toBe(f.vaBits);
    }
  });

  it('are frozen', () => {
    expect(Object.isFrozen(X86_64)).toBe(true);
    expect(Object.isFrozen(X86_64.levels[0])).toBe(true);
  });

  it('are found by name; an unknown name throws InvalidArgumentError', () => {
    for (const name of FORMAT_NAMES) expect(formatByName(name).name).toBe(name);
    expect(() => formatByName('arm64' as never)).toThrow(InvalidArgumentError);
  });
});

describe('entryIndex and entryAddress', () => {
  it('split a kernel x86-64 address (0xFFFF_8000_1234_5000 passed as 0x8000_1234_5000)', () => {
    const va = 0x8000_1234_5000;
    expect([0, 1, 2, 3].map((l) => X86_64.entryIndex(va, l))).toEqual([256, 0, 0x91, 0x145]);
    expect(X86_64.entryAddress(0x1000, va, 0)).toBe(0x1000 + 256 * 8);
  });

  it('split the top of the 57-bit space (LA57, Sv57)', () => {
    const va = 2 ** 57 - 4096;
    for (const f of [X86_64_LA57, SV57]) expect(f.levels.map((_, l) => f.entryIndex(va, l))).toEqual([511, 511, 511, 511, 511]);
  });

  it('use 4-byte entries in 32-bit formats', () => {
    expect(X86_32.entryAddress(0x2000, 0xffc0_0000, 0)).toBe(0x2000 + 1023 * 4);
    expect(SV32.entryAddress(0x2000, 0x0040_1000, 1)).toBe(0x2000 + 1 * 4);
    expect(X86_PAE.entryIndex(0xc000_0000, 0)).toBe(3);
  });

  it('agree with a BigInt reference for random addresses', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALL), fc.bigInt({ min: 0n, max: (1n << 57n) - 1n }), (f, big) => {
        const vaBig = big & ((1n << BigInt(f.vaBits)) - 1n) & ~0xfffn; // page-aligned values are exact numbers
        const va = Number(vaBig);
        f.levels.forEach((l, i) => {
          const expected = Number((vaBig >> BigInt(l.indexShift)) & ((1n << BigInt(l.indexBits)) - 1n));
          expect(f.entryIndex(va, i)).toBe(expected);
        });
      }),
    );
  });
});

describe('readPte / writePte', () => {
  it('honour the entry size', () => {
    const mem = new PhysicalMemory({ size: 0x2000 });
    mem.write32(0x104, 0xdead_beef);
    writePte(mem, 0x100, 0x1234_5678n, X86_32);
    expect(mem.read32(0x104)).toBe(0xdead_beef); // a 4-byte entry leaves the next word alone
    writePte(mem, 0x100, 0x8000_0000_0000_1003n, X86_64);
    expect(readPte(mem, 0x100, X86_64)).toBe(0x8000_0000_0000_1003n);
    expect(readPte(mem, 0x100, SV32)).toBe(0x1003n);
  });

  it('reject values wider than the entry', () => {
    const mem = new PhysicalMemory({ size: 0x1000 });
    expect(() => writePte(mem, 0, 1n << 32n, SV32)).toThrow(InvalidArgumentError);
    expect(() => writePte(mem, 0, -1n, SV39)).toThrow(InvalidArgumentError);
  });
});
