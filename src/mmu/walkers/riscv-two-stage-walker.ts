/**
 * The RISC-V two-stage walker for V=1 accesses (VS-mode, VU-mode, HLV/HLVX/HSV): the VS-stage
 * through `vsatp`, whose every page-table access is itself a guest-physical access translated by
 * the G-stage through `hgatp`, then the G-stage of the final guest-physical address (Privileged
 * Architecture, "H" Extension, "Two-Stage Address Translation").
 */

import { Access, Privilege, type TranslatedPrivilege } from '../access.js';
import { type ControlState, defaultControls } from '../controls.js';
import { InvalidArgumentError, PhysicalAccessError } from '../errors.js';
import { FaultReason } from '../fault-reason.js';
import { RiscvCause } from '../fault.js';
import { requireFormat, type PageTableFormat } from '../formats/format.js';
import { RISCV_PTE, RISCV_PTE_HIGH } from '../formats/riscv.js';
import { Perm, allowedUnchecked } from '../permissions.js';
import type { PhysicalMemory } from '../physical-memory.js';
import { pageOffset } from './page-offset.js';
import type { WalkCache } from '../walk-cache.js';
import { GStageMode, RiscvGStageWalker, executeAsRead, riscvEntryFault } from './riscv-gstage-walker.js';
import { GuestPageFaultCause, HtinstPseudo, TranslationStage, TwoStageWalkResult } from './two-stage-walk-result.js';

/**
 * The guest's own control bits, read on every walk. They live in VS CSRs that the HS-level
 * {@link ControlState} does not hold.
 */
export interface VsControls {
  /** `vsstatus.SUM`: VS-mode may load and store to VS-stage U pages (the HS-level SUM is ignored when V=1). */
  sum: boolean;
  /** `vsstatus.MXR`: execute-only VS-stage pages are readable; it does not reach the G-stage. */
  mxr: boolean;
  /**
   * `henvcfg.ADUE`: the walker sets A/D in VS-stage PTEs (Svadu). It takes effect only with
   * `menvcfg.ADUE` (the HS-level `hardwareAD`), of which `henvcfg.ADUE` is read-only zero otherwise.
   */
  hardwareAD: boolean;
}

/**
 * The guest's controls after reset as a typical guest kernel leaves them: SUM and MXR off,
 * hardware A/D updates on.
 * @returns a new object each call (keep it and mutate it).
 */
export function defaultVsControls(): VsControls {
  return { sum: false, mxr: false, hardwareAD: true };
}

const { R, X, W, G, A, D } = RISCV_PTE;
const { PPN } = RISCV_PTE_HIGH;
const TWO_POW_34 = 2 ** 34;
const MAX_LEVELS = 5;
/** Stands for "no page of its own" when taking the smaller of the two stages' pages. */
const UNBOUNDED_SHIFT = 64;

/**
 * Translates guest-virtual addresses of V=1 accesses in two stages, in the order of Spike's
 * walker (and of the spec's algorithm applied at both stages):
 *
 * 1. VS-stage, level by level from `vsatp`'s root: the PTE's guest-physical address goes through
 *    the G-stage as an implicit load (U-mode, needs R; no MXR applies: MXR makes execute-only pages
 *    readable by explicit loads only, riscv-isa-manual PR #1543, as Spike does since PR #1760; QEMU
 *    still applies `sstatus.MXR` there), then the PTE is read at the resulting supervisor-physical
 *    address; a G-stage fault here is a guest-page fault of the original access type, reported with
 *    the PTE's GPA and an `htinst` pseudoinstruction;
 * 2. the VS-stage leaf is checked as {@link RiscvWalker} checks a leaf, for VS-mode or VU-mode:
 *    `vsstatus.SUM`, MXR from `vsstatus.MXR` or `sstatus.MXR`, superpage alignment, A/D;
 * 3. an A/D update of the VS-stage leaf is an implicit store to the PTE's guest page: the G-stage
 *    leaf that mapped the PTE must grant W, and its D is set too;
 * 4. the final GPA goes through the G-stage for the original access type.
 *
 * The VS-stage leaf's A/D bits, and the D bit of the G-stage leaf mapping that PTE, are written
 * only when the whole translation succeeds: a store whose final GPA faults leaves the VS-stage D
 * bit clear (Svadu: D updates must be exact). Each G-stage walk sets its own leaf's A (and D for
 * a store) when that walk succeeds, so a G-stage A bit set for an implicit read stays set if a
 * later step faults (A updates may be speculative). The G-stage leaf found for the implicit read
 * is reused to check the implicit store rather than walked again (Spike walks it again, reading m
 * more entries per A/D update).
 *
 * `vsatp` Bare: the GVA is the GPA. `hgatp` Bare: the GPA is the supervisor-physical address,
 * unprotected. Both Bare: the identity, with no reads.
 *
 * Memory references: n VS levels over m G levels read n VS PTEs, m G PTEs for each of them and m
 * for the final GPA, (n + 1)(m + 1) − 1 in all: 15 for Sv39 over Sv39x4, 24 for Sv48 over
 * Sv48x4, 35 for Sv57 over Sv57x4 (the data access itself is not counted).
 *
 * Built alone it caches nothing (every walk reads every level); an {@link Mmu} running a guest
 * gives its own one a VS-stage walk cache and a G-stage TLB. Not modelled: PMP checks of
 * page-table accesses, Svnapot and Svpbmt (their bits are reserved at both stages), Sv32x4.
 *
 * @example
 * ```ts
 * const walker = new RiscvTwoStageWalker(memory, defaultControls(), defaultVsControls());
 * walker.setHgatp(GStageMode.Sv39x4, 0x8000_4000);  // hgatp.PPN × 4096, 16 KiB aligned
 * walker.setVsatp(SV39, 0x1000);                     // vsatp.PPN × 4096: a guest-physical address
 * const out = new TwoStageWalkResult();
 * walker.walk(0x40_0123, Access.Read, Privilege.Supervisor, out);
 * if (out.ok) spa = out.pageBase + (0x40_0123 % 2 ** out.pageShift);
 * else if (out.faultStage === TranslationStage.G) {
 *   // scause = out.cause (21), htval = out.htval, htinst = out.htinst (0x3000 if out.implicit)
 * }
 * ```
 */
export class RiscvTwoStageWalker {
  /** The G-stage walker this walker translates every guest-physical address with. */
  readonly gStage: RiscvGStageWalker;
  private readonly memory: PhysicalMemory;
  /** HS-level controls: `mxr` is `sstatus.MXR` (both stages), `hardwareAD` is `menvcfg.ADUE`. */
  private readonly controls: ControlState;
  private readonly vsControls: VsControls;
  /** Scratch control state for the VS-stage check: SUM and MXR as V=1 sees them, set per walk. */
  private readonly vsRules: ControlState = defaultControls();
  private vsFormat: PageTableFormat | null = null;
  private vsRoot = 0;
  private vsPteSize = 8;
  private vaLimit = 0;
  private lastLevel = 0;
  private readonly indexScale = new Float64Array(MAX_LEVELS);
  private readonly indexMask = new Int32Array(MAX_LEVELS);
  private readonly leafShift = new Int32Array(MAX_LEVELS);
  private readonly leafSize = new Float64Array(MAX_LEVELS);
  /** The stage whose page-table access is under way, for a bus error thrown by memory. */
  private accessStage: TranslationStage = TranslationStage.VS;
  /**
   * A cache of VS-level non-leaf entries (guest-virtual prefix → the next table's guest-physical
   * address, with the G bits above it), tagged with {@link RiscvTwoStageWalker.walkCacheTag}; null
   * (the default) for none. Whoever changes VS-stage tables drops stale entries (HFENCE.VVMA). @internal
   */
  vsWalkCache: WalkCache | null = null;
  /** The tag of {@link RiscvTwoStageWalker.vsWalkCache}'s lookups and fills (the guest's VMID and ASID). @internal */
  walkCacheTag = 0;

  /**
   * Creates a walker with both stages Bare.
   * @param memory - physical memory holding both stages' tables.
   * @param controls - HS-level controls, read on every walk (`mxr`: `sstatus.MXR`; `hardwareAD`: `menvcfg.ADUE`).
   * @param vsControls - the guest's controls, read on every walk ({@link VsControls}).
   * @throws {@link InvalidArgumentError} when an argument is not of its type.
   */
  constructor(memory: PhysicalMemory, controls: ControlState, vsControls: VsControls) {
    if (vsControls === null || typeof vsControls !== 'object') throw new InvalidArgumentError('vsControls must be a VsControls object');
    this.gStage = new RiscvGStageWalker(memory, controls);
    this.memory = memory;
    this.controls = controls;
    this.vsControls = vsControls;
  }

  /** The VS-stage format (`vsatp.MODE`), or null for Bare. */
  get vsatpFormat(): PageTableFormat | null {
    return this.vsFormat;
  }

  /** The VS-stage root's guest-physical address (`vsatp.PPN × 4096`). */
  get vsatpRoot(): number {
    return this.vsRoot;
  }

  /**
   * Selects the VS-stage scheme and root, as a write of `vsatp` does (the ASID is the TLB's
   * business). Sv32 is a guest with VSXLEN = 32 (4-byte PTEs, 32-bit `htinst` pseudoinstructions).
   * @param format - SV32, SV39, SV48 or SV57, or null for Bare.
   * @param root - `vsatp.PPN × 4096`: a guest-physical, 4 KiB-aligned address below 2^paBits (0 for Bare).
   * @throws {@link InvalidArgumentError} for a non-RISC-V format or a bad root.
   */
  setVsatp(format: PageTableFormat | null, root: number): void {
    if (format === null) {
      if (root !== 0) throw new InvalidArgumentError(`vsatp with MODE Bare must have PPN 0, got root ${String(root)}`);
      this.vsFormat = null;
      this.vsRoot = 0;
      return;
    }
    requireFormat(format, 'riscv');
    if (!Number.isInteger(root) || root < 0 || root >= 2 ** format.paBits || root % 4096 !== 0) {
      throw new InvalidArgumentError(`the VS-stage root must be a 4 KiB-aligned guest-physical address below 2^${format.paBits}, got ${String(root)}`);
    }
    const levels = format.levels;
    for (let level = 0; level < levels.length; level++) {
      this.indexScale[level] = 2 ** -levels[level].indexShift;
      this.indexMask[level] = (1 << levels[level].indexBits) - 1;
      this.leafShift[level] = levels[level].leafShift;
      this.leafSize[level] = 2 ** levels[level].leafShift;
    }
    this.lastLevel = levels.length - 1;
    this.vaLimit = 2 ** format.vaBits;
    this.vsPteSize = format.pteSize;
    this.vsFormat = format;
    this.vsRoot = root;
  }

  /**
   * Selects the G-stage scheme and root; see {@link RiscvGStageWalker.setHgatp}.
   * @throws {@link InvalidArgumentError} for an unknown mode or a root that is not 16 KiB aligned.
   */
  setHgatp(mode: GStageMode, root: number): void {
    this.gStage.setHgatp(mode, root);
  }

  /**
   * Translates a guest-virtual address for a V=1 access. Never throws for guest data: every
   * fault is reported in `out` (`ok` false, `faultStage`, `cause`, and for a guest-page fault
   * `faultGpa`, `htval`, `htinst`). A/D bits are written back only when the access is allowed.
   *
   * @param gva - guest-virtual address: an integer below 2^vaBits of the VS-stage format (the
   *   sign extension implied, as for {@link RiscvWalker}); with `vsatp` Bare, the GPA itself.
   * @param access - the access type: an HLVX is a Read with `hlvx`, an HSV a Write.
   * @param privilege - the nominal privilege: Supervisor for VS-mode (or HLV with `hstatus.SPVP` = 1), User for VU-mode.
   * @param out - receives the outcome; reset first.
   * @param hlvx - an HLVX load: execute permission replaces read permission at both stages.
   * @throws {@link InvalidArgumentError} for a bad access or privilege, `out` not a {@link TwoStageWalkResult},
   *   or `hlvx` not a boolean or true with an access other than Read; nothing is read then.
   */
  walk(gva: number, access: Access, privilege: TranslatedPrivilege, out: TwoStageWalkResult, hlvx = false): void {
    if (!((access === 0 || access === 1 || access === 2) && (privilege === 0 || privilege === 1) && (hlvx === false || (hlvx === true && access === Access.Read)) && out instanceof TwoStageWalkResult)) {
      throw new InvalidArgumentError(
        `walk needs an Access, a Privilege, a TwoStageWalkResult and hlvx only with a Read, got ${String(access)}, ${String(privilege)}, ${out === null || typeof out !== 'object' ? String(out) : (out as object).constructor?.name}, ${String(hlvx)}`,
      );
    }
    out.reset();
    try {
      this.translate(gva, access, privilege, hlvx, out);
    } catch (e) {
      if (!(e instanceof PhysicalAccessError)) throw e;
      this.fail(out, this.accessStage, FaultReason.BusError, access);
      out.pageTableAccess = e.write ? 'write' : 'read';
    }
  }

  /** Both stages; see the class description. May throw PhysicalAccessError (reported by walk). */
  private translate(gva: number, access: Access, privilege: TranslatedPrivilege, hlvx: boolean, out: TwoStageWalkResult): void {
    const g = this.gStage;
    const format = this.vsFormat;
    let gpaPage: number;
    let vsShift = UNBOUNDED_SHIFT;
    let vsBase = 0;
    let vsPerm: number;
    let vsReadable = true;
    /** SPA of the VS-stage leaf to update, and its bits, or -1. */
    let vsUpdateAt = -1;
    let vsUpdateBits = 0;
    /** SPA of the G-stage leaf mapping the VS-stage leaf's page, when its D must be set, or -1. */
    let gUpdateAt = -1;

    if (format === null) {
      // Not an integer (±Infinity included): no address at all. Integers too wide for the G-stage fault there.
      if (!(gva >= 0 && gva <= Number.MAX_VALUE && Math.floor(gva) === gva)) return this.fail(out, TranslationStage.VS, FaultReason.NonCanonical, access);
      gpaPage = gva - pageOffset(gva, 12);
      vsPerm = Perm.Read | Perm.Write | Perm.Execute | Perm.Dirty | (privilege === Privilege.User ? Perm.User : 0);
    } else {
      if (!(gva >= 0 && gva < this.vaLimit && Math.floor(gva) === gva)) return this.fail(out, TranslationStage.VS, FaultReason.NonCanonical, access);
      const hs = this.controls;
      const vs = this.vsControls;
      const last = this.lastLevel;
      const wide = this.vsPteSize === 8;
      let table = this.vsRoot;
      let level = 0;
      let global = 0;
      const walkCache = this.vsWalkCache;
      if (walkCache !== null) {
        // A VS-level entry cached by an earlier walk of this guest and ASID: resume below it. The
        // cache holds the next table's guest-physical address, which the G-stage still translates.
        const hit = walkCache.lookup(gva, this.walkCacheTag);
        if (hit >= 0) {
          table = walkCache.nextTable;
          global = walkCache.flags;
          level = hit + 1;
          out.walkCacheHits++;
        }
      }
      let pteGpa: number;
      let pteSpa: number;
      let lo: number;
      let hi: number;
      for (;;) {
        pteGpa = table + ((gva * this.indexScale[level]) & this.indexMask[level]) * this.vsPteSize;
        out.level = level;
        // The implicit read: a G-stage translation checked as a load, whatever the original access.
        const reason = g.translateImplicitRead(pteGpa);
        this.countGStage(out);
        if (reason !== FaultReason.None) return this.gStageFault(out, reason, access, pteGpa, true, false);
        pteSpa = g.pageBase + pageOffset(pteGpa, g.pageShift);
        out.entryAddress = pteSpa;
        this.accessStage = TranslationStage.VS;
        out.pteReads++;
        if (wide) {
          lo = g.readEntryAt(pteSpa);
          hi = g.entryHigh;
        } else {
          lo = this.memory.read32(pteSpa) | 0;
          hi = 0;
        }
        const invalid = riscvEntryFault(lo, hi, level === last);
        if (invalid !== FaultReason.None) return this.fail(out, TranslationStage.VS, invalid, access);
        global |= lo & G;
        if ((lo & (R | X)) !== 0) break;
        table = (hi & PPN) * TWO_POW_34 + (lo >>> 10) * 4096;
        if (walkCache !== null) walkCache.fillUnchecked(level, gva, this.walkCacheTag, table, global);
        level++;
      }

      const rules = this.vsRules;
      rules.sum = vs.sum;
      rules.mxr = vs.mxr || hs.mxr; // sstatus.MXR overrides both stages, vsstatus.MXR only this one
      const perm = (lo >>> 1) & (Perm.Read | Perm.Write | Perm.Execute | Perm.User);
      const allowed = hlvx ? allowedUnchecked('riscv', executeAsRead(perm), Access.Read, privilege, rules) : allowedUnchecked('riscv', perm, access, privilege, rules);
      if (!allowed) return this.fail(out, TranslationStage.VS, FaultReason.Protection, access);
      vsBase = (hi & PPN) * TWO_POW_34 + (lo >>> 10) * 4096;
      if (pageOffset(vsBase, this.leafShift[level]) !== 0) return this.fail(out, TranslationStage.VS, FaultReason.MisalignedSuperpage, access);
      const need = (access === Access.Write ? A | D : A) & ~lo;
      if (need !== 0) {
        if (!(hs.hardwareAD && vs.hardwareAD)) return this.fail(out, TranslationStage.VS, FaultReason.AccessedDirty, access);
        // The update is an implicit store to the PTE's guest page: checked at the G-stage "as though
        // for an implicit store" (W, and D to set: possible, since menvcfg.ADUE is on here).
        if (g.leafAddress < 0 && g.mode !== GStageMode.Bare) {
          // The G-stage cache answered the read: walk for the leaf itself, whose W and D the store needs.
          const again = g.walkImplicitRead(pteGpa);
          this.countGStage(out);
          if (again !== FaultReason.None) return this.gStageFault(out, again, access, pteGpa, true, false);
        }
        if (g.leafAddress >= 0) {
          if ((g.leafLow & W) === 0) {
            out.entryAddress = g.leafAddress;
            return this.gStageFault(out, FaultReason.Protection, access, pteGpa, true, true);
          }
          if ((g.leafLow & D) === 0) gUpdateAt = g.leafAddress;
        }
        vsUpdateAt = pteSpa;
        vsUpdateBits = need;
      }
      vsPerm = perm | (((lo | need) & D) !== 0 ? Perm.Dirty : 0);
      vsReadable = (perm & Perm.Read) !== 0 || (rules.mxr && (perm & Perm.Execute) !== 0);
      vsShift = this.leafShift[level];
      out.global = global !== 0;
      gpaPage = vsBase + pageOffset(gva, this.leafShift[level]) - pageOffset(gva, 12);
    }

    const offset = pageOffset(gva, 12);
    out.gpa = gpaPage + offset;
    const reason = g.translate(gpaPage, access, hlvx);
    this.countGStage(out);
    if (g.reads > 0) out.entryAddress = g.entryAddress;
    if (reason !== FaultReason.None) return this.gStageFault(out, reason, access, gpaPage + offset, false, false);

    // Every check passed: the implicit stores of the VS-stage walk happen now.
    if (gUpdateAt >= 0) {
      this.accessStage = TranslationStage.G;
      out.entryAddress = gUpdateAt;
      if (g.orEntryBits(gUpdateAt, D)) out.pteWrites++;
    }
    if (vsUpdateAt >= 0) {
      this.accessStage = TranslationStage.VS;
      out.entryAddress = vsUpdateAt;
      if (g.orEntryBits(vsUpdateAt, vsUpdateBits)) out.pteWrites++;
    }
    this.succeed(out, format === null, gpaPage, vsBase, vsShift, vsPerm, vsReadable);
  }

  /** Fills the translation fields of `out` from the two stages' leaves: the smaller page, the intersected permissions. */
  private succeed(out: TwoStageWalkResult, vsBare: boolean, gpaPage: number, vsBase: number, vsShift: number, vsPerm: number, vsReadable: boolean): void {
    const g = this.gStage;
    const gBare = g.mode === GStageMode.Bare;
    let shift = Math.min(vsShift, gBare ? UNBOUNDED_SHIFT : g.pageShift);
    if (shift === UNBOUNDED_SHIFT) shift = 12;
    const spaPage = g.pageBase + pageOffset(gpaPage, g.pageShift);
    out.ok = true;
    out.pageBase = spaPage - pageOffset(spaPage, shift);
    out.pageShift = shift;
    out.vsPageShift = vsBare ? shift : vsShift;
    out.vsPageBase = vsBare ? gpaPage - pageOffset(gpaPage, shift) : vsBase;
    out.gPageShift = gBare ? shift : g.pageShift;
    out.gPageBase = gBare ? out.pageBase : g.pageBase;
    const gPerm = g.perm;
    const gReadable = (gPerm & Perm.Read) !== 0 || (this.controls.mxr && (gPerm & Perm.Execute) !== 0);
    out.vsPerm = vsPerm;
    out.gPerm = gPerm;
    out.perm = (vsReadable && gReadable ? Perm.Read : 0) | (vsPerm & gPerm & (Perm.Write | Perm.Execute | Perm.Dirty)) | (vsPerm & Perm.User);
  }

  /** Adds the last G-stage walk's accesses to the counts of `out`. */
  private countGStage(out: TwoStageWalkResult): void {
    const g = this.gStage;
    out.walkCacheHits += g.cacheHits;
    out.pteReads += g.reads;
    out.gPteReads += g.reads;
    out.pteWrites += g.writes;
    out.gLevel = g.level;
  }

  /**
   * Records a G-stage fault: a guest-page fault reported for the original access type with the
   * GPA that faulted, or an access fault when a G-stage page-table access reached no memory.
   */
  private gStageFault(out: TwoStageWalkResult, reason: FaultReason, access: Access, gpa: number, implicit: boolean, implicitWrite: boolean): void {
    this.fail(out, TranslationStage.G, reason, access);
    if (reason === FaultReason.BusError) {
      out.pageTableAccess = this.gStage.failedAccess;
      return;
    }
    if (!implicitWrite && this.gStage.reads > 0) out.entryAddress = this.gStage.entryAddress;
    out.faultGpa = gpa;
    out.htval = Math.floor(gpa / 4);
    out.implicit = implicit;
    out.implicitWrite = implicitWrite;
    if (implicit) {
      const wide = this.vsPteSize === 8;
      out.htinst = implicitWrite ? (wide ? HtinstPseudo.Write64 : HtinstPseudo.Write32) : wide ? HtinstPseudo.Read64 : HtinstPseudo.Read32;
    }
  }

  /** Records a fault of `stage` and its exception code. */
  private fail(out: TwoStageWalkResult, stage: TranslationStage, reason: FaultReason, access: Access): void {
    out.ok = false;
    out.faultStage = stage;
    out.faultReason = reason;
    out.cause = exceptionCode(stage, reason, access);
  }
}

/**
 * The exception code of a two-stage fault: an access fault (1/5/7) when a page-table access or
 * the page reached no memory, else a page fault (12/13/15) at the VS-stage or a guest-page fault
 * (20/21/23) at the G-stage, always for the original access type (HLV/HLVX are loads, HSV stores).
 */
function exceptionCode(stage: TranslationStage, reason: FaultReason, access: Access): number {
  if (reason === FaultReason.BusError) {
    return access === Access.Execute ? RiscvCause.InstructionAccessFault : access === Access.Write ? RiscvCause.StoreAccessFault : RiscvCause.LoadAccessFault;
  }
  if (stage === TranslationStage.G) {
    return access === Access.Execute ? GuestPageFaultCause.Instruction : access === Access.Write ? GuestPageFaultCause.Store : GuestPageFaultCause.Load;
  }
  return access === Access.Execute ? RiscvCause.InstructionPageFault : access === Access.Write ? RiscvCause.StorePageFault : RiscvCause.LoadPageFault;
}
