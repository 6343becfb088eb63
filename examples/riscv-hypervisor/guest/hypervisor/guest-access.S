# Reading and writing the guest's memory as the guest would: HLV, HLVX and HSV
# translate a guest-virtual address through both stages (vsatp, then hgatp)
# with the privilege hstatus.SPVP names, which the trap from the guest set to
# the guest's own. Each helper points stvec at uaccess_trap for its one
# instruction, so that a fault (a guest-page fault on a page not mapped yet, or
# a bad pointer from the guest) comes back as a cause in a1 instead of as a
# trap into the hypervisor's own vector.
#
# Such a trap is taken from HS-mode: it overwrites sepc, sstatus.SPP and
# hstatus.SPV, which is why trap.S keeps the guest's in the vCPU frame.
        .include "hv.inc"

        .section .text

# guest_load_byte(a0 = guest-virtual address) -> a0 = the byte and a1 = 0, or
# a1 = the scause of the fault (a0 unchanged). Uses t0, t1, t5, t6.
        .globl  guest_load_byte
guest_load_byte:
        la      t0, uaccess_trap
        csrrw   t1, stvec, t0
        li      t6, 0
        hlv.bu  a0, (a0)
        csrw    stvec, t1
        mv      a1, t6
        ret

# guest_fetch_word(a0 = guest-virtual address) -> a0 = the 32 bits and a1 = 0,
# or a1 = scause. HLVX: the page must be executable, as for a fetch.
        .globl  guest_fetch_word
guest_fetch_word:
        la      t0, uaccess_trap
        csrrw   t1, stvec, t0
        li      t6, 0
        hlvx.wu a0, (a0)
        csrw    stvec, t1
        mv      a1, t6
        ret

# guest_store_dword(a0 = guest-virtual address, a1 = value) -> a1 = 0, or scause.
        .globl  guest_store_dword
guest_store_dword:
        la      t0, uaccess_trap
        csrrw   t1, stvec, t0
        li      t6, 0
        hsv.d   a1, (a0)
        csrw    stvec, t1
        mv      a1, t6
        ret

# The trap of one of the instructions above: skip it, and leave the cause in
# t6. Touches t5 and t6 only (sscratch, 0 while the hypervisor runs, parks t5).
        .balign 4
uaccess_trap:
        csrw    sscratch, t5
        csrr    t5, sepc
        addi    t5, t5, 4
        csrw    sepc, t5
        csrr    t6, scause
        csrr    t5, sscratch
        csrw    sscratch, zero
        sret                            # SPP = 1, SPV = 0: back to HS-mode
