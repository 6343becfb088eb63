// The committed PE fixtures (fixtures/pe, built by build.sh with mingw-w64) parsed,
// laid out and relocated, compared against expected.json written by crosscheck.py (pefile).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixupPages, originalImage, originalPage, pageProtections, sectionProtection } from '../../src/os/image/layout.js';
import { parsePe } from '../../src/os/image/pe-parser.js';
import { relocatedPage, relocateImage } from '../../src/os/image/relocate.js';
import { sameBytes } from './build-pe.js';
import { PAGE_EXECUTE_READ, PAGE_EXECUTE_WRITECOPY, PAGE_READONLY, PAGE_WRITECOPY } from '../../src/os/rules/constants.js';

interface ExpectedFixture {
  fileSize: number;
  sha256: string;
  header: Record<string, number>;
  dataDirectories: { virtualAddress: number; size: number }[];
  sections: { Name: string; VirtualSize: number; VirtualAddress: number; SizeOfRawData: number; PointerToRawData: number; Characteristics: number }[];
  relocations: { entries: number; countsByType: Record<string, number>; fixupPages: number[]; codePages: number[]; codePagesWithFixups: number[] };
  mappedSize: number;
  pageSha256: string[];
  relocated?: { newBase: number; pageSha256: string[]; changedPages: number[] };
}

const dir = new URL('../../fixtures/pe/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('expected.json', dir), 'utf8')) as { fixtures: Record<string, ExpectedFixture> };
const load = (name: string) => new Uint8Array(readFileSync(new URL(name, dir)));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const PAGE = 0x1000;

describe.each(Object.keys(expected.fixtures))('%s', (name) => {
  const want = expected.fixtures[name];
  const bytes = load(name);
  const pe = parsePe(bytes);

  it('is the file crosscheck.py saw', () => {
    expect(bytes.length).toBe(want.fileSize);
    expect(sha(bytes)).toBe(want.sha256);
  });

  it('parses the headers like pefile', () => {
    const h = want.header;
    expect({
      Machine: pe.machine,
      Magic: pe.magic,
      NumberOfSections: pe.numberOfSections,
      SizeOfOptionalHeader: pe.sizeOfOptionalHeader,
      Characteristics: pe.characteristics,
      ImageBase: pe.imageBase,
      SectionAlignment: pe.sectionAlignment,
      FileAlignment: pe.fileAlignment,
      SizeOfImage: pe.sizeOfImage,
      SizeOfHeaders: pe.sizeOfHeaders,
      AddressOfEntryPoint: pe.addressOfEntryPoint,
      Subsystem: pe.subsystem,
      DllCharacteristics: pe.dllCharacteristics,
      NumberOfRvaAndSizes: pe.numberOfRvaAndSizes,
    }).toEqual(h);
    expect(pe.is64).toBe(h.Magic === 0x20b);
    expect(pe.isDll).toBe((h.Characteristics & 0x2000) !== 0);
    expect(pe.relocsStripped).toBe((h.Characteristics & 1) !== 0);
    expect(pe.dynamicBase).toBe((h.DllCharacteristics & 0x40) !== 0);
    expect(pe.flat).toBe(h.SectionAlignment < PAGE);
    expect(pe.mappedSize).toBe(want.mappedSize);
    expect(pe.dataDirectories).toEqual(want.dataDirectories);
    expect(pe.bytes).toBe(bytes);
  });

  it('parses the section table like pefile', () => {
    expect(
      pe.sections.map((s) => ({
        Name: s.name,
        VirtualSize: s.virtualSize,
        VirtualAddress: s.virtualAddress,
        SizeOfRawData: s.sizeOfRawData,
        PointerToRawData: s.pointerToRawData,
        Characteristics: s.characteristics,
      })),
    ).toEqual(want.sections);
  });

  it(`parses the relocations like pefile (${want.relocations.entries} entries, fixups on pages [${want.relocations.fixupPages.join(',')}])`, () => {
    const counts: Record<string, number> = {};
    for (const r of pe.relocations) counts[String(r.type)] = (counts[String(r.type)] ?? 0) + 1;
    expect(counts).toEqual(want.relocations.countsByType);
    expect(pe.relocations.length).toBe(want.relocations.entries);
    expect(fixupPages(pe)).toEqual(want.relocations.fixupPages);
  });

  it('maps every page at the preferred base like pefile (page 0 up to SizeOfHeaders, B87)', () => {
    const image = originalImage(pe);
    expect(image.length).toBe(want.mappedSize);
    const hashes = [];
    for (let i = 0; i < want.mappedSize / PAGE; i++) {
      const page = originalPage(pe, i);
      expect(sameBytes(page, image.subarray(i * PAGE, (i + 1) * PAGE))).toBe(true);
      hashes.push(sha(page));
    }
    expect(hashes).toEqual(want.pageSha256);
  });

  it('gives each page the §3.7 protection of its section', () => {
    const prot = pageProtections(pe);
    expect(prot.length).toBe(want.mappedSize / PAGE);
    if (pe.flat) {
      expect([...prot].every((p) => p === PAGE_EXECUTE_WRITECOPY)).toBe(true);
      return;
    }
    for (let p = 0; p < Math.ceil(pe.sizeOfHeaders / PAGE); p++) expect(prot[p]).toBe(PAGE_READONLY);
    for (const s of want.sections) {
      const first = s.VirtualAddress / PAGE;
      const end = Math.ceil((s.VirtualAddress + (s.VirtualSize || s.SizeOfRawData)) / PAGE);
      for (let p = first; p < end; p++) expect(prot[p]).toBe(sectionProtection(s.Characteristics));
    }
    // The fixtures' sections are the usual trio: .text RX, .data WC, .rdata R.
    const byName = new Map(want.sections.map((s) => [s.Name, s]));
    expect(prot[byName.get('.text')!.VirtualAddress / PAGE]).toBe(PAGE_EXECUTE_READ);
    expect(prot[byName.get('.data')!.VirtualAddress / PAGE]).toBe(PAGE_WRITECOPY);
    if (byName.has('.rdata')) expect(prot[byName.get('.rdata')!.VirtualAddress / PAGE]).toBe(PAGE_READONLY);
  });

  if (want.relocated !== undefined) {
    const rel = want.relocated;
    it(`relocates to 0x${rel.newBase.toString(16)} like pefile's relocate_image (changed pages [${rel.changedPages.join(',')}])`, () => {
      const eager = relocateImage(pe, rel.newBase);
      const hashes: string[] = [];
      for (let i = 0; i < want.mappedSize / PAGE; i++) {
        const lazy = relocatedPage(pe, i, rel.newBase);
        expect(sameBytes(lazy, eager.subarray(i * PAGE, (i + 1) * PAGE))).toBe(true);
        hashes.push(sha(lazy));
      }
      expect(hashes).toEqual(rel.pageSha256);
    });

    it('rewrites OptionalHeader.ImageBase only when asked (B92)', () => {
      const eager = relocateImage(pe, rel.newBase, true);
      const plain = relocateImage(pe, rel.newBase);
      const size = pe.is64 ? 8 : 4;
      const field = new DataView(eager.buffer).getBigUint64(pe.imageBaseOffset, true) & (pe.is64 ? 0xffffffffffffffffn : 0xffffffffn);
      expect(field).toBe(BigInt(rel.newBase));
      for (let i = 0; i < eager.length; i++) {
        if (i >= pe.imageBaseOffset && i < pe.imageBaseOffset + size) continue;
        if (eager[i] !== plain[i]) throw new Error(`byte 0x${i.toString(16)} differs`);
      }
      expect(sameBytes(relocatedPage(pe, 0, rel.newBase, true), eager.subarray(0, PAGE))).toBe(true);
    });
  }

  it('relocating to the preferred base changes nothing', () => {
    expect(sameBytes(relocateImage(pe, pe.imageBase), originalImage(pe))).toBe(true);
  });
});

describe('the seed claim: PE32 code holds absolute addresses on every code page (§3.10)', () => {
  const fx = expected.fixtures;
  const abs32 = parsePe(load('absolute32.dll'));
  const abs64 = parsePe(load('absolute64.dll'));
  const few32 = parsePe(load('few32.dll'));
  const text = (pe: ReturnType<typeof parsePe>) => {
    const s = pe.sections.find((x) => x.name === '.text')!;
    const pages: number[] = [];
    for (let p = s.virtualAddress / PAGE; p < Math.ceil((s.virtualAddress + s.virtualSize) / PAGE); p++) pages.push(p);
    return pages;
  };
  const withFixups = (pe: ReturnType<typeof parsePe>) => {
    const f = new Set(fixupPages(pe));
    return text(pe).filter((p) => f.has(p)).length;
  };

  it(`absolute32.dll: ${fx['absolute32.dll'].relocations.codePagesWithFixups.length}/${fx['absolute32.dll'].relocations.codePages.length} code pages hold fixups`, () => {
    const pages = text(abs32);
    expect(pages.length).toBeGreaterThanOrEqual(4);
    const fixups = new Set(fixupPages(abs32));
    for (const p of pages) expect(fixups.has(p)).toBe(true);
  });

  it(`absolute64.dll: ${fx['absolute64.dll'].relocations.codePagesWithFixups.length}/${fx['absolute64.dll'].relocations.codePages.length} code pages hold fixups (RIP-relative code, DIR64 in data)`, () => {
    expect(text(abs64).length).toBeGreaterThanOrEqual(4);
    expect(withFixups(abs64)).toBe(0);
    expect(fixupPages(abs64).length).toBeLessThan(fixupPages(abs32).length);
  });

  it(`few32.dll: ${fx['few32.dll'].relocations.codePagesWithFixups.length}/${fx['few32.dll'].relocations.codePages.length} code pages hold fixups`, () => {
    expect(withFixups(few32)).toBeLessThanOrEqual(1);
    expect(few32.relocations.filter((r) => r.type !== 0).length).toBeLessThan(5);
  });

  it('norelocs32.dll has IMAGE_FILE_RELOCS_STRIPPED and no relocation directory', () => {
    const pe = parsePe(load('norelocs32.dll'));
    expect(pe.relocsStripped).toBe(true);
    expect(pe.isDll).toBe(true);
    expect(pe.dataDirectories[5].size).toBe(0);
    expect(pe.relocations).toEqual([]);
    expect(pe.sections.some((s) => s.name === '.reloc')).toBe(false);
    expect(fixupPages(pe)).toEqual([]);
  });
});
