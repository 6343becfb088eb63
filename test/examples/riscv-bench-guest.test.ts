import { describe, expect, it } from 'vitest';
import { BUFFER_DWORDS, PASSES_OFFSET, benchmarkChecksum, checksumOf, loadBenchGuest, passesOf } from '../../examples/riscv/bench-guest.js';
import { FlatMachine } from '../../examples/riscv/flat-machine.js';
import { Machine } from '../../examples/riscv/machine.js';

const PASSES = 1;

describe('RISC-V benchmark guest: the same program on flat memory and on mmukit in both modes', () => {
  const flat = new FlatMachine(loadBenchGuest(PASSES)).run(10_000_000);
  const fast = new Machine(loadBenchGuest(PASSES), 'fast').run(10_000_000);
  const accurate = new Machine(loadBenchGuest(PASSES), 'accurate').run(10_000_000);
  const expected = benchmarkChecksum(PASSES);

  it('prints the checksum the TypeScript model computes, on each of the three, and exits with status 0', () => {
    for (const run of [flat, fast, accurate]) {
      expect(run.console).toBe(`bench: checksum 0x${expected.toString(16)}\n`);
      expect(checksumOf(run.console)).toBe(expected);
      expect(run.exitCode).toBe(0);
    }
  });

  it('retires the same instructions and takes no trap on any of them', () => {
    expect(fast.instructions).toBe(flat.instructions);
    expect(accurate.instructions).toBe(flat.instructions);
    // A pass is two sweeps over the buffer, 13 + 5 instructions per dword: far more than setup and checksum.
    expect(flat.instructions).toBeGreaterThan(PASSES * BUFFER_DWORDS * 18);
    for (const run of [flat, fast, accurate]) {
      expect(run.traps.size).toBe(0);
      expect(run.satpWrites).toBe(1);
      expect(run.satp >> 60n).toBe(8n); // Sv39 requested; flat memory accepts it and translates nothing
    }
  });

  it('on mmukit, translates through 4 KiB pages: every page walked once, the scatter missing the L1 DTLB', () => {
    // 128 buffer pages, then code, stack and console: each walked once and kept by the 1536-entry L2.
    expect(accurate.mmu.walks).toBeGreaterThanOrEqual(128);
    expect(accurate.mmu.walks).toBeLessThan(140);
    expect(fast.mmu.walks).toBe(accurate.mmu.walks);
    // Each scatter load lands on another page than the one before, among 128 > the 64 of the L1 DTLB.
    expect(accurate.mmu.tlb.l1d.misses).toBeGreaterThanOrEqual(PASSES * BUFFER_DWORDS);
    expect(accurate.mmu.tlb.l2!.hits).toBeGreaterThanOrEqual(PASSES * BUFFER_DWORDS - 200);
    // Fast mode serves them from its 256-slot translation cache instead, and counts fewer cycles.
    expect(fast.mmu.tlb.l1d.misses).toBeLessThan(1000);
    expect(fast.mmu.cycles).toBeLessThan(accurate.mmu.cycles);
  });
});

describe('RISC-V benchmark guest: image and model', () => {
  it('reads its pass count from the dword at offset 8, which the loader patches', () => {
    expect(passesOf(loadBenchGuest())).toBe(1);
    expect(passesOf(loadBenchGuest(5))).toBe(5);
    const patched = loadBenchGuest(3);
    expect(new DataView(patched.buffer).getBigUint64(PASSES_OFFSET, true)).toBe(3n);
    // Nothing else changes.
    expect(patched.subarray(0, PASSES_OFFSET)).toEqual(loadBenchGuest().subarray(0, PASSES_OFFSET));
    expect(patched.subarray(PASSES_OFFSET + 8)).toEqual(loadBenchGuest().subarray(PASSES_OFFSET + 8));
  });

  it('the model: a zero buffer sums to 0, and each pass changes the result', () => {
    expect(benchmarkChecksum(0)).toBe(0n);
    const results = new Set([0, 1, 2, 3].map(benchmarkChecksum));
    expect(results.size).toBe(4);
  });

  it('with no pass, the guest prints the checksum of a zeroed buffer on every memory system', () => {
    const zero = loadBenchGuest(0);
    for (const run of [new FlatMachine(zero).run(2_000_000), new Machine(zero, 'fast').run(2_000_000)]) {
      expect(run.console).toBe('bench: checksum 0x0\n');
    }
  });
});
