# The host frame allocator: a bump pointer over the RAM after the hypervisor
# image. Frames are never freed. Paging is off in HS-mode, so a frame's
# host-physical address is also the hypervisor's address for it.
        .include "hv.inc"

        .section .text

# palloc(a0 = pages) -> a0 = host-physical address of `pages` contiguous zeroed
# frames. Panics when RAM runs out. Uses t0..t3 only.
        .globl  palloc
palloc:
        la      t0, next_free
        ld      t1, 0(t0)
        slli    a0, a0, 12
        add     t2, t1, a0              # the end
        li      t3, RAM_END
        bgtu    t2, t3, 2f
        sd      t2, 0(t0)
        mv      a0, t1
1:      sd      zero, 0(t1)
        addi    t1, t1, 8
        bltu    t1, t2, 1b
        ret
2:      la      a0, msg_oom
        j       hv_panic

        .section .data
        .balign 8
next_free:
        .dword  _end                    # 16 KiB aligned (hypervisor.ld): the G-stage root can come first

        .section .rodata
msg_oom: .asciz "out of host frames"
