// Read/WriteProcessMemory and NtRead/NtWriteVirtualMemory (B100–B102), as Wine's conformance test
// pins them for Windows 10 1607 and later (dlls/kernel32/tests/virtual.c, test_VirtualAllocEx).
import { describe, expect, it } from 'vitest';
import {
  ERROR_NOACCESS,
  ERROR_PARTIAL_COPY,
  MEM_COMMIT,
  MEM_RESERVE,
  PAGE_EXECUTE_READ,
  PAGE_EXECUTE_READWRITE,
  PAGE_GUARD,
  PAGE_NOACCESS,
  PAGE_READONLY,
  PAGE_READWRITE,
  PAGE_WRITECOPY,
  STATUS_GUARD_PAGE_VIOLATION,
  STATUS_PARTIAL_COPY,
  STATUS_SUCCESS,
  FILE_MAP_COPY,
} from '../../src/index.js';
import { boot, expectWin32 } from './helpers.js';

const PG = 4096;
const SIZE = 8 * PG; // the test's alloc_size is 1 << 15

function target(protect = PAGE_EXECUTE_READWRITE) {
  const { kernel, process } = boot();
  const base = process.virtualAlloc(0, SIZE, MEM_RESERVE | MEM_COMMIT, protect);
  const source = Uint8Array.from({ length: SIZE }, (_, i) => i & 0xff);
  return { kernel, process, base, source };
}

describe('B101: WriteProcessMemory and NtWriteVirtualMemory by the target pages protection', () => {
  it('B101 a read-write target: both write everything', () => {
    const { process, base, source } = target();
    process.writeMemory(base, source);
    expect(process.readMemory(base, SIZE)).toEqual(source);
    expect(process.ntWriteVirtualMemory(base, source)).toEqual({ status: STATUS_SUCCESS, bytes: SIZE });
  });

  it('B101 a read-only target: WriteProcessMemory fails with ERROR_NOACCESS writing nothing; NtWriteVirtualMemory writes 0 bytes, STATUS_PARTIAL_COPY', () => {
    const { process, base, source } = target();
    process.virtualProtect(base, SIZE, PAGE_READONLY);
    expectWin32(() => process.writeMemory(base, source), ERROR_NOACCESS);
    expect(process.ntWriteVirtualMemory(base, source)).toEqual({ status: STATUS_PARTIAL_COPY, bytes: 0 });
    expect(process.readMemory(base, SIZE).every((b) => b === 0)).toBe(true);
  });

  it('B101 an execute-read target: WriteProcessMemory makes the code writable and writes it all; NtWriteVirtualMemory writes nothing', () => {
    const { process, base, source } = target();
    process.virtualProtect(base, SIZE, PAGE_EXECUTE_READ);
    expect(process.ntWriteVirtualMemory(base, source)).toEqual({ status: STATUS_PARTIAL_COPY, bytes: 0 });
    expect(process.readMemory(base, 16).every((b) => b === 0)).toBe(true);
    process.writeMemory(base, source);
    expect(process.readMemory(base, SIZE)).toEqual(source);
    expect(process.virtualQuery(base).protect).toBe(PAGE_EXECUTE_READ); // the code is read-only again
  });

  it('B101 a writable prefix then execute-read pages: NtWriteVirtualMemory writes the prefix and reports it; WriteProcessMemory fails', () => {
    const { process, base, source } = target();
    process.virtualProtect(base + 2 * PG, SIZE - 2 * PG, PAGE_EXECUTE_READ);
    expect(process.ntWriteVirtualMemory(base, source)).toEqual({ status: STATUS_PARTIAL_COPY, bytes: 2 * PG });
    expect(process.readMemory(base, 2 * PG)).toEqual(source.subarray(0, 2 * PG));
    expect(process.readMemory(base + 2 * PG, 16).every((b) => b === 0)).toBe(true);
    expectWin32(() => process.writeMemory(base, source.map((b) => b ^ 0xff)), ERROR_PARTIAL_COPY, STATUS_PARTIAL_COPY);
  });

  it('B101 a writable prefix then read-only pages: the same partial copy', () => {
    const { process, base, source } = target();
    process.virtualProtect(base + 2 * PG, SIZE - 2 * PG, PAGE_READONLY);
    expect(process.ntWriteVirtualMemory(base + 100, source.subarray(0, 3 * PG))).toEqual({ status: STATUS_PARTIAL_COPY, bytes: 2 * PG - 100 });
    expectWin32(() => process.writeMemory(base, source), ERROR_PARTIAL_COPY);
  });

  it('B101 code that runs into read-only data: WriteProcessMemory writes nothing (ERROR_NOACCESS)', () => {
    const { process, base, source } = target();
    process.virtualProtect(base, 2 * PG, PAGE_EXECUTE_READ);
    process.virtualProtect(base + 2 * PG, SIZE - 2 * PG, PAGE_READONLY);
    expectWin32(() => process.writeMemory(base, source), ERROR_NOACCESS);
    expect(process.readMemory(base, SIZE).every((b) => b === 0)).toBe(true);
  });

  it('B101 copy-on-write view pages get private copies; the section is not written', () => {
    const { kernel, process } = boot();
    const section = kernel.createSection({ file: new Uint8Array(2 * PG).fill(7), protect: PAGE_WRITECOPY });
    const view = process.mapViewOfSection(section, { access: FILE_MAP_COPY });
    expect(process.ntWriteVirtualMemory(view, new Uint8Array([1, 2, 3]))).toEqual({ status: STATUS_SUCCESS, bytes: 3 });
    expect(Array.from(process.readMemory(view, 4))).toEqual([1, 2, 3, 7]);
    const other = kernel.createProcess();
    const otherView = other.mapViewOfSection(section, { access: FILE_MAP_COPY });
    expect(Array.from(other.readMemory(otherView, 4))).toEqual([7, 7, 7, 7]);
  });
});

describe('B100/B102: ReadProcessMemory and NtReadVirtualMemory', () => {
  it('B102 ReadProcessMemory over an inaccessible second page fails with ERROR_PARTIAL_COPY; one page reads', () => {
    const { process, base, source } = target(PAGE_READWRITE);
    process.writeMemory(base, source);
    process.virtualProtect(base + PG, PG, PAGE_NOACCESS);
    expectWin32(() => process.readMemory(base, 2 * PG), ERROR_PARTIAL_COPY, STATUS_PARTIAL_COPY);
    expect(process.readMemory(base, PG)).toEqual(source.subarray(0, PG));
  });

  it('B100 NtReadVirtualMemory reads the readable prefix and reports its length', () => {
    const { process, base, source } = target(PAGE_READWRITE);
    process.writeMemory(base, source);
    process.virtualProtect(base + 2 * PG, PG, PAGE_NOACCESS);
    const into = new Uint8Array(SIZE).fill(0xee);
    expect(process.ntReadVirtualMemory(base + 8, into)).toEqual({ status: STATUS_PARTIAL_COPY, bytes: 2 * PG - 8 });
    expect(into.subarray(0, 2 * PG - 8)).toEqual(source.subarray(8, 2 * PG));
    expect(into[2 * PG - 8]).toBe(0xee); // nothing past the prefix
    expect(process.ntReadVirtualMemory(base, into.subarray(0, PG))).toEqual({ status: STATUS_SUCCESS, bytes: PG });
  });

  it('B100 NtReadVirtualMemory writes the zeros of a page never touched over what the buffer held', () => {
    const { process, base } = target(PAGE_READWRITE);
    const into = new Uint8Array(PG + 8).fill(0xee);
    expect(process.ntReadVirtualMemory(base + PG - 8, into)).toEqual({ status: STATUS_SUCCESS, bytes: PG + 8 });
    expect(into.every((b) => b === 0)).toBe(true);
  });

  it('B52 a guard page stops both flavours and loses its guard', () => {
    const { process, base } = target(PAGE_READWRITE);
    process.virtualProtect(base + PG, PG, PAGE_READWRITE | PAGE_GUARD);
    expect(process.ntReadVirtualMemory(base, new Uint8Array(2 * PG))).toEqual({ status: STATUS_GUARD_PAGE_VIOLATION, bytes: PG });
    expect(process.virtualQuery(base + PG).protect).toBe(PAGE_READWRITE);
    expect(process.ntReadVirtualMemory(base, new Uint8Array(2 * PG))).toEqual({ status: STATUS_SUCCESS, bytes: 2 * PG });
    process.virtualProtect(base, PG, PAGE_READWRITE | PAGE_GUARD);
    expectWin32(() => process.writeMemory(base, new Uint8Array(4)), STATUS_GUARD_PAGE_VIOLATION);
    process.writeMemory(base, new Uint8Array(4));
  });
});
