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
} as const;

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
   * Builds a record from its fields as given (no codes derived); usually done
   * by the MMU. {@link TranslationFault.create} derives the codes.
   * @param fields - every field of the record.
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
   *
   * @throws {@link InvalidArgumentError} on an unknown architecture, access, privilege or reason. The address
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
 * faulting access. {@link MmukitError.code} is `'PAGE_FAULT'`; the message is
 * {@link TranslationFault.toString}.
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
    super('PAGE_FAULT', requireFault(fault).toString());
    this.fault = fault;
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
