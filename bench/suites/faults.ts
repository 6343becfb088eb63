/**
 * Page faults end to end, through a Kernel: from the access that faults to
 * the retried access completing (or, for the two that raise, to the caller
 * catching the WindowsExceptionError), against the bare work each cannot
 * avoid, timed the same way:
 * - a 4 KiB `fill(0)`, and a frame allocation (pop a free stack) + `fill(0)`:
 *   what a demand-zero fault must do;
 * - a 4 KiB `copyWithin`, and a frame allocation + `copyWithin`: what a
 *   copy-on-write fault must do;
 * - `throw new Error()` + `catch`: what a fault delivered to the caller must do.
 *
 * Every operation consumes state (a page that has not been touched yet, a page
 * still shared), so this suite times batches by hand: each batch's pages are
 * prepared untimed, then one timed loop takes one fault per page.
 */
import {
  FILE_MAP_COPY,
  Kernel,
  MEM_COMMIT,
  MEM_RELEASE,
  MEM_RESERVE,
  PAGE_GUARD,
  PAGE_READONLY,
  PAGE_READWRITE,
  WindowsExceptionError,
  verify,
  type KernelStats,
  type Process,
  type Section,
} from '../../src/index.js';
import { bytesAllocatedByLibrary, consume, printTable, ratio, rowNamed, runBatches, type BatchCase, type Context, type Row, type Suite } from '../harness.js';

const PAGE = 4096;

/** Which kernel counters to show, per case. */
const COUNTERS: Array<[keyof KernelStats, string]> = [
  ['demandZeroFaults', 'demand-zero'],
  ['copyOnWriteFaults', 'copy'],
  ['copyOnWriteReuses', 'reuse'],
  ['sectionFaults', 'section'],
  ['guardFaults', 'guard'],
  ['accessViolations', 'AV'],
  ['shootdowns', 'shootdown'],
];

/** Adds a "kernel events/op" column: the kernel counters that moved during the timed runs, per operation. */
function counted(kernel: Kernel, c: BatchCase): BatchCase {
  const totals = new Map<keyof KernelStats, number>();
  let before: KernelStats = { ...kernel.stats };
  let ops = 0;
  return {
    ...c,
    prepare: () => {
      c.prepare?.();
      before = { ...kernel.stats };
    },
    cleanup: () => {
      for (const [key] of COUNTERS) totals.set(key, (totals.get(key) ?? 0) + kernel.stats[key] - before[key]);
      ops += c.opsPerBatch;
      c.cleanup?.();
    },
    extra: () => ({
      'kernel events/op': COUNTERS.filter(([key]) => (totals.get(key) ?? 0) > 0)
        .map(([key, label]) => `${label} ${((totals.get(key) ?? 0) / ops).toFixed(2)}`)
        .join(', '),
    }),
  };
}

export const suite: Suite = {
  name: 'faults',
  description: 'demand-zero, copy-on-write, guard-page and access-violation faults through a Kernel, vs the bare fill/copy/throw',
  run(ctx: Context) {
    const N = ctx.quick ? 128 : 512; // faults per timed batch
    const kernel = new Kernel({ memorySize: 64 << 20 });
    const cpu = kernel.cpus[0];
    const mmu = cpu.mmu;
    const cycles = () => mmu.cycles;
    const rows: Row[] = [];
    const BATCHES = ctx.quick ? 3 : 60;
    const add = (c: BatchCase) => rows.push(runBatches(ctx, { batches: BATCHES, ...c }).row);

    // ---------------------------------------------------------------- bare work
    const FRAMES = 2 * N + 1;
    const bytes = new Uint8Array(FRAMES * PAGE);
    const freeStack = new Int32Array(FRAMES);
    const refCounts = new Uint32Array(FRAMES);
    let top = 0;
    const refill = () => {
      // Frames N..2N-1 are free (0..N-1 are copy sources); the lowest on top, as the kernel's allocator does.
      top = 0;
      for (let f = 2 * N - 1; f >= N; f--) freeStack[top++] = f;
      bytes[0] ^= 1; // copy sources are not all zero
    };
    add({
      name: 'bare: fill(0) 4 KiB',
      opsPerBatch: N,
      run: () => {
        for (let i = 0; i < N; i++) bytes.fill(0, (N + i) * PAGE, (N + i + 1) * PAGE);
      },
    });
    add({
      name: 'bare: frame alloc + fill(0)',
      opsPerBatch: N,
      prepare: refill,
      run: () => {
        for (let i = 0; i < N; i++) {
          const f = freeStack[--top];
          refCounts[f] = 1;
          bytes.fill(0, f * PAGE, (f + 1) * PAGE);
        }
      },
    });
    add({
      name: 'bare: copyWithin 4 KiB',
      opsPerBatch: N,
      run: () => {
        for (let i = 0; i < N; i++) bytes.copyWithin((N + i) * PAGE, i * PAGE, (i + 1) * PAGE);
      },
    });
    add({
      name: 'bare: frame alloc + copyWithin',
      opsPerBatch: N,
      prepare: refill,
      run: () => {
        for (let i = 0; i < N; i++) {
          const f = freeStack[--top];
          refCounts[f] = 1;
          bytes.copyWithin(f * PAGE, i * PAGE, (i + 1) * PAGE);
        }
      },
    });
    add({
      name: 'bare: throw + catch Error',
      opsPerBatch: N,
      run: () => {
        let caught = 0;
        for (let i = 0; i < N; i++) {
          try {
            throw new Error(`fault at 0x${i.toString(16)}`);
          } catch (error) {
            if (error instanceof Error) caught++;
          }
        }
        consume(caught);
      },
    });

    // ---------------------------------------------------------------- faults
    const p = kernel.createProcess();
    kernel.run(cpu, p);
    let base = 0;
    const allocate = (protect = PAGE_READWRITE) => {
      base = p.virtualAlloc(0, N * PAGE, MEM_RESERVE | MEM_COMMIT, protect);
    };
    const release = () => p.virtualFree(base, 0, MEM_RELEASE);
    const writeEach = () => {
      for (let i = 0; i < N; i++) mmu.write32(base + i * PAGE, i);
    };
    const readEach = () => {
      let s = 0;
      for (let i = 0; i < N; i++) s += mmu.read32(base + i * PAGE);
      consume(s);
    };

    add(counted(kernel, { name: 'demand-zero write', opsPerBatch: N, prepare: () => allocate(), run: writeEach, cleanup: release, cycles }));
    add(counted(kernel, { name: 'demand-zero read (zero frame)', opsPerBatch: N, prepare: () => allocate(), run: readEach, cleanup: release, cycles }));

    let parent: Process | null = null;
    let child: Process | null = null;
    const forked = (keepChild: boolean) => () => {
      parent = kernel.createProcess();
      kernel.run(cpu, parent);
      base = parent.virtualAlloc(0, N * PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
      writeEach();
      child = parent.fork();
      if (keepChild) kernel.run(cpu, child);
      else child.exit();
    };
    const exitBoth = () => {
      child?.exit();
      parent?.exit();
      kernel.run(cpu, p);
    };
    add(counted(kernel, { name: 'CoW write after fork (copy)', opsPerBatch: N, prepare: forked(true), run: writeEach, cleanup: exitBoth, cycles }));

    let section: Section | null = null;
    add(
      counted(kernel, {
        name: 'CoW write, FILE_MAP_COPY view (copy)',
        opsPerBatch: N,
        prepare: () => {
          section = kernel.createSection({ protect: PAGE_READWRITE, size: N * PAGE });
          base = p.mapViewOfSection(section, { access: FILE_MAP_COPY });
          readEach(); // the view maps the section's frames read-only
        },
        run: writeEach,
        cleanup: () => {
          p.unmapViewOfSection(base);
          kernel.closeSection(section!);
        },
        cycles,
      }),
    );
    add(counted(kernel, { name: 'CoW write, sole owner (no copy)', opsPerBatch: N, prepare: forked(false), run: writeEach, cleanup: exitBoth, cycles }));

    add(
      counted(kernel, {
        name: 'guard page: raise, catch, retry',
        opsPerBatch: N,
        prepare: () => {
          allocate();
          writeEach(); // frames present: the retry only maps the page again
          p.virtualProtect(base, N * PAGE, PAGE_READWRITE | PAGE_GUARD);
        },
        run: () => {
          for (let i = 0; i < N; i++) {
            const va = base + i * PAGE;
            try {
              mmu.write32(va, i);
            } catch (error) {
              if (!(error instanceof WindowsExceptionError)) throw error;
              mmu.write32(va, i);
            }
          }
        },
        cleanup: release,
        cycles,
      }),
    );

    const readOnly = p.virtualAlloc(0, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READONLY);
    mmu.read32(readOnly);
    add(
      counted(kernel, {
        name: 'access violation delivered (write to READONLY)',
        opsPerBatch: N,
        run: () => {
          let caught = 0;
          for (let i = 0; i < N; i++) {
            try {
              mmu.write32(readOnly, i);
            } catch (error) {
              if (!(error instanceof WindowsExceptionError)) throw error;
              caught++;
            }
          }
          consume(caught);
        },
        cycles,
      }),
    );

    // JavaScript allocated by the library during a batch of faults, after 8192 faults untimed; the
    // least of 5 batches: a batch that runs code V8 has just deoptimized (the rows before this one
    // taught it other types) boxes its numbers on the heap, which says nothing of the steady state,
    // while an allocation the optimized path makes shows in every batch.
    const bytesPerFault = (prepare: () => void, cleanup: () => void): number => {
      for (let b = 0; b < Math.ceil(8192 / N); b++) {
        prepare();
        writeEach();
        cleanup();
      }
      let least = Number.POSITIVE_INFINITY;
      for (let b = 0; b < 5; b++) {
        prepare();
        least = Math.min(least, bytesAllocatedByLibrary(writeEach) / N);
        cleanup();
      }
      return least;
    };
    const allocationLine =
      `Allocation check, bytes the library allocates per fault (V8's sampling heap profiler, the least of 5 batches): demand-zero write ${bytesPerFault(() => allocate(), release).toFixed(1)}, ` +
      `copy-on-write with copy ${bytesPerFault(forked(true), exitBoth).toFixed(1)}, sole owner ${bytesPerFault(forked(false), exitBoth).toFixed(1)} ` +
      '(these faults allocate nothing: expect 0; before the invalidations walked their levels by index, a copy-on-write fault allocated about 280 bytes).';

    const problems = verify(kernel);
    if (problems.length > 0) throw new Error(`kernel inconsistent after the fault benchmarks: ${problems[0].message}`);

    const isFault = (row: Row) => !row.name.startsWith('bare');
    printTable({
      title: 'Faults end to end (Kernel, x86-64, 1 CPU)',
      method: `process.hrtime.bigint() around batches of ${N} faults, one per page; each batch's pages prepared untimed (allocated, written, forked, mapped, guarded). median batch; ± = half the interquartile range over ${BATCHES} batches. One op = one faulting access until the retried access completes (or the exception is caught).`,
      rows,
      ratios: {
        'vs alloc+fill': (row) => (isFault(row) ? 'bare: frame alloc + fill(0)' : row.name === 'bare: frame alloc + fill(0)' ? row.name : undefined),
        'vs alloc+copy': (row) => (isFault(row) ? 'bare: frame alloc + copyWithin' : row.name === 'bare: frame alloc + copyWithin' ? row.name : undefined),
        'vs throw': (row) => (isFault(row) ? 'bare: throw + catch Error' : row.name === 'bare: throw + catch Error' ? row.name : undefined),
      },
      extraColumns: ['kernel events/op'],
      notes: [
        'A fault pays: the L1 and L2 TLB probes, a walk that finds no (or a read-only) entry, the kernel handler (region lookup, frame allocation and zeroing or copy, page-table update, shootdown when an entry was present), and the retried access with its second walk.',
        allocationLine,
      ],
    });
    ctx.targets.record('cow-vs-copy', ratio(rowNamed(rows, 'CoW write after fork (copy)'), rowNamed(rows, 'bare: frame alloc + copyWithin')));
    ctx.targets.record('dz-vs-fill', ratio(rowNamed(rows, 'demand-zero write'), rowNamed(rows, 'bare: frame alloc + fill(0)')));
    const thrown = rowNamed(rows, 'access violation delivered (write to READONLY)');
    const bareThrow = rowNamed(rows, 'bare: throw + catch Error');
    ctx.targets.record('fault-thrown-us', 1e6 / thrown.opsPerSec, `${ratio(thrown, bareThrow).toFixed(2)}x a bare throw + catch of a new Error in this run, ${(1e6 / bareThrow.opsPerSec).toFixed(2)} µs`);
  },
};
