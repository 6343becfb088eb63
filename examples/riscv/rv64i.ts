/**
 * Executes one instruction: the RV64I base set here, M in rv64m.ts, SYSTEM
 * (Zicsr, ecall, sret, sfence.vma) in system.ts. Every instruction computes
 * everything that can trap (a misaligned jump target, a load or store through
 * the Mmu) before it writes a register or the pc, so a trap leaves the hart as
 * it was: that is what makes traps precise.
 *
 * Registers are unsigned bigints in a BigUint64Array; storing a negative or
 * too-wide result wraps it to 64 bits. Signed views use BigInt.asIntN.
 */
import { funct3, funct7, immB, immI, immJ, immS, immU, opcode, rd, rs1, rs2 } from './decode.js';
import type { Hart } from './hart.js';
import { mulDiv, mulDivWord } from './rv64m.js';
import { executeSystem } from './system.js';
import { Cause, Trap, illegal } from './trap.js';

const Op = {
  LOAD: 0x03,
  MISC_MEM: 0x0f,
  OP_IMM: 0x13,
  AUIPC: 0x17,
  OP_IMM_32: 0x1b,
  STORE: 0x23,
  OP: 0x33,
  LUI: 0x37,
  OP_32: 0x3b,
  BRANCH: 0x63,
  JALR: 0x67,
  JAL: 0x6f,
  SYSTEM: 0x73,
} as const;

const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
const s32 = (v: bigint): bigint => BigInt.asIntN(32, v);
const u32 = (v: bigint): bigint => BigInt.asUintN(32, v);
const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);

export function execute(hart: Hart, inst: number): void {
  const x = hart.x;
  const pc = hart.pc;
  let next = u64(pc + 4n);
  const d = rd(inst);
  const f3 = funct3(inst);
  const f7 = funct7(inst);
  const a = x[rs1(inst)];
  const b = x[rs2(inst)];

  switch (opcode(inst)) {
    case Op.LUI:
      x[d] = immU(inst);
      break;
    case Op.AUIPC:
      x[d] = pc + immU(inst);
      break;
    case Op.JAL:
      next = jumpTarget(pc + immJ(inst));
      x[d] = pc + 4n;
      break;
    case Op.JALR:
      if (f3 !== 0) illegal(inst);
      next = jumpTarget((a + immI(inst)) & ~1n);
      x[d] = pc + 4n;
      break;
    case Op.BRANCH:
      if (branchTaken(f3, a, b, inst)) next = jumpTarget(pc + immB(inst));
      break;
    case Op.LOAD:
      x[d] = load(hart, f3, a + immI(inst), inst);
      break;
    case Op.STORE:
      if (f3 > 3) illegal(inst);
      hart.memory.store(u64(a + immS(inst)), (1 << f3) as 1 | 2 | 4 | 8, b);
      break;
    case Op.OP_IMM:
      x[d] = opImm(f3, a, immI(inst), inst);
      break;
    case Op.OP_IMM_32:
      x[d] = opImm32(f3, a, immI(inst), inst);
      break;
    case Op.OP:
      x[d] = f7 === 1 ? mulDiv(f3, a, b) : op(f3, f7, a, b, inst);
      break;
    case Op.OP_32:
      x[d] = f7 === 1 ? (mulDivWord(f3, a, b) ?? illegal(inst)) : op32(f3, f7, a, b, inst);
      break;
    case Op.MISC_MEM:
      // FENCE and FENCE.I: one hart, no caches between it and memory, nothing to order.
      if (f3 > 1) illegal(inst);
      break;
    case Op.SYSTEM:
      // SRET and the firmware call set the pc themselves.
      if (executeSystem(hart, inst)) return;
      break;
    default:
      illegal(inst);
  }
  hart.pc = next;
}

/** A jump or taken-branch target; without the C extension it must be 4-byte aligned. */
function jumpTarget(target: bigint): bigint {
  const t = u64(target);
  if ((t & 3n) !== 0n) throw new Trap(Cause.InstructionMisaligned, t);
  return t;
}

function branchTaken(f3: number, a: bigint, b: bigint, inst: number): boolean {
  switch (f3) {
    case 0: return a === b; // BEQ
    case 1: return a !== b; // BNE
    case 4: return s64(a) < s64(b); // BLT
    case 5: return s64(a) >= s64(b); // BGE
    case 6: return a < b; // BLTU
    case 7: return a >= b; // BGEU
    default: return illegal(inst);
  }
}

/** LB LH LW LD LBU LHU LWU (funct3 0-6). */
function load(hart: Hart, f3: number, address: bigint, inst: number): bigint {
  if (f3 === 7) illegal(inst);
  const size = (1 << (f3 & 3)) as 1 | 2 | 4 | 8;
  return hart.memory.load(u64(address), size, f3 < 4);
}

function opImm(f3: number, a: bigint, imm: bigint, inst: number): bigint {
  const shamt = imm & 63n;
  switch (f3) {
    case 0: return a + imm; // ADDI
    case 2: return s64(a) < imm ? 1n : 0n; // SLTI
    case 3: return a < u64(imm) ? 1n : 0n; // SLTIU: the immediate is sign-extended, then compared unsigned
    case 4: return a ^ u64(imm); // XORI
    case 6: return a | u64(imm); // ORI
    case 7: return a & u64(imm); // ANDI
    case 1: // SLLI: imm[11:6] must be 0
      if (imm >> 6n !== 0n) illegal(inst);
      return a << shamt;
    default: // 5: SRLI (imm[11:6] = 0) or SRAI (imm[11:6] = 0x10)
      if (u64(imm) >> 6n === 0n) return a >> shamt;
      if (((imm >> 6n) & 0x3fn) === 0x10n) return s64(a) >> shamt;
      return illegal(inst);
  }
}

function opImm32(f3: number, a: bigint, imm: bigint, inst: number): bigint {
  const shamt = imm & 31n;
  const top = (imm >> 5n) & 0x7fn; // funct7 of the shifts
  switch (f3) {
    case 0: return s32(a + imm); // ADDIW
    case 1: if (top !== 0n) illegal(inst); return s32(a << shamt); // SLLIW
    case 5:
      if (top === 0n) return s32(u32(a) >> shamt); // SRLIW
      if (top === 0x20n) return s32(a) >> shamt; // SRAIW
      return illegal(inst);
    default: return illegal(inst);
  }
}

function op(f3: number, f7: number, a: bigint, b: bigint, inst: number): bigint {
  const shamt = b & 63n;
  if (f7 === 0) {
    switch (f3) {
      case 0: return a + b; // ADD
      case 1: return a << shamt; // SLL
      case 2: return s64(a) < s64(b) ? 1n : 0n; // SLT
      case 3: return a < b ? 1n : 0n; // SLTU
      case 4: return a ^ b; // XOR
      case 5: return a >> shamt; // SRL
      case 6: return a | b; // OR
      default: return a & b; // AND
    }
  }
  if (f7 === 0x20 && f3 === 0) return a - b; // SUB
  if (f7 === 0x20 && f3 === 5) return s64(a) >> shamt; // SRA
  return illegal(inst);
}

function op32(f3: number, f7: number, a: bigint, b: bigint, inst: number): bigint {
  const shamt = b & 31n;
  if (f7 === 0) {
    if (f3 === 0) return s32(a + b); // ADDW
    if (f3 === 1) return s32(a << shamt); // SLLW
    if (f3 === 5) return s32(u32(a) >> shamt); // SRLW
  }
  if (f7 === 0x20) {
    if (f3 === 0) return s32(a - b); // SUBW
    if (f3 === 5) return s32(a) >> shamt; // SRAW
  }
  return illegal(inst);
}
