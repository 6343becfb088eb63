/**
 * RISC-V's hypervisor virtual-machine loads and stores (HLV, HLVX, HSV): accesses an HS-mode
 * hypervisor (or M-mode, or U-mode with `hstatus.HU`) makes to a guest's memory as the guest
 * would, translated by both stages with the privilege `hstatus.SPVP` names.
 * @module
 */
import { Access } from './access.js';
import { InvalidArgumentError } from './errors.js';
import { FaultReason } from './fault-reason.js';
import { PAGE_MASK, PAGE_SIZE } from './control-registers.js';
import { RETRY } from './slow-path.js';
import { MmuWideAccess } from './wide-access.js';
import type { RiscvGuestWalker } from './walkers/riscv-guest-walker.js';
import type { Mmu } from './mmu.js';

/**
 * The hypervisor loads and stores of an {@link Mmu} (its base class; use {@link Mmu}).
 * @internal
 */
export abstract class MmuHypervisorAccess extends MmuWideAccess {
  /** This object as the {@link Mmu} it is, for the accessors defined above this layer. */
  private get mmu(): Mmu {
    return this as unknown as Mmu;
  }

  /**
   * HLV.B/H/W (RISC-V H extension): loads `size` bytes from guest-virtual address `va` as the
   * guest would, with V=1 for the access alone: both stages (`vsatp`, `hgatp`, the VMID's TLB
   * entries), at VS-mode's privilege when `hstatus.SPVP` is set ({@link Mmu.setSpvp}) and
   * VU-mode's otherwise, with `vsstatus.SUM` and `MXR` ({@link Mmu.setGuestControls}). The value
   * is unsigned (the CPU sign-extends for HLV.B/H/W, not for HLV.BU/HU/WU).
   *
   * A fault is the guest's: a load page fault (13) from the VS-stage or a load guest-page fault
   * (21) from the G-stage, with {@link TranslationFault.guest} set (`hstatus.GVA` = 1: `stval`
   * holds the guest-virtual address) and for the latter `htval`/`htinst`. A fault handler runs as
   * the trap would be taken, with V=0 at the caller's privilege (its own accesses are the
   * hypervisor's, hypervisor loads included); when it answers Retry the access runs again with
   * V=1, and returns to the privilege the handler left. Call it from HS-mode, M-mode or U-mode (the CPU decides whether the
   * instruction is legal: V=1 makes it a virtual-instruction exception, U-mode needs `hstatus.HU`).
   *
   * @param va - the guest-virtual address.
   * @param size - 1, 2 or 4 bytes (HLV.D is {@link Mmu.hlv64}).
   * @returns the value.
   * @throws {@link PageFaultError} when the access faults and no handler resolves it.
   * @throws {@link InvalidArgumentError} on x86, while virtualised, or for a bad size.
   *
   * @example
   * ```ts
   * // A hypervisor reads a word from its guest's virtual memory (vsatp Bare: GVA = GPA).
   * const memory = new PhysicalMemory({ size: 8 << 20, base: 0x8000_0000 });
   * const g = new SecondStageTableBuilder(memory, 'sv39x4', new FrameAllocator(memory));
   * g.map(0x2000, 0x8040_0000);                  // guest-physical 0x2000
   * memory.write32(0x8040_0004, 99);
   * const mmu = new Mmu({ memory, format: 'sv39' });
   * mmu.setHgatp(GStageMode.Sv39x4, g.root, 1);
   * mmu.setGuestRoot(null, 0, 0);
   * mmu.setSpvp(true);                           // as VS-mode
   * mmu.hlv(0x2004, 4);                          // 99
   * ```
   */
  hlv(va: number, size: 1 | 2 | 4): number {
    if (size !== 1 && size !== 2 && size !== 4) throw new InvalidArgumentError(`HLV size must be 1, 2 or 4 (HLV.D is hlv64), got ${String(size)}`);
    const enclosing = this.beginHypervisorAccess('hlv');
    try {
      return size === 4 ? this.mmu.read32(va) : size === 2 ? this.mmu.read16(va) : this.mmu.read8(va);
    } finally {
      this.endHypervisorAccess(enclosing);
    }
  }

  /**
   * HLV.D: {@link Mmu.hlv} of 8 bytes, as an unsigned bigint.
   * @throws as {@link Mmu.hlv}.
   */
  hlv64(va: number): bigint {
    const enclosing = this.beginHypervisorAccess('hlv64');
    try {
      return this.mmu.read64(va);
    } finally {
      this.endHypervisorAccess(enclosing);
    }
  }

  /**
   * HLVX.HU/WU: {@link Mmu.hlv} that needs execute permission instead of read permission at both
   * stages (a hypervisor reading the guest instruction that trapped); faults are still load
   * faults (13, 21). It walks every time: a TLB entry's permissions answer reads, not this, so
   * nothing is looked up or filled (the walk's references are counted and charged). PMP checks
   * the bytes as a load.
   *
   * @param va - the guest-virtual address (may cross a page: both pages are translated first).
   * @param size - 2 or 4 bytes.
   * @throws as {@link Mmu.hlv}; {@link InvalidArgumentError} for a size other than 2 or 4.
   */
  hlvx(va: number, size: 2 | 4): number {
    if (size !== 2 && size !== 4) throw new InvalidArgumentError(`HLVX size must be 2 or 4, got ${String(size)}`);
    const enclosing = this.beginHypervisorAccess('hlvx');
    const walker = this.currentWalker as unknown as RiscvGuestWalker;
    try {
      for (let attempt = 0; ; attempt++) {
        const value = this.tryExecutableRead(va, size, walker);
        if (value !== RETRY) return value;
        this.checkRetryBudget(attempt);
      }
    } finally {
      this.endHypervisorAccess(enclosing);
    }
  }

  /**
   * HSV.B/H/W: stores the low `size` bytes of `value` at guest-virtual address `va` as the guest
   * would; see {@link Mmu.hlv}. Faults are store faults (15, 23); nothing is written then.
   * @throws as {@link Mmu.hlv}.
   */
  hsv(va: number, size: 1 | 2 | 4, value: number): void {
    if (size !== 1 && size !== 2 && size !== 4) throw new InvalidArgumentError(`HSV size must be 1, 2 or 4 (HSV.D is hsv64), got ${String(size)}`);
    const enclosing = this.beginHypervisorAccess('hsv');
    try {
      if (size === 4) this.mmu.write32(va, value);
      else if (size === 2) this.mmu.write16(va, value);
      else this.mmu.write8(va, value);
    } finally {
      this.endHypervisorAccess(enclosing);
    }
  }

  /**
   * HSV.D: {@link Mmu.hsv} of 8 bytes.
   * @throws as {@link Mmu.hlv}.
   */
  hsv64(va: number, value: bigint): void {
    const enclosing = this.beginHypervisorAccess('hsv64');
    try {
      this.mmu.write64(va, value);
    } finally {
      this.endHypervisorAccess(enclosing);
    }
  }

  /**
   * One attempt at an HLVX read: translates every page it touches (walks only, with the walker's
   * HLVX rule), then reads. The walker's flag is set for the walks alone: a fault handler that runs
   * meanwhile (with V=0) may make accesses of its own, hypervisor loads included.
   */
  private tryExecutableRead(va: number, size: 2 | 4, walker: RiscvGuestWalker): number {
    const offset = va & PAGE_MASK;
    walker.hlvx = true;
    let pa: number;
    try {
      pa = this.walkWithoutFill(va, Access.Read);
    } finally {
      walker.hlvx = false;
    }
    if (pa === RETRY) return RETRY;
    if (offset + size <= PAGE_SIZE) {
      if (this.pmp !== null && this.pmpDeniesHlvx(pa, size, va)) return RETRY;
      return this.physicalRead(pa, size, va, Access.Read);
    }
    const first = PAGE_SIZE - offset;
    const va2 = this.nextPage(va + first, Access.Read);
    let pa2: number;
    walker.hlvx = true;
    try {
      pa2 = va2 < 0 ? this.raise(FaultReason.NonCanonical, va + first, Access.Read, -1, -1) : this.walkWithoutFill(va2, Access.Read);
    } finally {
      walker.hlvx = false;
    }
    if (pa2 === RETRY) return RETRY;
    if (this.pmp !== null && (this.pmpDeniesHlvx(pa, first, va) || this.pmpDeniesHlvx(pa2, size - first, va2))) return RETRY;
    let value = 0;
    for (let i = 0; i < size; i++) {
      const byte = i < first ? this.physicalRead(pa + i, 1, va + i, Access.Read) : this.physicalRead(pa2 + i - first, 1, va2 + i - first, Access.Read);
      if (byte === RETRY) return RETRY;
      value += byte * 2 ** (8 * i);
    }
    return value;
  }

  /**
   * PMP's check of HLVX's bytes: "the supervisor physical memory attributes must grant both execute
   * and read permissions" (H extension), and a denial is a load access fault (5). Raises it and
   * returns true when denied.
   */
  private pmpDeniesHlvx(pa: number, size: number, va: number): boolean {
    const pmp = this.pmp!;
    if (pmp.allowsUnchecked(pa, size, Access.Read, this.dataPmpPrivilege) && pmp.allowsUnchecked(pa, size, Access.Execute, this.dataPmpPrivilege)) return false;
    this.raise(FaultReason.PmpViolation, va, Access.Read, -1, pa);
    return true;
  }
}
