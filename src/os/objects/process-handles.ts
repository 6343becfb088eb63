/**
 * Processes and threads behind handles: OpenProcess / NtOpenProcess, OpenThread / NtOpenThread, the
 * pseudo-handles GetCurrentProcess() and GetCurrentThread(), the check every call that takes a process or
 * thread handle makes (ObReferenceObjectByHandle with the call's access), CreateRemoteThread, and
 * GetProcessId / GetThreadId / GetProcessIdOfThread.
 *
 * Sources:
 * - the rights and the generic mappings of the Process and Thread types: winnt.h, Wine's ntdll tests
 *   (test_object_types, run on Windows); PROCESS_QUERY_INFORMATION grants PROCESS_QUERY_LIMITED_INFORMATION
 *   and THREAD_QUERY_INFORMATION / THREAD_SET_INFORMATION the limited rights (Microsoft's "Process Security
 *   and Access Rights", "Thread Security and Access Rights");
 * - the right each call needs (Microsoft's pages of each call): PROCESS_VM_OPERATION to change an address
 *   space, PROCESS_QUERY_INFORMATION to query it, PROCESS_VM_READ to read, PROCESS_VM_WRITE and
 *   PROCESS_VM_OPERATION for WriteProcessMemory, PROCESS_DUP_HANDLE on both processes of DuplicateHandle,
 *   PROCESS_CREATE_THREAD for CreateRemoteThread;
 * - the failures (the Windows Research Kernel's ObReferenceObjectByHandle and the memory calls): a value
 *   that is not an open handle is STATUS_INVALID_HANDLE, a handle to another type of object (a section, the
 *   thread pseudo-handle) STATUS_OBJECT_TYPE_MISMATCH, both ERROR_INVALID_HANDLE; a missing right
 *   STATUS_ACCESS_DENIED; a process that exited while the handle stayed open STATUS_PROCESS_IS_TERMINATING
 *   (ERROR_ACCESS_DENIED), the address space being gone; an id no object has STATUS_INVALID_CID
 *   (ERROR_INVALID_PARAMETER). B22 pins a NULL process handle: ERROR_INVALID_HANDLE.
 * @module
 */
import {
  ERROR_INVALID_PARAMETER,
  HANDLE_FLAG_INHERIT,
  OBJ_INHERIT,
  PROCESS_CREATE_THREAD,
  PROCESS_QUERY_INFORMATION,
  PROCESS_QUERY_LIMITED_INFORMATION,
  PROCESS_VM_OPERATION,
  PROCESS_VM_READ,
  PROCESS_VM_WRITE,
  STATUS_INVALID_CID,
  STATUS_SUCCESS,
  THREAD_ALL_ACCESS,
  THREAD_QUERY_LIMITED_INFORMATION,
} from '../rules/constants.js';
import { WindowsError } from '../rules/errors.js';
import { statusOf } from '../memory/nt-virtual-memory.js';
import type { ProcessReference } from '../memory/process-argument.js';
import type { Process } from '../kernel/process.js';
import { addHandle, processOfHandle, requireBoolean, requireUlong, threadOfHandle } from './handles.js';
import { processAccess, threadAccess } from './access-rights.js';
import { processOfId, threadOfId } from './client-ids.js';
import { createThread, type CreateThreadOptions, type Thread } from './threads.js';
import type { NtHandleResult } from './nt-objects.js';

/**
 * @internal A process handle of `caller` for the memory calls, checked for `needed` when the call reaches its
 * process step ({@link ProcessReference}).
 */
export function processReference(caller: Process, handle: unknown, needed: number): ProcessReference {
  const value = requireUlong(handle, 'process handle');
  caller.kernel.requireLive(caller);
  return { kernel: caller.kernel, resolve: () => processOfHandle(caller, value, needed) };
}

/** Adds a handle to a process or thread; the object's handle count keeps its id known after it exits. */
function handleTo(caller: Process, object: Process | Thread, access: number, inherit: boolean): number {
  return addHandle(caller, object, access, inherit ? HANDLE_FLAG_INHERIT : 0);
}

/** How OpenProcess and OpenThread differ: the id table they look in and the type's access mapping. */
const OPENERS = {
  Process: { find: processOfId, access: processAccess, what: 'process' },
  Thread: { find: threadOfId, access: threadAccess, what: 'thread' },
} as const;

/** OpenProcess / OpenThread: a handle to the process or thread `id` names, with `desiredAccess` through its type's mapping. */
function openById(caller: Process, type: keyof typeof OPENERS, desiredAccess: number, inherit: boolean, id: number): number {
  const opener = OPENERS[type];
  desiredAccess = requireUlong(desiredAccess, 'desiredAccess');
  inherit = requireBoolean(inherit, 'inherit');
  id = requireUlong(id, `${opener.what}Id`);
  caller.kernel.requireLive(caller);
  const object = opener.find(caller.kernel, id);
  if (object === undefined) throw new WindowsError(STATUS_INVALID_CID, `no ${opener.what} has id ${id}`, ERROR_INVALID_PARAMETER);
  return handleTo(caller, object, opener.access(desiredAccess), inherit);
}

/** NtOpenProcess / NtOpenThread with a ClientId: the Win32 call with OBJ_INHERIT in `objectAttributes`, its failure as the status. */
function ntOpenById(caller: Process, type: keyof typeof OPENERS, desiredAccess: number, id: number, objectAttributes: number): NtHandleResult {
  desiredAccess = requireUlong(desiredAccess, 'desiredAccess');
  id = requireUlong(id, `${OPENERS[type].what}Id`);
  objectAttributes = requireUlong(objectAttributes, 'objectAttributes');
  caller.kernel.requireLive(caller);
  try {
    return { status: STATUS_SUCCESS, handle: openById(caller, type, desiredAccess, (objectAttributes & OBJ_INHERIT) !== 0, id) };
  } catch (error) {
    return { status: statusOf(error), handle: 0 };
  }
}

/**
 * OpenProcess: a handle to the process `pid` names, with `desiredAccess` (PROCESS_* or GENERIC_*). An exited
 * process still opens while another handle keeps its object (its calls then fail with
 * STATUS_PROCESS_IS_TERMINATING).
 * @throws {@link WindowsError} STATUS_INVALID_CID / ERROR_INVALID_PARAMETER for an id no process has.
 * @internal Called through {@link Process.openProcess}.
 */
export function openProcess(caller: Process, desiredAccess: number, inherit: boolean, pid: number): number {
  return openById(caller, 'Process', desiredAccess, inherit, pid);
}

/**
 * OpenThread: a handle to the thread `tid` names, with `desiredAccess` (THREAD_* or GENERIC_*).
 * @throws {@link WindowsError} STATUS_INVALID_CID / ERROR_INVALID_PARAMETER for an id no thread has.
 * @internal Called through {@link Process.openThread}.
 */
export function openThread(caller: Process, desiredAccess: number, inherit: boolean, tid: number): number {
  return openById(caller, 'Thread', desiredAccess, inherit, tid);
}

/**
 * NtOpenProcess with a ClientId: {@link openProcess} with OBJ_INHERIT in `objectAttributes`, the failure as the status.
 * @internal Called through {@link Process.ntOpenProcess}.
 */
export function ntOpenProcess(caller: Process, desiredAccess: number, pid: number, objectAttributes: number): NtHandleResult {
  return ntOpenById(caller, 'Process', desiredAccess, pid, objectAttributes);
}

/**
 * NtOpenThread with a ClientId: {@link openThread} with OBJ_INHERIT in `objectAttributes`, the failure as the status.
 * @internal Called through {@link Process.ntOpenThread}.
 */
export function ntOpenThread(caller: Process, desiredAccess: number, tid: number, objectAttributes: number): NtHandleResult {
  return ntOpenById(caller, 'Thread', desiredAccess, tid, objectAttributes);
}

/**
 * GetProcessId: the id of the process a handle names (PROCESS_QUERY_LIMITED_INFORMATION); an exited process still answers.
 * @internal Called through {@link Process.getProcessId}.
 */
export function getProcessId(caller: Process, handle: number): number {
  handle = requireUlong(handle, 'handle');
  caller.kernel.requireLive(caller);
  return processOfHandle(caller, handle, PROCESS_QUERY_LIMITED_INFORMATION, false).pid;
}

/**
 * GetThreadId: the id of the thread a handle names (THREAD_QUERY_LIMITED_INFORMATION).
 * @internal Called through {@link Process.getThreadId}.
 */
export function getThreadId(caller: Process, handle: number): number {
  handle = requireUlong(handle, 'handle');
  caller.kernel.requireLive(caller);
  return threadOfHandle(caller, handle, THREAD_QUERY_LIMITED_INFORMATION).id;
}

/**
 * GetProcessIdOfThread: the id of the process of the thread a handle names (THREAD_QUERY_LIMITED_INFORMATION).
 * @internal Called through {@link Process.getProcessIdOfThread}.
 */
export function getProcessIdOfThread(caller: Process, handle: number): number {
  handle = requireUlong(handle, 'handle');
  caller.kernel.requireLive(caller);
  return threadOfHandle(caller, handle, THREAD_QUERY_LIMITED_INFORMATION).process.pid;
}

/** What {@link Process.createRemoteThread} returns: the thread, and the caller's handle to it. */
export interface CreateRemoteThreadResult {
  /** The new thread. */
  readonly thread: Thread;
  /** A handle to it in the calling process, with THREAD_ALL_ACCESS. */
  readonly handle: number;
}

/** The rights CreateRemoteThread needs of its process handle (Microsoft's CreateRemoteThread page). */
export const CREATE_REMOTE_THREAD_ACCESS = PROCESS_CREATE_THREAD | PROCESS_QUERY_INFORMATION | PROCESS_VM_OPERATION | PROCESS_VM_WRITE | PROCESS_VM_READ;

/**
 * CreateRemoteThread (and CreateThread, which is CreateRemoteThread on GetCurrentProcess()): a thread of the
 * process `processHandle` names, its stack laid out as {@link Process.createThread} lays it, and a handle to it
 * in `caller` with THREAD_ALL_ACCESS. Nothing changes when it fails.
 * @internal Called through {@link Process.createRemoteThread}.
 */
export function createRemoteThread(caller: Process, processHandle: number, options: CreateThreadOptions, inherit: boolean): CreateRemoteThreadResult {
  processHandle = requireUlong(processHandle, 'process handle');
  inherit = requireBoolean(inherit, 'inherit');
  caller.kernel.requireLive(caller);
  const process = processOfHandle(caller, processHandle, CREATE_REMOTE_THREAD_ACCESS);
  const thread = createThread(process, options);
  try {
    return { thread, handle: handleTo(caller, thread, THREAD_ALL_ACCESS, inherit) };
  } catch (error) {
    thread.exit();
    throw error;
  }
}
