import { describe, expect, it } from 'vitest';
import {
  FILE_MAP_COPY,
  FILE_MAP_READ,
  FILE_MAP_WRITE,
  MEM_COMMIT,
  MEM_DECOMMIT,
  MEM_RELEASE,
  MEM_RESERVE,
  PAGE_EXECUTE_READ,
  PAGE_GUARD,
  PAGE_NOACCESS,
  PAGE_READONLY,
  PAGE_READWRITE,
  PAGE_WRITECOPY,
  SEC_RESERVE,
  Perm,
  STATUS_GUARD_PAGE_VIOLATION,
  WindowsError,
  WindowsExceptionError,
  type Kernel,
  type KernelOptions,
} from '../../src/index.js';
import { verify, type VerifyProblem } from '../../src/os/reports/verify.js';
import { mulberry32 } from '../support/random.js';
import { boot, exceptionOf, forgetKernel } from './helpers.js';

const pg = 0x1000;

/** Asserts the kernel is consistent, showing the problems otherwise. */
function expectConsistent(kernel: Kernel): void {
  expect(verify(kernel).map((p) => `${p.kind}: ${p.message}`)).toEqual([]);
}

const kinds = (problems: readonly VerifyProblem[]): string[] => [...new Set(problems.map((p) => p.kind))].sort();

describe('verify: consistent kernels', () => {
  for (const format of ['x86-64', 'x86-32', 'x86-pae', 'sv39', 'sv32'] as const) {
    it(`private memory: alloc, commit, touch, protect, decommit, release (${format})`, () => {
      const { kernel, process, mmu } = boot({ format });
      expectConsistent(kernel);
      const base = process.virtualAlloc(0, 16 * pg, MEM_RESERVE, PAGE_READWRITE);
      process.virtualAlloc(base, 8 * pg, MEM_COMMIT, PAGE_READWRITE);
      expectConsistent(kernel);
      for (let i = 0; i < 4; i++) mmu.write32(base + i * pg, i + 1);
      for (let i = 4; i < 8; i++) mmu.read32(base + i * pg);
      expectConsistent(kernel);
      process.virtualProtect(base, 2 * pg, PAGE_READONLY);
      process.virtualProtect(base + 2 * pg, pg, PAGE_NOACCESS);
      process.virtualProtect(base + 4 * pg, pg, PAGE_EXECUTE_READ);
      expectConsistent(kernel);
      mmu.read32(base);
      process.virtualProtect(base, 2 * pg, PAGE_READWRITE);
      mmu.write32(base + pg, 9);
      mmu.write32(base + 5 * pg, 9); // zero frame → own frame
      expectConsistent(kernel);
      process.virtualFree(base + pg, 2 * pg, MEM_DECOMMIT);
      expectConsistent(kernel);
      process.writeMemory(base + 6 * pg, new Uint8Array([1, 2, 3]));
      process.readMemory(base, 4);
      expectConsistent(kernel);
      process.virtualFree(base, 0, MEM_RELEASE);
      expectConsistent(kernel);
    });
  }

  it('sections: shared and copy views in two processes on two CPUs', () => {
    const { kernel, process: p1, mmu: cpu0 } = boot({ cpus: 2 });
    const p2 = kernel.createProcess();
    const cpu1 = kernel.run(1, p2).mmu;
    const anon = kernel.createSection({ size: 4 * pg, protect: PAGE_READWRITE });
    const file = kernel.createSection({ protect: PAGE_WRITECOPY, file: new Uint8Array(3 * pg).fill(7) });
    const a1 = p1.mapViewOfSection(anon, { access: FILE_MAP_WRITE });
    const a2 = p2.mapViewOfSection(anon, { access: FILE_MAP_WRITE });
    const a2c = p2.mapViewOfSection(anon, { access: FILE_MAP_COPY });
    const f1 = p1.mapViewOfSection(file, { access: FILE_MAP_COPY });
    const f2 = p2.mapViewOfSection(file, { access: FILE_MAP_READ });
    expectConsistent(kernel);
    cpu0.write32(a1, 1);
    cpu1.read32(a2);
    cpu1.write32(a2 + pg, 2);
    cpu1.read32(a2c);
    cpu1.write32(a2c + 2 * pg, 3); // private copy of a section page
    cpu0.read32(f1);
    cpu0.write32(f1 + pg, 4); // copy-on-write of a file page
    cpu1.read32(f2 + pg);
    cpu1.read32(f2 + 2 * pg);
    expectConsistent(kernel);
    p1.virtualProtect(f1, pg, PAGE_READONLY);
    p2.virtualProtect(a2, pg, PAGE_READONLY);
    expectConsistent(kernel);
    p2.unmapViewOfSection(a2c);
    kernel.closeSection(anon);
    expectConsistent(kernel);
    p1.unmapViewOfSection(a1);
    p2.unmapViewOfSection(a2);
    expect(kernel.sections()).toEqual([file]);
    expectConsistent(kernel);
  });

  it('SEC_RESERVE sections committed through a view', () => {
    const { kernel, process, mmu } = boot();
    const section = kernel.createSection({ size: 4 * pg, protect: PAGE_READWRITE, attributes: SEC_RESERVE });
    const v = process.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    expectConsistent(kernel);
    process.virtualAlloc(v, 2 * pg, MEM_COMMIT, PAGE_READWRITE);
    mmu.write32(v + pg, 5);
    expectConsistent(kernel);
    kernel.closeSection(section);
    process.unmapViewOfSection(v);
    expectConsistent(kernel);
    expect(kernel.committed).toBe(0);
  });

  it('fork, then writes by either side, then the child exits', () => {
    const { kernel, process: parent, mmu: cpu0 } = boot({ cpus: 2 });
    const p = parent.virtualAlloc(0, 4 * pg, MEM_COMMIT, PAGE_READWRITE);
    const section = kernel.createSection({ size: 2 * pg, protect: PAGE_READWRITE });
    const v = parent.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    const c = parent.mapViewOfSection(section, { access: FILE_MAP_COPY });
    for (let i = 0; i < 3; i++) cpu0.write32(p + i * pg, i);
    cpu0.read32(p + 3 * pg);
    cpu0.write32(v, 1);
    cpu0.write32(c + pg, 2);
    const child = parent.fork();
    expectConsistent(kernel);
    const cpu1 = kernel.run(1, child).mmu;
    for (let i = 0; i < 4; i++) cpu1.read32(p + i * pg);
    cpu1.write32(p, 10);
    cpu0.write32(p + pg, 11);
    cpu1.write32(p + 3 * pg, 12);
    cpu1.write32(v + pg, 13);
    cpu1.write32(c + pg, 14);
    expectConsistent(kernel);
    const grandchild = child.fork();
    kernel.run(1, grandchild).mmu.write32(p + 2 * pg, 15);
    expectConsistent(kernel);
    child.exit();
    expectConsistent(kernel);
    cpu0.write32(p + 2 * pg, 16); // still shared with the grandchild: copy
    cpu0.write32(p, 17); // sole owner now: reuse
    expectConsistent(kernel);
  });

  it('guard pages, touched before and after being guarded', () => {
    const { kernel, process, mmu } = boot();
    const g = process.virtualAlloc(0, 2 * pg, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
    expect(exceptionOf(() => mmu.read32(g)).exceptionCode).toBe(STATUS_GUARD_PAGE_VIOLATION >>> 0);
    expectConsistent(kernel);
    mmu.write32(g, 1);
    expectConsistent(kernel);
    process.virtualProtect(g, pg, PAGE_READWRITE | PAGE_GUARD); // a page with a frame becomes a guard page
    expectConsistent(kernel);
    expect(exceptionOf(() => mmu.read32(g)).exceptionCode).toBe(STATUS_GUARD_PAGE_VIOLATION >>> 0);
    // The guard is gone but the entry is filled only by the next fault: a lazy state, not a problem.
    expect(process.space.tables.lookup(g)).toBeNull();
    expectConsistent(kernel);
    expect(mmu.read32(g)).toBe(1);
    expectConsistent(kernel);
  });

  it('context switches without ASIDs', () => {
    const { kernel, process: p1, mmu } = boot({ asids: false } satisfies KernelOptions);
    const p2 = kernel.createProcess();
    const a = p1.virtualAlloc(0, 2 * pg, MEM_COMMIT, PAGE_READWRITE);
    mmu.write32(a, 1);
    kernel.run(0, p2);
    const b = p2.virtualAlloc(0, 2 * pg, MEM_COMMIT, PAGE_READWRITE);
    mmu.write32(b + pg, 2);
    p1.virtualProtect(a, pg, PAGE_READONLY); // p1 is not running: no shootdown, its entries were flushed
    expectConsistent(kernel);
    kernel.run(0, p1);
    expect(mmu.read32(a)).toBe(1);
    expectConsistent(kernel);
  });

  it('after every process exits and every section closes, only the zero frame is in use', () => {
    const { kernel, process: p1, mmu } = boot({ cpus: 2 });
    const section = kernel.createSection({ size: 2 * pg, protect: PAGE_READWRITE });
    const v = p1.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    const p = p1.virtualAlloc(0, 4 * pg, MEM_COMMIT, PAGE_READWRITE);
    mmu.write32(v, 1);
    mmu.write32(p, 1);
    mmu.read32(p + pg);
    const child = p1.fork();
    kernel.run(1, child).mmu.write32(p, 2);
    kernel.closeSection(section);
    p1.exit();
    expectConsistent(kernel);
    child.exit();
    expectConsistent(kernel);
    expect(kernel.processes()).toEqual([]);
    expect(kernel.sections()).toEqual([]);
    expect(kernel.frames.usedCount).toBe(2); // the zero frame and the idle CPUs' empty root
    expect(kernel.frames.refCount(kernel.zeroFrame)).toBe(1);
    expect(kernel.committed).toBe(0);
  });
});

describe('verify: broken states', () => {
  function setup() {
    const booted = boot({ cpus: 2 });
    forgetKernel(booted.kernel); // corrupted on purpose by each test
    const { process, mmu } = booted;
    const base = booted.process.virtualAlloc(0, 4 * pg, MEM_COMMIT, PAGE_READWRITE);
    mmu.write32(base, 1);
    mmu.write32(base + pg, 2);
    mmu.read32(base + 2 * pg);
    const frameOf = (va: number) => process.regions.find(va)!.frame[(va - base) / pg];
    return { ...booted, base, frameOf };
  }

  it('a frame allocated but referenced by nothing is leaked', () => {
    const { kernel } = setup();
    const frame = kernel.frames.allocate();
    const problems = verify(kernel);
    expect(kinds(problems)).toEqual(['leaked-frame']);
    expect(problems[0].message).toContain(`0x${frame.toString(16)}`);
  });

  it('an extra reference on a mapped frame is a refcount mismatch (and its writable entry is now too permissive)', () => {
    const { kernel, base, frameOf } = setup();
    kernel.frames.retain(frameOf(base));
    const problems = verify(kernel);
    expect(kinds(problems)).toEqual(['pte-permission', 'refcount']);
    expect(problems.find((p) => p.kind === 'refcount')!.message).toContain('reference count 2, but 1');
  });

  it('a reference dropped from a mapped frame frees it under the mapping', () => {
    const { kernel, base, frameOf } = setup();
    kernel.frames.release(frameOf(base + pg));
    // With its count at 0 the frame is not the page's alone: its writable entry is too permissive as well.
    expect(kinds(verify(kernel))).toEqual(['freed-frame-referenced', 'pte-permission']);
  });

  it('a dirty zero frame', () => {
    const { kernel } = setup();
    kernel.memory.write8(kernel.zeroFrame * pg + 17, 1);
    expect(kinds(verify(kernel))).toEqual(['zero-frame']);
  });

  it('a PTE written by hand to another frame', () => {
    const { kernel, process, base, frameOf } = setup();
    process.space.tables.map(base + pg, frameOf(base) * pg, { writable: true, user: true });
    const problems = verify(kernel);
    expect(problems.filter((p) => p.kind === 'pte-frame').map((p) => p.address)).toEqual([base + pg]);
    // The CPU cached the old translation of base + pg: it is stale now.
    expect(problems.filter((p) => p.kind === 'stale-tlb-frame').map((p) => p.address)).toEqual([base + pg, base + pg]);
    // So did its translation cache (the host-side one in front of the TLB).
    expect(problems.filter((p) => p.kind === 'stale-translation-cache').every((p) => p.address === base + pg)).toBe(true);
    expect(kinds(problems)).toEqual(['pte-frame', 'stale-tlb-frame', 'stale-translation-cache']);
  });

  it('a PTE more permissive than the records, and one outside every allocation', () => {
    const { kernel, process, base, frameOf } = setup();
    process.virtualProtect(base, pg, PAGE_READONLY);
    expectConsistent(kernel);
    process.space.tables.map(base, frameOf(base) * pg, { writable: true, executable: true, user: true });
    process.space.tables.map(0x7000_0000, frameOf(base + pg) * pg, { user: true });
    const problems = verify(kernel);
    // Reference counts follow the records, not the tables: the stray entry adds none.
    expect(kinds(problems)).toEqual(['pte-outside-allocation', 'pte-permission']);
    expect(problems.find((p) => p.kind === 'pte-permission')!.message).toContain('write, execute');
    expect(problems.find((p) => p.kind === 'pte-outside-allocation')!.address).toBe(0x7000_0000);
  });

  it('a PTE present where the records want none', () => {
    const { kernel, process, base, frameOf } = setup();
    process.space.tables.map(base + 3 * pg, frameOf(base) * pg, { user: true }); // never touched: no frame
    expect(kinds(verify(kernel))).toEqual(['pte-unexpected']);
  });

  it('an entry made read-only without a shootdown leaves a TLB entry that still allows writes', () => {
    const { kernel, process, base, frameOf } = setup();
    process.space.tables.map(base, frameOf(base) * pg, { writable: false, user: true });
    const problems = verify(kernel);
    expect(kinds(problems)).toEqual(['stale-tlb-permission', 'stale-translation-cache']);
    expect(problems.find((p) => p.kind === 'stale-translation-cache')!.message).toMatch(/write of .* do not allow writes/);
    expect(problems.every((p) => p.cpu === 0 && p.address === base && p.pid === process.pid)).toBe(true);
  });

  it('an entry unmapped without a shootdown leaves a stale TLB entry', () => {
    const { kernel, process, base, mmu } = setup();
    process.space.tables.unmap(base + pg);
    const problems = verify(kernel);
    expect(kinds(problems)).toEqual(['stale-tlb', 'stale-translation-cache']);
    expect(problems.every((p) => p.address === base + pg)).toBe(true);
    // The kernel's own shootdown fixes it.
    mmu.invalidatePageOfAsid(base + pg, process.asid);
    expectConsistent(kernel);
  });

  it('in fast mode, a translation the TLBs no longer hold but the translation cache does is checked too', () => {
    const { kernel, process, base, mmu } = setup();
    mmu.setMode('fast');
    mmu.read32(base + 2 * pg);
    // The TLBs lose the entry (as a replacement would): fast mode keeps the cached translation.
    for (const tlb of [mmu.tlb.l1d, mmu.tlb.l2!]) tlb.invalidateEntry(tlb.peek(base + 2 * pg, process.asid));
    process.space.tables.unmap(base + 2 * pg);
    const problems = verify(kernel);
    expect(kinds(problems)).toEqual(['stale-translation-cache']);
    expect(problems[0]).toMatchObject({ address: base + 2 * pg, cpu: 0, pid: process.pid });
    mmu.invalidatePageOfAsid(base + 2 * pg, process.asid); // the shootdown a kernel sends drops it
    expect(verify(kernel).filter((p) => p.kind === 'stale-translation-cache')).toEqual([]);
  });

  it('TLB entries of another CPU are checked too, and those of dead ASIDs ignored', () => {
    const { kernel } = setup();
    const other = kernel.createProcess();
    const cpu1 = kernel.run(1, other).mmu;
    const o = other.virtualAlloc(0, pg, MEM_COMMIT, PAGE_READWRITE);
    cpu1.write32(o, 1);
    other.space.tables.unmap(o);
    const problems = verify(kernel);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => (p.kind === 'stale-tlb' || p.kind === 'stale-translation-cache') && p.cpu === 1 && p.pid === other.pid && p.address === o)).toBe(true);
    other.exit(); // its ASID is flushed everywhere it ran
    expectConsistent(kernel);
    // An entry of an ASID no live process has can never be hit: not a problem.
    cpu1.tlb.l1d.insert(o, 999, 12, 0x5000, Perm.Read | Perm.Write | Perm.User);
    expectConsistent(kernel);
  });

  it('an entry on a CPU outside the process\u2019s shootdown mask', () => {
    const { kernel, process, base, frameOf } = setup();
    kernel.cpus[1].mmu.tlb.l2!.insert(base, process.asid, 12, frameOf(base) * pg, Perm.Read | Perm.User);
    const problems = verify(kernel);
    expect(problems.map((p) => [p.kind, p.cpu, p.address])).toEqual([['tlb-cpumask', 1, base]]);
  });

  it('a CPU whose MMU does not hold its process\u2019s root table', () => {
    const { kernel, mmu, process } = setup();
    const other = kernel.createProcess();
    mmu.setRoot(other.space.root, process.asid);
    const problems = verify(kernel);
    expect(kinds(problems)).toEqual(['cpu-root']);
    expect(problems[0].cpu).toBe(0);
    kernel.run(0, process);
    expectConsistent(kernel);
  });

  it('commit and section bookkeeping', () => {
    const { kernel, process } = setup();
    kernel.charge(3);
    expect(kinds(verify(kernel))).toEqual(['commit']);
    kernel.uncharge(3);
    const section = kernel.createSection({ size: pg, protect: PAGE_READWRITE });
    process.mapViewOfSection(section, { access: FILE_MAP_READ });
    section.viewCount++;
    expect(kinds(verify(kernel))).toEqual(['view-count']);
    section.viewCount--;
    expectConsistent(kernel);
  });
});

describe('verify: random operation sequences stay consistent', () => {
  const rng = mulberry32;

  const configs: Array<[string, KernelOptions]> = [
    ['x86-64', {}],
    ['sv39 without ASIDs', { format: 'sv39', asids: false }],
    ['x86-pae without zero-page sharing', { format: 'x86-pae', zeroPageSharing: false }],
  ];
  for (const [name, options] of configs) {
    it(`300 random steps on 2 CPUs (${name})`, () => {
      const random = rng(0x5eed + name.length);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
      const { kernel } = boot({ cpus: 2, ...options });
      const file = new Uint8Array(5 * pg).map((_, i) => i & 0xff);
      const protections = [PAGE_READWRITE, PAGE_READONLY, PAGE_EXECUTE_READ, PAGE_NOACCESS, PAGE_READWRITE | PAGE_GUARD];
      const viewAccess = [FILE_MAP_WRITE, FILE_MAP_READ, FILE_MAP_COPY];
      const log: string[] = [];
      for (let step = 0; step < 300; step++) {
        const processes = kernel.processes();
        if (processes.length === 0) kernel.createProcess();
        const process = pick(kernel.processes());
        const cpu = kernel.run(Math.floor(random() * 2), process);
        const regions = [...process.regions];
        const region = regions.length > 0 ? pick(regions) : undefined;
        const page = region === undefined ? 0 : region.base + Math.floor(random() * region.pageCount) * pg;
        const op = Math.floor(random() * 14);
        log.push(`${step}: op ${op} pid ${process.pid} cpu ${cpu.index} page 0x${page.toString(16)}`);
        try {
          switch (op) {
            case 0:
              process.virtualAlloc(0, (1 + Math.floor(random() * 6)) * pg, MEM_COMMIT | (random() < 0.5 ? MEM_RESERVE : 0), pick(protections));
              break;
            case 1:
              if (region) process.virtualAlloc(page, pg, MEM_COMMIT, pick(protections));
              break;
            case 2:
            case 3:
              if (region) cpu.mmu.write32(page + 8, step);
              break;
            case 4:
              if (region) cpu.mmu.read32(page);
              break;
            case 5:
              if (region) cpu.mmu.fetch32(page);
              break;
            case 6:
              if (region) process.virtualProtect(page, pg, pick(protections));
              break;
            case 7:
              if (region && region.view === null) process.virtualFree(page, pg, MEM_DECOMMIT);
              break;
            case 8:
              if (region && region.view === null && random() < 0.5) process.virtualFree(region.base, 0, MEM_RELEASE);
              else if (region && region.view !== null) process.unmapViewOfSection(region.base);
              break;
            case 9: {
              const sections = kernel.sections().filter((s) => s.open);
              const section =
                sections.length > 0 && random() < 0.6
                  ? pick(sections)
                  : random() < 0.5
                    ? kernel.createSection({ size: 3 * pg, protect: PAGE_READWRITE, attributes: random() < 0.3 ? SEC_RESERVE : 0 })
                    : kernel.createSection({ protect: PAGE_WRITECOPY, file });
              process.mapViewOfSection(section, { access: pick(viewAccess) });
              break;
            }
            case 10: {
              const open = kernel.sections().filter((s) => s.open);
              if (open.length > 0 && random() < 0.3) kernel.closeSection(pick(open));
              break;
            }
            case 11:
              if (kernel.processes().length < 4) process.fork();
              break;
            case 12:
              if (kernel.processes().length > 1 && random() < 0.4) process.exit();
              break;
            case 13:
              if (region) {
                if (random() < 0.5) process.writeMemory(page + 100, new Uint8Array([step & 0xff, 1, 2]));
                else process.readMemory(page, 16);
              }
              break;
          }
        } catch (error) {
          if (!(error instanceof WindowsError || error instanceof WindowsExceptionError)) throw error;
        }
        const problems = verify(kernel);
        if (problems.length > 0) {
          throw new Error(`after step ${log[log.length - 1]}:\n${problems.map((p) => `${p.kind}: ${p.message}`).join('\n')}\n${log.slice(-8).join('\n')}`);
        }
      }
      for (const process of kernel.processes()) process.exit();
      for (const section of kernel.sections()) if (section.open) kernel.closeSection(section);
      expectConsistent(kernel);
      expect(kernel.frames.usedCount).toBe(2);
      expect(kernel.committed).toBe(0);
    });
  }
});
