/**
 * Set-index functions: how a set-associative TLB array chooses the set of a page.
 *
 * Every place a {@link Tlb} computes a set (lookup, peek, insert, invalidatePage) goes
 * through {@link pageSet} here, except the hit path of a power-of-two `'modulo'` array,
 * which computes the same value with a shift and a mask (`(va >>> shift) & (sets - 1)`).
 */

/**
 * How an array maps a page to one of its `sets` sets. Both functions work on the page
 * number `vpn = floor(va / 2^pageShift)` of the array's page size (for an array holding
 * several sizes, each size's own page number):
 *
 * - `'modulo'` (the default): `set = vpn mod sets`. For a power-of-two `sets` that is the
 *   low `log2(sets)` bits of the page number, the index of a conventional set-associative
 *   array; for any other count (a 1536-entry 8-way array has 192 sets) it is the remainder.
 * - `'xor'`: a folded hash. Let `w = ceil(log2(sets))` (0 for one set). Cut `vpn` into
 *   `w`-bit pieces from bit 0 upwards, `vpn = p0 + p1·2^w + p2·2^2w + …`, XOR all the
 *   pieces together, `h = p0 ^ p1 ^ p2 ^ …` (so `h < 2^w`), and take
 *   `set = h mod sets` (for a power-of-two `sets`, `set = h`). Pages a multiple of `sets`
 *   pages apart, which all share one set under `'modulo'` on a power-of-two array, are
 *   spread over the sets; other page pairs collide instead.
 *
 * `'xor'` is a generic model of a hashed index, not a reproduction of a particular core's hash:
 * vendors that hash their TLB index do not publish the function.
 *
 * @example
 * ```ts
 * // 16 sets (w = 4), 4 KiB pages: page 0x13 (pieces 0x3, 0x1) goes to set 0x3 ^ 0x1 = 2.
 * setIndexOf(0x13_000, 12, 16, 'xor');    // 2
 * setIndexOf(0x13_000, 12, 16, 'modulo'); // 3
 * // 192 sets (a 1536-entry 8-way array), w = 8: page 0x1c8 = 456 has pieces 0xc8, 0x1;
 * // 0xc8 ^ 0x1 = 201, and 201 mod 192 = 9.
 * setIndexOf(0x1c8_000, 12, 192, 'xor');    // 9
 * setIndexOf(0x1c8_000, 12, 192, 'modulo'); // 72: 456 mod 192
 * ```
 */
export type SetIndexFunction = 'modulo' | 'xor';

/** Every {@link SetIndexFunction}, default first (for validation and UIs). */
export const SET_INDEX_FUNCTIONS: readonly SetIndexFunction[] = Object.freeze(['modulo', 'xor'] as const);

/** Largest set count {@link setIndexOf} accepts: one array's entry limit, 2^20. */
const MAX_SETS = 1 << 20;

/**
 * The set that the `2^pageShift`-byte page holding `va` maps to in an array of `sets`
 * sets, by the set-index function `index` (see {@link SetIndexFunction} for the formulas).
 * It is the value a {@link Tlb} computes, and the set {@link TlbEntryInfo.set} reports
 * for the entry of that page.
 *
 * @param va - a virtual address, an integer in [0, 2^57).
 * @param pageShift - the page shift, an integer in [0, 56].
 * @param sets - the array's number of sets, an integer in [1, 2^20].
 * @param index - the set-index function; default `'modulo'`.
 * @returns the set index, an integer in [0, sets).
 * @throws RangeError when an argument is outside the range above or `index` is not a {@link SetIndexFunction}.
 *
 * @example
 * ```ts
 * setIndexOf(0x7f12_3000, 12, 192);        // 163: page 0x7f123 = 520483, and 520483 mod 192 = 163
 * setIndexOf(0x7f12_3000, 12, 128);        // 0x23: the low 7 bits of the page number
 * ```
 */
export function setIndexOf(va: number, pageShift: number, sets: number, index: SetIndexFunction = 'modulo'): number {
  if (!(typeof va === 'number' && Number.isInteger(va) && va >= 0 && va < 2 ** 57)) {
    throw new RangeError(`virtual address ${String(va)} is not an integer in [0, 2^57)`);
  }
  if (!(Number.isInteger(pageShift) && pageShift >= 0 && pageShift <= 56)) {
    throw new RangeError(`page shift ${String(pageShift)} is not an integer in [0, 56]`);
  }
  if (!(Number.isInteger(sets) && sets >= 1 && sets <= MAX_SETS)) {
    throw new RangeError(`sets ${String(sets)} is not an integer in [1, ${MAX_SETS}]`);
  }
  if (!SET_INDEX_FUNCTIONS.includes(index)) {
    throw new RangeError(`set index function must be one of ${SET_INDEX_FUNCTIONS.join(', ')} (got ${JSON.stringify(index)})`);
  }
  const vpn = Math.floor(va * 2 ** -pageShift);
  return pageSet(vpn, sets, 1 / sets, index === 'xor' ? setIndexBits(sets) : 0);
}

/**
 * `ceil(log2(sets))`: the width of the pieces `'xor'` folds the page number into.
 * @internal
 */
export function setIndexBits(sets: number): number {
  let bits = 0;
  while (2 ** bits < sets) bits++;
  return bits;
}

/**
 * The set of page number `vpn` (an integer below 2^53): `vpn mod sets` when `foldBits` is 0,
 * else the `'xor'` fold of `vpn` in `foldBits`-bit pieces, modulo `sets`. `inverseSets` is
 * `1 / sets`, so that the remainder costs a multiplication, not a division.
 * @internal
 */
export function pageSet(vpn: number, sets: number, inverseSets: number, foldBits: number): number {
  if (foldBits === 0) return remainder(vpn, sets, inverseSets);
  const folded = xorFold(vpn, foldBits);
  return folded < sets ? folded : folded - sets; // folded < 2^foldBits < 2 * sets
}

/**
 * `n mod d` for integers `0 <= n < 2^53`, `1 <= d <= 2^20`, without a division: the
 * quotient estimate `floor(n * (1/d))` is off by at most one either way (the product's
 * relative error is about 2^-52), and the remainder is corrected back into [0, d).
 */
function remainder(n: number, d: number, inverse: number): number {
  const r = n - Math.floor(n * inverse) * d;
  return r < 0 ? r + d : r >= d ? r - d : r;
}

/**
 * XOR of the `bits`-bit pieces of `n` (an integer below 2^53; `bits` in [1, 20]), with `n`
 * held as two 32-bit halves so that every shift is a 32-bit one.
 */
function xorFold(n: number, bits: number): number {
  let lo = n >>> 0;
  let hi = (n - lo) * 2 ** -32;
  const mask = (1 << bits) - 1;
  let folded = 0;
  while (lo !== 0 || hi !== 0) {
    folded ^= lo & mask;
    lo = ((lo >>> bits) | (hi << (32 - bits))) >>> 0;
    hi >>>= bits;
  }
  return folded;
}
