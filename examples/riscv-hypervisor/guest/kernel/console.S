# The kernel's console: the hypervisor's print call (sbi.S), which reads the
# bytes from this kernel's memory itself, up to the NUL. puts passes the
# string where it is, without reading it: the first look at a page of
# .rodata is often the hypervisor's.
        .include "kernel.inc"

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

# print_dec(a0 = unsigned value): decimal digits, built right to left on the stack.
        .globl  print_dec
print_dec:
        addi    sp, sp, -32
        sd      ra, 0(sp)
        addi    t1, sp, 31
        sb      zero, 0(t1)
        li      t2, 10
1:      remu    t3, a0, t2
        addi    t3, t3, '0'
        addi    t1, t1, -1
        sb      t3, 0(t1)
        divu    a0, a0, t2
        bnez    a0, 1b
        mv      a0, t1
        call    puts
        ld      ra, 0(sp)
        addi    sp, sp, 32
        ret

# print_hex(a0 = unsigned value): "0x" and the hex digits, no leading zeros.
        .globl  print_hex
print_hex:
        addi    sp, sp, -32
        sd      ra, 0(sp)
        addi    t1, sp, 31
        sb      zero, 0(t1)
1:      andi    t3, a0, 0xf
        li      t2, 10
        bltu    t3, t2, 2f
        addi    t3, t3, 'a' - '0' - 10
2:      addi    t3, t3, '0'
        addi    t1, t1, -1
        sb      t3, 0(t1)
        srli    a0, a0, 4
        bnez    a0, 1b
        addi    t1, t1, -2
        li      t3, '0'
        sb      t3, 0(t1)
        li      t3, 'x'
        sb      t3, 1(t1)
        mv      a0, t1
        call    puts
        ld      ra, 0(sp)
        addi    sp, sp, 32
        ret

# print_trap(a0 = prefix): "<prefix> scause=... sepc=... stval=...\n"
        .globl  print_trap
print_trap:
        addi    sp, sp, -16
        sd      ra, 0(sp)
        call    puts
        la      a0, msg_scause
        call    puts
        csrr    a0, scause
        call    print_hex
        la      a0, msg_sepc
        call    puts
        csrr    a0, sepc
        call    print_hex
        la      a0, msg_stval
        call    puts
        csrr    a0, stval
        call    print_hex
        li      a0, '\n'
        call    putc
        ld      ra, 0(sp)
        addi    sp, sp, 16
        ret

        .section .rodata
msg_scause:     .asciz " scause="
msg_sepc:       .asciz " sepc="
msg_stval:      .asciz " stval="
