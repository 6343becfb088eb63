/**
 * Snapshots of a whole {@link Kernel}: its machine (RAM through the undo journal, the frame allocator,
 * every CPU's MMU: {@link MachineSnapshots}) and its records (processes with their allocations, page-table
 * bookkeeping, handles, modules and threads; sections and the file caches; names, client ids, commit,
 * statistics), so that `restore` puts back everything `snapshot` saw, and `verify()` is clean after it.
 *
 * The records are copied by walking the kernel's object graph (mmu/object-state.ts): every field of every
 * object it reaches, typed arrays copied, maps and sets refilled, restored in place, so that the objects a
 * caller holds (a Process, a Section, a Thread) are the ones restored. What is immutable is kept by
 * reference (parsed PE images); what lives in a weak map is restored by hand below (the image-section cache,
 * ASLR bases). Objects made after the snapshot are not in the restored kernel: a process or thread of them
 * reads as exited, a section as closed, so a caller's stale reference fails as a closed handle would.
 *
 * Costs: taking a snapshot copies the records (a few bytes per allocated page: the per-page typed arrays)
 * and the MMUs' state, not RAM. The records are captured in units (each process's fields, address space
 * and region tree, each thread, allocation and section; the kernel's own records), and restoring copies back
 * the kernel's own, the units the kernel marked changed since (records/change-log.ts) and the frames written.
 * @module
 */
import { InvalidArgumentError, SavedStateError } from '../../mmu/errors.js';
import type { ByteReader } from '../../mmu/byte-codec.js';
import { writeSavedState } from '../../mmu/saved-state.js';
import { decodeGraph, encodeGraph, StateView } from '../../mmu/state-graph.js';
import { kernelCodec } from './kernel-state-codec.js';
import { MachineSnapshots, type MachineSnapshot } from '../../mmu/machine-snapshots.js';
import { Mmu } from '../../mmu/mmu.js';
import { captureState, restoreState, stateUnchanged, type CapturedState } from '../../mmu/object-state.js';
import { AddressSpace } from '../records/address-space.js';
import { Allocation } from '../records/allocation.js';
import { RegionTree } from '../records/region-tree.js';
import { ChangeLog } from '../records/change-log.js';
import { Thread } from '../objects/threads.js';
import { FrameAllocator } from '../../mmu/frame-allocator.js';
import { PhysicalMemory } from '../../mmu/physical-memory.js';
import { isPeImage } from '../image/pe-parser.js';
import { Section } from '../records/section.js';
import { clientIdEntries } from '../objects/client-ids.js';
import { loaderHolds } from '../objects/module-list.js';
import type { Kernel } from './kernel.js';
import { Process } from './process.js';

/** A snapshot taken by {@link Kernel.snapshot}: restore to it with {@link Kernel.restore}. */
export class KernelSnapshot {
  /** @internal Made by {@link Kernel.snapshot}. */
  constructor(
    /** @internal The machine's snapshot: RAM, frames, MMUs. */
    readonly machine: MachineSnapshot,
    /** @internal The kernel's own records (its fields, tables, counters, file caches), restored every time. */
    readonly global: CapturedState,
    /** @internal Each unit's records (a process, thread, allocation or section), restored when it changed. */
    readonly units: ReadonlyMap<object, CapturedState>,
    /** @internal The processes that existed. */
    readonly processes: ReadonlySet<Process>,
    /** @internal The ASLR base each live section had, if any. */
    readonly aslrBases: ReadonlyMap<Section, number>,
    /** @internal The live sections. */
    readonly sections: ReadonlySet<Section>,
  ) {}

  /** Its depth: 0 for the oldest open snapshot, 1 for one taken after it, … */
  get level(): number {
    return this.machine.level;
  }

  /** False once a restore to an older snapshot, or a discard, dropped it. */
  get open(): boolean {
    return this.machine.open;
  }
}

/** What {@link Kernel.restore} did. */
export interface KernelRestoreResult {
  /** RAM frames copied back: those written since the snapshot. */
  readonly framesCopied: number;
  /** Newer snapshots dropped. */
  readonly dropped: number;
  /** Processes made after the snapshot and still running at the restore: gone now (they read as exited). */
  readonly processesDropped: number;
  /**
   * Units of records copied back: the processes (their fields, address spaces and region trees apart), threads,
   * allocations and sections that changed since the snapshot
   * (all of them after a call that is not tracked finely; see [snapshots](../../../docs/snapshots.md#what-a-kernel-restore-costs)).
   */
  readonly unitsRestored: number;
}

/** @internal What {@link KernelSnapshots} needs of the kernel's private state. */
export interface KernelSnapshotAccess {
  /** The live sections. */
  readonly sections: () => readonly Section[];
  /** The ASLR base chosen for a section, or undefined; set or clear it. */
  readonly aslrBase: (section: Section) => number | undefined;
  readonly setAslrBase: (section: Section, base: number | undefined) => void;
  /** Makes `section` the image-section cache's entry for its bytes. */
  readonly cacheImageSection: (section: Section) => void;
  /** Notes an image file a saved state brought: the caller's copy of it finds its image section (Kernel.imageSection). */
  readonly restoredImageFile: (file: Uint8Array) => void;
}

/** Objects a kernel's snapshot keeps by reference: the machine (snapshotted on its own), immutable images, attachments. */
function opaque(value: object): boolean {
  return value instanceof PhysicalMemory || value instanceof Mmu || value instanceof FrameAllocator || isPeImage(value);
}

const SKIP = new Set(['tracer', 'snapshotter', 'changes']);

/** The units a restore copies back only when they changed (records/change-log.ts). */
function isUnit(value: object): boolean {
  return value instanceof Process || value instanceof AddressSpace || value instanceof RegionTree || value instanceof Thread || value instanceof Allocation || value instanceof Section;
}

/**
 * @internal Checks made by every restore when on (tests turn it on): that each unit a restore skipped as unchanged
 * is unchanged, so that a call that changes records without marking them fails loudly.
 */
export const snapshotChecks = { unchangedUnits: false };

/**
 * Fields that are caches a question may fill (a region tree's gap facts and leaf room, a page-table builder's
 * last leaf table and entry scratch): valid for the records they describe, so an unmarked change to them is
 * not a change of state, and the check leaves them out.
 */
const CACHE_FIELDS: ReadonlySet<string> = new Set(['facts', 'roomAlign', 'roomMax', 'leafRange', 'leafTable', 'leafPointer', 'entryLow', 'entryHigh']);

/** @internal The snapshots of one kernel (Kernel.snapshot, restore, discardSnapshot). */
export class KernelSnapshots {
  private readonly machine: MachineSnapshots;
  private readonly stack: KernelSnapshot[] = [];

  constructor(
    private readonly kernel: Kernel,
    private readonly access: KernelSnapshotAccess,
  ) {
    this.machine = new MachineSnapshots({ memory: kernel.memory, mmus: kernel.cpus.map((cpu) => cpu.mmu), frames: kernel.frames });
  }

  /** Open snapshots, oldest first. */
  get snapshots(): readonly KernelSnapshot[] {
    return this.stack;
  }

  take(): KernelSnapshot {
    const kernel = this.kernel;
    const processes = kernel.processes();
    const aslrBases = this.aslrBases();
    const { global, units } = this.captureRecords();
    const machine = this.machine.take();
    const snapshot = new KernelSnapshot(machine, global, units, new Set(processes), aslrBases, new Set(this.access.sections()));
    this.stack.push(snapshot);
    (kernel.changes ??= new ChangeLog()).push();
    return snapshot;
  }

  restore(snapshot: KernelSnapshot): KernelRestoreResult {
    this.requireOpen(snapshot);
    const kernel = this.kernel;
    // Objects made since: noted before the records go back, marked dead after.
    const newProcesses = kernel.processes().filter((p) => !snapshot.processes.has(p));
    const sectionsNow = this.access.sections();
    const { framesCopied, dropped } = this.machine.restore(snapshot.machine);
    this.stack.length = snapshot.level + 1;
    const changed = kernel.changes!.restoreTo(snapshot.level);
    restoreState(snapshot.global);
    let unitsRestored = 0;
    for (const [unit, state] of snapshot.units) {
      if (!changed.all && !changed.units.has(unit)) continue;
      restoreState(state);
      unitsRestored++;
    }
    // After every restore: an object two units share is back once either is.
    if (snapshotChecks.unchangedUnits && !changed.all) {
      for (const [unit, state] of snapshot.units) {
        if (!changed.units.has(unit) && !stateUnchanged(state, CACHE_FIELDS)) throw new Error(`kernel snapshot: a ${unit.constructor.name} changed since the snapshot without being marked (records/change-log.ts)`);
      }
    }
    for (const process of newProcesses) process.exited = true;
    // (A thread made since reads exited by itself: its process no longer lists it.)
    // A section made since is closed: no creator, no handle, no view in the restored kernel.
    for (const section of sectionsNow) {
      if (snapshot.sections.has(section)) continue;
      section.creatorHolds = false;
      section.handleCount = 0;
      section.viewCount = 0;
      section.name = null;
    }
    // The weak maps: ASLR bases as they were; the image cache names the live image section of each file.
    for (const section of new Set([...sectionsNow, ...this.access.sections()])) this.access.setAslrBase(section, snapshot.aslrBases.get(section));
    for (const section of this.access.sections()) if (section.image !== null) this.access.cacheImageSection(section);
    return { framesCopied, dropped, processesDropped: newProcesses.length, unitsRestored };
  }

  /** Kernel.saveState: the machine's saved state nested in the kernel's, then the records' graph. */
  save(snapshot: KernelSnapshot | undefined, options: object): Uint8Array {
    if (snapshot !== undefined) this.requireOpen(snapshot);
    const kernel = this.kernel;
    const root = this.recordsRoot();
    const records = snapshot !== undefined ? [snapshot.global, ...snapshot.units.values()] : [captureState(root, { opaque, skipFields: SKIP })];
    const aslrBases = snapshot?.aslrBases ?? this.aslrBases();
    const machine = this.machine.save(snapshot?.machine);
    return writeSavedState('kernel', (out) => {
      out.string(JSON.stringify(options));
      out.varuint(machine.length);
      out.bytes(machine);
      encodeGraph(out, [{ ...root, aslrBases }], new StateView(records, SKIP), kernelCodec(kernel));
    });
  }

  /**
   * Kernel.loadState, into this kernel freshly made from the saved options: the machine, then the records
   * into the kernel's own objects, then the weak maps. The caller drops the kernel if this throws.
   */
  load(input: ByteReader): void {
    const kernel = this.kernel;
    this.machine.loadIntoZeroedRam(input.bytesView(input.count()));
    const fresh = { ...this.recordsRoot(), aslrBases: new Map<Section, number>() };
    const [loaded] = decodeGraph(input, [fresh], kernelCodec(kernel));
    if (input.remaining !== 0) throw new SavedStateError('corrupt', `the saved state is corrupt: ${input.remaining} bytes after its end`);
    // A blob this mmukit wrote loads into the fresh root and kernel (the same objects, paired by path); one whose
    // checksum matched but whose records do not have the kernel's shape fails here, not later in a kernel call.
    if (loaded !== fresh || fresh.kernel !== kernel || !(fresh.aslrBases instanceof Map)) throw new SavedStateError('corrupt', 'the saved state is corrupt: its records are not a kernel\'s');
    try {
      const sections = new Set(this.access.sections());
      if ([...sections].some((section) => !(section instanceof Section)) || kernel.processes().some((process) => !(process instanceof Process))) {
        throw new TypeError('a live section or process is not one');
      }
      for (const [section, base] of fresh.aslrBases) {
        if (!sections.has(section) || typeof base !== 'number') throw new TypeError('an ASLR base of no live section');
        this.access.setAslrBase(section, base);
      }
      for (const section of sections) {
        if (section.image === null) continue;
        this.access.cacheImageSection(section);
        if (section.file !== null) this.access.restoredImageFile(section.file);
      }
    } catch (e) {
      throw new SavedStateError('corrupt', `the saved state is corrupt: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /**
   * The records, cut into units: the kernel's own (its fields and what they reach that is no unit), then each unit
   * met, in turn, stopping at other units. A typed array goes to the first capture that meets it; another object is
   * captured by every unit that reaches it (restoring any of them puts the same values back).
   */
  private captureRecords(): { global: CapturedState; units: Map<object, CapturedState> } {
    const kernel = this.kernel;
    const found: object[] = [];
    const met = new Set<object>();
    const sharedArrays = new Set<object>();
    const stopAt = (self: object | null) => (value: object): boolean => {
      if (opaque(value) || (self !== null && value === kernel)) return true;
      if (!isUnit(value) || value === self) return false;
      if (!met.has(value)) {
        met.add(value);
        found.push(value);
      }
      return true;
    };
    const global = captureState(this.recordsRoot(), { opaque: stopAt(null), skipFields: SKIP, sharedArrays });
    const units = new Map<object, CapturedState>();
    for (let i = 0; i < found.length; i++) units.set(found[i], captureState(found[i], { opaque: stopAt(found[i]), skipFields: SKIP, sharedArrays }));
    return { global, units };
  }

  /** The records' root: the kernel and the per-kernel tables the object layer keeps outside it. */
  private recordsRoot(): { kernel: Kernel; clientIds: object; loaderHolds: object } {
    return { kernel: this.kernel, clientIds: clientIdEntries(this.kernel), loaderHolds: loaderHolds(this.kernel) };
  }

  /** The ASLR base of each live section that has one. */
  private aslrBases(): Map<Section, number> {
    const bases = new Map<Section, number>();
    for (const section of this.access.sections()) {
      const base = this.access.aslrBase(section);
      if (base !== undefined) bases.set(section, base);
    }
    return bases;
  }

  discard(snapshot: KernelSnapshot): void {
    this.requireOpen(snapshot);
    this.machine.discard(snapshot.machine);
    this.stack.length = snapshot.level;
    this.kernel.changes!.discard(snapshot.level);
    if (this.stack.length === 0) this.kernel.changes = null;
  }

  private requireOpen(snapshot: KernelSnapshot): void {
    if (!(snapshot instanceof KernelSnapshot) || !this.stack.includes(snapshot)) {
      throw new InvalidArgumentError(snapshot instanceof KernelSnapshot && !snapshot.open ? 'the snapshot was dropped (a restore to an older one, or a discard)' : 'not an open snapshot of this kernel');
    }
  }
}
