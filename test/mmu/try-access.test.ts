// The non-throwing accessors: the same translation, permission rules, cycles and fault records
// as the throwing ones, with the fault reported as FAULTED / false and left in lastFaultRecord.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Access,
  FAULTED,
  FaultReason,
  FaultResolution,
  FrameAllocator,
  Mmu,
  PageFaultError,
  PageTableBuilder,
  PhysicalMemory,
  Privilege,
  type FaultHandler,
  type MmuMode,
} from '../../src/index.js';
import { ramDigest } from './ram-digest.js';

const PAGE = 4096;
const BASE = 0x40_0000;

function machine(mode: MmuMode = 'accurate', faultHandler: FaultHandler | null = null) {
  const memory = new PhysicalMemory({ size: 1 << 20 });
  const frames = new FrameAllocator(memory);
  const tables = new PageTableBuilder(memory, 'x86-64', frames);
  const pages = [0, 1, 2].map(() => frames.allocate() * PAGE);
  tables.map(BASE, pages[0], { writable: true, user: true });
  tables.map(BASE + PAGE, pages[1], { user: true }); // read-only
  tables.map(BASE + 2 * PAGE, pages[2], { writable: true }); // supervisor only
  const mmu = new Mmu({ memory, format: 'x86-64', mode, faultHandler });
  mmu.setRoot(tables.root, 1);
  mmu.setPrivilege(Privilege.User);
  return { memory, tables, mmu, pages };
}

function thrown(action: () => unknown): string {
  try {
    action();
    return 'no fault';
  } catch (e) {
    if (e instanceof PageFaultError) return e.fault.toString();
    throw e;
  }
}

describe('try-accessors', () => {
  it('report what the throwing accessors throw, for every access kind, size and page, in both modes', () => {
    const cases = fc.record({
      op: fc.constantFrom('read8', 'read16', 'read32', 'fetch8', 'fetch16', 'fetch32', 'write8', 'write16', 'write32'),
      offset: fc.integer({ min: 0, max: 4 * PAGE - 1 }),
      mode: fc.constantFrom<MmuMode>('accurate', 'fast'),
    });
    fc.assert(
      fc.property(fc.array(cases, { minLength: 1, maxLength: 30 }), (accesses) => {
        const throwing = machine(accesses[0].mode);
        const quiet = machine(accesses[0].mode);
        for (const { op, offset } of accesses) {
          const va = BASE + offset;
          const expected = thrown(() => (op.startsWith('write') ? (throwing.mmu as unknown as Record<string, (va: number, v: number) => void>)[op](va, 0x5a5a5a5a) : (throwing.mmu as unknown as Record<string, (va: number) => number>)[op](va)));
          const tryName = `try${op[0].toUpperCase()}${op.slice(1)}`;
          const result = op.startsWith('write')
            ? (quiet.mmu as unknown as Record<string, (va: number, v: number) => boolean>)[tryName](va, 0x5a5a5a5a)
            : (quiet.mmu as unknown as Record<string, (va: number) => number>)[tryName](va);
          const faulted = result === FAULTED || result === false;
          expect(faulted ? quiet.mmu.lastFaultRecord!.toString() : 'no fault').toBe(expected);
          expect(quiet.mmu.stats()).toEqual(throwing.mmu.stats());
        }
        expect(ramDigest(quiet.memory)).toBe(ramDigest(throwing.memory));
      }),
      { numRuns: 40, seed: 0x7e57 },
    );
  });

  it('returns the value on success, FAULTED (-1) or false with the fault recorded otherwise, and writes nothing', () => {
    const { mmu, memory, pages } = machine();
    expect(mmu.tryWrite32(BASE + 8, 0xdeadbeef)).toBe(true);
    expect(mmu.tryRead32(BASE + 8)).toBe(0xdeadbeef);
    expect(mmu.tryRead32(BASE + 3 * PAGE)).toBe(FAULTED);
    expect(mmu.lastFaultRecord).toMatchObject({ reason: FaultReason.NotPresent, address: BASE + 3 * PAGE, errorCode: 0b100 });
    expect(mmu.tryWrite32(BASE + PAGE - 2, 0x11223344)).toBe(false); // crosses into the read-only page
    expect(mmu.lastFaultRecord).toMatchObject({ reason: FaultReason.Protection, address: BASE + PAGE });
    expect(memory.read16(pages[0] + PAGE - 2)).toBe(0);
    expect(mmu.tryFetch8(BASE + 2 * PAGE)).toBe(FAULTED); // supervisor page from user mode
    expect(mmu.tryTranslate(BASE + PAGE, Access.Write)).toBe(FAULTED);
    expect(mmu.tryTranslate(BASE + 4, Access.Read)).toBe(pages[0] + 4);
  });

  it('let a handler resolve faults (demand paging) and report only what it delivers', () => {
    const paging: { tables?: PageTableBuilder; frames?: FrameAllocator } = {};
    const m = machine('fast', {
      handleFault(fault) {
        if (fault.address >= 0x80_0000) return FaultResolution.Deliver;
        paging.tables!.map(fault.address - (fault.address % PAGE), paging.frames!.allocate() * PAGE, { writable: true, user: true });
        return FaultResolution.Retry;
      },
    });
    paging.tables = m.tables;
    paging.frames = new FrameAllocator(m.memory);
    paging.frames.allocateMany(64); // keep clear of the frames the machine already uses
    expect(m.mmu.tryWrite32(0x60_0000, 7)).toBe(true);
    expect(m.mmu.tryRead32(0x60_0000)).toBe(7);
    expect(m.mmu.stats().faultRetries).toBe(1);
    expect(m.mmu.tryRead32(0x80_0000)).toBe(FAULTED);
    expect(m.mmu.stats().faults).toBe(2);
  });

  it('a handler that reads through the same MMU inside a try-accessor still gets exceptions of its own', () => {
    let inner = '';
    let nested = false;
    const m = machine('accurate', {
      handleFault(_fault, mmu) {
        if (!nested) {
          nested = true;
          inner = thrown(() => mmu.read32(BASE + 5 * PAGE));
        }
        return FaultResolution.Deliver;
      },
    });
    expect(m.mmu.tryRead32(BASE + 3 * PAGE)).toBe(FAULTED);
    expect(inner).toMatch(/^#PF read user at 0x405000/);
    expect(m.mmu.lastFaultRecord!.address).toBe(BASE + 3 * PAGE); // the delivered fault, not the handler's own
  });

  it('after an exception leaves a try-accessor (a device error, a handler that throws, a fault loop), the next accesses report faults as they should', () => {
    let handlerThrows = false;
    let loop = false;
    const handler: FaultHandler = {
      handleFault: () => {
        if (handlerThrows) throw new Error('guest exception');
        return loop ? FaultResolution.Retry : FaultResolution.Deliver;
      },
    };
    const { memory, tables, mmu } = machine('fast', handler);
    memory.mapMmio(0x10_0000, PAGE, { read: () => { throw new Error('device broke'); }, write: () => {} }, 'broken');
    tables.map(BASE + 3 * PAGE, 0x10_0000, { user: true });
    const unmapped = BASE + 8 * PAGE;
    const causes: Array<() => unknown> = [
      () => mmu.tryRead32(BASE + 3 * PAGE), // the device's own error
      () => { handlerThrows = true; return mmu.tryRead32(unmapped); },
      () => { loop = true; return mmu.tryWrite32(unmapped, 1); }, // FaultLoopError
    ];
    for (const cause of causes) {
      expect(cause).toThrow();
      handlerThrows = loop = false;
      // A throwing access throws, and a try-accessor reports, each exactly once.
      expect(thrown(() => mmu.translate(unmapped, Access.Read))).toMatch(/^#PF read user at 0x408000/);
      expect(thrown(() => mmu.read32(unmapped))).toMatch(/^#PF read user at 0x408000/);
      expect(mmu.tryRead32(unmapped)).toBe(FAULTED);
      expect(mmu.tryRead32(BASE)).toBe(0);
      expect(thrown(() => mmu.readBytes(unmapped, 4))).toMatch(/^#PF read user at 0x408000/);
    }
  });

  it('an exception a handler defers (deferException) is thrown by every accessor as if the handler threw it, with the same counts', () => {
    class GuestException extends Error {}
    const unmapped = BASE + 8 * PAGE;
    const accesses: Array<(mmu: Mmu) => unknown> = [
      (mmu) => mmu.read32(unmapped),
      (mmu) => mmu.tryRead32(unmapped),
      (mmu) => mmu.tryWrite8(unmapped, 1),
      (mmu) => mmu.tryFetch16(unmapped),
      (mmu) => mmu.write64(unmapped, 1n),
      (mmu) => mmu.read64(unmapped - 4), // crosses into the unmapped page
      (mmu) => mmu.translate(unmapped, Access.Write),
      (mmu) => mmu.tryTranslate(unmapped, Access.Read),
      (mmu) => mmu.readBytes(unmapped - 8, 16),
    ];
    for (const mode of ['accurate', 'fast'] as const) {
      for (const access of accesses) {
        const deferring = machine(mode, { handleFault: (_fault, mmu) => mmu.deferException(new GuestException('deferred')) });
        const throwing = machine(mode, { handleFault: () => { throw new GuestException('thrown'); } });
        expect(() => access(deferring.mmu)).toThrow(GuestException);
        expect(() => access(throwing.mmu)).toThrow(GuestException);
        expect(deferring.mmu.stats()).toEqual(throwing.mmu.stats());
        expect(deferring.mmu.lastFaultRecord).toEqual(throwing.mmu.lastFaultRecord);
        // Nothing is left pending: the next faults are reported or thrown once, as usual.
        deferring.mmu.faultHandler = null;
        expect(deferring.mmu.tryRead32(unmapped)).toBe(FAULTED);
        expect(thrown(() => deferring.mmu.read32(unmapped))).toMatch(/^#PF read user at 0x408000/);
        expect(deferring.mmu.tryRead32(BASE)).toBe(0);
      }
    }
  });

  it('a thrown PageFaultError carries no host stack frames: its stack is the name and the fault', () => {
    const { mmu } = machine();
    try {
      mmu.read32(BASE + 3 * PAGE);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PageFaultError);
      expect((e as Error).stack).toBe(`PageFaultError: ${(e as PageFaultError).fault.toString()}`);
    }
    // And the engine's own setting is left as it was.
    expect(Error.stackTraceLimit).toBeGreaterThan(0);
  });
});
