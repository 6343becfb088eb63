/**
 * NtQuerySection: what a section reports about itself, SectionBasicInformation
 * for every section and SectionImageInformation for an image section (B61, B62,
 * B90, B98).
 * @module
 */
import type { PeImage } from '../image/pe-parser.js';
import type { Section } from './section.js';

/** SECTION_BASIC_INFORMATION, as NtQuerySection(SectionBasicInformation) fills it. */
export interface SectionBasicInformation {
  /** Always 0 (NULL): a section has no base address of its own (B90). */
  readonly baseAddress: number;
  /**
   * SEC_* attributes (B61): an anonymous section SEC_COMMIT or SEC_RESERVE, a file-backed one
   * SEC_FILE, each with SEC_NOCACHE or SEC_WRITECOMBINE if it was created with it; an image
   * section SEC_FILE | SEC_IMAGE.
   */
  readonly attributes: number;
  /** The section's size in bytes: a file's size exactly (B62), an anonymous size rounded to a page, ALIGN(SizeOfImage, page) for an image (B90). */
  readonly size: number;
}

/** The ImageFlags bits of {@link SectionImageInformation.imageFlags}. */
export const ImageFlags = {
  /** ComPlusNativeReady (bit 0). */
  ComPlusNativeReady: 0x01,
  /** ComPlusILOnly (bit 1): a .NET image whose CLR header says IL only. */
  ComPlusILOnly: 0x02,
  /** ImageDynamicallyRelocated (bit 2): the kernel relocates the image when it maps it away from its base (B92, B98). */
  ImageDynamicallyRelocated: 0x04,
  /** ImageMappedFlat (bit 3): SectionAlignment is not a multiple of the page size (B86, B98). */
  ImageMappedFlat: 0x08,
  /** BaseBelow4gb (bit 4). */
  BaseBelow4gb: 0x10,
  /** ComPlusPrefer32bit (bit 5). */
  ComPlusPrefer32bit: 0x20,
} as const;

/** SECTION_IMAGE_INFORMATION, as NtQuerySection(SectionImageInformation) fills it from the image's headers. */
export interface SectionImageInformation {
  /** The entry point: ImageBase + AddressOfEntryPoint (mmukit relocates images when it maps them, never the section itself: B98's "when relocated" does not arise). */
  readonly transferAddress: number;
  /** ZeroBits: 0. */
  readonly zeroBits: number;
  /** SizeOfStackReserve. */
  readonly maximumStackSize: number;
  /** SizeOfStackCommit. */
  readonly committedStackSize: number;
  /** Subsystem (2 GUI, 3 console, ...). */
  readonly subSystemType: number;
  /** MinorSubsystemVersion. */
  readonly subSystemMinorVersion: number;
  /** MajorSubsystemVersion. */
  readonly subSystemMajorVersion: number;
  /** GpValue: 0 (no global pointer on x86). */
  readonly gpValue: number;
  /** The file header's Characteristics. */
  readonly imageCharacteristics: number;
  /** The optional header's DllCharacteristics. */
  readonly dllCharacteristics: number;
  /** The file header's Machine. */
  readonly machine: number;
  /** ImageContainsCode: SizeOfCode is not 0, or a section holds code. */
  readonly imageContainsCode: boolean;
  /** {@link ImageFlags} bits: ComPlusILOnly, ImageDynamicallyRelocated and ImageMappedFlat are derived; the others are 0. */
  readonly imageFlags: number;
  /** The optional header's LoaderFlags. */
  readonly loaderFlags: number;
  /** The file's size in bytes. */
  readonly imageFileSize: number;
  /** The optional header's CheckSum. */
  readonly checkSum: number;
}

/** The basic information of any section. @internal */
export function sectionBasicInformation(section: Section): SectionBasicInformation {
  return { baseAddress: 0, attributes: section.attributes, size: section.size };
}

/** IMAGE_DIRECTORY_ENTRY_BASERELOC and IMAGE_DIRECTORY_ENTRY_COM_DESCRIPTOR. */
const BASERELOC = 5;
const COM_DESCRIPTOR = 14;
/** IMAGE_COR20_HEADER.Flags (at offset 16) bits. */
const COMIMAGE_FLAGS_ILONLY = 0x1;
const COMIMAGE_FLAGS_32BITPREFERRED = 0x20000;

/**
 * The image information of an image section's PE (B98): ImageDynamicallyRelocated ⇔
 * DYNAMIC_BASE ∧ (ImageContainsCode ∨ a relocation directory) ∧ ¬flat ∧ ¬IL-only;
 * ImageMappedFlat ⇔ SectionAlignment is not a multiple of the page size.
 * @internal
 */
export function sectionImageInformation(pe: PeImage): SectionImageInformation {
  const dv = new DataView(pe.bytes.buffer, pe.bytes.byteOffset, pe.bytes.byteLength);
  // The optional header starts 28 (PE32) or 24 (PE32+) bytes before its ImageBase field.
  const opt = pe.imageBaseOffset - (pe.is64 ? 24 : 28);
  const corFlags = clrFlags(pe, dv);
  const ilOnly = corFlags !== null && (corFlags & COMIMAGE_FLAGS_ILONLY) !== 0;
  const relocationDirectory = (pe.dataDirectories[BASERELOC]?.size ?? 0) !== 0;
  let flags = 0;
  if (ilOnly) flags |= ImageFlags.ComPlusILOnly;
  if (corFlags !== null && (corFlags & COMIMAGE_FLAGS_32BITPREFERRED) !== 0) flags |= ImageFlags.ComPlusPrefer32bit;
  if (pe.flat) flags |= ImageFlags.ImageMappedFlat;
  if (pe.dynamicBase && (pe.containsCode || relocationDirectory) && !pe.flat && !ilOnly) flags |= ImageFlags.ImageDynamicallyRelocated;
  return {
    transferAddress: pe.imageBase + pe.addressOfEntryPoint,
    zeroBits: 0,
    maximumStackSize: pe.is64 ? readQword(dv, opt + 72) : dv.getUint32(opt + 72, true),
    committedStackSize: pe.is64 ? readQword(dv, opt + 80) : dv.getUint32(opt + 76, true),
    subSystemType: pe.subsystem,
    subSystemMinorVersion: dv.getUint16(opt + 50, true),
    subSystemMajorVersion: dv.getUint16(opt + 48, true),
    gpValue: 0,
    imageCharacteristics: pe.characteristics,
    dllCharacteristics: pe.dllCharacteristics,
    machine: pe.machine,
    imageContainsCode: pe.containsCode,
    imageFlags: flags,
    loaderFlags: dv.getUint32(opt + (pe.is64 ? 104 : 88), true),
    imageFileSize: pe.bytes.length,
    checkSum: dv.getUint32(opt + 64, true),
  };
}

/** A 64-bit field as a number (stack sizes: far below 2^53 in any image Windows loads). */
function readQword(dv: DataView, offset: number): number {
  return dv.getUint32(offset + 4, true) * 4_294_967_296 + dv.getUint32(offset, true);
}

/** The CLR header's Flags, or null when the image has no CLR header (or it lies outside the file). */
function clrFlags(pe: PeImage, dv: DataView): number | null {
  const directory = pe.dataDirectories[COM_DESCRIPTOR];
  if (directory === undefined || directory.size === 0 || directory.virtualAddress === 0) return null;
  const offset = fileOffsetOf(pe, directory.virtualAddress);
  if (offset < 0 || offset + 20 > pe.bytes.length) return null;
  return dv.getUint32(offset + 16, true);
}

/** The file offset of an RVA: in the headers, or in a section's raw data; -1 elsewhere. */
function fileOffsetOf(pe: PeImage, rva: number): number {
  if (rva < pe.sizeOfHeaders) return rva;
  for (const section of pe.sections) {
    if (rva >= section.virtualAddress && rva < section.virtualAddress + section.sizeOfRawData) return section.pointerToRawData + (rva - section.virtualAddress);
  }
  return -1;
}
