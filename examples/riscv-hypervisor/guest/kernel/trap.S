# Trap entry and exit of the guest kernel (stvec, which is vstvec for the
# hart: the hypervisor delegated these traps with hedeleg, so they come here
# without leaving VS-mode). Every trap is the kernel's own: a page fault on
# its heap, or the access fault the hypervisor reflects for memory that is
# not there. sscratch holds the trap frame, 0 while a trap is being handled.
        .include "kernel.inc"
        .include "lib/trap.inc"

        .section .text
        .balign 4
        .globl  trap_vector
trap_vector:
        csrrw   sp, sscratch, sp        # sp = trap frame, sscratch = the interrupted sp
        beqz    sp, nested_trap
        SAVE_GPRS
        csrw    sscratch, zero
        mv      a0, sp
        la      sp, trap_stack_top
        call    trap_handler            # returns only when the kernel may resume
        csrw    sscratch, a0
        mv      sp, a0
        RESTORE_GPRS
        sret                            # an SRET in VS-mode: vsepc, vsstatus.SPP; V stays 1

# trap_handler(a0 = trap frame) -> a0 = the frame.
trap_handler:
        addi    sp, sp, -16
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        mv      s0, a0
        csrr    t0, scause
        li      t1, CAUSE_LOAD_PAGE_FAULT
        beq     t0, t1, 1f
        li      t1, CAUSE_STORE_PAGE_FAULT
        beq     t0, t1, 1f
        li      t1, CAUSE_FETCH_PAGE_FAULT
        beq     t0, t1, 1f
        li      t1, CAUSE_LOAD_ACCESS_FAULT
        beq     t0, t1, 2f
        j       fatal_trap
1:      csrr    a0, stval
        call    page_fault              # 0: resolved, retry the instruction
        bnez    a0, fatal_trap
        j       3f
2:      # An access fault is expected only from the probe in main.S: record it, skip the load.
        la      t0, probe_armed
        ld      t1, 0(t0)
        beqz    t1, fatal_trap
        sd      zero, 0(t0)
        csrr    t1, scause
        la      t0, probe_cause
        sd      t1, 0(t0)
        la      t0, access_faults
        ld      t1, 0(t0)
        addi    t1, t1, 1
        sd      t1, 0(t0)
        csrr    t0, sepc
        addi    t0, t0, 4
        csrw    sepc, t0
3:      mv      a0, s0
        ld      ra, 0(sp)
        ld      s0, 8(sp)
        addi    sp, sp, 16
        ret

fatal_trap:
        la      a0, msg_trap
        call    print_trap
        li      a0, 255
        j       sbi_shutdown

nested_trap:
        csrrw   sp, sscratch, sp
        la      a0, msg_nested
        call    print_trap
        li      a0, 255
        j       sbi_shutdown

# panic(a0 = message): print it and shut down with status 255.
        PANIC   panic, msg_panic

        .section .bss
        .balign 16
        .space  4096
trap_stack_top:
        .balign 8
        .globl  probe_armed, probe_cause, access_faults
probe_armed:   .dword 0
probe_cause:   .dword 0
access_faults: .dword 0

        .section .rodata
msg_trap:   .asciz "guest panic: unexpected trap:"
msg_nested: .asciz "guest panic: trap in the trap handler:"
msg_panic:  .asciz "guest panic: "
