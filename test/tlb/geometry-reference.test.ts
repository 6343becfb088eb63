import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ANY_ASID, GLOBAL_ASID, INVALID_TAG, REPLACEMENT_POLICIES, SET_INDEX_FUNCTIONS, Tlb } from '../../src/tlb/index.js';
import type { ReplacementPolicy, SetIndexFunction, TlbConfig } from '../../src/tlb/index.js';
import { referenceSet } from './helpers.js';

/**
 * The `Tlb` against a reference level written the plain way, for any geometry: one to three
 * arrays, set counts that are powers of two or not, both set-index functions and every
 * replacement policy. The reference computes sets with BigInt from the documented formulas
 * and keeps each policy's state in plain arrays; after every operation the two must hold the
 * same entries in the same slots and count the same events.
 */

interface ArrayGeometry {
  sets: number;
  ways: number;
  shifts: number[];
  policy: ReplacementPolicy;
  index: SetIndexFunction;
  seed: number;
}

interface Slot {
  tag: number;
  asid: number;
  shift: number;
  base: number;
}

/** One array's replacement state, per policy, as the policies are documented. */
class ReferencePolicy {
  private readonly stamps: number[];
  private readonly pointer: number[];
  private readonly tree: number[][];
  private clock = 0;
  private random: number;

  constructor(
    private readonly policy: ReplacementPolicy,
    sets: number,
    private readonly ways: number,
    seed: number,
  ) {
    this.stamps = new Array<number>(sets * ways).fill(0);
    this.pointer = new Array<number>(sets).fill(0);
    this.tree = Array.from({ length: sets }, () => new Array<number>(Math.max(ways - 1, 0)).fill(0));
    this.random = seed >>> 0;
  }

  /** A hit, or an insert that updated an entry in place. */
  use(set: number, way: number): void {
    if (this.policy === 'lru') this.stamps[set * this.ways + way] = ++this.clock;
    if (this.policy === 'plru') this.pointTreeAway(set, way);
  }

  /** An insert that wrote a new entry into `way`. */
  fill(set: number, way: number): void {
    if (this.policy === 'lru' || this.policy === 'fifo-fill') this.stamps[set * this.ways + way] = ++this.clock;
    if (this.policy === 'plru') this.pointTreeAway(set, way);
    if (this.policy === 'fifo' && this.pointer[set] === way) this.pointer[set] = (way + 1) % this.ways;
  }

  victim(set: number): number {
    switch (this.policy) {
      case 'lru':
      case 'fifo-fill': {
        const stamps = this.stamps.slice(set * this.ways, (set + 1) * this.ways);
        return stamps.indexOf(Math.min(...stamps)); // the oldest, lowest way on a tie
      }
      case 'fifo':
        return this.pointer[set];
      case 'plru': {
        // Follow the bits from the root: 1 = the victim is in the upper half.
        let low = 0;
        let node = 0;
        for (let span = this.ways / 2; span >= 1; span /= 2) {
          const upper = this.tree[set][node] === 1;
          if (upper) low += span;
          node = 2 * node + (upper ? 2 : 1);
        }
        return low;
      }
      default:
        return this.mulberry32() % this.ways;
    }
  }

  /** Every node on the path to `way` points at the other half. */
  private pointTreeAway(set: number, way: number): void {
    let low = 0;
    let node = 0;
    for (let span = this.ways / 2; span >= 1; span /= 2) {
      const upper = way >= low + span;
      this.tree[set][node] = upper ? 0 : 1;
      if (upper) low += span;
      node = 2 * node + (upper ? 2 : 1);
    }
  }

  private mulberry32(): number {
    this.random = (this.random + 0x6d2b79f5) >>> 0;
    let t = Math.imul(this.random ^ (this.random >>> 15), this.random | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
}

class ReferenceTlb {
  readonly slots: (Slot | null)[];
  hits = 0;
  misses = 0;
  evictions = 0;
  invalidations = 0;
  private readonly first: number[] = [];
  private readonly policies: ReferencePolicy[];

  constructor(private readonly arrays: readonly ArrayGeometry[]) {
    let size = 0;
    for (const a of arrays) {
      this.first.push(size);
      size += a.sets * a.ways;
    }
    this.slots = new Array<Slot | null>(size).fill(null);
    this.policies = arrays.map((a) => new ReferencePolicy(a.policy, a.sets, a.ways, a.seed));
  }

  /** The slots of the set `va`'s page of size `2^shift` maps to in array `k`. */
  private where(k: number, va: number, shift: number): { set: number; start: number; pageVa: number } {
    const a = this.arrays[k];
    const set = referenceSet(va, shift, a.sets, a.index);
    return { set, start: this.first[k] + set * a.ways, pageVa: va - (va % 2 ** shift) };
  }

  lookup(va: number, asid: number): number {
    for (let k = 0; k < this.arrays.length; k++) {
      for (const shift of [...this.arrays[k].shifts].sort((x, y) => x - y)) {
        const { set, start, pageVa } = this.where(k, va, shift);
        for (let way = 0; way < this.arrays[k].ways; way++) {
          const s = this.slots[start + way];
          if (s !== null && s.tag === pageVa && s.shift === shift && (s.asid === asid || s.asid === GLOBAL_ASID)) {
            this.policies[k].use(set, way);
            this.hits++;
            return start + way;
          }
        }
      }
    }
    this.misses++;
    return -1;
  }

  insert(va: number, asid: number, shift: number, base: number): number {
    const k = this.arrays.findIndex((a) => a.shifts.includes(shift));
    const { ways } = this.arrays[k];
    const { set, start, pageVa } = this.where(k, va, shift);
    let target = -1;
    for (let way = 0; way < ways; way++) {
      const s = this.slots[start + way];
      if (s === null || s.tag !== pageVa || s.shift !== shift) continue;
      if (s.asid !== asid && s.asid !== GLOBAL_ASID && asid !== GLOBAL_ASID) continue;
      if (target < 0) {
        target = way;
      } else {
        this.slots[start + way] = null; // a twin the new entry would shadow
        this.evictions++;
      }
    }
    const updating = target >= 0;
    if (!updating) target = this.slots.slice(start, start + ways).indexOf(null);
    if (target < 0) {
      target = this.policies[k].victim(set);
      this.evictions++;
    }
    this.slots[start + target] = { tag: pageVa, asid, shift, base };
    if (updating) this.policies[k].use(set, target);
    else this.policies[k].fill(set, target);
    return start + target;
  }

  invalidatePage(va: number, asid: number, includeGlobal: boolean): void {
    this.arrays.forEach((a, k) => {
      for (const shift of a.shifts) {
        const { start, pageVa } = this.where(k, va, shift);
        for (let e = start; e < start + a.ways; e++) {
          const s = this.slots[e];
          if (s === null || s.tag !== pageVa || s.shift !== shift) continue;
          if (s.asid === GLOBAL_ASID ? includeGlobal : asid === ANY_ASID || s.asid === asid) this.drop(e);
        }
      }
    });
  }

  invalidateAsid(asid: number): void {
    this.slots.forEach((s, e) => s !== null && s.asid === asid && this.drop(e));
  }

  invalidateEntry(e: number): void {
    if (this.slots[e] !== null) this.drop(e);
  }

  private drop(e: number): void {
    this.slots[e] = null;
    this.invalidations++;
  }
}

const arrayArb: fc.Arbitrary<Omit<ArrayGeometry, 'shifts'>> = fc
  .record({
    sets: fc.oneof({ weight: 9, arbitrary: fc.constantFrom(1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 24) }, { weight: 1, arbitrary: fc.constant(192) }),
    ways: fc.integer({ min: 1, max: 6 }),
    policy: fc.constantFrom<ReplacementPolicy>(...REPLACEMENT_POLICIES),
    index: fc.constantFrom<SetIndexFunction>(...SET_INDEX_FUNCTIONS),
    seed: fc.nat(),
  })
  .map((a) => ({ ...a, ways: a.policy === 'plru' ? 2 ** Math.floor(Math.log2(a.ways)) : a.ways }));

/** 1-3 arrays, the page sizes dealt out so that each array holds at least one. */
const geometryArb: fc.Arbitrary<ArrayGeometry[]> = fc
  .tuple(fc.array(arrayArb, { minLength: 1, maxLength: 3 }), fc.shuffledSubarray([12, 16, 21, 30], { minLength: 3, maxLength: 4 }))
  .map(([arrays, shifts]) => arrays.map((a, k) => ({ ...a, shifts: shifts.filter((_, i) => i % arrays.length === k) })));

/** Page addresses: neighbours (to share and fight over sets), and addresses up to 2^57. */
const vaArb: fc.Arbitrary<number> = fc.oneof(
  fc.nat(63).map((n) => 0x4000_0000 + n * 0x1000),
  fc.nat(31).map((n) => n * 0x20_0000),
  fc.nat(2 ** 40 - 1).map((n) => n * 0x1000),
  fc.tuple(fc.integer({ min: 2 ** 21, max: 2 ** 25 - 1 }), fc.nat(2 ** 20 - 1)).map(([hi, lo]) => hi * 2 ** 32 + lo * 0x1000),
);

type Op =
  | { kind: 'access'; slot: number; offset: number; asid: number; size: number }
  | { kind: 'insert'; slot: number; asid: number; size: number }
  | { kind: 'invalidatePage'; slot: number; asid: number; global: boolean }
  | { kind: 'invalidateAsid'; asid: number }
  | { kind: 'invalidateEntry'; index: number };

const SLOTS = 24;
const opArb: fc.Arbitrary<Op> = fc.oneof(
  // The MMU's miss path: a lookup, and on a miss the insert of the same address.
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('access' as const), slot: fc.nat(SLOTS - 1), offset: fc.nat(0xff), asid: fc.constantFrom(1, 2), size: fc.nat(3) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('insert' as const), slot: fc.nat(SLOTS - 1), asid: fc.constantFrom(GLOBAL_ASID, 1, 2), size: fc.nat(3) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('invalidatePage' as const), slot: fc.nat(SLOTS - 1), asid: fc.constantFrom(ANY_ASID, 1, 2), global: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('invalidateAsid' as const), asid: fc.constantFrom(1, 2) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('invalidateEntry' as const), index: fc.nat(10_000) }) },
);

describe('Tlb against a reference level of any geometry (property)', () => {
  it('takes the same slots, answers the same lookups and counts the same events for every set count, set index and policy', () => {
    fc.assert(
      fc.property(geometryArb, fc.array(vaArb, { minLength: SLOTS, maxLength: SLOTS }), fc.array(opArb, { minLength: 20, maxLength: 200 }), (geometry, vas, ops) => {
        const config: TlbConfig = {
          name: 'geometry',
          arrays: geometry.map((a) => ({ entries: a.sets * a.ways, ways: a.ways, pageShifts: a.shifts, replacement: a.policy, seed: a.seed, setIndex: a.index })),
        };
        const tlb = new Tlb(config);
        const ref = new ReferenceTlb(geometry);
        const held = geometry.flatMap((a) => a.shifts);
        const baseOf = (va: number, shift: number) => (va - (va % 2 ** shift)) % 2 ** 50;
        for (const op of ops) {
          if (op.kind === 'access') {
            const va = vas[op.slot] + op.offset * 16;
            const e = tlb.lookup(va, op.asid);
            expect(e).toBe(ref.lookup(va, op.asid));
            if (e < 0) {
              const shift = held[op.size % held.length];
              expect(tlb.insertUnchecked(va, op.asid, shift, baseOf(va, shift), 3, 0)).toBe(ref.insert(va, op.asid, shift, baseOf(va, shift)));
            }
          } else if (op.kind === 'insert') {
            const va = vas[op.slot];
            const shift = held[op.size % held.length];
            expect(tlb.insert(va, op.asid, shift, baseOf(va, shift), 3)).toBe(ref.insert(va, op.asid, shift, baseOf(va, shift)));
          } else if (op.kind === 'invalidatePage') {
            tlb.invalidatePage(vas[op.slot], op.asid, op.global);
            ref.invalidatePage(vas[op.slot], op.asid, op.global);
          } else if (op.kind === 'invalidateAsid') {
            tlb.invalidateAsid(op.asid);
            ref.invalidateAsid(op.asid);
          } else {
            tlb.invalidateEntry(op.index % tlb.size);
            ref.invalidateEntry(op.index % tlb.size);
          }
          // Every slot, compared without an expect per slot (the arrays reach thousands of entries).
          for (let e = 0; e < tlb.size; e++) {
            const s = ref.slots[e];
            const same = s === null ? tlb.tag[e] === INVALID_TAG : tlb.tag[e] === s.tag && tlb.asid[e] === s.asid && tlb.pageShift[e] === s.shift && tlb.pageBase[e] === s.base;
            if (!same) expect({ e, tag: tlb.tag[e], asid: tlb.asid[e], shift: tlb.pageShift[e], base: tlb.pageBase[e] }).toEqual({ e, ...(s ?? { tag: INVALID_TAG }) });
          }
          expect([tlb.stats.hits, tlb.stats.misses, tlb.stats.evictions, tlb.stats.invalidations]).toEqual([ref.hits, ref.misses, ref.evictions, ref.invalidations]);
          expect(tlb.validCount()).toBe(ref.slots.filter((s) => s !== null).length);
        }
      }),
      { numRuns: 400 },
    );
  });
});
