/**
 * The x86 EPT walker: translates a guest-physical address through the
 * extended page tables an EPTP names (Intel SDM Vol. 3C §28.2.2 "EPT
 * Translation Mechanism", §29.3.2 in 2023+ editions), with EPT
 * misconfigurations (§28.2.3.1 / §29.3.3.1), EPT violations and their exit
 * qualification (§28.2.3.2 / §29.3.3.2, Table 27-7 / 28-7), accessed and dirty
 * flags for EPT (§28.2.4 / §29.3.5) and mode-based execute control.
 */

import { Access } from '../access.js';
import { InvalidArgumentError, PhysicalAccessError } from '../errors.js';
import type { Tlb } from '../../tlb/tlb.js';
import { Perm } from '../permissions.js';
import { requirePhysicalMemory, type PhysicalMemory } from '../physical-memory.js';
import { requireInteger, requireKnownKeys } from '../validate.js';
import { EptOutcome, EptPermission, EptQualification, EptWalkResult } from './ept-walk-result.js';

/** Bits of an EPT paging-structure entry (SDM Vol. 3C Tables 28-1 to 28-6 / 29-1 to 29-6), in its low 32-bit half. */
export const EPT_ENTRY = {
  /** Bit 0: reads allowed. */
  Read: 0x1,
  /** Bit 1: writes allowed. */
  Write: 0x2,
  /** Bit 2: instruction fetches allowed (supervisor-mode linear addresses only, with mode-based execute control). */
  Execute: 0x4,
  /** Bits 5:3 of an entry that maps a page: EPT memory type (0 UC, 1 WC, 4 WT, 5 WP, 6 WB; 2, 3, 7 reserved). Reserved in an entry that references a table. */
  MemoryTypeMask: 0x38,
  /** Bit 6 of an entry that maps a page: ignore the guest PAT memory type. Reserved in an entry that references a table. */
  IgnorePat: 0x40,
  /** Bit 7 of an EPT PDPTE or PDE: the entry maps a 1 GiB or 2 MiB page. Reserved in an EPT PML5E/PML4E, ignored in an EPT PTE. */
  LargePage: 0x80,
  /** Bit 8: accessed, when the EPTP enables EPT A/D flags (ignored otherwise). */
  Accessed: 0x100,
  /** Bit 9 of an entry that maps a page: dirty, when the EPTP enables EPT A/D flags (ignored otherwise). */
  Dirty: 0x200,
  /** Bit 10: fetches from user-mode linear addresses allowed, with mode-based execute control (ignored otherwise). */
  UserExecute: 0x400,
} as const;

/** Fields of the extended-page-table pointer (SDM Vol. 3C Table 24-8, "Format of Extended-Page-Table Pointer"). */
export const EPTP = {
  /** Bits 2:0 = 0: EPT paging structures are uncacheable (UC). */
  MemoryTypeUncacheable: 0,
  /** Bits 2:0 = 6: EPT paging structures are write-back (WB). */
  MemoryTypeWriteBack: 6,
  /** Bits 5:3 = 3: a page-walk length of 4 (4-level EPT, EPT PML4 table at bits 51:12). */
  WalkLength4: 3 << 3,
  /** Bits 5:3 = 4: a page-walk length of 5 (5-level EPT, EPT PML5 table at bits 51:12). */
  WalkLength5: 4 << 3,
  /** Bit 6: enable accessed and dirty flags for EPT. */
  AccessedDirty: 1 << 6,
} as const;

/** Bits a cached guest-physical mapping keeps beside its rights ({@link EptWalker.cache}): the leaf's D, and in `extra` the ignore-PAT bit above the memory type. */
const CACHED_DIRTY = 16;
const CACHED_IGNORE_PAT = 8;

/**
 * Where a guest-physical access comes from. Decides exit-qualification bits 7
 * and 8, and whether EPT A/D flags turn the access into a write.
 */
export const EptAccessOrigin = {
  /**
   * The access to the translation of a linear address, the data or code the
   * instruction touches (qualification bits 7 and 8 set). With guest paging
   * off (CR0.PG = 0) every linear address is itself the guest-physical address
   * and takes this origin too (SDM §28.2.3.3).
   */
  Final: 0,
  /**
   * A read of a guest paging-structure entry, or the write of its A/D flag,
   * while translating a linear address (bit 7 set, bit 8 clear). With EPT A/D
   * flags enabled the access is treated as a write (§28.2.3.2).
   */
  GuestPagingStructure: 1,
  /**
   * An access with no linear address: the load of the PAE PDPTEs by MOV to CR
   * (bit 7 clear). Treated as a read even with EPT A/D flags enabled (§28.2.3.2).
   */
  NoLinearAddress: 2,
} as const;

/** One of the {@link EptAccessOrigin} values. */
export type EptAccessOrigin = (typeof EptAccessOrigin)[keyof typeof EptAccessOrigin];

/** Options of {@link EptWalker}: the VMX capabilities and controls the walk depends on. */
export interface EptWalkerOptions {
  /**
   * MAXPHYADDR, an integer in [32, 52]; default 52. Entry bits 51:MAXPHYADDR
   * are reserved (a misconfiguration), and so are EPTP bits 63:MAXPHYADDR.
   */
  maxPhysicalAddressBits?: number;
  /** IA32_VMX_EPT_VPID_CAP bit 0: execute-only entries (bits 2:0 = 100b) are allowed; default true. When false they are misconfigurations. */
  executeOnly?: boolean;
  /** IA32_VMX_EPT_VPID_CAP bit 7: a page-walk length of 5 is allowed in the EPTP; default true. */
  fiveLevel?: boolean;
  /** IA32_VMX_EPT_VPID_CAP bit 17: an EPT PDPTE may map a 1 GiB page; default true. When false, bit 7 of an EPT PDPTE is reserved. */
  gigabytePages?: boolean;
  /** IA32_VMX_EPT_VPID_CAP bit 21: EPTP bit 6 (EPT A/D flags) may be set; default true. */
  accessedDirty?: boolean;
  /** IA32_VMX_EPT_VPID_CAP bit 22: exit-qualification bits 9–11 are reported for final-translation violations; default false. */
  advancedExitInformation?: boolean;
  /** Secondary processor-based VM-execution control bit 22, "mode-based execute control for EPT"; default false. */
  modeBasedExecute?: boolean;
  /** An EPTP to load now (see {@link EptWalker.setEptp}); without one, load it before the first walk. */
  eptp?: bigint | number;
}

const OPTION_KEYS = ['maxPhysicalAddressBits', 'executeOnly', 'fiveLevel', 'gigabytePages', 'accessedDirty', 'advancedExitInformation', 'modeBasedExecute', 'eptp'];
const TWO_POW_32 = 2 ** 32;
/** Guest-physical addresses are architecturally limited to 52 bits (SDM §29.3.2). */
const GPA_LIMIT = 2 ** 52;
/** Guest linear addresses are below 2^57 (5-level paging; mmukit writes the upper canonical half as 48- or 57-bit numbers). */
const LINEAR_LIMIT = 2 ** 57;
/** Every {@link Perm} bit. */
const PERM_BITS = 63;
/** Entry bits 31:12 of the low half. */
const FRAME_LOW = 0xffff_f000;
/** Entry bits 51:32 in the high half. */
const FRAME_HIGH = 0xf_ffff;
/** Bits 6:3 of an entry that references a table: reserved (bit 7 is 0 there, or is itself reserved). */
const TABLE_RESERVED_LOW = 0x78;
/** The three reserved EPT memory types, as a bit set over values 0–7: 2, 3 and 7. */
const RESERVED_MEMORY_TYPES = (1 << 2) | (1 << 3) | (1 << 7);
const { Read: R, Write: W, Execute: X, UserExecute: UX } = EptPermission;
const { Accessed: A, Dirty: D, LargePage: PS, UserExecute: ENTRY_UX } = EPT_ENTRY;

/**
 * Walks the EPT paging structures for one guest-physical address, in the
 * manual's order, and reports the host-physical address or the EPT event.
 *
 * What one walk checks, per entry read (the SDM's order):
 * - not present (bits 2:0 all 0 and, with mode-based execute control, bit 10
 *   clear) → violation; the rest of such an entry is ignored;
 * - misconfiguration: bits 2:0 = 010b or 110b (write without read);
 *   execute-only (no read, no write: bits 2:0 = 100b, or with mode-based
 *   execute control only bit 10) when {@link EptWalkerOptions.executeOnly} is
 *   false; bits 51:MAXPHYADDR set; bits 6:3 set in an entry that references a
 *   table; bit 7 in an EPT PML5E/PML4E (or an EPT PDPTE without 1 GiB pages);
 *   bits 29:12 of a 1 GiB or 20:12 of a 2 MiB page entry; a leaf memory type
 *   of 2, 3 or 7.
 *
 * Then the access against the AND of the entries' rights → violation when not
 * allowed. A misconfiguration anywhere on the walk wins over a missing right
 * at a level above it: the SDM defines a violation only for a translation
 * without a misconfiguration, and a walk that meets one does not complete.
 * Bits 63:52 (suppress-#VE, SPP, shadow-stack and guest-paging-verification
 * bits) are ignored: those features are not modelled.
 *
 * A/D (EPTP bit 6): only a translation that allows its access sets A in every
 * entry used and, for a write, D in the leaf. A guest paging-structure access
 * counts as a write ({@link EptAccessOrigin.GuestPagingStructure}).
 *
 * 4-level EPT uses guest-physical bits 47:0 only, and 5-level bits 56:0 (SDM
 * §29.3.2): with a 4-level EPTP, bits 51:48 of a guest-physical address are
 * not looked at, so such an address aliases one below 2^48, as the SDM words it.
 *
 * @example
 * ```ts
 * const memory = new PhysicalMemory({ size: 1 << 20 });
 * // EPT PML4 at 0x1000 → PDPT 0x2000 → PD 0x3000 → PT 0x4000, mapping GPA 0x5000 to HPA 0x8000 (RWX, WB).
 * memory.write32(0x1000, 0x2007); memory.write32(0x2000, 0x3007); memory.write32(0x3000, 0x4007);
 * memory.write32(0x4000 + 5 * 8, 0x8000 | 0x37);
 * const ept = new EptWalker(memory, { eptp: 0x1000 | EPTP.WalkLength4 | EPTP.MemoryTypeWriteBack | EPTP.AccessedDirty });
 * const out = new EptWalkResult();
 * ept.walk(0x5123, Access.Write, EptAccessOrigin.Final, 0x40_0123, 0, out);
 * out.ok;           // true
 * out.hostAddress;  // 0x8123
 * out.entryReads;   // 4
 * out.entryWrites;  // 4: A in every entry, D in the EPT PTE
 * ```
 */
export class EptWalker {
  /** MAXPHYADDR used for reserved-bit checks. */
  readonly maxPhysicalAddressBits: number;
  /** Execute-only entries are supported. */
  readonly executeOnly: boolean;
  /** 5-level EPT is supported. */
  readonly fiveLevel: boolean;
  /** 1 GiB EPT pages are supported. */
  readonly gigabytePages: boolean;
  /** EPT A/D flags are supported (EPTP bit 6 may be set). */
  readonly accessedDirtySupported: boolean;
  /** Exit-qualification bits 9–11 are reported. */
  readonly advancedExitInformation: boolean;
  /** Mode-based execute control for EPT is on. */
  readonly modeBasedExecute: boolean;

  private readonly memory: PhysicalMemory;
  /** Entry bits 51:MAXPHYADDR as a mask of the high half. */
  private readonly reservedHigh: number;
  /** The loaded EPTP; -1n before the first {@link EptWalker.setEptp}. */
  private eptpValue = -1n;
  /** Physical address of the top EPT table (the EPTP's bits 51:12). */
  private root = 0;
  /** 4 or 5; 0 before an EPTP is loaded. */
  private levels = 0;
  /** EPTP bit 6. */
  private adEnabled = false;
  /** Per level index (0 = the EPTP's table), for the loaded walk length: `2^-indexShift`. */
  private readonly indexScale = new Float64Array(5);
  /** Per level: the page shift a leaf there maps (30, 21, 12), or 0 where bit 7 is reserved. */
  private readonly largeShift = new Int32Array(5);
  /** Scratch: host-physical address of each entry read by the current walk. */
  private readonly entryAt = new Float64Array(5);
  /** Scratch: low half of each entry read by the current walk. */
  private readonly entryLow = new Int32Array(5);
  /** Scratch: the current entry's high half, set by `readEntry`. */
  private high = 0;

  /**
   * A cache of guest-physical mappings (EPT leaves: guest-physical page → host-physical page with
   * the rights of every entry used and the leaf's D), what the SDM calls guest-physical mappings
   * in the TLBs; null (the default) for none: every translation walks. A hit answers an access the
   * rights allow; anything else walks, and a successful walk fills it. It holds the loaded EPTP's
   * translations only: whoever loads another EPTP or changes the EPT tables drops it (INVEPT). @internal
   */
  cache: Tlb | null = null;
  /**
   * EPT paging-structure caches, one per level above the last (index = level): a guest-physical
   * region of that level's size → the next table and the rights of the entries down to it; null
   * (the default) for none. Filled by successful walks; whoever loads another EPTP or changes the
   * EPT tables drops them (INVEPT). They must fit the loaded EPTP's walk length. @internal
   */
  walkCaches: (Tlb | null)[] | null = null;
  /** Scratch: the next table's address named by the entry read at each level. */
  private readonly nextTableAt = new Float64Array(5);

  /**
   * @param memory - physical memory holding the EPT paging structures.
   * @param options - see {@link EptWalkerOptions}.
   * @throws {@link InvalidArgumentError} for a bad option or an invalid `eptp`.
   */
  constructor(memory: PhysicalMemory, options: EptWalkerOptions = {}) {
    requirePhysicalMemory(memory);
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
    requireKnownKeys(options, OPTION_KEYS, 'EptWalkerOptions');
    this.memory = memory;
    this.maxPhysicalAddressBits = requireInteger(options.maxPhysicalAddressBits ?? 52, 'maxPhysicalAddressBits', 32, 52);
    this.executeOnly = flag(options.executeOnly, true, 'executeOnly');
    this.fiveLevel = flag(options.fiveLevel, true, 'fiveLevel');
    this.gigabytePages = flag(options.gigabytePages, true, 'gigabytePages');
    this.accessedDirtySupported = flag(options.accessedDirty, true, 'accessedDirty');
    this.advancedExitInformation = flag(options.advancedExitInformation, false, 'advancedExitInformation');
    this.modeBasedExecute = flag(options.modeBasedExecute, false, 'modeBasedExecute');
    this.reservedHigh = FRAME_HIGH & ~((1 << (this.maxPhysicalAddressBits - 32)) - 1);
    if (options.eptp !== undefined) this.setEptp(options.eptp);
  }

  /** The loaded EPTP, or null before one is loaded. */
  get eptp(): bigint | null {
    return this.eptpValue < 0n ? null : this.eptpValue;
  }

  /** The EPT page-walk length of the loaded EPTP: 4 or 5 (0 before one is loaded). */
  get walkLength(): number {
    return this.levels;
  }

  /** Whether the loaded EPTP enables accessed and dirty flags for EPT (bit 6). */
  get accessedDirtyEnabled(): boolean {
    return this.adEnabled;
  }

  /**
   * The EP4TA (EPTRTA in newer editions): bits 51:12 of the loaded EPTP, the
   * address of the top EPT table. Cached guest-physical and combined mappings
   * are tagged with it, and single-context INVEPT selects by it (SDM §28.3.1).
   */
  get rootAddress(): number {
    return this.root;
  }

  /**
   * Loads an EPTP (a VMCS write of the EPT-pointer field followed by VM entry).
   * Validates it as VM entry does (SDM §26.2.1.1): memory type (bits 2:0) UC
   * (0) or WB (6); page-walk length − 1 (bits 5:3) 3, or 4 with
   * {@link EptWalkerOptions.fiveLevel}; bit 6 only with
   * {@link EptWalkerOptions.accessedDirty}; bit 7 (supervisor shadow-stack
   * control) 0, as CET is not modelled; bits 11:8 and 63:MAXPHYADDR 0. The
   * same checks decide whether a single-context INVEPT fails.
   *
   * @param eptp - the 64-bit EPTP, a bigint, or a number for values below 2^53.
   * @throws {@link InvalidArgumentError} naming the first check that fails (where VM entry fails).
   */
  setEptp(eptp: bigint | number): void {
    const value = typeof eptp === 'bigint' ? eptp : BigInt(requireInteger(eptp, 'eptp'));
    if (value < 0n || value >= 1n << 64n) throw new InvalidArgumentError(`the EPTP must be a 64-bit unsigned value, got ${String(eptp)}`);
    const memoryType = Number(value & 7n);
    if (memoryType !== EPTP.MemoryTypeUncacheable && memoryType !== EPTP.MemoryTypeWriteBack) {
      throw new InvalidArgumentError(`EPTP bits 2:0 (paging-structure memory type) must be 0 (UC) or 6 (WB), got ${memoryType}`);
    }
    const walkLength = Number((value >> 3n) & 7n) + 1;
    if (walkLength !== 4 && !(walkLength === 5 && this.fiveLevel)) {
      throw new InvalidArgumentError(`EPTP bits 5:3 (page-walk length − 1) must be 3${this.fiveLevel ? ' or 4' : ''}, got ${walkLength - 1}`);
    }
    const ad = (value & BigInt(EPTP.AccessedDirty)) !== 0n;
    if (ad && !this.accessedDirtySupported) throw new InvalidArgumentError('EPTP bit 6 (accessed and dirty flags) set, but the processor does not support them');
    if ((value & 0x80n) !== 0n) throw new InvalidArgumentError('EPTP bit 7 (supervisor shadow-stack control) set: not supported');
    if ((value & 0xf00n) !== 0n) throw new InvalidArgumentError('EPTP bits 11:8 are reserved and must be 0');
    if (value >> BigInt(this.maxPhysicalAddressBits) !== 0n) {
      throw new InvalidArgumentError(`EPTP bits 63:${this.maxPhysicalAddressBits} are reserved (beyond MAXPHYADDR) and must be 0`);
    }
    this.eptpValue = value;
    this.root = Number(value & 0xf_ffff_ffff_f000n);
    this.levels = walkLength;
    this.adEnabled = ad;
    for (let level = 0; level < walkLength; level++) {
      const shift = 12 + 9 * (walkLength - 1 - level);
      this.indexScale[level] = 2 ** -shift;
      // Bit 7 maps a page in an EPT PDE (2 MiB) and, when supported, an EPT PDPTE (1 GiB); it is reserved above.
      this.largeShift[level] = shift === 21 || (shift === 30 && this.gigabytePages) ? shift : 0;
    }
  }

  /**
   * Translates one guest-physical address for one access. Never throws for
   * guest-controlled data: every EPT event is reported in `out`.
   *
   * @param gpa - guest-physical address, an integer below 2^52.
   * @param access - read, write or execute. A guest A/D-flag update is a write.
   * @param origin - where the access comes from ({@link EptAccessOrigin}).
   * @param linearAddress - the guest linear address of the access (reported when qualification bit 7 is set).
   * @param guestPerm - {@link Perm} bits of the guest translation, for a final access: `Perm.User` makes a
   *   fetch a user-mode one (mode-based execute control) and, with advanced exit information, `Perm.Write`
   *   and `Perm.Execute` fill qualification bits 10 and 11. 0 for other origins.
   * @param out - receives the outcome; reset first.
   * @throws {@link InvalidArgumentError} when no EPTP is loaded or an argument is bad: `gpa` not an
   *   integer below 2^52, `access` not an {@link Access}, `origin` not an {@link EptAccessOrigin},
   *   `linearAddress` not an integer below 2^57, `guestPerm` not {@link Perm} bits, `out` not an
   *   {@link EptWalkResult}. Nothing is read or written then.
   */
  walk(gpa: number, access: Access, origin: EptAccessOrigin, linearAddress: number, guestPerm: number, out: EptWalkResult): void {
    // The caller's arguments (not guest data): one cheap test, as TableWalker.walk does. The
    // two-dimensional walker, whose arguments are checked once per walk, calls walkUnchecked.
    if (
      !(
        typeof gpa === 'number' && gpa >= 0 && gpa < GPA_LIMIT && Math.floor(gpa) === gpa &&
        (access === 0 || access === 1 || access === 2) &&
        (origin === 0 || origin === 1 || origin === 2) &&
        typeof linearAddress === 'number' && linearAddress >= 0 && linearAddress < LINEAR_LIMIT && Math.floor(linearAddress) === linearAddress &&
        typeof guestPerm === 'number' && (guestPerm & PERM_BITS) === guestPerm &&
        out instanceof EptWalkResult
      )
    ) {
      throw new InvalidArgumentError(
        `EPT walk needs a guest-physical address below 2^52, an Access, an EptAccessOrigin, a linear address below 2^57, Perm bits and an EptWalkResult, got ${String(gpa)}, ${String(access)}, ${String(origin)}, ${String(linearAddress)}, ${String(guestPerm)}, ${describe(out)}`,
      );
    }
    if (this.levels === 0) throw new InvalidArgumentError('no EPTP loaded: call setEptp first');
    this.walkUnchecked(gpa, access, origin, linearAddress, guestPerm, out);
  }

  /**
   * {@link EptWalker.walk} without the argument checks, for a caller that made them (the
   * two-dimensional walker, several times per walk): an EPTP is loaded, `gpa`, `linearAddress`
   * and `guestPerm` are in range, and `out` is an {@link EptWalkResult}.
   * @internal
   */
  walkUnchecked(gpa: number, access: Access, origin: EptAccessOrigin, linearAddress: number, guestPerm: number, out: EptWalkResult): void {
    out.reset();
    out.guestPhysicalAddress = gpa;
    out.guestLinearAddress = origin === EptAccessOrigin.NoLinearAddress ? 0 : linearAddress;
    const cache = this.cache;
    if (cache !== null && this.fromCache(cache, gpa, access, origin, guestPerm, out)) return;
    try {
      this.translate(gpa, access, origin, guestPerm, out);
      if (out.ok && cache !== null) {
        cache.insertUnchecked(gpa, 0, out.pageShift, out.pageBase, out.permissions | (out.dirty ? CACHED_DIRTY : 0), out.memoryType | (out.ignorePat ? CACHED_IGNORE_PAT : 0));
      }
    } catch (e) {
      if (!(e instanceof PhysicalAccessError)) throw e;
      out.ok = false;
      out.outcome = EptOutcome.BusError;
      out.pageTableAccess = e.write ? 'write' : 'read';
    }
  }

  /**
   * Answers a translation from {@link EptWalker.cache} when a cached leaf allows it (a write, or a
   * guest paging-structure access with EPT A/D flags on, also needs the leaf's D already set):
   * fills `out` as the walk would, with no entry read, and returns true. Otherwise false: walk.
   */
  private fromCache(cache: Tlb, gpa: number, access: Access, origin: EptAccessOrigin, guestPerm: number, out: EptWalkResult): boolean {
    const e = cache.lookup(gpa, 0);
    if (e < 0) return false;
    const cached = cache.perm[e];
    const write = access === Access.Write || (this.adEnabled && origin === EptAccessOrigin.GuestPagingStructure);
    const needed = access === Access.Execute ? (this.modeBasedExecute && (guestPerm & Perm.User) !== 0 ? UX : X) : write ? W : R;
    if ((cached & needed) !== needed || (write && (cached & CACHED_DIRTY) === 0)) return false;
    const shift = cache.pageShift[e];
    const pageBase = cache.pageBase[e];
    const extra = cache.extra[e];
    out.ok = true;
    out.pageBase = pageBase;
    out.pageShift = shift;
    out.hostAddress = pageBase + (shift <= 30 ? gpa & (2 ** shift - 1) : gpa % 2 ** shift);
    out.permissions = cached & (R | W | X | UX);
    out.memoryType = extra & 7;
    out.ignorePat = (extra & CACHED_IGNORE_PAT) !== 0;
    out.dirty = (cached & CACHED_DIRTY) !== 0;
    out.level = this.levels - 1 - (shift - 12) / 9;
    out.cacheHits = 1;
    return true;
  }

  /** The walk proper, from the EPTP's table to a leaf or an EPT event; see the class description. */
  private translate(gpa: number, access: Access, origin: EptAccessOrigin, guestPerm: number, out: EptWalkResult): void {
    const mbec = this.modeBasedExecute;
    const ad = this.adEnabled;
    // §28.2.3.2: with EPT A/D flags on, guest paging-structure accesses are writes as far as EPT is concerned.
    const write = access === Access.Write || (ad && origin === EptAccessOrigin.GuestPagingStructure);
    const needed = access === Access.Execute ? (mbec && (guestPerm & Perm.User) !== 0 ? UX : X) : write ? W : R;
    const last = this.levels - 1;
    const entryLow = this.entryLow;
    let table = this.root;
    let level = 0;
    let rights = mbec ? R | W | X | UX : R | W | X;
    let misconfigured = false;
    let lo = 0;
    let hi = 0;
    let leafShift = 12;
    const walkCaches = this.walkCaches;
    if (walkCaches !== null) {
      // The deepest cached non-leaf entry: resume in the table it names, with the rights of the entries above.
      for (let cached = last - 1; cached >= 0; cached--) {
        const cache = walkCaches[cached];
        if (cache === null) continue;
        const e = cache.lookup(gpa, 0);
        if (e < 0) continue;
        table = cache.pageBase[e];
        rights &= cache.perm[e];
        // Their accessed flags were set by the walk that cached them: nothing to write back for those levels.
        for (let l = 0; l <= cached; l++) entryLow[l] = A;
        level = cached + 1;
        out.cacheHits++;
        break;
      }
    }
    const firstRead = level;
    const rightsAbove = rights;
    for (;;) {
      lo = this.readEntry(out, level, table + ((gpa * this.indexScale[level]) & 511) * 8);
      hi = this.high;
      const entryRights = (lo & 7) | (mbec && (lo & ENTRY_UX) !== 0 ? UX : 0);
      rights &= entryRights;
      if (entryRights === 0) break; // not present: bits 62:3 ignored
      if ((entryRights & (R | W)) === W || ((entryRights & (R | W)) === 0 && !this.executeOnly) || (hi & this.reservedHigh) !== 0) {
        misconfigured = true;
        break;
      }
      // An EPT PTE always maps a page (its bit 7 is ignored); above it, bit 7 decides.
      if (level === last || (lo & PS) !== 0) {
        if (level !== last) {
          leafShift = this.largeShift[level];
          // Bit 7 reserved here (PML5E, PML4E, PDPTE without 1 GiB pages), or address bits below the page size set.
          if (leafShift === 0 || (lo & ((2 ** leafShift - 1) & ~0xfff)) !== 0) misconfigured = true;
        }
        if (((RESERVED_MEMORY_TYPES >>> ((lo >>> 3) & 7)) & 1) !== 0) misconfigured = true;
        break;
      }
      if ((lo & TABLE_RESERVED_LOW) !== 0) {
        misconfigured = true;
        break;
      }
      table = (hi & FRAME_HIGH) * TWO_POW_32 + ((lo & FRAME_LOW) >>> 0);
      this.nextTableAt[level] = table;
      level++;
    }
    out.level = level;
    out.entryAddress = this.entryAt[level];
    out.entryReads = level + 1 - firstRead;
    out.permissions = rights;
    if (misconfigured) {
      out.outcome = EptOutcome.Misconfiguration;
      return;
    }
    if ((rights & needed) !== needed) {
      out.outcome = EptOutcome.Violation;
      out.exitQualification = this.qualification(access, origin, rights, guestPerm);
      return;
    }

    if (ad) {
      // §28.2.4: A in every entry used, D in the leaf for a write (a guest paging-structure access included).
      for (let l = 0; l < level; l++) if ((entryLow[l] & A) === 0) this.setEntryBits(out, l, A);
      this.setEntryBits(out, level, write ? A | D : A);
      out.entryAddress = this.entryAt[level]; // the leaf again (a write-back names the entry it writes, for a bus error)
    }
    const size = 2 ** leafShift;
    const pageBase = (hi & FRAME_HIGH) * TWO_POW_32 + ((lo & FRAME_LOW & ~(size - 1)) >>> 0);
    out.ok = true;
    out.pageBase = pageBase;
    out.pageShift = leafShift;
    out.hostAddress = pageBase + (gpa & (size - 1));
    out.memoryType = (lo >>> 3) & 7;
    out.ignorePat = (lo & EPT_ENTRY.IgnorePat) !== 0;
    out.dirty = !ad || write || (lo & D) !== 0;
    // The non-leaf entries read are cached once the walk has succeeded (and set their accessed flags).
    if (walkCaches !== null) {
      let upper = rightsAbove;
      for (let l = firstRead; l < level; l++) {
        upper &= (entryLow[l] & 7) | (mbec && (entryLow[l] & ENTRY_UX) !== 0 ? UX : 0);
        walkCaches[l]?.insertUnchecked(gpa, 0, 12 + 9 * (last - l), this.nextTableAt[l], upper, 0);
      }
    }
  }

  /** The exit qualification of a violation (Table 27-7 / 28-7), bits 0–11. */
  private qualification(access: Access, origin: EptAccessOrigin, rights: number, guestPerm: number): number {
    const { DataRead, DataWrite, InstructionFetch } = EptQualification;
    let q: number;
    // SDM: a guest paging-structure access treated as a write (EPT A/D on) sets both bit 0 and bit 1.
    if (origin === EptAccessOrigin.GuestPagingStructure && this.adEnabled) q = DataRead | DataWrite;
    else q = access === Access.Read ? DataRead : access === Access.Write ? DataWrite : InstructionFetch;
    q |= rights << 3; // bits 3–6: R, W, X and (mode-based execute control only) UX
    if (origin !== EptAccessOrigin.NoLinearAddress) {
      q |= EptQualification.LinearAddressValid;
      if (origin === EptAccessOrigin.Final) {
        q |= EptQualification.FinalTranslation;
        if (this.advancedExitInformation) {
          if ((guestPerm & Perm.User) !== 0) q |= EptQualification.UserModeLinearAddress;
          if ((guestPerm & Perm.Write) !== 0) q |= EptQualification.WritableLinearAddress;
          if ((guestPerm & Perm.Execute) === 0) q |= EptQualification.ExecuteDisabledLinearAddress;
        }
      }
    }
    return q;
  }

  /**
   * Reads the 8-byte entry at `address` for `level`: returns its low half,
   * leaves the high half in `high`, and keeps the address and low half for the
   * A/D write-back. RAM is read from its DataView; anything else through the
   * address map (a bus error throws `PhysicalAccessError`).
   */
  private readEntry(out: EptWalkResult, level: number, address: number): number {
    this.entryAt[level] = address;
    const memory = this.memory;
    const o = address - memory.ramBase;
    let low: number;
    if (o >= 0 && o <= memory.ramSize - 8) {
      this.high = memory.view.getUint32(o + 4, true) | 0;
      low = memory.view.getUint32(o, true) | 0;
    } else {
      // Record the entry first, so that a bus error names it.
      out.level = level;
      out.entryAddress = address;
      out.entryReads = level + 1;
      this.high = memory.read32(address + 4) | 0;
      low = memory.read32(address) | 0;
    }
    this.entryLow[level] = low;
    return low;
  }

  /** Sets `bits` (A, D: low half) in the entry read at `level` if any is clear, counting a write. */
  private setEntryBits(out: EptWalkResult, level: number, bits: number): void {
    const low = this.entryLow[level];
    if ((low & bits) === bits) return;
    out.entryAddress = this.entryAt[level];
    out.entryWrites++;
    this.memory.write32(this.entryAt[level], low | bits);
    this.entryLow[level] = low | bits;
  }
}

/** A value named in an error message: its class, or its type. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return (value as object).constructor?.name ?? 'an object';
}

/** Checks an optional boolean option. */
function flag(value: unknown, fallback: boolean, what: string): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InvalidArgumentError(`${what} must be a boolean, got ${typeof value}`);
  return value;
}
