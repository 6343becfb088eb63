// The NT flavour of the virtual-memory calls (issue 15): NtAllocateVirtualMemory,
// NtFreeVirtualMemory, NtProtectVirtualMemory, NtQueryVirtualMemory, and VirtualLock /
// VirtualUnlock. Each behaviour is checked on the call's outputs and on VirtualQuery afterwards;
// boot() checks verify() after every test.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AT_ROUND_TO_PAGE,
  ERROR_NOACCESS,
  ERROR_NOT_LOCKED,
  FILE_MAP_COPY,
  FILE_MAP_READ,
  FILE_MAP_WRITE,
  MEM_COMMIT,
  MEM_DECOMMIT,
  MEM_FREE,
  MEM_PRIVATE,
  MEM_RELEASE,
  MEM_RESERVE,
  MEM_RESET_UNDO,
  MEM_TOP_DOWN,
  MEM_WRITE_WATCH,
  MemoryInformationClass,
  MemoryRegionType,
  PAGE_EXECUTE_READ,
  PAGE_GUARD,
  PAGE_NOACCESS,
  PAGE_READONLY,
  PAGE_READWRITE,
  PAGE_WRITECOPY,
  STATUS_ACCESS_VIOLATION,
  STATUS_CONFLICTING_ADDRESSES,
  STATUS_FREE_VM_NOT_AT_BASE,
  STATUS_GUARD_PAGE_VIOLATION,
  STATUS_INVALID_ADDRESS,
  STATUS_INVALID_INFO_CLASS,
  STATUS_INVALID_PAGE_PROTECTION,
  STATUS_INVALID_PARAMETER,
  STATUS_INVALID_PARAMETER_3,
  STATUS_INVALID_PARAMETER_5,
  STATUS_MEMORY_NOT_ALLOCATED,
  STATUS_NOT_COMMITTED,
  STATUS_NOT_LOCKED,
  STATUS_NO_MEMORY,
  STATUS_SUCCESS,
  STATUS_UNABLE_TO_FREE_VM,
  parsePe,
} from '../../src/index.js';
import { boot, expectWin32 } from './helpers.js';

const PG = 0x1000;
const { MemoryBasicInformation: BASIC, MemoryRegionInformation: REGION, MemoryImageInformation: IMAGE } = MemoryInformationClass;
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../../fixtures/pe/${name}`, import.meta.url)));

/** VirtualQuery's answer as a tuple: base, allocation base, size, state, protect. */
function vq(process: ReturnType<typeof boot>['process'], address: number) {
  const i = process.virtualQuery(address);
  return [i.baseAddress, i.allocationBase, i.regionSize, i.state, i.protect];
}

describe('NtAllocateVirtualMemory', () => {
  it('B1: size 0 → STATUS_INVALID_PARAMETER, outputs untouched', () => {
    const { process } = boot();
    expect(process.ntAllocateVirtualMemory(0, 0, MEM_RESERVE, PAGE_NOACCESS)).toEqual({ status: STATUS_INVALID_PARAMETER, base: 0, size: 0 });
    expect(process.virtualQuery(0x10000).state).toBe(MEM_FREE);
  });

  it('B18: outputs are rounded: reserve to 64 KiB, commit to a page, size to the pages touched', () => {
    const { process } = boot();
    const r = process.ntAllocateVirtualMemory(0, 0x1234, MEM_RESERVE, PAGE_READWRITE);
    expect(r).toEqual({ status: STATUS_SUCCESS, base: 0x10000, size: 0x2000 });
    expect(vq(process, r.base)).toEqual([0x10000, 0x10000, 0x2000, MEM_RESERVE, 0]);
    // A 2-byte commit straddling a page boundary covers both pages.
    expect(process.ntAllocateVirtualMemory(r.base + 0xfff, 2, MEM_COMMIT, PAGE_READWRITE)).toEqual({ status: STATUS_SUCCESS, base: r.base, size: 0x2000 });
    expect(vq(process, r.base)).toEqual([r.base, r.base, 0x2000, MEM_COMMIT, PAGE_READWRITE]);
    // An explicit reserve rounds down to 64 KiB; the size runs to the end of the last page touched.
    expect(process.ntAllocateVirtualMemory(0x40_1234, 0x10, MEM_RESERVE, PAGE_READWRITE)).toEqual({ status: STATUS_SUCCESS, base: 0x40_0000, size: 0x2000 });
    expect(vq(process, 0x40_0000)).toEqual([0x40_0000, 0x40_0000, 0x2000, MEM_RESERVE, 0]);
  });

  it('B12, B16: WRITECOPY on private memory, AT_ROUND_TO_PAGE and unknown type bits are statuses', () => {
    const { process } = boot();
    expect(process.ntAllocateVirtualMemory(0, PG, MEM_RESERVE | MEM_COMMIT, PAGE_WRITECOPY).status).toBe(STATUS_INVALID_PAGE_PROTECTION);
    expect(process.ntAllocateVirtualMemory(0, PG, MEM_RESERVE | AT_ROUND_TO_PAGE, PAGE_READWRITE).status).toBe(STATUS_INVALID_PARAMETER_5);
    expect(process.ntAllocateVirtualMemory(0, PG, MEM_RESERVE | MEM_RESET_UNDO, PAGE_READWRITE).status).toBe(STATUS_INVALID_PARAMETER);
    expect(process.ntAllocateVirtualMemory(0, PG, MEM_RESERVE | 0x100, PAGE_READWRITE).status).toBe(STATUS_INVALID_PARAMETER);
    expect(process.virtualQuery(0x10000).state).toBe(MEM_FREE);
  });

  it('B17: a reserve inside a taken 64 KiB granule → STATUS_CONFLICTING_ADDRESSES, even with zero bits', () => {
    const { process } = boot();
    const p = process.ntAllocateVirtualMemory(0, PG, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE).base;
    for (const bits of [0, 12]) {
      expect(process.ntAllocateVirtualMemory(p + PG, PG, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE, bits)).toEqual({ status: STATUS_CONFLICTING_ADDRESSES, base: p + PG, size: PG });
    }
    expect(process.virtualQuery(p + PG)).toMatchObject({ state: MEM_FREE, allocationBase: 0 });
  });

  it('B19: a commit outside one reservation is a status (the Win32 call\'s NTSTATUS)', () => {
    const { process } = boot();
    const r = process.ntAllocateVirtualMemory(0x50_0000, PG, MEM_COMMIT, PAGE_READWRITE);
    expect(r.status).toBe(STATUS_NOT_COMMITTED);
    expect(process.virtualQuery(0x50_0000).state).toBe(MEM_FREE);
  });

  it('B20: zero bits 1..20 keep the allocation below 2^(32 - zeroBits), top-down too, or fail with STATUS_NO_MEMORY', () => {
    const { process } = boot();
    for (const bits of [16, 20]) expect(process.ntAllocateVirtualMemory(0, PG, MEM_RESERVE, PAGE_READWRITE, bits)).toEqual({ status: STATUS_NO_MEMORY, base: 0, size: PG }); // below 0x10000: no room
    for (const bits of [14, 12, 8, 1]) {
      for (const type of [MEM_RESERVE | MEM_COMMIT, MEM_RESERVE | MEM_COMMIT | MEM_TOP_DOWN]) {
        const r = process.ntAllocateVirtualMemory(0, PG, type, PAGE_READWRITE, bits);
        expect(r.status).toBe(STATUS_SUCCESS);
        expect(Math.floor((r.base + r.size - 1) / 2 ** (32 - bits))).toBe(0);
        expect(process.virtualQuery(r.base).state).toBe(MEM_COMMIT);
      }
    }
    // Top-down with zero bits 11: the highest granule below 2^21.
    const top = process.ntAllocateVirtualMemory(0, PG, MEM_RESERVE | MEM_TOP_DOWN, PAGE_READWRITE, 11);
    expect(top.base).toBe(2 ** 21 - 0x10000);
  });

  it('B20: zero bits 21 → STATUS_NO_MEMORY; 22..31 → STATUS_INVALID_PARAMETER_3; > 31 on 64-bit is a mask', () => {
    const { process } = boot();
    expect(process.ntAllocateVirtualMemory(0, PG, MEM_RESERVE, PAGE_READWRITE, 21).status).toBe(STATUS_NO_MEMORY);
    for (const bits of [22, 31]) expect(process.ntAllocateVirtualMemory(0, PG, MEM_RESERVE, PAGE_READWRITE, bits)).toEqual({ status: STATUS_INVALID_PARAMETER_3, base: 0, size: PG });
    const masked = process.ntAllocateVirtualMemory(0, PG, MEM_RESERVE | MEM_TOP_DOWN, PAGE_READWRITE, 0x3fff_ffff);
    expect(masked).toEqual({ status: STATUS_SUCCESS, base: 0x4000_0000 - 0x10000, size: PG });
    expect(process.virtualQuery(masked.base).state).toBe(MEM_RESERVE);
    const small = boot({ format: 'x86-32' }).process;
    expect(small.ntAllocateVirtualMemory(0, PG, MEM_RESERVE, PAGE_READWRITE, 0x3fff_ffff).status).toBe(STATUS_INVALID_PARAMETER_3);
  });

  it('B21: MEM_WRITE_WATCH without MEM_RESERVE is a status; with it, a watched reservation', () => {
    const { process } = boot();
    expect(process.ntAllocateVirtualMemory(0, 0x10000, MEM_WRITE_WATCH | MEM_COMMIT, PAGE_READWRITE).status).toBe(STATUS_INVALID_PARAMETER);
    const r = process.ntAllocateVirtualMemory(0, 0x10000, MEM_WRITE_WATCH | MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    expect(r.status).toBe(STATUS_SUCCESS);
    expect(process.getWriteWatch(r.base, r.size)).toEqual([]);
  });
});

describe('NtFreeVirtualMemory', () => {
  function sixtyFour() {
    const b = boot();
    const p = b.process.virtualAlloc(0, 0x10000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    return { ...b, p };
  }

  it('B39: a free type other than exactly one of DECOMMIT and RELEASE → STATUS_INVALID_PARAMETER', () => {
    const { process, p } = sixtyFour();
    for (const type of [0, MEM_DECOMMIT | MEM_RELEASE, 0x10000]) expect(process.ntFreeVirtualMemory(p, 0, type)).toEqual({ status: STATUS_INVALID_PARAMETER, base: p, size: 0 });
    expect(vq(process, p)).toEqual([p, p, 0x10000, MEM_COMMIT, PAGE_READWRITE]);
  });

  it('B42: size 0 away from the base → STATUS_FREE_VM_NOT_AT_BASE, outputs untouched', () => {
    const { process, p } = sixtyFour();
    for (const type of [MEM_RELEASE, MEM_DECOMMIT]) expect(process.ntFreeVirtualMemory(p + 0x1001, 0, type)).toEqual({ status: STATUS_FREE_VM_NOT_AT_BASE, base: p + 0x1001, size: 0 });
    expect(vq(process, p)).toEqual([p, p, 0x10000, MEM_COMMIT, PAGE_READWRITE]);
  });

  it('B42: size 0 rounds the address down first: DECOMMIT reports size 0, RELEASE the whole allocation', () => {
    const { process, p, kernel } = sixtyFour();
    const committed = kernel.committed;
    expect(process.ntFreeVirtualMemory(p + 0xffe, 0, MEM_DECOMMIT)).toEqual({ status: STATUS_SUCCESS, base: p, size: 0 });
    expect(vq(process, p)).toEqual([p, p, 0x10000, MEM_RESERVE, 0]);
    expect(kernel.committed).toBe(committed - 16);
    expect(process.ntFreeVirtualMemory(p + 0xfff, 0, MEM_RELEASE)).toEqual({ status: STATUS_SUCCESS, base: p, size: 0x10000 });
    expect(process.virtualQuery(p).state).toBe(MEM_FREE);
  });

  it('B43: DECOMMIT (p+0x1FFF, 2) decommits the two pages it touches', () => {
    const { process, p } = sixtyFour();
    expect(process.ntFreeVirtualMemory(p + 0x1fff, 2, MEM_DECOMMIT)).toEqual({ status: STATUS_SUCCESS, base: p + 0x1000, size: 0x2000 });
    expect(vq(process, p)).toEqual([p, p, 0x1000, MEM_COMMIT, PAGE_READWRITE]);
    expect(vq(process, p + 0x1000)).toEqual([p + 0x1000, p, 0x2000, MEM_RESERVE, 0]);
    expect(vq(process, p + 0x3000)).toEqual([p + 0x3000, p, 0xd000, MEM_COMMIT, PAGE_READWRITE]);
  });

  it('B44: RELEASE with a size releases a sub-range and splits the allocation', () => {
    const { process, p, mmu, kernel } = sixtyFour();
    mmu.write32(p, 0x11);
    mmu.write32(p + 0x2000, 0x22);
    const committed = kernel.committed;
    expect(process.ntFreeVirtualMemory(p + 0x1001, 0xfff, MEM_RELEASE)).toEqual({ status: STATUS_SUCCESS, base: p + 0x1000, size: 0x1000 });
    expect(kernel.committed).toBe(committed - 1);
    expect(process.virtualQuery(p + 0x1000)).toMatchObject({ state: MEM_FREE, allocationBase: 0, regionSize: 0x1000 });
    expect(vq(process, p)).toEqual([p, p, 0x1000, MEM_COMMIT, PAGE_READWRITE]);
    expect(vq(process, p + 0x2000)).toEqual([p + 0x2000, p + 0x2000, 0xe000, MEM_COMMIT, PAGE_READWRITE]);
    expect(process.virtualQuery(p + 0x2000)).toMatchObject({ allocationProtect: PAGE_READWRITE, type: MEM_PRIVATE });
    // The pages kept stay accessible, with their contents.
    expect([mmu.read32(p), mmu.read32(p + 0x2000)]).toEqual([0x11, 0x22]);
    // Releasing page p through (p+1, 0xfff) leaves a hole that can be reused.
    expect(process.ntFreeVirtualMemory(p + 1, 0xfff, MEM_RELEASE)).toEqual({ status: STATUS_SUCCESS, base: p, size: 0x1000 });
    expect(process.virtualQuery(p)).toMatchObject({ state: MEM_FREE, regionSize: 0x2000 });
    expect(process.ntAllocateVirtualMemory(p, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE)).toEqual({ status: STATUS_SUCCESS, base: p, size: 0x1000 });
    expect(vq(process, p)).toEqual([p, p, 0x1000, MEM_COMMIT, PAGE_READWRITE]);
    // The remaining piece is its own allocation: releasing it with size 0 at its base succeeds.
    expect(process.ntFreeVirtualMemory(p + 0x2000, 0, MEM_RELEASE)).toEqual({ status: STATUS_SUCCESS, base: p + 0x2000, size: 0xe000 });
    expect(process.virtualQuery(p + 0x2000)).toMatchObject({ state: MEM_FREE, allocationBase: 0 });
    expect(kernel.committed).toBe(committed - 16 + 1);
  });

  it('B44: the pieces keep write watch and per-page records; the Win32 VirtualFree still needs size 0 (B41)', () => {
    const { process, mmu } = boot();
    const p = process.virtualAlloc(0, 0x10000, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE);
    process.virtualProtect(p + 0x3000, PG, PAGE_READONLY);
    mmu.write32(p + 0x4000, 1);
    expect(process.ntFreeVirtualMemory(p, 0x2000, MEM_RELEASE).status).toBe(STATUS_SUCCESS);
    expect(vq(process, p + 0x2000)).toEqual([p + 0x2000, p + 0x2000, 0x1000, MEM_COMMIT, PAGE_READWRITE]);
    expect(vq(process, p + 0x3000)).toEqual([p + 0x3000, p + 0x2000, 0x1000, MEM_COMMIT, PAGE_READONLY]);
    expect(process.getWriteWatch(p + 0x2000, 0xe000)).toEqual([p + 0x4000]);
    expectWin32(() => process.virtualFree(p + 0x2000, PG, MEM_RELEASE), 87);
    process.virtualFree(p + 0x2000, 0, MEM_RELEASE);
    expect(process.virtualQuery(p).state).toBe(MEM_FREE);
  });

  it('B45: past the allocation or across two → STATUS_UNABLE_TO_FREE_VM; free memory → STATUS_MEMORY_NOT_ALLOCATED; NULL → STATUS_INVALID_PARAMETER', () => {
    const { process, p } = sixtyFour();
    process.virtualAlloc(p + 0x10000, 0x10000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    expect(process.ntFreeVirtualMemory(p, 0x11000, MEM_RELEASE)).toEqual({ status: STATUS_UNABLE_TO_FREE_VM, base: p, size: 0x11000 });
    expect(process.ntFreeVirtualMemory(p + 0x1001, 0xffff, MEM_RELEASE).status).toBe(STATUS_UNABLE_TO_FREE_VM);
    expect(process.ntFreeVirtualMemory(p, 0x20000, MEM_DECOMMIT).status).toBe(STATUS_UNABLE_TO_FREE_VM);
    expect(process.ntFreeVirtualMemory(0x7000_0000, PG, MEM_RELEASE).status).toBe(STATUS_MEMORY_NOT_ALLOCATED);
    expect(process.ntFreeVirtualMemory(0x7000_0000, PG, MEM_DECOMMIT).status).toBe(STATUS_MEMORY_NOT_ALLOCATED);
    expect(process.ntFreeVirtualMemory(0, PG, MEM_DECOMMIT).status).toBe(STATUS_INVALID_PARAMETER);
    expect(vq(process, p)).toEqual([p, p, 0x10000, MEM_COMMIT, PAGE_READWRITE]);
    expect(vq(process, p + 0x10000)).toEqual([p + 0x10000, p + 0x10000, 0x10000, MEM_COMMIT, PAGE_READWRITE]);
  });

  it('B46: a view cannot be freed → STATUS_INVALID_PARAMETER', () => {
    const { process, kernel } = boot();
    const section = kernel.createSection({ protect: PAGE_READWRITE, size: 0x10000 });
    const view = process.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    expect(process.ntFreeVirtualMemory(view, 0x10000, MEM_DECOMMIT).status).toBe(STATUS_INVALID_PARAMETER);
    expect(process.ntFreeVirtualMemory(view, 0, MEM_RELEASE).status).toBe(STATUS_INVALID_PARAMETER);
    expect(vq(process, view)).toEqual([view, view, 0x10000, MEM_COMMIT, PAGE_READWRITE]);
  });
});

describe('NtProtectVirtualMemory', () => {
  it('B35: an unaligned request covers the whole page; outputs are the page base and size', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, 0x10000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    expect(process.ntProtectVirtualMemory(p + 1, 1, PAGE_READONLY)).toEqual({ status: STATUS_SUCCESS, base: p, size: 0x1000, oldProtect: PAGE_READWRITE });
    expect(vq(process, p)).toEqual([p, p, 0x1000, MEM_COMMIT, PAGE_READONLY]);
    expect(process.ntProtectVirtualMemory(p + 0xfff, 2, PAGE_EXECUTE_READ)).toEqual({ status: STATUS_SUCCESS, base: p, size: 0x2000, oldProtect: PAGE_READONLY });
    expect(vq(process, p)).toEqual([p, p, 0x2000, MEM_COMMIT, PAGE_EXECUTE_READ]);
  });

  it('B3: reserved pages → STATUS_NOT_COMMITTED with oldProtect PAGE_NOACCESS, nothing changed', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, 0xfffc, MEM_RESERVE, PAGE_NOACCESS);
    expect(process.ntProtectVirtualMemory(p, 0xfffc, PAGE_READONLY)).toEqual({ status: STATUS_NOT_COMMITTED, base: p, size: 0xfffc, oldProtect: PAGE_NOACCESS });
    expect(vq(process, p)).toEqual([p, p, 0x10000, MEM_RESERVE, 0]);
  });

  it('B36: free memory or across allocations fails with oldProtect PAGE_NOACCESS', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, 0x10000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    process.virtualAlloc(p + 0x10000, 0x10000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    expect(process.ntProtectVirtualMemory(0x7000_0000, PG, PAGE_READONLY)).toEqual({ status: STATUS_CONFLICTING_ADDRESSES, base: 0x7000_0000, size: PG, oldProtect: PAGE_NOACCESS });
    expect(process.ntProtectVirtualMemory(p + 0xf000, 0x2000, PAGE_READONLY).oldProtect).toBe(PAGE_NOACCESS);
    expect(vq(process, p)).toEqual([p, p, 0x10000, MEM_COMMIT, PAGE_READWRITE]);
  });

  it('B12, B33: a bad protection is a status and leaves oldProtect unwritten (undefined)', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, PG, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    expect(process.ntProtectVirtualMemory(p, PG, PAGE_WRITECOPY)).toMatchObject({ status: STATUS_INVALID_PAGE_PROTECTION, base: p, size: PG });
    expect(process.ntProtectVirtualMemory(p, PG, 0x03)).toEqual({ status: STATUS_INVALID_PAGE_PROTECTION, base: p, size: PG, oldProtect: undefined });
    expect(vq(process, p)).toEqual([p, p, PG, MEM_COMMIT, PAGE_READWRITE]);
  });

  it('B37: the old protection includes PAGE_GUARD', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, PG, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
    expect(process.ntProtectVirtualMemory(p, PG, PAGE_READWRITE).oldProtect).toBe(PAGE_READWRITE | PAGE_GUARD);
    expect(vq(process, p)).toEqual([p, p, PG, MEM_COMMIT, PAGE_READWRITE]);
  });
});

describe('NtQueryVirtualMemory', () => {
  it('B24: MemoryBasicInformation is VirtualQuery\'s answer', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, 0x10000, MEM_RESERVE, PAGE_READWRITE);
    expect(process.ntQueryVirtualMemory(p + 0x1234, BASIC)).toEqual({ status: STATUS_SUCCESS, info: process.virtualQuery(p + 0x1234) });
  });

  it('B28: at or above the highest user address → STATUS_INVALID_PARAMETER', () => {
    const { process, kernel } = boot();
    for (const c of [BASIC, REGION, IMAGE]) expect(process.ntQueryVirtualMemory(kernel.userTop, c)).toEqual({ status: STATUS_INVALID_PARAMETER, info: undefined });
  });

  it('B30: MemoryRegionInformation: RegionSize is the whole allocation, CommitSize the committed bytes; free → STATUS_INVALID_ADDRESS', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, 0x10000, MEM_RESERVE, PAGE_READWRITE);
    expect(process.ntQueryVirtualMemory(p, REGION).info).toEqual({ allocationBase: p, allocationProtect: PAGE_READWRITE, regionType: MemoryRegionType.Private, regionSize: 0x10000, commitSize: 0 });
    process.virtualAlloc(p, 0x2000, MEM_COMMIT, PAGE_READWRITE);
    process.virtualProtect(p, PG, PAGE_READONLY);
    expect(process.ntQueryVirtualMemory(p + 0x5000, REGION)).toEqual({ status: STATUS_SUCCESS, info: { allocationBase: p, allocationProtect: PAGE_READWRITE, regionType: MemoryRegionType.Private, regionSize: 0x10000, commitSize: 0x2000 } });
    expect(process.virtualQuery(p).regionSize).toBe(PG); // VirtualQuery still splits by protection
    process.virtualFree(p, 0, MEM_RELEASE);
    expect(process.ntQueryVirtualMemory(p, REGION)).toEqual({ status: STATUS_INVALID_ADDRESS, info: undefined });
  });

  it('B77: a pagefile view mapped WRITECOPY is charged commit at map time; READONLY and READWRITE views are not, even after writes', () => {
    const { process, kernel, mmu } = boot();
    const section = kernel.createSection({ protect: PAGE_READWRITE, size: PG });
    const copy = process.mapViewOfSection(section, { access: FILE_MAP_COPY });
    const read = process.mapViewOfSection(section, { access: FILE_MAP_READ });
    const write = process.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    const region = (v: number) => process.ntQueryVirtualMemory(v, REGION).info!;
    expect(region(copy)).toMatchObject({ allocationProtect: PAGE_WRITECOPY, commitSize: PG, regionType: MemoryRegionType.MappedPageFile, regionSize: PG });
    mmu.write32(copy, 1);
    mmu.write32(write, 2);
    expect(region(copy).commitSize).toBe(PG);
    expect([region(read).commitSize, region(write).commitSize]).toEqual([0, 0]);
    expect(process.virtualQuery(copy).protect).toBe(PAGE_READWRITE); // B78: the written page reports READWRITE
  });

  it('B31: MemoryImageInformation: ImageBase and SizeOfImage in an image view, zeros elsewhere, STATUS_INVALID_ADDRESS past the allocation', () => {
    const { process, kernel } = boot();
    const dll = fixture('absolute32.dll');
    const { base } = process.loadImage(dll);
    const pe = parsePe(dll);
    expect(process.ntQueryVirtualMemory(base + PG, IMAGE)).toEqual({ status: STATUS_SUCCESS, info: { imageBase: base, sizeOfImage: pe.sizeOfImage, imageFlags: 0 } });
    expect(process.ntQueryVirtualMemory(base, REGION).info!.regionType).toBe(MemoryRegionType.MappedImage);
    const end = base + Math.ceil(pe.sizeOfImage / PG) * PG;
    expect(process.virtualQuery(end).state).toBe(MEM_FREE);
    expect(process.ntQueryVirtualMemory(end, IMAGE)).toEqual({ status: STATUS_INVALID_ADDRESS, info: undefined });
    const p = process.virtualAlloc(0, PG, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    const view = process.mapViewOfSection(kernel.createSection({ protect: PAGE_READWRITE, size: PG }), { access: FILE_MAP_READ });
    for (const a of [p, view]) expect(process.ntQueryVirtualMemory(a, IMAGE)).toEqual({ status: STATUS_SUCCESS, info: { imageBase: 0, sizeOfImage: 0, imageFlags: 0 } });
  });

  it('unanswered classes: STATUS_NOT_SUPPORTED for known ones, STATUS_INVALID_INFO_CLASS for unknown', () => {
    const { process } = boot();
    expect(process.ntQueryVirtualMemory(0x10000, MemoryInformationClass.MemoryWorkingSetInformation).status).toBe(0xc00000bb);
    expect(process.ntQueryVirtualMemory(0x10000, 42)).toEqual({ status: STATUS_INVALID_INFO_CLASS, info: undefined });
  });
});

describe('VirtualLock / VirtualUnlock', () => {
  it('B52: a guard page fails the first VirtualLock with GetLastError 0x80000001 and loses its guard; the second succeeds', () => {
    const { process, mmu } = boot();
    const base = process.virtualAlloc(0, 2 * PG, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    mmu.write32(base, 1);
    process.virtualProtect(base, 2 * PG, PAGE_READWRITE | PAGE_GUARD);
    const error = expectWin32(() => process.virtualLock(base, 2 * PG), STATUS_GUARD_PAGE_VIOLATION, STATUS_GUARD_PAGE_VIOLATION);
    expect(error.win32Error).toBe(0x80000001);
    // The first guard page touched lost its guard; nothing was locked.
    expect(vq(process, base)).toEqual([base, base, PG, MEM_COMMIT, PAGE_READWRITE]);
    expect(vq(process, base + PG)).toEqual([base + PG, base, PG, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD]);
    expectWin32(() => process.virtualUnlock(base, PG), ERROR_NOT_LOCKED, STATUS_NOT_LOCKED);
    expectWin32(() => process.virtualLock(base, 2 * PG), STATUS_GUARD_PAGE_VIOLATION);
    process.virtualLock(base, 2 * PG);
    expect(process.readMemory(base, 4)).toEqual(new Uint8Array([1, 0, 0, 0])); // the memory is intact
    process.virtualUnlock(base, 2 * PG);
    expect(vq(process, base)).toEqual([base, base, 2 * PG, MEM_COMMIT, PAGE_READWRITE]);
  });

  it('B53: a failed VirtualLock on a guarded write-watched page records no write', () => {
    const { process } = boot();
    const base = process.virtualAlloc(0, 0x10000, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE | PAGE_GUARD);
    expectWin32(() => process.virtualLock(base, PG), STATUS_GUARD_PAGE_VIOLATION);
    expect(process.getWriteWatch(base, 0x10000)).toEqual([]);
    process.virtualLock(base, PG);
    expect(process.getWriteWatch(base, 0x10000)).toEqual([]);
    expect(vq(process, base)).toEqual([base, base, PG, MEM_COMMIT, PAGE_READWRITE]);
  });

  it('locks are not counted, cover every page touched, and VirtualUnlock needs every page locked', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, 4 * PG, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    process.virtualLock(p + 0xfff, 2); // pages 0 and 1
    process.virtualLock(p, PG);
    expectWin32(() => process.virtualUnlock(p, 3 * PG), ERROR_NOT_LOCKED, STATUS_NOT_LOCKED); // page 2 is not locked: nothing unlocked
    process.virtualUnlock(p, 2 * PG);
    expectWin32(() => process.virtualUnlock(p, PG), ERROR_NOT_LOCKED, STATUS_NOT_LOCKED);
    expect(vq(process, p)).toEqual([p, p, 4 * PG, MEM_COMMIT, PAGE_READWRITE]);
  });

  it('reserved, free and NOACCESS pages cannot be locked (mmukit\'s choice: STATUS_ACCESS_VIOLATION / ERROR_NOACCESS)', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, 0x10000, MEM_RESERVE, PAGE_READWRITE);
    process.virtualAlloc(p, PG, MEM_COMMIT, PAGE_READWRITE);
    expectWin32(() => process.virtualLock(p, 2 * PG), ERROR_NOACCESS, STATUS_ACCESS_VIOLATION);
    expectWin32(() => process.virtualLock(0x7000_0000, PG), ERROR_NOACCESS, STATUS_ACCESS_VIOLATION);
    process.virtualProtect(p, PG, PAGE_NOACCESS);
    expectWin32(() => process.virtualLock(p, PG), ERROR_NOACCESS, STATUS_ACCESS_VIOLATION);
    expect(vq(process, p)).toEqual([p, p, PG, MEM_COMMIT, PAGE_NOACCESS]);
  });

  it('decommit, release (whole or partial) and unmap drop locks', () => {
    const { process, kernel } = boot();
    const p = process.virtualAlloc(0, 0x10000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    process.virtualLock(p, 0x10000);
    process.virtualFree(p, PG, MEM_DECOMMIT);
    process.virtualAlloc(p, PG, MEM_COMMIT, PAGE_READWRITE);
    expectWin32(() => process.virtualUnlock(p, PG), ERROR_NOT_LOCKED); // decommit dropped it
    expect(process.ntFreeVirtualMemory(p + PG, PG, MEM_RELEASE).status).toBe(STATUS_SUCCESS);
    process.virtualUnlock(p + 2 * PG, PG); // the piece kept its lock
    expectWin32(() => process.virtualUnlock(p + PG, PG), ERROR_NOT_LOCKED); // the hole is free
    process.virtualFree(p + 2 * PG, 0, MEM_RELEASE);
    expect(process.ntAllocateVirtualMemory(p + 2 * PG, PG, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE).status).toBe(STATUS_CONFLICTING_ADDRESSES); // granule p still holds page p
    const q = process.virtualAlloc(0x60_0000, PG, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    expectWin32(() => process.virtualUnlock(q, PG), ERROR_NOT_LOCKED);
    const view = process.mapViewOfSection(kernel.createSection({ protect: PAGE_READWRITE, size: PG }), { access: FILE_MAP_WRITE });
    process.virtualLock(view, PG);
    process.unmapViewOfSection(view);
    expectWin32(() => process.virtualUnlock(view, PG), ERROR_NOT_LOCKED);
    expect(process.virtualQuery(view).state).toBe(MEM_FREE);
  });
});
