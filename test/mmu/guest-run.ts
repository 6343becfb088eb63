/**
 * What the RISC-V and x86 virtualisation tests both ask of an Mmu running a guest: the cost of a
 * cold miss and of a neighbouring page's, and a short run whose observable outcome two machines
 * (a saved one and the one it was loaded into) must share.
 */
import type { Mmu } from '../../src/index.js';

/**
 * Reads `first`, then `neighbour`: the entries read and cache hits of the first (cold) walk, and
 * those the second added, with the cycles it added.
 */
export function missCosts(mmu: Mmu, first: number, neighbour: number) {
  mmu.read32(first);
  const cold = mmu.stats();
  mmu.read32(neighbour);
  const next = mmu.stats();
  return {
    cold: [cold.pteReads, cold.walkCacheHits],
    neighbour: [next.pteReads - cold.pteReads, next.walkCacheHits - cold.walkCacheHits],
    neighbourCycles: next.cycles - cold.cycles,
    /** What the cycle model should have charged the neighbour's miss: an L2 lookup and the walk's reads, writes and cache hits. */
    neighbourModelCycles:
      mmu.cycleModel.l2Hit +
      (next.pteReads - cold.pteReads) * mmu.cycleModel.pteRead +
      (next.pteWrites - cold.pteWrites) * mmu.cycleModel.pteWrite +
      (next.walkCacheHits - cold.walkCacheHits) * mmu.cycleModel.walkCacheHit,
  };
}

/** Writes `value` at `written`, reads `read` and `written` back, leaves the guest: the values, then the walk counters and cycles. */
export function runThenLeave(mmu: Mmu, written: number, value: number, read: number): number[] {
  mmu.write32(written, value);
  const values = [mmu.read32(read), mmu.read32(written)];
  mmu.setVirtualized(false);
  const s = mmu.stats();
  return [...values, s.walks, s.pteReads, s.walkCacheHits, mmu.cycles];
}
