/**
 * VirtualLock and VirtualUnlock (B52, B53): locking pages into the process's working set.
 *
 * mmukit never pages out, so a lock changes no page-table entry and allocates no frame; it is
 * bookkeeping ({@link Allocation.locked}) that the calls, decommit (which drops the locks of the
 * pages decommitted), release and unmap (which drop them all) keep. What the guest can observe
 * is which calls fail:
 * - B52: a guard page in the range makes VirtualLock fail with STATUS_GUARD_PAGE_VIOLATION,
 *   which GetLastError returns itself (0x80000001), and clears that guard, so a second call
 *   succeeds (Wine's dlls/kernel32/tests/virtual.c, test_guard_page, "test behaviour of
 *   VirtualLock"; Microsoft's guard-page sample). No page is locked by the failed call.
 * - B53: the failed lock writes nothing, so it marks no write-watched page.
 *
 * No conformance test pins the other failures; these are mmukit's choices:
 * - size 0 → STATUS_INVALID_PARAMETER / ERROR_INVALID_PARAMETER (as VirtualProtect's size 0);
 * - VirtualLock of a page that is free, reserved or PAGE_NOACCESS → STATUS_ACCESS_VIOLATION /
 *   ERROR_NOACCESS: the lock probes each page as an access would (Microsoft's VirtualLock page:
 *   "All pages in the specified region must be committed" and "cannot be locked with PAGE_NOACCESS");
 * - VirtualUnlock of a range with a page that is not locked (free and reserved pages never are)
 *   → STATUS_NOT_LOCKED / ERROR_NOT_LOCKED, and nothing is unlocked (Microsoft's VirtualUnlock
 *   page names ERROR_NOT_LOCKED; the WRK's lockvm.c checks every page before it unlocks any).
 * - Locks are not counted: one VirtualUnlock undoes any number of VirtualLock calls (Microsoft's
 *   VirtualUnlock page); the working-set quota (ERROR_WORKING_SET_QUOTA) is not modelled.
 * - A range may span several allocations: each page is checked on its own.
 * @module
 */
import { FRAME_SIZE } from '../mmu/physical-memory.js';
import type { Allocation } from './allocation.js';
import {
  ERROR_INVALID_PARAMETER,
  ERROR_NOACCESS,
  ERROR_NOT_LOCKED,
  PAGE_GUARD,
  STATUS_ACCESS_VIOLATION,
  STATUS_GUARD_PAGE_VIOLATION,
  STATUS_INVALID_PARAMETER,
  STATUS_NOT_LOCKED,
} from './constants.js';
import { WindowsError } from './errors.js';
import type { Process } from './process.js';
import { protectionAccess } from './protection.js';

const PAGE = FRAME_SIZE;

/** Checks the arguments and the process; returns the pages the range touches, first and one past the last. */
function pageRange(process: Process, address: number, size: number): [start: number, end: number] {
  const kernel = process.kernel;
  address = kernel.requireAddress(address, 'address');
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new WindowsError(STATUS_INVALID_PARAMETER, `size must be a non-negative integer, got ${String(size)}`, ERROR_INVALID_PARAMETER);
  }
  if (size === 0) throw new WindowsError(STATUS_INVALID_PARAMETER, 'size is 0', ERROR_INVALID_PARAMETER);
  if (address + size > kernel.userTop) throw new WindowsError(STATUS_INVALID_PARAMETER, 'the range runs past the highest user address', ERROR_INVALID_PARAMETER);
  kernel.requireLive(process);
  return [Math.floor(address / PAGE), Math.ceil((address + size) / PAGE)];
}

/**
 * VirtualLock (B52, B53): locks every page the range touches, all of them or none.
 * @throws {@link WindowsError}; nothing is locked then (see the module notes for each error).
 * @internal Called through {@link Process.virtualLock}.
 */
export function virtualLock(process: Process, address: number, size: number): void {
  const [start, end] = pageRange(process, address, size);
  const pages: Array<[Allocation, number]> = [];
  for (let page = start; page < end; page++) {
    const va = page * PAGE;
    const allocation = process.regions.find(va);
    const i = allocation === undefined ? -1 : allocation.pageIndex(va);
    if (allocation === undefined || !allocation.committedAt(i)) {
      throw new WindowsError(STATUS_ACCESS_VIOLATION, `0x${va.toString(16)} is not committed`, ERROR_NOACCESS);
    }
    if ((allocation.protect[i] & PAGE_GUARD) !== 0) {
      // B52: the system service touching a guard page fails and the guard is gone. The page has no
      // entry while guarded (AddressSpace.entryFlags), so clearing the bit needs no shootdown.
      allocation.protect[i] &= ~PAGE_GUARD;
      throw new WindowsError(STATUS_GUARD_PAGE_VIOLATION, `0x${va.toString(16)} is a guard page (B52)`, STATUS_GUARD_PAGE_VIOLATION);
    }
    if (protectionAccess(allocation.protect[i]) === 0) {
      throw new WindowsError(STATUS_ACCESS_VIOLATION, `0x${va.toString(16)} is PAGE_NOACCESS`, ERROR_NOACCESS);
    }
    pages.push([allocation, i]);
  }
  for (const [allocation, i] of pages) (allocation.locked ??= new Uint8Array(allocation.pageCount))[i] = 1;
}

/**
 * VirtualUnlock: unlocks every page the range touches, which must all be locked.
 * @throws {@link WindowsError} STATUS_NOT_LOCKED / ERROR_NOT_LOCKED; nothing is unlocked then.
 * @internal Called through {@link Process.virtualUnlock}.
 */
export function virtualUnlock(process: Process, address: number, size: number): void {
  const [start, end] = pageRange(process, address, size);
  const pages: Array<[Uint8Array, number]> = [];
  for (let page = start; page < end; page++) {
    const va = page * PAGE;
    const allocation = process.regions.find(va);
    const locked = allocation?.locked ?? null;
    const i = allocation === undefined ? -1 : allocation.pageIndex(va);
    if (locked === null || locked[i] !== 1) throw new WindowsError(STATUS_NOT_LOCKED, `0x${va.toString(16)} is not locked`, ERROR_NOT_LOCKED);
    pages.push([locked, i]);
  }
  for (const [locked, i] of pages) locked[i] = 0;
}
