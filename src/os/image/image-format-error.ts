/**
 * The error `parsePe` throws for a malformed PE image.
 *
 * @module
 */

import { statusName } from '../rules/constants.js';
import { WindowsError } from '../rules/errors.js';

/**
 * A PE image is malformed: the NtCreateSection(SEC_IMAGE) / LoadLibrary
 * validation of B89 and [validation order](../../../docs/images.md#headers-and-validation) failed, or a field the
 * loader needs (sections, see [section protections](../../../docs/images.md#section-protections); base
 * relocations, see [base relocations](../../../docs/images.md#base-relocations); B95 step 4) is out of range.
 *
 * It is a {@link WindowsError}, so that one `catch` serves every failure of
 * the kernel's calls, image loading included: `ntStatus` and `win32Error` are
 * what NtCreateSection and LoadLibrary report. {@link MmukitError.code} is
 * always `'IMAGE_FORMAT'` (a WindowsError's is its status name), which tells a
 * malformed image from the kernel's other refusals. The error names the
 * NTSTATUS Windows would return (for example STATUS_INVALID_IMAGE_NOT_MZ,
 * 0xC000012F), the file offset of the offending field and the field's name
 * (the Windows structure member, for example `'e_lfanew'` or
 * `'IMAGE_BASE_RELOCATION.SizeOfBlock'`).
 *
 * @example
 * ```ts
 * let error: ImageFormatError | null = null;
 * try { parsePe(new Uint8Array(4096)); } catch (e) { if (e instanceof ImageFormatError) error = e; }
 * error!.ntStatus;     // 0xc000012f: STATUS_INVALID_IMAGE_NOT_MZ
 * error!.win32Error;   // 193: ERROR_BAD_EXE_FORMAT
 * error!.field;        // 'e_magic'
 * error!.offset;       // 0
 * error instanceof WindowsError; // true
 * ```
 */
export class ImageFormatError extends WindowsError {
  /** File offset of the offending field (0 when the whole input is at fault). */
  readonly offset: number;
  /** Name of the offending field, as the Windows SDK structures spell it. */
  readonly field: string;

  /**
   * Creates the error.
   * @param ntStatus - the NTSTATUS Windows reports for this defect.
   * @param offset - file offset of the field.
   * @param field - the field's name.
   * @param message - what is wrong, in words.
   */
  constructor(ntStatus: number, offset: number, field: string, message: string) {
    // An error constructor never throws: a status that is not a number (a bigint, say) counts as 0. The
    // Win32 error is RtlNtStatusToDosError's (ERROR_BAD_EXE_FORMAT for the STATUS_INVALID_IMAGE_* codes).
    const status = typeof ntStatus === 'number' ? ntStatus >>> 0 : 0;
    super(status, `${message} (${field} at file offset ${typeof offset === 'number' ? `0x${offset.toString(16)}` : String(offset)}: ${statusName(status)})`);
    // The one kind of WindowsError whose code is not its status name: a malformed image.
    (this as { code: string }).code = 'IMAGE_FORMAT';
    this.offset = offset;
    this.field = field;
  }
}
