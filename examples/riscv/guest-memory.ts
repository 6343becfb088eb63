/**
 * The hart's view of memory: every instruction fetch, load and store goes
 * through the memory system, usually the mmukit Mmu, which translates (Sv39 or
 * Bare), checks permissions, fills its TLBs, counts cycles and throws
 * PageFaultError on a failed translation. This file only adapts the hart's
 * 64-bit addresses and values (bigints) to the plain-number interface of
 * MemorySystem.
 */
import { Access } from '../../src/index.js';
import type { MemorySystem } from './memory-system.js';
import { ACCESS_FAULT_CAUSE, PAGE_FAULT_CAUSE, Trap } from './trap.js';

/** Sv39: virtual addresses are 39 bits, sign-extended to 64. */
export const SV39_VA_BITS = 39;
const VA_MASK = (1n << BigInt(SV39_VA_BITS)) - 1n;
/** Canonical Sv39 addresses have bits 63:38 all zero (below 2^38) or all one (from 2^64 - 2^38 up). */
const LOWER_HALF_END = 2 ** (SV39_VA_BITS - 1);
const UPPER_HALF_START = (1n << 64n) - (1n << BigInt(SV39_VA_BITS - 1));
/** mmukit physical addresses are numbers below 2^53. */
const PHYSICAL_LIMIT = 2 ** 53;

/**
 * The number mmukit takes for the Sv39 virtual address `addr`, or -1 when `addr` is not
 * canonical: bits 63:39 must equal bit 38 (Privileged spec, "Sv39"), and mmukit takes the
 * low 39 bits, the sign extension being implied.
 */
export function sv39Number(addr: bigint): number {
  // Every access comes through here, so the common case allocates no bigint:
  // Number() rounds, but monotonically, and the limit is an exact double, so a
  // number below it is exact and the address was below it too.
  const n = Number(addr);
  if (n < LOWER_HALF_END) return n;
  if (addr >= UPPER_HALF_START) return Number(addr & VA_MASK);
  return -1;
}

export class GuestMemory {
  constructor(readonly system: MemorySystem) {}

  /**
   * The number mmukit expects for a guest address. With Sv39 on, bits 63:39
   * must equal bit 38, or the access is a page fault (Privileged spec, "Sv39");
   * mmukit then takes the low 39 bits, the sign extension being implied. In
   * Bare mode the address is physical; beyond what a number holds exactly it
   * can reach no device, which is an access fault.
   */
  address(addr: bigint, access: Access): number {
    if (this.system.paging) {
      const va = sv39Number(addr);
      if (va >= 0) return va;
      throw new Trap(PAGE_FAULT_CAUSE[access], addr);
    }
    // As in sv39Number: the limit is an exact double, so no bigint is needed.
    const n = Number(addr);
    if (n < PHYSICAL_LIMIT) return n;
    throw new Trap(ACCESS_FAULT_CAUSE[access], addr);
  }

  /** A 32-bit instruction fetch (through the instruction TLB, on an Mmu). */
  fetch(pc: bigint): number {
    return this.system.fetch32(this.address(pc, Access.Execute));
  }

  /** A load of `size` bytes, zero- or sign-extended to 64 bits (as an unsigned bigint). */
  load(addr: bigint, size: 1 | 2 | 4 | 8, signed: boolean): bigint {
    const va = this.address(addr, Access.Read);
    if (size === 8) return this.system.read64(va);
    const raw = size === 4 ? this.system.read32(va) : size === 2 ? this.system.read16(va) : this.system.read8(va);
    const value = BigInt(raw);
    return signed ? BigInt.asUintN(64, BigInt.asIntN(size * 8, value)) : value;
  }

  /** A store of the low `size` bytes of `value`. Nothing is written when it faults. */
  store(addr: bigint, size: 1 | 2 | 4 | 8, value: bigint): void {
    const va = this.address(addr, Access.Write);
    if (size === 8) this.system.write64(va, value);
    else if (size === 4) this.system.write32(va, Number(value & 0xffff_ffffn));
    else if (size === 2) this.system.write16(va, Number(value & 0xffffn));
    else this.system.write8(va, Number(value & 0xffn));
  }
}
