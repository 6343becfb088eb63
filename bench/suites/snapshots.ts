/**
 * Snapshots of a bare machine (MachineSnapshots): what a restore costs against the pages written since
 * the snapshot, and against copying all of RAM back (what a snapshot without a journal would do); then a
 * Kernel's snapshot, whose restore also copies back the records of what changed (not all of them: it should not
 * grow with the number of allocations);
 * then saved states: a kernel's saveState and loadState, a machine's save and load.
 *
 * The machine: 64 MiB of RAM, x86-64 tables mapping 4096 writable pages, one MMU in accurate mode. One
 * operation is "write one word into each of N distinct pages, then restore": the writes are timed too,
 * as a fuzzer's reset loop pays both; the row "N writes alone" (no snapshot open) gives the writes'
 * own share, so the difference is what the journal and the restore add. The chart plots the restore
 * against N, with the full copy of RAM as a horizontal line.
 */
import { FrameAllocator, Kernel, MachineSnapshots, MEM_COMMIT, MEM_RESERVE, Mmu, PAGE_READWRITE, PageTableBuilder, PhysicalMemory } from '../../src/index.js';
import { consume, printTable, ratio, rowNamed, runBatches, writeResult, type Context, type Row, type Suite } from '../harness.js';

const RAM = 64 << 20;
const PAGES = 4096;
const BASE = 0x1000_0000;
const COUNTS = [1, 4, 16, 64, 256, 1024, 4096];

function build() {
  const memory = new PhysicalMemory({ size: RAM });
  const frames = new FrameAllocator(memory);
  const tables = new PageTableBuilder(memory, 'x86-64', frames);
  for (let i = 0; i < PAGES; i++) tables.map(BASE + i * 4096, frames.allocate() * 4096, { writable: true, accessed: true, dirty: true });
  const mmu = new Mmu({ memory, format: 'x86-64' });
  mmu.setRoot(tables.root, 1);
  return { memory, frames, mmu };
}

/** A minimal SVG: restore time against pages written (log x), the full copy as a line. */
function chart(points: Array<{ pages: number; ns: number }>, fullCopyNs: number): string {
  const W = 720, H = 420, L = 80, R = 680, T = 50, B = 350;
  const maxNs = Math.max(fullCopyNs, ...points.map((p) => p.ns)) * 1.1;
  const x = (pages: number) => L + ((Math.log2(pages) - 0) / Math.log2(COUNTS[COUNTS.length - 1])) * (R - L);
  const y = (ns: number) => B - (ns / maxNs) * (B - T);
  const us = (ns: number) => `${(ns / 1000).toFixed(ns < 10_000 ? 1 : 0)} µs`;
  const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.pages).toFixed(1)},${y(p.ns).toFixed(1)}`).join(' ');
  const ticks = COUNTS.map((n) => `<line x1="${x(n)}" y1="${B}" x2="${x(n)}" y2="${B + 5}" stroke="#333"/><text x="${x(n)}" y="${B + 20}" font-size="12" text-anchor="middle">${n}</text>`).join('');
  const yTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => `<text x="${L - 8}" y="${y(f * maxNs) + 4}" font-size="12" text-anchor="end">${us(f * maxNs)}</text><line x1="${L}" y1="${y(f * maxNs)}" x2="${R}" y2="${y(f * maxNs)}" stroke="#eee"/>`).join('');
  const dots = points.map((p) => `<circle cx="${x(p.pages)}" cy="${y(p.ns)}" r="3.5" fill="#1f77b4"/>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${W / 2}" y="24" font-size="15" text-anchor="middle">Restore of a MachineSnapshot (64 MiB RAM): time against pages written since</text>
${yTicks}
<line x1="${L}" y1="${B}" x2="${R}" y2="${B}" stroke="#333"/><line x1="${L}" y1="${T}" x2="${L}" y2="${B}" stroke="#333"/>
${ticks}
<line x1="${L}" y1="${y(fullCopyNs)}" x2="${R}" y2="${y(fullCopyNs)}" stroke="#d62728" stroke-dasharray="6 4"/>
<text x="${R}" y="${y(fullCopyNs) - 6}" font-size="12" text-anchor="end" fill="#d62728">copy of all RAM: ${us(fullCopyNs)}</text>
<path d="${path}" fill="none" stroke="#1f77b4" stroke-width="2"/>${dots}
<text x="${(L + R) / 2}" y="${H - 25}" font-size="13" text-anchor="middle">pages written since the snapshot (one word each), then restore</text>
</svg>
`;
}

export const suite: Suite = {
  name: 'snapshots',
  description: 'MachineSnapshots: restore time against pages written, vs a copy of all RAM',
  run(ctx: Context) {
    const { memory, mmu, frames } = build();
    const machine = new MachineSnapshots({ memory, mmus: [mmu], frames });
    const rows: Row[] = [];
    const points: Array<{ pages: number; ns: number }> = [];
    const writes = (n: number) => {
      for (let i = 0; i < n; i++) mmu.write32(BASE + i * 4096 + ((i * 64) & 0xffc), i);
    };
    // The baseline a journal-less snapshot pays on every restore: all of RAM copied back.
    const copy = memory.bytes.slice();
    const full = runBatches(ctx, { name: 'copy of all RAM (64 MiB)', opsPerBatch: 1, run: () => memory.bytes.set(copy), batches: ctx.quick ? 3 : 15 });
    rows.push(full.row);
    const snapshot = machine.take();
    for (const n of COUNTS) {
      let copied = 0;
      // Small cases repeat within a batch, so that a batch is long enough to time.
      const repeat = Math.max(1, Math.floor(256 / n));
      const timed = runBatches(ctx, {
        name: `${n} pages written, then restore`,
        opsPerBatch: repeat,
        run: () => {
          for (let r = 0; r < repeat; r++) {
            writes(n);
            copied = machine.restore(snapshot).framesCopied;
          }
        },
        extra: () => ({ 'frames copied': String(copied) }),
        batches: ctx.quick ? 3 : 25,
      });
      rows.push(timed.row);
      points.push({ pages: n, ns: timed.medianNs });
    }
    machine.discard(snapshot);
    const bare = runBatches(ctx, { name: `${COUNTS[COUNTS.length - 1]} pages written, no snapshot open`, opsPerBatch: 1, run: () => writes(COUNTS[COUNTS.length - 1]), batches: ctx.quick ? 3 : 25 });
    rows.push(bare.row);
    consume(memory.read32(0));
    // A kernel: a restore copies back the records of what changed (the allocation written, its address space) and the
    // kernel's own, so it should not grow with the number of allocations, in one process or many.
    for (const [processes, allocations] of [[1, 16], [8, 64], [32, 128], [1, 4096]] as const) {
      const kernel = new Kernel({ memorySize: 256 << 20 });
      const list = Array.from({ length: processes }, () => kernel.createProcess());
      const first: number[] = [];
      for (const p of list) {
        for (let i = 0; i < allocations; i++) {
          const base = p.virtualAlloc(0, 0x4000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
          p.writeMemory(base, new Uint8Array([1]));
          first.push(base);
        }
      }
      const start = kernel.snapshot();
      const data = new Uint8Array([2]);
      rows.push(
        runBatches(ctx, {
          name: `Kernel, ${processes} process${processes > 1 ? 'es' : ''} × ${allocations} allocations: write 1 page, restore`,
          opsPerBatch: 4,
          run: () => {
            for (let r = 0; r < 4; r++) {
              list[0].writeMemory(first[0], data);
              kernel.restore(start);
            }
          },
          batches: ctx.quick ? 3 : 15,
        }).row,
      );
      if (processes !== 8) continue;
      // Saved states: what keeping a state across runs costs (RAM's nonzero frames and the records, both ways).
      let saved = kernel.saveState();
      const kb = (saved.length / 1024).toFixed(0);
      rows.push(runBatches(ctx, { name: `Kernel, 8 processes × 64 allocations: saveState (${kb} KiB)`, opsPerBatch: 1, run: () => (saved = kernel.saveState()), batches: ctx.quick ? 3 : 10 }).row);
      rows.push(runBatches(ctx, { name: `Kernel, 8 processes × 64 allocations: loadState`, opsPerBatch: 1, run: () => consume(Kernel.loadState(saved).committed), batches: ctx.quick ? 3 : 10 }).row);
    }
    let machineState = machine.save();
    rows.push(runBatches(ctx, { name: `MachineSnapshots.save, 4096 pages written (${(machineState.length / 1024 / 1024).toFixed(1)} MiB)`, opsPerBatch: 1, run: () => (machineState = machine.save()), batches: ctx.quick ? 3 : 10 }).row);
    rows.push(runBatches(ctx, { name: 'MachineSnapshots.load into the same machine (nothing differs)', opsPerBatch: 1, run: () => consume(machine.load(machineState)), batches: ctx.quick ? 3 : 10 }).row);
    printTable({
      title: 'Snapshots: write N pages, restore (64 MiB RAM, x86-64, accurate mode)',
      method: 'runBatches; one op = N one-word writes to distinct pages plus MachineSnapshots.restore (the frames the writes and the walks dirtied are copied back). Median of batches; ± = half the interquartile range.',
      rows,
      ratios: { 'vs copy of all RAM': (row) => (row.name.startsWith('copy of all RAM') ? undefined : 'copy of all RAM (64 MiB)') },
    });
    const one = rowNamed(rows, '1 pages written, then restore');
    const most = rowNamed(rows, `${COUNTS[COUNTS.length - 1]} pages written, then restore`);
    ctx.targets.note(
      `Snapshots: write 1 page + restore ${ratio(one, full.row).toFixed(4)}x a copy of all 64 MiB; 4096 pages (16 MiB) + restore ${ratio(most, full.row).toFixed(2)}x; ` +
        `the 4096 writes alone ${ratio(rowNamed(rows, `${COUNTS[COUNTS.length - 1]} pages written, no snapshot open`), most).toFixed(2)}x of that.`,
    );
    const svgPath = writeResult(ctx, 'snapshots', 'svg', chart(points, full.medianNs));
    console.log(`chart: ${svgPath}`);
  },
};
