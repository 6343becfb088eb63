/**
 * A full, comparable picture of emulator state, for "a failed call changes nothing" checks:
 * take one before the call, one after, and `expect(after).toEqual(before)`.
 *
 * For a kernel it captures: a hash of every byte of physical memory; the frame allocator's
 * counts, limit and every frame's reference count; every live process's pid, ASID, CPU mask,
 * page-table frames, VirtualQuery map of the whole user address space and per-page frames;
 * every section's records; the kernel's commit charge and counters; and for every CPU the
 * process it runs, its MMU's registers, counters and the contents of each TLB level.
 * Hardware-only setups (no kernel) pass the pieces they have.
 */
import { createHash } from 'node:crypto';
import type { FrameAllocator, Kernel, MemoryBasicInformation, Mmu, PageTableBuilder, PhysicalMemory, Process, Section, Tlb } from '../../src/index.js';

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
    privilege: mmu.privilege,
    paging: mmu.paging,
    controls: mmu.controls,
    stats: mmu.stats(),
    lastFault: fault === null ? null : fault.toString(),
    tlbs: mmu.tlb.levels().map(tlbSnapshot),
    walkCache: walkCacheEntries(mmu),
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
    pages: [...process.regions].map((a) => ({ base: a.base, view: a.view === null ? null : { section: a.view.section.id, firstPage: a.view.firstPage, access: a.view.access }, frames: Array.from(a.frame).join(','), copied: Array.from(a.copied).join('') })),
  };
}

function sectionSnapshot(section: Section): Snapshot {
  return {
    id: section.id,
    size: section.size,
    protect: section.protect,
    attributes: section.attributes,
    open: section.open,
    viewCount: section.viewCount,
    committed: Array.from(section.committed).join(''),
    frames: Array.from(section.frames).join(','),
    relocated: section.image === null ? null : [...section.image.relocated].map(([base, set]) => `${base.toString(16)}:${Array.from(set).join(',')}`),
  };
}

function kernelSnapshot(kernel: Kernel): Snapshot {
  return {
    memory: memorySnapshot(kernel.memory),
    frames: framesSnapshot(kernel.frames),
    committed: kernel.committed,
    usedFrames: kernel.usedFrames,
    stats: { ...kernel.stats },
    processes: kernel.processes().map(processSnapshot),
    sections: kernel.sections().map(sectionSnapshot),
    cpus: kernel.cpus.map((cpu) => ({ index: cpu.index, pid: cpu.process === null ? null : cpu.process.pid, mmu: mmuSnapshot(cpu.mmu) })),
  };
}

/**
 * Captures everything named in `targets` (or everything a kernel owns).
 * @returns plain data: compare two snapshots with `toEqual`.
 */
export function snapshot(targets: SnapshotTargets | Kernel): Snapshot {
  if (isKernel(targets)) return kernelSnapshot(targets);
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
