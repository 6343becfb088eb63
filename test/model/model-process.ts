/**
 * A model process: its allocations as plain records, and the memory calls
 * (VirtualAlloc/Protect/Free/Query, ReadProcessMemory/WriteProcessMemory) and
 * CPU accesses as windows-semantics.md describes them. Each method either
 * returns, or throws the {@link ModelCallError} / {@link ModelException} the
 * call should fail with, after making exactly the changes Windows makes
 * before failing (a guard bit cleared, a copy-on-write copy made).
 */
import { ModelAllocation } from './model-allocation.js';
import { ModelHandleTable, type ModelThread } from './model-handles.js';
import {
  AT_ROUND_TO_PAGE,
  ERROR_ACCESS_DENIED,
  ERROR_INVALID_ADDRESS,
  ERROR_INVALID_HANDLE,
  ERROR_INVALID_PARAMETER,
  ERROR_NOACCESS,
  ERROR_NOT_ENOUGH_MEMORY,
  ERROR_NOT_LOCKED,
  ERROR_PARTIAL_COPY,
  GRANULARITY,
  LOWEST_USER_ADDRESS,
  MAP_PROCESS,
  MAP_SYSTEM,
  MEM_COMMIT,
  MEM_DECOMMIT,
  MEM_FREE,
  MEM_PRIVATE,
  MEM_RELEASE,
  MEM_RESERVE,
  MEM_RESET,
  MEM_WRITE_WATCH,
  MEMORY_CLASS_BASIC,
  MEMORY_CLASS_IMAGE,
  MEMORY_CLASS_REGION,
  NT_ALLOCATION_TYPES,
  PAGE,
  PAGE_GUARD,
  PAGE_NOACCESS,
  REGION_MAPPED_DATA_FILE,
  REGION_MAPPED_IMAGE,
  REGION_MAPPED_PAGE_FILE,
  REGION_PRIVATE,
  STATUS_ALREADY_COMMITTED,
  STATUS_CONFLICTING_ADDRESSES,
  STATUS_FREE_VM_NOT_AT_BASE,
  STATUS_GUARD_PAGE_VIOLATION,
  STATUS_INVALID_ADDRESS,
  STATUS_INVALID_HANDLE,
  STATUS_INVALID_INFO_CLASS,
  STATUS_INVALID_PAGE_PROTECTION,
  STATUS_INVALID_PARAMETER,
  STATUS_INVALID_PARAMETER_3,
  STATUS_INVALID_PARAMETER_5,
  STATUS_MEMORY_NOT_ALLOCATED,
  STATUS_NO_MEMORY,
  STATUS_NOT_COMMITTED,
  STATUS_NOT_LOCKED,
  STATUS_ACCESS_VIOLATION,
  STATUS_PARTIAL_COPY,
  STATUS_PRIVILEGE_NOT_HELD,
  STATUS_SUCCESS,
  STATUS_UNABLE_TO_FREE_VM,
  STATUS_WAS_LOCKED,
  WRITE_WATCH_FLAG_RESET,
} from './model-constants.js';
import { ModelCallError, ModelMismatch, UnpinnedStatus, accessViolation, guardViolation, ntStep, type ModelHandleFailure, type ModelStatus } from './model-outcome.js';
import {
  allows,
  copiesOnWrite,
  fitsView,
  imageProtection,
  isGuard,
  reportedProtection,
  validPrivateProtection,
  validViewProtection,
  type AccessKind,
} from './model-protection.js';

/** MEMORY_BASIC_INFORMATION, field for field as mmukit reports it. */
export interface ModelRegion {
  baseAddress: number;
  allocationBase: number;
  allocationProtect: number;
  regionSize: number;
  state: number;
  protect: number;
  type: number;
}

/** NtAllocate/NtFreeVirtualMemory's outputs: the status, `*BaseAddress` and `*RegionSize` after the call. */
export interface ModelNtRegion {
  status: ModelStatus;
  base: number;
  size: number;
}

/** NtProtectVirtualMemory's outputs: those of {@link ModelNtRegion} and `*OldAccessProtection` (undefined: left unwritten). */
export interface ModelNtProtect extends ModelNtRegion {
  oldProtect: number | undefined;
}

/** MEMORY_REGION_INFORMATION (B30, B77), field for field as mmukit reports it. */
export interface ModelRegionInformation {
  allocationBase: number;
  allocationProtect: number;
  regionType: number;
  regionSize: number;
  commitSize: number;
}

/** MEMORY_IMAGE_INFORMATION (B31). */
export interface ModelImageInformation {
  imageBase: number;
  sizeOfImage: number;
  imageFlags: number;
}

/** NtQueryVirtualMemory's outputs: the status, and the information on success (the buffer is untouched otherwise, B30). */
export interface ModelNtQuery {
  status: number;
  info: ModelRegion | ModelRegionInformation | ModelImageInformation | undefined;
}

/** NtRead/NtWriteVirtualMemory's outputs: the status and the bytes transferred. */
export interface ModelNtTransfer {
  status: number;
  bytes: number;
}

/**
 * Where mmukit put something the caller let the kernel place: the model only
 * asks that the place be valid (`isFree`), not that it be a particular one.
 */
export type BaseChooser = (length: number, isFree: (base: number) => boolean) => number;

const pageDown = (address: number) => Math.floor(address / PAGE) * PAGE;
const pageUp = (address: number) => Math.ceil(address / PAGE) * PAGE;

export class ModelProcess {
  /** Allocations, ordered by base. */
  readonly allocations: ModelAllocation[] = [];
  live = true;
  /** Counter of the write markers this process writes (markers.ts). */
  nextMarker = 0;
  /** Markers of other processes this one may hold: writer pid → markers below this count (inherited by fork). */
  readonly inheritedMarkers = new Map<number, number>();
  /** Its handle table (model-objects.ts makes and closes the handles). */
  handles = new ModelHandleTable();
  /** What a process handle refers to. */
  readonly objectType = 'Process';
  /** Handles to this process in every process's table: an exited process keeps its id while one is open. */
  handleCount = 0;
  /** Its threads (CreateRemoteThread), in creation order, exited ones included. */
  readonly threads: ModelThread[] = [];
  /** The thread last run in it (kernel.runThread). */
  private running: ModelThread | null = null;
  /**
   * A process handle's failure, for a call made through the handle (model-objects.ts): the call runs
   * on this process and finds the failure where it checks its process, after its own argument checks.
   */
  stepFailure: ModelHandleFailure | null = null;

  constructor(
    readonly pid: number,
    readonly userTop: number,
    /** Throws ERROR_COMMITMENT_LIMIT unless `pages` more pages of commit fit under the limit (the world's). */
    readonly requireCommit: (pages: number) => void = () => {},
  ) {}

  find(address: number): ModelAllocation | undefined {
    return this.allocations.find((a) => a.contains(address));
  }

  /** Whether [base, base + length) is 64 KiB aligned, inside [LOWEST_USER_ADDRESS, top) and touches no allocation. */
  isFree(base: number, length: number, top = this.userTop): boolean {
    if (base % GRANULARITY !== 0 || base < LOWEST_USER_ADDRESS || base + length > top) return false;
    return this.allocations.every((a) => a.end <= base || a.base >= base + length);
  }

  overlaps(base: number, length: number): boolean {
    return this.allocations.some((a) => a.end > base && a.base < base + length);
  }

  insert(allocation: ModelAllocation): void {
    this.allocations.push(allocation);
    this.allocations.sort((a, b) => a.base - b.base);
  }

  remove(allocation: ModelAllocation): void {
    this.allocations.splice(this.allocations.indexOf(allocation), 1);
  }

  /**
   * Pick a base below `top` through `choose` and check it is one the caller allowed; STATUS_NO_MEMORY
   * when there is none (B20: ZeroBits can leave no room). With `order`, the base must also be the
   * lowest free range, or the highest (MEM_TOP_DOWN), as docs/kernel.md ("NtMapViewOfSection") says.
   * `charge` makes the checks that come after the free range (the commit charge), before mmukit's choice is asked for.
   */
  place(length: number, choose: BaseChooser, top = this.userTop, order?: 'lowest' | 'highest', charge?: () => void): number {
    // The candidates: the lowest address and the first granule past each allocation.
    const candidates = [LOWEST_USER_ADDRESS, ...this.allocations.map((a) => Math.ceil(a.end / GRANULARITY) * GRANULARITY)];
    const free = candidates.filter((b) => this.isFree(b, length, top));
    if (free.length === 0) {
      throw new ModelCallError(ERROR_NOT_ENOUGH_MEMORY, STATUS_NO_MEMORY, `no free 0x${length.toString(16)} bytes below 0x${top.toString(16)}`);
    }
    charge?.();
    const base = choose(length, (b) => this.isFree(b, length, top));
    if (!this.isFree(base, length, top)) {
      throw new ModelMismatch(`mmukit placed 0x${length.toString(16)} bytes at 0x${base.toString(16)}, which is not a free, 64 KiB-aligned user range`);
    }
    const wanted = order === 'lowest' ? Math.min(...free) : order === 'highest' ? this.highestFree(length, top) : base;
    if (base !== wanted) {
      throw new ModelMismatch(`mmukit placed 0x${length.toString(16)} bytes at 0x${base.toString(16)}, but the ${order} free range below 0x${top.toString(16)} is at 0x${wanted.toString(16)}`);
    }
    return base;
  }

  /** The highest 64 KiB-aligned base of a free `length` bytes below `top` (there is one). */
  private highestFree(length: number, top: number): number {
    let best = -1;
    const ends = [LOWEST_USER_ADDRESS, ...this.allocations.map((a) => a.end)];
    const starts = [...this.allocations.map((a) => a.base), top];
    ends.forEach((gapStart, i) => {
      const base = Math.floor((Math.min(starts[i], top) - length) / GRANULARITY) * GRANULARITY;
      if (base >= gapStart && this.isFree(base, length, top)) best = Math.max(best, base);
    });
    return best;
  }

  /** GetCurrentThread() (CURRENT_THREAD_HANDLE): the thread last run in the process while it lives; null before one ran, or once it exited. */
  get currentThread(): ModelThread | null {
    return this.running !== null && !this.running.exited ? this.running : null;
  }

  set currentThread(thread: ModelThread | null) {
    this.running = thread;
  }

  /** The process step: a process handle's failure ({@link stepFailure}); an exited process (ERROR_INVALID_HANDLE, B22). */
  requireLive(): void {
    if (this.stepFailure !== null) throw this.stepFailure;
    if (!this.live) throw new ModelCallError(ERROR_INVALID_HANDLE, STATUS_INVALID_HANDLE, 'the process has exited (B22)');
  }

  /** An NT call's process step: null to go on, or the status of a process handle's failure (an exited process the call is made on throws). */
  liveOrStatus(): number | null {
    if (this.stepFailure !== null) return this.stepFailure.ntStatus!;
    this.requireLive();
    return null;
  }

  /** Whether a transfer of `length` bytes has a process step: through a process handle, 0 bytes succeed without looking at it (NtReadVirtualMemory references its process only to copy something). */
  private looksAtProcess(length: number): boolean {
    return length > 0 || this.stepFailure === null;
  }

  // ------------------------------------------------------------------ VirtualAlloc

  /**
   * VirtualAlloc with MEM_RESERVE and/or MEM_COMMIT (B1–B19, B69). Errors in mmukit's documented
   * order (docs/kernel.md, "Which error wins"): the arguments, then the process, then the memory.
   */
  virtualAlloc(address: number, size: number, type: number, protect: number, choose: BaseChooser, limit = Infinity): number {
    if (size === 0) throw new ModelCallError(ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER, 'size 0 (B1)');
    if ((type & MEM_WRITE_WATCH) !== 0 && (type & MEM_RESERVE) === 0) throw new ModelCallError(ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER, 'MEM_WRITE_WATCH without MEM_RESERVE (B21)');
    // The protection's form; whether WRITECOPY fits depends on the memory (B12 private, B69 a view).
    if (!validViewProtection(protect)) throw new ModelCallError(ERROR_INVALID_PARAMETER, STATUS_INVALID_PAGE_PROTECTION, 'bad protection (B10, B11, B33)');
    const reserving = (type & MEM_RESERVE) !== 0 || address === 0;
    const base = Math.floor(address / GRANULARITY) * GRANULARITY; // B18
    if (reserving && address !== 0 && (base < LOWEST_USER_ADDRESS || pageUp(address + size) > this.userTop)) {
      throw new ModelCallError(ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER, 'outside user space (§1.1)');
    }
    this.requireLive();
    if (reserving) {
      if (!validPrivateProtection(protect)) throw new ModelCallError(ERROR_INVALID_PARAMETER, STATUS_INVALID_PAGE_PROTECTION, 'WRITECOPY for private memory (B12)');
      return this.reserve(address, size, type, protect, choose, limit);
    }
    return this.commit(address, size, protect);
  }

  /** A reservation; the kernel places one at a NULL address entirely below `limit` (B20). */
  private reserve(address: number, size: number, type: number, protect: number, choose: BaseChooser, limit: number): number {
    let base: number;
    let length: number;
    // docs/kernel.md ("Which error wins"): the commit charge comes last.
    const charge = () => this.requireCommit((type & MEM_COMMIT) !== 0 ? length / PAGE : 0);
    if (address === 0) {
      length = pageUp(size);
      base = this.place(length, choose, Math.min(this.userTop, limit), undefined, charge);
    } else {
      base = Math.floor(address / GRANULARITY) * GRANULARITY; // B18
      length = pageUp(address + size) - base;
      if (this.overlaps(base, length)) throw new ModelCallError(ERROR_INVALID_ADDRESS, STATUS_CONFLICTING_ADDRESSES, 'range in use (B17)');
      charge();
    }
    const allocation = new ModelAllocation(base, length / PAGE, protect, MEM_PRIVATE, null);
    allocation.watched = (type & MEM_WRITE_WATCH) !== 0; // B21, B103
    if ((type & MEM_COMMIT) !== 0) {
      allocation.committed.fill(true);
      allocation.protect.fill(protect);
    }
    this.insert(allocation);
    return base;
  }

  private commit(address: number, size: number, protect: number): number {
    const start = pageDown(address);
    const end = pageUp(address + size);
    const allocation = this.find(start);
    // B19 pins the Win32 error only (Wine says STATUS_NOT_MAPPED_VIEW).
    if (allocation === undefined || end > allocation.end) throw new ModelCallError(ERROR_INVALID_ADDRESS, undefined, 'commit outside one reservation (B19)');
    const section = allocation.section;
    if (section === null) {
      if (!validPrivateProtection(protect)) throw new ModelCallError(ERROR_INVALID_PARAMETER, STATUS_INVALID_PAGE_PROTECTION, 'WRITECOPY for private memory (B12)');
    } else {
      if (section.fileBacked) throw new ModelCallError(ERROR_ACCESS_DENIED, STATUS_ALREADY_COMMITTED, 'commit in a file or image view (B69)');
      // B69: a compatible protection, WRITECOPY included, commits and is what VirtualQuery then reports.
      if (!fitsView(allocation.allocationProtect, protect)) throw new ModelCallError(ERROR_INVALID_PARAMETER, undefined, 'protection beyond the view (B69)');
    }
    const pages = allocation.protect.map((_, i) => i).slice(allocation.pageIndex(start), allocation.pageIndex(end - 1) + 1);
    // Only the pages not committed yet are charged: in a view, the section's (docs/kernel.md, "Which error wins": last).
    this.requireCommit(pages.filter((i) => !allocation.isCommitted(i)).length);
    for (const i of pages) {
      if (section !== null) section.committed[allocation.firstPage + i] = true;
      else allocation.committed[i] = true;
      allocation.protect[i] = protect;
    }
    return start;
  }

  /** VirtualAlloc(MEM_RESET): accepted inside one allocation, contents kept (B7–B9: keeping them is one of the two allowed outcomes). */
  reset(address: number, size: number): number {
    if (size === 0) throw new ModelCallError(ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER, 'size 0 (B1)');
    this.requireLive();
    const start = pageDown(address);
    const allocation = this.find(start);
    if (allocation === undefined || pageUp(address + size) > allocation.end) throw new ModelCallError(ERROR_INVALID_ADDRESS, undefined, 'MEM_RESET outside one allocation (B9)');
    return start;
  }

  // ------------------------------------------------------------------ VirtualProtect

  /**
   * VirtualProtect (B3, B5, B6, B33–B38, B68, B85): all pages or none; returns the first page's old
   * protection. A bad protection is refused before the range is looked at (B33).
   */
  virtualProtect(address: number, size: number, protect: number): number {
    if (!validViewProtection(protect)) throw new ModelCallError(ERROR_INVALID_PARAMETER, STATUS_INVALID_PAGE_PROTECTION, 'bad protection (B11, B33, B85)');
    this.requireLive();
    const start = pageDown(address);
    const end = pageUp(address + size);
    const allocation = this.find(start);
    if (allocation === undefined || end > allocation.end) {
      throw new ModelCallError(ERROR_INVALID_ADDRESS, STATUS_CONFLICTING_ADDRESSES, 'range not inside one allocation (B36)');
    }
    let stored = protect;
    if (allocation.section === null) {
      if (!validPrivateProtection(protect)) throw new ModelCallError(ERROR_INVALID_PARAMETER, STATUS_INVALID_PAGE_PROTECTION, 'WRITECOPY for private memory (B12)');
    } else {
      if (allocation.isImage) stored = imageProtection(protect);
      else if (!fitsView(allocation.allocationProtect, protect)) throw new ModelCallError(ERROR_INVALID_PARAMETER, undefined, 'protection beyond the view (B68)');
    }
    const first = allocation.pageIndex(start);
    const last = allocation.pageIndex(end - 1);
    for (let i = first; i <= last; i++) {
      if (!allocation.isCommitted(i)) throw new ModelCallError(ERROR_INVALID_ADDRESS, STATUS_NOT_COMMITTED, 'a page is not committed (B3, B5)');
    }
    const old = reportedProtection(allocation.protect[first], allocation.isCopied(first));
    for (let i = first; i <= last; i++) allocation.protect[i] = stored;
    return old;
  }

  // ------------------------------------------------------------------ VirtualFree

  /** VirtualFree, kernel32 rules (B39–B46). */
  virtualFree(address: number, size: number, freeType: number): void {
    if (freeType !== MEM_DECOMMIT && freeType !== MEM_RELEASE) throw new ModelCallError(ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER, 'free type (B39)');
    // kernel32 refuses it before the NT call looks at anything, whatever the address (B41).
    if (freeType === MEM_RELEASE && size !== 0) throw new ModelCallError(ERROR_INVALID_PARAMETER, undefined, 'MEM_RELEASE needs size 0 (B41)');
    if (address === 0) throw new ModelCallError(ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER, 'NULL address (B45)');
    this.requireLive();
    const start = pageDown(address);
    const allocation = this.find(start);
    if (allocation === undefined) throw new ModelCallError(ERROR_INVALID_ADDRESS, STATUS_MEMORY_NOT_ALLOCATED, 'not allocated (B45)');
    if (allocation.section !== null) throw new ModelCallError(ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER, 'a view is unmapped, not freed (B46)');
    if (freeType === MEM_RELEASE) {
      if (start !== allocation.base) throw new ModelCallError(ERROR_INVALID_ADDRESS, STATUS_FREE_VM_NOT_AT_BASE, 'not the allocation base (B42)');
      this.remove(allocation);
      return;
    }
    let first = 0;
    let last = allocation.pageCount - 1;
    if (size === 0) {
      if (start !== allocation.base) throw new ModelCallError(ERROR_INVALID_ADDRESS, STATUS_FREE_VM_NOT_AT_BASE, 'size 0 away from the base (B42)');
    } else {
      const end = pageUp(address + size);
      if (end > allocation.end) throw new ModelCallError(ERROR_INVALID_PARAMETER, STATUS_UNABLE_TO_FREE_VM, 'runs past the allocation (B45)');
      first = allocation.pageIndex(start);
      last = allocation.pageIndex(end - 1);
    }
    for (let i = first; i <= last; i++) {
      allocation.committed[i] = false;
      allocation.protect[i] = 0;
      allocation.own[i] = null; // decommitted contents are gone; a new commit reads zeros
      allocation.locked[i] = false; // and so are their locks (docs/kernel.md, "Locking pages")
    }
  }

  /**
   * NtFreeVirtualMemory (B39, B42–B46): the NT rules, failures as a status with the outputs
   * untouched. MEM_RELEASE with a non-zero size releases the pages the range touches and splits
   * the allocation: each remaining piece is an allocation of its own (B44). Errors in the order of
   * docs/kernel.md ("Which error wins"): free type, NULL base, the process, nothing allocated, a
   * view, then the base (size 0) or the end of the range.
   */
  ntFreeVirtualMemory(address: number, size: number, freeType: number): ModelNtRegion {
    const fail = (status: number): ModelNtRegion => ({ status, base: address, size });
    if (freeType !== MEM_DECOMMIT && freeType !== MEM_RELEASE) return fail(STATUS_INVALID_PARAMETER); // B39
    if (address === 0) return fail(STATUS_INVALID_PARAMETER); // B45
    const failed = this.liveOrStatus();
    if (failed !== null) return fail(failed);
    const start = pageDown(address);
    const allocation = this.find(start);
    if (allocation === undefined) return fail(STATUS_MEMORY_NOT_ALLOCATED); // B45
    if (allocation.section !== null) return fail(STATUS_INVALID_PARAMETER); // B46
    let first: number;
    let last: number;
    if (size === 0) {
      if (start !== allocation.base) return fail(STATUS_FREE_VM_NOT_AT_BASE); // B42
      first = 0;
      last = allocation.pageCount - 1;
    } else {
      const end = pageUp(address + size);
      if (end > allocation.end) return fail(STATUS_UNABLE_TO_FREE_VM); // B45
      first = allocation.pageIndex(start);
      last = allocation.pageIndex(end - 1);
    }
    const freedBase = allocation.base + first * PAGE;
    const freedSize = (last - first + 1) * PAGE;
    if (freeType === MEM_RELEASE) {
      this.remove(allocation);
      if (first > 0) this.insert(allocation.slice(0, first)); // B44: the piece below keeps the base
      if (last < allocation.pageCount - 1) this.insert(allocation.slice(last + 1, allocation.pageCount - 1 - last)); // B44: the piece above is its own allocation
      return { status: STATUS_SUCCESS, base: freedBase, size: freedSize };
    }
    for (let i = first; i <= last; i++) {
      allocation.committed[i] = false;
      allocation.protect[i] = 0;
      allocation.own[i] = null;
      allocation.locked[i] = false;
    }
    // B42: size 0 decommits the whole allocation and reports *size = 0; B43: otherwise the pages touched.
    return { status: STATUS_SUCCESS, base: freedBase, size: size === 0 ? 0 : freedSize };
  }

  // ------------------------------------------------------------------ NtAllocate/Protect/QueryVirtualMemory

  /**
   * NtAllocateVirtualMemory: VirtualAlloc's rules (B1–B21) with the NT statuses and outputs. Step 1
   * (docs/kernel.md, "Which error wins") in Wine's order, which docs/kernel.md follows for size 0:
   * size 0 (B1); ZeroBits (B20: 22..31, and on 32-bit anything above 31, STATUS_INVALID_PARAMETER_3);
   * the allocation type (B16: AT_ROUND_TO_PAGE → STATUS_INVALID_PARAMETER_5, other bits outside the NT
   * mask → STATUS_INVALID_PARAMETER; B21; MEM_RESET with COMMIT or RESERVE; no action); the
   * protection's form. Then the process (an exited one throws), then the memory, where ZeroBits
   * bounds the whole of a reservation the kernel places (STATUS_NO_MEMORY when nothing fits;
   * ignored for an explicit address). Outputs: the rounded base and size (B18); on failure the
   * inputs, untouched.
   */
  ntAllocateVirtualMemory(address: number, size: number, type: number, protect: number, zeroBits: number, choose: BaseChooser): ModelNtRegion {
    const fail = (status: ModelStatus): ModelNtRegion => ({ status, base: address, size });
    const invalid = (why: string) => fail(new UnpinnedStatus(ERROR_INVALID_PARAMETER, why));
    const limit = this.zeroBitsLimit(zeroBits);
    // B1; with a bad ZeroBits too, which comes first is not pinned (Wine: size 0; ReactOS: ZeroBits).
    if (size === 0) return limit === null ? invalid('size 0 and a bad ZeroBits') : fail(STATUS_INVALID_PARAMETER);
    if (limit === null) return fail(STATUS_INVALID_PARAMETER_3); // B20
    if ((type & AT_ROUND_TO_PAGE) !== 0) return fail(STATUS_INVALID_PARAMETER_5); // B16
    if ((type & ~NT_ALLOCATION_TYPES) !== 0) return fail(STATUS_INVALID_PARAMETER); // B16
    if ((type & MEM_WRITE_WATCH) !== 0 && (type & MEM_RESERVE) === 0) return fail(STATUS_INVALID_PARAMETER); // B21
    const reset = (type & MEM_RESET) !== 0;
    if (reset && (type & (MEM_COMMIT | MEM_RESERVE)) !== 0) return invalid('MEM_RESET with MEM_COMMIT or MEM_RESERVE');
    if ((type & (MEM_COMMIT | MEM_RESERVE | MEM_RESET)) === 0) return invalid('no action');
    const base = ntStep(fail, () => (reset ? this.reset(address, size) : this.virtualAlloc(address, size, type, protect, choose, address === 0 ? limit : Infinity)));
    if (typeof base !== 'number') return base;
    return { status: STATUS_SUCCESS, base, size: address === 0 ? pageUp(size) : pageUp(address + size) - base }; // B18
  }

  /**
   * B20: the exclusive bound ZeroBits puts on a reservation the kernel places, or null when it is
   * invalid. 1..21: 2^(32 - ZeroBits) (21 leaves no room); 22..31 invalid; above 31 on 64-bit a mask
   * whose leading zeros must stay zero, so the bound is the power of two above its top bit. Above 31
   * on 32-bit the document is silent: invalid, as in Wine (not generated).
   */
  zeroBitsLimit(zeroBits: number): number | null {
    if (zeroBits === 0) return Infinity;
    if (zeroBits <= 21) return 2 ** (32 - zeroBits);
    if (zeroBits <= 31 || this.userTop <= 2 ** 32) return null;
    return 2 ** zeroBits.toString(2).length;
  }

  /**
   * NtProtectVirtualMemory: VirtualProtect's rules (B3, B5, B12, B33–B38, B68, B85) with the NT
   * outputs: the page base and the rounded size (B35) and the first page's old protection (B34,
   * B37). A failure at step 1 (size 0, the protection's form) leaves `*OldAccessProtection`
   * unwritten; a failure on the memory (step 3) writes PAGE_NOACCESS there (B3, B36; docs/kernel.md,
   * "Which error wins").
   */
  ntProtectVirtualMemory(address: number, size: number, protect: number): ModelNtProtect {
    const fail = (status: ModelStatus, oldProtect?: number): ModelNtProtect => ({ status, base: address, size, oldProtect });
    if (size === 0) return fail(new UnpinnedStatus(ERROR_INVALID_PARAMETER, 'size 0 (docs/kernel.md: step 1)'));
    if (!validViewProtection(protect)) return fail(STATUS_INVALID_PAGE_PROTECTION); // B33
    const failed = this.liveOrStatus(); // a process handle's failure writes no old protection
    if (failed !== null) return fail(failed);
    const oldProtect = ntStep((status) => fail(status, PAGE_NOACCESS), () => this.virtualProtect(address, size, protect));
    if (typeof oldProtect !== 'number') return oldProtect;
    const base = pageDown(address);
    return { status: STATUS_SUCCESS, base, size: pageUp(address + size) - base, oldProtect };
  }

  /**
   * NtQueryVirtualMemory (B23–B31, B77). An unknown class → STATUS_INVALID_INFO_CLASS (mmukit's API
   * documentation; the semantics are silent); at or above the highest user address
   * STATUS_INVALID_PARAMETER (B28). MemoryBasicInformation is VirtualQuery's answer.
   * MemoryRegionInformation and MemoryImageInformation on free memory → STATUS_INVALID_ADDRESS (B30,
   * B31); otherwise the whole allocation: its size and the bytes of commit charged to it (private:
   * the committed pages, B30; a data view mapped copy-on-write: the section pages it maps, charged at
   * map time, B77 and docs/kernel.md; any other view 0), or the image a view shows (B31, ImageFlags 0).
   */
  ntQueryVirtualMemory(address: number, informationClass: number): ModelNtQuery {
    const fail = (status: number): ModelNtQuery => ({ status, info: undefined });
    if (![MEMORY_CLASS_BASIC, MEMORY_CLASS_REGION, MEMORY_CLASS_IMAGE].includes(informationClass)) return fail(STATUS_INVALID_INFO_CLASS);
    if (address >= this.userTop) return fail(STATUS_INVALID_PARAMETER); // B28
    const failed = this.liveOrStatus();
    if (failed !== null) return fail(failed);
    if (informationClass === MEMORY_CLASS_BASIC) return { status: STATUS_SUCCESS, info: this.virtualQuery(address) };
    const allocation = this.find(address);
    if (allocation === undefined) return fail(STATUS_INVALID_ADDRESS); // B30, B31
    if (informationClass === MEMORY_CLASS_IMAGE) {
      const image = allocation.isImage ? allocation.section!.image : null;
      return { status: STATUS_SUCCESS, info: { imageBase: image === null ? 0 : allocation.base, sizeOfImage: image?.sizeOfImage ?? 0, imageFlags: 0 } };
    }
    const section = allocation.section;
    // B30: private memory's committed pages. B77: a data view mapped copy-on-write was charged a page for each section page it maps.
    const commitSize = allocation.commitCharge() * PAGE;
    const regionType = section === null ? REGION_PRIVATE : allocation.isImage ? REGION_MAPPED_IMAGE : section.fileBacked ? REGION_MAPPED_DATA_FILE : REGION_MAPPED_PAGE_FILE;
    return {
      status: STATUS_SUCCESS,
      info: { allocationBase: allocation.base, allocationProtect: allocation.allocationProtect, regionType, regionSize: allocation.pageCount * PAGE, commitSize },
    };
  }

  // ------------------------------------------------------------------ write watch

  /**
   * GetWriteWatch (B103): the first `maxCount` pages of the range written since their last reset,
   * in address order; WRITE_WATCH_FLAG_RESET resets those returned. Errors: size 0, unknown flags,
   * a count of 0, then the process, then a range not inside one write-watched allocation (B103
   * pins ERROR_INVALID_PARAMETER only).
   */
  getWriteWatch(address: number, size: number, flags: number, maxCount: number): number[] {
    if (size === 0) throw new ModelCallError(ERROR_INVALID_PARAMETER, undefined, 'size 0 (B103)');
    if ((flags & ~WRITE_WATCH_FLAG_RESET) !== 0) throw new ModelCallError(ERROR_INVALID_PARAMETER, undefined, 'unknown flags');
    if (maxCount === 0) throw new ModelCallError(ERROR_INVALID_PARAMETER, undefined, 'count 0 (B103)');
    const [allocation, first, last] = this.watchedRange(address, size);
    const pages: number[] = [];
    for (let i = first; i <= last && pages.length < maxCount; i++) {
      if (!allocation.written[i]) continue;
      pages.push(allocation.base + i * PAGE);
      if (flags & WRITE_WATCH_FLAG_RESET) allocation.written[i] = false;
    }
    return pages;
  }

  /** ResetWriteWatch (B103): forgets the writes recorded in the range. */
  resetWriteWatch(address: number, size: number): void {
    if (size === 0) throw new ModelCallError(ERROR_INVALID_PARAMETER, undefined, 'size 0 (B103)');
    const [allocation, first, last] = this.watchedRange(address, size);
    for (let i = first; i <= last; i++) allocation.written[i] = false;
  }

  private watchedRange(address: number, size: number): [ModelAllocation, number, number] {
    this.requireLive();
    const start = pageDown(address);
    const end = pageUp(address + size);
    const allocation = this.find(start);
    if (allocation === undefined || !allocation.watched || end > allocation.end) {
      throw new ModelCallError(ERROR_INVALID_PARAMETER, undefined, 'not inside one write-watched allocation (B103)');
    }
    return [allocation, allocation.pageIndex(start), allocation.pageIndex(end - 1)];
  }

  // ------------------------------------------------------------------ VirtualLock

  /**
   * VirtualLock (B52, B53): every page the range touches, in order, must be committed and
   * accessible; a guard page fails the call with STATUS_GUARD_PAGE_VIOLATION (GetLastError returns
   * the status itself) and loses its guard, and records no write (B53). All or nothing. Where the
   * document is silent the model follows docs/kernel.md ("Locking pages"): a free, reserved or
   * PAGE_NOACCESS page → ERROR_NOACCESS; size 0 or a range past user space → ERROR_INVALID_PARAMETER;
   * locks are not counted.
   */
  virtualLock(address: number, size: number): void {
    const pages = this.lockRange(address, size);
    for (const [allocation, i, page] of pages) {
      if (allocation === undefined || !allocation.isCommitted(i)) throw new ModelCallError(ERROR_NOACCESS, STATUS_ACCESS_VIOLATION, `0x${page.toString(16)} is not committed`);
      const protect = allocation.protect[i];
      if (isGuard(protect)) {
        allocation.protect[i] = protect & ~PAGE_GUARD;
        throw new ModelCallError(STATUS_GUARD_PAGE_VIOLATION, STATUS_GUARD_PAGE_VIOLATION, `0x${page.toString(16)} is a guard page (B52)`);
      }
      if ((protect & 0xff) === PAGE_NOACCESS) throw new ModelCallError(ERROR_NOACCESS, STATUS_ACCESS_VIOLATION, `0x${page.toString(16)} is PAGE_NOACCESS`);
    }
    for (const [allocation, i] of pages) allocation!.locked[i] = true;
  }

  /** VirtualUnlock: every page the range touches must be locked (ERROR_NOT_LOCKED otherwise, nothing unlocked). */
  virtualUnlock(address: number, size: number): void {
    const pages = this.lockRange(address, size);
    for (const [allocation, i, page] of pages) {
      if (allocation === undefined || !allocation.locked[i]) throw new ModelCallError(ERROR_NOT_LOCKED, STATUS_NOT_LOCKED, `0x${page.toString(16)} is not locked`);
    }
    for (const [allocation, i] of pages) allocation!.locked[i] = false;
  }

  /**
   * NtLockVirtualMemory and NtUnlockVirtualMemory (docs/kernel.md, "Locking pages"; the
   * map type's place in the order from the calls' API documentation): VirtualLock's and VirtualUnlock's
   * rules, the map type first (bits other than MAP_PROCESS and MAP_SYSTEM, or neither →
   * STATUS_INVALID_PARAMETER), then size 0 or a range past user space (STATUS_INVALID_PARAMETER),
   * then MAP_SYSTEM (STATUS_PRIVILEGE_NOT_HELD: no process holds the privilege), then the pages. A
   * lock that finds a page locked already succeeds with STATUS_WAS_LOCKED. Outputs: the page base and
   * the size of the pages the range touches; on failure the arguments as passed.
   */
  ntLockVirtualMemory(address: number, size: number, mapType: number): ModelNtRegion {
    return this.ntLockCall(address, size, mapType, false);
  }

  ntUnlockVirtualMemory(address: number, size: number, mapType: number): ModelNtRegion {
    return this.ntLockCall(address, size, mapType, true);
  }

  private ntLockCall(address: number, size: number, mapType: number, unlock: boolean): ModelNtRegion {
    const fail = (status: ModelStatus): ModelNtRegion => ({ status, base: address, size });
    if ((mapType & ~(MAP_PROCESS | MAP_SYSTEM)) !== 0 || (mapType & (MAP_PROCESS | MAP_SYSTEM)) === 0) return fail(STATUS_INVALID_PARAMETER);
    if (this.lockRangeProblem(address, size) !== null) return fail(STATUS_INVALID_PARAMETER);
    const handleFailure = this.liveOrStatus();
    if (handleFailure !== null) return fail(handleFailure);
    if ((mapType & MAP_SYSTEM) !== 0) return fail(STATUS_PRIVILEGE_NOT_HELD);
    const wasLocked = this.lockRange(address, size).some(([allocation, i]) => allocation?.locked[i] === true);
    const failed = ntStep(fail, () => {
      if (unlock) this.virtualUnlock(address, size);
      else this.virtualLock(address, size);
      return null;
    });
    if (failed !== null) return failed;
    const base = pageDown(address);
    return { status: wasLocked && !unlock ? STATUS_WAS_LOCKED : STATUS_SUCCESS, base, size: pageUp(address + size) - base };
  }

  /** What the lock calls refuse before they look at the process: size 0, a range past user space. */
  private lockRangeProblem(address: number, size: number): string | null {
    if (size === 0) return 'size 0';
    return pageUp(address + size) > this.userTop ? 'past user space' : null;
  }

  /** The pages [address, address + size) touches, with their allocation (if any) and index. */
  private lockRange(address: number, size: number): Array<[ModelAllocation | undefined, number, number]> {
    const problem = this.lockRangeProblem(address, size);
    if (problem !== null) throw new ModelCallError(ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER, problem);
    this.requireLive();
    const pages: Array<[ModelAllocation | undefined, number, number]> = [];
    for (let page = pageDown(address); page < pageUp(address + size); page += PAGE) {
      const allocation = this.find(page);
      pages.push([allocation, allocation?.pageIndex(page) ?? 0, page]);
    }
    return pages;
  }

  // ------------------------------------------------------------------ VirtualQuery

  /** VirtualQuery (B2, B4, B23–B29). */
  virtualQuery(address: number): ModelRegion {
    if (address >= this.userTop) throw new ModelCallError(ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER, 'above user space (B28)');
    this.requireLive();
    const page = pageDown(address);
    const allocation = this.find(page);
    if (allocation === undefined) {
      const next = this.allocations.find((a) => a.base > page);
      return { baseAddress: page, allocationBase: 0, allocationProtect: 0, regionSize: (next?.base ?? this.userTop) - page, state: MEM_FREE, protect: PAGE_NOACCESS, type: 0 };
    }
    const describe = (i: number) =>
      allocation.isCommitted(i) ? { state: MEM_COMMIT, protect: reportedProtection(allocation.protect[i], allocation.isCopied(i)) } : { state: MEM_RESERVE, protect: 0 };
    const first = allocation.pageIndex(page);
    const head = describe(first);
    let i = first + 1;
    while (i < allocation.pageCount && describe(i).state === head.state && describe(i).protect === head.protect) i++;
    return {
      baseAddress: page,
      allocationBase: allocation.base,
      allocationProtect: allocation.allocationProtect,
      regionSize: (i - first) * PAGE,
      state: head.state,
      protect: head.protect,
      type: allocation.type,
    };
  }

  // ------------------------------------------------------------------ CPU accesses

  /**
   * A CPU access of `size` bytes (B50, B54–B58): every page it touches is
   * checked in order (an access crossing into a bad page faults at that page's
   * first byte), then the bytes move. Returns what a read or fetch reads.
   */
  access(address: number, size: number, kind: AccessKind, data?: Uint8Array): Uint8Array {
    const firstPage = pageDown(address);
    const lastPage = pageDown(address + size - 1);
    for (let page = firstPage; page <= lastPage; page += PAGE) this.touch(page, kind, page === firstPage ? address : page);
    if (kind === 'write') {
      this.copyIn(address, data!);
      return data!;
    }
    return this.copyOut(address, size);
  }

  /** The kernel's fault path for one page: allocation, commit, guard (cleared, once), then rights; a write to a copy-on-write page copies it. */
  private touch(page: number, kind: AccessKind, faultAddress: number): void {
    const allocation = this.find(page);
    if (allocation === undefined) throw accessViolation(kind, faultAddress);
    const i = allocation.pageIndex(page);
    if (!allocation.isCommitted(i)) throw accessViolation(kind, faultAddress);
    const protect = allocation.protect[i];
    if (isGuard(protect)) {
      allocation.protect[i] = protect & ~PAGE_GUARD;
      throw guardViolation(kind, faultAddress);
    }
    if (!allows(protect, kind)) throw accessViolation(kind, faultAddress);
    if (kind === 'write' && allocation.section !== null && copiesOnWrite(protect)) allocation.copy(i);
    // B58: a write fault on a write-watched page records the write and resumes; the guard and
    // rights checks above come first, so a guard trip or a refused write records nothing (B53).
    if (kind === 'write' && allocation.watched) allocation.written[i] = true;
  }

  private copyOut(address: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let done = 0; done < length; ) {
      const va = address + done;
      const allocation = this.find(va)!;
      const inPage = va % PAGE;
      const n = Math.min(PAGE - inPage, length - done);
      out.set(allocation.read(allocation.pageIndex(va)).subarray(inPage, inPage + n), done);
      done += n;
    }
    return out;
  }

  private copyIn(address: number, data: Uint8Array): void {
    for (let done = 0; done < data.length; ) {
      const va = address + done;
      const allocation = this.find(va)!;
      const inPage = va % PAGE;
      const n = Math.min(PAGE - inPage, data.length - done);
      allocation.writable(allocation.pageIndex(va)).set(data.subarray(done, done + n), inPage);
      done += n;
    }
  }

  // ------------------------------------------------------------------ Read/WriteProcessMemory

  /** ReadProcessMemory (B100, B102): every page readable or nothing; a guard page fails the call and loses its guard (B52). */
  readMemory(address: number, length: number): Uint8Array {
    if (this.looksAtProcess(length)) this.requireLive();
    this.servicePages(address, length, (protect) => allows(protect, 'read'), ERROR_PARTIAL_COPY, STATUS_PARTIAL_COPY);
    return this.copyOut(address, length);
  }

  /**
   * WriteProcessMemory (B101, Windows 10 1607 and later), by the first page's protection:
   * writable (or copy-on-write) → the writable prefix is written, and a range that runs on into
   * pages that are not writable fails with ERROR_PARTIAL_COPY after it; executable → the code is
   * written when every page is executable or writable, else ERROR_NOACCESS and nothing; anything
   * else → ERROR_NOACCESS and nothing. Written view pages that are not shared-writable are
   * written through a private copy.
   */
  writeMemory(address: number, data: Uint8Array): void {
    if (this.looksAtProcess(data.length)) this.requireLive();
    if (data.length === 0) return;
    const [[firstAllocation, firstIndex]] = this.servicePages(address, 1, (protect) => allows(protect, 'read') || allows(protect, 'execute') || allows(protect, 'write'), ERROR_NOACCESS, undefined);
    const first = firstAllocation.protect[firstIndex];
    if (allows(first, 'write')) {
      // NtWriteVirtualMemory's prefix: the pages up to the first that is not writable.
      const pages: Array<[ModelAllocation, number]> = [];
      let stopped: unknown = null;
      for (let page = pageDown(address); page <= pageDown(address + data.length - 1); page += PAGE) {
        try {
          pages.push(...this.servicePages(page, 1, (protect) => allows(protect, 'write'), ERROR_PARTIAL_COPY, STATUS_PARTIAL_COPY));
        } catch (error) {
          stopped = error;
          break;
        }
      }
      const bytes = stopped === null ? data.length : Math.min(data.length, pageDown(address) + pages.length * PAGE - address);
      this.writePages(pages, address, data.subarray(0, bytes));
      if (stopped !== null) throw stopped;
      return;
    }
    if (!allows(first, 'execute')) throw new ModelCallError(ERROR_NOACCESS, undefined, `0x${address.toString(16)} is not writable`);
    const pages = this.servicePages(address, data.length, (protect) => allows(protect, 'write') || allows(protect, 'execute'), ERROR_NOACCESS, undefined);
    this.writePages(pages, address, data);
  }

  /**
   * NtReadVirtualMemory (B100, B52): copies the readable prefix into `into` (the rest of `into`
   * keeps what it held) and reports it: STATUS_SUCCESS for all of it, STATUS_PARTIAL_COPY at a page
   * that is free, not committed or not readable, STATUS_GUARD_PAGE_VIOLATION at a guard page
   * (whose guard is cleared).
   */
  ntReadVirtualMemory(address: number, into: Uint8Array): ModelNtTransfer {
    const failed = this.looksAtProcess(into.length) ? this.liveOrStatus() : null;
    if (failed !== null) return { status: failed, bytes: 0 };
    const { pages, status } = this.servicePrefix(address, into.length, (protect) => allows(protect, 'read'));
    const bytes = this.prefixBytes(address, into.length, pages.length, status);
    into.set(this.copyOut(address, bytes));
    return { status, bytes };
  }

  /**
   * NtWriteVirtualMemory (B100, B101, B52): writes the prefix whose pages are writable or
   * copy-on-write (executable code is not written, B101: STATUS_PARTIAL_COPY), and reports it as
   * {@link ntReadVirtualMemory} does. Written pages of a write-watched allocation are recorded (B103).
   */
  ntWriteVirtualMemory(address: number, data: Uint8Array): ModelNtTransfer {
    const failed = this.looksAtProcess(data.length) ? this.liveOrStatus() : null;
    if (failed !== null) return { status: failed, bytes: 0 };
    const { pages, status } = this.servicePrefix(address, data.length, (protect) => allows(protect, 'write'));
    const bytes = this.prefixBytes(address, data.length, pages.length, status);
    this.writePages(pages, address, data.subarray(0, bytes));
    return { status, bytes };
  }

  /** The pages, in order, up to the first a service may not use: that page's status (its guard cleared, B52), or STATUS_SUCCESS. */
  private servicePrefix(address: number, length: number, ok: (protect: number) => boolean): { pages: Array<[ModelAllocation, number]>; status: number } {
    const pages: Array<[ModelAllocation, number]> = [];
    if (length === 0) return { pages, status: STATUS_SUCCESS };
    for (let page = pageDown(address); page <= pageDown(address + length - 1); page += PAGE) {
      const allocation = this.find(page);
      const i = allocation?.pageIndex(page) ?? 0;
      if (allocation === undefined || !allocation.isCommitted(i)) return { pages, status: STATUS_PARTIAL_COPY };
      if (isGuard(allocation.protect[i])) {
        allocation.protect[i] &= ~PAGE_GUARD;
        return { pages, status: STATUS_GUARD_PAGE_VIOLATION };
      }
      if (!ok(allocation.protect[i])) return { pages, status: STATUS_PARTIAL_COPY };
      pages.push([allocation, i]);
    }
    return { pages, status: STATUS_SUCCESS };
  }

  /** Bytes of [address, address + length) that lie in the first `pageCount` pages. */
  private prefixBytes(address: number, length: number, pageCount: number, status: number): number {
    return status === STATUS_SUCCESS ? length : Math.max(0, Math.min(length, pageDown(address) + pageCount * PAGE - address));
  }

  /** Writes `data` at `address` over `pages`: view pages that are not shared-writable through a private copy. */
  private writePages(pages: Array<[ModelAllocation, number]>, address: number, data: Uint8Array): void {
    for (const [allocation, i] of pages) {
      const sharedWrite = allows(allocation.protect[i], 'write') && !copiesOnWrite(allocation.protect[i]);
      if (allocation.section !== null && !sharedWrite) allocation.copy(i);
      if (allocation.watched) allocation.written[i] = true; // B103: the kernel's own writes are recorded
    }
    this.copyIn(address, data);
  }

  /** The checks a system service makes, page by page in order, before it touches memory. */
  private servicePages(address: number, length: number, ok: (protect: number) => boolean, win32Error: number, ntStatus: number | undefined): Array<[ModelAllocation, number]> {
    const pages: Array<[ModelAllocation, number]> = [];
    if (length === 0) return pages;
    for (let page = pageDown(address); page <= pageDown(address + length - 1); page += PAGE) {
      const allocation = this.find(page);
      if (allocation === undefined) throw new ModelCallError(win32Error, ntStatus, `0x${page.toString(16)} is free`);
      const i = allocation.pageIndex(page);
      if (!allocation.isCommitted(i)) throw new ModelCallError(win32Error, ntStatus, `0x${page.toString(16)} is not committed`);
      if (isGuard(allocation.protect[i])) {
        allocation.protect[i] &= ~PAGE_GUARD;
        throw new ModelCallError(STATUS_GUARD_PAGE_VIOLATION, STATUS_GUARD_PAGE_VIOLATION, `0x${page.toString(16)} is a guard page (B52)`);
      }
      if (!ok(allocation.protect[i])) throw new ModelCallError(win32Error, ntStatus, `0x${page.toString(16)} does not allow it`);
      pages.push([allocation, i]);
    }
    return pages;
  }
}
