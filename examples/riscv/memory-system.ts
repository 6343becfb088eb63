/**
 * What the hart needs of the memory below it: accessors by address, and the
 * controls that the privileged state drives (satp, sstatus.SUM and MXR, the
 * privilege mode, SFENCE.VMA). Addresses and the values of 8-, 16- and 32-bit
 * accesses are plain numbers; 64-bit values are unsigned bigints.
 *
 * An mmukit `Mmu` is one as it is (it translates). `FlatMemory` is the other:
 * RAM and the console with no translation, the baseline of the benchmark
 * (bench/suites/riscv-guest.ts). The interpreter sees no difference.
 */
import type { Privilege } from '../../src/index.js';

/** The memory below the hart, as the hart uses it (see the file's comment). */
export interface MemorySystem {
  /** Whether addresses are translated (satp selects Sv39). When false, an address is physical. */
  readonly paging: boolean;

  /** A 32-bit instruction fetch. @throws a fault the hart turns into a trap (PageFaultError from an Mmu, Trap from FlatMemory). */
  fetch32(address: number): number;
  /** An unsigned byte load. @throws as {@link MemorySystem.fetch32}. */
  read8(address: number): number;
  /** An unsigned little-endian 16-bit load. @throws as {@link MemorySystem.fetch32}. */
  read16(address: number): number;
  /** An unsigned little-endian 32-bit load. @throws as {@link MemorySystem.fetch32}. */
  read32(address: number): number;
  /** A little-endian 64-bit load, as an unsigned bigint. @throws as {@link MemorySystem.fetch32}. */
  read64(address: number): bigint;
  /** Stores the low 8 bits of `value`; nothing is written when it throws. @throws as {@link MemorySystem.fetch32}. */
  write8(address: number, value: number): void;
  /** Stores the low 16 bits of `value`, little-endian. @throws as {@link MemorySystem.fetch32}. */
  write16(address: number, value: number): void;
  /** Stores the low 32 bits of `value`, little-endian. @throws as {@link MemorySystem.fetch32}. */
  write32(address: number, value: number): void;
  /** Stores the low 64 bits of `value`, little-endian. @throws as {@link MemorySystem.fetch32}. */
  write64(address: number, value: bigint): void;

  /** Turns translation on (satp.MODE = Sv39) or off (Bare). */
  setPaging(enabled: boolean): void;
  /** satp.PPN and ASID: the root table's physical address and the address-space ID. */
  setRoot(root: number, asid: number): void;
  /** The privilege that loads, stores and fetches are checked at. */
  setPrivilege(privilege: Privilege): void;
  /** sstatus.SUM and MXR. */
  setControls(changes: { sum?: boolean; mxr?: boolean }): void;
  /** SFENCE.VMA: null for x0 ("every address", "every address space"). */
  sfenceVma(va: number | null, asid: number | null): void;
}
