// The harness must catch a kernel that goes wrong: each test breaks mmukit on purpose for
// one short, fixed sequence and expects a readable failure naming what disagreed.
import { afterEach, describe, expect, it } from 'vitest';
import { HANDLE_FLAG_INHERIT, HANDLE_FLAG_PROTECT_FROM_CLOSE, Kernel, PAGE_READONLY, PAGE_READWRITE, Process } from '../../src/index.js';
import { CONFIGS } from './configs.js';
import { SequenceFailure } from './harness.js';
import { foreignMarkers, markers } from './markers.js';
import { ModelProcess } from './model-process.js';
import type { Op } from './ops.js';
import { runSequence } from './property.js';

const config = CONFIGS[0];
const restore: Array<() => void> = [];
afterEach(() => restore.splice(0).forEach((undo) => undo()));

/** Replaces a Process method for the rest of the test. */
function sabotage<K extends 'virtualProtect' | 'readMemory' | 'virtualQuery' | 'closeHandle' | 'setHandleInformation'>(name: K, replacement: (original: Process[K]) => Process[K]): void {
  const original = Process.prototype[name];
  Process.prototype[name] = replacement(original);
  restore.push(() => (Process.prototype[name] = original));
}

function failureOf(ops: Op[]): string {
  try {
    runSequence(config, ops);
  } catch (error) {
    if (error instanceof SequenceFailure) return error.message;
    throw error;
  }
  throw new Error('the sequence passed');
}

const allocate: Op = { op: 'alloc', proc: 0, where: null, bytes: 0x2000, type: 'reserve+commit', protect: PAGE_READWRITE, topDown: false };
const write: Op = { op: 'access', proc: 0, cpu: 0, where: { at: 'alloc', index: 0, page: 0, offset: 8 }, kind: 'write', width: 4 };

describe('the harness catches a broken kernel', () => {
  it('a wrong old protection from VirtualProtect', () => {
    sabotage('virtualProtect', (original) =>
      function (this: Process, address: number, size: number, protect: number) {
        return original.call(this, address, size, protect) === PAGE_READWRITE ? PAGE_READONLY : PAGE_READWRITE;
      },
    );
    const message = failureOf([allocate, { op: 'protect', proc: 0, where: { at: 'alloc', index: 0, page: 0, offset: 0 }, bytes: 0x1000, protect: PAGE_READONLY }]);
    expect(message).toContain('at #1');
    expect(message).toContain('mmukit and the model disagree (0x2 ≠ 0x4)');
    expect(message).toContain('history');
  });

  it('a VirtualQuery that reports another region size', () => {
    sabotage('virtualQuery', (original) =>
      function (this: Process, address: number) {
        const info = original.call(this, address);
        return info.state === 0x1000 ? { ...info, regionSize: info.regionSize + 0x1000 } : info;
      },
    );
    expect(failureOf([allocate])).toMatch(/VirtualQuery\(0x[0-9a-f]+\) in pid 1 disagrees: regionSize: mmukit 0x3000, model 0x2000/);
  });

  it('memory that holds other bytes than were written', () => {
    sabotage('readMemory', (original) =>
      function (this: Process, address: number, length: number) {
        const bytes = original.call(this, address, length);
        if (bytes.length > 8) bytes[8] ^= 0xff;
        return bytes;
      },
    );
    expect(failureOf([allocate, write])).toContain('holds other bytes than the model: bytes differ from offset 0x8');
  });

  it('a reference count verify() finds wrong', () => {
    sabotage('virtualProtect', (original) =>
      function (this: Process, address: number, size: number, protect: number) {
        const old = original.call(this, address, size, protect);
        this.kernel.frames.retain(this.kernel.zeroFrame);
        return old;
      },
    );
    const message = failureOf([allocate, { op: 'protect', proc: 0, where: { at: 'alloc', index: 0, page: 0, offset: 0 }, bytes: 0x1000, protect: PAGE_READONLY }]);
    expect(message).toContain('verify() found 1 problem(s)');
    expect(message).toContain('refcount');
  });

  const mapping: Op = { op: 'createFileMapping', proc: 0, file: null, protect: PAGE_READWRITE, pages: 1, tail: 0, name: 'map', inherit: false };

  it('a CloseHandle that leaves the handle open', () => {
    sabotage('closeHandle', () => function (this: Process) {});
    const message = failureOf([mapping, { op: 'closeHandle', proc: 0, handle: { open: 0, tag: 0 } }]);
    expect(message).toContain('at #1');
    expect(message).toContain('pid 1 holds handles [0x4], the model []');
  });

  it('a SetHandleInformation that sets more than it is asked', () => {
    sabotage('setHandleInformation', (original) =>
      function (this: Process, handle: number, mask: number, flags: number) {
        original.call(this, handle, mask | HANDLE_FLAG_PROTECT_FROM_CLOSE, flags | HANDLE_FLAG_PROTECT_FROM_CLOSE);
      },
    );
    const message = failureOf([mapping, { op: 'setHandleInformation', proc: 0, handle: { open: 0, tag: 0 }, mask: HANDLE_FLAG_INHERIT, flags: HANDLE_FLAG_INHERIT }]);
    expect(message).toContain("handle 0x4 of pid 1 differs from the model's: attributes 0x3 ≠ 0x1");
  });
});

describe('the harness catches a broken load (saveLoad)', () => {
  /** The kernels Kernel.loadState made during the test. */
  const loadedKernels = new WeakSet<Kernel>();
  /** Replaces Kernel.loadState for the rest of the test: the loaded kernel, then `spoil` done to it. */
  function spoilLoad(spoil: (loaded: Kernel) => void = () => {}): void {
    const original = Kernel.loadState;
    Kernel.loadState = (bytes: Uint8Array) => {
      const loaded = original(bytes);
      loadedKernels.add(loaded);
      spoil(loaded);
      return loaded;
    };
    restore.push(() => (Kernel.loadState = original));
  }
  const mapping: Op = { op: 'createFileMapping', proc: 0, file: null, protect: PAGE_READWRITE, pages: 1, tail: 0, name: 'map', inherit: false };

  it('a loaded kernel that lost a handle: its save is not the bytes it was loaded from', () => {
    // (The handle was the section's last reference: its counters differ too, but the save is compared first.)
    spoilLoad((loaded) => loaded.processes()[0].closeHandle(4));
    const message = failureOf([mapping, { op: 'saveLoad', snapshot: null }]);
    expect(message).toContain('at #1');
    expect(message).toContain('Kernel.loadState(bytes).saveState() is not bytes');
  });

  it('a loaded kernel whose processes read wrong: the sequence goes on in it', () => {
    spoilLoad();
    sabotage('readMemory', (original) =>
      function (this: Process, address: number, length: number) {
        const bytes = original.call(this, address, length);
        if (loadedKernels.has(this.kernel) && bytes.length > 8) bytes[8] ^= 0xff;
        return bytes;
      },
    );
    const message = failureOf([allocate, write, { op: 'saveLoad', snapshot: null }]);
    expect(message).toContain('at #2');
    expect(message).toContain('holds other bytes than the model: bytes differ from offset 0x8');
  });
});

describe('write markers', () => {
  it('a process may hold its own markers and those its ancestors wrote before forking it, no others', () => {
    const parent = new ModelProcess(3, 0x7fff_0000);
    const stranger = new ModelProcess(4, 0x7fff_0000);
    const before = markers(parent, 2);
    const child = new ModelProcess(5, 0x7fff_0000);
    child.inheritedMarkers.set(parent.pid, parent.nextMarker);
    const after = markers(parent, 1);
    const own = markers(child, 1);
    const page = new Uint8Array(64);
    page.set(before, 0);
    page.set(own, 8);
    expect(foreignMarkers(child, page, 0x10000)).toEqual([]);
    page.set(after, 16);
    page.set(markers(stranger, 1), 20);
    expect(foreignMarkers(child, page, 0x10000)).toEqual(['marker #2 of pid 3 at 0x10010 in pid 5', 'marker #0 of pid 4 at 0x10014 in pid 5']);
  });
});
