/**
 * The reference model's own reading of a PE image: just enough of the format
 * (windows-semantics.md §3) to lay the image out at a base and to know each
 * page's protection. Written from the spec, independently of src/os/image, and
 * checked against pefile's hashes in expected.json (model-image.test.ts).
 *
 * Not supported (the model never loads such images): flat images
 * (SectionAlignment below a page), relocation types other than ABSOLUTE,
 * HIGHLOW and DIR64.
 */
import { readFileSync } from 'node:fs';
import { PAGE, PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_WRITECOPY, PAGE_NOACCESS, PAGE_READONLY, PAGE_WRITECOPY } from './model-constants.js';

const IMAGE_FILE_RELOCS_STRIPPED = 0x0001;
const IMAGE_FILE_DLL = 0x2000;
const DLLCHARACTERISTICS_DYNAMIC_BASE = 0x0040;
const SCN_MEM_EXECUTE = 0x20000000;
const SCN_MEM_READ = 0x40000000;
const SCN_MEM_WRITE = 0x80000000;
const REL_ABSOLUTE = 0;
const REL_HIGHLOW = 3;
const REL_DIR64 = 10;

/** One base-relocation fixup: a 4- or 8-byte field at `rva`. */
interface Fixup {
  readonly rva: number;
  readonly size: 4 | 8;
}

/** A PE image as the model sees it. */
export interface ModelImage {
  /** The fixture's file name. */
  readonly name: string;
  /** The file. */
  readonly bytes: Uint8Array;
  /** OptionalHeader.ImageBase. */
  readonly preferredBase: number;
  /** PE32+ (64-bit). */
  readonly is64: boolean;
  /** IMAGE_FILE_DLL. */
  readonly isDll: boolean;
  /** IMAGE_FILE_RELOCS_STRIPPED. */
  readonly relocsStripped: boolean;
  /** ImageContainsCode: SizeOfCode or AddressOfEntryPoint not 0, or an executable section (B89; loader tests: query_image_section). */
  readonly containsCode: boolean;
  /** B97: DYNAMIC_BASE with a relocation directory, so the kernel relocates it under ASLR. */
  readonly aslrEligible: boolean;
  /** Offset of OptionalHeader.ImageBase in the image (the kernel rewrites it when it relocates, B92). */
  readonly imageBaseOffset: number;
  /** OptionalHeader.SizeOfImage (MemoryImageInformation reports it, B31). */
  readonly sizeOfImage: number;
  /** ALIGN(SizeOfImage, page) / page. */
  readonly pageCount: number;
  /** Protection of each page right after mapping (§3.7). */
  readonly protections: readonly number[];
  /** Pages a fixup writes (a field straddling two pages marks both). */
  readonly fixupPages: ReadonlySet<number>;
  /** OptionalHeader.SizeOfStackReserve and SizeOfStackCommit: a thread's stack when the image is its process's EXE. */
  readonly stackReserve: number;
  readonly stackCommit: number;
  /**
   * The image laid out at `base`: its preferred base, or relocated. The header's
   * ImageBase is rewritten only when `rewriteImageBase` (kernel relocation, B92);
   * the user-mode loader leaves the headers as they are.
   */
  layoutAt(base: number, rewriteImageBase?: boolean): Uint8Array;
}

/** The §3.7 table: READ → R, EXECUTE → X, WRITE → copy-on-write. */
function sectionProtection(characteristics: number): number {
  const r = (characteristics & SCN_MEM_READ) !== 0;
  const w = (characteristics & SCN_MEM_WRITE) !== 0;
  const x = (characteristics & SCN_MEM_EXECUTE) !== 0;
  if (w) return x ? PAGE_EXECUTE_WRITECOPY : PAGE_WRITECOPY;
  if (x) return r ? PAGE_EXECUTE_READ : PAGE_EXECUTE;
  return r ? PAGE_READONLY : PAGE_NOACCESS;
}

/** Reads a fixture from fixtures/pe and lays it out. */
export function loadModelImage(name: string): ModelImage {
  const bytes = new Uint8Array(readFileSync(new URL(`../../fixtures/pe/${name}`, import.meta.url)));
  return parseModelImage(name, bytes);
}

/** Parses `bytes` (§3.1–3.8) into a {@link ModelImage}. */
export function parseModelImage(name: string, bytes: Uint8Array): ModelImage {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);
  if (u16(0) !== 0x5a4d) throw new Error(`${name}: no MZ`);
  const nt = u32(0x3c);
  if (u32(nt) !== 0x4550) throw new Error(`${name}: no PE signature`);
  const fileHeader = nt + 4;
  const sectionCount = u16(fileHeader + 2);
  const optionalSize = u16(fileHeader + 16);
  const characteristics = u16(fileHeader + 18);
  const optional = fileHeader + 20;
  const is64 = u16(optional) === 0x20b;
  const imageBaseAt = optional + (is64 ? 24 : 28);
  const preferredBase = is64 ? u32(imageBaseAt) + u32(imageBaseAt + 4) * 2 ** 32 : u32(imageBaseAt);
  const dllCharacteristics = u16(optional + 70);
  if (u32(optional + 32) < PAGE) throw new Error(`${name}: flat images are not modelled`);
  const sizeOfImage = u32(optional + 56);
  const sizeOfHeaders = u32(optional + 60);
  const directories = optional + (is64 ? 112 : 96);
  const directoryCount = u32(optional + (is64 ? 108 : 92));
  const pageCount = Math.ceil(sizeOfImage / PAGE);

  // Lay the image out: headers, then each section's file bytes; everything else zero.
  const original = new Uint8Array(pageCount * PAGE);
  original.set(bytes.subarray(0, Math.min(sizeOfHeaders, bytes.length)), 0);
  const protections: number[] = new Array<number>(pageCount).fill(PAGE_EXECUTE_WRITECOPY);
  for (let p = 0; p < Math.ceil(sizeOfHeaders / PAGE); p++) protections[p] = PAGE_READONLY;
  const sectionTable = optional + optionalSize;
  let executableSection = false;
  for (let s = 0; s < sectionCount; s++) {
    const h = sectionTable + s * 40;
    const virtualSize = u32(h + 8);
    const virtualAddress = u32(h + 12);
    const rawSize = u32(h + 16);
    const rawPointer = u32(h + 20);
    const extent = virtualSize !== 0 ? virtualSize : rawSize;
    const fileBytes = Math.min(rawSize, extent, Math.max(0, bytes.length - rawPointer));
    if (fileBytes > 0) original.set(bytes.subarray(rawPointer, rawPointer + fileBytes), virtualAddress);
    if ((u32(h + 36) & SCN_MEM_EXECUTE) !== 0) executableSection = true;
    const protect = sectionProtection(u32(h + 36));
    for (let p = Math.floor(virtualAddress / PAGE); p < Math.ceil((virtualAddress + extent) / PAGE); p++) protections[p] = protect;
  }

  // Base relocations (§3.8), read from the laid-out image.
  const fixups: Fixup[] = [];
  const relocRva = directoryCount > 5 ? u32(directories + 5 * 8) : 0;
  const relocSize = directoryCount > 5 ? u32(directories + 5 * 8 + 4) : 0;
  const image = new DataView(original.buffer);
  for (let at = relocRva; at < relocRva + relocSize; ) {
    const pageRva = image.getUint32(at, true);
    const blockSize = image.getUint32(at + 4, true);
    if (blockSize === 0) break;
    for (let e = at + 8; e < at + blockSize; e += 2) {
      const entry = image.getUint16(e, true);
      const type = entry >> 12;
      const rva = pageRva + (entry & 0xfff);
      if (type === REL_ABSOLUTE) continue;
      if (type === REL_HIGHLOW) fixups.push({ rva, size: 4 });
      else if (type === REL_DIR64) fixups.push({ rva, size: 8 });
      else throw new Error(`${name}: relocation type ${type} is not modelled`);
    }
    at += blockSize;
  }
  const fixupPages = new Set<number>();
  for (const f of fixups) {
    fixupPages.add(Math.floor(f.rva / PAGE));
    fixupPages.add(Math.floor((f.rva + f.size - 1) / PAGE));
  }

  return {
    name,
    bytes,
    preferredBase,
    is64,
    isDll: (characteristics & IMAGE_FILE_DLL) !== 0,
    relocsStripped: (characteristics & IMAGE_FILE_RELOCS_STRIPPED) !== 0,
    containsCode: u32(optional + 4) !== 0 || u32(optional + 16) !== 0 || executableSection,
    aslrEligible: (dllCharacteristics & DLLCHARACTERISTICS_DYNAMIC_BASE) !== 0 && (characteristics & IMAGE_FILE_RELOCS_STRIPPED) === 0 && relocSize > 0,
    imageBaseOffset: imageBaseAt,
    sizeOfImage,
    pageCount,
    protections,
    fixupPages,
    // PE32: DWORDs at 72 and 76; PE32+: QWORDs at 72 and 80.
    stackReserve: is64 ? u32(optional + 72) + u32(optional + 76) * 2 ** 32 : u32(optional + 72),
    stackCommit: is64 ? u32(optional + 80) + u32(optional + 84) * 2 ** 32 : u32(optional + 76),
    layoutAt(base: number, rewriteImageBase = false): Uint8Array {
      const out = original.slice();
      const delta = base - preferredBase;
      if (delta === 0) return out;
      const v = new DataView(out.buffer);
      for (const f of fixups) {
        if (f.size === 4) v.setUint32(f.rva, (v.getUint32(f.rva, true) + delta) >>> 0, true);
        else v.setBigUint64(f.rva, BigInt.asUintN(64, v.getBigUint64(f.rva, true) + BigInt(delta)), true);
      }
      if (rewriteImageBase) {
        if (is64) v.setBigUint64(imageBaseAt, BigInt(base), true);
        else v.setUint32(imageBaseAt, base, true);
      }
      return out;
    },
  };
}
