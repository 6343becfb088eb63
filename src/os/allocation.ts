import { FRAME_SIZE } from '../mmu/physical-memory.js';
import { MEM_PRIVATE } from './constants.js';
import { NO_FRAME, type Section } from './section.js';

/** How a view maps its section. */
export interface ViewInfo {
  /** The section mapped. */
  readonly section: Section;
  /** First section page the view maps. */
  readonly firstPage: number;
  /** The FILE_MAP_* access the view was mapped with. */
  readonly access: number;
  /**
   * Image views: the kernel relocated this mapping (the ASLR policy, B92, §3.9), so
   * the header's ImageBase says where it is, in a private relocated copy too.
   */
  readonly kernelRelocated?: boolean;
}

/**
 * One allocation of a process (a Windows VAD): a reservation made by
 * VirtualAlloc, or a view of a section. Per page it records what the hardware
 * page tables cannot: commit state (private memory), protection with its
 * GUARD bit, the frame the process maps, and whether a copy-on-write copy was
 * made. The page tables are derived from these records.
 */
export class Allocation {
  /** First address, 64 KiB aligned. */
  readonly base: number;
  /** Size in bytes, a multiple of the page size. */
  readonly size: number;
  /** Pages spanned. */
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
  /** The frame the process maps at each page, or {@link NO_FRAME}. */
  readonly frame: Float64Array;
  /**
   * Views: 1 where the page is this process's private copy rather than the section's
   * frame (B78–B82): copied on write, or relocated by the loader (B95; the copy is then
   * made on first touch, so the page may still have no frame). Unused for private memory.
   */
  readonly copied: Uint8Array;

  /** @internal Created by the virtual-memory and view code. */
  constructor(base: number, size: number, allocationProtect: number, type: number, view: ViewInfo | null) {
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
  }

  /** One past the last address. */
  get end(): number {
    return this.base + this.size;
  }

  /** True for memory made by VirtualAlloc. */
  get isPrivate(): boolean {
    return this.type === MEM_PRIVATE;
  }

  /** Page index of an address inside the allocation. */
  pageIndex(address: number): number {
    return Math.floor((address - this.base) / FRAME_SIZE);
  }

  /** Whether page `i` is committed (views: in the section). */
  isCommitted(i: number): boolean {
    const v = this.view;
    return v === null ? this.committed[i] === 1 : v.section.committed[v.firstPage + i] === 1;
  }

  /** Whether the frame mapped at page `i` is the process's own (private memory, or a view page's copy) rather than the section's. */
  ownsFrame(i: number): boolean {
    return this.view === null || this.copied[i] === 1;
  }
}
