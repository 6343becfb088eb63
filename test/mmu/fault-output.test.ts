/**
 * What a newcomer sees when a fault is shown: names, never bare numbers; and a
 * bus error during the walk that says which page-table access failed.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  Access,
  FaultReason,
  FrameAllocator,
  Mmu,
  MmukitError,
  PageFaultError,
  PageTableBuilder,
  PhysicalMemory,
  Privilege,
  SKYLAKE_CYCLES,
  TranslationFault,
  X86_64,
} from '../../src/index.js';

function faultOf(run: () => unknown): PageFaultError {
  try {
    run();
  } catch (e) {
    if (e instanceof PageFaultError) return e;
    throw e;
  }
  throw new Error('expected a PageFaultError');
}

function x86UserProtectionFault(): PageFaultError {
  const memory = new PhysicalMemory({ size: 1 << 20 });
  const tables = new PageTableBuilder(memory, 'x86-64', new FrameAllocator(memory));
  tables.map(0x40_0000, 0x8000, { user: true });
  const mmu = new Mmu({ memory, format: 'x86-64' });
  mmu.setRoot(tables.root, 1);
  mmu.setPrivilege(Privilege.User);
  return faultOf(() => mmu.write32(0x40_0010, 1));
}

describe('a fault shown to a person names its numbers', () => {
  it('toString, toJSON and util.inspect name the reason, access and privilege', () => {
    const error = x86UserProtectionFault();
    const f = error.fault;
    expect(f.toString()).toBe('#PF write user at 0x400010 (Protection, error code 0x7)');
    const json = f.toJSON();
    expect(json).toMatchObject({ reason: 'Protection', access: 'Write', privilege: 'User', vector: 14, vectorName: '#PF', errorCode: 7, address: 0x40_0010, root: f.root });
    expect(FaultReason[json.reason as keyof typeof FaultReason]).toBe(f.reason);
    expect(Access[json.access as keyof typeof Access]).toBe(f.access);
    expect(Privilege[json.privilege as keyof typeof Privilege]).toBe(f.privilege);
    const shown = inspect(f);
    expect(shown).toContain("reason: 'Protection'");
    expect(shown).toContain("access: 'Write'");
    expect(shown).toContain("privilege: 'User'");
    expect(shown).toContain("address: '0x400010'");
    expect(shown).not.toMatch(/reason: \d/);
  });

  it('console.log of a PageFaultError and JSON.stringify of it show the names too', () => {
    const error = x86UserProtectionFault();
    const logged = inspect(error);
    expect(logged).toContain('#PF write user at 0x400010 (Protection, error code 0x7)');
    expect(logged).toContain("reason: 'Protection'");
    expect(logged).not.toMatch(/(reason|access|privilege): \d/);
    const json = JSON.parse(JSON.stringify(error)) as Record<string, any>;
    expect(json).toMatchObject({ name: 'PageFaultError', code: 'PAGE_FAULT', message: error.message });
    expect(json.fault).toMatchObject({ reason: 'Protection', access: 'Write', privilege: 'User' });
  });

  it('the message, built when first read, is the fault summary everywhere an error shows it', () => {
    const error = x86UserProtectionFault();
    const summary = '#PF write user at 0x400010 (Protection, error code 0x7)';
    expect(Object.getOwnPropertyNames(error)).not.toContain('message'); // not formatted by the throw
    expect(error.stack?.split('\n')[0]).toBe(`PageFaultError: ${summary}`);
    expect(error.message).toBe(summary);
    expect(String(error)).toBe(`PageFaultError: ${summary}`);
    error.message = 'replaced';
    expect(error.message).toBe('replaced');
    expect(x86UserProtectionFault().message).toBe(summary); // another error is unaffected
  });

  it('a lazy message survives what people do with errors: showing a prototype, freezing, a record that cannot be described', () => {
    const summary = '#PF write user at 0x400010 (Protection, error code 0x7)';
    expect(inspect(MmukitError.prototype)).toBeTypeOf('string');
    expect(inspect(PageFaultError.prototype)).toBeTypeOf('string');
    expect(PageFaultError.prototype.message).toBe('');
    expect(x86UserProtectionFault().message).toBe(summary); // nothing was kept on a prototype
    const frozen = Object.freeze(x86UserProtectionFault());
    expect(frozen.message).toBe(summary);
    expect(frozen.stack?.split('\n')[0]).toBe(`PageFaultError: ${summary}`);
    const record = x86UserProtectionFault().fault;
    const odd = new PageFaultError(record);
    Object.defineProperty(record, 'errorCode', { get: () => { throw new Error('unreadable'); } });
    expect(odd.message).toBe('PAGE_FAULT');
    expect(String(odd)).toBe('PageFaultError: PAGE_FAULT');
  });

  it('RISC-V names the scause', () => {
    const f = TranslationFault.create('riscv', 0x1000, Access.Read, Privilege.Supervisor, FaultReason.NotPresent, 0, 0, false);
    expect(f.vectorName).toBe('LoadPageFault');
    expect(f.toString()).toBe('scause 13 (LoadPageFault) read supervisor at 0x1000 (NotPresent, stval 0x1000)');
  });

  it('the enum fields are typed: a comparison with a number no reason has does not type-check', () => {
    const f = x86UserProtectionFault().fault;
    // @ts-expect-error: 42 is no FaultReason (TS2367), so the comparison is flagged
    expect(f.reason === 42).toBe(false);
    expect(f.reason === FaultReason.Protection).toBe(true);
  });
});

describe('a root outside RAM: setRoot accepts it, the walk faults and says so', () => {
  it('x86: #MC naming the page-table read, its level, the entry and the root', () => {
    const memory = new PhysicalMemory({ size: 1 << 20 });
    const mmu = new Mmu({ memory, format: 'x86-64' });
    const root = 0x4000_0000;
    expect(() => mmu.setRoot(root, 1)).not.toThrow();
    const va = 0x7f_8000_0000; // PML4 index 255
    const { fault } = faultOf(() => mmu.read32(va));
    const entry = root + X86_64.entryIndex(va, 0) * 8;
    expect(fault).toMatchObject({ reason: FaultReason.BusError, vector: 18, level: 0, pageTableAccess: 'read', physicalAddress: entry, root });
    expect(fault.toString()).toBe(
      `#MC read supervisor at 0x${va.toString(16)} (BusError: page-table read of the level-0 entry at physical 0x${entry.toString(16)}, root 0x${root.toString(16)}, reached no memory, error code 0x0)`,
    );
    // The cycle model is unchanged: one PTE read and a fault entry.
    const stats = mmu.stats();
    expect(stats.pteReads).toBe(1);
    expect(stats.cycles).toBe(SKYLAKE_CYCLES.l2Hit + SKYLAKE_CYCLES.pteRead + SKYLAKE_CYCLES.faultEntry);
  });

  it('RISC-V: an access fault (scause 5, 7, 1) naming the page-table read', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000 });
    const mmu = new Mmu({ memory, format: 'sv39' });
    mmu.setRoot(0x1000_0000, 0);
    const read = faultOf(() => mmu.read32(0x40_0000)).fault;
    expect(read).toMatchObject({ vector: 5, pageTableAccess: 'read', level: 0, physicalAddress: 0x1000_0000 + 8 * 0, root: 0x1000_0000 });
    expect(read.toString()).toContain('BusError: page-table read of the level-0 entry at physical 0x10000000, root 0x10000000, reached no memory');
    expect(faultOf(() => mmu.write32(0x40_0000, 1)).fault).toMatchObject({ vector: 7, pageTableAccess: 'read' });
    expect(faultOf(() => mmu.fetch32(0x40_0000)).fault).toMatchObject({ vector: 1, pageTableAccess: 'read' });
  });

  it('a bus error of the data access itself names its physical address, not a table', () => {
    const memory = new PhysicalMemory({ size: 1 << 20 });
    const tables = new PageTableBuilder(memory, 'x86-64', new FrameAllocator(memory));
    tables.map(0x40_0000, 0x1000_0000, {}); // a page nowhere
    const mmu = new Mmu({ memory, format: 'x86-64' });
    mmu.setRoot(tables.root, 1);
    const { fault } = faultOf(() => mmu.read32(0x40_0008));
    expect(fault).toMatchObject({ reason: FaultReason.BusError, level: -1, pageTableAccess: null, physicalAddress: 0x1000_0008 });
    expect(fault.toString()).toContain('BusError: the access at physical 0x10000008 reached no memory');
  });

  it('an A/D write-back that reaches no memory is a page-table write', () => {
    const memory = new PhysicalMemory({ size: 1 << 20 });
    const frames = new FrameAllocator(memory);
    const rom = new Uint8Array(0x1000);
    const tables = new PageTableBuilder(memory, 'x86-64', frames);
    tables.map(0x40_0000, 0x8000, {});
    // Move the last-level table into a ROM that faults on writes: the walk reads it, and the A-bit write fails.
    const pdeAddress = (() => {
      const pml4e = memory.read64(tables.root + X86_64.entryIndex(0x40_0000, 0) * 8);
      const pdpt = Number(pml4e & 0x000f_ffff_ffff_f000n);
      const pdpte = memory.read64(pdpt + X86_64.entryIndex(0x40_0000, 1) * 8);
      const pd = Number(pdpte & 0x000f_ffff_ffff_f000n);
      return pd + X86_64.entryIndex(0x40_0000, 2) * 8;
    })();
    const pde = memory.read64(pdeAddress);
    const pt = Number(pde & 0x000f_ffff_ffff_f000n);
    rom.set(memory.readBytes(pt, 0x1000));
    memory.mapRom(0x200_0000, rom, { writes: 'fault' });
    memory.write64(pdeAddress, (pde & ~0x000f_ffff_ffff_f000n) | 0x200_0000n);
    const mmu = new Mmu({ memory, format: 'x86-64' });
    mmu.setRoot(tables.root, 1);
    const { fault } = faultOf(() => mmu.read32(0x40_0000));
    expect(fault).toMatchObject({ reason: FaultReason.BusError, level: 3, pageTableAccess: 'write', physicalAddress: 0x200_0000 + X86_64.entryIndex(0x40_0000, 3) * 8 });
    expect(fault.toString()).toContain('page-table write of the level-3 entry');
  });
});
