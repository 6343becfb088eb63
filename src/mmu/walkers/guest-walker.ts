/**
 * What an {@link Mmu} running a virtual machine (RISC-V V=1, x86 VMX non-root operation) asks of
 * the walker behind its TLB misses: a {@link PageWalker} over guest-virtual addresses whose result
 * is the combined translation, plus what the last walk found out about the second stage, for the
 * fault the MMU then reports.
 * @module
 */
import type { PageTableFormat } from '../formats/format.js';
import type { PageWalker } from '../walker.js';

/**
 * The stage a fault of a virtualised access belongs to ({@link GuestFault.stage}, in {@link TranslationFault.guest}): the
 * guest's own translation (RISC-V VS-stage, x86 guest paging) or the second stage (RISC-V G-stage,
 * x86 EPT). Host accesses report {@link GuestFaultStage.Host}.
 */
export const GuestFaultStage = {
  /**
   * Not a virtualised access (V=0, VMX root operation), or no fault; for a virtualised access, a
   * fault neither stage's walk raised (PMP, a bus error of the access itself, a page crossing into
   * the non-canonical hole).
   */
  Host: 0,
  /** The guest's own stage: RISC-V VS-stage page faults (12, 13, 15), x86 guest `#PF`, `#GP`. Delivered to the guest. */
  Guest: 1,
  /** The second stage: RISC-V guest-page faults (20, 21, 23), x86 EPT violations (exit reason 48) and misconfigurations (49). Delivered to the hypervisor. */
  Second: 2,
} as const;

/** One of the {@link GuestFaultStage} values. */
export type GuestFaultStage = (typeof GuestFaultStage)[keyof typeof GuestFaultStage];

/**
 * The walker of a virtualised MMU. `walk` reports the combined translation in its
 * {@link WalkResult}; the fields below describe the last walk's fault.
 * @internal
 */
export interface GuestWalker extends PageWalker {
  /** The guest stage's format, or null while it is off (RISC-V `vsatp` Bare, x86 guest CR0.PG = 0). */
  readonly guestFormat: PageTableFormat | null;
  /** The last walk's failing stage. */
  readonly faultStage: GuestFaultStage;
  /** The exception code (RISC-V) or vector (x86 guest stage) of the last fault, or -1 for an x86 VM exit. */
  readonly faultCode: number;
  /** The guest-physical address of a second-stage fault (`htval << 2`, the VMCS guest-physical address), or -1. */
  readonly faultGuestPhysical: number;
  /** RISC-V `htinst` of a G-stage fault (a pseudoinstruction for an implicit access), else 0. */
  readonly htinst: number;
  /** x86: the VM-exit reason of an EPT fault (48 violation, 49 misconfiguration), else 0. */
  readonly exitReason: number;
  /** x86: the exit qualification of an EPT violation, else 0. */
  readonly exitQualification: number;
  /** x86: the guest #PF error code of a guest-stage fault, else 0. */
  readonly guestErrorCode: number;

  /**
   * Drops the guest stage's walk-cache entries tagged `first` to `last` (a guest's VMID or VPID
   * and its ASIDs or PCIDs), for the page of `va` or all: a guest's SFENCE.VMA, HFENCE.VVMA, INVLPG, INVVPID.
   */
  invalidateGuestStage(first: number, last: number, va: number | null): void;

  /**
   * Drops cached second-stage translations (guest-physical → host-physical): of the page of `gpa`
   * or all, of one guest (`vmid`, a RISC-V VMID; ignored on x86, whose cache holds the loaded
   * EPTP's alone) or every guest (null): HFENCE.GVMA, INVEPT, a new EPTP.
   */
  invalidateSecondStage(gpa: number | null, vmid: number | null): void;

  /** Sets the tag second-stage cache entries are filled and looked up with (RISC-V: the VMID). */
  setSecondStageTag(tag: number): void;
}
