// Every Windows behaviour number (B1 to B103) a user meets -- in a guide, a README, an API
// comment or an error message -- must be explained in the kernel guide's tables, and in the
// guides each one must link to its table.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { behaviourAnchors } from '../../typedoc-plugins/behaviour-links.mjs';

const root = resolve(import.meta.dirname, '../..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');
const NUMBER = /\bB([1-9]\d{0,2})\b/g;
const anchors = behaviourAnchors(read('docs/kernel.md'));

function files(dir: string, suffix: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith(suffix))
    .map((f) => join(dir, f));
}

const guides = ['README.md', ...files('docs', '.md').filter((f) => !f.startsWith(join('docs', 'api'))), ...files('examples', 'README.md')];

describe('Windows behaviour numbers', () => {
  it('the kernel guide explains B1 to B103, each in one row of its topic table', () => {
    expect([...anchors.keys()]).toEqual(Array.from({ length: 103 }, (_, i) => i + 1));
    const rows = [...read('docs/kernel.md').matchAll(/^\| B(\d+) \|/gm)].map((m) => Number(m[1]));
    expect(rows).toEqual([...anchors.keys()]);
  });

  it('every number cited in src/ (comments and error messages) and in the guides has a row', () => {
    const unexplained: string[] = [];
    for (const file of [...files('src', '.ts'), ...guides]) {
      for (const m of read(file).matchAll(NUMBER)) {
        if (!anchors.has(Number(m[1]))) unexplained.push(`${file}: ${m[0]}`);
      }
    }
    expect(unexplained).toEqual([]);
  });

  it('in the guides, every number outside code links to its table', () => {
    const unlinked: string[] = [];
    for (const file of guides) {
      let fenced = false;
      read(file).split('\n').forEach((line, i) => {
        if (line.startsWith('```')) fenced = !fenced;
        if (fenced || line.startsWith('#') || (file === join('docs', 'kernel.md') && /^\| B\d+ \|/.test(line))) return;
        const prose = line.replace(/`[^`]*`/g, '');
        for (const m of prose.matchAll(NUMBER)) {
          const anchor = anchors.get(Number(m[1]));
          const guide = relative(join(root, file, '..'), join(root, 'docs/kernel.md')).replaceAll('\\', '/');
          const target = file === join('docs', 'kernel.md') ? `#${anchor}` : `${guide}#${anchor}`;
          if (!prose.startsWith(`[${m[0]}](${target})`, m.index - 1)) unlinked.push(`${file}:${i + 1}: ${m[0]}`);
        }
      });
    }
    expect(unlinked).toEqual([]);
  });

  it('nothing points at windows-semantics.md, a file users do not have', () => {
    const stale = [...files('src', '.ts'), ...guides].filter((f) => read(f).includes('windows-semantics'));
    expect(stale).toEqual([]);
  });
});
