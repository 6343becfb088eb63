import { describe, expect, it } from 'vitest';
import { GLOBAL_ASID, SIFIVE_U54_TLB, SKYLAKE_TLB, Tlb, TLB_LEVEL, TlbHierarchy, fullyAssociativeTlb } from '../../src/tlb/index.js';
import type { TlbHierarchyConfig } from '../../src/tlb/index.js';
import { GiB1, MiB2 } from './helpers.js';

const small: TlbHierarchyConfig = {
  l1i: fullyAssociativeTlb(4, 'lru', [12], 'l1i'),
  l1d: fullyAssociativeTlb(4, 'lru', [12], 'l1d'),
  l2: { name: 'l2', arrays: [{ entries: 16, ways: 4, pageShifts: [12, 21] }] },
};

describe('TlbHierarchy', () => {
  it('promotes an L2 hit into the L1, then hits the L1 without touching the L2', () => {
    const h = new TlbHierarchy(small);
    const va = 0x1234_5678;
    const e = h.fill(va, 3, 12, 0xabc_d000, 7, 99, false);
    expect(h.l1d.tag[e]).toBe(0x1234_5000);
    h.l1d.invalidateAll(); // only the L1 forgets
    h.resetStats();

    const promoted = h.lookupFull(va, 3, false);
    expect(h.lastLevel).toBe(TLB_LEVEL.l2);
    expect(promoted).toBeGreaterThanOrEqual(0);
    expect([h.l1d.pageBase[promoted], h.l1d.perm[promoted], h.l1d.extra[promoted], h.l1d.asid[promoted]]).toEqual([
      0xabc_d000, 7, 99, 3,
    ]);
    expect(h.l2?.stats.snapshot()).toMatchObject({ hits: 1, misses: 0 });

    expect(h.lookupFull(va + 8, 3, false)).toBe(promoted);
    expect(h.lastLevel).toBe(TLB_LEVEL.l1);
    expect(h.l2?.stats.snapshot()).toMatchObject({ hits: 1, misses: 0 });
    expect(h.l1d.stats.snapshot()).toMatchObject({ hits: 1, misses: 1 });
  });

  it('returns -1 with lastLevel 0 on a miss in every level', () => {
    const h = new TlbHierarchy(small);
    h.fill(0x1000, 1, 12, 0, 0, 0, false);
    expect(h.lookupFull(0x1000, 1, false)).toBeGreaterThanOrEqual(0);
    expect(h.lookupFull(0x9000, 1, false)).toBe(-1);
    expect(h.lastLevel).toBe(TLB_LEVEL.miss);
    expect(h.l2?.stats.misses).toBe(1);
  });

  it('keeps instruction and data L1s separate', () => {
    const noL2 = new TlbHierarchy({ l1i: small.l1i, l1d: small.l1d });
    noL2.fill(0x4000, 1, 12, 0x8000, 0, 0, false);
    expect(noL2.lookupFull(0x4000, 1, true)).toBe(-1);
    expect(noL2.lookupFull(0x4000, 1, false)).toBeGreaterThanOrEqual(0);
    expect(noL2.l2).toBeNull();

    const h = new TlbHierarchy(small);
    h.fill(0x4000, 1, 12, 0x8000, 0, 0, false);
    expect(h.l1i.validCount()).toBe(0);
    expect(h.lookupFull(0x4000, 1, true)).toBeGreaterThanOrEqual(0); // via the unified L2
    expect(h.lastLevel).toBe(TLB_LEVEL.l2);
    expect([h.l1i.validCount(), h.l1d.validCount(), h.l2?.validCount()]).toEqual([1, 1, 1]);
  });

  it('fractures a 2 MiB L2 entry into the 4 KiB-only L1, keeping global and source size', () => {
    const h = new TlbHierarchy(small);
    const va = 5 * MiB2 + 0x3_4567;
    h.fill(va, GLOBAL_ASID, 21, 0x4000_0000, 1, 0, true);
    h.l1i.invalidateAll();
    const e = h.lookupFull(va, 42, true);
    expect(h.lastLevel).toBe(TLB_LEVEL.l2);
    expect([h.l1i.pageShift[e], h.l1i.sourceShift[e], h.l1i.asid[e]]).toEqual([12, 21, GLOBAL_ASID]);
    expect(h.l1i.pageBase[e] + (va - h.l1i.tag[e])).toBe(0x4000_0000 + 0x3_4567);
  });

  it('promotes a fragment of a 1 GiB page with its source size, so invalidating the page reaches every level', () => {
    const h = new TlbHierarchy(small); // the L2 has no 1 GiB array: the page is fractured to 2 MiB there
    h.fill(GiB1 + 3 * MiB2, 1, 30, 2 ** 40, 0, 0, false);
    h.l1d.invalidateAll();
    const e = h.lookupFull(GiB1 + 3 * MiB2 + 0x5000, 1, false);
    expect(h.l1d.sourceShift[e]).toBe(30);
    expect(h.l1d.pageBase[e]).toBe(2 ** 40 + 3 * MiB2 + 0x5000);
    h.invalidatePage(GiB1 + 500 * MiB2, 1, false);
    expect([h.l1d.validCount(), h.l2?.validCount()]).toEqual([0, 0]);
  });

  it('promotes an L2 entry on request and refuses an invalid one', () => {
    const h = new TlbHierarchy(small);
    h.fill(GiB1 + 0x7000, 4, 21, 0x20_0000, 3, 5, false); // 2 MiB entry in the L2, 4 KiB in the L1D
    const e2 = h.l2!.peek(GiB1 + 0x9000, 4);
    const e = h.promote(e2, GiB1 + 0x9abc, true);
    expect(h.l1i.pageBase[e] + (GiB1 + 0x9abc - h.l1i.tag[e])).toBe(0x20_9abc);
    expect([h.l1i.sourceShift[e], h.l1i.perm[e], h.l1i.extra[e]]).toEqual([21, 3, 5]);
    h.l2!.invalidateEntry(e2);
    expect(() => h.promote(e2, GiB1, true)).toThrow(RangeError);
    expect(() => new TlbHierarchy({ l1i: small.l1i, l1d: small.l1d }).promote(0, 0, false)).toThrow(RangeError);
  });

  it('sends every invalidation to every level', () => {
    const h = new TlbHierarchy(small);
    const fillBoth = (va: number, asid: number) => {
      h.fill(va, asid, 12, 0, 0, 0, false);
      h.fill(va, asid, 12, 0, 0, 0, true);
    };
    const counts = () => h.levels().map((t) => t.validCount());

    fillBoth(0x1000, 1);
    h.invalidatePage(0x1000, 1, false);
    expect(counts()).toEqual([0, 0, 0]);

    fillBoth(0x1000, 1);
    fillBoth(0x2000, GLOBAL_ASID);
    h.invalidateAsid(1);
    expect(counts()).toEqual([1, 1, 1]);

    fillBoth(0x3000, 2);
    h.invalidateNonGlobal();
    expect(counts()).toEqual([1, 1, 1]);

    h.invalidateAll();
    expect(counts()).toEqual([0, 0, 0]);
    expect(h.levels().map((t) => t.stats.flushes)).toEqual([4, 4, 4]);
    h.resetStats();
    expect(h.levels().map((t) => t.stats.flushes)).toEqual([0, 0, 0]);
  });
});

describe('presets', () => {
  it('builds Skylake client TLBs per Table 2-15 of Intel 248966-045', () => {
    const h = new TlbHierarchy(SKYLAKE_TLB);
    expect([h.l1i.size, h.l1d.size, h.l2?.size]).toEqual([128 + 8, 64 + 32 + 4, 1536 + 16]);
    expect(h.l1d.config.arrays.map((a) => [a.entries, a.ways, a.sets])).toEqual([
      [64, 4, 16],
      [32, 4, 8],
      [4, 4, 1],
    ]);
    expect(h.l2?.config.arrays[0]).toMatchObject({ entries: 1536, ways: 12, sets: 128, pageShifts: [12, 21] });
    expect(h.l1i.pageShifts).toEqual([12, 21, 22]);

    // A 1 GiB page: a 1 GiB entry in the DTLB and STLB; in the ITLB, which has no 1 GiB
    // array, fragments of the largest size its 2M/4M array holds (4 MiB).
    expect(h.l1d.pageShift[h.fill(3 * GiB1, 0, 30, 0, 0, 0, false)]).toBe(30);
    expect(h.l1i.pageShift[h.fill(3 * GiB1, 0, 30, 0, 0, 0, true)]).toBe(22);
    expect([...h.l2!.entries()].map((x) => x.pageShift)).toEqual([30]);
  });

  it('builds a SiFive U54 with 32-entry fully associative L1s and no L2', () => {
    const h = new TlbHierarchy(SIFIVE_U54_TLB);
    expect([h.l1i.size, h.l1d.size, h.l2]).toEqual([32, 32, null]);
    expect(h.l1d.config.arrays[0]).toMatchObject({ entries: 32, ways: 32, sets: 1, pageShifts: [12, 21, 30] });
  });

  it('makes fully associative levels', () => {
    const tlb = new Tlb(fullyAssociativeTlb(12, 'fifo'));
    expect(tlb.config.arrays[0]).toMatchObject({ entries: 12, ways: 12, sets: 1, replacement: 'fifo' });
    expect(tlb.name).toBe('fa12');
    expect(Object.isFrozen(SKYLAKE_TLB.l1d.arrays[0])).toBe(true);
  });
});
