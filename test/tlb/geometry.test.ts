import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameAllocator, Mmu, PageTableBuilder, PhysicalMemory, Privilege } from '../../src/index.js';
import { ReplacementState, SET_INDEX_FUNCTIONS, Tlb, setIndexOf } from '../../src/tlb/index.js';
import type { ReplacementPolicy, SetIndexFunction, TlbArrayConfig, TlbHierarchyConfig } from '../../src/tlb/index.js';
import { KiB4, MiB2, page, referenceSet } from './helpers.js';

/** A one-array level of 4 KiB pages (and any other sizes given). */
function arrayTlb(entries: number, ways: number, extra: Partial<TlbArrayConfig> = {}): Tlb {
  return new Tlb({ name: `g${entries}x${ways}`, arrays: [{ entries, ways, pageShifts: [12], ...extra }] });
}

/** Inserts identity-mapped 4 KiB pages; returns the entry indices. */
const insertPages = (tlb: Tlb, pages: readonly number[], asid = 1): number[] => pages.map((p) => tlb.insert(page(p), asid, 12, page(p) % 2 ** 40, 3));
const cached = (tlb: Tlb, pages: readonly number[], asid = 1): boolean[] => pages.map((p) => tlb.peek(page(p), asid) >= 0);
const setOfEntry = (tlb: Tlb, e: number): number => [...tlb.entries()].find((x) => x.index === e)!.set;

describe('modulo indexing with a set count that is not a power of two', () => {
  // 1536 entries, 8-way: 192 sets. Page n goes to set n mod 192, ways 8·set .. 8·set+7.
  it('puts page n of a 1536-entry 8-way array in set n mod 192', () => {
    const tlb = arrayTlb(1536, 8);
    expect(tlb.config.arrays[0].sets).toBe(192);
    for (const n of [0, 1, 5, 191, 192, 197, 383, 384, 1000, 0x7f123]) {
      const e = tlb.insert(page(n), 1, 12, 0x1000, 3);
      expect(setOfEntry(tlb, e)).toBe(n % 192);
      expect(Math.floor(e / 8)).toBe(n % 192);
      expect(tlb.lookup(page(n) + 0xabc, 1)).toBe(e);
    }
    // Pages 128 apart share a set in a 128-set array, not in a 192-set one.
    expect(setOfEntry(tlb, tlb.peek(page(5), 1))).not.toBe(setOfEntry(tlb, tlb.insert(page(133), 1, 12, 0, 3)));
  });

  it('has conflict misses among pages 192 apart and evicts only inside their set', () => {
    const tlb = arrayTlb(1536, 8);
    const sameSet = Array.from({ length: 9 }, (_, i) => 7 + 192 * i); // nine pages of set 7
    const neighbours = [6, 8, 7 + 128, 7 + 64];                       // sets 6, 8, 135, 71
    insertPages(tlb, neighbours);
    insertPages(tlb, sameSet.slice(0, 8));
    expect(tlb.stats.evictions).toBe(0);
    tlb.lookup(page(7), 1); // use the first: under LRU the second (7 + 192) is now the oldest
    insertPages(tlb, [sameSet[8]]);
    expect(tlb.stats.evictions).toBe(1);
    expect(cached(tlb, sameSet)).toEqual([true, false, true, true, true, true, true, true, true]);
    expect(cached(tlb, neighbours)).toEqual([true, true, true, true]);
  });

  it('indexes 4-way 1536 entries as 384 sets, a 3-set direct-mapped array by remainder, and 2 MiB pages by their own page number', () => {
    const wide = arrayTlb(1536, 4);
    expect(wide.config.arrays[0].sets).toBe(384);
    expect(Math.floor(wide.insert(page(1000), 1, 12, 0, 3) / 4)).toBe(1000 % 384);

    const tiny = arrayTlb(3, 1);
    expect(insertPages(tiny, [0, 1, 2, 3, 4, 5])).toEqual([0, 1, 2, 0, 1, 2]);
    expect(cached(tiny, [0, 1, 2, 3, 4, 5])).toEqual([false, false, false, true, true, true]);
    expect(tiny.stats.evictions).toBe(3);

    const mixed = arrayTlb(24, 2, { pageShifts: [12, 21] }); // 12 sets
    const va = 13 * MiB2 + 5 * KiB4;                        // 2 MiB page 13, 4 KiB page 13·512 + 5
    const big = mixed.insert(va, 1, 21, 0x4000_0000, 3);
    const small = mixed.insert(va, 1, 12, 0x8000, 3);
    expect(Math.floor(big / 2)).toBe(13 % 12);
    expect(Math.floor(small / 2)).toBe((13 * 512 + 5) % 12);
    expect(mixed.lookup(va + 0x10, 1)).toBe(small); // the 4 KiB size is probed first
    mixed.invalidatePage(va + 0x1000, 1, false);    // another 4 KiB page of the 2 MiB page
    expect([mixed.peek(va, 1) === small, mixed.peek(va + 0x1000, 1) >= 0]).toEqual([true, false]);
  });

  it('indexes exactly above 2^32 and above 2^53, where the page number needs more than 32 bits', () => {
    const tlb = arrayTlb(1536, 8);
    for (const va of [2 ** 32 + 7 * KiB4, 2 ** 47 - KiB4, 2 ** 53 + 192 * KiB4, 2 ** 57 - KiB4, 0x1234_5678_9000]) {
      const e = tlb.insert(va, 1, 12, 0x1000, 3);
      expect(Math.floor(e / 8)).toBe(referenceSet(va, 12, 192));
      expect(tlb.lookup(va + 0xff0, 1)).toBe(e); // above 2^56 doubles are 16 apart
      tlb.invalidatePage(va, 1, false);
      expect(tlb.peek(va, 1)).toBe(-1);
    }
    expect(tlb.validCount()).toBe(0);
  });
});

describe('the hashed (xor) set index', () => {
  it('computes the documented fold: pieces of ceil(log2(sets)) bits, XORed, then mod sets', () => {
    // 16 sets: w = 4. Page 0x13 → 0x3 ^ 0x1 = 2; page 0xabc → 0xc ^ 0xb ^ 0xa = 0xd.
    expect(setIndexOf(page(0x13), 12, 16, 'xor')).toBe(2);
    expect(setIndexOf(page(0xabc), 12, 16, 'xor')).toBe(0xd);
    // 192 sets: w = 8. Page 456 = 0x1c8 → 0xc8 ^ 0x01 = 201 → 201 - 192 = 9.
    expect(setIndexOf(page(456), 12, 192, 'xor')).toBe(9);
    expect(setIndexOf(page(456), 12, 192, 'modulo')).toBe(72);
    // 2 MiB pages fold their own page number: 2 MiB page 0x21 in 16 sets → 0x1 ^ 0x2 = 3.
    expect(setIndexOf(0x21 * MiB2 + 0x1234, 21, 16, 'xor')).toBe(3);
    // One set: always 0.
    expect(setIndexOf(2 ** 56 + 3 * KiB4, 12, 1, 'xor')).toBe(0);
  });

  it('matches a BigInt computation of the formulas for any address, page size and set count', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.nat(2 ** 32 - 1), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.tuple(fc.integer({ min: 2 ** 21, max: 2 ** 25 - 1 }), fc.nat(2 ** 28 - 1)).map(([hi, lo]) => hi * 2 ** 32 + lo * 16)),
        fc.constantFrom(12, 16, 21, 30, 39),
        fc.oneof(fc.integer({ min: 1, max: 300 }), fc.constantFrom(1024, 1536, 3072, 2 ** 20 - 1, 2 ** 20)),
        fc.constantFrom<SetIndexFunction>(...SET_INDEX_FUNCTIONS),
        (va, shift, sets, index) => {
          expect(setIndexOf(va, shift, sets, index)).toBe(referenceSet(va, shift, sets, index));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('spreads pages that share a set under modulo (stride = sets), and stores them where the formula says', () => {
    const pages = [0, 16, 32, 48, 64]; // stride 16 pages: all set 0 of a 16-set array under modulo
    const modulo = arrayTlb(64, 4);
    const xor = arrayTlb(64, 4, { setIndex: 'xor' });
    insertPages(modulo, pages);
    const entries = insertPages(xor, pages);
    expect(modulo.stats.evictions).toBe(1);
    expect(cached(modulo, pages)).toEqual([false, true, true, true, true]);
    expect(xor.stats.evictions).toBe(0);
    expect(cached(xor, pages)).toEqual([true, true, true, true, true]);
    expect(entries.map((e) => setOfEntry(xor, e))).toEqual([0, 1, 2, 3, 4]); // page 16i → 0 ^ i
  });

  it('makes pages collide that modulo keeps apart', () => {
    const pages = [0x11, 0x22, 0x33, 0x44, 0x55]; // each folds to 0 in 16 sets; modulo sets 1..5
    const modulo = arrayTlb(64, 4);
    const xor = arrayTlb(64, 4, { setIndex: 'xor' });
    insertPages(modulo, pages);
    insertPages(xor, pages);
    expect(modulo.stats.evictions).toBe(0);
    expect(xor.stats.evictions).toBe(1);
    expect(cached(xor, pages)).toEqual([false, true, true, true, true]);
    expect([...xor.entries()].map((x) => x.set)).toEqual([0, 0, 0, 0]);
  });

  it('uses the same set for lookup, peek, insert, re-insert and invalidatePage, in pow2 and other set counts', () => {
    for (const [entries, ways] of [[64, 4], [1536, 8], [1536, 4], [60, 5]] as const) {
      const tlb = arrayTlb(entries, ways, { setIndex: 'xor', pageShifts: [12, 21] });
      const sets = entries / ways;
      const vas = [page(0x13), page(456), 2 ** 40 + page(77), 2 ** 56 + page(3), 0x7fff_f000];
      for (const va of vas) {
        const e = tlb.insert(va, 1, 12, 0x1000, 3);
        expect(Math.floor(e / ways)).toBe(referenceSet(va, 12, sets, 'xor'));
        expect(tlb.lookup(va + 8, 1)).toBe(e);
        expect(tlb.insert(va, 1, 12, 0x2000, 3)).toBe(e); // an update in place, never a twin
      }
      const huge = 0x55 * MiB2;
      const h = tlb.insert(huge, 1, 21, 0x4000_0000, 3);
      expect(Math.floor(h / ways)).toBe(referenceSet(huge, 21, sets, 'xor'));
      expect(tlb.lookup(huge + 0x1f_f000, 1)).toBe(h);
      expect(tlb.validCount()).toBe(vas.length + 1);
      for (const va of [...vas, huge]) tlb.invalidatePage(va, 1, false);
      expect(tlb.validCount()).toBe(0);
      expect(tlb.stats.invalidations).toBe(vas.length + 1);
    }
  });
});

describe('FIFO: round-robin pointer against least recently filled', () => {
  /** Fill A B C D, invalidate B, then insert E, F, G: the ways each insert takes. */
  function afterOutOfOrderInvalidation(policy: ReplacementPolicy): { ways: number[]; kept: boolean[] } {
    const tlb = arrayTlb(4, 4, { replacement: policy });
    insertPages(tlb, [1, 2, 3, 4]);
    tlb.invalidatePage(page(2), 1, false);
    const ways = insertPages(tlb, [5, 6, 7]);
    return { ways, kept: cached(tlb, [1, 2, 3, 4, 5, 6, 7]) };
  }

  it('agree while a set fills in way order', () => {
    const victims = (['fifo', 'fifo-fill'] as const).map((policy) => {
      const tlb = arrayTlb(4, 4, { replacement: policy });
      return insertPages(tlb, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    });
    expect(victims[0]).toEqual([0, 1, 2, 3, 0, 1, 2, 3, 0, 1]);
    expect(victims[1]).toEqual(victims[0]);
  });

  it('part when an invalidation frees a way out of order: the pointer replaces the newest entry, fifo-fill the oldest', () => {
    // Both: E fills the free way 1, F replaces A (way 0). Then the pointer names way 1 (E, just
    // filled), while the oldest fill is C in way 2.
    expect(afterOutOfOrderInvalidation('fifo')).toEqual({ ways: [1, 0, 1], kept: [false, false, true, true, false, true, true] });
    expect(afterOutOfOrderInvalidation('fifo-fill')).toEqual({ ways: [1, 0, 2], kept: [false, false, false, true, true, true, true] });
  });

  it('fifo-fill: a hit does not protect an entry, and an update in place keeps its age (LRU refreshes it)', () => {
    const victimAfterUpdate = (policy: ReplacementPolicy) => {
      const tlb = arrayTlb(4, 4, { replacement: policy });
      insertPages(tlb, [1, 2, 3, 4]);
      expect(tlb.lookup(page(2), 1)).toBe(1);          // a hit on B
      expect(tlb.insert(page(1), 1, 12, 0x9000, 7)).toBe(0); // A updated in place
      const way = tlb.insert(page(5), 1, 12, 0, 3);
      return [way, tlb.stats.evictions];
    };
    expect(victimAfterUpdate('fifo-fill')).toEqual([0, 1]); // A: still the oldest fill
    expect(victimAfterUpdate('fifo')).toEqual([0, 1]);
    expect(victimAfterUpdate('lru')).toEqual([2, 1]);       // C: A and B were used since
  });

  it('fifo-fill works per set in a non-power-of-two array with a hashed index', () => {
    const tlb = arrayTlb(6, 2, { replacement: 'fifo-fill', setIndex: 'xor' }); // 3 sets, w = 2
    // The first four pages the documented fold puts in set 1 (ways 2 and 3).
    const inSet1 = Array.from({ length: 64 }, (_, n) => n).filter((n) => setIndexOf(page(n), 12, 3, 'xor') === 1).slice(0, 4);
    expect(inSet1.length).toBe(4);
    const [a, b, c, d] = inSet1;
    expect(insertPages(tlb, [a, b])).toEqual([2, 3]);
    tlb.invalidatePage(page(a), 1, false);
    expect(insertPages(tlb, [c])).toEqual([2]); // refills way 0 of set 1
    expect(insertPages(tlb, [d])).toEqual([3]); // b is now the oldest fill
    expect(cached(tlb, [a, b, c, d])).toEqual([false, false, true, true]);
  });

  it('ReplacementState: fifo-fill picks the smallest fill stamp, lowest way on a tie, and ignores touches', () => {
    const r = new ReplacementState('fifo-fill', 2, 3);
    expect(r.victim(0)).toBe(0); // nothing filled: all stamps 0
    r.fill(0, 2);
    r.fill(0, 0);
    expect(r.victim(0)).toBe(1); // way 1 never filled
    r.fill(0, 1);
    r.touch(0, 2);
    expect(r.victim(0)).toBe(2); // filled first; the touch does not count
    expect(r.victim(1)).toBe(0); // the other set is untouched
    expect(r.lruStamps()).toBeNull();
  });
});

describe('an MMU whose TLBs have non-power-of-two sets, a hashed index and fifo-fill', () => {
  const ODD: TlbHierarchyConfig = {
    l1i: { name: 'itlb', arrays: [{ entries: 48, ways: 48, pageShifts: [12, 21] }] },
    l1d: { name: 'dtlb', arrays: [{ entries: 36, ways: 3, pageShifts: [12], replacement: 'fifo-fill', setIndex: 'xor' }, { entries: 12, ways: 4, pageShifts: [21] }] },
    l2: { name: 'stlb', arrays: [{ entries: 96, ways: 8, pageShifts: [12, 21], replacement: 'fifo', setIndex: 'modulo' }] },
  };
  const PAGES = 96;
  const BASE = 0x40_0000;

  type MmuOp = { kind: 'read' | 'write'; page: number; word: number; value: number } | { kind: 'remap'; page: number };
  const mmuOpArb: fc.Arbitrary<MmuOp> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constantFrom('read' as const, 'write' as const), page: fc.nat(PAGES - 1), word: fc.nat(1023), value: fc.nat(0xffff_ffff) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('remap' as const), page: fc.nat(PAGES - 1) }) },
  );

  it('translates every access to the frame the page tables name, through fills, evictions and INVLPG', () => {
    fc.assert(
      fc.property(fc.array(mmuOpArb, { minLength: 50, maxLength: 400 }), (ops) => {
        const memory = new PhysicalMemory({ size: 4 << 20 });
        const frames = new FrameAllocator(memory);
        const tables = new PageTableBuilder(memory, 'x86-64', frames);
        const frameOf: number[] = [];
        const attributes = { writable: true, user: true, accessed: true, dirty: true };
        for (let p = 0; p < PAGES; p++) {
          frameOf.push(frames.allocate() * KiB4);
          tables.map(BASE + p * KiB4, frameOf[p], attributes);
        }
        const mmu = new Mmu({ memory, format: 'x86-64', tlb: ODD });
        mmu.setRoot(tables.root, 1);
        mmu.setPrivilege(Privilege.User);
        for (const op of ops) {
          const va = BASE + op.page * KiB4;
          if (op.kind === 'remap') {
            frameOf[op.page] = frames.allocate() * KiB4;
            tables.map(va, frameOf[op.page], attributes);
            mmu.invalidatePage(va);
          } else if (op.kind === 'write') {
            mmu.write32(va + op.word * 4, op.value);
            expect(memory.read32(frameOf[op.page] + op.word * 4)).toBe(op.value);
          } else {
            expect(mmu.read32(va + op.word * 4)).toBe(memory.read32(frameOf[op.page] + op.word * 4));
          }
        }
        const { l1d, l2 } = mmu.stats().tlb;
        expect(l1d.hits + l1d.misses).toBeGreaterThan(0);
        expect(l2!.hits + l2!.misses).toBe(l1d.misses); // every L1 miss asks the L2 once
      }),
      { numRuns: 40 },
    );
  });
});
