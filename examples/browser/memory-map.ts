/**
 * A process's memory map as plain data, for drawing: the regions VirtualQuery
 * reports (free, reserved, committed; image, mapped, private) and, for every
 * page of an allocation, whose frame it maps. No DOM and no Node API: the page
 * draws it and the test computes it again in Node to compare.
 */
import {
  FRAME_SIZE,
  MEM_COMMIT,
  MEM_FREE,
  MEM_IMAGE,
  MEM_MAPPED,
  MEM_PRIVATE,
  MEM_RESERVE,
  NO_FRAME,
  frameMappingCounts,
  protectionName,
  type Process,
} from '../../src/index.js';

/** VirtualQuery's State, named. */
export type RegionState = 'free' | 'reserve' | 'commit';
/** VirtualQuery's Type, named ('' for free memory). */
export type RegionType = 'image' | 'mapped' | 'private' | '';

/**
 * Whose frame a page maps:
 * - `none`: no frame (never touched, or not committed);
 * - `zero`: the kernel's shared zero frame (read, never written);
 * - `shared`: a frame that more than one process page maps (in any process);
 * - `private`: a frame that is this page's alone (its only reference: a copy-on-write copy, a written private page);
 * - `section`: a section's frame that only this page maps now (other processes could map it too).
 */
export type PageSharing = 'none' | 'zero' | 'shared' | 'private' | 'section';

/** One run of pages alike, as VirtualQuery returns it. */
export interface MapRegion {
  base: number;
  size: number;
  state: RegionState;
  type: RegionType;
  /** Protection name of committed pages, '' otherwise. */
  protect: string;
  /** One entry per page; empty for free memory. */
  pages: PageSharing[];
}

/** The memory map of one process. */
export interface ProcessMap {
  pid: number;
  regions: MapRegion[];
  /** Pages per sharing class, over the whole address space. */
  totals: Record<PageSharing, number>;
}

const STATES = new Map<number, RegionState>([
  [MEM_FREE, 'free'],
  [MEM_RESERVE, 'reserve'],
  [MEM_COMMIT, 'commit'],
]);
const TYPES = new Map<number, RegionType>([
  [0, ''],
  [MEM_IMAGE, 'image'],
  [MEM_MAPPED, 'mapped'],
  [MEM_PRIVATE, 'private'],
]);

/**
 * Walks `process`'s address space with VirtualQuery from 0 to the end of its
 * last allocation, then classifies each page by the frame it maps.
 * @param counts - how many process pages map each frame ({@link frameMappingCounts}), to reuse across processes.
 */
export function memoryMap(process: Process, counts: Map<number, number> = frameMappingCounts(process.kernel)): ProcessMap {
  const kernel = process.kernel;
  let end = 0;
  for (const allocation of process.regions) end = Math.max(end, allocation.end);
  const totals: Record<PageSharing, number> = { none: 0, zero: 0, shared: 0, private: 0, section: 0 };
  const regions: MapRegion[] = [];
  for (let address = 0; address < end; ) {
    const info = process.virtualQuery(address);
    const pages: PageSharing[] = [];
    if (info.state !== MEM_FREE) {
      const allocation = process.regions.find(info.baseAddress)!;
      const first = allocation.pageIndex(info.baseAddress);
      for (let i = first; i < first + info.regionSize / FRAME_SIZE; i++) {
        const frame = allocation.frame[i];
        const sharing: PageSharing =
          frame === NO_FRAME
            ? 'none'
            : frame === kernel.zeroFrame
              ? 'zero'
              : (counts.get(frame) ?? 0) > 1
                ? 'shared'
                : kernel.frames.refCount(frame) === 1
                  ? 'private'
                  : 'section';
        pages.push(sharing);
        totals[sharing]++;
      }
    }
    regions.push({
      base: info.baseAddress,
      size: info.regionSize,
      state: STATES.get(info.state)!,
      type: TYPES.get(info.type)!,
      protect: info.state === MEM_COMMIT ? protectionName(info.protect) : '',
      pages,
    });
    address = info.baseAddress + info.regionSize;
  }
  return { pid: process.pid, regions, totals };
}
