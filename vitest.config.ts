import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { transformSync } from 'esbuild';
import { defineConfig } from 'vitest/config';

/**
 * Files of src/ with no code of their own to run: only types, or only re-exports (the barrels).
 * Coverage would list them at 0%, hiding the real gaps among them, so they are left out. Found
 * by compiling each file the way the build does, so the list cannot drift from the sources.
 */
function filesWithoutRuntimeCode(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesWithoutRuntimeCode(path);
    if (!entry.name.endsWith('.ts')) return [];
    const { code } = transformSync(readFileSync(path, 'utf8'), { loader: 'ts' });
    const statements = code.split(/;\s*\n/).map((s) => s.trim()).filter((s) => s !== '');
    return statements.every((s) => /^export (\*|\{[^}]*\}) from "[^"]+"$/.test(s)) ? [path] : [];
  });
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Two cores on CI machines: keep the pool small so suites do not starve each other.
    pool: 'forks',
    maxWorkers: 2,
    // Property-based and model-based suites run thousands of cases; on a loaded 2-core machine
    // a few seconds is not enough. Timing targets live in bench/, never in tests.
    testTimeout: 60_000,
    // Kernel restores check that what they skipped did not change (test/support/snapshot-checks.ts).
    setupFiles: ['test/support/snapshot-checks.ts'],
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      exclude: filesWithoutRuntimeCode('src'),
    },
  },
});
