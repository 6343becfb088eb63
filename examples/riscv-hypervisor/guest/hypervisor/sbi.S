# Calls into the board's firmware (the SBI). The emulator has no M-mode: it
# answers HS-mode ecalls itself, as the firmware would (../../riscv/sbi.ts).
        .include "hv.inc"
        .include "lib/sbi.inc"

        .section .text
        SBI_SHUTDOWN                    # sbi_shutdown(a0 = status)
