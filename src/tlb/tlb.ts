/**
 * One TLB level: one or more set-associative arrays, each for a set of page
 * sizes, stored as flat parallel typed arrays (Spike's `mmu.h`, QEMU's softmmu).
 */

import { alignDown } from './address.js';
import { validateTlbConfig } from './config.js';
import type { ResolvedTlbConfig, TlbConfig } from './config.js';
import { ReplacementState } from './replacement.js';
import { pageSet, setIndexBits } from './set-index.js';
import { TLB_STAT, TlbStats } from './stats.js';

/** The ASID of a global entry: it matches lookups of every ASID. */
export const GLOBAL_ASID = -1;

/** Wildcard for {@link Tlb.invalidatePage}: match entries of every (non-global) ASID. */
export const ANY_ASID = -2;

/** The {@link Tlb.tag} of an invalid entry. No page-aligned address equals it, so it never matches. */
export const INVALID_TAG = -1;

/** Largest ASID/PCID value accepted (RISC-V Sv57 ASIDs are 16 bits, x86 PCIDs 12). */
export const MAX_ASID = 0x7fff_ffff;

/** A plain-object view of one valid entry, for debugging and tests ({@link Tlb.entries}). */
export interface TlbEntryInfo {
  /** Global entry index, the index into the typed arrays of {@link Tlb}. */
  readonly index: number;
  /** Which array of the level holds it (its position in {@link TlbConfig.arrays}). */
  readonly array: number;
  /** Set index inside that array: {@link setIndexOf} of the entry's page, by the array's set count and {@link TlbArrayConfig.setIndex}. */
  readonly set: number;
  /** Way index inside that set. */
  readonly way: number;
  /** Page-aligned virtual address of the entry's page. */
  readonly va: number;
  /** ASID the entry belongs to, or {@link GLOBAL_ASID}. */
  readonly asid: number;
  /** True when the entry is global (`asid === GLOBAL_ASID`). */
  readonly global: boolean;
  /** Page shift of the entry. */
  readonly pageShift: number;
  /** Page shift of the translation the entry was made from; larger than `pageShift` when fractured. */
  readonly sourcePageShift: number;
  /** Physical base address of the entry's page. */
  readonly pageBase: number;
  /** Opaque permission bits, as inserted. */
  readonly perm: number;
  /** Opaque owner word, as inserted. */
  readonly extra: number;
}

/**
 * Told when a level's entries change, so that an owner can keep a host-side index in front of
 * the level (the MMU's {@link TranslationCache}) coherent with it. Calls happen on the miss and
 * invalidation paths only, never on a lookup.
 * @internal
 */
export interface TlbObserver {
  /** Valid entry `e` is about to be overwritten (a replacement or an update) or dropped. */
  entryChanged(e: number): void;
  /**
   * An entry for the `2^shift`-byte page at `pageVa` was just written at index `e`. Not called
   * for a page of the level's first array and size inserted right after a lookup of it missed:
   * the page had no entry, so nothing derived from the level's entries can be about it.
   */
  entryInserted(e: number, pageVa: number, shift: number): void;
  /** Many entries were dropped at once (an ASID, non-global or full flush). */
  entriesFlushed(): void;
  /** An invalidation of `va`'s page ran, whether or not this level held it. */
  pageInvalidated(va: number): void;
}

/**
 * Told of every eviction a level makes (a valid entry replaced to make room, or a duplicate of the
 * page an insert claims dropped), before the victim is overwritten: its {@link Tlb.tag},
 * {@link Tlb.asid} and {@link Tlb.pageShift} at `e` are still the victim's. An MMU with a tracer
 * attached sets it ({@link Tlb.tracer}); calls happen on the insert path only, never on a lookup.
 * @internal
 */
export interface TlbEvictionTracer {
  /** Entry `e` of `tlb` is being evicted. */
  tlbEviction(tlb: Tlb, e: number): void;
}

/** Pending hits are added to the hit counter at this count at the latest, far from Int32 overflow. */
const PENDING_HIT_FOLD = 1 << 30;

const NO_SHIFT = -1;
/** The owner lookups accept besides their own while global entries are hidden (`hideGlobals`): no entry has it. */
const HIDDEN_GLOBALS = -5;
/** Selectors of {@link Tlb.removeOwnedBy} besides a plain ASID (they are below every ASID, GLOBAL_ASID and ANY_ASID). */
const REMOVE_NON_GLOBAL = -3;
const REMOVE_ALL = -4;
const SHIFT_SLOTS = 64;

/** How {@link Tlb.setIndex} computes a probe's set (values of {@link Tlb.probeIndexMode}). */
const INDEX_SCALED_MASK = 0;
const INDEX_SHIFT_MASK = 1;
const INDEX_COMPUTED = 2;

/**
 * One TLB level.
 *
 * Entries of all arrays live in flat, public, parallel typed arrays indexed
 * by a global entry index `e`; array `k` occupies a contiguous range, set `s`
 * of it the `ways` entries from `first(k) + s * ways`. A page's set is chosen by
 * the array's {@link TlbArrayConfig.setIndex} function ({@link setIndexOf}); the
 * set count need not be a power of two. Callers read a hit's
 * translation straight from them: `pa = tlb.pageBase[e] + (va - tlb.tag[e])`.
 *
 * Invariants: an invalid entry has `tag[e] === INVALID_TAG`; no two valid
 * entries of one array with the same page and page size could answer the same
 * lookup (re-inserting overwrites). Entries of *different* page sizes may
 * overlap, as on hardware; a lookup returns the first in probe order.
 *
 * @example
 * ```ts
 * const tlb = new Tlb({ name: 'dtlb', arrays: [{ entries: 64, ways: 4, pageShifts: [12] }] });
 * const va = 0x7fff_1ff8;
 * tlb.insert(va, 5, 12, 0x8_0000, 0b011);        // ASID 5, 4 KiB page at PA 0x80000
 * const e = tlb.lookup(va, 5);
 * const pa = e >= 0 ? tlb.pageBase[e] + (va - tlb.tag[e]) : -1; // 0x80ff8
 * ```
 */
export class Tlb {
  /** Name of the level, from the configuration. */
  readonly name: string;
  /** The validated configuration (defaults filled in, page shifts ascending), deeply frozen. */
  readonly config: ResolvedTlbConfig;
  /** Total entries of all arrays. */
  readonly size: number;
  /** Every page shift the level holds, ascending. */
  readonly pageShifts: readonly number[];
  /** Hit, miss, eviction and invalidation counters of this level. */
  readonly stats: TlbStats;

  /** Page-aligned virtual address of each entry's page; {@link INVALID_TAG} (-1) when the entry is invalid. */
  readonly tag: Float64Array;
  /** ASID/PCID of each entry, or {@link GLOBAL_ASID} for a global entry. */
  readonly asid: Int32Array;
  /** Physical base address of each entry's page (an integer below 2^53). */
  readonly pageBase: Float64Array;
  /** Opaque permission-class bits of each entry, defined by the MMU (8 bits). */
  readonly perm: Uint8Array;
  /** Page shift of each entry. */
  readonly pageShift: Uint8Array;
  /** Opaque 32-bit word per entry for the owner (e.g. memory attributes). */
  readonly extra: Int32Array;
  /**
   * Page shift of the translation each entry was made from: equal to
   * {@link Tlb.pageShift} unless the entry is a fracture of a larger page
   * this level has no array for. {@link Tlb.invalidatePage} uses it to remove
   * every fragment of the page, as x86 INVLPG and RISC-V SFENCE.VMA do.
   */
  readonly sourceShift: Uint8Array;

  private readonly counters: Float64Array;
  private readonly replacement: readonly ReplacementState[];
  /** Per array: index of its first entry, its ways, its `sets - 1` (a mask when sets is a power of two). */
  private readonly arrayFirst: Int32Array;
  private readonly arrayWays: Int32Array;
  private readonly arraySetMask: Int32Array;
  /** Per array, for the computed set indices ({@link pageSet}): sets, `1 / sets`, and the XOR fold width (0 = modulo). */
  private readonly arraySets: Int32Array;
  private readonly arrayInverseSets: Float64Array;
  private readonly arrayFoldBits: Int32Array;
  /** Per probe (array × page shift, in lookup order). */
  private readonly probeCount: number;
  private readonly probeArray: Int32Array;
  private readonly probeShift: Int32Array;
  /**
   * How the set index of each probe is computed: {@link INDEX_SHIFT_MASK}, `(va >>> shift) & setMask`
   * (a power-of-two `'modulo'` array with shift + log2(sets) <= 32); {@link INDEX_SCALED_MASK}, the
   * page number (`va * 2^-shift`, floored) `& setMask` (a power-of-two `'modulo'` array otherwise);
   * {@link INDEX_COMPUTED}, {@link pageSet} (any other set count, or `'xor'`).
   */
  private readonly probeIndexMode: Uint8Array;
  /** `2^shift - 1` for shifts <= 30, where `va & mask` is exact; 0 otherwise. */
  private readonly probeOffsetMask: Int32Array;
  private readonly probePageSize: Float64Array;
  private readonly probeInversePageSize: Float64Array;
  /** Indexed by page shift: the probe holding it, or -1. */
  private readonly probeOfShift: Int8Array;
  /** Indexed by page shift s: the largest held shift <= s, or -1. */
  private readonly fitShift: Int8Array;
  /**
   * The last lookup that missed: [va, asid, {@link Tlb.contentVersion} at the time]. While the
   * version is unchanged no entry for that page and ASID (or global) exists, so an
   * insert of it, as the miss path makes right after the walk, need not look for one.
   */
  private readonly lastMiss = new Float64Array([Number.NaN, 0, -1]);
  /** [0] counts every change of an entry's tag, ASID or page size (inserts and removals); exact to 2^53. */
  private readonly contentVersion = new Float64Array(1);
  /** Set by {@link Tlb.claimSamePage}: the lowest invalid way of the set it scanned, or -1. */
  private firstInvalid = -1;
  /**
   * The owner a lookup accepts besides its own ASID: {@link GLOBAL_ASID}, or {@link HIDDEN_GLOBALS}
   * while global entries are hidden ({@link Tlb.hideGlobals}).
   */
  private globalOwner = GLOBAL_ASID;
  /**
   * Valid entries per probe (array × page shift), and valid global entries,
   * kept by every insert and removal (entries change only through this class):
   * a lookup skips the probes with none, a full flush is a memset, and
   * {@link Tlb.validCount} is their sum.
   */
  private readonly probeValid: Int32Array;
  /** Valid entries of every probe but the first: while 0, a lookup that misses the first probe is over. */
  private laterProbeEntries = 0;
  private globalEntries = 0;
  /**
   * Valid entries per set (sets of all arrays numbered one after the other), kept
   * with {@link Tlb.probeValid}: an insert into a full set, the steady state of a
   * busy level, looks for its page only, not also for a free way.
   */
  private readonly setValid: Int32Array;
  /** Per entry: the number of its set in {@link Tlb.setValid}. */
  private readonly entrySet: Int32Array;
  /** Per array: the number of its first set in {@link Tlb.setValid}. */
  private readonly arraySetBase: Int32Array;
  /** [0] = 1 while entries fractured from larger pages may be present. */
  private readonly mayHoldFragments: Uint8Array;
  /**
   * Whether the first probe (array 0 at its smallest page shift, usually the
   * 4 KiB array) has a set index the `>>>` path can compute (array 0 is a
   * power-of-two `'modulo'` array, and the index bits lie below bit 32): then its
   * constants live in plain fields and a lookup tries it before reading any
   * per-probe typed array. For any other array 0 see {@link Tlb.computedFirstProbe}.
   */
  private readonly fastFirstProbe: boolean;
  /**
   * Whether the first probe has a computed set index instead (array 0 has a set count that is
   * not a power of two, or hashes): then {@link Tlb.searchComputedFirst} tries it first, written
   * out with array 0's constants as the inline probe is, before the general loop.
   */
  private readonly computedFirstProbe: boolean;
  private readonly soleShift: number;
  private readonly soleSetMask: number;
  private readonly soleOffsetMask: number;
  private readonly soleWays: number;
  private readonly soleReplacement: ReplacementState;
  /** Whether array 0 holds a single page size. */
  private readonly soleOneShift: boolean;
  /** Array 0's LRU stamps (indexed by entry, as array 0 starts at entry 0) when its policy is LRU, else null. */
  private readonly soleLruStamps: Float64Array | null;
  /** Array 0's LRU clock. */
  private readonly soleLruClock: Float64Array;
  /** Per entry: the array it belongs to (for {@link Tlb.touchHit}). */
  private readonly entryArray: Uint8Array;
  /** Entries of array 0 (indices below it are array 0's, whose LRU stamps are indexed by entry). */
  private readonly firstArrayEntries: number;
  private observer: TlbObserver | null = null;
  /** @internal Told of every eviction (see {@link TlbEvictionTracer}); null when no tracer is attached. */
  tracer: TlbEvictionTracer | null = null;

  /**
   * Builds an empty level (every entry invalid) from its configuration.
   *
   * @param config - the level's configuration; validated, not retained (a frozen resolved copy is kept).
   * @throws TlbConfigError if the configuration is invalid (see {@link validateTlbConfig}).
   */
  constructor(config: TlbConfig) {
    const resolved = validateTlbConfig(config);
    this.config = resolved;
    this.name = resolved.name;
    this.stats = new TlbStats();
    this.counters = this.stats.counters;

    const arrayCount = resolved.arrays.length;
    this.arrayFirst = new Int32Array(arrayCount);
    this.arrayWays = new Int32Array(arrayCount);
    this.arraySetMask = new Int32Array(arrayCount);
    this.arraySets = new Int32Array(arrayCount);
    this.arrayInverseSets = new Float64Array(arrayCount);
    this.arrayFoldBits = new Int32Array(arrayCount);
    let size = 0;
    resolved.arrays.forEach((array, k) => {
      this.arrayFirst[k] = size;
      this.arrayWays[k] = array.ways;
      this.arraySetMask[k] = array.sets - 1;
      this.arraySets[k] = array.sets;
      this.arrayInverseSets[k] = 1 / array.sets;
      this.arrayFoldBits[k] = array.setIndex === 'xor' ? setIndexBits(array.sets) : 0;
      size += array.entries;
    });
    this.size = size;
    this.replacement = resolved.arrays.map((a) => new ReplacementState(a.replacement, a.sets, a.ways, a.seed));

    this.tag = new Float64Array(size).fill(INVALID_TAG);
    this.asid = new Int32Array(size);
    this.pageBase = new Float64Array(size);
    this.perm = new Uint8Array(size);
    this.pageShift = new Uint8Array(size);
    this.extra = new Int32Array(size);
    this.sourceShift = new Uint8Array(size);
    this.mayHoldFragments = new Uint8Array(1);

    const probes = resolved.arrays.flatMap((array, k) =>
      array.pageShifts.map((shift) => ({ k, shift, sets: array.sets, masked: isPowerOfTwo(array.sets) && this.arrayFoldBits[k] === 0 })),
    );
    this.probeCount = probes.length;
    this.probeArray = new Int32Array(probes.map((p) => p.k));
    this.probeShift = new Int32Array(probes.map((p) => p.shift));
    this.probeIndexMode = new Uint8Array(
      probes.map((p) =>
        !p.masked ? INDEX_COMPUTED : p.shift + Math.log2(p.sets) <= 32 && p.shift < 32 ? INDEX_SHIFT_MASK : INDEX_SCALED_MASK,
      ),
    );
    this.probeOffsetMask = new Int32Array(probes.map((p) => (p.shift <= 30 ? (1 << p.shift) - 1 : 0)));
    this.probePageSize = new Float64Array(probes.map((p) => 2 ** p.shift));
    this.probeInversePageSize = new Float64Array(probes.map((p) => 2 ** -p.shift));
    this.probeValid = new Int32Array(probes.length);
    this.probeOfShift = new Int8Array(SHIFT_SLOTS).fill(NO_SHIFT);
    probes.forEach((p, i) => (this.probeOfShift[p.shift] = i));
    this.pageShifts = Object.freeze(probes.map((p) => p.shift).sort((a, b) => a - b));
    this.fastFirstProbe = this.probeIndexMode[0] === INDEX_SHIFT_MASK && this.probeShift[0] <= 30 && this.arrayFirst[0] === 0;
    this.computedFirstProbe = this.probeIndexMode[0] === INDEX_COMPUTED && this.probeShift[0] <= 30 && this.arrayFirst[0] === 0;
    this.soleShift = this.probeShift[0];
    this.soleSetMask = this.arraySetMask[0];
    this.soleOffsetMask = this.probeOffsetMask[0];
    this.soleWays = this.arrayWays[0];
    this.soleReplacement = this.replacement[0];
    this.soleOneShift = resolved.arrays[0].pageShifts.length === 1;
    this.soleLruStamps = this.soleReplacement.lruStamps();
    this.soleLruClock = this.soleReplacement.lruClock();
    this.firstArrayEntries = resolved.arrays[0].entries;
    this.arraySetBase = new Int32Array(arrayCount);
    this.entrySet = new Int32Array(size);
    let sets = 0;
    resolved.arrays.forEach((array, k) => {
      this.arraySetBase[k] = sets;
      for (let i = 0; i < array.entries; i++) this.entrySet[this.arrayFirst[k] + i] = sets + Math.floor(i / array.ways);
      sets += array.sets;
    });
    this.setValid = new Int32Array(sets);
    this.entryArray = new Uint8Array(size);
    resolved.arrays.forEach((array, k) => this.entryArray.fill(k, this.arrayFirst[k], this.arrayFirst[k] + array.entries));
    this.fitShift = new Int8Array(SHIFT_SLOTS).fill(NO_SHIFT);
    for (let s = 0, fit = NO_SHIFT; s < SHIFT_SLOTS; s++) {
      if (this.probeOfShift[s] !== NO_SHIFT) fit = s;
      this.fitShift[s] = fit;
    }
  }

  /**
   * Finds the entry translating `va` for `asid`: a valid entry whose page
   * contains `va` and whose ASID is `asid` or {@link GLOBAL_ASID}. Probes each
   * array in configuration order, each at its page shifts smallest first.
   * On a hit updates the replacement state and counts a hit; otherwise counts
   * a miss. The hot path: allocates nothing, never throws.
   *
   * @param va - virtual address, an integer in [0, 2^57).
   * @param asid - current ASID/PCID (a non-negative integer).
   * @returns the entry index, or -1 on a miss.
   */
  lookup(va: number, asid: number): number {
    if (this.fastFirstProbe) {
      // The first probe inline, kept small so that V8 inlines lookup into the MMU's accessors.
      const set = (va >>> this.soleShift) & this.soleSetMask;
      const first = set * this.soleWays;
      const end = first + this.soleWays;
      const pageVa = va - (va & this.soleOffsetMask);
      const tags = this.tag;
      for (let e = first; e < end; e++) {
        // Array 0 with one page size holds nothing else: no page-size compare needed.
        if (tags[e] === pageVa && (this.soleOneShift || this.pageShift[e] === this.soleShift)) {
          const owner = this.asid[e];
          if (owner === asid || owner === this.globalOwner) {
            if (this.soleLruStamps !== null) this.soleLruStamps[e] = ++this.soleLruClock[0];
            else this.soleReplacement.touchAt(set, e - first);
            this.counters[TLB_STAT.hits]++;
            return e;
          }
        }
      }
    }
    const e = this.fastFirstProbe
      ? this.laterProbeEntries === 0 ? -1 : this.searchFrom(1, va, asid, true)
      : this.computedFirstProbe ? this.searchComputedFirst(va, asid) : this.searchFrom(0, va, asid, true);
    if (e >= 0) {
      this.counters[TLB_STAT.hits]++;
    } else {
      this.counters[TLB_STAT.misses]++;
      this.rememberMiss(va, asid);
    }
    return e;
  }

  /**
   * What a {@link Tlb.lookup} that returns `e` does besides finding it: the
   * replacement update of `e`'s set and the hit count. For an owner whose
   * host-side index already knows that a lookup would return `e` (see
   * {@link TlbObserver}); the result is identical to calling `lookup`.
   * @internal
   */
  touchHit(e: number): void {
    const pending = this.stats.pendingHits;
    if (++pending[0] === PENDING_HIT_FOLD) this.stats.foldPendingHits();
    if (this.soleLruStamps !== null && e < this.firstArrayEntries) {
      this.soleLruStamps[e] = ++this.soleLruClock[0];
      return;
    }
    const k = this.entryArray[e];
    const ways = this.arrayWays[k];
    const index = e - this.arrayFirst[k];
    const set = (index / ways) | 0;
    this.replacement[k].touchAt(set, index - set * ways);
  }

  /**
   * Whether a lookup that reaches entry `e` can find nothing before it: `e` is in
   * the first probe (array 0 at its smallest page shift), which a lookup scans
   * first, and an insert never leaves two entries there for one page and ASID.
   * Then {@link Tlb.peek} of its page would return `e` and need not be asked.
   * @internal
   */
  firstInLookupOrder(e: number): boolean {
    return this.fastFirstProbe && e < this.firstArrayEntries && this.pageShift[e] === this.soleShift;
  }

  /**
   * Registers the one observer of this level's entry changes (or removes it with null).
   * @internal
   */
  observe(observer: TlbObserver | null): void {
    this.observer = observer;
  }

  /**
   * {@link Tlb.lookup} without side effects: no statistics, no replacement
   * update. For tests and debuggers.
   *
   * @param va - virtual address, an integer in [0, 2^57).
   * @param asid - ASID/PCID to match.
   * @returns the entry index, or -1 (also for a `va` or `asid` that is not an integer in range).
   */
  peek(va: number, asid: number): number {
    if (!isVirtualAddress(va) || !Number.isInteger(asid)) return -1;
    return this.searchFrom(0, va, asid, false);
  }

  /**
   * Caches a translation (after a page walk).
   *
   * The entry goes to the array holding `pageShift`. If none does, the page is
   * *fractured* to the largest held shift below `pageShift` (as Intel splits a
   * 1 GiB page into 2 MiB entries when a TLB has no 1 GiB array): the entry
   * covers only the sub-page containing `va`, with `pageBase` advanced by that
   * sub-page's offset. An entry for the same page, page size and a matching
   * ASID (equal, or either side global) is overwritten, never duplicated.
   * Otherwise an invalid way is filled (lowest first), else the policy's
   * victim is evicted (counted as an eviction).
   *
   * @param va - any virtual address inside the page, an integer in [0, 2^57).
   * @param asid - owning ASID (a non-negative integer) or {@link GLOBAL_ASID}.
   * @param pageShift - page shift of the translation (12 for 4 KiB, 21, 30, ...).
   * @param pageBase - physical base address of the whole `2^pageShift` page.
   * @param perm - opaque permission bits (stored modulo 256).
   * @param extra - opaque owner word (stored as an int32); default 0.
   * @returns the entry index, or -1 if the level holds no shift <= `pageShift` (nothing inserted).
   * @throws RangeError if `va`, `asid`, `pageShift` or `pageBase` is out of range, or `perm` or `extra` is not an integer.
   */
  insert(va: number, asid: number, pageShift: number, pageBase: number, perm: number, extra = 0): number {
    checkInsertArguments(va, asid, pageShift, pageBase, perm, extra);
    return this.insertUnchecked(va, asid, pageShift, pageBase, perm, extra);
  }

  /**
   * {@link Tlb.insert} without the argument checks, for the library's own miss path
   * ({@link TlbHierarchy}, the walk caches), whose arguments come from a walk or
   * from another level's entry and are valid by construction. Same result, same
   * state: only the checks are skipped.
   * @internal
   */
  insertUnchecked(va: number, asid: number, pageShift: number, pageBase: number, perm: number, extra: number): number {
    if (pageShift === this.soleShift && this.fastFirstProbe && this.soleLruStamps !== null && asid !== GLOBAL_ASID && this.missedJustNow(va, asid)) {
      return this.insertAfterMiss(va, asid, pageBase, perm, extra, this.soleLruStamps);
    }
    return this.insertAnywhere(va, asid, pageShift, pageBase, perm, extra);
  }

  /** The general insert: any array, page size, policy and ASID, with or without a miss just before. */
  private insertAnywhere(va: number, asid: number, pageShift: number, pageBase: number, perm: number, extra: number): number {
    // Where the entry goes: the array, set and page start. The first probe's constants are
    // plain fields (a 4 KiB page into array 0 is nearly every insert); the rest read the tables.
    let k = 0;
    let shift = pageShift;
    let set: number;
    let first: number;
    let pageVa: number;
    let base = pageBase;
    if (pageShift === this.soleShift && this.fastFirstProbe) {
      set = (va >>> pageShift) & this.soleSetMask;
      first = set * this.soleWays;
      pageVa = va - (va & this.soleOffsetMask);
    } else {
      shift = this.fitShift[pageShift];
      if (shift === NO_SHIFT) return -1;
      const p = this.probeOfShift[shift];
      k = this.probeArray[p];
      set = this.setIndex(p, va);
      first = this.arrayFirst[k] + set * this.arrayWays[k];
      pageVa = this.pageStart(p, va);
      if (shift !== pageShift) base = pageBase + (pageVa - alignDown(va, pageShift));
    }
    const ways = this.arrayWays[k];
    const end = first + ways;
    const setNumber = this.arraySetBase[k] + set;
    // Array 0's LRU stamps are indexed by entry: its victim search and stamp need no method call.
    const lru = k === 0 ? this.soleLruStamps : null;

    const full = this.setValid[setNumber] === ways;
    let target: number;
    if (asid !== GLOBAL_ASID && this.missedJustNow(va, asid)) {
      // The lookup that just missed saw no entry this insert could claim: look for a free way only.
      target = -1;
      this.firstInvalid = full ? -1 : firstInvalidEntry(this.tag, first, end);
    } else {
      target = this.claimSamePage(first, end, pageVa, shift, asid, full);
    }
    this.contentVersion[0]++;
    const updating = target >= 0;
    if (target < 0) target = this.firstInvalid;
    if (target < 0) {
      target = lru !== null ? leastRecentlyUsed(lru, first, end) : first + this.replacement[k].victimAt(set);
      this.counters[TLB_STAT.evictions]++;
      if (this.tracer !== null) this.tracer.tlbEviction(this, target);
    }

    if (this.tag[target] !== INVALID_TAG) {
      this.observer?.entryChanged(target);
      this.uncount(this.probeOfShift[this.pageShift[target]]);
      if (this.asid[target] === GLOBAL_ASID) this.globalEntries--;
    } else {
      this.setValid[setNumber]++;
    }
    this.count(this.probeOfShift[shift]);
    if (asid === GLOBAL_ASID) this.globalEntries++;
    this.tag[target] = pageVa;
    this.asid[target] = asid;
    this.pageBase[target] = base;
    this.perm[target] = perm;
    this.pageShift[target] = shift;
    this.extra[target] = extra;
    this.sourceShift[target] = pageShift;
    if (shift !== pageShift) this.mayHoldFragments[0] = 1;
    // LRU treats a fill and an update alike (a use); the other policies tell them apart.
    if (lru !== null) lru[target] = ++this.soleLruClock[0];
    else if (updating) this.replacement[k].touchAt(set, target - first);
    else this.replacement[k].fillAt(set, target - first);
    this.observer?.entryInserted(target, pageVa, shift);
    return target;
  }

  /**
   * The insert the miss and L2-hit paths make nearly every time, written out on its own: a page
   * of array 0's first size, into an LRU array 0, right after a lookup of the same page and ASID
   * missed with nothing changed since. That miss proves no entry this insert could claim exists,
   * so the entry goes to the set's first free way, or replaces its least recently used one. The
   * state it leaves is exactly the general path's; it only skips that path's table reads.
   *
   * The observer is not told of the insert: the page was not in this level a moment ago, so
   * nothing an observer derived from this level's entries can be about the page, and a 4 KiB
   * (array 0) entry covers no other page whose answer it could change.
   */
  private insertAfterMiss(va: number, asid: number, pageBase: number, perm: number, extra: number, stamps: Float64Array): number {
    const ways = this.soleWays;
    const set = (va >>> this.soleShift) & this.soleSetMask;
    const first = set * ways;
    const tags = this.tag;
    this.contentVersion[0]++;
    let target: number;
    if (this.setValid[set] === ways) {
      target = leastRecentlyUsed(stamps, first, first + ways);
      this.counters[TLB_STAT.evictions]++;
      if (this.tracer !== null) this.tracer.tlbEviction(this, target);
      this.observer?.entryChanged(target);
      if (this.asid[target] === GLOBAL_ASID) this.globalEntries--;
      // The victim's page size is the new entry's unless array 0 holds several: only then do the counts move.
      if (this.pageShift[target] !== this.soleShift) {
        this.uncount(this.probeOfShift[this.pageShift[target]]);
        this.probeValid[0]++;
      }
    } else {
      target = firstInvalidEntry(tags, first, first + ways);
      this.setValid[set]++;
      this.probeValid[0]++;
    }
    tags[target] = va - (va & this.soleOffsetMask);
    this.asid[target] = asid;
    this.pageBase[target] = pageBase;
    this.perm[target] = perm;
    this.pageShift[target] = this.soleShift;
    this.extra[target] = extra;
    this.sourceShift[target] = this.soleShift;
    stamps[target] = ++this.soleLruClock[0];
    return target;
  }

  /**
   * Removes every entry, in any array and of any page size, whose page
   * contains `va` and that belongs to `asid` (every non-global ASID if `asid`
   * is {@link ANY_ASID}); global entries too if `includeGlobal`. A fractured
   * entry goes with every other fragment of its source page.
   *
   * Maps to x86 `INVLPG` (`asid` = current PCID, `includeGlobal` true),
   * RISC-V `SFENCE.VMA va, asid` (`includeGlobal` false) and
   * `SFENCE.VMA va, x0` (`ANY_ASID`, `includeGlobal` true). Counts one flush.
   *
   * @param va - virtual address inside the page.
   * @param asid - ASID to match, or {@link ANY_ASID}.
   * @param includeGlobal - also remove global entries for the page.
   * @throws RangeError if `va` is not an integer in [0, 2^57), `asid` not an ASID or {@link ANY_ASID},
   *   or `includeGlobal` not a boolean (nothing is removed).
   */
  invalidatePage(va: number, asid: number, includeGlobal: boolean): void {
    checkInvalidation(va, asid, includeGlobal);
    this.counters[TLB_STAT.flushes]++;
    this.observer?.pageInvalidated(va);
    if (this.mayHoldFragments[0] === 1) {
      this.invalidatePageEverywhere(va, asid, includeGlobal);
      return;
    }
    for (let p = 0; p < this.probeCount; p++) {
      if (this.probeValid[p] === 0) continue;
      const k = this.probeArray[p];
      const shift = this.probeShift[p];
      const pageVa = this.pageStart(p, va);
      const first = this.arrayFirst[k] + this.setIndex(p, va) * this.arrayWays[k];
      const end = first + this.arrayWays[k];
      for (let e = first; e < end; e++) {
        if (this.tag[e] === pageVa && this.pageShift[e] === shift && ownedBy(this.asid[e], asid, includeGlobal)) {
          this.remove(e);
        }
      }
    }
  }

  /**
   * Removes every non-global entry of `asid` (RISC-V `SFENCE.VMA x0, asid`,
   * x86 `INVPCID` single-context). Counts one flush.
   *
   * @param asid - the ASID to drop (a non-negative integer); {@link ANY_ASID} drops every non-global entry.
   * @throws RangeError if `asid` is {@link GLOBAL_ASID} or not an integer in [-2, {@link MAX_ASID}].
   */
  invalidateAsid(asid: number): void {
    if (!Number.isInteger(asid) || asid < ANY_ASID || asid === GLOBAL_ASID || asid > MAX_ASID) {
      throw new RangeError(`invalidateAsid needs an ASID in [0, ${MAX_ASID}] or ANY_ASID (got ${String(asid)})`);
    }
    this.removeOwnedBy(asid === ANY_ASID ? REMOVE_NON_GLOBAL : asid);
  }

  /**
   * Removes every non-global entry whose ASID is in `[first, last]`, or only those whose page
   * contains `va` when `va` is not null: the invalidations of a tag space that packs several
   * identifiers into one ASID (an {@link Mmu} tags a guest's entries with its VMID or VPID and
   * its own ASID). Counts one flush.
   *
   * @param first - the lowest ASID removed, an integer in [0, {@link MAX_ASID}].
   * @param last - the highest, an integer in [first, {@link MAX_ASID}].
   * @param va - null for every page, or a virtual address inside the page (an integer in [0, 2^57)).
   * @throws RangeError on an argument out of range (nothing is removed).
   */
  invalidateAsidRange(first: number, last: number, va: number | null = null): void {
    if (!Number.isInteger(first) || first < 0 || first > MAX_ASID || !Number.isInteger(last) || last < first || last > MAX_ASID) {
      throw new RangeError(`invalidateAsidRange needs 0 <= first <= last <= ${MAX_ASID} (got ${String(first)}, ${String(last)})`);
    }
    if (va !== null && !isVirtualAddress(va)) throw new RangeError(`virtual address ${String(va)} is not an integer in [0, 2^57)`);
    this.counters[TLB_STAT.flushes]++;
    if (va !== null) this.observer?.pageInvalidated(va);
    else this.observer?.entriesFlushed();
    const tags = this.tag;
    const owners = this.asid;
    for (let e = 0; e < this.size; e++) {
      const tag = tags[e];
      if (tag === INVALID_TAG) continue;
      const owner = owners[e];
      if (owner < first || owner > last) continue;
      if (va !== null) {
        const source = this.sourceShift[e];
        if (alignDown(tag, source) !== alignDown(va, source)) continue;
      }
      this.remove(e);
    }
  }

  /**
   * Hides global entries from lookups (they stay, and come back when `hidden` is false): for an
   * owner whose current tag space must not see another's global translations, as a virtual
   * machine's accesses must not hit the host's global pages. Inserts then never overwrite a
   * global entry for the same page either.
   * @param hidden - true to hide, false to show them again.
   * @internal
   */
  hideGlobals(hidden: boolean): void {
    this.globalOwner = hidden ? HIDDEN_GLOBALS : GLOBAL_ASID;
  }

  /** Removes every entry, global ones included (RISC-V `SFENCE.VMA x0, x0`). Counts one flush. */
  invalidateAll(): void {
    this.removeOwnedBy(REMOVE_ALL);
    this.mayHoldFragments[0] = 0;
  }

  /** Removes every non-global entry of every ASID (x86 `MOV CR3` without PCIDs, with CR4.PGE). Counts one flush. */
  invalidateNonGlobal(): void {
    this.removeOwnedBy(REMOVE_NON_GLOBAL);
  }

  /**
   * Removes one entry by index (no-op if already invalid). Counts an
   * invalidation if the entry was valid, but no flush: it is the owner's
   * bookkeeping, not a TLB maintenance operation.
   *
   * @param e - entry index in [0, {@link Tlb.size}).
   * @throws RangeError if `e` is not an entry index.
   */
  invalidateEntry(e: number): void {
    if (!Number.isInteger(e) || e < 0 || e >= this.size) {
      throw new RangeError(`entry index ${e} is not in [0, ${this.size})`);
    }
    if (this.tag[e] !== INVALID_TAG) this.remove(e);
  }

  /**
   * The page shift an insert of a `2^pageShift` page would use: `pageShift`
   * itself if an array holds it, else the largest held shift below it (a
   * fracture), else -1 (the level cannot hold it).
   *
   * @param pageShift - a page shift in [0, 63].
   * @returns the shift used, or -1.
   */
  fitPageShift(pageShift: number): number {
    return Number.isInteger(pageShift) && pageShift >= 0 && pageShift < SHIFT_SLOTS ? this.fitShift[pageShift] : NO_SHIFT;
  }

  /** @returns the number of valid entries. */
  validCount(): number {
    let n = 0;
    for (let p = 0; p < this.probeCount; p++) n += this.probeValid[p];
    return n;
  }

  /**
   * Iterates over the valid entries in index order, as plain objects (allocates; for debugging and tests).
   *
   * @returns an iterator of {@link TlbEntryInfo}.
   */
  *entries(): IterableIterator<TlbEntryInfo> {
    for (let k = 0; k < this.config.arrays.length; k++) {
      const ways = this.arrayWays[k];
      const first = this.arrayFirst[k];
      for (let i = 0; i < this.config.arrays[k].entries; i++) {
        const e = first + i;
        if (this.tag[e] === INVALID_TAG) continue;
        yield {
          index: e,
          array: k,
          set: Math.floor(i / ways),
          way: i % ways,
          va: this.tag[e],
          asid: this.asid[e],
          global: this.asid[e] === GLOBAL_ASID,
          pageShift: this.pageShift[e],
          sourcePageShift: this.sourceShift[e],
          pageBase: this.pageBase[e],
          perm: this.perm[e],
          extra: this.extra[e],
        };
      }
    }
  }

  /** Counts a new valid entry of probe `p`. */
  private count(p: number): void {
    this.probeValid[p]++;
    if (p !== 0) this.laterProbeEntries++;
  }

  /** Counts a valid entry of probe `p` that is going. */
  private uncount(p: number): void {
    this.probeValid[p]--;
    if (p !== 0) this.laterProbeEntries--;
  }

  /** Records a lookup miss of `va` for `asid` (see {@link Tlb.lastMiss}). */
  private rememberMiss(va: number, asid: number): void {
    const memo = this.lastMiss;
    memo[0] = va;
    memo[1] = asid;
    memo[2] = this.contentVersion[0];
  }

  /** Whether the last lookup of `va` for `asid` missed and no entry has changed since. */
  private missedJustNow(va: number, asid: number): boolean {
    const memo = this.lastMiss;
    return memo[0] === va && memo[1] === asid && memo[2] === this.contentVersion[0];
  }

  /**
   * The general probe loop: probes `from` onwards in lookup order, skipping
   * probes that hold no valid entry (a 4 KiB-only workload never scans the
   * large-page arrays).
   */
  private searchFrom(from: number, va: number, asid: number, touch: boolean): number {
    for (let p = from; p < this.probeCount; p++) {
      if (this.probeValid[p] === 0) continue;
      const k = this.probeArray[p];
      const set = this.setIndex(p, va);
      const first = this.arrayFirst[k] + set * this.arrayWays[k];
      const e = this.scanSet(first, first + this.arrayWays[k], this.pageStart(p, va), this.probeShift[p], asid);
      if (e >= 0) {
        if (touch) this.replacement[k].touchAt(set, e - first);
        return e;
      }
    }
    return -1;
  }

  /**
   * {@link Tlb.searchFrom} from the first probe, for a level whose array 0 has a computed set
   * index: that probe (array 0 at its smallest page size) with array 0's constants, as the
   * inline probe of {@link Tlb.lookup} does for a power-of-two `'modulo'` array 0, then the rest.
   * Same result and replacement update as `searchFrom(0, va, asid, true)`.
   */
  private searchComputedFirst(va: number, asid: number): number {
    if (this.probeValid[0] !== 0) {
      const set = pageSet(Math.floor(va * this.probeInversePageSize[0]), this.arraySets[0], this.arrayInverseSets[0], this.arrayFoldBits[0]);
      const first = set * this.soleWays;
      const e = this.scanSet(first, first + this.soleWays, va - (va & this.soleOffsetMask), this.soleShift, asid);
      if (e >= 0) {
        if (this.soleLruStamps !== null) this.soleLruStamps[e] = ++this.soleLruClock[0];
        else this.soleReplacement.touchAt(set, e - first);
        return e;
      }
    }
    return this.laterProbeEntries === 0 ? -1 : this.searchFrom(1, va, asid, true);
  }

  /** The entry in `[first, end)` for page `pageVa` of size `2^shift` visible to `asid`, or -1. */
  private scanSet(first: number, end: number, pageVa: number, shift: number, asid: number): number {
    const tags = this.tag;
    const shifts = this.pageShift;
    for (let e = first; e < end; e++) {
      if (tags[e] === pageVa && shifts[e] === shift) {
        const owner = this.asid[e];
        if (owner === asid || owner === this.globalOwner) return e;
      }
    }
    return -1;
  }

  /**
   * Set index of `va` for probe `p`, by its array's set-index function ({@link setIndexOf}).
   * A power-of-two `'modulo'` array masks the page number: `>>>` keeps the low 32 bits of
   * any integer below 2^53 (and of every integer-valued double above), so it is exact while
   * the index bits lie below bit 32; past that, multiplying by 2^-shift is exact. Every other
   * array hands the page number to {@link pageSet}.
   */
  private setIndex(p: number, va: number): number {
    const mode = this.probeIndexMode[p];
    const k = this.probeArray[p];
    if (mode === INDEX_SHIFT_MASK) return (va >>> this.probeShift[p]) & this.arraySetMask[k];
    const pageNumber = Math.floor(va * this.probeInversePageSize[p]);
    if (mode === INDEX_SCALED_MASK) return pageNumber & this.arraySetMask[k];
    return pageSet(pageNumber, this.arraySets[k], this.arrayInverseSets[k], this.arrayFoldBits[k]);
  }

  /** Start of the page of probe `p`'s size that contains `va`. */
  private pageStart(p: number, va: number): number {
    return this.probeShift[p] <= 30
      ? va - (va & this.probeOffsetMask[p])
      : Math.floor(va * this.probeInversePageSize[p]) * this.probePageSize[p];
  }

  /**
   * Finds, in one set, the entries for `pageVa` at `shift` that a lookup by
   * `asid` could confuse with a new entry (same ASID, or either side global).
   * Keeps the first (returned, to be overwritten) and evicts the rest. Unless
   * the set is `full`, leaves its lowest invalid way (or -1) in `firstInvalid`
   * in the same pass, so an insert scans its set once.
   */
  private claimSamePage(first: number, end: number, pageVa: number, shift: number, asid: number, full: boolean): number {
    let claimed = -1;
    let invalid = -1;
    const tags = this.tag;
    for (let e = first; e < end; e++) {
      const tag = tags[e];
      if (tag !== pageVa || this.pageShift[e] !== shift) {
        if (!full && tag === INVALID_TAG && invalid < 0) invalid = e;
        continue;
      }
      const owner = this.asid[e];
      if (owner !== asid && owner !== this.globalOwner && asid !== GLOBAL_ASID) continue;
      if (claimed < 0) {
        claimed = e;
      } else {
        if (this.tracer !== null) this.tracer.tlbEviction(this, e);
        this.drop(e);
        this.counters[TLB_STAT.evictions]++;
        if (invalid < 0) invalid = e;
      }
    }
    this.firstInvalid = invalid;
    return claimed;
  }

  /** The fractured-entry path of {@link Tlb.invalidatePage}: scans every entry against its source page. */
  private invalidatePageEverywhere(va: number, asid: number, includeGlobal: boolean): void {
    let fragmentsLeft = 0;
    for (let e = 0; e < this.size; e++) {
      const tag = this.tag[e];
      if (tag === INVALID_TAG) continue;
      const source = this.sourceShift[e];
      if (alignDown(tag, source) === alignDown(va, source) && ownedBy(this.asid[e], asid, includeGlobal)) {
        this.remove(e);
      } else if (source !== this.pageShift[e]) {
        fragmentsLeft++;
      }
    }
    if (fragmentsLeft === 0) this.mayHoldFragments[0] = 0;
  }

  /**
   * Counts one flush and removes every valid entry of ASID `which` (>= 0),
   * or every non-global entry ({@link REMOVE_NON_GLOBAL}), or every entry
   * ({@link REMOVE_ALL}). A plain loop, no callback: a context switch without
   * ASIDs runs it over every level.
   */
  private removeOwnedBy(which: number): void {
    this.counters[TLB_STAT.flushes]++;
    this.contentVersion[0]++;
    this.observer?.entriesFlushed();
    if (which === REMOVE_ALL || (which === REMOVE_NON_GLOBAL && this.globalEntries === 0)) {
      // Everything goes: a memset instead of a scan (the L2 holds over 1500 entries), and
      // nothing at all when the level is already empty (a second flush in a row, paging off).
      const valid = this.validCount();
      if (valid === 0) return;
      this.counters[TLB_STAT.invalidations] += valid;
      this.tag.fill(INVALID_TAG);
      this.globalEntries = 0;
      this.probeValid.fill(0);
      this.laterProbeEntries = 0;
      this.setValid.fill(0);
      return;
    }
    const tags = this.tag;
    const owners = this.asid;
    let removed = 0;
    for (let e = 0; e < this.size; e++) {
      if (tags[e] === INVALID_TAG) continue;
      const owner = owners[e];
      if (owner === which || (which === REMOVE_NON_GLOBAL && owner !== GLOBAL_ASID)) {
        tags[e] = INVALID_TAG;
        this.uncount(this.probeOfShift[this.pageShift[e]]);
        this.setValid[this.entrySet[e]]--;
        removed++;
      }
    }
    this.counters[TLB_STAT.invalidations] += removed;
  }

  /** Invalidates valid entry `e`; its way becomes the first choice of the next fill in its set. */
  private remove(e: number): void {
    this.drop(e);
    this.counters[TLB_STAT.invalidations]++;
  }

  /** Marks valid entry `e` invalid and keeps the occupancy counts. */
  private drop(e: number): void {
    this.contentVersion[0]++;
    this.observer?.entryChanged(e);
    if (this.asid[e] === GLOBAL_ASID) this.globalEntries--;
    this.uncount(this.probeOfShift[this.pageShift[e]]);
    this.setValid[this.entrySet[e]]--;
    this.tag[e] = INVALID_TAG;
  }
}

const isPowerOfTwo = (n: number): boolean => (n & (n - 1)) === 0;

/** The lowest invalid entry of `[first, end)`, or -1. */
function firstInvalidEntry(tags: Float64Array, first: number, end: number): number {
  for (let e = first; e < end; e++) if (tags[e] === INVALID_TAG) return e;
  return -1;
}

/**
 * The way an LRU array replaces in a full set: the entry of `[first, end)` with
 * the oldest stamp, the lowest on a tie (as {@link ReplacementState.victim} picks).
 */
function leastRecentlyUsed(stamps: Float64Array, first: number, end: number): number {
  let best = first;
  let bestStamp = stamps[first];
  for (let e = first + 1; e < end; e++) {
    const stamp = stamps[e];
    if (stamp < bestStamp) {
      bestStamp = stamp;
      best = e;
    }
  }
  return best;
}

/** Whether an entry owned by `owner` falls under an invalidation of `asid` (maybe {@link ANY_ASID}). */
function ownedBy(owner: number, asid: number, includeGlobal: boolean): boolean {
  return owner === GLOBAL_ASID ? includeGlobal : asid === ANY_ASID || owner === asid;
}

/** Whether `va` is a virtual address a TLB can hold: an integer in [0, 2^57). */
function isVirtualAddress(va: unknown): va is number {
  return typeof va === 'number' && va >= 0 && va < 2 ** 57 && Number.isInteger(va);
}

function checkInvalidation(va: number, asid: number, includeGlobal: boolean): void {
  if (!isVirtualAddress(va)) throw new RangeError(`virtual address ${String(va)} is not an integer in [0, 2^57)`);
  if (!Number.isInteger(asid) || asid < ANY_ASID || asid === GLOBAL_ASID || asid > MAX_ASID) {
    throw new RangeError(`ASID ${String(asid)} is not ANY_ASID or an integer in [0, ${MAX_ASID}]`);
  }
  if (typeof includeGlobal !== 'boolean') throw new RangeError(`includeGlobal must be a boolean (got ${String(includeGlobal)})`);
}

/**
 * Throws the RangeError {@link Tlb.insert} throws for a bad argument; returns when all are good.
 * @internal
 */
export function checkInsertArguments(va: number, asid: number, pageShift: number, pageBase: number, perm: number, extra: number): void {
  if (!isVirtualAddress(va)) {
    throw new RangeError(`virtual address ${String(va)} is not an integer in [0, 2^57)`);
  }
  if (!Number.isInteger(perm) || !Number.isInteger(extra)) {
    throw new RangeError(`perm and extra must be integers (got ${String(perm)}, ${String(extra)})`);
  }
  if (!(Number.isInteger(asid) && asid >= GLOBAL_ASID && asid <= MAX_ASID)) {
    throw new RangeError(`ASID ${asid} is not GLOBAL_ASID or an integer in [0, ${MAX_ASID}]`);
  }
  if (!(Number.isInteger(pageShift) && pageShift >= 0 && pageShift < SHIFT_SLOTS)) {
    throw new RangeError(`page shift ${pageShift} is not an integer in [0, ${SHIFT_SLOTS})`);
  }
  if (!(pageBase >= 0 && pageBase <= Number.MAX_SAFE_INTEGER && Number.isInteger(pageBase))) {
    throw new RangeError(`page base ${pageBase} is not an integer in [0, 2^53)`);
  }
}
