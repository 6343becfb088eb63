/**
 * A process's handle table: the numbers a Windows program holds for kernel objects, each with the
 * access it was granted and its attributes. Only the table lives here; what creates, duplicates and
 * closes handles (and keeps the objects' handle counts) is in [handles.ts](./handles.ts).
 *
 * Values (Windows Research Kernel and ReactOS `ExCreateHandle`; Raymond Chen, "Why are kernel
 * HANDLEs always a multiple of four?"): a handle is (slot + 1) × 4, so the first is 4 and 0 is never
 * one; the low two bits are tag bits the kernel ignores when it looks a handle up. A closed slot is
 * reused first (the free list is last in, first out: kernel32's test_DuplicateHandle gets the value
 * just closed back from DuplicateHandle with DUPLICATE_CLOSE_SOURCE).
 * @module
 */
import { STATUS_INSUFFICIENT_RESOURCES, ERROR_NO_SYSTEM_RESOURCES } from '../rules/constants.js';
import { WindowsError } from '../rules/errors.js';
import type { FileObject } from './file-object.js';
import type { Section } from '../records/section.js';
import type { Process } from '../kernel/process.js';
import type { Thread } from './threads.js';

/** What a handle may refer to: a section (file mapping), a file, a process or a thread. Each names its type in `objectType`. */
export type KernelObject = Section | FileObject | Process | Thread;

/** One open handle: the object, the access granted to this handle, and its HANDLE_FLAG_* attributes. */
export interface HandleEntry {
  /** The object the handle refers to. */
  readonly object: KernelObject;
  /** The access mask granted when the handle was made (SECTION_*, FILE_*, PROCESS_* or THREAD_* rights). */
  readonly access: number;
  /** HANDLE_FLAG_INHERIT and HANDLE_FLAG_PROTECT_FROM_CLOSE (SetHandleInformation). */
  attributes: number;
}

/** The most handles one process may hold: 2^24 (Windows allows about 16 million per process). */
export const MAX_HANDLES = 2 ** 24;

/**
 * The handle table of one process ({@link Process.handles}). Handle values are 4, 8, 12, …; a closed
 * value is the next one given out.
 *
 * @example
 * ```ts
 * const p = kernel.createProcess();
 * const { handle } = p.createFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, 0x1000);
 * handle;                       // 4
 * p.handles.get(handle)!.access; // SECTION_QUERY | SECTION_MAP_READ | SECTION_MAP_WRITE | STANDARD_RIGHTS_REQUIRED
 * ```
 */
export class HandleTable {
  private readonly slots: Array<HandleEntry | undefined> = [];
  /** Free slots below `slots.length`, the most recently freed last. */
  private readonly free: number[] = [];
  private live = 0;

  /** Number of open handles. */
  get count(): number {
    return this.live;
  }

  /**
   * The entry of `handle`, or undefined when it is not an open handle of this table. The two tag bits are
   * ignored, as the kernel ignores them.
   */
  get(handle: number): HandleEntry | undefined {
    if (!Number.isInteger(handle) || handle < 4 || handle > 0xffff_ffff) return undefined;
    return this.slots[Math.floor(handle / 4) - 1];
  }

  /** Every open handle with its entry, in handle order. */
  *entries(): IterableIterator<[number, HandleEntry]> {
    for (let i = 0; i < this.slots.length; i++) {
      const entry = this.slots[i];
      if (entry !== undefined) yield [(i + 1) * 4, entry];
    }
  }

  /**
   * @internal Adds an entry; returns its handle value.
   * @throws {@link WindowsError} STATUS_INSUFFICIENT_RESOURCES when the table is full ({@link MAX_HANDLES}).
   */
  add(entry: HandleEntry): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      if (this.slots.length >= MAX_HANDLES) throw new WindowsError(STATUS_INSUFFICIENT_RESOURCES, `the process holds ${MAX_HANDLES} handles`, ERROR_NO_SYSTEM_RESOURCES);
      slot = this.slots.length;
      this.slots.push(undefined);
    }
    this.slots[slot] = entry;
    this.live++;
    return (slot + 1) * 4;
  }

  /** @internal Removes an open handle's entry and returns it (undefined when it is not open). */
  remove(handle: number): HandleEntry | undefined {
    const entry = this.get(handle);
    if (entry === undefined) return undefined;
    const slot = Math.floor(handle / 4) - 1;
    this.slots[slot] = undefined;
    this.free.push(slot);
    this.live--;
    return entry;
  }

  /**
   * @internal A child's table holding copies of the entries `keep` selects, at the same values (handle
   * inheritance: Microsoft's "Handle Inheritance"; ReactOS `ExDupHandleTable`). The other slots are free,
   * the lowest given out first.
   */
  cloneWhere(keep: (entry: HandleEntry) => boolean): HandleTable {
    const child = new HandleTable();
    for (let i = 0; i < this.slots.length; i++) {
      const entry = this.slots[i];
      child.slots.push(entry !== undefined && keep(entry) ? { ...entry } : undefined);
      if (child.slots[i] !== undefined) child.live++;
    }
    for (let i = child.slots.length - 1; i >= 0; i--) if (child.slots[i] === undefined) child.free.push(i);
    return child;
  }
}
