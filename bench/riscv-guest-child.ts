/**
 * The child process of the riscv-guest suite (suites/riscv-guest.ts): it runs
 * the benchmark guest on one memory system each time the parent asks, and
 * records and replays the calls a run makes to that memory system. Apart from
 * the suite so that a child loads the example and the library, not the
 * harness. Forked as `riscv-guest-child.ts NAME PASSES`.
 */
import { fileURLToPath } from 'node:url';
import type { MmuMode, MmuStats, Privilege } from '../src/index.js';
import { checksumOf, loadBenchGuest } from '../examples/riscv/bench-guest.js';
import { FlatMachine } from '../examples/riscv/flat-machine.js';
import { Hart } from '../examples/riscv/hart.js';
import { Machine, RAM_BASE, runHart } from '../examples/riscv/machine.js';
import type { MemorySystem } from '../examples/riscv/memory-system.js';

/** The memory systems compared, by the name of their row. */
export const SYSTEMS = ['flat memory', 'mmukit fast', 'mmukit accurate'] as const;
/** The memory system that does nothing: it only replays traces (the guest cannot run on it). */
export const NO_MEMORY = 'no memory';
/** A child's memory system. */
export type SystemName = (typeof SYSTEMS)[number] | typeof NO_MEMORY;
const MODE: Record<SystemName, MmuMode | null> = { 'flat memory': null, 'mmukit fast': 'fast', 'mmukit accurate': 'accurate', [NO_MEMORY]: null };

/** More steps than any pass count needs: a guest that never shuts down fails the suite. */
const STEP_LIMIT = 100_000_000;

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** What a child reports for one run. */
export interface RunReport {
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
export interface ReplayReport {
  /** Median ns of one replay. */
  ns: number;
  /** Calls in the trace. */
  calls: number;
  /** Whether the replay printed what the run printed (the trace drives the console too). */
  sameConsole: boolean;
}

/** What the parent asks a child for. */
export type Request = { kind: 'run' } | { kind: 'replay'; times: number } | { kind: 'exit' };

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

/** This module's file, for fork(). */
export const CHILD_MODULE = fileURLToPath(import.meta.url);

if (process.argv[1] === CHILD_MODULE) child(process.argv[2] as SystemName, Number(process.argv[3]));
