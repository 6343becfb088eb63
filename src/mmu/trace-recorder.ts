/**
 * The {@link TraceRecorder}: a bounded timeline of what the MMUs and the kernel did on the miss
 * and fault paths (walks, TLB fills and evictions, faults and how they were resolved, frame work,
 * shootdowns), kept in preallocated typed arrays. {@link toChromeTrace} turns it into a file that
 * Perfetto and `chrome://tracing` open.
 * @module
 */
import { InvalidArgumentError } from './errors.js';
import { requireInteger, requireKnownKeys } from './validate.js';
import type { Access } from './access.js';
import type { FaultReason } from './fault-reason.js';

/** The default {@link TraceRecorderOptions.capacity}: 65,536 events (3.7 MiB of typed arrays, 59 bytes an event). */
export const DEFAULT_TRACE_CAPACITY = 1 << 16;
/** The largest {@link TraceRecorderOptions.capacity}: 2^24 events (about 1 GiB of typed arrays). */
export const MAX_TRACE_CAPACITY = 1 << 24;
/** Tracks are numbered in 16 bits. */
const MAX_TRACKS = 0xffff;
const MAX_NAME_LENGTH = 200;

/** @internal Event kinds as stored (the `kind` column). */
export const TRACE_KIND = {
  walk: 1,
  tlbFill: 2,
  tlbEviction: 3,
  fault: 4,
  faultHandled: 5,
  resolution: 6,
  zeroFill: 7,
  frameCopy: 8,
  readIn: 9,
  shootdown: 10,
  invalidation: 11,
} as const;

/** @internal The TLB levels of a fill or an eviction, as bits. */
export const TRACE_TLB = { l1i: 1, l1d: 2, l2: 4 } as const;

/**
 * How the kernel resolved (or refused) a fault: one value per kernel counter it moved
 * ({@link KernelStats}), and one for each resolution that moves no counter:
 *
 * | value | kernel counter | what happened |
 * |---|---|---|
 * | `'demand-zero'` | `demandZeroFaults` | a committed page got its first frame (zeroed, or the shared zero frame for a read) |
 * | `'section-read-in'` | `sectionFaults` | a section page was read in (file data or zero fill) |
 * | `'copy-on-write'` | `copyOnWriteFaults` | a write to a shared frame: the writer got a copy |
 * | `'copy-on-write-reuse'` | `copyOnWriteReuses` | the writer owned the frame alone: no copy, a writable entry |
 * | `'relocated'` | `relocatedPages` | an image page relocated into the process's private copy |
 * | `'guard-page'` | `guardFaults` | STATUS_GUARD_PAGE_VIOLATION raised (the guard is cleared) |
 * | `'stack-growth'` | none | a guard page of the running thread's stack: the stack grew |
 * | `'stack-overflow'` | none | the stack could not grow further: STATUS_STACK_OVERFLOW |
 * | `'access-violation'` | `accessViolations` | STATUS_ACCESS_VIOLATION raised |
 * | `'in-page-error'` | `inPageErrors` | STATUS_IN_PAGE_ERROR: physical memory ran out in the fault |
 * | `'shared-page'` | none | a view's page mapped to a frame its section already holds (another process read it in) |
 * | `'entry-update'` | none | the page had its frame: only its entry changed (a shared-write view page, a write-watched page's first write, an entry behind the records) |
 */
export type TraceResolution =
  | 'demand-zero'
  | 'section-read-in'
  | 'copy-on-write'
  | 'copy-on-write-reuse'
  | 'relocated'
  | 'guard-page'
  | 'stack-growth'
  | 'stack-overflow'
  | 'access-violation'
  | 'in-page-error'
  | 'shared-page'
  | 'entry-update';

/** @internal The {@link TraceResolution}s as stored, by number (index 0 unused). */
export const TRACE_RESOLUTIONS: readonly TraceResolution[] = [
  'demand-zero',
  'demand-zero',
  'section-read-in',
  'copy-on-write',
  'copy-on-write-reuse',
  'relocated',
  'guard-page',
  'stack-growth',
  'stack-overflow',
  'access-violation',
  'in-page-error',
  'shared-page',
  'entry-update',
];

/** @internal {@link TraceResolution} numbers, for the kernel's records. */
export const TRACE_RESOLUTION = {
  demandZero: 1,
  sectionReadIn: 2,
  copyOnWrite: 3,
  copyOnWriteReuse: 4,
  relocated: 5,
  guardPage: 6,
  stackGrowth: 7,
  stackOverflow: 8,
  accessViolation: 9,
  inPageError: 10,
  sharedPage: 11,
  entryUpdate: 12,
} as const;

/** A TLB level in a trace event: the L1 instruction TLB, the L1 data TLB, or the unified L2. */
export type TraceTlbLevel = 'L1I' | 'L1D' | 'L2';

/** Options of {@link TraceRecorder}. */
export interface TraceRecorderOptions {
  /**
   * How many events the ring buffer holds, an integer in [1, 2^24]; default
   * {@link DEFAULT_TRACE_CAPACITY} (65,536). When it is full, each new event
   * overwrites the oldest, and {@link TraceRecorder.dropped} counts them.
   */
  capacity?: number;
  /**
   * Whether each event keeps the host time it was recorded at (`performance.now()`), default
   * true. Reading the host clock is most of what recording an event costs (about 60 ns in
   * Node 20, against about 10 ns for the rest); without it {@link TraceEventBase.hostTime} is 0
   * and {@link toChromeTrace} offers the cycle clock only.
   */
  hostTime?: boolean;
}

/** The names of the track an {@link Mmu} records on ({@link Mmu.setTracer}). */
export interface TraceTrackNames {
  /** The process the track belongs to: one per emulated machine. Default `'mmukit'`. */
  process?: string;
  /** The track itself: one per CPU. Default `'CPU'`. */
  thread?: string;
}

/**
 * One timeline of a trace: a CPU (an {@link Mmu}), or a kernel's own work done
 * for no CPU. Tracks are grouped by process (one per kernel, or per set of
 * MMUs that share a process name), as Perfetto draws them.
 */
export interface TraceTrack {
  /** The track's number: {@link TraceEventBase.track} of its events, an index into {@link TraceRecorder.tracks}. */
  readonly id: number;
  /** The name of the process the track belongs to (`'kernel'`, or what {@link Mmu.setTracer} was given). */
  readonly process: string;
  /** The track's own name (`'CPU 0'`, `'kernel'`, ...). */
  readonly thread: string;
  /** The Chrome trace process id: 1 for the first process name, 2 for the next, ... */
  readonly pid: number;
  /** The Chrome trace thread id, 1, 2, ... within the process. */
  readonly tid: number;
}

/**
 * What every trace event holds. Timestamps are in the cycles of the track's
 * own CPU (its {@link Mmu.cycles} counter, which the kernel's work is charged
 * to as well); a kernel's `'kernel'` track runs on the largest counter of its
 * CPUs at the time.
 */
export interface TraceEventBase {
  /** The track ({@link TraceTrack.id}). */
  readonly track: number;
  /** When the event started, in the track's cycles. */
  readonly cycle: number;
  /** How many cycles it took; 0 for an instant event (a fill, an eviction, a fault, a resolution). */
  readonly duration: number;
  /** Host time when it was recorded: `performance.now()`, in milliseconds (0 when the recorder keeps none: {@link TraceRecorderOptions.hostTime}). */
  readonly hostTime: number;
}

/** A page walk after a TLB miss: from the miss to its last page-table access (its cycles are the PTE reads and writes and the walk-cache hit). */
export interface TraceWalkEvent extends TraceEventBase {
  /** Discriminant. */
  readonly kind: 'walk';
  /** The virtual address translated. */
  readonly va: number;
  /** The access walked for. */
  readonly access: Access;
  /** {@link FaultReason.None} when the walk found a translation allowing the access, else why not (a fault follows). */
  readonly reason: FaultReason;
  /** The leaf level on success (x86-64: 3 for a 4 KiB page), or the level where the walk stopped. */
  readonly level: number;
  /** log2 of the page size found (meaningful on success). */
  readonly pageShift: number;
  /** Page-table entries read. */
  readonly pteReads: number;
  /** Accessed/Dirty write-backs. */
  readonly pteWrites: number;
  /** Walk-cache hits (levels skipped). */
  readonly walkCacheHits: number;
  /** Physical address of the last entry read or written. */
  readonly entryAddress: number;
}

/** A translation written into TLB levels: after a walk (the L2, if any, and an L1), or an L2 hit copied into an L1. */
export interface TraceTlbFillEvent extends TraceEventBase {
  /** Discriminant. */
  readonly kind: 'tlb-fill';
  /** The virtual address translated. */
  readonly va: number;
  /** The levels written, L1 first: `['L1D', 'L2']` after a data walk, `['L1I']` for an L2 hit on a fetch. */
  readonly levels: readonly TraceTlbLevel[];
  /** Where the translation came from: a walk, or the L2. */
  readonly source: 'walk' | 'L2';
  /** log2 of the translation's page size. */
  readonly pageShift: number;
  /** The entry's ASID, or -1 for a global one. */
  readonly asid: number;
}

/** A valid TLB entry replaced to make room for another (or a duplicate dropped). */
export interface TraceTlbEvictionEvent extends TraceEventBase {
  /** Discriminant. */
  readonly kind: 'tlb-eviction';
  /** The level that evicted. */
  readonly level: TraceTlbLevel;
  /** The start of the victim's page. */
  readonly va: number;
  /** The victim's ASID, or -1 for a global one. */
  readonly asid: number;
  /** log2 of the victim's page size. */
  readonly pageShift: number;
}

/** A fault raised by an MMU, before any handler ran. */
export interface TraceFaultEvent extends TraceEventBase {
  /** Discriminant. */
  readonly kind: 'fault';
  /** The faulting virtual address. */
  readonly va: number;
  /** The access that faulted. */
  readonly access: Access;
  /** Why. */
  readonly reason: FaultReason;
  /** The level where the walk stopped, or -1. */
  readonly level: number;
}

/** A fault handler's work, from the fault's entry to the return into the access (`faultEntry` + the handler + `faultExit` for a retry). */
export interface TraceFaultHandledEvent extends TraceEventBase {
  /** Discriminant. */
  readonly kind: 'fault-handled';
  /** The faulting virtual address. */
  readonly va: number;
  /** The access that faulted. */
  readonly access: Access;
  /** Why it faulted. */
  readonly reason: FaultReason;
  /** `'retry'`: resolved, the access starts over; `'deliver'`: the fault (or the handler's exception) goes to the caller. */
  readonly outcome: 'retry' | 'deliver';
}

/** How a kernel resolved a fault (one event per kernel counter the fault moved). */
export interface TraceResolutionEvent extends TraceEventBase {
  /** Discriminant. */
  readonly kind: 'resolution';
  /** What the kernel did. */
  readonly resolution: TraceResolution;
  /** The page's virtual address when the kernel gave the page a frame (or made it writable); the faulting address for an exception (guard page, stack, access violation, in-page error). */
  readonly va: number;
}

/** A frame zeroed for a demand-zero fault (its cycles: `frameZero`). */
export interface TraceZeroFillEvent extends TraceEventBase {
  /** Discriminant. */
  readonly kind: 'zero-fill';
  /** Physical address of the frame. */
  readonly frame: number;
}

/** A frame copied: copy-on-write, or a private relocated image page (its cycles: `frameCopy`). */
export interface TraceFrameCopyEvent extends TraceEventBase {
  /** Discriminant. */
  readonly kind: 'frame-copy';
  /** Physical address of the source frame, or -1 when the page was built from the image (a relocated copy). */
  readonly from: number;
  /** Physical address of the new frame. */
  readonly to: number;
}

/** A section page read in (file data or zeroes; its cycles: `frameZero`). */
export interface TraceReadInEvent extends TraceEventBase {
  /** Discriminant. */
  readonly kind: 'read-in';
  /** Physical address of the frame read into. */
  readonly frame: number;
}

/** A shootdown, on the initiating CPU's track (or the kernel's, when no CPU runs the process): the IPIs it sent and waited for. */
export interface TraceShootdownEvent extends TraceEventBase {
  /** Discriminant. */
  readonly kind: 'shootdown';
  /** The page invalidated. */
  readonly va: number;
  /** The process's ASID. */
  readonly asid: number;
  /** CPUs that invalidated the page (the initiator included). */
  readonly cpus: number;
  /** IPIs sent (CPUs other than the initiator). */
  readonly ipis: number;
}

/** One CPU's invalidation of a shootdown, on that CPU's track (its cycles: `invalidate`). */
export interface TraceInvalidationEvent extends TraceEventBase {
  /** Discriminant. */
  readonly kind: 'invalidation';
  /** The page invalidated. */
  readonly va: number;
  /** The ASID invalidated. */
  readonly asid: number;
  /** The track of the CPU that sent the IPI; the event's own track for a local invalidation; -1 when no CPU sent one. */
  readonly from: number;
}

/** One recorded event, as {@link TraceRecorder.events} decodes it (`kind` tells which). */
export type TraceEvent =
  | TraceWalkEvent
  | TraceTlbFillEvent
  | TraceTlbEvictionEvent
  | TraceFaultEvent
  | TraceFaultHandledEvent
  | TraceResolutionEvent
  | TraceZeroFillEvent
  | TraceFrameCopyEvent
  | TraceReadInEvent
  | TraceShootdownEvent
  | TraceInvalidationEvent;

/** The `kind` of a {@link TraceEvent}. */
export type TraceEventKind = TraceEvent['kind'];

const LEVEL_NAMES: readonly TraceTlbLevel[] = ['L1I', 'L1D', 'L2'];

function levelsOf(mask: number): TraceTlbLevel[] {
  const levels: TraceTlbLevel[] = [];
  for (let bit = 0; bit < 3; bit++) if ((mask & (1 << bit)) !== 0) levels.push(LEVEL_NAMES[bit]);
  return levels;
}

/** Host time in milliseconds: `performance.now()` where there is one (Node, browsers), else `Date.now()`. */
const hostClock: { now(): number } = (globalThis as { performance?: { now(): number } }).performance ?? Date;

function requireName(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NAME_LENGTH) {
    throw new InvalidArgumentError(`${what} must be a non-empty string of at most ${MAX_NAME_LENGTH} characters, got ${typeof value === 'string' ? `'${value.slice(0, 20)}…' (${value.length})` : String(value)}`);
  }
  return value;
}

/**
 * A bounded timeline of what the MMUs and the kernel did: every page walk,
 * TLB fill and eviction, fault, kernel fault resolution (demand-zero,
 * copy-on-write, guard page, stack growth, access violation, ...), frame
 * zeroing and copying, and each CPU's part of a TLB shootdown, with the CPU's
 * cycle counter and the host time.
 *
 * Attach it with {@link Mmu.setTracer} (a bare MMU) or {@link Kernel.setTracer}
 * (every CPU of a kernel, plus the kernel's own work), run, then export it with
 * {@link toChromeTrace} and open the file in Perfetto (ui.perfetto.dev) or
 * `chrome://tracing`. Events come from the slow path only (TLB misses,
 * walks, faults and the kernel): a translation-cache hit records nothing and
 * costs nothing more with a recorder attached, and an MMU without one pays a
 * single null check per miss.
 *
 * Events live in preallocated typed arrays: a ring buffer of
 * {@link TraceRecorder.capacity} events in which the newest overwrite the
 * oldest ({@link TraceRecorder.dropped} counts those). Recording allocates
 * nothing; {@link TraceRecorder.events} decodes them into objects.
 *
 * @example
 * ```ts
 * const kernel = new Kernel({ cpus: 2 });
 * const recorder = new TraceRecorder({ capacity: 4096 });
 * kernel.setTracer(recorder);
 * const p = kernel.createProcess();
 * const base = p.virtualAlloc(0, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
 * kernel.run(0, p).mmu.write32(base, 1);                  // a walk, a demand-zero fault, a zero fill, a TLB fill
 * recorder.events().map((e) => e.kind);
 * // ['walk', 'fault', 'resolution', 'zero-fill', 'fault-handled', 'walk', 'tlb-fill']
 * const trace = toChromeTrace(recorder);                   // JSON.stringify it into a .json file
 * trace.traceEvents.some((e) => e.name === 'zero fill');   // true
 * ```
 */
export class TraceRecorder {
  /** How many events the buffer holds. */
  readonly capacity: number;
  /** Whether events keep the host time ({@link TraceRecorderOptions.hostTime}). */
  readonly hostTime: boolean;

  /** Per event: its kind (TRACE_KIND). */
  private readonly kindColumn: Uint8Array;
  /** Per event: its track. */
  private readonly trackColumn: Uint16Array;
  /** Per event: start, in the track's cycles. */
  private readonly cycleColumn: Float64Array;
  /** Per event: duration in cycles. */
  private readonly durationColumn: Float64Array;
  /** Per event: host time at recording, ms. */
  private readonly hostColumn: Float64Array;
  /** Per event: the first address (virtual or physical, by kind). */
  private readonly addressColumn: Float64Array;
  /** Per event: a second address (a walk's entry, a copy's source). */
  private readonly address2Column: Float64Array;
  /** Per event: four small integers, by kind (see `decode`). */
  private readonly a0: Int32Array;
  private readonly a1: Int32Array;
  private readonly a2: Int32Array;
  private readonly a3: Int32Array;
  /** Where the next event goes. */
  private head = 0;
  /** Events held (at most the capacity). */
  private held = 0;
  /** Events overwritten since the last clear. */
  private overwritten = 0;
  /** Events recorded since the last clear. */
  private total = 0;
  private readonly trackList: TraceTrack[] = [];
  private readonly processIds = new Map<string, number>();

  /**
   * Allocates the ring buffer, empty.
   * @param options - see {@link TraceRecorderOptions}.
   * @throws {@link InvalidArgumentError} when `options` is not an object, has an unknown key, the capacity is
   *   not an integer in [1, 2^24], or `hostTime` is not a boolean.
   */
  constructor(options: TraceRecorderOptions = {}) {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
    requireKnownKeys(options, ['capacity', 'hostTime'], 'TraceRecorderOptions');
    const capacity = requireInteger(options.capacity === undefined ? DEFAULT_TRACE_CAPACITY : options.capacity, 'capacity', 1, MAX_TRACE_CAPACITY);
    const hostTime = options.hostTime === undefined ? true : options.hostTime;
    if (typeof hostTime !== 'boolean') throw new InvalidArgumentError(`hostTime must be a boolean, got ${String(hostTime)}`);
    this.capacity = capacity;
    this.hostTime = hostTime;
    this.kindColumn = new Uint8Array(capacity);
    this.trackColumn = new Uint16Array(capacity);
    this.cycleColumn = new Float64Array(capacity);
    this.durationColumn = new Float64Array(capacity);
    this.hostColumn = new Float64Array(capacity);
    this.addressColumn = new Float64Array(capacity);
    this.address2Column = new Float64Array(capacity);
    this.a0 = new Int32Array(capacity);
    this.a1 = new Int32Array(capacity);
    this.a2 = new Int32Array(capacity);
    this.a3 = new Int32Array(capacity);
  }

  /** Events held now: the newest `min(recorded, capacity)`. */
  get size(): number {
    return this.held;
  }

  /** Events recorded since construction or the last {@link TraceRecorder.clear}, held or not. */
  get recorded(): number {
    return this.total;
  }

  /** Events overwritten by newer ones since construction or the last {@link TraceRecorder.clear} (`recorded - size`). */
  get dropped(): number {
    return this.overwritten;
  }

  /** Forgets every event (the tracks stay, and attached MMUs keep recording). */
  clear(): void {
    this.head = 0;
    this.held = 0;
    this.overwritten = 0;
    this.total = 0;
  }

  /** The tracks events were recorded on (or may be), in the order they were made: a new array. */
  tracks(): TraceTrack[] {
    return this.trackList.map((t) => ({ ...t }));
  }

  /**
   * The events held, oldest first, decoded into new objects (see {@link TraceEvent}).
   *
   * @example
   * ```ts
   * const memory = new PhysicalMemory({ size: 1 << 20 });
   * const tables = new PageTableBuilder(memory, 'x86-64', new FrameAllocator(memory));
   * tables.map(0x40_0000, 0x8000, { writable: true });
   * const mmu = new Mmu({ memory, format: 'x86-64' });
   * mmu.setRoot(tables.root, 1);
   * const recorder = new TraceRecorder();
   * mmu.setTracer(recorder);
   * mmu.read32(0x40_0000);                  // a miss: a walk of 4 PTE reads, a TLB fill
   * mmu.read32(0x40_0004);                  // a hit: nothing recorded
   * const [walk, fill] = recorder.events();
   * walk.kind === 'walk' && walk.pteReads;  // 4
   * walk.duration;                          // 96: 4 PTE reads and 4 Accessed-bit writes, 12 cycles each
   * fill.kind === 'tlb-fill' && fill.levels; // ['L1D', 'L2']
   * ```
   */
  events(): TraceEvent[] {
    const out: TraceEvent[] = [];
    const capacity = this.capacity;
    let i = this.head - this.held;
    if (i < 0) i += capacity;
    for (let n = 0; n < this.held; n++) {
      out.push(this.decode(i));
      if (++i === capacity) i = 0;
    }
    return out;
  }

  /**
   * @internal The track of `thread` in process `process`, made on first use: one process id per
   * process name, one thread id per thread name within it.
   */
  trackFor(process: string, thread: string): number {
    requireName(process, 'process name');
    requireName(thread, 'thread name');
    for (const t of this.trackList) if (t.process === process && t.thread === thread) return t.id;
    if (this.trackList.length >= MAX_TRACKS) throw new InvalidArgumentError(`a trace recorder holds at most ${MAX_TRACKS} tracks`);
    let pid = this.processIds.get(process);
    if (pid === undefined) {
      pid = this.processIds.size + 1;
      this.processIds.set(process, pid);
    }
    const tid = this.trackList.filter((t) => t.pid === pid).length + 1;
    const track: TraceTrack = Object.freeze({ id: this.trackList.length, process, thread, pid, tid });
    this.trackList.push(track);
    return track.id;
  }

  /** Claims the next slot, fills the columns every event has, and returns its index. */
  private slot(kind: number, track: number, cycle: number, duration: number): number {
    const i = this.head;
    this.head = i + 1 === this.capacity ? 0 : i + 1;
    if (this.held === this.capacity) this.overwritten++;
    else this.held++;
    this.total++;
    this.kindColumn[i] = kind;
    this.trackColumn[i] = track;
    this.cycleColumn[i] = cycle;
    this.durationColumn[i] = duration;
    this.hostColumn[i] = this.hostTime ? hostClock.now() : 0;
    return i;
  }

  /** @internal Records a page walk (see {@link TraceWalkEvent}). */
  recordWalk(track: number, cycle: number, duration: number, va: number, access: number, reason: number, level: number, pageShift: number, pteReads: number, pteWrites: number, walkCacheHits: number, entryAddress: number): void {
    const i = this.slot(TRACE_KIND.walk, track, cycle, duration);
    this.addressColumn[i] = va;
    this.address2Column[i] = entryAddress;
    this.a0[i] = access | (reason << 8);
    this.a1[i] = level | (pageShift << 8);
    this.a2[i] = pteReads | (pteWrites << 16);
    this.a3[i] = walkCacheHits;
  }

  /** @internal Records a TLB fill: `levels` a mask of TRACE_TLB bits, `fromL2` for an L2 hit copied into an L1. */
  recordTlbFill(track: number, cycle: number, va: number, levels: number, fromL2: boolean, pageShift: number, asid: number): void {
    const i = this.slot(TRACE_KIND.tlbFill, track, cycle, 0);
    this.addressColumn[i] = va;
    this.a0[i] = levels;
    this.a1[i] = fromL2 ? 1 : 0;
    this.a2[i] = pageShift;
    this.a3[i] = asid;
  }

  /** @internal Records an eviction from one level (a TRACE_TLB bit). */
  recordTlbEviction(track: number, cycle: number, level: number, va: number, asid: number, pageShift: number): void {
    const i = this.slot(TRACE_KIND.tlbEviction, track, cycle, 0);
    this.addressColumn[i] = va;
    this.a0[i] = level;
    this.a2[i] = pageShift;
    this.a3[i] = asid;
  }

  /** @internal Records a fault as it is raised. */
  recordFault(track: number, cycle: number, va: number, access: number, reason: number, level: number): void {
    const i = this.slot(TRACE_KIND.fault, track, cycle, 0);
    this.addressColumn[i] = va;
    this.a0[i] = access | (reason << 8);
    this.a1[i] = level;
  }

  /** @internal Records a fault handler's work, `retry` when the access starts over. */
  recordFaultHandled(track: number, cycle: number, duration: number, va: number, access: number, reason: number, retry: boolean): void {
    const i = this.slot(TRACE_KIND.faultHandled, track, cycle, duration);
    this.addressColumn[i] = va;
    this.a0[i] = access | (reason << 8);
    this.a1[i] = retry ? 1 : 0;
  }

  /** @internal Records a kernel's resolution (a TRACE_RESOLUTION value) of the fault at `va`. */
  recordResolution(track: number, cycle: number, resolution: number, va: number): void {
    const i = this.slot(TRACE_KIND.resolution, track, cycle, 0);
    this.addressColumn[i] = va;
    this.a0[i] = resolution;
  }

  /** @internal Records a frame zeroed at physical address `frame`. */
  recordZeroFill(track: number, cycle: number, duration: number, frame: number): void {
    const i = this.slot(TRACE_KIND.zeroFill, track, cycle, duration);
    this.addressColumn[i] = frame;
  }

  /** @internal Records a frame copied from `from` (-1: built from the image) to `to`. */
  recordFrameCopy(track: number, cycle: number, duration: number, from: number, to: number): void {
    const i = this.slot(TRACE_KIND.frameCopy, track, cycle, duration);
    this.addressColumn[i] = to;
    this.address2Column[i] = from;
  }

  /** @internal Records a section page read into the frame at `frame`. */
  recordReadIn(track: number, cycle: number, duration: number, frame: number): void {
    const i = this.slot(TRACE_KIND.readIn, track, cycle, duration);
    this.addressColumn[i] = frame;
  }

  /** @internal Records a shootdown of `va` (ASID `asid`): `cpus` invalidated it, `ipis` of them by IPI. */
  recordShootdown(track: number, cycle: number, duration: number, va: number, asid: number, cpus: number, ipis: number): void {
    const i = this.slot(TRACE_KIND.shootdown, track, cycle, duration);
    this.addressColumn[i] = va;
    this.a0[i] = asid;
    this.a1[i] = cpus;
    this.a2[i] = ipis;
  }

  /** @internal Records one CPU's invalidation of a shootdown; `from` the sender's track or -1. */
  recordInvalidation(track: number, cycle: number, duration: number, va: number, asid: number, from: number): void {
    const i = this.slot(TRACE_KIND.invalidation, track, cycle, duration);
    this.addressColumn[i] = va;
    this.a0[i] = asid;
    this.a1[i] = from;
  }

  /** The event in slot `i`, as an object. */
  private decode(i: number): TraceEvent {
    const base = { track: this.trackColumn[i], cycle: this.cycleColumn[i], duration: this.durationColumn[i], hostTime: this.hostColumn[i] };
    const address = this.addressColumn[i];
    const a0 = this.a0[i];
    const a1 = this.a1[i];
    const a2 = this.a2[i];
    const a3 = this.a3[i];
    switch (this.kindColumn[i]) {
      case TRACE_KIND.walk:
        return {
          kind: 'walk',
          ...base,
          va: address,
          access: (a0 & 0xff) as Access,
          reason: (a0 >>> 8) as FaultReason,
          level: a1 & 0xff,
          pageShift: a1 >>> 8,
          pteReads: a2 & 0xffff,
          pteWrites: a2 >>> 16,
          walkCacheHits: a3,
          entryAddress: this.address2Column[i],
        };
      case TRACE_KIND.tlbFill:
        return { kind: 'tlb-fill', ...base, va: address, levels: levelsOf(a0), source: a1 === 1 ? 'L2' : 'walk', pageShift: a2, asid: a3 };
      case TRACE_KIND.tlbEviction:
        return { kind: 'tlb-eviction', ...base, level: levelsOf(a0)[0], va: address, asid: a3, pageShift: a2 };
      case TRACE_KIND.fault:
        return { kind: 'fault', ...base, va: address, access: (a0 & 0xff) as Access, reason: (a0 >>> 8) as FaultReason, level: a1 };
      case TRACE_KIND.faultHandled:
        return { kind: 'fault-handled', ...base, va: address, access: (a0 & 0xff) as Access, reason: (a0 >>> 8) as FaultReason, outcome: a1 === 1 ? 'retry' : 'deliver' };
      case TRACE_KIND.resolution:
        return { kind: 'resolution', ...base, resolution: TRACE_RESOLUTIONS[a0], va: address };
      case TRACE_KIND.zeroFill:
        return { kind: 'zero-fill', ...base, frame: address };
      case TRACE_KIND.frameCopy:
        return { kind: 'frame-copy', ...base, from: this.address2Column[i], to: address };
      case TRACE_KIND.readIn:
        return { kind: 'read-in', ...base, frame: address };
      case TRACE_KIND.shootdown:
        return { kind: 'shootdown', ...base, va: address, asid: a0, cpus: a1, ipis: a2 };
      default:
        return { kind: 'invalidation', ...base, va: address, asid: a0, from: a1 };
    }
  }
}
