// The Chrome trace-event JSON a recorder exports: the shape Perfetto and chrome://tracing read
// (every event with ph, ts, pid, tid and name; metadata naming each process and thread; ts never
// decreasing along a track; complete events with a duration), the clock, and a bounded buffer.
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, Kernel, MEM_COMMIT, MEM_RESERVE, PAGE_READONLY, PAGE_READWRITE } from '../../src/index.js';
import { TraceRecorder } from '../../src/mmu/trace-recorder.js';
import { DEFAULT_CYCLES_PER_MICROSECOND, toChromeTrace, type ChromeTrace, type ChromeTraceEvent } from '../../src/mmu/chrome-trace.js';

const PG = 0x1000;

/** Two CPUs: demand-zero faults on 12 pages, both CPUs reading them, a copy-on-write and a shootdown. */
function record(capacity?: number) {
  const recorder = new TraceRecorder(capacity === undefined ? {} : { capacity });
  const kernel = new Kernel({ cpus: 2, memorySize: 8 << 20 });
  kernel.setTracer(recorder);
  const p = kernel.createProcess();
  const base = p.virtualAlloc(0, 12 * PG, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
  const cpu0 = kernel.run(0, p).mmu;
  const cpu1 = kernel.run(1, p).mmu;
  for (let i = 0; i < 12; i++) cpu0.write32(base + i * PG, i);
  for (let i = 0; i < 12; i++) cpu1.read32(base + i * PG);
  const child = p.fork();
  kernel.run(1, child).mmu.write32(base, 99);
  p.virtualProtect(base + PG, PG, PAGE_READONLY);
  return { recorder, kernel };
}

/** Checks what every consumer of the format needs; returns the events that are not metadata. */
function checkShape(trace: ChromeTrace): ChromeTraceEvent[] {
  expect(JSON.parse(JSON.stringify(trace))).toEqual(trace);
  expect(trace.displayTimeUnit).toBe('ns');
  for (const e of trace.traceEvents) {
    expect(typeof e.name, JSON.stringify(e)).toBe('string');
    expect(typeof e.ph).toBe('string');
    expect(Number.isFinite(e.ts) && e.ts >= 0, JSON.stringify(e)).toBe(true);
    expect(Number.isInteger(e.pid) && e.pid >= 1).toBe(true);
    expect(Number.isInteger(e.tid) && e.tid >= 0).toBe(true);
    if (e.ph === 'X') expect(Number.isFinite(e.dur) && e.dur! >= 0, JSON.stringify(e)).toBe(true);
    if (e.ph === 'i') expect(e.s).toBe('t');
    if (e.ph === 's' || e.ph === 'f') expect(Number.isInteger(e.id)).toBe(true);
    if (e.ph === 'C') expect(Object.values(e.args ?? {}).every((v) => typeof v === 'number')).toBe(true);
  }
  const firstOther = trace.traceEvents.findIndex((e) => e.ph !== 'M');
  const metadata = trace.traceEvents.slice(0, firstOther < 0 ? undefined : firstOther);
  const rest = firstOther < 0 ? [] : trace.traceEvents.slice(firstOther);
  expect(rest.every((e) => e.ph !== 'M'), 'metadata comes first').toBe(true);
  // Every track that has events is named, and so is its process.
  const named = new Set(metadata.filter((e) => e.name === 'thread_name').map((e) => `${e.pid}/${e.tid}`));
  const processes = new Set(metadata.filter((e) => e.name === 'process_name').map((e) => e.pid));
  for (const e of rest) {
    expect(named.has(`${e.pid}/${e.tid}`), `${e.name} on ${e.pid}/${e.tid}`).toBe(true);
    expect(processes.has(e.pid)).toBe(true);
  }
  // ts never decreases along a track.
  const last = new Map<string, number>();
  for (const e of rest) {
    const key = `${e.pid}/${e.tid}`;
    expect(e.ts, `${e.name} on ${key}`).toBeGreaterThanOrEqual(last.get(key) ?? 0);
    last.set(key, e.ts);
  }
  return rest;
}

describe('toChromeTrace', () => {
  it('writes the trace-event format: metadata, complete and instant events, counters and flows', () => {
    const { recorder } = record();
    const trace = toChromeTrace(recorder);
    const events = checkShape(trace);
    expect(trace.metadata).toEqual({ source: 'mmukit', clock: 'cycles', cyclesPerMicrosecond: DEFAULT_CYCLES_PER_MICROSECOND, events: recorder.size, dropped: 0, capacity: recorder.capacity });
    const names = trace.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.args!.name);
    expect(names).toEqual(['CPU 0', 'CPU 1', 'kernel']);
    expect(trace.traceEvents.filter((e) => e.ph === 'M' && e.name === 'process_name').map((e) => e.args!.name)).toEqual(['kernel']);

    const recorded = recorder.events();
    const byPhase = (ph: string) => events.filter((e) => e.ph === ph);
    // One trace event per recorded event, plus counters and flow ends.
    expect(byPhase('X').length + byPhase('i').length).toBe(recorded.length);
    expect(byPhase('X').filter((e) => e.name.startsWith('page walk'))).toHaveLength(recorded.filter((e) => e.kind === 'walk').length);
    expect(byPhase('X').filter((e) => e.name === 'zero fill')).toHaveLength(recorded.filter((e) => e.kind === 'zero-fill').length);
    expect(byPhase('X').filter((e) => e.name === 'frame copy')).toHaveLength(1);
    expect(byPhase('i').filter((e) => e.name === 'demand-zero')).toHaveLength(12);
    expect(byPhase('i').filter((e) => e.name === 'copy-on-write')).toHaveLength(1);
    expect(byPhase('i').filter((e) => e.name.startsWith('TLB fill'))).toHaveLength(recorded.filter((e) => e.kind === 'tlb-fill').length);
    expect(byPhase('i').filter((e) => /^fault (NotPresent|Protection) \((read|write)\)$/.test(e.name))).toHaveLength(recorded.filter((e) => e.kind === 'fault').length);
    const walk = byPhase('X').find((e) => e.name === 'page walk')!;
    expect(walk.cat).toBe('mmu');
    expect(walk.args).toMatchObject({ access: expect.any(String), pteReads: expect.any(Number), va: expect.stringMatching(/^0x[0-9a-f]+$/), cycle: expect.any(Number), hostMs: expect.any(Number) });
    // Counters: each CPU's walks and faults so far, rising by one.
    const faults0 = byPhase('C').filter((e) => e.name === 'CPU 0 faults').map((e) => e.args!.faults);
    expect(faults0).toEqual(Array.from({ length: faults0.length }, (_, i) => i + 1));
    // Flows: each IPI's arrow starts on the sender and ends on the receiver, ids paired.
    const starts = byPhase('s');
    const ends = byPhase('f');
    expect(starts.length).toBeGreaterThan(0);
    expect(ends.map((e) => e.id).sort()).toEqual(starts.map((e) => e.id).sort());
    for (const s of starts) {
      const f = ends.find((e) => e.id === s.id)!;
      expect(f.tid).not.toBe(s.tid);
      expect(f.bp).toBe('e');
    }
  });

  it('turns cycles into microseconds with the clock given, or uses host time', () => {
    const { recorder } = record();
    const zeroFill = recorder.events().find((e) => e.kind === 'zero-fill')!;
    const at1GHz = toChromeTrace(recorder, { cyclesPerMicrosecond: 1000 });
    const slice = at1GHz.traceEvents.find((e) => e.name === 'zero fill')!;
    expect(slice.ts).toBeCloseTo(zeroFill.cycle / 1000, 9);
    expect(slice.dur).toBeCloseTo(0.15, 9);
    const host = toChromeTrace(recorder, { clock: 'host', counters: false, flows: false });
    checkShape(host);
    expect(host.metadata.clock).toBe('host');
    expect(host.traceEvents.find((e) => e.name === 'zero fill')!.ts).toBeCloseTo(zeroFill.hostTime * 1000, 6);
    expect(host.traceEvents.some((e) => e.ph === 'C' || e.ph === 's')).toBe(false);
  });

  it('exports the newest events of an overflowed recorder, and says how many were dropped', () => {
    const full = record().recorder;
    const { recorder } = record(50);
    expect(recorder.dropped).toBe(full.recorded - 50);
    const trace = toChromeTrace(recorder, { counters: false, flows: false });
    const events = checkShape(trace);
    expect(events).toHaveLength(50);
    expect(trace.metadata).toMatchObject({ events: 50, dropped: full.recorded - 50, capacity: 50 });
    const newest = full.events().slice(-50).map((e) => `${e.kind}@${e.track}:${e.cycle}`).sort();
    expect(recorder.events().map((e) => `${e.kind}@${e.track}:${e.cycle}`).sort()).toEqual(newest);
  });

  it('leaves the host time out of a recorder that keeps none, and refuses it as the clock', () => {
    const recorder = new TraceRecorder({ hostTime: false });
    const kernel = new Kernel({ memorySize: 8 << 20 });
    kernel.setTracer(recorder);
    const p = kernel.createProcess();
    kernel.run(0, p).mmu.write32(p.virtualAlloc(0, PG, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), 1);
    const events = checkShape(toChromeTrace(recorder));
    expect(events.filter((e) => e.ph === 'X' || e.ph === 'i').every((e) => e.args!.hostMs === undefined && typeof e.args!.cycle === 'number')).toBe(true);
    expect(() => toChromeTrace(recorder, { clock: 'host' })).toThrow(InvalidArgumentError);
  });

  it('exports an empty recorder as an empty trace', () => {
    const trace = toChromeTrace(new TraceRecorder({ capacity: 1 }));
    expect(trace.traceEvents).toEqual([]);
    expect(trace.metadata.events).toBe(0);
  });

  it('rejects bad arguments', () => {
    const recorder = new TraceRecorder({ capacity: 1 });
    for (const bad of [null, {}, 'trace', { events: () => [] }]) expect(() => toChromeTrace(bad as never)).toThrow(InvalidArgumentError);
    for (const options of [null, 1, { cyclesPerMicrosecond: 0 }, { cyclesPerMicrosecond: NaN }, { cyclesPerMicrosecond: '3000' }, { clock: 'wall' }, { counters: 1 }, { flows: 'no' }, { cycles: 1 }]) {
      expect(() => toChromeTrace(recorder, options as never), JSON.stringify(options)).toThrow(InvalidArgumentError);
    }
  });
});
