import { describe, expect, it } from 'vitest';
import {
  EXCEPTION_EXECUTE_FAULT,
  EXCEPTION_READ_FAULT,
  EXCEPTION_WRITE_FAULT,
  MEM_COMMIT,
  MEM_PRIVATE,
  MEM_RESERVE,
  PAGE_EXECUTE_READ,
  PAGE_EXECUTE_READWRITE,
  PAGE_GUARD,
  PAGE_NOACCESS,
  PAGE_READONLY,
  PAGE_READWRITE,
  STATUS_ACCESS_VIOLATION,
  STATUS_GUARD_PAGE_VIOLATION,
  STATUS_IN_PAGE_ERROR,
  STATUS_NO_MEMORY,
  WindowsError,
  WindowsExceptionError,
} from '../../src/index.js';
import { boot, exceptionOf } from './helpers.js';

const pg = 0x1000;

describe('Demand paging', () => {
  it('a committed page gets its frame on first touch, not at commit', () => {
    const { kernel, process, mmu } = boot();
    const used = kernel.frames.usedCount;
    const p = process.virtualAlloc(0, 16 * pg, MEM_COMMIT, PAGE_READWRITE);
    expect(kernel.frames.usedCount).toBe(used);
    mmu.write32(p + 5 * pg, 1);
    expect(kernel.stats.demandZeroFaults).toBe(1);
    expect(kernel.frames.usedCount).toBeGreaterThan(used);
  });

  it('reads of never-written pages share the zero frame until the first write', () => {
    const { kernel, process, mmu } = boot();
    const p = process.virtualAlloc(0, 8 * pg, MEM_COMMIT, PAGE_READWRITE);
    const before = kernel.frames.usedCount;
    for (let i = 0; i < 8; i++) expect(mmu.read32(p + i * pg)).toBe(0);
    const afterReads = kernel.frames.usedCount;
    expect(afterReads - before).toBeLessThanOrEqual(3); // page tables only, no data frames
    expect(kernel.frames.refCount(kernel.zeroFrame)).toBe(9);
    mmu.write32(p, 0xabc);
    expect(mmu.read32(p)).toBe(0xabc);
    expect(mmu.read32(p + pg)).toBe(0);
    expect(kernel.frames.refCount(kernel.zeroFrame)).toBe(8);
  });

  it('the frame given to a page never holds another process\u2019s old data', () => {
    const { kernel, process, mmu } = boot();
    const p = process.virtualAlloc(0, pg, MEM_COMMIT, PAGE_READWRITE);
    mmu.write32(p + 100, 0xdeadbeef);
    process.exit();
    const other = kernel.createProcess();
    const cpu = kernel.run(0, other);
    const q = other.virtualAlloc(0, pg, MEM_COMMIT, PAGE_READWRITE);
    cpu.mmu.write8(q, 1);
    expect(cpu.mmu.read32(q + 100)).toBe(0);
  });
});

describe('E. Access violations and guard pages', () => {
  it('B49: a guard allocation reports 0x104 in both protections', () => {
    const { process } = boot();
    const b = process.virtualAlloc(0, pg, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
    const info = process.virtualQuery(b);
    expect([info.allocationProtect, info.regionSize, info.state, info.protect, info.type]).toEqual([0x104, pg, MEM_COMMIT, 0x104, MEM_PRIVATE]);
  });

  it('B50: the first touch raises STATUS_GUARD_PAGE_VIOLATION once, clears the guard, and the retry succeeds', () => {
    const { process, mmu, kernel } = boot();
    const b = process.virtualAlloc(0, pg, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
    const record = exceptionOf(() => mmu.read32(b + 8));
    expect(record.exceptionCode).toBe(STATUS_GUARD_PAGE_VIOLATION);
    expect(record.numberParameters).toBe(2);
    expect(record.exceptionInformation).toEqual([EXCEPTION_READ_FAULT, b + 8]);
    expect(process.virtualQuery(b).protect).toBe(PAGE_READWRITE);
    expect(process.virtualQuery(b).allocationProtect).toBe(0x104);
    expect(mmu.read32(b + 8)).toBe(0);
    mmu.write32(b + 8, 2);
    expect(mmu.read32(b + 8)).toBe(2);
    expect(kernel.stats.guardFaults).toBe(1);
  });

  it('B51: re-arming the guard makes the next access fire again; each guard page fires on its own', () => {
    const { process, mmu } = boot();
    const b = process.virtualAlloc(0, 2 * pg, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
    expect(exceptionOf(() => mmu.write8(b, 1)).exceptionInformation[0]).toBe(EXCEPTION_WRITE_FAULT);
    mmu.write8(b, 1);
    expect(exceptionOf(() => mmu.read8(b + pg)).exceptionCode).toBe(STATUS_GUARD_PAGE_VIOLATION);
    process.virtualProtect(b, pg, PAGE_READWRITE | PAGE_GUARD);
    expect(exceptionOf(() => mmu.read8(b)).exceptionCode).toBe(STATUS_GUARD_PAGE_VIOLATION);
    expect(mmu.read8(b)).toBe(1);
  });

  it('B52: a service touching a guard page fails with 0x80000001 and clears the guard', () => {
    const { process } = boot();
    const b = process.virtualAlloc(0, pg, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
    let error: unknown;
    try {
      process.readMemory(b, 16);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WindowsError);
    expect((error as WindowsError).win32Error).toBe(STATUS_GUARD_PAGE_VIOLATION);
    expect(Array.from(process.readMemory(b, 4))).toEqual([0, 0, 0, 0]);
  });

  it('B54: executing a PAGE_READWRITE page is an access violation with type 8; made executable, it runs', () => {
    const { process, mmu } = boot();
    const b = process.virtualAlloc(0, pg, MEM_COMMIT, PAGE_READWRITE);
    mmu.write32(b, 0x90909090);
    const record = exceptionOf(() => mmu.fetch(b));
    expect(record.exceptionCode).toBe(STATUS_ACCESS_VIOLATION);
    expect(record.exceptionInformation).toEqual([EXCEPTION_EXECUTE_FAULT, b]);
    expect(process.virtualProtect(b, pg, PAGE_EXECUTE_READWRITE)).toBe(PAGE_READWRITE);
    expect(mmu.fetch(b)).toBe(0x90909090);
  });

  it('B55: execute from READWRITE|GUARD: guard first (type 8), then the access violation', () => {
    const { process, mmu } = boot();
    const b = process.virtualAlloc(0, pg, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
    const guard = exceptionOf(() => mmu.fetch(b));
    expect([guard.exceptionCode, guard.exceptionInformation[0]]).toEqual([STATUS_GUARD_PAGE_VIOLATION, EXCEPTION_EXECUTE_FAULT]);
    const av = exceptionOf(() => mmu.fetch(b));
    expect([av.exceptionCode, av.exceptionInformation[0]]).toEqual([STATUS_ACCESS_VIOLATION, EXCEPTION_EXECUTE_FAULT]);
  });

  it('B56: NOACCESS, reserved and free memory fault with the access type; writes to read-only too', () => {
    const { process, mmu } = boot();
    const noAccess = process.virtualAlloc(0, pg, MEM_COMMIT, PAGE_NOACCESS);
    const reserved = process.virtualAlloc(0, pg, MEM_RESERVE, PAGE_READWRITE);
    const readOnly = process.virtualAlloc(0, pg, MEM_COMMIT, PAGE_READONLY);
    const code = process.virtualAlloc(0, pg, MEM_COMMIT, PAGE_EXECUTE_READ);
    expect(exceptionOf(() => mmu.read32(noAccess)).exceptionInformation).toEqual([EXCEPTION_READ_FAULT, noAccess]);
    expect(exceptionOf(() => mmu.write32(reserved + 4, 1)).exceptionInformation).toEqual([EXCEPTION_WRITE_FAULT, reserved + 4]);
    expect(exceptionOf(() => mmu.read8(0x7000_0000)).exceptionInformation).toEqual([EXCEPTION_READ_FAULT, 0x7000_0000]);
    expect(mmu.read32(readOnly)).toBe(0);
    expect(exceptionOf(() => mmu.write32(readOnly, 1)).exceptionInformation).toEqual([EXCEPTION_WRITE_FAULT, readOnly]);
    expect(exceptionOf(() => mmu.write32(code, 1)).exceptionInformation[0]).toBe(EXCEPTION_WRITE_FAULT);
    expect(exceptionOf(() => mmu.read8(0)).exceptionCode).toBe(STATUS_ACCESS_VIOLATION);
  });

  it('B59: a stack grows down through its guard page', () => {
    const { process, mmu } = boot();
    // One 64 KiB reservation; the top page committed, a guard page below it.
    const stack = process.virtualAlloc(0, 0x10000, MEM_RESERVE, PAGE_READWRITE);
    const top = stack + 0x10000;
    process.virtualAlloc(top - pg, pg, MEM_COMMIT, PAGE_READWRITE);
    process.virtualAlloc(top - 2 * pg, pg, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
    // The emulator's exception dispatcher: on a guard violation, commit the next guard page below and retry.
    const push = (va: number, value: number) => {
      for (;;) {
        try {
          mmu.write32(va, value);
          return;
        } catch (e) {
          if (!(e instanceof WindowsExceptionError) || e.record.exceptionCode !== STATUS_GUARD_PAGE_VIOLATION) throw e;
          const page = va - (va % pg);
          if (page - pg >= stack) process.virtualAlloc(page - pg, pg, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
        }
      }
    };
    let sp = top;
    for (let i = 0; i < 6 * 1024; i++) push((sp -= 4), i);
    // 24 KiB pushed: six pages in use, the guard moved to the seventh, the rest still reserved.
    const grown = process.virtualQuery(top - 6 * pg);
    expect([grown.baseAddress, grown.regionSize, grown.state, grown.protect]).toEqual([top - 6 * pg, 6 * pg, MEM_COMMIT, PAGE_READWRITE]);
    expect(process.virtualQuery(top - 7 * pg).protect).toBe(PAGE_READWRITE | PAGE_GUARD);
    expect(process.virtualQuery(top - 8 * pg).state).toBe(MEM_RESERVE);
    expect(mmu.read32(top - 4)).toBe(0);
    expect(mmu.read32(sp)).toBe(6 * 1024 - 1);
  });
});

describe('Physical memory exhaustion', () => {
  it('a fault that cannot get a frame raises STATUS_IN_PAGE_ERROR and changes nothing', () => {
    // A commit limit above RAM (overcommit) so that frames, not commit charge, run out.
    const { kernel, process, mmu } = boot({ memorySize: 16 * pg, commitLimit: 1 << 20 });
    const p = process.virtualAlloc(0, 64 * pg, MEM_COMMIT, PAGE_READWRITE);
    let touched = 0;
    let record;
    for (let i = 0; i < 64; i++) {
      try {
        mmu.write32(p + i * pg, i + 1);
        touched++;
      } catch (e) {
        if (!(e instanceof WindowsExceptionError)) throw e;
        record = e.record;
        break;
      }
    }
    expect(record?.exceptionCode).toBe(STATUS_IN_PAGE_ERROR);
    expect(record?.exceptionInformation).toEqual([EXCEPTION_WRITE_FAULT, p + touched * pg, STATUS_NO_MEMORY]);
    expect(kernel.frames.freeCount).toBe(0);
    for (let i = 0; i < touched; i++) expect(mmu.read32(p + i * pg)).toBe(i + 1);
    process.exit();
    expect(kernel.frames.usedCount).toBe(2); // only the zero frame and the idle CPUs' empty root
  });
});
