import { Access, Privilege, accessName, privilegeName } from './access.js';
import { InvalidArgumentError, MmukitError, withoutStackTrace } from './errors.js';
import { GuestFaultStage } from './walkers/guest-walker.js';
import { FaultReason, faultReasonName } from './fault-reason.js';
import type { Architecture } from './permissions.js';
import { requireKnownKeys } from './validate.js';
import type { PageTableAccess } from './walk-result.js';

/** Node's `util.inspect` hook, by its registered symbol (no Node import: this runs in browsers too). */
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

const FIELD_KEYS = ['address', 'access', 'privilege', 'reason', 'level', 'architecture', 'vector', 'errorCode', 'faultAddress', 'asid', 'physicalAddress', 'pageTableAccess', 'root', 'addressHigh', 'addressLow', 'guest'];

/** Set while {@link TranslationFault.create} builds its record: the fields are known good. */
let trustedFields = false;

/** The key of `table` whose value is `value`, or `unknown(value)`. */
function nameIn(table: Readonly<Record<string, number>>, value: number): string {
  for (const [name, v] of Object.entries(table)) if (v === value) return name;
  return `unknown(${String(value)})`;
}

/** `0x…` for an address-like number, the value as text otherwise (a fault records addresses as given). */
function hex(value: unknown): string {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? `0x${value.toString(16)}` : String(value);
}

/**
 * A {@link TranslationFault} as plain data, from {@link TranslationFault.toJSON}:
 * the same fields, but `reason`, `access` and `privilege` by name (keys of
 * {@link FaultReason}, {@link Access}, {@link Privilege}, so `FaultReason[json.reason]`
 * gives the number back), plus `vectorName` and a one-line `summary`.
 */
export interface TranslationFaultJson {
  /** {@link TranslationFault.toString}. */
  readonly summary: string;
  /** {@link TranslationFault.address}. */
  readonly address: number;
  /** The access kind by name: `'Read'`, `'Write'` or `'Execute'`. */
  readonly access: string;
  /** The privilege by name: `'Supervisor'`, `'User'` or `'Machine'`. */
  readonly privilege: string;
  /** The reason by name, for example `'NotPresent'`. */
  readonly reason: string;
  /** {@link TranslationFault.level}. */
  readonly level: number;
  /** {@link TranslationFault.architecture}. */
  readonly architecture: Architecture;
  /** {@link TranslationFault.vector}. */
  readonly vector: number;
  /** The vector by name: x86 `'#PF'`, `'#GP'` or `'#MC'`; RISC-V a {@link RiscvCause} key such as `'LoadPageFault'`. */
  readonly vectorName: string;
  /** {@link TranslationFault.errorCode}. */
  readonly errorCode: number;
  /** {@link TranslationFault.faultAddress}. */
  readonly faultAddress: number;
  /** {@link TranslationFault.asid}. */
  readonly asid: number;
  /** {@link TranslationFault.physicalAddress}. */
  readonly physicalAddress: number;
  /** {@link TranslationFault.pageTableAccess}. */
  readonly pageTableAccess: PageTableAccess | null;
  /** {@link TranslationFault.root}. */
  readonly root: number;
  /** {@link TranslationFault.addressHigh}. */
  readonly addressHigh: number;
  /** {@link TranslationFault.addressLow}. */
  readonly addressLow: number;
  /** {@link TranslationFault.guest}. */
  readonly guest: GuestFault | null;
}

/**
 * What a fault of a virtualised access (RISC-V V=1 or an HLV/HSV, x86 VMX non-root operation)
 * adds for the trap or VM exit ({@link TranslationFault.guest}). The `vector` of such a fault is
 * the guest-stage exception (RISC-V 12/13/15, x86 `#PF`), the G-stage's guest-page fault (RISC-V
 * 20/21/23, with `htval` and `htinst`), or -1 for an x86 EPT violation or misconfiguration, which
 * is a VM exit (`exitReason` 48 or 49) rather than an exception.
 */
export interface GuestFault {
  /** Which stage failed: {@link GuestFaultStage.Guest} (deliver to the guest) or {@link GuestFaultStage.Second} (to the hypervisor). */
  readonly stage: GuestFaultStage;
  /**
   * The guest-physical address of a second-stage fault, or -1: RISC-V the GPA that faulted (of the
   * VS-level PTE for an implicit access), x86 the VMCS guest-physical-address field.
   */
  readonly guestPhysicalAddress: number;
  /** RISC-V `htval` (and `mtval2`): `guestPhysicalAddress >> 2` for a guest-page fault, else 0. */
  readonly htval: number;
  /** RISC-V `htinst`: the pseudoinstruction of a guest-page fault on an implicit VS-stage access, else 0. */
  readonly htinst: number;
  /** x86: the VM-exit reason of an EPT event (48 violation, 49 misconfiguration), else 0. */
  readonly exitReason: number;
  /** x86: the exit qualification of an EPT violation (access bits 0–2, rights 3–6, linear-address bits 7–8, ...), else 0. */
  readonly exitQualification: number;
}

/** The summary's words for a virtualised access's fault: which stage, and the second stage's numbers. */
function guestDetail(architecture: Architecture, guest: GuestFault): string {
  if (guest.stage !== GuestFaultStage.Second) return architecture === 'x86' ? ', guest stage' : ', VS-stage, GVA';
  const gpa = guest.guestPhysicalAddress < 0 ? '' : `, GPA 0x${guest.guestPhysicalAddress.toString(16)}`;
  if (architecture === 'x86') {
    return guest.exitReason === 0 ? `, EPT${gpa}` : `, exit reason ${guest.exitReason}${gpa}, qualification 0x${guest.exitQualification.toString(16)}`;
  }
  return `, G-stage, GVA${gpa}, htval 0x${guest.htval.toString(16)}, htinst 0x${guest.htinst.toString(16)}`;
}

/** x86 `#PF` error-code bits (Intel SDM Vol. 3A §4.7, Figure 4-12). */
export const X86PageFaultCode = {
  /** P: 0 = page not present, 1 = protection violation or reserved bit. */
  Present: 1 << 0,
  /** W/R: the access was a write. */
  Write: 1 << 1,
  /** U/S: the access was made in user mode. */
  User: 1 << 2,
  /** RSVD: a reserved bit was set in a paging-structure entry. */
  ReservedBit: 1 << 3,
  /** I/D: the access was an instruction fetch (reported only with NXE or SMEP enabled). */
  InstructionFetch: 1 << 4,
} as const;

/** x86 exception vectors a translation can raise ({@link TranslationFault.vector} when the architecture is x86). */
export const X86Vector = {
  /** General protection, raised for a non-canonical address. */
  GeneralProtection: 13,
  /** Page fault. */
  PageFault: 14,
  /** Machine check, raised when an access reaches no device and the memory is configured to fault. */
  MachineCheck: 18,
} as const;

/** RISC-V synchronous exception codes (`scause`) a translation can raise (Privileged spec, Table "Supervisor cause register values"). */
export const RiscvCause = {
  /** Instruction access fault. */
  InstructionAccessFault: 1,
  /** Load access fault. */
  LoadAccessFault: 5,
  /** Store/AMO access fault. */
  StoreAccessFault: 7,
  /** Instruction page fault. */
  InstructionPageFault: 12,
  /** Load page fault. */
  LoadPageFault: 13,
  /** Store/AMO page fault. */
  StorePageFault: 15,
  /** Instruction guest-page fault (H extension: a G-stage fault of a fetch). */
  InstructionGuestPageFault: 20,
  /** Load guest-page fault (H extension; also HLV and HLVX). */
  LoadGuestPageFault: 21,
  /** Store/AMO guest-page fault (H extension; also HSV). */
  StoreGuestPageFault: 23,
} as const;

/**
 * The vector (x86) or `scause` (RISC-V) of a failed translation, from checked values: what
 * {@link TranslationFault.create} and the MMU's reusable fault record both derive.
 * @internal
 */
export function faultVector(architecture: Architecture, reason: FaultReason, access: Access): number {
  if (architecture === 'x86') {
    if (reason === FaultReason.NonCanonical) return X86Vector.GeneralProtection;
    if (reason === FaultReason.BusError || reason === FaultReason.PmpViolation) return X86Vector.MachineCheck; // (x86 has no PMP)
    return X86Vector.PageFault;
  }
  const bus = reason === FaultReason.BusError || reason === FaultReason.PmpViolation;
  if (access === Access.Execute) return bus ? RiscvCause.InstructionAccessFault : RiscvCause.InstructionPageFault;
  if (access === Access.Write) return bus ? RiscvCause.StoreAccessFault : RiscvCause.StorePageFault;
  return bus ? RiscvCause.LoadAccessFault : RiscvCause.LoadPageFault;
}

/**
 * The error code of a failed translation whose vector is `vector`: x86's #PF error code (SDM
 * §4.7; 0 for #GP and #MC), RISC-V's `scause` again. From checked values, as {@link faultVector}.
 * @internal
 */
export function faultErrorCode(architecture: Architecture, vector: number, reason: FaultReason, access: Access, privilege: Privilege, reportFetch: boolean): number {
  if (architecture !== 'x86') return vector;
  if (vector !== X86Vector.PageFault) return 0;
  let errorCode = 0;
  if (reason !== FaultReason.NotPresent) errorCode |= X86PageFaultCode.Present;
  if (access === Access.Write) errorCode |= X86PageFaultCode.Write;
  if (privilege === Privilege.User) errorCode |= X86PageFaultCode.User;
  if (reason === FaultReason.ReservedBit) errorCode |= X86PageFaultCode.ReservedBit;
  if (access === Access.Execute && reportFetch) errorCode |= X86PageFaultCode.InstructionFetch;
  return errorCode;
}

/** What a fault handler decided: the return value of {@link FaultHandler.handleFault}. */
export const FaultResolution = {
  /** The handler could not (or chose not to) fix the mapping: the access throws {@link PageFaultError}. */
  Deliver: 0,
  /** The handler fixed the mapping: the access is retried from the start. */
  Retry: 1,
} as const;

/** One of the {@link FaultResolution} values. */
export type FaultResolution = (typeof FaultResolution)[keyof typeof FaultResolution];

/**
 * Everything known about a failed translation, in architecture-neutral terms
 * and as the architecture's own codes, ready to inject into a guest.
 *
 * - x86: `vector` 14 (`#PF`) with `errorCode` (P/W/U/RSVD/I bits,
 *   {@link X86PageFaultCode}) and `faultAddress` for CR2; 13 (`#GP(0)`) for a
 *   non-canonical address; 18 (`#MC`) when an access reaches no device.
 * - RISC-V: `vector` is `scause` (12/13/15 page faults, 1/5/7 access faults,
 *   {@link RiscvCause}), `errorCode` repeats it, `faultAddress` is `stval`.
 *
 * An emulator receives it as {@link PageFaultError.fault} (no fault handler,
 * or a handler that answered {@link FaultResolution.Deliver}) and injects it:
 * x86 pushes `errorCode` and enters the `vector` handler with CR2 =
 * `faultAddress`; RISC-V sets `scause` = `vector`, `stval` = `faultAddress`,
 * `sepc` = the faulting instruction, and jumps to `stvec`. The faulting
 * access wrote nothing, so re-executing the instruction after the guest's
 * handler returns is correct. Addresses are mmukit's (below 2^vaBits, the
 * sign extension implied): widen them for a guest register, as
 * `examples/riscv/trap.ts` does for Sv39's `stval`.
 *
 * Shown to a person, a fault names what its numbers mean: {@link TranslationFault.toString}
 * is one line (`#PF write user at 0x400010 (Protection, error code 0x7)`),
 * `JSON.stringify` gives {@link TranslationFault.toJSON} (names for `reason`,
 * `access` and `privilege`), and Node's `console.log` / `util.inspect` print the
 * line and those names, addresses in hex. The fields themselves stay numbers
 * (the {@link FaultReason}, {@link Access} and {@link Privilege} constants): the
 * walker, the TLBs and the architecture codes work on numbers, and an emulator
 * compares them with the named constants (`fault.reason === FaultReason.NotPresent`)
 * or names them with {@link faultReasonName}, {@link accessName} and {@link privilegeName}.
 *
 * @example
 * ```ts
 * // x86-64: a user-mode write to a read-only user page.
 * const memory = new PhysicalMemory({ size: 1 << 20 });
 * const tables = new PageTableBuilder(memory, 'x86-64', new FrameAllocator(memory));
 * tables.map(0x40_0000, 0x8000, { user: true });
 * const mmu = new Mmu({ memory, format: 'x86-64' });
 * mmu.setRoot(tables.root, 1);
 * mmu.setPrivilege(Privilege.User);
 * try {
 *   mmu.write32(0x40_0010, 1);
 * } catch (e) {
 *   if (!(e instanceof PageFaultError)) throw e;
 *   const f = e.fault;
 *   f.vector;                    // 14: #PF
 *   f.errorCode;                 // 7: P (present) | W/R (write) | U/S (user)
 *   f.faultAddress;              // 0x40_0010: the value for CR2
 *   faultReasonName(f.reason);   // 'Protection'
 *   f.toString();                // '#PF write user at 0x400010 (Protection, error code 0x7)'
 * }
 * ```
 *
 * @example
 * ```ts
 * // RISC-V Sv39: a load from an unmapped page in S-mode.
 * const memory = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000 });
 * const tables = new PageTableBuilder(memory, 'sv39', new FrameAllocator(memory));
 * const mmu = new Mmu({ memory, format: 'sv39' });
 * mmu.setRoot(tables.root, 0);   // an empty root table: nothing is mapped
 * try {
 *   mmu.read64(0x1000);
 * } catch (e) {
 *   if (!(e instanceof PageFaultError)) throw e;
 *   e.fault.vector;              // 13: scause, load page fault
 *   e.fault.faultAddress;        // 0x1000: stval
 *   e.fault.level;               // 0: the root entry was not valid
 * }
 * ```
 */
export class TranslationFault {
  /** The virtual address (bytes, below 2^vaBits) whose translation failed: the first byte of the access on the failing page. */
  readonly address: number;
  /** Read, write or execute. */
  readonly access: Access;
  /**
   * The privilege the access was checked with: supervisor or user, or RISC-V
   * machine for an untranslated M-mode access (a load or store that RISC-V's
   * `mstatus.MPRV` translates reports MPP's privilege, as it was checked with it).
   */
  readonly privilege: Privilege;
  /** Why it failed. */
  readonly reason: FaultReason;
  /** Page-table level (0 = root) where the walk stopped, or -1 when no walk was involved. */
  readonly level: number;
  /** Whose codes `vector`, `errorCode` and `faultAddress` are. */
  readonly architecture: Architecture;
  /** x86 exception vector, or RISC-V `scause`. */
  readonly vector: number;
  /** x86 `#PF` error code (0 for `#GP`/`#MC`), or RISC-V `scause`. */
  readonly errorCode: number;
  /**
   * The address the guest's fault register receives: CR2 (x86) or `stval` (RISC-V), reduced to
   * the format's `vaBits` like every address (sign-extend it). A `NonCanonical` fault's address
   * is the one the access reached, zero-extended: at or above 2^vaBits, or 2^(vaBits - 1) exactly
   * for an access that ran off the top of the lower half (x86-64: 0x0000_8000_0000_0000, not the
   * upper half's first byte).
   */
  readonly faultAddress: number;
  /** ASID / PCID of the address space the access was made in. */
  readonly asid: number;
  /**
   * For a `BusError`, the physical address that reached no device (for a
   * `PmpViolation`, the one PMP denied, alike): the
   * page-table entry's address when a page-table access failed
   * ({@link TranslationFault.pageTableAccess} is `'read'` or `'write'`; a root
   * outside memory gives the root entry's address at level 0), the data
   * access's address when the access itself failed (`level` -1). -1 for every
   * other reason, and for a RISC-V leaf that maps a page beyond 2^53 (nothing
   * was accessed).
   */
  readonly physicalAddress: number;
  /**
   * For a `BusError` (or a `PmpViolation`) during the walk: which page-table
   * access reached no memory (or was denied), `'read'` (an entry read) or
   * `'write'` (an Accessed/Dirty write-back), at `level` and `physicalAddress`.
   * null otherwise.
   */
  readonly pageTableAccess: PageTableAccess | null;
  /** The root table (physical address) the translation walked from, or -1 for an untranslated access (paging off, RISC-V M-mode). */
  readonly root: number;
  /**
   * Bits 63:32 of {@link TranslationFault.address}, exact for every address. `address` is a
   * number, exact below 2^53 only: a fault of the wide accessors (`Mmu.readN`,
   * `Mmu.readHalves` and the others) at an address above that (the upper half of Sv57 or
   * 5-level paging) has its exact value in these two halves, and in {@link TranslationFault.addressBig}.
   */
  readonly addressHigh: number;
  /** Bits 31:0 of {@link TranslationFault.address}, exact (see {@link TranslationFault.addressHigh}). */
  readonly addressLow: number;
  /**
   * For an access made by a virtual machine (RISC-V V=1, HLV, HLVX, HSV; x86 VMX non-root
   * operation): the stage that failed and what the trap or VM exit needs from the second stage
   * (see {@link GuestFault}); RISC-V `hstatus.GVA` is then 1 and `stval` holds the guest-virtual
   * address. Null for the host's accesses.
   */
  readonly guest: GuestFault | null;

  /**
   * Builds a record from its fields as given (no codes derived); usually done
   * by the MMU. {@link TranslationFault.create} derives the codes.
   * @param fields - every field of the record; `pageTableAccess` defaults to null and `root` to -1.
   * @throws {@link InvalidArgumentError} when `fields` is not an object, or has a key that is no field.
   */
  constructor(fields: {
    address: number;
    access: Access;
    privilege: Privilege;
    reason: FaultReason;
    level: number;
    architecture: Architecture;
    vector: number;
    errorCode: number;
    faultAddress: number;
    asid: number;
    physicalAddress: number;
    pageTableAccess?: PageTableAccess | null;
    root?: number;
    addressHigh?: number;
    addressLow?: number;
    guest?: GuestFault | null;
  }) {
    if (fields === null || typeof fields !== 'object') throw new InvalidArgumentError('fields must be an object');
    if (!trustedFields) requireKnownKeys(fields, FIELD_KEYS, 'TranslationFault fields');
    this.address = fields.address;
    this.access = fields.access;
    this.privilege = fields.privilege;
    this.reason = fields.reason;
    this.level = fields.level;
    this.architecture = fields.architecture;
    this.vector = fields.vector;
    this.errorCode = fields.errorCode;
    this.faultAddress = fields.faultAddress;
    this.asid = fields.asid;
    this.physicalAddress = fields.physicalAddress;
    this.pageTableAccess = fields.pageTableAccess ?? null;
    this.root = fields.root ?? -1;
    this.addressHigh = fields.addressHigh ?? highHalf(fields.address);
    this.addressLow = fields.addressLow ?? lowHalf(fields.address);
    this.guest = fields.guest ?? null;
  }

  /**
   * The exact address as a BigInt, from {@link TranslationFault.addressHigh} and
   * {@link TranslationFault.addressLow}: below 2^vaBits (2^64 for a non-canonical address
   * given to a wide accessor), not sign-extended.
   */
  get addressBig(): bigint {
    return (BigInt(this.addressHigh) << 32n) | BigInt(this.addressLow);
  }

  /**
   * Derives the architecture's codes for a failed translation: how the MMU
   * builds its records. Useful to an emulator that raises the same faults
   * for translations it does itself (e.g. a non-canonical address it checks
   * before calling the MMU).
   *
   * @param architecture - whose codes to derive.
   * @param address - the virtual address that failed; also `faultAddress`.
   * @param access - read, write or execute.
   * @param privilege - supervisor or user.
   * @param reason - why it failed.
   * @param level - level index where the walk stopped, or -1.
   * @param asid - the address space's ASID / PCID.
   * @param reportFetch - x86 only: whether the I/D bit is reported (NXE or SMEP enabled; SDM §4.7).
   * @param physicalAddress - for a bus error, the physical address that reached no device; default -1.
   * @param pageTableAccess - for a bus error during the walk, the page-table access that failed; default null.
   * @param root - the root table the translation walked from; default -1 (paging off).
   *
   * @throws {@link InvalidArgumentError} on an unknown architecture, access, privilege, reason or page-table access. The address
   *   is recorded as given, whatever it is: a fault at an address that is no address is still a fault.
   * @example
   * ```ts
   * const f = TranslationFault.create('riscv', 0x1000, Access.Execute, Privilege.User, FaultReason.NotPresent, 2, 1, false);
   * f.vector; // 12: instruction page fault
   * const g = TranslationFault.create('x86', 0x1000, Access.Execute, Privilege.User, FaultReason.Protection, 3, 1, true);
   * g.errorCode; // 0x15: P | U/S | I/D
   * ```
   */
  static create(
    architecture: Architecture,
    address: number,
    access: Access,
    privilege: Privilege,
    reason: FaultReason,
    level: number,
    asid: number,
    reportFetch: boolean,
    physicalAddress = -1,
    pageTableAccess: PageTableAccess | null = null,
    root = -1,
  ): TranslationFault {
    if (architecture !== 'x86' && architecture !== 'riscv') throw new InvalidArgumentError(`architecture must be 'x86' or 'riscv', got ${String(architecture)}`);
    if (access !== Access.Read && access !== Access.Write && access !== Access.Execute) throw new InvalidArgumentError(`access must be an Access, got ${String(access)}`);
    if (privilege !== Privilege.Supervisor && privilege !== Privilege.User && (privilege !== Privilege.Machine || architecture !== 'riscv')) {
      throw new InvalidArgumentError(`privilege must be a Privilege (Machine on RISC-V only), got ${String(privilege)}`);
    }
    if (!Number.isInteger(reason) || reason <= FaultReason.None || reason > FaultReason.PmpViolation) throw new InvalidArgumentError(`reason must be a FaultReason other than None, got ${String(reason)}`);
    if (pageTableAccess !== null && pageTableAccess !== 'read' && pageTableAccess !== 'write') throw new InvalidArgumentError(`pageTableAccess must be 'read', 'write' or null, got ${String(pageTableAccess)}`);
    const vector = faultVector(architecture, reason, access);
    const errorCode = faultErrorCode(architecture, vector, reason, access, privilege, reportFetch);
    // The fields are built here from checked values: the key check is the caller's, not ours.
    trustedFields = true;
    try {
      return new TranslationFault({
        address,
        access,
        privilege,
        reason,
        level,
        architecture,
        vector,
        errorCode,
        faultAddress: address,
        asid,
        physicalAddress,
        pageTableAccess,
        root,
      });
    } finally {
      trustedFields = false;
    }
  }

  /**
   * The vector by name: x86 `'#PF'`, `'#GP'`, `'#MC'`; RISC-V the {@link RiscvCause}
   * key, e.g. `'LoadPageFault'`.
   */
  get vectorName(): string {
    if (this.architecture === 'x86') {
      if (this.vector === -1 && this.guest !== null) return this.guest.exitReason === 49 ? 'EPT misconfiguration' : 'EPT violation';
      return this.vector === X86Vector.PageFault ? '#PF' : this.vector === X86Vector.GeneralProtection ? '#GP' : this.vector === X86Vector.MachineCheck ? '#MC' : `vector ${String(this.vector)}`;
    }
    return nameIn(RiscvCause, this.vector);
  }

  /**
   * One line for logs, naming every number:
   * `#PF write user at 0x401000 (Protection, error code 0x7)`,
   * `scause 13 (LoadPageFault) read supervisor at 0x1000 (NotPresent, stval 0x1000)`. A bus
   * error says which access reached no memory:
   * `#MC read supervisor at 0x400000 (BusError: page-table read of the level-0 entry at physical 0x9000000, root 0x9000000, reached no memory)`.
   */
  toString(): string {
    // The address is recorded as the access gave it: it may be no address at all (NaN, or not a number).
    // Above 2^53 the number is rounded: the halves hold the exact address.
    const exact = typeof this.address === 'number' && this.address >= 2 ** 53 && this.address < Infinity;
    const where = exact ? `0x${this.addressBig.toString(16)}` : typeof this.address === 'number' && Number.isFinite(this.address) ? `0x${this.address.toString(16)}` : String(this.address);
    const what = `${accessName(this.access)} ${privilegeName(this.privilege)} at ${where}`;
    const reason =
      this.reason === FaultReason.BusError
        ? `BusError: ${this.busErrorDetail('reached no memory')}`
        : this.reason === FaultReason.PmpViolation
          ? `PmpViolation: ${this.busErrorDetail('denied by PMP')}`
          : faultReasonName(this.reason);
    const guest = this.guest === null ? '' : guestDetail(this.architecture, this.guest);
    if (this.architecture === 'x86') {
      if (this.vector === -1) return `${this.vectorName} ${what} (${reason}${guest})`;
      return `${this.vectorName} ${what} (${reason}, error code 0x${this.errorCode.toString(16)}${guest})`;
    }
    return `scause ${this.vector} (${this.vectorName}) ${what} (${reason}, stval ${where}${guest})`;
  }

  /**
   * The fault as plain data with names (see {@link TranslationFaultJson}); what
   * `JSON.stringify` writes.
   *
   * @example
   * ```ts
   * const f = TranslationFault.create('x86', 0x40_1000, Access.Write, Privilege.User, FaultReason.Protection, 3, 1, true);
   * const json = f.toJSON();
   * json.reason;                   // 'Protection'
   * json.access;                   // 'Write'
   * FaultReason[json.reason as keyof typeof FaultReason]; // 2: back to the number
   * ```
   */
  toJSON(): TranslationFaultJson {
    return {
      summary: this.toString(),
      address: this.address,
      access: nameIn(Access, this.access),
      privilege: nameIn(Privilege, this.privilege),
      reason: nameIn(FaultReason, this.reason),
      level: this.level,
      architecture: this.architecture,
      vector: this.vector,
      vectorName: this.vectorName,
      errorCode: this.errorCode,
      faultAddress: this.faultAddress,
      asid: this.asid,
      physicalAddress: this.physicalAddress,
      pageTableAccess: this.pageTableAccess,
      root: this.root,
      addressHigh: this.addressHigh,
      addressLow: this.addressLow,
      guest: this.guest,
    };
  }

  /**
   * Node's `util.inspect` (and so `console.log`): the one-line summary, then the
   * fields with names for the enums and addresses in hex.
   * @internal
   */
  [INSPECT](depth: number, options: object, inspect?: (value: unknown, options: object) => string): string {
    const summary = this.toString();
    if (depth < 0) return `[TranslationFault: ${summary}]`;
    const json = this.toJSON();
    const shown: Record<string, unknown> = {
      reason: json.reason,
      access: json.access,
      privilege: json.privilege,
      address: hex(json.address),
      level: json.level,
      architecture: json.architecture,
      vector: json.vector,
      vectorName: json.vectorName,
      errorCode: hex(json.errorCode),
      faultAddress: hex(json.faultAddress),
      physicalAddress: json.physicalAddress < 0 ? json.physicalAddress : hex(json.physicalAddress),
      root: json.root < 0 ? json.root : hex(json.root),
      asid: json.asid,
      pageTableAccess: json.pageTableAccess,
    };
    const body = typeof inspect === 'function' ? inspect(shown, options) : JSON.stringify(shown);
    return `TranslationFault [${summary}] ${body}`;
  }

  /** Which physical access failed, for the summary of a `BusError` or a `PmpViolation` (`what` happened to it). */
  private busErrorDetail(what: string): string {
    if (this.pageTableAccess !== null) {
      const root = this.root >= 0 ? `, root ${hex(this.root)}` : '';
      return `page-table ${this.pageTableAccess} of the level-${String(this.level)} entry at physical ${hex(this.physicalAddress)}${root}, ${what}`;
    }
    if (this.level < 0 || this.physicalAddress >= 0) return `the access at physical ${hex(this.physicalAddress)} ${what}`;
    return `the level-${String(this.level)} leaf maps a page beyond the physical address space`;
  }
}


/**
 * Thrown by an MMU access whose fault no handler resolved. Carries the
 * {@link TranslationFault} to inject into the guest. Nothing was written by the
 * faulting access. {@link MmukitError.code} is `'PAGE_FAULT'`; the message is
 * {@link TranslationFault.toString}. `console.log(e)` shows the fault with
 * names for its reason, access and privilege, and `JSON.stringify(e)` writes
 * the message and {@link TranslationFault.toJSON} (see {@link MmukitError.toJSON}).
 *
 * @example
 * ```ts
 * // A full-system emulator's CPU loop: no fault handler, every fault goes to the guest.
 * const memory = new PhysicalMemory({ size: 1 << 20 });
 * const mmu = new Mmu({ memory, format: 'x86-64' });
 * mmu.setRoot(new PageTableBuilder(memory, 'x86-64', new FrameAllocator(memory)).root, 0);
 * const cpu = { cr2: 0, pending: [] as Array<{ vector: number; errorCode: number }> };
 * try {
 *   mmu.write32(0x7fff_f000, 1);          // the guest's instruction touches an unmapped page
 * } catch (e) {
 *   if (!(e instanceof PageFaultError)) throw e;
 *   cpu.cr2 = e.fault.faultAddress;       // CR2 holds the linear address
 *   cpu.pending.push({ vector: e.fault.vector, errorCode: e.fault.errorCode });
 * }
 * cpu.cr2;                                // 0x7fff_f000
 * cpu.pending;                            // [{ vector: 14, errorCode: 2 }]: #PF, not present, write, supervisor
 * ```
 */
export class PageFaultError extends MmukitError {
  /** The fault record. */
  readonly fault: TranslationFault;

  /**
   * Wraps a fault record.
   * @param fault - the record to carry.
   * @throws {@link InvalidArgumentError} when `fault` is not a {@link TranslationFault}.
   */
  constructor(fault: TranslationFault) {
    super('PAGE_FAULT');
    this.fault = requireFault(fault);
  }

  /** The fault's one-line summary ({@link TranslationFault.toString}), formatted when first read. */
  protected override describe(): string {
    return this.fault.toString();
  }
}

/**
 * Bits 63:32 of an address given as a number (0 for what is no address: negative, NaN).
 * @internal
 */
export function highHalf(address: number): number {
  return typeof address === 'number' && address >= 0 && address < Infinity ? Math.floor(address / 4_294_967_296) % 4_294_967_296 : 0;
}

/**
 * Bits 31:0 of an address given as a number (0 for what is no address).
 * @internal
 */
export function lowHalf(address: number): number {
  return typeof address === 'number' && address >= 0 && address < Infinity ? Math.floor(address % 4_294_967_296) : 0;
}

/**
 * A {@link TranslationFault} of fields the library built itself (the MMU's reusable record):
 * without the constructor's check for unknown keys, as {@link TranslationFault.create} does.
 * @internal
 */
export function trustedTranslationFault(fields: ConstructorParameters<typeof TranslationFault>[0]): TranslationFault {
  trustedFields = true;
  try {
    return new TranslationFault(fields);
  } finally {
    trustedFields = false;
  }
}

/** The fault {@link pageFaultError} is wrapping (a module variable, so that no closure is made per fault). */
let faultToWrap: TranslationFault | null = null;
const makePageFaultError = (): PageFaultError => new PageFaultError(faultToWrap!);

/**
 * The {@link PageFaultError} an access throws: without a JavaScript stack (its
 * `stack` is the name and the fault's one-line summary), since the fault is the
 * guest's and capturing the host's frames costs more than the rest of it.
 * @internal
 */
export function pageFaultError(fault: TranslationFault): PageFaultError {
  faultToWrap = fault;
  try {
    return withoutStackTrace(makePageFaultError);
  } finally {
    faultToWrap = null;
  }
}

/**
 * Thrown when a fault handler keeps answering {@link FaultResolution.Retry}
 * without fixing the mapping (more than the MMU's `maxFaultRetries` times in a
 * row for one access): a bug in the handler, reported instead of hanging.
 * {@link MmukitError.code} is `'FAULT_LOOP'`. The access wrote nothing.
 *
 * @example
 * ```ts
 * const mmu = new Mmu({ memory: new PhysicalMemory({ size: 1 << 20 }), format: 'x86-64', maxFaultRetries: 3 });
 * mmu.faultHandler = { handleFault: () => FaultResolution.Retry }; // a buggy handler: fixes nothing
 * let looped = false;
 * try { mmu.read8(0x1000); } catch (e) { looped = e instanceof FaultLoopError; }
 * looped;               // true
 * mmu.stats().faults;   // 4: the first attempt and 3 retries
 * ```
 */
export class FaultLoopError extends MmukitError {
  /** The fault that kept recurring. */
  readonly fault: TranslationFault;

  /**
   * Wraps the recurring fault.
   * @param fault - the last fault seen.
   * @throws {@link InvalidArgumentError} when `fault` is not a {@link TranslationFault}.
   */
  constructor(fault: TranslationFault) {
    super('FAULT_LOOP', `fault handler asked to retry but the fault persists: ${requireFault(fault).toString()}`);
    this.fault = fault;
  }
}

/** Checks the fault an error carries. */
function requireFault(fault: unknown): TranslationFault {
  if (!(fault instanceof TranslationFault)) throw new InvalidArgumentError('fault must be a TranslationFault');
  return fault;
}
