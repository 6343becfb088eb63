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
  type PeRelocation,
} from './pe-parser.js';

export { originalPage } from './layout.js';

/** The fixups of each page, in file order: CSR arrays built once per image. */
interface FixupIndex {
  /** `list[start[p] .. start[p + 1])` are the relocation indices that write page p. */
  readonly start: Uint32Array;
  /** Relocation indices into `image.relocations`. */
  readonly list: Uint32Array;
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
  const index = { start: counts, list };
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

/** Reads a little-endian unsigned field of `size` bytes (2, 4 or 8) as a bigint. */
function readField(read: (k: number) => number, size: number): bigint {
  let value = 0n;
  for (let k = size - 1; k >= 0; k--) value = (value << 8n) | BigInt(read(k));
  return value;
}

/**
 * The new value of a fixup's field (the arithmetic of ReactOS and Microsoft's PE format).
 * @param r - the relocation entry.
 * @param value - the field's original value (unsigned, `size` bytes).
 * @param delta - newBase − ImageBase.
 */
function applyFixup(r: PeRelocation, value: bigint, delta: bigint): bigint {
  switch (r.type) {
    case IMAGE_REL_BASED_HIGH:
      return BigInt.asUintN(16, value + ((delta >> 16n) & 0xffffn));
    case IMAGE_REL_BASED_LOW:
      return BigInt.asUintN(16, value + (delta & 0xffffn));
    case IMAGE_REL_BASED_HIGHLOW:
      return BigInt.asUintN(32, value + BigInt.asUintN(32, delta));
    case IMAGE_REL_BASED_HIGHADJ:
      return BigInt.asUintN(16, ((value << 16n) + BigInt(r.pairValue ?? 0) + delta + 0x8000n) >> 16n);
    case IMAGE_REL_BASED_DIR64:
      return BigInt.asUintN(64, value + delta);
    default:
      return value;
  }
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
  const pageStart = pageIndex * IMAGE_PAGE_SIZE;
  const delta = BigInt(newBase) - BigInt(image.imageBase);
  if (delta !== 0n) {
    const { start, list } = fixupIndex(image);
    let previous: Uint8Array | null = null;
    let next: Uint8Array | null = null;
    const readByte = (rva: number): number => {
      if (rva < pageStart) return (previous ??= originalPage(image, pageIndex - 1))[rva - pageStart + IMAGE_PAGE_SIZE];
      if (rva >= pageStart + IMAGE_PAGE_SIZE) return (next ??= originalPage(image, pageIndex + 1))[rva - pageStart - IMAGE_PAGE_SIZE];
      return page[rva - pageStart];
    };
    for (let k = start[pageIndex]; k < start[pageIndex + 1]; k++) {
      const r = image.relocations[list[k]];
      const size = relocationFieldSize(r.type);
      let value = applyFixup(r, readField((b) => readByte(r.rva + b), size), delta);
      for (let b = 0; b < size; b++) {
        const at = r.rva + b - pageStart;
        if (at >= 0 && at < IMAGE_PAGE_SIZE) page[at] = Number(value & 0xffn);
        value >>= 8n;
      }
    }
  }
  if (updateHeaderImageBase) {
    writeImageBase(image, newBase, (offset, byte) => {
      if (offset >= pageStart && offset < pageStart + IMAGE_PAGE_SIZE) page[offset - pageStart] = byte;
    });
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
  const delta = BigInt(newBase) - BigInt(image.imageBase);
  if (delta !== 0n) {
    for (const r of image.relocations) {
      const size = relocationFieldSize(r.type);
      if (size === 0) continue;
      let value = applyFixup(r, readField((b) => out[r.rva + b], size), delta);
      for (let b = 0; b < size; b++) {
        out[r.rva + b] = Number(value & 0xffn);
        value >>= 8n;
      }
    }
  }
  if (updateHeaderImageBase) writeImageBase(image, newBase, (offset, byte) => (out[offset] = byte));
  return out;
}
