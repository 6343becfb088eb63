// The NT calls of src/os/memory/nt-lock-flush.ts: NtLockVirtualMemory, NtUnlockVirtualMemory,
// NtFlushVirtualMemory and NtAreMappedFilesTheSame, tested through their Process methods. Each rule is checked on the call's outputs and on the
// state afterwards; every failure is checked to change nothing; boot() checks verify() after
// every test.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ERROR_INVALID_HANDLE,
  MAP_PROCESS,
  MAP_SYSTEM,
  ERROR_INVALID_PARAMETER,
  FILE_MAP_COPY,
  FILE_MAP_READ,
  FILE_MAP_WRITE,
  MEM_COMMIT,
  MEM_RESERVE,
  MEM_WRITE_WATCH,
  PAGE_GUARD,
  PAGE_NOACCESS,
  PAGE_READONLY,
  PAGE_READWRITE,
  PAGE_WRITECOPY,
  STATUS_ACCESS_VIOLATION,
  STATUS_CONFLICTING_ADDRESSES,
  STATUS_GUARD_PAGE_VIOLATION,
  STATUS_INVALID_ADDRESS,
  STATUS_INVALID_PARAMETER,
  STATUS_NOT_LOCKED,
  STATUS_NOT_MAPPED_DATA,
  STATUS_NOT_MAPPED_VIEW,
  STATUS_NOT_SAME_DEVICE,
  STATUS_PRIVILEGE_NOT_HELD,
  STATUS_SUCCESS,
  STATUS_WAS_LOCKED,
  isNtSuccess,
  ntStatusToWin32,
  type Process,
} from '../../src/index.js';
import { boot, expectWin32 } from './helpers.js';

const PG = 0x1000;
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../../fixtures/pe/${name}`, import.meta.url)));

/** Everything a lock, unlock or flush may change: each allocation's per-page records. */
function state(process: Process) {
  return [...process.regions].map((a) => ({
    base: a.base,
    size: a.size,
    protect: [...a.protect],
    committed: a.view === null ? [...a.committed] : null,
    locked: a.locked === null ? null : [...a.locked],
    writeWatch: a.writeWatch === null ? null : [...a.writeWatch],
  }));
}

/** Which of the pages [address, address + pages * PG) are locked (1) or not (0). */
function lockedPages(process: Process, address: number, pages: number): number[] {
  return Array.from({ length: pages }, (_, k) => {
    const va = address + k * PG;
    const a = process.regions.find(va);
    return a?.locked?.[a.pageIndex(va)] ?? 0;
  });
}

/** A file of `pages` pages, page i filled with i + 1. */
function fileOf(pages: number): Uint8Array {
  const file = new Uint8Array(pages * PG);
  for (let i = 0; i < file.length; i++) file[i] = Math.floor(i / PG) + 1;
  return file;
}

/** A process with 4 committed read-write pages at `p`. */
function withPages(pages = 4) {
  const booted = boot();
  const p = booted.process.virtualAlloc(0, pages * PG, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
  return { ...booted, p };
}

describe('NtLockVirtualMemory', () => {
  it('locks every page the range touches; the outputs are the page base and the pages\' size', () => {
    const { process, p } = withPages();
    expect(process.ntLockVirtualMemory(p + 0xfff, 2, MAP_PROCESS)).toEqual({ status: STATUS_SUCCESS, base: p, size: 2 * PG });
    expect(lockedPages(process, p, 4)).toEqual([1, 1, 0, 0]);
  });

  it('a range with a page locked already succeeds with the informational STATUS_WAS_LOCKED, locking the rest', () => {
    const { process, p } = withPages();
    process.ntLockVirtualMemory(p, 2 * PG, MAP_PROCESS);
    const result = process.ntLockVirtualMemory(p + PG, 2 * PG, MAP_PROCESS);
    expect(result).toEqual({ status: STATUS_WAS_LOCKED, base: p + PG, size: 2 * PG });
    expect(isNtSuccess(result.status)).toBe(true);
    expect(lockedPages(process, p, 4)).toEqual([1, 1, 1, 0]);
    process.virtualLock(p, PG); // VirtualLock reports STATUS_WAS_LOCKED as success
  });

  it.each([0, 4, 5, 8, 0x8000_0001])('map type %i (no MAP_PROCESS or MAP_SYSTEM, or another bit) → STATUS_INVALID_PARAMETER, outputs as passed', (mapType) => {
    const { process, p } = withPages();
    expect(process.ntLockVirtualMemory(p + 1, PG, mapType)).toEqual({ status: STATUS_INVALID_PARAMETER, base: p + 1, size: PG });
    expect(lockedPages(process, p, 2)).toEqual([0, 0]);
  });

  it.each([MAP_SYSTEM, MAP_SYSTEM | MAP_PROCESS])('map type %i → STATUS_PRIVILEGE_NOT_HELD: no process holds SeLockMemoryPrivilege', (mapType) => {
    const { process, p } = withPages();
    expect(process.ntLockVirtualMemory(p, PG, mapType)).toEqual({ status: STATUS_PRIVILEGE_NOT_HELD, base: p, size: PG });
    expect(lockedPages(process, p, 1)).toEqual([0]);
  });

  it('size 0 or a range past the highest user address → STATUS_INVALID_PARAMETER', () => {
    const { process, kernel, p } = withPages();
    expect(process.ntLockVirtualMemory(p, 0, MAP_PROCESS).status).toBe(STATUS_INVALID_PARAMETER);
    expect(process.ntLockVirtualMemory(kernel.userTop - PG, 2 * PG, MAP_PROCESS)).toEqual({ status: STATUS_INVALID_PARAMETER, base: kernel.userTop - PG, size: 2 * PG });
    expect(process.ntLockVirtualMemory(kernel.userTop, 1, MAP_PROCESS).status).toBe(STATUS_INVALID_PARAMETER);
  });

  it('which error wins: the map type, then size and range, then MAP_SYSTEM, then the pages', () => {
    const { process, p } = withPages();
    process.virtualProtect(p, PG, PAGE_READWRITE | PAGE_GUARD);
    expect(process.ntLockVirtualMemory(p, PG, MAP_SYSTEM | 4).status).toBe(STATUS_INVALID_PARAMETER); // a bad bit beats MAP_SYSTEM
    expect(process.ntLockVirtualMemory(p, 0, 0).status).toBe(STATUS_INVALID_PARAMETER);
    expect(process.ntLockVirtualMemory(p, 0, MAP_SYSTEM).status).toBe(STATUS_INVALID_PARAMETER); // size 0 beats MAP_SYSTEM
    expect(process.ntLockVirtualMemory(0x7000_0000, PG, MAP_SYSTEM).status).toBe(STATUS_PRIVILEGE_NOT_HELD); // before the free page
    expect(process.ntLockVirtualMemory(p, PG, MAP_SYSTEM).status).toBe(STATUS_PRIVILEGE_NOT_HELD); // before the guard page...
    expect(process.virtualQuery(p).protect).toBe(PAGE_READWRITE | PAGE_GUARD); // ...which keeps its guard
  });

  it('B52: a guard page fails the call with STATUS_GUARD_PAGE_VIOLATION and loses its guard; nothing is locked; the retry succeeds', () => {
    const { process, p, mmu } = withPages();
    mmu.write32(p + PG, 7);
    process.virtualProtect(p + PG, 2 * PG, PAGE_READWRITE | PAGE_GUARD);
    expect(process.ntLockVirtualMemory(p, 3 * PG, MAP_PROCESS)).toEqual({ status: STATUS_GUARD_PAGE_VIOLATION, base: p, size: 3 * PG });
    expect(lockedPages(process, p, 3)).toEqual([0, 0, 0]);
    expect(process.virtualQuery(p + PG).protect).toBe(PAGE_READWRITE); // the first guard page touched lost its guard
    expect(process.virtualQuery(p + 2 * PG).protect).toBe(PAGE_READWRITE | PAGE_GUARD); // the next one kept it
    expect(process.ntLockVirtualMemory(p, 2 * PG, MAP_PROCESS)).toEqual({ status: STATUS_SUCCESS, base: p, size: 2 * PG });
    expect(process.readMemory(p + PG, 4)).toEqual(new Uint8Array([7, 0, 0, 0])); // the memory is intact
  });

  it('B53: a lock stopped by a guard page records no write on a write-watched page', () => {
    const { process } = boot();
    const base = process.virtualAlloc(0, 0x10000, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE | PAGE_GUARD);
    expect(process.ntLockVirtualMemory(base, PG, MAP_PROCESS).status).toBe(STATUS_GUARD_PAGE_VIOLATION);
    expect(process.getWriteWatch(base, 0x10000)).toEqual([]);
    expect(process.ntLockVirtualMemory(base, PG, MAP_PROCESS).status).toBe(STATUS_SUCCESS);
    expect(process.getWriteWatch(base, 0x10000)).toEqual([]);
  });

  it('a reserved, free or PAGE_NOACCESS page → STATUS_ACCESS_VIOLATION, nothing locked', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, 0x10000, MEM_RESERVE, PAGE_READWRITE);
    process.virtualAlloc(p, 2 * PG, MEM_COMMIT, PAGE_READWRITE);
    expect(process.ntLockVirtualMemory(p, 3 * PG, MAP_PROCESS)).toEqual({ status: STATUS_ACCESS_VIOLATION, base: p, size: 3 * PG }); // page 2 reserved
    expect(process.ntLockVirtualMemory(0x7000_0000, PG, MAP_PROCESS).status).toBe(STATUS_ACCESS_VIOLATION);
    process.virtualProtect(p + PG, PG, PAGE_NOACCESS);
    expect(process.ntLockVirtualMemory(p, 2 * PG, MAP_PROCESS).status).toBe(STATUS_ACCESS_VIOLATION);
    expect(lockedPages(process, p, 3)).toEqual([0, 0, 0]);
  });

  it('the pages are checked in order: an uncommitted page before a guard page leaves the guard alone, after it does not', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, 0x10000, MEM_RESERVE, PAGE_READWRITE);
    process.virtualAlloc(p + PG, PG, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
    expect(process.ntLockVirtualMemory(p, 2 * PG, MAP_PROCESS).status).toBe(STATUS_ACCESS_VIOLATION);
    expect(process.virtualQuery(p + PG).protect).toBe(PAGE_READWRITE | PAGE_GUARD);
    expect(process.ntLockVirtualMemory(p + PG, 2 * PG, MAP_PROCESS).status).toBe(STATUS_GUARD_PAGE_VIOLATION);
    expect(process.virtualQuery(p + PG).protect).toBe(PAGE_READWRITE);
  });

  it('a range may span allocations, views included', () => {
    const { process, kernel } = boot();
    const view = process.mapViewOfSection(kernel.createSection({ protect: PAGE_READWRITE, size: 0x10000 }), { access: FILE_MAP_READ });
    const next = process.virtualAlloc(view + 0x10000, PG, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    expect(process.ntLockVirtualMemory(next - PG, 2 * PG, MAP_PROCESS)).toEqual({ status: STATUS_SUCCESS, base: next - PG, size: 2 * PG });
    expect(lockedPages(process, next - PG, 2)).toEqual([1, 1]);
  });

  it('a failed call changes nothing', () => {
    const { process, p } = withPages();
    process.ntLockVirtualMemory(p, PG, MAP_PROCESS);
    process.virtualProtect(p + 2 * PG, PG, PAGE_NOACCESS);
    const before = state(process);
    for (const [address, size, mapType] of [[p, 3 * PG, MAP_PROCESS], [p, PG, MAP_SYSTEM], [p, PG, 0], [p, 0, MAP_PROCESS], [0x7000_0000, PG, MAP_PROCESS]]) {
      expect(isNtSuccess(process.ntLockVirtualMemory(address, size, mapType).status)).toBe(false);
      expect(state(process)).toEqual(before);
    }
  });

  it('arguments JavaScript cannot pass as the guest\'s throw STATUS_INVALID_PARAMETER; an exited process STATUS_INVALID_HANDLE', () => {
    const { process, kernel, p } = withPages();
    for (const mapType of [1.5, -1, 2 ** 32, NaN]) expectWin32(() => process.ntLockVirtualMemory(p, PG, mapType), ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER);
    for (const size of [-1, 0.5, 2 ** 53]) expectWin32(() => process.ntLockVirtualMemory(p, size, MAP_PROCESS), ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER);
    expectWin32(() => process.ntLockVirtualMemory(-PG, PG, MAP_PROCESS), ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER);
    const dead = kernel.createProcess();
    dead.exit();
    expectWin32(() => dead.ntLockVirtualMemory(p, PG, MAP_PROCESS), ERROR_INVALID_HANDLE);
    expectWin32(() => dead.ntUnlockVirtualMemory(p, PG, MAP_PROCESS), ERROR_INVALID_HANDLE);
  });
});

describe('NtUnlockVirtualMemory', () => {
  it('unlocks every page the range touches; the outputs are the page base and the pages\' size', () => {
    const { process, p } = withPages();
    process.ntLockVirtualMemory(p, 3 * PG, MAP_PROCESS);
    expect(process.ntUnlockVirtualMemory(p + PG + 5, PG, MAP_PROCESS)).toEqual({ status: STATUS_SUCCESS, base: p + PG, size: 2 * PG });
    expect(lockedPages(process, p, 3)).toEqual([1, 0, 0]);
  });

  it('a page that is not locked → STATUS_NOT_LOCKED and nothing is unlocked', () => {
    const { process, p } = withPages();
    process.ntLockVirtualMemory(p, 2 * PG, MAP_PROCESS);
    expect(process.ntUnlockVirtualMemory(p, 3 * PG, MAP_PROCESS)).toEqual({ status: STATUS_NOT_LOCKED, base: p, size: 3 * PG });
    expect(lockedPages(process, p, 3)).toEqual([1, 1, 0]);
  });

  it('free and reserved pages are never locked: STATUS_NOT_LOCKED', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, 0x10000, MEM_RESERVE, PAGE_READWRITE);
    expect(process.ntUnlockVirtualMemory(p, PG, MAP_PROCESS).status).toBe(STATUS_NOT_LOCKED);
    expect(process.ntUnlockVirtualMemory(0x7000_0000, PG, MAP_PROCESS).status).toBe(STATUS_NOT_LOCKED);
  });

  it('locks are not counted: one unlock undoes two locks', () => {
    const { process, p } = withPages();
    process.ntLockVirtualMemory(p, PG, MAP_PROCESS);
    process.ntLockVirtualMemory(p, PG, MAP_PROCESS);
    expect(process.ntUnlockVirtualMemory(p, PG, MAP_PROCESS).status).toBe(STATUS_SUCCESS);
    expect(process.ntUnlockVirtualMemory(p, PG, MAP_PROCESS).status).toBe(STATUS_NOT_LOCKED);
  });

  it('map type, size and range are checked as for the lock, before the pages', () => {
    const { process, kernel, p } = withPages();
    process.ntLockVirtualMemory(p, PG, MAP_PROCESS);
    expect(process.ntUnlockVirtualMemory(p, PG, 0).status).toBe(STATUS_INVALID_PARAMETER);
    expect(process.ntUnlockVirtualMemory(p, PG, 3 | 8).status).toBe(STATUS_INVALID_PARAMETER);
    expect(process.ntUnlockVirtualMemory(p, PG, MAP_SYSTEM)).toEqual({ status: STATUS_PRIVILEGE_NOT_HELD, base: p, size: PG });
    expect(process.ntUnlockVirtualMemory(p, 0, MAP_SYSTEM).status).toBe(STATUS_INVALID_PARAMETER);
    expect(process.ntUnlockVirtualMemory(kernel.userTop - PG, 2 * PG, MAP_PROCESS).status).toBe(STATUS_INVALID_PARAMETER);
    expect(process.ntUnlockVirtualMemory(0x7000_0000, PG, MAP_SYSTEM).status).toBe(STATUS_PRIVILEGE_NOT_HELD); // not STATUS_NOT_LOCKED
    expect(lockedPages(process, p, 1)).toEqual([1]);
  });

  it('a failed call changes nothing', () => {
    const { process, p } = withPages();
    process.ntLockVirtualMemory(p, 2 * PG, MAP_PROCESS);
    const before = state(process);
    for (const [address, size, mapType] of [[p, 3 * PG, MAP_PROCESS], [p, PG, MAP_SYSTEM], [p, PG, 4], [p, 0, MAP_PROCESS]]) {
      expect(isNtSuccess(process.ntUnlockVirtualMemory(address, size, mapType).status)).toBe(false);
      expect(state(process)).toEqual(before);
    }
  });

  it('shares its records with VirtualLock and VirtualUnlock (the same implementation)', () => {
    const { process, p } = withPages();
    process.virtualLock(p, 2 * PG);
    expect(process.ntUnlockVirtualMemory(p, 2 * PG, MAP_PROCESS).status).toBe(STATUS_SUCCESS);
    process.ntLockVirtualMemory(p, PG, MAP_PROCESS);
    process.virtualUnlock(p, PG);
    const error = expectWin32(() => process.virtualUnlock(p, PG), ntStatusToWin32(STATUS_NOT_LOCKED), STATUS_NOT_LOCKED);
    expect(error.message).toContain('is not locked');
  });
});

describe('NtFlushVirtualMemory', () => {
  /** A process with a 3-page file mapped FILE_MAP_WRITE at `view`. */
  function withFileView() {
    const booted = boot();
    const file = fileOf(3);
    const section = booted.kernel.createSection({ protect: PAGE_READWRITE, file });
    const view = booted.process.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    return { ...booted, file, section, view };
  }

  it('writes the dirty pages of the range back to the file; outputs the page base, the pages\' size and a zero IO_STATUS_BLOCK', () => {
    const { process, mmu, file, view } = withFileView();
    mmu.write8(view + 1, 0xaa);
    mmu.write8(view + PG + 1, 0xbb);
    expect(process.ntFlushVirtualMemory(view + 0x10, 1)).toEqual({ status: STATUS_SUCCESS, base: view, size: PG, ioStatus: { status: STATUS_SUCCESS, information: 0 } });
    expect([file[1], file[PG + 1]]).toEqual([0xaa, 2]); // the first page only
  });

  it('size 0 flushes from the address\'s page to the end of the view', () => {
    const { process, mmu, file, view } = withFileView();
    mmu.write8(view + 1, 0xaa);
    mmu.write8(view + 2 * PG + 1, 0xcc);
    expect(process.ntFlushVirtualMemory(view + PG + 7, 0)).toEqual({ status: STATUS_SUCCESS, base: view + PG, size: 2 * PG, ioStatus: { status: STATUS_SUCCESS, information: 0 } });
    expect([file[1], file[2 * PG + 1]]).toEqual([1, 0xcc]);
  });

  it('B73: a page written through a view of another section over the file is flushed too', () => {
    const { kernel, process, file, view } = withFileView();
    const other = kernel.createProcess();
    const view2 = other.mapViewOfSection(kernel.createSection({ protect: PAGE_READWRITE, file }), { access: FILE_MAP_WRITE });
    other.writeMemory(view2 + 4, new Uint8Array([0x4d, 0x3c]));
    expect(process.ntFlushVirtualMemory(view, PG).status).toBe(STATUS_SUCCESS);
    expect([file[4], file[5]]).toEqual([0x4d, 0x3c]);
  });

  it('B75: a copy-on-write view\'s writes never reach the file', () => {
    const { kernel, process, mmu } = boot();
    const file = fileOf(1);
    const view = process.mapViewOfSection(kernel.createSection({ protect: PAGE_WRITECOPY, file }), { access: FILE_MAP_COPY });
    mmu.write8(view, 0xee);
    expect(process.ntFlushVirtualMemory(view, 0).status).toBe(STATUS_SUCCESS);
    expect(file[0]).toBe(1);
  });

  it('a data view flushes while an image view of the same bytes keeps the image (ReactOS apitest Test_ImageSection)', () => {
    const { kernel, process, mmu } = boot();
    const dll = fixture('absolute32.dll');
    const original = dll.slice();
    const image = process.mapImageView(kernel.createImageSection(dll)).base;
    expect(mmu.read32(image)).toBe(0x00905a4d); // the image's header page is read in, as in the test
    const data = process.mapViewOfSection(kernel.createSection({ protect: PAGE_READWRITE, file: dll }), { access: FILE_MAP_WRITE });
    process.writeMemory(data, new Uint8Array([0xbe, 0xba, 0xad, 0xde]));
    expect(process.ntFlushVirtualMemory(data, PG).status).toBe(STATUS_SUCCESS);
    expect([...dll.subarray(0, 4)]).toEqual([0xbe, 0xba, 0xad, 0xde]);
    expect(process.readMemory(image, 4)).toEqual(original.subarray(0, 4));
  });

  it('private memory, free memory or a range past the view\'s end → STATUS_NOT_MAPPED_VIEW; base rounded, size as passed', () => {
    const { process, mmu, file, view } = withFileView();
    const p = process.virtualAlloc(0, PG, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    const failed = (status: number, base: number, size: number) => ({ status, base, size, ioStatus: { status, information: 0 } });
    expect(process.ntFlushVirtualMemory(p + 3, 5)).toEqual(failed(STATUS_NOT_MAPPED_VIEW, p, 5));
    expect(process.ntFlushVirtualMemory(0x7000_0123, 0)).toEqual(failed(STATUS_NOT_MAPPED_VIEW, 0x7000_0000, 0));
    mmu.write8(view + 1, 0xaa);
    expect(process.ntFlushVirtualMemory(view + 1, 3 * PG)).toEqual(failed(STATUS_NOT_MAPPED_VIEW, view, 3 * PG)); // one byte past the view
    expect(file[1]).toBe(1); // nothing was written
  });

  it('an anonymous view or an image view → STATUS_NOT_MAPPED_DATA (FlushViewOfFile\'s success)', () => {
    const { kernel, process } = boot();
    const anonymous = process.mapViewOfSection(kernel.createSection({ protect: PAGE_READWRITE, size: 2 * PG }), { access: FILE_MAP_WRITE });
    expect(process.ntFlushVirtualMemory(anonymous + PG, PG)).toEqual({ status: STATUS_NOT_MAPPED_DATA, base: anonymous + PG, size: PG, ioStatus: { status: STATUS_NOT_MAPPED_DATA, information: 0 } });
    const image = process.mapImageView(kernel.createImageSection(fixture('absolute32.dll'))).base;
    expect(process.ntFlushVirtualMemory(image, 0).status).toBe(STATUS_NOT_MAPPED_DATA);
    expect(ntStatusToWin32(STATUS_NOT_MAPPED_DATA)).toBe(ntStatusToWin32(STATUS_NOT_MAPPED_VIEW)); // ERROR_INVALID_ADDRESS, were it reported
  });

  it('a range past the highest user address → STATUS_INVALID_PARAMETER with no output written, before the address is looked at', () => {
    const { kernel, process } = boot();
    const top = kernel.userTop;
    expect(process.ntFlushVirtualMemory(top - PG + 1, PG)).toEqual({ status: STATUS_INVALID_PARAMETER, base: top - PG + 1, size: PG, ioStatus: undefined });
    expect(process.ntFlushVirtualMemory(top, 0).status).toBe(STATUS_INVALID_PARAMETER); // size 0: the address itself must be below
    expect(process.ntFlushVirtualMemory(top - 1, 0).status).toBe(STATUS_NOT_MAPPED_VIEW); // free, but in range
  });

  it('a failed call changes nothing, the file included', () => {
    const { process, mmu, file, view } = withFileView();
    mmu.write8(view + 2 * PG, 0x77);
    const before = [state(process), file.slice()];
    for (const [address, size] of [[view, 4 * PG], [view + 3 * PG, 0], [process.kernel.userTop, 0]]) {
      expect(isNtSuccess(process.ntFlushVirtualMemory(address, size).status)).toBe(false);
      expect([state(process), file]).toEqual(before);
    }
  });

  it('arguments JavaScript cannot pass as the guest\'s throw STATUS_INVALID_PARAMETER; an exited process STATUS_INVALID_HANDLE', () => {
    const { kernel, process, view } = withFileView();
    for (const size of [-1, 0.5, NaN]) expectWin32(() => process.ntFlushVirtualMemory(view, size), ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER);
    expectWin32(() => process.ntFlushVirtualMemory(1.5, PG), ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER);
    const dead = kernel.createProcess();
    dead.exit();
    expectWin32(() => dead.ntFlushVirtualMemory(view, PG), ERROR_INVALID_HANDLE);
  });
});

describe('NtAreMappedFilesTheSame (kernel32 tests: test_NtAreMappedFilesTheSame)', () => {
  function world() {
    const booted = boot();
    const { kernel, process } = booted;
    const file = fileOf(2);
    const section = kernel.createSection({ protect: PAGE_READWRITE, file });
    const data = process.mapViewOfSection(section, { access: FILE_MAP_READ });
    const dllBytes = fixture('absolute32.dll');
    const dll = process.mapImageView(kernel.createImageSection(dllBytes)).base;
    const private_ = process.virtualAlloc(0, 0x10000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    return { ...booted, file, section, data, dllBytes, dll, private: private_ };
  }

  it('one view, any two addresses in it → STATUS_SUCCESS', () => {
    const { process, data, dll } = world();
    expect(process.ntAreMappedFilesTheSame(data, data)).toBe(STATUS_SUCCESS);
    expect(process.ntAreMappedFilesTheSame(data, data + 30)).toBe(STATUS_SUCCESS);
    expect(process.ntAreMappedFilesTheSame(dll, dll + PG)).toBe(STATUS_SUCCESS);
  });

  it('two data views of one file, even of one section → STATUS_NOT_SAME_DEVICE', () => {
    const { kernel, process, file, section, data } = world();
    const again = process.mapViewOfSection(section, { access: FILE_MAP_READ });
    expect(process.ntAreMappedFilesTheSame(data, again)).toBe(STATUS_NOT_SAME_DEVICE);
    const readOnly = process.mapViewOfSection(kernel.createSection({ protect: PAGE_READONLY, file }), { access: FILE_MAP_READ });
    expect(process.ntAreMappedFilesTheSame(data, readOnly)).toBe(STATUS_NOT_SAME_DEVICE);
  });

  it('two image views of one image file → STATUS_SUCCESS, either order; of two images → STATUS_NOT_SAME_DEVICE', () => {
    const { kernel, process, dllBytes, dll } = world();
    const second = process.mapImageView(kernel.createImageSection(dllBytes)).base;
    expect(second).not.toBe(dll);
    expect(process.ntAreMappedFilesTheSame(dll, second)).toBe(STATUS_SUCCESS);
    expect(process.ntAreMappedFilesTheSame(second, dll)).toBe(STATUS_SUCCESS);
    const other = process.mapImageView(kernel.createImageSection(fixture('few32.dll'))).base;
    expect(process.ntAreMappedFilesTheSame(dll, other)).toBe(STATUS_NOT_SAME_DEVICE);
  });

  it('an image view, then a data view of its file → STATUS_SUCCESS; the other order → STATUS_NOT_SAME_DEVICE', () => {
    const { kernel, process, dllBytes, dll, data } = world();
    const dataOfDll = process.mapViewOfSection(kernel.createSection({ protect: PAGE_READONLY, file: dllBytes }), { access: FILE_MAP_READ });
    expect(process.ntAreMappedFilesTheSame(dll, dataOfDll)).toBe(STATUS_SUCCESS);
    expect(process.ntAreMappedFilesTheSame(dataOfDll, dll)).toBe(STATUS_NOT_SAME_DEVICE);
    expect(process.ntAreMappedFilesTheSame(data, dll)).toBe(STATUS_NOT_SAME_DEVICE);
    expect(process.ntAreMappedFilesTheSame(dll, data)).toBe(STATUS_NOT_SAME_DEVICE);
  });

  it('an address in no allocation (NULL, free, above user space) → STATUS_INVALID_ADDRESS', () => {
    const { kernel, process, data } = world();
    expect(process.ntAreMappedFilesTheSame(data, 0)).toBe(STATUS_INVALID_ADDRESS);
    expect(process.ntAreMappedFilesTheSame(0, 0)).toBe(STATUS_INVALID_ADDRESS);
    expect(process.ntAreMappedFilesTheSame(0x7000_0000, data)).toBe(STATUS_INVALID_ADDRESS);
    expect(process.ntAreMappedFilesTheSame(data, kernel.userTop + PG)).toBe(STATUS_INVALID_ADDRESS);
  });

  it('private memory → STATUS_CONFLICTING_ADDRESSES, either order; but one private allocation with itself → STATUS_SUCCESS', () => {
    const { process, data, dll, private: p } = world();
    expect(process.ntAreMappedFilesTheSame(data, p)).toBe(STATUS_CONFLICTING_ADDRESSES);
    expect(process.ntAreMappedFilesTheSame(p, dll)).toBe(STATUS_CONFLICTING_ADDRESSES);
    expect(process.ntAreMappedFilesTheSame(p, p + PG)).toBe(STATUS_SUCCESS);
  });

  it('a view of an anonymous section has no file → STATUS_CONFLICTING_ADDRESSES, unless compared with itself', () => {
    const { kernel, process, dll } = world();
    const anonymous = process.mapViewOfSection(kernel.createSection({ protect: PAGE_READWRITE, size: 2 * PG }), { access: FILE_MAP_READ });
    expect(process.ntAreMappedFilesTheSame(dll, anonymous)).toBe(STATUS_CONFLICTING_ADDRESSES);
    expect(process.ntAreMappedFilesTheSame(anonymous, dll)).toBe(STATUS_CONFLICTING_ADDRESSES);
    expect(process.ntAreMappedFilesTheSame(anonymous, anonymous + PG)).toBe(STATUS_SUCCESS);
  });

  it('which error wins: a missing allocation before private memory, whichever address it is', () => {
    const { process, private: p } = world();
    expect(process.ntAreMappedFilesTheSame(p, 0x7000_0000)).toBe(STATUS_INVALID_ADDRESS);
    expect(process.ntAreMappedFilesTheSame(0x7000_0000, p)).toBe(STATUS_INVALID_ADDRESS);
  });

  it('changes nothing, and throws only for arguments that are not addresses or an exited process', () => {
    const { kernel, process, data, dll } = world();
    const before = state(process);
    process.ntAreMappedFilesTheSame(dll, data);
    expect(state(process)).toEqual(before);
    for (const bad of [-1, 0.5, NaN]) expectWin32(() => process.ntAreMappedFilesTheSame(data, bad), ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER);
    const dead = kernel.createProcess();
    dead.exit();
    expectWin32(() => dead.ntAreMappedFilesTheSame(0, 0), ERROR_INVALID_HANDLE);
  });
});
