// Issue 15: divergences from Windows in the virtual-memory calls, each pinned by a test named
// after its behaviour number in windows-semantics.md.
//
// 1. B68/B69: PAGE_WRITECOPY and PAGE_EXECUTE_WRITECOPY inside a view. Committing them was refused
//    with STATUS_INVALID_PAGE_PROTECTION, because the private-memory rule (B12) ran before the view
//    was looked up.
// 2. Which error wins when several apply. The rule, documented in docs/kernel.md ("Which error
//    wins"), is to check the arguments first, then the process, then the address space. Within
//    each phase the checks run in the order the tables below list them. The table tests try every
//    pair of errors each call can raise.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AT_ROUND_TO_PAGE,
  ERROR_ACCESS_DENIED,
  ERROR_COMMITMENT_LIMIT,
  ERROR_INVALID_ADDRESS,
  ERROR_INVALID_HANDLE,
  ERROR_INVALID_PARAMETER,
  ERROR_NOT_ENOUGH_MEMORY,
  FILE_MAP_COPY,
  FILE_MAP_EXECUTE,
  FILE_MAP_READ,
  FILE_MAP_WRITE,
  Kernel,
  MEM_COMMIT,
  MEM_DECOMMIT,
  MEM_FREE,
  MEM_MAPPED,
  MEM_RELEASE,
  MEM_RESERVE,
  MEM_RESET,
  MEM_RESET_UNDO,
  MEM_WRITE_WATCH,
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
  SEC_COMMIT,
  SEC_RESERVE,
  STATUS_ALREADY_COMMITTED,
  STATUS_COMMITMENT_LIMIT,
  STATUS_CONFLICTING_ADDRESSES,
  STATUS_FREE_VM_NOT_AT_BASE,
  STATUS_INVALID_HANDLE,
  STATUS_INVALID_PAGE_PROTECTION,
  STATUS_INVALID_PARAMETER,
  STATUS_MEMORY_NOT_ALLOCATED,
  STATUS_NOT_COMMITTED,
  STATUS_NO_MEMORY,
  STATUS_UNABLE_TO_FREE_VM,
  WindowsError,
  verify,
  type Process,
} from '../../src/index.js';
import { fitsView } from '../model/model-protection.js';
import { boot, expectWin32, windowsError } from './helpers.js';

const pg = 0x1000;
const GRANULE = 0x10000;
const hex = (n: number) => `0x${n.toString(16)}`;
const few32 = () => new Uint8Array(readFileSync(new URL('../../fixtures/pe/few32.dll', import.meta.url)));

// ============================================================================ 1. B68, B69

describe('B68/B69: copy-on-write protections inside views', () => {
  it('B69: committing PAGE_WRITECOPY in an anonymous view succeeds and reads back PAGE_WRITECOPY', () => {
    // Before: STATUS_INVALID_PAGE_PROTECTION / ERROR_INVALID_PARAMETER (B12 ran before the view was known).
    const { kernel, process } = boot();
    const section = kernel.createSection({ size: 2 * pg, protect: PAGE_READWRITE, attributes: SEC_RESERVE });
    const v = process.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    expect(process.virtualAlloc(v, pg, MEM_COMMIT, PAGE_WRITECOPY)).toBe(v);
    const info = process.virtualQuery(v);
    expect([info.allocationProtect, info.regionSize, info.state, info.protect, info.type]).toEqual([PAGE_READWRITE, pg, MEM_COMMIT, PAGE_WRITECOPY, MEM_MAPPED]);
    expect(process.virtualQuery(v + pg).protect).toBe(0); // the second page is still only reserved
  });

  it('B69: the pages committed WRITECOPY are copied on write; the section and its other views keep their bytes', () => {
    const { kernel, process, mmu } = boot();
    const section = kernel.createSection({ size: pg, protect: PAGE_READWRITE, attributes: SEC_RESERVE });
    const cow = process.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    const shared = process.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    process.virtualAlloc(cow, pg, MEM_COMMIT, PAGE_WRITECOPY);
    mmu.write32(shared, 0x1111); // commit state is the section's (B70): the other view sees the page committed
    mmu.write32(cow + 4, 0x2222);
    expect([mmu.read32(cow), mmu.read32(cow + 4)]).toEqual([0x1111, 0x2222]);
    expect(mmu.read32(shared + 4)).toBe(0); // the write went to a private copy
    expect(process.virtualQuery(cow).protect).toBe(PAGE_READWRITE); // B78: a copied page reports READWRITE
    expect(process.virtualQuery(shared).protect).toBe(PAGE_READWRITE);
  });

  it('B69: PAGE_EXECUTE_WRITECOPY commits in an executable anonymous view, and a SEC_COMMIT view takes it as a protection change (B71)', () => {
    const { kernel, process } = boot();
    const reserve = kernel.createSection({ size: pg, protect: PAGE_EXECUTE_READWRITE, attributes: SEC_RESERVE });
    const x = process.mapViewOfSection(reserve, { access: FILE_MAP_WRITE | FILE_MAP_EXECUTE });
    expect(process.virtualAlloc(x, pg, MEM_COMMIT, PAGE_EXECUTE_WRITECOPY)).toBe(x);
    expect(process.virtualQuery(x).protect).toBe(PAGE_EXECUTE_WRITECOPY);
    const commit = kernel.createSection({ size: 2 * pg, protect: PAGE_READWRITE, attributes: SEC_COMMIT });
    const c = process.mapViewOfSection(commit, { access: FILE_MAP_WRITE });
    expect(process.virtualAlloc(c + pg, pg, MEM_COMMIT, PAGE_WRITECOPY)).toBe(c + pg);
    expect([process.virtualQuery(c).protect, process.virtualQuery(c + pg).protect, process.virtualQuery(c + pg).allocationProtect]).toEqual([PAGE_READWRITE, PAGE_WRITECOPY, PAGE_READWRITE]);
  });

  it('B69: a protection with more access than the anonymous view is ERROR_INVALID_PARAMETER; WRITECOPY counts as read-only', () => {
    const { kernel, process } = boot();
    const section = kernel.createSection({ size: pg, protect: PAGE_READWRITE, attributes: SEC_RESERVE });
    const rv = process.mapViewOfSection(section, { access: FILE_MAP_READ });
    for (const protect of [PAGE_READWRITE, PAGE_EXECUTE_READ, PAGE_EXECUTE_WRITECOPY, PAGE_EXECUTE_READWRITE]) {
      expectWin32(() => process.virtualAlloc(rv, pg, MEM_COMMIT, protect), ERROR_INVALID_PARAMETER);
      expect(process.virtualQuery(rv).state, `0x${protect.toString(16)}`).toBe(MEM_RESERVE);
    }
    expect(process.virtualAlloc(rv, pg, MEM_COMMIT, PAGE_WRITECOPY)).toBe(rv);
    expect(process.virtualQuery(rv).protect).toBe(PAGE_WRITECOPY);
  });

  it('B69: MEM_COMMIT with a WRITECOPY protection in a file-backed or image view is ERROR_ACCESS_DENIED (STATUS_ALREADY_COMMITTED)', () => {
    // Before: ERROR_INVALID_PARAMETER / STATUS_INVALID_PAGE_PROTECTION.
    const { kernel, process } = boot();
    const file = kernel.createSection({ protect: PAGE_READWRITE, file: new Uint8Array(pg) });
    const fv = process.mapViewOfSection(file, { access: FILE_MAP_WRITE });
    const image = process.loadImage(few32()).base; // B88
    for (const address of [fv, image, image + pg]) {
      for (const protect of [PAGE_WRITECOPY, PAGE_EXECUTE_WRITECOPY, PAGE_READONLY]) {
        expectWin32(() => process.virtualAlloc(address, pg, MEM_COMMIT, protect), ERROR_ACCESS_DENIED, STATUS_ALREADY_COMMITTED);
      }
    }
  });

  it('B12: private memory still refuses both WRITECOPY protections, reserving or committing, and changes nothing', () => {
    const { process } = boot();
    const reserved = process.virtualAlloc(0, 2 * pg, MEM_RESERVE, PAGE_READWRITE);
    for (const protect of [PAGE_WRITECOPY, PAGE_EXECUTE_WRITECOPY]) {
      expectWin32(() => process.virtualAlloc(0, pg, MEM_RESERVE | MEM_COMMIT, protect), ERROR_INVALID_PARAMETER, STATUS_INVALID_PAGE_PROTECTION);
      expectWin32(() => process.virtualAlloc(0, pg, MEM_COMMIT, protect), ERROR_INVALID_PARAMETER, STATUS_INVALID_PAGE_PROTECTION);
      expectWin32(() => process.virtualAlloc(reserved, pg, MEM_COMMIT, protect), ERROR_INVALID_PARAMETER, STATUS_INVALID_PAGE_PROTECTION);
    }
    expect(process.virtualQuery(reserved).state).toBe(MEM_RESERVE);
  });

  // B68: what each data view lets VirtualProtect set. A requested protection fits when its access
  // (r, w, x) is a subset of the AllocationProtect's, WRITECOPY counting as r and EXECUTE as rx:
  // the reference model's table (test/model/model-protection.ts), written from windows-semantics.md.
  const BASES = [PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE, PAGE_WRITECOPY, PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY];
  const VIEWS: Array<[string, number, number]> = [
    ['0', 0, PAGE_NOACCESS],
    ['FILE_MAP_READ', FILE_MAP_READ, PAGE_READONLY],
    ['FILE_MAP_WRITE', FILE_MAP_WRITE, PAGE_READWRITE],
    ['FILE_MAP_COPY', FILE_MAP_COPY, PAGE_WRITECOPY],
    ['FILE_MAP_EXECUTE|READ', FILE_MAP_EXECUTE | FILE_MAP_READ, PAGE_EXECUTE_READ],
    ['FILE_MAP_EXECUTE|WRITE', FILE_MAP_EXECUTE | FILE_MAP_WRITE, PAGE_EXECUTE_READWRITE],
    ['FILE_MAP_EXECUTE|COPY', FILE_MAP_EXECUTE | FILE_MAP_COPY, PAGE_EXECUTE_WRITECOPY],
  ];
  it.each(VIEWS)('B68: VirtualProtect in a %s data view: allowed iff the access is a subset of the view\u2019s', (_name, access, allocProtect) => {
    const { kernel, process } = boot();
    const section = kernel.createSection({ size: pg, protect: PAGE_EXECUTE_READWRITE });
    const v = process.mapViewOfSection(section, { access });
    expect(process.virtualQuery(v).allocationProtect).toBe(allocProtect);
    for (const protect of BASES) {
      const before = process.virtualQuery(v).protect;
      const fits = fitsView(allocProtect, protect);
      if (fits) {
        expect(process.virtualProtect(v, pg, protect), hex(protect)).toBe(before);
        expect(process.virtualQuery(v).protect, hex(protect)).toBe(protect);
      } else {
        const error = expectWin32(() => process.virtualProtect(v, pg, protect), ERROR_INVALID_PARAMETER);
        expect(error.oldProtect, hex(protect)).toBe(PAGE_NOACCESS); // B36: a failure on the range
        expect(process.virtualQuery(v).protect, hex(protect)).toBe(before);
      }
    }
  });

  it('B68: a FILE_MAP_WRITE view protected to PAGE_WRITECOPY writes to a private copy; the file-backed section is unchanged', () => {
    const { kernel, process, mmu } = boot();
    const section = kernel.createSection({ protect: PAGE_READWRITE, file: new Uint8Array(pg).fill(7) });
    const a = process.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    const b = process.mapViewOfSection(section, { access: FILE_MAP_READ });
    expect(process.virtualProtect(a, pg, PAGE_WRITECOPY)).toBe(PAGE_READWRITE);
    mmu.write8(a, 0x55);
    expect([mmu.read8(a), mmu.read8(b)]).toEqual([0x55, 7]);
    expect([process.virtualQuery(a).protect, process.virtualQuery(a).allocationProtect]).toEqual([PAGE_READWRITE, PAGE_READWRITE]);
  });
});

// ============================================================================ 2. Targeted regressions

describe('B41, B33, B36: which error wins (targeted)', () => {
  it('B41: VirtualFree(addr, size \u2260 0, MEM_RELEASE) is ERROR_INVALID_PARAMETER whatever addr is', () => {
    // Before: free memory gave ERROR_INVALID_ADDRESS (B45), a view or NULL their own errors.
    // kernel32's VirtualFree refuses MEM_RELEASE with a size before it calls NtFreeVirtualMemory
    // (Wine kernelbase VirtualFreeEx; K32V test_VirtualAlloc and test_VirtualAllocEx: "if the type
    // is MEM_RELEASE, size must be 0").
    const { kernel, process } = boot();
    const base = process.virtualAlloc(0, GRANULE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    const view = process.mapViewOfSection(kernel.createSection({ size: pg, protect: PAGE_READWRITE }), { access: FILE_MAP_READ });
    const image = process.loadImage(few32()).base;
    const dead = kernel.createProcess();
    dead.exit();
    const addresses: Array<[string, number]> = [['NULL', 0], ['free memory', 0x7000_0000], ['the base', base], ['inside', base + 0x1001], ['a view', view], ['an image', image], ['above user space', 2 ** 48]];
    for (const [what, address] of addresses) {
      for (const size of [1, pg, GRANULE, 2 * GRANULE]) {
        for (const target of [process, dead]) {
          const error = expectWin32(() => target.virtualFree(address, size, MEM_RELEASE), ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER);
          expect(error.message, `${what}, size ${hex(size)}`).toMatch(/\(B41\)/);
        }
      }
    }
    expect(process.virtualQuery(base).state).toBe(MEM_COMMIT);
    process.virtualFree(base, 0, MEM_RELEASE); // B41: size 0 releases
    expect(process.virtualQuery(base).state).toBe(MEM_FREE);
  });

  it('B33: VirtualProtect refuses an invalid protection before it looks at the range', () => {
    // Before: free memory and spanning ranges gave ERROR_INVALID_ADDRESS (B36), reserved pages
    // STATUS_NOT_COMMITTED (B3), an exited process ERROR_INVALID_HANDLE.
    const { kernel, process } = boot();
    const a = process.virtualAlloc(0, GRANULE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    const b = process.virtualAlloc(a + GRANULE, GRANULE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    const reserved = process.virtualAlloc(0, GRANULE, MEM_RESERVE, PAGE_READWRITE);
    const dead = kernel.createProcess();
    dead.exit();
    expect(b).toBe(a + GRANULE);
    const ranges: Array<[string, Process, number, number]> = [
      ['free memory', process, 0x7000_0000, pg],
      ['across two allocations', process, b - pg, 2 * pg],
      ['reserved pages', process, reserved, pg],
      ['an exited process', dead, a, pg],
    ];
    for (const [what, target, address, size] of ranges) {
      for (const protect of [0, 0x03, 0x14, 0x30, 0xff, PAGE_NOACCESS | PAGE_GUARD, PAGE_READWRITE | PAGE_GUARD | PAGE_NOCACHE, 0x8000_0004]) {
        const error = expectWin32(() => target.virtualProtect(address, size, protect), ERROR_INVALID_PARAMETER, STATUS_INVALID_PAGE_PROTECTION);
        expect(error.oldProtect, `${what}, ${hex(protect)}`).toBeUndefined(); // refused for its arguments: *old not written
      }
    }
  });

  it('B33: VirtualAlloc refuses an invalid protection before it looks at the range or the process', () => {
    const { kernel, process } = boot();
    const taken = process.virtualAlloc(0, GRANULE, MEM_RESERVE, PAGE_READWRITE);
    const fv = process.mapViewOfSection(kernel.createSection({ protect: PAGE_READWRITE, file: new Uint8Array(pg) }), { access: FILE_MAP_WRITE });
    const dead = kernel.createProcess();
    dead.exit();
    const calls: Array<[string, Process, number, number]> = [
      ['MEM_COMMIT in free memory (B19)', process, 0x7000_0000, MEM_COMMIT],
      ['MEM_COMMIT in a file view (B69)', process, fv, MEM_COMMIT],
      ['MEM_RESERVE over an allocation (B17)', process, taken, MEM_RESERVE],
      ['MEM_RESERVE with MEM_WRITE_WATCH (B21)', process, 0, MEM_RESERVE | MEM_WRITE_WATCH],
      ['an exited process', dead, 0, MEM_RESERVE | MEM_COMMIT],
    ];
    for (const [what, target, address, type] of calls) {
      for (const protect of [0, 0x03, 0x14, PAGE_NOACCESS | PAGE_GUARD, PAGE_WRITECOPY | PAGE_GUARD | PAGE_NOCACHE]) {
        const error = expectWin32(() => target.virtualAlloc(address, pg, type, protect), ERROR_INVALID_PARAMETER, STATUS_INVALID_PAGE_PROTECTION);
        expect(error.message, `${what}, ${hex(protect)}`).not.toMatch(/B12/);
      }
    }
  });

  it('B36: a VirtualProtect that fails on the range reports old protection PAGE_NOACCESS (WindowsError.oldProtect)', () => {
    // Before: the error carried no old protection at all.
    const { kernel, process } = boot();
    const a = process.virtualAlloc(0, GRANULE, MEM_RESERVE | MEM_COMMIT, PAGE_EXECUTE_READ);
    const b = process.virtualAlloc(a + GRANULE, GRANULE, MEM_RESERVE | MEM_COMMIT, PAGE_EXECUTE_READ);
    const partly = process.virtualAlloc(0, 2 * pg, MEM_RESERVE, PAGE_READWRITE);
    process.virtualAlloc(partly, pg, MEM_COMMIT, PAGE_READONLY);
    const rv = process.mapViewOfSection(kernel.createSection({ size: pg, protect: PAGE_READWRITE }), { access: FILE_MAP_READ });
    const failures: Array<[string, () => unknown, number, number]> = [
      ['free memory (B36)', () => process.virtualProtect(0x7000_0000, pg, PAGE_READWRITE), ERROR_INVALID_ADDRESS, STATUS_CONFLICTING_ADDRESSES],
      ['a range spanning two allocations (B36)', () => process.virtualProtect(b - pg, 2 * pg, PAGE_READWRITE), ERROR_INVALID_ADDRESS, STATUS_CONFLICTING_ADDRESSES],
      ['a range running off its allocation into free memory (B36)', () => process.virtualProtect(b + GRANULE - pg, 2 * pg, PAGE_READWRITE), ERROR_INVALID_ADDRESS, STATUS_CONFLICTING_ADDRESSES],
      ['a page not committed (B3, B5)', () => process.virtualProtect(partly, 2 * pg, PAGE_READWRITE), ERROR_INVALID_ADDRESS, STATUS_NOT_COMMITTED],
      ['WRITECOPY on private memory (B12)', () => process.virtualProtect(a, pg, PAGE_WRITECOPY), ERROR_INVALID_PARAMETER, STATUS_INVALID_PAGE_PROTECTION],
      ['more access than the view (B68)', () => process.virtualProtect(rv, pg, PAGE_READWRITE), ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER],
    ];
    for (const [what, call, win32, status] of failures) {
      const error = expectWin32(call, win32, status);
      expect(error.oldProtect, what).toBe(PAGE_NOACCESS);
      expect(JSON.parse(JSON.stringify(error)).oldProtect, what).toBe(PAGE_NOACCESS);
    }
    expect([process.virtualQuery(a).protect, process.virtualQuery(b).protect, process.virtualQuery(partly).protect, process.virtualQuery(rv).protect]).toEqual([PAGE_EXECUTE_READ, PAGE_EXECUTE_READ, PAGE_READONLY, PAGE_READONLY]);
  });

  it('B36: a VirtualProtect refused for its arguments or its process leaves the old protection unwritten, as other errors do', () => {
    const { kernel, process } = boot();
    const a = process.virtualAlloc(0, pg, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    const dead = kernel.createProcess();
    dead.exit();
    for (const call of [() => process.virtualProtect(a, 0, PAGE_READONLY), () => process.virtualProtect(a + 0.5, pg, PAGE_READONLY), () => process.virtualProtect(a, pg, 0), () => dead.virtualProtect(a, pg, PAGE_READONLY)]) {
      const error = windowsError(call);
      expect(error.oldProtect).toBeUndefined();
      expect(Object.keys(error)).not.toContain('oldProtect');
    }
    // Other calls' errors have no such key: their JSON is what it was.
    expect(Object.keys(windowsError(() => process.virtualFree(0x7000_0000, 0, MEM_RELEASE)))).not.toContain('oldProtect');
    expect(new WindowsError(STATUS_INVALID_PARAMETER, 'x').oldProtect).toBeUndefined();
  });

  it('B28: VirtualQuery checks the address before the process', () => {
    const { kernel } = boot();
    const dead = kernel.createProcess();
    dead.exit();
    expectWin32(() => dead.virtualQuery(kernel.userTop), ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER);
    expectWin32(() => dead.virtualQuery(0x10000), ERROR_INVALID_HANDLE, STATUS_INVALID_HANDLE);
  });
});

// ============================================================================ 3. Every pair

/**
 * One way a call can fail, as the smallest change ("knobs") to a call that succeeds: which
 * address, which size, which flags, which process. Two conditions are combined by merging their
 * knobs. `set`, `clear` and `mod` are bit masks and combine by OR. Any other knob must agree,
 * otherwise the two cannot hold in one call (an address is either NULL or in a view, not both).
 */
interface Knobs {
  format?: 'x86-32' | 'x86-64';
  /** Every 64 KiB-aligned free range of the (32-bit) user space reserved first. */
  full?: boolean;
  proc?: 'live' | 'exited';
  /** Which memory the address is in (see {@link World}). */
  region?: string;
  /** Where in that region: its first page, its second, or its last. */
  offset?: 'first' | 'second' | 'last';
  /** VirtualProtect: the committed or the reserved variant of the region. */
  state?: 'committed' | 'reserved';
  size?: number | 'bad' | 'two pages' | 'past the records' | 'past the commit limit';
  /** VirtualAlloc: allocation-type bits that must be set, and bits that must be clear. */
  set?: number;
  clear?: number;
  /** VirtualAlloc: an allocation type that is not a DWORD at all. */
  typeRaw?: number;
  /** VirtualFree's free type. */
  freeType?: 'decommit' | 'release' | 'both';
  /** The protection's base byte, and modifier bits added to it. */
  base?: number;
  mod?: number;
}

const OR_KNOBS: ReadonlySet<string> = new Set(['set', 'clear', 'mod']);

/** The knobs of both conditions, or why no call can have both. */
function merge(a: Knobs, b: Knobs): Knobs | string {
  const out: Record<string, unknown> = { ...a };
  for (const [key, value] of Object.entries(b)) {
    if (OR_KNOBS.has(key)) out[key] = ((out[key] as number | undefined) ?? 0) | (value as number);
    else if (key in out && out[key] !== value) return `they need different ${key}s (${String(out[key])}, ${String(value)})`;
    else out[key] = value;
  }
  const k = out as Knobs;
  if ((k.set ?? 0) & (k.clear ?? 0)) return `one needs allocation-type bits 0x${((k.set ?? 0) & (k.clear ?? 0)).toString(16)} set, the other clear`;
  if (k.typeRaw !== undefined && (k.set !== undefined || k.clear !== undefined)) return 'one has no allocation-type bits (not a DWORD), the other needs some';
  if (k.full && k.format === 'x86-64') return 'a full user space is built on a 32-bit kernel, the records limit needs a 64-bit one';
  return k;
}

/** What a condition's failure looks like; the message pattern tells apart errors with the same codes. */
interface Failure {
  win32: number;
  status: number;
  message?: RegExp;
  /** VirtualProtect only: WindowsError.oldProtect. */
  oldProtect?: number;
}

interface Condition {
  name: string;
  knobs: Knobs;
  failure: Failure;
}

/** A call's conditions in the order the call checks them: when several hold, the first wins. */
interface PairTable {
  call: string;
  conditions: Condition[];
  /** Pairs whose knobs merge but which cannot both be errors of one call, and why. */
  notErrorsTogether?: Array<[string, string, string]>;
  /** Pairs whose knobs conflict only because of the values chosen, with a call that has both. */
  together?: Array<[string, string, Knobs]>;
  run(world: World, knobs: Knobs): unknown;
}

/** What every scenario starts from: one process with memory of each kind, on a fresh kernel. */
interface World {
  kernel: Kernel;
  /** The process the memory belongs to. */
  p: Process;
  /** `p`, or an exited process when the knobs ask for one. */
  target: Process;
  /** Region name → [base, pages]. */
  regions: Record<string, [number, number]>;
}

function world(knobs: Knobs): World {
  const kernel = new Kernel({ memorySize: 2 << 20, format: knobs.format ?? 'x86-32' });
  const p = kernel.createProcess();
  const regions: Record<string, [number, number]> = {};
  // 1024 reserved pages: committing them all is past the commit limit (512 pages of RAM).
  regions.reserved = [p.virtualAlloc(0, 1024 * pg, MEM_RESERVE, PAGE_READWRITE), 1024];
  regions.private = [p.virtualAlloc(0, 4 * pg, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), 4];
  regions.privateReserved = [p.virtualAlloc(0, 4 * pg, MEM_RESERVE, PAGE_READWRITE), 4];
  regions.fileView = [p.mapViewOfSection(kernel.createSection({ protect: PAGE_READWRITE, file: new Uint8Array(4 * pg) }), { access: FILE_MAP_WRITE }), 4];
  // A FILE_MAP_READ view of an anonymous section: committed (SEC_COMMIT), or reserved (SEC_RESERVE).
  regions.readView = [p.mapViewOfSection(kernel.createSection({ size: 4 * pg, protect: PAGE_READWRITE }), { access: FILE_MAP_READ }), 4];
  regions.anonView = [p.mapViewOfSection(kernel.createSection({ size: 4 * pg, protect: PAGE_READWRITE, attributes: SEC_RESERVE }), { access: FILE_MAP_READ }), 4];
  regions.free = [0x4000_0000, 4];
  expect(p.virtualQuery(0x4000_0000).state).toBe(MEM_FREE);
  if (knobs.full) {
    // Reserve greedily, halving the size, until not even one granule is free.
    for (let size = 2 ** 30; size >= GRANULE; ) {
      try {
        p.virtualAlloc(0, size, MEM_RESERVE, PAGE_NOACCESS);
      } catch {
        size /= 2;
      }
    }
  }
  let target = p;
  if (knobs.proc === 'exited') {
    target = kernel.createProcess();
    target.exit();
  }
  return { kernel, p, target, regions };
}

/** The address `knobs` name in `w`: `none` is NULL, `bad` is not an integer. */
function addressOf(w: World, knobs: Knobs, fallback: string): number {
  const region = knobs.region ?? fallback;
  if (region === 'none') return 0;
  if (region === 'bad') return 0.5;
  if (region === 'top') return w.kernel.userTop;
  if (region === 'low') return 0x1000;
  const [base, pages] = w.regions[region];
  return base + { first: 0, second: pg, last: (pages - 1) * pg }[knobs.offset ?? 'first'];
}

function sizeOf(knobs: Knobs, fallback: number): number {
  const size = knobs.size ?? fallback;
  if (size === 'bad') return -1;
  if (size === 'two pages') return 2 * pg;
  if (size === 'past the records') return 2 ** 34 + pg; // more than the 2^22 pages one allocation may span
  if (size === 'past the commit limit') return 1024 * pg;
  return size;
}

const protectOf = (knobs: Knobs, fallback: number) => ((knobs.base ?? fallback) | (knobs.mod ?? 0)) >>> 0;

/** Everything a failed call must leave as it was: the VirtualQuery map of `p` and the commit charge. */
function snapshot(w: World): string {
  const regions: string[] = [];
  for (let address = 0x10000; address < w.kernel.userTop; ) {
    const info = w.p.virtualQuery(address);
    regions.push(JSON.stringify(info));
    address += info.regionSize;
  }
  return `${w.kernel.committed} ${regions.join(' ')}`;
}

/** Runs `knobs` through `table` and checks it fails as `expected` says, changing nothing. */
function expectFailure(table: PairTable, knobs: Knobs, expected: Failure, what: string): void {
  const w = world(knobs);
  const before = snapshot(w);
  let error: WindowsError;
  try {
    table.run(w, knobs);
    throw new Error(`${what}: succeeded`);
  } catch (e) {
    if (!(e instanceof WindowsError)) throw e;
    error = e;
  }
  expect([hex(error.win32Error), hex(error.ntStatus)], `${what}: ${error.message}`).toEqual([hex(expected.win32), hex(expected.status >>> 0)]);
  if (expected.message !== undefined) expect(error.message, what).toMatch(expected.message);
  if (table.call === 'virtualProtect') expect(error.oldProtect, `${what}: oldProtect`).toBe(expected.oldProtect);
  expect(snapshot(w), `${what}: the failed call changed something`).toBe(before);
  expect(verify(w.kernel)).toEqual([]);
}

const INVALID_PARAMETER = (message: RegExp): Failure => ({ win32: ERROR_INVALID_PARAMETER, status: STATUS_INVALID_PARAMETER, message });
const INVALID_PROTECTION = (message: RegExp): Failure => ({ win32: ERROR_INVALID_PARAMETER, status: STATUS_INVALID_PAGE_PROTECTION, message });
const EXITED: Condition = { name: 'an exited process (B22)', knobs: { proc: 'exited' }, failure: { win32: ERROR_INVALID_HANDLE, status: STATUS_INVALID_HANDLE } };
const COMMITTING = { set: MEM_COMMIT, clear: MEM_RESERVE | MEM_RESET };

// VirtualAlloc. The phases: the arguments, then the process, then what mmukit does not implement,
// then the address space.
// - Arguments: mmukit's own checks of the argument types come first, then size 0 (B1; Wine's
//   NtAllocateVirtualMemory refuses a zero size first of all), the allocation type (B16, B21, the
//   MEM_RESET combinations), then the protection's form (B10, B11, B33: MiMakeProtectionMask in
//   ReactOS's NtAllocateVirtualMemory, before the address or the process is looked at), then a
//   reservation outside user space (ReactOS: the base and size bounds, still before the process).
// - The process: ReactOS references the process only after every argument check. An exited
//   process is ReactOS's VmDeleted case (STATUS_PROCESS_IS_TERMINATING), checked later still.
// - Not implemented (MEM_RESET_UNDO): refused here, after the process and before the copy-on-write
//   check (write watch is implemented since; MEM_RESET_UNDO alone is not paired below).
// - Address space: a reservation is private memory, so B12 comes before placement (ReactOS: "Copy
//   on write not allowed through this path"). Then the records limit, the free range and the
//   B17 conflict, and the commit charge last. A commit looks the range up first (B19), then the
//   view (B69: file or image), then the protection against that memory (B12 private, B69 view).
const VIRTUAL_ALLOC: PairTable = {
  call: 'virtualAlloc',
  conditions: [
    { name: 'address not an integer', knobs: { region: 'bad' }, failure: INVALID_PARAMETER(/address must be/) },
    { name: 'size not a size', knobs: { size: 'bad' }, failure: INVALID_PARAMETER(/size must be/) },
    { name: 'size 0 (B1)', knobs: { size: 0 }, failure: INVALID_PARAMETER(/size is 0 \(B1\)/) },
    { name: 'allocationType not a DWORD', knobs: { typeRaw: 2 ** 32 + MEM_COMMIT }, failure: INVALID_PARAMETER(/allocationType must be a DWORD/) },
    { name: 'AT_ROUND_TO_PAGE (B16)', knobs: { set: AT_ROUND_TO_PAGE }, failure: INVALID_PARAMETER(/AT_ROUND_TO_PAGE/) },
    { name: 'unknown allocation-type bits (B16)', knobs: { set: 0x40 }, failure: INVALID_PARAMETER(/unknown allocation type bits/) },
    { name: 'MEM_WRITE_WATCH without MEM_RESERVE (B21)', knobs: { set: MEM_WRITE_WATCH, clear: MEM_RESERVE }, failure: INVALID_PARAMETER(/MEM_WRITE_WATCH needs MEM_RESERVE/) },
    { name: 'MEM_RESET with MEM_COMMIT', knobs: { set: MEM_RESET | MEM_COMMIT }, failure: INVALID_PARAMETER(/MEM_RESET cannot be combined/) },
    { name: 'no MEM_COMMIT, MEM_RESERVE or MEM_RESET', knobs: { clear: MEM_COMMIT | MEM_RESERVE | MEM_RESET | MEM_RESET_UNDO }, failure: INVALID_PARAMETER(/needs MEM_COMMIT, MEM_RESERVE or MEM_RESET/) },
    { name: 'a malformed protection (B10, B11, B33)', knobs: { mod: PAGE_GUARD | PAGE_NOCACHE }, failure: INVALID_PROTECTION(/PAGE_GUARD cannot be combined/) },
    { name: 'a reservation outside user space', knobs: { region: 'low', set: MEM_RESERVE }, failure: INVALID_PARAMETER(/outside user space/) },
    EXITED,
    { name: 'WRITECOPY for a reservation (B12)', knobs: { base: PAGE_WRITECOPY, set: MEM_RESERVE }, failure: INVALID_PROTECTION(/copy-on-write/) },
    { name: 'a reservation past the per-allocation records', knobs: { size: 'past the records', set: MEM_RESERVE, format: 'x86-64' }, failure: { win32: ERROR_NOT_ENOUGH_MEMORY, status: STATUS_NO_MEMORY, message: /one allocation may span/ } },
    { name: 'no free range', knobs: { full: true, format: 'x86-32', region: 'none', set: MEM_RESERVE }, failure: { win32: ERROR_NOT_ENOUGH_MEMORY, status: STATUS_NO_MEMORY, message: /no free range/ } },
    { name: 'MEM_RESERVE over an allocation (B17)', knobs: { region: 'private', set: MEM_RESERVE }, failure: { win32: ERROR_INVALID_ADDRESS, status: STATUS_CONFLICTING_ADDRESSES, message: /already in use \(B17\)/ } },
    { name: 'MEM_RESET outside one allocation (B9)', knobs: { region: 'free', set: MEM_RESET, clear: MEM_COMMIT | MEM_RESERVE }, failure: { win32: ERROR_INVALID_ADDRESS, status: STATUS_CONFLICTING_ADDRESSES, message: /MEM_RESET range/ } },
    { name: 'MEM_COMMIT outside one reservation (B19)', knobs: { region: 'free', ...COMMITTING }, failure: { win32: ERROR_INVALID_ADDRESS, status: STATUS_NOT_COMMITTED } },
    { name: 'MEM_COMMIT in a file-backed view (B69)', knobs: { region: 'fileView', ...COMMITTING }, failure: { win32: ERROR_ACCESS_DENIED, status: STATUS_ALREADY_COMMITTED } },
    { name: 'WRITECOPY committed in private memory (B12)', knobs: { region: 'reserved', ...COMMITTING, base: PAGE_WRITECOPY }, failure: INVALID_PROTECTION(/copy-on-write/) },
    { name: 'more access than the anonymous view (B69)', knobs: { region: 'anonView', ...COMMITTING, base: PAGE_READWRITE }, failure: INVALID_PARAMETER(/not allowed by the view \(B69\)/) },
    { name: 'past the commit limit, reserving', knobs: { size: 'past the commit limit', set: MEM_RESERVE | MEM_COMMIT }, failure: { win32: ERROR_COMMITMENT_LIMIT, status: STATUS_COMMITMENT_LIMIT } },
    { name: 'past the commit limit, committing', knobs: { size: 'past the commit limit', region: 'reserved', ...COMMITTING }, failure: { win32: ERROR_COMMITMENT_LIMIT, status: STATUS_COMMITMENT_LIMIT } },
  ],
  notErrorsTogether: [['a malformed protection (B10, B11, B33)', 'MEM_RESET outside one allocation (B9)', 'MEM_RESET ignores the protection (B7), so it is no error there']],
  together: [['a reservation past the per-allocation records', 'past the commit limit, reserving', { size: 'past the records', set: MEM_RESERVE | MEM_COMMIT, format: 'x86-64' }]],
  run(w, k) {
    let type = k.typeRaw;
    if (type === undefined) {
      const actions = MEM_COMMIT | MEM_RESERVE | MEM_RESET | MEM_RESET_UNDO;
      const set = k.set ?? 0;
      type = set & actions ? set : set | ((MEM_RESERVE | MEM_COMMIT) & ~(k.clear ?? 0));
    }
    return w.target.virtualAlloc(addressOf(w, k, 'none'), sizeOf(k, pg), type, protectOf(k, PAGE_READWRITE));
  },
};

// VirtualFree. kernel32 refuses MEM_RELEASE with a size before it calls NtFreeVirtualMemory (B41:
// Wine kernelbase VirtualFreeEx; K32V test_VirtualAlloc "if the type is MEM_RELEASE, size must be
// 0"), so B41 beats everything NtFreeVirtualMemory would say. NtFreeVirtualMemory checks the free
// type (B39) and its arguments before the process (ReactOS: the FreeType check comes first), then
// looks the address up (B45), then refuses a view (B46; Wine's NtFreeVirtualMemory order), then
// the base (B42) or the end (B45) of the range.
const VIRTUAL_FREE: PairTable = {
  call: 'virtualFree',
  conditions: [
    { name: 'address not an integer', knobs: { region: 'bad' }, failure: INVALID_PARAMETER(/address must be/) },
    { name: 'size not a size', knobs: { size: 'bad' }, failure: INVALID_PARAMETER(/size must be/) },
    { name: 'freeType not exactly one of MEM_DECOMMIT and MEM_RELEASE (B39)', knobs: { freeType: 'both' }, failure: INVALID_PARAMETER(/\(B39\)/) },
    { name: 'MEM_RELEASE with a size (B41)', knobs: { freeType: 'release', size: 'two pages' }, failure: INVALID_PARAMETER(/\(B41\)/) },
    { name: 'a NULL address (B45)', knobs: { region: 'none', offset: 'first' }, failure: INVALID_PARAMETER(/NULL \(B45\)/) },
    EXITED,
    { name: 'nothing allocated there (B45)', knobs: { region: 'free' }, failure: { win32: ERROR_INVALID_ADDRESS, status: STATUS_MEMORY_NOT_ALLOCATED } },
    { name: 'a view (B46)', knobs: { region: 'fileView' }, failure: INVALID_PARAMETER(/\(B46\)/) },
    { name: 'size 0 away from the allocation base (B42)', knobs: { offset: 'second', size: 0 }, failure: { win32: ERROR_INVALID_ADDRESS, status: STATUS_FREE_VM_NOT_AT_BASE } },
    { name: 'MEM_DECOMMIT past the end of the allocation (B45)', knobs: { offset: 'last', size: 'two pages' }, failure: { win32: ERROR_INVALID_PARAMETER, status: STATUS_UNABLE_TO_FREE_VM } },
  ],
  run(w, k) {
    const freeType = { decommit: MEM_DECOMMIT, release: MEM_RELEASE, both: MEM_DECOMMIT | MEM_RELEASE }[k.freeType ?? 'decommit'];
    return w.target.virtualFree(addressOf(w, k, 'private'), sizeOf(k, 0), freeType);
  },
};

// VirtualProtect. Its arguments first, the protection's form included: an invalid protection is
// refused before the range is looked at (B33; ReactOS's NtProtectVirtualMemory validates it before
// anything else). The protection's form is checked after size 0, as VirtualAlloc's is. Then the
// process, then the range: one allocation (B36), the protection against that allocation (B12
// private, B68 data view: ReactOS's MiProtectVirtualMemory refuses copy-on-write on private
// memory before it checks the commit), every page committed (B3, B5). Failures on the range
// report old protection PAGE_NOACCESS (B3, B36; Wine kernelbase tests test_VirtualProtectFromApp:
// a call "with overflowing size" leaves old_prot == PAGE_NOACCESS); the others write none.
const VIRTUAL_PROTECT: PairTable = {
  call: 'virtualProtect',
  conditions: [
    { name: 'address not an integer', knobs: { region: 'bad' }, failure: INVALID_PARAMETER(/address must be/) },
    { name: 'size not a size', knobs: { size: 'bad' }, failure: INVALID_PARAMETER(/size must be/) },
    { name: 'size 0', knobs: { size: 0 }, failure: INVALID_PARAMETER(/size is 0/) },
    { name: 'a malformed protection (B33)', knobs: { mod: PAGE_GUARD | PAGE_NOCACHE }, failure: INVALID_PROTECTION(/PAGE_GUARD cannot be combined/) },
    EXITED,
    { name: 'free memory (B36)', knobs: { region: 'free' }, failure: { win32: ERROR_INVALID_ADDRESS, status: STATUS_CONFLICTING_ADDRESSES, oldProtect: PAGE_NOACCESS } },
    { name: 'WRITECOPY on private memory (B12)', knobs: { region: 'private', base: PAGE_WRITECOPY }, failure: { ...INVALID_PROTECTION(/copy-on-write/), oldProtect: PAGE_NOACCESS } },
    { name: 'more access than the data view (B68)', knobs: { region: 'readView', base: PAGE_READWRITE }, failure: { ...INVALID_PARAMETER(/not allowed by the view \(B68\)/), oldProtect: PAGE_NOACCESS } },
    { name: 'a page not committed (B3, B5)', knobs: { state: 'reserved' }, failure: { win32: ERROR_INVALID_ADDRESS, status: STATUS_NOT_COMMITTED, oldProtect: PAGE_NOACCESS } },
  ],
  run(w, k) {
    const region = k.region ?? 'private';
    const reserved = k.state === 'reserved';
    const variant = region === 'private' && reserved ? 'privateReserved' : region === 'readView' && reserved ? 'anonView' : region;
    return w.target.virtualProtect(addressOf(w, { ...k, region: variant }, 'private'), sizeOf(k, pg), protectOf(k, PAGE_READONLY));
  },
};

// VirtualQuery: the address (B28; ReactOS's NtQueryVirtualMemory checks it before it references
// the process), then the process.
const VIRTUAL_QUERY: PairTable = {
  call: 'virtualQuery',
  conditions: [
    { name: 'address not an integer', knobs: { region: 'bad' }, failure: INVALID_PARAMETER(/address must be/) },
    { name: 'above the highest user address (B28)', knobs: { region: 'top' }, failure: INVALID_PARAMETER(/\(B28\)/) },
    EXITED,
  ],
  run: (w, k) => w.target.virtualQuery(addressOf(w, k, 'private')),
};

const TABLES = [VIRTUAL_ALLOC, VIRTUAL_FREE, VIRTUAL_PROTECT, VIRTUAL_QUERY];

describe('B41, B33, B36: which error wins (every pair of errors of each call)', () => {
  for (const table of TABLES) {
    const names = table.conditions.map((c) => c.name);
    const pairs: Array<[string, string, Knobs | string]> = [];
    for (let i = 0; i < names.length; i++) {
      for (let j = i + 1; j < names.length; j++) {
        const [a, b] = [table.conditions[i], table.conditions[j]];
        const explicit = table.together?.find(([x, y]) => x === a.name && y === b.name);
        const excluded = table.notErrorsTogether?.find(([x, y]) => x === a.name && y === b.name);
        pairs.push([a.name, b.name, excluded?.[2] ?? explicit?.[2] ?? merge(a.knobs, b.knobs)]);
      }
    }
    const together = pairs.filter((pair): pair is [string, string, Knobs] => typeof pair[2] !== 'string');
    const apart = pairs.filter((pair): pair is [string, string, string] => typeof pair[2] === 'string');

    describe(`${table.call}`, () => {
      it.each(table.conditions.map((c) => [c.name, c] as const))('B22, B33, B36, B41: %s, alone, fails as listed and changes nothing', (_name, condition) => {
        expectFailure(table, condition.knobs, condition.failure, condition.name);
      });

      it.each(together)('B33, B36, B41: %s + %s: the first wins', (a, b, knobs) => {
        const winner = table.conditions.find((c) => c.name === a)!;
        expectFailure(table, knobs, winner.failure, `${a} + ${b}`);
      });

      if (apart.length > 0) {
        it.each(apart)('B33, B36, B41: %s + %s cannot be errors of one call: %s', (a, b, why) => {
          expect(names).toContain(a);
          expect(names).toContain(b);
          expect(why.length).toBeGreaterThan(0);
        });
      }

      it(`B33, B36, B41: every one of the ${pairs.length} pairs is either tried or explained`, () => {
        expect(together.length + apart.length).toBe((names.length * (names.length - 1)) / 2);
        for (const [a, b] of [...(table.together ?? []), ...(table.notErrorsTogether ?? [])]) {
          const i = names.indexOf(a);
          const j = names.indexOf(b);
          expect(i >= 0 && j > i, `${a} + ${b}: listed in table order`).toBe(true);
        }
        // `together` overrides only pairs whose knobs conflict; `notErrorsTogether` only pairs whose knobs merge.
        for (const [a, b] of table.together ?? []) expect(typeof merge(table.conditions[names.indexOf(a)].knobs, table.conditions[names.indexOf(b)].knobs)).toBe('string');
        for (const [a, b] of table.notErrorsTogether ?? []) expect(typeof merge(table.conditions[names.indexOf(a)].knobs, table.conditions[names.indexOf(b)].knobs)).not.toBe('string');
      });
    });
  }
});
