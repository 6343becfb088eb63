/**
 * A section as the model sees it: one shared byte array and one commit flag per
 * page, seen by every view (B70, B73). Protection lives in each view. The data
 * sections over one file share the file's cached pages (docs/kernel.md, "Files:
 * sharing and flushing").
 */
import { PAGE } from './model-constants.js';
import type { ModelImage } from './model-image.js';

/**
 * A file (the byte array a section is created over): what it holds, and its cached pages, which
 * every live data section over it shares (B73, across sections too). The file changes only when a
 * dirty page is written back: by FlushViewOfFile, or when the last section over it is destroyed.
 */
export class ModelFile {
  /** The live sections over the file. */
  readonly sections = new Set<ModelSection>();
  /** The cached pages, while a section over the file lives; read in from {@link data} again after. */
  private cache: Uint8Array | null = null;

  constructor(
    /** What the file holds: the model's copy of the kernel's array. */
    readonly data: Uint8Array,
    /** The image whose bytes the file holds, when a data section is made over an image's file (NtAreMappedFilesTheSame). */
    readonly image: ModelImage | null = null,
  ) {}

  /** The cached pages (read in from the file when no section held them). */
  pages(): Uint8Array {
    if (this.cache === null) {
      this.cache = new Uint8Array(Math.ceil(this.data.length / PAGE) * PAGE);
      this.cache.set(this.data);
    }
    return this.cache;
  }

  /** Whether cached page `i` is dirty: its bytes inside the file differ from the file's. */
  isDirty(i: number): boolean {
    const end = Math.min((i + 1) * PAGE, this.data.length);
    if (this.cache === null || i * PAGE >= end) return false;
    const bytes = (array: Uint8Array) => Buffer.from(array.buffer, array.byteOffset + i * PAGE, end - i * PAGE);
    return !bytes(this.cache).equals(bytes(this.data)); // natively: the flush ops ask for every page of every file view
  }

  /** Writes cached page `i` to the file when it is dirty; whether it was. */
  writeBack(i: number): boolean {
    if (!this.isDirty(i)) return false;
    this.data.set(this.cache!.subarray(i * PAGE, Math.min((i + 1) * PAGE, this.data.length)), i * PAGE);
    return true;
  }

  /** A section over the file is destroyed: the last one writes every dirty page back and drops the cache. */
  release(section: ModelSection): void {
    this.sections.delete(section);
    if (this.sections.size > 0 || this.cache === null) return;
    for (let i = 0; i < this.cache.length / PAGE; i++) this.writeBack(i);
    this.cache = null;
  }
}

export class ModelSection {
  readonly objectType = 'Section';
  /** Bytes every shared view sees; pages past the end of a file read as zeros. */
  readonly bytes: Uint8Array;
  /** Commit state per page (SEC_RESERVE sections commit through views). */
  readonly committed: boolean[];
  /** The reference of {@link ModelWorld.createSection}'s caller (mmukit's `kernel.createSection`), until closeSection. */
  creator = true;
  /** Handles to the section in every process (docs/kernel.md, "Handles and named sections"). */
  handleCount = 0;
  /** Its name's full path while a handle is open (B72), or null. */
  name: string | null = null;
  /** False once destroyed: no creator reference, no handle and no view left. */
  alive = true;

  /** Whether anything but its views refers to it: the creator or a handle. A section that is not open takes no new view (B72). */
  get open(): boolean {
    return this.creator || this.handleCount > 0;
  }

  constructor(
    /** Size in bytes (a file's exact size, B62). */
    readonly size: number,
    /** CreateFileMapping protection (B60, B64). */
    readonly protect: number,
    /** Backed by a file (or an image): views cannot commit (B69). */
    readonly fileBacked: boolean,
    committed: boolean,
    contents: Uint8Array | null,
    /** The image, for an image section. */
    readonly image: ModelImage | null = null,
    /** The file of a data section over one: its bytes are the file's cached pages. */
    readonly file: ModelFile | null = null,
    /** NtQuerySection's attributes: SEC_COMMIT or SEC_RESERVE, or SEC_FILE for a section over a file. */
    readonly attributes = 0,
  ) {
    if (file !== null) {
      this.bytes = file.pages();
      file.sections.add(this);
    } else {
      this.bytes = new Uint8Array(this.pageCount * PAGE);
      if (contents !== null) this.bytes.set(contents.subarray(0, Math.min(contents.length, this.bytes.length)));
    }
    this.committed = new Array<boolean>(this.pageCount).fill(committed);
  }

  get pageCount(): number {
    return Math.ceil(this.size / PAGE);
  }

  /** Page `i`'s current bytes (a live view, not a copy). */
  page(i: number): Uint8Array {
    return this.bytes.subarray(i * PAGE, (i + 1) * PAGE);
  }
}
