/**
 * The shared half of mmukit's benchmarks: two ways to time a case, one way to
 * print a table, the targets of the performance issue, and result files.
 *
 * Machines running these are shared and noisy, so no figure stands alone:
 * every table names its baselines (rows measured in the same run, usually
 * just before), and each row is printed as a ratio to each of them
 * (`row time / baseline time`: 2.00x means twice as slow as the baseline).
 *
 * Two timing methods:
 * - {@link runBenchmarkJs}: benchmark.js, for cases that can run over and over
 *   without changing state (TLB hits, walks, lookups). `±%` is benchmark.js's
 *   relative margin of error (95% confidence) of the mean.
 * - {@link runBatches}: `process.hrtime.bigint()` around a batch of operations
 *   whose preparation (allocating the pages a fault will hit, forking, re-reading
 *   pages into TLBs) runs untimed before the batch. Used when every operation
 *   consumes state. The row is the median batch; `±%` is half the interquartile
 *   range over batches, relative to the median.
 */
import Benchmark from 'benchmark';
import { Session } from 'node:inspector';
import { cpus, loadavg } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** What every suite is given. */
export interface Context {
  /** `--quick`: every case briefly (CI smoke run). */
  readonly quick: boolean;
  /** Records the ratios the summary compares with the issue's targets. */
  readonly targets: Targets;
}

/** One benchmark suite (one file under `bench/suites/`). */
export interface Suite {
  /** Name for `--suite`. */
  readonly name: string;
  /** One line: what it measures. */
  readonly description: string;
  /** Runs every case, prints its tables. */
  run(ctx: Context): Promise<void> | void;
}

/** One measured case. */
export interface Row {
  name: string;
  /** Operations per second (the table's title says what one operation is). */
  opsPerSec: number;
  /** ± in percent: margin of error (benchmark.js) or half the interquartile range over batches, relative to the median (hrtime). */
  spread: number;
  /** Emulated cycles charged per operation, or null when the case has no emulated CPU. */
  cyclesPerOp: number | null;
  /** Extra columns, by column name. */
  extra?: Record<string, string>;
}

/** A table: rows, and for each ratio column which row is the baseline. */
export interface Table {
  title: string;
  /** How it was timed and what one operation is. */
  method: string;
  rows: Row[];
  /**
   * Ratio columns: header → baseline row name, or a function picking the
   * baseline row name for each row (undefined: no ratio for that row).
   */
  ratios: Record<string, string | ((row: Row) => string | undefined)>;
  /** Names of extra columns, printed after the cycle column. */
  extraColumns?: string[];
  /** Lines printed under the table. */
  notes?: string[];
}

// ------------------------------------------------------------------ timing

/** A case for {@link runBenchmarkJs}. */
export interface BjsCase {
  name: string;
  /** One call: `opsPerCall` operations. Must leave the state as it found it. */
  fn: () => void;
  opsPerCall: number;
  /**
   * Emulated cycles per operation, measured in a separate untimed pass (cycle
   * counts are deterministic; no need to mix them with timing).
   */
  cycles?: () => number;
  extra?: () => Record<string, string>;
}

let sink = 0;

/** Keeps a value alive so the optimizer cannot drop the work that made it. */
export function consume(value: number): void {
  sink = (sink + value) | 0;
}

/** Runs cases with benchmark.js, one after the other, and returns a row per case. */
export function runBenchmarkJs(ctx: Context, cases: BjsCase[]): Row[] {
  const options: Benchmark.Options = ctx.quick ? { maxTime: 0.05, minSamples: 3, minTime: 0.01 } : { maxTime: 1.5, minSamples: 10 };
  const rows: Row[] = [];
  for (const c of cases) {
    warm(c.fn, ctx.quick ? 40 : 150);
    const bench = new Benchmark(c.name, c.fn, options);
    bench.run();
    if (bench.error) throw bench.error;
    rows.push({
      name: c.name,
      opsPerSec: (bench.hz ?? 0) * c.opsPerCall,
      spread: bench.stats?.rme ?? 0,
      cyclesPerOp: c.cycles ? c.cycles() : null,
      extra: c.extra ? c.extra() : undefined,
    });
  }
  return rows;
}

/** Calls `fn` for about `ms` milliseconds, so timing starts on optimized code. */
function warm(fn: () => void, ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) for (let i = 0; i < 16; i++) fn();
}

/** A case for {@link runBatches}. */
export interface BatchCase {
  name: string;
  /** Operations in one timed batch. */
  opsPerBatch: number;
  /** Untimed, before each batch: build the state the batch consumes. */
  prepare?: () => void;
  /** Timed: exactly `opsPerBatch` operations. */
  run: () => void;
  /** Untimed, after each batch. */
  cleanup?: () => void;
  /** A cumulative emulated-cycle counter, read just before and after each timed run. */
  cycles?: () => number;
  /** Extra columns, computed after the last batch. */
  extra?: () => Record<string, string>;
  /** Measured batches; default 25 (full) or 3 (quick). */
  batches?: number;
  /** Batches run first and discarded (JIT warm-up); default 3 (full) or 1 (quick). */
  warmup?: number;
}

/** Per-batch results of {@link runBatches}, for callers that want more than the row. */
export interface BatchTiming {
  row: Row;
  /** Median over the batches of nanoseconds per operation: what the row reports. */
  medianNs: number;
  /** Mean nanoseconds per operation. */
  meanNs: number;
  /** Standard deviation of the per-batch nanoseconds per operation. */
  sdNs: number;
}

/**
 * Times a case by hand: untimed prepare, timed run, untimed cleanup, per batch. The row reports the
 * median batch, not the mean: batches that ran before V8 had optimized the whole path (a kernel's
 * fault path takes thousands of faults, more than the discarded warm-up batches hold) or during a
 * garbage collection are several times the steady state, and a few of them move a mean far more
 * than the steady state moves between runs.
 */
export function runBatches(ctx: Context, c: BatchCase): BatchTiming {
  const batches = c.batches ?? (ctx.quick ? 3 : 25);
  const warmup = c.warmup ?? (ctx.quick ? 1 : 3);
  const perOp: number[] = [];
  let cycles = 0;
  for (let b = 0; b < warmup + batches; b++) {
    c.prepare?.();
    const c0 = c.cycles ? c.cycles() : 0;
    const t0 = process.hrtime.bigint();
    c.run();
    const t1 = process.hrtime.bigint();
    const c1 = c.cycles ? c.cycles() : 0;
    c.cleanup?.();
    if (b >= warmup) {
      perOp.push(Number(t1 - t0) / c.opsPerBatch);
      cycles += c1 - c0;
    }
  }
  const mean = perOp.reduce((a, b) => a + b, 0) / perOp.length;
  const sd = Math.sqrt(perOp.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, perOp.length - 1));
  const sorted = [...perOp].sort((a, b) => a - b);
  const median = quantile(sorted, 0.5);
  const row: Row = {
    name: c.name,
    opsPerSec: 1e9 / median,
    spread: (100 * (quantile(sorted, 0.75) - quantile(sorted, 0.25))) / 2 / median,
    cyclesPerOp: c.cycles ? cycles / (batches * c.opsPerBatch) : null,
    extra: c.extra ? c.extra() : undefined,
  };
  return { row, medianNs: median, meanNs: mean, sdNs: sd };
}

/** The `q` quantile of ascending `sorted` values, interpolated between the two nearest. */
function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const below = Math.floor(at);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (at - below);
}

/**
 * Garbage collections V8 reports while `fn` runs (and 50 ms after, for the report to arrive): a
 * path that allocates nothing runs millions of operations with none, or one already due.
 */
export async function garbageCollectionsDuring(fn: () => void): Promise<number> {
  const { PerformanceObserver } = await import('node:perf_hooks');
  let count = 0;
  const observer = new PerformanceObserver((list) => {
    count += list.getEntries().length;
  });
  observer.observe({ entryTypes: ['gc'] });
  fn();
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  return count;
}

/**
 * Bytes of JavaScript objects the library allocates while `fn` runs, as V8's sampling heap
 * profiler estimates them (a sample every 64 bytes on average, scaled to the total; objects
 * collected since counted too): the allocations made under a frame of `src/`. Compiled code and
 * the profiler's own messages are not counted, which a heap-size difference would include.
 */
export function bytesAllocatedByLibrary(fn: () => void): number {
  const session = new Session();
  session.connect();
  let total = Number.NaN;
  const options = { samplingInterval: 64, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true };
  session.post('HeapProfiler.startSampling', options as object);
  try {
    fn();
  } finally {
    // A session on the main thread answers synchronously: the callback has run when post returns.
    session.post('HeapProfiler.stopSampling', (error, result) => {
      if (error === null) total = libraryBytes(result.profile.head, false);
    });
    session.disconnect();
  }
  return total;
}

/** The sampled bytes of `node` and below that were allocated under a frame of the library's `src/`. */
function libraryBytes(node: { callFrame: { url: string }; selfSize: number; children: readonly unknown[] }, underLibrary: boolean): number {
  const inLibrary = underLibrary || /[\\/]src[\\/]/.test(node.callFrame.url);
  let bytes = inLibrary ? node.selfSize : 0;
  for (const child of node.children) bytes += libraryBytes(child as typeof node, inLibrary);
  return bytes;
}

/** Emulated cycles per operation of `fn` (which does `ops` operations), from a counter read around one call. */
export function cyclesOf(counter: () => number, fn: () => void, ops: number): number {
  const before = counter();
  fn();
  return (counter() - before) / ops;
}

// ------------------------------------------------------------------ printing

/** Formats a rate with an SI suffix: 12.3 M. */
export function formatRate(opsPerSec: number): string {
  if (!Number.isFinite(opsPerSec) || opsPerSec <= 0) return '-';
  const units: Array<[number, string]> = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [scale, suffix] of units) if (opsPerSec >= scale) return `${(opsPerSec / scale).toPrecision(3)} ${suffix}`;
  return opsPerSec.toPrecision(3);
}

/** Formats nanoseconds with a unit that keeps 3 significant digits. */
export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return '-';
  if (ns >= 1e6) return `${(ns / 1e6).toPrecision(3)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toPrecision(3)} µs`;
  return `${ns.toPrecision(3)} ns`;
}

function formatCycles(c: number | null): string {
  if (c === null) return '-';
  return c >= 100 ? c.toFixed(0) : c.toFixed(2);
}

/** The ratio `row time / baseline time` of two rows. */
export function ratio(row: Row, baseline: Row): number {
  return baseline.opsPerSec / row.opsPerSec;
}

/** Finds a row by name. @throws when absent (a typo in a suite). */
export function rowNamed(table: Table | Row[], name: string): Row {
  const rows = Array.isArray(table) ? table : table.rows;
  const row = rows.find((r) => r.name === name);
  if (!row) throw new Error(`no row named '${name}'`);
  return row;
}

/** Prints a table as aligned columns (Markdown pipe syntax, so it pastes into docs unchanged). */
export function printTable(table: Table): void {
  const ratioHeaders = Object.keys(table.ratios);
  const extra = table.extraColumns ?? [];
  const header = ['case', 'ops/s', '±%', 'ns/op', ...ratioHeaders, 'cycles/op', ...extra];
  const lines: string[][] = [header];
  for (const row of table.rows) {
    const ratios = ratioHeaders.map((h) => {
      const spec = table.ratios[h];
      const baseName = typeof spec === 'function' ? spec(row) : spec;
      if (baseName === undefined) return '';
      if (baseName === row.name) return 'base';
      const base = table.rows.find((r) => r.name === baseName);
      return base ? `${ratio(row, base).toFixed(2)}x` : '';
    });
    lines.push([
      row.name,
      formatRate(row.opsPerSec),
      row.spread.toFixed(1),
      formatNs(1e9 / row.opsPerSec),
      ...ratios,
      formatCycles(row.cyclesPerOp),
      ...extra.map((e) => row.extra?.[e] ?? ''),
    ]);
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  const numeric = (i: number) => i > 0;
  const render = (l: string[]) => `| ${l.map((cell, i) => (numeric(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join(' | ')} |`;
  console.log(`\n### ${table.title}\n`);
  console.log(`${table.method}\n`);
  console.log(render(lines[0]));
  console.log(`|${widths.map((w, i) => (numeric(i) ? `${'-'.repeat(w + 1)}:` : `${'-'.repeat(w + 2)}`)).join('|')}|`);
  for (const l of lines.slice(1)) console.log(render(l));
  for (const note of table.notes ?? []) console.log(`\n${note}`);
}

// ------------------------------------------------------------------ targets

/**
 * The issue's targets: a ratio measured in the run, and the most it may be; or,
 * with a `unit`, a time per operation in that unit (for work whose only baseline
 * would be the engine's own, such as throwing).
 */
export const TARGETS = [
  { key: 'hit-vs-hand', label: 'accurate L1-hit read32 vs hand-written loop of the same TLB model', limit: 1.2 },
  { key: 'l2-vs-l1', label: 'accurate read32 that misses the L1 TLB and hits the L2 vs an L1 hit', limit: 2 },
  { key: 'hit-vs-map', label: 'accurate L1-hit read32 vs Map<vpn, frame> (≤ 0.33x: 3x faster)', limit: 0.33 },
  { key: 'fast-vs-raw-32', label: 'fast-mode read32 hit vs raw typed-array load, 32-bit VAs', limit: 2 },
  { key: 'fast-vs-raw-48', label: 'fast-mode read32 hit vs raw typed-array load, 48-bit VAs', limit: 1.3 },
  { key: 'controls-ns', label: 'setControls (SUM, AC), setPrivilege or RISC-V M-mode entry/exit, ns per change', limit: 100, unit: 'ns' },
  { key: 'walk-vs-hand', label: 'x86-64 TLB miss (read32, 4-level walk, no walk cache) vs hand-written walk + fill of both TLB levels', limit: 3 },
  { key: 'cow-vs-copy', label: 'CoW fault (fork) vs bare frame alloc + 4 KiB copyWithin', limit: 3 },
  { key: 'dz-vs-fill', label: 'demand-zero fault vs bare frame alloc + 4 KiB fill(0)', limit: 3 },
  { key: 'region-100k-vs-100', label: 'RegionTree.find, 100 000 vs 100 regions', limit: 3 },
  { key: 'bulk-vs-set', label: 'mmu.readBytes of 1 MiB vs Uint8Array.set of 1 MiB', limit: 2 },
  { key: 'reloc-vs-fixups', label: 'DLL privately relocated at a taken base (lazy and eager, the slower) vs bare alloc + copy + fixups', limit: 3 },
  { key: 'mmu-fault-quiet-us', label: 'page fault reported by the MMU (tryRead32, no exception), µs per fault', limit: 0.5, unit: 'µs' },
  { key: 'mmu-fault-thrown-us', label: 'page fault thrown by the MMU (read32, PageFaultError caught), µs per fault', limit: 2, unit: 'µs' },
  { key: 'fault-thrown-us', label: 'access violation delivered to the caller by a Kernel (thrown and caught), µs per fault', limit: 2, unit: 'µs' },
  { key: 'riscv-fast-vs-flat', label: 'RISC-V guest, fast mode vs flat memory (instructions per second, same interpreter)', limit: 1.5 },
] as const;

/** A target's key. */
export type TargetKey = (typeof TARGETS)[number]['key'];

/** Measured ratios for the summary. */
/** {@link Targets} as plain data, for a child process to send. */
export interface TargetsRecord {
  measured: Array<[TargetKey, { ratio: number; detail: string }]>;
  info: string[];
}

export class Targets {
  private readonly measured = new Map<TargetKey, { ratio: number; detail: string }>();
  private readonly info: string[] = [];

  /** Records the ratio (or, for a target with a unit, the time) measured for a target. */
  record(key: TargetKey, value: number, detail = ''): void {
    this.measured.set(key, { ratio: value, detail });
  }

  /** Adds a line printed under the targets (related figures that are not targets). */
  note(line: string): void {
    this.info.push(line);
  }

  /** What was recorded, as plain data: a suite run in a child process sends it to the parent. */
  export(): TargetsRecord {
    return { measured: [...this.measured], info: [...this.info] };
  }

  /** Adds what another process recorded (see {@link Targets.export}). */
  merge(record: TargetsRecord): void {
    for (const [key, value] of record.measured) this.measured.set(key, value);
    this.info.push(...record.info);
  }

  /** Prints PASS / MISS per target; never fails the process (a noisy machine must not turn CI red). */
  print(): void {
    console.log('\n## Targets (ratios measured in this run)\n');
    console.log('| target | limit | measured | |');
    console.log('|---|---:|---:|---|');
    for (const t of TARGETS) {
      const m = this.measured.get(t.key);
      const unit = 'unit' in t ? ` ${t.unit}` : 'x';
      if (!m) {
        console.log(`| ${t.label} | ≤ ${t.limit.toFixed(t.limit < 1 ? 2 : 1)}${unit} | - | not run |`);
        continue;
      }
      const verdict = m.ratio <= t.limit ? 'PASS' : 'MISS';
      console.log(`| ${t.label} | ≤ ${t.limit.toFixed(t.limit < 1 ? 2 : 1)}${unit} | ${m.ratio.toFixed(2)}${unit} | ${verdict}${m.detail ? ` (${m.detail})` : ''} |`);
    }
    for (const line of this.info) console.log(`\n${line}`);
  }
}

// ------------------------------------------------------------------ results and machine

/** `bench/results/`, created on demand. */
export function resultsDir(): string {
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Writes a result file under `bench/results/`: `NAME.EXT` for a full run,
 * `NAME.tmp.EXT` for `--quick` (ignored by git), so a smoke run never
 * overwrites committed figures.
 * @returns the path written.
 */
export function writeResult(ctx: Context, name: string, ext: string, contents: string): string {
  const path = `${resultsDir()}${name}${ctx.quick ? '.tmp' : ''}.${ext}`;
  writeFileSync(path, contents);
  return path;
}

/** The machine a run happened on, for result files and the docs. */
export function machine(): { node: string; cpu: string; cpus: number; loadavg: number[]; date: string } {
  const list = cpus();
  return {
    node: process.version,
    cpu: list[0]?.model?.trim() ?? 'unknown',
    cpus: list.length,
    loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
    date: new Date().toISOString(),
  };
}

/** A deterministic PRNG (mulberry32), so access patterns are the same in every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b_79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Pretends to use the sink, so no engine can prove the benchmarked work dead. */
export function finish(): void {
  if (sink === 0x7fff_ffff) console.log('');
}
