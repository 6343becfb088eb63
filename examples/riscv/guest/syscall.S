# System calls: the user program's ecall. a7 = number, a0..a2 = arguments,
# a0 = result. Two calls: write(fd, buf, len) and exit(status).
        .include "defs.inc"

        .section .text

# syscall(a0 = trap frame)
        .globl  syscall
syscall:
        addi    sp, sp, -16
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        mv      s0, a0
        csrr    t0, sepc                # resume after the ecall, not on it
        addi    t0, t0, 4
        csrw    sepc, t0
        ld      t0, TF_A7(s0)
        li      t1, SYS_WRITE
        beq     t0, t1, 1f
        li      t1, SYS_EXIT
        beq     t0, t1, 2f
        li      t0, -ENOSYS
        sd      t0, TF_A0(s0)
        j       3f
1:      ld      a0, TF_A1(s0)
        ld      a1, TF_A2(s0)
        call    write_user              # the descriptor is ignored: everything goes to the console
        sd      a0, TF_A0(s0)
        j       3f
2:      ld      a0, TF_A0(s0)
        j       user_exited
3:      ld      ra, 0(sp)
        ld      s0, 8(sp)
        addi    sp, sp, 16
        ret

# write_user(a0 = user buffer, a1 = length) -> a0 = bytes written.
# S-mode may not read U pages unless sstatus.SUM is set: set it for the copy
# only. The buffer must be mapped; a fault here is a kernel trap (this kernel
# has no fault recovery for user copies).
write_user:
        li      t0, USER_LIMIT
        bgeu    a0, t0, 3f
        sub     t1, t0, a0
        bgtu    a1, t1, 3f              # buf + len beyond the user half
        li      t0, SSTATUS_SUM
        csrs    sstatus, t0
        li      t1, CONSOLE
        mv      t2, a0
        add     t3, a0, a1
1:      bgeu    t2, t3, 2f
        lbu     t4, 0(t2)
        sb      t4, 0(t1)
        addi    t2, t2, 1
        j       1b
2:      csrc    sstatus, t0
        mv      a0, a1
        ret
3:      li      a0, -14                 # EFAULT
        ret

# user_exited(a0 = status): the program is over. Report its status and the
# faults resolved for it, then shut the machine down with that status.
        .globl  user_exited
user_exited:
        mv      s0, a0                  # no return: s0 need not be preserved
        la      a0, msg_exit
        call    puts
        mv      a0, s0
        call    print_dec
        la      a0, msg_faults
        call    puts
        la      t0, demand_faults
        ld      a0, 0(t0)
        call    print_dec
        la      a0, msg_demand
        call    puts
        la      t0, cow_faults
        ld      a0, 0(t0)
        call    print_dec
        la      a0, msg_cow
        call    puts
        mv      a0, s0
        j       sbi_shutdown

        .section .rodata
msg_exit:   .asciz "kernel: user exited with status "
msg_faults: .asciz "\nkernel: page faults handled: "
msg_demand: .asciz " demand-zero, "
msg_cow:    .asciz " copy-on-write\n"
