/**
 * The CSRs of the H extension (Privileged spec, "Hypervisor Extension"), on top of the
 * supervisor CSRs of examples/riscv, and what writing them does to the Mmu:
 *
 * - hgatp (the G-stage root, mode and VMID) → `mmu.setHgatp`;
 * - vsatp (the guest's own root, mode and ASID) → `mmu.setGuestRoot`;
 * - vsstatus.SUM / MXR and henvcfg.ADUE → `mmu.setGuestControls`;
 * - hstatus.SPVP (the privilege of HLV/HSV) → `mmu.setSpvp`.
 *
 * With V=1 the supervisor CSR numbers name the VS CSRs: a guest kernel's `csrw satp`
 * writes vsatp, its `csrr scause` reads vscause. The hart keeps V here (`virtualized`)
 * so that the CSR instructions find the right register.
 *
 * Not implemented, because no guest here needs them: interrupts (hideleg, hie, hip, hvip,
 * vsie, vsip, hgeie, hgeip), counters (hcounteren, htimedelta), the trapping controls
 * hstatus.VTVM, VTW and VTSR (read-only zero: VS-mode may execute SFENCE.VMA, WFI and SRET),
 * big-endian guests (hstatus.VSBE), Sv48x4 and Sv57x4 (hgatp) and Sv48/Sv57 (vsatp).
 */
import { GStageMode, type Mmu } from '../../src/index.js';
import { Csr, Sstatus, SupervisorCsrs } from '../riscv/csrs.js';
import { Mode } from '../riscv/mode.js';
import { Trap, illegal } from '../riscv/trap.js';
import { HCause } from './guest-trap.js';

/** CSR numbers of the hypervisor and VS CSRs (Privileged spec, "CSR Listing"). */
export const HCsr = {
  vsstatus: 0x200,
  vstvec: 0x205,
  vsscratch: 0x240,
  vsepc: 0x241,
  vscause: 0x242,
  vstval: 0x243,
  vsatp: 0x280,
  hstatus: 0x600,
  hedeleg: 0x602,
  henvcfg: 0x60a,
  htval: 0x643,
  htinst: 0x64a,
  hgatp: 0x680,
} as const;

/** hstatus fields. */
export const Hstatus = {
  /** A trap into HS-mode wrote a guest-virtual address to stval. */
  GVA: 1n << 6n,
  /** The trap came from V=1; SRET from HS-mode returns to V=1. */
  SPV: 1n << 7n,
  /** The guest's privilege at that trap (1 = VS-mode); HLV, HLVX and HSV use it. */
  SPVP: 1n << 8n,
  /** U-mode may execute HLV, HLVX and HSV. */
  HU: 1n << 9n,
} as const;

const HSTATUS_WRITABLE = Hstatus.GVA | Hstatus.SPV | Hstatus.SPVP | Hstatus.HU;
/** hstatus.VSXL (bits 33:32) = 2: VS-mode is 64-bit. Read-only here. */
const HSTATUS_VSXL_64 = 2n << 32n;
/** henvcfg.ADUE (bit 61): the hart sets A and D in VS-stage PTEs (Svadu). */
export const HENVCFG_ADUE = 1n << 61n;
/**
 * hedeleg bits that can be set: exceptions 0-8 and the page faults 12, 13, 15. Ecalls
 * from VS-, HS- and M-mode (9-11), the guest-page faults and the virtual-instruction
 * exception (20-23) are read-only zero: they always reach the hypervisor.
 */
const HEDELEG_WRITABLE = 0x1ffn | (1n << 12n) | (1n << 13n) | (1n << 15n);
/** The guest's sstatus bits (vsstatus): the same as the host's, UXL read-only. */
const VSSTATUS_WRITABLE = Sstatus.SIE | Sstatus.SPIE | Sstatus.SPP | Sstatus.SUM | Sstatus.MXR;
const VSSTATUS_UXL_64 = 2n << 32n;

/** vsatp.MODE values supported: Bare and Sv39 (as satp). */
const VsatpMode = { Bare: 0n, Sv39: 8n } as const;
/** vsatp.PPN is WARL: 40 bits kept, so the root's guest-physical address stays below 2^52 (mmukit's limit). */
const VSATP_PPN_MASK = (1n << 40n) - 1n;
/** hgatp.PPN keeps 41 bits (the root below 2^53); bits 1:0 read as zero in Sv39x4: the root is 16 KiB aligned. */
const HGATP_PPN_MASK = ((1n << 41n) - 1n) & ~3n;
/** hgatp.VMID: 14 bits (VMIDLEN's maximum for RV64). */
const VMID_MASK = 0x3fffn;

/** With V=1, the supervisor CSR numbers name these VS CSRs ("VS CSRs substitute for the supervisor CSRs"). */
const VS_CSR_OF: ReadonlyMap<number, number> = new Map([
  [Csr.sstatus, HCsr.vsstatus],
  [Csr.stvec, HCsr.vstvec],
  [Csr.sscratch, HCsr.vsscratch],
  [Csr.sepc, HCsr.vsepc],
  [Csr.scause, HCsr.vscause],
  [Csr.stval, HCsr.vstval],
  [Csr.satp, HCsr.vsatp],
]);

const H_CSRS: readonly number[] = Object.values(HCsr);

/** The exception of an instruction VS- or VU-mode may not execute but HS-mode could: the hypervisor may emulate it. */
export function virtualInstruction(inst: number): never {
  throw new Trap(HCause.VirtualInstruction, BigInt(inst));
}

export class HypervisorCsrs extends SupervisorCsrs {
  declare protected readonly mmu: Mmu;
  /** The V bit: set while the guest runs (VS- or VU-mode). The hart changes it. */
  virtualized = false;
  hstatus = 0n;
  hedeleg = 0n;
  henvcfg = 0n;
  htval = 0n;
  htinst = 0n;
  vsstatus = 0n;
  vstvec = 0n;
  vsscratch = 0n;
  vsepc = 0n;
  vscause = 0n;
  vstval = 0n;
  private hgatpValue = 0n;
  private vsatpValue = 0n;
  /** Writes of hgatp and of vsatp that took effect. */
  hgatpWrites = 0;
  vsatpWrites = 0;

  /** Puts the Mmu in the reset state these CSRs describe: hgatp and vsatp Bare, the guest's controls clear, SPVP clear. */
  constructor(mmu: Mmu) {
    super(mmu);
    mmu.setHgatp(GStageMode.Bare, 0, 0);
    mmu.setGuestRoot(null, 0, 0);
    mmu.setGuestControls({ sum: false, mxr: false, hardwareAD: false });
    mmu.setSpvp(false);
  }

  get hgatp(): bigint {
    return this.hgatpValue;
  }

  get vsatp(): bigint {
    return this.vsatpValue;
  }

  override has(csr: number): boolean {
    return super.has(csr) || H_CSRS.includes(csr);
  }

  /**
   * HS-mode has the hypervisor's privilege: it may access the hypervisor and VS CSRs
   * (number bits 9:8 = 2). What HS-mode could access but VS-mode (a hypervisor or VS CSR)
   * or VU-mode (any of them) may not is a virtual-instruction exception; from U-mode with
   * V=0 it is an illegal instruction.
   */
  override checkAccess(csr: number, mode: Mode, writes: boolean, inst: number): void {
    const level = (csr >>> 8) & 3; // 0 user, 1 supervisor, 2 hypervisor (HS-mode), 3 machine
    if (!this.has(csr) || level === 3 || (writes && csr >>> 10 === 3)) illegal(inst);
    if (level > 0 && mode === Mode.User) {
      if (this.virtualized) virtualInstruction(inst);
      illegal(inst);
    }
    if (level === 2 && this.virtualized) virtualInstruction(inst);
  }

  /** The register `csr` names now: with V=1, a supervisor CSR's number names its VS CSR. */
  private resolve(csr: number): number {
    return this.virtualized ? (VS_CSR_OF.get(csr) ?? csr) : csr;
  }

  override read(csr: number): bigint {
    switch (this.resolve(csr)) {
      case HCsr.hstatus:
        return this.hstatus | HSTATUS_VSXL_64;
      case HCsr.hedeleg:
        return this.hedeleg;
      case HCsr.henvcfg:
        return this.henvcfg;
      case HCsr.htval:
        return this.htval;
      case HCsr.htinst:
        return this.htinst;
      case HCsr.hgatp:
        return this.hgatpValue;
      case HCsr.vsstatus:
        return this.vsstatus | VSSTATUS_UXL_64;
      case HCsr.vstvec:
        return this.vstvec;
      case HCsr.vsscratch:
        return this.vsscratch;
      case HCsr.vsepc:
        return this.vsepc;
      case HCsr.vscause:
        return this.vscause;
      case HCsr.vstval:
        return this.vstval;
      case HCsr.vsatp:
        return this.vsatpValue;
      default:
        return super.read(csr);
    }
  }

  override write(csr: number, value: bigint): void {
    switch (this.resolve(csr)) {
      case HCsr.hstatus:
        this.writeHstatus(value);
        return;
      case HCsr.hedeleg:
        this.hedeleg = value & HEDELEG_WRITABLE;
        return;
      case HCsr.henvcfg:
        this.writeHenvcfg(value);
        return;
      case HCsr.htval:
        this.htval = value;
        return;
      case HCsr.htinst:
        this.htinst = value;
        return;
      case HCsr.hgatp:
        this.writeHgatp(value);
        return;
      case HCsr.vsstatus:
        this.writeVsstatus(value);
        return;
      case HCsr.vstvec:
        this.vstvec = value & ~2n; // Direct or Vectored, as stvec
        return;
      case HCsr.vsscratch:
        this.vsscratch = value;
        return;
      case HCsr.vsepc:
        this.vsepc = value & ~3n;
        return;
      case HCsr.vscause:
        this.vscause = value;
        return;
      case HCsr.vstval:
        this.vstval = value;
        return;
      case HCsr.vsatp:
        this.writeVsatp(value);
        return;
      default:
        super.write(csr, value);
    }
  }

  /** Updates the writable hstatus bits; SPVP is the privilege the Mmu gives HLV, HLVX and HSV. */
  writeHstatus(value: bigint): void {
    this.hstatus = value & HSTATUS_WRITABLE;
    this.mmu.setSpvp((this.hstatus & Hstatus.SPVP) !== 0n);
  }

  /** Updates the guest's sstatus; its SUM and MXR change the Mmu's checks of VS-stage pages. */
  writeVsstatus(value: bigint): void {
    const before = this.vsstatus;
    this.vsstatus = value & VSSTATUS_WRITABLE;
    if (((before ^ this.vsstatus) & (Sstatus.SUM | Sstatus.MXR)) !== 0n) {
      this.mmu.setGuestControls({ sum: (this.vsstatus & Sstatus.SUM) !== 0n, mxr: (this.vsstatus & Sstatus.MXR) !== 0n });
    }
  }

  /** henvcfg: only ADUE is implemented (hardware A/D updates in the guest's own tables). */
  private writeHenvcfg(value: bigint): void {
    this.henvcfg = value & HENVCFG_ADUE;
    this.mmu.setGuestControls({ hardwareAD: this.henvcfg !== 0n });
  }

  /**
   * hgatp = MODE (63:60) | VMID (57:44) | PPN (43:0). A write selecting an unsupported MODE
   * has no effect at all (WARL). Nothing is flushed: the hypervisor executes HFENCE.GVMA.
   */
  private writeHgatp(value: bigint): void {
    const mode = value >> 60n;
    if (mode !== BigInt(GStageMode.Bare) && mode !== BigInt(GStageMode.Sv39x4)) return;
    const vmid = (value >> 44n) & VMID_MASK;
    const ppn = mode === BigInt(GStageMode.Bare) ? 0n : value & HGATP_PPN_MASK;
    this.hgatpValue = (mode << 60n) | (vmid << 44n) | ppn;
    this.hgatpWrites++;
    this.mmu.setHgatp(Number(mode) as GStageMode, Number(ppn) * 4096, Number(vmid));
  }

  /**
   * vsatp = MODE | ASID | PPN, as satp; the root is a guest-physical address. A write
   * selecting an unsupported MODE has no effect. Nothing is flushed.
   */
  private writeVsatp(value: bigint): void {
    const mode = value >> 60n;
    if (mode !== VsatpMode.Bare && mode !== VsatpMode.Sv39) return;
    const asid = (value >> 44n) & 0xffffn;
    const ppn = mode === VsatpMode.Bare ? 0n : value & VSATP_PPN_MASK;
    this.vsatpValue = (mode << 60n) | (asid << 44n) | ppn;
    this.vsatpWrites++;
    this.mmu.setGuestRoot(mode === VsatpMode.Sv39 ? 'sv39' : null, Number(ppn) * 4096, Number(asid));
  }
}
