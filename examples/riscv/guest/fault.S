# The page-fault handler: demand-zero pages and copy-on-write, the two kinds of
# fault this kernel resolves. Anything else is the program's fault.
        .include "defs.inc"

        .section .text

# page_fault(a0 = stval, a1 = scause) -> a0 = 0 when resolved (SRET retries
# the instruction), 1 when the fault belongs to the program.
        .globl  page_fault
page_fault:
        addi    sp, sp, -32
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        sd      s1, 16(sp)
        sd      s2, 24(sp)
        li      t0, -PAGE_SIZE
        and     s0, a0, t0              # the faulting page
        mv      s1, a1
        li      t0, USER_LIMIT
        bgeu    s0, t0, fail            # the kernel's half: never the user's to touch
        mv      a0, s0
        li      a1, 0
        call    walk                    # a0 = &PTE, or 0 when no table leads there
        beqz    a0, not_mapped
        ld      t1, 0(a0)
        andi    t2, t1, PTE_V
        beqz    t2, not_mapped

        # Mapped, yet it faulted: only a store to a copy-on-write page is ours to fix.
        li      t2, CAUSE_STORE_PAGE_FAULT
        bne     s1, t2, fail
        andi    t2, t1, PTE_COW
        beqz    t2, fail
        mv      s2, a0
        call    kalloc                  # a0 = the copy
        ld      t1, 0(s2)
        srli    t3, t1, 10
        slli    t3, t3, 12              # the shared frame
        mv      t4, a0
        li      t5, PAGE_SIZE
        add     t5, t3, t5
1:      ld      t6, 0(t3)               # copy it, 8 bytes at a time
        sd      t6, 0(t4)
        addi    t3, t3, 8
        addi    t4, t4, 8
        bltu    t3, t5, 1b
        # Same flags, writable and no longer copy-on-write, pointing at the copy.
        # (A kernel counting references would just make the last sharer
        # writable; this one copies every time.)
        andi    t1, t1, PTE_FLAGS_MASK
        andi    t1, t1, ~PTE_COW
        ori     t1, t1, PTE_W | PTE_D
        srli    t2, a0, 12
        slli    t2, t2, 10
        or      t1, t1, t2
        sd      t1, 0(s2)
        # The old read-only translation may sit in the TLB: drop it for this page.
        li      t0, USER_ASID
        sfence.vma s0, t0
        la      t0, cow_faults
        j       resolved

not_mapped:
        # Not mapped: a page of the heap gets a zeroed frame on first touch.
        li      t0, HEAP_START
        bltu    s0, t0, fail
        li      t0, HEAP_END
        bgeu    s0, t0, fail
        call    kalloc
        mv      a1, a0
        mv      a0, s0
        li      a2, PTE_R | PTE_W | PTE_U | PTE_A | PTE_D
        call    map_page
        # Without Svvptc even an invalid-to-valid change needs a fence.
        li      t0, USER_ASID
        sfence.vma s0, t0
        la      t0, demand_faults

resolved:                               # t0 = the counter to bump
        ld      t1, 0(t0)
        addi    t1, t1, 1
        sd      t1, 0(t0)
        li      a0, 0
        j       2f
fail:   li      a0, 1
2:      ld      ra, 0(sp)
        ld      s0, 8(sp)
        ld      s1, 16(sp)
        ld      s2, 24(sp)
        addi    sp, sp, 32
        ret

        .section .bss
        .balign 8
        .globl  demand_faults, cow_faults
demand_faults: .dword 0
cow_faults:    .dword 0
