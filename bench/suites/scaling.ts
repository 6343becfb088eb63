/**
 * Scaling: how costs grow with size.
 *
 * 1. TLB reach: host nanoseconds and emulated cycles per `read32` as the
 *    working set grows from 1 page past the L1 DTLB (64 entries) and the L2
 *    STLB (1536) to 65 536 pages, accessed in a fixed pseudo-random order.
 *    One Mmu over x86-64 tables built by PageTableBuilder; every page maps
 *    the same data frame (the tables are real, the data cache effect of 256
 *    MiB of distinct frames is left out). Written to bench/results/scaling.json
 *    and drawn as bench/results/scaling.svg.
 * 2. Region lookup: RegionTree.find over 100 to 100 000 regions, and
 *    Process.virtualQuery over 100 and 10 000 reservations (and 100 000 in a
 *    full run); findGap + insert + remove with 100 000 regions present.
 */
import { FrameAllocator, Kernel, MEM_RESERVE, Mmu, PAGE_READWRITE, PageTableBuilder, PhysicalMemory, Privilege, RegionTree } from '../../src/index.js';
import { scalingChart } from '../chart.js';
import { consume, machine, printTable, prng, ratio, rowNamed, runBatches, runBenchmarkJs, writeResult, type Context, type Row, type Suite } from '../harness.js';

const BASE = 0x1000_0000; // 2 MiB aligned
const MAX_PAGES = 65_536;
const L1_REACH = 64; // Skylake L1 DTLB, 4 KiB pages
const L2_REACH = 1536; // Skylake STLB
const PDE_CACHE_REACH = 32 * 512; // 32 PDE-cache entries × 512 pages per page table
const WORKING_SETS = [1, 2, 4, 8, 16, 32, 48, 64, 96, 128, 256, 512, 1024, 1536, 2048, 3072, 4096, 8192, 16_384, 32_768, 65_536];

interface ReachPoint {
  pages: number;
  nsPerAccess: number;
  nsSd: number;
  cyclesPerAccess: number;
  l1HitRate: number;
  l2HitRate: number;
  walksPerAccess: number;
  pteReadsPerAccess: number;
}

function tlbReach(ctx: Context): ReachPoint[] {
  const accesses = ctx.quick ? 1 << 13 : 1 << 16;
  const memory = new PhysicalMemory({ size: 4 << 20 });
  const frames = new FrameAllocator(memory);
  const tables = new PageTableBuilder(memory, 'x86-64', frames);
  const data = frames.allocate() * 4096;
  for (let i = 0; i < MAX_PAGES; i++) tables.map(BASE + i * 4096, data, { writable: true, user: true, accessed: true, dirty: true });
  const mmu = new Mmu({ memory, format: 'x86-64' });
  mmu.setRoot(tables.root, 1);
  mmu.setPrivilege(Privilege.User);
  const vas = new Float64Array(accesses);
  const fill = (pages: number) => {
    const random = prng(pages);
    for (let i = 0; i < accesses; i++) vas[i] = BASE + Math.floor(random() * pages) * 4096 + ((random() * 1024) & 0x3ff) * 4;
  };
  const sweep = () => {
    let s = 0;
    for (let i = 0; i < accesses; i++) s += mmu.read32(vas[i]);
    consume(s);
  };
  // Run hits, L2 hits and walks first, so the first points are not measured on code the JIT has yet to optimize.
  for (const pages of [1, 128, 4096, MAX_PAGES, 1]) {
    fill(pages);
    for (let r = 0; r < 3; r++) sweep();
  }
  const points: ReachPoint[] = [];
  for (const pages of WORKING_SETS) {
    fill(pages);
    sweep(); // fill the TLBs with this working set
    mmu.resetStats();
    const timing = runBatches(ctx, { name: `${pages}`, opsPerBatch: accesses, run: sweep, cycles: () => mmu.cycles, batches: ctx.quick ? 2 : 10, warmup: 1 });
    const s = mmu.stats();
    const total = accesses * ((ctx.quick ? 2 : 10) + 1);
    points.push({
      pages,
      nsPerAccess: timing.medianNs,
      nsSd: timing.sdNs,
      cyclesPerAccess: timing.row.cyclesPerOp ?? 0,
      l1HitRate: s.tlb.l1d.hits / total,
      l2HitRate: (s.tlb.l2?.hits ?? 0) / total,
      walksPerAccess: s.walks / total,
      pteReadsPerAccess: s.pteReads / total,
    });
  }
  return points;
}

// ------------------------------------------------------------------ regions

interface Vad {
  readonly base: number;
  readonly size: number;
}

const GRANULE = 0x1_0000; // Windows allocation granularity
const LOW = 0x1_0000;
const HIGH = 2 ** 47;
const QUERIES = 4096; // lookups per benchmark call

/** Pseudo-random addresses among `n` regions allocated bottom-up from LOW: half inside a region, half in the gap after it. */
function queryAddresses(n: number): Float64Array {
  const addresses = new Float64Array(QUERIES);
  const random = prng(n);
  for (let i = 0; i < QUERIES; i++) addresses[i] = LOW + Math.floor(random() * n) * GRANULE + Math.floor(random() * 0x8000);
  return addresses;
}

function regionTree(n: number): RegionTree<Vad> {
  const tree = new RegionTree<Vad>();
  for (let i = 0; i < n; i++) {
    const size = ((i % 4) + 1) * 0x1000;
    tree.insert({ base: tree.findGap(size, GRANULE, LOW, HIGH, false), size });
  }
  return tree;
}

function regionRows(ctx: Context): Row[] {
  const sizes = [100, 1000, 10_000, 100_000];
  const cases = sizes.map((n) => {
    const tree = regionTree(n);
    const addresses = queryAddresses(n);
    return {
      name: `RegionTree.find, ${n.toLocaleString('en-US').replace(/,/g, ' ')} regions`,
      fn: () => {
        let hits = 0;
        for (let i = 0; i < QUERIES; i++) if (tree.find(addresses[i]) !== undefined) hits++;
        consume(hits);
      },
      opsPerCall: QUERIES,
    };
  });
  const queried = ctx.quick ? [100, 10_000] : [100, 10_000, 100_000];
  for (const n of queried) {
    const kernel = new Kernel({ memorySize: 4 << 20 });
    const process = kernel.createProcess();
    for (let i = 0; i < n; i++) process.virtualAlloc(0, ((i % 4) + 1) * 0x1000, MEM_RESERVE, PAGE_READWRITE);
    const addresses = queryAddresses(n);
    cases.push({
      name: `virtualQuery, ${n.toLocaleString('en-US').replace(/,/g, ' ')} reservations`,
      fn: () => {
        let s = 0;
        for (let i = 0; i < QUERIES; i++) s += process.virtualQuery(addresses[i]).state;
        consume(s);
      },
      opsPerCall: QUERIES,
    });
  }
  // Allocation on top of 100 000 regions: findGap + insert, then remove, so every call sees the same tree.
  const large = regionTree(100_000);
  const ALLOCS = 256;
  const scratch: Vad[] = [];
  for (const topDown of [false, true]) {
    cases.push({
      name: `findGap+insert+remove ${topDown ? 'top-down' : 'bottom-up'}, 100 000 regions`,
      fn: () => {
        for (let i = 0; i < ALLOCS; i++) {
          const v = { base: large.findGap(0x2000, GRANULE, LOW, HIGH, topDown), size: 0x2000 };
          large.insert(v);
          scratch.push(v);
        }
        while (scratch.length > 0) large.remove(scratch.pop()!);
      },
      opsPerCall: ALLOCS,
    });
  }
  return runBenchmarkJs(ctx, cases);
}

export const suite: Suite = {
  name: 'scaling',
  description: 'ns and cycles per access from 1 to 65 536 pages (TLB reach); region lookup from 100 to 100 000 regions',
  run(ctx: Context) {
    const points = tlbReach(ctx);
    const reachRows: Row[] = points.map((p) => ({
      name: `${p.pages} pages`,
      opsPerSec: 1e9 / p.nsPerAccess,
      spread: (100 * p.nsSd) / p.nsPerAccess,
      cyclesPerOp: p.cyclesPerAccess,
      extra: {
        'L1 hits': `${(100 * p.l1HitRate).toFixed(1)}%`,
        'L2 hits': `${(100 * p.l2HitRate).toFixed(1)}%`,
        'walks/op': p.walksPerAccess.toFixed(3),
        'PTE reads/op': p.pteReadsPerAccess.toFixed(3),
      },
    }));
    printTable({
      title: 'Scaling: read32 as the working set grows (x86-64, Skylake TLBs, default walk caches)',
      method: `process.hrtime.bigint() around sweeps of ${ctx.quick ? 1 << 13 : 1 << 16} read32 at pseudo-random pages of the working set (after one untimed sweep that fills the TLBs); median sweep; ± = half the interquartile range over ${ctx.quick ? 2 : 10} sweeps. L1 DTLB reach ${L1_REACH} pages, L2 STLB ${L2_REACH}, PDE cache ${PDE_CACHE_REACH}.`,
      rows: reachRows,
      ratios: { 'vs 1 page': '1 pages' },
      extraColumns: ['L1 hits', 'L2 hits', 'walks/op', 'PTE reads/op'],
    });

    const regionRowsMeasured = regionRows(ctx);
    printTable({
      title: 'Scaling: region lookup',
      method: `benchmark.js; one op = one lookup (${QUERIES} per call, pseudo-random addresses, half inside a region, half in a gap) or one findGap+insert+remove. Regions of 4–16 KiB at 64 KiB granularity. ± = 95% margin of error.`,
      rows: regionRowsMeasured,
      ratios: {
        'vs 100': (row) =>
          row.name.startsWith('RegionTree.find') ? 'RegionTree.find, 100 regions' : row.name.startsWith('virtualQuery') ? 'virtualQuery, 100 reservations' : undefined,
      },
    });
    const find100k = rowNamed(regionRowsMeasured, 'RegionTree.find, 100 000 regions');
    ctx.targets.record('region-100k-vs-100', ratio(find100k, rowNamed(regionRowsMeasured, 'RegionTree.find, 100 regions')));
    ctx.targets.note(
      `Region lookup: virtualQuery at 10 000 reservations ${ratio(rowNamed(regionRowsMeasured, 'virtualQuery, 10 000 reservations'), rowNamed(regionRowsMeasured, 'virtualQuery, 100 reservations')).toFixed(2)}x the time at 100.`,
    );
    const last = points[points.length - 1];
    ctx.targets.note(
      `TLB reach: read32 over ${last.pages} random pages costs ${(last.nsPerAccess / points[0].nsPerAccess).toFixed(1)}x the host time and ${(last.cyclesPerAccess / points[0].cyclesPerAccess).toFixed(1)}x the emulated cycles of a 1-page working set.`,
    );

    const m = machine();
    const json = {
      suite: 'scaling',
      quick: ctx.quick,
      machine: m,
      tlb: { l1Reach: L1_REACH, l2Reach: L2_REACH, pdeCacheReach: PDE_CACHE_REACH, format: 'x86-64', access: 'read32, pseudo-random page and offset' },
      tlbReach: points,
      regions: regionRowsMeasured.map((r) => ({ name: r.name, nsPerOp: 1e9 / r.opsPerSec, rmePercent: r.spread })),
    };
    const jsonPath = writeResult(ctx, 'scaling', 'json', `${JSON.stringify(json, null, 2)}\n`);
    const svg = scalingChart(
      points,
      [
        { pages: L1_REACH, label: `L1 DTLB reach (${L1_REACH})` },
        { pages: L2_REACH, label: `L2 STLB reach (${L2_REACH})` },
        { pages: PDE_CACHE_REACH, label: `PDE cache (${PDE_CACHE_REACH})`, minor: true },
      ],
      'mmukit: cost of a read32 as the working set grows',
      `x86-64, Skylake TLBs, random pages; node ${m.node}, ${m.cpu}, ${m.date.slice(0, 10)}${ctx.quick ? ' (quick run)' : ''}`,
    );
    const svgPath = writeResult(ctx, 'scaling', 'svg', svg);
    console.log(`\nWrote ${jsonPath} and ${svgPath}.`);
  },
};
