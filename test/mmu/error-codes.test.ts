/**
 * MmukitError.code is a union of the codes that exist: every code thrown anywhere is in it.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as mmukit from '../../src/index.js';
import {
  FaultLoopError,
  ImageFormatError,
  InvalidArgumentError,
  MMUKIT_ERROR_CODES,
  MmukitError,
  NT_STATUS_NAMES,
  OutOfFramesError,
  PageFaultError,
  PhysicalAccessError,
  TranslationFault,
  WindowsError,
  WindowsExceptionError,
  statusName,
  type MmukitErrorCode,
} from '../../src/index.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [readFileSync(join(dir, e.name), 'utf8')] : []));

describe('MmukitError.code', () => {
  it('is typed as the union of the codes: a misspelt code does not type-check', () => {
    const e = new OutOfFramesError(1, 0) as MmukitError;
    expectTypeOf(e.code).toEqualTypeOf<MmukitErrorCode>();
    // @ts-expect-error: 'OUT_OF_FRAME' is no code (TS2367)
    expect(e.code === 'OUT_OF_FRAME').toBe(false);
    // @ts-expect-error: nor is a misspelt status name
    expect(e.code === 'STATUS_ACESS_VIOLATION').toBe(false);
    expect(e.code === 'OUT_OF_FRAMES').toBe(true);
  });

  it('every error class builds a code of the list', () => {
    const fault = TranslationFault.create('x86', 0x1000, 0, 0, 1, 0, 0, false);
    const errors: MmukitError[] = [
      new InvalidArgumentError('x'),
      new PhysicalAccessError(0, 4, false, 'UNMAPPED'),
      new PhysicalAccessError(0, 4, true, 'ROM_WRITE'),
      new OutOfFramesError(1, 0),
      new PageFaultError(fault),
      new FaultLoopError(fault),
      new ImageFormatError(0xc000012f, 0, 'e_magic', 'x'),
      mmukit.accessViolation(0, 0x1000),
      mmukit.guardPageViolation(1, 0x1000),
      mmukit.inPageError(8, 0x1000, 0xc0000017),
    ];
    for (const e of errors) expect(MMUKIT_ERROR_CODES, e.name).toContain(e.code);
  });

  it('every NTSTATUS the library exports names a code of the list, and no listed status is missing from the table', () => {
    const exported = Object.entries(mmukit).filter(([name, value]) => name.startsWith('STATUS_') && typeof value === 'number') as [string, number][];
    expect(exported.length).toBeGreaterThan(50);
    for (const [name, value] of exported) {
      expect(statusName(value), name).toBe(name);
      expect(MMUKIT_ERROR_CODES, name).toContain(new WindowsError(value, 'x').code);
    }
    expect([...NT_STATUS_NAMES].sort()).toEqual(exported.map(([name]) => name).sort());
    const record = new WindowsExceptionError({ exceptionCode: mmukit.STATUS_ACCESS_VIOLATION, numberParameters: 2, exceptionInformation: [0, 0], address: 0 });
    expect(MMUKIT_ERROR_CODES).toContain(record.code);
  });

  it('every code written in the sources is in the list: super(code) literals and the statuses thrown', () => {
    const text = sources(SRC).join('\n');
    // ImageFormatError, a WindowsError, sets its code after the WindowsError constructor: `.code = '…'`.
    const literals = [...text.matchAll(/super\(\s*'([A-Z_]+)'/g), ...text.matchAll(/\.code = '([A-Z_]+)'/g)].map((m) => m[1]);
    expect(literals.length).toBeGreaterThanOrEqual(5);
    const statuses = [...text.matchAll(/new WindowsError\(\s*(STATUS_\w+)/g), ...text.matchAll(/exceptionCode: (STATUS_\w+)/g)].map((m) => m[1]);
    expect(statuses.length).toBeGreaterThan(20);
    for (const code of [...literals, ...statuses]) expect(MMUKIT_ERROR_CODES, code).toContain(code);
    // PhysicalAccessError derives its two codes from its reason argument.
    expect(MMUKIT_ERROR_CODES).toEqual(expect.arrayContaining(['PHYSICAL_UNMAPPED', 'PHYSICAL_ROM_WRITE']));
  });
});

describe('error JSON', () => {
  it('lists the codes of a WindowsError Win32 first, as its fields are declared (with fields compiled as assignments, the constructor decides the order)', () => {
    const json = JSON.stringify(new WindowsError(0xc000_0045, 'bad protection', 87));
    expect(json).toBe('{"name":"WindowsError","code":"STATUS_INVALID_PAGE_PROTECTION","message":"bad protection","win32Error":87,"ntStatus":3221225541}');
  });
});
