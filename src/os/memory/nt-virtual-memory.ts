/**
 * The NT flavour of the virtual-memory calls: NtAllocateVirtualMemory, NtFreeVirtualMemory,
 * NtProtectVirtualMemory and NtQueryVirtualMemory. Each returns `{ status, ... }` with the
 * NTSTATUS and the IN OUT outputs (rounded base and size, old protection) instead of throwing,
 * so an HLE emulator can write them back to the guest as ntdll would. They throw a
 * {@link WindowsError} only for arguments JavaScript cannot pass as the guest's (a non-number,
 * a negative or fractional size) and for an exited process (STATUS_INVALID_HANDLE, as
 * {@link Process.ntReadVirtualMemory} does).
 *
 * The rules are those of the Win32 calls in virtual-memory.ts, with the NT differences that the
 * [Windows behaviours table](../../../docs/kernel.md#windows-behaviours-b1-to-b103) lists: ZeroBits (B20), the NT allocation-type mask (B16), the NT
 * free rules (B42–B45, including releasing a sub-range, which splits the allocation: B44), the
 * rounded outputs (B18, B35, B43) and the information classes (B30, B31, B77).
 * @module
 */
import { FRAME_SIZE } from '../../mmu/physical-memory.js';
import { Allocation } from '../records/allocation.js';
import {
  AT_ROUND_TO_PAGE,
  ERROR_INVALID_PARAMETER,
  MEM_COMMIT,
  MEM_DECOMMIT,
  MEM_IMAGE,
  MEM_PRIVATE,
  MEM_RELEASE,
  MEM_RESERVE,
  MEM_RESET,
  MEM_TOP_DOWN,
  MEM_WRITE_WATCH,
  STATUS_FREE_VM_NOT_AT_BASE,
  STATUS_INVALID_ADDRESS,
  STATUS_INVALID_INFO_CLASS,
  STATUS_INVALID_PARAMETER,
  STATUS_INVALID_PARAMETER_3,
  STATUS_INVALID_PARAMETER_5,
  STATUS_MEMORY_NOT_ALLOCATED,
  STATUS_NOT_SUPPORTED,
  STATUS_SUCCESS,
  STATUS_UNABLE_TO_FREE_VM,
} from '../rules/constants.js';
import { WindowsError } from '../rules/errors.js';
import type { Process } from '../kernel/process.js';
import type { ProcessArgument } from './process-argument.js';
import { decommitPages, dropPages, releaseAllocation, virtualAlloc, virtualProtect, virtualQuery, type MemoryBasicInformation } from './virtual-memory.js';

const PAGE = FRAME_SIZE;
const roundUp = (value: number, to: number): number => Math.ceil(value / to) * to;
const roundDown = (value: number, to: number): number => Math.floor(value / to) * to;

/**
 * What NtAllocateVirtualMemory and NtFreeVirtualMemory report ({@link Process.ntAllocateVirtualMemory},
 * {@link Process.ntFreeVirtualMemory}): the NTSTATUS and the `*BaseAddress` / `*RegionSize` outputs.
 */
export interface NtRegionResult {
  /** STATUS_SUCCESS, or the failure's NTSTATUS (unsigned). */
  readonly status: number;
  /** `*BaseAddress` after the call: the rounded base on success; the address passed in on failure (Windows leaves it untouched). */
  readonly base: number;
  /** `*RegionSize` after the call: the rounded size on success; the size passed in on failure. */
  readonly size: number;
}

/** What NtProtectVirtualMemory reports ({@link Process.ntProtectVirtualMemory}). */
export interface NtProtectResult extends NtRegionResult {
  /**
   * `*OldAccessProtection`: on success the protection the first page had (B34, GUARD included, B37);
   * on a failure on the range PAGE_NOACCESS, which Windows 8 and later write there (B3, B36);
   * `undefined` where Windows leaves it untouched (a bad protection or size, checked first).
   */
  readonly oldProtect: number | undefined;
}

/**
 * The MEMORY_INFORMATION_CLASS values of NtQueryVirtualMemory. mmukit answers
 * MemoryBasicInformation, MemoryRegionInformation and MemoryImageInformation; the other
 * classes Windows knows return STATUS_NOT_SUPPORTED, unknown values STATUS_INVALID_INFO_CLASS.
 */
export const MemoryInformationClass = {
  /** MEMORY_BASIC_INFORMATION, as VirtualQuery ({@link MemoryBasicInformation}). */
  MemoryBasicInformation: 0,
  /** The working set (not implemented). */
  MemoryWorkingSetInformation: 1,
  /** The mapped file's name (not implemented). */
  MemoryMappedFilenameInformation: 2,
  /** MEMORY_REGION_INFORMATION: the whole allocation and its commit ({@link MemoryRegionInformation}, B30, B77). */
  MemoryRegionInformation: 3,
  /** Extended working-set information (not implemented). */
  MemoryWorkingSetExInformation: 4,
  /** Shared commit (not implemented). */
  MemorySharedCommitInformation: 5,
  /** MEMORY_IMAGE_INFORMATION: the image an address is in ({@link MemoryImageInformation}, B31). */
  MemoryImageInformation: 6,
} as const;

/** The RegionType bits of {@link MemoryRegionInformation.regionType} (MEMORY_REGION_INFORMATION's flags). */
export const MemoryRegionType = {
  /** Private memory (VirtualAlloc). */
  Private: 0x01,
  /** A view of a file-backed data section. */
  MappedDataFile: 0x02,
  /** An image view. */
  MappedImage: 0x04,
  /** A view of a pagefile-backed (anonymous) section. */
  MappedPageFile: 0x08,
} as const;

/** MEMORY_REGION_INFORMATION, as NtQueryVirtualMemory(MemoryRegionInformation) fills it (B30, B77). */
export interface MemoryRegionInformation {
  /** Base of the allocation holding the address. */
  readonly allocationBase: number;
  /** The allocation's initial protection (B27). */
  readonly allocationProtect: number;
  /** {@link MemoryRegionType} bits: exactly one, by the kind of allocation. */
  readonly regionType: number;
  /** The size of the whole allocation, whatever the pages' states and protections (B30). */
  readonly regionSize: number;
  /**
   * Bytes of commit charged to the allocation: the committed pages of private memory (0 when
   * only reserved, B30); for a data view mapped PAGE_WRITECOPY (or EXECUTE_WRITECOPY), its
   * committed pages, charged at map time and unchanged by writes; 0 for any other view, even
   * after writes (B77); 0 for image views (mmukit's choice: no test pins it).
   */
  readonly commitSize: number;
}

/** MEMORY_IMAGE_INFORMATION, as NtQueryVirtualMemory(MemoryImageInformation) fills it (B31). */
export interface MemoryImageInformation {
  /** The image view's base, or 0 outside an image view. */
  readonly imageBase: number;
  /** The image's SizeOfImage (from its header), or 0 outside an image view. */
  readonly sizeOfImage: number;
  /** ImageFlags (ImagePartialMap, ImageNotExecutable, ...): always 0 in mmukit. */
  readonly imageFlags: number;
}

/** The information each class answers with. */
export interface MemoryInformationByClass {
  /** MemoryBasicInformation. */
  0: MemoryBasicInformation;
  /** MemoryRegionInformation. */
  3: MemoryRegionInformation;
  /** MemoryImageInformation. */
  6: MemoryImageInformation;
}

/** What NtQueryVirtualMemory reports ({@link Process.ntQueryVirtualMemory}). */
export interface NtQueryResult<T> {
  /**
   * STATUS_SUCCESS; STATUS_INVALID_PARAMETER at or above the highest user address (B28);
   * STATUS_INVALID_ADDRESS for MemoryRegionInformation or MemoryImageInformation on free memory
   * (B30, B31); STATUS_INVALID_INFO_CLASS or STATUS_NOT_SUPPORTED for a class mmukit does not answer.
   */
  readonly status: number;
  /** The information, on success; `undefined` otherwise (the guest's buffer is left untouched, B30). */
  readonly info: T | undefined;
}

function invalidArgument(message: string): WindowsError {
  return new WindowsError(STATUS_INVALID_PARAMETER, message, ERROR_INVALID_PARAMETER);
}

/** @internal A SIZE_T argument: a non-negative safe integer (a larger one is a guest-level failure, reported as a status). */
export function requireSize(size: unknown, what = 'size'): number {
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw invalidArgument(`${what} must be a non-negative integer, got ${String(size)}`);
  return size;
}

/** @internal A ULONG argument: an integer in [0, 2^32). */
export function requireUlong(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffff_ffff) throw invalidArgument(`${what} must be a ULONG, got ${String(value)}`);
  return value;
}

/** @internal The NTSTATUS of a failure of the Win32 internals, unsigned; anything else is rethrown. */
export function statusOf(error: unknown): number {
  if (error instanceof WindowsError) return error.ntStatus >>> 0;
  throw error;
}

/** NtAllocateVirtualMemory's valid AllocationType bits (B16: no MEM_RESET_UNDO, no AT_ROUND_TO_PAGE). */
const NT_ALLOCATION_TYPES = MEM_COMMIT | MEM_RESERVE | MEM_RESET | MEM_TOP_DOWN | MEM_WRITE_WATCH;

/**
 * The exclusive upper bound that ZeroBits puts on a reservation at a NULL address (B20), or a
 * status: 0 → no bound; 1..21 → the address must satisfy `addr >> (32 - zeroBits) == 0`
 * (21 leaves only addresses below 0x800, so the allocation fails with STATUS_NO_MEMORY);
 * 22..31 → STATUS_INVALID_PARAMETER_3; above 31 on a 64-bit address space a mask whose
 * leading zeros are the bits that must be zero (the bound is the power of two above its
 * highest set bit, as Wine's get_zero_bits_limit); above 31 on a 32-bit one → STATUS_INVALID_PARAMETER_3.
 * `invalid` is the status for an invalid value: ZeroBits is NtAllocateVirtualMemory's third parameter and
 * NtMapViewOfSection's fourth.
 * @internal
 */
export function zeroBitsLimit(process: ProcessArgument, zeroBits: number, invalid = STATUS_INVALID_PARAMETER_3): { limit: number } | { status: number } {
  if (zeroBits === 0) return { limit: Infinity };
  if (zeroBits <= 21) return { limit: 2 ** (32 - zeroBits) };
  if (zeroBits < 32 || process.kernel.userTop <= 2 ** 32) return { status: invalid };
  return { limit: 2 ** (Math.floor(Math.log2(zeroBits)) + 1) };
}

/**
 * NtAllocateVirtualMemory (B1–B22 with the NT statuses).
 * @internal Called through {@link Process.ntAllocateVirtualMemory}.
 */
export function ntAllocateVirtualMemory(target: ProcessArgument, address: number, size: number, allocationType: number, protect: number, zeroBits: number): NtRegionResult {
  const kernel = target.kernel;
  address = kernel.requireAddress(address, 'address');
  size = requireSize(size);
  allocationType = requireUlong(allocationType, 'allocationType');
  protect = requireUlong(protect, 'protect');
  if (typeof zeroBits !== 'number' || !Number.isSafeInteger(zeroBits) || zeroBits < 0) throw invalidArgument(`zeroBits must be a non-negative integer, got ${String(zeroBits)}`);
  kernel.requireLiveProcessObject(target);
  const fail = (status: number): NtRegionResult => ({ status, base: address, size });
  // ZeroBits is the third parameter; only a NULL address lets the kernel choose (MS NtAllocateVirtualMemory: "used only when the operating system determines where to allocate").
  const bound = zeroBitsLimit(target, zeroBits);
  if ('status' in bound) return fail(bound.status);
  // Size 0 before the allocation type (B1; docs/kernel.md "Which error wins", as Wine's NtAllocateVirtualMemory).
  if (size === 0) return fail(STATUS_INVALID_PARAMETER);
  if (allocationType & AT_ROUND_TO_PAGE) return fail(STATUS_INVALID_PARAMETER_5); // B16: AllocationType is the fifth parameter
  if ((allocationType & ~NT_ALLOCATION_TYPES) !== 0) return fail(STATUS_INVALID_PARAMETER); // B16
  // A bound that leaves no room (ZeroBits 21, B20) is found where a free range is looked for: after every other check.
  const limit = address === 0 ? bound.limit : Infinity;
  let base: number;
  try {
    // A process handle is looked at inside, after the protection's form: where virtualAlloc checks its process.
    base = virtualAlloc(target, address, size, allocationType, protect, limit);
  } catch (error) {
    return fail(statusOf(error));
  }
  // B18: a NULL address rounds the size up to pages; an explicit one covers every page [address, address + size) touches, from the rounded base.
  return { status: STATUS_SUCCESS, base, size: address === 0 ? roundUp(size, PAGE) : roundUp(address + size, PAGE) - base };
}

/**
 * NtFreeVirtualMemory (B39, B42–B46).
 * @internal Called through {@link Process.ntFreeVirtualMemory}.
 */
export function ntFreeVirtualMemory(target: ProcessArgument, address: number, size: number, freeType: number): NtRegionResult {
  const kernel = target.kernel;
  address = kernel.requireAddress(address, 'address');
  size = requireSize(size);
  freeType = requireUlong(freeType, 'freeType');
  kernel.requireLiveProcessObject(target);
  const fail = (status: number): NtRegionResult => ({ status, base: address, size });
  if (freeType !== MEM_DECOMMIT && freeType !== MEM_RELEASE) return fail(STATUS_INVALID_PARAMETER); // B39
  if (address === 0) return fail(STATUS_INVALID_PARAMETER); // B45
  // The arguments, then the process (a handle's failure is the status).
  const process = kernel.liveOrStatus(target);
  if (typeof process === 'number') return fail(process);
  const start = roundDown(address, PAGE);
  const allocation = process.regions.find(start);
  if (allocation === undefined) return fail(STATUS_MEMORY_NOT_ALLOCATED); // B45
  if (allocation.view !== null) return fail(STATUS_INVALID_PARAMETER); // B46: views are unmapped, not freed
  if (size === 0) {
    // B42: the address rounded down to a page must be the allocation base.
    if (start !== allocation.base) return fail(STATUS_FREE_VM_NOT_AT_BASE);
    const base = allocation.base;
    if (freeType === MEM_RELEASE) {
      const whole = allocation.size;
      releaseAllocation(process, allocation);
      return { status: STATUS_SUCCESS, base, size: whole };
    }
    decommitPages(process, allocation, 0, allocation.pageCount - 1);
    return { status: STATUS_SUCCESS, base, size: 0 }; // B42: *size = 0 on Windows 10 1709 and later
  }
  const end = roundUp(address + size, PAGE);
  if (end > allocation.end) return fail(STATUS_UNABLE_TO_FREE_VM); // B45: past the allocation, or into the next one
  const first = allocation.pageIndex(start);
  const last = allocation.pageIndex(end - 1);
  if (freeType === MEM_DECOMMIT) decommitPages(process, allocation, first, last); // B43
  else if (first === 0 && last === allocation.pageCount - 1) releaseAllocation(process, allocation);
  else releaseSubRange(process, allocation, first, last); // B44
  return { status: STATUS_SUCCESS, base: start, size: end - start };
}

/**
 * Releases pages `first..last` of a private allocation, not all of them (B44): the allocation is
 * replaced by the one or two pieces around the hole, each an allocation of its own with the
 * records (commit, protection, frames, write watch, locks) of its pages and the original
 * AllocationProtect. The frames kept stay mapped where they were: same addresses, same entries.
 */
function releaseSubRange(process: Process, allocation: Allocation, first: number, last: number): void {
  let committed = 0;
  for (let i = first; i <= last; i++) committed += allocation.committed[i];
  dropPages(process, allocation, first, last);
  const pieces: Allocation[] = [];
  if (first > 0) pieces.push(piece(allocation, 0, first));
  if (last < allocation.pageCount - 1) pieces.push(piece(allocation, last + 1, allocation.pageCount));
  process.regions.remove(allocation);
  for (const p of pieces) process.regions.insert(p);
  process.kernel.uncharge(committed);
}

/** A new private allocation holding pages `from..to - 1` of `allocation`, with their records. */
function piece(allocation: Allocation, from: number, to: number): Allocation {
  const result = new Allocation(allocation.base + from * PAGE, (to - from) * PAGE, allocation.allocationProtect, MEM_PRIVATE, null, allocation.writeWatch !== null);
  result.protect.set(allocation.protect.subarray(from, to));
  result.committed.set(allocation.committed.subarray(from, to));
  result.frame.set(allocation.frame.subarray(from, to));
  result.copied.set(allocation.copied.subarray(from, to));
  if (allocation.writeWatch !== null) result.writeWatch!.set(allocation.writeWatch.subarray(from, to));
  if (allocation.locked !== null) result.locked = allocation.locked.slice(from, to);
  return result;
}

/**
 * NtProtectVirtualMemory (B3, B5, B32–B38, B68, B85 with the NT outputs, B35).
 * @internal Called through {@link Process.ntProtectVirtualMemory}.
 */
export function ntProtectVirtualMemory(target: ProcessArgument, address: number, size: number, protect: number): NtProtectResult {
  const kernel = target.kernel;
  address = kernel.requireAddress(address, 'address');
  size = requireSize(size);
  protect = requireUlong(protect, 'protect');
  kernel.requireLiveProcessObject(target);
  try {
    // A process handle is looked at inside, after the size and the protection's form.
    const oldProtect = virtualProtect(target, address, size, protect);
    const base = roundDown(address, PAGE);
    return { status: STATUS_SUCCESS, base, size: roundUp(address + size, PAGE) - base, oldProtect }; // B35
  } catch (error) {
    const status = statusOf(error);
    return { status, base: address, size, oldProtect: (error as WindowsError).oldProtect };
  }
}

function regionType(allocation: Allocation): number {
  if (allocation.view === null) return MemoryRegionType.Private;
  if (allocation.type === MEM_IMAGE) return MemoryRegionType.MappedImage;
  return allocation.view.section.fileBacked ? MemoryRegionType.MappedDataFile : MemoryRegionType.MappedPageFile;
}

/**
 * NtQueryVirtualMemory for MemoryBasicInformation, MemoryRegionInformation and
 * MemoryImageInformation (B23–B31, B77).
 * @internal Called through {@link Process.ntQueryVirtualMemory}.
 */
export function ntQueryVirtualMemory(target: ProcessArgument, address: number, informationClass: number): NtQueryResult<MemoryBasicInformation | MemoryRegionInformation | MemoryImageInformation> {
  const kernel = target.kernel;
  address = kernel.requireAddress(address, 'address');
  informationClass = requireUlong(informationClass, 'informationClass');
  kernel.requireLiveProcessObject(target);
  const C = MemoryInformationClass;
  if (informationClass !== C.MemoryBasicInformation && informationClass !== C.MemoryRegionInformation && informationClass !== C.MemoryImageInformation) {
    return { status: informationClass <= C.MemoryImageInformation ? STATUS_NOT_SUPPORTED : STATUS_INVALID_INFO_CLASS, info: undefined };
  }
  if (address >= kernel.userTop) return { status: STATUS_INVALID_PARAMETER, info: undefined }; // B28
  const process = kernel.liveOrStatus(target);
  if (typeof process === 'number') return { status: process, info: undefined };
  if (informationClass === C.MemoryBasicInformation) return { status: STATUS_SUCCESS, info: virtualQuery(process, address) };
  const allocation = process.regions.find(roundDown(address, PAGE));
  if (allocation === undefined) return { status: STATUS_INVALID_ADDRESS, info: undefined }; // B30, B31
  if (informationClass === C.MemoryImageInformation) {
    const image = allocation.type === MEM_IMAGE ? allocation.view?.section.image ?? null : null;
    return { status: STATUS_SUCCESS, info: { imageBase: image === null ? 0 : allocation.base, sizeOfImage: image === null ? 0 : image.pe.sizeOfImage, imageFlags: 0 } };
  }
  // Private memory: its committed pages. A view: the charge it took when mapped (B77: copy-on-write views; others 0).
  let commitSize = (allocation.view?.commitCharge ?? 0) * PAGE;
  if (allocation.view === null) for (let i = 0; i < allocation.pageCount; i++) if (allocation.committed[i] === 1) commitSize += PAGE;
  return {
    status: STATUS_SUCCESS,
    info: { allocationBase: allocation.base, allocationProtect: allocation.allocationProtect, regionType: regionType(allocation), regionSize: allocation.size, commitSize },
  };
}
