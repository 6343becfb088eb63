/**
 * The NT flavour of the object calls: NtCreateSection, NtOpenSection and NtDuplicateObject. Like the other
 * NT calls they return `{ status, handle }` instead of throwing (the handle 0 on failure), and throw a
 * {@link WindowsError} only for arguments JavaScript cannot pass as the guest's and for an exited process.
 *
 * What differs from the Win32 calls (ntdll tests test_name_collisions and test_object_types; Microsoft's
 * ZwCreateSection, ZwOpenSection and ZwDuplicateObject pages):
 * - the handle gets the access asked for (GENERIC_* through the section's generic mapping), not one derived
 *   from the protection;
 * - a name that exists is STATUS_OBJECT_NAME_COLLISION unless OBJ_OPENIF is given, which opens the existing
 *   section with STATUS_OBJECT_NAME_EXISTS (0x40000000, a success code: CreateFileMapping passes OBJ_OPENIF
 *   and turns it into ERROR_ALREADY_EXISTS);
 * - NtDuplicateObject takes OBJ_INHERIT as an attribute and DUPLICATE_SAME_ATTRIBUTES as an option.
 * @module
 */
import { INVALID_HANDLE_VALUE, OBJ_INHERIT, OBJ_OPENIF, DUPLICATE_CLOSE_SOURCE, DUPLICATE_SAME_ACCESS, DUPLICATE_SAME_ATTRIBUTES, HANDLE_FLAG_INHERIT, ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER, STATUS_OBJECT_NAME_EXISTS, STATUS_OBJECT_NAME_NOT_FOUND, STATUS_SUCCESS } from '../rules/constants.js';
import { WindowsError } from '../rules/errors.js';
import { requireKnownOptions } from '../rules/known-options.js';
import { statusOf } from '../memory/nt-virtual-memory.js';
import type { Process } from '../kernel/process.js';
import { addHandle, createSectionHandle, duplicateHandleWith, requireUlong, type DuplicateProcessArgument } from './handles.js';
import { sectionAccess } from './access-rights.js';
import { objectPath } from './object-namespace.js';

/** NtCreateSection's arguments ({@link Process.ntCreateSection}). */
export interface NtCreateSectionOptions {
  /** DesiredAccess: SECTION_* rights or GENERIC_*; the handle gets exactly these. */
  desiredAccess: number;
  /** SectionPageProtection: the page protection (B60). */
  protect: number;
  /** AllocationAttributes: SEC_COMMIT, SEC_RESERVE, SEC_IMAGE, … as CreateFileMapping takes them (0 is SEC_COMMIT for a page-file section). */
  attributes?: number;
  /** MaximumSize in bytes; 0 for the file's size. Default 0. */
  maximumSize?: number;
  /** FileHandle: a file handle of the process, or absent (or INVALID_HANDLE_VALUE) for a page-file section. */
  file?: number;
  /** ObjectName: the section's name (as CreateFileMapping's), or absent for an unnamed section. */
  name?: string;
  /** OBJECT_ATTRIBUTES.Attributes: OBJ_INHERIT, OBJ_OPENIF. Default 0. */
  objectAttributes?: number;
}

/** What an NT call that makes a handle reports. */
export interface NtHandleResult {
  /** STATUS_SUCCESS, a success code such as STATUS_OBJECT_NAME_EXISTS, or the failure. */
  readonly status: number;
  /** The new handle; 0 on failure. */
  readonly handle: number;
}

/**
 * NtCreateSection.
 * @internal Called through {@link Process.ntCreateSection}.
 */
export function ntCreateSection(process: Process, options: NtCreateSectionOptions): NtHandleResult {
  const kernel = process.kernel;
  if (options === null || typeof options !== 'object') throw new WindowsError(STATUS_INVALID_PARAMETER, 'options must be an object', ERROR_INVALID_PARAMETER);
  requireKnownOptions(options, ['desiredAccess', 'protect', 'attributes', 'maximumSize', 'file', 'name', 'objectAttributes'], 'NtCreateSectionOptions');
  const desiredAccess = requireUlong(options.desiredAccess, 'desiredAccess');
  const protect = requireUlong(options.protect, 'protect');
  const attributes = requireUlong(options.attributes === undefined ? 0 : options.attributes, 'attributes');
  const maximumSize = kernel.requireAddress(options.maximumSize === undefined ? 0 : options.maximumSize, 'maximumSize');
  const file = requireUlong(options.file === undefined ? INVALID_HANDLE_VALUE : options.file, 'file');
  const objectAttributes = requireUlong(options.objectAttributes === undefined ? 0 : options.objectAttributes, 'objectAttributes');
  if (options.name !== undefined && typeof options.name !== 'string') throw new WindowsError(STATUS_INVALID_PARAMETER, `name must be a string, got ${String(options.name)}`, ERROR_INVALID_PARAMETER);
  kernel.requireLive(process);
  try {
    const path = options.name === undefined ? null : objectPath(options.name);
    const made = createSectionHandle(process, {
      file,
      protect,
      attributes,
      maximumSize,
      path,
      access: sectionAccess(desiredAccess),
      openIf: (objectAttributes & OBJ_OPENIF) !== 0,
      inherit: (objectAttributes & OBJ_INHERIT) !== 0,
    });
    return { status: made.alreadyExists ? STATUS_OBJECT_NAME_EXISTS : STATUS_SUCCESS, handle: made.handle };
  } catch (error) {
    return { status: statusOf(error), handle: 0 };
  }
}

/**
 * NtOpenSection: a handle with `desiredAccess` to the section `name` names; STATUS_OBJECT_NAME_NOT_FOUND when none does.
 * @internal Called through {@link Process.ntOpenSection}.
 */
export function ntOpenSection(process: Process, desiredAccess: number, name: string, objectAttributes = 0): NtHandleResult {
  const kernel = process.kernel;
  desiredAccess = requireUlong(desiredAccess, 'desiredAccess');
  objectAttributes = requireUlong(objectAttributes, 'objectAttributes');
  if (typeof name !== 'string') throw new WindowsError(STATUS_INVALID_PARAMETER, `name must be a string, got ${String(name)}`, ERROR_INVALID_PARAMETER);
  kernel.requireLive(process);
  try {
    const section = kernel.objectNames.lookup(objectPath(name));
    if (section === undefined) return { status: STATUS_OBJECT_NAME_NOT_FOUND, handle: 0 };
    const attributes = objectAttributes & OBJ_INHERIT ? HANDLE_FLAG_INHERIT : 0;
    return { status: STATUS_SUCCESS, handle: addHandle(process, section, sectionAccess(desiredAccess), attributes) };
  } catch (error) {
    return { status: statusOf(error), handle: 0 };
  }
}

/**
 * NtDuplicateObject: DuplicateHandle with OBJ_INHERIT in `objectAttributes` and DUPLICATE_SAME_ATTRIBUTES; a process
 * handle that fails (the source's or the target's) is the status, as any other failure.
 * @internal Called through {@link Process.ntDuplicateObject}.
 */
export function ntDuplicateObject(caller: Process, handle: number, target: DuplicateProcessArgument | null, desiredAccess: number, objectAttributes: number, options: number, source: DuplicateProcessArgument): NtHandleResult {
  handle = requireUlong(handle, 'handle');
  desiredAccess = requireUlong(desiredAccess, 'desiredAccess');
  objectAttributes = requireUlong(objectAttributes, 'objectAttributes');
  options = requireUlong(options, 'options');
  if (typeof target === 'number') target = requireUlong(target, 'target process');
  if (typeof source === 'number') source = requireUlong(source, 'source process');
  caller.kernel.requireLive(caller);
  try {
    const attributes = objectAttributes & OBJ_INHERIT ? HANDLE_FLAG_INHERIT : 0;
    const made = duplicateHandleWith(caller, source, handle, target, desiredAccess, attributes, options, DUPLICATE_CLOSE_SOURCE | DUPLICATE_SAME_ACCESS | DUPLICATE_SAME_ATTRIBUTES);
    return { status: STATUS_SUCCESS, handle: made };
  } catch (error) {
    return { status: statusOf(error), handle: 0 };
  }
}
