/**
 * The handle calls, as docs/kernel.md ("Calls" and "Handles and named sections") and the TSDoc of
 * the Process methods describe them: CreateFile, CreateFileMapping, OpenFileMapping, CloseHandle and
 * NtClose, DuplicateHandle and NtDuplicateObject, Get/SetHandleInformation, NtCreateSection,
 * NtOpenSection, and NtQuerySection through a handle. Handles live in each process's table
 * (model-handles.ts); the world keeps the names and the sections' lifetimes.
 *
 * Where the documents leave the order of two errors open (a bad name and a bad protection, say), the
 * operations never ask for both (arbitraries.ts, harness.ts).
 */
import {
  CURRENT_PROCESS_HANDLE,
  DUPLICATE_CLOSE_SOURCE,
  DUPLICATE_SAME_ACCESS,
  DUPLICATE_SAME_ATTRIBUTES,
  ERROR_ACCESS_DENIED,
  ERROR_ALREADY_EXISTS,
  ERROR_FILE_NOT_FOUND,
  ERROR_INVALID_HANDLE,
  ERROR_INVALID_NAME,
  ERROR_INVALID_PARAMETER,
  ERROR_PATH_NOT_FOUND,
  HANDLE_FLAG_INHERIT,
  HANDLE_FLAG_PROTECT_FROM_CLOSE,
  INVALID_HANDLE_VALUE,
  OBJ_INHERIT,
  OBJ_OPENIF,
  SEC_COMMIT,
  SEC_RESERVE,
  SECTION_QUERY,
  STATUS_ACCESS_DENIED,
  STATUS_HANDLE_NOT_CLOSABLE,
  STATUS_INVALID_HANDLE,
  STATUS_INVALID_PARAMETER,
  STATUS_OBJECT_NAME_COLLISION,
  STATUS_OBJECT_NAME_EXISTS,
  STATUS_OBJECT_NAME_INVALID,
  STATUS_OBJECT_NAME_NOT_FOUND,
  STATUS_OBJECT_PATH_NOT_FOUND,
  STATUS_OBJECT_TYPE_MISMATCH,
  STATUS_SUCCESS,
} from './model-constants.js';
import { ModelFileObject, fileAccess, openMappingAccess, sectionAccess, type ModelHandle } from './model-handles.js';
import { ModelCallError } from './model-outcome.js';
import type { ModelProcess } from './model-process.js';
import { fileAccessForSection, mappingAccess } from './model-protection.js';
import { ModelSection, type ModelFile } from './model-section.js';
import type { ModelWorld, SectionResolver } from './model-world.js';

/** NtCreateSection's and CreateFileMapping's common arguments. */
interface SectionRequest {
  /** A file handle, or INVALID_HANDLE_VALUE (the paging file). */
  readonly file: number;
  /** The page protection. */
  readonly protect: number;
  /** SEC_COMMIT (or 0) or SEC_RESERVE, for an anonymous section. */
  readonly attributes: number;
  /** Bytes (an anonymous section's; a file section's is its file's, asked for with 0). */
  readonly size: number;
  readonly name: string | null;
  /** The handle's access; null: CreateFileMapping's, from the protection. */
  readonly access: number | null;
  readonly openIf: boolean;
  readonly inherit: boolean;
}

/** What a handle-making NT call returns: `{ status, handle }`, the handle 0 on failure. */
export interface ModelNtHandle {
  status: number;
  handle: number;
}

const invalidHandle = (why: string) => new ModelCallError(ERROR_INVALID_HANDLE, STATUS_INVALID_HANDLE, why);
const attributesOf = (inherit: boolean) => (inherit ? HANDLE_FLAG_INHERIT : 0);

/**
 * An object name's full path (docs/kernel.md: case-sensitive; a plain name and `Local\` name the
 * session's namespace, `Global\` another; any other backslash STATUS_OBJECT_PATH_NOT_FOUND, an empty
 * name STATUS_OBJECT_NAME_INVALID). The paths themselves are objectPath's TSDoc's.
 */
export function objectPath(name: string): string {
  const invalid = () => new ModelCallError(ERROR_INVALID_NAME, STATUS_OBJECT_NAME_INVALID, `object name "${name}"`);
  if (name.length === 0) throw invalid();
  const global = name.startsWith('Global\\');
  const rest = global ? name.slice('Global\\'.length) : name.startsWith('Local\\') ? name.slice('Local\\'.length) : name;
  if (rest.length === 0) throw invalid();
  if (rest.includes('\\')) throw new ModelCallError(ERROR_PATH_NOT_FOUND, STATUS_OBJECT_PATH_NOT_FOUND, `"${name}": no such directory`);
  return (global ? '\\BaseNamedObjects\\' : '\\Sessions\\1\\BaseNamedObjects\\') + rest;
}

export class ModelObjects {
  constructor(private readonly world: ModelWorld) {}

  /** CreateFile over one of the model's files: a new file object, its handle with `desiredAccess` through the file's generic mapping. */
  createFile(process: ModelProcess, file: ModelFile, desiredAccess: number, inherit: boolean): number {
    process.requireLive();
    return this.world.addHandle(process, new ModelFileObject(file), fileAccess(desiredAccess), attributesOf(inherit));
  }

  /** CreateFileMapping: `protect` is flProtect (PAGE_* | SEC_COMMIT or SEC_RESERVE); a name that exists opens its section (B63). */
  createFileMapping(process: ModelProcess, file: number, protect: number, maximumSize: number, name: string | null, inherit: boolean): { handle: number; alreadyExists: boolean } {
    if (name !== null) objectPath(name); // an argument: before the process
    process.requireLive();
    const attributes = protect & (SEC_COMMIT | SEC_RESERVE);
    return this.createSection(process, { file, protect: protect & ~attributes, attributes, size: maximumSize, name, access: null, openIf: true, inherit });
  }

  /** NtCreateSection: the handle gets the access asked for; a name that exists is STATUS_OBJECT_NAME_COLLISION unless OBJ_OPENIF (then STATUS_OBJECT_NAME_EXISTS). */
  ntCreateSection(
    process: ModelProcess,
    args: { desiredAccess: number; protect: number; attributes: number; maximumSize: number; file: number; name: string | null; objectAttributes: number },
  ): ModelNtHandle {
    process.requireLive();
    return statusOf(() => {
      const { handle, alreadyExists } = this.createSection(process, {
        file: args.file,
        protect: args.protect,
        attributes: args.attributes,
        size: args.maximumSize,
        name: args.name,
        access: sectionAccess(args.desiredAccess),
        openIf: (args.objectAttributes & OBJ_OPENIF) !== 0,
        inherit: (args.objectAttributes & OBJ_INHERIT) !== 0,
      });
      return { status: alreadyExists ? STATUS_OBJECT_NAME_EXISTS : STATUS_SUCCESS, handle };
    });
  }

  /**
   * CreateFileMapping's and NtCreateSection's work, in docs/kernel.md's order: the arguments (the
   * name's form, the protection: B60); the file handle (not open, not a file) and its access (B66);
   * the section's own checks (a size, the commit charge); only then is the name looked up, so that a
   * name that exists gives its section whatever size and protection were asked.
   */
  private createSection(process: ModelProcess, request: SectionRequest): { handle: number; alreadyExists: boolean } {
    const world = this.world;
    const path = request.name === null ? null : objectPath(request.name);
    world.requireSectionProtection(request.protect);
    let file: ModelFile | null = null;
    if (request.file !== INVALID_HANDLE_VALUE) {
      const handle = process.handles.get(request.file);
      if (handle === undefined) throw invalidHandle('file handle not open');
      if (!(handle.object instanceof ModelFileObject)) throw new ModelCallError(ERROR_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH, 'not a file handle');
      if (!grants(handle, fileAccessForSection(request.protect))) throw new ModelCallError(ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED, 'the file handle lacks the access the protection needs (B66)');
      file = handle.object.file;
    }
    const backing = file !== null ? 'file' : request.attributes & SEC_RESERVE ? 'reserve' : 'commit';
    world.requireSection(backing, request.size);
    const access = request.access ?? mappingAccess(request.protect);
    const existing = path === null ? undefined : world.names.get(path);
    if (existing !== undefined) {
      if (!request.openIf) throw new ModelCallError(ERROR_ALREADY_EXISTS, STATUS_OBJECT_NAME_COLLISION, `a section is named ${path}`);
      return { handle: world.addHandle(process, existing, access, attributesOf(request.inherit)), alreadyExists: true };
    }
    const section = world.newSection(backing, request.size, request.protect, file, false);
    if (path !== null) {
      world.names.set(path, section);
      section.name = path;
    }
    return { handle: world.addHandle(process, section, access, attributesOf(request.inherit)), alreadyExists: false };
  }

  /** OpenFileMapping: ERROR_FILE_NOT_FOUND for a name no section has (B72). */
  openFileMapping(process: ModelProcess, desiredAccess: number, inherit: boolean, name: string): number {
    const path = objectPath(name);
    process.requireLive();
    return this.world.addHandle(process, this.named(path), openMappingAccess(desiredAccess), attributesOf(inherit));
  }

  /** NtOpenSection: the access as asked (generic mapping); STATUS_OBJECT_NAME_NOT_FOUND. */
  ntOpenSection(process: ModelProcess, desiredAccess: number, name: string, objectAttributes: number): ModelNtHandle {
    process.requireLive();
    return statusOf(() => ({
      status: STATUS_SUCCESS,
      handle: this.world.addHandle(process, this.named(objectPath(name)), sectionAccess(desiredAccess), attributesOf((objectAttributes & OBJ_INHERIT) !== 0)),
    }));
  }

  private named(path: string): ModelSection {
    const section = this.world.names.get(path);
    if (section === undefined) throw new ModelCallError(ERROR_FILE_NOT_FOUND, STATUS_OBJECT_NAME_NOT_FOUND, `no section is named ${path}`);
    return section;
  }

  /**
   * NtClose: STATUS_INVALID_HANDLE for a value that is not open; STATUS_HANDLE_NOT_CLOSABLE for a
   * protected one, which stays open; the current-process pseudo-handle: nothing done, STATUS_SUCCESS.
   */
  ntClose(process: ModelProcess, value: number): number {
    process.requireLive();
    if (value === CURRENT_PROCESS_HANDLE) return STATUS_SUCCESS;
    const handle = process.handles.get(value);
    if (handle === undefined) return STATUS_INVALID_HANDLE;
    if (handle.attributes & HANDLE_FLAG_PROTECT_FROM_CLOSE) return STATUS_HANDLE_NOT_CLOSABLE;
    this.world.releaseHandle(process.handles.remove(value));
    return STATUS_SUCCESS;
  }

  /** CloseHandle: NtClose's failures as ERROR_INVALID_HANDLE. */
  closeHandle(process: ModelProcess, value: number): void {
    const status = this.ntClose(process, value);
    if (status !== STATUS_SUCCESS) throw new ModelCallError(ERROR_INVALID_HANDLE, status, 'CloseHandle failed');
  }

  /**
   * DuplicateHandle (`nt` false; `attributes` from bInheritHandle) or NtDuplicateObject's work (`nt`:
   * DUPLICATE_SAME_ATTRIBUTES known too). ERROR_INVALID_HANDLE for a target that is not live or a
   * source value not open; ERROR_INVALID_PARAMETER for unknown options or no target without
   * DUPLICATE_CLOSE_SOURCE. DUPLICATE_CLOSE_SOURCE closes the source first unless it is protected, so
   * a duplicate into the same process gets its value back; with no target it only closes.
   */
  duplicateHandle(source: ModelProcess, value: number, target: ModelProcess | null, desiredAccess: number, attributes: number, options: number, nt = false): number {
    if (target !== null && !target.live) throw invalidHandle('the target process has exited');
    source.requireLive();
    const known = DUPLICATE_CLOSE_SOURCE | DUPLICATE_SAME_ACCESS | (nt ? DUPLICATE_SAME_ATTRIBUTES : 0);
    if (options & ~known) throw new ModelCallError(ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER, 'unknown options');
    const handle = source.handles.get(value);
    if (handle === undefined) throw invalidHandle('source handle not open');
    const closeSource = (options & DUPLICATE_CLOSE_SOURCE) !== 0 && (handle.attributes & HANDLE_FLAG_PROTECT_FROM_CLOSE) === 0;
    if (target === null) {
      if ((options & DUPLICATE_CLOSE_SOURCE) === 0) throw new ModelCallError(ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER, 'no target without DUPLICATE_CLOSE_SOURCE');
      if (closeSource) this.world.releaseHandle(source.handles.remove(value));
      return 0;
    }
    const object = handle.object;
    const access = options & DUPLICATE_SAME_ACCESS ? handle.access : object instanceof ModelSection ? sectionAccess(desiredAccess) : fileAccess(desiredAccess);
    const duplicate = { object, access, attributes: options & DUPLICATE_SAME_ATTRIBUTES ? handle.attributes : attributes };
    if (closeSource) source.handles.remove(value); // the object's reference passes to the duplicate
    else object.handles++;
    return target.handles.add(duplicate);
  }

  /**
   * Whether a duplication would fail both ways the documents leave unordered: a handle error (the
   * source value or the target) and a parameter error (the options, no target without
   * DUPLICATE_CLOSE_SOURCE). The runner skips those.
   */
  duplicateIsAmbiguous(source: ModelProcess, value: number, target: ModelProcess | null, options: number, nt: boolean): boolean {
    const known = DUPLICATE_CLOSE_SOURCE | DUPLICATE_SAME_ACCESS | (nt ? DUPLICATE_SAME_ATTRIBUTES : 0);
    const badHandle = source.handles.get(value) === undefined || (target !== null && !target.live);
    return badHandle && ((options & ~known) !== 0 || (target === null && (options & DUPLICATE_CLOSE_SOURCE) === 0));
  }

  /** NtDuplicateObject: OBJ_INHERIT for the duplicate's attribute; failures are statuses. */
  ntDuplicateObject(source: ModelProcess, value: number, target: ModelProcess | null, desiredAccess: number, objectAttributes: number, options: number): ModelNtHandle {
    source.requireLive();
    return statusOf(() => ({
      status: STATUS_SUCCESS,
      handle: this.duplicateHandle(source, value, target, desiredAccess, attributesOf((objectAttributes & OBJ_INHERIT) !== 0), options, true),
    }));
  }

  getHandleInformation(process: ModelProcess, value: number): number {
    return this.open(process, value).attributes;
  }

  /** SetHandleInformation: the HANDLE_FLAG_* bits `mask` selects, set as in `flags`; other bits are ignored. */
  setHandleInformation(process: ModelProcess, value: number, mask: number, flags: number): void {
    const handle = this.open(process, value);
    const selected = mask & (HANDLE_FLAG_INHERIT | HANDLE_FLAG_PROTECT_FROM_CLOSE);
    handle.attributes = (handle.attributes & ~selected) | (flags & selected);
  }

  private open(process: ModelProcess, value: number): ModelHandle {
    process.requireLive();
    const handle = process.handles.get(value);
    if (handle === undefined) throw invalidHandle('not an open handle');
    return handle;
  }

  /** NtQuerySection(SectionBasicInformation) through a handle with SECTION_QUERY (B65): base 0, the attributes, the size (B61, B62). */
  querySection(process: ModelProcess, value: number): { baseAddress: number; attributes: number; size: number } {
    process.requireLive();
    const section = this.section(process, value, SECTION_QUERY);
    return { baseAddress: 0, attributes: section.attributes, size: section.size };
  }

  /** A section handle for MapViewOfFile and NtMapViewOfSection, resolved when the call reaches it. */
  resolver(process: ModelProcess, value: number): SectionResolver {
    return (needed) => this.section(process, value, needed);
  }

  /** The section `value` refers to: open, a section (STATUS_OBJECT_TYPE_MISMATCH), granting `needed` (B65). */
  private section(process: ModelProcess, value: number, needed: number): ModelSection {
    const handle = process.handles.get(value);
    if (handle === undefined) throw invalidHandle('section handle not open');
    if (!(handle.object instanceof ModelSection)) throw new ModelCallError(ERROR_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH, 'not a section handle');
    if (!grants(handle, needed)) throw new ModelCallError(ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED, `the handle lacks 0x${needed.toString(16)} (B65)`);
    return handle.object;
  }
}

function grants(handle: ModelHandle, needed: number): boolean {
  return (handle.access & needed) === needed;
}

/** An NT call's result, or its failure as a status with handle 0. */
function statusOf(call: () => ModelNtHandle): ModelNtHandle {
  try {
    return call();
  } catch (error) {
    if (error instanceof ModelCallError) return { status: error.ntStatus!, handle: 0 };
    throw error;
  }
}
