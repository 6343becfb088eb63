/**
 * A strict, bounds-checked parser of PE32 and PE32+ images: the headers, the
 * section table and the base relocations a loader needs (Microsoft's PE format; the
 * checks in Windows' [validation order](../../../docs/images.md#headers-and-validation), B89).
 *
 * The parser never reads outside the input, never loops longer than the data
 * allows, and reports every defect as an {@link ImageFormatError} naming the
 * NTSTATUS, the file offset and the field.
 *
 * Where Windows is lenient and mmukit is strict (documented per rule below):
 * - `NumberOfRvaAndSizes` above 16 is rejected (Windows reads at most 16 entries).
 * - `SizeOfHeaders` must cover the NT headers (signature, file and optional
 *   header) and lie inside the file and inside SizeOfImage.
 * - A section table that the file or ALIGN(SizeOfImage, page) does not hold
 *   whole is STATUS_INVALID_FILE_FOR_SECTION, as in Wine's `get_image_params`
 *   (no Windows test pins it; ReactOS says STATUS_INVALID_IMAGE_FORMAT).
 * - Sectioned images: sections are in ascending VirtualAddress order, aligned to
 *   SectionAlignment, start at or after the header pages, do not overlap, and
 *   end inside SizeOfImage. The file bytes the loader copies
 *   (min(SizeOfRawData, VirtualSize) from PointerToRawData, section extent)
 *   must lie inside the file; SizeOfRawData beyond that (file padding the loader
 *   does not read) is tolerated. PointerToRawData is used as is (no rounding down
 *   to 512).
 * - Flat images (SectionAlignment below the page size, B86) are mapped as the
 *   file itself, so every section with file data must have
 *   PointerToRawData == VirtualAddress.
 * - The base relocation directory must lie inside one section's file data (or
 *   the headers); a non-empty directory with VirtualAddress 0 is rejected at parse
 *   time with STATUS_CONFLICTING_ADDRESSES (Windows reports it only when it must
 *   relocate, B95 step 2).
 * - Relocation blocks: SizeOfBlock 0 ends the table, and the bytes after it are
 *   not read (Wine's `perform_relocations` and ReactOS's
 *   `LdrRelocateImageWithBias` both stop there and report success); otherwise
 *   SizeOfBlock must be even, at least 8 and inside the directory; the block's
 *   VirtualAddress must be page aligned. The 32-bit block alignment of [base relocations](../../../docs/images.md#base-relocations) is not enforced.
 * - A fixup whose field ends past SizeOfImage is rejected with
 *   STATUS_ACCESS_VIOLATION, the status of a block past SizeOfImage (B95 step 4).
 *   Wine and ReactOS apply every entry of a block inside the image unchecked, so
 *   they would write one inside the last page's tail and fault only past
 *   ALIGN(SizeOfImage, page); mmukit is stricter.
 * - Fixup types: ABSOLUTE, HIGH, LOW, HIGHLOW, HIGHADJ and DIR64 are accepted for
 *   every machine (their arithmetic is machine-independent, ROS); the
 *   machine-specific types 5, 7, 8, 9 and the reserved 6 and 11–15 are rejected
 *   (an unknown type fails the load).
 * - Two fixups that write the same byte are rejected: linkers never emit them,
 *   and without them each page can be relocated on its own from the original
 *   bytes with the same result as relocating the whole image in sequence.
 * - PE32+ ImageBase values above 2^53 are rejected: mmukit addresses are JS numbers.
 *
 * @module
 */

import {
  STATUS_ACCESS_VIOLATION,
  STATUS_CONFLICTING_ADDRESSES,
  STATUS_INVALID_FILE_FOR_SECTION,
  STATUS_INVALID_IMAGE_FORMAT,
  STATUS_INVALID_IMAGE_NE_FORMAT,
  STATUS_INVALID_IMAGE_NOT_MZ,
  STATUS_INVALID_IMAGE_PROTECT,
  STATUS_INVALID_IMAGE_WIN_16,
} from '../rules/constants.js';
import { InvalidArgumentError } from '../../mmu/errors.js';
import { ImageFormatError } from './image-format-error.js';

/** Page size the image layout uses. */
export const IMAGE_PAGE_SIZE = 0x1000;

/** IMAGE_DOS_SIGNATURE, "MZ" (PE format). */
export const IMAGE_DOS_SIGNATURE = 0x5a4d;
/** IMAGE_NT_SIGNATURE, "PE\0\0" (PE format). */
export const IMAGE_NT_SIGNATURE = 0x00004550;
/** IMAGE_OS2_SIGNATURE, "NE" (B89). */
export const IMAGE_OS2_SIGNATURE = 0x454e;
/** Optional header Magic of a PE32 image (PE format). */
export const IMAGE_NT_OPTIONAL_HDR32_MAGIC = 0x10b;
/** Optional header Magic of a PE32+ image (PE format). */
export const IMAGE_NT_OPTIONAL_HDR64_MAGIC = 0x20b;

/** Machine: Intel 386 (PE format). */
export const IMAGE_FILE_MACHINE_I386 = 0x014c;
/** Machine: x64 (PE format). */
export const IMAGE_FILE_MACHINE_AMD64 = 0x8664;
/** Machine: ARM Thumb-2 (PE format). */
export const IMAGE_FILE_MACHINE_ARMNT = 0x01c4;
/** Machine: ARM64 (PE format). */
export const IMAGE_FILE_MACHINE_ARM64 = 0xaa64;

/** File characteristic: relocation information stripped, load only at ImageBase (PE format, B94). */
export const IMAGE_FILE_RELOCS_STRIPPED = 0x0001;
/** File characteristic: the image is executable (PE format). */
export const IMAGE_FILE_EXECUTABLE_IMAGE = 0x0002;
/** File characteristic: the image is a DLL (PE format). */
export const IMAGE_FILE_DLL = 0x2000;
/** DllCharacteristics: the image can be relocated at load time, ASLR (PE format, B92, B97). */
export const IMAGE_DLLCHARACTERISTICS_DYNAMIC_BASE = 0x0040;

/** Number of data directory slots Windows reads at most (PE format). */
export const IMAGE_NUMBEROF_DIRECTORY_ENTRIES = 16;
/** Data directory index of the base relocation table (PE format). */
export const IMAGE_DIRECTORY_ENTRY_BASERELOC = 5;

/** Section characteristic: contains code (PE format). Ignored for protection (B84). */
export const IMAGE_SCN_CNT_CODE = 0x00000020;
/** Section characteristic: contains initialized data (PE format). Ignored for protection (B84). */
export const IMAGE_SCN_CNT_INITIALIZED_DATA = 0x00000040;
/** Section characteristic: contains uninitialized data (PE format). Ignored for protection (B84). */
export const IMAGE_SCN_CNT_UNINITIALIZED_DATA = 0x00000080;
/** Section characteristic: one copy shared by every process, mapped read/write (PE format, [section protections](../../../docs/images.md#section-protections)). */
export const IMAGE_SCN_MEM_SHARED = 0x10000000;
/** Section characteristic: executable (PE format). */
export const IMAGE_SCN_MEM_EXECUTE = 0x20000000;
/** Section characteristic: readable (PE format). */
export const IMAGE_SCN_MEM_READ = 0x40000000;
/** Section characteristic: writable, mapped copy-on-write (PE format, [section protections](../../../docs/images.md#section-protections)). */
export const IMAGE_SCN_MEM_WRITE = 0x80000000;

/** Base relocation type: padding, skipped ([base relocations](../../../docs/images.md#base-relocations)). */
export const IMAGE_REL_BASED_ABSOLUTE = 0;
/** Base relocation type: 16-bit field += HIWORD(delta) ([base relocations](../../../docs/images.md#base-relocations)). */
export const IMAGE_REL_BASED_HIGH = 1;
/** Base relocation type: 16-bit field += LOWORD(delta) ([base relocations](../../../docs/images.md#base-relocations)). */
export const IMAGE_REL_BASED_LOW = 2;
/** Base relocation type: 32-bit field += (u32)delta, x86 images ([base relocations](../../../docs/images.md#base-relocations)). */
export const IMAGE_REL_BASED_HIGHLOW = 3;
/** Base relocation type: high 16 bits adjusted with the low half in the next slot ([base relocations](../../../docs/images.md#base-relocations)). */
export const IMAGE_REL_BASED_HIGHADJ = 4;
/** Base relocation type: 64-bit field += delta, x64 and ARM64 images ([base relocations](../../../docs/images.md#base-relocations)). */
export const IMAGE_REL_BASED_DIR64 = 10;

/** One data directory entry (PE format): an RVA and a size (the certificate entry holds a file offset instead). */
export interface PeDataDirectory {
  /** RVA of the table (a file offset for directory 4, the certificate table). */
  readonly virtualAddress: number;
  /** Size of the table in bytes. */
  readonly size: number;
}

/** One section header (IMAGE_SECTION_HEADER, PE format). */
export interface PeSection {
  /** Name, up to 8 bytes, without trailing NULs (bytes decoded as Latin-1). */
  readonly name: string;
  /** VirtualSize (Misc): bytes the section occupies in memory; 0 means SizeOfRawData ([section protections](../../../docs/images.md#section-protections)). */
  readonly virtualSize: number;
  /** VirtualAddress: the section's RVA. */
  readonly virtualAddress: number;
  /** SizeOfRawData: bytes of file data (a multiple of FileAlignment in well-formed images). */
  readonly sizeOfRawData: number;
  /** PointerToRawData: file offset of the section's data. */
  readonly pointerToRawData: number;
  /** Characteristics: IMAGE_SCN_* flags (PE format). */
  readonly characteristics: number;
  /** File offset of this section header (for diagnostics). */
  readonly headerOffset: number;
}

/** One base relocation entry ([base relocations](../../../docs/images.md#base-relocations)), flattened from its block. */
export interface PeRelocation {
  /** RVA of the field the fixup writes (block VirtualAddress + entry offset). */
  readonly rva: number;
  /** IMAGE_REL_BASED_* type (top 4 bits of the entry). ABSOLUTE padding entries are kept. */
  readonly type: number;
  /** HIGHADJ only: the low half of the 32-bit value, from the next slot, sign-extended from 16 bits. */
  readonly pairValue?: number;
  /** File offset of the entry WORD (for diagnostics). */
  readonly offset: number;
}

/** A parsed PE image: plain, read-only data. */
export interface PeImage {
  /** True for PE32+ (Magic 0x20B), false for PE32 (0x10B). */
  readonly is64: boolean;
  /** Optional header Magic: 0x10B or 0x20B. */
  readonly magic: number;
  /** IMAGE_FILE_HEADER.Machine, one of I386, AMD64, ARMNT, ARM64. */
  readonly machine: number;
  /** IMAGE_FILE_HEADER.NumberOfSections. */
  readonly numberOfSections: number;
  /** IMAGE_FILE_HEADER.SizeOfOptionalHeader. */
  readonly sizeOfOptionalHeader: number;
  /** IMAGE_FILE_HEADER.Characteristics (IMAGE_FILE_* flags). */
  readonly characteristics: number;
  /** Characteristics has IMAGE_FILE_DLL. */
  readonly isDll: boolean;
  /** Characteristics has IMAGE_FILE_RELOCS_STRIPPED: the image loads only at ImageBase (B93, B94). */
  readonly relocsStripped: boolean;
  /** OptionalHeader.DllCharacteristics. */
  readonly dllCharacteristics: number;
  /** DllCharacteristics has DYNAMIC_BASE (B92, B97). */
  readonly dynamicBase: boolean;
  /** Preferred base address: 64 KiB aligned, at most 2^53 (a JS number). */
  readonly imageBase: number;
  /** OptionalHeader.SectionAlignment (a power of two). */
  readonly sectionAlignment: number;
  /** OptionalHeader.FileAlignment (a power of two, at most SectionAlignment). */
  readonly fileAlignment: number;
  /** OptionalHeader.SizeOfImage as stored (not 0). */
  readonly sizeOfImage: number;
  /** ALIGN(SizeOfImage, 4096): the size of the image section and of every view of it (B90). */
  readonly mappedSize: number;
  /** OptionalHeader.SizeOfHeaders: bytes of the file mapped at the image base (B87). */
  readonly sizeOfHeaders: number;
  /** OptionalHeader.AddressOfEntryPoint (an RVA; 0 for a DLL without entry point). */
  readonly addressOfEntryPoint: number;
  /** OptionalHeader.SizeOfCode. */
  readonly sizeOfCode: number;
  /**
   * SectionImageInformation.ImageContainsCode: SizeOfCode or AddressOfEntryPoint is not 0, the
   * image is flat, or a section has IMAGE_SCN_MEM_EXECUTE (loader tests: query_image_section;
   * Wine's `get_image_params`). A PE32 image without code loads into a 64-bit process; one with
   * code does not (B89).
   */
  readonly containsCode: boolean;
  /** OptionalHeader.Subsystem (2 GUI, 3 console, ...). */
  readonly subsystem: number;
  /** OptionalHeader.NumberOfRvaAndSizes (at most 16). */
  readonly numberOfRvaAndSizes: number;
  /** File offset of OptionalHeader.ImageBase (the kernel rewrites it when it relocates, B92). */
  readonly imageBaseOffset: number;
  /** SectionAlignment below the page size: the image is mapped flat, as the file itself (B86, B98). */
  readonly flat: boolean;
  /** The first NumberOfRvaAndSizes data directories (PE format). */
  readonly dataDirectories: readonly PeDataDirectory[];
  /** The section table in file order. */
  readonly sections: readonly PeSection[];
  /** Every base relocation entry in file order, ABSOLUTE padding included; a HIGHADJ's second slot is folded into its `pairValue`. */
  readonly relocations: readonly PeRelocation[];
  /** The input bytes (not copied: do not modify them while the image is in use). */
  readonly bytes: Uint8Array;
}

/** Fixed part of the PE32 optional header, before the data directories (PE format). */
const OPT32_FIXED = 96;
/** Fixed part of the PE32+ optional header (PE format). */
const OPT64_FIXED = 112;
const SECTION_HEADER_SIZE = 40;
const MAX_SAFE = 2 ** 53;

function fail(status: number, offset: number, field: string, message: string): never {
  throw new ImageFormatError(status, offset, field, message);
}

function isPowerOfTwo(x: number): boolean {
  return x > 0 && (x & (x - 1)) === 0;
}

/** Size in bytes of the field a base relocation of `type` writes (0 for ABSOLUTE or an unknown type). */
export function relocationFieldSize(type: number): number {
  switch (type) {
    case IMAGE_REL_BASED_HIGH:
    case IMAGE_REL_BASED_LOW:
    case IMAGE_REL_BASED_HIGHADJ:
      return 2;
    case IMAGE_REL_BASED_HIGHLOW:
      return 4;
    case IMAGE_REL_BASED_DIR64:
      return 8;
    default:
      return 0;
  }
}

/** The bytes a section occupies in memory before page rounding: VirtualSize, or SizeOfRawData when VirtualSize is 0 ([section protections](../../../docs/images.md#section-protections)). */
export function sectionExtent(section: PeSection): number {
  return section.virtualSize !== 0 ? section.virtualSize : section.sizeOfRawData;
}

/** The number of file bytes the loader copies for a section: min(SizeOfRawData, extent) ([section protections](../../../docs/images.md#section-protections)). */
export function sectionFileBytes(section: PeSection): number {
  return Math.min(section.sizeOfRawData, sectionExtent(section));
}

/**
 * Parses and validates a PE32 or PE32+ image (the PE format, B89).
 *
 * Validation order ([validation order](../../../docs/images.md#headers-and-validation)): a non-empty file (B62) → "MZ" →
 * e_lfanew inside the file → "PE\0\0" (or "NE") → optional header Magic → Machine known
 * and consistent with Magic → SizeOfImage ≠ 0 → alignments → the section table inside
 * the file → headers, sections ([section protections](../../../docs/images.md#section-protections)) → base relocations ([base relocations](../../../docs/images.md#base-relocations)).
 *
 * @param bytes - the whole image file. Not copied; the result refers to it.
 * @returns the parsed image.
 * @throws {@link ImageFormatError} for every malformed or unsupported input, and nothing else.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * const pe = parsePe(new Uint8Array(readFileSync('fixtures/pe/absolute32.dll')));
 * pe.is64;                          // false: PE32
 * pe.isDll;                         // true
 * pe.imageBase;                     // 0x1000_0000
 * pe.mappedSize;                    // 0xe000: 14 pages
 * pe.sections.map((s) => s.name);   // ['.text', '.data', '.rdata', '.bss', '.edata', '.idata', '.reloc']
 * ```
 */
export function parsePe(bytes: Uint8Array): PeImage {
  if (!(bytes instanceof Uint8Array)) fail(STATUS_INVALID_IMAGE_FORMAT, 0, 'bytes', 'the image must be a Uint8Array');
  const len = bytes.length;
  // B62: an image section over an empty file is STATUS_INVALID_FILE_FOR_SECTION, before any header is read.
  if (len === 0) fail(STATUS_INVALID_FILE_FOR_SECTION, 0, 'bytes', 'the file is empty (B62)');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  // PE format DOS header. Wine reads the 64-byte IMAGE_DOS_HEADER and reports NOT_MZ when it cannot.
  if (len < 64 || dv.getUint16(0, true) !== IMAGE_DOS_SIGNATURE) {
    fail(STATUS_INVALID_IMAGE_NOT_MZ, 0, 'e_magic', len < 64 ? 'the file is shorter than an IMAGE_DOS_HEADER' : 'no "MZ" signature');
  }
  const lfanew = dv.getInt32(0x3c, true);
  if (lfanew < 0 || lfanew + 4 > len) fail(STATUS_INVALID_IMAGE_PROTECT, 0x3c, 'e_lfanew', `e_lfanew 0x${(lfanew >>> 0).toString(16)} is outside the file`);

  // PE format signature. B89: "NE" → NE_FORMAT (ne_exetyp 2 → WIN_16, 5 → PROTECT); anything else → PROTECT.
  const signature = dv.getUint32(lfanew, true);
  if (signature !== IMAGE_NT_SIGNATURE) {
    if ((signature & 0xffff) === IMAGE_OS2_SIGNATURE) {
      const exetypOffset = lfanew + 0x36;
      const exetyp = exetypOffset < len ? bytes[exetypOffset] : -1;
      if (exetyp === 2) fail(STATUS_INVALID_IMAGE_WIN_16, exetypOffset, 'ne_exetyp', 'a 16-bit Windows (NE) image');
      if (exetyp === 5) fail(STATUS_INVALID_IMAGE_PROTECT, exetypOffset, 'ne_exetyp', 'an NE image for a DOS extender');
      fail(STATUS_INVALID_IMAGE_NE_FORMAT, lfanew, 'Signature', 'an NE (16-bit) image');
    }
    fail(STATUS_INVALID_IMAGE_PROTECT, lfanew, 'Signature', `signature 0x${signature.toString(16)} is not "PE\\0\\0"`);
  }
  const fileHeader = lfanew + 4;
  if (fileHeader + 20 > len) fail(STATUS_INVALID_IMAGE_PROTECT, fileHeader, 'IMAGE_FILE_HEADER', 'the file ends inside the file header');
  const machine = dv.getUint16(fileHeader, true);
  const numberOfSections = dv.getUint16(fileHeader + 2, true);
  const sizeOfOptionalHeader = dv.getUint16(fileHeader + 16, true);
  const characteristics = dv.getUint16(fileHeader + 18, true);

  // PE format optional header.
  const opt = fileHeader + 20;
  if (sizeOfOptionalHeader < 2 || opt + 2 > len) fail(STATUS_INVALID_IMAGE_FORMAT, opt, 'Magic', 'no optional header');
  const magic = dv.getUint16(opt, true);
  if (magic !== IMAGE_NT_OPTIONAL_HDR32_MAGIC && magic !== IMAGE_NT_OPTIONAL_HDR64_MAGIC) {
    fail(STATUS_INVALID_IMAGE_FORMAT, opt, 'Magic', `unknown optional header magic 0x${magic.toString(16)}`);
  }
  const is64 = magic === IMAGE_NT_OPTIONAL_HDR64_MAGIC;
  const machineIs64 = machine === IMAGE_FILE_MACHINE_AMD64 || machine === IMAGE_FILE_MACHINE_ARM64;
  const machineIs32 = machine === IMAGE_FILE_MACHINE_I386 || machine === IMAGE_FILE_MACHINE_ARMNT;
  if (!(is64 ? machineIs64 : machineIs32)) {
    fail(
      STATUS_INVALID_IMAGE_FORMAT,
      fileHeader,
      'Machine',
      machineIs32 || machineIs64 ? `machine 0x${machine.toString(16)} contradicts magic 0x${magic.toString(16)}` : `unknown machine 0x${machine.toString(16)}`,
    );
  }
  const fixed = is64 ? OPT64_FIXED : OPT32_FIXED;
  if (sizeOfOptionalHeader < fixed) fail(STATUS_INVALID_IMAGE_FORMAT, fileHeader + 16, 'SizeOfOptionalHeader', `${sizeOfOptionalHeader} is smaller than the ${fixed}-byte fixed part`);
  if (opt + sizeOfOptionalHeader > len) fail(STATUS_INVALID_IMAGE_FORMAT, fileHeader + 16, 'SizeOfOptionalHeader', 'the optional header runs past the end of the file');

  const sizeOfCode = dv.getUint32(opt + 4, true);
  const addressOfEntryPoint = dv.getUint32(opt + 16, true);
  const imageBaseOffset = opt + (is64 ? 24 : 28);
  let imageBase: number;
  if (is64) {
    const big = dv.getBigUint64(imageBaseOffset, true);
    if (big > BigInt(MAX_SAFE)) fail(STATUS_INVALID_IMAGE_FORMAT, imageBaseOffset, 'ImageBase', `ImageBase 0x${big.toString(16)} is above 2^53 (mmukit addresses are JS numbers)`);
    imageBase = Number(big);
  } else {
    imageBase = dv.getUint32(imageBaseOffset, true);
  }
  const sectionAlignment = dv.getUint32(opt + 32, true);
  const fileAlignment = dv.getUint32(opt + 36, true);
  const sizeOfImage = dv.getUint32(opt + 56, true);
  const sizeOfHeaders = dv.getUint32(opt + 60, true);
  const subsystem = dv.getUint16(opt + 68, true);
  const dllCharacteristics = dv.getUint16(opt + 70, true);
  const nrsOffset = opt + (is64 ? 108 : 92);
  const numberOfRvaAndSizes = dv.getUint32(nrsOffset, true);

  // B89: SizeOfImage 0 is rejected.
  if (sizeOfImage === 0) fail(STATUS_INVALID_IMAGE_FORMAT, opt + 56, 'SizeOfImage', 'SizeOfImage is 0');
  if (imageBase % 0x10000 !== 0) fail(STATUS_INVALID_IMAGE_FORMAT, imageBaseOffset, 'ImageBase', `ImageBase 0x${imageBase.toString(16)} is not 64 KiB aligned`);
  if (!isPowerOfTwo(sectionAlignment)) fail(STATUS_INVALID_IMAGE_FORMAT, opt + 32, 'SectionAlignment', `SectionAlignment 0x${sectionAlignment.toString(16)} is not a power of two`);
  if (!isPowerOfTwo(fileAlignment)) fail(STATUS_INVALID_IMAGE_FORMAT, opt + 36, 'FileAlignment', `FileAlignment 0x${fileAlignment.toString(16)} is not a power of two`);
  // Layout rules: SectionAlignment < page requires FileAlignment == SectionAlignment (flat).
  const flat = sectionAlignment < IMAGE_PAGE_SIZE;
  if (flat ? fileAlignment !== sectionAlignment : fileAlignment > sectionAlignment) {
    fail(
      STATUS_INVALID_IMAGE_FORMAT,
      opt + 36,
      'FileAlignment',
      flat ? 'a SectionAlignment below the page size needs FileAlignment == SectionAlignment' : 'FileAlignment is larger than SectionAlignment',
    );
  }
  if (numberOfRvaAndSizes > IMAGE_NUMBEROF_DIRECTORY_ENTRIES) fail(STATUS_INVALID_IMAGE_FORMAT, nrsOffset, 'NumberOfRvaAndSizes', `${numberOfRvaAndSizes} data directories (at most 16)`);
  if (fixed + numberOfRvaAndSizes * 8 > sizeOfOptionalHeader) {
    fail(STATUS_INVALID_IMAGE_FORMAT, nrsOffset, 'NumberOfRvaAndSizes', `${numberOfRvaAndSizes} data directories do not fit in SizeOfOptionalHeader ${sizeOfOptionalHeader}`);
  }
  const mappedSize = Math.ceil(sizeOfImage / IMAGE_PAGE_SIZE) * IMAGE_PAGE_SIZE;
  const ntHeadersEnd = opt + sizeOfOptionalHeader;
  // PE format section table at e_lfanew + 24 + SizeOfOptionalHeader. A table the file (or the
  // mapped image) does not hold is STATUS_INVALID_FILE_FOR_SECTION, checked before SizeOfHeaders
  // (Wine's get_image_params, whose other header statuses are the ones B89 pins on Windows).
  const tableOffset = ntHeadersEnd;
  const tableEnd = tableOffset + numberOfSections * SECTION_HEADER_SIZE;
  if (tableEnd > len || tableEnd > mappedSize) {
    fail(
      STATUS_INVALID_FILE_FOR_SECTION,
      fileHeader + 2,
      'NumberOfSections',
      `${numberOfSections} section headers run past the end of the ${tableEnd > len ? 'file' : 'image'}`,
    );
  }
  if (sizeOfHeaders < ntHeadersEnd) fail(STATUS_INVALID_IMAGE_FORMAT, opt + 60, 'SizeOfHeaders', `SizeOfHeaders 0x${sizeOfHeaders.toString(16)} does not cover the NT headers`);
  if (sizeOfHeaders > len || sizeOfHeaders > sizeOfImage) {
    fail(STATUS_INVALID_IMAGE_FORMAT, opt + 60, 'SizeOfHeaders', `SizeOfHeaders 0x${sizeOfHeaders.toString(16)} is past the end of the ${sizeOfHeaders > len ? 'file' : 'image'}`);
  }

  // PE format data directories: only the first NumberOfRvaAndSizes.
  const dataDirectories: PeDataDirectory[] = [];
  for (let i = 0; i < numberOfRvaAndSizes; i++) {
    const at = opt + fixed + i * 8;
    dataDirectories.push(Object.freeze({ virtualAddress: dv.getUint32(at, true), size: dv.getUint32(at + 4, true) }));
  }

  const sections: PeSection[] = [];
  const firstSectionRva = flat ? 0 : Math.ceil(sizeOfHeaders / IMAGE_PAGE_SIZE) * IMAGE_PAGE_SIZE;
  let previousEnd = firstSectionRva;
  for (let i = 0; i < numberOfSections; i++) {
    const at = tableOffset + i * SECTION_HEADER_SIZE;
    let name = '';
    for (let j = 0; j < 8 && bytes[at + j] !== 0; j++) name += String.fromCharCode(bytes[at + j]);
    const section: PeSection = Object.freeze({
      name,
      virtualSize: dv.getUint32(at + 8, true),
      virtualAddress: dv.getUint32(at + 12, true),
      sizeOfRawData: dv.getUint32(at + 16, true),
      pointerToRawData: dv.getUint32(at + 20, true),
      characteristics: dv.getUint32(at + 36, true),
      headerOffset: at,
    });
    validateSection(section, i, flat, sectionAlignment, sizeOfImage, previousEnd, len);
    const extent = sectionExtent(section);
    if (extent > 0) previousEnd = section.virtualAddress + extent;
    sections.push(section);
  }

  const relocations = parseRelocations(dv, dataDirectories, sections, sizeOfHeaders, sizeOfImage, opt + fixed);
  const containsCode = sizeOfCode !== 0 || addressOfEntryPoint !== 0 || flat || sections.some((s) => (s.characteristics & IMAGE_SCN_MEM_EXECUTE) !== 0);

  const image: PeImage = Object.freeze({
    is64,
    magic,
    machine,
    numberOfSections,
    sizeOfOptionalHeader,
    characteristics,
    isDll: (characteristics & IMAGE_FILE_DLL) !== 0,
    relocsStripped: (characteristics & IMAGE_FILE_RELOCS_STRIPPED) !== 0,
    dllCharacteristics,
    dynamicBase: (dllCharacteristics & IMAGE_DLLCHARACTERISTICS_DYNAMIC_BASE) !== 0,
    imageBase,
    sectionAlignment,
    fileAlignment,
    sizeOfImage,
    mappedSize,
    sizeOfHeaders,
    addressOfEntryPoint,
    sizeOfCode,
    containsCode,
    subsystem,
    numberOfRvaAndSizes,
    imageBaseOffset,
    flat,
    dataDirectories: Object.freeze(dataDirectories),
    sections: Object.freeze(sections),
    relocations: Object.freeze(relocations),
    bytes,
  });
  parsedImages.add(image);
  return image;
}

/** Every image parsePe returned: the layout and relocation functions take only these. */
const parsedImages = new WeakSet<PeImage>();

/** @internal Whether `value` is a {@link PeImage} returned by {@link parsePe} (immutable: a kernel snapshot keeps it by reference). */
export function isPeImage(value: unknown): value is PeImage {
  return typeof value === 'object' && value !== null && parsedImages.has(value as PeImage);
}

/**
 * Checks that `image` is a {@link PeImage} returned by {@link parsePe}.
 * @throws {@link InvalidArgumentError} otherwise.
 * @internal
 */
export function requirePeImage(image: unknown): PeImage {
  if (typeof image !== 'object' || image === null || !parsedImages.has(image as PeImage)) {
    throw new InvalidArgumentError('image must be a PeImage returned by parsePe');
  }
  return image as PeImage;
}

function validateSection(s: PeSection, index: number, flat: boolean, sectionAlignment: number, sizeOfImage: number, previousEnd: number, fileLength: number): void {
  const at = s.headerOffset;
  const extent = sectionExtent(s);
  const label = `section ${index} (${JSON.stringify(s.name)})`;
  if (s.virtualAddress % sectionAlignment !== 0) {
    fail(STATUS_INVALID_IMAGE_FORMAT, at + 12, 'IMAGE_SECTION_HEADER.VirtualAddress', `${label} is not aligned to SectionAlignment`);
  }
  if (extent === 0) return; // an empty section maps nothing
  if (s.virtualAddress < previousEnd) {
    fail(STATUS_INVALID_IMAGE_FORMAT, at + 12, 'IMAGE_SECTION_HEADER.VirtualAddress', `${label} overlaps the headers or the previous section`);
  }
  if (s.virtualAddress + extent > sizeOfImage) {
    fail(STATUS_INVALID_IMAGE_FORMAT, at + 8, 'IMAGE_SECTION_HEADER.VirtualSize', `${label} ends past SizeOfImage`);
  }
  const fileBytes = Math.min(s.sizeOfRawData, extent);
  if (fileBytes > 0) {
    if (s.pointerToRawData + fileBytes > fileLength) {
      fail(STATUS_INVALID_IMAGE_FORMAT, at + 16, 'IMAGE_SECTION_HEADER.SizeOfRawData', `${label}'s file data runs past the end of the file`);
    }
    if (flat && s.pointerToRawData !== s.virtualAddress) {
      fail(STATUS_INVALID_IMAGE_FORMAT, at + 20, 'IMAGE_SECTION_HEADER.PointerToRawData', `${label} of a flat image must have PointerToRawData == VirtualAddress`);
    }
  }
}

/** Maps `size` bytes at `rva` to a file offset inside the headers or one section's file data, or -1. */
function rvaToFileOffset(rva: number, size: number, sections: readonly PeSection[], sizeOfHeaders: number): number {
  if (rva + size <= sizeOfHeaders) return rva;
  for (const s of sections) {
    const fileBytes = sectionFileBytes(s);
    if (rva >= s.virtualAddress && rva + size <= s.virtualAddress + fileBytes) return s.pointerToRawData + (rva - s.virtualAddress);
  }
  return -1;
}

function parseRelocations(
  dv: DataView,
  directories: readonly PeDataDirectory[],
  sections: readonly PeSection[],
  sizeOfHeaders: number,
  sizeOfImage: number,
  directoryTable: number,
): PeRelocation[] {
  const relocations: PeRelocation[] = [];
  const directory = directories[IMAGE_DIRECTORY_ENTRY_BASERELOC];
  if (directory === undefined || directory.size === 0) return relocations;
  const dirField = directoryTable + IMAGE_DIRECTORY_ENTRY_BASERELOC * 8;
  const field = 'DataDirectory[IMAGE_DIRECTORY_ENTRY_BASERELOC]';
  if (directory.virtualAddress === 0) fail(STATUS_CONFLICTING_ADDRESSES, dirField, field, 'a non-empty relocation directory at RVA 0 (B95 step 2)');
  if (directory.virtualAddress + directory.size > sizeOfImage) fail(STATUS_INVALID_IMAGE_FORMAT, dirField, field, 'the relocation directory ends past SizeOfImage');
  const base = rvaToFileOffset(directory.virtualAddress, directory.size, sections, sizeOfHeaders);
  if (base < 0) fail(STATUS_INVALID_IMAGE_FORMAT, dirField, field, "the relocation directory is not inside one section's file data");
  const end = base + directory.size;
  // For the overlap check: field start RVA * 16 + size, sorted later.
  const spans: number[] = [];
  const spanEntry: number[] = [];
  let p = base;
  while (p < end) {
    if (p + 8 > end) fail(STATUS_INVALID_IMAGE_FORMAT, p, 'IMAGE_BASE_RELOCATION', 'a truncated relocation block header at the end of the directory');
    const page = dv.getUint32(p, true);
    const sizeOfBlock = dv.getUint32(p + 4, true);
    if (sizeOfBlock === 0) break; // Wine and ReactOS stop at SizeOfBlock == 0 and report success (base relocations).
    if (sizeOfBlock < 8 || sizeOfBlock % 2 !== 0 || p + sizeOfBlock > end) {
      fail(
        STATUS_INVALID_IMAGE_FORMAT,
        p + 4,
        'IMAGE_BASE_RELOCATION.SizeOfBlock',
        sizeOfBlock < 8 ? `SizeOfBlock ${sizeOfBlock} is below 8` : sizeOfBlock % 2 !== 0 ? `SizeOfBlock ${sizeOfBlock} is odd` : 'the block runs past the relocation directory',
      );
    }
    if (page % IMAGE_PAGE_SIZE !== 0) fail(STATUS_INVALID_IMAGE_FORMAT, p, 'IMAGE_BASE_RELOCATION.VirtualAddress', `block page RVA 0x${page.toString(16)} is not page aligned`);
    // B95 step 4: a block at or past SizeOfImage is an access violation (invalid image).
    if (page >= sizeOfImage) fail(STATUS_ACCESS_VIOLATION, p, 'IMAGE_BASE_RELOCATION.VirtualAddress', `block page RVA 0x${page.toString(16)} is at or past SizeOfImage`);
    const blockEnd = p + sizeOfBlock;
    for (let q = p + 8; q < blockEnd; q += 2) {
      const entry = dv.getUint16(q, true);
      const type = entry >>> 12;
      const rva = page + (entry & 0x0fff);
      if (type === IMAGE_REL_BASED_ABSOLUTE) {
        relocations.push(Object.freeze({ rva, type, offset: q }));
        continue;
      }
      const size = relocationFieldSize(type);
      if (size === 0) fail(STATUS_INVALID_IMAGE_FORMAT, q, 'TypeOffset', `unsupported base relocation type ${type}`);
      // Stricter than Wine and ReactOS, which write page + offset unchecked (see the module notes).
      if (rva + size > sizeOfImage) fail(STATUS_ACCESS_VIOLATION, q, 'TypeOffset', `the fixup at RVA 0x${rva.toString(16)} ends past SizeOfImage`);
      spans.push(rva * 16 + size);
      spanEntry.push(q);
      if (type === IMAGE_REL_BASED_HIGHADJ) {
        if (q + 2 >= blockEnd) fail(STATUS_INVALID_IMAGE_FORMAT, q, 'TypeOffset', 'a HIGHADJ entry without its second slot');
        const pair = dv.getInt16(q + 2, true);
        relocations.push(Object.freeze({ rva, type, pairValue: pair, offset: q }));
        q += 2;
      } else {
        relocations.push(Object.freeze({ rva, type, offset: q }));
      }
    }
    p = blockEnd;
  }
  checkOverlaps(spans, spanEntry);
  return relocations;
}

/** Rejects two fixups that write the same byte (see the module notes). */
function checkOverlaps(spans: number[], entries: number[]): void {
  if (spans.length < 2) return;
  const order = new Uint32Array(spans.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => spans[a] - spans[b]);
  for (let k = 1; k < order.length; k++) {
    const prev = spans[order[k - 1]];
    const cur = spans[order[k]];
    const prevEnd = Math.floor(prev / 16) + (prev % 16);
    if (Math.floor(cur / 16) < prevEnd) {
      fail(STATUS_INVALID_IMAGE_FORMAT, entries[order[k]], 'TypeOffset', `the fixup at RVA 0x${Math.floor(cur / 16).toString(16)} overlaps another fixup`);
    }
  }
}
