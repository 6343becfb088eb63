// Kernel restores copy back the record units marked changed (src/os/records/change-log.ts): calls that change a unit
// between a snapshot and a restore must mark it. The setup file (test/support/snapshot-checks.ts) makes every restore
// throw when a unit it skipped changed, so a missed mark is a test that throws at `kernel.restore(snapshot)`. The
// first cases were holes a review found (other sections over a file, a stack grown into another allocation).
import { describe, expect, it } from 'vitest';
import {
  FILE_MAP_COPY,
  FILE_MAP_READ,
  FILE_MAP_WRITE,
  MEM_COMMIT,
  MEM_DECOMMIT,
  MEM_RELEASE,
  MEM_RESERVE,
  MEM_RESET,
  MEM_RESET_UNDO,
  MEM_TOP_DOWN,
  MEM_WRITE_WATCH,
  PAGE_GUARD,
  PAGE_READONLY,
  PAGE_READWRITE,
  SEC_RESERVE,
  WindowsError,
  WindowsExceptionError,
  verify,
  type Kernel,
} from '../../src/index.js';
import { snapshotChecks } from '../../src/os/kernel/kernel-snapshots.js';
import { fingerprint } from './fingerprint.js';
import { boot } from './helpers.js';

const PG = 0x1000;

describe('snapshot change tracking: what a restore must copy back', () => {
  it('a fault that reads a file page in marks the other sections over the same file (FileCache shares the frame)', () => {
    const { kernel, process, mmu } = boot();
    const file = new Uint8Array(2 * PG).fill(7);
    const a = kernel.createSection({ protect: PAGE_READWRITE, file });
    const b = kernel.createSection({ protect: PAGE_READWRITE, file }); // same file: same FileCache
    const view = process.mapViewOfSection(a, { access: FILE_MAP_WRITE });
    const print = fingerprint(kernel);
    const snapshot = kernel.snapshot();
    expect(mmu.read8(view)).toBe(7); // Section.frameFor reads the page in and sets b.frames[0] too
    expect(b.residentPages).toBe(1);
    kernel.restore(snapshot); // throws: a Section changed without being marked
    expect(b.residentPages).toBe(0);
    expect(fingerprint(kernel)).toEqual(print);
    expect(verify(kernel)).toEqual([]);
  });

  it('(the same hole without the self-check) the restore leaves the other section holding a frame the restore freed', () => {
    const { kernel, process, mmu } = boot();
    const file = new Uint8Array(PG).fill(7);
    const a = kernel.createSection({ protect: PAGE_READWRITE, file });
    const b = kernel.createSection({ protect: PAGE_READWRITE, file });
    const view = process.mapViewOfSection(a, { access: FILE_MAP_WRITE });
    const snapshot = kernel.snapshot();
    mmu.read8(view);
    snapshotChecks.unchangedUnits = false;
    try {
      kernel.restore(snapshot);
    } finally {
      snapshotChecks.unchangedUnits = true;
    }
    // b.frames[0] still names the frame read in after the snapshot, which the frame allocator's restore made free.
    expect(b.residentPages).toBe(0);
    expect(verify(kernel)).toEqual([]);
  });

  it('writeMemory into a view that reads a file page in marks the other sections over the same file', () => {
    const { kernel, process } = boot();
    const file = new Uint8Array(PG).fill(3);
    const a = kernel.createSection({ protect: PAGE_READWRITE, file });
    const b = kernel.createSection({ protect: PAGE_READWRITE, file });
    const view = process.mapViewOfSection(a, { access: FILE_MAP_WRITE });
    const snapshot = kernel.snapshot();
    process.writeMemory(view, new Uint8Array([1]));
    expect(b.residentPages).toBe(1);
    kernel.restore(snapshot);
    expect(b.residentPages).toBe(0);
    expect(verify(kernel)).toEqual([]);
  });

  it('a fault on a guard page inside a thread\'s stack range grows "the stack" into another allocation (the stack was freed and the range reused)', () => {
    const { kernel, process } = boot();
    const thread = process.createThread();
    const low = thread.deallocationStack;
    process.virtualFree(low, 0, MEM_RELEASE); // the program frees its thread's stack
    // and reuses the range: a reservation below, and an allocation whose first page is a guard page above it
    process.virtualAlloc(low, 0x10000, MEM_RESERVE, PAGE_READWRITE);
    const above = process.virtualAlloc(low + 0x10000, 0x10000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
    const cpu = kernel.runThread(0, thread);
    const print = fingerprint(kernel);
    const snapshot = kernel.snapshot();
    cpu.mmu.write8(above, 1); // growStack commits the page below `above`: in the reservation at `low`, not marked
    expect(process.virtualQuery(above - PG).state).toBe(MEM_COMMIT);
    kernel.restore(snapshot);
    expect(fingerprint(kernel)).toEqual(print);
    expect(verify(kernel)).toEqual([]);
  });
});

describe('snapshot change tracking: questions that fill caches', () => {
  it('RegionTree.findGap, a question ("where would a new allocation go?"), changes no record a restore skips', () => {
    const { kernel, process } = boot();
    for (let i = 0; i < 4; i++) process.virtualAlloc(0, 0x10000, MEM_RESERVE, PAGE_READWRITE);
    const snapshot = kernel.snapshot();
    // findGap caches what it proved (the tree's gap facts, its leaves' room): the region tree changed, unmarked.
    expect(process.regions.findGap(0x10000, 0x10000, 0x10000, kernel.userTop, false)).toBeGreaterThan(0);
    kernel.restore(snapshot);
    expect(verify(kernel)).toEqual([]);
  });

  it('AddressSpace.sync (public) of a page already in step changes no record a restore skips', () => {
    const { kernel, process, mmu } = boot();
    const a = process.virtualAlloc(0, 0x400000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    mmu.write8(a, 1);
    mmu.write8(a + 0x200000, 1); // another leaf table: the builder's last-leaf cache now points there
    const allocation = process.regions.find(a)!;
    const snapshot = kernel.snapshot();
    process.space.sync(allocation, 0, kernel.zeroFrame);
    kernel.restore(snapshot);
    expect(verify(kernel)).toEqual([]);
  });
});

/** Snapshot, `change`, restore: the restore's self-check passes and the kernel is as it was. */
function roundTrip(kernel: Kernel, change: () => void): void {
  const print = fingerprint(kernel);
  const snapshot = kernel.snapshot();
  try {
    change();
  } catch (error) {
    if (!(error instanceof WindowsError || error instanceof WindowsExceptionError)) throw error;
  }
  kernel.restore(snapshot);
  expect(fingerprint(kernel)).toEqual(print);
  expect(verify(kernel)).toEqual([]);
  kernel.discardSnapshot(snapshot);
}

// The calls the brief lists, checked: each is marked as it needs (these pass).
describe('snapshot change tracking: calls marked as they should be', () => {
  it('virtualAlloc with MEM_RESET, MEM_RESET_UNDO, MEM_TOP_DOWN, address 0, and a commit inside a reservation', () => {
    const { kernel, process } = boot();
    const a = process.virtualAlloc(0, 0x10000, MEM_RESERVE, PAGE_READWRITE);
    const b = process.virtualAlloc(0, 0x4000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    roundTrip(kernel, () => process.virtualAlloc(b, 0x4000, MEM_RESET, PAGE_READWRITE));
    roundTrip(kernel, () => process.virtualAlloc(b, 0x4000, MEM_RESET_UNDO, PAGE_READWRITE));
    roundTrip(kernel, () => process.virtualAlloc(0, 0x4000, MEM_RESERVE | MEM_COMMIT | MEM_TOP_DOWN, PAGE_READWRITE));
    roundTrip(kernel, () => process.virtualAlloc(a + 0x1fff, 2, MEM_COMMIT, PAGE_READWRITE));
    roundTrip(kernel, () => process.virtualAlloc(0, 0x1000, MEM_COMMIT, PAGE_READWRITE));
  });

  it('virtualFree of a view (refused), a decommit with size 0, a release', () => {
    const { kernel, process } = boot();
    const section = kernel.createSection({ protect: PAGE_READWRITE, size: 0x2000 });
    const view = process.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    const a = process.virtualAlloc(0, 0x4000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    process.writeMemory(a, new Uint8Array([1]));
    roundTrip(kernel, () => process.virtualFree(view, 0, MEM_RELEASE));
    roundTrip(kernel, () => process.virtualFree(a, 0, MEM_DECOMMIT));
    roundTrip(kernel, () => process.virtualFree(a, 0, MEM_RELEASE));
  });

  it('virtualProtect on a view whose section other processes view too, and across allocations (refused)', () => {
    const { kernel, process } = boot();
    const other = kernel.createProcess();
    const section = kernel.createSection({ protect: PAGE_READWRITE, size: 0x2000 });
    const view = process.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    const theirs = other.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    process.writeMemory(view, new Uint8Array([1]));
    other.readMemory(theirs, 1);
    kernel.run(1 % kernel.cpus.length, other).mmu.read8(theirs);
    roundTrip(kernel, () => process.virtualProtect(view, 0x2000, PAGE_READONLY));
    const a = process.virtualAlloc(0, 0x10000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    process.virtualAlloc(a + 0x10000, 0x10000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    roundTrip(kernel, () => process.virtualProtect(a + 0xf000, 0x2000, PAGE_READONLY));
  });

  it('readMemory and writeMemory crossing allocations, guard pages, section pages read in, copy-on-write views', () => {
    const { kernel, process } = boot();
    const a = process.virtualAlloc(0x100000, 0x10000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    process.virtualAlloc(a + 0x10000, 0x10000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
    roundTrip(kernel, () => process.readMemory(a + 0xf000, 0x2000)); // clears the guard of the second
    roundTrip(kernel, () => process.writeMemory(a + 0xfff0, new Uint8Array(0x20).fill(1)));
    const file = new Uint8Array(0x2000).fill(5);
    const section = kernel.createSection({ protect: PAGE_READWRITE, file });
    const shared = process.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    const copy = process.mapViewOfSection(section, { access: FILE_MAP_COPY });
    roundTrip(kernel, () => process.writeMemory(shared + 0x1000, new Uint8Array([1])));
    roundTrip(kernel, () => process.writeMemory(copy, new Uint8Array([1])));
    roundTrip(kernel, () => process.readMemory(copy, 0x2000));
  });

  it('getWriteWatch with reset, resetWriteWatch', () => {
    const { kernel, process, mmu } = boot();
    const a = process.virtualAlloc(0, 0x4000, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE);
    mmu.write8(a, 1);
    mmu.write8(a + 0x1000, 1);
    roundTrip(kernel, () => process.getWriteWatch(a, 0x4000, true));
    roundTrip(kernel, () => process.resetWriteWatch(a, 0x4000));
  });

  it('faults: a copy-on-write write to a shared section page, a fork\'s shared pages, a SEC_RESERVE commit seen by another process, stack growth', () => {
    const { kernel, process, mmu } = boot({ cpus: 2 });
    const other = kernel.createProcess();
    const section = kernel.createSection({ protect: PAGE_READWRITE, size: 0x4000 });
    const mine = process.mapViewOfSection(section, { access: FILE_MAP_COPY });
    const theirs = other.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    const cpu1 = kernel.run(1, other);
    cpu1.mmu.write8(theirs, 7);
    roundTrip(kernel, () => mmu.write8(mine, 1)); // copy-on-write: the other process's allocation keeps the section's frame
    roundTrip(kernel, () => mmu.write8(mine + 0x1000, 1)); // first touch, copy-on-write
    const heap = process.virtualAlloc(0, 0x4000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    mmu.write8(heap, 1);
    const child = process.fork();
    roundTrip(kernel, () => mmu.write8(heap, 2)); // the parent's copy
    roundTrip(kernel, () => kernel.run(1, child).mmu.write8(heap, 3)); // the child's copy
    const reserved = kernel.createSection({ protect: PAGE_READWRITE, size: 0x4000, attributes: SEC_RESERVE });
    const r1 = process.mapViewOfSection(reserved, { access: FILE_MAP_WRITE });
    const r2 = other.mapViewOfSection(reserved, { access: FILE_MAP_READ });
    roundTrip(kernel, () => process.virtualAlloc(r1, 0x1000, MEM_COMMIT, PAGE_READWRITE));
    expect(other.virtualQuery(r2).state).toBe(MEM_RESERVE);
    const thread = process.createThread();
    const cpu = kernel.runThread(0, thread);
    roundTrip(kernel, () => cpu.mmu.write8(thread.stackLimit - 1, 1)); // the guard page: the stack grows
  });
});
