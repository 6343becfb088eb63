import { InvalidArgumentError } from './errors.js';
import { requireKnownKeys } from './validate.js';

/**
 * Latencies, in CPU cycles, that an {@link Mmu} adds to its cycle counter.
 * A plain object: copy {@link SKYLAKE_CYCLES}, change what you need, pass it
 * to the MMU.
 *
 * What one access costs:
 * - served by the L1 TLB: `l1Hit`;
 * - L1 miss, L2 hit: `l2Hit`;
 * - L2 miss (or no L2): `l2Hit` when an L2 exists (its lookup is paid), then a
 *   walk: `pteRead` per entry read, `pteWrite` per A/D write-back,
 *   `walkCacheHit` when a paging-structure cache let the walk skip levels;
 * - a fault adds `faultEntry` when it is raised and `faultExit` when a fault
 *   handler resolves it and the access is retried (the retried access then
 *   pays its own translation again).
 */
export interface CycleModel {
  /** Cycles for a translation served by the L1 TLB (also every access with paging off). */
  l1Hit: number;
  /** Cycles for a translation served by the L2 TLB after an L1 miss (also paid by an L2 miss before the walk). */
  l2Hit: number;
  /** Cycles for each page-table entry the walker reads. */
  pteRead: number;
  /** Cycles for each page-table entry the walker writes back to set Accessed or Dirty. */
  pteWrite: number;
  /** Cycles for a paging-structure (walk) cache hit. */
  walkCacheHit: number;
  /** Cycles for raising a fault: exception delivery into the handler. */
  faultEntry: number;
  /** Cycles for returning from a resolved fault to retry the access. */
  faultExit: number;
}

/**
 * Default latencies, modelled on an Intel Skylake client core.
 *
 * | field | value | source |
 * |---|---|---|
 * | `l1Hit` | 1 | convention: the L1 DTLB is looked up in parallel with the L1 data cache and adds no latency of its own; 1 makes every access count |
 * | `l2Hit` | 9 | STLB hit after an L1 DTLB miss, about 9 cycles on Skylake (measured by [7-cpu.com, "Intel Skylake"](https://www.7-cpu.com/cpu/Skylake.html)) |
 * | `pteRead` | 12 | a page-table entry found in the L2 data cache: Skylake's L2 load-to-use latency (Intel 64 and IA-32 Architectures Optimization Reference Manual, 248966-045, Skylake cache-parameters table, beside the TLB table 2-15: 12 cycles) |
 * | `pteWrite` | 12 | an A/D update is a locked read-modify-write of a line the walk just read; charged like a read (estimate) |
 * | `walkCacheHit` | 1 | a paging-structure-cache hit sits in the walker's pipeline (estimate: Intel documents no figure) |
 * | `faultEntry` | 250 | exception delivery through the IDT into a kernel handler (estimate) |
 * | `faultExit` | 150 | IRET back to the faulting instruction (estimate) |
 *
 * Rows marked estimate have no vendor-published figure; change them for your core.
 */
export const SKYLAKE_CYCLES: Readonly<CycleModel> = Object.freeze({
  l1Hit: 1,
  l2Hit: 9,
  pteRead: 12,
  pteWrite: 12,
  walkCacheHit: 1,
  faultEntry: 250,
  faultExit: 150,
});

/**
 * Fills the fields missing from `partial` with {@link SKYLAKE_CYCLES} and checks every value.
 * What {@link Mmu} does with its `cycles` option.
 * @param partial - latencies in cycles to override.
 * @returns a new, complete model.
 * @throws {@link InvalidArgumentError} when `partial` is not an object, on an unknown field, or a negative or non-finite latency.
 *
 * @example
 * ```ts
 * const model = resolveCycleModel({ pteRead: 20 });
 * model.pteRead; // 20
 * model.l2Hit;   // 9: from SKYLAKE_CYCLES
 * ```
 */
export function resolveCycleModel(partial: Partial<CycleModel> = {}): CycleModel {
  if (partial === null || typeof partial !== 'object') throw new InvalidArgumentError('the cycle model must be an object');
  requireKnownKeys(partial, Object.keys(SKYLAKE_CYCLES), 'CycleModel');
  const model: CycleModel = { ...SKYLAKE_CYCLES };
  for (const [key, value] of Object.entries(partial)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new InvalidArgumentError(`cycle-model field '${key}' must be a finite number >= 0`);
    }
    model[key as keyof CycleModel] = value;
  }
  return model;
}
