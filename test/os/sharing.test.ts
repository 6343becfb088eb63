import { describe, expect, it } from 'vitest';
import {
  ERROR_COMMITMENT_LIMIT,
  FILE_MAP_COPY,
  FILE_MAP_WRITE,
  MEM_COMMIT,
  MEM_DECOMMIT,
  MEM_RESERVE,
  PAGE_READONLY,
  PAGE_READWRITE,
  PAGE_WRITECOPY,
  STATUS_ACCESS_VIOLATION,
  WindowsExceptionError,
} from '../../src/index.js';
import { boot, exceptionOf, expectWin32 } from './helpers.js';

const pg = 0x1000;

describe.each(['x86-64', 'sv39', 'x86-pae'] as const)('The seed on %s page tables: sharing until one process writes', (format) => {
  it('two processes map the same physical page until one writes; then the writer has its own copy', () => {
    const { kernel, process: p1, mmu: cpu0 } = boot({ cpus: 2, format });
    const file = new Uint8Array(2 * pg).fill(0x42);
    const section = kernel.createSection({ protect: PAGE_WRITECOPY, file });
    const p2 = kernel.createProcess();
    const cpu1 = kernel.run(1, p2).mmu;
    const v1 = p1.mapViewOfSection(section, { access: FILE_MAP_COPY });
    const v2 = p2.mapViewOfSection(section, { access: FILE_MAP_COPY });
    expect(cpu0.read8(v1)).toBe(0x42);
    expect(cpu1.read8(v2)).toBe(0x42);
    const pa1 = cpu0.translate(v1, 0);
    const pa2 = cpu1.translate(v2, 0);
    expect(pa1).toBe(pa2); // the same physical page
    cpu0.write8(v1, 0x99);
    expect(cpu0.read8(v1)).toBe(0x99);
    expect(cpu1.read8(v2)).toBe(0x42); // the other process does not see the change
    expect(cpu0.translate(v1, 0)).not.toBe(pa2);
    expect(cpu1.translate(v2, 0)).toBe(pa2);
    expect(kernel.stats.copyOnWriteFaults).toBe(1);
  });
});

describe.each(['x86-64', 'sv39'] as const)('Fork on %s page tables', (format) => {
  it('parent and child share frames until either writes, and never see each other\u2019s writes', () => {
    const { kernel, process: parent, mmu: cpu0 } = boot({ cpus: 2, format });
    const p = parent.virtualAlloc(0, 4 * pg, MEM_COMMIT, PAGE_READWRITE);
    for (let i = 0; i < 4; i++) cpu0.write32(p + i * pg, 100 + i);
    const used = kernel.frames.usedCount;
    const child = parent.fork();
    const cpu1 = kernel.run(1, child).mmu;
    expect(kernel.frames.usedCount - used).toBeLessThanOrEqual(4); // only the child's page tables
    for (let i = 0; i < 4; i++) expect(cpu1.read32(p + i * pg)).toBe(100 + i);
    expect(cpu1.translate(p, 0)).toBe(cpu0.translate(p, 0));
    cpu1.write32(p, 1);
    cpu0.write32(p + pg, 2);
    expect([cpu0.read32(p), cpu0.read32(p + pg)]).toEqual([100, 2]);
    expect([cpu1.read32(p), cpu1.read32(p + pg)]).toEqual([1, 101]);
    expect(kernel.stats.copyOnWriteFaults).toBe(2);
  });

  it('after the other side let go, a write reuses the frame in place (sole owner: no copy)', () => {
    const { kernel, process: parent, mmu } = boot();
    const p = parent.virtualAlloc(0, pg, MEM_COMMIT, PAGE_READWRITE);
    mmu.write32(p, 5);
    const frame = mmu.translate(p, 0);
    const child = parent.fork();
    child.exit();
    const copies = kernel.stats.copyOnWriteFaults;
    mmu.write32(p, 6);
    expect(kernel.stats.copyOnWriteFaults).toBe(copies);
    expect(kernel.stats.copyOnWriteReuses).toBe(1);
    expect(mmu.translate(p, 0)).toBe(frame);
    expect(mmu.read32(p)).toBe(6);
  });

  it('a child keeps shared views shared with its parent', () => {
    const { kernel, process: parent, mmu: cpu0 } = boot({ cpus: 2 });
    const section = kernel.createSection({ size: pg, protect: PAGE_READWRITE });
    const v = parent.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    cpu0.write32(v, 1);
    const child = parent.fork();
    const cpu1 = kernel.run(1, child).mmu;
    cpu1.write32(v, 2);
    expect(cpu0.read32(v)).toBe(2);
  });
});

describe('Several CPUs: no stale translation survives', () => {
  it('threads: a protection change on one CPU is seen by the other at once', () => {
    const { kernel, process, mmu: cpu0 } = boot({ cpus: 2 });
    const cpu1 = kernel.run(1, process).mmu;
    const p = process.virtualAlloc(0, pg, MEM_COMMIT, PAGE_READWRITE);
    cpu0.write32(p, 1);
    cpu1.write32(p, 2); // both TLBs now hold a writable entry
    const before = kernel.stats.shootdownIpis;
    process.virtualProtect(p, pg, PAGE_READONLY);
    expect(kernel.stats.shootdownIpis).toBeGreaterThan(before);
    expect(exceptionOf(() => cpu1.write32(p, 3)).exceptionCode).toBe(STATUS_ACCESS_VIOLATION);
    expect(exceptionOf(() => cpu0.write32(p, 3)).exceptionCode).toBe(STATUS_ACCESS_VIOLATION);
    expect(cpu1.read32(p)).toBe(2);
  });

  it('threads: a decommit on one CPU makes the page fault on the other', () => {
    const { kernel, process, mmu: cpu0 } = boot({ cpus: 2 });
    const cpu1 = kernel.run(1, process).mmu;
    const p = process.virtualAlloc(0, 0x10000, MEM_COMMIT, PAGE_READWRITE);
    cpu1.write32(p, 7);
    process.virtualFree(p, pg, MEM_DECOMMIT);
    expect(exceptionOf(() => cpu1.read32(p)).exceptionInformation).toEqual([0, p]);
    expect(exceptionOf(() => cpu0.read32(p)).exceptionCode).toBe(STATUS_ACCESS_VIOLATION);
  });

  it('threads: a copy-on-write on one CPU moves the other CPU to the new frame', () => {
    const { kernel, process, mmu: cpu0 } = boot({ cpus: 2 });
    const cpu1 = kernel.run(1, process).mmu;
    const section = kernel.createSection({ size: pg, protect: PAGE_READWRITE });
    const v = process.mapViewOfSection(section, { access: FILE_MAP_COPY });
    expect(cpu1.read32(v)).toBe(0); // CPU 1 caches the section's frame
    cpu0.write32(v, 0xfeed); // CPU 0 copies the page
    expect(cpu1.read32(v)).toBe(0xfeed); // CPU 1 must not read the stale section frame
    expect(cpu1.translate(v, 0)).toBe(cpu0.translate(v, 0));
  });

  it('different address spaces: ASIDs keep entries apart, and a shootdown reaches an idle ASID', () => {
    const { kernel, process: a, mmu: cpu0 } = boot({ cpus: 2 });
    const b = kernel.createProcess();
    const pa = a.virtualAlloc(0x100000, pg, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    const pb = b.virtualAlloc(0x100000, pg, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    expect(pa).toBe(pb);
    cpu0.write32(pa, 0xa);
    kernel.run(0, b);
    cpu0.write32(pb, 0xb);
    kernel.run(0, a);
    expect(cpu0.read32(pa)).toBe(0xa);
    // a's entry is cached on CPU 0 under a's ASID while b runs there.
    kernel.run(0, b);
    a.virtualProtect(pa, pg, PAGE_READONLY);
    kernel.run(0, a);
    expect(exceptionOf(() => cpu0.write32(pa, 1)).exceptionCode).toBe(STATUS_ACCESS_VIOLATION);
  });

  it('without ASIDs every switch flushes and nothing leaks between address spaces', () => {
    const { kernel, process: a, mmu: cpu0 } = boot({ asids: false });
    const b = kernel.createProcess();
    const va = a.virtualAlloc(0x200000, pg, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    b.virtualAlloc(0x200000, pg, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    cpu0.write32(va, 1);
    kernel.run(0, b);
    expect(cpu0.read32(va)).toBe(0);
  });
});

describe('Accounting', () => {
  it('every frame comes back after every process exits', () => {
    const { kernel, process, mmu } = boot({ cpus: 2 });
    const section = kernel.createSection({ size: 4 * pg, protect: PAGE_READWRITE });
    const v = process.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    const p = process.virtualAlloc(0, 8 * pg, MEM_COMMIT, PAGE_READWRITE);
    for (let i = 0; i < 8; i++) mmu.write32(p + i * pg, i);
    for (let i = 0; i < 4; i++) mmu.write32(v + i * pg, i);
    const child = process.fork();
    kernel.run(1, child).mmu.write32(p, 99);
    kernel.closeSection(section);
    process.exit();
    child.exit();
    expect(kernel.frames.usedCount).toBe(2); // the zero frame and the idle CPUs' empty root
    expect(kernel.committed).toBe(0);
    expect(kernel.sections()).toHaveLength(0);
  });

  it('a commit over the commit limit fails with ERROR_COMMITMENT_LIMIT and changes nothing', () => {
    const { kernel, process } = boot({ commitLimit: 16 });
    const p = process.virtualAlloc(0, 0x100000, MEM_RESERVE, PAGE_READWRITE);
    process.virtualAlloc(p, 10 * pg, MEM_COMMIT, PAGE_READWRITE);
    expectWin32(() => process.virtualAlloc(p + 10 * pg, 7 * pg, MEM_COMMIT, PAGE_READWRITE), ERROR_COMMITMENT_LIMIT);
    expect(kernel.committed).toBe(10);
    expect(process.virtualQuery(p + 10 * pg).state).toBe(MEM_RESERVE);
    expectWin32(() => kernel.createSection({ size: 7 * pg, protect: PAGE_READWRITE }), ERROR_COMMITMENT_LIMIT);
    expect(kernel.sections()).toHaveLength(0);
  });

  it('calls on an exited process fail with a typed error', () => {
    const { process } = boot();
    process.exit();
    let caught: unknown;
    try {
      process.virtualAlloc(0, pg, MEM_COMMIT, PAGE_READWRITE);
    } catch (e) {
      caught = e;
    }
    expect(caught).not.toBeInstanceOf(WindowsExceptionError);
    expect((caught as { ntStatus: number }).ntStatus).toBe(0xc0000008);
  });
});

describe('ASIDs', () => {
  it('live processes never share an ASID; exhaustion is a typed error; exited ASIDs are reused', () => {
    const { kernel, process: first } = boot({ memorySize: 24 << 20 });
    const processes = [first];
    for (let i = 1; i < 4095; i++) processes.push(kernel.createProcess());
    expect(new Set(processes.map((p) => p.asid)).size).toBe(4095);
    expect(() => kernel.createProcess()).toThrow(expect.objectContaining({ code: 'STATUS_INSUFFICIENT_RESOURCES' }));
    const freed = processes[100].asid;
    processes[100].exit();
    expect(kernel.createProcess().asid).toBe(freed);
  });
});

describe('Shootdown accounting', () => {
  it('a protection change on a single CPU sends no IPI; with two CPUs running the process, one', () => {
    const one = boot();
    const p = one.process.virtualAlloc(0, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    one.mmu.write32(p, 1);
    one.process.virtualProtect(p, 0x1000, PAGE_READONLY);
    expect(one.kernel.stats.shootdownIpis).toBe(0);
    expect(one.kernel.stats.invalidations).toBeGreaterThan(0);
    const two = boot({ cpus: 2 });
    two.kernel.run(1, two.process);
    const q = two.process.virtualAlloc(0, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    two.mmu.write32(q, 1);
    const before = two.kernel.stats.shootdownIpis;
    two.process.virtualProtect(q, 0x1000, PAGE_READONLY);
    expect(two.kernel.stats.shootdownIpis - before).toBe(1);
  });
});
