/**
 * The x86 hardware page walker: 32-bit, PAE, 4-level and 5-level paging
 * (Intel SDM Vol. 3A §4.3–§4.5), access rights (§4.6), page-fault causes
 * (§4.7), accessed and dirty flags (§4.8), paging-structure caches (§4.10.3).
 */

import { Access, type TranslatedPrivilege } from '../access.js';
import type { ControlState } from '../controls.js';
import { InvalidArgumentError } from '../errors.js';
import { FaultReason } from '../fault-reason.js';
import { requireFormat, type PageTableFormat } from '../formats/format.js';
import { X86_PTE, X86_PTE_XD_HIGH } from '../formats/x86.js';
import { Perm, allowedUnchecked } from '../permissions.js';
import type { PhysicalMemory } from '../physical-memory.js';
import { requireInteger, requireKnownKeys } from '../validate.js';
import type { WalkCacheConfig } from '../walk-cache.js';
import type { WalkResult } from '../walk-result.js';
import { TableWalker } from './table-walker.js';

/** Options of {@link X86Walker}. */
export interface X86WalkerOptions {
  /** Paging-structure caches: omitted for the format's default, null for none. */
  walkCache?: WalkCacheConfig | null;
  /**
   * MAXPHYADDR, the processor's physical-address width (CPUID 80000008H:EAX[7:0]),
   * an integer in [32, 52]; default 52, the architectural maximum, so that no
   * address a guest can build is rejected. Entry bits 51:MAXPHYADDR are
   * reserved (RSVD page fault); real cores report 39–52 (46 on many Intel
   * server parts): set it to the value your emulated CPUID reports. 32-bit
   * paging uses min(MAXPHYADDR, 40) for PSE-36 4 MiB pages (Table 4-4).
   */
  maxPhysicalAddressBits?: number;
}

const { P, RW, US, A, D, PS, G, PAT_4K, PAT_LARGE } = X86_PTE;
/** Accumulated-flags bit meaning "some entry had XD = 1" (R/W and U/S keep their PTE positions). */
const XD_SEEN = 0x100;
const TWO_POW_32 = 2 ** 32;
/** Address bits 31:12 of an entry's low half. */
const FRAME_LOW = 0xffff_f000;
/** Address bits 51:32 of an 8-byte entry's high half. */
const FRAME_HIGH = 0xf_ffff;
/** PAE PDPTE bits 2:1 and 8:5, reserved (Table 4-8). */
const PAE_PDPTE_RESERVED_LOW = 0x1e6;

/**
 * Walks x86 page tables in the manual's order. Per walk: P = 0 → `NotPresent`;
 * a reserved bit set in a present entry → `ReservedBit` (bits 51:MAXPHYADDR;
 * XD while EFER.NXE = 0; PS in a PML5E/PML4E; bits 29:13 of a 1 GiB and 20:13
 * of a 2 MiB page entry; bit 21 and PSE-36 bits at or above MAXPHYADDR of a
 * 4 MiB page; PAE: bits 62:MAXPHYADDR, and PDPTE bits 2:1, 8:5, 63:MAXPHYADDR);
 * access rights accumulated over the levels (R/W and U/S ANDed, XD ORed)
 * checked by {@link accessAllowed} → `Protection` at the leaf. Only an
 * allowed access sets A in every entry it used and D in the leaf on a write.
 *
 * Simplifications: PAE PDPTEs are read during the walk rather than loaded into
 * the PDPTE registers at MOV CR3 (so a bad PDPTE faults at the access, as a
 * page fault, instead of `#GP` at MOV CR3); 1 GiB pages are always supported;
 * protection keys (bits 62:59) are ignored, as with CR4.PKE = 0.
 *
 * @example
 * ```ts
 * const memory = new PhysicalMemory({ size: 1 << 20 });
 * const tables = new PageTableBuilder(memory, X86_64, new FrameAllocator(memory));
 * tables.map(0x40_1000, 0x8000, { user: true, writable: true });
 * const cr3 = tables.root | 0x18;           // PWT and PCD bits in CR3: not part of the address
 * const walker = new X86Walker(X86_64, memory, defaultControls(), { maxPhysicalAddressBits: 46 });
 * const out = new WalkResult();
 * walker.walk(0x40_1000, Access.Write, Privilege.User, cr3 & ~0xfff, 0, out);
 * out.ok;                                   // true
 * out.pageBase;                             // 0x8000
 * out.pteWrites;                            // 4: A in every entry used, and D in the PTE
 * walker.walk(0x40_2000, Access.Read, Privilege.User, cr3 & ~0xfff, 0, out);
 * faultReasonName(out.faultReason);         // 'NotPresent'
 * out.level;                                // 3: the PTE was not present
 * ```
 */
export class X86Walker extends TableWalker {
  /** MAXPHYADDR used for reserved-bit checks. */
  readonly maxPhysicalAddressBits: number;
  /** Reserved bits of the low half of a present entry referencing a table or mapping a 4 KiB page, per level. */
  private readonly reservedLow: Int32Array;
  /** Reserved bits of the high half of such an entry (XD excluded: it depends on EFER.NXE). */
  private readonly reservedHigh: Int32Array;
  /** Reserved low-half bits of an entry with PS = 1 that maps a large page, per level. */
  private readonly reservedLowLarge: Int32Array;
  /** Reserved high-half bits of an entry that maps a large page. */
  private readonly reservedHighLarge: Int32Array;
  /** Low-half mask of a large page's base address, per level. */
  private readonly largeFrameLow: Int32Array;
  /** 1 where PS = 1 maps a page (PDPTE, PDE). */
  private readonly psLevel: Uint8Array;
  /** 8-byte entries (PAE, 4/5-level). */
  private readonly wide: boolean;
  /** 32-bit paging: PS needs CR4.PSE, 4 MiB pages carry PSE-36 address bits. */
  private readonly paging32: boolean;
  /** PAE paging: level 0 is the PDPTE, which has no A, R/W, U/S or XD bit. */
  private readonly pae: boolean;
  /** CR4.PSE and EFER.NXE as the walk caches last saw them; a change flushes the caches. */
  private cachedControls = -1;

  /**
   * Precomputes the reserved-bit masks of every level for `maxPhysicalAddressBits`.
   *
   * @param format - an x86 format.
   * @param memory - physical memory holding the tables.
   * @param controls - control bits, read on every walk.
   * @param options - see {@link X86WalkerOptions}.
   * @throws {@link InvalidArgumentError} for a non-x86 format or a bad option.
   */
  constructor(format: PageTableFormat, memory: PhysicalMemory, controls: ControlState, options: X86WalkerOptions = {}) {
    requireFormat(format, 'x86');
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
    requireKnownKeys(options, ['walkCache', 'maxPhysicalAddressBits'], 'X86WalkerOptions');
    const maxPhysicalAddressBits = requireInteger(options.maxPhysicalAddressBits ?? 52, 'maxPhysicalAddressBits', 32, 52);
    super(format, memory, controls, options.walkCache, false);
    this.maxPhysicalAddressBits = maxPhysicalAddressBits;
    this.wide = format.pteSize === 8;
    this.paging32 = format.name === 'x86-32';
    this.pae = format.name === 'x86-pae';
    const n = format.levels.length;
    this.reservedLow = new Int32Array(n);
    this.reservedHigh = new Int32Array(n);
    this.reservedLowLarge = new Int32Array(n);
    this.reservedHighLarge = new Int32Array(n);
    this.largeFrameLow = new Int32Array(n);
    this.psLevel = new Uint8Array(n);

    const physicalHigh = (1 << (maxPhysicalAddressBits - 32)) - 1; // high-half bits below MAXPHYADDR
    for (let level = 0; level < n; level++) {
      const shift = this.leafShift[level];
      this.psLevel[level] = shift > 0 && level < n - 1 ? 1 : 0;
      this.largeFrameLow[level] = shift > 0 ? ~((2 ** shift - 1) | 0) : 0;
      if (this.paging32) {
        // Table 4-4: bits 21:(M-19) of a 4 MiB PDE, M = min(MAXPHYADDR, 40).
        const m = Math.min(maxPhysicalAddressBits, 40);
        this.reservedLowLarge[level] = ((1 << 22) - 1) & ~((1 << (m - 19)) - 1);
        continue;
      }
      // 4/5-level: bits 51:M reserved (Tables 4-14 to 4-20). PAE: bits 62:M (Tables 4-9 to 4-11), PDPTE 63:M (Table 4-8).
      const high = this.pae ? (level === 0 ? ~physicalHigh : 0x7fff_ffff & ~physicalHigh) : FRAME_HIGH & ~physicalHigh;
      this.reservedHigh[level] = high;
      this.reservedHighLarge[level] = high;
      if (this.pae && level === 0) this.reservedLow[level] = PAE_PDPTE_RESERVED_LOW;
      else if (!this.pae && shift === 0) this.reservedLow[level] = PS; // PML5E / PML4E
      if (shift > 0) this.reservedLowLarge[level] = ((2 ** shift - 1) | 0) & ~0x1fff; // between PAT (bit 12) and the address
    }
  }

  /** One walk in the SDM's order; see the class description. */
  protected translate(va: number, access: Access, privilege: TranslatedPrivilege, root: number, asid: number, out: WalkResult): void {
    const c = this.controls;
    const nxe = this.wide && c.nxe;
    const xdReserved = this.wide && !c.nxe ? X86_PTE_XD_HIGH : 0;
    const pse = c.pse || !this.paging32;
    const cache = this.walkCache;
    // PSE and NXE change how cached entries were decoded; real hardware flushes on such changes.
    const controlKey = (c.pse ? 1 : 0) | (c.nxe ? 2 : 0);
    if (cache !== null && controlKey !== this.cachedControls) {
      cache.invalidate(null, null);
      this.cachedControls = controlKey;
    }
    this.beginWalk(va, asid, root, RW | US, out);
    const start = this.startLevel;
    let level = start;
    let table = this.startTable;
    let flags = this.startFlags;
    let reason: FaultReason = FaultReason.None;
    let large = false;
    let lo: number;
    let hi: number;
    // The AND of the entries' A bits (PAE's PDPTE has none): when set, no A write-back is due above the leaf.
    let accessed = A;
    const psLevel = this.psLevel;
    const pae = this.pae;
    for (;;) {
      lo = this.readEntry(out, level, table);
      hi = this.high;
      if ((lo & P) === 0) {
        reason = FaultReason.NotPresent;
        break;
      }
      // §4.3: with CR4.PSE = 0, 32-bit paging ignores PS and the PDE references a page table.
      large = (lo & PS) !== 0 && psLevel[level] === 1 && pse;
      const reservedLow = large ? this.reservedLowLarge[level] : this.reservedLow[level];
      const reservedHigh = (large ? this.reservedHighLarge[level] : this.reservedHigh[level]) | xdReserved;
      if ((lo & reservedLow) !== 0 || (hi & reservedHigh) !== 0) {
        reason = FaultReason.ReservedBit;
        break;
      }
      if (!(pae && level === 0)) {
        flags &= lo | ~(RW | US);
        if ((hi & X86_PTE_XD_HIGH) !== 0) flags |= XD_SEEN;
        accessed &= lo;
      }
      this.accumulated[level] = flags;
      if (large || level === this.lastLevel) break;
      table = this.frameAddress(lo, hi);
      this.nextTable[level] = table;
      level++;
    }
    this.recordReads(out, level);

    if (reason === FaultReason.None) {
      let perm =
        Perm.Read | ((flags & RW) !== 0 ? Perm.Write : 0) | ((flags & US) !== 0 ? Perm.User : 0) | (nxe && (flags & XD_SEEN) !== 0 ? 0 : Perm.Execute);
      if (!allowedUnchecked('x86', perm, access, privilege, c)) {
        reason = FaultReason.Protection;
      } else {
        // §4.8: A in every entry used, D in the leaf for a write.
        if (accessed === 0) for (let l = start; l < level; l++) if (!(pae && l === 0)) this.setEntryBits(out, l, A);
        const write = access === Access.Write;
        this.setEntryBits(out, level, write ? A | D : A);
        if (write || (lo & D) !== 0) perm |= Perm.Dirty;
        this.succeed(out, level, large ? this.largePageBase(lo, hi, level) : this.frameAddress(lo, hi), large ? this.leafShift[level] : 12, perm);
        out.global = (lo & G) !== 0;
        out.memoryType = ((lo >>> 3) & 3) | ((lo & (large ? PAT_LARGE : PAT_4K)) !== 0 ? 4 : 0);
      }
    }

    if (cache !== null) {
      // §4.10.3.1: an entry is cached only with A = 1 in memory (and in every entry above it);
      // a successful walk has just set them, a faulting one set none.
      let to = start;
      while (to < level && (reason === FaultReason.None || (this.pae && to === 0) || (this.entryLow[to] & A) !== 0)) to++;
      this.fillWalkCache(va, asid, start, to);
    }
    if (reason !== FaultReason.None) this.fault(out, reason, level);
  }

  /** 4 KiB-aligned address in an entry: bits 51:12 (31:12 for 4-byte entries). */
  private frameAddress(lo: number, hi: number): number {
    return this.wide ? (hi & FRAME_HIGH) * TWO_POW_32 + ((lo & FRAME_LOW) >>> 0) : (lo & FRAME_LOW) >>> 0;
  }

  /** Base of the large page an entry with PS = 1 maps. */
  private largePageBase(lo: number, hi: number, level: number): number {
    if (this.paging32) return ((lo & 0xffc0_0000) >>> 0) + ((lo >>> 13) & 0xff) * TWO_POW_32; // PSE-36: bits 20:13 are PA 39:32
    return (hi & FRAME_HIGH) * TWO_POW_32 + ((lo & this.largeFrameLow[level]) >>> 0);
  }
}
