/**
 * Why a translation failed. The architecture's own code (x86 `#PF` error code,
 * RISC-V `scause`) is derived from this plus the access kind; see
 * {@link TranslationFault}.
 */
export const FaultReason = {
  /** No fault. */
  None: 0,
  /** An entry on the walk had its present / valid bit clear. */
  NotPresent: 1,
  /** The translation exists but does not allow this access at this privilege. */
  Protection: 2,
  /** A reserved bit was set in an entry (x86 RSVD; RISC-V reserved bits). */
  ReservedBit: 3,
  /** A RISC-V reserved encoding: W = 1 with R = 0, a pointer PTE at the last level, or a reserved NAPOT encoding. */
  ReservedEncoding: 4,
  /** A RISC-V superpage whose lower PPN fields are not zero. */
  MisalignedSuperpage: 5,
  /** RISC-V Svade: A clear, or D clear on a store. */
  AccessedDirty: 6,
  /** The virtual address is outside the format's address space (x86: not canonical, `#GP`). */
  NonCanonical: 7,
  /** A page-table read or a data access reached no device (RISC-V access fault). */
  BusError: 8,
  /** RISC-V Physical Memory Protection denied a data or page-table access (an access fault, privileged spec §3.7). */
  PmpViolation: 9,
} as const;

/** One of the {@link FaultReason} values. */
export type FaultReason = (typeof FaultReason)[keyof typeof FaultReason];

/**
 * Name of a {@link FaultReason}, for messages and reports: `'NotPresent'`,
 * `'Protection'`, …; `'unknown(n)'` for a value that is none of them.
 *
 * @example
 * ```ts
 * faultReasonName(FaultReason.ReservedBit); // 'ReservedBit'
 * ```
 */
export function faultReasonName(reason: FaultReason): string {
  for (const [name, value] of Object.entries(FaultReason)) if (value === reason) return name;
  return `unknown(${reason})`;
}
