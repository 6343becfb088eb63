// RISC-V M-mode as a privilege (privileged spec §3.1.6.3): untranslated accesses, no flush on
// entry or exit, and mstatus.MPRV/MPP translating M-mode loads and stores as MPP.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Access,
  FAULTED,
  FaultReason,
  FrameAllocator,
  InvalidArgumentError,
  Mmu,
  PageTableBuilder,
  PhysicalMemory,
  Privilege,
  RiscvCause,
  type MmuMode,
} from '../../src/index.js';
import { ramDigest } from './ram-digest.js';

const PAGE = 4096;
const SUPERVISOR_PAGE = 0x40_0000; // S-only, read-write
const USER_PAGE = 0x40_1000; // user, read-write
const EXECUTE_ONLY_PAGE = 0x40_2000; // supervisor, execute only (MXR makes it readable)

function machine(mode: MmuMode = 'accurate') {
  const memory = new PhysicalMemory({ size: 1 << 20 });
  const frames = new FrameAllocator(memory);
  const tables = new PageTableBuilder(memory, 'sv39', frames);
  const frame = [0, 1, 2].map(() => frames.allocate() * PAGE);
  tables.map(SUPERVISOR_PAGE, frame[0], { writable: true });
  tables.map(USER_PAGE, frame[1], { writable: true, user: true });
  tables.map(EXECUTE_ONLY_PAGE, frame[2], { readable: false, executable: true });
  frame.forEach((pa, i) => memory.write32(pa, 0x1111 * (i + 1)));
  const mmu = new Mmu({ memory, format: 'sv39', mode });
  mmu.setRoot(tables.root, 1);
  return { memory, tables, mmu, frame };
}

describe('RISC-V M-mode', () => {
  for (const mode of ['accurate', 'fast'] as const) {
    it(`accesses physical memory untranslated, without the TLBs or a walk (${mode})`, () => {
      const { mmu, frame } = machine(mode);
      mmu.setPrivilege(Privilege.Machine);
      const before = mmu.stats();
      expect(mmu.read32(frame[1])).toBe(0x2222);
      mmu.write32(frame[0] + 8, 0xabcd);
      expect(mmu.read32(frame[0] + 8)).toBe(0xabcd);
      expect(mmu.fetch32(frame[2])).toBe(0x3333);
      expect(mmu.translate(frame[1] + 4, Access.Execute)).toBe(frame[1] + 4);
      const after = mmu.stats();
      expect(after.walks).toBe(before.walks);
      expect(after.tlb.l1d).toEqual(before.tlb.l1d);
      expect(after.tlb.l1i).toEqual(before.tlb.l1i);
      expect(after.tlb.l2).toEqual(before.tlb.l2);
      // Each untranslated access costs an L1 hit's cycles, as with paging off.
      expect(after.cycles - before.cycles).toBe(5 * mmu.cycleModel.l1Hit);
    });

    it(`enters and leaves M-mode without flushing a TLB or a translation cache (${mode})`, () => {
      const { mmu, frame, tables } = machine(mode);
      expect(mmu.read32(SUPERVISOR_PAGE)).toBe(0x1111); // a walk, then cached
      const walks = mmu.stats().walks;
      const slot = (SUPERVISOR_PAGE >>> 12) & 0xff;
      const supervisorCache = mmu.translationCache;
      expect(supervisorCache.readTag[slot]).toBe(SUPERVISOR_PAGE);
      mmu.setPrivilege(Privilege.Machine);
      expect(mmu.translationCache).not.toBe(supervisorCache);
      expect(mmu.read32(frame[1])).toBe(0x2222); // a physical address, untranslated
      mmu.setPrivilege(Privilege.Supervisor); // mret
      expect(mmu.translationCache).toBe(supervisorCache);
      expect(supervisorCache.readTag[slot]).toBe(SUPERVISOR_PAGE);
      const hits = mmu.stats().tlb.l1d.hits;
      expect(mmu.read32(SUPERVISOR_PAGE)).toBe(0x1111);
      expect(mmu.stats().walks).toBe(walks);
      if (mode === 'accurate') expect(mmu.stats().tlb.l1d.hits).toBe(hits + 1);
      expect(mmu.root).toBe(tables.root);
      expect(mmu.paging).toBe(true);
    });

    it(`with MPRV translates loads and stores as MPP, and leaves fetches untranslated (${mode})`, () => {
      const { mmu, frame, memory } = machine(mode);
      mmu.setPrivilege(Privilege.Machine);
      mmu.setModifyPrivilege(Privilege.Supervisor);
      expect(mmu.modifyPrivilege).toBe(Privilege.Supervisor);
      expect(mmu.read32(SUPERVISOR_PAGE)).toBe(0x1111);
      mmu.write32(SUPERVISOR_PAGE + 4, 77);
      expect(mmu.read32(SUPERVISOR_PAGE + 4)).toBe(77);
      expect(mmu.fetch32(frame[2])).toBe(0x3333); // untranslated: a physical address
      expect(mmu.fetchTranslationCache).not.toBe(mmu.translationCache);
      // A user page is refused to MPP = S unless SUM is set, as it would be in S-mode.
      expect(mmu.tryRead32(USER_PAGE)).toBe(FAULTED);
      expect(mmu.faultRecord.vector).toBe(RiscvCause.LoadPageFault);
      expect(mmu.faultRecord.privilege).toBe(Privilege.Supervisor);
      expect(mmu.faultRecord.reason).toBe(FaultReason.Protection);
      mmu.setControls({ sum: true });
      expect(mmu.read32(USER_PAGE)).toBe(0x2222);
      // MPP = U: user pages only.
      mmu.setModifyPrivilege(Privilege.User);
      expect(mmu.read32(USER_PAGE)).toBe(0x2222);
      expect(mmu.tryWrite32(SUPERVISOR_PAGE, 1)).toBe(false);
      expect(mmu.faultRecord.vector).toBe(RiscvCause.StorePageFault);
      expect(mmu.faultRecord.privilege).toBe(Privilege.User);
      expect(mmu.faultRecord.root).toBe(mmu.root);
      expect(memory.read32(frame[0])).toBe(0x1111); // the refused store wrote nothing
      // MXR applies to MPRV loads: an execute-only page reads with MXR set.
      mmu.setModifyPrivilege(Privilege.Supervisor);
      expect(mmu.tryRead32(EXECUTE_ONLY_PAGE)).toBe(FAULTED);
      mmu.setControls({ mxr: true });
      expect(mmu.read32(EXECUTE_ONLY_PAGE)).toBe(0x3333);
      // MPP = M: untranslated again.
      mmu.setModifyPrivilege(Privilege.Machine);
      expect(mmu.read32(frame[0])).toBe(0x1111);
      expect(mmu.fetchTranslationCache).toBe(mmu.translationCache);
    });
  }

  it('ignores MPRV outside M-mode', () => {
    const { mmu } = machine();
    mmu.setModifyPrivilege(Privilege.User);
    expect(mmu.read32(SUPERVISOR_PAGE)).toBe(0x1111); // S-mode: MPP plays no part
    mmu.setPrivilege(Privilege.User);
    expect(mmu.read32(USER_PAGE)).toBe(0x2222);
    expect(mmu.tryRead32(SUPERVISOR_PAGE)).toBe(FAULTED);
    expect(mmu.fetchTranslationCache).toBe(mmu.translationCache);
  });

  it('reports an M-mode access that reaches no memory as an access fault of the machine privilege', () => {
    const { mmu } = machine();
    mmu.setPrivilege(Privilege.Machine);
    expect(mmu.tryRead32(0x8000_0000)).toBe(FAULTED);
    const fault = mmu.faultRecord;
    expect(fault.reason).toBe(FaultReason.BusError);
    expect(fault.vector).toBe(RiscvCause.LoadAccessFault);
    expect(fault.privilege).toBe(Privilege.Machine);
    expect(fault.root).toBe(-1);
    expect(mmu.lastFaultRecord?.toString()).toContain('read machine at 0x80000000');
    expect(mmu.tryFetch32(0x8000_0000)).toBe(FAULTED);
    expect(mmu.faultRecord.vector).toBe(RiscvCause.InstructionAccessFault);
  });

  it('refuses Machine on x86, and bad MPRV values, changing nothing', () => {
    const memory = new PhysicalMemory({ size: 1 << 20 });
    const x86 = new Mmu({ memory, format: 'x86-64' });
    expect(() => x86.setPrivilege(Privilege.Machine)).toThrow(InvalidArgumentError);
    expect(x86.privilege).toBe(Privilege.Supervisor);
    expect(() => x86.setModifyPrivilege(Privilege.User)).toThrow(InvalidArgumentError);
    expect(x86.modifyPrivilege).toBe(null);
    const { mmu } = machine();
    mmu.setModifyPrivilege(Privilege.User);
    for (const bad of [3, -1, 0.5, NaN, '1', undefined]) {
      expect(() => mmu.setModifyPrivilege(bad as never)).toThrow(InvalidArgumentError);
      expect(() => mmu.setPrivilege(bad as never)).toThrow(InvalidArgumentError);
    }
    expect(mmu.modifyPrivilege).toBe(Privilege.User);
    expect(mmu.privilege).toBe(Privilege.Supervisor);
  });

  it('leaves the TLB model exactly as if the M-mode accesses had not happened, and answers as the privilege it translates with', () => {
    // The reference is an MMU that never enters M-mode: it sees only the translated accesses, made
    // at the privilege the M-mode MPRV setting names. Untranslated accesses read memory directly.
    const step = fc.oneof(
      fc.record({ kind: fc.constant('privilege' as const), value: fc.constantFrom(Privilege.Supervisor, Privilege.User, Privilege.Machine) }),
      fc.record({ kind: fc.constant('mprv' as const), value: fc.constantFrom(null, Privilege.Supervisor, Privilege.User, Privilege.Machine) }),
      fc.record({ kind: fc.constant('sum' as const), value: fc.boolean() }),
      fc.record({
        kind: fc.constant('access' as const),
        op: fc.constantFrom('read32', 'write32', 'fetch32'),
        page: fc.integer({ min: 0, max: 3 }),
        offset: fc.integer({ min: 0, max: PAGE / 4 - 1 }).map((w) => w * 4),
      }),
    );
    fc.assert(
      fc.property(fc.constantFrom<MmuMode>('accurate', 'fast'), fc.array(step, { minLength: 1, maxLength: 60 }), (mode, steps) => {
        const subject = machine(mode);
        const reference = machine(mode);
        let privilege: Privilege = Privilege.Supervisor;
        let mprv: Privilege | null = null;
        for (const s of steps) {
          if (s.kind === 'privilege') {
            privilege = s.value;
            subject.mmu.setPrivilege(s.value);
          } else if (s.kind === 'mprv') {
            mprv = s.value;
            subject.mmu.setModifyPrivilege(s.value);
          } else if (s.kind === 'sum') {
            subject.mmu.setControls({ sum: s.value });
            reference.mmu.setControls({ sum: s.value });
          } else {
            const translatedAs = privilege !== Privilege.Machine ? privilege : s.op === 'fetch32' ? Privilege.Machine : (mprv ?? Privilege.Machine);
            const untranslated = translatedAs === Privilege.Machine;
            // Translated: one of the four virtual pages (the fourth unmapped). Untranslated: one of the three frames, or the frame after.
            const va = (untranslated ? subject.frame[0] : SUPERVISOR_PAGE) + s.page * PAGE + s.offset;
            if (!untranslated) reference.mmu.setPrivilege(translatedAs);
            const run = (m: Mmu): string => {
              const result = s.op === 'read32' ? m.tryRead32(va) : s.op === 'fetch32' ? m.tryFetch32(va) : m.tryWrite32(va, 0x5a5a) ? 0 : FAULTED;
              return result === FAULTED ? `fault ${m.faultRecord.vector} ${m.faultRecord.reason}` : `value ${result}`;
            };
            const got = run(subject.mmu);
            if (untranslated) {
              const expected = s.op === 'write32' ? (reference.memory.write32(va, 0x5a5a), 'value 0') : `value ${reference.memory.read32(va)}`;
              expect(got).toBe(expected);
            } else {
              expect(got).toBe(run(reference.mmu));
            }
          }
        }
        const a = subject.mmu.stats();
        const b = reference.mmu.stats();
        expect(a.tlb).toEqual(b.tlb);
        expect(a.walks).toBe(b.walks);
        expect(ramDigest(subject.memory)).toBe(ramDigest(reference.memory));
      }),
      { numRuns: 150 },
    );
  });
});
