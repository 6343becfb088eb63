import { unknownKeyMessage } from '../tlb/option-keys.js';
import { InvalidArgumentError } from './errors.js';

/** Largest integer mmukit accepts as an address: 2^53 - 1. */
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * Checks that `value` is an integer in `[min, max]` and returns it.
 *
 * @throws {@link InvalidArgumentError} naming `what` otherwise.
 * @internal
 */
export function requireInteger(value: unknown, what: string, min = 0, max = MAX_SAFE): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(
      `${what} must be an integer in [${min}, ${max}], got ${typeof value === 'number' ? value : typeof value}`,
    );
  }
  return value;
}

/**
 * Checks that `value` is an integer multiple of `alignment` (a power of two).
 *
 * @throws {@link InvalidArgumentError} naming `what` otherwise.
 * @internal
 */
export function requireAligned(value: number, alignment: number, what: string): number {
  if (value % alignment !== 0) {
    throw new InvalidArgumentError(`${what} must be a multiple of 0x${alignment.toString(16)}, got 0x${value.toString(16)}`);
  }
  return value;
}

/**
 * Checks that `value` is null or an integer in `[0, max]` (a register that may be x0, as in SFENCE.VMA).
 *
 * @throws {@link InvalidArgumentError} naming `what` otherwise.
 * @internal
 */
export function requireNullableInteger(value: unknown, what: string, max = MAX_SAFE): number | null {
  if (value === null) return null;
  return requireInteger(value, what, 0, max);
}

/**
 * Checks that `options` has no key outside `known` (a plain-JavaScript caller's typo, which
 * TypeScript would have caught): see {@link unknownKeyMessage}.
 *
 * @throws {@link InvalidArgumentError} naming the unknown key and the closest known one.
 * @internal
 */
export function requireKnownKeys(options: object, known: readonly string[], what: string): void {
  const message = unknownKeyMessage(options, known, what);
  if (message !== null) throw new InvalidArgumentError(message);
}
