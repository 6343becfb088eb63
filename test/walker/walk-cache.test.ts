import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Access, type TranslatedPrivilege } from '../../src/mmu/access.js';
import type { ControlState } from '../../src/mmu/controls.js';
import { InvalidArgumentError } from '../../src/mmu/errors.js';
import { FaultReason } from '../../src/mmu/fault-reason.js';
import { type PageTableFormat, SV32, SV39, SV48, SV57, X86_32, X86_64, X86_64_LA57, X86_PAE } from '../../src/mmu/formats/format.js';
import { encodeRiscvPte } from '../../src/mmu/formats/riscv.js';
import { encodeX86Pte } from '../../src/mmu/formats/x86.js';
import { DEFAULT_X86_WALK_CACHE, WalkCache, defaultWalkCacheConfig } from '../../src/mmu/walk-cache.js';
import { WalkResult } from '../../src/mmu/walk-result.js';
import { createWalker } from '../../src/mmu/walkers/create-walker.js';
import { PageTables, walkerFor } from './helpers.js';

const { Read, Write } = Access;
const RAM = 0x8000_0000;
const cached = { walkCache: DEFAULT_X86_WALK_CACHE };

/** x86-64 tables mapping 4 KiB pages at `vas` (PA = VA + 0x100_0000), with the default walk caches. */
function x86Cached(vas: number[]) {
  const t = new PageTables(X86_64);
  for (const va of vas) t.mapX86(va, 3, { writable: true, user: true, address: va + 0x100_0000 });
  return { t, ...walkerFor(t, cached) };
}

describe('walk-cache configuration', () => {
  it('defaults to PML4E/PDPTE/PDE caches of 2, 4 and 32 entries for x86-64', () => {
    expect(defaultWalkCacheConfig(X86_64)).toEqual(DEFAULT_X86_WALK_CACHE);
    expect(defaultWalkCacheConfig(X86_64_LA57).levels.map((l) => l.level)).toEqual([1, 2, 3]);
    expect(defaultWalkCacheConfig(X86_32).levels).toEqual([{ level: 0, entries: 32, ways: 4 }]);
    expect(defaultWalkCacheConfig(SV39).levels).toEqual([
      { level: 0, entries: 4, ways: 4 },
      { level: 1, entries: 8, ways: 8 },
    ]);
  });

  it('keys each level by the VA bits above that level’s index shift (a PDE entry covers 2 MiB)', () => {
    const cache = new WalkCache(X86_64, DEFAULT_X86_WALK_CACHE);
    expect(cache.caches.map((c) => c?.pageShifts[0])).toEqual([39, 30, 21]);
  });

  it('rejects a leaf-only level, a repeated level and a bad size', () => {
    expect(() => new WalkCache(X86_64, { levels: [{ level: 3, entries: 4, ways: 4 }] })).toThrow(InvalidArgumentError);
    expect(() => new WalkCache(X86_64, { levels: [{ level: 1, entries: 4, ways: 4 }, { level: 1, entries: 4, ways: 4 }] })).toThrow(InvalidArgumentError);
    expect(() => new WalkCache(X86_64, { levels: [{ level: 1, entries: 12, ways: 5 }] })).toThrow();
    expect(() => new WalkCache(X86_64, { levels: [{ level: 1, entries: 12, ways: 4 }] })).not.toThrow(); // 3 sets: any set count is a TLB geometry
  });

  it('is on by default in createWalker and off with walkCache: null', () => {
    const t = new PageTables(SV39, { base: RAM });
    const mem = t.memory;
    const controls = walkerFor(t).controls;
    expect((createWalker(SV39, mem, controls) as unknown as { walkCache: unknown }).walkCache).toBeInstanceOf(WalkCache);
    expect((createWalker(SV39, mem, controls, { walkCache: null }) as unknown as { walkCache: unknown }).walkCache).toBeNull();
  });
});

describe('walk-cache hits', () => {
  it('a PDE-cache hit leaves one read; the PDPTE and PML4E caches leave two and three', () => {
    const va = 0x40_1000;
    const { walk } = x86Cached([va, va + 0x1000, va + 0x20_0000, va + 0x4000_0000]);
    expect(walk(va, Read)).toMatchObject({ ok: true, pteReads: 4, walkCacheHits: 0 });
    expect(walk(va, Read)).toMatchObject({ ok: true, pageBase: va + 0x100_0000, pteReads: 1, walkCacheHits: 1 });
    expect(walk(va + 0x1000, Read)).toMatchObject({ pageBase: va + 0x100_1000, pteReads: 1, walkCacheHits: 1 });
    expect(walk(va + 0x20_0000, Read)).toMatchObject({ pageBase: va + 0x120_0000, pteReads: 2, walkCacheHits: 1 });
    expect(walk(va + 0x4000_0000, Read)).toMatchObject({ pageBase: va + 0x4100_0000, pteReads: 3, walkCacheHits: 1 });
  });

  it('carries the upper levels’ access rights: U/S = 0 in a cached PML4E still denies user access', () => {
    const va = 0x40_1000;
    const { t, walk } = x86Cached([va]);
    t.write(t.entry(va, 0), encodeX86Pte({ present: true, writable: true, address: t.entry(va, 1) & ~0xfff }, X86_64, 0));
    expect(walk(va, Read)).toMatchObject({ ok: true, pteReads: 4 });
    expect(walk(va, Read, 1 as TranslatedPrivilege)).toMatchObject({ faultReason: FaultReason.Protection, pteReads: 1, walkCacheHits: 1 });
  });

  it('works for RISC-V: an Sv39 L1 hit leaves one read', () => {
    const t = new PageTables(SV39, { base: RAM });
    t.mapRiscv(0x1000, 2, { read: true, accessed: true, address: 0x8040_0000 });
    const { walk } = walkerFor(t, { svpbmt: true });
    expect(walk(0x1000, Read).pteReads).toBe(3);
    expect(walk(0x1000, Read)).toMatchObject({ ok: true, pageBase: 0x8040_0000, pteReads: 1, walkCacheHits: 1 });
  });

  it('carries RISC-V global bits of cached non-leaf PTEs', () => {
    const t = new PageTables(SV39, { base: RAM });
    t.mapRiscv(0x1000, 2, { read: true, accessed: true, address: 0x8040_0000 });
    t.write(t.entry(0x1000, 0), t.read(t.entry(0x1000, 0)) | 0x20n);
    const { walk } = walkerFor(t, {});
    walk(0x1000, Read);
    expect(walk(0x1000, Read)).toMatchObject({ walkCacheHits: 1, global: true });
  });

  it('tags entries with the ASID', () => {
    const { walk } = x86Cached([0x1000]);
    walk(0x1000, Read, 0, 1);
    expect(walk(0x1000, Read, 0, 2).walkCacheHits).toBe(0);
    expect(walk(0x1000, Read, 0, 1).walkCacheHits).toBe(1);
  });
});

describe('stale walk-cache entries and invalidation', () => {
  it('keeps using a cached PDE after the PDE changes, until invalidateWalkCache', () => {
    const va = 0x40_1000;
    const { t, walk, walker } = x86Cached([va]);
    walk(va, Read);
    const pde = t.entry(va, 2);
    const newTable = t.alloc();
    t.write(newTable + 1 * 8, encodeX86Pte({ present: true, address: 0xbad_0000 }, X86_64, 3));
    t.write(pde, encodeX86Pte({ present: true, writable: true, user: true, address: newTable }, X86_64, 2));
    expect(walk(va, Read)).toMatchObject({ ok: true, pageBase: va + 0x100_0000, walkCacheHits: 1 }); // stale, as on hardware
    walker.invalidateWalkCache(va, 0);
    expect(walk(va, Read)).toMatchObject({ ok: true, pageBase: 0xbad_0000, pteReads: 4 });
  });

  it('keeps translating through a cached PDE whose P flag was cleared, until invalidated', () => {
    const va = 0x40_1000;
    const { t, walk, walker } = x86Cached([va]);
    walk(va, Read);
    t.clearBits(t.entry(va, 2), 1n);
    expect(walk(va, Read).ok).toBe(true);
    walker.invalidateWalkCache(null, 0);
    expect(walk(va, Read)).toMatchObject({ faultReason: FaultReason.NotPresent, level: 2 });
  });

  it('x86: INVLPG semantics — an address drops every entry of that PCID, whatever the address (SDM §4.10.4.1)', () => {
    const far = 0x7f_0000_0000;
    const { walk, walker } = x86Cached([0x1000, far]);
    walk(0x1000, Read, 0, 0);
    walk(far, Read, 0, 0);
    walk(far, Read, 0, 1);
    walker.invalidateWalkCache(0x1000, 0);
    expect(walk(far, Read, 0, 0)).toMatchObject({ walkCacheHits: 0, pteReads: 4 });
    expect(walk(far, Read, 0, 1)).toMatchObject({ walkCacheHits: 1, pteReads: 1 }); // another PCID keeps its entries
  });

  it('RISC-V: an address drops only the entries whose range contains it', () => {
    const t = new PageTables(SV39, { base: RAM });
    const far = 0x40_0000_0000;
    for (const va of [0x1000, far]) t.mapRiscv(va, 2, { read: true, accessed: true, address: 0x8040_0000 });
    const { walk, walker } = walkerFor(t, {});
    walk(0x1000, Read);
    walk(far, Read);
    walker.invalidateWalkCache(0x1000, 0);
    expect(walk(far, Read)).toMatchObject({ walkCacheHits: 1, pteReads: 1 });
    expect(walk(0x1000, Read)).toMatchObject({ walkCacheHits: 0, pteReads: 3 });
  });

  it('null address: drops all entries of one ASID, or of every ASID', () => {
    const { walk, walker } = x86Cached([0x1000]);
    walk(0x1000, Read, 0, 1);
    walk(0x1000, Read, 0, 2);
    walker.invalidateWalkCache(null, 1);
    expect([walk(0x1000, Read, 0, 1).walkCacheHits, walk(0x1000, Read, 0, 2).walkCacheHits]).toEqual([0, 1]);
    walker.invalidateWalkCache(null, null);
    expect([walk(0x1000, Read, 0, 2).walkCacheHits]).toEqual([0]);
  });

  it('x86: caches only entries whose A flag is 1 — a faulting walk over A = 0 entries caches nothing (SDM §4.10.3.1)', () => {
    const { t, walk } = x86Cached([0x1000]);
    t.clearBits(t.entry(0x1000, 3), 2n); // read-only leaf
    expect(walk(0x1000, Write, 1 as TranslatedPrivilege)).toMatchObject({ faultReason: FaultReason.Protection, pteWrites: 0 });
    expect(walk(0x1000, Read)).toMatchObject({ ok: true, walkCacheHits: 0, pteReads: 4 });
    expect(walk(0x1000, Write, 1 as TranslatedPrivilege)).toMatchObject({ faultReason: FaultReason.Protection, walkCacheHits: 1 });
  });

  it('x86: a change of EFER.NXE or CR4.PSE flushes the caches (they change how entries decode)', () => {
    const { walk, controls } = x86Cached([0x1000]);
    walk(0x1000, Read);
    controls.nxe = false;
    expect(walk(0x1000, Read).walkCacheHits).toBe(0);
  });
});

// ---------------------------------------------------------------------------
// Random page tables: cached and uncached walkers agree, and no walk throws.

/** mulberry32: a small deterministic PRNG returning floats in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b_79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Table indices the random tables fill at `level`: first, second and last. */
const indicesOf = (format: PageTableFormat, level: number) => [0, 1, 2 ** format.levels[level].indexBits - 1];

function randomX86Entry(format: PageTableFormat, level: number, rnd: () => number, next: number[]): bigint {
  const last = level === format.levels.length - 1;
  const lv = format.levels[level];
  const pdpte = format.name === 'x86-pae' && level === 0;
  const large = !last && lv.leafShift > 0 && rnd() < 0.3;
  const leaf = last || large;
  const shift = large ? lv.leafShift : 12;
  const address = leaf ? Math.floor(rnd() * 1024) * 2 ** shift : next[Math.floor(rnd() * next.length)];
  const flag = (p: number) => rnd() < p;
  let value = encodeX86Pte(
    {
      present: flag(0.9),
      writable: !pdpte && flag(0.7),
      user: !pdpte && flag(0.7),
      writeThrough: flag(0.2),
      cacheDisable: flag(0.2),
      accessed: !pdpte && flag(0.5),
      dirty: leaf && flag(0.5),
      pageSize: large,
      global: leaf && flag(0.3),
      pat: leaf && flag(0.2),
      noExecute: format.pteSize === 8 && !pdpte && flag(0.2),
      address,
    },
    format,
    level,
  );
  if (flag(0.06)) value |= format.pteSize === 8 ? 1n << 51n : 1n << 21n; // reserved with MAXPHYADDR 46, or in a 4 MiB PDE
  if (flag(0.04)) value |= 1n << 7n; // PS where it may be reserved
  if (format.pteSize === 8 && flag(0.05)) value |= 1n << 63n;
  return value;
}

function randomRiscvEntry(format: PageTableFormat, level: number, rnd: () => number, next: number[]): bigint {
  const last = level === format.levels.length - 1;
  const lv = format.levels[level];
  const flag = (p: number) => rnd() < p;
  const pointer = last ? flag(0.05) : flag(0.7);
  const rwx = pointer ? 0 : [1, 3, 4, 5, 7, 2][Math.floor(rnd() * (flag(0.05) ? 6 : 5))];
  const misaligned = !pointer && lv.leafShift > 12 && flag(0.1);
  const address = pointer ? next[Math.floor(rnd() * next.length)] || RAM : RAM + Math.floor(rnd() * 64) * 2 ** lv.leafShift + (misaligned ? 0x1000 : 0);
  let value = encodeRiscvPte(
    {
      valid: flag(0.92),
      read: (rwx & 1) !== 0,
      write: (rwx & 2) !== 0,
      execute: (rwx & 4) !== 0,
      // U, A and D are reserved in a pointer (a page fault): set there rarely, so most walks go on.
      user: flag(pointer ? 0.03 : 0.5),
      global: flag(0.2),
      accessed: flag(pointer ? 0.03 : 0.6),
      dirty: flag(pointer ? 0.03 : 0.5),
      rsw: Math.floor(rnd() * 4),
      address,
    },
    format,
    level,
    { allowReserved: true },
  );
  if (format.pteSize === 8 && flag(0.05)) value |= 1n << 54n;
  if (format.pteSize === 8 && flag(0.05)) value |= 1n << 61n;
  return value;
}

/** Random tables: one root, two tables per lower level, entries at three indices of each. */
function randomTables(format: PageTableFormat, seed: number): PageTables {
  const rnd = prng(seed);
  const t = new PageTables(format, { base: format.architecture === 'riscv' ? RAM : 0, size: 64 << 10 });
  const pools: number[][] = [[t.root]];
  for (let l = 1; l < format.levels.length; l++) pools.push([t.alloc(), t.alloc()]);
  pools.push([]);
  const entry = format.architecture === 'x86' ? randomX86Entry : randomRiscvEntry;
  format.levels.forEach((_, level) => {
    for (const table of pools[level]) {
      for (const index of indicesOf(format, level)) t.write(table + index * format.pteSize, entry(format, level, rnd, pools[level + 1]));
    }
  });
  return t;
}

const accessArb = (format: PageTableFormat) =>
  fc.record({
    indices: fc.tuple(...format.levels.map((_, l) => fc.constantFrom(...indicesOf(format, l)))),
    offset: fc.integer({ min: 0, max: 0xfff }),
    access: fc.constantFrom(Access.Read, Access.Write, Access.Execute),
    privilege: fc.constantFrom(0, 1) as fc.Arbitrary<TranslatedPrivilege>,
    asid: fc.constantFrom(0, 1),
  });

const controlsArb: fc.Arbitrary<ControlState> = fc.record({
  wp: fc.boolean(),
  nxe: fc.boolean(),
  smep: fc.boolean(),
  smap: fc.boolean(),
  ac: fc.boolean(),
  pse: fc.boolean(),
  pge: fc.boolean(),
  sum: fc.boolean(),
  mxr: fc.boolean(),
  hardwareAD: fc.boolean(),
});

function vaOf(format: PageTableFormat, indices: number[], offset: number): number {
  const va = indices.reduce((sum, index, l) => sum + index * 2 ** format.levels[l].indexShift, 0);
  return format.vaBits > 53 ? va : va + offset;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const OUTCOME = ['ok', 'faultReason', 'level', 'entryAddress', 'pageBase', 'pageShift', 'perm', 'global', 'memoryType', 'pteWrites'] as const;
const outcome = (r: WalkResult) => (r.ok ? OUTCOME : (['ok', 'faultReason', 'level', 'entryAddress', 'pteWrites'] as const)).map((k) => r[k]);

describe('walk caches never change a result while the tables are unchanged', () => {
  for (const format of [X86_64, X86_PAE, X86_32, SV39, SV48, SV32]) {
    it(`${format.name}: cached and uncached walks agree on random tables`, () => {
      const x86 = format.architecture === 'x86';
      const seen = { hits: 0, ok: 0, faults: new Set<number>() };
      fc.assert(
        fc.property(fc.integer(), controlsArb, fc.array(accessArb(format), { minLength: 1, maxLength: 60 }), (seed, controls, accesses) => {
          const plain = randomTables(format, seed);
          const withCache = randomTables(format, seed);
          const options = x86 ? { maxPhysicalAddressBits: 46 } : { svpbmt: format.pteSize === 8 };
          const a = createWalker(format, plain.memory, { ...controls }, { ...options, walkCache: null });
          const b = createWalker(format, withCache.memory, { ...controls }, { ...options, walkCache: defaultWalkCacheConfig(format) });
          const ra = new WalkResult();
          const rb = new WalkResult();
          for (const { indices, offset, access, privilege, asid } of [...accesses, ...accesses]) {
            const va = vaOf(format, indices, offset);
            a.walk(va, access, privilege, plain.root, asid, ra);
            b.walk(va, access, privilege, withCache.root, asid, rb);
            expect(outcome(rb)).toEqual(outcome(ra));
            expect(rb.pteReads).toBeLessThanOrEqual(ra.pteReads);
            seen.hits += rb.walkCacheHits;
            if (rb.ok) seen.ok++;
            else seen.faults.add(rb.faultReason);
          }
          expect(sameBytes(withCache.memory.bytes, plain.memory.bytes)).toBe(true);
        }),
        { numRuns: 150 },
      );
      // The random tables must exercise hits, translations and several kinds of fault.
      expect(seen.hits).toBeGreaterThan(100);
      expect(seen.ok).toBeGreaterThan(100);
      expect(seen.faults.size).toBeGreaterThanOrEqual(3);
    });
  }

  it('the random tables do exercise hits, translations and faults', () => {
    let hits = 0;
    let oks = 0;
    let faults = 0;
    for (let seed = 0; seed < 40; seed++) {
      const t = randomTables(X86_64, seed);
      const { walk } = walkerFor(t, { walkCache: DEFAULT_X86_WALK_CACHE, maxPhysicalAddressBits: 46 });
      for (let i = 0; i < 20; i++) {
        const r = walk(vaOf(X86_64, [i % 3 === 0 ? 0 : 1, 1, 0, i % 2], 0), Read);
        hits += r.walkCacheHits;
        if (r.ok) oks++;
        else faults++;
      }
    }
    expect(Math.min(hits, oks, faults)).toBeGreaterThan(20);
  });
});

describe('walkers never throw on guest data', () => {
  for (const format of [X86_64, X86_64_LA57, X86_32, X86_PAE, SV32, SV39, SV57]) {
    it(`${format.name}: random bytes as page tables give a result or a fault`, () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 0x3000, maxLength: 0x3000 }),
          fc.integer({ min: 0, max: 8 }),
          fc.double({ min: 0, max: 2 ** format.vaBits, noNaN: true }),
          controlsArb,
          fc.constantFrom(Access.Read, Access.Write, Access.Execute),
          (bytes, rootPage, rawVa, controls, access) => {
            const t = new PageTables(format, { size: 0x4000 });
            t.memory.writeBytes(0x1000, bytes);
            const walker = createWalker(format, t.memory, controls, format.architecture === 'x86' ? {} : { svnapot: format.pteSize === 8 });
            const out = new WalkResult();
            const va = Math.floor(rawVa / 4096) * 4096;
            walker.walk(va, access, 0, rootPage * 0x1000, 0, out);
            walker.walk(va, access, 1, rootPage * 0x1000, 0, out);
            expect(out.ok).toBe(out.faultReason === FaultReason.None);
            if (out.ok) expect(out.pageBase % 2 ** out.pageShift).toBe(0);
          },
        ),
        { numRuns: 200 },
      );
    });
  }
});
