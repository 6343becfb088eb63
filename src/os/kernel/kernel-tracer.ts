/**
 * What a {@link Kernel} records into a {@link TraceRecorder} ({@link Kernel.setTracer}): how it
 * resolved each fault, the frames it zeroed, copied and read in, and each CPU's part of a
 * shootdown. Work done for a CPU goes on that CPU's track, stamped with its clock (the cycles the
 * work is charged to); work done for no CPU goes on the kernel's own track.
 * @module
 */
import { FRAME_SIZE } from '../../mmu/physical-memory.js';
import type { TraceRecorder } from '../../mmu/trace-recorder.js';
import type { KernelCycleModel } from '../records/kernel-stats.js';
import type { Cpu } from './cpu.js';

/** @internal A kernel's link to a recorder. */
export class KernelTracer {
  /** The clock of the kernel's own track: it never goes back. */
  private kernelClock = 0;

  /**
   * @param recorder - where events go.
   * @param cpus - the kernel's CPUs.
   * @param cpuTracks - the track of each CPU, by index.
   * @param kernelTrack - the track of work done for no CPU.
   * @param cycles - the kernel's latencies (the durations of its work).
   */
  constructor(
    readonly recorder: TraceRecorder,
    private readonly cpus: readonly Cpu[],
    private readonly cpuTracks: readonly number[],
    private readonly kernelTrack: number,
    private readonly cycles: Readonly<KernelCycleModel>,
  ) {}

  private trackOf(cpu: Cpu | null): number {
    return cpu === null ? this.kernelTrack : this.cpuTracks[cpu.index];
  }

  /** The clock of `cpu`'s track; for no CPU, the latest of every CPU's clock (and never earlier than before). */
  clockOf(cpu: Cpu | null): number {
    if (cpu !== null) return cpu.mmu.traceClock();
    let latest = this.kernelClock;
    for (let k = 0; k < this.cpus.length; k++) latest = Math.max(latest, this.cpus[k].mmu.traceClock());
    this.kernelClock = latest;
    return latest;
  }

  /** The kernel resolved (or refused) the fault at `va` as `resolution` (a TRACE_RESOLUTION value). */
  resolution(cpu: Cpu | null, resolution: number, va: number): void {
    this.recorder.recordResolution(this.trackOf(cpu), this.clockOf(cpu), resolution, va);
  }

  /** Frame number `frame` is being zeroed (before its cycles are charged). */
  zeroFill(cpu: Cpu | null, frame: number): void {
    this.recorder.recordZeroFill(this.trackOf(cpu), this.clockOf(cpu), this.cycles.frameZero, frame * FRAME_SIZE);
  }

  /** A section page is being read into frame number `frame` (before its cycles are charged). */
  readIn(cpu: Cpu | null, frame: number): void {
    this.recorder.recordReadIn(this.trackOf(cpu), this.clockOf(cpu), this.cycles.frameZero, frame * FRAME_SIZE);
  }

  /** Frame number `from` (-1: the image's bytes) is being copied to `to` (before its cycles are charged). */
  frameCopy(cpu: Cpu | null, from: number, to: number): void {
    this.recorder.recordFrameCopy(this.trackOf(cpu), this.clockOf(cpu), this.cycles.frameCopy, from < 0 ? -1 : from * FRAME_SIZE, to * FRAME_SIZE);
  }

  /** `cpu` is about to invalidate `va` of ASID `asid` for a shootdown `initiator` started (null: none). */
  invalidation(cpu: Cpu, va: number, asid: number, initiator: Cpu | null): void {
    const track = this.trackOf(cpu);
    this.recorder.recordInvalidation(track, this.clockOf(cpu), this.cycles.invalidate, va, asid, initiator === null ? -1 : this.trackOf(initiator));
  }

  /** A shootdown that started at `start` on `initiator`'s clock ended: `cpus` invalidated `va`, `ipis` of them by IPI. */
  shootdown(initiator: Cpu | null, start: number, va: number, asid: number, cpus: number, ipis: number): void {
    const end = this.clockOf(initiator);
    this.recorder.recordShootdown(this.trackOf(initiator), start, Math.max(0, end - start), va, asid, cpus, ipis);
  }
}
