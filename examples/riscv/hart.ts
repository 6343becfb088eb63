/**
 * One RV64 hart: registers, pc, privilege mode, CSRs, and the fetch-execute
 * loop with precise traps. The instruction semantics live in rv64i.ts,
 * rv64m.ts and system.ts; memory goes through guest-memory.ts to the memory
 * system: an mmukit Mmu, or FlatMemory (no translation) for the benchmark's
 * baseline.
 *
 * Privilege: U-mode and S-mode only. There is no M-mode: the hart starts in
 * S-mode as if firmware had just handed over, every exception is taken in
 * S-mode (as if medeleg delegated all of them), and an ecall from S-mode is
 * answered by the emulator's stand-in firmware (sbi.ts).
 */
import { PageFaultError, Privilege, type TranslationFault } from '../../src/index.js';
import type { MemorySystem } from './memory-system.js';
import { SupervisorCsrs, Sstatus } from './csrs.js';
import { GuestMemory, SV39_VA_BITS } from './guest-memory.js';
import { execute as executeInstruction } from './rv64i.js';
import { Mode } from './mode.js';
import { Trap, trapFromFault } from './trap.js';

/**
 * Parts a hart with more privileged architecture brings along (the H extension,
 * examples/riscv-hypervisor): its CSR file and its view of memory. The defaults
 * are this hart's.
 */
export interface HartParts {
  csr?: SupervisorCsrs;
  memory?: GuestMemory;
}

export class Hart<M extends MemorySystem = MemorySystem> {
  /** x0..x31. A BigUint64Array wraps every write to 64 bits, as the hardware does. */
  readonly x = new BigUint64Array(32);
  pc: bigint;
  readonly csr: SupervisorCsrs;
  readonly memory: GuestMemory;
  /** Instructions that completed (a trapping instruction does not retire). */
  instret = 0;
  /** Traps taken into S-mode, by scause. */
  readonly traps = new Map<number, number>();
  /** SFENCE.VMA instructions executed. */
  sfences = 0;
  /** Set by the firmware's shutdown call: the machine has stopped with this code. */
  exitCode: number | null = null;
  private currentMode: Mode = Mode.Supervisor;

  /**
   * @param mmu - the memory system: an mmukit Mmu, or FlatMemory.
   * @param entry - the first pc.
   * @param parts - replacements for the CSR file and the memory view (see {@link HartParts}).
   */
  constructor(
    readonly mmu: M,
    entry: bigint,
    parts: HartParts = {},
  ) {
    this.pc = entry;
    this.csr = parts.csr ?? new SupervisorCsrs(mmu);
    this.memory = parts.memory ?? new GuestMemory(mmu);
    this.mode = Mode.Supervisor;
  }

  get mode(): Mode {
    return this.currentMode;
  }

  /** Changes the privilege mode, and with it the privilege of the MMU's accesses. */
  set mode(mode: Mode) {
    this.currentMode = mode;
    this.mmu.setPrivilege(mode === Mode.User ? Privilege.User : Privilege.Supervisor);
  }

  get halted(): boolean {
    return this.exitCode !== null;
  }

  /**
   * Executes one instruction, or takes the trap it raises. mmukit reports a
   * failed translation as PageFaultError; it wrote nothing, so the trap is
   * precise like any other.
   */
  step(): void {
    try {
      this.execute(this.memory.fetch(this.pc));
      this.x[0] = 0n;
      this.instret++;
    } catch (error) {
      if (error instanceof Trap) this.takeTrap(error);
      else if (error instanceof PageFaultError) this.takeTrap(this.trapFromFault(error.fault));
      else throw error;
    }
  }

  /** Executes one fetched instruction (rv64i.ts). A hart with more instructions extends this. */
  protected execute(inst: number): void {
    executeInstruction(this, inst);
  }

  /** The trap a failed mmukit translation raises on this hart. */
  protected trapFromFault(fault: TranslationFault): Trap {
    return trapFromFault(fault, this.mmu.paging ? SV39_VA_BITS : null);
  }

  /** Delivers a trap. Here every trap is taken in S-mode; a hart with the H extension routes it. */
  protected takeTrap(trap: Trap): void {
    this.trap(trap.scause, trap.stval);
  }

  /** Runs until the firmware shuts the machine down; throws after `limit` instructions or traps. */
  run(limit: number): void {
    for (let n = 0; !this.halted; n++) {
      if (n >= limit) throw new Error(`no shutdown after ${limit} steps (pc 0x${this.pc.toString(16)})`);
      this.step();
    }
  }

  /**
   * Takes an exception into S-mode (Privileged spec, "Supervisor Trap
   * Handling"): sepc = the trapping instruction, scause, stval; SPP = the mode
   * it came from, SPIE = SIE, SIE = 0; then S-mode at stvec.BASE (exceptions
   * ignore vectored mode).
   */
  trap(cause: number, tval: bigint): void {
    const c = this.csr;
    this.traps.set(cause, (this.traps.get(cause) ?? 0) + 1);
    c.sepc = this.pc;
    c.scause = BigInt(cause);
    c.stval = tval;
    let status = c.sstatus & ~(Sstatus.SPP | Sstatus.SPIE | Sstatus.SIE);
    if (this.mode === Mode.Supervisor) status |= Sstatus.SPP;
    if ((c.sstatus & Sstatus.SIE) !== 0n) status |= Sstatus.SPIE;
    c.writeSstatus(status);
    this.mode = Mode.Supervisor;
    this.pc = c.stvec & ~3n;
  }

  /** SRET: back to sepc in the mode SPP names; SIE = SPIE, SPIE = 1, SPP = U. */
  returnFromTrap(): void {
    const c = this.csr;
    const mode = (c.sstatus & Sstatus.SPP) !== 0n ? Mode.Supervisor : Mode.User;
    let status = c.sstatus & ~(Sstatus.SPP | Sstatus.SIE);
    if ((c.sstatus & Sstatus.SPIE) !== 0n) status |= Sstatus.SIE;
    c.writeSstatus(status | Sstatus.SPIE);
    this.mode = mode;
    this.pc = c.sepc;
  }

  /** How many traps of cause `cause` were taken. */
  trapCount(cause: number): number {
    return this.traps.get(cause) ?? 0;
  }
}
