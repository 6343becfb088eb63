/**
 * Base relocation of a PE image ([base relocations](../../../docs/images.md#base-relocations), B92, B95): page by
 * page, so a loader can relocate each page on its first touch, or the whole
 * image at once. Both give identical bytes, because every fixup is computed
 * from the image's original bytes and `parsePe` rejects fixups that overlap.
 *
 * `delta = newBase − ImageBase`, in 64-bit two's complement arithmetic:
 * - HIGH: 16-bit field += HIWORD(delta);
 * - LOW: 16-bit field += LOWORD(delta);
 * - HIGHLOW: 32-bit field += (u32)delta;
 * - HIGHADJ: new high = ((high << 16) + (int16)low + delta + 0x8000) >> 16, where
 *   `low` is the entry's second slot;
 * - DIR64: 64-bit field += delta;
 * - ABSOLUTE: nothing.
 *
 * @module
 */

import { InvalidArgumentError } from '../../mmu/errors.js';
import { imagePageCount, originalImage, originalPage } from './layout.js';
import {
  IMAGE_PAGE_SIZE,
  IMAGE_REL_BASED_DIR64,
  IMAGE_REL_BASED_HIGH,
  IMAGE_REL_BASED_HIGHADJ,
  IMAGE_REL_BASED_HIGHLOW,
  IMAGE_REL_BASED_LOW,
  relocationFieldSize,
  requirePeImage,
  type PeImage,
} from './pe-parser.js';

export { originalPage } from './layout.js';

/**
 * The fixups of each page, in file order: CSR arrays built once per image.
 * `list[start[p] .. start[p + 1])` are the fixups that write page p; `rva`,
 * `size` and `pair` hold their fields in the same order, so relocating a page
 * reads typed arrays only.
 */
interface FixupIndex {
  readonly start: Uint32Array;
  /** Relocation indices into `image.relocations`. */
  readonly list: Uint32Array;
  /** RVA of each fixup's field. */
  readonly rva: Float64Array;
  /** IMAGE_REL_BASED_* type of each fixup. */
  readonly type: Uint8Array;
  /** HIGHADJ: the second slot's sign-extended value; 0 otherwise. */
  readonly pair: Int32Array;
}

const indexCache = new WeakMap<PeImage, FixupIndex>();

function fixupIndex(image: PeImage): FixupIndex {
  const cached = indexCache.get(image);
  if (cached !== undefined) return cached;
  const pages = imagePageCount(image);
  const counts = new Uint32Array(pages + 1);
  const relocations = image.relocations;
  const forEachPage = (fn: (page: number, index: number) => void) => {
    for (let i = 0; i < relocations.length; i++) {
      const size = relocationFieldSize(relocations[i].type);
      if (size === 0) continue;
      const first = Math.floor(relocations[i].rva / IMAGE_PAGE_SIZE);
      const last = Math.floor((relocations[i].rva + size - 1) / IMAGE_PAGE_SIZE);
      fn(first, i);
      if (last !== first) fn(last, i);
    }
  };
  forEachPage((page) => counts[page + 1]++);
  for (let p = 0; p < pages; p++) counts[p + 1] += counts[p];
  const list = new Uint32Array(counts[pages]);
  const fill = counts.slice(0, pages);
  forEachPage((page, i) => (list[fill[page]++] = i));
  const rva = new Float64Array(list.length);
  const type = new Uint8Array(list.length);
  const pair = new Int32Array(list.length);
  for (let k = 0; k < list.length; k++) {
    const r = relocations[list[k]];
    rva[k] = r.rva;
    type[k] = r.type;
    pair[k] = r.pairValue ?? 0;
  }
  const index = { start: counts, list, rva, type, pair };
  indexCache.set(image, index);
  return index;
}

function checkBase(image: PeImage, newBase: number, updateHeaderImageBase: boolean): void {
  requirePeImage(image);
  if (typeof updateHeaderImageBase !== 'boolean') throw new InvalidArgumentError('updateHeaderImageBase must be a boolean');
  const limit = image.is64 ? 2 ** 53 : 2 ** 32;
  if (!Number.isSafeInteger(newBase) || newBase < 0 || newBase >= limit) {
    throw new InvalidArgumentError(`new base ${String(newBase)} is not an address a ${image.is64 ? 'PE32+' : 'PE32'} image can load at`);
  }
}

const TWO_32 = 0x1_0000_0000;

/**
 * `delta = newBase − ImageBase` as the 32-bit words of its 64-bit two's complement: every fixup
 * needs only these (a 16- or 32-bit field only the low word), so no arithmetic leaves 2^34.
 */
class Delta {
  /** delta mod 2^32. */
  readonly low: number;
  /** floor(delta / 2^32) mod 2^32. */
  readonly high: number;

  constructor(newBase: number, imageBase: number) {
    // Both are safe integers, so their difference and its quotient by 2^32 are exact.
    const delta = newBase - imageBase;
    this.low = ((delta % TWO_32) + TWO_32) % TWO_32;
    this.high = ((Math.floor(delta / TWO_32) % TWO_32) + TWO_32) % TWO_32;
  }

  get zero(): boolean {
    return this.low === 0 && this.high === 0;
  }
}

/** The field being relocated, little-endian: up to 8 bytes, reused by every fixup. */
const field = new Uint8Array(8);

/**
 * Applies one fixup to the `size` bytes in {@link field} (the relocation arithmetic of the images guide), in place.
 * @param type - IMAGE_REL_BASED_HIGH, LOW, HIGHLOW, HIGHADJ or DIR64.
 * @param pair - HIGHADJ: the low half from the entry's second slot, sign-extended.
 */
function applyFixup(type: number, pair: number, delta: Delta): void {
  switch (type) {
    case IMAGE_REL_BASED_HIGH:
      setField16((field[0] | (field[1] << 8)) + (delta.low >>> 16));
      return;
    case IMAGE_REL_BASED_LOW:
      setField16((field[0] | (field[1] << 8)) + (delta.low & 0xffff));
      return;
    case IMAGE_REL_BASED_HIGHLOW:
      setField32(0, (field32(0) + delta.low) % TWO_32);
      return;
    case IMAGE_REL_BASED_HIGHADJ: {
      // ((high << 16) + low + delta + 0x8000) >> 16 keeps bits 16..31 of the sum, which depend on delta mod 2^32 only.
      const sum = (field[0] | (field[1] << 8)) * 0x1_0000 + pair + delta.low + 0x8000;
      setField16(Math.floor(sum / 0x1_0000));
      return;
    }
    case IMAGE_REL_BASED_DIR64: {
      const low = field32(0) + delta.low;
      setField32(0, low % TWO_32);
      setField32(4, (field32(4) + delta.high + (low >= TWO_32 ? 1 : 0)) % TWO_32);
      return;
    }
    default:
  }
}

function field32(at: number): number {
  return (field[at] | (field[at + 1] << 8) | (field[at + 2] << 16) | (field[at + 3] << 24)) >>> 0;
}

function setField16(value: number): void {
  field[0] = value;
  field[1] = value >>> 8;
}

function setField32(at: number, value: number): void {
  field[at] = value;
  field[at + 1] = value >>> 8;
  field[at + 2] = value >>> 16;
  field[at + 3] = value >>> 24;
}

function writeImageBase(image: PeImage, newBase: number, write: (offset: number, byte: number) => void): void {
  // The header is mapped from file offset 0 at RVA 0, so the field's RVA is its file offset.
  const size = image.is64 ? 8 : 4;
  let value = BigInt(newBase);
  for (let k = 0; k < size; k++) {
    write(image.imageBaseOffset + k, Number(value & 0xffn));
    value >>= 8n;
  }
}

/**
 * One page of the image relocated to `newBase`: {@link originalPage} with every
 * fixup that writes any of its bytes applied (a field straddling a page boundary
 * is computed whole and only this page's bytes are kept). Each field is
 * computed from the original bytes, so relocating pages lazily one by one gives
 * the same bytes as {@link relocateImage}.
 *
 * The header's OptionalHeader.ImageBase is left alone unless
 * `updateHeaderImageBase` is set: the user-mode loader does not change it, the
 * kernel's ASLR relocation does (B92).
 *
 * @param image - a parsed image.
 * @param pageIndex - page number within the image.
 * @param newBase - the address the image is mapped at (for PE32, below 2^32).
 * @param updateHeaderImageBase - also write `newBase` into OptionalHeader.ImageBase (default false).
 * @returns a new 4096-byte array.
 * @throws {@link InvalidArgumentError} for a page index outside the image or an impossible base.
 * @throws {@link InvalidArgumentError} when `image` is not a PeImage returned by {@link parsePe}, or `updateHeaderImageBase` not a boolean.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * const pe = parsePe(new Uint8Array(readFileSync('fixtures/pe/absolute32.dll')));
 * const page = relocatedPage(pe, 1, 0x2000_0000);          // .text's first page, image moved by 0x1000_0000
 * new DataView(page.buffer).getUint32(0x008, true);        // 0x2000_9900: a HIGHLOW fixup at RVA 0x1008
 * new DataView(originalPage(pe, 1).buffer).getUint32(0x008, true); // 0x1000_9900: before relocation
 * ```
 */
export function relocatedPage(image: PeImage, pageIndex: number, newBase: number, updateHeaderImageBase = false): Uint8Array {
  checkBase(image, newBase, updateHeaderImageBase);
  const page = originalPage(image, pageIndex);
  relocatePageInPlace(image, pageIndex, newBase, updateHeaderImageBase, page);
  return page;
}

/**
 * Relocates `page`, holding {@link originalPage}(image, pageIndex), in place: what
 * {@link relocatedPage} does after checking its arguments. Fields straddling a page
 * boundary read the neighbouring page's original bytes.
 */
function relocatePageInPlace(image: PeImage, pageIndex: number, newBase: number, updateHeaderImageBase: boolean, page: Uint8Array): void {
  const pageStart = pageIndex * IMAGE_PAGE_SIZE;
  const delta = new Delta(newBase, image.imageBase);
  if (!delta.zero) {
    const { start, rva, type, pair } = fixupIndex(image);
    let previous: Uint8Array | null = null;
    let next: Uint8Array | null = null;
    for (let k = start[pageIndex]; k < start[pageIndex + 1]; k++) {
      const size = relocationFieldSize(type[k]);
      const at = rva[k] - pageStart;
      if (at >= 0 && at + size <= IMAGE_PAGE_SIZE) {
        for (let b = 0; b < size; b++) field[b] = page[at + b];
        applyFixup(type[k], pair[k], delta);
        for (let b = 0; b < size; b++) page[at + b] = field[b];
        continue;
      }
      // A field straddling a page boundary: computed whole, this page's bytes kept (images guide, relocations).
      for (let b = 0; b < size; b++) {
        const i = at + b;
        field[b] = i < 0 ? (previous ??= originalPage(image, pageIndex - 1))[i + IMAGE_PAGE_SIZE] : i >= IMAGE_PAGE_SIZE ? (next ??= originalPage(image, pageIndex + 1))[i - IMAGE_PAGE_SIZE] : page[i];
      }
      applyFixup(type[k], pair[k], delta);
      for (let b = 0; b < size; b++) if (at + b >= 0 && at + b < IMAGE_PAGE_SIZE) page[at + b] = field[b];
    }
  }
  if (updateHeaderImageBase) {
    writeImageBase(image, newBase, (offset, byte) => {
      if (offset >= pageStart && offset < pageStart + IMAGE_PAGE_SIZE) page[offset - pageStart] = byte;
    });
  }
}

/** Relocated pages kept per image, by `newBase * 2 + (updateHeaderImageBase ? 1 : 0)`, most recent base last. */
const relocatedPages = new WeakMap<PeImage, Map<number, Array<Uint8Array | undefined>>>();

/** How many bases' relocated pages an image keeps: a process loading it elsewhere relocates afresh. */
const KEPT_BASES = 4;

/**
 * {@link relocatedPage} for the kernel, which relocates the same page for every
 * process that loads the image at the same base: each page is relocated once per
 * image and base (the last {@link KEPT_BASES} bases), and the bytes are shared.
 * The caller copies them and never writes to them. The arguments are the
 * kernel's own (a page of a parsed image, a base the loader chose).
 * @internal
 */
export function sharedRelocatedPage(image: PeImage, pageIndex: number, newBase: number, updateHeaderImageBase: boolean): Uint8Array {
  let byBase = relocatedPages.get(image);
  if (byBase === undefined) relocatedPages.set(image, (byBase = new Map()));
  const key = newBase * 2 + (updateHeaderImageBase ? 1 : 0);
  let pages = byBase.get(key);
  if (pages === undefined) {
    if (byBase.size >= KEPT_BASES) byBase.delete(byBase.keys().next().value!);
    pages = [];
    byBase.set(key, pages);
  }
  let page = pages[pageIndex];
  if (page === undefined) {
    page = originalPage(image, pageIndex);
    relocatePageInPlace(image, pageIndex, newBase, updateHeaderImageBase, page);
    pages[pageIndex] = page;
  }
  return page;
}

/**
 * The whole image relocated to `newBase` eagerly: the original layout with every
 * fixup applied in file order (B95 step 4), and OptionalHeader.ImageBase
 * rewritten when `updateHeaderImageBase` is set (B92). Equal, page by page, to
 * {@link relocatedPage}.
 *
 * @param image - a parsed image.
 * @param newBase - the address the image is mapped at (for PE32, below 2^32).
 * @param updateHeaderImageBase - also write `newBase` into OptionalHeader.ImageBase (default false).
 * @returns a new array of ALIGN(SizeOfImage, 4096) bytes.
 * @throws {@link InvalidArgumentError} for an impossible base.
 * @throws {@link InvalidArgumentError} when `image` is not a PeImage returned by {@link parsePe}, or `updateHeaderImageBase` not a boolean.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * const pe = parsePe(new Uint8Array(readFileSync('fixtures/pe/absolute32.dll')));
 * const image = relocateImage(pe, 0x2000_0000);
 * image.length;                                   // 0xe000
 * new DataView(image.buffer).getUint32(0x1008, true); // 0x2000_9900
 * relocatedPage(pe, 1, 0x2000_0000).every((b, i) => b === image[0x1000 + i]); // true: page by page, the same bytes
 * ```
 */
export function relocateImage(image: PeImage, newBase: number, updateHeaderImageBase = false): Uint8Array {
  checkBase(image, newBase, updateHeaderImageBase);
  const out = originalImage(image);
  const delta = new Delta(newBase, image.imageBase);
  if (!delta.zero) {
    for (const r of image.relocations) {
      const size = relocationFieldSize(r.type);
      if (size === 0) continue;
      for (let b = 0; b < size; b++) field[b] = out[r.rva + b];
      applyFixup(r.type, r.pairValue ?? 0, delta);
      for (let b = 0; b < size; b++) out[r.rva + b] = field[b];
    }
  }
  if (updateHeaderImageBase) writeImageBase(image, newBase, (offset, byte) => (out[offset] = byte));
  return out;
}
