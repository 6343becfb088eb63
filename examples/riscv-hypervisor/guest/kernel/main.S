# kmain: paging on, then the checks that show what the hypervisor does, then
# shut down with the number of failed checks as the status.
        .include "kernel.inc"
        .include "lib/sv39.inc"

        .section .text
        .globl  kmain
kmain:
        la      a0, msg_boot
        call    puts

        call    vm_init                 # a0 = guest-physical address of the root table
        mv      s0, a0
        SATP_SV39 s0, KERNEL_ASID       # with V=1, satp is vsatp
        la      a0, msg_paging
        call    puts
        mv      a0, s0
        call    print_hex
        li      a0, '\n'
        call    putc
        li      s11, 0                  # failed checks

        # 1. A UART that is not there: each byte stored to it traps to the hypervisor.
        la      a0, msg_uart
        call    uart_puts

        # 2. Demand paging, by this kernel: the first heap page is read before
        #    it is written (a load page fault), three more are written (store
        #    page faults); each gets a zeroed frame.
        li      s1, HEAP_START
        ld      t0, 0(s1)
        beqz    t0, 1f
        addi    s11, s11, 1
1:      li      t0, 0x1234abcd
        sw      t0, 0(s1)
        li      t1, PAGE_SIZE
        li      t2, 3
2:      add     s1, s1, t1
        sd      s1, 0(s1)
        addi    t2, t2, -1
        bnez    t2, 2b
        li      s1, HEAP_START
        lw      t0, 0(s1)
        li      t1, 0x1234abcd
        beq     t0, t1, 3f
        addi    s11, s11, 1
3:      la      a0, msg_demand
        call    puts
        la      t0, demand_faults
        ld      a0, 0(t0)
        call    print_dec
        la      a0, msg_demand_end
        call    puts

        # 3. RAM never touched reads zero: the hypervisor maps a zeroed frame,
        #    not one with someone else's data. The next frame kalloc would give
        #    out has never been touched.
        la      t0, next_free
        ld      s2, 0(t0)
        ld      s3, 0(s2)
        beqz    s3, 4f
        addi    s11, s11, 1
4:      la      a0, msg_fresh
        call    puts
        mv      a0, s2
        call    print_hex
        la      a0, msg_reads
        call    puts
        mv      a0, s3
        call    print_hex
        li      a0, '\n'
        call    putc

        # 4. Memory that is not there: the hypervisor reflects the access as a
        #    load access fault, and trap.S skips the load.
        la      t0, probe_armed
        li      t1, 1
        sd      t1, 0(t0)
        li      t0, PROBE_GPA
        li      s4, -1
        ld      s4, 0(t0)               # faults; s4 keeps -1
        la      t0, probe_cause
        ld      s5, 0(t0)
        li      t0, CAUSE_LOAD_ACCESS_FAULT
        beq     s5, t0, 5f
        addi    s11, s11, 1
5:      li      t0, -1
        beq     s4, t0, 6f
        addi    s11, s11, 1
6:      la      a0, msg_probe
        call    puts
        li      a0, PROBE_GPA
        call    print_hex
        la      a0, msg_probe_cause
        call    puts
        mv      a0, s5
        call    print_dec
        la      a0, msg_probe_end
        call    puts

        # 5. What the hypervisor says it did, written into this kernel's memory with HSV.
        la      a0, hv_stats
        call    sbi_hv_stats
        beqz    a0, 7f
        addi    s11, s11, 1
7:      la      s6, hv_stats
        la      a0, msg_stats
        call    puts
        ld      a0, HV_STATS_MAPPED(s6)
        call    print_dec
        la      a0, msg_stats_uart
        call    puts
        ld      a0, HV_STATS_UART(s6)
        call    print_dec
        la      a0, msg_stats_calls
        call    puts
        ld      a0, HV_STATS_CALLS(s6)
        call    print_dec
        la      a0, msg_stats_end
        call    puts

        # 6. Report and shut down with the number of failed checks.
        la      a0, msg_handled
        call    puts
        la      t0, demand_faults
        ld      a0, 0(t0)
        call    print_dec
        la      a0, msg_handled_access
        call    puts
        la      t0, access_faults
        ld      a0, 0(t0)
        call    print_dec
        li      a0, '\n'
        call    putc
        la      a0, msg_passed
        beqz    s11, 8f
        la      a0, msg_failed
8:      call    puts
        mv      a0, s11
        call    sbi_shutdown

        .section .bss
        .balign 8
hv_stats: .space HV_STATS_SIZE

        .section .rodata
msg_boot:           .asciz "guest: booting in VS-mode, paging off\n"
msg_paging:         .asciz "guest: Sv39 paging on, root table at GPA "
msg_uart:           .asciz "guest: this line goes to a UART that is not there: the hypervisor emulates each store\n"
msg_demand:         .asciz "guest: demand paging: "
msg_demand_end:     .asciz " heap pages, zero-filled on first touch\n"
msg_fresh:          .asciz "guest: untouched RAM at GPA "
msg_reads:          .asciz " reads "
msg_probe:          .asciz "guest: GPA "
msg_probe_cause:    .asciz " is not RAM: scause "
msg_probe_end:      .asciz " (load access fault), reflected by the hypervisor\n"
msg_stats:          .asciz "guest: the hypervisor reports "
msg_stats_uart:     .asciz " pages mapped on demand, "
msg_stats_calls:    .asciz " UART stores emulated, "
msg_stats_end:      .asciz " SBI calls served\n"
msg_handled:        .asciz "guest: faults handled: "
msg_handled_access: .asciz " page faults (demand-zero), access faults: "
msg_passed:         .asciz "guest: all checks passed\n"
msg_failed:         .asciz "guest: some checks FAILED\n"
