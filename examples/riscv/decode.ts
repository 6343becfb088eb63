/**
 * Fields and immediates of 32-bit RISC-V instructions (Unprivileged spec,
 * "Base Instruction Formats" and "Immediate Encoding Variants"). `inst` is the
 * instruction as an unsigned 32-bit number; `inst | 0` reinterprets it as
 * signed, so an arithmetic shift right copies bit 31, the sign of every
 * immediate. Immediates come back sign-extended, as bigints.
 */

export const opcode = (inst: number): number => inst & 0x7f;
export const rd = (inst: number): number => (inst >>> 7) & 0x1f;
export const funct3 = (inst: number): number => (inst >>> 12) & 0x7;
export const rs1 = (inst: number): number => (inst >>> 15) & 0x1f;
export const rs2 = (inst: number): number => (inst >>> 20) & 0x1f;
export const funct7 = (inst: number): number => inst >>> 25;

/** I-type: inst[31:20]. */
export const immI = (inst: number): bigint => BigInt((inst | 0) >> 20);

/** S-type: inst[31:25] | inst[11:7]. */
export const immS = (inst: number): bigint => BigInt((((inst | 0) >> 25) << 5) | ((inst >>> 7) & 0x1f));

/** B-type: inst[31] inst[7] inst[30:25] inst[11:8], times 2. */
export const immB = (inst: number): bigint =>
  BigInt((((inst | 0) >> 31) << 12) | (((inst >>> 7) & 0x1) << 11) | (((inst >>> 25) & 0x3f) << 5) | (((inst >>> 8) & 0xf) << 1));

/** U-type: inst[31:12] << 12. */
export const immU = (inst: number): bigint => BigInt((inst | 0) & ~0xfff);

/** J-type: inst[31] inst[19:12] inst[20] inst[30:21], times 2. */
export const immJ = (inst: number): bigint =>
  BigInt((((inst | 0) >> 31) << 20) | (inst & 0xff000) | (((inst >>> 20) & 0x1) << 11) | (((inst >>> 21) & 0x3ff) << 1));
