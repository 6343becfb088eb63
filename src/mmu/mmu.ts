/**
 * The {@link Mmu}: the accessors an emulator's CPU loop calls for every load,
 * store and fetch, and the translation-cache hit that answers most of them.
 *
 * The class is built in layers, one file each, so that this file holds the hit
 * path alone: `control-registers.ts` (state, control registers,
 * invalidation, counters), `slow-path.ts` (TLB lookups, walks, fills, faults;
 * `translate`) and `bulk-access.ts` (`readBytes`, `writeBytes`, `copyBytes`).
 * @module
 */
import { Access } from './access.js';
import { TRANSLATION_CACHE_SLOTS } from './translation-cache.js';
import { MmuHypervisorAccess } from './hypervisor-access.js';
import { FAULTED } from './slow-path.js';
import type { MmuOptions } from './mmu-options.js';

export { FAULTED } from './slow-path.js';
export type { MmuMode, MmuOptions, MmuStats, MmuTlbStats } from './mmu-options.js';

// Local constants, not imports from control-registers.ts: the imported bindings measured slower on
// the hit path. (FAULTED is imported: the throwing accessors compare with it after the hit path.)
const PAGE_SIZE = 4096;
const PAGE_MASK = 0xfff;
/** Translation-cache hits counted before they are folded into the cycle counter (keeps the Int32 count far from overflow). */
const HIT_FOLD = 1 << 30;
/** `(va >>> 12) & SLOT_MASK` is the translation-cache slot of `va`. */
const SLOT_MASK = TRANSLATION_CACHE_SLOTS - 1;

/**
 * The memory-management unit of one emulated CPU: the front door an emulator's
 * CPU loop calls for every load, store and instruction fetch.
 *
 * It holds the CPU's translation state (root table, ASID, privilege, control
 * bits), looks translations up in its TLB hierarchy, walks the page tables in
 * physical memory on a miss, counts cycles, and turns failures into precise
 * {@link TranslationFault} records. A {@link FaultHandler} may fix the mapping
 * and retry; otherwise the access throws {@link PageFaultError}, which the
 * emulator injects into its guest. A faulting access writes nothing.
 *
 * Like hardware, the TLBs keep a translation after the page tables change,
 * until it is invalidated ({@link Mmu.invalidatePage}, {@link Mmu.sfenceVma},
 * ...). A TLB hit whose permissions do not allow the access (or a write through
 * an entry whose dirty bit was clear) walks again instead of faulting on the
 * stale entry, as a page fault would invalidate it anyway (Intel SDM Vol. 3A
 * §4.10.4.3 allows either).
 *
 * Values: 8/16/32-bit reads return unsigned numbers; 64-bit reads return a
 * `bigint` (the one allocating access: use two 32-bit reads in a hot loop).
 * Addresses are numbers below 2^53 here; the wide accessors ({@link Mmu.readN},
 * {@link Mmu.readHalves} and the others) take a 64-bit register as a `bigint` or
 * as two 32-bit halves, check that it is canonical, and are exact above 2^53.
 *
 * The access methods are the hot path and validate nothing: a `va` that is
 * not a canonical integer address of the format (NaN, ±Infinity, a fraction,
 * a negative or too large number) faults (`NonCanonical`, x86 `#GP`) and
 * reaches no memory. Arguments of other types are outside the contract (a TLB
 * hit lets JavaScript arithmetic coerce them; a bigint address, or a number
 * given to `write64`, throws the host's `TypeError`). Every other method
 * checks its arguments and throws {@link InvalidArgumentError}.
 *
 * @example
 * ```ts
 * const memory = new PhysicalMemory({ size: 64 << 20 });
 * const tables = new PageTableBuilder(memory, 'x86-64', new FrameAllocator(memory));
 * tables.map(0x40_1000, 0x20_0000, { writable: true }); // VA 0x40_1000 → PA 0x20_0000
 * const mmu = new Mmu({ memory, format: 'x86-64' });
 * mmu.setRoot(tables.root, 1);                          // MOV CR3: the PML4, PCID 1
 * mmu.write32(0x40_1000, 42);                           // TLB miss: a walk, then the store
 * mmu.read32(0x40_1000);                                // 42, from the L1 DTLB
 * memory.read32(0x20_0000);                             // 42
 * mmu.stats().walks;                                    // 1
 * mmu.stats().tlb.l1d.hits;                             // 1
 * ```
 */
export class Mmu extends MmuHypervisorAccess {
  /**
   * Builds the TLBs, the walker and the permission tables. The MMU starts with
   * paging on, root 0, ASID 0 and supervisor privilege.
   *
   * @param options - see {@link MmuOptions}.
   * @throws {@link InvalidArgumentError} on an unknown format, bad latencies or bad options.
   * @throws `TlbConfigError` on a bad TLB geometry.
   */
  constructor(options: MmuOptions) {
    super(options);
  }

  // ---------------------------------------------------------------- hot path
  //
  // Every accessor first tries the translation cache of the current privilege (one slot per
  // 4 KiB page, see TranslationCache): a tag equal to the page of `va` means the access is
  // allowed, reaches RAM, and does not cross the page. In accurate mode the hit then does what
  // an L1 TLB hit does to the model (replacement state, hit count); in fast mode it does not.
  // Anything else takes the slow path, which looks the TLBs up, walks, faults, and fills the
  // slot when it can.

  /**
   * Reads an unsigned byte at virtual address `va`.
   *
   * Every accessor (`read*`, `write*`, `fetch*`, {@link Mmu.translate}) takes a
   * virtual address in bytes, an integer below 2^vaBits of the format (the
   * canonical sign extension implied; see the Concepts guide), and may throw:
   *
   * @throws {@link PageFaultError} when the access faults and no handler resolves it (nothing is written).
   * @throws {@link FaultLoopError} when the fault handler answers Retry more than `maxFaultRetries` times in a row.
   * @throws whatever the fault handler throws: a {@link Kernel}'s CPUs throw {@link WindowsExceptionError}.
   */
  read8(va: number): number {
    const value = this.tryRead8(va);
    if (value === FAULTED) this.throwLastFault();
    return value;
  }

  /**
   * {@link Mmu.read8} without the exception: returns {@link FAULTED} (-1) when
   * the access faults and no handler resolves it, leaving the fault in
   * {@link Mmu.faultRecord} (and {@link Mmu.lastFaultRecord}).
   * @throws {@link FaultLoopError}, or what the fault handler throws, as {@link Mmu.read8}.
   */
  tryRead8(va: number): number {
    const i = ((va >>> 12) & SLOT_MASK) + this.dataBase;
    if (this.readTag[i] === va - (va & PAGE_MASK)) {
      if (this.exact) this.touchData(i);
      if (++this.cacheHits[0] === HIT_FOLD) this.foldCacheHits();
      return this.view.getUint8(va + this.dataAddend[i]);
    }
    return this.quietRead(va, 1, Access.Read);
  }

  /**
   * Reads an unsigned little-endian 16-bit value (may cross a page boundary).
   * @throws {@link PageFaultError}, {@link FaultLoopError} as {@link Mmu.read8}.
   */
  read16(va: number): number {
    const value = this.tryRead16(va);
    if (value === FAULTED) this.throwLastFault();
    return value;
  }

  /**
   * {@link Mmu.read16} without the exception: returns {@link FAULTED} (-1) when
   * the access faults and no handler resolves it, leaving the fault in
   * {@link Mmu.faultRecord} (and {@link Mmu.lastFaultRecord}).
   * @throws {@link FaultLoopError}, or what the fault handler throws, as {@link Mmu.read8}.
   */
  tryRead16(va: number): number {
    const i = ((va >>> 12) & SLOT_MASK) + this.dataBase;
    if (this.readTag[i] === va - (va & PAGE_MASK) && (va & PAGE_MASK) <= PAGE_SIZE - 2) {
      if (this.exact) this.touchData(i);
      if (++this.cacheHits[0] === HIT_FOLD) this.foldCacheHits();
      return this.view.getUint16(va + this.dataAddend[i], true);
    }
    return this.quietRead(va, 2, Access.Read);
  }

  /**
   * Reads an unsigned little-endian 32-bit value (may cross a page boundary).
   * @throws {@link PageFaultError}, {@link FaultLoopError} as {@link Mmu.read8}.
   */
  read32(va: number): number {
    const value = this.tryRead32(va);
    if (value === FAULTED) this.throwLastFault();
    return value;
  }

  /**
   * {@link Mmu.read32} without the exception: returns {@link FAULTED} (-1) when
   * the access faults and no handler resolves it, leaving the fault in
   * {@link Mmu.faultRecord} (and {@link Mmu.lastFaultRecord}).
   * @throws {@link FaultLoopError}, or what the fault handler throws, as {@link Mmu.read8}.
   */
  tryRead32(va: number): number {
    const i = ((va >>> 12) & SLOT_MASK) + this.dataBase;
    if (this.readTag[i] === va - (va & PAGE_MASK) && (va & PAGE_MASK) <= PAGE_SIZE - 4) {
      if (this.exact) this.touchData(i);
      if (++this.cacheHits[0] === HIT_FOLD) this.foldCacheHits();
      return this.view.getUint32(va + this.dataAddend[i], true);
    }
    return this.quietRead(va, 4, Access.Read);
  }

  /**
   * Reads a little-endian 64-bit value as an unsigned bigint (the one allocating accessor).
   * @throws {@link PageFaultError}, {@link FaultLoopError} as {@link Mmu.read8}.
   */
  read64(va: number): bigint {
    const i = ((va >>> 12) & SLOT_MASK) + this.dataBase;
    if (this.readTag[i] === va - (va & PAGE_MASK) && (va & PAGE_MASK) <= PAGE_SIZE - 8) {
      if (this.exact) this.touchData(i);
      if (++this.cacheHits[0] === HIT_FOLD) this.foldCacheHits();
      return this.view.getBigUint64(va + this.dataAddend[i], true);
    }
    return this.slowRead64(va);
  }

  /**
   * Writes the low 8 bits of `value`.
   * @throws {@link PageFaultError}, {@link FaultLoopError} as {@link Mmu.read8}; nothing is written then.
   */
  write8(va: number, value: number): void {
    if (!this.tryWrite8(va, value)) this.throwLastFault();
  }

  /**
   * {@link Mmu.write8} without the exception: returns false when the access
   * faults and no handler resolves it, leaving the fault in
   * {@link Mmu.faultRecord} (and {@link Mmu.lastFaultRecord}; nothing is written).
   * @throws {@link FaultLoopError}, or what the fault handler throws, as {@link Mmu.read8}.
   */
  tryWrite8(va: number, value: number): boolean {
    const i = ((va >>> 12) & SLOT_MASK) + this.dataBase;
    if (this.writeTag[i] === va - (va & PAGE_MASK)) {
      if (this.exact) this.touchData(i);
      if (++this.cacheHits[0] === HIT_FOLD) this.foldCacheHits();
      this.view.setUint8(va + this.dataAddend[i], value);
      return true;
    }
    return this.quietWrite(va, 1, value & 0xff);
  }

  /**
   * Writes the low 16 bits of `value`, little-endian. A write that crosses a
   * page boundary translates both pages before writing any byte.
   * @throws {@link PageFaultError}, {@link FaultLoopError} as {@link Mmu.read8}; nothing is written then.
   */
  write16(va: number, value: number): void {
    if (!this.tryWrite16(va, value)) this.throwLastFault();
  }

  /**
   * {@link Mmu.write16} without the exception: returns false when the access
   * faults and no handler resolves it, leaving the fault in
   * {@link Mmu.faultRecord} (and {@link Mmu.lastFaultRecord}; nothing is written).
   * @throws {@link FaultLoopError}, or what the fault handler throws, as {@link Mmu.read8}.
   */
  tryWrite16(va: number, value: number): boolean {
    const i = ((va >>> 12) & SLOT_MASK) + this.dataBase;
    if (this.writeTag[i] === va - (va & PAGE_MASK) && (va & PAGE_MASK) <= PAGE_SIZE - 2) {
      if (this.exact) this.touchData(i);
      if (++this.cacheHits[0] === HIT_FOLD) this.foldCacheHits();
      this.view.setUint16(va + this.dataAddend[i], value, true);
      return true;
    }
    return this.quietWrite(va, 2, value & 0xffff);
  }

  /**
   * Writes the low 32 bits of `value`, little-endian. A write that crosses a
   * page boundary translates both pages before writing any byte.
   * @throws {@link PageFaultError}, {@link FaultLoopError} as {@link Mmu.read8}; nothing is written then.
   */
  write32(va: number, value: number): void {
    if (!this.tryWrite32(va, value)) this.throwLastFault();
  }

  /**
   * {@link Mmu.write32} without the exception: returns false when the access
   * faults and no handler resolves it, leaving the fault in
   * {@link Mmu.faultRecord} (and {@link Mmu.lastFaultRecord}; nothing is written).
   * @throws {@link FaultLoopError}, or what the fault handler throws, as {@link Mmu.read8}.
   */
  tryWrite32(va: number, value: number): boolean {
    const i = ((va >>> 12) & SLOT_MASK) + this.dataBase;
    if (this.writeTag[i] === va - (va & PAGE_MASK) && (va & PAGE_MASK) <= PAGE_SIZE - 4) {
      if (this.exact) this.touchData(i);
      if (++this.cacheHits[0] === HIT_FOLD) this.foldCacheHits();
      this.view.setUint32(va + this.dataAddend[i], value, true);
      return true;
    }
    return this.quietWrite(va, 4, value >>> 0);
  }

  /**
   * Writes the low 64 bits of `value`, little-endian. A write that crosses a
   * page boundary translates both pages before writing any byte.
   * @throws {@link PageFaultError}, {@link FaultLoopError} as {@link Mmu.read8}; nothing is written then.
   */
  write64(va: number, value: bigint): void {
    const i = ((va >>> 12) & SLOT_MASK) + this.dataBase;
    if (this.writeTag[i] === va - (va & PAGE_MASK) && (va & PAGE_MASK) <= PAGE_SIZE - 8) {
      if (this.exact) this.touchData(i);
      if (++this.cacheHits[0] === HIT_FOLD) this.foldCacheHits();
      this.view.setBigUint64(va + this.dataAddend[i], value, true);
      return;
    }
    this.slowWrite64(va, value);
  }

  /**
   * Fetches 32 bits of instruction stream at `va` through the instruction TLB
   * (an execute access). Alias of {@link Mmu.fetch32}.
   * @throws {@link PageFaultError}, {@link FaultLoopError} as {@link Mmu.read8}.
   */
  fetch(va: number): number {
    return this.fetch32(va);
  }

  /**
   * Fetches an instruction byte (x86 decoders fetch byte by byte) through the instruction TLB.
   * @throws {@link PageFaultError}, {@link FaultLoopError} as {@link Mmu.read8}.
   */
  fetch8(va: number): number {
    const value = this.tryFetch8(va);
    if (value === FAULTED) this.throwLastFault();
    return value;
  }

  /**
   * {@link Mmu.fetch8} without the exception: returns {@link FAULTED} (-1) when
   * the access faults and no handler resolves it, leaving the fault in
   * {@link Mmu.faultRecord} (and {@link Mmu.lastFaultRecord}).
   * @throws {@link FaultLoopError}, or what the fault handler throws, as {@link Mmu.read8}.
   */
  tryFetch8(va: number): number {
    const i = ((va >>> 12) & SLOT_MASK) + this.fetchBase;
    if (this.fetchTag[i] === va - (va & PAGE_MASK)) {
      if (this.exact) this.touchFetch(i);
      if (++this.cacheHits[0] === HIT_FOLD) this.foldCacheHits();
      return this.view.getUint8(va + this.fetchAddend[i]);
    }
    return this.quietRead(va, 1, Access.Execute);
  }

  /**
   * Fetches a 16-bit instruction parcel (RISC-V C extension) through the instruction TLB.
   * @throws {@link PageFaultError}, {@link FaultLoopError} as {@link Mmu.read8}.
   */
  fetch16(va: number): number {
    const value = this.tryFetch16(va);
    if (value === FAULTED) this.throwLastFault();
    return value;
  }

  /**
   * {@link Mmu.fetch16} without the exception: returns {@link FAULTED} (-1) when
   * the access faults and no handler resolves it, leaving the fault in
   * {@link Mmu.faultRecord} (and {@link Mmu.lastFaultRecord}).
   * @throws {@link FaultLoopError}, or what the fault handler throws, as {@link Mmu.read8}.
   */
  tryFetch16(va: number): number {
    const i = ((va >>> 12) & SLOT_MASK) + this.fetchBase;
    if (this.fetchTag[i] === va - (va & PAGE_MASK) && (va & PAGE_MASK) <= PAGE_SIZE - 2) {
      if (this.exact) this.touchFetch(i);
      if (++this.cacheHits[0] === HIT_FOLD) this.foldCacheHits();
      return this.view.getUint16(va + this.fetchAddend[i], true);
    }
    return this.quietRead(va, 2, Access.Execute);
  }

  /**
   * Fetches 32 bits of instruction stream, little-endian, through the instruction TLB.
   * @throws {@link PageFaultError}, {@link FaultLoopError} as {@link Mmu.read8}.
   */
  fetch32(va: number): number {
    const value = this.tryFetch32(va);
    if (value === FAULTED) this.throwLastFault();
    return value;
  }

  /**
   * {@link Mmu.fetch32} without the exception: returns {@link FAULTED} (-1) when
   * the access faults and no handler resolves it, leaving the fault in
   * {@link Mmu.faultRecord} (and {@link Mmu.lastFaultRecord}).
   * @throws {@link FaultLoopError}, or what the fault handler throws, as {@link Mmu.read8}.
   */
  tryFetch32(va: number): number {
    const i = ((va >>> 12) & SLOT_MASK) + this.fetchBase;
    if (this.fetchTag[i] === va - (va & PAGE_MASK) && (va & PAGE_MASK) <= PAGE_SIZE - 4) {
      if (this.exact) this.touchFetch(i);
      if (++this.cacheHits[0] === HIT_FOLD) this.foldCacheHits();
      return this.view.getUint32(va + this.fetchAddend[i], true);
    }
    return this.quietRead(va, 4, Access.Execute);
  }

  /** An accurate-mode data hit: what the L1 DTLB lookup that the slot stands for would have done. */
  private touchData(i: number): void {
    const e = this.dataEntry[i];
    if (e >= 0) this.l1d.touchHit(e);
  }

  /** An accurate-mode fetch hit on the L1 ITLB. */
  private touchFetch(i: number): void {
    const e = this.fetchEntry[i];
    if (e >= 0) this.l1i.touchHit(e);
  }

}

/**
 * Turns the translation cache of `mmu` off for good: every access takes the
 * slow path, which is the TLB model alone. For tests that compare the model
 * with and without the cache in front of it.
 * @internal
 */
export function withoutTranslationCache(mmu: Mmu): Mmu {
  (mmu as unknown as { fillsCache: boolean }).fillsCache = false;
  return mmu;
}
