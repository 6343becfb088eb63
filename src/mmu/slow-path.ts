/**
 * The MMU's slow path: everything an access does when the translation cache
 * cannot answer it. It looks the TLBs up, walks the page tables, fills the
 * TLBs and the translation cache, reads and writes outside RAM through the
 * physical address map, and raises faults through the handler. The fast hit
 * path in front of it is in `mmu.ts`.
 * @module
 */
import { GLOBAL_ASID } from '../tlb/tlb.js';
import type { Tlb } from '../tlb/tlb.js';
import { Access, type TranslatedPrivilege } from './access.js';
import { InvalidArgumentError, PhysicalAccessError } from './errors.js';
import { FaultLoopError, FaultResolution, type TranslationFault, highHalf, lowHalf, pageFaultError } from './fault.js';
import { type FaultRecord, recordFault, recordGuestFault } from './fault-record.js';
import { GuestFaultStage, type GuestWalker } from './walkers/guest-walker.js';
import { FaultReason } from './fault-reason.js';
import { Perm, rowUnchecked } from './permissions.js';
import type { PageTableAccess, WalkResult } from './walk-result.js';
import type { Mmu } from './mmu.js';
import { CYCLES, FAULTS, FAULT_RETRIES, PAGE_MASK, PAGE_SIZE, PTE_READS, PTE_WRITES, WALKS, WALK_CACHE_HITS } from './control-registers.js';
import { MmuVirtualizationRegisters } from './virtualization-registers.js';
import { MmuTracer } from './mmu-tracer.js';
import { TraceRecorder, type TraceTrackNames } from './trace-recorder.js';
import { requireKnownKeys } from './validate.js';

/** The weight of byte i of a little-endian value: 256^i, for i in [0, 3]. */
const BYTE_WEIGHT = [1, 0x100, 0x1_0000, 0x100_0000];
/** `2 ** shift` for every page shift a walk can return. */
const PAGE_SIZES = Float64Array.from({ length: 64 }, (_, shift) => 2 ** shift);
/** @internal Returned inside the slow path when a fault was resolved and the access must start over. */
export const RETRY = -1;

/**
 * What the value-returning try-accessors ({@link Mmu.tryRead32} and the others)
 * return when the access faulted: -1, which no unsigned load yields. The fault
 * is then in {@link Mmu.lastFaultRecord}.
 */
export const FAULTED = -1;

/**
 * The translation behind an {@link Mmu}'s accessors (its base class; use {@link Mmu}).
 * @internal
 */
export abstract class MmuSlowPath extends MmuVirtualizationRegisters {
  /**
   * Set while a wide accessor translates an address a number cannot hold exactly (above 2^53):
   * the faults raised meanwhile record `wideHigh` and `wideLow` as their exact address. @internal
   */
  protected wideAddress = false;
  /** Bits 63:32 of that address. @internal */
  protected wideHigh = 0;
  /** Bits 31:0 of that address. @internal */
  protected wideLow = 0;
  /**
   * The link to the trace recorder events go to ({@link Mmu.setTracer}), or null: every hook on
   * the slow path is behind one check of it, and the hit path has none. @internal
   */
  protected tracer: MmuTracer | null = null;
  /** Set when a virtualised walk failed, until `raise` records the walker's second-stage details. @internal */
  protected guestWalkFaulted = false;

  /**
   * Attaches a {@link TraceRecorder} (or detaches it, with null): from then on
   * this MMU records its page walks, TLB fills and evictions, and faults (with
   * the handler's time) on a track of its own, named by `names`. Events come
   * from the slow path only: translation-cache hits record nothing and cost
   * the same, and TLB misses pay one null check when no recorder is attached.
   * MMUs given the same names share a track; give each CPU its own thread name.
   * A {@link Kernel} attaches its CPUs itself ({@link Kernel.setTracer}).
   *
   * @param recorder - the recorder, or null to stop recording.
   * @param names - the track's process name (default `'mmukit'`) and thread name (default `'CPU'`), non-empty strings of at most 200 characters.
   * @throws {@link InvalidArgumentError} when `recorder` is neither a TraceRecorder nor null, or `names` is not
   *   an object of such strings (nothing changes).
   *
   * @example
   * ```ts
   * const memory = new PhysicalMemory({ size: 1 << 20 });
   * const tables = new PageTableBuilder(memory, 'x86-64', new FrameAllocator(memory));
   * tables.map(0x40_0000, 0x8000, { writable: true });
   * const mmu = new Mmu({ memory, format: 'x86-64' });
   * mmu.setRoot(tables.root, 1);
   * const recorder = new TraceRecorder({ capacity: 1024 });
   * mmu.setTracer(recorder, { process: 'guest', thread: 'hart 0' });
   * mmu.write32(0x40_0000, 1);    // walk + TLB fill: recorded
   * mmu.read32(0x40_0000);        // translation-cache hit: not recorded
   * mmu.setTracer(null);
   * recorder.size;                // 2
   * recorder.tracks()[0].thread;  // 'hart 0'
   * ```
   */
  setTracer(recorder: TraceRecorder | null, names: TraceTrackNames = {}): void {
    if (recorder !== null && !(recorder instanceof TraceRecorder)) throw new InvalidArgumentError(`recorder must be a TraceRecorder or null, got ${String(recorder)}`);
    if (names === null || typeof names !== 'object') throw new InvalidArgumentError('names must be an object');
    requireKnownKeys(names, ['process', 'thread'], 'TraceTrackNames');
    let next: MmuTracer | null = null;
    if (recorder !== null) {
      const track = recorder.trackFor(names.process ?? 'mmukit', names.thread ?? 'CPU');
      next = new MmuTracer(recorder, track, this.counters, this.cacheHits, this.cycleModel, this.l1i, this.l1d, this.l2);
    } else if (names.process !== undefined || names.thread !== undefined) {
      throw new InvalidArgumentError('names are given with a recorder only');
    }
    if (this.tracer !== null) this.tracer.attachTlbs(false);
    this.tracer = next;
    if (next !== null) next.attachTlbs(true);
  }

  /** The recorder {@link Mmu.setTracer} attached, or null. */
  get traceRecorder(): TraceRecorder | null {
    return this.tracer === null ? null : this.tracer.recorder;
  }

  /**
   * @internal The clock of this MMU's trace track: its cycle counter with the translation-cache hits not yet
   * folded in, read without folding them (and, with a tracer, never going back: see `MmuTracer.now`). The
   * clock a kernel stamps the work it does for this CPU with.
   */
  traceClock(): number {
    return this.tracer === null ? this.counters[CYCLES] + this.cacheHits[0] * this.l1HitCycles : this.tracer.now();
  }

  /**
   * The slow path of a read or fetch that reports a fault instead of throwing
   * it: `raise` records an unresolved fault and answers RETRY, so
   * every step below unwinds as for a retry, and `delivered` says it was not one.
   * @internal
   */
  protected quietRead(va: number, size: 1 | 2 | 4, access: Access): number {
    this.quiet = true;
    try {
      for (let attempt = 0; ; attempt++) {
        const value = this.tryRead(va, size, access);
        if (this.delivered) break;
        if (value !== RETRY) return value;
        this.checkRetryBudget(attempt);
      }
    } finally {
      this.quiet = false;
    }
    // Thrown here, past the finally: an exception thrown through it is caught and thrown again.
    if (this.pendingException !== null) throw this.takePendingException();
    this.delivered = false;
    return FAULTED;
  }

  /** The slow path of a write that reports a fault instead of throwing it (see `quietRead`). @internal */
  protected quietWrite(va: number, size: 1 | 2 | 4, value: number): boolean {
    this.quiet = true;
    try {
      for (let attempt = 0; ; attempt++) {
        const written = this.tryWrite(va, size, value);
        if (this.delivered) break;
        if (written) return true;
        this.checkRetryBudget(attempt);
      }
    } finally {
      this.quiet = false;
    }
    if (this.pendingException !== null) throw this.takePendingException(); // past the finally, as in quietRead
    this.delivered = false;
    return false;
  }

  /**
   * For a fault handler that resolves no fault but wants the access to throw
   * `error` (the Kernel's exceptions): keeps it, and the handler returns what
   * this returns ({@link FaultResolution.Deliver}). The access then unwinds its
   * own frames by returning and throws `error` from the accessor, try-accessors
   * included, instead of a {@link PageFaultError}: what the handler throwing it
   * would do, without the cost of throwing through every frame of the slow path
   * (about 100 ns each, and a finally block as much as a second throw).
   * @param error - what the access throws.
   * @internal
   */
  deferException(error: Error): FaultResolution {
    this.pendingException = error;
    return FaultResolution.Deliver;
  }

  /** The exception a handler gave `deferException`, cleared, for the caller to throw. @internal */
  protected takePendingException(): Error {
    const error = this.pendingException!;
    this.pendingException = null;
    this.delivered = false;
    return error;
  }

  /** Throws the fault a try-accessor left in {@link Mmu.lastFaultRecord}, as the throwing accessors report it. @internal */
  protected throwLastFault(): never {
    throw pageFaultError(this.lastFaultRecord!);
  }

  /**
   * Translates `va` for an access without performing it, for emulators that do
   * their own loads and stores. Costs and side effects are those of the access:
   * TLB lookups, a walk on a miss (setting A, and D for a write), cycles, and
   * faults through the handler.
   *
   * @param va - the virtual address.
   * @param access - the access to translate for.
   * @returns the physical address.
   * @throws {@link PageFaultError} when the translation faults and no handler resolves it.
   * @throws {@link FaultLoopError} as {@link Mmu.read8}.
   * @throws {@link InvalidArgumentError} when `access` is not an {@link Access} value.
   *
   * @example
   * ```ts
   * const memory = new PhysicalMemory({ size: 1 << 20 });
   * const tables = new PageTableBuilder(memory, 'x86-64', new FrameAllocator(memory));
   * tables.map(0x40_0000, 0x9000, { executable: true });
   * const mmu = new Mmu({ memory, format: 'x86-64' });
   * mmu.setRoot(tables.root, 1);
   * mmu.translate(0x40_0abc, Access.Execute); // 0x9abc
   * mmu.stats().tlb.l1i.misses;               // 1: an execute access fills the ITLB
   * ```
   */
  translate(va: number, access: Access): number {
    if (access !== Access.Read && access !== Access.Write && access !== Access.Execute) {
      throw new InvalidArgumentError(`access must be Access.Read, Access.Write or Access.Execute, got ${String(access)}`);
    }
    for (let attempt = 0; ; attempt++) {
      const pa = this.resolve(va, access);
      if (pa !== RETRY) return pa;
      this.checkRetryBudget(attempt);
    }
  }

  /**
   * {@link Mmu.translate} without the exception: returns {@link FAULTED} (-1)
   * when the translation faults and no handler resolves it, leaving the fault
   * in {@link Mmu.lastFaultRecord}.
   *
   * @param va - the virtual address.
   * @param access - the access to translate for.
   * @returns the physical address, or {@link FAULTED}.
   * @throws {@link InvalidArgumentError} when `access` is not an {@link Access} value.
   * @throws {@link FaultLoopError}, or what the fault handler throws, as {@link Mmu.read8}.
   */
  tryTranslate(va: number, access: Access): number {
    if (access !== Access.Read && access !== Access.Write && access !== Access.Execute) {
      throw new InvalidArgumentError(`access must be Access.Read, Access.Write or Access.Execute, got ${String(access)}`);
    }
    this.quiet = true;
    try {
      for (let attempt = 0; ; attempt++) {
        const pa = this.resolve(va, access);
        if (this.delivered) break;
        if (pa !== RETRY) return pa;
        this.checkRetryBudget(attempt);
      }
    } finally {
      this.quiet = false;
    }
    if (this.pendingException !== null) throw this.takePendingException(); // past the finally, as in quietRead
    this.delivered = false;
    return FAULTED;
  }

  /** @internal */
  protected checkRetryBudget(attempt: number): void {
    if (attempt >= this.maxFaultRetries) throw new FaultLoopError(this.lastFaultRecord!);
  }

  /** One attempt at a read: translates every page it touches first, then reads. */
  private tryRead(va: number, size: number, access: Access): number {
    const offset = va & PAGE_MASK;
    const pa = this.resolve(va, access);
    if (pa === RETRY) return RETRY;
    if (offset + size <= PAGE_SIZE) {
      if (this.pmp !== null && this.pmpDenies(pa, size, access, va)) return RETRY;
      return this.physicalRead(pa, size as 1 | 2 | 4, va, access);
    }
    const first = PAGE_SIZE - offset;
    const va2 = this.nextPage(va + first, access);
    const pa2 = va2 < 0 ? this.raise(FaultReason.NonCanonical, va + first, access, -1, -1) : this.resolve(va2, access);
    if (pa2 === RETRY) return RETRY;
    if (this.pmp !== null && this.pmpDeniesSplit(pa, pa2, first, size, access, va, va2)) return RETRY;
    // Byte by byte in address order, so that a bus error is at the first byte that has no device.
    let value = 0;
    for (let i = 0; i < size; i++) {
      const byte = i < first ? this.physicalRead(pa + i, 1, va + i, access) : this.physicalRead(pa2 + i - first, 1, va2 + i - first, access);
      if (byte === RETRY) return RETRY;
      value += byte * BYTE_WEIGHT[i];
    }
    return value;
  }

  /** @internal */
  protected slowRead64(va: number): bigint {
    for (let attempt = 0; ; attempt++) {
      const offset = va & PAGE_MASK;
      const pa = this.resolve(va, Access.Read);
      if (pa !== RETRY) {
        let lo: number;
        let hi: number;
        if (offset <= PAGE_SIZE - 8) {
          lo = this.pmp !== null && this.pmpDenies(pa, 8, Access.Read, va) ? RETRY : this.physicalRead(pa, 4, va, Access.Read);
          hi = lo === RETRY ? RETRY : this.physicalRead(pa + 4, 4, va + 4, Access.Read);
        } else {
          const first = PAGE_SIZE - offset;
          const va2 = this.nextPage(va + first, Access.Read);
          let pa2 = va2 < 0 ? this.raise(FaultReason.NonCanonical, va + first, Access.Read, -1, -1) : this.resolve(va2, Access.Read);
          if (pa2 !== RETRY && this.pmp !== null && this.pmpDeniesSplit(pa, pa2, first, 8, Access.Read, va, va2)) pa2 = RETRY;
          lo = hi = 0;
          for (let i = 0; i < 8 && pa2 !== RETRY; i++) {
            const byte = i < first ? this.physicalRead(pa + i, 1, va + i, Access.Read) : this.physicalRead(pa2 + i - first, 1, va2 + i - first, Access.Read);
            if (byte === RETRY) {
              hi = RETRY;
              break;
            }
            if (i >= 4) hi += byte * BYTE_WEIGHT[i - 4];
            else lo += byte * BYTE_WEIGHT[i];
          }
          if (pa2 === RETRY) hi = RETRY;
        }
        if (lo !== RETRY && hi !== RETRY) return (BigInt(hi) << 32n) | BigInt(lo);
      }
      this.checkRetryBudget(attempt);
    }
  }

  /** One attempt at a write: translates every page it touches before writing any byte. */
  private tryWrite(va: number, size: number, value: number): boolean {
    const offset = va & PAGE_MASK;
    const pa = this.resolve(va, Access.Write);
    if (pa === RETRY) return false;
    if (offset + size <= PAGE_SIZE) {
      if (this.pmp !== null && this.pmpDenies(pa, size, Access.Write, va)) return false;
      return this.physicalWrite(pa, size as 1 | 2 | 4, value, va);
    }
    const first = PAGE_SIZE - offset;
    const va2 = this.nextPage(va + first, Access.Write);
    const pa2 = va2 < 0 ? this.raise(FaultReason.NonCanonical, va + first, Access.Write, -1, -1) : this.resolve(va2, Access.Write);
    if (pa2 === RETRY) return false;
    if (this.pmp !== null && this.pmpDeniesSplit(pa, pa2, first, size, Access.Write, va, va2)) return false;
    for (let i = 0; i < size; i++) {
      const byte = Math.floor(value / BYTE_WEIGHT[i]) & 0xff;
      if (!(i < first ? this.physicalWrite(pa + i, 1, byte, va + i) : this.physicalWrite(pa2 + i - first, 1, byte, va2 + i - first))) return false;
    }
    return true;
  }

  /** @internal */
  protected slowWrite64(va: number, value: bigint): void {
    const lo = Number(value & 0xffff_ffffn);
    const hi = Number((value >> 32n) & 0xffff_ffffn);
    for (let attempt = 0; ; attempt++) {
      if (this.tryWrite64(va, lo, hi)) return;
      this.checkRetryBudget(attempt);
    }
  }

  /** One attempt at a 64-bit write: both pages translated before any byte is written. */
  private tryWrite64(va: number, lo: number, hi: number): boolean {
    const offset = va & PAGE_MASK;
    const pa = this.resolve(va, Access.Write);
    if (pa === RETRY) return false;
    if (offset <= PAGE_SIZE - 8) {
      if (this.pmp !== null && this.pmpDenies(pa, 8, Access.Write, va)) return false;
      return this.physicalWrite(pa, 4, lo, va) && this.physicalWrite(pa + 4, 4, hi, va + 4);
    }
    const first = PAGE_SIZE - offset;
    const va2 = this.nextPage(va + first, Access.Write);
    const pa2 = va2 < 0 ? this.raise(FaultReason.NonCanonical, va + first, Access.Write, -1, -1) : this.resolve(va2, Access.Write);
    if (pa2 === RETRY) return false;
    if (this.pmp !== null && this.pmpDeniesSplit(pa, pa2, first, 8, Access.Write, va, va2)) return false;
    for (let i = 0; i < 8; i++) {
      const byte = ((i < 4 ? lo : hi) >>> (8 * (i & 3))) & 0xff;
      if (!(i < first ? this.physicalWrite(pa + i, 1, byte, va + i) : this.physicalWrite(pa2 + i - first, 1, byte, va2 + i - first))) return false;
    }
    return true;
  }

  /**
   * PMP's check of a data access of `size` bytes at `pa` (one page): when denied, raises the
   * access fault at `va` and returns true (the access then ends as for any fault). @internal
   */
  protected pmpDenies(pa: number, size: number, access: Access, va: number): boolean {
    const privilege = access === Access.Execute ? this.fetchPmpPrivilege : this.dataPmpPrivilege;
    if (this.pmp!.allowsUnchecked(pa, size, access, privilege)) return false;
    this.raise(FaultReason.PmpViolation, va, access, -1, pa);
    return true;
  }

  /** {@link MmuSlowPath.pmpDenies} for an access split over two pages: `first` bytes at `pa` (`va`), the rest at `pa2` (`va2`), both checked before any byte moves. @internal */
  protected pmpDeniesSplit(pa: number, pa2: number, first: number, size: number, access: Access, va: number, va2: number): boolean {
    return this.pmpDenies(pa, first, access, va) || this.pmpDenies(pa2, size - first, access, va2);
  }

  /**
   * The first byte of the page after the one an access starts on, given `next`, the start of that
   * page counted on from the access: `next` itself; 0 when the access wraps past the top of the
   * address space (2^vaBits is 2^64 in the register, 2^32 for a 32-bit format: the address
   * arithmetic wraps); -1 when it runs off the lower half of a 64-bit format into the
   * non-canonical hole (2^(vaBits - 1) here stands for 0x0000_8000_0000_0000 on x86-64, not the
   * upper half's first page), which faults as `NonCanonical`. Untranslated, `next` is physical. @internal
   */
  protected nextPage(next: number, access: Access): number {
    if (access === Access.Execute ? this.fetchBare : this.dataBare) return next;
    const vaBits = this.currentFormat.vaBits;
    if (next >= 2 ** vaBits) return next - 2 ** vaBits; // (a bulk access may run on past the wrap)
    if (vaBits > 32 && next === 2 ** (vaBits - 1)) return -1;
    return next;
  }

  /** Reads physical memory for a translated access; a bus error becomes an access fault. @internal */
  protected physicalRead(pa: number, size: 1 | 2 | 4, va: number, access: Access): number {
    const o = pa - this.ramBase;
    if (o >= 0 && o + size <= this.memory.ramSize) {
      return size === 4 ? this.view.getUint32(o, true) : size === 2 ? this.view.getUint16(o, true) : this.view.getUint8(o);
    }
    try {
      return size === 4 ? this.memory.read32(pa) : size === 2 ? this.memory.read16(pa) : this.memory.read8(pa);
    } catch (error) {
      if (!(error instanceof PhysicalAccessError)) throw error;
      return this.raise(FaultReason.BusError, va, access, -1, pa);
    }
  }

  /** Writes physical memory for a translated access; returns false when a bus error was resolved and the access must restart. @internal */
  protected physicalWrite(pa: number, size: 1 | 2 | 4, value: number, va: number): boolean {
    const o = pa - this.ramBase;
    if (o >= 0 && o + size <= this.memory.ramSize) {
      if (this.memory.journal !== null) this.memory.journal.saveRange(o, size);
      if (size === 4) this.view.setUint32(o, value, true);
      else if (size === 2) this.view.setUint16(o, value, true);
      else this.view.setUint8(o, value);
      return true;
    }
    try {
      if (size === 4) this.memory.write32(pa, value);
      else if (size === 2) this.memory.write16(pa, value);
      else this.memory.write8(pa, value);
      return true;
    } catch (error) {
      if (!(error instanceof PhysicalAccessError)) throw error;
      this.raise(FaultReason.BusError, va, Access.Write, -1, pa);
      return false;
    }
  }

  /**
   * Translates one address through the L1, the L2 and a walk, and fills the
   * translation cache's slot for it when the page allows. Returns the physical
   * address, or RETRY when a fault was raised and resolved.
   * @internal
   */
  protected resolve(va: number, access: Access): number {
    const instruction = access === Access.Execute;
    if (instruction ? this.fetchBare : this.dataBare) {
      this.counters[CYCLES] += this.cycleModel.l1Hit;
      // Untranslated, the address is physical: one past the physical address space is an access
      // fault (RISC-V) or a bus error (x86 #MC), never a page fault, as an address outside RAM is.
      if (!Number.isSafeInteger(va) || va < 0) return this.raise(FaultReason.BusError, va, access, -1, va);
      const pageVa = va - (va & PAGE_MASK);
      // Untranslated (paging off, M-mode): no TLB takes part, and a RAM page's slot is an identity translation.
      if (this.fillsCache && this.memory.isRam(pageVa, PAGE_SIZE)) {
        if (instruction) {
          if (this.pmpAllowsPage(pageVa, Access.Execute)) this.fetchCache.fillFetch(pageVa, -this.ramBase, -1, 12);
        } else {
          const readable = this.pmpAllowsPage(pageVa, Access.Read);
          let writable = this.pmpAllowsPage(pageVa, Access.Write);
          // A write slot lets the hit path write the page unseen: with a snapshot open, only once the frame is saved.
          if (writable && this.memory.journal !== null) writable = this.memory.journal.allowsWriteSlot(pageVa - this.ramBase, access === Access.Write);
          if (readable || writable) this.dataCache.fillData(pageVa, -this.ramBase, -1, 12, readable, writable);
        }
      }
      return va;
    }
    const l1 = instruction ? this.l1i : this.l1d;
    const row = rowUnchecked(this.translatedPrivilege(instruction), access);
    const e = l1.lookup(va, this.tlbTag);
    if (e >= 0) {
      this.counters[CYCLES] += this.cycleModel.l1Hit;
      if (this.slowPerm[row + l1.perm[e]] === 1) {
        this.cacheSlot(l1, e, va, instruction, false, access === Access.Write);
        return l1.pageBase[e] + (va - l1.tag[e]);
      }
      // Not allowed by the cached entry (or a write through a clean one): walk again.
    } else if (this.l2 !== null) {
      this.counters[CYCLES] += this.cycleModel.l2Hit;
      const e2 = this.l2.lookup(va, this.tlbTag);
      if (e2 >= 0 && this.slowPerm[row + this.l2.perm[e2]] === 1) {
        const e1 = this.tlb.promoteUnchecked(this.l2, e2, va, instruction);
        if (this.tracer !== null) this.tracer.fill(va, this.l2.asid[e2], this.l2.sourceShift[e2], instruction, true);
        this.cacheSlot(l1, e1, va, instruction, true, access === Access.Write);
        return this.l2.pageBase[e2] + (va - this.l2.tag[e2]);
      }
    }
    return this.walkAndFill(va, access);
  }

  /**
   * Fills the translation-cache slot of `va` from L1 entry `e` for every access
   * kind the entry allows on RAM. In accurate mode only when a lookup of `va`
   * would return `e` (`inserted`: e was just written, so another entry may come
   * first in the lookup order).
   */
  private cacheSlot(l1: Tlb, e: number, va: number, instruction: boolean, inserted: boolean, write: boolean): void {
    if (e < 0 || !this.fillsCache) return;
    if (inserted && this.exact && !l1.firstInLookupOrder(e) && l1.peek(va, this.tlbTag) !== e) return;
    let perm = l1.perm[e];
    const pageVa = va - (va & PAGE_MASK);
    const addend = l1.pageBase[e] - l1.tag[e] - this.ramBase;
    // A large page that is not all RAM (a megapage over RAM and devices) still has 4 KiB pages
    // that are: those can be cached, the others keep going through the physical address map.
    if ((perm & Perm.Io) !== 0) {
      if (!this.memory.isRam(pageVa + addend + this.ramBase, PAGE_SIZE)) return;
      perm &= ~Perm.Io;
    }
    const pagePa = pageVa + addend + this.ramBase;
    if (instruction) {
      if (this.fastPerm[this.rowExecute + perm] === 1 && this.pmpAllowsPage(pagePa, Access.Execute)) this.fetchCache.fillFetch(pageVa, addend, e, l1.sourceShift[e]);
      return;
    }
    const readable = this.fastPerm[this.rowRead + perm] === 1 && this.pmpAllowsPage(pagePa, Access.Read);
    let writable = this.fastPerm[this.rowWrite + perm] === 1 && this.pmpAllowsPage(pagePa, Access.Write);
    // A write slot lets the hit path write the page unseen: with a snapshot open, only once the frame is saved
    // (a write saves it now; a read leaves the slot read-only, so that reads copy nothing).
    if (writable && this.memory.journal !== null) writable = this.memory.journal.allowsWriteSlot(pageVa + addend, write);
    if (readable || writable) this.dataCache.fillData(pageVa, addend, e, l1.sourceShift[e], readable, writable);
  }

  /**
   * Whether PMP lets every access of this kind to the 4 KiB page at `pagePa` through (true without
   * a PMP): only then may a translation-cache slot answer for the page, as its hits check nothing.
   */
  private pmpAllowsPage(pagePa: number, access: Access): boolean {
    if (this.pmp === null) return true;
    return this.pmp.allowsUnchecked(pagePa, PAGE_SIZE, access, access === Access.Execute ? this.fetchPmpPrivilege : this.dataPmpPrivilege);
  }

  private walkAndFill(va: number, access: Access): number {
    const r = this.walkResult;
    this.currentWalker.walk(va, access, this.translatedPrivilege(access === Access.Execute), this.rootAddress, this.tlbTag, r);
    this.countWalk(va, access, r);
    // A non-canonical address reads no entry: no level (as the fault's documentation gives, -1).
    if (!r.ok) return this.raiseWalkFault(va, access, r);
    return this.fillFromWalk(va, access, r);
  }

  /**
   * Translates `va` by a walk alone, filling no TLB or translation cache: for an access whose
   * permissions differ from every other's (HLVX, which reads with execute permission). Counts the
   * walk and charges it as a miss would. Returns the physical address, or RETRY.
   * @internal
   */
  protected walkWithoutFill(va: number, access: Access): number {
    const r = this.walkResult;
    this.currentWalker.walk(va, access, this.translatedPrivilege(access === Access.Execute), this.rootAddress, this.tlbTag, r);
    this.countWalk(va, access, r);
    if (!r.ok) return this.raiseWalkFault(va, access, r);
    const pageSize = PAGE_SIZES[r.pageShift];
    return r.pageBase + (r.pageShift <= 30 ? va & (pageSize - 1) : va % pageSize);
  }

  /** Adds a walk's references to the counters and cycles, and traces it. */
  private countWalk(va: number, access: Access, r: WalkResult): void {
    const model = this.cycleModel;
    this.counters[WALKS] += 1;
    this.counters[PTE_READS] += r.pteReads;
    this.counters[PTE_WRITES] += r.pteWrites;
    this.counters[WALK_CACHE_HITS] += r.walkCacheHits;
    this.counters[CYCLES] += r.pteReads * model.pteRead + r.pteWrites * model.pteWrite + r.walkCacheHits * model.walkCacheHit;
    if (this.tracer !== null) this.tracer.walk(va, access, r);
  }

  /** Raises the fault a walk reported (with the second stage's details when virtualised). */
  private raiseWalkFault(va: number, access: Access, r: WalkResult): number {
    if (this.guestMode) this.guestWalkFaulted = true;
    return this.raise(r.faultReason, va, access, r.faultReason === FaultReason.NonCanonical ? -1 : r.level, r.pageTableAccess === null ? -1 : r.entryAddress, r.pageTableAccess);
  }

  /** Fills the TLBs (and the translation cache) from a successful walk; returns the physical address. */
  private fillFromWalk(va: number, access: Access, r: WalkResult): number {
    // Page sizes are table entries: `2 ** shift` with a variable shift is a Math.pow call.
    const pageSize = PAGE_SIZES[r.pageShift];
    let perm = r.perm;
    if (!this.memory.isRam(r.pageBase, pageSize)) perm |= Perm.Io;
    // A guest's global pages are kept under its own tag: a global entry would match every tag, the host's too.
    const global = r.global && !this.guestMode && (this.currentFormat.architecture !== 'x86' || this.controlState.pge);
    const instruction = access === Access.Execute;
    // A walk's result is valid by construction: no argument checks on the miss path.
    const e = this.tlb.fillUnchecked(va, global ? GLOBAL_ASID : this.tlbTag, r.pageShift, r.pageBase, perm, r.memoryType, instruction);
    if (this.tracer !== null) this.tracer.fill(va, global ? GLOBAL_ASID : this.tlbTag, r.pageShift, instruction, false);
    this.cacheSlot(instruction ? this.l1i : this.l1d, e, va, instruction, true, access === Access.Write);
    return r.pageBase + (r.pageShift <= 30 ? va & (pageSize - 1) : va % pageSize);
  }

  /** The privilege a fetch (`instruction`) or a load or store is translated and checked with. */
  private translatedPrivilege(instruction: boolean): TranslatedPrivilege {
    return instruction ? this.fetchPrivilege : this.dataPrivilege;
  }

  /**
   * Adds to a fault just recorded what the guest walker found out (when the walk failed), or marks
   * it as a virtual machine's (a fault of the access itself: PMP, a bus error, a page crossing
   * into the non-canonical hole).
   */
  private recordGuestStage(record: FaultRecord): void {
    if (!this.guestWalkFaulted) {
      recordGuestFault(record, GuestFaultStage.Host, -2, 0, -1, 0, 0, 0);
      return;
    }
    this.guestWalkFaulted = false;
    const w = this.currentWalker as unknown as GuestWalker;
    recordGuestFault(record, w.faultStage, w.faultCode, w.guestErrorCode, w.faultGuestPhysical, w.htinst, w.exitReason, w.exitQualification);
  }

  /**
   * Raises a fault: the handler may resolve it (returns RETRY) or it is thrown. The fault goes
   * into the reusable {@link Mmu.faultRecord}: nothing is allocated unless the fault is thrown,
   * its immutable copy is asked for, or the handler takes {@link TranslationFault}s.
   * @internal
   */
  protected raise(reason: FaultReason, va: number, access: Access, level: number, physicalAddress: number, pageTableAccess: PageTableAccess | null = null): number {
    const reportFetch = this.controlState.smep || (this.controlState.nxe && this.currentFormat.name !== 'x86-32');
    const instruction = access === Access.Execute;
    const bare = instruction ? this.fetchBare : this.dataBare;
    const root = bare ? -1 : this.rootAddress;
    // The privilege the access was checked with: MPP's for an M-mode load or store with MPRV (translated, or
    // untranslated with paging off, where PMP still checks it as MPP), M for other untranslated M-mode accesses.
    const privilege = bare ? (instruction ? this.fetchPmpPrivilege : this.dataPmpPrivilege) : this.translatedPrivilege(instruction);
    const record = this.faultRecord;
    // The exact address in halves: a wide accessor's, when it is above what `va` holds exactly.
    const high = this.wideAddress ? this.wideHigh : highHalf(va);
    const low = this.wideAddress ? this.wideLow : lowHalf(va);
    // A page-crossing access faults at the first byte of the failing page: va is that byte already.
    recordFault(record, va, access, privilege, reason, level, this.currentAsid, reportFetch, physicalAddress, pageTableAccess, root, high, low);
    if (this.guestMode) this.recordGuestStage(record);
    this.counters[FAULTS] += 1;
    this.counters[CYCLES] += this.cycleModel.faultEntry;
    const traceStart = this.tracer === null ? -1 : this.tracer.fault(record);
    const handler = this.faultHandler;
    if (handler !== null) {
      const sequence = record.sequence;
      const asid = this.currentAsid;
      // A virtualised fault's second-stage details, to write again if the handler's own faults overwrite the record.
      const guestStage = record.virtualized
        ? { stage: record.stage, vector: record.vector, errorCode: record.errorCode, guestPhysicalAddress: record.guestPhysicalAddress, htinst: record.htinst, exitReason: record.exitReason, exitQualification: record.exitQualification }
        : null;
      // The handler's own accesses to this MMU throw as usual, even inside a try-accessor, and
      // record their own addresses, even inside a wide access.
      const quiet = this.quiet;
      const wide = this.wideAddress;
      this.quiet = false;
      this.wideAddress = false;
      const mmu = this as unknown as Mmu; // every MmuSlowPath is an Mmu
      let copy: TranslationFault | null = null;
      let resolution: FaultResolution;
      // A hypervisor load or store's fault is handled as its trap is taken, in HS-mode with V=0; the
      // access goes back to V=1 for its retry (a handler that throws leaves it to the access's own cleanup).
      const hypervisorAccess = this.hypervisorAccessPrivilege >= 0 && this.guestMode;
      if (hypervisorAccess) this.suspendHypervisorAccess();
      if (typeof handler.handleFaultRecord === 'function') {
        resolution = handler.handleFaultRecord(record, mmu);
      } else {
        copy = this.lastFaultRecord!;
        resolution = handler.handleFault(copy, mmu);
      }
      if (hypervisorAccess) this.resumeHypervisorAccess();
      this.quiet = quiet;
      this.wideAddress = wide;
      if (record.sequence !== sequence) {
        // The handler's own faults came after this one: the record (and lastFaultRecord's copy) is this fault again.
        const guest = guestStage;
        recordFault(record, va, access, privilege, reason, level, asid, reportFetch, physicalAddress, pageTableAccess, root, high, low);
        if (guest !== null) recordGuestFault(record, guest.stage, guest.vector, guest.errorCode, guest.guestPhysicalAddress, guest.htinst, guest.exitReason, guest.exitQualification);
        if (copy !== null) this.keepFaultCopy(copy);
      }
      if (this.tracer !== null && traceStart >= 0) this.tracer.faultHandled(record, traceStart, resolution === FaultResolution.Retry && this.pendingException === null);
      if (this.pendingException !== null) {
        // deferException: a try-accessor unwinds to its loop and throws it there; anything else throws it now.
        if (!quiet) throw this.takePendingException();
        this.delivered = true;
        return RETRY;
      }
      if (resolution === FaultResolution.Retry) {
        this.counters[FAULT_RETRIES] += 1;
        this.counters[CYCLES] += this.cycleModel.faultExit;
        return RETRY;
      }
    }
    if (this.quiet) {
      this.delivered = true;
      return RETRY;
    }
    throw pageFaultError(this.lastFaultRecord!);
  }
}
