/**
 * The whole reference model: processes, sections and image sections, and the
 * calls that involve more than one process's address space (sections and
 * views, images, fork, exit).
 */
import { ModelAllocation } from './model-allocation.js';
import {
  ERROR_ACCESS_DENIED,
  ERROR_INVALID_ADDRESS,
  ERROR_INVALID_HANDLE,
  ERROR_INVALID_PARAMETER,
  ERROR_MAPPED_ALIGNMENT,
  GRANULARITY,
  LOWEST_USER_ADDRESS,
  MEM_IMAGE,
  MEM_MAPPED,
  PAGE,
  PAGE_EXECUTE_WRITECOPY,
  STATUS_ACCESS_DENIED,
  STATUS_CONFLICTING_ADDRESSES,
  STATUS_IMAGE_NOT_AT_BASE,
  STATUS_INVALID_HANDLE,
  STATUS_INVALID_PAGE_PROTECTION,
  STATUS_INVALID_PARAMETER,
  STATUS_INVALID_VIEW_SIZE,
  STATUS_MAPPED_ALIGNMENT,
  STATUS_NOT_MAPPED_VIEW,
  STATUS_SUCCESS,
} from './model-constants.js';
import type { ModelImage } from './model-image.js';
import { ModelCallError } from './model-outcome.js';
import { ModelProcess, type BaseChooser } from './model-process.js';
import { sectionGrants, validSectionProtection, viewProtection } from './model-protection.js';
import { ModelSection } from './model-section.js';

/** How a section is backed. */
export type SectionBacking = 'commit' | 'reserve' | 'file';

export class ModelWorld {
  /** Every process ever created, live or exited, in creation order. */
  readonly processes: ModelProcess[] = [];
  /** Every section created by {@link ModelWorld.createSection}, open or closed, in creation order. */
  readonly sections: ModelSection[] = [];
  /** One image section per image (the same file gives the same section). */
  private readonly imageSections = new Map<ModelImage, ModelSection>();

  constructor(readonly userTop: number) {}

  get live(): ModelProcess[] {
    return this.processes.filter((p) => p.live);
  }

  createProcess(pid: number): ModelProcess {
    const process = new ModelProcess(pid, this.userTop);
    this.processes.push(process);
    return process;
  }

  /** POSIX-style fork: the child gets a copy of every allocation; shared view pages stay shared. */
  fork(parent: ModelProcess, childPid: number): ModelProcess {
    parent.requireLive();
    const child = this.createProcess(childPid);
    for (const allocation of parent.allocations) child.insert(allocation.clone());
    for (const [writer, count] of parent.inheritedMarkers) child.inheritedMarkers.set(writer, count);
    child.inheritedMarkers.set(parent.pid, parent.nextMarker);
    return child;
  }

  exit(process: ModelProcess): void {
    process.allocations.length = 0;
    process.live = false;
  }

  /** CreateFileMapping (B60–B62): an anonymous section (SEC_COMMIT or SEC_RESERVE), or one backed by `file`. */
  createSection(backing: SectionBacking, size: number, protect: number, file: Uint8Array | null): ModelSection {
    if (!validSectionProtection(protect)) throw new ModelCallError(ERROR_INVALID_PARAMETER, STATUS_INVALID_PAGE_PROTECTION, 'section protection (B60)');
    const section =
      backing === 'file'
        ? new ModelSection(file!.length, protect, true, true, file)
        : new ModelSection(Math.ceil(size / PAGE) * PAGE, protect, false, backing === 'commit', null);
    this.sections.push(section);
    return section;
  }

  /** CloseHandle on a section: its views stay (B72). */
  closeSection(section: ModelSection): void {
    if (!section.open) throw new ModelCallError(ERROR_INVALID_HANDLE, STATUS_INVALID_HANDLE, 'section already closed');
    section.open = false;
  }

  /** MapViewOfFile (B63, B64, B67, B76): the rest of the section from `offset`. */
  mapView(process: ModelProcess, section: ModelSection, access: number, offset: number, address: number, choose: BaseChooser): number {
    process.requireLive();
    if (!section.open) throw new ModelCallError(ERROR_INVALID_HANDLE, STATUS_INVALID_HANDLE, 'section closed');
    if (!sectionGrants(section.protect, access)) throw new ModelCallError(ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED, 'view access beyond the section (B64)');
    if (offset % GRANULARITY !== 0) throw new ModelCallError(ERROR_MAPPED_ALIGNMENT, STATUS_MAPPED_ALIGNMENT, 'offset not 64 KiB aligned (B76)');
    // B62 pins the status; its Win32 error is not pinned.
    if (offset >= section.size) throw new ModelCallError(ERROR_ACCESS_DENIED, STATUS_INVALID_VIEW_SIZE, 'offset past the end (B62)');
    const length = Math.ceil((section.size - offset) / PAGE) * PAGE;
    let base: number;
    if (address === 0) base = process.place(length, choose);
    else {
      if (address % GRANULARITY !== 0) throw new ModelCallError(ERROR_MAPPED_ALIGNMENT, STATUS_MAPPED_ALIGNMENT, 'address not 64 KiB aligned (B76)');
      if (address < LOWEST_USER_ADDRESS || address + length > this.userTop) throw new ModelCallError(ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER, 'outside user space');
      if (process.overlaps(address, length)) throw new ModelCallError(ERROR_INVALID_ADDRESS, STATUS_CONFLICTING_ADDRESSES, 'address in use (B76)');
      base = address;
    }
    const protect = viewProtection(access);
    const view = new ModelAllocation(base, length / PAGE, protect, MEM_MAPPED, section, offset / PAGE);
    view.protect.fill(protect);
    process.insert(view);
    return base;
  }

  /** UnmapViewOfFile (B47): any address inside a view (data or image) unmaps all of it. */
  unmapView(process: ModelProcess, address: number): void {
    process.requireLive();
    const allocation = process.find(address);
    if (allocation === undefined || allocation.section === null) throw new ModelCallError(ERROR_INVALID_ADDRESS, STATUS_NOT_MAPPED_VIEW, 'not a view (B47)');
    process.remove(allocation);
  }

  /**
   * LoadLibrary's mapping step (§3.9, B83–B95, pre-ASLR policy): at the
   * preferred base when free; else a DLL without relocations fails, and
   * anything else goes elsewhere with STATUS_IMAGE_NOT_AT_BASE, its fixup pages
   * relocated into private copies by the loader (B95).
   */
  loadImage(process: ModelProcess, image: ModelImage, choose: BaseChooser): { base: number; status: number } {
    process.requireLive();
    const length = image.pageCount * PAGE;
    const top = image.is64 ? this.userTop : Math.min(this.userTop, 0x8000_0000); // 32-bit pointers reach 2 GiB
    let base = image.preferredBase;
    let status = STATUS_SUCCESS;
    if (!process.isFree(base, length, top)) {
      if (image.relocsStripped && image.isDll) throw new ModelCallError(ERROR_INVALID_ADDRESS, STATUS_CONFLICTING_ADDRESSES, 'base taken, no relocations (B93)');
      base = process.place(length, choose, top);
      status = STATUS_IMAGE_NOT_AT_BASE;
    }
    const section = this.imageSection(image);
    const view = new ModelAllocation(base, image.pageCount, PAGE_EXECUTE_WRITECOPY, MEM_IMAGE, section);
    image.protections.forEach((protect, i) => (view.protect[i] = protect));
    if (base !== image.preferredBase && !image.relocsStripped) {
      const relocated = image.layoutAt(base);
      for (const page of image.fixupPages) view.own[page] = relocated.slice(page * PAGE, (page + 1) * PAGE);
    }
    process.insert(view);
    return { base, status };
  }

  private imageSection(image: ModelImage): ModelSection {
    let section = this.imageSections.get(image);
    if (section === undefined) {
      section = new ModelSection(image.pageCount * PAGE, PAGE_EXECUTE_WRITECOPY, true, true, image.layoutAt(image.preferredBase), image);
      this.imageSections.set(image, section);
    }
    return section;
  }
}
