/**
 * The exceptions the H extension adds (Privileged spec, "Hypervisor Extension",
 * "Trap Cause Codes"), and the trap whose stval is a guest-virtual address: a
 * trap into HS-mode then also sets hstatus.GVA, htval and htinst.
 */
import { Access, type TranslationFault } from '../../src/index.js';
import { Trap } from '../riscv/trap.js';

/** scause codes of the H extension. */
export const HCause = {
  /** An ecall from VS-mode: the guest calls its hypervisor (never delegated to VS-mode). */
  EcallFromVS: 10,
  /** G-stage faults: the guest-physical address has no (permitted) mapping. Always taken in HS-mode. */
  InstructionGuestPageFault: 20,
  LoadGuestPageFault: 21,
  /** An instruction HS-mode may execute but VS/VU-mode may not (HLV in VS-mode, an H CSR...): the hypervisor may emulate it. */
  VirtualInstruction: 22,
  StoreGuestPageFault: 23,
} as const;

/** The guest-page-fault cause of an access, by mmukit's `Access`. */
export const GUEST_PAGE_FAULT_CAUSE: Readonly<Record<Access, number>> = {
  [Access.Read]: HCause.LoadGuestPageFault,
  [Access.Write]: HCause.StoreGuestPageFault,
  [Access.Execute]: HCause.InstructionGuestPageFault,
};

/**
 * A trap raised by an access to a guest-virtual address: any access while V=1, or a
 * hypervisor's HLV, HLVX or HSV. Taken into HS-mode, it sets hstatus.GVA (stval holds a
 * guest-virtual address), htval (the guest-physical address shifted right by 2, for a
 * guest-page fault; else 0) and htinst (the pseudoinstruction of a fault on a VS-stage
 * page-table access; else 0). Taken into VS-mode (delegated), only scause and stval matter.
 */
export class GuestTrap extends Trap {
  constructor(
    scause: number,
    stval: bigint,
    readonly htval: bigint,
    readonly htinst: bigint,
  ) {
    super(scause, stval);
  }
}

/**
 * The trap a failed two-stage translation raises. mmukit reports it in RISC-V terms:
 * `fault.vector` is scause (12/13/15 from the VS-stage, 20/21/23 from the G-stage, 1/5/7
 * when memory is missing), `fault.faultAddress` the guest-virtual address, and `fault.guest`
 * carries htval and htinst.
 *
 * @param vaBits - the guest-virtual address width, 39 with vsatp in Sv39 (mmukit reports
 *   the address without its sign extension), or null with vsatp Bare (the address is a
 *   guest-physical one, not sign-extended).
 * @throws Error when the fault is not a virtualised access's (`fault.guest` null).
 */
export function guestTrapFromFault(fault: TranslationFault, vaBits: number | null): GuestTrap {
  if (fault.guest === null) throw new Error(`not a guest fault: ${String(fault)}`);
  const address = BigInt(fault.faultAddress);
  const stval = vaBits === null ? address : BigInt.asUintN(64, BigInt.asIntN(vaBits, address));
  return new GuestTrap(fault.vector, stval, BigInt(fault.guest.htval), BigInt(fault.guest.htinst));
}
