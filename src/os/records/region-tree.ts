/**
 * The ordered set of a process's virtual-address allocations (the Windows VAD
 * tree, Linux's VMA tree): non-overlapping half-open ranges kept sorted by base.
 *
 * Stored as a two-level sorted array: leaves of at most {@link LEAF_CAPACITY}
 * regions, each with parallel `Float64Array`s of bases and ends, under a
 * `Float64Array` of the leaves' first bases. Lookups are two binary searches over
 * flat numbers; an insert or removal moves at most one leaf's entries (plus, when
 * a leaf splits or empties, the short top-level arrays), so allocating top-down
 * (always below every existing region) costs no more than allocating bottom-up.
 */

/** Most regions in one leaf. */
const LEAF_CAPACITY = 256;
/** A leaf this small after a removal merges with a neighbour when they fit in one. */
const LEAF_MIN_FILL = LEAF_CAPACITY / 4;
/** Alignments whose interior-gap summary a leaf caches at once. */
const ROOM_CACHE = 4;

/** Exclusive upper bound of every address: the ranges hold integers below 2^53. */
const ADDRESS_LIMIT = 2 ** 53;

/** Known-free facts kept per alignment and direction (see {@link GapFacts}). */
const MAX_FACTS = 12;
/** Distinct alignments remembered before the whole fact cache is dropped. */
const MAX_ALIGNMENTS = 16;

/**
 * One remembered result of a gap search, valid until a region is removed (inserts
 * only take space away, so they never invalidate it).
 *
 * Bottom-up: no `alignment`-aligned `a` in `[bound, edge)` has `[a, a + s)` free
 * for any `s >= size`. Top-down: no aligned `a` in `(edge, bound - s]` does.
 */
interface GapFact {
  bound: number;
  size: number;
  edge: number;
  /** When it was last recorded or confirmed (for eviction). */
  stamp: number;
}

/** The facts remembered for one alignment. */
interface GapFacts {
  up: GapFact[];
  down: GapFact[];
  /** Stamp source for {@link GapFact.stamp}. */
  clock: number;
}

/** The smallest multiple of `alignment` at or above `x` (both non-negative integers). */
function alignUp(x: number, alignment: number): number {
  const r = x % alignment;
  return r === 0 ? x : x + (alignment - r);
}

/** The largest multiple of `alignment` at or below `x` (both non-negative integers). */
function alignDown(x: number, alignment: number): number {
  return x - (x % alignment);
}

/**
 * Records the fact `(bound, size, edge)` unless a remembered fact already implies
 * it, dropping the facts it implies and the stalest beyond {@link MAX_FACTS}.
 * `up` selects the bottom-up list and reading of facts.
 */
function remember(facts: GapFacts, up: boolean, bound: number, size: number, edge: number): void {
  const list = up ? facts.up : facts.down;
  const stamp = ++facts.clock;
  for (let i = 0; i < list.length; i++) {
    const f = list[i];
    if (f.size > size) continue;
    if (up ? f.bound <= bound && f.edge >= edge : f.bound >= bound && f.edge <= edge) {
      f.stamp = stamp; // already known
      return;
    }
    if (f.bound === bound && f.size === size) {
      // Same question, further answer: refresh in place (no allocation on the common path).
      f.edge = edge;
      f.stamp = stamp;
      for (let k = list.length - 1; k >= 0; k--) if (k !== i && implied(f, list[k], up)) list.splice(k, 1);
      return;
    }
  }
  const fact: GapFact = { bound, size, edge, stamp };
  for (let k = list.length - 1; k >= 0; k--) if (implied(fact, list[k], up)) list.splice(k, 1);
  list.push(fact);
  if (list.length > MAX_FACTS) {
    let stalest = 0;
    for (let k = 1; k < list.length; k++) if (list[k].stamp < list[stalest].stamp) stalest = k;
    list.splice(stalest, 1);
  }
}

/** True when fact `a` implies fact `b` (in the bottom-up reading if `up`). */
function implied(a: GapFact, b: GapFact, up: boolean): boolean {
  if (a.size > b.size) return false;
  return up ? a.bound <= b.bound && a.edge >= b.edge : a.bound >= b.bound && a.edge <= b.edge;
}

/** Index of the first of `a[0..n)` greater than `x` (`n` if none); `a` is sorted. */
/** Whether `x` can be compared with region bounds: any number but NaN (queries answer nothing for the rest). */
function isComparable(x: unknown): x is number {
  return typeof x === 'number' && x === x;
}

function upperBound(a: Float64Array, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first of `a[0..n)` at or above `x` (`n` if none); `a` is sorted. */
function lowerBound(a: Float64Array, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * What {@link RegionTree} needs of a region: the half-open range
 * `[base, base + size)` it covers.
 */
export interface RegionBounds {
  /** First address of the region, an integer in [0, 2^53). */
  readonly base: number;
  /** Length in bytes, a positive integer with `base + size <= 2^53`. */
  readonly size: number;
}

/** A run of consecutive regions: the unit that inserts and removals shift. @internal Exported for saved states. */
export class Leaf<T> {
  /** `bases[j] === items[j].base` for `j < n`. */
  readonly bases = new Float64Array(LEAF_CAPACITY);
  /** `ends[j] === items[j].base + items[j].size` for `j < n`. */
  readonly ends = new Float64Array(LEAF_CAPACITY);
  /** The regions, in address order; `items.length === n`. */
  items: T[] = [];
  /** Number of regions in the leaf, at least 1 while it is in a tree. */
  n = 0;
  /** Alignments with a cached {@link Leaf.roomMax}; emptied whenever the leaf changes. */
  roomAlign: number[] = [];
  /**
   * For each cached alignment, the most room at an aligned address in any gap
   * between two regions of this leaf (0 when no such gap has an aligned address).
   */
  roomMax: number[] = [];

  /** Puts a region at index `p`. */
  insertAt(p: number, item: T, base: number, end: number): void {
    const n = this.n;
    if (p === n) {
      this.items.push(item);
    } else {
      this.bases.copyWithin(p + 1, p, n);
      this.ends.copyWithin(p + 1, p, n);
      this.items.splice(p, 0, item);
    }
    this.bases[p] = base;
    this.ends[p] = end;
    this.n = n + 1;
    this.changed();
  }

  /** Removes the region at index `p`. */
  removeAt(p: number): void {
    const n = this.n;
    if (p === n - 1) {
      this.items.pop();
    } else {
      this.bases.copyWithin(p, p + 1, n);
      this.ends.copyWithin(p, p + 1, n);
      this.items.splice(p, 1);
    }
    this.n = n - 1;
    this.changed();
  }

  /** Moves the regions from index `at` on into a new leaf, which it returns. */
  splitAt(at: number): Leaf<T> {
    const right = new Leaf<T>();
    right.bases.set(this.bases.subarray(at, this.n));
    right.ends.set(this.ends.subarray(at, this.n));
    right.items = this.items.slice(at);
    right.n = this.n - at;
    this.items.length = at;
    this.n = at;
    this.changed();
    return right;
  }

  /** Appends every region of `other`, which must all lie above this leaf's. */
  absorb(other: Leaf<T>): void {
    this.bases.set(other.bases.subarray(0, other.n), this.n);
    this.ends.set(other.ends.subarray(0, other.n), this.n);
    for (const item of other.items) this.items.push(item);
    this.n += other.n;
    this.changed();
  }

  /** Drops the cached gap summaries. */
  changed(): void {
    if (this.roomAlign.length > 0) {
      this.roomAlign.length = 0;
      this.roomMax.length = 0;
    }
  }

  /**
   * The most bytes free from an `alignment`-aligned address in any gap between
   * two regions of this leaf: a request of `size` bytes fits in one of those gaps
   * iff `size <= room`. O(1) when cached, else O(n).
   */
  room(alignment: number): number {
    const cached = this.roomAlign;
    for (let i = 0; i < cached.length; i++) if (cached[i] === alignment) return this.roomMax[i];
    let max = 0;
    const bases = this.bases;
    const ends = this.ends;
    for (let j = 1; j < this.n; j++) {
      const room = bases[j] - alignUp(ends[j - 1], alignment);
      if (room > max) max = room;
    }
    if (cached.length >= ROOM_CACHE) {
      cached.shift();
      this.roomMax.shift();
    }
    cached.push(alignment);
    this.roomMax.push(max);
    return max;
  }
}

/**
 * An ordered set of non-overlapping half-open address ranges `[base, base + size)`:
 * a process's allocations, looked up by address in O(log n).
 *
 * Regions are any objects with integer `base >= 0` and `size > 0` whose end is at
 * most 2^53; the tree stores them by identity and never copies or mutates them
 * (their `base` and `size` must not change while they are in the tree). Nothing
 * assumes page alignment.
 *
 * {@link RegionTree.findGap} answers "where does a new allocation go". It skips
 * whole runs of regions whose gaps are too small, and it remembers, per alignment
 * and direction, how far its last searches proved the space to be full, so the
 * common pattern of many allocations with no frees costs amortised O(log n) per
 * call; frees pull those marks back to the freed gap.
 *
 * @typeParam T - the region type; only `base` and `size` are read.
 *
 * @example
 * ```ts
 * interface Vad { readonly base: number; readonly size: number; protect: number }
 * const vads = new RegionTree<Vad>();
 * const base = vads.findGap(0x3000, 0x1_0000, 0x1_0000, 0x7fff_0000, false); // 0x10000
 * vads.insert({ base, size: 0x3000, protect: 4 });
 * vads.find(0x1_2fff)?.protect;         // 4
 * vads.find(0x1_3000);                  // undefined: ranges are half-open
 * vads.overlapping(0, 0x2_0000).length; // 1
 * ```
 */
export class RegionTree<T extends RegionBounds> implements Iterable<T> {
  /** The leaves in address order, none empty. */
  private leaves: Leaf<T>[] = [];
  /** `firsts[k] === leaves[k].bases[0]` for `k < leaves.length`. */
  private firsts = new Float64Array(16);
  /** Number of regions stored. */
  private count = 0;
  /** Remembered gap-search results, by alignment. */
  private facts = new Map<number, GapFacts>();

  /**
   * Creates an empty tree.
   * @param regions - optional initial regions, in any order; inserted one by one
   *   with the same checks as {@link RegionTree.insert}.
   * @throws RangeError if `regions` is not iterable, or as {@link RegionTree.insert}.
   */
  constructor(regions?: Iterable<T>) {
    if (regions === undefined) return;
    if (regions === null || typeof (regions as Partial<Iterable<T>>)[Symbol.iterator] !== 'function') throw new RangeError('RegionTree: regions must be iterable');
    for (const r of regions) this.insert(r);
  }

  /** Number of regions in the tree. */
  get size(): number {
    return this.count;
  }

  /**
   * Adds a region. O(log n) to find its place, plus moving the entries above it
   * in one leaf (at most 256; none when it goes at either end of the space).
   *
   * @param region - the region; stored by identity.
   * @throws RangeError if `base` is not an integer in [0, 2^53), `size` is not a
   *   positive integer (or the region is not an object), the end passes 2^53, or the range overlaps a region
   *   already in the tree (ranges that merely touch do not overlap). The tree is
   *   unchanged when it throws.
   */
  insert(region: T): void {
    if (region === null || typeof region !== 'object') throw new RangeError('RegionTree.insert: the region must be an object with base and size');
    const base = region.base;
    const size = region.size;
    if (!Number.isSafeInteger(base) || base < 0) throw new RangeError(`RegionTree.insert: base ${String(base)} is not an integer in [0, 2^53)`);
    if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`RegionTree.insert: size ${String(size)} is not a positive integer`);
    if (size > ADDRESS_LIMIT - base) throw new RangeError(`RegionTree.insert: [0x${base.toString(16)}, +0x${size.toString(16)}) ends above 2^53`);
    const end = base + size;
    const leaves = this.leaves;
    const count = leaves.length;
    if (count === 0) {
      const leaf = new Leaf<T>();
      leaf.insertAt(0, region, base, end);
      this.insertLeaf(0, leaf);
      this.count = 1;
      return;
    }
    let k = upperBound(this.firsts, count, base) - 1;
    if (k < 0) k = 0;
    let leaf = leaves[k];
    let p = lowerBound(leaf.bases, leaf.n, base);
    // The predecessor is in this leaf unless p === 0, and then (k > 0 would mean
    // bases[0] === base) there is none. The successor may open the next leaf.
    if (p > 0 && leaf.ends[p - 1] > base) throw this.overlapError(region, leaf.items[p - 1]);
    if (p < leaf.n) {
      if (leaf.bases[p] < end) throw this.overlapError(region, leaf.items[p]);
    } else if (k + 1 < count && leaves[k + 1].bases[0] < end) {
      throw this.overlapError(region, leaves[k + 1].items[0]);
    }
    if (leaf.n === LEAF_CAPACITY) {
      if (p === LEAF_CAPACITY) {
        // After the last region of a full leaf: the front of the next leaf, or a new one.
        k++;
        if (k < count && leaves[k].n < LEAF_CAPACITY) {
          leaf = leaves[k];
        } else {
          leaf = new Leaf<T>();
          this.insertLeaf(k, leaf);
        }
        p = 0;
      } else if (p === 0) {
        // Below every region: a new first leaf, so top-down growth packs leaves too.
        leaf = new Leaf<T>();
        this.insertLeaf(0, leaf);
      } else {
        const half = LEAF_CAPACITY >>> 1;
        const right = leaf.splitAt(half);
        this.insertLeaf(k + 1, right);
        this.firsts[k + 1] = right.bases[0];
        if (p > half) {
          k++;
          leaf = right;
          p -= half;
        }
      }
    }
    leaf.insertAt(p, region, base, end);
    if (p === 0) this.firsts[k] = base;
    this.count++;
  }

  /**
   * Removes a region, found by identity. O(log n) plus moving the entries above
   * it in its leaf.
   *
   * @param region - the object passed to {@link RegionTree.insert}.
   * @returns true if it was in the tree and is now gone; false otherwise
   *   (including for an equal but distinct object).
   */
  remove(region: T): boolean {
    if (region === null || typeof region !== 'object') return false;
    const leaves = this.leaves;
    const count = leaves.length;
    const base = region.base;
    const k = upperBound(this.firsts, count, base) - 1;
    if (k < 0) return false;
    const leaf = leaves[k];
    const j = lowerBound(leaf.bases, leaf.n, base);
    if (j >= leaf.n || leaf.items[j] !== region) return false;
    // The gap this removal opens runs from the previous region's end to the next one's base.
    const gapStart = j > 0 ? leaf.ends[j - 1] : k > 0 ? leaves[k - 1].ends[leaves[k - 1].n - 1] : 0;
    const gapEnd = j + 1 < leaf.n ? leaf.bases[j + 1] : k + 1 < count ? leaves[k + 1].bases[0] : Infinity;
    leaf.removeAt(j);
    this.count--;
    if (leaf.n === 0) {
      this.removeLeaf(k);
    } else {
      if (j === 0) this.firsts[k] = leaf.bases[0];
      if (leaf.n < LEAF_MIN_FILL) this.mergeSmall(k);
    }
    if (this.facts.size > 0) this.forgetAfterFree(gapStart, gapEnd);
    return true;
  }

  /**
   * The region containing an address. O(log n).
   * @param address - any number; non-integers work by plain comparison (NaN and non-numbers find nothing).
   * @returns the region with `base <= address < base + size`, or undefined.
   */
  find(address: number): T | undefined {
    if (!isComparable(address)) return undefined;
    const k = upperBound(this.firsts, this.leaves.length, address) - 1;
    if (k < 0) return undefined;
    const leaf = this.leaves[k];
    const j = upperBound(leaf.bases, leaf.n, address) - 1; // >= 0: bases[0] <= address
    return leaf.ends[j] > address ? leaf.items[j] : undefined;
  }

  /**
   * The first region that ends above an address: the one containing it, or else
   * the next one above it. O(log n).
   * @param address - the address.
   * @returns the lowest region with `base + size > address`, or undefined.
   */
  ceiling(address: number): T | undefined {
    const count = this.leaves.length;
    if (count === 0 || !isComparable(address)) return undefined;
    let k = upperBound(this.firsts, count, address) - 1;
    if (k < 0) k = 0;
    const leaf = this.leaves[k];
    const j = upperBound(leaf.ends, leaf.n, address);
    if (j < leaf.n) return leaf.items[j];
    return k + 1 < count ? this.leaves[k + 1].items[0] : undefined;
  }

  /**
   * The last region that starts at or below an address: the one containing it,
   * or else the nearest one below it. O(log n).
   * @param address - the address.
   * @returns the highest region with `base <= address`, or undefined.
   */
  floor(address: number): T | undefined {
    if (!isComparable(address)) return undefined;
    const k = upperBound(this.firsts, this.leaves.length, address) - 1;
    if (k < 0) return undefined;
    const leaf = this.leaves[k];
    return leaf.items[upperBound(leaf.bases, leaf.n, address) - 1];
  }

  /**
   * The regions intersecting `[start, end)`, in address order. O(log n + k) for
   * k results.
   * @param start - first address of the range.
   * @param end - address just past the range; `end <= start` gives no regions.
   * @returns a new array of the regions with `base < end` and `base + size > start`.
   */
  overlapping(start: number, end: number): T[] {
    const out: T[] = [];
    const leaves = this.leaves;
    const count = leaves.length;
    if (!(end > start) || count === 0 || !isComparable(start) || !isComparable(end)) return out;
    let k = upperBound(this.firsts, count, start) - 1;
    if (k < 0) k = 0;
    let j = upperBound(leaves[k].ends, leaves[k].n, start);
    for (; k < count; k++, j = 0) {
      const leaf = leaves[k];
      for (; j < leaf.n; j++) {
        if (leaf.bases[j] >= end) return out;
        out.push(leaf.items[j]);
      }
    }
    return out;
  }

  /**
   * Finds room for a new allocation: the lowest (or, `topDown`, the highest)
   * multiple `a` of `alignment` with `[a, a + size)` inside `[low, high)` and
   * overlapping no region.
   *
   * With a `hint`, the search first considers only `a >= hint` (bottom-up) or
   * `a <= hint` (top-down), so a free, aligned `hint` is returned as is; if that
   * finds nothing, it searches the whole window.
   *
   * Cost: amortised O(log n) for repeated allocations without frees (each search
   * resumes where the previous one for the same alignment and direction proved
   * the space full). In general O(log n + 256 + L) for L leaves of 256 regions
   * passed over: a leaf whose inner gaps are all too small for the request is
   * skipped in O(1).
   *
   * @param size - bytes needed, a positive integer.
   * @param alignment - a positive integer; `a` is a multiple of it (need not be a
   *   power of two).
   * @param low - lowest usable address, an integer >= 0.
   * @param high - address just past the usable window, an integer <= 2^53.
   * @param topDown - search from the top of the window down.
   * @param hint - optional preferred address, an integer.
   * @returns the address found, or -1 if no aligned gap of `size` bytes exists in
   *   the window (also when `high - low < size`).
   * @throws RangeError if an argument is not an integer in its range, or `topDown` is not a boolean.
   */
  findGap(size: number, alignment: number, low: number, high: number, topDown: boolean, hint?: number): number {
    if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`RegionTree.findGap: size ${String(size)} is not a positive integer`);
    if (!Number.isSafeInteger(alignment) || alignment <= 0) throw new RangeError(`RegionTree.findGap: alignment ${String(alignment)} is not a positive integer`);
    if (!Number.isSafeInteger(low) || low < 0) throw new RangeError(`RegionTree.findGap: low ${String(low)} is not an integer in [0, 2^53)`);
    if (!Number.isInteger(high) || high > ADDRESS_LIMIT) throw new RangeError(`RegionTree.findGap: high ${String(high)} is not an integer <= 2^53`);
    if (typeof topDown !== 'boolean') throw new RangeError(`RegionTree.findGap: topDown ${String(topDown)} is not a boolean`);
    if (hint !== undefined && !Number.isInteger(hint)) throw new RangeError(`RegionTree.findGap: hint ${String(hint)} is not an integer`);
    if (high - low < size) return -1;
    if (hint !== undefined) {
      if (topDown) {
        if (hint >= low && hint < high - size) {
          const a = this.searchDown(size, alignment, low, hint + size);
          if (a >= 0) return a;
        }
      } else if (hint > low && hint <= high - size) {
        const a = this.searchUp(size, alignment, hint, high);
        if (a >= 0) return a;
      }
    }
    return topDown ? this.searchDown(size, alignment, low, high) : this.searchUp(size, alignment, low, high);
  }

  /**
   * The lowest region. O(1).
   * @returns the region with the smallest base, or undefined when empty.
   */
  first(): T | undefined {
    return this.leaves.length > 0 ? this.leaves[0].items[0] : undefined;
  }

  /**
   * The highest region. O(1).
   * @returns the region with the largest base, or undefined when empty.
   */
  last(): T | undefined {
    const count = this.leaves.length;
    if (count === 0) return undefined;
    const leaf = this.leaves[count - 1];
    return leaf.items[leaf.n - 1];
  }

  /** Removes every region. O(1) plus releasing the storage. */
  clear(): void {
    this.leaves = [];
    this.firsts = new Float64Array(16);
    this.count = 0;
    this.facts.clear();
  }

  /**
   * Iterates the regions in address order. The iteration walks a snapshot taken
   * when it starts (O(n)), so the tree may be changed while iterating.
   * @returns an iterator over the regions, lowest base first.
   */
  [Symbol.iterator](): IterableIterator<T> {
    const all: T[] = [];
    for (const leaf of this.leaves) for (const item of leaf.items) all.push(item);
    return all[Symbol.iterator]();
  }

  // ------------------------------------------------------------------ internals

  /** Puts `leaf` at index `k` of the top level (its `firsts` entry is set by the caller or below). */
  private insertLeaf(k: number, leaf: Leaf<T>): void {
    const count = this.leaves.length;
    if (count === this.firsts.length) {
      const grown = new Float64Array(count * 2);
      grown.set(this.firsts);
      this.firsts = grown;
    }
    this.firsts.copyWithin(k + 1, k, count);
    this.leaves.splice(k, 0, leaf);
    if (leaf.n > 0) this.firsts[k] = leaf.bases[0];
  }

  /** Drops the leaf at index `k` of the top level. */
  private removeLeaf(k: number): void {
    this.firsts.copyWithin(k, k + 1, this.leaves.length);
    this.leaves.splice(k, 1);
  }

  /** Merges the under-full leaf `k` with a neighbour when both fit in one leaf. */
  private mergeSmall(k: number): void {
    const leaves = this.leaves;
    const leaf = leaves[k];
    if (k + 1 < leaves.length && leaf.n + leaves[k + 1].n <= LEAF_CAPACITY) {
      leaf.absorb(leaves[k + 1]);
      this.removeLeaf(k + 1);
    } else if (k > 0 && leaves[k - 1].n + leaf.n <= LEAF_CAPACITY) {
      leaves[k - 1].absorb(leaf);
      this.removeLeaf(k);
    }
  }

  /** The error for `region` overlapping `other`. */
  private overlapError(region: T, other: T): RangeError {
    const hex = (r: T): string => `[0x${r.base.toString(16)}, 0x${(r.base + r.size).toString(16)})`;
    return new RangeError(`RegionTree.insert: ${hex(region)} overlaps ${hex(other)}`);
  }

  /** The facts for an alignment, created on first use. */
  private factsFor(alignment: number): GapFacts {
    let f = this.facts.get(alignment);
    if (f === undefined) {
      if (this.facts.size >= MAX_ALIGNMENTS) this.facts.clear();
      f = { up: [], down: [], clock: 0 };
      this.facts.set(alignment, f);
    }
    return f;
  }

  /** A removal freed space inside `[gapStart, gapEnd)`: pull every fact back to it. */
  private forgetAfterFree(gapStart: number, gapEnd: number): void {
    for (const f of this.facts.values()) {
      for (const fact of f.up) if (fact.edge > gapStart) fact.edge = gapStart;
      for (const fact of f.down) if (fact.edge < gapEnd) fact.edge = gapEnd;
    }
  }

  /** Bottom-up search of `[low, high)`, with `high - low >= size`. */
  private searchUp(size: number, alignment: number, low: number, high: number): number {
    const known = this.factsFor(alignment);
    const facts = known.up;
    // Earlier searches proved no fit below `start` for this size, and every
    // aligned address below `fullTo` occupied.
    let start = low;
    let fullTo = low;
    for (const f of facts) {
      if (f.bound > low) continue;
      if (f.size <= size && f.edge > start) start = f.edge;
      if (f.size === 1 && f.edge > fullTo) fullTo = f.edge;
    }
    const last = high - size; // highest usable start
    let a = alignUp(start, alignment);
    if (a > last) return -1;
    // While `chain` holds, every aligned address in [low, a) is inside a region.
    let chain = start === fullTo;
    let full = chain ? a : fullTo;
    const leaves = this.leaves;
    const count = leaves.length;
    // Cursor (k, j): the first region that ends above a.
    let k = upperBound(this.firsts, count, a) - 1;
    if (k < 0) k = 0;
    let j = count > 0 ? upperBound(leaves[k].ends, leaves[k].n, a) : 0;
    let entered = false;
    search: for (; k < count; k++, j = 0, entered = true) {
      const leaf = leaves[k];
      const bases = leaf.bases;
      const ends = leaf.ends;
      const n = leaf.n;
      // A leaf entered from below whose inner gaps are too small: step over its first
      // region, then past the whole leaf.
      const room = entered && n > 1 ? leaf.room(alignment) : Infinity;
      const limit = room < size ? 1 : n;
      for (; j < limit; j++) {
        if (a > last) return -1;
        if (ends[j] <= a) continue;
        if (bases[j] - size >= a) break search; // [a, a + size) ends at or before region j
        if (chain) {
          if (bases[j] > a) chain = false;
          else full = alignUp(ends[j], alignment);
        }
        a = alignUp(ends[j], alignment);
      }
      if (limit < n) {
        const past = alignUp(ends[n - 1], alignment);
        if (past > a) a = past;
        if (chain) {
          if (room > 0) chain = false;
          else full = a;
        }
      }
    }
    if (a > last) return -1;
    remember(known, true, low, 1, full);
    if (size !== 1) remember(known, true, low, size, a);
    return a;
  }

  /** Top-down search of `[low, high)`, with `high - low >= size`. */
  private searchDown(size: number, alignment: number, low: number, high: number): number {
    const known = this.factsFor(alignment);
    const facts = known.down;
    // Earlier searches proved no fit starting above `cap` for this size, and every
    // aligned address above `fullFrom` occupied.
    let cap = high - size;
    let fullFrom = high - 1;
    for (const f of facts) {
      if (f.bound < high) continue;
      if (f.size <= size && f.edge < cap) cap = f.edge;
      if (f.size === 1 && f.edge < fullFrom) fullFrom = f.edge;
    }
    if (cap < low) return -1;
    let a = alignDown(cap, alignment);
    if (a < low) return -1;
    const leaves = this.leaves;
    // Cursor (k, j): the last region that starts below a + size.
    let k = lowerBound(this.firsts, leaves.length, a + size) - 1;
    let j = k >= 0 ? lowerBound(leaves[k].bases, leaves[k].n, a + size) - 1 : -1;
    let entered = false;
    search: for (; k >= 0; k--, entered = true) {
      const leaf = leaves[k];
      const bases = leaf.bases;
      const ends = leaf.ends;
      const n = leaf.n;
      if (entered) j = n - 1;
      // A leaf entered from above whose inner gaps are too small: step over its last
      // region, then below the whole leaf.
      const skip = entered && n > 1 && leaf.room(alignment) < size;
      const limit = skip ? n - 1 : 0;
      for (; j >= limit; j--) {
        if (bases[j] - size >= a) continue; // region j starts at or above a + size
        if (ends[j] <= a) break search; // and every region below ends below a
        const below = bases[j] - size;
        if (below < low) return -1;
        a = alignDown(below, alignment);
        if (a < low) return -1;
      }
      if (skip) {
        const below = bases[0] - size;
        if (below < a) {
          if (below < low) return -1;
          a = alignDown(below, alignment);
          if (a < low) return -1;
        }
      }
    }
    remember(known, false, high, 1, this.fullBelow(fullFrom, alignment));
    if (size !== 1) remember(known, false, high, size, a);
    return a;
  }

  /**
   * The highest `alignment`-aligned address at or below `from` that no region
   * contains (-1 if none): every aligned address in `(result, from]` is occupied.
   * Walks only the regions in between, skipping leaves with no aligned free
   * address between their regions.
   */
  private fullBelow(from: number, alignment: number): number {
    if (from < 0) return -1;
    let d = alignDown(from, alignment);
    const leaves = this.leaves;
    // Cursor (k, j): the last region that starts at or below d.
    let k = upperBound(this.firsts, leaves.length, d) - 1;
    let j = k >= 0 ? upperBound(leaves[k].bases, leaves[k].n, d) - 1 : -1;
    let entered = false;
    for (; k >= 0; k--, entered = true) {
      const leaf = leaves[k];
      const bases = leaf.bases;
      const n = leaf.n;
      if (entered) j = n - 1;
      const skip = entered && n > 1 && leaf.room(alignment) <= 0;
      const limit = skip ? n - 1 : 0;
      for (; j >= limit; j--) {
        if (bases[j] > d) continue;
        if (leaf.ends[j] <= d) return d; // d is free
        if (bases[j] === 0) return -1;
        d = alignDown(bases[j] - 1, alignment);
      }
      // Skipped leaf: its aligned addresses from its first base up are all occupied.
      if (skip && bases[0] <= d) {
        if (bases[0] === 0) return -1;
        d = alignDown(bases[0] - 1, alignment);
      }
    }
    return d;
  }
}
