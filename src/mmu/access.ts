/**
 * Kinds of memory access and privilege levels, as small integers so the hot
 * path can index tables with them.
 */

/**
 * The kind of a memory access. Selects the TLB (instruction fetches use the
 * L1 ITLB, the others the L1 DTLB), the permission checked, and the fault code
 * reported (x86 `#PF` W/R and I/D bits; RISC-V load, store or instruction
 * page fault).
 *
 * @example
 * ```ts
 * const mmu = new Mmu({ memory: new PhysicalMemory({ size: 1 << 20 }), format: 'x86-64' });
 * mmu.setPaging(false);                  // virtual = physical
 * mmu.translate(0x1234, Access.Execute); // 0x1234
 * accessName(Access.Write);              // 'write'
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

/** Human-readable name of an access kind, for messages: `'read'`, `'write'` or `'execute'`. */
export function accessName(access: Access): 'read' | 'write' | 'execute' {
  return access === Access.Read ? 'read' : access === Access.Write ? 'write' : 'execute';
}

/** Human-readable name of a privilege, for messages: `'supervisor'` or `'user'`. */
export function privilegeName(privilege: Privilege): 'supervisor' | 'user' {
  return privilege === Privilege.User ? 'user' : 'supervisor';
}
