/**
 * The browser example, end to end: build the page with esbuild, serve it, load
 * it in Debian's Chromium (headless, through playwright-core), and check that
 * it shows what the same code computes in Node. The browser comes from npm
 * (`@sparticuz/chromium`, see ./chromium.ts), so this suite runs on every machine
 * that ran `npm ci`, and never skips: the example cannot rot unnoticed.
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameMappingCounts } from '../../src/index.js';
import { buildBrowserDemo, type BrowserBuild } from '../../examples/browser/build.js';
import { memoryMap } from '../../examples/browser/memory-map.js';
import { serveDirectory, type StaticServer } from '../../examples/browser/serve.js';
import { launchChromium } from './chromium.js';
import { defaultDll, runSeed, type SeedRun } from '../../examples/seed-demo.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const SCREENSHOT = join(root, 'test-output/browser.png');
const POLICIES = ['private', 'aslr'] as const;

/** Every number the page should show, keyed `policy/row/field`, as Node computes it. */
function expectedNumbers(runs: SeedRun[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const run of runs) {
    const p = run.policy;
    run.rows.forEach((r, i) => {
      const row = `${p}/${i + 1}/`;
      out[row + 'base'] = r.image.base;
      out[row + 'sharedPages'] = r.image.sharedPages;
      out[row + 'privatePages'] = r.image.privatePages;
      out[row + 'relocationCopies'] = r.image.relocationCopies;
      out[row + 'writeCopies'] = r.image.writeCopies;
      out[row + 'savedKiB'] = r.image.savedBytes / 1024;
      out[row + 'sectionFaults'] = r.sectionFaults;
      out[row + 'relocatedPages'] = r.relocatedPages;
      out[row + 'cycles'] = r.cycles;
    });
    out[`${p}/total/sharedPages`] = run.rows.reduce((n, r) => n + r.image.sharedPages, 0);
    out[`${p}/total/privateCopies`] = run.rows.reduce((n, r) => n + r.image.relocationCopies + r.image.writeCopies, 0);
    out[`${p}/total/usedFrames`] = run.usedFrames;
    out[`${p}/total/copyOnWriteFaults`] = run.kernel.stats.copyOnWriteFaults;
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('browser example: the seed demo in Chromium', () => {
  const runs = POLICIES.map((policy) => runSeed(defaultDll(), policy));
  let built: BrowserBuild;
  let server: StaticServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const consoleErrors: string[] = [];

  // Each test awaits `ready` (and the build-only one `builtReady`), so that a browser that cannot
  // start fails every test that needs it with its own message, rather than leaving them skipped.
  let builtReady: Promise<void>;
  let ready: Promise<void>;

  async function openPage(): Promise<void> {
    await builtReady;
    server = await serveDirectory(built.outdir);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(`uncaught: ${error.message}`));
    page.on('response', (response) => {
      if (response.status() >= 400) consoleErrors.push(`HTTP ${response.status()} for ${response.url()}`);
    });
    await page.goto(server.url);
    await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 60_000 });
  }

  beforeAll(async () => {
    builtReady = buildBrowserDemo().then((b) => {
      built = b;
    });
    ready = openPage();
    // The tests report a failure; the hook itself never fails.
    await ready.catch(() => {});
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('finishes without a console error, and saves a screenshot', async () => {
    await ready;
    const state = await page.getAttribute('body', 'data-state');
    const error = state === 'error' ? await page.textContent('pre.error') : null;
    expect({ state, error }).toEqual({ state: 'done', error: null });
    expect(consoleErrors).toEqual([]);
    mkdirSync(join(root, 'test-output'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
  });

  it('shows the numbers the demo computes in Node, for both policies', async () => {
    await ready;
    const shown = await page.$$eval('[data-policy][data-row][data-field]', (elements) =>
      Object.fromEntries(elements.map((e) => [`${e.getAttribute('data-policy')}/${e.getAttribute('data-row')}/${e.getAttribute('data-field')}`, Number(e.getAttribute('data-value'))])),
    );
    expect(shown).toEqual(expectedNumbers(runs));
    // The shown text is the value too (bases in hex).
    const texts = await page.$$eval('[data-field][data-value]', (elements) => elements.map((e) => [e.textContent, e.getAttribute('data-value'), e.getAttribute('data-field')]));
    for (const [text, value, field] of texts) expect(field === 'base' ? Number(text) : text).toEqual(field === 'base' ? Number(value) : value);
    // The key figures of the seed: sharing, copies and frames under each policy.
    expect([shown['private/3/relocationCopies'], shown['aslr/3/relocationCopies']]).toEqual([7, 0]);
    expect(shown['private/total/usedFrames']).toBeGreaterThan(shown['aslr/total/usedFrames']);
    // And the demo's own text lines, word for word.
    const lines = await page.$$eval('pre.lines', (elements) => elements.map((e) => e.textContent));
    expect(lines).toEqual(runs.map((run) => run.lines.join('\n')));
  });

  it('draws each process\'s memory map as Node computes it: regions by state and type, pages by sharing', async () => {
    await ready;
    for (const run of runs) {
      const counts = frameMappingCounts(run.kernel);
      const expected = run.processes.map((process) => {
        const map = memoryMap(process, counts);
        return { pid: map.pid, regions: map.regions.map((r) => ({ base: r.base, size: r.size, state: r.state, type: r.type, pages: r.pages.join(',') })) };
      });
      const shown = await page.$$eval(`section[data-policy="${run.policy}"] .map`, (maps) =>
        maps.map((map) => ({
          pid: Number(map.getAttribute('data-pid')),
          regions: Array.from(map.querySelectorAll('.region')).map((region) => ({
            base: Number(region.getAttribute('data-base')),
            size: Number(region.getAttribute('data-size')),
            state: region.getAttribute('data-state'),
            type: region.getAttribute('data-type'),
            pages: Array.from(region.querySelectorAll('.page')).map((p) => p.getAttribute('data-sharing')).join(','),
          })),
        })),
      );
      expect(shown).toEqual(expected);
      // Every kind the seed produces is on the map: a shared image, a private copy, a reservation, free gaps.
      const all = expected.flatMap((m) => m.regions);
      expect(all.some((r) => r.type === 'image' && r.pages.includes('shared'))).toBe(true);
      expect(all.some((r) => r.pages.includes('private'))).toBe(true);
      expect(all.some((r) => r.state === 'free')).toBe(true);
      if (run.policy === 'private') expect(all.some((r) => r.state === 'reserve' && r.type === 'private')).toBe(true);
    }
  });

  it('colours regions by state and type, and pages by sharing', async () => {
    await ready;
    const colours = await page.evaluate(() => {
      const colour = (selector: string, property: 'backgroundColor' | 'borderLeftColor' | 'backgroundImage') => {
        const element = document.querySelector(selector);
        return element === null ? null : getComputedStyle(element)[property];
      };
      return {
        image: colour('.region.commit.image', 'borderLeftColor'),
        private: colour('.region.private', 'borderLeftColor'),
        reserve: colour('.region.reserve', 'backgroundImage'),
        shared: colour('.page.shared', 'backgroundColor'),
        own: colour('.page.private', 'backgroundColor'),
      };
    });
    expect(colours.image).not.toBe(colours.private);
    expect(colours.reserve).toContain('repeating-linear-gradient');
    expect(colours.shared).not.toBe(colours.own);
    expect(Object.values(colours)).not.toContain(null);
  });

  it('loads all of src/ as one browser ES module and translates with it', async () => {
    await ready;
    // A string, so that vitest's transform leaves the dynamic import() for the browser to do.
    const result = await page.evaluate<{ value: number; faults: number; exports: number }>(`(async () => {
      const m = await import(location.origin + '/mmukit.js');
      const kernel = new m.Kernel({ cpus: 1 });
      const process = kernel.createProcess();
      const base = process.virtualAlloc(0, 0x10000, m.MEM_RESERVE | m.MEM_COMMIT, m.PAGE_READWRITE);
      const { mmu } = kernel.run(0, process);
      mmu.write32(base + 0x20, 0xc0ffee);
      return { value: mmu.read32(base + 0x20), faults: kernel.stats.demandZeroFaults, exports: Object.keys(m).length };
    })()`);
    expect(result).toEqual({ value: 0xc0ffee, faults: 1, exports: expect.any(Number) });
    expect(result.exports).toBeGreaterThan(100);
  });

  it('builds src/ for platform "browser" with no Node import: every runtime module of src/ is in the bundle', async () => {
    await builtReady;
    for (const metafile of [built.library, built.page]) {
      for (const [path, input] of Object.entries(metafile.inputs)) {
        for (const imported of input.imports) expect(`${path} -> ${imported.path}`).not.toMatch(/-> node:/);
      }
    }
    const bundled = new Set(Object.keys(built.library.inputs));
    for (const file of sourceFiles(join(root, 'src'))) {
      const relative = file.slice(root.length);
      if (bundled.has(relative)) continue;
      // Not bundled: only because it holds nothing but types.
      const { code } = await transform(readFileSync(file, 'utf8'), { loader: 'ts' });
      expect(`${relative}: ${code.trim()}`).toBe(`${relative}: `);
    }
    expect(Object.keys(built.page.inputs)).toContain('fixtures/pe/absolute32.dll');
  });
});
