# The user program. It runs in U-mode at USER_TEXT with every register zero and
# no stack, and talks to the kernel only through ecall. It touches heap pages
# that are not mapped yet (demand paging) and stores into a read-only page
# shared by two views (copy-on-write), checks what it reads back, and exits with
# the number of failed checks (s11) as its status.
        .include "defs.inc"

        .section .user.text, "ax"
        .globl  user_main
user_main:
        la      a0, msg_hello
        jal     print

        # ---- demand paging: the heap has no pages until they are touched.
        li      s0, HEAP_START
        ld      t0, 0(s0)               # load page fault; the kernel maps a zeroed page
        beqz    t0, 1f
        addi    s11, s11, 1
1:      li      t1, 0x1234abcd
        sd      t1, 0(s0)               # now mapped and writable: no fault
        ld      t0, 0(s0)
        beq     t0, t1, 1f
        addi    s11, s11, 1
1:      li      s1, 1                   # heap pages 1..3: a store touches each first
2:      slli    t2, s1, 12
        add     t2, s0, t2
        sd      s1, 8(t2)               # store page fault
        ld      t0, 8(t2)
        beq     t0, s1, 3f
        addi    s11, s11, 1
3:      ld      t0, 0(t2)               # the rest of the page is zero
        beqz    t0, 4f
        addi    s11, s11, 1
4:      addi    s1, s1, 1
        li      t3, 4
        bltu    s1, t3, 2b
        la      a0, msg_demand
        jal     print

        # ---- copy-on-write: views A and B map one read-only page holding "original".
        li      s0, USER_COW_A
        li      s1, USER_COW_B
        la      t0, word_original
        ld      s2, 0(t0)
        la      t0, word_copied
        ld      s3, 0(t0)
        la      t0, word_changed
        ld      s4, 0(t0)
        sd      s3, 0(s0)               # store page fault: A gets its own copy
        la      a0, msg_view_a
        jal     print
        mv      a0, s0
        jal     print
        la      a0, msg_view_b
        jal     print
        mv      a0, s1
        jal     print
        ld      t0, 0(s1)               # B still sees the shared original
        beq     t0, s2, 1f
        addi    s11, s11, 1
1:      sd      s4, 0(s1)               # store page fault: B gets its own copy
        la      a0, msg_view_b
        jal     print
        mv      a0, s1
        jal     print
        ld      t0, 0(s0)               # A kept its copy
        beq     t0, s3, 1f
        addi    s11, s11, 1
1:      ld      t0, 0(s1)
        beq     t0, s4, 1f
        addi    s11, s11, 1

1:      la      a0, msg_pass
        beqz    s11, 2f
        la      a0, msg_fail
2:      jal     print
        mv      a0, s11
        li      a7, SYS_EXIT
        ecall

# print(a0 = NUL-terminated string): write(1, a0, strlen(a0)). A leaf: no stack.
print:
        mv      t0, a0
1:      lbu     t1, 0(t0)
        beqz    t1, 2f
        addi    t0, t0, 1
        j       1b
2:      sub     a2, t0, a0
        mv      a1, a0
        li      a0, 1
        li      a7, SYS_WRITE
        ecall
        ret

        .section .user.rodata, "a"
        .balign 8
word_original: .ascii "original"     # 8 bytes: one doubleword
word_copied:   .ascii "copied!!"
word_changed:  .ascii "changed!"
msg_hello:     .asciz "hello from user mode\n"
msg_demand:    .asciz "demand paging: 4 heap pages, zero-filled on first touch\n"
msg_view_a:    .asciz "view A: "
msg_view_b:    .asciz "view B: "
msg_pass:      .asciz "user: all checks passed\n"
msg_fail:      .asciz "user: some checks FAILED\n"

        # The page behind both copy-on-write views.
        .section .user.cow, "a"
        .balign 8
        .asciz  "original\n"
