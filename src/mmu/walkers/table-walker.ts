/**
 * What every hardware walker shares: the canonical-address check, entry reads
 * as two 32-bit halves with bus errors turned into faults, A/D write-back, the
 * per-walk scratch arrays, and the paging-structure caches.
 */

import { Access, Privilege, type TranslatedPrivilege } from '../access.js';
import type { ControlState } from '../controls.js';
import { InvalidArgumentError, PhysicalAccessError } from '../errors.js';
import { FaultReason } from '../fault-reason.js';
import { type PageTableFormat } from '../formats/format.js';
import { requirePhysicalMemory, type PhysicalMemory } from '../physical-memory.js';
import { requireNullableInteger } from '../validate.js';
import { WalkCache, type WalkCacheConfig, defaultWalkCacheConfig } from '../walk-cache.js';
import type { WalkResult } from '../walk-result.js';
import { MAX_ASID } from '../../tlb/tlb.js';
import type { PageWalker } from '../walker.js';
import type { Pmp } from '../pmp.js';

/** Largest address at which an 8-byte entry still lies below 2^53 (no memory can exist above). */
const MAX_ENTRY_ADDRESS = 2 ** 53 - 8;
/** Thrown inside a walk when PMP denies a page-table access: one object, caught by `walk` (a fault allocates nothing). */
const PMP_DENIED = Object.freeze({ pmpDenied: true });
const MAX_ROOT = Number.MAX_SAFE_INTEGER;

/** The error for a bad caller argument of {@link TableWalker.walk}. */
function walkArgumentError(access: unknown, privilege: unknown, root: unknown, asid: unknown): InvalidArgumentError {
  return new InvalidArgumentError(
    `walk needs an Access, a Privilege, a root physical address and an ASID in [0, ${MAX_ASID}], got ${String(access)}, ${String(privilege)}, ${String(root)}, ${String(asid)}`,
  );
}

/**
 * Base class of the hardware walkers ({@link X86Walker}, {@link RiscvWalker}):
 * owns the format, memory and control references, the optional
 * paging-structure caches, and the scratch arrays a walk fills (no allocation
 * per walk). Subclasses implement {@link TableWalker.translate} in the
 * manual's order. Create walkers with {@link createWalker}.
 */
export abstract class TableWalker implements PageWalker {
  /** The page-table format this walker understands. */
  readonly format: PageTableFormat;
  /** The paging-structure caches, or null when the walker has none. */
  readonly walkCache: WalkCache | null;
  /** Physical memory holding the page tables. */
  protected readonly memory: PhysicalMemory;
  /** The live control bits, read on every walk. */
  protected readonly controls: ControlState;
  /** Index of the last level (the one that maps 4 KiB pages). */
  protected readonly lastLevel: number;
  /** `indexShift` of each level. */
  protected readonly indexShift: Int32Array;
  /** `indexBits` of each level. */
  protected readonly indexBits: Int32Array;
  /** `leafShift` of each level. */
  protected readonly leafShift: Int32Array;
  /** `2 ** leafShift` of each level (a variable power of two is a Math.pow call). */
  protected readonly leafSize: Float64Array;
  /** Scratch: physical address of the entry read at each level by the current walk. */
  protected readonly entryAt: Float64Array;
  /** Scratch: low 32-bit half of the entry read at each level by the current walk. */
  protected readonly entryLow: Int32Array;
  /** High 32-bit half (as an Int32) of the entry last read by {@link TableWalker.readEntry} (0 for 4-byte entries). */
  protected high = 0;
  /** Scratch: the table each non-leaf entry of the current walk points to. */
  protected readonly nextTable: Float64Array;
  /** Scratch: the walker's accumulated bits after each level of the current walk. */
  protected readonly accumulated: Int32Array;
  /** Set by {@link TableWalker.beginWalk}: the level the walk starts at (0, or one below a walk-cache hit). */
  protected startLevel = 0;
  /** Set by {@link TableWalker.beginWalk}: the table the walk starts in. */
  protected startTable = 0;
  /** Set by {@link TableWalker.beginWalk}: the accumulated bits the walk starts with. */
  protected startFlags = 0;
  /** The virtual address being walked. */
  private va = 0;
  /**
   * The hart's PMP, which checks every page-table access as an S-mode access (RISC-V, privileged
   * spec §3.7.2); null when none is implemented (x86, or no PMP entries). Set by the subclass.
   */
  protected pmp: Pmp | null = null;
  /** Whether the page-table access PMP denied was a write (an A/D update). */
  private pmpDeniedWrite = false;
  /** Bytes per entry (the format's `pteSize`), in a field of its own: read once per level. */
  private readonly pteSize: number;
  /** 8-byte entries: the high half is read too. */
  private readonly wideEntries: boolean;
  /**
   * Per level: `2^-indexShift`. `(va * scale) & mask` is the level's index for every address:
   * the product is exact (a power of two), and `&` takes its integer part modulo 2^32, whose low
   * bits are the index, also above 2^32, with one multiply instead of two 32-bit halves.
   */
  private readonly indexScale: Float64Array;
  /** Per level: `2^indexBits - 1`. */
  private readonly indexMask: Int32Array;
  /** The RAM the tables usually live in: entries there are read straight from its DataView. */
  private readonly ramView: DataView;
  private readonly ramBase: number;
  /** Largest RAM offset at which a whole entry lies in RAM. */
  private readonly ramLastEntry: number;
  /** Whether an address-specific invalidation drops only the matching walk-cache entries (RISC-V) or all of the ASID (x86). */
  private readonly addressSpecificInvalidation: boolean;
  /** 2^vaBits. */
  private readonly vaLimit: number;

  /**
   * Sets up the scratch arrays and, unless `walkCache` is null, the paging-structure caches.
   *
   * @param format - the page-table format.
   * @param memory - physical memory holding the tables.
   * @param controls - control bits, read on every walk (keep the object; mutate it).
   * @param walkCache - paging-structure caches: undefined for the format's default, null for none.
   * @param addressSpecificInvalidation - see {@link TableWalker.invalidateWalkCache}.
   */
  protected constructor(
    format: PageTableFormat,
    memory: PhysicalMemory,
    controls: ControlState,
    walkCache: WalkCacheConfig | null | undefined,
    addressSpecificInvalidation: boolean,
  ) {
    requirePhysicalMemory(memory);
    if (controls === null || typeof controls !== 'object') throw new InvalidArgumentError('controls must be a control state object');
    if (walkCache !== undefined && walkCache !== null && typeof walkCache !== 'object') throw new InvalidArgumentError('walkCache must be a walk-cache config, null or undefined');
    this.format = format;
    this.memory = memory;
    this.controls = controls;
    const n = format.levels.length;
    this.lastLevel = n - 1;
    this.indexShift = Int32Array.from(format.levels, (l) => l.indexShift);
    this.indexBits = Int32Array.from(format.levels, (l) => l.indexBits);
    this.leafShift = Int32Array.from(format.levels, (l) => l.leafShift);
    this.leafSize = Float64Array.from(format.levels, (l) => 2 ** l.leafShift);
    this.entryAt = new Float64Array(n);
    this.entryLow = new Int32Array(n);
    this.nextTable = new Float64Array(n);
    this.accumulated = new Int32Array(n);
    this.vaLimit = 2 ** format.vaBits;
    this.pteSize = format.pteSize;
    this.wideEntries = format.pteSize === 8;
    this.indexScale = Float64Array.from(format.levels, (l) => 2 ** -l.indexShift);
    this.indexMask = Int32Array.from(format.levels, (l) => (1 << l.indexBits) - 1);
    this.ramView = memory.view;
    this.ramBase = memory.ramBase;
    this.ramLastEntry = memory.ramSize - format.pteSize;
    this.walkCache = walkCache === null ? null : new WalkCache(format, walkCache ?? defaultWalkCacheConfig(format));
    this.addressSpecificInvalidation = addressSpecificInvalidation;
  }

  /**
   * Translates `va` for an access; see {@link PageWalker.walk}. A `va` that is
   * not an integer in [0, 2^vaBits) faults with `NonCanonical` at level 0
   * (`entryAddress` 0, nothing read). A page-table read or A/D write that
   * reaches no memory faults with `BusError` at the level being accessed,
   * `entryAddress` the entry's physical address and `pageTableAccess` `'read'`
   * or `'write'` (a root outside memory: level 0, the root's entry).
   * @throws {@link InvalidArgumentError} when the caller's other arguments are bad (an access, privilege,
   *   root or ASID out of range); nothing is read then. `out` must be a {@link WalkResult}: it is not
   *   checked (the walk is the MMU's miss path).
   */
  walk(va: number, access: Access, privilege: TranslatedPrivilege, root: number, asid: number, out: WalkResult): void {
    // The caller's arguments (not guest data): a bad one is a bug in the caller, reported before anything is read.
    // One cheap test on the miss path (`out` is not tested: an instanceof here costs a tenth of a walk).
    if (!((access === 0 || access === 1 || access === 2) && (privilege === 0 || privilege === 1) && root >= 0 && root <= MAX_ROOT && Math.floor(root) === root && asid >= 0 && asid <= MAX_ASID && Math.floor(asid) === asid)) {
      throw walkArgumentError(access, privilege, root, asid);
    }
    out.reset();
    out.entryAddress = 0;
    if (!(va >= 0 && va < this.vaLimit) || Math.floor(va) !== va) {
      out.faultReason = FaultReason.NonCanonical;
      return;
    }
    this.va = va;
    try {
      this.translate(va, access, privilege, root, asid, out);
    } catch (e) {
      if (e === PMP_DENIED) {
        out.ok = false;
        out.faultReason = FaultReason.PmpViolation;
        out.pageTableAccess = this.pmpDeniedWrite ? 'write' : 'read';
        return;
      }
      if (!(e instanceof PhysicalAccessError)) throw e;
      out.ok = false;
      out.faultReason = FaultReason.BusError;
      out.pageTableAccess = e.write ? 'write' : 'read';
    }
  }

  /**
   * Drops walk-cache entries. x86 (SDM Vol. 3A §4.10.4.1): INVLPG invalidates
   * every paging-structure-cache entry of the current PCID whatever the
   * address, so a non-null `va` drops all entries of `asid` (of every ASID if
   * `asid` is null). RISC-V: a non-null `va` drops only the entries whose
   * range contains it (SFENCE.VMA with rs1 ≠ x0 need not touch non-leaf
   * entries at all; dropping the matching ones is the conservative choice).
   * `va` null drops all entries of `asid`, or everything.
   * @throws {@link InvalidArgumentError} when `va` or `asid` is neither null nor a non-negative integer.
   */
  invalidateWalkCache(va: number | null, asid: number | null): void {
    requireNullableInteger(va, 'va', 2 ** 57 - 1);
    requireNullableInteger(asid, 'asid', MAX_ASID);
    this.walkCache?.invalidate(this.addressSpecificInvalidation ? va : null, asid);
  }

  /**
   * The architecture's walk, from the root (or a walk-cache hit) to a leaf or
   * a fault. Called with a canonical `va` and `out` reset; may throw
   * `PhysicalAccessError` (reported as a bus error by {@link TableWalker.walk}).
   */
  protected abstract translate(va: number, access: Access, privilege: TranslatedPrivilege, root: number, asid: number, out: WalkResult): void;

  /**
   * Sets {@link TableWalker.startLevel}, {@link TableWalker.startTable} and
   * {@link TableWalker.startFlags}: the root and `rootFlags`, or the deepest
   * walk-cache hit for (`va`, `asid`), counted in `out.walkCacheHits`.
   */
  protected beginWalk(va: number, asid: number, root: number, rootFlags: number, out: WalkResult): void {
    this.startLevel = 0;
    this.startTable = root;
    this.startFlags = rootFlags;
    const cache = this.walkCache;
    if (cache === null) return;
    const hit = cache.lookup(va, asid);
    if (hit < 0) return;
    this.startLevel = hit + 1;
    this.startTable = cache.nextTable;
    this.startFlags = cache.flags;
    out.walkCacheHits = 1;
  }

  /**
   * Reads the entry for the walked address in the table at `table` of `level`:
   * returns its low half, leaves its high half in {@link TableWalker.high}, and
   * keeps its address and low half in {@link TableWalker.entryAt} and
   * {@link TableWalker.entryLow} for the A/D write-back. An entry in RAM is read
   * straight from RAM's DataView with no other bookkeeping: the walk records
   * its last entry, level and read count in `out` once, after its loop
   * ({@link TableWalker.recordReads}). Anywhere else goes through the physical
   * address map (`readEntryOutsideRam`).
   *
   * @throws PhysicalAccessError when the entry reaches no memory.
   */
  protected readEntry(out: WalkResult, level: number, table: number): number {
    const index = (this.va * this.indexScale[level]) & this.indexMask[level];
    const address = table + index * this.pteSize;
    this.entryAt[level] = address;
    if (this.pmp !== null && !this.pmp.allowsUnchecked(address, this.pteSize, Access.Read, Privilege.Supervisor)) this.denyByPmp(out, level, false);
    const o = address - this.ramBase;
    let low: number;
    if (o >= 0 && o <= this.ramLastEntry) {
      this.high = this.wideEntries ? this.ramView.getUint32(o + 4, true) | 0 : 0;
      low = this.ramView.getUint32(o, true) | 0;
    } else {
      low = this.readEntryOutsideRam(out, level, address);
    }
    this.entryLow[level] = low;
    return low;
  }

  /**
   * Ends the walk with a PMP access fault at `level`'s entry: page-table accesses are checked
   * as S-mode accesses (privileged spec §3.7.2). Unwinds to {@link TableWalker.walk}.
   */
  private denyByPmp(out: WalkResult, level: number, write: boolean): never {
    if (!write) this.recordReads(out, level);
    this.pmpDeniedWrite = write;
    throw PMP_DENIED;
  }

  /**
   * {@link TableWalker.readEntry} of an entry not wholly in RAM (ROM, MMIO, nothing):
   * through {@link PhysicalMemory.read32}, high half first, after recording in
   * `out` the entry being read, so that a bus error reports it.
   */
  private readEntryOutsideRam(out: WalkResult, level: number, address: number): number {
    this.recordReads(out, level);
    if (address > MAX_ENTRY_ADDRESS) throw new PhysicalAccessError(address, this.pteSize, false, 'UNMAPPED');
    const memory = this.memory;
    this.high = this.wideEntries ? memory.read32(address + 4) | 0 : 0;
    return memory.read32(address) | 0;
  }

  /**
   * Records in `out` that the walk read every level from its start to `level`:
   * the last entry read, its level, and one PTE read per level.
   */
  protected recordReads(out: WalkResult, level: number): void {
    out.level = level;
    out.entryAddress = this.entryAt[level];
    out.pteReads = level - this.startLevel + 1;
  }

  /**
   * Sets `bits` in the low half of the entry read at `level` if any is clear,
   * counting a PTE write. A/D bits live in the low byte in every format.
   *
   * @throws PhysicalAccessError when the write reaches no memory.
   */
  protected setEntryBits(out: WalkResult, level: number, bits: number): void {
    const low = this.entryLow[level];
    if ((low & bits) === bits) return;
    out.level = level;
    out.entryAddress = this.entryAt[level];
    if (this.pmp !== null && !this.pmp.allowsUnchecked(this.entryAt[level], this.pteSize, Access.Write, Privilege.Supervisor)) this.denyByPmp(out, level, true);
    out.pteWrites++;
    this.memory.write32(this.entryAt[level], low | bits);
  }

  /** Fills the walk caches with the non-leaf entries `from`..`to - 1` of the current walk for `va`. */
  protected fillWalkCache(va: number, asid: number, from: number, to: number): void {
    const cache = this.walkCache!;
    for (let level = from; level < to; level++) cache.fillUnchecked(level, va, asid, this.nextTable[level], this.accumulated[level]);
  }

  /** Records the outcome of a fault at `level`. */
  protected fault(out: WalkResult, reason: FaultReason, level: number): void {
    out.ok = false;
    out.faultReason = reason;
    out.level = level;
  }

  /** Records a successful translation of the leaf at `level`. */
  protected succeed(out: WalkResult, level: number, pageBase: number, pageShift: number, perm: number): void {
    out.ok = true;
    out.level = level;
    out.entryAddress = this.entryAt[level];
    out.pageBase = pageBase;
    out.pageShift = pageShift;
    out.perm = perm;
  }
}
