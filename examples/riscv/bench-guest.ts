/**
 * The benchmark guest (guest/bench/bench.S): loading it with a number of
 * passes, reading its result, and a TypeScript model of what it computes, so
 * a run on any memory system can be checked against an answer worked out
 * without the interpreter.
 */
import { readFileSync } from 'node:fs';

/** The committed image, built by guest/build.sh. */
export const BENCH_IMAGE = new URL('./guest/bench/bench.bin', import.meta.url);

/** Byte offset in the image of the 64-bit number of passes (`passes` in bench.S). */
export const PASSES_OFFSET = 8;

/** The buffer the passes work on: 512 KiB, 65 536 dwords, 128 pages of 4 KiB. */
export const BUFFER_DWORDS = 65_536;

/** Dwords between two visits of the scatter phase: a page and a dword (bench.S, STRIDE). */
const STRIDE = 513;
const HASH_SEED = 0x9e37_79b9_7f4a_7c15n;

/** The image, with `passes` written over its default (1) when given. */
export function loadBenchGuest(passes?: number): Uint8Array {
  const image = new Uint8Array(readFileSync(BENCH_IMAGE));
  if (passes !== undefined) new DataView(image.buffer).setBigUint64(PASSES_OFFSET, BigInt(passes), true);
  return image;
}

/** The passes an image will run: the dword at {@link PASSES_OFFSET}. */
export function passesOf(image: Uint8Array): number {
  return Number(new DataView(image.buffer, image.byteOffset).getBigUint64(PASSES_OFFSET, true));
}

/** The checksum the guest printed ("bench: checksum 0x..."), or null when it printed none. */
export function checksumOf(console: string): bigint | null {
  const match = /^bench: checksum (0x[0-9a-f]+)$/m.exec(console);
  return match ? BigInt(match[1]) : null;
}

const rotl = (v: bigint, n: bigint): bigint => BigInt.asUintN(64, (v << n) | (v >> (64n - n)));

/** What the guest computes for `passes` passes (bench.S, steps 3 and 4), in TypeScript. */
export function benchmarkChecksum(passes: number): bigint {
  const buffer = new BigUint64Array(BUFFER_DWORDS);
  const mask = BUFFER_DWORDS - 1;
  let index = 0;
  let h = HASH_SEED;
  for (let pass = 0; pass < passes; pass++) {
    for (let k = 0; k < BUFFER_DWORDS; k++) {
      index = (index + STRIDE) & mask;
      const v = buffer[index];
      h = rotl(h, 5n) ^ v;
      buffer[index] = v + h; // wraps: a BigUint64Array keeps 64 bits
    }
    let previous = 0n;
    for (let i = 0; i < BUFFER_DWORDS; i++) {
      previous ^= buffer[i];
      buffer[i] = previous;
    }
  }
  let checksum = 0n;
  for (let i = 0; i < BUFFER_DWORDS; i++) checksum = BigInt.asUintN(64, rotl(checksum, 1n) + buffer[i]);
  return checksum;
}
