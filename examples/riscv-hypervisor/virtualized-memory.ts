/**
 * The hart's view of memory with the H extension. With V=0 it is examples/riscv's
 * GuestMemory (satp Sv39 or Bare). With V=1, and for HLV, HLVX and HSV, an address is
 * guest-virtual: with vsatp in Sv39 it must be canonical, as any Sv39 address; with vsatp
 * Bare it is a guest-physical address, which the G-stage (Sv39x4: 41 bits) checks itself.
 * The Mmu then translates it through both stages.
 */
import { Access, type Mmu } from '../../src/index.js';
import { GuestMemory, sv39Number } from '../riscv/guest-memory.js';
import { PAGE_FAULT_CAUSE } from '../riscv/trap.js';
import { GUEST_PAGE_FAULT_CAUSE, GuestTrap } from './guest-trap.js';

/** mmukit addresses are numbers below 2^53. */
const NUMBER_LIMIT = 2 ** 53;

export class VirtualizedMemory extends GuestMemory {
  constructor(readonly mmu: Mmu) {
    super(mmu);
  }

  override address(addr: bigint, access: Access): number {
    return this.mmu.virtualized ? this.guestAddress(addr, access) : super.address(addr, access);
  }

  /**
   * The number mmukit takes for a guest-virtual address (an access with V=1, or an HLV,
   * HLVX or HSV). A non-canonical Sv39 address is the guest's page fault; a guest-physical
   * address too wide for a number is far too wide for the G-stage's 41 bits too: a
   * guest-page fault, which mmukit raises itself for the narrower ones.
   */
  guestAddress(addr: bigint, access: Access): number {
    if (this.mmu.guestFormat !== null) {
      const va = sv39Number(addr);
      if (va >= 0) return va;
      throw new GuestTrap(PAGE_FAULT_CAUSE[access], addr, 0n, 0n);
    }
    const n = Number(addr);
    if (n < NUMBER_LIMIT) return n;
    throw new GuestTrap(GUEST_PAGE_FAULT_CAUSE[access], addr, addr >> 2n, 0n);
  }
}
