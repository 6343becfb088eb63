# The frame allocator: a bump pointer over the RAM after the kernel image.
# Frames are never freed (the guest runs one short program). RAM is mapped 1:1
# for the kernel, so a frame's physical address is also its kernel address.
        .include "defs.inc"

        .section .text

# kalloc() -> a0 = physical address of a zeroed 4 KiB frame. Panics when RAM runs out.
        .globl  kalloc
kalloc:
        la      t0, next_free
        ld      a0, 0(t0)
        li      t1, RAM_END
        bgeu    a0, t1, 3f
        li      t2, PAGE_SIZE
        add     t2, a0, t2
        sd      t2, 0(t0)
        mv      t1, a0
1:      sd      zero, 0(t1)
        addi    t1, t1, 8
        bltu    t1, t2, 1b
        ret
3:      la      a0, msg_oom
        j       panic

        .section .data
        .balign 8
next_free:
        .dword  _end

        .section .rodata
msg_oom: .asciz "out of physical frames"
