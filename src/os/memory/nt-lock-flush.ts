/**
 * Four NT calls on a process's views and working set: NtLockVirtualMemory,
 * NtUnlockVirtualMemory, NtFlushVirtualMemory and NtAreMappedFilesTheSame. Like the calls of
 * nt-virtual-memory.ts, each returns its NTSTATUS (and its IN OUT outputs) instead of throwing,
 * so an HLE emulator can write them back to the guest as ntdll would; they throw a
 * {@link WindowsError} only for arguments JavaScript cannot pass as the guest's (a non-number,
 * a negative or fractional size, a map type that is not a ULONG) and for an exited process
 * (STATUS_INVALID_HANDLE).
 *
 * Sources. Wine's conformance tests (which pass on Windows) pin NtAreMappedFilesTheSame
 * (dlls/kernel32/tests/virtual.c, test_NtAreMappedFilesTheSame) and the guard-page rule of the
 * lock (B52, B53: test_guard_page). They do not call NtLockVirtualMemory, NtUnlockVirtualMemory
 * or NtFlushVirtualMemory; for those the facts are the Windows kernel's (the argument checks of
 * the lock calls, as ReactOS's NtLockVirtualMemory also has them; the statuses of
 * MmFlushVirtualMemory, as in the Windows Research Kernel's flushsec.c), and ReactOS's
 * ntdll apitest NtMapViewOfSection (Test_ImageSection) for a successful flush. Each function
 * says which.
 * @module
 */
import { FRAME_SIZE } from '../../mmu/physical-memory.js';
import {
  MAP_PROCESS,
  MAP_SYSTEM,
  STATUS_CONFLICTING_ADDRESSES,
  STATUS_INVALID_ADDRESS,
  STATUS_INVALID_PARAMETER,
  STATUS_NOT_MAPPED_DATA,
  STATUS_NOT_MAPPED_VIEW,
  STATUS_NOT_SAME_DEVICE,
  STATUS_PRIVILEGE_NOT_HELD,
  STATUS_SUCCESS,
  isNtSuccess,
} from '../rules/constants.js';
import { WindowsError } from '../rules/errors.js';
import { requireUlong, type NtRegionResult } from './nt-virtual-memory.js';
import type { Process } from '../kernel/process.js';
import type { ProcessArgument } from './process-argument.js';
import { flushViewOfFile } from './sections.js';
import { lockPages, lockRangeProblem, pagesOf, requireSize, unlockPages, type LockOutcome } from './virtual-lock.js';

const PAGE = FRAME_SIZE;

/** An IO_STATUS_BLOCK, as NtFlushVirtualMemory fills it ({@link NtFlushResult.ioStatus}). */
export interface IoStatusBlock {
  /** The status of the flush: the call's own. */
  readonly status: number;
  /** Information: 0 (what current Windows kernels report for a flush of a view). */
  readonly information: number;
}

/** What NtFlushVirtualMemory reports (`Process.ntFlushVirtualMemory`). */
export interface NtFlushResult extends NtRegionResult {
  /**
   * The `*IoStatus` output: `{ status, information: 0 }` once the arguments passed Windows' range
   * check, whatever the outcome; `undefined` when they did not (STATUS_INVALID_PARAMETER: Windows
   * writes no output then).
   */
  readonly ioStatus: IoStatusBlock | undefined;
}

/**
 * The common part of NtLockVirtualMemory and NtUnlockVirtualMemory: checks the arguments in
 * Windows' order and runs `walk` on the range's pages. Outputs: on success the page-aligned
 * base and the size of the pages the range touches; on failure `base` and `size` as passed
 * (Windows writes no output then).
 */
function lockCall(target: ProcessArgument, address: number, size: number, mapType: number, walk: (process: Process, first: number, end: number) => LockOutcome): NtRegionResult {
  const kernel = target.kernel;
  address = kernel.requireAddress(address, 'address');
  size = requireSize(size);
  mapType = requireUlong(mapType, 'mapType');
  kernel.requireLiveProcessObject(target);
  const fail = (status: number): NtRegionResult => ({ status, base: address, size });
  // The map type first: bits other than MAP_PROCESS and MAP_SYSTEM, or neither of them.
  if ((mapType & ~(MAP_PROCESS | MAP_SYSTEM)) !== 0 || (mapType & (MAP_PROCESS | MAP_SYSTEM)) === 0) return fail(STATUS_INVALID_PARAMETER);
  if (lockRangeProblem(kernel, address, size) !== null) return fail(STATUS_INVALID_PARAMETER);
  // The arguments, then the process (a handle's failure is the status).
  const process = kernel.liveOrStatus(target);
  if (typeof process === 'number') return fail(process);
  // MAP_SYSTEM (alone or with MAP_PROCESS) needs SeLockMemoryPrivilege, checked before the range's pages.
  if ((mapType & MAP_SYSTEM) !== 0) return fail(STATUS_PRIVILEGE_NOT_HELD);
  const [first, end] = pagesOf(address, size);
  const { status } = walk(process, first, end);
  return isNtSuccess(status) ? { status, base: first * PAGE, size: (end - first) * PAGE } : fail(status);
}

/**
 * NtLockVirtualMemory: locks every page `[address, address + size)` touches, all of them or
 * none, by the rules of VirtualLock (virtual-lock.ts), which is this call with MAP_PROCESS.
 *
 * - Map type: bits other than MAP_PROCESS (1) and MAP_SYSTEM (2), or neither of them →
 *   STATUS_INVALID_PARAMETER, checked first; MAP_SYSTEM (alone or with MAP_PROCESS) →
 *   STATUS_PRIVILEGE_NOT_HELD, after the range's checks and before its pages: locking into
 *   physical memory needs SeLockMemoryPrivilege, which mmukit gives no process (the Windows
 *   kernel's argument checks, in this order; ReactOS's NtLockVirtualMemory has the same; no
 *   conformance test calls the NT function).
 * - Size 0, or a range past the highest user address → STATUS_INVALID_PARAMETER (same source).
 * - A guard page → STATUS_GUARD_PAGE_VIOLATION and the guard is cleared, so the next call
 *   succeeds; no write is recorded on a write-watched page (B52, B53: Wine's kernel32 tests,
 *   test_guard_page, through VirtualLock).
 * - A free, reserved (uncommitted) or PAGE_NOACCESS page → STATUS_ACCESS_VIOLATION: the kernel
 *   touches each page as a read would (no conformance test; Microsoft's VirtualLock page).
 *   The pages are checked in order and the first failing one decides.
 * - A page locked already → the informational STATUS_WAS_LOCKED, a success: every page is
 *   locked (the Windows kernel; ntstatus.h: "one of the pages to lock was already locked").
 *
 * @returns `{ status, base, size }`: on success (STATUS_SUCCESS or STATUS_WAS_LOCKED) the
 *   page-aligned base and the size of the pages locked; on failure the arguments as passed, and
 *   nothing is locked.
 * @throws {@link WindowsError} STATUS_INVALID_PARAMETER when an argument is not a number of its
 *   kind; STATUS_INVALID_HANDLE on an exited process.
 * @internal Called through `Process.ntLockVirtualMemory`.
 */
export function ntLockVirtualMemory(target: ProcessArgument, address: number, size: number, mapType: number): NtRegionResult {
  return lockCall(target, address, size, mapType, lockPages);
}

/**
 * NtUnlockVirtualMemory: unlocks every page `[address, address + size)` touches, which must all
 * be locked; VirtualUnlock is this call with MAP_PROCESS.
 *
 * - The map type, size and range are checked as for {@link ntLockVirtualMemory}
 *   (STATUS_INVALID_PARAMETER, then STATUS_PRIVILEGE_NOT_HELD for MAP_SYSTEM).
 * - A page that is not locked, free and reserved pages included → STATUS_NOT_LOCKED, and
 *   nothing is unlocked (the Windows kernel checks every page before it unlocks any, and
 *   answers STATUS_NOT_LOCKED for a range that is not all allocated too; Microsoft's
 *   VirtualUnlock page names ERROR_NOT_LOCKED; no conformance test).
 *
 * @returns `{ status, base, size }`: on success the page-aligned base and the size of the pages
 *   unlocked; on failure the arguments as passed.
 * @throws {@link WindowsError} STATUS_INVALID_PARAMETER when an argument is not a number of its
 *   kind; STATUS_INVALID_HANDLE on an exited process.
 * @internal Called through `Process.ntUnlockVirtualMemory`.
 */
export function ntUnlockVirtualMemory(target: ProcessArgument, address: number, size: number, mapType: number): NtRegionResult {
  return lockCall(target, address, size, mapType, unlockPages);
}

/**
 * NtFlushVirtualMemory: FlushViewOfFile's NT call. Writes the dirty pages of a file-backed data
 * view's range back to the file ({@link flushViewOfFile} does the writing; copy-on-write copies
 * never reach the file, B75; a page written through any shared view of the file is written,
 * B73). Statuses, in order (Windows' MmFlushVirtualMemory, as in the Windows Research Kernel's
 * flushsec.c and current kernels; no Wine test calls it):
 *
 * - `address + size` past the highest user address (with size 0: `address` at or past it) →
 *   STATUS_INVALID_PARAMETER, and no output is written.
 * - No allocation at the address's page → STATUS_NOT_MAPPED_VIEW.
 * - Private memory, or a range that runs past the end of the view → STATUS_NOT_MAPPED_VIEW.
 *   Size 0 means to the view's end.
 * - An anonymous (pagefile-backed) view or an image view → STATUS_NOT_MAPPED_DATA: nothing to
 *   write. FlushViewOfFile turns exactly this status into success (Wine's kernelbase
 *   FlushViewOfFile, as Windows' kernel32 does).
 * - Otherwise STATUS_SUCCESS, after the write-back: a flushed data view reports success and an
 *   image view of the same file does not change (ReactOS's ntdll apitest NtMapViewOfSection,
 *   Test_ImageSection).
 *
 * @returns `{ status, base, size, ioStatus }`: `base` is the address rounded down to its page
 *   whenever the range check passed; `size` is, on success, the bytes of the pages flushed (from
 *   `base` to the end of the last page the range touches, or of the view for size 0) and, on
 *   failure, as passed; `ioStatus` as {@link NtFlushResult.ioStatus} says.
 * @throws {@link WindowsError} STATUS_INVALID_PARAMETER when an argument is not a number of its
 *   kind; STATUS_INVALID_HANDLE on an exited process.
 * @internal Called through `Process.ntFlushVirtualMemory`.
 */
export function ntFlushVirtualMemory(target: ProcessArgument, address: number, size: number): NtFlushResult {
  const kernel = target.kernel;
  address = kernel.requireAddress(address, 'address');
  size = requireSize(size);
  kernel.requireLiveProcessObject(target);
  if (size === 0 ? address >= kernel.userTop : address + size > kernel.userTop) {
    return { status: STATUS_INVALID_PARAMETER, base: address, size, ioStatus: undefined };
  }
  const process = kernel.liveOrStatus(target);
  if (typeof process === 'number') return { status: process, base: address, size, ioStatus: undefined };
  const base = Math.floor(address / PAGE) * PAGE;
  const done = (status: number, flushed = size): NtFlushResult => ({ status, base, size: flushed, ioStatus: { status, information: 0 } });
  const allocation = process.regions.find(base);
  if (allocation === undefined) return done(STATUS_NOT_MAPPED_VIEW);
  const end = size === 0 ? allocation.end : Math.ceil((address + size) / PAGE) * PAGE;
  if (allocation.view === null || end > allocation.end) return done(STATUS_NOT_MAPPED_VIEW);
  const section = allocation.view.section;
  if (section.file === null || section.image !== null) return done(STATUS_NOT_MAPPED_DATA);
  flushViewOfFile(process, base, end - base);
  return done(STATUS_SUCCESS, end - base);
}

/**
 * NtAreMappedFilesTheSame: whether the view at `address1` maps, as an image, the file that the
 * view at `address2` maps (as data or as an image). A file is its byte array, and an image
 * section's file is the array it was made from (`Kernel.createImageSection`), so a data
 * section over a DLL's bytes maps the DLL's file. In order (Wine's kernel32 tests,
 * test_NtAreMappedFilesTheSame, unless said otherwise):
 *
 * - Either address in no allocation (NULL, free memory, above user space) →
 *   STATUS_INVALID_ADDRESS (`(ptr, NULL)`, `(NULL, NULL)`; a free 0xdeadbeef).
 * - Both in one allocation → STATUS_SUCCESS (`(ptr, ptr)`, `(ptr, ptr + 30)` for a data view,
 *   `(kernel32, kernel32 + 4096)`; the kernel compares allocations before their kinds, so this
 *   holds for private memory too, which no test pins).
 * - Either in private memory → STATUS_CONFLICTING_ADDRESSES (a VirtualAlloc block, the heap).
 * - Either in a view of an anonymous (pagefile-backed) section → STATUS_CONFLICTING_ADDRESSES:
 *   it has no file (the Windows kernel's check; no test maps one).
 * - STATUS_SUCCESS when `address1` is in an image view and `address2` in a view of that image's
 *   file: another image view of it (two SEC_IMAGE mappings of kernel32.dll, either order), or a
 *   data view of its bytes (`(kernel32 image, data view of kernel32.dll)`, a todo_wine: Windows
 *   behaviour).
 * - Otherwise STATUS_NOT_SAME_DEVICE: two different views of one data file or even of one data
 *   section, two different images, a data view then an image view of its file (the call is not
 *   symmetric: `(data view of kernel32.dll, kernel32)` is NOT_SAME_DEVICE).
 *
 * @returns the NTSTATUS.
 * @throws {@link WindowsError} STATUS_INVALID_PARAMETER when an address is not a non-negative
 *   integer; STATUS_INVALID_HANDLE on an exited process.
 * @internal Called through `Process.ntAreMappedFilesTheSame`.
 */
export function ntAreMappedFilesTheSame(process: Process, address1: number, address2: number): number {
  const kernel = process.kernel;
  address1 = kernel.requireAddress(address1, 'address1');
  address2 = kernel.requireAddress(address2, 'address2');
  kernel.requireLive(process);
  const first = process.regions.find(address1);
  const second = process.regions.find(address2);
  if (first === undefined || second === undefined) return STATUS_INVALID_ADDRESS;
  if (first === second) return STATUS_SUCCESS;
  const file1 = first.view?.section.file ?? null;
  const file2 = second.view?.section.file ?? null;
  if (file1 === null || file2 === null) return STATUS_CONFLICTING_ADDRESSES;
  return first.view!.section.image !== null && file1 === file2 ? STATUS_SUCCESS : STATUS_NOT_SAME_DEVICE;
}
