import type { PhysicalMemory } from '../../src/index.js';

/**
 * A digest of all of RAM (FNV-1a over 32-bit words): comparing two machines' memory this way
 * takes milliseconds, where comparing the arrays element by element takes seconds.
 */
export function ramDigest(memory: PhysicalMemory): number {
  let hash = 0x811c9dc5;
  const words = new Int32Array(memory.bytes.buffer, memory.bytes.byteOffset, memory.bytes.length >> 2);
  for (let i = 0; i < words.length; i++) hash = Math.imul(hash ^ words[i], 0x01000193);
  return hash >>> 0;
}
