/**
 * RISC-V page-table entries (Privileged Architecture, "Sv32", "Sv39", "Sv48",
 * "Sv57", and the Svnapot and Svpbmt extensions): bit constants, and
 * encode/decode between a bigint PTE and named fields for OS code that builds
 * tables. The walker does not use encode/decode: it reads PTEs as two 32-bit
 * halves.
 */

import { InvalidArgumentError } from '../errors.js';
import type { PhysicalMemory } from '../physical-memory.js';
import { requireKnownKeys } from '../validate.js';
import { type PageTableFormat, fieldsWithDefaults, readPte, requireEntryValue, requireLevel, writePte } from './format.js';

/** Bits of the low 32-bit half of a RISC-V PTE (the same in Sv32 and Sv39/48/57). */
export const RISCV_PTE = {
  /** V, bit 0: valid. */
  V: 0x1,
  /** R, bit 1: readable. */
  R: 0x2,
  /** W, bit 2: writable (reserved without R). */
  W: 0x4,
  /** X, bit 3: executable. R = W = X = 0 makes the PTE a pointer to the next table. */
  X: 0x8,
  /** U, bit 4: accessible to U-mode. */
  U: 0x10,
  /** G, bit 5: global mapping (in a non-leaf PTE: every mapping below is global). */
  G: 0x20,
  /** A, bit 6: accessed. */
  A: 0x40,
  /** D, bit 7: dirty. */
  D: 0x80,
  /** RSW, bits 9:8: reserved for supervisor software, ignored by hardware. */
  RSW: 0x300,
} as const;

/** Bits of the high 32-bit half of an Sv39/Sv48/Sv57 PTE (PTE bit n is bit n − 32 here). */
export const RISCV_PTE_HIGH = {
  /** PPN bits 43:22 (PTE bits 53:32). */
  PPN: 0x003f_ffff,
  /** PTE bits 60:54: reserved for future standard use; a page fault when set. */
  RESERVED: 0x1fc0_0000,
  /** PBMT, PTE bits 62:61 (Svpbmt). */
  PBMT: 0x6000_0000,
  /** N, PTE bit 63 (Svnapot). */
  N: 0x8000_0000,
} as const;

/** Svpbmt page-based memory types (the PBMT field; 3 is reserved). */
export const RISCV_PBMT = {
  /** None: the physical memory attributes apply. */
  PMA: 0,
  /** Non-cacheable, idempotent, weakly-ordered main memory. */
  NC: 1,
  /** Non-cacheable, non-idempotent, strongly-ordered I/O. */
  IO: 2,
} as const;

/** The fields of a RISC-V PTE. */
export interface RiscvPteFields {
  /** V (bit 0). */
  valid: boolean;
  /** R (bit 1). */
  read: boolean;
  /** W (bit 2). */
  write: boolean;
  /** X (bit 3). */
  execute: boolean;
  /** U (bit 4). */
  user: boolean;
  /** G (bit 5). */
  global: boolean;
  /** A (bit 6). */
  accessed: boolean;
  /** D (bit 7). */
  dirty: boolean;
  /** RSW (bits 9:8), 0–3. */
  rsw: number;
  /** Physical address: of the next table, of the page, or of the whole 64 KiB region for a NAPOT PTE. */
  address: number;
  /** PBMT (bits 62:61, Svpbmt), 0–3; always 0 in Sv32. */
  pbmt: number;
  /** N (bit 63, Svnapot): a 64 KiB NAPOT page; always false in Sv32. */
  napot: boolean;
}

/** Options of {@link encodeRiscvPte}. */
export interface RiscvEncodeOptions {
  /**
   * Build entries the spec reserves (tests use them to provoke page faults):
   * W without R, PBMT = 3, PBMT / N / D / A / U in a non-leaf PTE, N above
   * the last level, superpages and NAPOT pages not aligned to their size.
   * Default false.
   */
  allowReserved?: boolean;
}

const FIELD_DEFAULTS: RiscvPteFields = {
  valid: false,
  read: false,
  write: false,
  execute: false,
  user: false,
  global: false,
  accessed: false,
  dirty: false,
  rsw: 0,
  address: 0,
  pbmt: 0,
  napot: false,
};

const FLAG_BITS = [
  ['valid', 0n],
  ['read', 1n],
  ['write', 2n],
  ['execute', 3n],
  ['user', 4n],
  ['global', 5n],
  ['accessed', 6n],
  ['dirty', 7n],
] as const;

/** PPN bits 3:0 of a 64 KiB NAPOT PTE (Svnapot, Table "Page table entry encodings when pte.N=1"). */
const NAPOT_64K_PPN = 0b1000;

const bit = (value: bigint, n: bigint): boolean => ((value >> n) & 1n) === 1n;

/**
 * Builds a RISC-V PTE. Missing fields are false / 0.
 *
 * @param fields - the PTE's fields.
 * @param format - a RISC-V format.
 * @param level - level index of the PTE (0 = root; the spec's `i` is `levels.length - 1 - level`).
 * @param options - see {@link RiscvEncodeOptions}.
 * @returns the PTE as an unsigned bigint (below 2^32 for Sv32).
 * @throws {@link InvalidArgumentError} when a field is out of range, PBMT or
 * N is set in Sv32, the address is not a 4 KiB-aligned value below 2^paBits,
 * or (unless `allowReserved`) the entry is a reserved encoding.
 *
 * @example
 * ```ts
 * // A 2 MiB read-write megapage at 0x8020_0000 in Sv39 (level 1 = the spec's i = 1).
 * encodeRiscvPte({ valid: true, read: true, write: true, accessed: true, dirty: true, address: 0x8020_0000 }, SV39, 1); // 0x2008_00c7n
 * // A pointer to the next table: V only.
 * encodeRiscvPte({ valid: true, address: 0x8000_3000 }, SV39, 0); // 0x2000_0c01n
 * ```
 */
export function encodeRiscvPte(
  fields: Partial<RiscvPteFields>,
  format: PageTableFormat,
  level: number,
  options: RiscvEncodeOptions = {},
): bigint {
  const lv = requireLevel(format, 'riscv', level);
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
  requireKnownKeys(options, ['allowReserved'], 'RiscvEncodeOptions');
  const f = fieldsWithDefaults(fields, FIELD_DEFAULTS, 'RiscvPteFields');
  const where = `${format.name} ${lv.name}`;
  const wide = format.pteSize === 8;
  const last = level === format.levels.length - 1;
  const leaf = f.read || f.write || f.execute;
  if (!Number.isInteger(f.rsw) || f.rsw < 0 || f.rsw > 3) throw new InvalidArgumentError(`${where}: rsw must be 0–3, got ${f.rsw}`);
  if (!Number.isInteger(f.pbmt) || f.pbmt < 0 || f.pbmt > 3) throw new InvalidArgumentError(`${where}: pbmt must be 0–3, got ${f.pbmt}`);
  if (!wide && (f.pbmt !== 0 || f.napot)) throw new InvalidArgumentError(`${where}: Sv32 PTEs have no PBMT or N bit`);
  if (!options.allowReserved) {
    const reserved = reservedEncoding(f, leaf, last, lv.leafShift);
    if (reserved) throw new InvalidArgumentError(`${where}: ${reserved} (pass allowReserved to build it anyway)`);
  }
  const { address } = f;
  if (!Number.isInteger(address) || address < 0 || address >= 2 ** format.paBits || address % 4096 !== 0) {
    throw new InvalidArgumentError(`${where}: address must be a multiple of 0x1000 below 2^${format.paBits}, got ${String(address)}`);
  }
  let value = 0n;
  for (const [name, n] of FLAG_BITS) if (f[name]) value |= 1n << n;
  value |= BigInt(f.rsw) << 8n;
  value |= (BigInt(address / 4096) | (f.napot ? BigInt(NAPOT_64K_PPN) : 0n)) << 10n;
  value |= BigInt(f.pbmt) << 61n;
  if (f.napot) value |= 1n << 63n;
  return value;
}

/** Why `f` is a reserved encoding at a level, or null. */
function reservedEncoding(f: RiscvPteFields, leaf: boolean, last: boolean, leafShift: number): string | null {
  if (f.write && !f.read) return 'W without R is reserved';
  if (!leaf) {
    if (f.pbmt !== 0 || f.napot) return 'PBMT and N are reserved in a non-leaf PTE';
    if (f.dirty || f.accessed || f.user) return 'D, A and U are reserved in a non-leaf PTE';
    return null;
  }
  if (f.pbmt === 3) return 'PBMT = 3 is reserved';
  if (f.napot && !last) return 'N is reserved above the last level (only 64 KiB NAPOT pages are defined)';
  const align = f.napot ? 2 ** 16 : 2 ** leafShift;
  if (f.address % align !== 0) return `a ${f.napot ? 'NAPOT' : 'leaf'} page here must be aligned to 0x${align.toString(16)}`;
  return null;
}

/**
 * Splits a RISC-V PTE into its fields: the inverse of {@link encodeRiscvPte}
 * (`decode(encode(f))` equals `f` for every `f` encode accepts without
 * `allowReserved`). Reports bits as stored; checks nothing. For a PTE with
 * N = 1, `address` has PPN bits 3:0 cleared (the NAPOT region's base).
 *
 * @param value - the PTE, an unsigned bigint of the format's entry width.
 * @param format - a RISC-V format.
 * @returns the fields; `address` in bytes (PPN × 4096).
 * @throws {@link InvalidArgumentError} on a bad format or value.
 *
 * @example
 * ```ts
 * const f = decodeRiscvPte(0x2008_00c7n, SV39);
 * f.valid && f.read && f.write;  // true
 * f.execute;                     // false
 * f.address;                     // 0x8020_0000
 * ```
 */
export function decodeRiscvPte(value: bigint, format: PageTableFormat): RiscvPteFields {
  requireLevel(format, 'riscv', 0);
  requireEntryValue(value, format);
  const wide = format.pteSize === 8;
  const napot = wide && bit(value, 63n);
  let ppn = (value >> 10n) & ((1n << BigInt(format.paBits - 12)) - 1n);
  if (napot) ppn &= ~0xfn;
  return {
    valid: bit(value, 0n),
    read: bit(value, 1n),
    write: bit(value, 2n),
    execute: bit(value, 3n),
    user: bit(value, 4n),
    global: bit(value, 5n),
    accessed: bit(value, 6n),
    dirty: bit(value, 7n),
    rsw: Number((value >> 8n) & 3n),
    address: Number(ppn) * 4096,
    pbmt: wide ? Number((value >> 61n) & 3n) : 0,
    napot,
  };
}


/**
 * Reads a RISC-V PTE (4 bytes for Sv32, else 8).
 *
 * @param memory - physical memory holding the table.
 * @param address - physical address of the PTE.
 * @param format - a RISC-V format.
 * @returns the PTE as an unsigned bigint.
 * @throws {@link InvalidArgumentError} when `format` is not a RISC-V format.
 * @throws {@link PhysicalAccessError} when nothing is mapped there.
 *
 * @example
 * ```ts
 * const mem = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000 });
 * const root = 0x8000_0000;
 * const entry = SV39.entryAddress(root, 0x4000_0000, 0);       // the L2 entry for VA 0x4000_0000
 * writeRiscvPte(mem, entry, encodeRiscvPte({ valid: true, read: true, execute: true, address: 0x8000_0000 }, SV39, 0), SV39);
 * decodeRiscvPte(readRiscvPte(mem, entry, SV39), SV39).execute; // true
 * entry - root;                                                 // 8: entry 1, 8 bytes each
 * ```
 */
export function readRiscvPte(memory: PhysicalMemory, address: number, format: PageTableFormat): bigint {
  requireLevel(format, 'riscv', 0);
  return readPte(memory, address, format);
}

/**
 * Writes a RISC-V PTE (4 bytes for Sv32, else 8).
 *
 * @param memory - physical memory holding the table.
 * @param address - physical address of the PTE.
 * @param value - the PTE, e.g. from {@link encodeRiscvPte}.
 * @param format - a RISC-V format.
 * @throws {@link InvalidArgumentError} when `format` is not a RISC-V format or `value` does not fit the entry.
 * @throws {@link PhysicalAccessError} when nothing is mapped there.
 */
export function writeRiscvPte(memory: PhysicalMemory, address: number, value: bigint, format: PageTableFormat): void {
  requireLevel(format, 'riscv', 0);
  writePte(memory, address, value, format);
}
