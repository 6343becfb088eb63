import { FRAME_SIZE } from '../../mmu/physical-memory.js';
import { Allocation, MAX_ALLOCATION_PAGES } from '../records/allocation.js';
import {
  ALLOCATION_GRANULARITY,
  ERROR_ACCESS_DENIED,
  ERROR_INVALID_ADDRESS,
  ERROR_INVALID_HANDLE,
  ERROR_INVALID_PARAMETER,
  LOWEST_USER_ADDRESS,
  MEM_MAPPED,
  PAGE_EXECUTE_READWRITE,
  PAGE_EXECUTE_WRITECOPY,
  PAGE_NOACCESS,
  PAGE_NOCACHE,
  PAGE_READWRITE,
  PAGE_WRITECOMBINE,
  PAGE_WRITECOPY,
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
  VIEW_SHARE,
} from '../rules/constants.js';
import { WindowsError } from '../rules/errors.js';
import { mapImageView } from './image-views.js';
import { requireKnownOptions } from '../rules/known-options.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Process } from '../kernel/process.js';
import { sectionAccessForView, sectionGrantsViewAccess, validateSectionAttributes, validateSectionProtection, viewProtection } from '../rules/protection.js';
import { NO_FRAME, Section } from '../records/section.js';

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
   * leave the kernel's file cache ([sharing and flushing](../../../docs/kernel.md#files-sharing-and-flushing)).
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
    return kernel.imageSection(file!, { maximumSize: requested, protect: options.protect });
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

/** @internal A section handle as MapViewOfFile and NtMapViewOfSection check it: open, live and this kernel's. */
export function isSectionHandle(kernel: Kernel, section: unknown): section is Section {
  return section instanceof Section && kernel.sections().includes(section) && section.open;
}

/**
 * @internal Maps a view of `section` into `process` (B63–B67, B76): MapViewOfFile's checks, then {@link mapDataView}.
 * @returns the view's base address.
 */
/**
 * @internal Resolves a handle of the calling process to its section, checked for the access a view needs (B65),
 * or throws. The object layer supplies it ([handles.ts](../objects/handles.ts)): the address-space calls know sections, not handles.
 */
export type SectionHandleResolver = (handle: number, neededAccess: number) => Section;

/** @internal What a call that takes a section receives: the object itself, or a handle and how to resolve it. */
export type SectionArgument = Section | HandleArgument;

/** @internal A handle and the resolver that turns it into its section. */
export interface HandleArgument {
  readonly handle: number;
  readonly resolve: SectionHandleResolver;
}

/** @internal Whether a section argument is a handle to resolve (anything else must be an open Section). */
export function isHandleArgument(argument: unknown): argument is HandleArgument {
  return typeof argument === 'object' && argument !== null && !(argument instanceof Section) && typeof (argument as HandleArgument).resolve === 'function';
}

export function mapViewOfSection(process: Process, sectionOrHandle: SectionArgument, options: ViewOptions): number {
  const kernel = process.kernel;
  kernel.requireLive(process);
  if (!isHandleArgument(sectionOrHandle) && !isSectionHandle(kernel, sectionOrHandle)) throw new WindowsError(STATUS_INVALID_HANDLE, 'section handle is not valid', ERROR_INVALID_HANDLE);
  if (options === null || typeof options !== 'object') throw new WindowsError(STATUS_INVALID_PARAMETER, 'options must be an object', ERROR_INVALID_PARAMETER);
  requireKnownOptions(options, ['access', 'offset', 'size', 'address'], 'ViewOptions');
  const access = options.access;
  if (typeof access !== 'number' || !Number.isInteger(access) || access < 0 || access > 0xffff_ffff) {
    throw new WindowsError(STATUS_INVALID_PARAMETER, 'access must be a FILE_MAP_* mask', ERROR_INVALID_PARAMETER);
  }
  // A handle must grant what the view's protection needs (B65) before the section's protection is compared (B64).
  const section = isHandleArgument(sectionOrHandle) ? sectionOrHandle.resolve(sectionOrHandle.handle, sectionAccessForView(viewProtection(access))) : sectionOrHandle;
  if (!sectionGrantsViewAccess(section.protect, access)) {
    throw new WindowsError(STATUS_ACCESS_DENIED, 'the section does not grant that view access (B64)', ERROR_ACCESS_DENIED);
  }
  const offset = kernel.requireAddress(options.offset ?? 0, 'offset');
  const size = kernel.requireAddress(options.size ?? 0, 'size');
  const address = kernel.requireAddress(options.address ?? 0, 'address');
  if (section.image !== null) {
    // An image section maps as an image view (B84, B91, B92), always whole: mmukit maps no partial image.
    viewBytes(section, offset, size, false);
    if (offset !== 0) throw new WindowsError(STATUS_INVALID_PARAMETER, 'an image view starts at offset 0', ERROR_INVALID_PARAMETER);
    return mapImageView(process, section, { address }, (s) => kernel.aslrBaseFor(s)).base;
  }
  const request: DataViewRequest = { offset, size, address, protect: viewProtection(access), access, limit: Infinity, topDown: false, pageAligned: false, reserve: false, inheritDisposition: VIEW_SHARE };
  return mapDataView(process, section, request);
}

/** @internal A data view to map, its arguments already checked for form: what {@link mapDataView} places. */
export interface DataViewRequest {
  /** Offset into the section in bytes; must be 64 KiB aligned (B76). */
  readonly offset: number;
  /** Bytes to map; 0 maps to the end of the section. */
  readonly size: number;
  /** Where to map; 0 lets the kernel choose. */
  readonly address: number;
  /** The view's page protection, before the section's SEC_NOCACHE / SEC_WRITECOMBINE modifiers (B67, B71). */
  readonly protect: number;
  /** The FILE_MAP_* access recorded with the view. */
  readonly access: number;
  /** One past the highest address a chosen base may end at (ZeroBits, B20); Infinity for none. */
  readonly limit: number;
  /** MEM_TOP_DOWN: choose the highest free range. */
  readonly topDown: boolean;
  /** AT_ROUND_TO_PAGE on a 32-bit address space (B76): the base needs only page alignment and is rounded down. */
  readonly pageAligned: boolean;
  /** MEM_RESERVE on a file section: the view may run past the section's end; those pages stay reserved. */
  readonly reserve: boolean;
  /** {@link VIEW_SHARE} or {@link VIEW_UNMAP}. */
  readonly inheritDisposition: number;
}

/**
 * @internal The bytes a view of `size` (0: to the section's end) at `offset` maps, or the failure: an offset not
 * 64 KiB aligned (B76), past the end, or a view running past the section's end (B62; allowed with `reserve`).
 */
export function viewBytes(section: Section, offset: number, size: number, reserve: boolean): number {
  if (offset % ALLOCATION_GRANULARITY !== 0) throw new WindowsError(STATUS_MAPPED_ALIGNMENT, 'the offset is not 64 KiB aligned (B76)');
  if (offset >= section.size) throw new WindowsError(STATUS_INVALID_VIEW_SIZE, 'the offset is past the end of the section');
  const bytes = size === 0 ? section.size - offset : size;
  if (offset + bytes > section.size && !reserve) throw new WindowsError(STATUS_INVALID_VIEW_SIZE, 'the view runs past the end of the section (B62)');
  return bytes;
}

/**
 * @internal Places a data view (B62, B76, B77) and records it. The checks, in NtMapViewOfSection's order: the
 * offset's alignment, the view size against the section, the base's alignment, user space, whether the range
 * is free, and the commit charge of a copy-on-write view.
 * @returns the view's base address.
 */
export function mapDataView(process: Process, section: Section, request: DataViewRequest): number {
  const kernel = process.kernel;
  const { offset } = request;
  const length = Math.ceil(viewBytes(section, offset, request.size, request.reserve) / FRAME_SIZE) * FRAME_SIZE;
  if (length / FRAME_SIZE > MAX_ALLOCATION_PAGES) throw new WindowsError(STATUS_NO_MEMORY, 'the view is larger than one allocation may span');
  let base: number;
  if (request.address === 0) {
    base = process.regions.findGap(length, ALLOCATION_GRANULARITY, LOWEST_USER_ADDRESS, Math.min(kernel.userTop, request.limit), request.topDown);
    if (base < 0) throw new WindowsError(STATUS_NO_MEMORY, 'no free range for the view');
  } else {
    base = request.pageAligned ? request.address - (request.address % FRAME_SIZE) : request.address;
    if (base % (request.pageAligned ? FRAME_SIZE : ALLOCATION_GRANULARITY) !== 0) {
      throw new WindowsError(STATUS_MAPPED_ALIGNMENT, 'the view address is not 64 KiB aligned (B76)');
    }
    if (base < LOWEST_USER_ADDRESS || base + length > kernel.userTop) {
      throw new WindowsError(STATUS_INVALID_PARAMETER, 'the view address is outside user space', ERROR_INVALID_PARAMETER);
    }
    if (process.regions.overlapping(base, base + length).length > 0) {
      throw new WindowsError(STATUS_CONFLICTING_ADDRESSES, 'the view address is in use (B76)', ERROR_INVALID_ADDRESS);
    }
  }
  // B77: a copy-on-write view is charged for every page it maps, when it is mapped (each may become a private copy).
  const baseProtect = request.protect & 0xff; // PAGE_GUARD and the cache modifiers do not change what a view may copy
  const copyOnWrite = baseProtect === PAGE_WRITECOPY || baseProtect === PAGE_EXECUTE_WRITECOPY;
  const commitCharge = copyOnWrite ? Math.min(length / FRAME_SIZE, section.pageCount - offset / FRAME_SIZE) : 0;
  kernel.charge(commitCharge);
  // SEC_NOCACHE / SEC_WRITECOMBINE show up in the view's protection (B71).
  const modifiers = (section.attributes & SEC_NOCACHE ? PAGE_NOCACHE : 0) | (section.attributes & SEC_WRITECOMBINE ? PAGE_WRITECOMBINE : 0);
  // A protection that names its own modifier (NtMapViewOfSection's Win32Protect) keeps it alone: modifiers do not combine (B10).
  const protect = request.protect === PAGE_NOACCESS || request.protect > 0xff ? request.protect : request.protect | modifiers;
  const view = {
    section,
    firstPage: offset / FRAME_SIZE,
    access: request.access,
    ...(commitCharge > 0 ? { commitCharge } : {}),
    ...(request.inheritDisposition !== VIEW_SHARE ? { inheritDisposition: request.inheritDisposition } : {}),
  };
  const allocation = new Allocation(base, length, protect, MEM_MAPPED, view);
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
 * `[address, address + size)` (size 0: to the view's end) back to the file.
 * @returns the number of pages written.
 */
export function flushViewOfFile(process: Process, address: number, size: number): number {
  const kernel = process.kernel;
  kernel.requireLive(process);
  address = kernel.requireAddress(address, 'address');
  size = kernel.requireAddress(size, 'size');
  const allocation = process.regions.find(address);
  // As the Windows Research Kernel's MmFlushVirtualMemory (flushsec.c): no allocation, private memory or a range
  // past the view's end → STATUS_NOT_MAPPED_VIEW; anonymous and image views have nothing to write (NOT_MAPPED_DATA,
  // which FlushViewOfFile forgives).
  const notMapped = (why: string) => new WindowsError(STATUS_NOT_MAPPED_VIEW, `0x${address.toString(16)}: ${why}`, ERROR_INVALID_ADDRESS);
  if (allocation === undefined) throw notMapped('no mapped view here');
  if (allocation.view === null) throw notMapped('private memory, not a mapped view');
  const first = Math.floor((address - allocation.base) / FRAME_SIZE);
  const end = size === 0 ? allocation.pageCount : Math.ceil((address - allocation.base + size) / FRAME_SIZE);
  if (end > allocation.pageCount) throw notMapped('the range runs past the end of the view');
  const view = allocation.view;
  // Pages of a MEM_RESERVE view past the section's end hold nothing to write.
  return view.section.writeBack(view.firstPage + first, Math.min(view.firstPage + end, view.section.pageCount), kernel.memory);
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
  const view = allocation.view!;
  kernel.uncharge(view.commitCharge ?? 0);
  const section = view.section;
  section.viewCount--;
  kernel.destroySectionIfUnused(section);
}
