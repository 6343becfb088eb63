# uart_puts: a UART at GUEST_UART, as on a real board. There is none: the
# hypervisor left that guest-physical page unmapped, so each byte store is a
# guest-page fault that it emulates (hypervisor/guest-fault.S). The loop is
# the console's puts (examples/riscv/guest/lib/console.inc).
        .include "kernel.inc"
        .include "lib/console.inc"

        .section .text
        MMIO_PUTS uart_puts, GUEST_UART # uart_puts(a0 = NUL-terminated string)
