/**
 * A user-mode (high-level) emulator's view of mmukit: what Wine-, Qiling- or
 * Unicorn-style emulators do with the kernel layer. The emulator has no guest
 * kernel; it implements the guest's Windows API calls itself and lets mmukit
 * stand in for the memory manager and the object manager:
 *
 * 1. boot a Kernel (PAE page tables with NX, as 32-bit Windows with DEP) and
 *    create the guest process;
 * 2. start the guest's EXE (fixtures/pe/app32.exe) with the loader: its DLLs
 *    loaded and its IAT bound, then LoadLibrary of one of those DLLs again,
 *    GetProcAddress against the IAT, FreeLibrary and the module list;
 * 3. set up a heap with VirtualAlloc / VirtualProtect;
 * 4. create the main thread and run it: its stack grows through its guard
 *    page with no exception; a small stack ends in STATUS_STACK_OVERFLOW;
 * 5. load a DLL and read its bytes through the process, as the CPU would fetch them;
 * 6. run guest accesses that fault, catch {@link WindowsExceptionError} and
 *    turn it into the EXCEPTION_RECORD the guest's SEH handler would get;
 * 7. hook the DLL's code (a private copy-on-write page);
 * 8. share a named section with a second process, through handles;
 * 9. print the VirtualQuery map and the process report, and check the kernel with verify().
 *
 * Run: npm run demo:hle
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  EXCEPTION_EXECUTE_FAULT,
  EXCEPTION_WRITE_FAULT,
  FILE_MAP_READ,
  FILE_MAP_WRITE,
  FRAME_SIZE,
  INVALID_HANDLE_VALUE,
  Kernel,
  MEM_COMMIT,
  MEM_FREE,
  MEM_IMAGE,
  MEM_MAPPED,
  MEM_PRIVATE,
  MEM_RESERVE,
  PAGE_EXECUTE_READWRITE,
  PAGE_GUARD,
  PAGE_READONLY,
  PAGE_READWRITE,
  PROCESS_QUERY_LIMITED_INFORMATION,
  PROCESS_VM_OPERATION,
  PROCESS_VM_READ,
  PROCESS_VM_WRITE,
  STACK_SIZE_PARAM_IS_A_RESERVATION,
  WindowsError,
  WindowsExceptionError,
  formatProcessReport,
  imageReport,
  peImports,
  processReport,
  protectionName,
  statusName,
  verify,
  type ImageReport,
  type LoadedModule,
  type MemoryBasicInformation,
  type Mmu,
  type ModuleResolver,
  type Process,
  type ProcessReport,
  type VerifyProblem,
} from '../../src/index.js';

const PAGE = FRAME_SIZE;
const FIXTURES = new URL('../../fixtures/pe/', import.meta.url);

/** The DLL the demo maps: a small PE32 DLL (fixtures/pe/few32.dll). */
export function defaultHleDll(): Uint8Array {
  return new Uint8Array(readFileSync(fileURLToPath(new URL('few32.dll', FIXTURES))));
}

/**
 * The emulator's file system for the loader: a DLL's name to the file's bytes in fixtures/pe
 * (undefined: not found). The same array for a name every time, so that every load shares its pages.
 */
export function fixtureResolver(): ModuleResolver {
  const cache = new Map<string, Uint8Array | undefined>();
  return (name) => {
    const key = name.toLowerCase();
    if (!/^[a-z0-9_-]+\.(dll|exe)$/.test(key)) return undefined;
    if (!cache.has(key)) {
      let bytes: Uint8Array | undefined;
      try {
        bytes = new Uint8Array(readFileSync(fileURLToPath(new URL(key, FIXTURES))));
      } catch {
        bytes = undefined;
      }
      cache.set(key, bytes);
    }
    return cache.get(key);
  };
}

/** The EXE the demo starts, the DLL it loads a second time, and the import it checks against GetProcAddress. */
export const HLE_EXE = 'app32.exe';
export const HLE_RELOADED_DLL = 'exporter32.dll';
export const HLE_IMPORT = 'alpha';
/** The named section the two processes share, and its size. */
export const HLE_SECTION_NAME = 'Local\\hle-shared';
export const HLE_SECTION_SIZE = 0x2000;
/** The main thread's dwStackSize (its commit: rounded up to 0x4000), and the frame its first call probes below StackLimit. */
export const HLE_STACK_COMMIT = 0x3f00;
export const HLE_STACK_FRAME = 0x3000;
/** The reserve of the small stack the demo overflows (CreateThread with STACK_SIZE_PARAM_IS_A_RESERVATION). */
export const HLE_SMALL_STACK = 0x1_0000;

/** An exception as the guest's handler sees it: the EXCEPTION_RECORD fields an emulator fills in. */
export interface GuestException {
  /** ExceptionCode, unsigned: 0xC0000005 (access violation), 0x80000001 (guard page), 0xC00000FD (stack overflow). */
  code: number;
  /** Its NTSTATUS name. */
  name: string;
  /** ExceptionInformation[0]: 0 read, 1 write, 8 execute (DEP). */
  accessType: number;
  /** ExceptionInformation[1]: the data address the access touched. */
  address: number;
  /** ExceptionInformation, as the record carries it. */
  information: number[];
}

/** A failed API call as the guest sees it: GetLastError's value, and the NTSTATUS of the NT call. */
export interface ApiFailure {
  win32Error: number;
  win32Name: string;
  ntStatus: number;
  statusName: string;
}

/** A module as the demo prints it. */
export interface ModuleLine {
  name: string;
  base: number;
  loadCount: number;
}

/** What one run of the demo found, for the tests and for printing. */
export interface HleResult {
  pid: number;
  loader: {
    /** The EXE: base, entry point, TLS slot and callbacks (what the emulator calls before the entry point). */
    exe: { name: string; base: number; entryPoint: number; tlsIndex: number | null; tlsCallbacks: number[] };
    /** The DLLs loadExecutable loaded, in the order their TLS callbacks and DllMain run. */
    initializationOrder: { name: string; base: number; entryPoint: number; tlsCallbacks: number[] }[];
    /** modules() right after loadExecutable. */
    modulesAtStart: ModuleLine[];
    /** LoadLibrary of {@link HLE_RELOADED_DLL} again: its base (the same), its count, and the modules it reported for initialization (none). */
    reloaded: { base: number; firstBase: number; loadCount: number; initializationOrder: string[] };
    /** GetProcAddress(dll, {@link HLE_IMPORT}), the EXE's IAT slot for that import (its address) and the value read there through the process. */
    procAddress: number;
    iatSlot: number;
    iatValue: number;
    /** A forwarded import (exporter32's fwd_name → target32's target_func): its IAT value and GetProcAddress of the final export. */
    forwarded: { import: string; target: string; iatValue: number; procAddress: number };
    /** FreeLibrary after the second load: the modules it unloaded (none) and the count left. */
    freed: { unloaded: string[]; loadCount: number };
    /** modules() at the end of the step. */
    modulesAtEnd: ModuleLine[];
  };
  heap: {
    base: number;
    reservedBytes: number;
    committedBytes: number;
    /** The string the guest wrote at the heap's base, read back through the MMU. */
    readBack: string;
    /** The heap page made PAGE_READONLY, and what VirtualProtect returned for it (the old protection). */
    readOnlyPage: number;
    oldProtect: number;
    /** A heap page the guest made PAGE_GUARD (no stack's): its protection before and after the guard fired. */
    guardPage: number;
    guardProtectBefore: number;
    guardProtectAfter: number;
    /** A second touch of that page: null when it raised nothing (the guard is one-shot). */
    guardSecondTouch: GuestException | null;
  };
  stack: {
    /** The main thread: its id and the TEB's stack fields before and after its first call probed below StackLimit. */
    threadId: number;
    deallocationStack: number;
    stackBase: number;
    limitBefore: number;
    limitAfter: number;
    /** Bytes probed below StackLimit, and the exceptions that raised (none: the stack grows silently, B59). */
    probedBytes: number;
    probeExceptions: number;
    /** The page below the new StackLimit: the next guard page. */
    guardProtect: number;
    /** The small stack: its reserve, the pages it grew silently, the overflow, where StackLimit ended, and the touch of its last page. */
    small: {
      threadId: number;
      deallocationStack: number;
      stackBase: number;
      reserve: number;
      limitBefore: number;
      silentPages: number;
      overflow: GuestException;
      /** Whether the access that raised STATUS_STACK_OVERFLOW succeeds when the handler re-executes it. */
      retrySucceeded: boolean;
      limitAfter: number;
      lastPage: GuestException;
      /** The reservation's state after the thread exited. */
      stateAfterExit: number;
    };
  };
  dll: {
    base: number;
    status: number;
    statusName: string;
    loadCount: number;
    mappedSize: number;
    /** RVA of the first code section and the bytes fetched there through the MMU (fetch8). */
    textRva: number;
    textBytes: Uint8Array;
    /** The same range read with ReadProcessMemory. */
    textBytesReadMemory: Uint8Array;
    /** The "MZ" signature read at the DLL's base (read16). */
    mz: number;
    /** Protections VirtualQuery reports for the header page and the code section. */
    headerProtect: number;
    textProtect: number;
    /** After a hook patched the first code byte: the byte, the page's protection, and the image's sharing. */
    hookedByte: number;
    hookedProtect: number;
    image: ImageReport;
  };
  exceptions: {
    /** Write to the heap page made PAGE_READONLY. */
    readOnlyWrite: GuestException;
    /** Write to the DLL's code (PAGE_EXECUTE_READ). */
    dllCodeWrite: GuestException;
    /** Read of reserved, uncommitted heap. */
    uncommittedRead: GuestException;
    /** Execution of heap data (NX: DEP). */
    heapExecute: GuestException;
    /** The first touch of the heap's guard page. */
    guardPage: GuestException;
  };
  shared: {
    name: string;
    size: number;
    /** Process B's pid. */
    otherPid: number;
    /** A's handle from CreateFileMapping, and whether the name existed. */
    handleA: number;
    createdNew: boolean;
    viewA: number;
    /** What A wrote, and what B read through its FILE_MAP_READ view on its own CPU. */
    written: string;
    readByB: string;
    /** B's handle from OpenFileMapping(FILE_MAP_READ), and its view. */
    handleB: number;
    viewB: number;
    /** MapViewOfFile(FILE_MAP_WRITE) through B's read-only handle (B65). */
    writeDenied: ApiFailure;
    /** B's CreateFileMapping of the same name: its handle and ERROR_ALREADY_EXISTS (B63). */
    secondHandleB: number;
    alreadyExists: boolean;
    /** B wrote a reply through a FILE_MAP_WRITE view of that handle; what A read of it. */
    reply: string;
    replyReadByA: string;
    /** OpenFileMapping of the name once every handle is closed (B72). */
    openAfterClose: ApiFailure;
    /** After the closes: A wrote again, and B read it through its still-mapped view. */
    afterClose: string;
    afterCloseReadByB: string;
    /** The section after the closes: its handles, its name, its views, and whether the kernel still has it. */
    sectionAfterClose: { handleCount: number; name: string | null; viewCount: number; live: boolean; namedInKernel: boolean };
  };
  /** The VirtualQuery walk of the address space, up to the end of the last allocation. */
  regions: MemoryBasicInformation[];
  report: ProcessReport;
  /** The kernel's own consistency check after the demo (frames, page tables, commit, handles, names): empty when all is well. */
  problems: VerifyProblem[];
  lines: string[];
  /**
   * A debugger-style step: process {@link HleResult.pid} opens the second process by its id and allocates, writes
   * and reads its memory through the process handle (VirtualAllocEx, WriteProcessMemory, ReadProcessMemory); a
   * handle with PROCESS_VM_READ alone cannot write; once the second process exits, the still-open handle's calls
   * fail with STATUS_PROCESS_IS_TERMINATING.
   */
  remote: {
    handle: number;
    base: number;
    written: string;
    readByOwner: string;
    readOnlyWrite: ApiFailure;
    afterExit: ApiFailure;
    pidAfterExit: number;
  };
}

/** What an HLE emulator's CPU loop does around one guest access: run it, or turn its exception into the guest's record. */
function guest<T>(access: () => T): { value: T; exception: null } | { value: undefined; exception: GuestException } {
  try {
    return { value: access(), exception: null };
  } catch (error) {
    if (!(error instanceof WindowsExceptionError)) throw error;
    const { exceptionCode, exceptionInformation, address } = error.record;
    return {
      value: undefined,
      exception: { code: exceptionCode, name: statusName(exceptionCode), accessType: exceptionInformation[0], address, information: [...exceptionInformation] },
    };
  }
}

/** The exception `access` raises; throws if it raises none (the demo's scenario would be broken). */
function expectException(what: string, access: () => unknown): GuestException {
  const { exception } = guest(access);
  if (exception === null) throw new Error(`${what}: expected an exception, the access succeeded`);
  return exception;
}

/** The error an API call fails with, as GetLastError and the NT call report it; throws if it succeeds. */
function expectFailure(what: string, call: () => unknown): ApiFailure {
  try {
    call();
  } catch (error) {
    if (!(error instanceof WindowsError)) throw error;
    return { win32Error: error.win32Error, win32Name: error.win32ErrorName, ntStatus: error.ntStatus, statusName: statusName(error.ntStatus) };
  }
  throw new Error(`${what}: expected the call to fail, it succeeded`);
}

const hex = (n: number): string => `0x${n.toString(16)}`;
const kib = (n: number): string => `${n / 1024} KiB`;
const ACCESS_NAMES = new Map([[0, 'read'], [EXCEPTION_WRITE_FAULT, 'write'], [EXCEPTION_EXECUTE_FAULT, 'execute']]);

/** One line as a debugger's first-chance exception message. */
function describe(what: string, e: GuestException): string {
  return `  ${what.padEnd(34)} ${e.name} (0x${e.code.toString(16).toUpperCase()}), ${ACCESS_NAMES.get(e.accessType)} at ${hex(e.address)}, ExceptionInformation [${e.information.map(hex).join(', ')}]`;
}

/** A failed call as the guest sees it: GetLastError, and the NTSTATUS. */
const failure = (f: ApiFailure): string => `${f.win32Name} (${f.win32Error}; ${f.statusName})`;

const STATE_NAMES = new Map([[MEM_COMMIT, 'commit'], [MEM_RESERVE, 'reserve'], [MEM_FREE, 'free']]);
const TYPE_NAMES = new Map([[MEM_PRIVATE, 'private'], [MEM_MAPPED, 'mapped'], [MEM_IMAGE, 'image'], [0, '']]);

/** VirtualQuery from address 0 to the end of the last allocation, as `!address` or VMMap list it. */
function queryRegions(process: Process): MemoryBasicInformation[] {
  let end = 0;
  for (const allocation of process.regions) end = Math.max(end, allocation.end);
  const regions: MemoryBasicInformation[] = [];
  for (let address = 0; address < end; ) {
    const info = process.virtualQuery(address);
    regions.push(info);
    address = info.baseAddress + info.regionSize;
  }
  return regions;
}

/** The guest's string at `address`, `length` bytes, read through `mmu`. */
function readString(mmu: Mmu, address: number, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += String.fromCharCode(mmu.read8(address + i));
  return text;
}

function writeString(mmu: Mmu, address: number, text: string): void {
  for (let i = 0; i < text.length; i++) mmu.write8(address + i, text.charCodeAt(i));
}

const moduleLines = (process: Process): ModuleLine[] => process.modules().map(({ name, base, loadCount }) => ({ name, base, loadCount }));
const formatModules = (modules: ModuleLine[]): string => modules.map((m) => `${m.name} ${hex(m.base)} (${m.loadCount})`).join(', ');

/** The IAT slot of `module`'s import `name` from `dll`: its address in the process. */
function iatSlot(module: LoadedModule, dll: string, name: string): number {
  const descriptor = peImports(module.image).find((d) => d.dllName.toLowerCase() === dll);
  const thunk = descriptor?.thunks.find((t) => t.name === name);
  if (thunk === undefined) throw new Error(`${module.name} does not import ${dll}!${name}`);
  return module.base + thunk.iatRva;
}

/** Step 2: CreateProcess's loader work for the EXE, then LoadLibrary / GetProcAddress / FreeLibrary of one of its DLLs. */
function loaderStep(process: Process, mmu: Mmu, resolver: ModuleResolver, lines: string[]): HleResult['loader'] {
  const started = process.loadExecutable(HLE_EXE, resolver);
  const app = started.module;
  const callbacks = (m: LoadedModule): number[] => [...(m.tls?.callbacks ?? [])];
  const exe = { name: app.name, base: app.base, entryPoint: app.entryPoint, tlsIndex: app.tls?.index ?? null, tlsCallbacks: callbacks(app) };
  const initializationOrder = started.initializationOrder.map((m) => ({ name: m.name, base: m.base, entryPoint: m.entryPoint, tlsCallbacks: callbacks(m) }));
  const modulesAtStart = moduleLines(process);
  lines.push(`loader: ${HLE_EXE} mapped at ${hex(app.base)}, its imports bound`);
  lines.push(`        modules() (load counts): ${formatModules(modulesAtStart)}`);
  lines.push('        what the emulator runs before the first instruction:');
  for (const m of initializationOrder) {
    lines.push(`          ${m.name.padEnd(15)} DllMain(DLL_PROCESS_ATTACH) at ${hex(m.entryPoint)}${m.tlsCallbacks.length === 0 ? '' : `, TLS callbacks ${m.tlsCallbacks.map(hex).join(', ')}`}`);
  }
  lines.push(`          ${app.name.padEnd(15)} TLS slot ${exe.tlsIndex}, TLS callbacks ${exe.tlsCallbacks.map(hex).join(', ')}; then its entry point ${hex(exe.entryPoint)}`);

  // LoadLibrary of a DLL the EXE imports: the same module, one more reference, nothing to initialize.
  const firstBase = process.getModuleHandle(HLE_RELOADED_DLL);
  const again = process.loadLibrary(HLE_RELOADED_DLL, resolver);
  const reloaded = { base: again.base, firstBase, loadCount: again.module.loadCount, initializationOrder: again.initializationOrder.map((m) => m.name) };
  const procAddress = process.getProcAddress(again.base, HLE_IMPORT);
  const slot = iatSlot(app, HLE_RELOADED_DLL, HLE_IMPORT);
  const iatValue = mmu.read32(slot);
  lines.push(`        LoadLibrary("${HLE_RELOADED_DLL}") -> ${hex(again.base)} (the same module, load count ${reloaded.loadCount}, ${reloaded.initializationOrder.length} to initialize)`);
  lines.push(`        GetProcAddress(${hex(again.base)}, "${HLE_IMPORT}") = ${hex(procAddress)}; the EXE's IAT slot ${hex(slot)} holds ${hex(iatValue)}`);
  // A forwarded import: the IAT holds the final export's address, in the DLL the forwarder names.
  const target = process.getModuleHandle('target32.dll');
  const forwarded = {
    import: `${HLE_RELOADED_DLL}!fwd_name`,
    target: 'target32.dll!target_func',
    iatValue: mmu.read32(iatSlot(app, HLE_RELOADED_DLL, 'fwd_name')),
    procAddress: process.getProcAddress(target, 'target_func'),
  };
  lines.push(`        the forwarded import ${forwarded.import} holds ${hex(forwarded.iatValue)} = GetProcAddress(${forwarded.target}) ${hex(forwarded.procAddress)}`);
  const unloaded = process.freeLibrary(again.base).map((m) => m.name);
  const freed = { unloaded, loadCount: process.modules().find((m) => m.base === again.base)!.loadCount };
  const modulesAtEnd = moduleLines(process);
  lines.push(`        FreeLibrary(${hex(again.base)}) unloads ${unloaded.length === 0 ? 'nothing' : unloaded.join(', ')}: the EXE's import holds it, load count ${freed.loadCount}`);
  return { exe, initializationOrder, modulesAtStart, reloaded, procAddress, iatSlot: slot, iatValue, forwarded, freed, modulesAtEnd };
}

/** Touches `address` as the guest's stack probe does (a write), returning the exception it raised, if any. */
const probe = (mmu: Mmu, address: number): GuestException | null => guest(() => mmu.write32(address, 0)).exception;

/** Step 4: the main thread's stack grows through its guard page; a small stack runs into its end. */
function stackStep(kernel: Kernel, process: Process, lines: string[]): HleResult['stack'] {
  const thread = process.createThread({ stackSize: HLE_STACK_COMMIT });
  const { mmu } = kernel.runThread(0, thread);
  const limitBefore = thread.stackLimit;
  lines.push(
    `thread ${thread.id}: CreateThread(dwStackSize ${hex(HLE_STACK_COMMIT)}) on CPU 0: reserved ${kib(thread.stackBase - thread.deallocationStack)} (the EXE's SizeOfStackReserve) at ${hex(thread.deallocationStack)},`,
  );
  lines.push(
    `  StackBase ${hex(thread.stackBase)}, StackLimit ${hex(limitBefore)} (${kib(thread.stackBase - limitBefore)} committed), guard page ${hex(limitBefore - PAGE)}`,
  );
  // Its first call has a 12 KiB frame: __chkstk probes each page below StackLimit, top down.
  let probeExceptions = 0;
  for (let address = limitBefore - 4; address >= limitBefore - HLE_STACK_FRAME; address -= PAGE) if (probe(mmu, address) !== null) probeExceptions++;
  const limitAfter = thread.stackLimit;
  const guardProtect = process.virtualQuery(limitAfter - PAGE).protect;
  lines.push(
    `  a ${kib(HLE_STACK_FRAME)} frame probed below StackLimit: ${probeExceptions} exceptions; StackLimit ${hex(limitBefore)} -> ${hex(limitAfter)} ` +
      `(${kib(thread.stackBase - limitAfter)} committed), guard page now ${hex(limitAfter - PAGE)} (${protectionName(guardProtect)})`,
  );

  // A small stack (64 KiB reserved) on the same CPU: it grows page by page, then overflows once at its end.
  const small = process.createThread({ stackSize: HLE_SMALL_STACK, flags: STACK_SIZE_PARAM_IS_A_RESERVATION });
  kernel.runThread(0, small);
  const smallLimitBefore = small.stackLimit;
  let silentPages = 0;
  let address = smallLimitBefore - 4;
  let overflow = probe(mmu, address);
  while (overflow === null) {
    silentPages++;
    address -= PAGE;
    overflow = probe(mmu, address);
  }
  // The handler returns EXCEPTION_CONTINUE_EXECUTION: the push is re-executed.
  const retrySucceeded = probe(mmu, address) === null;
  const smallLimitAfter = small.stackLimit;
  const lastPage = expectException('touch of the stack\'s last page', () => mmu.write32(small.deallocationStack + PAGE - 4, 0));
  small.exit();
  const stateAfterExit = process.virtualQuery(small.deallocationStack).state;
  kernel.runThread(0, thread);
  lines.push(
    `thread ${small.id}: CreateThread(${kib(HLE_SMALL_STACK)}, STACK_SIZE_PARAM_IS_A_RESERVATION): StackBase ${hex(small.stackBase)}, StackLimit ${hex(smallLimitBefore)}; ` +
      `grew ${silentPages} pages silently, then`,
  );
  lines.push(describe('push past the stack\'s guard', overflow));
  lines.push(`  re-executed: ${retrySucceeded ? 'succeeds' : 'fails'}; StackLimit ${hex(smallLimitAfter)}, one page above the never-committed last page:`);
  lines.push(describe('push into the last page', lastPage));
  lines.push(`  thread ${small.id} exits: its stack at ${hex(small.deallocationStack)} is ${STATE_NAMES.get(stateAfterExit)}; CPU 0 runs thread ${thread.id} again`);
  return {
    threadId: thread.id,
    deallocationStack: thread.deallocationStack,
    stackBase: thread.stackBase,
    limitBefore,
    limitAfter,
    probedBytes: HLE_STACK_FRAME,
    probeExceptions,
    guardProtect,
    small: {
      threadId: small.id,
      deallocationStack: small.deallocationStack,
      stackBase: small.stackBase,
      reserve: small.stackBase - small.deallocationStack,
      limitBefore: smallLimitBefore,
      silentPages,
      overflow,
      retrySucceeded,
      limitAfter: smallLimitAfter,
      lastPage,
      stateAfterExit,
    },
  };
}

/** Step 8: process A creates a named section, process B opens it by name; handles decide what B may map. */
function sharedSectionStep(kernel: Kernel, a: Process, mmuA: Mmu, lines: string[]): HleResult['shared'] {
  const b = kernel.createProcess();
  const mmuB = kernel.run(1, b).mmu;
  const created = a.createFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, HLE_SECTION_SIZE, HLE_SECTION_NAME);
  const viewA = a.mapViewOfSection(created.handle, { access: FILE_MAP_WRITE });
  const written = `hello from process ${a.pid}`;
  writeString(mmuA, viewA, written);
  lines.push(
    `shared section: process ${a.pid} CreateFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, ${hex(HLE_SECTION_SIZE)}, "${HLE_SECTION_NAME}") -> handle ${created.handle}` +
      `${created.alreadyExists ? ' (ERROR_ALREADY_EXISTS)' : ''}`,
  );
  lines.push(`  process ${a.pid} maps it FILE_MAP_WRITE at ${hex(viewA)} and writes "${written}"`);
  const handleB = b.openFileMapping(FILE_MAP_READ, false, HLE_SECTION_NAME);
  const viewB = b.mapViewOfSection(handleB, { access: FILE_MAP_READ });
  const readByB = readString(mmuB, viewB, written.length);
  lines.push(`  process ${b.pid} (CPU 1) OpenFileMapping(FILE_MAP_READ) -> handle ${handleB}, view at ${hex(viewB)}, reads "${readByB}"`);
  const writeDenied = expectFailure('a write view through a FILE_MAP_READ handle', () => b.mapViewOfSection(handleB, { access: FILE_MAP_WRITE }));
  lines.push(`  MapViewOfFile(FILE_MAP_WRITE) through that handle: ${failure(writeDenied)}`);
  const second = b.createFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, HLE_SECTION_SIZE, HLE_SECTION_NAME);
  const replyView = b.mapViewOfSection(second.handle, { access: FILE_MAP_WRITE });
  const reply = `hello back from process ${b.pid}`;
  writeString(mmuB, replyView + PAGE, reply);
  const replyReadByA = readString(mmuA, viewA + PAGE, reply.length);
  lines.push(`  process ${b.pid} CreateFileMapping of the same name -> handle ${second.handle}${second.alreadyExists ? ', ERROR_ALREADY_EXISTS' : ''}: this handle may map for write`);
  lines.push(`  its FILE_MAP_WRITE view writes "${reply}" at offset ${hex(PAGE)}; process ${a.pid} reads "${replyReadByA}"`);
  b.unmapViewOfSection(replyView);
  a.closeHandle(created.handle);
  b.closeHandle(handleB);
  b.closeHandle(second.handle);
  const openAfterClose = expectFailure('OpenFileMapping after the last close', () => b.openFileMapping(FILE_MAP_READ, false, HLE_SECTION_NAME));
  const afterClose = 'still shared';
  writeString(mmuA, viewA + 0x100, afterClose);
  const afterCloseReadByB = readString(mmuB, viewB + 0x100, afterClose.length);
  const section = a.regions.find(viewA)!.view!.section;
  const sectionAfterClose = {
    handleCount: section.handleCount,
    name: section.name,
    viewCount: section.viewCount,
    live: kernel.sections().includes(section),
    namedInKernel: kernel.objectNames.lookup(HLE_SECTION_NAME) !== undefined,
  };
  lines.push(`  every handle closed: the name is gone, OpenFileMapping fails with ${failure(openAfterClose)} (B72)`);
  lines.push(
    `  the views stay: process ${a.pid} writes "${afterClose}", process ${b.pid} reads "${afterCloseReadByB}"; ` +
      `the section has ${section.handleCount} handles and ${section.viewCount} views, ${sectionAfterClose.live ? 'alive' : 'gone'} until the last is unmapped`,
  );
  return {
    name: HLE_SECTION_NAME,
    size: HLE_SECTION_SIZE,
    otherPid: b.pid,
    handleA: created.handle,
    createdNew: !created.alreadyExists,
    viewA,
    written,
    readByB,
    handleB,
    viewB,
    writeDenied,
    secondHandleB: second.handle,
    alreadyExists: second.alreadyExists,
    reply,
    replyReadByA,
    openAfterClose,
    afterClose,
    afterCloseReadByB,
    sectionAfterClose,
  };
}

function remoteProcessStep(kernel: Kernel, a: Process, otherPid: number, lines: string[]): HleResult['remote'] {
  const b = kernel.processes().find((p) => p.pid === otherPid)!;
  const handle = a.openProcess(PROCESS_VM_OPERATION | PROCESS_VM_READ | PROCESS_VM_WRITE | PROCESS_QUERY_LIMITED_INFORMATION, false, otherPid);
  const base = a.virtualAllocEx(handle, 0, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
  const written = `written by process ${a.pid}`;
  a.writeProcessMemory(handle, base, new TextEncoder().encode(written));
  const readByOwner = readString(kernel.run(1, b).mmu, base, written.length);
  const readOnly = a.openProcess(PROCESS_VM_READ, false, otherPid);
  const readOnlyWrite = expectFailure('WriteProcessMemory through a PROCESS_VM_READ handle', () => a.writeProcessMemory(readOnly, base, new Uint8Array(1)));
  lines.push(`remote process: process ${a.pid} OpenProcess(VM_OPERATION | VM_READ | VM_WRITE | QUERY_LIMITED_INFORMATION, pid ${otherPid}) -> handle ${handle}`);
  lines.push(`  VirtualAllocEx -> ${hex(base)} in process ${otherPid}; WriteProcessMemory "${written}"; process ${otherPid} reads "${readByOwner}"`);
  lines.push(`  WriteProcessMemory through a PROCESS_VM_READ handle: ${failure(readOnlyWrite)}`);
  b.exit();
  const afterExit = expectFailure('ReadProcessMemory after the process exited', () => a.readProcessMemory(handle, base, 4));
  const pidAfterExit = a.getProcessId(handle);
  lines.push(`  process ${otherPid} exits; the handle stays open: ReadProcessMemory ${failure(afterExit)}, GetProcessId still ${pidAfterExit}`);
  a.closeHandle(handle);
  a.closeHandle(readOnly);
  return { handle, base, written, readByOwner, readOnlyWrite, afterExit, pidAfterExit };
}

/** Runs the demo on `dll` (a 32-bit DLL with a code section and no imports) and returns what it found. */
export function runHleDemo(dll: Uint8Array = defaultHleDll(), resolver: ModuleResolver = fixtureResolver()): HleResult {
  const lines: string[] = [];
  // 1. Boot: two CPUs with PAE page tables (NX available, as 32-bit Windows with DEP).
  const kernel = new Kernel({ format: 'x86-pae', memorySize: 16 << 20, cpus: 2 });
  const process = kernel.createProcess();
  const { mmu } = kernel.run(0, process);
  lines.push(`boot: x86-pae page tables, 2 CPUs, process ${process.pid} (ASID ${process.asid}) on CPU 0, user space up to ${hex(kernel.userTop)}`);

  // 2. The EXE and its DLLs, as CreateProcess and the loader prepare them.
  const loader = loaderStep(process, mmu, resolver, lines);

  // 3. The heap: reserve 1 MiB, commit the first 64 KiB (HeapCreate's VirtualAlloc calls).
  const heapReserved = 0x10_0000;
  const heapCommitted = 0x1_0000;
  const heap = process.virtualAlloc(0, heapReserved, MEM_RESERVE, PAGE_READWRITE);
  process.virtualAlloc(heap, heapCommitted, MEM_COMMIT, PAGE_READWRITE);
  const text = 'hello from the guest heap';
  writeString(mmu, heap, text);
  const readBack = readString(mmu, heap, text.length);
  const readOnlyPage = heap + 3 * PAGE;
  mmu.write32(readOnlyPage, 0x1234_5678);
  const oldProtect = process.virtualProtect(readOnlyPage, PAGE, PAGE_READONLY);
  const guardPage = heap + 4 * PAGE;
  process.virtualProtect(guardPage, PAGE, PAGE_READWRITE | PAGE_GUARD);
  const guardProtectBefore = process.virtualQuery(guardPage).protect;
  lines.push(`heap: reserved ${kib(heapReserved)} at ${hex(heap)}, committed ${kib(heapCommitted)}; wrote and read back "${readBack}"`);
  lines.push(`      VirtualProtect(${hex(readOnlyPage)}, PAGE_READONLY) -> old ${protectionName(oldProtect)}; ${hex(guardPage)} made ${protectionName(guardProtectBefore)}`);

  // 4. Threads: the main thread's stack grows through its guard page; a small stack overflows.
  const stack = stackStep(kernel, process, lines);

  // 5. A DLL: LoadLibrary, then read its code through the process.
  const loaded = process.loadLibrary('few32.dll', dll);
  const pe = loaded.module.image;
  const code = pe.sections.find((s) => (s.characteristics & 0x2000_0000) !== 0) ?? pe.sections[0];
  const textRva = code.virtualAddress;
  const textBytes = new Uint8Array(32);
  for (let i = 0; i < textBytes.length; i++) textBytes[i] = mmu.fetch8(loaded.base + textRva + i);
  const textBytesReadMemory = process.readMemory(loaded.base + textRva, textBytes.length);
  const mz = mmu.read16(loaded.base);
  const headerProtect = process.virtualQuery(loaded.base).protect;
  const textProtect = process.virtualQuery(loaded.base + textRva).protect;
  lines.push(
    `dll: LoadLibrary("few32.dll"): ${pe.is64 ? 'PE32+' : 'PE32'} image of ${kib(pe.mappedSize)} at ${hex(loaded.base)} (${statusName(loaded.module.status)}, load count ${loaded.module.loadCount}), ` +
      `header ${protectionName(headerProtect)}, ${code.name} ${protectionName(textProtect)}`,
  );
  lines.push(`     read16(base) = ${hex(mz)} ("MZ"); fetched at RVA ${hex(textRva)}: ${[...textBytes.subarray(0, 16)].map((b) => b.toString(16).padStart(2, '0')).join(' ')} ...`);

  // 6. Guest accesses that fault, each turned into the guest's EXCEPTION_RECORD.
  const readOnlyWrite = expectException('write to a read-only heap page', () => mmu.write32(readOnlyPage, 0));
  const dllCodeWrite = expectException('write to the DLL code', () => mmu.write8(loaded.base + textRva + 0x10, 0x90));
  const uncommittedRead = expectException('read of reserved memory', () => mmu.read32(heap + heapCommitted));
  const heapExecute = expectException('execute heap data', () => mmu.fetch8(heap));
  // A guard page outside any thread's stack: STATUS_GUARD_PAGE_VIOLATION once, then a plain page (B50).
  const guardHit = expectException('touch of the heap guard page', () => mmu.read32(guardPage));
  const guardProtectAfter = process.virtualQuery(guardPage).protect;
  const guardSecondTouch = guest(() => mmu.read32(guardPage)).exception;
  lines.push('exceptions (what the guest\'s SEH handler receives):');
  lines.push(describe('write to a PAGE_READONLY heap page', readOnlyWrite));
  lines.push(describe(`write to the DLL's ${code.name}`, dllCodeWrite));
  lines.push(describe('read of reserved, uncommitted heap', uncommittedRead));
  lines.push(describe('execute heap data (DEP)', heapExecute));
  lines.push(describe('read of the heap guard page', guardHit));
  lines.push(`  ${hex(guardPage)} is now ${protectionName(guardProtectAfter)}; touching it again raises ${guardSecondTouch === null ? 'nothing (one-shot)' : guardSecondTouch.name}`);

  // 7. A hook: make the code writable (an image asks for WRITECOPY), patch an int3, get a private copy of that page.
  process.virtualProtect(loaded.base + textRva, 1, PAGE_EXECUTE_READWRITE);
  mmu.write8(loaded.base + textRva, 0xcc);
  const hookedByte = mmu.fetch8(loaded.base + textRva);
  const hookedProtect = process.virtualQuery(loaded.base + textRva).protect;
  const image = imageReport(process, loaded.base);
  lines.push(`hook: int3 patched at ${hex(loaded.base + textRva)} -> page ${protectionName(hookedProtect)}, image has ${image.writeCopies} private copy, ${image.residentPages} resident pages`);

  // 8. A named section shared with a second process.
  const shared = sharedSectionStep(kernel, process, mmu, lines);

  // 9. The second process seen through a process handle, as a debugger sees it; then it exits.
  const remote = remoteProcessStep(kernel, process, shared.otherPid, lines);

  // 10. The address space, as VirtualQuery walks it, and the process report.
  const regions = queryRegions(process);
  // What each allocation is, as VMMap's Details column names it.
  const details = new Map<number, string>([
    [heap, 'heap'],
    [stack.deallocationStack, `thread ${stack.threadId} stack`],
    [shared.viewA, `view of "${shared.name}"`],
    ...process.modules().map((m): [number, string] => [m.base, m.name]),
  ]);
  lines.push('VirtualQuery walk:');
  lines.push('  BaseAddress  RegionSize  State    Type     Protect                     Details');
  for (const r of regions) {
    const protect = r.state === MEM_COMMIT ? protectionName(r.protect) : '';
    const detail = r.baseAddress === r.allocationBase ? (details.get(r.baseAddress) ?? '') : '';
    lines.push(
      `  ${hex(r.baseAddress).padEnd(11)}  ${hex(r.regionSize).padStart(10)}  ${STATE_NAMES.get(r.state)!.padEnd(7)}  ${TYPE_NAMES.get(r.type)!.padEnd(7)}  ${protect.padEnd(26)}  ${detail}`.trimEnd(),
    );
  }
  const report = processReport(process);
  lines.push(...formatProcessReport(report).split('\n'));
  const problems = verify(kernel);
  lines.push(`verify(kernel): ${problems.length === 0 ? 'no problems' : problems.map((p) => p.kind).join(', ')}`);

  return {
    remote,
    pid: process.pid,
    loader,
    heap: { base: heap, reservedBytes: heapReserved, committedBytes: heapCommitted, readBack, readOnlyPage, oldProtect, guardPage, guardProtectBefore, guardProtectAfter, guardSecondTouch },
    stack,
    dll: {
      base: loaded.base,
      status: loaded.module.status,
      statusName: statusName(loaded.module.status),
      loadCount: loaded.module.loadCount,
      mappedSize: pe.mappedSize,
      textRva,
      textBytes,
      textBytesReadMemory,
      mz,
      headerProtect,
      textProtect,
      hookedByte,
      hookedProtect,
      image,
    },
    exceptions: { readOnlyWrite, dllCodeWrite, uncommittedRead, heapExecute, guardPage: guardHit },
    shared,
    regions,
    report,
    problems,
    lines,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of runHleDemo().lines) console.log(line);
}
