/**
 * The one error the TLB module throws for a bad configuration.
 *
 * `src/tlb` imports nothing from the rest of mmukit, so it has its own error
 * class rather than extending the hardware half's error hierarchy.
 */

/**
 * Thrown when a {@link TlbConfig} or {@link TlbHierarchyConfig} is invalid:
 * a count that is not a positive integer, ways that do not divide entries,
 * tree-PLRU on a non-power-of-two associativity, an unknown replacement
 * policy or set-index function, an empty or repeated page-shift list, a page
 * shift held by two arrays of one level, or an L1 without 4 KiB pages in a hierarchy.
 *
 * The message names the TLB and the offending field, e.g.
 * `TLB "l1d": arrays[0].ways must divide entries (64 % 5 !== 0)`.
 *
 * @example
 * ```ts
 * try { new Tlb({ name: 'bad', arrays: [{ entries: 48, ways: 10, pageShifts: [12] }] }); }
 * catch (e) { if (e instanceof TlbConfigError) console.log(e.message); }
 * ```
 */
export class TlbConfigError extends Error {
  /**
   * Creates the error.
   *
   * @param message - what was wrong with which field.
   */
  constructor(message: string) {
    super(message);
    this.name = 'TlbConfigError';
  }
}
