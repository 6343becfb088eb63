/**
 * The PE directories a loader reads after mapping an image: exports (data directory 0), imports
 * (1), TLS (9) and the import address table (12), laid out as Microsoft's PE format specification
 * gives them, and the export lookups Windows' loader makes.
 *
 * Every table is read through an {@link ImageReader}: the file as the loader lays it out
 * ({@link fileReader}, for tools and tests), or a module's pages in a process, which is what the
 * loader reads ([the loader](../../../docs/images.md#the-loader-modules-and-imports)): a guest that
 * patched its export table in memory is bound by the patched table, as on Windows.
 *
 * Facts (PE format; ReactOS `LdrpSnapThunk` / `LdrpNameToOrdinal`; Wine `find_named_export`,
 * `find_ordinal_export`, `find_forwarded_export`):
 * - Export directory (40 bytes): Name, Base (the first ordinal), NumberOfFunctions,
 *   NumberOfNames, AddressOfFunctions (EAT: 32-bit RVAs), AddressOfNames (32-bit name RVAs, sorted
 *   for binary search), AddressOfNameOrdinals (16-bit unbiased EAT indexes, parallel to the names).
 * - By name: the hint is tried first as an index into the name table; when that name differs, a
 *   binary search (strcmp) finds it. The ordinal table gives the EAT index.
 * - By ordinal: EAT index = (ordinal − Base) as a 16-bit value. An index ≥ NumberOfFunctions, or
 *   an EAT entry of 0, is not an export.
 * - An EAT RVA inside the export directory's range is a forwarder: "DLL.Func" or "DLL.#N".
 * - Import descriptors (20 bytes) end at the first whose Name or FirstThunk is 0. The lookup table
 *   is OriginalFirstThunk, or FirstThunk when OriginalFirstThunk lies in the headers or past
 *   SizeOfImage (0 included). Entries are 32-bit (PE32) or 64-bit (PE32+), ending with 0; the top
 *   bit set means by ordinal (bits 15–0), clear the RVA of a hint/name entry (low 32 bits).
 * - TLS directory: StartAddressOfRawData, EndAddressOfRawData, AddressOfIndex, AddressOfCallBacks
 *   (VAs, pointer-sized), SizeOfZeroFill, Characteristics; the callbacks are a NULL-terminated array
 *   of VAs.
 * @module
 */

import { InvalidArgumentError } from '../../mmu/errors.js';
import { requireInteger } from '../../mmu/validate.js';
import { STATUS_INVALID_IMAGE_FORMAT } from '../rules/constants.js';
import { ImageFormatError } from './image-format-error.js';
import { originalImage } from './layout.js';
import { requirePeImage, type PeDataDirectory, type PeImage } from './pe-parser.js';

/** Data directory index of the export table (PE format). */
export const IMAGE_DIRECTORY_ENTRY_EXPORT = 0;
/** Data directory index of the import table (PE format). */
export const IMAGE_DIRECTORY_ENTRY_IMPORT = 1;
/** Data directory index of the TLS table (PE format). */
export const IMAGE_DIRECTORY_ENTRY_TLS = 9;
/** Data directory index of the bound import table (PE format). */
export const IMAGE_DIRECTORY_ENTRY_BOUND_IMPORT = 11;
/** Data directory index of the import address table (PE format): the range the loader unprotects. */
export const IMAGE_DIRECTORY_ENTRY_IAT = 12;
/** A PE32 lookup-table entry with this bit imports by ordinal (PE format). */
export const IMAGE_ORDINAL_FLAG32 = 0x8000_0000;
/** A PE32+ lookup-table entry with this bit (2^63, exact as a number) imports by ordinal (PE format). */
export const IMAGE_ORDINAL_FLAG64 = 2 ** 63;

const EXPORT_DIRECTORY_SIZE = 40;
const IMPORT_DESCRIPTOR_SIZE = 20;
/** The longest name the loader reads (a bound against runaway strings; Windows' own limit is the image). */
const MAX_NAME = 0x1000;
/** The most thunks one descriptor may have, and the most TLS callbacks: a bound against tables without their terminator. */
const MAX_ENTRIES = 0x10000;

/** Where the loader reads an image's tables: `length` bytes at an RVA. */
export interface ImageReader {
  /**
   * The bytes at `rva`: `length` of them (the tables' readers take a shorter array for a
   * malformed read, {@link ImageFormatError}, and use the first `length` of a longer one).
   * @param what - the table being read, for the error message.
   * @throws when the range is not inside the image (or not readable in memory).
   */
  bytes(rva: number, length: number, what: string): Uint8Array;
}

/** A number as the error messages show an RVA or a length: hex, or what it is when it is not a number. */
function shown(value: unknown): string {
  return typeof value === 'number' && Number.isInteger(value) ? `0x${value.toString(16)}` : typeof value === 'number' ? String(value) : typeof value;
}

/**
 * The reader of the image as the loader lays it out at its preferred base ({@link originalImage}):
 * headers, section data and zero fill.
 * @throws {@link InvalidArgumentError} when `pe` is not a PeImage returned by {@link parsePe}.
 *   The reader's `bytes` throws {@link ImageFormatError} STATUS_INVALID_IMAGE_FORMAT for a range that
 *   is not inside ALIGN(SizeOfImage, page), or an RVA or a length that is not a non-negative integer.
 */
export function fileReader(pe: PeImage): ImageReader {
  const image = originalImage(requirePeImage(pe));
  return {
    bytes(rva, length, what) {
      if (!Number.isInteger(rva) || !Number.isInteger(length) || rva < 0 || length < 0 || rva + length > image.length) {
        const offset = typeof rva === 'number' ? rva : NaN;
        throw new ImageFormatError(STATUS_INVALID_IMAGE_FORMAT, offset, String(what), `${String(what)} at RVA ${shown(rva)} (${shown(length)} bytes) is outside the image`);
      }
      return image.subarray(rva, rva + length);
    },
  };
}

/**
 * Checks that `reader` is an {@link ImageReader}: an object with a `bytes` method.
 * @throws {@link InvalidArgumentError} otherwise.
 */
function requireReader(reader: unknown): ImageReader {
  if (typeof reader !== 'object' || reader === null || typeof (reader as { bytes?: unknown }).bytes !== 'function') {
    throw new InvalidArgumentError('reader must be an ImageReader: an object with a bytes(rva, length, what) method');
  }
  return reader as ImageReader;
}

/**
 * `length` bytes at `rva` through `reader`.
 * @throws {@link InvalidArgumentError} when the reader gives something that is not a Uint8Array;
 *   {@link ImageFormatError} STATUS_INVALID_IMAGE_FORMAT when it gives fewer bytes than asked (a
 *   malformed read); the reader's own error.
 */
function read(reader: ImageReader, rva: number, length: number, what: string): Uint8Array {
  const bytes: unknown = reader.bytes(rva, length, what);
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError(`the reader gave ${typeof bytes} for ${what}, not a Uint8Array`);
  if (bytes.length < length) {
    throw new ImageFormatError(STATUS_INVALID_IMAGE_FORMAT, rva, what, `the reader gave ${bytes.length} of the 0x${length.toString(16)} bytes of ${what} at RVA ${shown(rva)}`);
  }
  return bytes.length === length ? bytes : bytes.subarray(0, length);
}

function u16(reader: ImageReader, rva: number, what: string): number {
  const b = read(reader, rva, 2, what);
  return b[0] | (b[1] << 8);
}

function u32(reader: ImageReader, rva: number, what: string): number {
  const b = read(reader, rva, 4, what);
  return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
}

/** A pointer-sized field as [low 32 bits, high 32 bits] (high is 0 in a PE32 image). */
function pointer(reader: ImageReader, rva: number, is64: boolean, what: string): [number, number] {
  return is64 ? [u32(reader, rva, what), u32(reader, rva + 4, what)] : [u32(reader, rva, what), 0];
}

/** A pointer-sized value as a number (PE32+ VAs above 2^53 lose precision; mmukit addresses stay below). */
function pointerValue(reader: ImageReader, rva: number, is64: boolean, what: string): number {
  const [low, high] = pointer(reader, rva, is64, what);
  return high * 0x1_0000_0000 + low;
}

/**
 * The NUL-terminated ASCII string at `rva` (bytes as Latin-1), read up to 64 bytes at a time and
 * never across a page; at most {@link MAX_NAME} bytes (every read gives at least one: {@link read}).
 */
function readCString(reader: ImageReader, rva: number, what: string): string {
  let text = '';
  for (let at = rva; at - rva < MAX_NAME; ) {
    const chunk = read(reader, at, Math.min(64, 0x1000 - (at % 0x1000)), what);
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] === 0) return text;
      text += String.fromCharCode(chunk[i]);
    }
    at += chunk.length;
  }
  throw new ImageFormatError(STATUS_INVALID_IMAGE_FORMAT, rva, what, `${what} at RVA ${shown(rva)} has no terminating NUL within ${MAX_NAME} bytes`);
}

/** The export directory's header fields (IMAGE_EXPORT_DIRECTORY, PE format). */
export interface PeExportDirectory {
  /** The DLL name the directory records (its Name RVA's string). */
  readonly name: string;
  /** TimeDateStamp. */
  readonly timeDateStamp: number;
  /** Base: the ordinal of EAT entry 0. */
  readonly base: number;
  /** NumberOfFunctions: EAT entries. */
  readonly numberOfFunctions: number;
  /** NumberOfNames: entries of the name pointer and ordinal tables. */
  readonly numberOfNames: number;
  /** AddressOfFunctions: RVA of the EAT. */
  readonly addressOfFunctions: number;
  /** AddressOfNames: RVA of the name pointer table. */
  readonly addressOfNames: number;
  /** AddressOfNameOrdinals: RVA of the ordinal table. */
  readonly addressOfNameOrdinals: number;
  /** Data directory 0: an EAT RVA inside [virtualAddress, virtualAddress + size) is a forwarder. */
  readonly directory: PeDataDirectory;
}

/** A forwarder string split as the loader splits it: "DLL.Func" or "DLL.#N". */
export interface PeForwarder {
  /** The string as stored. */
  readonly text: string;
  /** The module to load: the part before the last dot, with ".dll" appended when it has no dot of its own (Wine `find_forwarded_export`). */
  readonly module: string;
  /** The export's name, or null for an ordinal forwarder. */
  readonly name: string | null;
  /** The ordinal of a "DLL.#N" forwarder, else null. */
  readonly ordinal: number | null;
}

/** What an EAT entry holds: an export's RVA, or a forwarder. */
export interface PeExportTarget {
  /** The EAT entry: the export's RVA, or the RVA of the forwarder string. */
  readonly rva: number;
  /** The forwarder, when the RVA lies inside the export directory; else null. */
  readonly forwarder: PeForwarder | null;
}

/**
 * An image's export table, read on demand as Windows' loader reads it (hint, binary search, ordinal
 * − Base). Names and entries read once are cached.
 */
export class ExportTable {
  private readonly names = new Map<number, string>();

  private constructor(
    private readonly reader: ImageReader,
    /** The directory's header fields. */
    readonly directory: PeExportDirectory,
  ) {}

  /**
   * The export table of an image, or null when data directory 0 is absent or empty.
   * @param reader - where the tables are read: {@link fileReader}, or a module's pages.
   * @param dataDirectories - the image's data directories ({@link PeImage.dataDirectories}).
   * @throws {@link InvalidArgumentError} when `reader` is not an {@link ImageReader} or
   *   `dataDirectories` not an array of data directories (objects whose virtualAddress and size are numbers).
   * @throws {@link ImageFormatError} (or the reader's error) when the directory is not inside the
   *   image, or the reader gives fewer bytes than asked.
   */
  static read(reader: ImageReader, dataDirectories: readonly PeDataDirectory[]): ExportTable | null {
    requireReader(reader);
    requireDataDirectories(dataDirectories);
    const dir = dataDirectories[IMAGE_DIRECTORY_ENTRY_EXPORT];
    if (dir === undefined || dir.virtualAddress === 0 || dir.size === 0) return null;
    const at = dir.virtualAddress;
    const what = 'IMAGE_EXPORT_DIRECTORY';
    read(reader, at, EXPORT_DIRECTORY_SIZE, what);
    const directory: PeExportDirectory = Object.freeze({
      name: readCString(reader, u32(reader, at + 12, what), 'IMAGE_EXPORT_DIRECTORY.Name'),
      timeDateStamp: u32(reader, at + 4, what),
      base: u32(reader, at + 16, what),
      numberOfFunctions: u32(reader, at + 20, what),
      numberOfNames: u32(reader, at + 24, what),
      addressOfFunctions: u32(reader, at + 28, what),
      addressOfNames: u32(reader, at + 32, what),
      addressOfNameOrdinals: u32(reader, at + 36, what),
      directory: Object.freeze({ virtualAddress: dir.virtualAddress, size: dir.size }),
    });
    return new ExportTable(reader, directory);
  }

  /**
   * Entry `index` of the name pointer table: a name.
   * @throws {@link InvalidArgumentError} when `index` is not an integer in [0, NumberOfNames).
   * @throws {@link ImageFormatError} (or the reader's error) when the entry or its string is not inside the image.
   */
  nameAt(index: number): string {
    requireInteger(index, 'a name table index', 0, this.directory.numberOfNames - 1);
    let name = this.names.get(index);
    if (name === undefined) {
      name = readCString(this.reader, u32(this.reader, this.directory.addressOfNames + 4 * index, 'AddressOfNames'), 'export name');
      this.names.set(index, name);
    }
    return name;
  }

  /**
   * Entry `index` of the ordinal table: an unbiased EAT index.
   * @throws {@link InvalidArgumentError} when `index` is not an integer in [0, NumberOfNames).
   * @throws {@link ImageFormatError} (or the reader's error) when the entry is not inside the image.
   */
  nameOrdinalAt(index: number): number {
    requireInteger(index, 'an ordinal table index', 0, this.directory.numberOfNames - 1);
    return u16(this.reader, this.directory.addressOfNameOrdinals + 2 * index, 'AddressOfNameOrdinals');
  }

  /**
   * EAT entry `index`: an RVA (0 for an empty slot).
   * @throws {@link InvalidArgumentError} when `index` is not an integer in [0, NumberOfFunctions).
   * @throws {@link ImageFormatError} (or the reader's error) when the entry is not inside the image.
   */
  functionAt(index: number): number {
    requireInteger(index, 'an EAT index', 0, this.directory.numberOfFunctions - 1);
    return u32(this.reader, this.directory.addressOfFunctions + 4 * index, 'AddressOfFunctions');
  }

  /**
   * The EAT index of the export `name` (ReactOS `LdrpSnapThunk`): the name table's entry `hint`
   * when it is `name`, else a binary search of the sorted table (`LdrpNameToOrdinal`); -1 when no
   * entry matches. Comparison is strcmp's, byte by byte. A hint that is not an index of the name
   * table (out of range, not an integer, not a number) is ignored, as the loader ignores a hint
   * past the table: the binary search answers.
   * @throws {@link InvalidArgumentError} when `name` is not a string.
   */
  indexOfName(name: string, hint = -1): number {
    if (typeof name !== 'string') throw new InvalidArgumentError(`an export name must be a string, got ${typeof name}`);
    const count = this.directory.numberOfNames;
    if (typeof hint === 'number' && Number.isInteger(hint) && hint >= 0 && hint < count && this.nameAt(hint) === name) return this.nameOrdinalAt(hint);
    let low = 0;
    let high = count - 1;
    while (high >= low) {
      const middle = (low + high) >>> 1;
      const other = this.nameAt(middle);
      if (name < other) high = middle - 1;
      else if (name > other) low = middle + 1;
      else return this.nameOrdinalAt(middle);
    }
    return -1;
  }

  /**
   * The EAT index of `ordinal`: (ordinal − Base) as a 16-bit value, as ReactOS's USHORT arithmetic gives it.
   * @throws {@link InvalidArgumentError} when `ordinal` is not an integer in [0, 65535].
   */
  indexOfOrdinal(ordinal: number): number {
    requireInteger(ordinal, 'an ordinal', 0, 0xffff);
    return (ordinal - this.directory.base) & 0xffff;
  }

  /**
   * What EAT entry `index` exports: its RVA, and the forwarder when the RVA lies inside the export
   * directory. Null for an index outside [0, NumberOfFunctions) (a failed name lookup's -1 included)
   * or an empty slot (RVA 0).
   * @throws {@link InvalidArgumentError} when `index` is not an integer.
   * @throws {@link ImageFormatError} (or the reader's error) when the entry or its forwarder string is not inside the image.
   */
  target(index: number): PeExportTarget | null {
    if (typeof index !== 'number' || !Number.isInteger(index)) throw new InvalidArgumentError(`an EAT index must be an integer, got ${shown(index)}`);
    if (index < 0 || index >= this.directory.numberOfFunctions) return null;
    const rva = this.functionAt(index);
    if (rva === 0) return null;
    const { virtualAddress, size } = this.directory.directory;
    if (rva >= virtualAddress && rva < virtualAddress + size) return { rva, forwarder: parseForwarder(readCString(this.reader, rva, 'forwarder')) };
    return { rva, forwarder: null };
  }
}

/**
 * Checks that `value` is an array of data directories: objects whose virtualAddress and size are
 * numbers (whether they are inside the image is the reader's to say).
 * @throws {@link InvalidArgumentError} otherwise.
 */
function requireDataDirectories(value: unknown): void {
  if (!Array.isArray(value)) throw new InvalidArgumentError(`dataDirectories must be an array of data directories, got ${value === null ? 'null' : typeof value}`);
  for (let i = 0; i < value.length; i++) {
    const dir: unknown = value[i];
    const fields = dir as { virtualAddress?: unknown; size?: unknown } | null;
    if (typeof dir !== 'object' || fields === null || typeof fields.virtualAddress !== 'number' || typeof fields.size !== 'number') {
      throw new InvalidArgumentError(`dataDirectories[${i}] must be a data directory ({ virtualAddress, size }: numbers)`);
    }
  }
}

/**
 * Splits a forwarder string (Wine `find_forwarded_export`): module before the last dot, ".dll"
 * appended when it has no dot; "#N" is an ordinal (N as written: it may exceed 65535).
 * @throws {@link InvalidArgumentError} when `text` is not a string.
 */
export function parseForwarder(text: string): PeForwarder {
  if (typeof text !== 'string') throw new InvalidArgumentError(`a forwarder must be a string, got ${typeof text}`);
  const dot = text.lastIndexOf('.');
  const module = dot < 0 ? text : text.slice(0, dot);
  const target = dot < 0 ? '' : text.slice(dot + 1);
  const withExtension = module.includes('.') ? module : `${module}.dll`;
  if (target.length > 1 && target[0] === '#' && /^\d+$/.test(target.slice(1))) {
    return Object.freeze({ text, module: withExtension, name: null, ordinal: Number(target.slice(1)) });
  }
  return Object.freeze({ text, module: withExtension, name: target, ordinal: null });
}

/** One export of {@link peExports}. */
export interface PeExport {
  /** Its ordinal: Base + EAT index. */
  readonly ordinal: number;
  /** Its name, or null for an ordinal-only (NONAME) export. */
  readonly name: string | null;
  /** The EAT RVA (of the forwarder string, for a forwarder). */
  readonly rva: number;
  /** The forwarder, or null. */
  readonly forwarder: PeForwarder | null;
}

/** {@link peExports}' result: the directory and every non-empty EAT entry in ordinal order. */
export interface PeExports {
  /** The export directory's fields. */
  readonly directory: PeExportDirectory;
  /** The name pointer table in file order (sorted, for the loader's binary search). */
  readonly names: readonly string[];
  /** Every EAT entry that is not 0, in ordinal order. */
  readonly exports: readonly PeExport[];
}

/**
 * The export table of a parsed image, read from its file layout: for tools and tests (the loader
 * reads a module's table in the process, through {@link ExportTable}).
 * @returns null when the image has no export directory.
 * @throws {@link ImageFormatError} STATUS_INVALID_IMAGE_FORMAT when a table is outside the image.
 * @throws {@link InvalidArgumentError} when `pe` is not a PeImage returned by {@link parsePe}.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * const e = peExports(parsePe(new Uint8Array(readFileSync('fixtures/pe/exporter32.dll'))))!;
 * e.directory.base;                                    // 5: the first ordinal
 * e.exports.find((x) => x.ordinal === 11)!.name;       // null: NONAME
 * e.exports.find((x) => x.name === 'fwd_ord')!.forwarder; // { module: 'target32.dll', ordinal: 2, ... }
 * ```
 */
export function peExports(pe: PeImage): PeExports | null {
  const table = ExportTable.read(fileReader(pe), pe.dataDirectories);
  if (table === null) return null;
  const { numberOfFunctions, numberOfNames, base } = table.directory;
  if (numberOfFunctions > MAX_ENTRIES || numberOfNames > MAX_ENTRIES) {
    throw new ImageFormatError(STATUS_INVALID_IMAGE_FORMAT, table.directory.directory.virtualAddress + 20, 'IMAGE_EXPORT_DIRECTORY', 'more than 65536 exports');
  }
  const names: string[] = [];
  const nameOf = new Map<number, string>();
  for (let i = 0; i < numberOfNames; i++) {
    names.push(table.nameAt(i));
    const index = table.nameOrdinalAt(i);
    if (!nameOf.has(index)) nameOf.set(index, names[i]);
  }
  const exports: PeExport[] = [];
  for (let index = 0; index < numberOfFunctions; index++) {
    const target = table.target(index);
    if (target === null) continue;
    exports.push(Object.freeze({ ordinal: base + index, name: nameOf.get(index) ?? null, rva: target.rva, forwarder: target.forwarder }));
  }
  return Object.freeze({ directory: table.directory, names: Object.freeze(names), exports: Object.freeze(exports) });
}

/** One lookup-table entry of an import descriptor. */
export interface PeImportThunk {
  /** RVA of its IAT slot (FirstThunk + index × pointer size). */
  readonly iatRva: number;
  /** True when the entry has the ordinal flag. */
  readonly byOrdinal: boolean;
  /** The ordinal (bits 15–0) of a by-ordinal import, else null. */
  readonly ordinal: number | null;
  /** The hint of a by-name import (an index into the exporter's name table), else null. */
  readonly hint: number | null;
  /** The name of a by-name import, else null. */
  readonly name: string | null;
}

/** One import descriptor (IMAGE_IMPORT_DESCRIPTOR, PE format) and its lookup table. */
export interface PeImportDescriptor {
  /** RVA of the descriptor. */
  readonly rva: number;
  /** The DLL's name as the descriptor gives it. */
  readonly dllName: string;
  /** OriginalFirstThunk (Characteristics): RVA of the import lookup table. */
  readonly originalFirstThunk: number;
  /** TimeDateStamp: 0 until bound, −1 (0xFFFFFFFF) for a new-style binding. */
  readonly timeDateStamp: number;
  /** ForwarderChain. */
  readonly forwarderChain: number;
  /** Name: RVA of the DLL name. */
  readonly nameRva: number;
  /** FirstThunk: RVA of the IAT. */
  readonly firstThunk: number;
  /** The RVA the entries were read from: OriginalFirstThunk, or FirstThunk when that is in the headers or past SizeOfImage. */
  readonly lookupTable: number;
  /** The entries, up to their terminating 0. */
  readonly thunks: readonly PeImportThunk[];
}

/**
 * The import descriptors of an image read through `reader` (ReactOS `LdrpSnapIAT`): up to the first
 * whose Name or FirstThunk is 0.
 * @throws {@link InvalidArgumentError} when `reader` is not an {@link ImageReader} or `pe` not a
 *   PeImage returned by {@link parsePe}.
 * @throws the reader's error, or {@link ImageFormatError} STATUS_INVALID_IMAGE_FORMAT for a table
 *   without its terminator or a read that gave fewer bytes than asked.
 */
export function readImports(reader: ImageReader, pe: PeImage): PeImportDescriptor[] {
  requireReader(reader);
  requirePeImage(pe);
  const dir = pe.dataDirectories[IMAGE_DIRECTORY_ENTRY_IMPORT];
  const out: PeImportDescriptor[] = [];
  if (dir === undefined || dir.virtualAddress === 0 || dir.size === 0) return out;
  const size = pe.is64 ? 8 : 4;
  for (let at = dir.virtualAddress; ; at += IMPORT_DESCRIPTOR_SIZE) {
    const what = 'IMAGE_IMPORT_DESCRIPTOR';
    read(reader, at, IMPORT_DESCRIPTOR_SIZE, what);
    const originalFirstThunk = u32(reader, at, what);
    const nameRva = u32(reader, at + 12, what);
    const firstThunk = u32(reader, at + 16, what);
    if (nameRva === 0 || firstThunk === 0) break;
    if (out.length >= MAX_ENTRIES) throw new ImageFormatError(STATUS_INVALID_IMAGE_FORMAT, at, what, 'the import directory has no terminating descriptor');
    const lookupTable = originalFirstThunk < pe.sizeOfHeaders || originalFirstThunk >= pe.sizeOfImage ? firstThunk : originalFirstThunk;
    const thunks: PeImportThunk[] = [];
    for (let i = 0; ; i++) {
      if (i >= MAX_ENTRIES) throw new ImageFormatError(STATUS_INVALID_IMAGE_FORMAT, lookupTable, 'import lookup table', 'the lookup table has no terminating entry');
      const [low, high] = pointer(reader, lookupTable + i * size, pe.is64, 'import lookup table');
      if (low === 0 && high === 0) break;
      const iatRva = firstThunk + i * size;
      const byOrdinal = pe.is64 ? (high & 0x8000_0000) !== 0 : (low & 0x8000_0000) !== 0;
      if (byOrdinal) {
        thunks.push(Object.freeze({ iatRva, byOrdinal, ordinal: low & 0xffff, hint: null, name: null }));
      } else {
        thunks.push(Object.freeze({ iatRva, byOrdinal, ordinal: null, hint: u16(reader, low, 'IMAGE_IMPORT_BY_NAME.Hint'), name: readCString(reader, low + 2, 'IMAGE_IMPORT_BY_NAME.Name') }));
      }
    }
    out.push(
      Object.freeze({
        rva: at,
        dllName: readCString(reader, nameRva, 'IMAGE_IMPORT_DESCRIPTOR.Name'),
        originalFirstThunk,
        timeDateStamp: u32(reader, at + 4, what),
        forwarderChain: u32(reader, at + 8, what),
        nameRva,
        firstThunk,
        lookupTable,
        thunks: Object.freeze(thunks),
      }),
    );
  }
  return out;
}

/**
 * The import descriptors of a parsed image, read from its file layout (for tools and tests).
 * @throws {@link ImageFormatError} STATUS_INVALID_IMAGE_FORMAT when a table is outside the image.
 * @throws {@link InvalidArgumentError} when `pe` is not a PeImage returned by {@link parsePe}.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * const imports = peImports(parsePe(new Uint8Array(readFileSync('fixtures/pe/importer32.dll'))));
 * imports.map((d) => d.dllName);          // ['exporter32.dll', 'target32.dll']
 * imports[0].thunks[4];                   // { byOrdinal: true, ordinal: 10, ... }
 * ```
 */
export function peImports(pe: PeImage): PeImportDescriptor[] {
  return readImports(fileReader(pe), pe);
}

/** The TLS directory (IMAGE_TLS_DIRECTORY, PE format): its address fields are VAs. */
export interface PeTlsDirectory {
  /** StartAddressOfRawData: VA of the template's first byte. */
  readonly startAddressOfRawData: number;
  /** EndAddressOfRawData: VA one past its last byte. */
  readonly endAddressOfRawData: number;
  /** AddressOfIndex: VA of the 32-bit slot the loader writes the module's TLS index to. */
  readonly addressOfIndex: number;
  /** AddressOfCallBacks: VA of the NULL-terminated array of callback VAs (0 for none). */
  readonly addressOfCallBacks: number;
  /** SizeOfZeroFill: bytes of zeros after the template. */
  readonly sizeOfZeroFill: number;
  /** Characteristics. */
  readonly characteristics: number;
  /** The callbacks' VAs, read from AddressOfCallBacks up to the NULL. */
  readonly callbacks: readonly number[];
}

/**
 * The TLS directory of an image read through `reader`, its VAs taken as they are (relocated in a
 * process, the file's preferred-base VAs in {@link fileReader}). `base` is the VA the reader's RVA 0
 * stands for, to find the callback array.
 * @returns null when data directory 9 is absent or empty.
 * @throws {@link InvalidArgumentError} when `reader` is not an {@link ImageReader}, `pe` not a
 *   PeImage returned by {@link parsePe}, or `base` not an address (an integer in [0, 2^53 − 1]).
 * @throws the reader's error, or {@link ImageFormatError} STATUS_INVALID_IMAGE_FORMAT when the
 *   directory or its callback array is not inside the image (a `base` that is not the image's
 *   puts the array outside), or a read gave fewer bytes than asked.
 */
export function readTlsDirectory(reader: ImageReader, pe: PeImage, base: number): PeTlsDirectory | null {
  requireReader(reader);
  requirePeImage(pe);
  requireInteger(base, 'base');
  const dir = pe.dataDirectories[IMAGE_DIRECTORY_ENTRY_TLS];
  if (dir === undefined || dir.virtualAddress === 0 || dir.size === 0) return null;
  const size = pe.is64 ? 8 : 4;
  const at = dir.virtualAddress;
  const what = 'IMAGE_TLS_DIRECTORY';
  const addressOfCallBacks = pointerValue(reader, at + 3 * size, pe.is64, what);
  const callbacks: number[] = [];
  if (addressOfCallBacks !== 0) {
    for (let i = 0; ; i++) {
      if (i >= MAX_ENTRIES) throw new ImageFormatError(STATUS_INVALID_IMAGE_FORMAT, at + 3 * size, 'AddressOfCallBacks', 'the TLS callback array has no terminating NULL');
      const callback = pointerValue(reader, addressOfCallBacks - base + i * size, pe.is64, 'TLS callback array');
      if (callback === 0) break;
      callbacks.push(callback);
    }
  }
  return Object.freeze({
    startAddressOfRawData: pointerValue(reader, at, pe.is64, what),
    endAddressOfRawData: pointerValue(reader, at + size, pe.is64, what),
    addressOfIndex: pointerValue(reader, at + 2 * size, pe.is64, what),
    addressOfCallBacks,
    sizeOfZeroFill: u32(reader, at + 4 * size, what),
    characteristics: u32(reader, at + 4 * size + 4, what),
    callbacks: Object.freeze(callbacks),
  });
}

/**
 * The TLS directory of a parsed image as the file holds it (VAs at the preferred base).
 * @returns null when the image has none.
 * @throws {@link ImageFormatError} STATUS_INVALID_IMAGE_FORMAT when it or its callback array is outside the image.
 * @throws {@link InvalidArgumentError} when `pe` is not a PeImage returned by {@link parsePe}.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * const tls = peTlsDirectory(parsePe(new Uint8Array(readFileSync('fixtures/pe/importer32.dll'))))!;
 * tls.callbacks.length;   // 2
 * tls.addressOfIndex;     // 0x10502000: a VA in .data
 * ```
 */
export function peTlsDirectory(pe: PeImage): PeTlsDirectory | null {
  return readTlsDirectory(fileReader(pe), pe, pe.imageBase);
}
