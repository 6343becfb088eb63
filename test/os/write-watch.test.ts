// Write watch: MEM_WRITE_WATCH, GetWriteWatch, ResetWriteWatch (B21, B26, B53, B58, B103), as
// Wine's kernel32 conformance tests (dlls/kernel32/tests/virtual.c: test_write_watch,
// test_guard_page) pin them on Windows.
import { describe, expect, it } from 'vitest';
import {
  ERROR_INVALID_HANDLE,
  ERROR_INVALID_PARAMETER,
  MEM_COMMIT,
  MEM_DECOMMIT,
  MEM_PRIVATE,
  MEM_RELEASE,
  MEM_RESERVE,
  MEM_WRITE_WATCH,
  PAGE_EXECUTE_READ,
  PAGE_GUARD,
  PAGE_NOACCESS,
  PAGE_READONLY,
  PAGE_READWRITE,
  STATUS_ACCESS_VIOLATION,
  STATUS_GUARD_PAGE_VIOLATION,
  STATUS_INVALID_PARAMETER,
  STATUS_SUCCESS,
  WRITE_WATCH_FLAG_RESET,
  verify,
} from '../../src/index.js';
import { boot, exceptionOf, expectWin32, forgetKernel } from './helpers.js';

const pg = 0x1000;
const size = 0x10000;
const WATCH = MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH;

function watched(protect = PAGE_READWRITE, options = {}) {
  const world = boot(options);
  const base = world.process.virtualAlloc(0, size, WATCH, protect);
  return { ...world, base };
}

describe('B21: MEM_WRITE_WATCH', () => {
  it('B21 needs MEM_RESERVE; with it any protection, even PAGE_NOACCESS, is accepted', () => {
    const { process } = boot();
    expectWin32(() => process.virtualAlloc(0, size, MEM_WRITE_WATCH, PAGE_READWRITE), ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER);
    const reserved = process.virtualAlloc(0, size, MEM_RESERVE | MEM_WRITE_WATCH, PAGE_READWRITE);
    expect(process.getWriteWatch(reserved, size)).toEqual([]);
    process.virtualFree(reserved, 0, MEM_RELEASE);
    const noaccess = process.virtualAlloc(0, size, MEM_RESERVE | MEM_WRITE_WATCH, PAGE_NOACCESS);
    expect(process.virtualAlloc(noaccess, size, MEM_COMMIT, PAGE_NOACCESS)).toBe(noaccess);
    expect(process.getWriteWatch(noaccess, size)).toEqual([]);
  });

  it('B21 VirtualQuery reports the real protection of a watched allocation, not the read-only entries', () => {
    const { process, mmu, base } = watched();
    expect(process.virtualQuery(base)).toEqual({ baseAddress: base, allocationBase: base, allocationProtect: PAGE_READWRITE, regionSize: size, state: MEM_COMMIT, protect: PAGE_READWRITE, type: MEM_PRIVATE });
    mmu.write8(base, 1);
    mmu.read8(base + pg);
    expect(process.virtualQuery(base).protect).toBe(PAGE_READWRITE);
    expect(process.virtualQuery(base).regionSize).toBe(size);
  });
});

describe('B103: GetWriteWatch and ResetWriteWatch (test_write_watch)', () => {
  it('B103 records CPU writes by page, in address order, and WRITE_WATCH_FLAG_RESET clears what it returns', () => {
    const { process, mmu, base } = watched();
    expect(process.getWriteWatch(base, size)).toEqual([]);
    mmu.write8(base + pg + 1, 0x44);
    expect(process.getWriteWatch(base, size)).toEqual([base + pg]);
    expect(process.getWriteWatch(base, size, WRITE_WATCH_FLAG_RESET)).toEqual([base + pg]);
    expect(process.getWriteWatch(base, size)).toEqual([]);
    mmu.write8(base + 4 * pg + 8, 0x11);
    mmu.write8(base + 2 * pg + 3, 0x11);
    expect(process.getWriteWatch(base, size)).toEqual([base + 2 * pg, base + 4 * pg]);
    expect(process.getWriteWatch(base + 3 * pg, 2 * pg)).toEqual([base + 4 * pg]);
    process.resetWriteWatch(base, 3 * pg);
    expect(process.getWriteWatch(base, size)).toEqual([base + 4 * pg]);
  });

  it('B103 a DWORD write straddling two pages marks both', () => {
    const { process, mmu, base } = watched();
    mmu.write32(base + 2 * pg - 2, 0xdeadbeef);
    expect(process.getWriteWatch(base, size)).toEqual([base + pg, base + 2 * pg]);
    expect(mmu.read32(base + 2 * pg - 2)).toBe(0xdeadbeef);
  });

  it('B103 a count limit returns the first pages, and a reset resets only those', () => {
    const { process, mmu, base } = watched();
    for (const page of [1, 2, 4]) mmu.write8(base + page * pg, 1);
    expect(process.getWriteWatch(base, size, true, 1)).toEqual([base + pg]);
    expect(process.getWriteWatch(base, size)).toEqual([base + 2 * pg, base + 4 * pg]);
    expect(process.getWriteWatch(base, size, false, 2)).toEqual([base + 2 * pg, base + 4 * pg]);
  });

  it('B103 reads record nothing; a write after a reset is recorded again (the writable translation was shot down)', () => {
    const { kernel, process, mmu, base } = watched(PAGE_READWRITE, { cpus: 2 });
    const other = kernel.run(1, process).mmu;
    for (let i = 0; i < 16; i++) mmu.read32(base + i * pg);
    expect(process.getWriteWatch(base, size)).toEqual([]);
    other.write32(base, 1); // CPU 1 caches a writable translation
    mmu.write32(base + pg, 2);
    other.write32(base, 3);
    expect(process.getWriteWatch(base, size, true)).toEqual([base, base + pg]);
    const shootdowns = kernel.stats.shootdowns;
    other.write32(base, 4); // must fault again: the reset re-protected the page on every CPU
    expect(kernel.stats.shootdowns).toBeGreaterThan(shootdowns);
    expect(process.getWriteWatch(base, size)).toEqual([base]);
    expect(mmu.read32(base)).toBe(4);
    expect(mmu.read32(base + pg)).toBe(2);
  });

  it('B103 (B26) VirtualProtect does not change the records, and the split region merges back', () => {
    const { process, mmu, base } = watched();
    mmu.write8(base + 2 * pg, 1);
    mmu.write8(base + 4 * pg, 1);
    expect(process.virtualProtect(base, 3 * pg, PAGE_READONLY)).toBe(PAGE_READWRITE);
    expect(process.virtualQuery(base)).toMatchObject({ baseAddress: base, regionSize: 3 * pg, state: MEM_COMMIT, protect: PAGE_READONLY });
    expect(exceptionOf(() => mmu.write8(base, 1)).exceptionCode).toBe(STATUS_ACCESS_VIOLATION);
    expect(process.virtualProtect(base, 3 * pg, PAGE_READWRITE)).toBe(PAGE_READONLY);
    expect(process.getWriteWatch(base, size)).toEqual([base + 2 * pg, base + 4 * pg]);
    expect(process.virtualQuery(base)).toMatchObject({ baseAddress: base, regionSize: size, state: MEM_COMMIT, protect: PAGE_READWRITE });
  });

  it('B103 initial protection does not matter: NOACCESS pages made writable are watched; decommit keeps the record', () => {
    const { process, mmu } = boot();
    const base = process.virtualAlloc(0, size, MEM_RESERVE | MEM_WRITE_WATCH, PAGE_NOACCESS);
    process.virtualAlloc(base, size, MEM_COMMIT, PAGE_NOACCESS);
    expect(process.virtualProtect(base, 6 * pg, PAGE_READWRITE)).toBe(PAGE_NOACCESS);
    mmu.write8(base + 5 * pg + 200, 3);
    expect(process.virtualProtect(base, 6 * pg, PAGE_NOACCESS)).toBe(PAGE_READWRITE);
    expect(process.getWriteWatch(base, size)).toEqual([base + 5 * pg]);
    process.virtualFree(base, size, MEM_DECOMMIT);
    expect(process.getWriteWatch(base, size)).toEqual([base + 5 * pg]); // Windows keeps it (test_write_watch)
    process.virtualFree(base, 0, MEM_RELEASE);
    expectWin32(() => process.getWriteWatch(base, size), ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER);
  });

  it('B103 a write the protection refuses is an access violation and is not recorded (B58)', () => {
    const { process, mmu, base } = watched(PAGE_READONLY);
    expect(exceptionOf(() => mmu.write8(base, 1)).exceptionCode).toBe(STATUS_ACCESS_VIOLATION);
    expect(process.getWriteWatch(base, size)).toEqual([]);
  });

  it('B103 kernel writes on the process\'s behalf (WriteProcessMemory, NtWriteVirtualMemory) are recorded, page by page', () => {
    const { process, mmu, base } = watched();
    process.writeMemory(base + pg - 1, new Uint8Array([1, 2]));
    expect(process.getWriteWatch(base, size, true)).toEqual([base, base + pg]);
    process.virtualProtect(base + 3 * pg, pg, PAGE_READONLY);
    const result = process.ntWriteVirtualMemory(base + 2 * pg + 10, new Uint8Array(2 * pg));
    expect(result.status).not.toBe(STATUS_SUCCESS);
    expect(process.getWriteWatch(base, size)).toEqual([base + 2 * pg]); // the written prefix only
    process.virtualProtect(base + 5 * pg, pg, PAGE_EXECUTE_READ);
    process.writeMemory(base + 5 * pg, new Uint8Array([0xc3])); // code made writable for the write (B101)
    expect(process.getWriteWatch(base, size)).toEqual([base + 2 * pg, base + 5 * pg]);
    mmu.write8(base + 2 * pg, 9); // the CPU writes the recorded page without a new record
    expect(process.getWriteWatch(base, size)).toEqual([base + 2 * pg, base + 5 * pg]);
  });

  it('B103 errors: not write-watched, size 0, past the end, count 0, an unknown flag; nothing changes', () => {
    const { kernel, process, mmu, base } = watched();
    mmu.write8(base, 1);
    const plain = process.virtualAlloc(0, size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    const fails = (action: () => unknown) => expectWin32(action, ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER);
    fails(() => process.getWriteWatch(0, size));
    fails(() => process.getWriteWatch(plain, size));
    fails(() => process.getWriteWatch(base, 0));
    fails(() => process.getWriteWatch(base, size * 2));
    fails(() => process.getWriteWatch(base + size - pg, pg + 1));
    fails(() => process.getWriteWatch(base, size, 0xdeadbeef));
    fails(() => process.getWriteWatch(base, size, true, 0));
    fails(() => process.resetWriteWatch(base, 0));
    fails(() => process.resetWriteWatch(plain, size));
    fails(() => process.resetWriteWatch(0x7000_0000, size));
    expect(process.getWriteWatch(base, size)).toEqual([base]);
    const dead = kernel.createProcess();
    const deadBase = dead.virtualAlloc(0, size, WATCH, PAGE_READWRITE);
    dead.exit();
    expectWin32(() => dead.getWriteWatch(deadBase, size), ERROR_INVALID_HANDLE);
    expectWin32(() => dead.resetWriteWatch(deadBase, size), ERROR_INVALID_HANDLE);
  });
});

describe('B53, B58: guard pages and write watch (test_guard_page)', () => {
  it('B53 a write to a guarded watched page raises one guard exception; the retried write is recorded', () => {
    const { process, mmu, base } = watched(PAGE_READWRITE | PAGE_GUARD);
    expect(process.virtualQuery(base)).toMatchObject({ allocationProtect: PAGE_READWRITE | PAGE_GUARD, protect: PAGE_READWRITE | PAGE_GUARD });
    expect(process.getWriteWatch(base, size)).toEqual([]);
    const record = exceptionOf(() => mmu.write32(base, 1));
    expect(record.exceptionCode).toBe(STATUS_GUARD_PAGE_VIOLATION);
    expect(process.getWriteWatch(base, size)).toEqual([]); // the guard came first (B58): nothing written yet
    mmu.write32(base, 1); // the re-executed write
    mmu.write32(base + 4, 2);
    expect(process.getWriteWatch(base, size, true)).toEqual([base]);
  });

  it('B53 a read that trips the guard does not mark the page; the handler\'s write does', () => {
    const { process, mmu, base } = watched(PAGE_READWRITE | PAGE_GUARD);
    exceptionOf(() => mmu.write32(base, 1));
    mmu.write32(base, 1);
    process.getWriteWatch(base, size, true);
    process.virtualProtect(base, pg, PAGE_READWRITE | PAGE_GUARD);
    const record = exceptionOf(() => mmu.read32(base + 4));
    expect(record.exceptionCode).toBe(STATUS_GUARD_PAGE_VIOLATION);
    expect(mmu.read32(base + 4)).toBe(0);
    expect(process.getWriteWatch(base, size)).toEqual([]);
    mmu.write32(record.exceptionInformation[1], 0x102); // what test_guard_page's handler does
    expect(process.getWriteWatch(base, size)).toEqual([base]);
  });

  it('B58 a service call stopped by a guard page records nothing (B52)', () => {
    const { process, base } = watched(PAGE_READWRITE | PAGE_GUARD);
    expectWin32(() => process.writeMemory(base, new Uint8Array(4)), STATUS_GUARD_PAGE_VIOLATION);
    expect(process.getWriteWatch(base, size)).toEqual([]);
  });
});

describe('B103: fork and write watch', () => {
  it('B103 the child gets a copy of the records and keeps its own, also on copy-on-write pages', () => {
    const { kernel, process, mmu, base } = watched(PAGE_READWRITE, { cpus: 2 });
    mmu.write32(base, 1);
    mmu.write32(base + pg, 2);
    process.getWriteWatch(base + pg, pg, true); // page 1 written but reset: shared copy-on-write and armed
    const child = process.fork();
    const childMmu = kernel.run(1, child).mmu;
    expect(child.getWriteWatch(base, size)).toEqual([base]);
    childMmu.write32(base + pg, 20); // one fault: copy-on-write and the record
    expect(child.getWriteWatch(base, size)).toEqual([base, base + pg]);
    expect(process.getWriteWatch(base, size)).toEqual([base]);
    child.resetWriteWatch(base, size);
    expect(process.getWriteWatch(base, size)).toEqual([base]);
    mmu.write32(base + pg, 3);
    expect(process.getWriteWatch(base, size)).toEqual([base, base + pg]);
    expect(child.getWriteWatch(base, size)).toEqual([]);
    expect(mmu.read32(base + pg)).toBe(3);
    expect(childMmu.read32(base + pg)).toBe(20);
  });
});

describe('B103: verify() and write watch', () => {
  it('B103 verify() reports a writable entry on a watched page not written since the reset', () => {
    const { kernel, process, mmu, base } = watched();
    mmu.write8(base, 1);
    process.resetWriteWatch(base, pg);
    expect(verify(kernel)).toEqual([]);
    const allocation = process.regions.find(base)!;
    process.space.tables.mapPage(base, allocation.frame[0] * pg, { user: true, writable: true }); // behind the kernel's back
    forgetKernel(kernel);
    expect(verify(kernel).map((problem) => problem.kind)).toContain('pte-permission');
  });
});
