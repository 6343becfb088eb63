import type { FrameAllocator } from '../../mmu/frame-allocator.js';
import { FRAME_SIZE, requirePhysicalMemory, type PhysicalMemory } from '../../mmu/physical-memory.js';
import { requireInteger } from '../../mmu/validate.js';
import { SEC_COMMIT } from '../rules/constants.js';
import type { PeImage } from '../image/pe-parser.js';
import { originalPage, relocatedPage } from '../image/relocate.js';

/** No frame yet: the page has never been touched. The value (-1) in {@link Section.frames} and {@link Allocation.frame}. */
export const NO_FRAME = -1;

/**
 * The kernel's cache of one file (one `Uint8Array` object): the data sections
 * created over it, which share its page frames as the cache manager shares a
 * file's pages between every mapping of it. Every member holds its own
 * reference to each resident page it spans, and every member spanning a page
 * holds the same frame there; a page leaves the cache (its dirty bytes
 * written to the file first) when the last member spanning it is destroyed.
 * @internal Kept by the kernel while a section over the file exists.
 */
export class FileCache {
  /** The file. */
  readonly file: Uint8Array;
  /** Live data sections over the file, in creation order. */
  readonly sections: Section[] = [];

  constructor(file: Uint8Array) {
    this.file = file;
  }

  /** Adds `section`, giving it (and a reference to) every page of the file already resident. */
  join(section: Section, frames: FrameAllocator): void {
    const widest = this.widest();
    if (widest !== null) {
      const n = Math.min(section.pageCount, widest.pageCount);
      for (let i = 0; i < n; i++) {
        const frame = widest.frames[i];
        if (frame === NO_FRAME) continue;
        frames.retain(frame);
        section.frames[i] = frame;
      }
    }
    this.sections.push(section);
  }

  /**
   * Takes `section` out: the dirty pages no other member spans are written to the
   * file (the section then releases its own references, {@link Section.releaseFrames}).
   * @returns true when the cache is now empty.
   */
  leave(section: Section, memory: PhysicalMemory): boolean {
    const at = this.sections.indexOf(section);
    if (at >= 0) this.sections.splice(at, 1);
    const widest = this.widest();
    const kept = widest === null ? 0 : widest.pageCount;
    if (section.pageCount > kept) section.writeBack(kept, section.pageCount, memory);
    return this.sections.length === 0;
  }

  /** The member spanning the most pages (it holds every resident page), or null. */
  widest(): Section | null {
    let widest: Section | null = null;
    for (const section of this.sections) if (widest === null || section.pageCount > widest.pageCount) widest = section;
    return widest;
  }
}

/** What an image section (SEC_IMAGE) adds to a section: {@link Section.image}. */
export interface ImageInfo {
  /** The parsed image. */
  readonly pe: PeImage;
  /** One byte per 4 KiB page: 1 where a base-relocation fixup writes the page (a field straddling two pages marks both). */
  readonly fixupPages: Uint8Array;
  /** The PAGE_* protection of each 4 KiB page at load ([section protections](../../../docs/images.md#section-protections)). */
  readonly protections: Uint16Array;
  /** The page holding OptionalHeader.ImageBase, which the kernel rewrites when it relocates the image (B92). */
  readonly imageBasePage: number;
  /**
   * Relocated copies of the fixup pages (and of the header, its ImageBase
   * rewritten) shared by every process that maps the image at one base: the
   * ASLR policy relocates once per boot (B92, B97). Keyed by base.
   */
  readonly relocated: Map<number, Float64Array>;
}

/**
 * A section object (CreateFileMapping / NtCreateSection): memory that views in
 * any number of processes map. Anonymous sections are backed by the pagefile
 * (zero-filled on first touch); file-backed ones by a byte array, read into a
 * frame the first time a page is touched.
 *
 * The section owns the **commit state** and the **frames** of its pages: every
 * view of a page sees the same frame, so a write through one shared view is seen
 * by all the others (B70, B73). Protection belongs to each view.
 *
 * Created by {@link Kernel.createSection} (data sections) and
 * {@link Kernel.createImageSection} (PE images); mapped by
 * {@link Process.mapViewOfSection} and {@link Process.loadImage}.
 *
 * @example
 * ```ts
 * const kernel = new Kernel();
 * const file = new TextEncoder().encode('hello, section');
 * const section = kernel.createSection({ protect: PAGE_WRITECOPY, file }); // file-backed, 14 bytes
 * section.size;                 // 14
 * section.pageCount;            // 1
 * section.fileBacked;           // true
 * const p = kernel.createProcess();
 * const view = p.mapViewOfSection(section, { access: FILE_MAP_COPY });
 * section.residentPages;        // 0: nothing read in yet
 * kernel.run(0, p).mmu.write8(view, 0x48);  // writes 'H' to a private copy (B75)
 * section.residentPages;        // 1: the page was read in, then copied
 * new TextDecoder().decode(section.readBytes(kernel.memory, 0, 5)); // 'hello': the section is unchanged
 * new TextDecoder().decode(p.readMemory(view, 5));                  // 'Hello'
 * ```
 */
export class Section {
  /** Kernel-wide identifier (1, 2, … in creation order; reported as {@link RegionReport.sectionId}). */
  readonly id: number;
  /** Size in bytes: a file's exact size, or an anonymous size rounded up to a page (B62). */
  readonly size: number;
  /** Number of 4 KiB pages the section spans. */
  readonly pageCount: number;
  /** The page protection the section was created with (its maximum protection, B64). */
  readonly protect: number;
  /** SEC_* attributes, normalized (an anonymous section without SEC_RESERVE is SEC_COMMIT, B61). */
  readonly attributes: number;
  /**
   * The file's bytes for a file-backed section, or null. Data sections over the same array share its
   * pages ({@link Process.flushViewOfFile} writes them back); copy-on-write views never change them (B75).
   */
  readonly file: Uint8Array | null;
  /** One byte per page: 1 where the page is committed (SEC_RESERVE sections commit through views, B70). */
  readonly committed: Uint8Array;
  /** The frame number holding each page, or {@link NO_FRAME}. The section holds one reference to each. */
  readonly frames: Float64Array;
  /** Views currently mapping the section, in any process. */
  viewCount = 0;
  /**
   * Whether the caller of {@link Kernel.createSection} or {@link Kernel.createImageSection} still holds the section:
   * false once {@link Kernel.closeSection} closed it. @internal
   */
  creatorHolds = false;
  /** The object type's name, as NtQueryObject(ObjectTypeInformation) gives it: what a handle to this object refers to. */
  readonly objectType = 'Section';
  /** @internal Whether the loader took the creator's hold on it (objects/module-list.ts), and gives it back with the last module mapping it. */
  loaderHeld = false;
  /** Handles to the section in every process's handle table ({@link Process.createFileMapping}, {@link Process.openFileMapping}). */
  handleCount = 0;
  /** The section's name in the kernel's object namespace (CreateFileMapping with a name), or null; it goes with the last handle (B72). */
  name: string | null = null;
  /** Whether anything still refers to the section but its views: its creator ({@link Kernel.createSection}) or a handle. It lives on while views exist (B72). */
  get open(): boolean {
    return this.creatorHolds || this.handleCount > 0;
  }

  /** For an image section: the image and its relocated page sets; null otherwise. */
  readonly image: ImageInfo | null;
  /**
   * For a data section over a file: the kernel's cache of that file, shared with every other
   * live data section over the same `Uint8Array`; null otherwise. @internal
   */
  cache: FileCache | null = null;

  /** @internal Created by {@link Kernel.createSection} and {@link Kernel.createImageSection}. */
  constructor(id: number, size: number, protect: number, attributes: number, file: Uint8Array | null, image: ImageInfo | null = null) {
    this.image = image;
    this.id = id;
    this.size = size;
    this.pageCount = Math.ceil(size / FRAME_SIZE);
    this.protect = protect;
    this.attributes = attributes;
    this.file = file;
    this.committed = new Uint8Array(this.pageCount).fill(file !== null || (attributes & SEC_COMMIT) !== 0 ? 1 : 0);
    this.frames = new Float64Array(this.pageCount).fill(NO_FRAME);
  }

  /** True for a section backed by a byte array. */
  get fileBacked(): boolean {
    return this.file !== null;
  }

  /** Number of pages that have a frame (original pages; shared relocated pages not counted). */
  get residentPages(): number {
    let n = 0;
    for (let i = 0; i < this.pageCount; i++) if (this.frames[i] !== NO_FRAME) n++;
    return n;
  }

  /**
   * The frame of page `index`, reading it in (a zeroed frame, plus the file's
   * bytes) the first time.
   * @throws {@link OutOfFramesError} when no frame is free (nothing changes).
   * @internal
   */
  frameFor(index: number, frames: FrameAllocator, memory: PhysicalMemory): number {
    const existing = this.frames[index];
    if (existing !== NO_FRAME) return existing;
    const frame = frames.allocate();
    if (this.image !== null) {
      memory.writeBytes(frame * FRAME_SIZE, originalPage(this.image.pe, index));
    } else if (this.file !== null) {
      const start = index * FRAME_SIZE;
      const end = Math.min(this.file.length, start + FRAME_SIZE);
      if (end > start) memory.writeBytes(frame * FRAME_SIZE, this.file.subarray(start, end));
    }
    this.frames[index] = frame;
    // The file's other sections spanning the page share the frame read in (each holds a reference).
    if (this.cache !== null) {
      for (const other of this.cache.sections) {
        if (other === this || other.pageCount <= index) continue;
        frames.retain(frame);
        other.frames[index] = frame;
      }
    }
    return frame;
  }

  /**
   * The references the sections hold to page `index`'s frame: 1, or for a data section over a
   * file, one per section over that file spanning the page. @internal
   */
  sectionReferences(index: number): number {
    if (this.cache === null) return 1;
    let n = 0;
    for (const section of this.cache.sections) if (section.pageCount > index) n++;
    return n;
  }

  /**
   * Writes the resident pages `[from, to)` whose bytes differ from the file back to it (the
   * dirty pages): the bytes past the file's end stay in memory, as a `Uint8Array` cannot grow.
   * Nothing for an anonymous or image section.
   * @returns the number of pages written.
   * @internal
   */
  writeBack(from: number, to: number, memory: PhysicalMemory): number {
    const file = this.file;
    if (file === null || this.image !== null) return 0;
    let written = 0;
    for (let i = from; i < to; i++) {
      const frame = this.frames[i];
      const start = i * FRAME_SIZE;
      const end = Math.min(file.length, start + FRAME_SIZE);
      if (frame === NO_FRAME || end <= start) continue;
      const at = memory.ramFrameOffset(frame);
      const bytes = memory.bytes.subarray(at, at + (end - start));
      let dirty = false;
      for (let k = 0; k < bytes.length && !dirty; k++) dirty = bytes[k] !== file[start + k];
      if (!dirty) continue;
      file.set(bytes, start);
      written++;
    }
    return written;
  }

  /**
   * The section's current bytes from `offset` (what every shared view sees), without
   * reading pages in: untouched pages read from the file, or as zeros.
   * @param memory - the kernel's physical memory ({@link Kernel.memory}).
   * @param offset - byte offset into the section.
   * @param length - number of bytes; `offset + length` must not pass the section's last page.
   * @returns a new array.
   * @throws {@link InvalidArgumentError} when `memory` is not a PhysicalMemory or the range is not inside the section.
   */
  readBytes(memory: PhysicalMemory, offset: number, length: number): Uint8Array {
    requirePhysicalMemory(memory);
    // A view maps whole pages: the last page's tail past `size` is readable (zeros or file bytes).
    const end = this.pageCount * FRAME_SIZE;
    requireInteger(offset, 'offset', 0, end);
    requireInteger(length, 'length', 0, end - offset);
    const out = new Uint8Array(length);
    for (let i = 0; i < length; ) {
      const at = offset + i;
      const page = Math.floor(at / FRAME_SIZE);
      const inPage = at % FRAME_SIZE;
      const n = Math.min(FRAME_SIZE - inPage, length - i);
      const frame = this.frames[page];
      if (frame !== NO_FRAME) out.set(memory.bytes.subarray(memory.ramFrameOffset(frame) + inPage, memory.ramFrameOffset(frame) + inPage + n), i);
      else if (this.file !== null) out.set(this.file.subarray(Math.min(at, this.file.length), Math.min(at + n, this.file.length)), i);
      i += n;
    }
    return out;
  }

  /**
   * Where page `index` of a view at `viewBase` comes from: the section's own
   * page; for an image at a base with a shared relocated set, that set (its
   * fixup pages, and the header page whose ImageBase the kernel rewrote, B92);
   * or, for a fixup page at a base without a set, a copy the process relocates
   * itself.
   */
  private pageSource(index: number, viewBase: number): 'section' | 'shared-relocated' | 'private-relocated' {
    const image = this.image;
    if (image === null || viewBase === image.pe.imageBase) return 'section';
    const shared = image.relocated.has(viewBase);
    if (image.fixupPages[index] === 1) return shared ? 'shared-relocated' : 'private-relocated';
    return shared && index === image.imageBasePage ? 'shared-relocated' : 'section';
  }

  /**
   * The section frame a view mapped at `viewBase` shows at page `index`: the
   * original page, or for an image relocated by the kernel to a base with a
   * shared set, that set's page (read in and relocated the first time).
   * Returns {@link NO_FRAME} for an image fixup page at a base without a shared
   * set: the process must relocate a private copy.
   * @throws {@link OutOfFramesError} when no frame is free (nothing changes).
   * @internal
   */
  frameForView(index: number, viewBase: number, frames: FrameAllocator, memory: PhysicalMemory): number {
    const source = this.pageSource(index, viewBase);
    if (source === 'section') return this.frameFor(index, frames, memory);
    if (source === 'private-relocated') return NO_FRAME;
    const image = this.image!;
    const set = image.relocated.get(viewBase)!;
    if (set[index] === NO_FRAME) {
      const frame = frames.allocate();
      memory.writeBytes(frame * FRAME_SIZE, relocatedPage(image.pe, index, viewBase, true));
      set[index] = frame;
    }
    return set[index];
  }

  /**
   * Undoes a read-in by {@link Section.frameForView} that nothing maps yet (the fault that
   * needed it ran out of memory later): the page is not resident again and its frame is freed.
   * @internal
   */
  dropReadIn(index: number, viewBase: number, frames: FrameAllocator): void {
    const source = this.pageSource(index, viewBase);
    if (source === 'private-relocated') return; // the process's own copy, never the section's
    const set = source === 'section' ? this.frames : this.image!.relocated.get(viewBase);
    if (set === undefined || set[index] === NO_FRAME) return;
    if (source === 'section' && this.cache !== null) {
      // Read in for every section over the file: it leaves all of them.
      for (const section of this.cache.sections) {
        if (section.pageCount <= index || section.frames[index] === NO_FRAME) continue;
        frames.release(section.frames[index]);
        section.frames[index] = NO_FRAME;
      }
      return;
    }
    frames.release(set[index]);
    set[index] = NO_FRAME;
  }

  /**
   * The bytes page `index` shows to a view at `viewBase` when no frame holds it
   * yet: for an image, the page as laid out (and relocated for that base);
   * otherwise the file's bytes or zeros. Reads nothing into memory. (A page the
   * process relocates itself is its own: see `privatelyRelocatedPage`.)
   * @param index - page index in the section.
   * @param viewBase - base address of the view.
   * @param memory - the kernel's physical memory.
   * @returns a new 4096-byte array.
   * @throws {@link InvalidArgumentError} when `index` is not a page of the section, `viewBase` not an address
   *   or `memory` not a PhysicalMemory.
   */
  untouchedPage(index: number, viewBase: number, memory: PhysicalMemory): Uint8Array {
    this.requirePage(index, viewBase);
    requirePhysicalMemory(memory);
    const image = this.image;
    if (image === null) return this.readBytes(memory, index * FRAME_SIZE, FRAME_SIZE);
    const source = this.pageSource(index, viewBase);
    if (source === 'section') return originalPage(image.pe, index);
    return relocatedPage(image.pe, index, viewBase, source === 'shared-relocated');
  }

  /**
   * The frame a first touch through a view at `viewBase` would map now without reading
   * anything in ({@link NO_FRAME} when not resident or private). For checkers.
   * @param index - page index in the section.
   * @param viewBase - base address of the view.
   * @returns a frame number, or {@link NO_FRAME}.
   * @throws {@link InvalidArgumentError} when `index` is not a page of the section or `viewBase` not an address.
   */
  residentFrameForView(index: number, viewBase: number): number {
    this.requirePage(index, viewBase);
    const source = this.pageSource(index, viewBase);
    if (source === 'section') return this.frames[index];
    if (source === 'private-relocated') return NO_FRAME;
    return this.image!.relocated.get(viewBase)![index];
  }

  private requirePage(index: number, viewBase: number): void {
    requireInteger(index, 'index', 0, this.pageCount - 1);
    requireInteger(viewBase, 'viewBase');
  }

  /** Every frame number the section holds a reference to (original pages and shared relocated sets). */
  *heldFrames(): IterableIterator<number> {
    for (let i = 0; i < this.pageCount; i++) if (this.frames[i] !== NO_FRAME) yield this.frames[i];
    if (this.image !== null) {
      for (const set of this.image.relocated.values()) for (let i = 0; i < set.length; i++) if (set[i] !== NO_FRAME) yield set[i];
    }
  }

  /** Drops the section's frame references. @internal */
  releaseFrames(frames: FrameAllocator): void {
    for (const frame of this.heldFrames()) frames.release(frame);
    this.frames.fill(NO_FRAME);
    if (this.image !== null) for (const set of this.image.relocated.values()) set.fill(NO_FRAME);
  }
}
