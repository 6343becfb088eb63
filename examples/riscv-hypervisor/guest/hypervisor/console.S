# Output to the board's MMIO console: every byte stored at CONSOLE is printed.
# The hypervisor runs with paging off, so it reaches it at its physical
# address. The routines are examples/riscv/guest/lib/console.inc's.
        .include "hv.inc"
        .include "lib/console.inc"

        .section .text
        MMIO_PUTC CONSOLE               # putc(a0 = byte). Uses t0 only.
        MMIO_PUTS puts, CONSOLE         # puts(a0 = NUL-terminated string)
        PRINT_DEC                       # print_dec(a0 = unsigned value)
        PRINT_HEX                       # print_hex(a0 = unsigned value)
        PRINT_TRAP htval=1              # print_trap(a0 = prefix): "<prefix> scause=... sepc=... stval=... htval=...\n"
