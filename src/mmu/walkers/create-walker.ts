import type { ControlState } from '../controls.js';
import { InvalidArgumentError } from '../errors.js';
import type { PageTableFormat } from '../formats/format.js';
import type { PhysicalMemory } from '../physical-memory.js';
import type { WalkCacheConfig } from '../walk-cache.js';
import type { PageWalker } from '../walker.js';
import { RiscvWalker } from './riscv-walker.js';
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
}

/**
 * Creates the hardware walker for a format: an {@link X86Walker} or a
 * {@link RiscvWalker}. The walker keeps `controls` and reads it on every walk,
 * so flipping a bit (CR0.WP, SUM, …) takes effect on the next walk.
 *
 * @param format - the page-table format.
 * @param memory - physical memory holding the tables.
 * @param controls - control bits (keep the object and mutate it).
 * @param options - see {@link WalkerOptions}.
 * @throws {@link InvalidArgumentError} for an option of the other architecture, or a bad option value.
 *
 * @example
 * ```ts
 * const controls = defaultControls();
 * const walker = createWalker(SV39, memory, controls, { walkCache: null });
 * const out = new WalkResult();
 * walker.walk(va, Access.Read, Privilege.User, rootPpn * 4096, 0, out);
 * ```
 */
export function createWalker(
  format: PageTableFormat,
  memory: PhysicalMemory,
  controls: ControlState,
  options: WalkerOptions = {},
): PageWalker {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
  const { walkCache, maxPhysicalAddressBits, svpbmt, svnapot } = options;
  if (format?.architecture === 'x86') {
    if (svpbmt || svnapot) throw new InvalidArgumentError('svpbmt and svnapot are RISC-V options');
    return new X86Walker(format, memory, controls, { walkCache, maxPhysicalAddressBits });
  }
  if (maxPhysicalAddressBits !== undefined && format?.architecture === 'riscv') {
    throw new InvalidArgumentError('maxPhysicalAddressBits is an x86 option');
  }
  return new RiscvWalker(format, memory, controls, { walkCache, svpbmt, svnapot });
}
