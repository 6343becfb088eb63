import { describe, expect, it } from 'vitest';
import { Access, Privilege, type Mmu } from '../../src/index.js';
import { Csr, Sstatus } from '../../examples/riscv/csrs.js';
import type { Hart } from '../../examples/riscv/hart.js';
import { CONSOLE_BASE, Machine, RAM_BASE } from '../../examples/riscv/machine.js';
import { Mode } from '../../examples/riscv/mode.js';
import { loadKernel, report } from '../../examples/riscv/run.js';
import { Cause } from '../../examples/riscv/trap.js';
import { image, rv } from './rv-encode.js';

const ROOT = 0x8000_6000; // the kernel's first kalloc frame: the page after its .bss

const EXPECTED_CONSOLE = [
  'kernel: booting in S-mode, paging off',
  `kernel: Sv39 paging on, root table at 0x${ROOT.toString(16)}`,
  'hello from user mode',
  'demand paging: 4 heap pages, zero-filled on first touch',
  'view A: copied!!',
  'view B: original',
  'view B: changed!',
  'user: all checks passed',
  'kernel: user exited with status 0',
  'kernel: page faults handled: 4 demand-zero, 2 copy-on-write',
  '',
].join('\n');

describe('RISC-V example in fast mode: the same guest, the same behaviour', () => {
  const accurate = new Machine(loadKernel()).run();
  const fast = new Machine(loadKernel(), 'fast').run();

  it('prints the same, retires the same instructions and takes the same page faults and traps', () => {
    expect(fast.console).toBe(EXPECTED_CONSOLE);
    expect(fast.exitCode).toBe(0);
    expect(fast.instructions).toBe(accurate.instructions);
    expect(fast.pageFaults).toEqual(accurate.pageFaults);
    expect([...fast.traps.entries()]).toEqual([...accurate.traps.entries()]);
    expect(fast.mmu.faults).toBe(accurate.mmu.faults);
  });

  it('walks no more than accurate mode, and its TLB hit counters see only what reached the model', () => {
    expect(fast.mmu.walks).toBeLessThanOrEqual(accurate.mmu.walks);
    expect(fast.mmu.tlb.l1d.hits + fast.mmu.tlb.l1i.hits).toBeLessThan(accurate.mmu.tlb.l1d.hits + accurate.mmu.tlb.l1i.hits);
    // Cycles: every access still costs at least an L1 hit, so the totals stay close.
    expect(fast.mmu.cycles).toBeLessThanOrEqual(accurate.mmu.cycles);
    expect(fast.mmu.cycles).toBeGreaterThan(accurate.mmu.cycles * 0.5);
  });
});

describe('RISC-V example: the guest kernel on the interpreter', () => {
  const machine = new Machine(loadKernel());
  const result = machine.run();

  it('prints exactly what the guest and its user program print, and exits with status 0', () => {
    expect(result.console).toBe(EXPECTED_CONSOLE);
    expect(result.exitCode).toBe(0);
    expect(machine.hart.halted).toBe(true);
  });

  it('delivers to the guest exactly the page faults the guest reports handling', () => {
    const reported = /page faults handled: (\d+) demand-zero, (\d+) copy-on-write/.exec(result.console);
    expect(reported).not.toBeNull();
    const [demand, cow] = [Number(reported![1]), Number(reported![2])];
    expect(demand + cow).toBe(result.pageFaults.load + result.pageFaults.store + result.pageFaults.fetch);
    // One demand-zero load, three demand-zero stores, two copy-on-write stores.
    expect(result.pageFaults).toEqual({ fetch: 0, load: 1, store: 5 });
    // Every fault the Mmu raised went to the guest: no handler, no retries.
    expect(result.mmu.faults).toBe(6);
    expect(result.mmu.faultRetries).toBe(0);
    // Nothing else trapped: ten system calls (nine writes and exit) and the six page faults.
    expect([...result.traps.entries()].sort((a, b) => a[0] - b[0])).toEqual([
      [Cause.EcallFromU, 10],
      [Cause.LoadPageFault, 1],
      [Cause.StorePageFault, 5],
    ]);
    expect(result.syscalls).toBe(10);
  });

  it('points the Mmu at the guest\'s page tables through satp', () => {
    expect(result.satpWrites).toBe(1);
    expect(result.satp >> 60n).toBe(8n); // MODE = Sv39
    expect((result.satp >> 44n) & 0xffffn).toBe(1n); // ASID 1
    expect(Number(result.satp & 0xfff_ffff_ffffn) * 4096).toBe(ROOT);
    expect(machine.mmu.paging).toBe(true);
    expect(machine.mmu.root).toBe(ROOT);
    expect(machine.mmu.asid).toBe(1);
    // One SFENCE.VMA after satp, one after each resolved fault.
    expect(result.sfences).toBe(7);
  });

  it('leaves the tables the guest built: copy-on-write views on private copies, the shared original intact', () => {
    const mmu = machine.mmu;
    mmu.setPrivilege(Privilege.User);
    const original = RAM_BASE + 0x3000; // the image's .user.cow page
    const viewA = mmu.translate(0x3_0000, Access.Read);
    const viewB = mmu.translate(0x3_1000, Access.Read);
    const text = (pa: number) => new TextDecoder().decode(machine.memory.readBytes(pa, 9));
    expect(new Set([original, viewA, viewB]).size).toBe(3);
    expect(text(original)).toBe('original\n');
    expect(text(viewA)).toBe('copied!!\n');
    expect(text(viewB)).toBe('changed!\n');
    // Both views are writable now; the first heap page holds what the program stored.
    mmu.translate(0x3_0000, Access.Write);
    mmu.translate(0x3_1000, Access.Write);
    expect(machine.memory.read32(mmu.translate(0x40_0000, Access.Read))).toBe(0x1234abcd);
  });

  it('runs through the TLBs: walks only on misses, cycles counted by the Mmu', () => {
    const { tlb, walks, cycles } = result.mmu;
    expect(walks).toBeGreaterThan(0);
    expect(walks).toBeLessThan(100);
    expect(tlb.l1i.hits).toBeGreaterThan(100 * tlb.l1i.misses);
    expect(tlb.l1d.hits).toBeGreaterThan(tlb.l1d.misses);
    // Every L1 miss is an L2 hit or a walk: none is counted while paging is off (the Bare-mode boot).
    expect(tlb.l1i.misses + tlb.l1d.misses).toBeLessThanOrEqual(walks + (tlb.l2?.hits ?? 0));
    expect(cycles).toBeGreaterThan(result.instructions);
    expect(report(result).join('\n')).toContain('page faults taken by the guest 6 (load 1, store 5, fetch 0)');
  });
});

/** A machine running `program` from RAM_BASE in S-mode, Bare. */
function load(program: readonly number[]): Hart<Mmu> {
  return new Machine(image(program)).hart;
}

/** Steps until the pc leaves the program (or `limit` steps). */
function runProgram(program: readonly number[], limit = 100): Hart<Mmu> {
  const hart = load(program);
  const end = BigInt(RAM_BASE + program.length * 4);
  for (let n = 0; n < limit && hart.pc < end && hart.pc >= BigInt(RAM_BASE); n++) hart.step();
  return hart;
}

const ALL_ONES = 0xffff_ffff_ffff_ffffn;
const u64 = (v: bigint) => BigInt.asUintN(64, v);

describe('RISC-V example: instruction semantics', () => {
  it('ADD and SUB wrap at 64 bits; the W forms at 32, sign-extended; x0 stays zero', () => {
    const x = runProgram([
      rv.addi(1, 0, -1),
      rv.addi(2, 0, 1),
      rv.add(3, 1, 2),
      rv.sub(4, 0, 2),
      rv.lui(5, 0x80000),
      rv.addiw(6, 5, -1),
      rv.subw(7, 0, 5),
      rv.addi(0, 0, 5),
    ]).x;
    expect(x[3]).toBe(0n);
    expect(x[4]).toBe(ALL_ONES);
    expect(x[5]).toBe(0xffff_ffff_8000_0000n); // LUI sign-extends bit 31
    expect(x[6]).toBe(0x7fff_ffffn);
    expect(x[7]).toBe(0xffff_ffff_8000_0000n); // 0 - (-2^31) overflows 32 bits back to -2^31
    expect(x[0]).toBe(0n);
  });

  it('shifts: logical and arithmetic, 6-bit amounts, 32-bit W forms', () => {
    const x = runProgram([
      rv.addi(1, 0, -16),
      rv.srai(2, 1, 2),
      rv.srli(3, 1, 60),
      rv.slli(4, 2, 62),
      rv.lui(5, 0x80000),
      rv.srliw(6, 5, 4),
      rv.sraiw(7, 5, 4),
      rv.addi(8, 0, 65),
      rv.addi(10, 0, 1),
      rv.sll(9, 10, 8),
      rv.sra(11, 1, 8),
    ]).x;
    expect(x[2]).toBe(u64(-4n));
    expect(x[3]).toBe(0xfn);
    expect(x[4]).toBe(0n);
    expect(x[6]).toBe(0x0800_0000n);
    expect(x[7]).toBe(0xffff_ffff_f800_0000n);
    expect(x[9]).toBe(2n); // 65 & 63 = 1
    expect(x[11]).toBe(u64(-8n));
  });

  it('loads sign- or zero-extend bytes, halves and words', () => {
    const x = runProgram([
      rv.auipc(1, 0), // x1 = RAM_BASE
      rv.addi(2, 0, -128),
      rv.sb(2, 1, 0x400),
      rv.lb(3, 1, 0x400),
      rv.lbu(4, 1, 0x400),
      rv.lui(5, 0x8),
      rv.sh(5, 1, 0x408),
      rv.lh(6, 1, 0x408),
      rv.lhu(7, 1, 0x408),
      rv.lui(8, 0x80000),
      rv.sw(8, 1, 0x410),
      rv.lw(9, 1, 0x410),
      rv.lwu(10, 1, 0x410),
      rv.sd(8, 1, 0x418),
      rv.ld(11, 1, 0x418),
    ]).x;
    expect(x[3]).toBe(u64(-128n));
    expect(x[4]).toBe(0x80n);
    expect(x[6]).toBe(u64(-0x8000n));
    expect(x[7]).toBe(0x8000n);
    expect(x[9]).toBe(0xffff_ffff_8000_0000n);
    expect(x[10]).toBe(0x8000_0000n);
    expect(x[11]).toBe(0xffff_ffff_8000_0000n);
  });

  it('branches compare signed or unsigned', () => {
    const x = runProgram([
      rv.addi(1, 0, -1),
      rv.addi(2, 0, 1),
      rv.blt(1, 2, 8), // -1 < 1: taken
      rv.addi(3, 0, 1),
      rv.bltu(1, 2, 8), // 2^64-1 < 1: not taken
      rv.addi(4, 0, 1),
      rv.bge(1, 2, 8), // not taken
      rv.addi(5, 0, 1),
      rv.bgeu(1, 2, 8), // taken
      rv.addi(6, 0, 1),
      rv.slt(7, 1, 2),
      rv.sltu(8, 1, 2),
    ]).x;
    expect([x[3], x[4], x[5], x[6], x[7], x[8]]).toEqual([0n, 1n, 1n, 0n, 1n, 0n]);
  });

  it('M: high products, and division by zero and overflow without traps', () => {
    const x = runProgram([
      rv.addi(1, 0, -1),
      rv.addi(2, 0, 7),
      rv.mulh(3, 1, 1), // (-1)(-1) = 1: high half 0
      rv.mulhu(4, 1, 1), // (2^64-1)^2: high half 2^64-2
      rv.div(5, 2, 0), // by zero: all ones
      rv.rem(6, 2, 0), // by zero: the dividend
      rv.divu(7, 2, 0),
      rv.addi(8, 0, 1),
      rv.slli(8, 8, 63), // -2^63
      rv.div(9, 8, 1), // -2^63 / -1 overflows: -2^63
      rv.rem(10, 8, 1), // and remainder 0
      rv.addi(11, 0, -7),
      rv.addi(16, 0, 2),
      rv.div(12, 11, 16), // -7 / 2 = -3: truncated toward zero
      rv.rem(13, 11, 16), // -1: the remainder takes the dividend's sign
      rv.divw(14, 5, 0),
      rv.mul(15, 2, 11),
    ]).x;
    expect(x[3]).toBe(0n);
    expect(x[4]).toBe(ALL_ONES - 1n);
    expect(x[5]).toBe(ALL_ONES);
    expect(x[6]).toBe(7n);
    expect(x[7]).toBe(ALL_ONES);
    expect(x[9]).toBe(1n << 63n);
    expect(x[10]).toBe(0n);
    expect(x[12]).toBe(u64(-3n));
    expect(x[13]).toBe(u64(-1n));
    expect(x[14]).toBe(ALL_ONES);
    expect(x[15]).toBe(u64(-49n));
  });

  it('JAL and JALR link; a misaligned target traps to stvec with the target in stval', () => {
    const hart = load([
      rv.jal(1, 8), // to +8, x1 = +4
      rv.nop(),
      rv.jalr(5, 1, 2), // to +6: misaligned
    ]);
    hart.step();
    expect(hart.x[1]).toBe(BigInt(RAM_BASE + 4));
    expect(hart.pc).toBe(BigInt(RAM_BASE + 8));
    hart.step();
    expect(hart.csr.scause).toBe(BigInt(Cause.InstructionMisaligned));
    expect(hart.csr.stval).toBe(BigInt(RAM_BASE + 6));
    expect(hart.csr.sepc).toBe(BigInt(RAM_BASE + 8));
    expect(hart.x[5]).toBe(0n); // the trapping JALR wrote nothing
    expect(hart.pc).toBe(0n); // stvec at reset
  });
});

describe('RISC-V example: privilege, CSRs and the Mmu', () => {
  it('SRET drops to U-mode (and the Mmu to user accesses); ECALL from U traps back to S', () => {
    const hart = load([
      rv.auipc(1, 0),
      rv.addi(2, 1, 0x20),
      rv.csrrw(0, Csr.sepc, 2),
      rv.addi(3, 1, 0x40),
      rv.csrrw(0, Csr.stvec, 3),
      rv.sret(),
      rv.nop(),
      rv.nop(),
      rv.ecall(), // at +0x20, in U-mode
    ]);
    for (let n = 0; n < 6; n++) hart.step();
    expect(hart.mode).toBe(Mode.User);
    expect(hart.mmu.privilege).toBe(Privilege.User);
    expect(hart.pc).toBe(BigInt(RAM_BASE + 0x20));
    hart.step();
    expect(hart.mode).toBe(Mode.Supervisor);
    expect(hart.mmu.privilege).toBe(Privilege.Supervisor);
    expect(hart.csr.scause).toBe(BigInt(Cause.EcallFromU));
    expect(hart.csr.sepc).toBe(BigInt(RAM_BASE + 0x20));
    expect(hart.csr.sstatus & Sstatus.SPP).toBe(0n); // came from U
    expect(hart.pc).toBe(BigInt(RAM_BASE + 0x40));
    expect(hart.trapCount(Cause.EcallFromU)).toBe(1);
  });

  it('a CSR access from U-mode and an unknown opcode are illegal instructions', () => {
    const hart = load([rv.auipc(1, 0), rv.addi(2, 1, 0x10), rv.csrrw(0, Csr.sepc, 2), rv.sret(), rv.csrrs(5, Csr.sstatus, 0)]);
    for (let n = 0; n < 5; n++) hart.step();
    expect(hart.csr.scause).toBe(BigInt(Cause.IllegalInstruction));
    expect(hart.csr.stval).toBe(BigInt(rv.csrrs(5, Csr.sstatus, 0)));
    expect(hart.x[5]).toBe(0n);
    const zero = load([0]);
    zero.step();
    expect(zero.csr.scause).toBe(BigInt(Cause.IllegalInstruction));
  });

  it('satp writes set the Mmu root, ASID and paging; an unsupported MODE is ignored', () => {
    const hart = load([
      rv.addi(1, 0, 8),
      rv.slli(1, 1, 60), // MODE Sv39
      rv.addi(2, 0, 5),
      rv.slli(2, 2, 44), // ASID 5
      rv.or(1, 1, 2),
      rv.lui(3, 0x80),
      rv.or(1, 1, 3), // PPN 0x80000: root 0x8000_0000
      rv.addi(4, 0, 9),
      rv.slli(4, 4, 60), // MODE Sv48: not supported
      rv.csrrw(0, Csr.satp, 4),
      rv.csrrw(0, Csr.satp, 1),
    ]);
    for (let n = 0; n < 10; n++) hart.step();
    expect(hart.csr.satp).toBe(0n);
    expect(hart.mmu.paging).toBe(false);
    hart.step();
    expect(hart.csr.satp).toBe((8n << 60n) | (5n << 44n) | 0x80000n);
    expect(hart.mmu.paging).toBe(true);
    expect(hart.mmu.root).toBe(0x8000_0000);
    expect(hart.mmu.asid).toBe(5);
    expect(hart.csr.satpWrites).toBe(1);
  });

  it('sstatus.SUM and MXR set the Mmu controls; sstatus reads UXL = 64-bit', () => {
    const hart = load([rv.addi(1, 0, 3), rv.slli(1, 1, 18), rv.csrrs(5, Csr.sstatus, 1), rv.csrrc(6, Csr.sstatus, 1)]);
    for (let n = 0; n < 3; n++) hart.step();
    expect(hart.mmu.controls.sum).toBe(true);
    expect(hart.mmu.controls.mxr).toBe(true);
    expect((hart.x[5] >> 32n) & 3n).toBe(2n);
    hart.step();
    expect(hart.mmu.controls.sum).toBe(false);
    expect(hart.mmu.controls.mxr).toBe(false);
    expect(hart.x[6] & (Sstatus.SUM | Sstatus.MXR)).toBe(Sstatus.SUM | Sstatus.MXR);
  });

  /** Sv39 on, with root[2] a 1 GiB identity page over RAM (supervisor RWX), root[0..1] empty. */
  function paged(tail: number[]): Hart<Mmu> {
    const root = RAM_BASE + 0x10_0000;
    const hart = load([
      rv.addi(1, 0, 1),
      rv.slli(1, 1, 19),
      rv.addi(1, 1, 0x100), // PPN 0x80100
      rv.addi(2, 0, 8),
      rv.slli(2, 2, 60), // MODE Sv39
      rv.or(1, 1, 2),
      rv.csrrw(0, Csr.satp, 1),
      ...tail,
    ]);
    // The gigapage PTE: PPN 0x80000, V R W X A D.
    hart.mmu.memory.write64(root + 2 * 8, (0x80000n << 10n) | 0xcfn);
    for (let n = 0; n < 7; n++) hart.step();
    expect(hart.mmu.paging).toBe(true);
    expect(hart.mmu.root).toBe(root);
    return hart;
  }

  it('an Mmu page fault traps with its scause and the full, sign-extended stval', () => {
    const hart = paged([rv.addi(3, 0, -1), rv.slli(3, 3, 38), rv.sd(0, 3, 8)]);
    const faultsBefore = hart.mmu.stats().faults;
    for (let n = 0; n < 3; n++) hart.step();
    expect(hart.mmu.stats().faults).toBe(faultsBefore + 1);
    expect(hart.csr.scause).toBe(BigInt(Cause.StorePageFault));
    expect(hart.csr.stval).toBe(0xffff_ffc0_0000_0008n);
    expect(hart.csr.sepc).toBe(BigInt(RAM_BASE + 9 * 4));
  });

  it('a non-canonical Sv39 address is a page fault raised by the hart, not the Mmu', () => {
    const hart = paged([rv.addi(3, 0, 1), rv.slli(3, 3, 38), rv.ld(4, 3, 0)]);
    const faultsBefore = hart.mmu.stats().faults;
    for (let n = 0; n < 3; n++) hart.step();
    expect(hart.csr.scause).toBe(BigInt(Cause.LoadPageFault));
    expect(hart.csr.stval).toBe(1n << 38n);
    expect(hart.mmu.stats().faults).toBe(faultsBefore);
  });

  it('in Bare mode, an address from 2^53 up is an access fault raised by the hart, not the Mmu', () => {
    const hart = load([rv.addi(3, 0, 1), rv.slli(3, 3, 53), rv.ld(4, 3, 0)]);
    const faultsBefore = hart.mmu.stats().faults;
    for (let n = 0; n < 3; n++) hart.step();
    expect(hart.csr.scause).toBe(BigInt(Cause.LoadAccessFault));
    expect(hart.csr.stval).toBe(1n << 53n);
    expect(hart.mmu.stats().faults).toBe(faultsBefore);
  });

  it('SFENCE.VMA drops the translation it names, so the next access walks again', () => {
    const walksAfter = (fence: number) => {
      const hart = paged([rv.auipc(3, 0), rv.ld(4, 3, 0), fence, rv.ld(5, 3, 0)]);
      hart.step();
      hart.step(); // the gigapage is now in the TLBs
      const before = hart.mmu.stats().walks;
      hart.step();
      hart.step();
      return { walks: hart.mmu.stats().walks - before, sfences: hart.sfences };
    };
    expect(walksAfter(rv.nop())).toEqual({ walks: 0, sfences: 0 });
    expect(walksAfter(rv.sfenceVma(3, 0))).toEqual({ walks: 1, sfences: 1 });
  });

  it('the MMIO console collects bytes stored to it', () => {
    const machine = new Machine(
      image([rv.lui(1, CONSOLE_BASE >>> 12), rv.addi(2, 0, 0x68), rv.sb(2, 1, 0), rv.addi(2, 0, 0x69), rv.sb(2, 1, 0)]),
    );
    for (let n = 0; n < 5; n++) machine.hart.step();
    expect(machine.console.text()).toBe('hi');
  });

  it('the firmware shutdown call stops the machine with the exit code in the platform reason', () => {
    const machine = new Machine(
      image([
        rv.lui(17, 0x53525),
        rv.addi(17, 17, 0x354), // a7 = "SRST"
        rv.addi(16, 0, 0), // a6 = system_reset
        rv.addi(10, 0, 0), // a0 = shutdown
        rv.lui(11, 0xf0000),
        rv.addi(11, 11, 3), // a1 = 0xF000_0003
        rv.ecall(),
      ]),
    );
    const result = machine.run(100);
    expect(result.exitCode).toBe(3);
    expect(result.instructions).toBe(7);
  });
});
