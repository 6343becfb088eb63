// `npm run demo -- --trace trace.json`: the seed demo's trace, its file, and the viewer that draws
// docs/images/timeline.png (scripts/trace-timeline.html, run here in the headless Chromium of the
// browser tests, as scripts/trace-screenshot.ts runs it).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { verify } from '../../src/index.js';
import { seedTrace } from '../../examples/seed-demo.js';
import { launchChromium } from './chromium.js';

const root = resolve(import.meta.dirname, '../..');

describe('the seed demo with --trace', () => {
  const { trace, recorder, kernel } = seedTrace();

  it('records the seed scenario on three CPUs, every kernel counter in its events', () => {
    expect(verify(kernel)).toEqual([]);
    expect(recorder.dropped).toBe(0);
    expect(recorder.tracks().map((t) => t.thread)).toEqual(['CPU 0', 'CPU 1', 'CPU 2', 'kernel']);
    const events = recorder.events();
    const resolutions = (name: string) => events.filter((e) => e.kind === 'resolution' && e.resolution === name).length;
    const s = kernel.stats;
    expect(s.sectionFaults).toBeGreaterThan(0);
    expect(s.relocatedPages).toBeGreaterThan(0);
    expect(s.copyOnWriteFaults).toBe(1);
    expect(s.shootdownIpis).toBeGreaterThan(0);
    expect(resolutions('section-read-in')).toBe(s.sectionFaults);
    expect(resolutions('relocated')).toBe(s.relocatedPages);
    expect(resolutions('copy-on-write')).toBe(s.copyOnWriteFaults);
    expect(resolutions('demand-zero')).toBe(s.demandZeroFaults);
    expect(resolutions('guard-page')).toBe(s.guardFaults);
    expect(events.filter((e) => e.kind === 'invalidation' && e.from !== e.track)).toHaveLength(s.shootdownIpis);
    const names = new Set(trace.traceEvents.map((e) => e.name));
    for (const name of ['page walk', 'TLB fill L1D+L2', 'fault handler: retry', 'read in', 'frame copy', 'zero fill', 'shootdown', 'invalidate (IPI from CPU 0)', 'IPI']) {
      expect(names.has(name), name).toBe(true);
    }
  });

  it('writes the trace file from the command line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmukit-trace-'));
    try {
      const file = join(dir, 'trace.json');
      const output = execFileSync(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), join(root, 'examples/seed-demo.ts'), '--trace', file], { encoding: 'utf8', timeout: 60_000 });
      expect(output).toMatch(/^trace: \d+ events on 4 tracks written to /m);
      const written = JSON.parse(readFileSync(file, 'utf8'));
      expect(written.traceEvents).toHaveLength(trace.traceEvents.length);
      expect(written.metadata).toMatchObject({ source: 'mmukit', clock: 'cycles' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is drawn by the timeline viewer without an error', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      await page.goto(pathToFileURL(join(root, 'scripts/trace-timeline.html')).href);
      const size = await page.evaluate((t) => {
        const canvas = (window as unknown as { renderTrace: (trace: unknown, options: object) => { width: number; height: number } }).renderTrace(t, { title: 'test' });
        return [canvas.width, canvas.height];
      }, trace);
      expect(errors).toEqual([]);
      expect(size[0]).toBe(1400);
      expect(size[1]).toBeGreaterThan(200);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
