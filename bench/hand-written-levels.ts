/**
 * Hand-written set-associative LRU TLB levels for the benchmarks' baselines: what an emulator
 * author would write for the same model without mmukit, as parallel typed arrays probed inline.
 * The L2-hit and miss rows compare mmukit with two of these levels (the Skylake DTLB's 4 KiB
 * array and its STLB) doing the same work as the MMU's model: probe, LRU stamp, refill with the
 * least recently used way as victim. They hold 4 KiB pages of one ASID only: the floor of that
 * work, not a second implementation of mmukit.
 */

/** One level: `sets` × `ways` entries; entry `e` of set `s` is at `s * ways + way`. */
export interface HandLevel {
  readonly tag: Float64Array;
  readonly frame: Float64Array;
  readonly stamp: Float64Array;
  readonly setMask: number;
  readonly ways: number;
}

/** An empty level (every tag -1). `sets` must be a power of two. */
export function handLevel(sets: number, ways: number): HandLevel {
  const size = sets * ways;
  return { tag: new Float64Array(size).fill(-1), frame: new Float64Array(size), stamp: new Float64Array(size), setMask: sets - 1, ways };
}

/** The first entry of `pageVa`'s set. */
export function setOf(level: HandLevel, pageVa: number): number {
  return ((pageVa >>> 12) & level.setMask) * level.ways;
}

/** The entry holding `pageVa` (its LRU stamp refreshed from `clock`), or -1. */
export function probe(level: HandLevel, pageVa: number, clock: Float64Array): number {
  const first = setOf(level, pageVa);
  const end = first + level.ways;
  const tag = level.tag;
  for (let e = first; e < end; e++) {
    if (tag[e] === pageVa) {
      level.stamp[e] = ++clock[0];
      return e;
    }
  }
  return -1;
}

/** Puts `pageVa` → `frame` in its set's first free way, or over its least recently used one. */
export function refill(level: HandLevel, pageVa: number, frame: number, clock: Float64Array): void {
  const first = setOf(level, pageVa);
  const end = first + level.ways;
  const tag = level.tag;
  const stamp = level.stamp;
  let victim = first;
  for (let e = first; e < end; e++) {
    if (tag[e] === -1) {
      victim = e;
      break;
    }
    if (stamp[e] < stamp[victim]) victim = e;
  }
  tag[victim] = pageVa;
  level.frame[victim] = frame;
  stamp[victim] = ++clock[0];
}
