import { describe, expect, it } from 'vitest';
import {
  ERROR_BAD_EXE_FORMAT,
  ERROR_INVALID_PARAMETER,
  FILE_MAP_ALL_ACCESS,
  FILE_MAP_COPY,
  FILE_MAP_EXECUTE,
  FILE_MAP_LARGE_PAGES,
  FILE_MAP_READ,
  FILE_MAP_RESERVE,
  FILE_MAP_WRITE,
  PAGE_EXECUTE,
  PAGE_EXECUTE_READ,
  PAGE_EXECUTE_READWRITE,
  PAGE_EXECUTE_WRITECOPY,
  PAGE_GRAPHICS_READONLY,
  PAGE_GUARD,
  PAGE_NOACCESS,
  PAGE_NOCACHE,
  PAGE_READONLY,
  PAGE_READWRITE,
  PAGE_TARGETS_INVALID,
  PAGE_WRITECOMBINE,
  PAGE_WRITECOPY,
  SECTION_MAP_EXECUTE,
  SECTION_MAP_READ,
  SECTION_MAP_WRITE,
  SEC_64K_PAGES,
  SEC_COMMIT,
  SEC_FILE,
  SEC_IMAGE,
  SEC_LARGE_PAGES,
  SEC_NOCACHE,
  SEC_RESERVE,
  SEC_WRITECOMBINE,
  STATUS_INVALID_FILE_FOR_SECTION,
  STATUS_INVALID_PAGE_PROTECTION,
  STATUS_INVALID_PARAMETER_6,
} from '../../src/os/rules/constants.js';
import { WindowsError } from '../../src/os/rules/errors.js';
import {
  ProtAccess,
  baseProtection,
  imageRequestedProtection,
  isSingleBit,
  protectionAccess,
  protectionName,
  reportedProtection,
  sectionGrantsViewAccess,
  validateAllocProtection,
  validateSectionAttributes,
  validateSectionProtection,
  validateViewProtection,
  viewProtectAllowed,
  viewProtection,
  viewRequiredAccess,
} from '../../src/os/rules/protection.js';

const BASES = [PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE, PAGE_WRITECOPY, PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY] as const;

/** Runs `fn`, expects a WindowsError with these codes, and returns it. */
function expectWindowsError(fn: () => unknown, ntStatus: number, win32Error: number): WindowsError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(WindowsError);
  const e = caught as WindowsError;
  expect(e.ntStatus).toBe(ntStatus);
  expect(e.win32Error).toBe(win32Error);
  return e;
}

const expectInvalidProtection = (fn: () => unknown): WindowsError => expectWindowsError(fn, STATUS_INVALID_PAGE_PROTECTION, ERROR_INVALID_PARAMETER);
const hex = (n: number): string => '0x' + n.toString(16).padStart(2, '0');

describe('baseProtection / isSingleBit', () => {
  it('§1.2: the base protection is the low byte', () => {
    expect(baseProtection(PAGE_READWRITE | PAGE_GUARD)).toBe(PAGE_READWRITE);
    expect(baseProtection(PAGE_EXECUTE_READ | PAGE_NOCACHE | PAGE_TARGETS_INVALID)).toBe(PAGE_EXECUTE_READ);
    expect(baseProtection(0x80000000)).toBe(0);
  });

  it('§1.2: isSingleBit is true for exactly one set bit', () => {
    for (const b of BASES) expect(isSingleBit(b)).toBe(true);
    expect(isSingleBit(0x80000000)).toBe(true);
    expect(isSingleBit(0)).toBe(false);
    expect(isSingleBit(0x03)).toBe(false);
    expect(isSingleBit(0x14)).toBe(false);
  });
});

describe('validateAllocProtection (private memory)', () => {
  // K32V test_VirtualAlloc_protection td[]: the 0x00–0x0F and 0x10–0xF0 sweep.
  const B13_TABLE: ReadonlyArray<readonly [number, boolean]> = [
    [0x00, false], [0x01, true], [0x02, true], [0x03, false], [0x04, true], [0x05, false], [0x06, false], [0x07, false],
    [0x08, false], [0x09, false], [0x0a, false], [0x0b, false], [0x0c, false], [0x0d, false], [0x0e, false], [0x0f, false],
    [0x10, true], [0x20, true], [0x30, false], [0x40, true], [0x50, false], [0x60, false], [0x70, false],
    [0x80, false], [0x90, false], [0xa0, false], [0xb0, false], [0xc0, false], [0xd0, false], [0xe0, false], [0xf0, false],
  ];
  it.each(B13_TABLE.map(([p, ok]) => [hex(p), p, ok] as const))('B13: VirtualAlloc(MEM_COMMIT, %s) succeeds iff listed', (_h, prot, ok) => {
    if (ok) expect(() => validateAllocProtection(prot)).not.toThrow();
    else expectInvalidProtection(() => validateAllocProtection(prot));
  });

  it('B10: protection 0 is invalid (MEM_RESERVE or MEM_COMMIT)', () => {
    expectInvalidProtection(() => validateAllocProtection(0));
  });

  it('B11: PAGE_READONLY|PAGE_EXECUTE, PAGE_READWRITE|PAGE_EXECUTE_WRITECOPY and 0 are invalid', () => {
    expectInvalidProtection(() => validateAllocProtection(PAGE_READONLY | PAGE_EXECUTE));
    expectInvalidProtection(() => validateAllocProtection(PAGE_READWRITE | PAGE_EXECUTE_WRITECOPY));
    expectInvalidProtection(() => validateAllocProtection(0));
  });

  it('B12: PAGE_WRITECOPY is invalid for private memory', () => {
    const e = expectInvalidProtection(() => validateAllocProtection(PAGE_WRITECOPY));
    expect(e.code).toBe('STATUS_INVALID_PAGE_PROTECTION');
    expect(e.message).toContain('views only');
  });

  it('B12: PAGE_EXECUTE_WRITECOPY is invalid for private memory', () => {
    expectInvalidProtection(() => validateAllocProtection(PAGE_EXECUTE_WRITECOPY));
  });

  it('B33: every single-bit private value succeeds; an exec bit plus an rw bit (0x14) fails', () => {
    for (const p of [0x01, 0x02, 0x04, 0x10, 0x20, 0x40]) expect(() => validateAllocProtection(p)).not.toThrow();
    for (const p of [0x00, 0x08, 0x80, 0x14, 0x22, 0x41, 0xff]) expectInvalidProtection(() => validateAllocProtection(p));
  });

  it('B49: PAGE_READWRITE|PAGE_GUARD (0x104) is valid', () => {
    expect(() => validateAllocProtection(PAGE_READWRITE | PAGE_GUARD)).not.toThrow();
    for (const b of [0x02, 0x04, 0x10, 0x20, 0x40]) expect(() => validateAllocProtection(b | PAGE_GUARD)).not.toThrow();
  });

  it('MS-GUARD: PAGE_GUARD cannot be used with PAGE_NOACCESS', () => {
    expectInvalidProtection(() => validateAllocProtection(PAGE_NOACCESS | PAGE_GUARD));
  });

  it('B14: PAGE_NOCACHE and PAGE_WRITECOMBINE are valid modifiers on accessible protections', () => {
    expect(() => validateAllocProtection(PAGE_READWRITE | PAGE_NOCACHE)).not.toThrow();
    expect(() => validateAllocProtection(PAGE_READONLY | PAGE_NOCACHE)).not.toThrow();
    expect(() => validateAllocProtection(PAGE_READWRITE | PAGE_WRITECOMBINE)).not.toThrow();
  });

  it('MS-PROT: PAGE_NOCACHE cannot be used with PAGE_GUARD, PAGE_NOACCESS or PAGE_WRITECOMBINE', () => {
    expectInvalidProtection(() => validateAllocProtection(PAGE_READWRITE | PAGE_NOCACHE | PAGE_GUARD));
    expectInvalidProtection(() => validateAllocProtection(PAGE_NOACCESS | PAGE_NOCACHE));
    expectInvalidProtection(() => validateAllocProtection(PAGE_READWRITE | PAGE_NOCACHE | PAGE_WRITECOMBINE));
  });

  it('MS-PROT: PAGE_WRITECOMBINE cannot be used with PAGE_NOACCESS or PAGE_GUARD', () => {
    expectInvalidProtection(() => validateAllocProtection(PAGE_NOACCESS | PAGE_WRITECOMBINE));
    expectInvalidProtection(() => validateAllocProtection(PAGE_READWRITE | PAGE_WRITECOMBINE | PAGE_GUARD));
  });

  it('any bit other than the base byte and the three modifiers is invalid', () => {
    expectInvalidProtection(() => validateAllocProtection(PAGE_READWRITE | PAGE_GRAPHICS_READONLY));
    expectInvalidProtection(() => validateAllocProtection(PAGE_EXECUTE_READ | PAGE_TARGETS_INVALID));
    expectInvalidProtection(() => validateAllocProtection(PAGE_READWRITE | 0x80000000));
  });
});

describe('validateViewProtection (VirtualProtect / commit inside views)', () => {
  it('B68, B85: all eight single-bit base values are valid, WRITECOPY included', () => {
    for (const b of BASES) expect(() => validateViewProtection(b)).not.toThrow();
  });

  it.each([0x00, 0x03, 0x0c, 0x14, 0x30, 0x84, 0xf0].map((p) => [hex(p), p] as const))('B85: a multi-bit or zero value %s is invalid', (_h, p) => {
    expectInvalidProtection(() => validateViewProtection(p));
  });

  it('modifiers follow the private-memory rules', () => {
    expect(() => validateViewProtection(PAGE_WRITECOPY | PAGE_GUARD)).not.toThrow();
    expectInvalidProtection(() => validateViewProtection(PAGE_NOACCESS | PAGE_GUARD));
    expectInvalidProtection(() => validateViewProtection(PAGE_READONLY | PAGE_NOCACHE | PAGE_WRITECOMBINE));
    expectInvalidProtection(() => validateViewProtection(PAGE_READONLY | PAGE_TARGETS_INVALID));
  });
});

describe('protectionAccess', () => {
  const R = ProtAccess.Read;
  const W = ProtAccess.Write;
  const X = ProtAccess.Execute;
  const C = ProtAccess.WriteCopy;
  const TABLE: ReadonlyArray<readonly [string, number, number]> = [
    ['PAGE_NOACCESS', PAGE_NOACCESS, 0],
    ['PAGE_READONLY', PAGE_READONLY, R],
    ['PAGE_READWRITE', PAGE_READWRITE, R | W],
    ['PAGE_WRITECOPY', PAGE_WRITECOPY, R | C],
    ['PAGE_EXECUTE', PAGE_EXECUTE, X],
    ['PAGE_EXECUTE_READ', PAGE_EXECUTE_READ, R | X],
    ['PAGE_EXECUTE_READWRITE', PAGE_EXECUTE_READWRITE, R | W | X],
    ['PAGE_EXECUTE_WRITECOPY', PAGE_EXECUTE_WRITECOPY, R | X | C],
  ];
  it.each(TABLE)('§1.2: %s allows the listed accesses', (_n, prot, access) => {
    expect(protectionAccess(prot)).toBe(access);
  });

  it('B58: modifiers are ignored (the guard check is the fault path\'s)', () => {
    expect(protectionAccess(PAGE_READWRITE | PAGE_GUARD)).toBe(R | W);
    expect(protectionAccess(PAGE_READONLY | PAGE_NOCACHE)).toBe(R);
  });

  it('B2: protection 0 (reserved page) and multi-bit values give no access', () => {
    expect(protectionAccess(0)).toBe(0);
    expect(protectionAccess(0x06)).toBe(0);
  });

  it('ProtAccess bits are distinct powers of two', () => {
    expect(ProtAccess).toEqual({ Read: 1, Write: 2, Execute: 4, WriteCopy: 8 });
  });
});

describe('reportedProtection (copy-on-write reporting)', () => {
  // K32V test_CreateFileMapping_protection prot_after_write for the accepted values.
  const B79_TABLE: ReadonlyArray<readonly [string, number, number]> = [
    ['PAGE_NOACCESS', PAGE_NOACCESS, PAGE_NOACCESS],
    ['PAGE_READONLY', PAGE_READONLY, PAGE_READONLY],
    ['PAGE_READWRITE', PAGE_READWRITE, PAGE_READWRITE],
    ['PAGE_WRITECOPY', PAGE_WRITECOPY, PAGE_READWRITE],
    ['PAGE_EXECUTE', PAGE_EXECUTE, PAGE_EXECUTE],
    ['PAGE_EXECUTE_READ', PAGE_EXECUTE_READ, PAGE_EXECUTE_READ],
    ['PAGE_EXECUTE_READWRITE', PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_READWRITE],
    ['PAGE_EXECUTE_WRITECOPY', PAGE_EXECUTE_WRITECOPY, PAGE_EXECUTE_READWRITE],
  ];
  it.each(B79_TABLE)('B79: after a write, %s is reported as listed', (_n, prot, after) => {
    expect(reportedProtection(prot, true)).toBe(after);
  });

  it('B80: a page already copied reports a later WRITECOPY as READWRITE and EXECUTE_WRITECOPY as EXECUTE_READWRITE', () => {
    // map_prot_written: only the two copy-on-write values change.
    for (const b of BASES) {
      const expected = b === PAGE_WRITECOPY ? PAGE_READWRITE : b === PAGE_EXECUTE_WRITECOPY ? PAGE_EXECUTE_READWRITE : b;
      expect(reportedProtection(b, true)).toBe(expected);
    }
  });

  it('B78: a page not yet copied keeps PAGE_WRITECOPY', () => {
    for (const b of BASES) expect(reportedProtection(b, false)).toBe(b);
  });

  it('B81: modifier bits are kept on copied pages', () => {
    expect(reportedProtection(PAGE_WRITECOPY | PAGE_GUARD, true)).toBe(PAGE_READWRITE | PAGE_GUARD);
    expect(reportedProtection(PAGE_EXECUTE_WRITECOPY | PAGE_NOCACHE, true)).toBe(PAGE_EXECUTE_READWRITE | PAGE_NOCACHE);
  });
});

// K32V test_mapping view[] table: dwDesiredAccess → view protection, every row.
const B67_TABLE: ReadonlyArray<readonly [number, number]> = [
  [0, PAGE_NOACCESS],
  [FILE_MAP_COPY, PAGE_WRITECOPY],
  [FILE_MAP_WRITE, PAGE_READWRITE],
  [FILE_MAP_WRITE | FILE_MAP_COPY, PAGE_READWRITE],
  [FILE_MAP_READ, PAGE_READONLY],
  [FILE_MAP_READ | FILE_MAP_COPY, PAGE_READONLY],
  [FILE_MAP_READ | FILE_MAP_WRITE, PAGE_READWRITE],
  [FILE_MAP_READ | FILE_MAP_WRITE | FILE_MAP_COPY, PAGE_READWRITE],
  [SECTION_MAP_EXECUTE, PAGE_NOACCESS],
  [SECTION_MAP_EXECUTE | FILE_MAP_COPY, PAGE_NOACCESS],
  [SECTION_MAP_EXECUTE | FILE_MAP_WRITE, PAGE_READWRITE],
  [SECTION_MAP_EXECUTE | FILE_MAP_WRITE | FILE_MAP_COPY, PAGE_READWRITE],
  [SECTION_MAP_EXECUTE | FILE_MAP_READ, PAGE_READONLY],
  [SECTION_MAP_EXECUTE | FILE_MAP_READ | FILE_MAP_COPY, PAGE_READONLY],
  [SECTION_MAP_EXECUTE | FILE_MAP_READ | FILE_MAP_WRITE, PAGE_READWRITE],
  [SECTION_MAP_EXECUTE | FILE_MAP_READ | FILE_MAP_WRITE | FILE_MAP_COPY, PAGE_READWRITE],
  [FILE_MAP_EXECUTE, PAGE_NOACCESS],
  [FILE_MAP_EXECUTE | FILE_MAP_COPY, PAGE_EXECUTE_WRITECOPY],
  [FILE_MAP_EXECUTE | FILE_MAP_WRITE, PAGE_EXECUTE_READWRITE],
  [FILE_MAP_EXECUTE | FILE_MAP_WRITE | FILE_MAP_COPY, PAGE_EXECUTE_READWRITE],
  [FILE_MAP_EXECUTE | FILE_MAP_READ, PAGE_EXECUTE_READ],
  [FILE_MAP_EXECUTE | FILE_MAP_READ | FILE_MAP_COPY, PAGE_EXECUTE_READ],
  [FILE_MAP_EXECUTE | FILE_MAP_READ | FILE_MAP_WRITE, PAGE_EXECUTE_READWRITE],
  [FILE_MAP_EXECUTE | FILE_MAP_READ | FILE_MAP_WRITE | FILE_MAP_COPY, PAGE_EXECUTE_READWRITE],
  [FILE_MAP_EXECUTE | SECTION_MAP_EXECUTE, PAGE_NOACCESS],
  [FILE_MAP_EXECUTE | SECTION_MAP_EXECUTE | FILE_MAP_COPY, PAGE_NOACCESS],
  [FILE_MAP_EXECUTE | SECTION_MAP_EXECUTE | FILE_MAP_WRITE, PAGE_EXECUTE_READWRITE],
  [FILE_MAP_EXECUTE | SECTION_MAP_EXECUTE | FILE_MAP_WRITE | FILE_MAP_COPY, PAGE_EXECUTE_READWRITE],
  [FILE_MAP_EXECUTE | SECTION_MAP_EXECUTE | FILE_MAP_READ, PAGE_EXECUTE_READ],
  [FILE_MAP_EXECUTE | SECTION_MAP_EXECUTE | FILE_MAP_READ | FILE_MAP_COPY, PAGE_EXECUTE_READ],
  [FILE_MAP_EXECUTE | SECTION_MAP_EXECUTE | FILE_MAP_READ | FILE_MAP_WRITE, PAGE_EXECUTE_READWRITE],
  [FILE_MAP_EXECUTE | SECTION_MAP_EXECUTE | FILE_MAP_READ | FILE_MAP_WRITE | FILE_MAP_COPY, PAGE_EXECUTE_READWRITE],
];

describe('viewProtection', () => {
  it.each(B67_TABLE.map(([a, p]) => [hex(a), protectionName(p), a, p] as const))('B67: dwDesiredAccess %s gives %s', (_a, _p, access, prot) => {
    expect(viewProtection(access)).toBe(prot);
  });

  it('MS-MVOF: FILE_MAP_ALL_ACCESS acts as FILE_MAP_WRITE', () => {
    expect(viewProtection(FILE_MAP_ALL_ACCESS)).toBe(PAGE_READWRITE);
  });

  it('B74: COPY is ignored when WRITE is present', () => {
    expect(viewProtection(FILE_MAP_COPY | FILE_MAP_WRITE)).toBe(PAGE_READWRITE);
  });

  it('placement flags (LARGE_PAGES, RESERVE) do not spoil COPY-alone', () => {
    expect(viewProtection(FILE_MAP_COPY | FILE_MAP_RESERVE)).toBe(PAGE_WRITECOPY);
    expect(viewProtection(FILE_MAP_COPY | FILE_MAP_EXECUTE | FILE_MAP_LARGE_PAGES)).toBe(PAGE_EXECUTE_WRITECOPY);
  });
});

describe('sectionGrantsViewAccess', () => {
  const R = SECTION_MAP_READ;
  const W = SECTION_MAP_WRITE;
  const X = SECTION_MAP_EXECUTE;
  // B64: what each section protection grants, and what each view protection needs.
  const GRANTS: ReadonlyArray<readonly [number, number]> = [
    [PAGE_READWRITE, R | W],
    [PAGE_EXECUTE_READWRITE, R | W | X],
    [PAGE_READONLY, R],
    [PAGE_WRITECOPY, R],
    [PAGE_EXECUTE_READ, R | X],
    [PAGE_EXECUTE_WRITECOPY, R | X],
  ];
  const NEEDS = new Map<number, number>([
    [PAGE_NOACCESS, R],
    [PAGE_READONLY, R],
    [PAGE_WRITECOPY, R],
    [PAGE_READWRITE, R | W],
    [PAGE_EXECUTE_READ, R | X],
    [PAGE_EXECUTE_WRITECOPY, R | X],
    [PAGE_EXECUTE_READWRITE, R | W | X],
  ]);
  const rows = GRANTS.flatMap(([sec, grants]) =>
    B67_TABLE.map(([access, viewProt]) => {
      const need = NEEDS.get(viewProt)!;
      return [protectionName(sec), hex(access), sec, access, (grants & need) === need] as const;
    }),
  );
  it.each(rows)('B64: a %s section with view access %s → compatible = %s', (_s, _a, sec, access, expected) => {
    expect(sectionGrantsViewAccess(sec, access)).toBe(expected);
  });

  it('B64: a PAGE_READWRITE section allows FILE_MAP_READ, FILE_MAP_WRITE, FILE_MAP_COPY and 0', () => {
    for (const a of [FILE_MAP_READ, FILE_MAP_WRITE, FILE_MAP_COPY, 0]) expect(sectionGrantsViewAccess(PAGE_READWRITE, a)).toBe(true);
  });

  it('B64: PAGE_READONLY and PAGE_WRITECOPY sections allow READ, COPY and 0 but not WRITE', () => {
    for (const sec of [PAGE_READONLY, PAGE_WRITECOPY]) {
      for (const a of [FILE_MAP_READ, FILE_MAP_COPY, 0]) expect(sectionGrantsViewAccess(sec, a)).toBe(true);
      expect(sectionGrantsViewAccess(sec, FILE_MAP_WRITE)).toBe(false);
    }
  });

  it('B64: an executable view needs an executable section', () => {
    expect(sectionGrantsViewAccess(PAGE_READWRITE, FILE_MAP_READ | FILE_MAP_EXECUTE)).toBe(false);
    expect(sectionGrantsViewAccess(PAGE_EXECUTE_READ, FILE_MAP_READ | FILE_MAP_EXECUTE)).toBe(true);
    expect(sectionGrantsViewAccess(PAGE_EXECUTE_WRITECOPY, FILE_MAP_COPY | FILE_MAP_EXECUTE)).toBe(true);
  });

  it('B65: viewRequiredAccess gives the section rights a handle must hold', () => {
    expect(viewRequiredAccess(0)).toBe(R);
    expect(viewRequiredAccess(FILE_MAP_READ)).toBe(R);
    expect(viewRequiredAccess(FILE_MAP_COPY)).toBe(R);
    expect(viewRequiredAccess(FILE_MAP_WRITE)).toBe(R | W);
    expect(viewRequiredAccess(FILE_MAP_READ | FILE_MAP_EXECUTE)).toBe(R | X);
    expect(viewRequiredAccess(FILE_MAP_ALL_ACCESS)).toBe(R | W);
  });
});

describe('validateSectionProtection', () => {
  // K32V test_CreateFileMapping_protection td[] success column.
  const B60_TABLE: ReadonlyArray<readonly [number, boolean]> = [
    [0x00, false], [0x01, false], [0x02, true], [0x03, false], [0x04, true], [0x05, false], [0x06, false], [0x07, false],
    [0x08, true], [0x09, false], [0x0a, false], [0x0b, false], [0x0c, false], [0x0d, false], [0x0e, false], [0x0f, false],
    [0x10, false], [0x20, true], [0x30, false], [0x40, true], [0x50, false], [0x60, false], [0x70, false],
    [0x80, true], [0x90, false], [0xa0, false], [0xb0, false], [0xc0, false], [0xd0, false], [0xe0, false], [0xf0, false],
  ];
  it.each(B60_TABLE.map(([p, ok]) => [hex(p), p, ok] as const))('B60: CreateFileMapping(%s) accepted iff listed', (_h, prot, ok) => {
    if (ok) expect(() => validateSectionProtection(prot)).not.toThrow();
    else expectInvalidProtection(() => validateSectionProtection(prot));
  });

  it('B60: PAGE_NOACCESS and PAGE_EXECUTE are refused', () => {
    expectInvalidProtection(() => validateSectionProtection(PAGE_NOACCESS));
    expectInvalidProtection(() => validateSectionProtection(PAGE_EXECUTE));
  });

  it('B60: page modifiers are refused on sections (use SEC_NOCACHE / SEC_WRITECOMBINE)', () => {
    expectInvalidProtection(() => validateSectionProtection(PAGE_READWRITE | PAGE_NOCACHE));
    expectInvalidProtection(() => validateSectionProtection(PAGE_READWRITE | PAGE_GUARD));
  });
});

describe('validateSectionAttributes', () => {
  // K32V test_CreateFileMapping sec_flag_tests: [flags, error (0 = ok), reported attributes].
  const ANONYMOUS: ReadonlyArray<readonly [string, number, number, number]> = [
    ['SEC_RESERVE', SEC_RESERVE, 0, SEC_RESERVE],
    ['SEC_RESERVE|SEC_NOCACHE', SEC_RESERVE | SEC_NOCACHE, 0, SEC_RESERVE | SEC_NOCACHE],
    ['SEC_RESERVE|SEC_LARGE_PAGES', SEC_RESERVE | SEC_LARGE_PAGES, ERROR_INVALID_PARAMETER, 0],
    ['SEC_RESERVE|SEC_WRITECOMBINE', SEC_RESERVE | SEC_WRITECOMBINE, 0, SEC_RESERVE | SEC_WRITECOMBINE],
    ['SEC_COMMIT', SEC_COMMIT, 0, SEC_COMMIT],
    ['SEC_COMMIT|SEC_NOCACHE', SEC_COMMIT | SEC_NOCACHE, 0, SEC_COMMIT | SEC_NOCACHE],
    ['SEC_COMMIT|SEC_WRITECOMBINE', SEC_COMMIT | SEC_WRITECOMBINE, 0, SEC_COMMIT | SEC_WRITECOMBINE],
    ['SEC_RESERVE|SEC_COMMIT', SEC_RESERVE | SEC_COMMIT, ERROR_INVALID_PARAMETER, 0],
    ['SEC_IMAGE', SEC_IMAGE, ERROR_BAD_EXE_FORMAT, 0],
    ['SEC_IMAGE|SEC_RESERVE', SEC_IMAGE | SEC_RESERVE, ERROR_INVALID_PARAMETER, 0],
    ['SEC_IMAGE|SEC_COMMIT', SEC_IMAGE | SEC_COMMIT, ERROR_INVALID_PARAMETER, 0],
    ['SEC_NOCACHE', SEC_NOCACHE, ERROR_INVALID_PARAMETER, 0],
    ['SEC_LARGE_PAGES', SEC_LARGE_PAGES, ERROR_INVALID_PARAMETER, 0],
    ['SEC_WRITECOMBINE', SEC_WRITECOMBINE, ERROR_INVALID_PARAMETER, 0],
    ['SEC_FILE', SEC_FILE, ERROR_INVALID_PARAMETER, 0],
    ['SEC_FILE|SEC_RESERVE', SEC_FILE | SEC_RESERVE, ERROR_INVALID_PARAMETER, 0],
    ['SEC_FILE|SEC_COMMIT', SEC_FILE | SEC_COMMIT, ERROR_INVALID_PARAMETER, 0],
    ['0', 0, 0, SEC_COMMIT],
  ];
  const FILE: ReadonlyArray<readonly [string, number, number, number]> = [
    ['SEC_RESERVE', SEC_RESERVE, 0, SEC_FILE],
    ['SEC_RESERVE|SEC_NOCACHE', SEC_RESERVE | SEC_NOCACHE, 0, SEC_FILE | SEC_NOCACHE],
    ['SEC_RESERVE|SEC_LARGE_PAGES', SEC_RESERVE | SEC_LARGE_PAGES, ERROR_INVALID_PARAMETER, 0],
    ['SEC_RESERVE|SEC_WRITECOMBINE', SEC_RESERVE | SEC_WRITECOMBINE, 0, SEC_FILE | SEC_WRITECOMBINE],
    ['SEC_COMMIT', SEC_COMMIT, 0, SEC_FILE],
    ['SEC_COMMIT|SEC_NOCACHE', SEC_COMMIT | SEC_NOCACHE, 0, SEC_FILE | SEC_NOCACHE],
    ['SEC_COMMIT|SEC_LARGE_PAGES', SEC_COMMIT | SEC_LARGE_PAGES, ERROR_INVALID_PARAMETER, 0],
    ['SEC_COMMIT|SEC_WRITECOMBINE', SEC_COMMIT | SEC_WRITECOMBINE, 0, SEC_FILE | SEC_WRITECOMBINE],
    ['SEC_RESERVE|SEC_COMMIT', SEC_RESERVE | SEC_COMMIT, ERROR_INVALID_PARAMETER, 0],
    // (A plain data file with SEC_IMAGE → ERROR_BAD_EXE_FORMAT comes from the PE checks, B89, not from here.)
    ['SEC_IMAGE|SEC_RESERVE', SEC_IMAGE | SEC_RESERVE, ERROR_INVALID_PARAMETER, 0],
    ['SEC_IMAGE|SEC_COMMIT', SEC_IMAGE | SEC_COMMIT, ERROR_INVALID_PARAMETER, 0],
    ['SEC_NOCACHE', SEC_NOCACHE, ERROR_INVALID_PARAMETER, 0],
    ['SEC_LARGE_PAGES', SEC_LARGE_PAGES, ERROR_INVALID_PARAMETER, 0],
    ['SEC_WRITECOMBINE', SEC_WRITECOMBINE, ERROR_INVALID_PARAMETER, 0],
    ['SEC_FILE', SEC_FILE, ERROR_INVALID_PARAMETER, 0],
    ['SEC_FILE|SEC_RESERVE', SEC_FILE | SEC_RESERVE, ERROR_INVALID_PARAMETER, 0],
    ['SEC_FILE|SEC_COMMIT', SEC_FILE | SEC_COMMIT, ERROR_INVALID_PARAMETER, 0],
    ['0', 0, 0, SEC_FILE],
    // PE image file rows
    ['SEC_IMAGE', SEC_IMAGE, 0, SEC_FILE | SEC_IMAGE],
    ['SEC_IMAGE|SEC_FILE', SEC_IMAGE | SEC_FILE, ERROR_INVALID_PARAMETER, 0],
    ['SEC_IMAGE|SEC_NOCACHE', SEC_IMAGE | SEC_NOCACHE, 0, SEC_FILE | SEC_IMAGE],
    ['SEC_IMAGE|SEC_LARGE_PAGES', SEC_IMAGE | SEC_LARGE_PAGES, ERROR_INVALID_PARAMETER, 0],
    ['SEC_IMAGE|SEC_WRITECOMBINE', SEC_IMAGE | SEC_WRITECOMBINE, ERROR_INVALID_PARAMETER, 0],
  ];

  const check = (anonymous: boolean, flags: number, error: number, attrs: number): void => {
    if (error === 0) {
      expect(validateSectionAttributes(flags, anonymous)).toBe(attrs >>> 0);
    } else if (error === ERROR_BAD_EXE_FORMAT) {
      expectWindowsError(() => validateSectionAttributes(flags, anonymous), STATUS_INVALID_FILE_FOR_SECTION, ERROR_BAD_EXE_FORMAT);
    } else {
      expectWindowsError(() => validateSectionAttributes(flags >>> 0, anonymous), STATUS_INVALID_PARAMETER_6, ERROR_INVALID_PARAMETER);
    }
  };

  it.each(ANONYMOUS)('B61: anonymous section with %s', (_n, flags, error, attrs) => check(true, flags, error, attrs));
  it.each(FILE)('B61: file-backed section with %s', (_n, flags, error, attrs) => check(false, flags, error, attrs));

  it('B61: no SEC flag means SEC_COMMIT for an anonymous section', () => {
    expect(validateSectionAttributes(0, true)).toBe(SEC_COMMIT);
  });

  it('B61: anonymous SEC_IMAGE → ERROR_BAD_EXE_FORMAT', () => {
    const e = expectWindowsError(() => validateSectionAttributes(SEC_IMAGE, true), STATUS_INVALID_FILE_FOR_SECTION, ERROR_BAD_EXE_FORMAT);
    expect(e.code).toBe('STATUS_INVALID_FILE_FOR_SECTION');
  });

  it('B61: SEC_NOCACHE|SEC_WRITECOMBINE together and unknown SEC bits are invalid', () => {
    check(true, SEC_COMMIT | SEC_NOCACHE | SEC_WRITECOMBINE, ERROR_INVALID_PARAMETER, 0);
    check(true, SEC_COMMIT | SEC_64K_PAGES, ERROR_INVALID_PARAMETER, 0);
  });

  it('B61: a signed int32 with SEC_LARGE_PAGES is handled like the unsigned value', () => {
    check(true, (SEC_COMMIT | SEC_LARGE_PAGES) | 0, ERROR_INVALID_PARAMETER, 0);
  });
});

describe('viewProtectAllowed', () => {
  // B68: access classes, WRITECOPY = R, EXECUTE = R|X.
  const CLASS = new Map<number, number>([
    [PAGE_NOACCESS, 0],
    [PAGE_READONLY, 1],
    [PAGE_WRITECOPY, 1],
    [PAGE_READWRITE, 3],
    [PAGE_EXECUTE, 5],
    [PAGE_EXECUTE_READ, 5],
    [PAGE_EXECUTE_WRITECOPY, 5],
    [PAGE_EXECUTE_READWRITE, 7],
  ]);
  const rows = BASES.flatMap((view) =>
    BASES.map((req) => [protectionName(view), protectionName(req), view, req, (CLASS.get(view)! & CLASS.get(req)!) === CLASS.get(req)!] as const),
  );
  it.each(rows)('B68: view AllocProt %s, requested %s → allowed = %s', (_v, _r, view, req, expected) => {
    expect(viewProtectAllowed(view, req)).toBe(expected);
  });

  it('B68: a FILE_MAP_READ view accepts READONLY and WRITECOPY, refuses READWRITE and EXECUTE_*', () => {
    const view = viewProtection(FILE_MAP_READ);
    expect(viewProtectAllowed(view, PAGE_READONLY)).toBe(true);
    expect(viewProtectAllowed(view, PAGE_WRITECOPY)).toBe(true);
    expect(viewProtectAllowed(view, PAGE_READWRITE)).toBe(false);
    for (const p of [PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY]) expect(viewProtectAllowed(view, p)).toBe(false);
  });

  it('B68: a FILE_MAP_WRITE view accepts PAGE_WRITECOPY', () => {
    expect(viewProtectAllowed(viewProtection(FILE_MAP_WRITE), PAGE_WRITECOPY)).toBe(true);
  });

  it('B69: commit on an anonymous view uses the same rule (READONLY fits a READWRITE view)', () => {
    expect(viewProtectAllowed(PAGE_READWRITE, PAGE_READONLY)).toBe(true);
    expect(viewProtectAllowed(PAGE_READONLY, PAGE_READWRITE)).toBe(false);
  });

  it('PAGE_NOACCESS always fits, even a NOACCESS view', () => {
    for (const v of BASES) expect(viewProtectAllowed(v, PAGE_NOACCESS)).toBe(true);
  });

  it('modifiers are ignored; an invalid requested base is never allowed', () => {
    expect(viewProtectAllowed(PAGE_READWRITE | PAGE_NOCACHE, PAGE_READONLY | PAGE_GUARD)).toBe(true);
    expect(viewProtectAllowed(PAGE_EXECUTE_READWRITE, 0)).toBe(false);
    expect(viewProtectAllowed(PAGE_EXECUTE_READWRITE, PAGE_READONLY | PAGE_READWRITE)).toBe(false);
  });
});

describe('imageRequestedProtection', () => {
  const B85_TABLE: ReadonlyArray<readonly [string, number, number]> = [
    ['PAGE_NOACCESS', PAGE_NOACCESS, PAGE_NOACCESS],
    ['PAGE_READONLY', PAGE_READONLY, PAGE_READONLY],
    ['PAGE_READWRITE', PAGE_READWRITE, PAGE_WRITECOPY],
    ['PAGE_WRITECOPY', PAGE_WRITECOPY, PAGE_WRITECOPY],
    ['PAGE_EXECUTE', PAGE_EXECUTE, PAGE_EXECUTE],
    ['PAGE_EXECUTE_READ', PAGE_EXECUTE_READ, PAGE_EXECUTE_READ],
    ['PAGE_EXECUTE_READWRITE', PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY],
    ['PAGE_EXECUTE_WRITECOPY', PAGE_EXECUTE_WRITECOPY, PAGE_EXECUTE_WRITECOPY],
  ];
  it.each(B85_TABLE)('B85: VirtualProtect(%s) inside an image stores the listed protection', (_n, req, stored) => {
    expect(imageRequestedProtection(req)).toBe(stored);
  });

  it('B85: every base value fits the image\'s AllocationProtect PAGE_EXECUTE_WRITECOPY after the mapping', () => {
    for (const b of BASES) expect(viewProtectAllowed(PAGE_EXECUTE_WRITECOPY, imageRequestedProtection(b))).toBe(true);
  });

  it('B85: modifier bits are kept', () => {
    expect(imageRequestedProtection(PAGE_READWRITE | PAGE_GUARD)).toBe(PAGE_WRITECOPY | PAGE_GUARD);
  });
});

describe('protectionName', () => {
  it('names base values, modifiers and unknown bits', () => {
    expect(protectionName(0)).toBe('0');
    expect(protectionName(PAGE_READWRITE)).toBe('PAGE_READWRITE');
    expect(protectionName(PAGE_READWRITE | PAGE_GUARD)).toBe('PAGE_READWRITE|PAGE_GUARD');
    expect(protectionName(PAGE_READONLY | PAGE_EXECUTE)).toBe('PAGE_READONLY|PAGE_EXECUTE');
    expect(protectionName(PAGE_READONLY | 0x80000000)).toBe('PAGE_READONLY|0x80000000');
  });
});
