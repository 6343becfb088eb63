/**
 * A full, comparable picture of emulator state, for "a failed call changes nothing" checks:
 * take one before the call, one after, and `expect(after).toEqual(before)`.
 *
 * For a kernel it captures: a hash of every byte of physical memory; the frame allocator's
 * counts, limit and every frame's reference count; every live process's pid, ASID, CPU mask,
 * page-table frames, VirtualQuery map of the whole user address space, per-page frames, loaded
 * modules, handle count, live threads (id, stack, handle count) and handle table (each handle's value, access,
 * attributes and object: its type, identity and, for a process or thread, its handle count); every section's records; the kernel's commit charge and counters; and for every
 * CPU the process it runs, its MMU's registers, counters and the contents of each TLB level.
 * Hardware-only setups (no kernel) pass the pieces they have.
 */
import { createHash } from 'node:crypto';
import type { FrameAllocator, Kernel, KernelObject, MemoryBasicInformation, Mmu, PageTableBuilder, PhysicalMemory, Process, Section, Tlb } from '../../src/index.js';

/** What to capture. */
export interface SnapshotTargets {
  kernel?: Kernel;
  memory?: PhysicalMemory;
  frames?: FrameAllocator;
  mmus?: readonly Mmu[];
  tlbs?: readonly Tlb[];
  /** TLBs whose entries (not counters) must not change: an access that faults still counts its lookups. */
  tlbEntries?: readonly Tlb[];
  builders?: readonly PageTableBuilder[];
  /** Any other plain data the caller computes from its fixture (for example a region tree's contents). */
  extra?: unknown;
}

/** A snapshot: plain data, compared with `toEqual`. */
export type Snapshot = Record<string, unknown>;

/** SHA-1 of the bytes, as hex. */
export function hashBytes(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('hex');
}

function memorySnapshot(memory: PhysicalMemory): Snapshot {
  return { ramBase: memory.ramBase, ramSize: memory.ramSize, bytes: hashBytes(memory.bytes), regions: memory.regions() };
}

function framesSnapshot(frames: FrameAllocator): Snapshot {
  const refCounts: number[] = [];
  for (let i = 0; i < frames.totalCount; i++) refCounts.push(frames.refCount(frames.firstFrame + i));
  return { total: frames.totalCount, free: frames.freeCount, used: frames.usedCount, limit: frames.limit, refCounts: refCounts.join(',') };
}

function tlbSnapshot(tlb: Tlb): Snapshot {
  const entries: string[] = [];
  for (const e of tlb.entries()) entries.push(`${e.index}:${e.va.toString(16)}/${e.asid}/${e.pageShift}/${e.sourcePageShift}->${e.pageBase.toString(16)} p${e.perm} x${e.extra}`);
  return { name: tlb.name, valid: tlb.validCount(), entries, stats: tlb.stats.snapshot() };
}

function mmuSnapshot(mmu: Mmu): Snapshot {
  const fault = mmu.lastFaultRecord;
  return {
    root: mmu.root,
    asid: mmu.asid,
    format: mmu.format.name,
    privilege: mmu.privilege,
    modifyPrivilege: mmu.format.architecture === 'riscv' ? mmu.modifyPrivilege : null,
    paging: mmu.paging,
    controls: mmu.controls,
    pmp: Array.from({ length: mmu.pmpEntries }, (_, i) => `${mmu.readPmpcfg(i)}:${mmu.readPmpaddr(i)}`),
    stats: mmu.stats(),
    lastFault: fault === null ? null : fault.toString(),
    tlbs: mmu.tlb.levels().map(tlbSnapshot),
    walkCache: walkCacheEntries(mmu),
    virtualized: mmu.virtualized,
    guest: { format: mmu.guestFormat?.name ?? null, root: mmu.guestRoot, asid: mmu.guestAsid, controls: mmu.guestControls },
    secondStage: mmu.format.architecture === 'riscv' ? mmu.hgatp : mmu.eptState,
  };
}

function walkCacheEntries(mmu: Mmu): number | null {
  const cache = (mmu.walker as { walkCache?: { validCount(): number } | null }).walkCache;
  return cache === undefined || cache === null ? null : cache.validCount();
}

function builderSnapshot(builder: PageTableBuilder): Snapshot {
  return { root: builder.root, tables: builder.tables() };
}

/** The VirtualQuery map of the whole user address space of a live process (B23–B29). */
export function queryMap(process: Process): MemoryBasicInformation[] {
  const map: MemoryBasicInformation[] = [];
  const top = process.kernel.userTop;
  for (let address = 0; address < top; ) {
    const info = process.virtualQuery(address);
    map.push(info);
    address = info.baseAddress + info.regionSize;
  }
  return map;
}

function processSnapshot(process: Process): Snapshot {
  return {
    pid: process.pid,
    asid: process.asid,
    exited: process.exited,
    cpuMask: [...process.cpuMask].sort(),
    tables: process.space.tables.tables(),
    queryMap: queryMap(process),
    handleCount: process.handleCount,
    handles: [...process.handles.entries()].map(([h, e]) => `${h}:${e.access.toString(16)}:${e.attributes}:${handleObject(e.object)}`),
    threads: process.threads().map((t) => `${t.id} handles ${t.handleCount} stack ${t.deallocationStack.toString(16)}-${t.stackBase.toString(16)} limit ${t.stackLimit.toString(16)} guarantee ${t.guaranteedStackBytes}`),
    pages: [...process.regions].map((a) => ({ base: a.base, view: a.view === null ? null : { section: a.view.section.id, firstPage: a.view.firstPage, access: a.view.access }, frames: Array.from(a.frame).join(','), copied: Array.from(a.copied).join(''), writeWatch: a.writeWatch === null ? null : Array.from(a.writeWatch).join('') })),
    modules: moduleList(process),
  };
}

/**
 * What a handle refers to: the object's type and identity (a section's id, a process's pid, a thread's id and its
 * process's pid; a file object has none) and, for a process or thread, whether it exited and its handle count, so
 * that a failed call that leaks (or drops) a handle to a process or thread, or to one that exited, is caught.
 */
function handleObject(object: KernelObject): string {
  switch (object.objectType) {
    case 'Section':
      return `Section ${object.id}`;
    case 'Process':
      return `Process ${object.pid}${object.exited ? ' exited' : ''} handles ${object.handleCount}`;
    case 'Thread':
      return `Thread ${object.id} of ${object.process.pid}${object.exited ? ' exited' : ''} handles ${object.handleCount}`;
    default:
      return `${object.objectType} handles ${object.handleCount}`;
  }
}

/**
 * The loader's module list (B96): each module's name, base, load count, dependencies, TLS slot and
 * whether it was bound and initialized, so that a failed LoadLibrary that leaves a module (or a
 * changed load count) behind is caught even when its pages are gone. (`modules()` reads each
 * module's header and TLS directory from its pages, as ReadProcessMemory does: a guard page there
 * would lose its guard, B52. No fixture guards a module's page.)
 */
function moduleList(process: Process): string[] {
  return process.modules().map((m) => `${m.name}@${m.base.toString(16)} count ${m.loadCount}${m.main ? ' main' : ''} deps [${m.dependencies.join(',')}] tls ${m.tls?.index ?? '-'} resolved ${m.importsResolved} init ${m.runsInitializers}`);
}

function sectionSnapshot(section: Section): Snapshot {
  return {
    id: section.id,
    size: section.size,
    protect: section.protect,
    attributes: section.attributes,
    open: section.open,
    handleCount: section.handleCount,
    name: section.name,
    viewCount: section.viewCount,
    committed: Array.from(section.committed).join(''),
    frames: Array.from(section.frames).join(','),
    relocated: section.image === null ? null : [...section.image.relocated].map(([base, set]) => `${base.toString(16)}:${Array.from(set).join(',')}`),
  };
}

/** What a kernel snapshot leaves out, for checks where those parts may legitimately change. */
export interface KernelSnapshotOptions {
  /**
   * Counters: kernel statistics, MMU cycles and counters, the last fault, TLB statistics and
   * walk-cache fill. A failed access is still an access: it is counted. Default true.
   */
  counters?: boolean;
  /**
   * Physical memory: `'all'` bytes (default); only the bytes of `'allocated'` frames (a failed
   * operation may have zeroed a frame it then gave back); only the bytes of allocated `'data'`
   * frames, not page tables (rewriting an entry to the same frame drops its Accessed and Dirty
   * bits); or `'none'`.
   */
  memory?: 'all' | 'allocated' | 'data' | 'none';
  /** TLB contents (default true). A shootdown that was not needed is allowed to empty a TLB. */
  tlbs?: boolean;
  /** The frame allocator's limit (default true; the exhaustion tests move it themselves). */
  frameLimit?: boolean;
  /**
   * Which frames back which pages (default true): the allocator's counts and reference counts,
   * each page's frame and copy flag, each section's frames. False keeps what a program can
   * observe: VirtualQuery maps, commit, sections' commit state.
   */
  residency?: boolean;
  /**
   * The page-table pages of processes (default true): in the frame counts and reference counts,
   * and each process's list of tables. Tables, once created, stay until the process exits, even
   * when what needed them failed or was unmapped.
   */
  pageTables?: boolean;
}

/** Frame numbers of every live process's page tables. */
function tableFrames(kernel: Kernel): Set<number> {
  return new Set(kernel.processes().flatMap((p) => p.space.tables.tables().map((address) => address / 4096)));
}

function allocatedFramesHash(kernel: Kernel, skip: ReadonlySet<number>): string {
  const hash = createHash('sha1');
  const frames = kernel.frames;
  const bytes = kernel.memory.bytes;
  for (let i = 0; i < frames.totalCount; i++) {
    const frame = frames.firstFrame + i;
    if (frames.refCount(frame) === 0 || skip.has(frame)) continue;
    const offset = kernel.memory.ramFrameOffset(frame);
    hash.update(bytes.subarray(offset, offset + 4096));
  }
  return hash.digest('hex');
}

function kernelSnapshot(kernel: Kernel, options: KernelSnapshotOptions = {}): Snapshot {
  const counters = options.counters ?? true;
  const memory = options.memory ?? 'all';
  const tlbs = options.tlbs ?? true;
  const cpu = (mmu: Mmu): Snapshot => {
    const full = mmuSnapshot(mmu);
    if (counters && tlbs) return full;
    const { root, asid, privilege, paging, controls } = full;
    return { root, asid, privilege, paging, controls, tlbs: tlbs ? mmu.tlb.levels().map((tlb) => tlbSnapshot(tlb).entries) : undefined };
  };
  const residency = options.residency ?? true;
  const tables = options.pageTables ?? true;
  const tableSet = tables && memory !== 'data' ? new Set<number>() : tableFrames(kernel);
  const framesOf = (): Snapshot => {
    const full = framesSnapshot(kernel.frames);
    if (tables) return full;
    const counts = (full.refCounts as string).split(',').map((count, i) => (tableSet.has(kernel.frames.firstFrame + i) ? '0' : count));
    return { total: full.total, used: (full.used as number) - tableSet.size, refCounts: counts.join(',') };
  };
  const observable = (snap: Snapshot, keys: readonly string[]): Snapshot => (residency ? snap : Object.fromEntries(Object.entries(snap).filter(([key]) => !keys.includes(key))));
  return {
    memory: memory === 'all' ? memorySnapshot(kernel.memory) : memory === 'none' ? undefined : allocatedFramesHash(kernel, memory === 'data' ? tableSet : new Set()),
    frames: residency ? { ...framesOf(), limit: options.frameLimit === false ? undefined : kernel.frames.limit } : undefined,
    committed: kernel.committed,
    usedFrames: residency ? kernel.usedFrames - (tables ? 0 : tableSet.size) : undefined,
    stats: counters ? { ...kernel.stats } : undefined,
    processes: kernel.processes().map((p) => {
      const snap = observable(processSnapshot(p), ['pages', 'tables']);
      return tables ? snap : { ...snap, tables: undefined };
    }),
    sections: kernel.sections().map((x) => observable(sectionSnapshot(x), ['frames', 'relocated'])),
    cpus: kernel.cpus.map((c) => ({ index: c.index, pid: c.process === null ? null : c.process.pid, mmu: cpu(c.mmu) })),
  };
}

/**
 * Captures everything named in `targets` (or everything a kernel owns).
 * @returns plain data: compare two snapshots with `toEqual`.
 */
export function snapshot(targets: SnapshotTargets | Kernel, options: KernelSnapshotOptions = {}): Snapshot {
  if (isKernel(targets)) return kernelSnapshot(targets, options);
  const t = targets as SnapshotTargets;
  const out: Snapshot = {};
  if (t.kernel !== undefined) out.kernel = kernelSnapshot(t.kernel);
  if (t.memory !== undefined) out.memory = memorySnapshot(t.memory);
  if (t.frames !== undefined) out.frames = framesSnapshot(t.frames);
  if (t.mmus !== undefined) out.mmus = t.mmus.map(mmuSnapshot);
  if (t.tlbs !== undefined) out.tlbs = t.tlbs.map(tlbSnapshot);
  if (t.tlbEntries !== undefined) out.tlbEntries = t.tlbEntries.map((tlb) => tlbSnapshot(tlb).entries);
  if (t.builders !== undefined) out.builders = t.builders.map(builderSnapshot);
  if (t.extra !== undefined) out.extra = t.extra;
  return out;
}

function isKernel(value: SnapshotTargets | Kernel): value is Kernel {
  return typeof (value as Kernel).createProcess === 'function';
}
