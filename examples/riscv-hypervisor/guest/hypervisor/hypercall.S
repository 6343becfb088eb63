# SBI calls from the guest (ecall from VS-mode, scause 10): the hypervisor
# plays the SBI firmware for its guest. System Reset ends the guest, and the
# machine with it; this hypervisor's own extension prints from and writes to
# guest memory with HLV and HSV. Arguments and results are in the vCPU frame.
        .include "hv.inc"
        .include "lib/sbi.inc"                  # the System Reset call's numbers

        .section .text

# hypercall(a0 = vCPU frame): serve the call, write a0/a1, resume after the ecall.
        .globl  hypercall
hypercall:
        addi    sp, sp, -16
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        mv      s0, a0
        la      t0, hypercalls
        ld      t1, 0(t0)
        addi    t1, t1, 1
        sd      t1, 0(t0)
        ld      t0, VCPU_A7(s0)         # extension
        ld      t1, VCPU_A6(s0)         # function
        li      t2, SBI_EXT_SRST
        beq     t0, t2, guest_reset
        li      t2, SBI_EXT_HV
        bne     t0, t2, 1f
        li      t2, HV_PRINT
        beq     t1, t2, 2f
        li      t2, HV_STATS
        beq     t1, t2, 3f
1:      li      a0, SBI_ERR_NOT_SUPPORTED
        li      a1, 0
        j       4f
2:      mv      a0, s0
        call    hv_print
        j       4f
3:      mv      a0, s0
        call    hv_stats
4:      sd      a0, VCPU_A0(s0)
        sd      a1, VCPU_A1(s0)
        ld      t0, VCPU_SEPC(s0)
        addi    t0, t0, 4
        sd      t0, VCPU_SEPC(s0)
        ld      ra, 0(sp)
        ld      s0, 8(sp)
        addi    sp, sp, 16
        ret

# system_reset(a0 = type, a1 = reason): the guest is done, and so is the
# machine. The exit status is decoded as the board's firmware does (sbi.ts):
# 0 for reason 0, n for 0xF0000000 + n, 1 for anything else.
guest_reset:
        ld      t0, VCPU_A1(s0)
        slli    t0, t0, 32
        srli    t0, t0, 32              # reason is 32 bits
        li      s0, 0
        beqz    t0, 1f
        li      s0, 1
        li      t1, SBI_REASON_PLATFORM
        bltu    t0, t1, 1f
        sub     s0, t0, t1
1:      mv      a0, s0
        call    hv_report
        mv      a0, s0
        j       sbi_shutdown            # does not return

# hv_print(a0 = frame) -> a0 = SBI error, a1 = bytes printed. Prints the
# bytes at guest-virtual address a0 up to the first NUL, at most a1 of them,
# read with HLV.BU as the guest would read them.
hv_print:
        addi    sp, sp, -32
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        sd      s1, 16(sp)
        sd      s2, 24(sp)
        ld      s0, VCPU_A0(a0)         # the next byte
        ld      s1, VCPU_A1(a0)         # how many more may be printed
        mv      s2, s0
1:      beqz    s1, 3f
        mv      a0, s0
        call    guest_load_byte
        bnez    a1, 2f
        beqz    a0, 3f
        call    putc
        addi    s0, s0, 1
        addi    s1, s1, -1
        j       1b
2:      mv      a0, a1                  # it faulted: map the page and read again, or give up
        call    resolve_access_fault
        beqz    a0, 1b
        li      a0, SBI_ERR_INVALID_ADDRESS
        j       4f
3:      li      a0, SBI_SUCCESS
4:      sub     a1, s0, s2
        ld      ra, 0(sp)
        ld      s0, 8(sp)
        ld      s1, 16(sp)
        ld      s2, 24(sp)
        addi    sp, sp, 32
        ret

# hv_stats(a0 = frame) -> a0 = SBI error, a1 = 0. Writes the counters the
# guest can see (abi.inc) at guest-virtual address a0 with HSV.D.
hv_stats:
        addi    sp, sp, -32
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        sd      s1, 16(sp)
        ld      s0, VCPU_A0(a0)
        li      s1, 0                   # offset of the dword to write
1:      li      t0, HV_STATS_SIZE
        bgeu    s1, t0, 4f
        li      t0, HV_STATS_MAPPED
        bne     s1, t0, 2f
        la      t0, image_pages         # mapped on demand: from the image and zeroed
        ld      a1, 0(t0)
        la      t0, zeroed_pages
        ld      t0, 0(t0)
        add     a1, a1, t0
        j       3f
2:      la      t0, uart_stores
        ld      a1, 0(t0)
        li      t0, HV_STATS_UART
        beq     s1, t0, 3f
        la      t0, hypercalls
        ld      a1, 0(t0)
3:      add     a0, s0, s1
        call    guest_store_dword
        bnez    a1, 5f
        addi    s1, s1, 8
        j       1b
5:      mv      a0, a1
        call    resolve_access_fault
        beqz    a0, 1b
        li      a0, SBI_ERR_INVALID_ADDRESS
        j       6f
4:      li      a0, SBI_SUCCESS
6:      li      a1, 0
        ld      ra, 0(sp)
        ld      s0, 8(sp)
        ld      s1, 16(sp)
        addi    sp, sp, 32
        ret

        .section .bss
        .balign 8
        .globl  hypercalls
hypercalls: .dword 0
