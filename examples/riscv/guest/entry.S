# The first instructions. The emulator has no M-mode: it starts the hart in
# S-mode with paging off (satp = Bare) at 0x80000000, the way firmware such as
# OpenSBI hands a kernel over (a0 = hart id). S-mode ecalls go to that stand-in
# firmware (see sbi.S).
        .include "defs.inc"

        .section .text.entry, "ax"
        .globl _start
_start:
        la      sp, kstack_top
        # Report traps from the very start (a fault while building the page
        # tables is a kernel bug, and should say so rather than loop).
        la      t0, trap_vector
        csrw    stvec, t0
        la      t0, trapframe
        csrw    sscratch, t0
        # Zero .bss: emulated RAM starts zeroed, but a kernel should not rely on it.
        la      t0, _bss_start
        la      t1, _bss_end
1:      bgeu    t0, t1, 2f
        sd      zero, 0(t0)
        addi    t0, t0, 8
        j       1b
2:      call    kmain           # does not return
3:      j       3b

        .section .bss
        .balign 16
kstack: .space  4096
        .globl  kstack_top
kstack_top:

        # Where trap_vector saves the interrupted registers (one frame: the
        # kernel runs a single user program and does not take nested traps).
        .balign 16
        .globl  trapframe
trapframe:
        .space  TF_SIZE
