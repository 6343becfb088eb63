# The frame allocator: a bump pointer over the guest RAM after the kernel.
# Frames are never freed. RAM is mapped 1:1, so a frame's guest-physical
# address is also its kernel address. The first store to each frame is a
# guest-page fault the hypervisor resolves (and this kernel never notices).
        .include "kernel.inc"

        .section .text

# kalloc() -> a0 = guest-physical address of a zeroed 4 KiB frame. Panics when RAM runs out.
        .globl  kalloc
kalloc:
        la      t0, next_free
        ld      a0, 0(t0)
        li      t1, RAM_END
        bgeu    a0, t1, 2f
        li      t2, PAGE_SIZE
        add     t2, a0, t2
        sd      t2, 0(t0)
        mv      t1, a0
1:      sd      zero, 0(t1)
        addi    t1, t1, 8
        bltu    t1, t2, 1b
        ret
2:      la      a0, msg_oom
        j       panic

        .section .data
        .balign 8
        .globl  next_free
next_free:
        .dword  _end

        .section .rodata
msg_oom: .asciz "out of guest RAM"
