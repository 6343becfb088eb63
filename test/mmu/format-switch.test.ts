// Paging modes changed at run time on one MMU (issue 14): RISC-V satp.MODE between Sv39, Sv48 and
// Sv57; x86 CR4.PAE between 32-bit and PAE paging, and EFER.LME / CR4.LA57 only with CR0.PG = 0
// (Intel SDM Vol. 3A §4.1.2, Figure 4-1), each with the flush of §4.10.4.1.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Access,
  FAULTED,
  FrameAllocator,
  InvalidArgumentError,
  Mmu,
  PageTableBuilder,
  PhysicalMemory,
  Privilege,
  type FormatName,
  type MmuMode,
} from '../../src/index.js';
import { ramDigest } from './ram-digest.js';

const PAGE = 4096;
const RISCV_RAM = 0x8000_0000;

/** One table tree per format over one RAM, each mapping `pages` to frames holding their own numbers. */
function riscvMachine(mode: MmuMode = 'accurate') {
  const memory = new PhysicalMemory({ size: 4 << 20, base: RISCV_RAM });
  const frames = new FrameAllocator(memory);
  const data = [0, 1, 2, 3].map((i) => {
    const pa = frames.allocate() * PAGE;
    memory.write32(pa, 0x1000 + i);
    return pa;
  });
  const trees = new Map<FormatName, PageTableBuilder>();
  for (const format of ['sv39', 'sv48', 'sv57'] as const) trees.set(format, new PageTableBuilder(memory, format, frames));
  // Low pages in every format (two supervisor pages, one user page); a page Sv39 cannot name (above 2^38) in Sv48 and Sv57; one above 2^47 in Sv57.
  for (const [, tree] of trees) {
    tree.map(0x40_0000, data[0], { writable: true });
    tree.map(0x40_1000, data[1], {});
    tree.map(0x40_2000, data[1], { writable: true, user: true });
  }
  trees.get('sv48')!.map(0x80_0000_0000, data[2], { writable: true });
  trees.get('sv57')!.map(0x80_0000_0000, data[2], { writable: true });
  trees.get('sv57')!.map(0x1_0000_0000_0000, data[3]);
  const mmu = new Mmu({ memory, format: 'sv39', mode });
  mmu.setRoot(trees.get('sv39')!.root, 1);
  return { memory, frames, trees, mmu, data };
}

function x86Machine() {
  const memory = new PhysicalMemory({ size: 4 << 20 });
  const frames = new FrameAllocator(memory);
  const data = frames.allocate() * PAGE;
  memory.write32(data, 0xfeed);
  const trees = new Map<FormatName, PageTableBuilder>();
  for (const format of ['x86-32', 'x86-pae', 'x86-64', 'x86-64-la57'] as const) {
    const tree = new PageTableBuilder(memory, format, frames);
    tree.map(0x40_0000, data, { writable: true });
    trees.set(format, tree);
  }
  const mmu = new Mmu({ memory, format: 'x86-32' });
  mmu.setRoot(trees.get('x86-32')!.root, 0);
  return { memory, trees, mmu, data };
}

const validEntries = (mmu: Mmu) => mmu.tlb.levels().reduce((n, level) => n + level.validCount(), 0);

describe('RISC-V satp.MODE changes on one MMU', () => {
  for (const mode of ['accurate', 'fast'] as const) {
    it(`Sv39 → Sv48 → Sv57 → Sv39 translate with the new tables and flush what the old mode cached (${mode})`, () => {
      const { mmu, trees, data } = riscvMachine(mode);
      expect(mmu.read32(0x40_0000)).toBe(0x1000);
      expect(validEntries(mmu)).toBeGreaterThan(0);

      mmu.setFormat('sv48');
      expect(mmu.format.name).toBe('sv48');
      expect(validEntries(mmu)).toBe(0);
      mmu.setRoot(trees.get('sv48')!.root, 1);
      let walks = mmu.stats().walks;
      let reads = mmu.stats().pteReads;
      expect(mmu.translate(0x80_0000_0abc, Access.Write)).toBe(data[2] + 0xabc);
      expect(mmu.stats().walks - walks).toBe(1);
      expect(mmu.stats().pteReads - reads).toBe(4); // four levels, empty walk caches

      mmu.setFormat('sv57');
      mmu.setRoot(trees.get('sv57')!.root, 1);
      reads = mmu.stats().pteReads;
      expect(mmu.read32(0x1_0000_0000_0000)).toBe(0x1003);
      expect(mmu.stats().pteReads - reads).toBe(5);

      mmu.setFormat('sv39');
      mmu.setRoot(trees.get('sv39')!.root, 1);
      walks = mmu.stats().walks;
      expect(mmu.read32(0x40_1000)).toBe(0x1001);
      expect(mmu.stats().walks - walks).toBe(1); // nothing left from Sv57: a fresh walk
      expect(mmu.tryRead32(0x80_0000_0000)).toBe(FAULTED); // past Sv39's 2^39: not an Sv39 address
    });
  }

  it('a change with paging off takes effect when paging is turned on, and the root keeps its value', () => {
    const { mmu, trees } = riscvMachine();
    mmu.setPaging(false);
    mmu.setFormat('sv57');
    expect(mmu.paging).toBe(false);
    expect(mmu.root).toBe(trees.get('sv39')!.root);
    mmu.setRoot(trees.get('sv57')!.root, 3);
    mmu.setPaging(true);
    expect(mmu.read32(0x1_0000_0000_0000)).toBe(0x1003);
    expect(mmu.asid).toBe(3);
  });

  it('setting the format in use flushes nothing; with walker options it rebuilds the walker', () => {
    const { mmu } = riscvMachine();
    mmu.read32(0x40_0000);
    const walker = mmu.walker;
    const entries = validEntries(mmu);
    mmu.setFormat('sv39');
    expect(validEntries(mmu)).toBe(entries);
    expect(mmu.walker).toBe(walker);
    mmu.setFormat('sv39', { walkCache: null, svpbmt: true });
    expect(mmu.walker).not.toBe(walker);
    expect(validEntries(mmu)).toBe(0);
    const reads = mmu.stats().pteReads;
    mmu.read32(0x40_0000);
    mmu.read32(0x40_1000);
    expect(mmu.stats().pteReads - reads).toBe(6); // no walk cache now: 3 + 3
  });

  it('Sv32 changes to nothing, and an x86 format is refused; nothing changes', () => {
    const { mmu } = riscvMachine();
    mmu.read32(0x40_0000);
    const entries = validEntries(mmu);
    const root = mmu.root;
    for (const format of ['sv32', 'x86-64', 'x86-32'] as const) {
      expect(() => mmu.setFormat(format)).toThrow(InvalidArgumentError);
    }
    expect(() => mmu.setFormat('sv48', { walkCache: { levels: [{ level: 5, entries: 4, ways: 4 }] } })).toThrow(InvalidArgumentError);
    expect(mmu.format.name).toBe('sv39');
    expect(validEntries(mmu)).toBe(entries);
    expect(mmu.root).toBe(root);
    const sv32 = new Mmu({ memory: new PhysicalMemory({ size: 1 << 20 }), format: 'sv32' });
    expect(() => sv32.setFormat('sv39')).toThrow(/Sv32 is RV32's only paging mode/);
  });

  it('M-mode and MPRV keep working across a change', () => {
    const { mmu, trees, data } = riscvMachine();
    mmu.setPrivilege(Privilege.Machine);
    mmu.setFormat('sv48');
    mmu.setRoot(trees.get('sv48')!.root, 1);
    expect(mmu.read32(data[2])).toBe(0x1002); // untranslated
    mmu.setModifyPrivilege(Privilege.Supervisor);
    expect(mmu.read32(0x80_0000_0000)).toBe(0x1002); // translated by Sv48 as S
  });

  it('property: after any sequence of changes, the MMU behaves as a fresh one built for the mode', () => {
    const formats = ['sv39', 'sv48', 'sv57'] as const;
    const vas = [0x40_0000, 0x40_1000, 0x40_2000, 0x80_0000_0000, 0x1_0000_0000_0000];
    const step = fc.oneof(
      fc.record({ kind: fc.constant('format' as const), format: fc.constantFrom(...formats), paging: fc.boolean() }),
      fc.record({ kind: fc.constant('access' as const), va: fc.constantFrom(...vas), access: fc.constantFrom(Access.Read, Access.Write, Access.Execute), user: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.constantFrom<MmuMode>('accurate', 'fast'), fc.array(step, { minLength: 1, maxLength: 40 }), (mode, steps) => {
        const a = riscvMachine(mode);
        const b = riscvMachine(mode);
        let reference = b.mmu;
        for (const s of steps) {
          if (s.kind === 'format') {
            a.mmu.setPaging(s.paging);
            a.mmu.setFormat(s.format);
            a.mmu.setRoot(a.trees.get(s.format)!.root, 1);
            // The reference: a new MMU of that format over the same kind of machine state.
            reference = new Mmu({ memory: b.memory, format: s.format, mode });
            reference.setRoot(b.trees.get(s.format)!.root, 1);
            reference.setPaging(s.paging);
            continue;
          }
          for (const mmu of [a.mmu, reference]) mmu.setPrivilege(s.user ? Privilege.User : Privilege.Supervisor);
          const before = [a.mmu.stats(), reference.stats()];
          const run = (mmu: Mmu) => (s.access === Access.Write ? (mmu.tryWrite32(s.va, 7) ? 0 : FAULTED) : s.access === Access.Read ? mmu.tryRead32(s.va) : mmu.tryFetch32(s.va));
          const got = run(a.mmu);
          const want = run(reference);
          expect(got).toBe(want);
          if (got === FAULTED) expect(a.mmu.faultRecord.vector).toBe(reference.faultRecord.vector);
          const after = [a.mmu.stats(), reference.stats()];
          for (const key of ['walks', 'pteReads', 'pteWrites', 'faults'] as const) {
            expect(after[0][key] - before[0][key]).toBe(after[1][key] - before[1][key]);
          }
        }
        expect(ramDigest(a.memory)).toBe(ramDigest(b.memory));
      }),
      { numRuns: 60 },
    );
  });
});

describe('x86 paging-mode changes on one MMU (SDM Vol. 3A §4.1.2)', () => {
  it('CR4.PAE with paging on: 32-bit ↔ PAE paging, flushing, the root aligned to what the mode uses', () => {
    const { mmu, trees } = x86Machine();
    expect(mmu.read32(0x40_0000)).toBe(0xfeed);
    mmu.setFormat('x86-pae');
    expect(validEntries(mmu)).toBe(0);
    const paeRoot = trees.get('x86-pae')!.root;
    mmu.setRoot(paeRoot + 0x20, 0); // a PAE root is 32-byte aligned
    expect(mmu.root).toBe(paeRoot + 0x20);
    mmu.setRoot(paeRoot, 0);
    expect(mmu.read32(0x40_0000)).toBe(0xfeed);
    mmu.setRoot(paeRoot + 0x20, 0);
    mmu.setFormat('x86-32'); // CR3 bits 11:0 are not address bits in 32-bit paging
    expect(mmu.root).toBe(paeRoot);
  });

  it('EFER.LME and CR4.LA57 change only with paging off: #GP(0) otherwise, and nothing changes', () => {
    const { mmu } = x86Machine();
    mmu.read32(0x40_0000);
    const entries = validEntries(mmu);
    expect(() => mmu.setFormat('x86-64')).toThrow(/#GP\(0\)/);
    expect(mmu.format.name).toBe('x86-32');
    expect(validEntries(mmu)).toBe(entries);
    mmu.setPaging(false);
    mmu.setFormat('x86-64');
    mmu.setPaging(true);
    expect(() => mmu.setFormat('x86-64-la57')).toThrow(/#GP\(0\)/);
    expect(() => mmu.setFormat('x86-pae')).toThrow(/#GP\(0\)/); // clearing LME (or PAE) in IA-32e mode
    expect(mmu.format.name).toBe('x86-64');
  });

  it('the long-mode entry sequence: paging off, LME, CR3, paging on; then 5-level paging the same way', () => {
    const { mmu, trees } = x86Machine();
    mmu.setPaging(false);
    mmu.setFormat('x86-64');
    mmu.setRoot(trees.get('x86-64')!.root, 0);
    mmu.setPaging(true);
    let reads = mmu.stats().pteReads;
    expect(mmu.read32(0x40_0000)).toBe(0xfeed);
    expect(mmu.stats().pteReads - reads).toBe(4);
    mmu.setPaging(false);
    mmu.setFormat('x86-64-la57');
    mmu.setRoot(trees.get('x86-64-la57')!.root, 0);
    mmu.setPaging(true);
    reads = mmu.stats().pteReads;
    expect(mmu.read32(0x40_0000)).toBe(0xfeed);
    expect(mmu.stats().pteReads - reads).toBe(5);
    expect(mmu.walker.format.name).toBe('x86-64-la57');
  });
});
