/**
 * Outcomes of x86 EPT translation (Intel SDM Vol. 3C, "VMX Support for Address
 * Translation"): the result of one guest-physical walk ({@link EptWalkResult})
 * and of one two-dimensional walk, guest paging over EPT ({@link EptNestedWalkResult}).
 * Both are caller-owned and reused, so a walk allocates nothing.
 *
 * Section numbers: 2016 editions of the SDM number the chapter 28 (§28.2.2
 * translation, §28.2.3.1 misconfigurations, §28.2.3.2 violations, §28.2.4 A/D,
 * Table 27-7 exit qualification); editions from 2023 number it 29 (§29.3.2,
 * §29.3.3.1, §29.3.3.2, §29.3.5, Table 28-7). Both are given where they differ.
 */

import { WalkResult, type PageTableAccess } from '../walk-result.js';

/** How a guest-physical translation ended ({@link EptWalkResult.outcome}). */
export const EptOutcome = {
  /** The access is allowed: `hostAddress` is the host-physical address. */
  Translated: 0,
  /** EPT violation (§28.2.3.2 / §29.3.3.2): a not-present entry, or the entries do not allow the access. VM exit reason 48. */
  Violation: 1,
  /** EPT misconfiguration (§28.2.3.1 / §29.3.3.1): a present entry holds a reserved setting. VM exit reason 49. */
  Misconfiguration: 2,
  /** An EPT paging-structure entry (or an A/D write-back) reached no memory. Not an EPT event: the emulator decides (a machine check). */
  BusError: 3,
} as const;

/** One of the {@link EptOutcome} values. */
export type EptOutcome = (typeof EptOutcome)[keyof typeof EptOutcome];

/**
 * The access rights a translation grants ({@link EptWalkResult.permissions}):
 * the logical AND of the entries used, in the order the exit qualification
 * reports them (bits 3–6 of the qualification, shifted down by 3).
 */
export const EptPermission = {
  /** Bit 0 of every entry used: data reads allowed. */
  Read: 1,
  /** Bit 1 of every entry used: data writes allowed. */
  Write: 2,
  /** Bit 2 of every entry used: instruction fetches allowed (for supervisor-mode linear addresses when mode-based execute control is on). */
  Execute: 4,
  /** Bit 10 of every entry used, with mode-based execute control only: fetches from user-mode linear addresses allowed. */
  UserExecute: 8,
} as const;

/**
 * Bits of the exit qualification for EPT violations (SDM Vol. 3C Table 27-7,
 * Table 28-7 in 2023+ editions). Bits 12 and up (NMI unblocking, shadow
 * stacks, guest-paging verification, asynchronous accesses) are not modelled.
 */
export const EptQualification = {
  /** Bit 0: the access was a data read (also set, with bit 1, for a guest paging-structure access when EPT A/D flags are enabled). */
  DataRead: 1 << 0,
  /** Bit 1: the access was a data write (guest A/D updates count as writes). */
  DataWrite: 1 << 1,
  /** Bit 2: the access was an instruction fetch. */
  InstructionFetch: 1 << 2,
  /** Bit 3: the AND of bit 0 over the EPT entries used (the GPA was readable). */
  Readable: 1 << 3,
  /** Bit 4: the AND of bit 1 (writable). */
  Writable: 1 << 4,
  /** Bit 5: the AND of bit 2 (executable; for supervisor-mode linear addresses with mode-based execute control). */
  Executable: 1 << 5,
  /** Bit 6: with mode-based execute control, the AND of bit 10 (executable for user-mode linear addresses); else 0 here (undefined in the SDM). */
  UserExecutable: 1 << 6,
  /** Bit 7: the guest linear-address field is valid (every violation except a PAE PDPTE load by MOV to CR). */
  LinearAddressValid: 1 << 7,
  /** Bit 8 (with bit 7): 1 when the access was to the translation of the linear address, 0 when to a guest paging-structure entry. */
  FinalTranslation: 1 << 8,
  /** Bit 9 (advanced information, final translation only): the linear address is a user-mode address. */
  UserModeLinearAddress: 1 << 9,
  /** Bit 10 (advanced information): the linear address is writable by guest paging. */
  WritableLinearAddress: 1 << 10,
  /** Bit 11 (advanced information): the linear address is execute-disabled by guest paging. */
  ExecuteDisabledLinearAddress: 1 << 11,
} as const;

/**
 * The outcome of one EPT walk of a guest-physical address, written by
 * {@link EptWalker.walk} into a caller-owned object. Fields not relevant to
 * the outcome keep stale values: read `ok` (or `outcome`) first.
 */
export class EptWalkResult {
  /** True when the access is allowed (`outcome` is {@link EptOutcome.Translated}). */
  ok = false;
  /** How the walk ended. */
  outcome: EptOutcome = EptOutcome.Translated;
  /** On success: the host-physical address of the byte at the guest-physical address. */
  hostAddress = 0;
  /** On success: the host-physical address of the page's first byte (aligned to its size). */
  pageBase = 0;
  /** On success: log2 of the EPT page size: 12, 21 (bit 7 in an EPT PDE) or 30 (bit 7 in an EPT PDPTE). */
  pageShift = 12;
  /**
   * {@link EptPermission} bits: the AND over every entry read, including a
   * not-present last one (so 0 after a not-present violation). Set on success
   * and on a violation; on a misconfiguration it covers the entries up to the bad one.
   */
  permissions = 0;
  /** On success: the leaf's EPT memory type, bits 5:3 (0 UC, 1 WC, 4 WT, 5 WP, 6 WB); carried, not applied. */
  memoryType = 0;
  /** On success: the leaf's ignore-PAT bit (bit 6); carried, not applied. */
  ignorePat = false;
  /**
   * On success: no later write through this translation needs a walk to set
   * the EPT dirty flag: the leaf's D (bit 9) is set after this walk, or EPT
   * A/D flags are disabled in the EPTP.
   */
  dirty = false;
  /** Index (0 = the EPTP's table) of the last entry read: the leaf on success, the faulting entry otherwise. 4-level EPT: 3 is the EPT PTE. */
  level = 0;
  /** Host-physical address of the entry at `level`: the leaf on success; for a bus error, the entry being read or written back. */
  entryAddress = 0;
  /** EPT entries read by this walk (memory references). */
  entryReads = 0;
  /** EPT entries written back by this walk (accessed and dirty flags). */
  entryWrites = 0;
  /** 1 when a cache of guest-physical mappings answered (no entry read), else 0. A walker alone has no cache; an {@link Mmu}'s has one. */
  cacheHits = 0;
  /** For a violation: the exit qualification ({@link EptQualification} bits). 0 for every other outcome (undefined for a misconfiguration in the SDM). */
  exitQualification = 0;
  /** The guest-physical address translated: what a VM exit stores in the VMCS guest-physical-address field. */
  guestPhysicalAddress = 0;
  /** The guest linear address the access came from, when exit-qualification bit 7 would be set; 0 otherwise. */
  guestLinearAddress = 0;
  /** For a bus error: the page-table access that reached no memory; null otherwise. */
  pageTableAccess: PageTableAccess | null = null;

  /** Clears the outcome and counters before a walk. */
  reset(): void {
    this.ok = false;
    this.outcome = EptOutcome.Translated;
    this.permissions = 0;
    this.memoryType = 0;
    this.ignorePat = false;
    this.dirty = false;
    this.level = 0;
    this.entryReads = 0;
    this.entryWrites = 0;
    this.cacheHits = 0;
    this.exitQualification = 0;
    this.pageTableAccess = null;
  }
}

/** Which stage of a two-dimensional walk stopped it ({@link EptNestedWalkResult.stage}). */
export const NestedWalkStage = {
  /** Neither: the translation succeeded. */
  None: 0,
  /** Guest paging: a guest `#PF` (or `#GP` for a non-canonical address, `#MC` for guest tables outside memory). Inject it into the guest. */
  Guest: 1,
  /** EPT: a violation, misconfiguration or bus error while translating a guest-physical address. A VM exit to the hypervisor. */
  Ept: 2,
} as const;

/** One of the {@link NestedWalkStage} values. */
export type NestedWalkStage = (typeof NestedWalkStage)[keyof typeof NestedWalkStage];

/**
 * The outcome of one two-dimensional walk, written by
 * {@link EptNestedWalker.walk}: the combined linear → host-physical
 * translation, or the stage that stopped it. The two stages' own details stay
 * in {@link EptNestedWalkResult.guest} and {@link EptNestedWalkResult.ept}.
 */
export class EptNestedWalkResult {
  /** True when both stages allow the access. */
  ok = false;
  /** Which stage stopped the walk. */
  stage: NestedWalkStage = NestedWalkStage.None;
  /** On success: host-physical address of the byte at the linear address. */
  hostAddress = 0;
  /** On success: host-physical address of the combined page (aligned to its size). */
  hostPageBase = 0;
  /** On success: log2 of the combined page size, the smaller of the guest page and the EPT page. */
  pageShift = 12;
  /**
   * On success: {@link Perm} bits of the combined translation. Read: EPT
   * readable. Write: guest R/W and EPT writable. Execute: guest XD clear and
   * EPT executable (bit 10 for a user page with mode-based execute control,
   * bit 2 otherwise). User: guest U/S. Dirty (a write needs no walk): guest D
   * set, {@link EptWalkResult.dirty}, and EPT writable (so that a guest with
   * CR0.WP = 0, whose supervisor may write a read-only guest page, still meets
   * EPT's write right).
   */
  perm = 0;
  /** The final guest-physical address, once the guest stage succeeded. */
  guestPhysicalAddress = 0;
  /**
   * Memory references of the walk: guest entries read plus EPT entries read
   * for each of them and for the final guest-physical address. For n guest
   * and m EPT levels, (n + 1)(m + 1) − 1 with 4 KiB pages: 24 for 4 over 4;
   * plus the EPT entries read again when, with EPT A/D flags off, a guest A/D
   * update lands on a page EPT did not show as writable (walked again as a write).
   */
  memoryReferences = 0;
  /**
   * Cache hits of the walk, each of which saved reading entries: a guest paging-structure cache
   * hit (the guest entries above it not read) and each EPT translation a cache of guest-physical
   * mappings answered. 0 without caches (a walker built alone has none; an {@link Mmu}'s has both).
   */
  walkCacheHits = 0;
  /** Guest entries written back (guest A/D flags), each through its EPT translation. */
  guestEntryWrites = 0;
  /** EPT entries written back (EPT A/D flags) over every EPT walk of this walk. */
  eptEntryWrites = 0;
  /** For a guest-stage fault: the x86 vector (14 `#PF`, 13 `#GP`, 18 `#MC`). */
  guestVector = 0;
  /** For a guest `#PF`: its error code ({@link X86PageFaultCode} bits). */
  guestErrorCode = 0;
  /**
   * The guest stage. On success: `pageBase`/`pageShift` of the guest page (a
   * guest-physical page), `perm`, `memoryType`. On a guest fault: its reason
   * and level. On an EPT fault at a guest paging-structure entry: `level` and
   * `entryAddress` (guest-physical) name the entry whose address faulted.
   */
  readonly guest: WalkResult = new WalkResult();
  /**
   * The last EPT walk: of the final guest-physical address on success or on a
   * final-access fault; of the guest entry's address whose translation
   * faulted; after a guest fault, of the last guest entry read.
   */
  readonly ept: EptWalkResult = new EptWalkResult();

  /** Clears the outcome and counters before a walk (the stage results are reset by their own walks). */
  reset(): void {
    this.ok = false;
    this.stage = NestedWalkStage.None;
    this.perm = 0;
    this.memoryReferences = 0;
    this.walkCacheHits = 0;
    this.guestEntryWrites = 0;
    this.eptEntryWrites = 0;
    this.guestVector = 0;
    this.guestErrorCode = 0;
  }
}
