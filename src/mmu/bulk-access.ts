/**
 * Bulk access through the MMU: byte ranges read, written and copied with one
 * translation per 4 KiB page, for loaders, DMA, debuggers and hashing guest
 * memory.
 * @module
 */
import { Access } from './access.js';
import { InvalidArgumentError, PhysicalAccessError } from './errors.js';
import { FaultReason } from './fault-reason.js';
import { requireInteger } from './validate.js';
import { CYCLES, PAGE_MASK, PAGE_SIZE } from './control-registers.js';
import { TRANSLATION_CACHE_SLOTS } from './translation-cache.js';
import { MmuSlowPath, RETRY } from './slow-path.js';

/** The most bytes one bulk access may move: 1 GiB. */
const MAX_BULK_LENGTH = 2 ** 30;
/** `(va >>> 12) & SLOT_MASK` is the translation-cache slot of `va`. */
const SLOT_MASK = TRANSLATION_CACHE_SLOTS - 1;

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
 * The bulk accessors of an {@link Mmu} (its base class; use {@link Mmu}).
 * @internal
 */
export abstract class MmuBulkAccess extends MmuSlowPath {
  /** Physical address of each page of the bulk access in progress (grown on demand, never shrunk). */
  private bulkPages = new Float64Array(16);
  /** The staging buffer of {@link Mmu.copyBytes}. */
  private bulkScratch = new Uint8Array(0);

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
   *
   * In accurate mode, a range of more pages than the L1 DTLB has entries
   * fills no translation-cache slot: there a slot stands for an L1 entry, and
   * the range's own later pages evict its first ones, emptying their slots
   * again before any access uses them (filling and emptying them was about a
   * seventh of the cost of a page that hits the L2). In fast mode slots
   * outlive the L1 entries they came from, and the next bulk access over the
   * range hits them.
   */
  private translateRange(va: number, length: number, access: Access, first: number): boolean {
    const count = pagesSpanned(va, length);
    if (this.bulkPages.length < first + count) {
      const grown = new Float64Array(Math.max(first + count, this.bulkPages.length * 2));
      grown.set(this.bulkPages);
      this.bulkPages = grown;
    }
    const fills = this.fillsCache;
    if (this.exact && count > this.l1d.size) this.fillsCache = false;
    try {
      return this.translatePages(va, length, count, access, first);
    } finally {
      this.fillsCache = fills;
    }
  }

  /** {@link translateRange}'s passes over the `count` pages of [va, va + length). */
  private translatePages(va: number, length: number, count: number, access: Access, first: number): boolean {
    const pages = this.bulkPages;
    let anyFault = false;
    for (let pass = 0; ; pass++) {
      let faulted = false;
      for (let i = 0; i < count; i++) {
        const counted = va - (va & PAGE_MASK) + i * PAGE_SIZE;
        // Past the top of the address space the range wraps; into the non-canonical hole it faults (-1).
        const pageVa = i === 0 ? va : this.nextPage(counted, access);
        const cached = pageVa < 0 ? -1 : this.cachedTranslation(pageVa, access);
        if (cached >= 0) {
          pages[first + i] = cached;
          continue;
        }
        for (let attempt = 0; ; attempt++) {
          const pa = pageVa < 0 ? this.raise(FaultReason.NonCanonical, counted, access, -1, -1) : this.resolve(pageVa, access);
          // PMP checks the range's bytes on this page (a cached page is allowed whole).
          const denied = pa !== RETRY && this.pmp !== null && this.pmpDenies(pa, Math.min(va + length, counted + PAGE_SIZE) - (i === 0 ? va : counted), access, pageVa);
          if (pa !== RETRY && !denied) {
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
   * The physical address of `va` from the translation cache, or -1 when its
   * slot does not answer for `access` (a data read or write). A hit does what
   * the accessors' hit does (in accurate mode, the L1 DTLB hit it stands for;
   * the L1-hit cycles) and skips the TLB lookups: a bulk access whose pages
   * are cached costs a compare per page.
   */
  private cachedTranslation(va: number, access: Access): number {
    const slot = ((va >>> 12) & SLOT_MASK) + this.dataBase;
    const tags = access === Access.Write ? this.writeTag : this.readTag;
    if (tags[slot] !== va - (va & PAGE_MASK)) return -1;
    if (this.exact) {
      const e = this.dataEntry[slot];
      if (e >= 0) this.l1d.touchHit(e);
    }
    this.counters[CYCLES] += this.l1HitCycles;
    return va + this.dataAddend[slot] + this.ramBase;
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
        if (toMemory) {
          if (this.memory.journal !== null) this.memory.journal.saveRange(o, run);
          ram.set(buffer.subarray(done, done + run), o);
        }
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
}
