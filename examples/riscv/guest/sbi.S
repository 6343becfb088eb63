# Calls into the firmware (the SBI). The emulator has no M-mode: it answers
# S-mode ecalls itself, as the firmware would.
        .include "defs.inc"

        .equ    SBI_EXT_SRST, 0x53525354    # "SRST": the System Reset extension
        .equ    SBI_SRST_SHUTDOWN, 0
        .equ    SBI_REASON_PLATFORM, 0xF0000000

        .section .text

# sbi_shutdown(a0 = status): system_reset(type = shutdown, reason). Reason 0
# ("no reason") is status 0; any other status is sent in the platform-specific
# reason range, 0xF0000000 + status, which this board reports as the exit code.
        .globl  sbi_shutdown
sbi_shutdown:
        mv      a1, a0
        beqz    a1, 1f
        li      t0, SBI_REASON_PLATFORM
        or      a1, a1, t0
1:      li      a0, SBI_SRST_SHUTDOWN
        li      a6, 0                       # function 0: system_reset
        li      a7, SBI_EXT_SRST
        ecall
2:      wfi                                 # not reached
        j       2b
