import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ERROR_ACCESS_DENIED,
  ERROR_FILE_NOT_FOUND,
  MEM_COMMIT,
  MEM_FREE,
  MEM_IMAGE,
  MEM_MAPPED,
  MEM_PRIVATE,
  MEM_RESERVE,
  PAGE_EXECUTE_READ,
  PAGE_EXECUTE_READWRITE,
  PAGE_GUARD,
  PAGE_READONLY,
  PAGE_READWRITE,
  STATUS_ACCESS_DENIED,
  STATUS_PROCESS_IS_TERMINATING,
  STATUS_ACCESS_VIOLATION,
  STATUS_GUARD_PAGE_VIOLATION,
  STATUS_OBJECT_NAME_NOT_FOUND,
  STATUS_STACK_OVERFLOW,
  STATUS_SUCCESS,
} from '../../src/index.js';
import { HLE_SECTION_NAME, HLE_SMALL_STACK, HLE_STACK_FRAME, type HleResult } from '../../examples/hle/run.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const PAGE = 0x1000;
const dll = new Uint8Array(readFileSync(`${root}fixtures/pe/few32.dll`));
/** What pefile (an independent parser) reported for the fixtures. */
const pefile = JSON.parse(readFileSync(`${root}fixtures/pe/expected.json`, 'utf8'));
const expected = pefile.fixtures['few32.dll'];
const header = (name: string): { ImageBase: number; AddressOfEntryPoint: number } => pefile.fixtures[name].header;
/** app32.exe as pefile read it: imports, TLS directory, and the {dll, rva} each IAT slot must hold once bound. */
const app = pefile.loader['app32.exe'] as {
  imports: { dll: string; thunks: { iatRva: number; name: string | null }[] }[];
  tls: { callbacks: number[] };
  bindings: { dll: string; rva: number }[][];
};
/** SizeOfStackReserve of app32.exe, read from its optional header (PE32: offset 72). */
const exe = readFileSync(`${root}fixtures/pe/app32.exe`);
const appStackReserve = exe.readUInt32LE(exe.readUInt32LE(0x3c) + 24 + 72);

describe('HLE example: a user-mode emulator on the kernel layer', () => {
  let result: HleResult;
  let printed: unknown[][];

  beforeAll(async () => {
    // Importing the module must not run the demo's main (only `npm run demo:hle` prints).
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const module = await import('../../examples/hle/run.js');
    printed = log.mock.calls.slice();
    log.mockRestore();
    result = module.runHleDemo(dll);
  });
  afterAll(() => vi.restoreAllMocks());

  it('importing the module prints nothing', () => {
    expect(printed).toEqual([]);
  });

  it('sets up a heap: reserved, partly committed, written and read back through the MMU', () => {
    const { heap } = result;
    expect(heap.readBack).toBe('hello from the guest heap');
    expect(heap.oldProtect).toBe(PAGE_READWRITE);
    const committed = result.regions.filter((r) => r.allocationBase === heap.base && r.state === MEM_COMMIT);
    expect(committed.reduce((n, r) => n + r.regionSize, 0)).toBe(heap.committedBytes);
    expect(result.regions.find((r) => r.baseAddress === heap.readOnlyPage)).toMatchObject({ regionSize: PAGE, protect: PAGE_READONLY, type: MEM_PRIVATE });
    expect(result.regions.find((r) => r.baseAddress === heap.base + heap.committedBytes)).toMatchObject({
      state: MEM_RESERVE,
      regionSize: heap.reservedBytes - heap.committedBytes,
    });
  });

  it('maps the DLL at its preferred base; the bytes fetched through the process are the file\'s bytes at that RVA', () => {
    const { dll: d } = result;
    expect(d.base).toBe(expected.header.ImageBase);
    expect(d.status).toBe(STATUS_SUCCESS);
    expect(d.loadCount).toBe(1);
    expect(d.mappedSize).toBe(expected.mappedSize);
    expect(d.mz).toBe(0x5a4d);
    const text = expected.sections.find((s: { Name: string }) => s.Name === '.text');
    expect(d.textRva).toBe(text.VirtualAddress);
    const fileOffset = text.PointerToRawData + (d.textRva - text.VirtualAddress);
    const fileBytes = dll.subarray(fileOffset, fileOffset + d.textBytes.length);
    expect([...d.textBytes]).toEqual([...fileBytes]);
    expect([...d.textBytesReadMemory]).toEqual([...fileBytes]);
    expect(d.headerProtect).toBe(PAGE_READONLY);
    expect(d.textProtect).toBe(PAGE_EXECUTE_READ);
  });

  it('reports access violations with code 0xC0000005 and ExceptionInformation [read/write/execute, address]', () => {
    const { exceptions: e, heap, dll: d } = result;
    for (const x of [e.readOnlyWrite, e.dllCodeWrite, e.uncommittedRead, e.heapExecute]) {
      expect(x.code).toBe(0xc0000005);
      expect(x.code).toBe(STATUS_ACCESS_VIOLATION);
      expect(x.name).toBe('STATUS_ACCESS_VIOLATION');
      expect(x.information).toEqual([x.accessType, x.address]);
    }
    expect([e.readOnlyWrite.accessType, e.readOnlyWrite.address]).toEqual([1, heap.readOnlyPage]);
    expect([e.dllCodeWrite.accessType, e.dllCodeWrite.address]).toEqual([1, d.base + d.textRva + 0x10]);
    expect([e.uncommittedRead.accessType, e.uncommittedRead.address]).toEqual([0, heap.base + heap.committedBytes]);
    expect([e.heapExecute.accessType, e.heapExecute.address]).toEqual([8, heap.base]);
  });

  it('a guard page outside any stack raises STATUS_GUARD_PAGE_VIOLATION once, then is plain READWRITE (B50)', () => {
    const { heap, exceptions } = result;
    expect(exceptions.guardPage.code).toBe(STATUS_GUARD_PAGE_VIOLATION);
    expect(exceptions.guardPage.code).toBe(0x80000001);
    expect(exceptions.guardPage.information).toEqual([0, heap.guardPage]);
    expect(heap.guardProtectBefore).toBe(PAGE_READWRITE | PAGE_GUARD);
    expect(heap.guardProtectAfter).toBe(PAGE_READWRITE);
    expect(heap.guardSecondTouch).toBeNull();
  });

  it('starts app32.exe: its DLLs loaded first, its IAT bound to the addresses pefile resolves, TLS slot 0 and its callbacks', () => {
    const { loader: l } = result;
    const base = (name: string) => l.modulesAtStart.find((m) => m.name === name)!.base;
    expect(l.exe.base).toBe(header('app32.exe').ImageBase);
    expect(l.exe.entryPoint).toBe(l.exe.base + header('app32.exe').AddressOfEntryPoint);
    expect(l.exe.tlsIndex).toBe(0);
    expect(l.exe.tlsCallbacks).toEqual(app.tls.callbacks); // at its preferred base: not relocated
    expect(l.initializationOrder.map((m) => [m.name, m.base, m.entryPoint, m.tlsCallbacks])).toEqual(
      ['exporter32.dll', 'target32.dll'].map((name) => [name, header(name).ImageBase, header(name).ImageBase + header(name).AddressOfEntryPoint, []]),
    );
    expect(l.modulesAtStart.map((m) => [m.name, m.loadCount])).toEqual([
      ['app32.exe', -1],
      ['exporter32.dll', 1],
      ['target32.dll', 1],
    ]);
    // The IAT slot of exporter32.dll!alpha: where pefile puts it, holding what pefile binds it to and GetProcAddress returns.
    const d = app.imports.findIndex((x) => x.dll === 'exporter32.dll');
    const t = app.imports[d].thunks.findIndex((x) => x.name === 'alpha');
    expect(l.iatSlot).toBe(l.exe.base + app.imports[d].thunks[t].iatRva);
    const binding = app.bindings[d][t];
    expect(l.iatValue).toBe(base(binding.dll) + binding.rva);
    expect(l.procAddress).toBe(l.iatValue);
    // fwd_name is bound through the forwarder to target32.dll.
    const f = app.imports[d].thunks.findIndex((x) => x.name === 'fwd_name');
    expect(app.bindings[d][f].dll).toBe('target32.dll');
    expect(l.forwarded.iatValue).toBe(base('target32.dll') + app.bindings[d][f].rva);
    expect(l.forwarded.procAddress).toBe(l.forwarded.iatValue);
  });

  it('LoadLibrary of a DLL the EXE imports returns the same base with its count raised; FreeLibrary lowers it and unloads nothing (B96)', () => {
    const { loader: l } = result;
    expect(l.reloaded.base).toBe(header('exporter32.dll').ImageBase);
    expect(l.reloaded.base).toBe(l.reloaded.firstBase);
    expect(l.reloaded.loadCount).toBe(2);
    expect(l.reloaded.initializationOrder).toEqual([]);
    expect(l.freed).toEqual({ unloaded: [], loadCount: 1 });
    expect(l.modulesAtEnd).toEqual(l.modulesAtStart);
  });

  it("the main thread's stack grows through its guard page with no exception, by exactly the probed pages (B59)", () => {
    const { stack } = result;
    expect(stack.stackBase - stack.deallocationStack).toBe(appStackReserve); // the EXE's SizeOfStackReserve
    expect(stack.stackBase - stack.limitBefore).toBe(0x4000); // dwStackSize 0x3f00, rounded up to a page
    expect(stack.probeExceptions).toBe(0);
    expect(stack.probedBytes).toBe(HLE_STACK_FRAME);
    expect(stack.limitAfter).toBe(stack.limitBefore - HLE_STACK_FRAME);
    expect(stack.stackBase - stack.limitAfter).toBe(0x4000 + 0x3000);
    expect(stack.guardProtect).toBe(PAGE_READWRITE | PAGE_GUARD);
    // VirtualQuery agrees: the guard page, then the committed stack up to StackBase.
    expect(result.regions.find((r) => r.baseAddress === stack.limitAfter - PAGE)).toMatchObject({ regionSize: PAGE, protect: PAGE_READWRITE | PAGE_GUARD, allocationBase: stack.deallocationStack });
    expect(result.regions.find((r) => r.baseAddress === stack.limitAfter)).toMatchObject({ regionSize: stack.stackBase - stack.limitAfter, protect: PAGE_READWRITE, state: MEM_COMMIT });
  });

  it('a 64 KiB stack grows page by page, raises STATUS_STACK_OVERFLOW once at its end, and its last page is an access violation', () => {
    const { small } = result.stack;
    expect(small.reserve).toBe(HLE_SMALL_STACK);
    expect(small.threadId).toBe(result.stack.threadId + 1);
    expect(small.stackBase - small.limitBefore).toBe(PAGE); // the EXE's SizeOfStackCommit
    // 16 pages: the committed top page, 12 grown through the guard, the page that overflows, the page above
    // the last one (committed for the handler), and the last page, never committed.
    expect(small.silentPages).toBe(HLE_SMALL_STACK / PAGE - 4);
    expect(small.overflow.code).toBe(STATUS_STACK_OVERFLOW);
    expect(small.overflow.code).toBe(0xc00000fd);
    expect(small.overflow.information).toEqual([1, small.deallocationStack + 3 * PAGE - 4]);
    expect(small.retrySucceeded).toBe(true);
    expect(small.limitAfter).toBe(small.deallocationStack + PAGE);
    expect(small.lastPage.code).toBe(STATUS_ACCESS_VIOLATION);
    expect(small.lastPage.information).toEqual([1, small.deallocationStack + PAGE - 4]);
    expect(small.stateAfterExit).toBe(MEM_FREE);
  });

  it('two processes share a named section: B reads what A wrote, and a FILE_MAP_READ handle cannot map for write (B63, B65)', () => {
    const { shared } = result;
    expect(shared.otherPid).not.toBe(result.pid);
    expect(shared.name).toBe(HLE_SECTION_NAME);
    expect([shared.handleA, shared.handleB, shared.secondHandleB]).toEqual([4, 4, 8]); // each process's first handles
    expect(shared.createdNew).toBe(true);
    expect(shared.readByB).toBe(shared.written);
    expect(shared.written).toBe(`hello from process ${result.pid}`);
    expect(shared.writeDenied).toMatchObject({ win32Error: ERROR_ACCESS_DENIED, ntStatus: STATUS_ACCESS_DENIED });
    expect(shared.alreadyExists).toBe(true);
    expect(shared.replyReadByA).toBe(shared.reply);
  });

  it('closing every handle takes the name while the views stay mapped and shared (B72)', () => {
    const { shared } = result;
    expect(shared.openAfterClose).toMatchObject({ win32Error: ERROR_FILE_NOT_FOUND, ntStatus: STATUS_OBJECT_NAME_NOT_FOUND });
    expect(shared.afterCloseReadByB).toBe(shared.afterClose);
    expect(shared.sectionAfterClose).toEqual({ handleCount: 0, name: null, viewCount: 2, live: true, namedInKernel: false });
    expect(result.regions.find((r) => r.baseAddress === shared.viewA)).toMatchObject({ type: MEM_MAPPED, regionSize: shared.size, protect: PAGE_READWRITE });
  });

  it('a debugger-style process handle: VirtualAllocEx and WriteProcessMemory into the other process, a read-only handle refused, an exited process through a handle still open (B22)', () => {
    const { remote } = result;
    expect(remote.handle).toBeGreaterThan(0);
    expect(remote.readByOwner).toBe(remote.written);
    expect(remote.written).toBe(`written by process ${result.pid}`);
    expect(remote.readOnlyWrite).toMatchObject({ win32Error: ERROR_ACCESS_DENIED, ntStatus: STATUS_ACCESS_DENIED });
    expect(remote.afterExit).toMatchObject({ win32Error: ERROR_ACCESS_DENIED, ntStatus: STATUS_PROCESS_IS_TERMINATING });
    expect(remote.pidAfterExit).toBe(result.shared.otherPid);
  });

  it('a hook on the DLL code gets a private copy-on-write page', () => {
    const { dll: d } = result;
    expect(d.hookedByte).toBe(0xcc);
    expect(d.hookedProtect).toBe(PAGE_EXECUTE_READWRITE);
    expect(d.image.writeCopies).toBe(1);
    expect(d.image.relocationCopies).toBe(0);
    // imageReport counts a page as private when no other process page maps its frame: the header page
    // (the section's frame, mapped here only) and the hooked copy. processReport calls only the copy private.
    expect(d.image.privatePages).toBe(2);
    expect(result.report.regions.find((r) => r.base === d.base)!.privateBytes).toBe(PAGE);
  });

  it('the VirtualQuery walk tiles the address space and the report lists heap, stack, view and images', () => {
    let next = 0;
    for (const r of result.regions) {
      expect(r.baseAddress).toBe(next);
      next += r.regionSize;
    }
    expect(result.regions[0].state).toBe(MEM_FREE);
    expect(result.regions.at(-1)!.type).toBe(MEM_IMAGE);
    const base = (name: string) => result.loader.modulesAtEnd.find((m) => m.name === name)!.base;
    expect(result.report.regions.map((r) => [r.base, r.type])).toEqual([
      [result.heap.base, MEM_PRIVATE],
      [result.stack.deallocationStack, MEM_PRIVATE],
      [result.shared.viewA, MEM_MAPPED],
      [base('app32.exe'), MEM_IMAGE],
      [result.dll.base, MEM_IMAGE],
      [base('target32.dll'), MEM_IMAGE],
      [base('exporter32.dll'), MEM_IMAGE],
    ]);
    // Heap: the written, read-only and guard pages; stack: the three probed pages; view: A's page and B's reply page;
    // app32.exe: its TLS index page and IAT page (the loader's writes); few32.dll: header and the hooked page; the DLLs: untouched.
    expect(result.report.regions.map((r) => r.residentBytes / PAGE)).toEqual([3, 3, 2, 2, 2, 0, 0]);
    expect(result.lines).toContain('Process 1 (ASID 1)');
    expect(result.problems).toEqual([]);
  });

  it('npm run demo:hle prints the same lines', () => {
    const out = execFileSync(`${root}node_modules/.bin/tsx`, ['examples/hle/run.ts'], { cwd: root, encoding: 'utf8' });
    expect(out).toBe(result.lines.join('\n') + '\n');
  });
});
