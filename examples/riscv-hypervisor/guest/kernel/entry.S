# The first instructions, at the start of guest RAM: the hypervisor enters
# here in VS-mode with the guest's paging off (vsatp = Bare), a0 = hart id.
# This page is the only one the hypervisor maps before the guest starts; the
# rest of the kernel (the next page on) is mapped as the guest first fetches,
# reads or writes it, each time after a guest-page fault the guest never sees.
        .include "kernel.inc"
        .include "lib/entry.inc"

        # _start (examples/riscv/guest/lib/entry.inc): a 4 KiB stack, stvec =
        # trap_vector (with V=1, stvec is vstvec), sscratch = the trap frame
        # (vsscratch), .bss zeroed, then kmain.
        START   kmain, kstack_top, 4096, trap_vector, trapframe, TF_SIZE
