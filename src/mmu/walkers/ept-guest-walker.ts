/**
 * The walker behind an x86 MMU's TLB misses in VMX non-root operation: guest paging over EPT
 * (or EPT alone while the guest's paging is off), reported as a {@link PageWalker} reports a walk
 * so that the MMU's TLB fill and fault paths serve it unchanged.
 * @module
 */
import type { Access, TranslatedPrivilege } from '../access.js';
import type { ControlState } from '../controls.js';
import { FaultReason } from '../fault-reason.js';
import type { PageTableFormat } from '../formats/format.js';
import { Perm } from '../permissions.js';
import type { PhysicalMemory } from '../physical-memory.js';
import type { WalkResult } from '../walk-result.js';
import { EptNestedWalker } from './ept-nested-walker.js';
import { EptNestedWalkResult, EptOutcome, EptPermission, EptWalkResult, NestedWalkStage } from './ept-walk-result.js';
import { EptAccessOrigin, EptWalker, type EptWalkerOptions } from './ept-walker.js';
import { GuestFaultStage, type GuestWalker } from './guest-walker.js';
import { Tlb } from '../../tlb/tlb.js';
import { defaultWalkCacheConfig } from '../walk-cache.js';

/** The TLB of guest-physical mappings (EPT leaves): 32 entries for 4 KiB pages, 8 for 2 MiB and 1 GiB pages. */
const GUEST_PHYSICAL_TLB = {
  name: 'guest-physical TLB',
  arrays: [
    { entries: 32, ways: 4, pageShifts: [12], replacement: 'lru' as const },
    { entries: 8, ways: 8, pageShifts: [21, 30], replacement: 'lru' as const },
  ],
};

/**
 * EPT paging-structure caches for a walk of `levels` levels: one LRU array per level above the
 * last (the deepest 32 entries 4-way, the next 4, then 2: as the host's x86 walk caches), each
 * covering the guest-physical region a leaf of its level would map.
 */
function eptWalkCaches(levels: number): (Tlb | null)[] {
  const sizes = [
    { entries: 32, ways: 4 },
    { entries: 4, ways: 4 },
    { entries: 2, ways: 2 },
    { entries: 2, ways: 2 },
  ];
  const caches: (Tlb | null)[] = [];
  for (let level = 0; level < levels - 1; level++) {
    const size = sizes[levels - 2 - level];
    caches.push(new Tlb({ name: `EPT level-${level} walk cache`, arrays: [{ ...size, pageShifts: [12 + 9 * (levels - 1 - level)], replacement: 'lru' }] }));
  }
  return caches;
}

/** VM-exit reasons of EPT events (SDM Vol. 3D Appendix C). */
const EXIT_EPT_VIOLATION = 48;
const EXIT_EPT_MISCONFIGURATION = 49;
/** Guest-physical addresses are below 2^52. */
const GPA_LIMIT = 2 ** 52;

/**
 * Guest paging over EPT as a {@link PageWalker}: `root` of `walk` is the guest's CR3
 * (guest-physical); `asid` is the TLB tag (VPID and PCID) its guest walk caches use. It keeps the
 * guest's paging-structure caches (one set per guest paging mode) and a TLB of guest-physical
 * mappings (EPT leaves) for the loaded EPTP.
 * @internal
 */
export class EptGuestWalker implements GuestWalker {
  /** The EPT stage: its EPTP is the one in force. */
  readonly ept: EptWalker;
  /** The last two-dimensional walk's outcome. */
  readonly last = new EptNestedWalkResult();
  /** The last EPT-only walk's outcome (guest paging off). */
  private readonly eptOnly = new EptWalkResult();
  private nested: EptNestedWalker | null = null;
  private readonly nestedByFormat = new Map<string, EptNestedWalker>();
  /** The format the walker presents: the guest's, or the host's while guest paging is off. */
  format: PageTableFormat;

  faultStage: GuestFaultStage = GuestFaultStage.Host;
  faultCode = 0;
  faultGuestPhysical = -1;
  readonly htinst = 0;
  exitReason = 0;
  exitQualification = 0;
  guestErrorCode = 0;

  /**
   * @param memory - host-physical memory (guest memory and EPT tables).
   * @param guestControls - the guest's control bits (its CR0.WP, CR4.SMEP, EFER.NXE, ...), read on every walk.
   * @param hostFormat - what {@link EptGuestWalker.format} says while guest paging is off.
   * @param eptOptions - the VMX capabilities and controls of the EPT walker (checked by it); its
   *   `maxPhysicalAddressBits` is the guest stage's too.
   */
  constructor(
    private readonly memory: PhysicalMemory,
    private readonly guestControls: ControlState,
    private readonly hostFormat: PageTableFormat,
    eptOptions: EptWalkerOptions,
  ) {
    this.ept = new EptWalker(memory, eptOptions);
    this.ept.cache = new Tlb(GUEST_PHYSICAL_TLB);
    this.selectEptWalkCaches();
    this.maxPhysicalAddressBits = eptOptions.maxPhysicalAddressBits;
    this.format = hostFormat;
  }

  private readonly maxPhysicalAddressBits: number | undefined;

  get guestFormat(): PageTableFormat | null {
    return this.nested === null ? null : this.nested.format;
  }

  /** The guest's paging mode: its format, or null with guest CR0.PG = 0. */
  setGuestFormat(format: PageTableFormat | null): void {
    if (format === null) {
      this.nested = null;
      this.format = this.hostFormat;
      return;
    }
    let nested = this.nestedByFormat.get(format.name);
    if (nested === undefined) {
      const walkCache = defaultWalkCacheConfig(format);
      const options = this.maxPhysicalAddressBits === undefined ? { walkCache } : { walkCache, maxPhysicalAddressBits: this.maxPhysicalAddressBits };
      nested = new EptNestedWalker(format, this.memory, this.guestControls, this.ept, options);
      this.nestedByFormat.set(format.name, nested);
    }
    this.nested = nested;
    this.format = format;
  }

  walk(va: number, access: Access, privilege: TranslatedPrivilege, root: number, tag: number, out: WalkResult): void {
    out.reset();
    const nested = this.nested;
    let e: EptWalkResult;
    if (nested === null) {
      // Guest paging off: the linear address is the guest-physical address, and EPT alone translates it.
      e = this.eptOnly;
      if (!(va >= 0 && va < GPA_LIMIT)) {
        out.faultReason = FaultReason.NonCanonical;
        this.guestFault(-1, 13, 0);
        return;
      }
      const guestPerm = Perm.Read | Perm.Write | Perm.Execute | Perm.Dirty; // supervisor-mode addresses: see eptOnlyPerm
      this.ept.walk(va, access, EptAccessOrigin.Final, va, guestPerm, e);
      out.pteReads = e.entryReads;
      out.pteWrites = e.entryWrites;
      out.walkCacheHits = e.cacheHits;
      if (e.ok) {
        out.ok = true;
        out.pageBase = e.pageBase;
        out.pageShift = e.pageShift;
        out.perm = eptOnlyPerm(e);
        out.memoryType = e.memoryType;
        out.level = e.level;
        out.entryAddress = e.entryAddress;
        this.faultStage = GuestFaultStage.Host;
        return;
      }
    } else {
      const r = this.last;
      nested.walk(va, access, privilege, root, r, tag);
      out.pteReads = r.memoryReferences;
      out.walkCacheHits = r.walkCacheHits;
      out.pteWrites = r.guestEntryWrites + r.eptEntryWrites;
      const g = r.guest;
      if (r.ok) {
        out.ok = true;
        out.pageBase = r.hostPageBase;
        out.pageShift = r.pageShift;
        out.perm = r.perm;
        out.global = g.global;
        out.memoryType = g.memoryType;
        out.level = g.level;
        out.entryAddress = r.ept.entryAddress;
        this.faultStage = GuestFaultStage.Host;
        return;
      }
      if (r.stage === NestedWalkStage.Guest) {
        out.faultReason = g.faultReason;
        out.level = g.level;
        out.entryAddress = g.entryAddress;
        out.pageTableAccess = g.pageTableAccess;
        this.guestFault(r.guestVector, r.guestVector, r.guestErrorCode);
        return;
      }
      e = r.ept;
    }
    // An EPT event: a VM exit (or, for EPT tables outside memory, a machine check of the host's).
    out.level = e.level;
    out.entryAddress = e.entryAddress;
    this.faultStage = GuestFaultStage.Second;
    this.faultGuestPhysical = e.guestPhysicalAddress;
    this.guestErrorCode = 0;
    if (e.outcome === EptOutcome.BusError) {
      out.faultReason = FaultReason.BusError;
      out.pageTableAccess = e.pageTableAccess;
      this.faultCode = 18;
      this.exitReason = 0;
      this.exitQualification = 0;
      return;
    }
    const violation = e.outcome === EptOutcome.Violation;
    out.faultReason = violation ? (e.permissions === 0 ? FaultReason.NotPresent : FaultReason.Protection) : FaultReason.ReservedBit;
    this.faultCode = -1;
    this.exitReason = violation ? EXIT_EPT_VIOLATION : EXIT_EPT_MISCONFIGURATION;
    this.exitQualification = violation ? e.exitQualification : 0;
  }

  /** Records a guest-stage fault: an exception for the guest, no VM exit. */
  private guestFault(_vector: number, code: number, errorCode: number): void {
    this.faultStage = GuestFaultStage.Guest;
    this.faultCode = code;
    this.faultGuestPhysical = -1;
    this.exitReason = 0;
    this.exitQualification = 0;
    this.guestErrorCode = errorCode;
  }

  /** Every cached entry: the guests' paging-structure caches and the guest-physical mappings. */
  invalidateWalkCache(): void {
    for (const nested of this.nestedByFormat.values()) nested.walkCache?.invalidate(null, null);
    this.ept.cache!.invalidateAll();
  }

  invalidateGuestStage(first: number, last: number, va: number | null): void {
    for (const nested of this.nestedByFormat.values()) {
      const cache = nested.walkCache;
      if (cache === null) continue;
      for (const level of cache.caches) if (level !== null) level.invalidateAsidRange(first, last, va);
    }
  }

  invalidateSecondStage(gpa: number | null): void {
    const caches = [this.ept.cache!];
    for (const levels of this.eptWalkCaches.values()) for (const level of levels) if (level !== null) caches.push(level);
    for (const cache of caches) {
      if (gpa === null) cache.invalidateAll();
      else cache.invalidatePage(gpa, 0, false);
    }
  }

  /** Loads an EPTP ({@link EptWalker.setEptp}) and gives the EPT walker the paging-structure caches of its walk length. */
  setEptp(eptp: bigint | number): void {
    this.ept.setEptp(eptp);
    this.selectEptWalkCaches();
  }

  /** The EPT paging-structure caches of each walk length used so far. */
  private readonly eptWalkCaches = new Map<number, (Tlb | null)[]>();

  private selectEptWalkCaches(): void {
    const levels = this.ept.walkLength;
    if (levels === 0) return;
    let caches = this.eptWalkCaches.get(levels);
    if (caches === undefined) {
      caches = eptWalkCaches(levels);
      this.eptWalkCaches.set(levels, caches);
    }
    this.ept.walkCaches = caches;
  }

  setSecondStageTag(): void {
    // The cache holds the loaded EPTP's mappings alone: a new EPTP drops them (invalidateSecondStage).
  }
}

/**
 * {@link Perm} bits of an EPT-only translation (guest paging off): every guest right, cut by EPT's.
 * The same whatever the privilege of the access that walked (a TLB entry serves every privilege):
 * User, so that CPL 3 may use it, and with mode-based execute control the supervisor-execute bit,
 * as no paging-structure U/S bit makes any address a user-mode one (SDM Vol. 3C §28.2.3.3 is
 * silent here; this is mmukit's reading).
 */
function eptOnlyPerm(e: EptWalkResult): number {
  const rights = e.permissions;
  let perm = Perm.User;
  if ((rights & EptPermission.Read) !== 0) perm |= Perm.Read;
  if ((rights & EptPermission.Write) !== 0) perm |= Perm.Write;
  if ((rights & EptPermission.Execute) !== 0) perm |= Perm.Execute;
  if (e.dirty && (rights & EptPermission.Write) !== 0) perm |= Perm.Dirty; // see combinedPerm: W is never skipped
  return perm;
}

