import { ANY_ASID, GLOBAL_ASID } from '../tlb/tlb.js';
import { TlbHierarchy, type TlbHierarchyConfig } from '../tlb/hierarchy.js';
import type { Tlb } from '../tlb/tlb.js';
import type { TlbStatsSnapshot } from '../tlb/stats.js';
import { SKYLAKE_TLB } from '../tlb/presets.js';
import { Access, Privilege } from './access.js';
import { defaultControls, type ControlState } from './controls.js';
import { resolveCycleModel, type CycleModel } from './cycle-model.js';
import { InvalidArgumentError, PhysicalAccessError } from './errors.js';
import { FaultLoopError, FaultResolution, TranslationFault, pageFaultError, type PageFaultError } from './fault.js';
import type { FaultHandler } from './fault-handler.js';
import { FaultReason } from './fault-reason.js';
import { formatByName, requireFormat, type FormatName, type PageTableFormat } from './formats/format.js';
import { PERM_CLASSES, Perm, buildPermissionTable, permRow, rowUnchecked } from './permissions.js';
import { requirePhysicalMemory, type PhysicalMemory } from './physical-memory.js';
import { requireInteger, requireKnownKeys } from './validate.js';
import type { WalkCacheConfig } from './walk-cache.js';
import type { PageWalker } from './walker.js';
import { createWalker, type WalkerOptions } from './walkers/create-walker.js';
import { WalkResult, type PageTableAccess } from './walk-result.js';
import { TRANSLATION_CACHE_SLOTS, TranslationCaches, type TranslationCache } from './translation-cache.js';

const PAGE_SIZE = 4096;
/** `2 ** shift` for every page shift a walk can return. */
const PAGE_SIZES = Float64Array.from({ length: 64 }, (_, shift) => 2 ** shift);
const PAGE_MASK = 0xfff;
/** Returned internally when a fault was resolved and the access must start over. */
const RETRY = -1;
/** Translation-cache hits counted before they are folded into the cycle counter (keeps the Int32 count far from overflow). */
const HIT_FOLD = 1 << 30;
/** `(va >>> 12) & SLOT_MASK` is the translation-cache slot of `va`. */
const SLOT_MASK = TRANSLATION_CACHE_SLOTS - 1;

// Indices into the counters array (kept in a typed array so the hot path never boxes a number).
const CYCLES = 0;
const WALKS = 1;
const PTE_READS = 2;
const PTE_WRITES = 3;
const WALK_CACHE_HITS = 4;
const FAULTS = 5;
const FAULT_RETRIES = 6;
const COUNTER_COUNT = 7;

const MMU_OPTION_KEYS = ['memory', 'format', 'tlb', 'cycles', 'walkCache', 'controls', 'asids', 'faultHandler', 'maxFaultRetries', 'walker', 'mode'];
const CONTROL_KEYS = Object.keys(defaultControls());
/**
 * Permission tables by architecture and control bits: a guest that toggles SUM, SMAP or AC
 * (STAC/CLAC) switches between a few combinations, each built once. At most 2^11 entries of
 * 768 bytes, and in practice a handful. Shared by every MMU; never written after being built.
 */
const PERMISSION_TABLES = new Map<number, { fast: Uint8Array; slow: Uint8Array }>();
const EMPTY_PERMISSIONS = new Uint8Array(PERM_CLASSES * 6);
/** The control bits the permission-table key above is made of: every one of ControlState's. */
const PERMISSION_KEY_BITS: readonly (keyof ControlState)[] = ['wp', 'nxe', 'smep', 'smap', 'ac', 'pse', 'pge', 'sum', 'mxr', 'hardwareAD'];
if (PERMISSION_KEY_BITS.length !== CONTROL_KEYS.length || !CONTROL_KEYS.every((k) => PERMISSION_KEY_BITS.includes(k as keyof ControlState))) {
  throw new Error('mmukit internal error: the permission-table key does not cover every control bit');
}

/** Checks the address of an invalidation: an integer in [0, 2^57) (INVLPG of garbage is a caller's bug). */
function requireVirtual(va: unknown): void {
  requireInteger(va, 'va', 0, 2 ** 57 - 1);
}

/** The most bytes one bulk access may move: 1 GiB. */
const MAX_BULK_LENGTH = 2 ** 30;

/** Checks the length of a bulk access and returns it. */
function requireBulkLength(length: number): number {
  return requireInteger(length, 'length', 0, MAX_BULK_LENGTH);
}

/** How many 4 KiB pages [va, va + length) touches (0 for an empty range). */
function pagesSpanned(va: number, length: number): number {
  if (length === 0) return 0;
  const offset = Number.isFinite(va) ? va - Math.floor(va / PAGE_SIZE) * PAGE_SIZE : 0;
  return Math.ceil((offset + length) / PAGE_SIZE);
}

/**
 * How an {@link Mmu} runs its TLB model (see {@link Mmu.setMode}):
 * - `'accurate'`: every access is an access of the modelled TLBs. Hits, misses,
 *   replacement state, evictions and cycles are exactly those of the model;
 *   the translation cache only skips the set scan of a hit it knows the answer to.
 * - `'fast'`: an access that hits the translation cache completes with a tag
 *   compare and an add, and leaves the model alone: no hit is counted and no
 *   replacement state moves (it still adds the L1-hit latency to the cycles).
 *   Everything else (misses, walks, fills, faults, permissions, invalidations)
 *   is as in accurate mode. A cached translation may outlive its L1 entry until
 *   an invalidation drops it, as a larger TLB would keep it.
 */
export type MmuMode = 'accurate' | 'fast';

/**
 * What the value-returning try-accessors ({@link Mmu.tryRead32} and the others)
 * return when the access faulted: -1, which no unsigned load yields. The fault
 * is then in {@link Mmu.lastFaultRecord}.
 */
export const FAULTED = -1;

/** Options of {@link Mmu}. */
export interface MmuOptions {
  /** The physical memory holding page tables and data. */
  memory: PhysicalMemory;
  /** The page-table format, as an object or by name (`'x86-64'`, `'sv39'`, ...). */
  format: PageTableFormat | FormatName;
  /** TLB geometry. Default {@link SKYLAKE_TLB}. See also {@link SIFIVE_U54_TLB} and {@link fullyAssociativeTlb}. */
  tlb?: TlbHierarchyConfig;
  /** Latencies in cycles; missing fields come from {@link SKYLAKE_CYCLES}. */
  cycles?: Partial<CycleModel>;
  /**
   * Paging-structure caches: a config, `null` for none, or `'default'`
   * (default): the format's {@link defaultWalkCacheConfig}.
   */
  walkCache?: WalkCacheConfig | null | 'default';
  /** Initial control bits; missing ones come from {@link defaultControls}. */
  controls?: Partial<ControlState>;
  /**
   * Whether TLB entries are tagged with the ASID/PCID (x86 CR4.PCIDE, RISC-V
   * ASIDLEN > 0). When false, {@link Mmu.setRoot} flushes every non-global
   * entry, as a CR3 write without PCIDs does. Default true.
   */
  asids?: boolean;
  /** Receives faults before they reach the caller. Default none. */
  faultHandler?: FaultHandler | null;
  /** How many times in a row one access may be retried after a fault before {@link FaultLoopError}. Default 16. */
  maxFaultRetries?: number;
  /** Extra walker options (MAXPHYADDR, Svpbmt, Svnapot), passed to {@link createWalker}. */
  walker?: Omit<WalkerOptions, 'walkCache'>;
  /** `'accurate'` (default) or `'fast'`: see {@link MmuMode}; {@link Mmu.setMode} changes it later. */
  mode?: MmuMode;
}

/** Counters of one MMU, as returned by {@link Mmu.stats}. Every count is an event count since construction or {@link Mmu.resetStats}. */
export interface MmuStats {
  /** Cycles accumulated under the cycle model (including what {@link Mmu.chargeCycles} added). */
  cycles: number;
  /** Page walks started. */
  walks: number;
  /** Page-table entries read by walks. */
  pteReads: number;
  /** Page-table entries written back by walks (A/D). */
  pteWrites: number;
  /** Walks shortened by a paging-structure-cache hit. */
  walkCacheHits: number;
  /** Faults raised (resolved or delivered). */
  faults: number;
  /** Faults resolved by the handler and retried. */
  faultRetries: number;
  /** Per-TLB counters. */
  tlb: MmuTlbStats;
}

/** The counters of each TLB of an MMU. */
export interface MmuTlbStats {
  /** L1 instruction TLB. */
  l1i: TlbStatsSnapshot;
  /** L1 data TLB. */
  l1d: TlbStatsSnapshot;
  /** Unified L2 TLB, or null when there is none. */
  l2: TlbStatsSnapshot | null;
}

/**
 * The memory-management unit of one emulated CPU: the front door an emulator's
 * CPU loop calls for every load, store and instruction fetch.
 *
 * It holds the CPU's translation state (root table, ASID, privilege, control
 * bits), looks translations up in its TLB hierarchy, walks the page tables in
 * physical memory on a miss, counts cycles, and turns failures into precise
 * {@link TranslationFault} records. A {@link FaultHandler} may fix the mapping
 * and retry; otherwise the access throws {@link PageFaultError}, which the
 * emulator injects into its guest. A faulting access writes nothing.
 *
 * Like hardware, the TLBs keep a translation after the page tables change,
 * until it is invalidated ({@link Mmu.invalidatePage}, {@link Mmu.sfenceVma},
 * ...). A TLB hit whose permissions do not allow the access (or a write through
 * an entry whose dirty bit was clear) walks again instead of faulting on the
 * stale entry, as a page fault would invalidate it anyway (Intel SDM Vol. 3A
 * §4.10.4.3 allows either).
 *
 * Values: 8/16/32-bit reads return unsigned numbers; 64-bit reads return a
 * `bigint` (the one allocating access: use two 32-bit reads in a hot loop).
 *
 * The access methods are the hot path and validate nothing: a `va` that is
 * not a canonical integer address of the format (NaN, ±Infinity, a fraction,
 * a negative or too large number) faults (`NonCanonical`, x86 `#GP`) and
 * reaches no memory. Arguments of other types are outside the contract (a TLB
 * hit lets JavaScript arithmetic coerce them; a bigint address, or a number
 * given to `write64`, throws the host's `TypeError`). Every other method
 * checks its arguments and throws {@link InvalidArgumentError}.
 *
 * @example
 * ```ts
 * const memory = new PhysicalMemory({ size: 64 << 20 });
 * const tables = new PageTableBuilder(memory, 'x86-64', new FrameAllocator(memory));
 * tables.map(0x40_1000, 0x20_0000, { writable: true }); // VA 0x40_1000 → PA 0x20_0000
 * const mmu = new Mmu({ memory, format: 'x86-64' });
 * mmu.setRoot(tables.root, 1);                          // MOV CR3: the PML4, PCID 1
 * mmu.write32(0x40_1000, 42);                           // TLB miss: a walk, then the store
 * mmu.read32(0x40_1000);                                // 42, from the L1 DTLB
 * memory.read32(0x20_0000);                             // 42
 * mmu.stats().walks;                                    // 1
 * mmu.stats().tlb.l1d.hits;                             // 1
 * ```
 */
export class Mmu {
  /** The physical memory behind this MMU. */
  readonly memory: PhysicalMemory;
  /** The page-table format. */
  readonly format: PageTableFormat;
  /** The TLBs: L1 instruction, L1 data, optional unified L2. */
  readonly tlb: TlbHierarchy;
  /** The hardware walker. */
  readonly walker: PageWalker;
  /** The latencies in use, in cycles (a resolved, frozen copy of the constructor's `cycles` option). */
  readonly cycleModel: Readonly<CycleModel>;
  /** Receives faults before they reach the caller; null for none. */
  faultHandler: FaultHandler | null;
  /** Whether TLB entries are ASID-tagged (see {@link MmuOptions.asids}). */
  readonly asidsEnabled: boolean;
  /** Retry budget per access (see {@link MmuOptions.maxFaultRetries}). */
  readonly maxFaultRetries: number;

  private readonly l1i: Tlb;
  private readonly l1d: Tlb;
  private readonly l2: Tlb | null;
  private readonly view: DataView;
  private readonly ramBase: number;
  private readonly controlState: ControlState;
  private readonly walkResult = new WalkResult();
  private readonly counters = new Float64Array(COUNTER_COUNT);
  /**
   * Translation-cache hits not yet added to the cycle counter: an Int32 increment is cheaper on
   * the hot path than a Float64 add. Each costs l1Hit cycles; {@link Mmu.foldCacheHits} adds them.
   */
  private readonly cacheHits = new Int32Array(1);
  /** Permission table for translation-cache fills: RAM pages only (shared, never written). */
  private fastPerm: Uint8Array = EMPTY_PERMISSIONS;
  /** Permission table for the slow path: any page (shared, never written). */
  private slowPerm: Uint8Array = EMPTY_PERMISSIONS;
  private rootAddress = 0;
  private currentAsid = 0;
  private currentPrivilege: Privilege = Privilege.Supervisor;
  private pagingEnabled = true;
  private rowRead = permRow(Privilege.Supervisor, Access.Read);
  private rowWrite = permRow(Privilege.Supervisor, Access.Write);
  private rowExecute = permRow(Privilege.Supervisor, Access.Execute);
  private readonly l1HitCycles: number;
  private lastFault: TranslationFault | null = null;
  /** The translation caches (one per privilege) and what keeps them coherent with the L1s. */
  private readonly caches: TranslationCaches;
  /** The current privilege's cache, and its arrays in fields of their own for the hot path (set by {@link Mmu.selectCache}). */
  private cache!: TranslationCache;
  private readTag!: Float64Array;
  private writeTag!: Float64Array;
  private fetchTag!: Float64Array;
  private dataAddend!: Float64Array;
  private fetchAddend!: Float64Array;
  private dataEntry!: Int32Array;
  private fetchEntry!: Int32Array;
  /** Accurate mode: a translation-cache hit updates the modelled L1. */
  private exact = true;
  /** Inside a try-accessor: an unresolved fault is recorded and reported, not thrown. */
  private quiet = false;
  /** Set by {@link Mmu.raise} in a try-accessor when the fault it recorded was not resolved. */
  private delivered = false;
  /** False only in tests that need the model without the translation cache in front of it. */
  private fillsCache = true;
  /** Physical address of each page of the bulk access in progress (grown on demand, never shrunk). */
  private bulkPages = new Float64Array(16);
  /** The staging buffer of {@link Mmu.copyBytes}. */
  private bulkScratch = new Uint8Array(0);

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
    this.format = typeof options.format === 'string' ? formatByName(options.format) : requireFormat(options.format);
    const walkCacheOption = options.walkCache;
    if (walkCacheOption !== undefined && walkCacheOption !== null && walkCacheOption !== 'default' && typeof walkCacheOption !== 'object') {
      throw new InvalidArgumentError(`walkCache must be a walk-cache config, null or 'default', got ${String(walkCacheOption)}`);
    }
    // Frozen: the hot path keeps its own copy of l1Hit, so a later change could not reach it.
    this.cycleModel = Object.freeze(resolveCycleModel(options.cycles));
    this.l1HitCycles = this.cycleModel.l1Hit;
    this.controlState = { ...defaultControls() };
    if (options.controls !== undefined) this.mergeControls(options.controls);
    this.tlb = new TlbHierarchy(options.tlb ?? SKYLAKE_TLB);
    this.l1i = this.tlb.l1i;
    this.l1d = this.tlb.l1d;
    this.l2 = this.tlb.l2;
    const walkCache = options.walkCache === 'default' ? undefined : options.walkCache;
    this.walker = createWalker(this.format, this.memory, this.controlState, { ...options.walker, walkCache });
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
    this.selectCache(Privilege.Supervisor);
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
    if (exact && !this.exact) this.caches.clear();
    this.exact = exact;
    this.caches.exact = exact;
  }

  /**
   * The translation cache of the current privilege: the typed arrays an
   * emulator may read to inline the hit check in its own loop (fast mode), as
   * {@link TranslationCache} describes. Fetch it again after {@link Mmu.setPrivilege}.
   */
  get translationCache(): TranslationCache {
    return this.cache;
  }

  /** Points the hot path at the cache of `privilege`. */
  private selectCache(privilege: Privilege): void {
    const cache = this.caches.of(privilege);
    this.cache = cache;
    this.readTag = cache.readTag;
    this.writeTag = cache.writeTag;
    this.fetchTag = cache.fetchTag;
    this.dataAddend = cache.dataAddend;
    this.fetchAddend = cache.fetchAddend;
    this.dataEntry = cache.dataEntry;
    this.fetchEntry = cache.fetchEntry;
  }

  // ---------------------------------------------------------------- state

  /** Physical address of the root page table (x86 CR3 without flag bits; RISC-V satp.PPN × 4096). */
  get root(): number {
    return this.rootAddress;
  }

  /** Current address-space identifier (x86 PCID, RISC-V ASID). */
  get asid(): number {
    return this.currentAsid;
  }

  /** Current privilege of accesses (set by {@link Mmu.setPrivilege}). */
  get privilege(): Privilege {
    return this.currentPrivilege;
  }

  /** Whether translation is on (false: virtual = physical, as with x86 `CR0.PG = 0` or RISC-V Bare / M-mode). */
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
    requireInteger(root, 'root');
    const alignment = this.format.name === 'x86-pae' ? 32 : PAGE_SIZE;
    if (root % alignment !== 0) throw new InvalidArgumentError(`root must be ${alignment}-byte aligned, got 0x${root.toString(16)}`);
    requireInteger(asid, 'asid', 0, 0xffff);
    this.rootAddress = root;
    // The translation cache holds the current ASID's translations (and global ones) only.
    if (asid !== this.currentAsid) this.caches.clear();
    this.currentAsid = asid;
    if (!this.asidsEnabled) {
      this.tlb.invalidateNonGlobal();
      this.walker.invalidateWalkCache(null, null);
    }
  }

  /**
   * Sets the privilege of subsequent accesses (x86 CPL 3 = user; RISC-V U-mode = user).
   * @throws {@link InvalidArgumentError} when not a {@link Privilege} value.
   */
  setPrivilege(privilege: Privilege): void {
    if (privilege !== Privilege.Supervisor && privilege !== Privilege.User) {
      throw new InvalidArgumentError(`privilege must be Privilege.Supervisor (0) or Privilege.User (1), got ${String(privilege)}`);
    }
    this.currentPrivilege = privilege;
    this.rowRead = permRow(privilege, Access.Read);
    this.rowWrite = permRow(privilege, Access.Write);
    this.rowExecute = permRow(privilege, Access.Execute);
    this.selectCache(privilege);
  }

  /**
   * Changes control bits (`CR0.WP`, `EFER.NXE`, `CR4.SMEP/SMAP/PSE/PGE`, `EFLAGS.AC`,
   * sstatus.SUM/MXR, A/D mode). Takes effect on the next access without a TLB
   * flush for the bits checked at access time (WP, SMEP, SMAP, AC, SUM, MXR).
   * Changing NXE, PSE or PGE changes what walks produce; like the hardware
   * (SDM §4.10.4.1: a CR4 write that changes PGE flushes), the MMU flushes the
   * TLBs and walk caches for those.
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
    const state = this.controlState;
    const { nxe, pse, pge } = state;
    this.mergeControls(changes);
    if (nxe !== state.nxe || pse !== state.pse || pge !== state.pge) this.invalidateAll();
    this.rebuildPermissionTables();
    // What the slots allow was decided under the old bits.
    this.caches.clear();
  }

  /**
   * Turns translation on or off. Off: every virtual address is its physical
   * address, no TLB or walk is involved (each access costs `l1Hit` cycles).
   * Both directions flush the TLBs.
   * @param enabled - x86 `CR0.PG`; RISC-V `satp.MODE` ≠ Bare.
   * @throws {@link InvalidArgumentError} when `enabled` is not a boolean.
   */
  setPaging(enabled: boolean): void {
    if (typeof enabled !== 'boolean') throw new InvalidArgumentError('enabled must be a boolean');
    this.pagingEnabled = enabled;
    this.invalidateAll();
    this.caches.clear();
  }

  // ---------------------------------------------------------------- hot path
  //
  // Every accessor first tries the translation cache of the current privilege (one slot per
  // 4 KiB page, see TranslationCache): a tag equal to the page of `va` means the access is
  // allowed, reaches RAM, and does not cross the page. In accurate mode the hit then does what
  // an L1 TLB hit does to the model (replacement state, hit count); in fast mode it does not.
  // Anything else takes the slow path, which looks the TLBs up, walks, faults, and fills the
  // slot when it can.

  /**
   * Reads an unsigned byte at virtual address `va`.
   *
   * Every accessor (`read*`, `write*`, `fetch*`, {@link Mmu.translate}) takes a
   * virtual address in bytes, an integer below 2^vaBits of the format (the
   * canonical sign extension implied; see the Concepts guide), and may throw:
   *
   * @throws {@link PageFaultError} when the access faults and no handler resolves it (nothing is written).
   * @throws {@link FaultLoopError} when the fault handler answers Retry more than `maxFaultRetries` times in a row.
   * @throws whatever the fault handler throws: a {@link Kernel}'s CPUs throw {@link WindowsExceptionError}.
   */
  read8(va: number): number {
    const value = this.tryRead8(va);
    if (value === FAULTED) this.throwLastFault();
    return value;
  }

  /**
   * {@link Mmu.read8} without the exception: returns {@link FAULTED} (-1) when
   * the access faults and no handler resolves it, leaving the fault in
   * {@link Mmu.lastFaultRecord}.
   * @throws {@link FaultLoopError}, or what the fault handler throws, as {@link Mmu.read8}.
   */
  tryRead8(va: number): number {
    const i = (va >>> 12) & SLOT_MASK;
    if (this.readTag[i] === va - (va & PAGE_MASK)) {
      if (this.exact) this.touchData(i);
      if (++this.cacheHits[0] === HIT_FOLD) this.foldCacheHits();
      return this.view.getUint8(va + this.dataAddend[i]);
    }
    return this.quietRead(va, 1, Access.Read);
  }


  /**
   * Reads an unsigned little-endian 16-bit value (may cross a page boundary).
   * @throws {@link PageFaultError}, {@link FaultLoopError} as {@link Mmu.read8}.
   */
  read16(va: number): number {
    const value = this.tryRead16(va);
    if (value === FAULTED) this.throwLastFault();
    return value;
  }

  /**
   * {@link Mmu.read16} without the exception: returns {@link FAULTED} (-1) when
   * the access faults and no handler resolves it, leaving the fault in
   * {@link Mmu.lastFaultRecord}.
   * @throws {@link FaultLoopError}, or what the fault handler throws, as {@link Mmu.read8}.
   */
  tryRead16(va: number): number {
    const i = (va >>> 12) & SLOT_MASK;
    if (this.readTag[i] === va - (va & PAGE_MASK) && (va & PAGE_MASK) <= PAGE_SIZE - 2) {
      if (this.exact) this.touchData(i);
      if (++this.cacheHits[0] === HIT_FOLD) this.foldCacheHits();
      return this.view.getUint16(va + this.dataAddend[i], true);
    }
    return this.quietRead(va, 2, Access.Read);
  }


  /**
   * Reads an unsigned little-endian 32-bit value (may cross a page boundary).
   * @throws {@link PageFaultError}, {@link FaultLoopError} as {@link Mmu.read8}.
   */
  read32(va: number): number {
    const value = this.tryRead32(va);
    if (value === FAULTED) this.throwLastFault();
    return value;
  }

  /**
   * {@link Mmu.read32} without the exception: returns {@link FAULTED} (-1) when
   * the access faults and no handler resolves it, leaving the fault in
   * {@link Mmu.lastFaultRecord}.
   * @throws {@link FaultLoopError}, or what the fault handler throws, as {@link Mmu.read8}.
   */
  tryRead32(va: number): number {
    const i = (va >>> 12) & SLOT_MASK;
    if (this.readTag[i] === va - (va & PAGE_MASK) && (va & PAGE_MASK) <= PAGE_SIZE - 4) {
      if (this.exact) this.touchData(i);
      if (++this.cacheHits[0] === HIT_FOLD) this.foldCacheHits();
      return this.view.getUint32(va + this.dataAddend[i], true);
    }
    return this.quietRead(va, 4, Access.Read);
  }


  /**
   * Reads a little-endian 64-bit value as an unsigned bigint (the one allocating accessor).
   * @throws {@link PageFaultError}, {@link FaultLoopError} as {@link Mmu.read8}.
   */
  read64(va: number): bigint {
    const i = (va >>> 12) & SLOT_MASK;
    if (this.readTag[i] === va - (va & PAGE_MASK) && (va & PAGE_MASK) <= PAGE_SIZE - 8) {
      if (this.exact) this.touchData(i);
      if (++this.cacheHits[0] === HIT_FOLD) this.foldCacheHits();
      return this.view.getBigUint64(va + this.dataAddend[i], true);
    }
    return this.slowRead64(va);
  }

  /**
   * Writes the low 8 bits of `value`.
   * @throws {@link PageFaultError}, {@link FaultLoopError} as {@link Mmu.read8}; nothing is written then.
   */
  write8(va: number, value: number): void {
    if (!this.tryWrite8(va, value)) this.throwLastFault();
  }

  /**
   * {@link Mmu.write8} without the exception: returns false when the access
   * faults and no handler resolves it, leaving the fault in
   * {@link Mmu.lastFaultRecord} (nothing is written).
   * @throws {@link FaultLoopError}, or what the fault handler throws, as {@link Mmu.read8}.
   */
  tryWrite8(va: number, value: number): boolean {
    const i = (va >>> 12) & SLOT_MASK;
    if (this.writeTag[i] === va - (va & PAGE_MASK)) {
      if (this.exact) this.touchData(i);
      if (++this.cacheHits[0] === HIT_FOLD) this.foldCacheHits();
      this.view.setUint8(va + this.dataAddend[i], value);
      return true;
    }
    return this.quietWrite(va, 1, value & 0xff);
  }


  /**
   * Writes the low 16 bits of `value`, little-endian. A write that crosses a
   * page boundary translates both pages before writing any byte.
   * @throws {@link PageFaultError}, {@link FaultLoopError} as {@link Mmu.read8}; nothing is written then.
   */
  write16(va: number, value: number): void {
    if (!this.tryWrite16(va, value)) this.throwLastFault();
  }

  /**
   * {@link Mmu.write16} without the exception: returns false when the access
   * faults and no handler resolves it, leaving the fault in
   * {@link Mmu.lastFaultRecord} (nothing is written).
   * @throws {@link FaultLoopError}, or what the fault handler throws, as {@link Mmu.read8}.
   */
  tryWrite16(va: number, value: number): boolean {
    const i = (va >>> 12) & SLOT_MASK;
    if (this.writeTag[i] === va - (va & PAGE_MASK) && (va & PAGE_MASK) <= PAGE_SIZE - 2) {
      if (this.exact) this.touchData(i);
      if (++this.cacheHits[0] === HIT_FOLD) this.foldCacheHits();
      this.view.setUint16(va + this.dataAddend[i], value, true);
      return true;
    }
    return this.quietWrite(va, 2, value & 0xffff);
  }


  /**
   * Writes the low 32 bits of `value`, little-endian. A write that crosses a
   * page boundary translates both pages before writing any byte.
   * @throws {@link PageFaultError}, {@link FaultLoopError} as {@link Mmu.read8}; nothing is written then.
   */
  write32(va: number, value: number): void {
    if (!this.tryWrite32(va, value)) this.throwLastFault();
  }

  /**
   * {@link Mmu.write32} without the exception: returns false when the access
   * faults and no handler resolves it, leaving the fault in
   * {@link Mmu.lastFaultRecord} (nothing is written).
   * @throws {@link FaultLoopError}, or what the fault handler throws, as {@link Mmu.read8}.
   */
  tryWrite32(va: number, value: number): boolean {
    const i = (va >>> 12) & SLOT_MASK;
    if (this.writeTag[i] === va - (va & PAGE_MASK) && (va & PAGE_MASK) <= PAGE_SIZE - 4) {
      if (this.exact) this.touchData(i);
      if (++this.cacheHits[0] === HIT_FOLD) this.foldCacheHits();
      this.view.setUint32(va + this.dataAddend[i], value, true);
      return true;
    }
    return this.quietWrite(va, 4, value >>> 0);
  }


  /**
   * Writes the low 64 bits of `value`, little-endian. A write that crosses a
   * page boundary translates both pages before writing any byte.
   * @throws {@link PageFaultError}, {@link FaultLoopError} as {@link Mmu.read8}; nothing is written then.
   */
  write64(va: number, value: bigint): void {
    const i = (va >>> 12) & SLOT_MASK;
    if (this.writeTag[i] === va - (va & PAGE_MASK) && (va & PAGE_MASK) <= PAGE_SIZE - 8) {
      if (this.exact) this.touchData(i);
      if (++this.cacheHits[0] === HIT_FOLD) this.foldCacheHits();
      this.view.setBigUint64(va + this.dataAddend[i], value, true);
      return;
    }
    this.slowWrite64(va, value);
  }

  /**
   * Fetches 32 bits of instruction stream at `va` through the instruction TLB
   * (an execute access). Alias of {@link Mmu.fetch32}.
   * @throws {@link PageFaultError}, {@link FaultLoopError} as {@link Mmu.read8}.
   */
  fetch(va: number): number {
    return this.fetch32(va);
  }

  /**
   * Fetches an instruction byte (x86 decoders fetch byte by byte) through the instruction TLB.
   * @throws {@link PageFaultError}, {@link FaultLoopError} as {@link Mmu.read8}.
   */
  fetch8(va: number): number {
    const value = this.tryFetch8(va);
    if (value === FAULTED) this.throwLastFault();
    return value;
  }

  /**
   * {@link Mmu.fetch8} without the exception: returns {@link FAULTED} (-1) when
   * the access faults and no handler resolves it, leaving the fault in
   * {@link Mmu.lastFaultRecord}.
   * @throws {@link FaultLoopError}, or what the fault handler throws, as {@link Mmu.read8}.
   */
  tryFetch8(va: number): number {
    const i = (va >>> 12) & SLOT_MASK;
    if (this.fetchTag[i] === va - (va & PAGE_MASK)) {
      if (this.exact) this.touchFetch(i);
      if (++this.cacheHits[0] === HIT_FOLD) this.foldCacheHits();
      return this.view.getUint8(va + this.fetchAddend[i]);
    }
    return this.quietRead(va, 1, Access.Execute);
  }


  /**
   * Fetches a 16-bit instruction parcel (RISC-V C extension) through the instruction TLB.
   * @throws {@link PageFaultError}, {@link FaultLoopError} as {@link Mmu.read8}.
   */
  fetch16(va: number): number {
    const value = this.tryFetch16(va);
    if (value === FAULTED) this.throwLastFault();
    return value;
  }

  /**
   * {@link Mmu.fetch16} without the exception: returns {@link FAULTED} (-1) when
   * the access faults and no handler resolves it, leaving the fault in
   * {@link Mmu.lastFaultRecord}.
   * @throws {@link FaultLoopError}, or what the fault handler throws, as {@link Mmu.read8}.
   */
  tryFetch16(va: number): number {
    const i = (va >>> 12) & SLOT_MASK;
    if (this.fetchTag[i] === va - (va & PAGE_MASK) && (va & PAGE_MASK) <= PAGE_SIZE - 2) {
      if (this.exact) this.touchFetch(i);
      if (++this.cacheHits[0] === HIT_FOLD) this.foldCacheHits();
      return this.view.getUint16(va + this.fetchAddend[i], true);
    }
    return this.quietRead(va, 2, Access.Execute);
  }


  /**
   * Fetches 32 bits of instruction stream, little-endian, through the instruction TLB.
   * @throws {@link PageFaultError}, {@link FaultLoopError} as {@link Mmu.read8}.
   */
  fetch32(va: number): number {
    const value = this.tryFetch32(va);
    if (value === FAULTED) this.throwLastFault();
    return value;
  }

  /**
   * {@link Mmu.fetch32} without the exception: returns {@link FAULTED} (-1) when
   * the access faults and no handler resolves it, leaving the fault in
   * {@link Mmu.lastFaultRecord}.
   * @throws {@link FaultLoopError}, or what the fault handler throws, as {@link Mmu.read8}.
   */
  tryFetch32(va: number): number {
    const i = (va >>> 12) & SLOT_MASK;
    if (this.fetchTag[i] === va - (va & PAGE_MASK) && (va & PAGE_MASK) <= PAGE_SIZE - 4) {
      if (this.exact) this.touchFetch(i);
      if (++this.cacheHits[0] === HIT_FOLD) this.foldCacheHits();
      return this.view.getUint32(va + this.fetchAddend[i], true);
    }
    return this.quietRead(va, 4, Access.Execute);
  }


  /**
   * The slow path of a read or fetch that reports a fault instead of throwing
   * it: {@link Mmu.raise} records an unresolved fault and answers RETRY, so
   * every step below unwinds as for a retry, and `delivered` says it was not one.
   */
  private quietRead(va: number, size: 1 | 2 | 4, access: Access): number {
    this.quiet = true;
    try {
      for (let attempt = 0; ; attempt++) {
        const value = this.tryRead(va, size, access);
        if (this.delivered) {
          this.delivered = false;
          return FAULTED;
        }
        if (value !== RETRY) return value;
        this.checkRetryBudget(attempt);
      }
    } finally {
      this.quiet = false;
    }
  }

  /** The slow path of a write that reports a fault instead of throwing it (see {@link Mmu.quietRead}). */
  private quietWrite(va: number, size: 1 | 2 | 4, value: number): boolean {
    this.quiet = true;
    try {
      for (let attempt = 0; ; attempt++) {
        const written = this.tryWrite(va, size, value);
        if (this.delivered) {
          this.delivered = false;
          return false;
        }
        if (written) return true;
        this.checkRetryBudget(attempt);
      }
    } finally {
      this.quiet = false;
    }
  }

  /** Throws the fault a try-accessor left in {@link Mmu.lastFaultRecord}, as the throwing accessors report it. */
  private throwLastFault(): never {
    throw pageFaultError(this.lastFault!);
  }

  /** Adds the translation-cache hits counted so far to the cycle counter, at l1Hit cycles each. */
  private foldCacheHits(): void {
    this.counters[CYCLES] += this.cacheHits[0] * this.l1HitCycles;
    this.cacheHits[0] = 0;
  }

  /** An accurate-mode data hit: what the L1 DTLB lookup that the slot stands for would have done. */
  private touchData(i: number): void {
    const e = this.dataEntry[i];
    if (e >= 0) this.l1d.touchHit(e);
  }

  /** An accurate-mode fetch hit on the L1 ITLB. */
  private touchFetch(i: number): void {
    const e = this.fetchEntry[i];
    if (e >= 0) this.l1i.touchHit(e);
  }

  /**
   * Translates `va` for an access without performing it, for emulators that do
   * their own loads and stores. Costs and side effects are those of the access:
   * TLB lookups, a walk on a miss (setting A, and D for a write), cycles, and
   * faults through the handler.
   *
   * @param va - the virtual address.
   * @param access - the access to translate for.
   * @returns the physical address.
   * @throws {@link PageFaultError} when the translation faults and no handler resolves it.
   * @throws {@link FaultLoopError} as {@link Mmu.read8}.
   * @throws {@link InvalidArgumentError} when `access` is not an {@link Access} value.
   *
   * @example
   * ```ts
   * const memory = new PhysicalMemory({ size: 1 << 20 });
   * const tables = new PageTableBuilder(memory, 'x86-64', new FrameAllocator(memory));
   * tables.map(0x40_0000, 0x9000, { executable: true });
   * const mmu = new Mmu({ memory, format: 'x86-64' });
   * mmu.setRoot(tables.root, 1);
   * mmu.translate(0x40_0abc, Access.Execute); // 0x9abc
   * mmu.stats().tlb.l1i.misses;               // 1: an execute access fills the ITLB
   * ```
   */
  translate(va: number, access: Access): number {
    if (access !== Access.Read && access !== Access.Write && access !== Access.Execute) {
      throw new InvalidArgumentError(`access must be Access.Read, Access.Write or Access.Execute, got ${String(access)}`);
    }
    for (let attempt = 0; ; attempt++) {
      const pa = this.resolve(va, access);
      if (pa !== RETRY) return pa;
      this.checkRetryBudget(attempt);
    }
  }

  /**
   * {@link Mmu.translate} without the exception: returns {@link FAULTED} (-1)
   * when the translation faults and no handler resolves it, leaving the fault
   * in {@link Mmu.lastFaultRecord}.
   *
   * @param va - the virtual address.
   * @param access - the access to translate for.
   * @returns the physical address, or {@link FAULTED}.
   * @throws {@link InvalidArgumentError} when `access` is not an {@link Access} value.
   * @throws {@link FaultLoopError}, or what the fault handler throws, as {@link Mmu.read8}.
   */
  tryTranslate(va: number, access: Access): number {
    if (access !== Access.Read && access !== Access.Write && access !== Access.Execute) {
      throw new InvalidArgumentError(`access must be Access.Read, Access.Write or Access.Execute, got ${String(access)}`);
    }
    this.quiet = true;
    try {
      for (let attempt = 0; ; attempt++) {
        const pa = this.resolve(va, access);
        if (this.delivered) {
          this.delivered = false;
          return FAULTED;
        }
        if (pa !== RETRY) return pa;
        this.checkRetryBudget(attempt);
      }
    } finally {
      this.quiet = false;
    }
  }

  // ---------------------------------------------------------------- bulk access

  /**
   * Reads `length` bytes starting at virtual address `va`, translating each
   * 4 KiB page once instead of once per access: for loaders, DMA, debuggers
   * and hashing guest memory.
   *
   * Every page of the range is translated (as a read, with the permission
   * rules, A-bit updates, TLB fills, cycles and fault handling of {@link Mmu.read8})
   * before any byte is copied, so a page fault leaves `into` untouched. After a
   * fault that the handler resolved, the whole range is translated once more,
   * so no translation used predates the handler's change. Cycles: one access
   * per page (an L1 hit, an L2 hit or a walk), not one per byte.
   *
   * @param va - virtual address of the first byte.
   * @param length - number of bytes, an integer in [0, 2^30].
   * @param into - where to put them (default: a new array); at least `length` bytes long.
   * @returns `into` (its first `length` bytes hold the data).
   * @throws {@link PageFaultError} at the first byte of the first page that faults and is not resolved.
   * @throws {@link FaultLoopError}, or what the fault handler throws, as {@link Mmu.read8}.
   * @throws {@link InvalidArgumentError} on a bad `length` or `into` (nothing is translated).
   *
   * @example
   * ```ts
   * const memory = new PhysicalMemory({ size: 1 << 20 });
   * const tables = new PageTableBuilder(memory, 'x86-64', new FrameAllocator(memory));
   * tables.map(0x40_0000, 0x8000, { writable: true });
   * tables.map(0x40_1000, 0x3000, { writable: true });  // not contiguous in physical memory
   * const mmu = new Mmu({ memory, format: 'x86-64' });
   * mmu.setRoot(tables.root, 1);
   * mmu.writeBytes(0x40_0ffe, new Uint8Array([1, 2, 3, 4]));
   * [...mmu.readBytes(0x40_0ffe, 4)];           // [1, 2, 3, 4]
   * [memory.read8(0x8fff), memory.read8(0x3000)]; // [2, 3]
   * ```
   */
  readBytes(va: number, length: number, into: Uint8Array = new Uint8Array(requireBulkLength(length))): Uint8Array {
    requireBulkLength(length);
    if (!(into instanceof Uint8Array) || into.length < length) {
      throw new InvalidArgumentError(`into must be a Uint8Array of at least ${length} bytes`);
    }
    this.translateRange(va, length, Access.Read, 0);
    this.copyRange(va, length, 0, into, false);
    return into;
  }

  /**
   * Writes `data` starting at virtual address `va`, translating each 4 KiB page
   * once. Every page is translated as a write (permissions, D bits,
   * copy-on-write and demand-zero faults through the handler) before any byte
   * is written, so a page fault writes nothing; translation and cycles are as
   * for {@link Mmu.readBytes}. A page that maps ROM or MMIO is written through
   * the physical address map; a bus error there raises a fault at that page
   * after the pages before it were written, as for a page-crossing
   * {@link Mmu.write32}.
   *
   * @param va - virtual address of the first byte.
   * @param data - the bytes, at most 2^30 of them.
   * @throws {@link PageFaultError} at the first byte of the first page that faults and is not resolved.
   * @throws {@link FaultLoopError}, or what the fault handler throws, as {@link Mmu.read8}.
   * @throws {@link InvalidArgumentError} when `data` is not a Uint8Array of at most 2^30 bytes.
   */
  writeBytes(va: number, data: Uint8Array): void {
    if (!(data instanceof Uint8Array)) throw new InvalidArgumentError('data must be a Uint8Array');
    requireBulkLength(data.length);
    this.translateRange(va, data.length, Access.Write, 0);
    this.copyRange(va, data.length, 0, data, true);
  }

  /**
   * Copies `length` bytes from virtual address `from` to virtual address `to`
   * (a guest `memmove`: the result is as if the source were read whole before
   * the destination is written, even when the two ranges share frames). Both
   * ranges are translated, the source as reads and the destination as
   * writes, before any byte moves, so a fault writes nothing.
   *
   * @param to - virtual address of the destination.
   * @param from - virtual address of the source.
   * @param length - number of bytes, an integer in [0, 2^30].
   * @throws {@link PageFaultError}, {@link FaultLoopError}, {@link InvalidArgumentError} as {@link Mmu.writeBytes}.
   */
  copyBytes(to: number, from: number, length: number): void {
    requireBulkLength(length);
    const sourcePages = pagesSpanned(from, length);
    // Translate both ranges into one page list: the source's first, then the destination's.
    this.translateRange(from, length, Access.Read, 0);
    // A fault resolved for the destination may have changed the source's mappings: translate both
    // again, until a round resolves no fault.
    for (let round = 0; this.translateRange(to, length, Access.Write, sourcePages); round++) {
      this.checkRetryBudget(round);
      this.translateRange(from, length, Access.Read, 0);
    }
    if (this.bulkScratch.length < length) this.bulkScratch = new Uint8Array(Math.max(length, this.bulkScratch.length * 2));
    const scratch = this.bulkScratch;
    this.copyRange(from, length, 0, scratch, false);
    this.copyRange(to, length, sourcePages, scratch, true);
  }

  /**
   * Translates every page of [va, va + length) for `access` into
   * `bulkPages[first…]`, repeating the whole range after a pass in which a
   * fault was resolved. Returns whether any pass resolved a fault.
   */
  private translateRange(va: number, length: number, access: Access, first: number): boolean {
    const count = pagesSpanned(va, length);
    if (this.bulkPages.length < first + count) {
      const grown = new Float64Array(Math.max(first + count, this.bulkPages.length * 2));
      grown.set(this.bulkPages);
      this.bulkPages = grown;
    }
    const pages = this.bulkPages;
    let anyFault = false;
    for (let pass = 0; ; pass++) {
      let faulted = false;
      for (let i = 0; i < count; i++) {
        const pageVa = i === 0 ? va : va - (va & PAGE_MASK) + i * PAGE_SIZE;
        for (let attempt = 0; ; attempt++) {
          const pa = this.resolve(pageVa, access);
          if (pa !== RETRY) {
            pages[first + i] = pa;
            break;
          }
          faulted = true;
          this.checkRetryBudget(attempt);
        }
      }
      anyFault ||= faulted;
      if (!faulted) break;
      this.checkRetryBudget(pass);
    }
    return anyFault;
  }

  /**
   * Copies between `buffer` and the translated range: runs of pages that are
   * contiguous in RAM in one typed-array copy, anything else page by page
   * through the physical address map.
   */
  private copyRange(va: number, length: number, first: number, buffer: Uint8Array, toMemory: boolean): void {
    const pages = this.bulkPages;
    const ram = this.memory.bytes;
    const ramSize = this.memory.ramSize;
    let done = 0;
    let i = first;
    while (done < length) {
      const o = pages[i] - this.ramBase;
      let run = Math.min(length - done, PAGE_SIZE - ((va + done) & PAGE_MASK));
      i++;
      if (o >= 0 && o + run <= ramSize) {
        // Extend the run over the following pages while they continue it in RAM.
        while (done + run < length && pages[i] - this.ramBase === o + run) {
          const next = Math.min(length - done - run, PAGE_SIZE);
          if (o + run + next > ramSize) break;
          run += next;
          i++;
        }
        if (toMemory) ram.set(buffer.subarray(done, done + run), o);
        else buffer.set(ram.subarray(o, o + run), done);
      } else {
        this.copyOutsideRam(pages[i - 1], va + done, buffer.subarray(done, done + run), toMemory);
      }
      done += run;
    }
  }

  /**
   * One page of a bulk access that reaches ROM, MMIO or nothing, through the
   * physical address map. A bus error is a fault at `va`; when the handler
   * resolves it, the page is translated again and copied again.
   */
  private copyOutsideRam(pa: number, va: number, bytes: Uint8Array, toMemory: boolean): void {
    const access = toMemory ? Access.Write : Access.Read;
    for (let attempt = 0; ; attempt++) {
      try {
        if (toMemory) this.memory.writeBytes(pa, bytes);
        else bytes.set(this.memory.readBytes(pa, bytes.length));
        return;
      } catch (error) {
        if (!(error instanceof PhysicalAccessError)) throw error;
        this.raise(FaultReason.BusError, va, access, -1, pa); // throws unless resolved
      }
      this.checkRetryBudget(attempt);
      pa = this.translate(va, access);
    }
  }

  // ---------------------------------------------------------------- invalidation

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
    this.tlb.invalidatePage(va, this.currentAsid, true);
    this.walker.invalidateWalkCache(va, this.currentAsid);
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
    if (va === null && asid === null) {
      this.invalidateAll();
      return;
    }
    if (va !== null) requireVirtual(va);
    if (asid === null) {
      this.tlb.invalidatePage(va as number, ANY_ASID, true);
      this.walker.invalidateWalkCache(va, null);
      return;
    }
    requireInteger(asid, 'asid', 0, 0xffff);
    if (va === null) {
      this.tlb.invalidateAsid(asid);
      this.walker.invalidateWalkCache(null, asid);
      return;
    }
    this.tlb.invalidatePage(va, asid, false);
    this.walker.invalidateWalkCache(va, asid);
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
    this.tlb.invalidatePage(va, asid, false);
    this.walker.invalidateWalkCache(va, asid);
  }

  /**
   * Drops every non-global translation of `asid` (x86 INVPCID type 1), and its walk-cache entries.
   * @throws {@link InvalidArgumentError} when `asid` is not an integer in [0, 65535].
   */
  invalidateAsid(asid: number): void {
    requireInteger(asid, 'asid', 0, 0xffff);
    this.tlb.invalidateAsid(asid);
    this.walker.invalidateWalkCache(null, asid);
  }

  /** Drops every translation, global ones included, and every walk-cache entry. */
  invalidateAll(): void {
    this.tlb.invalidateAll();
    this.walker.invalidateWalkCache(null, null);
  }

  /** Drops every non-global translation (a CR3 write without PCIDs) and every walk-cache entry. */
  invalidateNonGlobal(): void {
    this.tlb.invalidateNonGlobal();
    this.walker.invalidateWalkCache(null, null);
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

  /** The last fault raised (resolved or not), or null. */
  get lastFaultRecord(): TranslationFault | null {
    return this.lastFault;
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

  // ---------------------------------------------------------------- slow path

  private mergeControls(changes: Partial<ControlState>): void {
    if (changes === null || typeof changes !== 'object') throw new InvalidArgumentError('controls must be an object');
    requireKnownKeys(changes, CONTROL_KEYS, 'ControlState');
    const bits = changes as Record<string, unknown>;
    for (const key in bits) {
      if (typeof bits[key] !== 'boolean') throw new InvalidArgumentError(`control bit '${key}' must be a boolean`);
    }
    Object.assign(this.controlState, changes);
  }

  /** Points the MMU at the permission tables of its architecture and control bits, built once per combination. */
  private rebuildPermissionTables(): void {
    const arch = this.format.architecture;
    const c = this.controlState;
    // One bit per control: PERMISSION_KEY_BITS is checked against ControlState's keys at load.
    const key =
      (arch === 'x86' ? 1 : 0) | (+c.wp << 1) | (+c.nxe << 2) | (+c.smep << 3) | (+c.smap << 4) | (+c.ac << 5) |
      (+c.pse << 6) | (+c.pge << 7) | (+c.sum << 8) | (+c.mxr << 9) | (+c.hardwareAD << 10);
    let tables = PERMISSION_TABLES.get(key);
    if (tables === undefined) {
      const fast = new Uint8Array(PERM_CLASSES * 6);
      const slow = new Uint8Array(PERM_CLASSES * 6);
      buildPermissionTable(arch, this.controlState, fast, false);
      buildPermissionTable(arch, this.controlState, slow, true);
      tables = { fast, slow };
      PERMISSION_TABLES.set(key, tables);
    }
    this.fastPerm = tables.fast;
    this.slowPerm = tables.slow;
  }

  private checkRetryBudget(attempt: number): void {
    if (attempt >= this.maxFaultRetries) throw new FaultLoopError(this.lastFault!);
  }

  /** One attempt at a read: translates every page it touches first, then reads. */
  private tryRead(va: number, size: number, access: Access): number {
    const offset = va & PAGE_MASK;
    const pa = this.resolve(va, access);
    if (pa === RETRY) return RETRY;
    if (offset + size <= PAGE_SIZE) return this.physicalRead(pa, size as 1 | 2 | 4, va, access);
    const first = PAGE_SIZE - offset;
    const pa2 = this.resolve(va + first, access);
    if (pa2 === RETRY) return RETRY;
    let value = 0;
    for (let i = size - 1; i >= 0; i--) {
      const byte = i < first ? this.physicalRead(pa + i, 1, va + i, access) : this.physicalRead(pa2 + i - first, 1, va + i, access);
      if (byte === RETRY) return RETRY;
      value = value * 256 + byte;
    }
    return value;
  }

  private slowRead64(va: number): bigint {
    for (let attempt = 0; ; attempt++) {
      const offset = va & PAGE_MASK;
      const pa = this.resolve(va, Access.Read);
      if (pa !== RETRY) {
        let lo: number;
        let hi: number;
        if (offset <= PAGE_SIZE - 8) {
          lo = this.physicalRead(pa, 4, va, Access.Read);
          hi = lo === RETRY ? RETRY : this.physicalRead(pa + 4, 4, va + 4, Access.Read);
        } else {
          const first = PAGE_SIZE - offset;
          const pa2 = this.resolve(va + first, Access.Read);
          lo = hi = 0;
          for (let i = 7; i >= 0 && pa2 !== RETRY; i--) {
            const byte = i < first ? this.physicalRead(pa + i, 1, va + i, Access.Read) : this.physicalRead(pa2 + i - first, 1, va + i, Access.Read);
            if (byte === RETRY) {
              hi = RETRY;
              break;
            }
            if (i >= 4) hi = hi * 256 + byte;
            else lo = lo * 256 + byte;
          }
          if (pa2 === RETRY) hi = RETRY;
        }
        if (lo !== RETRY && hi !== RETRY) return (BigInt(hi) << 32n) | BigInt(lo);
      }
      this.checkRetryBudget(attempt);
    }
  }

  /** One attempt at a write: translates every page it touches before writing any byte. */
  private tryWrite(va: number, size: number, value: number): boolean {
    const offset = va & PAGE_MASK;
    const pa = this.resolve(va, Access.Write);
    if (pa === RETRY) return false;
    if (offset + size <= PAGE_SIZE) return this.physicalWrite(pa, size as 1 | 2 | 4, value, va);
    const first = PAGE_SIZE - offset;
    const pa2 = this.resolve(va + first, Access.Write);
    if (pa2 === RETRY) return false;
    for (let i = 0; i < size; i++) {
      const byte = Math.floor(value / 2 ** (8 * i)) & 0xff;
      const target = i < first ? pa + i : pa2 + i - first;
      if (!this.physicalWrite(target, 1, byte, va + i)) return false;
    }
    return true;
  }

  private slowWrite64(va: number, value: bigint): void {
    const lo = Number(value & 0xffff_ffffn);
    const hi = Number((value >> 32n) & 0xffff_ffffn);
    for (let attempt = 0; ; attempt++) {
      if (this.tryWrite64(va, lo, hi)) return;
      this.checkRetryBudget(attempt);
    }
  }

  /** One attempt at a 64-bit write: both pages translated before any byte is written. */
  private tryWrite64(va: number, lo: number, hi: number): boolean {
    const offset = va & PAGE_MASK;
    const pa = this.resolve(va, Access.Write);
    if (pa === RETRY) return false;
    if (offset <= PAGE_SIZE - 8) return this.physicalWrite(pa, 4, lo, va) && this.physicalWrite(pa + 4, 4, hi, va + 4);
    const first = PAGE_SIZE - offset;
    const pa2 = this.resolve(va + first, Access.Write);
    if (pa2 === RETRY) return false;
    for (let i = 0; i < 8; i++) {
      const byte = ((i < 4 ? lo : hi) >>> (8 * (i & 3))) & 0xff;
      const target = i < first ? pa + i : pa2 + i - first;
      if (!this.physicalWrite(target, 1, byte, va + i)) return false;
    }
    return true;
  }

  /** Reads physical memory for a translated access; a bus error becomes an access fault. */
  private physicalRead(pa: number, size: 1 | 2 | 4, va: number, access: Access): number {
    const o = pa - this.ramBase;
    if (o >= 0 && o + size <= this.memory.ramSize) {
      return size === 4 ? this.view.getUint32(o, true) : size === 2 ? this.view.getUint16(o, true) : this.view.getUint8(o);
    }
    try {
      return size === 4 ? this.memory.read32(pa) : size === 2 ? this.memory.read16(pa) : this.memory.read8(pa);
    } catch (error) {
      if (!(error instanceof PhysicalAccessError)) throw error;
      return this.raise(FaultReason.BusError, va, access, -1, pa);
    }
  }

  /** Writes physical memory for a translated access; returns false when a bus error was resolved and the access must restart. */
  private physicalWrite(pa: number, size: 1 | 2 | 4, value: number, va: number): boolean {
    const o = pa - this.ramBase;
    if (o >= 0 && o + size <= this.memory.ramSize) {
      if (size === 4) this.view.setUint32(o, value, true);
      else if (size === 2) this.view.setUint16(o, value, true);
      else this.view.setUint8(o, value);
      return true;
    }
    try {
      if (size === 4) this.memory.write32(pa, value);
      else if (size === 2) this.memory.write16(pa, value);
      else this.memory.write8(pa, value);
      return true;
    } catch (error) {
      if (!(error instanceof PhysicalAccessError)) throw error;
      this.raise(FaultReason.BusError, va, Access.Write, -1, pa);
      return false;
    }
  }

  /**
   * Translates one address through the L1, the L2 and a walk, and fills the
   * translation cache's slot for it when the page allows. Returns the physical
   * address, or RETRY when a fault was raised and resolved.
   */
  private resolve(va: number, access: Access): number {
    if (!this.pagingEnabled) {
      this.counters[CYCLES] += this.cycleModel.l1Hit;
      if (!Number.isSafeInteger(va) || va < 0) return this.raise(FaultReason.NonCanonical, va, access, -1, -1);
      const pageVa = va - (va & PAGE_MASK);
      // Paging off: no TLB takes part, and a RAM page's slot is an identity translation.
      if (this.fillsCache && this.memory.isRam(pageVa, PAGE_SIZE)) {
        if (access === Access.Execute) this.cache.fillFetch(pageVa, -this.ramBase, -1, 12);
        else this.cache.fillData(pageVa, -this.ramBase, -1, 12, true, true);
      }
      return va;
    }
    const instruction = access === Access.Execute;
    const l1 = instruction ? this.l1i : this.l1d;
    const row = rowUnchecked(this.currentPrivilege, access);
    const e = l1.lookup(va, this.currentAsid);
    if (e >= 0) {
      this.counters[CYCLES] += this.cycleModel.l1Hit;
      if (this.slowPerm[row + l1.perm[e]] === 1) {
        this.cacheSlot(l1, e, va, instruction, false);
        return l1.pageBase[e] + (va - l1.tag[e]);
      }
      // Not allowed by the cached entry (or a write through a clean one): walk again.
    } else if (this.l2 !== null) {
      this.counters[CYCLES] += this.cycleModel.l2Hit;
      const e2 = this.l2.lookup(va, this.currentAsid);
      if (e2 >= 0 && this.slowPerm[row + this.l2.perm[e2]] === 1) {
        const e1 = this.tlb.promote(e2, va, instruction);
        this.cacheSlot(l1, e1, va, instruction, true);
        return this.l2.pageBase[e2] + (va - this.l2.tag[e2]);
      }
    }
    return this.walkAndFill(va, access);
  }

  /**
   * Fills the translation-cache slot of `va` from L1 entry `e` for every access
   * kind the entry allows on RAM. In accurate mode only when a lookup of `va`
   * would return `e` (`inserted`: e was just written, so another entry may come
   * first in the lookup order).
   */
  private cacheSlot(l1: Tlb, e: number, va: number, instruction: boolean, inserted: boolean): void {
    if (e < 0 || !this.fillsCache) return;
    if (inserted && this.exact && !l1.firstInLookupOrder(e) && l1.peek(va, this.currentAsid) !== e) return;
    let perm = l1.perm[e];
    const pageVa = va - (va & PAGE_MASK);
    const addend = l1.pageBase[e] - l1.tag[e] - this.ramBase;
    // A large page that is not all RAM (a megapage over RAM and devices) still has 4 KiB pages
    // that are: those can be cached, the others keep going through the physical address map.
    if ((perm & Perm.Io) !== 0) {
      if (!this.memory.isRam(pageVa + addend + this.ramBase, PAGE_SIZE)) return;
      perm &= ~Perm.Io;
    }
    if (instruction) {
      if (this.fastPerm[this.rowExecute + perm] === 1) this.cache.fillFetch(pageVa, addend, e, l1.sourceShift[e]);
      return;
    }
    const readable = this.fastPerm[this.rowRead + perm] === 1;
    const writable = this.fastPerm[this.rowWrite + perm] === 1;
    if (readable || writable) this.cache.fillData(pageVa, addend, e, l1.sourceShift[e], readable, writable);
  }

  private walkAndFill(va: number, access: Access): number {
    const r = this.walkResult;
    this.walker.walk(va, access, this.currentPrivilege, this.rootAddress, this.currentAsid, r);
    const model = this.cycleModel;
    this.counters[WALKS] += 1;
    this.counters[PTE_READS] += r.pteReads;
    this.counters[PTE_WRITES] += r.pteWrites;
    this.counters[WALK_CACHE_HITS] += r.walkCacheHits;
    this.counters[CYCLES] += r.pteReads * model.pteRead + r.pteWrites * model.pteWrite + r.walkCacheHits * model.walkCacheHit;
    if (!r.ok) return this.raise(r.faultReason, va, access, r.level, r.pageTableAccess === null ? -1 : r.entryAddress, r.pageTableAccess);
    // Page sizes are table entries: `2 ** shift` with a variable shift is a Math.pow call.
    const pageSize = PAGE_SIZES[r.pageShift];
    let perm = r.perm;
    if (!this.memory.isRam(r.pageBase, pageSize)) perm |= Perm.Io;
    const global = r.global && (this.format.architecture !== 'x86' || this.controlState.pge);
    const instruction = access === Access.Execute;
    const e = this.tlb.fill(va, global ? GLOBAL_ASID : this.currentAsid, r.pageShift, r.pageBase, perm, r.memoryType, instruction);
    this.cacheSlot(instruction ? this.l1i : this.l1d, e, va, instruction, true);
    return r.pageBase + (r.pageShift <= 30 ? va & (pageSize - 1) : va % pageSize);
  }

  /** Raises a fault: the handler may resolve it (returns RETRY) or it is thrown. */
  private raise(reason: FaultReason, va: number, access: Access, level: number, physicalAddress: number, pageTableAccess: PageTableAccess | null = null): number {
    const reportFetch = this.controlState.smep || (this.controlState.nxe && this.format.name !== 'x86-32');
    // A page-crossing access faults at the first byte of the failing page: va is that byte already.
    const fault = TranslationFault.create(
      this.format.architecture,
      va,
      access,
      this.currentPrivilege,
      reason,
      level,
      this.currentAsid,
      reportFetch,
      physicalAddress,
      pageTableAccess,
      this.pagingEnabled ? this.rootAddress : -1,
    );
    this.lastFault = fault;
    this.counters[FAULTS] += 1;
    this.counters[CYCLES] += this.cycleModel.faultEntry;
    const handler = this.faultHandler;
    if (handler !== null) {
      // The handler's own accesses to this MMU throw as usual, even inside a try-accessor.
      const quiet = this.quiet;
      this.quiet = false;
      const resolution = handler.handleFault(fault, this);
      this.quiet = quiet;
      this.lastFault = fault; // the handler's own faults, if any, came after it
      if (resolution === FaultResolution.Retry) {
        this.counters[FAULT_RETRIES] += 1;
        this.counters[CYCLES] += this.cycleModel.faultExit;
        return RETRY;
      }
    }
    if (this.quiet) {
      this.delivered = true;
      return RETRY;
    }
    throw pageFaultError(fault);
  }
}

/**
 * Turns the translation cache of `mmu` off for good: every access takes the
 * slow path, which is the TLB model alone. For tests that compare the model
 * with and without the cache in front of it.
 * @internal
 */
export function withoutTranslationCache(mmu: Mmu): Mmu {
  (mmu as unknown as { fillsCache: boolean }).fillsCache = false;
  return mmu;
}
