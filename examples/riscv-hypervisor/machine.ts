/**
 * The board of examples/riscv (8 MiB of RAM at 0x8000_0000, the MMIO console at
 * 0x1000_0000, an mmukit Mmu in Sv39 format) with a hart that has the H extension. The
 * image (the hypervisor, which carries its guest) is copied to the start of RAM and the
 * hart starts there in HS-mode, paging off.
 *
 * mmukit is the hardware of both levels: the hypervisor's G-stage tables (hgatp) and the
 * guest's own tables (vsatp) are in RAM, written by the software running on the hart; the
 * Mmu walks both stages on a TLB miss, tags the guest's TLB entries with its VMID, and
 * reports each failed translation with the stage it failed in.
 */
import type { MmuMode, MmuStats } from '../../src/index.js';
import { Board, CONSOLE_BASE, RAM_BASE, RAM_SIZE } from '../riscv/machine.js';
import { Cause } from '../riscv/trap.js';
import { HCause } from './guest-trap.js';
import { HypervisorHart, type HypervisorOps } from './hypervisor-hart.js';

export { CONSOLE_BASE, RAM_BASE, RAM_SIZE };

/** Fetch, load and store counts of one kind of fault. */
export interface FaultCounts {
  fetch: number;
  load: number;
  store: number;
}

/** What a run produced, for run.ts and the tests. */
export interface HypervisorRunResult {
  /** The code the hypervisor passed to the firmware's shutdown call. */
  exitCode: number;
  /** Everything printed: the hypervisor's lines and, through it, the guest's. */
  console: string;
  /** Instructions retired, and of those, the ones retired with V=1 (by the guest). */
  instructions: number;
  guestInstructions: number;
  /** Traps taken into HS-mode, by scause; of those, the ones from V=1 (the guest's exits); traps taken into VS-mode, by vscause. */
  hsTraps: ReadonlyMap<number, number>;
  exits: ReadonlyMap<number, number>;
  vsTraps: ReadonlyMap<number, number>;
  /** Guest-page faults (20, 21, 23): always taken into HS-mode, from the guest or from HLV/HSV. */
  guestPageFaults: FaultCounts;
  /** The guest's own page faults (12, 13, 15), taken into VS-mode. */
  vsPageFaults: FaultCounts;
  /** Ecalls from VS-mode: the guest's SBI calls. */
  hypercalls: number;
  /** HLV, HLVX, HSV, HFENCE.VVMA and HFENCE.GVMA executed by the hypervisor. */
  hypervisorOps: HypervisorOps;
  /** SFENCE.VMA executed (in VS-mode: the guest's, which act as HFENCE.VVMA). */
  sfences: number;
  /** The CSRs when the machine stopped, and how many writes of hgatp and vsatp took effect. */
  hgatp: bigint;
  vsatp: bigint;
  hgatpWrites: number;
  vsatpWrites: number;
  /** The Mmu's counters: cycles, walks, PTE reads, faults, TLB hits and misses. */
  mmu: MmuStats;
}

/** examples/riscv's board with a hart that has the H extension. */
export class HypervisorMachine extends Board {
  readonly hart: HypervisorHart;

  /**
   * @param image - the hypervisor and its guest (guest/hypervisor.bin), copied to the start of RAM.
   * @param mode - the Mmu's mode: `'accurate'` (the TLB model on every access) or `'fast'`.
   */
  constructor(image: Uint8Array, mode: MmuMode = 'accurate') {
    super(image, mode);
    this.hart = new HypervisorHart(this.mmu, BigInt(RAM_BASE));
  }

  /** Runs until the hypervisor shuts the machine down. @throws after `limit` steps without a shutdown. */
  run(limit = 2_000_000): HypervisorRunResult {
    const hart = this.hart;
    hart.run(limit);
    return {
      exitCode: hart.exitCode ?? -1,
      console: this.console.text(),
      instructions: hart.instret,
      guestInstructions: hart.guestInstret,
      hsTraps: new Map(hart.traps),
      exits: new Map(hart.exits),
      vsTraps: new Map(hart.vsTraps),
      guestPageFaults: {
        fetch: hart.trapCount(HCause.InstructionGuestPageFault),
        load: hart.trapCount(HCause.LoadGuestPageFault),
        store: hart.trapCount(HCause.StoreGuestPageFault),
      },
      vsPageFaults: {
        fetch: hart.vsTrapCount(Cause.InstructionPageFault),
        load: hart.vsTrapCount(Cause.LoadPageFault),
        store: hart.vsTrapCount(Cause.StorePageFault),
      },
      hypercalls: hart.trapCount(HCause.EcallFromVS),
      hypervisorOps: { ...hart.hypervisorOps },
      sfences: hart.sfences,
      hgatp: hart.csr.hgatp,
      vsatp: hart.csr.vsatp,
      hgatpWrites: hart.csr.hgatpWrites,
      vsatpWrites: hart.csr.vsatpWrites,
      mmu: this.mmu.stats(),
    };
  }
}
