/**
 * Latencies the kernel charges, in cycles, to the CPU it works for (through
 * {@link Mmu.chargeCycles}, so they appear in that CPU's {@link Mmu.cycles}).
 * Set them with {@link KernelOptions.kernelCycles}.
 */
export interface KernelCycleModel {
  /** Zeroing a 4 KiB frame (demand-zero fault): 4096 bytes at 32 bytes per cycle, plus overhead (estimate). */
  frameZero: number;
  /** Copying a 4 KiB frame (copy-on-write fault): a read and a write stream (estimate). */
  frameCopy: number;
  /** Invalidating one translation on a CPU (INVLPG / INVPCID, roughly 100–200 cycles on recent Intel cores; estimate). */
  invalidate: number;
  /** Sending a shootdown inter-processor interrupt to one other CPU and waiting for it (estimate; measured in the low thousands of cycles on x86 servers). */
  ipi: number;
}

/** Default {@link KernelCycleModel}. Every value is an estimate; change them for your machine. */
export const DEFAULT_KERNEL_CYCLES: Readonly<KernelCycleModel> = Object.freeze({
  frameZero: 150,
  frameCopy: 300,
  invalidate: 120,
  ipi: 2000,
});

/** System-wide counters of a {@link Kernel} ({@link Kernel.stats}); each counts events since the kernel was created. */
export interface KernelStats {
  /** Faults resolved by giving a committed page its first frame (zeroed, or the shared zero frame for a read). */
  demandZeroFaults: number;
  /** Faults resolved by reading a section page in (file data or zero fill). */
  sectionFaults: number;
  /** Write faults on shared frames resolved by copying. */
  copyOnWriteFaults: number;
  /** Write faults on copy-on-write frames resolved without a copy because the writer was the only owner. */
  copyOnWriteReuses: number;
  /** Image pages relocated into a private copy for one process (the pre-ASLR model, B95). */
  relocatedPages: number;
  /** STATUS_GUARD_PAGE_VIOLATION exceptions raised. */
  guardFaults: number;
  /** STATUS_ACCESS_VIOLATION exceptions raised. */
  accessViolations: number;
  /** STATUS_IN_PAGE_ERROR exceptions raised (physical memory ran out in a fault). */
  inPageErrors: number;
  /** Shootdowns: page-table changes that invalidated possibly cached translations. */
  shootdowns: number;
  /** Translations invalidated on CPUs other than the one making the change (IPIs sent). */
  shootdownIpis: number;
  /** Translations invalidated in total, on every CPU. */
  invalidations: number;
}

/** A {@link KernelStats} with every counter at 0. @internal */
export function emptyKernelStats(): KernelStats {
  return {
    demandZeroFaults: 0,
    sectionFaults: 0,
    copyOnWriteFaults: 0,
    copyOnWriteReuses: 0,
    relocatedPages: 0,
    guardFaults: 0,
    accessViolations: 0,
    inPageErrors: 0,
    shootdowns: 0,
    shootdownIpis: 0,
    invalidations: 0,
  };
}
