/// <reference lib="dom" />
/**
 * The seed demo in a web page: runs the same scenario as `npm run demo`
 * (../seed-scenario.ts) under both relocation policies, then shows the
 * demo's numbers and each process's memory map. Plain DOM, no framework.
 *
 * Every number is in an element with `data-policy`, `data-row` and
 * `data-field` attributes, and the body gets `data-state="done"` (or
 * `"error"`) when finished, so test/examples/browser.test.ts can read the page.
 */
import { FRAME_SIZE, frameMappingCounts } from '../../src/index.js';
import { runSeed, type SeedRun } from '../seed-scenario.js';
import { dll } from './fixture.js';
import { memoryMap, type MapRegion, type PageSharing, type ProcessMap } from './memory-map.js';

type Child = Node | string | number;

/** document.createElement with attributes and children. */
function h(tag: string, attributes: Record<string, string> = {}, ...children: Child[]): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children) element.append(typeof child === 'number' ? String(child) : child);
  return element;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/** A size as people read it. */
function size(bytes: number): string {
  if (bytes >= 1 << 30) return `${+(bytes / 2 ** 30).toFixed(1)} GiB`;
  if (bytes >= 1 << 20) return `${+(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${bytes / 1024} KiB`;
}

/** A table cell holding one number the test reads back. */
function num(policy: string, row: string, field: string, value: number, text: string = String(value)): HTMLElement {
  return h('td', { 'data-policy': policy, 'data-row': row, 'data-field': field, 'data-value': String(value) }, text);
}

const COLUMNS: Array<[string, string]> = [
  ['base', 'base'],
  ['sharedPages', 'shared pages'],
  ['privatePages', 'private pages'],
  ['relocationCopies', 'relocation copies'],
  ['writeCopies', 'write copies'],
  ['savedKiB', 'saved KiB'],
  ['sectionFaults', 'page-ins'],
  ['relocatedPages', 'relocations'],
  ['cycles', 'cycles'],
];

/** The demo's table for one policy, and its summary line. */
function numbersTable(run: SeedRun): HTMLElement {
  const p = run.policy;
  const head = h('tr', {}, h('th', {}, 'process'), ...COLUMNS.map(([, label]) => h('th', {}, label)));
  const rows = run.rows.map((r, i) => {
    const row = String(i + 1);
    return h(
      'tr',
      {},
      h('th', {}, r.name),
      num(p, row, 'base', r.image.base, hex(r.image.base)),
      num(p, row, 'sharedPages', r.image.sharedPages),
      num(p, row, 'privatePages', r.image.privatePages),
      num(p, row, 'relocationCopies', r.image.relocationCopies),
      num(p, row, 'writeCopies', r.image.writeCopies),
      num(p, row, 'savedKiB', r.image.savedBytes / 1024),
      num(p, row, 'sectionFaults', r.sectionFaults),
      num(p, row, 'relocatedPages', r.relocatedPages),
      num(p, row, 'cycles', r.cycles),
    );
  });
  return h('table', { class: 'numbers' }, h('thead', {}, head), h('tbody', {}, ...rows));
}

/** One headline figure of a policy. */
function figure(policy: string, field: string, label: string, value: number): HTMLElement {
  return h('div', { class: 'figure' }, h('span', { class: 'value', 'data-policy': policy, 'data-row': 'total', 'data-field': field, 'data-value': String(value) }, value), h('span', { class: 'label' }, label));
}

/** The policy's totals, the numbers the demo's last line prints. */
function figures(run: SeedRun): HTMLElement {
  const p = run.policy;
  const sum = (pick: (r: SeedRun['rows'][number]) => number) => run.rows.reduce((n, r) => n + pick(r), 0);
  return h(
    'div',
    { class: 'figures' },
    figure(p, 'sharedPages', 'image pages shared (all processes)', sum((r) => r.image.sharedPages)),
    figure(p, 'privateCopies', 'private copies (relocation + write)', sum((r) => r.image.relocationCopies + r.image.writeCopies)),
    figure(p, 'usedFrames', 'frames in use', run.usedFrames),
    figure(p, 'copyOnWriteFaults', 'copy-on-write faults', run.kernel.stats.copyOnWriteFaults),
  );
}

const SHARING_TITLES: Record<PageSharing, string> = {
  none: 'no frame',
  zero: 'shared zero frame',
  shared: 'shared frame',
  private: 'private frame',
  section: 'section frame, mapped only here',
};

/** One VirtualQuery region: a labelled bar, with a cell per page coloured by sharing. */
function regionRow(region: MapRegion): HTMLElement {
  const label = h(
    'div',
    { class: 'label' },
    h('span', { class: 'address' }, hex(region.base)),
    h('span', { class: 'size' }, size(region.size)),
    h('span', { class: 'kind' }, region.state === 'free' ? 'free' : `${region.type} ${region.state}`),
    h('span', { class: 'protect', title: region.protect }, region.protect),
  );
  const pages = h('div', { class: 'pages' });
  for (const [i, sharing] of region.pages.entries()) {
    pages.append(h('span', { class: `page ${sharing}`, 'data-sharing': sharing, title: `${hex(region.base + i * FRAME_SIZE)}: ${SHARING_TITLES[sharing]}` }));
  }
  return h(
    'div',
    { class: `region ${region.state} ${region.type}`, 'data-base': String(region.base), 'data-size': String(region.size), 'data-state': region.state, 'data-type': region.type },
    label,
    pages,
  );
}

/** A process's map: its regions top to bottom in address order. */
function mapView(name: string, map: ProcessMap): HTMLElement {
  const t = map.totals;
  return h(
    'div',
    { class: 'map', 'data-pid': String(map.pid) },
    h('h4', {}, `${name} (pid ${map.pid})`),
    h('p', { class: 'totals' }, `${t.shared} shared, ${t.private} private, ${t.section} section-only, ${t.zero} zero-frame, ${t.none} without a frame`),
    ...map.regions.map(regionRow),
  );
}

/** Everything for one policy. */
function policySection(run: SeedRun): HTMLElement {
  const counts = frameMappingCounts(run.kernel);
  const maps = run.processes.map((process) => memoryMap(process, counts));
  const title = run.policy === 'private' ? "policy 'private': relocation makes private copies" : "policy 'aslr': the kernel relocates once, everyone shares";
  return h(
    'section',
    { class: 'policy', 'data-policy': run.policy },
    h('h2', {}, title),
    figures(run),
    numbersTable(run),
    h('pre', { class: 'lines' }, run.lines.join('\n')),
    h('h3', {}, 'Memory maps'),
    h('div', { class: 'maps' }, ...maps.map((map, i) => mapView(run.rows[i].name, map))),
  );
}

function legend(): HTMLElement {
  const swatch = (cls: string, text: string) => h('span', { class: 'swatch-item' }, h('span', { class: `swatch ${cls}` }), text);
  return h(
    'div',
    { class: 'legend' },
    h('div', {}, 'Regions: ', swatch('region-image', 'image'), swatch('region-mapped', 'mapped'), swatch('region-private', 'private'), swatch('region-reserve', 'reserved (hatched)'), swatch('region-free', 'free')),
    h('div', {}, 'Pages: ', ...(['shared', 'private', 'section', 'zero', 'none'] as const).map((s) => swatch(`page ${s}`, SHARING_TITLES[s]))),
  );
}

function main(): void {
  const out = document.getElementById('app')!;
  const started = performance.now();
  const runs = (['private', 'aslr'] as const).map((policy) => runSeed(dll, policy));
  const elapsed = performance.now() - started;
  out.append(
    legend(),
    ...runs.map(policySection),
    h('p', { class: 'timing' }, `Both runs took ${elapsed.toFixed(1)} ms in this browser (${dll.length} bytes of DLL inlined in the bundle).`),
  );
  document.body.dataset.state = 'done';
}

try {
  main();
} catch (error) {
  document.body.dataset.state = 'error';
  document.getElementById('app')!.append(h('pre', { class: 'error' }, String(error instanceof Error ? (error.stack ?? error.message) : error)));
  console.error(error);
}
