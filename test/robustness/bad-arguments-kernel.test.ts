// Bad arguments at every public entry point of the kernel (src/os): Kernel, Process (VirtualAlloc,
// VirtualFree, VirtualProtect, VirtualQuery, MapViewOfFile, UnmapViewOfFile, Read/WriteProcessMemory,
// fork, exit, LoadLibrary, FreeLibrary, GetModuleHandle, GetProcAddress, handles, OpenProcess, OpenThread,
// CreateRemoteThread, the *Ex calls and the NT calls' ProcessHandle), threads, sections, the records,
// the protection rules and the reports. Contract: a WindowsError with the Win32 error and NTSTATUS
// that windows-semantics.md gives (B-numbers in the case names), or InvalidArgumentError for calls
// with no Windows counterpart, and the kernel unchanged — checked against a full snapshot (memory,
// frames, every process's VirtualQuery map, page frames, modules, threads and handles, sections, commit,
// counters, every CPU's MMU and TLBs).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AT_ROUND_TO_PAGE,
  AddressSpace,
  ERROR_ACCESS_DENIED,
  ERROR_BAD_EXE_FORMAT,
  ERROR_COMMITMENT_LIMIT,
  ERROR_INVALID_ADDRESS,
  ERROR_INVALID_HANDLE,
  ERROR_INVALID_PARAMETER,
  ERROR_MAPPED_ALIGNMENT,
  ERROR_NOACCESS,
  ERROR_NOT_LOCKED,
  ERROR_NOT_ENOUGH_MEMORY,
  ERROR_NOT_SUPPORTED,
  ERROR_PARTIAL_COPY,
  FILE_MAP_ALL_ACCESS,
  FILE_MAP_COPY,
  FILE_MAP_EXECUTE,
  FILE_MAP_READ,
  FILE_MAP_WRITE,
  Kernel,
  MachineSnapshots,
  PhysicalMemory,
  SavedStateError,
  MAP_PROCESS,
  MAP_SYSTEM,
  MEM_COMMIT,
  MEM_DECOMMIT,
  MEM_FREE,
  MEM_RELEASE,
  MEM_RESERVE,
  MEM_RESET,
  MEM_RESET_UNDO,
  MEM_TOP_DOWN,
  MEM_WRITE_WATCH,
  MemoryInformationClass,
  PAGE_EXECUTE,
  PAGE_EXECUTE_READ,
  PAGE_EXECUTE_READWRITE,
  PAGE_EXECUTE_WRITECOPY,
  PAGE_GUARD,
  PAGE_NOACCESS,
  PAGE_NOCACHE,
  PAGE_READONLY,
  PAGE_READWRITE,
  PAGE_TARGETS_INVALID,
  PAGE_WRITECOMBINE,
  PAGE_WRITECOPY,
  SEC_COMMIT,
  SEC_FILE,
  SEC_IMAGE,
  SEC_LARGE_PAGES,
  SEC_NOCACHE,
  SEC_RESERVE,
  SKYLAKE_TLB,
  SEC_WRITECOMBINE,
  STATUS_ACCESS_DENIED,
  STATUS_ALREADY_COMMITTED,
  STATUS_COMMITMENT_LIMIT,
  STATUS_CONFLICTING_ADDRESSES,
  STATUS_FREE_VM_NOT_AT_BASE,
  STATUS_INVALID_FILE_FOR_SECTION,
  STATUS_INVALID_HANDLE,
  STATUS_INVALID_PAGE_PROTECTION,
  STATUS_INVALID_PARAMETER,
  STATUS_NOT_LOCKED,
  STATUS_ACCESS_VIOLATION,
  STATUS_INVALID_VIEW_SIZE,
  STATUS_INVALID_IMAGE_FORMAT,
  STATUS_MAPPED_ALIGNMENT,
  STATUS_MAPPED_FILE_SIZE_ZERO,
  STATUS_MEMORY_NOT_ALLOCATED,
  STATUS_NOT_COMMITTED,
  STATUS_NOT_MAPPED_VIEW,
  STATUS_NOT_SUPPORTED,
  STATUS_NO_MEMORY,
  STATUS_PARTIAL_COPY,
  STATUS_SECTION_NOT_IMAGE,
  STATUS_SECTION_TOO_BIG,
  STATUS_UNABLE_TO_FREE_VM,
  TlbConfigError,
  WindowsError,
  WindowsExceptionError,
  X86_64,
  accessViolation,
  baseProtection,
  formatProcessReport,
  guardPageViolation,
  imageRequestedProtection,
  inPageError,
  isNtSuccess,
  isSingleBit,
  ntStatusToWin32,
  processReport,
  protectionAccess,
  protectionName,
  reportedProtection,
  sectionAccessForView,
  sectionAllowsViewProtection,
  sectionGrantsViewAccess,
  statusName,
  systemReport,
  validateAllocProtection,
  validateSectionAttributes,
  validateSectionProtection,
  validateViewProtection,
  verify,
  viewProtectAllowed,
  viewProtection,
  viewRequiredAccess,
  win32ErrorName,
  type Allocation,
  type Process,
  type Section,
  type NtProtectResult,
  type NtQueryResult,
  objectPath,
  type NtFlushResult,
  type NtHandleResult,
  type NtMapViewResult,
  type NtRegionResult,
  DUPLICATE_SAME_ACCESS,
  ERROR_FILE_NOT_FOUND,
  ERROR_INVALID_NAME,
  ERROR_PATH_NOT_FOUND,
  GENERIC_READ,
  HANDLE_FLAG_PROTECT_FROM_CLOSE,
  INVALID_HANDLE_VALUE,
  STATUS_HANDLE_NOT_CLOSABLE,
  STATUS_OBJECT_NAME_INVALID,
  STATUS_OBJECT_NAME_NOT_FOUND,
  STATUS_OBJECT_PATH_NOT_FOUND,
  DONT_RESOLVE_DLL_REFERENCES,
  ERROR_INVALID_ORDINAL,
  ERROR_MOD_NOT_FOUND,
  ERROR_PROC_NOT_FOUND,
  ImageFormatError,
  LOAD_LIBRARY_AS_DATAFILE,
  LOAD_LIBRARY_AS_DATAFILE_EXCLUSIVE,
  LOAD_LIBRARY_AS_IMAGE_RESOURCE,
  LOAD_WITH_ALTERED_SEARCH_PATH,
  STATUS_DLL_NOT_FOUND,
  STATUS_ENTRYPOINT_NOT_FOUND,
  STATUS_ORDINAL_NOT_FOUND,
  STATUS_PROCEDURE_NOT_FOUND,
  type ModuleResolver,
  type ModuleSource,
  STACK_SIZE_PARAM_IS_A_RESERVATION,
  stackSizes,
  type Thread,
  CREATE_REMOTE_THREAD_ACCESS,
  CURRENT_PROCESS_HANDLE,
  CURRENT_THREAD_HANDLE,
  OBJ_INHERIT,
  PROCESS_ALL_ACCESS,
  PROCESS_QUERY_LIMITED_INFORMATION,
  PROCESS_VM_OPERATION,
  PROCESS_VM_READ,
  PROCESS_VM_WRITE,
  STATUS_INVALID_CID,
  STATUS_OBJECT_TYPE_MISMATCH,
  STATUS_PROCESS_IS_TERMINATING,
  THREAD_ALL_ACCESS,
  type NtTransfer,
} from '../../src/index.js';
import { HUGE, INVALID_ARGUMENT, NEGATIVES, NON_INTEGERS, NOT_OBJECTS, WRONG_TYPES, bad, counter, coverageTest, noArguments, outside, returns, row, runTable, throws, unknownKey, win32, type Case, type ReturnSpec, type Row } from './harness.js';
import { snapshot } from './snapshot.js';
import { TraceRecorder } from '../../src/mmu/trace-recorder.js';

const PAGE = 0x1000;
const GRANULE = 0x10000;

// ------------------------------------------------------------------ the fixture

/**
 * A kernel with something of everything: private memory committed (touched and not), reserved,
 * guarded and NOACCESS; a shared view of a SEC_COMMIT section, a read-only file view, a SEC_RESERVE
 * view, a view of a closed section; an unmapped view's address; an exited process; and a second
 * kernel whose process and section must be refused as foreign.
 */
function world() {
  const kernel = new Kernel({ memorySize: 256 * PAGE, cpus: 2 });
  const p = kernel.createProcess();
  const cpu = kernel.run(0, p);
  const rw = p.virtualAlloc(0, 4 * GRANULE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
  cpu.mmu.write32(rw, 0x1234_5678); // demand-zero frame
  cpu.mmu.read32(rw + PAGE); // the shared zero frame
  const reserved = p.virtualAlloc(0, GRANULE, MEM_RESERVE, PAGE_READWRITE);
  p.virtualAlloc(reserved, PAGE, MEM_COMMIT, PAGE_READONLY); // first page committed, the rest reserved
  const guard = p.virtualAlloc(0, GRANULE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
  const noaccess = p.virtualAlloc(0, GRANULE, MEM_RESERVE | MEM_COMMIT, PAGE_NOACCESS);
  const anonymous = kernel.createSection({ protect: PAGE_READWRITE, size: 2 * GRANULE });
  const view = p.mapViewOfSection(anonymous, { access: FILE_MAP_WRITE });
  cpu.mmu.write32(view, 7);
  const file = new Uint8Array(3 * PAGE + 100).map((_, i) => i & 0xff);
  const readonly = kernel.createSection({ protect: PAGE_READONLY, file });
  const readView = p.mapViewOfSection(readonly, { access: FILE_MAP_READ });
  const reserveSection = kernel.createSection({ protect: PAGE_READWRITE, size: GRANULE, attributes: SEC_RESERVE });
  const reserveView = p.mapViewOfSection(reserveSection, { access: FILE_MAP_READ });
  const closedMapped = kernel.createSection({ protect: PAGE_READWRITE, size: PAGE });
  const closedView = p.mapViewOfSection(closedMapped, { access: FILE_MAP_WRITE });
  kernel.closeSection(closedMapped); // closed but alive: its view still maps it (B72)
  const destroyed = kernel.createSection({ protect: PAGE_READWRITE, size: PAGE });
  kernel.closeSection(destroyed);
  const gone = p.mapViewOfSection(anonymous, { access: FILE_MAP_READ });
  p.unmapViewOfSection(gone);
  const dead = kernel.createProcess();
  dead.virtualAlloc(0, GRANULE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
  dead.exit();
  const other = new Kernel({ memorySize: 16 * PAGE });
  const foreign = other.createProcess();
  const foreignSection = other.createSection({ protect: PAGE_READWRITE, size: PAGE });
  const second = kernel.createProcess();
  kernel.run(1, second);
  const lonely = p.virtualAlloc(0x4000_0000, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE); // free memory follows it
  const watch = p.virtualAlloc(0x5000_0000, GRANULE, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE); // write-watched (B103)
  const fileHandle = p.createFile(file, GENERIC_READ); // handle 4
  const mappingHandle = p.createFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, PAGE, 'robust').handle; // handle 8
  const readHandle = p.openFileMapping(FILE_MAP_READ, false, 'robust'); // handle 12: no SECTION_QUERY, no SECTION_MAP_WRITE
  const protectedHandle = p.duplicateHandle(mappingHandle, p, 0, false, DUPLICATE_SAME_ACCESS); // handle 16
  p.setHandleInformation(protectedHandle, HANDLE_FLAG_PROTECT_FROM_CLOSE, HANDLE_FLAG_PROTECT_FROM_CLOSE);
  cpu.mmu.write32(watch + PAGE, 1); // one page recorded
  return { fileHandle, mappingHandle, readHandle, protectedHandle, watch, lonely, kernel, p, cpu, rw, reserved, guard, noaccess, anonymous, view, readonly, readView, reserveSection, reserveView, closedMapped, closedView, destroyed, gone, dead, foreign, foreignSection, second, file };
}
type W = ReturnType<typeof world>;
const WORLD = { setup: world, state: (w: W) => w.kernel };
const NONE = { setup: () => ({}), state: () => ({}) };
/** The world with a trace recorder attached (its attachment and tracks are part of the state). */
function tracedWorld() {
  const w = world();
  const recorder = new TraceRecorder({ capacity: 16 });
  w.kernel.setTracer(recorder, { process: 'kept' });
  return { ...w, recorder };
}
type TrW = ReturnType<typeof tracedWorld>;
const TRACED_WORLD = {
  setup: tracedWorld,
  state: (w: TrW) => ({ kernel: w.kernel, extra: { attached: w.kernel.traceRecorder === w.recorder && w.kernel.cpus.every((c) => c.mmu.traceRecorder === w.recorder), tracks: w.recorder.tracks(), size: w.recorder.size } }),
};
/** The world with an image section (absolute32.dll) for NtMapViewOfSection of an image. */
function imageWorld() {
  const w = world();
  return { ...w, image: w.kernel.createImageSection(new Uint8Array(readFileSync(new URL('../../fixtures/pe/absolute32.dll', import.meta.url)))) };
}
type IW = ReturnType<typeof imageWorld>;
const IMAGE_WORLD = { setup: imageWorld, state: (w: IW) => w.kernel };

const peFiles = new Map<string, Uint8Array | undefined>();
/** A file of fixtures/pe, or undefined when there is none: the same bytes every time, so that processes share its image section. */
function peFile(name: string): Uint8Array | undefined {
  if (!peFiles.has(name)) {
    try {
      peFiles.set(name, new Uint8Array(readFileSync(new URL(`../../fixtures/pe/${name}`, import.meta.url))));
    } catch {
      peFiles.set(name, undefined);
    }
  }
  return peFiles.get(name);
}
/** The loader's resolver over fixtures/pe: a DLL's bytes by name, case-insensitively (fixtures/pe/README.md). */
const resolve: ModuleResolver = (name) => peFile(name.toLowerCase());
/** {@link resolve}, with the DLL `name` not found, or `bytes` in its place. */
const resolveWith = (name: string, bytes?: Uint8Array): ModuleResolver => (n) => (n.toLowerCase() === name ? bytes : resolve(n));
/**
 * A kernel whose processes have modules (B96): `p` loaded importer32.dll, and so its imports
 * exporter32.dll and target32.dll; `exe` has app32.exe as its main executable; `lone` loaded
 * exporter32.dll alone (its forwarders lead to target32.dll, not loaded there); `fresh` has no
 * module; `dead` exited with one.
 */
function loaderWorld() {
  const kernel = new Kernel({ memorySize: 256 * PAGE, cpus: 2 });
  const p = kernel.createProcess();
  kernel.run(0, p);
  const importer = p.loadLibrary('importer32.dll', resolve).base;
  const exporter = p.getModuleHandle('exporter32.dll');
  const exe = kernel.createProcess();
  kernel.run(1, exe);
  const app = exe.loadExecutable('app32.exe', resolve).base;
  const lone = kernel.createProcess();
  const loneExporter = lone.loadLibrary('exporter32.dll', resolve).base;
  const fresh = kernel.createProcess();
  const dead = kernel.createProcess();
  dead.loadLibrary('target32.dll', resolve);
  dead.exit();
  return { kernel, p, importer, exporter, exe, app, lone, loneExporter, fresh, dead };
}
type LW = ReturnType<typeof loaderWorld>;
const LOADER_WORLD = { setup: loaderWorld, state: (w: LW) => w.kernel };
/**
 * For a load that fails after it mapped a module (an import missing or not bindable): what a
 * program can observe, as test/robustness/exhaustion.test.ts checks a failed loadImage — modules and
 * load counts, views, commit, sections, data — but not counters, TLB contents, or the page tables
 * the mapping made (they stay until the process exits).
 */
const LOADER_OBSERVABLE = { setup: loaderWorld, state: (w: LW) => ({ extra: snapshot(w.kernel, { counters: false, memory: 'data', tlbs: false, pageTables: false }) }) };
/** Module names that are not strings (null is GetModuleHandle's main executable). */
const NOT_NAMES = [undefined, 5, {}, ['target32.dll'], 5n, true, new Uint8Array(4)];
/** Strings that name no module: empty, spaces, a dot, a directory (B96: ERROR_MOD_NOT_FOUND). */
const NO_NAMES = ['', '   ', '.', 'C:\\windows\\', 'lib/'];
/** Sources that are neither a DLL's bytes nor a resolver. */
const NOT_SOURCES = [null, undefined, 5, 'target32.dll', {}, [0x4d, 0x5a], new Uint16Array(4), new ArrayBuffer(8)];
/** Bytes that are not an image (B89). */
const NOT_PE = [new Uint8Array(0), new Uint8Array(64), peFile('few32.dll')!.slice(0, 300)];
/** Module handles that are no loaded module's base: not numbers, NULL, 0xdeadbeef, a base as a string, inside a module, another process's module. */
const NOT_BASES = [null, undefined, NaN, -1, 0.5, 0, 0xdeadbeef, 2 ** 53, 5n, {}, '0x10500000', 'inside', 'other'];
const baseOf = (w: LW, v: unknown) => (v === 'inside' ? w.importer + PAGE : v === 'other' ? w.app : v) as number;
const MOD_NOT_FOUND = win32(ERROR_MOD_NOT_FOUND, STATUS_DLL_NOT_FOUND);
const PROC_NOT_FOUND = win32(ERROR_PROC_NOT_FOUND, STATUS_PROCEDURE_NOT_FOUND);
const BAD_EXE_FORMAT = win32(ERROR_BAD_EXE_FORMAT, STATUS_INVALID_IMAGE_FORMAT);
const IMAGE_FORMAT = throws(ImageFormatError, 'IMAGE_FORMAT');
/** A resolver that fails with an error of its own. */
const failingResolver: ModuleResolver = () => {
  throw new RangeError('the resolver failed');
};

/** The world with a thread running on CPU 0, an exited thread, and a thread of the second kernel. */
function threadWorld() {
  const w = world();
  const thread = w.p.createThread();
  w.kernel.runThread(0, thread);
  const exitedThread = w.p.createThread();
  exitedThread.exit();
  return { ...w, thread, exitedThread, foreignThread: w.foreign.createThread() };
}
type TW = ReturnType<typeof threadWorld>;
const THREAD_WORLD = { setup: threadWorld, state: (w: TW) => w.kernel };

/**
 * The thread world, and handles in `p`'s table to processes and threads (`h`): to `second` with every right
 * (`all`), with PROCESS_QUERY_LIMITED_INFORMATION alone (`query`), with no right (`none`), with PROCESS_VM_OPERATION
 * alone (`vmop`), with PROCESS_VM_READ | PROCESS_VM_WRITE (`readWrite`: no PROCESS_VM_OPERATION), with
 * CreateRemoteThread's rights but PROCESS_VM_READ (`almost`); to `doomed`, a process that exited while the handle
 * stayed open (`doomed`); to `thread` with every right (`thread`) and with none (`threadNone`); to `ended`, a thread
 * that exited while its handle stayed open (`ended`); and `closed`, a handle closed again, whose value is the next
 * one given out (a call that leaks a handle would take it). `second` has memory of its own at `secondBase`; the
 * caller's `lonely` page is free there.
 */
function handleWorld() {
  const w = threadWorld();
  const { kernel, p, second, thread } = w;
  const secondBase = second.virtualAlloc(0, GRANULE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
  const doomed = kernel.createProcess();
  const ended = p.createThread();
  const open = (access: number, pid = second.pid) => p.openProcess(access, false, pid);
  const h = {
    all: open(PROCESS_ALL_ACCESS),
    query: open(PROCESS_QUERY_LIMITED_INFORMATION),
    none: open(0),
    vmop: open(PROCESS_VM_OPERATION),
    readWrite: open(PROCESS_VM_READ | PROCESS_VM_WRITE),
    almost: open(CREATE_REMOTE_THREAD_ACCESS & ~PROCESS_VM_READ),
    doomed: open(PROCESS_ALL_ACCESS, doomed.pid),
    thread: p.openThread(THREAD_ALL_ACCESS, false, thread.id),
    threadNone: p.openThread(0, false, thread.id),
    ended: p.openThread(THREAD_ALL_ACCESS, false, ended.id),
    closed: open(PROCESS_ALL_ACCESS),
  };
  p.closeHandle(h.closed);
  doomed.exit();
  ended.exit();
  return { ...w, secondBase, doomed, ended, h };
}
type HW = ReturnType<typeof handleWorld>;
const HANDLE_WORLD = { setup: handleWorld, state: (w: HW) => w.kernel };

/**
 * A handle argument by name: a handle of `h` ('all', 'none', 'closed', …), the section handle ('section'), the file
 * handle ('file', and 'file|1': the same handle, its tag bits ignored); any other value as it is.
 */
function handleValue(w: HW, v: unknown): unknown {
  if (typeof v !== 'string') return v;
  if (v === 'section') return w.mappingHandle;
  if (v === 'file') return w.fileHandle;
  if (v === 'file|1') return w.fileHandle | 1;
  return Object.hasOwn(w.h, v) ? w.h[v as keyof HW['h']] : v;
}
/** A DuplicateHandle process argument by name: 'dead process', 'doomed process', 'foreign process' (Process objects), or a {@link handleValue}. */
function processArgument(w: HW, v: unknown): unknown {
  return v === 'dead process' ? w.dead : v === 'doomed process' ? w.doomed : v === 'foreign process' ? w.foreign : handleValue(w, v);
}
/** A client id by name: a process's ('p', 'dead': exited, no handle left), a thread's ('thread', 'exitedThread': exited, no handle left, 'ended'); any other value as it is. */
function idValue(w: HW, v: unknown): unknown {
  return ({ p: w.p.pid, dead: w.dead.pid, thread: w.thread.id, exitedThread: w.exitedThread.id, ended: w.ended.id } as Record<string, number>)[v as string] ?? v;
}

/** Handle values (and access masks, ids) that are not ULONGs; undefined aside, the NT calls' default. */
const NOT_ULONGS: readonly unknown[] = [NaN, Infinity, 0.5, -0.5, 2 ** 32, -(2 ** 31) - 1, 2 ** 53, '4', '', null, {}, [], [4], true, 4n, { valueOf: () => 4 }];
/** Values that are no open handle of the caller: NULL (B22), a value never given out, a closed handle. */
const NOT_OPEN: readonly unknown[] = [0, 0x400, 'closed'];
/** Open handles to objects that are not processes: a section, a file (tag bits ignored), a thread, GetCurrentThread(). */
const NOT_PROCESSES: readonly unknown[] = ['section', 'file', 'file|1', 'thread', CURRENT_THREAD_HANDLE];
/** Open handles to objects that are not threads: a section, a file, a process, GetCurrentProcess(). */
const NOT_THREADS: readonly unknown[] = ['section', 'file', 'all', CURRENT_PROCESS_HANDLE];
const OBJECT_TYPE_MISMATCH = win32(ERROR_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH);
const ACCESS_DENIED = win32(ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED);
const PROCESS_IS_TERMINATING = win32(ERROR_ACCESS_DENIED, STATUS_PROCESS_IS_TERMINATING);
const INVALID_CID = win32(ERROR_INVALID_PARAMETER, STATUS_INVALID_CID);
/** The status of an NT call's result (`{ status, … }`, or the status itself). */
const statusOfResult = (r: unknown): unknown => (typeof r === 'number' ? r : (r as { status?: unknown } | null)?.status);
/** An NT call that returns `status` (and, with a handle, handle 0). */
function ntStatus(status: number): ReturnSpec {
  return returns(`${statusName(status)}, nothing changed`, (r) => statusOfResult(r) === status && (typeof r !== 'object' || !('handle' in (r as object)) || (r as NtHandleResult).handle === 0));
}
/** An NT call that returns a failure status (an error or a warning, STATUS_PARTIAL_COPY). */
const NT_FAILURE = returns('a failure status, nothing changed', (r) => typeof statusOfResult(r) === 'number' && !isNtSuccess(statusOfResult(r) as number));

/**
 * The bad process handles of a Win32 call that takes one (VirtualAllocEx & co.): `call(caller, w, handle)` with
 * every other argument valid; `lacking` names handles without the right the call needs.
 */
function processHandleErrors(call: (caller: Process, w: HW, handle: number) => unknown, lacking: readonly string[]): Case<HW>[] {
  const at = (w: HW, v: unknown) => call(w.p, w, handleValue(w, v) as number);
  return [
    bad('on an exited process (even with GetCurrentProcess())', [0], (w: HW) => call(w.dead, w, CURRENT_PROCESS_HANDLE), INVALID_HANDLE),
    bad('processHandle not a ULONG', [...NOT_ULONGS, undefined], at, INVALID_PARAMETER),
    bad('processHandle not an open handle (B22: NULL)', NOT_OPEN, at, INVALID_HANDLE),
    bad('processHandle not a process: a section, a file, a thread, GetCurrentThread()', NOT_PROCESSES, at, OBJECT_TYPE_MISMATCH),
    bad('processHandle without the right the call needs', lacking, at, ACCESS_DENIED),
    bad('processHandle to a process that exited while it stayed open', ['doomed'], at, PROCESS_IS_TERMINATING),
  ];
}

/**
 * The bad trailing ProcessHandle arguments of an NT memory call: `call(caller, w, handle)` with arguments that would
 * succeed on the caller itself (so a handle that were ignored would change the caller). A handle of the wrong type
 * throws; a handle that fails is the status; `lacking` names handles without the right the call needs.
 */
function ntProcessHandleCases(call: (caller: Process, w: HW, handle: number) => unknown, lacking: readonly string[]): Case<HW>[] {
  const at = (w: HW, v: unknown) => call(w.p, w, handleValue(w, v) as number);
  return [
    bad('on an exited process, with GetCurrentProcess()', [0], (w: HW) => call(w.dead, w, CURRENT_PROCESS_HANDLE), INVALID_HANDLE),
    bad('processHandle not a ULONG (undefined is the caller)', NOT_ULONGS, at, INVALID_PARAMETER),
    bad('processHandle not an open handle: the status', NOT_OPEN, at, ntStatus(STATUS_INVALID_HANDLE)),
    bad('processHandle not a process (a section, a file, a thread, GetCurrentThread()): the status', NOT_PROCESSES, at, ntStatus(STATUS_OBJECT_TYPE_MISMATCH)),
    bad('processHandle without the right the call needs: the status', lacking, at, ntStatus(STATUS_ACCESS_DENIED)),
    bad('processHandle to a process that exited while it stayed open: the status', ['doomed'], at, ntStatus(STATUS_PROCESS_IS_TERMINATING)),
  ];
}
/** Handles without PROCESS_VM_OPERATION. */
const NO_VM_OPERATION = ['none', 'query', 'readWrite'];
/** A call made as `[got, expected]`: the id the call answered and the one of the object the handle names. */
const SAME_ID = returns('the id of the object the handle names', (r) => Array.isArray(r) && typeof r[0] === 'number' && r[0] === r[1]);

const INVALID_PARAMETER = win32(ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER);
const INVALID_PROTECTION = win32(ERROR_INVALID_PARAMETER, STATUS_INVALID_PAGE_PROTECTION);
const INVALID_HANDLE = win32(ERROR_INVALID_HANDLE, STATUS_INVALID_HANDLE);
const isNumber = (r: unknown) => typeof r === 'number' && Number.isInteger(r) && r >= 0 && r <= 0xffff_ffff;
const isString = (r: unknown) => typeof r === 'string' && r.length > 0;
const isBoolean = (r: unknown) => typeof r === 'boolean';

/** Addresses that are not integers in [0, 2^53): VirtualAlloc & co. answer ERROR_INVALID_PARAMETER. */
const BAD_ADDRESSES = [...NON_INTEGERS, ...NEGATIVES, ...HUGE, ...WRONG_TYPES, undefined];
/** Sizes that are not integers in [0, user top]. */
const BAD_SIZES = [...NON_INTEGERS, ...NEGATIVES, ...HUGE, ...WRONG_TYPES, undefined, 2 ** 48];
/** SIZE_T values JavaScript cannot pass as the guest's: the NT calls throw for these (a large size is a guest-level status). */
const NT_BAD_SIZES = [...NON_INTEGERS, ...NEGATIVES, ...HUGE, ...WRONG_TYPES, undefined];
/** DWORD flags that are not DWORDs. */
const NOT_DWORDS = [NaN, Infinity, -1, 0.5, 2 ** 32 + MEM_COMMIT, 2 ** 53, '4096', null, undefined, {}, MEM_COMMIT + 0.5, 4096n];

/** Protections VirtualAlloc and VirtualProtect refuse for private memory (B10–B14, B33, MS-PROT). */
const BAD_PRIVATE_PROTECTIONS = [
  0, // B10
  PAGE_WRITECOPY, // B12
  PAGE_EXECUTE_WRITECOPY, // B12
  PAGE_READONLY | PAGE_EXECUTE, // B11: two base bits
  0x03, // B33
  0x14, // B33
  0x30,
  0xff,
  PAGE_NOACCESS | PAGE_GUARD, // MS-GUARD: not with NOACCESS
  PAGE_NOACCESS | PAGE_NOCACHE,
  PAGE_READWRITE | PAGE_GUARD | PAGE_NOCACHE,
  PAGE_READWRITE | PAGE_NOCACHE | PAGE_WRITECOMBINE,
  PAGE_READWRITE | PAGE_TARGETS_INVALID, // CFG bits are not accepted
  PAGE_READWRITE | 0x800, // PAGE_GRAPHICS_NOACCESS
  PAGE_READWRITE | 0x8000_0000,
  PAGE_READWRITE + 2 ** 32, // not a DWORD
  PAGE_READWRITE + 0.5,
  -PAGE_READWRITE,
  NaN,
  '4',
  null,
  undefined,
  { valueOf: () => PAGE_READWRITE },
];

// ------------------------------------------------------------------ the table

const TABLE: Row<any>[] = [
  // ------------------------------------------------------------------ Kernel
  row('new Kernel', NONE, [
    bad('options not an object', [null, 5, 'kernel', true], (_, v) => new Kernel(v as never), INVALID_ARGUMENT),
    bad('memorySize not a positive multiple of 4096', [...NON_INTEGERS, 0, -PAGE, PAGE + 1, '65536', {}], (_, v) => new Kernel({ memorySize: v as number }), INVALID_ARGUMENT),
    bad('memorySize too small for the kernel\'s own frames', [PAGE], (_, v) => new Kernel({ memorySize: v as number }), INVALID_ARGUMENT),
    bad('unknown format', ['x86', 'X86-64', 5, {}, null], (_, v) => new Kernel({ memorySize: 16 * PAGE, format: v as never }), INVALID_ARGUMENT),
    bad('cpus not an integer in [1, 64]', [...NON_INTEGERS, 0, -1, 65, '2', {}], (_, v) => new Kernel({ memorySize: 16 * PAGE, cpus: v as number }), INVALID_ARGUMENT),
    bad('commitLimit not a non-negative integer', [...NON_INTEGERS, -1, '5', {}], (_, v) => new Kernel({ memorySize: 16 * PAGE, commitLimit: v as number }), INVALID_ARGUMENT),
    bad('relocationPolicy unknown', ['ASLR', 'none', 5, {}], (_, v) => new Kernel({ memorySize: 16 * PAGE, relocationPolicy: v as never }), INVALID_ARGUMENT),
    bad('kernelCycles not an object, or a bad latency', [5, 'fast', { ipi: NaN }, { ipi: -1 }, { frameCopy: '1' }, { bogus: 1 }], (_, v) => new Kernel({ memorySize: 16 * PAGE, kernelCycles: v as never }), INVALID_ARGUMENT),
    bad('asids or zeroPageSharing not a boolean', [[{ asids: 1 }], [{ asids: 'no' }], [{ zeroPageSharing: 0 }], [{ zeroPageSharing: 'yes' }]], (_, [o]: object[]) => new Kernel({ memorySize: 16 * PAGE, ...o }), INVALID_ARGUMENT),
    bad('MMU latencies bad', [{ l1Hit: -1 }, { l1Hit: NaN }, { l9Hit: 1 }], (_, v) => new Kernel({ memorySize: 16 * PAGE, cycles: v as never }), INVALID_ARGUMENT),
    bad('TLB geometry bad', [{ l1i: null, l1d: null }, 5], (_, v) => new Kernel({ memorySize: 16 * PAGE, tlb: v as never }), throws(TlbConfigError)),
    bad('an unknown option key (a typo): did you mean', [0], (_) => new Kernel({ memorySize: 16 * PAGE, cpu: 2 } as never), unknownKey(INVALID_ARGUMENT, 'cpu', 'cpus')),
    bad('an unknown option key (a typo): did you mean', [0], (_) => new Kernel({ memorySize: 16 * PAGE, kernelCycles: { frameCpy: 1 } } as never), unknownKey(INVALID_ARGUMENT, 'frameCpy', 'frameCopy')),
    bad('an unknown option key (a typo): did you mean', [0], (_) => new Kernel({ memorySize: 16 * PAGE, tlb: { ...SKYLAKE_TLB, l3: null } } as never), unknownKey(throws(TlbConfigError), 'l3', 'l2')),
  ]),
  noArguments('Kernel.processes', WORLD),
  noArguments('Kernel.sections', WORLD),
  noArguments('Kernel.snapshot', WORLD, 'takes no arguments; test/os/kernel-snapshots.test.ts'),
  ...(['restore', 'discardSnapshot'] as const).map((op) =>
    row(`Kernel.${op}`, WORLD, [
      bad('not an open snapshot of this kernel', [null, undefined, {}, 5, 'snapshot', 'foreign'], (w: W, v) => w.kernel[op]((v === 'foreign' ? w.foreign.kernel.snapshot() : v) as never), INVALID_ARGUMENT),
    ]),
  ),
  row('Kernel.saveState', WORLD, [
    bad('not an open snapshot of this kernel (undefined saves the current state)', [null, {}, 5, 'snapshot', 'foreign'], (w: W, v) => w.kernel.saveState((v === 'foreign' ? w.foreign.kernel.snapshot() : v) as never), INVALID_ARGUMENT),
  ]),
  row('static Kernel.loadState', WORLD, [
    bad('not a saved state', [null, undefined, 5, 'MMUKIT', {}, [], new Uint8Array(0), new Uint8Array(64)], (_w: W, v) => Kernel.loadState(v as Uint8Array), throws(SavedStateError, 'SAVED_STATE')),
    bad('a damaged, truncated or other-version saved kernel', ['truncated', 'flipped', 'version'], (w: W, v) => {
      const bytes = w.foreign.kernel.saveState();
      if (v === 'version') bytes[8] ^= 0xff;
      else if (v === 'flipped') bytes[bytes.length - 10] ^= 1;
      return Kernel.loadState(v === 'truncated' ? bytes.subarray(0, bytes.length >> 1) : bytes);
    }, throws(SavedStateError, 'SAVED_STATE')),
    bad('the saved state of a bare machine', [0], () => Kernel.loadState(new MachineSnapshots({ memory: new PhysicalMemory({ size: 16 * PAGE }) }).save()), throws(SavedStateError, 'SAVED_STATE')),
  ], 'makes a new kernel: the state checked is the world\'s, which a load must not touch'),
  noArguments('Kernel.createProcess', WORLD, 'takes no arguments; running out of frames or ASIDs is test/robustness/exhaustion.test.ts'),
  row('Kernel.run', WORLD, [
    bad('cpu not a CPU index of this kernel', [...NON_INTEGERS, -1, 2, '0', null, undefined, {}], (w: W, v) => w.kernel.run(v as number, w.p), INVALID_ARGUMENT),
    bad('cpu a CPU of another kernel', [0], (w: W) => w.kernel.run(w.foreign.kernel.cpus[0], w.p), INVALID_ARGUMENT),
    bad('process exited, foreign or not a process (B22)', ['dead', 'foreign', null, undefined, {}, 5], (w: W, v) => w.kernel.run(0, (v === 'dead' ? w.dead : v === 'foreign' ? w.foreign : v) as Process), INVALID_HANDLE),
  ]),
  row('Kernel.idle', WORLD, [
    bad('cpu not a CPU index of this kernel', [...NON_INTEGERS, -1, 2, '0', null, undefined, {}], (w: W, v) => w.kernel.idle(v as number), INVALID_ARGUMENT),
    bad('cpu a CPU of another kernel', [0], (w: W) => w.kernel.idle(w.foreign.kernel.cpus[0]), INVALID_ARGUMENT),
  ]),
  row('Kernel.setTracer', TRACED_WORLD, [
    bad('recorder neither a TraceRecorder nor null', [undefined, {}, 1, 'recorder', [], { events: () => [] }], (w: TrW, v) => w.kernel.setTracer(v as never), INVALID_ARGUMENT),
    bad('options not an object with a non-empty process name of at most 200 characters', [null, 1, 'kernel', { process: '' }, { process: 7 }, { process: 'x'.repeat(201) }, { thread: 'CPU' }], (w: TrW, v) => w.kernel.setTracer(w.recorder, v as never), INVALID_ARGUMENT),
    bad('options without a recorder', [{ process: 'kernel' }], (w: TrW, v) => w.kernel.setTracer(null, v as never), INVALID_ARGUMENT),
  ]),
  row('Kernel.createSection', WORLD, [
    bad('options not an object', [null, 5, 'section', undefined], (w: W, v) => w.kernel.createSection(v as never), INVALID_PARAMETER),
    bad('an unknown option key (a typo): did you mean', [0], (w: W) => w.kernel.createSection({ protect: PAGE_READWRITE, size: PAGE, attribute: SEC_COMMIT } as never), unknownKey(INVALID_PARAMETER, 'attribute', 'attributes')),
    bad('protection CreateFileMapping refuses (B60)', [0, PAGE_NOACCESS, PAGE_EXECUTE, 0x03, 0x06, PAGE_READWRITE | PAGE_GUARD, PAGE_READWRITE | PAGE_NOCACHE, PAGE_READWRITE | PAGE_WRITECOMBINE, PAGE_READWRITE + 2 ** 32, PAGE_READWRITE + 0.5, NaN, '4', null, undefined, { valueOf: () => PAGE_READWRITE }], (w: W, v) => w.kernel.createSection({ protect: v as number, size: PAGE }), INVALID_PROTECTION),
    bad('SEC_* combinations CreateFileMapping refuses (B61)', [SEC_RESERVE | SEC_COMMIT, SEC_NOCACHE, SEC_WRITECOMBINE, SEC_FILE, SEC_LARGE_PAGES | SEC_RESERVE, SEC_LARGE_PAGES | SEC_COMMIT, SEC_COMMIT | SEC_NOCACHE | SEC_WRITECOMBINE, SEC_IMAGE | SEC_COMMIT, SEC_IMAGE | SEC_RESERVE, 0x1, 0x2000_0000, -1, NaN, 0.5, SEC_COMMIT + 0.5, SEC_COMMIT + 2 ** 32, '0x8000000', {}], (w: W, v) => w.kernel.createSection({ protect: PAGE_READWRITE, size: PAGE, attributes: v as number }), win32(ERROR_INVALID_PARAMETER)),
    bad('SEC_IMAGE on an anonymous section → ERROR_BAD_EXE_FORMAT (B61)', [SEC_IMAGE, SEC_IMAGE | SEC_NOCACHE], (w: W, v) => w.kernel.createSection({ protect: PAGE_READONLY, size: PAGE, attributes: v as number }), win32(ERROR_BAD_EXE_FORMAT, STATUS_INVALID_FILE_FOR_SECTION)),
    bad('anonymous size 0, absent, or not a size (B62)', [0, undefined, ...NON_INTEGERS, ...NEGATIVES, ...HUGE, '4096', {}], (w: W, v) => w.kernel.createSection({ protect: PAGE_READWRITE, size: v as number }), INVALID_PARAMETER),
    bad('SEC_COMMIT size past the commit limit', [2 ** 46, 2 ** 40, 1024 * GRANULE], (w: W, v) => w.kernel.createSection({ protect: PAGE_READWRITE, size: v as number }), win32(ERROR_COMMITMENT_LIMIT, STATUS_COMMITMENT_LIMIT)),
    bad('SEC_RESERVE size too large for the per-page records (documented limit: 16 GiB)', [2 ** 46, 2 ** 40, 2 ** 34 + PAGE], (w: W, v) => w.kernel.createSection({ protect: PAGE_READWRITE, size: v as number, attributes: SEC_RESERVE }), win32(ERROR_NOT_ENOUGH_MEMORY, STATUS_NO_MEMORY)),
    bad('file not a Uint8Array', ['bytes', [1, 2], new Uint16Array(4), 5, {}], (w: W, v) => w.kernel.createSection({ protect: PAGE_READONLY, file: v as Uint8Array }), INVALID_PARAMETER),
    bad('an empty file (B62)', [new Uint8Array(0)], (w: W, v) => w.kernel.createSection({ protect: PAGE_READONLY, file: v as Uint8Array }), win32(ntStatusToWin32(STATUS_MAPPED_FILE_SIZE_ZERO), STATUS_MAPPED_FILE_SIZE_ZERO)),
    bad('a size larger than the file (B62)', [101, 2 * PAGE], (w: W, v) => w.kernel.createSection({ protect: PAGE_READONLY, size: v as number, file: new Uint8Array(100) }), win32(ntStatusToWin32(STATUS_SECTION_TOO_BIG), STATUS_SECTION_TOO_BIG)),
  ]),
  row('Kernel.closeSection', WORLD, [
    bad('not a live, open section of this kernel', ['closed', 'destroyed', 'foreign', null, undefined, {}, 5], (w: W, v) => w.kernel.closeSection((v === 'closed' ? w.closedMapped : v === 'destroyed' ? w.destroyed : v === 'foreign' ? w.foreignSection : v) as Section), INVALID_HANDLE),
  ]),
  ...(['querySection', 'querySectionImage'] as const).map((op) =>
    row(`Kernel.${op}`, WORLD, [
      bad('not a live, open section of this kernel', ['closed', 'destroyed', 'foreign', null, undefined, {}, 5], (w: W, v) => w.kernel[op]((v === 'closed' ? w.closedMapped : v === 'destroyed' ? w.destroyed : v === 'foreign' ? w.foreignSection : v) as Section), INVALID_HANDLE),
      ...(op === 'querySectionImage' ? [bad('a data section (B62)', [0], (w: W) => w.kernel.querySectionImage(w.anonymous), win32(ERROR_INVALID_PARAMETER, STATUS_SECTION_NOT_IMAGE))] : []),
    ]),
  ),

  // ------------------------------------------------------------------ VirtualAlloc
  row('Process.virtualAlloc', WORLD, [
    bad('on an exited process (B22)', ['dead'], (w: W) => w.dead.virtualAlloc(0, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), INVALID_HANDLE),
    bad('address not an address', BAD_ADDRESSES, (w: W, v) => w.p.virtualAlloc(v as number, PAGE, MEM_RESERVE, PAGE_READWRITE), INVALID_PARAMETER),
    bad('address below 0x10000 or above the user space (§1.1)', [PAGE, 0xf000, 2 ** 47, 0x7fff_ffff_0000], (w: W, v) => w.p.virtualAlloc(v as number, PAGE, MEM_RESERVE, PAGE_READWRITE), INVALID_PARAMETER),
    bad('size 0 (B1) or not a size', [0, ...BAD_SIZES], (w: W, v) => w.p.virtualAlloc(0, v as number, MEM_RESERVE, PAGE_READWRITE), INVALID_PARAMETER),
    bad('a reservation too large for the per-page records (documented limit: 16 GiB)', [2 ** 40, 2 ** 34 + PAGE, 2 ** 46], (w: W, v) => w.p.virtualAlloc(0, v as number, MEM_RESERVE, PAGE_READWRITE), win32(ERROR_NOT_ENOUGH_MEMORY, STATUS_NO_MEMORY)),
    bad('a commit past the commit limit', [2 ** 30, 2 ** 34], (w: W, v) => w.p.virtualAlloc(0, v as number, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), win32(ERROR_COMMITMENT_LIMIT, STATUS_COMMITMENT_LIMIT)),
    bad('allocationType not a DWORD, unknown bits, or no action (B16)', [...NOT_DWORDS, 0, MEM_TOP_DOWN, MEM_DECOMMIT, MEM_RELEASE, MEM_FREE, 0x40, 0x1000_0000, MEM_COMMIT | 0x8000_0000], (w: W, v) => w.p.virtualAlloc(0, PAGE, v as number, PAGE_READWRITE), INVALID_PARAMETER),
    bad('AT_ROUND_TO_PAGE (B16)', [AT_ROUND_TO_PAGE, AT_ROUND_TO_PAGE | MEM_COMMIT], (w: W, v) => w.p.virtualAlloc(0, PAGE, v as number, PAGE_READWRITE), INVALID_PARAMETER),
    bad('MEM_RESET with MEM_COMMIT or MEM_RESERVE', [MEM_RESET | MEM_COMMIT, MEM_RESET | MEM_RESERVE, MEM_RESET | MEM_COMMIT | MEM_RESERVE], (w: W, v) => w.p.virtualAlloc(w.rw, PAGE, v as number, PAGE_READWRITE), INVALID_PARAMETER),
    bad('MEM_WRITE_WATCH without MEM_RESERVE (B21)', [MEM_WRITE_WATCH, MEM_WRITE_WATCH | MEM_COMMIT], (w: W, v) => w.p.virtualAlloc(0, GRANULE, v as number, PAGE_READWRITE), INVALID_PARAMETER),
    bad('MEM_RESET_UNDO: not implemented', [MEM_RESET_UNDO], (w: W, v) => w.p.virtualAlloc(w.rw, GRANULE, v as number, PAGE_READWRITE), win32(ERROR_NOT_SUPPORTED, STATUS_NOT_SUPPORTED)),
    bad('protection refused for private memory (B10–B14)', BAD_PRIVATE_PROTECTIONS, (w: W, v) => w.p.virtualAlloc(0, PAGE, MEM_RESERVE | MEM_COMMIT, v as number), INVALID_PROTECTION),
    bad('protection refused when committing reserved pages', BAD_PRIVATE_PROTECTIONS, (w: W, v) => w.p.virtualAlloc(w.reserved + PAGE, PAGE, MEM_COMMIT, v as number), INVALID_PROTECTION),
    bad('MEM_RESERVE over an allocation (B17)', [0, PAGE, 0x3_0000, 0x3_ffff], (w: W, v) => w.p.virtualAlloc(w.rw + (v as number), PAGE, MEM_RESERVE, PAGE_READWRITE), win32(ERROR_INVALID_ADDRESS, STATUS_CONFLICTING_ADDRESSES)),
    bad('MEM_COMMIT outside one reservation (B19)', [[0x7000_0000, PAGE], [0, 5 * GRANULE], [3 * GRANULE + 0xf000, 0x2000]], (w: W, [offset, size]: number[]) => w.p.virtualAlloc(offset === 0x7000_0000 ? offset : w.rw + offset, size, MEM_COMMIT, PAGE_READWRITE), win32(ERROR_INVALID_ADDRESS)),
    bad('MEM_COMMIT on an unmapped view\'s address', [0], (w: W) => w.p.virtualAlloc(w.gone, PAGE, MEM_COMMIT, PAGE_READWRITE), win32(ERROR_INVALID_ADDRESS)),
    bad('MEM_RESET past the end of the reservation (B9), or in free memory', [[0xf000, 0x2000], [0x7000_0000, PAGE]], (w: W, [offset, size]: number[]) => w.p.virtualAlloc(offset > GRANULE ? offset : w.reserved + offset, size, MEM_RESET, PAGE_NOACCESS), win32(ERROR_INVALID_ADDRESS, STATUS_CONFLICTING_ADDRESSES)),
    bad('MEM_COMMIT in a file-backed view (B69)', [0, PAGE], (w: W, v) => w.p.virtualAlloc(w.readView + (v as number), PAGE, MEM_COMMIT, PAGE_READONLY), win32(ERROR_ACCESS_DENIED, STATUS_ALREADY_COMMITTED)),
    bad('MEM_COMMIT in an anonymous view with a protection the view does not allow (B69)', [PAGE_READWRITE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE], (w: W, v) => w.p.virtualAlloc(w.reserveView, PAGE, MEM_COMMIT, v as number), INVALID_PARAMETER),
  ]),
  // ------------------------------------------------------------------ VirtualFree
  row('Process.virtualFree', WORLD, [
    bad('on an exited process (B22)', ['dead'], (w: W) => w.dead.virtualFree(w.rw, 0, MEM_RELEASE), INVALID_HANDLE),
    bad('address not an address', BAD_ADDRESSES, (w: W, v) => w.p.virtualFree(v as number, 0, MEM_RELEASE), INVALID_PARAMETER),
    bad('address NULL (B45)', [MEM_RELEASE, MEM_DECOMMIT], (w: W, v) => w.p.virtualFree(0, 0, v as number), INVALID_PARAMETER),
    bad('size not a size', BAD_SIZES, (w: W, v) => w.p.virtualFree(w.rw, v as number, MEM_DECOMMIT), INVALID_PARAMETER),
    bad('freeType not exactly one of MEM_DECOMMIT and MEM_RELEASE (B39)', [0, MEM_DECOMMIT | MEM_RELEASE, MEM_FREE, MEM_COMMIT, MEM_RELEASE + 0.5, MEM_RELEASE + 2 ** 32, NaN, String(MEM_RELEASE), null, undefined], (w: W, v) => w.p.virtualFree(w.rw, 0, v as number), INVALID_PARAMETER),
    bad('MEM_RELEASE with a size (B41)', [1, PAGE, 4 * GRANULE], (w: W, v) => w.p.virtualFree(w.rw, v as number, MEM_RELEASE), INVALID_PARAMETER),
    bad('MEM_RELEASE or whole-MEM_DECOMMIT away from the allocation base (B42)', [[PAGE + 1, MEM_RELEASE], [GRANULE, MEM_RELEASE], [PAGE, MEM_DECOMMIT]], (w: W, [offset, type]: number[]) => w.p.virtualFree(w.rw + offset, 0, type), win32(ERROR_INVALID_ADDRESS, STATUS_FREE_VM_NOT_AT_BASE)),
    bad('free memory, or an unmapped view\'s address (B45)', ['free', 'gone'], (w: W, v) => w.p.virtualFree(v === 'free' ? 0x7000_0000 : w.gone, 0, MEM_RELEASE), win32(ERROR_INVALID_ADDRESS, STATUS_MEMORY_NOT_ALLOCATED)),
    bad('a view (B46)', ['view', 'readView'], (w: W, v) => w.p.virtualFree(v === 'view' ? w.view : w.readView, 0, MEM_RELEASE), INVALID_PARAMETER),
    bad('MEM_DECOMMIT past the end of the allocation (B45)', [[0, 5 * GRANULE], [4 * GRANULE - 0xfff, 0x1000]], (w: W, [offset, size]: number[]) => w.p.virtualFree(w.rw + offset, size, MEM_DECOMMIT), win32(ERROR_INVALID_PARAMETER, STATUS_UNABLE_TO_FREE_VM)),
  ]),
  // ------------------------------------------------------------------ VirtualProtect
  row('Process.virtualProtect', WORLD, [
    bad('on an exited process (B22)', ['dead'], (w: W) => w.dead.virtualProtect(w.rw, PAGE, PAGE_READONLY), INVALID_HANDLE),
    bad('address not an address', BAD_ADDRESSES, (w: W, v) => w.p.virtualProtect(v as number, PAGE, PAGE_READONLY), INVALID_PARAMETER),
    bad('size 0 or not a size', [0, ...BAD_SIZES], (w: W, v) => w.p.virtualProtect(w.rw, v as number, PAGE_READONLY), INVALID_PARAMETER),
    bad('protection refused for private memory (B11, B12, B33)', BAD_PRIVATE_PROTECTIONS, (w: W, v) => w.p.virtualProtect(w.rw, PAGE, v as number), INVALID_PROTECTION),
    bad('reserved pages, or a range with one (B3, B5)', [[0, 0xfffc], [PAGE, PAGE]], (w: W, [offset, size]: number[]) => w.p.virtualProtect(w.reserved + offset, size, PAGE_READWRITE), win32(ERROR_INVALID_ADDRESS, STATUS_NOT_COMMITTED)),
    bad('free memory, an unmapped view, or across allocations (B36)', ['free', 'gone', 'across'], (w: W, v) => (v === 'free' ? w.p.virtualProtect(0x7000_0000, PAGE, PAGE_READONLY) : v === 'gone' ? w.p.virtualProtect(w.gone, PAGE, PAGE_READONLY) : w.p.virtualProtect(w.rw + 4 * GRANULE - PAGE, 2 * PAGE, PAGE_READONLY)), win32(ERROR_INVALID_ADDRESS)),
    bad('a protection the data view does not allow (B68)', [PAGE_READWRITE, PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY], (w: W, v) => w.p.virtualProtect(w.readView, PAGE, v as number), INVALID_PARAMETER),
    bad('a protection no view accepts', [0, 0x03, PAGE_NOACCESS | PAGE_GUARD, PAGE_READONLY | 0x1000, NaN, '2', PAGE_READONLY + 2 ** 32], (w: W, v) => w.p.virtualProtect(w.view, PAGE, v as number), INVALID_PROTECTION),
  ]),
  // ------------------------------------------------------------------ VirtualQuery
  row('Process.virtualQuery', WORLD, [
    bad('on an exited process (B22)', ['dead'], (w: W) => w.dead.virtualQuery(w.rw), INVALID_HANDLE),
    bad('address not an address', BAD_ADDRESSES, (w: W, v) => w.p.virtualQuery(v as number), INVALID_PARAMETER),
    bad('address above the highest user address (B28)', [0x7fff_ffff_0000, 2 ** 47, 2 ** 52], (w: W, v) => w.p.virtualQuery(v as number), INVALID_PARAMETER),
  ]),
  // ------------------------------------------------------------------ GetWriteWatch, ResetWriteWatch
  row('Process.getWriteWatch', WORLD, [
    bad('on an exited process', ['dead'], (w: W) => w.dead.getWriteWatch(w.watch, GRANULE), INVALID_HANDLE),
    bad('address not an address', BAD_ADDRESSES, (w: W, v) => w.p.getWriteWatch(v as number, GRANULE), INVALID_PARAMETER),
    bad('size 0 (B103) or not a size', [0, ...BAD_SIZES], (w: W, v) => w.p.getWriteWatch(w.watch, v as number), INVALID_PARAMETER),
    bad('flags neither a boolean nor 0 or WRITE_WATCH_FLAG_RESET (B103: 0xdeadbeef)', [0xdeadbeef, 2, 3, -1, 0.5, NaN, 2 ** 32 + 1, '1', null, {}, 1n], (w: W, v) => w.p.getWriteWatch(w.watch, GRANULE, v as number), INVALID_PARAMETER),
    bad('maxCount 0 (B103) or not a count', [0, -1, 0.5, NaN, -Infinity, 2 ** 53, '64', null, {}], (w: W, v) => w.p.getWriteWatch(w.watch, GRANULE, true, v as number), INVALID_PARAMETER),
    bad('not inside one write-watched allocation (B103)', ['NULL', 'rw', 'view', 'free', 'past', 'across'], (w: W, v) => (v === 'NULL' ? w.p.getWriteWatch(0, GRANULE, true) : v === 'rw' ? w.p.getWriteWatch(w.rw, PAGE, true) : v === 'view' ? w.p.getWriteWatch(w.view, PAGE, true) : v === 'free' ? w.p.getWriteWatch(0x7000_0000, PAGE, true) : v === 'past' ? w.p.getWriteWatch(w.watch, 2 * GRANULE, true) : w.p.getWriteWatch(w.watch + GRANULE - PAGE, PAGE + 1, true)), INVALID_PARAMETER),
  ]),
  row('Process.resetWriteWatch', WORLD, [
    bad('on an exited process', ['dead'], (w: W) => w.dead.resetWriteWatch(w.watch, GRANULE), INVALID_HANDLE),
    bad('address not an address', BAD_ADDRESSES, (w: W, v) => w.p.resetWriteWatch(v as number, GRANULE), INVALID_PARAMETER),
    bad('size 0 (B103) or not a size', [0, ...BAD_SIZES], (w: W, v) => w.p.resetWriteWatch(w.watch, v as number), INVALID_PARAMETER),
    bad('not inside one write-watched allocation (B103)', ['NULL', 'rw', 'view', 'free', 'past'], (w: W, v) => (v === 'NULL' ? w.p.resetWriteWatch(0, GRANULE) : v === 'rw' ? w.p.resetWriteWatch(w.rw, PAGE) : v === 'view' ? w.p.resetWriteWatch(w.view, PAGE) : v === 'free' ? w.p.resetWriteWatch(0x7000_0000, PAGE) : w.p.resetWriteWatch(w.watch, 2 * GRANULE)), INVALID_PARAMETER),
  ]),
  // ------------------------------------------------------------------ MapViewOfFile
  row('Process.mapViewOfSection', WORLD, [
    bad('on an exited process', ['dead'], (w: W) => w.dead.mapViewOfSection(w.anonymous, { access: FILE_MAP_READ }), INVALID_HANDLE),
    bad('section closed, destroyed, foreign, not a section, or a value that is no open handle', ['closed', 'destroyed', 'foreign', null, undefined, {}, 0, 0x4001, 2 ** 40], (w: W, v) => w.p.mapViewOfSection((v === 'closed' ? w.closedMapped : v === 'destroyed' ? w.destroyed : v === 'foreign' ? w.foreignSection : v) as Section, { access: FILE_MAP_READ }), INVALID_HANDLE),
    bad('options not an object', [null, undefined, 5, 'read'], (w: W, v) => w.p.mapViewOfSection(w.anonymous, v as never), INVALID_PARAMETER),
    bad('an unknown option key (a typo): did you mean', [0], (w: W) => w.p.mapViewOfSection(w.anonymous, { access: FILE_MAP_READ, adress: 0 } as never), unknownKey(INVALID_PARAMETER, 'adress', 'address')),
    bad('access not a DWORD', [NaN, -1, 0.5, FILE_MAP_READ + 2 ** 32, 2 ** 53, '4', null, undefined, {}], (w: W, v) => w.p.mapViewOfSection(w.anonymous, { access: v as number }), INVALID_PARAMETER),
    bad('access the read-only section does not grant (B64)', [FILE_MAP_WRITE, FILE_MAP_WRITE | FILE_MAP_READ, FILE_MAP_WRITE | FILE_MAP_COPY, FILE_MAP_ALL_ACCESS, FILE_MAP_EXECUTE | FILE_MAP_READ, FILE_MAP_EXECUTE | FILE_MAP_COPY], (w: W, v) => w.p.mapViewOfSection(w.readonly, { access: v as number }), win32(ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED)),
    bad('execute access from a non-executable section (B64)', [FILE_MAP_EXECUTE | FILE_MAP_READ, FILE_MAP_EXECUTE | FILE_MAP_WRITE, FILE_MAP_EXECUTE | FILE_MAP_COPY], (w: W, v) => w.p.mapViewOfSection(w.anonymous, { access: v as number }), win32(ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED)),
    bad('offset not 64 KiB aligned (B76)', [PAGE, 1, GRANULE + 8], (w: W, v) => w.p.mapViewOfSection(w.anonymous, { access: FILE_MAP_READ, offset: v as number }), win32(ERROR_MAPPED_ALIGNMENT, STATUS_MAPPED_ALIGNMENT)),
    bad('offset not an offset', [NaN, -GRANULE, 0.5, '0', {}, 2 ** 53], (w: W, v) => w.p.mapViewOfSection(w.anonymous, { access: FILE_MAP_READ, offset: v as number }), INVALID_PARAMETER),
    bad('offset or size past the section (B62)', [[2 * GRANULE, 0], [GRANULE, GRANULE + 1], [0, 3 * GRANULE]], (w: W, [offset, size]: number[]) => w.p.mapViewOfSection(w.anonymous, { access: FILE_MAP_READ, offset, size }), win32(ntStatusToWin32(STATUS_INVALID_VIEW_SIZE), STATUS_INVALID_VIEW_SIZE)),
    bad('size not a size', [NaN, -1, 0.5, '1', {}, 2 ** 64], (w: W, v) => w.p.mapViewOfSection(w.anonymous, { access: FILE_MAP_READ, size: v as number }), INVALID_PARAMETER),
    bad('address not 64 KiB aligned (B76)', [0x7000_1000, 0x7000_0000 + 42], (w: W, v) => w.p.mapViewOfSection(w.anonymous, { access: FILE_MAP_READ, address: v as number }), win32(ERROR_MAPPED_ALIGNMENT, STATUS_MAPPED_ALIGNMENT)),
    bad('address in use (B76)', ['rw', 'view', 'rw-end'], (w: W, v) => w.p.mapViewOfSection(w.anonymous, { access: FILE_MAP_READ, address: v === 'rw' ? w.rw : v === 'view' ? w.view : w.rw + 3 * GRANULE }), win32(ERROR_INVALID_ADDRESS, STATUS_CONFLICTING_ADDRESSES)),
    bad('address outside user space', [0x7fff_fffe_0000, 2 ** 52], (w: W, v) => w.p.mapViewOfSection(w.anonymous, { access: FILE_MAP_READ, address: v as number }), INVALID_PARAMETER),
    bad('address not an address', [NaN, -GRANULE, 0.5, '65536', {}], (w: W, v) => w.p.mapViewOfSection(w.anonymous, { access: FILE_MAP_READ, address: v as number }), INVALID_PARAMETER),
  ]),
  row('Process.mapImageView', IMAGE_WORLD, [
    bad('on an exited process', ['dead'], (w: IW) => w.dead.mapImageView(w.image), INVALID_HANDLE),
    bad('section closed, foreign, or not a section', ['closed', 'foreign', null, undefined, {}, 5], (w: IW, v) => w.p.mapImageView((v === 'closed' ? w.closedMapped : v === 'foreign' ? w.foreignSection : v) as Section), INVALID_HANDLE),
    bad('a section that is not an image', [0], (w: IW) => w.p.mapImageView(w.anonymous), win32(ERROR_BAD_EXE_FORMAT, STATUS_INVALID_IMAGE_FORMAT)),
    bad('options not an object', [null, 5, 'aslr'], (w: IW, v) => w.p.mapImageView(w.image, v as never), INVALID_PARAMETER),
    bad('an unknown option key (a typo): did you mean', [0], (w: IW) => w.p.mapImageView(w.image, { adress: 0 } as never), unknownKey(INVALID_PARAMETER, 'adress', 'address')),
    bad('unknown policy', ['ASLR', 5], (w: IW, v) => w.p.mapImageView(w.image, { policy: v as never }), INVALID_PARAMETER),
    bad('address not 64 KiB aligned (B76)', [0x2000_1000], (w: IW, v) => w.p.mapImageView(w.image, { address: v as number }), win32(ERROR_MAPPED_ALIGNMENT, STATUS_MAPPED_ALIGNMENT)),
    bad('address in use (B76)', [0], (w: IW) => w.p.mapImageView(w.image, { address: w.rw }), win32(ERROR_INVALID_ADDRESS, STATUS_CONFLICTING_ADDRESSES)),
    bad('address not an address, or outside what a PE32 image can use', [NaN, -GRANULE, 0.5, '65536', {}, 0x8000_0000], (w: IW, v) => w.p.mapImageView(w.image, { address: v as number }), INVALID_PARAMETER),
  ]),
  row('Process.ntMapViewOfSection', HANDLE_WORLD, [
    bad('on an exited process', ['dead'], (w: W) => w.dead.ntMapViewOfSection(w.anonymous, { protect: PAGE_READONLY }), INVALID_HANDLE),
    bad('options not an object', [null, undefined, 5, 'read'], (w: W, v) => w.p.ntMapViewOfSection(w.anonymous, v as never), INVALID_PARAMETER),
    bad('an unknown option key (a typo): did you mean', [0], (w: W) => w.p.ntMapViewOfSection(w.anonymous, { protect: PAGE_READONLY, adress: 0 } as never), unknownKey(INVALID_PARAMETER, 'adress', 'address')),
    bad('protect, inheritDisposition or allocationType not a ULONG', NOT_DWORDS.filter((v) => v !== undefined).flatMap((v) => [['protect', v], ['inheritDisposition', v], ['allocationType', v]]),
      (w: W, [key, v]: unknown[]) => w.p.ntMapViewOfSection(w.anonymous, { protect: PAGE_READONLY, [key as string]: v }), INVALID_PARAMETER),
    bad('zeroBits, commitSize, offset or viewSize not a SIZE_T', NT_BAD_SIZES.filter((v) => v !== undefined).flatMap((v) => [['zeroBits', v], ['commitSize', v], ['offset', v], ['viewSize', v]]),
      (w: W, [key, v]: unknown[]) => w.p.ntMapViewOfSection(w.anonymous, { protect: PAGE_READONLY, [key as string]: v }), INVALID_PARAMETER),
    bad('address not an address', BAD_ADDRESSES.filter((v) => v !== undefined), (w: W, v) => w.p.ntMapViewOfSection(w.anonymous, { protect: PAGE_READONLY, address: v as number }), INVALID_PARAMETER),
    bad('guest-level failures are statuses, nothing changed (B20, B62, B64, B76, B77)',
      [['closed', {}], ['destroyed', {}], ['foreign', {}], [null, {}], ['readonly', { protect: PAGE_READWRITE }], ['anonymous', { protect: 0x03 }], ['anonymous', { zeroBits: 22 }], ['anonymous', { offset: PAGE }], ['anonymous', { viewSize: 3 * GRANULE }],
        ['anonymous', { allocationType: MEM_RESERVE }], ['anonymous', { allocationType: AT_ROUND_TO_PAGE }], ['anonymous', { inheritDisposition: 0 }], ['anonymous', { commitSize: 3 * GRANULE }], ['anonymous', { address: 0x7000_1000 }], ['anonymous', { address: 'rw' }], ['anonymous', { viewSize: 2 ** 48 }]],
      (w: W, [section, extra]: unknown[]) => {
        const s = (section === null ? null : w[section === 'foreign' ? 'foreignSection' : section === 'closed' ? 'closedMapped' : (section as 'anonymous')]) as Section;
        const options = { protect: PAGE_READONLY, ...(extra as object) } as { address?: unknown };
        return w.p.ntMapViewOfSection(s, { ...options, ...(options.address === 'rw' ? { address: w.rw } : {}) } as never);
      },
      returns('a failure status with base, viewSize and offset as passed', (r) => { const x = r as NtMapViewResult; return x.status >= 0xc000_0000; })),
    ...ntProcessHandleCases((caller, w, h) => caller.ntMapViewOfSection(w.anonymous, { protect: PAGE_READONLY }, h), NO_VM_OPERATION),
    bad("in the target: over its allocation, the status (B76)", ['anonymous', 'section'], (w: HW, v) => w.p.ntMapViewOfSection(v === 'section' ? w.mappingHandle : w.anonymous, { protect: PAGE_READONLY, address: w.secondBase }, w.h.all), ntStatus(STATUS_CONFLICTING_ADDRESSES)),
  ], 'the failures Windows reports as statuses are returned, not thrown (test/os/nt-map-view.test.ts)'),
  row('Process.ntUnmapViewOfSection', HANDLE_WORLD, [
    bad('on an exited process', ['dead'], (w: W) => w.dead.ntUnmapViewOfSection(w.view), INVALID_HANDLE),
    bad('address not an address', BAD_ADDRESSES, (w: W, v) => w.p.ntUnmapViewOfSection(v as number), INVALID_PARAMETER),
    bad('not in a view: a status (B47), nothing changed', ['rw', 'free', 'gone'], (w: W, v) => w.p.ntUnmapViewOfSection(v === 'free' ? 0x7000_0000 : (w[v as 'watch'] as number)), returns('STATUS_NOT_MAPPED_VIEW', (r) => r === STATUS_NOT_MAPPED_VIEW)),
    ...ntProcessHandleCases((caller, w, h) => caller.ntUnmapViewOfSection(w.view, h), NO_VM_OPERATION),
    bad("in the target: the caller's views are not the target's, the status (B47)", ['view', 'readView', 'secondBase'], (w: HW, v) => w.p.ntUnmapViewOfSection(w[v as 'view'], w.h.all), ntStatus(STATUS_NOT_MAPPED_VIEW)),
  ]),
  row('Process.createFile', WORLD, [
    bad('on an exited process', ['dead'], (w: W) => w.dead.createFile(w.file, GENERIC_READ), INVALID_HANDLE),
    bad('bytes not a Uint8Array', [null, undefined, 'file', [1], new Uint16Array(2), {}], (w: W, v) => w.p.createFile(v as Uint8Array, GENERIC_READ), INVALID_PARAMETER),
    bad('desiredAccess not a ULONG', [NaN, 0.5, 2 ** 32, 2 ** 53, '1', null, {}], (w: W, v) => w.p.createFile(w.file, v as number), INVALID_PARAMETER),
    bad('inherit not a boolean', [0, 1, 'yes', null], (w: W, v) => w.p.createFile(w.file, GENERIC_READ, v as boolean), INVALID_PARAMETER),
  ]),
  row('Process.createFileMapping', WORLD, [
    bad('on an exited process', ['dead'], (w: W) => w.dead.createFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, PAGE), INVALID_HANDLE),
    bad('file not a handle value', [NaN, 0.5, 2 ** 32, '4', null, {}], (w: W, v) => w.p.createFileMapping(v as number, PAGE_READWRITE, PAGE), INVALID_PARAMETER),
    bad('file not an open file handle (B22)', [0, 0x400, 'mapping'], (w: W, v) => w.p.createFileMapping(v === 'mapping' ? w.mappingHandle : (v as number), PAGE_READONLY, 0), win32(ERROR_INVALID_HANDLE)),
    bad('a file handle without the access the protection needs (B66)', [PAGE_READWRITE, PAGE_EXECUTE_READWRITE], (w: W, v) => w.p.createFileMapping(w.fileHandle, v as number, 0), win32(ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED)),
    bad('a protection CreateFileMapping refuses (B60)', [0, PAGE_NOACCESS, PAGE_EXECUTE, PAGE_READONLY | PAGE_READWRITE], (w: W, v) => w.p.createFileMapping(INVALID_HANDLE_VALUE, v as number, PAGE), INVALID_PROTECTION),
    bad('an anonymous section without a size, even under an existing name (B62)', [null, 'robust'], (w: W, v) => w.p.createFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, 0, v as string | null), INVALID_PARAMETER),
    bad('a bad name', ['', 'a\\b', 'Global\\', 5], (w: W, v) => w.p.createFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, PAGE, v as string), throws(WindowsError)),
    bad('maximumSize not a size', [NaN, -1, 0.5, '1', {}], (w: W, v) => w.p.createFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, v as number), INVALID_PARAMETER),
  ]),
  row('Process.openFileMapping', WORLD, [
    bad('on an exited process', ['dead'], (w: W) => w.dead.openFileMapping(FILE_MAP_READ, false, 'robust'), INVALID_HANDLE),
    bad('no section of that name: case-sensitive (B63)', ['ROBUST', 'Global\\robust', 'nobody'], (w: W, v) => w.p.openFileMapping(FILE_MAP_READ, false, v as string), win32(ERROR_FILE_NOT_FOUND, STATUS_OBJECT_NAME_NOT_FOUND)),
    bad('name not a name', [null, undefined, 5, ''], (w: W, v) => w.p.openFileMapping(FILE_MAP_READ, false, v as string), throws(WindowsError)),
    bad('desiredAccess not a ULONG, inherit not a boolean', [['x', false], [FILE_MAP_READ, 1]], (w: W, [a, i]: unknown[]) => w.p.openFileMapping(a as number, i as boolean, 'robust'), INVALID_PARAMETER),
  ]),
  row('Process.closeHandle', WORLD, [
    bad('on an exited process', ['dead'], (w: W) => w.dead.closeHandle(4), INVALID_HANDLE),
    bad('not an open handle', [0, 0x400, 3, 2], (w: W, v) => w.p.closeHandle(v as number), win32(ERROR_INVALID_HANDLE, STATUS_INVALID_HANDLE)),
    bad('a handle protected from close: it stays open', [0], (w: W) => w.p.closeHandle(w.protectedHandle), win32(ERROR_INVALID_HANDLE, STATUS_HANDLE_NOT_CLOSABLE)),
    bad('handle not a handle value', [NaN, 0.5, 2 ** 32, '4', null], (w: W, v) => w.p.closeHandle(v as number), INVALID_PARAMETER),
  ]),
  row('Process.ntClose', WORLD, [
    bad('on an exited process', ['dead'], (w: W) => w.dead.ntClose(4), INVALID_HANDLE),
    bad('handle not a handle value', [NaN, 0.5, 2 ** 32, '4', null], (w: W, v) => w.p.ntClose(v as number), INVALID_PARAMETER),
    bad('not open, or protected: a status, nothing closed', [0, 0x400, 'protected'], (w: W, v) => w.p.ntClose(v === 'protected' ? w.protectedHandle : (v as number)), returns('STATUS_INVALID_HANDLE or STATUS_HANDLE_NOT_CLOSABLE', (r) => r === STATUS_INVALID_HANDLE || r === STATUS_HANDLE_NOT_CLOSABLE)),
  ]),
  row('Process.duplicateHandle', HANDLE_WORLD, [
    bad('on an exited process', ['dead'], (w: W) => w.dead.duplicateHandle(4, w.p, 0, false, DUPLICATE_SAME_ACCESS), INVALID_HANDLE),
    bad('not an open handle', [0, 0x400, 'closed'], (w: HW, v) => w.p.duplicateHandle(handleValue(w, v) as number, w.p, 0, false, DUPLICATE_SAME_ACCESS), win32(ERROR_INVALID_HANDLE, STATUS_INVALID_HANDLE)),
    bad('target neither a live process of this kernel nor a number: exited, of another kernel, not a process', ['dead process', 'doomed process', 'foreign process', {}, '8', 8n], (w: HW, v) => w.p.duplicateHandle(w.mappingHandle, processArgument(w, v) as Process, 0, false, DUPLICATE_SAME_ACCESS), win32(ERROR_INVALID_HANDLE, STATUS_INVALID_HANDLE)),
    bad('sourceProcess neither a live process of this kernel nor a number', ['dead process', 'doomed process', 'foreign process', {}, '8'], (w: HW, v) => w.p.duplicateHandle(w.mappingHandle, w.p, 0, false, DUPLICATE_SAME_ACCESS, processArgument(w, v) as Process), win32(ERROR_INVALID_HANDLE, STATUS_INVALID_HANDLE)),
    bad('target or source a number that is not a ULONG', [['target', NaN], ['target', 0.5], ['target', 2 ** 32], ['source', NaN], ['source', -(2 ** 31) - 1], ['source', 2 ** 53]],
      (w: HW, [which, v]: unknown[]) => (which === 'target' ? w.p.duplicateHandle(w.mappingHandle, v as number, 0, false, DUPLICATE_SAME_ACCESS) : w.p.duplicateHandle(w.mappingHandle, w.p, 0, false, DUPLICATE_SAME_ACCESS, v as number)), INVALID_PARAMETER),
    ...(['target', 'source'] as const).flatMap((which) => {
      const dup = (w: HW, v: unknown) => (which === 'target' ? w.p.duplicateHandle(w.mappingHandle, handleValue(w, v) as number, 0, false, DUPLICATE_SAME_ACCESS) : w.p.duplicateHandle(w.mappingHandle, w.p, 0, false, DUPLICATE_SAME_ACCESS, handleValue(w, v) as number));
      return [
        bad(`${which} process handle not an open handle${which === 'source' ? ' (0 included; a target of 0 is no target, below)' : ''}`, [0x400, 'closed', ...(which === 'source' ? [0] : [])], dup, INVALID_HANDLE),
        bad(`${which} process handle not a process: 5 (the file handle 4, its tag bits ignored), a section, a thread, GetCurrentThread()`, [5, 'section', 'thread', CURRENT_THREAD_HANDLE], dup, OBJECT_TYPE_MISMATCH),
        bad(`${which} process handle without PROCESS_DUP_HANDLE`, ['none', 'query', 'vmop', 'readWrite'], dup, ACCESS_DENIED),
        bad(`${which} process handle to a process that exited while it stayed open`, ['doomed'], dup, PROCESS_IS_TERMINATING),
      ];
    }),
    bad('unknown options, or no target (null or 0) without DUPLICATE_CLOSE_SOURCE', [[null, DUPLICATE_SAME_ACCESS], [0, DUPLICATE_SAME_ACCESS], ['p', 8], ['p', 0x100]], (w: W, [t, o]: unknown[]) => w.p.duplicateHandle(w.mappingHandle, t === 'p' ? w.p : (t as null), 0, false, o as number), INVALID_PARAMETER),
    bad('arguments of the wrong type', [['x', 0, false, 0], [8, NaN, false, 0], [8, 0, 1, 0], [8, 0, false, 0.5]], (w: W, [h, a, i, o]: unknown[]) => w.p.duplicateHandle(h as number, w.p, a as number, i as boolean, o as number), INVALID_PARAMETER),
  ]),
  row('Process.getHandleInformation', WORLD, [
    bad('on an exited process', ['dead'], (w: W) => w.dead.getHandleInformation(4), INVALID_HANDLE),
    bad('not an open handle', [0, 0x400, 2], (w: W, v) => w.p.getHandleInformation(v as number), win32(ERROR_INVALID_HANDLE, STATUS_INVALID_HANDLE)),
    bad('handle not a handle value', [NaN, '4', null], (w: W, v) => w.p.getHandleInformation(v as number), INVALID_PARAMETER),
  ]),
  row('Process.setHandleInformation', WORLD, [
    bad('on an exited process', ['dead'], (w: W) => w.dead.setHandleInformation(4, 1, 1), INVALID_HANDLE),
    bad('not an open handle', [0, 0x400], (w: W, v) => w.p.setHandleInformation(v as number, 1, 1), win32(ERROR_INVALID_HANDLE, STATUS_INVALID_HANDLE)),
    bad('arguments not ULONGs', [['x', 1, 1], [4, NaN, 1], [4, 1, null]], (w: W, [h, m, f]: unknown[]) => w.p.setHandleInformation(h as number, m as number, f as number), INVALID_PARAMETER),
  ]),
  row('Process.querySection', WORLD, [
    bad('on an exited process', ['dead'], (w: W) => w.dead.querySection(4), INVALID_HANDLE),
    bad('not an open section handle: a file handle, no handle', ['file', 0, 0x400], (w: W, v) => w.p.querySection(v === 'file' ? w.fileHandle : (v as number)), win32(ERROR_INVALID_HANDLE)),
    bad('a handle without SECTION_QUERY (B65)', [0], (w: W) => w.p.querySection(w.readHandle), win32(ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED)),
  ]),
  row('Process.ntCreateSection', WORLD, [
    bad('on an exited process', ['dead'], (w: W) => w.dead.ntCreateSection({ desiredAccess: 0, protect: PAGE_READWRITE, maximumSize: PAGE }), INVALID_HANDLE),
    bad('options not an object', [null, undefined, 5], (w: W, v) => w.p.ntCreateSection(v as never), INVALID_PARAMETER),
    bad('an unknown option key (a typo): did you mean', [0], (w: W) => w.p.ntCreateSection({ desiredAccess: 0, protect: PAGE_READWRITE, maximumSize: PAGE, nmae: 'x' } as never), unknownKey(INVALID_PARAMETER, 'nmae', 'name')),
    bad('arguments of the wrong type', [['desiredAccess', 'x'], ['protect', NaN], ['attributes', 0.5], ['maximumSize', -1], ['file', {}], ['name', 5], ['objectAttributes', null]],
      (w: W, [key, v]: unknown[]) => w.p.ntCreateSection({ desiredAccess: 0, protect: PAGE_READWRITE, maximumSize: PAGE, [key as string]: v }), INVALID_PARAMETER),
    bad('guest-level failures are statuses, nothing made (B60, B62, B63, B66)', [{ protect: 0 }, { maximumSize: 0 }, { name: 'robust' }, { name: '' }, { file: 4, protect: PAGE_READWRITE, maximumSize: 0 }, { file: 0x400 }],
      (w: W, v) => w.p.ntCreateSection({ desiredAccess: 0, protect: PAGE_READWRITE, maximumSize: PAGE, ...(v as object) }),
      returns('a failure status and handle 0', (r) => { const x = r as NtHandleResult; return x.status >= 0xc000_0000 && x.handle === 0; })),
  ], 'the failures Windows reports as statuses are returned, not thrown (test/os/handles.test.ts)'),
  row('Process.ntOpenSection', WORLD, [
    bad('on an exited process', ['dead'], (w: W) => w.dead.ntOpenSection(0, 'robust'), INVALID_HANDLE),
    bad('arguments of the wrong type', [['x', 'robust', 0], [0, 5, 0], [0, 'robust', NaN]], (w: W, [a, n, o]: unknown[]) => w.p.ntOpenSection(a as number, n as string, o as number), INVALID_PARAMETER),
    bad('guest-level failures are statuses', ['ROBUST', '', 'a\\b'], (w: W, v) => w.p.ntOpenSection(0, v as string), returns('a failure status and handle 0', (r) => { const x = r as NtHandleResult; return x.status >= 0xc000_0000 && x.handle === 0; })),
  ]),
  row('Process.ntDuplicateObject', HANDLE_WORLD, [
    bad('on an exited process', ['dead'], (w: W) => w.dead.ntDuplicateObject(4, w.p, 0, 0, DUPLICATE_SAME_ACCESS), INVALID_HANDLE),
    bad('arguments of the wrong type', [['x', 0, 0, 0], [8, NaN, 0, 0], [8, 0, null, 0], [8, 0, 0, 0.5]], (w: W, [h, a, at, o]: unknown[]) => w.p.ntDuplicateObject(h as number, w.p, a as number, at as number, o as number), INVALID_PARAMETER),
    bad('guest-level failures are statuses, nothing changed', [[0x400, 'p', 2], [8, 'dead', 2], [8, null, 2], [8, 'p', 0x100]],
      (w: W, [h, t, o]: unknown[]) => w.p.ntDuplicateObject(h as number, t === null ? null : t === 'dead' ? w.dead : w.p, 0, 0, o as number),
      returns('a failure status and handle 0', (r) => { const x = r as NtHandleResult; return x.status >= 0xc000_0000 && x.handle === 0; })),
    // Documented ("@throws only for arguments of the wrong type"): a throw. Today the status is returned, as for any
    // failure of duplicateHandle's work (the process arguments are checked inside it): either is accepted here.
    bad('target or source a number that is not a ULONG: STATUS_INVALID_PARAMETER, thrown or returned', [['target', NaN], ['target', 2 ** 32], ['source', 0.5], ['source', 2 ** 53]],
      (w: HW, [which, v]: unknown[]) => {
        try {
          return which === 'target' ? w.p.ntDuplicateObject(w.mappingHandle, v as number, 0, 0, DUPLICATE_SAME_ACCESS) : w.p.ntDuplicateObject(w.mappingHandle, w.p, 0, 0, DUPLICATE_SAME_ACCESS, v as number);
        } catch (error) {
          return error;
        }
      },
      returns('STATUS_INVALID_PARAMETER (a WindowsError, or the status with handle 0)', (r) => (r instanceof WindowsError ? r.ntStatus === STATUS_INVALID_PARAMETER && r.win32Error === ERROR_INVALID_PARAMETER : statusOfResult(r) === STATUS_INVALID_PARAMETER && (r as NtHandleResult).handle === 0))),
    bad('a target or source process handle that fails: its status, handle 0', (['target', 'source'] as const).flatMap((which) => [
      [which, 0x400, STATUS_INVALID_HANDLE], [which, 'closed', STATUS_INVALID_HANDLE], [which, 5, STATUS_OBJECT_TYPE_MISMATCH], [which, 'section', STATUS_OBJECT_TYPE_MISMATCH], [which, 'thread', STATUS_OBJECT_TYPE_MISMATCH], [which, CURRENT_THREAD_HANDLE, STATUS_OBJECT_TYPE_MISMATCH],
      [which, 'none', STATUS_ACCESS_DENIED], [which, 'query', STATUS_ACCESS_DENIED], [which, 'doomed', STATUS_PROCESS_IS_TERMINATING],
    ]), (w: HW, [which, v]: unknown[]) => [which === 'target' ? w.p.ntDuplicateObject(w.mappingHandle, handleValue(w, v) as number, 0, 0, DUPLICATE_SAME_ACCESS) : w.p.ntDuplicateObject(w.mappingHandle, w.p, 0, 0, DUPLICATE_SAME_ACCESS, handleValue(w, v) as number)],
      returns('the status of the process handle, and handle 0', (r, v) => { const [x] = r as NtHandleResult[]; return x.status === (v as unknown[])[2] && x.handle === 0; })),
    bad('a target or source Process that is not live, or of another kernel: STATUS_INVALID_HANDLE, handle 0', [['target', 'doomed process'], ['target', 'foreign process'], ['source', 'dead process'], ['source', 'foreign process']],
      (w: HW, [which, v]: unknown[]) => (which === 'target' ? w.p.ntDuplicateObject(w.mappingHandle, processArgument(w, v) as Process, 0, 0, DUPLICATE_SAME_ACCESS) : w.p.ntDuplicateObject(w.mappingHandle, w.p, 0, 0, DUPLICATE_SAME_ACCESS, processArgument(w, v) as Process)), ntStatus(STATUS_INVALID_HANDLE)),
  ]),
  // ------------------------------------------------------------------ threads (B59)
  row('Process.createThread', THREAD_WORLD, [
    bad('options not an object', NOT_OBJECTS, (w: TW, v) => w.p.createThread(v as never), INVALID_PARAMETER),
    bad('an unknown option key (a typo): did you mean', [0], (w: TW) => w.p.createThread({ stacksize: PAGE } as never), unknownKey(INVALID_PARAMETER, 'stacksize', 'stackSize')),
    bad('stackSize not a SIZE_T', [...NON_INTEGERS, ...NEGATIVES, ...HUGE, ...WRONG_TYPES], (w: TW, v) => w.p.createThread({ stackSize: v as number }), INVALID_PARAMETER),
    bad('flags not a DWORD', NOT_DWORDS.filter((v) => v !== undefined && v !== -1), (w: TW, v) => w.p.createThread({ flags: v as number }), INVALID_PARAMETER),
    bad('a reserve too large for the per-page records (documented limit: 16 GiB)', [2 ** 46, 2 ** 34 + GRANULE], (w: TW, v) => w.p.createThread({ stackSize: v as number, flags: STACK_SIZE_PARAM_IS_A_RESERVATION }), win32(ERROR_NOT_ENOUGH_MEMORY, STATUS_NO_MEMORY)),
    bad('a commit past the commit limit: the reservation is released again', [1024 * GRANULE, 256 * PAGE], (w: TW, v) => w.p.createThread({ stackSize: v as number }), win32(ERROR_COMMITMENT_LIMIT, STATUS_COMMITMENT_LIMIT)),
    bad('on an exited process', [0], (w: TW) => w.dead.createThread(), INVALID_HANDLE),
  ]),
  row('Process.threads', THREAD_WORLD, [bad('on an exited process: none (documented)', [0], (w: TW) => w.dead.threads(), returns('[]', (r) => Array.isArray(r) && r.length === 0))]),
  row('Kernel.runThread', THREAD_WORLD, [
    bad('cpu not a CPU index of this kernel', [...NON_INTEGERS, -1, 2, '0', null, undefined, {}], (w: TW, v) => w.kernel.runThread(v as number, w.thread), INVALID_ARGUMENT),
    bad('thread exited, of another kernel, or not a thread', ['exited', 'foreign', null, undefined, {}, 5], (w: TW, v) => w.kernel.runThread(0, (v === 'exited' ? w.exitedThread : v === 'foreign' ? w.foreignThread : v) as Thread), INVALID_HANDLE),
  ]),
  row('Thread.exit', THREAD_WORLD, [bad('on an exited thread: a no-op (idempotent, documented)', [0], (w: TW) => w.exitedThread.exit(), returns('undefined', (r) => r === undefined))]),
  row('Thread.setStackGuarantee', THREAD_WORLD, [
    bad('size not a ULONG', [...NON_INTEGERS, 2 ** 32, -(2 ** 31) - 1, ...WRONG_TYPES, undefined], (w: TW, v) => w.thread.setStackGuarantee(v as number), INVALID_PARAMETER),
    bad('a guarantee that fills the reserve (kernel32 test_SetThreadStackGuarantee: 0xdeadbef)', [0x10_0000, 0xdeadbef, 0xffff_ffff], (w: TW, v) => w.thread.setStackGuarantee(v as number), INVALID_PARAMETER),
    bad('on an exited thread', [0], (w: TW) => w.exitedThread.setStackGuarantee(0), INVALID_HANDLE),
  ]),
  // ------------------------------------------------------------------ process and thread handles: OpenProcess, OpenThread, Get*Id, CreateRemoteThread, the *Ex calls
  row('Process.openProcess', HANDLE_WORLD, [
    bad('on an exited process', [0], (w: HW) => w.dead.openProcess(PROCESS_ALL_ACCESS, false, w.p.pid), INVALID_HANDLE),
    bad('desiredAccess not a ULONG', [...NOT_ULONGS, undefined], (w: HW, v) => w.p.openProcess(v as number, false, w.second.pid), INVALID_PARAMETER),
    bad('inherit not a boolean', [0, 1, 'yes', null, undefined], (w: HW, v) => w.p.openProcess(PROCESS_ALL_ACCESS, v as boolean, w.second.pid), INVALID_PARAMETER),
    bad('processId not a ULONG', [...NOT_ULONGS, undefined], (w: HW, v) => w.p.openProcess(PROCESS_ALL_ACCESS, false, v as number), INVALID_PARAMETER),
    bad("an id no process has: 0, a thread's, a process's that exited with no handle left, one never given out", [0, 'thread', 'ended', 'dead', 0x7fff, -1], (w: HW, v) => w.p.openProcess(PROCESS_ALL_ACCESS, false, idValue(w, v) as number), INVALID_CID),
  ]),
  row('Process.ntOpenProcess', HANDLE_WORLD, [
    bad('on an exited process', [0], (w: HW) => w.dead.ntOpenProcess(PROCESS_ALL_ACCESS, w.p.pid), INVALID_HANDLE),
    bad('arguments of the wrong type', [['x', 'p', 0], [undefined, 'p', 0], [0.5, 'p', 0], [0, NaN, 0], [0, '1', 0], [0, undefined, 0], [0, 'p', null], [0, 'p', 2 ** 32], [0, 'p', '2']],
      (w: HW, [a, id, oa]: unknown[]) => w.p.ntOpenProcess(a as number, idValue(w, id) as number, oa as number), INVALID_PARAMETER),
    bad('an id no process has: the status, handle 0', [0, 'thread', 'ended', 'dead', 0x7fff, -1], (w: HW, v) => w.p.ntOpenProcess(PROCESS_ALL_ACCESS, idValue(w, v) as number, OBJ_INHERIT), ntStatus(STATUS_INVALID_CID)),
  ]),
  row('Process.openThread', HANDLE_WORLD, [
    bad('on an exited process', [0], (w: HW) => w.dead.openThread(THREAD_ALL_ACCESS, false, w.thread.id), INVALID_HANDLE),
    bad('desiredAccess not a ULONG', [...NOT_ULONGS, undefined], (w: HW, v) => w.p.openThread(v as number, false, w.thread.id), INVALID_PARAMETER),
    bad('inherit not a boolean', [0, 1, 'yes', null, undefined], (w: HW, v) => w.p.openThread(THREAD_ALL_ACCESS, v as boolean, w.thread.id), INVALID_PARAMETER),
    bad('threadId not a ULONG', [...NOT_ULONGS, undefined], (w: HW, v) => w.p.openThread(THREAD_ALL_ACCESS, false, v as number), INVALID_PARAMETER),
    bad("an id no thread has: 0, a process's, a thread's that exited with no handle left, one never given out", [0, 'p', 'dead', 'exitedThread', 0x7fff, -1], (w: HW, v) => w.p.openThread(THREAD_ALL_ACCESS, false, idValue(w, v) as number), INVALID_CID),
  ]),
  row('Process.ntOpenThread', HANDLE_WORLD, [
    bad('on an exited process', [0], (w: HW) => w.dead.ntOpenThread(THREAD_ALL_ACCESS, w.thread.id), INVALID_HANDLE),
    bad('arguments of the wrong type', [['x', 'thread', 0], [undefined, 'thread', 0], [0.5, 'thread', 0], [0, NaN, 0], [0, '1', 0], [0, undefined, 0], [0, 'thread', null], [0, 'thread', 2 ** 32], [0, 'thread', '2']],
      (w: HW, [a, id, oa]: unknown[]) => w.p.ntOpenThread(a as number, idValue(w, id) as number, oa as number), INVALID_PARAMETER),
    bad('an id no thread has: the status, handle 0', [0, 'p', 'dead', 'exitedThread', 0x7fff, -1], (w: HW, v) => w.p.ntOpenThread(THREAD_ALL_ACCESS, idValue(w, v) as number, OBJ_INHERIT), ntStatus(STATUS_INVALID_CID)),
  ]),
  row('Process.getProcessId', HANDLE_WORLD, [
    bad('on an exited process (even with GetCurrentProcess())', [0], (w: HW) => w.dead.getProcessId(CURRENT_PROCESS_HANDLE), INVALID_HANDLE),
    bad('processHandle not a ULONG', [...NOT_ULONGS, undefined], (w: HW, v) => w.p.getProcessId(v as number), INVALID_PARAMETER),
    bad('processHandle not an open handle', NOT_OPEN, (w: HW, v) => w.p.getProcessId(handleValue(w, v) as number), INVALID_HANDLE),
    bad('processHandle not a process: a section, a file, a thread, GetCurrentThread()', NOT_PROCESSES, (w: HW, v) => w.p.getProcessId(handleValue(w, v) as number), OBJECT_TYPE_MISMATCH),
    bad('processHandle without PROCESS_QUERY_LIMITED_INFORMATION', ['none', 'vmop', 'readWrite'], (w: HW, v) => w.p.getProcessId(handleValue(w, v) as number), ACCESS_DENIED),
    bad('a process that exited while the handle stayed open: still its id (documented)', [0], (w: HW) => [w.p.getProcessId(w.h.doomed), w.doomed.pid], SAME_ID),
  ]),
  ...(['getThreadId', 'getProcessIdOfThread'] as const).map((op) =>
    row(`Process.${op}`, HANDLE_WORLD, [
      bad('on an exited process', [0], (w: HW) => w.dead[op](CURRENT_THREAD_HANDLE), INVALID_HANDLE),
      bad('threadHandle not a ULONG', [...NOT_ULONGS, undefined], (w: HW, v) => w.p[op](v as number), INVALID_PARAMETER),
      bad('threadHandle not an open handle', NOT_OPEN, (w: HW, v) => w.p[op](handleValue(w, v) as number), INVALID_HANDLE),
      bad('GetCurrentThread() in a process no thread ran in', [0], (w: HW) => w.second[op](CURRENT_THREAD_HANDLE), INVALID_HANDLE),
      bad('threadHandle not a thread: a section, a file, a process, GetCurrentProcess()', NOT_THREADS, (w: HW, v) => w.p[op](handleValue(w, v) as number), OBJECT_TYPE_MISMATCH),
      bad('threadHandle without THREAD_QUERY_LIMITED_INFORMATION', ['threadNone'], (w: HW, v) => w.p[op](handleValue(w, v) as number), ACCESS_DENIED),
      bad('a thread that exited while the handle stayed open: still its id (documented)', [0], (w: HW) => [w.p[op](w.h.ended), op === 'getThreadId' ? w.ended.id : w.p.pid], SAME_ID),
    ]),
  ),
  row('Process.createRemoteThread', HANDLE_WORLD, [
    ...processHandleErrors((caller, _w, h) => caller.createRemoteThread(h), ['none', 'query', 'vmop', 'readWrite', 'almost']),
    bad('inherit not a boolean', [0, 1, 'yes', null], (w: HW, v) => w.p.createRemoteThread(w.h.all, {}, v as boolean), INVALID_PARAMETER),
    bad('options not an object', NOT_OBJECTS, (w: HW, v) => w.p.createRemoteThread(w.h.all, v as never), INVALID_PARAMETER),
    bad('an unknown option key (a typo): did you mean', [0], (w: HW) => w.p.createRemoteThread(w.h.all, { stacksize: PAGE } as never), unknownKey(INVALID_PARAMETER, 'stacksize', 'stackSize')),
    bad('stackSize not a SIZE_T', [...NON_INTEGERS, ...NEGATIVES, ...HUGE, ...WRONG_TYPES], (w: HW, v) => w.p.createRemoteThread(w.h.all, { stackSize: v as number }), INVALID_PARAMETER),
    bad('flags not a DWORD', NOT_DWORDS.filter((v) => v !== undefined && v !== -1), (w: HW, v) => w.p.createRemoteThread(CURRENT_PROCESS_HANDLE, { flags: v as number }), INVALID_PARAMETER),
    bad('a reserve too large for the per-page records, in the target or the caller', [['all', 2 ** 46], [CURRENT_PROCESS_HANDLE, 2 ** 34 + GRANULE]], (w: HW, [h, size]: unknown[]) => w.p.createRemoteThread(handleValue(w, h) as number, { stackSize: size as number, flags: STACK_SIZE_PARAM_IS_A_RESERVATION }), win32(ERROR_NOT_ENOUGH_MEMORY, STATUS_NO_MEMORY)),
    bad('a commit past the commit limit, in the target or the caller: no thread, no handle', [['all', 1024 * GRANULE], [CURRENT_PROCESS_HANDLE, 256 * PAGE]], (w: HW, [h, size]: unknown[]) => w.p.createRemoteThread(handleValue(w, h) as number, { stackSize: size as number }), win32(ERROR_COMMITMENT_LIMIT, STATUS_COMMITMENT_LIMIT)),
  ], 'a full handle table after the thread was made (the thread exits again): not reachable here, 2^24 handles'),
  row('Process.virtualAllocEx', HANDLE_WORLD, [
    ...processHandleErrors((caller, _w, h) => caller.virtualAllocEx(h, 0, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), NO_VM_OPERATION),
    bad('the arguments are checked before the handle', NOT_OPEN.concat('section', 'none', 'doomed'), (w: HW, v) => w.p.virtualAllocEx(handleValue(w, v) as number, 0, 0, MEM_RESERVE, PAGE_READWRITE), INVALID_PARAMETER),
    bad('address not an address', BAD_ADDRESSES, (w: HW, v) => w.p.virtualAllocEx(w.h.all, v as number, PAGE, MEM_RESERVE, PAGE_READWRITE), INVALID_PARAMETER),
    bad('size 0 (B1) or not a size', [0, ...BAD_SIZES], (w: HW, v) => w.p.virtualAllocEx(w.h.all, 0, v as number, MEM_RESERVE, PAGE_READWRITE), INVALID_PARAMETER),
    bad('allocationType not a DWORD, unknown bits, or no action (B16)', [...NOT_DWORDS, 0, MEM_TOP_DOWN, MEM_RELEASE, 0x40], (w: HW, v) => w.p.virtualAllocEx(w.h.all, 0, PAGE, v as number, PAGE_READWRITE), INVALID_PARAMETER),
    bad('protection refused for private memory (B10–B14)', BAD_PRIVATE_PROTECTIONS, (w: HW, v) => w.p.virtualAllocEx(w.h.all, 0, PAGE, MEM_RESERVE | MEM_COMMIT, v as number), INVALID_PROTECTION),
    bad("MEM_RESERVE over the target's allocation (B17)", [0, PAGE], (w: HW, v) => w.p.virtualAllocEx(w.h.all, w.secondBase + (v as number), PAGE, MEM_RESERVE, PAGE_READWRITE), win32(ERROR_INVALID_ADDRESS, STATUS_CONFLICTING_ADDRESSES)),
    bad("MEM_COMMIT where the caller has memory and the target none (B19)", ['lonely', 'watch'], (w: HW, v) => w.p.virtualAllocEx(w.h.all, w[v as 'watch'], PAGE, MEM_COMMIT, PAGE_READWRITE), win32(ERROR_INVALID_ADDRESS)),
  ]),
  row('Process.virtualFreeEx', HANDLE_WORLD, [
    ...processHandleErrors((caller, w, h) => caller.virtualFreeEx(h, w.rw, 0, MEM_RELEASE), NO_VM_OPERATION),
    bad('the arguments are checked before the handle', NOT_OPEN.concat('section', 'none', 'doomed'), (w: HW, v) => w.p.virtualFreeEx(handleValue(w, v) as number, w.rw, 0, 0), INVALID_PARAMETER),
    bad('address not an address', BAD_ADDRESSES, (w: HW, v) => w.p.virtualFreeEx(w.h.all, v as number, 0, MEM_RELEASE), INVALID_PARAMETER),
    bad('size not a size, or MEM_RELEASE with a size (B41)', [...BAD_SIZES, PAGE], (w: HW, v) => w.p.virtualFreeEx(w.h.all, w.secondBase, v as number, MEM_RELEASE), INVALID_PARAMETER),
    bad('freeType not exactly one of MEM_DECOMMIT and MEM_RELEASE (B39)', [0, MEM_DECOMMIT | MEM_RELEASE, MEM_COMMIT, NaN, null, undefined], (w: HW, v) => w.p.virtualFreeEx(w.h.all, w.secondBase, 0, v as number), INVALID_PARAMETER),
    bad("memory the caller has and the target has not (B45)", ['lonely', 'watch'], (w: HW, v) => w.p.virtualFreeEx(w.h.all, w[v as 'watch'], 0, MEM_RELEASE), win32(ERROR_INVALID_ADDRESS, STATUS_MEMORY_NOT_ALLOCATED)),
    bad("MEM_RELEASE away from the target's allocation base (B42)", [PAGE], (w: HW, v) => w.p.virtualFreeEx(w.h.all, w.secondBase + (v as number), 0, MEM_RELEASE), win32(ERROR_INVALID_ADDRESS, STATUS_FREE_VM_NOT_AT_BASE)),
  ]),
  row('Process.virtualProtectEx', HANDLE_WORLD, [
    ...processHandleErrors((caller, w, h) => caller.virtualProtectEx(h, w.rw, PAGE, PAGE_READONLY), NO_VM_OPERATION),
    bad('the arguments are checked before the handle', NOT_OPEN.concat('section', 'none', 'doomed'), (w: HW, v) => w.p.virtualProtectEx(handleValue(w, v) as number, w.rw, PAGE, 0x03), INVALID_PROTECTION),
    bad('address not an address', BAD_ADDRESSES, (w: HW, v) => w.p.virtualProtectEx(w.h.all, v as number, PAGE, PAGE_READONLY), INVALID_PARAMETER),
    bad('size 0 or not a size', [0, ...BAD_SIZES], (w: HW, v) => w.p.virtualProtectEx(w.h.all, w.secondBase, v as number, PAGE_READONLY), INVALID_PARAMETER),
    bad('protection refused for private memory (B11, B12, B33)', BAD_PRIVATE_PROTECTIONS, (w: HW, v) => w.p.virtualProtectEx(w.h.all, w.secondBase, PAGE, v as number), INVALID_PROTECTION),
    bad('memory the caller has and the target has not (B36)', ['lonely', 'watch'], (w: HW, v) => w.p.virtualProtectEx(w.h.all, w[v as 'watch'], PAGE, PAGE_READONLY), win32(ERROR_INVALID_ADDRESS)),
  ]),
  row('Process.virtualQueryEx', HANDLE_WORLD, [
    ...processHandleErrors((caller, w, h) => caller.virtualQueryEx(h, w.rw), ['none', 'vmop', 'readWrite']),
    bad('the arguments are checked before the handle', NOT_OPEN.concat('section', 'none', 'doomed'), (w: HW, v) => w.p.virtualQueryEx(handleValue(w, v) as number, NaN), INVALID_PARAMETER),
    bad('address not an address', BAD_ADDRESSES, (w: HW, v) => w.p.virtualQueryEx(w.h.all, v as number), INVALID_PARAMETER),
    bad('address above the highest user address (B28)', [0x7fff_ffff_0000, 2 ** 47, 2 ** 52], (w: HW, v) => w.p.virtualQueryEx(w.h.query, v as number), INVALID_PARAMETER),
  ]),
  row('Process.readProcessMemory', HANDLE_WORLD, [
    ...processHandleErrors((caller, w, h) => caller.readProcessMemory(h, w.rw, 4), ['none', 'query', 'vmop']),
    bad('address not an address', BAD_ADDRESSES, (w: HW, v) => w.p.readProcessMemory(w.h.all, v as number, 4), INVALID_PARAMETER),
    bad('length not a length', [...NON_INTEGERS, ...NEGATIVES, ...HUGE, ...WRONG_TYPES, undefined], (w: HW, v) => w.p.readProcessMemory(w.h.all, w.secondBase, v as number), INVALID_PARAMETER),
    bad('0 bytes: an empty array, whatever the handle (documented)', NOT_OPEN.concat('section', 'none', 'doomed'), (w: HW, v) => w.p.readProcessMemory(handleValue(w, v) as number, w.rw, 0), returns('an empty Uint8Array', (r) => r instanceof Uint8Array && r.length === 0)),
    bad('memory the caller has and the target has not (B102)', ['lonely', 'watch'], (w: HW, v) => w.p.readProcessMemory(w.h.all, w[v as 'watch'], 4), win32(ERROR_PARTIAL_COPY, STATUS_PARTIAL_COPY)),
  ]),
  row('Process.writeProcessMemory', HANDLE_WORLD, [
    ...processHandleErrors((caller, w, h) => caller.writeProcessMemory(h, w.rw, new Uint8Array(4).fill(0xee)), ['none', 'query', 'vmop', 'readWrite']),
    bad('address not an address', BAD_ADDRESSES, (w: HW, v) => w.p.writeProcessMemory(w.h.all, v as number, new Uint8Array(4)), INVALID_PARAMETER),
    bad('data not a Uint8Array (B32: a bad user buffer)', [null, undefined, 'data', [1, 2], new Uint16Array(2), 5, {}], (w: HW, v) => w.p.writeProcessMemory(w.h.all, w.secondBase, v as Uint8Array), win32(ERROR_NOACCESS)),
    bad('0 bytes: nothing, whatever the handle (documented)', NOT_OPEN.concat('section', 'none', 'doomed'), (w: HW, v) => w.p.writeProcessMemory(handleValue(w, v) as number, w.rw, new Uint8Array(0)), returns('undefined', (r) => r === undefined)),
    bad('memory the caller has and the target has not (B101)', ['lonely', 'watch'], (w: HW, v) => w.p.writeProcessMemory(w.h.all, w[v as 'watch'], new Uint8Array(4).fill(0xee)), win32(ERROR_NOACCESS)),
  ]),
  row('stackSizes', THREAD_WORLD, [
    bad('options not an object', NOT_OBJECTS, (w: TW, v) => stackSizes(w.p, v as never), INVALID_PARAMETER),
    bad('stackSize not a SIZE_T', [...NON_INTEGERS, ...NEGATIVES, ...HUGE, ...WRONG_TYPES], (w: TW, v) => stackSizes(w.p, { stackSize: v as number }), INVALID_PARAMETER),
    bad('flags not a DWORD', NOT_DWORDS.filter((v) => v !== undefined && v !== -1), (w: TW, v) => stackSizes(w.p, { flags: v as number }), INVALID_PARAMETER),
  ]),
  row('HandleTable.get', WORLD, [
    bad('any value that is not an open handle: undefined, never a throw', [NaN, -4, 0, 1, 0x400, 2 ** 32, 2 ** 53, '4', null, undefined, {}], (w: W, v) => w.p.handles.get(v as number), returns('undefined', (r) => r === undefined)),
  ]),
  noArguments('HandleTable.entries', WORLD),
  row('Process.unmapViewOfSection', WORLD, [
    bad('on an exited process', ['dead'], (w: W) => w.dead.unmapViewOfSection(w.view), INVALID_HANDLE),
    bad('not in a view: private memory, free memory, an unmapped view, 0xdeadbeef (B47)', ['rw', 'reserved', 'free', 'gone', 0xdeadbeef, 0], (w: W, v) => w.p.unmapViewOfSection(typeof v === 'number' ? v : v === 'free' ? 0x7000_0000 : (w[v as 'watch'] as number)), win32(ERROR_INVALID_ADDRESS, STATUS_NOT_MAPPED_VIEW)),
    bad('address not an address', BAD_ADDRESSES, (w: W, v) => w.p.unmapViewOfSection(v as number), INVALID_PARAMETER),
  ]),
  row('Process.flushViewOfFile', WORLD, [
    bad('on an exited process', ['dead'], (w: W) => w.dead.flushViewOfFile(w.readView), INVALID_HANDLE),
    bad('in no allocation: free memory, an unmapped view, 0xdeadbeef; a range past the view (WRK MmFlushVirtualMemory)', ['free', 'gone', 0xdeadbeef, 0, 'past'], (w: W, v) => (v === 'past' ? w.p.flushViewOfFile(w.readView, 5 * PAGE) : w.p.flushViewOfFile(typeof v === 'number' ? v : v === 'free' ? 0x7000_0000 : (w[v as 'gone'] as number))), win32(ERROR_INVALID_ADDRESS, STATUS_NOT_MAPPED_VIEW)),
    bad('in private memory, not a view', ['rw', 'reserved'], (w: W, v) => w.p.flushViewOfFile(w[v as 'watch'] as number), win32(ERROR_INVALID_ADDRESS, STATUS_NOT_MAPPED_VIEW)),
    bad('address not an address', BAD_ADDRESSES, (w: W, v) => w.p.flushViewOfFile(v as number), INVALID_PARAMETER),
    bad('size not a size (undefined is the default, 0)', BAD_ADDRESSES.filter((v) => v !== undefined), (w: W, v) => w.p.flushViewOfFile(w.readView, v as number), INVALID_PARAMETER),
  ]),
  row('Process.fork', WORLD, [bad('on an exited process', [0], (w: W) => w.dead.fork(), INVALID_HANDLE)], 'running out of frames or commit: test/robustness/exhaustion.test.ts'),
  row('Process.readMemory', WORLD, [
    bad('on an exited process', ['dead'], (w: W) => w.dead.readMemory(w.rw, 4), INVALID_HANDLE),
    bad('address not an address', BAD_ADDRESSES, (w: W, v) => w.p.readMemory(v as number, 4), INVALID_PARAMETER),
    bad('length not a length', [...NON_INTEGERS, ...NEGATIVES, ...HUGE, ...WRONG_TYPES, undefined], (w: W, v) => w.p.readMemory(w.rw, v as number), INVALID_PARAMETER),
    bad('a page not readable: free, reserved, NOACCESS, an unmapped view (B102)', ['free', 'reserved+', 'noaccess', 'gone', 'rw-end'], (w: W, v) => {
      const address = { free: 0x7000_0000, 'reserved+': w.reserved + PAGE, noaccess: w.noaccess, gone: w.gone, 'rw-end': w.lonely + PAGE - 2 }[v as string]!;
      return w.p.readMemory(address, 4);
    }, win32(ERROR_PARTIAL_COPY, STATUS_PARTIAL_COPY)),
    bad('a huge length running off the allocation', [2 ** 40, 2 ** 53 - 1], (w: W, v) => w.p.readMemory(w.rw, v as number), win32(ERROR_PARTIAL_COPY, STATUS_PARTIAL_COPY)),
  ]),
  row('Process.writeMemory', WORLD, [
    bad('on an exited process', ['dead'], (w: W) => w.dead.writeMemory(w.rw, new Uint8Array(4)), INVALID_HANDLE),
    bad('address not an address', BAD_ADDRESSES, (w: W, v) => w.p.writeMemory(v as number, new Uint8Array(4)), INVALID_PARAMETER),
    bad('data not a Uint8Array (B32: a bad user buffer)', [null, undefined, 'data', [1, 2], new Uint16Array(2), 5, {}], (w: W, v) => w.p.writeMemory(w.rw, v as Uint8Array), win32(ERROR_NOACCESS)),
    bad('a first page not writable: read-only, free, reserved, NOACCESS, an unmapped view (B101)', ['readonly', 'readView', 'free', 'reserved+', 'noaccess', 'gone'], (w: W, v) => {
      const address = { readonly: w.reserved, readView: w.readView, free: 0x7000_0000, 'reserved+': w.reserved + PAGE, noaccess: w.noaccess, gone: w.gone }[v as string]!;
      return w.p.writeMemory(address, new Uint8Array(4).fill(0xee));
    }, win32(ERROR_NOACCESS)),
  ], 'a writable first page followed by one that is not is ERROR_PARTIAL_COPY with the writable prefix written, as on Windows (B101): test/os/process-memory.test.ts'),
  row('Process.ntReadVirtualMemory', HANDLE_WORLD, [
    bad('on an exited process', ['dead'], (w: W) => w.dead.ntReadVirtualMemory(w.rw, new Uint8Array(4)), INVALID_HANDLE),
    bad('address not an address', BAD_ADDRESSES, (w: W, v) => w.p.ntReadVirtualMemory(v as number, new Uint8Array(4)), INVALID_PARAMETER),
    bad('into not a Uint8Array', [null, undefined, 'data', [1, 2], new Uint16Array(2), 5, {}], (w: W, v) => w.p.ntReadVirtualMemory(w.rw, v as Uint8Array), INVALID_PARAMETER),
    ...ntProcessHandleCases((caller, w, h) => caller.ntReadVirtualMemory(w.rw, new Uint8Array(4), h), ['none', 'query', 'vmop']),
    bad('in the target: memory the caller has and the target has not, nothing read', ['lonely', 'watch'], (w: HW, v) => w.p.ntReadVirtualMemory(w[v as 'watch'], new Uint8Array(4), w.h.readWrite), returns('a failure status and 0 bytes', (r) => !isNtSuccess((r as NtTransfer).status) && (r as NtTransfer).bytes === 0)),
  ], 'memory the process may not read is not an error: STATUS_PARTIAL_COPY with the prefix read (test/os/process-memory.test.ts)'),
  row('Process.ntWriteVirtualMemory', HANDLE_WORLD, [
    bad('on an exited process', ['dead'], (w: W) => w.dead.ntWriteVirtualMemory(w.rw, new Uint8Array(4)), INVALID_HANDLE),
    bad('address not an address', BAD_ADDRESSES, (w: W, v) => w.p.ntWriteVirtualMemory(v as number, new Uint8Array(4)), INVALID_PARAMETER),
    bad('data not a Uint8Array', [null, undefined, 'data', [1, 2], new Uint16Array(2), 5, {}], (w: W, v) => w.p.ntWriteVirtualMemory(w.rw, v as Uint8Array), INVALID_PARAMETER),
    ...ntProcessHandleCases((caller, w, h) => caller.ntWriteVirtualMemory(w.rw, new Uint8Array(4).fill(0xee), h), ['none', 'query', 'vmop']),
    bad('in the target: memory the caller has and the target has not, nothing written', ['lonely', 'watch'], (w: HW, v) => w.p.ntWriteVirtualMemory(w[v as 'watch'], new Uint8Array(4).fill(0xee), w.h.readWrite), returns('a failure status and 0 bytes', (r) => !isNtSuccess((r as NtTransfer).status) && (r as NtTransfer).bytes === 0)),
  ], 'memory the process may not write is not an error: STATUS_PARTIAL_COPY with the writable prefix written (test/os/process-memory.test.ts)'),
  row('Process.ntAllocateVirtualMemory', HANDLE_WORLD, [
    bad('on an exited process', ['dead'], (w: W) => w.dead.ntAllocateVirtualMemory(0, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), INVALID_HANDLE),
    bad('address not an address', BAD_ADDRESSES, (w: W, v) => w.p.ntAllocateVirtualMemory(v as number, PAGE, MEM_RESERVE, PAGE_READWRITE), INVALID_PARAMETER),
    bad('size not a SIZE_T', NT_BAD_SIZES, (w: W, v) => w.p.ntAllocateVirtualMemory(0, v as number, MEM_RESERVE, PAGE_READWRITE), INVALID_PARAMETER),
    bad('allocationType not a ULONG', NOT_DWORDS, (w: W, v) => w.p.ntAllocateVirtualMemory(0, PAGE, v as number, PAGE_READWRITE), INVALID_PARAMETER),
    bad('protect not a ULONG', NOT_DWORDS, (w: W, v) => w.p.ntAllocateVirtualMemory(0, PAGE, MEM_RESERVE, v as number), INVALID_PARAMETER),
    bad('zeroBits not a non-negative integer', [...NON_INTEGERS, ...NEGATIVES, 2 ** 53, '1', null, {}], (w: W, v) => w.p.ntAllocateVirtualMemory(0, PAGE, MEM_RESERVE, PAGE_READWRITE, v as number), INVALID_PARAMETER),
    bad('guest-level failures are statuses, nothing changed (B1, B12, B16, B17, B20)', [[0, 0, MEM_RESERVE, PAGE_READWRITE, 0], [0, PAGE, MEM_RESERVE, PAGE_WRITECOPY, 0], [0, PAGE, MEM_RESERVE | AT_ROUND_TO_PAGE, PAGE_READWRITE, 0], [0, PAGE, MEM_RESERVE | MEM_RESET_UNDO, PAGE_READWRITE, 0], ['rw', PAGE, MEM_RESERVE, PAGE_READWRITE, 0], [0, PAGE, MEM_RESERVE, PAGE_READWRITE, 22], [0, PAGE, MEM_RESERVE, PAGE_READWRITE, 21], [0, 2 ** 48, MEM_RESERVE, PAGE_READWRITE, 0]],
      (w: W, [a, size, type, protect, bits]: unknown[]) => w.p.ntAllocateVirtualMemory(a === 'rw' ? w.rw + PAGE : (a as number), size as number, type as number, protect as number, bits as number),
      returns('a failure status with base and size as passed', (r, v) => { const x = r as NtRegionResult; const [a, size] = v as unknown[]; return x.status >= 0xc000_0000 && x.size === size && (a === 'rw' || x.base === a); })),
    ...ntProcessHandleCases((caller, _w, h) => caller.ntAllocateVirtualMemory(0, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE, 0, h), NO_VM_OPERATION),
    bad("in the target: over its allocation, the status (B17)", [0, PAGE], (w: HW, v) => w.p.ntAllocateVirtualMemory(w.secondBase + (v as number), PAGE, MEM_RESERVE, PAGE_READWRITE, 0, w.h.all), ntStatus(STATUS_CONFLICTING_ADDRESSES)),
  ], 'the failures Windows reports as statuses are returned, not thrown (test/os/nt-virtual-memory.test.ts)'),
  row('Process.ntFreeVirtualMemory', HANDLE_WORLD, [
    bad('on an exited process', ['dead'], (w: W) => w.dead.ntFreeVirtualMemory(w.rw, 0, MEM_RELEASE), INVALID_HANDLE),
    bad('address not an address', BAD_ADDRESSES, (w: W, v) => w.p.ntFreeVirtualMemory(v as number, 0, MEM_RELEASE), INVALID_PARAMETER),
    bad('size not a SIZE_T', NT_BAD_SIZES, (w: W, v) => w.p.ntFreeVirtualMemory(w.rw, v as number, MEM_DECOMMIT), INVALID_PARAMETER),
    bad('freeType not a ULONG', NOT_DWORDS, (w: W, v) => w.p.ntFreeVirtualMemory(w.rw, 0, v as number), INVALID_PARAMETER),
    bad('guest-level failures are statuses, nothing changed (B39, B42, B45, B46)', [['rw', 0, 0], ['rw', 0, MEM_RELEASE | MEM_DECOMMIT], ['rw+', 0, MEM_RELEASE], ['free', 0, MEM_RELEASE], ['view', 0, MEM_RELEASE], ['null', PAGE, MEM_DECOMMIT], ['rw', 5 * GRANULE, MEM_RELEASE]],
      (w: W, [a, size, type]: unknown[]) => w.p.ntFreeVirtualMemory({ rw: w.rw, 'rw+': w.rw + PAGE + 1, free: 0x7000_0000, view: w.view, null: 0 }[a as string]!, size as number, type as number),
      returns('a failure status with size as passed', (r, v) => { const x = r as NtRegionResult; return x.status >= 0xc000_0000 && x.size === (v as unknown[])[1]; })),
    ...ntProcessHandleCases((caller, w, h) => caller.ntFreeVirtualMemory(w.rw, 0, MEM_RELEASE, h), NO_VM_OPERATION),
    bad("in the target: memory the caller has and the target has not, the status (B45)", ['lonely', 'watch'], (w: HW, v) => w.p.ntFreeVirtualMemory(w[v as 'watch'], 0, MEM_RELEASE, w.h.all), ntStatus(STATUS_MEMORY_NOT_ALLOCATED)),
  ], 'the failures Windows reports as statuses are returned, not thrown (test/os/nt-virtual-memory.test.ts)'),
  row('Process.ntProtectVirtualMemory', HANDLE_WORLD, [
    bad('on an exited process', ['dead'], (w: W) => w.dead.ntProtectVirtualMemory(w.rw, PAGE, PAGE_READONLY), INVALID_HANDLE),
    bad('address not an address', BAD_ADDRESSES, (w: W, v) => w.p.ntProtectVirtualMemory(v as number, PAGE, PAGE_READONLY), INVALID_PARAMETER),
    bad('size not a SIZE_T', NT_BAD_SIZES, (w: W, v) => w.p.ntProtectVirtualMemory(w.rw, v as number, PAGE_READONLY), INVALID_PARAMETER),
    bad('protect not a ULONG', NOT_DWORDS, (w: W, v) => w.p.ntProtectVirtualMemory(w.rw, PAGE, v as number), INVALID_PARAMETER),
    bad('guest-level failures are statuses, nothing changed (B3, B12, B36)', [['reserved+', PAGE_READONLY], ['free', PAGE_READONLY], ['rw', PAGE_WRITECOPY], ['rw', 0]],
      (w: W, [a, protect]: unknown[]) => w.p.ntProtectVirtualMemory({ rw: w.rw, 'reserved+': w.reserved + PAGE, free: 0x7000_0000 }[a as string]!, PAGE, protect as number),
      returns('a failure status with size as passed', (r) => { const x = r as NtProtectResult; return x.status >= 0xc000_0000 && x.size === PAGE; })),
    ...ntProcessHandleCases((caller, w, h) => caller.ntProtectVirtualMemory(w.rw, PAGE, PAGE_READONLY, h), NO_VM_OPERATION),
    bad("in the target: memory the caller has and the target has not (B36)", ['lonely', 'watch'], (w: HW, v) => w.p.ntProtectVirtualMemory(w[v as 'watch'], PAGE, PAGE_READONLY, w.h.all), NT_FAILURE),
  ], 'the failures Windows reports as statuses are returned, not thrown (test/os/nt-virtual-memory.test.ts)'),
  row('Process.ntQueryVirtualMemory', HANDLE_WORLD, [
    bad('on an exited process', ['dead'], (w: W) => w.dead.ntQueryVirtualMemory(w.rw, MemoryInformationClass.MemoryBasicInformation), INVALID_HANDLE),
    bad('address not an address', BAD_ADDRESSES, (w: W, v) => w.p.ntQueryVirtualMemory(v as number, MemoryInformationClass.MemoryBasicInformation), INVALID_PARAMETER),
    bad('informationClass not a ULONG', NOT_DWORDS, (w: W, v) => w.p.ntQueryVirtualMemory(w.rw, v as number), INVALID_PARAMETER),
    bad('guest-level failures are statuses (B28, B30, B31)', [[0x7fff_ffff_0000, 0], [0x7000_0000, 3], [0x7000_0000, 6], [0, 1], [0, 99]],
      (w: W, [a, c]: number[]) => w.p.ntQueryVirtualMemory(a, c),
      returns('a failure status and no information', (r) => { const x = r as NtQueryResult<unknown>; return x.status >= 0xc000_0000 && x.info === undefined; })),
    ...ntProcessHandleCases((caller, w, h) => caller.ntQueryVirtualMemory(w.rw, MemoryInformationClass.MemoryBasicInformation, h), ['none', 'vmop', 'readWrite']),
    bad("in the target: memory the caller has and the target has not is no image (B31)", ['lonely', 'watch'], (w: HW, v) => w.p.ntQueryVirtualMemory(w[v as 'watch'], MemoryInformationClass.MemoryImageInformation, w.h.query), NT_FAILURE),
  ]),
  row('Process.virtualLock', WORLD, [
    bad('on an exited process', ['dead'], (w: W) => w.dead.virtualLock(w.rw, PAGE), INVALID_HANDLE),
    bad('address not an address', BAD_ADDRESSES, (w: W, v) => w.p.virtualLock(v as number, PAGE), INVALID_PARAMETER),
    bad('size 0 or not a size (mmukit\'s choice for 0)', [0, ...NT_BAD_SIZES, 2 ** 48], (w: W, v) => w.p.virtualLock(w.rw, v as number), INVALID_PARAMETER),
    bad('free, reserved or NOACCESS pages (mmukit\'s choice: the probe faults)', ['free', 'reserved+', 'noaccess'], (w: W, v) => w.p.virtualLock({ free: 0x7000_0000, 'reserved+': w.reserved + PAGE, noaccess: w.noaccess }[v as string]!, PAGE), win32(ERROR_NOACCESS, STATUS_ACCESS_VIOLATION)),
  ], 'a guard page fails with STATUS_GUARD_PAGE_VIOLATION and clears the guard, a documented state change (B52): test/os/nt-virtual-memory.test.ts'),
  row('Process.virtualUnlock', WORLD, [
    bad('on an exited process', ['dead'], (w: W) => w.dead.virtualUnlock(w.rw, PAGE), INVALID_HANDLE),
    bad('address not an address', BAD_ADDRESSES, (w: W, v) => w.p.virtualUnlock(v as number, PAGE), INVALID_PARAMETER),
    bad('size 0 or not a size', [0, ...NT_BAD_SIZES, 2 ** 48], (w: W, v) => w.p.virtualUnlock(w.rw, v as number), INVALID_PARAMETER),
    bad('pages that are not locked: committed, reserved, free', ['rw', 'reserved+', 'free'], (w: W, v) => w.p.virtualUnlock({ rw: w.rw, 'reserved+': w.reserved + PAGE, free: 0x7000_0000 }[v as string]!, PAGE), win32(ERROR_NOT_LOCKED, STATUS_NOT_LOCKED)),
  ]),
  ...(['ntLockVirtualMemory', 'ntUnlockVirtualMemory'] as const).map((name) =>
    row(`Process.${name}`, HANDLE_WORLD, [
      bad('on an exited process', ['dead'], (w: W) => w.dead[name](w.rw, PAGE, MAP_PROCESS), INVALID_HANDLE),
      bad('address not an address', BAD_ADDRESSES, (w: W, v) => w.p[name](v as number, PAGE, MAP_PROCESS), INVALID_PARAMETER),
      bad('size not a SIZE_T', NT_BAD_SIZES, (w: W, v) => w.p[name](w.rw, v as number, MAP_PROCESS), INVALID_PARAMETER),
      bad('mapType not a ULONG', NOT_DWORDS, (w: W, v) => w.p[name](w.rw, PAGE, v as number), INVALID_PARAMETER),
      bad('guest-level failures are statuses, nothing changed (B52, B53)', [['rw', 0, MAP_PROCESS], ['rw', PAGE, 0], ['rw', PAGE, 4], ['rw', PAGE, MAP_SYSTEM], ['free', PAGE, MAP_PROCESS], ['reserved+', PAGE, MAP_PROCESS], ['noaccess', PAGE, MAP_PROCESS], ['rw', 2 ** 48, MAP_PROCESS]],
        (w: W, [a, size, type]: unknown[]) => w.p[name]({ rw: w.rw, free: 0x7000_0000, 'reserved+': w.reserved + PAGE, noaccess: w.noaccess }[a as string]!, size as number, type as number),
        returns('a failure status with size as passed', (r, v) => { const x = r as NtRegionResult; return x.status >= 0xc000_0000 && x.size === (v as unknown[])[1]; })),
      ...ntProcessHandleCases((caller, w, h) => caller[name](w.rw, PAGE, MAP_PROCESS, h), NO_VM_OPERATION),
      bad('in the target: memory the caller has and the target has not, the status', ['lonely', 'watch'], (w: HW, v) => w.p[name](w[v as 'watch'], PAGE, MAP_PROCESS, w.h.all), NT_FAILURE),
    ], 'the failures Windows reports as statuses are returned, not thrown (test/os/nt-lock-flush.test.ts)'),
  ),
  row('Process.ntFlushVirtualMemory', HANDLE_WORLD, [
    bad('on an exited process', ['dead'], (w: W) => w.dead.ntFlushVirtualMemory(w.readView, 0), INVALID_HANDLE),
    bad('address not an address', BAD_ADDRESSES, (w: W, v) => w.p.ntFlushVirtualMemory(v as number, 0), INVALID_PARAMETER),
    bad('size not a SIZE_T', NT_BAD_SIZES, (w: W, v) => w.p.ntFlushVirtualMemory(w.readView, v as number), INVALID_PARAMETER),
    bad('guest-level failures are statuses, nothing written (WRK MmFlushVirtualMemory)', [['free', 0], ['rw', 0], ['readView', 5 * PAGE], ['view', 0], ['readView', 2 ** 48]],
      (w: W, [a, size]: unknown[]) => w.p.ntFlushVirtualMemory(a === 'free' ? 0x7000_0000 : (w[a as 'rw'] as number), size as number),
      returns('a failure status with size as passed', (r, v) => { const x = r as NtFlushResult; return x.status >= 0xc000_0000 && x.size === (v as unknown[])[1]; })),
    ...ntProcessHandleCases((caller, w, h) => caller.ntFlushVirtualMemory(w.readView, 0, h), NO_VM_OPERATION),
    bad("in the target: the caller's views are not the target's (WRK MmFlushVirtualMemory)", ['readView', 'view'], (w: HW, v) => w.p.ntFlushVirtualMemory(w[v as 'view'], 0, w.h.all), NT_FAILURE),
  ], 'the failures Windows reports as statuses are returned, not thrown (test/os/nt-lock-flush.test.ts)'),
  row('Process.ntAreMappedFilesTheSame', WORLD, [
    bad('on an exited process', ['dead'], (w: W) => w.dead.ntAreMappedFilesTheSame(w.view, w.view), INVALID_HANDLE),
    bad('address1 not an address', BAD_ADDRESSES, (w: W, v) => w.p.ntAreMappedFilesTheSame(v as number, w.view), INVALID_PARAMETER),
    bad('address2 not an address', BAD_ADDRESSES, (w: W, v) => w.p.ntAreMappedFilesTheSame(w.view, v as number), INVALID_PARAMETER),
  ], 'every answer about valid addresses is a status (test/os/nt-lock-flush.test.ts)'),
  row('Process.exit', WORLD, [bad('on an exited process: a no-op (idempotent, documented)', [0], (w: W) => w.dead.exit(), returns('undefined', (r) => r === undefined))]),

  // ------------------------------------------------------------------ the loader: LoadLibrary, FreeLibrary, GetModuleHandle, GetProcAddress (B96)
  row('Process.loadLibrary', LOADER_WORLD, [
    bad('on an exited process', [0], (w: LW) => w.dead.loadLibrary('target32.dll', resolve), INVALID_HANDLE),
    bad('name not a string', [null, ...NOT_NAMES], (w: LW, v) => w.p.loadLibrary(v as string, resolve), INVALID_PARAMETER),
    bad('a name that names no module', NO_NAMES, (w: LW, v) => w.p.loadLibrary(v as string, resolve), MOD_NOT_FOUND),
    bad('source neither bytes nor a resolver', NOT_SOURCES, (w: LW, v) => w.fresh.loadLibrary('target32.dll', v as ModuleSource), INVALID_PARAMETER),
    bad('flags not a DWORD, unknown bits, or LOAD_WITH_ALTERED_SEARCH_PATH with a LOAD_LIBRARY_SEARCH_* flag', [...NOT_DWORDS.filter((v) => v !== undefined), 0x1_0000, 0x8000_0000, LOAD_WITH_ALTERED_SEARCH_PATH | 0x800], (w: LW, v) => w.fresh.loadLibrary('target32.dll', resolve, v as number), INVALID_PARAMETER),
    bad('data-file and resource loads: not modelled', [LOAD_LIBRARY_AS_DATAFILE, LOAD_LIBRARY_AS_IMAGE_RESOURCE, LOAD_LIBRARY_AS_DATAFILE_EXCLUSIVE, LOAD_LIBRARY_AS_DATAFILE | DONT_RESOLVE_DLL_REFERENCES], (w: LW, v) => w.fresh.loadLibrary('target32.dll', resolve, v as number), win32(ERROR_NOT_SUPPORTED, STATUS_NOT_SUPPORTED)),
    bad('no bytes for the DLL (a trailing dot: no extension)', ['nosuch.dll', 'nosuch', 'exporter32.'], (w: LW, v) => w.p.loadLibrary(v as string, resolve), MOD_NOT_FOUND),
    bad('a resolver that gives something other than bytes', [null, 5, 'target32.dll', [0x4d, 0x5a], new Uint16Array(4)], (w: LW, v) => w.fresh.loadLibrary('target32.dll', () => v as Uint8Array), INVALID_PARAMETER),
    bad('bytes that are not an image (B89)', NOT_PE, (w: LW, v) => w.fresh.loadLibrary('x.dll', v as Uint8Array), IMAGE_FORMAT),
    bad('a DLL of the other bitness (B89)', ['target64.dll', 'importer64.dll'], (w: LW, v) => w.p.loadLibrary(v as string, resolve), BAD_EXE_FORMAT),
    bad("the resolver's own error is the caller's", [0], (w: LW) => w.fresh.loadLibrary('target32.dll', failingResolver), throws(RangeError)),
  ], 'loads that fail after mapping a module (imports missing or not bindable): "failed loads" below'),
  row('Process.loadExecutable', LOADER_WORLD, [
    bad('on an exited process', [0], (w: LW) => w.dead.loadExecutable('app32.exe', resolve), INVALID_HANDLE),
    bad('the process has its executable already', ['app32.exe', 'app64.exe', 'hello32.exe', 'nosuch.exe'], (w: LW, v) => w.exe.loadExecutable(v as string, resolve), INVALID_PARAMETER),
    bad('a name loaded already, as a DLL', ['exporter32.dll', 'IMPORTER32'], (w: LW, v) => w.p.loadExecutable(v as string, resolve), INVALID_PARAMETER),
    bad('name not a string', [null, ...NOT_NAMES], (w: LW, v) => w.fresh.loadExecutable(v as string, resolve), INVALID_PARAMETER),
    bad('a name that names no module', NO_NAMES, (w: LW, v) => w.fresh.loadExecutable(v as string, resolve), MOD_NOT_FOUND),
    bad('source neither bytes nor a resolver', NOT_SOURCES, (w: LW, v) => w.fresh.loadExecutable('app32.exe', v as ModuleSource), INVALID_PARAMETER),
    bad('no bytes for it (".dll" appended to a name without an extension)', ['nosuch.exe', 'app32'], (w: LW, v) => w.fresh.loadExecutable(v as string, resolve), MOD_NOT_FOUND),
    bad('bytes that are not an image (B89)', NOT_PE, (w: LW, v) => w.fresh.loadExecutable('x.exe', v as Uint8Array), IMAGE_FORMAT),
    bad('a DLL is not an executable', ['target32.dll', 'importer64.dll'], (w: LW, v) => w.fresh.loadExecutable(v as string, resolve), BAD_EXE_FORMAT),
  ], 'loads that fail after mapping a module: "failed loads" below'),
  row('Process.freeLibrary', LOADER_WORLD, [
    bad('on an exited process', [0], (w: LW) => w.dead.freeLibrary(w.importer), INVALID_HANDLE),
    bad("base not a loaded module's base", NOT_BASES, (w: LW, v) => w.p.freeLibrary(baseOf(w, v)), MOD_NOT_FOUND),
    bad('detach not a function', [null, 5, 'detach', {}], (w: LW, v) => w.p.freeLibrary(w.importer, v as never), INVALID_PARAMETER),
    bad('the main executable: pinned, nothing unloaded (documented)', [0], (w: LW) => w.exe.freeLibrary(w.app), returns('[]', (r) => Array.isArray(r) && r.length === 0)),
    bad("a detach callback that throws: its error is the caller's, nothing unloaded", [0], (w: LW) => w.p.freeLibrary(w.importer, () => { throw new RangeError('DllMain failed'); }), throws(RangeError)),
  ]),
  row('Process.getModuleHandle', LOADER_WORLD, [
    bad('on an exited process', [0], (w: LW) => w.dead.getModuleHandle('target32.dll'), INVALID_HANDLE),
    bad('name neither a string nor null', NOT_NAMES, (w: LW, v) => w.p.getModuleHandle(v as string), INVALID_PARAMETER),
    bad('no such module loaded (another process\'s, a trailing dot, no name at all): NULL, as documented', ['nosuch.dll', 'app32.exe', 'exporter32.', ...NO_NAMES], (w: LW, v) => w.p.getModuleHandle(v as string), returns('0', (r) => r === 0)),
    bad('null without a main executable: NULL', [null], (w: LW) => w.p.getModuleHandle(null), returns('0', (r) => r === 0)),
  ]),
  row('Process.getProcAddress', LOADER_WORLD, [
    bad('on an exited process', [0], (w: LW) => w.dead.getProcAddress(w.exporter, 'alpha'), INVALID_HANDLE),
    bad("base not a loaded module's base (testGetProcAddress_Wrong)", NOT_BASES, (w: LW, v) => w.p.getProcAddress(baseOf(w, v), 'alpha'), MOD_NOT_FOUND),
    bad('nameOrOrdinal neither a name nor an ordinal 0–65535', [null, undefined, NaN, -1, 0.5, 65536, 2 ** 53, 5n, {}, [], true, new Uint8Array(4)], (w: LW, v) => w.p.getProcAddress(w.exporter, v as string), INVALID_PARAMETER),
    bad('not exported: case differs, NONAME by name, an empty EAT slot, below Base, past the EAT', ['', 'ALPHA', 'secret', 'nope', 0, 4, 12, 14, 65535], (w: LW, v) => w.p.getProcAddress(w.exporter, v as string), PROC_NOT_FOUND),
    bad('source not a resolver', [null, 5, 'target32.dll', {}, new Uint8Array(4)], (w: LW, v) => w.p.getProcAddress(w.exporter, 'alpha', v as never), INVALID_PARAMETER),
    bad('a forwarder whose DLL is not loaded and cannot be: no resolver, no bytes, not an image, the other bitness', [undefined, resolveWith('target32.dll'), resolveWith('target32.dll', NOT_PE[1]), resolveWith('target32.dll', peFile('target64.dll'))], (w: LW, v) => w.lone.getProcAddress(w.loneExporter, 'fwd_name', v as ModuleResolver), PROC_NOT_FOUND),
  ], 'a forwarded-to DLL that loads but lacks the export: "failed loads" below'),
  noArguments('Process.modules', LOADER_WORLD),

  // ------------------------------------------------------------------ Section, Allocation, AddressSpace
  row('Section.readBytes', WORLD, [
    bad('memory not the kernel\'s PhysicalMemory', [...NOT_OBJECTS, undefined, {}], (w: W, v) => w.anonymous.readBytes(v as never, 0, 4), INVALID_ARGUMENT),
    bad('offset not inside the section', [...NON_INTEGERS, ...NEGATIVES, 2 * GRANULE, 2 * GRANULE + 1, ...HUGE, '0', null], (w: W, v) => w.anonymous.readBytes(w.kernel.memory, v as number, 4), INVALID_ARGUMENT),
    bad('length not a length inside the section', [...NON_INTEGERS, ...NEGATIVES, 2 * GRANULE + 1, ...HUGE, '4', null], (w: W, v) => w.anonymous.readBytes(w.kernel.memory, 0, v as number), INVALID_ARGUMENT),
  ]),
  row('Section.untouchedPage', WORLD, [
    bad('index not a page of the section', [...NON_INTEGERS, -1, 32, '0', null, undefined], (w: W, v) => w.anonymous.untouchedPage(v as number, w.view, w.kernel.memory), INVALID_ARGUMENT),
    bad('viewBase not an address', [NaN, -1, 0.5, '0', null], (w: W, v) => w.anonymous.untouchedPage(0, v as number, w.kernel.memory), INVALID_ARGUMENT),
    bad('memory not a PhysicalMemory', [null, {}, 5], (w: W, v) => w.anonymous.untouchedPage(0, w.view, v as never), INVALID_ARGUMENT),
  ]),
  row('Section.residentFrameForView', WORLD, [
    bad('index not a page of the section', [...NON_INTEGERS, -1, 32, '0', null, undefined], (w: W, v) => w.anonymous.residentFrameForView(v as number, w.view), INVALID_ARGUMENT),
    bad('viewBase not an address', [NaN, -1, 0.5, '0', null], (w: W, v) => w.anonymous.residentFrameForView(0, v as number), INVALID_ARGUMENT),
  ]),
  noArguments('Section.heldFrames', WORLD),
  row('Allocation.pageIndex', WORLD, [
    bad('not an address inside the allocation', [...NON_INTEGERS, -1, 0, GRANULE - 1, 5 * GRANULE, '0', null, undefined], (w: W, v) => alloc(w).pageIndex(v === 0 ? w.rw - 1 : v === 5 * GRANULE ? w.rw + 4 * GRANULE : (v as number)), INVALID_ARGUMENT),
  ]),
  ...(['isCommitted', 'ownsFrame'] as const).map((op) =>
    row(`Allocation.${op}`, WORLD, [bad('not a page index of the allocation', [...NON_INTEGERS, -1, 64, '0', null, undefined], (w: W, v) => alloc(w)[op](v as number), INVALID_ARGUMENT)]),
  ),
  row('new AddressSpace', WORLD, [
    bad('memory not a PhysicalMemory', [null, {}, 5], (w: W, v) => new AddressSpace(v as never, X86_64, w.kernel.frames), INVALID_ARGUMENT),
    bad('format not a page-table format', [null, {}, 'x86', 5], (w: W, v) => new AddressSpace(w.kernel.memory, v as never, w.kernel.frames), INVALID_ARGUMENT),
    bad('frames not the memory\'s FrameAllocator', [null, {}, 'foreign'], (w: W, v) => new AddressSpace(w.kernel.memory, X86_64, (v === 'foreign' ? w.foreign.kernel.frames : v) as never), INVALID_ARGUMENT),
  ]),
  ...(['attributes', 'sync'] as const).map((op) =>
    row(`AddressSpace.${op}`, WORLD, [
      bad('allocation not an Allocation', [null, undefined, {}, 5], (w: W, v) => w.p.space[op](v as Allocation, 0, w.kernel.zeroFrame), INVALID_ARGUMENT),
      bad('i not a page index', [...NON_INTEGERS, -1, 64, '0', null], (w: W, v) => w.p.space[op](alloc(w), v as number, w.kernel.zeroFrame), INVALID_ARGUMENT),
      bad('zeroFrame not a frame number', [NaN, -1, 0.5, '1', null], (w: W, v) => w.p.space[op](alloc(w), 0, v as number), INVALID_ARGUMENT),
    ]),
  ),
  row('AddressSpace.clear', WORLD, [bad('va not a page-aligned address', [...NON_INTEGERS, -1, 2 ** 48, ...HUGE, '0', null, undefined, 0x10008], (w: W, v) => w.p.space.clear(v as number), INVALID_ARGUMENT)]),
  noArguments('AddressSpace.destroy', WORLD, 'takes no arguments; it frees the tables of an exiting process'),

  // ------------------------------------------------------------------ errors and exception records
  row('new WindowsError', NONE, [bad('any values: an error constructor never throws', [NaN, -1, 2 ** 64, null, undefined, {}, '5', 5n], (_, v) => new WindowsError(v as number, v as string, v as number), returns('a WindowsError', (r) => r instanceof WindowsError))]),
  row('new WindowsExceptionError', NONE, [
    bad('record not an exception record', [...NOT_OBJECTS, undefined, {}, { exceptionCode: 1, numberParameters: 2, exceptionInformation: null, address: 0 }], (_, v) => new WindowsExceptionError(v as never), INVALID_ARGUMENT),
  ]),
  ...(['accessViolation', 'guardPageViolation'] as const).map((name) =>
    row(name, NONE, [bad('access type not 0, 1 or 8', [2, -1, 0.5, NaN, '1', null, undefined], (_, v) => (name === 'accessViolation' ? accessViolation : guardPageViolation)(v as 0, 0x10000), INVALID_ARGUMENT)]),
  ),
  row('inPageError', NONE, [bad('access type not 0, 1 or 8', [2, -1, NaN, '1', null], (_, v) => inPageError(v as 0, 0x10000, 0xc0000017), INVALID_ARGUMENT)]),

  // ------------------------------------------------------------------ DWORD helpers: total functions
  ...([
    ['ntStatusToWin32', (v: unknown) => ntStatusToWin32(v as number), isNumber],
    ['isNtSuccess', (v: unknown) => isNtSuccess(v as number), isBoolean],
    ['statusName', (v: unknown) => statusName(v as number), isString],
    ['win32ErrorName', (v: unknown) => win32ErrorName(v as number), isString],
    ['baseProtection', (v: unknown) => baseProtection(v as number), isNumber],
    ['isSingleBit', (v: unknown) => isSingleBit(v as number), isBoolean],
    ['protectionName', (v: unknown) => protectionName(v as number), isString],
    ['protectionAccess', (v: unknown) => protectionAccess(v as number), isNumber],
    ['reportedProtection', (v: unknown) => reportedProtection(v as number, true), isNumber],
    ['viewProtection', (v: unknown) => viewProtection(v as number), isNumber],
    ['sectionAccessForView', (v: unknown) => sectionAccessForView(v as number), isNumber],
    ['viewRequiredAccess', (v: unknown) => viewRequiredAccess(v as number), isNumber],
    ['sectionGrantsViewAccess', (v: unknown) => [sectionGrantsViewAccess(v as number, FILE_MAP_READ), sectionGrantsViewAccess(PAGE_READWRITE, v as number)].every(isBoolean), (r: unknown) => r === true],
    ['sectionAllowsViewProtection', (v: unknown) => [sectionAllowsViewProtection(v as number, PAGE_READONLY), sectionAllowsViewProtection(PAGE_READWRITE, v as number)].every(isBoolean), (r: unknown) => r === true],
    ['viewProtectAllowed', (v: unknown) => [viewProtectAllowed(v as number, PAGE_READONLY), viewProtectAllowed(PAGE_READWRITE, v as number)].every(isBoolean), (r: unknown) => r === true],
    ['imageRequestedProtection', (v: unknown) => imageRequestedProtection(v as number), isNumber],
  ] as const).map(([name, call, check]) =>
    row(name, NONE, [bad('any value: converted to a DWORD (ToUint32) as the C API would, never a throw', [NaN, Infinity, -1, 0.5, 2 ** 53, 2 ** 64, '4', '', null, undefined, {}, [], true], (_, v) => call(v), returns('a value of the documented type', check as (r: unknown) => boolean))], 'pure functions of a DWORD'),
  ),
  ...([
    ['validateAllocProtection', (v: unknown) => validateAllocProtection(v as number), BAD_PRIVATE_PROTECTIONS],
    ['validateViewProtection', (v: unknown) => validateViewProtection(v as number), [0, 0x03, PAGE_NOACCESS | PAGE_GUARD, PAGE_READONLY | 0x1000, PAGE_READONLY + 2 ** 32, PAGE_READONLY + 0.5, NaN, '2', null, undefined]],
    ['validateSectionProtection', (v: unknown) => validateSectionProtection(v as number), [0, PAGE_NOACCESS, PAGE_EXECUTE, 0x06, PAGE_READWRITE | PAGE_NOCACHE, PAGE_READWRITE + 2 ** 32, 4.5, NaN, '4', null, undefined]],
  ] as const).map(([name, call, values]) => row(name, NONE, [bad('an invalid protection', values, (_, v) => call(v), INVALID_PROTECTION)])),
  row('validateSectionAttributes', NONE, [
    bad('invalid SEC_* attributes (B61)', [SEC_RESERVE | SEC_COMMIT, SEC_NOCACHE, SEC_FILE, SEC_LARGE_PAGES | SEC_COMMIT, SEC_IMAGE | SEC_COMMIT, 0x1, NaN, 0.5, SEC_COMMIT + 2 ** 32, '0', null, {}], (_, v) => validateSectionAttributes(v as number, true), win32(ERROR_INVALID_PARAMETER)),
    bad('anonymous not a boolean', [0, 1, 'yes', null, undefined], (_, v) => validateSectionAttributes(SEC_COMMIT, v as boolean), INVALID_ARGUMENT),
  ]),

  // ------------------------------------------------------------------ reports, verify
  row('processReport', WORLD, [bad('not a live process of a kernel', ['dead', null, undefined, {}, 5], (w: W, v) => processReport((v === 'dead' ? w.dead : v) as Process), INVALID_HANDLE)]),
  row('systemReport', NONE, [bad('not a Kernel', [...NOT_OBJECTS, undefined, {}], (_, v) => systemReport(v as Kernel), INVALID_ARGUMENT)]),
  row('formatProcessReport', NONE, [bad('not a process report', [...NOT_OBJECTS, undefined, {}, { regions: 5 }, { pid: 1, regions: [null] }], (_, v) => formatProcessReport(v as never), INVALID_ARGUMENT)]),
  row('objectPath', NONE, [
    bad('not a string', [null, undefined, 5, {}, ['a']], (_, v) => objectPath(v as string), INVALID_PARAMETER),
    bad('empty, a bare prefix, or longer than 32766 characters', ['', 'Local\\', 'Global\\', 'x'.repeat(32767)], (_, v) => objectPath(v as string), win32(ERROR_INVALID_NAME, STATUS_OBJECT_NAME_INVALID)),
    bad('a backslash past the prefix', ['a\\b', 'Local\\a\\b', '\\x'], (_, v) => objectPath(v as string), win32(ERROR_PATH_NOT_FOUND, STATUS_OBJECT_PATH_NOT_FOUND)),
  ]),
  row('verify', NONE, [bad('not a Kernel', [...NOT_OBJECTS, undefined, {}], (_, v) => verify(v as Kernel), INVALID_ARGUMENT)]),
];

function alloc(w: W): Allocation {
  return w.p.regions.find(w.rw)!;
}

describe('bad arguments: the kernel (src/os)', () => {
  runTable(TABLE);
});

describe('bad arguments: property checks', () => {
  runTable([
    row('Process.virtualAlloc', WORLD, [
      bad('generated non-addresses', outside(0, 2 ** 53 - 1), (w: W, v) => w.p.virtualAlloc(v as number, PAGE, MEM_RESERVE, PAGE_READWRITE), INVALID_PARAMETER),
      bad('generated non-DWORD allocation types', outside(0, 0xffff_ffff), (w: W, v) => w.p.virtualAlloc(0, PAGE, v as number, PAGE_READWRITE), INVALID_PARAMETER),
      bad('generated non-DWORD protections', outside(0, 0xffff_ffff), (w: W, v) => w.p.virtualAlloc(0, PAGE, MEM_RESERVE, v as number), INVALID_PROTECTION),
    ]),
    row('Process.virtualProtect', WORLD, [bad('generated protections with a bad base byte or unknown bits', fcProtections(), (w: W, v) => w.p.virtualProtect(w.rw, PAGE, v as number), INVALID_PROTECTION)]),
    row('Process.mapViewOfSection', WORLD, [bad('generated non-DWORD access masks', outside(0, 0xffff_ffff), (w: W, v) => w.p.mapViewOfSection(w.anonymous, { access: v as number }), INVALID_PARAMETER)]),
    row('Process.readMemory', WORLD, [bad('generated non-lengths', outside(0, 2 ** 53 - 1), (w: W, v) => w.p.readMemory(w.rw, v as number), INVALID_PARAMETER)]),
  ]);
});

describe('failed loads: a load that mapped modules and then failed leaves nothing a program can observe (B96)', () => {
  /** Loads `name` into process `who`, the DLL `missing` not found or replaced by `bytes`. */
  type Load = readonly ['p' | 'fresh', string, string?, Uint8Array?];
  const load = (w: LW, [who, name, missing, bytes]: Load) => w[who].loadLibrary(name, missing === undefined ? resolve : resolveWith(missing, bytes));
  const loadExecutable = (w: LW, [missing, bytes]: readonly [string, Uint8Array?]) => w.fresh.loadExecutable('app32.exe', resolveWith(missing, bytes));
  const NORELOCS = peFile('norelocs32.dll')!;
  runTable([
    row('Process.loadLibrary', LOADER_OBSERVABLE, [
      bad('an import that cannot be found', [['fresh', 'importer32.dll', 'exporter32.dll'], ['fresh', 'importer64.dll', 'exporter64.dll']], load, MOD_NOT_FOUND),
      bad('an imported name the exporter lacks, or a forwarder that fails on the way', [['fresh', 'badname32.dll'], ['p', 'badname32.dll'], ['fresh', 'importer32.dll', 'target32.dll'], ['fresh', 'importer32.dll', 'target32.dll', NOT_PE[1]]], load, win32(ERROR_PROC_NOT_FOUND, STATUS_ENTRYPOINT_NOT_FOUND)),
      bad('an imported ordinal the exporter lacks', [['fresh', 'badordinal32.dll'], ['p', 'badordinal32.dll']], load, win32(ERROR_INVALID_ORDINAL, STATUS_ORDINAL_NOT_FOUND)),
      bad('an exporter without an export directory, or of the other bitness (B89)', [['fresh', 'importer32.dll', 'exporter32.dll', NORELOCS], ['fresh', 'importer32.dll', 'exporter32.dll', peFile('exporter64.dll')]], load, BAD_EXE_FORMAT),
      bad('an import that is not an image', [['fresh', 'importer32.dll', 'exporter32.dll', NOT_PE[1]]], load, IMAGE_FORMAT),
      bad("the resolver's own error for an import is the caller's", [0], (w: LW) => w.fresh.loadLibrary('importer32.dll', (n) => (n.toLowerCase() === 'importer32.dll' ? resolve(n) : failingResolver(n))), throws(RangeError)),
    ]),
    row('Process.loadExecutable', LOADER_OBSERVABLE, [
      bad('an import that cannot be found', [['exporter32.dll']], loadExecutable, MOD_NOT_FOUND),
      bad('a forwarder that fails on the way', [['target32.dll']], loadExecutable, win32(ERROR_PROC_NOT_FOUND, STATUS_ENTRYPOINT_NOT_FOUND)),
      bad('an exporter without an export directory', [['exporter32.dll', NORELOCS]], loadExecutable, BAD_EXE_FORMAT),
    ]),
    row('Process.getProcAddress', LOADER_OBSERVABLE, [
      bad('a forwarder whose DLL loads but lacks the export', ['fwd_name', 'fwd_ord'], (w: LW, v) => w.lone.getProcAddress(w.loneExporter, v as string, resolveWith('target32.dll', NORELOCS)), PROC_NOT_FOUND),
    ]),
  ]);
});

/** Protections that are DWORDs but invalid for private memory: a base byte without exactly one valid bit, or unknown high bits. */
function fcProtections(): fc.Arbitrary<unknown> {
  const valid = new Set([PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE, PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE]);
  return fc.oneof(fc.integer({ min: 0, max: 0xff }), fc.integer({ min: 0, max: 0xffff_ffff })).filter((p) => !(valid.has(p & 0xff) && (p & ~0xff) === 0));
}

describe('state-changing failures that Windows documents', () => {
  it('B52: ReadProcessMemory over a guard page fails with STATUS_GUARD_PAGE_VIOLATION and clears the guard (only that changes)', () => {
    const w = world();
    const before = snapshot(w.kernel);
    let error: unknown;
    try {
      w.p.readMemory(w.guard, 4);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WindowsError);
    expect((error as WindowsError).win32Error).toBe(0x8000_0001);
    expect(w.p.virtualQuery(w.guard).protect).toBe(PAGE_READWRITE);
    w.p.virtualProtect(w.guard, PAGE, PAGE_READWRITE | PAGE_GUARD);
    expect(snapshot(w.kernel)).toEqual(before);
    expect(verify(w.kernel)).toEqual([]);
  });

});

coverageTest('kernel', TABLE);

afterAll(() => {
  // eslint-disable-next-line no-console
  console.log(`kernel bad arguments: ${TABLE.length} rows (entry points), ${counter.rows} tested, ${counter.calls} bad calls, each checked against a full snapshot`);
});
