// Kernel snapshots (issue 17): Kernel.snapshot / restore / discardSnapshot put back every process, allocation,
// view, section, handle, thread, module, frame, page table, TLB and counter; verify() is clean after a restore;
// objects made after the snapshot read as gone; restoring costs the frames written since, not RAM.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ERROR_INVALID_HANDLE,
  FILE_MAP_WRITE,
  INVALID_HANDLE_VALUE,
  InvalidArgumentError,
  MEM_COMMIT,
  MEM_DECOMMIT,
  MEM_RELEASE,
  MEM_RESERVE,
  PAGE_GUARD,
  PAGE_READONLY,
  PAGE_READWRITE,
  PROCESS_ALL_ACCESS,
  STATUS_INVALID_HANDLE,
  verify,
  type Kernel,
} from '../../src/index.js';
import { boot, expectWin32 } from './helpers.js';
import { applyKernelOp, fingerprint, KERNEL_OPS } from './fingerprint.js';

const PG = 0x1000;

describe('Kernel snapshots', () => {
  it('restores a kernel after allocations, writes, frees, protections, views, handles, a fork, threads and an exit', () => {
    const { kernel, process, mmu } = boot();
    const heap = process.virtualAlloc(0, 0x8000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    mmu.write32(heap, 0x1234);
    const { handle } = process.createFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, 0x2000, 'named');
    const view = process.mapViewOfSection(handle, { access: FILE_MAP_WRITE });
    mmu.write32(view, 7);
    const before = fingerprint(kernel);
    const snapshot = kernel.snapshot();
    mmu.write32(heap + PG, 0xbeef);
    mmu.write32(view + 4, 8);
    process.virtualProtect(heap, PG, PAGE_READONLY);
    process.virtualFree(heap + 0x4000, PG, MEM_DECOMMIT);
    const other = process.virtualAlloc(0, 0x3000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
    process.unmapViewOfSection(view);
    process.closeHandle(handle);
    const child = process.fork();
    child.writeMemory(heap + 0x2000, new Uint8Array([1, 2, 3]));
    const thread = process.createThread();
    kernel.runThread(0, thread);
    const second = kernel.createProcess();
    second.virtualAlloc(0, PG, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    process.openProcess(PROCESS_ALL_ACCESS, false, second.pid);
    second.exit();
    void other;
    const result = kernel.restore(snapshot);
    expect(result.framesCopied).toBeGreaterThan(0);
    expect(result.processesDropped).toBe(1); // the child (the second process had exited already)
    expect(verify(kernel)).toEqual([]);
    expect(fingerprint(kernel)).toEqual(before);
    expect(mmu.read32(heap)).toBe(0x1234);
    expect(kernel.cpus[0].mmu.read32(view)).toBe(7);
    // Made after the snapshot: gone, as closed handles.
    expect(child.exited).toBe(true);
    expectWin32(() => child.virtualQuery(0x10000), ERROR_INVALID_HANDLE, STATUS_INVALID_HANDLE);
    expect(thread.exited).toBe(true);
    // The same snapshot again, after more work.
    process.virtualFree(heap, 0, MEM_RELEASE);
    kernel.restore(snapshot);
    expect(fingerprint(kernel)).toEqual(before);
    expect(verify(kernel)).toEqual([]);
  });

  it('brings back a process that exited after the snapshot, with its memory and handles', () => {
    const { kernel, process } = boot();
    const other = kernel.createProcess();
    const base = other.virtualAlloc(0, PG, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    other.writeMemory(base, new Uint8Array([9]));
    const h = process.openProcess(PROCESS_ALL_ACCESS, false, other.pid);
    const snapshot = kernel.snapshot();
    other.exit();
    process.closeHandle(h);
    kernel.restore(snapshot);
    expect(other.exited).toBe(false);
    expect(other.readMemory(base, 1)[0]).toBe(9);
    expect(process.readProcessMemory(h, base, 1)[0]).toBe(9);
    expect(verify(kernel)).toEqual([]);
  });

  it('nests: an older snapshot drops the newer; discard keeps the state and frees the snapshot', () => {
    const { kernel, process, mmu } = boot();
    const base = process.virtualAlloc(0, 0x4000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    const at0 = fingerprint(kernel);
    const s0 = kernel.snapshot();
    mmu.write32(base, 1);
    const at1 = fingerprint(kernel);
    const s1 = kernel.snapshot();
    mmu.write32(base + PG, 2);
    const s2 = kernel.snapshot();
    process.virtualFree(base, 0, MEM_RELEASE);
    kernel.restore(s1);
    expect(fingerprint(kernel)).toEqual(at1);
    expect(s2.open).toBe(false);
    expect(() => kernel.restore(s2)).toThrow(InvalidArgumentError);
    kernel.discardSnapshot(s1);
    expect(kernel.snapshots).toEqual([s0]);
    kernel.restore(s0);
    expect(fingerprint(kernel)).toEqual(at0);
    expect(verify(kernel)).toEqual([]);
  });

  it('a restore copies back the records of what changed: a guest\'s faults and range calls mark their allocations, other calls everything', () => {
    const { kernel, process, mmu } = boot();
    const bases = Array.from({ length: 100 }, () => process.virtualAlloc(0, 0x4000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE));
    const other = kernel.createProcess();
    other.virtualAlloc(0, 0x4000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    const print = fingerprint(kernel);
    const snapshot = kernel.snapshot();
    const units = (result: { unitsRestored: number }) => result.unitsRestored;
    // The guest writes two pages of one allocation (two demand-zero faults): the process and that allocation.
    mmu.write32(bases[7], 1);
    mmu.write32(bases[7] + PG, 2);
    expect(units(kernel.restore(snapshot))).toBe(2); // its address space and the allocation
    // A range call: the process and the allocations in the range.
    process.virtualProtect(bases[3], 0x4000, PAGE_READONLY);
    process.virtualFree(bases[4], 0, MEM_RELEASE);
    process.virtualAlloc(0, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE); // a new one: nothing to copy back
    expect(units(kernel.restore(snapshot))).toBe(5); // the process, its address space and region tree, the two allocations (the new one has nothing to copy back)
    // A call tracked as a whole: every unit.
    process.createThread();
    expect(units(kernel.restore(snapshot))).toBeGreaterThan(100);
    expect(fingerprint(kernel)).toEqual(print);
    expect(verify(kernel)).toEqual([]);
  });

  it('random operations between snapshot and restore always come back to the snapshot (property)', () => {
    const op = fc.record({ kind: fc.constantFrom(...KERNEL_OPS, 'snapshot' as const, 'restore' as const), n: fc.nat(1000) });
    fc.assert(
      fc.property(fc.array(op, { minLength: 5, maxLength: 40 }), (ops) => {
        const { kernel, process } = boot();
        const snaps: Array<{ snapshot: ReturnType<Kernel['snapshot']>; print: ReturnType<typeof fingerprint> }> = [];
        for (const { kind, n } of ops) {
          if (kind === 'snapshot') {
            if (snaps.length < 4) snaps.push({ print: fingerprint(kernel), snapshot: kernel.snapshot() });
          } else if (kind === 'restore') {
            if (snaps.length > 0) {
              const k = n % snaps.length;
              kernel.restore(snaps[k].snapshot);
              snaps.length = k + 1;
              expect(fingerprint(kernel)).toEqual(snaps[k].print);
            }
          } else applyKernelOp(kernel, kind, n, process.pid);
          expect(verify(kernel)).toEqual([]);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('a thread made after the snapshot reads exited after the restore, even when its process exited in between; a section made after reads closed', () => {
    const { kernel, process } = boot();
    const snapshot = kernel.snapshot();
    const thread = process.createThread();
    const section = kernel.createSection({ size: 0x3000, protect: PAGE_READWRITE });
    process.exit();
    kernel.restore(snapshot);
    expect(process.exited).toBe(false);
    expect(thread.exited).toBe(true);
    expect(() => kernel.runThread(0, thread)).toThrow();
    expect(section.open).toBe(false);
    expect(kernel.sections()).not.toContain(section);
    expect(verify(kernel)).toEqual([]);
  });

  it('checks its arguments', () => {
    const { kernel } = boot();
    const other = boot().kernel;
    const theirs = other.snapshot();
    expect(() => kernel.restore(theirs)).toThrow(InvalidArgumentError);
    expect(() => kernel.discardSnapshot({} as never)).toThrow(InvalidArgumentError);
  });
});
