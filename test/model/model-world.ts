/**
 * The whole reference model: processes, sections and image sections, and the
 * calls that involve more than one process's address space (sections and
 * views, images, fork, exit).
 */
import { ModelAllocation, viewCommitCharge } from './model-allocation.js';
import {
  AT_ROUND_TO_PAGE,
  ERROR_ACCESS_DENIED,
  ERROR_BAD_EXE_FORMAT,
  ERROR_COMMITMENT_LIMIT,
  ERROR_INVALID_ADDRESS,
  ERROR_INVALID_HANDLE,
  ERROR_INVALID_PARAMETER,
  ERROR_MAPPED_ALIGNMENT,
  GRANULARITY,
  LOWEST_USER_ADDRESS,
  MEM_IMAGE,
  MEM_LARGE_PAGES,
  MEM_MAPPED,
  MEM_PRIVATE,
  MEM_RESERVE,
  MEM_TOP_DOWN,
  PAGE,
  PAGE_EXECUTE_WRITECOPY,
  PAGE_GUARD,
  PAGE_READWRITE,
  SEC_COMMIT,
  SEC_FILE,
  SEC_RESERVE,
  STATUS_ACCESS_DENIED,
  STATUS_COMMITMENT_LIMIT,
  STATUS_CONFLICTING_ADDRESSES,
  STATUS_IMAGE_NOT_AT_BASE,
  STATUS_INVALID_ADDRESS,
  STATUS_INVALID_HANDLE,
  STATUS_INVALID_IMAGE_FORMAT,
  STATUS_INVALID_PAGE_PROTECTION,
  STATUS_INVALID_PARAMETER,
  STATUS_INVALID_PARAMETER_3,
  STATUS_INVALID_PARAMETER_4,
  STATUS_INVALID_PARAMETER_5,
  STATUS_INVALID_PARAMETER_8,
  STATUS_INVALID_PARAMETER_9,
  STATUS_INVALID_VIEW_SIZE,
  STATUS_MAPPED_ALIGNMENT,
  STATUS_NOT_MAPPED_DATA,
  STATUS_NOT_MAPPED_VIEW,
  STATUS_NOT_SAME_DEVICE,
  STATUS_SECTION_PROTECTION,
  STATUS_SUCCESS,
  VIEW_SHARE,
  VIEW_UNMAP,
} from './model-constants.js';
import { ModelThread, type ModelHandle, type ModelObject } from './model-handles.js';
import type { ModelImage } from './model-image.js';
import { ModelCallError, ModelMismatch, ntStep, type ModelStatus } from './model-outcome.js';
import { ModelProcess, type BaseChooser } from './model-process.js';
import { sectionAccessForView, sectionGrants, sectionGrantsProtection, validSectionProtection, validViewProtection, viewProtection } from './model-protection.js';
import { ModelSection, type ModelFile } from './model-section.js';
import type { NtMapArgs } from './ops.js';

/** How a section is backed. */
export type SectionBacking = 'commit' | 'reserve' | 'file';

/** NtMapViewOfSection's outputs: the status, `*BaseAddress`, `*ViewSize` and `*SectionOffset` after the call. */
export interface ModelNtMapView {
  status: ModelStatus;
  base: number;
  viewSize: number;
  offset: number;
}

/** NtFlushVirtualMemory's outputs: those of a region call and the IO_STATUS_BLOCK (undefined: left unwritten). */
export interface ModelNtFlush {
  status: number;
  base: number;
  size: number;
  ioStatus: { status: number; information: number } | undefined;
}

/** What places a data view: the part NtMapViewOfSection and MapViewOfFile share, after their checks of the section's rights. */
interface DataViewRequest {
  readonly protect: number;
  readonly offset: number;
  /** Bytes; 0: to the section's end. */
  readonly viewSize: number;
  readonly commitSize: number;
  /** MEM_RESERVE (a file section): the view may run past the section's end. */
  readonly reserve: boolean;
  /** 0: the kernel chooses, below `limit`, the lowest free range or with `topDown` the highest. */
  readonly address: number;
  readonly limit: number;
  readonly topDown: boolean | null;
  /** AT_ROUND_TO_PAGE (32-bit): a page-aligned base, rounded down (B76). */
  readonly roundToPage: boolean;
  /** False for VIEW_UNMAP: a fork leaves the view out. */
  readonly inherited: boolean;
}

const pageDown = (address: number) => Math.floor(address / PAGE) * PAGE;
const pageUp = (address: number) => Math.ceil(address / PAGE) * PAGE;

export class ModelWorld {
  /** Every process ever created, live or exited, in creation order. */
  readonly processes: ModelProcess[] = [];
  /** Every data section made ({@link ModelWorld.newSection}), alive or destroyed, in creation order. */
  readonly sections: ModelSection[] = [];
  /** The named sections, by full path (model-objects.ts). */
  readonly names = new Map<string, ModelSection>();
  /** Image pages shared by every process mapping the image at one base, keyed by name and base. */
  private readonly imageSections = new Map<string, ModelSection>();
  /** The highest process or thread id given out so far: ids come from one sequence and are never reused. */
  private lastId = 0;

  constructor(
    readonly userTop: number,
    /** KernelOptions.commitLimit, in pages. */
    readonly commitLimit = Infinity,
  ) {}

  get live(): ModelProcess[] {
    return this.processes.filter((p) => p.live);
  }

  createProcess(pid: number): ModelProcess {
    this.newId(pid);
    const process = new ModelProcess(pid, this.userTop, (pages) => this.requireCommit(pages));
    this.processes.push(process);
    return process;
  }

  /**
   * A process's or thread's id, as mmukit gave it: one sequence for both (a client-id table), so it is
   * above every id given before (mmukit's own choice of values is not the model's to pin).
   */
  private newId(id: number): void {
    if (!Number.isSafeInteger(id) || id <= this.lastId) throw new ModelMismatch(`mmukit gave id ${id}, but ${this.lastId} was given already: ids come from one sequence, never reused`);
    this.lastId = id;
  }

  /** An id no process or thread has had yet. */
  get unusedId(): number {
    return this.lastId + 1;
  }

  /** Every thread of every process, in creation order. */
  get threads(): ModelThread[] {
    return this.processes.flatMap((p) => p.threads).sort((a, b) => a.tid - b.tid);
  }

  /**
   * The process or thread `id` names (the client-id table): a live one, or one that exited while a
   * handle still refers to it (its object lives on, with its id, until its last handle goes).
   */
  objectOfId(id: number): ModelProcess | ModelThread | undefined {
    const process = this.processes.find((p) => p.pid === id);
    if (process !== undefined) return process.live || process.handleCount > 0 ? process : undefined;
    const thread = this.threads.find((t) => t.tid === id);
    return thread !== undefined && (!thread.exited || thread.handleCount > 0) ? thread : undefined;
  }

  /**
   * Pages of commit charged now (docs/kernel.md, "What the kernel keeps" and "NtMapViewOfSection";
   * what verify()'s 'commit' rule counts): every live process's committed private pages and the
   * charge of its copy-on-write data views (B77), and the committed pages of every anonymous section
   * that lives (open, or mapped by a view).
   */
  committed(): number {
    let pages = 0;
    const mapped = new Set<ModelSection>();
    for (const process of this.live) {
      for (const allocation of process.allocations) {
        pages += allocation.commitCharge();
        if (allocation.section !== null) mapped.add(allocation.section);
      }
    }
    for (const section of this.sections) if (!section.fileBacked && (section.open || mapped.has(section))) pages += section.committed.filter((c) => c).length;
    return pages;
  }

  /** ERROR_COMMITMENT_LIMIT unless `pages` more pages of commit fit under the limit. */
  requireCommit(pages: number): void {
    if (pages > 0 && this.committed() + pages > this.commitLimit) {
      throw new ModelCallError(ERROR_COMMITMENT_LIMIT, STATUS_COMMITMENT_LIMIT, `commit limit: ${this.committed()} + ${pages} > ${this.commitLimit} pages`);
    }
  }

  /**
   * POSIX-style fork: the child gets a copy of every allocation but the views mapped with VIEW_UNMAP;
   * shared view pages stay shared. The child is charged its committed private pages and its
   * copy-on-write views (B77: charged again), all or nothing.
   */
  fork(parent: ModelProcess, childPid: number): ModelProcess {
    parent.requireLive();
    const inherited = parent.allocations.filter((a) => a.inherited);
    this.requireCommit(inherited.reduce((pages, a) => pages + a.commitCharge(), 0));
    const child = this.createProcess(childPid);
    for (const allocation of inherited) child.insert(allocation.clone());
    child.handles = parent.handles.inherited(); // the inheritable handles, at the same values
    for (const [, handle] of child.handles.list()) handle.object.handleCount++;
    for (const [writer, count] of parent.inheritedMarkers) child.inheritedMarkers.set(writer, count);
    child.inheritedMarkers.set(parent.pid, parent.nextMarker);
    return child;
  }

  /** ExitProcess: every view unmapped and every handle closed, protected ones too (docs/kernel.md, "Handles and named sections"); its threads end with it. */
  exit(process: ModelProcess): void {
    const views = process.allocations.flatMap((a) => (a.section === null ? [] : [a.section]));
    process.allocations.length = 0;
    process.live = false;
    for (const [value] of process.handles.list()) this.releaseHandle(process.handles.remove(value));
    for (const section of views) this.collect(section);
  }

  /** CreateFileMapping (B60–B62): an anonymous section (SEC_COMMIT or SEC_RESERVE), or one over `file`, sharing its cached pages; the caller holds it until {@link closeSection}. */
  createSection(backing: SectionBacking, size: number, protect: number, file: ModelFile | null): ModelSection {
    this.requireSectionProtection(protect);
    this.requireSection(backing, size);
    return this.newSection(backing, size, protect, file, true);
  }

  /** B60: the protections a section takes. */
  requireSectionProtection(protect: number): void {
    if (!validSectionProtection(protect)) throw new ModelCallError(ERROR_INVALID_PARAMETER, STATUS_INVALID_PAGE_PROTECTION, 'section protection (B60)');
  }

  /** A new section's checks past its protection: an anonymous one needs a size; an anonymous SEC_COMMIT one is charged its pages now. */
  requireSection(backing: SectionBacking, size: number): void {
    if (backing !== 'file' && size === 0) throw new ModelCallError(ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER, 'an anonymous section needs a size');
    if (backing === 'commit') this.requireCommit(Math.ceil(size / PAGE));
  }

  /** A section, its arguments checked; `creator`: the caller holds a reference of its own (not a handle). */
  newSection(backing: SectionBacking, size: number, protect: number, file: ModelFile | null, creator: boolean): ModelSection {
    const section =
      backing === 'file'
        ? new ModelSection(file!.data.length, protect, true, true, null, null, file, SEC_FILE)
        : new ModelSection(Math.ceil(size / PAGE) * PAGE, protect, false, backing === 'commit', null, null, null, backing === 'commit' ? SEC_COMMIT : SEC_RESERVE);
    section.creator = creator;
    this.sections.push(section);
    return section;
  }

  /** CloseHandle of the creator's reference: its views stay (B72); without a view or a handle it is destroyed. */
  closeSection(section: ModelSection): void {
    if (!section.creator) throw new ModelCallError(ERROR_INVALID_HANDLE, STATUS_INVALID_HANDLE, 'section already closed');
    section.creator = false;
    this.collect(section);
  }

  /** A new handle in `process`'s table: one more reference to `object`. */
  addHandle(process: ModelProcess, object: ModelObject, access: number, attributes: number): number {
    object.handleCount++;
    return process.handles.add({ object, access, attributes });
  }

  /**
   * A closed handle's reference goes: a section's last handle takes its name (B72), and the section
   * when nothing else holds it; an exited process's or thread's last handle takes its id ({@link objectOfId}).
   */
  releaseHandle(handle: ModelHandle): void {
    const object = handle.object;
    object.handleCount--;
    if (!(object instanceof ModelSection) || object.handleCount > 0) return;
    if (object.name !== null) this.names.delete(object.name);
    object.name = null;
    this.collect(object);
  }

  /**
   * A section that is not open (no creator reference, no handle) and that no view maps is destroyed;
   * the last section over a file writes the file's dirty pages back as it goes (docs/kernel.md,
   * "Files: sharing and flushing").
   */
  private collect(section: ModelSection): void {
    if (!section.alive || section.open) return;
    if (this.processes.some((p) => p.allocations.some((a) => a.section === section))) return;
    section.alive = false;
    section.file?.release(section);
  }

  /**
   * CreateThread's stack in `process` (docs/kernel.md, "Threads and stacks"; Process.createThread's
   * TSDoc), for a thread with the default sizes: the main image's SizeOfStackReserve and
   * SizeOfStackCommit (the lowest EXE image view of the process; 1 MiB and a page without one, or for
   * a header value of 0), the commit rounded up to a page and the reserve to 64 KiB (a commit at or
   * above the reserve makes the reserve the commit rounded up to 1 MiB). One MEM_PRIVATE reservation,
   * PAGE_READWRITE, at the lowest free 64 KiB boundary (below 2 GiB in a 32-bit process); its top
   * `commit` bytes committed PAGE_READWRITE, and a guard page (PAGE_READWRITE | PAGE_GUARD) below them
   * when the reserve leaves room; charged those pages. STATUS_NO_MEMORY when no range fits, the
   * commit limit after it; nothing changes then. `tid` is mmukit's (a new id of the one sequence).
   */
  createThread(process: ModelProcess, choose: BaseChooser, tid: () => number): ModelThread {
    process.requireLive();
    const main = process.allocations.find((a) => a.type === MEM_IMAGE && a.section?.image != null && !a.section.image.isDll)?.section!.image ?? null;
    const commit = pageUp(main?.stackCommit || PAGE);
    let reserve = Math.ceil((main?.stackReserve || 0x10_0000) / GRANULARITY) * GRANULARITY;
    if (commit >= reserve) reserve = Math.ceil(commit / 0x10_0000) * 0x10_0000;
    const is64 = this.userTop > 2 ** 32 && (main === null || main.is64);
    const guard = commit < reserve ? 1 : 0;
    const base = process.place(reserve, choose, Math.min(this.userTop, is64 ? Infinity : 0x8000_0000), 'lowest', () => this.requireCommit(commit / PAGE + guard));
    const stack = new ModelAllocation(base, reserve / PAGE, PAGE_READWRITE, MEM_PRIVATE, null);
    const first = (reserve - commit) / PAGE;
    for (let i = first; i < stack.pageCount; i++) {
      stack.committed[i] = true;
      stack.protect[i] = PAGE_READWRITE;
    }
    if (guard) {
      stack.committed[first - 1] = true;
      stack.protect[first - 1] = PAGE_READWRITE | PAGE_GUARD;
    }
    process.insert(stack);
    const id = tid();
    this.newId(id);
    const thread = new ModelThread(id, process, base);
    process.threads.push(thread);
    return thread;
  }

  /**
   * ExitThread (Thread.exit's TSDoc): releases the private allocation at the stack's base, whatever the
   * program left there (nothing when it freed the stack itself; a view stays); the process lives on.
   */
  exitThread(thread: ModelThread): void {
    if (thread.exited) return;
    const process = thread.process;
    const stack = process.find(thread.stack);
    if (stack !== undefined && stack.base === thread.stack && stack.section === null) process.remove(stack);
    thread.ended = true;
  }

  /**
   * FlushViewOfFile (docs/kernel.md, "Files: sharing and flushing"; the semantics document is
   * silent): writes the dirty file pages of the view's range, from the address's page to the end
   * of `size` (0: to the view's end), whichever section wrote them; returns how many. Copy-on-write
   * copies are the view's own and never written (B75). An address in no allocation or in private
   * memory, or a range running past the view's end → STATUS_NOT_MAPPED_VIEW; an anonymous or
   * image view has nothing to write (STATUS_NOT_MAPPED_DATA, which FlushViewOfFile turns into success).
   */
  flushViewOfFile(process: ModelProcess, address: number, size: number): number {
    process.requireLive();
    const { view, end } = this.flushRange(process, address, size);
    return view.section!.file === null ? 0 : this.writeBack(view, view.pageIndex(address), end);
  }

  /**
   * NtFlushVirtualMemory (docs/kernel.md, "Calls" and "Files: sharing and flushing"):
   * FlushViewOfFile's rules with the NT statuses and outputs. A range past user space (with size 0,
   * an address at or past its top) → STATUS_INVALID_PARAMETER, nothing written (`ioStatus`
   * undefined); then the process; STATUS_NOT_MAPPED_VIEW as FlushViewOfFile; an anonymous or image
   * view → STATUS_NOT_MAPPED_DATA. Outputs: the address's page, and on success the bytes from there
   * to the end of the range's last page (the view's, for size 0), on failure the size as passed;
   * `ioStatus` the status, information 0.
   */
  ntFlushVirtualMemory(process: ModelProcess, address: number, size: number): ModelNtFlush {
    if (size === 0 ? address >= this.userTop : address + size > this.userTop) return { status: STATUS_INVALID_PARAMETER, base: address, size, ioStatus: undefined };
    const failed = process.liveOrStatus();
    if (failed !== null) return { status: failed, base: address, size, ioStatus: undefined };
    const base = pageDown(address);
    const done = (status: number, flushed = size): ModelNtFlush => ({ status, base, size: flushed, ioStatus: { status, information: 0 } });
    let range: { view: ModelAllocation; end: number };
    try {
      range = this.flushRange(process, address, size);
    } catch (error) {
      if (error instanceof ModelCallError) return done(error.ntStatus!);
      throw error;
    }
    const { view, end } = range;
    if (view.section!.file === null) return done(STATUS_NOT_MAPPED_DATA);
    this.writeBack(view, view.pageIndex(address), end);
    return done(STATUS_SUCCESS, view.base + end * PAGE - base);
  }

  /** The view a flush at `address` is in and the page its range ends at; STATUS_NOT_MAPPED_VIEW outside a view or past its end. */
  private flushRange(process: ModelProcess, address: number, size: number): { view: ModelAllocation; end: number } {
    const view = process.find(address);
    const notMapped = (why: string) => new ModelCallError(ERROR_INVALID_ADDRESS, STATUS_NOT_MAPPED_VIEW, why);
    if (view === undefined) throw notMapped('no allocation there');
    if (view.section === null) throw notMapped('private memory is no view');
    const end = size === 0 ? view.pageCount : Math.ceil((address + size - view.base) / PAGE);
    if (end > view.pageCount) throw notMapped("the range runs past the view's end");
    return { view, end };
  }

  /** Writes the dirty file pages of view pages [first, end) to the file; how many. */
  private writeBack(view: ModelAllocation, first: number, end: number): number {
    let written = 0;
    for (let i = first; i < end; i++) if (view.section!.file!.writeBack(view.firstPage + i)) written++;
    return written;
  }

  /**
   * MapViewOfFile (B63–B65, B67, B76, B77): the rest of the section from `offset`; a FILE_MAP_COPY view is charged commit.
   * Through a handle, the handle's access is checked (B65) before the section's protection (B64).
   */
  mapView(process: ModelProcess, target: ModelSection | SectionResolver, access: number, offset: number, address: number, choose: BaseChooser): number {
    process.requireLive();
    const section = sectionOf(target, sectionAccessForView(viewProtection(access)));
    if (!sectionGrants(section.protect, access)) throw new ModelCallError(ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED, 'view access beyond the section (B64)');
    const request = { protect: viewProtection(access), offset, viewSize: 0, commitSize: 0, reserve: false, address, limit: Infinity, topDown: null, roundToPage: false, inherited: true };
    return this.mapDataView(process, section, request, choose).base;
  }

  /**
   * NtMapViewOfSection (docs/kernel.md, "NtMapViewOfSection" and "Which error wins"; B20, B62, B64,
   * B76, B77). Statuses instead of errors, in this order: the allocation type (bits other than MEM_TOP_DOWN, MEM_RESERVE, MEM_LARGE_PAGES and AT_ROUND_TO_PAGE,
   * or AT_ROUND_TO_PAGE on a 64-bit address space → STATUS_INVALID_PARAMETER_9); the inherit
   * disposition (_8); the protection's form; ZeroBits (_4); a view size past user space (_3); an
   * explicit address, or the end of the view asked for, at or above ZeroBits' bound (_4); the process
   * (an exited one throws; a process handle's failure is the status), after the arguments as the
   * brief of the process handles and ReactOS's NtMapViewOfSection have it (docs/kernel.md's row puts
   * the process first: only an exited process with a bad argument tells them apart, which sequences
   * never ask); a closed section, or a handle that is not a section's (STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH)
   * or lacks what MmMakeSectionAccess asks for the protection (STATUS_ACCESS_DENIED, B65). Then an image section maps as {@link mapImageView}, its protection ignored (B84), below
   * ZeroBits' bound when the kernel places it. A data section: the protection against the section
   * (B64: STATUS_SECTION_PROTECTION); MEM_RESERVE on a page-file section (_9) or a section that may
   * not be written (STATUS_SECTION_PROTECTION); then as {@link mapDataView}. Outputs on success: the
   * base, the view's size in pages, the offset; on failure the arguments as passed.
   */
  ntMapView(process: ModelProcess, target: ModelSection | SectionResolver | { image: ModelImage; aslrBase: number | null }, args: NtMapArgs, choose: BaseChooser): ModelNtMapView {
    const { protect, address, zeroBits, commitSize, offset, viewSize, inheritDisposition, allocationType } = args;
    const fail = (status: ModelStatus): ModelNtMapView => ({ status, base: address, viewSize, offset });
    if ((allocationType & ~(MEM_TOP_DOWN | MEM_RESERVE | MEM_LARGE_PAGES | AT_ROUND_TO_PAGE)) !== 0) return fail(STATUS_INVALID_PARAMETER_9);
    const roundToPage = (allocationType & AT_ROUND_TO_PAGE) !== 0;
    if (roundToPage && this.userTop > 2 ** 32) return fail(STATUS_INVALID_PARAMETER_9); // B76
    if (inheritDisposition !== VIEW_SHARE && inheritDisposition !== VIEW_UNMAP) return fail(STATUS_INVALID_PARAMETER_8);
    if (!validViewProtection(protect)) return fail(STATUS_INVALID_PAGE_PROTECTION);
    const limit = process.zeroBitsLimit(zeroBits);
    if (limit === null) return fail(STATUS_INVALID_PARAMETER_4); // B20, with the parameter's own number
    if (address + viewSize > this.userTop) return fail(STATUS_INVALID_PARAMETER_3);
    if (address !== 0 && (address >= limit || address + viewSize > limit)) return fail(STATUS_INVALID_PARAMETER_4);
    const failed = process.liveOrStatus();
    if (failed !== null) return fail(failed);
    const inherited = inheritDisposition === VIEW_SHARE;
    if (!(target instanceof ModelSection) && typeof target !== 'function') {
      const placed = ntStep(fail, () => this.mapImageView(process, target.image, address, choose, target.aslrBase, limit, inherited));
      return 'offset' in placed ? placed : { status: placed.status, base: placed.base, viewSize: target.image.pageCount * PAGE, offset };
    }
    let section: ModelSection;
    try {
      section = sectionOf(target, sectionAccessForView(protect));
    } catch (error) {
      if (error instanceof ModelCallError) return fail(error.ntStatus!);
      throw error;
    }
    if (!sectionGrantsProtection(section.protect, protect)) return fail(STATUS_SECTION_PROTECTION);
    const reserve = (allocationType & MEM_RESERVE) !== 0;
    if (reserve && !section.fileBacked) return fail(STATUS_INVALID_PARAMETER_9);
    if (reserve && !sectionGrantsProtection(section.protect, PAGE_READWRITE)) return fail(STATUS_SECTION_PROTECTION);
    const topDown = (allocationType & MEM_TOP_DOWN) !== 0;
    const request = { protect, offset, viewSize, commitSize, reserve, address, limit, topDown, roundToPage, inherited };
    const view = ntStep(fail, () => this.mapDataView(process, section, request, choose));
    return 'status' in view ? view : { status: STATUS_SUCCESS, base: view.base, viewSize: view.pageCount * PAGE, offset };
  }

  /**
   * The checks of a data view after the section's rights, in docs/kernel.md's order, then the view:
   * the offset 64 KiB aligned (B76); inside the section, and the view too unless MEM_RESERVE lets it
   * run past the end, where its pages stay reserved (B62: STATUS_INVALID_VIEW_SIZE); the commit size
   * no larger than the view's bytes, and 0 for a file section without MEM_RESERVE (_5); the base (B76) or the
   * kernel's choice; the commit charge: a copy-on-write view's pages (B77) and the section pages the
   * commit size commits in a SEC_RESERVE page-file section (B70), as VirtualAlloc(MEM_COMMIT) there.
   */
  private mapDataView(process: ModelProcess, section: ModelSection, request: DataViewRequest, choose: BaseChooser): ModelAllocation {
    const { offset, viewSize, commitSize, address } = request;
    if (offset % GRANULARITY !== 0) throw new ModelCallError(ERROR_MAPPED_ALIGNMENT, STATUS_MAPPED_ALIGNMENT, 'offset not 64 KiB aligned (B76)');
    // B62 pins the status; ERROR_ACCESS_DENIED is what RtlNtStatusToDosError makes of it.
    if (offset >= section.size) throw new ModelCallError(ERROR_ACCESS_DENIED, STATUS_INVALID_VIEW_SIZE, 'offset past the end (B62)');
    if (viewSize !== 0 && offset + viewSize > section.size && !request.reserve) throw new ModelCallError(ERROR_ACCESS_DENIED, STATUS_INVALID_VIEW_SIZE, "a view past the section's end (B62)");
    const bytes = viewSize === 0 ? section.size - offset : viewSize;
    const length = pageUp(bytes);
    // "Larger than the view": than the bytes asked for, before rounding (mmukit's reading; the documents do not say which).
    if (commitSize > bytes || (commitSize !== 0 && section.fileBacked && !request.reserve)) {
      throw new ModelCallError(ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER_5, 'commit size larger than the view, or in a file section');
    }
    const firstPage = offset / PAGE;
    const committing = section.fileBacked ? [] : Array.from({ length: pageUp(commitSize) / PAGE }, (_, i) => firstPage + i);
    const charge = () => this.requireCommit(viewCommitCharge(section, firstPage, length / PAGE, request.protect) + committing.filter((page) => !section.committed[page]).length);
    const order = request.topDown === null ? undefined : request.topDown ? 'highest' : 'lowest';
    let base: number;
    if (address === 0) base = process.place(length, choose, Math.min(this.userTop, request.limit), order, charge);
    else {
      base = this.viewAt(process, address, length, this.userTop, request.roundToPage);
      charge();
    }
    const view = new ModelAllocation(base, length / PAGE, request.protect, MEM_MAPPED, section, firstPage);
    view.protect.fill(request.protect);
    view.inherited = request.inherited;
    for (const page of committing) section.committed[page] = true;
    process.insert(view);
    return view;
  }

  /** A view's explicit BaseAddress (B76): 64 KiB aligned (or, `roundToPage`, rounded down to its page), inside user space (below `top`), free. */
  private viewAt(process: ModelProcess, address: number, length: number, top = this.userTop, roundToPage = false): number {
    const base = roundToPage ? pageDown(address) : address;
    if (base % GRANULARITY !== 0 && !roundToPage) throw new ModelCallError(ERROR_MAPPED_ALIGNMENT, STATUS_MAPPED_ALIGNMENT, 'address not 64 KiB aligned (B76)');
    if (base < LOWEST_USER_ADDRESS || base + length > top) throw new ModelCallError(ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER, 'outside user space');
    if (process.overlaps(base, length)) throw new ModelCallError(ERROR_INVALID_ADDRESS, STATUS_CONFLICTING_ADDRESSES, 'address in use (B76)');
    return base;
  }

  /** UnmapViewOfFile (B47): any address inside a view (data or image) unmaps all of it. */
  unmapView(process: ModelProcess, address: number): void {
    process.requireLive();
    const allocation = process.find(address);
    if (allocation === undefined || allocation.section === null) throw new ModelCallError(ERROR_INVALID_ADDRESS, STATUS_NOT_MAPPED_VIEW, 'not a view (B47)');
    process.remove(allocation);
    this.collect(allocation.section);
  }

  /** NtUnmapViewOfSection: {@link unmapView}'s status (STATUS_NOT_MAPPED_VIEW outside a view, B47). */
  ntUnmapView(process: ModelProcess, address: number): number {
    // An address past user space is no view, whatever the process (mmukit's API documentation: checked first).
    if (address >= this.userTop) return STATUS_NOT_MAPPED_VIEW;
    const failed = process.liveOrStatus();
    if (failed !== null) return failed;
    try {
      this.unmapView(process, address);
      return STATUS_SUCCESS;
    } catch (error) {
      if (error instanceof ModelCallError && error.ntStatus === STATUS_NOT_MAPPED_VIEW) return STATUS_NOT_MAPPED_VIEW;
      throw error;
    }
  }

  /**
   * NtAreMappedFilesTheSame (docs/kernel.md, "Calls"; kernel32 tests: test_NtAreMappedFilesTheSame):
   * an address in no allocation → STATUS_INVALID_ADDRESS; both in one allocation → STATUS_SUCCESS;
   * private memory or an anonymous view → STATUS_CONFLICTING_ADDRESSES; an image view first and a
   * view (data or image) of that image's file second → STATUS_SUCCESS; anything else, two data views
   * of one file included, STATUS_NOT_SAME_DEVICE (the call is not symmetric).
   */
  ntAreMappedFilesTheSame(process: ModelProcess, address1: number, address2: number): number {
    process.requireLive();
    const first = process.find(address1);
    const second = process.find(address2);
    if (first === undefined || second === undefined) return STATUS_INVALID_ADDRESS;
    if (first === second) return STATUS_SUCCESS;
    const file1 = fileOf(first);
    const file2 = fileOf(second);
    if (file1 === null || file2 === null) return STATUS_CONFLICTING_ADDRESSES;
    return first.isImage && file1 === file2 ? STATUS_SUCCESS : STATUS_NOT_SAME_DEVICE;
  }

  /**
   * LoadLibrary's mapping step (§3.9, B83–B97).
   *
   * Without ASLR (`aslrBase` null): at the preferred base when free; else a DLL
   * without relocations fails, and anything else goes elsewhere with
   * STATUS_IMAGE_NOT_AT_BASE, its fixup pages relocated into private copies by
   * the loader (B95), headers unchanged (B92).
   *
   * With ASLR, for an eligible image (`aslrBase` is then its system-wide base,
   * B97): at that base when free, sharing the pages the kernel relocated once;
   * else elsewhere, relocated privately. Either way STATUS_SUCCESS, and the
   * kernel rewrites the header's ImageBase (B92, §3.9).
   */
  loadImage(process: ModelProcess, image: ModelImage, choose: BaseChooser, aslrBase: number | null = null): { base: number; status: number } {
    const { length, top } = this.imageFits(process, image);
    if (aslrBase !== null) {
      if (aslrBase % GRANULARITY !== 0 || aslrBase < LOWEST_USER_ADDRESS || aslrBase + length > top) {
        throw new ModelMismatch(`mmukit's system-wide ASLR base 0x${aslrBase.toString(16)} for ${image.name} is not a 64 KiB-aligned user range`);
      }
      const shared = process.isFree(aslrBase, length, top);
      const base = shared ? aslrBase : process.place(length, choose, top);
      const view = this.imageView(image, base, this.imageSection(image, shared ? base : image.preferredBase));
      if (!shared) this.relocatePrivately(view, image, true);
      process.insert(view);
      return { base, status: STATUS_SUCCESS };
    }
    let base = image.preferredBase;
    let status = STATUS_SUCCESS;
    if (!process.isFree(base, length, top)) {
      if (image.relocsStripped && image.isDll) throw new ModelCallError(ERROR_INVALID_ADDRESS, STATUS_CONFLICTING_ADDRESSES, 'base taken, no relocations (B93)');
      base = process.place(length, choose, top);
      status = STATUS_IMAGE_NOT_AT_BASE;
    }
    const view = this.imageView(image, base, this.imageSection(image, image.preferredBase));
    if (base !== image.preferredBase && !image.relocsStripped) this.relocatePrivately(view, image, false);
    process.insert(view);
    return { base, status };
  }

  /**
   * NtMapViewOfSection of an image section (B83, B84, B91, B92, B97; docs/images.md, "Mapping an
   * image section without the loader"): the image view alone, no loader relocation. With the ASLR
   * policy (`aslrBase` its system-wide base, B97) an eligible image goes there when it is free,
   * sharing the pages the kernel relocated once; otherwise at `address` (B76: 64 KiB aligned, in
   * user space, free), or at its ImageBase when free, or where mmukit chose. Away from its
   * ImageBase, a DYNAMIC_BASE image with relocations is relocated by the kernel (STATUS_SUCCESS, its
   * header's ImageBase rewritten, its fixup pages the process's copies unless at the system-wide
   * base, B92); any other image, a RELOCS_STRIPPED DLL included (B93: refusing it is LoadLibrary's
   * check), is mapped as it is: STATUS_IMAGE_NOT_AT_BASE (B91, B92).
   */
  mapImageView(process: ModelProcess, image: ModelImage, address: number, choose: BaseChooser, aslrBase: number | null, limit = Infinity, inherited = true): { base: number; status: number; relocated: boolean } {
    const { length, top } = this.imageFits(process, image);
    let base: number;
    if (address !== 0) base = this.viewAt(process, address, length, top); // a 32-bit image's user space ends at 2 GiB
    else {
      // NtMapViewOfSection's ZeroBits: an image whose base is above the bound goes below it (docs/kernel.md).
      const below = Math.min(top, limit);
      const wanted = aslrBase ?? image.preferredBase;
      base = process.isFree(wanted, length, below) ? wanted : process.place(length, choose, below);
    }
    const moved = base !== image.preferredBase;
    const kernelRelocates = moved && image.aslrEligible;
    const sharedRelocated = kernelRelocates && base === aslrBase;
    const view = this.imageView(image, base, this.imageSection(image, sharedRelocated ? base : image.preferredBase));
    if (kernelRelocates && !sharedRelocated) this.relocatePrivately(view, image, true);
    view.inherited = inherited;
    process.insert(view);
    return { base, status: moved && !kernelRelocates ? STATUS_IMAGE_NOT_AT_BASE : STATUS_SUCCESS, relocated: kernelRelocates && image.fixupPages.size > 0 };
  }

  /**
   * B89: a process is 64-bit once it maps a PE32+ image and 32-bit once it maps a PE32 image with code
   * (the model's stand-in for the main executable); images of the other bitness are refused. Returns
   * the image's length and the top of the range it may go in: 32-bit pointers reach 2 GiB.
   */
  private imageFits(process: ModelProcess, image: ModelImage): { length: number; top: number } {
    process.requireLive();
    const images = process.allocations.flatMap((a) => (a.type === MEM_IMAGE && a.section?.image ? [a.section.image] : []));
    const bitness = this.userTop <= 2 ** 32 ? 32 : images.some((i) => i.is64) ? 64 : images.some((i) => i.containsCode) ? 32 : 0;
    if (image.is64 ? bitness === 32 : image.containsCode && bitness === 64) {
      throw new ModelCallError(ERROR_BAD_EXE_FORMAT, STATUS_INVALID_IMAGE_FORMAT, 'an image of the other bitness (B89)');
    }
    return { length: image.pageCount * PAGE, top: image.is64 ? this.userTop : Math.min(this.userTop, 0x8000_0000) };
  }

  private imageView(image: ModelImage, base: number, section: ModelSection): ModelAllocation {
    const view = new ModelAllocation(base, image.pageCount, PAGE_EXECUTE_WRITECOPY, MEM_IMAGE, section);
    image.protections.forEach((protect, i) => (view.protect[i] = protect));
    return view;
  }

  /** The pages relocation writes become the process's private copies (B95): the fixup pages, and the header when the kernel rewrites ImageBase. */
  private relocatePrivately(view: ModelAllocation, image: ModelImage, rewriteImageBase: boolean): void {
    const relocated = image.layoutAt(view.base, rewriteImageBase);
    const pages = new Set(image.fixupPages);
    if (rewriteImageBase) pages.add(Math.floor(image.imageBaseOffset / PAGE));
    for (const page of pages) view.own[page] = relocated.slice(page * PAGE, (page + 1) * PAGE);
  }

  /**
   * The image's pages as every process mapping it at `base` shares them: laid out
   * at the preferred base, or relocated once by the kernel to the ASLR base. Their
   * bytes never change: every image page is copy-on-write or read-only.
   */
  private imageSection(image: ModelImage, base: number): ModelSection {
    const key = `${image.name}@${base}`;
    let section = this.imageSections.get(key);
    if (section === undefined) {
      const bytes = image.layoutAt(base, base !== image.preferredBase);
      section = new ModelSection(image.pageCount * PAGE, PAGE_EXECUTE_WRITECOPY, true, true, bytes, image);
      this.imageSections.set(key, section);
    }
    return section;
  }
}

/**
 * The file a view maps, for NtAreMappedFilesTheSame: an image view's is its image; a data view's is
 * its section's file (the image's, for a section made over an image's bytes); private memory and
 * anonymous views have none.
 */
function fileOf(allocation: ModelAllocation): object | null {
  const section = allocation.section;
  if (section === null) return null;
  if (section.image !== null) return section.image;
  return section.file === null ? null : (section.file.image ?? section.file);
}

/** A section handle of the calling process, resolved and checked for the access a view needs (model-objects.ts). */
export type SectionResolver = (needed: number) => ModelSection;

/** The section a call is given: a handle's (checked for `needed`), or the object itself, which must be open. */
function sectionOf(target: ModelSection | SectionResolver, needed: number): ModelSection {
  if (typeof target === 'function') return target(needed);
  if (!target.open) throw new ModelCallError(ERROR_INVALID_HANDLE, STATUS_INVALID_HANDLE, 'section closed');
  return target;
}
