import type { FaultResolution, TranslationFault } from './fault.js';
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
 * @example
 * ```ts
 * mmu.faultHandler = {
 *   handleFault(fault, mmu) {
 *     if (!isDemandZero(fault.address)) return FaultResolution.Deliver;
 *     mapZeroPage(fault.address);
 *     return FaultResolution.Retry;
 *   },
 * };
 * ```
 */
export interface FaultHandler {
  /**
   * Decides what happens to a fault.
   * @param fault - the fault record.
   * @param mmu - the MMU that raised it (its root, ASID and privilege are those of the faulting access).
   * @returns {@link FaultResolution.Retry} after fixing the mapping, or {@link FaultResolution.Deliver}.
   */
  handleFault(fault: TranslationFault, mmu: Mmu): FaultResolution;
}
