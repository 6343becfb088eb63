/**
 * The M extension: multiply and divide (Unprivileged spec, "M Extension").
 * Division never traps: dividing by zero gives all ones (quotient) and the
 * dividend (remainder); the one signed overflow, -2^63 / -1, gives -2^63 and 0.
 * BigInt division truncates toward zero and % takes the dividend's sign, as
 * RISC-V's DIV and REM do.
 */

const signed = (v: bigint, bits: number): bigint => BigInt.asIntN(bits, v);
const unsigned = (v: bigint, bits: number): bigint => BigInt.asUintN(bits, v);

/** OP funct7 = 1: MUL, MULH, MULHSU, MULHU, DIV, DIVU, REM, REMU on 64-bit values. */
export function mulDiv(funct3: number, a: bigint, b: bigint): bigint {
  switch (funct3) {
    case 0: // MUL: the low 64 bits, the same signed or not
      return a * b;
    case 1: // MULH: high 64 bits of signed × signed
      return (signed(a, 64) * signed(b, 64)) >> 64n;
    case 2: // MULHSU: signed × unsigned
      return (signed(a, 64) * b) >> 64n;
    case 3: // MULHU
      return (a * b) >> 64n;
    default:
      return divide(funct3, a, b, 64);
  }
}

/** OP-32 funct7 = 1: MULW, DIVW, DIVUW, REMW, REMUW; 32-bit results, sign-extended. */
export function mulDivWord(funct3: number, a: bigint, b: bigint): bigint | null {
  if (funct3 === 0) return signed(a * b, 32);
  if (funct3 < 4) return null; // no MULHW: illegal
  return signed(divide(funct3, unsigned(a, 32), unsigned(b, 32), 32), 32);
}

/** DIV (4), DIVU (5), REM (6), REMU (7) on `bits`-wide operands given unsigned. */
function divide(funct3: number, a: bigint, b: bigint, bits: number): bigint {
  const isSigned = funct3 === 4 || funct3 === 6;
  const remainder = funct3 >= 6;
  if (b === 0n) return remainder ? a : -1n;
  if (!isSigned) return remainder ? a % b : a / b;
  const sa = signed(a, bits);
  const sb = signed(b, bits);
  // -2^(bits-1) / -1 overflows: the quotient is the dividend, the remainder 0.
  if (sb === -1n && sa === -(1n << BigInt(bits - 1))) return remainder ? 0n : sa;
  return remainder ? sa % sb : sa / sb;
}
