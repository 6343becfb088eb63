import { describe, expect, it } from 'vitest';
import * as C from '../../src/os/rules/constants.js';
import {
  ERROR_ACCESS_DENIED,
  ERROR_BAD_EXE_FORMAT,
  ERROR_INVALID_ADDRESS,
  ERROR_INVALID_PARAMETER,
  ERROR_MR_MID_NOT_FOUND,
  ERROR_NOACCESS,
  ERROR_PARTIAL_COPY,
  STATUS_GUARD_PAGE_VIOLATION,
  isNtSuccess,
  ntStatusToWin32,
  statusName,
  win32ErrorName,
} from '../../src/os/rules/constants.js';

/** Every constant of windows-semantics.md §1 with its exact value. */
const SPEC_VALUES: ReadonlyArray<readonly [string, number]> = [
  // §1.1
  ['PAGE_SIZE', 0x1000],
  ['ALLOCATION_GRANULARITY', 0x10000],
  ['LOWEST_USER_ADDRESS', 0x10000],
  ['MM_SHARED_USER_DATA_VA', 0x7ffe0000],
  ['MM_HIGHEST_USER_ADDRESS_32', 0x7ffeffff],
  ['MM_HIGHEST_USER_ADDRESS_64', 0x00007ffffffeffff],
  // §1.2
  ['PAGE_NOACCESS', 0x01],
  ['PAGE_READONLY', 0x02],
  ['PAGE_READWRITE', 0x04],
  ['PAGE_WRITECOPY', 0x08],
  ['PAGE_EXECUTE', 0x10],
  ['PAGE_EXECUTE_READ', 0x20],
  ['PAGE_EXECUTE_READWRITE', 0x40],
  ['PAGE_EXECUTE_WRITECOPY', 0x80],
  ['PAGE_GUARD', 0x100],
  ['PAGE_NOCACHE', 0x200],
  ['PAGE_WRITECOMBINE', 0x400],
  ['PAGE_GRAPHICS_NOACCESS', 0x800],
  ['PAGE_GRAPHICS_READONLY', 0x1000],
  ['PAGE_GRAPHICS_READWRITE', 0x2000],
  ['PAGE_GRAPHICS_EXECUTE', 0x4000],
  ['PAGE_GRAPHICS_EXECUTE_READ', 0x8000],
  ['PAGE_GRAPHICS_EXECUTE_READWRITE', 0x10000],
  ['PAGE_GRAPHICS_COHERENT', 0x20000],
  ['PAGE_GRAPHICS_NOCACHE', 0x40000],
  ['PAGE_TARGETS_INVALID', 0x40000000],
  ['PAGE_TARGETS_NO_UPDATE', 0x40000000],
  ['PAGE_REVERT_TO_FILE_MAP', 0x80000000],
  ['PAGE_ENCLAVE_THREAD_CONTROL', 0x80000000],
  ['PAGE_ENCLAVE_UNVALIDATED', 0x20000000],
  ['PAGE_ENCLAVE_MASK', 0x10000000],
  // §1.3
  ['MEM_COMMIT', 0x00001000],
  ['MEM_RESERVE', 0x00002000],
  ['MEM_DECOMMIT', 0x00004000],
  ['MEM_RELEASE', 0x00008000],
  ['MEM_FREE', 0x00010000],
  ['MEM_PRIVATE', 0x00020000],
  ['MEM_MAPPED', 0x00040000],
  ['MEM_IMAGE', 0x01000000],
  ['MEM_RESET', 0x00080000],
  ['MEM_TOP_DOWN', 0x00100000],
  ['MEM_WRITE_WATCH', 0x00200000],
  ['MEM_PHYSICAL', 0x00400000],
  ['MEM_ROTATE', 0x00800000],
  ['MEM_DIFFERENT_IMAGE_BASE_OK', 0x00800000],
  ['MEM_RESET_UNDO', 0x01000000],
  ['MEM_LARGE_PAGES', 0x20000000],
  ['MEM_4MB_PAGES', 0x80000000],
  ['MEM_REPLACE_PLACEHOLDER', 0x00004000],
  ['MEM_RESERVE_PLACEHOLDER', 0x00040000],
  ['MEM_COALESCE_PLACEHOLDERS', 0x00000001],
  ['MEM_PRESERVE_PLACEHOLDER', 0x00000002],
  ['AT_ROUND_TO_PAGE', 0x40000000],
  // §1.4
  ['SEC_PARTITION_OWNER_HANDLE', 0x40000],
  ['SEC_64K_PAGES', 0x80000],
  ['SEC_FILE', 0x800000],
  ['SEC_IMAGE', 0x1000000],
  ['SEC_PROTECTED_IMAGE', 0x2000000],
  ['SEC_RESERVE', 0x4000000],
  ['SEC_COMMIT', 0x8000000],
  ['SEC_NOCACHE', 0x10000000],
  ['SEC_WRITECOMBINE', 0x40000000],
  ['SEC_LARGE_PAGES', 0x80000000],
  ['SEC_IMAGE_NO_EXECUTE', 0x11000000],
  // §1.5
  ['FILE_MAP_COPY', 0x0001],
  ['SECTION_QUERY', 0x0001],
  ['FILE_MAP_WRITE', 0x0002],
  ['SECTION_MAP_WRITE', 0x0002],
  ['FILE_MAP_READ', 0x0004],
  ['SECTION_MAP_READ', 0x0004],
  ['SECTION_MAP_EXECUTE', 0x0008],
  ['SECTION_EXTEND_SIZE', 0x0010],
  ['FILE_MAP_EXECUTE', 0x0020],
  ['SECTION_MAP_EXECUTE_EXPLICIT', 0x0020],
  ['FILE_MAP_ALL_ACCESS', 0x000f001f],
  ['SECTION_ALL_ACCESS', 0x000f001f],
  ['FILE_MAP_LARGE_PAGES', 0x20000000],
  ['FILE_MAP_TARGETS_INVALID', 0x40000000],
  ['FILE_MAP_RESERVE', 0x80000000],
  // §1.6
  ['EXCEPTION_READ_FAULT', 0],
  ['EXCEPTION_WRITE_FAULT', 1],
  ['EXCEPTION_EXECUTE_FAULT', 8],
  // §1.7
  ['ERROR_SUCCESS', 0],
  ['ERROR_FILE_NOT_FOUND', 2],
  ['ERROR_PATH_NOT_FOUND', 3],
  ['ERROR_ACCESS_DENIED', 5],
  ['ERROR_INVALID_HANDLE', 6],
  ['ERROR_NOT_ENOUGH_MEMORY', 8],
  ['ERROR_OUTOFMEMORY', 14],
  ['ERROR_SHARING_VIOLATION', 32],
  ['ERROR_NOT_SUPPORTED', 50],
  ['ERROR_INVALID_PARAMETER', 87],
  ['ERROR_CALL_NOT_IMPLEMENTED', 120],
  ['ERROR_ALREADY_EXISTS', 183],
  ['ERROR_BAD_EXE_FORMAT', 193],
  ['ERROR_PARTIAL_COPY', 299],
  ['ERROR_INVALID_ADDRESS', 487],
  ['ERROR_NOACCESS', 998],
  ['ERROR_FILE_INVALID', 1006],
  ['ERROR_DLL_INIT_FAILED', 1114],
  ['ERROR_MAPPED_ALIGNMENT', 1132],
  ['ERROR_COMMITMENT_LIMIT', 1455],
  // §1.8
  ['STATUS_SUCCESS', 0x00000000],
  ['STATUS_WORKING_SET_LIMIT_RANGE', 0x40000002],
  ['STATUS_IMAGE_NOT_AT_BASE', 0x40000003],
  ['STATUS_GUARD_PAGE_VIOLATION', 0x80000001],
  ['STATUS_DATATYPE_MISALIGNMENT', 0x80000002],
  ['STATUS_PARTIAL_COPY', 0x8000000d],
  ['STATUS_INVALID_INFO_CLASS', 0xc0000003],
  ['STATUS_INFO_LENGTH_MISMATCH', 0xc0000004],
  ['STATUS_ACCESS_VIOLATION', 0xc0000005],
  ['STATUS_IN_PAGE_ERROR', 0xc0000006],
  ['STATUS_INVALID_HANDLE', 0xc0000008],
  ['STATUS_INVALID_PARAMETER', 0xc000000d],
  ['STATUS_NO_MEMORY', 0xc0000017],
  ['STATUS_CONFLICTING_ADDRESSES', 0xc0000018],
  ['STATUS_NOT_MAPPED_VIEW', 0xc0000019],
  ['STATUS_UNABLE_TO_FREE_VM', 0xc000001a],
  ['STATUS_UNABLE_TO_DELETE_SECTION', 0xc000001b],
  ['STATUS_ILLEGAL_INSTRUCTION', 0xc000001d],
  ['STATUS_INVALID_VIEW_SIZE', 0xc000001f],
  ['STATUS_INVALID_FILE_FOR_SECTION', 0xc0000020],
  ['STATUS_ALREADY_COMMITTED', 0xc0000021],
  ['STATUS_ACCESS_DENIED', 0xc0000022],
  ['STATUS_UNABLE_TO_DECOMMIT_VM', 0xc000002c],
  ['STATUS_NOT_COMMITTED', 0xc000002d],
  ['STATUS_SECTION_TOO_BIG', 0xc0000040],
  ['STATUS_INVALID_PAGE_PROTECTION', 0xc0000045],
  ['STATUS_SECTION_NOT_IMAGE', 0xc0000049],
  ['STATUS_SECTION_PROTECTION', 0xc000004e],
  ['STATUS_INVALID_IMAGE_FORMAT', 0xc000007b],
  ['STATUS_INSUFFICIENT_RESOURCES', 0xc000009a],
  ['STATUS_FREE_VM_NOT_AT_BASE', 0xc000009f],
  ['STATUS_MEMORY_NOT_ALLOCATED', 0xc00000a0],
  ['STATUS_NOT_SUPPORTED', 0xc00000bb],
  ['STATUS_NOT_SAME_DEVICE', 0xc00000d4],
  ['STATUS_INVALID_PARAMETER_1', 0xc00000ef],
  ['STATUS_INVALID_PARAMETER_3', 0xc00000f1],
  ['STATUS_INVALID_PARAMETER_4', 0xc00000f2],
  ['STATUS_INVALID_PARAMETER_5', 0xc00000f3],
  ['STATUS_INVALID_PARAMETER_9', 0xc00000f7],
  ['STATUS_INVALID_PARAMETER_12', 0xc00000fa],
  ['STATUS_STACK_OVERFLOW', 0xc00000fd],
  ['STATUS_INVALID_IMAGE_NE_FORMAT', 0xc000011b],
  ['STATUS_MAPPED_FILE_SIZE_ZERO', 0xc000011e],
  ['STATUS_COMMITMENT_LIMIT', 0xc000012d],
  ['STATUS_INVALID_IMAGE_NOT_MZ', 0xc000012f],
  ['STATUS_INVALID_IMAGE_PROTECT', 0xc0000130],
  ['STATUS_INVALID_IMAGE_WIN_16', 0xc0000131],
  ['STATUS_INVALID_ADDRESS', 0xc0000141],
  ['STATUS_DLL_INIT_FAILED', 0xc0000142],
  ['STATUS_MAPPED_ALIGNMENT', 0xc0000220],
  ['STATUS_INVALID_IMAGE_WIN_32', 0xc0000359],
  ['STATUS_INVALID_IMAGE_WIN_64', 0xc000035a],
];

const exported = C as unknown as Record<string, unknown>;

describe('os/constants', () => {
  it.each(SPEC_VALUES)('§1: %s has its exact Windows value', (name, value) => {
    expect(exported[name]).toBe(value);
  });

  it('§1.8: STATUS_INVALID_PARAMETER_1..12 are consecutive from 0xC00000EF', () => {
    for (let n = 1; n <= 12; n++) expect(exported[`STATUS_INVALID_PARAMETER_${n}`]).toBe(0xc00000ef + n - 1);
  });

  it('§1: every exported number is a non-negative integer (unsigned, never an int32 < 0)', () => {
    for (const [name, value] of Object.entries(exported)) {
      if (typeof value !== 'number') continue;
      expect(Number.isInteger(value) && value >= 0, name).toBe(true);
    }
  });

  it('§1.2: the eight base protections are the eight bits of the low byte', () => {
    const bases = [C.PAGE_NOACCESS, C.PAGE_READONLY, C.PAGE_READWRITE, C.PAGE_WRITECOPY, C.PAGE_EXECUTE, C.PAGE_EXECUTE_READ, C.PAGE_EXECUTE_READWRITE, C.PAGE_EXECUTE_WRITECOPY];
    expect(bases.reduce((a, b) => a | b, 0)).toBe(0xff);
  });

  it('B29: MEM_IMAGE equals SEC_IMAGE', () => {
    expect(C.MEM_IMAGE).toBe(C.SEC_IMAGE);
  });

  describe('ntStatusToWin32', () => {
    const pinned: ReadonlyArray<readonly [string, number, number]> = [
      ['B3 NOT_COMMITTED', C.STATUS_NOT_COMMITTED, ERROR_INVALID_ADDRESS],
      ['B32 ACCESS_VIOLATION', C.STATUS_ACCESS_VIOLATION, ERROR_NOACCESS],
      ['B12 INVALID_PAGE_PROTECTION', C.STATUS_INVALID_PAGE_PROTECTION, ERROR_INVALID_PARAMETER],
      ['B69 ALREADY_COMMITTED', C.STATUS_ALREADY_COMMITTED, ERROR_ACCESS_DENIED],
      ['B17 CONFLICTING_ADDRESSES', C.STATUS_CONFLICTING_ADDRESSES, ERROR_INVALID_ADDRESS],
      ['B100 PARTIAL_COPY', C.STATUS_PARTIAL_COPY, ERROR_PARTIAL_COPY],
      ['B89 INVALID_IMAGE_FORMAT', C.STATUS_INVALID_IMAGE_FORMAT, ERROR_BAD_EXE_FORMAT],
      ['B89 INVALID_IMAGE_NOT_MZ', C.STATUS_INVALID_IMAGE_NOT_MZ, ERROR_BAD_EXE_FORMAT],
      ['B89 INVALID_IMAGE_PROTECT', C.STATUS_INVALID_IMAGE_PROTECT, ERROR_BAD_EXE_FORMAT],
      ['B89 INVALID_IMAGE_NE_FORMAT', C.STATUS_INVALID_IMAGE_NE_FORMAT, ERROR_BAD_EXE_FORMAT],
      ['B89 INVALID_IMAGE_WIN_16', C.STATUS_INVALID_IMAGE_WIN_16, ERROR_BAD_EXE_FORMAT],
      ['B89 INVALID_IMAGE_WIN_32', C.STATUS_INVALID_IMAGE_WIN_32, ERROR_BAD_EXE_FORMAT],
      ['B89 INVALID_IMAGE_WIN_64', C.STATUS_INVALID_IMAGE_WIN_64, ERROR_BAD_EXE_FORMAT],
    ];
    it.each(pinned)('§1.8 pinned pair %s', (_label, status, win32) => {
      expect(ntStatusToWin32(status)).toBe(win32);
    });

    const standard: ReadonlyArray<readonly [string, number, number]> = [
      ['FREE_VM_NOT_AT_BASE', C.STATUS_FREE_VM_NOT_AT_BASE, ERROR_INVALID_ADDRESS],
      ['MEMORY_NOT_ALLOCATED', C.STATUS_MEMORY_NOT_ALLOCATED, ERROR_INVALID_ADDRESS],
      ['NOT_MAPPED_VIEW', C.STATUS_NOT_MAPPED_VIEW, ERROR_INVALID_ADDRESS],
      ['UNABLE_TO_FREE_VM', C.STATUS_UNABLE_TO_FREE_VM, ERROR_INVALID_PARAMETER],
      ['MAPPED_ALIGNMENT', C.STATUS_MAPPED_ALIGNMENT, C.ERROR_MAPPED_ALIGNMENT],
      ['NO_MEMORY', C.STATUS_NO_MEMORY, C.ERROR_NOT_ENOUGH_MEMORY],
      ['INVALID_PARAMETER', C.STATUS_INVALID_PARAMETER, ERROR_INVALID_PARAMETER],
      ['INVALID_PARAMETER_9', C.STATUS_INVALID_PARAMETER_9, ERROR_INVALID_PARAMETER],
      ['INVALID_HANDLE', C.STATUS_INVALID_HANDLE, C.ERROR_INVALID_HANDLE],
      ['ACCESS_DENIED', C.STATUS_ACCESS_DENIED, ERROR_ACCESS_DENIED],
      ['INVALID_FILE_FOR_SECTION', C.STATUS_INVALID_FILE_FOR_SECTION, ERROR_BAD_EXE_FORMAT],
      ['SECTION_TOO_BIG', C.STATUS_SECTION_TOO_BIG, C.ERROR_NOT_ENOUGH_MEMORY],
      ['MAPPED_FILE_SIZE_ZERO', C.STATUS_MAPPED_FILE_SIZE_ZERO, C.ERROR_FILE_INVALID],
      ['COMMITMENT_LIMIT', C.STATUS_COMMITMENT_LIMIT, C.ERROR_COMMITMENT_LIMIT],
      ['DLL_INIT_FAILED', C.STATUS_DLL_INIT_FAILED, C.ERROR_DLL_INIT_FAILED],
      ['IN_PAGE_ERROR', C.STATUS_IN_PAGE_ERROR, C.ERROR_SWAPERROR],
      ['IMAGE_NOT_AT_BASE', C.STATUS_IMAGE_NOT_AT_BASE, C.ERROR_IMAGE_NOT_AT_BASE],
    ];
    it.each(standard)('§1.8 standard RtlNtStatusToDosError mapping %s', (_label, status, win32) => {
      expect(ntStatusToWin32(status)).toBe(win32);
    });

    it('§1.8: every listed NTSTATUS has a mapping (none falls back to 317)', () => {
      for (const [name, value] of Object.entries(exported)) {
        if (!name.startsWith('STATUS_') || typeof value !== 'number') continue;
        expect(ntStatusToWin32(value), name).not.toBe(ERROR_MR_MID_NOT_FOUND);
      }
    });

    it('B52: STATUS_GUARD_PAGE_VIOLATION has no Win32 equivalent: GetLastError() is 0x80000001 itself', () => {
      expect(ntStatusToWin32(STATUS_GUARD_PAGE_VIOLATION)).toBe(0x80000001);
    });

    it('STATUS_SUCCESS maps to ERROR_SUCCESS', () => {
      expect(ntStatusToWin32(C.STATUS_SUCCESS)).toBe(C.ERROR_SUCCESS);
    });

    it('an unmapped status yields ERROR_MR_MID_NOT_FOUND (317), like RtlNtStatusToDosError', () => {
      expect(ntStatusToWin32(0xc0001234)).toBe(317);
      expect(ntStatusToWin32(0x80000099)).toBe(317);
    });

    it('accepts a signed int32 status', () => {
      expect(ntStatusToWin32(0xc0000005 | 0)).toBe(ERROR_NOACCESS);
    });

    it('treats 0xD… as 0xC…, passes customer codes through, unwraps 0xC001xxxx / 0x8007xxxx', () => {
      expect(ntStatusToWin32(0xd0000005)).toBe(ERROR_NOACCESS);
      expect(ntStatusToWin32(0xe0001234)).toBe(0xe0001234);
      expect(ntStatusToWin32(0xc0010057)).toBe(0x57);
      expect(ntStatusToWin32(0x80070005)).toBe(5);
    });
  });

  describe('names', () => {
    it('statusName gives the symbolic name, accepting signed values', () => {
      expect(statusName(0xc0000005)).toBe('STATUS_ACCESS_VIOLATION');
      expect(statusName(0xc0000045 | 0)).toBe('STATUS_INVALID_PAGE_PROTECTION');
      expect(statusName(0)).toBe('STATUS_SUCCESS');
    });

    it('statusName falls back to hex for unknown statuses', () => {
      expect(statusName(0xc0001234)).toBe('NTSTATUS_0xC0001234');
    });

    it('win32ErrorName gives the symbolic name', () => {
      expect(win32ErrorName(87)).toBe('ERROR_INVALID_PARAMETER');
      expect(win32ErrorName(487)).toBe('ERROR_INVALID_ADDRESS');
      expect(win32ErrorName(317)).toBe('ERROR_MR_MID_NOT_FOUND');
    });

    it('B52: win32ErrorName(0x80000001) names the guard-page status GetLastError reports', () => {
      expect(win32ErrorName(0x80000001)).toBe('STATUS_GUARD_PAGE_VIOLATION');
    });

    it('win32ErrorName falls back to the number', () => {
      expect(win32ErrorName(4242)).toBe('ERROR_4242');
    });

    it('every exported STATUS_* and ERROR_* constant has a name that round-trips', () => {
      for (const [name, value] of Object.entries(exported)) {
        if (typeof value !== 'number') continue;
        if (name.startsWith('STATUS_')) expect(statusName(value)).toBe(name);
        if (name.startsWith('ERROR_')) expect(win32ErrorName(value)).toBe(name);
      }
    });
  });

  it('B91: isNtSuccess treats STATUS_IMAGE_NOT_AT_BASE as success and warnings/errors as failure', () => {
    expect(isNtSuccess(C.STATUS_SUCCESS)).toBe(true);
    expect(isNtSuccess(C.STATUS_IMAGE_NOT_AT_BASE)).toBe(true);
    expect(isNtSuccess(C.STATUS_GUARD_PAGE_VIOLATION)).toBe(false);
    expect(isNtSuccess(C.STATUS_ACCESS_VIOLATION)).toBe(false);
    expect(isNtSuccess(C.STATUS_ACCESS_VIOLATION | 0)).toBe(false);
  });
});
