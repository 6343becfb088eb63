import type { Tlb, TlbObserver } from '../tlb/tlb.js';
import { Privilege, type TranslatedPrivilege } from './access.js';

/** Slots of a {@link TranslationCache}: direct-mapped, indexed by the low bits of the 4 KiB page number. */
export const TRANSLATION_CACHE_SLOTS = 256;

/** `(va >>> 12) & SLOT_MASK` is the slot of `va`. */
const SLOT_MASK = TRANSLATION_CACHE_SLOTS - 1;

/** A tag no address equals: the slot is empty. */
const EMPTY = -1;

/**
 * The host-side translation cache of one {@link Mmu} for one privilege level
 * (and one more for untranslated accesses: paging off, RISC-V M-mode):
 * direct-mapped parallel typed arrays, in the manner of QEMU's softmmu TLB, that
 * let an access which hits complete with one compare and one add.
 *
 * The hit protocol, for a data read of `size` bytes at virtual address `va` (a
 * write uses {@link TranslationCache.writeTag}, a fetch
 * {@link TranslationCache.fetchTag} and {@link TranslationCache.fetchAddend}):
 *
 * ```ts
 * const slot = (va >>> 12) & (TRANSLATION_CACHE_SLOTS - 1);
 * if (cache.readTag[slot] === va - (va & 0xfff) && (va & 0xfff) <= 4096 - size) {
 *   value = view.getUint32(va + cache.dataAddend[slot], true);  // view: memory.view, RAM byte offsets
 * } else {
 *   value = mmu.read32(va);                                       // anything else: the MMU decides
 * }
 * ```
 *
 * A tag holds the start of a 4 KiB virtual page whose accesses of that kind are
 * allowed, right now, to RAM: at the current privilege, ASID and control bits,
 * with the dirty bit already set for writes. Nothing else ever matches: MMIO
 * and ROM pages, pages whose access would fault or must walk again, and
 * accesses that cross a page boundary all take the MMU's own path, which
 * fills the slot when it can.
 *
 * Inlining the protocol in an emulator's own loop is for an MMU in
 * `'fast'` mode (see {@link MmuMode}): there a hit needs nothing more. In
 * `'accurate'` mode a hit must also update the modelled TLB (replacement
 * state, hit count, cycles), which only the MMU's accessors do. The arrays
 * belong to the MMU: read them, never write them. Take the data arrays
 * (`readTag`, `writeTag`, `dataAddend`) from {@link Mmu.translationCache} and
 * the fetch arrays (`fetchTag`, `fetchAddend`) from
 * {@link Mmu.fetchTranslationCache}, and fetch them again after every call that
 * changes the privilege, paging or RISC-V's MPRV ({@link Mmu.setPrivilege},
 * {@link Mmu.setPaging}, {@link Mmu.setModifyPrivilege}): each privilege has
 * its own cache, so switching costs nothing. The two are the same object
 * except in RISC-V M-mode with MPRV set, where loads and stores are translated
 * and fetches are not.
 */
export class TranslationCache {
  /** Per slot: the 4 KiB page (virtual address of its first byte) whose data reads hit, or -1. */
  readonly readTag: Float64Array;
  /** Per slot: the page whose data writes hit, or -1. */
  readonly writeTag: Float64Array;
  /** Per slot: the page whose instruction fetches hit, or -1. */
  readonly fetchTag: Float64Array;
  /** Per slot: add to a virtual address whose read or write hits to get its byte offset in {@link PhysicalMemory.bytes}. */
  readonly dataAddend: Float64Array;
  /** Per slot: the same for a fetch that hits. */
  readonly fetchAddend: Float64Array;
  /** Per slot: the L1 data TLB entry behind the slot, or -1 with paging off. @internal */
  readonly dataEntry: Int32Array;
  /** Per slot: the L1 instruction TLB entry behind the slot, or -1 with paging off. @internal */
  readonly fetchEntry: Int32Array;
  /** Per slot: the page shift of the translation a data slot came from (12 for a 4 KiB page). @internal */
  readonly dataShift: Uint8Array;
  /** Per slot: the same for a fetch slot. @internal */
  readonly fetchShift: Uint8Array;

  /** Slots filled since they were last emptied, so that emptying costs what was filled. */
  private readonly used: Int32Array;
  private readonly listed: Uint8Array;
  private usedCount = 0;
  /** Fills from pages larger than 4 KiB since the last {@link TranslationCache.clear}: while 0, no slot covers more than its own page. */
  private largeFills = 0;

  /**
   * Where this cache's slots start in the MMU's arrays of all its caches ({@link CacheArrays}):
   * the hot path indexes those with `slot + base`. @internal
   */
  readonly base: number;

  /**
   * Builds an empty cache whose tag, addend and entry arrays are views of `shared` from slot
   * `base`. @internal
   */
  constructor(shared: CacheArrays, base: number) {
    const end = base + TRANSLATION_CACHE_SLOTS;
    this.base = base;
    this.readTag = shared.readTag.subarray(base, end);
    this.writeTag = shared.writeTag.subarray(base, end);
    this.fetchTag = shared.fetchTag.subarray(base, end);
    this.dataAddend = shared.dataAddend.subarray(base, end);
    this.fetchAddend = shared.fetchAddend.subarray(base, end);
    this.dataEntry = shared.dataEntry.subarray(base, end);
    this.fetchEntry = shared.fetchEntry.subarray(base, end);
    this.dataShift = new Uint8Array(TRANSLATION_CACHE_SLOTS);
    this.fetchShift = new Uint8Array(TRANSLATION_CACHE_SLOTS);
    this.used = new Int32Array(TRANSLATION_CACHE_SLOTS);
    this.listed = new Uint8Array(TRANSLATION_CACHE_SLOTS);
  }

  /** Number of slots that hold at least one tag (for tests and statistics). */
  get filledSlots(): number {
    let n = 0;
    for (let i = 0; i < TRANSLATION_CACHE_SLOTS; i++) {
      if (this.readTag[i] !== EMPTY || this.writeTag[i] !== EMPTY || this.fetchTag[i] !== EMPTY) n++;
    }
    return n;
  }

  /**
   * Records a data translation: `pageVa`'s reads (when `readable`) and writes
   * (when `writable`) reach RAM at byte offset `va + addend`, through L1 entry
   * `entry`. Whatever the slot held before is replaced: both tags say what this
   * translation allows, and nothing else.
   * @internal
   */
  fillData(pageVa: number, addend: number, entry: number, shift: number, readable: boolean, writable: boolean): void {
    const i = (pageVa >>> 12) & SLOT_MASK;
    this.readTag[i] = readable ? pageVa : EMPTY;
    this.writeTag[i] = writable ? pageVa : EMPTY;
    this.dataAddend[i] = addend;
    this.dataEntry[i] = entry;
    this.dataShift[i] = shift;
    if (shift !== 12) this.largeFills++;
    this.list(i);
  }

  /** Records an instruction translation for `pageVa`. @internal */
  fillFetch(pageVa: number, addend: number, entry: number, shift: number): void {
    const i = (pageVa >>> 12) & SLOT_MASK;
    this.fetchTag[i] = pageVa;
    this.fetchAddend[i] = addend;
    this.fetchEntry[i] = entry;
    this.fetchShift[i] = shift;
    if (shift !== 12) this.largeFills++;
    this.list(i);
  }

  /** Empties every slot: O(slots filled since the last time). @internal */
  clear(): void {
    for (let n = 0; n < this.usedCount; n++) {
      const i = this.used[n];
      this.readTag[i] = EMPTY;
      this.writeTag[i] = EMPTY;
      this.fetchTag[i] = EMPTY;
      this.listed[i] = 0;
    }
    this.usedCount = 0;
    this.largeFills = 0;
  }

  /** Empties the data (or instruction) slots that translate through L1 entry `entry`. @internal */
  dropEntry(entry: number, instruction: boolean, pageVa: number, shift: number): void {
    if (shift === 12) {
      this.dropSlotOfEntry((pageVa >>> 12) & SLOT_MASK, entry, instruction);
      return;
    }
    for (let n = 0; n < this.usedCount; n++) this.dropSlotOfEntry(this.used[n], entry, instruction);
  }

  /**
   * Empties the slots of every page inside `[pageVa, pageVa + 2^shift)`, except
   * those already translating through `keep` (-1: none kept).
   * @internal
   */
  dropRange(pageVa: number, shift: number, instruction: boolean, keep: number): void {
    if (shift === 12) {
      this.dropSlotInRange((pageVa >>> 12) & SLOT_MASK, pageVa, 4096, instruction, keep);
      return;
    }
    const size = 2 ** shift;
    for (let n = 0; n < this.usedCount; n++) this.dropSlotInRange(this.used[n], pageVa, size, instruction, keep);
  }

  /**
   * Empties the slots whose translation covers `va`: the slot of `va`'s own 4 KiB page,
   * and any slot filled from a larger page that contains `va`.
   * @internal
   */
  dropAddress(va: number, instruction: boolean): void {
    const pageVa = va - (va & 0xfff);
    const own = (pageVa >>> 12) & SLOT_MASK;
    if (this.tagOf(own, instruction) === pageVa) this.emptySlot(own, instruction);
    if (this.largeFills === 0) return;
    for (let n = 0; n < this.usedCount; n++) {
      const i = this.used[n];
      const tag = this.tagOf(i, instruction);
      if (tag === EMPTY) continue;
      const size = 2 ** (instruction ? this.fetchShift[i] : this.dataShift[i]);
      const base = Math.floor(tag / size) * size;
      if (pageVa >= base && pageVa < base + size) this.emptySlot(i, instruction);
    }
  }

  /** The page a slot translates for data (read or write) or fetches, or -1. */
  private tagOf(i: number, instruction: boolean): number {
    if (instruction) return this.fetchTag[i];
    return this.readTag[i] !== EMPTY ? this.readTag[i] : this.writeTag[i];
  }

  private dropSlotOfEntry(i: number, entry: number, instruction: boolean): void {
    if ((instruction ? this.fetchEntry[i] : this.dataEntry[i]) === entry) this.emptySlot(i, instruction);
  }

  private dropSlotInRange(i: number, base: number, size: number, instruction: boolean, keep: number): void {
    if ((instruction ? this.fetchEntry[i] : this.dataEntry[i]) === keep) return;
    if (instruction) {
      const tag = this.fetchTag[i];
      if (tag !== EMPTY && tag >= base && tag < base + size) this.fetchTag[i] = EMPTY;
      return;
    }
    const read = this.readTag[i];
    const write = this.writeTag[i];
    if ((read !== EMPTY && read >= base && read < base + size) || (write !== EMPTY && write >= base && write < base + size)) {
      this.readTag[i] = EMPTY;
      this.writeTag[i] = EMPTY;
    }
  }

  private emptySlot(i: number, instruction: boolean): void {
    if (instruction) {
      this.fetchTag[i] = EMPTY;
    } else {
      this.readTag[i] = EMPTY;
      this.writeTag[i] = EMPTY;
    }
  }

  private list(i: number): void {
    if (this.listed[i] === 1) return;
    this.listed[i] = 1;
    this.used[this.usedCount++] = i;
  }
}

/**
 * The tag, addend and entry arrays of several {@link TranslationCache}s back to back, each cache
 * {@link TRANSLATION_CACHE_SLOTS} long. The MMU's accessors read these, never reassigned: V8
 * compiles loads from fields that are stored once better than from fields a privilege switch
 * would rewrite, and selecting a cache is then a change of the slot base alone.
 * @internal
 */
export type CacheArrays = Pick<TranslationCache, 'readTag' | 'writeTag' | 'fetchTag' | 'dataAddend' | 'fetchAddend' | 'dataEntry' | 'fetchEntry'>;

/** Empty {@link CacheArrays} for `caches` caches. @internal */
export function cacheArrays(caches: number): CacheArrays {
  const slots = caches * TRANSLATION_CACHE_SLOTS;
  return {
    readTag: new Float64Array(slots).fill(EMPTY),
    writeTag: new Float64Array(slots).fill(EMPTY),
    fetchTag: new Float64Array(slots).fill(EMPTY),
    dataAddend: new Float64Array(slots),
    fetchAddend: new Float64Array(slots),
    dataEntry: new Int32Array(slots).fill(-1),
    fetchEntry: new Int32Array(slots).fill(-1),
  };
}

/**
 * The translation caches of one MMU, one per privilege, and what keeps them
 * coherent with the modelled L1 TLBs: it observes both L1s and empties the
 * slots an entry change, an invalidation or a flush makes stale.
 *
 * In accurate mode a slot stands for exactly the L1 entry a lookup would
 * return, so any change to that entry (a replacement, an update, a removal)
 * or an insert that could shadow it empties the slot. In fast mode a slot
 * may outlive its L1 entry (a replacement does not touch it), as a real TLB
 * may keep a translation the page tables no longer have until software
 * invalidates it; invalidations and flushes empty it in both modes.
 * @internal
 */
export class TranslationCaches {
  /** The cache of each translated privilege, indexed by {@link Privilege} (supervisor, user). */
  readonly byPrivilege: readonly [TranslationCache, TranslationCache];
  /**
   * The cache of untranslated accesses (paging off, RISC-V M-mode): identity slots only, tied to
   * no TLB entry, so no TLB flush or invalidation touches them.
   */
  readonly identity: TranslationCache;
  /** Whether slots mirror the L1 entries exactly (accurate mode). */
  exact = true;

  /** The arrays of all three caches: supervisor, user, identity, in that order. */
  readonly arrays = cacheArrays(3);

  /** Observes `l1d` and `l1i` from now on. */
  constructor(l1d: Tlb, l1i: Tlb) {
    this.byPrivilege = [new TranslationCache(this.arrays, 0), new TranslationCache(this.arrays, TRANSLATION_CACHE_SLOTS)];
    this.identity = new TranslationCache(this.arrays, 2 * TRANSLATION_CACHE_SLOTS);
    l1d.observe(this.observerOf(l1d, false));
    l1i.observe(this.observerOf(l1i, true));
  }

  /** The cache of accesses translated at `privilege` (supervisor or user). */
  of(privilege: TranslatedPrivilege): TranslationCache {
    return this.byPrivilege[privilege === Privilege.User ? 1 : 0];
  }

  /** Empties every slot of every cache. */
  clear(): void {
    this.clearTranslated();
    this.identity.clear();
  }

  /**
   * Empties the supervisor and user caches: what an ASID, control-bit or mode change makes stale.
   * The identity cache's slots depend on none of those (only on paging, and on what is RAM).
   */
  clearTranslated(): void {
    this.byPrivilege[0].clear();
    this.byPrivilege[1].clear();
  }

  private observerOf(tlb: Tlb, instruction: boolean): TlbObserver {
    return new L1Observer(this, tlb, instruction);
  }
}

/**
 * What one L1 TLB tells the translation caches. A class rather than an object of
 * closures: both L1s' observers then share their methods, so the TLB's calls to
 * them (on every fill and eviction) can be inlined.
 * @internal Exported for saved states (its instances are MMU state).
 */
export class L1Observer implements TlbObserver {
  private readonly supervisor: TranslationCache;
  private readonly user: TranslationCache;

  constructor(
    private readonly owner: TranslationCaches,
    private readonly tlb: Tlb,
    private readonly instruction: boolean,
  ) {
    [this.supervisor, this.user] = owner.byPrivilege;
  }

  entryChanged(e: number): void {
    if (!this.owner.exact) return;
    const tag = this.tlb.tag[e];
    const shift = this.tlb.sourceShift[e];
    this.supervisor.dropEntry(e, this.instruction, tag, shift);
    this.user.dropEntry(e, this.instruction, tag, shift);
  }

  entryInserted(e: number, pageVa: number, shift: number): void {
    if (!this.owner.exact) return;
    this.supervisor.dropRange(pageVa, shift, this.instruction, e);
    this.user.dropRange(pageVa, shift, this.instruction, e);
  }

  entriesFlushed(): void {
    this.supervisor.clear();
    this.user.clear();
  }

  pageInvalidated(va: number): void {
    this.supervisor.dropAddress(va, this.instruction);
    this.user.dropAddress(va, this.instruction);
  }
}
