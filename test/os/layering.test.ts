// The folders of src/os are layers, and calls point down: a file may import values (functions,
// classes, constants) only from its own folder or a lower one. Type-only imports carry no calls and
// may name the records a call is handed (a Process, a Kernel, a Cpu), whatever their folder. Below
// src/os the same rule holds between the halves: src/os → src/mmu → src/tlb.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** The layers, lowest first; a folder's index is its rank. */
const LAYERS = [
  'src/tlb',
  'src/mmu',
  'src/os/rules',
  'src/os/image',
  'src/os/records',
  'src/os/memory',
  'src/os/objects',
  'src/os/kernel',
  'src/os/reports',
];

function rank(file: string): number {
  // The deepest folder holding the file (src/os/rules before src/os would matter if both were layers).
  let folder = -1;
  LAYERS.forEach((layer, index) => {
    if (file === layer || file.startsWith(`${layer}/`)) folder = index;
  });
  if (folder < 0) throw new Error(`${file} is in no layer`);
  return folder;
}

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    return statSync(join(root, path)).isDirectory() ? sources(path) : name.endsWith('.ts') ? [path] : [];
  });
}

/** The value imports of a file: `import { a, type B }` counts unless every name is a type. */
function valueImports(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/^import\s+(type\s+)?(\{[^}]*\}|\*\s+as\s+\w+|\w+)\s+from\s+'([^']+)'/gm)) {
    if (match[1] !== undefined || !match[3].startsWith('.')) continue;
    const names = match[2].startsWith('{') ? match[2].slice(1, -1).split(',').map((n) => n.trim()).filter((n) => n !== '') : [match[2]];
    if (names.every((n) => n.startsWith('type '))) continue;
    found.push(normalize(relative(root, join(root, dirname(file), match[3].replace(/\.js$/, '.ts')))).split('\\').join('/'));
  }
  return found;
}

describe('src/os is layered: rules → image → records → memory → objects → kernel → reports', () => {
  const files = [...sources('src/os'), ...sources('src/mmu'), ...sources('src/tlb')];

  it('has every file of src/os in a layer folder', () => {
    expect(sources('src/os').filter((f) => !LAYERS.some((layer) => f.startsWith(`${layer}/`)))).toEqual([]);
  });

  it('imports values only from the same layer or a lower one', () => {
    const upward = files.flatMap((file) => valueImports(file).filter((target) => rank(target) > rank(file)).map((target) => `${file} → ${target}`));
    expect(upward).toEqual([]);
  });

  it('finds the imports it checks (the test reads what it should)', () => {
    expect(valueImports('src/os/kernel/process.ts')).toContain('src/os/memory/virtual-memory.ts');
    expect(valueImports('src/os/kernel/process.ts').length).toBeGreaterThan(10);
  });
});
