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

/**
 * The set of `va`'s `2^shift`-byte page in an array of `sets` sets, computed from the
 * documented formulas with BigInt (independently of the library): `'modulo'` is
 * `vpn mod sets`; `'xor'` XORs the `ceil(log2(sets))`-bit pieces of `vpn`, then takes it mod sets.
 */
export function referenceSet(va: number, shift: number, sets: number, index: 'modulo' | 'xor' = 'modulo'): number {
  const vpn = BigInt(va) >> BigInt(shift);
  if (index === 'modulo') return Number(vpn % BigInt(sets));
  let width = 0n;
  while (1n << width < BigInt(sets)) width++;
  if (width === 0n) return 0;
  let folded = 0n;
  for (let rest = vpn; rest > 0n; rest >>= width) folded ^= rest & ((1n << width) - 1n);
  return Number(folded % BigInt(sets));
}
