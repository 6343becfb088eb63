import { InvalidArgumentError, OutOfFramesError } from './errors.js';
import { requirePhysicalMemory, type PhysicalMemory } from './physical-memory.js';
import { requireInteger, requireKnownKeys } from './validate.js';

/** Options of {@link FrameAllocator}. */
export interface FrameAllocatorOptions {
  /**
   * Number of frames (4 KiB each) at the bottom of RAM kept out of the pool
   * (for firmware, a guest kernel image or boot page tables). Default 0.
   */
  reserved?: number;
  /**
   * The most frames that may be allocated at once (default: every frame of the
   * pool). See {@link FrameAllocator.limit}.
   */
  limit?: number;
}

/**
 * Hands out 4 KiB RAM frames, tracks a reference count per frame and takes
 * them back. Frames are identified by their absolute frame number
 * (physical address / 4096).
 *
 * Every frame is zeroed when it is handed out, so no data ever passes from a
 * frame's previous owner to its next one. The free list is a stack: the most
 * recently freed frame is reused first (as most kernels do).
 *
 * @example
 * ```ts
 * const mem = new PhysicalMemory({ size: 1 << 20 });        // 256 frames
 * const frames = new FrameAllocator(mem, { reserved: 16 }); // frames 0–15 stay out of the pool
 * frames.freeCount;                                         // 240
 * const pt = frames.allocate();                             // zeroed, reference count 1
 * pt;                                                       // 16: the lowest free frame
 * mem.frameAddress(pt);                                     // 0x10000: its physical address
 * frames.retain(pt);                                        // 2 (shared by two mappings)
 * frames.release(pt);                                       // 1
 * frames.release(pt);                                       // 0: back on the free list
 * frames.allocate();                                        // 16 again: the most recently freed frame
 * ```
 */
export class FrameAllocator {
  /** The memory whose RAM frames this allocator manages. */
  readonly memory: PhysicalMemory;
  /** Number of frames managed (RAM frames minus the reserved ones). */
  readonly totalCount: number;
  /** Frame number (physical address / 4096) of the first frame in the pool. */
  readonly firstFrame: number;

  private readonly freeStack: Int32Array;
  private freeTop: number;
  private readonly refCounts: Uint32Array;
  private frameLimit: number;

  /**
   * Puts every RAM frame above the reserved ones in the pool, all free.
   *
   * @param memory - the physical memory whose RAM frames to manage.
   * @param options - see {@link FrameAllocatorOptions}.
   * @throws {@link InvalidArgumentError} when `memory` is not a {@link PhysicalMemory}, `reserved` is not an
   *   integer in [0, frameCount], or `limit` is not an integer in [0, frameCount - reserved].
   */
  constructor(memory: PhysicalMemory, options: FrameAllocatorOptions = {}) {
    requirePhysicalMemory(memory);
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
    requireKnownKeys(options, ['reserved', 'limit'], 'FrameAllocatorOptions');
    const reserved = requireInteger(options.reserved ?? 0, 'reserved', 0, memory.frameCount);
    this.memory = memory;
    this.firstFrame = memory.firstFrame + reserved;
    this.totalCount = memory.frameCount - reserved;
    this.frameLimit = requireInteger(options.limit ?? this.totalCount, 'limit', 0, this.totalCount);
    this.freeStack = new Int32Array(this.totalCount);
    this.refCounts = new Uint32Array(this.totalCount);
    // Lowest frames on top, so allocation starts at the bottom of the pool.
    for (let i = 0; i < this.totalCount; i++) this.freeStack[i] = this.totalCount - 1 - i;
    this.freeTop = this.totalCount;
  }

  /** Number of frames currently free. */
  get freeCount(): number {
    return this.freeTop;
  }

  /**
   * The most frames that may be allocated at once: an allocation that would
   * take {@link FrameAllocator.usedCount} past it fails with
   * {@link OutOfFramesError}, exactly as if the pool had run dry. Use it to
   * emulate a machine with less memory than the pool, or to make an operation
   * run out of memory at a chosen allocation. It may be changed at any time;
   * lowering it below `usedCount` frees nothing, it only makes the next
   * allocations fail. Default: {@link FrameAllocator.totalCount}.
   *
   * @throws {@link InvalidArgumentError} (on set) when not an integer in [0, totalCount]; the limit is unchanged.
   */
  get limit(): number {
    return this.frameLimit;
  }

  /** Sets {@link FrameAllocator.limit}. @throws {@link InvalidArgumentError} when not an integer in [0, totalCount]. */
  set limit(value: number) {
    this.frameLimit = requireInteger(value, 'limit', 0, this.totalCount);
  }

  /** Frames an allocation can take now: the free frames, capped by {@link FrameAllocator.limit}. */
  get availableCount(): number {
    return Math.max(0, Math.min(this.freeTop, this.frameLimit - (this.totalCount - this.freeTop)));
  }

  /** Frames currently allocated. */
  get usedCount(): number {
    return this.totalCount - this.freeTop;
  }

  /**
   * Takes one free frame, zeroes it and gives it a reference count of 1.
   * @returns the frame number (physical address / 4096).
   * @throws {@link OutOfFramesError} when no frame is free or {@link FrameAllocator.limit} is reached (nothing changes).
   */
  allocate(): number {
    const frame = this.allocateForOverwrite();
    this.memory.zeroFrame(frame);
    return frame;
  }

  /**
   * Takes one free frame WITHOUT zeroing it, for a caller that overwrites all
   * 4096 bytes before anyone can read them (a copy-on-write copy): zeroing
   * first would only double the work. Everyone else must use
   * {@link FrameAllocator.allocate}.
   * @returns the frame number, with a reference count of 1.
   * @throws {@link OutOfFramesError} when no frame is free or {@link FrameAllocator.limit} is reached (nothing changes).
   */
  allocateForOverwrite(): number {
    if (this.freeTop === 0 || this.totalCount - this.freeTop >= this.frameLimit) throw new OutOfFramesError(1, 0);
    const index = this.freeStack[--this.freeTop];
    this.refCounts[index] = 1;
    return this.firstFrame + index;
  }

  /**
   * Takes `count` frames, all or none, each zeroed with a reference count of 1.
   * @param count - number of frames.
   * @returns their frame numbers, in allocation order.
   * @throws {@link OutOfFramesError} when fewer than `count` are available (nothing changes).
   * @throws {@link InvalidArgumentError} when count is not a non-negative integer.
   */
  allocateMany(count: number): number[] {
    requireInteger(count, 'count');
    const available = this.availableCount;
    if (count > available) throw new OutOfFramesError(count, available);
    const frames: number[] = [];
    for (let i = 0; i < count; i++) frames.push(this.allocate());
    return frames;
  }

  /**
   * Adds a reference to an allocated frame (another mapping now shares it).
   * @returns the new reference count.
   * @throws {@link InvalidArgumentError} when the frame is not allocated.
   */
  retain(frame: number): number {
    const index = this.allocatedIndex(frame);
    return ++this.refCounts[index];
  }

  /**
   * Drops a reference; the frame goes back to the free list when the count reaches 0.
   * @returns the new reference count (0 when freed).
   * @throws {@link InvalidArgumentError} when the frame is not allocated.
   */
  release(frame: number): number {
    const index = this.allocatedIndex(frame);
    const count = --this.refCounts[index];
    if (count === 0) this.freeStack[this.freeTop++] = index;
    return count;
  }

  /**
   * Reference count of a frame (0 when free).
   * @param frame - frame number (physical address / 4096).
   * @throws {@link InvalidArgumentError} when the frame is outside the pool.
   */
  refCount(frame: number): number {
    return this.refCounts[this.poolIndex(frame)];
  }

  /**
   * True when the frame is in the pool and allocated. Never throws.
   * @param frame - frame number (physical address / 4096).
   */
  isAllocated(frame: number): boolean {
    if (typeof frame !== 'number') return false;
    const index = frame - this.firstFrame;
    return Number.isInteger(index) && index >= 0 && index < this.totalCount && this.refCounts[index] > 0;
  }

  private poolIndex(frame: number): number {
    const index = typeof frame === 'number' ? frame - this.firstFrame : NaN;
    if (!Number.isInteger(index) || index < 0 || index >= this.totalCount) {
      throw new InvalidArgumentError(`frame ${String(frame)} is not managed by this allocator`);
    }
    return index;
  }

  private allocatedIndex(frame: number): number {
    const index = this.poolIndex(frame);
    if (this.refCounts[index] === 0) throw new InvalidArgumentError(`frame 0x${frame.toString(16)} is not allocated`);
    return index;
  }
}
