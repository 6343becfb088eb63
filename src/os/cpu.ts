import type { Mmu } from '../mmu/mmu.js';
import type { Process } from './process.js';

/**
 * One emulated CPU of a {@link Kernel}: an {@link Mmu} whose fault handler is
 * the kernel, and the process it runs. The emulator's CPU loop calls
 * `cpu.mmu.read32(...)` and friends.
 */
export class Cpu {
  /** Index in the kernel's CPU list. */
  readonly index: number;
  /** The memory-management unit. */
  readonly mmu: Mmu;
  /** The process this CPU runs, or null when idle. */
  process: Process | null = null;

  /** @internal Created by the kernel. */
  constructor(index: number, mmu: Mmu) {
    this.index = index;
    this.mmu = mmu;
  }
}
