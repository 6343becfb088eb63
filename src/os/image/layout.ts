/**
 * How the loader lays a parsed PE image out in memory at its preferred base:
 * the protection of every page ([section protections](../../../docs/images.md#section-protections), B83–B86), the bytes
 * of every page before relocation (section extent, B87), and which pages
 * base relocations write.
 *
 * Pages are 4 KiB; an image occupies ALIGN(SizeOfImage, 4096) bytes (B90).
 *
 * @module
 */

import { InvalidArgumentError } from '../../mmu/errors.js';
import {
  PAGE_EXECUTE,
  PAGE_EXECUTE_READ,
  PAGE_EXECUTE_READWRITE,
  PAGE_EXECUTE_WRITECOPY,
  PAGE_NOACCESS,
  PAGE_READONLY,
  PAGE_READWRITE,
  PAGE_WRITECOPY,
} from '../rules/constants.js';
import {
  IMAGE_PAGE_SIZE,
  IMAGE_SCN_MEM_EXECUTE,
  IMAGE_SCN_MEM_READ,
  IMAGE_SCN_MEM_SHARED,
  IMAGE_SCN_MEM_WRITE,
  relocationFieldSize,
  requirePeImage,
  sectionExtent,
  sectionFileBytes,
  type PeImage,
} from './pe-parser.js';

/**
 * The PAGE_* protection a section's pages get when the image is mapped
 * ([section protections](../../../docs/images.md#section-protections), B84): MEM_READ → R, MEM_EXECUTE → X,
 * MEM_WRITE → copy-on-write; no access bit → PAGE_NOACCESS. The CNT_* bits never
 * matter. A MEM_SHARED + MEM_WRITE section is one physical copy mapped
 * read/write: PAGE_READWRITE, or PAGE_EXECUTE_READWRITE with MEM_EXECUTE
 * (expected: no Windows test pins it).
 *
 * @param characteristics - IMAGE_SECTION_HEADER.Characteristics.
 * @returns the PAGE_* value.
 *
 * @example
 * ```ts
 * sectionProtection(0x6000_0020); // PAGE_EXECUTE_READ: .text (CNT_CODE | MEM_EXECUTE | MEM_READ)
 * sectionProtection(0xc000_0040); // PAGE_WRITECOPY: .data (MEM_READ | MEM_WRITE)
 * ```
 */
export function sectionProtection(characteristics: number): number {
  const read = (characteristics & IMAGE_SCN_MEM_READ) !== 0;
  const write = (characteristics & IMAGE_SCN_MEM_WRITE) !== 0;
  const execute = (characteristics & IMAGE_SCN_MEM_EXECUTE) !== 0;
  const shared = (characteristics & IMAGE_SCN_MEM_SHARED) !== 0;
  if (write) {
    if (shared) return execute ? PAGE_EXECUTE_READWRITE : PAGE_READWRITE;
    return execute ? PAGE_EXECUTE_WRITECOPY : PAGE_WRITECOPY;
  }
  if (execute) return read ? PAGE_EXECUTE_READ : PAGE_EXECUTE;
  return read ? PAGE_READONLY : PAGE_NOACCESS;
}

/**
 * Number of 4 KiB pages the image occupies: ALIGN(SizeOfImage, 4096) / 4096 (B90).
 * @param image - a parsed image.
 * @throws {@link InvalidArgumentError} when `image` is not a PeImage returned by {@link parsePe}.
 */
export function imagePageCount(image: PeImage): number {
  requirePeImage(image);
  return image.mappedSize / IMAGE_PAGE_SIZE;
}

/** First page and end page (exclusive) of a section's memory range, ALIGN(extent, page) ([section protections](../../../docs/images.md#section-protections)). */
function sectionPages(virtualAddress: number, extent: number): [number, number] {
  return [Math.floor(virtualAddress / IMAGE_PAGE_SIZE), Math.ceil((virtualAddress + extent) / IMAGE_PAGE_SIZE)];
}

/**
 * The protection of every page of the image right after it is mapped
 * ([section protections](../../../docs/images.md#section-protections), B83, B84, B86).
 *
 * - Flat images (SectionAlignment below the page size): every page
 *   PAGE_EXECUTE_WRITECOPY, one region (B86).
 * - Header pages, ALIGN(SizeOfHeaders, page): PAGE_READONLY.
 * - Section pages, VirtualAddress to ALIGN(VirtualAddress + extent, page): {@link sectionProtection}.
 * - Pages no section covers (gaps, and the tail up to ALIGN(SizeOfImage)) are
 *   committed (B83) with the view's AllocationProtect, PAGE_EXECUTE_WRITECOPY,
 *   and read as zeros. This follows Wine, which creates the whole view with that
 *   protection before it sets the header and section pages; Windows' own
 *   behaviour for gaps is not pinned by a test.
 *
 * @param image - a parsed image.
 * @returns one PAGE_* value per 4 KiB page.
 *
 * @throws {@link InvalidArgumentError} when `image` is not a PeImage returned by {@link parsePe}.
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * const pe = parsePe(new Uint8Array(readFileSync('fixtures/pe/absolute32.dll')));
 * const protections = pageProtections(pe);
 * protections.length;              // 14
 * protectionName(protections[0]);  // 'PAGE_READONLY': the headers
 * protectionName(protections[1]);  // 'PAGE_EXECUTE_READ': .text
 * protectionName(protections[6]);  // 'PAGE_WRITECOPY': .data
 * ```
 */
export function pageProtections(image: PeImage): Uint16Array {
  requirePeImage(image);
  const pages = imagePageCount(image);
  const protections = new Uint16Array(pages).fill(PAGE_EXECUTE_WRITECOPY);
  if (image.flat) return protections;
  protections.fill(PAGE_READONLY, 0, Math.min(pages, Math.ceil(image.sizeOfHeaders / IMAGE_PAGE_SIZE)));
  for (const section of image.sections) {
    const extent = sectionExtent(section);
    if (extent === 0) continue;
    const [first, end] = sectionPages(section.virtualAddress, extent);
    protections.fill(sectionProtection(section.characteristics), first, Math.min(end, pages));
  }
  return protections;
}

/**
 * Which pages belong to a MEM_SHARED + MEM_WRITE section: one physical copy shared
 * by every process and every view, never copied on write ([section protections](../../../docs/images.md#section-protections)). Always all
 * zeros for a flat image.
 *
 * @param image - a parsed image.
 * @returns 1 for a shared writable page, 0 otherwise, one entry per 4 KiB page.
 * @throws {@link InvalidArgumentError} when `image` is not a PeImage returned by {@link parsePe}.
 */
export function sharedPages(image: PeImage): Uint8Array {
  requirePeImage(image);
  const pages = imagePageCount(image);
  const shared = new Uint8Array(pages);
  if (image.flat) return shared;
  for (const section of image.sections) {
    const extent = sectionExtent(section);
    const c = section.characteristics;
    if (extent === 0 || (c & IMAGE_SCN_MEM_SHARED) === 0 || (c & IMAGE_SCN_MEM_WRITE) === 0) continue;
    const [first, end] = sectionPages(section.virtualAddress, extent);
    shared.fill(1, first, Math.min(end, pages));
  }
  return shared;
}

/**
 * Fills `dest` with the image bytes at RVAs [rva, rva + dest.length) as the loader
 * maps them at the preferred base; `dest` must be zero on entry.
 */
function copyOriginal(image: PeImage, rva: number, dest: Uint8Array): void {
  const bytes = image.bytes;
  const end = rva + dest.length;
  const copy = (fileOffset: number, from: number, to: number) => {
    // copy file bytes for RVAs [from, to) ∩ [rva, end); fileOffset corresponds to RVA `from`.
    const a = Math.max(from, rva);
    const b = Math.min(to, end);
    if (a < b) dest.set(bytes.subarray(fileOffset + (a - from), fileOffset + (b - from)), a - rva);
  };
  if (image.flat) {
    // B86: the mapping is the file itself (parsePe checked PointerToRawData == VirtualAddress).
    copy(0, 0, Math.min(bytes.length, image.mappedSize));
    return;
  }
  // B87: SizeOfHeaders bytes of the file, the rest of the header page is zero.
  copy(0, 0, image.sizeOfHeaders);
  for (const section of image.sections) {
    const fileBytes = sectionFileBytes(section);
    if (fileBytes === 0) continue; // uninitialised data: zeros (section protections)
    copy(section.pointerToRawData, section.virtualAddress, section.virtualAddress + fileBytes);
  }
}

function checkPageIndex(image: PeImage, pageIndex: number): void {
  if (!Number.isInteger(pageIndex) || pageIndex < 0 || pageIndex >= imagePageCount(image)) {
    throw new InvalidArgumentError(`page index ${String(pageIndex)} is outside the image's ${imagePageCount(image)} pages`);
  }
}

/**
 * One page of the image as the loader maps it at its preferred base, before any
 * relocation ([section protections](../../../docs/images.md#section-protections), B87):
 * - a header page holds SizeOfHeaders bytes of the file from offset 0, then zeros;
 * - a section page holds min(SizeOfRawData, VirtualSize) bytes of the file from
 *   PointerToRawData, then zeros (mmukit zero-fills the tail of the last file page,
 *   as Wine does; [section protections](../../../docs/images.md#section-protections) notes Windows may show file bytes there);
 * - a page no section covers is zero;
 * - a flat image's page is the file's bytes at the same offset (B86).
 *
 * @param image - a parsed image.
 * @param pageIndex - page number within the image, 0 ≤ pageIndex < ALIGN(SizeOfImage)/4096.
 * @returns a new 4096-byte array.
 * @throws {@link InvalidArgumentError} for a page index outside the image.
 * @throws {@link InvalidArgumentError} when `image` is not a PeImage returned by {@link parsePe}.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * const pe = parsePe(new Uint8Array(readFileSync('fixtures/pe/absolute32.dll')));
 * const headers = originalPage(pe, 0);
 * String.fromCharCode(headers[0], headers[1]); // 'MZ'
 * headers[pe.sizeOfHeaders];                   // 0: the rest of the header page is zero (B87)
 * ```
 */
export function originalPage(image: PeImage, pageIndex: number): Uint8Array {
  requirePeImage(image);
  checkPageIndex(image, pageIndex);
  const page = new Uint8Array(IMAGE_PAGE_SIZE);
  copyOriginal(image, pageIndex * IMAGE_PAGE_SIZE, page);
  return page;
}

/**
 * The whole image as the loader maps it at its preferred base (every
 * {@link originalPage} in order).
 *
 * @param image - a parsed image.
 * @returns a new array of ALIGN(SizeOfImage, 4096) bytes.
 * @throws {@link InvalidArgumentError} when `image` is not a PeImage returned by {@link parsePe}.
 */
export function originalImage(image: PeImage): Uint8Array {
  requirePeImage(image);
  const out = new Uint8Array(image.mappedSize);
  copyOriginal(image, 0, out);
  return out;
}

/**
 * The pages whose bytes a base relocation writes when the image is loaded away
 * from its base ([base relocations](../../../docs/images.md#base-relocations), B95): only these become private
 * copy-on-write copies. A field that straddles a page boundary counts for both
 * pages. ABSOLUTE entries write nothing.
 *
 * @param image - a parsed image.
 * @returns sorted, distinct page indices.
 *
 * @throws {@link InvalidArgumentError} when `image` is not a PeImage returned by {@link parsePe}.
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * const dll32 = parsePe(new Uint8Array(readFileSync('fixtures/pe/absolute32.dll')));
 * fixupPages(dll32);  // [1, 2, 3, 4, 5, 6, 7]: every .text page holds absolute addresses
 * const dll64 = parsePe(new Uint8Array(readFileSync('fixtures/pe/absolute64.dll')));
 * fixupPages(dll64);  // [7, 9]: x64 code is RIP-relative, only data pages hold DIR64 fixups
 * ```
 */
export function fixupPages(image: PeImage): number[] {
  requirePeImage(image);
  const marked = new Uint8Array(imagePageCount(image));
  for (const r of image.relocations) {
    const size = relocationFieldSize(r.type);
    if (size === 0) continue;
    marked[Math.floor(r.rva / IMAGE_PAGE_SIZE)] = 1;
    marked[Math.floor((r.rva + size - 1) / IMAGE_PAGE_SIZE)] = 1;
  }
  const pages: number[] = [];
  for (let i = 0; i < marked.length; i++) if (marked[i] === 1) pages.push(i);
  return pages;
}
