import { AddressMap, type MappedRegion, type MmioDevice, type PhysicalRegion, type RomWritePolicy } from './address-map.js';
import { InvalidArgumentError, PhysicalAccessError } from './errors.js';
import { requireAligned, requireInteger, requireKnownKeys } from './validate.js';
import type { MemoryJournal } from './memory-journal.js';

/** Size of a page frame in bytes (4 KiB) on every supported architecture. */
export const FRAME_SIZE = 4096;
/** log2 of {@link FRAME_SIZE} (12): a frame number is a physical address shifted right by 12. */
export const FRAME_SHIFT = 12;

/** Longest block access (readBytes) that may go outside RAM, byte by byte through the address map. */
const MAX_BLOCK_OUTSIDE_RAM = 2 ** 30;

/** Checks a region name. */
function requireName(name: unknown): string {
  if (typeof name !== 'string') throw new InvalidArgumentError(`a region name must be a string, got ${typeof name}`);
  return name;
}

/** Checks the value of an 8/16/32-bit write: a number (stored modulo 2^bits, as typed arrays store it). */
function requireValue(value: unknown): number {
  if (typeof value !== 'number') throw new InvalidArgumentError(`the value written must be a number, got ${typeof value}`);
  return value;
}

/**
 * Checks that `memory` is a {@link PhysicalMemory}.
 * @throws {@link InvalidArgumentError} otherwise.
 * @internal
 */
export function requirePhysicalMemory(memory: unknown, what = 'memory'): PhysicalMemory {
  if (!(memory instanceof PhysicalMemory)) throw new InvalidArgumentError(`${what} must be a PhysicalMemory`);
  return memory;
}

/**
 * What an access to an address with no RAM, ROM or MMIO behind it does:
 * `'fault'` throws {@link PhysicalAccessError}, `'open-bus'` reads all ones
 * and drops writes. See {@link PhysicalMemoryOptions.unmapped}.
 */
export type UnmappedPolicy = 'fault' | 'open-bus';

/** Options of {@link PhysicalMemory}. */
export interface PhysicalMemoryOptions {
  /** Bytes of RAM; a positive multiple of 4096. */
  size: number;
  /** Physical address where RAM starts (default 0); a multiple of 4096. RISC-V boards commonly use 0x8000_0000. */
  base?: number;
  /**
   * Back RAM with a `SharedArrayBuffer` so emulator workers can share it
   * (default false). In browsers this needs a cross-origin-isolated page.
   */
  shared?: boolean;
  /** Use this buffer as RAM instead of allocating one (its byteLength must equal `size`); e.g. RAM shared by another worker. */
  buffer?: ArrayBuffer | SharedArrayBuffer;
  /**
   * `'fault'` (default): an access that reaches nothing throws
   * {@link PhysicalAccessError} (the MMU turns it into an access fault, as a
   * RISC-V PMA check does). `'open-bus'`: reads return all ones and writes are
   * dropped, as on a PC.
   */
  unmapped?: UnmappedPolicy;
}

/**
 * Emulated physical memory: RAM in one typed array, plus ROM and MMIO regions
 * in a physical address map. All multi-byte accesses are little-endian. Page
 * tables live here too, so the walker and data accesses go through the same map.
 *
 * Addresses are plain numbers (integers below 2^53). 8/16/32-bit reads return
 * unsigned numbers; 64-bit reads return a `bigint`.
 *
 * @example
 * ```ts
 * const mem = new PhysicalMemory({ size: 16 << 20 }); // 16 MiB of RAM at physical address 0
 * mem.write32(0x1000, 0xdeadbeef);
 * mem.read32(0x1000);                                 // 0xdeadbeef
 * mem.read64(0x1000);                                 // 0xdeadbeefn
 * mem.read8(0x1003);                                  // 0xde: little-endian
 *
 * // A ROM and an MMIO device beside RAM, in the same physical address space.
 * mem.mapRom(0xffff_0000, new Uint8Array(0x1_0000).fill(0x90), { name: 'bios' });
 * mem.read8(0xffff_fff0);                             // 0x90
 * const timer: MmioDevice = { read: (offset) => (offset === 0 ? 1234 : 0), write: () => {} };
 * mem.mapMmio(0xfed0_0000, 0x1000, timer, 'timer');
 * mem.read32(0xfed0_0000);                            // 1234
 * ```
 */
export class PhysicalMemory {
  /** First physical address of RAM (bytes; a multiple of 4096). */
  readonly ramBase: number;
  /** Size of RAM in bytes. */
  readonly ramSize: number;
  /** Number of 4 KiB frames of RAM. */
  readonly frameCount: number;
  /** Physical frame number (address / 4096) of the first RAM frame. */
  readonly firstFrame: number;
  /** The buffer behind RAM (a `SharedArrayBuffer` when `shared`). */
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  /** RAM as bytes; index 0 is physical address {@link PhysicalMemory.ramBase}. */
  readonly bytes: Uint8Array;
  /** RAM as a DataView, for emulators that do their own little-endian loads. */
  readonly view: DataView;
  /** What unmapped accesses do. */
  readonly unmapped: UnmappedPolicy;

  private readonly map = new AddressMap();
  /**
   * @internal The undo journal of the open snapshots ({@link MachineSnapshots}), or null: every writer of RAM
   * saves a frame into it before its first write since the newest snapshot.
   */
  journal: MemoryJournal | null = null;
  // Highest RAM offsets at which an access of 2, 4 and 8 bytes still fits.
  private readonly last2: number;
  private readonly last4: number;
  private readonly last8: number;

  /**
   * Allocates (or adopts) the RAM buffer. RAM starts zeroed; no ROM or MMIO is mapped yet.
   *
   * @param options - size and base of RAM (bytes), sharing and the unmapped-access policy.
   * @throws {@link InvalidArgumentError} when `size` is not a positive multiple of 4096, `base` is
   *   not a multiple of 4096, `base + size` exceeds 2^53, `unmapped` is unknown, or `buffer` has the wrong size.
   * @throws RangeError from the host when it cannot allocate that much memory.
   */
  constructor(options: PhysicalMemoryOptions) {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
    requireKnownKeys(options, ['size', 'base', 'shared', 'buffer', 'unmapped'], 'PhysicalMemoryOptions');
    const size = requireAligned(requireInteger(options.size, 'size', FRAME_SIZE), FRAME_SIZE, 'size');
    const base = requireAligned(requireInteger(options.base ?? 0, 'base'), FRAME_SIZE, 'base');
    if (base + size > Number.MAX_SAFE_INTEGER) throw new InvalidArgumentError('base + size exceeds 2^53');
    const unmapped = options.unmapped ?? 'fault';
    if (unmapped !== 'fault' && unmapped !== 'open-bus') {
      throw new InvalidArgumentError(`unmapped must be 'fault' or 'open-bus', got ${String(unmapped)}`);
    }
    if (options.shared !== undefined && typeof options.shared !== 'boolean') throw new InvalidArgumentError('shared must be a boolean');
    let buffer = options.buffer;
    if (buffer !== undefined) {
      // A typed array would be copied by `new Uint8Array(...)`: RAM would silently not be the caller's memory.
      const isBuffer = buffer instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer);
      if (!isBuffer) throw new InvalidArgumentError('buffer must be an ArrayBuffer or a SharedArrayBuffer');
      if (buffer.byteLength !== size) throw new InvalidArgumentError(`buffer.byteLength ${buffer.byteLength} != size ${size}`);
    } else {
      buffer = options.shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size);
    }
    this.ramBase = base;
    this.ramSize = size;
    this.frameCount = size / FRAME_SIZE;
    this.firstFrame = base / FRAME_SIZE;
    this.buffer = buffer;
    this.bytes = new Uint8Array(buffer);
    this.view = new DataView(buffer);
    this.unmapped = unmapped;
    this.last2 = size - 2;
    this.last4 = size - 4;
    this.last8 = size - 8;
  }

  /**
   * Maps a ROM at `base`. Reads return `data`; writes are dropped or fault per `writes`.
   * The ROM keeps a reference to `data` (not a copy), so the host can reload it.
   *
   * @param base - physical address of the ROM's first byte (any integer; ROMs need not be page aligned).
   * @param data - the contents; the ROM is `data.length` bytes long.
   * @param options - `writes`: `'ignore'` (default) drops writes, `'fault'` throws
   *   {@link PhysicalAccessError} (code `'PHYSICAL_ROM_WRITE'`); `name`: for {@link PhysicalMemory.regions}.
   * @throws {@link InvalidArgumentError} on a bad address, an empty ROM, an unknown write policy, or an
   *   overlap with RAM or another region.
   *
   * @example
   * ```ts
   * const mem = new PhysicalMemory({ size: 1 << 20 });
   * mem.mapRom(0xffff_f000, new Uint8Array([0xea, 0x5b, 0xe0]), { writes: 'ignore', name: 'reset vector' });
   * mem.read8(0xffff_f000);     // 0xea
   * mem.write8(0xffff_f000, 0); // dropped
   * mem.read8(0xffff_f000);     // 0xea
   * ```
   */
  mapRom(base: number, data: Uint8Array, options: { writes?: RomWritePolicy; name?: string } = {}): void {
    requireInteger(base, 'base');
    if (!(data instanceof Uint8Array) || data.length === 0) throw new InvalidArgumentError('ROM data must be a non-empty Uint8Array');
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
    requireKnownKeys(options, ['writes', 'name'], 'mapRom options');
    const writes = options.writes ?? 'ignore';
    if (writes !== 'ignore' && writes !== 'fault') throw new InvalidArgumentError(`writes must be 'ignore' or 'fault'`);
    const name = requireName(options.name ?? 'rom');
    this.checkRegionEnd(base, data.length);
    this.map.add({ kind: 'rom', name, base, size: data.length, rom: data, romWrites: writes }, this.ramBase, this.ramSize);
  }

  /**
   * Maps an MMIO device over `[base, base + size)`. Every access that lands
   * there, from the CPU through an {@link Mmu} or from a page walk, calls the
   * device with the offset from `base` (see {@link MmioDevice} for how 8-byte
   * and straddling accesses are split). Pages that are not entirely RAM never
   * take the MMU's fast path, so a device sees every access.
   *
   * @param base - physical address of the region's first byte.
   * @param size - length of the region in bytes (at least 1).
   * @param device - the callbacks.
   * @param name - name for {@link PhysicalMemory.regions}; default `'mmio'`.
   * @throws {@link InvalidArgumentError} on a bad range, a device without read/write, or an overlap
   *   with RAM or another region.
   *
   * @example
   * ```ts
   * const mem = new PhysicalMemory({ size: 1 << 20 });
   * const out: number[] = [];
   * const uart: MmioDevice = { read: () => 0, write: (offset, size, value) => { if (offset === 0) out.push(value); } };
   * mem.mapMmio(0x1000_0000, 0x100, uart, 'uart');
   * mem.write8(0x1000_0000, 0x41);
   * out;                                 // [0x41]
   * mem.regions().map((r) => r.name);    // ['ram', 'uart']
   * ```
   */
  mapMmio(base: number, size: number, device: MmioDevice, name = 'mmio'): void {
    requireInteger(base, 'base');
    requireInteger(size, 'size', 1);
    if (!device || typeof device.read !== 'function' || typeof device.write !== 'function') {
      throw new InvalidArgumentError('device must have read and write functions');
    }
    requireName(name);
    this.checkRegionEnd(base, size);
    this.map.add({ kind: 'mmio', name, base, size, device }, this.ramBase, this.ramSize);
  }

  /** The physical address map: RAM first, then ROM and MMIO regions in address order (bases and sizes in bytes). */
  regions(): PhysicalRegion[] {
    const ram: PhysicalRegion = { kind: 'ram', name: 'ram', base: this.ramBase, size: this.ramSize };
    return [ram, ...this.map.list().map(({ kind, name, base, size }) => ({ kind, name, base, size }))];
  }

  /**
   * True when `[address, address + size)` lies entirely in RAM.
   * @param address - physical address.
   * @param size - length in bytes; default 1.
   */
  isRam(address: number, size = 1): boolean {
    if (typeof address !== 'number' || typeof size !== 'number') return false;
    const o = address - this.ramBase;
    return o >= 0 && size >= 0 && o + size <= this.ramSize && Number.isInteger(o) && Number.isInteger(size);
  }

  /**
   * Physical address of frame number `frame` (frame numbers are absolute: address / 4096).
   * @throws {@link InvalidArgumentError} when `frame` is not an integer frame number below 2^53 / 4096.
   */
  frameAddress(frame: number): number {
    return requireInteger(frame, 'frame', 0, Math.floor(Number.MAX_SAFE_INTEGER / FRAME_SIZE)) * FRAME_SIZE;
  }

  /** Reads an unsigned byte. @throws {@link PhysicalAccessError} when nothing is mapped there (policy `'fault'`). */
  read8(address: number): number {
    const o = typeof address === 'number' ? address - this.ramBase : NaN;
    if (o >= 0 && o < this.ramSize && Math.floor(o) === o) return this.bytes[o];
    return this.slowRead(address, 1);
  }

  /** Reads an unsigned little-endian 16-bit value. @throws {@link PhysicalAccessError} as {@link PhysicalMemory.read8}. */
  read16(address: number): number {
    const o = typeof address === 'number' ? address - this.ramBase : NaN;
    if (o >= 0 && o <= this.last2 && Math.floor(o) === o) return this.view.getUint16(o, true);
    return this.slowRead(address, 2);
  }

  /** Reads an unsigned little-endian 32-bit value. @throws {@link PhysicalAccessError} as {@link PhysicalMemory.read8}. */
  read32(address: number): number {
    const o = typeof address === 'number' ? address - this.ramBase : NaN;
    if (o >= 0 && o <= this.last4 && Math.floor(o) === o) return this.view.getUint32(o, true);
    return this.slowRead(address, 4);
  }

  /** Reads a little-endian 64-bit value as an unsigned bigint. @throws {@link PhysicalAccessError} as {@link PhysicalMemory.read8}. */
  read64(address: number): bigint {
    const o = typeof address === 'number' ? address - this.ramBase : NaN;
    if (o >= 0 && o <= this.last8 && Math.floor(o) === o) return this.view.getBigUint64(o, true);
    const lo = this.slowRead(address, 4);
    const hi = this.slowRead(address + 4, 4);
    // (slowRead validated address: the second half's address is a plain number.)
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** Writes the low 8 bits of `value`. @throws {@link PhysicalAccessError} as {@link PhysicalMemory.read8}. */
  write8(address: number, value: number): void {
    const o = typeof address === 'number' && typeof value === 'number' ? address - this.ramBase : NaN;
    if (o >= 0 && o < this.ramSize && Math.floor(o) === o) {
      if (this.journal !== null) this.journal.saveRange(o, 1);
      this.bytes[o] = value;
    } else this.slowWrite(address, 1, requireValue(value) & 0xff);
  }

  /** Writes the low 16 bits of `value`, little-endian. @throws {@link PhysicalAccessError} as {@link PhysicalMemory.read8}. */
  write16(address: number, value: number): void {
    const o = typeof address === 'number' && typeof value === 'number' ? address - this.ramBase : NaN;
    if (o >= 0 && o <= this.last2 && Math.floor(o) === o) {
      if (this.journal !== null) this.journal.saveRange(o, 2);
      this.view.setUint16(o, value, true);
    } else this.slowWrite(address, 2, requireValue(value) & 0xffff);
  }

  /** Writes the low 32 bits of `value`, little-endian. @throws {@link PhysicalAccessError} as {@link PhysicalMemory.read8}. */
  write32(address: number, value: number): void {
    const o = typeof address === 'number' && typeof value === 'number' ? address - this.ramBase : NaN;
    if (o >= 0 && o <= this.last4 && Math.floor(o) === o) {
      if (this.journal !== null) this.journal.saveRange(o, 4);
      this.view.setUint32(o, value, true);
    } else this.slowWrite(address, 4, requireValue(value) >>> 0);
  }

  /** Writes the low 64 bits of `value`, little-endian. @throws {@link PhysicalAccessError} as {@link PhysicalMemory.read8}. */
  write64(address: number, value: bigint): void {
    const o = typeof address === 'number' && typeof value === 'bigint' ? address - this.ramBase : NaN;
    if (o >= 0 && o <= this.last8 && Math.floor(o) === o) {
      if (this.journal !== null) this.journal.saveRange(o, 8);
      this.view.setBigUint64(o, value, true);
      return;
    }
    if (typeof value !== 'bigint') throw new InvalidArgumentError(`a 64-bit value must be a bigint, got ${typeof value}`);
    // Check both halves before writing either, so a faulting access writes nothing.
    this.checkWritable(address, 8);
    this.slowWrite(address, 4, Number(value & 0xffff_ffffn));
    this.slowWrite(address + 4, 4, Number((value >> 32n) & 0xffff_ffffn));
  }

  /**
   * Copies `length` bytes starting at `address` out of physical memory (through
   * the address map, so ROM and MMIO work too).
   * @param address - physical address of the first byte.
   * @param length - number of bytes.
   * @returns a new array (a copy, not a view of RAM).
   * @throws {@link PhysicalAccessError} when any byte is unmapped (policy `'fault'`).
   * @throws {@link InvalidArgumentError} when `address` or `length` is not a non-negative integer, the range
   *   ends past 2^53, or a range outside RAM is longer than 1 GiB.
   */
  readBytes(address: number, length: number): Uint8Array {
    requireInteger(address, 'address');
    requireInteger(length, 'length');
    this.checkRangeEnd(address, length);
    const o = address - this.ramBase;
    if (o >= 0 && o + length <= this.ramSize) return this.bytes.slice(o, o + length);
    if (length > MAX_BLOCK_OUTSIDE_RAM) throw new InvalidArgumentError(`a block read outside RAM is limited to 0x${MAX_BLOCK_OUTSIDE_RAM.toString(16)} bytes, got 0x${length.toString(16)}`);
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.slowRead(address + i, 1);
    return out;
  }

  /**
   * Copies `data` into physical memory at `address`. Nothing is written when
   * any byte of the range would fault.
   * @param address - physical address of the first byte.
   * @param data - the bytes to write.
   * @throws {@link PhysicalAccessError} when any byte is unmapped (policy `'fault'`) or a faulting ROM.
   * @throws {@link InvalidArgumentError} when `address` is not a non-negative integer, `data` is not a
   *   Uint8Array, or the range ends past 2^53.
   */
  writeBytes(address: number, data: Uint8Array): void {
    requireInteger(address, 'address');
    if (!(data instanceof Uint8Array)) throw new InvalidArgumentError('data must be a Uint8Array');
    this.checkRangeEnd(address, data.length);
    const o = address - this.ramBase;
    if (o >= 0 && o + data.length <= this.ramSize) {
      if (this.journal !== null) this.journal.saveRange(o, data.length);
      this.bytes.set(data, o);
      return;
    }
    this.checkWritable(address, data.length);
    for (let i = 0; i < data.length; i++) this.slowWrite(address + i, 1, data[i]);
  }

  /** Fills RAM frame `frame` (absolute frame number) with zeros. @throws {@link InvalidArgumentError} when it is not a RAM frame. */
  zeroFrame(frame: number): void {
    const o = this.ramFrameOffset(frame);
    if (this.journal !== null) this.journal.saveRange(o, FRAME_SIZE);
    this.bytes.fill(0, o, o + FRAME_SIZE);
  }

  /** Copies RAM frame `from` to RAM frame `to` (absolute frame numbers). @throws {@link InvalidArgumentError} when either is not a RAM frame. */
  copyFrame(from: number, to: number): void {
    const src = this.ramFrameOffset(from);
    const dst = this.ramFrameOffset(to);
    if (this.journal !== null) this.journal.saveRange(dst, FRAME_SIZE);
    this.bytes.copyWithin(dst, src, src + FRAME_SIZE);
  }

  /** Byte offset into {@link PhysicalMemory.bytes} of RAM frame `frame`. @throws {@link InvalidArgumentError} when it is not a RAM frame. */
  ramFrameOffset(frame: number): number {
    const index = typeof frame === 'number' ? frame - this.firstFrame : NaN;
    if (!Number.isInteger(index) || index < 0 || index >= this.frameCount) {
      throw new InvalidArgumentError(`frame ${typeof frame === 'number' ? `0x${frame.toString(16)}` : typeof frame} is not a RAM frame`);
    }
    return index * FRAME_SIZE;
  }

  private checkRegionEnd(base: number, size: number): void {
    if (base + size > Number.MAX_SAFE_INTEGER) throw new InvalidArgumentError('region end exceeds 2^53');
  }

  private checkRangeEnd(address: number, length: number): void {
    if (address + length > Number.MAX_SAFE_INTEGER) throw new InvalidArgumentError(`the range 0x${address.toString(16)} + 0x${length.toString(16)} ends past 2^53`);
  }

  /** Throws the error the first faulting byte of a write of `size` bytes would throw, writing nothing. */
  private checkWritable(address: number, size: number): void {
    requireInteger(address, 'address');
    if (this.unmapped === 'open-bus') {
      // Open bus drops writes, but a faulting ROM still faults.
      for (let i = 0; i < size; i++) {
        const r = this.isRam(address + i) ? undefined : this.map.find(address + i);
        if (r && r.kind === 'rom' && r.romWrites === 'fault') throw new PhysicalAccessError(address, size, true, 'ROM_WRITE');
      }
      return;
    }
    for (let i = 0; i < size; i++) {
      if (this.isRam(address + i)) continue;
      const r = this.map.find(address + i);
      if (!r) throw new PhysicalAccessError(address, size, true, 'UNMAPPED');
      if (r.kind === 'rom' && r.romWrites === 'fault') throw new PhysicalAccessError(address, size, true, 'ROM_WRITE');
    }
  }

  private slowRead(address: number, size: 1 | 2 | 4): number {
    requireInteger(address, 'address');
    if (address + size > Number.MAX_SAFE_INTEGER) throw new PhysicalAccessError(address, size, false, 'UNMAPPED');
    const region = this.map.find(address);
    if (region && address + size <= region.base + region.size) {
      return this.regionRead(region, address - region.base, size);
    }
    // Straddles RAM, a region edge or unmapped space: byte by byte, checking every byte first.
    let value = 0;
    for (let i = size - 1; i >= 0; i--) {
      const a = address + i;
      let byte: number;
      if (this.isRam(a)) byte = this.bytes[a - this.ramBase];
      else {
        const r = this.map.find(a);
        if (r) byte = this.regionRead(r, a - r.base, 1);
        else if (this.unmapped === 'open-bus') byte = 0xff;
        else throw new PhysicalAccessError(address, size, false, 'UNMAPPED');
      }
      value = value * 256 + byte;
    }
    return value;
  }

  private slowWrite(address: number, size: 1 | 2 | 4, value: number): void {
    requireInteger(address, 'address');
    const region = this.map.find(address);
    if (region && address + size <= region.base + region.size) {
      this.regionWrite(region, address - region.base, size, value);
      return;
    }
    this.checkWritable(address, size);
    for (let i = 0; i < size; i++) {
      const a = address + i;
      const byte = (value >>> (8 * i)) & 0xff;
      if (this.isRam(a)) {
        if (this.journal !== null) this.journal.saveRange(a - this.ramBase, 1);
        this.bytes[a - this.ramBase] = byte;
      } else {
        const r = this.map.find(a);
        if (r) this.regionWrite(r, a - r.base, 1, byte);
      }
    }
  }

  private regionRead(region: MappedRegion, offset: number, size: 1 | 2 | 4): number {
    if (region.kind === 'mmio') return region.device!.read(offset, size) >>> 0;
    const rom = region.rom!;
    let value = 0;
    for (let i = size - 1; i >= 0; i--) value = value * 256 + rom[offset + i];
    return value;
  }

  private regionWrite(region: MappedRegion, offset: number, size: 1 | 2 | 4, value: number): void {
    if (region.kind === 'mmio') {
      region.device!.write(offset, size, value);
      return;
    }
    if (region.romWrites === 'fault') throw new PhysicalAccessError(region.base + offset, size, true, 'ROM_WRITE');
  }
}
