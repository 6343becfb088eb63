/**
 * The RISC-V G-stage walker: guest-physical → supervisor-physical translation through
 * `hgatp` with Sv39x4, Sv48x4 or Sv57x4 (Privileged Architecture, "H" Extension, "Guest
 * Physical Address Translation"), the second stage of every V=1 access.
 */

import { Access, Privilege } from '../access.js';
import type { ControlState } from '../controls.js';
import { InvalidArgumentError, PhysicalAccessError } from '../errors.js';
import { FaultReason } from '../fault-reason.js';
import { RISCV_PTE, RISCV_PTE_HIGH } from '../formats/riscv.js';
import type { Tlb } from '../../tlb/tlb.js';
import { Perm, allowedUnchecked } from '../permissions.js';
import { requirePhysicalMemory, type PhysicalMemory } from '../physical-memory.js';
import { pageOffset } from './page-offset.js';

/**
 * `hgatp.MODE` encodings for HSXLEN = 64 (table "Encoding of hgatp MODE field"); 1–7 and
 * 11–15 are reserved. Sv32x4 (HSXLEN = 32) is not implemented.
 */
export const GStageMode = {
  /** No G-stage: guest-physical addresses are supervisor-physical addresses, with no protection but PMP. */
  Bare: 0,
  /** Sv39 widened by 2 bits: 41-bit guest-physical addresses, 3 levels. */
  Sv39x4: 8,
  /** Sv48 widened by 2 bits: 50-bit guest-physical addresses, 4 levels. */
  Sv48x4: 9,
  /** Sv57 widened by 2 bits: 59-bit guest-physical addresses, 5 levels. */
  Sv57x4: 10,
} as const;

/** One of the {@link GStageMode} values. */
export type GStageMode = (typeof GStageMode)[keyof typeof GStageMode];

/**
 * Size and alignment in bytes of a G-stage root table: the 2 extra address bits widen the root
 * index (only) by 2 bits, so the root has 2048 entries instead of 512. `hgatp.PPN` bits 1:0
 * always read as zero in the paged modes, which is what makes every root 16 KiB aligned.
 */
export const GSTAGE_ROOT_SIZE = 0x4000;

const { V, R, W, X, U, A, D } = RISCV_PTE;
const { PPN, RESERVED, PBMT, N } = RISCV_PTE_HIGH;
/** 2^34: PPN bit 22 (PTE bit 32) is physical-address bit 34. */
const TWO_POW_34 = 2 ** 34;
/** Physical addresses are below 2^53 (a page ending above it cannot exist). */
const PHYSICAL_LIMIT = 2 ** 53;
/** Largest address at which an 8-byte entry still lies below 2^53. */
const MAX_ENTRY_ADDRESS = PHYSICAL_LIMIT - 8;
/** Most levels of any mode (Sv57x4): the per-level arrays are allocated once at this length. */
const MAX_LEVELS = 5;

/**
 * Number of levels of a G-stage mode: 0 for Bare, 3, 4 or 5.
 * @throws {@link InvalidArgumentError} for a value that is not a {@link GStageMode}.
 */
export function gStageLevels(mode: GStageMode): number {
  switch (mode) {
    case GStageMode.Bare:
      return 0;
    case GStageMode.Sv39x4:
      return 3;
    case GStageMode.Sv48x4:
      return 4;
    case GStageMode.Sv57x4:
      return 5;
    default:
      throw new InvalidArgumentError(`hgatp MODE must be Bare (0), Sv39x4 (8), Sv48x4 (9) or Sv57x4 (10), got ${String(mode)}`);
  }
}

/**
 * Width in bits of the guest-physical addresses a G-stage mode translates: 41, 50 or 59 (the
 * Sv39/Sv48/Sv57 virtual-address width plus 2). A GPA with any bit set at or above it is a
 * guest-page fault. 0 for Bare, which has no width of its own.
 * @throws {@link InvalidArgumentError} for a value that is not a {@link GStageMode}.
 */
export function gStageAddressBits(mode: GStageMode): number {
  const levels = gStageLevels(mode);
  return levels === 0 ? 0 : 12 + 9 * levels + 2;
}

/**
 * The fault an Sv32/Sv39/Sv48/Sv57 PTE causes on its own, or None; the same rules at both
 * stages, since G-stage PTEs have the VS-stage format: V = 0; W without R; bits 60:54, N or PBMT
 * set (Svnapot and Svpbmt are not implemented here); D, A or U in a pointer; a pointer at the last
 * level. `hi` is 0 for a 4-byte Sv32 entry.
 * @internal
 */
export function riscvEntryFault(lo: number, hi: number, lastLevel: boolean): FaultReason {
  if ((lo & V) === 0) return FaultReason.NotPresent;
  if ((lo & (R | W)) === W) return FaultReason.ReservedEncoding;
  if ((hi & (RESERVED | N | PBMT)) !== 0) return FaultReason.ReservedBit;
  if ((lo & (R | X)) !== 0) return FaultReason.None;
  if ((lo & (D | A | U)) !== 0) return FaultReason.ReservedBit;
  return lastLevel ? FaultReason.ReservedEncoding : FaultReason.None;
}

/**
 * {@link Perm} bits as an HLVX load sees them: execute permission takes the place of read
 * permission (and X no longer makes a page readable through MXR).
 * @internal
 */
export function executeAsRead(perm: number): number {
  return (perm & ~(Perm.Read | Perm.Execute)) | ((perm & Perm.Execute) !== 0 ? Perm.Read : 0);
}

/**
 * Walks G-stage page tables: the Sv39/Sv48/Sv57 translation process with the H extension's
 * changes ("Guest Physical Address Translation"):
 *
 * - `hgatp` replaces `satp`; the root table is 16 KiB ({@link GSTAGE_ROOT_SIZE}) and its index
 *   has 2 more bits; a GPA with a bit set at or above the mode's width (41/50/59) faults before
 *   anything is read (`NonCanonical`);
 * - every access is checked as a U-mode access: a leaf with U = 0 faults (`Protection`) even for
 *   VS-mode and for the VS-stage's own page-table reads;
 * - R/W/X are checked for the access type; `sstatus.MXR` (HS-level; `controls.mxr`) makes
 *   execute-only pages readable by explicit loads, `vsstatus.MXR` does not apply here; an HLVX load
 *   needs X, not R; the implicit read of a VS-level PTE (`translateImplicitRead`)
 *   needs R whatever MXR says (MXR affects explicit accesses only: riscv-isa-manual PR #1543);
 * - the G bit is ignored; reserved bits, reserved encodings and misaligned superpages fault as at
 *   the first stage; A = 0, or D = 0 on a store, faults (Svade) or is set (Svadu, when
 *   `controls.hardwareAD`, i.e. `menvcfg.ADUE`);
 * - every fault is a guest-page fault (20/21/23) of the original access type, which the caller
 *   reports: this walker only says why.
 *
 * Outputs go to the walker's own fields (no allocation per walk); they are valid until the next
 * {@link RiscvGStageWalker.translate}. A V=1 access is translated by {@link RiscvTwoStageWalker},
 * which owns one of these; use it alone to translate guest-physical addresses (a debugger, a
 * cache of GPA → SPA translations, HFENCE.GVMA tests).
 *
 * Built alone it caches nothing (every walk reads every level); an {@link Mmu} running a guest
 * gives its own one a G-stage TLB and walk caches of non-leaf entries. Not modelled: PMP checks
 * of the G-stage's own page-table reads, Svnapot and Svpbmt (their bits are reserved here), Sv32x4.
 *
 * @example
 * ```ts
 * const memory = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000 });
 * const g = new RiscvGStageWalker(memory, defaultControls());
 * g.setHgatp(GStageMode.Sv39x4, 0x8000_4000);              // 16 KiB aligned
 * // ... G-stage PTEs written with encodeRiscvPte(fields, SV39, level), U set in every leaf
 * g.translate(0x1234, Access.Read, false);                   // FaultReason.None, or why not
 * g.pageBase + (0x1234 % 2 ** g.pageShift);                  // the supervisor-physical address
 * ```
 */
export class RiscvGStageWalker {
  /** Output: supervisor-physical address of the G-stage page's first byte. */
  pageBase = 0;
  /** Output: log2 of the G-stage page size (12 for Bare: the identity has no page of its own). */
  pageShift = 12;
  /** Output: 2^pageShift, the page size in bytes. */
  pageSize = 4096;
  /** Output: {@link Perm} bits of the leaf (R, W, X, U; Dirty when D is set after the walk). */
  perm = 0;
  /** Output: level (0 = root) of the leaf, or of the entry that faulted. */
  level = 0;
  /** Output: supervisor-physical address of the last entry read or written; 0 when none was. */
  entryAddress = 0;
  /** Output: entries read by the last translation. */
  reads = 0;
  /** Output: entries written (A/D) by the last translation. */
  writes = 0;
  /** Output: for a `BusError`, whether the failed page-table access was the A/D write; null when the page itself lies beyond memory. */
  failedAccess: 'read' | 'write' | null = null;
  /** Output: address of the leaf PTE, or -1 for Bare (the two-stage walker updates its D bit for an implicit store). */
  leafAddress = -1;
  /** Output: low half of the leaf PTE after the walk's own A/D update. */
  leafLow = 0;
  /**
   * High half (as an Int32) of the entry last read by {@link RiscvGStageWalker.readEntryAt}.
   * @internal
   */
  entryHigh = 0;
  /**
   * Output: cache hits of the last translation: 1 when the walker's G-stage TLB answered it (no
   * entry read; {@link RiscvGStageWalker.leafAddress} is then -1), or when a walk resumed below a
   * cached non-leaf entry; else 0. An {@link Mmu} running a guest gives its own walker those
   * caches; always 0 for a walker built alone.
   */
  cacheHits = 0;
  /**
   * A cache of G-stage leaves, guest-physical page → supervisor-physical page with the leaf's
   * permissions, tagged with {@link RiscvGStageWalker.cacheTag} (the VMID): what hardware keeps in
   * a G-stage TLB. Null (the default) for none: every translation walks. A hit answers an access
   * its permissions allow; anything else walks, and a successful walk fills it. Whoever writes G-stage
   * tables drops stale entries (HFENCE.GVMA). @internal
   */
  cache: Tlb | null = null;
  /** The tag lookups and fills of {@link RiscvGStageWalker.cache} use. @internal */
  cacheTag = 0;
  /**
   * Caches of G-stage non-leaf entries, one per level above the last (index = level): a guest-physical
   * region of that level's size → the next table's address, tagged with {@link RiscvGStageWalker.cacheTag};
   * null (the default) for none. A walk the leaf cache misses resumes below the deepest entry cached
   * here. Whoever changes G-stage tables drops stale entries (HFENCE.GVMA). @internal
   */
  walkCaches: (Tlb | null)[] | null = null;

  private readonly memory: PhysicalMemory;
  private readonly controls: ControlState;
  private readonly ramView: DataView;
  private readonly ramBase: number;
  private readonly ramLastEntry: number;
  private currentMode: GStageMode = GStageMode.Bare;
  private currentRoot = 0;
  private levels = 0;
  /** 2^width of the current mode (Infinity for Bare). */
  private gpaLimit = Infinity;
  /** Per level: 2^-indexShift (see TableWalker: one multiply gives the index). */
  private readonly indexScale = new Float64Array(MAX_LEVELS);
  /** Per level: 2^indexBits − 1 (11 bits at the root, 9 below). */
  private readonly indexMask = new Int32Array(MAX_LEVELS);
  /** Per level: log2 of the page a leaf there maps. */
  private readonly leafShift = new Int32Array(MAX_LEVELS);
  /** Per level: 2^leafShift. */
  private readonly leafSize = new Float64Array(MAX_LEVELS);

  /**
   * Creates a walker in Bare mode; call {@link RiscvGStageWalker.setHgatp} to translate.
   * @param memory - physical memory holding the G-stage tables.
   * @param controls - HS-level controls, read on every walk: `mxr` is `sstatus.MXR`, `hardwareAD` is `menvcfg.ADUE`.
   * @throws {@link InvalidArgumentError} when `memory` is not a PhysicalMemory or `controls` is not an object.
   */
  constructor(memory: PhysicalMemory, controls: ControlState) {
    requirePhysicalMemory(memory);
    if (controls === null || typeof controls !== 'object') throw new InvalidArgumentError('controls must be a control state object');
    this.memory = memory;
    this.controls = controls;
    this.ramView = memory.view;
    this.ramBase = memory.ramBase;
    this.ramLastEntry = memory.ramSize - 8;
  }

  /** The current `hgatp.MODE`. */
  get mode(): GStageMode {
    return this.currentMode;
  }

  /** The current root table's supervisor-physical address (`hgatp.PPN × 4096`; 0 for Bare). */
  get root(): number {
    return this.currentRoot;
  }

  /**
   * Selects the G-stage scheme and root, as a write of `hgatp` does (the VMID is the TLB's
   * business, not the walker's). The spec has PPN bits 1:0 read as zero in the paged modes, so a
   * CSR model clears them before calling this; a root that is not 16 KiB aligned is a caller bug.
   *
   * @param mode - a {@link GStageMode}.
   * @param root - `hgatp.PPN × 4096`: a multiple of {@link GSTAGE_ROOT_SIZE} below 2^53 (0 for Bare).
   * @throws {@link InvalidArgumentError} for an unknown mode, or a root that is not 16 KiB aligned (or not 0 for Bare).
   */
  setHgatp(mode: GStageMode, root: number): void {
    const levels = gStageLevels(mode);
    if (!Number.isInteger(root) || root < 0 || root > PHYSICAL_LIMIT - GSTAGE_ROOT_SIZE || root % GSTAGE_ROOT_SIZE !== 0 || (levels === 0 && root !== 0)) {
      throw new InvalidArgumentError(
        levels === 0
          ? `hgatp with MODE Bare must have PPN 0, got root ${String(root)}`
          : `the G-stage root must be a 16 KiB-aligned physical address (hgatp.PPN[1:0] read as zero), got ${String(root)}`,
      );
    }
    this.currentMode = mode;
    this.currentRoot = root;
    this.levels = levels;
    this.gpaLimit = levels === 0 ? Infinity : 2 ** gStageAddressBits(mode);
    for (let level = 0; level < levels; level++) {
      const shift = 12 + 9 * (levels - 1 - level);
      this.indexScale[level] = 2 ** -shift;
      this.indexMask[level] = level === 0 ? 0x7ff : 0x1ff;
      this.leafShift[level] = shift;
      this.leafSize[level] = 2 ** shift;
    }
  }

  /**
   * Translates one guest-physical address at the G-stage and reports why it cannot be, or None.
   * Outputs go to this walker's fields. A/D bits are written only when the translation succeeds.
   * Never throws for guest data: a page-table access that reaches no memory is `BusError` (an
   * access fault, not a guest-page fault).
   *
   * @param gpa - the guest-physical address (a non-negative integer; bits at or above the mode's width fault).
   * @param access - the access checked: the original access type for the access's own GPA (the
   *   implicit read of a VS-level PTE goes through `translateImplicitRead`; its
   *   A/D update, a Write, the two-stage walker checks on the leaf it already has).
   * @param hlvx - an HLVX load: X replaces R. A boolean, true only with {@link Access.Read}.
   * @returns None, or the reason for the guest-page fault (or access fault, for `BusError`).
   * @throws {@link InvalidArgumentError} when `gpa` is not a non-negative integer (a number: NaN and
   *   ±Infinity are not), `access` is not an Access, or `hlvx` is not a boolean or is true for an
   *   access other than a read; the outputs are left as they were.
   */
  translate(gpa: number, access: Access, hlvx: boolean): FaultReason {
    if (!(typeof gpa === 'number' && gpa >= 0 && gpa <= Number.MAX_VALUE && Math.floor(gpa) === gpa && (access === 0 || access === 1 || access === 2) && (hlvx === false || (hlvx === true && access === Access.Read)))) {
      throw new InvalidArgumentError(
        `translate needs a guest-physical address (a non-negative integer), an Access and hlvx a boolean (true only with a Read), got ${String(gpa)}, ${String(access)}, ${String(hlvx)}`,
      );
    }
    return this.run(gpa, access, hlvx, false);
  }

  /**
   * {@link RiscvGStageWalker.translate} of the guest-physical address of a VS-level PTE, for the
   * implicit read the VS-stage walk makes of it: checked as a U-mode load that needs R. Neither
   * `sstatus.MXR` nor `vsstatus.MXR` applies: MXR changes what explicit loads may read
   * (riscv-isa-manual PR #1543, "Clarify that MXR affects explicit memory accesses only"; Spike
   * since PR #1760 walks these with MXR off).
   * @param gpa - the PTE's guest-physical address, a non-negative integer (not checked: the two-stage walker computes it).
   * @internal
   */
  translateImplicitRead(gpa: number): FaultReason {
    return this.run(gpa, Access.Read, false, true);
  }

  /** The body of a translation, after the argument check. */
  private run(gpa: number, access: Access, hlvx: boolean, implicit: boolean): FaultReason {
    this.reads = 0;
    this.writes = 0;
    this.level = 0;
    this.entryAddress = 0;
    this.failedAccess = null;
    this.leafAddress = -1;
    this.cacheHits = 0;
    if (this.levels === 0) return this.bare(gpa);
    if (!(gpa < this.gpaLimit)) return FaultReason.NonCanonical;
    const cache = this.cache;
    if (cache !== null) {
      const e = cache.lookup(gpa, this.cacheTag);
      if (e >= 0 && this.cachedAllows(cache.perm[e], access, hlvx, implicit)) {
        const shift = cache.pageShift[e];
        this.pageShift = shift;
        this.pageSize = this.leafSize[this.levels - 1 - (shift - 12) / 9];
        this.pageBase = cache.pageBase[e];
        this.perm = cache.perm[e];
        this.level = this.levels - 1 - (shift - 12) / 9;
        this.cacheHits = 1;
        return FaultReason.None;
      }
    }
    try {
      const reason = this.walkTables(gpa, access, hlvx, implicit);
      if (reason === FaultReason.None && cache !== null) cache.insertUnchecked(gpa, this.cacheTag, this.pageShift, this.pageBase, this.perm, 0);
      return reason;
    } catch (e) {
      if (!(e instanceof PhysicalAccessError)) throw e;
      this.failedAccess = e.write ? 'write' : 'read';
      return FaultReason.BusError;
    }
  }

  /**
   * Reads the 8-byte entry at supervisor-physical `address`: returns its low half and leaves its
   * high half in {@link RiscvGStageWalker.entryHigh}. RAM is read straight from its DataView.
   * Shared with the two-stage walker, whose VS-level entries are read the same way.
   * @throws PhysicalAccessError when the entry reaches no memory.
   * @internal
   */
  readEntryAt(address: number): number {
    const o = address - this.ramBase;
    if (o >= 0 && o <= this.ramLastEntry) {
      this.entryHigh = this.ramView.getUint32(o + 4, true) | 0;
      return this.ramView.getUint32(o, true) | 0;
    }
    if (address > MAX_ENTRY_ADDRESS) throw new PhysicalAccessError(address, 8, false, 'UNMAPPED');
    this.entryHigh = this.memory.read32(address + 4) | 0;
    return this.memory.read32(address) | 0;
  }

  /**
   * Sets `bits` in the low half of the entry at `address` as one read-modify-write of its current
   * value, so that bits another update of the same walk set meanwhile are kept, and writes nothing
   * when they are all set already (the final G-stage walk of a store may have set the D bit an
   * implicit store also needs, when both live in the same G-stage leaf).
   * @returns whether the entry was written.
   * @throws PhysicalAccessError when the entry reaches no memory.
   * @internal
   */
  orEntryBits(address: number, bits: number): boolean {
    const low = this.memory.read32(address);
    if ((low & bits) === bits) return false;
    this.memory.write32(address, low | bits);
    return true;
  }

  /**
   * Whether a cached leaf with {@link Perm} bits `perm` allows the access without a walk: the checks
   * of a walk's leaf (every cached leaf has U: only allowed walks fill the cache), and for a store a
   * D bit already set (else the walk sets it, or faults under Svade).
   */
  private cachedAllows(perm: number, access: Access, hlvx: boolean, implicit: boolean): boolean {
    if (implicit) return (perm & Perm.Read) !== 0;
    if (hlvx) return (perm & Perm.Execute) !== 0;
    if (access === Access.Write) return (perm & (Perm.Write | Perm.Dirty)) === (Perm.Write | Perm.Dirty);
    if (access === Access.Execute) return (perm & Perm.Execute) !== 0;
    return (perm & Perm.Read) !== 0 || (this.controls.mxr && (perm & Perm.Execute) !== 0);
  }

  /**
   * {@link RiscvGStageWalker.translateImplicitRead} by a walk even when the cache could answer: for
   * the two-stage walker, which needs the leaf's address to update its D bit. @internal
   */
  walkImplicitRead(gpa: number): FaultReason {
    const cache = this.cache;
    this.cache = null;
    try {
      return this.run(gpa, Access.Read, false, true);
    } finally {
      this.cache = cache;
    }
  }

  /** Bare: the identity, 4 KiB at a time, with every permission. */
  private bare(gpa: number): FaultReason {
    const pageBase = gpa - pageOffset(gpa, 12);
    this.pageShift = 12;
    this.pageSize = 4096;
    this.perm = Perm.Read | Perm.Write | Perm.Execute | Perm.User | Perm.Dirty;
    this.pageBase = pageBase;
    return pageBase > PHYSICAL_LIMIT - 4096 ? FaultReason.BusError : FaultReason.None;
  }

  /** The walk proper, from the 16 KiB root to a leaf; may throw PhysicalAccessError. */
  private walkTables(gpa: number, access: Access, hlvx: boolean, implicit: boolean): FaultReason {
    const last = this.levels - 1;
    let table = this.currentRoot;
    let level = 0;
    const walkCaches = this.walkCaches;
    if (walkCaches !== null) {
      // The deepest cached non-leaf entry for this address: the walk resumes in the table it names.
      for (let cached = last - 1; cached >= 0; cached--) {
        const cache = walkCaches[cached];
        if (cache === null) continue;
        const e = cache.lookup(gpa, this.cacheTag);
        if (e < 0) continue;
        table = cache.pageBase[e];
        level = cached + 1;
        this.cacheHits++;
        break;
      }
    }
    let address: number;
    let lo: number;
    let hi: number;
    for (;;) {
      address = table + ((gpa * this.indexScale[level]) & this.indexMask[level]) * 8;
      this.level = level;
      this.entryAddress = address;
      this.reads++;
      lo = this.readEntryAt(address);
      hi = this.entryHigh;
      const reason = riscvEntryFault(lo, hi, level === last);
      if (reason !== FaultReason.None) return reason;
      if ((lo & (R | X)) !== 0) break;
      table = (hi & PPN) * TWO_POW_34 + (lo >>> 10) * 4096;
      if (walkCaches !== null) walkCaches[level]?.insertUnchecked(gpa, this.cacheTag, this.leafShift[level], table, 0, 0);
      level++;
    }
    // "When checking the U bit, the current privilege mode is always taken to be U-mode."
    const perm = (lo >>> 1) & (Perm.Read | Perm.Write | Perm.Execute | Perm.User);
    const allowed = implicit
      ? (perm & (Perm.Read | Perm.User)) === (Perm.Read | Perm.User) // an implicit load: U and R, no MXR
      : hlvx
        ? allowedUnchecked('riscv', executeAsRead(perm), Access.Read, Privilege.User, this.controls)
        : allowedUnchecked('riscv', perm, access, Privilege.User, this.controls);
    if (!allowed) return FaultReason.Protection;
    const size = this.leafSize[level];
    const pageBase = (hi & PPN) * TWO_POW_34 + (lo >>> 10) * 4096;
    if (pageOffset(pageBase, this.leafShift[level]) !== 0) return FaultReason.MisalignedSuperpage;
    if (pageBase > PHYSICAL_LIMIT - size) {
      this.failedAccess = null;
      return FaultReason.BusError;
    }
    const need = access === Access.Write ? A | D : A;
    if ((lo & need) !== need) {
      if (!this.controls.hardwareAD) return FaultReason.AccessedDirty;
      this.writes++;
      this.memory.write32(address, lo | need);
      lo |= need;
    }
    this.leafAddress = address;
    this.leafLow = lo;
    this.pageBase = pageBase;
    this.pageShift = this.leafShift[level];
    this.pageSize = size;
    this.perm = perm | ((lo & D) !== 0 ? Perm.Dirty : 0);
    return FaultReason.None;
  }
}
