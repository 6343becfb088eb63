// A kernel with a trace recorder: the events of a scenario that takes every kind of fault the
// kernel resolves (demand-zero, copy-on-write after fork, reuse, guard page, stack growth, access
// violation) and shootdowns across two CPUs, counted against kernel.stats and the MMUs' own
// counters; and the same scenario without a recorder, which must behave and count identically.
import { describe, expect, it } from 'vitest';
import {
  FILE_MAP_WRITE,
  InvalidArgumentError,
  Kernel,
  MEM_COMMIT,
  MEM_RESERVE,
  MEM_WRITE_WATCH,
  PAGE_GUARD,
  PAGE_READONLY,
  PAGE_READWRITE,
  STATUS_ACCESS_VIOLATION,
  STATUS_GUARD_PAGE_VIOLATION,
  verify,
} from '../../src/index.js';
import { TraceRecorder, type TraceEvent, type TraceEventKind, type TraceResolution } from '../../src/mmu/trace-recorder.js';
import { toChromeTrace } from '../../src/mmu/chrome-trace.js';
import { exceptionOf } from './helpers.js';

const PG = 0x1000;

/** Runs the scenario on a new 2-CPU kernel, with `recorder` attached first when given. */
function scenario(recorder: TraceRecorder | null) {
  const kernel = new Kernel({ cpus: 2, memorySize: 8 << 20 });
  if (recorder !== null) kernel.setTracer(recorder);
  const values: number[] = [];
  const parent = kernel.createProcess();
  const cpu0 = kernel.run(0, parent).mmu;
  const heap = parent.virtualAlloc(0, 4 * PG, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
  cpu0.write32(heap, 0x11); // demand-zero: a zeroed frame
  cpu0.write32(heap + PG, 0x22); // demand-zero: a zeroed frame
  values.push(cpu0.read32(heap + 2 * PG)); // demand-zero: the shared zero frame, no zeroing
  cpu0.write32(heap + 2 * PG, 0x33); // a write to the zero frame: demand-zero with a zeroed frame

  // Fork: the parent's written pages become copy-on-write, shared with the child (running on CPU 1).
  const child = parent.fork();
  const cpu1 = kernel.run(1, child).mmu;
  values.push(cpu1.read32(heap));
  cpu1.write32(heap, 0x44); // copy-on-write: the child gets a copy
  cpu0.write32(heap, 0x55); // the parent is now the frame's only owner: reuse, no copy
  values.push(cpu0.read32(heap), cpu1.read32(heap));
  child.writeMemory(heap + PG, new Uint8Array([1, 2, 3, 4])); // WriteProcessMemory: a copy made for no CPU

  // A guard page: STATUS_GUARD_PAGE_VIOLATION once, then demand-zero.
  const guard = parent.virtualAlloc(0, PG, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
  values.push(exceptionOf(() => cpu0.read32(guard)).exceptionCode);
  values.push(cpu0.read32(guard));
  // An access violation.
  values.push(exceptionOf(() => cpu0.write8(0x7000_0000, 1)).exceptionCode);
  // Stack growth: a thread's stack grows through its guard page.
  const thread = parent.createThread();
  kernel.runThread(0, thread);
  cpu0.write32(thread.stackLimit - 4, 9);
  values.push(cpu0.read32(thread.stackLimit + PG - 4));

  // A shootdown across both CPUs: the parent runs on both, both cache the page, then it is protected.
  kernel.run(0, parent);
  kernel.run(1, parent);
  values.push(cpu0.read32(heap + PG), cpu1.read32(heap + PG));
  parent.virtualProtect(heap + PG, PG, PAGE_READONLY);
  return { kernel, values };
}

const count = (events: TraceEvent[], kind: TraceEventKind) => events.filter((e) => e.kind === kind).length;
const resolutions = (events: TraceEvent[], resolution: TraceResolution) => events.filter((e) => e.kind === 'resolution' && e.resolution === resolution).length;

describe('a kernel with a trace recorder', () => {
  it('records every fault resolution, frame operation and shootdown, as kernel.stats counts them', () => {
    const recorder = new TraceRecorder();
    const { kernel, values } = scenario(recorder);
    expect(verify(kernel)).toEqual([]);
    expect(values).toContain(STATUS_GUARD_PAGE_VIOLATION);
    expect(values).toContain(STATUS_ACCESS_VIOLATION);
    expect(recorder.dropped).toBe(0);
    const events = recorder.events();
    const stats = kernel.stats;

    // The scenario takes each kind at least once.
    expect(stats).toMatchObject({ demandZeroFaults: 6, copyOnWriteFaults: 2, copyOnWriteReuses: 1, guardFaults: 1, accessViolations: 1 });
    expect(stats.shootdownIpis).toBeGreaterThan(0);
    expect(resolutions(events, 'demand-zero')).toBe(stats.demandZeroFaults);
    expect(resolutions(events, 'copy-on-write')).toBe(stats.copyOnWriteFaults);
    expect(resolutions(events, 'copy-on-write-reuse')).toBe(stats.copyOnWriteReuses);
    expect(resolutions(events, 'guard-page')).toBe(stats.guardFaults);
    expect(resolutions(events, 'access-violation')).toBe(stats.accessViolations);
    expect(resolutions(events, 'section-read-in')).toBe(stats.sectionFaults);
    expect(resolutions(events, 'relocated')).toBe(stats.relocatedPages);
    expect(resolutions(events, 'in-page-error')).toBe(stats.inPageErrors);
    expect(resolutions(events, 'stack-growth')).toBe(1);
    expect(resolutions(events, 'stack-overflow')).toBe(0);
    // Zero fills: every demand-zero fault but the two reads given the shared zero frame (the heap's
    // third page, the guard page after its exception).
    expect(count(events, 'zero-fill')).toBe(stats.demandZeroFaults - 2);
    expect(count(events, 'frame-copy')).toBe(stats.copyOnWriteFaults + stats.relocatedPages);
    expect(count(events, 'shootdown')).toBe(stats.shootdowns);
    expect(count(events, 'invalidation')).toBe(stats.invalidations);
    expect(events.filter((e) => e.kind === 'invalidation' && e.from !== e.track)).toHaveLength(stats.shootdownIpis);

    // The MMUs' part, against their own counters.
    const mmus = kernel.cpus.map((cpu) => cpu.mmu.stats());
    const sum = (f: (s: (typeof mmus)[number]) => number) => mmus.reduce((n, s) => n + f(s), 0);
    expect(count(events, 'walk')).toBe(sum((s) => s.walks));
    expect(count(events, 'fault')).toBe(sum((s) => s.faults));
    expect(count(events, 'fault-handled')).toBe(sum((s) => s.faults));
    expect(events.filter((e) => e.kind === 'fault-handled' && e.outcome === 'retry')).toHaveLength(sum((s) => s.faultRetries));
    expect(count(events, 'tlb-eviction')).toBe(sum((s) => s.tlb.l1d.evictions + s.tlb.l1i.evictions + (s.tlb.l2?.evictions ?? 0)));

    // Each CPU has its track; the copy made for no CPU is on the kernel's.
    const tracks = recorder.tracks();
    expect(tracks.map((t) => `${t.process}/${t.thread}`)).toEqual(['kernel/CPU 0', 'kernel/CPU 1', 'kernel/kernel']);
    const copies = events.filter((e) => e.kind === 'frame-copy');
    expect(copies.map((e) => tracks[e.track].thread)).toEqual(['CPU 1', 'kernel']);
    expect(copies.every((e) => e.duration === kernel.kernelCycles.frameCopy)).toBe(true);

    // The last shootdown: CPU 0 (running the parent, the initiator) invalidates locally and sends CPU 1 an IPI.
    const last = events.filter((e) => e.kind === 'shootdown').at(-1)!;
    expect(last).toMatchObject({ track: 0, cpus: 2, ipis: 1, duration: kernel.kernelCycles.invalidate + kernel.kernelCycles.ipi });
    const invalidations = events.filter((e) => e.kind === 'invalidation').slice(-2);
    expect(invalidations.map((e) => [tracks[e.track].thread, e.kind === 'invalidation' && e.from])).toEqual([
      ['CPU 0', 0],
      ['CPU 1', 0],
    ]);
  });

  it('nests the kernel\'s work inside the fault handler that did it', () => {
    const recorder = new TraceRecorder();
    scenario(recorder);
    const events = recorder.events();
    const handlers = events.filter((e) => e.kind === 'fault-handled');
    for (const e of events) {
      if (e.kind !== 'zero-fill' && e.kind !== 'frame-copy' && e.kind !== 'resolution') continue;
      if (recorder.tracks()[e.track].thread === 'kernel') continue;
      // Stamped on the CPU's clock inside the handler's slice of that CPU.
      const within = handlers.some((h) => h.track === e.track && h.cycle <= e.cycle && e.cycle + e.duration <= h.cycle + h.duration);
      expect(within, `${e.kind} at ${e.cycle}`).toBe(true);
    }
    const trace = toChromeTrace(recorder);
    expect(trace.traceEvents.filter((e) => e.ph === 's')).toHaveLength(trace.traceEvents.filter((e) => e.ph === 'f').length);
    expect(trace.traceEvents.some((e) => e.ph === 'f')).toBe(true);
  });

  it('behaves and counts exactly the same without a recorder, and records nothing then', () => {
    const traced = scenario(new TraceRecorder({ capacity: 16 })); // a small buffer: overflowing changes nothing either
    const plain = scenario(null);
    expect(plain.values).toEqual(traced.values);
    expect(plain.kernel.stats).toEqual(traced.kernel.stats);
    expect(plain.kernel.cpus.map((c) => c.mmu.stats())).toEqual(traced.kernel.cpus.map((c) => c.mmu.stats()));
    expect(plain.kernel.cpus.map((c) => c.mmu.tlb.l2!.entries())).toEqual(traced.kernel.cpus.map((c) => c.mmu.tlb.l2!.entries()));
    expect(plain.kernel.traceRecorder).toBeNull();
    expect(plain.kernel.cpus.every((c) => c.mmu.traceRecorder === null && c.mmu.tlb.l1d.tracer === null)).toBe(true);
  });

  it('names the resolutions that move no counter: a section page another process read in, an entry update', () => {
    const recorder = new TraceRecorder();
    const kernel = new Kernel({ cpus: 2, memorySize: 8 << 20 });
    kernel.setTracer(recorder);
    const section = kernel.createSection({ protect: PAGE_READWRITE, size: PG });
    const [a, b] = [kernel.createProcess(), kernel.createProcess()];
    const viewA = a.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    const viewB = b.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    kernel.run(0, a).mmu.read32(viewA); // reads the page in
    kernel.run(1, b).mmu.read32(viewB); // maps the frame a's fault read in
    const watched = a.virtualAlloc(0, PG, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE);
    const cpu0 = kernel.cpus[0].mmu;
    cpu0.write32(watched, 1); // demand-zero, recorded
    a.resetWriteWatch(watched, PG); // the entry goes read-only
    cpu0.write32(watched, 2); // recorded again: only the entry changes
    const resolved = recorder.events().flatMap((e) => (e.kind === 'resolution' ? [`${recorder.tracks()[e.track].thread}: ${e.resolution}`] : []));
    expect(resolved).toEqual(['CPU 0: section-read-in', 'CPU 1: shared-page', 'CPU 0: demand-zero', 'CPU 0: entry-update']);
    expect(verify(kernel)).toEqual([]);
  });

  it('detaches from every CPU, and rejects bad arguments changing nothing', () => {
    const kernel = new Kernel({ cpus: 2, memorySize: 8 << 20 });
    const recorder = new TraceRecorder();
    kernel.setTracer(recorder, { process: 'box' });
    expect(kernel.traceRecorder).toBe(recorder);
    expect(kernel.cpus.every((c) => c.mmu.traceRecorder === recorder)).toBe(true);
    for (const bad of [{}, 'recorder', 1]) expect(() => kernel.setTracer(bad as never)).toThrow(InvalidArgumentError);
    for (const options of [null, 1, { process: '' }, { process: 7 }, { name: 'x' }]) expect(() => kernel.setTracer(new TraceRecorder({ capacity: 1 }), options as never)).toThrow(InvalidArgumentError);
    expect(() => kernel.setTracer(null, { process: 'x' })).toThrow(InvalidArgumentError);
    expect(kernel.traceRecorder).toBe(recorder);
    expect(recorder.tracks().map((t) => t.process)).toEqual(['box', 'box', 'box']);
    kernel.setTracer(null);
    expect(kernel.traceRecorder).toBeNull();
    expect(kernel.cpus.every((c) => c.mmu.traceRecorder === null)).toBe(true);
    const p = kernel.createProcess();
    const base = p.virtualAlloc(0, PG, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    kernel.run(0, p).mmu.write32(base, 1);
    expect(recorder.size).toBe(0);
  });
});
