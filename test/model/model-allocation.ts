/**
 * One allocation of a model process: a reservation (private memory) or a view
 * of a section (data or image). Per page: protection (with its GUARD bit),
 * commit state (private memory only; views use their section's), and the
 * page's own bytes: private memory's contents, or a view page's private copy.
 */
import { MEM_IMAGE, MEM_MAPPED, MEM_PRIVATE, PAGE } from './model-constants.js';
import { copiesOnWrite } from './model-protection.js';
import type { ModelSection } from './model-section.js';

const ZEROS = new Uint8Array(PAGE);

/** B77: the commit a data view of `pageCount` pages from section page `firstPage`, mapped with `protect`, is charged. */
export function viewCommitCharge(section: ModelSection, firstPage: number, pageCount: number, protect: number): number {
  return copiesOnWrite(protect) ? Math.max(0, Math.min(pageCount, section.pageCount - firstPage)) : 0;
}

export class ModelAllocation {
  /** Per-page protection, GUARD included; meaningful where committed. */
  readonly protect: number[];
  /** Private memory: committed pages. */
  readonly committed: boolean[];
  /** Private memory: the page's bytes (null reads as zeros). Views: the page's private copy, or null while it shows the section. */
  readonly own: Array<Uint8Array | null>;
  /** Pages locked by VirtualLock; decommit, release and unmap drop their locks. */
  readonly locked: boolean[];
  /** Reserved with MEM_WRITE_WATCH (B21, B103). */
  watched = false;
  /** Write watch: pages written since their last reset (B103); decommitting keeps the record. */
  readonly written: boolean[];
  /** A view a fork maps in the child: false for one mapped with VIEW_UNMAP (docs/kernel.md, "NtMapViewOfSection"). */
  inherited = true;

  constructor(
    readonly base: number,
    readonly pageCount: number,
    /** AllocationProtect: never changes (B27). */
    readonly allocationProtect: number,
    /** MEM_PRIVATE, MEM_MAPPED or MEM_IMAGE. */
    readonly type: number,
    /** The section of a view, null for private memory. */
    readonly section: ModelSection | null,
    /** First section page the view shows. */
    readonly firstPage = 0,
  ) {
    this.protect = new Array<number>(pageCount).fill(0);
    this.committed = new Array<boolean>(pageCount).fill(false);
    this.own = new Array<Uint8Array | null>(pageCount).fill(null);
    this.written = new Array<boolean>(pageCount).fill(false);
    this.locked = new Array<boolean>(pageCount).fill(false);
  }

  get end(): number {
    return this.base + this.pageCount * PAGE;
  }

  get isPrivate(): boolean {
    return this.type === MEM_PRIVATE;
  }

  get isImage(): boolean {
    return this.type === MEM_IMAGE;
  }

  contains(address: number): boolean {
    return address >= this.base && address < this.end;
  }

  pageIndex(address: number): number {
    return Math.floor((address - this.base) / PAGE);
  }

  /** A view page past its section's end (a MEM_RESERVE view of a file section) is never committed. */
  isCommitted(i: number): boolean {
    return this.section === null ? this.committed[i] : this.section.committed[this.firstPage + i] === true;
  }

  /**
   * Pages of commit charged to the allocation: private memory's committed pages; a data view mapped
   * copy-on-write, every section page it maps, from its mapping on (B77; docs/kernel.md, "NtMapViewOfSection":
   * the protection it was mapped with decides, a later VirtualProtect does not); any other view none.
   */
  commitCharge(): number {
    if (this.section === null) return this.committed.filter((c) => c).length;
    return this.type === MEM_MAPPED ? viewCommitCharge(this.section, this.firstPage, this.pageCount, this.allocationProtect) : 0;
  }

  /** Whether view page `i` holds its private copy (B78–B82). */
  isCopied(i: number): boolean {
    return this.section !== null && this.own[i] !== null;
  }

  /** What page `i` shows now (not a copy: callers must not write to it). */
  read(i: number): Uint8Array {
    const own = this.own[i];
    if (own !== null) return own;
    return this.section === null ? ZEROS : this.section.page(this.firstPage + i);
  }

  /** Gives view page `i` its private copy of what it shows now. */
  copy(i: number): void {
    if (this.own[i] === null) this.own[i] = this.read(i).slice();
  }

  /** The bytes a write to page `i` lands in: private memory's page, a view page's copy, or the shared section page. */
  writable(i: number): Uint8Array {
    if (this.section !== null && this.own[i] === null) return this.section.page(this.firstPage + i);
    return (this.own[i] ??= new Uint8Array(PAGE));
  }

  /**
   * Pages [first, first + count) as an allocation of their own, with their protection, commit
   * state and bytes: what remains of a private allocation after NtFreeVirtualMemory released a
   * sub-range (B44). AllocationProtect is kept.
   */
  slice(first: number, count: number): ModelAllocation {
    const piece = new ModelAllocation(this.base + first * PAGE, count, this.allocationProtect, this.type, this.section, this.firstPage + first);
    for (let i = 0; i < count; i++) {
      piece.protect[i] = this.protect[first + i];
      piece.committed[i] = this.committed[first + i];
      piece.own[i] = this.own[first + i];
      piece.written[i] = this.written[first + i];
      piece.locked[i] = this.locked[first + i];
    }
    piece.watched = this.watched;
    return piece;
  }

  /**
   * A copy for fork: private bytes, view copies and write-watch records duplicated, the section
   * shared. Locks are not inherited (as POSIX fork drops mlock's; neither windows-semantics.md nor
   * docs/kernel.md says, and mmukit's child starts unlocked).
   */
  clone(): ModelAllocation {
    const twin = new ModelAllocation(this.base, this.pageCount, this.allocationProtect, this.type, this.section, this.firstPage);
    for (let i = 0; i < this.pageCount; i++) {
      twin.protect[i] = this.protect[i];
      twin.committed[i] = this.committed[i];
      twin.own[i] = this.own[i]?.slice() ?? null;
      twin.written[i] = this.written[i];
    }
    twin.watched = this.watched;
    twin.inherited = this.inherited;
    return twin;
  }
}
