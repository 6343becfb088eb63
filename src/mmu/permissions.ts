import { Access, Privilege, type TranslatedPrivilege } from './access.js';
import type { ControlState } from './controls.js';
import { InvalidArgumentError } from './errors.js';

/**
 * Permission class bits: an architecture-neutral summary of what a translation
 * allows, stored in each TLB entry's `perm` byte. The walker computes them once
 * per walk; the MMU turns them into a yes/no per (privilege, access) with a
 * 192-byte table rebuilt whenever a control bit changes (QEMU-style: the hit
 * path is one table load, and changing CR0.WP, SMAP, SUM or MXR never needs a
 * TLB flush to take effect).
 */
export const Perm = {
  /** Data reads allowed by the entries (always set for x86 present pages). */
  Read: 1,
  /** Writes allowed: x86 R/W = 1 at every level; RISC-V W = 1. */
  Write: 2,
  /** Instruction fetch allowed: x86 XD = 0 at every level (or EFER.NXE = 0); RISC-V X = 1. */
  Execute: 4,
  /** User page: x86 U/S = 1 at every level; RISC-V U = 1. */
  User: 8,
  /**
   * The leaf's dirty bit was already set when the entry was filled. A write
   * through an entry without it must walk again so the hardware sets D (or,
   * on RISC-V with fault-on-clear A/D, raises a store page fault).
   */
  Dirty: 16,
  /**
   * Not a walker bit: set by the MMU when the page is not entirely RAM (ROM,
   * MMIO or unmapped), so hits on it leave the hot path and go through the
   * physical address map.
   */
  Io: 32,
} as const;

/** Number of distinct permission classes (6 bits of {@link Perm}): the length of one permission-table row. */
export const PERM_CLASSES = 64;

/** The architecture whose access rules apply. */
export type Architecture = 'x86' | 'riscv';

/**
 * Decides whether an access with the given permission class is allowed, by
 * the architecture's rules (Intel SDM Vol. 3A §4.6 "Access Rights"; RISC-V
 * Privileged Architecture, "Virtual Address Translation Process", steps 5–6).
 * The dirty bit is not considered here: it decides whether a walk is needed,
 * not whether the access is legal.
 *
 * x86 rules, in the manual's order:
 * - user accesses need a user page; writes need R/W; fetches need XD clear;
 * - supervisor fetches from user pages fault when SMEP is on;
 * - supervisor data accesses to user pages fault when SMAP is on and `EFLAGS.AC` is clear;
 * - supervisor writes to read-only pages fault only when CR0.WP is set;
 * - fetches need XD clear (the walker reports XD as clear when EFER.NXE is off).
 *
 * RISC-V rules:
 * - U-mode needs U = 1; S-mode may touch U = 1 pages only for loads and stores with SUM = 1, never fetch from them;
 * - loads need R, or X when MXR is set; stores need W; fetches need X.
 *
 * Pure and allocation-free; never throws.
 *
 * @param architecture - whose rules apply.
 * @param perm - permission class bits ({@link Perm}), 0–63.
 * @param access - read, write or execute.
 * @param privilege - supervisor or user.
 * @param controls - the control bits (only those of `architecture` are read).
 * @returns whether the access is allowed.
 *
 * @throws {@link InvalidArgumentError} on an unknown architecture, access or privilege, a `perm` outside
 *   [0, {@link PERM_CLASSES}), or a missing control state.
 * @example
 * ```ts
 * const controls = defaultControls(); // CR0.WP on, SMEP and SMAP off; SUM and MXR off
 * const userRw = Perm.Read | Perm.Write | Perm.User;
 * accessAllowed('x86', userRw, Access.Write, Privilege.User, controls);               // true
 * accessAllowed('x86', userRw, Access.Execute, Privilege.User, controls);             // false: XD set somewhere
 * accessAllowed('x86', Perm.Read, Access.Write, Privilege.Supervisor, controls);      // false: CR0.WP
 * accessAllowed('x86', Perm.Read, Access.Write, Privilege.Supervisor, { ...controls, wp: false }); // true
 * accessAllowed('riscv', userRw, Access.Read, Privilege.Supervisor, controls);        // false: SUM is clear
 * accessAllowed('riscv', userRw, Access.Read, Privilege.Supervisor, { ...controls, sum: true }); // true
 * ```
 */
export function accessAllowed(
  architecture: Architecture,
  perm: number,
  access: Access,
  privilege: TranslatedPrivilege,
  controls: ControlState,
): boolean {
  if (architecture !== 'x86' && architecture !== 'riscv') throw new InvalidArgumentError(`architecture must be 'x86' or 'riscv', got ${String(architecture)}`);
  if (!Number.isInteger(perm) || perm < 0 || perm >= PERM_CLASSES) throw new InvalidArgumentError(`perm must be an integer in [0, ${PERM_CLASSES - 1}], got ${String(perm)}`);
  permRow(privilege, access);
  if (controls === null || typeof controls !== 'object') throw new InvalidArgumentError('controls must be a control state object');
  return allowedUnchecked(architecture, perm, access, privilege, controls);
}

/**
 * {@link accessAllowed} for callers whose arguments are already known good (the walkers, once
 * per walk, and the permission tables): the same rules, no argument checks.
 * @internal
 */
export function allowedUnchecked(architecture: Architecture, perm: number, access: Access, privilege: TranslatedPrivilege, controls: ControlState): boolean {
  const user = (perm & Perm.User) !== 0;
  if (architecture === 'x86') {
    if (privilege === Privilege.User) {
      if (!user) return false;
      if (access === Access.Write) return (perm & Perm.Write) !== 0;
      if (access === Access.Execute) return (perm & Perm.Execute) !== 0;
      return true;
    }
    if (access === Access.Execute) {
      if (user && controls.smep) return false;
      return (perm & Perm.Execute) !== 0;
    }
    if (user && controls.smap && !controls.ac) return false;
    if (access === Access.Write && controls.wp) return (perm & Perm.Write) !== 0;
    return true;
  }
  if (privilege === Privilege.User) {
    if (!user) return false;
  } else if (user) {
    if (access === Access.Execute || !controls.sum) return false;
  }
  if (access === Access.Read) return (perm & Perm.Read) !== 0 || (controls.mxr && (perm & Perm.Execute) !== 0);
  if (access === Access.Write) return (perm & Perm.Write) !== 0;
  return (perm & Perm.Execute) !== 0;
}

/**
 * Index of (privilege, access) in a permission table: each row holds
 * {@link PERM_CLASSES} bytes, rows ordered supervisor read, write, execute,
 * then user read, write, execute.
 *
 * @param privilege - supervisor or user.
 * @param access - read, write or execute.
 * @returns the byte offset of the row: `(privilege * 3 + access) * 64`.
 *
 * @throws {@link InvalidArgumentError} when `privilege` or `access` is not one of its values.
 * @example
 * ```ts
 * permRow(Privilege.Supervisor, Access.Read); // 0
 * permRow(Privilege.User, Access.Write);      // 256: row 4
 * ```
 */
export function permRow(privilege: TranslatedPrivilege, access: Access): number {
  if (privilege !== Privilege.Supervisor && privilege !== Privilege.User) throw new InvalidArgumentError(`privilege must be a Privilege (0 or 1), got ${String(privilege)}`);
  if (access !== Access.Read && access !== Access.Write && access !== Access.Execute) throw new InvalidArgumentError(`access must be an Access (0, 1 or 2), got ${String(access)}`);
  return rowUnchecked(privilege, access);
}

/** {@link permRow} without argument checks, for the MMU's miss path (its privilege and access are its own). @internal */
export function rowUnchecked(privilege: TranslatedPrivilege, access: Access): number {
  return (privilege * 3 + access) * PERM_CLASSES;
}

/**
 * Builds a permission table: `table[permRow(p, a) + perm]` is 1 when a TLB hit
 * with that permission class may complete without a walk, 0 when the MMU must
 * walk again (then fault, or set D). With `allowIo` false, classes with
 * {@link Perm.Io} are 0 too: that is the hot path's table, which only touches RAM.
 *
 * The {@link Mmu} rebuilds its two tables on every {@link Mmu.setControls};
 * this function is exported for emulators that keep their own TLB.
 *
 * @param architecture - whose rules apply ({@link accessAllowed}).
 * @param controls - the control bits.
 * @param out - receives the table: at least `6 * PERM_CLASSES` (384) bytes.
 * @param allowIo - whether entries marked {@link Perm.Io} may hit.
 *
 * @throws {@link InvalidArgumentError} on an unknown architecture, a missing control state, or an `out` shorter than 6 rows.
 * @example
 * ```ts
 * const table = new Uint8Array(6 * PERM_CLASSES);   // 2 privileges × 3 access kinds
 * buildPermissionTable('x86', defaultControls(), table, false);
 * const dirty = Perm.Read | Perm.Write | Perm.User | Perm.Dirty;
 * table[permRow(Privilege.User, Access.Write) + dirty];               // 1: the hit completes
 * table[permRow(Privilege.User, Access.Write) + (dirty & ~Perm.Dirty)]; // 0: walk again to set D
 * table[permRow(Privilege.User, Access.Read) + (dirty | Perm.Io)];    // 0: MMIO leaves the hot path
 * ```
 */
export function buildPermissionTable(
  architecture: Architecture,
  controls: ControlState,
  out: Uint8Array,
  allowIo: boolean,
): void {
  if (architecture !== 'x86' && architecture !== 'riscv') throw new InvalidArgumentError(`architecture must be 'x86' or 'riscv', got ${String(architecture)}`);
  if (controls === null || typeof controls !== 'object') throw new InvalidArgumentError('controls must be a control state object');
  if (!(out instanceof Uint8Array) || out.length < PERM_CLASSES * 6) throw new InvalidArgumentError(`out must be a Uint8Array of at least ${PERM_CLASSES * 6} bytes`);
  for (const privilege of [Privilege.Supervisor, Privilege.User] as const) {
    for (const access of [Access.Read, Access.Write, Access.Execute] as const) {
      const row = permRow(privilege, access);
      for (let perm = 0; perm < PERM_CLASSES; perm++) {
        const dirtyOk = access !== Access.Write || (perm & Perm.Dirty) !== 0;
        const ioOk = allowIo || (perm & Perm.Io) === 0;
        out[row + perm] = dirtyOk && ioOk && allowedUnchecked(architecture, perm, access, privilege, controls) ? 1 : 0;
      }
    }
  }
}
