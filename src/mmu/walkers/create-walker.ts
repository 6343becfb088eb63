import type { ControlState } from '../controls.js';
import { InvalidArgumentError } from '../errors.js';
import { requireKnownKeys } from '../validate.js';
import type { PageTableFormat } from '../formats/format.js';
import type { PhysicalMemory } from '../physical-memory.js';
import type { WalkCacheConfig } from '../walk-cache.js';
import type { PageWalker } from '../walker.js';
import { RiscvWalker, type RiscvWalkerOptions } from './riscv-walker.js';
import type { Pmp } from '../pmp.js';
import { X86Walker, type X86WalkerOptions } from './x86-walker.js';

/** Options of {@link createWalker}: the union of the architectures' walker options. */
export interface WalkerOptions {
  /**
   * Paging-structure caches. Omitted: the format's default
   * (`defaultWalkCacheConfig(format)`); null: none (every walk reads every level).
   */
  walkCache?: WalkCacheConfig | null;
  /** x86 only: MAXPHYADDR for reserved-bit checks, in [32, 52]; default 52. See {@link X86WalkerOptions.maxPhysicalAddressBits}. */
  maxPhysicalAddressBits?: number;
  /** RISC-V Sv39+ only: implement Svpbmt. Default false. */
  svpbmt?: boolean;
  /** RISC-V Sv39+ only: implement Svnapot (64 KiB NAPOT pages, `pageShift` 16). Default false. */
  svnapot?: boolean;
  /** RISC-V only: the hart's PMP, checking every page-table access (see {@link RiscvWalkerOptions.pmp}). */
  pmp?: Pmp | null;
}

/**
 * Creates the hardware walker for a format: an {@link X86Walker} or a
 * {@link RiscvWalker}. The walker keeps `controls` and reads it on every walk,
 * so flipping a bit (CR0.WP, SUM, …) takes effect on the next walk.
 *
 * An {@link Mmu} creates its own walker; use one directly to translate
 * without TLBs or cycle counting (a debugger, a test oracle).
 *
 * @param format - the page-table format.
 * @param memory - physical memory holding the tables.
 * @param controls - control bits (keep the object and mutate it).
 * @param options - see {@link WalkerOptions}.
 * @throws {@link InvalidArgumentError} for an option of the other architecture, or a bad option value.
 * @throws {@link TlbConfigError} for a bad walk-cache size.
 *
 * @example
 * ```ts
 * const memory = new PhysicalMemory({ size: 1 << 20 });
 * const tables = new PageTableBuilder(memory, SV39, new FrameAllocator(memory));
 * tables.map(0x5000, 0x9000, { user: true, accessed: true });
 * const controls = defaultControls();
 * const walker = createWalker(SV39, memory, controls, { walkCache: null });
 * const out = new WalkResult();
 * walker.walk(0x5123, Access.Read, Privilege.User, tables.root, 0, out);
 * out.ok;                                  // true
 * out.pageBase + (0x5123 % 2 ** out.pageShift); // 0x9123
 * out.pteReads;                            // 3: L2, L1, L0
 * walker.walk(0x5123, Access.Write, Privilege.User, tables.root, 0, out);
 * out.ok;                                  // false
 * faultReasonName(out.faultReason);        // 'Protection': W = 0
 * ```
 */
export function createWalker(
  format: PageTableFormat,
  memory: PhysicalMemory,
  controls: ControlState,
  options: WalkerOptions = {},
): PageWalker {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
  requireKnownKeys(options, ['walkCache', 'maxPhysicalAddressBits', 'svpbmt', 'svnapot', 'pmp'], 'WalkerOptions');
  const { walkCache, maxPhysicalAddressBits, svpbmt, svnapot, pmp } = options;
  if (format?.architecture === 'x86') {
    if (svpbmt || svnapot || (pmp !== undefined && pmp !== null)) throw new InvalidArgumentError('svpbmt, svnapot and pmp are RISC-V options');
    return new X86Walker(format, memory, controls, { walkCache, maxPhysicalAddressBits });
  }
  if (maxPhysicalAddressBits !== undefined && format?.architecture === 'riscv') {
    throw new InvalidArgumentError('maxPhysicalAddressBits is an x86 option');
  }
  return new RiscvWalker(format, memory, controls, { walkCache, svpbmt, svnapot, pmp });
}
