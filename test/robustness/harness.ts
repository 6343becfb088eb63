/**
 * The table-driven harness of the bad-argument tests.
 *
 * Each test file holds a table: one row per public entry point (see public-api.ts), each row a
 * fixture and a list of cases — a bad value set (a list, or a fast-check arbitrary) and the
 * contract: the typed error (class, and the Win32 error / NTSTATUS where windows-semantics.md
 * gives one), or a documented return value for total functions. Every bad call is checked
 * against a full snapshot (snapshot.ts) taken before and after it: a rejected call changes nothing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  MmukitError,
  WindowsError,
  statusName,
  type Kernel,
} from '../../src/index.js';
import { publicEntryPoints, type EntryName } from './public-api.js';
import { snapshot, type SnapshotTargets } from './snapshot.js';

// ------------------------------------------------------------------ bad values

/** Numbers that are not integers. */
export const NON_INTEGERS: readonly unknown[] = [NaN, Infinity, -Infinity, 0.5, 4096.5, -0.5, Number.EPSILON];
/** Negative integers. */
export const NEGATIVES: readonly unknown[] = [-1, -4096, -(2 ** 31), -(2 ** 53 - 1)];
/** Integers too large for an address: 2^53, 2^64, the largest double. */
export const HUGE: readonly unknown[] = [2 ** 53, 2 ** 53 + 2, 2 ** 64, Number.MAX_VALUE];
/** Values of the wrong type, some of which JavaScript arithmetic would coerce to a plausible number. */
export const WRONG_TYPES: readonly unknown[] = ['4096', '0x10000', '', null, {}, [], [4096], true, 4096n, { valueOf: () => 0x10000 }, new Date(0x10000)];
/** Every kind of bad number and wrong type. */
export const NOT_AN_INTEGER: readonly unknown[] = [...NON_INTEGERS, ...WRONG_TYPES];
/** Bad values for a non-negative integer argument. */
export const BAD_COUNT: readonly unknown[] = [...NON_INTEGERS, ...NEGATIVES, ...HUGE, ...WRONG_TYPES];
/** Objects that are not what a parameter wants. */
export const NOT_OBJECTS: readonly unknown[] = [null, 42, 'object', true, 1n];

/** Any value that is not a JavaScript number (strings, null, undefined, objects, bigints, booleans). */
export const notANumber: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom(null, undefined, true, false, {}, [], [1], { valueOf: () => 4096 }),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
);

/** Numbers that are not integers in [min, max], and values that are not numbers at all. */
export function outside(min: number, max: number, options: { types?: boolean } = {}): fc.Arbitrary<unknown> {
  const numbers = fc.oneof(
    fc.double({ noNaN: false }).filter((x) => !(Number.isInteger(x) && x >= min && x <= max)),
    fc.constantFrom(NaN, Infinity, -Infinity, min - 1, max + 1, min - 0.5, 2 ** 53, 2 ** 64).filter((x) => !(Number.isInteger(x) && x >= min && x <= max)),
  );
  return options.types === false ? numbers : fc.oneof(numbers, notANumber);
}

/** A short, readable rendering of a bad value for failure messages. */
export function show(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isInteger(value) && Math.abs(value) > 4096 ? `0x${value.toString(16)}` : String(value);
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as Uint8Array).length})`;
  if (typeof value === 'function') return 'function';
  if (value !== null && typeof value === 'object' && value.constructor !== Object && value.constructor !== Array) return `a ${value.constructor?.name ?? 'object'}`;
  try {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 100 ? `${text.slice(0, 100)}…` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

// ------------------------------------------------------------------ contracts

/** The error a bad call must throw. */
export interface ErrorSpec {
  readonly error: abstract new (...args: never[]) => Error;
  /** MmukitError.code, when pinned. */
  readonly code?: string;
  /** WindowsError / ImageFormatError: the Win32 error (GetLastError). */
  readonly win32?: number;
  /** WindowsError / ImageFormatError: the NTSTATUS. */
  readonly nt?: number;
  /** A pattern the message must match, when pinned. */
  readonly message?: RegExp;
}

/** A total function: it returns for every input; `check` says what the result must be. */
export interface ReturnSpec {
  readonly returns: (result: unknown, bad: unknown) => boolean;
  /** The documented contract, in words. */
  readonly contract: string;
}

export type Expectation = ErrorSpec | ReturnSpec;

/** InvalidArgumentError (the hardware half's typed error). */
export const INVALID_ARGUMENT: ErrorSpec = { error: InvalidArgumentError, code: 'INVALID_ARGUMENT' };

/** A WindowsError with this Win32 error and, when given, this NTSTATUS. */
export function win32(win32Error: number, ntStatus?: number): ErrorSpec {
  return { error: WindowsError, win32: win32Error, nt: ntStatus };
}

/** Any error of this class (the TLB module's documented RangeError, for example). */
export function throws(error: ErrorSpec['error'], code?: string): ErrorSpec {
  return { error, code };
}

/**
 * `spec`, for an options object with an unknown key: the message names the key and suggests
 * `suggestion` (the known key the typo is closest to), as TypeScript's "did you mean" does.
 */
export function unknownKey(spec: ErrorSpec, key: string, suggestion: string): ErrorSpec {
  return { ...spec, message: new RegExp(`unknown option \`${key}\`.*did you mean \`${suggestion}\`\\?`) };
}

/** A total function returning a value that satisfies `check`. */
export function returns(contract: string, check: (result: unknown, bad: unknown) => boolean): ReturnSpec {
  return { returns: check, contract };
}

// ------------------------------------------------------------------ tables

/** One bad-argument case of an entry point. */
export interface Case<C> {
  /** What is wrong, in words. */
  readonly what: string;
  /** The bad values: a list, or a fast-check arbitrary (run `FC_RUNS` times with a fixed seed). */
  readonly values: readonly unknown[] | fc.Arbitrary<unknown>;
  /** Makes the call with one bad value. */
  readonly call: (ctx: C, bad: never) => unknown;
  /** The contract. */
  readonly expect: Expectation;
}

/** One entry point: its fixture and its cases. A row without cases documents an entry point that takes no arguments. */
export interface Row<C = never> {
  readonly entry: EntryName;
  readonly setup: () => C;
  /** What a snapshot of the fixture covers. */
  readonly state: (ctx: C) => SnapshotTargets | Kernel;
  readonly cases: readonly Case<C>[];
  /** Why the row has no cases, or what it deliberately does not check. */
  readonly note?: string;
}

/** How many values a fast-check case tries. */
export const FC_RUNS = 30;

/** Builds a row. */
export function row<C>(entry: EntryName, fixture: { setup: () => C; state: (ctx: C) => SnapshotTargets | Kernel }, cases: readonly Case<C>[], note?: string): Row<C> {
  return { entry, setup: fixture.setup, state: fixture.state, cases, note };
}

/** Builds a case. */
export function bad<C, V = never>(what: string, values: readonly unknown[] | fc.Arbitrary<unknown>, call: (ctx: C, bad: V) => unknown, expectation: Expectation): Case<C> {
  return { what, values, call: call as (ctx: C, bad: never) => unknown, expect: expectation };
}

/** A row for an entry point without arguments (nothing to feed it). */
export function noArguments<C>(entry: EntryName, fixture: { setup: () => C; state: (ctx: C) => SnapshotTargets | Kernel }, note = 'takes no arguments'): Row<C> {
  return row(entry, fixture, [], note);
}

function describeError(error: unknown): string {
  if (error instanceof WindowsError) return `${error.constructor.name}(${error.code}, win32 ${error.win32Error})`;
  if (error instanceof MmukitError) return `${error.constructor.name}(${error.code}): ${error.message}`;
  if (error instanceof Error) return `${error.constructor.name}: ${error.message}`;
  return String(error);
}

/** Checks one outcome against the contract. */
function checkOutcome(label: string, expectation: Expectation, threw: boolean, outcome: unknown, value: unknown): void {
  if ('returns' in expectation) {
    expect(threw, `${label}: expected a return (${expectation.contract}), got ${threw ? describeError(outcome) : ''}`).toBe(false);
    expect(expectation.returns(outcome, value), `${label}: result ${show(outcome)} breaks the contract: ${expectation.contract}`).toBe(true);
    return;
  }
  expect(threw, `${label}: expected ${expectation.error.name}, but the call returned ${show(outcome)}`).toBe(true);
  expect(outcome instanceof expectation.error, `${label}: expected ${expectation.error.name}, got ${describeError(outcome)}`).toBe(true);
  const e = outcome as { code?: string; win32Error?: number; ntStatus?: number };
  if (expectation.code !== undefined) expect(e.code, label).toBe(expectation.code);
  if (expectation.win32 !== undefined) expect(e.win32Error, `${label}: ${describeError(outcome)}`).toBe(expectation.win32);
  if (expectation.nt !== undefined) expect(statusName(e.ntStatus ?? 0), `${label}: ${describeError(outcome)}`).toBe(statusName(expectation.nt));
  if (expectation.message !== undefined) expect((outcome as Error).message, label).toMatch(expectation.message);
}

/** Runs one bad call and checks the contract and that the fixture's state is unchanged. */
function runOne<C>(rowEntry: EntryName, ctx: C, state: (ctx: C) => SnapshotTargets | Kernel, c: Case<C>, value: unknown): void {
  const label = `${rowEntry} — ${c.what} — ${show(value)}`;
  const before = snapshot(state(ctx));
  let threw = false;
  let outcome: unknown;
  try {
    outcome = c.call(ctx, value as never);
  } catch (error) {
    threw = true;
    outcome = error;
  }
  checkOutcome(label, c.expect, threw, outcome, value);
  expect(snapshot(state(ctx)), `${label}: the state changed`).toEqual(before);
}

/** Counts the bad calls made, per file (printed in afterAll by the test files). */
export const counter = { calls: 0, rows: 0 };

/** Registers one vitest test per row. */
export function runTable(rows: readonly Row<any>[]): void {
  for (const r of rows) {
    it(r.cases.length === 0 ? `${r.entry} (${r.note ?? 'no cases'})` : r.entry, () => {
      counter.rows++;
      const ctx = r.setup();
      for (const c of r.cases) {
        if (Array.isArray(c.values)) {
          for (const value of c.values) {
            runOne(r.entry, ctx, r.state, c, value);
            counter.calls++;
          }
        } else {
          fc.assert(
            fc.property(c.values as fc.Arbitrary<unknown>, (value) => {
              runOne(r.entry, ctx, r.state, c, value);
              counter.calls++;
            }),
            { numRuns: FC_RUNS, seed: 0x5eed, endOnFailure: true },
          );
        }
      }
    });
  }
}

// ------------------------------------------------------------------ coverage

/** Which test file covers an entry point. */
export type Layer = 'hardware' | 'tlb' | 'kernel' | 'image';

const TLB_CLASSES = ['Tlb', 'TlbHierarchy', 'ReplacementState', 'TlbStats', 'TlbConfigError', 'RegionTree'];
const TLB_FUNCTIONS = ['validateTlbConfig', 'fullyAssociativeTlb', 'setIndexOf'];
const KERNEL_CLASSES = ['Kernel', 'Process', 'Section', 'Allocation', 'AddressSpace', 'WindowsError', 'WindowsExceptionError', 'HandleTable', 'FileObject', 'Thread'];
const IMAGE_CLASSES = ['ImageFormatError', 'ExportTable'];
const IMAGE_ENTRIES = ['Process.loadImage', 'Kernel.createImageSection'];
const IMAGE_FUNCTIONS = [
  'parsePe', 'pageProtections', 'sharedPages', 'sectionProtection', 'originalPage', 'originalImage', 'fixupPages', 'imagePageCount', 'relocatedPage', 'relocateImage', 'aslrEligible', 'imageReport', 'frameMappingCounts',
  'fileReader', 'parseForwarder', 'peExports', 'peImports', 'peTlsDirectory', 'readImports', 'readTlsDirectory',
];
const KERNEL_FUNCTIONS = [
  'ntStatusToWin32', 'isNtSuccess', 'statusName', 'win32ErrorName', 'accessViolation', 'guardPageViolation', 'inPageError',
  'baseProtection', 'isSingleBit', 'protectionName', 'validateAllocProtection', 'validateViewProtection', 'protectionAccess',
  'reportedProtection', 'viewProtection', 'viewRequiredAccess', 'sectionGrantsViewAccess', 'sectionAllowsViewProtection', 'validateSectionProtection',
  'validateSectionAttributes', 'viewProtectAllowed', 'imageRequestedProtection', 'processReport', 'systemReport',
  'formatProcessReport', 'verify', 'objectPath', 'sectionAccessForView', 'stackSizes',
];

/** The class or function an entry point name belongs to. */
function owner(entry: EntryName): string {
  return entry.replace(/^(new|set|static) /, '').split('.')[0];
}

/** The test file that covers `entry`. */
export function layerOf(entry: EntryName): Layer {
  if (IMAGE_ENTRIES.includes(entry)) return 'image';
  const name = owner(entry);
  if (TLB_CLASSES.includes(name) || TLB_FUNCTIONS.includes(name)) return 'tlb';
  if (KERNEL_CLASSES.includes(name) || KERNEL_FUNCTIONS.includes(name)) return 'kernel';
  if (IMAGE_CLASSES.includes(name) || IMAGE_FUNCTIONS.includes(name)) return 'image';
  return 'hardware';
}

/** Registers the check that `rows` are exactly the public entry points of `layer`. */
export function coverageTest(layer: Layer, rows: readonly Row<any>[]): void {
  describe(`coverage of the ${layer} layer`, () => {
    it('has one row per public entry point of the layer, and no stale rows', () => {
      const expected = publicEntryPoints().filter((entry) => layerOf(entry) === layer);
      const listed = rows.map((r) => r.entry);
      expect(listed.filter((entry, i) => listed.indexOf(entry) !== i), 'rows listed twice').toEqual([]);
      expect([...listed].sort(), 'rows versus public entry points').toEqual(expected);
    });
  });
}
