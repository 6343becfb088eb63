// Exhaustion at every point: each operation runs once to count its frame allocations (N), then
// N more times on a fresh kernel, with physical memory running out at the 1st, 2nd, ... Nth
// allocation (FrameAllocator.limit is lowered to the frames in use just before that allocation).
//
// After each failure: the error is the one the semantics give — STATUS_IN_PAGE_ERROR with
// [access type, address, STATUS_NO_MEMORY] for an access (B57, docs/kernel.md), OutOfFramesError
// for a kernel call (fork, createProcess, writeMemory, an eager image load) — the step changed
// nothing (a snapshot of the kernel without its counters: frames and reference counts, every
// VirtualQuery map and page frame, sections, commit, the bytes of every allocated frame, TLB
// contents), it fails the same way while memory stays short, verify() finds nothing, and once
// memory is back the step and the rest of the operation succeed. After cleanup (every process
// exited, every section closed) the kernel holds exactly its own two frames again.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ERROR_COMMITMENT_LIMIT,
  FILE_MAP_COPY,
  FILE_MAP_READ,
  FILE_MAP_WRITE,
  FrameAllocator,
  Kernel,
  MEM_COMMIT,
  MEM_RESERVE,
  OutOfFramesError,
  PAGE_READWRITE,
  PAGE_WRITECOPY,
  SEC_COMMIT,
  STATUS_COMMITMENT_LIMIT,
  STATUS_IN_PAGE_ERROR,
  STATUS_NO_MEMORY,
  WindowsError,
  WindowsExceptionError,
  parsePe,
  relocateImage,
  verify,
  type FormatName,
  type Process,
  type Section,
} from '../../src/index.js';
import { snapshot, type KernelSnapshotOptions } from './snapshot.js';

const PAGE = 0x1000;
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../../fixtures/pe/${name}`, import.meta.url)));
const KERNEL_FRAMES = 2; // the zero frame and the idle CPUs' empty root table

// ------------------------------------------------------------------ making memory run out

/** Counts allocation requests on one allocator and makes the `failAt`-th (1-based) run out of memory. */
interface Exhauster {
  /** Requests seen so far. */
  count: number;
  /** The request that finds memory exhausted (Infinity: never). */
  failAt: number;
}

/**
 * Wraps `frames`' allocating methods (on the instance: allocate, allocateForOverwrite, allocateMany;
 * a call nested inside another counts once). At request `failAt` the allocator's limit is lowered
 * to the frames in use, so that request — and every later one — fails exactly as a full machine
 * would fail it: with the allocator's own checks (all or nothing).
 */
function exhaust(frames: FrameAllocator): Exhauster {
  const state: Exhauster = { count: 0, failAt: Infinity };
  let depth = 0;
  for (const name of ['allocate', 'allocateForOverwrite', 'allocateMany'] as const) {
    const original = FrameAllocator.prototype[name] as (...args: unknown[]) => unknown;
    Object.defineProperty(frames, name, {
      configurable: true,
      value(this: FrameAllocator, ...args: unknown[]) {
        if (depth === 0 && ++state.count >= state.failAt) frames.limit = frames.usedCount;
        depth++;
        try {
          return original.apply(this, args);
        } finally {
          depth--;
        }
      },
    });
  }
  return state;
}

/** Memory is available again. */
function restore(kernel: Kernel, exhauster: Exhauster): void {
  exhauster.failAt = Infinity;
  kernel.frames.limit = kernel.frames.totalCount;
}

// ------------------------------------------------------------------ scenarios

/** One step of an operation: a single kernel call or a single CPU access. */
interface Step {
  readonly what: string;
  /** 'access': an MMU access, fails with STATUS_IN_PAGE_ERROR; 'call': a kernel call, fails with OutOfFramesError. */
  readonly kind: 'access' | 'call';
  readonly run: () => unknown;
  /** What may legitimately differ after this step fails (see KernelSnapshotOptions). */
  readonly snapshot?: KernelSnapshotOptions;
}

interface Scenario<S> {
  readonly name: string;
  /** A fresh kernel in the state the operation starts from. */
  readonly setup: () => S & { kernel: Kernel };
  /** The operation, step by step. */
  readonly steps: (s: S & { kernel: Kernel }) => Step[];
  /** Checks the result once every step succeeded. */
  readonly check: (s: S & { kernel: Kernel }) => void;
}

/**
 * What a failed step must leave as it was: everything but counters, page-table bytes (an entry
 * rewritten to the same frame loses its Accessed and Dirty bits) and TLB contents (a shootdown may
 * empty them; verify() checks that no TLB entry is stale).
 */
const STATE: KernelSnapshotOptions = { counters: false, memory: 'data', tlbs: false, frameLimit: false };

function kernelOf(format: FormatName = 'x86-64', options: { relocationPolicy?: 'private' | 'aslr'; cpus?: number } = {}): Kernel {
  return new Kernel({ memorySize: 256 * PAGE, format, cpus: options.cpus ?? 2, relocationPolicy: options.relocationPolicy });
}

const access = (what: string, run: () => unknown): Step => ({ what, kind: 'access', run });
/**
 * An access that straddles two pages. When the second page's fault runs out of memory, the first
 * page's fault was already resolved (as Windows resolves them one after the other): that page may
 * stay resident. What a program can observe — VirtualQuery, commit, contents — is unchanged.
 */
const STRADDLING: KernelSnapshotOptions = { counters: false, memory: 'none', tlbs: false, frameLimit: false, residency: false };
const straddling = (what: string, run: () => unknown): Step => ({ what, kind: 'access', run, snapshot: STRADDLING });
const call = (what: string, run: () => unknown, snapshotOptions?: KernelSnapshotOptions): Step => ({ what, kind: 'call', run, snapshot: snapshotOptions });

/** VirtualAlloc + commit + touch: demand-zero frames, the shared zero frame, and its replacement on a write. */
function privateMemory(format: FormatName): Scenario<{ p: Process; base: number }> {
  return {
    name: `VirtualAlloc + commit + touch (${format})`,
    setup: () => {
      const kernel = kernelOf(format);
      const p = kernel.createProcess();
      kernel.run(0, p);
      return { kernel, p, base: 0 };
    },
    steps: (s) => {
      const mmu = s.kernel.cpus[0].mmu;
      return [
        call('VirtualAlloc(MEM_RESERVE | MEM_COMMIT)', () => (s.base = s.p.virtualAlloc(0, 8 * PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE))),
        access('write page 0', () => mmu.write32(s.base, 0x1111_1111)),
        access('read page 1 (the zero frame)', () => mmu.read32(s.base + PAGE)),
        access('write page 1 (replaces the zero frame)', () => mmu.write32(s.base + PAGE + 4, 0x2222_2222)),
        straddling('write across pages 2 and 3', () => mmu.write32(s.base + 3 * PAGE - 2, 0x3333_3333)),
        call('VirtualAlloc(MEM_COMMIT) of more pages', () => s.p.virtualAlloc(s.base + 4 * PAGE, PAGE, MEM_COMMIT, PAGE_READWRITE)),
        access('write page 4', () => mmu.write32(s.base + 4 * PAGE, 0x4444_4444)),
      ];
    },
    check: (s) => {
      const mmu = s.kernel.cpus[0].mmu;
      expect([mmu.read32(s.base), mmu.read32(s.base + PAGE), mmu.read32(s.base + PAGE + 4), mmu.read32(s.base + 3 * PAGE - 2), mmu.read32(s.base + 4 * PAGE)]).toEqual([0x1111_1111, 0, 0x2222_2222, 0x3333_3333, 0x4444_4444]);
    },
  };
}

/** Page-table pages for a region far from everything else: every level of a new branch. */
function farRegion(format: FormatName, far: number): Scenario<{ p: Process }> {
  return {
    name: `page tables for a far region (${format})`,
    setup: () => {
      const kernel = kernelOf(format);
      const p = kernel.createProcess();
      const cpu = kernel.run(0, p);
      cpu.mmu.write32(p.virtualAlloc(0, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), 1);
      p.virtualAlloc(far, 2 * PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
      return { kernel, p };
    },
    steps: (s) => [access('read the far page (tables only)', () => s.kernel.cpus[0].mmu.read8(far)), access('write the next far page', () => s.kernel.cpus[0].mmu.write8(far + PAGE, 0x5a))],
    check: (s) => expect(s.p.readMemory(far + PAGE, 1)[0]).toBe(0x5a),
  };
}

/** Copy-on-write after fork: copies, the sole-owner reuse, and the zero frame. */
function copyOnWrite(): Scenario<{ parent: Process; child: Process; base: number }> {
  return {
    name: 'copy-on-write after fork',
    setup: () => {
      const kernel = kernelOf();
      const parent = kernel.createProcess();
      const cpu = kernel.run(0, parent);
      const base = parent.virtualAlloc(0, 4 * PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
      for (let i = 0; i < 3; i++) cpu.mmu.write32(base + i * PAGE, 0xa0 + i);
      cpu.mmu.read32(base + 3 * PAGE); // the zero frame, shared after the fork too
      const child = parent.fork();
      kernel.run(1, child);
      return { kernel, parent, child, base };
    },
    steps: (s) => {
      const [p, c] = [s.kernel.cpus[0].mmu, s.kernel.cpus[1].mmu];
      return [
        access('parent writes page 0 (a copy)', () => p.write32(s.base, 0xb0)),
        access('child writes page 0 (now the sole owner: no copy)', () => c.write32(s.base, 0xc0)),
        access('child writes page 1 (a copy)', () => c.write32(s.base + PAGE, 0xc1)),
        access('parent reads page 2', () => p.read32(s.base + 2 * PAGE)),
        access('parent writes page 3 (the zero frame)', () => p.write32(s.base + 3 * PAGE, 0xb3)),
        straddling('child writes across pages 2 and 3', () => c.write32(s.base + 3 * PAGE - 2, 0xc2c3_c2c3)),
      ];
    },
    check: (s) => {
      const word = (p: Process, at: number) => new DataView(p.readMemory(s.base + at, 4).buffer).getUint32(0, true);
      expect([word(s.parent, 0), word(s.parent, PAGE), word(s.parent, 2 * PAGE), word(s.parent, 3 * PAGE)]).toEqual([0xb0, 0xa1, 0xa2, 0xb3]);
      expect([word(s.child, 0), word(s.child, PAGE), word(s.child, 3 * PAGE - 2)]).toEqual([0xc0, 0xc1, 0xc2c3_c2c3]);
    },
  };
}

/** A write to a FILE_MAP_COPY view: copies of read-in pages, and of pages read in by the write itself. */
function copyView(): Scenario<{ p: Process; q: Process; section: Section; view: number; shared: number; file: Uint8Array }> {
  return {
    name: 'writes to a FILE_MAP_COPY view',
    setup: () => {
      const kernel = kernelOf();
      const file = Uint8Array.from({ length: 4 * PAGE }, (_, i) => (i * 7) & 0xff);
      const section = kernel.createSection({ protect: PAGE_WRITECOPY, file });
      const p = kernel.createProcess();
      const q = kernel.createProcess();
      kernel.run(0, p);
      kernel.run(1, q);
      const view = p.mapViewOfSection(section, { access: FILE_MAP_COPY });
      const shared = q.mapViewOfSection(section, { access: FILE_MAP_READ });
      kernel.cpus[1].mmu.read8(shared); // page 0 read in by another process
      return { kernel, p, q, section, view, shared, file };
    },
    steps: (s) => {
      const mmu = s.kernel.cpus[0].mmu;
      return [
        access('write page 0 (resident: a copy)', () => mmu.write8(s.view, 0xee)),
        access('read page 1 (read in)', () => mmu.read8(s.view + PAGE)),
        access('write page 1 (a copy)', () => mmu.write8(s.view + PAGE + 1, 0xee)),
        access('write page 2 first (read in, then a copy)', () => mmu.write8(s.view + 2 * PAGE + 2, 0xee)),
        call('WriteProcessMemory over pages 2 and 3', () => s.p.writeMemory(s.view + 3 * PAGE - 1, new Uint8Array([0xdd, 0xdd]))),
      ];
    },
    check: (s) => {
      const mine = s.p.readMemory(s.view, 4 * PAGE);
      const theirs = s.q.readMemory(s.shared, 4 * PAGE);
      expect([mine[0], mine[PAGE + 1], mine[2 * PAGE + 2], mine[3 * PAGE - 1], mine[3 * PAGE]]).toEqual([0xee, 0xee, 0xee, 0xdd, 0xdd]);
      expect(Buffer.from(theirs).equals(Buffer.from(s.file))).toBe(true); // B74: the other view and the file see none of it
      expect(s.p.virtualQuery(s.view).protect).toBe(PAGE_READWRITE); // B78
    },
  };
}

/** WriteProcessMemory over pages that each need a frame: all of them or none. */
function writeProcessMemory(): Scenario<{ p: Process; base: number }> {
  return {
    name: 'WriteProcessMemory over untouched, zero-frame and shared pages',
    setup: () => {
      const kernel = kernelOf();
      const p = kernel.createProcess();
      const cpu = kernel.run(0, p);
      const base = p.virtualAlloc(0, 4 * PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
      cpu.mmu.read8(base + PAGE); // the zero frame
      cpu.mmu.write8(base + 2 * PAGE, 1);
      const child = p.fork(); // page 2 is now shared copy-on-write
      child.virtualAlloc(0, PAGE, MEM_RESERVE, PAGE_READWRITE);
      return { kernel, p, base };
    },
    steps: (s) => [call('WriteProcessMemory over four pages', () => s.p.writeMemory(s.base + 10, new Uint8Array(3 * PAGE + 100).fill(0x77)))],
    check: (s) => {
      const bytes = s.p.readMemory(s.base, 4 * PAGE);
      expect([bytes[9], bytes[10], bytes[3 * PAGE + 109], bytes[3 * PAGE + 110]]).toEqual([0, 0x77, 0x77, 0]);
    },
  };
}

/** Image load and page-in of every page at a relocated base, and a write to a data page. */
function relocatedImage(policy: 'private' | 'aslr'): Scenario<{ p: Process; base: number; dll: Uint8Array }> {
  const dll = fixture('absolute32.dll');
  const pe = parsePe(dll);
  return {
    name: `image load and page-in at a relocated base (${policy})`,
    setup: () => {
      const kernel = kernelOf('x86-64', { relocationPolicy: policy });
      const p = kernel.createProcess();
      kernel.run(0, p);
      p.virtualAlloc(pe.imageBase, PAGE, MEM_RESERVE, PAGE_READWRITE); // the preferred base is busy
      return { kernel, p, base: 0, dll };
    },
    steps: (s) => {
      const mmu = s.kernel.cpus[0].mmu;
      const steps: Step[] = [call('loadImage', () => (s.base = s.p.loadImage(s.dll).base))];
      for (let page = 0; page < pe.mappedSize / PAGE; page++) {
        const protect = () => s.p.virtualQuery(s.base + page * PAGE).protect;
        steps.push(access(`page-in page ${page}`, () => (protect() === 1 ? undefined : mmu.read8(s.base + page * PAGE))));
      }
      const data = pe.sections.find((x) => x.characteristics & 0x8000_0000)!;
      steps.push(access('write a data page (copy-on-write)', () => mmu.write8(s.base + data.virtualAddress, 0x99)));
      return steps;
    },
    check: (s) => {
      // Under ASLR the kernel relocated the image, so its header holds the new base (B92).
      const expected = relocateImage(pe, s.base, policy === 'aslr');
      const data = pe.sections.find((x) => x.characteristics & 0x8000_0000)!;
      expected[data.virtualAddress] = 0x99;
      expect(Buffer.from(s.p.readMemory(s.base, pe.mappedSize)).equals(Buffer.from(expected))).toBe(true);
    },
  };
}

/** An eager image load: every fixup page relocated at load time, or nothing mapped at all. */
function eagerImage(): Scenario<{ p: Process; dll: Uint8Array; base: number }> {
  const dll = fixture('absolute32.dll');
  const pe = parsePe(dll);
  return {
    name: 'eager image load at a relocated base',
    setup: () => {
      const kernel = kernelOf();
      const p = kernel.createProcess();
      kernel.run(0, p);
      p.virtualAlloc(pe.imageBase, PAGE, MEM_RESERVE, PAGE_READWRITE);
      return { kernel, p, dll, base: 0 };
    },
    // A failed eager load maps nothing; page tables it created stay with the process until it exits (as after an unmap).
    steps: (s) => [call('loadImage(eager)', () => (s.base = s.p.loadImage(s.dll, { eager: true }).base), { ...STATE, pageTables: false })],
    check: (s) => expect(Buffer.from(s.p.readMemory(s.base, pe.mappedSize)).equals(Buffer.from(relocateImage(pe, s.base)))).toBe(true),
  };
}

/** fork itself: the child's root, its page tables, every reference. */
function fork(): Scenario<{ p: Process; base: number; view: number; child: Process | null }> {
  return {
    name: 'fork',
    setup: () => {
      const kernel = kernelOf();
      const p = kernel.createProcess();
      const cpu = kernel.run(0, p);
      const base = p.virtualAlloc(0, 4 * PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
      for (let i = 0; i < 3; i++) cpu.mmu.write32(base + i * PAGE, 0xf0 + i);
      const far = p.virtualAlloc(0x7f00_0000_0000, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
      cpu.mmu.write8(far, 9);
      const section = kernel.createSection({ protect: PAGE_READWRITE, size: 2 * PAGE });
      const view = p.mapViewOfSection(section, { access: FILE_MAP_WRITE });
      cpu.mmu.write8(view, 3);
      kernel.closeSection(section);
      return { kernel, p, base, view, child: null };
    },
    // A failed fork may leave the parent's entries read-only and its TLB entries shot down (documented):
    // the page-table bytes and the TLBs are left out of that step's comparison.
    steps: (s) => [call('fork', () => (s.child = s.p.fork()), { counters: false, memory: 'none', tlbs: false, frameLimit: false })],
    check: (s) => {
      const child = s.child!;
      expect(child.readMemory(s.base, 4)).toEqual(s.p.readMemory(s.base, 4));
      const cpu = s.kernel.run(1, child);
      cpu.mmu.write32(s.base, 0xdead);
      expect(new DataView(s.p.readMemory(s.base, 4).buffer).getUint32(0, true)).toBe(0xf0);
      cpu.mmu.write8(s.view, 4); // a shared view stays shared
      expect(s.p.readMemory(s.view, 1)[0]).toBe(4);
    },
  };
}

/** createProcess, createSection and the section's pages: the section's own frames. */
function sections(): Scenario<{ p: Process; view: number; section: Section | null }> {
  return {
    name: 'createProcess, createSection and page-in of its view',
    setup: () => ({ kernel: kernelOf(), p: null as unknown as Process, view: 0, section: null }),
    steps: (s) => [
      call('createProcess', () => {
        s.p = s.kernel.createProcess();
        s.kernel.run(0, s.p);
      }),
      call('createSection (SEC_COMMIT: no frame yet)', () => (s.section = s.kernel.createSection({ protect: PAGE_READWRITE, size: 3 * PAGE, attributes: SEC_COMMIT }))),
      call('mapViewOfSection', () => (s.view = s.p.mapViewOfSection(s.section!, { access: FILE_MAP_WRITE }))),
      access('write the view\'s pages', () => s.kernel.cpus[0].mmu.write8(s.view, 1)),
      access('read the next page', () => s.kernel.cpus[0].mmu.read8(s.view + PAGE)),
      straddling('write across pages 1 and 2', () => s.kernel.cpus[0].mmu.write32(s.view + 2 * PAGE - 2, 0x01020304)),
    ],
    check: (s) => expect(Array.from(s.p.readMemory(s.view, 1))).toEqual([1]),
  };
}

const SCENARIOS: Scenario<any>[] = [
  privateMemory('x86-64'),
  privateMemory('sv39'),
  privateMemory('x86-32'),
  farRegion('x86-64', 0x7f12_3450_0000),
  farRegion('sv48', 0x7f12_3450_0000),
  farRegion('x86-pae', 0x7000_0000),
  copyOnWrite(),
  copyView(),
  writeProcessMemory(),
  relocatedImage('private'),
  relocatedImage('aslr'),
  eagerImage(),
  fork(),
  sections(),
];

// ------------------------------------------------------------------ the runner

/** Every process exited and every section closed: only the kernel's own frames are left. */
function cleanup(kernel: Kernel): void {
  for (const process of kernel.processes()) process.exit();
  for (const section of kernel.sections()) if (section.open) kernel.closeSection(section);
  expect(kernel.sections()).toEqual([]);
  expect(kernel.frames.usedCount, 'frames left after cleanup').toBe(KERNEL_FRAMES);
  expect(kernel.committed).toBe(0);
  expect(verify(kernel)).toEqual([]);
}

function expectOutOfMemory(step: Step, error: unknown): void {
  if (step.kind === 'call') {
    expect(error, `${step.what}: ${String(error)}`).toBeInstanceOf(OutOfFramesError);
    return;
  }
  expect(error, `${step.what}: ${String(error)}`).toBeInstanceOf(WindowsExceptionError);
  const record = (error as WindowsExceptionError).record;
  expect(record.exceptionCode).toBe(STATUS_IN_PAGE_ERROR);
  expect(record.numberParameters).toBe(3);
  expect(record.exceptionInformation[2]).toBe(STATUS_NO_MEMORY);
}

const totals = { scenarios: 0, failures: 0 };

/** Runs every step; memory runs out at allocation `failAt` (Infinity: never). Returns the allocations counted. */
function runScenario(scenario: Scenario<any>, failAt: number): number {
  const s = scenario.setup();
  const kernel = s.kernel;
  expect(verify(kernel)).toEqual([]);
  const exhauster = exhaust(kernel.frames);
  exhauster.failAt = failAt;
  const steps = scenario.steps(s);
  let failed = 0;
  for (const step of steps) {
    const options = step.snapshot ?? STATE;
    const before = snapshot(kernel, options);
    try {
      step.run();
      continue;
    } catch (error) {
      if (failAt === Infinity) throw error;
      expectOutOfMemory(step, error);
    }
    failed++;
    const label = `${scenario.name}: memory out at allocation ${failAt}, in "${step.what}"`;
    expect(snapshot(kernel, options), `${label}: the failed step changed the kernel`).toEqual(before);
    expect(verify(kernel), label).toEqual([]);
    // Still short of memory: it fails again, the same way, and still changes nothing.
    let again: unknown = null;
    try {
      step.run();
    } catch (error) {
      again = error;
    }
    expectOutOfMemory(step, again);
    expect(snapshot(kernel, options), `${label}: the second attempt changed the kernel`).toEqual(before);
    restore(kernel, exhauster);
    step.run(); // memory is back: the step succeeds
  }
  if (failAt !== Infinity) expect(failed, `${scenario.name}: allocation ${failAt} never failed`).toBe(1);
  expect(verify(kernel)).toEqual([]);
  const counted = exhauster.count;
  scenario.check(s);
  cleanup(kernel);
  return counted;
}

describe('exhaustion: memory runs out at every allocation of every operation', () => {
  for (const scenario of SCENARIOS) {
    it(scenario.name, () => {
      const n = runScenario(scenario, Infinity);
      expect(n, 'the dry run allocates').toBeGreaterThan(0);
      for (let k = 1; k <= n; k++) {
        runScenario(scenario, k);
        totals.failures++;
      }
      totals.scenarios++;
    });
  }

  afterAll(() => {
    // eslint-disable-next-line no-console
    console.log(`exhaustion: ${totals.scenarios} operations, memory exhausted at ${totals.failures} allocation points`);
  });
});

describe('exhaustion: the commit limit at every point', () => {
  // Commit charge is the other resource a call can run out of (ERROR_COMMITMENT_LIMIT): limit it so
  // that each charging call fails once, and check that it changed nothing.
  const charging: Array<[string, (kernel: Kernel, p: Process) => unknown]> = [
    ['VirtualAlloc(MEM_RESERVE | MEM_COMMIT)', (_, p) => p.virtualAlloc(0, 6 * PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE)],
    ['VirtualAlloc(MEM_COMMIT) over partly committed pages', (_, p) => p.virtualAlloc(p.regions.first()!.base, 6 * PAGE, MEM_COMMIT, PAGE_READWRITE)],
    ['createSection(SEC_COMMIT)', (kernel) => kernel.createSection({ protect: PAGE_READWRITE, size: 6 * PAGE })],
    ['fork', (_, p) => p.fork()],
  ];
  for (const [name, run] of charging) {
    it(name, () => {
      for (let spare = 0; ; spare++) {
        const kernel = new Kernel({ memorySize: 256 * PAGE, commitLimit: 4 + spare });
        const p = kernel.createProcess();
        kernel.run(0, p);
        const base = p.virtualAlloc(0, 8 * PAGE, MEM_RESERVE, PAGE_READWRITE);
        p.virtualAlloc(base + PAGE, 2 * PAGE, MEM_COMMIT, PAGE_READWRITE);
        p.virtualAlloc(base + 6 * PAGE, 2 * PAGE, MEM_COMMIT, PAGE_READWRITE);
        kernel.cpus[0].mmu.write8(base + PAGE, 1);
        const before = snapshot(kernel, STATE);
        let error: unknown = null;
        try {
          run(kernel, p);
        } catch (e) {
          error = e;
        }
        if (error === null) {
          expect(spare, `${name} needs some commit`).toBeGreaterThan(0);
          expect(verify(kernel)).toEqual([]);
          cleanup(kernel);
          break;
        }
        expect(error).toBeInstanceOf(WindowsError);
        expect([(error as WindowsError).win32Error, (error as WindowsError).ntStatus]).toEqual([ERROR_COMMITMENT_LIMIT, STATUS_COMMITMENT_LIMIT]);
        expect(snapshot(kernel, STATE)).toEqual(before);
        expect(verify(kernel)).toEqual([]);
        cleanup(kernel);
      }
    });
  }
});
