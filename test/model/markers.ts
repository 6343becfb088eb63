/**
 * Write markers: every 32-bit value a sequence writes names its writer, so that
 * isolation can be checked without trusting the model's bytes. A marker is
 * 'M' (0x4D), the writer's pid, then a 16-bit counter, little-endian, and
 * always written at a 4-byte-aligned address.
 *
 * The rule: in a process's private memory (MEM_PRIVATE) a marker may only be
 * one the process wrote, or one an ancestor wrote before forking it.
 */
import type { ModelProcess } from './model-process.js';

const TAG = 0x4d;

/** The next marker of `writer`, as 4 bytes. */
export function nextMarker(writer: ModelProcess): Uint8Array {
  const counter = writer.nextMarker++ & 0xffff;
  return new Uint8Array([TAG, writer.pid & 0xff, counter & 0xff, counter >> 8]);
}

/** `count` consecutive markers of `writer`. */
export function markers(writer: ModelProcess, count: number): Uint8Array {
  const out = new Uint8Array(count * 4);
  for (let i = 0; i < count; i++) out.set(nextMarker(writer), i * 4);
  return out;
}

/**
 * The markers in `bytes` (a page of `owner`'s private memory) that `owner`
 * may not hold, described for an error message.
 */
export function foreignMarkers(owner: ModelProcess, bytes: Uint8Array, pageAddress: number): string[] {
  const found: string[] = [];
  for (let at = 0; at + 4 <= bytes.length; at += 4) {
    if (bytes[at] !== TAG) continue;
    const writer = bytes[at + 1];
    const counter = bytes[at + 2] | (bytes[at + 3] << 8);
    if (writer === (owner.pid & 0xff)) continue;
    const inherited = owner.inheritedMarkers.get(writer);
    if (inherited !== undefined && counter < inherited) continue;
    found.push(`marker #${counter} of pid ${writer} at 0x${(pageAddress + at).toString(16)} in pid ${owner.pid}`);
  }
  return found;
}
