/**
 * The supervisor CSRs this hart implements, and what writing them does to the
 * MMU. The guest owns the page tables; the hart only tells the MMU where they
 * are (satp) and which sstatus bits change its checks (SUM, MXR).
 *
 * There is no M-mode, so no mstatus/medeleg: every exception is taken in S-mode.
 * There are no interrupts, so sie/sip are absent and SIE/SPIE are only saved
 * and restored by traps and SRET.
 */
import type { MemorySystem } from './memory-system.js';
import type { Mode } from './mode.js';
import { illegal } from './trap.js';

/** CSR numbers (Privileged spec, "CSR Listing"). */
export const Csr = {
  sstatus: 0x100,
  stvec: 0x105,
  sscratch: 0x140,
  sepc: 0x141,
  scause: 0x142,
  stval: 0x143,
  satp: 0x180,
} as const;

/** sstatus fields. */
export const Sstatus = {
  SIE: 1n << 1n,
  SPIE: 1n << 5n,
  /** Previous privilege: 1 = S-mode, 0 = U-mode. */
  SPP: 1n << 8n,
  /** Permit Supervisor User Memory access. */
  SUM: 1n << 18n,
  /** Make eXecutable Readable. */
  MXR: 1n << 19n,
} as const;

const SSTATUS_WRITABLE = Sstatus.SIE | Sstatus.SPIE | Sstatus.SPP | Sstatus.SUM | Sstatus.MXR;
/** sstatus.UXL (bits 33:32) = 2: U-mode is 64-bit. Read-only here. */
const SSTATUS_UXL_64 = 2n << 32n;

/** satp.MODE values this hart supports. */
export const SatpMode = { Bare: 0n, Sv39: 8n } as const;
/**
 * satp.PPN is WARL: this hart keeps 41 bits, so the root table's address
 * (PPN × 4096) stays below 2^53, the limit of mmukit's physical addresses.
 */
const SATP_PPN_MASK = (1n << 41n) - 1n;

export class SupervisorCsrs {
  sstatus = 0n;
  stvec = 0n;
  sscratch = 0n;
  sepc = 0n;
  scause = 0n;
  stval = 0n;
  private satpValue = 0n;
  /** Writes of satp that took effect (a supported MODE). */
  satpWrites = 0;

  /** Puts the MMU in the reset state the CSRs describe: Bare mode, SUM and MXR clear. */
  constructor(protected readonly mmu: MemorySystem) {
    mmu.setPaging(false);
    mmu.setControls({ sum: false, mxr: false });
  }

  get satp(): bigint {
    return this.satpValue;
  }

  /** Whether `csr` exists here. The caller checks privilege and read-only-ness (encoded in the number). */
  has(csr: number): boolean {
    return Object.values(Csr).includes(csr as (typeof Csr)[keyof typeof Csr]);
  }

  /**
   * Raises the exception of a CSR instruction that may not access `csr` from `mode`: one this
   * hart does not have, one whose number (bits 9:8) asks more privilege, or a write of a
   * read-only one (bits 11:10 = 3) is an illegal instruction.
   * @param inst - the instruction's bits, for stval.
   */
  checkAccess(csr: number, mode: Mode, writes: boolean, inst: number): void {
    if (!this.has(csr) || ((csr >>> 8) & 3) > mode) illegal(inst);
    if (writes && csr >>> 10 === 3) illegal(inst);
  }

  read(csr: number): bigint {
    switch (csr) {
      case Csr.sstatus:
        return this.sstatus | SSTATUS_UXL_64;
      case Csr.stvec:
        return this.stvec;
      case Csr.sscratch:
        return this.sscratch;
      case Csr.sepc:
        return this.sepc;
      case Csr.scause:
        return this.scause;
      case Csr.stval:
        return this.stval;
      case Csr.satp:
        return this.satpValue;
      default:
        throw new Error(`no CSR 0x${csr.toString(16)}`);
    }
  }

  write(csr: number, value: bigint): void {
    switch (csr) {
      case Csr.sstatus:
        this.writeSstatus(value);
        return;
      case Csr.stvec:
        // MODE (bits 1:0) is WARL: only Direct (0) and Vectored (1); Vectored
        // changes nothing here, as it affects interrupts only.
        this.stvec = value & ~2n;
        return;
      case Csr.sscratch:
        this.sscratch = value;
        return;
      case Csr.sepc:
        this.sepc = value & ~3n; // IALIGN = 32: bits 1:0 read as zero
        return;
      case Csr.scause:
        this.scause = value;
        return;
      case Csr.stval:
        this.stval = value;
        return;
      case Csr.satp:
        this.writeSatp(value);
        return;
      default:
        throw new Error(`no CSR 0x${csr.toString(16)}`);
    }
  }

  /** Updates the writable sstatus bits; SUM and MXR change what the MMU allows S-mode loads and stores. */
  writeSstatus(value: bigint): void {
    const before = this.sstatus;
    this.sstatus = value & SSTATUS_WRITABLE;
    const changed = before ^ this.sstatus;
    if ((changed & (Sstatus.SUM | Sstatus.MXR)) !== 0n) {
      this.mmu.setControls({ sum: (this.sstatus & Sstatus.SUM) !== 0n, mxr: (this.sstatus & Sstatus.MXR) !== 0n });
    }
  }

  /**
   * satp = MODE (63:60) | ASID (59:44) | PPN (43:0). A write selecting an
   * unsupported MODE has no effect at all (the field is WARL). A supported one
   * points the MMU at the root table with the ASID, and turns translation on
   * or off when the mode changes. Like hardware, nothing is flushed: the guest
   * executes SFENCE.VMA when it needs to.
   */
  writeSatp(value: bigint): void {
    const mode = value >> 60n;
    if (mode !== SatpMode.Bare && mode !== SatpMode.Sv39) return;
    const asid = Number((value >> 44n) & 0xffffn);
    const ppn = value & SATP_PPN_MASK;
    this.satpValue = (mode << 60n) | (BigInt(asid) << 44n) | ppn;
    this.satpWrites++;
    this.mmu.setRoot(Number(ppn) * 4096, asid);
    const paging = mode === SatpMode.Sv39;
    if (paging !== this.mmu.paging) this.mmu.setPaging(paging);
  }
}
