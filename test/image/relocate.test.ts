// Base relocation arithmetic (windows-semantics.md §3.8) on small synthetic images,
// checked against values computed by hand, plus straddling fixups (§3.10) and lazy == eager.
import { describe, expect, it } from 'vitest';
import { fixupPages, originalImage, originalPage } from '../../src/os/image/layout.js';
import { parsePe } from '../../src/os/image/pe-parser.js';
import { relocatedPage, relocateImage } from '../../src/os/image/relocate.js';
import { buildPe, sameBytes, u16, u32 } from './build-pe.js';

const PAGE = 0x1000;
const RW = 0xc0000040; // MEM_READ | MEM_WRITE | CNT_INITIALIZED_DATA
const e = (type: number, offset: number) => (type << 12) | offset;

/** A PE32 image whose .data section (RVA 0x2000, two pages) holds `init` at the given offsets. */
function image32(init: [number, number, number][], relocs: { page: number; entries: number[] }[]) {
  const data = new Uint8Array(2 * PAGE);
  const dv = new DataView(data.buffer);
  for (const [at, size, value] of init) {
    if (size === 2) dv.setUint16(at, value, true);
    else dv.setUint32(at, value, true);
  }
  return buildPe({ sections: [{ name: '.data', virtualAddress: 0x2000, virtualSize: 2 * PAGE, characteristics: RW, data }], relocs });
}

function lazyImage(pe: ReturnType<typeof parsePe>, base: number, update = false): Uint8Array {
  const out = new Uint8Array(pe.mappedSize);
  for (let i = 0; i < pe.mappedSize / PAGE; i++) out.set(relocatedPage(pe, i, base, update), i * PAGE);
  return out;
}

describe('§3.8 arithmetic, PE32 (ImageBase 0x10000000)', () => {
  const built = image32(
    [
      [0x000, 2, 0x1234], // HIGH
      [0x010, 2, 0xfff0], // LOW
      [0x020, 2, 0x1234], // HIGHADJ high half; low half 0x9000 in the next slot
      [0x030, 4, 0x10002000], // HIGHLOW
      [0xffe, 4, 0x10003000], // HIGHLOW straddling pages 2 and 3 (RVA 0x2ffe..0x3001)
    ],
    [{ page: 0x2000, entries: [e(1, 0x000), e(2, 0x010), e(4, 0x020), 0x9000, e(3, 0x030), e(3, 0xffe), e(0, 0)] }],
  );
  const pe = parsePe(built.bytes);

  it('parses HIGHADJ as one entry with its sign-extended pair value', () => {
    expect(pe.relocations.map((r) => [r.rva, r.type, r.pairValue])).toEqual([
      [0x2000, 1, undefined],
      [0x2010, 2, undefined],
      [0x2020, 4, -0x7000],
      [0x2030, 3, undefined],
      [0x2ffe, 3, undefined],
      [0x2000, 0, undefined],
    ]);
  });

  it('a straddling field marks both pages', () => {
    expect(fixupPages(pe)).toEqual([2, 3]);
  });

  it('positive delta 0x1ABC8765 (base 0x2ABC8765)', () => {
    const img = relocateImage(pe, 0x2abc8765);
    // HIGH: 0x1234 + HIWORD(0x1ABC8765) = 0x1234 + 0x1ABC = 0x2CF0
    expect(u16(img, 0x2000)).toBe(0x2cf0);
    // LOW: 0xFFF0 + 0x8765 = 0x18755 → 0x8755
    expect(u16(img, 0x2010)).toBe(0x8755);
    // HIGHADJ: 0x12340000 + (−0x7000) = 0x12339000; + 0x1ABC8765 = 0x2CF01765; + 0x8000 = 0x2CF09765; >> 16 = 0x2CF0
    expect(u16(img, 0x2020)).toBe(0x2cf0);
    expect(u16(img, 0x2022)).toBe(0); // the pair's slot is in the relocation table, not the image
    // HIGHLOW: 0x10002000 + 0x1ABC8765 = 0x2ABCA765
    expect(u32(img, 0x2030)).toBe(0x2abca765);
    // straddling HIGHLOW: 0x10003000 + 0x1ABC8765 = 0x2ABCB765, bytes split over two pages
    expect(u32(img, 0x2ffe)).toBe(0x2abcb765);
    expect(sameBytes(lazyImage(pe, 0x2abc8765), img)).toBe(true);
  });

  it('negative delta −0x01000000 (base 0x0F000000)', () => {
    const img = relocateImage(pe, 0x0f000000);
    // HIGH: 0x1234 + HIWORD(0xFF000000) = 0x1234 + 0xFF00 = 0x11134 → 0x1134
    expect(u16(img, 0x2000)).toBe(0x1134);
    // LOW: LOWORD(delta) = 0 → unchanged
    expect(u16(img, 0x2010)).toBe(0xfff0);
    // HIGHADJ: (0x12340000 − 0x7000 − 0x1000000 + 0x8000) >> 16 = 0x11341000 >> 16 = 0x1134
    expect(u16(img, 0x2020)).toBe(0x1134);
    expect(u32(img, 0x2030)).toBe(0x0f002000);
    expect(u32(img, 0x2ffe)).toBe(0x0f003000);
    expect(sameBytes(lazyImage(pe, 0x0f000000), img)).toBe(true);
  });

  it('HIGHADJ rounds with +0x8000 (low half 0x8000 carries into the high half)', () => {
    const b = image32([[0x000, 2, 0x0001]], [{ page: 0x2000, entries: [e(4, 0), 0x7fff] }]);
    const p = parsePe(b.bytes);
    // delta 0x8001: (0x00010000 + 0x7FFF + 0x8001 + 0x8000) >> 16 = 0x00028000 >> 16 = 2
    expect(u16(relocateImage(p, 0x10008001), 0x2000)).toBe(2);
    // delta 0x0001: (0x00010000 + 0x7FFF + 0x0001 + 0x8000) >> 16 = 0x00020000 >> 16 = 2
    expect(u16(relocateImage(p, 0x10000001), 0x2000)).toBe(2);
    // delta 0 → untouched
    expect(u16(relocateImage(p, 0x10000000), 0x2000)).toBe(1);
  });

  it('relocatedPage of a page without fixups is the original page', () => {
    expect(sameBytes(relocatedPage(pe, 1, 0x2abc8765), originalPage(pe, 1))).toBe(true);
  });

  it('rewrites OptionalHeader.ImageBase only with updateHeaderImageBase (B92)', () => {
    expect(u32(relocateImage(pe, 0x20000000), built.opt + 28)).toBe(0x10000000);
    expect(u32(relocateImage(pe, 0x20000000, true), built.opt + 28)).toBe(0x20000000);
    expect(u32(relocatedPage(pe, 0, 0x20000000, true), built.opt + 28)).toBe(0x20000000);
  });

  it('rejects impossible bases and pages', () => {
    expect(() => relocatedPage(pe, 0, 2 ** 32)).toThrow(/new base/);
    expect(() => relocatedPage(pe, 0, -0x10000)).toThrow(/new base/);
    expect(() => relocatedPage(pe, 99, 0x20000000)).toThrow(/page index/);
    expect(() => originalPage(pe, 1.5)).toThrow(/page index/);
  });
});

describe('§3.8 arithmetic, PE32+ DIR64', () => {
  const data = new Uint8Array(2 * PAGE);
  const dv = new DataView(data.buffer);
  dv.setBigUint64(0x100, 0x180002000n, true);
  dv.setBigUint64(0xffc, 0x180003000n, true); // straddles RVA 0x2ffc..0x3003
  const built = buildPe({
    is64: true,
    sections: [{ name: '.data', virtualAddress: 0x2000, virtualSize: 2 * PAGE, characteristics: RW, data }],
    relocs: [{ page: 0x2000, entries: [e(10, 0x100), e(10, 0xffc)] }],
  });
  const pe = parsePe(built.bytes);
  const q = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getBigUint64(at, true);

  it('adds the full 64-bit delta, including a straddling field', () => {
    const base = 0x7ff6_1234_0000;
    const img = relocateImage(pe, base);
    const delta = BigInt(base) - 0x180000000n;
    expect(q(img, 0x2100)).toBe(0x180002000n + delta);
    expect(q(img, 0x2ffc)).toBe(0x180003000n + delta);
    expect(fixupPages(pe)).toEqual([2, 3]);
    expect(sameBytes(lazyImage(pe, base), img)).toBe(true);
  });

  it('handles a base below ImageBase (negative delta)', () => {
    const img = relocateImage(pe, 0x10000);
    expect(q(img, 0x2100)).toBe(0x12000n);
    expect(q(img, 0x2ffc)).toBe(0x13000n);
    expect(sameBytes(lazyImage(pe, 0x10000, true), relocateImage(pe, 0x10000, true))).toBe(true);
    expect(q(relocateImage(pe, 0x10000, true), built.opt + 24)).toBe(0x10000n);
  });

  it('a fixup in uninitialised data (zero fill past SizeOfRawData) relocates the zero', () => {
    const b = buildPe({
      is64: true,
      sections: [{ name: '.bss', virtualAddress: 0x2000, virtualSize: 0x100, characteristics: 0xc0000080 }],
      relocs: [{ page: 0x2000, entries: [e(10, 0x10)] }],
    });
    const p = parsePe(b.bytes);
    expect(q(relocateImage(p, 0x280000000), 0x2010)).toBe(0x100000000n);
    expect(sameBytes(originalImage(p).subarray(0x2000, 0x3000), new Uint8Array(PAGE))).toBe(true);
  });
});
