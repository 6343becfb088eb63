import { FRAME_SIZE } from '../../mmu/physical-memory.js';
import { InvalidArgumentError } from '../../mmu/errors.js';
import { ERROR_INVALID_ADDRESS, ERROR_INVALID_HANDLE, MEM_IMAGE, STATUS_INVALID_HANDLE, STATUS_NOT_MAPPED_VIEW } from '../rules/constants.js';
import { WindowsError } from '../rules/errors.js';
import { Kernel } from '../kernel/kernel.js';
import { Process } from '../kernel/process.js';
import { NO_FRAME } from '../records/section.js';

/**
 * The pages behind the counts of an {@link ImageReport}: virtual addresses
 * (4 KiB aligned, ascending) in the process. Each list's length is the count
 * of the same name.
 */
export interface ImageReportPages {
  /** Pages with a frame now ({@link ImageReport.residentPages}). */
  readonly resident: readonly number[];
  /** Resident pages whose frame another process page also maps ({@link ImageReport.sharedPages}). */
  readonly shared: readonly number[];
  /** Resident pages whose frame only this page maps ({@link ImageReport.privatePages}). */
  readonly private: readonly number[];
  /** Private copies made because the image is relocated here ({@link ImageReport.relocationCopies}). */
  readonly relocationCopies: readonly number[];
  /** Private copies made by a write to a copy-on-write page ({@link ImageReport.writeCopies}). */
  readonly writeCopies: readonly number[];
}

/** What one process's mapping of one image costs and shares (per image and process, as the seed asks). */
export interface ImageReport {
  /** Process id. */
  readonly pid: number;
  /** Where the image is mapped. */
  readonly base: number;
  /** The header's preferred ImageBase. */
  readonly preferredBase: number;
  /** Pages the image spans. */
  readonly pages: number;
  /** Pages with a frame now. */
  readonly residentPages: number;
  /** Resident pages whose frame is also mapped by another process page (any process): physical pages shared. */
  readonly sharedPages: number;
  /** Resident pages whose frame only this page maps. */
  readonly privatePages: number;
  /** Private pages this process holds because the image is relocated here (fixup pages relocated into a private copy). */
  readonly relocationCopies: number;
  /** Private pages this process holds because it wrote a copy-on-write page (not counting relocation copies). */
  readonly writeCopies: number;
  /** Bytes of physical memory this mapping does not need because its shared pages are shared: sharedPages × 4096. */
  readonly savedBytes: number;
  /** Which pages the counts count, as virtual addresses: an emulator needs no process internals to find them. */
  readonly pageAddresses: ImageReportPages;
}

/**
 * How many process pages map each frame, over every live process: frame
 * number → count. One pass over every page of every process; compute it once
 * and pass it to several {@link imageReport} calls.
 * @param kernel - the kernel.
 * @throws {@link InvalidArgumentError} when `kernel` is not a Kernel.
 */
export function frameMappingCounts(kernel: Kernel): Map<number, number> {
  if (!(kernel instanceof Kernel)) throw new InvalidArgumentError('kernel must be a Kernel');
  const counts = new Map<number, number>();
  for (const process of kernel.processes()) {
    for (const allocation of process.regions) {
      for (let i = 0; i < allocation.pageCount; i++) {
        const frame = allocation.frame[i];
        if (frame !== NO_FRAME) counts.set(frame, (counts.get(frame) ?? 0) + 1);
      }
    }
  }
  return counts;
}

/**
 * Reports the image mapped at `base` in `process`: shared and private
 * pages, the copies relocation cost, and the memory sharing saves; each count
 * with the virtual addresses of its pages in {@link ImageReport.pageAddresses}.
 * Counts only resident pages (touched, or loaded with `eager`). Changes nothing.
 * @param process - the process.
 * @param base - any address inside the image view (usually {@link LoadedImage.base}).
 * @param counts - mapping counts from {@link frameMappingCounts}, to reuse across reports.
 * @returns the report; page counts in 4 KiB pages, `savedBytes` in bytes.
 * @throws {@link WindowsError} ERROR_INVALID_ADDRESS when no image is mapped at `base`; ERROR_INVALID_HANDLE for an
 *   exited process or anything that is not a process; ERROR_INVALID_PARAMETER when `base` is not an address.
 * @throws {@link InvalidArgumentError} when `counts` is not a Map.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * const dll = new Uint8Array(readFileSync('fixtures/pe/absolute32.dll')); // 14 pages, 7 with fixups
 * const kernel = new Kernel();
 * const touchAll = (p: Process, base: number) => {
 *   const cpu = kernel.run(0, p);
 *   for (let page = 0; page < 14; page++) cpu.mmu.read8(base + page * 4096);
 * };
 * const p1 = kernel.createProcess();
 * touchAll(p1, p1.loadImage(dll).base);                   // at its preferred base
 * const p2 = kernel.createProcess();
 * p2.virtualAlloc(0x1000_0000, 0x1000, MEM_RESERVE, PAGE_NOACCESS); // its base is taken here
 * const moved = p2.loadImage(dll);
 * touchAll(p2, moved.base);
 * const report = imageReport(p2, moved.base);
 * report.sharedPages;          // 7: the pages without fixups are p1's frames
 * report.relocationCopies;     // 7: each fixup page relocated into a private copy
 * report.savedBytes;           // 0x7000
 * report.pageAddresses.relocationCopies.length;          // 7: the counts are the lists' lengths
 * report.pageAddresses.relocationCopies.map((va) => va - moved.base); // the fixup pages' RVAs
 * // The pages p2 holds privately, found without process internals:
 * report.pageAddresses.private.every((va) => p2.virtualQuery(va).type === MEM_IMAGE); // true
 * ```
 */
export function imageReport(process: Process, base: number, counts?: Map<number, number>): ImageReport {
  if (!(process instanceof Process)) throw new WindowsError(STATUS_INVALID_HANDLE, 'process handle is not valid (not a process)', ERROR_INVALID_HANDLE);
  process.kernel.requireLive(process);
  base = process.kernel.requireAddress(base, 'base');
  if (counts === undefined) counts = frameMappingCounts(process.kernel);
  else if (!(counts instanceof Map)) throw new InvalidArgumentError('counts must be the Map frameMappingCounts returns');
  const allocation = process.regions.find(base);
  const image = allocation?.view?.section.image;
  if (allocation === undefined || allocation.type !== MEM_IMAGE || !image) {
    throw new WindowsError(STATUS_NOT_MAPPED_VIEW, `no image is mapped at 0x${base.toString(16)}`, ERROR_INVALID_ADDRESS);
  }
  const relocatedHere = allocation.base !== image.pe.imageBase && allocation.view!.unrelocated !== true && !image.relocated.has(allocation.base);
  const resident: number[] = [];
  const shared: number[] = [];
  const privatePages: number[] = [];
  const relocationCopies: number[] = [];
  const writeCopies: number[] = [];
  for (let i = 0; i < allocation.pageCount; i++) {
    const frame = allocation.frame[i];
    if (frame === NO_FRAME) continue;
    const va = allocation.base + i * FRAME_SIZE;
    resident.push(va);
    if ((counts.get(frame) ?? 0) > 1) shared.push(va);
    else privatePages.push(va);
    if (allocation.copied[i] === 1) {
      const relocationWrote = image.fixupPages[i] === 1 || (i === image.imageBasePage && allocation.view!.kernelRelocated === true);
      if (relocatedHere && relocationWrote) relocationCopies.push(va);
      else writeCopies.push(va);
    }
  }
  return {
    pid: process.pid,
    base: allocation.base,
    preferredBase: image.pe.imageBase,
    pages: allocation.pageCount,
    residentPages: resident.length,
    sharedPages: shared.length,
    privatePages: privatePages.length,
    relocationCopies: relocationCopies.length,
    writeCopies: writeCopies.length,
    savedBytes: shared.length * FRAME_SIZE,
    pageAddresses: Object.freeze({
      resident: Object.freeze(resident),
      shared: Object.freeze(shared),
      private: Object.freeze(privatePages),
      relocationCopies: Object.freeze(relocationCopies),
      writeCopies: Object.freeze(writeCopies),
    }),
  };
}
