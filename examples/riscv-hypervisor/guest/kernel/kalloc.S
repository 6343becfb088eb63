# The frame allocator: a bump pointer over the guest RAM after the kernel.
# Frames are never freed. RAM is mapped 1:1, so a frame's guest-physical
# address is also its kernel address. The first store to each frame is a
# guest-page fault the hypervisor resolves (and this kernel never notices).
        .include "kernel.inc"
        .include "lib/kalloc.inc"

        .section .text
        # kalloc() -> a0 = guest-physical address of a zeroed 4 KiB frame. Panics when RAM runs out.
        KALLOC  "out of guest RAM"
