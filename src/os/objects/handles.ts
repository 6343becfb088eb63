/**
 * Handles and the calls that make, use and close them: CreateFile (a file object over a byte array),
 * CreateFileMapping and OpenFileMapping (sections, named or not), CloseHandle / NtClose, DuplicateHandle,
 * Get/SetHandleInformation, and the access check every call that takes a section handle makes. The
 * handle counts of the objects are kept here: a section's name goes with its last handle (B72), and
 * the section itself when its views are gone too.
 *
 * Sources, besides the Windows behaviours B63–B66 and B72–B74 (docs/kernel.md):
 * - the access a handle from CreateFileMapping gets: STANDARD_RIGHTS_REQUIRED | SECTION_QUERY |
 *   SECTION_MAP_READ, plus SECTION_MAP_WRITE for a writable protection and SECTION_MAP_EXECUTE for an
 *   executable one (Wine's kernelbase CreateFileMappingW and ReactOS's agree; no Windows test reads the
 *   granted mask back);
 * - the section access a view needs (the Windows Research Kernel's MmMakeSectionAccess): a read-only,
 *   copy-on-write or no-access view needs SECTION_MAP_READ, a read/write view SECTION_MAP_WRITE, and the
 *   execute forms add SECTION_MAP_EXECUTE (kernel32 test_MapViewOfFile: a FILE_MAP_WRITE handle maps
 *   FILE_MAP_WRITE but not FILE_MAP_READ; a handle with no access cannot map even access 0);
 * - the file access a section needs (MmMakeFileAccess): FILE_READ_DATA, plus FILE_WRITE_DATA for
 *   PAGE_READWRITE / PAGE_EXECUTE_READWRITE and FILE_EXECUTE for the execute protections (B66);
 * - handle values, reuse, inheritance and DuplicateHandle: [handle-table.ts](./handle-table.ts), kernel32
 *   test_DuplicateHandle, Microsoft's DuplicateHandle and CloseHandle pages.
 * @module
 */
import { FileObject } from './file-object.js';
import { HandleTable, type HandleEntry, type KernelObject } from './handle-table.js';
import { objectPath } from './object-namespace.js';
import { accessFor, fileAccess, sectionAccess } from './access-rights.js';
import type { Thread } from './threads.js';
import { releaseClientIdIfUnused } from './client-ids.js';
import {
  CURRENT_PROCESS_HANDLE,
  CURRENT_THREAD_HANDLE,
  DUPLICATE_CLOSE_SOURCE,
  DUPLICATE_SAME_ACCESS,
  DUPLICATE_SAME_ATTRIBUTES,
  ERROR_ACCESS_DENIED,
  ERROR_INVALID_HANDLE,
  ERROR_INVALID_PARAMETER,
  FILE_EXECUTE,
  FILE_MAP_COPY,
  FILE_MAP_EXECUTE,
  FILE_READ_DATA,
  FILE_WRITE_DATA,
  HANDLE_FLAG_INHERIT,
  HANDLE_FLAG_PROTECT_FROM_CLOSE,
  INVALID_HANDLE_VALUE,
  PAGE_EXECUTE,
  PAGE_EXECUTE_READ,
  PAGE_EXECUTE_READWRITE,
  PAGE_EXECUTE_WRITECOPY,
  PAGE_READWRITE,
  PROCESS_ALL_ACCESS,
  PROCESS_DUP_HANDLE,
  SECTION_MAP_EXECUTE,
  SECTION_MAP_READ,
  SECTION_MAP_WRITE,
  SECTION_QUERY,
  STANDARD_RIGHTS_REQUIRED,
  STATUS_ACCESS_DENIED,
  STATUS_HANDLE_NOT_CLOSABLE,
  STATUS_INVALID_HANDLE,
  STATUS_INVALID_PARAMETER,
  STATUS_OBJECT_NAME_COLLISION,
  STATUS_OBJECT_NAME_NOT_FOUND,
  STATUS_OBJECT_TYPE_MISMATCH,
  STATUS_PROCESS_IS_TERMINATING,
  STATUS_SUCCESS,
  THREAD_ALL_ACCESS,
} from '../rules/constants.js';
import { WindowsError } from '../rules/errors.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Process } from '../kernel/process.js';
import { Section } from '../records/section.js';
import { validateSectionProtection } from '../rules/protection.js';

/** What {@link Process.createFileMapping} returns: the handle, and whether the name already named a section. */
export interface CreateFileMappingResult {
  /** The new handle (4, 8, …). */
  readonly handle: number;
  /** True when the name existed: the handle is to that section, and GetLastError is ERROR_ALREADY_EXISTS (B63). */
  readonly alreadyExists: boolean;
}

/** The SEC_* bits of CreateFileMapping's flProtect (everything above the page protection and its modifiers). */
const SEC_BITS = 0xfff0_0000;

function invalidHandle(what: string): WindowsError {
  return new WindowsError(STATUS_INVALID_HANDLE, `${what} is not an open handle of this process`, ERROR_INVALID_HANDLE);
}

/**
 * @internal A ULONG argument (a handle, an access mask, flags). A value JavaScript's bitwise operators made negative
 * (`GENERIC_READ | GENERIC_WRITE`, or a handle written as -1) is taken as its unsigned 32 bits.
 */
export function requireUlong(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < -0x8000_0000 || value > 0xffff_ffff) {
    throw new WindowsError(STATUS_INVALID_PARAMETER, `${what} must be a ULONG, got ${String(value)}`, ERROR_INVALID_PARAMETER);
  }
  return value >>> 0;
}

/** @internal A BOOL argument. */
export function requireBoolean(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') throw new WindowsError(STATUS_INVALID_PARAMETER, `${what} must be a boolean, got ${String(value)}`, ERROR_INVALID_PARAMETER);
  return value;
}

/** The access CreateFileMapping asks for its handle, by the section's protection. */
function mappingAccess(protect: number): number {
  let access = STANDARD_RIGHTS_REQUIRED | SECTION_QUERY | SECTION_MAP_READ;
  const base = protect & 0xff;
  if (base === PAGE_READWRITE || base === PAGE_EXECUTE_READWRITE) access |= SECTION_MAP_WRITE;
  if (base === PAGE_EXECUTE_READ || base === PAGE_EXECUTE_WRITECOPY || base === PAGE_EXECUTE_READWRITE) access |= SECTION_MAP_EXECUTE;
  return access;
}

/** The FILE_* rights a section with protection `protect` needs of its file (MmMakeFileAccess, B66). */
function fileAccessForSection(protect: number): number {
  const base = protect & 0xff;
  let access = FILE_READ_DATA;
  if (base === PAGE_READWRITE || base === PAGE_EXECUTE_READWRITE) access |= FILE_WRITE_DATA;
  if (base === PAGE_EXECUTE_READ || base === PAGE_EXECUTE_WRITECOPY || base === PAGE_EXECUTE_READWRITE || base === PAGE_EXECUTE) access |= FILE_EXECUTE;
  return access;
}

/**
 * @internal What a pseudo-handle stands for in `process`: GetCurrentProcess() the process itself and
 * GetCurrentThread() its current thread ({@link Process.currentThread}), each with every right; undefined for
 * any other value, and for GetCurrentThread() when the process has no current thread.
 */
function pseudoHandleEntry(process: Process, handle: number): HandleEntry | undefined {
  if (handle === CURRENT_PROCESS_HANDLE) return { object: process, access: PROCESS_ALL_ACCESS, attributes: 0 };
  if (handle === CURRENT_THREAD_HANDLE) {
    const thread = process.currentThread;
    return thread === null ? undefined : { object: thread, access: THREAD_ALL_ACCESS, attributes: 0 };
  }
  return undefined;
}

/** @internal The entry a handle value refers to in `process`'s table, pseudo-handles included; undefined when none. */
export function lookupHandle(process: Process, handle: number): HandleEntry | undefined {
  return pseudoHandleEntry(process, handle) ?? process.handles.get(handle);
}

function rightsMissing(handle: number, granted: number, needed: number): WindowsError {
  return new WindowsError(STATUS_ACCESS_DENIED, `handle 0x${handle.toString(16)} was granted 0x${granted.toString(16)}, the call needs 0x${needed.toString(16)}`, ERROR_ACCESS_DENIED);
}

/** The entry of a handle that must refer to an object of type `type`, with the rights `needed`. */
function entryOfType(caller: Process, handle: number, type: 'Process' | 'Thread', needed: number): HandleEntry {
  const entry = lookupHandle(caller, handle);
  if (entry === undefined) throw new WindowsError(STATUS_INVALID_HANDLE, `${type.toLowerCase()} handle 0x${handle.toString(16)} is not an open handle of process ${caller.pid}`, ERROR_INVALID_HANDLE);
  if (entry.object.objectType !== type) throw new WindowsError(STATUS_OBJECT_TYPE_MISMATCH, `handle 0x${handle.toString(16)} refers to a ${entry.object.objectType}, not a ${type}`, ERROR_INVALID_HANDLE);
  if ((entry.access & needed) !== needed) throw rightsMissing(handle, entry.access, needed);
  return entry;
}

/**
 * @internal The process `handle` names in `caller`'s table, which must grant `needed`.
 * @param live - whether the process must still have its address space (the memory calls): an exited one
 *   is then STATUS_PROCESS_IS_TERMINATING.
 * @throws {@link WindowsError} STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH (ERROR_INVALID_HANDLE);
 *   STATUS_ACCESS_DENIED, STATUS_PROCESS_IS_TERMINATING (ERROR_ACCESS_DENIED).
 */
export function processOfHandle(caller: Process, handle: number, needed: number, live = true): Process {
  const process = entryOfType(caller, handle, 'Process', needed).object as Process;
  if (live && process.exited) throw new WindowsError(STATUS_PROCESS_IS_TERMINATING, `process ${process.pid} has exited`, ERROR_ACCESS_DENIED);
  return process;
}

/**
 * @internal The thread `handle` names in `caller`'s table, which must grant `needed`.
 * @throws {@link WindowsError} STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH (ERROR_INVALID_HANDLE); STATUS_ACCESS_DENIED.
 */
export function threadOfHandle(caller: Process, handle: number, needed: number): Thread {
  return entryOfType(caller, handle, 'Thread', needed).object as Thread;
}

/** @internal Adds a handle to `object` in `process`'s table. */
export function addHandle(process: Process, object: KernelObject, access: number, attributes: number): number {
  const handle = process.handles.add({ object, access, attributes });
  object.handleCount++;
  return handle;
}

/**
 * Drops one handle's reference: the last handle of a section takes its name (B72), and the section when no view
 * is left; the last handle of an exited process or thread takes its id.
 */
function releaseHandle(kernel: Kernel, entry: HandleEntry): void {
  const object = entry.object;
  object.handleCount--;
  if (object.handleCount !== 0) return;
  if (object instanceof Section) {
    kernel.objectNames.remove(object);
    kernel.destroySectionIfUnused(object);
  } else if (object.objectType === 'Process' || object.objectType === 'Thread') releaseClientIdIfUnused(object);
}

/**
 * The section behind a handle, checked for `needed` access (STATUS_ACCESS_DENIED otherwise).
 * @throws {@link WindowsError} STATUS_INVALID_HANDLE (not open), STATUS_OBJECT_TYPE_MISMATCH (a file handle),
 *   both ERROR_INVALID_HANDLE; STATUS_ACCESS_DENIED / ERROR_ACCESS_DENIED.
 * @internal
 */
export function sectionOfHandle(process: Process, handle: number, needed: number): Section {
  const entry = lookupHandle(process, handle);
  if (entry === undefined) throw invalidHandle(`section handle ${String(handle)}`);
  if (!(entry.object instanceof Section)) throw new WindowsError(STATUS_OBJECT_TYPE_MISMATCH, `handle ${handle} refers to a ${entry.object.objectType}, not a section`, ERROR_INVALID_HANDLE);
  if ((entry.access & needed) !== needed) {
    throw new WindowsError(STATUS_ACCESS_DENIED, `handle ${handle} was granted 0x${entry.access.toString(16)}, the call needs 0x${needed.toString(16)} (B65)`, ERROR_ACCESS_DENIED);
  }
  return entry.object;
}

/**
 * CreateFile: a file object over `bytes` (the file's contents) and a handle to it with `desiredAccess`
 * (GENERIC_READ, GENERIC_WRITE, GENERIC_EXECUTE or FILE_* rights).
 * @internal Called through {@link Process.createFile}.
 */
export function createFile(process: Process, bytes: Uint8Array, desiredAccess: number, inherit: boolean): number {
  if (!(bytes instanceof Uint8Array)) throw new WindowsError(STATUS_INVALID_PARAMETER, 'the file must be a Uint8Array', ERROR_INVALID_PARAMETER);
  desiredAccess = requireUlong(desiredAccess, 'desiredAccess');
  inherit = requireBoolean(inherit, 'inherit');
  process.kernel.requireLive(process);
  return addHandle(process, new FileObject(bytes), fileAccess(desiredAccess), inherit ? HANDLE_FLAG_INHERIT : 0);
}

/** @internal What {@link createSectionHandle} makes: NtCreateSection's arguments, already checked for type. */
export interface SectionRequest {
  /** A file handle of the process, or INVALID_HANDLE_VALUE for the paging file. */
  readonly file: number;
  /** The page protection (no SEC_* bits). */
  readonly protect: number;
  /** SEC_* attributes. */
  readonly attributes: number;
  /** MaximumSize in bytes (0: the file's size). */
  readonly maximumSize: number;
  /** The object path ({@link objectPath}), or null. */
  readonly path: string | null;
  /** The access the handle gets, or null for CreateFileMapping's (from the protection). */
  readonly access: number | null;
  /** OBJ_OPENIF: a name that exists opens its section; without it the call fails with STATUS_OBJECT_NAME_COLLISION. */
  readonly openIf: boolean;
  /** OBJ_INHERIT / bInheritHandle. */
  readonly inherit: boolean;
}

/**
 * @internal NtCreateSection's work, shared with CreateFileMapping: checks the file handle and its access (B66),
 * makes the section (checking the rest and charging its commit) before the name is looked up, as NtCreateSection
 * does, then opens the existing section of that name (OBJ_OPENIF) or names the new one.
 * @returns the handle, and whether the name existed.
 */
export function createSectionHandle(process: Process, request: SectionRequest): CreateFileMappingResult {
  const kernel = process.kernel;
  validateSectionProtection(request.protect);
  let bytes: Uint8Array | undefined;
  if (request.file !== INVALID_HANDLE_VALUE) {
    const entry = lookupHandle(process, request.file);
    if (entry === undefined) throw invalidHandle(`file handle ${request.file}`);
    if (!(entry.object instanceof FileObject)) throw new WindowsError(STATUS_OBJECT_TYPE_MISMATCH, `handle ${request.file} is not a file`, ERROR_INVALID_HANDLE);
    const needed = fileAccessForSection(request.protect);
    if ((entry.access & needed) !== needed) {
      throw new WindowsError(STATUS_ACCESS_DENIED, `the file handle lacks the access a 0x${request.protect.toString(16)} section needs (B66)`, ERROR_ACCESS_DENIED);
    }
    bytes = entry.object.bytes;
  }
  const made = kernel.newSection({ protect: request.protect, size: request.maximumSize, attributes: request.attributes, ...(bytes === undefined ? {} : { file: bytes }) });
  const existing = request.path === null ? undefined : kernel.objectNames.lookup(request.path);
  const access = request.access ?? mappingAccess(request.protect);
  const attributes = request.inherit ? HANDLE_FLAG_INHERIT : 0;
  if (existing !== undefined) {
    kernel.destroySectionIfUnused(made);
    if (!request.openIf) throw new WindowsError(STATUS_OBJECT_NAME_COLLISION, `a section is already named ${request.path}`);
    return { handle: addHandle(process, existing, access, attributes), alreadyExists: true };
  }
  let handle: number;
  try {
    handle = addHandle(process, made, access, attributes);
  } catch (error) {
    kernel.destroySectionIfUnused(made);
    throw error;
  }
  if (request.path !== null) kernel.objectNames.insert(request.path, made);
  return { handle, alreadyExists: false };
}

/**
 * CreateFileMapping (B60–B63, B66): a section, anonymous (`file` = INVALID_HANDLE_VALUE) or over a file
 * handle, named or not. A name that exists gives a handle to the existing section, whatever the other
 * arguments ask (after they were checked, as NtCreateSection checks them before it looks the name up).
 * @internal Called through {@link Process.createFileMapping}.
 */
export function createFileMapping(process: Process, file: number, flProtect: number, maximumSize: number, name: string | null, inherit: boolean): CreateFileMappingResult {
  const kernel = process.kernel;
  file = requireUlong(file, 'file');
  flProtect = requireUlong(flProtect, 'protect');
  maximumSize = kernel.requireAddress(maximumSize, 'maximumSize');
  inherit = requireBoolean(inherit, 'inherit');
  const path = name === null ? null : objectPath(name);
  kernel.requireLive(process);
  const protect = (flProtect & ~SEC_BITS) >>> 0;
  const attributes = (flProtect & SEC_BITS) >>> 0;
  return createSectionHandle(process, { file, protect, attributes, maximumSize, path, access: null, openIf: true, inherit });
}

/**
 * OpenFileMapping (B63, B65, B72): a handle to the section `name` names, with `desiredAccess` (FILE_MAP_*;
 * FILE_MAP_COPY alone asks for SECTION_MAP_READ, FILE_MAP_EXECUTE for SECTION_MAP_EXECUTE).
 * @internal Called through {@link Process.openFileMapping}.
 */
export function openFileMapping(process: Process, desiredAccess: number, inherit: boolean, name: string): number {
  const kernel = process.kernel;
  desiredAccess = requireUlong(desiredAccess, 'desiredAccess');
  inherit = requireBoolean(inherit, 'inherit');
  const path = objectPath(name);
  kernel.requireLive(process);
  // kernelbase's OpenFileMappingW: FILE_MAP_COPY alone means read; FILE_MAP_EXECUTE is SECTION_MAP_EXECUTE.
  let access = desiredAccess === FILE_MAP_COPY ? SECTION_MAP_READ : desiredAccess;
  if (access & FILE_MAP_EXECUTE) access = (access & ~FILE_MAP_EXECUTE) | SECTION_MAP_EXECUTE;
  const section = kernel.objectNames.lookup(path);
  if (section === undefined) throw new WindowsError(STATUS_OBJECT_NAME_NOT_FOUND, `no section is named "${name}"`);
  return addHandle(process, section, sectionAccess(access), inherit ? HANDLE_FLAG_INHERIT : 0);
}

/**
 * NtClose: STATUS_SUCCESS; STATUS_INVALID_HANDLE for a value that is not an open handle;
 * STATUS_HANDLE_NOT_CLOSABLE for one protected from close (it stays open). The pseudo-handles are not closed
 * ("has no effect", Microsoft's GetCurrentProcess page): STATUS_SUCCESS. (The Windows Research Kernel's NtClose
 * answers STATUS_INVALID_HANDLE for them; no conformance test pins either, and mmukit follows the documentation.)
 * @internal Called through {@link Process.ntClose} and {@link Process.closeHandle}.
 */
export function ntClose(process: Process, handle: number): number {
  handle = requireUlong(handle, 'handle');
  process.kernel.requireLive(process);
  if (handle === CURRENT_PROCESS_HANDLE || handle === CURRENT_THREAD_HANDLE) return STATUS_SUCCESS;
  const entry = process.handles.get(handle);
  if (entry === undefined) return STATUS_INVALID_HANDLE;
  if (entry.attributes & HANDLE_FLAG_PROTECT_FROM_CLOSE) return STATUS_HANDLE_NOT_CLOSABLE;
  process.handles.remove(handle);
  releaseHandle(process.kernel, entry);
  return STATUS_SUCCESS;
}

/**
 * CloseHandle: {@link ntClose}, throwing its failure (ERROR_INVALID_HANDLE for both).
 * @internal Called through {@link Process.closeHandle}.
 */
export function closeHandleOrThrow(process: Process, handle: number): void {
  const status = ntClose(process, handle);
  if (status === STATUS_INVALID_HANDLE) throw invalidHandle(`handle ${String(handle)}`);
  if (status !== STATUS_SUCCESS) throw new WindowsError(status, `handle ${handle} is protected from close (HANDLE_FLAG_PROTECT_FROM_CLOSE)`, ERROR_INVALID_HANDLE);
}

/** A process argument of DuplicateHandle: a {@link Process}, or a process handle of the caller (needing PROCESS_DUP_HANDLE). */
export type DuplicateProcessArgument = Process | number;

/**
 * DuplicateHandle from `source` into `target` (or, with DUPLICATE_CLOSE_SOURCE and no target, only the close).
 * @internal Called through {@link Process.duplicateHandle}.
 */
export function duplicateHandle(caller: Process, handle: number, target: DuplicateProcessArgument | null, desiredAccess: number, inherit: boolean, options: number, source: DuplicateProcessArgument): number {
  return duplicateHandleWith(caller, source, handle, target, desiredAccess, requireBoolean(inherit, 'inherit') ? HANDLE_FLAG_INHERIT : 0, options, DUPLICATE_CLOSE_SOURCE | DUPLICATE_SAME_ACCESS);
}

/** Checks a process argument's form: a process of this kernel (live: STATUS_INVALID_HANDLE otherwise), or a ULONG handle. */
function requireDuplicateProcess(kernel: Kernel, value: unknown, what: string): DuplicateProcessArgument {
  if (typeof value === 'number') return requireUlong(value, what);
  if (typeof value !== 'object' || value === null || (value as Process).kernel !== kernel || !kernel.processes().includes(value as Process)) {
    throw new WindowsError(STATUS_INVALID_HANDLE, `the ${what} is not a live process of this kernel`, ERROR_INVALID_HANDLE);
  }
  return value as Process;
}

/** The process a DuplicateHandle argument names: a Process as it is, a handle through the caller's table with PROCESS_DUP_HANDLE. */
function duplicateProcess(caller: Process, argument: DuplicateProcessArgument): Process {
  return typeof argument === 'number' ? processOfHandle(caller, argument, PROCESS_DUP_HANDLE) : argument;
}

/**
 * @internal DuplicateHandle / NtDuplicateObject made by `caller`: `sourceProcess` and `targetProcess` are processes or
 * process handles of the caller (the source first, then the target, each needing PROCESS_DUP_HANDLE, as
 * NtDuplicateObject references them); `attributes` are the duplicate's HANDLE_FLAG_* bits, replaced by the source's
 * with DUPLICATE_SAME_ATTRIBUTES (NtDuplicateObject only: `allowed` says which options the caller knows). A target
 * that fails is reported after DUPLICATE_CLOSE_SOURCE closed the source ("regardless of any error status").
 */
export function duplicateHandleWith(caller: Process, sourceProcess: DuplicateProcessArgument, handle: number, targetProcess: DuplicateProcessArgument | null, desiredAccess: number, attributes: number, options: number, allowed: number): number {
  const kernel = caller.kernel;
  handle = requireUlong(handle, 'handle');
  desiredAccess = requireUlong(desiredAccess, 'desiredAccess');
  options = requireUlong(options, 'options');
  sourceProcess = requireDuplicateProcess(kernel, sourceProcess, 'source process');
  if (targetProcess !== null) targetProcess = requireDuplicateProcess(kernel, targetProcess, 'target process');
  kernel.requireLive(caller);
  if ((options & ~allowed) !== 0) {
    throw new WindowsError(STATUS_INVALID_PARAMETER, `unknown DuplicateHandle options 0x${options.toString(16)}`, ERROR_INVALID_PARAMETER);
  }
  const source = duplicateProcess(caller, sourceProcess);
  let target: Process | null = null;
  let targetFailure: unknown = null;
  if (targetProcess !== null && targetProcess !== 0) {
    try {
      target = duplicateProcess(caller, targetProcess);
    } catch (error) {
      if (!(error instanceof WindowsError)) throw error;
      targetFailure = error;
    }
  }
  const entry = lookupHandle(source, handle);
  if (entry === undefined) throw invalidHandle(`handle ${handle}`);
  // A pseudo-handle is not in the table: it is never closed.
  const closeSource = (options & DUPLICATE_CLOSE_SOURCE) !== 0 && source.handles.get(handle) === entry && (entry.attributes & HANDLE_FLAG_PROTECT_FROM_CLOSE) === 0;
  if (target === null) {
    // Microsoft's DuplicateHandle: with DUPLICATE_CLOSE_SOURCE the target may be NULL, and the source is closed.
    if ((options & DUPLICATE_CLOSE_SOURCE) === 0 && targetFailure === null) throw new WindowsError(STATUS_INVALID_PARAMETER, 'no target process', ERROR_INVALID_PARAMETER);
    if (closeSource) ntClose(source, handle);
    if (targetFailure !== null) throw targetFailure;
    return 0;
  }
  const object = entry.object;
  const access = options & DUPLICATE_SAME_ACCESS ? entry.access : accessFor(object, desiredAccess);
  // The source goes first, so its value is the one the duplicate gets back (kernel32 test_DuplicateHandle).
  object.handleCount++;
  if (closeSource) {
    source.handles.remove(handle);
    object.handleCount--;
  }
  try {
    return target.handles.add({ object, access, attributes: options & DUPLICATE_SAME_ATTRIBUTES ? entry.attributes : attributes });
  } catch (error) {
    releaseHandle(kernel, { object, access, attributes: 0 }); // the duplicate that was not made
    throw error;
  }
}

/**
 * GetHandleInformation: the handle's HANDLE_FLAG_* attributes.
 * @internal Called through {@link Process.getHandleInformation}.
 */
export function getHandleInformation(process: Process, handle: number): number {
  handle = requireUlong(handle, 'handle');
  process.kernel.requireLive(process);
  const entry = process.handles.get(handle);
  if (entry === undefined) throw invalidHandle(`handle ${handle}`);
  return entry.attributes;
}

/**
 * SetHandleInformation: changes the HANDLE_FLAG_* bits of `mask` to those of `flags`.
 * @internal Called through {@link Process.setHandleInformation}.
 */
export function setHandleInformation(process: Process, handle: number, mask: number, flags: number): void {
  handle = requireUlong(handle, 'handle');
  mask = requireUlong(mask, 'mask');
  flags = requireUlong(flags, 'flags');
  process.kernel.requireLive(process);
  const entry = process.handles.get(handle);
  if (entry === undefined) throw invalidHandle(`handle ${handle}`);
  const known = (mask & (HANDLE_FLAG_INHERIT | HANDLE_FLAG_PROTECT_FROM_CLOSE)) >>> 0;
  entry.attributes = ((entry.attributes & ~known) | (flags & known)) >>> 0;
}

/** @internal A forked child's table: the parent's inheritable handles at the same values (Microsoft's "Handle Inheritance"). */
export function inheritHandles(parent: Process): HandleTable {
  const table = parent.handles.cloneWhere((entry) => (entry.attributes & HANDLE_FLAG_INHERIT) !== 0);
  for (const [, entry] of table.entries()) entry.object.handleCount++;
  return table;
}

/** @internal Closes every handle of an exiting process, protected ones too. */
export function closeAllHandles(process: Process): void {
  for (const [handle] of [...process.handles.entries()]) {
    const entry = process.handles.remove(handle)!;
    releaseHandle(process.kernel, entry);
  }
}
