// Page protections of a mapped image (windows-semantics.md §3.7 table, B83–B86) and the
// original page contents (§3.7 "Section extent", B87), on synthetic images.
import { describe, expect, it } from 'vitest';
import {
  PAGE_EXECUTE,
  PAGE_EXECUTE_READ,
  PAGE_EXECUTE_READWRITE,
  PAGE_EXECUTE_WRITECOPY,
  PAGE_NOACCESS,
  PAGE_READONLY,
  PAGE_READWRITE,
  PAGE_WRITECOPY,
} from '../../src/os/rules/constants.js';
import { originalImage, originalPage, pageProtections, sectionProtection, sharedPages } from '../../src/os/image/layout.js';
import { parsePe } from '../../src/os/image/pe-parser.js';
import { buildPe, sameBytes, type SyntheticSection } from './build-pe.js';

const R = 0x40000000;
const W = 0x80000000;
const X = 0x20000000;
const SHARED = 0x10000000;
const CNT_INIT = 0x40;
const CNT_UNINIT = 0x80;
const PAGE = 0x1000;

// §3.7: READ → R, WRITE → WRITECOPY, EXECUTE → X; CNT_* bits never matter (B84).
const TABLE: [number, number][] = [
  [0, PAGE_NOACCESS],
  [R, PAGE_READONLY],
  [W, PAGE_WRITECOPY],
  [X, PAGE_EXECUTE],
  [R | W, PAGE_WRITECOPY],
  [R | X, PAGE_EXECUTE_READ],
  [W | X, PAGE_EXECUTE_WRITECOPY],
  [R | W | X, PAGE_EXECUTE_WRITECOPY],
];
const name = (c: number) => [c & R ? 'R' : '-', c & W ? 'W' : '-', c & X ? 'X' : '-'].join('');

describe('§3.7 section characteristics → page protection (every R/W/X with none, CNT_INITIALIZED_DATA, CNT_UNINITIALIZED_DATA)', () => {
  const sections: SyntheticSection[] = [];
  const expected: number[] = [];
  let va = 0x1000;
  for (const cnt of [0, CNT_INIT, CNT_UNINIT]) {
    for (const [rwx, prot] of TABLE) {
      sections.push({ name: `${name(rwx)}${cnt}`.slice(0, 8), virtualAddress: va, virtualSize: 0x10, characteristics: (rwx | cnt) >>> 0, data: cnt === CNT_UNINIT ? undefined : new Uint8Array(0x10).fill(0xaa) });
      expected.push(prot);
      va += PAGE;
    }
  }
  const pe = parsePe(buildPe({ sections }).bytes);
  const prot = pageProtections(pe);

  it.each(TABLE.map(([rwx, p]) => [name(rwx), rwx, p]))('%s', (_n, rwx, p) => {
    expect(sectionProtection(rwx as number)).toBe(p);
    expect(sectionProtection(((rwx as number) | CNT_INIT) >>> 0)).toBe(p);
    expect(sectionProtection(((rwx as number) | CNT_UNINIT | 0x20) >>> 0)).toBe(p);
  });

  it('all 24 sections in one image get their table protection; headers READONLY (B83)', () => {
    expect(prot[0]).toBe(PAGE_READONLY);
    expect([...prot.subarray(1, 1 + expected.length)]).toEqual(expected);
  });

  it('MEM_SHARED + MEM_WRITE maps read/write (one shared copy), and flags the pages', () => {
    expect(sectionProtection((R | W | SHARED) >>> 0)).toBe(PAGE_READWRITE);
    expect(sectionProtection((W | SHARED) >>> 0)).toBe(PAGE_READWRITE);
    expect(sectionProtection((R | W | X | SHARED) >>> 0)).toBe(PAGE_EXECUTE_READWRITE);
    expect(sectionProtection((R | SHARED) >>> 0)).toBe(PAGE_READONLY);
    const img = parsePe(
      buildPe({
        sections: [
          { virtualAddress: 0x1000, virtualSize: 0x10, characteristics: (R | W) >>> 0, data: new Uint8Array(0x10) },
          { virtualAddress: 0x2000, virtualSize: 0x1800, characteristics: (R | W | SHARED) >>> 0, data: new Uint8Array(0x10) },
          { virtualAddress: 0x4000, virtualSize: 0x10, characteristics: (R | SHARED) >>> 0, data: new Uint8Array(0x10) },
        ],
      }).bytes,
    );
    expect([...pageProtections(img)]).toEqual([PAGE_READONLY, PAGE_WRITECOPY, PAGE_READWRITE, PAGE_READWRITE, PAGE_READONLY]);
    expect([...sharedPages(img)]).toEqual([0, 0, 1, 1, 0]);
  });
});

describe('layout of the mapped image', () => {
  it('a section covers ALIGN(VirtualSize or SizeOfRawData, page); gaps and the tail are EXECUTE_WRITECOPY (Wine)', () => {
    const built = buildPe({
      sectionAlignment: 0x2000,
      sections: [
        { virtualAddress: 0x2000, virtualSize: 0x1001, characteristics: (R | X) >>> 0, data: new Uint8Array(0x1001).fill(1) },
        { virtualAddress: 0x6000, virtualSize: 0, characteristics: R >>> 0, data: new Uint8Array(0x200).fill(2) },
      ],
      sizeOfImage: 0x9000,
    });
    const pe = parsePe(built.bytes);
    expect(pe.mappedSize).toBe(0x9000);
    expect([...pageProtections(pe)]).toEqual([
      PAGE_READONLY,
      PAGE_EXECUTE_WRITECOPY, // gap between the headers and the first section
      PAGE_EXECUTE_READ,
      PAGE_EXECUTE_READ, // 0x1001 bytes round up to two pages
      PAGE_EXECUTE_WRITECOPY,
      PAGE_EXECUTE_WRITECOPY,
      PAGE_READONLY, // VirtualSize 0 → SizeOfRawData
      PAGE_EXECUTE_WRITECOPY,
      PAGE_EXECUTE_WRITECOPY, // up to ALIGN(SizeOfImage)
    ]);
  });

  it('header page: SizeOfHeaders file bytes then zeros (B87); section: min(SizeOfRawData, VirtualSize) bytes then zeros', () => {
    const data = new Uint8Array(0x400).fill(0x5a);
    const built = buildPe({
      sections: [
        { virtualAddress: 0x1000, virtualSize: 0x300, characteristics: (R | W) >>> 0, data }, // raw 0x400 > VirtualSize 0x300
        { virtualAddress: 0x2000, virtualSize: 0x1800, characteristics: (R | W) >>> 0, data }, // raw 0x400 < VirtualSize
      ],
    });
    const pe = parsePe(built.bytes);
    const header = originalPage(pe, 0);
    expect(sameBytes(header.subarray(0, pe.sizeOfHeaders), built.bytes.subarray(0, pe.sizeOfHeaders))).toBe(true);
    expect(header.subarray(pe.sizeOfHeaders).every((b) => b === 0)).toBe(true);
    const p1 = originalPage(pe, 1);
    expect(p1.subarray(0, 0x300).every((b) => b === 0x5a)).toBe(true);
    expect(p1.subarray(0x300).every((b) => b === 0)).toBe(true);
    const p2 = originalPage(pe, 2);
    expect(p2.subarray(0, 0x400).every((b) => b === 0x5a)).toBe(true);
    expect(p2.subarray(0x400).every((b) => b === 0)).toBe(true);
    expect(originalPage(pe, 3).every((b) => b === 0)).toBe(true);
    const whole = originalImage(pe);
    for (let i = 0; i < 4; i++) expect(sameBytes(whole.subarray(i * PAGE, (i + 1) * PAGE), originalPage(pe, i))).toBe(true);
  });

  it('a flat image (SectionAlignment 0x200 == FileAlignment) is one EXECUTE_WRITECOPY region holding the file (B86)', () => {
    const built = buildPe({
      sectionAlignment: 0x200,
      fileAlignment: 0x200,
      sections: [
        { virtualAddress: 0x400, virtualSize: 0x200, characteristics: R >>> 0, data: new Uint8Array(0x200).fill(7) },
        { virtualAddress: 0x600, virtualSize: 0x1200, characteristics: (R | W) >>> 0, data: new Uint8Array(0x1200).fill(8) },
      ],
    });
    const pe = parsePe(built.bytes);
    expect(pe.flat).toBe(true);
    expect(pe.mappedSize).toBe(0x2000);
    expect([...pageProtections(pe)]).toEqual([PAGE_EXECUTE_WRITECOPY, PAGE_EXECUTE_WRITECOPY]);
    expect([...sharedPages(pe)]).toEqual([0, 0]);
    const img = originalImage(pe);
    expect(sameBytes(img.subarray(0, built.bytes.length), built.bytes)).toBe(true);
  });
});
