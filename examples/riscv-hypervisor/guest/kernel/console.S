# The kernel's console: the hypervisor's print call (sbi.S), which reads the
# bytes from this kernel's memory itself, up to the NUL. puts passes the
# string where it is, without reading it: the first look at a page of
# .rodata is often the hypervisor's. print_dec, print_hex and print_trap
# are examples/riscv/guest/lib/console.inc's.
        .include "kernel.inc"
        .include "lib/console.inc"

        .section .text

# puts(a0 = NUL-terminated string)
        .globl  puts
puts:
        li      a1, -1                  # no limit but the NUL
        j       sbi_hv_print

# putc(a0 = byte)
        .globl  putc
putc:
        addi    sp, sp, -16
        sd      ra, 0(sp)
        sb      a0, 8(sp)
        addi    a0, sp, 8
        li      a1, 1
        call    sbi_hv_print
        ld      ra, 0(sp)
        addi    sp, sp, 16
        ret

        PRINT_DEC                       # print_dec(a0 = unsigned value)
        PRINT_HEX                       # print_hex(a0 = unsigned value)
        PRINT_TRAP                      # print_trap(a0 = prefix): "<prefix> scause=... sepc=... stval=...\n"
