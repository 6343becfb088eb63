/**
 * Draws docs/images/timeline.png: the seed demo's trace (examples/seed-demo.ts, `traceSeed`),
 * exported with toChromeTrace and rendered by scripts/trace-timeline.html in the headless
 * Chromium the browser tests use (test/examples/chromium.ts). Two panels: the whole run, every
 * CPU; then CPU 0 around process 1's copy-on-write write, where the kernel's work nests in the
 * fault handler's slice.
 *
 * Run: npm run trace:screenshot [-- --out path.png] [-- --json trace.json]
 *
 * Perfetto (ui.perfetto.dev) is a web page this machine cannot reach, and the packaged headless
 * Chromium has no chrome://tracing; docs/timeline.md says what drew the picture.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { launchChromium } from '../test/examples/chromium.js';
import { seedTrace } from '../examples/seed-demo.js';

const root = fileURLToPath(new URL('../', import.meta.url));

function option(name: string): string | null {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? null) : null;
}

const out = option('--out') ?? `${root}docs/images/timeline.png`;
const { trace, recorder } = seedTrace();
const json = option('--json');
if (json !== null) writeFileSync(json, JSON.stringify(trace));

// The zoomed window: CPU 0's copy-on-write fault (the frame copy whose source is a frame), from
// a little before its handler to a few demand-zero faults after it.
const cpu0 = recorder.tracks().find((t) => t.thread === 'CPU 0')!;
const copy = trace.traceEvents.find((e) => e.name === 'frame copy' && e.tid === cpu0.tid && e.pid === cpu0.pid && e.args?.from !== 'image');
if (copy === undefined) throw new Error('the seed trace has no copy-on-write copy on CPU 0');
const handler = trace.traceEvents.find((e) => e.name.startsWith('fault handler') && e.tid === cpu0.tid && e.ts <= copy.ts && e.ts + (e.dur ?? 0) >= copy.ts + (copy.dur ?? 0))!;
const start = handler.ts - 0.12;
const end = start + 1.1;

const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, deviceScaleFactor: 1 });
  await page.goto(pathToFileURL(`${root}scripts/trace-timeline.html`).href);
  await page.evaluate(
    ({ trace, start, end }) => {
      document.getElementById('drop')!.remove();
      const render = (window as unknown as { renderTrace: (trace: unknown, options: object) => void }).renderTrace;
      const meta = (trace as { metadata: { events: number; cyclesPerMicrosecond: number } }).metadata;
      render(trace, { title: `The seed demo's trace (npm run demo -- --trace trace.json): ${meta.events} events, every CPU; time = each CPU's cycles / ${meta.cyclesPerMicrosecond} per µs` });
      render(trace, { title: `CPU 0 from ${start.toFixed(2)} to ${end.toFixed(2)} µs: process 1's copy-on-write write, then demand-zero writes to its heap`, only: ['CPU 0'], start, end, counters: false });
    },
    { trace, start, end },
  );
  await page.locator('#panels').screenshot({ path: out });
  console.log(`wrote ${out} (${recorder.size} events)`);
} finally {
  await browser.close();
}
