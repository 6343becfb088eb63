// Process and thread handles (issue 16): OpenProcess / OpenThread and their NT calls, the pseudo-handles,
// the Ex calls and the NT memory calls through a process handle (B22), the rights each call needs, handles to
// processes that exited, DuplicateHandle between processes through process handles, CreateRemoteThread, and
// the client ids. boot() checks verify() (handle counts, client ids) after every test.
import { describe, expect, it } from 'vitest';
import {
  CURRENT_PROCESS_HANDLE,
  CURRENT_THREAD_HANDLE,
  DUPLICATE_CLOSE_SOURCE,
  DUPLICATE_SAME_ACCESS,
  ERROR_ACCESS_DENIED,
  ERROR_INVALID_HANDLE,
  ERROR_INVALID_PARAMETER,
  ERROR_PARTIAL_COPY,
  FILE_MAP_WRITE,
  GENERIC_ALL,
  GENERIC_EXECUTE,
  GENERIC_READ,
  GENERIC_WRITE,
  HANDLE_FLAG_INHERIT,
  HANDLE_FLAG_PROTECT_FROM_CLOSE,
  INVALID_HANDLE_VALUE,
  MAP_PROCESS,
  MEM_COMMIT,
  MEM_FREE,
  MEM_RELEASE,
  MEM_RESERVE,
  MemoryInformationClass,
  OBJ_INHERIT,
  PAGE_READONLY,
  PAGE_READWRITE,
  PROCESS_ALL_ACCESS,
  PROCESS_CREATE_THREAD,
  PROCESS_DUP_HANDLE,
  PROCESS_QUERY_INFORMATION,
  PROCESS_QUERY_LIMITED_INFORMATION,
  PROCESS_TERMINATE,
  PROCESS_VM_OPERATION,
  PROCESS_VM_READ,
  PROCESS_VM_WRITE,
  CREATE_REMOTE_THREAD_ACCESS,
  SECTION_MAP_READ,
  STATUS_ACCESS_DENIED,
  STATUS_INVALID_CID,
  STATUS_INVALID_HANDLE,
  STATUS_NOT_MAPPED_VIEW,
  STATUS_OBJECT_TYPE_MISMATCH,
  STATUS_PROCESS_IS_TERMINATING,
  STATUS_SUCCESS,
  SYNCHRONIZE,
  THREAD_ALL_ACCESS,
  THREAD_QUERY_INFORMATION,
  THREAD_QUERY_LIMITED_INFORMATION,
  THREAD_TERMINATE,
  WindowsError,
  verify,
  type Kernel,
} from '../../src/index.js';
import { boot, expectWin32 } from './helpers.js';

const PG = 0x1000;

/** What a failed call must leave alone: every process's regions and handles, the commit, the client ids. */
function state(kernel: Kernel) {
  return {
    regions: kernel.processes().map((p) => [...p.regions].map((a) => [a.base, a.size, [...a.committed].join('')])),
    committed: kernel.committed,
    handles: kernel.processes().map((p) => [...p.handles.entries()].map(([h, e]) => [h, e.access, e.attributes])),
  };
}

function twoProcesses() {
  const booted = boot();
  const caller = booted.process;
  const target = booted.kernel.createProcess();
  return { ...booted, caller, target };
}

describe('OpenProcess and NtOpenProcess (ntdll test_process; kernel32 test_OpenProcess)', () => {
  it('opens a process by id with the access asked for; the same process through any number of handles', () => {
    const { caller, target } = twoProcesses();
    const a = caller.openProcess(PROCESS_VM_READ, false, target.pid);
    const b = caller.openProcess(PROCESS_VM_READ, true, target.pid);
    expect(a).not.toBe(b);
    expect(caller.handles.get(a)!.object).toBe(target);
    expect(caller.handles.get(a)!.access).toBe(PROCESS_VM_READ);
    expect(caller.getHandleInformation(b)).toBe(HANDLE_FLAG_INHERIT);
    expect(target.handleCount).toBe(2);
  });

  it('maps GENERIC_* through the Process type (ntdll test_object_types) and grants the limited query right with the full one', () => {
    const { caller, target } = twoProcesses();
    const access = (desired: number) => caller.handles.get(caller.openProcess(desired, false, target.pid))!.access;
    expect(access(GENERIC_READ)).toBe(0x20410 | PROCESS_QUERY_LIMITED_INFORMATION);
    expect(access(GENERIC_WRITE)).toBe(0x20bea);
    expect(access(GENERIC_EXECUTE)).toBe(0x121001);
    expect(access(GENERIC_ALL)).toBe(PROCESS_ALL_ACCESS);
    expect(access(PROCESS_QUERY_INFORMATION)).toBe(PROCESS_QUERY_INFORMATION | PROCESS_QUERY_LIMITED_INFORMATION);
    expect(access(0x0200_0000 | PROCESS_TERMINATE)).toBe(PROCESS_TERMINATE); // bits outside the valid mask are dropped
  });

  it('an id no process has (0, unknown, a thread id) → ERROR_INVALID_PARAMETER (STATUS_INVALID_CID), nothing made', () => {
    const { kernel, caller } = twoProcesses();
    const thread = caller.createThread();
    const before = state(kernel);
    for (const id of [0, 999, thread.id]) {
      expectWin32(() => caller.openProcess(PROCESS_VM_READ, false, id), ERROR_INVALID_PARAMETER, STATUS_INVALID_CID);
      expect(caller.ntOpenProcess(PROCESS_VM_READ, id)).toEqual({ status: STATUS_INVALID_CID, handle: 0 });
    }
    expect(state(kernel)).toEqual(before);
  });

  it('NtOpenProcess returns the handle with its status; OBJ_INHERIT makes it inheritable', () => {
    const { caller, target } = twoProcesses();
    const { status, handle } = caller.ntOpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, target.pid, OBJ_INHERIT);
    expect(status).toBe(STATUS_SUCCESS);
    expect(caller.getProcessId(handle)).toBe(target.pid);
    expect(caller.getHandleInformation(handle)).toBe(HANDLE_FLAG_INHERIT);
  });
});

describe('the Ex calls through a process handle (B22)', () => {
  it('VirtualAllocEx, VirtualProtectEx, VirtualQueryEx, VirtualFreeEx work on the target exactly as the plain calls on it', () => {
    const { caller, target } = twoProcesses();
    const h = caller.openProcess(PROCESS_ALL_ACCESS, false, target.pid);
    const base = caller.virtualAllocEx(h, 0, 0x3000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    expect(target.virtualQuery(base).regionSize).toBe(0x3000);
    expect(caller.virtualQuery(base).state).toBe(MEM_FREE); // not in the caller
    expect(caller.virtualProtectEx(h, base + PG, 1, PAGE_READONLY)).toBe(PAGE_READWRITE);
    expect(caller.virtualQueryEx(h, base + PG)).toEqual(target.virtualQuery(base + PG));
    caller.writeProcessMemory(h, base, new Uint8Array([1, 2, 3]));
    expect([...caller.readProcessMemory(h, base, 3)]).toEqual([1, 2, 3]);
    expect([...target.readMemory(base, 3)]).toEqual([1, 2, 3]);
    caller.virtualFreeEx(h, base, 0, MEM_RELEASE);
    expect(target.virtualQuery(base).state).toBe(MEM_FREE);
  });

  it('CURRENT_PROCESS_HANDLE is the caller itself, with every right', () => {
    const { caller } = twoProcesses();
    const base = caller.virtualAllocEx(CURRENT_PROCESS_HANDLE, 0, PG, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    expect(caller.virtualQuery(base).regionSize).toBe(PG);
    expect(caller.getProcessId(CURRENT_PROCESS_HANDLE)).toBe(caller.pid);
  });

  it('a NULL, closed or made-up handle → ERROR_INVALID_HANDLE (STATUS_INVALID_HANDLE); a section or the thread pseudo-handle → STATUS_OBJECT_TYPE_MISMATCH; nothing changes', () => {
    const { kernel, caller, target } = twoProcesses();
    const section = caller.createFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, PG).handle;
    const closed = caller.openProcess(PROCESS_ALL_ACCESS, false, target.pid);
    caller.closeHandle(closed);
    kernel.runThread(0, caller.createThread());
    const before = state(kernel);
    for (const h of [0, closed, 0x1234]) {
      expectWin32(() => caller.virtualAllocEx(h, 0, PG, MEM_RESERVE, PAGE_READWRITE), ERROR_INVALID_HANDLE, STATUS_INVALID_HANDLE);
      expectWin32(() => caller.virtualFreeEx(h, 0x10000, 0, MEM_RELEASE), ERROR_INVALID_HANDLE, STATUS_INVALID_HANDLE);
    }
    for (const h of [section, CURRENT_THREAD_HANDLE]) {
      expectWin32(() => caller.virtualAllocEx(h, 0, PG, MEM_RESERVE, PAGE_READWRITE), ERROR_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH);
      expect(caller.ntAllocateVirtualMemory(0, PG, MEM_RESERVE, PAGE_READWRITE, 0, h).status).toBe(STATUS_OBJECT_TYPE_MISMATCH);
    }
    expect(state(kernel)).toEqual(before);
  });

  it('each call needs its right (kernel32 test_OpenProcess): ERROR_ACCESS_DENIED (STATUS_ACCESS_DENIED) without it', () => {
    const { kernel, caller, target } = twoProcesses();
    const base = target.virtualAlloc(0, PG, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    const only = (right: number) => caller.openProcess(right, false, target.pid);
    const query = only(PROCESS_QUERY_INFORMATION);
    const limited = only(PROCESS_QUERY_LIMITED_INFORMATION);
    const operation = only(PROCESS_VM_OPERATION);
    const read = only(PROCESS_VM_READ);
    const write = only(PROCESS_VM_WRITE);
    const before = state(kernel);
    for (const h of [query, limited, read, write]) {
      expectWin32(() => caller.virtualAllocEx(h, 0, PG, MEM_RESERVE, PAGE_READWRITE), ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED);
      expectWin32(() => caller.virtualFreeEx(h, base, 0, MEM_RELEASE), ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED);
      expectWin32(() => caller.virtualProtectEx(h, base, PG, PAGE_READONLY), ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED);
    }
    // VirtualQueryEx: the limited right is enough on Windows 8 and later; PROCESS_VM_OPERATION alone is not.
    expect(caller.virtualQueryEx(limited, base).state).toBe(MEM_COMMIT);
    expect(caller.virtualQueryEx(query, base).state).toBe(MEM_COMMIT);
    expectWin32(() => caller.virtualQueryEx(operation, base), ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED);
    // ReadProcessMemory: PROCESS_VM_READ only.
    expectWin32(() => caller.readProcessMemory(operation, base, 4), ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED);
    expect(caller.readProcessMemory(read, base, 4)).toHaveLength(4);
    // WriteProcessMemory: PROCESS_VM_WRITE and PROCESS_VM_OPERATION; NtWriteVirtualMemory: PROCESS_VM_WRITE.
    expectWin32(() => caller.writeProcessMemory(write, base, new Uint8Array(4)), ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED);
    expectWin32(() => caller.writeProcessMemory(operation, base, new Uint8Array(4)), ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED);
    expect(caller.ntWriteVirtualMemory(base, new Uint8Array([9]), write)).toEqual({ status: STATUS_SUCCESS, bytes: 1 });
    expect(caller.ntWriteVirtualMemory(base, new Uint8Array([9]), read)).toEqual({ status: STATUS_ACCESS_DENIED, bytes: 0 });
    expect(caller.ntReadVirtualMemory(base, new Uint8Array(1), write)).toEqual({ status: STATUS_ACCESS_DENIED, bytes: 0 });
    expect(state(kernel)).toEqual(before);
  });

  it('0 bytes read or written succeed without looking at the handle (NtReadVirtualMemory; kernel32 test_VirtualAllocEx "0 length")', () => {
    const { caller } = twoProcesses();
    expect(caller.readProcessMemory(0xdead0, 0x10000, 0)).toHaveLength(0);
    caller.writeProcessMemory(0, 0x10000, new Uint8Array(0));
    expect(caller.ntReadVirtualMemory(0x10000, new Uint8Array(0), 0)).toEqual({ status: STATUS_SUCCESS, bytes: 0 });
    expect(caller.ntWriteVirtualMemory(0x10000, new Uint8Array(0), 0)).toEqual({ status: STATUS_SUCCESS, bytes: 0 });
    expectWin32(() => caller.readProcessMemory(0, 0x10000, 1), ERROR_INVALID_HANDLE, STATUS_INVALID_HANDLE);
  });

  it('the arguments are checked before the handle, as the plain calls check them before their process', () => {
    const { caller } = twoProcesses();
    // size 0 (B1) wins over a NULL handle; so does MEM_RELEASE with a size (B41).
    expectWin32(() => caller.virtualAllocEx(0, 0, 0, MEM_RESERVE, PAGE_READWRITE), ERROR_INVALID_PARAMETER);
    expectWin32(() => caller.virtualFreeEx(0, 0x10000, PG, MEM_RELEASE), ERROR_INVALID_PARAMETER);
    expect(caller.ntAllocateVirtualMemory(0, PG, MEM_RESERVE, PAGE_READWRITE, 0, 0).status).toBe(STATUS_INVALID_HANDLE);
  });
});

describe('the NT memory calls take a process handle last', () => {
  it('every one of them works on the target and reports a bad handle as its status', () => {
    const { caller, target } = twoProcesses();
    const h = caller.openProcess(PROCESS_ALL_ACCESS, false, target.pid);
    const alloc = caller.ntAllocateVirtualMemory(0, 0x2000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE, 0, h);
    expect(alloc.status).toBe(STATUS_SUCCESS);
    expect(target.virtualQuery(alloc.base).regionSize).toBe(0x2000);
    expect(caller.ntProtectVirtualMemory(alloc.base, PG, PAGE_READONLY, h).oldProtect).toBe(PAGE_READWRITE);
    expect(caller.ntQueryVirtualMemory(alloc.base, MemoryInformationClass.MemoryRegionInformation, h).info?.regionSize).toBe(0x2000);
    expect(caller.ntWriteVirtualMemory(alloc.base + PG, new Uint8Array([7]), h)).toEqual({ status: STATUS_SUCCESS, bytes: 1 });
    const into = new Uint8Array(1);
    expect(caller.ntReadVirtualMemory(alloc.base + PG, into, h)).toEqual({ status: STATUS_SUCCESS, bytes: 1 });
    expect(into[0]).toBe(7);
    expect(caller.ntLockVirtualMemory(alloc.base, PG, MAP_PROCESS, h).status).toBe(STATUS_SUCCESS);
    expect(caller.ntUnlockVirtualMemory(alloc.base, PG, MAP_PROCESS, h).status).toBe(STATUS_SUCCESS);
    expect(caller.ntFreeVirtualMemory(alloc.base, 0, MEM_RELEASE, h).status).toBe(STATUS_SUCCESS);
    expect(target.virtualQuery(alloc.base).state).toBe(MEM_FREE);
    // A bad handle: the status, the outputs as passed.
    expect(caller.ntAllocateVirtualMemory(0, PG, MEM_RESERVE, PAGE_READWRITE, 0, 0x44)).toEqual({ status: STATUS_INVALID_HANDLE, base: 0, size: PG });
    expect(caller.ntProtectVirtualMemory(0x10000, PG, PAGE_READONLY, 0x44)).toEqual({ status: STATUS_INVALID_HANDLE, base: 0x10000, size: PG, oldProtect: undefined });
    expect(caller.ntQueryVirtualMemory(0x10000, MemoryInformationClass.MemoryBasicInformation, 0x44)).toEqual({ status: STATUS_INVALID_HANDLE, info: undefined });
    expect(caller.ntFlushVirtualMemory(0x10000, PG, 0x44).status).toBe(STATUS_INVALID_HANDLE);
    expect(caller.ntLockVirtualMemory(0x10000, PG, MAP_PROCESS, 0x44).status).toBe(STATUS_INVALID_HANDLE);
    expect(caller.ntUnmapViewOfSection(0x10000, 0x44)).toBe(STATUS_INVALID_HANDLE);
  });

  it('NtMapViewOfSection maps into the target; the process handle is looked at before the section handle', () => {
    const { caller, target } = twoProcesses();
    const section = caller.createFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, PG).handle;
    const h = caller.openProcess(PROCESS_VM_OPERATION, false, target.pid);
    const view = caller.ntMapViewOfSection(section, { protect: PAGE_READWRITE }, h);
    expect(view.status).toBe(STATUS_SUCCESS);
    expect(target.virtualQuery(view.base).allocationBase).toBe(view.base);
    target.writeMemory(view.base, new Uint8Array([5]));
    const mine = caller.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    expect(caller.readMemory(mine, 1)[0]).toBe(5); // one section, seen from both
    // Both handles bad: the process's failure is the one reported.
    expect(caller.ntMapViewOfSection(0x1230, { protect: PAGE_READWRITE }, 0).status).toBe(STATUS_INVALID_HANDLE);
    const readOnly = caller.openProcess(PROCESS_VM_READ, false, target.pid);
    expect(caller.ntMapViewOfSection(0x1230, { protect: PAGE_READWRITE }, readOnly).status).toBe(STATUS_ACCESS_DENIED);
    expect(caller.ntUnmapViewOfSection(view.base, readOnly)).toBe(STATUS_ACCESS_DENIED);
    expect(caller.ntUnmapViewOfSection(view.base, h)).toBe(STATUS_SUCCESS);
    expect(target.virtualQuery(view.base).state).toBe(MEM_FREE);
    // An address past user space is no view, before the handle is looked at.
    expect(caller.ntUnmapViewOfSection(2 ** 47, 0)).toBe(STATUS_NOT_MAPPED_VIEW);
  });
});

describe('a handle to a process that exited', () => {
  it('stays open; memory calls through it fail with STATUS_PROCESS_IS_TERMINATING (ERROR_ACCESS_DENIED); GetProcessId still answers', () => {
    const { kernel, caller, target } = twoProcesses();
    const h = caller.openProcess(PROCESS_ALL_ACCESS, false, target.pid);
    target.exit();
    expectWin32(() => caller.virtualAllocEx(h, 0, PG, MEM_RESERVE, PAGE_READWRITE), ERROR_ACCESS_DENIED, STATUS_PROCESS_IS_TERMINATING);
    expectWin32(() => caller.readProcessMemory(h, 0x10000, 4), ERROR_ACCESS_DENIED, STATUS_PROCESS_IS_TERMINATING);
    expect(caller.ntQueryVirtualMemory(0x10000, MemoryInformationClass.MemoryBasicInformation, h).status).toBe(STATUS_PROCESS_IS_TERMINATING);
    expect(caller.getProcessId(h)).toBe(target.pid);
    expect(verify(kernel)).toEqual([]);
  });

  it('is known by its id while a handle is open, and OpenProcess of it fails once the last one closes', () => {
    const { caller, target } = twoProcesses();
    const h = caller.openProcess(PROCESS_QUERY_LIMITED_INFORMATION, false, target.pid);
    target.exit();
    const again = caller.openProcess(PROCESS_QUERY_LIMITED_INFORMATION, false, target.pid);
    caller.closeHandle(h);
    caller.closeHandle(again);
    expectWin32(() => caller.openProcess(PROCESS_QUERY_LIMITED_INFORMATION, false, target.pid), ERROR_INVALID_PARAMETER, STATUS_INVALID_CID);
  });

  it('the handles an exiting process holds are closed, so the processes they named may go', () => {
    const { caller, target } = twoProcesses();
    const third = caller.kernel.createProcess();
    target.openProcess(PROCESS_ALL_ACCESS, false, third.pid);
    third.exit();
    expect(caller.openProcess(PROCESS_TERMINATE, false, third.pid)).toBeGreaterThan(0);
    caller.closeHandle(caller.openProcess(PROCESS_TERMINATE, false, third.pid));
    target.exit(); // closes its handle to third
    const handles = [...caller.handles.entries()].filter(([, e]) => e.object === third);
    for (const [value] of handles) caller.closeHandle(value);
    expectWin32(() => caller.openProcess(PROCESS_TERMINATE, false, third.pid), ERROR_INVALID_PARAMETER, STATUS_INVALID_CID);
  });
});

describe('DuplicateHandle through process handles (ntdll test_duplicate_object; kernel32 test_DuplicateHandle)', () => {
  it('a broker copies a handle out of one process into another; each process handle needs PROCESS_DUP_HANDLE', () => {
    const { kernel, caller: broker, target: worker } = twoProcesses();
    const client = kernel.createProcess();
    const section = worker.createFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, PG).handle;
    const hWorker = broker.openProcess(PROCESS_DUP_HANDLE, false, worker.pid);
    const hClient = broker.openProcess(PROCESS_DUP_HANDLE, false, client.pid);
    const copied = broker.duplicateHandle(section, hClient, SECTION_MAP_READ, false, 0, hWorker);
    expect(client.handles.get(copied)!.object).toBe(worker.handles.get(section)!.object);
    expect(client.handles.get(copied)!.access).toBe(SECTION_MAP_READ);
    const noDup = broker.openProcess(PROCESS_VM_READ, false, client.pid);
    const before = state(kernel);
    expectWin32(() => broker.duplicateHandle(section, noDup, 0, false, DUPLICATE_SAME_ACCESS, hWorker), ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED);
    expectWin32(() => broker.duplicateHandle(section, hClient, 0, false, DUPLICATE_SAME_ACCESS, noDup), ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED);
    expect(broker.ntDuplicateObject(section, hClient, 0, 0, DUPLICATE_SAME_ACCESS, 0x444)).toEqual({ status: STATUS_INVALID_HANDLE, handle: 0 });
    expect(state(kernel)).toEqual(before);
  });

  it('a target that fails still lets DUPLICATE_CLOSE_SOURCE close the source ("regardless of any error status")', () => {
    const { caller } = twoProcesses();
    const section = caller.createFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, PG).handle;
    expectWin32(() => caller.duplicateHandle(section, 0x888, 0, false, DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE), ERROR_INVALID_HANDLE, STATUS_INVALID_HANDLE);
    expect(caller.handles.get(section)).toBeUndefined();
  });

  it('a pseudo-handle duplicates into a real handle to the process or thread it stands for, with every right; it is never closed', () => {
    const { kernel, caller, target } = twoProcesses();
    const thread = caller.createThread();
    kernel.runThread(0, thread);
    const self = caller.duplicateHandle(CURRENT_PROCESS_HANDLE, CURRENT_PROCESS_HANDLE, 0, false, DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE);
    expect(caller.handles.get(self)!.object).toBe(caller);
    expect([caller.handles.get(self)!.access, caller.handles.get(self)!.attributes]).toEqual([PROCESS_ALL_ACCESS, 0]);
    const me = caller.duplicateHandle(CURRENT_THREAD_HANDLE, CURRENT_PROCESS_HANDLE, 0, true, DUPLICATE_SAME_ACCESS);
    expect(caller.handles.get(me)!.object).toBe(thread);
    expect([caller.handles.get(me)!.access, caller.handles.get(me)!.attributes]).toEqual([THREAD_ALL_ACCESS, HANDLE_FLAG_INHERIT]);
    // Another process's GetCurrentProcess(), read from its side, is that process.
    const hTarget = caller.openProcess(PROCESS_DUP_HANDLE, false, target.pid);
    const other = caller.duplicateHandle(CURRENT_PROCESS_HANDLE, CURRENT_PROCESS_HANDLE, PROCESS_QUERY_LIMITED_INFORMATION, false, 0, hTarget);
    expect(caller.getProcessId(other)).toBe(target.pid);
    expect(caller.handles.get(other)!.access).toBe(PROCESS_QUERY_LIMITED_INFORMATION);
    expect(caller.ntClose(CURRENT_PROCESS_HANDLE)).toBe(STATUS_SUCCESS);
    expect(caller.ntClose(CURRENT_THREAD_HANDLE)).toBe(STATUS_SUCCESS);
  });
});

describe('threads behind handles', () => {
  it('CreateRemoteThread makes a thread in the target and a THREAD_ALL_ACCESS handle in the caller; CreateThread is it on the current process', () => {
    const { caller, target } = twoProcesses();
    const h = caller.openProcess(CREATE_REMOTE_THREAD_ACCESS, false, target.pid);
    const { thread, handle } = caller.createRemoteThread(h, { stackSize: 0x3f00 });
    expect(thread.process).toBe(target);
    expect(target.threads().length === 1 && target.threads()[0] === thread).toBe(true);
    expect(caller.handles.get(handle)!.object).toBe(thread);
    expect(caller.handles.get(handle)!.access).toBe(THREAD_ALL_ACCESS);
    expect(caller.getThreadId(handle)).toBe(thread.id);
    expect(caller.getProcessIdOfThread(handle)).toBe(target.pid);
    const own = caller.createRemoteThread(CURRENT_PROCESS_HANDLE);
    expect(own.thread.process).toBe(caller);
    caller.closeHandle(own.handle);
    expect(own.thread.exited).toBe(false); // a handle is not the thread
  });

  it('CreateRemoteThread needs PROCESS_CREATE_THREAD and the memory rights; nothing is made without them', () => {
    const { kernel, caller, target } = twoProcesses();
    const h = caller.openProcess(PROCESS_CREATE_THREAD, false, target.pid);
    const before = state(kernel);
    expectWin32(() => caller.createRemoteThread(h), ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED);
    expect(target.threads()).toHaveLength(0);
    expect(state(kernel)).toEqual(before);
  });

  it('OpenThread by id; GetCurrentThread() is the thread Kernel.runThread last ran in the process', () => {
    const { kernel, caller, target } = twoProcesses();
    const t = target.createThread();
    const h = caller.openThread(THREAD_QUERY_INFORMATION, false, t.id);
    expect(caller.handles.get(h)!.access).toBe(THREAD_QUERY_INFORMATION | THREAD_QUERY_LIMITED_INFORMATION);
    expect(caller.getProcessIdOfThread(h)).toBe(target.pid);
    expectWin32(() => caller.getThreadId(CURRENT_THREAD_HANDLE), ERROR_INVALID_HANDLE, STATUS_INVALID_HANDLE); // no current thread yet
    const mine = caller.createThread();
    kernel.runThread(0, mine);
    expect(caller.currentThread).toBe(mine);
    expect(caller.getThreadId(CURRENT_THREAD_HANDLE)).toBe(mine.id);
    expectWin32(() => caller.openThread(THREAD_TERMINATE, false, target.pid), ERROR_INVALID_PARAMETER, STATUS_INVALID_CID); // a process id
    expect(caller.ntOpenThread(THREAD_TERMINATE, 12345)).toEqual({ status: STATUS_INVALID_CID, handle: 0 });
    const limited = caller.openThread(SYNCHRONIZE, false, t.id);
    expectWin32(() => caller.getThreadId(limited), ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED);
    expectWin32(() => caller.getProcessId(h), ERROR_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH); // a thread is not a process
  });

  it('an exited thread stays known by its id while a handle is open', () => {
    const { caller } = twoProcesses();
    const t = caller.createThread();
    const h = caller.openThread(THREAD_QUERY_LIMITED_INFORMATION, false, t.id);
    t.exit();
    expect(caller.getThreadId(h)).toBe(t.id);
    const again = caller.openThread(THREAD_QUERY_LIMITED_INFORMATION, false, t.id);
    caller.closeHandle(h);
    caller.closeHandle(again);
    expectWin32(() => caller.openThread(THREAD_QUERY_LIMITED_INFORMATION, false, t.id), ERROR_INVALID_PARAMETER, STATUS_INVALID_CID);
  });

  it('process and thread ids come from one sequence, as Windows draws both from one client-id table', () => {
    const { kernel, caller } = twoProcesses();
    const ids = [caller.pid, caller.createThread().id, kernel.createProcess().pid, caller.createThread().id];
    expect(new Set(ids).size).toBe(4);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });
});

describe('inheritance and exit', () => {
  it('fork copies inheritable process and thread handles at the same values; exit closes them', () => {
    const { kernel, caller, target } = twoProcesses();
    const t = target.createThread();
    const hp = caller.openProcess(PROCESS_VM_READ, true, target.pid);
    const ht = caller.openThread(THREAD_TERMINATE, true, t.id);
    const hidden = caller.openProcess(PROCESS_VM_READ, false, target.pid);
    const child = caller.fork();
    expect(child.handles.get(hp)!.object).toBe(target);
    expect(child.handles.get(ht)!.object).toBe(t);
    expect(child.handles.get(hidden)).toBeUndefined();
    expect(target.handleCount).toBe(3);
    child.exit();
    expect(target.handleCount).toBe(2);
    expect(verify(kernel)).toEqual([]);
  });

  it('a process handle protected from close stays open (STATUS_HANDLE_NOT_CLOSABLE) and goes at exit', () => {
    const { caller, target } = twoProcesses();
    const h = caller.openProcess(PROCESS_VM_READ, false, target.pid);
    caller.setHandleInformation(h, HANDLE_FLAG_PROTECT_FROM_CLOSE, HANDLE_FLAG_PROTECT_FROM_CLOSE);
    expect(() => caller.closeHandle(h)).toThrow(WindowsError);
    caller.exit();
    expect(target.handleCount).toBe(0);
  });
});

describe('ReadProcessMemory through a handle keeps the plain call\'s rules', () => {
  it('a range that runs into an inaccessible page → ERROR_PARTIAL_COPY, nothing read (B102)', () => {
    const { caller, target } = twoProcesses();
    const base = target.virtualAlloc(0, 0x2000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    target.virtualProtect(base + PG, PG, 0x01);
    const h = caller.openProcess(PROCESS_VM_READ, false, target.pid);
    expectWin32(() => caller.readProcessMemory(h, base, 0x2000), ERROR_PARTIAL_COPY);
  });
});

describe('verify() checks process and thread handles against the client ids', () => {
  it('reports a handle count that is off, and an exited process whose id outlived its last handle', () => {
    const { kernel, caller, target } = twoProcesses();
    const h = caller.openProcess(PROCESS_VM_READ, false, target.pid);
    target.handleCount++;
    expect(verify(kernel).map((p) => p.message)).toContain(`process ${target.pid} counts 2 handle(s), but 1 refer to it`);
    target.handleCount--;
    target.exit();
    expect(verify(kernel)).toEqual([]);
    caller.handles.remove(h); // behind the kernel's back: the count and the id stay
    expect(verify(kernel).map((p) => p.message)).toContain(`process ${target.pid} counts 1 handle(s), but 0 refer to it`);
    target.handleCount = 0;
    expect(verify(kernel).map((p) => p.message)).toContain(`process ${target.pid} exited with no handle left, but its id is still taken`);
    // Put the handle back and close it properly: the id goes, and boot()'s own check after the test is clean.
    target.handleCount = 1;
    caller.closeHandle(caller.handles.add({ object: target, access: PROCESS_VM_READ, attributes: 0 }));
    expect(verify(kernel)).toEqual([]);
  });
});
