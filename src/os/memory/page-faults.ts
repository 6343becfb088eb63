import { Access } from '../../mmu/access.js';
import { OutOfFramesError } from '../../mmu/errors.js';
import { FaultResolution } from '../../mmu/fault.js';
import type { FaultRecord } from '../../mmu/fault-record.js';
import { FaultReason } from '../../mmu/fault-reason.js';
import { FRAME_SIZE } from '../../mmu/physical-memory.js';
import { imageLayoutBase, type Allocation } from '../records/allocation.js';
import {
  EXCEPTION_EXECUTE_FAULT,
  EXCEPTION_READ_FAULT,
  EXCEPTION_WRITE_FAULT,
  PAGE_GUARD,
  STATUS_ACCESS_VIOLATION,
  STATUS_GUARD_PAGE_VIOLATION,
  STATUS_IN_PAGE_ERROR,
  STATUS_NO_MEMORY,
} from '../rules/constants.js';
import type { Cpu } from '../kernel/cpu.js';
import { kernelException, type ExceptionAccessType, type WindowsExceptionError } from '../rules/errors.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Process } from '../kernel/process.js';
import { ProtAccess, protectionAccess } from '../rules/protection.js';
import { NO_FRAME } from '../records/section.js';
import { sharedRelocatedPage } from '../image/relocate.js';
import { TRACE_RESOLUTION } from '../../mmu/trace-recorder.js';

/**
 * The kernel's page-fault handler (B50, B54–B59): what Windows' memory manager
 * does when the hardware cannot translate.
 *
 * In order: no allocation or not committed → access violation; a guard page →
 * the guard is cleared and STATUS_GUARD_PAGE_VIOLATION raised once (the retried
 * access then proceeds), unless the page is in the stack of the thread the CPU
 * runs, which grows instead (B59, objects/threads.ts); an access the protection
 * does not allow → access violation with the access type (0 read, 1 write,
 * 8 execute); a write to a
 * write-watched page not written since the last reset → the write is recorded
 * (B58, B103) and the page resolved as below; otherwise the
 * page gets its frame (demand-zero, the shared zero frame for a read, or the
 * section's page) or, for a write to a shared frame, a private copy — or no
 * copy when the writer already owns the frame alone. Changed translations are
 * shot down on every CPU before the access is retried.
 *
 * @returns {@link FaultResolution.Retry} when resolved; otherwise what
 *   `Mmu.deferException` returns, having handed it the {@link WindowsExceptionError}
 *   (with the exception record) for the access to throw.
 * @internal
 */
export function resolvePageFault(kernel: Kernel, cpu: Cpu, fault: Pick<FaultRecord, 'address' | 'access' | 'reason'>): FaultResolution {
  const process = cpu.process;
  if (process === null) return FaultResolution.Deliver;
  // The exceptions go to the MMU to throw once its frames have returned: throwing them from here,
  // through every frame of its slow path, costs more than the rest of the fault.
  const mmu = cpu.mmu;
  const va = fault.address;
  const type: ExceptionAccessType = fault.access === Access.Write ? EXCEPTION_WRITE_FAULT : fault.access === Access.Execute ? EXCEPTION_EXECUTE_FAULT : EXCEPTION_READ_FAULT;
  if (fault.reason === FaultReason.NonCanonical || fault.reason === FaultReason.BusError || fault.reason === FaultReason.PmpViolation) return mmu.deferException(violation(kernel, cpu, type, va));
  const allocation = process.regions.find(va);
  if (allocation === undefined) return mmu.deferException(violation(kernel, cpu, type, va));
  const i = Math.floor((va - allocation.base) / FRAME_SIZE); // find() returned the allocation holding va
  if (!allocation.committedAt(i)) return mmu.deferException(violation(kernel, cpu, type, va));
  // What a fault may change, for an open snapshot's restore: the address space (page-table bookkeeping), the
  // allocation, the section it views, the thread whose stack grows.
  const changes = kernel.changes;
  if (changes !== null) {
    changes.touch(process.space);
    changes.touch(allocation);
    if (allocation.view !== null) changes.touchSection(allocation.view.section);
    if (cpu.thread !== null) changes.touch(cpu.thread);
  }

  const protect = allocation.protect[i];
  if ((protect & PAGE_GUARD) !== 0) {
    // B50: cleared before the exception is raised, so the retried access succeeds.
    allocation.protect[i] = protect & ~PAGE_GUARD;
    // B59: a guard page of the running thread's stack grows the stack instead (MiCheckForUserStackOverflow).
    const thread = cpu.thread;
    if (thread !== null && thread.holdsStackAddress(process, va)) {
      // Growing commits and guards pages below the fault, which need not be the faulting allocation's (a stack
      // range freed and reused): rare enough to mark everything.
      changes?.touchAll();
      const overflow = thread.growStack(va, type);
      if (kernel.tracer !== null) kernel.tracer.resolution(cpu, overflow === null ? TRACE_RESOLUTION.stackGrowth : TRACE_RESOLUTION.stackOverflow, va);
      return overflow === null ? FaultResolution.Retry : mmu.deferException(overflow);
    }
    kernel.stats.guardFaults++;
    if (kernel.tracer !== null) kernel.tracer.resolution(cpu, TRACE_RESOLUTION.guardPage, va);
    return mmu.deferException(kernelException(STATUS_GUARD_PAGE_VIOLATION, type, va));
  }
  const access = protectionAccess(protect);
  const allowed =
    fault.access === Access.Execute
      ? (access & ProtAccess.Execute) !== 0
      : fault.access === Access.Write
        ? (access & (ProtAccess.Write | ProtAccess.WriteCopy)) !== 0
        : access !== 0;
  if (!allowed) return mmu.deferException(violation(kernel, cpu, type, va));

  // B58: after the guard (B53: a guarded write-watched page raises the guard exception first,
  // and only the retried write is recorded; a read is never recorded), a write the protection
  // allows to a write-watched page not written since the last reset is recorded here.
  const recorded = fault.access === Access.Write && allocation.watchArmedAt(i);
  if (recorded) allocation.writeWatch![i] = 1;
  const error = givePage(kernel, cpu, process, allocation, i, fault.access, type, va, recorded);
  if (error === null) return FaultResolution.Retry;
  if (recorded) allocation.writeWatch![i] = 0; // the write did not happen: a failed fault changes nothing
  return mmu.deferException(error);
}

/**
 * Resolves an allowed access to page `i`: its first touch, a write to a shared frame, or an
 * entry that lagged behind the records. Running out of frames is STATUS_IN_PAGE_ERROR, returned
 * for the access to throw; null when resolved.
 */
function givePage(kernel: Kernel, cpu: Cpu, process: Process, allocation: Allocation, i: number, access: Access, type: ExceptionAccessType, va: number, recorded: boolean): WindowsExceptionError | null {
  try {
    if (allocation.frame[i] === NO_FRAME) firstTouch(kernel, cpu, process, allocation, i, access === Access.Write);
    else if (recorded && writableInPlace(kernel, allocation, i)) {
      // A write-watched page's first write since the reset: its read-only entry becomes writable.
      if (kernel.tracer !== null) kernel.tracer.resolution(cpu, TRACE_RESOLUTION.entryUpdate, va);
      if (process.space.syncPage(allocation, i, kernel.zeroFrame)) kernel.shootdown(process, allocation.base + i * FRAME_SIZE, cpu);
    } else if (access === Access.Write) writeToShared(kernel, cpu, process, allocation, i);
    else {
      if (kernel.tracer !== null) kernel.tracer.resolution(cpu, TRACE_RESOLUTION.entryUpdate, va);
      process.space.syncPage(allocation, i, kernel.zeroFrame); // the entry lagged behind the records
    }
  } catch (error) {
    if (!(error instanceof OutOfFramesError)) throw error;
    kernel.stats.inPageErrors++;
    if (kernel.tracer !== null) kernel.tracer.resolution(cpu, TRACE_RESOLUTION.inPageError, va);
    return kernelException(STATUS_IN_PAGE_ERROR, type, va, STATUS_NO_MEMORY);
  }
  return null;
}

/** Whether page `i`'s frame is the process's alone, so a write needs no copy (only a writable entry). */
function writableInPlace(kernel: Kernel, allocation: Allocation, i: number): boolean {
  const frame = allocation.frame[i];
  return allocation.ownsFrameAt(i) && frame !== kernel.zeroFrame && kernel.frames.refCount(frame) === 1;
}

function violation(kernel: Kernel, cpu: Cpu, type: ExceptionAccessType, va: number): WindowsExceptionError {
  kernel.stats.accessViolations++;
  if (kernel.tracer !== null) kernel.tracer.resolution(cpu, TRACE_RESOLUTION.accessViolation, va);
  return kernelException(STATUS_ACCESS_VIOLATION, type, va);
}

/**
 * A committed page's first touch: give it a frame. All-or-nothing on running out of frames: a
 * section page read in for this touch is dropped again when a later step (the private copy, a
 * page table) cannot get its frame, so the section is as it was.
 */
function firstTouch(kernel: Kernel, cpu: Cpu | null, process: Process, allocation: Allocation, i: number, write: boolean): void {
  const view = allocation.view;
  let frame: number;
  let copied = 0;
  let readIn = false;
  let relocated = false;
  if (view !== null && allocation.copied[i] === 1) {
    // An image page relocated away from its base with no shared relocated set (B95): the
    // loader's write made it this process's private copy, which is made now.
    frame = kernel.frames.allocateForOverwrite();
    kernel.memory.writeBytes(frame * FRAME_SIZE, privatelyRelocatedPage(allocation, i));
    copied = 1;
    relocated = true;
  } else if (view !== null) {
    const section = view.section;
    const sectionPage = view.firstPage + i;
    const hadFrame = section.residentFrameForView(sectionPage, imageLayoutBase(allocation)) !== NO_FRAME;
    const shared = section.frameForView(sectionPage, imageLayoutBase(allocation), kernel.frames, kernel.memory);
    if (shared === NO_FRAME) throw new Error(`page ${i} of the image at 0x${allocation.base.toString(16)} needs relocating but is not marked as the process's copy`);
    readIn = !hadFrame;
    const writesShared = (protectionAccess(allocation.protect[i]) & ProtAccess.Write) !== 0;
    try {
      if (write && !writesShared) {
        // A write to a copy-on-write view page: the process gets its own copy straight away.
        frame = kernel.frames.allocateForOverwrite();
        kernel.memory.copyFrame(shared, frame);
        copied = 1;
      } else {
        frame = shared;
        kernel.frames.retain(frame);
      }
    } catch (error) {
      if (readIn) section.dropReadIn(sectionPage, imageLayoutBase(allocation), kernel.frames);
      throw error;
    }
  } else if (write || !kernel.zeroPageSharing) {
    frame = kernel.frames.allocate();
  } else {
    frame = kernel.zeroFrame;
    kernel.frames.retain(frame);
  }
  const wasCopied = allocation.copied[i];
  allocation.frame[i] = frame;
  allocation.copied[i] = copied;
  try {
    process.space.syncPage(allocation, i, kernel.zeroFrame);
  } catch (error) {
    allocation.frame[i] = NO_FRAME;
    allocation.copied[i] = wasCopied;
    kernel.frames.release(frame);
    if (readIn) view!.section.dropReadIn(view!.firstPage + i, imageLayoutBase(allocation), kernel.frames);
    throw error;
  }
  // Counted once the fault is resolved: a fault that ran out of memory changed nothing.
  const tracer = kernel.tracer;
  const pageVa = allocation.base + i * FRAME_SIZE;
  if (readIn) {
    kernel.stats.sectionFaults++;
    if (tracer !== null) {
      tracer.resolution(cpu, TRACE_RESOLUTION.sectionReadIn, pageVa);
      tracer.readIn(cpu, view!.section.residentFrameForView(view!.firstPage + i, imageLayoutBase(allocation)));
    }
    cpu?.mmu.chargeCycles(kernel.kernelCycles.frameZero);
  }
  if (view === null) {
    kernel.stats.demandZeroFaults++;
    if (tracer !== null) {
      tracer.resolution(cpu, TRACE_RESOLUTION.demandZero, pageVa);
      if (frame !== kernel.zeroFrame) tracer.zeroFill(cpu, frame);
    }
    if (frame !== kernel.zeroFrame) cpu?.mmu.chargeCycles(kernel.kernelCycles.frameZero);
  } else if (copied === 1) {
    if (relocated) kernel.stats.relocatedPages++;
    else kernel.stats.copyOnWriteFaults++;
    if (tracer !== null) {
      tracer.resolution(cpu, relocated ? TRACE_RESOLUTION.relocated : TRACE_RESOLUTION.copyOnWrite, pageVa);
      tracer.frameCopy(cpu, relocated ? -1 : view.section.residentFrameForView(view.firstPage + i, imageLayoutBase(allocation)), frame);
    }
    cpu?.mmu.chargeCycles(kernel.kernelCycles.frameCopy);
  } else if (!readIn && tracer !== null) {
    tracer.resolution(cpu, TRACE_RESOLUTION.sharedPage, pageVa);
  }
}

/**
 * A write to a page whose frame is mapped read-only because it is shared:
 * copy it for the writer, or keep it when the writer is its only owner.
 */
function writeToShared(kernel: Kernel, cpu: Cpu | null, process: Process, allocation: Allocation, i: number): void {
  const old = allocation.frame[i];
  const va = allocation.base + i * FRAME_SIZE;
  const ownFrame = allocation.ownsFrameAt(i);
  if (!ownFrame && (protectionAccess(allocation.protect[i]) & ProtAccess.Write) !== 0) {
    // A shared-write view page: writes go to the section's frame; the entry only lagged.
    if (kernel.tracer !== null) kernel.tracer.resolution(cpu, TRACE_RESOLUTION.entryUpdate, va);
    if (process.space.syncPage(allocation, i, kernel.zeroFrame)) kernel.shootdown(process, va, cpu);
    return;
  }
  if (ownFrame && old !== kernel.zeroFrame && kernel.frames.refCount(old) === 1) {
    // Sole owner: no copy, just a writable entry.
    kernel.stats.copyOnWriteReuses++;
    if (kernel.tracer !== null) kernel.tracer.resolution(cpu, TRACE_RESOLUTION.copyOnWriteReuse, va);
    if (process.space.syncPage(allocation, i, kernel.zeroFrame)) kernel.shootdown(process, va, cpu);
    return;
  }
  // A copy overwrites the whole frame, so only a frame replacing the zero frame needs zeroing.
  const fresh = old === kernel.zeroFrame ? kernel.frames.allocate() : kernel.frames.allocateForOverwrite();
  if (old === kernel.zeroFrame) {
    kernel.stats.demandZeroFaults++;
    if (kernel.tracer !== null) {
      kernel.tracer.resolution(cpu, TRACE_RESOLUTION.demandZero, va);
      kernel.tracer.zeroFill(cpu, fresh);
    }
    cpu?.mmu.chargeCycles(kernel.kernelCycles.frameZero);
  } else {
    kernel.memory.copyFrame(old, fresh);
    kernel.stats.copyOnWriteFaults++;
    if (kernel.tracer !== null) {
      kernel.tracer.resolution(cpu, TRACE_RESOLUTION.copyOnWrite, va);
      kernel.tracer.frameCopy(cpu, old, fresh);
    }
    cpu?.mmu.chargeCycles(kernel.kernelCycles.frameCopy);
  }
  const oldCopied = allocation.copied[i];
  allocation.frame[i] = fresh;
  if (!ownFrame) allocation.copied[i] = 1;
  try {
    if (process.space.syncPage(allocation, i, kernel.zeroFrame)) kernel.shootdown(process, va, cpu);
  } catch (error) {
    allocation.frame[i] = old;
    allocation.copied[i] = oldCopied;
    kernel.frames.release(fresh);
    throw error;
  }
  kernel.frames.release(old);
}

/**
 * Gives page `i` a frame the process may write to directly (WriteProcessMemory):
 * reads it in, or copies a shared frame, as a write fault would.
 * @throws {@link OutOfFramesError} when no frame is free (nothing changes).
 * @internal
 */
export function ensureOwnWritableFrame(process: Process, allocation: Allocation, i: number): void {
  const kernel = process.kernel;
  if (allocation.frame[i] === NO_FRAME) {
    firstTouch(kernel, null, process, allocation, i, true);
    // A read-only or executable page was just given a shared frame: it needs its own copy.
    if (allocation.frame[i] === kernel.zeroFrame || !allocation.ownsFrameAt(i)) writeToShared(kernel, null, process, allocation, i);
    return;
  }
  writeToShared(kernel, null, process, allocation, i);
}

/**
 * What {@link undoOwnWritableFrame} needs to put a page back: its frame, copy flag, and whether its section page was resident.
 * @internal
 */
export interface SavedPage {
  readonly frame: number;
  readonly copied: number;
  readonly sectionResident: boolean;
}

/** @internal Records page `i` before {@link ensureOwnWritableFrame}. */
export function savePage(allocation: Allocation, i: number): SavedPage {
  const view = allocation.view;
  const sectionResident = view !== null && view.section.residentFrameForView(view.firstPage + i, imageLayoutBase(allocation)) !== NO_FRAME;
  return { frame: allocation.frame[i], copied: allocation.copied[i], sectionResident };
}

/**
 * Puts page `i` back as {@link savePage} found it, after {@link ensureOwnWritableFrame} (for a
 * WriteProcessMemory that failed on a later page): the old frame mapped again, the new one freed,
 * a section page read in for it dropped. Needs no frame: the page's tables exist already.
 * @internal
 */
export function undoOwnWritableFrame(process: Process, allocation: Allocation, i: number, saved: SavedPage): void {
  const kernel = process.kernel;
  const current = allocation.frame[i];
  if (current !== saved.frame) {
    if (saved.frame !== NO_FRAME) kernel.frames.retain(saved.frame);
    allocation.frame[i] = saved.frame;
    allocation.copied[i] = saved.copied;
    const va = allocation.base + i * FRAME_SIZE;
    if (process.space.syncPage(allocation, i, kernel.zeroFrame)) kernel.shootdown(process, va, null);
    kernel.frames.release(current);
  }
  const view = allocation.view;
  if (view !== null && !saved.sectionResident) {
    const page = view.firstPage + i;
    const frame = view.section.residentFrameForView(page, imageLayoutBase(allocation));
    // Read in by this call and mapped by nobody (only the sections' own references are left: one,
    // or one per section over the same file).
    if (frame !== NO_FRAME && kernel.frames.refCount(frame) === view.section.sectionReferences(page)) view.section.dropReadIn(page, imageLayoutBase(allocation), kernel.frames);
  }
}

/**
 * The bytes of image page `i` as the process relocates its own copy (B95), with the
 * header's ImageBase rewritten when the kernel relocated the mapping (ASLR, B92).
 * Shared by every process that loads the image at the same base: copy them, never write to them.
 * @internal
 */
export function privatelyRelocatedPage(allocation: Allocation, i: number): Uint8Array {
  const view = allocation.view!;
  return sharedRelocatedPage(view.section.image!.pe, view.firstPage + i, allocation.base, view.kernelRelocated === true);
}

/**
 * Reads page `i` in as a first touch by a read would (eager image relocation).
 * @throws {@link OutOfFramesError} when no frame is free (nothing changes).
 * @internal
 */
export function materializePage(process: Process, allocation: Allocation, i: number): void {
  if (allocation.frame[i] === NO_FRAME) firstTouch(process.kernel, null, process, allocation, i, false);
}
