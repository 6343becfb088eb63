import { FRAME_SIZE } from '../mmu/physical-memory.js';
import { AddressSpace } from './address-space.js';
import type { Allocation } from './allocation.js';
import { ERROR_NOACCESS, ERROR_PARTIAL_COPY, PAGE_GUARD, STATUS_ACCESS_VIOLATION, STATUS_GUARD_PAGE_VIOLATION, STATUS_PARTIAL_COPY } from './constants.js';
import { WindowsError } from './errors.js';
import { forkProcess } from './fork.js';
import { loadImage, type LoadImageOptions, type LoadedImage } from './image/loader.js';
import type { Kernel } from './kernel.js';
import { ensureOwnWritableFrame, privatelyRelocatedPage } from './page-faults.js';
import { ProtAccess, protectionAccess } from './protection.js';
import { RegionTree } from './region-tree.js';
import { NO_FRAME } from './section.js';
import { mapViewOfSection, removeView, unmapViewOfSection, type ViewOptions } from './sections.js';
import type { Section } from './section.js';
import {
  releaseAllocation,
  virtualAlloc,
  virtualFree,
  virtualProtect,
  virtualQuery,
  type MemoryBasicInformation,
} from './virtual-memory.js';

/**
 * A process: a private address space (its own page tables and ASID) and the
 * records of what is allocated in it. Memory operations use the Windows names,
 * arguments and numeric constants, so an emulator can pass a guest's
 * arguments straight through; failures throw {@link WindowsError} with the
 * Win32 error and the NTSTATUS, and change nothing.
 *
 * Code runs in a process when a CPU runs it ({@link Kernel.run}); the CPU's MMU
 * then translates through these tables.
 */
export class Process {
  /** The kernel the process belongs to. */
  readonly kernel: Kernel;
  /** Process id. */
  readonly pid: number;
  /** Address-space identifier its TLB entries are tagged with. */
  readonly asid: number;
  /** Its page tables. */
  readonly space: AddressSpace;
  /** Its allocations (VADs), ordered by address. */
  readonly regions = new RegionTree<Allocation>();
  /** CPUs that have run it since its entries were last flushed (where a shootdown must go). */
  readonly cpuMask = new Set<number>();
  /** True after {@link Process.exit}. */
  exited = false;

  /** @internal Created by {@link Kernel.createProcess}. */
  constructor(kernel: Kernel, pid: number, asid: number) {
    this.kernel = kernel;
    this.pid = pid;
    this.asid = asid;
    this.space = new AddressSpace(kernel.memory, kernel.format, kernel.frames);
  }

  /**
   * VirtualAlloc: reserves and/or commits memory (B1–B22).
   *
   * @param address - 0 to let the kernel choose, or the address to use (rounded per B18).
   * @param size - bytes (rounded up to whole pages).
   * @param allocationType - MEM_RESERVE, MEM_COMMIT, MEM_RESET, with MEM_TOP_DOWN.
   * @param protect - PAGE_* with optional PAGE_GUARD / PAGE_NOCACHE / PAGE_WRITECOMBINE.
   * @returns the base address.
   * @throws {@link WindowsError} on failure (nothing changes).
   *
   * @example
   * ```ts
   * const p = proc.virtualAlloc(0, 0x3000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
   * ```
   */
  virtualAlloc(address: number, size: number, allocationType: number, protect: number): number {
    return virtualAlloc(this, address, size, allocationType, protect);
  }

  /**
   * VirtualFree: MEM_DECOMMIT or MEM_RELEASE (B39–B48).
   * @throws {@link WindowsError} on failure (nothing changes).
   */
  virtualFree(address: number, size: number, freeType: number): void {
    virtualFree(this, address, size, freeType);
  }

  /**
   * VirtualProtect: changes the protection of committed pages, all or none (B32–B38).
   * @returns the old protection of the first page.
   * @throws {@link WindowsError} on failure (nothing changes).
   */
  virtualProtect(address: number, size: number, newProtect: number): number {
    return virtualProtect(this, address, size, newProtect);
  }

  /**
   * VirtualQuery: the region of pages alike starting at `address`'s page (B23–B29).
   * @throws {@link WindowsError} above the highest user address (B28).
   */
  virtualQuery(address: number): MemoryBasicInformation {
    return virtualQuery(this, address);
  }

  /**
   * MapViewOfFile / NtMapViewOfSection: maps a view of `section`.
   * @returns the view's base address.
   * @throws {@link WindowsError} on failure (nothing changes).
   */
  mapViewOfSection(section: Section, options: ViewOptions): number {
    return mapViewOfSection(this, section, options);
  }

  /**
   * UnmapViewOfFile: unmaps the view containing `address` (B47).
   * @throws {@link WindowsError} ERROR_INVALID_ADDRESS when `address` is not in a view.
   */
  unmapViewOfSection(address: number): void {
    unmapViewOfSection(this, address);
  }

  /**
   * LoadLibrary's mapping step (windows-semantics.md §3.9): maps a PE image at
   * its preferred base when that range is free, sharing its pages with every
   * process that mapped it there; otherwise elsewhere, relocated per the
   * policy (each fixup page a private copy, or shared relocated pages under
   * ASLR). A DLL without relocations whose base is taken fails with
   * STATUS_CONFLICTING_ADDRESSES and nothing mapped.
   *
   * @param image - the PE file's bytes, or an image section from {@link Kernel.createImageSection}.
   * @throws {@link ImageFormatError} for a malformed image; {@link WindowsError} otherwise (nothing mapped).
   *
   * @example
   * ```ts
   * const dll = proc.loadImage(bytes);
   * dll.base; // the HMODULE; dll.status is STATUS_IMAGE_NOT_AT_BASE when relocated
   * ```
   */
  loadImage(image: Uint8Array | Section, options: LoadImageOptions = {}): LoadedImage {
    this.kernel.requireLive(this);
    const section = image instanceof Uint8Array ? this.kernel.createImageSection(image) : image;
    return loadImage(this, section, options, (s) => this.kernel.aslrBaseFor(s));
  }

  /**
   * POSIX-style fork: a new process with a copy of this address space. Private
   * pages (and copied view pages) become copy-on-write in both; shared views
   * stay shared. Neither process ever sees the other's later writes.
   * @throws {@link OutOfFramesError} or {@link WindowsError} (commit limit); nothing changes then.
   */
  fork(): Process {
    return forkProcess(this);
  }

  /**
   * ReadProcessMemory (B100, B102): copies bytes out of the address space
   * without touching any TLB or materializing pages.
   * @throws {@link WindowsError} ERROR_PARTIAL_COPY when any page is not readable (nothing is returned);
   * STATUS_GUARD_PAGE_VIOLATION when the range touches a guard page (the guard is cleared, B52).
   */
  readMemory(address: number, length: number): Uint8Array {
    this.kernel.requireLive(this);
    address = this.kernel.requireAddress(address, 'address');
    length = this.kernel.requireAddress(length, 'length');
    const pages = this.pagesOf(address, length, (allocation, i) => protectionAccess(allocation.protect[i]) !== 0);
    const out = new Uint8Array(length);
    const memory = this.kernel.memory;
    for (let done = 0; done < length; ) {
      const va = address + done;
      const [allocation, i] = pages[Math.floor(va / FRAME_SIZE) - Math.floor(address / FRAME_SIZE)];
      const inPage = va % FRAME_SIZE;
      const n = Math.min(FRAME_SIZE - inPage, length - done);
      const frame = allocation.frame[i];
      if (frame !== NO_FRAME) out.set(memory.readBytes(frame * FRAME_SIZE + inPage, n), done);
      else if (allocation.view !== null && allocation.copied[i] === 1) {
        out.set(privatelyRelocatedPage(allocation, i).subarray(inPage, inPage + n), done); // relocated, not yet touched
      } else if (allocation.view !== null) {
        const view = allocation.view;
        const sectionPage = view.firstPage + i;
        const resident = view.section.residentFrameForView(sectionPage, allocation.base);
        const bytes =
          resident !== NO_FRAME
            ? memory.readBytes(resident * FRAME_SIZE, FRAME_SIZE)
            : view.section.untouchedPage(sectionPage, allocation.base, memory);
        out.set(bytes.subarray(inPage, inPage + n), done);
      }
      done += n;
    }
    return out;
  }

  /**
   * WriteProcessMemory (B101): copies bytes into the address space, as the
   * kernel does for a debugger or a loader. Writable and copy-on-write pages
   * take the write (copy-on-write pages get their private copy); so do
   * executable pages (WriteProcessMemory makes code writable, B101). Read-only
   * and inaccessible pages fail with ERROR_NOACCESS and nothing is written.
   * @throws {@link WindowsError} ERROR_NOACCESS; STATUS_GUARD_PAGE_VIOLATION on a guard page (cleared, B52).
   */
  writeMemory(address: number, data: Uint8Array): void {
    this.kernel.requireLive(this);
    address = this.kernel.requireAddress(address, 'address');
    if (!(data instanceof Uint8Array)) throw new WindowsError(STATUS_ACCESS_VIOLATION, 'data must be a Uint8Array', ERROR_NOACCESS);
    const writable = ProtAccess.Write | ProtAccess.WriteCopy | ProtAccess.Execute;
    const pages = this.pagesOf(address, data.length, (allocation, i) => (protectionAccess(allocation.protect[i]) & writable) !== 0, ERROR_NOACCESS);
    for (const [allocation, i] of pages) ensureOwnWritableFrame(this, allocation, i);
    const memory = this.kernel.memory;
    for (let done = 0; done < data.length; ) {
      const va = address + done;
      const [allocation, i] = pages[Math.floor(va / FRAME_SIZE) - Math.floor(address / FRAME_SIZE)];
      const inPage = va % FRAME_SIZE;
      const n = Math.min(FRAME_SIZE - inPage, data.length - done);
      memory.writeBytes(allocation.frame[i] * FRAME_SIZE + inPage, data.subarray(done, done + n));
      done += n;
    }
  }

  /**
   * Ends the process: unmaps every view, releases every allocation and the
   * page tables, and returns every frame it held. Idempotent.
   */
  exit(): void {
    if (this.exited) return;
    for (const allocation of [...this.regions]) {
      if (allocation.view !== null) removeView(this, allocation);
      else releaseAllocation(this, allocation);
    }
    this.space.destroy();
    this.kernel.forget(this);
    this.exited = true;
  }

  /** Every page of [address, address + length), checked by `ok`; all or an error. */
  private pagesOf(
    address: number,
    length: number,
    ok: (allocation: Allocation, i: number) => boolean,
    win32Error: number = ERROR_PARTIAL_COPY,
  ): Array<[Allocation, number]> {
    const pages: Array<[Allocation, number]> = [];
    if (length === 0) return pages;
    const firstPage = Math.floor(address / FRAME_SIZE);
    const lastPage = Math.floor((address + length - 1) / FRAME_SIZE);
    for (let page = firstPage; page <= lastPage; page++) {
      const va = page * FRAME_SIZE;
      const allocation = this.regions.find(va);
      const status = win32Error === ERROR_PARTIAL_COPY ? STATUS_PARTIAL_COPY : STATUS_ACCESS_VIOLATION;
      if (allocation === undefined) throw new WindowsError(status, `0x${va.toString(16)} is not allocated`, win32Error);
      const i = allocation.pageIndex(va);
      if (!allocation.isCommitted(i)) throw new WindowsError(status, `0x${va.toString(16)} is not committed`, win32Error);
      if ((allocation.protect[i] & PAGE_GUARD) !== 0) {
        // B52: a service touching a guard page fails and clears the guard.
        allocation.protect[i] &= ~PAGE_GUARD;
        throw new WindowsError(STATUS_GUARD_PAGE_VIOLATION, `0x${va.toString(16)} is a guard page`, STATUS_GUARD_PAGE_VIOLATION);
      }
      if (!ok(allocation, i)) throw new WindowsError(status, `0x${va.toString(16)} does not allow the access`, win32Error);
      pages.push([allocation, i]);
    }
    return pages;
  }
}
