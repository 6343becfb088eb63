/**
 * The MMU's registers and state: what an emulator's CPU writes to control
 * translation (root table and ASID, privilege, control bits, paging on or
 * off, the mode), the invalidation instructions, and the counters. The
 * accessors are in `mmu.ts`, the TLB lookups, walks and faults behind them in
 * `slow-path.ts`.
 * @module
 */
import { ANY_ASID, MAX_ASID } from '../tlb/tlb.js';
import { TlbHierarchy } from '../tlb/hierarchy.js';
import type { Tlb } from '../tlb/tlb.js';
import { SKYLAKE_TLB } from '../tlb/presets.js';
import { Access, Privilege, type TranslatedPrivilege } from './access.js';
import { defaultControls, type ControlState } from './controls.js';
import { resolveCycleModel, type CycleModel } from './cycle-model.js';
import { InvalidArgumentError } from './errors.js';
import type { TranslationFault } from './fault.js';
import type { FaultHandler } from './fault-handler.js';
import { FaultRecord } from './fault-record.js';
import { formatByName, requireFormat, type FormatName, type PageTableFormat } from './formats/format.js';
import { PERM_CLASSES, Perm, buildPermissionTable, rowUnchecked } from './permissions.js';
import { PhysicalMemory, requirePhysicalMemory } from './physical-memory.js';
import { captureState, restoreState, type CapturedState } from './object-state.js';
import { requireInteger, requireKnownKeys } from './validate.js';
import type { PageWalker } from './walker.js';
import type { GuestWalker } from './walkers/guest-walker.js';
import { createWalker, type WalkerOptions } from './walkers/create-walker.js';
import { Pmp } from './pmp.js';
import { WalkResult } from './walk-result.js';
import { TranslationCache, TranslationCaches } from './translation-cache.js';
import type { MmuMode, MmuOptions, MmuStats } from './mmu-options.js';

/** @internal The lowest TLB tag a guest's entry can have: host tags are ASIDs, below 2^16. */
export const GUEST_TAGS_FIRST = 0x1_0000;

/** @internal The page size every slot and bulk page works in. */
export const PAGE_SIZE = 4096;
/** @internal `va & PAGE_MASK` is the offset of `va` in its 4 KiB page. */
export const PAGE_MASK = 0xfff;

// Indices into the counters array (kept in a typed array so the hot path never boxes a number).
/** @internal */
export const CYCLES = 0;
/** @internal */
export const WALKS = 1;
/** @internal */
export const PTE_READS = 2;
/** @internal */
export const PTE_WRITES = 3;
/** @internal */
export const WALK_CACHE_HITS = 4;
/** @internal */
export const FAULTS = 5;
/** @internal */
export const FAULT_RETRIES = 6;
const COUNTER_COUNT = 7;

const MMU_OPTION_KEYS = ['memory', 'format', 'tlb', 'cycles', 'walkCache', 'controls', 'asids', 'faultHandler', 'maxFaultRetries', 'walker', 'mode', 'pmpEntries', 'ept'];
const CONTROL_KEYS = Object.keys(defaultControls());
const hasOwn = Object.prototype.hasOwnProperty;
/**
 * Permission tables by architecture and control bits: a guest that toggles SUM, SMAP or AC
 * (STAC/CLAC) switches between a few combinations, each built once. At most 2^11 entries of
 * 768 bytes, and in practice a handful. Shared by every MMU; never written after being built.
 */
const PERMISSION_TABLES = new Map<number, { fast: Uint8Array; slow: Uint8Array }>();
const EMPTY_PERMISSIONS = new Uint8Array(PERM_CLASSES * 6);
/**
 * The control bits packed in a number, the permission-table key above: bit 0
 * is the architecture (1 for x86), then one bit per control, in this order.
 */
const PERMISSION_KEY_BITS: readonly (keyof ControlState)[] = ['wp', 'nxe', 'smep', 'smap', 'ac', 'pse', 'pge', 'sum', 'mxr', 'hardwareAD'];
if (PERMISSION_KEY_BITS.length !== CONTROL_KEYS.length || !CONTROL_KEYS.every((k) => PERMISSION_KEY_BITS.includes(k as keyof ControlState))) {
  throw new Error('mmukit internal error: the permission-table key does not cover every control bit');
}

/**
 * The bit of control `name` in the packed key, or 0 for a name that is no
 * control bit. A switch on the name, not a lookup by a computed key: a guest
 * toggles SUM or AC around every user copy, and keyed lookups dominated the call.
 */
function controlBit(name: string): number {
  switch (name) {
    case 'wp': return 1 << 1;
    case 'nxe': return 1 << 2;
    case 'smep': return 1 << 3;
    case 'smap': return 1 << 4;
    case 'ac': return 1 << 5;
    case 'pse': return 1 << 6;
    case 'pge': return 1 << 7;
    case 'sum': return 1 << 8;
    case 'mxr': return 1 << 9;
    case 'hardwareAD': return 1 << 10;
    default: return 0;
  }
}
if (PERMISSION_KEY_BITS.some((name, i) => controlBit(name) !== 1 << (i + 1))) {
  throw new Error('mmukit internal error: controlBit disagrees with the permission-table key');
}

/** `state` packed as {@link controlBit} numbers it, with the architecture in bit 0. */
function packControls(x86: boolean, state: ControlState): number {
  let key = x86 ? 1 : 0;
  for (let i = 0; i < PERMISSION_KEY_BITS.length; i++) if (state[PERMISSION_KEY_BITS[i]]) key |= 1 << (i + 1);
  return key;
}

/** Clears, in both tables, every read row's entries for permission classes without {@link Perm.Read}. */
function requireReadBit(fast: Uint8Array, slow: Uint8Array): void {
  for (const privilege of [Privilege.Supervisor, Privilege.User] as const) {
    const row = rowUnchecked(privilege, Access.Read);
    for (let perm = 0; perm < PERM_CLASSES; perm++) {
      if ((perm & Perm.Read) === 0) fast[row + perm] = slow[row + perm] = 0;
    }
  }
}

/** The alignment of a root table: 32 bytes for PAE's page-directory-pointer table, else a page. */
function rootAlignment(format: PageTableFormat): number {
  return format.name === 'x86-pae' ? 32 : PAGE_SIZE;
}

/** Checks the address of an invalidation: an integer in [0, 2^57) (INVLPG of garbage is a caller's bug). */
function requireVirtual(va: unknown): void {
  requireInteger(va, 'va', 0, 2 ** 57 - 1);
}

/** @internal What a snapshot of an MMU leaves out: its memory (snapshotted on its own) and what is attached to it. */
export const SNAPSHOT_CAPTURE = {
  // The translation caches are emptied on restore (restoreSnapshotState): copying them would be wasted.
  opaque: (value: object): boolean => value instanceof PhysicalMemory || value instanceof TranslationCaches || value instanceof TranslationCache,
  // The translation-cache arrays (the MMU's views of them) likewise.
  skipFields: new Set(['faultHandler', 'tracer', 'readTag', 'writeTag', 'fetchTag', 'dataAddend', 'fetchAddend', 'dataEntry', 'fetchEntry']),
};

/**
 * The state and control registers of an {@link Mmu} (its base class; use {@link Mmu}).
 * @internal
 */
export abstract class MmuControlRegisters {
  /** The physical memory behind this MMU. */
  readonly memory: PhysicalMemory;
  /** The page-table format in use (see {@link Mmu.setFormat}). @internal */
  protected currentFormat: PageTableFormat;
  /** The TLBs: L1 instruction, L1 data, optional unified L2. */
  readonly tlb: TlbHierarchy;
  /** The walker of the current format (see {@link Mmu.setFormat}). @internal */
  protected currentWalker: PageWalker;
  /** The walker options the MMU was built with, for the walker of a format it changes to. */
  private readonly walkerOptions: WalkerOptions;
  /** The hart's Physical Memory Protection (RISC-V), or null: x86, or no entries. @internal */
  protected readonly pmp: Pmp | null;
  /** The privilege PMP checks loads and stores (MPP's under MPRV) and fetches with. Set by `applyPrivilege`. @internal */
  protected dataPmpPrivilege: Privilege = Privilege.Supervisor;
  /** @internal */
  protected fetchPmpPrivilege: Privilege = Privilege.Supervisor;
  /** Whether the identity cache's data and fetch slots were filled under M-mode's PMP rules (with a PMP, they differ from S and U's). */
  private identityDataMachine = false;
  private identityFetchMachine = false;
  /** The latencies in use, in cycles (a resolved, frozen copy of the constructor's `cycles` option). */
  readonly cycleModel: Readonly<CycleModel>;
  /** Receives faults before they reach the caller; null for none. */
  faultHandler: FaultHandler | null;
  /** Whether TLB entries are ASID-tagged (see {@link MmuOptions.asids}). */
  readonly asidsEnabled: boolean;
  /** Retry budget per access (see {@link MmuOptions.maxFaultRetries}). */
  readonly maxFaultRetries: number;

  /** @internal */
  protected readonly l1i: Tlb;
  /** @internal */
  protected readonly l1d: Tlb;
  /** @internal */
  protected readonly l2: Tlb | null;
  /** @internal */
  protected readonly view: DataView;
  /** @internal */
  protected readonly ramBase: number;
  /** @internal */
  protected readonly controlState: ControlState;
  /** The control bits and the architecture packed as {@link packControls} does: the permission-table key. */
  private controlKey = 0;
  /** @internal */
  protected readonly walkResult = new WalkResult();
  /** @internal */
  protected readonly counters = new Float64Array(COUNTER_COUNT);
  /**
   * Translation-cache hits not yet added to the cycle counter: an Int32 increment is cheaper on
   * the hot path than a Float64 add. Each costs l1Hit cycles; `foldCacheHits` adds them.
   * @internal
   */
  protected readonly cacheHits = new Int32Array(1);
  /** Permission table for translation-cache fills: RAM pages only (shared, never written). @internal */
  protected fastPerm: Uint8Array = EMPTY_PERMISSIONS;
  /** Permission table for the slow path: any page (shared, never written). @internal */
  protected slowPerm: Uint8Array = EMPTY_PERMISSIONS;
  /** @internal */
  protected rootAddress = 0;
  /** @internal */
  protected currentAsid = 0;
  /**
   * The ASID the TLBs tag entries with and look them up by: {@link MmuControlRegisters.currentAsid}
   * itself for the host, `tagBase + currentAsid` for a virtual machine (its VMID or VPID in the
   * high bits), so that guests and host never share an entry. @internal
   */
  protected tlbTag = 0;
  /** Where the current guest's tags start (0 for the host): the TLB tag of guest ASID a is `tagBase + a`. @internal */
  protected tagBase = 0;
  /** How many tags a guest has: 2^16 (RISC-V ASIDs) or 2^12 (x86 PCIDs). @internal */
  protected tagSpan = 0x1_0000;
  /** RISC-V V=1 or x86 VMX non-root operation: translated accesses take both stages ({@link Mmu.setVirtualized}). @internal */
  protected guestMode = false;
  /**
   * The guest's control bits: RISC-V `vsstatus.SUM`/`MXR` and `henvcfg.ADUE` (as `sum`, `mxr`,
   * `hardwareAD`), x86 the guest's CR0.WP, CR4, EFER.NXE and EFLAGS.AC. Read by the guest walker. @internal
   */
  protected readonly guestControlState: ControlState = { ...defaultControls() };
  /** The guest's own paging is on (a `vsatp` mode, x86 guest CR0.PG = 1): set with the guest's root. @internal */
  protected guestPagingEnabled = false;
  /**
   * While a hypervisor load or store (HLV, HLVX, HSV) runs: the privilege its caller had, to run a
   * fault handler with and to return to; -1 otherwise. @internal
   */
  protected hypervisorAccessPrivilege = -1;
  /** @internal */
  protected currentPrivilege: Privilege = Privilege.Supervisor;
  /** RISC-V `mstatus.MPRV` and `MPP`: the privilege of M-mode loads and stores, or null with MPRV clear. */
  private mprvPrivilege: Privilege | null = null;
  /** @internal */
  protected pagingEnabled = true;
  /** Loads and stores are untranslated (paging off; M-mode unless MPRV names S or U). Set by `applyPrivilege`. @internal */
  protected dataBare = false;
  /** Fetches are untranslated (paging off; M-mode). Set by `applyPrivilege`. @internal */
  protected fetchBare = false;
  /** The privilege loads and stores are translated and checked with (MPP's in M-mode with MPRV). @internal */
  protected dataPrivilege: TranslatedPrivilege = Privilege.Supervisor;
  /** The privilege fetches are translated and checked with. @internal */
  protected fetchPrivilege: TranslatedPrivilege = Privilege.Supervisor;
  /** @internal */
  protected rowRead = rowUnchecked(Privilege.Supervisor, Access.Read);
  /** @internal */
  protected rowWrite = rowUnchecked(Privilege.Supervisor, Access.Write);
  /** @internal */
  protected rowExecute = rowUnchecked(Privilege.Supervisor, Access.Execute);
  /** @internal */
  protected readonly l1HitCycles: number;
  /**
   * The record of the last fault this MMU raised, resolved or not: one object for the MMU's
   * lifetime, overwritten in place by every fault, so that faults allocate nothing. Read it after
   * a try-accessor returned {@link FAULTED} (its {@link FaultRecord.sequence} is 0 before the
   * first fault), or keep {@link FaultRecord.toFault}'s immutable copy;
   * {@link Mmu.lastFaultRecord} is that copy, made when first read.
   */
  readonly faultRecord: FaultRecord;
  /** {@link Mmu.lastFaultRecord}'s copy of the record, and the record's sequence it copies. */
  private faultCopy: TranslationFault | null = null;
  private faultCopySequence = 0;
  /** The translation caches (one per privilege) and what keeps them coherent with the L1s. @internal */
  protected readonly caches: TranslationCaches;
  /**
   * The caches loads and stores and fetches use now (the same one unless M-mode's MPRV splits them),
   * whose slots the hot path finds at `dataBase` and `fetchBase` in the arrays of all caches (set by `applyPrivilege`). @internal
   */
  protected dataCache!: TranslationCache;
  /** @internal */
  protected fetchCache!: TranslationCache;
  /** @internal */
  protected readonly readTag: Float64Array;
  /** @internal */
  protected readonly writeTag: Float64Array;
  /** @internal */
  protected readonly fetchTag: Float64Array;
  /** @internal */
  protected readonly dataAddend: Float64Array;
  /** @internal */
  protected readonly fetchAddend: Float64Array;
  /** @internal */
  protected readonly dataEntry: Int32Array;
  /** @internal */
  protected readonly fetchEntry: Int32Array;
  /** Where the slots of the cache loads and stores use start in the arrays above (`slot + dataBase`). @internal */
  protected dataBase = 0;
  /** The same for fetches. @internal */
  protected fetchBase = 0;
  /** Accurate mode: a translation-cache hit updates the modelled L1. @internal */
  protected exact = true;
  /** Inside a try-accessor: an unresolved fault is recorded and reported, not thrown. @internal */
  protected quiet = false;
  /** Set by `raise` in a try-accessor when the fault it recorded was not resolved. @internal */
  protected delivered = false;
  /** What a fault handler gave `deferException`, until the access throws it; null when none. @internal */
  protected pendingException: Error | null = null;
  /** False while a bulk access translates its pages, and in tests that need the model without the translation cache in front of it. @internal */
  protected fillsCache = true;

  /**
   * Builds the TLBs, the walker and the permission tables. The MMU starts with
   * paging on, root 0, ASID 0 and supervisor privilege.
   *
   * @param options - see {@link MmuOptions}.
   * @throws {@link InvalidArgumentError} on an unknown format, bad latencies or bad options.
   * @throws `TlbConfigError` on a bad TLB geometry.
   */
  constructor(options: MmuOptions) {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
    requireKnownKeys(options, MMU_OPTION_KEYS, 'MmuOptions');
    this.memory = requirePhysicalMemory(options.memory, 'options.memory');
    this.currentFormat = typeof options.format === 'string' ? formatByName(options.format) : requireFormat(options.format);
    this.faultRecord = new FaultRecord(this.currentFormat.architecture);
    const walkCacheOption = options.walkCache;
    if (walkCacheOption !== undefined && walkCacheOption !== null && walkCacheOption !== 'default' && typeof walkCacheOption !== 'object') {
      throw new InvalidArgumentError(`walkCache must be a walk-cache config, null or 'default', got ${String(walkCacheOption)}`);
    }
    // Frozen: the hot path keeps its own copy of l1Hit, so a later change could not reach it.
    this.cycleModel = Object.freeze(resolveCycleModel(options.cycles));
    this.l1HitCycles = this.cycleModel.l1Hit;
    this.controlState = { ...defaultControls() };
    this.controlKey = packControls(this.currentFormat.architecture === 'x86', this.controlState);
    if (options.controls !== undefined) this.mergeControls(options.controls);
    this.tlb = new TlbHierarchy(options.tlb ?? SKYLAKE_TLB);
    this.l1i = this.tlb.l1i;
    this.l1d = this.tlb.l1d;
    this.l2 = this.tlb.l2;
    const walkCache = options.walkCache === 'default' ? undefined : options.walkCache;
    const pmpEntries = options.pmpEntries === undefined ? 0 : options.pmpEntries;
    if (pmpEntries !== 0 && this.currentFormat.architecture !== 'riscv') throw new InvalidArgumentError('pmpEntries is a RISC-V option (x86 has no PMP)');
    const pmp = new Pmp(pmpEntries, this.currentFormat.pteSize === 4 ? 34 : 56);
    this.pmp = pmp.implemented ? pmp : null;
    if (options.walker !== undefined && options.walker !== null && typeof options.walker === 'object' && 'pmp' in options.walker) {
      throw new InvalidArgumentError('walker.pmp is the MMU\'s own: give pmpEntries instead');
    }
    this.walkerOptions = Object.freeze({ ...options.walker, walkCache, ...(this.pmp === null ? {} : { pmp: this.pmp }) });
    this.currentWalker = createWalker(this.currentFormat, this.memory, this.controlState, this.walkerOptions);
    if (options.asids !== undefined && typeof options.asids !== 'boolean') throw new InvalidArgumentError('asids must be a boolean');
    this.asidsEnabled = options.asids ?? true;
    const handler = options.faultHandler ?? null;
    if (handler !== null && (typeof handler !== 'object' || typeof handler.handleFault !== 'function')) {
      throw new InvalidArgumentError('faultHandler must be null or an object with a handleFault function');
    }
    this.faultHandler = handler;
    this.maxFaultRetries = requireInteger(options.maxFaultRetries ?? 16, 'maxFaultRetries', 0, 1 << 20);
    this.view = this.memory.view;
    this.ramBase = this.memory.ramBase;
    this.rebuildPermissionTables();
    this.caches = new TranslationCaches(this.l1d, this.l1i);
    // Written here only: the hot path's array fields stay constant, and a cache is chosen by its base.
    const arrays = this.caches.arrays;
    this.readTag = arrays.readTag;
    this.writeTag = arrays.writeTag;
    this.fetchTag = arrays.fetchTag;
    this.dataAddend = arrays.dataAddend;
    this.fetchAddend = arrays.fetchAddend;
    this.dataEntry = arrays.dataEntry;
    this.fetchEntry = arrays.fetchEntry;
    this.applyPrivilege();
    if (options.mode !== undefined) this.setMode(options.mode);
  }

  /** How the TLB model runs: `'accurate'` or `'fast'` (see {@link MmuMode}). */
  get mode(): MmuMode {
    return this.exact ? 'accurate' : 'fast';
  }

  /**
   * Switches between the exact TLB model and the fast path at any time (see
   * {@link MmuMode}). Entering accurate mode empties the translation cache,
   * whose fast-mode slots may name L1 entries that have been replaced since.
   *
   * @param mode - `'accurate'` or `'fast'`.
   * @throws {@link InvalidArgumentError} on any other value (nothing changes).
   *
   * @example
   * ```ts
   * const memory = new PhysicalMemory({ size: 1 << 20 });
   * const tables = new PageTableBuilder(memory, 'x86-64', new FrameAllocator(memory));
   * tables.map(0x40_0000, 0x8000, { writable: true });
   * const mmu = new Mmu({ memory, format: 'x86-64', mode: 'fast' });
   * mmu.setRoot(tables.root, 1);
   * mmu.write32(0x40_0000, 7);    // a miss: walk, L1 fill, translation-cache fill
   * mmu.read32(0x40_0000);        // 7: a translation-cache hit, the model untouched
   * mmu.stats().tlb.l1d.hits;     // 0
   * mmu.setMode('accurate');
   * mmu.read32(0x40_0000);        // 7: an L1 hit, counted
   * mmu.stats().tlb.l1d.hits;     // 1
   * ```
   */
  setMode(mode: MmuMode): void {
    if (mode !== 'accurate' && mode !== 'fast') throw new InvalidArgumentError(`mode must be 'accurate' or 'fast', got ${String(mode)}`);
    const exact = mode === 'accurate';
    if (exact && !this.exact) this.caches.clearTranslated();
    this.exact = exact;
    this.caches.exact = exact;
  }

  /**
   * The translation cache whose data arrays (`readTag`, `writeTag`,
   * `dataAddend`) answer loads and stores now: the typed arrays an emulator may
   * read to inline the hit check in its own loop (fast mode), as
   * {@link TranslationCache} describes. Fetch it again after
   * {@link Mmu.setPrivilege}, {@link Mmu.setPaging} and
   * {@link Mmu.setModifyPrivilege}.
   */
  get translationCache(): TranslationCache {
    return this.dataCache;
  }

  /**
   * The translation cache whose fetch arrays (`fetchTag`, `fetchAddend`)
   * answer instruction fetches now. The same object as
   * {@link Mmu.translationCache} except in RISC-V M-mode with MPRV set, where
   * loads and stores are translated as MPP and fetches are not.
   */
  get fetchTranslationCache(): TranslationCache {
    return this.fetchCache;
  }

  /**
   * Derives from the privilege, MPRV and paging what the hot path reads: which accesses are
   * untranslated, the privilege of translated ones, their permission rows and their caches.
   * Field writes only: a privilege change, M-mode entry or exit flushes nothing.
   */
  protected applyPrivilege(): void {
    const machine = this.currentPrivilege === Privilege.Machine;
    // In M-mode, MPRV makes loads and stores behave as MPP (privileged spec §3.1.6.3); fetches stay M.
    const data = machine ? this.mprvPrivilege : this.currentPrivilege;
    // Virtualised accesses always take the second stage, whatever the guest's own paging is.
    const paging = this.pagingEnabled || this.guestMode;
    this.fetchBare = machine || !paging;
    this.dataBare = data === null || data === Privilege.Machine || !paging;
    this.dataPrivilege = data === Privilege.User ? Privilege.User : Privilege.Supervisor;
    this.fetchPrivilege = this.currentPrivilege === Privilege.User ? Privilege.User : Privilege.Supervisor;
    this.rowRead = rowUnchecked(this.dataPrivilege, Access.Read);
    this.rowWrite = rowUnchecked(this.dataPrivilege, Access.Write);
    this.rowExecute = rowUnchecked(this.fetchPrivilege, Access.Execute);
    const dataCache = this.dataBare ? this.caches.identity : this.caches.of(this.dataPrivilege);
    const fetchCache = this.fetchBare ? this.caches.identity : this.caches.of(this.fetchPrivilege);
    this.dataCache = dataCache;
    this.fetchCache = fetchCache;
    this.dataBase = dataCache.base;
    this.fetchBase = fetchCache.base;
    this.dataPmpPrivilege = data ?? Privilege.Machine;
    this.fetchPmpPrivilege = this.currentPrivilege;
    if (this.pmp !== null) {
      // Identity slots say PMP allows the whole page at the privilege they were filled for; M-mode's
      // rules differ from S and U's (unlocked entries do not apply), so a change of class empties them.
      const dataMachine = this.dataPmpPrivilege === Privilege.Machine;
      const fetchMachine = this.fetchPmpPrivilege === Privilege.Machine;
      if ((this.dataBare && dataMachine !== this.identityDataMachine) || (this.fetchBare && fetchMachine !== this.identityFetchMachine)) {
        this.caches.identity.clear();
        this.identityDataMachine = dataMachine;
        this.identityFetchMachine = fetchMachine;
      }
    }
  }

  // ---------------------------------------------------------------- state

  /** Physical address of the root page table (x86 CR3 without flag bits; RISC-V satp.PPN × 4096); while {@link Mmu.virtualized}, the guest's root, a guest-physical address ({@link Mmu.guestRoot}). */
  get root(): number {
    return this.rootAddress;
  }

  /**
   * The page-table format: the paging mode translations use (x86 CR4.PAE, EFER.LME, CR4.LA57; RISC-V satp.MODE). See {@link Mmu.setFormat}.
   * While {@link Mmu.virtualized}, the guest's (or, with the guest's paging off, still the host's: read {@link Mmu.guestFormat}).
   */
  get format(): PageTableFormat {
    return this.currentFormat;
  }

  /** The hardware walker of the current format. {@link Mmu.setFormat} replaces it: read it again after a format change. */
  get walker(): PageWalker {
    return this.currentWalker;
  }

  /** Current address-space identifier (x86 PCID, RISC-V ASID): while {@link Mmu.virtualized}, the guest's ({@link Mmu.guestAsid}). */
  get asid(): number {
    return this.currentAsid;
  }

  /** Current privilege of accesses (set by {@link Mmu.setPrivilege}). */
  get privilege(): Privilege {
    return this.currentPrivilege;
  }

  /** RISC-V `mstatus.MPRV` and `MPP`: the privilege of M-mode loads and stores, or null with MPRV clear (set by {@link Mmu.setModifyPrivilege}). */
  get modifyPrivilege(): Privilege | null {
    return this.mprvPrivilege;
  }

  /**
   * Whether translation is on (false: virtual = physical, as with x86 `CR0.PG = 0` or RISC-V `satp.MODE` = Bare). RISC-V M-mode is a privilege instead: see {@link Mmu.setPrivilege}.
   * The host's register: while {@link Mmu.virtualized}, accesses are translated by the second stage whatever it says, and the guest's own paging is {@link Mmu.guestFormat} (null: off).
   */
  get paging(): boolean {
    return this.pagingEnabled;
  }

  /** A copy of the current control bits. */
  get controls(): Readonly<ControlState> {
    return { ...this.controlState };
  }

  /**
   * Loads a new root table and ASID, like a write of CR3 or satp. With ASIDs
   * enabled nothing is flushed (entries of other ASIDs stay, tagged); without,
   * every non-global entry is flushed, as a CR3 write without PCIDs does.
   *
   * A root outside RAM, ROM and MMIO is accepted, as the hardware accepts
   * any CR3 or satp: the next walk's first entry read reaches no memory and
   * the access faults with `BusError` (x86 `#MC`; RISC-V access fault,
   * `scause` 1, 5 or 7). That fault says so: its `pageTableAccess` is
   * `'read'`, `level` 0, `physicalAddress` the root entry's address and `root`
   * this root, and its message reads
   * `#MC read supervisor at 0x400000 (BusError: page-table read of the level-0 entry at physical 0x…, root 0x…, reached no memory)`.
   *
   * @param root - physical address of the root table: 4 KiB aligned (32-byte aligned for PAE).
   * @param asid - ASID/PCID, an integer in [0, 65535]; default: keep the current one.
   * @throws {@link InvalidArgumentError} on a bad root or ASID (nothing changes); never for a root outside memory.
   */
  setRoot(root: number, asid: number = this.currentAsid): void {
    this.requireHost('setRoot', 'setGuestRoot');
    requireInteger(root, 'root');
    const alignment = rootAlignment(this.currentFormat);
    if (root % alignment !== 0) throw new InvalidArgumentError(`root must be ${alignment}-byte aligned, got 0x${root.toString(16)}`);
    requireInteger(asid, 'asid', 0, 0xffff);
    this.rootAddress = root;
    // The translation cache holds the current ASID's translations (and global ones) only.
    if (asid !== this.currentAsid) this.caches.clearTranslated();
    this.currentAsid = asid;
    this.tlbTag = asid;
    if (!this.asidsEnabled) {
      this.tlb.invalidateNonGlobal();
      this.currentWalker.invalidateWalkCache(null, null);
    }
  }

  /**
   * Sets the privilege of subsequent accesses (x86 CPL 3 = user; RISC-V U-mode
   * = user, S-mode = supervisor, M-mode = {@link Privilege.Machine}). Nothing
   * is flushed: each privilege has its own translation cache. RISC-V M-mode
   * accesses are untranslated (physical = virtual, no TLB, `l1Hit` cycles
   * each), but for loads and stores with MPRV set
   * ({@link Mmu.setModifyPrivilege}); the TLBs, satp and the other privileges'
   * cached translations stay as they were, so a trap into M-mode and its
   * `mret` cost no flush (privileged spec §3.1.6.3; `satp` applies to S and U).
   *
   * @throws {@link InvalidArgumentError} when not a {@link Privilege} value, or
   * {@link Privilege.Machine} on an x86 format (nothing changes).
   *
   * @example
   * ```ts
   * // An M-mode trap handler reads the faulting S-mode page through MPRV.
   * const memory = new PhysicalMemory({ size: 1 << 20 });
   * const tables = new PageTableBuilder(memory, 'sv39', new FrameAllocator(memory));
   * tables.map(0x40_0000, 0x8000, { writable: true });
   * memory.write32(0x8000, 7);
   * const mmu = new Mmu({ memory, format: 'sv39' });
   * mmu.setRoot(tables.root, 1);
   * mmu.read32(0x40_0000);                       // 7: S-mode, translated
   * mmu.setPrivilege(Privilege.Machine);         // the trap: no flush
   * mmu.read32(0x8000);                          // 7: M-mode, untranslated
   * mmu.setModifyPrivilege(Privilege.Supervisor); // mstatus.MPRV = 1, MPP = S
   * mmu.read32(0x40_0000);                       // 7: translated as S
   * mmu.setModifyPrivilege(null);                // MPRV = 0
   * mmu.setPrivilege(Privilege.Supervisor);      // mret
   * ```
   */
  setPrivilege(privilege: Privilege): void {
    if (privilege !== Privilege.Supervisor && privilege !== Privilege.User && (privilege !== Privilege.Machine || this.currentFormat.architecture !== 'riscv')) {
      throw new InvalidArgumentError(
        `privilege must be Privilege.Supervisor (0), Privilege.User (1) or, on RISC-V, Privilege.Machine (2), got ${String(privilege)}`,
      );
    }
    if (privilege === Privilege.Machine && this.guestMode) throw new InvalidArgumentError('setPrivilege: M-mode has V=0 (a trap into M-mode clears V): setVirtualized(false) first');
    this.currentPrivilege = privilege;
    this.applyPrivilege();
  }

  /**
   * RISC-V `mstatus.MPRV` and `MPP` (privileged spec §3.1.6.3): with MPRV set,
   * loads and stores made in M-mode are translated and protected as if the
   * privilege were MPP (with `SUM` and `MXR` as set); fetches are not
   * affected, and nothing changes outside M-mode. MPP = M leaves them
   * untranslated. Write it whenever the guest's `mstatus` changes MPRV or MPP
   * (an `mret` clears MPRV when it leaves for S or U). Nothing is flushed.
   *
   * @param privilege - MPP with MPRV set, or null for MPRV clear.
   * @throws {@link InvalidArgumentError} on an x86 format, or when `privilege`
   * is neither a {@link Privilege} value nor null (nothing changes).
   */
  setModifyPrivilege(privilege: Privilege | null): void {
    if (this.currentFormat.architecture !== 'riscv') throw new InvalidArgumentError('setModifyPrivilege is RISC-V only (mstatus.MPRV)');
    if (privilege !== null && privilege !== Privilege.Supervisor && privilege !== Privilege.User && privilege !== Privilege.Machine) {
      throw new InvalidArgumentError(`privilege must be a Privilege value or null, got ${String(privilege)}`);
    }
    this.mprvPrivilege = privilege;
    this.applyPrivilege();
  }

  /**
   * Changes control bits (`CR0.WP`, `EFER.NXE`, `CR4.SMEP/SMAP/PSE/PGE`, `EFLAGS.AC`,
   * sstatus.SUM/MXR, A/D mode). Takes effect on the next access without a TLB
   * flush for the bits checked at access time (WP, SMEP, SMAP, AC, SUM, MXR).
   * Changing NXE, PSE or PGE changes what walks produce; like the hardware
   * (SDM §4.10.4.1: a CR4 write that changes PGE flushes), the MMU flushes the
   * TLBs and walk caches for those. Bits written with the values they already
   * have change nothing (no flush, no cached translation dropped).
   *
   * @param changes - the bits to change; the others keep their values.
   * @throws {@link InvalidArgumentError} on an unknown bit or a non-boolean value (nothing changes).
   *
   * @example
   * ```ts
   * // SMAP: the kernel may not read user pages unless EFLAGS.AC is set (STAC/CLAC).
   * const memory = new PhysicalMemory({ size: 1 << 20 });
   * const tables = new PageTableBuilder(memory, 'x86-64', new FrameAllocator(memory));
   * tables.map(0x40_0000, 0x8000, { user: true });
   * const mmu = new Mmu({ memory, format: 'x86-64' });   // supervisor mode, SMAP off
   * mmu.setRoot(tables.root, 1);
   * mmu.read32(0x40_0000);                               // 0: allowed, and now cached
   * mmu.setControls({ smap: true });                     // no flush needed: checked on every access
   * let code = -1;
   * try { mmu.read32(0x40_0000); } catch (e) { if (e instanceof PageFaultError) code = e.fault.errorCode; }
   * code;                                                // 1: #PF, P set (a protection fault)
   * mmu.setControls({ ac: true });                       // STAC
   * mmu.read32(0x40_0000);                               // 0
   * ```
   */
  setControls(changes: Partial<ControlState>): void {
    this.requireHost('setControls', 'setGuestControls');
    const state = this.controlState;
    const { nxe, pse, pge, mxr } = state;
    // Bits written with the values they have change nothing, as on the hardware.
    if (!this.mergeControls(changes)) return;
    if (nxe !== state.nxe || pse !== state.pse || pge !== state.pge) this.invalidateAll();
    // A guest's entries hold read permission with sstatus.MXR applied (it acts at both stages): they are stale now.
    else if (mxr !== state.mxr && this.currentFormat.architecture === 'riscv') this.tlb.invalidateAsidRange(GUEST_TAGS_FIRST, MAX_ASID);
    this.rebuildPermissionTables();
    // What the slots allow was decided under the old bits.
    this.caches.clearTranslated();
  }

  /**
   * Turns translation on or off. Off: every virtual address is its physical
   * address, no TLB or walk is involved (each access costs `l1Hit` cycles), and
   * an address that reaches no memory, including one at or above 2^53, is a
   * `BusError` (RISC-V access fault, x86 `#MC`), never a page fault.
   * Both directions flush the TLBs, the walk caches and the translation
   * caches, as a change of x86's `CR0.PG` does (SDM Vol. 3A §4.10.4.1). For
   * RISC-V's M-mode, which leaves `satp` and the TLBs alone, use
   * {@link Mmu.setPrivilege} with {@link Privilege.Machine}: no flush.
   * @param enabled - x86 `CR0.PG`; RISC-V `satp.MODE` ≠ Bare.
   * @throws {@link InvalidArgumentError} when `enabled` is not a boolean.
   */
  setPaging(enabled: boolean): void {
    if (typeof enabled !== 'boolean') throw new InvalidArgumentError('enabled must be a boolean');
    this.requireHost('setPaging', 'setGuestRoot');
    this.pagingEnabled = enabled;
    this.invalidateAll();
    this.caches.clear();
    this.applyPrivilege();
  }

  /**
   * Changes the paging mode at run time: the page-table format later walks use.
   *
   * - RISC-V: a write of `satp.MODE` between Sv39, Sv48 and Sv57 (RV64), with
   *   paging on or off; `satp.MODE` = Bare is {@link Mmu.setPaging}. Sv32 is
   *   RV32's only mode and changes to nothing else.
   * - x86: `CR4.PAE` between 32-bit and PAE paging (x86-32 ↔ x86-pae) with
   *   paging on or off; `EFER.LME` (into or out of 4- or 5-level paging) and
   *   `CR4.LA57` (4 ↔ 5 levels) only with paging off (`CR0.PG` = 0), as the SDM
   *   makes those writes #GP(0) with paging on (Vol. 3A §4.1.2, and the MOV CR4
   *   and WRMSR pages of Vol. 2). So a switch into long mode is
   *   `setPaging(false)`, `setFormat('x86-64')`, `setRoot(cr3)`,
   *   `setPaging(true)`. `EFER.NXE` is a control bit: {@link Mmu.setControls}.
   *
   * Every change flushes every TLB level, the walk caches (the new format's
   * walker starts with empty ones) and the translation caches. On x86 that is
   * what the SDM gives a change of `CR4.PAE` (all entries of the current PCID,
   * and outside IA-32e mode there is only PCID 000H) and of `CR0.PG` (§4.10.4.1).
   * A RISC-V `satp` write need not invalidate anything (software follows it
   * with SFENCE.VMA), but an implementation may drop cached translations at
   * any time, and entries made under another mode would translate with the
   * wrong number of levels. Setting the format in use without `walker`
   * changes nothing and flushes nothing; with `walker` it replaces the walker
   * (and flushes) whether paging is on or not.
   *
   * The root is kept, with the low bits the new format ignores cleared (a PAE
   * root is 32-byte aligned, the others 4 KiB aligned: CR3's low bits are
   * flags or the PCID); the ASID, privilege and control bits are kept. The new
   * walker takes the walker options the MMU was built with, unless `walker`
   * gives others (for example a walk-cache configuration fitting the new
   * format's levels).
   *
   * @param format - a format name of this MMU's architecture, or the format itself.
   * @param walker - walker options for the new format; default: the MMU's own.
   * @throws {@link InvalidArgumentError} for a format of another architecture,
   *   a change to or from Sv32, an x86 change into or out of 4- or 5-level
   *   paging with paging on (the hardware's #GP(0)), or walker options that do
   *   not fit the format. Nothing changes then.
   *
   * @example
   * ```ts
   * const memory = new PhysicalMemory({ size: 4 << 20, base: 0x8000_0000 });
   * const frames = new FrameAllocator(memory);
   * const sv48 = new PageTableBuilder(memory, 'sv48', frames);
   * sv48.map(0x80_0000_0000, 0x8010_0000);              // above Sv39's 2^38
   * const mmu = new Mmu({ memory, format: 'sv39' });
   * mmu.setFormat('sv48');                              // satp.MODE = Sv48
   * mmu.setRoot(sv48.root, 1);
   * mmu.translate(0x80_0000_0123, Access.Read);         // 0x8010_0123
   * mmu.stats().walks;                                  // 1, through 4 levels
   * ```
   */
  setFormat(format: FormatName | PageTableFormat, walker?: WalkerOptions): void {
    this.requireHost('setFormat', 'setGuestRoot');
    const next = typeof format === 'string' ? formatByName(format) : requireFormat(format);
    if (walker !== undefined && (walker === null || typeof walker !== 'object')) throw new InvalidArgumentError('walker must be walker options or undefined');
    const current = this.currentFormat;
    if (next.architecture !== current.architecture) {
      throw new InvalidArgumentError(`setFormat: ${next.name} is not a ${current.architecture} format (this MMU translates for ${current.name})`);
    }
    const changes = next.name !== current.name;
    if (!changes && walker === undefined) return;
    if (changes && current.architecture === 'riscv' && (next.name === 'sv32') !== (current.name === 'sv32')) {
      throw new InvalidArgumentError(`setFormat: Sv32 is RV32's only paging mode, Sv39, Sv48 and Sv57 RV64's: no satp write changes ${current.name} to ${next.name}`);
    }
    const longMode = (f: PageTableFormat) => f.name === 'x86-64' || f.name === 'x86-64-la57';
    if (changes && current.architecture === 'x86' && this.pagingEnabled && (longMode(current) || longMode(next))) {
      throw new InvalidArgumentError(
        `setFormat: ${current.name} → ${next.name} with paging on is #GP(0) on x86 (EFER.LME and CR4.LA57 change only with CR0.PG = 0; SDM Vol. 3A §4.1.2): setPaging(false) first`,
      );
    }
    // Built before anything changes: options that do not fit the new format throw here.
    if (walker !== undefined && 'pmp' in walker) throw new InvalidArgumentError('walker.pmp is the MMU\'s own');
    const options: WalkerOptions = walker === undefined ? this.walkerOptions : { ...walker, ...(this.pmp === null ? {} : { pmp: this.pmp }) };
    const nextWalker = createWalker(next, this.memory, this.controlState, options);
    this.tlb.invalidateAll(); // and, through the L1s' observer, every translated slot
    this.currentWalker.invalidateWalkCache(null, null);
    this.currentFormat = next;
    this.currentWalker = nextWalker;
    const alignment = rootAlignment(next);
    this.rootAddress -= this.rootAddress % alignment;
  }

  // ---------------------------------------------------------------- invalidation

  /**
   * RISC-V `HFENCE.VVMA` semantics for the current guest (its VMID or VPID): what `sfenceVma` and
   * the x86 invalidations do while {@link Mmu.virtualized} (a guest's SFENCE.VMA, INVLPG, INVPCID).
   * `va` and `asid` as {@link Mmu.sfenceVma} takes them; a guest's global pages are kept under each
   * of its ASIDs, so an `asid`-only fence drops them for that ASID too (more than needed, never less).
   * @internal
   */
  protected fenceGuest(va: number | null, asid: number | null): void {
    if (va !== null) requireVirtual(va);
    if (asid !== null) requireInteger(asid, 'asid', 0, this.tagSpan - 1);
    const first = asid === null ? this.tagBase : this.tagBase + asid;
    const last = asid === null ? this.tagBase + this.tagSpan - 1 : first;
    this.tlb.invalidateAsidRange(first, last, va);
    (this.currentWalker as unknown as GuestWalker).invalidateGuestStage(first, last, va);
  }

  /** Throws when a virtual machine runs: `method` writes a host register, the guest's is set with `instead`. @internal */
  protected requireHost(method: string, instead: string): void {
    if (this.guestMode) throw new InvalidArgumentError(`${method} writes the host's translation registers, which do not apply while virtualized: use ${instead} for the guest's, or setVirtualized(false) first`);
  }

  /**
   * x86 `INVLPG va`: drops the translations of `va` for the current PCID and
   * global ones, in every TLB level, and the paging-structure caches of the
   * current PCID (SDM §4.10.4.1).
   * @param va - any virtual address inside the page.
   *
   * @throws {@link InvalidArgumentError} when `va` is not an integer in [0, 2^57).
   * @example
   * ```ts
   * const memory = new PhysicalMemory({ size: 1 << 20 });
   * const tables = new PageTableBuilder(memory, 'x86-64', new FrameAllocator(memory));
   * memory.write32(0x8000, 1);
   * memory.write32(0x9000, 2);
   * tables.map(0x5000, 0x8000);
   * const mmu = new Mmu({ memory, format: 'x86-64' });
   * mmu.setRoot(tables.root, 1);
   * mmu.read32(0x5000);              // 1
   * tables.map(0x5000, 0x9000);      // the OS remaps the page…
   * mmu.read32(0x5000);              // 1: …but the TLB still holds the old translation
   * mmu.invalidatePage(0x5000);      // INVLPG
   * mmu.read32(0x5000);              // 2
   * ```
   */
  invalidatePage(va: number): void {
    requireVirtual(va);
    if (this.guestMode) {
      // The guest's global pages are kept under each of its tags: drop the page under all of them.
      this.fenceGuest(va, null);
      return;
    }
    this.tlb.invalidatePage(va, this.currentAsid, true);
    this.currentWalker.invalidateWalkCache(va, this.currentAsid);
  }

  /**
   * RISC-V `SFENCE.VMA rs1, rs2` with the register values (null for `x0`):
   * - both null: every translation, global ones included;
   * - `va` only: that page in every address space, global ones included;
   * - `asid` only: every non-global translation of that ASID;
   * - both: that page in that ASID, global ones excepted.
   *
   * Walk-cache entries go with them.
   * @param va - virtual address inside the page, or null for all addresses.
   * @param asid - the ASID, or null for all address spaces.
   * @throws {@link InvalidArgumentError} when `va` or `asid` is neither null nor in range.
   *
   * @example
   * ```ts
   * const memory = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000 });
   * const tables = new PageTableBuilder(memory, 'sv39', new FrameAllocator(memory));
   * tables.map(0x1000, 0x8008_0000, { accessed: true });
   * const mmu = new Mmu({ memory, format: 'sv39' });
   * mmu.setRoot(tables.root, 3);      // satp: ASID 3
   * mmu.read8(0x1000);
   * mmu.tlb.l1d.validCount();         // 1
   * mmu.sfenceVma(null, 7);           // SFENCE.VMA x0, rs2=7: another address space
   * mmu.tlb.l1d.validCount();         // 1
   * mmu.sfenceVma(0x1000, 3);         // SFENCE.VMA rs1=0x1000, rs2=3
   * mmu.tlb.l1d.validCount();         // 0
   * ```
   */
  sfenceVma(va: number | null, asid: number | null): void {
    if (this.guestMode) {
      this.fenceGuest(va, asid);
      return;
    }
    if (va === null && asid === null) {
      this.invalidateAll();
      return;
    }
    if (va !== null) requireVirtual(va);
    if (asid === null) {
      this.tlb.invalidatePage(va as number, ANY_ASID, true);
      this.currentWalker.invalidateWalkCache(va, null);
      return;
    }
    requireInteger(asid, 'asid', 0, 0xffff);
    if (va === null) {
      this.tlb.invalidateAsid(asid);
      this.currentWalker.invalidateWalkCache(null, asid);
      return;
    }
    this.tlb.invalidatePage(va, asid, false);
    this.currentWalker.invalidateWalkCache(va, asid);
  }

  /**
   * Drops the translations of `va` tagged with `asid` (not global ones), in every
   * TLB level, and that ASID's walk-cache entries: x86 INVPCID type 0, or what a
   * kernel's TLB shootdown does on a CPU that may still hold another address
   * space's entries.
   * @throws {@link InvalidArgumentError} on a bad address or ASID.
   */
  invalidatePageOfAsid(va: number, asid: number): void {
    requireVirtual(va);
    requireInteger(asid, 'asid', 0, 0xffff);
    if (this.guestMode) {
      this.fenceGuest(va, asid);
      return;
    }
    this.tlb.invalidatePage(va, asid, false);
    this.currentWalker.invalidateWalkCache(va, asid);
  }

  /**
   * Drops every non-global translation of `asid` (x86 INVPCID type 1), and its walk-cache entries.
   * @throws {@link InvalidArgumentError} when `asid` is not an integer in [0, 65535].
   */
  invalidateAsid(asid: number): void {
    requireInteger(asid, 'asid', 0, 0xffff);
    if (this.guestMode) {
      this.fenceGuest(null, asid);
      return;
    }
    this.tlb.invalidateAsid(asid);
    this.currentWalker.invalidateWalkCache(null, asid);
  }

  /**
   * @internal The whole state of this MMU for a snapshot (machine-snapshots.ts): registers, control bits, TLBs,
   * walk caches, translation caches and counters; not its physical memory, fault handler or tracer, which are
   * attachments.
   */
  captureSnapshotState(): CapturedState {
    // The translation-cache hits not yet added to the cycle counter and to the TLBs' hit counters are added first
    // (nothing anyone can read changes): a state is then held one way only, so that saving it gives the same bytes whether or not the
    // counter was read (a loaded MMU saves the bytes it was loaded from).
    this.foldCacheHits();
    this.l1i.stats.foldPendingHits();
    this.l1d.stats.foldPendingHits();
    this.l2?.stats.foldPendingHits();
    return captureState(this, SNAPSHOT_CAPTURE);
  }

  /**
   * @internal Puts back a state {@link MmuControlRegisters.captureSnapshotState} took, then empties the translation
   * caches: they are a host-side cache (a miss there finds the same TLB entry, with the same effect on the model),
   * and an open snapshot needs every first write to a page to go through the slow path.
   */
  restoreSnapshotState(state: CapturedState): void {
    restoreState(state);
    this.caches.clear();
  }

  /** @internal Empties the translation caches, so that the next access to each page takes the slow path (a snapshot's first writes). */
  dropTranslationCaches(): void {
    this.caches.clear();
  }

  /** Drops every translation, global ones included, and every walk-cache entry (a guest's and the host's). */
  invalidateAll(): void {
    this.tlb.invalidateAll();
    this.currentWalker.invalidateWalkCache(null, null);
    this.keptWalker()?.invalidateWalkCache(null, null);
  }

  /** Drops every non-global translation (a CR3 write without PCIDs) and every walk-cache entry (a guest's and the host's). */
  invalidateNonGlobal(): void {
    this.tlb.invalidateNonGlobal();
    this.currentWalker.invalidateWalkCache(null, null);
    this.keptWalker()?.invalidateWalkCache(null, null);
  }

  /** The host's walker while a guest runs (kept for its return), else null. @internal */
  protected keptWalker(): PageWalker | null {
    return null;
  }

  // ---------------------------------------------------------------- statistics

  /** Cycles accumulated since construction or the last {@link Mmu.resetCycles}. */
  get cycles(): number {
    this.foldCacheHits();
    return this.counters[CYCLES];
  }

  /** Sets the cycle counter to 0. */
  resetCycles(): void {
    this.cacheHits[0] = 0;
    this.counters[CYCLES] = 0;
  }

  /**
   * Adds `cycles` to the counter: lets a kernel charge work it does on this CPU's behalf (a frame copy, a shootdown).
   * @param cycles - a finite number of cycles, at least 0.
   * @throws {@link InvalidArgumentError} otherwise.
   */
  chargeCycles(cycles: number): void {
    if (typeof cycles !== 'number' || !Number.isFinite(cycles) || cycles < 0) throw new InvalidArgumentError('cycles must be a finite number >= 0');
    this.counters[CYCLES] += cycles;
  }

  /**
   * The last fault raised (resolved or not) as an immutable {@link TranslationFault}, or null
   * before the first: a copy of {@link Mmu.faultRecord}, made when first read after the fault
   * (the same object until the next fault). A loop that only needs the fault's fields reads
   * {@link Mmu.faultRecord} instead, which allocates nothing.
   */
  get lastFaultRecord(): TranslationFault | null {
    const record = this.faultRecord;
    if (record.sequence === 0) return null;
    if (this.faultCopySequence !== record.sequence) this.keepFaultCopy(record.toFault()!);
    return this.faultCopy;
  }

  /** Makes `copy` the {@link Mmu.lastFaultRecord} of the record's current fault. @internal */
  protected keepFaultCopy(copy: TranslationFault): void {
    this.faultCopy = copy;
    this.faultCopySequence = this.faultRecord.sequence;
  }

  /** A snapshot of every counter: a new plain object, unaffected by later accesses. */
  stats(): MmuStats {
    this.foldCacheHits();
    return {
      cycles: this.counters[CYCLES],
      walks: this.counters[WALKS],
      pteReads: this.counters[PTE_READS],
      pteWrites: this.counters[PTE_WRITES],
      walkCacheHits: this.counters[WALK_CACHE_HITS],
      faults: this.counters[FAULTS],
      faultRetries: this.counters[FAULT_RETRIES],
      tlb: {
        l1i: this.l1i.stats.snapshot(),
        l1d: this.l1d.stats.snapshot(),
        l2: this.l2 === null ? null : this.l2.stats.snapshot(),
      },
    };
  }

  /** Sets every counter, the cycle counter and the TLB statistics to 0. */
  resetStats(): void {
    this.cacheHits[0] = 0;
    this.counters.fill(0);
    this.tlb.resetStats();
  }

  /** Adds the translation-cache hits counted so far to the cycle counter, at l1Hit cycles each. @internal */
  protected foldCacheHits(): void {
    this.counters[CYCLES] += this.cacheHits[0] * this.l1HitCycles;
    this.cacheHits[0] = 0;
  }

  // ---------------------------------------------------------------- control bits

  /**
   * Checks every bit of `changes` before applying any (a bad one changes
   * nothing), then applies them. Returns whether any bit took a new value.
   */
  private mergeControls(changes: Partial<ControlState>): boolean {
    if (changes === null || typeof changes !== 'object') throw new InvalidArgumentError('controls must be an object');
    const bits = changes as Record<string, unknown>;
    let set = 0;
    let cleared = 0;
    for (const key in bits) {
      if (!hasOwn.call(bits, key)) continue;
      const bit = controlBit(key);
      if (bit === 0) requireKnownKeys(changes, CONTROL_KEYS, 'ControlState'); // throws, naming the key
      const value = bits[key];
      if (value === true) set |= bit;
      else if (value === false) cleared |= bit;
      else throw new InvalidArgumentError(`control bit '${key}' must be a boolean`);
    }
    const old = this.controlKey;
    const key = (old | set) & ~cleared;
    if (key === old) return false;
    this.controlKey = key;
    // The walker reads the object on every walk: keep it in step.
    const state = this.controlState;
    state.wp = (key & (1 << 1)) !== 0;
    state.nxe = (key & (1 << 2)) !== 0;
    state.smep = (key & (1 << 3)) !== 0;
    state.smap = (key & (1 << 4)) !== 0;
    state.ac = (key & (1 << 5)) !== 0;
    state.pse = (key & (1 << 6)) !== 0;
    state.pge = (key & (1 << 7)) !== 0;
    state.sum = (key & (1 << 8)) !== 0;
    state.mxr = (key & (1 << 9)) !== 0;
    state.hardwareAD = (key & (1 << 10)) !== 0;
    return true;
  }

  /**
   * Points the MMU at the permission tables of its architecture and control bits, built once per
   * combination. A virtual machine's entries hold the combined permissions of both stages: for
   * RISC-V with both MXR rules applied by the walk (so no MXR here) and `vsstatus.SUM` for SUM;
   * for x86 under the guest's control bits, where a read also needs EPT's read right (an
   * execute-only EPT page is not readable, although x86 paging has no read bit).
   * @internal
   */
  protected rebuildPermissionTables(): void {
    const arch = this.currentFormat.architecture;
    let rules = this.controlState;
    let key = this.controlKey;
    let readNeedsBit = false;
    if (this.guestMode) {
      // x86 with the guest's paging off: no paging-structure U/S bit, so SMEP and SMAP have nothing to act on.
      rules =
        arch === 'riscv'
          ? { ...this.controlState, sum: this.guestControlState.sum, mxr: false }
          : this.guestPagingEnabled
            ? this.guestControlState
            : { ...this.guestControlState, smep: false, smap: false };
      readNeedsBit = arch === 'x86';
      key = packControls(arch === 'x86', rules) | (readNeedsBit ? 1 << PERMISSION_KEY_BITS.length + 1 : 0);
    }
    let tables = PERMISSION_TABLES.get(key);
    if (tables === undefined) {
      const fast = new Uint8Array(PERM_CLASSES * 6);
      const slow = new Uint8Array(PERM_CLASSES * 6);
      buildPermissionTable(arch, rules, fast, false);
      buildPermissionTable(arch, rules, slow, true);
      if (readNeedsBit) requireReadBit(fast, slow);
      tables = { fast, slow };
      PERMISSION_TABLES.set(key, tables);
    }
    this.fastPerm = tables.fast;
    this.slowPerm = tables.slow;
  }

}
