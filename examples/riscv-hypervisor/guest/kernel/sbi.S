# SBI calls to the hypervisor: an ecall in VS-mode traps to HS-mode (scause 10).
        .include "kernel.inc"
        .include "lib/sbi.inc"

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

        SBI_SHUTDOWN                    # sbi_shutdown(a0 = status): the same call as the hypervisor's
