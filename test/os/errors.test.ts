import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Kernel, MEM_COMMIT, MEM_RESERVE, PAGE_READONLY } from '../../src/index.js';
import { MmukitError } from '../../src/mmu/errors.js';
import {
  ERROR_ACCESS_DENIED,
  ERROR_INVALID_ADDRESS,
  ERROR_INVALID_PARAMETER,
  ERROR_NOACCESS,
  EXCEPTION_EXECUTE_FAULT,
  EXCEPTION_READ_FAULT,
  EXCEPTION_WRITE_FAULT,
  STATUS_ACCESS_VIOLATION,
  STATUS_ALREADY_COMMITTED,
  STATUS_GUARD_PAGE_VIOLATION,
  STATUS_INVALID_PAGE_PROTECTION,
  STATUS_IN_PAGE_ERROR,
  STATUS_NOT_COMMITTED,
  STATUS_NO_MEMORY,
} from '../../src/os/rules/constants.js';
import {
  WindowsError,
  WindowsExceptionError,
  accessViolation,
  guardPageViolation,
  inPageError,
  kernelException,
} from '../../src/os/rules/errors.js';

describe('WindowsError', () => {
  it('is an MmukitError whose code is the NTSTATUS name', () => {
    const e = new WindowsError(STATUS_INVALID_PAGE_PROTECTION, 'bad protection');
    expect(e).toBeInstanceOf(WindowsError);
    expect(e).toBeInstanceOf(MmukitError);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('WindowsError');
    expect(e.code).toBe('STATUS_INVALID_PAGE_PROTECTION');
    expect(e.message).toBe('bad protection');
  });

  it('B12: derives the Win32 error from the NTSTATUS (INVALID_PAGE_PROTECTION → ERROR_INVALID_PARAMETER)', () => {
    const e = new WindowsError(STATUS_INVALID_PAGE_PROTECTION, 'x');
    expect(e.ntStatus).toBe(0xc0000045);
    expect(e.win32Error).toBe(ERROR_INVALID_PARAMETER);
    expect(e.win32ErrorName).toBe('ERROR_INVALID_PARAMETER');
  });

  it('B3: NOT_COMMITTED → ERROR_INVALID_ADDRESS', () => {
    const e = new WindowsError(STATUS_NOT_COMMITTED, 'x');
    expect(e.win32Error).toBe(ERROR_INVALID_ADDRESS);
  });

  it('B69: an explicit Win32 error overrides the mapping', () => {
    const e = new WindowsError(STATUS_ALREADY_COMMITTED, 'commit on a file view', ERROR_ACCESS_DENIED);
    expect(e.ntStatus).toBe(STATUS_ALREADY_COMMITTED);
    expect(e.win32Error).toBe(ERROR_ACCESS_DENIED);
    const f = new WindowsError(STATUS_ACCESS_VIOLATION, 'NULL old protect', ERROR_NOACCESS);
    expect(f.win32Error).toBe(ERROR_NOACCESS);
  });

  it('stores the NTSTATUS unsigned even when given as a signed int32', () => {
    const e = new WindowsError(0xc0000045 | 0, 'x');
    expect(e.ntStatus).toBe(0xc0000045);
    expect(e.code).toBe('STATUS_INVALID_PAGE_PROTECTION');
  });

  it('B52: a guard-page failure of a service reports 0x80000001 as its Win32 error', () => {
    const e = new WindowsError(STATUS_GUARD_PAGE_VIOLATION, 'VirtualLock touched a guard page');
    expect(e.win32Error).toBe(0x80000001);
  });
});

describe('WindowsExceptionError', () => {
  it('§1.6, B56: accessViolation builds a 2-parameter STATUS_ACCESS_VIOLATION record for reads', () => {
    const e = accessViolation(EXCEPTION_READ_FAULT, 0xdeadbeef);
    expect(e).toBeInstanceOf(WindowsExceptionError);
    expect(e).toBeInstanceOf(MmukitError);
    expect(e.name).toBe('WindowsExceptionError');
    expect(e.code).toBe('STATUS_ACCESS_VIOLATION');
    expect(e.record).toEqual({
      exceptionCode: STATUS_ACCESS_VIOLATION,
      numberParameters: 2,
      exceptionInformation: [0, 0xdeadbeef],
      address: 0xdeadbeef,
    });
  });

  it('B56: a write to a read-only page reports ExceptionInformation[0] = 1', () => {
    const e = accessViolation(EXCEPTION_WRITE_FAULT, 0x10000);
    expect(e.record.exceptionInformation).toEqual([1, 0x10000]);
    expect(e.message).toContain('write');
  });

  it('B54: an execute fault with DEP on reports ExceptionInformation[0] = 8', () => {
    const e = accessViolation(EXCEPTION_EXECUTE_FAULT, 0x7fff0000_1000);
    expect(e.record.exceptionInformation).toEqual([8, 0x7fff0000_1000]);
    expect(e.record.address).toBe(0x7fff0000_1000);
    expect(e.message).toContain('execute');
  });

  it('B50: guardPageViolation builds a 2-parameter STATUS_GUARD_PAGE_VIOLATION (0x80000001) record', () => {
    const e = guardPageViolation(EXCEPTION_READ_FAULT, 0x20000);
    expect(e.code).toBe('STATUS_GUARD_PAGE_VIOLATION');
    expect(e.record.exceptionCode).toBe(0x80000001);
    expect(e.record.numberParameters).toBe(2);
    expect(e.record.exceptionInformation).toEqual([0, 0x20000]);
    expect(e.record.address).toBe(0x20000);
  });

  it('B55: a guard page hit by an instruction fetch reports EXCEPTION_EXECUTE_FAULT', () => {
    expect(guardPageViolation(EXCEPTION_EXECUTE_FAULT, 0x30000).record.exceptionInformation[0]).toBe(8);
  });

  it('B57: inPageError builds a 3-parameter STATUS_IN_PAGE_ERROR record with the underlying status', () => {
    const e = inPageError(EXCEPTION_WRITE_FAULT, 0x40000, STATUS_NO_MEMORY);
    expect(e.code).toBe('STATUS_IN_PAGE_ERROR');
    expect(e.record).toEqual({
      exceptionCode: STATUS_IN_PAGE_ERROR,
      numberParameters: 3,
      exceptionInformation: [1, 0x40000, STATUS_NO_MEMORY],
      address: 0x40000,
    });
    expect(e.message).toContain('STATUS_NO_MEMORY');
  });

  it('B57: the underlying status is stored unsigned', () => {
    expect(inPageError(0, 0x1000, 0xc0000017 | 0).record.exceptionInformation[2]).toBe(0xc0000017);
  });

  it('numberParameters equals the length of exceptionInformation', () => {
    for (const e of [accessViolation(0, 1), guardPageViolation(1, 2), inPageError(8, 3, 0xc000009a)]) {
      expect(e.record.exceptionInformation.length).toBe(e.record.numberParameters);
    }
  });

  it('freezes its record and copies the caller\'s array', () => {
    const info = [0, 0x5000];
    const e = new WindowsExceptionError({ exceptionCode: STATUS_ACCESS_VIOLATION | 0, numberParameters: 2, exceptionInformation: info, address: 0x5000 });
    info[1] = 0;
    expect(e.record.exceptionInformation[1]).toBe(0x5000);
    expect(e.record.exceptionCode).toBe(STATUS_ACCESS_VIOLATION);
    expect(Object.isFrozen(e.record)).toBe(true);
    expect(Object.isFrozen(e.record.exceptionInformation)).toBe(true);
  });

  it('is throwable and catchable as a WindowsExceptionError', () => {
    expect(() => {
      throw accessViolation(0, 0);
    }).toThrow(WindowsExceptionError);
  });
});

describe('the exceptions a kernel throws out of an access', () => {
  const caught = (): WindowsExceptionError => {
    const kernel = new Kernel({ memorySize: 1 << 20 });
    const p = kernel.createProcess();
    const cpu = kernel.run(0, p);
    const va = p.virtualAlloc(0, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READONLY);
    try {
      cpu.mmu.write32(va + 8, 1);
    } catch (e) {
      if (e instanceof WindowsExceptionError) return e;
      throw e;
    }
    throw new Error('the write did not fault');
  };

  it('carry no stack frames, print their name, message and record, and leave Error.stackTraceLimit as it was', () => {
    const limit = Error.stackTraceLimit;
    const e = caught();
    expect(Error.stackTraceLimit).toBe(limit);
    expect(e.stack).toBe(`WindowsExceptionError: ${e.message}`);
    expect(e.message).toMatch(/^STATUS_ACCESS_VIOLATION: write at 0x[0-9a-f]+$/);
    const shown = inspect(e);
    expect(shown).toContain(e.message);
    expect(shown).toContain("code: 'STATUS_ACCESS_VIOLATION'");
    expect(shown).toContain('exceptionInformation: [ 1,');
    expect(Object.isFrozen(e.record)).toBe(true);
    expect(Object.isFrozen(e.record.exceptionInformation)).toBe(true);
    expect(e.record).toEqual(accessViolation(EXCEPTION_WRITE_FAULT, e.record.address).record);
    // One made by hand still captures the stack.
    expect(accessViolation(EXCEPTION_WRITE_FAULT, 0x1000).stack).toMatch(/\n\s+at /);
  });

  it('are built the same when Error.stackTraceLimit is absent, 0, or cannot be changed', () => {
    const limit = Error.stackTraceLimit;
    const descriptor = Object.getOwnPropertyDescriptor(Error, 'stackTraceLimit')!;
    try {
      Error.stackTraceLimit = 0;
      expect(kernelException(STATUS_IN_PAGE_ERROR, EXCEPTION_READ_FAULT, 0x2000, STATUS_NO_MEMORY).record).toEqual(inPageError(EXCEPTION_READ_FAULT, 0x2000, STATUS_NO_MEMORY).record);
      expect(Error.stackTraceLimit).toBe(0);
      Object.defineProperty(Error, 'stackTraceLimit', { value: 5, writable: false, configurable: true });
      const e = kernelException(STATUS_GUARD_PAGE_VIOLATION, EXCEPTION_EXECUTE_FAULT, 0x3000);
      expect(e.message).toBe(guardPageViolation(EXCEPTION_EXECUTE_FAULT, 0x3000).message);
      expect(e.stack).toMatch(/\n\s+at /); // the frozen limit was kept: the stack was captured
      expect(Error.stackTraceLimit).toBe(5);
      delete (Error as { stackTraceLimit?: number }).stackTraceLimit;
      expect(kernelException(STATUS_ACCESS_VIOLATION, EXCEPTION_READ_FAULT, 0x4000).message).toBe('STATUS_ACCESS_VIOLATION: read at 0x4000');
      expect('stackTraceLimit' in Error).toBe(false);
    } finally {
      Object.defineProperty(Error, 'stackTraceLimit', descriptor);
      Error.stackTraceLimit = limit;
    }
  });

  it('a record like the kernel\'s, given to the constructor, is still copied', () => {
    const record = { exceptionCode: STATUS_ACCESS_VIOLATION, numberParameters: 2, exceptionInformation: [0, 0x10], address: 0x10 };
    const e = new WindowsExceptionError(record);
    expect(e.record).not.toBe(record);
    expect(() => new WindowsExceptionError(null as never)).toThrow('record must be an exception record');
  });
});
