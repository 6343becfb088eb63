# Output to the board's MMIO console: every byte stored at CONSOLE is printed.
# The hypervisor runs with paging off, so it reaches it at its physical address.
        .include "hv.inc"

        .section .text

# putc(a0 = byte). Uses t0 only.
        .globl  putc
putc:
        li      t0, CONSOLE
        sb      a0, 0(t0)
        ret

# puts(a0 = NUL-terminated string)
        .globl  puts
puts:
        li      t0, CONSOLE
1:      lbu     t1, 0(a0)
        beqz    t1, 2f
        sb      t1, 0(t0)
        addi    a0, a0, 1
        j       1b
2:      ret

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

# print_trap(a0 = prefix): "<prefix> scause=... sepc=... stval=... htval=...\n"
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
        la      a0, msg_htval
        call    puts
        csrr    a0, htval
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
msg_htval:      .asciz " htval="
