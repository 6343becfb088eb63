/**
 * Shapes of a TLB level's configuration, and their validation.
 */

import { TlbConfigError } from './errors.js';
import { unknownKeyMessage } from './option-keys.js';
import { DEFAULT_REPLACEMENT_SEED, REPLACEMENT_POLICIES } from './replacement.js';
import type { ReplacementPolicy } from './replacement.js';
import { SET_INDEX_FUNCTIONS } from './set-index.js';
import type { SetIndexFunction } from './set-index.js';

/** Smallest page shift a TLB array may hold (4 KiB pages). */
export const MIN_PAGE_SHIFT = 12;
/** Largest page shift a TLB array may hold (virtual addresses are below 2^57). */
export const MAX_PAGE_SHIFT = 56;
/** Largest number of entries one array may have (2^20), to keep typo'd configs from allocating gigabytes. */
export const MAX_ARRAY_ENTRIES = 1 << 20;

/**
 * One set-associative array of a TLB level, holding one or more page sizes.
 *
 * The geometry is `entries = sets × ways`, with any whole number of sets: real arrays
 * have associativities that are not powers of two (Skylake's STLB: 1536 entries,
 * 12-way, 128 sets; Cortex-A76's L2 TLB: 1280 entries, 5-way, 256 sets), and an array
 * may have a set count that is not one either (1536 entries 8-way is 192 sets), which
 * {@link TlbArrayConfig.setIndex} `'modulo'` then indexes by remainder. See the guide
 * "Choosing a page-table format and a TLB configuration" for the cores behind these numbers.
 *
 * @example
 * ```ts
 * // Skylake's L1 DTLB for 4 KiB pages: 64 entries, 4-way, so 16 sets.
 * const dtlb4k: TlbArrayConfig = { entries: 64, ways: 4, pageShifts: [12] };
 * // 1536 entries, 8-way: 192 sets, page n in set n mod 192; least recently filled replaced first.
 * const l2: TlbArrayConfig = { entries: 1536, ways: 8, pageShifts: [12, 21], replacement: 'fifo-fill' };
 * // The same array with a hashed (XOR-folded) set index.
 * const hashed: TlbArrayConfig = { ...l2, setIndex: 'xor' };
 * ```
 */
export interface TlbArrayConfig {
  /** Total entries of the array; a positive integer, at most {@link MAX_ARRAY_ENTRIES}. */
  readonly entries: number;
  /**
   * Associativity: a positive integer dividing `entries`; `entries / ways` is the number
   * of sets, any positive integer (a power of two or not). `ways === entries` is fully
   * associative, `ways === 1` direct-mapped.
   */
  readonly ways: number;
  /**
   * Page sizes held, as shifts (12 = 4 KiB, 21 = 2 MiB, 22 = 4 MiB, 30 = 1 GiB,
   * 39 = 512 GiB, 48 = 256 TiB). Non-empty, no repeats, each in
   * [{@link MIN_PAGE_SHIFT}, {@link MAX_PAGE_SHIFT}]. Any order; lookups probe
   * the smallest first.
   */
  readonly pageShifts: readonly number[];
  /** Replacement policy; default `'lru'`. See {@link ReplacementPolicy} for `'fifo'` against `'fifo-fill'`. */
  readonly replacement?: ReplacementPolicy;
  /** PRNG seed for `'random'` (an integer in [0, 2^32)); default 1. Ignored by other policies. */
  readonly seed?: number;
  /**
   * How a page's set is chosen: `'modulo'` (the default; page number mod sets) or `'xor'`
   * (the page number's pieces XOR-folded, then mod sets). The exact formulas are under
   * {@link SetIndexFunction}; {@link setIndexOf} computes them. A power-of-two `'modulo'`
   * array has the fastest lookup (a shift and a mask); every other geometry takes one
   * multiplication more per probe.
   */
  readonly setIndex?: SetIndexFunction;
}

/**
 * One TLB level: a name for reports and one or more arrays. No page shift may
 * appear in two arrays of one level.
 *
 * @example
 * ```ts
 * const l1d: TlbConfig = {
 *   name: 'l1d',
 *   arrays: [
 *     { entries: 64, ways: 4, pageShifts: [12] },
 *     { entries: 32, ways: 4, pageShifts: [21, 22] },
 *   ],
 * };
 * ```
 */
export interface TlbConfig {
  /** Name used in reports and error messages, e.g. `'l1d'`. */
  readonly name: string;
  /** The arrays, probed in this order by lookups. Non-empty. */
  readonly arrays: readonly TlbArrayConfig[];
}

/** A {@link TlbArrayConfig} with every default filled in and `pageShifts` sorted ascending. */
export interface ResolvedTlbArrayConfig {
  /** Total entries. */
  readonly entries: number;
  /** Associativity. */
  readonly ways: number;
  /** Number of sets, `entries / ways` (any positive integer). */
  readonly sets: number;
  /** Page shifts held, ascending. */
  readonly pageShifts: readonly number[];
  /** Replacement policy. */
  readonly replacement: ReplacementPolicy;
  /** PRNG seed (used by `'random'` only). */
  readonly seed: number;
  /** Set-index function. */
  readonly setIndex: SetIndexFunction;
}

/** A validated {@link TlbConfig}, with every array resolved; deeply frozen. */
export interface ResolvedTlbConfig {
  /** Name of the level. */
  readonly name: string;
  /** The arrays, in configuration order. */
  readonly arrays: readonly ResolvedTlbArrayConfig[];
}

const isPositiveInteger = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n > 0;
const isPowerOfTwo = (n: number): boolean => (n & (n - 1)) === 0;

/**
 * Checks a TLB level's configuration and returns it resolved (defaults filled
 * in, page shifts sorted, the result deeply frozen). The input is not modified.
 *
 * @param config - the configuration to check.
 * @returns the resolved configuration.
 * @throws TlbConfigError naming the level and the field at fault, when a count
 *   is not a positive integer, ways does not divide entries, tree-PLRU has
 *   non-power-of-two ways, the policy or set-index function is unknown,
 *   the seed is not a 32-bit unsigned integer, pageShifts is empty,
 *   repeats a shift or holds one out of range, or two arrays hold the same shift.
 *
 * @example
 * ```ts
 * const l1d = validateTlbConfig({ name: 'l1d', arrays: [{ entries: 64, ways: 4, pageShifts: [21, 12] }] });
 * l1d.arrays[0].sets;        // 16
 * l1d.arrays[0].pageShifts;  // [12, 21]
 * l1d.arrays[0].replacement; // 'lru'
 * l1d.arrays[0].setIndex;    // 'modulo'
 * validateTlbConfig({ name: 'l2', arrays: [{ entries: 1536, ways: 8, pageShifts: [12] }] }).arrays[0].sets; // 192
 * let message = '';
 * try {
 *   validateTlbConfig({ name: 'x', arrays: [{ entries: 48, ways: 10, pageShifts: [12] }] });
 * } catch (e) {
 *   if (e instanceof TlbConfigError) message = e.message;
 * }
 * message; // 'TLB "x": arrays[0].ways must divide entries (48 % 10 !== 0)'
 * ```
 */
export function validateTlbConfig(config: TlbConfig): ResolvedTlbConfig {
  if (config === null || typeof config !== 'object') {
    throw new TlbConfigError(`TLB config must be an object (got ${String(config)})`);
  }
  requireKnownTlbKeys(config, ['name', 'arrays'], 'TlbConfig');
  if (typeof config.name !== 'string') {
    throw new TlbConfigError(`TLB config name must be a string (got ${typeof config.name})`);
  }
  const where = `TLB "${config.name}"`;
  if (!Array.isArray(config.arrays) || config.arrays.length === 0) {
    throw new TlbConfigError(`${where}: arrays must be a non-empty array`);
  }
  const owner = new Map<number, number>();
  const arrays = config.arrays.map((array, k) => {
    const resolved = resolveArray(array, `${where}: arrays[${k}]`);
    for (const shift of resolved.pageShifts) {
      const other = owner.get(shift);
      if (other !== undefined) {
        throw new TlbConfigError(`${where}: page shift ${shift} is held by both arrays[${other}] and arrays[${k}]`);
      }
      owner.set(shift, k);
    }
    return resolved;
  });
  return Object.freeze({ name: config.name, arrays: Object.freeze(arrays) });
}

/** Throws {@link TlbConfigError} for a key outside `known` (see {@link unknownKeyMessage}). */
function requireKnownTlbKeys(config: object, known: readonly string[], what: string): void {
  const message = unknownKeyMessage(config, known, what);
  if (message !== null) throw new TlbConfigError(message);
}

function resolveArray(array: TlbArrayConfig, where: string): ResolvedTlbArrayConfig {
  if (array === null || typeof array !== 'object') {
    throw new TlbConfigError(`${where} must be an object`);
  }
  requireKnownTlbKeys(array, ['entries', 'ways', 'pageShifts', 'replacement', 'seed', 'setIndex'], `TlbArrayConfig (${where})`);
  const { entries, ways } = array;
  if (!isPositiveInteger(entries) || entries > MAX_ARRAY_ENTRIES) {
    throw new TlbConfigError(`${where}.entries must be an integer in [1, ${MAX_ARRAY_ENTRIES}] (got ${String(entries)})`);
  }
  if (!isPositiveInteger(ways)) {
    throw new TlbConfigError(`${where}.ways must be a positive integer (got ${String(ways)})`);
  }
  if (entries % ways !== 0) {
    throw new TlbConfigError(`${where}.ways must divide entries (${entries} % ${ways} !== 0)`);
  }
  const sets = entries / ways;
  const replacement = array.replacement ?? 'lru';
  if (!REPLACEMENT_POLICIES.includes(replacement)) {
    throw new TlbConfigError(
      `${where}.replacement must be one of ${REPLACEMENT_POLICIES.join(', ')} (got ${JSON.stringify(replacement)})`,
    );
  }
  if (replacement === 'plru' && !isPowerOfTwo(ways)) {
    throw new TlbConfigError(`${where}: tree-PLRU needs a power-of-two number of ways (got ${ways})`);
  }
  const seed = array.seed ?? DEFAULT_REPLACEMENT_SEED;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) {
    throw new TlbConfigError(`${where}.seed must be an integer in [0, 2^32) (got ${String(seed)})`);
  }
  const setIndex = array.setIndex ?? 'modulo';
  if (!SET_INDEX_FUNCTIONS.includes(setIndex)) {
    throw new TlbConfigError(
      `${where}.setIndex must be one of ${SET_INDEX_FUNCTIONS.join(', ')} (got ${JSON.stringify(setIndex)})`,
    );
  }
  return Object.freeze({ entries, ways, sets, pageShifts: resolvePageShifts(array.pageShifts, where), replacement, seed, setIndex });
}

function resolvePageShifts(pageShifts: readonly number[], where: string): readonly number[] {
  if (!Array.isArray(pageShifts) || pageShifts.length === 0) {
    throw new TlbConfigError(`${where}.pageShifts must be a non-empty array of page shifts`);
  }
  for (const shift of pageShifts) {
    if (!Number.isInteger(shift) || shift < MIN_PAGE_SHIFT || shift > MAX_PAGE_SHIFT) {
      throw new TlbConfigError(
        `${where}.pageShifts: ${String(shift)} is not an integer in [${MIN_PAGE_SHIFT}, ${MAX_PAGE_SHIFT}]`,
      );
    }
  }
  const sorted = [...pageShifts].sort((a, b) => a - b);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] === sorted[i - 1]) throw new TlbConfigError(`${where}.pageShifts repeats ${sorted[i]}`);
  }
  return Object.freeze(sorted);
}
