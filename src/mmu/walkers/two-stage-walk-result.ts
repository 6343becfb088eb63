/**
 * The outcome of one RISC-V two-stage (V=1) translation, and the codes a
 * hypervisor trap needs from it: which stage faulted, `scause`, `htval` and
 * the `htinst` pseudoinstruction (Privileged Architecture, "H" Extension,
 * "Two-Stage Address Translation", "Guest-Page Faults", "Transformed
 * Instruction or Pseudoinstruction for mtinst or htinst").
 */

import { FaultReason } from '../fault-reason.js';
import type { PageTableAccess } from '../walk-result.js';

/** Which stage of a two-stage translation a fault belongs to ({@link TwoStageWalkResult.faultStage}). */
export const TranslationStage = {
  /** No fault. */
  None: 0,
  /** VS-stage (guest virtual → guest physical, `vsatp`): page faults 12/13/15. */
  VS: 1,
  /** G-stage (guest physical → supervisor physical, `hgatp`): guest-page faults 20/21/23. */
  G: 2,
} as const;

/** One of the {@link TranslationStage} values. */
export type TranslationStage = (typeof TranslationStage)[keyof typeof TranslationStage];

/**
 * The exception codes the H extension adds for G-stage faults (table "Machine and supervisor
 * cause register values when the hypervisor extension is implemented"). The VS-stage's own page
 * faults keep the usual codes ({@link RiscvCause}).
 */
export const GuestPageFaultCause = {
  /** Instruction guest-page fault. */
  Instruction: 20,
  /** Load guest-page fault (also HLV and HLVX). */
  Load: 21,
  /** Store/AMO guest-page fault (also HSV). */
  Store: 23,
} as const;

/**
 * The special pseudoinstructions `htinst`/`mtinst` must hold (zero is not allowed) when a
 * guest-page fault hits an implicit access of the VS-stage walk and `htval` is nonzero
 * (table "Special pseudoinstruction values for guest-page faults"). The width is VSXLEN's:
 * 32-bit for an Sv32 VS-stage, 64-bit for Sv39/48/57. A write is the walker updating A/D
 * in a VS-level PTE; every other implicit access is a read.
 */
export const HtinstPseudo = {
  /** 32-bit read for VS-stage address translation (RV32): `lw x0,0(x0)` with bits 1:0 cleared. */
  Read32: 0x0000_2000,
  /** 32-bit write for VS-stage address translation (RV32): `sw x0,0(x0)` with bits 1:0 cleared. */
  Write32: 0x0000_2020,
  /** 64-bit read for VS-stage address translation (RV64): `ld x0,0(x0)` with bits 1:0 cleared. */
  Read64: 0x0000_3000,
  /** 64-bit write for VS-stage address translation (RV64): `sd x0,0(x0)` with bits 1:0 cleared. */
  Write64: 0x0000_3020,
} as const;

/**
 * The outcome of one two-stage walk ({@link RiscvTwoStageWalker.walk}), written into a
 * caller-owned object so that a miss allocates nothing. Fields that do not apply to the
 * outcome keep stale values: read `ok` first, then either the translation fields or the
 * fault fields.
 *
 * A Bare stage (vsatp or hgatp MODE = 0) maps the identity with no page of its own: its
 * page is reported as the other stage's page (4 KiB when both are Bare), so that the
 * combined page is always the smaller of the two.
 *
 * Addresses are numbers: exact below 2^53. A guest-physical address can be as wide as 59
 * bits (Sv57x4); the walk itself stays exact for such a GPA (it walks the 4 KiB-aligned
 * page address), but `gpa`, `faultGpa` and `htval` are rounded above 2^53.
 */
export class TwoStageWalkResult {
  /** True when both stages allow the access: the translation fields below are valid. */
  ok = false;
  /** Supervisor physical address of the combined page's first byte. The access's SPA is `pageBase + gva % 2 ** pageShift`. */
  pageBase = 0;
  /** log2 of the combined page size: the smaller of {@link TwoStageWalkResult.vsPageShift} and {@link TwoStageWalkResult.gPageShift}. */
  pageShift = 12;
  /**
   * Effective {@link Perm} bits of the combined translation, with the MXR rules of both
   * stages applied as they stood during the walk: Read when a load would pass both stages,
   * Write and Execute when both stages' leaves grant them, User from the VS-stage leaf, Dirty
   * when D is set at both stages. A change of `sstatus.MXR` or `vsstatus.MXR` makes Read stale:
   * recompute it from {@link TwoStageWalkResult.vsPerm} and {@link TwoStageWalkResult.gPerm}, or walk again.
   */
  perm = 0;
  /** {@link Perm} bits of the VS-stage leaf (R, W, X, U, and Dirty when its D is set). Bare: R, W, X, Dirty, and U for a VU access. */
  vsPerm = 0;
  /** {@link Perm} bits of the G-stage leaf of the final GPA (R, W, X, U, Dirty). Bare: R, W, X, U, Dirty. */
  gPerm = 0;
  /** A G bit was set on the VS-stage path: the translation matches every guest ASID of the VMID (G-stage G bits are ignored). */
  global = false;
  /** The guest-physical address of the access (valid when the VS-stage completed: on success, or a G-stage fault on the final GPA). */
  gpa = 0;
  /** Guest-physical address of the VS-stage page's first byte, for a cache of guest-virtual → guest-physical translations. */
  vsPageBase = 0;
  /** log2 of the VS-stage page size. */
  vsPageShift = 12;
  /** Supervisor physical address of the G-stage page's first byte, for a cache of guest-physical → supervisor-physical translations. */
  gPageBase = 0;
  /** log2 of the G-stage page size. */
  gPageShift = 12;

  /** When `ok` is false: the stage the fault belongs to. */
  faultStage: TranslationStage = TranslationStage.None;
  /** When `ok` is false: why (in the faulting stage's terms; `BusError` is an access fault in either stage). */
  faultReason: FaultReason = FaultReason.None;
  /** When `ok` is false: the exception code for `scause`/`mcause`: 12/13/15 (VS-stage), 20/21/23 (G-stage), 1/5/7 (access fault). 0 on success. */
  cause = 0;
  /**
   * For a guest-page fault: the guest-physical address that faulted. For an implicit access
   * ({@link TwoStageWalkResult.implicit}), the address of the VS-level PTE that could not be read or updated (the
   * GPA of the original access is not known yet); otherwise the access's own GPA. 0 otherwise.
   */
  faultGpa = 0;
  /** `htval`/`mtval2` for the trap: {@link TwoStageWalkResult.faultGpa} shifted right by 2 for a guest-page fault, else 0. */
  htval = 0;
  /**
   * `htinst`/`mtinst` as far as the walk decides it: a {@link HtinstPseudo} value for a
   * guest-page fault on an implicit access, else 0 (the integrator may write a transformed
   * instruction for an explicit load or store instead).
   */
  htinst = 0;
  /** The G-stage fault hit an implicit access made for the VS-stage walk (a PTE read, or an A/D update when {@link TwoStageWalkResult.implicitWrite}). */
  implicit = false;
  /** The implicit access that faulted was the A/D update of a VS-level PTE (checked at the G-stage as a store). */
  implicitWrite = false;
  /** VS-stage level (0 = root) of the leaf on success, or of the entry being handled at a fault. */
  level = 0;
  /** G-stage level of the leaf (or of the faulting entry) of the last G-stage walk. */
  gLevel = 0;
  /** Supervisor physical address of the last page-table entry read or written (either stage); 0 when none was. */
  entryAddress = 0;
  /**
   * Page-table entries read from memory, both stages together. With n VS levels and m G levels
   * a full walk reads n VS PTEs, m G PTEs to translate each of their addresses, and m more for
   * the final GPA: n(m + 1) + m = (n + 1)(m + 1) − 1 (24 for Sv48 over Sv48x4).
   */
  pteReads = 0;
  /** The part of {@link TwoStageWalkResult.pteReads} made by G-stage walks. */
  gPteReads = 0;
  /** Page-table entries written back (A/D updates), both stages together. */
  pteWrites = 0;
  /**
   * Walk-cache and G-stage TLB hits of this walk (each saved reading entries): a VS-level entry
   * found in the VS-stage walk cache, and each G-stage translation the G-stage cache answered.
   * 0 without caches (a walker built alone has none; an {@link Mmu} gives its own walker both).
   */
  walkCacheHits = 0;
  /** For a `BusError`: whether the page-table access that reached no memory was a `'read'` or a `'write'`; null otherwise. */
  pageTableAccess: PageTableAccess | null = null;

  /** Clears the outcome and the counters before a walk. */
  reset(): void {
    this.ok = false;
    this.faultStage = TranslationStage.None;
    this.faultReason = FaultReason.None;
    this.cause = 0;
    this.faultGpa = 0;
    this.htval = 0;
    this.htinst = 0;
    this.implicit = false;
    this.implicitWrite = false;
    this.global = false;
    this.level = 0;
    this.gLevel = 0;
    this.entryAddress = 0;
    this.pteReads = 0;
    this.gPteReads = 0;
    this.pteWrites = 0;
    this.walkCacheHits = 0;
    this.pageTableAccess = null;
  }
}
