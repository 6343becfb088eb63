/**
 * Synchronous exceptions: their scause codes (Privileged spec, "Supervisor
 * Cause Register"), the Trap the interpreter throws to abandon an instruction,
 * and the translation of an mmukit fault into one.
 */
import { Access, type TranslationFault } from '../../src/index.js';

export const Cause = {
  InstructionMisaligned: 0,
  InstructionAccessFault: 1,
  IllegalInstruction: 2,
  Breakpoint: 3,
  LoadAccessFault: 5,
  StoreAccessFault: 7,
  EcallFromU: 8,
  EcallFromS: 9,
  InstructionPageFault: 12,
  LoadPageFault: 13,
  StorePageFault: 15,
} as const;

/** The page-fault cause of an access, by mmukit's `Access` (Read, Write, Execute). */
export const PAGE_FAULT_CAUSE: Readonly<Record<Access, number>> = {
  [Access.Read]: Cause.LoadPageFault,
  [Access.Write]: Cause.StorePageFault,
  [Access.Execute]: Cause.InstructionPageFault,
};

/** The access-fault cause of an access (no device at a physical address). */
export const ACCESS_FAULT_CAUSE: Readonly<Record<Access, number>> = {
  [Access.Read]: Cause.LoadAccessFault,
  [Access.Write]: Cause.StoreAccessFault,
  [Access.Execute]: Cause.InstructionAccessFault,
};

/**
 * An exception raised while executing an instruction. Thrown before the
 * instruction changes any architectural state, so the hart can deliver it
 * precisely: sepc = the instruction, then scause and stval as given.
 * (Not `cause`: Error already has a property of that name.)
 */
export class Trap extends Error {
  constructor(
    readonly scause: number,
    readonly stval: bigint,
  ) {
    super(`trap: scause ${scause}, stval 0x${stval.toString(16)}`);
  }
}

/** Raises an illegal-instruction exception; stval holds the instruction's bits. */
export function illegal(inst: number): never {
  throw new Trap(Cause.IllegalInstruction, BigInt(inst));
}

/**
 * The trap a failed mmukit translation raises. mmukit already speaks RISC-V:
 * `fault.vector` is the scause (12/13/15 page faults, 1/5/7 access faults) and
 * `fault.faultAddress` the stval. Only the address needs widening: mmukit
 * takes and reports virtual addresses without their sign extension (Sv39:
 * 39-bit numbers), while stval holds the full 64-bit address.
 *
 * @param vaBits - virtual-address width when translation is on (39 for Sv39),
 *   or null for Bare mode, where the address is physical and not sign-extended.
 */
export function trapFromFault(fault: TranslationFault, vaBits: number | null): Trap {
  const address = BigInt(fault.faultAddress);
  const tval = vaBits === null ? address : BigInt.asUintN(64, BigInt.asIntN(vaBits, address));
  return new Trap(fault.vector, tval);
}
