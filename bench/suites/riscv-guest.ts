/**
 * End to end: the RISC-V example's interpreter running the benchmark guest
 * (examples/riscv/guest/bench/bench.S) in guest instructions per second, with
 * three memory systems under the same interpreter:
 * - `flat memory`: FlatMemory, RAM as one DataView and no translation (the
 *   baseline: what the interpreter costs with the least memory work);
 * - `mmukit fast`: an Mmu in fast mode (Sv39 translated, hits served by the
 *   translation cache);
 * - `mmukit accurate`: an Mmu in accurate mode (every access goes through the
 *   TLB model).
 * The guest maps every page to itself, so the three compute the same result:
 * each run's checksum is checked against the TypeScript model of the program
 * and the instruction counts must be equal.
 *
 * Each memory system runs in a child process of its own, so V8 optimizes the
 * interpreter's memory calls for that one class (in one process the call sites
 * would see three). The parent asks the children for one run at a time, in
 * turn, so a change in the machine's load touches all three alike.
 *
 * How much of an instruction's time is the memory system: each child records
 * the sequence of calls the interpreter made to its memory system in one run
 * (fetches, loads, stores, satp and privilege changes), then replays it into
 * a fresh memory system of its kind with no interpreter around it. A fourth
 * child replays the same calls into a memory system that does nothing: the
 * replay loop's own cost, taken off the others.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MmuMode, MmuStats, Privilege } from '../../src/index.js';
import { BUFFER_DWORDS, benchmarkChecksum, checksumOf, loadBenchGuest } from '../../examples/riscv/bench-guest.js';
import { FlatMachine } from '../../examples/riscv/flat-machine.js';
import { Hart } from '../../examples/riscv/hart.js';
import { Machine, RAM_BASE, runHart } from '../../examples/riscv/machine.js';
import type { MemorySystem } from '../../examples/riscv/memory-system.js';
import { printTable, ratio, rowNamed, type Context, type Row, type Suite } from '../harness.js';

/** The memory systems compared, by the name of their row. */
const SYSTEMS = ['flat memory', 'mmukit fast', 'mmukit accurate'] as const;
/** The memory system that does nothing: it only replays traces (the guest cannot run on it). */
const NO_MEMORY = 'no memory';
type SystemName = (typeof SYSTEMS)[number] | typeof NO_MEMORY;
const MODE: Record<SystemName, MmuMode | null> = { 'flat memory': null, 'mmukit fast': 'fast', 'mmukit accurate': 'accurate', [NO_MEMORY]: null };

/** Passes of the guest's loop: full run and --quick. */
const PASSES = { full: 3, quick: 0 };
/** Timed runs per memory system, after untimed warm-up runs. */
const RUNS = { full: 7, quick: 1 };
const WARMUP = { full: 1, quick: 0 };
/** Replays of the recorded memory trace (the median is reported: short, so easily disturbed). */
const REPLAYS = { full: 9, quick: 1 };
/** The argument that makes this module a child (see {@link child}). */
const CHILD_FLAG = '--riscv-guest-child';
/** More steps than any pass count here needs: a guest that never shuts down fails the suite. */
const STEP_LIMIT = 100_000_000;

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const percent = (part: number, whole: number) => (whole === 0 ? '-' : `${((100 * part) / whole).toFixed(1)}%`);

/** What a child reports for one run. */
interface RunReport {
  /** Host nanoseconds of the run (the hart's loop until the guest shut down). */
  ns: number;
  /** Guest instructions retired. */
  instructions: number;
  exitCode: number;
  /** The checksum the guest printed. */
  checksum: bigint | null;
  /** The Mmu's counters after the run; null for flat memory. */
  mmu: MmuStats | null;
}

/** What a child reports for the replays of its trace. */
interface ReplayReport {
  /** Median ns of one replay. */
  ns: number;
  /** Calls in the trace. */
  calls: number;
  /** Whether the replay printed what the run printed (the trace drives the console too). */
  sameConsole: boolean;
}

type Request = { kind: 'run' } | { kind: 'replay'; times: number } | { kind: 'exit' };

// ------------------------------------------------------------------ child side

/** Loads return 0 and stores go nowhere: what is left of a replay is the replay loop. */
class NoMemory implements MemorySystem {
  readonly paging = false;
  fetch32(_address: number): number {
    return 0;
  }
  read8(_address: number): number {
    return 0;
  }
  read16(_address: number): number {
    return 0;
  }
  read32(_address: number): number {
    return 0;
  }
  read64(_address: number): bigint {
    return 0n;
  }
  write8(_address: number, _value: number): void {}
  write16(_address: number, _value: number): void {}
  write32(_address: number, _value: number): void {}
  write64(_address: number, _value: bigint): void {}
  setPaging(_enabled: boolean): void {}
  setRoot(_root: number, _asid: number): void {}
  setPrivilege(_privilege: Privilege): void {}
  setControls(_changes: { sum?: boolean; mxr?: boolean }): void {}
  sfenceVma(_va: number | null, _asid: number | null): void {}
}

/** A fresh board with the guest loaded: its hart, console and memory system (flat memory's for {@link NO_MEMORY}). */
function board(name: SystemName, image: Uint8Array) {
  const mode = MODE[name];
  if (mode === null) {
    const flat = new FlatMachine(image);
    return { hart: flat.hart as Hart, console: flat.console, system: flat.memory as MemorySystem, stats: (): MmuStats | null => null };
  }
  const machine = new Machine(image, mode);
  return { hart: machine.hart as Hart, console: machine.console, system: machine.mmu as MemorySystem, stats: (): MmuStats | null => machine.mmu.stats() };
}

/** Memory-system calls, as recorded in a {@link Trace}. */
const Call = {
  fetch32: 0,
  read8: 1,
  read16: 2,
  read32: 3,
  read64: 4,
  write8: 5,
  write16: 6,
  write32: 7,
  write64: 8,
  setPaging: 9,
  setRoot: 10,
  setPrivilege: 11,
  setControls: 12,
  sfenceVma: 13,
} as const;

/**
 * A MemorySystem that records every call, then passes it on. Per call: its kind,
 * its address (or first argument) and its value (or second argument); the values
 * of 64-bit stores are kept as the bigints the interpreter passed.
 */
class Trace implements MemorySystem {
  kinds = new Uint8Array(1 << 20);
  first = new Float64Array(1 << 20);
  second = new Float64Array(1 << 20);
  readonly wide: bigint[] = [];
  length = 0;

  constructor(private readonly inner: MemorySystem) {}

  get paging(): boolean {
    return this.inner.paging;
  }

  private record(kind: number, first: number, second: number): void {
    if (this.length === this.kinds.length) {
      const grow = <T extends Uint8Array | Float64Array>(a: T, make: (n: number) => T): T => {
        const b = make(a.length * 2);
        b.set(a);
        return b;
      };
      this.kinds = grow(this.kinds, (n) => new Uint8Array(n));
      this.first = grow(this.first, (n) => new Float64Array(n));
      this.second = grow(this.second, (n) => new Float64Array(n));
    }
    this.kinds[this.length] = kind;
    this.first[this.length] = first;
    this.second[this.length] = second;
    this.length++;
  }

  fetch32(address: number): number {
    this.record(Call.fetch32, address, 0);
    return this.inner.fetch32(address);
  }
  read8(address: number): number {
    this.record(Call.read8, address, 0);
    return this.inner.read8(address);
  }
  read16(address: number): number {
    this.record(Call.read16, address, 0);
    return this.inner.read16(address);
  }
  read32(address: number): number {
    this.record(Call.read32, address, 0);
    return this.inner.read32(address);
  }
  read64(address: number): bigint {
    this.record(Call.read64, address, 0);
    return this.inner.read64(address);
  }
  write8(address: number, value: number): void {
    this.record(Call.write8, address, value);
    this.inner.write8(address, value);
  }
  write16(address: number, value: number): void {
    this.record(Call.write16, address, value);
    this.inner.write16(address, value);
  }
  write32(address: number, value: number): void {
    this.record(Call.write32, address, value);
    this.inner.write32(address, value);
  }
  write64(address: number, value: bigint): void {
    this.record(Call.write64, address, this.wide.length);
    this.wide.push(value);
    this.inner.write64(address, value);
  }
  setPaging(enabled: boolean): void {
    this.record(Call.setPaging, enabled ? 1 : 0, 0);
    this.inner.setPaging(enabled);
  }
  setRoot(root: number, asid: number): void {
    this.record(Call.setRoot, root, asid);
    this.inner.setRoot(root, asid);
  }
  setPrivilege(privilege: Privilege): void {
    this.record(Call.setPrivilege, privilege, 0);
    this.inner.setPrivilege(privilege);
  }
  setControls(changes: { sum?: boolean; mxr?: boolean }): void {
    if (changes.sum === undefined || changes.mxr === undefined) throw new Error('the trace records SUM and MXR set together');
    this.record(Call.setControls, changes.sum ? 1 : 0, changes.mxr ? 1 : 0);
    this.inner.setControls(changes);
  }
  sfenceVma(va: number | null, asid: number | null): void {
    this.record(Call.sfenceVma, va ?? -1, asid ?? -1);
    this.inner.sfenceVma(va, asid);
  }
}

/** Makes the calls of `trace`, in order, on `system`. Returns a sum of what was loaded, so no load is dead code. */
function replay(trace: Trace, system: MemorySystem): number {
  const { kinds, first, second, wide } = trace;
  let sum = 0;
  for (let i = 0; i < trace.length; i++) {
    const a = first[i];
    switch (kinds[i]) {
      case Call.fetch32: sum = (sum + system.fetch32(a)) | 0; break;
      case Call.read8: sum = (sum + system.read8(a)) | 0; break;
      case Call.read16: sum = (sum + system.read16(a)) | 0; break;
      case Call.read32: sum = (sum + system.read32(a)) | 0; break;
      case Call.read64: if (system.read64(a) === 1n) sum++; break;
      case Call.write8: system.write8(a, second[i]); break;
      case Call.write16: system.write16(a, second[i]); break;
      case Call.write32: system.write32(a, second[i]); break;
      case Call.write64: system.write64(a, wide[second[i]]); break;
      case Call.setPaging: system.setPaging(a === 1); break;
      case Call.setRoot: system.setRoot(a, second[i]); break;
      case Call.setPrivilege: system.setPrivilege(a as Privilege); break;
      case Call.setControls: system.setControls({ sum: a === 1, mxr: second[i] === 1 }); break;
      default: system.sfenceVma(a === -1 ? null : a, second[i] === -1 ? null : second[i]);
    }
  }
  return sum;
}

/** The child: runs the guest on one memory system whenever the parent asks. */
function child(name: SystemName, passes: number): void {
  const image = loadBenchGuest(passes);
  process.on('message', (request: Request) => {
    if (request.kind === 'exit') {
      process.disconnect();
      return;
    }
    if (request.kind === 'run') {
      const b = board(name, image);
      const t0 = process.hrtime.bigint();
      const result = runHart(b.hart, b.console, STEP_LIMIT);
      const t1 = process.hrtime.bigint();
      const report: RunReport = { ns: Number(t1 - t0), instructions: result.instructions, exitCode: result.exitCode, checksum: checksumOf(result.console), mmu: b.stats() };
      process.send!(report);
      return;
    }
    // Record the calls of one run (on this kind of memory system), then replay them.
    const recording = board(name, image);
    const trace = new Trace(recording.system);
    const recorded = runHart(new Hart(trace, BigInt(RAM_BASE)), recording.console, STEP_LIMIT).console;
    const times: number[] = [];
    let sameConsole = true;
    for (let i = 0; i < request.times; i++) {
      const fresh = name === NO_MEMORY ? null : board(name, image);
      const system = fresh?.system ?? new NoMemory();
      const t0 = process.hrtime.bigint();
      replay(trace, system);
      times.push(Number(process.hrtime.bigint() - t0));
      if (fresh) sameConsole &&= fresh.console.text() === recorded;
    }
    const report: ReplayReport = { ns: median(times), calls: trace.length, sameConsole };
    process.send!(report);
  });
  process.send!({ ready: true });
}

// ------------------------------------------------------------------ parent side

/** A child process running one memory system, answering one request at a time. */
class Runner {
  private readonly process: ChildProcess;
  private pending: { resolve: (reply: unknown) => void; reject: (error: Error) => void } | null = null;
  /** Settles when the child has loaded the guest. */
  readonly ready: Promise<unknown>;

  constructor(
    readonly name: SystemName,
    passes: number,
  ) {
    this.process = fork(fileURLToPath(import.meta.url), [CHILD_FLAG, name, String(passes)], { serialization: 'advanced' });
    this.ready = this.next();
    this.process.on('message', (reply) => this.settle()?.resolve(reply));
    this.process.on('exit', (code) => this.settle()?.reject(new Error(`${name}: the child process exited (code ${code}) before it answered`)));
  }

  /** Sends `request`; resolves with the child's answer. */
  ask<T>(request: Request): Promise<T> {
    const reply = this.next() as Promise<T>;
    this.process.send(request);
    return reply;
  }

  /** Lets the child exit. */
  close(): void {
    if (this.process.connected) this.process.send({ kind: 'exit' } satisfies Request);
  }

  private next(): Promise<unknown> {
    return new Promise((resolve, reject) => (this.pending = { resolve, reject }));
  }

  private settle() {
    const pending = this.pending;
    this.pending = null;
    return pending;
  }
}

export const suite: Suite = {
  name: 'riscv-guest',
  description: 'the RISC-V example guest in instructions per second: flat memory (no translation) vs mmukit fast and accurate',
  async run(ctx: Context) {
    const size = ctx.quick ? 'quick' : 'full';
    const passes = PASSES[size];
    const expected = benchmarkChecksum(passes);
    const runners = SYSTEMS.map((name) => new Runner(name, passes));
    const loopOnly = new Runner(NO_MEMORY, passes);
    try {
      await Promise.all([...runners, loopOnly].map((r) => r.ready));
      const runs = new Map<SystemName, RunReport[]>(SYSTEMS.map((name) => [name, []]));
      // One run per memory system in turn, so the three share the machine's moods.
      for (let round = 0; round < WARMUP[size] + RUNS[size]; round++) {
        for (const runner of runners) {
          const report = await runner.ask<RunReport>({ kind: 'run' });
          if (report.exitCode !== 0 || report.checksum !== expected) {
            throw new Error(`${runner.name}: exit ${report.exitCode}, checksum ${report.checksum?.toString(16)}; the model says 0x${expected.toString(16)}`);
          }
          if (round >= WARMUP[size]) runs.get(runner.name)!.push(report);
        }
      }
      const instructions = runs.get('flat memory')![0].instructions;
      for (const [name, reports] of runs) {
        if (reports.some((r) => r.instructions !== instructions)) throw new Error(`${name} retired another number of instructions than flat memory (${instructions})`);
      }
      const replays = new Map<SystemName, ReplayReport>();
      for (const runner of [...runners, loopOnly]) {
        const report = await runner.ask<ReplayReport>({ kind: 'replay', times: REPLAYS[size] });
        if (!report.sameConsole) throw new Error(`${runner.name}: the replayed trace printed something else than the run`);
        replays.set(runner.name, report);
      }

      const loopNs = replays.get(NO_MEMORY)!.ns;
      const rows: Row[] = SYSTEMS.map((name) => {
        const perInstruction = runs.get(name)!.map((r) => r.ns / instructions);
        const ns = mean(perInstruction);
        const sd = Math.sqrt(perInstruction.reduce((a, x) => a + (x - ns) ** 2, 0) / Math.max(1, perInstruction.length - 1));
        const stats = runs.get(name)![0].mmu;
        const memoryNs = (replays.get(name)!.ns - loopNs) / instructions;
        const tlb = stats?.tlb;
        return {
          name,
          opsPerSec: 1e9 / ns,
          spread: (100 * sd) / ns,
          cyclesPerOp: stats ? stats.cycles / instructions : null,
          extra: {
            'L1 DTLB hits': tlb && name === 'mmukit accurate' ? percent(tlb.l1d.hits, tlb.l1d.hits + tlb.l1d.misses) : '',
            'L2 hits': tlb?.l2 ? String(tlb.l2.hits) : '',
            walks: stats ? String(stats.walks) : '',
            'memory ns/instr': memoryNs.toFixed(1),
            'memory share': percent(memoryNs, ns),
          },
        };
      });
      const calls = replays.get('flat memory')!.calls;
      printTable({
        title: `RISC-V guest: bench.bin, ${passes} passes over ${(BUFFER_DWORDS * 8) >> 10} KiB, ${(instructions / 1e6).toFixed(2)} M instructions`,
        method:
          `process.hrtime.bigint() around whole runs of the guest (a fresh board each, built untimed), ${RUNS[size]} per memory system after ${WARMUP[size]} untimed, ` +
          `taken in turn; each memory system in its own child process. One op = one guest instruction (ops/s = instructions per second). ± = relative standard deviation over runs. ` +
          `cycles/op: the Mmu's emulated memory cycles per instruction. "memory ns/instr": the run's ${(calls / 1e6).toFixed(2)} M memory-system calls replayed with no interpreter ` +
          `(median of ${REPLAYS[size]}), less the same replay into a memory system that does nothing (${(loopNs / instructions).toFixed(1)} ns/instr), per instruction; "memory share": that over ns/op.`,
        rows,
        ratios: { 'vs flat': 'flat memory' },
        extraColumns: ['L1 DTLB hits', 'L2 hits', 'walks', 'memory ns/instr', 'memory share'],
        notes: [
          'Every run printed the checksum the TypeScript model computes, and all retired the same number of instructions. ' +
            'The L1 DTLB hit rate is shown for accurate mode only: in fast mode the hits that the translation cache serves never reach the TLB model.',
        ],
      });
      const flat = rowNamed(rows, 'flat memory');
      const fast = rowNamed(rows, 'mmukit fast');
      const accurate = rowNamed(rows, 'mmukit accurate');
      ctx.targets.record('riscv-fast-vs-flat', ratio(fast, flat), `${(fast.opsPerSec / 1e6).toFixed(2)} vs ${(flat.opsPerSec / 1e6).toFixed(2)} M instructions/s`);
      ctx.targets.note(
        `RISC-V guest: accurate mode ${ratio(accurate, flat).toFixed(2)}x flat memory (${(accurate.opsPerSec / 1e6).toFixed(2)} M instructions/s); ` +
          `the memory system's share of an instruction's time: flat ${flat.extra!['memory share']}, fast ${fast.extra!['memory share']}, accurate ${accurate.extra!['memory share']}.`,
      );
    } finally {
      for (const runner of [...runners, loopOnly]) runner.close();
    }
  },
};

if (process.argv[2] === CHILD_FLAG) child(process.argv[3] as SystemName, Number(process.argv[4]));
