/**
 * A tiny PE32/PE32+ builder for synthetic test images (windows-semantics.md §3.1–§3.8).
 * Layout: DOS header (e_lfanew 0x40), NT headers, section table, then each
 * section's raw data at FileAlignment-aligned offsets (at offset == VirtualAddress
 * for flat images). Relocation blocks go in a `.reloc` section appended last,
 * pointed to by data directory 5.
 */

/** A section to emit. */
export interface SyntheticSection {
  /** Name (default `.sN`). */
  name?: string;
  /** RVA. */
  virtualAddress: number;
  /** VirtualSize. */
  virtualSize: number;
  /** IMAGE_SCN_* characteristics. */
  characteristics: number;
  /** Raw data (padded to FileAlignment); omitted → SizeOfRawData 0. */
  data?: Uint8Array;
  /** Override SizeOfRawData as written in the header. */
  sizeOfRawData?: number;
}

/** One base relocation block: page RVA and raw entry WORDs ((type << 12) | offset). */
export interface SyntheticRelocBlock {
  /** Page RVA. */
  page: number;
  /** Entry WORDs. */
  entries: number[];
  /** Override SizeOfBlock. */
  sizeOfBlock?: number;
}

/** Builder options. */
export interface BuildPeOptions {
  /** PE32+ (default false). */
  is64?: boolean;
  /** Machine (default I386 or AMD64). */
  machine?: number;
  /** Optional header magic override. */
  magic?: number;
  /** ImageBase (default 0x10000000 / 0x180000000). */
  imageBase?: number;
  /** SectionAlignment (default 0x1000). */
  sectionAlignment?: number;
  /** FileAlignment (default 0x200). */
  fileAlignment?: number;
  /** SizeOfImage (default: end of the last section, aligned). */
  sizeOfImage?: number;
  /** File characteristics (default DLL | EXECUTABLE_IMAGE). */
  characteristics?: number;
  /** DllCharacteristics (default DYNAMIC_BASE | NX_COMPAT). */
  dllCharacteristics?: number;
  /** Sections. */
  sections?: SyntheticSection[];
  /** Relocation blocks, placed in an appended .reloc section. */
  relocs?: SyntheticRelocBlock[];
  /** NumberOfRvaAndSizes (default 16). */
  numberOfRvaAndSizes?: number;
}

/** The built image and where its structures are. */
export interface BuiltPe {
  /** The file. */
  bytes: Uint8Array;
  /** e_lfanew. */
  lfanew: number;
  /** File offset of IMAGE_FILE_HEADER. */
  fileHeader: number;
  /** File offset of the optional header. */
  opt: number;
  /** File offset of the section table. */
  sectionTable: number;
  /** File offset of the relocation data (or -1). */
  relocData: number;
  /** RVA of the relocation data (or -1). */
  relocRva: number;
}

const align = (x: number, a: number) => Math.ceil(x / a) * a;

/** Builds a synthetic PE image. */
export function buildPe(o: BuildPeOptions = {}): BuiltPe {
  const is64 = o.is64 ?? false;
  const sectionAlignment = o.sectionAlignment ?? 0x1000;
  const fileAlignment = o.fileAlignment ?? 0x200;
  const flat = sectionAlignment < 0x1000;
  const sections = [...(o.sections ?? [])];
  let relocBytes: Uint8Array | null = null;
  if (o.relocs !== undefined) {
    const parts: number[] = [];
    for (const block of o.relocs) {
      const size = block.sizeOfBlock ?? 8 + block.entries.length * 2;
      parts.push(block.page & 0xff, (block.page >>> 8) & 0xff, (block.page >>> 16) & 0xff, block.page >>> 24);
      parts.push(size & 0xff, (size >>> 8) & 0xff, (size >>> 16) & 0xff, size >>> 24);
      for (const e of block.entries) parts.push(e & 0xff, (e >>> 8) & 0xff);
    }
    relocBytes = new Uint8Array(parts);
    const last = sections.reduce((end, s) => Math.max(end, s.virtualAddress + s.virtualSize), 0x1000);
    sections.push({ name: '.reloc', virtualAddress: align(last, sectionAlignment), virtualSize: relocBytes.length, characteristics: 0x42000040, data: relocBytes });
  }
  const lfanew = 0x40;
  const fileHeader = lfanew + 4;
  const opt = fileHeader + 20;
  const nDirs = o.numberOfRvaAndSizes ?? 16;
  const optSize = (is64 ? 112 : 96) + Math.min(nDirs, 16) * 8;
  const sectionTable = opt + optSize;
  const sizeOfHeaders = align(sectionTable + sections.length * 40, fileAlignment);
  // place raw data
  const pointers: number[] = [];
  let fileEnd = sizeOfHeaders;
  for (const s of sections) {
    const raw = s.data ? align(s.data.length, fileAlignment) : 0;
    if (raw === 0) {
      pointers.push(0);
      continue;
    }
    const ptr = flat ? s.virtualAddress : fileEnd;
    pointers.push(ptr);
    fileEnd = Math.max(fileEnd, ptr + raw);
  }
  const bytes = new Uint8Array(fileEnd);
  const dv = new DataView(bytes.buffer);
  dv.setUint16(0, 0x5a4d, true);
  dv.setUint32(0x3c, lfanew, true);
  dv.setUint32(lfanew, 0x4550, true);
  dv.setUint16(fileHeader, o.machine ?? (is64 ? 0x8664 : 0x14c), true);
  dv.setUint16(fileHeader + 2, sections.length, true);
  dv.setUint16(fileHeader + 16, optSize, true);
  dv.setUint16(fileHeader + 18, o.characteristics ?? 0x2102, true);
  dv.setUint16(opt, o.magic ?? (is64 ? 0x20b : 0x10b), true);
  const imageBase = o.imageBase ?? (is64 ? 0x180000000 : 0x10000000);
  if (is64) dv.setBigUint64(opt + 24, BigInt(imageBase), true);
  else dv.setUint32(opt + 28, imageBase, true);
  dv.setUint32(opt + 32, sectionAlignment, true);
  dv.setUint32(opt + 36, fileAlignment, true);
  const lastEnd = sections.reduce((end, s) => Math.max(end, s.virtualAddress + Math.max(s.virtualSize, s.sizeOfRawData ?? 0)), sizeOfHeaders);
  dv.setUint32(opt + 56, o.sizeOfImage ?? align(lastEnd, sectionAlignment), true);
  dv.setUint32(opt + 60, sizeOfHeaders, true);
  dv.setUint16(opt + 68, 3, true);
  dv.setUint16(opt + 70, o.dllCharacteristics ?? 0x140, true);
  dv.setUint32(opt + (is64 ? 108 : 92), nDirs, true);
  const dirs = opt + (is64 ? 112 : 96);
  let relocData = -1;
  let relocRva = -1;
  sections.forEach((s, i) => {
    const at = sectionTable + i * 40;
    const name = s.name ?? `.s${i}`;
    for (let k = 0; k < Math.min(8, name.length); k++) bytes[at + k] = name.charCodeAt(k);
    dv.setUint32(at + 8, s.virtualSize, true);
    dv.setUint32(at + 12, s.virtualAddress, true);
    dv.setUint32(at + 16, s.sizeOfRawData ?? (s.data ? align(s.data.length, fileAlignment) : 0), true);
    dv.setUint32(at + 20, pointers[i], true);
    dv.setUint32(at + 36, s.characteristics >>> 0, true);
    if (s.data) bytes.set(s.data, pointers[i]);
    if (s.data === relocBytes && relocBytes !== null) {
      relocData = pointers[i];
      relocRva = s.virtualAddress;
      if (nDirs > 5) {
        dv.setUint32(dirs + 5 * 8, s.virtualAddress, true);
        dv.setUint32(dirs + 5 * 8 + 4, relocBytes.length, true);
      }
    }
  });
  return { bytes, lfanew, fileHeader, opt, sectionTable, relocData, relocRva };
}

/** Little-endian field helpers for tests. */
export function u16(bytes: Uint8Array, at: number): number {
  return bytes[at] | (bytes[at + 1] << 8);
}
/** Reads a little-endian u32. */
export function u32(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}

/** Fast byte-array equality for tests (vitest's deep equality is slow on 4 KiB arrays). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
