# The first instructions. The emulator has no M-mode: it starts the hart in
# S-mode with paging off (satp = Bare) at 0x80000000, the way firmware such as
# OpenSBI hands a kernel over (a0 = hart id). S-mode ecalls go to that stand-in
# firmware (see sbi.S).
        .include "defs.inc"
        .include "lib/entry.inc"

        # _start: a 4 KiB stack, traps to trap_vector (trap.S) from the very
        # start, .bss zeroed, then kmain. sscratch = trapframe, where
        # trap_vector saves the interrupted registers (one frame: the kernel
        # runs a single user program and does not take nested traps).
        START   kmain, kstack_top, 4096, trap_vector, trapframe, TF_SIZE
