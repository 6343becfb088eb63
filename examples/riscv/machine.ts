/**
 * The board: 8 MiB of RAM at 0x8000_0000, an MMIO console at 0x1000_0000, one
 * hart whose memory is an mmukit Mmu in Sv39 format. The kernel image is
 * copied to the start of RAM and the hart starts there in S-mode, paging off.
 *
 * mmukit is only the hardware here: the guest kernel builds its own page
 * tables in RAM and points satp at them; the Mmu walks them, caches
 * translations in its TLBs, counts cycles, and reports failed translations,
 * which the hart delivers to the guest as traps.
 */
import { Mmu, PhysicalMemory, type MmuMode, type MmuStats } from '../../src/index.js';
import { MmioConsole } from './console.js';
import { Hart } from './hart.js';
import { Cause } from './trap.js';

/** Physical address of the first byte of RAM, where the image is loaded and the hart starts. */
export const RAM_BASE = 0x8000_0000;
/** Bytes of RAM: 8 MiB. */
export const RAM_SIZE = 8 << 20;
/** Physical address of the MMIO console. */
export const CONSOLE_BASE = 0x1000_0000;
/** Bytes of the console's MMIO region (one page). */
export const CONSOLE_SIZE = 0x1000;

/** What a run produced that any memory system can tell: the hart's and the console's part of a {@link RunResult}. */
export interface HartResult {
  /** The code the guest passed to the firmware's shutdown call. */
  exitCode: number;
  /** Everything the guest printed. */
  console: string;
  /** Instructions retired. */
  instructions: number;
  /** Page faults delivered to the guest, by scause: 12 fetch, 13 load, 15 store. */
  pageFaults: { fetch: number; load: number; store: number };
  /** System calls (ecall from U-mode). */
  syscalls: number;
  /** All traps taken, by scause. */
  traps: ReadonlyMap<number, number>;
  /** SFENCE.VMA instructions executed. */
  sfences: number;
  /** satp writes that took effect. */
  satpWrites: number;
  /** satp when the machine stopped. */
  satp: bigint;
}

/** What a run produced, for run.ts and the tests. */
export interface RunResult extends HartResult {
  /** The Mmu's counters: cycles, walks, PTE reads, faults, TLB hits and misses. */
  mmu: MmuStats;
}

/** Runs `hart` until the guest shuts the machine down, and collects what it did. @throws after `limit` steps without a shutdown. */
export function runHart(hart: Hart, output: MmioConsole, limit: number): HartResult {
  hart.run(limit);
  return {
    exitCode: hart.exitCode ?? -1,
    console: output.text(),
    instructions: hart.instret,
    pageFaults: {
      fetch: hart.trapCount(Cause.InstructionPageFault),
      load: hart.trapCount(Cause.LoadPageFault),
      store: hart.trapCount(Cause.StorePageFault),
    },
    syscalls: hart.trapCount(Cause.EcallFromU),
    traps: new Map(hart.traps),
    sfences: hart.sfences,
    satpWrites: hart.csr.satpWrites,
    satp: hart.csr.satp,
  };
}

/**
 * The board without its hart: RAM with the image copied to its start, the console, and an
 * mmukit Mmu (Sv39) in front of them. {@link Machine} and the hypervisor example's machine
 * put their hart on it.
 */
export class Board {
  readonly memory: PhysicalMemory;
  readonly console = new MmioConsole();
  readonly mmu: Mmu;

  /**
   * @param image - the software to run, copied to the start of RAM.
   * @param mode - the Mmu's mode: `'accurate'` (the TLB model on every access) or `'fast'`.
   */
  constructor(image: Uint8Array, mode: MmuMode) {
    this.memory = new PhysicalMemory({ size: RAM_SIZE, base: RAM_BASE });
    this.memory.mapMmio(CONSOLE_BASE, CONSOLE_SIZE, this.console, 'console');
    if (image.length > RAM_SIZE) throw new Error(`image of ${image.length} bytes does not fit in RAM`);
    this.memory.writeBytes(RAM_BASE, image);
    // Default TLB geometry and latencies (mmukit's Skylake preset): the numbers
    // are a model to compare runs with, not a claim about a RISC-V core.
    this.mmu = new Mmu({ memory: this.memory, format: 'sv39', mode });
  }
}

/** The board with an mmukit Mmu (Sv39) between the hart and physical memory. */
export class Machine extends Board {
  readonly hart: Hart<Mmu>;

  /**
   * @param image - the guest kernel, copied to the start of RAM.
   * @param mode - the Mmu's mode: `'accurate'` (the TLB model on every access) or `'fast'`.
   */
  constructor(image: Uint8Array, mode: MmuMode = 'accurate') {
    super(image, mode);
    this.hart = new Hart(this.mmu, BigInt(RAM_BASE));
  }

  /** Runs until the guest shuts the machine down. @throws after `limit` steps without a shutdown. */
  run(limit = 1_000_000): RunResult {
    return { ...runHart(this.hart, this.console, limit), mmu: this.mmu.stats() };
  }
}
