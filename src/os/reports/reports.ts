import { FRAME_SIZE } from '../../mmu/physical-memory.js';
import { InvalidArgumentError } from '../../mmu/errors.js';
import { ERROR_INVALID_HANDLE, MEM_IMAGE, MEM_MAPPED, MEM_PRIVATE, STATUS_INVALID_HANDLE } from '../rules/constants.js';
import { WindowsError } from '../rules/errors.js';
import { Kernel } from '../kernel/kernel.js';
import type { KernelStats } from '../records/kernel-stats.js';
import { Process } from '../kernel/process.js';
import { protectionName } from '../rules/protection.js';
import { frameMappingCounts } from './image-report.js';
import { NO_FRAME } from '../records/section.js';

/**
 * Memory use of one allocation (a VAD: a VirtualAlloc reservation or a view),
 * as VMMap or one entry of Linux's `/proc/PID/smaps` shows it. Every size is in
 * bytes and counts whole 4 KiB pages.
 *
 * The page classes, per page that has a frame (a *resident* page):
 * - **private**: the page is the frame's only reference (reference count 1):
 *   not the shared zero frame, not a section's frame (the section holds a
 *   reference of its own), not a frame still shared after a fork;
 * - **shareable**: every other resident page (zero frame, section frames,
 *   frames shared by fork), so `resident = private + shareable`;
 * - **shared**: shareable pages whose frame is mapped by more than one page
 *   (in this or any other live process; a section's own reference does not count);
 * - **proportional** (PSS): each resident page contributes 4096 divided by the
 *   number of process pages mapping its frame, so summing the PSS of every
 *   process gives the memory their mappings use, each frame counted once.
 */
export interface RegionReport {
  /** First address of the allocation. */
  base: number;
  /** Size in bytes. */
  size: number;
  /** MEM_PRIVATE, MEM_MAPPED or MEM_IMAGE. */
  type: number;
  /** The protection the allocation was made with (AllocationProtect). */
  allocationProtect: number;
  /** Bytes in MEM_COMMIT state (views: committed in their section), as VirtualQuery reports them; not the commit charge. */
  committedBytes: number;
  /** Bytes of pages that have a frame (the zero frame included). */
  residentBytes: number;
  /** Bytes of resident pages that are their frame's only reference. */
  privateBytes: number;
  /** Bytes of resident pages that are not private (`residentBytes - privateBytes`). */
  shareableBytes: number;
  /** Bytes of shareable pages whose frame more than one process page maps. */
  sharedBytes: number;
  /** Proportional set size: 4096 / (process pages mapping the frame), summed over resident pages. May be fractional. */
  proportionalBytes: number;
  /** The section a view maps, or null for private memory. */
  sectionId: number | null;
}

/** Memory use of one process: its regions and their totals (see {@link RegionReport} for the definitions). */
export interface ProcessReport {
  /** Process id. */
  pid: number;
  /** The process's ASID. */
  asid: number;
  /** Its allocations, in address order. */
  regions: RegionReport[];
  /** Sum of the regions' {@link RegionReport.committedBytes}. */
  committedBytes: number;
  /** Sum of the regions' {@link RegionReport.residentBytes}. */
  residentBytes: number;
  /** Sum of the regions' {@link RegionReport.privateBytes}. */
  privateBytes: number;
  /** Sum of the regions' {@link RegionReport.shareableBytes}. */
  shareableBytes: number;
  /** Sum of the regions' {@link RegionReport.sharedBytes}. */
  sharedBytes: number;
  /** Sum of the regions' {@link RegionReport.proportionalBytes}. */
  proportionalBytes: number;
  /** Bytes of the process's page tables (4096 per table, the root included). */
  pageTableBytes: number;
}

/** Counters of one CPU in a {@link SystemReport}. */
export interface CpuReport {
  /** The CPU's index. */
  index: number;
  /** Pid of the process it runs, or null when idle. */
  pid: number | null;
  /** Cycles its MMU has accumulated (kernel work charged to it included). */
  cycles: number;
  /** Faults its MMU raised (resolved or delivered). */
  faults: number;
  /** Page walks its MMU started. */
  walks: number;
}

/** A snapshot of the whole kernel: frames, commit, objects, counters. */
export interface SystemReport {
  /** Frames of RAM the kernel manages. */
  totalFrames: number;
  /** Frames free now. */
  freeFrames: number;
  /** Frames allocated now (`totalFrames - freeFrames`): the zero frame and the idle CPUs' empty root table included, unlike {@link Kernel.usedFrames}. */
  usedFrames: number;
  /** Pages mapping the shared zero frame (its reference count minus the kernel's own reference). */
  zeroFrameMappings: number;
  /** Pages of commit charge in use ({@link Kernel.committed}). */
  committedPages: number;
  /** Most pages that may be committed ({@link Kernel.commitLimit}). */
  commitLimit: number;
  /** Live processes. */
  processes: number;
  /** Sections that exist (open, or mapped by a view). */
  sections: number;
  /** A copy of the kernel's counters. */
  stats: KernelStats;
  /** Per-CPU counters. */
  perCpu: CpuReport[];
}

/** Throws STATUS_INVALID_HANDLE for anything but a process (an exited one is the kernel's to refuse). */
function requireProcess(process: unknown): asserts process is Process {
  if (!(process instanceof Process)) {
    throw new WindowsError(STATUS_INVALID_HANDLE, 'process handle is not valid (not a process)', ERROR_INVALID_HANDLE);
  }
}

/**
 * Reports the memory use of `process`, region by region (VMMap, `/proc/PID/smaps`).
 * Definitions of the page classes: {@link RegionReport}. Costs one pass over the
 * pages of every live process (to count how many pages map each frame).
 * Changes nothing and charges no cycles.
 * @param process - a live process.
 * @returns a new report; every size in bytes.
 * @throws {@link WindowsError} STATUS_INVALID_HANDLE for an exited process, or anything that is not a process.
 *
 * @example
 * ```ts
 * const kernel = new Kernel();
 * const p = kernel.createProcess();
 * const base = p.virtualAlloc(0, 0x4000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
 * const cpu = kernel.run(0, p);
 * cpu.mmu.write32(base, 1);           // page 0: a private frame
 * cpu.mmu.read32(base + 0x1000);      // page 1: maps the shared zero frame
 * const r = processReport(p);
 * r.committedBytes;                   // 0x4000
 * r.residentBytes;                    // 0x2000
 * r.privateBytes;                     // 0x1000
 * r.shareableBytes;                   // 0x1000: the zero frame
 * r.pageTableBytes;                   // 0x4000: PML4, PDPT, PD, PT
 * ```
 */
export function processReport(process: Process): ProcessReport {
  requireProcess(process);
  const kernel = process.kernel;
  kernel.requireLive(process);
  const counts = frameMappingCounts(kernel);
  const report: ProcessReport = {
    pid: process.pid,
    asid: process.asid,
    regions: [],
    committedBytes: 0,
    residentBytes: 0,
    privateBytes: 0,
    shareableBytes: 0,
    sharedBytes: 0,
    proportionalBytes: 0,
    pageTableBytes: process.space.tables.tableCount * FRAME_SIZE,
  };
  for (const allocation of process.regions) {
    let committed = 0;
    let resident = 0;
    let private_ = 0;
    let shared = 0;
    let proportional = 0;
    for (let i = 0; i < allocation.pageCount; i++) {
      if (allocation.isCommitted(i)) committed++;
      const frame = allocation.frame[i];
      if (frame === NO_FRAME) continue;
      resident++;
      const mappings = counts.get(frame) ?? 1;
      proportional += FRAME_SIZE / mappings;
      if (frame !== kernel.zeroFrame && kernel.frames.refCount(frame) === 1) private_++;
      else if (mappings > 1) shared++;
    }
    const region: RegionReport = {
      base: allocation.base,
      size: allocation.size,
      type: allocation.type,
      allocationProtect: allocation.allocationProtect,
      committedBytes: committed * FRAME_SIZE,
      residentBytes: resident * FRAME_SIZE,
      privateBytes: private_ * FRAME_SIZE,
      shareableBytes: (resident - private_) * FRAME_SIZE,
      sharedBytes: shared * FRAME_SIZE,
      proportionalBytes: proportional,
      sectionId: allocation.view === null ? null : allocation.view.section.id,
    };
    report.regions.push(region);
    report.committedBytes += region.committedBytes;
    report.residentBytes += region.residentBytes;
    report.privateBytes += region.privateBytes;
    report.shareableBytes += region.shareableBytes;
    report.sharedBytes += region.sharedBytes;
    report.proportionalBytes += region.proportionalBytes;
  }
  return report;
}

/**
 * Reports the whole kernel: frames, commit, process and section counts, counters, and each CPU's MMU counters.
 * Changes nothing and charges no cycles.
 * @param kernel - the kernel.
 * @returns a new report (the counters are copies).
 *
 * @throws {@link InvalidArgumentError} when `kernel` is not a Kernel.
 * @example
 * ```ts
 * const kernel = new Kernel();
 * const p = kernel.createProcess();
 * const base = p.virtualAlloc(0, 0x4000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
 * kernel.run(0, p).mmu.read32(base);
 * const s = systemReport(kernel);
 * s.committedPages;                   // 4
 * s.zeroFrameMappings;                // 1: the page read is mapped to the zero frame
 * s.stats.demandZeroFaults;           // 1
 * s.perCpu[0].pid;                    // 1
 * s.perCpu[0].faults;                 // 1
 * ```
 */
export function systemReport(kernel: Kernel): SystemReport {
  if (!(kernel instanceof Kernel)) throw new InvalidArgumentError('kernel must be a Kernel');
  const frames = kernel.frames;
  return {
    totalFrames: frames.totalCount,
    freeFrames: frames.freeCount,
    usedFrames: frames.usedCount,
    zeroFrameMappings: frames.refCount(kernel.zeroFrame) - 1,
    committedPages: kernel.committed,
    commitLimit: kernel.commitLimit,
    processes: kernel.processes().length,
    sections: kernel.sections().length,
    stats: { ...kernel.stats },
    perCpu: kernel.cpus.map((cpu) => {
      const stats = cpu.mmu.stats();
      return { index: cpu.index, pid: cpu.process === null ? null : cpu.process.pid, cycles: stats.cycles, faults: stats.faults, walks: stats.walks };
    }),
  };
}

const TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [MEM_PRIVATE, 'Private'],
  [MEM_MAPPED, 'Mapped'],
  [MEM_IMAGE, 'Image'],
]);

/** Bytes as KiB: an integer when whole, else one decimal. */
function kib(bytes: number): string {
  const k = bytes / 1024;
  return Number.isInteger(k) ? String(k) : k.toFixed(1);
}

/**
 * Formats a {@link ProcessReport} as a fixed-width text table a CLI can print:
 * one row per region, sizes in KiB, then a total row and the page-table size.
 * Lines are separated by `'\n'`, without a trailing newline.
 *
 * @param report - from {@link processReport}.
 * @returns the table, sizes in KiB (one decimal when not whole).
 *
 * @example
 * ```ts
 * const kernel = new Kernel();
 * const p = kernel.createProcess();
 * const base = p.virtualAlloc(0, 0x4000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
 * const cpu = kernel.run(0, p);
 * cpu.mmu.write32(base, 1);
 * cpu.mmu.read32(base + 0x1000);
 * console.log(formatProcessReport(processReport(p)));
 * ```
 * prints
 * ```text
 * Process 1 (ASID 1)
 * Address         Type      Size KiB   Commit   Resident   Private   Shareable   Shared       PSS   Section  Protection
 * 0x000000010000  Private         16       16          8         4           4        0         8         -  PAGE_READWRITE
 * Total                           16       16          8         4           4        0         8
 * Page tables: 16 KiB
 * ```
 * @throws {@link InvalidArgumentError} when `report` is not a process report.
 */
export function formatProcessReport(report: ProcessReport): string {
  const regionOk = (r: unknown): boolean => r !== null && typeof r === 'object' && typeof (r as RegionReport).base === 'number' && typeof (r as RegionReport).type === 'number';
  if (report === null || typeof report !== 'object' || !Array.isArray(report.regions) || !report.regions.every(regionOk)) {
    throw new InvalidArgumentError('report must be a ProcessReport (see processReport)');
  }
  const columns: Array<[string, number, 'left' | 'right']> = [
    ['Address', 14, 'left'],
    ['Type', 7, 'left'],
    ['Size KiB', 9, 'right'],
    ['Commit', 7, 'right'],
    ['Resident', 9, 'right'],
    ['Private', 8, 'right'],
    ['Shareable', 10, 'right'],
    ['Shared', 7, 'right'],
    ['PSS', 8, 'right'],
    ['Section', 8, 'right'],
    ['Protection', 0, 'left'],
  ];
  const row = (cells: readonly string[]): string =>
    cells
      .map((cell, c) => {
        const [, width, align] = columns[c];
        return align === 'left' ? cell.padEnd(width) : cell.padStart(width);
      })
      .join('  ')
      .trimEnd();
  const lines = [`Process ${report.pid} (ASID ${report.asid})`, row(columns.map(([name]) => name))];
  for (const r of report.regions) {
    lines.push(
      row([
        `0x${r.base.toString(16).padStart(12, '0')}`,
        TYPE_NAMES.get(r.type) ?? `0x${r.type.toString(16)}`,
        kib(r.size),
        kib(r.committedBytes),
        kib(r.residentBytes),
        kib(r.privateBytes),
        kib(r.shareableBytes),
        kib(r.sharedBytes),
        kib(r.proportionalBytes),
        r.sectionId === null ? '-' : String(r.sectionId),
        protectionName(r.allocationProtect),
      ]),
    );
  }
  const size = report.regions.reduce((sum, r) => sum + r.size, 0);
  lines.push(
    row([
      'Total',
      '',
      kib(size),
      kib(report.committedBytes),
      kib(report.residentBytes),
      kib(report.privateBytes),
      kib(report.shareableBytes),
      kib(report.sharedBytes),
      kib(report.proportionalBytes),
      '',
      '',
    ]),
  );
  lines.push(`Page tables: ${kib(report.pageTableBytes)} KiB`);
  return lines.join('\n');
}
