/**
 * Runs one operation sequence against mmukit and the reference model side by
 * side. After every step: the outcomes agree (value, or error class with its
 * Win32 error and NTSTATUS, or exception record), verify() finds nothing, and
 * VirtualQuery and the bytes around the touched address agree. Every few steps
 * and at the end: every readable page of every process, the whole VirtualQuery
 * map, and the write markers of private memory. At the very end every process
 * exits and no frame or commit charge is left behind.
 *
 * Snapshots (issue 17): a `snapshot` step takes kernel.snapshot() and captures the model's whole
 * world with it (captureState: the model is plain objects, arrays, maps, sets and typed arrays) and
 * the harness's own bookkeeping (the pairs of processes, sections, threads and files, which only grow:
 * their lengths; what the CPUs run); a `restore` step puts both back, checks what the restore dropped
 * (newer snapshots, processes, threads, sections), then runs the full comparison.
 *
 * Saved states: a `saveLoad` step saves the kernel (kernel.saveState, of the current state or of an open
 * snapshot), loads the bytes into a new kernel (Kernel.loadState) and goes on there: every reference the
 * harness holds to a kernel object is re-mapped to the loaded kernel's (by pid, thread id, section id, handle
 * value, and the files through the loaded sections and file objects). The model is left as it is: a save
 * and a load change nothing it knows. The old kernel's snapshots do not come along (a loaded kernel has none
 * open), so the harness's list of them is emptied on both sides.
 */
import {
  FileObject,
  InvalidArgumentError,
  Kernel,
  KernelSnapshot,
  WindowsError,
  WindowsExceptionError,
  MEM_COMMIT,
  MEM_DECOMMIT,
  MEM_RELEASE,
  MEM_RESERVE,
  MEM_RESET,
  MEM_TOP_DOWN,
  MEM_WRITE_WATCH,
  MAP_PROCESS,
  PAGE_GUARD,
  PAGE_READONLY,
  PAGE_READWRITE,
  SEC_RESERVE,
  isNtSuccess,
  statusName,
  verify,
  type KernelObject,
  type MemoryBasicInformation,
  type Process,
  type Section,
  type Thread,
} from '../../src/index.js';
import { captureState, restoreState, type CapturedState } from '../../src/mmu/object-state.js';
import type { RunConfig } from './configs.js';
import { foreignMarkers, markers } from './markers.js';
import {
  CURRENT_PROCESS_HANDLE,
  CURRENT_THREAD_HANDLE,
  DUPLICATE_CLOSE_SOURCE,
  ERROR_INVALID_HANDLE,
  FILE_MAP_READ,
  FILE_MAP_WRITE,
  GENERIC_READ,
  HANDLE_FLAG_INHERIT,
  INVALID_HANDLE_VALUE,
  LOWEST_USER_ADDRESS,
  MEMORY_CLASS_BASIC,
  MEMORY_CLASS_IMAGE,
  MEMORY_CLASS_REGION,
  OBJ_INHERIT,
  PAGE,
  PROCESS_ALL_ACCESS,
  SECTION_ALL_ACCESS,
  STATUS_INVALID_HANDLE,
} from './model-constants.js';
import type { ModelAllocation } from './model-allocation.js';
import { loadModelImage, type ModelImage } from './model-image.js';
import { ModelMismatch } from './model-outcome.js';
import type { BaseChooser, ModelProcess, ModelRegion } from './model-process.js';
import { allows, isGuard, sectionGrantsProtection } from './model-protection.js';
import { ModelFileObject, type ModelObject, type ModelThread } from './model-handles.js';
import { ModelObjects, RIGHT_NEEDED } from './model-objects.js';
import { ModelFile, ModelSection } from './model-section.js';
import { ModelWorld, type SectionResolver } from './model-world.js';
import { PAST_THE_END, describeOp, type ClientRef, type ExitedCall, type HandleRef, type ImageName, type ObjectRef, type Op, type Where } from './ops.js';
import { describeOutcome, disagreement, kernelOutcome, modelOutcome, sameBytes, sameFields, sameNumber, sameResult, type Outcome } from './outcome.js';

/** Live processes a sequence may have at once (forks and spawns beyond are skipped). */
const MAX_LIVE = 5;
/** A full-state check every this many steps (and at the end). */
const FULL_CHECK_EVERY = 10;
/** Lines of history a failure shows. */
const HISTORY_SHOWN = 40;
/** Snapshots a sequence may have open at once (more are skipped). */
const MAX_SNAPSHOTS = 4;
/**
 * Whether the harness, as the caller owning the files' bytes, puts back itself the files no section
 * was over at a snapshot: docs/snapshots.md says a file the kernel first sees after a snapshot is the
 * caller's (its flushes stay), while the model puts every file back.
 */
const CALLER_RESTORES_UNMAPPED_FILES = true;

const hex = (n: number) => `0x${n.toString(16)}`;
/** Addresses exceed 32 bits: no bitwise operators on them. */
const alignDown4 = (address: number) => address - (address % 4);

const images = new Map<ImageName, ModelImage>();
/** The parsed fixtures: immutable, and their bytes are mmukit's too, so a capture of the model keeps them by reference. */
const fixtures = new WeakSet<object>();
/** The fixture, read once: mmukit keeps one image section per bytes object, so every load passes the same array. */
function image(name: ImageName): ModelImage {
  let found = images.get(name);
  if (found === undefined) {
    images.set(name, (found = loadModelImage(name)));
    fixtures.add(found);
  }
  return found;
}

/** A process on both sides. */
interface Pair {
  readonly model: ModelProcess;
  readonly kernel: Process;
}

/**
 * An open snapshot on both sides: mmukit's, the model's world captured with it, and the harness's
 * bookkeeping then (its lists only grow, so their lengths; the maps copied; what each CPU ran).
 */
interface SnapshotPair {
  readonly kernel: KernelSnapshot;
  readonly model: CapturedState;
  /** The step that took it. */
  readonly step: number;
  readonly pairs: number;
  readonly sections: number;
  readonly threads: number;
  readonly files: number;
  readonly paired: ReadonlyMap<Section | FileObject, ModelObject>;
  readonly imageFiles: ReadonlyMap<ImageName, { model: ModelFile; kernel: Uint8Array }>;
  /** The bytes of each file no section was over (CALLER_RESTORES_UNMAPPED_FILES). */
  readonly unmappedFiles: ReadonlyArray<readonly [Uint8Array, Uint8Array]>;
  readonly cpus: ReadonlyArray<{ readonly process: Process | null; readonly thread: Thread | null }>;
  /** The counters then (kernel.counters): a restore puts them back exactly. */
  readonly counters: string;
}

/** What a restore drops: objects made since the snapshot, on mmukit's side. */
interface MadeSince {
  readonly processes: Process[];
  readonly threads: Thread[];
  readonly sections: Section[];
}

/** Runs a model call on the process a memory op works on (through a process handle: as the handle lets it, model-objects.ts). */
type ModelCall = <T>(call: (process: ModelProcess) => T) => T;

/** What one step did, for the history and for the checks after it. */
interface Step {
  readonly index: number;
  readonly op: Op;
  notes: string[];
  /** Addresses the step touched, to check VirtualQuery and bytes around them. */
  touched: Array<{ pair: Pair; address: number }>;
}

/** Counters across sequences: for the summary CI prints, and how each kind of call ended (soak --stats). */
export const totals = {
  sequences: 0,
  steps: 0,
  outcomes: new Map<string, number>(),
  /** `saved`: kernel.saveState calls of saveLoad steps (`fromSnapshot` of them of an open snapshot); `loaded`: Kernel.loadState calls. */
  snapshots: { taken: 0, restored: 0, twice: 0, discarded: 0, processesDropped: 0, saved: 0, fromSnapshot: 0, loaded: 0 },
};

/** A failure with the step, the op, both outcomes and the history that led there. */
export class SequenceFailure extends Error {}

export class Harness {
  /** mmukit's kernel: the loaded one after a `saveLoad` step (the old one is dropped with its snapshots). */
  kernel: Kernel;
  readonly world: ModelWorld;
  private readonly objects: ModelObjects;
  private readonly pairs: Pair[] = [];
  /** Every data section made so far, on both sides, in the order the kernel's first appeared (by kernel.createSection, or in a handle table). */
  private readonly sections: Array<{ model: ModelSection; kernel: Section }> = [];
  /** The model's object behind each kernel object met in a handle table or made by createSection. */
  private readonly paired = new Map<Section | FileObject, ModelObject>();
  /** Every thread made so far (CreateRemoteThread), on both sides. */
  private readonly threads: Array<{ kernel: Thread; model: ModelThread }> = [];
  /** The files sections were made over: the kernel's array and the model's. */
  private readonly files: Array<{ model: ModelFile; kernel: Uint8Array }> = [];
  /** The images' files data sections were made over (the fixtures' bytes, never written): kept apart from {@link files}, which writable sections may pick. */
  private readonly imageFiles = new Map<ImageName, { model: ModelFile; kernel: Uint8Array }>();
  private readonly history: string[] = [];
  /** The open snapshots, oldest first (kernel.snapshots, with the model's side). Emptied by a `saveLoad` step: a loaded kernel has none. */
  private readonly snapshots: SnapshotPair[] = [];
  /**
   * The bytes mmukit is given for an image (kernel.loadImage, createImageSection, a data section over its file),
   * when they are not the fixture's: after a load, the copy the loaded kernel holds (its image-section cache
   * knows that array, not the fixture), so that an image keeps one section and one file on mmukit's side.
   */
  private readonly imageCopies = new Map<ModelImage, Uint8Array>();

  constructor(readonly config: RunConfig) {
    this.kernel = new Kernel(config.kernel);
    this.world = new ModelWorld(config.userTop, this.kernel.commitLimit);
    this.objects = new ModelObjects(this.world);
    this.spawn();
    this.spawn();
  }

  /** Runs `ops`, then tears everything down; throws {@link SequenceFailure} at the first disagreement. */
  run(ops: readonly Op[]): void {
    totals.sequences++;
    ops.forEach((op, index) => this.step(index, op));
    this.guard(() => 'the end of the sequence (final checks, every process exits)', () => this.finish());
  }

  private step(index: number, op: Op): void {
    totals.steps++;
    const step: Step = { index, op, notes: [], touched: [] };
    const line = () => `#${index} ${describeOp(op)} ${step.notes.join(' ')}`;
    this.guard(line, () => {
      this.apply(op, step);
      this.checkVerify();
      this.checkSnapshots();
      this.checkObjects(step);
      for (const { pair, address } of step.touched) this.checkAround(pair, address);
      if ((index + 1) % FULL_CHECK_EVERY === 0) this.checkEverything();
    });
    this.history.push(line());
  }

  /** Runs `action`; any failure becomes a {@link SequenceFailure} naming `where` and showing the history. */
  private guard(where: () => string, action: () => void): void {
    try {
      action();
    } catch (error) {
      const known = error instanceof SequenceFailure || error instanceof ModelMismatch;
      const reason = error instanceof Error ? (known ? error.message : `unexpected ${error.name}: ${error.message}\n${error.stack ?? ''}`) : String(error);
      const lines = [
        `model-based sequence failed on ${this.config.name} at ${where()}`,
        reason,
        `history (last ${HISTORY_SHOWN} steps):`,
        ...this.history.slice(-HISTORY_SHOWN).map((line) => `  ${line}`),
      ];
      throw new SequenceFailure(lines.join('\n'), { cause: error });
    }
  }

  // ------------------------------------------------------------------ operations

  private apply(op: Op, step: Step): void {
    switch (op.op) {
      case 'spawn':
        if (!this.roomForProcess()) return this.skip(step, 'process limit');
        this.spawn();
        return;
      case 'createSection':
        return this.createSection(op, step);
      case 'closeSection': {
        const section = this.pickSection(op.section);
        if (section === null) return this.skip(step, 'no section');
        this.compare(step, () => this.kernel.closeSection(section.kernel), () => this.world.closeSection(section.model));
        this.checkFiles();
        return;
      }
      case 'idle':
        this.kernel.idle(op.cpu % this.kernel.cpus.length);
        return;
      case 'exitThread':
      case 'runThread':
        return this.threadOp(op, step);
      case 'onExited':
        return this.onExited(op.call, step);
      case 'snapshot':
        return this.takeSnapshot(step);
      case 'restore':
        return this.restoreSnapshot(op, step);
      case 'discardSnapshot':
        return this.discardSnapshot(op, step);
      case 'saveLoad':
        return this.saveLoad(op, step);
      default:
        break;
    }
    const pair = this.pickLive(op.proc, preferredProcess(op));
    if (pair === null) return this.skip(step, 'no live process');
    const { model, kernel } = pair;
    step.notes.push(`pid ${kernel.pid}`);
    // A memory call through a process handle: `target` is where its addresses are (the process the
    // handle names, when it names a live one), `h` the handle (undefined: the plain call on `pair`),
    // `on` runs the model's call as the handle lets it.
    const { target, handle: h, on } = this.viaContext(pair, op, step);
    switch (op.op) {
      case 'alloc': {
        const address = op.where === null ? 0 : this.resolve(target, op.where, step);
        const type =
          {
            reserve: MEM_RESERVE,
            commit: MEM_COMMIT,
            'reserve+commit': MEM_RESERVE | MEM_COMMIT,
            'reserve+watch': MEM_RESERVE | MEM_WRITE_WATCH,
            'reserve+commit+watch': MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH,
            'commit+watch': MEM_COMMIT | MEM_WRITE_WATCH,
          }[op.type] | (op.topDown ? MEM_TOP_DOWN : 0);
        const actual = this.compare(
          step,
          () => (h === undefined ? kernel.virtualAlloc(address, op.bytes, type, op.protect) : kernel.virtualAllocEx(h, address, op.bytes, type, op.protect)),
          (kernelDid) => on((m) => m.virtualAlloc(address, op.bytes, type, op.protect, this.chooser(kernelDid, (base) => base))),
          sameNumber,
        );
        if (actual.kind === 'ok') step.touched.push({ pair: target, address: actual.value });
        return;
      }
      case 'reset': {
        const address = this.resolve(target, op.where, step);
        this.compare(
          step,
          () => (h === undefined ? kernel.virtualAlloc(address, op.bytes, MEM_RESET, PAGE_READWRITE) : kernel.virtualAllocEx(h, address, op.bytes, MEM_RESET, PAGE_READWRITE)),
          () => on((m) => m.reset(address, op.bytes)),
          sameNumber,
        );
        step.touched.push({ pair: target, address });
        return;
      }
      case 'protect':
      case 'ntProtect': {
        const address = this.resolve(target, op.where, step);
        if (op.op === 'protect') {
          this.compare(
            step,
            () => (h === undefined ? kernel.virtualProtect(address, op.bytes, op.protect) : kernel.virtualProtectEx(h, address, op.bytes, op.protect)),
            () => on((m) => m.virtualProtect(address, op.bytes, op.protect)),
            sameNumber,
          );
        } else this.compare(step, () => kernel.ntProtectVirtualMemory(address, op.bytes, op.protect, h), () => on((m) => m.ntProtectVirtualMemory(address, op.bytes, op.protect)), sameResult);
        step.touched.push({ pair: target, address });
        return;
      }
      case 'decommit':
      case 'release': {
        const address = this.resolve(target, op.where, step);
        const freeType = op.op === 'decommit' ? MEM_DECOMMIT : MEM_RELEASE;
        this.compare(
          step,
          () => (h === undefined ? kernel.virtualFree(address, op.bytes, freeType) : kernel.virtualFreeEx(h, address, op.bytes, freeType)),
          () => on((m) => m.virtualFree(address, op.bytes, freeType)),
        );
        step.touched.push({ pair: target, address });
        return;
      }
      case 'ntFree': {
        const address = this.resolve(target, op.where, step);
        this.compare(step, () => kernel.ntFreeVirtualMemory(address, op.bytes, op.freeType, h), () => on((m) => m.ntFreeVirtualMemory(address, op.bytes, op.freeType)), sameResult);
        step.touched.push({ pair: target, address }, { pair: target, address: address + op.bytes });
        return;
      }
      case 'ntAlloc': {
        const address = op.where === null ? 0 : this.resolve(target, op.where, step);
        const actual = this.compare(
          step,
          () => kernel.ntAllocateVirtualMemory(address, op.bytes, op.type, op.protect, op.zeroBits, h),
          (kernelDid) => on((m) => m.ntAllocateVirtualMemory(address, op.bytes, op.type, op.protect, op.zeroBits, this.chooser(kernelDid, succeeded))),
          sameResult,
        );
        step.touched.push({ pair: target, address: actual.kind === 'ok' ? actual.value.base : address });
        return;
      }
      case 'ntQuery': {
        // MemoryImageInformation: half the time in an image view, when there is one.
        const images = op.infoClass === MEMORY_CLASS_IMAGE && op.where.at === 'alloc' && op.where.index % 2 === 0;
        const address = this.resolve(target, op.where, step, images ? (a) => a.isImage : undefined);
        this.compare(step, () => kernel.ntQueryVirtualMemory(address, op.infoClass, h), () => on((m) => m.ntQueryVirtualMemory(address, op.infoClass)), sameResult);
        return;
      }
      case 'getWriteWatch': {
        const address = this.resolve(pair, op.where, step, (a) => a.watched);
        const maxCount = op.maxCount ?? Infinity;

        this.compare(step, () => kernel.getWriteWatch(address, op.bytes, op.flags, maxCount), () => model.getWriteWatch(address, op.bytes, op.flags, maxCount), sameList);
        return;
      }
      case 'resetWriteWatch': {
        const address = this.resolve(pair, op.where, step, (a) => a.watched);
        this.compare(step, () => kernel.resetWriteWatch(address, op.bytes), () => model.resetWriteWatch(address, op.bytes));
        return;
      }
      case 'access':
        return this.access(pair, op, step);
      case 'readMemory': {
        const address = this.resolve(target, op.where, step);
        this.compare(
          step,
          () => (h === undefined ? kernel.readMemory(address, op.bytes) : kernel.readProcessMemory(h, address, op.bytes)),
          () => on((m) => m.readMemory(address, op.bytes)),
          sameBytes,
        );
        step.touched.push({ pair: target, address });
        return;
      }
      case 'writeMemory': {
        const address = alignDown4(this.resolve(target, op.where, step));
        // The markers of the process written to: the isolation check reads them as its own writes.
        const data = markers(target.model, op.words);
        this.compare(step, () => (h === undefined ? kernel.writeMemory(address, data) : kernel.writeProcessMemory(h, address, data)), () => on((m) => m.writeMemory(address, data)));
        step.touched.push({ pair: target, address }, { pair: target, address: address + data.length - 1 });
        return;
      }
      case 'ntRead': {
        const address = this.resolve(target, op.where, step);
        // The buffer starts full of `fill`: past the prefix it must keep that (B100).
        const call = (read: (into: Uint8Array) => { status: number; bytes: number }) => {
          const into = new Uint8Array(op.bytes).fill(op.fill);
          const { status, bytes } = read(into);
          return { status, bytes, into };
        };
        this.compare(step, () => call((into) => kernel.ntReadVirtualMemory(address, into, h)), () => call((into) => on((m) => m.ntReadVirtualMemory(address, into))), sameTransfer);
        step.touched.push({ pair: target, address }, { pair: target, address: address + op.bytes - 1 });
        return;
      }
      case 'ntWrite': {
        const address = alignDown4(this.resolve(target, op.where, step));
        const data = markers(target.model, op.words);
        this.compare(step, () => kernel.ntWriteVirtualMemory(address, data, h), () => on((m) => m.ntWriteVirtualMemory(address, data)), sameFields);
        step.touched.push({ pair: target, address }, { pair: target, address: address + data.length - 1 });
        return;
      }
      case 'lock': {
        const address = this.resolve(pair, op.where, step);
        this.compare(step, () => kernel.virtualLock(address, op.bytes), () => model.virtualLock(address, op.bytes));
        step.touched.push({ pair, address });
        return;
      }
      case 'unlock': {
        // Mostly at a locked page, so that some unlocks succeed.
        const address = this.resolve(pair, op.where, step, (a) => a.locked.includes(true), (a, i) => a.locked[i]);
        this.compare(step, () => kernel.virtualUnlock(address, op.bytes), () => model.virtualUnlock(address, op.bytes));
        return;
      }
      case 'ntLock': {
        const address = this.resolve(target, op.where, step);
        this.compare(step, () => kernel.ntLockVirtualMemory(address, op.bytes, op.mapType, h), () => on((m) => m.ntLockVirtualMemory(address, op.bytes, op.mapType)), sameResult);
        step.touched.push({ pair: target, address });
        return;
      }
      case 'ntUnlock': {
        const address = this.resolve(target, op.where, step, (a) => a.locked.includes(true), (a, i) => a.locked[i]);
        this.compare(step, () => kernel.ntUnlockVirtualMemory(address, op.bytes, op.mapType, h), () => on((m) => m.ntUnlockVirtualMemory(address, op.bytes, op.mapType)), sameResult);
        return;
      }
      case 'query': {
        const address = this.resolve(target, op.where, step);
        this.compare(step, () => (h === undefined ? kernel.virtualQuery(address) : kernel.virtualQueryEx(h, address)), () => on((m) => m.virtualQuery(address)), sameRegion);
        return;
      }
      case 'fork': {
        if (!this.roomForProcess()) return this.skip(step, 'process limit');
        const actual = this.compare(
          step,
          () => kernel.fork(),
          (kernelDid) => this.world.fork(model, kernelDid.kind === 'ok' ? kernelDid.value.pid : -1),
          () => null,
        );
        if (actual.kind === 'ok') {
          this.pairs.push({ model: this.world.processes[this.world.processes.length - 1], kernel: actual.value });
          step.notes.push(`child pid ${actual.value.pid}`);
        }
        return;
      }
      case 'exit':
        kernel.exit();
        this.world.exit(model);
        this.checkFiles();
        return;
      case 'run': {
        const cpu = op.cpu % this.kernel.cpus.length;
        this.kernel.run(cpu, kernel);
        step.notes.push(`CPU ${cpu}`);
        return;
      }
      case 'map': {
        const section = this.sectionArgument(pair, op.section, step);
        if (section === null) return this.skip(step, 'no section');
        const address = op.where === null ? 0 : this.resolve(pair, op.where, step);
        const actual = this.compare(
          step,
          () => kernel.mapViewOfSection(section.kernel, { access: op.access, offset: op.offset, address }),
          (kernelDid) => this.world.mapView(model, section.model, op.access, op.offset, address, this.chooser(kernelDid, (base) => base)),
          sameNumber,
        );
        if (actual.kind === 'ok') step.touched.push({ pair, address: actual.value });
        return;
      }
      case 'unmap': {
        const address = this.resolve(pair, op.where, step);
        this.compare(step, () => kernel.unmapViewOfSection(address), () => this.world.unmapView(model, address));
        step.touched.push({ pair, address });
        this.checkFiles();
        return;
      }
      case 'flush':
      case 'ntFlush': {
        // Mostly at a dirty page of a file view, when there is one.
        const dirty = (a: ModelAllocation, i: number) => a.section!.file!.isDirty(a.firstPage + i);
        const address = this.resolve(target, op.where, step, (a) => isFileView(a) && a.protect.some((_, i) => dirty(a, i)), (a, i) => isFileView(a) && dirty(a, i));
        if (op.op === 'flush') this.compare(step, () => kernel.flushViewOfFile(address, op.bytes), () => this.world.flushViewOfFile(model, address, op.bytes), sameNumber);
        else this.compare(step, () => kernel.ntFlushVirtualMemory(address, op.bytes, h), () => on((m) => this.world.ntFlushVirtualMemory(m, address, op.bytes)), sameResult);
        this.checkFiles();
        return;
      }
      case 'ntMap':
        return this.ntMap(pair, op, step, target, h, on);
      case 'ntUnmap': {
        // Half the time inside a view, when there is one.
        const address = this.resolve(target, op.where, step, alternate(op.where, (a) => a.section !== null));
        this.compare(step, () => kernel.ntUnmapViewOfSection(address, h), () => on((m) => this.world.ntUnmapView(m, address)), sameNumber);
        step.touched.push({ pair: target, address });
        this.checkFiles();
        return;
      }
      case 'areSame': {
        // Half the time an image view first, and a view of the same file second.
        const address1 = this.resolve(pair, op.where, step, alternate(op.where, (a) => a.isImage));
        const first = model.find(address1);
        const sameFile = (a: ModelAllocation) => a.section !== null && first?.section != null && (a.section.image ?? a.section.file?.image ?? a.section.file) === (first.section.image ?? first.section.file);
        const address2 = this.resolve(pair, op.other, step, alternate(op.other, sameFile));
        this.compare(step, () => kernel.ntAreMappedFilesTheSame(address1, address2), () => this.world.ntAreMappedFilesTheSame(model, address1, address2), sameNumber);
        return;
      }
      case 'mapImage': {
        const file = image(op.image);
        const section = this.kernel.createImageSection(this.bytesOf(file));
        const address = op.where === null ? 0 : this.resolve(pair, op.where, step);
        const aslrBase = this.aslrBase(file, op.policy ?? this.kernel.relocationPolicy);
        if (aslrBase !== null) step.notes.push(`ASLR base ${hex(aslrBase)}`);
        const actual = this.compare(
          step,
          () => kernel.mapImageView(section, op.policy === null ? { address } : { address, policy: op.policy }),
          (kernelDid) => this.world.mapImageView(model, file, address, this.chooser(kernelDid, (view) => view.base), aslrBase),
          sameResult,
        );
        if (actual.kind === 'ok') this.touchImage(pair, file, actual.value.base, step);
        return;
      }
      case 'createFile': {
        const file = this.files.length > 0 ? this.files[op.file % this.files.length] : this.newFile(3 * PAGE, step);
        this.compare(step, () => kernel.createFile(file.kernel, op.access, op.inherit), () => this.objects.createFile(model, file.model, op.access, op.inherit), sameNumber);
        return;
      }
      case 'createFileMapping':
      case 'ntCreateSection': {
        const file = op.file === null ? INVALID_HANDLE_VALUE : this.handleValue(pair, op.file, step, 'file');
        const size = op.file === null ? op.pages * PAGE - op.tail : 0; // a file section is its file's size
        if (op.op === 'createFileMapping') {
          this.compare(step, () => kernel.createFileMapping(file, op.protect, size, op.name, op.inherit), () => this.objects.createFileMapping(model, file, op.protect, size, op.name, op.inherit), sameFields);
          return;
        }
        const args = { desiredAccess: op.access, protect: op.protect, attributes: op.attributes, maximumSize: size, file, objectAttributes: op.objectAttributes };
        this.compare(step, () => kernel.ntCreateSection({ ...args, ...(op.name === null ? {} : { name: op.name }) }), () => this.objects.ntCreateSection(model, { ...args, name: op.name }), sameResult);
        return;
      }
      case 'openFileMapping':
        this.compare(step, () => kernel.openFileMapping(op.access, op.inherit, op.name), () => this.objects.openFileMapping(model, op.access, op.inherit, op.name), sameNumber);
        return;
      case 'ntOpenSection':
        this.compare(step, () => kernel.ntOpenSection(op.access, op.name, op.objectAttributes), () => this.objects.ntOpenSection(model, op.access, op.name, op.objectAttributes), sameResult);
        return;
      case 'closeHandle':
      case 'ntClose': {
        const value = this.handleValue(pair, op.handle, step);
        if (op.op === 'closeHandle') this.compare(step, () => kernel.closeHandle(value), () => this.objects.closeHandle(model, value));
        else this.compare(step, () => kernel.ntClose(value), () => this.objects.ntClose(model, value), sameNumber);
        return;
      }
      case 'getHandleInformation': {
        const value = this.handleValue(pair, op.handle, step);
        this.compare(step, () => kernel.getHandleInformation(value), () => this.objects.getHandleInformation(model, value), sameNumber);
        return;
      }
      case 'setHandleInformation': {
        const value = this.handleValue(pair, op.handle, step);
        this.compare(step, () => kernel.setHandleInformation(value, op.mask, op.flags), () => this.objects.setHandleInformation(model, value, op.mask, op.flags));
        return;
      }
      case 'querySection': {
        const value = this.handleValue(pair, op.handle, step, 'section');
        this.compare(step, () => kernel.querySection(value), () => this.objects.querySection(model, value), sameFields);
        return;
      }
      case 'duplicateHandle':
        return this.duplicateHandle(pair, op, step);
      case 'openProcess':
      case 'openThread':
        return this.open(pair, op, step);
      case 'duplicateVia':
        return this.duplicateVia(pair, op, step);
      case 'createRemoteThread':
        return this.createRemoteThread(pair, op, step);
      case 'getId': {
        const value = this.objectValue(pair, op.handle, op.call === 'process' ? 'Process' : 'Thread', step);
        const calls = {
          process: [() => kernel.getProcessId(value), () => this.objects.getProcessId(model, value)],
          thread: [() => kernel.getThreadId(value), () => this.objects.getThreadId(model, value)],
          processOfThread: [() => kernel.getProcessIdOfThread(value), () => this.objects.getProcessIdOfThread(model, value)],
        } as const;
        const [onKernel, onModel] = calls[op.call];
        this.compare(step, onKernel, onModel, sameNumber);
        return;
      }
      case 'loadImage': {
        const file = image(op.image);
        const aslrBase = this.aslrBase(file, this.kernel.relocationPolicy);
        if (aslrBase !== null) step.notes.push(`ASLR base ${hex(aslrBase)}`);
        const actual = this.compare(
          step,
          () => {
            const loaded = kernel.loadImage(this.bytesOf(file));
            return { base: loaded.base, status: loaded.status };
          },
          (kernelDid) => this.world.loadImage(model, file, this.chooser(kernelDid, (loaded) => loaded.base), aslrBase),
          sameFields,
        );
        if (actual.kind === 'ok') this.touchImage(pair, file, actual.value.base, step);
        return;
      }
    }
  }

  /**
   * NtMapViewOfSection of a data section made so far, or of an image's section (a new one is the
   * image's one section, B97's ASLR base included).
   */
  private ntMap(pair: Pair, op: Extract<Op, { op: 'ntMap' }>, step: Step, target: Pair, h: number | undefined, on: ModelCall): void {
    const { kernel } = pair;
    const { op: _op, proc: _proc, section: _section, where, via: _via, ...args } = op; // the rest are the call's arguments
    const options = { ...args, address: where === null ? 0 : this.resolve(target, where, step) };
    // The section (or a section handle of the caller, which makes the call).
    let section: { kernel: Section | number; model: ModelSection | SectionResolver | { image: ModelImage; aslrBase: number | null } };
    if (typeof op.section !== 'string') {
      const made = this.sectionArgument(pair, op.section, step);
      if (made === null) return this.skip(step, 'no section');
      section = made;
    } else {
      const file = image(op.section);
      const aslrBase = this.aslrBase(file, this.kernel.relocationPolicy);
      if (aslrBase !== null) step.notes.push(`ASLR base ${hex(aslrBase)}`);
      section = { kernel: this.kernel.createImageSection(this.bytesOf(file)), model: { image: file, aslrBase } };
    }
    const actual = this.compare(
      step,
      () => kernel.ntMapViewOfSection(section.kernel, options, h),
      (kernelDid) => on((m) => this.world.ntMapView(m, section.model, options, this.chooser(kernelDid, succeeded))),
      sameResult,
    );
    if (actual.kind === 'ok' && isNtSuccess(actual.value.status)) step.touched.push({ pair: target, address: actual.value.base }, { pair: target, address: actual.value.base + actual.value.viewSize - 1 });
  }

  /** A view's section: the `index`-th made so far (null when there is none), or a handle of the process. */
  private sectionArgument(pair: Pair, section: number | HandleRef, step: Step): { kernel: Section | number; model: ModelSection | SectionResolver } | null {
    if (typeof section === 'number') return this.pickSection(section);
    const value = this.handleValue(pair, section, step, 'section');
    return { kernel: value, model: this.objects.resolver(pair.model, value) };
  }

  /** DuplicateHandle or NtDuplicateObject, into the process, another live one, an exited one or none. */
  private duplicateHandle(pair: Pair, op: Extract<Op, { op: 'duplicateHandle' }>, step: Step): void {
    const { model, kernel } = pair;
    const value = this.handleValue(pair, op.handle, step);
    const target =
      op.target === null ? null : op.target === 'self' ? pair : op.target === 'other' ? (this.pairs.find((p) => p.model.live && p !== pair) ?? pair) : this.pairs.find((p) => !p.model.live);
    if (target === undefined) return this.skip(step, 'no exited process');
    if (target !== null) step.notes.push(`into pid ${target.kernel.pid}`);
    if (this.objects.duplicateIsAmbiguous(model, value, target?.model ?? null, op.options, op.nt)) return this.skip(step, 'a handle error and a parameter error, which the documents do not order');
    if (op.nt) {
      const attributes = op.inherit ? OBJ_INHERIT : 0;
      this.compare(
        step,
        () => kernel.ntDuplicateObject(value, target?.kernel ?? null, op.access, attributes, op.options),
        () => this.objects.ntDuplicateObject(model, value, target?.model ?? null, op.access, attributes, op.options),
        sameResult,
      );
    } else {
      this.compare(
        step,
        () => kernel.duplicateHandle(value, target?.kernel ?? null, op.access, op.inherit, op.options),
        () => this.objects.duplicateHandle(model, value, target?.model ?? null, op.access, op.inherit ? HANDLE_FLAG_INHERIT : 0, op.options),
        sameNumber,
      );
    }
  }

  /** Where a memory op runs: on its process, or (`via`) through a process handle of it, on the process the handle names. */
  private viaContext(pair: Pair, op: Op, step: Step): { target: Pair; handle: number | undefined; on: ModelCall } {
    const via = 'via' in op ? op.via : undefined;
    if (via === undefined) return { target: pair, handle: undefined, on: (call) => call(pair.model) };
    const handle = this.objectValue(pair, via, 'Process', step);
    const named = this.objects.handleTarget(pair.model, handle, 0);
    const target = named === null ? pair : this.pairOf(named);
    if (named !== null) step.notes.push(`→ pid ${target.kernel.pid}`);
    const needed = rightNeeded(op);
    return { target, handle, on: (call) => this.objects.throughHandle(pair.model, handle, needed, call) };
  }

  private pairOf(process: ModelProcess): Pair {
    return this.pairs.find((p) => p.model === process)!;
  }

  /** The value an {@link ObjectRef} names in the process, for a call that takes a handle to a `type` object. */
  private objectValue(pair: Pair, ref: ObjectRef, type: 'Process' | 'Thread', step: Step): number {
    let value: number;
    if ('value' in ref) value = ref.value;
    else if ('pseudo' in ref) value = ref.pseudo === 'process' ? CURRENT_PROCESS_HANDLE : CURRENT_THREAD_HANDLE;
    else {
      const all = pair.model.handles.list();
      if ('of' in ref) {
        const typed = all.filter(([, h]) => h.object.objectType === type);
        const exited = typed.filter(([, h]) => isExited(h.object));
        const live = typed.filter(([, h]) => !isExited(h.object));
        const list = ref.exited ? (exited.length > 0 ? exited : typed) : live.length > 0 ? live : typed;
        value = list.length > 0 ? list[ref.of % list.length][0] : type === 'Process' ? CURRENT_PROCESS_HANDLE : CURRENT_THREAD_HANDLE;
      } else {
        const others = all.filter(([, h]) => h.object.objectType !== type);
        value = others.length > 0 ? others[ref.other % others.length][0] : 0x400;
      }
    }
    step.notes.push(`${type.toLowerCase()} handle ${hex(value)}`);
    return value;
  }

  /** The id a {@link ClientRef} names, for OpenProcess (`kind` 'Process') or OpenThread. */
  private clientId(ref: ClientRef, kind: 'Process' | 'Thread', step: Step): number {
    const of = (k: 'Process' | 'Thread') =>
      k === 'Process' ? this.world.processes.map((p) => ({ id: p.pid, exited: !p.live, held: p.handleCount > 0 })) : this.world.threads.map((t) => ({ id: t.tid, exited: t.exited, held: t.handleCount > 0 }));
    const pick = (list: Array<{ id: number }>, index: number) => (list.length > 0 ? list[index % list.length].id : this.world.unusedId);
    let id: number;
    if ('live' in ref) id = pick(of(kind).filter((o) => !o.exited), ref.live);
    else if ('exited' in ref) {
      const exited = of(kind).filter((o) => o.exited);
      const held = exited.filter((o) => o.held);
      id = pick(ref.exited % 2 === 0 && held.length > 0 ? held : exited, ref.exited);
    } else if ('other' in ref) id = pick(of(kind === 'Process' ? 'Thread' : 'Process'), ref.other);
    else if ('unused' in ref) id = this.world.unusedId + ref.unused;
    else id = ref.id;
    step.notes.push(`id ${id}`);
    return id;
  }

  /** OpenProcess / NtOpenProcess, OpenThread / NtOpenThread. */
  private open(pair: Pair, op: Extract<Op, { op: 'openProcess' | 'openThread' }>, step: Step): void {
    const { model, kernel } = pair;
    const processes = op.op === 'openProcess';
    const id = this.clientId(op.target, processes ? 'Process' : 'Thread', step);
    if (op.nt) {
      const attributes = op.inherit ? OBJ_INHERIT : 0;
      this.compare(
        step,
        () => (processes ? kernel.ntOpenProcess(op.access, id, attributes) : kernel.ntOpenThread(op.access, id, attributes)),
        () => (processes ? this.objects.ntOpenProcess(model, op.access, id, attributes) : this.objects.ntOpenThread(model, op.access, id, attributes)),
        sameResult,
      );
    } else {
      this.compare(
        step,
        () => (processes ? kernel.openProcess(op.access, op.inherit, id) : kernel.openThread(op.access, op.inherit, id)),
        () => (processes ? this.objects.openProcess(model, op.access, op.inherit, id) : this.objects.openThread(model, op.access, op.inherit, id)),
        sameNumber,
      );
    }
  }

  /** DuplicateHandle / NtDuplicateObject through process handles of the caller (source, target). */
  private duplicateVia(pair: Pair, op: Extract<Op, { op: 'duplicateVia' }>, step: Step): void {
    const { model, kernel } = pair;
    const source = this.objectValue(pair, op.source, 'Process', step);
    const target = op.target === null ? null : this.objectValue(pair, op.target, 'Process', step);
    // The handle is one of the source process's (the caller's when the source handle names no live process).
    const sourceProcess = this.pairOf(this.objects.handleTarget(model, source, 0) ?? model);
    const value = this.handleValue(sourceProcess, op.handle, step);
    if (this.objects.duplicateIsAmbiguous(model, value, target, op.options, op.nt, source)) return this.skip(step, 'a handle error and a parameter error, which the documents do not order');
    if (op.nt) {
      const attributes = op.inherit ? OBJ_INHERIT : 0;
      this.compare(
        step,
        () => kernel.ntDuplicateObject(value, target, op.access, attributes, op.options, source),
        () => this.objects.ntDuplicateObject(model, value, target, op.access, attributes, op.options, source),
        sameResult,
      );
    } else {
      this.compare(
        step,
        () => kernel.duplicateHandle(value, target, op.access, op.inherit, op.options, source),
        () => this.objects.duplicateHandle(model, value, target, op.access, op.inherit ? HANDLE_FLAG_INHERIT : 0, op.options, false, source),
        sameNumber,
      );
    }
  }

  /** CreateRemoteThread: the handle, the thread's id and its stack's base; the new thread is paired with the model's. */
  private createRemoteThread(pair: Pair, op: Extract<Op, { op: 'createRemoteThread' }>, step: Step): void {
    const { model, kernel } = pair;
    const value = this.objectValue(pair, op.handle, 'Process', step);
    const made: { thread?: Thread } = {};
    const actual = this.compare(
      step,
      () => {
        const { thread, handle } = kernel.createRemoteThread(value, {}, op.inherit);
        made.thread = thread;
        return { handle, tid: thread.id, stack: thread.deallocationStack };
      },
      (kernelDid) => {
        const { thread, handle } = this.objects.createRemoteThread(model, value, op.inherit, this.chooser(kernelDid, (v) => v.stack), () => (kernelDid.kind === 'ok' ? kernelDid.value.tid : -1));
        return { handle, tid: thread.tid, stack: thread.stack };
      },
      sameFields,
    );
    if (actual.kind !== 'ok' || made.thread === undefined) return;
    const { thread } = made;
    const modelThread = this.world.threads.find((t) => t.tid === actual.value.tid)!;
    this.threads.push({ kernel: thread, model: modelThread });
    const target = this.pairOf(modelThread.process);
    step.notes.push(`thread ${modelThread.tid} in pid ${target.kernel.pid}`);
    step.touched.push({ pair: target, address: modelThread.stack }, { pair: target, address: thread.stackBase - 1 }, { pair: target, address: thread.stackLimit - 1 });
  }

  /** A thread exits (its stack released), or runs on a CPU and becomes its process's current thread (the CPU then runs the process with no thread). */
  private threadOp(op: Extract<Op, { op: 'exitThread' | 'runThread' }>, step: Step): void {
    const live = this.threads.filter((t) => !t.model.exited);
    if (live.length === 0) return this.skip(step, 'no live thread');
    const { kernel, model } = live[op.thread % live.length];
    const pair = this.pairOf(model.process);
    step.notes.push(`thread ${model.tid} of pid ${pair.kernel.pid}`);
    if (op.op === 'exitThread') {
      kernel.exit();
      this.world.exitThread(model);
      step.touched.push({ pair, address: model.stack });
      return;
    }
    const cpu = op.cpu % this.kernel.cpus.length;
    this.kernel.runThread(cpu, kernel);
    this.kernel.run(cpu, pair.kernel); // no thread on the CPU: the harness's accesses never grow a stack (B59 is not modelled)
    model.process.currentThread = model;
    step.notes.push(`CPU ${cpu}`);
  }

  /** The value a {@link HandleRef} names: the `open`-th open handle of the process (of `kind` when it holds any), tag bits added; or the fixed value. */
  private handleValue(pair: Pair, ref: HandleRef, step: Step, kind?: 'section' | 'file'): number {
    let value: number;
    if ('value' in ref) value = ref.value;
    else {
      const all = pair.model.handles.list();
      const ofKind = all.filter(([, h]) => (h.object instanceof ModelSection) === (kind === 'section'));
      const handles = kind !== undefined && ofKind.length > 0 ? ofKind : all;
      value = (handles.length === 0 ? 4 * ((ref.open % 4) + 1) : handles[ref.open % handles.length][0]) + ref.tag;
    }
    step.notes.push(`handle ${hex(value)}`);
    return value;
  }

  /** Every page of an image mapped at `base`: to check VirtualQuery and the bytes there. */
  private touchImage(pair: Pair, file: ModelImage, base: number, step: Step): void {
    for (let page = 0; page < file.pageCount; page++) step.touched.push({ pair, address: base + page * PAGE });
  }

  private access(pair: Pair, op: Extract<Op, { op: 'access' }>, step: Step): void {
    const { model, kernel } = pair;
    const cpu = this.kernel.cpus[op.cpu % this.kernel.cpus.length];
    if (cpu.process !== kernel) this.kernel.run(cpu, kernel);
    let address = this.resolve(pair, op.where, step);
    const mmu = cpu.mmu;
    step.notes.push(`CPU ${cpu.index}`);
    if (op.kind === 'write') {
      address = alignDown4(address); // markers are 4-byte aligned
      const data = markers(model, op.width / 4);
      const view = new DataView(data.buffer);
      this.compare(
        step,
        () => {
          if (op.width === 8) mmu.write64(address, view.getBigUint64(0, true));
          else mmu.write32(address, view.getUint32(0, true));
          return data;
        },
        () => model.access(address, op.width, 'write', data),
        sameBytes,
      );
    } else {
      const read = (): Uint8Array => {
        const out = new DataView(new ArrayBuffer(op.width));
        if (op.kind === 'execute') {
          if (op.width === 1) out.setUint8(0, mmu.fetch8(address));
          else if (op.width === 2) out.setUint16(0, mmu.fetch16(address), true);
          else out.setUint32(0, mmu.fetch32(address), true);
        } else if (op.width === 1) out.setUint8(0, mmu.read8(address));
        else if (op.width === 2) out.setUint16(0, mmu.read16(address), true);
        else if (op.width === 4) out.setUint32(0, mmu.read32(address), true);
        else out.setBigUint64(0, mmu.read64(address), true);
        return new Uint8Array(out.buffer);
      };
      this.compare(step, read, () => model.access(address, op.width, op.kind), sameBytes);
    }
    step.touched.push({ pair, address }, { pair, address: address + op.width - 1 });
  }

  private createSection(op: Extract<Op, { op: 'createSection' }>, step: Step): void {
    const size = op.pages * PAGE - op.tail;
    let file: { model: ModelFile; kernel: Uint8Array } | null = null;
    if (op.backing === 'file' && op.image !== undefined) {
      // The fixture's bytes are every sequence's: nothing may write them (no view can write shared through this section).
      if (sectionGrantsProtection(op.protect, PAGE_READWRITE)) return this.skip(step, "a writable section over an image's file");
      file = this.imageFile(op.image);
      step.notes.push(`over ${op.image}'s file`);
    } else if (op.backing === 'file' && op.file !== undefined && this.files.length > 0) {
      file = this.files[op.file % this.files.length];
      step.notes.push(`over file #${op.file % this.files.length}`);
    } else if (op.backing === 'file') {
      file = this.newFile(size, step);
    }
    const actual = this.compare(
      step,
      () =>
        file === null
          ? this.kernel.createSection({ size, protect: op.protect, attributes: op.backing === 'reserve' ? SEC_RESERVE : 0 })
          : this.kernel.createSection({ protect: op.protect, file: file.kernel }),
      () => this.world.createSection(op.backing, size, op.protect, file?.model ?? null),
      () => null,
    );
    if (actual.kind === 'ok') this.pairSection(actual.value, this.world.sections[this.world.sections.length - 1], step);
  }

  /** A new file of `size` bytes, on both sides. */
  private newFile(size: number, step: Step): { model: ModelFile; kernel: Uint8Array } {
    const salt = this.sections.length + this.files.length * 5;
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) bytes[i] = (i * 131 + salt * 29 + 7) & 0xff;
    const file = { kernel: bytes, model: new ModelFile(bytes.slice()) };
    this.files.push(file);
    step.notes.push(`new file #${this.files.length - 1}`);
    return file;
  }

  /** The file of an image's fixture, on both sides (the model's a copy of it that knows its image). */
  private imageFile(name: ImageName): { model: ModelFile; kernel: Uint8Array } {
    let file = this.imageFiles.get(name);
    if (file === undefined) {
      const fixture = image(name);
      this.imageFiles.set(name, (file = { kernel: this.bytesOf(fixture), model: new ModelFile(fixture.bytes.slice(), fixture) }));
    }
    return file;
  }

  /** A call on a process that has exited: every one fails with ERROR_INVALID_HANDLE (B22). */
  private onExited(call: ExitedCall, step: Step): void {
    // One of the kernel in use when there is one: after a load, an exited process no handle held is the old kernel's object.
    const exited = this.pairs.filter((p) => !p.model.live);
    const pair = exited.find((p) => p.kernel.kernel === this.kernel) ?? exited[0];
    if (pair === undefined) return this.skip(step, 'no exited process');
    const { model, kernel } = pair;
    const anywhere: BaseChooser = () => LOWEST_USER_ADDRESS;
    step.notes.push(`pid ${kernel.pid} (exited)`);
    switch (call) {
      case 'alloc':
        this.compare(step, () => kernel.virtualAlloc(0, PAGE, MEM_COMMIT, PAGE_READWRITE), () => model.virtualAlloc(0, PAGE, MEM_COMMIT, PAGE_READWRITE, anywhere), sameNumber);
        return;
      case 'query':
        this.compare(step, () => kernel.virtualQuery(LOWEST_USER_ADDRESS), () => model.virtualQuery(LOWEST_USER_ADDRESS), sameRegion);
        return;
      case 'protect':
        this.compare(step, () => kernel.virtualProtect(LOWEST_USER_ADDRESS, PAGE, PAGE_READWRITE), () => model.virtualProtect(LOWEST_USER_ADDRESS, PAGE, PAGE_READWRITE), sameNumber);
        return;
      case 'readMemory':
        this.compare(step, () => kernel.readMemory(LOWEST_USER_ADDRESS, 4), () => model.readMemory(LOWEST_USER_ADDRESS, 4), sameBytes);
        return;
      case 'map': {
        const section = this.pickSection(0);
        if (section === null) return this.skip(step, 'no section');
        this.compare(step, () => kernel.mapViewOfSection(section.kernel, { access: 0 }), () => this.world.mapView(model, section.model, 0, 0, 0, anywhere), sameNumber);
        return;
      }
      case 'fork':
        this.compare(step, () => kernel.fork(), () => this.world.fork(model, -1), () => null);
        return;
      case 'loadImage': {
        const file = image('few32.dll');
        this.compare(step, () => kernel.loadImage(this.bytesOf(file)).base, () => this.world.loadImage(model, file, anywhere).base, sameNumber);
        return;
      }
      case 'run':
        this.compare(step, () => this.kernel.run(0, kernel), () => model.requireLive(), () => null);
        return;
      case 'ntAlloc':
        this.compare(
          step,
          () => kernel.ntAllocateVirtualMemory(0, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
          () => model.ntAllocateVirtualMemory(0, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE, 0, anywhere),
          sameResult,
        );
        return;
      case 'ntProtect':
        this.compare(step, () => kernel.ntProtectVirtualMemory(LOWEST_USER_ADDRESS, PAGE, PAGE_READWRITE), () => model.ntProtectVirtualMemory(LOWEST_USER_ADDRESS, PAGE, PAGE_READWRITE), sameResult);
        return;
      case 'ntQuery':
        this.compare(step, () => kernel.ntQueryVirtualMemory(LOWEST_USER_ADDRESS, MEMORY_CLASS_REGION), () => model.ntQueryVirtualMemory(LOWEST_USER_ADDRESS, MEMORY_CLASS_REGION), sameResult);
        return;
      case 'flush':
        this.compare(step, () => kernel.flushViewOfFile(LOWEST_USER_ADDRESS), () => this.world.flushViewOfFile(model, LOWEST_USER_ADDRESS, 0), sameNumber);
        return;
      case 'mapImage': {
        const file = image('few32.dll');
        const section = this.kernel.createImageSection(this.bytesOf(file));
        this.compare(step, () => kernel.mapImageView(section), () => this.world.mapImageView(model, file, 0, anywhere, null), sameResult);
        return;
      }
      case 'ntMap': {
        const section = this.pickSection(0);
        if (section === null) return this.skip(step, 'no section');
        const args = { protect: PAGE_READWRITE, address: 0, zeroBits: 0, commitSize: 0, offset: 0, viewSize: 0, inheritDisposition: 1, allocationType: 0 };
        this.compare(step, () => kernel.ntMapViewOfSection(section.kernel, { protect: PAGE_READWRITE }), () => this.world.ntMapView(model, section.model, args, anywhere), sameResult);
        return;
      }
      case 'ntUnmap':
        this.compare(step, () => kernel.ntUnmapViewOfSection(LOWEST_USER_ADDRESS), () => this.world.ntUnmapView(model, LOWEST_USER_ADDRESS), sameNumber);
        return;
      case 'ntLock':
      case 'ntUnlock':
        this.compare(
          step,
          () => (call === 'ntLock' ? kernel.ntLockVirtualMemory(LOWEST_USER_ADDRESS, PAGE, MAP_PROCESS) : kernel.ntUnlockVirtualMemory(LOWEST_USER_ADDRESS, PAGE, MAP_PROCESS)),
          () => (call === 'ntLock' ? model.ntLockVirtualMemory(LOWEST_USER_ADDRESS, PAGE, MAP_PROCESS) : model.ntUnlockVirtualMemory(LOWEST_USER_ADDRESS, PAGE, MAP_PROCESS)),
          sameResult,
        );
        return;
      case 'ntFlush':
        this.compare(step, () => kernel.ntFlushVirtualMemory(LOWEST_USER_ADDRESS, 0), () => this.world.ntFlushVirtualMemory(model, LOWEST_USER_ADDRESS, 0), sameResult);
        return;
      case 'areSame':
        this.compare(step, () => kernel.ntAreMappedFilesTheSame(LOWEST_USER_ADDRESS, LOWEST_USER_ADDRESS), () => this.world.ntAreMappedFilesTheSame(model, LOWEST_USER_ADDRESS, LOWEST_USER_ADDRESS), sameNumber);
        return;
      // Handles: the process's table was closed with it, so 4 is no handle either way.
      case 'createFile':
        this.compare(step, () => kernel.createFile(new Uint8Array(PAGE), GENERIC_READ), () => this.objects.createFile(model, new ModelFile(new Uint8Array(PAGE)), GENERIC_READ, false), sameNumber);
        return;
      case 'createFileMapping':
        this.compare(step, () => kernel.createFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, PAGE, 'map'), () => this.objects.createFileMapping(model, INVALID_HANDLE_VALUE, PAGE_READWRITE, PAGE, 'map', false), sameFields);
        return;
      case 'ntCreateSection': {
        const args = { desiredAccess: SECTION_ALL_ACCESS, protect: PAGE_READWRITE, attributes: 0, maximumSize: PAGE, file: INVALID_HANDLE_VALUE, objectAttributes: 0 };
        this.compare(step, () => kernel.ntCreateSection(args), () => this.objects.ntCreateSection(model, { ...args, name: null }), sameResult);
        return;
      }
      case 'openFileMapping':
        this.compare(step, () => kernel.openFileMapping(FILE_MAP_READ, false, 'map'), () => this.objects.openFileMapping(model, FILE_MAP_READ, false, 'map'), sameNumber);
        return;
      case 'ntOpenSection':
        this.compare(step, () => kernel.ntOpenSection(FILE_MAP_READ, 'map'), () => this.objects.ntOpenSection(model, FILE_MAP_READ, 'map', 0), sameResult);
        return;
      case 'closeHandle':
        this.compare(step, () => kernel.closeHandle(4), () => this.objects.closeHandle(model, 4));
        return;
      case 'ntClose':
        this.compare(step, () => kernel.ntClose(4), () => this.objects.ntClose(model, 4), sameNumber);
        return;
      case 'duplicateHandle':
        this.compare(step, () => kernel.duplicateHandle(4, null, 0, false, DUPLICATE_CLOSE_SOURCE), () => this.objects.duplicateHandle(model, 4, null, 0, 0, DUPLICATE_CLOSE_SOURCE), sameNumber);
        return;
      case 'getHandleInformation':
        this.compare(step, () => kernel.getHandleInformation(4), () => this.objects.getHandleInformation(model, 4), sameNumber);
        return;
      case 'querySection':
        this.compare(step, () => kernel.querySection(4), () => this.objects.querySection(model, 4), sameFields);
        return;
      case 'openProcess':
        this.compare(step, () => kernel.openProcess(PROCESS_ALL_ACCESS, false, kernel.pid), () => this.objects.openProcess(model, PROCESS_ALL_ACCESS, false, model.pid), sameNumber);
        return;
      case 'ntOpenProcess':
        this.compare(step, () => kernel.ntOpenProcess(PROCESS_ALL_ACCESS, kernel.pid), () => this.objects.ntOpenProcess(model, PROCESS_ALL_ACCESS, model.pid, 0), sameResult);
        return;
      case 'allocEx':
        this.compare(
          step,
          () => kernel.virtualAllocEx(CURRENT_PROCESS_HANDLE, 0, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
          () => this.objects.throughHandle(model, CURRENT_PROCESS_HANDLE, RIGHT_NEEDED.alloc, (m) => m.virtualAlloc(0, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE, anywhere)),
          sameNumber,
        );
        return;
      case 'ntAllocEx':
        this.compare(
          step,
          () => kernel.ntAllocateVirtualMemory(0, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE, 0, CURRENT_PROCESS_HANDLE),
          () => this.objects.throughHandle(model, CURRENT_PROCESS_HANDLE, RIGHT_NEEDED.alloc, (m) => m.ntAllocateVirtualMemory(0, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE, 0, anywhere)),
          sameResult,
        );
        return;
      case 'createRemoteThread':
        this.compare(
          step,
          () => kernel.createRemoteThread(CURRENT_PROCESS_HANDLE).handle,
          () => this.objects.createRemoteThread(model, CURRENT_PROCESS_HANDLE, false, anywhere, () => -1).handle,
          sameNumber,
        );
        return;
    }
  }

  // ------------------------------------------------------------------ comparing

  /**
   * Runs the call on mmukit, then on the model (which may look at what mmukit
   * did, to accept a place it chose), and throws unless they agree.
   */
  private compare<K, M>(step: Step, onKernel: () => K, onModel: (kernelDid: Outcome<K>) => M, sameValue: (a: K, b: M) => string | null = () => null): Outcome<K> {
    const actual = kernelOutcome(onKernel);
    const expected = modelOutcome(() => onModel(actual));
    const why = disagreement<unknown>(actual, expected, (a, b) => sameValue(a as K, b as M));
    step.notes.push(`→ ${describeOutcome(actual)}`);
    const key = outcomeKey(step.op, actual);
    totals.outcomes.set(key, (totals.outcomes.get(key) ?? 0) + 1);
    if (why !== null) {
      throw new SequenceFailure(`mmukit and the model disagree (${why}):\n  mmukit: ${describeOutcome(actual)}\n  model:  ${describeOutcome(expected)}`);
    }
    return actual;
  }

  /**
   * Under the ASLR policy (the kernel's, or a call's), the system-wide base mmukit gives an eligible image
   * (chosen once, B97): like any place the kernel picks, the model takes it and
   * checks only that it is valid. Null when the image is loaded without ASLR.
   */
  private aslrBase(file: ModelImage, policy: 'private' | 'aslr'): number | null {
    if (policy !== 'aslr' || !file.aslrEligible) return null;
    return this.kernel.aslrBaseFor(this.kernel.createImageSection(this.bytesOf(file)));
  }

  /** A {@link BaseChooser} that answers with the place mmukit chose (the model then checks it is a valid one). */
  private chooser<T>(kernelDid: Outcome<T>, baseOf: (value: T) => number): BaseChooser {
    return (length) => {
      if (kernelDid.kind !== 'ok') throw new ModelMismatch(`mmukit failed (${describeOutcome(kernelDid)}), but the model finds room for 0x${length.toString(16)} bytes`);
      return baseOf(kernelDid.value);
    };
  }

  // ------------------------------------------------------------------ checks

  private checkVerify(): void {
    const problems = verify(this.kernel);
    if (problems.length > 0) throw new SequenceFailure(`verify() found ${problems.length} problem(s):\n${problems.map((p) => `  ${p.kind}: ${p.message}`).join('\n')}`);
  }

  /** VirtualQuery at `address` and at its allocation's base, and the bytes of its page, on both sides. */
  private checkAround(pair: Pair, address: number): void {
    if (!pair.model.live || address < 0 || address >= this.config.userTop) return;
    this.checkQuery(pair, address);
    const allocation = pair.model.find(address);
    if (allocation === undefined) return;
    this.checkQuery(pair, allocation.base);
    this.checkPage(pair, Math.floor(address / PAGE) * PAGE);
  }

  private checkQuery(pair: Pair, address: number): ModelRegion {
    const expected = pair.model.virtualQuery(address);
    const actual = pair.kernel.virtualQuery(address);
    const why = sameRegion(actual, expected);
    if (why !== null) throw new SequenceFailure(`VirtualQuery(${hex(address)}) in pid ${pair.kernel.pid} disagrees: ${why}`);
    return expected;
  }

  /** The bytes of a page the model says is readable without side effects (committed, accessible, not a guard page). */
  private checkPage(pair: Pair, page: number): Uint8Array | null {
    const allocation = pair.model.find(page)!;
    const i = allocation.pageIndex(page);
    const protect = allocation.protect[i];
    if (!allocation.isCommitted(i) || isGuard(protect) || !allows(protect, 'read')) return null;
    const actual = pair.kernel.readMemory(page, PAGE);
    const why = sameBytes(actual, allocation.read(i));
    if (why !== null) throw new SequenceFailure(`page ${hex(page)} of pid ${pair.kernel.pid} holds other bytes than the model: ${why}`);
    return actual;
  }

  /** Every file holds what the model's does (they change on a flush, or when the last section over one goes). */
  private checkFiles(): void {
    this.files.forEach((file, i) => {
      const why = sameBytes(file.kernel, file.model.data);
      if (why !== null) throw new SequenceFailure(`file #${i} holds other bytes than the model's: ${why}`);
    });
    for (const [name, file] of this.imageFiles) {
      const why = sameBytes(file.kernel, file.model.data);
      if (why !== null) throw new SequenceFailure(`${name}'s file holds other bytes than the model's: ${why}`);
    }
  }

  /** A kernel section met for the first time, and the model's: one section from now on. */
  private pairSection(kernel: Section, model: ModelSection, step: Step): void {
    this.paired.set(kernel, model);
    this.sections.push({ kernel, model });
    step.notes.push(`section #${this.sections.length - 1}`);
  }

  /**
   * The objects on both sides (docs/kernel.md, "Handles and named sections"): every live process's
   * handle table (value → the same section or file object, access, attributes), the names, and the
   * live data sections (kernel.sections(), image sections aside: the harness holds those); and the
   * files, which a section destroyed with its last handle writes back.
   */
  private checkObjects(step: Step): void {
    for (const pair of this.pairs) {
      if (!pair.model.live) continue;
      const expected = pair.model.handles.list();
      const actual = [...pair.kernel.handles.entries()];
      const values = (list: Array<[number, unknown]>) => list.map(([value]) => hex(value)).join(', ');
      if (values(actual) !== values(expected)) throw new SequenceFailure(`pid ${pair.kernel.pid} holds handles [${values(actual)}], the model [${values(expected)}]`);
      actual.forEach(([value, entry], i) => {
        const handle = expected[i][1];
        const why = [
          this.sameObject(entry.object, handle.object, step),
          entry.access !== handle.access ? `access ${hex(entry.access)} ≠ ${hex(handle.access)}` : null,
          entry.attributes !== handle.attributes ? `attributes ${hex(entry.attributes)} ≠ ${hex(handle.attributes)}` : null,
        ].filter((w) => w !== null);
        if (why.length > 0) throw new SequenceFailure(`handle ${hex(value)} of pid ${pair.kernel.pid} differs from the model's: ${why.join('; ')}`);
      });
    }
    // Process and thread objects: their handle counts (an exited one is known by its id while one is open), and each process's live threads.
    for (const pair of this.pairs) {
      if (pair.kernel.handleCount !== pair.model.handleCount) throw new SequenceFailure(`pid ${pair.kernel.pid} has ${pair.kernel.handleCount} handle(s) to it, the model ${pair.model.handleCount}`);
      const threads = (ids: number[]) => ids.join(', ');
      const [actualThreads, expectedThreads] = [threads(pair.kernel.threads().map((t) => t.id)), threads(pair.model.threads.filter((t) => !t.exited).map((t) => t.tid))];
      if (actualThreads !== expectedThreads) throw new SequenceFailure(`pid ${pair.kernel.pid} runs threads [${actualThreads}], the model [${expectedThreads}]`);
    }
    for (const { kernel, model } of this.threads) {
      if (kernel.handleCount !== model.handleCount || kernel.exited !== model.exited) {
        throw new SequenceFailure(`thread ${kernel.id}: ${kernel.handleCount} handle(s), exited ${kernel.exited}; the model ${model.handleCount}, ${model.exited}`);
      }
    }
    const live = this.kernel.sections().filter((section) => section.image === null);
    const unknown = live.filter((section) => !this.paired.has(section));
    if (unknown.length > 0) throw new SequenceFailure(`the kernel holds ${unknown.length} data section(s) the model never saw (a leak?)`);
    const index = (section: ModelSection) => `#${this.sections.findIndex((p) => p.model === section)}`;
    const show = (sections: ModelSection[]) => sections.map(index).sort().join(', ') || 'none';
    const [actualLive, expectedLive] = [show(live.map((section) => this.paired.get(section) as ModelSection)), show(this.world.sections.filter((section) => section.alive))];
    if (actualLive !== expectedLive) throw new SequenceFailure(`live data sections: mmukit ${actualLive}, the model ${expectedLive}`);
    const names = (list: Array<[string, ModelSection]>) => list.map(([name, section]) => `${name} → ${index(section)}`).sort().join(', ');
    const actualNames = names(live.flatMap((section): Array<[string, ModelSection]> => (section.name === null ? [] : [[section.name, this.paired.get(section) as ModelSection]])));
    const expectedNames = names([...this.world.names]);
    if (actualNames !== expectedNames) throw new SequenceFailure(`names: mmukit [${actualNames}], the model [${expectedNames}]`);
    this.checkFiles();
  }

  /**
   * Why the kernel's object is not the model's (null when it is): a process is the pair's (so the
   * same pid), a thread the one CreateRemoteThread made on both sides; a section or a file met for
   * the first time is paired.
   */
  private sameObject(kernel: KernelObject, model: ModelObject, step: Step): string | null {
    if (kernel.objectType !== model.objectType) return `a ${kernel.objectType} where the model has a ${model.objectType}`;
    if (kernel.objectType === 'Process') return this.pairs.find((p) => p.kernel === kernel)?.model === model ? null : `process ${kernel.pid}, the model's ${(model as ModelProcess).pid}`;
    if (kernel.objectType === 'Thread') return this.threads.find((t) => t.kernel === kernel)?.model === model ? null : `thread ${kernel.id}, the model's ${(model as ModelThread).tid}`;
    const known = this.paired.get(kernel);
    if (known === undefined) {
      if ([...this.paired.values()].includes(model)) return 'a new kernel object where the model has one met before';
      if (kernel instanceof FileObject !== model instanceof ModelFileObject) return 'objects of different types';
      if (model instanceof ModelSection) this.pairSection(kernel as Section, model, step);
      else this.paired.set(kernel, model);
      return null;
    }
    return known === model ? null : 'another object than the model\'s';
  }

  /** Every live process: the whole VirtualQuery map, every readable page, no foreign marker in private memory, and every file. */
  checkEverything(): void {
    this.checkFiles();
    const committed = this.world.committed();
    if (this.kernel.committed !== committed) throw new SequenceFailure(`the kernel counts ${this.kernel.committed} page(s) of commit, the model ${committed}`);
    for (const pair of this.pairs) {
      if (!pair.model.live) continue;
      for (let address = 0; address < this.config.userTop; ) {
        const region = this.checkQuery(pair, address);
        address = region.baseAddress + region.regionSize;
      }
      for (const allocation of pair.model.allocations) {
        for (let i = 0; i < allocation.pageCount; i++) {
          const page = allocation.base + i * PAGE;
          const bytes = this.checkPage(pair, page);
          if (bytes === null || !allocation.isPrivate) continue;
          const foreign = foreignMarkers(pair.model, bytes, page);
          if (foreign.length > 0) throw new SequenceFailure(`private memory holds another process's writes: ${foreign.slice(0, 4).join('; ')}`);
        }
      }
    }
  }

  /**
   * Checks everything, then ends every process and closes every section: nothing may be left. With a
   * snapshot open, the oldest then comes back (every process and section it saw, though all ended
   * since), is checked whole, and everything ends again.
   */
  private finish(): void {
    this.checkEverything();
    this.tearDown();
    if (this.snapshots.length === 0) return;
    const step: Step = { index: -1, op: { op: 'restore', snapshot: 0, twice: false }, notes: [], touched: [] };
    this.restoreTo(0, step);
    this.checkVerify();
    this.checkSnapshots();
    this.checkObjects(step);
    this.checkEverything();
    this.kernel.discardSnapshot(this.snapshots[0].kernel);
    this.snapshots.length = 0;
    this.checkSnapshots();
    this.tearDown();
  }

  /** Every process exits and every section is closed, on both sides: no name, frame, commit or section may be left. */
  private tearDown(): void {
    for (const pair of this.pairs) {
      if (!pair.model.live) continue;
      pair.kernel.exit();
      this.world.exit(pair.model);
    }
    if (this.kernel.sections().some((section) => section.name !== null) || this.world.names.size > 0) throw new SequenceFailure('a name outlived every handle (B72)');
    for (const section of this.kernel.sections()) if (section.open) this.kernel.closeSection(section);
    for (const section of this.world.sections) if (section.creator) this.world.closeSection(section);
    this.checkFiles();
    this.checkVerify();
    const leftovers = [
      this.kernel.usedFrames !== 0 ? `${this.kernel.usedFrames} frame(s) still in use` : '',
      this.kernel.committed !== 0 ? `${this.kernel.committed} page(s) still committed` : '',
      this.kernel.sections().length !== 0 ? `${this.kernel.sections().length} section(s) still alive` : '',
    ].filter((s) => s !== '');
    if (leftovers.length > 0) throw new SequenceFailure(`after every process exited and every section closed: ${leftovers.join(', ')}`);
  }

  // ------------------------------------------------------------------ snapshots

  /** What a capture of the model holds: the world (processes, sections, names, ids) and every file the harness made, mapped or not. */
  private modelRoot(): object {
    return { world: this.world, files: this.files.map((f) => f.model), imageFiles: [...this.imageFiles.values()].map((f) => f.model) };
  }

  /** kernel.snapshot(), and the model's world and the harness's bookkeeping with it. */
  private takeSnapshot(step: Step): void {
    if (this.snapshots.length >= MAX_SNAPSHOTS) return this.skip(step, `${MAX_SNAPSHOTS} snapshots open`);
    const kernel = this.kernel.snapshot();
    totals.snapshots.taken++;
    this.snapshots.push({
      kernel,
      model: captureState(this.modelRoot(), { opaque: (value) => fixtures.has(value) }),
      step: step.index,
      pairs: this.pairs.length,
      sections: this.sections.length,
      threads: this.threads.length,
      files: this.files.length,
      paired: new Map(this.paired),
      imageFiles: new Map(this.imageFiles),
      unmappedFiles: CALLER_RESTORES_UNMAPPED_FILES ? this.files.filter((f) => f.model.sections.size === 0).map((f) => [f.kernel, f.kernel.slice()] as const) : [],
      cpus: this.kernel.cpus.map((cpu) => ({ process: cpu.process, thread: cpu.thread })),
      counters: this.counters(),
    });
    step.notes.push(`level ${kernel.level}`);
    if (kernel.level !== this.snapshots.length - 1 || !kernel.open) throw new SequenceFailure(`the new snapshot has level ${kernel.level} (open ${kernel.open}); ${this.snapshots.length - 1} were open before`);
  }

  /** What a restore puts back (and a load brings along) besides the records the model checks: the kernel's statistics, commit and frames, every MMU's cycles and statistics (TLBs, walks, faults). */
  private counters(kernel = this.kernel): string {
    return JSON.stringify({
      stats: kernel.stats,
      committed: kernel.committed,
      usedFrames: kernel.usedFrames,
      cpus: kernel.cpus.map((cpu) => ({ cycles: cpu.mmu.cycles, stats: cpu.mmu.stats() })),
    });
  }

  /** The open snapshot an op names: the newest for -1, else `index` modulo how many are open. */
  private snapshotIndex(index: number): number {
    return index < 0 ? this.snapshots.length - 1 : index % this.snapshots.length;
  }

  /**
   * kernel.restore and the model's world put back. `twice`: then mmukit alone changes (the model
   * does not), and the same snapshot is restored again: the full comparison runs after each.
   */
  private restoreSnapshot(op: Extract<Op, { op: 'restore' }>, step: Step): void {
    if (this.snapshots.length === 0) return this.skip(step, 'no snapshot');
    const index = this.snapshotIndex(op.snapshot);
    this.restoreTo(index, step);
    if (!op.twice) {
      this.checkEverything();
      return;
    }
    this.checkVerify();
    this.checkSnapshots();
    this.checkObjects(step);
    this.checkEverything();
    const made = this.scramble(step);
    totals.snapshots.twice++;
    this.restoreTo(index, step, made);
    this.checkEverything();
  }

  /**
   * Restores the `index`-th open snapshot on both sides and checks what the restore says it did and
   * what it dropped: the newer snapshots (closed, refused), the processes, threads and sections made
   * since (gone), the CPUs (running what they ran then). `scrambled`: what mmukit alone made since a
   * restore to the same snapshot. `justRestored`: called right after kernel.restore, before any check
   * (the checks' failed calls may count in the kernel's statistics).
   */
  private restoreTo(index: number, step: Step, scrambled?: MadeSince, justRestored?: () => void): void {
    const saved = this.snapshots[index];
    step.notes.push(`level ${index} (taken at #${saved.step})`);
    const newer = this.snapshots.slice(index + 1);
    const made: MadeSince = scrambled ?? {
      processes: this.pairs.slice(saved.pairs).map((p) => p.kernel),
      threads: this.threads.slice(saved.threads).map((t) => t.kernel),
      sections: this.sections.slice(saved.sections).map((s) => s.kernel),
    };
    const running = made.processes.filter((p) => !p.exited).length;
    const result = this.kernel.restore(saved.kernel);
    justRestored?.();
    totals.snapshots.restored++;
    totals.snapshots.processesDropped += result.processesDropped;
    step.notes.push(`→ ${result.framesCopied} frame(s) copied, ${result.dropped} snapshot(s) and ${result.processesDropped} process(es) dropped`);
    // The model's side.
    restoreState(saved.model);
    this.pairs.length = saved.pairs;
    this.sections.length = saved.sections;
    this.threads.length = saved.threads;
    this.files.length = saved.files;
    this.paired.clear();
    for (const [kernel, model] of saved.paired) this.paired.set(kernel, model);
    this.imageFiles.clear();
    for (const [name, file] of saved.imageFiles) this.imageFiles.set(name, file);
    for (const [file, bytes] of saved.unmappedFiles) file.set(bytes);
    this.snapshots.length = index + 1;
    // The counters as they were (before the checks below, whose failed calls may count).
    const counters = this.counters();
    if (counters !== saved.counters) throw new SequenceFailure(`after the restore the counters differ from the snapshot's: ${firstDifference(counters, saved.counters)}`);
    // What the restore says it did.
    if (result.dropped !== newer.length || result.processesDropped !== running) {
      throw new SequenceFailure(`restore dropped ${result.dropped} snapshot(s) and ${result.processesDropped} process(es); ${newer.length} and ${running} were made since and open or running`);
    }
    this.checkSnapshots();
    this.checkDropped(newer);
    this.checkGone(made);
    // Every process the snapshot saw is as it was, exited or not; the CPUs run what they ran then.
    for (const pair of this.pairs) {
      if (pair.kernel.exited === pair.model.live) throw new SequenceFailure(`after the restore pid ${pair.kernel.pid} reads exited ${pair.kernel.exited}; it was ${pair.model.live ? 'running' : 'exited'} at the snapshot`);
    }
    this.kernel.cpus.forEach((cpu, i) => {
      const then = saved.cpus[i];
      if (cpu.process !== then.process || cpu.thread !== then.thread) {
        const show = (p: Process | null, t: Thread | null) => `${p === null ? 'idle' : `pid ${p.pid}`}, thread ${t === null ? 'none' : t.id}`;
        throw new SequenceFailure(`after the restore CPU ${i} runs ${show(cpu.process, cpu.thread)}; at the snapshot ${show(then.process, then.thread)}`);
      }
    });
  }

  /** kernel.discardSnapshot: it and the newer ones dropped, nothing put back (the model and the harness go on as they are). */
  private discardSnapshot(op: Extract<Op, { op: 'discardSnapshot' }>, step: Step): void {
    if (this.snapshots.length === 0) return this.skip(step, 'no snapshot');
    const index = this.snapshotIndex(op.snapshot);
    step.notes.push(`level ${index} (taken at #${this.snapshots[index].step})`);
    const dropped = this.snapshots.slice(index);
    this.kernel.discardSnapshot(this.snapshots[index].kernel);
    totals.snapshots.discarded++;
    this.snapshots.length = index;
    this.checkSnapshots();
    this.checkDropped(dropped);
  }

  /** kernel.snapshots are the harness's open snapshots, in order, each open at its level. */
  private checkSnapshots(): void {
    const open = this.kernel.snapshots;
    const ours = this.snapshots.map((s) => s.kernel);
    if (open.length !== ours.length || open.some((s, i) => s !== ours[i] || s.level !== i || !s.open)) {
      throw new SequenceFailure(`kernel.snapshots holds ${open.length} (levels ${open.map((s) => `${s.level}${s.open ? '' : ' closed'}`).join(', ')}); the harness ${ours.length} open`);
    }
  }

  /** Dropped snapshots read as closed, and restoring or discarding one throws InvalidArgumentError. */
  private checkDropped(dropped: readonly SnapshotPair[]): void {
    for (const { kernel, step } of dropped) {
      if (kernel.open) throw new SequenceFailure(`the snapshot taken at #${step} was dropped but reads open`);
      for (const [call, use] of [
        ['restore', () => this.kernel.restore(kernel)],
        ['discardSnapshot', () => this.kernel.discardSnapshot(kernel)],
      ] as const) {
        let thrown: unknown = null;
        try {
          use();
        } catch (error) {
          thrown = error;
        }
        if (!(thrown instanceof InvalidArgumentError)) {
          throw new SequenceFailure(`${call} of the snapshot taken at #${step}, dropped: ${thrown === null ? 'no error' : String(thrown)}; InvalidArgumentError expected`);
        }
      }
    }
    this.checkSnapshots();
  }

  /**
   * The objects made since the snapshot read as gone: processes and threads exited (a call on such a
   * process fails with ERROR_INVALID_HANDLE / STATUS_INVALID_HANDLE, as on an exited one, B22), sections
   * closed and no longer live (kernel.sections(); mapping one through a live process fails).
   */
  private checkGone(made: MadeSince): void {
    const fails = (what: string, call: () => unknown, handleError: boolean) => {
      const outcome = kernelOutcome(call);
      const ok = outcome.kind === 'error' && (!handleError || (outcome.win32Error === ERROR_INVALID_HANDLE && outcome.ntStatus === STATUS_INVALID_HANDLE));
      if (!ok) throw new SequenceFailure(`${what}, made after the snapshot, after the restore: ${describeOutcome(outcome)}; ${handleError ? 'ERROR_INVALID_HANDLE / STATUS_INVALID_HANDLE' : 'a WindowsError'} expected`);
    };
    for (const process of made.processes) {
      if (!process.exited) throw new SequenceFailure(`pid ${process.pid}, made after the snapshot, does not read exited after the restore`);
      fails(`VirtualAlloc in pid ${process.pid}`, () => process.virtualAlloc(0, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), true);
    }
    for (const thread of made.threads) {
      if (!thread.exited) throw new SequenceFailure(`thread ${thread.id}, made after the snapshot, does not read exited after the restore`);
      fails(`kernel.runThread of thread ${thread.id}`, () => this.kernel.runThread(0, thread), true);
    }
    const live = new Set(this.kernel.sections());
    const mapper = this.pairs.find((p) => p.model.live);
    for (const section of made.sections) {
      if (live.has(section) || section.open) throw new SequenceFailure(`section #${section.id}, made after the snapshot, is still ${section.open ? 'open' : 'live'} after the restore`);
      if (mapper !== undefined) fails(`MapViewOfFile of section #${section.id}`, () => mapper.kernel.mapViewOfSection(section, { access: FILE_MAP_READ }), false);
    }
  }

  /**
   * Changes on mmukit's side only, between two restores to one snapshot: writes into every allocation,
   * a new committed allocation, a guard page and a free in every live process; a section over every
   * file, mapped, written and flushed; sections made and closed; handles closed; CPUs switched and
   * written through; a fork, a spawn, a thread run on a CPU, an image loaded, a thread's and a process's
   * exit. Each may fail (the state is whatever the sequence reached); what it makes is returned.
   */
  private scramble(step: Step): MadeSince {
    const made: MadeSince = { processes: [], threads: [], sections: [] };
    let done = 0;
    const attempt = (change: () => void) => {
      try {
        change();
        done++;
      } catch (error) {
        if (!(error instanceof WindowsError || error instanceof WindowsExceptionError)) throw error;
      }
    };
    const fill = new Uint8Array(8).fill(0xee);
    const live = this.pairs.filter((p) => p.model.live);
    for (const { kernel, model } of live) {
      const allocations = [...model.allocations];
      for (const allocation of allocations) attempt(() => kernel.writeMemory(allocation.end - fill.length, fill));
      attempt(() => kernel.writeMemory(kernel.virtualAlloc(0, 3 * PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE) + PAGE, fill));
      if (allocations.length > 0) attempt(() => kernel.virtualProtect(allocations[0].base, PAGE, PAGE_READONLY | PAGE_GUARD));
      const last = allocations.at(-1);
      if (last !== undefined) attempt(() => (last.section === null ? kernel.virtualFree(last.base, 0, MEM_RELEASE) : kernel.unmapViewOfSection(last.base)));
      const handle = model.handles.list()[0];
      if (handle !== undefined) attempt(() => kernel.closeHandle(handle[0]));
      attempt(() => kernel.createFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, 2 * PAGE, null));
    }
    const first = live[0]?.kernel;
    if (first !== undefined) {
      for (const file of this.files) {
        attempt(() => {
          const section = this.kernel.createSection({ file: file.kernel, protect: PAGE_READWRITE });
          made.sections.push(section);
          const view = first.mapViewOfSection(section, { access: FILE_MAP_WRITE });
          first.writeMemory(view, fill);
          first.flushViewOfFile(view, 0);
        });
      }
      attempt(() => {
        const section = this.kernel.createSection({ size: 3 * PAGE, protect: PAGE_READWRITE });
        made.sections.push(section);
        first.writeMemory(first.mapViewOfSection(section, { access: FILE_MAP_WRITE }) + PAGE, fill);
      });
      attempt(() => {
        const { thread } = first.createRemoteThread(CURRENT_PROCESS_HANDLE);
        made.threads.push(thread);
        this.kernel.runThread(0, thread);
      });
      attempt(() => void first.loadImage(this.bytesOf(image(this.config.images[0]))));
      attempt(() => made.processes.push(first.fork()));
    }
    const spawned = this.kernel.createProcess();
    made.processes.push(spawned);
    attempt(() => spawned.writeMemory(spawned.virtualAlloc(0, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), fill));
    // Every CPU runs something else and writes through its MMU (TLB fills, dirty bits, demand faults).
    const runnable = [...live.map((p) => p.kernel), ...made.processes].filter((p) => !p.exited);
    this.kernel.cpus.forEach((cpu, i) => {
      const process = runnable[(i + 1) % runnable.length];
      this.kernel.run(cpu, process);
      const target = this.pairs.find((p) => p.kernel === process)?.model.allocations.find((a) => a.section === null) ?? null;
      if (target !== null) attempt(() => cpu.mmu.write32(target.base, 0xeeeeeeee));
    });
    if (this.sections.length > 0) attempt(() => this.kernel.closeSection(this.sections[0].kernel));
    const thread = this.threads.find((t) => !t.kernel.exited);
    if (thread !== undefined) attempt(() => thread.kernel.exit());
    if (live.length > 1) live[live.length - 1].kernel.exit();
    step.notes.push(`(mmukit alone: ${done} change(s), ${made.processes.length} process(es), ${made.sections.length} section(s), ${made.threads.length} thread(s))`);
    return made;
  }

  // ------------------------------------------------------------------ saved states

  /** The bytes mmukit is given for an image: the fixture's, or (after a load) the loaded kernel's copy of them. */
  private bytesOf(file: ModelImage): Uint8Array {
    return this.imageCopies.get(file) ?? file.bytes;
  }

  /**
   * kernel.saveState, then Kernel.loadState of the bytes, and the sequence goes on in the loaded kernel
   * ({@link Harness.switchTo}); the model is left as it is, and the full comparison runs. Checked on the way:
   * saving changes none of the kernel's counters; the loaded kernel has no snapshot open, the counters and
   * verify() of the saved one, and saves the very same bytes again. Of an open snapshot (`snapshot` not
   * null, when one is open): its bytes, then a restore to it on both sides with every check a restore has,
   * and right after kernel.restore the current state must save the same bytes; the sequence goes on from
   * the snapshot's state, loaded.
   */
  private saveLoad(op: Extract<Op, { op: 'saveLoad' }>, step: Step): void {
    const old = this.kernel;
    let bytes: Uint8Array;
    let counters: string;
    if (op.snapshot !== null && this.snapshots.length > 0) {
      const index = this.snapshotIndex(op.snapshot);
      const saved = this.snapshots[index];
      bytes = old.saveState(saved.kernel);
      totals.snapshots.fromSnapshot++;
      step.notes.push('of a snapshot,');
      // Compared before the restore's checks: their failed calls may count in the statistics, which the bytes hold.
      this.restoreTo(index, step, undefined, () => {
        const why = sameSavedState(old.saveState(), bytes);
        if (why !== null) throw new SequenceFailure(`kernel.saveState() right after kernel.restore(snapshot) is not kernel.saveState(snapshot): ${why}`);
      });
      counters = saved.counters;
    } else {
      counters = this.counters();
      bytes = old.saveState();
      const after = this.counters();
      if (after !== counters) throw new SequenceFailure(`kernel.saveState() changed the kernel's counters: ${firstDifference(after, counters, 'after', 'before')}`);
    }
    totals.snapshots.saved++;
    step.notes.push(`${bytes.length} bytes saved`);
    const loaded = Kernel.loadState(bytes);
    totals.snapshots.loaded++;
    // Saved again, then its counters read, then saved once more: reading an MMU's cycles or statistics folds the
    // hits counted apart, which once changed the bytes a save writes (snapshot-bugs.test.ts, fixed).
    const again = sameSavedState(loaded.saveState(), bytes);
    if (again !== null) throw new SequenceFailure(`Kernel.loadState(bytes).saveState() is not bytes: ${again}`);
    const loadedCounters = this.counters(loaded);
    if (loadedCounters !== counters) throw new SequenceFailure(`the loaded kernel's counters are not the saved state's: ${firstDifference(loadedCounters, counters, 'loaded', 'saved')}`);
    const afterReading = sameSavedState(loaded.saveState(), bytes);
    if (afterReading !== null) throw new SequenceFailure(`reading the loaded kernel's counters changed what it saves: ${afterReading}`);
    if (loaded.snapshots.length !== 0) throw new SequenceFailure(`the loaded kernel has ${loaded.snapshots.length} snapshot(s) open; a loaded kernel has none`);
    const problems = verify(loaded);
    if (problems.length > 0) throw new SequenceFailure(`verify() of the loaded kernel found ${problems.length} problem(s):\n${problems.map((p) => `  ${p.kind}: ${p.message}`).join('\n')}`);
    this.switchTo(loaded, step);
    this.checkEverything();
  }

  /**
   * The sequence goes on in `loaded`: every kernel object the harness holds becomes the loaded kernel's
   * (a process by its pid, a thread by its id, a section by its id, a file object by the handles to it, a
   * file by the loaded sections and file objects over it: copies of the old kernel's), and the old kernel's
   * snapshots are forgotten (the loaded kernel has none). On the way, the loaded kernel is checked against
   * the old one where the model does not look: each live process's handle values with their access,
   * attributes and objects; every live section's fields; each object's handle count; each thread's stack;
   * the CPUs running the same process and thread; the files holding the same bytes, in new arrays.
   *
   * What a saved state cannot hold stays as it was: an exited process or thread no handle refers to (its
   * object is deleted with its last reference, as in Windows), a section gone (closed, no view left), a
   * file no section or file object is over (the caller's). Those are the old kernel's objects, which read
   * exited or closed, and any call with one fails as with an exited or closed one of the loaded kernel
   * (mmukit refuses a foreign process or section as it refuses those).
   */
  private switchTo(loaded: Kernel, step: Step): void {
    const old = this.kernel;
    const enter = <K, V>(map: Map<K, V>, key: K, value: V, what: () => string) => {
      const known = map.get(key);
      if (known !== undefined && known !== value) throw new SequenceFailure(`the loaded kernel has two objects for ${what()}`);
      map.set(key, value);
    };
    // The processes and threads the loaded kernel holds: the live ones, and the exited ones a handle (or a thread) refers to.
    const processes = new Map<number, Process>();
    const threads = new Map<number, Thread>();
    const meet = (object: KernelObject) => {
      if (object.objectType === 'Thread') {
        enter(threads, object.id, object, () => `thread ${object.id}`);
        enter(processes, object.process.pid, object.process, () => `pid ${object.process.pid}`);
      } else if (object.objectType === 'Process') enter(processes, object.pid, object, () => `pid ${object.pid}`);
    };
    for (const process of loaded.processes()) {
      meet(process);
      for (const thread of process.threads()) meet(thread);
    }
    for (const process of loaded.processes()) for (const [, entry] of process.handles.entries()) meet(entry.object);

    // Sections by id (data and image sections alike), and the files under them: the old kernel's array → the loaded kernel's copy.
    const byId = new Map<number, Section>();
    for (const section of loaded.sections()) enter(byId, section.id, section, () => `section #${section.id}`);
    const sectionTwins = new Map<Section, Section>();
    const files = new Map<Uint8Array, Uint8Array>();
    const fileObjects = new Map<FileObject, FileObject>();
    const enterFile = (file: Uint8Array, copy: Uint8Array, what: string) => {
      if (copy === file) throw new SequenceFailure(`${what} is the old kernel's array, not a copy`);
      const why = sameBytes(copy, file);
      if (why !== null) throw new SequenceFailure(`${what} holds other bytes than the saved kernel's (${why.replace('mmukit', 'loaded').replace('model', 'saved')})`);
      enter(files, file, copy, () => `one file (${what})`);
    };
    const sectionFields = (s: Section) => JSON.stringify([s.size, s.protect, s.attributes, s.open, s.handleCount, s.viewCount, s.name, s.image !== null, s.file !== null]);
    for (const section of old.sections()) {
      const twin = byId.get(section.id);
      if (twin === undefined) throw new SequenceFailure(`section #${section.id}, live, is not in the loaded kernel`);
      if (sectionFields(twin) !== sectionFields(section)) throw new SequenceFailure(`section #${section.id} loaded as ${sectionFields(twin)}, saved as ${sectionFields(section)} (size, protect, attributes, open, handles, views, name, image, file)`);
      sectionTwins.set(section, twin);
      if (section.file !== null) enterFile(section.file, twin.file!, `the file of section #${section.id}`);
    }
    if (byId.size !== sectionTwins.size) throw new SequenceFailure(`the loaded kernel has ${byId.size} live section(s), the saved one ${sectionTwins.size}`);

    // Handle tables, value by value (the model compares them with the loaded kernel's after the step; here the objects are paired).
    for (const pair of this.pairs) {
      if (pair.kernel.exited) continue;
      const twin = processes.get(pair.kernel.pid);
      if (twin === undefined || twin.exited) throw new SequenceFailure(`pid ${pair.kernel.pid}, running, is ${twin === undefined ? 'not in the loaded kernel' : 'exited there'}`);
      const before = [...pair.kernel.handles.entries()];
      const after = [...twin.handles.entries()];
      const values = (list: typeof before) => list.map(([value]) => hex(value)).join(', ');
      if (values(before) !== values(after)) throw new SequenceFailure(`pid ${twin.pid} holds handles [${values(after)}] in the loaded kernel, [${values(before)}] in the saved one`);
      before.forEach(([value, entry], i) => {
        const loadedEntry = after[i][1];
        const [was, is] = [entry.object, loadedEntry.object];
        /** Why the loaded handle is not the saved one (null when it is): its access, attributes, and object (its twin by pid, id or section id). */
        const differs = (): string | null => {
          if (entry.access !== loadedEntry.access || entry.attributes !== loadedEntry.attributes) return `access ${hex(loadedEntry.access)}, attributes ${hex(loadedEntry.attributes)}; saved ${hex(entry.access)}, ${hex(entry.attributes)}`;
          if (was.objectType !== is.objectType) return `a ${is.objectType} where the saved kernel has a ${was.objectType}`;
          if (was.objectType === 'Process') return is === processes.get(was.pid) ? null : `another process than pid ${was.pid}`;
          if (was.objectType === 'Thread') return is === threads.get(was.id) ? null : `another thread than ${was.id}`;
          if (was.objectType === 'Section') return is === sectionTwins.get(was) ? null : `another section than #${was.id}`;
          return null; // a file object: paired below
        };
        const why = differs();
        if (why !== null) throw new SequenceFailure(`handle ${hex(value)} of pid ${twin.pid} in the loaded kernel: ${why}`);
        if (was instanceof FileObject && is instanceof FileObject) {
          enter(fileObjects, was, is, () => `one file object (handle ${hex(value)} of pid ${twin.pid})`);
          if (is.handleCount !== was.handleCount) throw new SequenceFailure(`the file object of handle ${hex(value)} of pid ${twin.pid} has ${is.handleCount} handle(s) in the loaded kernel, ${was.handleCount} in the saved one`);
          enterFile(was.bytes, is.bytes, `the file of handle ${hex(value)} of pid ${twin.pid}`);
        }
      });
    }

    // The harness's own lists, object by object.
    this.pairs.forEach((pair, i) => {
      const twin = processes.get(pair.kernel.pid);
      if (twin === undefined) {
        if (!pair.kernel.exited || pair.kernel.handleCount > 0) throw new SequenceFailure(`pid ${pair.kernel.pid} (${pair.kernel.exited ? `exited, ${pair.kernel.handleCount} handle(s) to it` : 'running'}) is not in the loaded kernel`);
        return;
      }
      if (twin.exited !== pair.kernel.exited || twin.handleCount !== pair.kernel.handleCount) {
        throw new SequenceFailure(`pid ${twin.pid} loaded exited ${twin.exited} with ${twin.handleCount} handle(s) to it; saved exited ${pair.kernel.exited} with ${pair.kernel.handleCount}`);
      }
      this.pairs[i] = { model: pair.model, kernel: twin };
    });
    for (const process of processes.values()) if (!this.pairs.some((p) => p.kernel === process)) throw new SequenceFailure(`the loaded kernel has pid ${process.pid}, which the saved one did not`);
    const stack = (t: Thread) => `exited ${t.exited}, ${t.handleCount} handle(s), stack ${hex(t.deallocationStack)}–${hex(t.stackBase)} limit ${hex(t.stackLimit)}`;
    this.threads.forEach((thread, i) => {
      const twin = threads.get(thread.kernel.id);
      if (twin === undefined) {
        if (!thread.kernel.exited || thread.kernel.handleCount > 0) throw new SequenceFailure(`thread ${thread.kernel.id} (${stack(thread.kernel)}) is not in the loaded kernel`);
        return;
      }
      if (stack(twin) !== stack(thread.kernel)) throw new SequenceFailure(`thread ${twin.id} loaded ${stack(twin)}; saved ${stack(thread.kernel)}`);
      this.threads[i] = { model: thread.model, kernel: twin };
    });
    for (const thread of threads.values()) if (!this.threads.some((t) => t.kernel === thread)) throw new SequenceFailure(`the loaded kernel has thread ${thread.id}, which the harness never made`);
    this.sections.forEach((section, i) => {
      const twin = sectionTwins.get(section.kernel);
      if (twin !== undefined) this.sections[i] = { model: section.model, kernel: twin };
    });
    // A file object no handle refers to is gone with its last handle; a section gone keeps its old object (see above).
    const pairedNow = [...this.paired].map(([object, model]) => [object instanceof FileObject ? (fileObjects.get(object) ?? object) : (sectionTwins.get(object) ?? object), model] as const);
    this.paired.clear();
    for (const [object, model] of pairedNow) this.paired.set(object, model);
    const copyOf = (file: { model: ModelFile; kernel: Uint8Array }) => ({ model: file.model, kernel: files.get(file.kernel) ?? file.kernel });
    this.files.forEach((file, i) => (this.files[i] = copyOf(file)));
    for (const [name, file] of this.imageFiles) this.imageFiles.set(name, copyOf(file));
    for (const file of images.values()) {
      const copy = files.get(this.bytesOf(file));
      if (copy !== undefined) this.imageCopies.set(file, copy);
    }

    // The CPUs run the same process and thread.
    const show = (cpu: { process: Process | null; thread: Thread | null }) => `${cpu.process === null ? 'idle' : `pid ${cpu.process.pid}`}, thread ${cpu.thread === null ? 'none' : cpu.thread.id}`;
    if (loaded.cpus.length !== old.cpus.length) throw new SequenceFailure(`the loaded kernel has ${loaded.cpus.length} CPU(s), the saved one ${old.cpus.length}`);
    loaded.cpus.forEach((cpu, i) => {
      const then = old.cpus[i];
      const same = (cpu.process === null ? then.process === null : cpu.process === processes.get(then.process?.pid ?? -1)) && (cpu.thread === null ? then.thread === null : cpu.thread === threads.get(then.thread?.id ?? -1));
      if (!same) throw new SequenceFailure(`CPU ${i} of the loaded kernel runs ${show(cpu)}; the saved one ${show(then)}`);
    });

    // The old kernel's snapshots stay with it: none is open in the loaded kernel, so none on the harness's side either.
    this.snapshots.length = 0;
    this.kernel = loaded;
    step.notes.push(`→ loaded: ${processes.size} process(es), ${threads.size} thread(s), ${byId.size} section(s), ${files.size} file(s)`);
  }

  // ------------------------------------------------------------------ choosing

  private spawn(): void {
    const kernel = this.kernel.createProcess();
    this.pairs.push({ kernel, model: this.world.createProcess(kernel.pid) });
  }

  private roomForProcess(): boolean {
    return this.world.live.length < MAX_LIVE && this.world.processes.length < 200;
  }

  private skip(step: Step, why: string): void {
    step.notes.push(`(skipped: ${why})`);
  }

  /** The `index`-th live process (modulo), among those `prefer` accepts when there are any. */
  private pickLive(index: number, prefer?: (pair: Pair) => boolean): Pair | null {
    const all = this.pairs.filter((p) => p.model.live);
    const preferred = prefer === undefined ? [] : all.filter(prefer);
    const live = preferred.length > 0 ? preferred : all;
    return live.length === 0 ? null : live[index % live.length];
  }

  private pickSection(index: number): { model: ModelSection; kernel: Section } | null {
    return this.sections.length === 0 ? null : this.sections[index % this.sections.length];
  }

  /** The address a {@link Where} names in the state reached. */
  private resolve(pair: Pair, where: Where, step: Step, prefer?: (allocation: ModelAllocation) => boolean, preferPage?: (allocation: ModelAllocation, i: number) => boolean): number {
    let address: number;
    switch (where.at) {
      case 'fixed':
        address = where.address;
        break;
      case 'image':
        address = image(where.image).preferredBase;
        break;
      case 'alloc': {
        const preferred = prefer === undefined ? [] : pair.model.allocations.filter(prefer);
        const allocations = preferred.length > 0 ? preferred : pair.model.allocations;
        if (allocations.length === 0) {
          address = LOWEST_USER_ADDRESS + where.page * PAGE + where.offset;
          break;
        }
        const allocation = allocations[where.index % allocations.length];
        const pages = preferPage === undefined ? [] : allocation.protect.map((_, i) => i).filter((i) => preferPage(allocation, i));
        const page = where.page < 0 ? -1 : where.page === PAST_THE_END ? allocation.pageCount : pages.length > 0 ? pages[where.page % pages.length] : where.page % allocation.pageCount;
        address = allocation.base + page * PAGE + where.offset;
        break;
      }
    }
    step.notes.push(`at ${hex(address)}`);
    return address;
  }
}

/** Where two JSON texts first differ, with some context. */
function firstDifference(actual: string, expected: string, actualName = 'mmukit', expectedName = 'at the snapshot'): string {
  let i = 0;
  while (i < actual.length && actual[i] === expected[i]) i++;
  const from = Math.max(0, i - 60);
  return `${actualName} …${actual.slice(from, i + 40)}…, ${expectedName} …${expected.slice(from, i + 40)}…`;
}

/**
 * Why two saved states are not the same bytes (null when they are): the first offset where they differ but
 * for a checksum (bytes 12–15 of a header, the kernel's or the machine's nested in it, which differ whenever
 * anything after them does), with the bytes there.
 */
function sameSavedState(actual: Uint8Array, expected: Uint8Array): string | null {
  if (actual.length === expected.length && Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(Buffer.from(expected.buffer, expected.byteOffset, expected.length))) return null;
  const checksums = new Set<number>();
  const text = Buffer.from(expected.buffer, expected.byteOffset, expected.length);
  // Each header: the signature (0x89, then "MMUKIT\n" where indexOf finds it), the version, the checksum.
  for (let at = text.indexOf('MMUKIT\n'); at > 0; at = text.indexOf('MMUKIT\n', at + 1)) for (let k = 11; k < 15; k++) checksums.add(at + k);
  let i = 0;
  while (i < actual.length && i < expected.length && (actual[i] === expected[i] || checksums.has(i))) i++;
  const window = (bytes: Uint8Array) => {
    const part = bytes.subarray(Math.max(0, i - 16), i + 24);
    return `${Array.from(part, (v) => v.toString(16).padStart(2, '0')).join(' ')} "${Array.from(part, (v) => (v >= 0x20 && v < 0x7f ? String.fromCharCode(v) : '.')).join('')}"`;
  };
  return `${actual.length} bytes, ${expected.length} expected; the first difference at offset ${hex(i)}:\n    ${window(actual)}\n    ${window(expected)} expected`;
}

/** A view of a section over a file: what FlushViewOfFile writes back. */
const isFileView = (allocation: ModelAllocation): boolean => allocation.section?.file != null;

/** Whether the process holds a handle (of `kind`, when given: a section, or any other object). */
const holds = (kind?: 'section' | 'file') => (pair: Pair) => pair.model.handles.list().some(([, h]) => kind === undefined || (h.object instanceof ModelSection) === (kind === 'section'));

/** Whether the process holds a handle to a process (or a thread). */
const holdsA = (type: 'Process' | 'Thread') => (pair: Pair) => pair.model.handles.list().some(([, h]) => h.object.objectType === type);

/** Whether a process or thread a handle refers to has exited. */
const isExited = (object: ModelObject): boolean => (object.objectType === 'Process' ? !object.live : object.objectType === 'Thread' ? object.exited : false);

/** The right a memory op through a process handle needs of it. */
function rightNeeded(op: Op): number {
  switch (op.op) {
    case 'query':
    case 'ntQuery':
      return RIGHT_NEEDED.query;
    case 'readMemory':
    case 'ntRead':
      return RIGHT_NEEDED.read;
    case 'writeMemory':
      return RIGHT_NEEDED.write;
    case 'ntWrite':
      return RIGHT_NEEDED.ntWrite;
    default:
      return RIGHT_NEEDED.alloc; // PROCESS_VM_OPERATION: every call that changes the address space
  }
}

/** The processes an op would rather run in, when there are any: those holding what it works on. */
function preferredProcess(op: Op): ((pair: Pair) => boolean) | undefined {
  // Through a process handle: a process that holds one (what the op would rather find is in the target).
  if ('via' in op && op.via !== undefined) return 'of' in op.via ? holdsA('Process') : undefined;
  switch (op.op) {
    case 'getWriteWatch':
    case 'resetWriteWatch':
      return (p) => p.model.allocations.some((a) => a.watched);
    case 'unlock':
    case 'ntUnlock':
      return (p) => p.model.allocations.some((a) => a.locked.includes(true));
    case 'flush':
    case 'ntFlush':
      return (p) => p.model.allocations.some(isFileView);
    case 'fork':
      return (p) => p.model.allocations.some((a) => !a.inherited); // a view mapped with VIEW_UNMAP, for the child to go without
    case 'closeHandle':
    case 'ntClose':
    case 'getHandleInformation':
    case 'setHandleInformation':
    case 'duplicateHandle':
      return holds();
    case 'querySection':
      return holds('section');
    case 'exit':
      // Handles to it in other processes' tables: more than its own table holds.
      return op.held === true ? (p) => p.model.handleCount > p.model.handles.list().filter(([, h]) => h.object === p.model).length : undefined;
    case 'duplicateVia':
    case 'createRemoteThread':
      return holdsA('Process');
    case 'getId':
      return holdsA(op.call === 'process' ? 'Process' : 'Thread');
    case 'map':
    case 'ntMap':
      return typeof op.section === 'object' ? holds('section') : undefined;
    case 'createFileMapping':
    case 'ntCreateSection':
      return op.file !== null ? holds('file') : undefined;
    default:
      return undefined;
  }
}

/** A kernel result with a status, as a {@link BaseChooser} reads it: where it put the memory, when it did (a success code included). */
function succeeded(result: { status: number; base: number }): number {
  if (!isNtSuccess(result.status)) throw new ModelMismatch(`mmukit failed (${statusName(result.status)}), but the model finds room`);
  return result.base;
}

/** Half the time (by the `alloc` index's parity) the allocations `prefer` accepts, when there are any; else any. */
function alternate(where: Where, prefer: (allocation: ModelAllocation) => boolean): ((allocation: ModelAllocation) => boolean) | undefined {
  return where.at === 'alloc' && where.index % 2 === 0 ? prefer : undefined;
}

/**
 * How a call ended, for soak --stats: an error; an NT call's status (and whether the
 * kernel relocated an image view); whether a list or a flush found anything.
 */
function outcomeKey(op: Op, actual: Outcome<unknown>): string {
  let how = 'ok';
  const value = actual.kind === 'ok' ? actual.value : undefined;
  if (actual.kind === 'error') how = describeOutcome(actual).replace(/ \(\d+\)/, ''); // with its NTSTATUS
  else if (actual.kind !== 'ok') how = describeOutcome(actual).replace(/ \(.*/, '');
  else if (Array.isArray(value) || op.op === 'flush') how = `ok ${(Array.isArray(value) ? value.length : value) === 0 ? 'none' : 'some'}`;
  else if (op.op === 'ntUnmap' || op.op === 'areSame' || op.op === 'ntClose') how = `ok ${statusName(value as number)}`;
  else if (op.op === 'createFileMapping') how = (value as { alreadyExists: boolean }).alreadyExists ? 'ok, already exists' : 'ok';
  else if (typeof value === 'object' && value !== null && 'status' in value && typeof value.status === 'number') {
    how = `ok ${statusName(value.status)}${'relocated' in value && value.relocated === true ? ', relocated' : ''}`;
  }
  return `${op.op}${detail(op)}: ${how}`;
}

/** What the per-call counts (soak --stats) tell apart within one op: the access kind, the information class, a handle, the NT flavour. */
function detail(op: Op): string {
  if (op.op === 'access') return ` ${op.kind}`;
  if ((op.op === 'map' || op.op === 'ntMap') && typeof op.section === 'object') return ' via handle';
  if ('via' in op && op.via !== undefined) return ' through a process handle';
  if (op.op === 'duplicateHandle' || op.op === 'duplicateVia') return op.nt ? ' (NtDuplicateObject)' : '';
  if (op.op === 'openProcess' || op.op === 'openThread') return `${op.nt ? ' (NT)' : ''} ${Object.keys(op.target)[0]}`;
  if (op.op === 'getId') return ` ${op.call}`;
  if (op.op !== 'ntQuery') return '';
  const names: Record<number, string> = { [MEMORY_CLASS_BASIC]: 'basic', [MEMORY_CLASS_REGION]: 'region', [MEMORY_CLASS_IMAGE]: 'image' };
  return ` ${names[op.infoClass] ?? 'unknown class'}`;
}

function sameTransfer(actual: { status: number; bytes: number; into: Uint8Array }, expected: { status: number; bytes: number; into: Uint8Array }): string | null {
  return sameFields({ status: actual.status, bytes: actual.bytes }, { status: expected.status, bytes: expected.bytes }) ?? sameBytes(actual.into, expected.into);
}

function sameList(actual: number[], expected: number[]): string | null {
  const show = (list: number[]) => `[${list.map(hex).join(', ')}]`;
  return actual.length === expected.length && actual.every((v, i) => v === expected[i]) ? null : `${show(actual)} ≠ ${show(expected)}`;
}

function sameRegion(actual: MemoryBasicInformation, expected: ModelRegion): string | null {
  return sameFields<ModelRegion>(actual, expected);
}
