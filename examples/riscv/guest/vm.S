# Sv39 page tables, written by the kernel into its own RAM: three levels of
# 512 eight-byte entries; a virtual address splits into VPN[2] (bits 38:30),
# VPN[1] (29:21), VPN[0] (20:12) and a 12-bit offset.
        .include "defs.inc"
        .include "lib/sv39.inc"

        .section .text

        # walk(a0 = va, a1 = allocate) -> a0 = &PTE or 0, and map_page(a0 = va,
        # a1 = pa, a2 = PTE flags): lib/sv39.inc. Both start from kernel_root.
        SV39_WALK_MAP

# map_range(a0 = va, a1 = pa, a2 = bytes, a3 = flags): consecutive 4 KiB mappings.
map_range:
        addi    sp, sp, -48
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        sd      s1, 16(sp)
        sd      s2, 24(sp)
        sd      s3, 32(sp)
        mv      s0, a0
        mv      s1, a1
        add     s2, a0, a2              # end
        mv      s3, a3
1:      bgeu    s0, s2, 2f
        mv      a0, s0
        mv      a1, s1
        mv      a2, s3
        call    map_page
        li      t0, PAGE_SIZE
        add     s0, s0, t0
        add     s1, s1, t0
        j       1b
2:      ld      ra, 0(sp)
        ld      s0, 8(sp)
        ld      s1, 16(sp)
        ld      s2, 24(sp)
        ld      s3, 32(sp)
        addi    sp, sp, 48
        ret

# vm_init() -> a0 = physical address of the root table, after building the
# one address space: the kernel (RAM 1:1 as a 1 GiB gigapage, global), the
# console (one global supervisor page) and the user program's pages.
        .globl  vm_init
vm_init:
        addi    sp, sp, -16
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        # s0 = the root; root[2] covers 0x80000000..0xbfffffff: all of RAM,
        # read/write/execute, kernel only; the console's page 1:1.
        SV39_KERNEL_SPACE s0, CONSOLE

        # The user program, from its place in the kernel image. A and D are
        # preset so the pages work whether the MMU updates A/D or faults on them.
        # (Sizes come from differences of physical load addresses: la reaches
        # those PC-relatively, unlike small absolute symbols.)
        li      a0, USER_TEXT
        la      a1, _user_text_load
        la      a2, _user_rodata_load
        sub     a2, a2, a1
        li      a3, PTE_R | PTE_X | PTE_U | PTE_A | PTE_D
        call    map_range
        li      a0, USER_RODATA
        la      a1, _user_rodata_load
        la      a2, _user_cow_load
        sub     a2, a2, a1
        li      a3, PTE_R | PTE_U | PTE_A | PTE_D
        call    map_range

        # One physical page behind two user views, read-only and marked
        # copy-on-write: a store to either faults, and fault.S gives that view a copy.
        li      a0, USER_COW_A
        la      a1, _user_cow_load
        li      a2, PTE_R | PTE_U | PTE_A | PTE_D | PTE_COW
        call    map_page
        li      a0, USER_COW_B
        la      a1, _user_cow_load
        li      a2, PTE_R | PTE_U | PTE_A | PTE_D | PTE_COW
        call    map_page

        # The heap (HEAP_START..HEAP_END) is left unmapped: fault.S fills it on demand.
        mv      a0, s0
        ld      ra, 0(sp)
        ld      s0, 8(sp)
        addi    sp, sp, 16
        ret
