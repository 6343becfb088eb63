import { describe, expect, it } from 'vitest';
import { REPLACEMENT_POLICIES, ReplacementState } from '../../src/tlb/index.js';
import { page, tlbOf, touch } from './helpers.js';

describe('LRU', () => {
  const N = 8;

  it('misses on every access of a cyclic walk over N+1 pages in an N-entry fully associative TLB', () => {
    const tlb = tlbOf(N, N, 'lru');
    let hits = 0;
    for (let round = 0; round < 10; round++) {
      for (let p = 0; p <= N; p++) if (touch(tlb, page(p))) hits++;
    }
    expect(hits).toBe(0);
    expect(tlb.stats.snapshot()).toMatchObject({ hits: 0, misses: 10 * (N + 1), evictions: 10 * (N + 1) - N });
  });

  it('hits on every access after the first round of a cyclic walk over N pages', () => {
    const tlb = tlbOf(N, N, 'lru');
    const hitsPerRound: number[] = [];
    for (let round = 0; round < 10; round++) {
      let hits = 0;
      for (let p = 0; p < N; p++) if (touch(tlb, page(p))) hits++;
      hitsPerRound.push(hits);
    }
    expect(hitsPerRound).toEqual([0, N, N, N, N, N, N, N, N, N]);
    expect(tlb.stats.evictions).toBe(0);
  });

  it('evicts the least recently used way', () => {
    const tlb = tlbOf(4, 4, 'lru');
    for (const p of [1, 2, 3, 4]) touch(tlb, page(p)); // A B C D in ways 0..3
    touch(tlb, page(1)); // use A: B is now least recent
    expect(tlb.insert(page(5), 0, 12, 0, 0)).toBe(1);
    expect(tlb.peek(page(2), 0)).toBe(-1);
  });
});

describe('tree-PLRU, 4 ways', () => {
  // Tree bits: b0 (root) chooses between ways {0,1} and {2,3}; b1 chooses 0/1; b2 chooses 2/3.
  // A bit of 0 means "the victim is on the left", 1 "on the right". A use of a way
  // sets every bit on its path to point away from it.
  //   fill A (way 0): b0=1 b1=1        fill B (way 1): b0=1 b1=0
  //   fill C (way 2): b0=0 b2=1        fill D (way 3): b0=0 b2=0
  //   hit A (way 0):  b0=1 b1=1        hit C (way 2):  b0=0 b2=1
  // Victim: b0=0 -> left pair, b1=1 -> right of it: way 1, B.
  it('picks B after fill A B C D, hit A, hit C', () => {
    const tlb = tlbOf(4, 4, 'plru');
    for (const p of [1, 2, 3, 4]) tlb.insert(page(p), 0, 12, 0, 0);
    expect(tlb.lookup(page(1), 0)).toBe(0);
    expect(tlb.lookup(page(3), 0)).toBe(2);
    expect(tlb.insert(page(5), 0, 12, 0, 0)).toBe(1);
    expect([1, 2, 3, 4, 5].map((p) => tlb.peek(page(p), 0) >= 0)).toEqual([true, false, true, true, true]);
  });

  // Fill A B C D leaves b0=0 b1=0 b2=0. Hit C (way 2): b0=0 b2=1. Hit A (way 0): b0=1 b1=1.
  // PLRU victim: b0=1 -> right pair, b2=1 -> way 3, D. True LRU order is B, D, C, A: it evicts B.
  it('differs from true LRU after fill A B C D, hit C, hit A', () => {
    const victims = (['plru', 'lru'] as const).map((policy) => {
      const tlb = tlbOf(4, 4, policy);
      for (const p of [1, 2, 3, 4]) tlb.insert(page(p), 0, 12, 0, 0);
      tlb.lookup(page(3), 0);
      tlb.lookup(page(1), 0);
      return tlb.insert(page(5), 0, 12, 0, 0);
    });
    expect(victims).toEqual([3, 1]);
  });

  it('follows the tree on 8 ways after a sequential fill', () => {
    const r = new ReplacementState('plru', 1, 8);
    for (let w = 0; w < 8; w++) r.fill(0, w);
    // After filling 0..7 every node points left again: the victim is way 0.
    expect(r.victim(0)).toBe(0);
    r.touch(0, 0);
    // Root now points right (4..7), node for 4..7 points left (4..5), node for 4/5 points left: way 4.
    expect(r.victim(0)).toBe(4);
  });
});

describe('FIFO', () => {
  it('does not protect an entry that was hit', () => {
    const tlb = tlbOf(4, 4, 'fifo');
    for (const p of [1, 2, 3, 4]) tlb.insert(page(p), 0, 12, 0, 0);
    expect(tlb.lookup(page(1), 0)).toBe(0); // hit A
    expect(tlb.insert(page(5), 0, 12, 0, 0)).toBe(0); // E replaces A anyway
    expect(tlb.peek(page(1), 0)).toBe(-1);
    expect(tlb.insert(page(6), 0, 12, 0, 0)).toBe(1); // then B
    expect(tlb.peek(page(2), 0)).toBe(-1);
  });
});

describe('random', () => {
  function victimSequence(seed: number): number[] {
    const tlb = tlbOf(8, 8, 'random', seed);
    return Array.from({ length: 64 }, (_, i) => tlb.insert(page(i), 0, 12, 0, 0));
  }

  it('fills invalid ways first, then picks in-range victims deterministically per seed', () => {
    const a = victimSequence(1);
    expect(a.slice(0, 8)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(a.every((w) => Number.isInteger(w) && w >= 0 && w < 8)).toBe(true);
    expect(new Set(a.slice(8)).size).toBeGreaterThan(4); // not stuck on one way
    expect(victimSequence(1)).toEqual(a);
    expect(victimSequence(2).slice(8)).not.toEqual(a.slice(8));
  });

  it('defaults to seed 1 and accepts seed 0', () => {
    const unseeded = tlbOf(8, 8, 'random');
    const seq = Array.from({ length: 64 }, (_, i) => unseeded.insert(page(i), 0, 12, 0, 0));
    expect(seq).toEqual(victimSequence(1));
    expect(victimSequence(0).slice(8).every((w) => w >= 0 && w < 8)).toBe(true);
  });
});

describe('every policy', () => {
  it.each(REPLACEMENT_POLICIES)('%s: fills the invalidated way next, without an eviction', (policy) => {
    const tlb = tlbOf(4, 4, policy);
    for (const p of [1, 2, 3, 4]) tlb.insert(page(p), 0, 12, 0, 0);
    tlb.lookup(page(2), 0);
    tlb.invalidatePage(page(3), 0, false); // way 2
    expect(tlb.insert(page(9), 0, 12, 0, 0)).toBe(2);
    expect(tlb.stats.evictions).toBe(0);
    expect(tlb.insert(page(10), 0, 12, 0, 0)).toBeGreaterThanOrEqual(0);
    expect(tlb.stats.evictions).toBe(1);
  });

  it.each(REPLACEMENT_POLICIES)('%s: fills invalid ways lowest index first', (policy) => {
    const tlb = tlbOf(8, 8, policy);
    tlb.insert(page(1), 0, 12, 0, 0);
    tlb.insert(page(2), 0, 12, 0, 0);
    tlb.insert(page(3), 0, 12, 0, 0);
    tlb.invalidatePage(page(2), 0, false);
    tlb.invalidatePage(page(1), 0, false);
    expect([4, 5, 6].map((p) => tlb.insert(page(p), 0, 12, 0, 0))).toEqual([0, 1, 3]);
  });
});
