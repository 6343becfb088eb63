/**
 * Every {@link MmukitError.code} mmukit throws, in one list, so that the
 * type of `code` is a union of literals that cannot drift from what is thrown.
 *
 * The hardware half's own codes sit beside the kernel's (the NTSTATUS names
 * {@link WindowsError} and {@link WindowsExceptionError} carry, and
 * `'IMAGE_FORMAT'`): the base class is defined here, below the kernel, and
 * its `code` must name them all. These are names only; the kernel's
 * status table (`src/os/rules/constants.ts`) is checked against this list at
 * compile time (`satisfies`), so adding a status there without adding it
 * here, or the reverse, fails the build.
 *
 * @module
 */

/** The codes of the hardware half's errors. */
export const HARDWARE_ERROR_CODES = ['INVALID_ARGUMENT', 'PHYSICAL_UNMAPPED', 'PHYSICAL_ROM_WRITE', 'OUT_OF_FRAMES', 'PAGE_FAULT', 'FAULT_LOOP', 'SAVED_STATE'] as const;

/** The NTSTATUS names a {@link WindowsError} or {@link WindowsExceptionError} carries as its code (the kernel's status table). */
export const NT_STATUS_NAMES = [
  'STATUS_SUCCESS', 'STATUS_WORKING_SET_LIMIT_RANGE', 'STATUS_IMAGE_NOT_AT_BASE', 'STATUS_GUARD_PAGE_VIOLATION',
  'STATUS_DATATYPE_MISALIGNMENT', 'STATUS_PARTIAL_COPY', 'STATUS_INVALID_INFO_CLASS', 'STATUS_INFO_LENGTH_MISMATCH',
  'STATUS_ACCESS_VIOLATION', 'STATUS_IN_PAGE_ERROR', 'STATUS_INVALID_HANDLE', 'STATUS_INVALID_PARAMETER',
  'STATUS_NO_MEMORY', 'STATUS_CONFLICTING_ADDRESSES', 'STATUS_NOT_MAPPED_VIEW', 'STATUS_UNABLE_TO_FREE_VM',
  'STATUS_UNABLE_TO_DELETE_SECTION', 'STATUS_ILLEGAL_INSTRUCTION', 'STATUS_INVALID_VIEW_SIZE',
  'STATUS_INVALID_FILE_FOR_SECTION', 'STATUS_ALREADY_COMMITTED', 'STATUS_ACCESS_DENIED',
  'STATUS_UNABLE_TO_DECOMMIT_VM', 'STATUS_NOT_LOCKED', 'STATUS_NOT_COMMITTED', 'STATUS_SECTION_TOO_BIG', 'STATUS_INVALID_PAGE_PROTECTION',
  'STATUS_SECTION_NOT_IMAGE', 'STATUS_SECTION_PROTECTION', 'STATUS_INVALID_IMAGE_FORMAT',
  'STATUS_INSUFFICIENT_RESOURCES', 'STATUS_FREE_VM_NOT_AT_BASE', 'STATUS_MEMORY_NOT_ALLOCATED',
  'STATUS_NOT_SUPPORTED', 'STATUS_NOT_SAME_DEVICE', 'STATUS_INVALID_PARAMETER_1', 'STATUS_INVALID_PARAMETER_2',
  'STATUS_INVALID_PARAMETER_3', 'STATUS_INVALID_PARAMETER_4', 'STATUS_INVALID_PARAMETER_5',
  'STATUS_INVALID_PARAMETER_6', 'STATUS_INVALID_PARAMETER_7', 'STATUS_INVALID_PARAMETER_8',
  'STATUS_INVALID_PARAMETER_9', 'STATUS_INVALID_PARAMETER_10', 'STATUS_INVALID_PARAMETER_11',
  'STATUS_INVALID_PARAMETER_12', 'STATUS_STACK_OVERFLOW', 'STATUS_INVALID_IMAGE_NE_FORMAT',
  'STATUS_MAPPED_FILE_SIZE_ZERO', 'STATUS_COMMITMENT_LIMIT', 'STATUS_INVALID_IMAGE_NOT_MZ',
  'STATUS_INVALID_IMAGE_PROTECT', 'STATUS_INVALID_IMAGE_WIN_16', 'STATUS_INVALID_ADDRESS', 'STATUS_DLL_INIT_FAILED',
  'STATUS_MAPPED_ALIGNMENT', 'STATUS_INVALID_IMAGE_WIN_32', 'STATUS_INVALID_IMAGE_WIN_64',
  'STATUS_WAS_LOCKED', 'STATUS_PRIVILEGE_NOT_HELD', 'STATUS_NOT_MAPPED_DATA', 'STATUS_OBJECT_NAME_EXISTS',
  'STATUS_OBJECT_TYPE_MISMATCH', 'STATUS_OBJECT_NAME_INVALID', 'STATUS_OBJECT_NAME_NOT_FOUND', 'STATUS_OBJECT_NAME_COLLISION',
  'STATUS_HANDLE_NOT_CLOSABLE', 'STATUS_OBJECT_PATH_NOT_FOUND',
  'STATUS_DLL_NOT_FOUND', 'STATUS_ORDINAL_NOT_FOUND', 'STATUS_ENTRYPOINT_NOT_FOUND', 'STATUS_PROCEDURE_NOT_FOUND',
  'STATUS_INVALID_CID', 'STATUS_PROCESS_IS_TERMINATING',
] as const;

/** One of {@link NT_STATUS_NAMES}. */
export type NtStatusName = (typeof NT_STATUS_NAMES)[number];

/**
 * Every value {@link MmukitError.code} can take: `'INVALID_ARGUMENT'`,
 * `'PHYSICAL_UNMAPPED'`, `'PHYSICAL_ROM_WRITE'`, `'OUT_OF_FRAMES'`,
 * `'PAGE_FAULT'`, `'FAULT_LOOP'`, `'SAVED_STATE'`, `'IMAGE_FORMAT'`, or an NTSTATUS name
 * ({@link NtStatusName}). `` `NTSTATUS_0x${string}` `` is the code of a
 * {@link WindowsError} an emulator builds itself for a status outside the
 * table (mmukit throws none).
 *
 * A comparison with a misspelt code does not type-check:
 * ```ts
 * declare const e: MmukitError;
 * e.code === 'OUT_OF_FRAMES';   // fine
 * // e.code === 'OUT_OF_FRAME'; // error TS2367: no overlap
 * ```
 */
export type MmukitErrorCode = (typeof HARDWARE_ERROR_CODES)[number] | 'IMAGE_FORMAT' | NtStatusName | `NTSTATUS_0x${string}`;

/**
 * Every code of {@link MmukitErrorCode} but the `NTSTATUS_0x…` form (which
 * mmukit never throws), for run-time checks: a `switch` over codes, a test.
 */
export const MMUKIT_ERROR_CODES: readonly MmukitErrorCode[] = Object.freeze([...HARDWARE_ERROR_CODES, 'IMAGE_FORMAT', ...NT_STATUS_NAMES]);
