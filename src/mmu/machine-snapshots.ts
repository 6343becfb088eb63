/**
 * Snapshots of a machine's memory system, for fuzzers and time-travel debuggers that reset a guest
 * thousands of times a second: physical memory, the frame allocator and every MMU (registers, TLBs,
 * walk caches, counters), taken in O(1) and restored in O(frames written since).
 *
 * How: taking a snapshot opens a level of physical memory's undo journal (memory-journal.ts) and
 * copies the MMUs' and the allocator's state (a few kilobytes of typed arrays per MMU; the allocator's
 * free stack, a word per frame). It then empties every translation-cache slot of the MMUs, so the
 * first write to each page after it goes through the MMU's slow path, which saves the frame into the
 * journal before filling the write slot; physical memory's own writes save too. Restoring copies the
 * saved frames back and the states into the same objects.
 * @module
 */
import { SNAPSHOT_CAPTURE } from './control-registers.js';
import { InvalidArgumentError, SavedStateError } from './errors.js';
import { FrameAllocator } from './frame-allocator.js';
import { machineCodec } from './machine-state-codec.js';
import { MemoryJournal } from './memory-journal.js';
import type { Mmu } from './mmu.js';
import { captureState, restoreState, type CapturedState } from './object-state.js';
import { PhysicalMemory, requirePhysicalMemory } from './physical-memory.js';
import { loadRam, openSavedState, readRam, writeRam, writeSavedState } from './saved-state.js';
import { applyGraph, encodeGraph, readGraph, StateView } from './state-graph.js';
import { requireKnownKeys } from './validate.js';

/** What {@link MachineSnapshots} covers: one physical memory, the MMUs that reach it, and its frame allocator if any. */
export interface MachineSnapshotsOptions {
  /** The physical memory: its RAM (ROM is read-only; MMIO devices keep their own state and are not covered). */
  memory: PhysicalMemory;
  /** Every MMU whose state belongs to the machine (each CPU's). Default none. */
  mmus?: readonly Mmu[];
  /** The frame allocator of the memory, when the machine uses one. */
  frames?: FrameAllocator;
}

/** A snapshot taken by {@link MachineSnapshots.take}: restore to it with {@link MachineSnapshots.restore}. */
export class MachineSnapshot {
  /** @internal */
  valid = true;
  /** @internal Made by {@link MachineSnapshots.take}. */
  constructor(
    /** @internal The owner. */
    readonly owner: MachineSnapshots,
    /** Its depth: 0 for the oldest open snapshot, 1 for one taken after it, … */
    readonly level: number,
    /** @internal The MMUs' states, in the owner's order. */
    readonly mmuStates: readonly CapturedState[],
    /** @internal The frame allocator's state, or null. */
    readonly frameState: CapturedState | null,
  ) {}

  /** False once a restore to an older snapshot or a discard dropped it. */
  get open(): boolean {
    return this.valid;
  }
}

/** What {@link MachineSnapshots.restore} did. */
export interface RestoreResult {
  /** RAM frames copied back: the frames written since the snapshot (each once per newer snapshot that saved it too). */
  readonly framesCopied: number;
  /** Newer snapshots dropped by the restore. */
  readonly dropped: number;
}

const SNAPSHOT_OPTIONS = ['memory', 'mmus', 'frames'];

/** A frame allocator's state: its fields, not its memory. */
const FRAME_CAPTURE = { opaque: (value: object): boolean => value instanceof PhysicalMemory };

/** The memories a {@link MachineSnapshots} journals: one each, as they share the memory's journal. */
const owners = new WeakSet<PhysicalMemory>();

/**
 * Snapshots of one machine's memory system: `take()` now, `restore(s)` to go back (as often as wanted),
 * nested: restoring to an older snapshot drops the newer ones; `discard(s)` drops `s` and the newer ones
 * without going back.
 *
 * Costs: taking is O(1) in the size of RAM (the MMU states, and a word per frame for a frame allocator);
 * the first write to each page after it copies that page once; restoring copies back only those pages.
 * The bench `snapshots` suite charts restore time against pages written and against a copy of all RAM.
 *
 * Every write to RAM must come through the {@link PhysicalMemory} write methods or through the listed
 * MMUs: writes into {@link PhysicalMemory.bytes} directly, or through an MMU left out, are not seen.
 *
 * @example
 * ```ts
 * const memory = new PhysicalMemory({ size: 16 << 20 });
 * const frames = new FrameAllocator(memory);
 * const tables = new PageTableBuilder(memory, 'x86-64', frames);
 * const mmu = new Mmu({ memory, format: 'x86-64' });
 * tables.map(0x40_0000, frames.allocate() * 4096, { writable: true });
 * mmu.setRoot(tables.root, 1);
 * const machine = new MachineSnapshots({ memory, mmus: [mmu], frames });
 * const start = machine.take();
 * mmu.write32(0x40_0000, 0xdead_beef);       // saves that one page first
 * machine.restore(start).framesCopied;      // 1
 * mmu.read32(0x40_0000);                    // 0 again
 * ```
 */
export class MachineSnapshots {
  /** The machine's physical memory. */
  readonly memory: PhysicalMemory;
  /** The MMUs whose state the snapshots hold. */
  readonly mmus: readonly Mmu[];
  /** The frame allocator whose state the snapshots hold, or null. */
  readonly frames: FrameAllocator | null;
  private readonly journal: MemoryJournal;
  private readonly stack: MachineSnapshot[] = [];

  /**
   * @throws {@link InvalidArgumentError} on an unknown option, a `memory` that is not a {@link PhysicalMemory},
   *   an MMU of another memory, a `frames` of another memory, or a memory another {@link MachineSnapshots} already journals.
   */
  constructor(options: MachineSnapshotsOptions) {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
    requireKnownKeys(options, SNAPSHOT_OPTIONS, 'MachineSnapshotsOptions');
    const memory = requirePhysicalMemory(options.memory);
    const mmus = options.mmus ?? [];
    if (!Array.isArray(mmus)) throw new InvalidArgumentError('mmus must be an array of Mmu');
    for (const mmu of mmus) {
      if (mmu === null || typeof mmu !== 'object' || typeof (mmu as Mmu).captureSnapshotState !== 'function' || (mmu as Mmu).memory !== memory) {
        throw new InvalidArgumentError('every MMU must be an Mmu over the same physical memory');
      }
    }
    if (options.frames !== undefined && (!(options.frames instanceof FrameAllocator) || options.frames.memory !== memory)) {
      throw new InvalidArgumentError('frames must be the FrameAllocator of the same physical memory');
    }
    if (owners.has(memory)) throw new InvalidArgumentError('this physical memory already has a MachineSnapshots (one per memory)');
    owners.add(memory);
    this.memory = memory;
    this.mmus = [...mmus];
    this.frames = options.frames ?? null;
    this.journal = new MemoryJournal(memory.bytes);
  }

  /** Open snapshots, oldest first. */
  get snapshots(): readonly MachineSnapshot[] {
    return this.stack;
  }

  /** Takes a snapshot of the machine as it is now. */
  take(): MachineSnapshot {
    const level = this.journal.push();
    this.memory.journal = this.journal;
    const snapshot = new MachineSnapshot(
      this,
      level,
      this.mmus.map((mmu) => mmu.captureSnapshotState()),
      this.frames === null ? null : captureState(this.frames, FRAME_CAPTURE),
    );
    // From now on the first write to each page must save it: no write slot may let one through unseen.
    for (const mmu of this.mmus) mmu.dropTranslationCaches();
    this.stack.push(snapshot);
    return snapshot;
  }

  /**
   * Puts the machine back as it was when `snapshot` was taken: RAM, the frame allocator and every MMU. The
   * snapshot stays open (restore to it again as often as wanted); the snapshots taken after it are dropped.
   * @throws {@link InvalidArgumentError} for a snapshot of another machine, or one already dropped.
   */
  restore(snapshot: MachineSnapshot): RestoreResult {
    this.requireOpen(snapshot);
    const dropped = this.stack.length - 1 - snapshot.level;
    for (let k = snapshot.level + 1; k < this.stack.length; k++) this.stack[k].valid = false;
    this.stack.length = snapshot.level + 1;
    const framesCopied = this.journal.restore(snapshot.level);
    if (snapshot.frameState !== null) restoreState(snapshot.frameState);
    this.mmus.forEach((mmu, i) => mmu.restoreSnapshotState(snapshot.mmuStates[i]));
    return { framesCopied, dropped };
  }

  /**
   * Drops `snapshot` and every newer one without going back; the pages they saved pass to the snapshot before
   * (a page it saved already keeps its older bytes). With no snapshot left, writes cost nothing again.
   * @throws {@link InvalidArgumentError} for a snapshot of another machine, or one already dropped.
   */
  discard(snapshot: MachineSnapshot): void {
    this.requireOpen(snapshot);
    for (let k = snapshot.level; k < this.stack.length; k++) this.stack[k].valid = false;
    this.stack.length = snapshot.level;
    this.journal.discard(snapshot.level);
    if (this.stack.length === 0) this.memory.journal = null;
  }

  /**
   * Saves the machine's state to bytes: `snapshot`'s (RAM as it was then, the MMUs' and the allocator's state),
   * or the current state when no snapshot is given. Load it with {@link MachineSnapshots.load} into this machine
   * or another built the same way (the same RAM size, as many MMUs, a frame allocator or not), in this process
   * or a later one. The bytes are versioned ({@link SAVED_STATE_VERSION}) and checksummed.
   *
   * Cost: the size of the state: every nonzero RAM frame (zero frames are not written), the MMUs' TLB arrays.
   * @throws {@link InvalidArgumentError} for a snapshot of another machine, or one already dropped.
   * @example
   * ```ts
   * const saved = machine.save();                 // a Uint8Array: write it to a file
   * // … later, in a machine built the same way:
   * other.load(saved);                            // RAM, MMUs and frames as they were
   * ```
   */
  save(snapshot?: MachineSnapshot): Uint8Array {
    if (snapshot !== undefined) this.requireOpen(snapshot);
    const states =
      snapshot !== undefined
        ? [...snapshot.mmuStates, ...(snapshot.frameState === null ? [] : [snapshot.frameState])]
        : [...this.mmus.map((mmu) => mmu.captureSnapshotState()), ...(this.frames === null ? [] : [captureState(this.frames, FRAME_CAPTURE)])];
    const roots: object[] = [...this.mmus, ...(this.frames === null ? [] : [this.frames])];
    return writeSavedState('machine', (out) => {
      out.varuint(this.mmus.length);
      out.u8(this.frames === null ? 0 : 1);
      encodeGraph(out, roots, new StateView(states, SNAPSHOT_CAPTURE.skipFields), machineCodec(this.memory));
      writeRam(out, this.memory, snapshot === undefined ? null : this.journal, snapshot?.level ?? 0);
    });
  }

  /**
   * Loads a state {@link MachineSnapshots.save} saved: RAM, every MMU (registers, TLBs, walk caches, counters)
   * and the frame allocator become what they were. The open snapshots stay open: a load is a change like any
   * other, and restoring one of them undoes it. Writes only the RAM frames that differ.
   * @returns the number of RAM frames written.
   * @throws {@link SavedStateError} when `bytes` is not a saved state (`'not-a-saved-state'`), is of another
   *   format version (`'version'`), is damaged (`'corrupt'`), or is a kernel's or another machine's (a different
   *   RAM size, number of MMUs, TLB geometry: `'mismatch'`). The machine is then unchanged.
   */
  load(bytes: Uint8Array): number {
    return this.loadBytes(bytes, false);
  }

  /** @internal {@link MachineSnapshots.load} into a machine just made, whose RAM is all zeros: only the saved frames are written. */
  loadIntoZeroedRam(bytes: Uint8Array): number {
    return this.loadBytes(bytes, true);
  }

  private loadBytes(bytes: Uint8Array, zeroed: boolean): number {
    const input = openSavedState(bytes, 'machine');
    const mmuCount = input.varuint();
    const hasFrames = input.u8() === 1;
    if (mmuCount !== this.mmus.length || hasFrames !== (this.frames !== null)) {
      throw new SavedStateError('mismatch', `a saved state of ${mmuCount} MMUs ${hasFrames ? 'with' : 'without'} a frame allocator, loaded into a machine of ${this.mmus.length} ${this.frames === null ? 'without' : 'with'} one`);
    }
    // Everything is read and checked before anything changes: the graph, RAM, the end, then a dry run of the load
    // (pairing with the live MMUs, their configuration, what they must have).
    const roots = [...this.mmus, ...(this.frames === null ? [] : [this.frames])];
    const codec = machineCodec(this.memory);
    const graph = readGraph(input, roots.length, codec);
    const ram = readRam(input, this.memory);
    if (input.remaining !== 0) throw new SavedStateError('corrupt', `the saved state is corrupt: ${input.remaining} bytes after its end`);
    applyGraph(graph, roots, codec, true);
    // The dry run passed, so the load should too; its state is kept to put back all the same.
    const before = roots.map((root) => (root instanceof FrameAllocator ? captureState(root, FRAME_CAPTURE) : (root as Mmu).captureSnapshotState()));
    const architectures = this.mmus.map((mmu) => mmu.format.architecture);
    try {
      applyGraph(graph, roots, codec);
      // An MMU of another architecture has the same shape: only its format says what it is.
      const other = this.mmus.findIndex((mmu, i) => mmu.format.architecture !== architectures[i]);
      if (other >= 0) throw new SavedStateError('mismatch', `the saved state's MMU ${other} translates for ${this.mmus[other].format.architecture}, the machine's for ${architectures[other]}`);
    } catch (e) {
      for (const state of before) restoreState(state);
      for (const mmu of this.mmus) mmu.dropTranslationCaches();
      throw e;
    }
    for (const mmu of this.mmus) mmu.dropTranslationCaches();
    return loadRam(this.memory, ram, zeroed);
  }

  /** Pages saved since `snapshot` was taken, by it and the newer ones: what a restore to it would copy. */
  pagesSince(snapshot: MachineSnapshot): number {
    this.requireOpen(snapshot);
    let pages = 0;
    for (let k = snapshot.level; k < this.stack.length; k++) pages += this.journal.savedFrames(k);
    return pages;
  }

  private requireOpen(snapshot: MachineSnapshot): void {
    if (!(snapshot instanceof MachineSnapshot) || snapshot.owner !== this) throw new InvalidArgumentError('not a snapshot of this machine');
    if (!snapshot.valid) throw new InvalidArgumentError(`snapshot ${snapshot.level} was dropped (a restore to an older one, or a discard)`);
  }
}
