/**
 * Kinds of memory access and privilege levels, as small integers so the hot
 * path can index tables with them.
 */

/**
 * The kind of a memory access.
 *
 * @example
 * ```ts
 * mmu.translate(0x401000, Access.Execute);
 * ```
 */
export const Access = {
  /** A data load. */
  Read: 0,
  /** A data store. */
  Write: 1,
  /** An instruction fetch. */
  Execute: 2,
} as const;

/** One of the {@link Access} values: 0 read, 1 write, 2 execute. */
export type Access = (typeof Access)[keyof typeof Access];

/**
 * The privilege an access is made with. x86: CPL 0–2 are supervisor, CPL 3 is
 * user. RISC-V: S-mode is supervisor, U-mode is user (M-mode runs with paging
 * off: see {@link Mmu.setPaging}).
 */
export const Privilege = {
  /** Kernel / supervisor mode. */
  Supervisor: 0,
  /** User mode. */
  User: 1,
} as const;

/** One of the {@link Privilege} values: 0 supervisor, 1 user. */
export type Privilege = (typeof Privilege)[keyof typeof Privilege];

/** Human-readable name of an access kind, for messages. */
export function accessName(access: Access): 'read' | 'write' | 'execute' {
  return access === Access.Read ? 'read' : access === Access.Write ? 'write' : 'execute';
}

/** Human-readable name of a privilege, for messages. */
export function privilegeName(privilege: Privilege): 'supervisor' | 'user' {
  return privilege === Privilege.User ? 'user' : 'supervisor';
}
