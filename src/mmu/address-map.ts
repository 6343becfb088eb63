import { InvalidArgumentError } from './errors.js';

/**
 * A memory-mapped device: the MMU and the page walker call it for every access
 * that lands in its region. Offsets are relative to the region's base. Accesses
 * are 1, 2 or 4 bytes; an 8-byte access is split into two 4-byte accesses, the
 * lower address first. An access that straddles the region's edge reaches the
 * device one byte at a time.
 *
 * A device may throw {@link PhysicalAccessError} to refuse an access; the MMU
 * then reports an access fault (x86 `#MC`, RISC-V access-fault `scause`), as
 * for unmapped memory.
 *
 * @example
 * ```ts
 * // A console: bytes stored at offset 0 are printed; offset 4 reads how many were.
 * let text = '';
 * const uart: MmioDevice = {
 *   read: (offset) => (offset === 4 ? text.length : 0),
 *   write: (offset, size, value) => { if (offset === 0) text += String.fromCharCode(value & 0xff); },
 * };
 * const mem = new PhysicalMemory({ size: 1 << 20 });
 * mem.mapMmio(0x1000_0000, 0x1000, uart, 'uart');
 * mem.write8(0x1000_0000, 0x68);
 * mem.write8(0x1000_0000, 0x69);
 * text;                        // 'hi'
 * mem.read32(0x1000_0004);     // 2
 * ```
 */
export interface MmioDevice {
  /**
   * Returns the value read at `offset` (unsigned, `size` bytes, little-endian).
   * @param offset - byte offset inside the region.
   * @param size - 1, 2 or 4.
   */
  read(offset: number, size: 1 | 2 | 4): number;
  /**
   * Takes the value written at `offset`.
   * @param offset - byte offset inside the region.
   * @param size - 1, 2 or 4.
   * @param value - the unsigned value written.
   */
  write(offset: number, size: 1 | 2 | 4, value: number): void;
}

/** What a ROM does with writes: drop them silently, or raise a physical access error. */
export type RomWritePolicy = 'ignore' | 'fault';

/** A region of the physical address map other than RAM, as reported by {@link PhysicalMemory.regions}. */
export interface PhysicalRegion {
  /** `'ram'`, `'rom'` or `'mmio'`. */
  readonly kind: 'ram' | 'rom' | 'mmio';
  /** Name given when the region was mapped. */
  readonly name: string;
  /** First physical address (bytes). */
  readonly base: number;
  /** Size in bytes. */
  readonly size: number;
}

/** A ROM or MMIO region in the map (RAM is handled by {@link PhysicalMemory} itself). */
export interface MappedRegion extends PhysicalRegion {
  /** ROM contents (kind `'rom'`). */
  readonly rom?: Uint8Array;
  /** ROM write policy (kind `'rom'`). */
  readonly romWrites?: RomWritePolicy;
  /** Device callbacks (kind `'mmio'`). */
  readonly device?: MmioDevice;
}

/**
 * The ordered list of ROM and MMIO regions. Lookups are off the hot path (RAM
 * is checked first by a single range compare), so a sorted array with binary
 * search is enough.
 * @internal
 */
export class AddressMap {
  private readonly sorted: MappedRegion[] = [];

  /** Adds a region; throws {@link InvalidArgumentError} if it overlaps another or the RAM range. */
  add(region: MappedRegion, ramBase: number, ramSize: number): void {
    const end = region.base + region.size;
    if (region.base < ramBase + ramSize && ramBase < end) {
      throw new InvalidArgumentError(`${region.kind} region '${region.name}' overlaps RAM`);
    }
    for (const other of this.sorted) {
      if (region.base < other.base + other.size && other.base < end) {
        throw new InvalidArgumentError(`${region.kind} region '${region.name}' overlaps '${other.name}'`);
      }
    }
    this.sorted.push(region);
    this.sorted.sort((a, b) => a.base - b.base);
  }

  /** The region containing `address`, or undefined. */
  find(address: number): MappedRegion | undefined {
    let lo = 0;
    let hi = this.sorted.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const r = this.sorted[mid];
      if (address < r.base) hi = mid - 1;
      else if (address >= r.base + r.size) lo = mid + 1;
      else return r;
    }
    return undefined;
  }

  /** All regions in address order. */
  list(): readonly MappedRegion[] {
    return this.sorted;
  }
}
