import { Access, Privilege } from './access.js';
import { faultErrorCode, faultVector, trustedTranslationFault, type TranslationFault } from './fault.js';
import { FaultReason } from './fault-reason.js';
import { GuestFaultStage } from './walkers/guest-walker.js';
import type { Architecture } from './permissions.js';
import type { PageTableAccess } from './walk-result.js';

/** {@link FaultRecord} with its fields writable: only {@link recordFault} writes them. */
type Writable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The reusable record of the last fault an {@link Mmu} raised ({@link Mmu.faultRecord}): the same
 * fields as a {@link TranslationFault}, overwritten in place by the MMU's next fault, so that a
 * fault allocates nothing. It is the record an interpreter reads after a try-accessor returned
 * {@link FAULTED}, and the one a {@link FaultHandler} with `handleFaultRecord` receives.
 *
 * Read it before the next access that may fault, or keep {@link FaultRecord.toFault}'s
 * immutable copy. {@link FaultRecord.sequence} changes whenever the record is rewritten.
 *
 * @example
 * ```ts
 * const memory = new PhysicalMemory({ size: 1 << 20 });
 * const tables = new PageTableBuilder(memory, 'x86-64', new FrameAllocator(memory));
 * const mmu = new Mmu({ memory, format: 'x86-64' });
 * mmu.setRoot(tables.root, 1);
 * const record = mmu.faultRecord;           // one object for the MMU's lifetime
 * if (mmu.tryRead32(0x40_0000) === FAULTED) {
 *   record.vector;                           // 14: #PF
 *   record.errorCode;                        // 0: not present, read, supervisor
 *   record.faultAddress;                     // 0x40_0000, for CR2
 * }
 * const kept = record.toFault()!;            // an immutable TranslationFault
 * mmu.tryWrite32(0x50_0000, 1);              // a second fault overwrites the record...
 * record.faultAddress;                       // 0x50_0000
 * kept.faultAddress;                         // ...not the copy: 0x40_0000
 * ```
 */
export class FaultRecord {
  /** The virtual address whose translation failed (the first byte of the failing page for a page-crossing access). */
  readonly address: number = 0;
  /** Read, write or execute. */
  readonly access: Access = Access.Read;
  /** The privilege the access was checked with (as {@link TranslationFault.privilege}). */
  readonly privilege: Privilege = Privilege.Supervisor;
  /** Why the translation failed ({@link FaultReason.None} before the first fault). */
  readonly reason: FaultReason = FaultReason.None;
  /** The level index where the walk stopped, or -1. */
  readonly level: number = -1;
  /** Whose codes {@link FaultRecord.vector} and {@link FaultRecord.errorCode} are. */
  readonly architecture: Architecture;
  /** x86 exception vector (14 #PF, 13 #GP, 18 #MC) or RISC-V `scause`. */
  readonly vector: number = 0;
  /** x86 #PF error code (0 for #GP and #MC), or RISC-V `scause` again. */
  readonly errorCode: number = 0;
  /** The value for CR2 or `stval`. */
  readonly faultAddress: number = 0;
  /** The ASID / PCID of the access. */
  readonly asid: number = 0;
  /** For a bus error, the physical address that reached no memory; otherwise -1. */
  readonly physicalAddress: number = -1;
  /** For a bus error during the walk, the page-table access that failed; otherwise null. */
  readonly pageTableAccess: PageTableAccess | null = null;
  /** The root table the translation walked from, or -1 for an untranslated access (paging off, RISC-V M-mode). */
  readonly root: number = -1;
  /** Bits 63:32 of the address, exact for every address (as {@link TranslationFault.addressHigh}). */
  readonly addressHigh: number = 0;
  /** Bits 31:0 of the address, exact (as {@link TranslationFault.addressLow}). */
  readonly addressLow: number = 0;
  /** The access was made by a virtual machine: {@link FaultRecord.toFault} gives it a {@link TranslationFault.guest}, whose fields follow. */
  readonly virtualized: boolean = false;
  /** As {@link GuestFault.stage}; {@link GuestFaultStage.Host} for the host's accesses. */
  readonly stage: GuestFaultStage = GuestFaultStage.Host;
  /** As {@link GuestFault.guestPhysicalAddress}; -1 when none. */
  readonly guestPhysicalAddress: number = -1;
  /** As {@link GuestFault.htinst}. */
  readonly htinst: number = 0;
  /** As {@link GuestFault.exitReason}. */
  readonly exitReason: number = 0;
  /** As {@link GuestFault.exitQualification}. */
  readonly exitQualification: number = 0;
  /**
   * 0 before the first fault; grows with every fault written into the record, and again when the
   * MMU puts a fault back after a handler's own faults. A change means the record was rewritten.
   */
  readonly sequence: number = 0;

  /**
   * An empty record (sequence 0) for an MMU of `architecture`.
   * @param architecture - `'x86'` or `'riscv'`.
   * @internal
   */
  constructor(architecture: Architecture) {
    this.architecture = architecture;
  }

  /** The exact address as a BigInt (as {@link TranslationFault.addressBig}); allocates. */
  get addressBig(): bigint {
    return (BigInt(this.addressHigh) << 32n) | BigInt(this.addressLow);
  }

  /** Whether the record holds a fault (the MMU has raised one). */
  get holdsFault(): boolean {
    return this.sequence > 0;
  }

  /** An immutable copy of the fault: a new {@link TranslationFault} with the same fields; null before the first fault. */
  toFault(): TranslationFault | null {
    if (this.sequence === 0) return null;
    return trustedTranslationFault({
      address: this.address,
      access: this.access,
      privilege: this.privilege,
      reason: this.reason,
      level: this.level,
      architecture: this.architecture,
      vector: this.vector,
      errorCode: this.errorCode,
      faultAddress: this.faultAddress,
      asid: this.asid,
      physicalAddress: this.physicalAddress,
      pageTableAccess: this.pageTableAccess,
      root: this.root,
      addressHigh: this.addressHigh,
      addressLow: this.addressLow,
      guest: this.virtualized
        ? Object.freeze({
            stage: this.stage,
            guestPhysicalAddress: this.guestPhysicalAddress,
            htval: this.stage === GuestFaultStage.Second && this.guestPhysicalAddress >= 0 && this.architecture === 'riscv' ? Math.floor(this.guestPhysicalAddress / 4) : 0,
            htinst: this.htinst,
            exitReason: this.exitReason,
            exitQualification: this.exitQualification,
          })
        : null,
    });
  }

  /** The one-line summary of {@link TranslationFault.toString}, or `'no fault'`. */
  toString(): string {
    return this.toFault()?.toString() ?? 'no fault';
  }
}

/**
 * Writes a fault into `record` (a new sequence number), deriving its vector and error code as
 * {@link TranslationFault.create} does. The MMU's fault path: the values are its own, valid by
 * construction, so nothing is checked and nothing is allocated.
 * @internal
 */
export function recordFault(
  record: FaultRecord,
  address: number,
  access: Access,
  privilege: Privilege,
  reason: FaultReason,
  level: number,
  asid: number,
  reportFetch: boolean,
  physicalAddress: number,
  pageTableAccess: PageTableAccess | null,
  root: number,
  addressHigh: number,
  addressLow: number,
): void {
  const r = record as Writable<FaultRecord>;
  const vector = faultVector(r.architecture, reason, access);
  r.address = address;
  r.access = access;
  r.privilege = privilege;
  r.reason = reason;
  r.level = level;
  r.vector = vector;
  r.errorCode = faultErrorCode(r.architecture, vector, reason, access, privilege, reportFetch);
  r.faultAddress = address;
  r.asid = asid;
  r.physicalAddress = physicalAddress;
  r.pageTableAccess = pageTableAccess;
  r.root = root;
  r.addressHigh = addressHigh;
  r.addressLow = addressLow;
  r.virtualized = false;
  r.stage = GuestFaultStage.Host;
  r.guestPhysicalAddress = -1;
  r.htinst = 0;
  r.exitReason = 0;
  r.exitQualification = 0;
  r.sequence++;
}

/**
 * Marks the fault {@link recordFault} just wrote as a virtual machine's, with the stage that
 * failed and the second stage's numbers; `code` replaces the vector (RISC-V `scause` 20/21/23 for
 * a G-stage fault, -1 for an x86 VM exit) and `errorCode` the error code (x86: the guest's `#PF`
 * error code, computed under its own control bits). Pass `code` -2 to keep the recorded codes.
 * @internal
 */
export function recordGuestFault(
  record: FaultRecord,
  stage: GuestFaultStage,
  code: number,
  errorCode: number,
  guestPhysicalAddress: number,
  htinst: number,
  exitReason: number,
  exitQualification: number,
): void {
  const r = record as Writable<FaultRecord>;
  r.virtualized = true;
  r.stage = stage;
  if (code !== -2) {
    r.vector = code;
    r.errorCode = r.architecture === 'riscv' ? code : errorCode;
  }
  r.guestPhysicalAddress = guestPhysicalAddress;
  r.htinst = htinst;
  r.exitReason = exitReason;
  r.exitQualification = exitQualification;
}
