/**
 * Unknown keys in an options object. TypeScript catches `{ tlbs: … }` at
 * compile time; a plain-JavaScript caller would have the key ignored in
 * silence. Every public entry point that takes an options object checks its
 * keys with {@link unknownKeyMessage} and throws its own layer's error class.
 *
 * It lives in `src/tlb`, the lowest layer, so that all three layers can use
 * it (imports point down only).
 *
 * @module
 */

/** Damerau–Levenshtein distance (optimal string alignment) of `a` and `b`, counting case changes. */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[(i - 1) * cols + j] + 1, d[i * cols + j - 1] + 1, d[(i - 1) * cols + j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[(i - 2) * cols + j - 2] + 1);
      d[i * cols + j] = best;
    }
  }
  return d[rows * cols - 1];
}

/**
 * The known key a mistyped `key` most likely meant: the nearest within an
 * edit distance of 2 (ignoring case), else one that starts with `key` or
 * that `key` starts with, else one `key` abbreviates (its letters in order);
 * null when none is close.
 * @internal
 */
export function closestKey(key: string, known: readonly string[]): string | null {
  const lower = key.toLowerCase();
  let best: string | null = null;
  let bestDistance = 3;
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best !== null) return best;
  for (const candidate of known) {
    const c = candidate.toLowerCase();
    if (lower.length >= 2 && (c.startsWith(lower) || lower.startsWith(c))) return candidate;
  }
  // An abbreviation: `maxPhysAddrBits` for `maxPhysicalAddressBits`.
  if (lower.length >= 4) for (const candidate of known) if (isSubsequence(lower, candidate.toLowerCase())) return candidate;
  return null;
}

/** Whether every character of `short` appears in `long`, in order. */
function isSubsequence(short: string, long: string): boolean {
  let i = 0;
  for (let j = 0; j < long.length && i < short.length; j++) if (short[i] === long[j]) i++;
  return i === short.length;
}

/**
 * Checks the own enumerable keys of `options` against `known`. Returns null
 * when every key is known, otherwise a message naming the first unknown key,
 * the closest known key when one is near, and the known keys, e.g.
 * `` unknown option `tlbs` in MmuOptions: did you mean `tlb`? (known options: memory, format, tlb, …) ``.
 *
 * Allocates nothing when every key is known. Call it where the options are
 * taken (constructors, setters, the slow path), never per access.
 *
 * @param options - the options object (already checked to be an object).
 * @param known - the keys the entry point understands.
 * @param what - the name of the options type, for the message.
 * @internal
 */
export function unknownKeyMessage(options: object, known: readonly string[], what: string): string | null {
  for (const key in options) {
    if (!Object.prototype.hasOwnProperty.call(options, key) || known.includes(key)) continue;
    const guess = closestKey(key, known);
    const hint = guess === null ? '' : `: did you mean \`${guess}\`?`;
    return `unknown option \`${key}\` in ${what}${hint} (known options: ${known.join(', ')})`;
  }
  return null;
}
