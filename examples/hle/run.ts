/**
 * A user-mode (high-level) emulator's view of mmukit: what Wine-, Qiling- or
 * Unicorn-style emulators do with the kernel layer. The emulator has no guest
 * kernel; it implements the guest's Windows API calls itself and lets mmukit
 * stand in for the memory manager:
 *
 * 1. boot a Kernel (PAE page tables with NX, as 32-bit Windows with DEP) and
 *    create the guest process;
 * 2. set up a heap and a thread stack with a guard page with
 *    VirtualAlloc / VirtualProtect / VirtualQuery;
 * 3. map a DLL (LoadLibrary's mapping step) and read its bytes through the
 *    process, as the CPU would fetch them;
 * 4. run guest accesses that fault, catch {@link WindowsExceptionError} and
 *    turn it into the EXCEPTION_RECORD the guest's SEH handler would get;
 * 5. grow the stack through its guard page, the one-shot way Windows does;
 * 6. print the VirtualQuery map and the process report.
 *
 * Run: npm run demo:hle
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  EXCEPTION_EXECUTE_FAULT,
  EXCEPTION_WRITE_FAULT,
  FRAME_SIZE,
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
  STATUS_GUARD_PAGE_VIOLATION,
  WindowsExceptionError,
  formatProcessReport,
  imageReport,
  processReport,
  protectionName,
  statusName,
  type ImageReport,
  type MemoryBasicInformation,
  type Mmu,
  type Process,
  type ProcessReport,
} from '../../src/index.js';

const PAGE = FRAME_SIZE;

/** The DLL the demo maps: a small PE32 DLL (fixtures/pe/few32.dll). */
export function defaultHleDll(): Uint8Array {
  return new Uint8Array(readFileSync(fileURLToPath(new URL('../../fixtures/pe/few32.dll', import.meta.url))));
}

/** An exception as the guest's handler sees it: the EXCEPTION_RECORD fields an emulator fills in. */
export interface GuestException {
  /** ExceptionCode, unsigned: 0xC0000005 (access violation) or 0x80000001 (guard page). */
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

/** What one run of the demo found, for the tests and for printing. */
export interface HleResult {
  pid: number;
  heap: {
    base: number;
    reservedBytes: number;
    committedBytes: number;
    /** The string the guest wrote at the heap's base, read back through the MMU. */
    readBack: string;
    /** The heap page made PAGE_READONLY, and what VirtualProtect returned for it (the old protection). */
    readOnlyPage: number;
    oldProtect: number;
  };
  stack: {
    base: number;
    top: number;
    /** The guard page as first set up, and its protection before and after the guard fired. */
    guardPage: number;
    protectBefore: number;
    protectAfter: number;
    /** Where the emulator's dispatcher put the next guard page. */
    nextGuardPage: number;
    /** Bytes the guest pushed, and the guard-page exceptions that took. */
    pushedBytes: number;
    guardExceptions: number;
    /** A second touch of the page whose guard fired: null when it raised nothing (the guard is one-shot). */
    secondTouch: GuestException | null;
    /** The value read back at the lowest pushed address. */
    lastPushed: number;
  };
  dll: {
    base: number;
    status: number;
    statusName: string;
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
    /** The first push into the stack's guard page. */
    guardPage: GuestException;
  };
  /** The VirtualQuery walk of the address space, up to the end of the last allocation. */
  regions: MemoryBasicInformation[];
  report: ProcessReport;
  lines: string[];
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

const hex = (n: number): string => `0x${n.toString(16)}`;
const ACCESS_NAMES = new Map([[0, 'read'], [EXCEPTION_WRITE_FAULT, 'write'], [EXCEPTION_EXECUTE_FAULT, 'execute']]);

/** One line as a debugger's first-chance exception message. */
function describe(what: string, e: GuestException): string {
  return `  ${what.padEnd(34)} ${e.name} (0x${e.code.toString(16).toUpperCase()}), ${ACCESS_NAMES.get(e.accessType)} at ${hex(e.address)}, ExceptionInformation [${e.information.map(hex).join(', ')}]`;
}

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

/** Pushes 32-bit values down from `top` the way a guest's `push` does, with the dispatcher's stack growth (B59). */
function pushAll(process: Process, mmu: Mmu, stackBase: number, top: number, count: number, onGuard: (e: GuestException) => void): number {
  let sp = top;
  for (let i = 0; i < count; i++) {
    sp -= 4;
    for (;;) {
      const { exception } = guest(() => mmu.write32(sp, i));
      if (exception === null) break;
      if (exception.code !== STATUS_GUARD_PAGE_VIOLATION) throw new Error(`push at ${hex(sp)}: ${exception.name}`);
      onGuard(exception);
      // The dispatcher's stack growth: the guard just fired (and is gone); arm the next page below, then re-execute.
      const page = exception.address - (exception.address % PAGE);
      if (page - PAGE >= stackBase) process.virtualAlloc(page - PAGE, PAGE, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
    }
  }
  return sp;
}

/** Runs the demo on `dll` (a 32-bit DLL with a code section) and returns what it found. */
export function runHleDemo(dll: Uint8Array = defaultHleDll()): HleResult {
  const lines: string[] = [];
  // 1. Boot: one CPU with PAE page tables (NX available, as 32-bit Windows with DEP).
  const kernel = new Kernel({ format: 'x86-pae', memorySize: 16 << 20 });
  const process = kernel.createProcess();
  const { mmu } = kernel.run(0, process);
  lines.push(`boot: x86-pae page tables, process ${process.pid} (ASID ${process.asid}) on CPU 0, user space up to ${hex(kernel.userTop)}`);

  // 2a. The heap: reserve 1 MiB, commit the first 64 KiB (HeapCreate's VirtualAlloc calls).
  const heapReserved = 0x10_0000;
  const heapCommitted = 0x1_0000;
  const heap = process.virtualAlloc(0, heapReserved, MEM_RESERVE, PAGE_READWRITE);
  process.virtualAlloc(heap, heapCommitted, MEM_COMMIT, PAGE_READWRITE);
  const text = 'hello from the guest heap';
  for (let i = 0; i < text.length; i++) mmu.write8(heap + i, text.charCodeAt(i));
  let readBack = '';
  for (let i = 0; i < text.length; i++) readBack += String.fromCharCode(mmu.read8(heap + i));
  const readOnlyPage = heap + 3 * PAGE;
  mmu.write32(readOnlyPage, 0x1234_5678);
  const oldProtect = process.virtualProtect(readOnlyPage, PAGE, PAGE_READONLY);
  lines.push(`heap: reserved ${heapReserved >> 10} KiB at ${hex(heap)}, committed ${heapCommitted >> 10} KiB; wrote and read back "${readBack}"`);
  lines.push(`      VirtualProtect(${hex(readOnlyPage)}, PAGE_READONLY) -> old ${protectionName(oldProtect)}`);

  // 2b. A thread stack: reserve 256 KiB, commit the top page, a guard page below it (CreateThread's layout).
  const stackSize = 0x4_0000;
  const stack = process.virtualAlloc(0, stackSize, MEM_RESERVE, PAGE_READWRITE);
  const top = stack + stackSize;
  process.virtualAlloc(top - PAGE, PAGE, MEM_COMMIT, PAGE_READWRITE);
  const guardPage = top - 2 * PAGE;
  process.virtualAlloc(guardPage, PAGE, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
  const protectBefore = process.virtualQuery(guardPage).protect;
  lines.push(`stack: reserved ${stackSize >> 10} KiB at ${hex(stack)}, top ${hex(top)}; guard page ${hex(guardPage)} (${protectionName(protectBefore)})`);

  // 3. The DLL: LoadLibrary's mapping step, then read its code through the process.
  const loaded = process.loadImage(dll);
  const pe = loaded.image;
  const code = pe.sections.find((s) => (s.characteristics & 0x2000_0000) !== 0) ?? pe.sections[0];
  const textRva = code.virtualAddress;
  const textBytes = new Uint8Array(32);
  for (let i = 0; i < textBytes.length; i++) textBytes[i] = mmu.fetch8(loaded.base + textRva + i);
  const textBytesReadMemory = process.readMemory(loaded.base + textRva, textBytes.length);
  const mz = mmu.read16(loaded.base);
  const headerProtect = process.virtualQuery(loaded.base).protect;
  const textProtect = process.virtualQuery(loaded.base + textRva).protect;
  lines.push(`dll: ${pe.is64 ? 'PE32+' : 'PE32'} image of ${pe.mappedSize >> 10} KiB mapped at ${hex(loaded.base)} (${statusName(loaded.status)}), header ${protectionName(headerProtect)}, ${code.name} ${protectionName(textProtect)}`);
  lines.push(`     read16(base) = ${hex(mz)} ("MZ"); fetched at RVA ${hex(textRva)}: ${[...textBytes.subarray(0, 16)].map((b) => b.toString(16).padStart(2, '0')).join(' ')} ...`);

  // 4. Guest accesses that fault, each turned into the guest's EXCEPTION_RECORD.
  const readOnlyWrite = expectException('write to a read-only heap page', () => mmu.write32(readOnlyPage, 0));
  const dllCodeWrite = expectException('write to the DLL code', () => mmu.write8(loaded.base + textRva + 0x10, 0x90));
  const uncommittedRead = expectException('read of reserved memory', () => mmu.read32(heap + heapCommitted));
  const heapExecute = expectException('execute heap data', () => mmu.fetch8(heap));
  lines.push('exceptions (what the guest\'s SEH handler receives):');
  lines.push(describe('write to a PAGE_READONLY heap page', readOnlyWrite));
  lines.push(describe(`write to the DLL's ${code.name}`, dllCodeWrite));
  lines.push(describe('read of reserved, uncommitted heap', uncommittedRead));
  lines.push(describe('execute heap data (DEP)', heapExecute));

  // 5. Stack growth through the guard page: the first touch raises STATUS_GUARD_PAGE_VIOLATION once.
  const guardHits: GuestException[] = [];
  const pushes = 3 * PAGE / 4;
  const sp = pushAll(process, mmu, stack, top, pushes, (e) => guardHits.push(e));
  const protectAfter = process.virtualQuery(guardPage).protect;
  const secondTouch = guest(() => mmu.read32(guardPage)).exception;
  const lastPushed = mmu.read32(sp);
  const nextGuardPage = guardPage - guardHits.length * PAGE;
  lines.push(describe('push into the stack guard page', guardHits[0]));
  lines.push(
    `  pushed ${pushes * 4} bytes: ${guardHits.length} guard exceptions, each re-executed after the next guard page was armed; ` +
      `${hex(guardPage)} now ${protectionName(protectAfter)}, touching it again raises ${secondTouch === null ? 'nothing (one-shot)' : secondTouch.name}; guard now at ${hex(nextGuardPage)}`,
  );

  // A hook: make the code writable (an image asks for WRITECOPY), patch an int3, get a private copy of that page.
  process.virtualProtect(loaded.base + textRva, 1, PAGE_EXECUTE_READWRITE);
  mmu.write8(loaded.base + textRva, 0xcc);
  const hookedByte = mmu.fetch8(loaded.base + textRva);
  const hookedProtect = process.virtualQuery(loaded.base + textRva).protect;
  const image = imageReport(process, loaded.base);
  lines.push(`hook: int3 patched at ${hex(loaded.base + textRva)} -> page ${protectionName(hookedProtect)}, image has ${image.writeCopies} private copy, ${image.residentPages} resident pages`);

  // 6. The address space, as VirtualQuery walks it, and the process report.
  const regions = queryRegions(process);
  lines.push('VirtualQuery walk:');
  lines.push('  BaseAddress  RegionSize  State    Type     Protect');
  for (const r of regions) {
    lines.push(
      `  ${hex(r.baseAddress).padEnd(11)}  ${hex(r.regionSize).padStart(10)}  ${STATE_NAMES.get(r.state)!.padEnd(7)}  ${TYPE_NAMES.get(r.type)!.padEnd(7)}  ${r.state === MEM_COMMIT ? protectionName(r.protect) : ''}`.trimEnd(),
    );
  }
  const report = processReport(process);
  lines.push(...formatProcessReport(report).split('\n'));

  return {
    pid: process.pid,
    heap: { base: heap, reservedBytes: heapReserved, committedBytes: heapCommitted, readBack, readOnlyPage, oldProtect },
    stack: {
      base: stack,
      top,
      guardPage,
      protectBefore,
      protectAfter,
      nextGuardPage,
      pushedBytes: pushes * 4,
      guardExceptions: guardHits.length,
      secondTouch,
      lastPushed,
    },
    dll: {
      base: loaded.base,
      status: loaded.status,
      statusName: statusName(loaded.status),
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
    exceptions: { readOnlyWrite, dllCodeWrite, uncommittedRead, heapExecute, guardPage: guardHits[0] },
    regions,
    report,
    lines,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of runHleDemo().lines) console.log(line);
}
