/**
 * What an {@link Mmu} records into a {@link TraceRecorder}: the link between one MMU (one track)
 * and the recorder, made by {@link Mmu.setTracer}. The slow path calls it behind one null check;
 * it reads the MMU's clock without changing it, and is the eviction tracer of the MMU's TLBs.
 * @module
 */
import type { Tlb, TlbEvictionTracer } from '../tlb/tlb.js';
import type { CycleModel } from './cycle-model.js';
import type { FaultRecord } from './fault-record.js';
import { TRACE_TLB, type TraceRecorder } from './trace-recorder.js';
import type { WalkResult } from './walk-result.js';

/** @internal One MMU's link to a recorder. */
export class MmuTracer implements TlbEvictionTracer {
  /**
   * @param recorder - where events go.
   * @param track - the MMU's track in it.
   * @param counters - the MMU's counters (cycles at index 0).
   * @param cacheHits - translation-cache hits not yet folded into the cycles.
   * @param model - the MMU's latencies.
   * @param l1i - the MMU's L1 ITLB, to name the level of an eviction.
   * @param l1d - its L1 DTLB.
   * @param l2 - its L2, or null.
   */
  constructor(
    readonly recorder: TraceRecorder,
    readonly track: number,
    private readonly counters: Float64Array,
    private readonly cacheHits: Int32Array,
    private readonly model: Readonly<CycleModel>,
    private readonly l1i: Tlb,
    private readonly l1d: Tlb,
    private readonly l2: Tlb | null,
  ) {}

  /** What resets of the MMU's counter ({@link Mmu.resetCycles}) took away: added back, so that the track's clock never goes back. */
  private offset = 0;
  /** The counter when last read. */
  private lastRaw = 0;

  /**
   * The track's clock: the MMU's cycle counter with the hits not yet folded in (as {@link Mmu.cycles}
   * reads it, without folding them), plus what resets of the counter took away since attaching.
   */
  now(): number {
    const raw = this.counters[0] + this.cacheHits[0] * this.model.l1Hit;
    if (raw < this.lastRaw) this.offset += this.lastRaw; // the counter was reset: go on from where it was
    this.lastRaw = raw;
    return raw + this.offset;
  }

  /** A walk just finished and its cycles were counted. */
  walk(va: number, access: number, r: WalkResult): void {
    const model = this.model;
    const cost = r.pteReads * model.pteRead + r.pteWrites * model.pteWrite + r.walkCacheHits * model.walkCacheHit;
    this.recorder.recordWalk(this.track, this.now() - cost, cost, va, access, r.faultReason, r.level, r.pageShift, r.pteReads, r.pteWrites, r.walkCacheHits, r.entryAddress);
  }

  /** A translation was written into the L1 (`instruction`: the ITLB) and, after a walk, the L2. */
  fill(va: number, asid: number, pageShift: number, instruction: boolean, fromL2: boolean): void {
    let levels: number = instruction ? TRACE_TLB.l1i : TRACE_TLB.l1d;
    if (!fromL2 && this.l2 !== null) levels |= TRACE_TLB.l2;
    this.recorder.recordTlbFill(this.track, this.now(), va, levels, fromL2, pageShift, asid);
  }

  /** Entry `e` of one of the MMU's TLBs is being evicted (the TLB's tracer). */
  tlbEviction(tlb: Tlb, e: number): void {
    const level = tlb === this.l1i ? TRACE_TLB.l1i : tlb === this.l1d ? TRACE_TLB.l1d : TRACE_TLB.l2;
    this.recorder.recordTlbEviction(this.track, this.now(), level, tlb.tag[e], tlb.asid[e], tlb.pageShift[e]);
  }

  /** A fault was just raised (its entry cycles counted): records it, and returns the cycle it started at. */
  fault(record: FaultRecord): number {
    const start = this.now() - this.model.faultEntry;
    this.recorder.recordFault(this.track, start, record.address, record.access, record.reason, record.level);
    return start;
  }

  /** The handler of the fault that started at `start` returned: `retry` when the access starts over (its exit cycles not yet counted). */
  faultHandled(record: FaultRecord, start: number, retry: boolean): void {
    const end = this.now() + (retry ? this.model.faultExit : 0);
    this.recorder.recordFaultHandled(this.track, start, end - start, record.address, record.access, record.reason, retry);
  }

  /** Tells the MMU's TLBs (or stops telling them, `attach` false) of their evictions. */
  attachTlbs(attach: boolean): void {
    const tracer = attach ? this : null;
    this.l1i.tracer = tracer;
    this.l1d.tracer = tracer;
    if (this.l2 !== null) this.l2.tracer = tracer;
  }
}
