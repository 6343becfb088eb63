/**
 * NtMapViewOfSection and NtUnmapViewOfSection: the NT flavour of MapViewOfFile and UnmapViewOfFile.
 * The view's protection is a PAGE_* value (Win32Protect) rather than FILE_MAP_* access, and the call
 * takes ZeroBits (B20), a commit size, an inherit disposition and an allocation type (B76). Like the
 * other NT calls ([nt-virtual-memory](./nt-virtual-memory.ts)) it returns `{ status, ... }` with the
 * IN OUT outputs instead of throwing, and throws a {@link WindowsError} only for arguments JavaScript
 * cannot pass as the guest's and for an exited process.
 *
 * Facts (ntdll tests `test_NtMapViewOfSection`; ReactOS kernel-mode tests `ZwMapViewOfSection`,
 * which ran against Windows Server 2003):
 * - ZeroBits 1..21 bounds the chosen address as NtAllocateVirtualMemory's does; 22..31 is
 *   STATUS_INVALID_PARAMETER_4; an explicit address that does not satisfy it is STATUS_INVALID_PARAMETER_4
 *   before its alignment is looked at.
 * - An offset or base not 64 KiB aligned is STATUS_MAPPED_ALIGNMENT; a taken range STATUS_CONFLICTING_ADDRESSES.
 *   AT_ROUND_TO_PAGE lets a 32-bit address space use a page-aligned base, rounded down; on a 64-bit one it
 *   is STATUS_INVALID_PARAMETER_9.
 * - A protection the section does not grant is STATUS_SECTION_PROTECTION (a read-only section refuses
 *   PAGE_READWRITE and every execute protection, and allows PAGE_WRITECOPY and PAGE_NOACCESS); a malformed
 *   one STATUS_INVALID_PAGE_PROTECTION.
 * - A commit size larger than the view, or non-zero for a file section without MEM_RESERVE, is
 *   STATUS_INVALID_PARAMETER_5; MEM_RESERVE on a page-file section, or with MEM_COMMIT, is
 *   STATUS_INVALID_PARAMETER_9; MEM_RESERVE on a file section lets the view run past the section's end
 *   (those pages stay reserved) and needs a section that may be written (STATUS_SECTION_PROTECTION).
 * @module
 */
import {
  AT_ROUND_TO_PAGE,
  ERROR_INVALID_PARAMETER,
  FILE_MAP_COPY,
  FILE_MAP_EXECUTE,
  FILE_MAP_READ,
  FILE_MAP_WRITE,
  MEM_COMMIT,
  MEM_LARGE_PAGES,
  MEM_RESERVE,
  MEM_TOP_DOWN,
  PAGE_EXECUTE,
  PAGE_EXECUTE_READ,
  PAGE_EXECUTE_READWRITE,
  PAGE_EXECUTE_WRITECOPY,
  PAGE_READONLY,
  PAGE_READWRITE,
  PAGE_WRITECOPY,
  SEC_RESERVE,
  STATUS_INVALID_HANDLE,
  STATUS_INVALID_PARAMETER,
  STATUS_INVALID_PARAMETER_3,
  STATUS_INVALID_PARAMETER_4,
  STATUS_INVALID_PARAMETER_5,
  STATUS_INVALID_PARAMETER_8,
  STATUS_INVALID_PARAMETER_9,
  STATUS_NOT_MAPPED_VIEW,
  STATUS_SECTION_PROTECTION,
  STATUS_SUCCESS,
  VIEW_SHARE,
  VIEW_UNMAP,
} from '../rules/constants.js';
import { WindowsError } from '../rules/errors.js';
import { mapImageView } from './image-views.js';
import { requireKnownOptions } from '../rules/known-options.js';
import { requireSize, requireUlong, statusOf, zeroBitsLimit } from './nt-virtual-memory.js';
import type { ProcessArgument } from './process-argument.js';
import { sectionAccessForView, sectionAllowsViewProtection, validateViewProtection } from '../rules/protection.js';
import type { Section } from '../records/section.js';
import { isHandleArgument, isSectionHandle, mapDataView, removeView, unmapViewOfSection, viewBytes, type SectionArgument } from './sections.js';
import { virtualAlloc } from './virtual-memory.js';

/** The arguments of {@link Process.ntMapViewOfSection} besides the section: NtMapViewOfSection's IN and IN OUT parameters. */
export interface NtMapViewOptions {
  /** Win32Protect: the view's PAGE_* protection, which the section must grant (ignored for an image section, B84). */
  protect: number;
  /** `*BaseAddress` in: 0 lets the kernel choose; otherwise 64 KiB aligned (page aligned with AT_ROUND_TO_PAGE on 32-bit). */
  address?: number;
  /** ZeroBits (B20): 1..21 keep a chosen view below `2 ** (32 - zeroBits)`; above 31 on 64-bit, a mask. Default 0. */
  zeroBits?: number;
  /** CommitSize: bytes of a SEC_RESERVE page-file section to commit from the view's start. Default 0. */
  commitSize?: number;
  /** `*SectionOffset` in: 64 KiB aligned. Default 0. */
  offset?: number;
  /** `*ViewSize` in: bytes to map; 0 maps to the end of the section. Default 0. */
  viewSize?: number;
  /** InheritDisposition: {@link VIEW_SHARE} (default) or {@link VIEW_UNMAP}, whether a forked child gets the view. */
  inheritDisposition?: number;
  /** AllocationType: MEM_TOP_DOWN, MEM_RESERVE (file sections), MEM_LARGE_PAGES (accepted; mapped with 4 KiB pages), AT_ROUND_TO_PAGE (32-bit). */
  allocationType?: number;
}

/** What {@link Process.ntMapViewOfSection} reports: the NTSTATUS and the IN OUT outputs. */
export interface NtMapViewResult {
  /**
   * STATUS_SUCCESS; STATUS_IMAGE_NOT_AT_BASE (0x40000003, a success code) for an image mapped away from its
   * base unrelocated (B91, B92); or the failure's NTSTATUS.
   */
  readonly status: number;
  /** `*BaseAddress` out: the view's base on success; the address passed in on failure. */
  readonly base: number;
  /** `*ViewSize` out: the view's size in whole pages on success (the image's mapped size for an image); the size passed in on failure. */
  readonly viewSize: number;
  /** `*SectionOffset` out: the offset mapped (unchanged: it must be aligned). */
  readonly offset: number;
}

/** An optional argument: absent (undefined) takes the default; anything else, null included, is checked as given. */
const orDefault = (value: unknown, fallback: number): unknown => (value === undefined ? fallback : value);

/** AllocationType bits NtMapViewOfSection knows; any other is STATUS_INVALID_PARAMETER_9. */
const MAP_ALLOCATION_TYPES = MEM_TOP_DOWN | MEM_RESERVE | MEM_LARGE_PAGES | AT_ROUND_TO_PAGE;

/** The FILE_MAP_* access a view protection corresponds to (the reverse of B67's table), recorded with the view. */
function accessOf(protect: number): number {
  switch (protect & 0xff) {
    case PAGE_READONLY:
      return FILE_MAP_READ;
    case PAGE_READWRITE:
      return FILE_MAP_WRITE;
    case PAGE_WRITECOPY:
      return FILE_MAP_COPY;
    case PAGE_EXECUTE:
      return FILE_MAP_EXECUTE;
    case PAGE_EXECUTE_READ:
      return FILE_MAP_EXECUTE | FILE_MAP_READ;
    case PAGE_EXECUTE_READWRITE:
      return FILE_MAP_EXECUTE | FILE_MAP_WRITE;
    case PAGE_EXECUTE_WRITECOPY:
      return FILE_MAP_EXECUTE | FILE_MAP_COPY;
    default:
      return 0;
  }
}

/**
 * NtMapViewOfSection (B20, B62, B64, B76, B77, B84, B91, B92). The order of its checks: the allocation type,
 * the inherit disposition, the protection's form, ZeroBits, the view size against user space, an explicit
 * address against ZeroBits, the section handle; then, for a data section, the protection against the
 * section, MEM_RESERVE, the offset's alignment, the view size against the section, the commit size, and
 * placement; for an image section, placement as {@link Process.mapImageView}.
 * @internal Called through {@link Process.ntMapViewOfSection}.
 */
export function ntMapViewOfSection(target: ProcessArgument, sectionOrHandle: SectionArgument, options: NtMapViewOptions): NtMapViewResult {
  const kernel = target.kernel;
  if (options === null || typeof options !== 'object') throw new WindowsError(STATUS_INVALID_PARAMETER, 'options must be an object', ERROR_INVALID_PARAMETER);
  requireKnownOptions(options, ['protect', 'address', 'zeroBits', 'commitSize', 'offset', 'viewSize', 'inheritDisposition', 'allocationType'], 'NtMapViewOptions');
  const protect = requireUlong(options.protect, 'protect');
  const address = kernel.requireAddress(orDefault(options.address, 0), 'address');
  const zeroBits = requireSize(orDefault(options.zeroBits, 0), 'zeroBits');
  const commitSize = requireSize(orDefault(options.commitSize, 0), 'commitSize');
  const offset = requireSize(orDefault(options.offset, 0), 'offset');
  const viewSize = requireSize(orDefault(options.viewSize, 0), 'viewSize');
  const inheritDisposition = requireUlong(orDefault(options.inheritDisposition, VIEW_SHARE), 'inheritDisposition');
  const allocationType = requireUlong(orDefault(options.allocationType, 0), 'allocationType');
  const fail = (status: number): NtMapViewResult => ({ status, base: address, viewSize, offset });
  const wide = kernel.userTop > 2 ** 32;

  if ((allocationType & ~MAP_ALLOCATION_TYPES) !== 0) return fail(STATUS_INVALID_PARAMETER_9); // MEM_COMMIT, SEC_NO_CHANGE, unknown bits
  if ((allocationType & AT_ROUND_TO_PAGE) !== 0 && wide) return fail(STATUS_INVALID_PARAMETER_9); // B76
  if (inheritDisposition !== VIEW_SHARE && inheritDisposition !== VIEW_UNMAP) return fail(STATUS_INVALID_PARAMETER_8);
  try {
    validateViewProtection(protect);
  } catch (error) {
    return fail(statusOf(error));
  }
  const bound = zeroBitsLimit(target, zeroBits, STATUS_INVALID_PARAMETER_4);
  if ('status' in bound) return fail(bound.status);
  if (viewSize > kernel.userTop - address) return fail(STATUS_INVALID_PARAMETER_3);
  if (address !== 0 && (address >= bound.limit || address + viewSize > bound.limit)) return fail(STATUS_INVALID_PARAMETER_4);
  // The process before the section, as NtMapViewOfSection references its ProcessHandle first.
  const process = kernel.liveOrStatus(target);
  if (typeof process === 'number') return fail(process);
  let section: Section;
  if (isHandleArgument(sectionOrHandle)) {
    // The handle must grant the access the protection needs (MmMakeSectionAccess; B65).
    try {
      section = sectionOrHandle.resolve(sectionOrHandle.handle, sectionAccessForView(protect));
    } catch (error) {
      return fail(statusOf(error));
    }
  } else if (isSectionHandle(kernel, sectionOrHandle)) section = sectionOrHandle;
  else return fail(STATUS_INVALID_HANDLE);

  if (section.image !== null) {
    // An image maps whole, with its sections' protections (B84): the protection and sizes are not the view's.
    try {
      viewBytes(section, offset, 0, false);
      if (offset !== 0) return fail(STATUS_INVALID_PARAMETER);
      const view = mapImageView(process, section, { address }, (s) => kernel.aslrBaseFor(s), bound.limit, inheritDisposition);
      return { status: view.status, base: view.base, viewSize: section.size, offset };
    } catch (error) {
      return fail(statusOf(error));
    }
  }
  if (!sectionAllowsViewProtection(section.protect, protect)) return fail(STATUS_SECTION_PROTECTION);
  const reserve = (allocationType & MEM_RESERVE) !== 0;
  if (reserve && !section.fileBacked) return fail(STATUS_INVALID_PARAMETER_9);
  if (reserve && !sectionAllowsViewProtection(section.protect, PAGE_READWRITE)) return fail(STATUS_SECTION_PROTECTION);
  let base: number;
  try {
    const bytes = viewBytes(section, offset, viewSize, reserve);
    if (commitSize > bytes || (commitSize !== 0 && section.fileBacked && !reserve)) return fail(STATUS_INVALID_PARAMETER_5);
    const pageAligned = (allocationType & AT_ROUND_TO_PAGE) !== 0;
    base = mapDataView(process, section, {
      offset,
      size: viewSize,
      address,
      protect,
      access: accessOf(protect),
      limit: address === 0 ? bound.limit : Infinity,
      topDown: (allocationType & MEM_TOP_DOWN) !== 0,
      pageAligned,
      reserve,
      inheritDisposition,
    });
  } catch (error) {
    return fail(statusOf(error));
  }
  const allocation = process.regions.find(base)!;
  if (commitSize !== 0 && (section.attributes & SEC_RESERVE) !== 0) {
    // CommitSize commits the view's first pages in the section, as VirtualAlloc(MEM_COMMIT) in the view would (B70).
    try {
      virtualAlloc(process, base, commitSize, MEM_COMMIT, protect);
    } catch (error) {
      removeView(process, allocation);
      return fail(statusOf(error));
    }
  }
  return { status: STATUS_SUCCESS, base, viewSize: allocation.size, offset };
}

/**
 * NtUnmapViewOfSection (B47): STATUS_SUCCESS, or STATUS_NOT_MAPPED_VIEW where no view is.
 * @internal Called through {@link Process.ntUnmapViewOfSection}.
 */
export function ntUnmapViewOfSection(target: ProcessArgument, address: number): number {
  address = target.kernel.requireAddress(address, 'address');
  // An address past user space is no view, whatever the process handle (NtUnmapViewOfSection checks it first).
  if (address >= target.kernel.userTop) return STATUS_NOT_MAPPED_VIEW;
  const process = target.kernel.liveOrStatus(target);
  if (typeof process === 'number') return process;
  try {
    unmapViewOfSection(process, address);
  } catch (error) {
    return statusOf(error);
  }
  return STATUS_SUCCESS;
}
