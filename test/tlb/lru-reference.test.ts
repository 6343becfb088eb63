import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GLOBAL_ASID, INVALID_TAG, Tlb } from '../../src/tlb/index.js';

/**
 * The `Tlb` against a reference LRU set-associative array written the plain way: which way an
 * insert takes, what a lookup returns, and every counter, after every operation. The sequences
 * favour the miss path's pattern (a lookup that misses, then the insert of the same address),
 * which the `Tlb` serves with its own code; the reference has one path for every insert.
 */

interface Slot {
  tag: number;
  asid: number;
  shift: number;
  base: number;
  stamp: number;
}

/** One LRU array (the `Tlb`'s array 0 in these tests): sets × ways slots, entry index = set × ways + way. */
class ReferenceLru {
  readonly slots: (Slot | null)[];
  hits = 0;
  misses = 0;
  evictions = 0;
  invalidations = 0;
  private clock = 0;

  constructor(
    private readonly sets: number,
    private readonly ways: number,
    private readonly shifts: readonly number[],
  ) {
    this.slots = new Array<Slot | null>(sets * ways).fill(null);
  }

  private first(va: number, shift: number): number {
    return (Math.floor(va / 2 ** shift) % this.sets) * this.ways;
  }

  /** The entries that translate `va` for `asid`, in probe order: page sizes ascending, ways in order. */
  private *matches(va: number, asid: number): Generator<number> {
    for (const shift of this.shifts) {
      const pageVa = va - (va % 2 ** shift);
      const first = this.first(va, shift);
      for (let e = first; e < first + this.ways; e++) {
        const s = this.slots[e];
        if (s !== null && s.tag === pageVa && s.shift === shift && (s.asid === asid || s.asid === GLOBAL_ASID)) yield e;
      }
    }
  }

  /** The first match wins; a hit refreshes the entry's stamp. */
  lookup(va: number, asid: number): number {
    for (const e of this.matches(va, asid)) {
      this.slots[e]!.stamp = ++this.clock;
      this.hits++;
      return e;
    }
    this.misses++;
    return -1;
  }

  /** Claims an entry of the same page and size (dropping any twin), else the first free way, else the least recently used. */
  insert(va: number, asid: number, shift: number, base: number): number {
    const pageVa = va - (va % 2 ** shift);
    const first = this.first(va, shift);
    let target = -1;
    for (let e = first; e < first + this.ways; e++) {
      const s = this.slots[e];
      if (s === null || s.tag !== pageVa || s.shift !== shift) continue;
      if (s.asid !== asid && s.asid !== GLOBAL_ASID && asid !== GLOBAL_ASID) continue;
      if (target < 0) {
        target = e;
      } else {
        this.slots[e] = null;
        this.evictions++;
      }
    }
    if (target < 0) {
      for (let e = first; e < first + this.ways && target < 0; e++) if (this.slots[e] === null) target = e;
    }
    if (target < 0) {
      target = first;
      for (let e = first + 1; e < first + this.ways; e++) if (this.slots[e]!.stamp < this.slots[target]!.stamp) target = e;
      this.evictions++;
    }
    this.slots[target] = { tag: pageVa, asid, shift, base, stamp: ++this.clock };
    return target;
  }

  invalidatePage(va: number, asid: number): void {
    for (const e of [...this.matches(va, asid)]) {
      this.slots[e] = null;
      this.invalidations++;
    }
  }
}

type Op =
  | { kind: 'access'; page: number; offset: number; asid: number; large: boolean }
  | { kind: 'insert'; page: number; asid: number; large: boolean }
  | { kind: 'invalidatePage'; page: number; asid: number };

const asidArb = fc.constantFrom(GLOBAL_ASID, 1, 2);
const opArb = (pages: number): fc.Arbitrary<Op> =>
  fc.oneof(
    // What the MMU's miss path does: a lookup, and on a miss the insert of the same address.
    { weight: 8, arbitrary: fc.record({ kind: fc.constant('access' as const), page: fc.nat(pages - 1), offset: fc.nat(0xfff), asid: fc.constantFrom(1, 2), large: fc.boolean() }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('insert' as const), page: fc.nat(pages - 1), asid: asidArb, large: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('invalidatePage' as const), page: fc.nat(pages - 1), asid: fc.constantFrom(1, 2) }) },
  );

describe('Tlb against a reference LRU array (property)', () => {
  it('takes the same ways, answers the same lookups and counts the same events, one page size or two per array', () => {
    const configArb = fc.record({
      sets: fc.constantFrom(1, 2, 3, 4, 12, 16),
      ways: fc.integer({ min: 1, max: 6 }),
      shifts: fc.constantFrom<readonly number[]>([12], [12, 21]),
      pages: fc.constantFrom(8, 40, 200),
    });
    fc.assert(
      fc.property(configArb.chain((config) => fc.tuple(fc.constant(config), fc.array(opArb(config.pages), { minLength: 20, maxLength: 150 }))), ([config, ops]) => {
        const tlb = new Tlb({ name: 'lru', arrays: [{ entries: config.sets * config.ways, ways: config.ways, pageShifts: config.shifts, replacement: 'lru' }] });
        const ref = new ReferenceLru(config.sets, config.ways, config.shifts);
        // Pages 4 KiB apart, 2 MiB pages where asked (only when the array holds them), all below 2^32.
        const vaOf = (page: number, offset = 0) => 0x4000_0000 + page * 0x1000 + offset;
        const shiftOf = (large: boolean) => (large && config.shifts.includes(21) ? 21 : 12);
        for (const op of ops) {
          if (op.kind === 'access') {
            const va = vaOf(op.page, op.offset);
            const e = tlb.lookup(va, op.asid);
            expect(e).toBe(ref.lookup(va, op.asid));
            if (e < 0) {
              const shift = shiftOf(op.large);
              const base = (va - (va % 2 ** shift)) % 2 ** 40;
              expect(tlb.insertUnchecked(va, op.asid, shift, base, 3, 0)).toBe(ref.insert(va, op.asid, shift, base));
            }
          } else if (op.kind === 'insert') {
            const va = vaOf(op.page);
            const shift = shiftOf(op.large);
            const base = (va - (va % 2 ** shift)) % 2 ** 40;
            expect(tlb.insert(va, op.asid, shift, base, 3)).toBe(ref.insert(va, op.asid, shift, base));
          } else {
            tlb.invalidatePage(vaOf(op.page), op.asid, true);
            ref.invalidatePage(vaOf(op.page), op.asid);
          }
          for (let e = 0; e < tlb.size; e++) {
            const s = ref.slots[e];
            expect(tlb.tag[e]).toBe(s === null ? INVALID_TAG : s.tag);
            if (s !== null) expect([tlb.asid[e], tlb.pageShift[e], tlb.pageBase[e]]).toEqual([s.asid, s.shift, s.base]);
          }
          expect([tlb.stats.hits, tlb.stats.misses, tlb.stats.evictions, tlb.stats.invalidations]).toEqual([ref.hits, ref.misses, ref.evictions, ref.invalidations]);
          expect(tlb.validCount()).toBe(ref.slots.filter((s) => s !== null).length);
        }
      }),
      { numRuns: 300 },
    );
  });
});
