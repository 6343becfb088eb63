/**
 * A section as the model sees it: one shared byte array and one commit flag per
 * page, seen by every view (B70, B73). Protection lives in each view.
 */
import { PAGE } from './model-constants.js';
import type { ModelImage } from './model-image.js';

export class ModelSection {
  /** Bytes every shared view sees; pages past the end of a file read as zeros. */
  readonly bytes: Uint8Array;
  /** Commit state per page (SEC_RESERVE sections commit through views). */
  readonly committed: boolean[];
  /** False once closed: no new views (B72). */
  open = true;

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
  ) {
    this.bytes = new Uint8Array(this.pageCount * PAGE);
    if (contents !== null) this.bytes.set(contents.subarray(0, Math.min(contents.length, this.bytes.length)));
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
