/**
 * Builds second-stage page tables, the hypervisor's guest-physical → host-physical map: RISC-V
 * G-stage tables (`hgatp`: Sv39x4, Sv48x4, Sv57x4) and x86 extended page tables (EPT, 4- or
 * 5-level), in the layouts {@link RiscvGStageWalker} and {@link EptWalker} walk.
 */

import { InvalidArgumentError, OutOfFramesError } from './errors.js';
import { FrameAllocator } from './frame-allocator.js';
import { FRAME_SIZE, requirePhysicalMemory, type PhysicalMemory } from './physical-memory.js';
import { requireInteger, requireKnownKeys } from './validate.js';
import type { Hgatp } from './virtualization-registers.js';
import { EPT_ENTRY, EPTP } from './walkers/ept-walker.js';
import { GSTAGE_ROOT_SIZE, GStageMode, gStageAddressBits } from './walkers/riscv-gstage-walker.js';

/**
 * The RISC-V G-stage schemes a {@link SecondStageTableBuilder} builds (`hgatp.MODE` Sv39x4, Sv48x4, Sv57x4).
 *
 * @example
 * ```ts
 * const kind: GStageTableKind = 'sv48x4';
 * const g = new SecondStageTableBuilder(memory, kind, frames);
 * g.hgatp().mode; // GStageMode.Sv48x4
 * ```
 */
export type GStageTableKind = 'sv39x4' | 'sv48x4' | 'sv57x4';

/**
 * The x86 EPT walk lengths a {@link SecondStageTableBuilder} builds: 4-level (EPT PML4) or 5-level (EPT PML5).
 *
 * @example
 * ```ts
 * const kind: EptTableKind = 'ept5';
 * const ept = new SecondStageTableBuilder(memory, kind, frames);
 * ept.levels; // 5
 * ```
 */
export type EptTableKind = 'ept4' | 'ept5';

/**
 * What a {@link SecondStageTableBuilder} builds:
 *
 * | kind | tables | levels | guest-physical bits | root | page sizes |
 * |---|---|---|---|---|---|
 * | `'sv39x4'` | RISC-V G-stage | 3 | 41 | 16 KiB | 4 KiB, 2 MiB, 1 GiB |
 * | `'sv48x4'` | RISC-V G-stage | 4 | 50 | 16 KiB | also 512 GiB |
 * | `'sv57x4'` | RISC-V G-stage | 5 | 59 | 16 KiB | also 256 TiB |
 * | `'ept4'` | x86 EPT | 4 | 48 | 4 KiB | 4 KiB, 2 MiB, 1 GiB |
 * | `'ept5'` | x86 EPT | 5 | 52 | 4 KiB | 4 KiB, 2 MiB, 1 GiB |
 *
 * @example
 * ```ts
 * for (const kind of ['sv39x4', 'ept4'] as SecondStageKind[]) {
 *   const tables = new SecondStageTableBuilder(memory, kind, frames);
 *   tables.addressBits; // 41, then 48
 * }
 * ```
 */
export type SecondStageKind = GStageTableKind | EptTableKind;

/**
 * What a G-stage leaf allows (RISC-V PTE bits R, W, X, A, D). U is always set (G-stage accesses
 * are checked as U-mode accesses) and G always clear (the G-stage ignores it). Every field
 * defaults to true: ordinary guest RAM, readable, writable and executable, with A and D preset
 * so that no walk needs to update them (without Svadu a clear A, or a clear D on a store, is a
 * guest-page fault).
 *
 * @example
 * ```ts
 * const g = new SecondStageTableBuilder(memory, 'sv39x4', frames);
 * g.map(0x0, 0x8040_0000);                                           // RWX, A, D (and U)
 * g.map(0x1000, 0x8040_1000, { writable: false, executable: false }); // read-only data
 * g.map(0x2000, 0x8040_2000, { dirty: false });                      // the first store faults (Svade) or sets D (Svadu)
 * ```
 */
export interface GStageMappingAttributes {
  /** R: guest loads allowed. Default true. */
  readable?: boolean;
  /** W: guest stores allowed (W without R is a reserved encoding, rejected). Default true. */
  writable?: boolean;
  /** X: guest instruction fetches allowed. Default true. */
  executable?: boolean;
  /** A preset. Default true. */
  accessed?: boolean;
  /** D preset. Default true. */
  dirty?: boolean;
  /** Page size in bytes: 4096, 0x20_0000 (2 MiB), 0x4000_0000 (1 GiB), and with Sv48x4 and Sv57x4 larger ones (see {@link SecondStageTableBuilder.pageSizes}). Default 4096. */
  pageSize?: number;
}

/**
 * What an EPT leaf allows and how its memory is typed (SDM Vol. 3C, "EPT Translation
 * Mechanism"). Permissions default to read, write and execute (and user-execute like execute),
 * the memory type to write-back, A and D to preset.
 *
 * @example
 * ```ts
 * const ept = new SecondStageTableBuilder(memory, 'ept4', frames);
 * ept.map(0x0, 0x40_0000);                                            // RWX, WB
 * ept.map(0xfee0_0000, 0xfee0_0000, { execute: false, memoryType: 0 }); // an uncached MMIO page
 * ept.map(0x1000, 0x40_1000, { read: false, write: false });           // execute-only
 * ept.map(0x2000, 0x40_2000, { userExecute: false });                  // MBEC: no user-mode fetches
 * ```
 */
export interface EptMappingAttributes {
  /** Bit 0: reads allowed. Default true. */
  read?: boolean;
  /**
   * Bit 1: writes allowed (write without read is an EPT misconfiguration, rejected). Without read and write the page is
   * execute-only, a misconfiguration for an {@link EptWalker} without {@link EptWalkerOptions.executeOnly}. Default true.
   */
  write?: boolean;
  /** Bit 2: instruction fetches allowed (from supervisor-mode linear addresses with mode-based execute control). Default true. */
  execute?: boolean;
  /** Bit 10: fetches from user-mode linear addresses allowed, with mode-based execute control (ignored without it). Default: `execute`. */
  userExecute?: boolean;
  /** Bits 5:3: the EPT memory type, 0 (UC), 1 (WC), 4 (WT), 5 (WP) or 6 (WB); 2, 3 and 7 are reserved (rejected). Default 6. */
  memoryType?: number;
  /** Bit 6: ignore the guest's PAT memory type. Default false. */
  ignorePat?: boolean;
  /** Bit 8: accessed preset (looked at only when the EPTP enables EPT A/D flags). Default true. */
  accessed?: boolean;
  /** Bit 9: dirty preset (looked at only when the EPTP enables EPT A/D flags). Default true. */
  dirty?: boolean;
  /**
   * Page size in bytes: 4096, 0x20_0000 (2 MiB, bit 7 in an EPT PDE) or 0x4000_0000 (1 GiB, bit 7 in an EPT PDPTE: a
   * misconfiguration for an {@link EptWalker} without {@link EptWalkerOptions.gigabytePages}). Default 4096.
   */
  pageSize?: number;
}

/**
 * The mapping attributes of a builder of `K`: {@link GStageMappingAttributes} or {@link EptMappingAttributes}.
 *
 * @example
 * ```ts
 * const readOnly: SecondStageMappingAttributes<'ept4'> = { write: false };   // EptMappingAttributes
 * const alsoReadOnly: SecondStageMappingAttributes<'sv39x4'> = { writable: false };
 * ```
 */
export type SecondStageMappingAttributes<K extends SecondStageKind> = K extends EptTableKind ? EptMappingAttributes : GStageMappingAttributes;

/**
 * A second-stage translation found by {@link SecondStageTableBuilder.lookup}.
 *
 * @example
 * ```ts
 * const ept = new SecondStageTableBuilder(memory, 'ept4', frames);
 * ept.map(0x20_0000, 0x40_0000, { pageSize: 0x20_0000, memoryType: 0 });
 * const page = ept.lookup(0x20_1000)!;
 * page.pageBase;               // 0x40_0000
 * page.level;                  // 2: an EPT PDE
 * page.attributes.memoryType;  // 0
 * ```
 */
export interface SecondStagePage<K extends SecondStageKind = SecondStageKind> {
  /** Host-physical (RISC-V: supervisor-physical) address of the page's first byte, as the leaf holds it. */
  pageBase: number;
  /** The page size in bytes. */
  pageSize: number;
  /** Level index (0 = root) of the leaf entry. */
  level: number;
  /** Physical address of the leaf entry. */
  entryAddress: number;
  /** The leaf entry's 64-bit value. */
  entry: bigint;
  /** The leaf's attributes, every field present, decoded from the entry as it is now (A and D as a walk may have set them). */
  attributes: Required<SecondStageMappingAttributes<K>>;
}

/**
 * `hgatp` for a G-stage builder ({@link SecondStageTableBuilder.hgatp}): what {@link Mmu.hgatp}
 * reports once {@link Mmu.setHgatp} has loaded it, and the whole CSR value.
 *
 * @example
 * ```ts
 * const { mode, root, vmid } = g.hgatp(7);
 * mmu.setHgatp(mode, root, vmid);
 * ```
 */
export interface HgatpValue extends Hgatp {
  /** The whole RV64 CSR: MODE (bits 63:60), VMID (57:44), PPN (43:0). */
  readonly value: bigint;
}

/**
 * Options of {@link SecondStageTableBuilder.eptp}.
 *
 * @example
 * ```ts
 * mmu.setEptp(ept.eptp({ accessedDirty: true }), 1);  // WB paging structures, EPT A/D flags on
 * ept.eptp({ memoryType: 0 });                        // UC paging structures
 * ```
 */
export interface EptpOptions {
  /** Set bit 6: enable accessed and dirty flags for EPT. Default false. */
  accessedDirty?: boolean;
  /** Bits 2:0, the memory type of the EPT paging structures: 0 (UC) or 6 (WB). Default 6. */
  memoryType?: number;
}

/** Per kind: levels, guest-physical width, and `hgatp.MODE` (null for EPT). */
interface KindShape {
  readonly ept: boolean;
  readonly levels: number;
  readonly addressBits: number;
  readonly mode: GStageMode | null;
}

const KINDS: Readonly<Record<SecondStageKind, KindShape>> = {
  sv39x4: { ept: false, levels: 3, addressBits: gStageAddressBits(GStageMode.Sv39x4), mode: GStageMode.Sv39x4 },
  sv48x4: { ept: false, levels: 4, addressBits: gStageAddressBits(GStageMode.Sv48x4), mode: GStageMode.Sv48x4 },
  sv57x4: { ept: false, levels: 5, addressBits: gStageAddressBits(GStageMode.Sv57x4), mode: GStageMode.Sv57x4 },
  // 4-level EPT translates GPA bits 47:0; guest-physical addresses are below 2^52 (SDM §29.3.2).
  ept4: { ept: true, levels: 4, addressBits: 48, mode: null },
  ept5: { ept: true, levels: 5, addressBits: 52, mode: null },
};

const G_STAGE_KEYS = ['readable', 'writable', 'executable', 'accessed', 'dirty', 'pageSize'];
const EPT_KEYS = ['read', 'write', 'execute', 'userExecute', 'memoryType', 'ignorePat', 'accessed', 'dirty', 'pageSize'];
const EPTP_KEYS = ['accessedDirty', 'memoryType'];

/** RISC-V PTE bits (low half). */
const V = 0x1;
const R = 0x2;
const W = 0x4;
const X = 0x8;
const U = 0x10;
const A = 0x40;
const D = 0x80;
/** PPN bits in the high half of an Sv39/48/57 PTE. */
const RISCV_PPN_HIGH = 0x3f_ffff;
/** EPT entry bits. */
const EPT_PRESENT = EPT_ENTRY.Read | EPT_ENTRY.Write | EPT_ENTRY.Execute | EPT_ENTRY.UserExecute;
/** An EPT entry that references a table: read, write, execute and user-execute, so the leaf alone decides. */
const EPT_POINTER = EPT_PRESENT;
const EPT_FRAME_HIGH = 0xf_ffff;
/** Memory types an EPT leaf may hold: 0, 1, 4, 5, 6. */
const EPT_MEMORY_TYPES = [0, 1, 4, 5, 6];
/** Supervisor-physical pages end at or below 2^53 (RiscvGStageWalker reports a page beyond as a bus error). */
const RISCV_PHYSICAL_LIMIT = 2 ** 53;
/** EPT entries hold host-physical bits 51:12. */
const EPT_PHYSICAL_LIMIT = 2 ** 52;
const TWO_POW_22 = 2 ** 22;
const TWO_POW_32 = 2 ** 32;
/** RV64 VMIDLEN at most: `hgatp.VMID` is 14 bits. */
const MAX_VMID = 0x3fff;

/** A leaf as the map path validated it: its entry's two halves (the PS bit added per level for EPT). */
interface Leaf {
  readonly pageShift: number;
  readonly low: number;
}

/**
 * Writes a hypervisor's second-stage tables into physical memory, as {@link PageTableBuilder}
 * does a guest's own: RISC-V G-stage tables for `hgatp` (Sv39x4, Sv48x4, Sv57x4) and x86 EPT
 * tables (4- or 5-level) for the EPTP. Table frames come from a {@link FrameAllocator};
 * intermediate entries allow everything (RISC-V: V alone; EPT: read, write, execute and
 * user-execute), so each leaf alone decides what a guest-physical page allows.
 *
 * RISC-V: the root is 16 KiB ({@link GSTAGE_ROOT_SIZE}), 16 KiB aligned: 2048 entries indexed by
 * guest-physical bits 40:30 (Sv39x4), 49:39 or 58:48. The frame allocator hands out single
 * frames from a stack, with no contiguous or aligned allocation, so the constructor takes frames
 * one at a time until it holds the four frames of a 16 KiB-aligned block, keeps those and gives
 * the others back in reverse order (the allocator's free list ends as it was, less the four).
 * From a fresh allocator that takes at most 7 allocations; in a fragmented pool it may hold many
 * frames while it searches (frames it does not zero: only the four kept are), and fails with
 * {@link OutOfFramesError}, changing nothing, when none of the blocks it can reach is whole (or
 * {@link FrameAllocator.limit} stops the search first: it may need up to 3 frames more than the 4 it keeps). Every leaf has U = 1
 * (G-stage accesses are checked as U-mode accesses) and G = 0.
 *
 * x86: the root is one 4 KiB EPT PML4 (PML5) table; leaves carry read, write, execute,
 * user-execute (mode-based execute control), the EPT memory type and ignore-PAT; 2 MiB and
 * 1 GiB pages set bit 7.
 *
 * The builder changes memory only: after {@link SecondStageTableBuilder.unmap}, or a
 * {@link SecondStageTableBuilder.map} over an existing page, invalidate what TLBs hold of it
 * (HFENCE.GVMA, {@link Mmu.hfenceGvma}; INVEPT, {@link Mmu.invept}).
 *
 * @typeParam K - the kind of tables; it selects the mapping attributes {@link SecondStageTableBuilder.map} takes.
 *
 * @example
 * ```ts
 * // RISC-V: a guest's RAM at guest-physical 0, through Sv39x4.
 * const memory = new PhysicalMemory({ size: 8 << 20, base: 0x8000_0000 });
 * const frames = new FrameAllocator(memory);
 * const g = new SecondStageTableBuilder(memory, 'sv39x4', frames);
 * g.map(0x0, 0x8040_0000);                                   // RWX, A and D, U: ordinary guest RAM
 * g.map(0x20_0000, 0x8060_0000, { writable: false, pageSize: 0x20_0000 }); // a read-only 2 MiB page
 * memory.write32(0x8040_0010, 0x1234);
 * const mmu = new Mmu({ memory, format: 'sv39' });
 * const { mode, root } = g.hgatp();
 * mmu.setHgatp(mode, root, 1);                               // VMID 1
 * mmu.setGuestRoot(null, 0, 0);                              // vsatp Bare
 * mmu.setVirtualized(true);
 * mmu.read32(0x10);                                          // 0x1234
 *
 * // x86: the same through 4-level EPT.
 * const memory2 = new PhysicalMemory({ size: 8 << 20 });
 * const ept = new SecondStageTableBuilder(memory2, 'ept4', new FrameAllocator(memory2));
 * ept.map(0x0, 0x40_0000, { execute: false });
 * memory2.write32(0x40_0010, 0x5678);
 * const vmx = new Mmu({ memory: memory2, format: 'x86-64' });
 * vmx.setEptp(ept.eptp({ accessedDirty: true }), 1);          // VPID 1
 * vmx.setGuestRoot(null, 0, 0);                              // guest CR0.PG = 0
 * vmx.setVirtualized(true);                                  // VM entry
 * vmx.read32(0x10);                                          // 0x5678
 * ```
 */
export class SecondStageTableBuilder<K extends SecondStageKind = SecondStageKind> {
  /** What the tables are. */
  readonly kind: K;
  /** Where the tables live. */
  readonly memory: PhysicalMemory;
  /**
   * Physical address of the root table: RISC-V, the 16 KiB G-stage root (`hgatp.PPN × 4096`);
   * x86, the EPT PML4 (or PML5) table (EPTP bits 51:12).
   */
  readonly root: number;
  /** Number of levels: 3, 4 or 5. */
  readonly levels: number;
  /** Width of the guest-physical addresses mapped: 41, 50 or 59 (G-stage), 48 or 52 (EPT). */
  readonly addressBits: number;
  /** Page sizes {@link SecondStageTableBuilder.map} accepts, in bytes, ascending. */
  readonly pageSizes: readonly number[];

  private readonly frames: FrameAllocator;
  private readonly ept: boolean;
  private readonly mode: GStageMode | null;
  /** Frame numbers of every table, the root's first, in allocation order. */
  private readonly tableFrames = new Set<number>();
  /** 2^addressBits. */
  private readonly gpaLimit: number;
  /** The first physical address a page may not reach. */
  private readonly paLimit: number;

  /**
   * Allocates the root table, zeroed (nothing mapped).
   * @param memory - where the tables live.
   * @param kind - `'sv39x4'`, `'sv48x4'`, `'sv57x4'` (RISC-V G-stage), `'ept4'` or `'ept5'` (x86 EPT): see {@link SecondStageKind}.
   * @param frames - where the table frames come from; {@link SecondStageTableBuilder.tables} lists them.
   * @throws {@link InvalidArgumentError} on an unknown kind, when `memory` is not a PhysicalMemory or
   *   `frames` not a FrameAllocator of that memory, or (EPT) when the allocator's frames reach past
   *   2^52, where EPT entries cannot point.
   * @throws {@link OutOfFramesError} when the root cannot be allocated: no free frame (EPT), no whole
   *   16 KiB-aligned block of four free frames reachable (G-stage). Nothing is allocated then.
   *
   * @example
   * ```ts
   * const memory = new PhysicalMemory({ size: 1 << 20 });
   * const frames = new FrameAllocator(memory, { reserved: 1 });   // frame 0 stays out
   * const g = new SecondStageTableBuilder(memory, 'sv48x4', frames);
   * g.root;           // 0x4000: frames 1–3 were taken while searching, then given back
   * frames.usedCount; // 4
   * frames.allocate(); // 1
   * ```
   */
  constructor(memory: PhysicalMemory, kind: K, frames: FrameAllocator) {
    requirePhysicalMemory(memory);
    const shape = typeof kind === 'string' && Object.prototype.hasOwnProperty.call(KINDS, kind) ? KINDS[kind] : undefined;
    if (shape === undefined) {
      throw new InvalidArgumentError(`kind must be 'sv39x4', 'sv48x4', 'sv57x4', 'ept4' or 'ept5', got ${typeof kind === 'string' ? `'${kind}'` : typeof kind}`);
    }
    if (!(frames instanceof FrameAllocator) || frames.memory !== memory) throw new InvalidArgumentError('frames must be a FrameAllocator of the same memory');
    this.ept = shape.ept;
    this.paLimit = shape.ept ? EPT_PHYSICAL_LIMIT : RISCV_PHYSICAL_LIMIT;
    if ((frames.firstFrame + frames.totalCount) * FRAME_SIZE > this.paLimit) {
      throw new InvalidArgumentError(`the allocator's frames reach past 2^${shape.ept ? 52 : 53}, where ${shape.ept ? 'EPT' : 'G-stage'} entries cannot point`);
    }
    this.kind = kind;
    this.memory = memory;
    this.frames = frames;
    this.mode = shape.mode;
    this.levels = shape.levels;
    this.addressBits = shape.addressBits;
    this.gpaLimit = 2 ** shape.addressBits;
    const sizes: number[] = [];
    const largest = shape.ept ? 3 : shape.levels;
    for (let i = 0; i < largest; i++) sizes.push(2 ** (12 + 9 * i));
    this.pageSizes = Object.freeze(sizes);
    if (shape.ept) {
      const frame = frames.allocate();
      this.tableFrames.add(frame);
      this.root = frame * FRAME_SIZE;
    } else {
      const first = allocateAlignedBlock(frames, GSTAGE_ROOT_SIZE / FRAME_SIZE);
      for (let i = 0; i < GSTAGE_ROOT_SIZE / FRAME_SIZE; i++) this.tableFrames.add(first + i);
      this.root = first * FRAME_SIZE;
    }
  }

  /** Number of 4 KiB frames the tables use, the root's included (4 for a G-stage root, 1 for EPT). */
  get tableCount(): number {
    return this.tableFrames.size;
  }

  /** Physical addresses of every table frame (4 KiB each), the root's first: the frames to free when the guest goes. */
  tables(): number[] {
    return [...this.tableFrames].map((f) => f * FRAME_SIZE);
  }

  /**
   * Maps the guest-physical page at `gpa` to the physical page at `pa`, allocating the
   * intermediate tables it needs (all of them or none). A mapping of the same page is
   * overwritten; a larger page's entry may replace a table only when no page is mapped below it
   * (its now unused tables go back to the allocator). Invalidate TLBs after a replacement.
   *
   * @param gpa - guest-physical address of the page, aligned to its size, below 2^{@link SecondStageTableBuilder.addressBits}.
   * @param pa - supervisor-physical (RISC-V) or host-physical (EPT) address of the page, aligned to
   *   its size; the page must end at or below 2^53 (RISC-V) or 2^52 (EPT). It need not be RAM.
   * @param attributes - {@link GStageMappingAttributes} or {@link EptMappingAttributes}, by kind.
   * @returns whether a page of the same size was mapped there (and is now replaced).
   * @throws {@link InvalidArgumentError} (nothing changes) when `attributes` is not an object or has a key
   *   of the other kind, a field has the wrong type, `pageSize` is not one of
   *   {@link SecondStageTableBuilder.pageSizes}, the permissions are not a usable leaf (no
   *   permission at all; write without read), the EPT memory type is reserved, `gpa` or `pa` is not
   *   an integer, out of range or not aligned to the page size, a larger page already maps `gpa`,
   *   or smaller pages are mapped inside the page.
   * @throws {@link OutOfFramesError} when the intermediate tables cannot be allocated (nothing changes).
   *
   * @example
   * ```ts
   * const memory = new PhysicalMemory({ size: 4 << 20 });
   * const ept = new SecondStageTableBuilder(memory, 'ept4', new FrameAllocator(memory));
   * ept.map(0x1000, 0x20_0000);                                    // false: RWX, WB
   * ept.map(0x1000, 0x20_1000, { write: false, memoryType: 0 });   // true: replaced, now read/execute, UC
   * ept.map(0x4000_0000, 0x4000_0000, { pageSize: 0x4000_0000 });  // a 1 GiB page (bit 7 in an EPT PDPTE)
   * ept.lookup(0x1000)!.attributes.write;                          // false
   * ```
   */
  map(gpa: number, pa: number, attributes: SecondStageMappingAttributes<K> = {} as SecondStageMappingAttributes<K>): boolean {
    const leaf = this.ept ? eptLeaf(attributes as EptMappingAttributes, this.pageSizes) : gStageLeaf(attributes as GStageMappingAttributes, this.pageSizes);
    const pageShift = leaf.pageShift;
    this.checkGuest(gpa, pageShift);
    const size = 2 ** pageShift;
    if (typeof pa !== 'number' || !Number.isInteger(pa) || pa < 0 || pa > this.paLimit - size) {
      throw new InvalidArgumentError(`pa must be an integer in [0, 2^${this.ept ? 52 : 53} - page size], got ${typeof pa === 'number' ? pa : typeof pa}`);
    }
    if (pa % size !== 0) throw new InvalidArgumentError(`pa 0x${pa.toString(16)} is not aligned to the page size (0x${size.toString(16)})`);
    const leafLevel = this.levels - 1 - (pageShift - 12) / 9;

    // Find how deep the existing tables go, and what the leaf's slot holds, before changing anything.
    let table = this.root;
    let level = 0;
    for (; level < leafLevel; level++) {
      const at = this.entryAddress(table, gpa, level);
      const lo = this.memory.read32(at);
      if (!this.present(lo)) break;
      if (this.isLeaf(lo, level)) throw new InvalidArgumentError(`a larger page already maps 0x${gpa.toString(16)}: unmap it first`);
      table = this.target(lo, this.memory.read32(at + 4));
    }
    let replaced = false;
    const emptyTables: number[] = [];
    if (level === leafLevel) {
      const at = this.entryAddress(table, gpa, leafLevel);
      const lo = this.memory.read32(at);
      if (this.present(lo)) {
        if (this.isLeaf(lo, leafLevel)) replaced = true;
        else if (!this.collectEmpty(this.target(lo, this.memory.read32(at + 4)), leafLevel + 1, emptyTables)) {
          throw new InvalidArgumentError(`smaller pages are mapped inside the 0x${size.toString(16)}-byte page at 0x${gpa.toString(16)}: unmap them first`);
        }
      }
    }

    const fresh = this.frames.allocateMany(leafLevel - level); // all or none
    for (const frame of fresh) {
      this.tableFrames.add(frame);
      const tableAddress = frame * FRAME_SIZE;
      this.writeEntry(this.entryAddress(table, gpa, level), this.ept ? EPT_POINTER : V, tableAddress);
      table = tableAddress;
      level++;
    }
    const low = this.ept && leafLevel !== this.levels - 1 ? leaf.low | EPT_ENTRY.LargePage : leaf.low;
    this.writeEntry(this.entryAddress(table, gpa, leafLevel), low, pa);
    for (const frame of emptyTables) {
      this.tableFrames.delete(frame);
      if (this.frames.isAllocated(frame)) this.frames.release(frame);
    }
    return replaced;
  }

  /**
   * Clears the leaf entry mapping `gpa`, of any page size. Tables are kept. Invalidate what the
   * TLBs hold of the page afterwards.
   * @param gpa - a 4 KiB-aligned guest-physical address inside the page, below 2^{@link SecondStageTableBuilder.addressBits}.
   * @returns whether a page was mapped there.
   * @throws {@link InvalidArgumentError} when `gpa` is not a 4 KiB-aligned integer in range (nothing changes).
   *
   * @example
   * ```ts
   * const memory = new PhysicalMemory({ size: 1 << 20 });
   * const g = new SecondStageTableBuilder(memory, 'sv39x4', new FrameAllocator(memory));
   * g.map(0x20_0000, 0x0, { pageSize: 0x20_0000 });
   * g.unmap(0x20_5000);   // true: the whole 2 MiB page is gone
   * g.unmap(0x20_5000);   // false
   * ```
   */
  unmap(gpa: number): boolean {
    const page = this.lookup(gpa);
    if (page === null) return false;
    this.memory.write32(page.entryAddress, 0);
    this.memory.write32(page.entryAddress + 4, 0);
    return true;
  }

  /**
   * Finds the page mapping `gpa` by reading the tables as software would: no A/D updates, no
   * permission or reserved-bit checks.
   * @param gpa - a 4 KiB-aligned guest-physical address (inside a large page it finds the large page).
   * @returns the page, or null when an entry on the way is not present.
   * @throws {@link InvalidArgumentError} when `gpa` is not a 4 KiB-aligned integer in range.
   *
   * @example
   * ```ts
   * const memory = new PhysicalMemory({ size: 1 << 20 });
   * const g = new SecondStageTableBuilder(memory, 'sv39x4', new FrameAllocator(memory));
   * g.map(0x4000_0000, 0x0, { executable: false, pageSize: 0x4000_0000 });
   * const page = g.lookup(0x4000_3000)!;
   * page.pageSize;                // 0x4000_0000
   * page.level;                   // 0: a leaf in the 16 KiB root
   * page.attributes.executable;   // false
   * g.lookup(0x1000);             // null
   * ```
   */
  lookup(gpa: number): SecondStagePage<K> | null {
    this.checkGuest(gpa, 12);
    let table = this.root;
    for (let level = 0; level < this.levels; level++) {
      const entryAddress = this.entryAddress(table, gpa, level);
      const lo = this.memory.read32(entryAddress);
      if (!this.present(lo)) return null;
      const hi = this.memory.read32(entryAddress + 4);
      const address = this.target(lo, hi);
      if (this.isLeaf(lo, level)) {
        const pageSize = 2 ** (12 + 9 * (this.levels - 1 - level));
        const entry = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
        const attributes = (this.ept ? decodeEpt(lo, pageSize) : decodeGStage(lo, pageSize)) as unknown as Required<SecondStageMappingAttributes<K>>;
        return { pageBase: address, pageSize, level, entryAddress, entry, attributes };
      }
      table = address;
    }
    return null;
  }

  /**
   * The `hgatp` value that selects these G-stage tables: its mode and root are what
   * {@link Mmu.setHgatp} and {@link RiscvGStageWalker.setHgatp} take.
   * @param vmid - the VMID, in [0, 16383]. Default 0.
   * @throws {@link InvalidArgumentError} for EPT tables, or a bad VMID.
   *
   * @example
   * ```ts
   * const memory = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000 });
   * const g = new SecondStageTableBuilder(memory, 'sv48x4', new FrameAllocator(memory));
   * const hgatp = g.hgatp(3);
   * hgatp.mode;    // GStageMode.Sv48x4 (9)
   * hgatp.root;    // 0x8000_0000
   * hgatp.value;   // 0x9000_3000_0008_0000n: MODE 9, VMID 3, PPN 0x80000
   * ```
   */
  hgatp(vmid = 0): HgatpValue {
    if (this.mode === null) throw new InvalidArgumentError(`hgatp is for G-stage tables; ${this.kind} tables take an EPTP: eptp()`);
    requireInteger(vmid, 'vmid', 0, MAX_VMID);
    const value = (BigInt(this.mode) << 60n) | (BigInt(vmid) << 44n) | BigInt(this.root / FRAME_SIZE);
    return { mode: this.mode, root: this.root, vmid, value };
  }

  /**
   * The EPT pointer that selects these EPT tables, for {@link Mmu.setEptp} and
   * {@link EptWalker.setEptp}: the root, the page-walk length − 1 in bits 5:3, the paging
   * structures' memory type in bits 2:0 and, when asked, bit 6 (EPT accessed and dirty flags).
   * @param options - see {@link EptpOptions}.
   * @throws {@link InvalidArgumentError} for G-stage tables, or a bad option.
   *
   * @example
   * ```ts
   * const memory = new PhysicalMemory({ size: 1 << 20 });
   * const ept = new SecondStageTableBuilder(memory, 'ept5', new FrameAllocator(memory));
   * ept.eptp();                           // 0x26n: root 0, walk length 5, WB
   * ept.eptp({ accessedDirty: true });    // 0x66n
   * new EptWalker(memory, { eptp: ept.eptp() }).walkLength; // 5
   * ```
   */
  eptp(options: EptpOptions = {}): bigint {
    if (this.mode !== null) throw new InvalidArgumentError(`eptp is for EPT tables; ${this.kind} tables take hgatp: hgatp()`);
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
    requireKnownKeys(options, EPTP_KEYS, 'EptpOptions');
    const ad = optionalBoolean(options.accessedDirty, false, 'accessedDirty');
    const memoryType = options.memoryType ?? EPTP.MemoryTypeWriteBack;
    if (memoryType !== EPTP.MemoryTypeUncacheable && memoryType !== EPTP.MemoryTypeWriteBack) {
      throw new InvalidArgumentError(`the EPTP memory type must be 0 (UC) or 6 (WB), got ${String(memoryType)}`);
    }
    const low = ((this.levels - 1) << 3) | memoryType | (ad ? EPTP.AccessedDirty : 0);
    return BigInt(this.root) | BigInt(low);
  }

  /** Checks a guest-physical address: an integer in range, aligned to 2^pageShift. */
  private checkGuest(gpa: number, pageShift: number): void {
    if (typeof gpa !== 'number' || !Number.isInteger(gpa) || gpa < 0 || gpa >= this.gpaLimit) {
      throw new InvalidArgumentError(`gpa must be an integer in [0, 2^${this.addressBits}), got ${typeof gpa === 'number' ? gpa : typeof gpa}`);
    }
    if (gpa % 2 ** pageShift !== 0) throw new InvalidArgumentError(`gpa 0x${gpa.toString(16)} is not aligned to the page size (0x${(2 ** pageShift).toString(16)})`);
  }

  /** Physical address of the entry for `gpa` in the table at `table` of `level` (the G-stage root has 11 index bits). */
  private entryAddress(table: number, gpa: number, level: number): number {
    const entries = !this.ept && level === 0 ? 2048 : 512;
    return table + (Math.floor(gpa / 2 ** (12 + 9 * (this.levels - 1 - level))) % entries) * 8;
  }

  /** Whether an entry (its low half) is present: RISC-V V; EPT any of bits 2:0 or bit 10. */
  private present(lo: number): boolean {
    return (lo & (this.ept ? EPT_PRESENT : V)) !== 0;
  }

  /** Whether a present entry maps a page (rather than referencing a table). */
  private isLeaf(lo: number, level: number): boolean {
    if (level === this.levels - 1) return true;
    return this.ept ? (lo & EPT_ENTRY.LargePage) !== 0 : (lo & (R | W | X)) !== 0;
  }

  /** The address an entry holds: the next table, or the page. */
  private target(lo: number, hi: number): number {
    if (this.ept) return (hi & EPT_FRAME_HIGH) * TWO_POW_32 + ((lo & 0xffff_f000) >>> 0);
    return ((hi & RISCV_PPN_HIGH) * TWO_POW_22 + (lo >>> 10)) * FRAME_SIZE;
  }

  /** Writes an entry holding `address` (4 KiB aligned, below the physical limit) with the flag bits `flags`. */
  private writeEntry(at: number, flags: number, address: number): void {
    let lo: number;
    let hi: number;
    if (this.ept) {
      lo = ((address & 0xffff_f000) | flags) >>> 0;
      hi = Math.floor(address / TWO_POW_32);
    } else {
      const ppn = address / FRAME_SIZE;
      lo = (((ppn % TWO_POW_22) * 1024) | flags) >>> 0;
      hi = Math.floor(ppn / TWO_POW_22);
    }
    this.memory.write32(at + 4, hi);
    this.memory.write32(at, lo);
  }

  /**
   * Whether the table at `table` (of `level`) and every table below it map nothing; if so their
   * frames are appended to `out`. A table this builder did not allocate counts as not empty.
   */
  private collectEmpty(table: number, level: number, out: number[]): boolean {
    if (!this.tableFrames.has(table / FRAME_SIZE) || table === this.root) return false;
    for (let i = 0; i < 512; i++) {
      const at = table + i * 8;
      const lo = this.memory.read32(at);
      if (!this.present(lo)) continue;
      if (this.isLeaf(lo, level)) return false;
      if (!this.collectEmpty(this.target(lo, this.memory.read32(at + 4)), level + 1, out)) return false;
    }
    out.push(table / FRAME_SIZE);
    return true;
  }
}

/**
 * Takes `count` (a power of two) contiguous frames aligned to `count` frames from an allocator
 * that hands out single frames only: takes frames until it holds a whole aligned block, then gives
 * the others back in reverse order, which leaves the free list as it was less the block. Frames
 * are taken without zeroing and only the block's are zeroed, so a search that fails writes nothing.
 * @returns the block's first frame number.
 * @throws {@link OutOfFramesError} when the allocator runs dry first (everything is given back).
 */
function allocateAlignedBlock(frames: FrameAllocator, count: number): number {
  const available = frames.availableCount;
  const taken: number[] = [];
  const held = new Set<number>();
  let first = -1;
  while (first < 0) {
    let frame: number;
    try {
      frame = frames.allocateForOverwrite();
    } catch (e) {
      for (let i = taken.length - 1; i >= 0; i--) frames.release(taken[i]);
      if (e instanceof OutOfFramesError) throw new OutOfFramesError(count, available);
      throw e;
    }
    taken.push(frame);
    held.add(frame);
    const base = frame - (frame % count);
    let whole = true;
    for (let i = 0; i < count && whole; i++) whole = held.has(base + i);
    if (whole) first = base;
  }
  for (let i = taken.length - 1; i >= 0; i--) if (taken[i] < first || taken[i] >= first + count) frames.release(taken[i]);
  for (let i = 0; i < count; i++) frames.memory.zeroFrame(first + i);
  return first;
}

/** An optional boolean field, or its default. */
function optionalBoolean(value: unknown, fallback: boolean, what: string): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InvalidArgumentError(`${what} must be a boolean, got ${value === null ? 'null' : typeof value}`);
  return value;
}

/** Checks an attributes argument and its page size; returns the page shift. */
function checkAttributes(attributes: unknown, keys: readonly string[], what: string, pageSizes: readonly number[]): number {
  if (attributes === null || typeof attributes !== 'object') throw new InvalidArgumentError('attributes must be an object');
  requireKnownKeys(attributes, keys, what);
  const pageSize = (attributes as { pageSize?: unknown }).pageSize ?? FRAME_SIZE;
  if (typeof pageSize !== 'number' || !pageSizes.includes(pageSize)) {
    throw new InvalidArgumentError(`pageSize must be one of ${pageSizes.map((s) => `0x${s.toString(16)}`).join(', ')}, got ${typeof pageSize === 'number' ? pageSize : typeof pageSize}`);
  }
  return Math.log2(pageSize);
}

/** Validates G-stage attributes and encodes the leaf's low half (without the PPN). */
function gStageLeaf(a: GStageMappingAttributes, pageSizes: readonly number[]): Leaf {
  const pageShift = checkAttributes(a, G_STAGE_KEYS, 'GStageMappingAttributes', pageSizes);
  const read = optionalBoolean(a.readable, true, 'readable');
  const write = optionalBoolean(a.writable, true, 'writable');
  const execute = optionalBoolean(a.executable, true, 'executable');
  const accessed = optionalBoolean(a.accessed, true, 'accessed');
  const dirty = optionalBoolean(a.dirty, true, 'dirty');
  if (!read && !write && !execute) throw new InvalidArgumentError('a G-stage leaf needs R, W or X (with none the entry would point at a table)');
  if (write && !read) throw new InvalidArgumentError('W without R is a reserved RISC-V encoding');
  const low = V | U | (read ? R : 0) | (write ? W : 0) | (execute ? X : 0) | (accessed ? A : 0) | (dirty ? D : 0);
  return { pageShift, low };
}

/** Validates EPT attributes and encodes the leaf's low half (without the address and bit 7). */
function eptLeaf(a: EptMappingAttributes, pageSizes: readonly number[]): Leaf {
  const pageShift = checkAttributes(a, EPT_KEYS, 'EptMappingAttributes', pageSizes);
  const read = optionalBoolean(a.read, true, 'read');
  const write = optionalBoolean(a.write, true, 'write');
  const execute = optionalBoolean(a.execute, true, 'execute');
  const userExecute = optionalBoolean(a.userExecute, execute, 'userExecute');
  const ignorePat = optionalBoolean(a.ignorePat, false, 'ignorePat');
  const accessed = optionalBoolean(a.accessed, true, 'accessed');
  const dirty = optionalBoolean(a.dirty, true, 'dirty');
  const memoryType = a.memoryType ?? 6;
  if (typeof memoryType !== 'number' || !EPT_MEMORY_TYPES.includes(memoryType)) {
    throw new InvalidArgumentError(`memoryType must be 0 (UC), 1 (WC), 4 (WT), 5 (WP) or 6 (WB), got ${typeof memoryType === 'number' ? memoryType : typeof memoryType}`);
  }
  if (!read && !write && !execute && !userExecute) throw new InvalidArgumentError('an EPT leaf needs read, write, execute or userExecute (with none it is not present)');
  if (write && !read) throw new InvalidArgumentError('write without read is an EPT misconfiguration');
  const low =
    (read ? EPT_ENTRY.Read : 0) |
    (write ? EPT_ENTRY.Write : 0) |
    (execute ? EPT_ENTRY.Execute : 0) |
    (memoryType << 3) |
    (ignorePat ? EPT_ENTRY.IgnorePat : 0) |
    (accessed ? EPT_ENTRY.Accessed : 0) |
    (dirty ? EPT_ENTRY.Dirty : 0) |
    (userExecute ? EPT_ENTRY.UserExecute : 0);
  return { pageShift, low };
}

/** The attributes a G-stage leaf's low half holds. */
function decodeGStage(lo: number, pageSize: number): Required<GStageMappingAttributes> {
  return {
    readable: (lo & R) !== 0,
    writable: (lo & W) !== 0,
    executable: (lo & X) !== 0,
    accessed: (lo & A) !== 0,
    dirty: (lo & D) !== 0,
    pageSize,
  };
}

/** The attributes an EPT leaf's low half holds. */
function decodeEpt(lo: number, pageSize: number): Required<EptMappingAttributes> {
  return {
    read: (lo & EPT_ENTRY.Read) !== 0,
    write: (lo & EPT_ENTRY.Write) !== 0,
    execute: (lo & EPT_ENTRY.Execute) !== 0,
    userExecute: (lo & EPT_ENTRY.UserExecute) !== 0,
    memoryType: (lo >>> 3) & 7,
    ignorePat: (lo & EPT_ENTRY.IgnorePat) !== 0,
    accessed: (lo & EPT_ENTRY.Accessed) !== 0,
    dirty: (lo & EPT_ENTRY.Dirty) !== 0,
    pageSize,
  };
}
