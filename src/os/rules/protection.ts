/**
 * Pure functions implementing the Windows page-protection rules
 * (B10–B14, B33, B60–B68, B78–B85). No state:
 * the kernel layer calls these to validate arguments and to derive the
 * protections it stores and reports.
 *
 * Validators throw a {@link WindowsError} and change nothing.
 *
 * @module
 */

import {
  FILE_MAP_COPY,
  FILE_MAP_EXECUTE,
  FILE_MAP_LARGE_PAGES,
  FILE_MAP_READ,
  FILE_MAP_RESERVE,
  FILE_MAP_TARGETS_INVALID,
  FILE_MAP_WRITE,
  ERROR_INVALID_PARAMETER,
  PAGE_EXECUTE,
  PAGE_EXECUTE_READ,
  PAGE_EXECUTE_READWRITE,
  PAGE_EXECUTE_WRITECOPY,
  PAGE_GUARD,
  PAGE_NOACCESS,
  PAGE_NOCACHE,
  PAGE_READONLY,
  PAGE_READWRITE,
  PAGE_WRITECOMBINE,
  PAGE_WRITECOPY,
  SECTION_MAP_EXECUTE,
  SECTION_MAP_READ,
  SECTION_MAP_WRITE,
  SEC_COMMIT,
  SEC_FILE,
  SEC_IMAGE,
  SEC_LARGE_PAGES,
  SEC_NOCACHE,
  SEC_RESERVE,
  SEC_WRITECOMBINE,
  STATUS_INVALID_FILE_FOR_SECTION,
  STATUS_INVALID_PAGE_PROTECTION,
  STATUS_INVALID_PARAMETER_6,
} from './constants.js';
import { WindowsError } from './errors.js';
import { InvalidArgumentError } from '../../mmu/errors.js';

/** The modifier bits a page protection may carry next to its base byte. */
const MODIFIERS = PAGE_GUARD | PAGE_NOCACHE | PAGE_WRITECOMBINE;

const hex = (value: number): string => '0x' + (value >>> 0).toString(16);

/**
 * The base protection: the low byte of a protection value, without
 * GUARD, NOCACHE, WRITECOMBINE or any higher bit.
 *
 * @param protect - a PAGE_* value, possibly with modifiers.
 * @returns `protect & 0xff`.
 *
 * @example
 * ```ts
 * baseProtection(PAGE_READWRITE | PAGE_GUARD); // 4: PAGE_READWRITE
 * ```
 */
export function baseProtection(protect: number): number {
  return protect & 0xff;
}

/**
 * True when exactly one bit of `value` is set. The base protection must be a
 * single bit: 0 or several bits are invalid (B11, B33).
 *
 * @param value - the value to test (treated as unsigned 32-bit).
 * @returns whether `value` is a power of two.
 */
export function isSingleBit(value: number): boolean {
  const v = value >>> 0;
  return v !== 0 && (v & (v - 1)) === 0;
}

const PAGE_NAMES: ReadonlyArray<readonly [number, string]> = [
  [PAGE_NOACCESS, 'PAGE_NOACCESS'],
  [PAGE_READONLY, 'PAGE_READONLY'],
  [PAGE_READWRITE, 'PAGE_READWRITE'],
  [PAGE_WRITECOPY, 'PAGE_WRITECOPY'],
  [PAGE_EXECUTE, 'PAGE_EXECUTE'],
  [PAGE_EXECUTE_READ, 'PAGE_EXECUTE_READ'],
  [PAGE_EXECUTE_READWRITE, 'PAGE_EXECUTE_READWRITE'],
  [PAGE_EXECUTE_WRITECOPY, 'PAGE_EXECUTE_WRITECOPY'],
  [PAGE_GUARD, 'PAGE_GUARD'],
  [PAGE_NOCACHE, 'PAGE_NOCACHE'],
  [PAGE_WRITECOMBINE, 'PAGE_WRITECOMBINE'],
];

/**
 * A readable name for a protection value, for messages:
 * `'PAGE_READWRITE|PAGE_GUARD'`, `'0'` for zero, and any unnamed bits as hex
 * (`'PAGE_READONLY|0x1000'`).
 *
 * @param protect - a protection value.
 * @returns the name.
 *
 * @example
 * ```ts
 * protectionName(PAGE_READWRITE | PAGE_GUARD); // 'PAGE_READWRITE|PAGE_GUARD'
 * protectionName(0x1002);                      // 'PAGE_READONLY|0x1000'
 * ```
 */
export function protectionName(protect: number): string {
  let rest = protect >>> 0;
  if (rest === 0) return '0';
  const parts: string[] = [];
  for (const [bit, name] of PAGE_NAMES) {
    if ((rest & bit) !== 0) {
      parts.push(name);
      rest = (rest & ~bit) >>> 0;
    }
  }
  if (rest !== 0) parts.push(hex(rest));
  return parts.join('|');
}

/** Whether `value` is a DWORD: an integer in [0, 2^32). Flags of any other value (a fraction, NaN, a string, 2^32 + x) are refused, not truncated. */
function isDword(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff;
}

function invalidProtection(protect: number, why: string): WindowsError {
  return new WindowsError(
    STATUS_INVALID_PAGE_PROTECTION,
    isDword(protect) ? `invalid page protection ${hex(protect)} (${protectionName(protect)}): ${why}` : `invalid page protection ${String(protect)}: ${why}`,
    ERROR_INVALID_PARAMETER,
  );
}

/**
 * Checks the modifier bits and rejects everything that is neither the base
 * byte nor a modifier. Microsoft's memory protection constants page: GUARD "cannot be used with PAGE_NOACCESS";
 * NOCACHE "cannot be used with the PAGE_GUARD, PAGE_NOACCESS, or
 * PAGE_WRITECOMBINE flags"; WRITECOMBINE "cannot be specified with the
 * PAGE_NOACCESS, PAGE_GUARD, and PAGE_NOCACHE flags" (ReactOS's
 * MiMakeProtectionMask applies the same rules).
 */
function checkModifiers(protect: number, base: number): void {
  const p = protect >>> 0;
  if ((p & ~(0xff | MODIFIERS)) >>> 0 !== 0) throw invalidProtection(protect, 'unknown protection bits');
  const guard = (p & PAGE_GUARD) !== 0;
  const nocache = (p & PAGE_NOCACHE) !== 0;
  const wc = (p & PAGE_WRITECOMBINE) !== 0;
  if (base === PAGE_NOACCESS && (guard || nocache || wc)) {
    throw invalidProtection(protect, 'PAGE_GUARD, PAGE_NOCACHE and PAGE_WRITECOMBINE cannot be used with PAGE_NOACCESS');
  }
  if (guard && (nocache || wc)) throw invalidProtection(protect, 'PAGE_GUARD cannot be combined with PAGE_NOCACHE or PAGE_WRITECOMBINE');
  if (nocache && wc) throw invalidProtection(protect, 'PAGE_NOCACHE and PAGE_WRITECOMBINE are mutually exclusive');
}

/**
 * Validates the protection of VirtualAlloc(MEM_COMMIT / MEM_RESERVE) and
 * VirtualProtect on **private** memory.
 *
 * The base byte must be exactly one of PAGE_NOACCESS, PAGE_READONLY,
 * PAGE_READWRITE, PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE
 * (B13, B33): 0 (B10, B11), several bits (B11, B33: 0x03, 0x14, 0x30 …) and
 * PAGE_WRITECOPY / PAGE_EXECUTE_WRITECOPY (B12) are invalid. Modifiers allowed:
 * PAGE_GUARD, PAGE_NOCACHE, PAGE_WRITECOMBINE, not with PAGE_NOACCESS and not
 * with each other (GUARD+NOCACHE, GUARD+WRITECOMBINE, NOCACHE+WRITECOMBINE).
 * Any other bit (including CFG's PAGE_TARGETS_*) is rejected.
 *
 * @param protect - the requested protection.
 * @throws WindowsError STATUS_INVALID_PAGE_PROTECTION / ERROR_INVALID_PARAMETER.
 *
 * @example
 * ```ts
 * validateAllocProtection(PAGE_EXECUTE_READ | PAGE_GUARD); // fine: returns nothing
 * let error = 0;
 * try { validateAllocProtection(PAGE_WRITECOPY); } catch (e) { if (e instanceof WindowsError) error = e.win32Error; }
 * error;                                                   // 87: copy-on-write is for views only (B12)
 * ```
 */
export function validateAllocProtection(protect: number): void {
  if (!isDword(protect)) throw invalidProtection(protect, 'not a DWORD');
  const base = protect & 0xff;
  if (!isSingleBit(base)) throw invalidProtection(protect, 'the low byte must have exactly one bit set');
  if (base === PAGE_WRITECOPY || base === PAGE_EXECUTE_WRITECOPY) {
    // B12: Wine rejects VPROT_WRITECOPY on VirtualAlloc views (set_protection, allocate_virtual_memory).
    throw invalidProtection(protect, 'copy-on-write protections are for views only, not private memory');
  }
  checkModifiers(protect, base);
}

/**
 * Validates the protection of VirtualProtect, or of a commit, inside a mapped
 * or image **view**: the base byte must be exactly one of the eight base
 * values (PAGE_WRITECOPY and PAGE_EXECUTE_WRITECOPY allowed, B68, B85; 0 or
 * several bits invalid, B85), with the same modifier rules as
 * {@link validateAllocProtection}. Whether the value fits the view is
 * {@link viewProtectAllowed}'s question.
 *
 * This is also the check of a protection's form that VirtualAlloc and VirtualProtect
 * make before they look at the range ([which error wins](../../../docs/kernel.md#which-error-wins)):
 * whether PAGE_WRITECOPY is allowed depends on the memory found there
 * (private memory refuses it, B12; a view takes it, B68, B69).
 *
 * @param protect - the requested protection.
 * @throws WindowsError STATUS_INVALID_PAGE_PROTECTION / ERROR_INVALID_PARAMETER.
 */
export function validateViewProtection(protect: number): void {
  if (!isDword(protect)) throw invalidProtection(protect, 'not a DWORD');
  const base = protect & 0xff;
  if (!isSingleBit(base)) throw invalidProtection(protect, 'the low byte must have exactly one bit set');
  checkModifiers(protect, base);
}

/**
 * The access bits of {@link protectionAccess}: what a base protection lets the
 * hardware do, as a bitmask so the fault path can test it cheaply.
 */
export const ProtAccess = {
  /** Data loads are allowed. */
  Read: 1,
  /** Data stores are allowed and go to the page itself. */
  Write: 2,
  /** Instruction fetches are allowed. */
  Execute: 4,
  /** A store is allowed but first makes a private copy of the page (copy-on-write, B78). */
  WriteCopy: 8,
} as const;

/** One of the {@link ProtAccess} bits. */
export type ProtAccess = (typeof ProtAccess)[keyof typeof ProtAccess];

/** Access bits for every base byte; 0 for 0 and multi-bit values. */
const ACCESS_BY_BASE: Uint8Array = (() => {
  const t = new Uint8Array(256);
  const R = ProtAccess.Read;
  const W = ProtAccess.Write;
  const X = ProtAccess.Execute;
  const C = ProtAccess.WriteCopy;
  t[PAGE_NOACCESS] = 0;
  t[PAGE_READONLY] = R;
  t[PAGE_READWRITE] = R | W;
  t[PAGE_WRITECOPY] = R | C;
  // PAGE_EXECUTE: execute only. Whether an x86 without NX also lets it be read is the kernel's decision.
  t[PAGE_EXECUTE] = X;
  t[PAGE_EXECUTE_READ] = R | X;
  t[PAGE_EXECUTE_READWRITE] = R | W | X;
  t[PAGE_EXECUTE_WRITECOPY] = R | X | C;
  return t;
})();

/**
 * What a protection allows, as {@link ProtAccess} bits (Wine's VPROT
 * model): NOACCESS → 0; READONLY → Read; READWRITE → Read|Write; WRITECOPY →
 * Read|WriteCopy; EXECUTE → Execute; EXECUTE_READ → Read|Execute;
 * EXECUTE_READWRITE → Read|Write|Execute; EXECUTE_WRITECOPY →
 * Read|Execute|WriteCopy. Modifiers (GUARD, NOCACHE, WRITECOMBINE) are
 * ignored: the guard check comes first in the fault path (B58). 0 (a reserved
 * page, B2) and invalid multi-bit values give 0.
 *
 * @param protect - a protection value.
 * @returns the access bits.
 *
 * @example
 * ```ts
 * protectionAccess(PAGE_EXECUTE_WRITECOPY);                 // 13: Read | Execute | WriteCopy
 * (protectionAccess(PAGE_READWRITE | PAGE_GUARD) & ProtAccess.Write) !== 0; // true: modifiers ignored
 * protectionAccess(PAGE_NOACCESS);                          // 0
 * ```
 */
export function protectionAccess(protect: number): number {
  return ACCESS_BY_BASE[protect & 0xff];
}

function replaceBase(protect: number, base: number): number {
  return ((protect & ~0xff) | base) >>> 0;
}

/**
 * The protection VirtualQuery reports for a page, given the protection stored
 * for it and whether it has been privately copied (B78–B81): a copied page
 * reports PAGE_WRITECOPY as PAGE_READWRITE and PAGE_EXECUTE_WRITECOPY as
 * PAGE_EXECUTE_READWRITE, also when that protection was set again after the
 * copy (B80). Other values, and any page not yet copied, are reported as
 * stored. Modifier bits are kept.
 *
 * @param protect - the page's stored protection.
 * @param copied - whether the page already holds a private copy.
 * @returns the protection to report.
 *
 * @example
 * ```ts
 * reportedProtection(PAGE_WRITECOPY, false); // PAGE_WRITECOPY
 * reportedProtection(PAGE_WRITECOPY, true);  // PAGE_READWRITE
 * ```
 */
export function reportedProtection(protect: number, copied: boolean): number {
  if (!copied) return protect >>> 0;
  const base = protect & 0xff;
  if (base === PAGE_WRITECOPY) return replaceBase(protect, PAGE_READWRITE);
  if (base === PAGE_EXECUTE_WRITECOPY) return replaceBase(protect, PAGE_EXECUTE_READWRITE);
  return protect >>> 0;
}

/** Placement flags of MapViewOfFile's dwDesiredAccess that are not access rights. */
const VIEW_PLACEMENT_FLAGS = FILE_MAP_LARGE_PAGES | FILE_MAP_TARGETS_INVALID | FILE_MAP_RESERVE;

/**
 * The protection of a data view created with `desiredAccess` (B67; both
 * AllocationProtect and Protect of the new view):
 *
 * | desiredAccess (FILE_MAP_EXECUTE aside) | without FILE_MAP_EXECUTE | with FILE_MAP_EXECUTE |
 * |---|---|---|
 * | exactly FILE_MAP_COPY | PAGE_WRITECOPY | PAGE_EXECUTE_WRITECOPY |
 * | anything with FILE_MAP_WRITE | PAGE_READWRITE | PAGE_EXECUTE_READWRITE |
 * | FILE_MAP_READ without WRITE | PAGE_READONLY | PAGE_EXECUTE_READ |
 * | anything else (0, SECTION_MAP_EXECUTE, SECTION_MAP_EXECUTE\|COPY) | PAGE_NOACCESS | PAGE_NOACCESS |
 *
 * FILE_MAP_ALL_ACCESS contains FILE_MAP_WRITE, so it gives PAGE_READWRITE
 * (Microsoft's MapViewOfFile page). The placement flags FILE_MAP_LARGE_PAGES, FILE_MAP_TARGETS_INVALID
 * and FILE_MAP_RESERVE are not access rights and are ignored.
 *
 * @param desiredAccess - MapViewOfFile's dwDesiredAccess.
 * @returns the view's protection.
 *
 * @example
 * ```ts
 * viewProtection(FILE_MAP_READ);                    // PAGE_READONLY
 * viewProtection(FILE_MAP_COPY | FILE_MAP_EXECUTE); // PAGE_EXECUTE_WRITECOPY
 * viewProtection(FILE_MAP_ALL_ACCESS);              // PAGE_READWRITE
 * ```
 */
export function viewProtection(desiredAccess: number): number {
  const a = (desiredAccess & ~VIEW_PLACEMENT_FLAGS) >>> 0;
  const exec = (a & FILE_MAP_EXECUTE) !== 0;
  const access = (a & ~FILE_MAP_EXECUTE) >>> 0;
  if (access === FILE_MAP_COPY) return exec ? PAGE_EXECUTE_WRITECOPY : PAGE_WRITECOPY;
  if ((access & FILE_MAP_WRITE) !== 0) return exec ? PAGE_EXECUTE_READWRITE : PAGE_READWRITE;
  if ((access & FILE_MAP_READ) !== 0) return exec ? PAGE_EXECUTE_READ : PAGE_READONLY;
  return PAGE_NOACCESS;
}

/** SECTION_MAP_* rights a protection needs (for a view) or grants (for a section), B64. */
function sectionRights(protect: number): number {
  switch (protect & 0xff) {
    case PAGE_READWRITE:
      return SECTION_MAP_READ | SECTION_MAP_WRITE;
    case PAGE_EXECUTE_READWRITE:
      return SECTION_MAP_READ | SECTION_MAP_WRITE | SECTION_MAP_EXECUTE;
    case PAGE_READONLY:
    case PAGE_WRITECOPY:
      return SECTION_MAP_READ;
    case PAGE_EXECUTE:
    case PAGE_EXECUTE_READ:
    case PAGE_EXECUTE_WRITECOPY:
      return SECTION_MAP_READ | SECTION_MAP_EXECUTE;
    default:
      return 0;
  }
}

/**
 * The section rights a view mapped with `desiredAccess` needs (B64, B65):
 * SECTION_MAP_READ, plus SECTION_MAP_WRITE for a read/write view, plus
 * SECTION_MAP_EXECUTE for an executable view, computed from
 * {@link viewProtection}. A PAGE_NOACCESS view (access 0) still needs
 * SECTION_MAP_READ. Both the section's protection
 * ({@link sectionGrantsViewAccess}) and the handle's granted rights must
 * include them, or the mapping fails with ERROR_ACCESS_DENIED.
 *
 * @param desiredAccess - MapViewOfFile's dwDesiredAccess.
 * @returns a mask of SECTION_MAP_READ, SECTION_MAP_WRITE and SECTION_MAP_EXECUTE.
 *
 * @example
 * ```ts
 * viewRequiredAccess(FILE_MAP_WRITE) === (SECTION_MAP_READ | SECTION_MAP_WRITE); // true
 * viewRequiredAccess(FILE_MAP_COPY);                                             // 4: SECTION_MAP_READ
 * ```
 */
export function viewRequiredAccess(desiredAccess: number): number {
  return sectionRights(viewProtection(desiredAccess)) || SECTION_MAP_READ;
}

/**
 * Whether a section created with `sectionProtect` allows a view with
 * `desiredAccess` (B64). The section grants: READWRITE → R|W;
 * EXECUTE_READWRITE → R|W|X; READONLY or WRITECOPY → R; EXECUTE_READ or
 * EXECUTE_WRITECOPY → R|X; the view needs {@link viewRequiredAccess}. So a
 * PAGE_READWRITE section allows FILE_MAP_READ, FILE_MAP_WRITE, FILE_MAP_COPY
 * and 0, while PAGE_READONLY and PAGE_WRITECOPY sections refuse FILE_MAP_WRITE.
 * When false, MapViewOfFile fails with ERROR_ACCESS_DENIED.
 *
 * @param sectionProtect - the section's page protection (CreateFileMapping flProtect without SEC_* bits).
 * @param desiredAccess - MapViewOfFile's dwDesiredAccess.
 * @returns whether the view is compatible.
 *
 * @example
 * ```ts
 * sectionGrantsViewAccess(PAGE_READWRITE, FILE_MAP_COPY);  // true
 * sectionGrantsViewAccess(PAGE_WRITECOPY, FILE_MAP_WRITE); // false: ERROR_ACCESS_DENIED
 * ```
 */
export function sectionGrantsViewAccess(sectionProtect: number, desiredAccess: number): boolean {
  const needed = viewRequiredAccess(desiredAccess);
  return (sectionRights(sectionProtect) & needed) === needed;
}

/**
 * Whether a section created with `sectionProtect` allows a view mapped with the page protection `viewProtect`
 * (NtMapViewOfSection's Win32Protect; B64's rule with the protection in place of FILE_MAP_* access): the view's
 * SECTION_MAP_* needs must be among the section's grants. PAGE_NOACCESS needs nothing; PAGE_WRITECOPY needs
 * only read. When false, NtMapViewOfSection fails with STATUS_SECTION_PROTECTION.
 *
 * @param sectionProtect - the section's page protection.
 * @param viewProtect - the view's page protection (modifiers ignored).
 *
 * @example
 * ```ts
 * sectionAllowsViewProtection(PAGE_READONLY, PAGE_WRITECOPY);  // true
 * sectionAllowsViewProtection(PAGE_READONLY, PAGE_EXECUTE);    // false: STATUS_SECTION_PROTECTION
 * ```
 */
export function sectionAllowsViewProtection(sectionProtect: number, viewProtect: number): boolean {
  return (sectionRights(viewProtect) & ~sectionRights(sectionProtect)) === 0;
}

/**
 * The SECTION_* rights a handle must grant for a view with page protection `protect` (the Windows Research
 * Kernel's MmMakeSectionAccess; B65): SECTION_MAP_READ for no access, read-only and write-copy views,
 * SECTION_MAP_WRITE alone for read/write views, SECTION_MAP_EXECUTE with one of them for the execute forms.
 *
 * @example
 * ```ts
 * sectionAccessForView(PAGE_READWRITE) === SECTION_MAP_WRITE;                        // true: not SECTION_MAP_READ
 * sectionAccessForView(PAGE_EXECUTE_READ) === (SECTION_MAP_EXECUTE | SECTION_MAP_READ); // true
 * ```
 */
export function sectionAccessForView(protect: number): number {
  switch (protect & 0xff) {
    case PAGE_READWRITE:
      return SECTION_MAP_WRITE;
    case PAGE_EXECUTE:
      return SECTION_MAP_EXECUTE;
    case PAGE_EXECUTE_READ:
    case PAGE_EXECUTE_WRITECOPY:
      return SECTION_MAP_EXECUTE | SECTION_MAP_READ;
    case PAGE_EXECUTE_READWRITE:
      return SECTION_MAP_EXECUTE | SECTION_MAP_WRITE;
    default:
      return SECTION_MAP_READ; // PAGE_NOACCESS, PAGE_READONLY, PAGE_WRITECOPY
  }
}

/** The protections CreateFileMapping accepts (B60). */
const SECTION_PROTECTIONS: ReadonlySet<number> = new Set([
  PAGE_READONLY,
  PAGE_READWRITE,
  PAGE_WRITECOPY,
  PAGE_EXECUTE_READ,
  PAGE_EXECUTE_READWRITE,
  PAGE_EXECUTE_WRITECOPY,
]);

/**
 * Validates the page protection of CreateFileMapping (B60): exactly one of
 * PAGE_READONLY, PAGE_READWRITE, PAGE_WRITECOPY, PAGE_EXECUTE_READ,
 * PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY. 0, PAGE_NOACCESS,
 * PAGE_EXECUTE, any multi-bit value and any modifier (use SEC_NOCACHE /
 * SEC_WRITECOMBINE for sections) are invalid.
 *
 * @param protect - flProtect with the SEC_* attribute bits removed.
 * @throws WindowsError STATUS_INVALID_PAGE_PROTECTION / ERROR_INVALID_PARAMETER.
 */
export function validateSectionProtection(protect: number): void {
  if (!isDword(protect) || !SECTION_PROTECTIONS.has(protect)) {
    throw invalidProtection(
      protect,
      'CreateFileMapping accepts only PAGE_READONLY, PAGE_READWRITE, PAGE_WRITECOPY, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE or PAGE_EXECUTE_WRITECOPY',
    );
  }
}

const KNOWN_SECTION_ATTRIBUTES = SEC_FILE | SEC_IMAGE | SEC_RESERVE | SEC_COMMIT | SEC_NOCACHE | SEC_WRITECOMBINE | SEC_LARGE_PAGES;

function invalidAttributes(attributes: number, why: string): WindowsError {
  return new WindowsError(
    STATUS_INVALID_PARAMETER_6,
    `invalid section attributes ${hex(attributes)}: ${why}`,
    ERROR_INVALID_PARAMETER,
  );
}

/**
 * Validates the SEC_* attributes of CreateFileMapping (B61) and returns them
 * normalised as NtQuerySection reports them:
 *
 * - anonymous (pagefile-backed) section: SEC_COMMIT or SEC_RESERVE, optionally
 *   with SEC_NOCACHE or SEC_WRITECOMBINE; no SEC flag means SEC_COMMIT. Returns
 *   the type plus modifiers (for example `SEC_RESERVE | SEC_NOCACHE`).
 * - file-backed data section: the same inputs; returns SEC_FILE plus
 *   SEC_NOCACHE / SEC_WRITECOMBINE (SEC_COMMIT/SEC_RESERVE are not reported).
 * - SEC_IMAGE (optionally with SEC_NOCACHE, i.e. SEC_IMAGE_NO_EXECUTE): on an
 *   anonymous section → ERROR_BAD_EXE_FORMAT (STATUS_INVALID_FILE_FOR_SECTION);
 *   on a file → returns SEC_FILE | SEC_IMAGE, and the PE checks (B89) are the
 *   image loader's.
 *
 * Invalid (ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER_6, as NtCreateSection
 * reports a bad AllocationAttributes): SEC_RESERVE|SEC_COMMIT; SEC_NOCACHE or
 * SEC_WRITECOMBINE without a type; an explicit SEC_FILE; SEC_LARGE_PAGES (the
 * emulator grants no large-page privilege); SEC_IMAGE with SEC_RESERVE,
 * SEC_COMMIT, SEC_FILE, SEC_LARGE_PAGES or SEC_WRITECOMBINE; SEC_NOCACHE with
 * SEC_WRITECOMBINE; any other attribute bit.
 *
 * @param attributes - the SEC_* bits of flProtect (a DWORD; any other value is invalid).
 * @param anonymous - true for a section backed by the paging file (INVALID_HANDLE_VALUE).
 * @returns the normalised attributes.
 * @throws WindowsError as above.
 * @throws {@link InvalidArgumentError} when `anonymous` is not a boolean.
 *
 * @example
 * ```ts
 * validateSectionAttributes(0, true);                         // SEC_COMMIT: the default
 * validateSectionAttributes(SEC_RESERVE | SEC_NOCACHE, true) === (SEC_RESERVE | SEC_NOCACHE); // true
 * validateSectionAttributes(SEC_COMMIT, false);               // SEC_FILE: a file-backed section
 * ```
 */
export function validateSectionAttributes(attributes: number, anonymous: boolean): number {
  if (typeof anonymous !== 'boolean') throw new InvalidArgumentError('anonymous must be a boolean');
  if (!isDword(attributes)) {
    throw new WindowsError(STATUS_INVALID_PARAMETER_6, `invalid section attributes ${String(attributes)}: not a DWORD`, ERROR_INVALID_PARAMETER);
  }
  const a = attributes;
  if ((a & ~KNOWN_SECTION_ATTRIBUTES) >>> 0 !== 0) throw invalidAttributes(a, 'unsupported attribute bits');
  if ((a & SEC_FILE) !== 0) throw invalidAttributes(a, 'SEC_FILE cannot be requested');
  if ((a & SEC_IMAGE) !== 0) {
    if ((a & (SEC_RESERVE | SEC_COMMIT | SEC_LARGE_PAGES | SEC_WRITECOMBINE)) !== 0) {
      throw invalidAttributes(a, 'SEC_IMAGE cannot be combined with SEC_RESERVE, SEC_COMMIT, SEC_LARGE_PAGES or SEC_WRITECOMBINE');
    }
    if (anonymous) {
      throw new WindowsError(STATUS_INVALID_FILE_FOR_SECTION, 'SEC_IMAGE needs a file: an anonymous section cannot be an image');
    }
    return (SEC_FILE | SEC_IMAGE) >>> 0;
  }
  const reserve = (a & SEC_RESERVE) !== 0;
  const commit = (a & SEC_COMMIT) !== 0;
  if (reserve && commit) throw invalidAttributes(a, 'SEC_RESERVE and SEC_COMMIT are mutually exclusive');
  if ((a & SEC_LARGE_PAGES) !== 0) throw invalidAttributes(a, 'SEC_LARGE_PAGES is not supported');
  const modifiers = (a & (SEC_NOCACHE | SEC_WRITECOMBINE)) >>> 0;
  if (!reserve && !commit && modifiers !== 0) {
    throw invalidAttributes(a, 'SEC_NOCACHE and SEC_WRITECOMBINE need SEC_COMMIT or SEC_RESERVE');
  }
  if ((a & SEC_NOCACHE) !== 0 && (a & SEC_WRITECOMBINE) !== 0) {
    throw invalidAttributes(a, 'SEC_NOCACHE and SEC_WRITECOMBINE are mutually exclusive');
  }
  if (!anonymous) return (SEC_FILE | modifiers) >>> 0;
  return ((reserve ? SEC_RESERVE : SEC_COMMIT) | modifiers) >>> 0;
}

/** Access classes of B68: WRITECOPY counts as read-only, EXECUTE as read+execute. */
const VIEW_R = 1;
const VIEW_W = 2;
const VIEW_X = 4;

function viewAccessClass(protect: number): number {
  switch (protect & 0xff) {
    case PAGE_READONLY:
    case PAGE_WRITECOPY:
      return VIEW_R;
    case PAGE_READWRITE:
      return VIEW_R | VIEW_W;
    case PAGE_EXECUTE:
    case PAGE_EXECUTE_READ:
    case PAGE_EXECUTE_WRITECOPY:
      return VIEW_R | VIEW_X;
    case PAGE_EXECUTE_READWRITE:
      return VIEW_R | VIEW_W | VIEW_X;
    default:
      return 0;
  }
}

/**
 * Whether VirtualProtect (or a commit on an anonymous view, B69) may set
 * `requested` inside a view whose AllocationProtect is `viewAllocProtect`
 * (B68): the requested access must be a subset of the view's, counting
 * WRITECOPY as read-only access and EXECUTE as read+execute. PAGE_NOACCESS is
 * always a subset. So a FILE_MAP_READ view accepts READONLY and WRITECOPY but
 * not READWRITE or EXECUTE_*; a FILE_MAP_WRITE view accepts WRITECOPY. When
 * false the call fails with ERROR_INVALID_PARAMETER.
 *
 * For image views pass `imageRequestedProtection(requested)` (B85): against
 * the image's PAGE_EXECUTE_WRITECOPY every base value then fits. Modifier bits
 * of either argument are ignored; a `requested` whose base byte is not a
 * single valid bit gives false.
 *
 * @param viewAllocProtect - the view's AllocationProtect.
 * @param requested - the requested protection.
 * @returns whether the protection is allowed.
 *
 * @example
 * ```ts
 * viewProtectAllowed(PAGE_READONLY, PAGE_WRITECOPY);   // true: WRITECOPY counts as read-only
 * viewProtectAllowed(PAGE_READONLY, PAGE_READWRITE);   // false
 * viewProtectAllowed(PAGE_EXECUTE_WRITECOPY, imageRequestedProtection(PAGE_EXECUTE_READWRITE)); // true
 * ```
 */
export function viewProtectAllowed(viewAllocProtect: number, requested: number): boolean {
  if (!isSingleBit(requested & 0xff)) return false;
  const want = viewAccessClass(requested);
  return (viewAccessClass(viewAllocProtect) & want) === want;
}

/**
 * The protection an image page gets when VirtualProtect requests `requested`
 * (B85): PAGE_READWRITE becomes PAGE_WRITECOPY and PAGE_EXECUTE_READWRITE
 * becomes PAGE_EXECUTE_WRITECOPY (Wine's `get_vprot_flags(image=TRUE)` turns
 * WRITE into WRITECOPY); every other value is kept. Modifier bits are kept.
 *
 * @param requested - the requested protection.
 * @returns the protection to store.
 *
 * @example
 * ```ts
 * imageRequestedProtection(PAGE_READWRITE); // PAGE_WRITECOPY
 * imageRequestedProtection(PAGE_READONLY);  // PAGE_READONLY
 * ```
 */
export function imageRequestedProtection(requested: number): number {
  const base = requested & 0xff;
  if (base === PAGE_READWRITE) return replaceBase(requested, PAGE_WRITECOPY);
  if (base === PAGE_EXECUTE_READWRITE) return replaceBase(requested, PAGE_EXECUTE_WRITECOPY);
  return requested >>> 0;
}
