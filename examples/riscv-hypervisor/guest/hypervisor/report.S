# hv_report(a0 = the guest's exit status): what the hypervisor did for its guest.
        .include "hv.inc"

        .section .text
        .globl  hv_report
hv_report:
        addi    sp, sp, -16
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        mv      s0, a0
        la      a0, msg_exit
        call    puts
        mv      a0, s0
        call    print_dec
        # guest-page faults: N (fetch f, load l, store s), k of them taken by HLV/HSV
        la      s0, guest_page_faults
        la      a0, msg_faults
        call    puts
        ld      a0, 0(s0)
        ld      t0, 8(s0)
        add     a0, a0, t0
        ld      t0, 24(s0)
        add     a0, a0, t0
        call    print_dec
        la      a0, msg_fetch
        call    puts
        ld      a0, 0(s0)
        call    print_dec
        la      a0, msg_load
        call    puts
        ld      a0, 8(s0)
        call    print_dec
        la      a0, msg_store
        call    puts
        ld      a0, 24(s0)
        call    print_dec
        la      a0, msg_in_calls
        call    puts
        la      t0, hypercall_faults
        ld      a0, 0(t0)
        call    print_dec
        la      a0, msg_in_calls_end
        call    puts
        # what resolved them
        la      t0, image_pages
        ld      a0, 0(t0)
        la      t0, zeroed_pages
        ld      t0, 0(t0)
        add     a0, a0, t0
        call    print_dec
        la      a0, msg_mapped
        call    puts
        la      t0, image_pages
        ld      a0, 0(t0)
        call    print_dec
        la      a0, msg_image
        call    puts
        la      t0, zeroed_pages
        ld      a0, 0(t0)
        call    print_dec
        la      a0, msg_zeroed
        call    puts
        la      t0, uart_stores
        ld      a0, 0(t0)
        call    print_dec
        la      a0, msg_uart
        call    puts
        la      t0, reflected_faults
        ld      a0, 0(t0)
        call    print_dec
        la      a0, msg_reflected
        call    puts
        la      t0, hypercalls
        ld      a0, 0(t0)
        call    print_dec
        li      a0, '\n'
        call    putc
        ld      ra, 0(sp)
        ld      s0, 8(sp)
        addi    sp, sp, 16
        ret

        .section .rodata
msg_exit:          .asciz "hv: the guest shut down with status "
msg_faults:        .asciz "\nhv: guest-page faults handled: "
msg_fetch:         .asciz " (fetch "
msg_load:          .asciz ", load "
msg_store:         .asciz ", store "
msg_in_calls:      .asciz "), "
msg_in_calls_end:  .asciz " of them taken by HLV/HSV in SBI calls\nhv: "
msg_mapped:        .asciz " pages mapped on demand ("
msg_image:         .asciz " from the image, "
msg_zeroed:        .asciz " zeroed), "
msg_uart:          .asciz " UART stores emulated, "
msg_reflected:     .asciz " accesses outside guest RAM reflected\nhv: SBI calls served: "
