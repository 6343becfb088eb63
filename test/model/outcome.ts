/**
 * Outcomes of a call on either side (mmukit, the model) in one shape, how to
 * compare them, and how to print them readably.
 */
import { WindowsError, WindowsExceptionError, statusName, win32ErrorName } from '../../src/index.js';
import { WIN32_ERROR_OF_STATUS } from './model-constants.js';
import { ModelCallError, ModelException, UnpinnedStatus } from './model-outcome.js';

export type Outcome<T> =
  | { readonly kind: 'ok'; readonly value: T }
  | { readonly kind: 'error'; readonly win32Error: number; readonly ntStatus: number | undefined }
  | { readonly kind: 'exception'; readonly code: number; readonly information: readonly number[] };

const hex = (n: number) => `0x${n.toString(16)}`;

/** Runs a kernel call; WindowsError and WindowsExceptionError are outcomes, anything else is a bug and propagates. */
export function kernelOutcome<T>(call: () => T): Outcome<T> {
  try {
    return { kind: 'ok', value: call() };
  } catch (error) {
    if (error instanceof WindowsError) return { kind: 'error', win32Error: error.win32Error, ntStatus: error.ntStatus };
    if (error instanceof WindowsExceptionError) {
      const record = error.record;
      if (record.numberParameters !== record.exceptionInformation.length || record.address !== record.exceptionInformation[1]) {
        throw new Error(`malformed exception record ${JSON.stringify(record)}`);
      }
      return { kind: 'exception', code: record.exceptionCode, information: record.exceptionInformation };
    }
    throw error;
  }
}

/** Runs a model call; ModelCallError and ModelException are outcomes (ModelMismatch and bugs propagate). */
export function modelOutcome<T>(call: () => T): Outcome<T> {
  try {
    return { kind: 'ok', value: call() };
  } catch (error) {
    if (error instanceof ModelCallError) return { kind: 'error', win32Error: error.win32Error, ntStatus: error.ntStatus };
    if (error instanceof ModelException) return { kind: 'exception', code: error.code, information: error.information };
    throw error;
  }
}

/** A readable rendering of an outcome, values through `show`. */
export function describeOutcome<T>(outcome: Outcome<T>, show: (value: T) => string = defaultShow): string {
  switch (outcome.kind) {
    case 'ok':
      return `ok ${show(outcome.value)}`;
    case 'error': {
      const status = outcome.ntStatus === undefined ? 'any NTSTATUS' : statusName(outcome.ntStatus);
      return `WindowsError ${win32ErrorName(outcome.win32Error)} (${outcome.win32Error}) / ${status}`;
    }
    case 'exception': {
      const [type, address] = outcome.information;
      const access = type === 1 ? 'write' : type === 8 ? 'execute' : 'read';
      return `WindowsExceptionError ${statusName(outcome.code)} (${access} at ${hex(address)})`;
    }
  }
}

const showUnpinned = (status: UnpinnedStatus) => `any status meaning ${win32ErrorName(status.win32Error)} (${status.why})`;

function defaultShow(value: unknown): string {
  if (typeof value === 'number') return hex(value);
  if (value instanceof UnpinnedStatus) return showUnpinned(value);
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (value === undefined) return '';
  if (Array.isArray(value)) return `[${value.map((v) => (typeof v === 'number' ? hex(v) : String(v))).join(', ')}]`;
  if (typeof value === 'object' && value !== null && value.constructor !== Object) {
    // A Process, a Section: never serialise the kernel behind it.
    const pid = (value as { pid?: unknown }).pid;
    return typeof pid === 'number' ? `pid ${pid}` : value.constructor.name;
  }
  return JSON.stringify(value, (_, v: unknown) => (typeof v === 'number' ? hex(v) : v instanceof UnpinnedStatus ? showUnpinned(v) : v));
}

/**
 * Why `actual` (mmukit) and `expected` (model) disagree, or null when they
 * agree. An error agrees when the Win32 error matches and, where the model
 * pins one, the NTSTATUS; an exception when its code and parameters match.
 */
export function disagreement<T>(actual: Outcome<T>, expected: Outcome<T>, sameValue: (a: T, b: T) => string | null): string | null {
  if (actual.kind === 'ok' && expected.kind === 'ok') return sameValue(actual.value, expected.value);
  if (actual.kind === 'error' && expected.kind === 'error') {
    if (actual.win32Error !== expected.win32Error) return 'different Win32 errors';
    if (expected.ntStatus !== undefined && actual.ntStatus !== expected.ntStatus >>> 0) return 'different NTSTATUS';
    return null;
  }
  if (actual.kind === 'exception' && expected.kind === 'exception') {
    if (actual.code !== expected.code >>> 0) return 'different exception codes';
    if (actual.information.length !== expected.information.length || actual.information.some((v, i) => v !== expected.information[i])) return 'different exception parameters';
    return null;
  }
  return 'different kinds of outcome';
}

/** Equal numbers. */
export function sameNumber(a: number, b: number): string | null {
  return a === b ? null : `${hex(a)} ≠ ${hex(b)}`;
}

/** Equal bytes, or where they first differ. */
export function sameBytes(a: Uint8Array, b: Uint8Array): string | null {
  if (a.length !== b.length) return `${a.length} bytes ≠ ${b.length} bytes`;
  if (Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length))) return null; // the common case, natively
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      const window = (x: Uint8Array) => Array.from(x.subarray(i, i + 8), (v) => v.toString(16).padStart(2, '0')).join(' ');
      return `bytes differ from offset ${hex(i)}: mmukit [${window(a)}], model [${window(b)}]`;
    }
  }
  return null;
}

/**
 * Equal results of an NT call, every field of either side: numbers (or undefined) equal; records
 * (NtQueryVirtualMemory's information) field by field in turn; a status the model leaves open
 * ({@link UnpinnedStatus}) matched by any status RtlNtStatusToDosError turns into its Win32 error.
 */
export function sameResult(actual: object, expected: object): string | null {
  const a = actual as Record<string, unknown>;
  const b = expected as Record<string, unknown>;
  const differing: string[] = [];
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const [x, y] = [a[key], b[key]];
    const records = typeof x === 'object' && x !== null && typeof y === 'object' && y !== null && !(y instanceof UnpinnedStatus);
    const why = records ? sameResult(x, y) : y instanceof UnpinnedStatus ? (typeof x === 'number' && WIN32_ERROR_OF_STATUS.get(x) === y.win32Error ? null : '') : x === y ? null : '';
    if (why !== null) differing.push(`${key}: ${why === '' ? `mmukit ${defaultShow(x)}, model ${defaultShow(y)}` : `{ ${why} }`}`);
  }
  return differing.length === 0 ? null : differing.join('; ');
}

/** Equal records, field by field (numbers). */
export function sameFields<T extends object>(a: T, b: T): string | null {
  const differing = Object.keys(b).filter((key) => (a as Record<string, unknown>)[key] !== (b as Record<string, unknown>)[key]);
  if (differing.length === 0) return null;
  return differing.map((key) => `${key}: mmukit ${defaultShow((a as Record<string, unknown>)[key])}, model ${defaultShow((b as Record<string, unknown>)[key])}`).join('; ');
}
