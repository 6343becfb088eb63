import { FRAME_SIZE } from '../mmu/physical-memory.js';
import { Allocation, MAX_ALLOCATION_PAGES } from './allocation.js';
import {
  ALLOCATION_GRANULARITY,
  ERROR_ACCESS_DENIED,
  ERROR_INVALID_ADDRESS,
  ERROR_INVALID_HANDLE,
  ERROR_INVALID_PARAMETER,
  LOWEST_USER_ADDRESS,
  MEM_MAPPED,
  PAGE_EXECUTE_READWRITE,
  PAGE_NOACCESS,
  PAGE_NOCACHE,
  PAGE_READWRITE,
  PAGE_WRITECOMBINE,
  SEC_COMMIT,
  SEC_IMAGE,
  SEC_NOCACHE,
  SEC_WRITECOMBINE,
  STATUS_ACCESS_DENIED,
  STATUS_CONFLICTING_ADDRESSES,
  STATUS_INVALID_HANDLE,
  STATUS_INVALID_PARAMETER,
  STATUS_INVALID_VIEW_SIZE,
  STATUS_MAPPED_ALIGNMENT,
  STATUS_MAPPED_FILE_SIZE_ZERO,
  STATUS_NO_MEMORY,
  STATUS_NOT_MAPPED_VIEW,
  STATUS_SECTION_TOO_BIG,
} from './constants.js';
import { WindowsError } from './errors.js';
import { mapImageView } from './image/loader.js';
import { requireKnownOptions } from './known-options.js';
import type { Kernel } from './kernel.js';
import type { Process } from './process.js';
import { sectionGrantsViewAccess, validateSectionAttributes, validateSectionProtection, viewProtection } from './protection.js';
import { NO_FRAME, Section } from './section.js';

/** Options of {@link Kernel.createSection} (CreateFileMapping). */
export interface SectionOptions {
  /** Page protection of the section (B60): READONLY, READWRITE, WRITECOPY, EXECUTE_READ, EXECUTE_READWRITE or EXECUTE_WRITECOPY. */
  protect: number;
  /**
   * Size in bytes. Anonymous: required, rounded up to a page (4 KiB). File-backed: 0 or absent for the
   * file's size, or any size up to it; a larger size grows the file when the protection is PAGE_READWRITE
   * or PAGE_EXECUTE_READWRITE (the section is then this size, and its bytes past the array's end start as
   * zeros; the array itself cannot grow) and fails with STATUS_SECTION_TOO_BIG otherwise (B62).
   */
  size?: number;
  /**
   * SEC_COMMIT (default for anonymous sections), SEC_RESERVE, optionally with SEC_NOCACHE or SEC_WRITECOMBINE (B61);
   * or, with a file, SEC_IMAGE: the file's image section, as {@link Kernel.createImageSection} makes it (B89, B90).
   */
  attributes?: number;
  /**
   * The file's contents for a file-backed section. Every data section over the same array shares its
   * pages; their dirty pages are written back to it by {@link Process.flushViewOfFile} and when they
   * leave the kernel's file cache ([sharing and flushing](../../docs/kernel.md#files-sharing-and-flushing)).
   * Copy-on-write views never write to it (B75).
   */
  file?: Uint8Array;
}

/** Options of {@link Process.mapViewOfSection} (MapViewOfFile / NtMapViewOfSection). */
export interface ViewOptions {
  /** FILE_MAP_* access (B64, B67). */
  access: number;
  /** Offset into the section in bytes, a multiple of 64 KiB (B76). Default 0. */
  offset?: number;
  /** Bytes to map (rounded up to whole pages); 0 or absent maps to the end of the section. */
  size?: number;
  /** Where to map: 0 or absent lets the kernel choose; otherwise a free, 64 KiB-aligned address (B76). */
  address?: number;
}

/**
 * @internal Builds a section per B60–B62 and charges commit for SEC_COMMIT anonymous sections. With
 * SEC_IMAGE and a file, returns the file's image section from {@link Kernel.createImageSection}
 * (already registered: the caller must not register it again).
 */
export function createSection(kernel: Kernel, id: number, options: SectionOptions): Section {
  if (options === null || typeof options !== 'object') throw new WindowsError(STATUS_INVALID_PARAMETER, 'options must be an object', ERROR_INVALID_PARAMETER);
  requireKnownOptions(options, ['protect', 'size', 'attributes', 'file'], 'SectionOptions');
  const file = options.file ?? null;
  if (file !== null && !(file instanceof Uint8Array)) throw new WindowsError(STATUS_INVALID_PARAMETER, 'file must be a Uint8Array', ERROR_INVALID_PARAMETER);
  validateSectionProtection(options.protect);
  const attributes = validateSectionAttributes(options.attributes ?? 0, file === null);
  const requested = options.size ?? 0;
  if (typeof requested !== 'number' || !Number.isInteger(requested) || requested < 0 || requested > kernel.userTop) {
    throw new WindowsError(STATUS_INVALID_PARAMETER, `size must be a non-negative integer, got ${String(requested)}`, ERROR_INVALID_PARAMETER);
  }
  if ((attributes & SEC_IMAGE) !== 0) {
    // CreateFileMapping(SEC_IMAGE) of a file is NtCreateSection(SEC_IMAGE): the file's image section,
    // with the size as its MaximumSize (B90) and the protection checked, then ignored (B61).
    return kernel.createImageSection(file!, { maximumSize: requested, protect: options.protect });
  }
  let size: number;
  if (file === null) {
    if (requested === 0) throw new WindowsError(STATUS_INVALID_PARAMETER, 'an anonymous section needs a size (B62)', ERROR_INVALID_PARAMETER);
    size = Math.ceil(requested / FRAME_SIZE) * FRAME_SIZE;
  } else if (requested === 0) {
    if (file.length === 0) throw new WindowsError(STATUS_MAPPED_FILE_SIZE_ZERO, 'the file is empty and no size was given (B62)');
    size = file.length;
  } else {
    // B62: a section larger than its file grows the file when the section may write it (READWRITE or
    // EXECUTE_READWRITE, as Wine's NtCreateSection asks for FILE_WRITE_DATA); otherwise it is too big.
    if (requested > file.length && options.protect !== PAGE_READWRITE && options.protect !== PAGE_EXECUTE_READWRITE) {
      throw new WindowsError(STATUS_SECTION_TOO_BIG, 'the section is larger than its file, and a section without write access cannot grow it (B62)');
    }
    size = requested;
  }
  const pageCount = Math.ceil(size / FRAME_SIZE);
  const charged = file === null && (attributes & SEC_COMMIT) !== 0;
  // The commit limit first (what Windows would report), then what the records can hold.
  if (charged) kernel.charge(pageCount);
  if (pageCount > MAX_ALLOCATION_PAGES) {
    if (charged) kernel.uncharge(pageCount);
    throw new WindowsError(STATUS_NO_MEMORY, `a section of 0x${size.toString(16)} bytes is more than the ${MAX_ALLOCATION_PAGES * FRAME_SIZE / 2 ** 30} GiB one section may span`);
  }
  return new Section(id, size, options.protect, attributes, file);
}

/**
 * @internal Maps a view of `section` into `process` (B63–B67, B76).
 * @returns the view's base address.
 */
export function mapViewOfSection(process: Process, section: Section, options: ViewOptions): number {
  const kernel = process.kernel;
  kernel.requireLive(process);
  if (!(section instanceof Section) || !kernel.sections().includes(section) || !section.open) {
    throw new WindowsError(STATUS_INVALID_HANDLE, 'section handle is not valid', ERROR_INVALID_HANDLE);
  }
  if (options === null || typeof options !== 'object') throw new WindowsError(STATUS_INVALID_PARAMETER, 'options must be an object', ERROR_INVALID_PARAMETER);
  requireKnownOptions(options, ['access', 'offset', 'size', 'address'], 'ViewOptions');
  const access = options.access;
  if (typeof access !== 'number' || !Number.isInteger(access) || access < 0 || access > 0xffff_ffff) {
    throw new WindowsError(STATUS_INVALID_PARAMETER, 'access must be a FILE_MAP_* mask', ERROR_INVALID_PARAMETER);
  }
  if (!sectionGrantsViewAccess(section.protect, access)) {
    throw new WindowsError(STATUS_ACCESS_DENIED, 'the section does not grant that view access (B64)', ERROR_ACCESS_DENIED);
  }
  const offset = kernel.requireAddress(options.offset ?? 0, 'offset');
  if (offset % ALLOCATION_GRANULARITY !== 0) throw new WindowsError(STATUS_MAPPED_ALIGNMENT, 'the offset is not 64 KiB aligned (B76)');
  if (offset >= section.size) throw new WindowsError(STATUS_INVALID_VIEW_SIZE, 'the offset is past the end of the section');
  const requested = kernel.requireAddress(options.size ?? 0, 'size');
  const size = requested === 0 ? section.size - offset : requested;
  if (offset + size > section.size) throw new WindowsError(STATUS_INVALID_VIEW_SIZE, 'the view runs past the end of the section (B62)');
  if (section.image !== null) {
    // An image section maps as an image view (B84, B91, B92), always whole: mmukit maps no partial image.
    if (offset !== 0) throw new WindowsError(STATUS_INVALID_PARAMETER, 'an image view starts at offset 0', ERROR_INVALID_PARAMETER);
    return mapImageView(process, section, { address: options.address ?? 0 }, (s) => kernel.aslrBaseFor(s)).base;
  }
  const length = Math.ceil(size / FRAME_SIZE) * FRAME_SIZE;
  const address = kernel.requireAddress(options.address ?? 0, 'address');
  let base: number;
  if (address === 0) {
    base = process.regions.findGap(length, ALLOCATION_GRANULARITY, LOWEST_USER_ADDRESS, kernel.userTop, false);
    if (base < 0) throw new WindowsError(STATUS_NO_MEMORY, 'no free range for the view');
  } else {
    if (address % ALLOCATION_GRANULARITY !== 0) throw new WindowsError(STATUS_MAPPED_ALIGNMENT, 'the view address is not 64 KiB aligned (B76)');
    if (address < LOWEST_USER_ADDRESS || address + length > kernel.userTop) {
      throw new WindowsError(STATUS_INVALID_PARAMETER, 'the view address is outside user space', ERROR_INVALID_PARAMETER);
    }
    if (process.regions.overlapping(address, address + length).length > 0) {
      throw new WindowsError(STATUS_CONFLICTING_ADDRESSES, 'the view address is in use (B76)', ERROR_INVALID_ADDRESS);
    }
    base = address;
  }
  // SEC_NOCACHE / SEC_WRITECOMBINE show up in the view's protection (B71).
  const viewBase = viewProtection(access);
  const modifiers = (section.attributes & SEC_NOCACHE ? PAGE_NOCACHE : 0) | (section.attributes & SEC_WRITECOMBINE ? PAGE_WRITECOMBINE : 0);
  const protect = viewBase === PAGE_NOACCESS ? viewBase : viewBase | modifiers;
  const allocation = new Allocation(base, length, protect, MEM_MAPPED, { section, firstPage: offset / FRAME_SIZE, access });
  allocation.protect.fill(protect);
  process.regions.insert(allocation);
  section.viewCount++;
  return base;
}

/**
 * @internal Unmaps the view containing `address` (B47): any address inside a view unmaps all of it.
 */
export function unmapViewOfSection(process: Process, address: number): void {
  const kernel = process.kernel;
  kernel.requireLive(process);
  address = kernel.requireAddress(address, 'address');
  const allocation = process.regions.find(address);
  if (allocation === undefined || allocation.view === null) {
    throw new WindowsError(STATUS_NOT_MAPPED_VIEW, `0x${address.toString(16)} is not in a view (B47)`, ERROR_INVALID_ADDRESS);
  }
  removeView(process, allocation);
}

/**
 * @internal FlushViewOfFile (NtFlushVirtualMemory): writes the dirty file pages of the view range
 * `[address, address + size)` (size 0: to the view's end; clamped to the view) back to the file.
 * @returns the number of pages written.
 */
export function flushViewOfFile(process: Process, address: number, size: number): number {
  const kernel = process.kernel;
  kernel.requireLive(process);
  address = kernel.requireAddress(address, 'address');
  size = kernel.requireAddress(size, 'size');
  const allocation = process.regions.find(address);
  if (allocation === undefined) {
    // Wine's NtFlushVirtualMemory: no view at the address → STATUS_INVALID_PARAMETER.
    throw new WindowsError(STATUS_INVALID_PARAMETER, `0x${address.toString(16)} is not in a mapped view`, ERROR_INVALID_PARAMETER);
  }
  if (allocation.view === null) {
    throw new WindowsError(STATUS_NOT_MAPPED_VIEW, `0x${address.toString(16)} is private memory, not a mapped view`, ERROR_INVALID_ADDRESS);
  }
  const first = Math.floor((address - allocation.base) / FRAME_SIZE);
  const end = size === 0 ? allocation.pageCount : Math.min(allocation.pageCount, Math.ceil((address - allocation.base + size) / FRAME_SIZE));
  const view = allocation.view;
  return view.section.writeBack(view.firstPage + first, view.firstPage + end, kernel.memory);
}

/** @internal Drops a view's frames, entries and record (unmap, or process exit). */
export function removeView(process: Process, allocation: Allocation): void {
  const kernel = process.kernel;
  for (let i = 0; i < allocation.pageCount; i++) {
    const frame = allocation.frame[i];
    if (frame === NO_FRAME) continue;
    const va = allocation.base + i * FRAME_SIZE;
    if (process.space.clear(va)) kernel.shootdown(process, va, null);
    allocation.frame[i] = NO_FRAME;
    kernel.frames.release(frame);
  }
  process.regions.remove(allocation);
  const section = allocation.view!.section;
  section.viewCount--;
  kernel.destroySectionIfUnused(section);
}
