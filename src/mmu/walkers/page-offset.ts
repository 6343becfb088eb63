/**
 * The offset of an address inside a page of 2^shift bytes, without a float modulo: `%` on numbers the
 * engine cannot prove are small integers costs tens of nanoseconds, and a two-stage walk takes a dozen
 * offsets (every page-table entry's guest-physical address through its G-stage page). Addresses are
 * integers below 2^59, so the low 32 bits come from a bitwise AND and the rest from an exact power-of-two
 * scale.
 * @module
 */

/** 2^shift for every shift (a variable power `2 ** shift` is a call). */
const PAGE_SIZE_OF_SHIFT: Float64Array = Float64Array.from({ length: 64 }, (_, shift) => 2 ** shift);
const INVERSE_OF_SHIFT = Float64Array.from({ length: 64 }, (_, shift) => 2 ** -shift);

/** @internal `address % 2 ** shift` for an integer address in [0, 2^53) and a shift in [0, 63]. */
export function pageOffset(address: number, shift: number): number {
  // A mask of up to 30 bits is a positive 32-bit integer: ToInt32 keeps the low 32 bits of any such address exactly.
  return shift <= 30 ? address & (PAGE_SIZE_OF_SHIFT[shift] - 1) : address - Math.floor(address * INVERSE_OF_SHIFT[shift]) * PAGE_SIZE_OF_SHIFT[shift];
}
