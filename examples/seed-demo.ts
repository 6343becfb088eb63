/**
 * The seed's scenario (shared/seed/memory-protection.txt), made real: the
 * README's first command. The scenario itself is in `seed-scenario.ts`, free
 * of Node APIs so that the browser page (`browser/`) runs the same code; this
 * file reads the DLL from disk and prints.
 *
 * Run: npm run demo
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export { runSeed, type SeedRow, type SeedRun } from './seed-scenario.js';
import { runSeed } from './seed-scenario.js';

/** The 32-bit DLL whose code holds many absolute addresses of its data. */
export function defaultDll(): Uint8Array {
  return new Uint8Array(readFileSync(fileURLToPath(new URL('../fixtures/pe/absolute32.dll', import.meta.url))));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dll = defaultDll();
  for (const policy of ['private', 'aslr'] as const) {
    for (const line of runSeed(dll, policy).lines) console.log(line);
    console.log('');
  }
}
