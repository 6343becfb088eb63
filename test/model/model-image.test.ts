// The reference model's PE reader is only useful if it is right on its own: check its
// layouts against pefile's page hashes (fixtures/pe/expected.json), never against src/os.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PAGE, PAGE_EXECUTE_READ, PAGE_READONLY, PAGE_WRITECOPY } from './model-constants.js';
import { loadModelImage } from './model-image.js';

interface Expected {
  header: { ImageBase: number; Characteristics: number; DllCharacteristics: number };
  dataDirectories: { virtualAddress: number; size: number }[];
  relocations: { fixupPages: number[] };
  mappedSize: number;
  pageSha256: string[];
  relocated?: { newBase: number; pageSha256: string[] };
}

const expected = (JSON.parse(readFileSync(new URL('../../fixtures/pe/expected.json', import.meta.url), 'utf8')) as { fixtures: Record<string, Expected> }).fixtures;
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const pageHashes = (image: Uint8Array) => Array.from({ length: image.length / PAGE }, (_, i) => sha(image.subarray(i * PAGE, (i + 1) * PAGE)));

describe.each(['few32.dll', 'absolute32.dll', 'absolute64.dll', 'norelocs32.dll', 'hello32.exe', 'hello64.exe'])('model image %s', (name) => {
  const want = expected[name];
  const image = loadModelImage(name);

  it('has the header facts pefile read', () => {
    expect(image.preferredBase).toBe(want.header.ImageBase);
    expect(image.pageCount * PAGE).toBe(want.mappedSize);
    expect(image.relocsStripped).toBe((want.header.Characteristics & 1) !== 0);
    expect([...image.fixupPages].sort((a, b) => a - b)).toEqual(want.relocations.fixupPages);
    const dynamicBase = (want.header.DllCharacteristics & 0x40) !== 0;
    expect(image.aslrEligible).toBe(dynamicBase && !image.relocsStripped && want.dataDirectories[5].size > 0);
  });

  it('rewrites only OptionalHeader.ImageBase when the kernel relocates (B92)', () => {
    const base = image.is64 ? 0x7ff0_0000_0000 : 0x6000_0000;
    const plain = image.layoutAt(base);
    const rewritten = image.layoutAt(base, true);
    const field = (bytes: Uint8Array) => {
      const view = new DataView(bytes.buffer);
      return image.is64 ? Number(view.getBigUint64(image.imageBaseOffset, true)) : view.getUint32(image.imageBaseOffset, true);
    };
    expect(field(plain)).toBe(image.preferredBase);
    expect(field(rewritten)).toBe(base);
    const size = image.is64 ? 8 : 4;
    const differing = [...rewritten.keys()].filter((i) => rewritten[i] !== plain[i]);
    expect(differing.every((i) => i >= image.imageBaseOffset && i < image.imageBaseOffset + size)).toBe(true);
  });

  it('lays the image out at its preferred base as pefile does', () => {
    expect(pageHashes(image.layoutAt(image.preferredBase))).toEqual(want.pageSha256);
  });

  if (want.relocated !== undefined) {
    const relocated = want.relocated;
    it(`relocates to 0x${relocated.newBase.toString(16)} as pefile does`, () => {
      expect(pageHashes(image.layoutAt(relocated.newBase))).toEqual(relocated.pageSha256);
    });
  }

  it('protects headers read-only and the usual sections per §3.7', () => {
    expect(image.protections[0]).toBe(PAGE_READONLY);
    expect(image.protections[1]).toBe(PAGE_EXECUTE_READ); // .text at 0x1000 in every fixture
    expect(image.protections).toContain(PAGE_WRITECOPY); // .data
  });
});
