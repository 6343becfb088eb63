# uart_puts: a UART at GUEST_UART, as on a real board. There is none: the
# hypervisor left that guest-physical page unmapped, so each byte store is a
# guest-page fault that it emulates (hypervisor/guest-fault.S).
        .include "kernel.inc"

        .section .text

# uart_puts(a0 = NUL-terminated string)
        .globl  uart_puts
uart_puts:
        li      t0, GUEST_UART
1:      lbu     t1, 0(a0)
        beqz    t1, 2f
        sb      t1, 0(t0)
        addi    a0, a0, 1
        j       1b
2:      ret
