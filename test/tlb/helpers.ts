import { Tlb } from '../../src/tlb/index.js';
import type { ReplacementPolicy } from '../../src/tlb/index.js';

export const KiB4 = 0x1000;
export const MiB2 = 0x20_0000;
export const GiB1 = 0x4000_0000;

/** A one-array level holding 4 KiB pages. */
export function tlbOf(entries: number, ways: number, replacement: ReplacementPolicy = 'lru', seed?: number): Tlb {
  return new Tlb({ name: `t${entries}x${ways}`, arrays: [{ entries, ways, pageShifts: [12], replacement, seed }] });
}

/** Virtual address of 4 KiB page number `n`. */
export const page = (n: number): number => n * KiB4;

/** Looks `va` up and, on a miss, inserts an identity-mapped 4 KiB page; returns whether it hit. */
export function touch(tlb: Tlb, va: number, asid = 0): boolean {
  if (tlb.lookup(va, asid) >= 0) return true;
  tlb.insert(va, asid, 12, va - (va % KiB4), 0);
  return false;
}

/** Physical address the TLB gives for `va`, or -1 on a miss (peek: no side effects). */
export function translate(tlb: Tlb, va: number, asid: number): number {
  const e = tlb.peek(va, asid);
  return e < 0 ? -1 : tlb.pageBase[e] + (va - tlb.tag[e]);
}
