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
 * user. RISC-V: S-mode is supervisor, U-mode is user, M-mode is machine.
 *
 * Translation happens at supervisor or user privilege only: a RISC-V M-mode
 * access is untranslated (privileged spec §3.1.6.3), except that with
 * `mstatus.MPRV` set its loads and stores are translated and checked as
 * `mstatus.MPP` (see {@link Mmu.setModifyPrivilege}). x86 has no machine
 * privilege.
 */
export const Privilege = {
  /** Kernel / supervisor mode. */
  Supervisor: 0,
  /** User mode. */
  User: 1,
  /** RISC-V machine mode (M-mode): untranslated unless MPRV says otherwise. */
  Machine: 2,
} as const;

/** One of the {@link Privilege} values: 0 supervisor, 1 user, 2 machine (RISC-V only). */
export type Privilege = (typeof Privilege)[keyof typeof Privilege];

/** A privilege at which accesses are translated: supervisor or user. */
export type TranslatedPrivilege = typeof Privilege.Supervisor | typeof Privilege.User;

/** Human-readable name of an access kind, for messages: `'read'`, `'write'` or `'execute'`. */
export function accessName(access: Access): 'read' | 'write' | 'execute' {
  return access === Access.Read ? 'read' : access === Access.Write ? 'write' : 'execute';
}

/** Human-readable name of a privilege, for messages: `'supervisor'`, `'user'` or `'machine'`. */
export function privilegeName(privilege: Privilege): 'supervisor' | 'user' | 'machine' {
  return privilege === Privilege.User ? 'user' : privilege === Privilege.Machine ? 'machine' : 'supervisor';
}
