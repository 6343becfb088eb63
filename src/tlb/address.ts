/**
 * Page arithmetic on virtual and physical addresses held as plain numbers.
 *
 * Off the hot path: the TLB precomputes per-shift constants for its lookups and
 * uses these helpers only where a shift is not known in advance.
 */

/**
 * The start of the `2^shift`-byte page that contains `address`.
 *
 * Exact for every integer address below 2^57 that a JS number can hold:
 * for shifts up to 30 it subtracts the low bits (`&` sees the low 32 bits of
 * any integer exactly); above that, multiplying by `2^-shift` is exact.
 *
 * @param address - a non-negative integer address.
 * @param shift - the page shift, an integer in [0, 56].
 * @returns `address - (address mod 2^shift)`.
 *
 * @example
 * ```ts
 * alignDown(0x4020_1234, 21); // 0x4020_0000
 * ```
 */
export function alignDown(address: number, shift: number): number {
  if (shift <= 30) return address - (address & ((1 << shift) - 1));
  const size = 2 ** shift;
  return Math.floor(address / size) * size;
}
