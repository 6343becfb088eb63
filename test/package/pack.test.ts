/**
 * The published package, as a user gets it: `npm pack` (whose prepack script
 * builds dist/), installed from the tarball into a fresh project outside the
 * repository, then imported from ESM, required from CommonJS and type-checked
 * against its own .d.ts files.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The environment without npm's per-script variables, so the nested npm runs see only the temporary project. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
}

function run(command: string, args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { cwd, env: cleanEnv(), encoding: 'utf8', timeout: 120_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function srcModules(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? srcModules(path, `${prefix}${name}/`) : name.endsWith('.ts') ? [`${prefix}${name.slice(0, -3)}`] : [];
  });
}

interface PackResult {
  filename: string;
  files: Array<{ path: string }>;
}

describe('the npm package', () => {
  let work: string;
  let project: string;
  let pack: PackResult;
  // A failed setup fails every test with its error (a throwing beforeAll would only skip them).
  let setupError: unknown = null;
  const ready = (): void => {
    if (setupError !== null) throw setupError;
  };

  beforeAll(() => {
    try {
      setup();
    } catch (error) {
      setupError = error;
    }
  }, 180_000);

  function setup(): void {
    work = mkdtempSync(join(tmpdir(), 'mmukit-pack-'));
    // prepack runs `npm run build`; its output goes to stderr, the JSON report to stdout.
    const packed = execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, env: cleanEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    [pack] = JSON.parse(packed) as PackResult[];
    project = join(work, 'consumer');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }, null, 2));
    // No runtime dependencies, so the tarball installs without the registry.
    const installed = run('npm', ['install', '--offline', '--no-audit', '--no-fund', join(work, pack.filename)], project);
    if (installed.status !== 0) throw new Error(`npm install of the tarball failed:\n${installed.stderr}`);
  }

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('holds dist/, README.md and package.json only', () => {
    ready();
    const paths = pack.files.map((f) => f.path);
    const license = readdirSync(root).filter((name) => /^licen[cs]e/i.test(name));
    for (const path of paths) expect(path.startsWith('dist/') || ['README.md', 'package.json', ...license].includes(path), path).toBe(true);
    expect(paths.filter((p) => /^(src|test|fixtures|bench|examples|docs|scratch)\//.test(p))).toEqual([]);
    expect(paths).toContain('dist/index.js');
    expect(paths).toContain('dist/index.d.ts');
    expect(paths).toContain('LICENSE');
    // dist/ is exactly the build of src/: a .js and a .d.ts per module, nothing stale.
    const modules = srcModules(join(root, 'src')).sort();
    expect(paths.filter((p) => p.endsWith('.js')).map((p) => p.slice('dist/'.length, -'.js'.length)).sort()).toEqual(modules);
    expect(paths.filter((p) => p.endsWith('.d.ts')).map((p) => p.slice('dist/'.length, -'.d.ts'.length)).sort()).toEqual(modules);
  });

  it('ships source maps that carry their sources (src/ is not in the tarball)', () => {
    ready();
    const maps = pack.files.map((f) => f.path).filter((p) => p.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    expect(maps.every((p) => p.endsWith('.js.map')), 'no declaration maps: they would point at src/').toBe(true);
    const map = JSON.parse(readFileSync(join(project, 'node_modules/mmukit/dist/mmu/mmu.js.map'), 'utf8'));
    expect(map.sourcesContent[0]).toContain('export class Mmu');
  });

  it('installs from the tarball with no dependency of its own', () => {
    ready();
    const manifest = JSON.parse(readFileSync(join(project, 'node_modules/mmukit/package.json'), 'utf8'));
    expect(manifest.name).toBe('mmukit');
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(readdirSync(join(project, 'node_modules')).filter((name) => !name.startsWith('.'))).toEqual(['mmukit']);
  });

  it('imports from ESM and translates an address', () => {
    ready();
    writeFileSync(
      join(project, 'esm.mjs'),
      `import { Access, FrameAllocator, Kernel, Mmu, PageTableBuilder, PhysicalMemory, Privilege } from 'mmukit';
const memory = new PhysicalMemory({ size: 1 << 20 });
const frames = new FrameAllocator(memory);
const tables = new PageTableBuilder(memory, 'x86-64', frames);
const frame = frames.allocate();
tables.map(0x400000, frame * 4096, { writable: true, user: true });
const mmu = new Mmu({ memory, format: 'x86-64' });
mmu.setRoot(tables.root, 1);
mmu.setPrivilege(Privilege.User);
mmu.write32(0x400010, 0xc0ffee);
console.log(JSON.stringify({
  frame,
  pa: mmu.translate(0x400010, Access.Read),
  value: memory.read32(frame * 4096 + 0x10),
  walks: mmu.stats().walks,
  kernel: typeof Kernel,
}));
`,
    );
    const result = run(process.execPath, ['esm.mjs'], project);
    expect(result.status, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out).toEqual({ frame: out.frame, pa: out.frame * 4096 + 0x10, value: 0xc0ffee, walks: 1, kernel: 'function' });
  });

  it('requires from CommonJS (require of the ESM build, Node 20.19+) and runs the kernel', () => {
    ready();
    writeFileSync(
      join(project, 'cjs.cjs'),
      `const mmukit = require('mmukit');
const { Kernel, MEM_COMMIT, PAGE_READWRITE, WindowsExceptionError } = mmukit;
const kernel = new Kernel();
const proc = kernel.createProcess();
const base = proc.virtualAlloc(0, 0x1000, MEM_COMMIT, PAGE_READWRITE);
const { mmu } = kernel.run(0, proc);
mmu.write32(base, 42);
let code = 0;
try { mmu.read32(base + 0x10000); } catch (e) { if (e instanceof WindowsExceptionError) code = e.record.exceptionCode; }
console.log(JSON.stringify({ requireModule: process.features.require_module, value: mmu.read32(base), code, exports: Object.keys(mmukit).length }));
`,
    );
    const result = run(process.execPath, ['cjs.cjs'], project);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/ERR_REQUIRE_ESM|Error/);
    const out = JSON.parse(result.stdout);
    expect(out).toEqual({ requireModule: true, value: 42, code: 0xc0000005, exports: out.exports });
    expect(out.exports).toBeGreaterThan(100);
  });

  it('type-checks a consumer against the published .d.ts (nodenext, strict), from ESM and CommonJS', () => {
    ready();
    writeFileSync(
      join(project, 'consumer.ts'),
      `import { Access, Kernel, MEM_COMMIT, Mmu, PAGE_READWRITE, PhysicalMemory, WindowsExceptionError, processReport } from 'mmukit';
import type { MemoryBasicInformation, PageFaultError, ProcessReport } from 'mmukit';

const kernel: Kernel = new Kernel({ cpus: 1 });
const proc = kernel.createProcess();
const base: number = proc.virtualAlloc(0, 0x1000, MEM_COMMIT, PAGE_READWRITE);
const info: MemoryBasicInformation = proc.virtualQuery(base);
const mmu: Mmu = kernel.run(0, proc).mmu;
const pa: number = mmu.translate(base, Access.Write);
const report: ProcessReport = processReport(proc);
const memory: PhysicalMemory = kernel.memory;
export function exceptionCode(e: unknown): number | undefined {
  return e instanceof WindowsExceptionError ? e.record.exceptionCode : undefined;
}
export function cr2(e: PageFaultError): number {
  return e.fault.address;
}
// @ts-expect-error virtualAlloc takes an allocation type and a protection
proc.virtualAlloc(0, 0x1000);
export { info, pa, report, memory };
`,
    );
    writeFileSync(join(project, 'consumer-cjs.cts'), `import { Kernel } from 'mmukit';\nexport const kernel: Kernel = new Kernel();\n`);
    // The repository's own TypeScript; no tsconfig, no @types: the .d.ts files must stand alone.
    const tsc = join(root, 'node_modules/.bin/tsc');
    const result = run(tsc, ['--module', 'nodenext', '--moduleResolution', 'nodenext', '--strict', '--noEmit', 'consumer.ts', 'consumer-cjs.cts'], project);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
