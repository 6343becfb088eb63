import { Access, Privilege, accessName, privilegeName } from './access.js';
import { InvalidArgumentError, MmukitError } from './errors.js';
import { FaultReason, faultReasonName } from './fault-reason.js';
import type { Architecture } from './permissions.js';

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

/** x86 exception vectors a translation can raise. */
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
} as const;

/** What a fault handler decided. */
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
 * - x86: `vector` 14 (`#PF`) with `errorCode` (P/W/U/RSVD/I bits) and
 *   `faultAddress` for CR2; 13 (`#GP(0)`) for a non-canonical address; 18
 *   (`#MC`) when an access reaches no device.
 * - RISC-V: `vector` is `scause` (12/13/15 page faults, 1/5/7 access faults),
 *   `errorCode` repeats it, `faultAddress` is `stval`.
 */
export class TranslationFault {
  /** The virtual address whose translation failed: the first byte of the access on the failing page. */
  readonly address: number;
  /** Read, write or execute. */
  readonly access: Access;
  /** Supervisor or user. */
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
  /** The address the guest's fault register receives: CR2 (x86) or `stval` (RISC-V). */
  readonly faultAddress: number;
  /** ASID / PCID of the address space the access was made in. */
  readonly asid: number;
  /** For a bus error: the physical address that reached no device; otherwise -1. */
  readonly physicalAddress: number;

  /**
   * Builds a record; usually done by the MMU. See {@link TranslationFault.create}.
   * @throws {@link InvalidArgumentError} when `fields` is not an object.
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
  }) {
    if (fields === null || typeof fields !== 'object') throw new InvalidArgumentError('fields must be an object');
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
  }

  /**
   * Derives the architecture's codes for a failed translation.
   *
   * @param reportFetch - x86 only: whether the I/D bit is reported (NXE or SMEP enabled; SDM §4.7).
   * @throws {@link InvalidArgumentError} on an unknown architecture, access, privilege or reason. The address
   *   is recorded as given, whatever it is: a fault at an address that is no address is still a fault.
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
  ): TranslationFault {
    if (architecture !== 'x86' && architecture !== 'riscv') throw new InvalidArgumentError(`architecture must be 'x86' or 'riscv', got ${String(architecture)}`);
    if (access !== Access.Read && access !== Access.Write && access !== Access.Execute) throw new InvalidArgumentError(`access must be an Access, got ${String(access)}`);
    if (privilege !== Privilege.Supervisor && privilege !== Privilege.User) throw new InvalidArgumentError(`privilege must be a Privilege, got ${String(privilege)}`);
    if (!Number.isInteger(reason) || reason <= FaultReason.None || reason > FaultReason.BusError) throw new InvalidArgumentError(`reason must be a FaultReason other than None, got ${String(reason)}`);
    let vector: number;
    let errorCode: number;
    if (architecture === 'x86') {
      if (reason === FaultReason.NonCanonical) {
        vector = X86Vector.GeneralProtection;
        errorCode = 0;
      } else if (reason === FaultReason.BusError) {
        vector = X86Vector.MachineCheck;
        errorCode = 0;
      } else {
        vector = X86Vector.PageFault;
        errorCode = 0;
        if (reason !== FaultReason.NotPresent) errorCode |= X86PageFaultCode.Present;
        if (access === Access.Write) errorCode |= X86PageFaultCode.Write;
        if (privilege === Privilege.User) errorCode |= X86PageFaultCode.User;
        if (reason === FaultReason.ReservedBit) errorCode |= X86PageFaultCode.ReservedBit;
        if (access === Access.Execute && reportFetch) errorCode |= X86PageFaultCode.InstructionFetch;
      }
    } else {
      const bus = reason === FaultReason.BusError;
      if (access === Access.Execute) vector = bus ? RiscvCause.InstructionAccessFault : RiscvCause.InstructionPageFault;
      else if (access === Access.Write) vector = bus ? RiscvCause.StoreAccessFault : RiscvCause.StorePageFault;
      else vector = bus ? RiscvCause.LoadAccessFault : RiscvCause.LoadPageFault;
      errorCode = vector;
    }
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
    });
  }

  /** One line for logs, e.g. `#PF write user at 0x401000 (Protection, error code 0x7)`. */
  toString(): string {
    // The address is recorded as the access gave it: it may be no address at all (NaN, or not a number).
    const where = typeof this.address === 'number' && Number.isFinite(this.address) ? `0x${this.address.toString(16)}` : String(this.address);
    const what = `${accessName(this.access)} ${privilegeName(this.privilege)} at ${where}`;
    if (this.architecture === 'x86') {
      const name = this.vector === 14 ? '#PF' : this.vector === 13 ? '#GP' : '#MC';
      return `${name} ${what} (${faultReasonName(this.reason)}, error code 0x${this.errorCode.toString(16)})`;
    }
    return `scause ${this.vector} ${what} (${faultReasonName(this.reason)}, stval ${where})`;
  }
}

/**
 * Thrown by an MMU access whose fault no handler resolved. Carries the
 * {@link TranslationFault} to inject into the guest. Nothing was written by the
 * faulting access.
 *
 * @example
 * ```ts
 * try { mmu.write32(va, 1); }
 * catch (e) {
 *   if (e instanceof PageFaultError) guest.raise(e.fault.vector, e.fault.errorCode, e.fault.faultAddress);
 *   else throw e;
 * }
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
    super('PAGE_FAULT', requireFault(fault).toString());
    this.fault = fault;
  }
}

/**
 * Thrown when a fault handler keeps answering {@link FaultResolution.Retry}
 * without fixing the mapping (more than the MMU's `maxFaultRetries` times in a
 * row for one access): a bug in the handler, reported instead of hanging.
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
