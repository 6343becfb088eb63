/**
 * Split L1 instruction and data TLBs backed by an optional unified L2.
 */

import { alignDown } from './address.js';
import type { TlbConfig } from './config.js';
import { TlbConfigError } from './errors.js';
import { unknownKeyMessage } from './option-keys.js';
import { INVALID_TAG, Tlb, checkInsertArguments } from './tlb.js';

/**
 * Configuration of a {@link TlbHierarchy}. Both L1s must hold 4 KiB pages
 * (shift 12), so that any translation of 4 KiB or larger can be cached in
 * them, fractured if need be.
 */
export interface TlbHierarchyConfig {
  /** The L1 instruction TLB. */
  readonly l1i: TlbConfig;
  /** The L1 data TLB. */
  readonly l1d: TlbConfig;
  /** The unified second-level TLB, or null/absent for none. */
  readonly l2?: TlbConfig | null;
}

/** `2 ** shift` for every page shift a TLB holds, by shift. */
const PAGE_SIZES = Float64Array.from({ length: 64 }, (_, shift) => 2 ** shift);

/** Values of {@link TlbHierarchy.lastLevel}: which level served the last {@link TlbHierarchy.lookupFull}. */
export const TLB_LEVEL = Object.freeze({
  /** Neither level held the translation. */
  miss: 0,
  /** Hit in the L1 (instruction or data). */
  l1: 1,
  /** Missed the L1, hit the L2 (the entry was then copied into the L1). */
  l2: 2,
} as const);

/** A level number: 0 = miss, 1 = L1, 2 = L2 (see {@link TLB_LEVEL}). */
export type TlbLevel = (typeof TLB_LEVEL)[keyof typeof TLB_LEVEL];

/**
 * An L1 ITLB and L1 DTLB in front of an optional unified L2 (STLB).
 *
 * Statistics are kept per level in each {@link Tlb.stats}; an L1 hit never
 * touches the L2.
 *
 * An {@link Mmu} owns one ({@link Mmu.tlb}); use one directly to model TLBs
 * in an emulator with its own translation path.
 *
 * @example
 * ```ts
 * const tlbs = new TlbHierarchy(SKYLAKE_TLB);
 * const va = 0x7f00_1234;
 * let e = tlbs.lookupFull(va, 1, false);                       // -1: missed the L1 DTLB and the STLB
 * tlbs.lastLevel;                                              // 0: TLB_LEVEL.miss
 * if (e < 0) e = tlbs.fill(va, 1, 12, 0x5000, 0, 0, false);    // after the walk: a 4 KiB page at PA 0x5000
 * tlbs.l1d.pageBase[e] + (va - tlbs.l1d.tag[e]);               // 0x5234
 * tlbs.l1d.invalidateAll();                                    // drop the L1 copy only
 * tlbs.lookupFull(va, 1, false) >= 0;                          // true: an L2 hit, copied back into the L1
 * tlbs.lastLevel;                                              // 2: TLB_LEVEL.l2
 * ```
 */
export class TlbHierarchy {
  /** The L1 instruction TLB. */
  readonly l1i: Tlb;
  /** The L1 data TLB. */
  readonly l1d: Tlb;
  /** The unified L2, or null. */
  readonly l2: Tlb | null;
  /** The levels present, L1I, L1D, then the L2 if any: walked by index, as invalidations run on faults and must allocate nothing. */
  private readonly present: readonly Tlb[];
  private readonly last: Int32Array = new Int32Array(1);

  /**
   * Builds the levels, all empty.
   *
   * @param config - the three levels' configurations.
   * @throws TlbConfigError if a level's configuration is invalid or an L1 does not hold 4 KiB pages.
   */
  constructor(config: TlbHierarchyConfig) {
    if (config === null || typeof config !== 'object') {
      throw new TlbConfigError(`TLB hierarchy config must be an object (got ${String(config)})`);
    }
    const unknown = unknownKeyMessage(config, ['l1i', 'l1d', 'l2'], 'TlbHierarchyConfig');
    if (unknown !== null) throw new TlbConfigError(unknown);
    this.l1i = new Tlb(config.l1i);
    this.l1d = new Tlb(config.l1d);
    this.l2 = config.l2 == null ? null : new Tlb(config.l2);
    this.present = this.l2 === null ? [this.l1i, this.l1d] : [this.l1i, this.l1d, this.l2];
    for (const l1 of [this.l1i, this.l1d]) {
      if (l1.fitPageShift(12) !== 12) {
        throw new TlbConfigError(`TLB "${l1.name}": an L1 TLB must hold 4 KiB pages (page shift 12)`);
      }
    }
  }

  /** Level that served the last {@link TlbHierarchy.lookupFull}: 1 = L1, 2 = L2, 0 = miss. */
  get lastLevel(): TlbLevel {
    return this.last[0] as TlbLevel;
  }

  /**
   * Looks `va` up in the L1 (instruction or data), then in the L2. On an L2
   * hit the entry is copied into the L1 (fractured if the L1 lacks its page
   * size) and the L1 index is returned. Sets {@link TlbHierarchy.lastLevel}.
   *
   * @param va - virtual address, an integer in [0, 2^57).
   * @param asid - current ASID/PCID.
   * @param instruction - true for a fetch (L1 ITLB), false for a load/store (L1 DTLB).
   * @returns an entry index into `instruction ? l1i : l1d`, or -1 on a miss in every level (and for a `va`
   *   that is not an address).
   * @throws RangeError if `instruction` is not a boolean.
   */
  lookupFull(va: number, asid: number, instruction: boolean): number {
    if (typeof instruction !== 'boolean') throw new RangeError(`instruction must be a boolean (got ${String(instruction)})`);
    const l1 = instruction ? this.l1i : this.l1d;
    const e = l1.lookup(va, asid);
    if (e >= 0) {
      this.last[0] = TLB_LEVEL.l1;
      return e;
    }
    const l2 = this.l2;
    const e2 = l2 === null ? -1 : l2.lookup(va, asid);
    if (l2 === null || e2 < 0) {
      this.last[0] = TLB_LEVEL.miss;
      return -1;
    }
    this.last[0] = TLB_LEVEL.l2;
    return this.promote(e2, va, instruction);
  }

  /**
   * Copies L2 entry `e2` into the L1 (instruction or data), as
   * {@link TlbHierarchy.lookupFull} does on an L2 hit. For callers that look
   * the L2 up themselves (e.g. to check permissions first). The L1 entry
   * records the page size of the translation the L2 entry was made from
   * (its {@link Tlb.sourceShift}), so that {@link Tlb.invalidatePage} still
   * finds every fragment of a fractured page.
   *
   * @param e2 - a valid entry index of {@link TlbHierarchy.l2}.
   * @param va - the virtual address being translated (inside the entry's page).
   * @param instruction - true for the L1 ITLB, false for the L1 DTLB.
   * @returns the L1 entry index.
   * @throws RangeError if there is no L2, `e2` is not a valid L2 entry, `va` is not inside its page, or
   *   `instruction` is not a boolean.
   */
  promote(e2: number, va: number, instruction: boolean): number {
    const l2 = this.l2;
    if (l2 === null || !(e2 >= 0 && e2 < l2.size) || l2.tag[e2] === INVALID_TAG) {
      throw new RangeError(`promote: ${String(e2)} is not a valid L2 entry`);
    }
    if (typeof instruction !== 'boolean') throw new RangeError(`instruction must be a boolean (got ${String(instruction)})`);
    // The L1 copy translates va's page: va must lie in the L2 entry's page, or the copy would map another page.
    // (A table of page sizes, not `2 ** shift`: a variable power is a Math.pow call, on an L2 hit.)
    const tag = l2.tag[e2];
    if (!(typeof va === 'number' && va >= tag && va - tag < PAGE_SIZES[l2.pageShift[e2]] && Number.isInteger(va))) {
      throw new RangeError(`promote: va ${String(va)} is not inside the page of L2 entry ${e2}`);
    }
    return this.promoteUnchecked(l2, e2, va, instruction);
  }

  /**
   * {@link TlbHierarchy.promote} without the argument checks, for the MMU's L2-hit path: `e2` is
   * what a lookup of `va` in `l2` (this hierarchy's L2) just returned.
   * @internal
   */
  promoteUnchecked(l2: Tlb, e2: number, va: number, instruction: boolean): number {
    const tag = l2.tag[e2];
    // The L1 entry is made from the translation the L2 entry came from (a fracture's whole source page).
    const sourceShift = l2.sourceShift[e2];
    const sourceBase = sourceShift === l2.pageShift[e2] ? l2.pageBase[e2] : l2.pageBase[e2] - (tag - alignDown(tag, sourceShift));
    const l1 = instruction ? this.l1i : this.l1d;
    // Everything the L1 insert would check was checked when the L2 entry was made.
    return l1.insertUnchecked(va, l2.asid[e2], sourceShift, sourceBase, l2.perm[e2], l2.extra[e2]);
  }

  /**
   * Caches a walked translation in the L2 (if any) and in the L1 (instruction
   * or data), fracturing where a level lacks the page size.
   *
   * @param va - virtual address inside the page.
   * @param asid - owning ASID, or {@link GLOBAL_ASID}.
   * @param pageShift - page shift of the translation (>= 12).
   * @param pageBase - physical base address of the whole page.
   * @param perm - opaque permission bits.
   * @param extra - opaque owner word.
   * @param instruction - true to fill the L1 ITLB, false the L1 DTLB.
   * @returns the L1 entry index; -1 only if `pageShift` < 12.
   * @throws RangeError if an argument is out of range (see {@link Tlb.insert}) or `instruction` is not a boolean.
   */
  fill(
    va: number,
    asid: number,
    pageShift: number,
    pageBase: number,
    perm: number,
    extra: number,
    instruction: boolean,
  ): number {
    if (typeof instruction !== 'boolean') throw new RangeError(`instruction must be a boolean (got ${String(instruction)})`);
    // One check for both levels: they take the same arguments.
    checkInsertArguments(va, asid, pageShift, pageBase, perm, extra);
    return this.fillUnchecked(va, asid, pageShift, pageBase, perm, extra, instruction);
  }

  /**
   * {@link TlbHierarchy.fill} without the argument checks, for the MMU's miss path, whose
   * arguments are a walk's result and valid by construction.
   * @internal
   */
  fillUnchecked(va: number, asid: number, pageShift: number, pageBase: number, perm: number, extra: number, instruction: boolean): number {
    this.l2?.insertUnchecked(va, asid, pageShift, pageBase, perm, extra);
    return (instruction ? this.l1i : this.l1d).insertUnchecked(va, asid, pageShift, pageBase, perm, extra);
  }

  /**
   * {@link Tlb.invalidatePage} on every level.
   *
   * @param va - virtual address inside the page.
   * @param asid - ASID to match, or {@link ANY_ASID}.
   * @param includeGlobal - also remove global entries for the page.
   * @throws RangeError on an out-of-range argument (see {@link Tlb.invalidatePage}; nothing is removed).
   */
  invalidatePage(va: number, asid: number, includeGlobal: boolean): void {
    const levels = this.present;
    for (let k = 0; k < levels.length; k++) levels[k].invalidatePage(va, asid, includeGlobal);
  }

  /**
   * {@link Tlb.invalidateAsid} on every level.
   *
   * @param asid - the ASID to drop, or {@link ANY_ASID}.
   * @throws RangeError if `asid` is {@link GLOBAL_ASID} or not an integer >= -2.
   */
  invalidateAsid(asid: number): void {
    const levels = this.present;
    for (let k = 0; k < levels.length; k++) levels[k].invalidateAsid(asid);
  }

  /**
   * {@link Tlb.invalidateAsidRange} on every level.
   *
   * @param first - the lowest ASID removed.
   * @param last - the highest.
   * @param va - null for every page, or a virtual address inside the page.
   * @throws RangeError on an argument out of range (nothing is removed).
   */
  invalidateAsidRange(first: number, last: number, va: number | null = null): void {
    const levels = this.present;
    // Checked once, by the first level, before any level changes.
    for (let k = 0; k < levels.length; k++) levels[k].invalidateAsidRange(first, last, va);
  }

  /** {@link Tlb.hideGlobals} on every level. @internal */
  hideGlobals(hidden: boolean): void {
    const levels = this.present;
    for (let k = 0; k < levels.length; k++) levels[k].hideGlobals(hidden);
  }

  /** {@link Tlb.invalidateAll} on every level. */
  invalidateAll(): void {
    const levels = this.present;
    for (let k = 0; k < levels.length; k++) levels[k].invalidateAll();
  }

  /** {@link Tlb.invalidateNonGlobal} on every level. */
  invalidateNonGlobal(): void {
    const levels = this.present;
    for (let k = 0; k < levels.length; k++) levels[k].invalidateNonGlobal();
  }

  /** Zeroes the statistics of every level. */
  resetStats(): void {
    const levels = this.present;
    for (let k = 0; k < levels.length; k++) levels[k].stats.reset();
  }

  /** @returns the levels present: L1I, L1D, then the L2 if any (a new array). */
  levels(): Tlb[] {
    return [...this.present];
  }
}
