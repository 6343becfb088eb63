# The frame allocator: a bump pointer over the RAM after the kernel image.
# Frames are never freed (the guest runs one short program). RAM is mapped 1:1
# for the kernel, so a frame's physical address is also its kernel address.
        .include "defs.inc"
        .include "lib/kalloc.inc"

        .section .text
        # kalloc() -> a0 = physical address of a zeroed 4 KiB frame. Panics when RAM runs out.
        KALLOC  "out of physical frames"
