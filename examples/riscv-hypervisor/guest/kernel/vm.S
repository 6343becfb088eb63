# The kernel's Sv39 tables, written into its own (guest-physical) RAM: three
# levels of 512 eight-byte entries; a virtual address splits into VPN[2]
# (bits 38:30), VPN[1] (29:21), VPN[0] (20:12) and a 12-bit offset. The kernel
# cannot tell that every table it writes, and every address in them, is
# translated once more by the hypervisor's G-stage.
        .include "kernel.inc"

        .section .text

# walk(a0 = va, a1 = allocate) -> a0 = address of the level-0 PTE for va, or 0
# when a table on the way is missing (and allocate is 0) or va lies in a
# superpage. With allocate != 0, missing tables are allocated (zeroed).
        .globl  walk
walk:
        addi    sp, sp, -48
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        sd      s1, 16(sp)
        sd      s2, 24(sp)
        sd      s3, 32(sp)
        sd      s4, 40(sp)
        mv      s0, a0
        mv      s1, a1
        la      t0, kernel_root
        ld      s2, 0(t0)               # the current table
        li      s3, 30                  # shift of this level's VPN: 30, then 21
1:      srl     t0, s0, s3
        andi    t0, t0, 511
        slli    t0, t0, 3
        add     s4, s2, t0              # address of the entry
        ld      t1, 0(s4)
        andi    t2, t1, PTE_V
        beqz    t2, 2f
        andi    t2, t1, PTE_R | PTE_X   # a leaf above level 0: a superpage
        bnez    t2, 4f
        srli    t1, t1, 10
        slli    s2, t1, 12
        j       3f
2:      beqz    s1, 4f
        call    kalloc
        mv      s2, a0
        srli    t1, a0, 12
        slli    t1, t1, 10
        ori     t1, t1, PTE_V           # V alone: a pointer to the next level
        sd      t1, 0(s4)
3:      addi    s3, s3, -9
        li      t0, 12
        bne     s3, t0, 1b
        srli    t0, s0, 12              # level 0
        andi    t0, t0, 511
        slli    t0, t0, 3
        add     a0, s2, t0
        j       5f
4:      li      a0, 0
5:      ld      ra, 0(sp)
        ld      s0, 8(sp)
        ld      s1, 16(sp)
        ld      s2, 24(sp)
        ld      s3, 32(sp)
        ld      s4, 40(sp)
        addi    sp, sp, 48
        ret

# map_page(a0 = va, a1 = guest-physical address, a2 = PTE flags): one 4 KiB
# mapping; V is added. The caller executes SFENCE.VMA when the page may be in use.
        .globl  map_page
map_page:
        addi    sp, sp, -32
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        sd      s1, 16(sp)
        mv      s0, a1
        mv      s1, a2
        li      a1, 1
        call    walk
        bnez    a0, 1f
        la      a0, msg_superpage
        j       panic
1:      srli    t0, s0, 12
        slli    t0, t0, 10
        or      t0, t0, s1
        ori     t0, t0, PTE_V
        sd      t0, 0(a0)
        ld      ra, 0(sp)
        ld      s0, 8(sp)
        ld      s1, 16(sp)
        addi    sp, sp, 32
        ret

# vm_init() -> a0 = guest-physical address of the root table, after building
# the address space: the gigapage from 0x80000000 (guest RAM and whatever lies
# past it) 1:1 and global, and the UART's page 1:1. The heap is left unmapped
# (fault.S). A and D are preset: this guest runs without hardware A/D updates
# (the hypervisor leaves henvcfg.ADUE clear).
        .globl  vm_init
vm_init:
        addi    sp, sp, -16
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        call    kalloc
        mv      s0, a0
        la      t0, kernel_root
        sd      s0, 0(t0)
        li      t0, ((RAM_BASE >> 12) << 10) | PTE_V | PTE_R | PTE_W | PTE_X | PTE_G | PTE_A | PTE_D
        sd      t0, 2 * 8(s0)           # VPN[2] of 0x80000000 is 2
        li      a0, GUEST_UART
        li      a1, GUEST_UART
        li      a2, PTE_R | PTE_W | PTE_G | PTE_A | PTE_D
        call    map_page
        mv      a0, s0
        ld      ra, 0(sp)
        ld      s0, 8(sp)
        addi    sp, sp, 16
        ret

        .section .bss
        .balign 8
        .globl  kernel_root
kernel_root:
        .dword  0

        .section .rodata
msg_superpage: .asciz "map_page: address lies in a superpage"
