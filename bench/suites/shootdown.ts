/**
 * TLB shootdown: `virtualProtect` changing the protection of one committed
 * page that 1, 2, 4 or 8 CPUs have cached, each CPU running a thread of the
 * same process (`kernel.run(i, process)` on every CPU). The change must
 * invalidate the page on every CPU that may hold it: host time per change,
 * the emulated cycles charged for it (summed over every CPU, and on CPU 0),
 * and the IPIs the kernel counted.
 *
 * The baseline is the 1-CPU row of the same run. Each timed batch changes 64
 * different pages once each (alternating PAGE_READWRITE and PAGE_READONLY
 * between batches); before each batch every CPU reads all 64 pages again,
 * untimed, so every change finds the page cached everywhere.
 */
import { Kernel, MEM_COMMIT, MEM_RESERVE, PAGE_READONLY, PAGE_READWRITE } from '../../src/index.js';
import { consume, printTable, ratio, rowNamed, runBatches, type Context, type Row, type Suite } from '../harness.js';

const PAGES = 64; // changes per batch; 64 pages from a 64 KiB-aligned base fill the 64-entry L1 DTLB exactly
const PAGE = 4096;

export const suite: Suite = {
  name: 'shootdown',
  description: 'virtualProtect on a page cached by 1, 2, 4 and 8 CPUs running one process',
  run(ctx: Context) {
    const rows: Row[] = [];
    for (const n of [1, 2, 4, 8]) {
      const kernel = new Kernel({ cpus: n, memorySize: 16 << 20 });
      const process = kernel.createProcess();
      const base = process.virtualAlloc(0, PAGES * PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
      for (let i = 0; i < n; i++) kernel.run(i, process);
      for (let p = 0; p < PAGES; p++) kernel.cpus[0].mmu.write32(base + p * PAGE, p); // give every page its frame
      let protect = PAGE_READWRITE;
      let before = { ...kernel.stats };
      let ipis = 0;
      let changes = 0;
      let cpu0Cycles = 0;
      let cpu0Before = 0;
      const allCycles = () => kernel.cpus.reduce((sum, cpu) => sum + cpu.mmu.cycles, 0);
      const timing = runBatches(ctx, {
        name: `${n} CPU${n > 1 ? 's' : ''}`,
        opsPerBatch: PAGES,
        batches: ctx.quick ? 3 : 200,
        prepare: () => {
          let s = 0;
          for (const cpu of kernel.cpus) for (let p = 0; p < PAGES; p++) s += cpu.mmu.read32(base + p * PAGE);
          consume(s);
          protect = protect === PAGE_READWRITE ? PAGE_READONLY : PAGE_READWRITE;
          before = { ...kernel.stats };
          cpu0Before = kernel.cpus[0].mmu.cycles;
        },
        run: () => {
          for (let p = 0; p < PAGES; p++) process.virtualProtect(base + p * PAGE, PAGE, protect);
        },
        cleanup: () => {
          ipis += kernel.stats.shootdownIpis - before.shootdownIpis;
          changes += PAGES;
          cpu0Cycles += kernel.cpus[0].mmu.cycles - cpu0Before;
        },
        cycles: allCycles,
      });
      const invalidated = kernel.cpus.every((cpu) => cpu.mmu.tlb.l1d.peek(base, process.asid) < 0 && (cpu.mmu.tlb.l2?.peek(base, process.asid) ?? -1) < 0);
      if (!invalidated) throw new Error(`a CPU still caches the page after the change (${n} CPUs)`);
      timing.row.extra = {
        'cycles/op on CPU 0': (cpu0Cycles / changes).toFixed(0),
        'shootdownIpis/op': (ipis / changes).toFixed(2),
      };
      rows.push(timing.row);
    }
    printTable({
      title: 'Shootdown: virtualProtect of one cached page',
      method: `process.hrtime.bigint() around batches of ${PAGES} virtualProtect calls, each on a different page that every CPU has just read (re-reads untimed). One op = one protection change. cycles/op: emulated cycles charged for a change, summed over every CPU. median batch; ± = half the interquartile range over ${ctx.quick ? 3 : 200} batches.`,
      rows,
      ratios: { 'vs 1 CPU': '1 CPU' },
      extraColumns: ['cycles/op on CPU 0', 'shootdownIpis/op'],
      notes: [
        'virtualProtect is a process-level call: the kernel sends the shootdown from a CPU running the process (CPU 0 here), which invalidates its own TLB without an IPI and sends one to every other CPU that has run the process: N - 1 IPIs for N CPUs, each charged to CPU 0.',
      ],
    });
    ctx.targets.note(`Shootdown: a protection change on 8 CPUs takes ${ratio(rowNamed(rows, '8 CPUs'), rowNamed(rows, '1 CPU')).toFixed(2)}x the host time of 1 CPU.`);
  },
};
