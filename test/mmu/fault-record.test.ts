// The MMU's reusable fault record (issue 13: fault handling without per-fault allocation): one
// object per MMU, overwritten by every fault, equal field for field to the TranslationFault the
// same fault makes, and handed to handlers that take records instead of a fresh object.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Access,
  FAULTED,
  FaultReason,
  FaultRecord,
  FaultResolution,
  FrameAllocator,
  Kernel,
  MEM_COMMIT,
  MEM_RESERVE,
  Mmu,
  PAGE_READONLY,
  PAGE_READWRITE,
  PageFaultError,
  PageTableBuilder,
  PhysicalMemory,
  Privilege,
  TranslationFault,
  WindowsExceptionError,
  type FaultHandler,
  type FormatName,
} from '../../src/index.js';

const PAGE = 4096;

/** A machine whose page at `base` is user read-only and whose next page is unmapped. */
function machine(format: FormatName, faultHandler: FaultHandler | null = null) {
  const riscv = format.startsWith('sv');
  const memory = new PhysicalMemory({ size: 1 << 20, base: riscv ? 0x8000_0000 : 0 });
  const frames = new FrameAllocator(memory);
  const tables = new PageTableBuilder(memory, format, frames);
  const base = 0x40_0000;
  tables.map(base, frames.allocate() * PAGE, { user: true });
  const mmu = new Mmu({ memory, format, faultHandler });
  mmu.setRoot(tables.root, 3);
  mmu.setPrivilege(Privilege.User);
  return { mmu, tables, frames, base };
}

/** The record's fields as plain data, to compare with a TranslationFault's. */
function fieldsOf(f: FaultRecord | TranslationFault) {
  const { address, access, privilege, reason, level, architecture, vector, errorCode, faultAddress, asid, physicalAddress, pageTableAccess, root } = f;
  return { address, access, privilege, reason, level, architecture, vector, errorCode, faultAddress, asid, physicalAddress, pageTableAccess, root };
}

describe('Mmu.faultRecord', () => {
  it('is one object for the MMU, empty before the first fault', () => {
    const { mmu, base } = machine('x86-64');
    const record = mmu.faultRecord;
    expect(record).toBeInstanceOf(FaultRecord);
    expect(record.sequence).toBe(0);
    expect(record.holdsFault).toBe(false);
    expect(record.toFault()).toBeNull();
    expect(record.toString()).toBe('no fault');
    expect(mmu.lastFaultRecord).toBeNull();
    expect(mmu.tryRead32(base + PAGE)).toBe(FAULTED);
    expect(mmu.faultRecord).toBe(record);
    expect(record.sequence).toBe(1);
    expect(record.holdsFault).toBe(true);
  });

  it('holds the x86 codes a fault must carry (SDM Vol. 3A §4.7): #PF error code, CR2, and #GP for a non-canonical address', () => {
    const { mmu, base } = machine('x86-64');
    const record = mmu.faultRecord;
    expect(mmu.tryWrite32(base + 8, 1)).toBe(false); // read-only user page
    expect(record).toMatchObject({ vector: 14, errorCode: 0b111, faultAddress: base + 8, reason: FaultReason.Protection, access: Access.Write, privilege: Privilege.User, asid: 3 });
    expect(mmu.tryRead32(base + PAGE + 4)).toBe(FAULTED); // not present
    expect(record).toMatchObject({ vector: 14, errorCode: 0b100, faultAddress: base + PAGE + 4, reason: FaultReason.NotPresent, level: 3 });
    expect(mmu.tryRead8(2 ** 48)).toBe(FAULTED);
    expect(record).toMatchObject({ vector: 13, errorCode: 0, reason: FaultReason.NonCanonical });
    expect(record.sequence).toBe(3);
  });

  it('holds the RISC-V scause and stval (privileged spec §4.3.2)', () => {
    const { mmu, base } = machine('sv39');
    const record = mmu.faultRecord;
    expect(mmu.tryWrite32(base, 1)).toBe(false);
    expect(record).toMatchObject({ vector: 15, errorCode: 15, faultAddress: base, reason: FaultReason.Protection });
    expect(mmu.tryFetch32(base + PAGE)).toBe(FAULTED);
    expect(record).toMatchObject({ vector: 12, faultAddress: base + PAGE, reason: FaultReason.NotPresent });
  });

  it('equals, field for field, the TranslationFault the same fault throws, for random faulting accesses', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<FormatName>('x86-64', 'x86-32', 'x86-pae', 'sv39', 'sv48'),
        fc.constantFrom('read32', 'write32', 'fetch32', 'read8', 'write16'),
        fc.integer({ min: 0, max: 3 * PAGE - 1 }),
        fc.boolean(),
        (format, op, offset, user) => {
          const quiet = machine(format);
          const loud = machine(format);
          for (const m of [quiet, loud]) m.mmu.setPrivilege(user ? Privilege.User : Privilege.Supervisor);
          const va = quiet.base + offset;
          const write = op.startsWith('write');
          let thrown: TranslationFault | null = null;
          try {
            if (write) (loud.mmu as unknown as Record<string, (va: number, v: number) => void>)[op](va, 1);
            else (loud.mmu as unknown as Record<string, (va: number) => number>)[op](va);
          } catch (e) {
            if (!(e instanceof PageFaultError)) throw e;
            thrown = e.fault;
          }
          const tryName = `try${op[0].toUpperCase()}${op.slice(1)}`;
          const result = write
            ? (quiet.mmu as unknown as Record<string, (va: number, v: number) => boolean>)[tryName](va, 1)
            : (quiet.mmu as unknown as Record<string, (va: number) => number>)[tryName](va);
          const faulted = result === FAULTED || result === false;
          expect(faulted).toBe(thrown !== null);
          if (thrown === null) return;
          expect(fieldsOf(quiet.mmu.faultRecord)).toEqual(fieldsOf(thrown));
          expect(quiet.mmu.faultRecord.toString()).toBe(thrown.toString());
          expect(fieldsOf(quiet.mmu.lastFaultRecord!)).toEqual(fieldsOf(thrown));
        },
      ),
      { numRuns: 150, seed: 0xfa17 },
    );
  });

  it('is overwritten by the next fault; toFault and lastFaultRecord are copies that stay', () => {
    const { mmu, base } = machine('x86-64');
    const record = mmu.faultRecord;
    mmu.tryRead32(base + PAGE);
    const kept = record.toFault()!;
    const last = mmu.lastFaultRecord!;
    expect(mmu.lastFaultRecord).toBe(last); // one copy per fault, made when first read
    expect(kept).not.toBe(last);
    mmu.tryWrite32(base + 4, 1);
    expect(record.faultAddress).toBe(base + 4);
    expect(record.reason).toBe(FaultReason.Protection);
    expect(kept.faultAddress).toBe(base + PAGE);
    expect(last.reason).toBe(FaultReason.NotPresent);
    expect(mmu.lastFaultRecord).not.toBe(last);
    expect(mmu.lastFaultRecord!.reason).toBe(FaultReason.Protection);
  });

  it('is what a thrown PageFaultError carries, and lastFaultRecord is that same object', () => {
    const { mmu, base } = machine('x86-64');
    let error: PageFaultError | null = null;
    try {
      mmu.read32(base + PAGE);
    } catch (e) {
      if (!(e instanceof PageFaultError)) throw e;
      error = e;
    }
    expect(error!.fault).toBe(mmu.lastFaultRecord);
    expect(fieldsOf(error!.fault)).toEqual(fieldsOf(mmu.faultRecord));
  });
});

describe('FaultHandler.handleFaultRecord', () => {
  it('receives the MMU\'s own record (no object made per fault) and may resolve the fault', () => {
    const seen: unknown[] = [];
    const parts: { tables?: PageTableBuilder; frames?: FrameAllocator } = {};
    const m = machine('x86-64', {
      handleFault: () => {
        throw new Error('handleFault called although handleFaultRecord exists');
      },
      handleFaultRecord(fault, mmu) {
        seen.push(fault);
        expect(fault).toBe(mmu.faultRecord);
        parts.tables!.mapPage(fault.address - (fault.address % PAGE), parts.frames!.allocate() * PAGE, { user: true, writable: true });
        return FaultResolution.Retry;
      },
    });
    parts.tables = m.tables;
    parts.frames = m.frames;
    expect(m.mmu.tryWrite32(m.base + 2 * PAGE, 9)).toBe(true);
    expect(m.mmu.read32(m.base + 2 * PAGE)).toBe(9);
    expect(seen).toEqual([m.mmu.faultRecord]);
    expect(m.mmu.stats().faultRetries).toBe(1);
  });

  it('is called instead of handleFault when a handler has both', () => {
    const calls: string[] = [];
    const { mmu, base } = machine('x86-64', {
      handleFault: () => {
        calls.push('handleFault');
        return FaultResolution.Deliver;
      },
      handleFaultRecord: () => {
        calls.push('handleFaultRecord');
        return FaultResolution.Deliver;
      },
    });
    expect(mmu.tryRead32(base + PAGE)).toBe(FAULTED);
    expect(calls).toEqual(['handleFaultRecord']);
  });

  it('finds the record holding its fault again after its own accesses fault', () => {
    let inner = -1;
    const { mmu, base } = machine('x86-64', {
      handleFault: () => FaultResolution.Deliver,
      handleFaultRecord(fault, own) {
        if (fault.address === base + PAGE) {
          own.tryRead32(base + 5 * PAGE); // the handler's own fault overwrites the record...
          inner = fault.faultAddress;
        }
        return FaultResolution.Deliver;
      },
    });
    expect(mmu.tryRead32(base + PAGE)).toBe(FAULTED);
    expect(inner).toBe(base + 5 * PAGE);
    expect(mmu.faultRecord.faultAddress).toBe(base + PAGE); // ...and the MMU puts the delivered fault back
    expect(mmu.lastFaultRecord!.faultAddress).toBe(base + PAGE);
    expect(mmu.stats().faults).toBe(2);
  });

  it('a handleFault handler still gets an immutable TranslationFault, which lastFaultRecord then is', () => {
    let given: TranslationFault | null = null;
    const { mmu, base } = machine('x86-64', {
      handleFault(fault, own) {
        if (given !== null) return FaultResolution.Deliver; // the handler's own fault
        given = fault;
        own.tryRead32(base + 7 * PAGE);
        return FaultResolution.Deliver;
      },
    });
    expect(mmu.tryRead32(base + PAGE)).toBe(FAULTED);
    expect(given).toBeInstanceOf(TranslationFault);
    expect(mmu.lastFaultRecord).toBe(given);
    expect(given!.faultAddress).toBe(base + PAGE);
  });

  it('comes with handleFault, which stays required', () => {
    const memory = new PhysicalMemory({ size: 1 << 20 });
    const onlyRecord = { handleFaultRecord: () => FaultResolution.Deliver } as unknown as FaultHandler;
    expect(() => new Mmu({ memory, format: 'x86-64', faultHandler: onlyRecord })).toThrow(/handleFault function/);
  });

  it('is how a Kernel handles its faults: demand-zero, copy-on-write and access violations behave as before', () => {
    const kernel = new Kernel({ memorySize: 4 << 20 });
    const cpu = kernel.cpus[0];
    const process = kernel.createProcess();
    kernel.run(cpu, process);
    expect(typeof cpu.mmu.faultHandler!.handleFaultRecord).toBe('function');
    // Code that wraps the Kernel's handler calls its handleFault, which resolves faults alike.
    const inner = cpu.mmu.faultHandler!;
    let logged = 0;
    cpu.mmu.faultHandler = {
      handleFault(fault, mmu) {
        logged++;
        return inner.handleFault(fault, mmu);
      },
    };
    const rw = process.virtualAlloc(0, 2 * PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    cpu.mmu.write32(rw + PAGE, 0x1234);
    expect(cpu.mmu.read32(rw + PAGE)).toBe(0x1234);
    expect(kernel.stats.demandZeroFaults).toBe(1);
    expect(logged).toBe(1);
    const ro = process.virtualAlloc(0, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READONLY);
    let caught: unknown = null;
    try {
      cpu.mmu.write32(ro, 1);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(WindowsExceptionError);
    expect(cpu.mmu.faultRecord).toMatchObject({ faultAddress: ro, access: Access.Write, reason: FaultReason.NotPresent });
  });
});
