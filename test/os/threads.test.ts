// Threads and their stacks (issue 16 item 4, B59): the layout CreateThread makes, its rounding rules,
// growth through the guard page, STATUS_STACK_OVERFLOW at the end, SetThreadStackGuarantee, and exit.
// Sources: Wine's ntdll tests (test_RtlCreateUserStack, test_stack_size_thread), kernel32 tests
// (test_SetThreadStackGuarantee), the Windows Research Kernel's MiCheckForUserStackOverflow.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ERROR_COMMITMENT_LIMIT,
  ERROR_INVALID_HANDLE,
  ERROR_INVALID_PARAMETER,
  ERROR_NOT_ENOUGH_MEMORY,
  EXCEPTION_READ_FAULT,
  EXCEPTION_WRITE_FAULT,
  MEM_COMMIT,
  FILE_MAP_WRITE,
  MEM_FREE,
  MEM_MAPPED,
  MEM_PRIVATE,
  MEM_RELEASE,
  MEM_RESERVE,
  PAGE_GUARD,
  PAGE_READWRITE,
  STATUS_ACCESS_VIOLATION,
  STATUS_COMMITMENT_LIMIT,
  STATUS_GUARD_PAGE_VIOLATION,
  STATUS_INVALID_HANDLE,
  STATUS_NO_MEMORY,
  STATUS_STACK_OVERFLOW,
  type Mmu,
  type Process,
} from '../../src/index.js';
import {
  DEFAULT_STACK_RESERVE,
  STACK_SIZE_PARAM_IS_A_RESERVATION,
  createThread,
  runThread,
  stackSizes,
  threadsOf,
  type Thread,
} from '../../src/os/objects/threads.js';
import { buildPe } from '../image/build-pe.js';
import { boot, exceptionOf, expectWin32 } from './helpers.js';

const PG = 0x1000;
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../../fixtures/pe/${name}`, import.meta.url)));

/** Kernel.runThread, until Kernel has the method. */
const run = (cpu: number, t: Thread) => runThread(t.process.kernel, cpu, t);

/** The stack's committed size: StackBase − StackLimit. */
const committed = (t: Thread) => t.stackBase - t.stackLimit;

/** VirtualQuery's answer at `address`, as [base, size, state, protect]. */
function region(process: Process, address: number): [number, number, number, number] {
  const info = process.virtualQuery(address);
  return [info.baseAddress, info.regionSize, info.state, info.protect];
}

/**
 * What a function with a `size`-byte frame does on entry, as MSVC's __chkstk does: probe each page
 * below `sp`, top down, then touch the frame's lowest byte.
 */
function touchFrame(mmu: Mmu, sp: number, size: number): void {
  for (let probe = sp - PG; probe > sp - size; probe -= PG) mmu.write8(probe, 0);
  mmu.write8(sp - size, 0);
}

/** Reserves every free 64 KiB below `top`. */
function fillBelow(process: Process, top: number): void {
  for (const size of [0x1000_0000, 0x100_0000, 0x10_0000, 0x1_0000]) {
    for (;;) {
      const base = process.virtualAlloc(0, size, MEM_RESERVE, PAGE_READWRITE);
      if (base + size <= top) continue;
      process.virtualFree(base, 0, MEM_RELEASE);
      break;
    }
  }
}

/** An EXE (no IMAGE_FILE_DLL) whose header asks for this stack reserve and commit. */
function exeWithStack(reserve: number, commit: number): Uint8Array {
  const { bytes, opt } = buildPe({ is64: true, characteristics: 0x0022, sections: [{ virtualAddress: 0x1000, virtualSize: 0x1000, characteristics: 0x60000020, data: new Uint8Array([0xc3]) }] });
  const dv = new DataView(bytes.buffer);
  dv.setBigUint64(opt + 72, BigInt(reserve), true);
  dv.setBigUint64(opt + 80, BigInt(commit), true);
  return bytes;
}

describe('B59: the stack CreateThread makes', () => {
  it('one MEM_PRIVATE reservation: reserved pages, one guard page, the committed top', () => {
    const { process } = boot();
    const t = createThread(process);
    expect(t.stackBase - t.deallocationStack).toBe(DEFAULT_STACK_RESERVE);
    expect(committed(t)).toBe(PG);
    const base = process.virtualQuery(t.deallocationStack);
    expect(base).toEqual({
      baseAddress: t.deallocationStack,
      allocationBase: t.deallocationStack,
      allocationProtect: PAGE_READWRITE,
      regionSize: DEFAULT_STACK_RESERVE - 2 * PG,
      state: MEM_RESERVE,
      protect: 0,
      type: MEM_PRIVATE,
    });
    expect(region(process, t.stackLimit - PG)).toEqual([t.stackLimit - PG, PG, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD]);
    expect(region(process, t.stackLimit)).toEqual([t.stackLimit, PG, MEM_COMMIT, PAGE_READWRITE]);
    expect(process.virtualQuery(t.stackLimit - PG).allocationBase).toBe(t.deallocationStack);
    expect(t.deallocationStack % 0x10000).toBe(0);
    expect(process.kernel.committed).toBe(2); // the committed page and the guard page
  });

  it('threads get ids in creation order across the kernel, from the sequence process ids come from; threadsOf lists the live ones', () => {
    const { kernel, process } = boot();
    const other = kernel.createProcess();
    const a = createThread(process);
    const b = createThread(other);
    const c = createThread(process);
    expect([process.pid, other.pid, a.id, b.id, c.id]).toEqual([1, 2, 3, 4, 5]);
    expect(threadsOf(process)).toEqual([a, c]);
    expect(threadsOf(other)).toEqual([b]);
  });

  it('CreateThread(0x3f00) commits 0x4000 under the default reserve', () => {
    const { process } = boot();
    const t = createThread(process, { stackSize: 0x3f00 });
    expect([t.stackBase - t.deallocationStack, committed(t)]).toEqual([0x10_0000, 0x4000]);
    expect(region(process, t.stackLimit)).toEqual([t.stackLimit, 0x4000, MEM_COMMIT, PAGE_READWRITE]);
  });

  it('STACK_SIZE_PARAM_IS_A_RESERVATION: the size is the reserve, rounded up to 64 KiB; the commit stays the default', () => {
    const { process } = boot();
    const t = createThread(process, { stackSize: 0x3ff000, flags: STACK_SIZE_PARAM_IS_A_RESERVATION });
    expect([t.stackBase - t.deallocationStack, committed(t)]).toEqual([0x40_0000, PG]);
    expect(stackSizes(process, { stackSize: 0x12345, flags: STACK_SIZE_PARAM_IS_A_RESERVATION })).toEqual({ reserve: 0x20000, commit: PG });
    // Other creation flags (CREATE_SUSPENDED) do not change the stack.
    expect(stackSizes(process, { stackSize: 0x3f00, flags: 4 })).toEqual({ reserve: 0x10_0000, commit: 0x4000 });
  });

  it('a huge reservation works in a 64-bit process: only the reserve grows', () => {
    const { kernel, process } = boot();
    const t = createThread(process, { stackSize: 0x8000_0000, flags: STACK_SIZE_PARAM_IS_A_RESERVATION });
    expect(t.stackBase - t.deallocationStack).toBe(0x8000_0000);
    expect(kernel.committed).toBe(2);
  });

  it('a commit at or above the reserve makes the reserve the commit rounded up to 1 MiB; a commit equal to it has no guard', () => {
    const { process } = boot();
    expect(stackSizes(process, { stackSize: 0x18_0000 })).toEqual({ reserve: 0x20_0000, commit: 0x18_0000 });
    const whole = createThread(process, { stackSize: 0x10_0000 });
    expect([whole.stackBase - whole.deallocationStack, committed(whole)]).toEqual([0x10_0000, 0x10_0000]);
    expect(region(process, whole.deallocationStack)).toEqual([whole.deallocationStack, 0x10_0000, MEM_COMMIT, PAGE_READWRITE]);
  });

  it('the defaults come from the main EXE header: SizeOfStackReserve rounded up to 64 KiB, SizeOfStackCommit to a page', () => {
    const { process } = boot();
    process.loadImage(fixture('hello64.exe')); // MinGW's header: reserve 0x200000, commit 0x1000
    expect(stackSizes(process)).toEqual({ reserve: 0x20_0000, commit: PG });
    const { process: custom } = boot();
    custom.loadImage(exeWithStack(0x12_3456, 0x2345));
    expect(stackSizes(custom)).toEqual({ reserve: 0x13_0000, commit: 0x3000 });
    expect(stackSizes(custom, { stackSize: 0x800 })).toEqual({ reserve: 0x13_0000, commit: PG });
    // A DLL is not a main image.
    const { process: dllOnly } = boot();
    dllOnly.loadImage(fixture('absolute64.dll'));
    expect(stackSizes(dllOnly)).toEqual({ reserve: DEFAULT_STACK_RESERVE, commit: PG });
  });

  it('a 32-bit process (a PE32 main image) gets its stack below 2 GiB', () => {
    const { process } = boot();
    process.loadImage(fixture('hello32.exe'));
    fillBelow(process, 0x8000_0000);
    expectWin32(() => createThread(process), ERROR_NOT_ENOUGH_MEMORY, STATUS_NO_MEMORY);
    const { process: wide } = boot();
    fillBelow(wide, 0x8000_0000);
    expect(createThread(wide).deallocationStack).toBeGreaterThanOrEqual(0x8000_0000);
  });

  it('a failed createThread changes nothing', () => {
    const { kernel, process } = boot({ commitLimit: 3 });
    const before = process.virtualQuery(0x10000);
    const committedBefore = kernel.committed;
    expectWin32(() => createThread(process, { stackSize: 0x3000 }), ERROR_COMMITMENT_LIMIT, STATUS_COMMITMENT_LIMIT);
    expect(process.virtualQuery(0x10000)).toEqual(before);
    expect(before.state).toBe(MEM_FREE);
    expect(kernel.committed).toBe(committedBefore);
    expect(threadsOf(process)).toEqual([]);
    // The guard page alone does not fit either: commit 2 pages + guard 1 > 2.
    const { process: tight, kernel: tightKernel } = boot({ commitLimit: 2 });
    expectWin32(() => createThread(tight, { stackSize: 0x2000 }), ERROR_COMMITMENT_LIMIT);
    expect(tightKernel.committed).toBe(0);
    expect(tight.virtualQuery(0x10000).state).toBe(MEM_FREE);
    // Arguments, then the process.
    expectWin32(() => createThread(process, { stackSize: -1 }), ERROR_INVALID_PARAMETER);
    expectWin32(() => createThread(process, { stackSize: 0.5 }), ERROR_INVALID_PARAMETER);
    expectWin32(() => createThread(process, { stacksize: 0x1000 } as never), ERROR_INVALID_PARAMETER);
    expectWin32(() => createThread(process, { flags: 2 ** 32 }), ERROR_INVALID_PARAMETER);
    const ok = createThread(process, { stackSize: 0x1000 });
    expect(ok.id).toBe(process.pid + 1); // no id was spent on the failures
    process.exit();
    expectWin32(() => createThread(process), ERROR_INVALID_HANDLE, STATUS_INVALID_HANDLE);
  });
});

describe('B59: growth through the guard page', () => {
  it('each touch of the guard page commits one more page, silently; StackLimit follows', () => {
    const { kernel, process } = boot();
    const t = createThread(process);
    const { mmu } = run(0, t);
    for (let pages = 2; pages <= 5; pages++) {
      mmu.write32(t.stackLimit - 4, pages); // the guard page: no exception
      expect(committed(t)).toBe(pages * PG);
      expect(region(process, t.stackLimit - PG)).toEqual([t.stackLimit - PG, PG, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD]);
      expect(region(process, t.stackLimit)).toEqual([t.stackLimit, pages * PG, MEM_COMMIT, PAGE_READWRITE]);
    }
    expect(mmu.read32(t.stackLimit + PG - 4)).toBe(5);
    expect(kernel.stats.guardFaults).toBe(0);
    expect(kernel.committed).toBe(6);
  });

  it("a 0x8000-byte frame grows the committed size to exactly 0x9000, from one page or from 0x4000 (Wine's test_stack_size_thread)", () => {
    for (const stackSize of [0, 0x3f00]) {
      const { process } = boot();
      const t = createThread(process, { stackSize });
      const { mmu } = run(0, t);
      touchFrame(mmu, t.stackBase - 0x40, 0x8000);
      expect(committed(t)).toBe(0x9000);
      const reserved = process.virtualQuery(t.deallocationStack);
      expect(reserved.regionSize).toBe(DEFAULT_STACK_RESERVE - 0x9000 - PG); // the reserved area shrank
      expect(region(process, t.stackLimit - PG)[3]).toBe(PAGE_READWRITE | PAGE_GUARD);
    }
  });

  it('a read grows the stack too', () => {
    const { process } = boot();
    const t = createThread(process);
    const { mmu } = run(0, t);
    expect(mmu.read32(t.stackLimit - PG)).toBe(0);
    expect(committed(t)).toBe(2 * PG);
  });

  it('B50 stays: a guard page outside the running thread\'s stack raises STATUS_GUARD_PAGE_VIOLATION', () => {
    const { kernel, process } = boot();
    const t = createThread(process);
    const other = createThread(process);
    const { mmu } = run(0, t);
    const guard = process.virtualAlloc(0, PG, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
    expect(exceptionOf(() => mmu.write8(guard, 1))).toMatchObject({ exceptionCode: STATUS_GUARD_PAGE_VIOLATION, exceptionInformation: [EXCEPTION_WRITE_FAULT, guard] });
    // Another thread's stack is not this thread's: its guard fires, and that stack does not grow.
    const otherGuard = other.stackLimit - PG;
    expect(exceptionOf(() => mmu.read8(otherGuard)).exceptionCode).toBe(STATUS_GUARD_PAGE_VIOLATION);
    expect(committed(other)).toBe(PG);
    expect(kernel.stats.guardFaults).toBe(2);
  });

  it('without a thread on the CPU, a stack guard page is a plain guard page', () => {
    const { kernel, process, cpu } = boot();
    const t = createThread(process);
    expect(cpu.thread).toBe(null);
    expect(exceptionOf(() => cpu.mmu.write8(t.stackLimit - 1, 1)).exceptionCode).toBe(STATUS_GUARD_PAGE_VIOLATION);
    expect(committed(t)).toBe(PG);
    // The same thread on a CPU that then runs another process: the other process's guard pages are its own.
    run(0, t);
    const q = kernel.createProcess();
    const guard = q.virtualAlloc(t.stackLimit - 3 * PG, PG, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE | PAGE_GUARD);
    const cpu0 = kernel.run(0, q);
    expect(exceptionOf(() => cpu0.mmu.write8(guard, 1)).exceptionCode).toBe(STATUS_GUARD_PAGE_VIOLATION);
  });

  it('two CPUs running two threads of one process each grow their own stack', () => {
    const { process } = boot({ cpus: 2 });
    const a = createThread(process);
    const b = createThread(process);
    const cpuA = run(0, a);
    const cpuB = run(1, b);
    touchFrame(cpuA.mmu, a.stackBase, 0x3000);
    touchFrame(cpuB.mmu, b.stackBase, 0x5000);
    expect([committed(a), committed(b)]).toEqual([0x3000, 0x5000]);
  });

  it('a guard cleared by VirtualLock (B52) stops the growth there: the page below is still reserved', () => {
    const { process } = boot();
    const t = createThread(process);
    const { mmu } = run(0, t);
    const guard = t.stackLimit - PG;
    expectWin32(() => process.virtualLock(guard, PG), STATUS_GUARD_PAGE_VIOLATION, STATUS_GUARD_PAGE_VIOLATION);
    mmu.write8(guard, 1); // no longer a guard page: a plain committed page
    expect(committed(t)).toBe(PG); // StackLimit did not move
    expect(exceptionOf(() => mmu.write8(guard - 1, 1))).toMatchObject({ exceptionCode: STATUS_ACCESS_VIOLATION, exceptionInformation: [EXCEPTION_WRITE_FAULT, guard - 1] });
    // Locked stack pages are released with the stack.
    process.virtualLock(t.stackLimit, PG);
    t.exit();
    expect(process.virtualQuery(t.deallocationStack).state).toBe(MEM_FREE);
  });
});

describe('B59: the end of the stack', () => {
  it('STATUS_STACK_OVERFLOW once, the retry succeeds, then the last page is an access violation', () => {
    const { kernel, process } = boot();
    const t = createThread(process, { stackSize: 0x10000, flags: STACK_SIZE_PARAM_IS_A_RESERVATION }); // 16 pages
    const { mmu } = run(0, t);
    const last = t.deallocationStack;
    // Pages 15 (committed) down to 3 grow silently; the guard then sits on page 2.
    touchFrame(mmu, t.stackBase, 13 * PG);
    expect(t.stackLimit).toBe(last + 3 * PG);
    expect(region(process, last + 2 * PG)).toEqual([last + 2 * PG, PG, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD]);
    // The guard on page 2 has no room for another: page 1 is committed without guard, and the access overflows.
    const record = exceptionOf(() => mmu.write32(last + 2 * PG + 8, 7));
    expect(record).toMatchObject({ exceptionCode: STATUS_STACK_OVERFLOW, numberParameters: 2, exceptionInformation: [EXCEPTION_WRITE_FAULT, last + 2 * PG + 8] });
    expect(t.stackLimit).toBe(last + PG);
    expect(region(process, last + PG)).toEqual([last + PG, 15 * PG, MEM_COMMIT, PAGE_READWRITE]);
    expect(region(process, last)).toEqual([last, PG, MEM_RESERVE, 0]);
    mmu.write32(last + 2 * PG + 8, 7); // the handler continues: the retried access succeeds
    expect(mmu.read32(last + 2 * PG + 8)).toBe(7);
    mmu.write8(last + PG, 1); // the page above the last is usable, with no exception
    const av = exceptionOf(() => mmu.read8(last + PG - 1));
    expect(av).toMatchObject({ exceptionCode: STATUS_ACCESS_VIOLATION, exceptionInformation: [EXCEPTION_READ_FAULT, last + PG - 1] });
    expect(exceptionOf(() => mmu.write8(last, 1)).exceptionCode).toBe(STATUS_ACCESS_VIOLATION); // never a second overflow
    expect(kernel.committed).toBe(15); // the usable stack: the reserve minus one page
    expect(kernel.stats.guardFaults).toBe(0);
  });

  it('a stack whose guard cannot be committed (the commit limit) overflows, and StackLimit still moves', () => {
    const { kernel, process } = boot({ commitLimit: 3 });
    const t = createThread(process); // 2 pages charged
    const { mmu } = run(0, t);
    mmu.write8(t.stackLimit - 1, 1); // grows: the third page is the new guard
    expect(kernel.committed).toBe(3);
    const guardTop = t.stackLimit - 1;
    expect(exceptionOf(() => mmu.write8(guardTop, 1)).exceptionCode).toBe(STATUS_STACK_OVERFLOW);
    expect(t.stackLimit).toBe(guardTop + 1 - PG);
    expect(kernel.committed).toBe(3);
    mmu.write8(guardTop, 1); // the faulting page lost its guard: the retry succeeds
    expect(exceptionOf(() => mmu.write8(guardTop - PG, 1)).exceptionCode).toBe(STATUS_ACCESS_VIOLATION);
  });
});

describe('SetThreadStackGuarantee', () => {
  it("rounds up to pages (two at least, 64-bit), never lowers, refuses a size that fills the reserve (kernel32's test_SetThreadStackGuarantee)", () => {
    const { process } = boot();
    const t = createThread(process);
    expect(t.setStackGuarantee(0)).toBe(0);
    expect(t.guaranteedStackBytes).toBe(0);
    expectWin32(() => t.setStackGuarantee(0xdeadbef), ERROR_INVALID_PARAMETER);
    expectWin32(() => t.setStackGuarantee(DEFAULT_STACK_RESERVE), ERROR_INVALID_PARAMETER);
    expect(t.guaranteedStackBytes).toBe(0);
    expect(t.setStackGuarantee(200)).toBe(0);
    expect(t.guaranteedStackBytes).toBe(0x2000);
    expect(t.setStackGuarantee(5000)).toBe(0x2000);
    expect(t.guaranteedStackBytes).toBe(0x2000);
    expect(t.setStackGuarantee(2000)).toBe(0x2000);
    expect(t.setStackGuarantee(10000)).toBe(0x2000);
    expect(t.guaranteedStackBytes).toBe(0x3000);
    expect(t.setStackGuarantee(0x3000)).toBe(0x3000);
    expectWin32(() => t.setStackGuarantee(-5), ERROR_INVALID_PARAMETER);
  });

  it('a 32-bit process rounds to one page', () => {
    const { process } = boot({ format: 'x86-32' });
    const t = createThread(process);
    expect(t.setStackGuarantee(200)).toBe(0);
    expect(t.guaranteedStackBytes).toBe(PG);
  });

  it('the guard region becomes the guarantee plus a page, and the overflow leaves the guarantee committed', () => {
    const { kernel, process } = boot();
    const t = createThread(process, { stackSize: 0x10000, flags: STACK_SIZE_PARAM_IS_A_RESERVATION }); // 16 pages
    const { mmu } = run(0, t);
    t.setStackGuarantee(0x2000); // R = 3 pages
    const last = t.deallocationStack;
    mmu.write8(t.stackLimit - 1, 1); // the one guard page at page 14
    expect(t.stackLimit).toBe(last + 14 * PG);
    expect(region(process, last + 11 * PG)).toEqual([last + 11 * PG, 3 * PG, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD]);
    // Growth goes on while a full region fits above the reservation's base: the fault at page 4 is the last.
    touchFrame(mmu, last + 14 * PG, 10 * PG);
    expect(t.stackLimit).toBe(last + 4 * PG);
    expect(region(process, last + PG)).toEqual([last + PG, 3 * PG, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD]);
    // A fault at page 3 overflows: pages 1–3 are committed without guard for the handler.
    expect(exceptionOf(() => mmu.write8(last + 4 * PG - 1, 1)).exceptionCode).toBe(STATUS_STACK_OVERFLOW);
    expect(t.stackLimit).toBe(last + PG);
    expect(region(process, last + PG)).toEqual([last + PG, 15 * PG, MEM_COMMIT, PAGE_READWRITE]);
    touchFrame(mmu, last + 4 * PG, 3 * PG); // the guaranteed pages: no exception
    expect(exceptionOf(() => mmu.write8(last + PG - 1, 1)).exceptionCode).toBe(STATUS_ACCESS_VIOLATION);
    expect(kernel.committed).toBe(15);
  });
});

describe('Thread and process exit', () => {
  it('exitThread releases the stack, its commit and frames, and takes the thread off its CPU', () => {
    const { kernel, process } = boot();
    const committedBefore = kernel.committed;
    const used = kernel.frames.usedCount;
    const t = createThread(process);
    const cpu = run(0, t);
    touchFrame(cpu.mmu, t.stackBase, 0x4000);
    t.exit();
    expect(t.exited).toBe(true);
    expect(cpu.thread).toBe(null);
    expect(cpu.process).toBe(process); // the process goes on
    expect(process.virtualQuery(t.deallocationStack).state).toBe(MEM_FREE);
    expect(kernel.committed).toBe(committedBefore);
    expect(kernel.frames.usedCount).toBeLessThanOrEqual(used + 3); // page tables stay, as after any release
    expect(threadsOf(process)).toEqual([]);
    t.exit(); // idempotent
    expectWin32(() => run(0, t), ERROR_INVALID_HANDLE, STATUS_INVALID_HANDLE);
    expectWin32(() => t.setStackGuarantee(0), ERROR_INVALID_HANDLE);
    expectWin32(() => runThread(kernel, 0, {} as Thread), ERROR_INVALID_HANDLE);
  });

  it('exit releases whatever private allocation is at DeallocationStack, as ZwFreeVirtualMemory(MEM_RELEASE) would; a view there stays', () => {
    const { kernel, process } = boot();
    const gone = createThread(process);
    process.virtualFree(gone.deallocationStack, 0, MEM_RELEASE); // the program released the stack itself
    gone.exit(); // nothing to release
    const t = createThread(process);
    process.virtualFree(t.deallocationStack, 0, MEM_RELEASE);
    const view = process.mapViewOfSection(kernel.createSection({ size: 0x10000, protect: PAGE_READWRITE }), { access: FILE_MAP_WRITE, address: t.deallocationStack });
    t.exit();
    expect(process.virtualQuery(view).type).toBe(MEM_MAPPED);
  });

  it('the process exit ends its threads', () => {
    const { kernel, process } = boot();
    const a = createThread(process);
    const b = createThread(process);
    const cpu = run(0, a);
    process.exit();
    expect([a.exited, b.exited]).toEqual([true, true]);
    expect(threadsOf(process)).toEqual([]);
    expect(cpu.process).toBe(null);
    expect(kernel.committed).toBe(0);
    a.exit(); // nothing left to free
    expectWin32(() => run(0, b), ERROR_INVALID_HANDLE);
    // A thread of another kernel.
    const { process: foreign } = boot();
    expectWin32(() => runThread(kernel, 0, createThread(foreign)), ERROR_INVALID_HANDLE, STATUS_INVALID_HANDLE);
  });
});
