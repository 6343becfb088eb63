/**
 * {@link toChromeTrace}: a {@link TraceRecorder}'s events in the Chrome trace-event JSON format,
 * which Perfetto (ui.perfetto.dev), `chrome://tracing` and speedscope open.
 * @module
 */
import { accessName } from './access.js';
import { InvalidArgumentError } from './errors.js';
import { faultReasonName, FaultReason } from './fault-reason.js';
import type { TraceEvent, TraceRecorder, TraceTrack } from './trace-recorder.js';
import { TraceRecorder as TraceRecorderClass } from './trace-recorder.js';
import { requireKnownKeys } from './validate.js';

/** The default {@link ChromeTraceOptions.cyclesPerMicrosecond}: a 3 GHz core. */
export const DEFAULT_CYCLES_PER_MICROSECOND = 3000;

/** Options of {@link toChromeTrace}. */
export interface ChromeTraceOptions {
  /**
   * The clock that turns cycles into the format's microseconds: cycles per
   * microsecond, a finite number > 0. Default {@link DEFAULT_CYCLES_PER_MICROSECOND}
   * (3000, a 3 GHz core). Durations are always converted with it.
   */
  cyclesPerMicrosecond?: number;
  /**
   * What `ts` is: `'cycles'` (default), each track's own cycle counter divided by
   * `cyclesPerMicrosecond`; or `'host'`, the host's `performance.now()` when the
   * event was recorded (the emulator's own speed, with modelled durations); only for a recorder
   * that keeps it ({@link TraceRecorderOptions.hostTime}).
   */
  clock?: 'cycles' | 'host';
  /** Add counter tracks (`ph: 'C'`): each track's walks and faults so far. Default true. */
  counters?: boolean;
  /** Add flow arrows (`ph: 's'`/`'f'`) from a shootdown to each other CPU's invalidation. Default true. */
  flows?: boolean;
}

/**
 * One Chrome trace event. `ph` is the phase: `'X'` a complete event (`ts` and
 * `dur`), `'i'` an instant, `'C'` a counter sample, `'M'` metadata (process and
 * thread names), `'s'`/`'f'` the ends of a flow arrow.
 */
export interface ChromeTraceEvent {
  /** What happened: `'page walk'`, `'TLB fill L1D+L2'`, `'zero fill'`, ... */
  name: string;
  /** Category: `'mmu'`, `'tlb'`, `'fault'`, `'kernel'`, or `'__metadata'`. */
  cat: string;
  /** Phase (see above). */
  ph: 'X' | 'i' | 'C' | 'M' | 's' | 'f';
  /** Timestamp, in microseconds. */
  ts: number;
  /** Process id (one per kernel or set of MMUs, {@link TraceTrack.pid}). */
  pid: number;
  /** Thread id (one per CPU, {@link TraceTrack.tid}). */
  tid: number;
  /** Duration in microseconds (complete events). */
  dur?: number;
  /** Scope of an instant event: `'t'`, the thread. */
  s?: 't';
  /** The id pairing the two ends of a flow arrow. */
  id?: number;
  /** Binding point of a flow's end: `'e'`, the enclosing slice. */
  bp?: 'e';
  /** Details shown when the event is selected: addresses as hex strings, counts, the raw cycle and host time. */
  args?: Record<string, string | number | boolean>;
}

/** A Chrome trace-event JSON file: `JSON.stringify` it and open it in Perfetto or `chrome://tracing`. */
export interface ChromeTrace {
  /** The events: metadata first, then by timestamp. */
  traceEvents: ChromeTraceEvent[];
  /** How the viewer shows times: `'ns'`, as a walk takes tens of nanoseconds. */
  displayTimeUnit: 'ns';
  /** What the file is: the clock, the recorder's counts. */
  metadata: {
    /** `'mmukit'`. */
    source: string;
    /** The {@link ChromeTraceOptions.clock} used. */
    clock: 'cycles' | 'host';
    /** The {@link ChromeTraceOptions.cyclesPerMicrosecond} used. */
    cyclesPerMicrosecond: number;
    /** Events in the file (from the recorder; metadata, counters and flows not counted). */
    events: number;
    /** Events the recorder overwrote before the export ({@link TraceRecorder.dropped}). */
    dropped: number;
    /** The recorder's capacity. */
    capacity: number;
  };
}

const hex = (n: number): string => (n < 0 ? String(n) : `0x${n.toString(16)}`);
const pageSize = (shift: number): string => (shift >= 30 ? `${2 ** (shift - 30)} GiB` : shift >= 20 ? `${2 ** (shift - 20)} MiB` : `${2 ** (shift - 10)} KiB`);

function requireOptions(options: ChromeTraceOptions): Required<ChromeTraceOptions> {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
  requireKnownKeys(options, ['cyclesPerMicrosecond', 'clock', 'counters', 'flows'], 'ChromeTraceOptions');
  const cyclesPerMicrosecond = options.cyclesPerMicrosecond ?? DEFAULT_CYCLES_PER_MICROSECOND;
  if (typeof cyclesPerMicrosecond !== 'number' || !Number.isFinite(cyclesPerMicrosecond) || cyclesPerMicrosecond <= 0) {
    throw new InvalidArgumentError(`cyclesPerMicrosecond must be a finite number > 0, got ${String(cyclesPerMicrosecond)}`);
  }
  const clock = options.clock ?? 'cycles';
  if (clock !== 'cycles' && clock !== 'host') throw new InvalidArgumentError(`clock must be 'cycles' or 'host', got ${String(clock)}`);
  const counters = options.counters ?? true;
  const flows = options.flows ?? true;
  if (typeof counters !== 'boolean') throw new InvalidArgumentError(`counters must be a boolean, got ${String(counters)}`);
  if (typeof flows !== 'boolean') throw new InvalidArgumentError(`flows must be a boolean, got ${String(flows)}`);
  return { cyclesPerMicrosecond, clock, counters, flows };
}

/** The event's name, category, phase and details. */
function describe(e: TraceEvent, tracks: readonly TraceTrack[]): { name: string; cat: string; args: Record<string, string | number | boolean> } {
  switch (e.kind) {
    case 'walk':
      return {
        name: e.reason === FaultReason.None ? 'page walk' : `page walk: ${faultReasonName(e.reason)}`,
        cat: 'mmu',
        args: {
          va: hex(e.va),
          access: accessName(e.access),
          level: e.level,
          ...(e.reason === FaultReason.None ? { page: pageSize(e.pageShift) } : { fault: faultReasonName(e.reason) }),
          pteReads: e.pteReads,
          pteWrites: e.pteWrites,
          walkCacheHits: e.walkCacheHits,
          lastEntry: hex(e.entryAddress),
        },
      };
    case 'tlb-fill':
      return { name: `TLB fill ${e.levels.join('+')}`, cat: 'tlb', args: { va: hex(e.va), from: e.source, page: pageSize(e.pageShift), asid: e.asid } };
    case 'tlb-eviction':
      return { name: `TLB evict ${e.level}`, cat: 'tlb', args: { victim: hex(e.va), asid: e.asid, page: pageSize(e.pageShift) } };
    case 'fault':
      return { name: `fault ${faultReasonName(e.reason)} (${accessName(e.access)})`, cat: 'fault', args: { va: hex(e.va), access: accessName(e.access), reason: faultReasonName(e.reason), level: e.level } };
    case 'fault-handled':
      return { name: `fault handler: ${e.outcome}`, cat: 'fault', args: { va: hex(e.va), access: accessName(e.access), reason: faultReasonName(e.reason), outcome: e.outcome } };
    case 'resolution':
      return { name: e.resolution, cat: 'kernel', args: { va: hex(e.va) } };
    case 'zero-fill':
      return { name: 'zero fill', cat: 'kernel', args: { frame: hex(e.frame) } };
    case 'frame-copy':
      return { name: 'frame copy', cat: 'kernel', args: { from: e.from < 0 ? 'image' : hex(e.from), to: hex(e.to) } };
    case 'read-in':
      return { name: 'read in', cat: 'kernel', args: { frame: hex(e.frame) } };
    case 'shootdown':
      return { name: 'shootdown', cat: 'kernel', args: { va: hex(e.va), asid: e.asid, cpus: e.cpus, ipis: e.ipis } };
    case 'invalidation': {
      const from = e.from < 0 ? null : e.from === e.track ? 'local' : `IPI from ${tracks[e.from]?.thread ?? `track ${e.from}`}`;
      return { name: from === null ? 'invalidate' : `invalidate (${from})`, cat: 'kernel', args: { va: hex(e.va), asid: e.asid } };
    }
  }
}

/**
 * A recorder's events as a Chrome trace-event JSON object: one process per
 * kernel (or per process name given to {@link Mmu.setTracer}), one thread
 * track per CPU, named by metadata events; walks, fault handlers, zero fills,
 * copies, read-ins, shootdowns and invalidations as complete events (`'X'`,
 * with their modelled durations), TLB fills and evictions, faults and the
 * kernel's resolutions as instant events (`'i'`); counter tracks of each
 * CPU's walks and faults (`'C'`), and flow arrows from a shootdown to the
 * other CPUs' invalidations. Every event's `args` hold its addresses (hex),
 * counts, `cycle` (the raw cycle timestamp) and `hostMs` (the host time).
 *
 * Timestamps are microseconds: each track's own cycle counter divided by
 * {@link ChromeTraceOptions.cyclesPerMicrosecond} (default 3000, a 3 GHz
 * core), or the host time with `clock: 'host'`. The events come out
 * metadata first, then by timestamp (an enclosing slice before what it
 * encloses), so `ts` never decreases along a track.
 *
 * @param recorder - the recorder (its events are read, not cleared).
 * @param options - see {@link ChromeTraceOptions}.
 * @returns a new object; `JSON.stringify` it into a `.json` file.
 * @throws {@link InvalidArgumentError} when `recorder` is not a {@link TraceRecorder} or an option is bad
 *   (`clock: 'host'` for a recorder that keeps no host time included).
 *
 * @example
 * ```ts
 * const kernel = new Kernel();
 * const recorder = new TraceRecorder();
 * kernel.setTracer(recorder);
 * const p = kernel.createProcess();
 * const base = p.virtualAlloc(0, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
 * kernel.run(0, p).mmu.write32(base, 1);
 * const trace = toChromeTrace(recorder, { cyclesPerMicrosecond: 1000 }); // a 1 GHz clock
 * trace.traceEvents.find((e) => e.name === 'zero fill')?.dur;             // 0.15: 150 cycles
 * // In Node: writeFileSync('trace.json', JSON.stringify(trace)), then open it in ui.perfetto.dev.
 * ```
 */
export function toChromeTrace(recorder: TraceRecorder, options: ChromeTraceOptions = {}): ChromeTrace {
  if (!(recorder instanceof TraceRecorderClass)) throw new InvalidArgumentError(`recorder must be a TraceRecorder, got ${String(recorder)}`);
  const { cyclesPerMicrosecond, clock, counters, flows } = requireOptions(options);
  if (clock === 'host' && !recorder.hostTime) throw new InvalidArgumentError("clock 'host' needs a recorder that keeps the host time (TraceRecorderOptions.hostTime)");
  const tracks = recorder.tracks();
  const events = recorder.events();
  const metadata: ChromeTraceEvent[] = [];
  const seenProcesses = new Set<number>();
  for (const t of tracks) {
    if (!seenProcesses.has(t.pid)) {
      seenProcesses.add(t.pid);
      metadata.push({ name: 'process_name', cat: '__metadata', ph: 'M', ts: 0, pid: t.pid, tid: 0, args: { name: t.process } });
      metadata.push({ name: 'process_sort_index', cat: '__metadata', ph: 'M', ts: 0, pid: t.pid, tid: 0, args: { sort_index: t.pid } });
    }
    metadata.push({ name: 'thread_name', cat: '__metadata', ph: 'M', ts: 0, pid: t.pid, tid: t.tid, args: { name: t.thread } });
    metadata.push({ name: 'thread_sort_index', cat: '__metadata', ph: 'M', ts: 0, pid: t.pid, tid: t.tid, args: { sort_index: t.tid } });
  }
  const timeOf = (e: TraceEvent): number => (clock === 'cycles' ? e.cycle / cyclesPerMicrosecond : e.hostTime * 1000);
  const out: ChromeTraceEvent[] = [];
  const walks = new Map<number, number>();
  const faults = new Map<number, number>();
  // Invalidations wait for their shootdown (recorded after them) to draw an arrow from it.
  const waiting: Array<{ event: TraceEvent & { kind: 'invalidation' }; ts: number }> = [];
  let nextFlow = 1;
  for (const e of events) {
    const track = tracks[e.track];
    const { name, cat, args } = describe(e, tracks);
    const ts = timeOf(e);
    const full = recorder.hostTime ? { ...args, cycle: e.cycle, hostMs: Math.round(e.hostTime * 1000) / 1000 } : { ...args, cycle: e.cycle };
    if (e.duration > 0 || e.kind === 'walk' || e.kind === 'fault-handled' || e.kind === 'zero-fill' || e.kind === 'frame-copy' || e.kind === 'read-in' || e.kind === 'shootdown' || e.kind === 'invalidation') {
      out.push({ name, cat, ph: 'X', ts, dur: e.duration / cyclesPerMicrosecond, pid: track.pid, tid: track.tid, args: full });
    } else {
      out.push({ name, cat, ph: 'i', s: 't', ts, pid: track.pid, tid: track.tid, args: full });
    }
    if (counters && (e.kind === 'walk' || e.kind === 'fault')) {
      const tally = e.kind === 'walk' ? walks : faults;
      const n = (tally.get(e.track) ?? 0) + 1;
      tally.set(e.track, n);
      out.push({ name: `${track.thread} ${e.kind === 'walk' ? 'walks' : 'faults'}`, cat: 'mmu', ph: 'C', ts, pid: track.pid, tid: track.tid, args: { [e.kind === 'walk' ? 'walks' : 'faults']: n } });
    }
    if (flows && e.kind === 'invalidation' && e.from >= 0 && e.from !== e.track) waiting.push({ event: e, ts });
    if (flows && e.kind === 'shootdown') {
      for (let k = 0; k < waiting.length; k++) {
        const w = waiting[k];
        if (w.event.from !== e.track || w.event.va !== e.va) continue;
        const receiver = tracks[w.event.track];
        const id = nextFlow++;
        out.push({ name: 'IPI', cat: 'kernel', ph: 's', id, ts, pid: track.pid, tid: track.tid });
        out.push({ name: 'IPI', cat: 'kernel', ph: 'f', bp: 'e', id, ts: w.ts, pid: receiver.pid, tid: receiver.tid });
        waiting.splice(k--, 1);
      }
    }
  }
  // By time; at equal times an enclosing slice (longer) first, instants and counters after slices. A slice
  // ending with one it encloses (a shootdown and its last invalidation) was recorded after it: the later first.
  const rank = (e: ChromeTraceEvent): number => (e.ph === 'X' ? 0 : e.ph === 's' || e.ph === 'f' ? 1 : 2);
  const order = out.map((_, i) => i);
  order.sort((i, j) => {
    const a = out[i];
    const b = out[j];
    return a.ts - b.ts || rank(a) - rank(b) || (b.dur ?? 0) - (a.dur ?? 0) || (a.ph === 'X' ? j - i : i - j);
  });
  return {
    traceEvents: [...metadata, ...order.map((i) => out[i])],
    displayTimeUnit: 'ns',
    metadata: { source: 'mmukit', clock, cyclesPerMicrosecond, events: events.length, dropped: recorder.dropped, capacity: recorder.capacity },
  };
}
