import { FaultReason } from './fault-reason.js';

/**
 * Which page-table access of a walk reached no memory: `'read'`, an entry
 * read; `'write'`, an Accessed/Dirty write-back. See
 * {@link WalkResult.pageTableAccess} and {@link TranslationFault.pageTableAccess}.
 */
export type PageTableAccess = 'read' | 'write';

/**
 * The outcome of one page walk, written by a walker into a caller-owned object
 * so a TLB miss allocates nothing. Fields not relevant to the outcome keep
 * stale values: read `ok` first. See {@link createWalker} for an example.
 */
export class WalkResult {
  /** True when the walk produced a translation that allows the access. */
  ok = false;
  /** Physical address of the page's first byte (aligned to its size). The access's physical address is `pageBase + va % 2 ** pageShift`. */
  pageBase = 0;
  /** log2 of the page size: 12 (4 KiB), 16 (64 KiB Svnapot), 21 (2 MiB), 22 (4 MiB), 30 (1 GiB), 39, 48. */
  pageShift = 12;
  /** Permission class bits ({@link Perm}) of the translation. */
  perm = 0;
  /** The translation is global (x86 G with CR4.PGE; RISC-V G): it matches every ASID. */
  global = false;
  /**
   * Memory-type bits carried through for the emulator: x86 bit 0 PWT, bit 1 PCD,
   * bit 2 PAT (of the leaf); RISC-V PBMT in bits 0–1.
   */
  memoryType = 0;
  /** When `ok` is false: why. */
  faultReason: FaultReason = FaultReason.None;
  /** Index (0 = root) of the level whose entry caused the fault, or the leaf level on success (x86-64: 3 for a 4 KiB page, 2 for 2 MiB). */
  level = 0;
  /** Physical address (bytes) of the last entry read or written (the leaf on success); 0 for a non-canonical address. */
  entryAddress = 0;
  /** Page-table entries read from memory during this walk. */
  pteReads = 0;
  /** Page-table entries written back (A/D updates) during this walk. */
  pteWrites = 0;
  /** Levels skipped thanks to a walk-cache hit (0 or 1 hit per walk). */
  walkCacheHits = 0;
  /**
   * For a `BusError`: the page-table access that reached no memory (the entry
   * at `entryAddress`, of `level`); null when the walk read every entry it
   * needed (a RISC-V leaf mapping a page beyond 2^53) and on every other outcome.
   */
  pageTableAccess: PageTableAccess | null = null;

  /** Clears the per-walk counters and outcome before a walk. */
  reset(): void {
    this.ok = false;
    this.faultReason = FaultReason.None;
    this.global = false;
    this.memoryType = 0;
    this.perm = 0;
    this.level = 0;
    this.pteReads = 0;
    this.pteWrites = 0;
    this.walkCacheHits = 0;
    this.pageTableAccess = null;
  }
}
