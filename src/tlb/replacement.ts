/**
 * Replacement policies of one set-associative TLB array.
 *
 * A policy only ranks the ways of a set: the {@link Tlb} always fills an
 * invalid way (lowest index first) before it asks the policy for a victim, so
 * an invalidated way is the first choice of the next fill under every policy.
 * All state lives in typed arrays so that the hit path ({@link ReplacementState.touch})
 * allocates nothing.
 */

/**
 * The replacement policies a TLB array can use.
 *
 * - `'lru'`: true least-recently-used, by per-entry use stamps. A fill and an
 *   in-place update count as uses.
 * - `'plru'`: tree pseudo-LRU, `ways - 1` bits per set; `ways` must be a power of two.
 * - `'fifo'`: a round-robin pointer per set, as in TLBs documented as "round-robin"
 *   or "cyclic". The victim of a full set is the way the pointer names; hits do not move
 *   it; a fill of the way it names moves it to the next way (wrapping to way 0), a fill
 *   of another way (an invalid way the {@link Tlb} fills first) leaves it where it is.
 * - `'fifo-fill'`: true first-in-first-out, least recently *filled*: every fill stamps its
 *   way, and the victim of a full set is the way with the oldest fill (the lowest way on
 *   a tie). Hits do not change it, and neither does an insert that updates an entry of the
 *   same page in place (the entry was not filled anew, so it keeps its age).
 * - `'random'`: a seeded deterministic PRNG (mulberry32) picks the victim.
 *
 * The two FIFOs agree while a set only ever fills in way order (a cold set, then full
 * sets): the pointer then always names the oldest fill. They part when an invalidation
 * frees a way out of order. With 4 ways filled A B C D (pointer back at way 0), invalidate
 * B and insert E: E fills way 1, the pointer stays at way 0. The next insert F replaces A
 * under both (way 0). The one after replaces way 1 under `'fifo'` (the pointer's next
 * way: E, the newest entry) but C under `'fifo-fill'` (way 2, now the oldest fill).
 *
 * @example
 * ```ts
 * const tlb = new Tlb({ name: 'l2', arrays: [{ entries: 4, ways: 4, pageShifts: [12], replacement: 'fifo-fill' }] });
 * for (const n of [1, 2, 3, 4]) tlb.insert(n * 0x1000, 0, 12, 0, 0); // A B C D in ways 0..3
 * tlb.invalidatePage(0x2000, 0, false);                                // B goes: way 1 is free
 * tlb.insert(0x5000, 0, 12, 0, 0);                                     // 1: E fills the free way
 * tlb.insert(0x6000, 0, 12, 0, 0);                                     // 0: F replaces A, the oldest fill
 * tlb.insert(0x7000, 0, 12, 0, 0);                                     // 2: G replaces C ('fifo' would take way 1, E)
 * ```
 */
export type ReplacementPolicy = 'lru' | 'plru' | 'fifo' | 'fifo-fill' | 'random';

/** Every {@link ReplacementPolicy}, in a stable order (for validation and UIs). */
export const REPLACEMENT_POLICIES: readonly ReplacementPolicy[] = Object.freeze([
  'lru',
  'plru',
  'fifo',
  'fifo-fill',
  'random',
] as const);

/** Numeric codes of the policies, so the hot path branches on integers, not strings. */
const POLICY_CODE = { lru: 0, plru: 1, fifo: 2, random: 3, 'fifo-fill': 4 } as const;
type PolicyCode = (typeof POLICY_CODE)[keyof typeof POLICY_CODE];

/** The seed of `'random'` when the configuration gives none. */
export const DEFAULT_REPLACEMENT_SEED = 1;

/**
 * Replacement state of one set-associative array of `sets × ways` entries.
 *
 * Ways are numbered `0 .. ways-1` inside a set. The owner calls
 * {@link ReplacementState.touch} on every hit, {@link ReplacementState.victim}
 * when a full set needs a way, and {@link ReplacementState.fill} after writing
 * a way.
 *
 * @example
 * ```ts
 * const r = new ReplacementState('plru', 1, 4);
 * for (let w = 0; w < 4; w++) r.fill(0, w);
 * r.touch(0, 0);
 * r.victim(0); // 2: the tree points away from way 0 and from way 3, the last filled
 *
 * const fifo = new ReplacementState('fifo', 1, 2);
 * fifo.fill(0, 0);
 * fifo.fill(0, 1);
 * fifo.touch(0, 0);  // hits do not move FIFO's pointer
 * fifo.victim(0);    // 0: the oldest fill
 *
 * const filled = new ReplacementState('fifo-fill', 1, 2);
 * filled.fill(0, 1);
 * filled.fill(0, 0);
 * filled.victim(0);  // 1: filled first
 * ```
 */
export class ReplacementState {
  /** The policy this state implements. */
  readonly policy: ReplacementPolicy;
  /** Number of sets. */
  readonly sets: number;
  /** Associativity (ways per set). */
  readonly ways: number;

  private readonly code: PolicyCode;
  /**
   * LRU: last-use stamp of each way (`set * ways + way`); fifo-fill: last-fill stamp.
   * 0 = never used (filled).
   */
  private readonly stamps: Float64Array;
  /** LRU and fifo-fill: the stamp clock, in a typed array so that ticking it never boxes a number. */
  private readonly clock: Float64Array;
  /** PLRU: `ways - 1` tree bits per set in heap order; 0 = victim is on the left. */
  private readonly treeBits: Uint8Array;
  /** FIFO: the way each set replaces next. */
  private readonly nextWay: Int32Array;
  /** Random: the mulberry32 state. */
  private readonly rng: Uint32Array;

  /**
   * Creates the state of an empty array (no way used yet; FIFO pointers at way 0).
   *
   * @param policy - the replacement policy.
   * @param sets - number of sets, a positive integer.
   * @param ways - ways per set, a positive integer (a power of two for `'plru'`).
   * @param seed - PRNG seed for `'random'`, an integer taken modulo 2^32; default 1.
   * @throws RangeError if `policy` is unknown, `sets`/`ways` are not positive
   *   integers, `'plru'` is asked for a non-power-of-two `ways`, or `seed` is not an integer. (Configurations
   *   reach this class already validated by {@link validateTlbConfig}.)
   */
  constructor(policy: ReplacementPolicy, sets: number, ways: number, seed: number = DEFAULT_REPLACEMENT_SEED) {
    if (!Object.prototype.hasOwnProperty.call(POLICY_CODE, policy)) {
      throw new RangeError(`unknown replacement policy ${JSON.stringify(policy)}`);
    }
    if (!Number.isInteger(sets) || sets < 1 || !Number.isInteger(ways) || ways < 1) {
      throw new RangeError(`sets and ways must be positive integers (got ${sets}, ${ways})`);
    }
    if (policy === 'plru' && (ways & (ways - 1)) !== 0) {
      throw new RangeError(`tree-PLRU needs a power-of-two number of ways (got ${ways})`);
    }
    if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer (got ${String(seed)})`);
    this.policy = policy;
    this.sets = sets;
    this.ways = ways;
    this.code = POLICY_CODE[policy];
    this.stamps = new Float64Array(policy === 'lru' || policy === 'fifo-fill' ? sets * ways : 0);
    this.clock = new Float64Array(1);
    this.treeBits = new Uint8Array(policy === 'plru' ? sets * (ways - 1) : 0);
    this.nextWay = new Int32Array(policy === 'fifo' ? sets : 0);
    this.rng = new Uint32Array(1);
    this.rng[0] = seed >>> 0;
  }

  /**
   * The LRU stamps (one per way, `set * ways + way`) for a caller that updates
   * them inline on its hot path, or null when the policy is not LRU. A hit must
   * then store `++lruClock()[0]` at its way, exactly as {@link ReplacementState.touch} does.
   */
  lruStamps(): Float64Array | null {
    return this.code === POLICY_CODE.lru ? this.stamps : null;
  }

  /** The LRU use clock (a one-element array), shared with {@link ReplacementState.lruStamps}. */
  lruClock(): Float64Array {
    return this.clock;
  }

  /**
   * Records a hit on `way` of `set`: LRU stamps it, PLRU points the tree away
   * from it; both FIFOs and random ignore hits. Allocation-free (hot path). The
   * {@link Tlb} also calls it for an insert that updates an entry in place.
   *
   * @param set - set index, `0 .. sets-1`.
   * @param way - way index, `0 .. ways-1`.
   * @throws RangeError if `set` or `way` is out of range (nothing changes).
   */
  touch(set: number, way: number): void {
    this.checkWay(set, way);
    this.touchAt(set, way);
  }

  /**
   * {@link ReplacementState.touch} without the range check, for the owning
   * {@link Tlb}, whose set and way come from its own geometry (the miss path
   * calls it on every fill).
   * @internal
   */
  touchAt(set: number, way: number): void {
    if (this.code === POLICY_CODE.lru) {
      this.stamps[set * this.ways + way] = ++this.clock[0];
    } else if (this.code === POLICY_CODE.plru) {
      this.walkTree(set, way);
    }
  }

  /**
   * Records that `way` of `set` was just written with a new entry. LRU and
   * PLRU treat it as a use; FIFO moves its pointer past the way if the pointer
   * named it (so fresh sets fill in order and the pointer wraps to way 0);
   * fifo-fill stamps the way as the newest fill.
   *
   * @param set - set index, `0 .. sets-1`.
   * @param way - way index, `0 .. ways-1`.
   * @throws RangeError if `set` or `way` is out of range (nothing changes).
   */
  fill(set: number, way: number): void {
    this.checkWay(set, way);
    this.fillAt(set, way);
  }

  /** {@link ReplacementState.fill} without the range check, for the owning {@link Tlb}. @internal */
  fillAt(set: number, way: number): void {
    if (this.code === POLICY_CODE.fifo) {
      if (this.nextWay[set] === way) this.nextWay[set] = way + 1 === this.ways ? 0 : way + 1;
    } else if (this.code === POLICY_CODE['fifo-fill']) {
      this.stamps[set * this.ways + way] = ++this.clock[0];
    } else {
      this.touchAt(set, way);
    }
  }

  /**
   * The way the policy would replace in a full `set`. Pure for LRU, PLRU and
   * both FIFOs; advances the PRNG for random.
   *
   * @param set - set index, `0 .. sets-1`.
   * @returns a way index in `0 .. ways-1`.
   * @throws RangeError if `set` is out of range.
   */
  victim(set: number): number {
    this.checkWay(set, 0);
    return this.victimAt(set);
  }

  /** {@link ReplacementState.victim} without the range check, for the owning {@link Tlb}. @internal */
  victimAt(set: number): number {
    switch (this.code) {
      case POLICY_CODE.lru:
      case POLICY_CODE['fifo-fill']:
        return this.oldestStamp(set);
      case POLICY_CODE.plru:
        return this.walkTree(set, -1);
      case POLICY_CODE.fifo:
        return this.nextWay[set];
      default:
        return this.nextRandom() % this.ways;
    }
  }

  /** Throws unless `set` and `way` index this state (a wrong index would update another set's state). */
  private checkWay(set: number, way: number): void {
    if (!(set >= 0 && set < this.sets && way >= 0 && way < this.ways && Number.isInteger(set) && Number.isInteger(way))) {
      throw new RangeError(`set ${String(set)} / way ${String(way)} is outside ${this.sets} sets of ${this.ways} ways`);
    }
  }

  /** The way of `set` with the smallest stamp (LRU: least recently used; fifo-fill: oldest fill), the lowest on a tie. */
  private oldestStamp(set: number): number {
    const first = set * this.ways;
    let best = 0;
    let bestStamp = this.stamps[first];
    for (let w = 1; w < this.ways; w++) {
      const stamp = this.stamps[first + w];
      if (stamp < bestStamp) {
        bestStamp = stamp;
        best = w;
      }
    }
    return best;
  }

  /**
   * Walks the tree of `set` from the root to a leaf and returns that leaf's way.
   * With `towards` >= 0 it walks towards that way, setting each node on the
   * path to point at the other half (1 = the victim is on the right, 0 = on the
   * left); with -1 it follows the bits as they are, to the victim.
   */
  private walkTree(set: number, towards: number): number {
    const base = set * (this.ways - 1);
    let node = 0;
    let low = 0;
    let span = this.ways;
    while (span > 1) {
      span >>>= 1;
      const goRight = towards < 0 ? this.treeBits[base + node] === 1 : towards >= low + span;
      if (towards >= 0) this.treeBits[base + node] = goRight ? 0 : 1;
      if (goRight) low += span;
      node = 2 * node + (goRight ? 2 : 1);
    }
    return low;
  }

  /** mulberry32: a 32-bit state, full period, accepts any seed including 0. */
  private nextRandom(): number {
    const state = (this.rng[0] + 0x6d2b79f5) >>> 0;
    this.rng[0] = state;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
}
