/**
 * What a trace recorder costs (docs/timeline.md): the same accesses and faults with no recorder
 * and with one attached, in one run, as ratios.
 * - an L1 hit (accurate mode), which must cost the same either way: the hit path has no hook;
 * - a TLB miss (a 4-level walk and a fill of both levels), which records two events;
 * - demand-zero and copy-on-write faults through a Kernel, which record six to ten events each;
 * - exporting a full recorder (65,536 events) with toChromeTrace, and JSON.stringify of the result.
 * The recorder's ring buffer overflows during the runs, as it would in a long trace.
 */
import { FrameAllocator, Kernel, MEM_COMMIT, MEM_RELEASE, MEM_RESERVE, Mmu, PAGE_READWRITE, PageTableBuilder, PhysicalMemory, Privilege, type Process } from '../../src/index.js';
import { TraceRecorder, type TraceRecorderOptions } from '../../src/mmu/trace-recorder.js';
import { toChromeTrace } from '../../src/mmu/chrome-trace.js';
import { consume, printTable, runBatches, runBenchmarkJs, type Context, type Row, type Suite } from '../harness.js';

const PAGE = 4096;
const PAGES = 32;
const BASE = 0x40_0000;
const OPS = 1024;
const OFF = '(no recorder)';
/** The variants: no recorder, a recorder, a recorder that keeps no host time. */
const VARIANTS: Array<[label: string, options: TraceRecorderOptions | null]> = [
  [OFF, null],
  ['(recorder)', {}],
  ['(recorder, no host time)', { hostTime: false }],
];

function hardware(options: TraceRecorderOptions | null): Mmu {
  const memory = new PhysicalMemory({ size: 4 << 20 });
  const frames = new FrameAllocator(memory);
  const tables = new PageTableBuilder(memory, 'x86-64', frames);
  for (let i = 0; i < PAGES; i++) tables.map(BASE + i * PAGE, frames.allocate() * PAGE, { writable: true, user: true, accessed: true, dirty: true });
  const mmu = new Mmu({ memory, format: 'x86-64' });
  mmu.setRoot(tables.root, 1);
  mmu.setPrivilege(Privilege.User);
  if (options !== null) mmu.setTracer(new TraceRecorder(options));
  return mmu;
}

export const suite: Suite = {
  name: 'trace',
  description: 'the cost of a trace recorder: L1 hits, TLB misses and kernel faults with and without one; exporting 65,536 events',
  run(ctx: Context) {
    // ---------------------------------------------------------------- hardware
    const vas = new Float64Array(OPS);
    for (let i = 0; i < OPS; i++) vas[i] = BASE + ((i * 13) % PAGES) * PAGE + ((i * 64) % PAGE);
    const cases = VARIANTS.flatMap(([label, options]) => {
      const mmu = hardware(options);
      for (let i = 0; i < PAGES; i++) mmu.read32(BASE + i * PAGE);
      return [
        {
          name: `read32, L1 hit ${label}`,
          opsPerCall: OPS,
          fn: () => {
            let s = 0;
            for (let i = 0; i < OPS; i++) s += mmu.read32(vas[i]);
            consume(s);
          },
        },
        {
          name: `read32, TLB miss: walk + fill ${label}`,
          opsPerCall: PAGES,
          fn: () => {
            mmu.invalidateAll();
            let s = 0;
            for (let i = 0; i < PAGES; i++) s += mmu.read32(BASE + i * PAGE);
            consume(s);
          },
        },
      ];
    });
    const hardwareRows = runBenchmarkJs(ctx, cases);
    const pair = (row: Row) => {
      const variant = VARIANTS.find(([label]) => row.name.endsWith(label));
      return variant === undefined ? undefined : row.name.slice(0, -variant[0].length) + OFF;
    };
    printTable({
      title: 'L1 hits and TLB misses, with and without a recorder (x86-64, Skylake TLBs, accurate mode)',
      method: `benchmark.js; one op = one access. Hits: ${OPS} read32 over ${PAGES} pages, all L1 hits. Misses: invalidateAll, then one read32 per page (${PAGES} walks of 4 levels, walk caches warm, each filling the L2 and the L1 DTLB). ± = 95% margin of error.`,
      rows: hardwareRows,
      ratios: { 'vs no recorder': pair },
      notes: ['A hit records nothing and checks nothing: the hit rows should match within noise. A miss records a walk and a fill: two events, each a few typed-array stores and, unless the recorder keeps no host time, a performance.now().'],
    });

    // ---------------------------------------------------------------- kernel faults
    const N = ctx.quick ? 128 : 512;
    const BATCHES = ctx.quick ? 3 : 40;
    const faultRows: Row[] = [];
    for (const [label, options] of VARIANTS) {
      const traced = options !== null;
      const kernel = new Kernel({ memorySize: 64 << 20 });
      const recorder = options === null ? null : new TraceRecorder(options);
      if (recorder !== null) kernel.setTracer(recorder);
      const cpu = kernel.cpus[0];
      const mmu = cpu.mmu;
      const p = kernel.createProcess();
      kernel.run(cpu, p);
      let base = 0;
      const writeEach = () => {
        for (let i = 0; i < N; i++) mmu.write32(base + i * PAGE, i);
      };
      let events = 0;
      const counting = (run: () => void) => () => {
        const before = recorder?.recorded ?? 0;
        run();
        events += (recorder?.recorded ?? 0) - before;
      };
      events = 0;
      const dz = runBatches(ctx, {
        name: `demand-zero write ${label}`,
        opsPerBatch: N,
        batches: BATCHES,
        prepare: () => {
          base = p.virtualAlloc(0, N * PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
        },
        run: counting(writeEach),
        cleanup: () => p.virtualFree(base, 0, MEM_RELEASE),
        cycles: () => mmu.cycles,
      }).row;
      dz.extra = { 'events/op': traced ? (events / (N * (BATCHES + (ctx.quick ? 1 : 3)))).toFixed(1) : '-' };
      faultRows.push(dz);
      let parent: Process | null = null;
      let child: Process | null = null;
      events = 0;
      const cow = runBatches(ctx, {
        name: `CoW write after fork ${label}`,
        opsPerBatch: N,
        batches: BATCHES,
        prepare: () => {
          parent = kernel.createProcess();
          kernel.run(cpu, parent);
          base = parent.virtualAlloc(0, N * PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
          writeEach();
          child = parent.fork();
          kernel.run(cpu, child);
        },
        run: counting(writeEach),
        cleanup: () => {
          child!.exit();
          parent!.exit();
          kernel.run(cpu, p);
        },
        cycles: () => mmu.cycles,
      }).row;
      cow.extra = { 'events/op': traced ? (events / (N * (BATCHES + (ctx.quick ? 1 : 3)))).toFixed(1) : '-' };
      faultRows.push(cow);
    }
    printTable({
      title: 'Faults through a Kernel, with and without a recorder (x86-64, 1 CPU)',
      method: `process.hrtime.bigint() around batches of ${N} faults, one per page, prepared untimed; median batch; ± = half the interquartile range over ${BATCHES} batches. One op = one faulting write until the retried write completes.`,
      rows: faultRows,
      ratios: { 'vs no recorder': pair },
      extraColumns: ['events/op'],
      notes: ['Events per fault: a walk, the fault, the kernel\'s resolution and its zero fill or copy (and, for copy-on-write, the shootdown and its invalidation), the handler\'s slice, the retried walk and its fill.'],
    });

    // ---------------------------------------------------------------- export
    const full = new TraceRecorder();
    const kernel = new Kernel({ cpus: 2, memorySize: 64 << 20 });
    kernel.setTracer(full);
    const p = kernel.createProcess();
    const cpu0 = kernel.run(0, p).mmu;
    const cpu1 = kernel.run(1, p).mmu;
    const base = p.virtualAlloc(0, 4096 * PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    for (let i = 0; full.dropped === 0; i = (i + 1) % 4096) {
      cpu0.write32(base + i * PAGE, i);
      cpu1.read32(base + i * PAGE);
    }
    let json = 0;
    const exportRows = runBenchmarkJs(ctx, [
      { name: `toChromeTrace, ${full.size} events`, opsPerCall: full.size, fn: () => consume(toChromeTrace(full).traceEvents.length) },
      { name: `toChromeTrace + JSON.stringify, ${full.size} events`, opsPerCall: full.size, fn: () => consume((json = JSON.stringify(toChromeTrace(full)).length)) },
    ]);
    printTable({
      title: 'Exporting a full recorder',
      method: 'benchmark.js; one op = one recorded event exported (a full default recorder per call). ± = 95% margin of error.',
      rows: exportRows,
      ratios: {},
      notes: [`The JSON is ${(json / 2 ** 20).toFixed(1)} MiB (${(json / full.size).toFixed(0)} bytes per event, counters and flow arrows included).`],
    });
  },
};
