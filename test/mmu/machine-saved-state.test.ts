// Saved states of a bare machine (issue 17): MachineSnapshots.save writes RAM, every MMU (registers, TLBs,
// walk caches, counters) and the frame allocator to bytes, now or as an open snapshot was; load puts them into a
// machine built the same way, and a run after the load is the run after the save. A foreign, damaged,
// other-version or other-machine blob is a SavedStateError and leaves the machine as it was.
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
  SAVED_STATE_VERSION,
  SavedStateError,
  SIFIVE_U54_TLB,
  type FormatName,
  type SavedStateErrorReason,
  type TlbHierarchyConfig,
} from '../../src/index.js';
import { crc32 } from '../../src/mmu/byte-codec.js';

const PAGE = 4096;

function machine(options: { format?: FormatName; cpus?: number; size?: number; tlb?: TlbHierarchyConfig } = {}) {
  const format = options.format ?? 'x86-64';
  const memory = new PhysicalMemory({ size: options.size ?? 8 << 20 });
  const frames = new FrameAllocator(memory);
  const tables = new PageTableBuilder(memory, format, frames);
  const mmus = Array.from({ length: options.cpus ?? 1 }, () => new Mmu({ memory, format, tlb: options.tlb }));
  for (let i = 0; i < 32; i++) tables.map(0x40_0000 + i * PAGE, frames.allocate() * PAGE, { writable: true, user: true });
  for (const mmu of mmus) {
    mmu.setRoot(tables.root, 1);
    mmu.setPrivilege(Privilege.User);
  }
  const snapshots = new MachineSnapshots({ memory, mmus, frames });
  return { memory, frames, mmus, mmu: mmus[0], snapshots };
}

type Machine = ReturnType<typeof machine>;

/** Reads, writes and faults over 40 pages (8 of them unmapped), returning what each gave. */
function run(m: Machine, seed: number, count = 200): unknown[] {
  const out: unknown[] = [];
  let x = seed | 1;
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const va = 0x40_0000 + ((x >>> 3) % 40) * PAGE + ((x >>> 9) % (PAGE / 4)) * 4;
    out.push(x & 1 ? m.mmu.tryWrite32(va, x >>> 0) : m.mmu.tryRead32(va), m.mmu.faultRecord.reason);
  }
  return out;
}

const observe = (m: Machine) => JSON.stringify({ stats: m.mmus.map((mmu) => [mmu.stats(), mmu.cycles]), free: m.frames.freeCount });

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function reasonOf(action: () => unknown): SavedStateErrorReason {
  try {
    action();
  } catch (e) {
    if (e instanceof SavedStateError) return e.reason;
    throw e;
  }
  throw new Error('expected a SavedStateError');
}

describe('MachineSnapshots saved states', () => {
  it('a machine built the same way, loaded, runs as the saved one does: values, faults, TLB statistics, cycles', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer(), fc.constantFrom<FormatName>('x86-64', 'sv39', 'x86-pae'), (before, after, format) => {
        const a = machine({ format, cpus: 2 });
        run(a, before);
        const saved = a.snapshots.save();
        const b = machine({ format, cpus: 2 });
        b.snapshots.load(saved);
        expect(observe(b)).toBe(observe(a));
        expect(sameBytes(b.memory.bytes, a.memory.bytes)).toBe(true);
        expect(run(b, after)).toEqual(run(a, after));
        expect(observe(b)).toBe(observe(a));
        expect(b.frames.allocate()).toBe(a.frames.allocate());
      }),
      { numRuns: 20 },
    );
  });

  it('saves an open snapshot as it was: the bytes a save gives right after a restore to it', () => {
    const a = machine();
    run(a, 1);
    const s = a.snapshots.take();
    run(a, 2);
    a.frames.allocate();
    const saved = a.snapshots.save(s);
    a.snapshots.restore(s);
    expect(sameBytes(a.snapshots.save(), saved)).toBe(true);
    const b = machine();
    b.snapshots.load(saved);
    expect(run(b, 3)).toEqual(run(a, 3));
  });

  it('a load is a change like any other: an open snapshot restores to before it, and it writes only the frames that differ', () => {
    const a = machine();
    run(a, 5);
    const saved = a.snapshots.save();
    const b = machine();
    const before = b.memory.bytes.slice();
    const stats = observe(b);
    const s = b.snapshots.take();
    const written = b.snapshots.load(saved);
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(40); // the pages the run wrote and their page tables, not RAM's 2048 frames
    expect(b.snapshots.load(saved)).toBe(0); // nothing differs the second time
    b.snapshots.restore(s);
    expect(sameBytes(b.memory.bytes, before)).toBe(true);
    expect(observe(b)).toBe(stats);
  });

  it('writes zero frames as nothing: a saved state is about the size of what was written', () => {
    const small = machine({ size: 64 << 20 });
    run(small, 1, 20);
    expect(small.snapshots.save().length).toBeLessThan(small.memory.bytes.length / 50);
  });

  it('refuses a foreign, damaged, other-version or other-machine state with its reason, and the machine is unchanged', () => {
    const a = machine();
    run(a, 7);
    const saved = a.snapshots.save();
    const b = machine();
    run(b, 8);
    const unchanged = b.snapshots.save();
    const refusals: Array<[SavedStateErrorReason, unknown]> = [
      ['not-a-saved-state', new Uint8Array(0)],
      ['not-a-saved-state', new Uint8Array(100).fill(0x89)],
      ['not-a-saved-state', [...saved]],
      ['corrupt', saved.subarray(0, saved.length - 1)],
      ['corrupt', Object.assign(saved.slice(), { [saved.length - 5]: saved[saved.length - 5] ^ 1 })],
      ['mismatch', machine({ cpus: 2 }).snapshots.save()],
      ['mismatch', machine({ size: 4 << 20 }).snapshots.save()],
      ['mismatch', machine({ format: 'sv39' }).snapshots.save()],
      ['mismatch', machine({ tlb: SIFIVE_U54_TLB }).snapshots.save()],
    ];
    const future = saved.slice();
    new DataView(future.buffer).setUint32(8, SAVED_STATE_VERSION + 1, true);
    refusals.push(['version', future]);
    for (const [reason, bytes] of refusals) {
      expect(reasonOf(() => b.snapshots.load(bytes as Uint8Array))).toBe(reason);
      expect(sameBytes(b.snapshots.save(), unchanged)).toBe(true);
    }
  });

  it('damage the checksum does not catch fails as a SavedStateError, and then leaves the machine unchanged (property)', () => {
    const a = machine();
    run(a, 9);
    const saved = a.snapshots.save();
    fc.assert(
      fc.property(fc.integer({ min: 16, max: saved.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const bytes = saved.slice();
        bytes[at] ^= xor;
        new DataView(bytes.buffer).setUint32(12, crc32(bytes.subarray(16)), true);
        // A new machine each time: a damaged state that loads (a byte of RAM, a counter, a reference) is not undone by loading a good one.
        const b = machine();
        run(b, 10, 20);
        const unchanged = b.snapshots.save();
        try {
          b.snapshots.load(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(SavedStateError);
          expect(sameBytes(b.snapshots.save(), unchanged)).toBe(true);
        }
      }),
      { numRuns: 80 },
    );
  });

  it('checks its arguments', () => {
    const a = machine();
    const other = machine().snapshots.take();
    expect(() => a.snapshots.save(other)).toThrow(InvalidArgumentError);
    const s = a.snapshots.take();
    a.snapshots.discard(s);
    expect(() => a.snapshots.save(s)).toThrow(InvalidArgumentError);
  });
});
