/**
 * A hart with the H extension: examples/riscv's Hart plus the V bit, so that it runs a
 * hypervisor in HS-mode (S-mode with V=0) and its guest in VS-mode (V=1, S) or VU-mode
 * (V=1, U). Still no M-mode: an ecall from HS-mode goes to the emulator's firmware.
 *
 * Where a trap goes (Privileged spec, "Hypervisor Extension", "Traps"):
 *
 * - from V=1, an exception whose bit is set in hedeleg is taken in VS-mode: vsepc,
 *   vscause, vstval, vsstatus, at vstvec, V stays 1 (the guest's own page faults);
 * - every other trap is taken in HS-mode: V=0, sepc, scause, stval, sstatus as on any
 *   S-mode trap, and hstatus.SPV = the V it came from, SPVP = the guest's privilege (when
 *   from V=1), GVA = whether stval is a guest-virtual address; htval and htinst. That is
 *   always the case for guest-page faults (20, 21, 23) and ecalls from VS-mode (10).
 *
 * SRET in HS-mode returns to V = hstatus.SPV; in VS-mode it uses vsepc and vsstatus and
 * keeps V=1. The Mmu follows V through `mmu.setVirtualized`.
 */
import type { Mmu, TranslationFault } from '../../src/index.js';
import { Sstatus } from '../riscv/csrs.js';
import { SV39_VA_BITS } from '../riscv/guest-memory.js';
import { Hart } from '../riscv/hart.js';
import { Mode } from '../riscv/mode.js';
import { Cause, type Trap } from '../riscv/trap.js';
import { GuestTrap, HCause, guestTrapFromFault } from './guest-trap.js';
import { Hstatus, HypervisorCsrs } from './hypervisor-csrs.js';
import { executeHypervisorInstruction } from './hypervisor-instructions.js';
import { VirtualizedMemory } from './virtualized-memory.js';

/** Traps from V=1 whose stval is a guest-virtual address (so hstatus.GVA = 1 in HS-mode). */
const GUEST_VIRTUAL_STVAL: ReadonlySet<number> = new Set([
  Cause.InstructionMisaligned,
  Cause.InstructionAccessFault,
  Cause.Breakpoint,
  Cause.LoadAccessFault,
  Cause.StoreAccessFault,
  Cause.InstructionPageFault,
  Cause.LoadPageFault,
  Cause.StorePageFault,
  HCause.InstructionGuestPageFault,
  HCause.LoadGuestPageFault,
  HCause.StoreGuestPageFault,
]);

/** How many of each hypervisor instruction the hart executed. */
export interface HypervisorOps {
  hlv: number;
  hlvx: number;
  hsv: number;
  hfenceVvma: number;
  hfenceGvma: number;
}

export class HypervisorHart extends Hart<Mmu> {
  declare readonly csr: HypervisorCsrs;
  declare readonly memory: VirtualizedMemory;
  /** Traps taken into VS-mode, by vscause. (`traps` counts those taken into HS-mode.) */
  readonly vsTraps = new Map<number, number>();
  /** Of the traps into HS-mode, those from V=1 (the guest's exits to its hypervisor), by scause. */
  readonly exits = new Map<number, number>();
  /** Instructions retired with V=1: the guest's. */
  guestInstret = 0;
  readonly hypervisorOps: HypervisorOps = { hlv: 0, hlvx: 0, hsv: 0, hfenceVvma: 0, hfenceGvma: 0 };

  /** Starts at `entry` in HS-mode (V=0), paging off, as examples/riscv's hart starts in S-mode. */
  constructor(mmu: Mmu, entry: bigint) {
    super(mmu, entry, { csr: new HypervisorCsrs(mmu), memory: new VirtualizedMemory(mmu) });
  }

  /** The V bit: the guest (VS- or VU-mode) is running. */
  get virtualized(): boolean {
    return this.csr.virtualized;
  }

  /** The mode by its H-extension name. */
  get modeName(): 'HS' | 'U' | 'VS' | 'VU' {
    if (this.virtualized) return this.mode === Mode.User ? 'VU' : 'VS';
    return this.mode === Mode.User ? 'U' : 'HS';
  }

  override step(): void {
    const guest = this.virtualized;
    const retired = this.instret;
    super.step();
    if (guest && this.instret !== retired) this.guestInstret++;
  }

  /** How many traps of cause `cause` were taken into VS-mode. */
  vsTrapCount(cause: number): number {
    return this.vsTraps.get(cause) ?? 0;
  }

  protected override execute(inst: number): void {
    if (!executeHypervisorInstruction(this, inst)) super.execute(inst);
  }

  /** A fault of an access with V=1, or of HLV/HSV, carries the guest's numbers (`fault.guest`). */
  protected override trapFromFault(fault: TranslationFault): Trap {
    if (fault.guest === null) return super.trapFromFault(fault);
    return guestTrapFromFault(fault, this.mmu.guestFormat === null ? null : SV39_VA_BITS);
  }

  protected override takeTrap(trap: Trap): void {
    if (this.virtualized && ((this.csr.hedeleg >> BigInt(trap.scause)) & 1n) !== 0n) this.trapToGuest(trap);
    else this.trapToHypervisor(trap);
  }

  /** A trap into HS-mode: the H-extension state, then the S-mode trap of examples/riscv. */
  private trapToHypervisor(trap: Trap): void {
    const c = this.csr;
    const fromGuest = this.virtualized;
    let hstatus = c.hstatus & ~(Hstatus.SPV | Hstatus.GVA);
    if (fromGuest) {
      hstatus = (hstatus & ~Hstatus.SPVP) | Hstatus.SPV;
      if (this.mode === Mode.Supervisor) hstatus |= Hstatus.SPVP;
    }
    if (trap instanceof GuestTrap || (fromGuest && GUEST_VIRTUAL_STVAL.has(trap.scause))) hstatus |= Hstatus.GVA;
    // V = 0 first: the trap's CSR writes are HS-mode's (the Mmu refuses hypervisor registers at V=1).
    if (fromGuest) {
      this.exits.set(trap.scause, (this.exits.get(trap.scause) ?? 0) + 1);
      this.setVirtualized(false);
    }
    c.writeHstatus(hstatus);
    c.htval = trap instanceof GuestTrap ? trap.htval : 0n;
    c.htinst = trap instanceof GuestTrap ? trap.htinst : 0n;
    // sepc, scause, stval; sstatus.SPP = the mode it came from (VS counts as S); HS-mode at stvec.
    this.trap(trap.scause, trap.stval);
  }

  /** A trap into VS-mode: the guest's own trap, on the VS CSRs. V stays 1. */
  private trapToGuest(trap: Trap): void {
    const c = this.csr;
    this.vsTraps.set(trap.scause, this.vsTrapCount(trap.scause) + 1);
    c.vsepc = this.pc;
    c.vscause = BigInt(trap.scause);
    c.vstval = trap.stval;
    let status = c.vsstatus & ~(Sstatus.SPP | Sstatus.SPIE | Sstatus.SIE);
    if (this.mode === Mode.Supervisor) status |= Sstatus.SPP;
    if ((c.vsstatus & Sstatus.SIE) !== 0n) status |= Sstatus.SPIE;
    c.writeVsstatus(status);
    this.mode = Mode.Supervisor;
    this.pc = c.vstvec & ~3n;
  }

  /**
   * SRET. In VS-mode: to vsepc in the mode vsstatus.SPP names, V stays 1. In HS-mode: as
   * examples/riscv's (sepc, sstatus.SPP), and into the guest when hstatus.SPV is set, which
   * it clears.
   */
  override returnFromTrap(): void {
    const c = this.csr;
    if (this.virtualized) {
      const mode = (c.vsstatus & Sstatus.SPP) !== 0n ? Mode.Supervisor : Mode.User;
      let status = c.vsstatus & ~(Sstatus.SPP | Sstatus.SIE);
      if ((c.vsstatus & Sstatus.SPIE) !== 0n) status |= Sstatus.SIE;
      c.writeVsstatus(status | Sstatus.SPIE);
      this.mode = mode;
      this.pc = c.vsepc;
      return;
    }
    const toGuest = (c.hstatus & Hstatus.SPV) !== 0n;
    c.writeHstatus(c.hstatus & ~Hstatus.SPV);
    super.returnFromTrap();
    if (toGuest) this.setVirtualized(true);
  }

  /** V, in the CSR file (which registers the S-level CSR numbers name) and in the Mmu (which stages translate). */
  private setVirtualized(on: boolean): void {
    this.csr.virtualized = on;
    this.mmu.setVirtualized(on);
  }
}
