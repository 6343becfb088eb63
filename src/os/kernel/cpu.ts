import type { Mmu } from '../../mmu/mmu.js';
import type { Thread } from '../objects/threads.js';
import type { Process } from './process.js';

/**
 * One emulated CPU of a {@link Kernel}: an {@link Mmu} whose fault handler is
 * the kernel, and the process it runs. The emulator's CPU loop calls
 * `cpu.mmu.read32(...)` and friends; faults the kernel resolves are invisible
 * (besides their cycles), the others come out of the access as
 * {@link WindowsExceptionError}. {@link Kernel.run} switches the process a CPU runs.
 *
 * @example
 * ```ts
 * const kernel = new Kernel({ cpus: 2 });
 * const p = kernel.createProcess();
 * const base = p.virtualAlloc(0, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
 * const cpu0 = kernel.run(0, p);
 * const cpu1 = kernel.run(1, p);                  // the same process on two CPUs
 * cpu0.mmu.write32(base, 7);                      // demand-zero fault on CPU 0
 * cpu1.mmu.read32(base);                          // 7
 * cpu1.process === p;                             // true
 * p.virtualProtect(base, 0x1000, PAGE_READONLY);  // both CPUs cache the page: a shootdown
 * kernel.stats.shootdownIpis;                     // 1: CPU 0 (running p) sends one IPI, to CPU 1
 * cpu1.mmu.cycles > cpu1.mmu.stats().tlb.l1d.hits; // true: cycles include the walk and the invalidation
 * kernel.idle(1);
 * cpu1.process;                                   // null
 * ```
 */
export class Cpu {
  /** Index in the kernel's CPU list. */
  readonly index: number;
  /** The memory-management unit. */
  readonly mmu: Mmu;
  /** The process this CPU runs, or null when idle. */
  process: Process | null = null;
  /**
   * The thread of {@link Cpu.process} this CPU runs ({@link Kernel.runThread}), or null: a guard page of its
   * stack that this CPU touches grows the stack instead of raising STATUS_GUARD_PAGE_VIOLATION (B59).
   */
  thread: Thread | null = null;

  /** @internal Created by the kernel. */
  constructor(index: number, mmu: Mmu) {
    this.index = index;
    this.mmu = mmu;
  }
}
