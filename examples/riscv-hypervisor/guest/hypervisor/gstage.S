# The G-stage tables: guest-physical -> host-physical, in the Sv39x4 format.
# Sv39x4 is Sv39 with two more address bits, all of them in the root's index:
# GPA bits 40:30 index a root of 2048 entries (16 KiB, 16 KiB aligned), bits
# 29:21 and 20:12 the next two levels of 512 entries, as in Sv39. Every leaf
# has U set: the G-stage checks each access as a user access, whatever the
# guest's own privilege.
        .include "hv.inc"

        .section .text

# gstage_init(): allocates the root (zeroed: nothing mapped).
        .globl  gstage_init
gstage_init:
        addi    sp, sp, -16
        sd      ra, 0(sp)
        li      a0, GSTAGE_ROOT_SIZE / PAGE_SIZE
        call    palloc
        li      t0, GSTAGE_ROOT_SIZE - 1
        and     t0, a0, t0
        beqz    t0, 1f
        la      a0, msg_misaligned      # hgatp.PPN[1:0] read as zero: a root must be 16 KiB aligned
        j       hv_panic
1:      la      t0, gstage_root
        sd      a0, 0(t0)
        ld      ra, 0(sp)
        addi    sp, sp, 16
        ret

# gstage_map(a0 = gpa, a1 = hpa, a2 = leaf flags): maps one 4 KiB page; V is
# added. Missing tables are allocated. The caller fences (HFENCE.GVMA).
        .globl  gstage_map
gstage_map:
        addi    sp, sp, -32
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        sd      s1, 16(sp)
        sd      s2, 24(sp)
        mv      s0, a0
        mv      s1, a1
        mv      s2, a2
        la      t0, gstage_root
        ld      a0, 0(t0)
        srli    t0, s0, 30              # root index: GPA bits 40:30, 11 bits
        andi    t0, t0, 0x7ff
        slli    t0, t0, 3
        add     a0, a0, t0
        call    next_table
        srli    t0, s0, 21              # GPA bits 29:21
        andi    t0, t0, 511
        slli    t0, t0, 3
        add     a0, a0, t0
        call    next_table
        srli    t0, s0, 12              # GPA bits 20:12: the leaf
        andi    t0, t0, 511
        slli    t0, t0, 3
        add     t1, a0, t0
        srli    t0, s1, 12
        slli    t0, t0, 10
        or      t0, t0, s2
        ori     t0, t0, PTE_V
        sd      t0, 0(t1)
        ld      ra, 0(sp)
        ld      s0, 8(sp)
        ld      s1, 16(sp)
        ld      s2, 24(sp)
        addi    sp, sp, 32
        ret

# next_table(a0 = address of a non-leaf entry) -> a0 = the table it points to,
# allocated (zeroed) and linked when the entry is not valid yet.
next_table:
        ld      t0, 0(a0)
        andi    t1, t0, PTE_V
        beqz    t1, 1f
        srli    t0, t0, 10
        slli    a0, t0, 12
        ret
1:      addi    sp, sp, -16
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        mv      s0, a0
        li      a0, 1
        call    palloc
        srli    t0, a0, 12
        slli    t0, t0, 10
        ori     t0, t0, PTE_V           # V alone: a pointer to the next level
        sd      t0, 0(s0)
        ld      ra, 0(sp)
        ld      s0, 8(sp)
        addi    sp, sp, 16
        ret

        .section .bss
        .balign 8
        .globl  gstage_root
gstage_root:
        .dword  0

        .section .rodata
msg_misaligned: .asciz "the G-stage root is not 16 KiB aligned"
