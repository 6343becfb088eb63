# The kernel's page-fault handler: demand-zero pages for its heap. Any other
# page fault is a bug.
        .include "kernel.inc"

        .section .text

# page_fault(a0 = stval) -> a0 = 0 when resolved (SRET retries the
# instruction), 1 when not.
        .globl  page_fault
page_fault:
        addi    sp, sp, -16
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        li      t0, -PAGE_SIZE
        and     s0, a0, t0              # the faulting page
        li      t0, HEAP_START
        bltu    s0, t0, 1f
        li      t0, HEAP_END
        bgeu    s0, t0, 1f
        mv      a0, s0
        li      a1, 0
        call    walk                    # already mapped: not a fault of ours to fix
        beqz    a0, 2f
        ld      t0, 0(a0)
        andi    t0, t0, PTE_V
        bnez    t0, 1f
2:      call    kalloc
        mv      a1, a0
        mv      a0, s0
        li      a2, PTE_R | PTE_W | PTE_A | PTE_D
        call    map_page
        # Without Svvptc even an invalid-to-valid change needs a fence. In
        # VS-mode this SFENCE.VMA is an HFENCE.VVMA of this guest's VMID.
        li      t0, KERNEL_ASID
        sfence.vma s0, t0
        la      t0, demand_faults
        ld      t1, 0(t0)
        addi    t1, t1, 1
        sd      t1, 0(t0)
        li      a0, 0
        j       3f
1:      li      a0, 1
3:      ld      ra, 0(sp)
        ld      s0, 8(sp)
        addi    sp, sp, 16
        ret

        .section .bss
        .balign 8
        .globl  demand_faults
demand_faults: .dword 0
