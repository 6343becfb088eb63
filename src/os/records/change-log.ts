/**
 * What changed in a kernel's records since each open snapshot, so that a restore copies back the records
 * of what changed rather than all of them (kernel-snapshots.ts). The records are cut into units: each
 * process (its address space, region tree, handles, modules and fields), each thread, each allocation
 * (its per-page records), each section; the rest (the kernel's own fields, tables, counters, file
 * caches) is restored every time.
 *
 * Who marks what:
 * - the page-fault path, the kernel's hottest and the one a guest drives between a snapshot and a
 *   restore, marks the faulting process's address space, the thread, the allocation and the section it views;
 * - the memory calls that name an address range (VirtualAlloc, VirtualFree, VirtualProtect, ReadMemory,
 *   WriteMemory, the write-watch calls) mark their process and the allocations and sections in the range;
 * - a context switch marks the process and thread it changes;
 * - every other call of a {@link Process} (and Thread.exit, setStackGuarantee, the kernel's image-section
 *   and close calls) marks everything: a restore after it copies all records back, as before units
 *   existed. That is the default, so a call added later is safe before it is made precise.
 *
 * The marks cost a null check when no snapshot is open (the kernel's log is null) and a set insert when one is.
 * @module
 */

import type { Section } from './section.js';

/** One snapshot level's marks. */
interface Level {
  readonly units: Set<object>;
  all: boolean;
}

/** @internal What changed since each open snapshot level: units marked, or everything. */
export class ChangeLog {
  private readonly levels: Level[] = [];
  private top: Level | null = null;

  /** Opens a level: marks from now on go into it. */
  push(): void {
    this.top = { units: new Set(), all: false };
    this.levels.push(this.top);
  }

  /** Marks a unit (a process, thread, allocation or section) changed. */
  touch(unit: object): void {
    this.top!.units.add(unit);
  }

  /**
   * Marks a section changed, with every other data section over the same file: a page read in for one is
   * entered in all of them (the file cache shares its frames).
   */
  touchSection(section: Section): void {
    const units = this.top!.units;
    units.add(section);
    if (section.cache !== null) for (const other of section.cache.sections) units.add(other);
  }

  /** Marks every record changed. */
  touchAll(): void {
    this.top!.all = true;
  }

  /**
   * What changed since level `level` was opened (its marks and the newer levels'), for a restore to it: the newer
   * levels are closed and `level` starts empty again.
   */
  restoreTo(level: number): { all: boolean; units: Set<object> } {
    const units = new Set<object>();
    let all = false;
    for (let k = level; k < this.levels.length; k++) {
      all ||= this.levels[k].all;
      for (const unit of this.levels[k].units) units.add(unit);
    }
    this.levels.length = level + 1;
    this.top = this.levels[level] = { units: new Set(), all: false };
    return { all, units };
  }

  /** Closes level `level` and the newer ones; their marks pass to the level below, which must restore what they changed. */
  discard(level: number): void {
    const below = level > 0 ? this.levels[level - 1] : null;
    if (below !== null) {
      for (let k = level; k < this.levels.length; k++) {
        below.all ||= this.levels[k].all;
        for (const unit of this.levels[k].units) below.units.add(unit);
      }
    }
    this.levels.length = level;
    this.top = below;
  }

  /** Open levels. */
  get depth(): number {
    return this.levels.length;
  }
}
