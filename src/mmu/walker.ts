import type { Access, TranslatedPrivilege } from './access.js';
import type { PageTableFormat } from './formats/format.js';
import type { WalkResult } from './walk-result.js';

/**
 * A hardware page-table walker for one format: reads entries from physical
 * memory in the manual's order, checks them, sets Accessed/Dirty, and reports a
 * translation or the reason for a fault. One walker serves one MMU.
 */
export interface PageWalker {
  /** The page-table format this walker understands. */
  readonly format: PageTableFormat;

  /**
   * Translates `va` for an access. Never throws for guest-controlled data: bad
   * entries, unmapped table memory and permission failures are reported in
   * `out` (`ok` false, `faultReason` set). Writes A/D bits back to memory only
   * when the access is allowed.
   *
   * @param va - virtual address, an integer below 2^vaBits (the canonical sign extension is implied).
   * @param access - read, write or execute.
   * @param privilege - supervisor or user.
   * @param root - physical address of the root table (x86 CR3 with flags masked; RISC-V satp.PPN × 4096).
   * @param asid - address-space identifier used to tag walk-cache entries.
   * @param out - receives the outcome; reset by the walker first.
   */
  walk(va: number, access: Access, privilege: TranslatedPrivilege, root: number, asid: number, out: WalkResult): void;

  /**
   * Drops walk-cache entries: for one address (`va` not null) or all, of one
   * ASID (`asid` not null) or all. A no-op without walk caches.
   */
  invalidateWalkCache(va: number | null, asid: number | null): void;
}
