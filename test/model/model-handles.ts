/**
 * Handles as docs/kernel.md ("Handles and named sections") describes them: a per-process table of
 * values 4, 8, 12, … (the low two bits are tag bits, ignored on lookup; 0 is never a handle; a closed
 * value is the next one given out, last in first out), each naming an object with the access it was
 * granted and its HANDLE_FLAG_* attributes; and the access a request is granted. What a section or a
 * view needs of a handle, by its protection, is in model-protection.ts.
 */
import {
  FILE_ALL_ACCESS,
  FILE_GENERIC_EXECUTE,
  FILE_GENERIC_READ,
  FILE_GENERIC_WRITE,
  FILE_MAP_COPY,
  FILE_MAP_EXECUTE,
  GENERIC_ALL,
  GENERIC_EXECUTE,
  GENERIC_READ,
  GENERIC_WRITE,
  HANDLE_FLAG_INHERIT,
  PROCESS_ALL_ACCESS,
  PROCESS_GENERIC_EXECUTE,
  PROCESS_GENERIC_READ,
  PROCESS_GENERIC_WRITE,
  PROCESS_QUERY_INFORMATION,
  PROCESS_QUERY_LIMITED_INFORMATION,
  READ_CONTROL,
  SECTION_ALL_ACCESS,
  SECTION_MAP_EXECUTE,
  SECTION_MAP_READ,
  SECTION_MAP_WRITE,
  SECTION_QUERY,
  THREAD_ALL_ACCESS,
  THREAD_GENERIC_EXECUTE,
  THREAD_GENERIC_READ,
  THREAD_GENERIC_WRITE,
  THREAD_QUERY_INFORMATION,
  THREAD_QUERY_LIMITED_INFORMATION,
  THREAD_SET_INFORMATION,
  THREAD_SET_LIMITED_INFORMATION,
} from './model-constants.js';
import type { ModelProcess } from './model-process.js';
import type { ModelFile, ModelSection } from './model-section.js';

/** An open file (CreateFile): every open of one file is its own object; its handles carry the access. */
export class ModelFileObject {
  readonly objectType = 'File';
  /** Handles to it in every process. */
  handleCount = 0;
  constructor(readonly file: ModelFile) {}
}

/**
 * A thread (CreateRemoteThread): its id, its process and its stack, a private reservation at
 * `stack` (TEB.DeallocationStack) that its exit releases. It lives until it exits or its process
 * does; its id names it while it lives or a handle refers to it.
 */
export class ModelThread {
  readonly objectType = 'Thread';
  /** Handles to it in every process. */
  handleCount = 0;
  /** True once it exited (its own exit, or its process's). */
  ended = false;
  constructor(
    readonly tid: number,
    readonly process: ModelProcess,
    /** The base of its stack's reservation. */
    readonly stack: number,
  ) {}

  get exited(): boolean {
    return this.ended || !this.process.live;
  }
}

/** What a handle refers to; `objectType` tells them apart (no instanceof: model-process.ts imports this file). */
export type ModelObject = ModelSection | ModelFileObject | ModelProcess | ModelThread;

/** One open handle. */
export interface ModelHandle {
  readonly object: ModelObject;
  readonly access: number;
  attributes: number;
}

/** A process's handle table. */
export class ModelHandleTable {
  /** Slot i holds the handle of value (i + 1) × 4. */
  private readonly slots: Array<ModelHandle | undefined> = [];
  /** Closed slots, the last closed last: the next value given out. */
  private readonly closed: number[] = [];

  /** The open handle `value` names, tag bits ignored; undefined for 0..3 and values not open. */
  get(value: number): ModelHandle | undefined {
    return value < 4 ? undefined : this.slots[Math.floor(value / 4) - 1];
  }

  add(handle: ModelHandle): number {
    const slot = this.closed.pop() ?? this.slots.push(undefined) - 1;
    this.slots[slot] = handle;
    return (slot + 1) * 4;
  }

  /** Closes an open value (its slot the next given out). */
  remove(value: number): ModelHandle {
    const slot = Math.floor(value / 4) - 1;
    const handle = this.slots[slot]!;
    this.slots[slot] = undefined;
    this.closed.push(slot);
    return handle;
  }

  /** Every open handle, by value. */
  list(): Array<[number, ModelHandle]> {
    return this.slots.flatMap((handle, i) => (handle === undefined ? [] : [[(i + 1) * 4, handle] as [number, ModelHandle]]));
  }

  /**
   * A forked child's table: the inheritable handles at the same values (docs/kernel.md, "Calls": fork).
   * Which value the child gives out next the document does not say; HandleTable's TSDoc does: the
   * lowest free one first.
   */
  inherited(): ModelHandleTable {
    const child = new ModelHandleTable();
    this.slots.forEach((handle) => child.slots.push(handle !== undefined && (handle.attributes & HANDLE_FLAG_INHERIT) !== 0 ? { ...handle } : undefined));
    for (let i = child.slots.length - 1; i >= 0; i--) if (child.slots[i] === undefined) child.closed.push(i);
    return child;
  }
}

/** A type's generic mapping (winnt.h GENERIC_MAPPING: what each GENERIC_* right stands for); `all` is also the type's valid rights. */
interface GenericMapping {
  readonly read: number;
  readonly write: number;
  readonly execute: number;
  readonly all: number;
}

/** Sections' and files' (ntdll test_object_types). */
const SECTION_MAPPING: GenericMapping = { read: READ_CONTROL | SECTION_QUERY | SECTION_MAP_READ, write: READ_CONTROL | SECTION_MAP_WRITE, execute: READ_CONTROL | SECTION_MAP_EXECUTE, all: SECTION_ALL_ACCESS };
const FILE_MAPPING: GenericMapping = { read: FILE_GENERIC_READ, write: FILE_GENERIC_WRITE, execute: FILE_GENERIC_EXECUTE, all: FILE_ALL_ACCESS };

/** The access a request is granted: its rights of the type, and what its GENERIC_* bits stand for. */
function grantedAccess(desired: number, mapping: GenericMapping): number {
  const generic: ReadonlyArray<[number, number]> = [
    [GENERIC_READ, mapping.read],
    [GENERIC_WRITE, mapping.write],
    [GENERIC_EXECUTE, mapping.execute],
    [GENERIC_ALL, mapping.all],
  ];
  return generic.reduce((access, [bit, rights]) => ((desired & bit) !== 0 ? access | rights : access), desired & mapping.all) >>> 0;
}

/** Processes' and threads' (ntdll test_object_types, the values the model's brief gives). */
const PROCESS_MAPPING: GenericMapping = { read: PROCESS_GENERIC_READ, write: PROCESS_GENERIC_WRITE, execute: PROCESS_GENERIC_EXECUTE, all: PROCESS_ALL_ACCESS };
const THREAD_MAPPING: GenericMapping = { read: THREAD_GENERIC_READ, write: THREAD_GENERIC_WRITE, execute: THREAD_GENERIC_EXECUTE, all: THREAD_ALL_ACCESS };

export const sectionAccess = (desired: number): number => grantedAccess(desired, SECTION_MAPPING);
export const fileAccess = (desired: number): number => grantedAccess(desired, FILE_MAPPING);

/**
 * A process handle's access: the generic mapping, bits outside PROCESS_ALL_ACCESS dropped, and
 * PROCESS_QUERY_INFORMATION implying PROCESS_QUERY_LIMITED_INFORMATION (Microsoft's "Process Security
 * and Access Rights").
 */
export function processAccess(desired: number): number {
  const access = grantedAccess(desired, PROCESS_MAPPING);
  return (access & PROCESS_QUERY_INFORMATION ? access | PROCESS_QUERY_LIMITED_INFORMATION : access) >>> 0;
}

/** A thread handle's: THREAD_QUERY_INFORMATION and THREAD_SET_INFORMATION imply their limited forms ("Thread Security and Access Rights"). */
export function threadAccess(desired: number): number {
  let access = grantedAccess(desired, THREAD_MAPPING);
  if (access & THREAD_QUERY_INFORMATION) access |= THREAD_QUERY_LIMITED_INFORMATION;
  if (access & THREAD_SET_INFORMATION) access |= THREAD_SET_LIMITED_INFORMATION;
  return access >>> 0;
}

/** The access a request is granted on `object`, by its type (DuplicateHandle without DUPLICATE_SAME_ACCESS). */
export function accessFor(object: ModelObject, desired: number): number {
  switch (object.objectType) {
    case 'Section':
      return sectionAccess(desired);
    case 'File':
      return fileAccess(desired);
    case 'Process':
      return processAccess(desired);
    case 'Thread':
      return threadAccess(desired);
  }
}

/** OpenFileMapping's access (kernelbase): FILE_MAP_COPY alone is SECTION_MAP_READ, FILE_MAP_EXECUTE is SECTION_MAP_EXECUTE; then the generic mapping. */
export function openMappingAccess(desired: number): number {
  if (desired === FILE_MAP_COPY) return SECTION_MAP_READ;
  const execute = (desired & FILE_MAP_EXECUTE) !== 0 ? SECTION_MAP_EXECUTE : 0;
  return sectionAccess(((desired & ~FILE_MAP_EXECUTE) | execute) >>> 0);
}
