/**
 * The RISC-V hardware page walker for Sv32, Sv39, Sv48 and Sv57, with the
 * optional Svnapot and Svpbmt extensions and either A/D scheme (Svade or
 * Svadu), following the Privileged Architecture's "Virtual Address
 * Translation Process".
 */

import { Access, type TranslatedPrivilege } from '../access.js';
import type { ControlState } from '../controls.js';
import { InvalidArgumentError } from '../errors.js';
import { requireKnownKeys } from '../validate.js';
import { FaultReason } from '../fault-reason.js';
import { requireFormat, type PageTableFormat } from '../formats/format.js';
import { RISCV_PTE, RISCV_PTE_HIGH } from '../formats/riscv.js';
import { Perm, allowedUnchecked } from '../permissions.js';
import type { PhysicalMemory } from '../physical-memory.js';
import type { WalkCacheConfig } from '../walk-cache.js';
import { Pmp } from '../pmp.js';
import type { WalkResult } from '../walk-result.js';
import { TableWalker } from './table-walker.js';

/** Options of {@link RiscvWalker}. */
export interface RiscvWalkerOptions {
  /** Paging-structure (non-leaf PTE) caches: omitted for the format's default, null for none. */
  walkCache?: WalkCacheConfig | null;
  /** Implement Svpbmt: PBMT (bits 62:61) selects a memory type instead of being reserved. Sv39+ only; default false. */
  svpbmt?: boolean;
  /** Implement Svnapot: N (bit 63) marks a 64 KiB NAPOT page instead of being reserved. Sv39+ only; default false. */
  svnapot?: boolean;
  /** The hart's PMP: every page-table access is checked against it as an S-mode access (privileged spec §3.7.2). Default none. */
  pmp?: Pmp | null;
}

const { V, R, W, X, U, G, A, D } = RISCV_PTE;
const { PPN, RESERVED, PBMT, N } = RISCV_PTE_HIGH;
/** 2^34: PPN bit 22 (PTE bit 32) is physical-address bit 34. */
const TWO_POW_34 = 2 ** 34;
/** The largest page end no memory can lie beyond (physical addresses are below 2^53). */
const PHYSICAL_LIMIT = 2 ** 53;
/** PPN bits 3:0 of a 64 KiB NAPOT PTE. */
const NAPOT_64K = 0b1000;

/**
 * Walks RISC-V page tables in the order of the Privileged Architecture's
 * "Virtual Address Translation Process" (version 20240411):
 *
 * 1. read the PTE (a bus error is an access fault → `BusError`);
 * 2. V = 0 → `NotPresent`; W = 1 with R = 0, a reserved NAPOT encoding, or a
 *    pointer at the last level → `ReservedEncoding`; bits 60:54, N without
 *    Svnapot, PBMT without Svpbmt, PBMT = 3, or D, A, U, N or PBMT in a
 *    non-leaf PTE → `ReservedBit` (all page faults);
 * 3. at a leaf: R/W/X/U with SUM and MXR, via {@link accessAllowed} → `Protection`;
 * 4. a superpage whose low PPN fields are not zero → `MisalignedSuperpage`;
 * 5. A = 0, or D = 0 on a store: set them when `controls.hardwareAD` (Svadu),
 *    else → `AccessedDirty` (Svade) with memory unchanged.
 *
 * D, A and U in a non-leaf PTE are "reserved for future standard use" (§4.3.1,
 * and §4.4.1 for Sv39), and step 2 of the translation process (version 1.12 and
 * later) makes any reserved bit set in a PTE a page fault; Spike raises it too.
 * A G bit at any level makes the translation global. A leaf whose page would end above 2^53 (possible with Sv39+ 56-bit
 * PPNs) faults with `BusError` before A/D are touched: no memory can exist there.
 *
 * @example
 * ```ts
 * const memory = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000 });
 * const tables = new PageTableBuilder(memory, SV39, new FrameAllocator(memory));
 * tables.map(0x3f_ffff_f000, 0x8008_0000, { writable: true, accessed: true }); // D clear
 * const satpPpn = tables.root / 4096;
 * const controls = { ...defaultControls(), hardwareAD: false };             // Svade
 * const walker = new RiscvWalker(SV39, memory, controls, { svpbmt: true });
 * const out = new WalkResult();
 * walker.walk(0x3f_ffff_f000, Access.Write, Privilege.Supervisor, satpPpn * 4096, 1, out);
 * faultReasonName(out.faultReason); // 'AccessedDirty': a store page fault the OS resolves by setting D
 * controls.hardwareAD = true;       // Svadu: the walker sets D itself
 * walker.walk(0x3f_ffff_f000, Access.Write, Privilege.Supervisor, satpPpn * 4096, 1, out);
 * out.ok;                           // true
 * ```
 */
export class RiscvWalker extends TableWalker {
  /** Svpbmt implemented. */
  readonly svpbmt: boolean;
  /** Svnapot implemented. */
  readonly svnapot: boolean;
  /** High-half bits that are reserved in every PTE (60:54, plus N and PBMT without their extensions). */
  private readonly reservedHigh: number;
  /** Per level: PTE low-half bits holding the superpage's low PPN fields (must be zero). */
  private readonly misalignedLow: Int32Array;
  /** Per level: PTE high-half bits holding the superpage's low PPN fields. */
  private readonly misalignedHigh: Int32Array;

  /**
   * Precomputes the reserved-bit and superpage-alignment masks of every level.
   *
   * @param format - a RISC-V format.
   * @param memory - physical memory holding the tables.
   * @param controls - control bits, read on every walk.
   * @param options - see {@link RiscvWalkerOptions}.
   * @throws {@link InvalidArgumentError} for a non-RISC-V format, or Svpbmt / Svnapot with Sv32.
   */
  constructor(format: PageTableFormat, memory: PhysicalMemory, controls: ControlState, options: RiscvWalkerOptions = {}) {
    requireFormat(format, 'riscv');
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
    requireKnownKeys(options, ['walkCache', 'svpbmt', 'svnapot', 'pmp'], 'RiscvWalkerOptions');
    const pmp = options.pmp ?? null;
    if (pmp !== null && !(pmp instanceof Pmp)) throw new InvalidArgumentError('pmp must be a Pmp or null');
    const svpbmt = options.svpbmt ?? false;
    const svnapot = options.svnapot ?? false;
    if (typeof svpbmt !== 'boolean' || typeof svnapot !== 'boolean') throw new InvalidArgumentError('svpbmt and svnapot must be booleans');
    if (format.pteSize === 4 && (svpbmt || svnapot)) throw new InvalidArgumentError('Svpbmt and Svnapot need Sv39 or wider (Sv32 PTEs have no such bits)');
    super(format, memory, controls, options.walkCache, true);
    this.svpbmt = svpbmt;
    this.svnapot = svnapot;
    this.pmp = pmp !== null && pmp.implemented ? pmp : null;
    this.reservedHigh = (RESERVED | (svnapot ? 0 : N) | (svpbmt ? 0 : PBMT)) | 0;
    const n = format.levels.length;
    this.misalignedLow = new Int32Array(n);
    this.misalignedHigh = new Int32Array(n);
    for (let level = 0; level < n; level++) {
      const ppnBits = this.leafShift[level] - 12; // PPN bits the superpage offset covers: ppn[i-1:0]
      this.misalignedLow[level] = (((1 << Math.min(ppnBits, 22)) - 1) << 10) | 0;
      this.misalignedHigh[level] = ppnBits > 22 ? (1 << (ppnBits - 22)) - 1 : 0;
    }
  }

  /** One walk in the spec's order; see the class description. */
  protected translate(va: number, access: Access, privilege: TranslatedPrivilege, root: number, asid: number, out: WalkResult): void {
    this.beginWalk(va, asid, root, 0, out);
    const start = this.startLevel;
    let level = start;
    let table = this.startTable;
    let global = this.startFlags;
    let reason: FaultReason = FaultReason.None;
    let lo: number;
    let hi: number;
    for (;;) {
      lo = this.readEntry(out, level, table);
      hi = this.high;
      reason = this.invalidEntry(lo, hi, level);
      if (reason !== FaultReason.None) break;
      global |= lo & G;
      this.accumulated[level] = global;
      if ((lo & (R | X)) !== 0) break; // a leaf
      table = (hi & PPN) * TWO_POW_34 + (lo >>> 10) * 4096;
      this.nextTable[level] = table;
      level++;
    }
    this.recordReads(out, level);

    if (reason === FaultReason.None) reason = this.leaf(lo, hi, level, access, privilege, global !== 0, out);
    if (this.walkCache !== null) this.fillWalkCache(va, asid, start, level);
    if (reason !== FaultReason.None) this.fault(out, reason, level);
  }

  /** Step 3 and the pointer-at-the-last-level check of step 4: the fault a PTE causes on its own, or None. */
  private invalidEntry(lo: number, hi: number, level: number): FaultReason {
    if ((lo & V) === 0) return FaultReason.NotPresent;
    if ((lo & (R | W)) === W) return FaultReason.ReservedEncoding;
    if ((hi & this.reservedHigh) !== 0) return FaultReason.ReservedBit;
    if ((lo & (R | X)) === 0) {
      // Reserved in non-leaf PTEs: D, A and U (§4.3.1), N (Svnapot) and PBMT (Svpbmt).
      if ((lo & (D | A | U)) !== 0 || (hi & (N | PBMT)) !== 0) return FaultReason.ReservedBit;
      return level === this.lastLevel ? FaultReason.ReservedEncoding : FaultReason.None;
    }
    if ((hi & PBMT) === PBMT) return FaultReason.ReservedBit; // PBMT = 3
    if ((hi & N) !== 0 && (level !== this.lastLevel || ((lo >>> 10) & 0xf) !== NAPOT_64K)) return FaultReason.ReservedEncoding;
    return FaultReason.None;
  }

  /** Steps 5–8 for the leaf found at `level`: permissions, superpage alignment, A/D, result. */
  private leaf(lo: number, hi: number, level: number, access: Access, privilege: TranslatedPrivilege, global: boolean, out: WalkResult): FaultReason {
    const c = this.controls;
    let perm = (lo >>> 1) & (Perm.Read | Perm.Write | Perm.Execute | Perm.User); // R, W, X, U sit in PTE bits 1–4
    if (!allowedUnchecked('riscv', perm, access, privilege, c)) return FaultReason.Protection;
    if ((lo & this.misalignedLow[level]) !== 0 || (hi & this.misalignedHigh[level]) !== 0) return FaultReason.MisalignedSuperpage;
    const napot = (hi & N) !== 0;
    const pageShift = napot ? 16 : this.leafShift[level];
    const pageBase = (hi & PPN) * TWO_POW_34 + (napot ? (lo >>> 14) * 65536 : (lo >>> 10) * 4096);
    if (pageBase > PHYSICAL_LIMIT - (napot ? 65536 : this.leafSize[level])) return FaultReason.BusError;
    const write = access === Access.Write;
    const need = write ? A | D : A;
    if ((lo & need) !== need) {
      if (!c.hardwareAD) return FaultReason.AccessedDirty;
      this.setEntryBits(out, level, need);
    }
    if (write || (lo & D) !== 0) perm |= Perm.Dirty;
    this.succeed(out, level, pageBase, pageShift, perm);
    out.global = global;
    out.memoryType = (hi & PBMT) >>> 29;
    return FaultReason.None;
  }
}
