import { Privilege } from '../../mmu/access.js';
import type { CycleModel } from '../../mmu/cycle-model.js';
import { InvalidArgumentError, SavedStateError } from '../../mmu/errors.js';
import { openSavedState } from '../../mmu/saved-state.js';
import type { FaultResolution, TranslationFault } from '../../mmu/fault.js';
import type { FaultRecord } from '../../mmu/fault-record.js';
import { FrameAllocator } from '../../mmu/frame-allocator.js';
import { formatByName, requireFormat, type FormatName, type PageTableFormat } from '../../mmu/formats/format.js';
import { Mmu, type MmuMode } from '../../mmu/mmu.js';
import { FRAME_SIZE, PhysicalMemory } from '../../mmu/physical-memory.js';
import { requireAligned, requireInteger, requireKnownKeys } from '../../mmu/validate.js';
import type { TlbHierarchyConfig } from '../../tlb/hierarchy.js';
import { Cpu } from './cpu.js';
import { KernelTracer } from './kernel-tracer.js';
import { TraceRecorder } from '../../mmu/trace-recorder.js';
import {
  ALLOCATION_GRANULARITY,
  ERROR_COMMITMENT_LIMIT,
  ERROR_INVALID_HANDLE,
  ERROR_INVALID_PARAMETER,
  ERROR_NOT_ENOUGH_MEMORY,
  STATUS_COMMITMENT_LIMIT,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_HANDLE,
  STATUS_INVALID_PARAMETER,
  STATUS_SECTION_NOT_IMAGE,
} from '../rules/constants.js';
import { WindowsError } from '../rules/errors.js';
import { DEFAULT_KERNEL_CYCLES, emptyKernelStats, type KernelCycleModel, type KernelStats } from '../records/kernel-stats.js';
import { resolvePageFault } from '../memory/page-faults.js';
import { Process } from './process.js';
import { createSection, type SectionOptions } from '../memory/sections.js';
import type { ProcessArgument, ProcessReference } from '../memory/process-argument.js';
import { ObjectNamespace } from '../objects/object-namespace.js';
import { createImageSection, notAnImage, requireImageMaximumSize, type ImageSectionOptions, type RelocationPolicy } from '../memory/image-views.js';
import { requireKnownOptions } from '../rules/known-options.js';
import { validateSectionProtection } from '../rules/protection.js';
import { FileCache, Section } from '../records/section.js';
import { runThread, type Thread } from '../objects/threads.js';
import { registerClientId } from '../objects/client-ids.js';
import { KernelSnapshots, type KernelRestoreResult, type KernelSnapshot } from './kernel-snapshots.js';
import type { ChangeLog } from '../records/change-log.js';
import { sectionBasicInformation, sectionImageInformation, type SectionBasicInformation, type SectionImageInformation } from '../records/section-information.js';

const KERNEL_OPTION_KEYS = ['memorySize', 'format', 'cpus', 'tlb', 'cycles', 'kernelCycles', 'asids', 'commitLimit', 'zeroPageSharing', 'relocationPolicy', 'mode'];

function requireBoolean(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') throw new InvalidArgumentError(`${what} must be a boolean, got ${String(value)}`);
  return value;
}

/** The kernel latencies: the defaults, overridden by known fields holding finite numbers >= 0. */
function resolveKernelCycles(partial: Partial<KernelCycleModel> | undefined): KernelCycleModel {
  const model: KernelCycleModel = { ...DEFAULT_KERNEL_CYCLES };
  if (partial === undefined) return model;
  if (partial === null || typeof partial !== 'object') throw new InvalidArgumentError('kernelCycles must be an object');
  requireKnownKeys(partial, Object.keys(DEFAULT_KERNEL_CYCLES), 'KernelCycleModel');
  for (const [key, value] of Object.entries(partial)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new InvalidArgumentError(`kernel cycle-model field '${key}' must be a finite number >= 0`);
    model[key as keyof KernelCycleModel] = value;
  }
  return model;
}

/** What a kernel makes from its options: RAM, its frame allocator and the CPUs. */
interface Machine {
  readonly memory: PhysicalMemory;
  readonly frames: FrameAllocator;
  readonly cpus: readonly Cpu[];
  readonly zeroFrame: number;
  readonly emptyRoot: number;
}

/** The options a {@link Machine} is made from, checked. */
interface MachineOptions {
  readonly memorySize: number;
  readonly cpuCount: number;
  readonly tlb: TlbHierarchyConfig | undefined;
  readonly cycles: Partial<CycleModel> | undefined;
  readonly mode: MmuMode;
}

/** Options of {@link Kernel}. */
export interface KernelOptions {
  /** Bytes of RAM (a multiple of 4096). Default 64 MiB. */
  memorySize?: number;
  /** Page-table format the kernel writes. Default `'x86-64'`. */
  format?: FormatName | PageTableFormat;
  /** Number of CPUs, 1–64. Default 1. */
  cpus?: number;
  /** TLB geometry of every CPU (default: the MMU's, Skylake). */
  tlb?: TlbHierarchyConfig;
  /** MMU latencies of every CPU, in cycles; missing fields come from {@link SKYLAKE_CYCLES}. */
  cycles?: Partial<CycleModel>;
  /** Kernel work latencies, in cycles; missing fields come from {@link DEFAULT_KERNEL_CYCLES}. */
  kernelCycles?: Partial<KernelCycleModel>;
  /** Tag TLB entries with ASIDs (default true); without, every context switch flushes. */
  asids?: boolean;
  /** Most pages (4 KiB each) that may be committed at once, private memory and anonymous sections together. Default: every frame of RAM. */
  commitLimit?: number;
  /** Map never-written pages read-only to one shared zero frame (default true); false gives each its own frame on first touch. */
  zeroPageSharing?: boolean;
  /** How relocated image pages are shared: `'private'` (default, the pre-ASLR model) or `'aslr'`. */
  relocationPolicy?: RelocationPolicy;
  /** Mode of every CPU's MMU: `'accurate'` (default) or `'fast'` (see {@link MmuMode}); `cpu.mmu.setMode` changes one later. */
  mode?: MmuMode;
}

/** Options of {@link Kernel.setTracer}. */
export interface KernelTraceOptions {
  /** The name of the kernel's process in the trace (its CPUs are its threads). Default `'kernel'`; give each kernel sharing a recorder its own. */
  process?: string;
}

/**
 * A small kernel with Windows-style memory management. It owns physical memory
 * and the CPUs, gives each process a private address space whose page tables
 * it writes in the configured hardware format, and is every CPU's fault
 * handler: it resolves demand-zero, copy-on-write and section faults, and
 * turns the rest into the exception a Windows program would see
 * ({@link WindowsExceptionError}: STATUS_ACCESS_VIOLATION,
 * STATUS_GUARD_PAGE_VIOLATION, STATUS_IN_PAGE_ERROR).
 *
 * @example
 * ```ts
 * const kernel = new Kernel({ cpus: 2 });
 * const p = kernel.createProcess();
 * const base = p.virtualAlloc(0, 0x10000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
 * const cpu = kernel.run(0, p);
 * cpu.mmu.write32(base, 42);      // demand-zero fault resolved, then the write
 * p.virtualQuery(base).protect;    // PAGE_READWRITE
 * kernel.stats.demandZeroFaults;   // 1
 * kernel.committed;                // 16: pages of commit charge
 * ```
 */
export class Kernel {
  /** The page-table format every process's tables are written in. */
  readonly format: PageTableFormat;
  /** Kernel work latencies in use, in cycles. */
  readonly kernelCycles: KernelCycleModel;
  /** Whether CPUs tag TLB entries with ASIDs. */
  readonly asids: boolean;
  /** Most pages (4 KiB each) that may be committed at once. */
  readonly commitLimit: number;
  /** Whether never-written pages share the zero frame. */
  readonly zeroPageSharing: boolean;
  /**
   * Highest user address + 1 (64 KiB aligned): min(0x7FFF_FFFF_0000, 2^(vaBits − 1)) on
   * 64-bit formats (x86-64: 0x7FFF_FFFF_0000; Sv39: 0x40_0000_0000), 0x7FFF_0000 on 32-bit formats.
   */
  readonly userTop: number;
  /** System-wide counters (event counts since construction; the object is live, not a copy). */
  readonly stats: KernelStats = emptyKernelStats();
  /** The default sharing policy for relocated image pages. */
  readonly relocationPolicy: RelocationPolicy;

  /** RAM, frames and CPUs once made; null until first needed (see the constructor). */
  private machine: Machine | null = null;
  /** What {@link Kernel.makeMachine} builds from, checked by the constructor. */
  private readonly machineOptions: MachineOptions;
  private committedPages = 0;
  private nextId = 1;
  private nextAsid = 1;
  private nextSectionId = 1;
  private readonly liveProcesses = new Map<number, Process>();
  /** Its snapshots, made on the first {@link Kernel.snapshot}. Not kernel state: a restore leaves it as it is. */
  private snapshotter: KernelSnapshots | null = null;
  private readonly liveSections = new Set<Section>();
  /** @internal The named sections (CreateFileMapping with a name). */
  readonly objectNames = new ObjectNamespace();
  private readonly imageSections = new WeakMap<Uint8Array, Section>();
  /** The image files a saved state brought (Kernel.loadState): copies of the caller's, matched by content (imageSection). */
  private readonly restoredImageFiles = new WeakSet<Uint8Array>();
  /** The file cache of each file some data section is over; dropped with the file's last section. */
  private readonly cachedFiles = new Map<Uint8Array, FileCache>();
  private readonly aslrBases = new WeakMap<Section, number>();
  private aslrCursor32 = 0;
  private aslrCursor64 = 0;
  /** @internal What the kernel records into the recorder {@link Kernel.setTracer} attached; null when none. */
  tracer: KernelTracer | null = null;
  /**
   * @internal What changed since each open snapshot (records/change-log.ts), for a restore to copy back only that;
   * null when no snapshot is open, so that a mark costs a null check.
   */
  changes: ChangeLog | null = null;

  /**
   * Creates RAM, the frame allocator, the CPUs (each an {@link Mmu} in user
   * mode pointing at {@link Kernel.emptyRoot}), the zero frame and the empty root.
   *
   * With the default TLB geometry and latencies and a format given by name, they
   * are made when first needed (the first process, or the first read of
   * {@link Kernel.memory}, {@link Kernel.frames}, {@link Kernel.cpus}, ...), exactly
   * as they would have been here: a kernel that only parses images, or rejects
   * one, never allocates its RAM. (A `memorySize` the host cannot allocate then
   * fails there, with the engine's RangeError.)
   * @param options - see {@link KernelOptions}.
   * @throws {@link InvalidArgumentError} on bad options (a memory size below two frames, an unknown format,
   *   latencies that are not finite numbers >= 0, flags that are not booleans, ...).
   * @throws `TlbConfigError` on a bad TLB geometry.
   */
  constructor(options: KernelOptions = {}) {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
    requireKnownKeys(options, KERNEL_OPTION_KEYS, 'KernelOptions');
    const memorySize = options.memorySize ?? 64 << 20;
    // The kernel's own zero frame and empty root table come first.
    requireInteger(memorySize, 'memorySize', 2 * FRAME_SIZE);
    // As PhysicalMemory checks it (a frame allocator over it has memorySize / 4096 frames).
    requireAligned(memorySize, FRAME_SIZE, 'size');
    this.format = typeof options.format === 'string' || options.format === undefined ? formatByName(options.format ?? 'x86-64') : requireFormat(options.format);
    this.kernelCycles = resolveKernelCycles(options.kernelCycles);
    this.asids = requireBoolean(options.asids ?? true, 'asids');
    this.zeroPageSharing = requireBoolean(options.zeroPageSharing ?? true, 'zeroPageSharing');
    this.relocationPolicy = options.relocationPolicy ?? 'private';
    if (this.relocationPolicy !== 'private' && this.relocationPolicy !== 'aslr') {
      throw new InvalidArgumentError(`relocationPolicy must be 'private' or 'aslr'`);
    }
    this.commitLimit = requireInteger(options.commitLimit ?? memorySize / FRAME_SIZE, 'commitLimit');
    const cpuCount = requireInteger(options.cpus ?? 1, 'cpus', 1, 64);
    const mode = options.mode ?? 'accurate';
    if (mode !== 'accurate' && mode !== 'fast') throw new InvalidArgumentError(`mode must be 'accurate' or 'fast', got ${String(mode)}`);
    this.machineOptions = { memorySize, cpuCount, tlb: options.tlb, cycles: options.cycles, mode };
    // 64 MiB of RAM by default: allocating it makes V8 collect garbage (external memory pressure),
    // which costs tens of milliseconds in a large heap. With nothing of the caller's left to check
    // (the MMU options are the defaults and the format a name), it waits until it is needed.
    const defaults = options.tlb === undefined && options.cycles === undefined && typeof options.format !== 'object';
    if (!defaults) this.makeMachine();
    // User space: below 2^47 on x86-64 (0x7FFF_FFFF_0000), the lower half of
    // the VA space otherwise, 2 GiB on 32-bit formats.
    const half = 2 ** (this.format.vaBits - 1);
    this.userTop = this.format.vaBits <= 32 ? 0x7fff_0000 : Math.min(0x7fff_ffff_0000, half);
  }

  /** Physical memory. */
  get memory(): PhysicalMemory {
    return (this.machine ?? this.makeMachine()).memory;
  }

  /** The frame allocator (reference counts are mappings). */
  get frames(): FrameAllocator {
    return (this.machine ?? this.makeMachine()).frames;
  }

  /**
   * Takes a snapshot of the whole kernel: every process (allocations, views, page tables, handles, threads,
   * modules), section, file cache, name, client id and counter, and the machine under it (RAM, frames, every
   * CPU's MMU with its TLBs). Taking it copies the kernel's records (a few bytes per allocated page) and the
   * MMUs' state, not RAM; {@link Kernel.restore} copies back the frames written since and the records of what
   * changed: the allocations a guest faulted on or a memory call named (or all records after other calls).
   * Snapshots nest ([snapshots](../../../docs/snapshots.md#kernel-snapshots)).
   *
   * @example
   * ```ts
   * const kernel = new Kernel();
   * const p = kernel.createProcess();
   * const base = p.virtualAlloc(0, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
   * const start = kernel.snapshot();
   * p.writeMemory(base, new Uint8Array([1]));
   * const child = p.fork();
   * kernel.restore(start);          // { framesCopied: …, dropped: 0, processesDropped: 1 }
   * p.readMemory(base, 1)[0];       // 0
   * child.exited;                   // true: made after the snapshot
   * ```
   */
  snapshot(): KernelSnapshot {
    return this.snapshotsOf().take();
  }

  /**
   * Puts the kernel back as it was when `snapshot` was taken; the snapshot stays open (restore to it again as
   * often as wanted) and the snapshots taken after it are dropped. Processes and threads made after it read as
   * exited, sections as closed; those that existed come back as they were, exited or not.
   * @throws {@link InvalidArgumentError} for a snapshot of another kernel, or one already dropped.
   */
  restore(snapshot: KernelSnapshot): KernelRestoreResult {
    return this.snapshotsOf().restore(snapshot);
  }

  /**
   * Drops `snapshot` and every newer one without going back. With no snapshot left, writes cost nothing extra.
   * @throws {@link InvalidArgumentError} for a snapshot of another kernel, or one already dropped.
   */
  discardSnapshot(snapshot: KernelSnapshot): void {
    this.snapshotsOf().discard(snapshot);
  }

  /**
   * Saves the whole kernel to bytes: `snapshot` as it was taken, or the kernel as it is now when none is given.
   * {@link Kernel.loadState} makes a kernel of it again, here or in another process, as a file or sent
   * over a network; the bytes hold the kernel's options, RAM (its nonzero frames), every MMU and the records.
   * They are versioned ({@link SAVED_STATE_VERSION}) and checksummed. Nothing of the caller's is saved: a
   * tracer, files the kernel holds no section over.
   *
   * @example
   * ```ts
   * const kernel = new Kernel();
   * const p = kernel.createProcess();
   * const base = p.virtualAlloc(0, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
   * p.writeMemory(base, new Uint8Array([42]));
   * const saved = kernel.saveState();          // a Uint8Array: write it to a file
   * const copy = Kernel.loadState(saved);      // a new kernel, in the same state
   * const q = copy.processes()[0];            // p's twin: q.pid === p.pid
   * q.readMemory(base, 1);                     // Uint8Array [42]
   * ```
   * @throws {@link InvalidArgumentError} for a snapshot of another kernel, or one already dropped.
   */
  saveState(snapshot?: KernelSnapshot): Uint8Array {
    const { memorySize, cpuCount, tlb, cycles, mode } = this.machineOptions;
    const options: KernelOptions = {
      memorySize,
      format: this.format.name,
      cpus: cpuCount,
      tlb,
      cycles,
      kernelCycles: this.kernelCycles,
      asids: this.asids,
      commitLimit: this.commitLimit,
      zeroPageSharing: this.zeroPageSharing,
      relocationPolicy: this.relocationPolicy,
      mode,
    };
    return this.snapshotsOf().save(snapshot, options);
  }

  /**
   * Makes a kernel of a state {@link Kernel.saveState} saved: a new kernel with the saved options, its RAM,
   * MMUs, processes, sections, handles, threads and modules as they were (the same pids, handles, addresses,
   * counters). It has no open snapshot and no tracer.
   * @throws {@link SavedStateError} when `bytes` is not a saved state (`'not-a-saved-state'`), is of another
   *   format version (`'version'`), is damaged (`'corrupt'`: a wrong checksum or structure), or is a bare
   *   machine's (`'mismatch'`). No kernel is made then.
   */
  static loadState(bytes: Uint8Array): Kernel {
    const input = openSavedState(bytes, 'kernel');
    let kernel: Kernel;
    try {
      kernel = new Kernel(JSON.parse(input.string()) as KernelOptions);
      void kernel.memory; // the machine, made now
    } catch (e) {
      throw new SavedStateError('corrupt', `the saved state is corrupt: its kernel options are not valid (${e instanceof Error ? e.message : String(e)})`);
    }
    kernel.snapshotsOf().load(input);
    return kernel;
  }

  /** The open snapshots, oldest first. */
  get snapshots(): readonly KernelSnapshot[] {
    return this.snapshotter === null ? [] : this.snapshotter.snapshots;
  }

  private snapshotsOf(): KernelSnapshots {
    return (this.snapshotter ??= new KernelSnapshots(this, {
      sections: () => [...this.liveSections],
      aslrBase: (section) => this.aslrBases.get(section),
      setAslrBase: (section, base) => {
        if (base === undefined) this.aslrBases.delete(section);
        else this.aslrBases.set(section, base);
      },
      cacheImageSection: (section) => {
        if (section.file !== null) this.imageSections.set(section.file, section);
      },
      restoredImageFile: (file) => this.restoredImageFiles.add(file),
    }));
  }

  /** The CPUs, by index. */
  get cpus(): readonly Cpu[] {
    return (this.machine ?? this.makeMachine()).cpus;
  }

  /** Frame number (physical address / 4096) of the shared, always-zero frame (mapped read-only everywhere). */
  get zeroFrame(): number {
    return (this.machine ?? this.makeMachine()).zeroFrame;
  }

  /**
   * Physical address of an empty root table (every entry not present) that
   * idle CPUs point at, so a CPU whose process exited never walks freed page tables.
   */
  get emptyRoot(): number {
    return (this.machine ?? this.makeMachine()).emptyRoot;
  }

  /**
   * Makes RAM, the frame allocator and the CPUs, in the order the constructor always did: each
   * CPU's MMU in user mode with this kernel as its fault handler, then the zero frame and the empty
   * root (the allocator's first two frames), then every CPU pointed at the empty root.
   */
  private makeMachine(): Machine {
    const { memorySize, cpuCount, tlb, cycles, mode } = this.machineOptions;
    const memory = new PhysicalMemory({ size: memorySize });
    const frames = new FrameAllocator(memory);
    const cpus: Cpu[] = [];
    for (let i = 0; i < cpuCount; i++) {
      const mmu = new Mmu({ memory, format: this.format, tlb, cycles, asids: this.asids, mode });
      const cpu = new Cpu(i, mmu);
      // Both forms, so that code wrapping the handler can call handleFault; the MMU calls the allocation-free one.
      mmu.faultHandler = {
        handleFault: (fault: TranslationFault): FaultResolution => resolvePageFault(this, cpu, fault),
        handleFaultRecord: (fault: FaultRecord): FaultResolution => resolvePageFault(this, cpu, fault),
      };
      mmu.setPrivilege(Privilege.User);
      cpus.push(cpu);
    }
    const zeroFrame = frames.allocate();
    const emptyRoot = frames.allocate() * FRAME_SIZE;
    for (const cpu of cpus) cpu.mmu.setRoot(emptyRoot, 0);
    this.machine = { memory, frames, cpus, zeroFrame, emptyRoot };
    return this.machine;
  }

  /**
   * Attaches a {@link TraceRecorder} to the kernel and every CPU (or detaches it, with null). Each CPU's
   * MMU records on a track of its own (`'CPU 0'`, `'CPU 1'`, ...: walks, TLB fills and evictions, faults),
   * and the kernel records, on the track of the CPU it works for, how it resolved each fault
   * (demand-zero, copy-on-write, guard page, stack growth, access violation, ...: one event per
   * {@link KernelStats} counter it moves), the frames it zeroes, copies and reads in, and each CPU's
   * part of a shootdown (the initiator's IPIs, every CPU's invalidation). Work done for no CPU (a
   * VirtualProtect with no CPU running the process, WriteProcessMemory) goes on a `'kernel'` track.
   * Export the recording with {@link toChromeTrace}.
   *
   * Recording changes no counter, cycle or result: a kernel with a recorder behaves exactly as one
   * without. Replaces any recorder attached before (also one a CPU's {@link Mmu.setTracer} attached).
   *
   * @param recorder - the recorder, or null to stop recording.
   * @param options - see {@link KernelTraceOptions}.
   * @throws {@link InvalidArgumentError} when `recorder` is neither a TraceRecorder nor null, or the options
   *   are not an object with a non-empty `process` string (nothing changes).
   *
   * @example
   * ```ts
   * const kernel = new Kernel({ cpus: 2 });
   * const recorder = new TraceRecorder();
   * kernel.setTracer(recorder);
   * const p = kernel.createProcess();
   * const base = p.virtualAlloc(0, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
   * kernel.run(0, p).mmu.write32(base, 1);          // demand-zero fault on CPU 0
   * kernel.run(1, p).mmu.read32(base);              // CPU 1 caches the page too
   * p.virtualProtect(base, 0x1000, PAGE_READONLY);  // a shootdown: CPU 0 sends an IPI to CPU 1
   * const kinds = recorder.events().map((e) => e.kind);
   * kinds.filter((k) => k === 'invalidation').length; // 2: one per CPU
   * recorder.tracks().map((t) => t.thread);          // ['CPU 0', 'CPU 1', 'kernel']
   * ```
   */
  setTracer(recorder: TraceRecorder | null, options: KernelTraceOptions = {}): void {
    if (recorder !== null && !(recorder instanceof TraceRecorder)) throw new InvalidArgumentError(`recorder must be a TraceRecorder or null, got ${String(recorder)}`);
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
    requireKnownKeys(options, ['process'], 'KernelTraceOptions');
    const name = options.process ?? 'kernel';
    if (typeof name !== 'string' || name.length === 0 || name.length > 200) throw new InvalidArgumentError(`options.process must be a non-empty string of at most 200 characters, got ${String(name)}`);
    if (recorder === null && options.process !== undefined) throw new InvalidArgumentError('options are given with a recorder only');
    const cpus = this.cpus;
    if (recorder === null) {
      for (const cpu of cpus) cpu.mmu.setTracer(null);
      this.tracer = null;
      return;
    }
    const tracks = cpus.map((cpu) => recorder.trackFor(name, `CPU ${cpu.index}`));
    const kernelTrack = recorder.trackFor(name, 'kernel');
    for (const cpu of cpus) cpu.mmu.setTracer(recorder, { process: name, thread: `CPU ${cpu.index}` });
    this.tracer = new KernelTracer(recorder, cpus, tracks, kernelTrack, this.kernelCycles);
  }

  /** The recorder {@link Kernel.setTracer} attached, or null. */
  get traceRecorder(): TraceRecorder | null {
    return this.tracer === null ? null : this.tracer.recorder;
  }

  /** Pages (4 KiB each) committed now: private memory plus anonymous sections, charged against {@link Kernel.commitLimit}. */
  get committed(): number {
    return this.committedPages;
  }

  /** Live (not exited) processes. */
  processes(): Process[] {
    return [...this.liveProcesses.values()];
  }

  /** Sections that still exist (open, or mapped by a view). */
  sections(): Section[] {
    return [...this.liveSections];
  }

  /**
   * Creates a process with an empty address space and its own ASID (1–4095, never one a live process holds).
   * @throws {@link OutOfFramesError} when its root table cannot be allocated.
   * @throws {@link WindowsError} STATUS_INSUFFICIENT_RESOURCES / ERROR_NOT_ENOUGH_MEMORY when 4095 processes are alive.
   */
  createProcess(): Process {
    const asid = this.allocateAsid();
    const process = new Process(this, this.nextClientId(), asid);
    this.liveProcesses.set(process.pid, process);
    registerClientId(process);
    return process;
  }

  /** @internal The next process or thread id: one sequence for both, as Windows draws both from one client-id table. */
  nextClientId(): number {
    return this.nextId++;
  }

  /**
   * Runs `process` on a CPU: loads its root table and ASID into the MMU (a
   * context switch; without ASIDs the TLBs are flushed) in user mode.
   * @param cpu - a CPU index or one of {@link Kernel.cpus}.
   * @param process - a live process of this kernel.
   * @returns the CPU.
   * @throws {@link WindowsError} STATUS_INVALID_HANDLE / ERROR_INVALID_HANDLE for an exited or foreign process.
   * @throws {@link InvalidArgumentError} for a bad CPU.
   */
  run(cpu: number | Cpu, process: Process): Cpu {
    const target = typeof cpu === 'number' ? this.cpus[requireInteger(cpu, 'cpu', 0, this.cpus.length - 1)] : cpu;
    if (!target || !this.cpus.includes(target)) throw new InvalidArgumentError('cpu is not one of this kernel');
    this.requireLive(process);
    this.changes?.touch(process); // its CPU mask
    target.process = process;
    target.thread = null;
    process.cpuMask.add(target.index);
    target.mmu.setRoot(process.space.root, process.asid);
    target.mmu.setPrivilege(Privilege.User);
    return target;
  }

  /**
   * Takes the process off a CPU: the CPU idles on {@link Kernel.emptyRoot} with ASID 0.
   * @param cpu - a CPU index or one of {@link Kernel.cpus}.
   * @throws {@link InvalidArgumentError} when `cpu` is not a CPU (or CPU index) of this kernel.
   */
  idle(cpu: number | Cpu): void {
    const target = typeof cpu === 'number' ? this.cpus[requireInteger(cpu, 'cpu', 0, this.cpus.length - 1)] : cpu;
    if (!this.cpus.includes(target)) throw new InvalidArgumentError('cpu is not one of this kernel');
    target.process = null;
    target.thread = null;
    target.mmu.setRoot(this.emptyRoot, 0);
  }

  /**
   * Runs a thread on a CPU: {@link Kernel.run} for its process, and {@link Cpu.thread} set, so that a
   * guard page of the thread's stack that this CPU touches grows the stack instead of raising
   * STATUS_GUARD_PAGE_VIOLATION (B59). {@link Kernel.run} and {@link Kernel.idle} leave the CPU with no thread.
   * @param cpu - a CPU index or one of {@link Kernel.cpus}.
   * @param thread - a live thread of a process of this kernel.
   * @returns the CPU.
   * @throws {@link WindowsError} STATUS_INVALID_HANDLE / ERROR_INVALID_HANDLE for an exited thread or another kernel's.
   * @throws {@link InvalidArgumentError} for a bad CPU.
   *
   * @example
   * ```ts
   * const p = kernel.createProcess();
   * const t = p.createThread();
   * const cpu = kernel.runThread(0, t);
   * cpu.thread === t;                        // true
   * cpu.mmu.write8(t.stackLimit - 1, 0);     // the guard page: the stack grows, no exception
   * kernel.run(0, p);                        // the process, with no thread
   * cpu.thread;                              // null
   * ```
   */
  runThread(cpu: number | Cpu, thread: Thread): Cpu {
    return runThread(this, cpu, thread);
  }

  /**
   * Creates a section object (CreateFileMapping): anonymous (`file` absent) or
   * backed by a byte array. An anonymous SEC_COMMIT section is charged its
   * pages of commit now; pages get frames on first touch through a view. With
   * SEC_IMAGE and a file, the result is the file's image section, as
   * {@link Kernel.createImageSection} makes it (the protection is checked, then ignored).
   *
   * @param options - protection, size (bytes), SEC_* attributes, file; see {@link SectionOptions}.
   * @returns the section, open: map it with {@link Process.mapViewOfSection}, close it with {@link Kernel.closeSection}.
   * @throws {@link WindowsError} per B60–B62, nothing created:
   *   STATUS_INVALID_PAGE_PROTECTION / ERROR_INVALID_PARAMETER (a protection CreateFileMapping refuses);
   *   STATUS_INVALID_PARAMETER_6 / ERROR_INVALID_PARAMETER (bad SEC_* attributes);
   *   STATUS_INVALID_FILE_FOR_SECTION / ERROR_BAD_EXE_FORMAT (SEC_IMAGE without a file);
   *   STATUS_INVALID_PARAMETER / ERROR_INVALID_PARAMETER (no size for an anonymous section, a bad size);
   *   STATUS_MAPPED_FILE_SIZE_ZERO / ERROR_FILE_INVALID (an empty file and no size);
   *   STATUS_SECTION_TOO_BIG / ERROR_NOT_ENOUGH_MEMORY (a size larger than the file, unless the
   *   protection is PAGE_READWRITE or PAGE_EXECUTE_READWRITE: then the file grows, B62);
   *   STATUS_COMMITMENT_LIMIT / ERROR_COMMITMENT_LIMIT (the commit limit);
   *   for SEC_IMAGE, STATUS_SECTION_TOO_BIG when the size is larger than ALIGN(SizeOfImage, page) (B90).
   * @throws {@link ImageFormatError} for SEC_IMAGE with a file that is empty (STATUS_INVALID_FILE_FOR_SECTION,
   *   B62) or not a valid image for this kernel (B89), as {@link Kernel.createImageSection}.
   *
   * @example
   * ```ts
   * const kernel = new Kernel();
   * const section = kernel.createSection({ protect: PAGE_READWRITE, size: 0x2000 }); // anonymous, SEC_COMMIT
   * const a = kernel.createProcess();
   * const b = kernel.createProcess();
   * const va = a.mapViewOfSection(section, { access: FILE_MAP_WRITE });
   * const vb = b.mapViewOfSection(section, { access: FILE_MAP_READ });
   * a.writeMemory(va, new Uint8Array([1, 2, 3]));
   * [...b.readMemory(vb, 3)];      // [1, 2, 3]: one frame, seen through both views
   * b.virtualQuery(vb).protect;    // PAGE_READONLY
   * kernel.closeSection(section);  // the views stay mapped (B72)
   * kernel.sections().length;      // 1: until the last view goes
   * ```
   */
  createSection(options: SectionOptions): Section {
    const section = this.newSection(options);
    this.changes?.touch(section); // SEC_IMAGE may give the file's image section, which existed
    section.creatorHolds = true;
    return section;
  }

  /** @internal A registered section nothing holds yet: {@link Kernel.createSection} and CreateFileMapping (a handle) take it. */
  newSection(options: SectionOptions): Section {
    const section = createSection(this, this.nextSectionId, options);
    if (section.image !== null) return section; // SEC_IMAGE: the image section, registered by createImageSection
    this.nextSectionId++;
    this.liveSections.add(section);
    if (section.file !== null) {
      // Every data section over the same array shares its pages (the file cache).
      let cache = this.cachedFiles.get(section.file);
      if (cache === undefined) {
        cache = new FileCache(section.file);
        this.cachedFiles.set(section.file, cache);
      }
      cache.join(section, this.frames);
      section.cache = cache;
    }
    return section;
  }

  /**
   * The image section of a PE file (NtCreateSection with SEC_IMAGE): one per
   * distinct image (the same bytes object gives the same section), so every
   * process that maps the image at one base shares its pages. Nothing is read
   * into memory until a page is touched; no commit is charged.
   *
   * A kernel with a 64-bit page-table format is a 64-bit system: it makes sections of PE32 and PE32+
   * images alike, and {@link Process.loadImage} checks the image against the process's bitness (B89).
   * A kernel with a 32-bit format refuses PE32+ images here.
   *
   * NtCreateSection's MaximumSize and protection are `options` (B61, B90): a MaximumSize up to the image's
   * size works (the section is the image's size whatever is given), a larger one fails; the protection is
   * checked, then ignored. Map the section with {@link Process.loadImage} (LoadLibrary) or
   * {@link Process.mapImageView} (NtMapViewOfSection, no user-mode relocation).
   *
   * @param bytes - the PE file; kept by reference, do not modify it while the section lives.
   * @param options - MaximumSize and protection; see {@link ImageSectionOptions}.
   * @returns the section; its {@link Section.image} holds the parsed image.
   * @throws {@link ImageFormatError} when the image is malformed (B89); for an empty file,
   *   STATUS_INVALID_FILE_FOR_SECTION (B62); for a PE32+ image on a kernel with a 32-bit page-table
   *   format, STATUS_INVALID_IMAGE_WIN_64 (B89). Each reports ERROR_BAD_EXE_FORMAT.
   * @throws {@link WindowsError} STATUS_INVALID_PARAMETER / ERROR_INVALID_PARAMETER when `bytes` is not a
   *   `Uint8Array` (the message says what was given and how to get the bytes), for bad options or an unknown
   *   option key; STATUS_INVALID_PAGE_PROTECTION / ERROR_INVALID_PARAMETER for a protection CreateFileMapping
   *   refuses (B60, B61); STATUS_SECTION_TOO_BIG / ERROR_NOT_ENOUGH_MEMORY for a MaximumSize larger than
   *   ALIGN(SizeOfImage, page) (B90, checked after the headers). Nothing is created.
   *
   * @example
   * ```ts
   * import { readFileSync } from 'node:fs';
   * const dll = new Uint8Array(readFileSync('fixtures/pe/absolute32.dll'));
   * const kernel = new Kernel();
   * const section = kernel.createImageSection(dll);
   * section.image!.pe.imageBase;              // 0x1000_0000: the preferred base
   * section.pageCount;                        // 14
   * kernel.createImageSection(dll) === section; // true: one section per image
   * const loaded = kernel.createProcess().loadImage(section);
   * loaded.base;                              // 0x1000_0000
   * ```
   */
  createImageSection(bytes: Uint8Array, options: ImageSectionOptions = {}): Section {
    const section = this.imageSection(bytes, options);
    this.changes?.touch(section); // the file's image section may have existed
    section.creatorHolds = true;
    return section;
  }

  /** @internal The image section of `bytes` (the live one, or a new one nothing holds yet). */
  imageSection(bytes: Uint8Array, options: ImageSectionOptions = {}): Section {
    if (!(bytes instanceof Uint8Array)) throw notAnImage(bytes, false);
    if (options === null || typeof options !== 'object') throw new WindowsError(STATUS_INVALID_PARAMETER, 'options must be an object', ERROR_INVALID_PARAMETER);
    requireKnownOptions(options, ['maximumSize', 'protect'], 'ImageSectionOptions');
    // B61: the protection is checked as for any section, then ignored (the image's pages get their section protections).
    if (options.protect !== undefined) validateSectionProtection(options.protect);
    const maximumSize = options.maximumSize ?? 0;
    if (typeof maximumSize !== 'number' || !Number.isInteger(maximumSize) || maximumSize < 0 || maximumSize > this.userTop) {
      throw new WindowsError(STATUS_INVALID_PARAMETER, `maximumSize must be a non-negative integer, got ${String(maximumSize)}`, ERROR_INVALID_PARAMETER);
    }
    const cached = this.imageSections.get(bytes) ?? this.restoredImageSection(bytes);
    if (cached !== undefined && this.liveSections.has(cached) && cached.open) {
      requireImageMaximumSize(cached.image!.pe, maximumSize);
      return cached;
    }
    const section = createImageSection(this.nextSectionId, bytes, this.format.vaBits > 32, maximumSize);
    this.nextSectionId++;
    this.liveSections.add(section);
    this.imageSections.set(bytes, section);
    return section;
  }

  /**
   * The live image section over a file a saved state brought whose bytes are `bytes`, now known by `bytes` too: after
   * a load the caller's file is a copy of the kernel's (the same DLL read again), and an image section is one per
   * file, as it was in the kernel saved. Only restored files are compared: two files the caller gave are two files.
   */
  private restoredImageSection(bytes: Uint8Array): Section | undefined {
    for (const section of this.liveSections) {
      const file = section.file;
      if (section.image === null || file === null || !this.restoredImageFiles.has(file) || file.length !== bytes.length) continue;
      let same = true;
      for (let i = 0; i < file.length && same; i++) same = file[i] === bytes[i];
      if (!same) continue;
      this.imageSections.set(bytes, section);
      return section;
    }
    return undefined;
  }

  /**
   * @internal The system-wide ASLR base of an image (B97): chosen the first
   * time it is asked for, 64 KiB aligned, below the top of user space, going
   * down, never the image's own preferred base.
   */
  aslrBaseFor(section: Section): number {
    const known = this.aslrBases.get(section);
    if (known !== undefined) return known;
    const size = Math.ceil(section.size / ALLOCATION_GRANULARITY) * ALLOCATION_GRANULARITY;
    // As Windows does: 64-bit DLLs high in the address space, 32-bit DLLs below 2 GiB.
    const wide = section.image !== null && section.image.pe.is64 && this.userTop > 0x1_0000_0000;
    const cursor = wide ? (this.aslrCursor64 ||= Math.min(0x7ff8_0000_0000, this.userTop - 0x1000_0000)) : (this.aslrCursor32 ||= Math.min(0x7800_0000, this.userTop - 0x100_0000));
    let base = cursor - size;
    if (section.image !== null && base === section.image.pe.imageBase) base -= ALLOCATION_GRANULARITY;
    if (wide) this.aslrCursor64 = base;
    else this.aslrCursor32 = base;
    this.aslrBases.set(section, base);
    return base;
  }

  /**
   * Closes the creator's handle (CloseHandle). Views stay mapped and usable
   * (B72); the section is destroyed with its last view, returning its frames
   * and its commit charge.
   * @param section - an open section of this kernel.
   * @throws {@link WindowsError} STATUS_INVALID_HANDLE / ERROR_INVALID_HANDLE when it is already closed or not this kernel's.
   */
  closeSection(section: Section): void {
    if (!this.liveSections.has(section) || !section.creatorHolds) throw new WindowsError(STATUS_INVALID_HANDLE, 'section is not open', ERROR_INVALID_HANDLE);
    this.changes?.touchAll(); // a destroyed section releases what views and files held
    section.creatorHolds = false;
    this.destroySectionIfUnused(section);
  }

  /**
   * NtQuerySection(SectionBasicInformation): the section's attributes and size, as Windows
   * reports them (B61, B62, B90).
   * @param section - an open section of this kernel.
   * @returns base address (always 0), SEC_* attributes and size.
   * @throws {@link WindowsError} STATUS_INVALID_HANDLE / ERROR_INVALID_HANDLE when `section` is not an open section of this kernel.
   *
   * @example
   * ```ts
   * const kernel = new Kernel();
   * kernel.querySection(kernel.createSection({ size: 0x3452, protect: PAGE_READWRITE }));
   * // { baseAddress: 0, attributes: SEC_COMMIT, size: 0x4000 }
   * ```
   */
  querySection(section: Section): SectionBasicInformation {
    return sectionBasicInformation(this.requireOpenSection(section));
  }

  /**
   * NtQuerySection(SectionImageInformation): what an image section's headers say (B98): entry
   * point, stack sizes, subsystem, machine, whether it contains code, and the image flags
   * (ImageDynamicallyRelocated, ImageMappedFlat, ComPlusILOnly).
   * @param section - an open image section of this kernel.
   * @throws {@link WindowsError} STATUS_INVALID_HANDLE for a section that is not an open section of this kernel;
   *   STATUS_SECTION_NOT_IMAGE (ERROR_INVALID_PARAMETER) for a data section (B62).
   */
  querySectionImage(section: Section): SectionImageInformation {
    const open = this.requireOpenSection(section);
    if (open.image === null) throw new WindowsError(STATUS_SECTION_NOT_IMAGE, 'the section is not an image section (B62)');
    return sectionImageInformation(open.image.pe);
  }

  /** The section, if it is an open section of this kernel; STATUS_INVALID_HANDLE otherwise. */
  private requireOpenSection(section: Section): Section {
    if (!(section instanceof Section) || !this.liveSections.has(section) || !section.open) {
      throw new WindowsError(STATUS_INVALID_HANDLE, 'section handle is not valid', ERROR_INVALID_HANDLE);
    }
    return section;
  }

  /** @internal Frees a closed section once no view maps it. */
  destroySectionIfUnused(section: Section): void {
    if (section.open || section.viewCount > 0) return;
    const cache = section.cache;
    if (cache !== null) {
      // The pages no other section over the file spans leave the cache: their dirty bytes reach the file.
      if (cache.leave(section, this.memory)) this.cachedFiles.delete(cache.file);
      section.cache = null;
    }
    section.releaseFrames(this.frames);
    if (section.file === null) this.uncharge(this.sectionCharge(section));
    this.liveSections.delete(section);
  }

  /** @internal The file caches: one per file some live data section is over. */
  fileCaches(): FileCache[] {
    return [...this.cachedFiles.values()];
  }

  /** @internal Pages of commit an anonymous section holds. */
  sectionCharge(section: Section): number {
    let n = 0;
    for (let i = 0; i < section.pageCount; i++) n += section.committed[i];
    return n;
  }

  /**
   * @internal Reserves `pages` of commit charge, or throws ERROR_COMMITMENT_LIMIT (nothing charged).
   */
  charge(pages: number): void {
    if (this.committedPages + pages > this.commitLimit) {
      throw new WindowsError(STATUS_COMMITMENT_LIMIT, `commit limit reached: ${this.committedPages} + ${pages} > ${this.commitLimit} pages`, ERROR_COMMITMENT_LIMIT);
    }
    this.committedPages += pages;
  }

  /** @internal Returns commit charge. */
  uncharge(pages: number): void {
    this.committedPages -= pages;
  }

  /**
   * @internal Invalidates the translation of page `va` of `process` on every
   * CPU that may hold it (every CPU that has run the process, with ASIDs; the
   * CPUs running it now, without). Charges the initiating CPU an IPI per other
   * CPU and each CPU its invalidation.
   */
  shootdown(process: Process, va: number, initiator: Cpu | null): void {
    this.stats.shootdowns++;
    // A call made on the process's behalf (VirtualProtect, VirtualFree) runs on a CPU running it, if any.
    // (Plain loops: this runs on copy-on-write faults, which allocate nothing they can avoid.)
    const cpus = this.cpus;
    if (initiator === null || initiator === undefined) {
      initiator = null;
      for (let k = 0; k < cpus.length && initiator === null; k++) if (cpus[k].process === process) initiator = cpus[k];
    }
    const tracer = this.tracer;
    const traceStart = tracer === null ? 0 : tracer.clockOf(initiator);
    const invalidationsBefore = this.stats.invalidations;
    const ipisBefore = this.stats.shootdownIpis;
    for (let k = 0; k < cpus.length; k++) {
      const cpu = cpus[k];
      if (!process.cpuMask.has(cpu.index)) continue;
      if (!this.asids && cpu.process !== process) continue;
      if (tracer !== null) tracer.invalidation(cpu, va, process.asid, initiator);
      cpu.mmu.invalidatePageOfAsid(va, process.asid);
      cpu.mmu.chargeCycles(this.kernelCycles.invalidate);
      this.stats.invalidations++;
      if (cpu !== initiator) {
        this.stats.shootdownIpis++;
        // The sender pays for the IPI round trip; with no CPU running the process, nobody sends one.
        initiator?.mmu.chargeCycles(this.kernelCycles.ipi);
      }
    }
    if (tracer !== null) tracer.shootdown(initiator, traceStart, va, process.asid, this.stats.invalidations - invalidationsBefore, this.stats.shootdownIpis - ipisBefore);
  }

  /** @internal Drops an exited process. */
  forget(process: Process): void {
    this.liveProcesses.delete(process.pid);
    for (const cpu of this.cpus) {
      if (cpu.process === process) this.idle(cpu);
      // Its ASID may be reused: drop whatever is still tagged with it.
      if (process.cpuMask.has(cpu.index)) cpu.mmu.invalidateAsid(process.asid);
    }
  }

  /**
   * @internal The process a call works on: `target` itself, which must be a live process of this kernel
   * (STATUS_INVALID_HANDLE otherwise), or the process a handle names (see {@link ProcessReference.resolve}).
   */
  requireLive(target: ProcessArgument): Process {
    if (target instanceof Process) {
      if (target.kernel === this && !target.exited) return target;
    } else if (typeof target === 'object' && target !== null && typeof (target as Partial<ProcessReference>).resolve === 'function' && target.kernel === this) {
      return target.resolve();
    }
    throw new WindowsError(STATUS_INVALID_HANDLE, 'process handle is not valid (exited or foreign)', ERROR_INVALID_HANDLE);
  }

  /**
   * @internal The early process check of the NT calls: a {@link Process} must be live (STATUS_INVALID_HANDLE is
   * thrown, as before any status); a handle is left for the call's process step ({@link Kernel.liveOrStatus}),
   * after its argument checks, where Windows references its ProcessHandle.
   */
  requireLiveProcessObject(target: ProcessArgument): void {
    if (target instanceof Process) this.requireLive(target);
  }

  /**
   * @internal {@link Kernel.requireLive} for the NT calls, which return a handle's failure as their status: the
   * process, or the NTSTATUS a handle failed with. A {@link Process} that is not live still throws.
   */
  liveOrStatus(target: ProcessArgument): Process | number {
    if (target instanceof Process) return this.requireLive(target);
    try {
      return this.requireLive(target);
    } catch (error) {
      if (error instanceof WindowsError) return error.ntStatus >>> 0;
      throw error;
    }
  }

  /** @internal Checks an address-sized argument. */
  requireAddress(value: unknown, what: string): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > Number.MAX_SAFE_INTEGER) {
      throw new WindowsError(STATUS_INVALID_PARAMETER, `${what} must be a non-negative integer, got ${String(value)}`);
    }
    return value;
  }

  /** Number of frames (4 KiB each) in use by processes, sections and page tables (all but the zero frame and the empty root). */
  get usedFrames(): number {
    return this.frames.usedCount - 2;
  }

  private allocateAsid(): number {
    // PCIDs are 12 bits. Skip ASIDs live processes hold; forget() flushed whatever an exited owner left.
    const inUse = new Set<number>();
    for (const process of this.liveProcesses.values()) inUse.add(process.asid);
    if (inUse.size >= 4095) throw new WindowsError(STATUS_INSUFFICIENT_RESOURCES, 'every ASID is in use (4095 live processes)', ERROR_NOT_ENOUGH_MEMORY);
    while (inUse.has(this.nextAsid)) this.nextAsid = this.nextAsid >= 4095 ? 1 : this.nextAsid + 1;
    const asid = this.nextAsid;
    this.nextAsid = this.nextAsid >= 4095 ? 1 : this.nextAsid + 1;
    return asid;
  }
}
