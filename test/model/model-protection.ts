/**
 * The protection rules of windows-semantics.md, written as plainly as the
 * document states them (tables, not bit tricks).
 */
import {
  FILE_EXECUTE,
  FILE_MAP_COPY,
  FILE_MAP_EXECUTE,
  FILE_MAP_READ,
  FILE_MAP_WRITE,
  FILE_READ_DATA,
  FILE_WRITE_DATA,
  PAGE_EXECUTE,
  PAGE_EXECUTE_READ,
  PAGE_EXECUTE_READWRITE,
  PAGE_EXECUTE_WRITECOPY,
  PAGE_GUARD,
  PAGE_NOACCESS,
  PAGE_READONLY,
  PAGE_READWRITE,
  PAGE_WRITECOPY,
  SECTION_MAP_EXECUTE,
  SECTION_MAP_READ,
  SECTION_MAP_WRITE,
  SECTION_QUERY,
  STANDARD_RIGHTS_REQUIRED,
} from './model-constants.js';

/** The eight base values (§1.2). */
const BASE_VALUES = [PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE, PAGE_WRITECOPY, PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY];

export const base = (protect: number): number => protect & 0xff;
export const isGuard = (protect: number): boolean => (protect & PAGE_GUARD) !== 0;

/** A base value plus, optionally, PAGE_GUARD; never GUARD with NOACCESS (MS-GUARD). The model uses no other modifier. */
function wellFormed(protect: number): boolean {
  if ((protect & ~(0xff | PAGE_GUARD)) !== 0) return false;
  if (!BASE_VALUES.includes(base(protect))) return false;
  return !(isGuard(protect) && base(protect) === PAGE_NOACCESS);
}

/** VirtualAlloc and VirtualProtect on private memory: no copy-on-write values (B12, B13, B33). */
export function validPrivateProtection(protect: number): boolean {
  return wellFormed(protect) && base(protect) !== PAGE_WRITECOPY && base(protect) !== PAGE_EXECUTE_WRITECOPY;
}

/** VirtualProtect inside a view or image: any of the eight base values (B68, B85). */
export function validViewProtection(protect: number): boolean {
  return wellFormed(protect);
}

/** What each base value lets the program do. PAGE_EXECUTE pages are readable too (x86 cannot forbid it). */
const RIGHTS: Record<number, { read: boolean; write: boolean; execute: boolean; copyOnWrite: boolean }> = {
  [PAGE_NOACCESS]: { read: false, write: false, execute: false, copyOnWrite: false },
  [PAGE_READONLY]: { read: true, write: false, execute: false, copyOnWrite: false },
  [PAGE_READWRITE]: { read: true, write: true, execute: false, copyOnWrite: false },
  [PAGE_WRITECOPY]: { read: true, write: true, execute: false, copyOnWrite: true },
  [PAGE_EXECUTE]: { read: true, write: false, execute: true, copyOnWrite: false },
  [PAGE_EXECUTE_READ]: { read: true, write: false, execute: true, copyOnWrite: false },
  [PAGE_EXECUTE_READWRITE]: { read: true, write: true, execute: true, copyOnWrite: false },
  [PAGE_EXECUTE_WRITECOPY]: { read: true, write: true, execute: true, copyOnWrite: true },
};

export type AccessKind = 'read' | 'write' | 'execute';

/** Whether a (committed, unguarded) page with `protect` allows the access (B54, B56). */
export function allows(protect: number, kind: AccessKind): boolean {
  const rights = RIGHTS[base(protect)];
  return rights !== undefined && rights[kind];
}

/** Whether a write to a page with `protect` must first make a private copy (WRITECOPY values). */
export function copiesOnWrite(protect: number): boolean {
  return RIGHTS[base(protect)]?.copyOnWrite === true;
}

/** B78–B81: a page holding its private copy reports WRITECOPY as READWRITE and EXECUTE_WRITECOPY as EXECUTE_READWRITE. */
export function reportedProtection(protect: number, copied: boolean): number {
  if (!copied) return protect;
  const guard = protect & PAGE_GUARD;
  if (base(protect) === PAGE_WRITECOPY) return PAGE_READWRITE | guard;
  if (base(protect) === PAGE_EXECUTE_WRITECOPY) return PAGE_EXECUTE_READWRITE | guard;
  return protect;
}

/** B85: inside an image, READWRITE is stored as WRITECOPY and EXECUTE_READWRITE as EXECUTE_WRITECOPY. */
export function imageProtection(protect: number): number {
  const guard = protect & PAGE_GUARD;
  if (base(protect) === PAGE_READWRITE) return PAGE_WRITECOPY | guard;
  if (base(protect) === PAGE_EXECUTE_READWRITE) return PAGE_EXECUTE_WRITECOPY | guard;
  return protect;
}

/** B68 access classes: WRITECOPY counts as read-only, EXECUTE as read+execute. */
const ACCESS_CLASS: Record<number, string> = {
  [PAGE_NOACCESS]: '',
  [PAGE_READONLY]: 'r',
  [PAGE_WRITECOPY]: 'r',
  [PAGE_READWRITE]: 'rw',
  [PAGE_EXECUTE]: 'rx',
  [PAGE_EXECUTE_READ]: 'rx',
  [PAGE_EXECUTE_WRITECOPY]: 'rx',
  [PAGE_EXECUTE_READWRITE]: 'rwx',
};

/** B68, B69: a protection set inside a data view must not ask for more access than the view's AllocationProtect. */
export function fitsView(viewProtect: number, requested: number): boolean {
  const have = ACCESS_CLASS[base(viewProtect)];
  const want = ACCESS_CLASS[base(requested)];
  return [...want].every((right) => have.includes(right));
}

/** B67: a data view's protection from MapViewOfFile's access mask. */
export function viewProtection(access: number): number {
  const execute = (access & FILE_MAP_EXECUTE) !== 0;
  const rest = access & ~FILE_MAP_EXECUTE;
  if (rest === FILE_MAP_COPY) return execute ? PAGE_EXECUTE_WRITECOPY : PAGE_WRITECOPY;
  if ((rest & FILE_MAP_WRITE) !== 0) return execute ? PAGE_EXECUTE_READWRITE : PAGE_READWRITE;
  if ((rest & FILE_MAP_READ) !== 0) return execute ? PAGE_EXECUTE_READ : PAGE_READONLY;
  return PAGE_NOACCESS;
}

/** B60: the protections CreateFileMapping accepts. */
export function validSectionProtection(protect: number): boolean {
  return [PAGE_READONLY, PAGE_READWRITE, PAGE_WRITECOPY, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY].includes(protect);
}

/** B64: the rights a section grants, and those a view needs (read, plus write and execute as its protection asks). */
export function sectionGrants(sectionProtect: number, access: number): boolean {
  return sectionGrantsProtection(sectionProtect, viewProtection(access));
}

/**
 * B64 for a view asked for by protection (NtMapViewOfSection, docs/kernel.md): it needs read, plus write
 * for a shared writable view and execute for an executable one; PAGE_NOACCESS and PAGE_WRITECOPY need read only.
 */
export function sectionGrantsProtection(sectionProtect: number, viewProtect: number): boolean {
  const granted: Record<number, string> = {
    [PAGE_READONLY]: 'r',
    [PAGE_WRITECOPY]: 'r',
    [PAGE_READWRITE]: 'rw',
    [PAGE_EXECUTE_READ]: 'rx',
    [PAGE_EXECUTE_WRITECOPY]: 'rx',
    [PAGE_EXECUTE_READWRITE]: 'rwx',
  };
  const needed = 'r' + (allows(viewProtect, 'write') && !copiesOnWrite(viewProtect) ? 'w' : '') + (allows(viewProtect, 'execute') ? 'x' : '');
  return [...needed].every((right) => granted[sectionProtect].includes(right));
}

// Handles (docs/kernel.md, "Handles and named sections"): what a protection asks of a handle.

/** Whether `protect` writes shared pages (not a copy-on-write value): such a section needs write access to its file, a handle to it SECTION_MAP_WRITE. */
const writesShared = (protect: number) => allows(protect, 'write') && !copiesOnWrite(protect);

/** The access CreateFileMapping's handle gets, by the section's protection (docs/kernel.md's table). */
export function mappingAccess(protect: number): number {
  return STANDARD_RIGHTS_REQUIRED | SECTION_QUERY | SECTION_MAP_READ | (writesShared(protect) ? SECTION_MAP_WRITE : 0) | (allows(protect, 'execute') ? SECTION_MAP_EXECUTE : 0);
}

/** What a section with `protect` needs of its file handle (B66): FILE_READ_DATA, FILE_WRITE_DATA if writable, FILE_EXECUTE if executable. */
export function fileAccessForSection(protect: number): number {
  return FILE_READ_DATA | (writesShared(protect) ? FILE_WRITE_DATA : 0) | (allows(protect, 'execute') ? FILE_EXECUTE : 0);
}

/** MmMakeSectionAccess (the Windows Research Kernel, as docs/kernel.md cites it): a view's protection → the section rights it needs. */
const VIEW_NEEDS: Record<number, number> = {
  [PAGE_NOACCESS]: SECTION_MAP_READ,
  [PAGE_READONLY]: SECTION_MAP_READ,
  [PAGE_WRITECOPY]: SECTION_MAP_READ,
  [PAGE_READWRITE]: SECTION_MAP_WRITE,
  [PAGE_EXECUTE]: SECTION_MAP_EXECUTE,
  [PAGE_EXECUTE_READ]: SECTION_MAP_EXECUTE | SECTION_MAP_READ,
  [PAGE_EXECUTE_WRITECOPY]: SECTION_MAP_EXECUTE | SECTION_MAP_READ,
  [PAGE_EXECUTE_READWRITE]: SECTION_MAP_EXECUTE | SECTION_MAP_WRITE,
};

/** What a view with this protection needs of a section handle (B65). */
export function sectionAccessForView(protect: number): number {
  return VIEW_NEEDS[base(protect)] ?? SECTION_MAP_READ;
}
