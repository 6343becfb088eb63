# kmain: build the address space, turn on Sv39 paging, drop to user mode.
        .include "defs.inc"
        .include "lib/sv39.inc"

        .section .text
        .globl  kmain
kmain:
        la      a0, msg_boot
        call    puts

        call    vm_init                 # a0 = physical address of the root table
        mv      s0, a0

        # Paging on: satp = MODE Sv39 | ASID | root PPN. The user's pages carry
        # ASID 1; the kernel's are global.
        SATP_SV39 s0, USER_ASID

        la      a0, msg_paging
        call    puts
        mv      a0, s0
        call    print_hex
        li      a0, '\n'
        call    putc

        # Enter the user program as if returning from a trap: sepc = its entry,
        # sstatus.SPP = U, SPIE = 1; every user register starts at zero (the
        # trap frame is in .bss).
        li      t0, USER_TEXT
        csrw    sepc, t0
        li      t0, SSTATUS_SPP
        csrc    sstatus, t0
        li      t0, SSTATUS_SPIE
        csrs    sstatus, t0
        la      a0, trapframe
        j       trap_return

        .section .rodata
msg_boot:   .asciz "kernel: booting in S-mode, paging off\n"
msg_paging: .asciz "kernel: Sv39 paging on, root table at "
