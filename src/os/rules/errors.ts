/**
 * Errors of the kernel layer: a failed memory-management call
 * ({@link WindowsError}) and an exception a Windows program would receive
 * ({@link WindowsExceptionError}, carrying the EXCEPTION_RECORD fields Windows fills in).
 *
 * @module
 */

import { InvalidArgumentError, MmukitError, withoutStackTrace } from '../../mmu/errors.js';
import {
  EXCEPTION_EXECUTE_FAULT,
  EXCEPTION_READ_FAULT,
  EXCEPTION_WRITE_FAULT,
  STATUS_ACCESS_VIOLATION,
  STATUS_GUARD_PAGE_VIOLATION,
  STATUS_IN_PAGE_ERROR,
  ntStatusToWin32,
  statusName,
  win32ErrorName,
} from './constants.js';

/**
 * A failed memory-management call: carries the Win32 error (GetLastError) and
 * the NTSTATUS the NT call returns. Nothing was changed by the call. Thrown
 * by the {@link Process} and {@link Kernel} calls and by the protection
 * validators; each call's documentation lists the pairs it reports.
 *
 * {@link MmukitError.code} is the status name, for example
 * `'STATUS_INVALID_PAGE_PROTECTION'`. A number such as `(B41)` at the end of a
 * message names the Windows behaviour the check reproduces; the
 * [Windows behaviours](../../../docs/kernel.md#windows-behaviours-b1-to-b103) tables
 * of the kernel guide explain each one and the test that pins it.
 *
 * @example
 * ```ts
 * try { validateAllocProtection(PAGE_WRITECOPY); }
 * catch (e) { if (e instanceof WindowsError) console.log(e.code, e.win32Error); } // STATUS_INVALID_PAGE_PROTECTION 87
 * ```
 */
export class WindowsError extends MmukitError {
  /** The Win32 error code the kernel32 wrapper leaves in GetLastError, for example 87 (ERROR_INVALID_PARAMETER). */
  readonly win32Error: number;
  /** The NTSTATUS the NT call returns, as an unsigned number, for example 0xC0000045. */
  readonly ntStatus: number;
  /**
   * What a failed VirtualProtect leaves in `*lpflOldProtect`: PAGE_NOACCESS when
   * {@link Process.virtualProtect} failed on the address space (free memory, a range
   * spanning allocations, an uncommitted page, a protection the allocation refuses:
   * B3, B36), as NtProtectVirtualMemory writes it. Absent (`undefined`) on every other
   * error, including a VirtualProtect refused for its arguments or its process, where
   * Windows does not write the old protection.
   */
  readonly oldProtect?: number;

  /**
   * Creates the error.
   * @param ntStatus - the NTSTATUS of the NT-level call (signed or unsigned).
   * @param message - what went wrong.
   * @param win32Error - the Win32 error; defaults to {@link ntStatusToWin32}(ntStatus). Pass it when the
   *   kernel32 function reports a different code than the mapping gives.
   * @param oldProtect - for a failed VirtualProtect, the old protection it reports
   *   ({@link WindowsError.oldProtect}); omitted otherwise.
   */
  constructor(ntStatus: number, message: string, win32Error: number = ntStatusToWin32(ntStatus), oldProtect?: number) {
    // An error constructor must not throw: a value that is not a number (a bigint, say) counts as 0.
    const status = typeof ntStatus === 'number' ? ntStatus >>> 0 : 0;
    super(statusName(status), message);
    // In declaration order: the order of the error's JSON keys (toJSON lists own fields as assigned).
    this.win32Error = typeof win32Error === 'number' ? win32Error >>> 0 : ntStatusToWin32(status);
    this.ntStatus = status;
    // Only when given: other errors keep their own keys (and JSON) as they were.
    if (typeof oldProtect === 'number') this.oldProtect = oldProtect >>> 0;
  }

  /** The symbolic name of {@link WindowsError.win32Error}, for example `'ERROR_INVALID_PARAMETER'`. */
  get win32ErrorName(): string {
    return win32ErrorName(this.win32Error);
  }
}

/**
 * The access type stored in ExceptionInformation[0]: 0 read
 * ({@link EXCEPTION_READ_FAULT}), 1 write ({@link EXCEPTION_WRITE_FAULT}),
 * 8 execute ({@link EXCEPTION_EXECUTE_FAULT}).
 */
export type ExceptionAccessType = typeof EXCEPTION_READ_FAULT | typeof EXCEPTION_WRITE_FAULT | typeof EXCEPTION_EXECUTE_FAULT;

/**
 * An exception a Windows program would receive (the EXCEPTION_RECORD): the
 * fields an emulator needs to dispatch it to a guest handler.
 */
export interface ExceptionRecord {
  /** ExceptionCode, for example STATUS_ACCESS_VIOLATION (0xC0000005), as an unsigned number. */
  readonly exceptionCode: number;
  /** NumberParameters: 2 for access violations and guard pages, 3 for in-page errors. */
  readonly numberParameters: number;
  /** ExceptionInformation[0 .. numberParameters-1]: access type, address, then (in-page errors) the underlying NTSTATUS. */
  readonly exceptionInformation: readonly number[];
  /** The faulting data address (ExceptionInformation[1]). */
  readonly address: number;
}

/** The record {@link kernelException} hands its constructor call: taken as it is, not copied again. */
let kernelRecord: ExceptionRecord | null = null;

/** Checks ExceptionInformation[0]: EXCEPTION_READ_FAULT, EXCEPTION_WRITE_FAULT or EXCEPTION_EXECUTE_FAULT. */
function requireAccessType(type: unknown): void {
  if (type !== EXCEPTION_READ_FAULT && type !== EXCEPTION_WRITE_FAULT && type !== EXCEPTION_EXECUTE_FAULT) {
    throw new InvalidArgumentError(`the access type must be 0 (read), 1 (write) or 8 (execute), got ${String(type)}`);
  }
}

function accessTypeName(type: number): string {
  return type === EXCEPTION_WRITE_FAULT ? 'write' : type === EXCEPTION_EXECUTE_FAULT ? 'execute' : 'read';
}

/**
 * An exception a Windows program would receive, thrown out of an MMU access
 * when the kernel cannot resolve a fault (B50, B54–B57).
 * {@link MmukitError.code} is the exception-code name, for example
 * `'STATUS_ACCESS_VIOLATION'`.
 *
 * The faulting access changed nothing. An emulator dispatches the record to
 * the guest's exception handler (SEH) and, if it continues execution,
 * re-executes the instruction; after a STATUS_GUARD_PAGE_VIOLATION the guard
 * is already cleared, so the retried access succeeds.
 *
 * | exceptionCode | when | exceptionInformation |
 * |---|---|---|
 * | STATUS_ACCESS_VIOLATION (0xC0000005) | no allocation, not committed, or the protection forbids the access | [type, address] |
 * | STATUS_GUARD_PAGE_VIOLATION (0x80000001) | the first touch of a PAGE_GUARD page | [type, address] |
 * | STATUS_IN_PAGE_ERROR (0xC0000006) | physical memory ran out while resolving the fault | [type, address, STATUS_NO_MEMORY] |
 *
 * `type` is 0 read, 1 write, 8 execute.
 *
 * The ones a {@link Kernel} throws out of an access carry no JavaScript stack
 * frames: their `stack` is the name and message line alone (what `console.log`
 * and an uncaught-error report print first, followed by the `code` and `record`
 * fields). The exception is the guest's, raised where the guest's access
 * faulted, and capturing the host's stack would cost several times what the
 * rest of the fault costs. One made with `new`, or by {@link accessViolation}
 * and its siblings, captures the stack as any `Error` does.
 *
 * @example
 * ```ts
 * const kernel = new Kernel();
 * const p = kernel.createProcess();
 * const cpu = kernel.run(0, p);
 * try {
 *   cpu.mmu.read32(0x1234_0000);                 // nothing is allocated there
 * } catch (e) {
 *   if (!(e instanceof WindowsExceptionError)) throw e;
 *   e.code;                                      // 'STATUS_ACCESS_VIOLATION'
 *   e.record.exceptionCode;                      // 0xc0000005
 *   e.record.exceptionInformation;               // [0, 0x1234_0000]: a read at that address
 * }
 * ```
 */
export class WindowsExceptionError extends MmukitError {
  /** The exception record, frozen. */
  readonly record: ExceptionRecord;

  /**
   * Creates the error from a record.
   * @param record - the exception record (copied and frozen).
   * @throws {@link InvalidArgumentError} when `record` is not an object with an `exceptionInformation` array.
   */
  constructor(record: ExceptionRecord) {
    let frozen: ExceptionRecord;
    if (record === kernelRecord && record !== null) {
      frozen = record; // built frozen, from checked values, by kernelException
      kernelRecord = null;
    } else {
      if (record === null || typeof record !== 'object' || !Array.isArray(record.exceptionInformation)) {
        throw new InvalidArgumentError('record must be an exception record with an exceptionInformation array');
      }
      frozen = Object.freeze({
        exceptionCode: record.exceptionCode >>> 0,
        numberParameters: record.numberParameters,
        exceptionInformation: Object.freeze(record.exceptionInformation.slice()),
        address: record.address,
      });
    }
    super(statusName(frozen.exceptionCode));
    this.record = frozen;
  }

  /** The status, the access and the address, e.g. `STATUS_ACCESS_VIOLATION: write at 0x10000`; formatted when first read. */
  protected override describe(): string {
    const record = this.record;
    const info = record.exceptionInformation;
    let detail = '';
    if (info.length >= 2) detail = `: ${accessTypeName(info[0])} at ${typeof record.address === 'number' ? `0x${record.address.toString(16)}` : String(record.address)}`;
    if (info.length >= 3) detail += ` (${statusName(info[2])})`;
    return `${this.code}${detail}`;
  }
}

/** Builds the exception {@link kernelException} prepared in `kernelRecord` (no closure per fault). */
const makeKernelException = (): WindowsExceptionError => new WindowsExceptionError(kernelRecord!);

/**
 * The exception the kernel's fault handler throws: as the public
 * builders make it, without re-checking `accessType` (the handler derives it
 * from the fault's access), and without capturing a JavaScript stack, which
 * costs several times the rest of the fault. `Error.stackTraceLimit` is set to 0
 * for the construction only and restored, also when the engine has no such
 * knob or refuses the change (frozen intrinsics): the error then captures as usual.
 *
 * @param exceptionCode - STATUS_ACCESS_VIOLATION, STATUS_GUARD_PAGE_VIOLATION or STATUS_IN_PAGE_ERROR.
 * @param accessType - 0 read, 1 write, 8 execute.
 * @param address - the faulting address.
 * @param underlyingStatus - for STATUS_IN_PAGE_ERROR, the NTSTATUS behind it (a third parameter); -1 for none.
 * @internal
 */
export function kernelException(exceptionCode: number, accessType: ExceptionAccessType, address: number, underlyingStatus = -1): WindowsExceptionError {
  const record: ExceptionRecord = Object.freeze({
    exceptionCode: exceptionCode >>> 0,
    numberParameters: underlyingStatus === -1 ? 2 : 3,
    exceptionInformation: Object.freeze(underlyingStatus === -1 ? [accessType, address] : [accessType, address, underlyingStatus >>> 0]),
    address,
  });
  kernelRecord = record;
  return withoutStackTrace(makeKernelException);
}

/**
 * Builds the STATUS_ACCESS_VIOLATION exception (B54, B56):
 * NumberParameters 2, [0] = access type, [1] = address.
 *
 * @param accessType - 0 read, 1 write, 8 execute.
 * @param address - the faulting data address.
 * @returns the exception, ready to throw.
 *
 * @throws {@link InvalidArgumentError} when `accessType` is not 0, 1 or 8.
 * @example
 * ```ts
 * const e = accessViolation(EXCEPTION_WRITE_FAULT, 0x1000);
 * e.message;                      // 'STATUS_ACCESS_VIOLATION: write at 0x1000'
 * e.record.exceptionInformation;  // [1, 0x1000]
 * ```
 */
export function accessViolation(accessType: ExceptionAccessType, address: number): WindowsExceptionError {
  requireAccessType(accessType);
  return new WindowsExceptionError({
    exceptionCode: STATUS_ACCESS_VIOLATION,
    numberParameters: 2,
    exceptionInformation: [accessType, address],
    address,
  });
}

/**
 * Builds the STATUS_GUARD_PAGE_VIOLATION exception raised by the first touch
 * of a guard page (B50, B55): NumberParameters 2, [0] = access type,
 * [1] = address.
 *
 * @param accessType - 0 read, 1 write, 8 execute.
 * @param address - the accessed address.
 * @returns the exception, ready to throw.
 * @throws {@link InvalidArgumentError} when `accessType` is not 0, 1 or 8.
 */
export function guardPageViolation(accessType: ExceptionAccessType, address: number): WindowsExceptionError {
  requireAccessType(accessType);
  return new WindowsExceptionError({
    exceptionCode: STATUS_GUARD_PAGE_VIOLATION,
    numberParameters: 2,
    exceptionInformation: [accessType, address],
    address,
  });
}

/**
 * Builds the STATUS_IN_PAGE_ERROR exception raised when the data of a valid
 * page cannot be supplied (B57): NumberParameters 3, [0] = access type,
 * [1] = address, [2] = the underlying NTSTATUS.
 *
 * @param accessType - 0 read, 1 write, 8 execute.
 * @param address - the faulting address.
 * @param underlyingStatus - why the page could not be supplied, for example STATUS_NO_MEMORY.
 * @returns the exception, ready to throw.
 * @throws {@link InvalidArgumentError} when `accessType` is not 0, 1 or 8.
 */
export function inPageError(accessType: ExceptionAccessType, address: number, underlyingStatus: number): WindowsExceptionError {
  requireAccessType(accessType);
  return new WindowsExceptionError({
    exceptionCode: STATUS_IN_PAGE_ERROR,
    numberParameters: 3,
    exceptionInformation: [accessType, address, underlyingStatus >>> 0],
    address,
  });
}
