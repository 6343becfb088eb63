import { FRAME_SIZE } from '../../mmu/physical-memory.js';
import { Allocation } from '../records/allocation.js';
import {
  ALLOCATION_GRANULARITY,
  ERROR_BAD_EXE_FORMAT,
  ERROR_INVALID_ADDRESS,
  ERROR_INVALID_HANDLE,
  ERROR_INVALID_PARAMETER,
  FILE_MAP_COPY,
  FILE_MAP_EXECUTE,
  LOWEST_USER_ADDRESS,
  MEM_IMAGE,
  PAGE_EXECUTE_WRITECOPY,
  SEC_FILE,
  SEC_IMAGE,
  STATUS_CONFLICTING_ADDRESSES,
  STATUS_IMAGE_NOT_AT_BASE,
  STATUS_INVALID_HANDLE,
  STATUS_INVALID_IMAGE_FORMAT,
  STATUS_INVALID_IMAGE_WIN_64,
  STATUS_INVALID_PARAMETER,
  STATUS_MAPPED_ALIGNMENT,
  STATUS_NO_MEMORY,
  STATUS_SECTION_TOO_BIG,
  STATUS_SUCCESS,
  VIEW_SHARE,
  VIEW_UNMAP,
} from '../rules/constants.js';
import { WindowsError } from '../rules/errors.js';
import { requireKnownOptions } from '../rules/known-options.js';
import { materializePage } from './page-faults.js';
import type { Process } from '../kernel/process.js';
import { NO_FRAME, Section, type ImageInfo } from '../records/section.js';
import { fixupPages, pageProtections } from '../image/layout.js';
import { ImageFormatError } from '../image/image-format-error.js';
import { parsePe, requirePeImage, type PeImage } from '../image/pe-parser.js';

/** IMAGE_DIRECTORY_ENTRY_BASERELOC. */
const BASE_RELOCATION_DIRECTORY = 5;

/**
 * How relocated image pages are shared (B95, B97):
 * - `'private'`: the pre-ASLR model of the seed text. An image loads at its
 *   preferred ImageBase when that range is free, sharing every page with the
 *   other processes that loaded it there; a process whose range is taken loads
 *   it elsewhere and relocates its own private copies of the pages that hold fixups.
 * - `'aslr'`: a DYNAMIC_BASE image with relocations gets one system-wide base,
 *   chosen when it is first loaded; the kernel relocates its pages once and every
 *   process that maps it there shares them. A process where that range is busy
 *   relocates privately, as in `'private'`.
 */
export type RelocationPolicy = 'private' | 'aslr';

/** Options of {@link Process.loadImage}. */
export interface LoadImageOptions {
  /** Sharing policy for relocated pages; default the kernel's ({@link KernelOptions.relocationPolicy}). */
  policy?: RelocationPolicy;
  /** Relocate (and read in) every fixup page at load instead of on first touch. Both give identical bytes. Default false. */
  eager?: boolean;
  /**
   * Map at this 64 KiB-aligned address instead of choosing. The whole image range must be free, or the load
   * fails with STATUS_CONFLICTING_ADDRESSES. A DLL with IMAGE_FILE_RELOCS_STRIPPED fails the same way at any
   * address but its ImageBase, as when its base is taken (B93, B94).
   */
  address?: number;
}

/** The outcome of {@link Process.loadImage}. */
export interface LoadedImage {
  /** Where the image is mapped (its HMODULE): the view's base address, 64 KiB aligned. */
  readonly base: number;
  /** STATUS_SUCCESS, or STATUS_IMAGE_NOT_AT_BASE (a success code) when a non-ASLR image was mapped away from its base (B91). */
  readonly status: number;
  /**
   * Whether base-relocation fixups were applied to this mapping: the image is mapped away from its header's
   * ImageBase and has at least one fixup. False at the preferred base, for an image with no fixup (an empty
   * relocation directory, B95 step 2, or a table that SizeOfBlock 0 ends before any fixup) and for an EXE
   * without relocations loaded elsewhere unrelocated (B93).
   */
  readonly relocated: boolean;
  /** The image section. */
  readonly section: Section;
  /** The parsed image. */
  readonly image: PeImage;
}

/** What a value is, in words a newcomer recognizes, with the fix when there is an obvious one. */
function describeNonImage(value: unknown): string {
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${JSON.stringify(value.slice(0, 60))}…` : JSON.stringify(value);
    return `got the string ${shown}: mmukit reads no files; read it first, e.g. new Uint8Array(fs.readFileSync(path)) in Node or new Uint8Array(await (await fetch(url)).arrayBuffer()) in a browser`;
  }
  if (value instanceof ArrayBuffer) return 'got an ArrayBuffer: wrap it, new Uint8Array(buffer)';
  if (ArrayBuffer.isView(value)) return `got a ${value.constructor.name}: view its bytes, new Uint8Array(view.buffer, view.byteOffset, view.byteLength)`;
  if (Array.isArray(value)) return `got an array of ${value.length} element(s): convert it, Uint8Array.from(array)`;
  if (value === null || value === undefined) return `got ${String(value)}`;
  if (typeof value === 'object') return `got ${value.constructor?.name ? `a ${value.constructor.name}` : 'an object'}`;
  return `got the ${typeof value} ${String(value)}`;
}

/**
 * @internal The error for an image argument that is neither the PE file's bytes nor a section:
 * STATUS_INVALID_PARAMETER / ERROR_INVALID_PARAMETER, saying what was expected and what was given.
 */
export function notAnImage(value: unknown, sectionAllowed: boolean): WindowsError {
  const expected = sectionAllowed ? 'a Uint8Array (the PE file\'s bytes) or an image section from Kernel.createImageSection' : 'a Uint8Array (the PE file\'s bytes)';
  return new WindowsError(STATUS_INVALID_PARAMETER, `expected ${expected}, ${describeNonImage(value)}`, ERROR_INVALID_PARAMETER);
}

/**
 * @internal Builds the image section for `bytes` (NtCreateSection with SEC_IMAGE) on a system whose
 * native bitness is 64 (`system64`) or 32.
 * @throws {@link ImageFormatError} for a malformed image (B89), an empty file (STATUS_INVALID_FILE_FOR_SECTION,
 *   B62), or a PE32+ image on a 32-bit system (STATUS_INVALID_IMAGE_WIN_64, B89).
 */
export function createImageSection(id: number, bytes: Uint8Array, system64: boolean, maximumSize = 0): Section {
  if (!(bytes instanceof Uint8Array)) throw notAnImage(bytes, false);
  const pe = parsePe(bytes);
  requireImageForSystem(pe, system64);
  requireImageMaximumSize(pe, maximumSize);
  const pages = pe.mappedSize / FRAME_SIZE;
  const fixups = new Uint8Array(pages);
  for (const page of fixupPages(pe)) fixups[page] = 1;
  const image: ImageInfo = {
    pe,
    fixupPages: fixups,
    protections: pageProtections(pe),
    imageBasePage: Math.floor(pe.imageBaseOffset / FRAME_SIZE),
    relocated: new Map(),
  };
  return new Section(id, pe.mappedSize, PAGE_EXECUTE_WRITECOPY, SEC_IMAGE | SEC_FILE, bytes, image);
}

/** Options of {@link Kernel.createImageSection}: NtCreateSection's MaximumSize and SectionPageProtection. */
export interface ImageSectionOptions {
  /**
   * MaximumSize in bytes (B90): 0 or absent for the image's size, ALIGN(SizeOfImage, page); any size up to that
   * works (Windows is tested with that size and with 1); a larger one fails with STATUS_SECTION_TOO_BIG. The
   * section is the image's size whatever is given: {@link Kernel.querySection} reports ALIGN(SizeOfImage, page).
   */
  maximumSize?: number;
  /**
   * The section's page protection: checked as {@link Kernel.createSection} checks it (B60), then ignored, as for
   * every image section (B61): the image's pages get their section protections (B84). Default PAGE_EXECUTE_WRITECOPY.
   */
  protect?: number;
}

/**
 * @internal B90: a MaximumSize larger than ALIGN(SizeOfImage, page) fails with STATUS_SECTION_TOO_BIG, checked
 * after the headers (Wine's get_image_params order).
 */
export function requireImageMaximumSize(pe: PeImage, maximumSize: number): void {
  if (maximumSize > pe.mappedSize) {
    throw new WindowsError(STATUS_SECTION_TOO_BIG, `MaximumSize 0x${maximumSize.toString(16)} is larger than the image's 0x${pe.mappedSize.toString(16)} bytes (B90)`);
  }
}

/**
 * @internal B89: NtCreateSection(SEC_IMAGE) of a PE32+ image on a pure 32-bit system fails with
 * STATUS_INVALID_IMAGE_WIN_64 ({@link ImageFormatError}); a PE32 image section on a 64-bit system is
 * created, and the loader checks its bitness against the process's.
 */
export function requireImageForSystem(pe: PeImage, system64: boolean): void {
  if (pe.is64 && !system64) throw new ImageFormatError(STATUS_INVALID_IMAGE_WIN_64, pe.imageBaseOffset - 24, 'Magic', 'a PE32+ image on a 32-bit system (B89)');
}

/**
 * Whether the image can be relocated by the kernel under ASLR (B97: DYNAMIC_BASE,
 * relocations not stripped, a non-empty relocation directory, not a flat image).
 * Under the `'aslr'` {@link RelocationPolicy}, only such images get a system-wide base.
 * @param pe - a parsed image.
 *
 * @throws {@link InvalidArgumentError} when `pe` is not a PeImage returned by {@link parsePe}.
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * aslrEligible(parsePe(new Uint8Array(readFileSync('fixtures/pe/absolute32.dll'))));  // true
 * aslrEligible(parsePe(new Uint8Array(readFileSync('fixtures/pe/norelocs32.dll'))));  // false
 * ```
 */
export function aslrEligible(pe: PeImage): boolean {
  requirePeImage(pe);
  const relocations = pe.dataDirectories[BASE_RELOCATION_DIRECTORY];
  return pe.dynamicBase && !pe.relocsStripped && relocations !== undefined && relocations.size > 0 && !pe.flat;
}

/**
 * The bitness a process's mapped images give it (B89): 64 once it maps a PE32+ image, 32 once it maps a
 * PE32 image with code, 0 while it maps neither. Windows takes a process's bitness from its main
 * executable; an mmukit process has none, so the first such image it loads decides, for as long as one
 * is mapped. A process of a kernel with a 32-bit page-table format is always 32-bit.
 */
function processBitness(process: Process): 0 | 32 | 64 {
  if (process.kernel.format.vaBits <= 32) return 32;
  for (const allocation of process.regions) {
    const image = allocation.type === MEM_IMAGE && allocation.view !== null ? allocation.view.section.image : null;
    if (image === null) continue;
    if (image.pe.is64) return 64;
    if (image.pe.containsCode) return 32;
  }
  return 0;
}

/**
 * @internal LoadLibrary's mapping step ([choosing the base](../../../docs/images.md#what-happens)): choose the base, map the image
 * view with its section protections, and arrange its relocation.
 */
export function loadImage(process: Process, section: Section, options: LoadImageOptions, aslrBaseFor: (section: Section) => number): LoadedImage {
  const kernel = process.kernel;
  kernel.requireLive(process);
  requireImageSection(process, section);
  if (options === null || typeof options !== 'object') throw new WindowsError(STATUS_INVALID_PARAMETER, 'options must be an object', ERROR_INVALID_PARAMETER);
  requireKnownOptions(options, ['policy', 'eager', 'address'], 'LoadImageOptions');
  const policy = requirePolicy(options.policy ?? kernel.relocationPolicy);
  if (options.eager !== undefined && typeof options.eager !== 'boolean') throw new WindowsError(STATUS_INVALID_PARAMETER, 'eager must be a boolean', ERROR_INVALID_PARAMETER);
  return mapImage(process, section, { policy, address: options.address, eager: options.eager === true, kernelOnly: false, limit: Infinity }, aslrBaseFor);
}

/** Options of {@link Process.mapImageView} (NtMapViewOfSection of an image section). */
export interface ImageViewOptions {
  /** Which base a DYNAMIC_BASE image with relocations gets; default the kernel's ({@link KernelOptions.relocationPolicy}). See {@link Process.mapImageView}. */
  policy?: RelocationPolicy;
  /**
   * NtMapViewOfSection's BaseAddress: map at this 64 KiB-aligned address instead of choosing. The whole image
   * range must be free (STATUS_CONFLICTING_ADDRESSES otherwise). 0 or absent lets the kernel choose.
   */
  address?: number;
}

/** The outcome of {@link Process.mapImageView}. */
export interface ImageView {
  /** The view's base address, 64 KiB aligned. */
  readonly base: number;
  /**
   * NtMapViewOfSection's status, a success code: STATUS_SUCCESS at the image's base or when the kernel relocated
   * the image (B92); STATUS_IMAGE_NOT_AT_BASE (0x40000003) when it is elsewhere unrelocated (B91, B92).
   */
  readonly status: number;
  /** Whether the kernel applied base-relocation fixups to this view (B92): away from the image base, with at least one fixup. */
  readonly relocated: boolean;
}

/**
 * @internal NtMapViewOfSection of an image section (B84, B91, B92): an image view with its section
 * protections; relocated by the kernel only when the image is DYNAMIC_BASE with relocations.
 */
export function mapImageView(process: Process, section: Section, options: ImageViewOptions, aslrBaseFor: (section: Section) => number, limit = Infinity, inheritDisposition = VIEW_SHARE): ImageView {
  const kernel = process.kernel;
  kernel.requireLive(process);
  requireImageSection(process, section);
  if (options === null || typeof options !== 'object') throw new WindowsError(STATUS_INVALID_PARAMETER, 'options must be an object', ERROR_INVALID_PARAMETER);
  requireKnownOptions(options, ['policy', 'address'], 'ImageViewOptions');
  const policy = requirePolicy(options.policy ?? kernel.relocationPolicy);
  const address = options.address === 0 ? undefined : options.address;
  const { base, status, relocated } = mapImage(process, section, { policy, address, eager: false, kernelOnly: true, limit, inheritDisposition }, aslrBaseFor);
  return { base, status, relocated };
}

/** A closed, destroyed or another kernel's section is not a handle (as MapViewOfFile says); a data section is not an image. */
function requireImageSection(process: Process, section: Section): void {
  const kernel = process.kernel;
  if (!(section instanceof Section) || !kernel.sections().includes(section) || !section.open) {
    throw new WindowsError(STATUS_INVALID_HANDLE, 'section handle is not valid', ERROR_INVALID_HANDLE);
  }
  if (section.image === null) throw new WindowsError(STATUS_INVALID_IMAGE_FORMAT, 'not an image section', ERROR_BAD_EXE_FORMAT);
}

function requirePolicy(policy: unknown): RelocationPolicy {
  if (policy !== 'private' && policy !== 'aslr') throw new WindowsError(STATUS_INVALID_PARAMETER, `unknown relocation policy ${String(policy)}`, ERROR_INVALID_PARAMETER);
  return policy;
}

/** How {@link mapImage} maps: LoadLibrary's mapping step, or the kernel's NtMapViewOfSection alone (`kernelOnly`). */
interface ImageMapping {
  readonly policy: RelocationPolicy;
  readonly address: number | undefined;
  readonly eager: boolean;
  /**
   * NtMapViewOfSection without the user-mode loader (B92): an image the kernel cannot relocate (not DYNAMIC_BASE
   * with relocations) goes elsewhere unrelocated with STATUS_IMAGE_NOT_AT_BASE, and a DYNAMIC_BASE image with
   * relocations is relocated by the kernel wherever it goes. No RELOCS_STRIPPED check (that is LoadLibrary's, B93).
   */
  readonly kernelOnly: boolean;
  /** One past the highest address the image may end at (NtMapViewOfSection's ZeroBits, B20); Infinity for none. */
  readonly limit: number;
  /** NtMapViewOfSection's InheritDisposition: VIEW_UNMAP keeps the view out of a forked child. Default VIEW_SHARE. */
  readonly inheritDisposition?: number;
}

/** The shared mapping step of {@link loadImage} and {@link mapImageView}. */
function mapImage(process: Process, section: Section, mapping: ImageMapping, aslrBaseFor: (section: Section) => number): LoadedImage {
  const kernel = process.kernel;
  const info = section.image!;
  const pe = info.pe;
  const policy = mapping.policy;
  // B89: the section exists, but the loader refuses an image of the other bitness: a PE32+ image in a
  // 32-bit process, a PE32 image with code in a 64-bit one (a PE32 image without code loads anywhere).
  const bitness = processBitness(process);
  if (pe.is64 ? bitness === 32 : pe.containsCode && bitness === 64) {
    throw new WindowsError(
      STATUS_INVALID_IMAGE_FORMAT,
      `a ${pe.is64 ? 'PE32+ image' : 'PE32 image with code'} cannot load into a ${bitness}-bit process (B89)`,
      ERROR_BAD_EXE_FORMAT,
    );
  }
  const size = pe.mappedSize;
  // A 32-bit image must stay below 2 GiB, where its 32-bit pointers can reach it.
  const top = Math.min(pe.is64 ? kernel.userTop : Math.min(kernel.userTop, 0x8000_0000), mapping.limit);
  const free = (base: number) =>
    base % ALLOCATION_GRANULARITY === 0 && base >= LOWEST_USER_ADDRESS && base + size <= top && process.regions.overlapping(base, base + size).length === 0;

  let base: number;
  let status = STATUS_SUCCESS;
  const eligible = aslrEligible(pe);
  // The system-wide ASLR base and its shared relocated pages (B97).
  const aslr = policy === 'aslr' && eligible;
  // Whether the kernel relocates a mapping away from the image base (rewriting the header's ImageBase, B92).
  const kernelRelocates = mapping.kernelOnly ? eligible : aslr;
  const loaderRelocates = !mapping.kernelOnly;
  if (mapping.address !== undefined) {
    // As NtMapViewOfSection (B76): alignment, then user space, then whether the range is free.
    base = kernel.requireAddress(mapping.address, 'address');
    if (base % ALLOCATION_GRANULARITY !== 0) throw new WindowsError(STATUS_MAPPED_ALIGNMENT, `0x${base.toString(16)} is not 64 KiB aligned (B76)`);
    if (base < LOWEST_USER_ADDRESS || base + size > top) {
      throw new WindowsError(STATUS_INVALID_PARAMETER, `0x${base.toString(16)} is outside the image's user space`, ERROR_INVALID_PARAMETER);
    }
    if (!free(base)) throw new WindowsError(STATUS_CONFLICTING_ADDRESSES, `0x${base.toString(16)} is not free for the image`, ERROR_INVALID_ADDRESS);
    // B93, B94: as when the base is taken, a DLL that cannot be relocated does not load away from its base.
    if (loaderRelocates && base !== pe.imageBase && pe.relocsStripped && pe.isDll) {
      throw new WindowsError(STATUS_CONFLICTING_ADDRESSES, `the DLL has no relocations and 0x${base.toString(16)} is not its image base (B93, B94)`, ERROR_INVALID_ADDRESS);
    }
    if (base !== pe.imageBase && !kernelRelocates) status = STATUS_IMAGE_NOT_AT_BASE;
  } else if (aslr) {
    base = aslrBaseFor(section);
    if (!free(base)) base = findBase(process, size, top);
  } else if (free(pe.imageBase)) {
    base = pe.imageBase;
  } else {
    // B93, B94: a DLL that cannot be relocated fails; an EXE loads elsewhere unrelocated.
    if (loaderRelocates && pe.relocsStripped && pe.isDll) {
      throw new WindowsError(STATUS_CONFLICTING_ADDRESSES, 'the image base is taken and the DLL has no relocations (B93)', ERROR_INVALID_ADDRESS);
    }
    base = findBase(process, size, top);
    if (!kernelRelocates) status = STATUS_IMAGE_NOT_AT_BASE;
  }
  // B92: NtMapViewOfSection leaves an image the kernel does not relocate as it is: no fixups away from its base.
  const unrelocated = mapping.kernelOnly && !kernelRelocates && base !== pe.imageBase;

  const view = {
    section,
    firstPage: 0,
    access: FILE_MAP_EXECUTE | FILE_MAP_COPY,
    kernelRelocated: kernelRelocates,
    ...(unrelocated ? { unrelocated } : {}),
    ...(mapping.inheritDisposition === VIEW_UNMAP ? { inheritDisposition: VIEW_UNMAP } : {}),
  };
  const allocation = new Allocation(base, size, PAGE_EXECUTE_WRITECOPY, MEM_IMAGE, view);
  allocation.protect.set(info.protections);
  if (aslr && base === aslrBaseFor(section) && !info.relocated.has(base)) {
    info.relocated.set(base, new Float64Array(section.pageCount).fill(NO_FRAME));
  }
  if (base !== pe.imageBase && !unrelocated && !info.relocated.has(base)) {
    // B95, B81: relocation writes each fixup page, so those pages are this process's
    // private copies from the load on (a written WRITECOPY page reports READWRITE),
    // although the copy itself is made when the page is first touched. When the
    // kernel relocates, it rewrites the header's ImageBase as well (B92, choosing the base).
    allocation.copied.set(info.fixupPages);
    if (kernelRelocates) allocation.copied[info.imageBasePage] = 1;
  }
  process.regions.insert(allocation);
  section.viewCount++;
  if (mapping.eager) {
    try {
      for (let i = 0; i < allocation.pageCount; i++) if (info.fixupPages[i] === 1 || allocation.copied[i] === 1) materializePage(process, allocation, i);
    } catch (error) {
      process.unmapViewOfSection(base);
      throw error;
    }
  }
  // Fixups are applied to the fixup pages of a view away from the image base (Section.pageSource): none when there are none.
  const relocated = base !== pe.imageBase && !unrelocated && info.fixupPages.includes(1);
  return { base, status, relocated, section, image: pe };
}

function findBase(process: Process, size: number, top: number): number {
  const base = process.regions.findGap(size, ALLOCATION_GRANULARITY, LOWEST_USER_ADDRESS, top, false);
  if (base < 0) throw new WindowsError(STATUS_NO_MEMORY, 'no free range for the image');
  return base;
}
