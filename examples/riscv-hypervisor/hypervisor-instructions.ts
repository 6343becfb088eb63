/**
 * The SYSTEM instructions the H extension adds or changes (Privileged spec, "Hypervisor
 * Extension"): the hypervisor's loads and stores into guest memory (HLV, HLVX, HSV), its
 * fences (HFENCE.VVMA, HFENCE.GVMA), and what V=1 does to ECALL, SRET, WFI and
 * SFENCE.VMA. Everything else, the CSR instructions included (the CSR file knows V), is
 * examples/riscv's system.ts.
 */
import { Access } from '../../src/index.js';
import { funct3, funct7, opcode, rd, rs1, rs2 } from '../riscv/decode.js';
import { Mode } from '../riscv/mode.js';
import { Cause, Trap, illegal } from '../riscv/trap.js';
import { HCause } from './guest-trap.js';
import type { HypervisorHart } from './hypervisor-hart.js';
import { Hstatus, virtualInstruction } from './hypervisor-csrs.js';

const SYSTEM = 0x73;
const ECALL = 0x0000_0073;
const SRET = 0x1020_0073;
const WFI = 0x1050_0073;
/** funct3 of HLV, HLVX and HSV. */
const HLSV_FUNCT3 = 4;
/** funct7 of HLV/HSV is 0b0110_ss_w: ss = log2 of the size, w = 1 for a store. */
const HLSV_FUNCT7_HIGH = 0b0110;
/** The rs2 field of a hypervisor load: which one it is. */
const HlvKind = { Signed: 0, Unsigned: 1, Executable: 3 } as const;
const SFENCE_VMA_FUNCT7 = 0x09;
const HFENCE_VVMA_FUNCT7 = 0x11;
const HFENCE_GVMA_FUNCT7 = 0x31;
/** hgatp.VMID and HFENCE.GVMA's rs2: 14 bits. */
const VMID_MASK = 0x3fffn;
/** mmukit addresses are numbers below 2^53. */
const NUMBER_LIMIT = 2n ** 53n;

/**
 * Executes `inst` when it is an instruction the H extension adds or changes. Returns
 * false, having done nothing, for any other instruction.
 * @throws Trap, or mmukit's PageFaultError, as any instruction does.
 */
export function executeHypervisorInstruction(hart: HypervisorHart, inst: number): boolean {
  if (opcode(inst) !== SYSTEM) return false;
  const f3 = funct3(inst);
  if (f3 === HLSV_FUNCT3) {
    loadStoreAsGuest(hart, inst);
    hart.pc += 4n;
    return true;
  }
  if (f3 !== 0) return false;
  if (inst === ECALL) {
    // With V=0 as before: the firmware from HS-mode, cause 8 from U-mode.
    if (!hart.virtualized) return false;
    throw new Trap(hart.mode === Mode.User ? Cause.EcallFromU : HCause.EcallFromVS, 0n);
  }
  const f7 = funct7(inst);
  if ((f7 === HFENCE_VVMA_FUNCT7 || f7 === HFENCE_GVMA_FUNCT7) && rd(inst) === 0) {
    if (hart.virtualized) virtualInstruction(inst);
    if (hart.mode === Mode.User) illegal(inst);
    if (f7 === HFENCE_VVMA_FUNCT7) hfenceVvma(hart, rs1(inst), rs2(inst));
    else hfenceGvma(hart, rs1(inst), rs2(inst));
    hart.pc += 4n;
    return true;
  }
  // Supervisor instructions in VU-mode: HS-mode could execute them, so the hypervisor
  // gets the chance to emulate them (in VS-mode they execute, on the VS CSRs).
  if (hart.virtualized && hart.mode === Mode.User && (inst === SRET || inst === WFI || f7 === SFENCE_VMA_FUNCT7)) virtualInstruction(inst);
  return false;
}

/**
 * HLV.B/BU/H/HU/W/WU/D, HLVX.HU/WU, HSV.B/H/W/D: an access to a guest-virtual address as
 * the guest would make it (both stages, the privilege in hstatus.SPVP). HS-mode may
 * execute them, U-mode only with hstatus.HU, VS- and VU-mode never.
 */
function loadStoreAsGuest(hart: HypervisorHart, inst: number): void {
  const f7 = funct7(inst);
  if (f7 >> 3 !== HLSV_FUNCT7_HIGH) illegal(inst);
  if (hart.virtualized) virtualInstruction(inst);
  if (hart.mode === Mode.User && (hart.csr.hstatus & Hstatus.HU) === 0n) illegal(inst);
  const size = (1 << ((f7 >> 1) & 3)) as 1 | 2 | 4 | 8;
  const mmu = hart.mmu;
  const ops = hart.hypervisorOps;
  if ((f7 & 1) === 1) {
    // HSV: rs2 is the value; rd must be 0.
    if (rd(inst) !== 0) illegal(inst);
    const va = hart.memory.guestAddress(hart.x[rs1(inst)], Access.Write);
    const value = hart.x[rs2(inst)];
    if (size === 8) mmu.hsv64(va, value);
    else mmu.hsv(va, size, Number(BigInt.asUintN(size * 8, value)));
    ops.hsv++;
    return;
  }
  const kind = rs2(inst);
  const valid = kind === HlvKind.Signed || (kind === HlvKind.Unsigned && size < 8) || (kind === HlvKind.Executable && (size === 2 || size === 4));
  if (!valid) illegal(inst);
  const va = hart.memory.guestAddress(hart.x[rs1(inst)], Access.Read);
  let value: bigint;
  if (size === 8) value = mmu.hlv64(va);
  else if (kind === HlvKind.Executable) value = BigInt(mmu.hlvx(va, size as 2 | 4));
  else {
    const raw = BigInt(mmu.hlv(va, size));
    value = kind === HlvKind.Signed ? BigInt.asUintN(64, BigInt.asIntN(size * 8, raw)) : raw;
  }
  if (kind === HlvKind.Executable) ops.hlvx++;
  else ops.hlv++;
  hart.x[rd(inst)] = value;
}

/**
 * HFENCE.VVMA rs1, rs2: drops the guest's translations (of the VMID in hgatp) for the
 * guest-virtual address in rs1 and the guest ASID in rs2; x0 means all of them. An rs1
 * that is not a valid guest-virtual address makes it a no-op, as for SFENCE.VMA.
 */
function hfenceVvma(hart: HypervisorHart, r1: number, r2: number): void {
  hart.hypervisorOps.hfenceVvma++;
  let va: number | null = null;
  if (r1 !== 0) {
    try {
      va = hart.memory.guestAddress(hart.x[r1], Access.Read);
    } catch (error) {
      if (error instanceof Trap) return;
      throw error;
    }
  }
  hart.mmu.hfenceVvma(va, r2 === 0 ? null : Number(hart.x[r2] & 0xffffn));
}

/**
 * HFENCE.GVMA rs1, rs2: drops what the G-stage gave the TLBs for the guest-physical
 * address in rs1 (shifted right by 2 bits) and the VMID in rs2; x0 means all of them. A
 * fence may drop more than it must: a guest-physical address beyond what a number holds
 * fences every address.
 */
function hfenceGvma(hart: HypervisorHart, r1: number, r2: number): void {
  hart.hypervisorOps.hfenceGvma++;
  const gpa = r1 === 0 ? null : BigInt.asUintN(64, hart.x[r1] << 2n);
  hart.mmu.hfenceGvma(gpa === null || gpa >= NUMBER_LIMIT ? null : Number(gpa), r2 === 0 ? null : Number(hart.x[r2] & VMID_MASK));
}
