# The first instructions. The emulator has no M-mode: it starts the hart in
# HS-mode (S-mode with the H extension, V=0) with paging off (satp = Bare) at
# 0x80000000, the way firmware hands a kernel or a hypervisor over.
        .include "hv.inc"

        .section .text.entry, "ax"
        .globl  _start
_start:
        la      sp, hv_stack_top
        la      t0, hv_trap_vector
        csrw    stvec, t0
        csrw    sscratch, zero          # 0: the hypervisor itself is running (see trap.S)
        # Zero .bss: emulated RAM starts zeroed, but a hypervisor should not rely on it.
        la      t0, _bss_start
        la      t1, _bss_end
1:      bgeu    t0, t1, 2f
        sd      zero, 0(t0)
        addi    t0, t0, 8
        j       1b
2:      call    hv_main                 # enters the guest; does not return
3:      j       3b

        .section .bss
        .balign 16
        .space  8192
        .globl  hv_stack_top
hv_stack_top:                           # each trap from the guest starts on it afresh
