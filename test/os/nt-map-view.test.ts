// NtMapViewOfSection and NtUnmapViewOfSection (issue 15): ZeroBits (B20), placement and the allocation
// type (B76), the protection against the section (B64), the commit size, the inherit disposition, and
// the commit charge of copy-on-write views (B77). boot() checks verify() after every test.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AT_ROUND_TO_PAGE,
  ERROR_COMMITMENT_LIMIT,
  FILE_MAP_COPY,
  MEM_COMMIT,
  MEM_FREE,
  MEM_IMAGE,
  MEM_LARGE_PAGES,
  MEM_MAPPED,
  MEM_RESERVE,
  MEM_TOP_DOWN,
  MemoryInformationClass,
  PAGE_EXECUTE,
  PAGE_EXECUTE_READ,
  PAGE_EXECUTE_READWRITE,
  PAGE_EXECUTE_WRITECOPY,
  PAGE_NOACCESS,
  PAGE_READONLY,
  PAGE_READWRITE,
  PAGE_WRITECOPY,
  SEC_NO_CHANGE,
  SEC_RESERVE,
  STATUS_ACCESS_VIOLATION,
  STATUS_COMMITMENT_LIMIT,
  STATUS_CONFLICTING_ADDRESSES,
  STATUS_IMAGE_NOT_AT_BASE,
  STATUS_INVALID_HANDLE,
  STATUS_INVALID_PAGE_PROTECTION,
  STATUS_INVALID_PARAMETER_3,
  STATUS_INVALID_PARAMETER_4,
  STATUS_INVALID_PARAMETER_5,
  STATUS_INVALID_PARAMETER_8,
  STATUS_INVALID_PARAMETER_9,
  STATUS_INVALID_VIEW_SIZE,
  STATUS_MAPPED_ALIGNMENT,
  STATUS_NOT_MAPPED_VIEW,
  STATUS_NO_MEMORY,
  STATUS_SECTION_PROTECTION,
  STATUS_SUCCESS,
  VIEW_SHARE,
  VIEW_UNMAP,
  WindowsError,
  type Kernel,
  type NtMapViewOptions,
  type Process,
} from '../../src/index.js';
import { boot, exceptionOf, expectWin32 } from './helpers.js';

const PG = 0x1000;
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../../fixtures/pe/${name}`, import.meta.url)));

/** Everything a failed call must leave alone: the address map, the commit charge and the section's view count. */
function snapshot(kernel: Kernel, process: Process) {
  const regions: unknown[] = [];
  for (let address = 0x10000; address < 0x100_0000; ) {
    const info = process.virtualQuery(address);
    regions.push(info);
    address = info.baseAddress + info.regionSize;
  }
  return { regions, committed: kernel.committed, views: kernel.sections().map((s) => s.viewCount) };
}

describe('NtMapViewOfSection: placement (B76) and the outputs', () => {
  it('maps at a 64 KiB-aligned address and reports the view size in whole pages and the offset', () => {
    const { kernel, process } = boot();
    const file = new Uint8Array(0x2_1234).map((_, i) => i & 0xff);
    const section = kernel.createSection({ protect: PAGE_READWRITE, file });
    const r = process.ntMapViewOfSection(section, { protect: PAGE_READONLY, offset: 0x1_0000, viewSize: 0x1001 });
    expect(r).toEqual({ status: STATUS_SUCCESS, base: r.base, viewSize: 0x2000, offset: 0x1_0000 });
    expect(r.base % 0x1_0000).toBe(0);
    expect(process.virtualQuery(r.base)).toMatchObject({ allocationProtect: PAGE_READONLY, protect: PAGE_READONLY, regionSize: 0x2000, state: MEM_COMMIT, type: MEM_MAPPED });
    expect([...process.readMemory(r.base, 4)]).toEqual([0, 1, 2, 3]); // the bytes at offset 0x10000
    const all = process.ntMapViewOfSection(section, { protect: PAGE_READONLY });
    expect(all.viewSize).toBe(0x2_2000); // viewSize 0: to the end of the section, in whole pages
  });

  it('a taken address → STATUS_CONFLICTING_ADDRESSES; an offset or base not 64 KiB aligned → STATUS_MAPPED_ALIGNMENT; outputs untouched', () => {
    const { kernel, process } = boot();
    const section = kernel.createSection({ protect: PAGE_READWRITE, size: 0x2_0000 });
    const { base } = process.ntMapViewOfSection(section, { protect: PAGE_READWRITE });
    const before = snapshot(kernel, process);
    expect(process.ntMapViewOfSection(section, { protect: PAGE_READWRITE, address: base })).toEqual({ status: STATUS_CONFLICTING_ADDRESSES, base, viewSize: 0, offset: 0 });
    expect(process.ntMapViewOfSection(section, { protect: PAGE_READWRITE, address: base, offset: 1 }).status).toBe(STATUS_MAPPED_ALIGNMENT);
    for (const address of [base + 42, base + PG]) expect(process.ntMapViewOfSection(section, { protect: PAGE_READWRITE, address })).toEqual({ status: STATUS_MAPPED_ALIGNMENT, base: address, viewSize: 0, offset: 0 });
    expect(process.ntMapViewOfSection(section, { protect: PAGE_READWRITE, viewSize: 0x2_0001 }).status).toBe(STATUS_INVALID_VIEW_SIZE);
    expect(process.ntMapViewOfSection(section, { protect: PAGE_READWRITE, viewSize: 2 ** 47 }).status).toBe(STATUS_INVALID_PARAMETER_3);
    expect(snapshot(kernel, process)).toEqual(before);
  });

  it('MEM_TOP_DOWN picks the highest free range', () => {
    const { kernel, process } = boot();
    const section = kernel.createSection({ protect: PAGE_READWRITE, size: PG });
    const low = process.ntMapViewOfSection(section, { protect: PAGE_READWRITE }).base;
    const high = process.ntMapViewOfSection(section, { protect: PAGE_READWRITE, allocationType: MEM_TOP_DOWN }).base;
    expect(high).toBe(kernel.userTop - 0x1_0000);
    expect(low).toBeLessThan(0x100_0000);
  });

  it('AT_ROUND_TO_PAGE: STATUS_INVALID_PARAMETER_9 on 64-bit; on 32-bit a page-aligned base, rounded down, still checked for conflicts', () => {
    const wide = boot();
    const s64 = wide.kernel.createSection({ protect: PAGE_READWRITE, size: PG });
    expect(wide.process.ntMapViewOfSection(s64, { protect: PAGE_READWRITE, address: 0x50_1000, allocationType: AT_ROUND_TO_PAGE }).status).toBe(STATUS_INVALID_PARAMETER_9);

    const { kernel, process } = boot({ format: 'x86-32' });
    const section = kernel.createSection({ protect: PAGE_READWRITE, size: PG });
    const ptr = process.ntMapViewOfSection(section, { protect: PAGE_READWRITE }).base;
    expect(process.ntMapViewOfSection(section, { protect: PAGE_READWRITE, address: ptr, allocationType: AT_ROUND_TO_PAGE }).status).toBe(STATUS_CONFLICTING_ADDRESSES);
    expect(process.ntMapViewOfSection(section, { protect: PAGE_READWRITE, address: ptr + 42, allocationType: AT_ROUND_TO_PAGE }).status).toBe(STATUS_CONFLICTING_ADDRESSES);
    for (const [asked, got] of [[ptr + PG, ptr + PG], [ptr + PG + 1, ptr + PG], [ptr + 2 * PG, ptr + 2 * PG]]) {
      const r = process.ntMapViewOfSection(section, { protect: PAGE_READWRITE, address: asked, allocationType: AT_ROUND_TO_PAGE });
      expect(r).toEqual({ status: STATUS_SUCCESS, base: got, viewSize: PG, offset: 0 });
      expect(process.ntUnmapViewOfSection(got)).toBe(STATUS_SUCCESS);
    }
  });
});

describe('NtMapViewOfSection: ZeroBits (B20)', () => {
  it('1..20 with MEM_TOP_DOWN keep the view below 2^(32 - zeroBits) or fail with STATUS_NO_MEMORY; 21 never succeeds; 22 → STATUS_INVALID_PARAMETER_4', () => {
    const { kernel, process } = boot();
    const section = kernel.createSection({ protect: PAGE_READWRITE, size: PG });
    let mapped = 0;
    for (let zeroBits = 1; zeroBits <= 20; zeroBits++) {
      const r = process.ntMapViewOfSection(section, { protect: PAGE_READWRITE, zeroBits, allocationType: MEM_TOP_DOWN });
      if (r.status === STATUS_NO_MEMORY) continue;
      expect(r.status).toBe(STATUS_SUCCESS);
      expect(Math.floor(r.base / 2 ** (32 - zeroBits))).toBe(0);
      expect(r.base).toBe(2 ** (32 - zeroBits) - 0x1_0000); // top-down: the highest granule under the bound
      expect(process.ntUnmapViewOfSection(r.base)).toBe(STATUS_SUCCESS);
      mapped++;
    }
    expect(mapped).toBe(15); // 1..15 fit above 0x10000; 16..20 leave no room
    expect(process.ntMapViewOfSection(section, { protect: PAGE_READWRITE, zeroBits: 21 }).status).toBe(STATUS_NO_MEMORY);
    expect(process.ntMapViewOfSection(section, { protect: PAGE_READWRITE, zeroBits: 22 }).status).toBe(STATUS_INVALID_PARAMETER_4);
  });

  it('above 31 on 64-bit, a mask of leading zeros; on 32-bit, STATUS_INVALID_PARAMETER_4', () => {
    const { kernel, process } = boot();
    const section = kernel.createSection({ protect: PAGE_READWRITE, size: PG });
    const r = process.ntMapViewOfSection(section, { protect: PAGE_READWRITE, zeroBits: 0x1aaa_aaaa, allocationType: MEM_TOP_DOWN });
    expect(r.status).toBe(STATUS_SUCCESS);
    expect(r.base).toBe(0x2000_0000 - 0x1_0000); // below 2^29, the power of two above the mask's top bit
    const narrow = boot({ format: 'x86-32' });
    const s32 = narrow.kernel.createSection({ protect: PAGE_READWRITE, size: PG });
    expect(narrow.process.ntMapViewOfSection(s32, { protect: PAGE_READWRITE, zeroBits: 0x1aaa_aaaa }).status).toBe(STATUS_INVALID_PARAMETER_4);
  });

  it('an explicit address must satisfy ZeroBits (STATUS_INVALID_PARAMETER_4, before its alignment); one that does is then checked for alignment', () => {
    const { kernel, process } = boot();
    const section = kernel.createSection({ protect: PAGE_READWRITE, size: PG });
    const address = 0x1000_1000; // not 64 KiB aligned, between 2^28 and 2^29
    expect(process.ntMapViewOfSection(section, { protect: PAGE_READWRITE, address, zeroBits: 4 }).status).toBe(STATUS_INVALID_PARAMETER_4); // bound 2^28
    expect(process.ntMapViewOfSection(section, { protect: PAGE_READWRITE, address, zeroBits: 3 }).status).toBe(STATUS_MAPPED_ALIGNMENT); // bound 2^29
    expect(process.ntMapViewOfSection(section, { protect: PAGE_READWRITE, address: 0x1000_0000, zeroBits: 3 }).status).toBe(STATUS_SUCCESS);
  });
});

describe('NtMapViewOfSection: the protection against the section (B64)', () => {
  const cases: Array<[number, number, number]> = [
    [PAGE_READWRITE, PAGE_READONLY, STATUS_SUCCESS],
    [PAGE_READWRITE, PAGE_NOACCESS, STATUS_SUCCESS],
    [PAGE_READWRITE, PAGE_READWRITE, STATUS_SUCCESS],
    [PAGE_READWRITE, PAGE_WRITECOPY, STATUS_SUCCESS],
    [PAGE_READWRITE, PAGE_EXECUTE_WRITECOPY, STATUS_SECTION_PROTECTION],
    [PAGE_READONLY, PAGE_READWRITE, STATUS_SECTION_PROTECTION],
    [PAGE_READONLY, PAGE_WRITECOPY, STATUS_SUCCESS],
    [PAGE_READONLY, PAGE_EXECUTE_READ, STATUS_SECTION_PROTECTION],
    [PAGE_READONLY, PAGE_EXECUTE, STATUS_SECTION_PROTECTION],
    [PAGE_READONLY, PAGE_READONLY, STATUS_SUCCESS],
    [PAGE_READONLY, PAGE_NOACCESS, STATUS_SUCCESS],
    [PAGE_READONLY, PAGE_READWRITE | PAGE_READONLY, STATUS_INVALID_PAGE_PROTECTION],
    [PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_READWRITE, STATUS_SUCCESS],
    [PAGE_EXECUTE_READ, PAGE_EXECUTE_WRITECOPY, STATUS_SUCCESS],
  ];
  it.each(cases)('a section with protection %d mapped with %d → status %d; the view reports the protection it was given', (sectionProtect, protect, status) => {
    const { kernel, process } = boot();
    const section = kernel.createSection({ protect: sectionProtect, size: PG });
    const r = process.ntMapViewOfSection(section, { protect });
    expect(r.status).toBe(status);
    if (status === STATUS_SUCCESS) expect(process.virtualQuery(r.base)).toMatchObject({ allocationProtect: protect, protect, type: MEM_MAPPED });
    else expect(section.viewCount).toBe(0);
  });

  it('a read-only view faults on a write; a no-access view on a read', () => {
    const { kernel, process, mmu } = boot();
    const section = kernel.createSection({ protect: PAGE_READWRITE, size: PG });
    const ro = process.ntMapViewOfSection(section, { protect: PAGE_READONLY }).base;
    const none = process.ntMapViewOfSection(section, { protect: PAGE_NOACCESS }).base;
    expect(exceptionOf(() => mmu.write32(ro, 1)).exceptionCode).toBe(STATUS_ACCESS_VIOLATION);
    expect(exceptionOf(() => mmu.read32(none)).exceptionCode).toBe(STATUS_ACCESS_VIOLATION);
  });
});

describe('NtMapViewOfSection: commit size and allocation type', () => {
  it('CommitSize commits the first pages of a SEC_RESERVE view; larger than the view → STATUS_INVALID_PARAMETER_5', () => {
    const { kernel, process } = boot();
    const section = kernel.createSection({ protect: PAGE_READWRITE, size: 0x4000, attributes: SEC_RESERVE });
    const r = process.ntMapViewOfSection(section, { protect: PAGE_READWRITE, commitSize: 0x1001 });
    expect(r.status).toBe(STATUS_SUCCESS);
    expect(process.virtualQuery(r.base)).toMatchObject({ state: MEM_COMMIT, regionSize: 0x2000, protect: PAGE_READWRITE });
    expect(process.virtualQuery(r.base + 0x2000)).toMatchObject({ state: MEM_RESERVE, regionSize: 0x2000 });
    expect(kernel.committed).toBe(2);
    expect(process.ntMapViewOfSection(section, { protect: PAGE_READWRITE, viewSize: PG, commitSize: PG + 1 }).status).toBe(STATUS_INVALID_PARAMETER_5);
  });

  it('a commit that does not fit fails with STATUS_COMMITMENT_LIMIT and leaves no view', () => {
    const { kernel, process } = boot({ commitLimit: 2 });
    const section = kernel.createSection({ protect: PAGE_READWRITE, size: 0x4000, attributes: SEC_RESERVE });
    const before = snapshot(kernel, process);
    expect(process.ntMapViewOfSection(section, { protect: PAGE_READWRITE, commitSize: 0x3000 }).status).toBe(STATUS_COMMITMENT_LIMIT);
    expect(snapshot(kernel, process)).toEqual(before);
  });

  it('a file section: CommitSize without MEM_RESERVE → STATUS_INVALID_PARAMETER_5; MEM_RESERVE lets the view run past the section, those pages reserved', () => {
    const { kernel, process, mmu } = boot();
    const file = new Uint8Array(0x1800).fill(7);
    const section = kernel.createSection({ protect: PAGE_READWRITE, file });
    expect(process.ntMapViewOfSection(section, { protect: PAGE_READWRITE, commitSize: 500 }).status).toBe(STATUS_INVALID_PARAMETER_5);
    expect(process.ntMapViewOfSection(section, { protect: PAGE_READWRITE, viewSize: 0x4000 }).status).toBe(STATUS_INVALID_VIEW_SIZE);
    const r = process.ntMapViewOfSection(section, { protect: PAGE_READWRITE, viewSize: 0x4000, commitSize: 500, allocationType: MEM_RESERVE });
    expect(r).toMatchObject({ status: STATUS_SUCCESS, viewSize: 0x4000 });
    expect(process.virtualQuery(r.base)).toMatchObject({ state: MEM_COMMIT, regionSize: 0x2000 });
    expect(process.virtualQuery(r.base + 0x2000)).toMatchObject({ state: MEM_RESERVE, regionSize: 0x2000, type: MEM_MAPPED });
    expect(mmu.read8(r.base + 0x17ff)).toBe(7);
    expect(exceptionOf(() => mmu.read8(r.base + 0x2000)).exceptionCode).toBe(STATUS_ACCESS_VIOLATION);
    expect(process.flushViewOfFile(r.base, 0)).toBe(0);
    // A read-only section cannot grow: MEM_RESERVE needs write access to it.
    const ro = kernel.createSection({ protect: PAGE_READONLY, file });
    expect(process.ntMapViewOfSection(ro, { protect: PAGE_READONLY, allocationType: MEM_RESERVE }).status).toBe(STATUS_SECTION_PROTECTION);
  });

  it('MEM_RESERVE on a page-file section, MEM_COMMIT, SEC_NO_CHANGE and unknown bits → STATUS_INVALID_PARAMETER_9; MEM_LARGE_PAGES is accepted', () => {
    const { kernel, process } = boot();
    const section = kernel.createSection({ protect: PAGE_READWRITE, size: PG });
    for (const allocationType of [MEM_RESERVE, MEM_RESERVE | MEM_COMMIT, SEC_NO_CHANGE, 0x100]) {
      expect(process.ntMapViewOfSection(section, { protect: PAGE_READWRITE, allocationType }).status).toBe(STATUS_INVALID_PARAMETER_9);
    }
    expect(section.viewCount).toBe(0);
    expect(process.ntMapViewOfSection(section, { protect: PAGE_READWRITE, allocationType: MEM_LARGE_PAGES }).status).toBe(STATUS_SUCCESS);
  });
});

describe('NtMapViewOfSection: inherit disposition', () => {
  it('VIEW_SHARE views are shared with a forked child; VIEW_UNMAP views are not in it; anything else → STATUS_INVALID_PARAMETER_8', () => {
    const { kernel, process } = boot();
    const section = kernel.createSection({ protect: PAGE_READWRITE, size: PG });
    expect(process.ntMapViewOfSection(section, { protect: PAGE_READWRITE, inheritDisposition: 3 }).status).toBe(STATUS_INVALID_PARAMETER_8);
    expect(process.ntMapViewOfSection(section, { protect: PAGE_READWRITE, inheritDisposition: 0 }).status).toBe(STATUS_INVALID_PARAMETER_8);
    const shared = process.ntMapViewOfSection(section, { protect: PAGE_READWRITE, inheritDisposition: VIEW_SHARE }).base;
    const kept = process.ntMapViewOfSection(section, { protect: PAGE_READWRITE, inheritDisposition: VIEW_UNMAP }).base;
    const child = process.fork();
    expect(child.virtualQuery(kept).state).toBe(MEM_FREE);
    expect(child.virtualQuery(shared)).toMatchObject({ state: MEM_COMMIT, type: MEM_MAPPED });
    child.writeMemory(shared, new Uint8Array([0x5a]));
    expect(process.readMemory(kept, 1)[0]).toBe(0x5a); // one section behind all three views
    expect(section.viewCount).toBe(3);
    child.exit();
    expect(section.viewCount).toBe(2);
  });
});

describe('NtMapViewOfSection: the commit charge of a copy-on-write view (B77)', () => {
  it('a WRITECOPY view is charged a page per section page when mapped, in the fork too, and gives it back when unmapped', () => {
    const { kernel, process, mmu } = boot();
    const section = kernel.createSection({ protect: PAGE_READWRITE, size: 0x3000 });
    expect(kernel.committed).toBe(3); // the SEC_COMMIT section itself
    const copy = process.ntMapViewOfSection(section, { protect: PAGE_WRITECOPY, viewSize: 0x2000 }).base;
    expect(kernel.committed).toBe(5);
    process.ntMapViewOfSection(section, { protect: PAGE_EXECUTE_WRITECOPY, allocationType: 0 }); // not granted by a READWRITE section
    process.ntMapViewOfSection(section, { protect: PAGE_READWRITE });
    expect(kernel.committed).toBe(5); // a read/write view is not charged
    mmu.write32(copy, 1); // the private copy is covered by the charge
    expect(kernel.committed).toBe(5);
    expect(process.ntQueryVirtualMemory(copy, MemoryInformationClass.MemoryRegionInformation).info!.commitSize).toBe(0x2000);
    const child = process.fork();
    expect(kernel.committed).toBe(7);
    child.exit();
    expect(process.ntUnmapViewOfSection(copy)).toBe(STATUS_SUCCESS);
    expect(kernel.committed).toBe(3);
  });

  it('past the commit limit the map fails with STATUS_COMMITMENT_LIMIT (MapViewOfFile: ERROR_COMMITMENT_LIMIT) and changes nothing', () => {
    const { kernel, process } = boot({ commitLimit: 4 });
    const section = kernel.createSection({ protect: PAGE_READWRITE, size: 0x3000 });
    const before = snapshot(kernel, process);
    expect(process.ntMapViewOfSection(section, { protect: PAGE_WRITECOPY }).status).toBe(STATUS_COMMITMENT_LIMIT);
    expectWin32(() => process.mapViewOfSection(section, { access: FILE_MAP_COPY }), ERROR_COMMITMENT_LIMIT, STATUS_COMMITMENT_LIMIT);
    expect(snapshot(kernel, process)).toEqual(before);
    expect(process.ntMapViewOfSection(section, { protect: PAGE_WRITECOPY, viewSize: PG }).status).toBe(STATUS_SUCCESS);
    expect(kernel.committed).toBe(4);
  });
});

describe('NtMapViewOfSection: image sections (B84, B91, B92)', () => {
  it('maps the image whole at its base, then elsewhere with STATUS_IMAGE_NOT_AT_BASE; the protection is not the view\'s', () => {
    const { kernel, process } = boot({ format: 'x86-32' });
    const section = kernel.createImageSection(fixture('norelocs32.dll')); // not DYNAMIC_BASE: the kernel does not relocate it
    const first = process.ntMapViewOfSection(section, { protect: PAGE_READONLY });
    expect(first).toEqual({ status: STATUS_SUCCESS, base: 0x1000_0000, viewSize: section.size, offset: 0 });
    expect(process.virtualQuery(first.base)).toMatchObject({ type: MEM_IMAGE, allocationProtect: PAGE_EXECUTE_WRITECOPY });
    const second = process.ntMapViewOfSection(section, { protect: PAGE_READONLY });
    expect(second.status).toBe(STATUS_IMAGE_NOT_AT_BASE);
    expect(second.base).not.toBe(first.base);
    expect(process.ntMapViewOfSection(section, { protect: PAGE_READONLY, offset: 0x1_0000 }).status).toBe(STATUS_INVALID_VIEW_SIZE);
  });

  it('ZeroBits moves a 64-bit image whose base is above the bound below it (relocated by the kernel: DYNAMIC_BASE)', () => {
    const { kernel, process, mmu } = boot();
    const dll = fixture('absolute64.dll');
    const section = kernel.createImageSection(dll);
    const r = process.ntMapViewOfSection(section, { protect: PAGE_READONLY, zeroBits: 0x7fff_ffff });
    expect(r.status).toBe(STATUS_SUCCESS);
    expect(r.base + section.size).toBeLessThanOrEqual(2 ** 31);
    expect(r.base % 0x1_0000).toBe(0);
    const e_lfanew = mmu.read32(r.base + 0x3c);
    const imageBase = Number(process.readMemory(r.base + e_lfanew + 24 + 24, 8).reduce((acc, b, i) => acc + BigInt(b) * 256n ** BigInt(i), 0n));
    expect(imageBase).toBe(r.base); // B92: the header says where the kernel put it
  });
});

describe('NtMapViewOfSection: handles, and which error wins', () => {
  it('a closed section → STATUS_INVALID_HANDLE; an exited process throws STATUS_INVALID_HANDLE', () => {
    const { kernel, process } = boot();
    const section = kernel.createSection({ protect: PAGE_READWRITE, size: PG });
    kernel.closeSection(section);
    expect(process.ntMapViewOfSection(section, { protect: PAGE_READWRITE })).toEqual({ status: STATUS_INVALID_HANDLE, base: 0, viewSize: 0, offset: 0 });
    const open = kernel.createSection({ protect: PAGE_READWRITE, size: PG });
    const other = kernel.createProcess();
    other.exit();
    expect(() => other.ntMapViewOfSection(open, { protect: PAGE_READWRITE })).toThrow(WindowsError);
    expect(() => process.ntMapViewOfSection(open, { protect: -1 } as NtMapViewOptions)).toThrow(WindowsError);
    expect(() => process.ntMapViewOfSection(open, { protect: PAGE_READWRITE, size: 1 } as unknown as NtMapViewOptions)).toThrow(/size/);
  });

  // Each pair: the earlier check's status wins over the later one's (docs/kernel.md, "Which error wins").
  it('the checks come in their documented order', () => {
    const { kernel, process } = boot();
    const rw = kernel.createSection({ protect: PAGE_READWRITE, size: 0x2_0000 });
    const ro = kernel.createSection({ protect: PAGE_READONLY, size: 0x2_0000 });
    const closed = kernel.createSection({ protect: PAGE_READWRITE, size: PG });
    kernel.closeSection(closed);
    const taken = process.ntMapViewOfSection(rw, { protect: PAGE_READWRITE }).base;
    const before = snapshot(kernel, process);
    const order: Array<[string, () => number, number]> = [
      ['type over inherit', () => process.ntMapViewOfSection(rw, { protect: PAGE_READWRITE, allocationType: MEM_COMMIT, inheritDisposition: 9 }).status, STATUS_INVALID_PARAMETER_9],
      ['inherit over protection', () => process.ntMapViewOfSection(rw, { protect: 0, inheritDisposition: 9 }).status, STATUS_INVALID_PARAMETER_8],
      ['protection over zero bits', () => process.ntMapViewOfSection(rw, { protect: 0x03, zeroBits: 22 }).status, STATUS_INVALID_PAGE_PROTECTION],
      ['zero bits over the handle', () => process.ntMapViewOfSection(closed, { protect: PAGE_READWRITE, zeroBits: 22 }).status, STATUS_INVALID_PARAMETER_4],
      ['the handle over section protection', () => process.ntMapViewOfSection(closed, { protect: PAGE_EXECUTE }).status, STATUS_INVALID_HANDLE],
      ['section protection over offset alignment', () => process.ntMapViewOfSection(ro, { protect: PAGE_READWRITE, offset: 1 }).status, STATUS_SECTION_PROTECTION],
      ['offset alignment over view size', () => process.ntMapViewOfSection(rw, { protect: PAGE_READWRITE, offset: 1, viewSize: 0x10_0000 }).status, STATUS_MAPPED_ALIGNMENT],
      ['view size over commit size', () => process.ntMapViewOfSection(rw, { protect: PAGE_READWRITE, viewSize: 0x10_0000, commitSize: 0x20_0000 }).status, STATUS_INVALID_VIEW_SIZE],
      ['commit size over base alignment', () => process.ntMapViewOfSection(rw, { protect: PAGE_READWRITE, viewSize: PG, commitSize: 2 * PG, address: taken + 1 }).status, STATUS_INVALID_PARAMETER_5],
      ['base alignment over a taken range', () => process.ntMapViewOfSection(rw, { protect: PAGE_READWRITE, address: taken + PG }).status, STATUS_MAPPED_ALIGNMENT],
    ];
    for (const [name, call, status] of order) expect([name, call()]).toEqual([name, status]);
    expect(snapshot(kernel, process)).toEqual(before);
  });
});

describe('NtUnmapViewOfSection', () => {
  it('STATUS_SUCCESS from any address inside the view; STATUS_NOT_MAPPED_VIEW on private or free memory', () => {
    const { kernel, process } = boot();
    const section = kernel.createSection({ protect: PAGE_READWRITE, size: 0x3000 });
    const { base } = process.ntMapViewOfSection(section, { protect: PAGE_READWRITE });
    const p = process.virtualAlloc(0, PG, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    expect(process.ntUnmapViewOfSection(p)).toBe(STATUS_NOT_MAPPED_VIEW);
    expect(process.ntUnmapViewOfSection(base + 0x2123)).toBe(STATUS_SUCCESS);
    expect(process.ntUnmapViewOfSection(base)).toBe(STATUS_NOT_MAPPED_VIEW);
    expect(section.viewCount).toBe(0);
  });
});
