/**
 * x86 paging-structure entries (Intel SDM Vol. 3A §4.3 32-bit paging, §4.4
 * PAE paging, §4.5 4-level and 5-level paging): bit constants, and
 * encode/decode between a bigint entry and named fields for OS code that
 * builds tables. The walker does not use encode/decode: it reads entries as
 * two 32-bit halves.
 */

import { InvalidArgumentError } from '../errors.js';
import type { PhysicalMemory } from '../physical-memory.js';
import { type PageTableFormat, X86_64, fieldsWithDefaults, readPte, requireEntryValue, requireLevel, writePte } from './format.js';

/**
 * Bits of the low 32-bit half of an x86 paging-structure entry (the same
 * positions in 4-byte and 8-byte entries; Intel SDM Vol. 3A Tables 4-4 to 4-20).
 */
export const X86_PTE = {
  /** P, bit 0: present. */
  P: 0x1,
  /** R/W, bit 1: writes allowed (subject to CR0.WP for supervisor writes). */
  RW: 0x2,
  /** U/S, bit 2: user-mode accesses allowed. */
  US: 0x4,
  /** PWT, bit 3: page-level write-through. */
  PWT: 0x8,
  /** PCD, bit 4: page-level cache disable. */
  PCD: 0x10,
  /** A, bit 5: accessed (set by the walker). */
  A: 0x20,
  /** D, bit 6: dirty (leaf only; set by the walker on a write). */
  D: 0x40,
  /** PS, bit 7 of a PDPTE or PDE: the entry maps a 1 GiB / 2 MiB / 4 MiB page. */
  PS: 0x80,
  /** G, bit 8 (leaf only): global translation when CR4.PGE = 1. */
  G: 0x100,
  /** PAT, bit 7 of an entry that maps a 4 KiB page. */
  PAT_4K: 0x80,
  /** PAT, bit 12 of an entry that maps a 2 MiB, 4 MiB or 1 GiB page. */
  PAT_LARGE: 0x1000,
} as const;

/** XD (execute-disable), bit 63 of an 8-byte entry, as bit 31 of the entry's high 32-bit half. */
export const X86_PTE_XD_HIGH = 0x8000_0000;

/** XD (execute-disable), bit 63 of an 8-byte entry; reserved when EFER.NXE = 0 (Intel SDM Vol. 3A §4.6). */
export const X86_PTE_XD = 1n << 63n;

/**
 * The fields of an x86 paging-structure entry. Which are meaningful depends on
 * the level (Intel SDM Vol. 3A Tables 4-4 to 4-20): `dirty`, `global` and
 * `pat` only in entries that map a page; `pageSize` only in a PDPTE or PDE;
 * a PAE PDPTE has only `present`, `writeThrough`, `cacheDisable`, `address`
 * and 3 `available` bits. Protection keys (bits 62:59) are not modelled.
 */
export interface X86PteFields {
  /** P (bit 0). */
  present: boolean;
  /** R/W (bit 1). */
  writable: boolean;
  /** U/S (bit 2). */
  user: boolean;
  /** PWT (bit 3). */
  writeThrough: boolean;
  /** PCD (bit 4). */
  cacheDisable: boolean;
  /** A (bit 5). */
  accessed: boolean;
  /** D (bit 6); entries that map a page only. */
  dirty: boolean;
  /** PS (bit 7) of a PDPTE or PDE: maps a 1 GiB, 2 MiB or 4 MiB page. Always false for the last level. */
  pageSize: boolean;
  /** G (bit 8); entries that map a page only. */
  global: boolean;
  /** PAT: bit 7 of a 4 KiB-page entry, bit 12 of a large-page entry; entries that map a page only. */
  pat: boolean;
  /** XD (bit 63); 8-byte entries only. */
  noExecute: boolean;
  /** Physical address of the next table (4 KiB aligned) or of the page (aligned to its size). */
  address: number;
  /**
   * The bits the processor ignores, free for the OS: bits 11:9 in bits 2:0 of
   * this number and, in 4/5-level paging entries only, bits 58:52 in bits 9:3.
   */
  available: number;
}

/** Everything about one entry slot that encode and decode need. */
interface EntryShape {
  /** The last level: bit 7 is PAT, every present entry maps a 4 KiB page. */
  readonly last: boolean;
  /** PS may be set (a PDPTE or PDE level). */
  readonly psAllowed: boolean;
  /** PAE PDPTE: no R/W, U/S, A, PS, XD. */
  readonly paePdpte: boolean;
  /** Number of available bits. */
  readonly availableBits: number;
  /** Page shift of a large page at this level. */
  readonly largeShift: number;
}

function shapeOf(format: PageTableFormat, level: number): EntryShape {
  const lv = requireLevel(format, 'x86', level);
  const last = level === format.levels.length - 1;
  return {
    last,
    psAllowed: !last && lv.leafShift > 0,
    paePdpte: format.name === 'x86-pae' && level === 0,
    availableBits: format.name === 'x86-64' || format.name === 'x86-64-la57' ? 10 : 3,
    largeShift: lv.leafShift,
  };
}

const FIELD_DEFAULTS: X86PteFields = {
  present: false,
  writable: false,
  user: false,
  writeThrough: false,
  cacheDisable: false,
  accessed: false,
  dirty: false,
  pageSize: false,
  global: false,
  pat: false,
  noExecute: false,
  address: 0,
  available: 0,
};

const FLAG_BITS = [
  ['present', 0n],
  ['writable', 1n],
  ['user', 2n],
  ['writeThrough', 3n],
  ['cacheDisable', 4n],
  ['accessed', 5n],
  ['dirty', 6n],
  ['global', 8n],
  ['noExecute', 63n],
] as const;

const bit = (value: bigint, n: bigint): boolean => ((value >> n) & 1n) === 1n;

/**
 * Builds an x86 paging-structure entry. Missing fields are false / 0.
 *
 * @param fields - the entry's fields.
 * @param format - an x86 format.
 * @param level - level index of the entry (0 = root).
 * @returns the entry as an unsigned bigint (below 2^32 for 32-bit paging).
 * @throws {@link InvalidArgumentError} when the fields cannot be expressed at
 * that level: PS where no page may be mapped (PML5E/PML4E, PAE PDPTE, PTE);
 * D, G or PAT in an entry that references a table; R/W, U/S, A or XD in a PAE
 * PDPTE (reserved there, Table 4-8); XD in a 4-byte entry; an address not
 * 4 KiB aligned (table or 4 KiB page) or not aligned to the page size (large
 * page), or at or above 2^paBits (32-bit paging: 2^32, and 2^40 for a PSE-36
 * 4 MiB page); `available` out of range.
 *
 * @example
 * ```ts
 * // A present, writable user 2 MiB page at 0x4020_0000 (a PDE, level 2 of x86-64).
 * const pde = encodeX86Pte({ present: true, writable: true, user: true, pageSize: true, address: 0x4020_0000 }, X86_64, 2);
 * pde;                                          // 0x4020_0087n: P, R/W, U/S, PS
 * // An execute-disabled 4 KiB page (a PTE, level 3).
 * encodeX86Pte({ present: true, noExecute: true, address: 0x5000 }, X86_64, 3); // 0x8000_0000_0000_5001n
 * ```
 */
export function encodeX86Pte(fields: Partial<X86PteFields>, format: PageTableFormat, level: number): bigint {
  const shape = shapeOf(format, level);
  const f = fieldsWithDefaults(fields, FIELD_DEFAULTS, 'X86PteFields');
  const where = `${format.name} ${format.levels[level].name}`;
  if (f.pageSize && !shape.psAllowed) throw new InvalidArgumentError(`${where}: PS cannot be set (no page is mapped at this level)`);
  const leaf = shape.last || f.pageSize;
  if (!leaf && (f.dirty || f.global || f.pat)) {
    throw new InvalidArgumentError(`${where}: dirty, global and pat apply only to an entry that maps a page`);
  }
  if (shape.paePdpte && (f.writable || f.user || f.accessed || f.noExecute)) {
    throw new InvalidArgumentError(`${where}: a PAE PDPTE has no R/W, U/S, A or XD bit (reserved, SDM Table 4-8)`);
  }
  if (format.pteSize === 4 && f.noExecute) throw new InvalidArgumentError(`${where}: 32-bit paging has no XD bit`);

  const pageShift = leaf && !shape.last ? shape.largeShift : 12;
  const addressBits = format.name === 'x86-32' ? (pageShift === 22 ? 40 : 32) : format.paBits;
  const { address, available } = f;
  if (!Number.isInteger(address) || address < 0 || address >= 2 ** addressBits || address % 2 ** pageShift !== 0) {
    throw new InvalidArgumentError(
      `${where}: address must be a multiple of 0x${(2 ** pageShift).toString(16)} below 2^${addressBits}, got ${String(address)}`,
    );
  }
  if (!Number.isInteger(available) || available < 0 || available >= 2 ** shape.availableBits) {
    throw new InvalidArgumentError(`${where}: available must be an integer in [0, ${2 ** shape.availableBits - 1}], got ${String(available)}`);
  }

  let value = 0n;
  for (const [name, n] of FLAG_BITS) if (f[name]) value |= 1n << n;
  if (f.pageSize) value |= 1n << 7n;
  if (f.pat) value |= shape.last ? 1n << 7n : 1n << 12n;
  const a = BigInt(address);
  value |= format.name === 'x86-32' && pageShift === 22 ? (a & 0xffc0_0000n) | ((a >> 32n) << 13n) : a;
  const av = BigInt(available);
  value |= ((av & 7n) << 9n) | ((av >> 3n) << 52n);
  return value;
}

/**
 * Splits an x86 paging-structure entry into its fields: the inverse of
 * {@link encodeX86Pte} (`decode(encode(f))` equals `f` for every `f` encode
 * accepts). Decoding reports the bits as stored; it checks no reserved bits.
 * An entry with PS = 1 at a PDPTE/PDE level decodes as a large page (for
 * 32-bit paging, whatever CR4.PSE is).
 *
 * @param value - the entry, an unsigned bigint of the format's entry width.
 * @param format - an x86 format.
 * @param level - level index of the entry (0 = root).
 * @returns the fields; `address` in bytes (PSE-36 bits folded in for a 32-bit 4 MiB page).
 * @throws {@link InvalidArgumentError} on a bad format, level or value.
 *
 * @example
 * ```ts
 * const f = decodeX86Pte(0x8000_0000_0020_0063n, X86_64, 3);
 * f.present;   // true
 * f.writable;  // true
 * f.accessed;  // true
 * f.dirty;     // true
 * f.noExecute; // true
 * f.address;   // 0x20_0000
 * ```
 */
export function decodeX86Pte(value: bigint, format: PageTableFormat, level: number): X86PteFields {
  const shape = shapeOf(format, level);
  requireEntryValue(value, format);
  const pageSize = !shape.last && bit(value, 7n);
  const large = pageSize && shape.psAllowed;
  let address: number;
  if (large && format.name === 'x86-32') {
    address = Number((value & 0xffc0_0000n) | (((value >> 13n) & 0xffn) << 32n));
  } else {
    const shift = BigInt(large ? shape.largeShift : 12);
    address = Number((value & ((1n << 52n) - 1n)) & ~((1n << shift) - 1n));
  }
  const availableHigh = shape.availableBits > 3 ? (value >> 52n) & 0x7fn : 0n;
  return {
    present: bit(value, 0n),
    writable: bit(value, 1n),
    user: bit(value, 2n),
    writeThrough: bit(value, 3n),
    cacheDisable: bit(value, 4n),
    accessed: bit(value, 5n),
    dirty: bit(value, 6n),
    pageSize,
    global: bit(value, 8n),
    pat: shape.last ? bit(value, 7n) : large && bit(value, 12n),
    noExecute: format.pteSize === 8 && bit(value, 63n),
    address,
    available: Number(((value >> 9n) & 7n) | (availableHigh << 3n)),
  };
}


/**
 * Reads an x86 paging-structure entry (4 bytes for 32-bit paging, else 8).
 *
 * @param memory - physical memory holding the table.
 * @param address - physical address of the entry.
 * @param format - an x86 format; default {@link X86_64}.
 * @returns the entry as an unsigned bigint.
 * @throws {@link InvalidArgumentError} when `format` is not an x86 format.
 * @throws {@link PhysicalAccessError} when nothing is mapped there.
 *
 * @example
 * ```ts
 * const mem = new PhysicalMemory({ size: 1 << 20 });
 * const pte = encodeX86Pte({ present: true, writable: true, address: 0x5000 }, X86_64, 3);
 * writeX86Pte(mem, 0x3000 + 1 * 8, pte);              // entry 1 of the page table at 0x3000
 * decodeX86Pte(readX86Pte(mem, 0x3008), X86_64, 3).address; // 0x5000
 * readX86Pte(mem, 0x3008, X86_32);                    // 0x5003n: the same bytes as a 4-byte entry
 * ```
 */
export function readX86Pte(memory: PhysicalMemory, address: number, format: PageTableFormat = X86_64): bigint {
  requireLevel(format, 'x86', 0);
  return readPte(memory, address, format);
}

/**
 * Writes an x86 paging-structure entry (4 bytes for 32-bit paging, else 8).
 *
 * @param memory - physical memory holding the table.
 * @param address - physical address of the entry.
 * @param value - the entry, e.g. from {@link encodeX86Pte}.
 * @param format - an x86 format; default {@link X86_64}.
 * @throws {@link InvalidArgumentError} when `format` is not an x86 format or `value` does not fit the entry.
 * @throws {@link PhysicalAccessError} when nothing is mapped there.
 */
export function writeX86Pte(memory: PhysicalMemory, address: number, value: bigint, format: PageTableFormat = X86_64): void {
  requireLevel(format, 'x86', 0);
  writePte(memory, address, value, format);
}
