/**
 * What a saved state may hold of a machine's hardware: the classes of an MMU's state (its walkers, TLBs,
 * walk caches, fault record, PMP) and of a frame allocator, under stable names, and the objects that are
 * the machine's rather than state (its physical memory and the page-table formats, by name; the
 * translation caches, a host-side cache the MMU empties on load).
 * @module
 */
import { Tlb } from '../tlb/tlb.js';
import { TlbHierarchy } from '../tlb/hierarchy.js';
import { TlbStats } from '../tlb/stats.js';
import { ReplacementState } from '../tlb/replacement.js';
import { FaultRecord } from './fault-record.js';
import { formatByName, FORMAT_NAMES, type PageTableFormat } from './formats/format.js';
import { FrameAllocator } from './frame-allocator.js';
import { Mmu } from './mmu.js';
import { PhysicalMemory } from './physical-memory.js';
import { Pmp } from './pmp.js';
import type { GraphCodec, StateClass } from './state-graph.js';
import { L1Observer, TranslationCache, TranslationCaches } from './translation-cache.js';
import { WalkCache } from './walk-cache.js';
import { WalkResult } from './walk-result.js';
import { RiscvWalker } from './walkers/riscv-walker.js';
import { X86Walker } from './walkers/x86-walker.js';
import { EptGuestWalker } from './walkers/ept-guest-walker.js';
import { EptNestedWalker, GuestWalkThroughEpt } from './walkers/ept-nested-walker.js';
import { EptNestedWalkResult, EptWalkResult } from './walkers/ept-walk-result.js';
import { EptWalker } from './walkers/ept-walker.js';
import { RiscvGStageWalker } from './walkers/riscv-gstage-walker.js';
import { RiscvGuestWalker } from './walkers/riscv-guest-walker.js';
import { RiscvTwoStageWalker } from './walkers/riscv-two-stage-walker.js';
import { TwoStageWalkResult } from './walkers/two-stage-walk-result.js';

/** @internal The hardware classes a saved state may hold, by the name it is saved under. */
export const MACHINE_STATE_CLASSES: ReadonlyMap<string, StateClass> = new Map<string, StateClass>([
  ['Mmu', Mmu],
  ['FrameAllocator', FrameAllocator],
  ['Tlb', Tlb],
  ['TlbHierarchy', TlbHierarchy],
  ['TlbStats', TlbStats],
  ['ReplacementState', ReplacementState],
  ['L1Observer', L1Observer],
  ['FaultRecord', FaultRecord],
  ['WalkCache', WalkCache],
  ['WalkResult', WalkResult],
  ['X86Walker', X86Walker],
  ['RiscvWalker', RiscvWalker],
  ['Pmp', Pmp],
  // A virtualising MMU's guest walkers (src/mmu/walkers), made on first use of the hypervisor registers.
  ['RiscvGuestWalker', RiscvGuestWalker],
  ['RiscvTwoStageWalker', RiscvTwoStageWalker],
  ['RiscvGStageWalker', RiscvGStageWalker],
  ['TwoStageWalkResult', TwoStageWalkResult],
  ['EptGuestWalker', EptGuestWalker],
  ['EptWalker', EptWalker],
  ['EptNestedWalker', EptNestedWalker],
  ['GuestWalkThroughEpt', GuestWalkThroughEpt],
  ['EptWalkResult', EptWalkResult],
  ['EptNestedWalkResult', EptNestedWalkResult],
]);

/** @internal The external name of a page-table format, or null for anything else. */
export function formatExternalName(value: object): string | null {
  for (const name of FORMAT_NAMES) if (formatByName(name) === value) return `format:${name}`;
  return null;
}

/** @internal The page-table format an external name stands for, or undefined. */
export function formatOfExternalName(name: string): PageTableFormat | undefined {
  if (!name.startsWith('format:')) return undefined;
  const format = name.slice('format:'.length);
  return (FORMAT_NAMES as readonly string[]).includes(format) ? formatByName(format as (typeof FORMAT_NAMES)[number]) : undefined;
}

/** @internal Whether `value` is a translation cache: host-side, emptied on load, never saved. */
export function isTranslationCache(value: object): boolean {
  return value instanceof TranslationCaches || value instanceof TranslationCache;
}

/** @internal The codec of a bare machine's state over `memory`: MMU and frame-allocator graphs. */
export function machineCodec(memory: PhysicalMemory): GraphCodec {
  return {
    classes: MACHINE_STATE_CLASSES,
    // The memory's DataView by name too: a walker made after the state was saved (a guest walker, one per
    // guest paging mode) holds it, and a load must give it the loaded machine's view, not look for one by path.
    externalName: (value) => (value instanceof PhysicalMemory ? (value === memory ? 'memory' : 'another memory') : value === memory.view ? 'memory.view' : formatExternalName(value)),
    external: (name) => (name === 'memory' ? memory : name === 'memory.view' ? memory.view : formatOfExternalName(name)),
    keepFresh: isTranslationCache,
    rebuilders: [],
  };
}
