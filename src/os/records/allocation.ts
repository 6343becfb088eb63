import { InvalidArgumentError } from '../../mmu/errors.js';
import { FRAME_SIZE } from '../../mmu/physical-memory.js';
import { MEM_PRIVATE } from '../rules/constants.js';
import { NO_FRAME, type Section } from './section.js';

/**
 * The most pages one allocation or section may span: 2^22 pages, 16 GiB. The kernel keeps dense
 * per-page records (about 12 bytes a page), so a larger reservation or section is refused with
 * STATUS_NO_MEMORY (ERROR_NOT_ENOUGH_MEMORY), as Windows refuses one it has no room for.
 * @internal
 */
export const MAX_ALLOCATION_PAGES = 2 ** 22;

/** How a view maps its section. */
export interface ViewInfo {
  /** The section mapped. */
  readonly section: Section;
  /** First section page the view maps (the view's offset / 4096). */
  readonly firstPage: number;
  /** The FILE_MAP_* access the view was mapped with. */
  readonly access: number;
  /**
   * Image views: the kernel relocated this mapping (the ASLR policy, B92, [choosing the base](../../../docs/images.md#what-happens)), so
   * the header's ImageBase says where it is, in a private relocated copy too.
   */
  readonly kernelRelocated?: boolean;
  /**
   * Image views: mapped away from the image base by NtMapViewOfSection and not relocated (an image the kernel
   * cannot relocate, B92), so its pages show the image as laid out for its ImageBase, unrelocated.
   */
  readonly unrelocated?: boolean;
  /**
   * Pages of commit charge the view took when it was mapped (B77): a data view mapped copy-on-write is
   * charged for every page it maps, since each may become a private copy. Absent (0) for other views.
   */
  readonly commitCharge?: number;
  /**
   * NtMapViewOfSection's InheritDisposition: {@link VIEW_SHARE} (absent) maps the view in a
   * forked child too; {@link VIEW_UNMAP} leaves it out of the child.
   */
  readonly inheritDisposition?: number;
}

/**
 * @internal The address a view's pages are laid out (and relocated) for: its base, or for an
 * {@link ViewInfo.unrelocated} image view, the image's own ImageBase (its pages are the section's, unchanged).
 */
export function imageLayoutBase(allocation: Allocation): number {
  const view = allocation.view;
  return view !== null && view.unrelocated === true ? view.section.image!.pe.imageBase : allocation.base;
}

/**
 * One allocation of a process (a Windows VAD): a reservation made by
 * VirtualAlloc, or a view of a section. Per page it records what the hardware
 * page tables cannot: commit state (private memory), protection with its
 * GUARD bit, the frame the process maps, and whether a copy-on-write copy was
 * made. The page tables are derived from these records.
 *
 * A process's allocations are in {@link Process.regions}; read them for
 * tools and tests, change them only through the {@link Process} calls.
 */
export class Allocation {
  /**
   * First address: 64 KiB aligned, except for the remaining pieces of an allocation that
   * NtFreeVirtualMemory split by releasing a sub-range (B44), which start on a page.
   */
  readonly base: number;
  /** Size in bytes, a multiple of the page size (4096). */
  readonly size: number;
  /** Number of 4 KiB pages spanned. */
  readonly pageCount: number;
  /** AllocationProtect: the protection given at reservation or view creation; never changes (B27). */
  readonly allocationProtect: number;
  /** MEM_PRIVATE, MEM_MAPPED or MEM_IMAGE. */
  readonly type: number;
  /** The section for a view; null for private memory. */
  readonly view: ViewInfo | null;
  /** Per-page protection (base value plus GUARD/NOCACHE/WRITECOMBINE); meaningful where committed. */
  readonly protect: Uint16Array;
  /** Private memory: 1 where committed. Views use their section's commit state. */
  readonly committed: Uint8Array;
  /** The frame number the process maps at each page, or {@link NO_FRAME}. */
  readonly frame: Float64Array;
  /**
   * Views: 1 where the page is this process's private copy rather than the section's
   * frame (B78–B82): copied on write, or relocated by the loader (B95; the copy is then
   * made on first touch, so the page may still have no frame). Unused for private memory.
   */
  readonly copied: Uint8Array;
  /**
   * Write watch (MEM_WRITE_WATCH, B21, B103): per page, 1 when the page was written since the
   * watch was last reset ({@link Process.getWriteWatch}, {@link Process.resetWriteWatch}); null
   * when the allocation is not write-watched (views, and private memory reserved without the flag).
   * A watched page not yet written is mapped read-only, so its first write faults into the kernel,
   * which records it. Decommitting keeps the bit (Wine's kernel32 tests, test_write_watch);
   * releasing the allocation drops it with the allocation.
   */
  readonly writeWatch: Uint8Array | null;
  /**
   * VirtualLock (B52): per page, 1 when the page is locked into the process's working set
   * ({@link Process.virtualLock}, {@link Process.virtualUnlock}); null until a page of the
   * allocation is first locked. Decommitting a page drops its lock, releasing or unmapping the
   * allocation drops them all. Locks change no page-table entry: the emulator never pages out.
   * @internal Written by the lock, decommit and split code only.
   */
  locked: Uint8Array | null = null;

  /** @internal Created by the virtual-memory and view code. */
  constructor(base: number, size: number, allocationProtect: number, type: number, view: ViewInfo | null, writeWatch = false) {
    this.base = base;
    this.size = size;
    this.pageCount = size / FRAME_SIZE;
    this.allocationProtect = allocationProtect;
    this.type = type;
    this.view = view;
    this.protect = new Uint16Array(this.pageCount);
    this.committed = new Uint8Array(this.pageCount);
    this.frame = new Float64Array(this.pageCount).fill(NO_FRAME);
    this.copied = new Uint8Array(this.pageCount);
    this.writeWatch = writeWatch ? new Uint8Array(this.pageCount) : null;
  }

  /** One past the last address: `base + size`. */
  get end(): number {
    return this.base + this.size;
  }

  /** True for memory made by VirtualAlloc. */
  get isPrivate(): boolean {
    return this.type === MEM_PRIVATE;
  }

  /**
   * Page index (0-based, 4 KiB pages) of an address inside the allocation.
   * @throws {@link InvalidArgumentError} when `address` is not a number inside the allocation.
   */
  pageIndex(address: number): number {
    if (!(typeof address === 'number' && address >= this.base && address < this.base + this.size)) {
      throw new InvalidArgumentError(`address ${String(address)} is not inside the allocation at 0x${this.base.toString(16)}`);
    }
    return Math.floor((address - this.base) / FRAME_SIZE);
  }

  /**
   * Whether page `i` is committed (views: in the section).
   * @throws {@link InvalidArgumentError} when `i` is not a page index of the allocation.
   */
  isCommitted(i: number): boolean {
    this.requirePage(i);
    return this.committedAt(i);
  }

  /** @internal Whether page `i` is write-watched and not written since the last reset: its entry must stay read-only. */
  watchArmedAt(i: number): boolean {
    const watch = this.writeWatch;
    return watch !== null && watch[i] === 0;
  }

  /** @internal {@link Allocation.isCommitted} for a page index known to be one of the allocation's. */
  committedAt(i: number): boolean {
    const v = this.view;
    return v === null ? this.committed[i] === 1 : v.section.committed[v.firstPage + i] === 1;
  }

  /**
   * Whether the frame mapped at page `i` is the process's own (private memory, or a view page's copy) rather than the section's.
   * @throws {@link InvalidArgumentError} when `i` is not a page index of the allocation.
   */
  ownsFrame(i: number): boolean {
    this.requirePage(i);
    return this.ownsFrameAt(i);
  }

  /** @internal {@link Allocation.ownsFrame} for a page index known to be one of the allocation's. */
  ownsFrameAt(i: number): boolean {
    return this.view === null || this.copied[i] === 1;
  }

  private requirePage(i: number): void {
    if (!(i >= 0 && i < this.pageCount && Number.isInteger(i))) {
      throw new InvalidArgumentError(`page index ${String(i)} is not in [0, ${this.pageCount})`);
    }
  }
}
