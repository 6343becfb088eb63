import { describe, expect, it } from 'vitest';
import { MapFlags } from '../../src/mmu/page-table-builder.js';
import {
  Access,
  FaultLoopError,
  FaultReason,
  FaultResolution,
  FrameAllocator,
  InvalidArgumentError,
  Mmu,
  OutOfFramesError,
  PageTableBuilder,
  PhysicalMemory,
  Privilege,
  SKYLAKE_CYCLES,
  decodeX86Pte,
  readPte,
  type FaultHandler,
  type FormatName,
  type MmuOptions,
  type TranslationFault,
} from '../../src/index.js';
import { faultOf } from './fault-of.js';
import { ramDigest } from './ram-digest.js';

function machine(format: FormatName = 'x86-64', options: Partial<MmuOptions> = {}, ramBase = 0) {
  const memory = new PhysicalMemory({ size: 8 << 20, base: ramBase });
  const frames = new FrameAllocator(memory);
  const tables = new PageTableBuilder(memory, format, frames);
  const mmu = new Mmu({ memory, format, walkCache: null, ...options });
  mmu.setRoot(tables.root, 1);
  const page = () => frames.allocate() * 4096;
  return { memory, frames, tables, mmu, page };
}


describe('Mmu translation and data access', () => {
  it('reads back what it wrote, through the tables', () => {
    const { mmu, tables, memory, page } = machine();
    const pa = page();
    tables.map(0x40_0000, pa, { writable: true, user: true });
    mmu.write32(0x40_0010, 0xdeadbeef);
    expect(memory.read32(pa + 0x10)).toBe(0xdeadbeef);
    expect(mmu.read32(0x40_0010)).toBe(0xdeadbeef);
    expect(mmu.read16(0x40_0012)).toBe(0xdead);
    expect(mmu.read8(0x40_0013)).toBe(0xde);
    mmu.write64(0x40_0100, 0x0123456789abcdefn);
    expect(mmu.read64(0x40_0100)).toBe(0x0123456789abcdefn);
    expect(mmu.translate(0x40_0abc, Access.Read)).toBe(pa + 0xabc);
  });

  it('misses, walks, then hits: statistics are exact', () => {
    const { mmu, tables, page } = machine();
    tables.map(0x1000, page(), { writable: true, dirty: true, accessed: true });
    mmu.resetStats();
    mmu.read32(0x1000);
    mmu.read32(0x1004);
    mmu.read32(0x1ffc);
    const s = mmu.stats();
    expect(s.walks).toBe(1);
    expect(s.pteReads).toBe(4);
    expect(s.tlb.l1d.misses).toBe(1);
    expect(s.tlb.l1d.hits).toBe(2);
    expect(s.tlb.l2?.misses).toBe(1);
    expect(s.tlb.l2?.hits).toBe(0);
  });

  it('charges the documented cycles: miss 57, hit 1, write through a clean entry 61', () => {
    const { mmu, tables, memory, page } = machine();
    tables.map(0x5000, page(), { writable: true, accessed: true });
    // Set A in the upper levels too, so the first read writes nothing back.
    mmu.read32(0x5000);
    mmu.invalidateAll();
    mmu.resetStats();
    const c = SKYLAKE_CYCLES;
    mmu.read32(0x5000);
    expect(mmu.cycles).toBe(c.l2Hit + 4 * c.pteRead); // 57
    mmu.read32(0x5004);
    expect(mmu.cycles).toBe(c.l2Hit + 4 * c.pteRead + c.l1Hit); // 58
    mmu.write32(0x5008, 1);
    expect(mmu.cycles).toBe(58 + c.l1Hit + 4 * c.pteRead + c.pteWrite); // 119
    const leaf = tables.lookup(0x5000)!;
    expect(decodeX86Pte(readPte(memory, leaf.entryAddress, tables.format), tables.format, leaf.level).dirty).toBe(true);
    mmu.write32(0x500c, 2);
    expect(mmu.cycles).toBe(119 + c.l1Hit);
  });

  it('an L2 hit after an L1 miss costs l2Hit and refills the L1', () => {
    const { mmu, tables, page } = machine();
    tables.map(0x7000, page(), { accessed: true });
    mmu.read32(0x7000);
    mmu.tlb.l1d.invalidateAll();
    mmu.resetStats();
    mmu.read32(0x7000);
    expect(mmu.cycles).toBe(SKYLAKE_CYCLES.l2Hit);
    expect(mmu.stats().walks).toBe(0);
    mmu.read32(0x7000);
    expect(mmu.cycles).toBe(SKYLAKE_CYCLES.l2Hit + SKYLAKE_CYCLES.l1Hit);
  });

  it('a read-filled entry never lets a write skip the dirty bit', () => {
    const { mmu, tables, memory, page } = machine('sv39', {}, 0x8000_0000);
    tables.map(0x2000, page(), { writable: true, accessed: true });
    const leaf = tables.lookup(0x2000)!;
    mmu.read32(0x2000);
    expect(readPte(memory, leaf.entryAddress, tables.format) & 0x80n).toBe(0n);
    mmu.write32(0x2000, 5);
    expect(readPte(memory, leaf.entryAddress, tables.format) & 0x80n).toBe(0x80n);
  });

  it('a huge page takes one TLB entry for all its 4 KiB pages', () => {
    const { mmu, tables } = machine();
    tables.map(0x20_0000, 0x20_0000, { pageShift: 21, writable: true });
    mmu.resetStats();
    for (let va = 0x20_0000; va < 0x40_0000; va += 0x1000) mmu.read8(va);
    expect(mmu.stats().walks).toBe(1);
    expect(mmu.stats().tlb.l1d.hits).toBe(511);
  });
});

describe('Mmu page-crossing accesses', () => {
  it('reads and writes across two mapped pages', () => {
    const { mmu, tables, memory, page } = machine();
    const a = page();
    const b = page();
    tables.map(0x10_0000, a, { writable: true });
    tables.map(0x10_1000, b, { writable: true });
    mmu.write32(0x10_0ffe, 0x44332211);
    expect(memory.read16(a + 0xffe)).toBe(0x2211);
    expect(memory.read16(b)).toBe(0x4433);
    expect(mmu.read32(0x10_0ffe)).toBe(0x44332211);
    mmu.write64(0x10_0ffc, 0x8877665544332211n);
    expect(mmu.read64(0x10_0ffc)).toBe(0x8877665544332211n);
    expect(memory.read32(b)).toBe(0x88776655);
  });

  it('faults on the second page at its first byte and writes nothing', () => {
    const { mmu, tables, memory, page } = machine();
    const a = page();
    tables.map(0x10_0000, a, { writable: true, user: true });
    mmu.setPrivilege(Privilege.User);
    const f = faultOf(() => mmu.write32(0x10_0ffe, 0xffffffff));
    expect(f.address).toBe(0x10_1000);
    expect(f.faultAddress).toBe(0x10_1000);
    expect(f.reason).toBe(FaultReason.NotPresent);
    expect(memory.read16(a + 0xffe)).toBe(0);
    const f64 = faultOf(() => mmu.write64(0x10_0ffc, -1n));
    expect(f64.address).toBe(0x10_1000);
    expect(memory.read32(a + 0xffc)).toBe(0);
  });

  it('faults on the first page when the first page is the bad one', () => {
    const { mmu, tables, page } = machine();
    tables.map(0x10_1000, page(), { writable: true });
    const f = faultOf(() => mmu.read32(0x10_0ffe));
    expect(f.address).toBe(0x10_0ffe);
  });
});

describe('Mmu fault records', () => {
  it('x86: #PF error codes carry P, W, U, RSVD and I', () => {
    const { mmu, tables, page } = machine();
    tables.map(0x1000, page(), { user: true });
    tables.map(0x2000, page(), { user: false, writable: true });
    mmu.setPrivilege(Privilege.User);
    const notPresent = faultOf(() => mmu.read32(0x9000));
    expect([notPresent.vector, notPresent.errorCode, notPresent.faultAddress]).toEqual([14, 0b100, 0x9000]);
    const readOnly = faultOf(() => mmu.write32(0x1000, 1));
    expect(readOnly.errorCode).toBe(0b111);
    expect(readOnly.reason).toBe(FaultReason.Protection);
    const supervisorPage = faultOf(() => mmu.read32(0x2000));
    expect(supervisorPage.errorCode).toBe(0b101);
    const noExecute = faultOf(() => mmu.fetch(0x1000));
    expect(noExecute.errorCode).toBe(0b10101);
    expect(noExecute.access).toBe(Access.Execute);
    mmu.setPrivilege(Privilege.Supervisor);
    const supervisorWrite = faultOf(() => mmu.write8(0x9000, 1));
    expect(supervisorWrite.errorCode).toBe(0b010);
  });

  it('x86: a reserved bit gives RSVD with P set', () => {
    const { mmu, tables, memory, page } = machine();
    tables.map(0x3000, page(), {});
    const leaf = tables.lookup(0x3000)!;
    // Bit 51 is reserved below MAXPHYADDR 52? Use XD with NXE off instead: reserved then.
    mmu.setControls({ nxe: false });
    memory.write32(leaf.entryAddress + 4, 0x8000_0000);
    const f = faultOf(() => mmu.read32(0x3000));
    expect(f.reason).toBe(FaultReason.ReservedBit);
    expect(f.errorCode & 0b1001).toBe(0b1001);
  });

  it('RISC-V: scause 13, 15, 12 and stval', () => {
    const { mmu, tables, page } = machine('sv39', {}, 0x8000_0000);
    tables.map(0x4000, page(), { user: true, accessed: true });
    mmu.setPrivilege(Privilege.User);
    expect(faultOf(() => mmu.read32(0x8000)).vector).toBe(13);
    const store = faultOf(() => mmu.write32(0x4000, 1));
    expect([store.vector, store.errorCode, store.faultAddress]).toEqual([15, 15, 0x4000]);
    expect(faultOf(() => mmu.fetch(0x4000)).vector).toBe(12);
    expect(faultOf(() => mmu.read32(2 ** 39)).reason).toBe(FaultReason.NonCanonical);
  });

  it('a fault handler can fix the mapping and retry; cycles include entry and exit', () => {
    const { mmu, tables, page } = machine();
    const seen: TranslationFault[] = [];
    const handler: FaultHandler = {
      handleFault(fault) {
        seen.push(fault);
        tables.map(fault.address - (fault.address % 4096), page(), { writable: true, accessed: true, dirty: true });
        return FaultResolution.Retry;
      },
    };
    mmu.faultHandler = handler;
    mmu.resetStats();
    mmu.write32(0x6_0000, 99);
    expect(mmu.read32(0x6_0000)).toBe(99);
    expect(seen).toHaveLength(1);
    const s = mmu.stats();
    expect(s.faults).toBe(1);
    expect(s.faultRetries).toBe(1);
    expect(s.cycles).toBeGreaterThanOrEqual(SKYLAKE_CYCLES.faultEntry + SKYLAKE_CYCLES.faultExit);
  });

  it('a handler that retries without fixing anything is reported, not looped on', () => {
    const { mmu } = machine('x86-64', { maxFaultRetries: 3 });
    let calls = 0;
    mmu.faultHandler = {
      handleFault() {
        calls++;
        return FaultResolution.Retry;
      },
    };
    expect(() => mmu.read32(0x1000)).toThrow(FaultLoopError);
    expect(calls).toBe(4);
  });
});

describe('Mmu TLB coherence', () => {
  it('keeps a stale translation until the page is invalidated', () => {
    const { mmu, tables, memory, page } = machine();
    const oldFrame = page();
    const newFrame = page();
    memory.write32(oldFrame, 111);
    memory.write32(newFrame, 222);
    tables.map(0x8000, oldFrame, {});
    expect(mmu.read32(0x8000)).toBe(111);
    tables.map(0x8000, newFrame, {}); // the OS changes the PTE ...
    expect(mmu.read32(0x8000)).toBe(111); // ... the TLB still has the old frame
    mmu.invalidatePage(0x8000);
    expect(mmu.read32(0x8000)).toBe(222);
  });

  it('an unmapped page stays reachable until invalidated, then faults', () => {
    const { mmu, tables, page } = machine();
    tables.map(0x8000, page(), {});
    mmu.read32(0x8000);
    tables.unmap(0x8000);
    expect(() => mmu.read32(0x8000)).not.toThrow();
    mmu.invalidatePage(0x8000);
    expect(faultOf(() => mmu.read32(0x8000)).reason).toBe(FaultReason.NotPresent);
  });

  it('ASIDs keep address spaces apart without flushing', () => {
    const { mmu, memory, frames, page } = machine();
    const a = new PageTableBuilder(memory, 'x86-64', frames);
    const b = new PageTableBuilder(memory, 'x86-64', frames);
    const fa = page();
    const fb = page();
    memory.write32(fa, 0xaaaa);
    memory.write32(fb, 0xbbbb);
    a.map(0x1000, fa, {});
    b.map(0x1000, fb, {});
    mmu.setRoot(a.root, 1);
    expect(mmu.read32(0x1000)).toBe(0xaaaa);
    mmu.setRoot(b.root, 2);
    expect(mmu.read32(0x1000)).toBe(0xbbbb);
    mmu.setRoot(a.root, 1);
    mmu.resetStats();
    expect(mmu.read32(0x1000)).toBe(0xaaaa);
    expect(mmu.stats().walks).toBe(0); // still cached under ASID 1
  });

  it('without ASIDs a root switch flushes all but global translations', () => {
    const { mmu, tables, page } = machine('x86-64', { asids: false });
    tables.map(0x1000, page(), {});
    tables.map(0x2000, page(), { global: true });
    mmu.read32(0x1000);
    mmu.read32(0x2000);
    mmu.setRoot(tables.root, 0);
    mmu.resetStats();
    mmu.read32(0x2000);
    expect(mmu.stats().walks).toBe(0);
    mmu.read32(0x1000);
    expect(mmu.stats().walks).toBe(1);
  });

  it('control bits checked at access time take effect on cached entries', () => {
    const { mmu, tables, page } = machine();
    tables.map(0x1000, page(), { user: true, writable: false });
    mmu.read32(0x1000); // cached
    mmu.setControls({ smap: true });
    expect(faultOf(() => mmu.read32(0x1000)).reason).toBe(FaultReason.Protection);
    mmu.setControls({ ac: true });
    expect(() => mmu.read32(0x1000)).not.toThrow();
    mmu.setControls({ wp: false, smap: false });
    expect(() => mmu.write32(0x1000, 1)).not.toThrow(); // supervisor write to read-only page, WP = 0
    mmu.setControls({ wp: true });
    expect(faultOf(() => mmu.write32(0x1000, 1)).reason).toBe(FaultReason.Protection);
  });

  it('control bits written with the values they have change nothing: no flush, cached translations kept', () => {
    const { mmu, tables, page } = machine();
    tables.map(0x1000, page(), { writable: true });
    mmu.read32(0x1000);
    mmu.setControls({ nxe: mmu.controls.nxe, pge: mmu.controls.pge, wp: mmu.controls.wp }); // a flushing bit among them
    expect(mmu.tlb.l1d.validCount()).toBe(1);
    mmu.read32(0x1000);
    expect(mmu.stats().walks).toBe(1);
    expect(mmu.stats().tlb.l1d.hits).toBe(1);
    mmu.setControls({ pge: !mmu.controls.pge }); // a real change of PGE flushes (SDM 4.10.4.1)
    expect(mmu.tlb.l1d.validCount()).toBe(0);
  });

  it('setControls applies every bit it is given, each to its own field, and reads only own keys', () => {
    const { mmu } = machine();
    const all = { wp: false, nxe: false, smep: true, smap: true, ac: true, pse: false, pge: false, sum: true, mxr: true, hardwareAD: false };
    mmu.setControls(all);
    expect(mmu.controls).toEqual(all);
    const flipped = Object.fromEntries(Object.entries(all).map(([k, v]) => [k, !v])) as typeof all;
    mmu.setControls(flipped);
    expect(mmu.controls).toEqual(flipped);
    const inherited = Object.create({ smep: !flipped.smep }) as Partial<typeof all>; // not an own key: ignored
    inherited.sum = !flipped.sum;
    mmu.setControls(inherited);
    expect(mmu.controls).toEqual({ ...flipped, sum: !flipped.sum });
    expect(() => mmu.setControls({ sum: flipped.sum, smpa: true } as never)).toThrow(/did you mean `smap`/);
    expect(mmu.controls).toEqual({ ...flipped, sum: !flipped.sum }); // the valid bit before the bad key was not applied
  });

  it('sfenceVma follows the RISC-V operand rules', () => {
    const { mmu, tables, page } = machine('sv39', {}, 0x8000_0000);
    tables.map(0x1000, page(), { accessed: true });
    tables.map(0x2000, page(), { global: true, accessed: true });
    const walksAfter = (fence: () => void, va: number) => {
      mmu.read32(0x1000);
      mmu.read32(0x2000);
      fence();
      mmu.resetStats();
      mmu.read32(va);
      return mmu.stats().walks;
    };
    expect(walksAfter(() => mmu.sfenceVma(null, 1), 0x1000)).toBe(1);
    expect(walksAfter(() => mmu.sfenceVma(null, 1), 0x2000)).toBe(0); // global survives an ASID fence
    expect(walksAfter(() => mmu.sfenceVma(0x2000, 1), 0x2000)).toBe(0); // and an address+ASID fence
    expect(walksAfter(() => mmu.sfenceVma(0x2000, null), 0x2000)).toBe(1);
    expect(walksAfter(() => mmu.sfenceVma(null, null), 0x2000)).toBe(1);
  });
});

describe('Mmu physical map through translation', () => {
  it('reaches MMIO devices and ROM through page tables', () => {
    const { mmu, tables, memory } = machine();
    const writes: Array<[number, number, number]> = [];
    memory.mapMmio(0x1000_0000, 0x1000, {
      read: (offset) => 0x100 + offset,
      write: (offset, size, value) => writes.push([offset, size, value]),
    });
    memory.mapRom(0x2000_0000, Uint8Array.from([0x78, 0x56, 0x34, 0x12]), { writes: 'fault' });
    tables.map(0x9000, 0x1000_0000, { writable: true });
    tables.map(0xa000, 0x2000_0000, { writable: true });
    expect(mmu.read32(0x9008)).toBe(0x108);
    mmu.write16(0x9004, 0xabcd);
    mmu.write16(0x9004, 0x1234); // a hit on an MMIO page still reaches the device
    expect(writes).toEqual([
      [4, 2, 0xabcd],
      [4, 2, 0x1234],
    ]);
    expect(mmu.read32(0xa000)).toBe(0x12345678);
    const f = faultOf(() => mmu.write8(0xa000, 0));
    expect(f.reason).toBe(FaultReason.BusError);
    expect(f.vector).toBe(18);
    expect(f.physicalAddress).toBe(0x2000_0000);
    expect(mmu.read32(0xa000)).toBe(0x12345678);
  });

  it('RISC-V: data in unmapped physical memory is an access fault (5 / 7)', () => {
    const { mmu, tables } = machine('sv39', {}, 0x8000_0000);
    tables.map(0x1000, 0x4000_0000, { writable: true, accessed: true, dirty: true });
    expect(faultOf(() => mmu.read32(0x1000)).vector).toBe(5);
    expect(faultOf(() => mmu.write32(0x1000, 1)).vector).toBe(7);
  });

  it('with paging off, virtual addresses are physical', () => {
    const { mmu, memory } = machine();
    mmu.setPaging(false);
    mmu.write32(0x3000, 77);
    expect(memory.read32(0x3000)).toBe(77);
    expect(mmu.translate(0x3004, Access.Execute)).toBe(0x3004);
    expect(mmu.stats().walks).toBe(0);
  });

  // Issue 14: untranslated, an address is physical, so one beyond the physical address space is
  // what an address outside RAM is, an access fault (RISC-V privileged spec §3.7 PMAs: accesses to
  // no device raise access faults) or x86's bus error (#MC), never a page fault.
  it.each([
    ['sv39', 0x8000_0000, [5, 7, 1]],
    ['x86-64', 0, [18, 18, 18]],
  ] as const)('%s with paging off: an address past 2^53 is a bus error, not a page fault, and nothing changes', (format, ramBase, vectors) => {
    const { mmu, memory } = machine(format, {}, ramBase);
    mmu.setPaging(false);
    const digest = ramDigest(memory);
    const cases = [
      [Access.Read, () => mmu.read32(2 ** 53)],
      [Access.Write, () => mmu.write32(2 ** 64, 1)],
      [Access.Execute, () => mmu.fetch32(2 ** 60)],
    ] as const;
    cases.forEach(([access, action], k) => {
      const f = faultOf(action);
      expect(f).toMatchObject({ reason: FaultReason.BusError, access, vector: vectors[k], root: -1, level: -1 });
      expect(f.physicalAddress).toBe(f.address);
    });
    expect(faultOf(() => mmu.translate(2 ** 53, Access.Read))).toMatchObject({ reason: FaultReason.BusError, vector: vectors[0] });
    expect(mmu.tryRead32(2 ** 53)).toBe(-1);
    expect(mmu.faultRecord.reason).toBe(FaultReason.BusError);
    expect(ramDigest(memory)).toBe(digest);
  });

  it('with paging on, an address past 2^53 is still non-canonical (a page fault on RISC-V, #GP on x86)', () => {
    expect(faultOf(() => machine('sv39', {}, 0x8000_0000).mmu.read32(2 ** 53))).toMatchObject({ reason: FaultReason.NonCanonical, vector: 13 });
    expect(faultOf(() => machine('x86-64').mmu.read32(2 ** 53))).toMatchObject({ reason: FaultReason.NonCanonical, vector: 13 });
  });

  it('with paging off, accesses count no TLB lookups', () => {
    const { mmu } = machine();
    mmu.setPaging(false);
    mmu.resetStats();
    mmu.write32(0x3000, 77);
    mmu.read8(0x3001);
    mmu.read32(0x3ffe); // crosses a page
    mmu.fetch32(0x3000);
    mmu.fetch16(0x3000);
    const { l1i, l1d, l2 } = mmu.stats().tlb;
    for (const level of [l1i, l1d, l2!]) expect(level.hits + level.misses).toBe(0);
    expect(mmu.cycles).toBe(6); // one L1-hit latency per translated page
  });
});

describe('Mmu argument checks change nothing', () => {
  it('rejects bad roots, ASIDs, privileges and control bits', () => {
    const { mmu, tables } = machine();
    expect(() => mmu.setRoot(0x1001)).toThrow(InvalidArgumentError);
    expect(() => mmu.setRoot(0x1000, 70000)).toThrow(InvalidArgumentError);
    expect(() => mmu.setRoot(Number.NaN)).toThrow(InvalidArgumentError);
    expect(mmu.root).toBe(tables.root);
    expect(mmu.asid).toBe(1);
    expect(() => mmu.setPrivilege(3 as never)).toThrow(InvalidArgumentError);
    expect(mmu.privilege).toBe(Privilege.Supervisor);
    expect(() => mmu.setControls({ wp: false, bogus: true } as never)).toThrow(InvalidArgumentError);
    expect(mmu.controls.wp).toBe(true);
    expect(() => mmu.setControls({ wp: 1 } as never)).toThrow(InvalidArgumentError);
    expect(() => mmu.translate(0x1000, 7 as never)).toThrow(InvalidArgumentError);
    expect(() => new Mmu({ memory: tables.memory, format: 'x86-99' as never })).toThrow(InvalidArgumentError);
    expect(() => new Mmu({ memory: tables.memory, format: 'sv39', cycles: { l1Hit: -1 } })).toThrow(InvalidArgumentError);
  });

  it('running out of frames while building tables maps nothing', () => {
    const memory = new PhysicalMemory({ size: 3 * 4096 });
    const frames = new FrameAllocator(memory);
    const tables = new PageTableBuilder(memory, 'x86-64', frames); // root: 1 frame, 2 left, 3 needed
    expect(() => tables.map(0x1000, 0x2000, {})).toThrow(OutOfFramesError);
    expect(frames.freeCount).toBe(2);
    expect(tables.lookup(0x1000)).toBeNull();
    expect(tables.tableCount).toBe(1);
  });
});

describe('PageTableBuilder.mapPage', () => {
  for (const format of ['x86-64', 'x86-64-la57', 'x86-32', 'x86-pae', 'sv32', 'sv39', 'sv48'] as const) {
    it(`${format}: writes the same entry as map() for every attribute combination, and unmapPage clears it`, () => {
      const ramBase = format.startsWith('sv') ? 0x8000_0000 : 0;
      const memory = new PhysicalMemory({ size: 4 << 20, base: ramBase });
      const frames = new FrameAllocator(memory);
      const slow = new PageTableBuilder(memory, format, frames);
      const fast = new PageTableBuilder(memory, format, frames);
      const va = 0x40_3000;
      fast.map(va, ramBase, {}); // build the intermediate tables
      for (let bits = 0; bits < 64; bits++) {
        const attributes = {
          writable: (bits & 1) !== 0,
          user: (bits & 2) !== 0,
          executable: (bits & 4) !== 0,
          global: (bits & 8) !== 0,
          accessed: (bits & 16) !== 0,
          dirty: (bits & 32) !== 0,
        };
        const pa = ramBase + 0x12_3000;
        slow.map(va, pa, attributes);
        expect(fast.mapPage(va, pa, attributes)).toBe(true);
        expect(fast.lookup(va)!.entry, JSON.stringify(attributes)).toBe(slow.lookup(va)!.entry);
      }
      expect(fast.unmapPage(va)).toBe(true);
      expect(fast.lookup(va)).toBeNull();
      expect(fast.unmapPage(va)).toBe(false);
      // A page whose tables do not exist yet takes the general path and creates them.
      expect(fast.mapPage(0x80_0000, ramBase + 0x1000, { writable: true })).toBe(false);
      expect(fast.lookup(0x80_0000)!.pageBase).toBe(ramBase + 0x1000);
    });
  }
});

describe('PageTableBuilder.mapPageUnchecked (the kernel\'s path)', () => {
  const FLAGS = MapFlags.Readable | MapFlags.User;
  for (const format of ['x86-64', 'x86-64-la57', 'x86-32', 'x86-pae', 'sv32', 'sv39', 'sv48', 'sv57'] as const) {
    it(`${format}: creates missing tables and writes the entries map() writes, frame for frame`, () => {
      const ramBase = format.startsWith('sv') ? 0x8000_0000 : 0;
      const build = () => {
        const memory = new PhysicalMemory({ size: 4 << 20, base: ramBase });
        return new PageTableBuilder(memory, format, new FrameAllocator(memory));
      };
      const general = build();
      const kernel = build();
      const pages: Array<[number, number, number]> = [
        [0x40_3000, 0x12_3000, FLAGS | MapFlags.Writable],
        [0x40_4000, 0x12_4000, FLAGS | MapFlags.Executable], // its tables exist
        [0x7f_f000, 0x20_0000, FLAGS], // a new last-level table
        [0x3fc0_1000, 0x30_0000, FLAGS | MapFlags.Writable | MapFlags.Executable], // new tables above it too
      ];
      if (format !== 'x86-32' && format !== 'sv32' && format !== 'x86-pae') pages.push([0x7f_ffff_e000, 0x31_0000, FLAGS]);
      for (const [va, pa, flags] of pages) {
        const attributes = { writable: (flags & MapFlags.Writable) !== 0, executable: (flags & MapFlags.Executable) !== 0, user: true };
        general.map(va, ramBase + pa, attributes);
        expect(kernel.mapPageUnchecked(va, ramBase + pa, flags)).toBe(false);
        expect(kernel.tables()).toEqual(general.tables());
        expect(kernel.memory.bytes.findIndex((byte, i) => byte !== general.memory.bytes[i])).toBe(-1);
        expect(kernel.mapPageUnchecked(va, ramBase + pa, flags)).toBe(true);
      }
    });
  }

  it('leaves the cases it cannot do to the general path: out of frames, a large page on the way', () => {
    const memory = new PhysicalMemory({ size: 3 * 4096 });
    const frames = new FrameAllocator(memory);
    const tables = new PageTableBuilder(memory, 'x86-64', frames);
    expect(() => tables.mapPageUnchecked(0x1000, 0x2000, FLAGS)).toThrow(OutOfFramesError);
    expect([frames.freeCount, tables.tableCount]).toEqual([2, 1]);
    const big = new PhysicalMemory({ size: 4 << 20 });
    const huge = new PageTableBuilder(big, 'x86-64', new FrameAllocator(big));
    huge.map(0x20_0000, 0x20_0000, { pageShift: 21 });
    expect(() => huge.mapPageUnchecked(0x20_1000, 0x1000, FLAGS)).toThrow(new InvalidArgumentError('a larger page already maps 0x201000'));
  });

  it('follows the tables as they are now after the last-level table it remembers was replaced', () => {
    const memory = new PhysicalMemory({ size: 4 << 20 });
    const tables = new PageTableBuilder(memory, 'x86-64', new FrameAllocator(memory));
    tables.mapPageUnchecked(0x20_1000, 0x1_0000, FLAGS); // creates the tables
    tables.mapPageUnchecked(0x20_2000, 0x1_1000, FLAGS); // remembers the page table
    // A large page over the range (map replaces the pointer entry), then nothing there.
    tables.map(0x20_0000, 0x20_0000, { pageShift: 21 });
    expect(() => tables.mapPageUnchecked(0x20_3000, 0x1_2000, FLAGS)).toThrow(new InvalidArgumentError('a larger page already maps 0x203000'));
    tables.unmap(0x20_0000);
    expect(tables.mapPageUnchecked(0x20_3000, 0x1_2000, FLAGS)).toBe(false); // a new page table
    expect(tables.lookup(0x20_3000)!.pageBase).toBe(0x1_2000);
    expect(tables.lookup(0x20_1000)).toBeNull();
    expect(tables.mapPageUnchecked(0x20_3000, 0x1_2000, FLAGS)).toBe(true); // remembers the new one
    // The pointer entry cleared behind the builder's back: noticed, and a new table made.
    const pdpt = memory.read32(tables.root + 0) & ~0xfff; // 0x20_3000 is in the first 512 GiB…
    const pd = memory.read32(pdpt + 0) & ~0xfff; // …and the first 1 GiB
    const pde = pd + 8 * 1; // 0x20_0000 >> 21
    expect(memory.read32(pde) & 1).toBe(1);
    memory.write32(pde, 0);
    memory.write32(pde + 4, 0);
    expect(tables.mapPageUnchecked(0x20_4000, 0x1_3000, FLAGS)).toBe(false);
    expect(tables.lookup(0x20_4000)!.pageBase).toBe(0x1_3000);
  });
});

describe('Mmu cycle model', () => {
  it('is frozen, so the hot path and the slow path can never disagree on a latency', () => {
    const { mmu } = machine();
    expect(() => {
      (mmu.cycleModel as { l1Hit: number }).l1Hit = 5;
    }).toThrow(TypeError);
    expect(mmu.cycleModel.l1Hit).toBe(SKYLAKE_CYCLES.l1Hit);
  });
});
