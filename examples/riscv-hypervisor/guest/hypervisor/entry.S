# The first instructions. The emulator has no M-mode: it starts the hart in
# HS-mode (S-mode with the H extension, V=0) with paging off (satp = Bare) at
# 0x80000000, the way firmware hands a kernel or a hypervisor over.
        .include "hv.inc"
        .include "lib/entry.inc"

        # _start: an 8 KiB stack (each trap from the guest starts on it
        # afresh), traps to hv_trap_vector (trap.S), sscratch = 0: the
        # hypervisor itself is running (see trap.S); .bss zeroed, then hv_main,
        # which enters the guest.
        START   hv_main, hv_stack_top, 8192, hv_trap_vector, zero
