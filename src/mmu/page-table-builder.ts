import { InvalidArgumentError } from './errors.js';
import { formatByName, readPte, requireFormat, writePte, type FormatName, type PageTableFormat } from './formats/format.js';
import { decodeRiscvPte, encodeRiscvPte } from './formats/riscv.js';
import { decodeX86Pte, encodeX86Pte } from './formats/x86.js';
import { FrameAllocator } from './frame-allocator.js';
import { FRAME_SIZE, requirePhysicalMemory, type PhysicalMemory } from './physical-memory.js';
import { requireInteger, requireKnownKeys } from './validate.js';

/**
 * What a leaf entry allows, in architecture-neutral words. Missing fields are
 * false, except `readable` (true).
 */
export interface MappingAttributes {
  /** Reads allowed. RISC-V R; x86 pages are always readable (false is rejected there). Default true. */
  readable?: boolean;
  /** Writes allowed: x86 R/W, RISC-V W. */
  writable?: boolean;
  /** Instruction fetch allowed: x86 XD clear (formats without XD are always executable), RISC-V X. */
  executable?: boolean;
  /** User-mode access allowed: x86 U/S, RISC-V U. */
  user?: boolean;
  /** Global translation: x86 G, RISC-V G. */
  global?: boolean;
  /** Preset the Accessed bit (needed on RISC-V without hardware A/D updates). */
  accessed?: boolean;
  /** Preset the Dirty bit. */
  dirty?: boolean;
  /** OS-available bits: x86 `available` (see {@link X86PteFields.available}), RISC-V RSW (0–3). */
  software?: number;
  /** Page shift: log2 of the page size in bytes; must be one of the format's {@link PageTableFormat.pageShifts}. Default 12 (4 KiB). */
  pageShift?: number;
}

const MAPPING_ATTRIBUTE_KEYS = ['readable', 'writable', 'executable', 'user', 'global', 'accessed', 'dirty', 'software', 'pageShift'];

/** Checks the attributes argument (its fields are checked where the entry is encoded). */
function requireAttributes(attributes: unknown): void {
  if (attributes === null || typeof attributes !== 'object') throw new InvalidArgumentError('attributes must be an object');
  requireKnownKeys(attributes, MAPPING_ATTRIBUTE_KEYS, 'MappingAttributes');
  const pageShift = (attributes as MappingAttributes).pageShift;
  if (pageShift !== undefined && (!Number.isInteger(pageShift) || pageShift < 12 || pageShift > 63)) {
    throw new InvalidArgumentError(`pageShift must be an integer page shift, got ${String(pageShift)}`);
  }
}

/**
 * {@link MappingAttributes} of a 4 KiB page as bits, for
 * {@link PageTableBuilder.mapPageUnchecked}: a set bit is a `true` field.
 * @internal
 */
export const MapFlags = {
  Readable: 1,
  Writable: 2,
  Executable: 4,
  User: 8,
  Global: 16,
  Accessed: 32,
  Dirty: 64,
} as const;

const { Readable: READABLE, Writable: WRITABLE, Executable: EXECUTABLE, User: USER, Global: GLOBAL, Accessed: ACCESSED, Dirty: DIRTY } = MapFlags;

/** The attributes object that {@link MapFlags} bits stand for. */
function attributesOf(flags: number): MappingAttributes {
  return {
    readable: (flags & READABLE) !== 0,
    writable: (flags & WRITABLE) !== 0,
    executable: (flags & EXECUTABLE) !== 0,
    user: (flags & USER) !== 0,
    global: (flags & GLOBAL) !== 0,
    accessed: (flags & ACCESSED) !== 0,
    dirty: (flags & DIRTY) !== 0,
  };
}

/** A translation found by {@link PageTableBuilder.lookup}. */
export interface MappedPage {
  /** Physical address of the page's first byte (aligned to the page size). */
  pageBase: number;
  /** Page shift: log2 of the page size in bytes (12, 21, 30, ...). */
  pageShift: number;
  /** Physical address of the leaf entry. */
  entryAddress: number;
  /** Level index (0 = root) of the leaf entry. */
  level: number;
  /** The leaf entry's value. */
  entry: bigint;
}

/**
 * Writes real page tables of any supported format into physical memory: what
 * a guest OS (or a test, or mmukit's own kernel) does to build an address
 * space. Intermediate tables come from a {@link FrameAllocator}; they are
 * permissive (x86: present, writable, user; RISC-V: pointers), so each leaf
 * alone decides what a page allows.
 *
 * The builder changes memory only. Like an OS, its user must invalidate TLB
 * entries made stale by {@link PageTableBuilder.unmap} or
 * {@link PageTableBuilder.map} over an existing page.
 *
 * @example
 * ```ts
 * const memory = new PhysicalMemory({ size: 16 << 20, base: 0x8000_0000 });
 * const tables = new PageTableBuilder(memory, 'sv39', new FrameAllocator(memory));
 * tables.map(0x1000, 0x8010_0000, { writable: true, user: true, accessed: true, dirty: true });
 * tables.map(0x4000_0000, 0x8000_0000, { executable: true, pageShift: 30 }); // a 1 GiB gigapage
 * tables.tableCount;                // 3: the root, one L1 and one L0 table
 *
 * const mmu = new Mmu({ memory, format: 'sv39' });
 * mmu.setRoot(tables.root, 1);      // satp.PPN × 4096, ASID 1
 * mmu.setPrivilege(Privilege.User);
 * mmu.write32(0x1000, 7);
 * memory.read32(0x8010_0000);       // 7
 * ```
 */
export class PageTableBuilder {
  /** The format of the tables. */
  readonly format: PageTableFormat;
  /** Where the tables live. */
  readonly memory: PhysicalMemory;
  /** Physical address of the root table (what x86 CR3 or RISC-V satp.PPN × 4096 points at). */
  readonly root: number;

  private readonly frames: FrameAllocator;
  private readonly tableFrames: number[] = [];
  /** `2 ** vaBits`, computed once: the fault path checks every address against it. */
  private readonly vaLimit: number;
  /** 2^paBits: the first physical address the format cannot map. */
  private readonly paLimit: number;
  /**
   * The first physical address not below every RAM frame or that an entry cannot hold in its
   * words (2^32 for 4-byte entries): below it, {@link PageTableBuilder.mapPageUnchecked} creates
   * missing tables itself. 0 when some RAM frame lies beyond.
   */
  private readonly wordLimit: number;
  /** The words {@link PageTableBuilder.encodeEntry} made. */
  private entryLow = 0;
  private entryHigh = 0;
  /**
   * The last-level table {@link PageTableBuilder.mapPageUnchecked} last reached, for the
   * virtual range it covers (`leafRangeSize` bytes from `leafRange`), and the address of the
   * entry pointing at it: a kernel's faults come in runs over the same table, and following
   * the pointers from the root again cost as much as the rest of the update. Dropped (NaN) by
   * every method that may rewrite a pointer entry, and checked against its pointer entry on each use.
   */
  private leafRange = NaN;
  private leafTable = -1;
  private leafPointer = -1;
  private readonly leafRangeSize: number;

  /**
   * Allocates the root table (one zeroed 4 KiB frame: nothing mapped).
   * @param memory - where the tables live.
   * @param format - the page-table format, as an object or by name.
   * @param frames - where the table frames come from; {@link PageTableBuilder.tables} lists them.
   * @throws {@link OutOfFramesError} when no frame is free.
   * @throws {@link InvalidArgumentError} on an unknown format, or when `memory` is not a PhysicalMemory or
   *   `frames` not a FrameAllocator of that memory.
   */
  constructor(memory: PhysicalMemory, format: PageTableFormat | FormatName, frames: FrameAllocator) {
    requirePhysicalMemory(memory);
    this.format = typeof format === 'string' ? formatByName(format) : requireFormat(format);
    if (!(frames instanceof FrameAllocator) || frames.memory !== memory) throw new InvalidArgumentError('frames must be a FrameAllocator of the same memory');
    this.memory = memory;
    this.frames = frames;
    this.vaLimit = 2 ** this.format.vaBits;
    this.paLimit = 2 ** this.format.paBits;
    const limit = this.format.pteSize === 4 ? Math.min(this.paLimit, 0x1_0000_0000) : this.paLimit;
    this.wordLimit = memory.ramBase + memory.ramSize <= limit ? limit : 0;
    const levels = this.format.levels;
    this.leafRangeSize = 2 ** (levels[levels.length - 1].indexShift + levels[levels.length - 1].indexBits);
    const rootFrame = frames.allocate();
    this.tableFrames.push(rootFrame);
    this.root = rootFrame * FRAME_SIZE;
  }

  /** Number of 4 KiB frames used by the tables, the root included. */
  get tableCount(): number {
    return this.tableFrames.length;
  }

  /**
   * Maps the page of size 2^pageShift at `va` to physical `pa`, allocating the
   * intermediate tables it needs (all of them or none). An existing mapping of
   * the same page is overwritten: invalidate its TLB entries afterwards.
   *
   * @param va - virtual address of the page (bytes), aligned to its size, below 2^vaBits.
   * @param pa - physical address of the page (bytes), aligned to its size. It need not be RAM.
   * @param attributes - what the page allows and its size; see {@link MappingAttributes}.
   * @throws {@link InvalidArgumentError} when `va` or `pa` is not aligned to the page
   * size or out of range, the page size is not one of the format's, the attributes
   * cannot be encoded (x86 `readable: false`, RISC-V writable without readable), or a
   * larger page already covers `va` (nothing is changed then).
   * @throws {@link OutOfFramesError} when the intermediate tables cannot be allocated (nothing changes).
   *
   * @example
   * ```ts
   * const memory = new PhysicalMemory({ size: 1 << 20 });
   * const tables = new PageTableBuilder(memory, 'x86-64', new FrameAllocator(memory));
   * tables.map(0x40_0000, 0x8000, { writable: true, user: true });    // a 4 KiB page
   * tables.map(0x60_0000, 0x20_0000, { pageShift: 21 });             // a 2 MiB page (PDE with PS = 1)
   * tables.tableCount;                                                // 4: PML4, PDPT, a PD and a PT
   * ```
   */
  map(va: number, pa: number, attributes: MappingAttributes = {}): void {
    this.leafRange = NaN; // a large page may replace a pointer entry
    requireAttributes(attributes);
    const pageShift = attributes.pageShift ?? 12;
    const leafLevel = this.format.levels.findIndex((l) => l.leafShift === pageShift);
    if (leafLevel < 0) throw new InvalidArgumentError(`${this.format.name} has no ${2 ** pageShift}-byte pages`);
    this.checkVirtual(va, pageShift);
    requireInteger(pa, 'pa');
    if (pa % 2 ** pageShift !== 0) throw new InvalidArgumentError(`pa 0x${pa.toString(16)} is not aligned to the page size`);
    const leafValue = this.encodeLeaf(pa, leafLevel, attributes);

    // Find how deep the existing tables go before allocating anything.
    let table = this.root;
    let level = 0;
    for (; level < leafLevel; level++) {
      const entry = readPte(this.memory, this.format.entryAddress(table, va, level), this.format);
      const next = this.decodePointer(entry, level);
      if (next === null) break;
      if (next < 0) throw new InvalidArgumentError(`a larger page already maps 0x${va.toString(16)}`);
      table = next;
    }
    const fresh = this.frames.allocateMany(leafLevel - level);
    for (const frame of fresh) {
      this.tableFrames.push(frame);
      const tableAddress = frame * FRAME_SIZE;
      writePte(this.memory, this.format.entryAddress(table, va, level), this.encodePointer(tableAddress, level), this.format);
      table = tableAddress;
      level++;
    }
    writePte(this.memory, this.format.entryAddress(table, va, leafLevel), leafValue, this.format);
  }

  /**
   * Clears the leaf entry mapping `va` (of any page size). Tables are kept.
   * Invalidate the page in every TLB that may hold it afterwards.
   * @param va - a 4 KiB-aligned virtual address inside the page.
   * @returns whether a page was mapped there.
   * @throws {@link InvalidArgumentError} when `va` is not 4 KiB aligned or out of range.
   */
  unmap(va: number): boolean {
    this.leafRange = NaN; // it may clear a large page's entry, where a table may be made later
    this.checkVirtual(va, 12);
    const page = this.lookup(va);
    if (page === null) return false;
    writePte(this.memory, page.entryAddress, 0n, this.format);
    return true;
  }

  /**
   * Finds the page mapping `va` by reading the tables as software would: no
   * A/D updates, no permission checks, no TLB.
   * @param va - a 4 KiB-aligned virtual address (inside a large page it finds the large page).
   * @returns the page, or null when an entry on the way is not present.
   * @throws {@link InvalidArgumentError} when `va` is not 4 KiB aligned or out of range.
   *
   * @example
   * ```ts
   * const memory = new PhysicalMemory({ size: 1 << 20 });
   * const tables = new PageTableBuilder(memory, 'x86-64', new FrameAllocator(memory));
   * tables.map(0x20_0000, 0x40_0000, { pageShift: 21 });
   * const page = tables.lookup(0x20_3000)!;
   * page.pageBase;  // 0x40_0000
   * page.pageShift; // 21
   * page.level;     // 2: a PDE
   * tables.lookup(0x80_0000); // null
   * ```
   */
  lookup(va: number): MappedPage | null {
    this.checkVirtual(va, 12);
    let table = this.root;
    for (let level = 0; level < this.format.levels.length; level++) {
      const entryAddress = this.format.entryAddress(table, va, level);
      const entry = readPte(this.memory, entryAddress, this.format);
      const next = this.decodePointer(entry, level);
      if (next === null) return null;
      if (next < 0) {
        const pageShift = this.format.levels[level].leafShift;
        return { pageBase: this.leafAddress(entry, level), pageShift, entryAddress, level, entry };
      }
      table = next;
    }
    return null;
  }

  /**
   * Maps one 4 KiB page: the same entry {@link PageTableBuilder.map} writes for
   * `pageShift` 12, built with 32-bit arithmetic instead of bigints. This is
   * the path a kernel's fault handler takes on every fault.
   *
   * @param va - 4 KiB-aligned virtual address; an unaligned one is rejected, as by
   *   {@link PageTableBuilder.map}, whether or not the tables on the way exist.
   * @param pa - 4 KiB-aligned physical address.
   * @param attributes - as for {@link PageTableBuilder.map}; `pageShift` must be 12 or absent.
   * @returns whether a present entry was replaced (a TLB may hold it: the caller invalidates).
   * @throws {@link InvalidArgumentError} as {@link PageTableBuilder.map} does, for example
   *   `va 0x7001 is not aligned to the page size` (nothing changes).
   * @throws {@link OutOfFramesError} when an intermediate table cannot be allocated (nothing changes).
   *
   * @example
   * ```ts
   * const memory = new PhysicalMemory({ size: 1 << 20 });
   * const tables = new PageTableBuilder(memory, 'x86-64', new FrameAllocator(memory));
   * const mmu = new Mmu({ memory, format: 'x86-64' });
   * mmu.setRoot(tables.root, 1);
   * tables.mapPage(0x7000, 0x9000, { writable: true });      // false: nothing was there
   * mmu.write32(0x7000, 1);
   * tables.mapPage(0x7000, 0xa000, { writable: true });      // true: replaced a present entry…
   * mmu.invalidatePage(0x7000);                              // …so the cached translation must go
   * tables.unmapPage(0x7000);                                // true
   * mmu.invalidatePage(0x7000);
   * ```
   */
  mapPage(va: number, pa: number, attributes: MappingAttributes = {}): boolean {
    requireAttributes(attributes);
    if ((attributes.pageShift ?? 12) !== 12) throw new InvalidArgumentError(`mapPage maps 4 KiB pages only, got pageShift ${String(attributes.pageShift)}`);
    const slot = this.leafSlot(va);
    if (slot < 0 || attributes.software !== undefined || !Number.isSafeInteger(pa) || pa < 0 || pa % FRAME_SIZE !== 0 || pa >= this.paLimit) {
      // Missing tables, unusual attributes or bad arguments: the general path creates, checks and throws.
      return this.mapGeneral(va, pa, slot, attributes);
    }
    let leaf: number;
    if (this.format.architecture === 'x86') {
      if (attributes.readable === false) throw new InvalidArgumentError('x86 pages are always readable');
      leaf = READABLE;
    } else {
      const read = attributes.readable ?? true;
      const write = attributes.writable ?? false;
      if (write && !read) throw new InvalidArgumentError('W without R is a reserved RISC-V encoding');
      leaf = read ? READABLE : 0;
    }
    leaf |=
      (attributes.writable ? WRITABLE : 0) |
      (attributes.executable ? EXECUTABLE : 0) |
      (attributes.user ? USER : 0) |
      (attributes.global ? GLOBAL : 0) |
      (attributes.accessed ? ACCESSED : 0) |
      (attributes.dirty ? DIRTY : 0);
    return this.writeLeaf(va, pa, slot, leaf, attributes);
  }

  /**
   * {@link PageTableBuilder.mapPage} for a caller whose arguments are right by
   * construction (the kernel's fault handler, on every fault): no attributes
   * object to make and check, the attributes as {@link MapFlags} bits. `va` must
   * be a 4 KiB-aligned address of the format, `pa` a 4 KiB-aligned safe
   * integer, `flags` readable (and for RISC-V, not writable without readable).
   * A missing table, or a `pa` the format cannot hold, goes the general way,
   * which allocates or throws as {@link PageTableBuilder.mapPage} does.
   * @returns whether a present entry was replaced.
   * @internal
   */
  mapPageUnchecked(va: number, pa: number, flags: number): boolean {
    const last = this.format.levels.length - 1;
    const offset = va - this.leafRange;
    if (offset >= 0 && offset < this.leafRangeSize && pa < this.paLimit && this.pointsAt(this.leafPointer, last - 1, this.leafTable)) {
      return this.writeLeaf(va, pa, this.format.entryAddress(this.leafTable, va, last), flags, null);
    }
    const slot = this.leafSlot(va);
    if (slot >= 0 && pa < this.paLimit) return this.writeLeaf(va, pa, slot, flags, null);
    if (pa < this.wordLimit) {
      const table = this.createTables(va);
      if (table >= 0) return this.writeLeaf(va, pa, this.format.entryAddress(table, va, this.format.levels.length - 1), flags, null);
    }
    return this.mapGeneral(va, pa, slot, attributesOf(flags));
  }

  /**
   * Creates the tables missing on the way to `va`'s 4 KiB leaf, as {@link PageTableBuilder.map}
   * does (all of them or none: {@link OutOfFramesError} changes nothing), with 32-bit arithmetic.
   * @returns the last-level table's address, or -1 when this cannot be done here (`va` not a
   *   page-aligned address of the format, a larger page on the way, or RAM that entries of the
   *   format cannot all point at): the general path then maps, or reports, instead.
   */
  private createTables(va: number): number {
    if (!Number.isSafeInteger(va) || va < 0 || va >= this.vaLimit || va % FRAME_SIZE !== 0) return -1;
    const memory = this.memory;
    const format = this.format;
    const last = format.levels.length - 1;
    let table = this.root;
    let level = 0;
    for (; level < last; level++) {
      const entry = format.entryAddress(table, va, level);
      const lo = memory.read32(entry);
      if ((lo & 1) === 0) break;
      const next = this.nextTable(entry, level, lo);
      if (next < 0) return -1;
      table = next;
    }
    const fresh = this.frames.allocateMany(last - level);
    for (const frame of fresh) {
      this.tableFrames.push(frame);
      const tableAddress = frame * FRAME_SIZE;
      // A pointer entry: writable and user (except a PAE PDPTE, which has neither), never XD (x86); V alone (RISC-V).
      const flags = format.architecture === 'riscv' ? 0 : format.name === 'x86-pae' && level === 0 ? EXECUTABLE : WRITABLE | USER | EXECUTABLE;
      this.encodeEntry(tableAddress, flags);
      const entry = format.entryAddress(table, va, level);
      if (format.pteSize === 8) memory.write32(entry + 4, this.entryHigh);
      memory.write32(entry, this.entryLow);
      table = tableAddress;
      level++;
    }
    return table;
  }

  /** The general path of a 4 KiB mapping: {@link PageTableBuilder.map}, reporting whether `slot` (when found) held a present entry. */
  private mapGeneral(va: number, pa: number, slot: number, attributes: MappingAttributes): boolean {
    const was = slot >= 0 && (this.memory.read32(slot) & 1) === 1;
    this.map(va, pa, { ...attributes, pageShift: 12 });
    return was;
  }

  /**
   * Writes the 4 KiB leaf at `slot` with 32-bit arithmetic. `attributes` is what the caller
   * passed (null: made from `flags`), for the general path to report a `pa` a 32-bit entry cannot hold.
   */
  private writeLeaf(va: number, pa: number, slot: number, flags: number, attributes: MappingAttributes | null): boolean {
    const was = (this.memory.read32(slot) & 1) === 1;
    this.encodeEntry(pa, flags);
    if (this.format.pteSize === 8) this.memory.write32(slot + 4, this.entryHigh);
    else if (this.entryHigh !== 0) {
      this.map(va, pa, { ...(attributes ?? attributesOf(flags)), pageShift: 12 }); // the general path reports the address that does not fit
      return was;
    }
    this.memory.write32(slot, this.entryLow);
    return was;
  }

  /**
   * Encodes a present 4 KiB leaf, or (without R, W, X on RISC-V; without XD on x86) a pointer to
   * the table at `pa`, with 32-bit arithmetic: the low word into {@link PageTableBuilder.entryLow},
   * the high word into {@link PageTableBuilder.entryHigh} (nonzero there for a 4-byte format: `pa` does not fit).
   */
  private encodeEntry(pa: number, flags: number): void {
    if (this.format.architecture === 'x86') {
      // `pa & 0xffff_f000` is (pa mod 2^32) with the offset bits cleared for any integer below 2^53
      // (ToInt32 wraps), without the floating-point remainders `%` costs on a number this large.
      this.entryLow =
        ((pa & 0xffff_f000) |
          1 |
          ((flags & WRITABLE) !== 0 ? 2 : 0) |
          ((flags & USER) !== 0 ? 4 : 0) |
          ((flags & ACCESSED) !== 0 ? 0x20 : 0) |
          ((flags & DIRTY) !== 0 ? 0x40 : 0) |
          ((flags & GLOBAL) !== 0 ? 0x100 : 0)) >>>
        0;
      this.entryHigh = (Math.floor(pa / 0x1_0000_0000) | (this.format.pteSize === 8 && (flags & EXECUTABLE) === 0 ? 0x8000_0000 : 0)) >>> 0;
    } else {
      const ppn = pa / FRAME_SIZE;
      this.entryLow =
        (((ppn & 0x3f_ffff) * 1024) |
          1 |
          ((flags & READABLE) !== 0 ? 2 : 0) |
          ((flags & WRITABLE) !== 0 ? 4 : 0) |
          ((flags & EXECUTABLE) !== 0 ? 8 : 0) |
          ((flags & USER) !== 0 ? 0x10 : 0) |
          ((flags & GLOBAL) !== 0 ? 0x20 : 0) |
          ((flags & ACCESSED) !== 0 ? 0x40 : 0) |
          ((flags & DIRTY) !== 0 ? 0x80 : 0)) >>>
        0;
      this.entryHigh = Math.floor(ppn / 0x40_0000);
    }
  }

  /**
   * Clears the 4 KiB leaf entry mapping `va`, like {@link PageTableBuilder.unmap}
   * but without decoding entries. The caller invalidates the TLBs.
   * @param va - 4 KiB-aligned virtual address.
   * @returns whether a present entry was cleared.
   * @throws {@link InvalidArgumentError} when `va` is out of range or not 4 KiB aligned, for example
   *   `va 0x7001 is not aligned to the page size` (nothing changes).
   */
  unmapPage(va: number): boolean {
    const slot = this.leafSlot(va);
    if (slot < 0 || (this.memory.read32(slot) & 1) === 0) return slot < 0 ? this.unmap(va) : false;
    this.memory.write32(slot, 0);
    if (this.format.pteSize === 8) this.memory.write32(slot + 4, 0);
    return true;
  }

  /**
   * Physical address of the last-level entry for `va`, following present
   * pointer entries with 32-bit arithmetic; -1 when a table on the way is
   * missing, a larger page maps `va`, or `va` is not a page-aligned address
   * of the format (the general path then reports it).
   */
  private leafSlot(va: number): number {
    if (!Number.isSafeInteger(va) || va < 0 || va >= this.vaLimit || va % FRAME_SIZE !== 0) return -1;
    const last = this.format.levels.length - 1;
    const memory = this.memory;
    let table = this.root;
    let entry = -1;
    for (let level = 0; level < last; level++) {
      entry = this.format.entryAddress(table, va, level);
      const lo = memory.read32(entry);
      if ((lo & 1) === 0) return -1;
      table = this.nextTable(entry, level, lo);
      if (table < 0) return -1;
    }
    if (last > 0) {
      this.leafRange = va - (va % this.leafRangeSize);
      this.leafTable = table;
      this.leafPointer = entry;
    }
    return this.format.entryAddress(table, va, last);
  }

  /** Whether the entry at `entry`, of `level`, is a present pointer to the table at `table` (the remembered last-level table is still in place). */
  private pointsAt(entry: number, level: number, table: number): boolean {
    const lo = this.memory.read32(entry);
    return (lo & 1) === 1 && this.nextTable(entry, level, lo) === table;
  }

  /**
   * The table the present entry at physical address `entry`, of `level`, points at (`lo`: its
   * low word), or -1 when the entry maps a larger page.
   */
  private nextTable(entry: number, level: number, lo: number): number {
    const hi = this.format.pteSize === 8 ? this.memory.read32(entry + 4) : 0;
    if (this.format.architecture === 'x86') {
      if ((lo & 0x80) !== 0 && this.format.levels[level].leafShift > 0) return -1; // PS: a large page
      return ((lo & 0xffff_f000) >>> 0) + (hi & 0xf_ffff) * 0x1_0000_0000;
    }
    if ((lo & 0xe) !== 0) return -1; // R, W or X: a leaf above the last level
    return ((lo >>> 10) + (hi & 0x3f_ffff) * 0x40_0000) * FRAME_SIZE;
  }

  /** Physical addresses of every table page (4 KiB each), the root first: the frames to free when the address space goes. */
  tables(): number[] {
    return this.tableFrames.map((f) => f * FRAME_SIZE);
  }

  private checkVirtual(va: number, pageShift: number): void {
    // Page-aligned addresses are exact numbers up to 2^57, so the upper half of Sv57 and of
    // 5-level paging (above 2^53) can be mapped, though not every byte address there is a number.
    if (typeof va !== 'number' || !Number.isInteger(va) || va < 0 || va >= this.vaLimit) {
      throw new InvalidArgumentError(`va must be an integer in [0, 2^${this.format.vaBits}), got ${typeof va === 'number' ? va : typeof va}`);
    }
    if (va % 2 ** pageShift !== 0) throw new InvalidArgumentError(`va 0x${va.toString(16)} is not aligned to the page size`);
  }

  /** The next table's address, -1 for a leaf, or null when not present. */
  private decodePointer(entry: bigint, level: number): number | null {
    const last = level === this.format.levels.length - 1;
    if (this.format.architecture === 'x86') {
      const f = decodeX86Pte(entry, this.format, level);
      if (!f.present) return null;
      return last || f.pageSize ? -1 : f.address;
    }
    const f = decodeRiscvPte(entry, this.format);
    if (!f.valid) return null;
    return f.read || f.write || f.execute ? -1 : f.address;
  }

  private leafAddress(entry: bigint, level: number): number {
    return this.format.architecture === 'x86' ? decodeX86Pte(entry, this.format, level).address : decodeRiscvPte(entry, this.format).address;
  }

  private encodePointer(tableAddress: number, level: number): bigint {
    if (this.format.architecture === 'riscv') return encodeRiscvPte({ valid: true, address: tableAddress }, this.format, level);
    // A PAE PDPTE has no R/W or U/S bits (they are reserved there).
    const pdpte = this.format.name === 'x86-pae' && level === 0;
    return encodeX86Pte({ present: true, writable: !pdpte, user: !pdpte, address: tableAddress }, this.format, level);
  }

  private encodeLeaf(pa: number, level: number, a: MappingAttributes): bigint {
    const last = level === this.format.levels.length - 1;
    if (this.format.architecture === 'riscv') {
      return encodeRiscvPte(
        {
          valid: true,
          read: a.readable ?? true,
          write: a.writable ?? false,
          execute: a.executable ?? false,
          user: a.user ?? false,
          global: a.global ?? false,
          accessed: a.accessed ?? false,
          dirty: a.dirty ?? false,
          rsw: a.software ?? 0,
          address: pa,
        },
        this.format,
        level,
      );
    }
    if (a.readable === false) throw new InvalidArgumentError('x86 pages are always readable');
    const hasXd = this.format.pteSize === 8;
    return encodeX86Pte(
      {
        present: true,
        writable: a.writable ?? false,
        user: a.user ?? false,
        noExecute: hasXd && !(a.executable ?? false),
        global: a.global ?? false,
        accessed: a.accessed ?? false,
        dirty: a.dirty ?? false,
        pageSize: !last,
        available: a.software ?? 0,
        address: pa,
      },
      this.format,
      level,
    );
  }
}
