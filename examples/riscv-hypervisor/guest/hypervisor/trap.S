# Trap entry and exit. Every trap from the guest lands on hv_trap_vector
# (stvec, direct mode), which saves the guest's registers and the CSRs that a
# trap into HS-mode overwrites in the vCPU frame, dispatches on scause, and
# returns to the guest with SRET (hstatus.SPV = 1: back to V=1, in the mode
# sstatus.SPP names).
#
# sscratch holds the vCPU frame while the guest runs and 0 while the
# hypervisor does, so a trap taken in HS-mode itself is told apart: that is a
# bug here (HLV and HSV catch their own faults, see guest-access.S).
        .include "hv.inc"
        .include "lib/trap.inc"

        .section .text
        .balign 4                       # stvec.BASE must be 4-byte aligned
        .globl  hv_trap_vector
hv_trap_vector:
        csrrw   sp, sscratch, sp        # sp = the vCPU frame, sscratch = the guest's sp
        beqz    sp, hv_self_trap
        SAVE_GPRS                       # x1..x31, the guest's sp included
        csrw    sscratch, zero          # the hypervisor runs
        csrr    t0, sepc
        sd      t0, VCPU_SEPC(sp)
        csrr    t0, sstatus
        sd      t0, VCPU_SSTATUS(sp)
        csrr    t0, hstatus
        sd      t0, VCPU_HSTATUS(sp)
        mv      a0, sp
        la      sp, hv_stack_top
        call    hv_trap_handler         # returns only when the guest may resume
        # fall through with a0 = the frame

# hv_enter(a0 = vCPU frame): load the guest's state from the frame and SRET into it.
        .globl  hv_enter
hv_enter:
        ld      t0, VCPU_SEPC(a0)
        csrw    sepc, t0
        ld      t0, VCPU_SSTATUS(a0)
        csrw    sstatus, t0
        ld      t0, VCPU_HSTATUS(a0)
        csrw    hstatus, t0
        csrw    sscratch, a0            # the next trap saves into this frame again
        mv      sp, a0
        RESTORE_GPRS
        sret

# hv_trap_handler(a0 = vCPU frame) -> a0 = the frame. An SBI call, or a
# guest-page fault; nothing else is expected from this guest.
hv_trap_handler:
        addi    sp, sp, -16
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        mv      s0, a0
        csrr    t0, scause
        li      t1, CAUSE_ECALL_FROM_VS
        beq     t0, t1, 1f
        li      t1, CAUSE_FETCH_GUEST_PAGE_FAULT
        beq     t0, t1, 2f
        li      t1, CAUSE_LOAD_GUEST_PAGE_FAULT
        beq     t0, t1, 2f
        li      t1, CAUSE_STORE_GUEST_PAGE_FAULT
        beq     t0, t1, 2f
        la      a0, msg_unexpected
        call    print_trap
        li      a0, 255
        j       sbi_shutdown
1:      mv      a0, s0
        call    hypercall
        j       3f
2:      mv      a0, s0
        call    guest_page_fault
3:      mv      a0, s0
        ld      ra, 0(sp)
        ld      s0, 8(sp)
        addi    sp, sp, 16
        ret

# A trap taken in HS-mode: report it and stop the machine with status 255.
hv_self_trap:
        csrrw   sp, sscratch, sp        # sp back, sscratch = 0 again
        la      a0, msg_self_trap
        call    print_trap
        li      a0, 255
        j       sbi_shutdown

# hv_panic(a0 = message): print it and stop the machine with status 255.
        PANIC   hv_panic, msg_panic

        .section .rodata
msg_unexpected: .asciz "hv: unexpected trap from the guest:"
msg_self_trap:  .asciz "hv panic: trap in HS-mode:"
msg_panic:      .asciz "hv panic: "
