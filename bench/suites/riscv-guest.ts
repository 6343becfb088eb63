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
 * Each memory system runs in a child process of its own (../riscv-guest-child.ts),
 * so V8 optimizes the interpreter's memory calls for that one class (in one
 * process the call sites would see three). The parent asks the children for one run at a time, in
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
import { BUFFER_DWORDS, benchmarkChecksum } from '../../examples/riscv/bench-guest.js';
import { CHILD_MODULE, NO_MEMORY, SYSTEMS, type ReplayReport, type Request, type RunReport, type SystemName } from '../riscv-guest-child.js';
import { printTable, ratio, rowNamed, type Context, type Row, type Suite } from '../harness.js';

/** Passes of the guest's loop: full run and --quick. */
const PASSES = { full: 3, quick: 0 };
/** Timed runs per memory system, after untimed warm-up runs. */
const RUNS = { full: 7, quick: 1 };
const WARMUP = { full: 1, quick: 0 };
/** Replays of the recorded memory trace (the median is reported: short, so easily disturbed). */
const REPLAYS = { full: 9, quick: 1 };

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const percent = (part: number, whole: number) => (whole === 0 ? '-' : `${((100 * part) / whole).toFixed(1)}%`);

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
    this.process = fork(CHILD_MODULE, [name, String(passes)], { serialization: 'advanced' });
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

