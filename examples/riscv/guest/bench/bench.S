# The benchmark guest: a memory-heavy loop under Sv39 paging, long enough to
# time, whose result does not depend on whether addresses are translated. It
# runs in S-mode from boot to shutdown (no trap handler work, no user mode).
#
# 1. Clears .bss (page-table pool, stack, buffer) with paging off.
# 2. Maps RAM_BASE .. _end to itself with 4 KiB pages (no superpages, so the
#    512 KiB buffer alone takes 128 TLB entries: twice the Skylake L1 DTLB's
#    64) and the console page, loads satp (Sv39) and executes SFENCE.VMA.
#    Every virtual address equals its physical address: on a board with no
#    MMU the program computes the same result.
# 3. Runs `passes` passes over the buffer's 65 536 dwords:
#    a. scatter: visits every dword once, STRIDE dwords (4 KiB + 8 bytes)
#       apart, so each visit is on another page than the one before:
#       v = buf[i]; h = rotl(h, 5) ^ v; buf[i] = v + h
#    b. prefix xor, in address order: buf[i] ^= buf[i - 1] (the new value)
# 4. Checksums the buffer in address order, c = rotl(c, 1) + buf[i], prints
#    "bench: checksum 0x..." and shuts down with status 0. Any trap prints its
#    scause, sepc and stval and shuts down with status 1.
#
# The TypeScript model of 3 and 4 is benchmarkChecksum in ../../bench-guest.ts.
        .include "defs.inc"

        .equ    BUFFER_BYTES, 512 * 1024
        .equ    DWORDS, BUFFER_BYTES / 8
        .equ    STRIDE, 513                 # dwords: one page and one dword; odd, so every dword is visited
        .equ    HASH_SEED, 0x9e3779b97f4a7c15
        .equ    POOL_TABLES, 4              # tables below the root: RAM and the console need two each

        .section .text.entry, "ax"
        .option norelax                     # keep `passes` at offset 8
        .globl  _start
_start:
        j       boot
        .balign 8
# The number of passes: a boot parameter at offset 8 of the image, which the
# loader may patch (bench-guest.ts, PASSES_OFFSET) before the hart starts.
        .globl  passes
passes: .dword  1
        .option relax

boot:
        la      sp, stack_top
        la      t0, trap_vector
        csrw    stvec, t0

        # 1. Clear .bss: RAM starts zeroed on this board, but say so in code.
        la      t0, _bss_start
        la      t1, _bss_end
1:      sd      zero, 0(t0)
        addi    t0, t0, 8
        bltu    t0, t1, 1b

        # 2. The identity map: the image and .bss (code, data, tables, stack,
        # buffer), read/write/execute, A and D preset; the console, read/write.
        li      s0, RAM_BASE
        la      s1, _end
2:      mv      a0, s0
        li      a1, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D
        call    map_page
        li      t0, PAGE_SIZE
        add     s0, s0, t0
        bltu    s0, s1, 2b
        li      a0, CONSOLE
        li      a1, PTE_R | PTE_W | PTE_A | PTE_D
        call    map_page
        la      t0, root_table
        srli    t0, t0, 12
        li      t1, SATP_MODE_SV39
        or      t0, t0, t1
        csrw    satp, t0
        sfence.vma zero, zero

        # 3. The passes. s0 = buffer, s1 = its end, s2 = index mask, s3 = index,
        # s4 = h, s5 = passes left.
        la      s0, buffer
        li      t0, BUFFER_BYTES
        add     s1, s0, t0
        li      s2, DWORDS - 1
        li      s3, 0
        li      s4, HASH_SEED
        la      t0, passes
        ld      s5, 0(t0)
        beqz    s5, checksum
pass:
        li      t6, DWORDS                  # a. scatter
3:      addi    s3, s3, STRIDE
        and     s3, s3, s2
        slli    t0, s3, 3
        add     t0, s0, t0
        ld      t1, 0(t0)
        slli    t2, s4, 5
        srli    t3, s4, 59
        or      s4, t2, t3
        xor     s4, s4, t1
        add     t1, t1, s4
        sd      t1, 0(t0)
        addi    t6, t6, -1
        bnez    t6, 3b
        mv      t0, s0                      # b. prefix xor
        li      t2, 0
4:      ld      t1, 0(t0)
        xor     t2, t2, t1
        sd      t2, 0(t0)
        addi    t0, t0, 8
        bltu    t0, s1, 4b
        addi    s5, s5, -1
        bnez    s5, pass

        # 4. The checksum, printed; then shut down.
checksum:
        mv      t0, s0
        li      s6, 0
5:      ld      t1, 0(t0)
        slli    t2, s6, 1
        srli    t3, s6, 63
        or      s6, t2, t3
        add     s6, s6, t1
        addi    t0, t0, 8
        bltu    t0, s1, 5b
        la      a0, msg_checksum
        call    puts
        mv      a0, s6
        call    print_hex
        li      a0, '\n'
        call    putc
        li      a0, 0
        call    sbi_shutdown

# map_page(a0 = address, a1 = PTE flags): maps the 4 KiB page at a0 to
# itself (V added), taking each missing table from the pool. Uses t0-t6 only.
map_page:
        la      t0, root_table
        li      t1, 30                      # shift of this level's VPN: 30, 21, then 12
1:      srl     t2, a0, t1
        andi    t2, t2, 511
        slli    t2, t2, 3
        add     t2, t0, t2                  # the entry for a0 in this table
        li      t3, 12
        beq     t1, t3, 3f
        ld      t3, 0(t2)
        bnez    t3, 2f
        la      t4, pool_next               # a missing table: the next one in the pool
        ld      t3, 0(t4)
        la      t5, pool_end
        bgeu    t3, t5, pool_exhausted
        li      t5, PAGE_SIZE
        add     t5, t3, t5
        sd      t5, 0(t4)
        srli    t3, t3, 12
        slli    t3, t3, 10
        ori     t3, t3, PTE_V               # V alone: a pointer to the next level
        sd      t3, 0(t2)
2:      srli    t3, t3, 10
        slli    t0, t3, 12                  # the next table
        addi    t1, t1, -9
        j       1b
3:      srli    t3, a0, 12
        slli    t3, t3, 10
        or      t3, t3, a1
        ori     t3, t3, PTE_V
        sd      t3, 0(t2)
        ret

pool_exhausted:
        la      a0, msg_pool
        call    puts
        li      a0, 1
        call    sbi_shutdown

# Any trap is a bug here: print it, shut down with status 1.
        .balign 4
trap_vector:
        la      sp, stack_top
        la      a0, msg_trap
        call    print_trap
        li      a0, 1
        call    sbi_shutdown

        .section .rodata
msg_checksum:   .asciz "bench: checksum "
msg_trap:       .asciz "bench: trap:"
msg_pool:       .asciz "bench: out of page-table pool\n"

        .section .data
        .balign 8
pool_next:      .dword  pool

        .section .bss
        .balign 4096
root_table:     .space  PAGE_SIZE
pool:           .space  POOL_TABLES * PAGE_SIZE
pool_end:
stack:          .space  PAGE_SIZE
stack_top:
buffer:         .space  BUFFER_BYTES
