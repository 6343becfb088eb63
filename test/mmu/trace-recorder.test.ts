// The trace recorder and what a bare MMU records into it: walks, TLB fills (from a walk or from the
// L2), evictions, faults and their handlers; the ring buffer's bounds; and that an MMU with no
// recorder, or one detached, behaves and counts exactly as before.
import { describe, expect, it } from 'vitest';
import {
  Access,
  FaultReason,
  FaultResolution,
  FrameAllocator,
  InvalidArgumentError,
  Mmu,
  PageTableBuilder,
  PhysicalMemory,
  SKYLAKE_CYCLES,
  type FaultHandler,
} from '../../src/index.js';
import { DEFAULT_TRACE_CAPACITY, TraceRecorder, type TraceEvent } from '../../src/mmu/trace-recorder.js';

const PAGE = 4096;
const BASE = 0x40_0000;

/** An x86-64 MMU over `pages` mapped pages at BASE (and nothing at BASE + pages * PAGE). */
function machine(pages = 4, options: { handler?: FaultHandler } = {}) {
  const memory = new PhysicalMemory({ size: 4 << 20 });
  const frames = new FrameAllocator(memory);
  const tables = new PageTableBuilder(memory, 'x86-64', frames);
  for (let i = 0; i < pages; i++) tables.map(BASE + i * PAGE, frames.allocate() * PAGE, { writable: true, executable: true, user: true });
  const mmu = new Mmu({ memory, format: 'x86-64', faultHandler: options.handler ?? null });
  mmu.setRoot(tables.root, 1);
  return { memory, frames, tables, mmu };
}

/** The events without their host time (which differs between two runs). */
const withoutHost = (events: TraceEvent[]) => events.map(({ hostTime: _, ...rest }) => rest);
const kinds = (recorder: TraceRecorder) => recorder.events().map((e) => e.kind);

describe('TraceRecorder', () => {
  it('starts empty with the default capacity', () => {
    const recorder = new TraceRecorder();
    expect(recorder.capacity).toBe(DEFAULT_TRACE_CAPACITY);
    expect(recorder.size).toBe(0);
    expect(recorder.recorded).toBe(0);
    expect(recorder.dropped).toBe(0);
    expect(recorder.events()).toEqual([]);
    expect(recorder.tracks()).toEqual([]);
  });

  it('rejects bad options', () => {
    for (const bad of [0, -1, 1.5, 2 ** 24 + 1, '16', null]) {
      expect(() => new TraceRecorder({ capacity: bad as number })).toThrow(InvalidArgumentError);
    }
    expect(() => new TraceRecorder({ capasity: 4 } as never)).toThrow(/did you mean `capacity`/);
    expect(() => new TraceRecorder(null as never)).toThrow(InvalidArgumentError);
    expect(() => new TraceRecorder({ hostTime: 1 as never })).toThrow(InvalidArgumentError);
  });

  it('keeps the host time of each event, or none when asked not to', () => {
    const keeps = machine();
    const without = machine();
    const a = new TraceRecorder();
    const b = new TraceRecorder({ hostTime: false });
    keeps.mmu.setTracer(a);
    without.mmu.setTracer(b);
    const before = performance.now();
    keeps.mmu.read32(BASE);
    without.mmu.read32(BASE);
    expect([a.hostTime, b.hostTime]).toEqual([true, false]);
    expect(a.events().every((e) => e.hostTime >= before && e.hostTime <= performance.now())).toBe(true);
    expect(b.events().map((e) => e.hostTime)).toEqual([0, 0]);
    expect(withoutHost(b.events())).toEqual(withoutHost(a.events()));
  });

  it('numbers tracks by process and thread name, one process id per process name', () => {
    const recorder = new TraceRecorder({ capacity: 4 });
    const a = machine();
    const b = machine();
    const c = machine();
    a.mmu.setTracer(recorder, { process: 'board', thread: 'hart 0' });
    b.mmu.setTracer(recorder, { process: 'board', thread: 'hart 1' });
    c.mmu.setTracer(recorder, { process: 'other' });
    expect(recorder.tracks()).toEqual([
      { id: 0, process: 'board', thread: 'hart 0', pid: 1, tid: 1 },
      { id: 1, process: 'board', thread: 'hart 1', pid: 1, tid: 2 },
      { id: 2, process: 'other', thread: 'CPU', pid: 2, tid: 1 },
    ]);
    // The same names are the same track.
    c.mmu.setTracer(recorder, { process: 'board', thread: 'hart 0' });
    expect(recorder.tracks()).toHaveLength(3);
  });
});

describe('an MMU with a recorder', () => {
  it('records a miss as a walk and a TLB fill, and a hit as nothing', () => {
    const { mmu } = machine();
    const recorder = new TraceRecorder();
    mmu.setTracer(recorder);
    expect(mmu.traceRecorder).toBe(recorder);
    mmu.read32(BASE + 8);
    const [walk, fill] = recorder.events();
    expect(walk).toMatchObject({ kind: 'walk', track: 0, va: BASE + 8, access: Access.Read, reason: FaultReason.None, level: 3, pageShift: 12, pteReads: 4, pteWrites: 4, walkCacheHits: 0 });
    expect(walk.duration).toBe(4 * SKYLAKE_CYCLES.pteRead + 4 * SKYLAKE_CYCLES.pteWrite);
    // The walk starts after the L2 lookup of the miss, and ends where the fill happens.
    expect(walk.cycle).toBe(SKYLAKE_CYCLES.l2Hit);
    expect(fill).toMatchObject({ kind: 'tlb-fill', va: BASE + 8, levels: ['L1D', 'L2'], source: 'walk', pageShift: 12, asid: 1, cycle: walk.cycle + walk.duration, duration: 0 });
    for (let i = 0; i < 100; i++) mmu.read32(BASE + 8);
    mmu.write32(BASE + 16, 1); // a write through a clean entry walks again (to set D)
    expect(kinds(recorder)).toEqual(['walk', 'tlb-fill', 'walk', 'tlb-fill']);
    mmu.fetch(BASE); // the ITLB misses, the L2 hits: a fill from the L2 into the L1I
    expect(recorder.events()[4]).toMatchObject({ kind: 'tlb-fill', levels: ['L1I'], source: 'L2', va: BASE });
    expect(recorder.size).toBe(5);
    expect(recorder.events().every((e) => e.hostTime > 0)).toBe(true);
  });

  it('records a fault without a handler, and a fault a handler resolves with the handler\'s cycles', () => {
    const unhandled = machine(1);
    const recorder = new TraceRecorder();
    unhandled.mmu.setTracer(recorder);
    expect(unhandled.mmu.tryRead32(BASE + PAGE)).toBe(-1);
    expect(kinds(recorder)).toEqual(['walk', 'fault']);
    expect(recorder.events()[1]).toMatchObject({ kind: 'fault', va: BASE + PAGE, access: Access.Read, reason: FaultReason.NotPresent, level: 3 });

    // A handler that maps the page and retries.
    let tables: PageTableBuilder | null = null;
    const handler: FaultHandler = {
      handleFault: (fault) => {
        tables!.map(fault.address - (fault.address % PAGE), 0x10_0000, { writable: true, user: true });
        return FaultResolution.Retry;
      },
    };
    const handled = machine(1, { handler });
    tables = handled.tables;
    const traced = new TraceRecorder();
    handled.mmu.setTracer(traced);
    handled.mmu.write32(BASE + PAGE, 7);
    expect(kinds(traced)).toEqual(['walk', 'fault', 'fault-handled', 'walk', 'tlb-fill']);
    const [walk, fault, done, retry] = traced.events();
    expect(fault.cycle).toBe(walk.cycle + walk.duration);
    expect(done).toMatchObject({ kind: 'fault-handled', outcome: 'retry', va: BASE + PAGE, access: Access.Write, reason: FaultReason.NotPresent, cycle: fault.cycle });
    expect(done.duration).toBe(SKYLAKE_CYCLES.faultEntry + SKYLAKE_CYCLES.faultExit);
    expect(retry.cycle).toBeGreaterThanOrEqual(done.cycle + done.duration);
    expect(handled.mmu.stats().faults).toBe(1);
  });

  it('records each eviction of each level, as the TLB statistics count them', () => {
    // 80 pages mapping one frame each: more than the 64-entry L1 DTLB holds.
    const { mmu } = machine(80);
    const recorder = new TraceRecorder();
    mmu.setTracer(recorder);
    for (let i = 0; i < 80; i++) mmu.read32(BASE + i * PAGE);
    const stats = mmu.stats().tlb;
    const evictions = recorder.events().filter((e) => e.kind === 'tlb-eviction');
    expect(stats.l1d.evictions).toBeGreaterThan(0);
    expect(evictions.filter((e) => e.level === 'L1D')).toHaveLength(stats.l1d.evictions);
    expect(evictions.filter((e) => e.level === 'L2')).toHaveLength(stats.l2!.evictions);
    // A victim is a page the loop touched earlier, at the cycle of the fill that evicted it.
    for (const e of evictions) {
      expect(e.va).toBeGreaterThanOrEqual(BASE);
      expect(e.va).toBeLessThan(BASE + 80 * PAGE);
      expect(e).toMatchObject({ asid: 1, pageShift: 12, duration: 0 });
    }
  });

  it('keeps the newest events when the ring buffer overflows, and counts the dropped ones', () => {
    const big = new TraceRecorder();
    const small = new TraceRecorder({ capacity: 7 });
    const a = machine(40);
    const b = machine(40);
    a.mmu.setTracer(big);
    b.mmu.setTracer(small);
    for (const { mmu } of [a, b]) for (let i = 0; i < 40; i++) mmu.write32(BASE + i * PAGE, i);
    expect(big.dropped).toBe(0);
    expect(small.size).toBe(7);
    expect(small.recorded).toBe(big.recorded);
    expect(small.dropped).toBe(big.recorded - 7);
    expect(withoutHost(small.events())).toEqual(withoutHost(big.events().slice(-7)));
    small.clear();
    expect([small.size, small.recorded, small.dropped]).toEqual([0, 0, 0]);
    b.mmu.read32(BASE + 40 * PAGE - PAGE + 4); // a hit: still nothing
    b.mmu.invalidateAll();
    b.mmu.read32(BASE);
    expect(kinds(small)).toEqual(['walk', 'tlb-fill']);
  });

  it('stops recording when detached, and the TLBs stop reporting evictions', () => {
    const { mmu } = machine(80);
    const recorder = new TraceRecorder();
    mmu.setTracer(recorder);
    mmu.read32(BASE);
    mmu.setTracer(null);
    expect(mmu.traceRecorder).toBeNull();
    for (let i = 0; i < 80; i++) mmu.read32(BASE + i * PAGE);
    expect(recorder.size).toBe(2);
    expect(mmu.tlb.l1d.tracer).toBeNull();
    expect(mmu.tlb.l2!.tracer).toBeNull();
  });

  it('changes no counter, cycle, TLB entry or value', () => {
    const run = (traced: boolean) => {
      let tables: PageTableBuilder | null = null;
      const handler: FaultHandler = {
        handleFault: (fault) => {
          tables!.map(fault.address - (fault.address % PAGE), 0x20_0000, { writable: true, executable: true, user: true });
          return FaultResolution.Retry;
        },
      };
      const m = machine(90, { handler });
      tables = m.tables;
      if (traced) m.mmu.setTracer(new TraceRecorder({ capacity: 64 }));
      const values: number[] = [];
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 91; i++) {
          m.mmu.write32(BASE + i * PAGE + round * 4, i * 3 + round);
          values.push(m.mmu.read32(BASE + ((i * 7) % 91) * PAGE));
          values.push(m.mmu.fetch(BASE + ((i * 5) % 90) * PAGE));
        }
      }
      return { values, stats: m.mmu.stats(), cycles: m.mmu.cycles, l1d: m.mmu.tlb.l1d.entries(), l2: m.mmu.tlb.l2!.entries() };
    };
    expect(run(true)).toEqual(run(false));
  });

  it('keeps a track\'s clock going forward across a reset of the cycle counter', () => {
    const { mmu } = machine(3);
    const recorder = new TraceRecorder();
    mmu.setTracer(recorder);
    mmu.read32(BASE);
    mmu.read32(BASE + PAGE);
    mmu.resetCycles();
    mmu.read32(BASE + 2 * PAGE);
    const cycles = recorder.events().map((e) => e.cycle);
    expect(cycles).toEqual([...cycles].sort((x, y) => x - y));
  });

  it('traces an Sv39 walk and a RISC-V page fault', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000 });
    const tables = new PageTableBuilder(memory, 'sv39', new FrameAllocator(memory));
    tables.map(0x1000, 0x8008_0000, { writable: true, accessed: true, dirty: true });
    const mmu = new Mmu({ memory, format: 'sv39' });
    mmu.setRoot(tables.root, 2);
    const recorder = new TraceRecorder();
    mmu.setTracer(recorder, { process: 'riscv', thread: 'hart 0' });
    mmu.write32(0x1000, 5);
    expect(mmu.tryRead32(0x5000)).toBe(-1);
    const events = recorder.events();
    expect(events.map((e) => e.kind)).toEqual(['walk', 'tlb-fill', 'walk', 'fault']);
    expect(events[0]).toMatchObject({ pteReads: 3, pteWrites: 0, level: 2, pageShift: 12 });
    expect(events[3]).toMatchObject({ reason: FaultReason.NotPresent, va: 0x5000 });
  });

  it('rejects bad arguments and changes nothing', () => {
    const { mmu } = machine();
    const recorder = new TraceRecorder();
    mmu.setTracer(recorder, { thread: 'kept' });
    for (const bad of [{}, 1, 'recorder', { events: () => [] }]) expect(() => mmu.setTracer(bad as never)).toThrow(InvalidArgumentError);
    for (const names of [null, 1, { process: '' }, { thread: 5 }, { cpu: 'x' }, { process: 'x'.repeat(201) }]) {
      expect(() => mmu.setTracer(new TraceRecorder({ capacity: 1 }), names as never)).toThrow(InvalidArgumentError);
    }
    expect(() => mmu.setTracer(null, { thread: 'x' })).toThrow(InvalidArgumentError);
    expect(mmu.traceRecorder).toBe(recorder);
    mmu.read32(BASE);
    expect(recorder.size).toBe(2);
    expect(recorder.tracks().map((t) => t.thread)).toEqual(['kept']);
  });
});
