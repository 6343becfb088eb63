# Trap entry and exit, and the dispatch on scause. Every trap (stvec is in
# direct mode) lands on trap_vector, which saves the interrupted registers in
# the trap frame that sscratch points to, and calls trap_handler on the kernel
# stack. trap_return restores a frame and executes SRET, which resumes at sepc
# in the mode sstatus.SPP names.
        .include "defs.inc"
        .include "lib/trap.inc"

        .section .text
        .balign 4                       # stvec.BASE must be 4-byte aligned
        .globl  trap_vector
trap_vector:
        csrrw   sp, sscratch, sp        # sp = trap frame, sscratch = interrupted sp
        SAVE_GPRS
        mv      a0, sp
        la      sp, kstack_top
        call    trap_handler            # returns only when the program may resume
        # fall through with a0 = the frame

# trap_return(a0 = trap frame): restore every register from the frame and SRET.
        .globl  trap_return
trap_return:
        csrw    sscratch, a0            # the next trap saves into this frame again
        mv      sp, a0
        RESTORE_GPRS
        sret

# trap_handler(a0 = trap frame) -> a0 = the frame to resume.
trap_handler:
        addi    sp, sp, -16
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        mv      s0, a0
        csrr    t0, sstatus
        andi    t0, t0, SSTATUS_SPP
        bnez    t0, kernel_trap         # the kernel itself trapped: a bug
        csrr    t0, scause
        li      t1, CAUSE_ECALL_FROM_U
        beq     t0, t1, 1f
        li      t1, CAUSE_LOAD_PAGE_FAULT
        beq     t0, t1, 2f
        li      t1, CAUSE_STORE_PAGE_FAULT
        beq     t0, t1, 2f
        li      t1, CAUSE_FETCH_PAGE_FAULT
        beq     t0, t1, 2f
        j       user_trap
1:      mv      a0, s0
        call    syscall
        j       3f
2:      csrr    a0, stval
        csrr    a1, scause
        call    page_fault              # 0: resolved, retry the instruction
        bnez    a0, user_trap
3:      mv      a0, s0
        ld      ra, 0(sp)
        ld      s0, 8(sp)
        addi    sp, sp, 16
        ret

# A trap the kernel cannot resolve for the user program: report it and end
# the program with status 128 + scause, as a shell reports a signal.
user_trap:
        la      a0, msg_user_trap
        call    print_trap
        csrr    a0, scause
        addi    a0, a0, 128
        j       user_exited

# A trap taken in S-mode: report it and stop the machine with status 255.
kernel_trap:
        la      a0, msg_kernel_trap
        call    print_trap
        li      a0, 255
        j       sbi_shutdown

# panic(a0 = message): print it and stop the machine with status 255.
        PANIC   panic, msg_panic

        .section .rodata
msg_user_trap:   .asciz "kernel: unhandled user trap:"
msg_kernel_trap: .asciz "kernel panic: trap in S-mode:"
msg_panic:       .asciz "kernel panic: "
