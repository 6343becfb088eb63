import { describe, expect, it } from 'vitest';
import {
  AT_ROUND_TO_PAGE,
  ERROR_INVALID_ADDRESS,
  ERROR_INVALID_PARAMETER,
  MEM_COMMIT,
  MEM_DECOMMIT,
  MEM_FREE,
  MEM_PRIVATE,
  MEM_RELEASE,
  MEM_RESERVE,
  MEM_RESET,
  MEM_TOP_DOWN,
  PAGE_EXECUTE,
  PAGE_EXECUTE_READ,
  PAGE_EXECUTE_READWRITE,
  PAGE_EXECUTE_WRITECOPY,
  PAGE_GUARD,
  PAGE_NOACCESS,
  PAGE_NOCACHE,
  PAGE_READONLY,
  PAGE_READWRITE,
  PAGE_WRITECOPY,
  STATUS_CONFLICTING_ADDRESSES,
  STATUS_FREE_VM_NOT_AT_BASE,
  STATUS_INVALID_PAGE_PROTECTION,
  STATUS_MEMORY_NOT_ALLOCATED,
  STATUS_NOT_COMMITTED,
  type MemoryBasicInformation,
} from '../../src/index.js';
import { boot, expectWin32 } from './helpers.js';

const pg = 0x1000;
const vq = (info: MemoryBasicInformation) => [
  info.baseAddress,
  info.allocationBase,
  info.allocationProtect,
  info.regionSize,
  info.state,
  info.protect,
  info.type,
];

describe('A. Reserve, commit and rounding', () => {
  it('B1: a zero size fails with ERROR_INVALID_PARAMETER', () => {
    const { process } = boot();
    expectWin32(() => process.virtualAlloc(0, 0, MEM_RESERVE, PAGE_NOACCESS), ERROR_INVALID_PARAMETER);
  });

  it('B2: a reservation is 64 KiB aligned and reports Protect 0', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, 0xfffc, MEM_RESERVE, PAGE_NOACCESS);
    expect(p % 0x10000).toBe(0);
    expect(vq(process.virtualQuery(p))).toEqual([p, p, PAGE_NOACCESS, 0x10000, MEM_RESERVE, 0, MEM_PRIVATE]);
  });

  it('B3: VirtualProtect on reserved memory fails with ERROR_INVALID_ADDRESS / STATUS_NOT_COMMITTED', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, 0xfffc, MEM_RESERVE, PAGE_NOACCESS);
    expectWin32(() => process.virtualProtect(p, 0xfffc, PAGE_READONLY), ERROR_INVALID_ADDRESS, STATUS_NOT_COMMITTED);
  });

  it('B4: committing one page splits the region report', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, 0xfffc, MEM_RESERVE, PAGE_NOACCESS);
    expect(process.virtualAlloc(p, pg, MEM_COMMIT, PAGE_NOACCESS)).toBe(p);
    expect(vq(process.virtualQuery(p))).toEqual([p, p, PAGE_NOACCESS, 0x1000, MEM_COMMIT, PAGE_NOACCESS, MEM_PRIVATE]);
    expect(vq(process.virtualQuery(p + pg))).toEqual([p + pg, p, PAGE_NOACCESS, 0xf000, MEM_RESERVE, 0, MEM_PRIVATE]);
  });

  it('B5: VirtualProtect over a partly committed range fails and changes no page', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, 0xfffc, MEM_RESERVE, PAGE_NOACCESS);
    process.virtualAlloc(p, pg, MEM_COMMIT, PAGE_NOACCESS);
    expectWin32(() => process.virtualProtect(p, 0xfffc, PAGE_READONLY), ERROR_INVALID_ADDRESS);
    expect(process.virtualQuery(p).protect).toBe(PAGE_NOACCESS);
  });

  it('B6: VirtualProtect returns the previous protection; AllocationProtect stays', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, pg, MEM_RESERVE | MEM_COMMIT, PAGE_NOACCESS);
    expect(process.virtualProtect(p, pg, PAGE_READONLY)).toBe(PAGE_NOACCESS);
    expect(process.virtualProtect(p, pg, PAGE_READWRITE)).toBe(PAGE_READONLY);
    const info = process.virtualQuery(p);
    expect([info.regionSize, info.state, info.protect, info.allocationProtect]).toEqual([pg, MEM_COMMIT, PAGE_READWRITE, PAGE_NOACCESS]);
  });

  it('B7: fresh commits read zero; MEM_RESET keeps state and protection', () => {
    const { process, mmu } = boot();
    const p = process.virtualAlloc(0, pg, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    expect(mmu.read32(p + 0x10)).toBe(0);
    mmu.write32(p, 0x55555555);
    expect(process.virtualAlloc(p, pg, MEM_RESET, PAGE_NOACCESS)).toBe(p);
    const info = process.virtualQuery(p);
    expect([info.state, info.protect, info.regionSize]).toEqual([MEM_COMMIT, PAGE_READWRITE, pg]);
    expect([0, 0x55555555]).toContain(mmu.read32(p));
  });

  it('B8: MEM_RESET on reserved pages succeeds and leaves them reserved', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, 0x10000, MEM_RESERVE, PAGE_NOACCESS);
    process.virtualAlloc(p, pg, MEM_COMMIT, PAGE_READWRITE);
    expect(process.virtualAlloc(p + pg, pg, MEM_RESET, PAGE_NOACCESS)).toBe(p + pg);
    const info = process.virtualQuery(p + pg);
    expect([info.regionSize, info.state, info.protect]).toEqual([0xf000, MEM_RESERVE, 0]);
  });

  it('B9: MEM_RESET past the end of the reservation fails with ERROR_INVALID_ADDRESS', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, 0x10000, MEM_RESERVE, PAGE_NOACCESS);
    expectWin32(() => process.virtualAlloc(p + 0xf000, 0x2000, MEM_RESET, PAGE_NOACCESS), ERROR_INVALID_ADDRESS);
  });

  it('B10: protection 0 is invalid for reserve and commit', () => {
    const { process } = boot();
    expectWin32(() => process.virtualAlloc(0, pg, MEM_RESERVE, 0), ERROR_INVALID_PARAMETER);
    expectWin32(() => process.virtualAlloc(0, pg, MEM_COMMIT, 0), ERROR_INVALID_PARAMETER);
  });

  it('B11: two base protections at once are invalid, in VirtualAlloc and VirtualProtect', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, pg, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    expectWin32(() => process.virtualAlloc(p, pg, MEM_COMMIT, PAGE_READONLY | PAGE_EXECUTE), ERROR_INVALID_PARAMETER);
    expectWin32(() => process.virtualProtect(p, pg, PAGE_READWRITE | PAGE_EXECUTE_WRITECOPY), ERROR_INVALID_PARAMETER);
    expectWin32(() => process.virtualProtect(p, pg, 0), ERROR_INVALID_PARAMETER);
    expect(process.virtualQuery(p).protect).toBe(PAGE_READWRITE);
  });

  it('B12: WRITECOPY protections are invalid for private memory', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, pg, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    for (const prot of [PAGE_WRITECOPY, PAGE_EXECUTE_WRITECOPY]) {
      expectWin32(() => process.virtualAlloc(0, pg, MEM_COMMIT, prot), ERROR_INVALID_PARAMETER, STATUS_INVALID_PAGE_PROTECTION);
      expectWin32(() => process.virtualProtect(p, pg, prot), ERROR_INVALID_PARAMETER);
    }
  });

  it('B13: every private protection commits, and committing again succeeds', () => {
    const { process, mmu } = boot();
    for (const prot of [PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE, PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE]) {
      const b = process.virtualAlloc(0, pg, MEM_COMMIT, prot);
      expect(vq(process.virtualQuery(b))).toEqual([b, b, prot, pg, MEM_COMMIT, prot, MEM_PRIVATE]);
      expect(process.virtualAlloc(b, pg, MEM_COMMIT, prot)).toBe(b);
      if (prot === PAGE_READWRITE) {
        mmu.write32(b, 1);
        expect(process.virtualQuery(b).protect).toBe(PAGE_READWRITE);
      }
    }
    for (let low = 0; low <= 0xf0; low += 0x10) {
      if ([0x10, 0x20, 0x40].includes(low)) continue;
      expectWin32(() => process.virtualAlloc(0, pg, MEM_COMMIT, low | (low === 0 ? 0 : 0x1)), ERROR_INVALID_PARAMETER);
    }
  });

  it('B14: PAGE_NOCACHE is allocation-wide', () => {
    const { process } = boot();
    const a = process.virtualAlloc(0, 0x2000, MEM_COMMIT, PAGE_READWRITE | PAGE_NOCACHE);
    let info = process.virtualQuery(a);
    expect([info.allocationProtect, info.protect, info.regionSize]).toEqual([0x204, 0x204, 0x2000]);
    expect(process.virtualProtect(a, pg, PAGE_READWRITE)).toBe(0x204);
    info = process.virtualQuery(a);
    expect([info.protect, info.regionSize]).toEqual([0x204, 0x2000]);
    process.virtualProtect(a, pg, PAGE_READONLY);
    info = process.virtualQuery(a);
    expect([info.protect, info.regionSize]).toEqual([PAGE_READONLY | PAGE_NOCACHE, pg]);
    const plain = process.virtualAlloc(0, pg, MEM_COMMIT, PAGE_READWRITE);
    process.virtualProtect(plain, pg, PAGE_READONLY | PAGE_NOCACHE);
    expect(process.virtualQuery(plain).protect).toBe(PAGE_READONLY);
  });

  it('B15: a released address can be reserved again exactly', () => {
    const { process } = boot();
    const a = process.virtualAlloc(0, 0x2000, MEM_RESERVE | MEM_COMMIT, PAGE_EXECUTE_READWRITE);
    expect(a % 0x10000).toBe(0);
    process.virtualFree(a, 0, MEM_RELEASE);
    expect(process.virtualAlloc(a, pg, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE)).toBe(a);
  });

  it('B16: AT_ROUND_TO_PAGE and unknown type bits are invalid', () => {
    const { process } = boot();
    expectWin32(() => process.virtualAlloc(0, pg, MEM_RESERVE | AT_ROUND_TO_PAGE, PAGE_READWRITE), ERROR_INVALID_PARAMETER);
    expectWin32(() => process.virtualAlloc(0, pg, MEM_RESERVE | 0x4, PAGE_READWRITE), ERROR_INVALID_PARAMETER);
  });

  it('B17: reserving inside a taken 64 KiB granule conflicts', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, pg, MEM_RESERVE, PAGE_READWRITE);
    expectWin32(() => process.virtualAlloc(p + 0x1000, pg, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), ERROR_INVALID_ADDRESS, STATUS_CONFLICTING_ADDRESSES);
  });

  it('B18: a 2-byte commit straddling a page boundary commits both pages', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, 0x10000, MEM_RESERVE, PAGE_READWRITE);
    expect(process.virtualAlloc(p + 0xfff, 2, MEM_COMMIT, PAGE_READWRITE)).toBe(p);
    const info = process.virtualQuery(p);
    expect([info.state, info.regionSize]).toEqual([MEM_COMMIT, 0x2000]);
    expect(process.virtualAlloc(p + 0x10005, 1, MEM_RESERVE, PAGE_READWRITE)).toBe(p + 0x10000);
  });

  it('B19: MEM_COMMIT outside one reservation fails with ERROR_INVALID_ADDRESS', () => {
    const { process } = boot();
    const a = process.virtualAlloc(0, 0x10000, MEM_RESERVE, PAGE_READWRITE);
    process.virtualAlloc(a + 0x10000, 0x10000, MEM_RESERVE, PAGE_READWRITE);
    expectWin32(() => process.virtualAlloc(a + 0xf000, 0x2000, MEM_COMMIT, PAGE_READWRITE), ERROR_INVALID_ADDRESS);
    expectWin32(() => process.virtualAlloc(0x5000_0000, pg, MEM_COMMIT, PAGE_READWRITE), ERROR_INVALID_ADDRESS);
    expect(process.virtualQuery(a + 0xf000).state).toBe(MEM_RESERVE);
  });

  it('MEM_TOP_DOWN places the allocation at the top of user space', () => {
    const { process, kernel } = boot();
    const low = process.virtualAlloc(0, pg, MEM_RESERVE, PAGE_READWRITE);
    const high = process.virtualAlloc(0, pg, MEM_RESERVE | MEM_TOP_DOWN, PAGE_READWRITE);
    expect(high).toBeGreaterThan(low);
    expect(high + 0x10000).toBe(kernel.userTop);
  });
});

describe('B. VirtualQuery reporting and coalescing', () => {
  it('B23: free memory reports MEM_FREE, NOACCESS, no allocation, size to the next allocation', () => {
    const { process } = boot();
    const a = process.virtualAlloc(0, 0x10000, MEM_RESERVE, PAGE_READWRITE);
    const b = process.virtualAlloc(a + 0x30000, 0x10000, MEM_RESERVE, PAGE_READWRITE);
    process.virtualFree(a, 0, MEM_RELEASE);
    expect(vq(process.virtualQuery(a + 0x1234))).toEqual([a + 0x1000, 0, 0, b - (a + 0x1000), MEM_FREE, PAGE_NOACCESS, 0]);
  });

  it('B24/B25: BaseAddress is the queried page; neighbours alike coalesce', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, 0x10000, MEM_COMMIT, PAGE_READWRITE);
    process.virtualProtect(p + 0x3000, 0x1000, PAGE_READONLY);
    process.virtualProtect(p + 0x3000, 0x1000, PAGE_READWRITE);
    const info = process.virtualQuery(p + 0x2345);
    expect([info.baseAddress, info.regionSize]).toEqual([p + 0x2000, 0xe000]);
  });

  it('B26: protecting 3 pages splits the region; restoring re-merges it', () => {
    const { process } = boot();
    const base = process.virtualAlloc(0, 0x10000, MEM_COMMIT, PAGE_READWRITE);
    expect(process.virtualProtect(base, 3 * pg, PAGE_READONLY)).toBe(PAGE_READWRITE);
    expect([process.virtualQuery(base).regionSize, process.virtualQuery(base).protect]).toEqual([3 * pg, PAGE_READONLY]);
    process.virtualProtect(base, 3 * pg, PAGE_READWRITE);
    expect(process.virtualQuery(base).regionSize).toBe(0x10000);
  });

  it('B25: a region never crosses an allocation boundary', () => {
    const { process } = boot();
    const a = process.virtualAlloc(0, 0x10000, MEM_COMMIT, PAGE_READWRITE);
    process.virtualAlloc(a + 0x10000, 0x10000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    expect(process.virtualQuery(a).regionSize).toBe(0x10000);
  });

  it('B27: AllocationProtect never changes (commit, protect, guard firing)', () => {
    const { process, mmu } = boot();
    const p = process.virtualAlloc(0, 2 * pg, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
    process.virtualProtect(p + pg, pg, PAGE_READONLY);
    try {
      mmu.read32(p);
    } catch {
      // the guard fires once
    }
    expect(process.virtualQuery(p).allocationProtect).toBe(PAGE_READWRITE | PAGE_GUARD);
    expect(process.virtualQuery(p + pg).allocationProtect).toBe(PAGE_READWRITE | PAGE_GUARD);
  });

  it('B28: a query above the highest user address fails with ERROR_INVALID_PARAMETER', () => {
    const { process, kernel } = boot();
    expectWin32(() => process.virtualQuery(kernel.userTop), ERROR_INVALID_PARAMETER);
  });
});

describe('C. VirtualProtect', () => {
  it('B33: each single-bit private protection succeeds; WRITECOPY, zero and mixes fail unchanged', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, pg, MEM_COMMIT, PAGE_READWRITE);
    let previous = PAGE_READWRITE;
    for (const prot of [PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE, PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE]) {
      expect(process.virtualProtect(p, pg, prot)).toBe(previous);
      expect(process.virtualQuery(p).protect).toBe(prot);
      previous = prot;
    }
    for (const bad of [0, PAGE_WRITECOPY, PAGE_EXECUTE_WRITECOPY, 0x14, 0x06, 0x60]) {
      expectWin32(() => process.virtualProtect(p, pg, bad), ERROR_INVALID_PARAMETER);
      expect(process.virtualQuery(p).protect).toBe(PAGE_EXECUTE_READWRITE);
    }
  });

  it('B34: the old protection returned is the first page\u2019s', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, 16 * pg, MEM_COMMIT, PAGE_READWRITE);
    process.virtualProtect(p, 16 * pg, PAGE_READONLY);
    expect(process.virtualProtect(p, 8 * pg, PAGE_READWRITE)).toBe(PAGE_READONLY);
    expect(process.virtualProtect(p + 8 * pg, 8 * pg, PAGE_EXECUTE_READWRITE)).toBe(PAGE_READONLY);
    expect(process.virtualProtect(p, 16 * pg, PAGE_EXECUTE_READ)).toBe(PAGE_READWRITE);
  });

  it('B35: an unaligned one-byte request covers its whole page', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, 2 * pg, MEM_COMMIT, PAGE_READWRITE);
    process.virtualProtect(p + 1, 1, PAGE_READONLY);
    expect([process.virtualQuery(p).protect, process.virtualQuery(p).regionSize]).toEqual([PAGE_READONLY, pg]);
  });

  it('B36: a range spanning two allocations, or free memory, fails', () => {
    const { process } = boot();
    const a = process.virtualAlloc(0, 0x10000, MEM_COMMIT, PAGE_READWRITE);
    process.virtualAlloc(a + 0x10000, 0x10000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    expectWin32(() => process.virtualProtect(a + 0xf000, 0x2000, PAGE_READONLY), ERROR_INVALID_ADDRESS);
    expectWin32(() => process.virtualProtect(0x6000_0000, pg, PAGE_READONLY), ERROR_INVALID_ADDRESS);
    expect(process.virtualQuery(a + 0xf000).protect).toBe(PAGE_READWRITE);
  });

  it('B37: guard bookkeeping in the old protection', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, pg, MEM_COMMIT, PAGE_READWRITE);
    expect(process.virtualProtect(p, pg, PAGE_READWRITE | PAGE_GUARD)).toBe(PAGE_READWRITE);
    expect(process.virtualProtect(p, pg, PAGE_READWRITE)).toBe(0x104);
  });

  it('B38: no partial effect on failure', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, 0x10000, MEM_RESERVE, PAGE_READWRITE);
    process.virtualAlloc(p, 3 * pg, MEM_COMMIT, PAGE_READWRITE);
    expectWin32(() => process.virtualProtect(p, 4 * pg, PAGE_READONLY), ERROR_INVALID_ADDRESS);
    expect(process.virtualQuery(p).regionSize).toBe(3 * pg);
    expect(process.virtualQuery(p).protect).toBe(PAGE_READWRITE);
  });
});

describe('D. VirtualFree', () => {
  it('B39: free type 0, MEM_FREE, or both flags are invalid', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, 0x10000, MEM_COMMIT, PAGE_READWRITE);
    expectWin32(() => process.virtualFree(p, 0x10000, 0), ERROR_INVALID_PARAMETER);
    expectWin32(() => process.virtualFree(p, 0, MEM_FREE), ERROR_INVALID_PARAMETER);
    expectWin32(() => process.virtualFree(p, 0, MEM_DECOMMIT | MEM_RELEASE), ERROR_INVALID_PARAMETER);
  });

  it('B40: decommitting a partly committed reservation succeeds; all pages reserved', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, 0x10000, MEM_RESERVE, PAGE_READWRITE);
    process.virtualAlloc(p, 2 * pg, MEM_COMMIT, PAGE_READWRITE);
    process.virtualFree(p, 0x10000, MEM_DECOMMIT);
    expect([process.virtualQuery(p).state, process.virtualQuery(p).protect, process.virtualQuery(p).regionSize]).toEqual([MEM_RESERVE, 0, 0x10000]);
  });

  it('B41: MEM_RELEASE needs size 0', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, 0x10000, MEM_COMMIT, PAGE_READWRITE);
    expectWin32(() => process.virtualFree(p, 1, MEM_RELEASE), ERROR_INVALID_PARAMETER);
    process.virtualFree(p, 0, MEM_RELEASE);
    expect(process.virtualQuery(p).state).toBe(MEM_FREE);
  });

  it('B42: MEM_RELEASE away from the base fails with STATUS_FREE_VM_NOT_AT_BASE', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, 0x10000, MEM_COMMIT, PAGE_READWRITE);
    expectWin32(() => process.virtualFree(p + 0x1001, 0, MEM_RELEASE), ERROR_INVALID_ADDRESS, STATUS_FREE_VM_NOT_AT_BASE);
    process.virtualFree(p + 0xfff, 0, MEM_RELEASE); // rounds down to the base
    expect(process.virtualQuery(p).state).toBe(MEM_FREE);
  });

  it('B43: MEM_DECOMMIT of a 2-byte range decommits the two pages it touches', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, 0x10000, MEM_COMMIT, PAGE_READWRITE);
    process.virtualFree(p + 0x1fff, 2, MEM_DECOMMIT);
    expect(process.virtualQuery(p + 0x1000).state).toBe(MEM_RESERVE);
    expect(process.virtualQuery(p + 0x1000).regionSize).toBe(0x2000);
    expect(process.virtualQuery(p).state).toBe(MEM_COMMIT);
  });

  it('B45: freeing free memory fails with STATUS_MEMORY_NOT_ALLOCATED; past the end fails', () => {
    const { process } = boot();
    const p = process.virtualAlloc(0, 0x10000, MEM_COMMIT, PAGE_READWRITE);
    expectWin32(() => process.virtualFree(p, 0x11000, MEM_DECOMMIT), ERROR_INVALID_PARAMETER);
    process.virtualFree(p, 0, MEM_RELEASE);
    expectWin32(() => process.virtualFree(p, 0, MEM_RELEASE), ERROR_INVALID_ADDRESS, STATUS_MEMORY_NOT_ALLOCATED);
    expectWin32(() => process.virtualFree(0, 0, MEM_RELEASE), ERROR_INVALID_PARAMETER);
  });

  it('B48: released memory faults with an access violation', async () => {
    const { process, mmu } = boot();
    const p = process.virtualAlloc(0, pg, MEM_COMMIT, PAGE_READWRITE);
    mmu.write32(p, 7);
    process.virtualFree(p, 0, MEM_RELEASE);
    const { exceptionOf } = await import('./helpers.js');
    const record = exceptionOf(() => mmu.read32(p));
    expect(record.exceptionInformation).toEqual([0, p]);
  });
});
