/**
 * A tiny RV64 instruction encoder for the interpreter's unit tests (CI has no
 * cross assembler). Formats from the Unprivileged spec, "Base Instruction
 * Formats"; register arguments are numbers (x0..x31).
 */

const r = (f7: number, rs2: number, rs1: number, f3: number, rd: number, op: number) =>
  ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
const i = (imm: number, rs1: number, f3: number, rd: number, op: number) =>
  (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
const s = (imm: number, rs2: number, rs1: number, f3: number) =>
  ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | 0x23) >>> 0;
const b = (imm: number, rs2: number, rs1: number, f3: number) =>
  ((((imm >> 12) & 1) << 31) | (((imm >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (((imm >> 1) & 0xf) << 8) | (((imm >> 11) & 1) << 7) | 0x63) >>> 0;

export const rv = {
  lui: (rd: number, imm20: number) => (((imm20 & 0xfffff) << 12) | (rd << 7) | 0x37) >>> 0,
  auipc: (rd: number, imm20: number) => (((imm20 & 0xfffff) << 12) | (rd << 7) | 0x17) >>> 0,
  jal: (rd: number, offset: number) =>
    ((((offset >> 20) & 1) << 31) | (((offset >> 1) & 0x3ff) << 21) | (((offset >> 11) & 1) << 20) | (offset & 0xff000) | (rd << 7) | 0x6f) >>> 0,
  jalr: (rd: number, rs1: number, imm: number) => i(imm, rs1, 0, rd, 0x67),
  beq: (rs1: number, rs2: number, off: number) => b(off, rs2, rs1, 0),
  bne: (rs1: number, rs2: number, off: number) => b(off, rs2, rs1, 1),
  blt: (rs1: number, rs2: number, off: number) => b(off, rs2, rs1, 4),
  bge: (rs1: number, rs2: number, off: number) => b(off, rs2, rs1, 5),
  bltu: (rs1: number, rs2: number, off: number) => b(off, rs2, rs1, 6),
  bgeu: (rs1: number, rs2: number, off: number) => b(off, rs2, rs1, 7),
  lb: (rd: number, rs1: number, imm: number) => i(imm, rs1, 0, rd, 0x03),
  lh: (rd: number, rs1: number, imm: number) => i(imm, rs1, 1, rd, 0x03),
  lw: (rd: number, rs1: number, imm: number) => i(imm, rs1, 2, rd, 0x03),
  ld: (rd: number, rs1: number, imm: number) => i(imm, rs1, 3, rd, 0x03),
  lbu: (rd: number, rs1: number, imm: number) => i(imm, rs1, 4, rd, 0x03),
  lhu: (rd: number, rs1: number, imm: number) => i(imm, rs1, 5, rd, 0x03),
  lwu: (rd: number, rs1: number, imm: number) => i(imm, rs1, 6, rd, 0x03),
  sb: (rs2: number, rs1: number, imm: number) => s(imm, rs2, rs1, 0),
  sh: (rs2: number, rs1: number, imm: number) => s(imm, rs2, rs1, 1),
  sw: (rs2: number, rs1: number, imm: number) => s(imm, rs2, rs1, 2),
  sd: (rs2: number, rs1: number, imm: number) => s(imm, rs2, rs1, 3),
  addi: (rd: number, rs1: number, imm: number) => i(imm, rs1, 0, rd, 0x13),
  slli: (rd: number, rs1: number, shamt: number) => i(shamt, rs1, 1, rd, 0x13),
  srli: (rd: number, rs1: number, shamt: number) => i(shamt, rs1, 5, rd, 0x13),
  srai: (rd: number, rs1: number, shamt: number) => i(0x400 | shamt, rs1, 5, rd, 0x13),
  addiw: (rd: number, rs1: number, imm: number) => i(imm, rs1, 0, rd, 0x1b),
  srliw: (rd: number, rs1: number, shamt: number) => i(shamt, rs1, 5, rd, 0x1b),
  sraiw: (rd: number, rs1: number, shamt: number) => i(0x400 | shamt, rs1, 5, rd, 0x1b),
  add: (rd: number, rs1: number, rs2: number) => r(0, rs2, rs1, 0, rd, 0x33),
  sub: (rd: number, rs1: number, rs2: number) => r(0x20, rs2, rs1, 0, rd, 0x33),
  sll: (rd: number, rs1: number, rs2: number) => r(0, rs2, rs1, 1, rd, 0x33),
  slt: (rd: number, rs1: number, rs2: number) => r(0, rs2, rs1, 2, rd, 0x33),
  sltu: (rd: number, rs1: number, rs2: number) => r(0, rs2, rs1, 3, rd, 0x33),
  or: (rd: number, rs1: number, rs2: number) => r(0, rs2, rs1, 6, rd, 0x33),
  sra: (rd: number, rs1: number, rs2: number) => r(0x20, rs2, rs1, 5, rd, 0x33),
  subw: (rd: number, rs1: number, rs2: number) => r(0x20, rs2, rs1, 0, rd, 0x3b),
  mul: (rd: number, rs1: number, rs2: number) => r(1, rs2, rs1, 0, rd, 0x33),
  mulh: (rd: number, rs1: number, rs2: number) => r(1, rs2, rs1, 1, rd, 0x33),
  mulhu: (rd: number, rs1: number, rs2: number) => r(1, rs2, rs1, 3, rd, 0x33),
  div: (rd: number, rs1: number, rs2: number) => r(1, rs2, rs1, 4, rd, 0x33),
  divu: (rd: number, rs1: number, rs2: number) => r(1, rs2, rs1, 5, rd, 0x33),
  rem: (rd: number, rs1: number, rs2: number) => r(1, rs2, rs1, 6, rd, 0x33),
  divw: (rd: number, rs1: number, rs2: number) => r(1, rs2, rs1, 4, rd, 0x3b),
  csrrw: (rd: number, csr: number, rs1: number) => i(csr, rs1, 1, rd, 0x73),
  csrrs: (rd: number, csr: number, rs1: number) => i(csr, rs1, 2, rd, 0x73),
  csrrc: (rd: number, csr: number, rs1: number) => i(csr, rs1, 3, rd, 0x73),
  sfenceVma: (rs1: number, rs2: number) => r(0x09, rs2, rs1, 0, 0, 0x73),
  ecall: () => 0x0000_0073,
  sret: () => 0x1020_0073,
  nop: () => 0x0000_0013,
};

/** The little-endian bytes of a program. */
export function image(program: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(program.length * 4);
  const view = new DataView(bytes.buffer);
  program.forEach((inst, n) => view.setUint32(n * 4, inst, true));
  return bytes;
}
