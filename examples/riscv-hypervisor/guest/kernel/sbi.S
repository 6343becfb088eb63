# SBI calls to the hypervisor: an ecall in VS-mode traps to HS-mode (scause 10).
        .include "kernel.inc"

        .section .text

# sbi_hv_print(a0 = address, a1 = most bytes to print; it stops at a NUL) -> a0 = SBI error
        .globl  sbi_hv_print
sbi_hv_print:
        li      a6, HV_PRINT
        li      a7, SBI_EXT_HV
        ecall
        ret

# sbi_hv_stats(a0 = address of HV_STATS_SIZE bytes) -> a0 = SBI error
        .globl  sbi_hv_stats
sbi_hv_stats:
        li      a6, HV_STATS
        li      a7, SBI_EXT_HV
        ecall
        ret

# sbi_shutdown(a0 = status): system_reset(shutdown, reason): reason 0 for
# status 0, else 0xF0000000 + status (the board's convention).
        .globl  sbi_shutdown
sbi_shutdown:
        mv      a1, a0
        beqz    a1, 1f
        li      t0, SBI_REASON_PLATFORM
        or      a1, a1, t0
1:      li      a0, SBI_SRST_SHUTDOWN
        li      a6, 0
        li      a7, SBI_EXT_SRST
        ecall
2:      wfi
        j       2b
