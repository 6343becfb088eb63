import type { FaultResolution, TranslationFault } from './fault.js';
import type { FaultRecord } from './fault-record.js';
import type { Mmu } from './mmu.js';

/**
 * Receives every fault an {@link Mmu} raises, before it reaches the emulator.
 *
 * A full-system emulator usually installs none (or one that only counts) and
 * lets faults reach it as {@link PageFaultError} to inject into the guest. A
 * kernel (such as mmukit's own `src/os` layer) installs one that fixes the
 * mapping — demand-zero, copy-on-write, guard pages — and answers
 * {@link FaultResolution.Retry}. A handler that changes page tables must
 * invalidate the TLB entries it made stale, as a real kernel must.
 *
 * A handler may also throw: the exception leaves the faulting access
 * unchanged (a {@link Kernel}'s CPUs throw {@link WindowsExceptionError} out of their accesses).
 *
 * @example
 * ```ts
 * // Demand-zero paging for a heap: the first touch of a page maps a zeroed frame.
 * const memory = new PhysicalMemory({ size: 1 << 20 });
 * const frames = new FrameAllocator(memory);
 * const tables = new PageTableBuilder(memory, 'x86-64', frames);
 * const mmu = new Mmu({ memory, format: 'x86-64' });
 * mmu.setRoot(tables.root, 1);
 * const heap = { start: 0x10_0000, end: 0x20_0000 };
 * mmu.faultHandler = {
 *   handleFault(fault) {
 *     if (fault.address < heap.start || fault.address >= heap.end) return FaultResolution.Deliver;
 *     const page = fault.address - (fault.address % 4096);
 *     tables.mapPage(page, frames.allocate() * 4096, { writable: true }); // was not present: no invalidation needed
 *     return FaultResolution.Retry;
 *   },
 * };
 * mmu.write32(0x10_2000, 5);   // faults, the handler maps the page, the write is retried
 * mmu.read32(0x10_2000);       // 5
 * mmu.stats().faultRetries;    // 1
 * ```
 */
export interface FaultHandler {
  /**
   * Decides what happens to a fault.
   * @param fault - the fault record: an immutable {@link TranslationFault}, the handler's to keep.
   * @param mmu - the MMU that raised it (its root, ASID and privilege are those of the faulting access).
   * @returns {@link FaultResolution.Retry} after fixing the mapping, or {@link FaultResolution.Deliver}.
   */
  handleFault(fault: TranslationFault, mmu: Mmu): FaultResolution;
  /**
   * The allocation-free form of {@link FaultHandler.handleFault}, optional: when a handler has it,
   * the MMU calls it instead, with its reusable {@link Mmu.faultRecord}, so that a fault the handler
   * resolves allocates nothing (mmukit's `Kernel` handles its faults this way). The record is
   * valid during the call, until the handler's own accesses to this MMU fault (the MMU puts the
   * fault back when the handler returns); keep {@link FaultRecord.toFault} to hold on to it.
   * @param fault - the MMU's fault record.
   * @param mmu - the MMU that raised it.
   * @returns {@link FaultResolution.Retry} after fixing the mapping, or {@link FaultResolution.Deliver}.
   */
  handleFaultRecord?(fault: FaultRecord, mmu: Mmu): FaultResolution;
}
