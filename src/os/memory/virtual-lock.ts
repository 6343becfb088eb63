/**
 * Locking pages into the process's working set, in both flavours: kernel32's VirtualLock and
 * VirtualUnlock (B52, B53), which throw, and ntdll's NtLockVirtualMemory and
 * NtUnlockVirtualMemory (nt-lock-flush.ts), which return a status. Windows' VirtualLock is
 * NtLockVirtualMemory(MAP_PROCESS) with the status turned into a Win32 error, so both flavours
 * run the page walk here ({@link lockPages}, {@link unlockPages}) and differ only in how they
 * take their arguments and report the outcome.
 *
 * mmukit never pages out, so a lock changes no page-table entry and allocates no frame; it is
 * bookkeeping ({@link Allocation.locked}) that the calls, decommit (which drops the locks of the
 * pages decommitted), release and unmap (which drop them all) keep. What the guest can observe
 * is which calls fail:
 * - B52: a guard page in the range fails the lock with STATUS_GUARD_PAGE_VIOLATION, which
 *   GetLastError returns itself (0x80000001), and clears that guard, so a second call
 *   succeeds (Wine's dlls/kernel32/tests/virtual.c, test_guard_page, "test behaviour of
 *   VirtualLock"; Microsoft's guard-page sample). No page is locked by the failed call.
 * - B53: the failed lock writes nothing, so it marks no write-watched page (test_guard_page).
 *
 * No conformance test pins the other outcomes; these follow the Windows kernel where its
 * behaviour is known, and are mmukit's choices otherwise:
 * - size 0, or a range past the highest user address → STATUS_INVALID_PARAMETER /
 *   ERROR_INVALID_PARAMETER (Windows' common argument check of both calls);
 * - a lock of a page that is free, reserved or PAGE_NOACCESS → STATUS_ACCESS_VIOLATION /
 *   ERROR_NOACCESS: the kernel touches each page as a read would (Microsoft's VirtualLock
 *   page: "All pages in the specified region must be committed" and "cannot be locked with
 *   PAGE_NOACCESS"). The pages are checked in order: the first that fails decides the status;
 * - a lock whose range holds a page already locked succeeds with the informational
 *   STATUS_WAS_LOCKED ("one of the pages to lock was already locked"), which VirtualLock
 *   reports as success;
 * - an unlock of a range with a page that is not locked (free and reserved pages never are)
 *   → STATUS_NOT_LOCKED / ERROR_NOT_LOCKED, and nothing is unlocked (Microsoft's VirtualUnlock
 *   page names ERROR_NOT_LOCKED; the kernel checks every page before it unlocks any).
 * - Locks are not counted: one unlock undoes any number of locks (Microsoft's VirtualUnlock
 *   page); the working-set quota (ERROR_WORKING_SET_QUOTA) is not modelled.
 * - A range may span several allocations: each page is checked on its own.
 * @module
 */
import { FRAME_SIZE } from '../../mmu/physical-memory.js';
import type { Allocation } from '../records/allocation.js';
import {
  ERROR_INVALID_PARAMETER,
  PAGE_GUARD,
  STATUS_ACCESS_VIOLATION,
  STATUS_GUARD_PAGE_VIOLATION,
  STATUS_INVALID_PARAMETER,
  STATUS_NOT_LOCKED,
  STATUS_SUCCESS,
  STATUS_WAS_LOCKED,
  isNtSuccess,
} from '../rules/constants.js';
import { WindowsError } from '../rules/errors.js';
import type { Process } from '../kernel/process.js';
import type { Kernel } from '../kernel/kernel.js';
import { protectionAccess } from '../rules/protection.js';

const PAGE = FRAME_SIZE;

/** How a lock or an unlock of a page range ended: its NTSTATUS and what decided it. @internal */
export interface LockOutcome {
  /** STATUS_SUCCESS or STATUS_WAS_LOCKED (success), or the failure's NTSTATUS. */
  readonly status: number;
  /** What decided the status, for an error message. */
  readonly message: string;
}

/**
 * A SIZE_T argument: a non-negative safe integer. Anything else is an argument JavaScript cannot
 * pass as the guest's, thrown as STATUS_INVALID_PARAMETER / ERROR_INVALID_PARAMETER.
 * @internal
 */
export function requireSize(size: unknown, what = 'size'): number {
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new WindowsError(STATUS_INVALID_PARAMETER, `${what} must be a non-negative integer, got ${String(size)}`, ERROR_INVALID_PARAMETER);
  }
  return size;
}

/**
 * Why [address, address + size) is not a range to lock or unlock (size 0, or past the highest
 * user address), or null when it is one.
 * @internal
 */
export function lockRangeProblem(kernel: Kernel, address: number, size: number): string | null {
  if (size === 0) return 'size is 0';
  if (address + size > kernel.userTop) return 'the range runs past the highest user address';
  return null;
}

/** The pages [address, address + size) touches: the first and one past the last, as page numbers. @internal */
export function pagesOf(address: number, size: number): [first: number, end: number] {
  return [Math.floor(address / PAGE), Math.ceil((address + size) / PAGE)];
}

/**
 * Locks pages `first` to `end - 1` (page numbers), all of them or none. Each page must be
 * committed, not a guard page (its guard is cleared: B52) and accessible; the first that is not
 * decides the failure and nothing is locked.
 * @returns STATUS_SUCCESS; STATUS_WAS_LOCKED when a page was locked already; or the failure.
 * @internal Shared by {@link virtualLock} and `ntLockVirtualMemory`.
 */
export function lockPages(process: Process, first: number, end: number): LockOutcome {
  const pages: Array<[Allocation, number]> = [];
  let wasLocked = false;
  for (let page = first; page < end; page++) {
    const va = page * PAGE;
    const allocation = process.regions.find(va);
    const i = allocation === undefined ? -1 : allocation.pageIndex(va);
    if (allocation === undefined || !allocation.committedAt(i)) return { status: STATUS_ACCESS_VIOLATION, message: `0x${va.toString(16)} is not committed` };
    if ((allocation.protect[i] & PAGE_GUARD) !== 0) {
      // B52: the system service touching a guard page fails and the guard is gone. The page has no
      // entry while guarded (AddressSpace.entryFlags), so clearing the bit needs no shootdown.
      allocation.protect[i] &= ~PAGE_GUARD;
      return { status: STATUS_GUARD_PAGE_VIOLATION, message: `0x${va.toString(16)} is a guard page (B52)` };
    }
    if (protectionAccess(allocation.protect[i]) === 0) return { status: STATUS_ACCESS_VIOLATION, message: `0x${va.toString(16)} is PAGE_NOACCESS` };
    wasLocked ||= allocation.locked?.[i] === 1;
    pages.push([allocation, i]);
  }
  for (const [allocation, i] of pages) (allocation.locked ??= new Uint8Array(allocation.pageCount))[i] = 1;
  return wasLocked ? { status: STATUS_WAS_LOCKED, message: 'a page was locked already' } : { status: STATUS_SUCCESS, message: 'locked' };
}

/**
 * Unlocks pages `first` to `end - 1` (page numbers), which must all be locked; otherwise
 * nothing is unlocked.
 * @returns STATUS_SUCCESS or STATUS_NOT_LOCKED.
 * @internal Shared by {@link virtualUnlock} and `ntUnlockVirtualMemory`.
 */
export function unlockPages(process: Process, first: number, end: number): LockOutcome {
  const pages: Array<[Uint8Array, number]> = [];
  for (let page = first; page < end; page++) {
    const va = page * PAGE;
    const allocation = process.regions.find(va);
    const locked = allocation?.locked ?? null;
    const i = allocation === undefined ? -1 : allocation.pageIndex(va);
    if (locked === null || locked[i] !== 1) return { status: STATUS_NOT_LOCKED, message: `0x${va.toString(16)} is not locked` };
    pages.push([locked, i]);
  }
  for (const [locked, i] of pages) locked[i] = 0;
  return { status: STATUS_SUCCESS, message: 'unlocked' };
}

/** The kernel32 flavour's arguments: checked, the range's pages, or a thrown STATUS_INVALID_PARAMETER. */
function win32Pages(process: Process, address: number, size: number): [first: number, end: number] {
  address = process.kernel.requireAddress(address, 'address');
  size = requireSize(size);
  const problem = lockRangeProblem(process.kernel, address, size);
  if (problem !== null) throw new WindowsError(STATUS_INVALID_PARAMETER, problem, ERROR_INVALID_PARAMETER);
  process.kernel.requireLive(process);
  return pagesOf(address, size);
}

/** Throws the outcome of a failed kernel32 call as GetLastError would report it (RtlNtStatusToDosError). */
function throwIfFailed(outcome: LockOutcome): void {
  if (!isNtSuccess(outcome.status)) throw new WindowsError(outcome.status, outcome.message);
}

/**
 * VirtualLock (B52, B53): locks every page the range touches, all of them or none.
 * @throws {@link WindowsError}; nothing is locked then (see the module notes for each error).
 * @internal Called through {@link Process.virtualLock}.
 */
export function virtualLock(process: Process, address: number, size: number): void {
  const [first, end] = win32Pages(process, address, size);
  throwIfFailed(lockPages(process, first, end));
}

/**
 * VirtualUnlock: unlocks every page the range touches, which must all be locked.
 * @throws {@link WindowsError} STATUS_NOT_LOCKED / ERROR_NOT_LOCKED; nothing is unlocked then.
 * @internal Called through {@link Process.virtualUnlock}.
 */
export function virtualUnlock(process: Process, address: number, size: number): void {
  const [first, end] = win32Pages(process, address, size);
  throwIfFailed(unlockPages(process, first, end));
}
