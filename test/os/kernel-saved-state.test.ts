// Saved states of a kernel (issue 17): Kernel.saveState writes the kernel (or an open snapshot) to bytes and
// Kernel.loadState makes a new kernel of them, in the same state: the same processes, memory, handles, threads,
// modules, sections and counters, and the same behaviour from there on. A foreign, damaged or other-version blob is a
// SavedStateError and makes no kernel.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FILE_MAP_WRITE,
  INVALID_HANDLE_VALUE,
  InvalidArgumentError,
  Kernel,
  MachineSnapshots,
  MEM_COMMIT,
  MEM_RELEASE,
  MEM_RESERVE,
  MEM_WRITE_WATCH,
  PAGE_GUARD,
  PAGE_READONLY,
  PAGE_READWRITE,
  PhysicalMemory,
  PROCESS_ALL_ACCESS,
  SAVED_STATE_VERSION,
  SavedStateError,
  verify,
  type Process,
  type SavedStateErrorReason,
} from '../../src/index.js';
import { loadLibrary } from '../../src/os/objects/modules.js';
import { dllResolver } from './dll-fixtures.js';
import { crc32 } from '../../src/mmu/byte-codec.js';
import { applyKernelOp, fingerprint, KERNEL_OPS } from './fingerprint.js';
import { boot } from './helpers.js';

const PG = 0x1000;

const resolver = dllResolver;

/** A kernel using most of what it models: private memory (guard, write-watch, read-only), a named section and its views, DLLs (ASLR), a fork, threads, process handles, two CPUs. */
function busyKernel() {
  const { kernel, process, mmu } = boot({ cpus: 2, relocationPolicy: 'aslr' });
  const heap = process.virtualAlloc(0, 0x8000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
  mmu.write32(heap, 0x1234_5678);
  mmu.write32(heap + 3 * PG, 42);
  process.virtualProtect(heap + 2 * PG, PG, PAGE_READONLY);
  process.virtualAlloc(0, 0x3000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
  const watched = process.virtualAlloc(0, 0x4000, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE);
  mmu.write8(watched + PG, 1);
  const { handle } = process.createFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, 0x2000, 'shared');
  const view = process.mapViewOfSection(handle, { access: FILE_MAP_WRITE });
  mmu.write32(view, 7);
  loadLibrary(process, 'importer64.dll', resolver);
  const child = process.fork();
  child.writeMemory(heap + PG, new Uint8Array([9, 9]));
  const thread = process.createThread();
  kernel.runThread(0, thread);
  kernel.run(1, child);
  const childHandle = process.openProcess(PROCESS_ALL_ACCESS, false, child.pid);
  return { kernel, process, child, heap, watched, view, handle, childHandle };
}

/** The same calls on two kernels in the same state: each kernel's process of that pid. */
function twin(kernel: Kernel, pid: number): Process {
  const process = kernel.processes().find((p) => p.pid === pid);
  if (process === undefined) throw new Error(`no process ${pid}`);
  return process;
}

function reasonOf(action: () => unknown): SavedStateErrorReason {
  try {
    action();
  } catch (e) {
    if (e instanceof SavedStateError) {
      expect(e.code).toBe('SAVED_STATE');
      return e.reason;
    }
    throw e;
  }
  throw new Error('expected a SavedStateError');
}

/** `bytes` with its checksum recomputed: damage the checksum does not catch, for the structural checks. */
function resealed(bytes: Uint8Array): Uint8Array {
  const copy = bytes.slice();
  new DataView(copy.buffer).setUint32(12, crc32(copy.subarray(16)), true);
  return copy;
}

describe('Kernel saved states', () => {
  it('loads into a new kernel in the same state: memory, regions, handles, threads, modules, counters', () => {
    const { kernel, process, heap, watched, view } = busyKernel();
    const saved = kernel.saveState();
    const loaded = Kernel.loadState(saved);
    // Saving the loaded kernel gives the same bytes: nothing was lost or added.
    expect(sameBytes(loaded.saveState(), saved)).toBe(true);
    expect(verify(loaded)).toEqual([]);
    expect(fingerprint(loaded)).toEqual(fingerprint(kernel));
    const p = twin(loaded, process.pid);
    expect(p === process).toBe(false);
    expect(new Uint32Array(p.readMemory(heap, 4).buffer)[0]).toBe(0x1234_5678);
    expect(p.getWriteWatch(watched, 0x4000)).toEqual([watched + PG]);
    expect(p.modules().map((m) => [m.name, m.base])).toEqual(process.modules().map((m) => [m.name, m.base]));
    expect(p.virtualQuery(view)).toEqual(process.virtualQuery(view));
    expect(loaded.cpus.map((cpu) => cpu.mmu.cycles)).toEqual(kernel.cpus.map((cpu) => cpu.mmu.cycles));
    expect(loaded.snapshots).toEqual([]);
  });

  it('behaves the same from there on: the same calls on both give the same results, faults and counters', () => {
    const { kernel, process, child, heap, handle } = busyKernel();
    const loaded = Kernel.loadState(kernel.saveState());
    for (const k of [kernel, loaded]) {
      const p = twin(k, process.pid);
      const cpu = k.run(0, p);
      cpu.mmu.write32(heap + 4 * PG, 5); // a demand-zero fault
      cpu.mmu.read32(heap + 3 * PG);
      const c = twin(k, child.pid);
      c.writeMemory(heap, new Uint8Array([1])); // a copy-on-write fault in the child
      const grandchild = c.fork();
      grandchild.virtualAlloc(0, 0x10000, MEM_RESERVE, PAGE_READWRITE);
      p.mapViewOfSection(handle, { access: FILE_MAP_WRITE }); // the same handle value names the same section
      loadLibrary(p, 'exporter64.dll', resolver); // already loaded: a reference more
      p.virtualFree(heap, 0, MEM_RELEASE);
      expect(() => cpu.mmu.read32(heap)).toThrow();
    }
    expect(fingerprint(loaded)).toEqual(fingerprint(kernel));
    expect(sameBytes(loaded.saveState(), kernel.saveState())).toBe(true);
    expect(verify(loaded)).toEqual([]);
  });

  it('names and image sections carry over: a name opens the loaded section, an image file maps the loaded image section', () => {
    const { kernel, process } = busyKernel();
    const loaded = Kernel.loadState(kernel.saveState());
    const p = twin(loaded, process.pid);
    const opened = p.openFileMapping(FILE_MAP_WRITE, false, 'shared');
    const section = loaded.sections().find((s) => s.name?.endsWith('\\shared') === true);
    expect(section?.id).toBe(kernel.sections().find((s) => s.name?.endsWith('\\shared') === true)?.id);
    expect(p.handles.get(opened)?.object === section).toBe(true);
    // The image file as the loaded kernel holds it: mapping it again shares the loaded image section (one per file).
    const image = loaded.sections().find((s) => s.image !== null && s.file !== null)!;
    expect(loaded.createImageSection(image.file!) === image).toBe(true);
  });

  it('saves an open snapshot as it was taken: the same bytes as a save right after a restore to it', () => {
    const { kernel, process, heap } = busyKernel();
    const snapshot = kernel.snapshot();
    const before = fingerprint(kernel);
    process.writeMemory(heap, new Uint8Array([0xee]));
    process.fork().exit();
    process.virtualAlloc(0, 0x20000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    const saved = kernel.saveState(snapshot);
    const loaded = Kernel.loadState(saved);
    expect(fingerprint(loaded)).toEqual(before);
    kernel.restore(snapshot);
    expect(sameBytes(kernel.saveState(), saved)).toBe(true);
    expect(verify(loaded)).toEqual([]);
  });

  it('random operations with saves and loads interleaved: every load equals what was saved (property)', () => {
    const op = fc.record({ kind: fc.constantFrom(...KERNEL_OPS, 'snapshot' as const, 'load' as const, 'loadSnapshot' as const), n: fc.nat(1000) });
    fc.assert(
      fc.property(fc.array(op, { minLength: 5, maxLength: 30 }), (ops) => {
        let { kernel } = boot();
        const first = kernel.processes()[0].pid;
        let snapshots: Array<{ snapshot: ReturnType<Kernel['snapshot']>; print: ReturnType<typeof fingerprint> }> = [];
        for (const { kind, n } of ops) {
          if (kind === 'snapshot') {
            if (snapshots.length < 3) snapshots.push({ print: fingerprint(kernel), snapshot: kernel.snapshot() });
          } else if (kind === 'load') {
            const print = fingerprint(kernel);
            kernel = Kernel.loadState(kernel.saveState());
            snapshots = []; // a loaded kernel has none
            expect(fingerprint(kernel)).toEqual(print);
          } else if (kind === 'loadSnapshot') {
            if (snapshots.length > 0) {
              const { snapshot, print } = snapshots[n % snapshots.length];
              kernel = Kernel.loadState(kernel.saveState(snapshot));
              snapshots = [];
              expect(fingerprint(kernel)).toEqual(print);
            }
          } else applyKernelOp(kernel, kind, n, first);
          expect(verify(kernel)).toEqual([]);
        }
      }),
      { numRuns: 25 },
    );
  });

  it('refuses what is not a saved kernel, with the reason, and makes no kernel', () => {
    const { kernel } = busyKernel();
    const saved = kernel.saveState();
    expect(reasonOf(() => Kernel.loadState(new Uint8Array(0)))).toBe('not-a-saved-state');
    expect(reasonOf(() => Kernel.loadState(new TextEncoder().encode('{"not": "a saved state"}')))).toBe('not-a-saved-state');
    expect(reasonOf(() => Kernel.loadState('MMUKIT' as never))).toBe('not-a-saved-state');
    const future = saved.slice();
    new DataView(future.buffer).setUint32(8, SAVED_STATE_VERSION + 1, true);
    expect(reasonOf(() => Kernel.loadState(future))).toBe('version');
    const flipped = saved.slice();
    flipped[saved.length >> 1] ^= 0x10;
    expect(reasonOf(() => Kernel.loadState(flipped))).toBe('corrupt');
    expect(reasonOf(() => Kernel.loadState(saved.subarray(0, saved.length - 100)))).toBe('corrupt');
    expect(reasonOf(() => Kernel.loadState(resealed(saved.subarray(0, saved.length - 100))))).toBe('corrupt');
    const memory = new PhysicalMemory({ size: 1 << 20 });
    const machine = new MachineSnapshots({ memory });
    expect(reasonOf(() => Kernel.loadState(machine.save()))).toBe('mismatch');
    expect(reasonOf(() => machine.load(saved))).toBe('mismatch');
  });

  it('a damaged blob whose checksum was made to match fails as a SavedStateError, never as another error (property)', () => {
    const { kernel } = busyKernel();
    const saved = kernel.saveState();
    fc.assert(
      fc.property(fc.array(fc.record({ at: fc.nat(saved.length - 17), xor: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 3 }), (damage) => {
        const bytes = saved.slice();
        for (const { at, xor } of damage) bytes[16 + at] ^= xor;
        let loaded: Kernel;
        try {
          loaded = Kernel.loadState(resealed(bytes));
        } catch (e) {
          expect(e).toBeInstanceOf(SavedStateError);
          return;
        }
        expect(loaded).toBeInstanceOf(Kernel); // damage in RAM bytes or a counter is not detectable without the checksum
      }),
      { numRuns: 60 },
    );
  });

  it('checks its arguments', () => {
    const { kernel } = busyKernel();
    const other = boot().kernel.snapshot();
    expect(() => kernel.saveState(other)).toThrow(InvalidArgumentError);
    const mine = kernel.snapshot();
    kernel.discardSnapshot(mine);
    expect(() => kernel.saveState(mine)).toThrow(InvalidArgumentError);
    expect(() => kernel.saveState({} as never)).toThrow(InvalidArgumentError);
  });
});

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
