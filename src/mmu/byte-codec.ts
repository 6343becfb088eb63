/**
 * The byte-level writer and reader of saved states (saved-state.ts): unsigned LEB128 integers,
 * float64s, strings (as UTF-16 code units) and raw bytes, little-endian, plus the CRC-32 that detects a corrupt blob.
 * The reader checks every length against the bytes left, so a truncated or corrupt blob fails with a
 * {@link SavedStateError}, never with an out-of-bounds read or a huge allocation.
 * @module
 */
import { SavedStateError } from './errors.js';


/** @internal A growing byte buffer written front to back. */
export class ByteWriter {
  private buffer = new Uint8Array(1 << 16);
  private view = new DataView(this.buffer.buffer);
  /** Bytes written so far. */
  length = 0;

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + bytes) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }

  u8(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  u32(value: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, value >>> 0, true);
    this.length += 4;
  }

  /** An unsigned integer below 2^53, in LEB128 (7 bits a byte). */
  varuint(value: number): void {
    this.reserve(8);
    while (value >= 0x80) {
      this.buffer[this.length++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.buffer[this.length++] = value;
  }

  f64(value: number): void {
    this.reserve(8);
    this.view.setFloat64(this.length, value, true);
    this.length += 8;
  }

  bytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  /**
   * A string: its length, then its UTF-16 code units (two bytes each). Not UTF-8: a JavaScript string (a Windows
   * object name) may hold lone surrogates, which UTF-8 cannot carry and an encoder replaces.
   */
  string(value: string): void {
    this.varuint(value.length);
    this.reserve(value.length * 2);
    for (let i = 0; i < value.length; i++) {
      const unit = value.charCodeAt(i);
      this.buffer[this.length++] = unit & 0xff;
      this.buffer[this.length++] = unit >>> 8;
    }
  }

  /** Writes a u32 at `offset`, already written (a length or checksum filled in afterwards). */
  patchU32(offset: number, value: number): void {
    this.view.setUint32(offset, value >>> 0, true);
  }

  /** The bytes written, as a new array of exactly that length. */
  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

/** @internal Reads what a {@link ByteWriter} wrote; any read past the end is a {@link SavedStateError}. */
export class ByteReader {
  private readonly view: DataView;
  /** The next byte to read. */
  offset: number;

  constructor(
    private readonly bytes: Uint8Array,
    offset = 0,
    private readonly end = bytes.length,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.offset = offset;
  }

  /** Bytes left. */
  get remaining(): number {
    return this.end - this.offset;
  }

  private need(count: number): void {
    if (count > this.end - this.offset) throw new SavedStateError('corrupt', `the saved state is truncated or corrupt: ${count} bytes needed at offset ${this.offset}, ${this.end - this.offset} left`);
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.offset++];
  }

  u32(): number {
    this.need(4);
    const value = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return value;
  }

  varuint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.u8();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
    throw new SavedStateError('corrupt', `the saved state is corrupt: an integer longer than 8 bytes at offset ${this.offset}`);
  }

  /** A count of items each at least `minBytes` long: checked against the bytes left before anything is allocated for it. */
  count(minBytes = 1): number {
    const n = this.varuint();
    if (n * minBytes > this.end - this.offset) throw new SavedStateError('corrupt', `the saved state is corrupt: ${n} items announced at offset ${this.offset}, ${this.end - this.offset} bytes left`);
    return n;
  }

  f64(): number {
    this.need(8);
    const value = this.view.getFloat64(this.offset, true);
    this.offset += 8;
    return value;
  }

  /** `count` bytes, as a view of the blob (copy them to keep them). */
  bytesView(count: number): Uint8Array {
    this.need(count);
    const view = this.bytes.subarray(this.offset, this.offset + count);
    this.offset += count;
    return view;
  }

  /** A string {@link ByteWriter.string} wrote. */
  string(): string {
    const length = this.count(2);
    const bytes = this.bytesView(length * 2);
    let text = '';
    // In chunks: String.fromCharCode takes its code units as arguments.
    for (let start = 0; start < length; start += 4096) {
      const end = Math.min(length, start + 4096);
      const units = new Array<number>(end - start);
      for (let i = start; i < end; i++) units[i - start] = bytes[2 * i] | (bytes[2 * i + 1] << 8);
      text += String.fromCharCode(...units);
    }
    return text;
  }
}

/** The eight slicing tables of CRC-32 (256 entries each): table k advances a byte k positions further. */
let crcTables: Uint32Array | null = null;

function makeCrcTables(): Uint32Array {
  const tables = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    tables[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) tables[k * 256 + n] = (tables[(k - 1) * 256 + n] >>> 8) ^ tables[tables[(k - 1) * 256 + n] & 0xff];
  }
  return tables;
}

/**
 * @internal The CRC-32 (IEEE 802.3, as zlib and PNG compute it) of `bytes`, eight bytes a step ("slicing by 8"):
 * a saved state is megabytes, and a byte at a time was a fifth of saving and loading one.
 */
export function crc32(bytes: Uint8Array): number {
  const t = (crcTables ??= makeCrcTables());
  let crc = ~0;
  let i = 0;
  for (const end = bytes.length - 8; i <= end; i += 8) {
    const a = crc ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    crc =
      t[1792 + (a & 0xff)] ^ t[1536 + ((a >>> 8) & 0xff)] ^ t[1280 + ((a >>> 16) & 0xff)] ^ t[1024 + (a >>> 24)] ^
      t[768 + bytes[i + 4]] ^ t[512 + bytes[i + 5]] ^ t[256 + bytes[i + 6]] ^ t[bytes[i + 7]];
  }
  for (; i < bytes.length; i++) crc = t[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}
