/**
 * The two-dimensional walk of an x86 guest under EPT (Intel SDM Vol. 3C
 * §28.2.3.3 / §29.3.3.3 "Prioritization of EPT Misconfigurations and EPT
 * Violations", which spells out the order of the accesses): guest
 * paging translates the linear address to a guest-physical address, and every
 * guest-physical address on the way (CR3's tables, each guest paging-structure
 * entry, the final address) is translated through EPT.
 */

import { Access, type TranslatedPrivilege } from '../access.js';
import type { ControlState } from '../controls.js';
import { InvalidArgumentError } from '../errors.js';
import { faultErrorCode, faultVector } from '../fault.js';
import { requireFormat, type PageTableFormat } from '../formats/format.js';
import { Perm } from '../permissions.js';
import { requirePhysicalMemory, type PhysicalMemory } from '../physical-memory.js';
import { requireKnownKeys } from '../validate.js';
import type { WalkResult } from '../walk-result.js';
import type { WalkCache, WalkCacheConfig } from '../walk-cache.js';
import { EptNestedWalkResult, EptPermission, EptWalkResult, NestedWalkStage } from './ept-walk-result.js';
import { EptAccessOrigin, EptWalker } from './ept-walker.js';
import { X86Walker } from './x86-walker.js';

/** Options of {@link EptNestedWalker}. */
export interface EptNestedWalkerOptions {
  /** The guest's MAXPHYADDR for guest reserved-bit checks, in [32, 52]; default 52. See {@link X86WalkerOptions.maxPhysicalAddressBits}. */
  maxPhysicalAddressBits?: number;
  /**
   * Paging-structure caches for the guest's own entries (see {@link WalkCacheConfig}); default
   * null: none, every walk reads every guest entry and translates its address through EPT. With
   * caches, a hit resumes the guest walk below the cached entry, whose next table's
   * guest-physical address still goes through EPT. Tag walks with `walk`'s `tag`.
   */
  walkCache?: WalkCacheConfig | null;
}

/**
 * Thrown inside a guest walk when an EPT translation of a guest
 * paging-structure entry fails: one frozen object, caught by
 * {@link EptNestedWalker.walk}, so an EPT exit allocates nothing.
 */
const EPT_EXIT = Object.freeze({ eptExit: true });
/** Guest-physical addresses are below 2^52 (SDM §29.3.2): the bound of a guest CR3. */
const GPA_LIMIT = 2 ** 52;

/**
 * The guest stage: the x86 walker itself, with its entry reads and A/D
 * write-backs sent through EPT. Every guest paging rule (levels, reserved
 * bits, access rights, A/D) stays the X86Walker's; only where an entry lives changes.
 * @internal Exported for saved states (its instances are MMU state).
 */
export class GuestWalkThroughEpt extends X86Walker {
  /** The linear address being walked (TableWalker keeps its own copy private). */
  linearAddress = 0;
  /** Memory references so far: guest entries read and EPT entries read for them. */
  memoryReferences = 0;
  /** EPT entries written back (EPT A/D flags) so far. */
  eptEntryWrites = 0;
  /** Set when an EPT translation of a guest entry's address failed (`eptOut` holds it). */
  eptFailed = false;
  /** Where this walk's EPT translations of guest entries go: the caller's result, so a failing one is already in place. */
  private eptOut: EptWalkResult;
  /** Scratch: host-physical address of the guest entry read at each level. */
  private readonly hostEntryAt: Float64Array;
  /** Scratch: whether EPT let that entry's page be written (for A/D updates with EPT A/D flags off). */
  private readonly entryWritable: Uint8Array;
  /** Bytes per guest entry. */
  private readonly entrySize: number;

  /** EPT translations of guest entries' addresses answered by the EPT cache so far. */
  eptCacheHits = 0;

  constructor(
    format: PageTableFormat,
    memory: PhysicalMemory,
    controls: ControlState,
    maxPhysicalAddressBits: number | undefined,
    private readonly ept: EptWalker,
    walkCache: WalkCacheConfig | null,
  ) {
    super(format, memory, controls, maxPhysicalAddressBits === undefined ? { walkCache } : { walkCache, maxPhysicalAddressBits });
    this.hostEntryAt = new Float64Array(format.levels.length);
    this.entryWritable = new Uint8Array(format.levels.length);
    this.entrySize = format.pteSize;
    this.eptOut = new EptWalkResult();
  }

  /** Prepares the counters for a walk of `va` whose EPT walks report into `eptOut`. */
  begin(va: number, eptOut: EptWalkResult): void {
    this.linearAddress = va;
    this.eptOut = eptOut;
    this.memoryReferences = 0;
    this.eptEntryWrites = 0;
    this.eptCacheHits = 0;
    this.eptFailed = false;
  }

  /**
   * The guest entry of `level` in the guest table at guest-physical `table`:
   * its guest-physical address goes through EPT first (a guest
   * paging-structure access; PAE PDPTEs are PDPTE-register loads, origin
   * {@link EptAccessOrigin.NoLinearAddress}), then the entry is read at the
   * host-physical address. `entryAt` keeps the guest-physical address, which
   * is what a guest fault reports.
   */
  protected override readEntry(out: WalkResult, level: number, table: number): number {
    const gpa = table + this.format.entryIndex(this.linearAddress, level) * this.entrySize;
    this.entryAt[level] = gpa;
    const eptOut = this.eptOut;
    this.ept.walkUnchecked(gpa, Access.Read, this.originOf(level), this.linearAddress, 0, eptOut);
    this.memoryReferences += eptOut.entryReads + (eptOut.ok ? 1 : 0);
    this.eptEntryWrites += eptOut.entryWrites;
    this.eptCacheHits += eptOut.cacheHits;
    if (!eptOut.ok) this.exitToHypervisor(out, level);
    const hpa = eptOut.hostAddress;
    this.hostEntryAt[level] = hpa;
    this.entryWritable[level] = (eptOut.permissions & EptPermission.Write) !== 0 ? 1 : 0;
    const memory = this.memory;
    const o = hpa - memory.ramBase;
    let low: number;
    if (o >= 0 && o <= memory.ramSize - this.entrySize) {
      this.high = this.entrySize === 8 ? memory.view.getUint32(o + 4, true) | 0 : 0;
      low = memory.view.getUint32(o, true) | 0;
    } else {
      this.recordReads(out, level); // a bus error (PhysicalAccessError, turned into BusError by walk) names this entry
      this.high = this.entrySize === 8 ? memory.read32(hpa + 4) | 0 : 0;
      low = memory.read32(hpa) | 0;
    }
    this.entryLow[level] = low;
    return low;
  }

  /**
   * A guest A/D update: a write to the entry's guest-physical address
   * (§28.2.3.2: "writes ... to update accessed and dirty flags are considered
   * to be data writes"). With EPT A/D flags on, the read was already checked
   * as a write; with them off, an entry on a page EPT does not let the guest
   * write is walked again as a write, for the violation and its qualification.
   */
  protected override setEntryBits(out: WalkResult, level: number, bits: number): void {
    const low = this.entryLow[level];
    if ((low & bits) === bits) return;
    let hpa = this.hostEntryAt[level];
    if (this.entryWritable[level] === 0) {
      const eptOut = this.eptOut;
      this.ept.walkUnchecked(this.entryAt[level], Access.Write, this.originOf(level), this.linearAddress, 0, eptOut);
      this.memoryReferences += eptOut.entryReads;
      this.eptEntryWrites += eptOut.entryWrites;
      this.eptCacheHits += eptOut.cacheHits;
      if (!eptOut.ok) {
        // Every entry of the walk was read already (recordReads ran after the loop): only name this one.
        out.level = level;
        out.entryAddress = this.entryAt[level];
        this.eptFailed = true;
        throw EPT_EXIT;
      }
      hpa = eptOut.hostAddress; // allowed after all: an A write above aliased an EPT entry
    }
    out.level = level;
    out.entryAddress = this.entryAt[level];
    out.pteWrites++;
    this.memory.write32(hpa, low | bits);
    this.entryLow[level] = low | bits;
  }

  /** PAE PDPTEs are loaded into the PDPTE registers by MOV to CR, not read with a linear address. */
  private originOf(level: number): EptAccessOrigin {
    return level === 0 && this.format.name === 'x86-pae' ? EptAccessOrigin.NoLinearAddress : EptAccessOrigin.GuestPagingStructure;
  }

  /** Records the guest entry whose address faulted in EPT and unwinds to {@link EptNestedWalker.walk}. */
  private exitToHypervisor(out: WalkResult, level: number): never {
    this.recordReads(out, level);
    this.eptFailed = true;
    throw EPT_EXIT;
  }
}

/**
 * Translates guest linear addresses in two dimensions: an x86 guest walk (any
 * x86 format: 4-level, 5-level with LA57, PAE, 32-bit) whose tables live at
 * guest-physical addresses, each entry reached through an {@link EptWalker},
 * and the final guest-physical address through EPT too.
 *
 * Memory references, for n guest levels and m EPT levels with every page 4
 * KiB: each guest entry costs m EPT reads plus its own read, and the final
 * address m more: n(m + 1) + m = (n + 1)(m + 1) − 1, so 24 for 4-level over
 * 4-level and 35 for 5-level over 5-level. A large page on either side drops
 * its levels from the product. By default nothing is cached between walks, so
 * every walk pays the full count; {@link EptNestedWalkerOptions.walkCache}
 * adds the guest's paging-structure caches, and an {@link Mmu} running a guest
 * gives its walker those and a cache of guest-physical mappings too.
 *
 * Order of events, as the SDM gives them: an EPT event while translating a
 * guest entry's address stops the walk first (exit-qualification bit 8 = 0,
 * `guest.level` the guest entry); then guest faults (`#PF` with its error
 * code), which the final address never reaches; then the EPT walk of the final
 * address (bit 8 = 1). Guest A/D flags are written, through EPT, before that
 * final EPT walk, so a final-access EPT violation leaves them set, as the guest
 * walk has completed. With EPT A/D flags on, every guest entry read sets EPT
 * A (and D, being a write) in the entries mapping its page.
 *
 * PAE guests: the PDPTEs are read during the walk (as {@link X86Walker} does)
 * rather than at MOV CR3, with the origin of a PDPTE-register load (a read,
 * qualification bit 7 clear).
 *
 * @example
 * ```ts
 * const ept = new EptWalker(memory, { eptp: eptRoot | EPTP.WalkLength4 | EPTP.MemoryTypeWriteBack });
 * const nested = new EptNestedWalker(X86_64, memory, defaultControls(), ept);
 * const out = new EptNestedWalkResult();
 * nested.walk(0x40_1234, Access.Read, Privilege.User, guestCr3, out);
 * out.ok;               // true
 * out.hostAddress;      // the host-physical byte
 * out.memoryReferences; // 24 with 4 KiB pages in both dimensions
 * ```
 */
export class EptNestedWalker {
  /** The guest's paging format. */
  readonly format: PageTableFormat;
  /** The EPT stage (its EPTP is the one in force). */
  readonly ept: EptWalker;
  private readonly guest: GuestWalkThroughEpt;
  /** The live guest control bits (CR0.WP, EFER.NXE, CR4.SMEP/SMAP/PSE…). */
  private readonly controls: ControlState;

  /**
   * @param format - the guest's x86 paging format.
   * @param memory - host-physical memory: guest memory and the EPT tables both live there.
   * @param controls - the guest's control bits, read on every walk (keep the object; mutate it).
   * @param ept - the EPT walker, with its EPTP loaded before the first walk.
   * @param options - see {@link EptNestedWalkerOptions}.
   * @throws {@link InvalidArgumentError} for a non-x86 format, memory that is not a PhysicalMemory, controls
   *   that are not an object, a bad EPT walker or option (an unknown key included).
   */
  constructor(format: PageTableFormat, memory: PhysicalMemory, controls: ControlState, ept: EptWalker, options: EptNestedWalkerOptions = {}) {
    requireFormat(format, 'x86');
    requirePhysicalMemory(memory);
    if (controls === null || typeof controls !== 'object') throw new InvalidArgumentError('controls must be a control state object');
    if (!(ept instanceof EptWalker)) throw new InvalidArgumentError('ept must be an EptWalker');
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
    requireKnownKeys(options, ['maxPhysicalAddressBits', 'walkCache'], 'EptNestedWalkerOptions');
    this.format = format;
    this.ept = ept;
    this.controls = controls;
    this.guest = new GuestWalkThroughEpt(format, memory, controls, options.maxPhysicalAddressBits, ept, options.walkCache ?? null);
  }

  /** The guest's paging-structure caches ({@link EptNestedWalkerOptions.walkCache}), or null. */
  get walkCache(): WalkCache | null {
    return this.guest.walkCache;
  }

  /**
   * One two-dimensional walk. Never throws for guest-controlled data: guest
   * faults and EPT events are reported in `out` ({@link EptNestedWalkResult.stage}).
   *
   * @param va - guest linear address, an integer below 2^vaBits of the guest format.
   * @param access - read, write or execute.
   * @param privilege - the guest's privilege (CPL 3 is user).
   * @param cr3 - guest-physical address of the guest's root table (CR3 with its flag bits masked), an integer below 2^52.
   * @param out - receives the outcome; reset first.
   * @param tag - the tag of the guest walk-cache entries used and made (the VPID and PCID), an integer in [0, 2^31); default 0.
   * @throws {@link InvalidArgumentError} for a bad argument (`access`, `privilege`, `cr3`, `tag`, or `out` not an
   *   {@link EptNestedWalkResult}; checked as {@link TableWalker.walk} does, before anything is read) or no EPTP loaded.
   */
  walk(va: number, access: Access, privilege: TranslatedPrivilege, cr3: number, out: EptNestedWalkResult, tag = 0): void {
    // The caller's arguments, once per walk: the EPT walks inside skip their own checks.
    if (!((access === 0 || access === 1 || access === 2) && (privilege === 0 || privilege === 1) && typeof cr3 === 'number' && cr3 >= 0 && cr3 < GPA_LIMIT && Math.floor(cr3) === cr3 && out instanceof EptNestedWalkResult && Number.isInteger(tag) && tag >= 0 && tag <= 0x7fff_ffff)) {
      throw new InvalidArgumentError(
        `walk needs an Access, a Privilege, a guest-physical CR3 below 2^52 and an EptNestedWalkResult, got ${String(access)}, ${String(privilege)}, ${String(cr3)}, ${out === null || typeof out !== 'object' ? String(out) : (out as object).constructor?.name}`,
      );
    }
    if (this.ept.walkLength === 0) throw new InvalidArgumentError('no EPTP loaded: call setEptp on the EPT walker first');
    out.reset();
    const guest = this.guest;
    const guestOut = out.guest;
    guest.begin(va, out.ept);
    try {
      guest.walk(va, access, privilege, cr3, tag, guestOut);
    } catch (e) {
      if (e !== EPT_EXIT) throw e;
    }
    out.memoryReferences = guest.memoryReferences;
    out.walkCacheHits = guestOut.walkCacheHits + guest.eptCacheHits;
    out.guestEntryWrites = guestOut.pteWrites;
    out.eptEntryWrites = guest.eptEntryWrites;
    if (guest.eptFailed) {
      out.stage = NestedWalkStage.Ept;
      return;
    }
    if (!guestOut.ok) {
      out.stage = NestedWalkStage.Guest;
      const c = this.controls;
      const vector = faultVector('x86', guestOut.faultReason, access);
      out.guestVector = vector;
      // §4.7: the I/D bit is reported with SMEP, or with NXE outside 32-bit paging.
      out.guestErrorCode = faultErrorCode('x86', vector, guestOut.faultReason, access, privilege, c.smep || (c.nxe && this.format.name !== 'x86-32'));
      return;
    }

    // Guest pages are at most 1 GiB: the offset is the low bits of the address's low word.
    const offset = va & ((1 << guestOut.pageShift) - 1);
    const gpa = guestOut.pageBase + offset;
    out.guestPhysicalAddress = gpa;
    const eptOut = out.ept;
    this.ept.walkUnchecked(gpa, access, EptAccessOrigin.Final, va, guestOut.perm, eptOut);
    out.memoryReferences += eptOut.entryReads;
    out.eptEntryWrites += eptOut.entryWrites;
    out.walkCacheHits += eptOut.cacheHits;
    if (!eptOut.ok) {
      out.stage = NestedWalkStage.Ept;
      return;
    }

    const shift = guestOut.pageShift < eptOut.pageShift ? guestOut.pageShift : eptOut.pageShift;
    out.ok = true;
    out.pageShift = shift;
    out.hostAddress = eptOut.hostAddress;
    out.hostPageBase = eptOut.hostAddress - (va & ((1 << shift) - 1));
    out.perm = combinedPerm(guestOut.perm, eptOut, this.ept.modeBasedExecute);
  }
}

/**
 * {@link Perm} bits of a guest translation combined with the EPT rights of
 * its final guest-physical address: each access needs both stages.
 */
function combinedPerm(guestPerm: number, ept: EptWalkResult, modeBasedExecute: boolean): number {
  const rights = ept.permissions;
  const user = (guestPerm & Perm.User) !== 0;
  let perm = guestPerm & Perm.User;
  if ((rights & EptPermission.Read) !== 0) perm |= Perm.Read;
  if ((guestPerm & Perm.Write) !== 0 && (rights & EptPermission.Write) !== 0) perm |= Perm.Write;
  // Mode-based execute control: bit 10 governs user-mode linear addresses, bit 2 supervisor-mode ones.
  const eptExecute = modeBasedExecute && user ? EptPermission.UserExecute : EptPermission.Execute;
  if ((guestPerm & Perm.Execute) !== 0 && (rights & eptExecute) !== 0) perm |= Perm.Execute;
  // Dirty says a write needs no walk: never for a page EPT does not let the guest write (with guest
  // CR0.WP = 0 a supervisor write to a read-only guest page is allowed on Dirty alone, EPT's W still applies).
  if ((guestPerm & Perm.Dirty) !== 0 && ept.dirty && (rights & EptPermission.Write) !== 0) perm |= Perm.Dirty;
  return perm;
}
