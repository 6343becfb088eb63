import { AddressSpace } from '../records/address-space.js';
import type { Allocation } from '../records/allocation.js';
import {
  CURRENT_PROCESS_HANDLE,
  ERROR_INVALID_PARAMETER,
  ERROR_NOACCESS,
  PROCESS_QUERY_LIMITED_INFORMATION,
  PROCESS_VM_OPERATION,
  PROCESS_VM_READ,
  PROCESS_VM_WRITE,
  SECTION_QUERY,
  STATUS_ACCESS_VIOLATION,
  STATUS_INVALID_PARAMETER,
  STATUS_SUCCESS,
} from '../rules/constants.js';
import { WindowsError } from '../rules/errors.js';
import { forkProcess } from './fork.js';
import { loadImage, mapImageView, notAnImage, type ImageView, type ImageViewOptions, type LoadImageOptions, type LoadedImage } from '../memory/image-views.js';
import type { Kernel } from './kernel.js';
import { RegionTree } from '../records/region-tree.js';
import { Section } from '../records/section.js';
import { HandleTable } from '../objects/handle-table.js';
import { createThread, threadsOf, type CreateThreadOptions, type Thread } from '../objects/threads.js';
import type { ModuleList } from '../objects/module-list.js';
import { forgetModules, freeLibrary, getModuleHandle, getProcAddress, loadExecutable, loadLibrary, modules, type LoadLibraryResult, type LoadedModule, type ModuleResolver, type ModuleSource } from '../objects/modules.js';
import { ntCreateSection, ntDuplicateObject, ntOpenSection, type NtCreateSectionOptions, type NtHandleResult } from '../objects/nt-objects.js';
import type { SectionBasicInformation } from '../records/section-information.js';
import { openProcess, ntOpenProcess, openThread, ntOpenThread, getProcessId, getThreadId, getProcessIdOfThread, createRemoteThread, processReference, type CreateRemoteThreadResult } from '../objects/process-handles.js';
import { releaseClientIdIfUnused } from '../objects/client-ids.js';
import type { ProcessArgument } from '../memory/process-argument.js';
import { closeAllHandles, closeHandleOrThrow, createFile, createFileMapping, duplicateHandle, getHandleInformation, ntClose, openFileMapping, sectionOfHandle, setHandleInformation, type CreateFileMappingResult } from '../objects/handles.js';
import { ntAreMappedFilesTheSame, ntFlushVirtualMemory, ntLockVirtualMemory, ntUnlockVirtualMemory, type NtFlushResult } from '../memory/nt-lock-flush.js';
import { ntMapViewOfSection, ntUnmapViewOfSection, type NtMapViewOptions, type NtMapViewResult } from '../memory/nt-map-view.js';
import { flushViewOfFile, mapViewOfSection, removeView, unmapViewOfSection, type SectionArgument, type ViewOptions } from '../memory/sections.js';
import { ntReadVirtualMemory, ntWriteVirtualMemory, readProcessMemory, writeProcessMemory, type NtTransfer } from '../memory/process-memory.js';
import {
  ntAllocateVirtualMemory,
  ntFreeVirtualMemory,
  ntProtectVirtualMemory,
  ntQueryVirtualMemory,
  type MemoryImageInformation,
  type MemoryInformationByClass,
  type MemoryRegionInformation,
  type NtProtectResult,
  type NtQueryResult,
  type NtRegionResult,
} from '../memory/nt-virtual-memory.js';
import { virtualLock, virtualUnlock } from '../memory/virtual-lock.js';
import {
  getWriteWatch,
  releaseAllocation,
  resetWriteWatch,
  virtualAlloc,
  virtualFree,
  virtualProtect,
  virtualQuery,
  type MemoryBasicInformation,
} from '../memory/virtual-memory.js';

/**
 * A process: a private address space (its own page tables and ASID) and the
 * records of what is allocated in it. Memory operations use the Windows names,
 * arguments and numeric constants, so an emulator can pass a guest's
 * arguments straight through; failures throw {@link WindowsError} with the
 * Win32 error and the NTSTATUS, and change nothing.
 *
 * Code runs in a process when a CPU runs it ({@link Kernel.run}); the CPU's MMU
 * then translates through these tables.
 *
 * Every call of an exited process throws {@link WindowsError}
 * STATUS_INVALID_HANDLE / ERROR_INVALID_HANDLE; an address or size that is
 * not a non-negative integer throws STATUS_INVALID_PARAMETER /
 * ERROR_INVALID_PARAMETER. Addresses and sizes are bytes; pages are 4 KiB;
 * reservations and views start on 64 KiB boundaries.
 *
 * @example
 * ```ts
 * const kernel = new Kernel();
 * const p = kernel.createProcess();
 * const base = p.virtualAlloc(0, 0x3000, MEM_RESERVE, PAGE_READWRITE); // 3 pages of address space
 * base;                                                     // 0x10000: the lowest free 64 KiB boundary
 * p.virtualAlloc(base, 0x1000, MEM_COMMIT, PAGE_READWRITE); // commit the first page
 * p.writeMemory(base, new Uint8Array([0x2a]));              // WriteProcessMemory: gives the page its frame
 * const cpu = kernel.run(0, p);
 * cpu.mmu.read8(base);                                      // 0x2a: the CPU sees the same frame
 * cpu.mmu.write8(base + 1, 0x2b);
 * [...p.readMemory(base, 2)];                               // [0x2a, 0x2b]
 * const info = p.virtualQuery(base + 0x1000);
 * info.state;                                               // MEM_RESERVE
 * info.regionSize;                                          // 0x2000: the two reserved pages
 * info.allocationBase;                                      // 0x10000
 * let code = '';
 * try { cpu.mmu.write8(base + 0x1000, 1); } catch (e) { if (e instanceof WindowsExceptionError) code = e.code; }
 * code;                                                     // 'STATUS_ACCESS_VIOLATION': reserved, not committed
 * ```
 */
export class Process {
  /** The kernel the process belongs to. */
  readonly kernel: Kernel;
  /** Process id (1, 2, … in creation order). */
  readonly pid: number;
  /** Address-space identifier its TLB entries are tagged with (1–4095: an x86 PCID). */
  readonly asid: number;
  /** Its page tables. */
  readonly space: AddressSpace;
  /** Its allocations (VADs), ordered by address. */
  readonly regions = new RegionTree<Allocation>();
  /** CPUs that have run it since its entries were last flushed (where a shootdown must go). */
  readonly cpuMask = new Set<number>();
  /** True after {@link Process.exit}. */
  exited = false;
  /** The object type's name, as NtQueryObject(ObjectTypeInformation) gives it: what a process handle refers to. */
  readonly objectType = 'Process';
  /**
   * Handles to this process in every process's handle table ({@link Process.openProcess}, {@link Process.duplicateHandle}).
   * An exited process stays known by its id ({@link Process.openProcess}) while one is open, as Windows keeps a
   * process object, and its client id, while anything refers to it.
   */
  handleCount = 0;
  private handleTable = new HandleTable();
  private runningThread: Thread | null = null;
  /** @internal Its live threads, in creation order (objects/threads.ts). */
  readonly liveThreads = new Set<Thread>();
  /** @internal Its loader's module list, made on first use (objects/module-list.ts). */
  moduleList: ModuleList | null = null;

  /**
   * The calling thread, what GetCurrentThread() (CURRENT_THREAD_HANDLE) names in this process: the thread
   * {@link Kernel.runThread} last ran in it, while that thread lives; null before any ran, or once it exited.
   * mmukit's calls are made by a process, so the pseudo-handle needs this choice: an emulator that runs one
   * thread at a time gets the thread it runs.
   */
  get currentThread(): Thread | null {
    const thread = this.runningThread;
    return thread !== null && !thread.exited ? thread : null;
  }

  /** @internal Set by {@link Kernel.runThread}. */
  setCurrentThread(thread: Thread): void {
    this.runningThread = thread;
  }

  /** The process a call works on: this one, or the one `processHandle` names in this process's table, which must grant `needed`. */
  private targetOf(processHandle: number | undefined, needed: number): ProcessArgument {
    return processHandle === undefined ? this : processReference(this, processHandle, needed);
  }

  /** Its handle table: the handles it holds, each with its object, granted access and attributes. */
  get handles(): HandleTable {
    return this.handleTable;
  }

  /** A section argument for the address-space calls: a Section as it is; a handle with the object layer's resolver. */
  private sectionArgument(section: Section | number): SectionArgument {
    if (typeof section !== 'number') return section;
    return { handle: section, resolve: (handle, needed) => sectionOfHandle(this, handle, needed) };
  }

  /** @internal Takes a forked child's inherited handle table. */
  adoptHandles(table: HandleTable): void {
    this.handleTable = table;
  }

  /** @internal Created by {@link Kernel.createProcess}. */
  constructor(kernel: Kernel, pid: number, asid: number) {
    this.kernel = kernel;
    this.pid = pid;
    this.asid = asid;
    this.space = new AddressSpace(kernel.memory, kernel.format, kernel.frames);
  }

  /**
   * VirtualAlloc: reserves and/or commits memory (B1–B22). Committing charges
   * commit ({@link Kernel.committed}) but allocates no frame: each page gets a
   * zeroed frame on its first touch.
   *
   * @param address - 0 to let the kernel choose (the lowest free 64 KiB-aligned range, the highest
   *   with MEM_TOP_DOWN), or the address to use: MEM_RESERVE rounds it down to 64 KiB, MEM_COMMIT
   *   and MEM_RESET to a page (B18).
   * @param size - bytes; every page the range `[address, address + size)` touches is included.
   * @param allocationType - MEM_RESERVE, MEM_COMMIT (or both), or MEM_RESET; optionally MEM_TOP_DOWN.
   * @param protect - PAGE_* with optional PAGE_GUARD / PAGE_NOCACHE / PAGE_WRITECOMBINE; PAGE_WRITECOPY and
   *   PAGE_EXECUTE_WRITECOPY only when committing in an anonymous view whose access allows them (B69).
   * @returns the base address: of the reservation, or of the first page committed or reset.
   * @throws {@link WindowsError}, nothing changed; when several apply, the first in the order of
   *   [which error wins](../../../docs/kernel.md#which-error-wins) (arguments, process, address space):
   *   STATUS_INVALID_PARAMETER / ERROR_INVALID_PARAMETER (size 0 or too large, unknown or
   *   incompatible allocation-type bits, a range outside user space);
   *   STATUS_INVALID_PAGE_PROTECTION / ERROR_INVALID_PARAMETER (B10–B13);
   *   STATUS_CONFLICTING_ADDRESSES / ERROR_INVALID_ADDRESS (reserving over an allocation, B17;
   *   MEM_RESET outside one allocation);
   *   STATUS_NOT_COMMITTED / ERROR_INVALID_ADDRESS (MEM_COMMIT outside one reservation, B19);
   *   STATUS_ALREADY_COMMITTED / ERROR_ACCESS_DENIED (MEM_COMMIT in a file-backed or image view, B69);
   *   STATUS_INVALID_PARAMETER / ERROR_INVALID_PARAMETER (MEM_COMMIT in an anonymous view with more access than the view's, B69);
   *   STATUS_NO_MEMORY / ERROR_NOT_ENOUGH_MEMORY (no free range);
   *   STATUS_COMMITMENT_LIMIT / ERROR_COMMITMENT_LIMIT;
   *   STATUS_NOT_SUPPORTED / ERROR_NOT_SUPPORTED (MEM_RESET_UNDO). MEM_RESERVE | MEM_WRITE_WATCH
   *   makes a write-watched allocation ({@link Process.getWriteWatch}).
   *
   * @example
   * ```ts
   * const p = new Kernel().createProcess();
   * const a = p.virtualAlloc(0, 0x3000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
   * const b = p.virtualAlloc(0, 0x1000, MEM_RESERVE | MEM_TOP_DOWN, PAGE_NOACCESS);
   * a;                                     // 0x10000
   * b;                                     // 0x7fff_fffe_0000: the highest free 64 KiB boundary
   * let error = 0;
   * try { p.virtualAlloc(a, 0x1000, MEM_RESERVE, PAGE_READWRITE); } catch (e) { if (e instanceof WindowsError) error = e.win32Error; }
   * error;                                 // 487: ERROR_INVALID_ADDRESS, the range is in use (B17)
   * ```
   */
  virtualAlloc(address: number, size: number, allocationType: number, protect: number): number {
    return virtualAlloc(this, address, size, allocationType, protect);
  }

  /**
   * VirtualFree: MEM_DECOMMIT or MEM_RELEASE (B39–B48). Frees the frames of
   * the pages concerned, returns their commit charge, and shoots their
   * translations down on every CPU that may hold them.
   *
   * @param address - MEM_RELEASE: the allocation's base; MEM_DECOMMIT: any address in it.
   * @param size - MEM_RELEASE: 0; MEM_DECOMMIT: bytes (every page touched), or 0 for the whole allocation.
   * @param freeType - exactly one of MEM_DECOMMIT and MEM_RELEASE.
   * @throws {@link WindowsError}, nothing changed; when several apply, the first in the order of
   *   [which error wins](../../../docs/kernel.md#which-error-wins):
   *   STATUS_INVALID_PARAMETER / ERROR_INVALID_PARAMETER (both or neither free type, B39;
   *   MEM_RELEASE with a size, whatever the address, B41; a NULL address; a view, B46);
   *   STATUS_MEMORY_NOT_ALLOCATED / ERROR_INVALID_ADDRESS (nothing allocated there, B45);
   *   STATUS_FREE_VM_NOT_AT_BASE / ERROR_INVALID_ADDRESS (size 0 away from the base, B42);
   *   STATUS_UNABLE_TO_FREE_VM / ERROR_INVALID_PARAMETER (the range runs past the allocation, B45).
   */
  virtualFree(address: number, size: number, freeType: number): void {
    virtualFree(this, address, size, freeType);
  }

  /**
   * VirtualProtect: changes the protection of committed pages, all or none
   * (B32–B38). Translations that lose a right are shot down on every CPU that
   * may cache them.
   *
   * @param address - any address of the first page.
   * @param size - bytes; every page the range touches.
   * @param newProtect - PAGE_* with optional modifiers; in a view it must fit the view's access (B68),
   *   in an image PAGE_READWRITE is stored as PAGE_WRITECOPY (B85).
   * @returns the old protection of the first page, as VirtualQuery reported it (PAGE_GUARD included).
   * @throws {@link WindowsError}, nothing changed; when several apply, the first in the order of
   *   [which error wins](../../../docs/kernel.md#which-error-wins) (a bad protection before the range).
   *   A failure on the range itself carries {@link WindowsError.oldProtect} = PAGE_NOACCESS, what
   *   VirtualProtect leaves in `*lpflOldProtect` then (B3, B36):
   *   STATUS_CONFLICTING_ADDRESSES / ERROR_INVALID_ADDRESS (the range is not inside one allocation, B36);
   *   STATUS_NOT_COMMITTED / ERROR_INVALID_ADDRESS (a page is not committed, B3, B5);
   *   STATUS_INVALID_PAGE_PROTECTION / ERROR_INVALID_PARAMETER (B11–B14);
   *   STATUS_INVALID_PARAMETER / ERROR_INVALID_PARAMETER (size 0; a protection the view does not allow, B68).
   *
   * @example
   * ```ts
   * const p = new Kernel().createProcess();
   * const base = p.virtualAlloc(0, 0x2000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
   * p.virtualProtect(base + 0x1000, 1, PAGE_READONLY | PAGE_GUARD); // PAGE_READWRITE: the old value
   * p.virtualQuery(base).regionSize;                              // 0x1000: the pages now differ
   * p.virtualQuery(base + 0x1000).protect === (PAGE_READONLY | PAGE_GUARD); // true
   * ```
   */
  virtualProtect(address: number, size: number, newProtect: number): number {
    return virtualProtect(this, address, size, newProtect);
  }

  /**
   * VirtualQuery: the region of pages alike starting at `address`'s page
   * (B23–B29): same allocation, state and protection. Free space reports
   * MEM_FREE up to the next allocation.
   *
   * @param address - any address; rounded down to its page.
   * @returns the MEMORY_BASIC_INFORMATION fields (addresses and sizes in bytes).
   * @throws {@link WindowsError} STATUS_INVALID_PARAMETER / ERROR_INVALID_PARAMETER at or above
   *   {@link Kernel.userTop} (B28), checked before the process.
   *
   * @example
   * ```ts
   * const p = new Kernel().createProcess();
   * const info = p.virtualQuery(0x1234);
   * info.state;        // MEM_FREE
   * info.baseAddress;  // 0x1000
   * info.protect;      // PAGE_NOACCESS
   * ```
   */
  virtualQuery(address: number): MemoryBasicInformation {
    return virtualQuery(this, address);
  }

  /**
   * GetWriteWatch (B103): the pages of a write-watched allocation (one reserved with
   * MEM_RESERVE | MEM_WRITE_WATCH, B21) written since the watch was last reset, by the process's
   * CPUs or by the kernel on its behalf ({@link Process.writeMemory},
   * {@link Process.ntWriteVirtualMemory}). A write straddling two pages records both; a read
   * records nothing; a guarded page records only the write retried after its guard exception
   * (B53). {@link Process.virtualProtect} does not change what was recorded, and decommitting a
   * page keeps its record.
   *
   * @param address - first byte of the range; rounded down to its page.
   * @param size - bytes; every page the range touches is included. Not 0.
   * @param reset - true (or the GetWriteWatch flags: 0, or WRITE_WATCH_FLAG_RESET) to reset the
   *   pages returned, and only those, so that their next write is recorded again.
   * @param maxCount - the most pages to return (GetWriteWatch's `*lpdwCount` on entry), at least 1;
   *   the first pages in address order are returned. Unlimited by default.
   * @returns the base addresses of the written pages, in address order.
   * @throws {@link WindowsError} STATUS_INVALID_PARAMETER / ERROR_INVALID_PARAMETER, nothing changed:
   *   size 0, `maxCount` 0, `reset` neither a boolean nor 0 / WRITE_WATCH_FLAG_RESET (an unknown flag), or a range not inside one
   *   write-watched allocation (memory that is not write-watched, free memory, a range running past
   *   the allocation's end); STATUS_INVALID_HANDLE / ERROR_INVALID_HANDLE on an exited process.
   *
   * @example
   * ```ts
   * const kernel = new Kernel();
   * const p = kernel.createProcess();
   * const base = p.virtualAlloc(0, 0x10000, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE);
   * const cpu = kernel.run(0, p);
   * cpu.mmu.write8(base + 0x1001, 0x44);
   * cpu.mmu.write32(base + 0x3ffe, 1);           // straddles pages 3 and 4
   * p.getWriteWatch(base, 0x10000);               // [base + 0x1000, base + 0x3000, base + 0x4000]
   * p.getWriteWatch(base, 0x10000, true, 1);      // [base + 0x1000], and that page is reset
   * p.getWriteWatch(base, 0x10000);               // [base + 0x3000, base + 0x4000]
   * ```
   */
  getWriteWatch(address: number, size: number, reset: boolean | number = false, maxCount = Infinity): number[] {
    return getWriteWatch(this, address, size, reset, maxCount);
  }

  /**
   * ResetWriteWatch (B103): forgets the writes recorded for the pages of
   * [address, address + size) in a write-watched allocation, so that the next write to each is
   * recorded again (the pages' entries lose write access, and are shot down).
   *
   * @param address - first byte of the range; rounded down to its page.
   * @param size - bytes; every page the range touches is included. Not 0.
   * @throws {@link WindowsError} STATUS_INVALID_PARAMETER / ERROR_INVALID_PARAMETER, nothing changed:
   *   size 0, or a range not inside one write-watched allocation; STATUS_INVALID_HANDLE /
   *   ERROR_INVALID_HANDLE on an exited process.
   *
   * @example
   * ```ts
   * const kernel = new Kernel();
   * const p = kernel.createProcess();
   * const base = p.virtualAlloc(0, 0x10000, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE);
   * kernel.run(0, p).mmu.write8(base, 1);
   * p.resetWriteWatch(base, 0x10000);
   * p.getWriteWatch(base, 0x10000);               // []
   * ```
   */
  resetWriteWatch(address: number, size: number): void {
    resetWriteWatch(this, address, size);
  }

  /**
   * MapViewOfFile / NtMapViewOfSection: maps a view of `section` (B63–B76).
   * The view's protection follows `options.access` ({@link viewProtection});
   * pages map the section's frames on first touch (a FILE_MAP_COPY view copies
   * a page on its first write). See {@link Kernel.createSection} for an example.
   *
   * @param section - an open section of this kernel, or a section handle of this process
   *   ({@link Process.createFileMapping}), which must grant the access the view needs (B65).
   * @param options - FILE_MAP_* access, offset and size (bytes), address; see {@link ViewOptions}.
   * @returns the view's base address (64 KiB aligned).
   * @throws {@link WindowsError}, nothing mapped:
   *   STATUS_INVALID_HANDLE / ERROR_INVALID_HANDLE (a closed or foreign section, a handle that is not an open section);
   *   STATUS_ACCESS_DENIED / ERROR_ACCESS_DENIED (the handle lacks the access the view needs, B65);
   *   STATUS_ACCESS_DENIED / ERROR_ACCESS_DENIED (the section's protection does not grant the access, B64);
   *   STATUS_MAPPED_ALIGNMENT / ERROR_MAPPED_ALIGNMENT (offset or address not 64 KiB aligned, B76);
   *   STATUS_INVALID_VIEW_SIZE / ERROR_ACCESS_DENIED (offset or size past the end of the section);
   *   STATUS_CONFLICTING_ADDRESSES / ERROR_INVALID_ADDRESS (the address is in use, B76);
   *   STATUS_INVALID_PARAMETER / ERROR_INVALID_PARAMETER (bad options, an address outside user space);
   *   STATUS_NO_MEMORY / ERROR_NOT_ENOUGH_MEMORY (no free range).
   */
  mapViewOfSection(section: Section | number, options: ViewOptions): number {
    return mapViewOfSection(this, this.sectionArgument(section), options);
  }

  /**
   * NtMapViewOfSection of an image section, with its status (B84, B91, B92): the image view alone, without
   * LoadLibrary's user-mode relocation. {@link Process.mapViewOfSection} of an image section maps the same
   * view and returns only its base; this call returns the status too, as NtMapViewOfSection's success
   * codes carry meaning here.
   *
   * The view is MEM_IMAGE with each section's protection (B83, B84). An image goes to its ImageBase when
   * that range is free (STATUS_SUCCESS). Elsewhere (its base taken, as by a second mapping in the same
   * process, or `options.address`):
   * - a DYNAMIC_BASE image with relocations is relocated by the kernel: STATUS_SUCCESS, the header's
   *   ImageBase is the view's address and the fixups are applied (B92). Under the `'aslr'` policy it goes to
   *   its system-wide base first, as {@link Process.loadImage} puts it (B97);
   * - any other image is mapped unrelocated: STATUS_IMAGE_NOT_AT_BASE (0x40000003, a success code), the
   *   bytes exactly the image's, no fixup applied; relocating it is the user-mode loader's work (B91, B92).
   *   A DLL with RELOCS_STRIPPED is mapped too: refusing it is LoadLibrary's check (B93), not the kernel's.
   *
   * @param section - an open image section of this kernel ({@link Kernel.createImageSection}).
   * @param options - relocation policy and BaseAddress; see {@link ImageViewOptions}.
   * @returns the view's base, its status, and whether the kernel relocated it; see {@link ImageView}.
   * @throws {@link WindowsError}, nothing mapped: STATUS_INVALID_HANDLE / ERROR_INVALID_HANDLE (a closed or
   *   foreign section); STATUS_INVALID_IMAGE_FORMAT / ERROR_BAD_EXE_FORMAT (a data section, or an image of the
   *   other bitness than the images this process maps, B89); STATUS_MAPPED_ALIGNMENT (an address not 64 KiB
   *   aligned), STATUS_CONFLICTING_ADDRESSES / ERROR_INVALID_ADDRESS (an address in use, B76);
   *   STATUS_INVALID_PARAMETER / ERROR_INVALID_PARAMETER (bad options, an address outside user space);
   *   STATUS_NO_MEMORY (no free range).
   *
   * @example
   * ```ts
   * import { readFileSync } from 'node:fs';
   * const kernel = new Kernel();
   * const section = kernel.createImageSection(new Uint8Array(readFileSync('fixtures/pe/absolute32.dll')));
   * const proc = kernel.createProcess();
   * proc.mapImageView(section);          // { base: 0x1000_0000, status: STATUS_SUCCESS, relocated: false }
   * const second = proc.mapImageView(section);
   * second.status === STATUS_IMAGE_NOT_AT_BASE; // true, if the image is not DYNAMIC_BASE (B91)
   * ```
   */
  mapImageView(section: Section, options: ImageViewOptions = {}): ImageView {
    const kernel = this.kernel;
    return mapImageView(this, section, options, (s) => kernel.aslrBaseFor(s));
  }

  /**
   * NtMapViewOfSection: maps a view of `section` as the NT call does, with a PAGE_* protection instead of
   * FILE_MAP_* access, ZeroBits (B20), a commit size, an inherit disposition and an allocation type (B76).
   * Returns the NTSTATUS with the `*BaseAddress`, `*ViewSize` and `*SectionOffset` outputs instead of
   * throwing ([the NT calls](../../../docs/kernel.md#calls)); an image section maps as
   * {@link Process.mapImageView} does (STATUS_IMAGE_NOT_AT_BASE is a success code, B91, B92).
   *
   * A copy-on-write view (PAGE_WRITECOPY or PAGE_EXECUTE_WRITECOPY) is charged commit for every page it
   * maps, when it is mapped (B77); {@link VIEW_UNMAP} keeps the view out of a {@link Process.fork}ed child.
   *
   * @param section - an open section of this kernel, or a section handle of this process, which must grant
   *   the access `protect` needs (STATUS_ACCESS_DENIED otherwise, B65); a closed one is STATUS_INVALID_HANDLE.
   * @param options - NtMapViewOfSection's other arguments; only `protect` is required.
   * @param processHandle - ProcessHandle: a process handle of this process's table with PROCESS_VM_OPERATION, or CURRENT_PROCESS_HANDLE;
   *   omitted, the call works on this process. A handle that is not open, names no process, lacks the right or names a
   *   process that exited is the status: STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH, STATUS_ACCESS_DENIED,
   *   STATUS_PROCESS_IS_TERMINATING ([process handles](../../../docs/kernel.md#process-and-thread-handles)).
   * @returns `{ status, base, viewSize, offset }`.
   * @throws {@link WindowsError} only for arguments that are not numbers of their C type, or an exited process (STATUS_INVALID_HANDLE).
   *
   * @example
   * ```ts
   * const section = kernel.createSection({ protect: PAGE_READWRITE, size: 0x3000 });
   * const { status, base, viewSize } = p.ntMapViewOfSection(section, { protect: PAGE_READONLY, zeroBits: 8, allocationType: MEM_TOP_DOWN });
   * status;                // 0: STATUS_SUCCESS
   * base < 2 ** 24;        // true: ZeroBits 8 keeps the view below 16 MiB
   * viewSize;              // 0x3000
   * p.ntMapViewOfSection(section, { protect: PAGE_READWRITE, address: base + 0x1000 }).status; // STATUS_MAPPED_ALIGNMENT (B76)
   * p.ntUnmapViewOfSection(base); // 0
   * ```
   */
  ntMapViewOfSection(section: Section | number, options: NtMapViewOptions, processHandle?: number): NtMapViewResult {
    return ntMapViewOfSection(this.targetOf(processHandle, PROCESS_VM_OPERATION), this.sectionArgument(section), options);
  }

  /**
   * NtUnmapViewOfSection: {@link Process.unmapViewOfSection} returning its NTSTATUS: STATUS_SUCCESS, or
   * STATUS_NOT_MAPPED_VIEW when `address` is not in a view (B47).
   * @param address - any address inside the view.
   * @param processHandle - ProcessHandle: a process handle of this process's table with PROCESS_VM_OPERATION, or CURRENT_PROCESS_HANDLE;
   *   omitted, the call works on this process. A handle that is not open, names no process, lacks the right or names a
   *   process that exited is the status: STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH, STATUS_ACCESS_DENIED,
   *   STATUS_PROCESS_IS_TERMINATING ([process handles](../../../docs/kernel.md#process-and-thread-handles)).
   * @throws {@link WindowsError} only for an address that is not a non-negative integer, or an exited process.
   */
  ntUnmapViewOfSection(address: number, processHandle?: number): number {
    return ntUnmapViewOfSection(this.targetOf(processHandle, PROCESS_VM_OPERATION), address);
  }

  /**
   * UnmapViewOfFile: unmaps the view containing `address` (B47), releasing
   * its frame references; a closed section goes with its last view.
   * @param address - any address inside the view.
   * @throws {@link WindowsError} STATUS_NOT_MAPPED_VIEW / ERROR_INVALID_ADDRESS when `address` is not in a view.
   */
  unmapViewOfSection(address: number): void {
    unmapViewOfSection(this, address);
  }

  /**
   * FlushViewOfFile (NtFlushVirtualMemory): writes the dirty pages of a range of a view back to
   * the section's file (its `Uint8Array`), as the cache manager writes a file's modified pages
   * ([sharing and flushing](../../../docs/kernel.md#files-sharing-and-flushing)). A page is dirty when
   * its bytes differ from the file's; the file's pages are shared by every data section over the
   * same array, so the range writes back whatever any shared view wrote there. Copy-on-write
   * copies are private and never written (B75); bytes past the array's end (a section that grew
   * its file, B62) are not either, as the array cannot grow. Anonymous and image views have
   * nothing to write. Touches no page table or TLB.
   *
   * Without a flush, a dirty page reaches the file when it leaves the file cache: when the last
   * section over the file that spans it is destroyed (closed, and its last view unmapped).
   *
   * @param address - any address in the view; rounded down to its page.
   * @param size - bytes; every page the range touches, up to the view's end. 0 (the default) flushes to the view's end.
   * @returns the number of pages written to the file.
   * @throws {@link WindowsError}, nothing written: STATUS_NOT_MAPPED_VIEW / ERROR_INVALID_ADDRESS when
   *   `address` is in no allocation or in private memory, or the range runs past the view's end (as the
   *   Windows Research Kernel's MmFlushVirtualMemory); STATUS_INVALID_PARAMETER / ERROR_INVALID_PARAMETER
   *   when an argument is not a non-negative integer; STATUS_INVALID_HANDLE / ERROR_INVALID_HANDLE on an
   *   exited process.
   *
   * @example
   * ```ts
   * const kernel = new Kernel();
   * const file = new TextEncoder().encode('hello, file');
   * const a = kernel.createSection({ protect: PAGE_READWRITE, file });
   * const b = kernel.createSection({ protect: PAGE_READWRITE, file }); // the same array: the same pages
   * const p = kernel.createProcess();
   * const va = p.mapViewOfSection(a, { access: FILE_MAP_WRITE });
   * const vb = p.mapViewOfSection(b, { access: FILE_MAP_READ });
   * p.writeMemory(va, new TextEncoder().encode('J'));
   * new TextDecoder().decode(p.readMemory(vb, 5)); // 'Jello': seen through the other section at once
   * file[0];                                       // 0x68 ('h'): the file has not been written yet
   * p.flushViewOfFile(va);                         // 1: one page written back
   * file[0];                                       // 0x4a ('J')
   * ```
   */
  flushViewOfFile(address: number, size = 0): number {
    return flushViewOfFile(this, address, size);
  }

  /**
   * LoadLibrary's mapping step ([choosing the base](../../../docs/images.md#what-happens)): maps a PE image at
   * its preferred base when that range is free, sharing its pages with every
   * process that mapped it there; otherwise elsewhere, relocated per the
   * policy (each fixup page a private copy, or shared relocated pages under
   * ASLR). A DLL without relocations whose base is taken fails with
   * STATUS_CONFLICTING_ADDRESSES and nothing mapped.
   *
   * Pages are read in (and relocated) on first touch unless `options.eager`.
   *
   * @param image - the PE file's bytes, or an image section from {@link Kernel.createImageSection}.
   * @param options - policy, eager relocation, a fixed address; see {@link LoadImageOptions}.
   * @returns where the image went, and whether it was relocated; see {@link LoadedImage}.
   * @throws {@link ImageFormatError} for a malformed image; {@link WindowsError} otherwise (nothing mapped;
   *   an image section this call created for the bytes is closed again): STATUS_INVALID_PARAMETER /
   *   ERROR_INVALID_PARAMETER when `image` is neither a `Uint8Array` nor a {@link Section} (a file name, say:
   *   mmukit reads no files, the message says how to read it), or for an unknown option key;
   *   STATUS_INVALID_HANDLE / ERROR_INVALID_HANDLE for a closed section or another kernel's.
   *
   * @example
   * ```ts
   * import { readFileSync } from 'node:fs';
   * const bytes = new Uint8Array(readFileSync('fixtures/pe/absolute32.dll'));
   * const kernel = new Kernel();
   * const proc = kernel.createProcess();
   * proc.virtualAlloc(0x1000_0000, 0x1000, MEM_RESERVE, PAGE_NOACCESS); // occupy the DLL's preferred base
   * const dll = proc.loadImage(bytes);
   * dll.base !== 0x1000_0000;                    // true: loaded elsewhere
   * dll.status === STATUS_IMAGE_NOT_AT_BASE;     // true (a success code, B91)
   * dll.relocated;                               // true: its fixup pages are relocated on first touch
   * proc.virtualQuery(dll.base).type;            // MEM_IMAGE
   * ```
   */
  loadImage(image: Uint8Array | Section, options: LoadImageOptions = {}): LoadedImage {
    const kernel = this.kernel;
    kernel.requireLive(this);
    if (!(image instanceof Uint8Array)) {
      if (!(image instanceof Section)) throw notAnImage(image, true);
      return loadImage(this, image, options, (s) => kernel.aslrBaseFor(s));
    }
    const existed = kernel.sections().length;
    const section = kernel.createImageSection(image);
    const created = kernel.sections().length !== existed;
    try {
      return loadImage(this, section, options, (s) => kernel.aslrBaseFor(s));
    } catch (error) {
      // LoadLibrary closes the section handle it opened when the mapping fails: a failed load leaves nothing.
      if (created && section.open) kernel.closeSection(section);
      throw error;
    }
  }

  /**
   * LoadLibraryEx ([the loader](../../../docs/images.md#the-loader-modules-and-imports), B96): the module
   * `name` stands for, loaded if it is not. A loaded module (same name: case, trailing spaces, a
   * directory and a missing ".dll" do not matter) is returned as it is, its load count raised. A new
   * one is mapped as {@link Process.loadImage} maps it, its imported DLLs loaded (recursively,
   * dependencies first), its IAT bound, each slot the address of the export it names (forwarders
   * followed): the IAT range is made PAGE_READWRITE, written and given its protection back, so its
   * pages become this process's private copies (B85, B95). A DLL with a TLS directory gets the
   * lowest free TLS slot, written to *AddressOfIndex. mmukit runs no guest code: the result lists,
   * in `initializationOrder`, the modules whose TLS callbacks and entry point the emulator calls
   * with DLL_PROCESS_ATTACH.
   *
   * @param name - the module's name, as LoadLibrary takes it.
   * @param source - the DLL's bytes, or a resolver giving the bytes for a name (called for the
   *   module and for each imported or forwarded-to DLL not loaded yet; `undefined`: not found).
   * @param flags - LoadLibraryEx flags: DONT_RESOLVE_DLL_REFERENCES maps the DLL alone (no imports,
   *   no TLS slot, nothing to initialize; a later load returns it unresolved); search-path flags are
   *   accepted and change nothing. Default 0.
   * @returns the base (HMODULE), the module, and the modules to initialize.
   * @throws {@link WindowsError}; a failed load unmaps everything it mapped and leaves every load
   *   count as it was: STATUS_DLL_NOT_FOUND / ERROR_MOD_NOT_FOUND (no bytes for a DLL);
   *   STATUS_ENTRYPOINT_NOT_FOUND / ERROR_PROC_NOT_FOUND (an imported name the DLL lacks, or a
   *   forwarder on the way that fails); STATUS_ORDINAL_NOT_FOUND / ERROR_INVALID_ORDINAL (an imported
   *   ordinal); STATUS_INVALID_IMAGE_FORMAT / ERROR_BAD_EXE_FORMAT (an exporter without an export
   *   directory, a DLL of the other bitness, B89); {@link ImageFormatError} for bytes that are not
   *   an image; STATUS_INVALID_PARAMETER / ERROR_INVALID_PARAMETER for a name that is not a string,
   *   a source that is neither bytes nor a resolver (or a resolver that gives something other than
   *   bytes) and unknown flags; STATUS_DLL_NOT_FOUND / ERROR_MOD_NOT_FOUND also for a name that
   *   names no module (empty, spaces, ".", a directory); STATUS_NOT_SUPPORTED / ERROR_NOT_SUPPORTED
   *   for data-file loads (not modelled). The resolver's own error is the caller's.
   *
   * @example
   * ```ts
   * import { readFileSync } from 'node:fs';
   * const fixtures = (name: string) => {
   *   try { return new Uint8Array(readFileSync(`fixtures/pe/${name.toLowerCase()}`)); } catch { return undefined; }
   * };
   * const p = new Kernel().createProcess();
   * const importer = p.loadLibrary('importer32', fixtures);
   * importer.initializationOrder.map((m) => m.name); // ['exporter32.dll', 'target32.dll', 'importer32.dll']
   * p.loadLibrary('IMPORTER32.DLL', fixtures).base === importer.base; // true: the same module, count 2
   * p.virtualQuery(importer.base + 0x6000).protect;  // PAGE_READWRITE: the bound IAT page, a private copy
   * ```
   */
  loadLibrary(name: string, source: ModuleSource, flags = 0): LoadLibraryResult {
    return loadLibrary(this, name, source, flags);
  }

  /**
   * The process's main executable, as CreateProcess maps it and the loader prepares it before its
   * first instruction: mapped, its imported DLLs loaded and its IAT bound as {@link Process.loadLibrary}
   * binds a DLL's, its TLS slot given (0 when it is the first), pinned (load count -1, FreeLibrary
   * leaves it). {@link Process.getModuleHandle}(null) returns it. The emulator runs the DLLs of
   * `initializationOrder`, then the executable's TLS callbacks, then starts at its entry point.
   * @param name - the executable's name.
   * @param source - its bytes, or a resolver (also for its DLLs).
   * @returns the base, the module, and the DLLs to initialize.
   * @throws {@link WindowsError} as {@link Process.loadLibrary}; STATUS_INVALID_IMAGE_FORMAT /
   *   ERROR_BAD_EXE_FORMAT for a DLL; STATUS_INVALID_PARAMETER / ERROR_INVALID_PARAMETER when the
   *   process has its executable already, or when `name` stands for a module the process has loaded
   *   already as a DLL (nothing changes: the module stays a DLL, its load count as it was).
   *
   * @example
   * ```ts
   * import { readFileSync } from 'node:fs';
   * const fixtures = (name: string) => {
   *   try { return new Uint8Array(readFileSync(`fixtures/pe/${name.toLowerCase()}`)); } catch { return undefined; }
   * };
   * const p = new Kernel().createProcess();
   * const app = p.loadExecutable('app32.exe', fixtures);
   * app.module.entryPoint;       // 0x40107c: where the first thread starts
   * app.module.tls!.index;       // 0
   * p.getModuleHandle(null);     // 0x400000
   * ```
   */
  loadExecutable(name: string, source: ModuleSource): LoadLibraryResult {
    return loadExecutable(this, name, source);
  }

  /**
   * FreeLibrary (B96): lowers the module's load count. At 0 the module is unloaded, and the
   * references it held on the DLLs it imports (or was bound through by a forwarder) are released,
   * unloading those that reach 0 too. A module stays loaded while another loaded module imports it.
   * The main executable is pinned: freeing it changes nothing.
   * @param base - the module's base (HMODULE).
   * @param detach - called for each module about to be unloaded whose initializers ran, in reverse
   *   initialization order, while it is still mapped: where an emulator calls its TLS callbacks and
   *   entry point with DLL_PROCESS_DETACH. It is called for all of them before any is unmapped.
   *   When it throws, its error is the caller's and the call unloads nothing: every module stays
   *   mapped and every load count is as it was (including the modules `detach` was called for
   *   already). It must not call the loader on this process.
   * @returns the modules unloaded, in that order (empty while the count stays above 0).
   * @throws {@link WindowsError} STATUS_DLL_NOT_FOUND / ERROR_MOD_NOT_FOUND when `base` is not a loaded
   *   module's base; STATUS_INVALID_PARAMETER / ERROR_INVALID_PARAMETER when `detach` is given and is
   *   not a function.
   *
   * @example
   * ```ts
   * const a = p.loadLibrary('target32.dll', bytes);
   * p.loadLibrary('target32.dll', bytes);     // count 2
   * p.freeLibrary(a.base);                    // []: count 1
   * p.freeLibrary(a.base).map((m) => m.name); // ['target32.dll']: unmapped
   * p.getModuleHandle('target32.dll');        // 0
   * ```
   */
  freeLibrary(base: number, detach?: (module: LoadedModule) => void): LoadedModule[] {
    return freeLibrary(this, base, detach);
  }

  /**
   * GetModuleHandle: the base of the loaded module `name` stands for (compared as
   * {@link Process.loadLibrary} compares it), or of the main executable for null. The load count
   * does not change, so it must not be paired with {@link Process.freeLibrary}.
   * @returns the base, or 0 (NULL; GetLastError would say ERROR_MOD_NOT_FOUND, as kernel32 tests
   *   testGetModuleHandleEx find for a module not loaded) when no such module is loaded, a string that
   *   names no module (empty, spaces, ".", a directory) included; for null, 0 when the process has no
   *   main executable.
   * @throws {@link WindowsError} STATUS_INVALID_PARAMETER / ERROR_INVALID_PARAMETER when `name` is
   *   neither a string nor null.
   *
   * @example
   * ```ts
   * const { base } = p.loadLibrary('exporter32.dll', bytes);
   * p.getModuleHandle('EXPORTER32   ') === base; // true: case and trailing spaces ignored, ".dll" appended
   * p.getModuleHandle('exporter32.');            // 0: a trailing dot means no extension
   * ```
   */
  getModuleHandle(name: string | null): number {
    return getModuleHandle(this, name);
  }

  /**
   * GetProcAddress: the address an export of a loaded module has, by name (case-sensitive, binary
   * search of the sorted name table) or by ordinal (a number: index ordinal − Base), forwarders
   * ("DLL.Func", "DLL.#N") followed to their final target. A forwarded-to DLL that is not loaded is
   * loaded through `source`, and the forwarding module then holds a reference on it.
   * @param base - the module's base (HMODULE).
   * @param nameOrOrdinal - the export's name, or its ordinal (0–65535).
   * @param source - a resolver for forwarded-to DLLs not loaded yet.
   * @returns the address.
   * @throws {@link WindowsError} STATUS_DLL_NOT_FOUND / ERROR_MOD_NOT_FOUND when `base` is not a loaded
   *   module's base; STATUS_PROCEDURE_NOT_FOUND / ERROR_PROC_NOT_FOUND when the name or ordinal is not
   *   exported (an empty EAT slot, an ordinal below Base, a NONAME export asked for by name) or a
   *   forwarder cannot be followed (nothing is left loaded then); STATUS_INVALID_PARAMETER /
   *   ERROR_INVALID_PARAMETER when `nameOrOrdinal` is neither a string nor an integer 0–65535, or
   *   `source` is given and is not a function. The resolver's own error is the caller's.
   *
   * @example
   * ```ts
   * const { base } = p.loadLibrary('exporter32.dll', bytes);
   * p.getProcAddress(base, 'alpha') === p.getProcAddress(base, 5); // true: ordinal 5 is alpha (Base 5)
   * p.getProcAddress(base, 'fwd_name', fixtures); // target32.dll's target_func: target32.dll loaded
   * ```
   */
  getProcAddress(base: number, nameOrOrdinal: string | number, source?: ModuleResolver): number {
    return getProcAddress(this, base, nameOrOrdinal, source);
  }

  /**
   * The loader's module list: every loaded module, in load order, with its load count, entry point,
   * TLS directory and slot, dependencies and the ImageBase its header holds (B92). A query: it
   * changes nothing. The header and TLS directory are read from the module's pages as the kernel
   * holds them, without an access by the process (a guard page keeps its guard, nothing is read in).
   * @returns a snapshot of each module.
   *
   * @example
   * ```ts
   * p.loadLibrary('importer32.dll', fixtures);
   * p.modules().map((m) => [m.name, m.loadCount]);
   * // [['importer32.dll', 1], ['exporter32.dll', 1], ['target32.dll', 1]]
   * ```
   */
  modules(): LoadedModule[] {
    return modules(this);
  }

  /**
   * CreateThread: a thread of this process with a new stack, reserved and committed as Windows does (B59):
   * one MEM_PRIVATE reservation (the main EXE's SizeOfStackReserve rounded up to 64 KiB; 1 MiB without an
   * EXE), its top committed PAGE_READWRITE (SizeOfStackCommit, or `options.stackSize`, rounded up to a
   * page), and one guard page below. While a CPU runs the thread ({@link Kernel.runThread}) the stack grows
   * through its guard page, and raises STATUS_STACK_OVERFLOW once at its end.
   *
   * @param options - CreateThread's dwStackSize and dwCreationFlags (only
   *   {@link STACK_SIZE_PARAM_IS_A_RESERVATION} is read); see {@link CreateThreadOptions} and {@link stackSizes}.
   * @returns the thread; {@link Thread.exit} ends it and releases its stack.
   * @throws {@link WindowsError}, and nothing changes: STATUS_INVALID_PARAMETER / ERROR_INVALID_PARAMETER
   *   for bad options; STATUS_NO_MEMORY when no free range holds the reserve; STATUS_COMMITMENT_LIMIT /
   *   ERROR_COMMITMENT_LIMIT when the commit does not fit; STATUS_INVALID_HANDLE on an exited process.
   *
   * @example
   * ```ts
   * const kernel = new Kernel();
   * const p = kernel.createProcess();
   * const t = p.createThread({ stackSize: 0x3f00 });
   * t.stackBase - t.stackLimit;                 // 0x4000: the commit, rounded up to a page
   * t.stackBase - t.deallocationStack;          // 0x100000: the default reserve
   * const cpu = kernel.runThread(0, t);
   * cpu.mmu.write32(t.stackLimit - 4, 1);       // the guard page: the stack grows, no exception
   * t.stackBase - t.stackLimit;                 // 0x5000
   * ```
   */
  createThread(options: CreateThreadOptions = {}): Thread {
    return createThread(this, options);
  }

  /**
   * The process's live threads, in creation order; none after {@link Process.exit}, which ends them all.
   *
   * @example
   * ```ts
   * const t = p.createThread();
   * p.threads();   // [t]
   * t.exit();
   * p.threads();   // []
   * ```
   */
  threads(): Thread[] {
    return threadsOf(this);
  }

  /**
   * POSIX-style fork: a new process with a copy of this address space. Private
   * pages (and copied view pages) become copy-on-write in both; shared views
   * stay shared. Neither process ever sees the other's later writes. The
   * child's committed private pages are charged commit.
   * @returns the child, not running on any CPU.
   * @throws {@link OutOfFramesError} (page tables) or {@link WindowsError} STATUS_COMMITMENT_LIMIT /
   *   ERROR_COMMITMENT_LIMIT, or STATUS_INSUFFICIENT_RESOURCES / ERROR_NOT_ENOUGH_MEMORY (no free ASID);
   *   nothing changes then.
   *
   * @example
   * ```ts
   * const kernel = new Kernel();
   * const parent = kernel.createProcess();
   * const base = parent.virtualAlloc(0, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
   * parent.writeMemory(base, new Uint8Array([1]));
   * const child = parent.fork();
   * kernel.run(0, child).mmu.write8(base, 2);   // copy-on-write: the child gets its own frame
   * parent.readMemory(base, 1)[0];              // 1
   * child.readMemory(base, 1)[0];               // 2
   * kernel.stats.copyOnWriteFaults;             // 1
   * ```
   */
  fork(): Process {
    return forkProcess(this);
  }

  /**
   * ReadProcessMemory (B100, B102): copies bytes out of the address space
   * without touching any TLB or materializing pages (a never-touched page reads as zeros,
   * or its file or image bytes). Every page must be readable, or nothing is read.
   * @param address - first byte to read.
   * @param length - number of bytes.
   * @returns a new array of `length` bytes.
   * @throws {@link WindowsError} STATUS_PARTIAL_COPY / ERROR_PARTIAL_COPY when any page is not allocated,
   *   not committed or not readable (nothing is returned); STATUS_GUARD_PAGE_VIOLATION (win32Error
   *   0x80000001) when the range touches a guard page (the guard is cleared, B52).
   */
  readMemory(address: number, length: number): Uint8Array {
    this.kernel.requireLive(this);
    address = this.kernel.requireAddress(address, 'address');
    length = this.kernel.requireAddress(length, 'length');
    return readProcessMemory(this, address, length);
  }

  /**
   * NtReadVirtualMemory (B100): copies the readable prefix of [address, address + into.length)
   * into `into` and says how much that was. Never throws for the guest's memory: a page that is
   * not allocated, not committed or not readable ends the copy with STATUS_PARTIAL_COPY, a guard
   * page with STATUS_GUARD_PAGE_VIOLATION (the guard is cleared, B52); `into` past the prefix is
   * left as it was.
   * @param address - first byte to read.
   * @param into - where the bytes go; its length is the number to read.
   * @param processHandle - ProcessHandle: a process handle of this process's table with PROCESS_VM_READ, or CURRENT_PROCESS_HANDLE;
   *   omitted, the call works on this process. A failing handle is the status (STATUS_INVALID_HANDLE,
   *   STATUS_OBJECT_TYPE_MISMATCH, STATUS_ACCESS_DENIED, STATUS_PROCESS_IS_TERMINATING), except for 0 bytes, which
   *   succeed without looking at the handle, as NtReadVirtualMemory does.
   * @returns the status and the number of bytes read.
   * @throws {@link WindowsError} STATUS_INVALID_PARAMETER when an argument is not one (nothing is read).
   *
   * @example
   * ```ts
   * const kernel = new Kernel();
   * const p = kernel.createProcess();
   * const base = p.virtualAlloc(0, 0x2000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
   * p.virtualProtect(base + 0x1000, 0x1000, PAGE_NOACCESS);
   * p.ntReadVirtualMemory(base, new Uint8Array(0x2000)); // { status: STATUS_PARTIAL_COPY, bytes: 0x1000 }
   * ```
   */
  ntReadVirtualMemory(address: number, into: Uint8Array, processHandle?: number): NtTransfer {
    this.kernel.requireLive(this);
    const target = this.targetOf(processHandle, PROCESS_VM_READ);
    address = this.kernel.requireAddress(address, 'address');
    if (!(into instanceof Uint8Array)) throw new WindowsError(STATUS_INVALID_PARAMETER, 'into must be a Uint8Array', ERROR_INVALID_PARAMETER);
    // NtReadVirtualMemory references its process only to copy something: 0 bytes succeed whatever the handle.
    if (into.length === 0) return { status: STATUS_SUCCESS, bytes: 0 };
    const process = this.kernel.liveOrStatus(target);
    return typeof process === 'number' ? { status: process, bytes: 0 } : ntReadVirtualMemory(process, address, into);
  }

  /**
   * WriteProcessMemory (B101): copies bytes into the address space, as the kernel does for a
   * debugger or a loader, by the protection of the first page (Windows 10 1607 and later):
   * - writable or copy-on-write: the writable prefix of the range is written (copy-on-write
   *   pages get their private copy), and a range that runs on into pages that are not writable
   *   then fails with ERROR_PARTIAL_COPY, that prefix written ({@link Process.ntWriteVirtualMemory});
   * - executable without write access: the code is written, made writable for it (B101), when
   *   every page of the range is executable or writable; otherwise ERROR_NOACCESS, nothing written;
   * - anything else: ERROR_NOACCESS and nothing is written.
   * @param address - first byte to write.
   * @param data - the bytes.
   * @throws {@link WindowsError} ERROR_NOACCESS; ERROR_PARTIAL_COPY; STATUS_GUARD_PAGE_VIOLATION on a guard page (cleared, B52).
   * @throws {@link OutOfFramesError} when a page cannot get its own frame (nothing changes).
   */
  writeMemory(address: number, data: Uint8Array): void {
    this.kernel.requireLive(this);
    address = this.kernel.requireAddress(address, 'address');
    if (!(data instanceof Uint8Array)) throw new WindowsError(STATUS_ACCESS_VIOLATION, 'data must be a Uint8Array', ERROR_NOACCESS);
    writeProcessMemory(this, address, data);
  }

  /**
   * NtWriteVirtualMemory (B100, B101): writes the prefix of [address, address + data.length)
   * whose pages are writable or copy-on-write (executable code is not, unlike for
   * {@link Process.writeMemory}), and says how much that was: STATUS_SUCCESS for all of it,
   * STATUS_PARTIAL_COPY when a page stopped it, STATUS_GUARD_PAGE_VIOLATION at a guard page
   * (cleared, B52).
   * @param address - first byte to write.
   * @param data - the bytes.
   * @param processHandle - ProcessHandle: a process handle of this process's table with PROCESS_VM_WRITE, or CURRENT_PROCESS_HANDLE;
   *   omitted, the call works on this process. A failing handle is the status (STATUS_INVALID_HANDLE,
   *   STATUS_OBJECT_TYPE_MISMATCH, STATUS_ACCESS_DENIED, STATUS_PROCESS_IS_TERMINATING), except for 0 bytes, which
   *   succeed without looking at the handle, as NtReadVirtualMemory does.
   * @returns the status and the number of bytes written.
   * @throws {@link WindowsError} STATUS_INVALID_PARAMETER when an argument is not one (nothing is written).
   * @throws {@link OutOfFramesError} when a page cannot get its own frame (nothing is written).
   */
  ntWriteVirtualMemory(address: number, data: Uint8Array, processHandle?: number): NtTransfer {
    this.kernel.requireLive(this);
    const target = this.targetOf(processHandle, PROCESS_VM_WRITE);
    address = this.kernel.requireAddress(address, 'address');
    if (!(data instanceof Uint8Array)) throw new WindowsError(STATUS_INVALID_PARAMETER, 'data must be a Uint8Array', ERROR_INVALID_PARAMETER);
    // As NtReadVirtualMemory: 0 bytes succeed whatever the handle.
    if (data.length === 0) return { status: STATUS_SUCCESS, bytes: 0 };
    const process = this.kernel.liveOrStatus(target);
    return typeof process === 'number' ? { status: process, bytes: 0 } : ntWriteVirtualMemory(process, address, data);
  }

  /**
   * NtAllocateVirtualMemory: {@link Process.virtualAlloc} in the NT flavour. Reports the
   * failures Windows reports as statuses instead of throwing, with the rounded outputs (B18):
   * MEM_RESERVE rounds an explicit base down to 64 KiB, MEM_COMMIT and MEM_RESET to a page, and
   * the size covers every page `[address, address + size)` touches; a NULL address rounds the
   * size up to pages.
   *
   * @param address - `*BaseAddress` on entry: 0 to let the kernel choose, or the address to use.
   * @param size - `*RegionSize` on entry, bytes.
   * @param allocationType - MEM_RESERVE, MEM_COMMIT (or both) or MEM_RESET; optionally MEM_TOP_DOWN,
   *   MEM_WRITE_WATCH. AT_ROUND_TO_PAGE → STATUS_INVALID_PARAMETER_5, other bits (MEM_RESET_UNDO
   *   included) → STATUS_INVALID_PARAMETER (B16).
   * @param protect - PAGE_* as for {@link Process.virtualAlloc} (PAGE_WRITECOPY on private memory →
   *   STATUS_INVALID_PAGE_PROTECTION, B12).
   * @param zeroBits - ZeroBits (B20), for a NULL address only: 1..21 keep the whole allocation below
   *   `2 ** (32 - zeroBits)` (21 leaves no room: STATUS_NO_MEMORY); 22..31 → STATUS_INVALID_PARAMETER_3;
   *   above 31, on a 64-bit address space, a mask whose leading zero bits must be zero in the address.
   * @param processHandle - ProcessHandle: a process handle of this process's table with PROCESS_VM_OPERATION, or CURRENT_PROCESS_HANDLE;
   *   omitted, the call works on this process. A handle that is not open, names no process, lacks the right or names a
   *   process that exited is the status: STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH, STATUS_ACCESS_DENIED,
   *   STATUS_PROCESS_IS_TERMINATING ([process handles](../../../docs/kernel.md#process-and-thread-handles)).
   * @returns `{ status, base, size }`: STATUS_SUCCESS with the rounded base and size, or the
   *   failure's NTSTATUS (the same as {@link WindowsError.ntStatus} of the Win32 call: B1, B10–B13,
   *   B17, B19, B21, B69, STATUS_COMMITMENT_LIMIT) with `base` and `size` as passed, nothing changed.
   * @throws {@link WindowsError} STATUS_INVALID_PARAMETER when an argument is not a number of its
   *   kind (a non-integer, a negative size, a type or protection that is not a ULONG);
   *   STATUS_INVALID_HANDLE on an exited process.
   *
   * @example
   * ```ts
   * const p = new Kernel().createProcess();
   * const r = p.ntAllocateVirtualMemory(0, 0x1234, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
   * r.status === STATUS_SUCCESS; // true
   * r.size;                      // 0x2000: rounded up to pages
   * p.ntAllocateVirtualMemory(r.base + 0x1000, 0x1000, MEM_RESERVE, PAGE_READWRITE).status === STATUS_CONFLICTING_ADDRESSES; // true (B17)
   * ```
   */
  ntAllocateVirtualMemory(address: number, size: number, allocationType: number, protect: number, zeroBits = 0, processHandle?: number): NtRegionResult {
    return ntAllocateVirtualMemory(this.targetOf(processHandle, PROCESS_VM_OPERATION), address, size, allocationType, protect, zeroBits);
  }

  /**
   * NtFreeVirtualMemory: MEM_DECOMMIT or MEM_RELEASE with the NT rules (B42–B46), which differ from
   * {@link Process.virtualFree}'s (B41): MEM_RELEASE with a non-zero size releases just the pages
   * the range touches and **splits** the allocation, each remaining piece becoming an allocation of
   * its own (B44). Decommitting or releasing pages drops their frames, commit charge and locks.
   *
   * @param address - `*BaseAddress` on entry: any address of the first page (size 0: of the allocation base).
   * @param size - `*RegionSize` on entry: 0 for the whole allocation, or bytes (every page touched).
   * @param freeType - MEM_DECOMMIT or MEM_RELEASE, exactly one.
   * @param processHandle - ProcessHandle: a process handle of this process's table with PROCESS_VM_OPERATION, or CURRENT_PROCESS_HANDLE;
   *   omitted, the call works on this process. A handle that is not open, names no process, lacks the right or names a
   *   process that exited is the status: STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH, STATUS_ACCESS_DENIED,
   *   STATUS_PROCESS_IS_TERMINATING ([process handles](../../../docs/kernel.md#process-and-thread-handles)).
   * @returns `{ status, base, size }`. On success `base` is the first page freed and `size` the bytes
   *   freed (B43, B44); with size 0, the allocation base and its size for MEM_RELEASE, 0 for
   *   MEM_DECOMMIT (B42). On failure `base` and `size` are as passed and nothing changed:
   *   STATUS_INVALID_PARAMETER (bad free type, B39; NULL address, B45; a view, B46);
   *   STATUS_MEMORY_NOT_ALLOCATED (the first page is free, B45); STATUS_FREE_VM_NOT_AT_BASE
   *   (size 0 away from the base, B42); STATUS_UNABLE_TO_FREE_VM (the range runs past the
   *   allocation, B45).
   * @throws {@link WindowsError} STATUS_INVALID_PARAMETER when an argument is not a number of its
   *   kind; STATUS_INVALID_HANDLE on an exited process.
   *
   * @example
   * ```ts
   * const p = new Kernel().createProcess();
   * const base = p.virtualAlloc(0, 0x10000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
   * p.ntFreeVirtualMemory(base + 0x1001, 0xfff, MEM_RELEASE); // { status: 0, base: base + 0x1000, size: 0x1000 }
   * p.virtualQuery(base + 0x1000).state === MEM_FREE;          // true: a hole (B44)
   * p.virtualQuery(base + 0x2000).allocationBase;              // base + 0x2000: its own allocation now
   * ```
   */
  ntFreeVirtualMemory(address: number, size: number, freeType: number, processHandle?: number): NtRegionResult {
    return ntFreeVirtualMemory(this.targetOf(processHandle, PROCESS_VM_OPERATION), address, size, freeType);
  }

  /**
   * NtProtectVirtualMemory: {@link Process.virtualProtect} in the NT flavour, all pages or none.
   * An unaligned request covers whole pages, and the outputs say which (B35).
   *
   * @param address - `*BaseAddress` on entry: any address of the first page.
   * @param size - `*RegionSize` on entry: bytes; every page the range touches.
   * @param protect - the new protection, as for {@link Process.virtualProtect}.
   * @param processHandle - ProcessHandle: a process handle of this process's table with PROCESS_VM_OPERATION, or CURRENT_PROCESS_HANDLE;
   *   omitted, the call works on this process. A handle that is not open, names no process, lacks the right or names a
   *   process that exited is the status: STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH, STATUS_ACCESS_DENIED,
   *   STATUS_PROCESS_IS_TERMINATING ([process handles](../../../docs/kernel.md#process-and-thread-handles)).
   * @returns `{ status, base, size, oldProtect }`: on success the page base, the rounded size and the
   *   first page's old protection (B34, B37); on failure the NTSTATUS of the Win32 call
   *   (STATUS_NOT_COMMITTED, B3, B5; STATUS_CONFLICTING_ADDRESSES, B36; STATUS_INVALID_PAGE_PROTECTION,
   *   B12; STATUS_INVALID_PARAMETER, B33, B68), `base` and `size` as passed, and `oldProtect`
   *   PAGE_NOACCESS for a failure on the range (B3, B36) or `undefined` where Windows leaves it untouched.
   * @throws {@link WindowsError} STATUS_INVALID_PARAMETER when an argument is not a number of its
   *   kind; STATUS_INVALID_HANDLE on an exited process.
   *
   * @example
   * ```ts
   * const p = new Kernel().createProcess();
   * const base = p.virtualAlloc(0, 0x2000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
   * p.ntProtectVirtualMemory(base + 1, 1, PAGE_READONLY); // { status: 0, base, size: 0x1000, oldProtect: PAGE_READWRITE } (B35)
   * ```
   */
  ntProtectVirtualMemory(address: number, size: number, protect: number, processHandle?: number): NtProtectResult {
    return ntProtectVirtualMemory(this.targetOf(processHandle, PROCESS_VM_OPERATION), address, size, protect);
  }

  /**
   * NtQueryVirtualMemory for {@link MemoryInformationClass}.MemoryBasicInformation (as
   * {@link Process.virtualQuery}), MemoryRegionInformation (the whole allocation and its commit,
   * B30, B77) and MemoryImageInformation (the image view an address is in, B31).
   *
   * @param address - any address; rounded down to its page.
   * @param informationClass - a {@link MemoryInformationClass} value.
   * @param processHandle - ProcessHandle: a process handle of this process's table with PROCESS_QUERY_LIMITED_INFORMATION (PROCESS_QUERY_INFORMATION grants it; Windows 8 and later accept the limited right), or CURRENT_PROCESS_HANDLE;
   *   omitted, the call works on this process. A handle that is not open, names no process, lacks the right or names a
   *   process that exited is the status: STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH, STATUS_ACCESS_DENIED,
   *   STATUS_PROCESS_IS_TERMINATING ([process handles](../../../docs/kernel.md#process-and-thread-handles)).
   * @returns `{ status, info }`: STATUS_SUCCESS and the information; STATUS_INVALID_PARAMETER at or
   *   above {@link Kernel.userTop} (B28); STATUS_INVALID_ADDRESS for the region and image classes
   *   on free memory (B30, B31); STATUS_NOT_SUPPORTED for the classes mmukit does not answer,
   *   STATUS_INVALID_INFO_CLASS for unknown ones. `info` is `undefined` on failure.
   * @throws {@link WindowsError} STATUS_INVALID_PARAMETER when an argument is not a number of its
   *   kind; STATUS_INVALID_HANDLE on an exited process.
   *
   * @example
   * ```ts
   * const p = new Kernel().createProcess();
   * const base = p.virtualAlloc(0, 0x10000, MEM_RESERVE, PAGE_READWRITE);
   * p.virtualAlloc(base, 0x1000, MEM_COMMIT, PAGE_READWRITE);
   * const { info } = p.ntQueryVirtualMemory(base + 0x5000, MemoryInformationClass.MemoryRegionInformation);
   * info?.regionSize; // 0x10000: the whole allocation (B30)
   * info?.commitSize; // 0x1000
   * ```
   */
  ntQueryVirtualMemory<C extends keyof MemoryInformationByClass>(address: number, informationClass: C, processHandle?: number): NtQueryResult<MemoryInformationByClass[C]>;
  ntQueryVirtualMemory(address: number, informationClass: number, processHandle?: number): NtQueryResult<MemoryBasicInformation | MemoryRegionInformation | MemoryImageInformation>;
  ntQueryVirtualMemory(address: number, informationClass: number, processHandle?: number): NtQueryResult<MemoryBasicInformation | MemoryRegionInformation | MemoryImageInformation> {
    return ntQueryVirtualMemory(this.targetOf(processHandle, PROCESS_QUERY_LIMITED_INFORMATION), address, informationClass);
  }

  /**
   * VirtualLock (B52, B53): locks the pages the range touches into the working set, all or none.
   * mmukit never pages out, so this is bookkeeping that {@link Process.virtualUnlock}, decommit,
   * release and unmap undo; locks are not counted.
   *
   * @param address - any address of the first page.
   * @param size - bytes; every page the range touches (it may span allocations).
   * @throws {@link WindowsError}, nothing locked:
   *   STATUS_GUARD_PAGE_VIOLATION with {@link WindowsError.win32Error} 0x80000001 (GetLastError
   *   returns the status itself) when a page is a guard page: that guard is cleared, so the next call
   *   succeeds, and no write is recorded by a write watch (B52, B53);
   *   STATUS_ACCESS_VIOLATION / ERROR_NOACCESS when a page is free, reserved or PAGE_NOACCESS
   *   (mmukit's choice, see [the guide](../../../docs/kernel.md#locking-pages));
   *   STATUS_INVALID_PARAMETER / ERROR_INVALID_PARAMETER for size 0, a range past user space, or an
   *   argument that is not a number of its kind; STATUS_INVALID_HANDLE on an exited process.
   *
   * @example
   * ```ts
   * const p = new Kernel().createProcess();
   * const base = p.virtualAlloc(0, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
   * let error = 0;
   * try { p.virtualLock(base, 0x1000); } catch (e) { if (e instanceof WindowsError) error = e.win32Error; }
   * error;                      // 0x80000001 (B52): and the guard is gone
   * p.virtualLock(base, 0x1000); // succeeds
   * ```
   */
  virtualLock(address: number, size: number): void {
    virtualLock(this, address, size);
  }

  /**
   * VirtualUnlock: unlocks the pages the range touches, which must all be locked.
   *
   * @param address - any address of the first page.
   * @param size - bytes; every page the range touches.
   * @throws {@link WindowsError}, nothing unlocked: STATUS_NOT_LOCKED / ERROR_NOT_LOCKED when a page
   *   is not locked (free and reserved pages never are); STATUS_INVALID_PARAMETER /
   *   ERROR_INVALID_PARAMETER for size 0, a range past user space, or an argument that is not a
   *   number of its kind; STATUS_INVALID_HANDLE on an exited process.
   */
  virtualUnlock(address: number, size: number): void {
    virtualUnlock(this, address, size);
  }

  /**
   * NtLockVirtualMemory: {@link Process.virtualLock} in the NT flavour (VirtualLock is this call with
   * MAP_PROCESS), all pages or none, reporting the failures as statuses with the rounded outputs.
   *
   * @param address - `*BaseAddress` on entry: any address of the first page.
   * @param size - `*RegionSize` on entry: bytes; every page the range touches (it may span allocations).
   * @param mapType - MAP_PROCESS (the working set). MAP_SYSTEM, alone or with MAP_PROCESS →
   *   STATUS_PRIVILEGE_NOT_HELD (no process holds SeLockMemoryPrivilege); neither, or another bit →
   *   STATUS_INVALID_PARAMETER, checked first.
   * @param processHandle - ProcessHandle: a process handle of this process's table with PROCESS_VM_OPERATION, or CURRENT_PROCESS_HANDLE;
   *   omitted, the call works on this process. A handle that is not open, names no process, lacks the right or names a
   *   process that exited is the status: STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH, STATUS_ACCESS_DENIED,
   *   STATUS_PROCESS_IS_TERMINATING ([process handles](../../../docs/kernel.md#process-and-thread-handles)).
   * @returns `{ status, base, size }`: STATUS_SUCCESS, or STATUS_WAS_LOCKED (a success) when a page was
   *   locked already, with the page base and the size of the pages locked; on failure `base` and `size`
   *   as passed and nothing locked: STATUS_INVALID_PARAMETER (map type; size 0; a range past user space),
   *   STATUS_PRIVILEGE_NOT_HELD, STATUS_GUARD_PAGE_VIOLATION (the guard is cleared, B52, B53),
   *   STATUS_ACCESS_VIOLATION (a free, reserved or PAGE_NOACCESS page; the first failing page decides).
   * @throws {@link WindowsError} STATUS_INVALID_PARAMETER when an argument is not a number of its
   *   kind; STATUS_INVALID_HANDLE on an exited process.
   *
   * @example
   * ```ts
   * const p = new Kernel().createProcess();
   * const base = p.virtualAlloc(0, 0x2000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
   * p.ntLockVirtualMemory(base + 0xfff, 2, MAP_PROCESS);                    // { status: STATUS_SUCCESS, base, size: 0x2000 }
   * p.ntLockVirtualMemory(base, 0x1000, MAP_PROCESS).status;                // STATUS_WAS_LOCKED: a success
   * p.ntLockVirtualMemory(base, 0x1000, MAP_SYSTEM).status;                 // STATUS_PRIVILEGE_NOT_HELD
   * ```
   */
  ntLockVirtualMemory(address: number, size: number, mapType: number, processHandle?: number): NtRegionResult {
    return ntLockVirtualMemory(this.targetOf(processHandle, PROCESS_VM_OPERATION), address, size, mapType);
  }

  /**
   * NtUnlockVirtualMemory: {@link Process.virtualUnlock} in the NT flavour: every page the range
   * touches must be locked, or nothing is unlocked.
   *
   * @param address - `*BaseAddress` on entry: any address of the first page.
   * @param size - `*RegionSize` on entry: bytes; every page the range touches.
   * @param mapType - as for {@link Process.ntLockVirtualMemory}.
   * @param processHandle - ProcessHandle: a process handle of this process's table with PROCESS_VM_OPERATION, or CURRENT_PROCESS_HANDLE;
   *   omitted, the call works on this process. A handle that is not open, names no process, lacks the right or names a
   *   process that exited is the status: STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH, STATUS_ACCESS_DENIED,
   *   STATUS_PROCESS_IS_TERMINATING ([process handles](../../../docs/kernel.md#process-and-thread-handles)).
   * @returns `{ status, base, size }`: on success the page base and the size unlocked; on failure
   *   `base` and `size` as passed: STATUS_INVALID_PARAMETER, STATUS_PRIVILEGE_NOT_HELD (as for the lock),
   *   STATUS_NOT_LOCKED (a page not locked; free and reserved pages never are).
   * @throws {@link WindowsError} STATUS_INVALID_PARAMETER when an argument is not a number of its
   *   kind; STATUS_INVALID_HANDLE on an exited process.
   *
   * @example
   * ```ts
   * const p = new Kernel().createProcess();
   * const base = p.virtualAlloc(0, 0x2000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
   * p.virtualLock(base, 0x2000);
   * p.ntUnlockVirtualMemory(base, 0x2000, MAP_PROCESS);        // { status: STATUS_SUCCESS, base, size: 0x2000 }
   * p.ntUnlockVirtualMemory(base, 0x1000, MAP_PROCESS).status; // STATUS_NOT_LOCKED
   * ```
   */
  ntUnlockVirtualMemory(address: number, size: number, mapType: number, processHandle?: number): NtRegionResult {
    return ntUnlockVirtualMemory(this.targetOf(processHandle, PROCESS_VM_OPERATION), address, size, mapType);
  }

  /**
   * NtFlushVirtualMemory: {@link Process.flushViewOfFile} in the NT flavour: writes the dirty pages of
   * a file-backed data view's range to the file, with Windows' statuses and outputs.
   *
   * @param address - `*BaseAddress` on entry: an address in the view.
   * @param size - `*RegionSize` on entry: bytes, every page touched; 0 flushes to the view's end.
   * @param processHandle - ProcessHandle: a process handle of this process's table with PROCESS_VM_OPERATION, or CURRENT_PROCESS_HANDLE;
   *   omitted, the call works on this process. A handle that is not open, names no process, lacks the right or names a
   *   process that exited is the status: STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH, STATUS_ACCESS_DENIED,
   *   STATUS_PROCESS_IS_TERMINATING ([process handles](../../../docs/kernel.md#process-and-thread-handles)).
   * @returns `{ status, base, size, ioStatus }`: STATUS_SUCCESS with the page base and the size flushed;
   *   STATUS_NOT_MAPPED_VIEW (free or private memory, a range past the view's end);
   *   STATUS_NOT_MAPPED_DATA (an anonymous or image view: nothing to write; FlushViewOfFile counts it
   *   a success); `size` as passed on failure; `ioStatus` `{ status, information: 0 }`.
   *   STATUS_INVALID_PARAMETER for a range past user space, with `base` as passed and no `ioStatus`.
   * @throws {@link WindowsError} STATUS_INVALID_PARAMETER when an argument is not a number of its
   *   kind; STATUS_INVALID_HANDLE on an exited process.
   *
   * @example
   * ```ts
   * const kernel = new Kernel();
   * const p = kernel.createProcess();
   * const file = new Uint8Array(0x2000);
   * const view = p.mapViewOfSection(kernel.createSection({ protect: PAGE_READWRITE, file }), { access: FILE_MAP_WRITE });
   * p.writeMemory(view + 0x1004, new Uint8Array([42]));
   * p.ntFlushVirtualMemory(view + 0x1000, 0); // { status: 0, base: view + 0x1000, size: 0x1000, ioStatus: { status: 0, information: 0 } }
   * file[0x1004];                             // 42
   * ```
   */
  ntFlushVirtualMemory(address: number, size: number, processHandle?: number): NtFlushResult {
    return ntFlushVirtualMemory(this.targetOf(processHandle, PROCESS_VM_OPERATION), address, size);
  }

  /**
   * NtAreMappedFilesTheSame: whether `address1` is in an image view of the file that the view at
   * `address2` maps (as data or as an image). A file is its byte array; an image's file is the array
   * its section was made from.
   *
   * @param address1 - an address in the image view (File1MappedAsAnImage).
   * @param address2 - an address in the other view (File2MappedAsFile).
   * @returns STATUS_SUCCESS (one allocation, or an image view and a view of its file);
   *   STATUS_NOT_SAME_DEVICE (other views, two data views of one file included: the call is not
   *   symmetric); STATUS_CONFLICTING_ADDRESSES (private memory, an anonymous view);
   *   STATUS_INVALID_ADDRESS (no allocation at one of them).
   * @throws {@link WindowsError} STATUS_INVALID_PARAMETER when an address is not a non-negative
   *   integer; STATUS_INVALID_HANDLE on an exited process.
   *
   * @example
   * ```ts
   * const kernel = new Kernel();
   * const p = kernel.createProcess();
   * const dll = new Uint8Array(readFileSync('fixtures/pe/absolute32.dll'));
   * const image = p.mapImageView(kernel.createImageSection(dll)).base;
   * const data = p.mapViewOfSection(kernel.createSection({ protect: PAGE_READONLY, file: dll }), { access: FILE_MAP_READ });
   * p.ntAreMappedFilesTheSame(image, data); // STATUS_SUCCESS
   * p.ntAreMappedFilesTheSame(data, image); // STATUS_NOT_SAME_DEVICE
   * p.ntAreMappedFilesTheSame(data, 0);     // STATUS_INVALID_ADDRESS
   * ```
   */
  ntAreMappedFilesTheSame(address1: number, address2: number): number {
    return ntAreMappedFilesTheSame(this, address1, address2);
  }

  /**
   * CreateFile: opens the file whose contents are `bytes` and returns a handle with `desiredAccess`
   * (GENERIC_READ / GENERIC_WRITE / GENERIC_EXECUTE, or FILE_* rights). The handle's access decides which
   * sections the file may back (B66). Every open of the same array is the same file: sections over it
   * share its pages ([files: sharing and flushing](../../../docs/kernel.md#files-sharing-and-flushing)).
   * @param bytes - the file's contents.
   * @param desiredAccess - the access the handle gets.
   * @param inherit - bInheritHandle: whether a {@link Process.fork}ed child gets the handle (default false).
   * @returns the handle (4, 8, …).
   * @throws {@link WindowsError} STATUS_INVALID_PARAMETER for arguments of the wrong type; STATUS_INVALID_HANDLE on an exited process.
   *
   * @example
   * ```ts
   * const file = p.createFile(new TextEncoder().encode('hello'), GENERIC_READ);
   * p.createFileMapping(file, PAGE_READONLY, 0).alreadyExists; // false
   * p.createFileMapping(file, PAGE_READWRITE, 0);              // throws ERROR_ACCESS_DENIED: a read-only handle (B66)
   * ```
   */
  createFile(bytes: Uint8Array, desiredAccess: number, inherit = false): number {
    return createFile(this, bytes, desiredAccess, inherit);
  }

  /**
   * CreateFileMapping: creates a section and returns a handle to it (B60–B63, B66). `file` is a file handle
   * from {@link Process.createFile}, or INVALID_HANDLE_VALUE for a section backed by the paging file.
   * `protect` is flProtect: the page protection with the SEC_* attributes or-ed in. With a `name` that
   * already names a section, the handle is to that section, whatever the size and protection ask, and
   * `alreadyExists` is true (ERROR_ALREADY_EXISTS, B63); the name lives until its last handle closes,
   * even while views stay mapped (B72). The handle gets SECTION_QUERY | SECTION_MAP_READ, plus
   * SECTION_MAP_WRITE for a writable protection and SECTION_MAP_EXECUTE for an executable one.
   * @param file - a file handle, or INVALID_HANDLE_VALUE.
   * @param protect - flProtect: PAGE_* | SEC_*.
   * @param maximumSize - bytes; 0 for the file's size.
   * @param name - the object name (case-sensitive; `Local\` is the same namespace as no prefix, `Global\` another), or null.
   * @param inherit - bInheritHandle (default false).
   * @returns `{ handle, alreadyExists }`.
   * @throws {@link WindowsError}, nothing created: the errors of {@link Kernel.createSection} (B60–B62);
   *   STATUS_INVALID_HANDLE / STATUS_OBJECT_TYPE_MISMATCH (ERROR_INVALID_HANDLE) for a file handle that is not
   *   an open file; STATUS_ACCESS_DENIED / ERROR_ACCESS_DENIED when the file handle lacks the access the
   *   protection needs (B66); STATUS_OBJECT_NAME_INVALID / STATUS_OBJECT_PATH_NOT_FOUND for a bad name.
   *
   * @example
   * ```ts
   * const a = kernel.createProcess();
   * const b = kernel.createProcess();
   * const { handle } = a.createFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, 0x1000, 'shared');
   * const other = b.openFileMapping(FILE_MAP_WRITE, false, 'shared');
   * kernel.run(0, a).mmu.write32(a.mapViewOfSection(handle, { access: FILE_MAP_WRITE }), 0x1a2b3c4d);
   * b.readMemory(b.mapViewOfSection(other, { access: FILE_MAP_WRITE }), 4); // the same bytes (B73)
   * b.createFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, 0x1000, 'shared').alreadyExists; // true
   * ```
   */
  createFileMapping(file: number, protect: number, maximumSize: number, name: string | null = null, inherit = false): CreateFileMappingResult {
    return createFileMapping(this, file, protect, maximumSize, name, inherit);
  }

  /**
   * OpenFileMapping: a handle to the section `name` names (B63, B72), with `desiredAccess` (FILE_MAP_*;
   * FILE_MAP_COPY alone asks for read). Views through it need the access their protection needs (B65).
   * @throws {@link WindowsError} STATUS_OBJECT_NAME_NOT_FOUND / ERROR_FILE_NOT_FOUND when no section has the
   *   name (names are case-sensitive; a name goes with its last handle, B72); STATUS_OBJECT_NAME_INVALID for a bad name.
   */
  openFileMapping(desiredAccess: number, inherit: boolean, name: string): number {
    return openFileMapping(this, desiredAccess, inherit, name);
  }

  /**
   * CloseHandle: closes a handle. A section's last handle takes its name with it (B72); the section
   * lives on while views map it. The current-process pseudo-handle is not closed ("no effect").
   * @throws {@link WindowsError} ERROR_INVALID_HANDLE: STATUS_INVALID_HANDLE for a value that is not an open
   *   handle, STATUS_HANDLE_NOT_CLOSABLE for one protected from close (it stays open).
   */
  closeHandle(handle: number): void {
    closeHandleOrThrow(this, handle);
  }

  /**
   * NtClose: {@link Process.closeHandle} returning its NTSTATUS: STATUS_SUCCESS, STATUS_INVALID_HANDLE or
   * STATUS_HANDLE_NOT_CLOSABLE.
   * @throws {@link WindowsError} only for a handle that is not a ULONG, or an exited process.
   */
  ntClose(handle: number): number {
    return ntClose(this, handle);
  }

  /**
   * DuplicateHandle: a new handle in `target` to the object `handle` refers to in `sourceProcess` (this process when
   * omitted). DUPLICATE_SAME_ACCESS copies the access (else `desiredAccess`, GENERIC_* mapped by the object's type);
   * DUPLICATE_CLOSE_SOURCE closes the source first, unless it is protected from close (the duplicate then usually gets
   * the same value back, as kernel32's test_DuplicateHandle shows); with it, `target` may be null (close only). A
   * pseudo-handle duplicates into a real handle to the process (GetCurrentProcess()) or thread (GetCurrentThread())
   * it stands for in the source process, and is never closed.
   * @param target - the target process: a {@link Process}, a process handle of this process's table (needing
   *   PROCESS_DUP_HANDLE), or null (0) to close only.
   * @param sourceProcess - the process whose table holds `handle`: a {@link Process} or a process handle of this
   *   process's table (PROCESS_DUP_HANDLE); CURRENT_PROCESS_HANDLE by default.
   * @returns the new handle (0 when `target` is null).
   * @throws {@link WindowsError} ERROR_INVALID_HANDLE for a handle that is not open, a process handle that is not
   *   open or names no process, or a {@link Process} that is not live; ERROR_ACCESS_DENIED for a process handle
   *   without PROCESS_DUP_HANDLE or to an exited process (STATUS_PROCESS_IS_TERMINATING); ERROR_INVALID_PARAMETER
   *   for unknown options or a null target without DUPLICATE_CLOSE_SOURCE. A failing target process is reported
   *   after DUPLICATE_CLOSE_SOURCE closed the source, "regardless of any error status".
   *
   * @example
   * ```ts
   * const broker = kernel.createProcess();
   * const worker = kernel.createProcess();
   * const { handle } = worker.createFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, 0x1000);
   * const hWorker = broker.openProcess(PROCESS_DUP_HANDLE, false, worker.pid);
   * const mine = broker.duplicateHandle(handle, CURRENT_PROCESS_HANDLE, 0, false, DUPLICATE_SAME_ACCESS, hWorker); // the worker's section, in the broker
   * const self = broker.duplicateHandle(CURRENT_PROCESS_HANDLE, CURRENT_PROCESS_HANDLE, 0, false, DUPLICATE_SAME_ACCESS);
   * broker.getProcessId(self);          // broker.pid: a real handle to the broker itself
   * ```
   */
  duplicateHandle(handle: number, target: Process | number | null, desiredAccess: number, inherit: boolean, options: number, sourceProcess: Process | number = CURRENT_PROCESS_HANDLE): number {
    return duplicateHandle(this, handle, target, desiredAccess, inherit, options, sourceProcess);
  }

  /**
   * GetHandleInformation: the handle's HANDLE_FLAG_INHERIT and HANDLE_FLAG_PROTECT_FROM_CLOSE bits.
   * @throws {@link WindowsError} ERROR_INVALID_HANDLE for a value that is not an open handle.
   */
  getHandleInformation(handle: number): number {
    return getHandleInformation(this, handle);
  }

  /**
   * SetHandleInformation: sets the HANDLE_FLAG_* bits selected by `mask` to those in `flags`.
   * @throws {@link WindowsError} ERROR_INVALID_HANDLE for a value that is not an open handle.
   */
  setHandleInformation(handle: number, mask: number, flags: number): void {
    setHandleInformation(this, handle, mask, flags);
  }

  /**
   * NtCreateSection: {@link Process.createFileMapping} in the NT flavour: the handle gets `desiredAccess` as asked,
   * and a name that exists is STATUS_OBJECT_NAME_COLLISION unless `objectAttributes` has OBJ_OPENIF (then the
   * existing section is opened: STATUS_OBJECT_NAME_EXISTS, a success code). Failures are statuses
   * ([handles and named sections](../../../docs/kernel.md#handles-and-named-sections)).
   * @returns `{ status, handle }` (handle 0 on failure).
   * @throws {@link WindowsError} only for arguments of the wrong type, or an exited process.
   *
   * @example
   * ```ts
   * const made = p.ntCreateSection({ desiredAccess: SECTION_ALL_ACCESS, protect: PAGE_READWRITE, maximumSize: 0x1000, name: 'x' });
   * made.status;                                                                                    // STATUS_SUCCESS
   * p.ntCreateSection({ desiredAccess: SECTION_MAP_READ, protect: PAGE_READWRITE, maximumSize: 0x1000, name: 'x' }).status; // STATUS_OBJECT_NAME_COLLISION
   * p.ntCreateSection({ desiredAccess: SECTION_MAP_READ, protect: PAGE_READWRITE, maximumSize: 0x1000, name: 'x', objectAttributes: OBJ_OPENIF }).status; // STATUS_OBJECT_NAME_EXISTS
   * ```
   */
  ntCreateSection(options: NtCreateSectionOptions): NtHandleResult {
    return ntCreateSection(this, options);
  }

  /**
   * NtOpenSection: {@link Process.openFileMapping} in the NT flavour: STATUS_OBJECT_NAME_NOT_FOUND when no section
   * has the name; `objectAttributes` may hold OBJ_INHERIT.
   * @returns `{ status, handle }` (handle 0 on failure).
   * @throws {@link WindowsError} only for arguments of the wrong type, or an exited process.
   */
  ntOpenSection(desiredAccess: number, name: string, objectAttributes = 0): NtHandleResult {
    return ntOpenSection(this, desiredAccess, name, objectAttributes);
  }

  /**
   * NtDuplicateObject: {@link Process.duplicateHandle} in the NT flavour: OBJ_INHERIT in `objectAttributes`, and
   * DUPLICATE_SAME_ATTRIBUTES among the options (the source's inherit and protect-from-close bits). Every failure,
   * a process handle's included, is the status.
   * @returns `{ status, handle }` (handle 0 on failure or with no target).
   * @throws {@link WindowsError} only for arguments of the wrong type, or an exited calling process.
   */
  ntDuplicateObject(handle: number, target: Process | number | null, desiredAccess: number, objectAttributes: number, options: number, sourceProcess: Process | number = CURRENT_PROCESS_HANDLE): NtHandleResult {
    return ntDuplicateObject(this, handle, target, desiredAccess, objectAttributes, options, sourceProcess);
  }

  /**
   * NtQuerySection(SectionBasicInformation) through a handle: {@link Kernel.querySection}, after checking
   * that the handle grants SECTION_QUERY (B65: a handle opened with FILE_MAP_READ alone cannot query).
   * @throws {@link WindowsError} ERROR_INVALID_HANDLE for a handle that is not an open section;
   *   STATUS_ACCESS_DENIED / ERROR_ACCESS_DENIED without SECTION_QUERY.
   */
  querySection(handle: number): SectionBasicInformation {
    this.kernel.requireLive(this);
    return this.kernel.querySection(sectionOfHandle(this, handle, SECTION_QUERY));
  }

  // ------------------------------------------------------------------ process and thread handles

  /**
   * OpenProcess: a handle to the process `processId` names, with `desiredAccess` (PROCESS_* rights, or GENERIC_*
   * through the Process type's generic mapping; PROCESS_QUERY_INFORMATION grants PROCESS_QUERY_LIMITED_INFORMATION
   * too). Every access asked for is granted: mmukit has no security descriptors. A process that exited still
   * opens while another handle refers to it; the calls on it then fail with STATUS_PROCESS_IS_TERMINATING.
   * @throws {@link WindowsError} STATUS_INVALID_CID / ERROR_INVALID_PARAMETER for an id no process has (0, a
   *   thread's id, the id of a process that exited with no handle left).
   *
   * @example
   * ```ts
   * const debugger_ = kernel.createProcess();
   * const target = kernel.createProcess();
   * const h = debugger_.openProcess(PROCESS_VM_OPERATION | PROCESS_VM_READ, false, target.pid);
   * const base = debugger_.virtualAllocEx(h, 0, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE); // in target
   * debugger_.readProcessMemory(h, base, 4);  // Uint8Array [0, 0, 0, 0]
   * debugger_.virtualQueryEx(h, base);        // throws ERROR_ACCESS_DENIED: no PROCESS_QUERY_LIMITED_INFORMATION
   * ```
   */
  openProcess(desiredAccess: number, inherit: boolean, processId: number): number {
    return openProcess(this, desiredAccess, inherit, processId);
  }

  /**
   * NtOpenProcess with a ClientId: {@link Process.openProcess} returning `{ status, handle }` (STATUS_INVALID_CID and
   * handle 0 for an unknown id); OBJ_INHERIT in `objectAttributes` makes the handle inheritable.
   * @throws {@link WindowsError} only for arguments of the wrong type, or an exited calling process.
   */
  ntOpenProcess(desiredAccess: number, processId: number, objectAttributes = 0): NtHandleResult {
    return ntOpenProcess(this, desiredAccess, processId, objectAttributes);
  }

  /**
   * OpenThread: a handle to the thread `threadId` names, with `desiredAccess` (THREAD_* or GENERIC_*).
   * @throws {@link WindowsError} STATUS_INVALID_CID / ERROR_INVALID_PARAMETER for an id no thread has.
   */
  openThread(desiredAccess: number, inherit: boolean, threadId: number): number {
    return openThread(this, desiredAccess, inherit, threadId);
  }

  /**
   * NtOpenThread with a ClientId: {@link Process.openThread} returning `{ status, handle }`.
   * @throws {@link WindowsError} only for arguments of the wrong type, or an exited calling process.
   */
  ntOpenThread(desiredAccess: number, threadId: number, objectAttributes = 0): NtHandleResult {
    return ntOpenThread(this, desiredAccess, threadId, objectAttributes);
  }

  /**
   * GetProcessId: the id of the process a handle names (CURRENT_PROCESS_HANDLE: this one). Needs
   * PROCESS_QUERY_LIMITED_INFORMATION; an exited process still answers.
   * @throws {@link WindowsError} ERROR_INVALID_HANDLE (not open, or not a process); ERROR_ACCESS_DENIED.
   */
  getProcessId(processHandle: number): number {
    return getProcessId(this, processHandle);
  }

  /**
   * GetThreadId: the id of the thread a handle names (CURRENT_THREAD_HANDLE: {@link Process.currentThread}). Needs
   * THREAD_QUERY_LIMITED_INFORMATION.
   * @throws {@link WindowsError} ERROR_INVALID_HANDLE (not open, or not a thread); ERROR_ACCESS_DENIED.
   */
  getThreadId(threadHandle: number): number {
    return getThreadId(this, threadHandle);
  }

  /**
   * GetProcessIdOfThread: the id of the process of the thread a handle names. Needs THREAD_QUERY_LIMITED_INFORMATION.
   * @throws {@link WindowsError} ERROR_INVALID_HANDLE (not open, or not a thread); ERROR_ACCESS_DENIED.
   */
  getProcessIdOfThread(threadHandle: number): number {
    return getProcessIdOfThread(this, threadHandle);
  }

  /**
   * CreateRemoteThread (CreateThread is this call with CURRENT_PROCESS_HANDLE): a thread of the process
   * `processHandle` names, its stack laid out as {@link Process.createThread} lays it, and a handle to the thread
   * in this process with THREAD_ALL_ACCESS, which the caller closes ({@link Process.closeHandle}; the thread lives on).
   * The handle needs PROCESS_CREATE_THREAD, PROCESS_QUERY_INFORMATION, PROCESS_VM_OPERATION, PROCESS_VM_WRITE and
   * PROCESS_VM_READ, the rights Microsoft's CreateRemoteThread page asks for.
   * @returns `{ thread, handle }`.
   * @throws {@link WindowsError}, and nothing changes: as {@link Process.createThread}, and ERROR_INVALID_HANDLE /
   *   ERROR_ACCESS_DENIED for the process handle.
   *
   * @example
   * ```ts
   * const { thread, handle } = p.createRemoteThread(CURRENT_PROCESS_HANDLE); // CreateThread
   * p.getThreadId(handle) === thread.id;    // true
   * p.closeHandle(handle);                  // the thread runs on
   * ```
   */
  createRemoteThread(processHandle: number, options: CreateThreadOptions = {}, inherit = false): CreateRemoteThreadResult {
    return createRemoteThread(this, processHandle, options, inherit);
  }

  /**
   * VirtualAllocEx: {@link Process.virtualAlloc} in the process `processHandle` names (B22), which needs
   * PROCESS_VM_OPERATION. The handle is looked at after the arguments, where {@link Process.virtualAlloc} checks
   * its process.
   * @throws {@link WindowsError} as {@link Process.virtualAlloc}; ERROR_INVALID_HANDLE for a handle that is not open
   *   (NULL included, B22) or names no process (STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH);
   *   ERROR_ACCESS_DENIED without the right (STATUS_ACCESS_DENIED) or for a process that exited
   *   (STATUS_PROCESS_IS_TERMINATING).
   */
  virtualAllocEx(processHandle: number, address: number, size: number, allocationType: number, protect: number): number {
    return virtualAlloc(processReference(this, processHandle, PROCESS_VM_OPERATION), address, size, allocationType, protect);
  }

  /**
   * VirtualFreeEx: {@link Process.virtualFree} in the process `processHandle` names (B22); PROCESS_VM_OPERATION.
   * @throws {@link WindowsError} as {@link Process.virtualFree}, and for the handle as {@link Process.virtualAllocEx}.
   */
  virtualFreeEx(processHandle: number, address: number, size: number, freeType: number): void {
    virtualFree(processReference(this, processHandle, PROCESS_VM_OPERATION), address, size, freeType);
  }

  /**
   * VirtualProtectEx: {@link Process.virtualProtect} in the process `processHandle` names (B22); PROCESS_VM_OPERATION.
   * @returns the old protection of the first page.
   * @throws {@link WindowsError} as {@link Process.virtualProtect}, and for the handle as {@link Process.virtualAllocEx}.
   */
  virtualProtectEx(processHandle: number, address: number, size: number, newProtect: number): number {
    return virtualProtect(processReference(this, processHandle, PROCESS_VM_OPERATION), address, size, newProtect);
  }

  /**
   * VirtualQueryEx: {@link Process.virtualQuery} in the process `processHandle` names (B22). Needs
   * PROCESS_QUERY_LIMITED_INFORMATION (or PROCESS_QUERY_INFORMATION, which grants it): Windows 8 and later accept
   * the limited right (kernel32's test_OpenProcess); a handle with PROCESS_VM_OPERATION alone is refused.
   * @throws {@link WindowsError} as {@link Process.virtualQuery}, and for the handle as {@link Process.virtualAllocEx}.
   */
  virtualQueryEx(processHandle: number, address: number): MemoryBasicInformation {
    return virtualQuery(processReference(this, processHandle, PROCESS_QUERY_LIMITED_INFORMATION), address);
  }

  /**
   * ReadProcessMemory: {@link Process.readMemory} of the process `processHandle` names, which needs
   * PROCESS_VM_READ (kernel32's test_OpenProcess: a handle with every other right cannot read). 0 bytes succeed
   * without looking at the handle, as NtReadVirtualMemory does.
   * @throws {@link WindowsError} as {@link Process.readMemory}, and for the handle as {@link Process.virtualAllocEx}.
   */
  readProcessMemory(processHandle: number, address: number, length: number): Uint8Array {
    const target = processReference(this, processHandle, PROCESS_VM_READ);
    address = this.kernel.requireAddress(address, 'address');
    length = this.kernel.requireAddress(length, 'length');
    if (length === 0) return new Uint8Array(0);
    return readProcessMemory(this.kernel.requireLive(target), address, length);
  }

  /**
   * WriteProcessMemory: {@link Process.writeMemory} into the process `processHandle` names, which needs
   * PROCESS_VM_WRITE and PROCESS_VM_OPERATION (kernel32 changes the pages' protection before it writes).
   * 0 bytes succeed without looking at the handle.
   * @throws {@link WindowsError} as {@link Process.writeMemory}, and for the handle as {@link Process.virtualAllocEx}.
   * @throws {@link OutOfFramesError} when a page cannot get its own frame (nothing changes).
   */
  writeProcessMemory(processHandle: number, address: number, data: Uint8Array): void {
    const target = processReference(this, processHandle, PROCESS_VM_WRITE | PROCESS_VM_OPERATION);
    address = this.kernel.requireAddress(address, 'address');
    if (!(data instanceof Uint8Array)) throw new WindowsError(STATUS_ACCESS_VIOLATION, 'data must be a Uint8Array', ERROR_NOACCESS);
    if (data.length === 0) return;
    writeProcessMemory(this.kernel.requireLive(target), address, data);
  }

  /**
   * Ends the process: unmaps every view, releases every allocation and the
   * page tables, returns every frame and all commit it held, takes it off its
   * CPUs and flushes its ASID there. Idempotent; later calls on the process
   * throw STATUS_INVALID_HANDLE.
   */
  exit(): void {
    if (this.exited) return;
    for (const allocation of [...this.regions]) {
      if (allocation.view !== null) removeView(this, allocation);
      else releaseAllocation(this, allocation);
    }
    const threads = this.threads();
    closeAllHandles(this);
    forgetModules(this);
    this.space.destroy();
    this.kernel.forget(this);
    this.exited = true;
    for (const thread of threads) releaseClientIdIfUnused(thread);
    releaseClientIdIfUnused(this);
  }
}

// ------------------------------------------------------------------ changes, for snapshots

/**
 * Process calls that change nothing a snapshot holds (what they return is a copy). Not the loader's queries
 * (modules, getModuleHandle): they first release what exited processes held.
 */
const QUERIES: ReadonlySet<string> = new Set([
  'virtualQuery', 'virtualQueryEx', 'ntQueryVirtualMemory', 'ntAreMappedFilesTheSame', 'threads',
  'getHandleInformation', 'querySection', 'getProcessId', 'getThreadId', 'getProcessIdOfThread',
]);
/**
 * Calls that change one address range of the process itself, (address, size) or (address, bytes) in their first two
 * arguments: what gives the size, and whether the call may add or remove allocations (the process's region tree).
 */
const RANGED: ReadonlyMap<string, { size: 'size' | 'length' | 'bytes'; regions: boolean }> = new Map([
  ['virtualAlloc', { size: 'size', regions: true }],
  ['virtualFree', { size: 'size', regions: true }],
  ['virtualProtect', { size: 'size', regions: false }],
  ['getWriteWatch', { size: 'size', regions: false }],
  ['resetWriteWatch', { size: 'size', regions: false }],
  ['readMemory', { size: 'length', regions: false }],
  ['writeMemory', { size: 'bytes', regions: false }],
]);
/** Calls only the kernel makes, which mark what they change themselves (a context switch, a fork's handle copy). */
const MARKED_BY_CALLER: ReadonlySet<string> = new Set(['setCurrentThread', 'adoptHandles', 'targetOf', 'sectionArgument']);

/**
 * Marks what a call on `process` may change, while a snapshot is open (records/change-log.ts): the allocations and
 * sections of the range a memory call names, or everything.
 */
function markCall(process: Process, name: string, args: readonly unknown[]): void {
  const changes = process.kernel.changes!;
  const range = RANGED.get(name);
  if (range === undefined) return changes.touchAll();
  const address = args[0];
  const second = args[1];
  const size = range.size === 'bytes' ? (second instanceof Uint8Array ? second.length : NaN) : second;
  if (typeof address !== 'number' || typeof size !== 'number' || !Number.isFinite(address) || !Number.isFinite(size)) return changes.touchAll();
  changes.touch(process.space);
  if (range.regions) {
    changes.touch(process);
    changes.touch(process.regions);
  }
  // MEM_RELEASE takes size 0 for the whole allocation: a range of at least a byte finds it.
  for (const allocation of process.regions.overlapping(address, address + Math.max(size, 1))) {
    changes.touch(allocation);
    if (allocation.view !== null) changes.touchSection(allocation.view.section);
  }
}

// Every method of Process marks what it may change before it runs, when a snapshot is open: a method added later
// marks everything until it is listed above, so that a restore never misses what it changed.
for (const name of Object.getOwnPropertyNames(Process.prototype)) {
  const descriptor = Object.getOwnPropertyDescriptor(Process.prototype, name)!;
  if (name === 'constructor' || typeof descriptor.value !== 'function' || QUERIES.has(name) || MARKED_BY_CALLER.has(name)) continue;
  const method = descriptor.value as (this: Process, ...args: unknown[]) => unknown;
  const marked = function (this: Process, ...args: unknown[]): unknown {
    if (this.kernel.changes !== null) markCall(this, name, args);
    return method.apply(this, args);
  };
  Object.defineProperty(marked, 'name', { value: name }); // stack traces name the call, not the wrapper
  Object.defineProperty(Process.prototype, name, { ...descriptor, value: marked });
}
