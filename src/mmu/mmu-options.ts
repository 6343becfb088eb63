/**
 * The types of the {@link Mmu}'s interface: its options, its modes and its statistics.
 * @module
 */
import type { TlbHierarchyConfig } from '../tlb/hierarchy.js';
import type { TlbStatsSnapshot } from '../tlb/stats.js';
import type { ControlState } from './controls.js';
import type { CycleModel } from './cycle-model.js';
import type { FaultHandler } from './fault-handler.js';
import type { FormatName, PageTableFormat } from './formats/format.js';
import type { PhysicalMemory } from './physical-memory.js';
import type { WalkCacheConfig } from './walk-cache.js';
import type { WalkerOptions } from './walkers/create-walker.js';
import type { EptWalkerOptions } from './walkers/ept-walker.js';

/**
 * How an {@link Mmu} runs its TLB model (see {@link Mmu.setMode}):
 * - `'accurate'`: every access is an access of the modelled TLBs. Hits, misses,
 *   replacement state, evictions and cycles are exactly those of the model;
 *   the translation cache only skips the set scan of a hit it knows the answer to.
 * - `'fast'`: an access that hits the translation cache completes with a tag
 *   compare and an add, and leaves the model alone: no hit is counted and no
 *   replacement state moves (it still adds the L1-hit latency to the cycles).
 *   Everything else (misses, walks, fills, faults, permissions, invalidations)
 *   is as in accurate mode. A cached translation may outlive its L1 entry until
 *   an invalidation drops it, as a larger TLB would keep it.
 */
export type MmuMode = 'accurate' | 'fast';

/** Options of {@link Mmu}. */
export interface MmuOptions {
  /** The physical memory holding page tables and data. */
  memory: PhysicalMemory;
  /** The page-table format, as an object or by name (`'x86-64'`, `'sv39'`, ...). */
  format: PageTableFormat | FormatName;
  /** TLB geometry. Default {@link SKYLAKE_TLB}. See also {@link SIFIVE_U54_TLB} and {@link fullyAssociativeTlb}. */
  tlb?: TlbHierarchyConfig;
  /** Latencies in cycles; missing fields come from {@link SKYLAKE_CYCLES}. */
  cycles?: Partial<CycleModel>;
  /**
   * Paging-structure caches: a config, `null` for none, or `'default'`
   * (default): the format's {@link defaultWalkCacheConfig}.
   */
  walkCache?: WalkCacheConfig | null | 'default';
  /** Initial control bits; missing ones come from {@link defaultControls}. */
  controls?: Partial<ControlState>;
  /**
   * Whether TLB entries are tagged with the ASID/PCID (x86 CR4.PCIDE, RISC-V
   * ASIDLEN > 0). When false, {@link Mmu.setRoot} flushes every non-global
   * entry, as a CR3 write without PCIDs does. Default true.
   */
  asids?: boolean;
  /** Receives faults before they reach the caller. Default none. */
  faultHandler?: FaultHandler | null;
  /** How many times in a row one access may be retried after a fault before {@link FaultLoopError}. Default 16. */
  maxFaultRetries?: number;
  /** Extra walker options (MAXPHYADDR, Svpbmt, Svnapot), passed to {@link createWalker}. */
  walker?: Omit<WalkerOptions, 'walkCache' | 'pmp'>;
  /**
   * RISC-V only: how many Physical Memory Protection entries the hart implements, an integer in
   * [0, 64] (SiFive's U54 has 8, many cores 16). Default 0: no PMP, every access allowed as
   * before. With any, every access and page-table access is checked (see {@link Mmu.writePmpcfg}),
   * and an S- or U-mode access that no entry matches fails, as after reset.
   */
  pmpEntries?: number;
  /**
   * x86 only: the VMX capabilities and controls of EPT for running virtual machines
   * (MAXPHYADDR, execute-only pages, 5-level EPT, 1 GiB pages, A/D flags, advanced exit
   * information, mode-based execute control; see {@link EptWalkerOptions}), checked now.
   * Default: every capability but advanced exit information and mode-based execute control.
   * The EPTP itself is loaded with {@link Mmu.setEptp}.
   */
  ept?: EptWalkerOptions;
  /** `'accurate'` (default) or `'fast'`: see {@link MmuMode}; {@link Mmu.setMode} changes it later. */
  mode?: MmuMode;
}

/** Counters of one MMU, as returned by {@link Mmu.stats}. Every count is an event count since construction or {@link Mmu.resetStats}. */
export interface MmuStats {
  /** Cycles accumulated under the cycle model (including what {@link Mmu.chargeCycles} added). */
  cycles: number;
  /** Page walks started. */
  walks: number;
  /** Page-table entries read by walks. */
  pteReads: number;
  /** Page-table entries written back by walks (A/D). */
  pteWrites: number;
  /** Walks shortened by a paging-structure-cache hit. */
  walkCacheHits: number;
  /** Faults raised (resolved or delivered). */
  faults: number;
  /** Faults resolved by the handler and retried. */
  faultRetries: number;
  /** Per-TLB counters. */
  tlb: MmuTlbStats;
}

/** The counters of each TLB of an MMU. */
export interface MmuTlbStats {
  /** L1 instruction TLB. */
  l1i: TlbStatsSnapshot;
  /** L1 data TLB. */
  l1d: TlbStatsSnapshot;
  /** Unified L2 TLB, or null when there is none. */
  l2: TlbStatsSnapshot | null;
}

