// Bulk access through the MMU (readBytes, writeBytes, copyBytes): the same bytes, the same
// precise faults and the same "a faulting write writes nothing" rule as the single accessors,
// with one translation per page.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  FaultReason,
  FaultResolution,
  FrameAllocator,
  Kernel,
  MEM_COMMIT,
  MEM_RESERVE,
  Mmu,
  PAGE_READONLY,
  PAGE_READWRITE,
  PageFaultError,
  PageTableBuilder,
  PhysicalMemory,
  Privilege,
  verify,
  type FaultHandler,
  type TranslationFault,
} from '../../src/index.js';

const PAGE = 4096;
const BASE = 0x40_0000;

/** How a test page is mapped: not at all, read-only, writable, or writable but supervisor-only. */
type PageKind = 'unmapped' | 'readonly' | 'writable' | 'supervisor';

/** A user-mode MMU over `kinds.length` pages at BASE, each with its own (shuffled) frame holding a pattern. */
function machine(kinds: PageKind[], options: { reverseFrames?: boolean } = {}) {
  const memory = new PhysicalMemory({ size: 1 << 20 });
  const frames = new FrameAllocator(memory);
  const tables = new PageTableBuilder(memory, 'x86-64', frames);
  const framesOfPages = kinds.map(() => frames.allocate() * PAGE);
  if (options.reverseFrames === true) framesOfPages.reverse();
  kinds.forEach((kind, i) => {
    for (let b = 0; b < PAGE; b++) memory.write8(framesOfPages[i] + b, (i * 31 + b * 7) & 0xff);
    if (kind === 'unmapped') return;
    tables.map(BASE + i * PAGE, framesOfPages[i], { writable: kind !== 'readonly', user: kind !== 'supervisor' });
  });
  const mmu = new Mmu({ memory, format: 'x86-64' });
  mmu.setRoot(tables.root, 1);
  mmu.setPrivilege(Privilege.User);
  /** The bytes of the test pages' frames (not the page tables, whose A and D bits walks set). */
  const data = () => framesOfPages.map((frame) => [...memory.readBytes(frame, PAGE)]);
  return { memory, frames, tables, mmu, framesOfPages, data };
}

function faultOf(action: () => unknown): TranslationFault | null {
  try {
    action();
    return null;
  } catch (e) {
    if (e instanceof PageFaultError) return e.fault;
    throw e;
  }
}

/** What a loop of single-byte accesses sees: the bytes, or the first fault. */
function byteByByte(mmu: Mmu, va: number, length: number): { bytes: number[] } | { fault: string } {
  const bytes: number[] = [];
  for (let i = 0; i < length; i++) {
    const fault = faultOf(() => bytes.push(mmu.read8(va + i)));
    if (fault !== null) return { fault: fault.toString() };
  }
  return { bytes };
}

/** The first page of [va, va + length) whose write faults, by single-byte probes (fault or null). */
function firstWriteFault(mmu: Mmu, va: number, length: number): string | null {
  for (let i = 0; i < length; i = i === 0 ? PAGE - (va % PAGE) : i + PAGE) {
    const pa = faultOf(() => mmu.translate(va + i, 1));
    if (pa !== null) return pa.toString();
  }
  return null;
}

describe('Mmu.readBytes / writeBytes', () => {
  it('reads and writes across pages whose frames are not contiguous', () => {
    const { mmu, memory, framesOfPages } = machine(['writable', 'writable', 'writable'], { reverseFrames: true });
    const data = Uint8Array.from({ length: 2 * PAGE + 5 }, (_, i) => (i * 13 + 5) & 0xff);
    mmu.writeBytes(BASE + 0xffb, data);
    expect([...mmu.readBytes(BASE + 0xffb, data.length)]).toEqual([...data]);
    // Byte by byte through the single accessors, and in physical memory, frame by frame.
    expect(byteByByte(mmu, BASE + 0xffb, data.length)).toEqual({ bytes: [...data] });
    expect(memory.read8(framesOfPages[0] + 0xffb)).toBe(data[0]);
    expect(memory.read8(framesOfPages[1])).toBe(data[5]);
    expect(memory.read8(framesOfPages[2])).toBe(data[PAGE + 5]);
  });

  it('matches single-byte accesses on any range: the same bytes, or the same first fault and nothing written', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom<PageKind>('unmapped', 'readonly', 'writable', 'supervisor'), { minLength: 1, maxLength: 5 }),
        fc.nat(),
        fc.nat(),
        fc.boolean(),
        (kinds, start, size, reverse) => {
          const span = kinds.length * PAGE;
          const offset = start % span;
          const length = size % (span - offset + 1);
          const reference = machine(kinds, { reverseFrames: reverse });
          const subject = machine(kinds, { reverseFrames: reverse });
          const expected = byteByByte(reference.mmu, BASE + offset, length);
          const readFault = faultOf(() => subject.mmu.readBytes(BASE + offset, length));
          if ('bytes' in expected) {
            expect(readFault).toBeNull();
            expect([...subject.mmu.readBytes(BASE + offset, length)]).toEqual(expected.bytes);
          } else {
            expect(readFault?.toString()).toBe(expected.fault);
          }
          // A write: all of it, or nothing and the fault of the first page that refuses a write.
          const before = subject.data();
          const data = Uint8Array.from({ length }, (_, i) => (i * 3 + 1) & 0xff);
          const writeFault = faultOf(() => subject.mmu.writeBytes(BASE + offset, data));
          expect(writeFault?.toString() ?? null).toBe(firstWriteFault(reference.mmu, BASE + offset, length));
          if (writeFault !== null) {
            expect(subject.data()).toEqual(before);
          } else {
            expect([...subject.mmu.readBytes(BASE + offset, length)]).toEqual([...data]);
          }
        },
      ),
      { numRuns: 150, seed: 0x6b756c6b },
    );
  });

  it('reports the fault at the first byte of the failing page (at va itself when it is the first page)', () => {
    const { mmu } = machine(['writable', 'readonly', 'writable']);
    const fault = faultOf(() => mmu.writeBytes(BASE + 0x800, new Uint8Array(2 * PAGE)));
    expect(fault).toMatchObject({ address: BASE + PAGE, reason: FaultReason.Protection });
    const first = faultOf(() => mmu.writeBytes(BASE + PAGE + 0x10, new Uint8Array(4)));
    expect(first?.address).toBe(BASE + PAGE + 0x10);
  });

  it('translates each page once: a range of L1-resident pages costs one L1 hit per page', () => {
    const { mmu } = machine(['writable', 'writable', 'writable', 'writable']);
    mmu.readBytes(BASE, 4 * PAGE); // warm the TLB
    mmu.resetStats();
    mmu.resetCycles();
    const into = new Uint8Array(4 * PAGE);
    expect(mmu.readBytes(BASE + 0x10, 3 * PAGE, into)).toBe(into);
    expect(mmu.stats().tlb.l1d).toMatchObject({ hits: 4, misses: 0 });
    expect(mmu.cycles).toBe(4 * mmu.cycleModel.l1Hit);
  });

  it('an empty range translates nothing', () => {
    const { mmu } = machine(['unmapped']);
    expect(mmu.readBytes(BASE, 0).length).toBe(0);
    mmu.writeBytes(BASE, new Uint8Array(0));
    expect(mmu.stats().walks).toBe(0);
  });

  it('works with paging off (physical = virtual) and through a 2 MiB page', () => {
    const memory = new PhysicalMemory({ size: 8 << 20 });
    const frames = new FrameAllocator(memory);
    const tables = new PageTableBuilder(memory, 'x86-64', frames);
    tables.map(0x4000_0000, 0x20_0000, { writable: true, pageShift: 21 });
    const mmu = new Mmu({ memory, format: 'x86-64' });
    mmu.setRoot(tables.root, 1);
    const data = Uint8Array.from({ length: 3 * PAGE }, (_, i) => i & 0xff);
    mmu.writeBytes(0x4000_0ff0, data);
    expect([...memory.readBytes(0x20_0ff0, data.length)]).toEqual([...data]);
    mmu.setPaging(false);
    expect([...mmu.readBytes(0x20_0ff0, data.length)]).toEqual([...data]);
  });

  it('reaches MMIO through the address map, and a physical hole is a bus-error fault', () => {
    const memory = new PhysicalMemory({ size: 1 << 20 });
    const written: number[] = [];
    memory.mapMmio(0x1000_0000, PAGE, { read: (offset) => offset & 0xff, write: (offset, _size, value) => written.push(offset, value) }, 'dev');
    const frames = new FrameAllocator(memory);
    const tables = new PageTableBuilder(memory, 'x86-64', frames);
    tables.map(BASE, 0x1000_0000, { writable: true });
    tables.map(BASE + PAGE, 0x2000_0000, { writable: true }); // nothing there
    const mmu = new Mmu({ memory, format: 'x86-64' });
    mmu.setRoot(tables.root, 1);
    expect([...mmu.readBytes(BASE + 4, 3)]).toEqual([4, 5, 6]);
    mmu.writeBytes(BASE + 8, new Uint8Array([0xaa, 0xbb]));
    expect(written).toEqual([8, 0xaa, 9, 0xbb]);
    const fault = faultOf(() => mmu.readBytes(BASE + 0xff0, 0x20));
    expect(fault).toMatchObject({ reason: FaultReason.BusError, address: BASE + PAGE, physicalAddress: 0x2000_0000 });
  });

  it('lets a fault handler resolve faults page by page (demand paging), each page faulting once', () => {
    const kernel = new Kernel({ cpus: 1 });
    const process = kernel.createProcess();
    const base = process.virtualAlloc(0, 40 * PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    const { mmu } = kernel.run(0, process);
    const data = Uint8Array.from({ length: 40 * PAGE }, (_, i) => (i >> 4) & 0xff);
    mmu.writeBytes(base, data);
    expect(kernel.stats.demandZeroFaults).toBe(40);
    expect([...mmu.readBytes(base, data.length)]).toEqual([...data]);
    expect([...process.readMemory(base + 17 * PAGE, 8)]).toEqual([...data.subarray(17 * PAGE, 17 * PAGE + 8)]);
    expect(verify(kernel)).toEqual([]);
  });

  it('writes nothing when a later page refuses the write, even after earlier pages were demand-faulted in', () => {
    const kernel = new Kernel({ cpus: 1 });
    const process = kernel.createProcess();
    const base = process.virtualAlloc(0, 4 * PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    process.virtualProtect(base + 3 * PAGE, PAGE, PAGE_READONLY);
    const { mmu } = kernel.run(0, process);
    expect(() => mmu.writeBytes(base, new Uint8Array(4 * PAGE).fill(7))).toThrow();
    expect([...process.readMemory(base, 4 * PAGE)].every((b) => b === 0)).toBe(true);
  });

  it('a handler that keeps asking for a retry ends in FaultLoopError, not a hang', () => {
    const memory = new PhysicalMemory({ size: 1 << 20 });
    const tables = new PageTableBuilder(memory, 'x86-64', new FrameAllocator(memory));
    const stubborn: FaultHandler = { handleFault: () => FaultResolution.Retry };
    const mmu = new Mmu({ memory, format: 'x86-64', faultHandler: stubborn, maxFaultRetries: 3 });
    mmu.setRoot(tables.root, 1);
    expect(() => mmu.readBytes(BASE, 10)).toThrow(/fault persists/);
  });
});

describe('Mmu.copyBytes', () => {
  it('moves bytes between virtual ranges like memmove, forwards and backwards over an overlap', () => {
    const { mmu } = machine(['writable', 'writable', 'writable']);
    const original = [...mmu.readBytes(BASE, 3 * PAGE)];
    mmu.copyBytes(BASE + 0x10, BASE, 2 * PAGE);
    expect([...mmu.readBytes(BASE + 0x10, 2 * PAGE)]).toEqual(original.slice(0, 2 * PAGE));
    const now = [...mmu.readBytes(BASE, 3 * PAGE)];
    mmu.copyBytes(BASE, BASE + 0x20, 2 * PAGE);
    expect([...mmu.readBytes(BASE, 2 * PAGE)]).toEqual(now.slice(0x20, 0x20 + 2 * PAGE));
  });

  it('writes nothing when the destination or the source faults', () => {
    const { mmu, data } = machine(['writable', 'readonly', 'unmapped']);
    const before = data();
    expect(faultOf(() => mmu.copyBytes(BASE + PAGE - 8, BASE, 16))).toMatchObject({ address: BASE + PAGE, reason: FaultReason.Protection });
    expect(faultOf(() => mmu.copyBytes(BASE, BASE + 2 * PAGE - 8, 16))).toMatchObject({ address: BASE + 2 * PAGE, reason: FaultReason.NotPresent });
    expect(data()).toEqual(before);
  });

  it('copies between two address ranges that alias one frame', () => {
    const memory = new PhysicalMemory({ size: 1 << 20 });
    const frames = new FrameAllocator(memory);
    const tables = new PageTableBuilder(memory, 'x86-64', frames);
    const frame = frames.allocate() * PAGE;
    tables.map(BASE, frame, { writable: true });
    tables.map(BASE + 0x10_0000, frame, { writable: true });
    const mmu = new Mmu({ memory, format: 'x86-64' });
    mmu.setRoot(tables.root, 1);
    mmu.writeBytes(BASE, Uint8Array.from({ length: 16 }, (_, i) => i));
    mmu.copyBytes(BASE + 0x10_0000 + 4, BASE, 8);
    expect([...memory.readBytes(frame, 16)]).toEqual([0, 1, 2, 3, 0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15]);
  });
});
