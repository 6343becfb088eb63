/**
 * TLB configurations of real cores, each with the document its numbers come from.
 *
 * Neither vendor documents its TLB replacement policy in the cited documents,
 * so every preset uses `'lru'`: an assumption of ours, not a vendor fact.
 *
 * Geometries of other cores (Arm Cortex-A35/A53/A55/A76 L2 TLBs: 512 entries 2-way,
 * 512 4-way, 1024 4-way, 1280 5-way), with the documents they come from, are tabled in
 * docs/formats-and-tlbs.md ("Geometries"), together with the cores documented to use
 * round-robin replacement ('fifo'). They are not presets: a preset is a whole
 * hierarchy, and mmukit walks x86 and RISC-V page tables only.
 */

import type { TlbArrayConfig, TlbConfig } from './config.js';
import type { TlbHierarchyConfig } from './hierarchy.js';
import type { ReplacementPolicy } from './replacement.js';

const freezeLevel = (name: string, arrays: TlbArrayConfig[]): TlbConfig =>
  Object.freeze({
    name,
    arrays: Object.freeze(
      arrays.map((a) =>
        Object.freeze({ ...a, pageShifts: Array.isArray(a.pageShifts) ? Object.freeze([...a.pageShifts]) : a.pageShifts }),
      ),
    ),
  });

// Intel 64 and IA-32 Architectures Optimization Reference Manual, document
// 248966-045 (February 2022), Table 2-15 "TLB Parameters of the Skylake
// Microarchitecture" (Skylake client). The table gives the ITLB 2M/4M array as
// "8 per thread" without an associativity; fully associative is what CPUID leaf 2
// descriptor 0x76 reports ("2M/4M pages, fully associative, 8 entries"). Entries
// are modelled per hardware thread (one Tlb per CPU). Replacement policy: not
// documented by Intel; 'lru' is our assumption. 4 MiB pages (shift 22, 32-bit PSE) share the
// L1 "2M/4M" arrays; the STLB lists only 4 KiB and 2 MiB, so a 4 MiB page is
// fractured into 2 MiB entries there.
/**
 * Intel Skylake (client) TLBs, from the *Intel 64 and IA-32 Architectures
 * Optimization Reference Manual*, document 248966-045 (February 2022),
 * Table 2-15:
 *
 * - L1 ITLB: 4 KiB pages 128 entries 8-way; 2M/4M pages 8 entries per thread,
 *   fully associative (the associativity is from CPUID leaf 2 descriptor 0x76;
 *   the table leaves it blank).
 * - L1 DTLB: 4 KiB pages 64 entries 4-way; 2M/4M pages 32 entries 4-way;
 *   1 GiB pages 4 entries fully associative (4-way).
 * - STLB (unified L2): 4 KiB and 2 MiB pages share 1536 entries 12-way
 *   (128 sets: the associativity is not a power of two, the set count is);
 *   1 GiB pages 16 entries 4-way.
 *
 * Intel does not document the replacement policy; this preset assumes `'lru'`.
 * The ITLB has no 1 GiB array, so a 1 GiB page is fractured there into entries
 * of the largest size its 2M/4M array holds (4 MiB; the translation is exact either way).
 *
 * @example
 * ```ts
 * const mmu = new Mmu({ memory: new PhysicalMemory({ size: 1 << 20 }), format: 'x86-64', tlb: SKYLAKE_TLB }); // the default
 * mmu.tlb.l1d.size;  // 100: 64 + 32 + 4 entries
 * mmu.tlb.l2!.size;  // 1552: 1536 + 16
 * ```
 */
export const SKYLAKE_TLB: TlbHierarchyConfig = Object.freeze({
  l1i: freezeLevel('skylake.itlb', [
    { entries: 128, ways: 8, pageShifts: [12], replacement: 'lru' },
    { entries: 8, ways: 8, pageShifts: [21, 22], replacement: 'lru' },
  ]),
  l1d: freezeLevel('skylake.dtlb', [
    { entries: 64, ways: 4, pageShifts: [12], replacement: 'lru' },
    { entries: 32, ways: 4, pageShifts: [21, 22], replacement: 'lru' },
    { entries: 4, ways: 4, pageShifts: [30], replacement: 'lru' },
  ]),
  l2: freezeLevel('skylake.stlb', [
    { entries: 1536, ways: 12, pageShifts: [12, 21], replacement: 'lru' },
    { entries: 16, ways: 4, pageShifts: [30], replacement: 'lru' },
  ]),
});

// Microchip PolarFire SoC documentation of its SiFive U54 application cores
// (onlinedocs.microchip.com, "MMU" section of the U54 core,
// GUID-08EA0A0B-B045-4D98-B45B-8A92C9D65148): "Both instruction and data address
// translation caches are fully associative, and have 32 entries. The MMU supports
// 2 MB megapages and 1 GB gigapages". Corroborated by Linux's
// arch/riscv/boot/dts/microchip/mpfs.dtsi (i-tlb-size = <32>, i-tlb-sets = <1>,
// d-tlb-size = <32>, d-tlb-sets = <1> for the "sifive,u54-mc" harts).
// No second-level TLB is described. Replacement policy: not documented; 'lru' assumed.
/**
 * SiFive U54 (as in Microchip PolarFire SoC) Sv39 TLBs: a 32-entry fully
 * associative ITLB and DTLB, each holding 4 KiB, 2 MiB and 1 GiB pages, and no
 * L2 TLB. Source: Microchip's PolarFire SoC documentation of the U54 MMU
 * ("Both instruction and data address translation caches are fully associative,
 * and have 32 entries"), corroborated by the Linux device tree `mpfs.dtsi`
 * (`i-tlb-size = <32>`, `d-tlb-size = <32>`, one set each).
 *
 * The replacement policy is not documented there; this preset assumes `'lru'`.
 * (No U74 preset is offered: we found no citable U74 TLB geometry.)
 *
 * @example
 * ```ts
 * const memory = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000 });
 * const mmu = new Mmu({ memory, format: 'sv39', tlb: SIFIVE_U54_TLB });
 * mmu.tlb.l2;               // null: every L1 miss walks
 * mmu.tlb.l1d.pageShifts;   // [12, 21, 30]
 * ```
 */
export const SIFIVE_U54_TLB: TlbHierarchyConfig = Object.freeze({
  l1i: freezeLevel('u54.itlb', [{ entries: 32, ways: 32, pageShifts: [12, 21, 30], replacement: 'lru' }]),
  l1d: freezeLevel('u54.dtlb', [{ entries: 32, ways: 32, pageShifts: [12, 21, 30], replacement: 'lru' }]),
  l2: null,
});

/**
 * A one-array, fully associative TLB level configuration.
 *
 * @param entries - number of entries (any positive integer up to 2^20: one set).
 * @param policy - replacement policy; default `'lru'`.
 * @param pageShifts - page sizes held; default `[12, 21, 30]` (4 KiB, 2 MiB, 1 GiB).
 * @param name - level name; default `fa<entries>`.
 * @returns a frozen {@link TlbConfig}; it is validated when a {@link Tlb} is built from it.
 *
 * @example
 * ```ts
 * const tlb = new Tlb(fullyAssociativeTlb(16, 'plru'));
 * tlb.size;                // 16
 * tlb.config.arrays[0].sets; // 1
 * // As the L1 DTLB of an MMU, to measure a workload's TLB reach:
 * const mmu = new Mmu({
 *   memory: new PhysicalMemory({ size: 1 << 20 }),
 *   format: 'x86-64',
 *   tlb: { l1i: fullyAssociativeTlb(64), l1d: fullyAssociativeTlb(16, 'fifo'), l2: null },
 * });
 * mmu.tlb.l1d.name;        // 'fa16'
 * ```
 */
export function fullyAssociativeTlb(
  entries: number,
  policy: ReplacementPolicy = 'lru',
  pageShifts: readonly number[] = [12, 21, 30],
  name = `fa${entries}`,
): TlbConfig {
  return freezeLevel(name, [{ entries, ways: entries, pageShifts, replacement: policy }]);
}
