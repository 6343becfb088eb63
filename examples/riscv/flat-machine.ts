/**
 * The board of machine.ts with no MMU: the same RAM and console at the same
 * physical addresses, the same hart, and FlatMemory in place of the mmukit
 * Mmu, so no address is ever translated. The end-to-end benchmark
 * (bench/suites/riscv-guest.ts) runs a guest here and on a Machine and
 * compares instructions per second.
 */
import { MmioConsole } from './console.js';
import { FlatMemory } from './flat-memory.js';
import { Hart } from './hart.js';
import { CONSOLE_BASE, CONSOLE_SIZE, RAM_BASE, RAM_SIZE, runHart, type HartResult } from './machine.js';

/** The board with no MMU: the hart's addresses go straight to RAM and the console. */
export class FlatMachine {
  readonly memory = new FlatMemory(RAM_BASE, RAM_SIZE);
  readonly console = new MmioConsole();
  readonly hart: Hart<FlatMemory>;

  /** @param image - the guest, copied to the start of RAM; the hart starts there in S-mode. */
  constructor(image: Uint8Array) {
    this.memory.mapMmio(CONSOLE_BASE, CONSOLE_SIZE, this.console);
    this.memory.writeBytes(RAM_BASE, image);
    this.hart = new Hart(this.memory, BigInt(RAM_BASE));
  }

  /** Runs until the guest shuts the machine down. @throws after `limit` steps without a shutdown. */
  run(limit = 1_000_000): HartResult {
    return runHart(this.hart, this.console, limit);
  }
}
