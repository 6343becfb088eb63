/**
 * mmukit microbenchmarks (benchmark.js). Every figure is reported beside a
 * baseline measured in the same run, as a ratio, because these machines are
 * shared and noisy.
 *
 *   npm run bench              full run
 *   npm run bench -- --quick   every case briefly (CI smoke)
 */
import Benchmark from 'benchmark';
import { FrameAllocator, Mmu, PageTableBuilder, PhysicalMemory } from '../src/index.js';

const quick = process.argv.includes('--quick');
const PAGES = 32; // fits the 64-entry L1 DTLB: every access below is an L1 hit

interface Row {
  name: string;
  hz: number;
  rme: number;
  cyclesPerOp: number | null;
}

function run(suiteName: string, cases: Array<{ name: string; fn: () => void; cycles?: () => number }>): Row[] {
  const rows: Row[] = [];
  const suite = new Benchmark.Suite(suiteName);
  for (const c of cases) suite.add(c.name, c.fn, quick ? { maxTime: 0.1, minSamples: 2 } : { maxTime: 1.5, minSamples: 10 });
  suite.on('cycle', (event: Benchmark.Event) => {
    const b = event.target as unknown as Benchmark;
    const c = cases.find((x) => x.name === b.name)!;
    rows.push({ name: b.name ?? '', hz: b.hz ?? 0, rme: b.stats?.rme ?? 0, cyclesPerOp: c.cycles ? c.cycles() : null });
  });
  suite.run();
  return rows;
}

function printTable(title: string, rows: Row[], baselines: string[]): void {
  console.log(`\n${title}`);
  const header = ['case', 'ops/s', '±%', ...baselines.map((b) => `vs ${b}`), 'cycles/op'];
  console.log(header.join(' | '));
  for (const r of rows) {
    const ratios = baselines.map((b) => {
      const base = rows.find((x) => x.name === b)!;
      return `${(base.hz / r.hz).toFixed(2)}x`;
    });
    console.log([r.name, r.hz.toExponential(3), r.rme.toFixed(1), ...ratios, r.cyclesPerOp === null ? '-' : r.cyclesPerOp.toFixed(2)].join(' | '));
  }
}

// ------------------------------------------------------------------ setup
const memory = new PhysicalMemory({ size: 16 << 20 });
const frames = new FrameAllocator(memory);
const tables = new PageTableBuilder(memory, 'x86-64', frames);
const physicalPages: number[] = [];
for (let i = 0; i < PAGES; i++) {
  const pa = frames.allocate() * 4096;
  physicalPages.push(pa);
  tables.map(0x40_0000 + i * 4096, pa, { writable: true, user: true });
}
const mmu = new Mmu({ memory, format: 'x86-64' });
mmu.setRoot(tables.root, 1);
for (let i = 0; i < PAGES; i++) mmu.read32(0x40_0000 + i * 4096);

// Access pattern: stride through the pages, 64 bytes at a time.
const OPS = 1024;
const vas = new Float64Array(OPS);
const pas = new Float64Array(OPS);
for (let i = 0; i < OPS; i++) {
  const page = (i * 7) % PAGES;
  const offset = (i * 64) & 0xffc;
  vas[i] = 0x40_0000 + page * 4096 + offset;
  pas[i] = physicalPages[page] + offset;
}

// Baseline (b): a hand-written loop of the same model: 64-entry 4-way LRU tags, a permission
// check and a cycle count, inline, no classes.
const SETS = 16;
const WAYS = 4;
const tag = new Float64Array(SETS * WAYS).fill(-1);
const base = new Float64Array(SETS * WAYS);
const stamp = new Float64Array(SETS * WAYS);
const perm = new Uint8Array(SETS * WAYS);
const counters = new Float64Array(2);
for (let i = 0; i < PAGES; i++) {
  const va = 0x40_0000 + i * 4096;
  const set = (va >>> 12) & (SETS - 1);
  for (let w = 0; w < WAYS; w++) {
    const e = set * WAYS + w;
    if (tag[e] === -1) {
      tag[e] = va;
      base[e] = physicalPages[i];
      perm[e] = 1;
      break;
    }
  }
}
const view = memory.view;
function handWrittenRead32(va: number): number {
  const pageVa = va - (va & 0xfff);
  const first = ((va >>> 12) & (SETS - 1)) * WAYS;
  for (let e = first; e < first + WAYS; e++) {
    if (tag[e] === pageVa && perm[e] === 1) {
      stamp[e] = ++counters[1];
      counters[0] += 1;
      return view.getUint32(base[e] + (va - pageVa), true);
    }
  }
  throw new Error('miss');
}

// Baseline (c): what a naive emulator writes.
const naive = new Map<number, number>();
for (let i = 0; i < PAGES; i++) naive.set((0x40_0000 >>> 12) + i, physicalPages[i]);
function mapRead32(va: number): number {
  const pa = naive.get(Math.floor(va / 4096))!;
  return view.getUint32(pa + (va % 4096), true);
}

let sink = 0;
const cyclesAtStart = { value: 0 };
const rows = run('TLB hit', [
  {
    name: 'raw typed-array load',
    fn: () => {
      let s = 0;
      for (let i = 0; i < OPS; i++) s += view.getUint32(pas[i], true);
      sink ^= s;
    },
  },
  {
    name: 'hand-written TLB loop',
    fn: () => {
      let s = 0;
      for (let i = 0; i < OPS; i++) s += handWrittenRead32(vas[i]);
      sink ^= s;
    },
  },
  {
    name: 'Map<vpn, frame>',
    fn: () => {
      let s = 0;
      for (let i = 0; i < OPS; i++) s += mapRead32(vas[i]);
      sink ^= s;
    },
  },
  {
    name: 'mmu.read32 (L1 hit)',
    fn: () => {
      let s = 0;
      for (let i = 0; i < OPS; i++) s += mmu.read32(vas[i]);
      sink ^= s;
    },
    cycles: () => {
      const c = mmu.cycles - cyclesAtStart.value;
      cyclesAtStart.value = mmu.cycles;
      return c / Math.max(1, mmu.stats().tlb.l1d.hits);
    },
  },
]);
printTable(`TLB hit: ${OPS} read32 per op over ${PAGES} pages`, rows, ['raw typed-array load', 'hand-written TLB loop', 'Map<vpn, frame>']);

// Allocation check: the hit path must not allocate. Count garbage collections during many hits.
const before = mmu.stats().walks;
const gcEvents = await (async () => {
  const { PerformanceObserver } = await import('node:perf_hooks');
  let count = 0;
  const observer = new PerformanceObserver((list) => {
    count += list.getEntries().length;
  });
  observer.observe({ entryTypes: ['gc'] });
  let s = 0;
  for (let round = 0; round < (quick ? 200 : 2000); round++) for (let i = 0; i < OPS; i++) s += mmu.read32(vas[i]);
  sink ^= s;
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  return count;
})();
const accesses = (quick ? 200 : 2000) * OPS;
console.log(`\nallocation check: ${accesses} L1-hit reads, ${mmu.stats().walks - before} walks, ${gcEvents} garbage collections`);
if (sink === 0.5) console.log('');
