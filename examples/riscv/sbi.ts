/**
 * The firmware's part of the SBI (RISC-V Supervisor Binary Interface), played
 * by the emulator because the hart has no M-mode. An S-mode ecall passes the
 * extension ID in a7, the function ID in a6 and arguments in a0..a5; the result
 * is an error code in a0 and a value in a1.
 *
 * One call is implemented: System Reset (extension "SRST"), function 0,
 * system_reset(type, reason). Any reset type stops the machine. The exit code is
 * 0 for reason 0 ("no reason"), 1 for reason 1 ("system failure"), and n for
 * the platform-specific reason 0xF0000000 + n (this board's convention).
 */
import type { Hart } from './hart.js';

export const SBI_EXT_SRST = 0x5352_5354n;
const SBI_ERR_NOT_SUPPORTED = -2n;
const PLATFORM_REASON = 0xf000_0000;

const A0 = 10;
const A1 = 11;
const A6 = 16;
const A7 = 17;

export function firmwareCall(hart: Hart): void {
  const x = hart.x;
  if (x[A7] === SBI_EXT_SRST && x[A6] === 0n) {
    const reason = Number(x[A1] & 0xffff_ffffn);
    hart.exitCode = reason >= PLATFORM_REASON ? reason - PLATFORM_REASON : reason === 0 ? 0 : 1;
    return;
  }
  x[A0] = SBI_ERR_NOT_SUPPORTED;
  x[A1] = 0n;
}
