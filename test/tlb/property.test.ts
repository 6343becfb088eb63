import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GLOBAL_ASID, INVALID_TAG, REPLACEMENT_POLICIES, SET_INDEX_FUNCTIONS, Tlb } from '../../src/tlb/index.js';
import type { ReplacementPolicy, SetIndexFunction, TlbArrayConfig, TlbConfig } from '../../src/tlb/index.js';
import { referenceSet } from './helpers.js';

const SHIFTS = [12, 21, 22, 30, 39, 48];
/** One consistent address space for every ASID and page size: pa = va mod 2^50. */
const PA_SPACE = 2 ** 50;
const paOf = (va: number): number => va % PA_SPACE;

const arrayArb: fc.Arbitrary<Omit<TlbArrayConfig, 'pageShifts'>> = fc
  .record({
    sets: fc.constantFrom(1, 2, 3, 4, 6, 8, 12, 16),
    ways: fc.integer({ min: 1, max: 8 }),
    replacement: fc.constantFrom<ReplacementPolicy>(...REPLACEMENT_POLICIES),
    seed: fc.nat(),
    setIndex: fc.constantFrom<SetIndexFunction>(...SET_INDEX_FUNCTIONS),
  })
  .map(({ sets, ways, replacement, seed, setIndex }) => {
    const w = replacement === 'plru' ? 2 ** Math.floor(Math.log2(ways)) : ways;
    return { entries: sets * w, ways: w, replacement, seed, setIndex };
  });

/** 1-3 arrays; a random non-empty subset of SHIFTS dealt out so each array gets at least one. */
const configArb: fc.Arbitrary<TlbConfig> = fc
  .tuple(fc.array(arrayArb, { minLength: 1, maxLength: 3 }), fc.shuffledSubarray(SHIFTS, { minLength: 3, maxLength: 6 }))
  .map(([arrays, shifts]) => ({
    name: 'prop',
    arrays: arrays.map((a, k) => ({ ...a, pageShifts: shifts.filter((_, i) => i % arrays.length === k) })),
  }));

/** Addresses across the whole range: low, below 2^53, and multiples of 16 in [2^53, 2^57). */
const vaArb: fc.Arbitrary<number> = fc.oneof(
  fc.nat(2 ** 40 - 1),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  fc.tuple(fc.integer({ min: 2 ** 21, max: 2 ** 25 - 1 }), fc.nat(2 ** 28 - 1)).map(([hi, lo]) => hi * 2 ** 32 + lo * 16),
);

type Op =
  | { kind: 'insert'; slot: number; offset: number; asid: number; shift: number }
  | { kind: 'lookup'; slot: number; offset: number; asid: number }
  | { kind: 'invalidatePage'; slot: number; asid: number; global: boolean }
  | { kind: 'invalidateAsid'; asid: number }
  | { kind: 'invalidateNonGlobal' }
  | { kind: 'invalidateAll' }
  | { kind: 'invalidateEntry'; index: number };

const asidArb = fc.constantFrom(GLOBAL_ASID, 0, 1, 2);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('insert' as const), slot: fc.nat(7), offset: fc.nat(2 ** 12 - 1), asid: asidArb, shift: fc.constantFrom(...SHIFTS) }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('lookup' as const), slot: fc.nat(7), offset: fc.nat(2 ** 12 - 1), asid: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('invalidatePage' as const), slot: fc.nat(7), asid: fc.nat(2), global: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('invalidateAsid' as const), asid: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'invalidateNonGlobal' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'invalidateAll' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('invalidateEntry' as const), index: fc.nat(200) }) },
);

/** Valid entries, counted by scanning the tags (what {@link Tlb.validCount} keeps incrementally). */
function scanValid(tlb: Tlb): number {
  let n = 0;
  for (let e = 0; e < tlb.size; e++) if (tlb.tag[e] !== INVALID_TAG) n++;
  return n;
}

/** Every valid entry is page-aligned, sits in the set its page maps to, and has no twin. */
function checkInvariants(tlb: Tlb): void {
  const seen = new Set<string>();
  for (const x of tlb.entries()) {
    const size = 2 ** x.pageShift;
    expect(x.va % size).toBe(0);
    expect(x.va).not.toBe(INVALID_TAG);
    const array = tlb.config.arrays[x.array];
    expect(referenceSet(x.va, x.pageShift, array.sets, array.setIndex)).toBe(x.set);
    expect(x.pageBase).toBe(paOf(x.va));
    const key = `${x.array}:${x.va}:${x.pageShift}:`;
    // No twin: same ASID, or a global and any other entry, for one page and size of one array.
    expect(seen.has(`${key}${x.asid}`) || (x.global ? [...seen].some((k) => k.startsWith(key)) : seen.has(`${key}-1`))).toBe(false);
    seen.add(`${key}${x.asid}`);
  }
}

describe('Tlb as a cache (property)', () => {
  it('hits only with a matching entry, translates consistently, and hits right after an insert', () => {
    fc.assert(
      fc.property(configArb, fc.array(vaArb, { minLength: 8, maxLength: 8 }), fc.array(opArb, { maxLength: 120 }), (config, slots, ops) => {
        const tlb = new Tlb(config);
        let lookups = 0;
        let removedByInvalidation = 0;
        const hit = (va: number, asid: number, e: number) => {
          expect(tlb.tag[e]).toBeLessThanOrEqual(va);
          expect(va - tlb.tag[e]).toBeLessThan(2 ** tlb.pageShift[e]);
          expect([asid, GLOBAL_ASID]).toContain(tlb.asid[e]);
          expect(tlb.pageBase[e] + (va - tlb.tag[e])).toBe(paOf(va));
        };
        for (const op of ops) {
          const validBefore = scanValid(tlb);
          if (op.kind === 'insert' || op.kind === 'lookup') {
            const va = Math.min(slots[op.slot] + op.offset * 16, 2 ** 57 - 16);
            if (op.kind === 'insert') {
              const pageVa = va - (va % 2 ** op.shift);
              const e = tlb.insert(va, op.asid, op.shift, paOf(pageVa), 0);
              if (tlb.fitPageShift(op.shift) < 0) expect(e).toBe(-1);
              else expect(e).toBeGreaterThanOrEqual(0);
              if (e >= 0) {
                const asid = op.asid === GLOBAL_ASID ? 7 : op.asid;
                const found = tlb.lookup(va, asid);
                lookups++;
                expect(found).toBeGreaterThanOrEqual(0);
                hit(va, asid, found);
              }
            } else {
              const e = tlb.lookup(va, op.asid);
              lookups++;
              if (e >= 0) hit(va, op.asid, e);
            }
          } else if (op.kind === 'invalidatePage') {
            const va = slots[op.slot];
            tlb.invalidatePage(va, op.asid, op.global);
            const e = tlb.peek(va, op.asid);
            if (e >= 0) expect(tlb.asid[e] === GLOBAL_ASID && !op.global).toBe(true);
          } else if (op.kind === 'invalidateAsid') {
            tlb.invalidateAsid(op.asid);
            expect([...tlb.entries()].some((x) => x.asid === op.asid)).toBe(false);
          } else if (op.kind === 'invalidateNonGlobal') {
            const globals = [...tlb.entries()].filter((x) => x.global).map((x) => x.index);
            tlb.invalidateNonGlobal();
            expect([...tlb.entries()].map((x) => x.index)).toEqual(globals); // every global entry stays
          } else if (op.kind === 'invalidateAll') {
            tlb.invalidateAll();
            expect(scanValid(tlb)).toBe(0);
          } else {
            tlb.invalidateEntry(op.index % tlb.size);
            expect(tlb.tag[op.index % tlb.size]).toBe(INVALID_TAG);
          }
          if (op.kind.startsWith('invalidate')) removedByInvalidation += validBefore - scanValid(tlb);
          expect(tlb.validCount()).toBe(scanValid(tlb));
          // Every valid entry is found by a lookup of its page (a lookup skips only arrays it knows are empty).
          for (const x of tlb.entries()) expect(tlb.peek(x.va, x.global ? 5 : x.asid)).toBeGreaterThanOrEqual(0);
        }
        checkInvariants(tlb);
        expect(tlb.stats.hits + tlb.stats.misses).toBe(lookups);
        expect(tlb.stats.invalidations).toBe(removedByInvalidation);
      }),
      { numRuns: 300 },
    );
  });
});
