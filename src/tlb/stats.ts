/**
 * Event counters of one TLB level.
 */

/**
 * Slots of {@link TlbStats.counters}. The TLB's hot path increments
 * `counters[TLB_STAT.hits]` directly instead of calling a method.
 */
export const TLB_STAT = Object.freeze({
  /** Lookups that found an entry. */
  hits: 0,
  /** Lookups that found no entry. */
  misses: 1,
  /** Valid entries displaced by an insert. */
  evictions: 2,
  /** Invalidation operations called (page, ASID, all, non-global: one each). */
  flushes: 3,
  /** Valid entries actually removed by invalidation. */
  invalidations: 4,
} as const);

/** The name of one counter: `'hits' | 'misses' | 'evictions' | 'flushes' | 'invalidations'`. */
export type TlbStatName = keyof typeof TLB_STAT;

/** A plain-object copy of every counter of a {@link TlbStats}, taken by {@link TlbStats.snapshot}. */
export interface TlbStatsSnapshot {
  /** Lookups that found an entry. */
  readonly hits: number;
  /** Lookups that found no entry. */
  readonly misses: number;
  /** Valid entries displaced by an insert. */
  readonly evictions: number;
  /** Invalidation operations called. */
  readonly flushes: number;
  /** Valid entries removed by invalidation. */
  readonly invalidations: number;
}

/**
 * Counters of one TLB level, backed by a `Float64Array` (exact up to 2^53
 * events; no boxing when the hot path increments them).
 *
 * Only {@link Tlb.lookup} counts hits and misses; {@link Tlb.peek} counts nothing.
 *
 * @example
 * ```ts
 * const tlb = new Tlb(fullyAssociativeTlb(8));
 * tlb.lookup(0x1000, 0);                    // -1: a miss
 * tlb.insert(0x1000, 0, 12, 0x5000, 0);
 * tlb.lookup(0x1000, 0);                    // 0: a hit on entry 0
 * tlb.peek(0x1000, 0);                      // 0: not counted
 * const { hits, misses } = tlb.stats.snapshot();
 * [hits, misses];                           // [1, 1]
 * tlb.stats.reset();
 * tlb.stats.hits;                           // 0
 * ```
 */
export class TlbStats {
  private readonly raw: Float64Array = new Float64Array(5);
  /**
   * Hits counted by {@link Tlb.touchHit} and not yet added to the hit counter: the MMU's
   * translation-cache hits land here, as an Int32 increment is cheaper than a Float64 add.
   * @internal
   */
  readonly pendingHits: Int32Array = new Int32Array(1);

  /** The raw counters, indexed by {@link TLB_STAT}. Written by the owning TLB. */
  get counters(): Float64Array {
    this.foldPendingHits();
    return this.raw;
  }

  /** Adds the pending hits to the hit counter. @internal */
  foldPendingHits(): void {
    this.raw[TLB_STAT.hits] += this.pendingHits[0];
    this.pendingHits[0] = 0;
  }

  /** Lookups that found an entry. */
  get hits(): number {
    return this.counters[TLB_STAT.hits];
  }

  /** Lookups that found no entry. */
  get misses(): number {
    return this.counters[TLB_STAT.misses];
  }

  /** Valid entries displaced by an insert (re-inserting the same page is an update, not an eviction). */
  get evictions(): number {
    return this.counters[TLB_STAT.evictions];
  }

  /**
   * Invalidation operations called: each `invalidatePage`, `invalidateAsid`,
   * `invalidateAll` and `invalidateNonGlobal` call counts one, whether or not
   * it removed anything. `invalidateEntry` does not count here.
   */
  get flushes(): number {
    return this.counters[TLB_STAT.flushes];
  }

  /** Valid entries actually removed by any invalidation, including `invalidateEntry`. */
  get invalidations(): number {
    return this.counters[TLB_STAT.invalidations];
  }

  /** Sets every counter to zero. */
  reset(): void {
    this.pendingHits[0] = 0;
    this.raw.fill(0);
  }

  /** @returns a plain object holding the current value of every counter. */
  snapshot(): TlbStatsSnapshot {
    return {
      hits: this.hits,
      misses: this.misses,
      evictions: this.evictions,
      flushes: this.flushes,
      invalidations: this.invalidations,
    };
  }
}
