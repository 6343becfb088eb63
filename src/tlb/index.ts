/**
 * The TLB module of mmukit: set-associative TLB levels in typed arrays, their
 * replacement policies and statistics, an L1 I/D + L2 hierarchy, and presets
 * of real cores. Imports nothing from the rest of mmukit.
 */

export { TlbConfigError } from './errors.js';
export { MAX_ARRAY_ENTRIES, MAX_PAGE_SHIFT, MIN_PAGE_SHIFT, validateTlbConfig } from './config.js';
export type { ResolvedTlbArrayConfig, ResolvedTlbConfig, TlbArrayConfig, TlbConfig } from './config.js';
export { DEFAULT_REPLACEMENT_SEED, REPLACEMENT_POLICIES, ReplacementState } from './replacement.js';
export type { ReplacementPolicy } from './replacement.js';
export { SET_INDEX_FUNCTIONS, setIndexOf } from './set-index.js';
export type { SetIndexFunction } from './set-index.js';
export { TLB_STAT, TlbStats } from './stats.js';
export type { TlbStatName, TlbStatsSnapshot } from './stats.js';
export { ANY_ASID, GLOBAL_ASID, INVALID_TAG, MAX_ASID, Tlb } from './tlb.js';
export type { TlbEntryInfo } from './tlb.js';
export { TLB_LEVEL, TlbHierarchy } from './hierarchy.js';
export type { TlbHierarchyConfig, TlbLevel } from './hierarchy.js';
export { SIFIVE_U54_TLB, SKYLAKE_TLB, fullyAssociativeTlb } from './presets.js';
