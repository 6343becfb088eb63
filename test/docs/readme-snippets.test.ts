// The README's TypeScript snippets are the first code a user runs: each is run here against
// src/, and every console.log line that ends in a comment must print what the comment says
// (up to a "...", which stands for the rest of the line). The guides whose snippets are whole
// programs are run the same way.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const WHOLE_PROGRAMS = ['README.md', 'docs/emulator-loop.md'];
/** Guides with whole programs among fragments: their snippets that start with an import are run too. */
const SOME_PROGRAMS = ['docs/nested-paging.md'];
const snippetsOf = (file: string) => [...readFileSync(join(root, file), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const snippets = [...WHOLE_PROGRAMS.flatMap(snippetsOf), ...SOME_PROGRAMS.flatMap((file) => snippetsOf(file).filter((code) => code.startsWith('import ')))];

describe('README snippets', () => {
  it('there are snippets, and each one states what it prints', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(4);
    for (const code of snippets) expect(code).toMatch(/console\.log\(.*\/\/ \S/);
  });

  it.each(snippets.map((code, i) => [i, code] as const))('snippet %i prints what its comments say', (_, code) => {
    const expected = code
      .split('\n')
      .filter((line) => line.includes('console.log('))
      .map((line) => /\/\/ (.*)$/.exec(line)?.[1]?.trim());
    const dir = mkdtempSync(join(tmpdir(), 'mmukit-readme-'));
    try {
      const file = join(dir, 'snippet.ts');
      writeFileSync(file, code.replaceAll("from 'mmukit'", `from '${pathToFileURL(join(root, 'src/index.ts')).href}'`));
      const output = execFileSync(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), file], { encoding: 'utf8', timeout: 60_000 });
      const lines = output.trimEnd().split('\n');
      expect(lines).toHaveLength(expected.length);
      expected.forEach((want, i) => {
        if (want === undefined) return;
        if (want.includes('...')) expect(lines[i]!.startsWith(want.slice(0, want.indexOf('...')).trimEnd().replace(/,$/, ''))).toBe(true);
        else expect(lines[i]).toBe(want);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the cycle breakdown under the hardware snippet adds up to the total it explains', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const m = /The (\d+) cycles are[\s\S]*?\n\n((?:\|.*\n)+)/.exec(readme)!;
    const parts = [...m[2]!.matchAll(/\| (\d+) \|\n/g)].map((r) => Number(r[1]));
    expect(parts.length).toBeGreaterThanOrEqual(3);
    expect(parts.reduce((a, b) => a + b, 0)).toBe(Number(m[1]));
    expect(snippets[0]).toContain(`// ${m[1]} {`);
  });
});
