import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RegionTree } from '../../src/os/records/region-tree.js';

interface R {
  readonly base: number;
  readonly size: number;
  readonly id?: number;
}

const r = (base: number, size: number, id?: number): R => ({ base, size, id });
const PAGE = 0x1000;

function treeOf(...regions: R[]): RegionTree<R> {
  const t = new RegionTree<R>();
  for (const x of regions) t.insert(x);
  return t;
}

const overlaps = (a: R, start: number, end: number): boolean => a.base < end && a.base + a.size > start;

// ------------------------------------------------------------------ unit tests

describe('RegionTree insert', () => {
  it('keeps regions sorted whatever the insertion order', () => {
    const t = treeOf(r(0x5000, PAGE), r(0x1000, PAGE), r(0x3000, 2 * PAGE), r(0x9000, PAGE));
    expect([...t].map((x) => x.base)).toEqual([0x1000, 0x3000, 0x5000, 0x9000]);
    expect(t.size).toBe(4);
  });

  it('accepts ranges that touch on either side', () => {
    const t = treeOf(r(0x1000, PAGE), r(0x3000, PAGE));
    t.insert(r(0x2000, PAGE)); // touches both
    t.insert(r(0, PAGE)); // touches the first from below
    t.insert(r(0x4000, PAGE)); // touches the last from above
    expect([...t].map((x) => x.base)).toEqual([0, 0x1000, 0x2000, 0x3000, 0x4000]);
  });

  it.each<[string, R]>([
    ['same range', r(0x2000, 0x2000)],
    ['inside', r(0x2800, 0x100)],
    ['covering', r(0x1000, 0x4000)],
    ['over the start', r(0x1800, 0x1000)],
    ['over the end', r(0x3fff, 0x10)],
    ['one byte at the end', r(0x3fff, 1)],
  ])('rejects an overlapping range: %s', (_name, region) => {
    const t = treeOf(r(0x2000, 0x2000));
    expect(() => t.insert(region)).toThrow(RangeError);
    expect(() => t.insert(region)).toThrow(/overlaps \[0x2000, 0x4000\)/);
    expect(t.size).toBe(1);
  });

  it('rejects overlap with the lower neighbour when inserting in the middle', () => {
    const t = treeOf(r(0x1000, 0x2000), r(0x8000, PAGE));
    expect(() => t.insert(r(0x2000, PAGE))).toThrow(RangeError);
    expect(() => t.insert(r(0x7000, 0x1001))).toThrow(RangeError);
    expect(t.size).toBe(2);
  });

  it('rejects inserting the same object twice', () => {
    const x = r(0x1000, PAGE);
    const t = treeOf(x);
    expect(() => t.insert(x)).toThrow(RangeError);
  });

  it.each<[string, R]>([
    ['fractional base', r(0.5, PAGE)],
    ['negative base', r(-PAGE, PAGE)],
    ['NaN base', r(NaN, PAGE)],
    ['unsafe base', r(2 ** 53, PAGE)],
    ['zero size', r(0x1000, 0)],
    ['negative size', r(0x1000, -1)],
    ['fractional size', r(0x1000, 1.5)],
    ['infinite size', r(0x1000, Infinity)],
    ['end above 2^53', r(2 ** 53 - PAGE, 2 * PAGE)],
    ['end above 2^53 by one', r(2 ** 53 - 1, 2)],
  ])('rejects bad fields: %s', (_name, region) => {
    const t = new RegionTree<R>();
    expect(() => t.insert(region)).toThrow(RangeError);
    expect(t.size).toBe(0);
  });

  it('accepts a region ending exactly at 2^53 and non-page-aligned regions', () => {
    const t = treeOf(r(2 ** 53 - PAGE, PAGE), r(3, 5), r(8, 1));
    expect(t.find(2 ** 53 - 1)?.base).toBe(2 ** 53 - PAGE);
    expect(t.find(7)?.base).toBe(3);
    expect(t.find(8)?.base).toBe(8);
    expect(t.find(9)).toBeUndefined();
  });

  it('grows past its initial capacity', () => {
    const t = new RegionTree<R>();
    for (let i = 99; i >= 0; i--) t.insert(r(i * 2 * PAGE, PAGE));
    expect(t.size).toBe(100);
    for (let i = 0; i < 100; i++) expect(t.find(i * 2 * PAGE + 5)?.base).toBe(i * 2 * PAGE);
  });

  it.each<[string, (i: number) => number]>([
    ['ascending', (i) => i],
    ['descending', (i) => 2999 - i],
    ['interleaved', (i) => (i * 1237) % 3000],
  ])('stays ordered across many leaves when inserting %s, then removing half and the rest', (_name, order) => {
    const xs = Array.from({ length: 3000 }, (_, i) => r(i * 2 * PAGE, PAGE, i));
    const t = new RegionTree<R>();
    for (let i = 0; i < 3000; i++) t.insert(xs[order(i)]);
    expect([...t]).toEqual(xs);
    const removed = new Set<R>();
    for (let i = 0; i < 3000; i += 2) {
      expect(t.remove(xs[order(i)])).toBe(true);
      removed.add(xs[order(i)]);
    }
    const left = xs.filter((x) => !removed.has(x));
    expect([...t]).toEqual(left);
    for (const x of xs) expect(t.find(x.base + 1)).toBe(removed.has(x) ? undefined : x);
    expect(t.first()).toBe(left[0]);
    expect(t.last()).toBe(left.at(-1));
    for (const x of left) expect(t.remove(x)).toBe(true);
    expect(t.size).toBe(0);
    expect([...t]).toEqual([]);
    t.insert(xs[5]);
    expect(t.find(xs[5].base)).toBe(xs[5]);
  });

  it('takes initial regions in the constructor', () => {
    const t = new RegionTree<R>([r(0x3000, PAGE), r(0x1000, PAGE)]);
    expect(t.first()?.base).toBe(0x1000);
    expect(() => new RegionTree<R>([r(0, 0x2000), r(0x1000, PAGE)])).toThrow(RangeError);
  });
});

describe('RegionTree remove', () => {
  it('removes by identity, not by value', () => {
    const a = r(0x1000, PAGE);
    const t = treeOf(a, r(0x3000, PAGE));
    expect(t.remove(r(0x1000, PAGE))).toBe(false);
    expect(t.size).toBe(2);
    expect(t.remove(a)).toBe(true);
    expect(t.remove(a)).toBe(false);
    expect(t.size).toBe(1);
    expect(t.find(0x1000)).toBeUndefined();
  });

  it('removes first, middle and last regions', () => {
    const xs = [r(0, PAGE), r(0x1000, PAGE), r(0x2000, PAGE), r(0x3000, PAGE)];
    const t = treeOf(...xs);
    expect(t.remove(xs[1])).toBe(true);
    expect(t.remove(xs[3])).toBe(true);
    expect(t.remove(xs[0])).toBe(true);
    expect([...t]).toEqual([xs[2]]);
    expect(t.remove(xs[2])).toBe(true);
    expect(t.size).toBe(0);
    expect(t.remove(xs[2])).toBe(false);
  });

  it('frees the range for reuse', () => {
    const a = r(0x1000, PAGE);
    const t = treeOf(r(0, PAGE), a, r(0x2000, PAGE));
    t.remove(a);
    t.insert(r(0x1000, PAGE));
    expect(t.size).toBe(3);
  });
});

describe('RegionTree lookups', () => {
  const a = r(0x1000, 0x1000, 1);
  const b = r(0x2000, 0x2000, 2); // touches a
  const c = r(0x8000, 0x1000, 3);
  const t = treeOf(c, a, b);

  it('find returns the containing region, half-open', () => {
    expect(t.find(0x0fff)).toBeUndefined();
    expect(t.find(0x1000)).toBe(a);
    expect(t.find(0x1fff)).toBe(a);
    expect(t.find(0x2000)).toBe(b);
    expect(t.find(0x3fff)).toBe(b);
    expect(t.find(0x4000)).toBeUndefined();
    expect(t.find(0x8fff)).toBe(c);
    expect(t.find(0x9000)).toBeUndefined();
    expect(t.find(-1)).toBeUndefined();
    expect(t.find(NaN)).toBeUndefined();
    expect(new RegionTree<R>().find(0)).toBeUndefined();
  });

  it('ceiling returns the containing region or the next above', () => {
    expect(t.ceiling(0)).toBe(a);
    expect(t.ceiling(0x1fff)).toBe(a);
    expect(t.ceiling(0x2000)).toBe(b);
    expect(t.ceiling(0x4000)).toBe(c);
    expect(t.ceiling(0x8fff)).toBe(c);
    expect(t.ceiling(0x9000)).toBeUndefined();
  });

  it('floor returns the containing region or the nearest below', () => {
    expect(t.floor(0xfff)).toBeUndefined();
    expect(t.floor(0x1000)).toBe(a);
    expect(t.floor(0x1fff)).toBe(a);
    expect(t.floor(0x7fff)).toBe(b);
    expect(t.floor(0x8000)).toBe(c);
    expect(t.floor(2 ** 53)).toBe(c);
  });

  it('overlapping returns intersecting regions in order, touching ones excluded', () => {
    expect(t.overlapping(0, 0x1000)).toEqual([]);
    expect(t.overlapping(0, 0x1001)).toEqual([a]);
    expect(t.overlapping(0x1fff, 0x2001)).toEqual([a, b]);
    expect(t.overlapping(0x2000, 0x8000)).toEqual([b]);
    expect(t.overlapping(0x4000, 0x8000)).toEqual([]);
    expect(t.overlapping(0, 2 ** 53)).toEqual([a, b, c]);
    expect(t.overlapping(0x3000, 0x3000)).toEqual([]);
    expect(t.overlapping(0x5000, 0x3000)).toEqual([]);
  });

  it('first, last, size and iteration', () => {
    expect(t.first()).toBe(a);
    expect(t.last()).toBe(c);
    expect(t.size).toBe(3);
    expect([...t]).toEqual([a, b, c]);
    const empty = new RegionTree<R>();
    expect(empty.first()).toBeUndefined();
    expect(empty.last()).toBeUndefined();
    expect([...empty]).toEqual([]);
  });

  it('iteration walks a snapshot, so removing while iterating is safe', () => {
    const xs = [r(0, 1), r(1, 1), r(2, 1), r(3, 1)];
    const u = treeOf(...xs);
    const seen: R[] = [];
    for (const x of u) {
      seen.push(x);
      u.remove(x);
    }
    expect(seen).toEqual(xs);
    expect(u.size).toBe(0);
  });

  it('clear empties the tree and forgets gap marks', () => {
    const u = treeOf(r(0, PAGE), r(PAGE, PAGE));
    expect(u.findGap(PAGE, PAGE, 0, 0x10000, false)).toBe(2 * PAGE);
    u.clear();
    expect(u.size).toBe(0);
    expect(u.find(0)).toBeUndefined();
    expect(u.findGap(PAGE, PAGE, 0, 0x10000, false)).toBe(0);
    u.insert(r(0, PAGE));
    expect(u.size).toBe(1);
  });
});

describe('RegionTree findGap', () => {
  it('empty tree: the aligned bounds', () => {
    const t = new RegionTree<R>();
    expect(t.findGap(PAGE, PAGE, 0x1000, 0x10000, false)).toBe(0x1000);
    expect(t.findGap(PAGE, PAGE, 0x1000, 0x10000, true)).toBe(0xf000);
    expect(t.findGap(PAGE, 0x10000, 0x1000, 0x30000, false)).toBe(0x10000);
    expect(t.findGap(PAGE, 0x10000, 0x1000, 0x30000, true)).toBe(0x20000);
    expect(t.findGap(0x10000, 0x10000, 0x1000, 0x30000, true)).toBe(0x20000);
    expect(t.findGap(0x10001, 0x10000, 0x1000, 0x30000, true)).toBe(0x10000);
  });

  it('a gap that exactly fits, and one byte too small', () => {
    const t = treeOf(r(0, 0x1000), r(0x3000, 0x1000));
    expect(t.findGap(0x2000, PAGE, 0, 0x4000, false)).toBe(0x1000);
    expect(t.findGap(0x2000, PAGE, 0, 0x4000, true)).toBe(0x1000);
    expect(t.findGap(0x2001, 1, 0, 0x4000, false)).toBe(-1);
    expect(t.findGap(0x2001, 1, 0, 0x4000, true)).toBe(-1);
    expect(t.findGap(0x2001, 1, 0, 0x6000, false)).toBe(-1);
    expect(t.findGap(0x2001, 1, 0, 0x6001, false)).toBe(0x4000);
    expect(t.findGap(0x2001, 1, 0, 0x6001, true)).toBe(0x4000);
  });

  it('respects the window bounds exactly', () => {
    const t = new RegionTree<R>();
    expect(t.findGap(0x1000, PAGE, 0x1000, 0x2000, false)).toBe(0x1000);
    expect(t.findGap(0x1000, PAGE, 0x1000, 0x2000, true)).toBe(0x1000);
    expect(t.findGap(0x1001, 1, 0x1000, 0x2000, false)).toBe(-1);
    expect(t.findGap(0x1000, PAGE, 0x1001, 0x2001, false)).toBe(-1); // no aligned start fits
    expect(t.findGap(0x1000, PAGE, 0x2000, 0x1000, false)).toBe(-1); // inverted window
    expect(t.findGap(PAGE, PAGE, 2 ** 53 - PAGE, 2 ** 53, false)).toBe(2 ** 53 - PAGE);
    expect(t.findGap(PAGE, PAGE, 0, 2 ** 53, true)).toBe(2 ** 53 - PAGE);
  });

  it('skips gaps too small or misaligned for the request', () => {
    // Windows-style: 64 KiB granularity, one-page regions leave 60 KiB dead gaps.
    const t = treeOf(r(0x10000, PAGE), r(0x20000, PAGE), r(0x30000, PAGE));
    expect(t.findGap(PAGE, 0x10000, 0x10000, 0x100000, false)).toBe(0x40000);
    expect(t.findGap(PAGE, PAGE, 0x10000, 0x100000, false)).toBe(0x11000);
    expect(t.findGap(0x10000, PAGE, 0x10000, 0x100000, false)).toBe(0x31000);
    expect(t.findGap(PAGE, 0x10000, 0, 0x40000, true)).toBe(0);
    expect(t.findGap(PAGE, 0x10000, 0x10000, 0x40000, true)).toBe(-1);
    expect(t.findGap(PAGE, PAGE, 0x10000, 0x31000, true)).toBe(0x2f000);
  });

  it('supports alignments that are not powers of two', () => {
    const t = treeOf(r(0, 10));
    expect(t.findGap(4, 3, 0, 100, false)).toBe(12);
    expect(t.findGap(4, 7, 0, 100, true)).toBe(91);
    expect(t.findGap(4, 7, 0, 95, true)).toBe(91);
    expect(t.findGap(4, 7, 0, 94, true)).toBe(84);
    expect(t.findGap(4, 7, 0, 14, true)).toBe(-1);
  });

  it('uses a free, aligned hint as is, and otherwise the next fit past it', () => {
    const t = treeOf(r(0x5000, PAGE));
    expect(t.findGap(PAGE, PAGE, 0, 0x10000, false, 0x3000)).toBe(0x3000);
    expect(t.findGap(PAGE, PAGE, 0, 0x10000, true, 0x3000)).toBe(0x3000);
    expect(t.findGap(PAGE, PAGE, 0, 0x10000, false, 0x5000)).toBe(0x6000);
    expect(t.findGap(PAGE, PAGE, 0, 0x10000, true, 0x5000)).toBe(0x4000);
    expect(t.findGap(2 * PAGE, PAGE, 0, 0x10000, false, 0x4800)).toBe(0x6000);
    expect(t.findGap(PAGE, PAGE, 0, 0x10000, false, 0x4800)).toBe(0x6000); // rounded up to alignment
    // Nothing past the hint: falls back to the whole window.
    expect(t.findGap(PAGE, PAGE, 0, 0x6000, false, 0x5000)).toBe(0);
    expect(t.findGap(PAGE, PAGE, 0x5000, 0x10000, true, 0x5000)).toBe(0xf000);
    // Hints outside the window are ignored.
    expect(t.findGap(PAGE, PAGE, 0x1000, 0x10000, false, 0)).toBe(0x1000);
    expect(t.findGap(PAGE, PAGE, 0x1000, 0x10000, false, 0x20000)).toBe(0x1000);
    expect(t.findGap(PAGE, PAGE, 0x1000, 0x10000, true, 0x20000)).toBe(0xf000);
  });

  it.each<[string, () => number]>([
    ['zero size', () => new RegionTree<R>().findGap(0, PAGE, 0, 0x10000, false)],
    ['fractional size', () => new RegionTree<R>().findGap(1.5, PAGE, 0, 0x10000, false)],
    ['zero alignment', () => new RegionTree<R>().findGap(PAGE, 0, 0, 0x10000, false)],
    ['negative low', () => new RegionTree<R>().findGap(PAGE, PAGE, -PAGE, 0x10000, false)],
    ['high above 2^53', () => new RegionTree<R>().findGap(PAGE, PAGE, 0, 2 ** 54, false)],
    ['NaN high', () => new RegionTree<R>().findGap(PAGE, PAGE, 0, NaN, false)],
    ['fractional hint', () => new RegionTree<R>().findGap(PAGE, PAGE, 0, 0x10000, false, 0.5)],
  ])('rejects bad arguments: %s', (_name, call) => {
    expect(call).toThrow(RangeError);
  });

  it('bottom-up allocation without frees packs the space, then reuses a freed gap', () => {
    const t = new RegionTree<R>();
    const placed: R[] = [];
    for (let i = 0; i < 50; i++) {
      const size = ((i % 3) + 1) * PAGE;
      const a = t.findGap(size, 0x10000, 0x10000, 0x1000000, false);
      expect(a).toBe(0x10000 * (i + 1));
      placed.push(r(a, size));
      t.insert(placed[i]);
    }
    t.remove(placed[10]);
    expect(t.findGap(PAGE, 0x10000, 0x10000, 0x1000000, false)).toBe(placed[10].base);
    t.insert(r(placed[10].base, 0x10000));
    expect(t.findGap(PAGE, 0x10000, 0x10000, 0x1000000, false)).toBe(0x10000 * 51);
  });

  it('top-down allocation without frees, then reuses a freed gap', () => {
    const t = new RegionTree<R>();
    const placed: R[] = [];
    const high = 0x7fff_0000;
    for (let i = 0; i < 50; i++) {
      const a = t.findGap(3 * PAGE, PAGE, 0x10000, high, true);
      expect(a).toBe(high - 3 * PAGE * (i + 1));
      placed.push(r(a, 3 * PAGE));
      t.insert(placed[i]);
    }
    t.remove(placed[20]);
    expect(t.findGap(2 * PAGE, PAGE, 0x10000, high, true)).toBe(placed[20].base + PAGE);
    expect(t.findGap(4 * PAGE, PAGE, 0x10000, high, true)).toBe(placed[49].base - 4 * PAGE);
  });

  it('repeating a query without taking its answer gives the same answer', () => {
    const t = treeOf(r(0x10, 0xf), r(0x30, 0x10));
    for (let k = 0; k < 3; k++) {
      expect(t.findGap(1, 1, 0, 0x20, true)).toBe(0x1f);
      expect(t.findGap(1, 1, 0, 0x50, false)).toBe(0);
      expect(t.findGap(1, 1, 0x10, 0x50, false)).toBe(0x1f);
      expect(t.findGap(2, 1, 0x10, 0x50, false)).toBe(0x1f);
      expect(t.findGap(1, 0x10, 0x10, 0x50, false)).toBe(0x20);
      expect(t.findGap(1, 0x10, 0, 0x30, true)).toBe(0x20);
    }
  });

  it('a larger request after smaller ones is not misled by remembered marks', () => {
    const t = treeOf(r(0, PAGE), r(3 * PAGE, PAGE));
    expect(t.findGap(PAGE, PAGE, 0, 0x10000, false)).toBe(PAGE);
    expect(t.findGap(3 * PAGE, PAGE, 0, 0x10000, false)).toBe(4 * PAGE);
    t.insert(r(PAGE, PAGE));
    expect(t.findGap(PAGE, PAGE, 0, 0x10000, false)).toBe(2 * PAGE);
    expect(t.findGap(PAGE, PAGE, 0, 0x10000, false, 0)).toBe(2 * PAGE);
    // A wider window below the remembered bound is searched in full.
    const u = treeOf(r(0x5000, PAGE));
    expect(u.findGap(PAGE, PAGE, 0x5000, 0x10000, false)).toBe(0x6000);
    expect(u.findGap(PAGE, PAGE, 0, 0x10000, false)).toBe(0);
    expect(u.findGap(PAGE, PAGE, 0, 0x6000, true)).toBe(0x4000);
    expect(u.findGap(PAGE, PAGE, 0, 0x10000, true)).toBe(0xf000);
  });
});

// ------------------------------------------------------------------ model-based property test

type Op =
  | { kind: 'insert'; base: number; size: number }
  | { kind: 'fill'; from: number; count: number; size: number; stride: number }
  | { kind: 'remove'; pick: number; stranger: boolean }
  | { kind: 'removeRun'; pick: number; count: number }
  | { kind: 'lookup'; address: number }
  | { kind: 'range'; start: number; length: number }
  | { kind: 'gap'; size: number; align: number; low: number; high: number; topDown: boolean; hint: number | undefined; take: boolean };

/** A boolean that is true with probability `p` (in tenths). */
const chance = (p: number): fc.Arbitrary<boolean> => fc.integer({ min: 0, max: 9 }).map((x) => x < p * 10);

/** Address universe, in units: big enough for thousands of regions, so many leaves. */
const U = 4096;
const unit = (max = U): fc.Arbitrary<number> => fc.oneof(fc.integer({ min: 0, max }), fc.integer({ min: 0, max: 64 }), fc.integer({ min: max - 64, max }));

const gapArb = (sizeMax: number, take: fc.Arbitrary<boolean>): fc.Arbitrary<Op> =>
  fc.record({
    kind: fc.constant('gap' as const),
    size: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: sizeMax })),
    align: fc.constantFrom(1, 1, 2, 3, 4, 8, 16),
    low: fc.oneof(fc.constantFrom(0, 0, 16, 100), unit()),
    high: fc.oneof(fc.constantFrom(U, U, 2000, 3000), unit()),
    topDown: fc.boolean(),
    hint: fc.option(unit(), { freq: 4, nil: undefined }),
    take,
  });

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('insert' as const), base: unit(U - 1), size: fc.integer({ min: 1, max: 8 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('fill' as const),
      from: unit(U - 1),
      count: fc.integer({ min: 1, max: 600 }),
      size: fc.integer({ min: 1, max: 3 }),
      stride: fc.integer({ min: 1, max: 5 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), pick: fc.nat(), stranger: chance(0.1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('removeRun' as const), pick: fc.nat(), count: fc.integer({ min: 1, max: 300 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('lookup' as const), address: fc.integer({ min: -1, max: U + 1 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('range' as const), start: fc.integer({ min: -1, max: U }), length: fc.integer({ min: -1, max: 600 }) }) },
  { weight: 6, arbitrary: gapArb(40, chance(0.7)) },
);

/**
 * Runs `ops` on a tree and on a brute-force model (a list plus an occupancy map
 * of units), with addresses `offset + unit * scale`.
 */
function checkAgainstModel(ops: Op[], scale: number, offset: number): void {
  const tree = new RegionTree<R>();
  const owner: (R | undefined)[] = new Array<R | undefined>(U + 64).fill(undefined);
  let model: R[] = [];
  const addr = (u: number): number => offset + u * scale;
  const unitOf = (a: number): number => Math.floor((a - offset) / scale);
  const sorted = (): R[] => [...model].sort((x, y) => x.base - y.base);
  const free = (u0: number, n: number): boolean => {
    for (let u = u0; u < u0 + n; u++) if (owner[u] !== undefined) return false;
    return true;
  };
  const add = (x: R): void => {
    for (let u = unitOf(x.base); u < unitOf(x.base + x.size); u++) owner[u] = x;
    model.push(x);
  };
  const drop = (x: R): void => {
    for (let u = unitOf(x.base); u < unitOf(x.base + x.size); u++) owner[u] = undefined;
    model = model.filter((m) => m !== x);
  };
  // The brute-force gap search: every aligned candidate, in order.
  const gapIn = (size: number, align: number, low: number, high: number, topDown: boolean): number => {
    if (high - low < size) return -1;
    const first = Math.ceil(low / align) * align;
    const lastStart = Math.floor((high - size) / align) * align;
    const fits = (a: number): boolean => free(unitOf(a), size / scale);
    if (topDown) {
      for (let a = lastStart; a >= first; a -= align) if (fits(a)) return a;
    } else {
      for (let a = first; a <= high - size; a += align) if (fits(a)) return a;
    }
    return -1;
  };
  const gap = (size: number, align: number, low: number, high: number, topDown: boolean, hint?: number): number => {
    if (hint !== undefined) {
      const a = topDown ? gapIn(size, align, low, Math.min(high, hint + size), true) : gapIn(size, align, Math.max(low, hint), high, false);
      if (a >= 0) return a;
    }
    return gapIn(size, align, low, high, topDown);
  };

  for (const op of ops) {
    switch (op.kind) {
      case 'insert': {
        const x = r(addr(op.base), Math.min(op.size, U - op.base) * scale);
        if (!free(op.base, x.size / scale)) expect(() => tree.insert(x)).toThrow(RangeError);
        else {
          tree.insert(x);
          add(x);
        }
        break;
      }
      case 'fill': {
        for (let i = 0, u = op.from; i < op.count && u + op.size <= U; i++, u += op.size + op.stride - 1) {
          const x = r(addr(u), op.size * scale);
          if (free(u, op.size)) {
            tree.insert(x);
            add(x);
          }
        }
        break;
      }
      case 'remove': {
        if (model.length === 0 || op.stranger) {
          const victim = model.length > 0 ? model[op.pick % model.length] : r(addr(op.pick % U), scale);
          expect(tree.remove(r(victim.base, victim.size))).toBe(false);
        } else {
          const victim = model[op.pick % model.length];
          expect(tree.remove(victim)).toBe(true);
          drop(victim);
        }
        break;
      }
      case 'removeRun': {
        // Consecutive regions: empties and merges leaves.
        const s = sorted();
        for (const victim of s.slice(op.pick % Math.max(1, s.length), (op.pick % Math.max(1, s.length)) + op.count)) {
          expect(tree.remove(victim)).toBe(true);
          drop(victim);
        }
        break;
      }
      case 'lookup': {
        for (const a of op.address < 0 ? [op.address] : [addr(op.address), addr(op.address) + scale - 1]) {
          const s = sorted();
          expect(tree.find(a)).toBe(a < offset ? undefined : owner[unitOf(a)]);
          expect(tree.ceiling(a)).toBe(s.find((m) => m.base + m.size > a));
          expect(tree.floor(a)).toBe(s.filter((m) => m.base <= a).pop());
        }
        break;
      }
      case 'range': {
        const start = addr(op.start);
        const end = start + op.length * scale;
        expect(tree.overlapping(start, end)).toEqual(end > start ? sorted().filter((m) => overlaps(m, start, end)) : []);
        break;
      }
      case 'gap': {
        const size = op.size * scale;
        const align = op.align * scale;
        const low = addr(op.low);
        const high = addr(op.high);
        const hint = op.hint === undefined ? undefined : addr(op.hint);
        const got = tree.findGap(size, align, low, high, op.topDown, hint);
        expect(got).toBe(gap(size, align, low, high, op.topDown, hint));
        if (got >= 0 && op.take) {
          const x = r(got, size);
          tree.insert(x);
          add(x);
        }
        break;
      }
    }
    expect(tree.size).toBe(model.length);
  }
  const s = sorted();
  expect([...tree]).toEqual(s);
  expect(tree.first()).toBe(s[0]);
  expect(tree.last()).toBe(s.at(-1));
}

describe('RegionTree against a brute-force model', () => {
  it('byte-granular addresses from 0', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 5, maxLength: 80, size: 'large' }), (ops) => checkAgainstModel(ops, 1, 0)),
      { numRuns: 300 },
    );
  });

  it('page-granular addresses high in the 53-bit space', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 5, maxLength: 80, size: 'large' }), (ops) => checkAgainstModel(ops, PAGE, 2 ** 52 + 0x10000)),
      { numRuns: 150 },
    );
  });

  it('allocation-heavy sequences with occasional frees', () => {
    const allocArb: fc.Arbitrary<Op> = fc.oneof(
      { weight: 12, arbitrary: gapArb(8, fc.constant(true)).map((op) => ({ ...op, low: 4, high: U, hint: undefined })) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), pick: fc.nat(), stranger: fc.constant(false) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('insert' as const), base: unit(U - 1), size: fc.integer({ min: 1, max: 3 }) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('fill' as const), from: unit(U - 1), count: fc.integer({ min: 1, max: 400 }), size: fc.constant(1), stride: fc.integer({ min: 1, max: 3 }) }) },
    );
    fc.assert(
      fc.property(fc.array(allocArb, { minLength: 20, maxLength: 400, size: 'large' }), (ops) => checkAgainstModel(ops, 1, 0)),
      { numRuns: 100 },
    );
  });
});

// ------------------------------------------------------------------ scale (correctness only; timing is in bench/)

describe('RegionTree at 100 000 regions', () => {
  it('allocates 100 000 regions bottom-up with 64 KiB granularity and finds every one', () => {
    const N = 100_000;
    const t = new RegionTree<R>();
    const low = 0x10000;
    for (let i = 0; i < N; i++) {
      const size = ((i % 4) + 1) * PAGE;
      const a = t.findGap(size, 0x10000, low, 2 ** 47, false);
      if (a !== low + i * 0x10000) expect.fail(`allocation ${i} at 0x${a.toString(16)}`);
      t.insert(r(a, size, i));
    }
    expect(t.size).toBe(N);
    for (let i = 0; i < N; i++) {
      const base = low + i * 0x10000;
      const size = ((i % 4) + 1) * PAGE;
      const hit = t.find(base);
      if (hit?.id !== i || t.find(base + size - 1) !== hit || t.find(base + size) !== undefined) {
        expect.fail(`find around region ${i} at 0x${base.toString(16)}`);
      }
    }
    expect(t.overlapping(low, low + 10 * 0x10000).length).toBe(10);
    expect(t.last()?.id).toBe(N - 1);
  });

  it('allocates 100 000 regions top-down and finds every one', () => {
    const N = 100_000;
    const high = 0x7fff_ffff_0000;
    const t = new RegionTree<R>();
    let expected = high;
    for (let i = 0; i < N; i++) {
      const size = ((i % 5) + 1) * PAGE;
      expected -= size;
      const a = t.findGap(size, PAGE, 0x10000, high, true);
      if (a !== expected) expect.fail(`allocation ${i} at 0x${a.toString(16)}, expected 0x${expected.toString(16)}`);
      t.insert(r(a, size, i));
    }
    let bad = 0;
    let base = high;
    for (let i = 0; i < N; i++) {
      base -= ((i % 5) + 1) * PAGE;
      if (t.find(base)?.id !== i || t.find(base - 1)?.id !== (i + 1 < N ? i + 1 : undefined)) bad++;
    }
    expect(bad).toBe(0);
    expect(t.first()?.id).toBe(N - 1);
    expect(t.last()?.id).toBe(0);
  });

  it('builds 100 000 regions in random order and finds every one', () => {
    const N = 100_000;
    const order = Array.from({ length: N }, (_, i) => i);
    let seed = 12345;
    for (let i = N - 1; i > 0; i--) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const j = seed % (i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    const t = new RegionTree<R>();
    for (const i of order) t.insert(r(i * 3 * PAGE, 2 * PAGE, i));
    let bad = 0;
    for (let i = 0; i < N; i++) {
      if (t.find(i * 3 * PAGE + 5)?.id !== i || t.find(i * 3 * PAGE + 2 * PAGE) !== undefined) bad++;
    }
    expect(bad).toBe(0);
    // Top-down allocation into the 4 KiB holes below the top.
    expect(t.findGap(PAGE, PAGE, 0, N * 3 * PAGE, true)).toBe((N - 1) * 3 * PAGE + 2 * PAGE);
  });
});
