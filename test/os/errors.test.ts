import { describe, expect, it } from 'vitest';
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
} from '../../src/os/constants.js';
import {
  WindowsError,
  WindowsExceptionError,
  accessViolation,
  guardPageViolation,
  inPageError,
} from '../../src/os/errors.js';

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
