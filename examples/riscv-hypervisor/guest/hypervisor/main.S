# hv_main: build the G-stage, configure the H-extension CSRs, enter the guest.
        .include "hv.inc"

        .section .text
        .globl  hv_main
hv_main:
        la      a0, msg_boot
        call    puts

        # The G-stage: only the guest's entry page is mapped before it starts;
        # every other page of its RAM is mapped when the guest first touches it
        # (guest-fault.S), from the image or as a zeroed frame.
        call    gstage_init
        li      a0, GUEST_RAM_BASE
        la      a1, guest_image
        li      a2, GSTAGE_RAM_FLAGS
        call    gstage_map
        la      a0, msg_gstage
        call    puts
        la      t0, gstage_root
        ld      a0, 0(t0)
        call    print_hex
        la      a0, msg_vmid
        call    puts
        li      a0, GUEST_VMID
        call    print_dec
        la      a0, msg_ram
        call    puts

        # hgatp = MODE Sv39x4 | VMID | root PPN. The VMID tags the guest's TLB
        # entries; HFENCE.GVMA drops whatever an earlier user of it left behind.
        la      t0, gstage_root
        ld      t0, 0(t0)
        srli    t0, t0, 12
        li      t1, HGATP_MODE_SV39X4 | (GUEST_VMID << HGATP_VMID_SHIFT)
        or      t0, t0, t1
        csrw    hgatp, t0
        hfence.gvma zero, zero

        # The guest takes its own page faults (and the rest of HEDELEG_GUEST);
        # everything else traps here.
        li      t0, HEDELEG_GUEST
        csrw    hedeleg, t0

        # The guest starts as a kernel does on a real board: in VS-mode, its own
        # paging off (vsatp = Bare), at the start of its RAM, a0 = hart id 0.
        csrw    vsatp, zero
        csrw    vsstatus, zero
        # Nothing an earlier guest of this VMID left in the TLBs may survive:
        # HFENCE.GVMA above dropped what came through the G-stage, HFENCE.VVMA
        # drops the guest-virtual translations (both stages' results) as well.
        hfence.vvma zero, zero
        la      a0, msg_enter
        call    puts
        la      a0, vcpu
        li      t0, GUEST_RAM_BASE
        sd      t0, VCPU_SEPC(a0)
        csrr    t0, sstatus             # SRET to VS-mode: SPP = 1 (S), with SPV = 1 below
        ori     t0, t0, SSTATUS_SPP | SSTATUS_SPIE
        sd      t0, VCPU_SSTATUS(a0)
        csrr    t0, hstatus
        ori     t0, t0, HSTATUS_SPV | HSTATUS_SPVP
        sd      t0, VCPU_HSTATUS(a0)
        j       hv_enter                # loads the (zeroed) registers and SRETs

        .section .bss
        .balign 16
        .globl  vcpu
vcpu:   .space  VCPU_SIZE               # the guest's registers while the hypervisor runs

        .section .rodata
msg_boot:    .asciz "hv: booting in HS-mode, paging off\n"
msg_gstage:  .asciz "hv: G-stage (Sv39x4) root at "
msg_vmid:    .asciz ", VMID "
msg_ram:     .asciz "\nhv: guest RAM is GPA 0x80000000-0x80100000: its entry page mapped now, the rest on first touch\n"
msg_enter:   .asciz "hv: entering the guest in VS-mode at GPA 0x80000000\n"
