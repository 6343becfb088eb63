// Snapshots of a bare machine (issue 17): physical memory through its undo journal, the frame allocator and
// every MMU; restore in O(pages written), nested snapshots, and a run after a restore identical to the run
// after the snapshot (values, faults, statistics), whoever wrote the memory: the MMU's hit path, its slow
// path, the walker's A/D bits, bulk copies or physical memory's own methods.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FrameAllocator,
  InvalidArgumentError,
  MachineSnapshots,
  Mmu,
  PageTableBuilder,
  PhysicalMemory,
  Privilege,
  type FormatName,
} from '../../src/index.js';

const PAGE = 4096;

function machine(format: FormatName = 'x86-64', cpus = 1) {
  const memory = new PhysicalMemory({ size: 8 << 20 });
  const frames = new FrameAllocator(memory);
  const tables = new PageTableBuilder(memory, format, frames);
  const mmus = Array.from({ length: cpus }, () => new Mmu({ memory, format }));
  // 32 user pages at 0x40_0000, writable, on frames from the allocator.
  for (let i = 0; i < 32; i++) tables.map(0x40_0000 + i * PAGE, frames.allocate() * PAGE, { writable: true, user: true });
  for (const mmu of mmus) {
    mmu.setRoot(tables.root, 1);
    mmu.setPrivilege(Privilege.User);
  }
  const snapshots = new MachineSnapshots({ memory, mmus, frames });
  return { memory, frames, tables, mmus, mmu: mmus[0], snapshots };
}

/** A copy of all of RAM, to compare with. */
const ram = (memory: PhysicalMemory) => memory.bytes.slice();

/** The first byte offset where RAM differs from `copy`, or -1 (vitest's deep equality takes seconds on megabytes). */
function firstDifference(memory: PhysicalMemory, copy: Uint8Array): number {
  const a = new Int32Array(memory.bytes.buffer, memory.bytes.byteOffset, memory.bytes.length >> 2);
  const b = new Int32Array(copy.buffer, copy.byteOffset, copy.length >> 2);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i * 4;
  return -1;
}

describe('MachineSnapshots', () => {
  it('restores the pages written since, and only those; the snapshot stays open for the next restore', () => {
    const { memory, mmu, snapshots } = machine();
    mmu.write32(0x40_0000, 1);
    const before = ram(memory);
    const start = snapshots.take();
    mmu.write32(0x40_0000, 2); // through the hit path once the slot is filled
    mmu.write32(0x40_0004, 3);
    mmu.write32(0x40_5000, 4);
    // The two data pages, and the page table whose entry for 0x40_5000 the walk marked accessed and dirty.
    expect(snapshots.pagesSince(start)).toBe(3);
    expect(snapshots.restore(start)).toEqual({ framesCopied: 3, dropped: 0 });
    expect(firstDifference(memory, before)).toBe(-1);
    expect(mmu.read32(0x40_0000)).toBe(1);
    mmu.write32(0x40_1000, 9);
    expect(snapshots.restore(start).framesCopied).toBe(2); // again, from the same snapshot: the page and its page table (A/D); the read copied nothing
    expect(firstDifference(memory, before)).toBe(-1);
  });

  it('empties every write slot when it takes a snapshot, so an emulator\'s inlined stores miss and go through the MMU', () => {
    const { mmu, snapshots } = machine();
    mmu.write32(0x40_0000, 1);
    const cache = mmu.translationCache;
    expect([...cache.writeTag].some((tag) => tag !== -1)).toBe(true);
    snapshots.take();
    expect([...cache.writeTag].every((tag) => tag === -1)).toBe(true);
  });

  it('covers the walker\'s accessed and dirty bits, physical memory\'s own writes, bulk copies and frame allocations', () => {
    const { memory, frames, mmu, snapshots } = machine();
    const before = ram(memory);
    const freeBefore = frames.freeCount;
    const start = snapshots.take();
    mmu.read32(0x40_3000); // a walk: A bits in every entry used
    mmu.writeBytes(0x40_7ffe, new Uint8Array([1, 2, 3, 4])); // two pages, one bulk copy
    memory.write64(0x10, 5n);
    memory.writeBytes(0x100, new Uint8Array(300).fill(7));
    const frame = frames.allocate();
    memory.zeroFrame(frame);
    memory.write32(frame * PAGE, 1);
    snapshots.restore(start);
    expect(firstDifference(memory, before)).toBe(-1);
    expect(frames.freeCount).toBe(freeBefore);
    expect(frames.allocate()).toBe(frame); // the same frame comes next again
  });

  it('a run after a restore is the run after the snapshot: values, faults and every statistic (property)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('write' as const), page: fc.integer({ min: 0, max: 40 }), offset: fc.integer({ min: 0, max: PAGE - 4 }), value: fc.integer({ min: 0, max: 0xffff_ffff }) }),
      fc.record({ kind: fc.constant('read' as const), page: fc.integer({ min: 0, max: 40 }), offset: fc.integer({ min: 0, max: PAGE - 4 }) }),
      fc.record({ kind: fc.constant('invalidate' as const), page: fc.integer({ min: 0, max: 40 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), fc.array(op, { maxLength: 30 }), (before, after) => {
        const { memory, mmu, snapshots } = machine();
        const run = (ops: typeof before) =>
          ops.map((o) => {
            const va = 0x40_0000 + o.page * PAGE;
            if (o.kind === 'invalidate') return mmu.invalidatePage(va);
            const value = o.kind === 'write' ? mmu.tryWrite32(va + o.offset, o.value) : mmu.tryRead32(va + o.offset);
            return [value, mmu.faultRecord.reason];
          });
        run(before);
        const image = ram(memory);
        const s = snapshots.take();
        const first = run(after);
        const stats = JSON.stringify(mmu.stats());
        snapshots.restore(s);
        expect(firstDifference(memory, image)).toBe(-1);
        expect(run(after)).toEqual(first);
        expect(JSON.stringify(mmu.stats())).toBe(stats);
      }),
      { numRuns: 60 },
    );
  });

  it('nests: restoring an older snapshot drops the newer ones; discarding passes their pages down', () => {
    const { memory, mmu, snapshots } = machine('sv39');
    const at0 = ram(memory);
    const s0 = snapshots.take();
    mmu.write32(0x40_0000, 1);
    const at1 = ram(memory);
    const s1 = snapshots.take();
    mmu.write32(0x40_0000, 2);
    mmu.write32(0x40_2000, 3);
    const s2 = snapshots.take();
    mmu.write32(0x40_4000, 4);
    snapshots.restore(s1);
    expect(firstDifference(memory, at1)).toBe(-1);
    expect(s2.open).toBe(false);
    expect(() => snapshots.restore(s2)).toThrow(InvalidArgumentError);
    mmu.write32(0x40_6000, 5);
    snapshots.discard(s1); // its pages (0x40_0000's as it was at s1, …) pass to s0, which already has 0x40_0000's older bytes
    expect(snapshots.snapshots).toEqual([s0]);
    snapshots.restore(s0);
    expect(firstDifference(memory, at0)).toBe(-1);
    expect(mmu.read32(0x40_0000)).toBe(0);
  });

  it('a discard hands the newer level\'s pages down without losing the older bytes the older level saved (regression)', () => {
    const { memory, mmu, snapshots } = machine();
    const at0 = ram(memory);
    const older = snapshots.take();
    mmu.write32(0x40_0000, 1);
    const newer = snapshots.take();
    mmu.write32(0x40_0000, 2);
    snapshots.discard(newer);
    mmu.write32(0x40_0000, 3); // saved by the older level already: nothing more to save
    snapshots.restore(older);
    expect(firstDifference(memory, at0)).toBe(-1);
  });

  it('covers every CPU\'s MMU: registers, TLBs and privilege come back', () => {
    const { mmus, tables, snapshots } = machine('x86-64', 2);
    mmus[1].read32(0x40_0000);
    const s = snapshots.take();
    const stats = mmus.map((m) => JSON.stringify(m.stats()));
    mmus[0].setPrivilege(Privilege.Supervisor);
    mmus[1].setRoot(tables.root, 7);
    mmus[1].invalidateAll();
    snapshots.restore(s);
    expect(mmus.map((m) => JSON.stringify(m.stats()))).toEqual(stats);
    expect(mmus[0].privilege).toBe(Privilege.User);
    expect(mmus[1].asid).toBe(1);
    expect(mmus[1].stats().tlb.l1d.misses).toBe(JSON.parse(stats[1]).tlb.l1d.misses);
  });

  it('checks its arguments: one MachineSnapshots per memory, MMUs and allocator of that memory, its own open snapshots', () => {
    const { memory, mmu, snapshots } = machine();
    const other = machine();
    expect(() => new MachineSnapshots({ memory })).toThrow(InvalidArgumentError);
    expect(() => new MachineSnapshots({ memory: new PhysicalMemory({ size: 1 << 20 }), mmus: [mmu] })).toThrow(InvalidArgumentError);
    expect(() => new MachineSnapshots({ memory: new PhysicalMemory({ size: 1 << 20 }), frames: other.frames })).toThrow(InvalidArgumentError);
    expect(() => new MachineSnapshots({ memory: new PhysicalMemory({ size: 1 << 20 }), extra: 1 } as never)).toThrow(InvalidArgumentError);
    const theirs = other.snapshots.take();
    expect(() => snapshots.restore(theirs)).toThrow(InvalidArgumentError);
    expect(() => snapshots.discard({} as never)).toThrow(InvalidArgumentError);
  });

  it('writes cost nothing once every snapshot is discarded', () => {
    const { memory, mmu, snapshots } = machine();
    const s = snapshots.take();
    snapshots.discard(s);
    expect(memory.journal).toBeNull();
    mmu.write32(0x40_0000, 1);
    expect(snapshots.snapshots).toEqual([]);
  });
});
