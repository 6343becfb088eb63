/**
 * The whole reference model: processes, sections and image sections, and the
 * calls that involve more than one process's address space (sections and
 * views, images, fork, exit).
 */
import { ModelAllocation } from './model-allocation.js';
import {
  ERROR_ACCESS_DENIED,
  ERROR_BAD_EXE_FORMAT,
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
  STATUS_INVALID_IMAGE_FORMAT,
  STATUS_INVALID_PAGE_PROTECTION,
  STATUS_INVALID_PARAMETER,
  STATUS_INVALID_VIEW_SIZE,
  STATUS_MAPPED_ALIGNMENT,
  STATUS_NOT_MAPPED_VIEW,
  STATUS_SUCCESS,
} from './model-constants.js';
import type { ModelImage } from './model-image.js';
import { ModelCallError, ModelMismatch } from './model-outcome.js';
import { ModelProcess, type BaseChooser } from './model-process.js';
import { sectionGrants, validSectionProtection, viewProtection } from './model-protection.js';
import { ModelSection, type ModelFile } from './model-section.js';

/** How a section is backed. */
export type SectionBacking = 'commit' | 'reserve' | 'file';

export class ModelWorld {
  /** Every process ever created, live or exited, in creation order. */
  readonly processes: ModelProcess[] = [];
  /** Every section created by {@link ModelWorld.createSection}, open or closed, in creation order. */
  readonly sections: ModelSection[] = [];
  /** Image pages shared by every process mapping the image at one base, keyed by name and base. */
  private readonly imageSections = new Map<string, ModelSection>();

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
    const views = process.allocations.flatMap((a) => (a.section === null ? [] : [a.section]));
    process.allocations.length = 0;
    process.live = false;
    for (const section of views) this.collect(section);
  }

  /** CreateFileMapping (B60–B62): an anonymous section (SEC_COMMIT or SEC_RESERVE), or one over `file`, sharing its cached pages. */
  createSection(backing: SectionBacking, size: number, protect: number, file: ModelFile | null): ModelSection {
    if (!validSectionProtection(protect)) throw new ModelCallError(ERROR_INVALID_PARAMETER, STATUS_INVALID_PAGE_PROTECTION, 'section protection (B60)');
    const section =
      backing === 'file'
        ? new ModelSection(file!.data.length, protect, true, true, null, null, file)
        : new ModelSection(Math.ceil(size / PAGE) * PAGE, protect, false, backing === 'commit', null);
    this.sections.push(section);
    return section;
  }

  /** CloseHandle on a section: its views stay (B72); without one it is destroyed. */
  closeSection(section: ModelSection): void {
    if (!section.open) throw new ModelCallError(ERROR_INVALID_HANDLE, STATUS_INVALID_HANDLE, 'section already closed');
    section.open = false;
    this.collect(section);
  }

  /**
   * A closed section whose last view is gone is destroyed; the last section over a file writes the
   * file's dirty pages back as it goes (docs/kernel.md, "Files: sharing and flushing").
   */
  private collect(section: ModelSection): void {
    if (section.open || section.file === null || !section.file.sections.has(section)) return;
    if (this.processes.some((p) => p.allocations.some((a) => a.section === section))) return;
    section.file.release(section);
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
    const view = process.find(address);
    const notMapped = (why: string) => new ModelCallError(ERROR_INVALID_ADDRESS, STATUS_NOT_MAPPED_VIEW, why);
    if (view === undefined) throw notMapped('no allocation there');
    if (view.section === null) throw notMapped('private memory is no view');
    const end = size === 0 ? view.pageCount : Math.ceil((address + size - view.base) / PAGE);
    if (end > view.pageCount) throw notMapped("the range runs past the view's end");
    const file = view.section.file;
    if (file === null) return 0;
    let written = 0;
    for (let i = view.pageIndex(address); i < end; i++) if (file.writeBack(view.firstPage + i)) written++;
    return written;
  }

  /** MapViewOfFile (B63, B64, B67, B76): the rest of the section from `offset`. */
  mapView(process: ModelProcess, section: ModelSection, access: number, offset: number, address: number, choose: BaseChooser): number {
    process.requireLive();
    if (!section.open) throw new ModelCallError(ERROR_INVALID_HANDLE, STATUS_INVALID_HANDLE, 'section closed');
    if (!sectionGrants(section.protect, access)) throw new ModelCallError(ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED, 'view access beyond the section (B64)');
    if (offset % GRANULARITY !== 0) throw new ModelCallError(ERROR_MAPPED_ALIGNMENT, STATUS_MAPPED_ALIGNMENT, 'offset not 64 KiB aligned (B76)');
    // B62 pins the status; ERROR_ACCESS_DENIED is what RtlNtStatusToDosError makes of it.
    if (offset >= section.size) throw new ModelCallError(ERROR_ACCESS_DENIED, STATUS_INVALID_VIEW_SIZE, 'offset past the end (B62)');
    const length = Math.ceil((section.size - offset) / PAGE) * PAGE;
    const base = address === 0 ? process.place(length, choose) : this.viewAt(process, address, length);
    const protect = viewProtection(access);
    const view = new ModelAllocation(base, length / PAGE, protect, MEM_MAPPED, section, offset / PAGE);
    view.protect.fill(protect);
    process.insert(view);
    return base;
  }

  /** A view's explicit BaseAddress (B76): 64 KiB aligned, inside user space (below `top`), free. */
  private viewAt(process: ModelProcess, address: number, length: number, top = this.userTop): number {
    if (address % GRANULARITY !== 0) throw new ModelCallError(ERROR_MAPPED_ALIGNMENT, STATUS_MAPPED_ALIGNMENT, 'address not 64 KiB aligned (B76)');
    if (address < LOWEST_USER_ADDRESS || address + length > top) throw new ModelCallError(ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER, 'outside user space');
    if (process.overlaps(address, length)) throw new ModelCallError(ERROR_INVALID_ADDRESS, STATUS_CONFLICTING_ADDRESSES, 'address in use (B76)');
    return address;
  }

  /** UnmapViewOfFile (B47): any address inside a view (data or image) unmaps all of it. */
  unmapView(process: ModelProcess, address: number): void {
    process.requireLive();
    const allocation = process.find(address);
    if (allocation === undefined || allocation.section === null) throw new ModelCallError(ERROR_INVALID_ADDRESS, STATUS_NOT_MAPPED_VIEW, 'not a view (B47)');
    process.remove(allocation);
    this.collect(allocation.section);
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
  mapImageView(process: ModelProcess, image: ModelImage, address: number, choose: BaseChooser, aslrBase: number | null): { base: number; status: number; relocated: boolean } {
    const { length, top } = this.imageFits(process, image);
    let base: number;
    if (address !== 0) base = this.viewAt(process, address, length, top); // a 32-bit image's user space ends at 2 GiB
    else {
      const wanted = aslrBase ?? image.preferredBase;
      base = process.isFree(wanted, length, top) ? wanted : process.place(length, choose, top);
    }
    const moved = base !== image.preferredBase;
    const kernelRelocates = moved && image.aslrEligible;
    const sharedRelocated = kernelRelocates && base === aslrBase;
    const view = this.imageView(image, base, this.imageSection(image, sharedRelocated ? base : image.preferredBase));
    if (kernelRelocates && !sharedRelocated) this.relocatePrivately(view, image, true);
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
