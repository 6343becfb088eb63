/**
 * The MMU's registers for running virtual machines: RISC-V's H extension (`hgatp`, `vsatp`,
 * `vsstatus`, the V bit, HFENCE.VVMA and HFENCE.GVMA) and x86 VMX with EPT (the EPTP, the VPID,
 * VM entry and exit, INVEPT and INVVPID). While a virtual machine runs, TLB misses take the
 * two-dimensional walk and TLB entries hold the combined guest-virtual → host-physical
 * translation, tagged with the VMID or VPID; the accessors and their hit path do not change.
 * @module
 */
import { Privilege } from './access.js';
import type { ControlState } from './controls.js';
import { InvalidArgumentError } from './errors.js';
import { formatByName, requireFormat, type FormatName, type PageTableFormat } from './formats/format.js';
import { MmuPmpRegisters } from './pmp-registers.js';
import { GUEST_TAGS_FIRST, PAGE_SIZE } from './control-registers.js';
import { MAX_ASID } from '../tlb/tlb.js';
import { requireInteger, requireKnownKeys } from './validate.js';
import type { PageWalker } from './walker.js';
import type { MmuOptions } from './mmu-options.js';
import { EptGuestWalker } from './walkers/ept-guest-walker.js';
import { EptWalker, type EptWalkerOptions } from './walkers/ept-walker.js';
import type { GStageMode } from './walkers/riscv-gstage-walker.js';
import { RiscvGuestWalker } from './walkers/riscv-guest-walker.js';

/** Guest controls {@link Mmu.setGuestControls} accepts, by architecture. */
const RISCV_GUEST_CONTROLS = ['sum', 'mxr', 'hardwareAD'];
const X86_GUEST_CONTROLS = ['wp', 'nxe', 'smep', 'smap', 'ac', 'pse', 'pge'];
/** RV64's VMIDLEN at most (RV32: 7 bits): `hgatp.VMID` is 14 bits wide. */
const MAX_VMID = 0x3fff;
const MAX_VPID = 0xffff;
/** The tags of one RISC-V VMID (one per 16-bit ASID) and of one x86 VPID (one per 12-bit PCID). */
const RISCV_TAGS_PER_GUEST = 0x1_0000;
const X86_TAGS_PER_GUEST = 0x1000;
/** x86 VPIDs start their tags here: past the host's ASIDs. */
const X86_FIRST_VPID_TAG = GUEST_TAGS_FIRST / X86_TAGS_PER_GUEST;

/** Checks an address argument: an integer in [0, `limit`) (`limit` a power of two above 2^53, which `limit - 1` cannot name). */
function requireAddressBelow(value: unknown, name: string, limit: number): void {
  requireInteger(value, name, 0, limit);
  if ((value as number) >= limit) throw new InvalidArgumentError(`${name} must be below 2^${Math.log2(limit)}, got ${String(value)}`);
}

/** The `hgatp` register as {@link Mmu.hgatp} reports it. */
export interface Hgatp {
  /** The G-stage mode ({@link GStageMode}). */
  readonly mode: GStageMode;
  /** The G-stage root's physical address (`hgatp.PPN × 4096`, 16 KiB aligned). */
  readonly root: number;
  /** The VMID the guest's TLB entries are tagged with. */
  readonly vmid: number;
}

/**
 * The x86 VMCS fields the MMU reads to run a guest: the EPT pointer and the VPID
 * ({@link Mmu.setEptp}).
 */
export interface EptState {
  /** The EPTP in force, or null before one is loaded. */
  readonly eptp: bigint | null;
  /** The VPID (0: VPIDs not enabled; every VM entry and exit then flushes the TLBs). */
  readonly vpid: number;
}

/**
 * The virtualisation registers of an {@link Mmu} (its base class; use {@link Mmu}).
 * @internal
 */
export abstract class MmuVirtualizationRegisters extends MmuPmpRegisters {
  /** The walker of virtualised accesses, made on first use. */
  private guestWalkerOrNull: RiscvGuestWalker | EptGuestWalker | null = null;
  /** The EPT walker options the MMU was built with (x86). */
  private readonly eptOptions: EptWalkerOptions;
  /** The host's translation registers, kept while a virtual machine runs. */
  private hostWalker: PageWalker | null = null;
  private hostFormat: PageTableFormat | null = null;
  private hostRoot = 0;
  private hostAsid = 0;
  /** The guest's own stage: its root (guest-physical), ASID or PCID, format (null: off). */
  private guestRootAddress = 0;
  private guestAsidValue = 0;
  private guestFormatValue: PageTableFormat | null = null;
  private vmidValue = 0;
  private vpidValue = 0;
  /** RISC-V `hstatus.SPVP`: the privilege HLV, HLVX and HSV translate with (true: VS-mode). @internal */
  protected spvp = false;

  constructor(options: MmuOptions) {
    super(options);
    const ept = options.ept;
    if (ept !== undefined) {
      if (this.currentFormat.architecture !== 'x86') throw new InvalidArgumentError('ept is an x86 option (RISC-V has hgatp: setHgatp)');
      if (ept === null || typeof ept !== 'object') throw new InvalidArgumentError('ept must be EPT walker options');
    }
    this.eptOptions = Object.freeze({ ...(ept ?? {}) });
    // Checked now, as every other option is: the walker is built with them on first use.
    if (ept !== undefined) this.guestWalker();
    this.tagSpan = this.currentFormat.architecture === 'x86' ? X86_TAGS_PER_GUEST : RISCV_TAGS_PER_GUEST;
  }

  // ---------------------------------------------------------------- V

  /** Whether a virtual machine's accesses are being translated: RISC-V V=1, x86 VMX non-root operation. */
  get virtualized(): boolean {
    return this.guestMode;
  }

  /**
   * Enters or leaves the virtual machine: RISC-V's V bit (an `sret`/`mret` into VS- or VU-mode
   * sets it, a trap into HS- or M-mode clears it), x86 VM entry and VM exit. While it is set,
   * translated accesses go through both stages (`vsatp` and `hgatp`; guest paging and EPT) with
   * the privilege of {@link Mmu.setPrivilege} as VS/VU (guest CPL 0/3), TLB entries are the
   * guest's (tagged with its VMID or VPID, never matching the host's, global ones included), and
   * the invalidations ({@link Mmu.sfenceVma}, {@link Mmu.invalidatePage},
   * {@link Mmu.invalidateAsid}) act on the guest's entries alone, as a guest's SFENCE.VMA
   * (HFENCE.VVMA of its VMID), INVLPG or INVPCID does. The host's registers are kept and come back
   * on leaving: {@link Mmu.setRoot}, {@link Mmu.setFormat}, {@link Mmu.setPaging} and
   * {@link Mmu.setControls} throw while it is set ({@link Mmu.setGuestRoot} and
   * {@link Mmu.setGuestControls} write the guest's), as do the hypervisor's own calls (a
   * virtual-instruction exception or a VM exit on hardware).
   *
   * Nothing is flushed (the tags keep guests and host apart), but the translation caches' slots:
   * at most a few hundred, so a guest's trap into its hypervisor costs microseconds at worst.
   * x86 with VPID 0 (VPIDs not enabled) is the exception: every VM entry and VM exit then
   * invalidates every mapping, paging-structure caches included, as the SDM gives (Vol. 3C §28.3.3.3).
   *
   * @param on - true to enter the virtual machine.
   * @throws {@link InvalidArgumentError} when `on` is not a boolean, in RISC-V M-mode
   *   (M-mode has V=0: {@link Mmu.setPrivilege} first), or on x86 before an EPTP is loaded
   *   ({@link Mmu.setEptp}). Nothing changes then.
   *
   * @example
   * ```ts
   * // A RISC-V hypervisor maps a guest's RAM at guest-physical 0 and enters it.
   * const memory = new PhysicalMemory({ size: 8 << 20, base: 0x8000_0000 });
   * const g = new SecondStageTableBuilder(memory, 'sv39x4', new FrameAllocator(memory)); // G-stage tables
   * g.map(0x0, 0x8040_0000);                      // guest-physical page 0: read, write, execute
   * memory.write32(0x8040_0010, 0x1234);
   * const mmu = new Mmu({ memory, format: 'sv39' });
   * mmu.setHgatp(GStageMode.Sv39x4, g.root, 5);   // VMID 5
   * mmu.setGuestRoot(null, 0, 0);                 // vsatp: Bare
   * mmu.setVirtualized(true);                     // sret into VS-mode
   * mmu.read32(0x10);                             // 0x1234, through the G-stage
   * mmu.stats().pteReads;                         // 3: the G-stage walk
   * mmu.setVirtualized(false);                    // the guest traps to HS-mode
   * ```
   */
  setVirtualized(on: boolean): void {
    if (typeof on !== 'boolean') throw new InvalidArgumentError(`on must be a boolean, got ${String(on)}`);
    if (on === this.guestMode) return;
    const x86 = this.currentFormat.architecture === 'x86';
    if (on && !x86 && this.currentPrivilege === Privilege.Machine) throw new InvalidArgumentError('setVirtualized(true) in M-mode: V=1 is VS- or VU-mode, set the privilege first');
    const walker = this.guestWalker();
    if (on && walker instanceof EptGuestWalker && walker.ept.walkLength === 0) throw new InvalidArgumentError('VM entry without an EPTP: call setEptp first');
    if (on) {
      this.hostWalker = this.currentWalker;
      this.hostFormat = this.currentFormat;
      this.hostRoot = this.rootAddress;
      this.hostAsid = this.currentAsid;
      this.currentWalker = walker;
      this.currentFormat = walker.format;
      this.rootAddress = this.guestRootAddress;
      this.currentAsid = this.guestAsidValue;
      this.tagBase = this.guestTagBase();
      this.tlbTag = this.tagBase + this.currentAsid;
    } else {
      this.currentWalker = this.hostWalker!;
      this.currentFormat = this.hostFormat!;
      this.rootAddress = this.hostRoot;
      this.currentAsid = this.hostAsid;
      this.hostWalker = null;
      this.hostFormat = null;
      this.tagBase = 0;
      this.tlbTag = this.currentAsid;
    }
    this.guestMode = on;
    this.tlb.hideGlobals(on);
    if (x86 && this.vpidValue === 0) {
      // VPID 0 is the host's too: VM entries and exits invalidate every mapping of it, the paging-structure
      // caches included (SDM Vol. 3C §28.3.3.3 with §28.3.1), the host's and the guest's.
      this.tlb.invalidateAll();
      (on ? this.hostWalker! : this.currentWalker).invalidateWalkCache(null, null);
      walker.invalidateGuestStage(X86_FIRST_VPID_TAG * X86_TAGS_PER_GUEST, (X86_FIRST_VPID_TAG + 1) * X86_TAGS_PER_GUEST - 1, null);
    }
    this.caches.clearTranslated();
    this.rebuildPermissionTables();
    this.applyPrivilege();
  }

  // ---------------------------------------------------------------- the guest's own stage

  /** The guest stage's format: `vsatp.MODE` (RISC-V) or the guest's paging mode (x86), or null while it is off. */
  get guestFormat(): PageTableFormat | null {
    return this.guestFormatValue;
  }

  /** The guest stage's root: `vsatp.PPN × 4096` or the guest's CR3, a guest-physical address. */
  get guestRoot(): number {
    return this.guestRootAddress;
  }

  /** The guest's ASID (`vsatp.ASID`) or PCID. */
  get guestAsid(): number {
    return this.guestAsidValue;
  }

  /**
   * Writes the guest's own translation registers: RISC-V `vsatp` (MODE, PPN, ASID; what a
   * VS-mode `csrw satp` writes too), x86 the guest's paging mode and CR3 (CR0.PG, CR4.PAE,
   * EFER.LME, CR4.LA57 and CR3 of the VMCS guest-state area, or a guest's MOV to CR3). May be
   * called with or without a virtual machine running. Nothing is flushed, as for a host's
   * {@link Mmu.setRoot} with ASIDs (a change of format drops the guest's entries, as
   * {@link Mmu.setFormat} does the host's).
   *
   * @param format - the guest's format (a RISC-V format for `vsatp`, an x86 format for x86), or
   *   null for none (`vsatp` Bare, guest CR0.PG = 0: the guest-virtual address is the guest-physical one).
   * @param root - the root's guest-physical address: 4 KiB aligned (32 bytes for PAE), below 2^52; 0 with `format` null.
   * @param asid - the guest's ASID, in [0, 65535] (RISC-V), or PCID, in [0, 4095] (x86).
   * @throws {@link InvalidArgumentError} for a format of another architecture or an argument out of range (nothing changes).
   */
  setGuestRoot(format: FormatName | PageTableFormat | null, root: number, asid: number): void {
    const next = format === null ? null : typeof format === 'string' ? formatByName(format) : requireFormat(format);
    const arch = this.currentFormat.architecture;
    if (next !== null && next.architecture !== arch) throw new InvalidArgumentError(`setGuestRoot: ${next.name} is not a ${arch} format`);
    requireInteger(root, 'root', 0, 2 ** 52 - 1);
    const alignment = next !== null && next.name === 'x86-pae' ? 32 : PAGE_SIZE;
    if (root % alignment !== 0) throw new InvalidArgumentError(`root must be ${alignment}-byte aligned, got 0x${root.toString(16)}`);
    // 32-bit and PAE paging outside IA-32e mode: CR3 holds a 32-bit address.
    if (next !== null && (next.name === 'x86-32' || next.name === 'x86-pae') && root >= 2 ** 32) throw new InvalidArgumentError(`a ${next.name} guest's CR3 is a 32-bit address, got 0x${root.toString(16)}`);
    if (next === null && root !== 0) throw new InvalidArgumentError('with no guest paging (format null) the root must be 0');
    requireInteger(asid, 'asid', 0, this.tagSpan - 1);
    const walker = this.guestWalker();
    if (walker instanceof RiscvGuestWalker) walker.setVsatp(next, root);
    else walker.setGuestFormat(next);
    const formatChanged = next !== this.guestFormatValue;
    this.guestFormatValue = next;
    this.guestPagingEnabled = next !== null;
    this.guestRootAddress = root;
    const asidChanged = asid !== this.guestAsidValue;
    this.guestAsidValue = asid;
    if (formatChanged) this.fenceVirtualMachine(this.guestTagBase(), null, null);
    if (!this.guestMode) return;
    this.currentFormat = walker.format;
    this.rootAddress = root;
    this.currentAsid = asid;
    this.tlbTag = this.tagBase + asid;
    if (asidChanged || formatChanged) this.caches.clearTranslated();
    if (formatChanged) this.rebuildPermissionTables();
    if (!this.asidsEnabled) this.fenceVirtualMachine(this.tagBase, null, null);
  }

  /** A copy of the guest's control bits ({@link Mmu.setGuestControls}). */
  get guestControls(): Readonly<ControlState> {
    return { ...this.guestControlState };
  }

  /**
   * Changes the guest's control bits, read by its own stage's walks and permission checks:
   * - RISC-V: `sum` and `mxr` are `vsstatus.SUM` and `vsstatus.MXR` (what the HS-level
   *   `sstatus` bits are to the host: {@link Mmu.setControls} keeps those, and `sstatus.MXR`
   *   applies to both stages), `hardwareAD` is `henvcfg.ADUE` (hardware A/D updates in VS-stage
   *   PTEs, with `menvcfg.ADUE`, the host's `hardwareAD`). Default: all false but `hardwareAD`.
   * - x86: the guest's CR0.WP, EFER.NXE, CR4.SMEP, SMAP, PSE, PGE and EFLAGS.AC. A change of NXE,
   *   PSE or PGE drops the guest's TLB entries, as on the host.
   *
   * @param changes - the bits to change.
   * @throws {@link InvalidArgumentError} on a bit the architecture's guest does not have, or a non-boolean (nothing changes).
   */
  setGuestControls(changes: Partial<ControlState>): void {
    if (changes === null || typeof changes !== 'object') throw new InvalidArgumentError('changes must be an object');
    const x86 = this.currentFormat.architecture === 'x86';
    requireKnownKeys(changes, x86 ? X86_GUEST_CONTROLS : RISCV_GUEST_CONTROLS, x86 ? 'x86 guest controls' : 'RISC-V guest controls (vsstatus, henvcfg)');
    const bits = changes as Record<string, unknown>;
    for (const key of Object.keys(bits)) if (typeof bits[key] !== 'boolean') throw new InvalidArgumentError(`guest control bit '${key}' must be a boolean`);
    const state = this.guestControlState as unknown as Record<string, boolean>;
    let changed = false;
    let walkChanged = false;
    for (const key of Object.keys(bits)) {
      if (state[key] === bits[key]) continue;
      state[key] = bits[key] as boolean;
      changed = true;
      // Bits that change what a walk produces (RISC-V: MXR is folded into a guest entry's read permission).
      if (key === (x86 ? 'nxe' : 'mxr') || key === 'pse' || key === 'pge') walkChanged = true;
    }
    if (!changed) return;
    if (walkChanged) this.fenceVirtualMachine(GUEST_TAGS_FIRST, null, null, MAX_ASID);
    if (this.guestMode) {
      this.rebuildPermissionTables();
      this.caches.clearTranslated();
    }
  }

  // ---------------------------------------------------------------- RISC-V: hgatp, HFENCE

  /** `hgatp` (RISC-V): the G-stage mode, root and VMID. */
  get hgatp(): Hgatp {
    const walker = this.riscvWalker('hgatp');
    return { mode: walker.twoStage.gStage.mode, root: walker.twoStage.gStage.root, vmid: this.vmidValue };
  }

  /**
   * Writes `hgatp` (RISC-V H extension): the G-stage that translates every guest-physical address
   * of a V=1 access (each VS-stage PTE's and the final one), and the VMID its TLB entries are
   * tagged with. Nothing is flushed (a write of `hgatp` invalidates nothing: reusing a VMID for
   * other tables needs HFENCE.GVMA, {@link Mmu.hfenceGvma}).
   *
   * @param mode - {@link GStageMode}: Bare, Sv39x4, Sv48x4 or Sv57x4.
   * @param root - the G-stage root's physical address (`hgatp.PPN × 4096`), 16 KiB aligned (0 for Bare).
   * @param vmid - the VMID, in [0, 16383].
   * @throws {@link InvalidArgumentError} on x86, for an unknown mode or a bad root or VMID (nothing changes).
   */
  setHgatp(mode: GStageMode, root: number, vmid: number): void {
    const walker = this.riscvWalker('setHgatp');
    this.requireHypervisor('setHgatp');
    requireInteger(vmid, 'vmid', 0, MAX_VMID);
    walker.setHgatp(mode, root);
    walker.setSecondStageTag(vmid);
    if (vmid === this.vmidValue) return;
    this.vmidValue = vmid;
    if (!this.guestMode) return;
    this.tagBase = this.guestTagBase();
    this.tlbTag = this.tagBase + this.currentAsid;
    this.caches.clearTranslated();
  }

  /**
   * HFENCE.VVMA (RISC-V): drops the TLB entries of the guest running under the VMID in `hgatp`
   * (V=1 or not), as SFENCE.VMA does the host's: `va` and `asid` as {@link Mmu.sfenceVma} takes
   * them. A guest's global pages are kept under each of its ASIDs, so a fence of one ASID drops
   * its global pages too (more than the instruction needs, never less).
   *
   * @param va - a guest-virtual address inside the page, or null for all.
   * @param asid - a guest ASID in [0, 65535], or null for all.
   * @throws {@link InvalidArgumentError} on x86 or for a bad argument.
   */
  hfenceVvma(va: number | null, asid: number | null): void {
    this.riscvWalker('hfenceVvma');
    this.requireHypervisor('hfenceVvma');
    this.fenceVirtualMachine(this.guestTagBase(), va, asid);
  }

  /**
   * HFENCE.GVMA (RISC-V): drops what the G-stage tables of `vmid` (null: every VMID) gave the
   * TLBs: the G-stage TLB's entries for the page of `gpa` (or all of them), and every combined
   * entry of the VMID, as those do not keep the guest-physical address they went through (a fence
   * may invalidate more than it names). The VS-stage walk caches stay: they hold guest-physical
   * addresses, which the G-stage translates again.
   *
   * @param gpa - a guest-physical address inside the page (an integer below 2^59), or null.
   * @param vmid - a VMID in [0, 16383], or null for all.
   * @throws {@link InvalidArgumentError} on x86 or for a bad argument.
   */
  hfenceGvma(gpa: number | null, vmid: number | null): void {
    const walker = this.riscvWalker('hfenceGvma');
    this.requireHypervisor('hfenceGvma');
    if (gpa !== null) requireAddressBelow(gpa, 'gpa', 2 ** 59);
    if (vmid !== null) requireInteger(vmid, 'vmid', 0, MAX_VMID);
    // The G-stage TLB's entries of the page (or all), and every combined entry of the VMID: they do not
    // keep the guest-physical address they went through. The VS-stage walk caches hold guest-physical
    // addresses, which the G-stage translates afresh: they stay.
    walker.invalidateSecondStage(gpa, vmid);
    if (vmid === null) this.tlb.invalidateAsidRange(GUEST_TAGS_FIRST, MAX_ASID);
    else this.tlb.invalidateAsidRange(GUEST_TAGS_FIRST + vmid * RISCV_TAGS_PER_GUEST, GUEST_TAGS_FIRST + (vmid + 1) * RISCV_TAGS_PER_GUEST - 1);
  }

  /**
   * RISC-V `hstatus.SPVP`: the privilege of the hypervisor loads and stores (HLV, HLVX, HSV):
   * true for VS-mode, false for VU-mode (see {@link Mmu.hlv}).
   * @throws {@link InvalidArgumentError} on x86 or when `spvp` is not a boolean.
   */
  setSpvp(spvp: boolean): void {
    this.riscvWalker('setSpvp');
    this.requireHypervisor('setSpvp');
    if (typeof spvp !== 'boolean') throw new InvalidArgumentError('spvp must be a boolean');
    this.spvp = spvp;
  }

  // ---------------------------------------------------------------- x86: EPTP, VPID, INVEPT, INVVPID

  /** The x86 VMCS fields in force: the EPTP and the VPID. */
  get eptState(): EptState {
    const walker = this.eptWalker('eptState');
    return { eptp: walker.ept.eptp, vpid: this.vpidValue };
  }

  /**
   * Loads the VMCS's EPT pointer and VPID (x86), as a VM entry does: the EPTP is checked as VM
   * entry checks it ({@link EptWalker.setEptp}), and the capabilities are the MMU's
   * ({@link MmuOptions.ept}). TLB entries of a guest are tagged with its VPID and PCID; they are
   * not tagged with the EPTP, so loading an EPTP whose EPT tables (EP4TA) differ drops every
   * guest's entries (the SDM keeps them, tagged, for when that EPTP comes back: the same
   * translations, at the cost of misses).
   *
   * @param eptp - the 64-bit EPTP, a bigint or a number below 2^53.
   * @param vpid - the VPID, in [0, 65535]; 0 when VPIDs are not enabled (every VM entry and exit then flushes).
   * @throws {@link InvalidArgumentError} on RISC-V, for an EPTP VM entry would refuse, or a bad VPID (nothing changes).
   */
  setEptp(eptp: bigint | number, vpid: number): void {
    const walker = this.eptWalker('setEptp');
    this.requireHypervisor('setEptp');
    requireInteger(vpid, 'vpid', 0, MAX_VPID);
    const before = walker.ept.eptp === null ? -1 : walker.ept.rootAddress;
    walker.setEptp(eptp);
    if (before >= 0 && walker.ept.rootAddress !== before) this.dropEptMappings(walker);
    if (vpid === this.vpidValue) return;
    this.vpidValue = vpid;
    if (!this.guestMode) return;
    this.tagBase = this.guestTagBase();
    this.tlbTag = this.tagBase + this.currentAsid;
    this.caches.clearTranslated();
  }

  /**
   * INVEPT (x86): type 1, single-context, drops the mappings derived from the EPT tables of
   * `eptp` (every guest's, as the MMU holds only the loaded EPTP's); type 2, all-context, drops
   * every guest's mappings.
   *
   * @param type - 1 or 2.
   * @param eptp - for type 1, the EPTP (checked as the instruction checks it); ignored for type 2.
   * @throws {@link InvalidArgumentError} on RISC-V, for another type or a bad EPTP (the instruction's VMfailValid).
   */
  invept(type: 1 | 2, eptp?: bigint | number): void {
    const walker = this.eptWalker('invept');
    this.requireHypervisor('invept');
    if (type === 2) {
      this.dropEptMappings(walker);
      return;
    }
    if (type !== 1) throw new InvalidArgumentError(`INVEPT type must be 1 (single-context) or 2 (all-context), got ${String(type)}`);
    if (eptp === undefined) throw new InvalidArgumentError('INVEPT type 1 needs the EPTP');
    // The same checks as VM entry's, on a scratch walker: the loaded EPTP stays.
    const scratch = new EptWalker(this.memory, { ...this.eptOptions, eptp });
    if (walker.ept.eptp !== null && scratch.rootAddress === walker.ept.rootAddress) this.dropEptMappings(walker);
  }

  /**
   * What INVEPT drops: the guest-physical mappings and every combined mapping (they are all of the
   * loaded EPTP). The guests' paging-structure caches hold guest-physical addresses, which EPT
   * translates again: they stay.
   */
  private dropEptMappings(walker: EptGuestWalker): void {
    walker.invalidateSecondStage(null);
    this.tlb.invalidateAsidRange(GUEST_TAGS_FIRST, MAX_ASID);
  }

  /**
   * INVVPID (x86): type 0, individual-address, drops `va`'s mappings of `vpid` (all its PCIDs,
   * global ones included); type 1, single-context, and type 3, single-context retaining globals,
   * drop every mapping of `vpid` (type 3 drops the global ones too: they are kept under each
   * PCID here, and dropping more is allowed); type 2, all-context, drops every VPID's but 0's.
   *
   * @param type - 0, 1, 2 or 3.
   * @param vpid - the VPID, in [1, 65535] (ignored for type 2).
   * @param va - for type 0, the linear address (an integer below 2^57).
   * @throws {@link InvalidArgumentError} on RISC-V, for another type, VPID 0 (VMfailValid), or a missing or bad address.
   */
  invvpid(type: 0 | 1 | 2 | 3, vpid: number, va?: number): void {
    this.eptWalker('invvpid');
    this.requireHypervisor('invvpid');
    if (type !== 0 && type !== 1 && type !== 2 && type !== 3) throw new InvalidArgumentError(`INVVPID type must be 0, 1, 2 or 3, got ${String(type)}`);
    if (type === 2) {
      this.fenceVirtualMachine(GUEST_TAGS_FIRST + X86_TAGS_PER_GUEST, null, null, MAX_ASID);
      return;
    }
    requireInteger(vpid, 'vpid', 1, MAX_VPID);
    const base = (X86_FIRST_VPID_TAG + vpid) * X86_TAGS_PER_GUEST;
    if (type === 0) {
      if (va === undefined) throw new InvalidArgumentError('INVVPID type 0 needs the linear address');
      requireAddressBelow(va, 'va', 2 ** 57);
      this.fenceVirtualMachine(base, va, null);
      return;
    }
    this.fenceVirtualMachine(base, null, null);
  }

  // ---------------------------------------------------------------- internals

  /**
   * Enters V=1 for a hypervisor load or store (HLV, HLVX, HSV) at `hstatus.SPVP`'s privilege. Returns
   * what to give {@link MmuVirtualizationRegisters.endHypervisorAccess} (the state of an enclosing one:
   * a fault handler may run hypervisor accesses of its own).
   * @internal
   */
  protected beginHypervisorAccess(method: string): number {
    if (this.currentFormat.architecture !== 'riscv') throw new InvalidArgumentError(`${method} is a RISC-V H-extension instruction`);
    if (this.guestMode) throw new InvalidArgumentError(`${method} while V=1 is a virtual-instruction exception: the hypervisor runs with V=0`);
    const enclosing = this.hypervisorAccessPrivilege;
    this.hypervisorAccessPrivilege = this.currentPrivilege;
    this.enterForHypervisorAccess();
    return enclosing;
  }

  /** Back to V=0 and the caller's privilege after a hypervisor access. @internal */
  protected endHypervisorAccess(enclosing: number): void {
    if (this.guestMode) this.setVirtualized(false);
    this.currentPrivilege = this.hypervisorAccessPrivilege as Privilege;
    this.hypervisorAccessPrivilege = enclosing;
    this.applyPrivilege();
  }

  /**
   * Before a fault handler runs during a hypervisor access: V=0 at the caller's privilege, as the
   * trap it stands for would be taken (HLV and HSV are HS-mode instructions). @internal
   */
  protected suspendHypervisorAccess(): void {
    this.setVirtualized(false);
    this.currentPrivilege = this.hypervisorAccessPrivilege as Privilege;
    this.applyPrivilege();
  }

  /** After the handler: V=1 again for the retry; the privilege the handler left is the one to return to. @internal */
  protected resumeHypervisorAccess(): void {
    if (this.guestMode) this.setVirtualized(false);
    this.hypervisorAccessPrivilege = this.currentPrivilege;
    this.enterForHypervisorAccess();
  }

  private enterForHypervisorAccess(): void {
    this.currentPrivilege = this.spvp ? Privilege.Supervisor : Privilege.User;
    this.setVirtualized(true);
  }

  protected override keptWalker(): PageWalker | null {
    return this.hostWalker;
  }

  /**
   * Throws while a guest runs: `method` is the hypervisor's (a RISC-V H-extension instruction or CSR
   * at V=1 is a virtual-instruction exception; an x86 VMX instruction or VMCS write in VMX non-root
   * operation is a VM exit), which the emulator handles with the guest stopped.
   */
  private requireHypervisor(method: string): void {
    if (this.guestMode) throw new InvalidArgumentError(`${method} while a guest runs (V=1, VMX non-root operation): the hypervisor's, after setVirtualized(false)`);
  }

  /** The first TLB tag of the guest named by the current VMID or VPID. */
  private guestTagBase(): number {
    return this.currentFormat.architecture === 'x86'
      ? (X86_FIRST_VPID_TAG + this.vpidValue) * X86_TAGS_PER_GUEST
      : GUEST_TAGS_FIRST + this.vmidValue * RISCV_TAGS_PER_GUEST;
  }

  /**
   * Drops guest TLB entries: of the guest whose tags start at `base` (or of every tag in
   * `[base, last]` when `last` is given), for page `va` or all, of ASID `asid` or all.
   */
  private fenceVirtualMachine(base: number, va: number | null, asid: number | null, last?: number): void {
    if (va !== null) requireAddressBelow(va, 'va', 2 ** 57);
    if (asid !== null) requireInteger(asid, 'asid', 0, this.tagSpan - 1);
    const first = asid === null ? base : base + asid;
    const end = last ?? (asid === null ? base + this.tagSpan - 1 : first);
    this.tlb.invalidateAsidRange(first, end, va);
    this.guestWalker().invalidateGuestStage(first, end, va);
  }

  /** The guest walker, made on first use for the MMU's architecture. @internal */
  protected guestWalker(): RiscvGuestWalker | EptGuestWalker {
    if (this.guestWalkerOrNull !== null) return this.guestWalkerOrNull;
    const host = this.guestMode ? this.hostFormat! : this.currentFormat;
    this.guestWalkerOrNull =
      host.architecture === 'x86'
        ? new EptGuestWalker(this.memory, this.guestControlState, host, this.eptOptions)
        : new RiscvGuestWalker(this.memory, this.controlState, this.guestControlState, host);
    return this.guestWalkerOrNull;
  }

  private riscvWalker(method: string): RiscvGuestWalker {
    if (this.currentFormat.architecture !== 'riscv') throw new InvalidArgumentError(`${method} is RISC-V's (H extension); x86 has EPT: setEptp`);
    return this.guestWalker() as RiscvGuestWalker;
  }

  private eptWalker(method: string): EptGuestWalker {
    if (this.currentFormat.architecture !== 'x86') throw new InvalidArgumentError(`${method} is x86's (VMX); RISC-V has the H extension: setHgatp`);
    return this.guestWalker() as EptGuestWalker;
  }
}

