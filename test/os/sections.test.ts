import { describe, expect, it } from 'vitest';
import {
  ERROR_ACCESS_DENIED,
  ERROR_BAD_EXE_FORMAT,
  ERROR_INVALID_ADDRESS,
  ERROR_INVALID_PARAMETER,
  FILE_MAP_COPY,
  FILE_MAP_EXECUTE,
  FILE_MAP_READ,
  FILE_MAP_WRITE,
  MEM_COMMIT,
  MEM_DECOMMIT,
  MEM_FREE,
  MEM_MAPPED,
  MEM_RESERVE,
  MEM_RESET,
  PAGE_EXECUTE,
  PAGE_EXECUTE_READ,
  PAGE_EXECUTE_READWRITE,
  PAGE_EXECUTE_WRITECOPY,
  PAGE_NOACCESS,
  PAGE_NOCACHE,
  PAGE_READONLY,
  PAGE_READWRITE,
  PAGE_WRITECOPY,
  SEC_COMMIT,
  SEC_IMAGE,
  SEC_NOCACHE,
  SEC_RESERVE,
  STATUS_CONFLICTING_ADDRESSES,
  STATUS_MAPPED_ALIGNMENT,
  STATUS_SECTION_TOO_BIG,
} from '../../src/index.js';
import { boot, exceptionOf, expectWin32, windowsError } from './helpers.js';

const pg = 0x1000;

describe('F. Sections and views', () => {
  it('B60: CreateFileMapping accepts six protections, rejects NOACCESS, EXECUTE, 0 and mixes', () => {
    const { kernel } = boot();
    for (const protect of [PAGE_READONLY, PAGE_READWRITE, PAGE_WRITECOPY, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY]) {
      expect(kernel.createSection({ size: pg, protect }).protect).toBe(protect);
    }
    for (const protect of [0, PAGE_NOACCESS, PAGE_EXECUTE, PAGE_READONLY | PAGE_READWRITE]) {
      expectWin32(() => kernel.createSection({ size: pg, protect }), ERROR_INVALID_PARAMETER);
    }
  });

  it('B61: SEC_* validity for anonymous sections', () => {
    const { kernel } = boot();
    expect(kernel.createSection({ size: pg, protect: PAGE_READWRITE }).attributes).toBe(SEC_COMMIT);
    expect(kernel.createSection({ size: pg, protect: PAGE_READWRITE, attributes: SEC_RESERVE }).attributes).toBe(SEC_RESERVE);
    expectWin32(() => kernel.createSection({ size: pg, protect: PAGE_READWRITE, attributes: SEC_RESERVE | SEC_COMMIT }), ERROR_INVALID_PARAMETER);
    expectWin32(() => kernel.createSection({ size: pg, protect: PAGE_READWRITE, attributes: SEC_NOCACHE }), ERROR_INVALID_PARAMETER);
    expectWin32(() => kernel.createSection({ size: pg, protect: PAGE_READWRITE, attributes: SEC_IMAGE }), ERROR_BAD_EXE_FORMAT);
  });

  it('B62: file sections take the file\u2019s exact size; anonymous ones round up to a page', () => {
    const { kernel } = boot();
    const file = new Uint8Array(0x3456);
    expect(kernel.createSection({ protect: PAGE_READONLY, file }).size).toBe(0x3456);
    expect(kernel.createSection({ protect: PAGE_READONLY, file, size: 36 }).size).toBe(36);
    expect(kernel.createSection({ protect: PAGE_READWRITE, size: 0x3452 }).size).toBe(0x4000);
    expect(kernel.createSection({ protect: PAGE_READWRITE, size: 4090 }).size).toBe(0x1000);
    expect(windowsError(() => kernel.createSection({ protect: PAGE_READONLY, file, size: 0x4000 })).ntStatus).toBe(STATUS_SECTION_TOO_BIG);
  });

  it('B63: two views of one section get different 64 KiB-aligned addresses', () => {
    const { kernel, process } = boot();
    const section = kernel.createSection({ size: 0x10000, protect: PAGE_READWRITE });
    const a = process.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    const b = process.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    expect(a).not.toBe(b);
    expect(a % 0x10000).toBe(0);
    expect(b % 0x10000).toBe(0);
  });

  it('B64: view access must be granted by the section protection', () => {
    const { kernel, process } = boot();
    const rw = kernel.createSection({ size: pg, protect: PAGE_READWRITE });
    const ro = kernel.createSection({ size: pg, protect: PAGE_READONLY });
    for (const access of [FILE_MAP_READ, FILE_MAP_WRITE, FILE_MAP_COPY, 0]) process.mapViewOfSection(rw, { access });
    for (const access of [FILE_MAP_READ, FILE_MAP_COPY, 0]) process.mapViewOfSection(ro, { access });
    expectWin32(() => process.mapViewOfSection(ro, { access: FILE_MAP_WRITE }), ERROR_ACCESS_DENIED);
    expectWin32(() => process.mapViewOfSection(rw, { access: FILE_MAP_READ | FILE_MAP_EXECUTE }), ERROR_ACCESS_DENIED);
  });

  it('B67: the view\u2019s protection comes from the desired access', () => {
    const { kernel, process } = boot();
    const section = kernel.createSection({ size: pg, protect: PAGE_EXECUTE_READWRITE });
    const cases: Array<[number, number]> = [
      [0, PAGE_NOACCESS],
      [FILE_MAP_COPY, PAGE_WRITECOPY],
      [FILE_MAP_WRITE, PAGE_READWRITE],
      [FILE_MAP_WRITE | FILE_MAP_COPY, PAGE_READWRITE],
      [FILE_MAP_READ, PAGE_READONLY],
      [FILE_MAP_READ | FILE_MAP_COPY, PAGE_READONLY],
      [FILE_MAP_EXECUTE | FILE_MAP_COPY, PAGE_EXECUTE_WRITECOPY],
      [FILE_MAP_EXECUTE | FILE_MAP_READ, PAGE_EXECUTE_READ],
      [FILE_MAP_EXECUTE | FILE_MAP_WRITE, PAGE_EXECUTE_READWRITE],
    ];
    for (const [access, protect] of cases) {
      const v = process.mapViewOfSection(section, { access });
      const info = process.virtualQuery(v);
      expect([info.allocationBase, info.allocationProtect, info.state, info.protect, info.type], `access 0x${access.toString(16)}`).toEqual([v, protect, MEM_COMMIT, protect, MEM_MAPPED]);
    }
  });

  it('B68: VirtualProtect in a view only within the view\u2019s access', () => {
    const { kernel, process } = boot();
    const section = kernel.createSection({ size: 2 * pg, protect: PAGE_READWRITE });
    const readView = process.mapViewOfSection(section, { access: FILE_MAP_READ });
    expect(process.virtualProtect(readView, pg, PAGE_WRITECOPY)).toBe(PAGE_READONLY);
    expect(process.virtualProtect(readView, pg, PAGE_READONLY)).toBe(PAGE_WRITECOPY);
    expectWin32(() => process.virtualProtect(readView, pg, PAGE_READWRITE), ERROR_INVALID_PARAMETER);
    expectWin32(() => process.virtualProtect(readView, pg, PAGE_EXECUTE_READ), ERROR_INVALID_PARAMETER);
    const writeView = process.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    expect(process.virtualProtect(writeView, pg, PAGE_WRITECOPY)).toBe(PAGE_READWRITE);
  });

  it('B68: a write view protected to WRITECOPY writes to a private copy', () => {
    const { kernel, process, mmu } = boot();
    const section = kernel.createSection({ size: pg, protect: PAGE_READWRITE });
    const a = process.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    const b = process.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    process.virtualProtect(a, pg, PAGE_WRITECOPY);
    mmu.write32(a, 0x1234);
    expect(mmu.read32(b)).toBe(0);
    expect(process.virtualQuery(a).protect).toBe(PAGE_READWRITE);
  });

  it('B69: committing in a file view is denied; in an anonymous view it needs a compatible protection', () => {
    const { kernel, process } = boot();
    const fileSection = kernel.createSection({ protect: PAGE_READWRITE, file: new Uint8Array(pg) });
    const fv = process.mapViewOfSection(fileSection, { access: FILE_MAP_WRITE });
    expectWin32(() => process.virtualAlloc(fv, pg, MEM_COMMIT, PAGE_READWRITE), ERROR_ACCESS_DENIED);
    const anon = kernel.createSection({ size: pg, protect: PAGE_READWRITE, attributes: SEC_RESERVE });
    const rv = process.mapViewOfSection(anon, { access: FILE_MAP_READ });
    expectWin32(() => process.virtualAlloc(rv, pg, MEM_COMMIT, PAGE_READWRITE), ERROR_INVALID_PARAMETER);
    expect(process.virtualAlloc(rv, pg, MEM_COMMIT, PAGE_READONLY)).toBe(rv);
  });

  it('B70: commit state belongs to the section, protection to each view', () => {
    const { kernel, process } = boot();
    const section = kernel.createSection({ size: 0x100000, protect: PAGE_READWRITE, attributes: SEC_RESERVE });
    const v1 = process.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    const v2 = process.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    for (const v of [v1, v2]) {
      const info = process.virtualQuery(v);
      expect([info.allocationProtect, info.regionSize, info.state, info.protect, info.type]).toEqual([PAGE_READWRITE, 0x100000, MEM_RESERVE, 0, MEM_MAPPED]);
    }
    expect(process.virtualAlloc(v1, 0x10000, MEM_COMMIT, PAGE_READONLY)).toBe(v1);
    const i1 = process.virtualQuery(v1);
    expect([i1.regionSize, i1.state, i1.protect, i1.allocationProtect]).toEqual([0x10000, MEM_COMMIT, PAGE_READONLY, PAGE_READWRITE]);
    const i2 = process.virtualQuery(v2);
    expect([i2.regionSize, i2.state, i2.protect]).toEqual([0x10000, MEM_COMMIT, PAGE_READWRITE]);
    expect(process.virtualAlloc(v1, pg, MEM_RESET, PAGE_NOACCESS)).toBe(v1);
  });

  it('B71: in a SEC_COMMIT view, MEM_COMMIT acts like VirtualProtect; SEC_NOCACHE shows in the protection', () => {
    const { kernel, process } = boot();
    const section = kernel.createSection({ size: 0x20000, protect: PAGE_READWRITE });
    const v = process.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    process.virtualAlloc(v, 0x10000, MEM_COMMIT, PAGE_READONLY);
    const info = process.virtualQuery(v);
    expect([info.regionSize, info.protect, info.allocationProtect]).toEqual([0x10000, PAGE_READONLY, PAGE_READWRITE]);
    const nocache = kernel.createSection({ size: pg, protect: PAGE_READWRITE, attributes: SEC_COMMIT | SEC_NOCACHE });
    const n = process.mapViewOfSection(nocache, { access: FILE_MAP_WRITE });
    expect([process.virtualQuery(n).allocationProtect, process.virtualQuery(n).protect]).toEqual([PAGE_READWRITE | PAGE_NOCACHE, PAGE_READWRITE | PAGE_NOCACHE]);
    process.virtualAlloc(n, pg, MEM_COMMIT, PAGE_READONLY);
    expect(process.virtualQuery(n).protect).toBe(PAGE_READONLY | PAGE_NOCACHE);
  });

  it('B72: closing the section keeps existing views readable', () => {
    const { kernel, process, mmu } = boot();
    const section = kernel.createSection({ size: pg, protect: PAGE_READWRITE });
    const v = process.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    mmu.write32(v, 77);
    kernel.closeSection(section);
    expect(process.virtualQuery(v).type).toBe(MEM_MAPPED);
    expect(mmu.read32(v)).toBe(77);
    process.unmapViewOfSection(v);
    expect(kernel.sections()).not.toContain(section);
  });

  it('B73: writes through a shared view are seen by another process', () => {
    const { kernel, process, mmu } = boot({ cpus: 2 });
    const section = kernel.createSection({ size: pg, protect: PAGE_READWRITE });
    const parentView = process.mapViewOfSection(section, { access: FILE_MAP_READ | FILE_MAP_WRITE });
    mmu.write32(parentView, 0x1a2b3c4d);
    const child = kernel.createProcess();
    const cpu1 = kernel.run(1, child);
    const childView = child.mapViewOfSection(section, { access: FILE_MAP_READ | FILE_MAP_WRITE });
    expect(cpu1.mmu.read32(childView)).toBe(0x1a2b3c4d);
    cpu1.mmu.write32(childView + 4, 0x5555);
    expect(mmu.read32(parentView + 4)).toBe(0x5555);
  });

  it('B74: FILE_MAP_COPY writes stay private; COPY with WRITE is a shared write', () => {
    const { kernel, process, mmu } = boot({ cpus: 2 });
    const section = kernel.createSection({ size: pg, protect: PAGE_READWRITE });
    const parentView = process.mapViewOfSection(section, { access: FILE_MAP_READ });
    const child = kernel.createProcess();
    const cpu1 = kernel.run(1, child);
    const copyView = child.mapViewOfSection(section, { access: FILE_MAP_COPY });
    cpu1.mmu.write32(copyView, 0xdeadbeef);
    expect(cpu1.mmu.read32(copyView)).toBe(0xdeadbeef);
    expect(mmu.read32(parentView)).toBe(0);
    const writeView = child.mapViewOfSection(section, { access: FILE_MAP_COPY | FILE_MAP_WRITE });
    cpu1.mmu.write32(writeView, 0xdeadbeef);
    expect(mmu.read32(parentView)).toBe(0xdeadbeef);
  });

  it('B75: copy-on-write writes never reach the backing file', () => {
    const { kernel, process, mmu } = boot();
    const file = new Uint8Array(2 * pg).fill(0x11);
    const section = kernel.createSection({ protect: PAGE_WRITECOPY, file });
    const v = process.mapViewOfSection(section, { access: FILE_MAP_COPY });
    expect(mmu.read8(v + pg + 3)).toBe(0x11);
    mmu.write32(v, 0);
    mmu.write32(v + pg, 0);
    expect(file.every((b) => b === 0x11)).toBe(true);
    expect(Array.from(section.readBytes(kernel.memory, 0, 4))).toEqual([0x11, 0x11, 0x11, 0x11]);
  });

  it('B76: placement errors: taken address, unaligned address or offset', () => {
    const { kernel, process } = boot();
    const section = kernel.createSection({ size: 0x20000, protect: PAGE_READWRITE });
    const taken = process.virtualAlloc(0, 0x10000, MEM_RESERVE, PAGE_READWRITE);
    expectWin32(() => process.mapViewOfSection(section, { access: FILE_MAP_READ, address: taken }), ERROR_INVALID_ADDRESS, STATUS_CONFLICTING_ADDRESSES);
    const e1 = windowsError(() => process.mapViewOfSection(section, { access: FILE_MAP_READ, address: taken + 0x20000 + 42 }));
    expect(e1.ntStatus).toBe(STATUS_MAPPED_ALIGNMENT);
    const e2 = windowsError(() => process.mapViewOfSection(section, { access: FILE_MAP_READ, offset: 0x1000 }));
    expect(e2.ntStatus).toBe(STATUS_MAPPED_ALIGNMENT);
  });

  it('B46/B47: views are not freed by VirtualFree; any address inside unmaps the whole view', () => {
    const { kernel, process, mmu } = boot();
    const section = kernel.createSection({ size: 0x2000, protect: PAGE_READWRITE });
    const v = process.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    expectWin32(() => process.virtualFree(v, 0x1000, MEM_DECOMMIT), ERROR_INVALID_PARAMETER);
    const priv = process.virtualAlloc(0, pg, MEM_COMMIT, PAGE_READWRITE);
    expectWin32(() => process.unmapViewOfSection(priv), ERROR_INVALID_ADDRESS);
    expectWin32(() => process.unmapViewOfSection(0xdeadbeef), ERROR_INVALID_ADDRESS);
    mmu.write8(v + 0x1064, 1);
    process.unmapViewOfSection(v + 0x1064);
    expect(process.virtualQuery(v).state).toBe(MEM_FREE);
    expect(exceptionOf(() => mmu.read8(v + 0x1064)).exceptionInformation).toEqual([0, v + 0x1064]);
  });
});

describe('G. Copy-on-write reporting', () => {
  it('B78: writing one page of a WRITECOPY view turns that page alone to READWRITE', () => {
    const { kernel, process, mmu } = boot();
    const section = kernel.createSection({ size: 2 * pg, protect: PAGE_READWRITE });
    const v = process.mapViewOfSection(section, { access: FILE_MAP_COPY });
    mmu.write32(v, 1);
    const first = process.virtualQuery(v);
    expect([first.protect, first.regionSize]).toEqual([PAGE_READWRITE, pg]);
    expect(process.virtualQuery(v + pg).protect).toBe(PAGE_WRITECOPY);
  });

  it('B79/B80: after a write, WRITECOPY reads back READWRITE and EXECUTE_WRITECOPY EXECUTE_READWRITE, and the page remembers', () => {
    const { kernel, process, mmu } = boot();
    const section = kernel.createSection({ size: 2 * pg, protect: PAGE_EXECUTE_READWRITE });
    const v = process.mapViewOfSection(section, { access: FILE_MAP_WRITE | FILE_MAP_EXECUTE });
    process.virtualProtect(v, pg, PAGE_EXECUTE_WRITECOPY);
    mmu.write8(v, 1);
    expect(process.virtualQuery(v).protect).toBe(PAGE_EXECUTE_READWRITE);
    expect(process.virtualProtect(v, pg, PAGE_NOACCESS)).toBe(PAGE_EXECUTE_READWRITE);
    process.virtualProtect(v, pg, PAGE_WRITECOPY);
    expect(process.virtualQuery(v).protect).toBe(PAGE_READWRITE);
    process.virtualProtect(v, pg, PAGE_EXECUTE_WRITECOPY);
    expect(process.virtualQuery(v).protect).toBe(PAGE_EXECUTE_READWRITE);
    process.virtualProtect(v, pg, PAGE_READONLY);
    expect(process.virtualQuery(v).protect).toBe(PAGE_READONLY);
  });

  it('B82: a copied page still reports MEM_MAPPED and its AllocationProtect', () => {
    const { kernel, process, mmu } = boot();
    const section = kernel.createSection({ size: pg, protect: PAGE_READWRITE });
    const v = process.mapViewOfSection(section, { access: FILE_MAP_COPY });
    mmu.write8(v, 9);
    const info = process.virtualQuery(v);
    expect([info.type, info.allocationProtect]).toEqual([MEM_MAPPED, PAGE_WRITECOPY]);
  });
});
