/**
 * Another process's memory read and written as the kernel does for a debugger or
 * a loader, in both flavours: kernel32's ReadProcessMemory and WriteProcessMemory
 * (B100–B102), which fail as a whole, and ntdll's NtReadVirtualMemory and
 * NtWriteVirtualMemory, which move what they can and report how much.
 * @module
 */
import { FRAME_SIZE } from '../../mmu/physical-memory.js';
import { imageLayoutBase, type Allocation } from '../records/allocation.js';
import {
  ERROR_NOACCESS,
  ERROR_PARTIAL_COPY,
  PAGE_GUARD,
  STATUS_ACCESS_VIOLATION,
  STATUS_GUARD_PAGE_VIOLATION,
  STATUS_PARTIAL_COPY,
  STATUS_SUCCESS,
} from '../rules/constants.js';
import { WindowsError } from '../rules/errors.js';
import { ensureOwnWritableFrame, privatelyRelocatedPage, savePage, undoOwnWritableFrame } from './page-faults.js';
import type { Process } from '../kernel/process.js';
import { ProtAccess, protectionAccess } from '../rules/protection.js';
import { NO_FRAME } from '../records/section.js';

/**
 * What an NT read or write of another process's memory did ({@link Process.ntReadVirtualMemory},
 * {@link Process.ntWriteVirtualMemory}): its NTSTATUS and how many bytes it moved, the
 * `NumberOfBytesRead` / `NumberOfBytesWritten` output.
 */
export interface NtTransfer {
  /** STATUS_SUCCESS when every byte moved; STATUS_PARTIAL_COPY when it stopped at a page it may not access; STATUS_GUARD_PAGE_VIOLATION at a guard page (B52: the guard is cleared). */
  readonly status: number;
  /** Bytes moved, from the first: the whole length on success, the prefix before the page it stopped at otherwise. */
  readonly bytes: number;
}

/** Why a page stops a transfer; 0 when the page allows it. */
const PAGE_OK = 0;
const PAGE_DENIED = 1;
const PAGE_GUARDED = 2;

/** The pages of a transfer, in order, up to the first one that stops it, and why it stopped. */
interface PageRun {
  readonly pages: Array<[Allocation, number]>;
  /** PAGE_OK when every page of the range allows the access, else why the page after `pages` does not. */
  readonly stop: number;
}

/**
 * The pages of [address, address + length) that allow `allowed` (a {@link ProtAccess} mask), in
 * order, up to the first that does not: not allocated, not committed, a guard page (its guard
 * cleared, B52, when `clearGuard`) or without the access.
 */
function pageRun(process: Process, address: number, length: number, allowed: number, clearGuard: boolean): PageRun {
  const pages: Array<[Allocation, number]> = [];
  if (length === 0) return { pages, stop: PAGE_OK };
  const lastPage = Math.floor((address + length - 1) / FRAME_SIZE);
  for (let page = Math.floor(address / FRAME_SIZE); page <= lastPage; page++) {
    const va = page * FRAME_SIZE;
    const allocation = process.regions.find(va);
    if (allocation === undefined) return { pages, stop: PAGE_DENIED };
    const i = allocation.pageIndex(va);
    if (!allocation.isCommitted(i)) return { pages, stop: PAGE_DENIED };
    if ((allocation.protect[i] & PAGE_GUARD) !== 0) {
      if (clearGuard) allocation.protect[i] &= ~PAGE_GUARD;
      return { pages, stop: PAGE_GUARDED };
    }
    if ((protectionAccess(allocation.protect[i]) & allowed) === 0) return { pages, stop: PAGE_DENIED };
    pages.push([allocation, i]);
  }
  return { pages, stop: PAGE_OK };
}

/** Bytes of [address, address + length) on the first `pageCount` pages of the range. */
function bytesOnPages(address: number, length: number, pageCount: number): number {
  if (pageCount === 0) return 0;
  return Math.min(length, (Math.floor(address / FRAME_SIZE) + pageCount) * FRAME_SIZE - address);
}

/** Copies [address, address + length) out of `pages` (the range's pages, in order) into `into` at `at`. */
function copyOut(process: Process, pages: Array<[Allocation, number]>, address: number, length: number, into: Uint8Array, at: number): void {
  const memory = process.kernel.memory;
  const firstPage = Math.floor(address / FRAME_SIZE);
  for (let done = 0; done < length; ) {
    const va = address + done;
    const [allocation, i] = pages[Math.floor(va / FRAME_SIZE) - firstPage];
    const inPage = va % FRAME_SIZE;
    const n = Math.min(FRAME_SIZE - inPage, length - done);
    const frame = allocation.frame[i];
    if (frame !== NO_FRAME) {
      into.set(memory.readBytes(frame * FRAME_SIZE + inPage, n), at + done);
    } else if (allocation.view !== null && allocation.copied[i] === 1) {
      into.set(privatelyRelocatedPage(allocation, i).subarray(inPage, inPage + n), at + done); // relocated, not yet touched
    } else if (allocation.view !== null) {
      const view = allocation.view;
      const sectionPage = view.firstPage + i;
      const resident = view.section.residentFrameForView(sectionPage, imageLayoutBase(allocation));
      const bytes = resident !== NO_FRAME ? memory.readBytes(resident * FRAME_SIZE, FRAME_SIZE) : view.section.untouchedPage(sectionPage, imageLayoutBase(allocation), memory);
      into.set(bytes.subarray(inPage, inPage + n), at + done);
    } else {
      into.fill(0, at + done, at + done + n); // a private page never touched reads as zeros (NtReadVirtualMemory's buffer may hold anything)
    }
    done += n;
  }
}

/**
 * Writes `data` over [address, address + data.length), whose pages are `pages`: each page first
 * gets a frame of its own (a copy-on-write page its private copy), all of them or none, so that
 * running out of frames changes nothing.
 * @throws {@link OutOfFramesError} when a page cannot get its frame (nothing changes).
 */
function copyIn(process: Process, pages: Array<[Allocation, number]>, address: number, data: Uint8Array): void {
  const saved = pages.map(([allocation, i]) => savePage(allocation, i));
  let done = 0;
  try {
    for (; done < pages.length; done++) ensureOwnWritableFrame(process, pages[done][0], pages[done][1]);
  } catch (error) {
    for (let k = Math.min(done, pages.length - 1); k >= 0; k--) undoOwnWritableFrame(process, pages[k][0], pages[k][1], saved[k]);
    throw error;
  }
  const memory = process.kernel.memory;
  const firstPage = Math.floor(address / FRAME_SIZE);
  for (let written = 0; written < data.length; ) {
    const va = address + written;
    const [allocation, i] = pages[Math.floor(va / FRAME_SIZE) - firstPage];
    const inPage = va % FRAME_SIZE;
    const n = Math.min(FRAME_SIZE - inPage, data.length - written);
    memory.writeBytes(allocation.frame[i] * FRAME_SIZE + inPage, data.subarray(written, written + n));
    // Write watch (B103): the kernel's writes on the process's behalf are recorded too. The entry
    // may stay read-only: the next write by a CPU finds the page recorded and makes it writable.
    if (allocation.writeWatch !== null) allocation.writeWatch[i] = 1;
    written += n;
  }
}

const READABLE = ProtAccess.Read | ProtAccess.Execute | ProtAccess.Write | ProtAccess.WriteCopy;
const WRITABLE = ProtAccess.Write | ProtAccess.WriteCopy;

/**
 * ReadProcessMemory (B100, B102): every page readable, or nothing is read.
 * @internal
 */
export function readProcessMemory(process: Process, address: number, length: number): Uint8Array {
  const run = pageRun(process, address, length, READABLE, true);
  if (run.stop === PAGE_GUARDED) throw guardError(address, run);
  if (run.stop !== PAGE_OK) throw new WindowsError(STATUS_PARTIAL_COPY, `0x${stopAddress(address, run).toString(16)} is not readable`, ERROR_PARTIAL_COPY);
  const out = new Uint8Array(length);
  copyOut(process, run.pages, address, length, out, 0);
  return out;
}

/**
 * NtReadVirtualMemory (B100): the readable prefix of the range, and a status saying whether that
 * was all of it.
 * @internal
 */
export function ntReadVirtualMemory(process: Process, address: number, into: Uint8Array): NtTransfer {
  const run = pageRun(process, address, into.length, READABLE, true);
  const bytes = run.stop === PAGE_OK ? into.length : bytesOnPages(address, into.length, run.pages.length);
  copyOut(process, run.pages, address, bytes, into, 0);
  return { status: statusOf(run), bytes };
}

/**
 * WriteProcessMemory as Windows 10 1607 and later implement it (B101; Wine's
 * dlls/kernel32/tests/virtual.c, test_VirtualAllocEx): by the protection of the range's first page.
 * - Writable (read-write or copy-on-write, executable or not): NtWriteVirtualMemory of the whole
 *   range, so the writable prefix is written and a range that goes on into pages that are not
 *   writable fails with ERROR_PARTIAL_COPY (Windows 10 1507 and earlier wrote everything).
 * - Executable without write access (PAGE_EXECUTE, PAGE_EXECUTE_READ): the range is code, which
 *   WriteProcessMemory makes writable for the write; it succeeds when every page is executable or
 *   writable, and fails with ERROR_NOACCESS, writing nothing, otherwise (no conformance test pins
 *   a code range that runs into read-only data: this is the conservative reading).
 * - Anything else (read-only, no access, reserved, free): ERROR_NOACCESS and nothing is written.
 * @internal
 */
export function writeProcessMemory(process: Process, address: number, data: Uint8Array): void {
  if (data.length === 0) return;
  const first = pageRun(process, address, 1, READABLE, true);
  if (first.stop === PAGE_GUARDED) throw guardError(address, first);
  if (first.stop !== PAGE_OK) throw new WindowsError(STATUS_ACCESS_VIOLATION, `0x${address.toString(16)} is not accessible`, ERROR_NOACCESS);
  const [allocation, i] = first.pages[0];
  const access = protectionAccess(allocation.protect[i]);
  if ((access & WRITABLE) !== 0) {
    const result = ntWriteVirtualMemory(process, address, data);
    if (result.status === STATUS_GUARD_PAGE_VIOLATION) throw new WindowsError(STATUS_GUARD_PAGE_VIOLATION, `a guard page stopped the write after ${result.bytes} bytes`, STATUS_GUARD_PAGE_VIOLATION);
    if (result.status !== STATUS_SUCCESS) throw new WindowsError(STATUS_PARTIAL_COPY, `only ${result.bytes} of ${data.length} bytes were writable and written`, ERROR_PARTIAL_COPY);
    return;
  }
  if ((access & ProtAccess.Execute) === 0) throw new WindowsError(STATUS_ACCESS_VIOLATION, `0x${address.toString(16)} is not writable`, ERROR_NOACCESS);
  const run = pageRun(process, address, data.length, WRITABLE | ProtAccess.Execute, true);
  if (run.stop === PAGE_GUARDED) throw guardError(address, run);
  if (run.stop !== PAGE_OK) throw new WindowsError(STATUS_ACCESS_VIOLATION, `0x${stopAddress(address, run).toString(16)} is neither code nor writable`, ERROR_NOACCESS);
  copyIn(process, run.pages, address, data);
}

/**
 * NtWriteVirtualMemory (B100, B101): the prefix of the range whose pages are writable (read-write
 * or copy-on-write; code is not, unlike for WriteProcessMemory), and a status saying whether that
 * was all of it.
 * @throws {@link OutOfFramesError} when a page cannot get a frame of its own (nothing is written).
 * @internal
 */
export function ntWriteVirtualMemory(process: Process, address: number, data: Uint8Array): NtTransfer {
  const run = pageRun(process, address, data.length, WRITABLE, true);
  const bytes = run.stop === PAGE_OK ? data.length : bytesOnPages(address, data.length, run.pages.length);
  copyIn(process, run.pages, address, data.subarray(0, bytes));
  return { status: statusOf(run), bytes };
}

function statusOf(run: PageRun): number {
  return run.stop === PAGE_OK ? STATUS_SUCCESS : run.stop === PAGE_GUARDED ? STATUS_GUARD_PAGE_VIOLATION : STATUS_PARTIAL_COPY;
}

/** The first address of the page that stopped `run`. */
function stopAddress(address: number, run: PageRun): number {
  return (Math.floor(address / FRAME_SIZE) + run.pages.length) * FRAME_SIZE;
}

function guardError(address: number, run: PageRun): WindowsError {
  // B52: a system service that touches a guard page fails, and the guard is gone (cleared by pageRun).
  return new WindowsError(STATUS_GUARD_PAGE_VIOLATION, `0x${stopAddress(address, run).toString(16)} is a guard page`, STATUS_GUARD_PAGE_VIOLATION);
}
