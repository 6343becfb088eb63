/**
 * A memory system with no MMU: RAM as one DataView, and MMIO devices, at
 * physical addresses; every address the hart gives is used as it is. The
 * baseline of the end-to-end benchmark (bench/suites/riscv-guest.ts): the same
 * interpreter, the same board, no translation.
 *
 * satp writes, SFENCE.VMA, privilege changes and sstatus.SUM/MXR are accepted
 * and change nothing, so `paging` stays false: a guest that maps every page to
 * itself (guest/bench/bench.S) computes here what it computes under Sv39. An
 * address with no RAM or device behind it is an access fault, as on mmukit's
 * physical memory; nothing is ever a page fault.
 */
import { Access, type MmioDevice, type Privilege } from '../../src/index.js';
import type { MemorySystem } from './memory-system.js';
import { ACCESS_FAULT_CAUSE, Trap } from './trap.js';

interface MmioRegion {
  readonly base: number;
  readonly size: number;
  readonly device: MmioDevice;
}

/** RAM and MMIO devices at physical addresses, reached with no translation. */
export class FlatMemory implements MemorySystem {
  /** Translation is never on here. */
  readonly paging = false;
  /** The RAM's bytes; `bytes[0]` is at physical address `base`. */
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly regions: MmioRegion[] = [];

  /**
   * @param base - physical address of the first byte of RAM.
   * @param size - bytes of RAM, zero-filled.
   */
  constructor(
    readonly base: number,
    readonly size: number,
  ) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  /** Puts `device` at physical addresses [base, base + size), outside RAM. */
  mapMmio(base: number, size: number, device: MmioDevice): void {
    if (base < this.base + this.size && base + size > this.base) throw new Error('an MMIO region may not overlap RAM');
    this.regions.push({ base, size, device });
  }

  /** Copies `data` into RAM at physical address `address` (loading an image). */
  writeBytes(address: number, data: Uint8Array): void {
    const offset = address - this.base;
    if (offset < 0 || offset + data.length > this.size) throw new Error(`${data.length} bytes at 0x${address.toString(16)} do not fit in RAM`);
    this.bytes.set(data, offset);
  }

  // Each accessor: one subtraction and a bounds check, then the DataView. The
  // rest (devices, faults) is outside().

  /** {@inheritDoc MemorySystem.fetch32} */
  fetch32(address: number): number {
    const offset = address - this.base;
    if (offset >= 0 && offset + 4 <= this.size) return this.view.getUint32(offset, true);
    return this.outside(address, 4, Access.Execute);
  }

  /** {@inheritDoc MemorySystem.read8} */
  read8(address: number): number {
    const offset = address - this.base;
    if (offset >= 0 && offset < this.size) return this.view.getUint8(offset);
    return this.outside(address, 1, Access.Read);
  }

  /** {@inheritDoc MemorySystem.read16} */
  read16(address: number): number {
    const offset = address - this.base;
    if (offset >= 0 && offset + 2 <= this.size) return this.view.getUint16(offset, true);
    return this.outside(address, 2, Access.Read);
  }

  /** {@inheritDoc MemorySystem.read32} */
  read32(address: number): number {
    const offset = address - this.base;
    if (offset >= 0 && offset + 4 <= this.size) return this.view.getUint32(offset, true);
    return this.outside(address, 4, Access.Read);
  }

  /** {@inheritDoc MemorySystem.read64} */
  read64(address: number): bigint {
    const offset = address - this.base;
    if (offset >= 0 && offset + 8 <= this.size) return this.view.getBigUint64(offset, true);
    const lo = this.outside(address, 4, Access.Read);
    return (BigInt(this.outside(address + 4, 4, Access.Read)) << 32n) | BigInt(lo);
  }

  /** {@inheritDoc MemorySystem.write8} */
  write8(address: number, value: number): void {
    const offset = address - this.base;
    if (offset >= 0 && offset < this.size) this.view.setUint8(offset, value);
    else this.outside(address, 1, Access.Write, value & 0xff);
  }

  /** {@inheritDoc MemorySystem.write16} */
  write16(address: number, value: number): void {
    const offset = address - this.base;
    if (offset >= 0 && offset + 2 <= this.size) this.view.setUint16(offset, value, true);
    else this.outside(address, 2, Access.Write, value & 0xffff);
  }

  /** {@inheritDoc MemorySystem.write32} */
  write32(address: number, value: number): void {
    const offset = address - this.base;
    if (offset >= 0 && offset + 4 <= this.size) this.view.setUint32(offset, value, true);
    else this.outside(address, 4, Access.Write, value >>> 0);
  }

  /** {@inheritDoc MemorySystem.write64} */
  write64(address: number, value: bigint): void {
    const offset = address - this.base;
    if (offset >= 0 && offset + 8 <= this.size) {
      this.view.setBigUint64(offset, value, true);
      return;
    }
    // Both halves must reach a device before either is written.
    this.regionOf(address, 4, Access.Write);
    this.regionOf(address + 4, 4, Access.Write);
    this.outside(address, 4, Access.Write, Number(value & 0xffff_ffffn));
    this.outside(address + 4, 4, Access.Write, Number((value >> 32n) & 0xffff_ffffn));
  }

  /** Accepted; translation stays off. */
  setPaging(_enabled: boolean): void {}
  /** Accepted; there are no tables to walk. */
  setRoot(_root: number, _asid: number): void {}
  /** Accepted; nothing is checked. */
  setPrivilege(_privilege: Privilege): void {}
  /** Accepted; nothing is checked. */
  setControls(_changes: { sum?: boolean; mxr?: boolean }): void {}
  /** Accepted; nothing is cached. */
  sfenceVma(_va: number | null, _asid: number | null): void {}

  /** An access that is not wholly in RAM: a device's, or an access fault. */
  private outside(address: number, size: 1 | 2 | 4, access: Access, value = 0): number {
    const region = this.regionOf(address, size, access);
    const offset = address - region.base;
    if (access !== Access.Write) return region.device.read(offset, size);
    region.device.write(offset, size, value);
    return 0;
  }

  /** The device region holding [address, address + size). @throws Trap (an access fault) when there is none. */
  private regionOf(address: number, size: number, access: Access): MmioRegion {
    for (const region of this.regions) {
      if (address >= region.base && address + size <= region.base + region.size) return region;
    }
    throw new Trap(ACCESS_FAULT_CAUSE[access], BigInt(address));
  }
}
