/**
 * The undo journal behind snapshots of physical memory: while a snapshot is open, the first write to
 * each RAM frame saves the frame's bytes as they were, once per snapshot level, so that restoring
 * costs the frames written since, not the size of RAM.
 *
 * Every writer of RAM saves before it writes: {@link PhysicalMemory}'s own write methods, the MMU's
 * slow path when it writes or fills a translation-cache slot for writes, and its bulk copies. The
 * hit path saves nothing: a snapshot empties every write slot of the MMUs it covers, so the first
 * write to a page after it goes through the slow path (see machine-snapshots.ts).
 * @module
 */
/** Bytes per frame (physical-memory.ts's FRAME_SIZE; not imported, as that file imports this one). */
const FRAME_SIZE = 4096;

/**
 * One snapshot level: the frames first written since it was taken, with their bytes from then, in one
 * growing buffer (kept across restores, so that a reset loop allocates nothing once it has grown).
 */
class JournalLevel {
  /** A number no other level had: `savedAt` compares with it. */
  epoch = 0;
  /** Saved frames: RAM frame indexes (byte offset / 4096), in the order saved. */
  frames = new Int32Array(64);
  /** Their bytes: frame `frames[i]` at `i * 4096`. */
  data = new Uint8Array(64 * FRAME_SIZE);
  count = 0;

  /** Appends `frame` with its bytes as they are in `ram`. */
  save(frame: number, ram: Uint8Array): void {
    this.saveBytes(frame, ram.subarray(frame * FRAME_SIZE, (frame + 1) * FRAME_SIZE));
  }

  /** Appends `frame` with `bytes` (4096 of them). */
  saveBytes(frame: number, bytes: Uint8Array): void {
    if (this.count === this.frames.length) {
      const frames = new Int32Array(this.count * 2);
      frames.set(this.frames);
      this.frames = frames;
      const data = new Uint8Array(this.count * 2 * FRAME_SIZE);
      data.set(this.data);
      this.data = data;
    }
    this.frames[this.count] = frame;
    this.data.set(bytes, this.count * FRAME_SIZE);
    this.count++;
  }

  /** The saved bytes of entry `i`. */
  page(i: number): Uint8Array {
    return this.data.subarray(i * FRAME_SIZE, (i + 1) * FRAME_SIZE);
  }
}

/**
 * @internal The journal of one {@link PhysicalMemory}: a stack of levels, the newest on top. Level k holds
 * the frames written since snapshot k was taken (and before snapshot k + 1), with their bytes at
 * snapshot k.
 */
export class MemoryJournal {
  private readonly levels: JournalLevel[] = [];
  /** Per RAM frame: the epoch of the level that last saved it (0: none). */
  private readonly savedAt: Float64Array;
  private nextEpoch = 1;
  private top: JournalLevel | null = null;

  constructor(private readonly bytes: Uint8Array) {
    this.savedAt = new Float64Array(Math.ceil(bytes.length / FRAME_SIZE));
  }

  /** Number of open levels (snapshots not yet discarded). */
  get depth(): number {
    return this.levels.length;
  }

  /** Frames saved by level `level` (the pages a restore to it copies back, with those of the levels above). */
  savedFrames(level: number): number {
    return this.levels[level].count;
  }

  /** Opens a level: writes from now on save their frames into it. @returns its index. */
  push(): number {
    const level = new JournalLevel();
    level.epoch = this.nextEpoch++;
    this.levels.push(level);
    this.top = level;
    return this.levels.length - 1;
  }

  /** Saves the frames of RAM bytes [offset, offset + length) not yet saved by the top level. */
  saveRange(offset: number, length: number): void {
    const top = this.top;
    if (top === null || length <= 0) return;
    const last = Math.floor((offset + length - 1) / FRAME_SIZE);
    for (let frame = Math.floor(offset / FRAME_SIZE); frame <= last; frame++) {
      if (this.savedAt[frame] === top.epoch) continue;
      this.savedAt[frame] = top.epoch;
      top.save(frame, this.bytes);
    }
  }

  /**
   * Whether the MMU may fill a write slot for the RAM page at byte offset `offset` (page-aligned): yes once the
   * top level saved it; a write saves it now and says yes; a read says no, so that it copies nothing and the
   * page's first write still comes through the slow path.
   */
  allowsWriteSlot(offset: number, write: boolean): boolean {
    const top = this.top;
    if (top === null) return true;
    if (this.savedAt[Math.floor(offset / FRAME_SIZE)] === top.epoch) return true;
    if (!write) return false;
    this.saveRange(offset, FRAME_SIZE);
    return true;
  }

  /**
   * Puts RAM back as it was when level `level` was opened, discards the levels above it, and empties it
   * (it stays open: the same snapshot may be restored again). The levels are undone from the top down,
   * so a frame saved by several ends with the bytes the lowest of them saved.
   * @returns the number of frames copied back.
   */
  restore(level: number): number {
    let copied = 0;
    // Newest first, level by level and within a level, so that the oldest saved bytes of a frame win
    // whatever the bookkeeping of `savedAt` (a frame saved twice costs a copy, never correctness).
    for (let k = this.levels.length - 1; k >= level; k--) {
      const undo = this.levels[k];
      for (let i = undo.count - 1; i >= 0; i--) this.bytes.set(undo.page(i), undo.frames[i] * FRAME_SIZE);
      copied += undo.count;
    }
    this.levels.length = level + 1;
    // Empty, with a new epoch: the frames saved before no longer count as saved. Its buffers are kept.
    const kept = this.levels[level];
    kept.count = 0;
    kept.epoch = this.nextEpoch++;
    this.top = kept;
    return copied;
  }

  /**
   * Closes level `level` and every level above it without restoring: their saved frames merge into the level
   * below (a frame that level saved already keeps its older bytes), or are dropped when it is the bottom.
   */
  discard(level: number): void {
    for (let k = this.levels.length - 1; k >= level; k--) {
      const gone = this.levels[k];
      const below = k > 0 ? this.levels[k - 1] : null;
      if (below === null) continue;
      const had = new Set<number>();
      for (let i = 0; i < below.count; i++) had.add(below.frames[i]);
      for (let i = 0; i < gone.count; i++) {
        const frame = gone.frames[i];
        // Saved by the level below from now on, whether it had the frame already (its older bytes stay) or takes it.
        this.savedAt[frame] = below.epoch;
        if (!had.has(frame)) below.saveBytes(frame, gone.page(i));
      }
    }
    this.levels.length = level;
    this.top = level > 0 ? this.levels[level - 1] : null;
    // Every frame the new top level holds counts as saved by it (a restore of it may have given it a new epoch).
    const top = this.top;
    if (top !== null) for (let i = 0; i < top.count; i++) this.savedAt[top.frames[i]] = top.epoch;
  }

  /**
   * The frames saved since level `level` was opened, each with its bytes from then (the oldest save of it at
   * `level` or above): with the current RAM elsewhere, RAM as it was at that snapshot (what a saved state of
   * it writes).
   */
  savedSince(level: number): Map<number, Uint8Array> {
    const older = new Map<number, Uint8Array>();
    for (let k = this.levels.length - 1; k >= level; k--) {
      const undo = this.levels[k];
      for (let i = undo.count - 1; i >= 0; i--) older.set(undo.frames[i], undo.page(i));
    }
    return older;
  }
}
