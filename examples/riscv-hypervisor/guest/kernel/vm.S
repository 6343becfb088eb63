# The kernel's Sv39 tables, written into its own (guest-physical) RAM: three
# levels of 512 eight-byte entries; a virtual address splits into VPN[2]
# (bits 38:30), VPN[1] (29:21), VPN[0] (20:12) and a 12-bit offset. The kernel
# cannot tell that every table it writes, and every address in them, is
# translated once more by the hypervisor's G-stage.
        .include "kernel.inc"
        .include "lib/sv39.inc"

        .section .text

        # walk(a0 = va, a1 = allocate) -> a0 = &PTE or 0, and map_page(a0 = va,
        # a1 = guest-physical address, a2 = PTE flags): lib/sv39.inc. Both
        # start from kernel_root.
        SV39_WALK_MAP

# vm_init() -> a0 = guest-physical address of the root table, after building
# the address space: the gigapage from 0x80000000 (guest RAM and whatever lies
# past it) 1:1 and global, and the UART's page 1:1. The heap is left unmapped
# (fault.S). A and D are preset: this guest runs without hardware A/D updates
# (the hypervisor leaves henvcfg.ADUE clear).
        .globl  vm_init
vm_init:
        addi    sp, sp, -16
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        SV39_KERNEL_SPACE s0, GUEST_UART  # s0 = the root
        mv      a0, s0
        ld      ra, 0(sp)
        ld      s0, 8(sp)
        addi    sp, sp, 16
        ret
