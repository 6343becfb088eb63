/**
 * The container of a saved state: an 8-byte signature, the format version, a CRC-32 of the rest and
 * the kind of state (a bare machine's, `'machine'`, or a kernel's, `'kernel'`); then the state, whose
 * parts the savers write (state-graph.ts for objects, {@link writeRam} for RAM).
 *
 * Loading checks, in order: the signature ('not-a-saved-state'), the version ('version'), the checksum
 * and every length inside ('corrupt'), and the kind ('mismatch'), each a {@link SavedStateError}, before
 * anything is loaded.
 * @module
 */
import { ByteReader, ByteWriter, crc32 } from './byte-codec.js';
import { SavedStateError } from './errors.js';
import type { PhysicalMemory } from './physical-memory.js';
import type { MemoryJournal } from './memory-journal.js';

/**
 * The version of the saved-state format this mmukit writes and reads. A saved state of another
 * version is refused with a {@link SavedStateError} whose reason is `'version'`.
 */
export const SAVED_STATE_VERSION = 1;

/** The first 8 bytes of every saved state: 0x89 "MMUKIT" 0x0A (the 0x89 and the line feed catch text-mode mangling, as PNG's do). */
const SIGNATURE = [0x89, 0x4d, 0x4d, 0x55, 0x4b, 0x49, 0x54, 0x0a];
/** Signature, version, checksum. */
const HEADER_BYTES = 16;

/** The kinds of saved state. */
export type SavedStateKind = 'machine' | 'kernel';

/** @internal Writes a saved state of `kind`: the header, then what `body` writes, then the checksum. */
export function writeSavedState(kind: SavedStateKind, body: (out: ByteWriter) => void): Uint8Array {
  const out = new ByteWriter();
  for (const byte of SIGNATURE) out.u8(byte);
  out.u32(SAVED_STATE_VERSION);
  out.u32(0);
  out.string(kind);
  body(out);
  const bytes = out.finish();
  new DataView(bytes.buffer).setUint32(12, crc32(bytes.subarray(HEADER_BYTES)), true);
  return bytes;
}

/**
 * @internal Checks a saved state's header and checksum, and that it is of `kind`.
 * @returns a reader at its body.
 * @throws {@link SavedStateError} otherwise (see the module).
 */
export function openSavedState(bytes: unknown, kind: SavedStateKind): ByteReader {
  if (!(bytes instanceof Uint8Array)) throw new SavedStateError('not-a-saved-state', `a saved state is a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  if (bytes.length < HEADER_BYTES || SIGNATURE.some((byte, i) => bytes[i] !== byte)) {
    throw new SavedStateError('not-a-saved-state', `not an mmukit saved state: the bytes do not start with its signature (${bytes.length} bytes)`);
  }
  const header = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  const version = header.getUint32(8, true);
  if (version !== SAVED_STATE_VERSION) throw new SavedStateError('version', `a saved state of format version ${version}; this mmukit reads version ${SAVED_STATE_VERSION}`);
  const expected = header.getUint32(12, true);
  const actual = crc32(bytes.subarray(HEADER_BYTES));
  if (expected !== actual) throw new SavedStateError('corrupt', `the saved state is corrupt: its checksum is 0x${actual.toString(16)}, 0x${expected.toString(16)} was written`);
  const input = new ByteReader(bytes, HEADER_BYTES);
  const saved = input.string();
  if (saved !== kind) throw new SavedStateError('mismatch', `a saved state of a ${saved} given where a ${kind}'s is loaded`);
  return input;
}

const FRAME_SIZE = 4096;
const FRAME_WORDS = FRAME_SIZE / 4;

/** Whether RAM's frame `frame` is all zeros, read as words (`words` is RAM as an Int32Array; a partial last frame by bytes). */
function frameIsZero(ram: Uint8Array, words: Int32Array | null, frame: number): boolean {
  const start = frame * FRAME_SIZE;
  if (words !== null && start + FRAME_SIZE <= ram.length) {
    // Sixteen words OR-ed per test: a zero frame (most of RAM) costs 64 branches, not 1024.
    for (let i = start / 4, end = i + FRAME_WORDS; i < end; i += 16) {
      if ((words[i] | words[i + 1] | words[i + 2] | words[i + 3] | words[i + 4] | words[i + 5] | words[i + 6] | words[i + 7] |
        words[i + 8] | words[i + 9] | words[i + 10] | words[i + 11] | words[i + 12] | words[i + 13] | words[i + 14] | words[i + 15]) !== 0) return false;
    }
    return true;
  }
  for (let i = start, end = Math.min(start + FRAME_SIZE, ram.length); i < end; i++) if (ram[i] !== 0) return false;
  return true;
}

function isZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** RAM as 32-bit words, when its bytes are aligned for it (they are: PhysicalMemory allocates them). */
function wordsOf(ram: Uint8Array): Int32Array | null {
  return ram.byteOffset % 4 === 0 ? new Int32Array(ram.buffer, ram.byteOffset, ram.length >> 2) : null;
}

/**
 * @internal Writes RAM: its size, then every frame that is not all zeros. With a journal and a level, RAM as it
 * was when that snapshot level was opened (the current bytes, with the frames saved since put back).
 */
export function writeRam(out: ByteWriter, memory: PhysicalMemory, journal: MemoryJournal | null, level: number): void {
  const ram = memory.bytes;
  const words = wordsOf(ram);
  const frames = Math.ceil(ram.length / FRAME_SIZE);
  out.varuint(ram.length);
  const older = journal === null ? new Map<number, Uint8Array>() : journal.savedSince(level);
  const nonzero: number[] = [];
  for (let frame = 0; frame < frames; frame++) {
    const saved = older.size === 0 ? undefined : older.get(frame);
    if (saved === undefined ? !frameIsZero(ram, words, frame) : !isZero(saved)) nonzero.push(frame);
  }
  out.varuint(nonzero.length);
  for (const frame of nonzero) {
    out.varuint(frame);
    out.bytes(older.get(frame) ?? ram.subarray(frame * FRAME_SIZE, Math.min((frame + 1) * FRAME_SIZE, ram.length)));
  }
}

/**
 * @internal Reads the RAM {@link writeRam} wrote, checked against `memory`'s size, without changing anything.
 * @returns the nonzero frames: frame number and bytes (views of the blob).
 */
export function readRam(input: ByteReader, memory: PhysicalMemory): Map<number, Uint8Array> {
  const size = input.varuint();
  if (size !== memory.bytes.length) throw new SavedStateError('mismatch', `the saved state has ${size} bytes of RAM, the machine loaded into ${memory.bytes.length}`);
  const frames = Math.ceil(size / FRAME_SIZE);
  const contents = new Map<number, Uint8Array>();
  for (let n = input.count(FRAME_SIZE), i = 0; i < n; i++) {
    const frame = input.varuint();
    if (frame >= frames || contents.has(frame)) throw new SavedStateError('corrupt', `the saved state is corrupt: RAM frame ${frame} (of ${frames}) saved twice or out of range`);
    contents.set(frame, input.bytesView(Math.min(FRAME_SIZE, size - frame * FRAME_SIZE)));
  }
  return contents;
}

/**
 * @internal Makes RAM hold `contents` (zeros elsewhere), writing only the frames that differ, each saved first
 * into the journal when a snapshot is open (so that a restore to it undoes the load). `zeroed`: RAM is known to
 * be all zeros (a machine just made), so only `contents` is written. @returns frames written.
 */
export function loadRam(memory: PhysicalMemory, contents: ReadonlyMap<number, Uint8Array>, zeroed = false): number {
  const ram = memory.bytes;
  const words = wordsOf(ram);
  let written = 0;
  const write = (frame: number, bytes: Uint8Array | null): void => {
    const start = frame * FRAME_SIZE;
    const length = Math.min(FRAME_SIZE, ram.length - start);
    memory.journal?.saveRange(start, length);
    if (bytes === null) ram.fill(0, start, start + length);
    else ram.set(bytes, start);
    written++;
  };
  if (zeroed) {
    for (const [frame, bytes] of contents) if (!isZero(bytes)) write(frame, bytes);
    return written;
  }
  const frames = Math.ceil(ram.length / FRAME_SIZE);
  for (let frame = 0; frame < frames; frame++) {
    const wanted = contents.get(frame);
    if (wanted === undefined) {
      if (!frameIsZero(ram, words, frame)) write(frame, null);
    } else if (!sameAsRam(ram, frame * FRAME_SIZE, wanted)) write(frame, wanted);
  }
  return written;
}

function sameAsRam(ram: Uint8Array, start: number, bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (ram[start + i] !== bytes[i]) return false;
  return true;
}
