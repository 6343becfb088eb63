import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  MEM_COMMIT,
  MEM_FREE,
  MEM_IMAGE,
  MEM_PRIVATE,
  MEM_RESERVE,
  PAGE_EXECUTE_READ,
  PAGE_EXECUTE_READWRITE,
  PAGE_GUARD,
  PAGE_READONLY,
  PAGE_READWRITE,
  STATUS_ACCESS_VIOLATION,
  STATUS_GUARD_PAGE_VIOLATION,
  STATUS_SUCCESS,
} from '../../src/index.js';
import type { HleResult } from '../../examples/hle/run.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const PAGE = 0x1000;
const dll = new Uint8Array(readFileSync(`${root}fixtures/pe/few32.dll`));
/** What pefile (an independent parser) reported for the fixture. */
const expected = JSON.parse(readFileSync(`${root}fixtures/pe/expected.json`, 'utf8')).fixtures['few32.dll'];

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

  it('raises STATUS_GUARD_PAGE_VIOLATION once per guard page: the retry succeeds and the page is plain READWRITE after', () => {
    const { stack, exceptions } = result;
    expect(exceptions.guardPage.code).toBe(STATUS_GUARD_PAGE_VIOLATION);
    expect(exceptions.guardPage.code).toBe(0x80000001);
    expect(exceptions.guardPage.information).toEqual([1, stack.guardPage + PAGE - 4]);
    expect(stack.protectBefore).toBe(PAGE_READWRITE | PAGE_GUARD);
    expect(stack.protectAfter).toBe(PAGE_READWRITE);
    expect(stack.secondTouch).toBeNull();
    // 12 KiB pushed from the top: the top page, the first guard page, then one re-armed guard page.
    expect(stack.pushedBytes).toBe(3 * PAGE);
    expect(stack.guardExceptions).toBe(2);
    expect(stack.nextGuardPage).toBe(stack.guardPage - 2 * PAGE);
    expect(result.regions.find((r) => r.baseAddress === stack.nextGuardPage)).toMatchObject({ protect: PAGE_READWRITE | PAGE_GUARD, regionSize: PAGE });
    expect(stack.lastPushed).toBe(stack.pushedBytes / 4 - 1);
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

  it('the VirtualQuery walk tiles the address space and the report lists heap, stack and image', () => {
    let next = 0;
    for (const r of result.regions) {
      expect(r.baseAddress).toBe(next);
      next += r.regionSize;
    }
    expect(result.regions[0].state).toBe(MEM_FREE);
    expect(result.regions.at(-1)!.type).toBe(MEM_IMAGE);
    expect(result.report.regions.map((r) => [r.base, r.type])).toEqual([
      [result.heap.base, MEM_PRIVATE],
      [result.stack.base, MEM_PRIVATE],
      [result.dll.base, MEM_IMAGE],
    ]);
    // Heap: the written page and the read-only page; stack: three pages pushed; image: header and the hooked page.
    expect(result.report.regions.map((r) => r.residentBytes / PAGE)).toEqual([2, 3, 2]);
    expect(result.report.privateBytes).toBe(6 * PAGE);
    expect(result.lines).toContain('Process 1 (ASID 1)');
  });

  it('npm run demo:hle prints the same lines', () => {
    const out = execFileSync(`${root}node_modules/.bin/tsx`, ['examples/hle/run.ts'], { cwd: root, encoding: 'utf8' });
    expect(out).toBe(result.lines.join('\n') + '\n');
  });
});
