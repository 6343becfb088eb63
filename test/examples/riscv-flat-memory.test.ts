import { describe, expect, it } from 'vitest';
import { FlatMachine } from '../../examples/riscv/flat-machine.js';
import { FlatMemory } from '../../examples/riscv/flat-memory.js';
import { CONSOLE_BASE, RAM_BASE, RAM_SIZE } from '../../examples/riscv/machine.js';
import { Cause, Trap } from '../../examples/riscv/trap.js';
import { image, rv } from './rv-encode.js';

describe('RISC-V example: flat memory, the benchmark baseline', () => {
  it('reads and writes RAM at physical addresses, little-endian, every width', () => {
    const memory = new FlatMemory(RAM_BASE, 1 << 16);
    memory.write64(RAM_BASE + 8, 0x1122_3344_5566_7788n);
    expect(memory.read8(RAM_BASE + 8)).toBe(0x88);
    expect(memory.read16(RAM_BASE + 8)).toBe(0x7788);
    expect(memory.read32(RAM_BASE + 12)).toBe(0x1122_3344);
    expect(memory.fetch32(RAM_BASE + 8)).toBe(0x5566_7788);
    memory.write8(RAM_BASE + 9, 0x1ff);
    memory.write16(RAM_BASE + 10, 0xabcd);
    memory.write32(RAM_BASE + 12, -1);
    expect(memory.read64(RAM_BASE + 8)).toBe(0xffff_ffff_abcd_ff88n);
  });

  it('accepts satp, privilege and fence and translates nothing', () => {
    const memory = new FlatMemory(RAM_BASE, 1 << 16);
    memory.setRoot(RAM_BASE, 1);
    memory.setPaging(true);
    memory.sfenceVma(null, null);
    expect(memory.paging).toBe(false);
    memory.write32(RAM_BASE + 4, 7);
    expect(memory.read32(RAM_BASE + 4)).toBe(7);
  });

  it('an address with nothing behind it is an access fault of the access kind; the last byte of RAM is not', () => {
    const memory = new FlatMemory(RAM_BASE, RAM_SIZE);
    const cause = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        expect(error).toBeInstanceOf(Trap);
        return [(error as Trap).scause, (error as Trap).stval];
      }
      return null;
    };
    const end = RAM_BASE + RAM_SIZE;
    expect(cause(() => memory.read8(end - 1))).toBeNull();
    expect(cause(() => memory.read32(end - 2))).toEqual([Cause.LoadAccessFault, BigInt(end - 2)]);
    expect(cause(() => memory.write64(end, 1n))).toEqual([Cause.StoreAccessFault, BigInt(end)]);
    expect(cause(() => memory.fetch32(0))).toEqual([Cause.InstructionAccessFault, 0n]);
  });

  it('runs the interpreter: a store to the console prints, a load from nowhere traps with an access fault', () => {
    const machine = new FlatMachine(
      image([
        rv.lui(1, CONSOLE_BASE >>> 12),
        rv.addi(2, 0, 0x6f),
        rv.sb(2, 1, 0),
        rv.sd(2, 1, 8), // a 64-bit store to the device: two 32-bit halves
        rv.ld(3, 0, 0), // address 0: no RAM, no device
      ]),
    );
    for (let n = 0; n < 5; n++) machine.hart.step();
    expect(machine.console.text()).toBe('o');
    expect(machine.hart.instret).toBe(4);
    expect(machine.hart.csr.scause).toBe(BigInt(Cause.LoadAccessFault));
    expect(machine.hart.csr.stval).toBe(0n);
  });
});
