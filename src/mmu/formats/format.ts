/**
 * Page-table formats: how a virtual address is split into table indices, how
 * large each entry is, and which levels may map a page. One descriptor per
 * paging mode; the bit layout of the entries lives in `x86.ts` and `riscv.ts`.
 */

import { InvalidArgumentError } from '../errors.js';
import { requirePhysicalMemory, type PhysicalMemory } from '../physical-memory.js';
import type { Architecture } from '../permissions.js';
import { requireKnownKeys } from '../validate.js';

/**
 * The paging modes mmukit implements.
 *
 * | name | manual | levels | VA bits | entry |
 * |---|---|---|---|---|
 * | `'x86-64'` | Intel SDM Vol. 3A §4.5, 4-level paging | 4 | 48 | 8 B |
 * | `'x86-64-la57'` | §4.5, 5-level paging (CR4.LA57) | 5 | 57 | 8 B |
 * | `'x86-32'` | §4.3, 32-bit paging (with PSE and PSE-36) | 2 | 32 | 4 B |
 * | `'x86-pae'` | §4.4, PAE paging | 3 | 32 | 8 B |
 * | `'sv32'` | RISC-V Privileged, "Sv32" | 2 | 32 | 4 B |
 * | `'sv39'` | RISC-V Privileged, "Sv39" | 3 | 39 | 8 B |
 * | `'sv48'` | RISC-V Privileged, "Sv48" | 4 | 48 | 8 B |
 * | `'sv57'` | RISC-V Privileged, "Sv57" | 5 | 57 | 8 B |
 */
export type FormatName = 'x86-64' | 'x86-64-la57' | 'x86-32' | 'x86-pae' | 'sv32' | 'sv39' | 'sv48' | 'sv57';

/** One level of a page-table tree. */
export interface PageTableLevel {
  /** Name of an entry at this level as the manual spells it: `'PML4E'`, `'PDE'`, `'PTE'`; RISC-V `'L2'` … `'L0'` (the spec's `i`). */
  readonly name: string;
  /** Bit position of the lowest virtual-address bit that indexes a table of this level (x86-64 PML4E: 39). */
  readonly indexShift: number;
  /** Number of virtual-address bits that index a table of this level (the table has 2^indexBits entries). */
  readonly indexBits: number;
  /** Page shift (log2 of the page size in bytes) when a leaf is allowed at this level, else 0: x86-64 PDE 21 (2 MiB), PTE 12. */
  readonly leafShift: number;
}

/**
 * A paging mode: the shape of its page-table tree. Levels are numbered from
 * the root (level 0) down to the level that maps 4 KiB pages.
 *
 * @example
 * ```ts
 * X86_64.entryIndex(0x7fff_ffff_f000, 0); // 255: PML4 index, VA bits 47:39
 * X86_64.entryAddress(0x1000, 0x7fff_ffff_f000, 0); // 0x1000 + 255 * 8
 * ```
 */
export interface PageTableFormat {
  /** The mode's name. */
  readonly name: FormatName;
  /** Whose permission and fault rules apply. */
  readonly architecture: Architecture;
  /** Width of a virtual address in bits; valid addresses are integers in [0, 2^vaBits), the canonical sign extension implied. */
  readonly vaBits: number;
  /** Width in bits of the widest physical address the entries can express. */
  readonly paBits: number;
  /** Bytes per entry: 4 (x86-32, Sv32) or 8. */
  readonly pteSize: 4 | 8;
  /** The levels, root first. */
  readonly levels: readonly PageTableLevel[];
  /** Page sizes the format can map, as shifts, ascending, e.g. `[12, 21, 30]`. */
  readonly pageShifts: readonly number[];
  /**
   * Index into the table at `level` for `va` (an entry number, not a byte offset).
   *
   * @param va - virtual address, an integer below 2^vaBits.
   * @param level - level index, 0 = root.
   */
  entryIndex(va: number, level: number): number;
  /**
   * Physical address of the entry for `va` in the table at `tableBase` of `level`:
   * `tableBase + entryIndex(va, level) * pteSize`.
   *
   * @param tableBase - physical address of the table.
   * @param va - virtual address, an integer below 2^vaBits.
   * @param level - level index, 0 = root.
   */
  entryAddress(tableBase: number, va: number, level: number): number;
}

/** 2^-32: multiplying by it shifts right by 32 exactly, for any address. */
const TWO_POW_MINUS_32 = 2 ** -32;

/**
 * Bits 63:32 of an integer address (exact for every integer-valued number
 * below 2^64; the multiplication by a power of two is exact).
 *
 * @internal
 */
export function highWord(address: number): number {
  return (address * TWO_POW_MINUS_32) >>> 0;
}

/**
 * `bits` bits of an address starting at bit `shift`, given its two 32-bit
 * halves. `shift` must be at least 1 and `bits` at most 31.
 *
 * @internal
 */
export function addressField(lo: number, hi: number, shift: number, bits: number): number {
  const mask = (1 << bits) - 1;
  if (shift >= 32) return (hi >>> (shift - 32)) & mask;
  return ((lo >>> shift) | (hi << (32 - shift))) & mask;
}

class TableFormat implements PageTableFormat {
  readonly pageShifts: readonly number[];

  constructor(
    readonly name: FormatName,
    readonly architecture: Architecture,
    readonly vaBits: number,
    readonly paBits: number,
    readonly pteSize: 4 | 8,
    readonly levels: readonly PageTableLevel[],
  ) {
    this.pageShifts = Object.freeze(levels.filter((l) => l.leafShift > 0).map((l) => l.leafShift).sort((a, b) => a - b));
    Object.freeze(levels);
    for (const level of levels) Object.freeze(level);
    Object.freeze(this);
  }

  entryIndex(va: number, level: number): number {
    const { indexShift, indexBits } = this.levels[level];
    return addressField(va >>> 0, highWord(va), indexShift, indexBits);
  }

  entryAddress(tableBase: number, va: number, level: number): number {
    return tableBase + this.entryIndex(va, level) * this.pteSize;
  }
}

const level = (name: string, indexShift: number, indexBits: number, leafShift: number): PageTableLevel => ({
  name,
  indexShift,
  indexBits,
  leafShift,
});

/** Radix levels of 9 index bits each, from `topShift` down to the 4 KiB level. */
function nineBitLevels(names: readonly string[], topShift: number, leafFrom: number): PageTableLevel[] {
  return names.map((name, i) => {
    const shift = topShift - 9 * i;
    return level(name, shift, 9, shift <= leafFrom ? shift : 0);
  });
}

/**
 * x86-64 4-level paging (Intel SDM Vol. 3A §4.5): PML4E (VA 47:39), PDPTE
 * (38:30, 1 GiB pages), PDE (29:21, 2 MiB pages), PTE (20:12). MAXPHYADDR up
 * to 52.
 */
export const X86_64: PageTableFormat = new TableFormat(
  'x86-64',
  'x86',
  48,
  52,
  8,
  nineBitLevels(['PML4E', 'PDPTE', 'PDE', 'PTE'], 39, 30),
);

/** x86-64 5-level paging (CR4.LA57, Intel SDM Vol. 3A §4.5): a PML5E level (VA 56:48) above 4-level paging. */
export const X86_64_LA57: PageTableFormat = new TableFormat(
  'x86-64-la57',
  'x86',
  57,
  52,
  8,
  nineBitLevels(['PML5E', 'PML4E', 'PDPTE', 'PDE', 'PTE'], 48, 30),
);

/**
 * x86 32-bit paging (Intel SDM Vol. 3A §4.3): PDE (VA 31:22; a 4 MiB page
 * when CR4.PSE = 1 and PS = 1), PTE (21:12). 4-byte entries. `paBits` is 40:
 * with PSE-36 a 4 MiB page reaches bits 39:32 (Table 4-4); tables and 4 KiB
 * pages stay below 4 GiB.
 */
export const X86_32: PageTableFormat = new TableFormat('x86-32', 'x86', 32, 40, 4, [
  level('PDE', 22, 10, 22),
  level('PTE', 12, 10, 12),
]);

/**
 * x86 PAE paging (Intel SDM Vol. 3A §4.4): a 4-entry PDPT (VA 31:30), PDE
 * (29:21, 2 MiB pages), PTE (20:12), 8-byte entries.
 */
export const X86_PAE: PageTableFormat = new TableFormat('x86-pae', 'x86', 32, 52, 8, [
  level('PDPTE', 30, 2, 0),
  level('PDE', 21, 9, 21),
  level('PTE', 12, 9, 12),
]);

/** RISC-V Sv32 (Privileged Architecture, "Sv32"): two levels of 10 bits, 4 MiB megapages, 4-byte PTEs, 34-bit physical addresses. */
export const SV32: PageTableFormat = new TableFormat('sv32', 'riscv', 32, 34, 4, [
  level('L1', 22, 10, 22),
  level('L0', 12, 10, 12),
]);

/** RISC-V Sv39: three levels, 2 MiB megapages and 1 GiB gigapages, 56-bit physical addresses. */
export const SV39: PageTableFormat = new TableFormat('sv39', 'riscv', 39, 56, 8, nineBitLevels(['L2', 'L1', 'L0'], 30, 30));

/** RISC-V Sv48: four levels, adds 512 GiB terapages. */
export const SV48: PageTableFormat = new TableFormat('sv48', 'riscv', 48, 56, 8, nineBitLevels(['L3', 'L2', 'L1', 'L0'], 39, 39));

/** RISC-V Sv57: five levels, adds 256 TiB petapages. */
export const SV57: PageTableFormat = new TableFormat(
  'sv57',
  'riscv',
  57,
  56,
  8,
  nineBitLevels(['L4', 'L3', 'L2', 'L1', 'L0'], 48, 48),
);

/** Every format, by name. */
const FORMATS: ReadonlyMap<string, PageTableFormat> = new Map(
  [X86_64, X86_64_LA57, X86_32, X86_PAE, SV32, SV39, SV48, SV57].map((f) => [f.name, f]),
);

/** The names of every format, in a stable order. */
export const FORMAT_NAMES: readonly FormatName[] = Object.freeze([...FORMATS.keys()] as FormatName[]);

/**
 * Looks a format up by name.
 *
 * @param name - one of {@link FORMAT_NAMES}.
 * @throws {@link InvalidArgumentError} for an unknown name.
 *
 * @example
 * ```ts
 * formatByName('sv39').levels.length; // 3
 * ```
 */
export function formatByName(name: FormatName): PageTableFormat {
  const format = FORMATS.get(name);
  if (!format) throw new InvalidArgumentError(`unknown page-table format ${JSON.stringify(name)}; expected one of ${FORMAT_NAMES.join(', ')}`);
  return format;
}

/**
 * Reads one page-table entry of `format`'s size (4 or 8 bytes) as an unsigned bigint.
 * For OS code and tests; the walkers read entries as two 32-bit halves instead.
 * Splits it into fields with {@link decodeX86Pte} or {@link decodeRiscvPte}.
 *
 * @param memory - physical memory holding the table.
 * @param address - physical address of the entry (bytes).
 * @param format - decides the entry size.
 * @throws {@link PhysicalAccessError} when nothing is mapped there.
 *
 * @example
 * ```ts
 * const mem = new PhysicalMemory({ size: 1 << 20 });
 * writePte(mem, 0x2000, 0x3003n, X86_64); // P | R/W, next table at 0x3000
 * readPte(mem, 0x2000, X86_64);           // 0x3003n
 * readPte(mem, 0x2000, SV32);             // 0x3003n: the low 4 bytes
 * ```
 */
export function readPte(memory: PhysicalMemory, address: number, format: PageTableFormat): bigint {
  requirePhysicalMemory(memory);
  requireFormat(format);
  return format.pteSize === 8 ? memory.read64(address) : BigInt(memory.read32(address));
}

/**
 * Writes one page-table entry of `format`'s size (4 or 8 bytes). Like a store
 * by an OS, it invalidates no TLB entry: call {@link Mmu.invalidatePage} or
 * {@link Mmu.sfenceVma} for a changed mapping.
 *
 * @param memory - physical memory holding the table.
 * @param address - physical address of the entry (bytes).
 * @param value - the entry, an unsigned bigint below 2^(8 × pteSize), e.g. from {@link encodeX86Pte}.
 * @param format - decides the entry size.
 * @throws {@link InvalidArgumentError} when `value` does not fit the entry size.
 * @throws {@link PhysicalAccessError} when nothing is mapped there.
 */
export function writePte(memory: PhysicalMemory, address: number, value: bigint, format: PageTableFormat): void {
  requirePhysicalMemory(memory);
  requireFormat(format);
  requireEntryValue(value, format);
  if (format.pteSize === 8) memory.write64(address, value);
  else memory.write32(address, Number(value));
}

/**
 * Checks that `format` belongs to `architecture` and `level` is one of its
 * level indices.
 *
 * @throws {@link InvalidArgumentError} otherwise.
 * @internal
 */
export function requireLevel(format: PageTableFormat, architecture: Architecture, level: number): PageTableLevel {
  requireFormat(format, architecture);
  if (!Number.isInteger(level) || level < 0 || level >= format.levels.length) {
    throw new InvalidArgumentError(`level must be an integer in [0, ${format.levels.length - 1}] for ${format.name}, got ${level}`);
  }
  return format.levels[level];
}

/**
 * Checks that `format` is one of mmukit's page-table formats ({@link X86_64}, {@link SV39}, ...),
 * of `architecture` when given.
 *
 * @throws {@link InvalidArgumentError} otherwise.
 * @internal
 */
export function requireFormat(format: unknown, architecture?: Architecture): PageTableFormat {
  if (!(format instanceof TableFormat)) {
    throw new InvalidArgumentError(`expected a page-table format (one of ${FORMAT_NAMES.join(', ')}), got ${typeof format === 'string' ? JSON.stringify(format) : String(format)}`);
  }
  if (architecture !== undefined && format.architecture !== architecture) {
    throw new InvalidArgumentError(`expected an ${architecture} page-table format, got ${format.name}`);
  }
  return format;
}

/**
 * Checks that `value` is an unsigned bigint of the format's entry width.
 *
 * @throws {@link InvalidArgumentError} otherwise.
 * @internal
 */
export function requireEntryValue(value: bigint, format: PageTableFormat): void {
  if (typeof value !== 'bigint' || value < 0n || value >= 1n << BigInt(format.pteSize * 8)) {
    throw new InvalidArgumentError(`a ${format.name} entry is an unsigned ${format.pteSize * 8}-bit bigint, got ${String(value)}`);
  }
}

/**
 * `fields` over `defaults`, each field checked to have the default's type.
 *
 * @throws {@link InvalidArgumentError} when `fields` is not an object, has a key `defaults` lacks (named `what` in the message), or a field has the wrong type.
 * @internal
 */
export function fieldsWithDefaults<T extends object>(fields: Partial<T>, defaults: T, what: string): T {
  if (fields === null || typeof fields !== 'object') throw new InvalidArgumentError('fields must be an object');
  requireKnownKeys(fields, Object.keys(defaults), what);
  const merged = { ...defaults, ...fields };
  for (const [name, fallback] of Object.entries(defaults)) {
    const v: unknown = merged[name as keyof T];
    if (typeof v !== typeof fallback) throw new InvalidArgumentError(`field ${name} must be a ${typeof fallback}, got ${typeof v}`);
  }
  return merged;
}
