# Guest-page faults: the G-stage had no mapping for a guest-physical address.
# htval holds that address shifted right by 2 bits (htval's width need not
# reach the top of a GPA), stval the guest-virtual address, htinst the
# instruction (transformed) or 0. What the address is decides what happens:
#
#   guest RAM    map the page and let SRET retry the instruction: a page of
#                the kernel image is mapped to the image's own frame (the
#                image is loaded lazily, like a virtual machine restored from
#                a snapshot on demand), any other page to a fresh zeroed frame;
#   the UART     emulate the store (every byte the guest prints there traps);
#   anything    reflect it into the guest as an access fault, as a board with
#   else         nothing at that address would.
        .include "hv.inc"

        .section .text

# guest_page_fault(a0 = vCPU frame): a guest-page fault taken from the guest.
        .globl  guest_page_fault
guest_page_fault:
        addi    sp, sp, -32
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        sd      s1, 16(sp)
        mv      s0, a0
        csrr    a0, scause
        call    count_guest_page_fault
        call    fault_gpa
        mv      s1, a0
        call    map_guest_page
        beqz    a0, 2f                  # guest RAM: mapped, retry
        li      t0, -PAGE_SIZE
        and     t1, s1, t0
        li      t2, GUEST_UART
        bne     t1, t2, 1f
        csrr    t0, scause
        li      t1, CAUSE_STORE_GUEST_PAGE_FAULT
        bne     t0, t1, 1f
        mv      a0, s0
        call    emulate_uart_store
        beqz    a0, 2f
1:      mv      a0, s0
        call    reflect_access_fault
2:      ld      ra, 0(sp)
        ld      s0, 8(sp)
        ld      s1, 16(sp)
        addi    sp, sp, 32
        ret

# resolve_access_fault(a0 = scause of a faulting HLV/HSV) -> a0 = 0 when the
# page is mapped now (retry the access), 1 when it cannot be: a VS-stage page
# fault (the guest passed an address it has not mapped) or memory the guest
# does not have.
        .globl  resolve_access_fault
resolve_access_fault:
        li      t0, CAUSE_LOAD_GUEST_PAGE_FAULT
        beq     a0, t0, 1f
        li      t0, CAUSE_STORE_GUEST_PAGE_FAULT
        beq     a0, t0, 1f
        li      a0, 1
        ret
1:      addi    sp, sp, -16
        sd      ra, 0(sp)
        call    count_guest_page_fault
        la      t0, hypercall_faults
        ld      t1, 0(t0)
        addi    t1, t1, 1
        sd      t1, 0(t0)
        call    fault_gpa
        call    map_guest_page
        ld      ra, 0(sp)
        addi    sp, sp, 16
        ret

# count_guest_page_fault(a0 = scause 20, 21 or 23). Keeps a0.
count_guest_page_fault:
        la      t0, guest_page_faults
        addi    t1, a0, -CAUSE_FETCH_GUEST_PAGE_FAULT
        slli    t1, t1, 3
        add     t0, t0, t1
        ld      t1, 0(t0)
        addi    t1, t1, 1
        sd      t1, 0(t0)
        ret

# fault_gpa() -> a0 = the guest-physical address of the fault being handled:
# htval << 2, with the low two bits from stval (the page offset is the same).
fault_gpa:
        csrr    a0, htval
        slli    a0, a0, 2
        csrr    t0, stval
        andi    t0, t0, 3
        or      a0, a0, t0
        ret

# map_guest_page(a0 = gpa) -> a0 = 0 when gpa is guest RAM, mapped now; 1 when
# it is not guest RAM. Every G-stage leaf grants R, W and X, so a guest-page
# fault in guest RAM always means that the page is not mapped yet.
map_guest_page:
        addi    sp, sp, -32
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        sd      s1, 16(sp)
        li      t0, -PAGE_SIZE
        and     s0, a0, t0              # the page
        li      t0, GUEST_RAM_BASE
        bltu    s0, t0, 3f
        li      t1, GUEST_RAM_END
        bgeu    s0, t1, 3f
        sub     t1, s0, t0              # its offset in guest RAM
        la      t2, guest_image
        la      t3, guest_image_end
        sub     t3, t3, t2
        bgeu    t1, t3, 1f
        add     s1, t2, t1              # a page of the image: its frame in the image
        la      t0, image_pages
        j       2f
1:      li      a0, 1                   # beyond the image: a zeroed frame
        call    palloc
        mv      s1, a0
        la      t0, zeroed_pages
2:      ld      t1, 0(t0)
        addi    t1, t1, 1
        sd      t1, 0(t0)
        mv      a0, s0
        mv      a1, s1
        li      a2, GSTAGE_RAM_FLAGS
        call    gstage_map
        # Drop what the TLBs may hold for this guest-physical page (rs1 = GPA >> 2),
        # for this guest's VMID alone.
        srli    a0, s0, 2
        li      a1, GUEST_VMID
        hfence.gvma a0, a1
        li      a0, 0
        j       4f
3:      li      a0, 1
4:      ld      ra, 0(sp)
        ld      s0, 8(sp)
        ld      s1, 16(sp)
        addi    sp, sp, 32
        ret

# emulate_uart_store(a0 = vCPU frame) -> a0 = 0 when the faulting instruction
# was a byte store, now done; 1 otherwise.
emulate_uart_store:
        addi    sp, sp, -16
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        mv      s0, a0
        # htinst holds the instruction, transformed, when the hart provides it,
        # and 0 when it does not (this hart gives it only for the implicit
        # accesses of a VS-stage walk): then read it from the guest with HLVX,
        # as the guest fetched it.
        csrr    a0, htinst
        bnez    a0, 1f
        ld      a0, VCPU_SEPC(s0)
        call    guest_fetch_word
        bnez    a1, 2f
1:      li      t0, 0x707f              # opcode and funct3
        and     t1, a0, t0
        li      t2, 0x0023              # STORE, funct3 0: SB
        bne     t1, t2, 2f
        srli    t0, a0, 20              # rs2: the register stored
        andi    t0, t0, 31
        slli    t0, t0, 3
        add     t0, s0, t0
        ld      a0, 0(t0)
        andi    a0, a0, 0xff
        call    putc
        ld      t0, VCPU_SEPC(s0)       # done: resume after it
        addi    t0, t0, 4
        sd      t0, VCPU_SEPC(s0)
        la      t0, uart_stores
        ld      t1, 0(t0)
        addi    t1, t1, 1
        sd      t1, 0(t0)
        li      a0, 0
        j       3f
2:      li      a0, 1
3:      ld      ra, 0(sp)
        ld      s0, 8(sp)
        addi    sp, sp, 16
        ret

# reflect_access_fault(a0 = vCPU frame): delivers the access fault of the same
# access (fetch 1, load 5, store 7) to the guest, doing by hand what the hart
# does on a trap into VS-mode: vsepc, vscause, vstval; vsstatus.SPP = the mode
# the guest was in, SPIE = SIE, SIE = 0; then the guest resumes at vstvec in
# VS-mode.
reflect_access_fault:
        csrr    t0, scause
        li      t1, CAUSE_FETCH_ACCESS
        li      t2, CAUSE_FETCH_GUEST_PAGE_FAULT
        beq     t0, t2, 1f
        li      t1, CAUSE_LOAD_ACCESS
        li      t2, CAUSE_LOAD_GUEST_PAGE_FAULT
        beq     t0, t2, 1f
        li      t1, CAUSE_STORE_ACCESS
1:      csrw    vscause, t1
        csrr    t0, stval               # the guest-virtual address (hstatus.GVA = 1)
        csrw    vstval, t0
        ld      t0, VCPU_SEPC(a0)
        csrw    vsepc, t0
        csrr    t1, vsstatus
        andi    t2, t1, SSTATUS_SIE
        slli    t2, t2, 4               # SIE (bit 1) -> SPIE (bit 5)
        li      t3, ~(SSTATUS_SPP | SSTATUS_SPIE | SSTATUS_SIE)
        and     t1, t1, t3
        or      t1, t1, t2
        ld      t3, VCPU_SSTATUS(a0)
        andi    t3, t3, SSTATUS_SPP
        or      t1, t1, t3
        csrw    vsstatus, t1
        csrr    t0, vstvec
        andi    t0, t0, -4
        sd      t0, VCPU_SEPC(a0)
        ld      t0, VCPU_SSTATUS(a0)
        ori     t0, t0, SSTATUS_SPP     # into VS-mode, whatever the guest was in
        sd      t0, VCPU_SSTATUS(a0)
        la      t0, reflected_faults
        ld      t1, 0(t0)
        addi    t1, t1, 1
        sd      t1, 0(t0)
        ret

        .section .bss
        .balign 8
        .globl  guest_page_faults, hypercall_faults, image_pages, zeroed_pages, uart_stores, reflected_faults
guest_page_faults:  .space 4 * 8        # by scause - 20: fetch, load, (22: unused), store
hypercall_faults:   .dword 0            # of those, taken by HLV/HSV in an SBI call
image_pages:        .dword 0            # pages mapped on demand: from the image
zeroed_pages:       .dword 0            #   fresh zeroed frames
uart_stores:        .dword 0
reflected_faults:   .dword 0
