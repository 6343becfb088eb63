# Output to the board's MMIO console: every byte stored at CONSOLE is printed.
# The kernel reaches it at the same address with paging off and on (vm.S maps
# it 1:1, supervisor only). The routines are lib/console.inc's.
        .include "defs.inc"
        .include "lib/console.inc"

        .section .text
        MMIO_PUTC CONSOLE               # putc(a0 = byte)
        MMIO_PUTS puts, CONSOLE         # puts(a0 = NUL-terminated string)
        PRINT_DEC                       # print_dec(a0 = unsigned value)
        PRINT_HEX                       # print_hex(a0 = unsigned value)
        PRINT_TRAP                      # print_trap(a0 = prefix): "<prefix> scause=... sepc=... stval=...\n"
