// What a caller can observe of a kernel, as plain data, and random calls to change it: the snapshot and
// saved-state properties compare the one across the other.
import {
  FILE_MAP_WRITE,
  INVALID_HANDLE_VALUE,
  MEM_COMMIT,
  MEM_RELEASE,
  MEM_RESERVE,
  PAGE_GUARD,
  PAGE_READONLY,
  PAGE_READWRITE,
  WindowsError,
  WindowsExceptionError,
  type Kernel,
} from '../../src/index.js';

const PG = 0x1000;

/** Everything a caller can observe of a kernel, as plain data: regions, contents, handles, threads, counters. */
export function fingerprint(kernel: Kernel) {
  return {
    committed: kernel.committed,
    usedFrames: kernel.usedFrames,
    stats: JSON.stringify(kernel.stats),
    sections: kernel.sections().map((s) => [s.id, s.size, s.viewCount, s.handleCount, s.name]),
    cpus: kernel.cpus.map((cpu) => [cpu.process?.pid ?? null, cpu.thread?.id ?? null, JSON.stringify(cpu.mmu.stats())]),
    processes: kernel.processes().map((p) => {
      const regions: unknown[] = [];
      for (let va = 0; va < kernel.userTop; ) {
        const info = p.virtualQuery(va);
        let bytes = '';
        if (info.state === MEM_COMMIT && (info.protect & 0xff) !== 0x01 && (info.protect & PAGE_GUARD) === 0) {
          const data = p.readMemory(info.baseAddress, info.regionSize);
          let hash = 0x811c9dc5;
          for (const b of data) hash = Math.imul(hash ^ b, 0x01000193);
          bytes = (hash >>> 0).toString(16);
        }
        regions.push([info.baseAddress, info.regionSize, info.state, info.protect, info.type, info.allocationBase, bytes]);
        va = info.baseAddress + info.regionSize;
      }
      return {
        pid: p.pid,
        regions,
        handles: [...p.handles.entries()].map(([h, e]) => [h, e.object.objectType, e.access, e.attributes]),
        threads: p.threads().map((t) => [t.id, t.stackLimit, t.stackBase]),
        modules: p.modules().map((m) => [m.name, m.base, m.loadCount]),
      };
    }),
  };
}


/** The kernel calls the snapshot and saved-state properties make between their own steps. */
export const KERNEL_OPS = ['alloc', 'free', 'protect', 'write', 'fork', 'exit', 'map', 'thread'] as const;
export type KernelOp = (typeof KERNEL_OPS)[number];

/**
 * Makes call `kind` on the live process `n` picks (allocations, frees, protections, writes through a CPU, forks, exits but
 * of `keep`, sections with views, threads). A Windows failure or exception is a legitimate outcome and is swallowed.
 */
export function applyKernelOp(kernel: Kernel, kind: KernelOp, n: number, keep: number): void {
  const ps = kernel.processes();
  if (ps.length === 0) return;
  const p = ps[n % ps.length];
  const allocations = [...p.regions].filter((a) => a.view === null);
  const pick = allocations.length > 0 ? allocations[n % allocations.length] : null;
  try {
    if (kind === 'alloc') p.virtualAlloc(0, ((n % 8) + 1) * PG, MEM_RESERVE | MEM_COMMIT, n % 3 === 0 ? PAGE_READWRITE | PAGE_GUARD : PAGE_READWRITE);
    else if (kind === 'free' && pick !== null) p.virtualFree(pick.base, 0, MEM_RELEASE);
    else if (kind === 'protect' && pick !== null) p.virtualProtect(pick.base, PG, n % 2 === 0 ? PAGE_READONLY : PAGE_READWRITE);
    else if (kind === 'write' && pick !== null) kernel.run(0, p).mmu.write8(pick.base + (n % pick.size), n & 0xff);
    else if (kind === 'fork' && ps.length < 6) p.fork();
    else if (kind === 'exit' && p.pid !== keep) p.exit();
    else if (kind === 'map') {
      const { handle } = p.createFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, PG * ((n % 3) + 1));
      p.mapViewOfSection(handle, { access: FILE_MAP_WRITE });
      if (n % 2 === 0) p.closeHandle(handle);
    } else if (kind === 'thread') kernel.runThread(0, p.createThread());
  } catch (error) {
    if (!(error instanceof WindowsError || error instanceof WindowsExceptionError)) throw error;
  }
}
