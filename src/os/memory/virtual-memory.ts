import { FRAME_SIZE } from '../../mmu/physical-memory.js';
import { Allocation, MAX_ALLOCATION_PAGES } from '../records/allocation.js';
import {
  ALLOCATION_GRANULARITY,
  AT_ROUND_TO_PAGE,
  ERROR_ACCESS_DENIED,
  ERROR_INVALID_ADDRESS,
  ERROR_INVALID_PARAMETER,
  ERROR_NOT_SUPPORTED,
  LOWEST_USER_ADDRESS,
  MEM_COMMIT,
  MEM_DECOMMIT,
  MEM_FREE,
  MEM_IMAGE,
  MEM_PRIVATE,
  MEM_RELEASE,
  MEM_RESERVE,
  MEM_RESET,
  MEM_RESET_UNDO,
  MEM_TOP_DOWN,
  MEM_WRITE_WATCH,
  PAGE_EXECUTE_WRITECOPY,
  PAGE_NOACCESS,
  PAGE_NOCACHE,
  PAGE_WRITECOMBINE,
  PAGE_WRITECOPY,
  STATUS_ALREADY_COMMITTED,
  STATUS_CONFLICTING_ADDRESSES,
  STATUS_FREE_VM_NOT_AT_BASE,
  STATUS_INVALID_PAGE_PROTECTION,
  STATUS_INVALID_PARAMETER,
  STATUS_MEMORY_NOT_ALLOCATED,
  STATUS_NOT_COMMITTED,
  STATUS_NOT_SUPPORTED,
  STATUS_NO_MEMORY,
  STATUS_UNABLE_TO_FREE_VM,
  WRITE_WATCH_FLAG_RESET,
} from '../rules/constants.js';
import { WindowsError } from '../rules/errors.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Process } from '../kernel/process.js';
import type { ProcessArgument } from './process-argument.js';
import {
  imageRequestedProtection,
  protectionName,
  reportedProtection,
  validateAllocProtection,
  validateViewProtection,
  viewProtectAllowed,
} from '../rules/protection.js';
import { NO_FRAME } from '../records/section.js';

const PAGE = FRAME_SIZE;
const ALLOCATION_MODIFIERS = PAGE_NOCACHE | PAGE_WRITECOMBINE;

/** What VirtualQuery reports for one region (MEMORY_BASIC_INFORMATION, B23–B29), from {@link Process.virtualQuery}. Addresses and sizes in bytes. */
export interface MemoryBasicInformation {
  /** The queried address rounded down to a page (B24). */
  baseAddress: number;
  /** Base of the allocation, or 0 for free memory. */
  allocationBase: number;
  /** The allocation's initial protection, or 0 for free memory (B27). */
  allocationProtect: number;
  /** Bytes from `baseAddress` to the end of the run of pages alike (B24–B26): a multiple of 4096. */
  regionSize: number;
  /** MEM_COMMIT, MEM_RESERVE or MEM_FREE. */
  state: number;
  /** Protection of the pages: 0 when reserved, PAGE_NOACCESS when free (B2, B23). */
  protect: number;
  /** MEM_PRIVATE, MEM_MAPPED, MEM_IMAGE, or 0 for free memory. */
  type: number;
}

const roundUp = (value: number, to: number): number => Math.ceil(value / to) * to;
const roundDown = (value: number, to: number): number => Math.floor(value / to) * to;

/** Whether the base of `protect` is PAGE_WRITECOPY or PAGE_EXECUTE_WRITECOPY: views only (B12). */
function isCopyOnWrite(protect: number): boolean {
  const base = protect & 0xff;
  return base === PAGE_WRITECOPY || base === PAGE_EXECUTE_WRITECOPY;
}

function invalidParameter(message: string): WindowsError {
  return new WindowsError(STATUS_INVALID_PARAMETER, message, ERROR_INVALID_PARAMETER);
}

function checkSize(kernel: Kernel, size: unknown): number {
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 0 || size > kernel.userTop) {
    throw invalidParameter(`size must be an integer in [0, 0x${kernel.userTop.toString(16)}], got ${String(size)}`);
  }
  return size;
}

/** Refuses an allocation whose per-page records the kernel cannot hold (see {@link MAX_ALLOCATION_PAGES}). */
function requireRecordable(length: number): void {
  if (length / PAGE > MAX_ALLOCATION_PAGES) {
    throw new WindowsError(STATUS_NO_MEMORY, `0x${length.toString(16)} bytes is more than the ${MAX_ALLOCATION_PAGES * PAGE / 2 ** 30} GiB one allocation may span`);
  }
}

function checkRange(kernel: Kernel, start: number, end: number): void {
  if (start < LOWEST_USER_ADDRESS || end > kernel.userTop) {
    throw invalidParameter(`range 0x${start.toString(16)}-0x${end.toString(16)} is outside user space`);
  }
}

/**
 * VirtualAlloc (kernel32 semantics, B1–B22): reserves, commits or resets a
 * range of `process`'s address space.
 *
 * Checks in the order of [error precedence](../../../docs/kernel.md#which-error-wins): the
 * arguments alone (forms, size 0, allocation-type flags, the protection's form, a reservation
 * outside user space), then the process, then what mmukit does not implement, then the
 * address space (B12 for private memory, placement, B19, B69).
 *
 * - MEM_RESERVE rounds an explicit address down to 64 KiB; MEM_COMMIT and
 *   MEM_RESET round it down to a page; the size covers every page the range
 *   touches (B18). A NULL address picks the lowest free 64 KiB-aligned range
 *   (the highest with MEM_TOP_DOWN).
 * - MEM_COMMIT without MEM_RESERVE needs the whole range inside one existing
 *   allocation (B19), or a NULL address (then it reserves too, B13).
 * - Committing does not allocate frames: each page gets a zeroed frame on first touch.
 * - MEM_RESET accepts the range and leaves the contents as they are (B7, B8: either is allowed).
 * - MEM_RESERVE | MEM_WRITE_WATCH makes a write-watched reservation (B21, B103), whatever the
 *   protection; see {@link getWriteWatch}.
 *
 * @param limit - one past the highest address a reservation at a NULL address may end at
 *   (NtAllocateVirtualMemory's ZeroBits, B20); the top of user space when omitted.
 * @returns the base of the range.
 * @throws {@link WindowsError} with the Win32 error and NTSTATUS of the failure; nothing changes then.
 * @internal Called through {@link Process.virtualAlloc} and {@link Process.ntAllocateVirtualMemory}.
 */
export function virtualAlloc(target: ProcessArgument, address: number, size: number, allocationType: number, protect: number, limit = Infinity): number {
  const kernel = target.kernel;
  // 1. The arguments alone.
  address = kernel.requireAddress(address, 'address');
  size = checkSize(kernel, size);
  if (size === 0) throw invalidParameter('size is 0 (B1)');
  if (typeof allocationType !== 'number' || !Number.isInteger(allocationType) || allocationType < 0 || allocationType > 0xffff_ffff) {
    throw invalidParameter(`allocationType must be a DWORD, got ${String(allocationType)}`);
  }
  if (allocationType & AT_ROUND_TO_PAGE) throw invalidParameter('AT_ROUND_TO_PAGE is not a VirtualAlloc flag (B16)');
  const known = MEM_COMMIT | MEM_RESERVE | MEM_RESET | MEM_TOP_DOWN | MEM_WRITE_WATCH | MEM_RESET_UNDO;
  if ((allocationType & ~known) !== 0) throw invalidParameter(`unknown allocation type bits 0x${(allocationType & ~known).toString(16)} (B16)`);
  if (allocationType & MEM_WRITE_WATCH && !(allocationType & MEM_RESERVE)) throw invalidParameter('MEM_WRITE_WATCH needs MEM_RESERVE (B21)');
  const reset = (allocationType & MEM_RESET) !== 0;
  if (reset && allocationType & (MEM_COMMIT | MEM_RESERVE)) throw invalidParameter('MEM_RESET cannot be combined with MEM_COMMIT or MEM_RESERVE');
  if (!(allocationType & (MEM_COMMIT | MEM_RESERVE | MEM_RESET | MEM_RESET_UNDO))) throw invalidParameter('allocationType needs MEM_COMMIT, MEM_RESERVE or MEM_RESET');
  const allocating = (allocationType & (MEM_COMMIT | MEM_RESERVE)) !== 0;
  const reserving = allocating && ((allocationType & MEM_RESERVE) !== 0 || address === 0);
  // The protection's form only (B10, B11, B33): whether PAGE_WRITECOPY fits depends on the
  // memory (private, B12; a view, B69), known once the range is looked up. MEM_RESET ignores it (B7).
  if (allocating) validateViewProtection(protect);
  if (reserving && address !== 0) {
    const [base, length] = reservationRange(address, size);
    checkRange(kernel, base, base + length);
  }
  // 2. The process.
  const process = kernel.requireLive(target);
  // 3. What mmukit does not implement.
  if (allocationType & MEM_RESET_UNDO) throw new WindowsError(STATUS_NOT_SUPPORTED, 'MEM_RESET_UNDO is not implemented', ERROR_NOT_SUPPORTED);
  // 4. The address space.
  if (reset) {
    const start = roundDown(address, PAGE);
    const end = roundUp(address + size, PAGE);
    const allocation = process.regions.find(start);
    if (allocation === undefined || end > allocation.end) {
      throw new WindowsError(STATUS_CONFLICTING_ADDRESSES, 'MEM_RESET range is not inside one allocation (B9)', ERROR_INVALID_ADDRESS);
    }
    return start; // B7: contents may stay; the protection argument is ignored.
  }
  if (reserving) return reserve(process, address, size, allocationType, protect, limit);
  return commit(process, address, size, protect);
}

/** The range MEM_RESERVE at an explicit `address` covers (B18): from `address` rounded down to 64 KiB to the end of the last page touched. */
function reservationRange(address: number, size: number): [base: number, length: number] {
  const base = roundDown(address, ALLOCATION_GRANULARITY);
  return [base, roundUp(address + size, PAGE) - base];
}

function reserve(process: Process, address: number, size: number, allocationType: number, protect: number, limit: number): number {
  const kernel = process.kernel;
  validateAllocProtection(protect); // B12: a reservation is private memory, no WRITECOPY
  let base: number;
  let length: number;
  if (address === 0) {
    length = roundUp(size, PAGE);
    requireRecordable(length);
    base = process.regions.findGap(length, ALLOCATION_GRANULARITY, LOWEST_USER_ADDRESS, Math.min(kernel.userTop, limit), (allocationType & MEM_TOP_DOWN) !== 0);
    if (base < 0) throw new WindowsError(STATUS_NO_MEMORY, `no free range of 0x${length.toString(16)} bytes`);
  } else {
    [base, length] = reservationRange(address, size); // inside user space: checked with the arguments
    requireRecordable(length);
    if (process.regions.overlapping(base, base + length).length > 0) {
      throw new WindowsError(STATUS_CONFLICTING_ADDRESSES, `0x${base.toString(16)} is already in use (B17)`, ERROR_INVALID_ADDRESS);
    }
  }
  const allocation = new Allocation(base, length, protect, MEM_PRIVATE, null, (allocationType & MEM_WRITE_WATCH) !== 0);
  if (allocationType & MEM_COMMIT) {
    kernel.charge(allocation.pageCount);
    allocation.committed.fill(1);
    allocation.protect.fill(protect);
  }
  process.regions.insert(allocation);
  return base;
}

function commit(process: Process, address: number, size: number, protect: number): number {
  const kernel = process.kernel;
  const start = roundDown(address, PAGE);
  const end = roundUp(address + size, PAGE);
  const allocation = process.regions.find(start);
  if (allocation === undefined || end > allocation.end) {
    throw new WindowsError(STATUS_NOT_COMMITTED, 'MEM_COMMIT range is not inside one reservation (B19)', ERROR_INVALID_ADDRESS);
  }
  const first = allocation.pageIndex(start);
  const last = allocation.pageIndex(end - 1);
  const view = allocation.view;
  if (view === null) validateAllocProtection(protect); // B12: private memory refuses WRITECOPY
  else {
    if (view.section.fileBacked || allocation.type === MEM_IMAGE) {
      throw new WindowsError(STATUS_ALREADY_COMMITTED, 'cannot commit in a file-backed or image view (B69)', ERROR_ACCESS_DENIED);
    }
    // B69: an anonymous view commits with any protection within its access, WRITECOPY included (B68's rule).
    if (!viewProtectAllowed(allocation.allocationProtect, protect)) throw invalidParameter('protection not allowed by the view (B69)');
  }
  const stored = storedProtection(allocation, protect);
  // Charge first: all-or-nothing.
  let fresh = 0;
  for (let i = first; i <= last; i++) if (!allocation.isCommitted(i)) fresh++;
  kernel.charge(fresh);
  for (let i = first; i <= last; i++) {
    if (view !== null) view.section.committed[view.firstPage + i] = 1;
    else allocation.committed[i] = 1;
    allocation.protect[i] = stored;
  }
  resyncPages(process, allocation, first, last);
  return start;
}

/** The protection a page keeps: NOCACHE and WRITECOMBINE are allocation-wide (B14). */
function storedProtection(allocation: Allocation, protect: number): number {
  return (protect & ~ALLOCATION_MODIFIERS) | (allocation.allocationProtect & ALLOCATION_MODIFIERS);
}

/** Rewrites the entries of pages `first..last` and shoots down those that were present. */
function resyncPages(process: Process, allocation: Allocation, first: number, last: number): void {
  const kernel = process.kernel;
  for (let i = first; i <= last; i++) {
    if (allocation.frame[i] === NO_FRAME) continue;
    if (process.space.syncPage(allocation, i, kernel.zeroFrame)) kernel.shootdown(process, allocation.base + i * PAGE, null);
  }
}

/** @internal Drops the frames of pages `first..last` and their entries. */
export function dropPages(process: Process, allocation: Allocation, first: number, last: number): void {
  const kernel = process.kernel;
  for (let i = first; i <= last; i++) {
    const frame = allocation.frame[i];
    if (frame === NO_FRAME) continue;
    const va = allocation.base + i * PAGE;
    if (process.space.clear(va)) kernel.shootdown(process, va, null);
    allocation.frame[i] = NO_FRAME;
    allocation.copied[i] = 0;
    kernel.frames.release(frame);
  }
}

/**
 * VirtualFree (kernel32 semantics, B39–B48): MEM_DECOMMIT or MEM_RELEASE, exactly one.
 *
 * - MEM_RELEASE needs size 0 and the allocation's base (B41, B42); the whole allocation goes.
 * - MEM_DECOMMIT with size 0 decommits the whole allocation (address at its base); otherwise
 *   every page the range touches, which must lie inside the allocation (B43, B45).
 *   Decommitting reserved pages is not an error (B40).
 * - Views cannot be freed: only unmapped (B46).
 *
 * Checks the arguments first (B39, then kernel32's own B41 before anything else is looked at,
 * then a NULL address), then the process, then the allocation (B45, B46, B42).
 *
 * @throws {@link WindowsError}; nothing changes then.
 * @internal Called through {@link Process.virtualFree}.
 */
export function virtualFree(target: ProcessArgument, address: number, size: number, freeType: number): void {
  const kernel = target.kernel;
  address = kernel.requireAddress(address, 'address');
  size = checkSize(kernel, size);
  if (freeType !== MEM_DECOMMIT && freeType !== MEM_RELEASE) throw invalidParameter('freeType must be MEM_DECOMMIT or MEM_RELEASE, not both (B39)');
  // kernel32's VirtualFree refuses this before it calls NtFreeVirtualMemory: whatever the address (B41).
  if (freeType === MEM_RELEASE && size !== 0) throw invalidParameter('MEM_RELEASE needs size 0 (B41)');
  if (address === 0) throw invalidParameter('address is NULL (B45)');
  const process = kernel.requireLive(target);
  const start = roundDown(address, PAGE);
  const allocation = process.regions.find(start);
  if (allocation === undefined) {
    throw new WindowsError(STATUS_MEMORY_NOT_ALLOCATED, `0x${start.toString(16)} is not allocated (B45)`, ERROR_INVALID_ADDRESS);
  }
  if (allocation.view !== null) throw invalidParameter('views are freed by unmapping them (B46)');
  if (freeType === MEM_RELEASE) {
    if (start !== allocation.base) {
      throw new WindowsError(STATUS_FREE_VM_NOT_AT_BASE, 'MEM_RELEASE must name the allocation base (B42)', ERROR_INVALID_ADDRESS);
    }
    releaseAllocation(process, allocation);
    return;
  }
  let first: number;
  let last: number;
  if (size === 0) {
    if (start !== allocation.base) {
      throw new WindowsError(STATUS_FREE_VM_NOT_AT_BASE, 'MEM_DECOMMIT with size 0 must name the allocation base (B42)', ERROR_INVALID_ADDRESS);
    }
    first = 0;
    last = allocation.pageCount - 1;
  } else {
    const end = roundUp(address + size, PAGE);
    if (end > allocation.end) throw new WindowsError(STATUS_UNABLE_TO_FREE_VM, 'range runs past the allocation (B45)', ERROR_INVALID_PARAMETER);
    first = allocation.pageIndex(start);
    last = allocation.pageIndex(end - 1);
  }
  decommitPages(process, allocation, first, last);
}

/**
 * @internal Decommits pages `first..last` of a private allocation: they become reserved
 * (B40), lose their frames, entries, commit charge and locks (VirtualLock).
 */
export function decommitPages(process: Process, allocation: Allocation, first: number, last: number): void {
  let released = 0;
  for (let i = first; i <= last; i++) {
    if (allocation.committed[i]) released++;
    allocation.committed[i] = 0;
    allocation.protect[i] = 0;
  }
  if (allocation.locked !== null) allocation.locked.fill(0, first, last + 1);
  dropPages(process, allocation, first, last);
  process.kernel.uncharge(released);
}

/** @internal Removes a private allocation entirely (release, or process exit). */
export function releaseAllocation(process: Process, allocation: Allocation): void {
  let committed = 0;
  for (let i = 0; i < allocation.pageCount; i++) committed += allocation.committed[i];
  dropPages(process, allocation, 0, allocation.pageCount - 1);
  process.regions.remove(allocation);
  process.kernel.uncharge(committed);
}

/**
 * VirtualProtect (B3, B5, B6, B11–B14, B32–B38, B68, B85): sets the protection
 * of every page the range touches, all of them or none.
 *
 * Checks the arguments first (their forms, size 0, the protection's form: B33), then the
 * process, then the range: one allocation (B36), the protection against that allocation
 * (B12 private, B68 data view), every page committed (B3, B5).
 *
 * @returns the old protection of the first page, as VirtualQuery reported it (GUARD included, B37).
 * @throws {@link WindowsError}: ERROR_INVALID_ADDRESS when any page is not committed or the range
 * leaves its allocation; ERROR_INVALID_PARAMETER for a bad protection. Nothing changes then. A
 * failure on the range carries {@link WindowsError.oldProtect} = PAGE_NOACCESS (B3, B36).
 * @internal Called through {@link Process.virtualProtect}.
 */
export function virtualProtect(target: ProcessArgument, address: number, size: number, newProtect: number): number {
  const kernel = target.kernel;
  address = kernel.requireAddress(address, 'address');
  size = checkSize(kernel, size);
  if (size === 0) throw invalidParameter('size is 0');
  // The form only (B33: 0, multi-bit, bad modifiers): WRITECOPY's validity depends on the allocation.
  validateViewProtection(newProtect);
  const process = kernel.requireLive(target);
  const start = roundDown(address, PAGE);
  const end = roundUp(address + size, PAGE);
  const allocation = process.regions.find(start);
  if (allocation === undefined || end > allocation.end) {
    throw new WindowsError(STATUS_CONFLICTING_ADDRESSES, 'range is not inside one allocation (B36)', ERROR_INVALID_ADDRESS, PAGE_NOACCESS);
  }
  let requested = newProtect;
  if (allocation.view === null) {
    if (isCopyOnWrite(newProtect)) {
      throw new WindowsError(STATUS_INVALID_PAGE_PROTECTION, `invalid page protection 0x${(newProtect >>> 0).toString(16)} (${protectionName(newProtect)}): copy-on-write protections are for views only, not private memory (B12)`, ERROR_INVALID_PARAMETER, PAGE_NOACCESS);
    }
  } else if (allocation.type === MEM_IMAGE) requested = imageRequestedProtection(newProtect);
  else if (!viewProtectAllowed(allocation.allocationProtect, newProtect)) {
    throw new WindowsError(STATUS_INVALID_PARAMETER, 'protection not allowed by the view (B68)', ERROR_INVALID_PARAMETER, PAGE_NOACCESS);
  }
  const first = allocation.pageIndex(start);
  const last = allocation.pageIndex(end - 1);
  for (let i = first; i <= last; i++) {
    if (!allocation.isCommitted(i)) throw new WindowsError(STATUS_NOT_COMMITTED, 'a page in the range is not committed (B3, B5)', ERROR_INVALID_ADDRESS, PAGE_NOACCESS);
  }
  const old = reportedProtection(allocation.protect[first], allocation.copied[first] === 1);
  const stored = storedProtection(allocation, requested);
  for (let i = first; i <= last; i++) allocation.protect[i] = stored;
  resyncPages(process, allocation, first, last);
  return old;
}

/**
 * VirtualQuery (B23–B29): the run of pages alike that starts at `address`'s page.
 * The address is checked before the process (B28, then an exited process).
 * @throws {@link WindowsError} ERROR_INVALID_PARAMETER above the highest user address (B28).
 * @internal Called through {@link Process.virtualQuery}.
 */
export function virtualQuery(target: ProcessArgument, address: number): MemoryBasicInformation {
  const kernel = target.kernel;
  address = kernel.requireAddress(address, 'address');
  if (address >= kernel.userTop) throw invalidParameter('address is above the highest user address (B28)');
  const process = kernel.requireLive(target);
  const page = roundDown(address, PAGE);
  const allocation = process.regions.find(page);
  if (allocation === undefined) {
    const next = process.regions.ceiling(page);
    const end = next === undefined ? kernel.userTop : next.base;
    return { baseAddress: page, allocationBase: 0, allocationProtect: 0, regionSize: end - page, state: MEM_FREE, protect: PAGE_NOACCESS, type: 0 };
  }
  const first = allocation.pageIndex(page);
  const stateOf = (i: number) => (allocation.isCommitted(i) ? MEM_COMMIT : MEM_RESERVE);
  const protectOf = (i: number) => (allocation.isCommitted(i) ? reportedProtection(allocation.protect[i], allocation.copied[i] === 1) : 0);
  const state = stateOf(first);
  const protect = protectOf(first);
  let i = first + 1;
  while (i < allocation.pageCount && stateOf(i) === state && protectOf(i) === protect) i++;
  return {
    baseAddress: page,
    allocationBase: allocation.base,
    allocationProtect: allocation.allocationProtect,
    regionSize: (i - first) * PAGE,
    state,
    protect,
    type: allocation.type,
  };
}

/**
 * The write-watched allocation holding the whole of [address, address + size) rounded out to pages,
 * as NtGetWriteWatch and NtResetWriteWatch find it (Wine's kernel32 tests, test_write_watch: a
 * range on memory that is not write-watched, or running past the allocation's end, is
 * ERROR_INVALID_PARAMETER), with the first and last page indices.
 */
function watchedRange(process: Process, address: number, size: number): [allocation: Allocation, first: number, last: number] {
  const start = roundDown(address, PAGE);
  const end = roundUp(address + size, PAGE);
  const allocation = process.regions.find(start);
  if (allocation === undefined || allocation.writeWatch === null) {
    throw invalidParameter(`0x${start.toString(16)} is not in a write-watched allocation (B103)`);
  }
  if (end > allocation.end) throw invalidParameter('the range runs past the end of the write-watched allocation (B103)');
  return [allocation, allocation.pageIndex(start), allocation.pageIndex(end - 1)];
}

/** Clears the write-watch bit of page `i` and takes write access away from its entry, shooting it down. */
function rearmWatch(process: Process, allocation: Allocation, i: number): void {
  allocation.writeWatch![i] = 0;
  if (allocation.frame[i] === NO_FRAME) return;
  const kernel = process.kernel;
  if (process.space.resyncPresentPage(allocation, i, kernel.zeroFrame)) kernel.shootdown(process, allocation.base + i * PAGE, null);
}

/**
 * GetWriteWatch (B103): the pages of [address, address + size) written since the watch was last
 * reset, in address order, at most `maxCount`; with `flags` true or WRITE_WATCH_FLAG_RESET the
 * pages returned, and only those, are reset.
 *
 * Checks the arguments first (their forms, size 0, the flags, `maxCount` 0), then the process,
 * then the range: inside one write-watched allocation.
 *
 * @returns the base addresses of the written pages.
 * @throws {@link WindowsError} STATUS_INVALID_PARAMETER / ERROR_INVALID_PARAMETER; nothing changes then.
 * @internal Called through {@link Process.getWriteWatch}.
 */
export function getWriteWatch(process: Process, address: number, size: number, flags: boolean | number, maxCount: number): number[] {
  const kernel = process.kernel;
  address = kernel.requireAddress(address, 'address');
  size = checkSize(kernel, size);
  if (size === 0) throw invalidParameter('size is 0 (B103)');
  if (!(typeof flags === 'boolean' || flags === 0 || flags === WRITE_WATCH_FLAG_RESET)) {
    throw invalidParameter(`flags must be a boolean, 0 or WRITE_WATCH_FLAG_RESET, got ${String(flags)} (B103)`);
  }
  const reset = flags === true || flags === WRITE_WATCH_FLAG_RESET;
  if (!(typeof maxCount === 'number' && (Number.isSafeInteger(maxCount) || maxCount === Infinity) && maxCount >= 0)) {
    throw invalidParameter(`maxCount must be a non-negative integer or Infinity, got ${String(maxCount)}`);
  }
  if (maxCount === 0) throw invalidParameter('maxCount is 0 (B103)');
  kernel.requireLive(process);
  const [allocation, first, last] = watchedRange(process, address, size);
  const watch = allocation.writeWatch!;
  const pages: number[] = [];
  for (let i = first; i <= last && pages.length < maxCount; i++) {
    if (watch[i] === 0) continue;
    pages.push(allocation.base + i * PAGE);
    if (reset) rearmWatch(process, allocation, i);
  }
  return pages;
}

/**
 * ResetWriteWatch (B103): forgets the writes to the pages of [address, address + size), so the
 * next write to each is recorded again.
 * @throws {@link WindowsError} STATUS_INVALID_PARAMETER / ERROR_INVALID_PARAMETER (size 0; not
 *   inside one write-watched allocation); nothing changes then.
 * @internal Called through {@link Process.resetWriteWatch}.
 */
export function resetWriteWatch(process: Process, address: number, size: number): void {
  const kernel = process.kernel;
  address = kernel.requireAddress(address, 'address');
  size = checkSize(kernel, size);
  if (size === 0) throw invalidParameter('size is 0 (B103)');
  kernel.requireLive(process);
  const [allocation, first, last] = watchedRange(process, address, size);
  const watch = allocation.writeWatch!;
  for (let i = first; i <= last; i++) if (watch[i] === 1) rearmWatch(process, allocation, i);
}
