/**
 * The kernel's object namespace for named sections (CreateFileMapping and OpenFileMapping with a name).
 *
 * Facts (Wine's conformance tests, which pass on Windows; Microsoft's "Kernel object namespaces"):
 * - Names are case-sensitive: "Wine Test Mapping" and "WINE TEST MAPPING" are two objects (kernel32
 *   test_CreateFileMapping, ntdll test_case_sensitive; B63).
 * - A name without a prefix lives in the session's directory; "Local\" names the same directory, so
 *   "Local\Foo" and "Foo" are one object; "Global\" is the global directory, another object. mmukit has
 *   one session. The prefixes are case-sensitive keywords.
 * - A name goes away with the last handle to its object, even while views of it stay mapped (B72).
 * - A backslash anywhere else names a directory that does not exist: STATUS_OBJECT_PATH_NOT_FOUND is
 *   what a path through a missing directory gives (ntdll test_case_sensitive); Microsoft's
 *   CreateFileMapping page says a name may contain any character but the backslash.
 * - A name of more than 32766 characters is STATUS_OBJECT_NAME_INVALID (ntdll test_name_limits).
 * @module
 */
import { ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER, STATUS_OBJECT_NAME_INVALID, STATUS_OBJECT_PATH_NOT_FOUND } from '../rules/constants.js';
import { WindowsError } from '../rules/errors.js';
import type { Section } from '../records/section.js';

/** The longest object name, in UTF-16 code units (a UNICODE_STRING holds at most 65534 bytes with its terminator). */
export const MAX_OBJECT_NAME = 32766;

/**
 * The full path a kernel32 object name stands for: `\Sessions\1\BaseNamedObjects\<name>` for a plain or
 * `Local\` name, `\BaseNamedObjects\<name>` for a `Global\` one.
 * @throws {@link WindowsError} STATUS_OBJECT_NAME_INVALID for an empty or over-long name;
 *   STATUS_OBJECT_PATH_NOT_FOUND for another backslash; STATUS_INVALID_PARAMETER for a non-string.
 */
export function objectPath(name: unknown): string {
  if (typeof name !== 'string') throw new WindowsError(STATUS_INVALID_PARAMETER, `a name must be a string, got ${String(name)}`, ERROR_INVALID_PARAMETER);
  if (name.length === 0 || name.length > MAX_OBJECT_NAME) throw new WindowsError(STATUS_OBJECT_NAME_INVALID, `an object name is 1 to ${MAX_OBJECT_NAME} characters, got ${name.length}`);
  let directory = '\\Sessions\\1\\BaseNamedObjects\\';
  let rest = name;
  if (name.startsWith('Global\\')) {
    directory = '\\BaseNamedObjects\\';
    rest = name.slice('Global\\'.length);
  } else if (name.startsWith('Local\\')) {
    rest = name.slice('Local\\'.length);
  }
  if (rest.length === 0) throw new WindowsError(STATUS_OBJECT_NAME_INVALID, `"${name}" names a directory, not an object`);
  if (rest.includes('\\')) throw new WindowsError(STATUS_OBJECT_PATH_NOT_FOUND, `"${name}": no such object directory (a name may not contain a backslash)`);
  return directory + rest;
}

/** @internal The named sections of one kernel, by full path. */
export class ObjectNamespace {
  private readonly byPath = new Map<string, Section>();

  /** The section a path names, or undefined. */
  lookup(path: string): Section | undefined {
    return this.byPath.get(path);
  }

  /** Gives `section` the name `path` (which must be free). */
  insert(path: string, section: Section): void {
    this.byPath.set(path, section);
    section.name = path;
  }

  /** Takes a section's name away (its last handle closed, B72). */
  remove(section: Section): void {
    if (section.name !== null && this.byPath.get(section.name) === section) this.byPath.delete(section.name);
    section.name = null;
  }

  /** Every named section, with its path. */
  entries(): IterableIterator<[string, Section]> {
    return this.byPath.entries();
  }
}
