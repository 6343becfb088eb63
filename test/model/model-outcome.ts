/**
 * What a call or an access is expected to do: succeed, fail with a Win32
 * error and NTSTATUS (a WindowsError), or raise an exception (a
 * WindowsExceptionError). The model throws {@link ModelCallError} and
 * {@link ModelException}; the runner compares them with what mmukit did.
 */
import type { AccessKind } from './model-protection.js';
import { EXCEPTION_EXECUTE_FAULT, EXCEPTION_READ_FAULT, EXCEPTION_WRITE_FAULT, STATUS_ACCESS_VIOLATION, STATUS_GUARD_PAGE_VIOLATION, STATUS_INVALID_HANDLE } from './model-constants.js';

/** A failed call. `ntStatus` undefined: the semantics pin only the Win32 error, so only it is compared. */
export class ModelCallError extends Error {
  constructor(
    readonly win32Error: number,
    readonly ntStatus: number | undefined,
    why: string,
  ) {
    super(why);
  }
}

/**
 * A process handle's failure, found where a call made through the handle checks its process (the
 * Ex calls, the NT calls' ProcessHandle): STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH,
 * STATUS_ACCESS_DENIED, STATUS_PROCESS_IS_TERMINATING. An NT call returns it as its status, even
 * STATUS_INVALID_HANDLE (only an exited process the call is made on throws).
 */
export class ModelHandleFailure extends ModelCallError {}

/**
 * The status an NT call returns where the semantics pin only the Win32 error (B19, B68, B69, ...):
 * any failure status that RtlNtStatusToDosError turns into `win32Error` agrees.
 */
export class UnpinnedStatus {
  constructor(
    readonly win32Error: number,
    readonly why: string,
  ) {}
}

/** What an NT call's status field is expected to be: an exact NTSTATUS, or one the semantics leave open. */
export type ModelStatus = number | UnpinnedStatus;

/** The status an NT call returns for a failure the Win32 flavour reports as `error`. */
export function statusOf(error: ModelCallError): ModelStatus {
  return error.ntStatus ?? new UnpinnedStatus(error.win32Error, error.message);
}

/**
 * Runs the Win32 flavour of an NT call: its value, or the NT call's failure made by `fail` from
 * the status the Win32 error carries. An exited process is not a status: it throws (docs/kernel.md, "Calls"); a
 * process handle's failure is ({@link ModelHandleFailure}).
 */
export function ntStep<T, F>(fail: (status: ModelStatus) => F, call: () => T): T | F {
  try {
    return call();
  } catch (error) {
    if (error instanceof ModelHandleFailure || (error instanceof ModelCallError && error.ntStatus !== STATUS_INVALID_HANDLE)) return fail(statusOf(error));
    throw error;
  }
}

/** An exception raised by an access (§1.6): code, and [access type, address]. */
export class ModelException extends Error {
  constructor(
    readonly code: number,
    readonly information: readonly number[],
  ) {
    super(`exception 0x${code.toString(16)} [${information.map((n) => '0x' + n.toString(16)).join(', ')}]`);
  }
}

/** The model and mmukit disagree about something the model can judge by itself (an address mmukit chose, say). */
export class ModelMismatch extends Error {}

const ACCESS_TYPE: Record<AccessKind, number> = { read: EXCEPTION_READ_FAULT, write: EXCEPTION_WRITE_FAULT, execute: EXCEPTION_EXECUTE_FAULT };

export function accessViolation(kind: AccessKind, address: number): ModelException {
  return new ModelException(STATUS_ACCESS_VIOLATION, [ACCESS_TYPE[kind], address]);
}

export function guardViolation(kind: AccessKind, address: number): ModelException {
  return new ModelException(STATUS_GUARD_PAGE_VIOLATION, [ACCESS_TYPE[kind], address]);
}
