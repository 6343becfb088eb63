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
 * and the MMUs' state, not RAM; restoring copies back the records and the frames written since.
 * @module
 */
import { InvalidArgumentError, SavedStateError } from '../../mmu/errors.js';
import type { ByteReader } from '../../mmu/byte-codec.js';
import { writeSavedState } from '../../mmu/saved-state.js';
import { decodeGraph, encodeGraph, StateView } from '../../mmu/state-graph.js';
import { kernelCodec } from './kernel-state-codec.js';
import { MachineSnapshots, type MachineSnapshot } from '../../mmu/machine-snapshots.js';
import { Mmu } from '../../mmu/mmu.js';
import { captureState, restoreState, type CapturedState } from '../../mmu/object-state.js';
import { FrameAllocator } from '../../mmu/frame-allocator.js';
import { PhysicalMemory } from '../../mmu/physical-memory.js';
import { isPeImage } from '../image/pe-parser.js';
import type { Section } from '../records/section.js';
import { clientIdEntries } from '../objects/client-ids.js';
import { loaderHolds } from '../objects/module-list.js';
import type { Kernel } from './kernel.js';
import type { Process } from './process.js';

/** A snapshot taken by {@link Kernel.snapshot}: restore to it with {@link Kernel.restore}. */
export class KernelSnapshot {
  /** @internal Made by {@link Kernel.snapshot}. */
  constructor(
    /** @internal The machine's snapshot: RAM, frames, MMUs. */
    readonly machine: MachineSnapshot,
    /** @internal The kernel's records. */
    readonly records: CapturedState,
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
}

/** Objects a kernel's snapshot keeps by reference: the machine (snapshotted on its own), immutable images, attachments. */
function opaque(value: object): boolean {
  return value instanceof PhysicalMemory || value instanceof Mmu || value instanceof FrameAllocator || isPeImage(value);
}

const SKIP = new Set(['tracer', 'snapshotter']);

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
    const records = captureState(this.recordsRoot(), { opaque, skipFields: SKIP });
    const machine = this.machine.take();
    const snapshot = new KernelSnapshot(machine, records, new Set(processes), aslrBases, new Set(this.access.sections()));
    this.stack.push(snapshot);
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
    restoreState(snapshot.records);
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
    return { framesCopied, dropped, processesDropped: newProcesses.length };
  }

  /** Kernel.saveState: the machine's saved state nested in the kernel's, then the records' graph. */
  save(snapshot: KernelSnapshot | undefined, options: object): Uint8Array {
    if (snapshot !== undefined) this.requireOpen(snapshot);
    const kernel = this.kernel;
    const root = this.recordsRoot();
    const records = snapshot?.records ?? captureState(root, { opaque, skipFields: SKIP });
    const aslrBases = snapshot?.aslrBases ?? this.aslrBases();
    const machine = this.machine.save(snapshot?.machine);
    return writeSavedState('kernel', (out) => {
      out.string(JSON.stringify(options));
      out.varuint(machine.length);
      out.bytes(machine);
      encodeGraph(out, [{ ...root, aslrBases }], new StateView([records], SKIP), kernelCodec(kernel));
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
    const [loaded] = decodeGraph(input, [fresh], kernelCodec(kernel)) as [typeof fresh];
    if (input.remaining !== 0) throw new SavedStateError('corrupt', `the saved state is corrupt: ${input.remaining} bytes after its end`);
    if (!(loaded.aslrBases instanceof Map) || [...loaded.aslrBases].some(([section, base]) => !this.access.sections().includes(section) || typeof base !== 'number')) {
      throw new SavedStateError('corrupt', 'the saved state is corrupt: its ASLR bases are not those of live sections');
    }
    for (const [section, base] of loaded.aslrBases) this.access.setAslrBase(section, base);
    for (const section of this.access.sections()) if (section.image !== null) this.access.cacheImageSection(section);
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
  }

  private requireOpen(snapshot: KernelSnapshot): void {
    if (!(snapshot instanceof KernelSnapshot) || !this.stack.includes(snapshot)) {
      throw new InvalidArgumentError(snapshot instanceof KernelSnapshot && !snapshot.open ? 'the snapshot was dropped (a restore to an older one, or a discard)' : 'not an open snapshot of this kernel');
    }
  }
}
