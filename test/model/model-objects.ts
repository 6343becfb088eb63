/**
 * The handle calls, as docs/kernel.md ("Calls" and "Handles and named sections") and the TSDoc of
 * the Process methods describe them: CreateFile, CreateFileMapping, OpenFileMapping, CloseHandle and
 * NtClose, DuplicateHandle and NtDuplicateObject, Get/SetHandleInformation, NtCreateSection,
 * NtOpenSection, and NtQuerySection through a handle. Handles live in each process's table
 * (model-handles.ts); the world keeps the names and the sections' lifetimes.
 *
 * Where the documents leave the order of two errors open (a bad name and a bad protection, say), the
 * operations never ask for both (arbitraries.ts, harness.ts).
 */
import {
  CURRENT_PROCESS_HANDLE,
  CURRENT_THREAD_HANDLE,
  DUPLICATE_CLOSE_SOURCE,
  DUPLICATE_SAME_ACCESS,
  DUPLICATE_SAME_ATTRIBUTES,
  ERROR_ACCESS_DENIED,
  ERROR_ALREADY_EXISTS,
  ERROR_FILE_NOT_FOUND,
  ERROR_INVALID_HANDLE,
  ERROR_INVALID_NAME,
  ERROR_INVALID_PARAMETER,
  ERROR_PATH_NOT_FOUND,
  HANDLE_FLAG_INHERIT,
  HANDLE_FLAG_PROTECT_FROM_CLOSE,
  INVALID_HANDLE_VALUE,
  OBJ_INHERIT,
  OBJ_OPENIF,
  PROCESS_ALL_ACCESS,
  PROCESS_CREATE_THREAD,
  PROCESS_DUP_HANDLE,
  PROCESS_QUERY_INFORMATION,
  PROCESS_QUERY_LIMITED_INFORMATION,
  PROCESS_VM_OPERATION,
  PROCESS_VM_READ,
  PROCESS_VM_WRITE,
  SEC_COMMIT,
  SEC_RESERVE,
  SECTION_QUERY,
  STATUS_ACCESS_DENIED,
  STATUS_HANDLE_NOT_CLOSABLE,
  STATUS_INVALID_CID,
  STATUS_INVALID_HANDLE,
  STATUS_INVALID_PARAMETER,
  STATUS_OBJECT_NAME_COLLISION,
  STATUS_OBJECT_NAME_EXISTS,
  STATUS_OBJECT_NAME_INVALID,
  STATUS_OBJECT_NAME_NOT_FOUND,
  STATUS_OBJECT_PATH_NOT_FOUND,
  STATUS_OBJECT_TYPE_MISMATCH,
  STATUS_PROCESS_IS_TERMINATING,
  STATUS_SUCCESS,
  THREAD_ALL_ACCESS,
  THREAD_QUERY_LIMITED_INFORMATION,
} from './model-constants.js';
import { ModelFileObject, accessFor, fileAccess, openMappingAccess, processAccess, sectionAccess, threadAccess, type ModelHandle, type ModelThread } from './model-handles.js';
import { ModelCallError, ModelHandleFailure } from './model-outcome.js';
import type { BaseChooser, ModelProcess } from './model-process.js';
import { fileAccessForSection, mappingAccess } from './model-protection.js';
import { ModelSection, type ModelFile } from './model-section.js';
import type { ModelWorld, SectionResolver } from './model-world.js';

/** NtCreateSection's and CreateFileMapping's common arguments. */
interface SectionRequest {
  /** A file handle, or INVALID_HANDLE_VALUE (the paging file). */
  readonly file: number;
  /** The page protection. */
  readonly protect: number;
  /** SEC_COMMIT (or 0) or SEC_RESERVE, for an anonymous section. */
  readonly attributes: number;
  /** Bytes (an anonymous section's; a file section's is its file's, asked for with 0). */
  readonly size: number;
  readonly name: string | null;
  /** The handle's access; null: CreateFileMapping's, from the protection. */
  readonly access: number | null;
  readonly openIf: boolean;
  readonly inherit: boolean;
}

/** What a handle-making NT call returns: `{ status, handle }`, the handle 0 on failure. */
export interface ModelNtHandle {
  status: number;
  handle: number;
}

const invalidHandle = (why: string) => new ModelCallError(ERROR_INVALID_HANDLE, STATUS_INVALID_HANDLE, why);
const attributesOf = (inherit: boolean) => (inherit ? HANDLE_FLAG_INHERIT : 0);

/** The rights CreateRemoteThread needs of its process handle (Microsoft's CreateRemoteThread page). */
export const CREATE_REMOTE_THREAD_ACCESS = PROCESS_CREATE_THREAD | PROCESS_QUERY_INFORMATION | PROCESS_VM_OPERATION | PROCESS_VM_WRITE | PROCESS_VM_READ;

/** The right each memory call made through a process handle needs (Microsoft's page of each call; the NT calls' TSDoc). */
export const RIGHT_NEEDED = {
  alloc: PROCESS_VM_OPERATION,
  free: PROCESS_VM_OPERATION,
  protect: PROCESS_VM_OPERATION,
  query: PROCESS_QUERY_LIMITED_INFORMATION,
  read: PROCESS_VM_READ,
  /** WriteProcessMemory: kernel32 changes the pages' protection before it writes. */
  write: PROCESS_VM_WRITE | PROCESS_VM_OPERATION,
  ntWrite: PROCESS_VM_WRITE,
} as const;

/**
 * The handle `value` names in `process`: GetCurrentProcess() (0xffffffff) the process itself with
 * PROCESS_ALL_ACCESS, GetCurrentThread() (0xfffffffe) its current thread with THREAD_ALL_ACCESS (none
 * without one), else its table's. The calls that take an object's handle look it up so; NtClose and
 * Get/SetHandleInformation look at the table only.
 */
export function lookupHandle(process: ModelProcess, value: number): ModelHandle | undefined {
  if (value === CURRENT_PROCESS_HANDLE) return { object: process, access: PROCESS_ALL_ACCESS, attributes: 0 };
  if (value === CURRENT_THREAD_HANDLE) {
    const thread = process.currentThread;
    return thread === null ? undefined : { object: thread, access: THREAD_ALL_ACCESS, attributes: 0 };
  }
  return process.handles.get(value);
}

/** A process for DuplicateHandle: a process (it must be live), or a process handle of the caller (PROCESS_DUP_HANDLE). */
export type DuplicateProcess = ModelProcess | number;

/**
 * An object name's full path (docs/kernel.md: case-sensitive; a plain name and `Local\` name the
 * session's namespace, `Global\` another; any other backslash STATUS_OBJECT_PATH_NOT_FOUND, an empty
 * name STATUS_OBJECT_NAME_INVALID). The paths themselves are objectPath's TSDoc's.
 */
export function objectPath(name: string): string {
  const invalid = () => new ModelCallError(ERROR_INVALID_NAME, STATUS_OBJECT_NAME_INVALID, `object name "${name}"`);
  if (name.length === 0) throw invalid();
  const global = name.startsWith('Global\\');
  const rest = global ? name.slice('Global\\'.length) : name.startsWith('Local\\') ? name.slice('Local\\'.length) : name;
  if (rest.length === 0) throw invalid();
  if (rest.includes('\\')) throw new ModelCallError(ERROR_PATH_NOT_FOUND, STATUS_OBJECT_PATH_NOT_FOUND, `"${name}": no such directory`);
  return (global ? '\\BaseNamedObjects\\' : '\\Sessions\\1\\BaseNamedObjects\\') + rest;
}

export class ModelObjects {
  constructor(private readonly world: ModelWorld) {}

  /** CreateFile over one of the model's files: a new file object, its handle with `desiredAccess` through the file's generic mapping. */
  createFile(process: ModelProcess, file: ModelFile, desiredAccess: number, inherit: boolean): number {
    process.requireLive();
    return this.world.addHandle(process, new ModelFileObject(file), fileAccess(desiredAccess), attributesOf(inherit));
  }

  /** CreateFileMapping: `protect` is flProtect (PAGE_* | SEC_COMMIT or SEC_RESERVE); a name that exists opens its section (B63). */
  createFileMapping(process: ModelProcess, file: number, protect: number, maximumSize: number, name: string | null, inherit: boolean): { handle: number; alreadyExists: boolean } {
    if (name !== null) objectPath(name); // an argument: before the process
    process.requireLive();
    const attributes = protect & (SEC_COMMIT | SEC_RESERVE);
    return this.createSection(process, { file, protect: protect & ~attributes, attributes, size: maximumSize, name, access: null, openIf: true, inherit });
  }

  /** NtCreateSection: the handle gets the access asked for; a name that exists is STATUS_OBJECT_NAME_COLLISION unless OBJ_OPENIF (then STATUS_OBJECT_NAME_EXISTS). */
  ntCreateSection(
    process: ModelProcess,
    args: { desiredAccess: number; protect: number; attributes: number; maximumSize: number; file: number; name: string | null; objectAttributes: number },
  ): ModelNtHandle {
    process.requireLive();
    return statusOf(() => {
      const { handle, alreadyExists } = this.createSection(process, {
        file: args.file,
        protect: args.protect,
        attributes: args.attributes,
        size: args.maximumSize,
        name: args.name,
        access: sectionAccess(args.desiredAccess),
        openIf: (args.objectAttributes & OBJ_OPENIF) !== 0,
        inherit: (args.objectAttributes & OBJ_INHERIT) !== 0,
      });
      return { status: alreadyExists ? STATUS_OBJECT_NAME_EXISTS : STATUS_SUCCESS, handle };
    });
  }

  /**
   * CreateFileMapping's and NtCreateSection's work, in docs/kernel.md's order: the arguments (the
   * name's form, the protection: B60); the file handle (not open, not a file) and its access (B66);
   * the section's own checks (a size, the commit charge); only then is the name looked up, so that a
   * name that exists gives its section whatever size and protection were asked.
   */
  private createSection(process: ModelProcess, request: SectionRequest): { handle: number; alreadyExists: boolean } {
    const world = this.world;
    const path = request.name === null ? null : objectPath(request.name);
    world.requireSectionProtection(request.protect);
    let file: ModelFile | null = null;
    if (request.file !== INVALID_HANDLE_VALUE) {
      const handle = lookupHandle(process, request.file);
      if (handle === undefined) throw invalidHandle('file handle not open');
      if (!(handle.object instanceof ModelFileObject)) throw new ModelCallError(ERROR_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH, 'not a file handle');
      if (!grants(handle, fileAccessForSection(request.protect))) throw new ModelCallError(ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED, 'the file handle lacks the access the protection needs (B66)');
      file = handle.object.file;
    }
    const backing = file !== null ? 'file' : request.attributes & SEC_RESERVE ? 'reserve' : 'commit';
    world.requireSection(backing, request.size);
    const access = request.access ?? mappingAccess(request.protect);
    const existing = path === null ? undefined : world.names.get(path);
    if (existing !== undefined) {
      if (!request.openIf) throw new ModelCallError(ERROR_ALREADY_EXISTS, STATUS_OBJECT_NAME_COLLISION, `a section is named ${path}`);
      return { handle: world.addHandle(process, existing, access, attributesOf(request.inherit)), alreadyExists: true };
    }
    const section = world.newSection(backing, request.size, request.protect, file, false);
    if (path !== null) {
      world.names.set(path, section);
      section.name = path;
    }
    return { handle: world.addHandle(process, section, access, attributesOf(request.inherit)), alreadyExists: false };
  }

  /** OpenFileMapping: ERROR_FILE_NOT_FOUND for a name no section has (B72). */
  openFileMapping(process: ModelProcess, desiredAccess: number, inherit: boolean, name: string): number {
    const path = objectPath(name);
    process.requireLive();
    return this.world.addHandle(process, this.named(path), openMappingAccess(desiredAccess), attributesOf(inherit));
  }

  /** NtOpenSection: the access as asked (generic mapping); STATUS_OBJECT_NAME_NOT_FOUND. */
  ntOpenSection(process: ModelProcess, desiredAccess: number, name: string, objectAttributes: number): ModelNtHandle {
    process.requireLive();
    return statusOf(() => ({
      status: STATUS_SUCCESS,
      handle: this.world.addHandle(process, this.named(objectPath(name)), sectionAccess(desiredAccess), attributesOf((objectAttributes & OBJ_INHERIT) !== 0)),
    }));
  }

  private named(path: string): ModelSection {
    const section = this.world.names.get(path);
    if (section === undefined) throw new ModelCallError(ERROR_FILE_NOT_FOUND, STATUS_OBJECT_NAME_NOT_FOUND, `no section is named ${path}`);
    return section;
  }

  /**
   * OpenProcess: a handle to the process `pid` names, with the access asked for through the Process
   * type's generic mapping (no security descriptors: everything asked is granted). A process that
   * exited opens while a handle still refers to it. An id no process has (0, a thread's, one that
   * exited with no handle left) → STATUS_INVALID_CID / ERROR_INVALID_PARAMETER.
   */
  openProcess(caller: ModelProcess, desiredAccess: number, inherit: boolean, pid: number): number {
    caller.requireLive();
    const process = this.world.objectOfId(pid);
    if (process?.objectType !== 'Process') throw new ModelCallError(ERROR_INVALID_PARAMETER, STATUS_INVALID_CID, `no process has id ${pid}`);
    return this.world.addHandle(caller, process, processAccess(desiredAccess), attributesOf(inherit));
  }

  /** NtOpenProcess with a ClientId: OpenProcess, OBJ_INHERIT for the attribute, the failure as the status. */
  ntOpenProcess(caller: ModelProcess, desiredAccess: number, pid: number, objectAttributes: number): ModelNtHandle {
    caller.requireLive();
    return statusOf(() => ({ status: STATUS_SUCCESS, handle: this.openProcess(caller, desiredAccess, (objectAttributes & OBJ_INHERIT) !== 0, pid) }));
  }

  /** OpenThread: OpenProcess for a thread id, through the Thread type's generic mapping. */
  openThread(caller: ModelProcess, desiredAccess: number, inherit: boolean, tid: number): number {
    caller.requireLive();
    const thread = this.world.objectOfId(tid);
    if (thread?.objectType !== 'Thread') throw new ModelCallError(ERROR_INVALID_PARAMETER, STATUS_INVALID_CID, `no thread has id ${tid}`);
    return this.world.addHandle(caller, thread, threadAccess(desiredAccess), attributesOf(inherit));
  }

  ntOpenThread(caller: ModelProcess, desiredAccess: number, tid: number, objectAttributes: number): ModelNtHandle {
    caller.requireLive();
    return statusOf(() => ({ status: STATUS_SUCCESS, handle: this.openThread(caller, desiredAccess, (objectAttributes & OBJ_INHERIT) !== 0, tid) }));
  }

  /**
   * The process a handle of `caller` names, granting `needed` (ObReferenceObjectByHandle): not open →
   * STATUS_INVALID_HANDLE; another type of object (a section, a thread, GetCurrentThread()) →
   * STATUS_OBJECT_TYPE_MISMATCH, both ERROR_INVALID_HANDLE; a right missing → STATUS_ACCESS_DENIED;
   * with `live`, a process that exited (its address space gone) → STATUS_PROCESS_IS_TERMINATING, both
   * ERROR_ACCESS_DENIED.
   */
  processOfHandle(caller: ModelProcess, value: number, needed: number, live = true): ModelProcess {
    const object = this.objectOfHandle(caller, value, 'Process', needed) as ModelProcess;
    if (live && !object.live) throw new ModelCallError(ERROR_ACCESS_DENIED, STATUS_PROCESS_IS_TERMINATING, `process ${object.pid} has exited`);
    return object;
  }

  /** The thread a handle of `caller` names, granting `needed` (processOfHandle's failures; an exited thread still answers). */
  threadOfHandle(caller: ModelProcess, value: number, needed: number): ModelThread {
    return this.objectOfHandle(caller, value, 'Thread', needed) as ModelThread;
  }

  private objectOfHandle(caller: ModelProcess, value: number, type: 'Process' | 'Thread', needed: number): ModelProcess | ModelThread {
    const handle = lookupHandle(caller, value);
    if (handle === undefined) throw invalidHandle(`${type.toLowerCase()} handle not open`);
    if (handle.object.objectType !== type) throw new ModelCallError(ERROR_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH, `a ${handle.object.objectType} handle, not a ${type} handle`);
    if (!grants(handle, needed)) throw new ModelCallError(ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED, `the handle lacks 0x${needed.toString(16)}`);
    return handle.object as ModelProcess | ModelThread;
  }

  /** The process a memory call through a handle works on, or null when the handle fails (for the runner to resolve addresses in). */
  handleTarget(caller: ModelProcess, value: number, needed: number): ModelProcess | null {
    try {
      return this.processOfHandle(caller, value, needed);
    } catch (error) {
      if (error instanceof ModelCallError) return null;
      throw error;
    }
  }

  /**
   * A memory call made by `caller` through a process handle (VirtualAllocEx and the other Ex calls,
   * the NT calls' ProcessHandle; the brief of the process handles and the calls' TSDoc): the call's
   * own argument checks first, as on a process; then, where a call on a process checks that it lives,
   * the handle ({@link processOfHandle}, with the right the call needs); then the call on the process
   * the handle names. A Win32 call throws the handle's failure, an NT call returns it as its status
   * ({@link ModelHandleFailure}). `call` runs on the target, or on the caller when the handle fails
   * (which then fails at that step, whatever the process).
   */
  throughHandle<T>(caller: ModelProcess, value: number, needed: number, call: (process: ModelProcess) => T): T {
    caller.requireLive();
    let process = caller;
    let failure: ModelHandleFailure | null = null;
    try {
      process = this.processOfHandle(caller, value, needed);
    } catch (error) {
      if (!(error instanceof ModelCallError)) throw error;
      failure = new ModelHandleFailure(error.win32Error, error.ntStatus, error.message);
    }
    process.stepFailure = failure;
    try {
      return call(process);
    } finally {
      process.stepFailure = null;
    }
  }

  /**
   * CreateRemoteThread (CreateThread on GetCurrentProcess()): a thread of the process the handle names
   * (it needs PROCESS_CREATE_THREAD, _QUERY_INFORMATION, _VM_OPERATION, _VM_WRITE and _VM_READ), its
   * stack as {@link ModelWorld.createThread} lays it, and a handle to it in `caller` with
   * THREAD_ALL_ACCESS. Nothing changes when it fails.
   */
  createRemoteThread(caller: ModelProcess, value: number, inherit: boolean, choose: BaseChooser, tid: () => number): { thread: ModelThread; handle: number } {
    caller.requireLive();
    const process = this.processOfHandle(caller, value, CREATE_REMOTE_THREAD_ACCESS);
    const thread = this.world.createThread(process, choose, tid);
    return { thread, handle: this.world.addHandle(caller, thread, THREAD_ALL_ACCESS, attributesOf(inherit)) };
  }

  /** GetProcessId: PROCESS_QUERY_LIMITED_INFORMATION; an exited process still answers. */
  getProcessId(caller: ModelProcess, value: number): number {
    caller.requireLive();
    return this.processOfHandle(caller, value, PROCESS_QUERY_LIMITED_INFORMATION, false).pid;
  }

  /** GetThreadId: THREAD_QUERY_LIMITED_INFORMATION. */
  getThreadId(caller: ModelProcess, value: number): number {
    caller.requireLive();
    return this.threadOfHandle(caller, value, THREAD_QUERY_LIMITED_INFORMATION).tid;
  }

  /** GetProcessIdOfThread: THREAD_QUERY_LIMITED_INFORMATION. */
  getProcessIdOfThread(caller: ModelProcess, value: number): number {
    caller.requireLive();
    return this.threadOfHandle(caller, value, THREAD_QUERY_LIMITED_INFORMATION).process.pid;
  }

  /**
   * NtClose: STATUS_INVALID_HANDLE for a value that is not open; STATUS_HANDLE_NOT_CLOSABLE for a
   * protected one, which stays open; a pseudo-handle (GetCurrentProcess(), GetCurrentThread()):
   * nothing done, STATUS_SUCCESS ("has no effect", Microsoft's GetCurrentProcess page).
   */
  ntClose(process: ModelProcess, value: number): number {
    process.requireLive();
    if (value === CURRENT_PROCESS_HANDLE || value === CURRENT_THREAD_HANDLE) return STATUS_SUCCESS;
    const handle = process.handles.get(value);
    if (handle === undefined) return STATUS_INVALID_HANDLE;
    if (handle.attributes & HANDLE_FLAG_PROTECT_FROM_CLOSE) return STATUS_HANDLE_NOT_CLOSABLE;
    this.world.releaseHandle(process.handles.remove(value));
    return STATUS_SUCCESS;
  }

  /** CloseHandle: NtClose's failures as ERROR_INVALID_HANDLE. */
  closeHandle(process: ModelProcess, value: number): void {
    const status = this.ntClose(process, value);
    if (status !== STATUS_SUCCESS) throw new ModelCallError(ERROR_INVALID_HANDLE, status, 'CloseHandle failed');
  }

  /**
   * DuplicateHandle (`nt` false; `attributes` from bInheritHandle) or NtDuplicateObject's work (`nt`:
   * DUPLICATE_SAME_ATTRIBUTES known too), made by `caller` from `source`'s table into `target`'s; each
   * process a process, or a process handle of the caller needing PROCESS_DUP_HANDLE. In order: a
   * process that is not live (ERROR_INVALID_HANDLE); unknown options (ERROR_INVALID_PARAMETER); the
   * source process handle; the target process handle, whose failure is kept; the source value (not
   * open: ERROR_INVALID_HANDLE; a pseudo-handle stands for the source process, or its current thread,
   * with every right); no target without DUPLICATE_CLOSE_SOURCE (ERROR_INVALID_PARAMETER);
   * DUPLICATE_CLOSE_SOURCE closes the source (unless it is protected, or a pseudo-handle), then the
   * target's failure is reported ("regardless of any error status", Microsoft's DuplicateHandle page);
   * else the duplicate, the source closed first so a duplicate into the same process gets its value
   * back. A target handle value 0 is no target.
   */
  duplicateHandle(caller: ModelProcess, value: number, targetProcess: DuplicateProcess | null, desiredAccess: number, attributes: number, options: number, nt = false, sourceProcess: DuplicateProcess = CURRENT_PROCESS_HANDLE): number {
    if (typeof sourceProcess !== 'number' && !sourceProcess.live) throw invalidHandle('the source process has exited');
    if (targetProcess !== null && typeof targetProcess !== 'number' && !targetProcess.live) throw invalidHandle('the target process has exited');
    caller.requireLive();
    const known = DUPLICATE_CLOSE_SOURCE | DUPLICATE_SAME_ACCESS | (nt ? DUPLICATE_SAME_ATTRIBUTES : 0);
    if (options & ~known) throw new ModelCallError(ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER, 'unknown options');
    const source = typeof sourceProcess === 'number' ? this.processOfHandle(caller, sourceProcess, PROCESS_DUP_HANDLE) : sourceProcess;
    let target: ModelProcess | null = null;
    let targetFailure: ModelCallError | null = null;
    if (targetProcess !== null && targetProcess !== 0) {
      try {
        target = typeof targetProcess === 'number' ? this.processOfHandle(caller, targetProcess, PROCESS_DUP_HANDLE) : targetProcess;
      } catch (error) {
        if (!(error instanceof ModelCallError)) throw error;
        targetFailure = error;
      }
    }
    const handle = lookupHandle(source, value);
    if (handle === undefined) throw invalidHandle('source handle not open');
    const inTable = source.handles.get(value) === handle; // a pseudo-handle is never closed
    const closeSource = (options & DUPLICATE_CLOSE_SOURCE) !== 0 && inTable && (handle.attributes & HANDLE_FLAG_PROTECT_FROM_CLOSE) === 0;
    if (target === null) {
      if ((options & DUPLICATE_CLOSE_SOURCE) === 0 && targetFailure === null) throw new ModelCallError(ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER, 'no target without DUPLICATE_CLOSE_SOURCE');
      if (closeSource) this.world.releaseHandle(source.handles.remove(value));
      if (targetFailure !== null) throw targetFailure;
      return 0;
    }
    const object = handle.object;
    const access = options & DUPLICATE_SAME_ACCESS ? handle.access : accessFor(object, desiredAccess);
    const duplicate = { object, access, attributes: options & DUPLICATE_SAME_ATTRIBUTES ? handle.attributes : attributes };
    if (closeSource) source.handles.remove(value); // the object's reference passes to the duplicate
    else object.handleCount++;
    return target.handles.add(duplicate);
  }

  /**
   * Whether a duplication would fail both ways the documents leave unordered: a handle error (a
   * process that is not live, a process handle that fails, the source value) and a parameter error
   * (the options, no target without DUPLICATE_CLOSE_SOURCE). The runner skips those.
   */
  duplicateIsAmbiguous(caller: ModelProcess, value: number, targetProcess: DuplicateProcess | null, options: number, nt: boolean, sourceProcess: DuplicateProcess = CURRENT_PROCESS_HANDLE): boolean {
    const known = DUPLICATE_CLOSE_SOURCE | DUPLICATE_SAME_ACCESS | (nt ? DUPLICATE_SAME_ATTRIBUTES : 0);
    const noTarget = targetProcess === null || targetProcess === 0;
    const parameterError = (options & ~known) !== 0 || (noTarget && (options & DUPLICATE_CLOSE_SOURCE) === 0);
    if (!parameterError) return false;
    const process = (argument: DuplicateProcess): ModelProcess | null => {
      if (typeof argument !== 'number') return argument.live ? argument : null;
      try {
        return this.processOfHandle(caller, argument, PROCESS_DUP_HANDLE);
      } catch (error) {
        if (error instanceof ModelCallError) return null;
        throw error;
      }
    };
    const source = process(sourceProcess);
    return source === null || lookupHandle(source, value) === undefined || (!noTarget && process(targetProcess) === null);
  }

  /** NtDuplicateObject: OBJ_INHERIT for the duplicate's attribute; failures are statuses. */
  ntDuplicateObject(caller: ModelProcess, value: number, targetProcess: DuplicateProcess | null, desiredAccess: number, objectAttributes: number, options: number, sourceProcess: DuplicateProcess = CURRENT_PROCESS_HANDLE): ModelNtHandle {
    caller.requireLive();
    return statusOf(() => ({
      status: STATUS_SUCCESS,
      handle: this.duplicateHandle(caller, value, targetProcess, desiredAccess, attributesOf((objectAttributes & OBJ_INHERIT) !== 0), options, true, sourceProcess),
    }));
  }

  getHandleInformation(process: ModelProcess, value: number): number {
    return this.open(process, value).attributes;
  }

  /** SetHandleInformation: the HANDLE_FLAG_* bits `mask` selects, set as in `flags`; other bits are ignored. */
  setHandleInformation(process: ModelProcess, value: number, mask: number, flags: number): void {
    const handle = this.open(process, value);
    const selected = mask & (HANDLE_FLAG_INHERIT | HANDLE_FLAG_PROTECT_FROM_CLOSE);
    handle.attributes = (handle.attributes & ~selected) | (flags & selected);
  }

  private open(process: ModelProcess, value: number): ModelHandle {
    process.requireLive();
    const handle = process.handles.get(value);
    if (handle === undefined) throw invalidHandle('not an open handle');
    return handle;
  }

  /** NtQuerySection(SectionBasicInformation) through a handle with SECTION_QUERY (B65): base 0, the attributes, the size (B61, B62). */
  querySection(process: ModelProcess, value: number): { baseAddress: number; attributes: number; size: number } {
    process.requireLive();
    const section = this.section(process, value, SECTION_QUERY);
    return { baseAddress: 0, attributes: section.attributes, size: section.size };
  }

  /** A section handle for MapViewOfFile and NtMapViewOfSection, resolved when the call reaches it. */
  resolver(process: ModelProcess, value: number): SectionResolver {
    return (needed) => this.section(process, value, needed);
  }

  /** The section `value` refers to: open, a section (STATUS_OBJECT_TYPE_MISMATCH), granting `needed` (B65). */
  private section(process: ModelProcess, value: number, needed: number): ModelSection {
    const handle = lookupHandle(process, value);
    if (handle === undefined) throw invalidHandle('section handle not open');
    if (!(handle.object instanceof ModelSection)) throw new ModelCallError(ERROR_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH, 'not a section handle');
    if (!grants(handle, needed)) throw new ModelCallError(ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED, `the handle lacks 0x${needed.toString(16)} (B65)`);
    return handle.object;
  }
}

function grants(handle: ModelHandle, needed: number): boolean {
  return (handle.access & needed) === needed;
}

/** An NT call's result, or its failure as a status with handle 0. */
function statusOf(call: () => ModelNtHandle): ModelNtHandle {
  try {
    return call();
  } catch (error) {
    if (error instanceof ModelCallError) return { status: error.ntStatus!, handle: 0 };
    throw error;
  }
}
