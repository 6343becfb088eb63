import { describe, expect, it } from 'vitest';
import {
  FILE_MAP_COPY,
  FILE_MAP_WRITE,
  MEM_COMMIT,
  MEM_MAPPED,
  MEM_PRIVATE,
  MEM_RESERVE,
  PAGE_READWRITE,
  PAGE_WRITECOPY,
  STATUS_INVALID_HANDLE,
  WindowsError,
} from '../../src/index.js';
import { formatProcessReport, processReport, systemReport, type RegionReport } from '../../src/os/reports/reports.js';
import { verify } from '../../src/os/reports/verify.js';
import { boot } from './helpers.js';

const pg = 0x1000;

/** The page-class numbers of a region, in pages (PSS in pages too). */
function pages(r: Pick<RegionReport, 'committedBytes' | 'residentBytes' | 'privateBytes' | 'shareableBytes' | 'sharedBytes' | 'proportionalBytes'>) {
  return {
    committed: r.committedBytes / pg,
    resident: r.residentBytes / pg,
    private: r.privateBytes / pg,
    shareable: r.shareableBytes / pg,
    shared: r.sharedBytes / pg,
    pss: r.proportionalBytes / pg,
  };
}

describe('processReport', () => {
  it('private memory only: written pages are private, untouched pages are not resident', () => {
    const { kernel, process, mmu } = boot();
    const base = process.virtualAlloc(0, 8 * pg, MEM_RESERVE, PAGE_READWRITE);
    process.virtualAlloc(base, 4 * pg, MEM_COMMIT, PAGE_READWRITE);
    mmu.write32(base, 1);
    mmu.write32(base + pg, 2);
    const report = processReport(process);
    expect(report.pid).toBe(process.pid);
    expect(report.asid).toBe(process.asid);
    expect(report.regions).toHaveLength(1);
    const region = report.regions[0];
    expect(region).toMatchObject({ base, size: 8 * pg, type: MEM_PRIVATE, allocationProtect: PAGE_READWRITE, sectionId: null });
    expect(pages(region)).toEqual({ committed: 4, resident: 2, private: 2, shareable: 0, shared: 0, pss: 2 });
    expect(pages(report)).toEqual(pages(region));
    expect(report.pageTableBytes).toBe(4 * pg); // x86-64: PML4, PDPT, PD, PT
    expect(verify(kernel)).toEqual([]);
  });

  it('zero-frame reads: resident and shareable, never private; shared and divided once several pages map it', () => {
    const { kernel, process: p1, mmu } = boot({ cpus: 2 });
    const a = p1.virtualAlloc(0, 4 * pg, MEM_COMMIT, PAGE_READWRITE);
    mmu.read32(a);
    expect(pages(processReport(p1))).toEqual({ committed: 4, resident: 1, private: 0, shareable: 1, shared: 0, pss: 1 });
    mmu.read32(a + pg);
    mmu.read32(a + 2 * pg);
    const p2 = kernel.createProcess();
    const b = p2.virtualAlloc(0, pg, MEM_COMMIT, PAGE_READWRITE);
    kernel.run(1, p2).mmu.read32(b);
    // The zero frame is mapped by 4 pages: 3 in p1, 1 in p2.
    expect(pages(processReport(p1))).toEqual({ committed: 4, resident: 3, private: 0, shareable: 3, shared: 3, pss: 0.75 });
    expect(pages(processReport(p2))).toEqual({ committed: 1, resident: 1, private: 0, shareable: 1, shared: 1, pss: 0.25 });
    expect(systemReport(kernel).zeroFrameMappings).toBe(4);
    mmu.write32(a + pg, 1); // the written page gets its own frame
    expect(pages(processReport(p1))).toEqual({ committed: 4, resident: 3, private: 1, shareable: 2, shared: 2, pss: 1 + 2 / 3 });
  });

  it('two processes sharing a section view: shareable in both, shared where both map a page, PSS split', () => {
    const { kernel, process: p1, mmu: cpu0 } = boot({ cpus: 2 });
    const p2 = kernel.createProcess();
    const cpu1 = kernel.run(1, p2).mmu;
    const section = kernel.createSection({ size: 2 * pg, protect: PAGE_READWRITE });
    const v1 = p1.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    const v2 = p2.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    cpu0.write32(v1, 1);
    cpu0.write32(v1 + pg, 2);
    cpu1.read32(v2);
    const r1 = processReport(p1);
    const r2 = processReport(p2);
    expect(r1.regions[0]).toMatchObject({ base: v1, size: 2 * pg, type: MEM_MAPPED, sectionId: section.id });
    expect(pages(r1)).toEqual({ committed: 2, resident: 2, private: 0, shareable: 2, shared: 1, pss: 1.5 });
    expect(pages(r2)).toEqual({ committed: 2, resident: 1, private: 0, shareable: 1, shared: 1, pss: 0.5 });
    // PSS adds up to the frames the mappings use, each counted once.
    expect(r1.proportionalBytes + r2.proportionalBytes).toBe(2 * pg);
    // A copy-on-write write in a second, copy view gives p2 a private page.
    const c2 = p2.mapViewOfSection(section, { access: FILE_MAP_COPY });
    cpu1.write32(c2 + pg, 3);
    const copyView = processReport(p2).regions.find((r) => r.base === c2)!;
    expect(pages(copyView)).toEqual({ committed: 2, resident: 1, private: 1, shareable: 0, shared: 0, pss: 1 });
    expect(verify(kernel)).toEqual([]);
  });

  it('fork: everything written is shared until written again', () => {
    const { kernel, process: parent, mmu: cpu0 } = boot({ cpus: 2 });
    const p = parent.virtualAlloc(0, 4 * pg, MEM_COMMIT, PAGE_READWRITE);
    cpu0.write32(p, 1);
    cpu0.write32(p + pg, 2);
    expect(pages(processReport(parent))).toEqual({ committed: 4, resident: 2, private: 2, shareable: 0, shared: 0, pss: 2 });
    const child = parent.fork();
    expect(pages(processReport(parent))).toEqual({ committed: 4, resident: 2, private: 0, shareable: 2, shared: 2, pss: 1 });
    expect(pages(processReport(child))).toEqual({ committed: 4, resident: 2, private: 0, shareable: 2, shared: 2, pss: 1 });
    expect(processReport(child).pageTableBytes).toBe(4 * pg);
    kernel.run(1, child).mmu.write32(p, 10); // the child copies page 0; the parent's page 0 is its own again
    expect(pages(processReport(parent))).toEqual({ committed: 4, resident: 2, private: 1, shareable: 1, shared: 1, pss: 1.5 });
    expect(pages(processReport(child))).toEqual({ committed: 4, resident: 2, private: 1, shareable: 1, shared: 1, pss: 1.5 });
    child.exit();
    expect(pages(processReport(parent))).toEqual({ committed: 4, resident: 2, private: 2, shareable: 0, shared: 0, pss: 2 });
    expect(verify(kernel)).toEqual([]);
  });

  it('a file section mapped copy-on-write: the section\u2019s own reference does not count as a mapping', () => {
    const { kernel, process, mmu } = boot();
    const section = kernel.createSection({ protect: PAGE_WRITECOPY, file: new Uint8Array(pg).fill(9) });
    const v = process.mapViewOfSection(section, { access: FILE_MAP_COPY });
    mmu.read32(v);
    expect(pages(processReport(process))).toEqual({ committed: 1, resident: 1, private: 0, shareable: 1, shared: 0, pss: 1 });
  });

  it('throws STATUS_INVALID_HANDLE for an exited process', () => {
    const { process } = boot();
    process.exit();
    try {
      processReport(process);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(WindowsError);
      expect((error as WindowsError).ntStatus >>> 0).toBe(STATUS_INVALID_HANDLE >>> 0);
    }
  });
});

describe('systemReport', () => {
  it('frames, commit, objects, a copy of the counters and per-CPU counters', () => {
    const { kernel, process, mmu } = boot({ cpus: 2 });
    const empty = systemReport(kernel);
    expect(empty).toMatchObject({ totalFrames: 2048, freeFrames: 2045, usedFrames: 3, zeroFrameMappings: 0, committedPages: 0, commitLimit: 2048, processes: 1, sections: 0 });
    const p = process.virtualAlloc(0, 4 * pg, MEM_COMMIT, PAGE_READWRITE);
    mmu.write32(p, 1);
    mmu.read32(p + pg);
    kernel.createSection({ size: 2 * pg, protect: PAGE_READWRITE });
    const report = systemReport(kernel);
    // zero frame + 4 tables + 1 data frame
    expect(report).toMatchObject({ usedFrames: 7, freeFrames: 2041, zeroFrameMappings: 1, committedPages: 6, processes: 1, sections: 1 });
    expect(report.stats).toEqual(kernel.stats);
    expect(report.stats).not.toBe(kernel.stats);
    expect(report.stats.demandZeroFaults).toBe(2);
    expect(report.perCpu).toHaveLength(2);
    expect(report.perCpu[0]).toMatchObject({ index: 0, pid: process.pid, faults: 2 });
    expect(report.perCpu[0].walks).toBeGreaterThanOrEqual(2);
    expect(report.perCpu[0].cycles).toBe(mmu.cycles);
    expect(report.perCpu[1]).toEqual({ index: 1, pid: null, cycles: 0, faults: 0, walks: 0 });
  });
});

describe('formatProcessReport', () => {
  it('prints a fixed-width table with a total row and the page tables', () => {
    const { kernel, process, mmu } = boot();
    const p = process.virtualAlloc(0, 4 * pg, MEM_COMMIT, PAGE_READWRITE);
    mmu.write32(p, 1);
    mmu.read32(p + pg);
    const section = kernel.createSection({ size: 2 * pg, protect: PAGE_READWRITE });
    const v = process.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    mmu.write32(v, 1);
    const other = kernel.createProcess();
    kernel.run(0, other).mmu.read32(other.mapViewOfSection(section, { access: FILE_MAP_WRITE }));
    const text = formatProcessReport(processReport(process));
    expect(text.split('\n')).toEqual([
      `Process ${process.pid} (ASID ${process.asid})`,
      'Address         Type      Size KiB   Commit   Resident   Private   Shareable   Shared       PSS   Section  Protection',
      '0x000000010000  Private         16       16          8         4           4        0         8         -  PAGE_READWRITE',
      '0x000000020000  Mapped           8        8          4         0           4        4         2         1  PAGE_READWRITE',
      'Total                           24       24         12         4           8        4        10',
      'Page tables: 16 KiB',
    ]);
  });
});
