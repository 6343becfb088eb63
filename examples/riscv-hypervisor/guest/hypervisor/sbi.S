# Calls into the board's firmware (the SBI). The emulator has no M-mode: it
# answers HS-mode ecalls itself, as the firmware would (../../riscv/sbi.ts).
        .include "hv.inc"

        .section .text

# sbi_shutdown(a0 = status): system_reset(type = shutdown, reason). Reason 0
# is status 0; any other status goes in the platform-specific range,
# 0xF0000000 + status, which the board reports as the exit code.
        .globl  sbi_shutdown
sbi_shutdown:
        mv      a1, a0
        beqz    a1, 1f
        li      t0, SBI_REASON_PLATFORM
        or      a1, a1, t0
1:      li      a0, SBI_SRST_SHUTDOWN
        li      a6, 0                   # function 0: system_reset
        li      a7, SBI_EXT_SRST
        ecall
2:      wfi                             # not reached
        j       2b
