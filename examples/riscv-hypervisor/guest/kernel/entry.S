# The first instructions, at the start of guest RAM: the hypervisor enters
# here in VS-mode with the guest's paging off (vsatp = Bare), a0 = hart id.
# This page is the only one the hypervisor maps before the guest starts; the
# rest of the kernel (the next page on) is mapped as the guest first fetches,
# reads or writes it, each time after a guest-page fault the guest never sees.
        .include "kernel.inc"

        .section .text.entry, "ax"
        .globl  _start
_start:
        la      sp, kstack_top
        la      t0, trap_vector
        csrw    stvec, t0               # with V=1 this is vstvec
        la      t0, trapframe
        csrw    sscratch, t0            # vsscratch
        la      t0, _bss_start
        la      t1, _bss_end
1:      bgeu    t0, t1, 2f
        sd      zero, 0(t0)
        addi    t0, t0, 8
        j       1b
2:      call    kmain                   # does not return
3:      j       3b

        .section .bss
        .balign 16
kstack: .space  4096
        .globl  kstack_top
kstack_top:

        .balign 16
        .globl  trapframe
trapframe:
        .space  TF_SIZE
