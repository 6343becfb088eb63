/**
 * Paging-structure caches: small caches of non-leaf page-table entries that
 * let a walk skip the upper levels (Intel SDM Vol. 3A §4.10.3 "Paging-Structure
 * Caches"; RISC-V allows the same as part of its "address-translation cache",
 * Privileged Architecture "Virtual Address Translation Process").
 */

import { InvalidArgumentError } from './errors.js';
import { requireFormat, type PageTableFormat } from './formats/format.js';
import { requireInteger, requireKnownKeys, requireNullableInteger } from './validate.js';
import { ANY_ASID, Tlb } from '../tlb/index.js';

/** One cached level: which entries it holds and how large it is. */
export interface WalkCacheLevelConfig {
  /**
   * Level index (0 = root) of the entries cached: 0 caches root entries (x86-64
   * PML4Es). Must reference a table, so it is below the last level.
   */
  readonly level: number;
  /** Number of entries (each caches one entry of this level); with `ways`, as in a TLB array configuration. */
  readonly entries: number;
  /** Associativity; a positive integer dividing `entries` (the number of sets, `entries / ways`, may be any positive integer). */
  readonly ways: number;
}

/**
 * Which levels have a paging-structure cache, and their sizes. Passed as
 * {@link MmuOptions.walkCache} or {@link WalkerOptions.walkCache}.
 *
 * @example
 * ```ts
 * // A 16-entry PDE cache only: a TLB miss reads the PTE alone when the PDE is cached.
 * const memory = new PhysicalMemory({ size: 1 << 20 });
 * const mmu = new Mmu({ memory, format: 'x86-64', walkCache: { levels: [{ level: 2, entries: 16, ways: 4 }] } });
 * ```
 */
export interface WalkCacheConfig {
  /** One entry per cached level, each level at most once. Empty means no caches. */
  readonly levels: readonly WalkCacheLevelConfig[];
}

/**
 * Paging-structure caches for x86-64 4-level paging: a PML4E cache of 2
 * entries, a PDPTE cache of 4 and a PDE cache of 32 (4-way). Intel documents
 * that the caches exist (SDM Vol. 3A §4.10.3.1) but not their sizes: these are
 * estimates in line with published measurements of recent cores.
 */
export const DEFAULT_X86_WALK_CACHE: WalkCacheConfig = Object.freeze({
  levels: Object.freeze([
    Object.freeze({ level: 0, entries: 2, ways: 2 }),
    Object.freeze({ level: 1, entries: 4, ways: 4 }),
    Object.freeze({ level: 2, entries: 32, ways: 4 }),
  ]),
});

/** Cache sizes by distance above the last level (1 = entries that point to last-level tables). */
const X86_SIZES = [
  { entries: 32, ways: 4 },
  { entries: 4, ways: 4 },
  { entries: 2, ways: 2 },
] as const;

/** RISC-V: no core documents per-level sizes; Rocket's 8-entry non-leaf PTE cache suggests this order of magnitude. */
const RISCV_SIZES = [
  { entries: 8, ways: 8 },
  { entries: 4, ways: 4 },
  { entries: 2, ways: 2 },
] as const;

/**
 * The default paging-structure caches for a format: up to three levels above
 * the last one, the largest nearest the leaves, listed root first. x86 sizes as in
 * {@link DEFAULT_X86_WALK_CACHE} (for PAE paging the 4-entry level stands in
 * for the PDPTE registers); RISC-V 8, 4 and 2 entries, fully associative.
 * All sizes are estimates: neither Intel nor RISC-V implementations document them.
 *
 * @example
 * ```ts
 * defaultWalkCacheConfig(SV39).levels; // [{ level: 0, entries: 4, ways: 4 }, { level: 1, entries: 8, ways: 8 }]
 * ```
 * @throws {@link InvalidArgumentError} when `format` is not a page-table format.
 */
export function defaultWalkCacheConfig(format: PageTableFormat): WalkCacheConfig {
  requireFormat(format);
  const sizes = format.architecture === 'x86' ? X86_SIZES : RISCV_SIZES;
  const levels: WalkCacheLevelConfig[] = [];
  const last = format.levels.length - 1;
  for (let d = Math.min(sizes.length, last); d >= 1; d--) levels.push({ level: last - d, ...sizes[d - 1] });
  return { levels };
}

/**
 * The paging-structure caches of one walker. A cache of level L is keyed by
 * (ASID, the VA bits that select the entries of levels 0..L) — a "page" of
 * shift `levels[L].indexShift` — and holds the physical base of the table
 * that entry points to, plus the walker's accumulated permission bits down to
 * level L (an opaque int32 the walker packs). The arrays are `Tlb`s, so
 * they share its replacement policies and statistics.
 *
 * Like hardware, entries stay after the page tables change, until
 * {@link WalkCache.invalidate}.
 *
 * A walker owns one ({@link TableWalker.walkCache}), configured through
 * {@link MmuOptions.walkCache}; it is exported for emulators and tests that
 * look inside it.
 *
 * @example
 * ```ts
 * const cache = new WalkCache(X86_64, DEFAULT_X86_WALK_CACHE);
 * cache.fill(2, 0x40_1000, 1, 0x7000, 0); // ASID 1: the PDE for VA 0x40_1000 points to the table at 0x7000
 * cache.lookup(0x40_2000, 1);             // 2: same 2 MiB region, so a walk resumes at level 3
 * cache.nextTable;                        // 0x7000
 * cache.lookup(0x40_2000, 2);             // -1: another ASID
 * cache.invalidate(null, 1);
 * cache.validCount();                     // 0
 * ```
 */
export class WalkCache {
  /** The format whose levels are cached. */
  readonly format: PageTableFormat;
  /** The cache of each level index, or null for an uncached level (index = level). */
  readonly caches: readonly (Tlb | null)[];
  /** After a hit of {@link WalkCache.lookup}: physical base of the next table. */
  nextTable = 0;
  /** After a hit of {@link WalkCache.lookup}: the accumulated bits stored with the entry. */
  flags = 0;

  /** Cached level indices, deepest first: the lookup order. */
  private readonly order: Int32Array;
  /** `indexShift` of each level: the page shift of its cache's entries. */
  private readonly indexShifts: Int32Array;

  /**
   * Creates one LRU cache array per configured level.
   *
   * @param format - the page-table format.
   * @param config - the levels to cache.
   * @throws {@link InvalidArgumentError} when a level is not a non-leaf level index or repeats.
   * @throws {@link TlbConfigError} when a size is invalid.
   */
  constructor(format: PageTableFormat, config: WalkCacheConfig) {
    requireFormat(format);
    if (config === null || typeof config !== 'object' || !Array.isArray(config.levels)) {
      throw new InvalidArgumentError('walk-cache config must be an object with a levels array');
    }
    requireKnownKeys(config, ['levels'], 'WalkCacheConfig');
    const caches: (Tlb | null)[] = format.levels.slice(0, -1).map(() => null);
    for (const levelConfig of config.levels) {
      if (levelConfig === null || typeof levelConfig !== 'object') throw new InvalidArgumentError('a walk-cache level must be an object');
      requireKnownKeys(levelConfig, ['level', 'entries', 'ways'], 'WalkCacheLevelConfig');
      const { level, entries, ways } = levelConfig;
      if (!Number.isInteger(level) || level < 0 || level >= caches.length) {
        throw new InvalidArgumentError(`walk-cache level must be an integer in [0, ${caches.length - 1}] for ${format.name}, got ${level}`);
      }
      if (caches[level]) throw new InvalidArgumentError(`walk-cache level ${level} is configured twice`);
      const name = `${format.name} ${format.levels[level].name} cache`;
      caches[level] = new Tlb({ name, arrays: [{ entries, ways, pageShifts: [format.levels[level].indexShift], replacement: 'lru' }] });
    }
    this.format = format;
    this.caches = Object.freeze(caches);
    const order: number[] = [];
    for (let level = caches.length - 1; level >= 0; level--) if (caches[level]) order.push(level);
    this.order = Int32Array.from(order);
    this.indexShifts = Int32Array.from(format.levels, (l) => l.indexShift);
  }

  /**
   * Finds the deepest cached entry for `va`. On a hit, {@link WalkCache.nextTable}
   * and {@link WalkCache.flags} describe it.
   *
   * @param va - virtual address.
   * @param asid - current ASID / PCID.
   * @returns the level index of the entry found (the walk resumes one level below), or -1.
   *   Counts a hit or a miss in that level's {@link Tlb.stats}.
   */
  lookup(va: number, asid: number): number {
    const order = this.order;
    for (let i = 0; i < order.length; i++) {
      const level = order[i];
      const tlb = this.caches[level]!;
      const e = tlb.lookup(va, asid);
      if (e >= 0) {
        this.nextTable = tlb.pageBase[e];
        this.flags = tlb.extra[e];
        return level;
      }
    }
    return -1;
  }

  /**
   * Caches the entry of `level` a walk for `va` went through. A no-op for an uncached level.
   *
   * @param level - level index of the entry.
   * @param va - the walked virtual address.
   * @param asid - current ASID / PCID.
   * @param nextTable - physical base of the table the entry points to.
   * @param flags - accumulated bits to return with a hit.
   * @throws {@link InvalidArgumentError} when `level` is not a level index of the format.
   * @throws RangeError when `va`, `asid` or `nextTable` is out of range (see `Tlb.insert`).
   */
  fill(level: number, va: number, asid: number, nextTable: number, flags: number): void {
    requireInteger(level, 'level', 0, this.format.levels.length - 1);
    const tlb = this.caches[level];
    if (tlb) tlb.insert(va, asid, this.format.levels[level].indexShift, nextTable, 0, flags);
  }

  /**
   * {@link WalkCache.fill} for the walker that owns the cache, whose arguments come from the
   * walk it just made (a level index of its format, the walked address, a table address read
   * from an entry): the same insert, without the checks.
   * @internal
   */
  fillUnchecked(level: number, va: number, asid: number, nextTable: number, flags: number): void {
    const tlb = this.caches[level];
    if (tlb !== null) tlb.insertUnchecked(va, asid, this.indexShifts[level], nextTable, 0, flags);
  }

  /**
   * Drops entries. `va` null: every entry (of `asid`, or of every ASID when
   * `asid` is null). `va` given: only entries whose VA range contains `va`.
   *
   * @param va - an address, or null for all.
   * @param asid - an ASID, or null for all.
   * @throws {@link InvalidArgumentError} when `va` or `asid` is neither null nor a non-negative integer.
   */
  invalidate(va: number | null, asid: number | null): void {
    requireNullableInteger(va, 'va', 2 ** 57 - 1);
    requireNullableInteger(asid, 'asid', 0x7fff_ffff);
    // By index: an invalidation runs on every copy-on-write fault's shootdown, and must allocate nothing.
    const caches = this.caches;
    for (let level = 0; level < caches.length; level++) {
      const tlb = caches[level];
      if (!tlb) continue;
      if (va !== null) tlb.invalidatePage(va, asid ?? ANY_ASID, true);
      else if (asid !== null) tlb.invalidateAsid(asid);
      else tlb.invalidateAll();
    }
  }

  /** Number of valid entries over all levels (scans; for tests and reports). */
  validCount(): number {
    let n = 0;
    for (const tlb of this.caches) if (tlb) n += tlb.validCount();
    return n;
  }
}
