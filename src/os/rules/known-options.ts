/**
 * The kernel calls' check for unknown option keys: a plain-JavaScript
 * caller's typo fails the call as a bad parameter would on Windows.
 *
 * @module
 */

import { unknownKeyMessage } from '../../tlb/option-keys.js';
import { ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER } from './constants.js';
import { WindowsError } from './errors.js';

/**
 * Throws when `options` has a key outside `known` (see {@link unknownKeyMessage}).
 *
 * @throws {@link WindowsError} STATUS_INVALID_PARAMETER / ERROR_INVALID_PARAMETER naming the key and the closest known one.
 * @internal
 */
export function requireKnownOptions(options: object, known: readonly string[], what: string): void {
  const message = unknownKeyMessage(options, known, what);
  if (message !== null) throw new WindowsError(STATUS_INVALID_PARAMETER, message, ERROR_INVALID_PARAMETER);
}
