/**
 * The SYSTEM opcode: ECALL, EBREAK, SRET, WFI, SFENCE.VMA (Privileged spec)
 * and the Zicsr instructions CSRRW/CSRRS/CSRRC and their immediate forms.
 */
import { Access } from '../../src/index.js';
import { funct3, funct7, rd, rs1, rs2 } from './decode.js';
import type { Hart } from './hart.js';
import { Mode } from './mode.js';
import { firmwareCall } from './sbi.js';
import { Cause, Trap, illegal } from './trap.js';

const ECALL = 0x0000_0073;
const EBREAK = 0x0010_0073;
const SRET = 0x1020_0073;
const WFI = 0x1050_0073;
const SFENCE_VMA_FUNCT7 = 0x09;

/** Executes a SYSTEM instruction. Returns true when it set the pc itself. */
export function executeSystem(hart: Hart, inst: number): boolean {
  const f3 = funct3(inst);
  if (f3 !== 0) {
    if (f3 === 4) illegal(inst);
    csrInstruction(hart, inst, f3);
    return false;
  }
  if (inst === ECALL) {
    if (hart.mode === Mode.User) throw new Trap(Cause.EcallFromU, 0n);
    // From S-mode an ecall would trap to M-mode firmware. There is none: the
    // emulator answers the SBI call itself and the kernel continues after it.
    firmwareCall(hart);
    hart.pc += 4n;
    return true;
  }
  if (inst === EBREAK) throw new Trap(Cause.Breakpoint, hart.pc);
  if (hart.mode === Mode.User) illegal(inst); // the rest are S-mode instructions
  if (inst === SRET) {
    hart.returnFromTrap();
    return true;
  }
  if (inst === WFI) return false; // no interrupts will come; a WFI may complete at once
  if (funct7(inst) === SFENCE_VMA_FUNCT7 && rd(inst) === 0) {
    sfenceVma(hart, rs1(inst), rs2(inst));
    return false;
  }
  return illegal(inst);
}

/**
 * SFENCE.VMA rs1, rs2: x0 means "all addresses" / "all address spaces". mmukit's
 * sfenceVma takes exactly those operands (null for x0) and drops the matching
 * TLB and walk-cache entries. An rs1 that is not a valid virtual address makes
 * the instruction a no-op.
 */
function sfenceVma(hart: Hart, r1: number, r2: number): void {
  hart.sfences++;
  let va: number | null = null;
  if (r1 !== 0) {
    try {
      va = hart.memory.address(hart.x[r1], Access.Read);
    } catch (error) {
      if (error instanceof Trap) return;
      throw error;
    }
  }
  const asid = r2 === 0 ? null : Number(hart.x[r2] & 0xffffn);
  hart.mmu.sfenceVma(va, asid);
}

/**
 * CSRRW (1), CSRRS (2), CSRRC (3), and CSRRWI/CSRRSI/CSRRCI (5-7) whose rs1
 * field is a 5-bit immediate. CSRRW with rd = x0 does not read; CSRRS/CSRRC
 * with rs1 = x0 do not write (so reading a read-only CSR is legal).
 */
function csrInstruction(hart: Hart, inst: number, f3: number): void {
  const csr = inst >>> 20;
  const field = rs1(inst);
  const operand = f3 >= 5 ? BigInt(field) : hart.x[field];
  const kind = f3 & 3; // 1 write, 2 set, 3 clear
  const writes = kind === 1 || field !== 0;
  // csr[9:8] is the lowest privilege that may access it; csr[11:10] = 3 means read-only.
  hart.csr.checkAccess(csr, hart.mode, writes, inst);
  const d = rd(inst);
  const old = kind === 1 && d === 0 ? 0n : hart.csr.read(csr);
  if (writes) hart.csr.write(csr, kind === 1 ? operand : kind === 2 ? old | operand : old & ~operand);
  hart.x[d] = old;
}
