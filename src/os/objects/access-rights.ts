/**
 * The access a handle is granted from the access asked for, by object type: GENERIC_READ, GENERIC_WRITE,
 * GENERIC_EXECUTE and GENERIC_ALL go through the type's generic mapping, bits outside the type's valid mask
 * are dropped (ReactOS's ObDuplicateObject: RtlMapGenericMask, then the valid mask), and a right that
 * implies another adds it.
 *
 * Sources: the generic mappings Wine's ntdll tests read back on Windows (test_object_types) for the
 * Section, File, Process and Thread types; winnt.h for the values; Microsoft's "Process Security and Access
 * Rights" and "Thread Security and Access Rights" for the implied rights (a handle with
 * PROCESS_QUERY_INFORMATION is granted PROCESS_QUERY_LIMITED_INFORMATION too; THREAD_QUERY_INFORMATION and
 * THREAD_SET_INFORMATION grant their limited forms, as Wine's server adds them). No Windows test reads a
 * granted mask back to show the implied bit; Wine's kernel32 test_OpenProcess shows that a
 * PROCESS_QUERY_INFORMATION handle does all a limited one does.
 * @module
 */
import {
  FILE_ALL_ACCESS,
  FILE_GENERIC_EXECUTE,
  FILE_GENERIC_READ,
  FILE_GENERIC_WRITE,
  GENERIC_ALL,
  GENERIC_EXECUTE,
  GENERIC_READ,
  GENERIC_WRITE,
  PROCESS_ALL_ACCESS,
  PROCESS_CREATE_PROCESS,
  PROCESS_CREATE_THREAD,
  PROCESS_DUP_HANDLE,
  PROCESS_QUERY_INFORMATION,
  PROCESS_QUERY_LIMITED_INFORMATION,
  PROCESS_SET_INFORMATION,
  PROCESS_SET_QUOTA,
  PROCESS_SUSPEND_RESUME,
  PROCESS_TERMINATE,
  PROCESS_VM_OPERATION,
  PROCESS_VM_READ,
  PROCESS_VM_WRITE,
  SECTION_ALL_ACCESS,
  SECTION_MAP_EXECUTE,
  SECTION_MAP_READ,
  SECTION_MAP_WRITE,
  SECTION_QUERY,
  STANDARD_RIGHTS_READ,
  SYNCHRONIZE,
  THREAD_ALL_ACCESS,
  THREAD_GET_CONTEXT,
  THREAD_QUERY_INFORMATION,
  THREAD_QUERY_LIMITED_INFORMATION,
  THREAD_SET_CONTEXT,
  THREAD_SET_INFORMATION,
  THREAD_SET_LIMITED_INFORMATION,
  THREAD_SUSPEND_RESUME,
  THREAD_RESUME,
  THREAD_TERMINATE,
} from '../rules/constants.js';
import type { KernelObject } from './handle-table.js';

/** @internal Section access from a request (the Section type's generic mapping). */
export function sectionAccess(desired: number): number {
  let access = desired & SECTION_ALL_ACCESS;
  if (desired & GENERIC_READ) access |= SECTION_QUERY | SECTION_MAP_READ | STANDARD_RIGHTS_READ;
  if (desired & GENERIC_WRITE) access |= SECTION_MAP_WRITE | STANDARD_RIGHTS_READ;
  if (desired & GENERIC_EXECUTE) access |= SECTION_MAP_EXECUTE | STANDARD_RIGHTS_READ;
  if (desired & GENERIC_ALL) access |= SECTION_ALL_ACCESS;
  return access >>> 0;
}

/** @internal File access from a request (the File type's generic mapping). */
export function fileAccess(desired: number): number {
  let access = desired & FILE_ALL_ACCESS;
  if (desired & GENERIC_READ) access |= FILE_GENERIC_READ;
  if (desired & GENERIC_WRITE) access |= FILE_GENERIC_WRITE;
  if (desired & GENERIC_EXECUTE) access |= FILE_GENERIC_EXECUTE;
  if (desired & GENERIC_ALL) access |= FILE_ALL_ACCESS;
  return access >>> 0;
}

/** THREAD_* bit 0x4 (THREAD_ALERT in old headers), part of the Thread type's GENERIC_WRITE. */
const THREAD_ALERT = 0x0004;

/** @internal Process access from a request (the Process type's generic mapping and implied rights). */
export function processAccess(desired: number): number {
  let access = desired & PROCESS_ALL_ACCESS;
  if (desired & GENERIC_READ) access |= STANDARD_RIGHTS_READ | PROCESS_VM_READ | PROCESS_QUERY_INFORMATION; // 0x20410
  if (desired & GENERIC_WRITE) {
    // 0x20bea: neither PROCESS_TERMINATE nor PROCESS_SET_SESSIONID.
    access |= STANDARD_RIGHTS_READ | PROCESS_SUSPEND_RESUME | PROCESS_SET_INFORMATION | PROCESS_SET_QUOTA | PROCESS_CREATE_PROCESS |
      PROCESS_DUP_HANDLE | PROCESS_VM_WRITE | PROCESS_VM_OPERATION | PROCESS_CREATE_THREAD;
  }
  if (desired & GENERIC_EXECUTE) access |= STANDARD_RIGHTS_READ | SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION | PROCESS_TERMINATE; // 0x121001
  if (desired & GENERIC_ALL) access |= PROCESS_ALL_ACCESS;
  if (access & PROCESS_QUERY_INFORMATION) access |= PROCESS_QUERY_LIMITED_INFORMATION;
  return access >>> 0;
}

/** @internal Thread access from a request (the Thread type's generic mapping and implied rights). */
export function threadAccess(desired: number): number {
  let access = desired & THREAD_ALL_ACCESS;
  if (desired & GENERIC_READ) access |= STANDARD_RIGHTS_READ | THREAD_QUERY_INFORMATION | THREAD_GET_CONTEXT; // 0x20048
  if (desired & GENERIC_WRITE) {
    // 0x20437
    access |= STANDARD_RIGHTS_READ | THREAD_SET_LIMITED_INFORMATION | THREAD_SET_INFORMATION | THREAD_SET_CONTEXT | THREAD_ALERT | THREAD_SUSPEND_RESUME | THREAD_TERMINATE;
  }
  if (desired & GENERIC_EXECUTE) access |= STANDARD_RIGHTS_READ | SYNCHRONIZE | THREAD_RESUME | THREAD_QUERY_LIMITED_INFORMATION; // 0x121800
  if (desired & GENERIC_ALL) access |= THREAD_ALL_ACCESS;
  if (access & THREAD_QUERY_INFORMATION) access |= THREAD_QUERY_LIMITED_INFORMATION;
  if (access & THREAD_SET_INFORMATION) access |= THREAD_SET_LIMITED_INFORMATION;
  return access >>> 0;
}

/** @internal The access a request grants on `object`, by its type. */
export function accessFor(object: KernelObject, desired: number): number {
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
