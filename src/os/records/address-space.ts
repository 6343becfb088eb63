import type { FrameAllocator } from '../../mmu/frame-allocator.js';
import type { PageTableFormat } from '../../mmu/formats/format.js';
import type { MappingAttributes } from '../../mmu/page-table-builder.js';
import { MapFlags, PageTableBuilder } from '../../mmu/page-table-builder.js';
import { FRAME_SIZE, type PhysicalMemory } from '../../mmu/physical-memory.js';
import { InvalidArgumentError } from '../../mmu/errors.js';
import { requireInteger } from '../../mmu/validate.js';
import { Allocation } from './allocation.js';
import { PAGE_GUARD } from '../rules/constants.js';
import { ProtAccess, protectionAccess } from '../rules/protection.js';
import { NO_FRAME } from './section.js';

/**
 * A process's hardware page tables, in the kernel's configured format, kept in
 * step with its allocation records: the records say what a page may do; the
 * page-table entry says what the hardware lets through without asking the
 * kernel. Pages that are not committed, never touched, NOACCESS or guarded
 * have no entry, so touching them faults into the kernel; pages whose frame is
 * shared for copy-on-write, and write-watched pages not written since the
 * watch was last reset (B103), are mapped read-only.
 */
export class AddressSpace {
  /** The tables themselves. */
  readonly tables: PageTableBuilder;
  private readonly frames: FrameAllocator;

  /**
   * Allocates the root table.
   * @param memory - the kernel's physical memory.
   * @param format - the kernel's page-table format.
   * @param frames - where table frames come from.
   * @throws {@link OutOfFramesError} when no frame is free.
   */
  constructor(memory: PhysicalMemory, format: PageTableFormat, frames: FrameAllocator) {
    this.tables = new PageTableBuilder(memory, format, frames);
    this.frames = frames;
  }

  /** Physical address of the root table (CR3 / satp). */
  get root(): number {
    return this.tables.root;
  }

  /**
   * What the entry for page `i` of `allocation` should say, or null for no
   * entry. Writable only when the process may write and the frame is its own
   * alone (or a section frame mapped for shared writes), and the page is not write-watched
   * and unwritten since the last reset (B103).
   * @param allocation - the allocation holding the page.
   * @param i - page index in the allocation.
   * @param zeroFrame - the kernel's zero frame ({@link Kernel.zeroFrame}): never mapped writable.
   * @throws {@link InvalidArgumentError} when `allocation` is not an Allocation, `i` not one of its pages,
   *   or `zeroFrame` not a frame number.
   */
  attributes(allocation: Allocation, i: number, zeroFrame: number): MappingAttributes | null {
    if (!this.checkPage(allocation, i, zeroFrame)) return null;
    const flags = this.entryFlags(allocation, i, zeroFrame);
    if (flags < 0) return null;
    return { readable: true, writable: (flags & MapFlags.Writable) !== 0, executable: (flags & MapFlags.Executable) !== 0, user: true };
  }

  /**
   * Rewrites the entry of page `i` from the records.
   * @returns true when an entry was present before (a TLB may cache it: the caller shoots it down).
   * @throws {@link OutOfFramesError} when a page table cannot be allocated (the entry is unchanged).
   * @throws {@link InvalidArgumentError} as {@link AddressSpace.attributes}.
   */
  sync(allocation: Allocation, i: number, zeroFrame: number): boolean {
    this.checkPage(allocation, i, zeroFrame);
    return this.syncPage(allocation, i, zeroFrame);
  }

  /**
   * {@link AddressSpace.sync} for the kernel, whose arguments are right by construction: an
   * allocation of this process, one of its page indices, the kernel's zero frame.
   * @internal
   */
  syncPage(allocation: Allocation, i: number, zeroFrame: number): boolean {
    const va = allocation.base + i * FRAME_SIZE;
    const flags = this.entryFlags(allocation, i, zeroFrame);
    if (flags < 0) return this.tables.unmapPage(va);
    return this.tables.mapPageUnchecked(va, allocation.frame[i] * FRAME_SIZE, flags);
  }

  /**
   * Rewrites the entry of page `i` from the records only when an entry is present, so that it
   * never needs a page-table frame (an absent entry is filled by the next fault). Used to take
   * rights away, for example write access when a write watch is reset.
   * @returns true when an entry was present (the caller shoots it down).
   * @internal
   */
  resyncPresentPage(allocation: Allocation, i: number, zeroFrame: number): boolean {
    if (this.tables.lookup(allocation.base + i * FRAME_SIZE) === null) return false;
    return this.syncPage(allocation, i, zeroFrame);
  }

  /**
   * Checks the arguments of {@link AddressSpace.attributes} and {@link AddressSpace.sync}.
   * @returns whether page `i` is committed (`zeroFrame` is checked only then).
   */
  private checkPage(allocation: Allocation, i: number, zeroFrame: number): boolean {
    if (!(allocation instanceof Allocation)) throw new InvalidArgumentError('allocation must be an Allocation');
    if (!allocation.isCommitted(i)) return false; // (checks i)
    requireInteger(zeroFrame, 'zeroFrame');
    return true;
  }

  /** The entry page `i` should have, as {@link MapFlags} bits, or -1 for none (see {@link AddressSpace.attributes}). */
  private entryFlags(allocation: Allocation, i: number, zeroFrame: number): number {
    if (!allocation.committedAt(i)) return -1;
    const frame = allocation.frame[i];
    if (frame === NO_FRAME) return -1;
    const protect = allocation.protect[i];
    if ((protect & PAGE_GUARD) !== 0) return -1;
    const access = protectionAccess(protect);
    if (access === 0) return -1;
    let writable: boolean;
    if (allocation.watchArmedAt(i)) {
      writable = false; // write watch (B103): the first write since the last reset must fault to be recorded
    } else if (allocation.ownsFrameAt(i)) {
      writable = (access & (ProtAccess.Write | ProtAccess.WriteCopy)) !== 0 && frame !== zeroFrame && this.frames.refCount(frame) === 1;
    } else {
      writable = (access & ProtAccess.Write) !== 0;
    }
    return MapFlags.Readable | MapFlags.User | (writable ? MapFlags.Writable : 0) | ((access & ProtAccess.Execute) !== 0 ? MapFlags.Executable : 0);
  }

  /**
   * Removes the entry for `va` (the caller shoots it down).
   * @param va - 4 KiB-aligned virtual address.
   * @returns whether one was present.
   */
  clear(va: number): boolean {
    return this.tables.unmapPage(va);
  }

  /** Frees every page-table frame (process exit). */
  destroy(): void {
    for (const table of this.tables.tables()) this.frames.release(table / FRAME_SIZE);
  }
}
