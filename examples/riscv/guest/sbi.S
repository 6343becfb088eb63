# Calls into the firmware (the SBI). The emulator has no M-mode: it answers
# S-mode ecalls itself, as the firmware would.
        .include "defs.inc"
        .include "lib/sbi.inc"

        .section .text
        SBI_SHUTDOWN                    # sbi_shutdown(a0 = status)
