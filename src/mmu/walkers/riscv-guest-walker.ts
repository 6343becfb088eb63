/**
 * The walker behind a RISC-V MMU's TLB misses while V=1: the two-stage walk, reported as a
 * {@link PageWalker} reports a walk so that the MMU's TLB fill and fault paths serve it unchanged.
 * @module
 */
import type { Access, TranslatedPrivilege } from '../access.js';
import type { ControlState } from '../controls.js';
import { FaultReason } from '../fault-reason.js';
import type { PageTableFormat } from '../formats/format.js';
import type { PhysicalMemory } from '../physical-memory.js';
import type { WalkResult } from '../walk-result.js';
import { GuestFaultStage, type GuestWalker } from './guest-walker.js';
import { GStageMode, gStageLevels } from './riscv-gstage-walker.js';
import { RiscvTwoStageWalker } from './riscv-two-stage-walker.js';
import { TranslationStage, TwoStageWalkResult } from './two-stage-walk-result.js';
import { Tlb } from '../../tlb/tlb.js';
import { WalkCache, defaultWalkCacheConfig } from '../walk-cache.js';

/**
 * G-stage walk caches for `levels` levels: one LRU array per level above the last, holding that
 * level's non-leaf entries (the deepest 8 entries, the next 4, then 2: as the host's RISC-V walk
 * caches), each covering the guest-physical region a leaf of its level would map.
 */
function gStageWalkCaches(levels: number): (Tlb | null)[] {
  const sizes = [8, 4, 2, 2];
  const caches: (Tlb | null)[] = [];
  for (let level = 0; level < levels - 1; level++) {
    const entries = sizes[levels - 2 - level];
    caches.push(new Tlb({ name: `G-stage level-${level} walk cache`, arrays: [{ entries, ways: entries, pageShifts: [12 + 9 * (levels - 1 - level)], replacement: 'lru' }] }));
  }
  return caches;
}

/**
 * The G-stage TLB: guest-physical → supervisor-physical leaves, tagged with the VMID. 32 entries
 * for 4 KiB pages and 8 for superpages, as a small second-level structure of that kind might
 * have; every guest-physical address of a two-stage walk (each VS-level PTE's, the final one)
 * looks it up before walking the G-stage.
 */
const G_STAGE_TLB = {
  name: 'G-stage TLB',
  arrays: [
    { entries: 32, ways: 4, pageShifts: [12], replacement: 'lru' as const },
    { entries: 8, ways: 8, pageShifts: [21, 30, 39, 48], replacement: 'lru' as const },
  ],
};

/**
 * A {@link RiscvTwoStageWalker} seen as a {@link PageWalker}: `root` of `walk` is ignored (the
 * VS-stage root is `vsatp`'s, set with {@link RiscvGuestWalker.setVsatp}); `asid` is the TLB tag
 * (VMID and ASID) its VS-stage walk cache uses. It keeps that walk cache (one per VS format) and
 * a G-stage TLB tagged with the VMID.
 * @internal
 */
export class RiscvGuestWalker implements GuestWalker {
  /** The two-stage walker: its G-stage holds `hgatp`. */
  readonly twoStage: RiscvTwoStageWalker;
  /** The last walk's full outcome. */
  readonly last = new TwoStageWalkResult();
  /** The format the walker presents: the VS-stage's, or the host's while `vsatp` is Bare. */
  format: PageTableFormat;
  /** The next walk is an HLVX: execute permission stands for read at both stages. */
  hlvx = false;

  faultStage: GuestFaultStage = GuestFaultStage.Host;
  faultCode = 0;
  faultGuestPhysical = -1;
  htinst = 0;
  readonly exitReason = 0;
  readonly exitQualification = 0;
  readonly guestErrorCode = 0;

  /**
   * @param memory - host physical memory (both stages' tables live there).
   * @param controls - the HS-level controls (`sstatus.MXR`, `menvcfg.ADUE`).
   * @param vsControls - the guest's (`vsstatus.SUM`, `vsstatus.MXR`, `henvcfg.ADUE`).
   * @param hostFormat - what {@link RiscvGuestWalker.format} says while `vsatp` is Bare.
   */
  constructor(memory: PhysicalMemory, controls: ControlState, vsControls: ControlState, private readonly hostFormat: PageTableFormat) {
    this.twoStage = new RiscvTwoStageWalker(memory, controls, vsControls);
    this.format = hostFormat;
    this.twoStage.gStage.cache = new Tlb(G_STAGE_TLB);
  }

  /** The VS-stage walk cache of each VS format used so far (a `vsatp.MODE` change keeps the others' entries). */
  private readonly walkCaches = new Map<string, WalkCache>();

  get guestFormat(): PageTableFormat | null {
    return this.twoStage.vsatpFormat;
  }

  /** `vsatp`: the VS-stage format (null for Bare) and root (guest-physical). Checked by the walker. */
  setVsatp(format: PageTableFormat | null, root: number): void {
    this.twoStage.setVsatp(format, root);
    this.format = format ?? this.hostFormat;
    let cache: WalkCache | null = null;
    if (format !== null) {
      cache = this.walkCaches.get(format.name) ?? null;
      if (cache === null) {
        cache = new WalkCache(format, defaultWalkCacheConfig(format));
        this.walkCaches.set(format.name, cache);
      }
    }
    this.twoStage.vsWalkCache = cache;
  }

  /** `hgatp`'s mode and root (the VMID is the MMU's). Checked by the G-stage walker. */
  setHgatp(mode: GStageMode, root: number): void {
    const g = this.twoStage.gStage;
    g.setHgatp(mode, root);
    let caches = this.gStageWalkCaches.get(mode);
    if (caches === undefined) {
      caches = gStageWalkCaches(gStageLevels(mode));
      this.gStageWalkCaches.set(mode, caches);
    }
    g.walkCaches = caches;
  }

  /** The G-stage walk caches of each `hgatp.MODE` used so far. */
  private readonly gStageWalkCaches = new Map<GStageMode, (Tlb | null)[]>();

  walk(va: number, access: Access, privilege: TranslatedPrivilege, _root: number, tag: number, out: WalkResult): void {
    const r = this.last;
    this.twoStage.walkCacheTag = tag;
    this.twoStage.walk(va, access, privilege, r, this.hlvx);
    out.reset();
    out.pteReads = r.pteReads;
    out.pteWrites = r.pteWrites;
    out.walkCacheHits = r.walkCacheHits;
    out.entryAddress = r.entryAddress;
    if (r.ok) {
      out.ok = true;
      out.pageBase = r.pageBase;
      out.pageShift = r.pageShift;
      out.perm = r.perm;
      out.global = r.global;
      out.level = r.level;
      this.faultStage = GuestFaultStage.Host;
      return;
    }
    out.faultReason = r.faultReason;
    out.level = r.faultStage === TranslationStage.G ? r.gLevel : r.level;
    out.pageTableAccess = r.pageTableAccess;
    this.faultStage = r.faultStage === TranslationStage.G ? GuestFaultStage.Second : GuestFaultStage.Guest;
    this.faultCode = r.cause;
    this.faultGuestPhysical = r.faultStage === TranslationStage.G && r.faultReason !== FaultReason.BusError ? r.faultGpa : -1;
    this.htinst = r.htinst;
  }

  /** Every cached entry of both stages, of every guest: what a flush of everything drops. */
  invalidateWalkCache(): void {
    for (const cache of this.walkCaches.values()) cache.invalidate(null, null);
    this.invalidateSecondStage(null, null);
  }

  invalidateGuestStage(first: number, last: number, va: number | null): void {
    for (const cache of this.walkCaches.values()) {
      for (const level of cache.caches) if (level !== null) level.invalidateAsidRange(first, last, va);
    }
  }

  invalidateSecondStage(gpa: number | null, vmid: number | null): void {
    const caches = [this.twoStage.gStage.cache!];
    for (const levels of this.gStageWalkCaches.values()) for (const level of levels) if (level !== null) caches.push(level);
    for (const cache of caches) {
      if (vmid === null) cache.invalidateAll();
      else if (gpa === null) cache.invalidateAsid(vmid);
      else cache.invalidatePage(gpa, vmid, false);
    }
  }

  setSecondStageTag(vmid: number): void {
    this.twoStage.gStage.cacheTag = vmid;
  }
}

export { GStageMode };
