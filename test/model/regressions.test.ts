// Shrunk operation lists that once showed mmukit disagreeing with the reference model,
// kept as plain tests: each must now run through every check of the harness.
import { describe, it } from 'vitest';
import { CONFIGS, type RunConfig } from './configs.js';
import {
  AT_ROUND_TO_PAGE,
  CURRENT_PROCESS_HANDLE,
  CURRENT_THREAD_HANDLE,
  DUPLICATE_SAME_ACCESS,
  FILE_MAP_WRITE,
  MEM_COMMIT,
  MEM_RESERVE,
  MEM_WRITE_WATCH,
  PAGE,
  PAGE_GUARD,
  PAGE_NOACCESS,
  PAGE_READWRITE,
  PAGE_WRITECOPY,
  PROCESS_ALL_ACCESS,
  PROCESS_QUERY_LIMITED_INFORMATION,
  THREAD_ALL_ACCESS,
  THREAD_QUERY_INFORMATION,
} from './model-constants.js';
import type { Op } from './ops.js';
import { runSequence } from './property.js';

const config = (name: string): RunConfig => {
  const found = CONFIGS.find((c) => c.name === name);
  if (found === undefined) throw new Error(`no configuration ${name}`);
  return found;
};

describe('model-based regressions', () => {
  it('a relocated image page reports READWRITE from the load on, not only once touched (B81, B95)', () => {
    // The second load is relocated; its .data page holds fixups, so the loader wrote it: a private
    // copy from then on, reporting PAGE_READWRITE. mmukit reported PAGE_WRITECOPY until first touch.
    const ops: Op[] = [
      { op: 'loadImage', proc: 0, image: 'few32.dll' },
      { op: 'loadImage', proc: 0, image: 'few32.dll' },
    ];
    runSequence(config('x86-64, 1 CPU'), ops);
  });

  it('under ASLR the image header holds the base the kernel relocated the image to (B92, §3.9)', () => {
    // mmukit shared the relocated fixup pages but left OptionalHeader.ImageBase at the preferred base.
    const ops: Op[] = [{ op: 'loadImage', proc: 1, image: 'few32.dll' }];
    runSequence(config('x86-64, 2 CPUs, ASLR'), ops);
  });

  it('under ASLR an image relocated privately (its system-wide base busy) has its header rewritten too (§3.9)', () => {
    // The second load finds the system-wide base taken by the first; the kernel relocates
    // a private copy, header included.
    const ops: Op[] = [
      { op: 'loadImage', proc: 0, image: 'hello32.exe' },
      { op: 'loadImage', proc: 0, image: 'hello32.exe' },
    ];
    runSequence(config('x86-64, 2 CPUs, ASLR'), ops);
  });

  it('PAGE_WRITECOPY commits in an anonymous view, reads back as asked, and copies on write (B69, B78)', () => {
    // mmukit refused the commit with STATUS_INVALID_PAGE_PROTECTION: the private-memory rule (B12)
    // ran before the view was looked up.
    const page0 = { at: 'alloc', index: 0, page: 0, offset: 0 } as const;
    const ops: Op[] = [
      { op: 'createSection', backing: 'reserve', pages: 2, tail: 0, protect: PAGE_READWRITE },
      { op: 'map', proc: 0, section: 0, access: FILE_MAP_WRITE, offset: 0, where: null },
      { op: 'alloc', proc: 0, where: page0, bytes: 0x1000, type: 'commit', protect: PAGE_WRITECOPY, topDown: false },
      { op: 'query', proc: 0, where: page0 },
      { op: 'access', proc: 0, cpu: 0, where: page0, kind: 'write', width: 4 },
      { op: 'query', proc: 0, where: page0 },
    ];
    runSequence(config('x86-64, 1 CPU'), ops);
  });

  // Found by the model (ntRead op): NtReadVirtualMemory of a committed private page that was never
  // touched left the caller's buffer as it was instead of filling it with the page's zeros
  // (copyOut in src/os/memory/process-memory.ts assumed a fresh buffer, true for ReadProcessMemory only).
  it('ntReadVirtualMemory fills the buffer with the zeros of an untouched page (B100)', () => {
    const ops: Op[] = [
      { op: 'alloc', proc: 0, where: null, bytes: 0x1000, type: 'reserve+commit', protect: PAGE_READWRITE, topDown: false },
      { op: 'ntRead', proc: 0, where: { at: 'alloc', index: 0, page: 0, offset: 0 }, bytes: 1, fill: 0xa5 },
    ];
    runSequence(config('x86-64, 1 CPU'), ops);
  });

  it('a malformed protection is refused before the range is looked at (B33)', () => {
    // The range runs past its allocation (B36) and the protection is PAGE_NOACCESS|PAGE_GUARD:
    // mmukit reported the range; the protection comes first.
    const ops: Op[] = [{ op: 'protect', proc: 0, where: { at: 'alloc', index: 0, page: 1000, offset: 0 }, bytes: 0xfff, protect: PAGE_NOACCESS | PAGE_GUARD }];
    runSequence(config('Sv39, 2 CPUs'), ops);
  });

  // Found by the model (ntAlloc op): mmukit returned STATUS_NO_MEMORY, checking whether ZeroBits leave room
  // (2^(32 - 20) = 0x1000 < 0x10000 + 0x1000) before the allocation type. docs/kernel.md ("Which error wins")
  // checks the arguments first and the lack of a free range last: MEM_WRITE_WATCH without MEM_RESERVE is
  // STATUS_INVALID_PARAMETER (B21).
  it('ZeroBits without room do not hide an invalid allocation type (B21, B20)', () => {
    const ops: Op[] = [{ op: 'ntAlloc', proc: 0, where: null, bytes: 0x1000, type: MEM_COMMIT | MEM_WRITE_WATCH, protect: PAGE_READWRITE, zeroBits: 20 }];
    runSequence(config('x86-64, 1 CPU'), ops);
  });

  // Found by the model (ntAlloc op): mmukit returned STATUS_INVALID_PARAMETER_5, checking AT_ROUND_TO_PAGE
  // before the size; size 0 comes first (B1), as in Wine's NtAllocateVirtualMemory.
  it('size 0 is refused before AT_ROUND_TO_PAGE (B1, B16)', () => {
    const ops: Op[] = [{ op: 'ntAlloc', proc: 0, where: null, bytes: 0, type: MEM_RESERVE | MEM_COMMIT | AT_ROUND_TO_PAGE, protect: PAGE_READWRITE, zeroBits: 0 }];
    runSequence(config('x86-64, 1 CPU'), ops);
  });

  // Found by the model (ntMap op): an image section mapped with VIEW_UNMAP was still in the forked child
  // (the image branch of ntMapViewOfSection did not pass the inherit disposition on).
  it('an image view mapped with VIEW_UNMAP is not in a forked child', () => {
    const ops: Op[] = [
      { op: 'ntMap', proc: 0, section: 'few32.dll', protect: 1, where: null, zeroBits: 0, commitSize: 0, offset: 0, viewSize: 0, inheritDisposition: 2, allocationType: 0 },
      { op: 'fork', proc: 0 },
    ];
    runSequence(config('x86-64, 1 CPU'), ops);
  });

  // Found by the model (ntMap op through a handle): a view mapped PAGE_WRITECOPY | PAGE_GUARD was charged
  // no commit (the check compared the whole protection with PAGE_WRITECOPY); B77 charges every copy-on-write view.
  it('a PAGE_WRITECOPY | PAGE_GUARD view is charged commit (B77)', () => {
    const ops: Op[] = [
      { op: 'createSection', backing: 'commit', pages: 1, tail: 0, protect: 0x4 },
      { op: 'ntMap', proc: 0, section: 0, protect: 0x108, zeroBits: 0, inheritDisposition: 1, commitSize: 0, offset: 0, viewSize: 0, allocationType: 0, where: null },
    ];
    runSequence(config('x86-64, 1 CPU'), ops);
  });

  // Not a bug found: the process and thread handle calls in one run, each checked as every step is.
  it('process and thread handles: open, calls through one, pseudo-handles duplicated, threads, an exited target', () => {
    const ops: Op[] = [
      { op: 'openProcess', proc: 0, target: { live: 1 }, access: PROCESS_ALL_ACCESS, inherit: false, nt: false },
      { op: 'alloc', proc: 0, where: null, bytes: 2 * PAGE, type: 'reserve+commit', protect: PAGE_READWRITE, topDown: false, via: { of: 0, exited: false } },
      { op: 'writeMemory', proc: 0, where: { at: 'alloc', index: 0, page: 0, offset: 0 }, words: 8, via: { of: 0, exited: false } },
      { op: 'ntRead', proc: 0, where: { at: 'alloc', index: 0, page: 0, offset: 0 }, bytes: 64, fill: 0xa5, via: { of: 0, exited: false } },
      // GetCurrentProcess() of the second process, as a real handle in the first; GetCurrentThread() before any thread ran.
      { op: 'duplicateVia', proc: 0, source: { of: 0, exited: false }, handle: { value: CURRENT_PROCESS_HANDLE }, target: { pseudo: 'process' }, access: 0, inherit: false, options: DUPLICATE_SAME_ACCESS, nt: false },
      { op: 'duplicateVia', proc: 0, source: { of: 0, exited: false }, handle: { value: CURRENT_THREAD_HANDLE }, target: { pseudo: 'process' }, access: 0, inherit: false, options: DUPLICATE_SAME_ACCESS, nt: true },
      { op: 'createRemoteThread', proc: 0, handle: { of: 0, exited: false }, inherit: true },
      { op: 'runThread', thread: 0, cpu: 0 },
      { op: 'duplicateVia', proc: 0, source: { of: 0, exited: false }, handle: { value: CURRENT_THREAD_HANDLE }, target: { pseudo: 'process' }, access: 0, inherit: false, options: DUPLICATE_SAME_ACCESS, nt: false },
      { op: 'getId', proc: 0, call: 'processOfThread', handle: { of: 1, exited: false } },
      { op: 'query', proc: 1, where: { at: 'alloc', index: 0, page: 0, offset: 0 }, via: { pseudo: 'thread' } },
      { op: 'openThread', proc: 1, target: { live: 0 }, access: THREAD_QUERY_INFORMATION, inherit: false, nt: true },
      { op: 'exitThread', thread: 0, cpu: 0 },
      { op: 'fork', proc: 0 },
      { op: 'exit', proc: 1, held: true },
      { op: 'alloc', proc: 0, where: null, bytes: PAGE, type: 'reserve+commit', protect: PAGE_READWRITE, topDown: false, via: { of: 0, exited: true } },
      { op: 'ntWrite', proc: 0, where: { at: 'alloc', index: 0, page: 0, offset: 0 }, words: 0, via: { of: 0, exited: true } },
      { op: 'openProcess', proc: 0, target: { exited: 0 }, access: PROCESS_QUERY_LIMITED_INFORMATION, inherit: false, nt: true },
      { op: 'getId', proc: 0, call: 'process', handle: { of: 0, exited: true } },
      { op: 'openThread', proc: 0, target: { exited: 0 }, access: THREAD_ALL_ACCESS, inherit: false, nt: false },
      { op: 'openProcess', proc: 0, target: { other: 0 }, access: PROCESS_ALL_ACCESS, inherit: false, nt: false },
    ];
    runSequence(config('x86-64, 1 CPU'), ops);
  });

  // Found by the model (the NT calls through a process handle): NtAllocateVirtualMemory, NtFreeVirtualMemory,
  // NtProtectVirtualMemory, NtQueryVirtualMemory, NtLock/NtUnlockVirtualMemory and NtFlushVirtualMemory looked at the
  // handle before their arguments; docs/kernel.md ("Which error wins": the arguments, then the process, as ReactOS
  // checks them before it references the process) puts the arguments first, as the Ex calls and NtMapViewOfSection do.
  it('an NT memory call through a process handle checks its arguments before the handle', () => {
    const ops: Op[] = [
      { op: 'ntAlloc', proc: 0, where: null, bytes: PAGE, type: MEM_RESERVE | MEM_COMMIT | AT_ROUND_TO_PAGE, protect: PAGE_READWRITE, zeroBits: 0, via: { value: 0x400 } },
      { op: 'ntFree', proc: 0, where: { at: 'fixed', address: 0x10000 }, bytes: 0, freeType: 0, via: { value: 0x400 } },
      { op: 'ntProtect', proc: 0, where: { at: 'fixed', address: 0x10000 }, bytes: PAGE, protect: 0, via: { value: 0x400 } },
      { op: 'ntQuery', proc: 0, where: { at: 'fixed', address: 0x10000 }, infoClass: 42, via: { value: 0x400 } },
      { op: 'ntLock', proc: 0, where: { at: 'fixed', address: 0x10000 }, bytes: PAGE, mapType: 4, via: { value: 0x400 } },
      { op: 'ntFlush', proc: 0, where: { at: 'fixed', address: 0x7fff_fffe_0000 }, bytes: 0x20000, via: { value: 0x400 } },
    ];
    runSequence(config('x86-64, 1 CPU'), ops);
  });

  // Snapshots (issue 17): the paths the snapshot steps take, fixed. The bugs they found are in
  // snapshot-bugs.test.ts.
  it('a restore brings back an exited process and drops the fork, thread, section and view made since', () => {
    const ops: Op[] = [
      { op: 'alloc', proc: 0, where: null, bytes: 2 * PAGE, type: 'reserve+commit', protect: PAGE_READWRITE, topDown: false },
      { op: 'access', proc: 0, cpu: 1, where: { at: 'alloc', index: 0, page: 0, offset: 0 }, kind: 'write', width: 4 },
      { op: 'snapshot' },
      { op: 'access', proc: 0, cpu: 0, where: { at: 'alloc', index: 0, page: 1, offset: 0 }, kind: 'write', width: 8 },
      { op: 'fork', proc: 0 },
      { op: 'run', proc: 2, cpu: 1 },
      { op: 'createRemoteThread', proc: 0, handle: { pseudo: 'process' }, inherit: false },
      { op: 'runThread', thread: 0, cpu: 0 },
      { op: 'createSection', backing: 'file', pages: 3, tail: 0, protect: PAGE_READWRITE },
      { op: 'map', proc: 1, section: 0, access: FILE_MAP_WRITE, offset: 0, where: null },
      { op: 'writeMemory', proc: 1, where: { at: 'alloc', index: 0, page: 0, offset: 0 }, words: 4 },
      { op: 'exit', proc: 0 },
      { op: 'restore', snapshot: -1, twice: false },
      { op: 'access', proc: 0, cpu: 1, where: { at: 'alloc', index: 0, page: 1, offset: 0 }, kind: 'read', width: 8 },
    ];
    runSequence(config('x86-64, 2 CPUs'), ops);
  });

  it('nested snapshots: restoring an older one drops the newer; one restored twice, mmukit alone changed in between', () => {
    const ops: Op[] = [
      { op: 'createSection', backing: 'file', pages: 2, tail: 0, protect: PAGE_READWRITE },
      { op: 'map', proc: 0, section: 0, access: FILE_MAP_WRITE, offset: 0, where: null },
      { op: 'snapshot' },
      { op: 'writeMemory', proc: 0, where: { at: 'alloc', index: 0, page: 0, offset: 0 }, words: 2 },
      { op: 'flush', proc: 0, where: { at: 'alloc', index: 0, page: 0, offset: 0 }, bytes: 0 },
      { op: 'snapshot' },
      { op: 'alloc', proc: 1, where: null, bytes: PAGE, type: 'reserve+commit+watch', protect: PAGE_READWRITE | PAGE_GUARD, topDown: true },
      { op: 'snapshot' },
      { op: 'restore', snapshot: 1, twice: true },
      { op: 'unmap', proc: 0, where: { at: 'alloc', index: 0, page: 0, offset: 0 } },
      { op: 'restore', snapshot: 0, twice: false },
      { op: 'snapshot' },
      { op: 'discardSnapshot', snapshot: 0 },
    ];
    runSequence(config('PAE, 2 CPUs'), ops);
  });
});
