import { FRAME_SIZE } from '../../mmu/physical-memory.js';
import { ERROR_INVALID_ADDRESS, MEM_IMAGE, STATUS_NOT_MAPPED_VIEW } from '../constants.js';
import { WindowsError } from '../errors.js';
import type { Kernel } from '../kernel.js';
import type { Process } from '../process.js';
import { NO_FRAME } from '../section.js';

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
}

/** How many process pages map each frame, over every live process. */
export function frameMappingCounts(kernel: Kernel): Map<number, number> {
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
 * pages, the copies relocation cost, and the memory sharing saves.
 * @param counts - mapping counts from {@link frameMappingCounts}, to reuse across reports.
 * @throws {@link WindowsError} ERROR_INVALID_ADDRESS when no image is mapped at `base`.
 */
export function imageReport(process: Process, base: number, counts: Map<number, number> = frameMappingCounts(process.kernel)): ImageReport {
  const allocation = process.regions.find(base);
  const image = allocation?.view?.section.image;
  if (allocation === undefined || allocation.type !== MEM_IMAGE || !image) {
    throw new WindowsError(STATUS_NOT_MAPPED_VIEW, `no image is mapped at 0x${base.toString(16)}`, ERROR_INVALID_ADDRESS);
  }
  const relocatedHere = allocation.base !== image.pe.imageBase && !image.relocated.has(allocation.base);
  let resident = 0;
  let shared = 0;
  let privatePages = 0;
  let relocationCopies = 0;
  let writeCopies = 0;
  for (let i = 0; i < allocation.pageCount; i++) {
    const frame = allocation.frame[i];
    if (frame === NO_FRAME) continue;
    resident++;
    if ((counts.get(frame) ?? 0) > 1) shared++;
    else privatePages++;
    if (allocation.copied[i] === 1) {
      const relocationWrote = image.fixupPages[i] === 1 || (i === image.imageBasePage && allocation.view!.kernelRelocated === true);
      if (relocatedHere && relocationWrote) relocationCopies++;
      else writeCopies++;
    }
  }
  return {
    pid: process.pid,
    base: allocation.base,
    preferredBase: image.pe.imageBase,
    pages: allocation.pageCount,
    residentPages: resident,
    sharedPages: shared,
    privatePages,
    relocationCopies,
    writeCopies,
    savedBytes: shared * FRAME_SIZE,
  };
}
