// Malformed images (windows-semantics.md B89, §3.7, §3.8, B95 step 4): every defect is an
// ImageFormatError naming the NTSTATUS, the file offset and the field; fuzzing the fixtures
// with truncations and bit flips never makes parsePe (or the layout/relocation of what it
// accepts) throw anything else or read out of bounds.
import { readFileSync } from 'node:fs';
import { mulberry32 } from '../support/random.js';
import { describe, expect, it } from 'vitest';
import {
  ERROR_BAD_EXE_FORMAT,
  STATUS_ACCESS_VIOLATION,
  STATUS_CONFLICTING_ADDRESSES,
  STATUS_INVALID_FILE_FOR_SECTION,
  STATUS_INVALID_IMAGE_FORMAT,
  STATUS_INVALID_IMAGE_NE_FORMAT,
  STATUS_INVALID_IMAGE_NOT_MZ,
  STATUS_INVALID_IMAGE_PROTECT,
  STATUS_INVALID_IMAGE_WIN_16,
} from '../../src/os/rules/constants.js';
import { MmukitError } from '../../src/mmu/errors.js';
import { ImageFormatError } from '../../src/os/image/image-format-error.js';
import { WindowsError } from '../../src/os/rules/errors.js';
import { Kernel } from '../../src/os/kernel/kernel.js';
import { fixupPages, originalPage, pageProtections, sharedPages } from '../../src/os/image/layout.js';
import { parsePe } from '../../src/os/image/pe-parser.js';
import { relocatedPage, relocateImage } from '../../src/os/image/relocate.js';
import { buildPe, sameBytes, type BuildPeOptions } from './build-pe.js';

const RX = 0x60000020;
const text = new Uint8Array(0x400).fill(0xc3);

function base(extra: BuildPeOptions = {}) {
  return buildPe({
    sections: [{ name: '.text', virtualAddress: 0x1000, virtualSize: 0x400, characteristics: RX, data: text }],
    relocs: [{ page: 0x1000, entries: [0x3010, 0x3020] }],
    ...extra,
  });
}

function failure(bytes: Uint8Array): ImageFormatError {
  try {
    parsePe(bytes);
  } catch (error) {
    if (error instanceof ImageFormatError) return error;
    throw error;
  }
  throw new Error('parsePe accepted the image');
}

function patch(bytes: Uint8Array, at: number, size: 1 | 2 | 4 | 8, value: number | bigint): Uint8Array {
  const copy = bytes.slice();
  const dv = new DataView(copy.buffer);
  if (size === 1) copy[at] = Number(value);
  else if (size === 2) dv.setUint16(at, Number(value), true);
  else if (size === 4) dv.setUint32(at, Number(value) >>> 0, true);
  else dv.setBigUint64(at, BigInt(value), true);
  return copy;
}

function expectFailure(bytes: Uint8Array, status: number, offset: number, field: string): ImageFormatError {
  const error = failure(bytes);
  expect({ status: error.ntStatus.toString(16), offset: error.offset, field: error.field }).toEqual({ status: status.toString(16), offset, field });
  expect(error).toBeInstanceOf(MmukitError);
  expect(error.code).toBe('IMAGE_FORMAT');
  return error;
}

describe('the synthetic base image is valid', () => {
  it('parses', () => {
    const pe = parsePe(base().bytes);
    expect(pe.sections.map((s) => s.name)).toEqual(['.text', '.reloc']);
    expect(pe.relocations.map((r) => r.rva)).toEqual([0x1010, 0x1020]);
  });
});

describe('B89 header validation order and statuses', () => {
  const b = base();

  it('short file or no MZ → STATUS_INVALID_IMAGE_NOT_MZ (ERROR_BAD_EXE_FORMAT)', () => {
    expectFailure(b.bytes.slice(0, 30), STATUS_INVALID_IMAGE_NOT_MZ, 0, 'e_magic');
    // B62: an empty file is STATUS_INVALID_FILE_FOR_SECTION, not NOT_MZ (test/image/divergences.test.ts).
    expectFailure(new Uint8Array(0), STATUS_INVALID_FILE_FOR_SECTION, 0, 'bytes');
    const e = expectFailure(patch(b.bytes, 0, 2, 0x585a), STATUS_INVALID_IMAGE_NOT_MZ, 0, 'e_magic');
    expect(e.win32Error).toBe(ERROR_BAD_EXE_FORMAT);
  });

  it('e_lfanew outside the file → STATUS_INVALID_IMAGE_PROTECT', () => {
    expectFailure(patch(b.bytes, 0x3c, 4, 0x98760000), STATUS_INVALID_IMAGE_PROTECT, 0x3c, 'e_lfanew');
    expectFailure(patch(b.bytes, 0x3c, 4, b.bytes.length - 2), STATUS_INVALID_IMAGE_PROTECT, 0x3c, 'e_lfanew');
    expectFailure(b.bytes.slice(0, 0x42), STATUS_INVALID_IMAGE_PROTECT, 0x3c, 'e_lfanew');
  });

  it('bad NT signature → PROTECT; "NE" → NE_FORMAT (ne_exetyp 2 → WIN_16, 5 → PROTECT)', () => {
    expectFailure(patch(b.bytes, b.lfanew, 4, 0xdeadbeef), STATUS_INVALID_IMAGE_PROTECT, b.lfanew, 'Signature');
    const ne = patch(b.bytes, b.lfanew, 4, 0x454e);
    expectFailure(ne, STATUS_INVALID_IMAGE_NE_FORMAT, b.lfanew, 'Signature');
    expectFailure(patch(ne, b.lfanew + 0x36, 1, 2), STATUS_INVALID_IMAGE_WIN_16, b.lfanew + 0x36, 'ne_exetyp');
    expectFailure(patch(ne, b.lfanew + 0x36, 1, 5), STATUS_INVALID_IMAGE_PROTECT, b.lfanew + 0x36, 'ne_exetyp');
    expectFailure(b.bytes.slice(0, b.lfanew + 10), STATUS_INVALID_IMAGE_PROTECT, b.fileHeader, 'IMAGE_FILE_HEADER');
  });

  it('bad optional header Magic → STATUS_INVALID_IMAGE_FORMAT', () => {
    expectFailure(patch(b.bytes, b.opt, 2, 0x10c), STATUS_INVALID_IMAGE_FORMAT, b.opt, 'Magic');
    expectFailure(patch(b.bytes, b.fileHeader + 16, 2, 0), STATUS_INVALID_IMAGE_FORMAT, b.opt, 'Magic');
  });

  it('Machine unknown or contradicting Magic → STATUS_INVALID_IMAGE_FORMAT', () => {
    for (const machine of [0, 0xdead, 0x8664, 0xaa64]) expectFailure(patch(b.bytes, b.fileHeader, 2, machine), STATUS_INVALID_IMAGE_FORMAT, b.fileHeader, 'Machine');
    const b64 = buildPe({ is64: true });
    for (const machine of [0x14c, 0x1c4]) expectFailure(patch(b64.bytes, b64.fileHeader, 2, machine), STATUS_INVALID_IMAGE_FORMAT, b64.fileHeader, 'Machine');
    expect(parsePe(patch(b.bytes, b.fileHeader, 2, 0x1c4)).machine).toBe(0x1c4); // ARMNT PE32 is fine
    expect(parsePe(patch(b64.bytes, b64.fileHeader, 2, 0xaa64)).machine).toBe(0xaa64);
  });

  it('SizeOfImage 0 → STATUS_INVALID_IMAGE_FORMAT', () => {
    expectFailure(patch(b.bytes, b.opt + 56, 4, 0), STATUS_INVALID_IMAGE_FORMAT, b.opt + 56, 'SizeOfImage');
  });

  it('SizeOfOptionalHeader too small or past the file', () => {
    expectFailure(patch(b.bytes, b.fileHeader + 16, 2, 0x40), STATUS_INVALID_IMAGE_FORMAT, b.fileHeader + 16, 'SizeOfOptionalHeader');
    expectFailure(patch(b.bytes, b.fileHeader + 16, 2, 0xfff0), STATUS_INVALID_IMAGE_FORMAT, b.fileHeader + 16, 'SizeOfOptionalHeader');
  });

  it('absurd NumberOfRvaAndSizes and NumberOfSections', () => {
    expectFailure(patch(b.bytes, b.opt + 92, 4, 0xffffffff), STATUS_INVALID_IMAGE_FORMAT, b.opt + 92, 'NumberOfRvaAndSizes');
    expectFailure(patch(b.bytes, b.opt + 92, 4, 17), STATUS_INVALID_IMAGE_FORMAT, b.opt + 92, 'NumberOfRvaAndSizes');
    // B89 / §3: a section table the file does not hold is STATUS_INVALID_FILE_FOR_SECTION (Wine's get_image_params; docs/kernel.md).
    expectFailure(patch(b.bytes, b.fileHeader + 2, 2, 0xffff), STATUS_INVALID_FILE_FOR_SECTION, b.fileHeader + 2, 'NumberOfSections');
    // fewer directories: the relocation directory is not read at all
    const few = parsePe(patch(b.bytes, b.opt + 92, 4, 5));
    expect(few.dataDirectories.length).toBe(5);
    expect(few.relocations).toEqual([]);
  });

  it('ImageBase not 64 KiB aligned, or above 2^53 in PE32+', () => {
    expectFailure(patch(b.bytes, b.opt + 28, 4, 0x10001000), STATUS_INVALID_IMAGE_FORMAT, b.opt + 28, 'ImageBase');
    const b64 = buildPe({ is64: true });
    expectFailure(patch(b64.bytes, b64.opt + 24, 8, 0xffff800000000000n), STATUS_INVALID_IMAGE_FORMAT, b64.opt + 24, 'ImageBase');
    expect(parsePe(patch(b64.bytes, b64.opt + 24, 8, 2n ** 52n)).imageBase).toBe(2 ** 52);
  });

  it('alignments: powers of two; SectionAlignment < page needs FileAlignment == SectionAlignment', () => {
    expectFailure(patch(b.bytes, b.opt + 32, 4, 0x1800), STATUS_INVALID_IMAGE_FORMAT, b.opt + 32, 'SectionAlignment');
    expectFailure(patch(b.bytes, b.opt + 36, 4, 0), STATUS_INVALID_IMAGE_FORMAT, b.opt + 36, 'FileAlignment');
    expectFailure(patch(b.bytes, b.opt + 32, 4, 0x400), STATUS_INVALID_IMAGE_FORMAT, b.opt + 36, 'FileAlignment');
    expectFailure(patch(b.bytes, b.opt + 36, 4, 0x2000), STATUS_INVALID_IMAGE_FORMAT, b.opt + 36, 'FileAlignment');
  });

  it('SizeOfHeaders must cover the NT headers and fit the file and the image', () => {
    expectFailure(patch(b.bytes, b.opt + 60, 4, 0x80), STATUS_INVALID_IMAGE_FORMAT, b.opt + 60, 'SizeOfHeaders');
    expectFailure(patch(b.bytes, b.opt + 60, 4, 0x100000), STATUS_INVALID_IMAGE_FORMAT, b.opt + 60, 'SizeOfHeaders');
  });

  it('a non-Uint8Array input', () => {
    expect(failure([1, 2, 3] as unknown as Uint8Array).field).toBe('bytes');
  });
});

describe('§3.7 section table rules', () => {
  const b = base();
  const s0 = b.sectionTable;

  it('a section past SizeOfImage', () => {
    expectFailure(patch(b.bytes, s0 + 8, 4, 0x10000), STATUS_INVALID_IMAGE_FORMAT, s0 + 8, 'IMAGE_SECTION_HEADER.VirtualSize');
    expectFailure(patch(b.bytes, b.opt + 56, 4, 0x1200), STATUS_INVALID_IMAGE_FORMAT, s0 + 8, 'IMAGE_SECTION_HEADER.VirtualSize');
  });

  it('unaligned, overlapping or header-overlapping sections', () => {
    expectFailure(patch(b.bytes, s0 + 12, 4, 0x1200), STATUS_INVALID_IMAGE_FORMAT, s0 + 12, 'IMAGE_SECTION_HEADER.VirtualAddress');
    expectFailure(patch(b.bytes, s0 + 12, 4, 0), STATUS_INVALID_IMAGE_FORMAT, s0 + 12, 'IMAGE_SECTION_HEADER.VirtualAddress');
    expectFailure(patch(b.bytes, s0 + 40 + 12, 4, 0x1000), STATUS_INVALID_IMAGE_FORMAT, s0 + 40 + 12, 'IMAGE_SECTION_HEADER.VirtualAddress');
  });

  it('file data past the end of the file; padding past it is tolerated', () => {
    expectFailure(patch(b.bytes, s0 + 20, 4, 0x100000), STATUS_INVALID_IMAGE_FORMAT, s0 + 16, 'IMAGE_SECTION_HEADER.SizeOfRawData');
    // SizeOfRawData larger than VirtualSize: only VirtualSize bytes are read
    expect(parsePe(patch(b.bytes, s0 + 16, 4, 0x100000)).sections[0].sizeOfRawData).toBe(0x100000);
  });

  it('a flat section must sit at PointerToRawData == VirtualAddress', () => {
    const flat = buildPe({ sectionAlignment: 0x200, fileAlignment: 0x200, sections: [{ virtualAddress: 0x400, virtualSize: 0x200, characteristics: RX, data: new Uint8Array(0x200) }] });
    expect(parsePe(flat.bytes).flat).toBe(true);
    expectFailure(patch(flat.bytes, flat.sectionTable + 20, 4, 0x200), STATUS_INVALID_IMAGE_FORMAT, flat.sectionTable + 20, 'IMAGE_SECTION_HEADER.PointerToRawData');
  });
});

describe('§3.8 base relocation rules', () => {
  const b = base();
  const dir = b.opt + 96 + 5 * 8;

  it('a block at or past SizeOfImage → STATUS_ACCESS_VIOLATION (B95 step 4)', () => {
    expectFailure(patch(b.bytes, b.relocData, 4, 0x10000), STATUS_ACCESS_VIOLATION, b.relocData, 'IMAGE_BASE_RELOCATION.VirtualAddress');
    expectFailure(base({ relocs: [{ page: 0x3000, entries: [0x3000] }] }).bytes, STATUS_ACCESS_VIOLATION, b.relocData, 'IMAGE_BASE_RELOCATION.VirtualAddress');
  });

  it('a block page that is not page aligned', () => {
    expectFailure(patch(b.bytes, b.relocData, 4, 0x1010), STATUS_INVALID_IMAGE_FORMAT, b.relocData, 'IMAGE_BASE_RELOCATION.VirtualAddress');
  });

  it('SizeOfBlock below 8, odd, or past the directory', () => {
    expectFailure(patch(b.bytes, b.relocData + 4, 4, 4), STATUS_INVALID_IMAGE_FORMAT, b.relocData + 4, 'IMAGE_BASE_RELOCATION.SizeOfBlock');
    expectFailure(patch(b.bytes, b.relocData + 4, 4, 11), STATUS_INVALID_IMAGE_FORMAT, b.relocData + 4, 'IMAGE_BASE_RELOCATION.SizeOfBlock');
    expectFailure(patch(b.bytes, b.relocData + 4, 4, 0x100), STATUS_INVALID_IMAGE_FORMAT, b.relocData + 4, 'IMAGE_BASE_RELOCATION.SizeOfBlock');
    expectFailure(patch(b.bytes, b.relocData + 4, 4, 0xfffffff8), STATUS_INVALID_IMAGE_FORMAT, b.relocData + 4, 'IMAGE_BASE_RELOCATION.SizeOfBlock');
  });

  it('SizeOfBlock 0 ends the table (Wine)', () => {
    expect(parsePe(patch(b.bytes, b.relocData + 4, 4, 0)).relocations).toEqual([]);
  });

  it('a truncated block header at the end of the directory', () => {
    const two = base({ relocs: [{ page: 0x1000, entries: [0x3010, 0x3020] }, { page: 0x1000, entries: [0x3030, 0x3040] }] });
    expectFailure(patch(two.bytes, dir + 4, 4, 12 + 4), STATUS_INVALID_IMAGE_FORMAT, two.relocData + 12, 'IMAGE_BASE_RELOCATION');
  });

  it('the directory outside the image or outside file data; VirtualAddress 0 → CONFLICTING_ADDRESSES (B95 step 2)', () => {
    expectFailure(patch(b.bytes, dir, 4, 0x10000), STATUS_INVALID_IMAGE_FORMAT, dir, 'DataDirectory[IMAGE_DIRECTORY_ENTRY_BASERELOC]');
    expectFailure(patch(b.bytes, dir + 4, 4, 0x800), STATUS_INVALID_IMAGE_FORMAT, dir, 'DataDirectory[IMAGE_DIRECTORY_ENTRY_BASERELOC]');
    expectFailure(patch(b.bytes, dir, 4, 0), STATUS_CONFLICTING_ADDRESSES, dir, 'DataDirectory[IMAGE_DIRECTORY_ENTRY_BASERELOC]');
  });

  it('unknown or machine-specific types → STATUS_INVALID_IMAGE_FORMAT', () => {
    for (const type of [5, 6, 7, 8, 9, 11, 15]) {
      expectFailure(base({ relocs: [{ page: 0x1000, entries: [0x3010, (type << 12) | 0x20] }] }).bytes, STATUS_INVALID_IMAGE_FORMAT, b.relocData + 10, 'TypeOffset');
    }
  });

  it('a fixup whose field ends past SizeOfImage → STATUS_ACCESS_VIOLATION', () => {
    // SizeOfImage is 0x3000 (.text at 0x1000, .reloc at 0x2000): a HIGHLOW at 0x2ffe ends at 0x3002.
    expectFailure(base({ relocs: [{ page: 0x2000, entries: [0x3ffe] }] }).bytes, STATUS_ACCESS_VIOLATION, b.relocData + 8, 'TypeOffset');
    expect(parsePe(base({ relocs: [{ page: 0x2000, entries: [0x3ffc] }] }).bytes).relocations.length).toBe(1);
  });

  it('overlapping fixups and a HIGHADJ without its second slot', () => {
    expectFailure(base({ relocs: [{ page: 0x1000, entries: [0x3010, 0x3012] }] }).bytes, STATUS_INVALID_IMAGE_FORMAT, b.relocData + 10, 'TypeOffset');
    expectFailure(base({ relocs: [{ page: 0x1000, entries: [0x3010, 0x4020] }] }).bytes, STATUS_INVALID_IMAGE_FORMAT, b.relocData + 10, 'TypeOffset');
  });
});

// ---------------------------------------------------------------------------
// Fuzzing
// ---------------------------------------------------------------------------


const dir = new URL('../../fixtures/pe/', import.meta.url);
const fixtureNames = ['absolute32.dll', 'absolute64.dll', 'few32.dll', 'norelocs32.dll', 'flat32.dll', 'hello32.exe', 'hello64.exe'];
const seeds: Uint8Array[] = [
  ...fixtureNames.map((n) => new Uint8Array(readFileSync(new URL(n, dir)))),
  base().bytes,
  buildPe({ is64: true, sections: [{ virtualAddress: 0x1000, virtualSize: 0x2000, characteristics: 0xc0000040, data: new Uint8Array(0x2000) }], relocs: [{ page: 0x1000, entries: [0xaffc, 0x4100, 0x1234, 0x1200, 0x2300] }] }).bytes,
];

/** Where the interesting bytes are: the headers, and the relocation directory's file bytes. */
function hotRanges(bytes: Uint8Array): [number, number][] {
  const ranges: [number, number][] = [[0, Math.min(bytes.length, 0x400)]];
  try {
    const pe = parsePe(bytes);
    const d = pe.dataDirectories[5];
    if (d !== undefined && d.size > 0) {
      const s = pe.sections.find((x) => d.virtualAddress >= x.virtualAddress && d.virtualAddress < x.virtualAddress + x.virtualSize);
      if (s !== undefined) ranges.push([s.pointerToRawData + (d.virtualAddress - s.virtualAddress), s.pointerToRawData + (d.virtualAddress - s.virtualAddress) + d.size]);
    }
  } catch {
    // not needed for invalid seeds
  }
  return ranges;
}

describe('fuzz: truncations and bit flips only ever raise ImageFormatError', () => {
  const rng = mulberry32(0x5eed1234);
  const total = 3000;
  let accepted = 0;
  const statuses = new Map<string, number>();

  it(`${total} mutated images`, () => {
    for (let n = 0; n < total; n++) {
      const seed = seeds[n % seeds.length];
      const hot = hotRanges(seed);
      let input: Uint8Array;
      const kind = rng();
      if (kind < 0.2) {
        input = seed.slice(0, Math.floor(rng() * seed.length));
      } else {
        input = seed.slice();
        const flips = 1 + Math.floor(rng() * 6);
        for (let f = 0; f < flips; f++) {
          const range = rng() < 0.85 ? hot[Math.floor(rng() * hot.length)] : ([0, input.length] as [number, number]);
          const at = range[0] + Math.floor(rng() * (range[1] - range[0]));
          if (at >= input.length) continue;
          if (rng() < 0.7) input[at] ^= 1 << Math.floor(rng() * 8);
          else input[at] = [0, 0xff, 0x7f, 0x80, 0x01, 0x10][Math.floor(rng() * 6)];
        }
        if (kind > 0.9) input = input.slice(0, Math.floor(rng() * input.length));
      }
      try {
        const pe = parsePe(input);
        accepted++;
        // What parsePe accepts, the layout and relocation code must handle.
        const pages = pe.mappedSize / 0x1000;
        expect(pageProtections(pe).length).toBe(pages);
        expect(sharedPages(pe).length).toBe(pages);
        const fixups = fixupPages(pe);
        if (pe.mappedSize <= 0x40000 && !pe.relocsStripped) {
          const newBase = pe.is64 ? pe.imageBase + 0x100000000 : (pe.imageBase + 0x10000000) % 2 ** 32;
          const eager = relocateImage(pe, newBase);
          for (const p of [0, ...fixups.slice(0, 3), pages - 1]) {
            expect(sameBytes(relocatedPage(pe, p, newBase), eager.subarray(p * 0x1000, (p + 1) * 0x1000))).toBe(true);
          }
        } else {
          originalPage(pe, pages - 1);
        }
      } catch (error) {
        if (!(error instanceof ImageFormatError)) throw new Error(`input ${n} (seed ${n % seeds.length}) threw ${String(error)}`);
        const key = `${error.field}`;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
      }
    }
    // eslint-disable-next-line no-console
    console.log(`fuzz: ${total} inputs tried, ${accepted} accepted, ${total - accepted} rejected by field:`, Object.fromEntries([...statuses].sort((a, b) => b[1] - a[1])));
    expect(accepted).toBeGreaterThan(100);
    expect(total - accepted).toBeGreaterThan(500);
  });
});

describe('one error hierarchy (issue 15)', () => {
  it('a malformed image is a WindowsError too: one catch serves the kernel and the loader, and the code still says which', () => {
    const kernel = new Kernel();
    const process = kernel.createProcess();
    let caught: unknown = null;
    try {
      process.loadImage(new Uint8Array(0x200));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(WindowsError);
    expect(caught).toBeInstanceOf(ImageFormatError);
    const error = caught as ImageFormatError;
    expect(error.code).toBe('IMAGE_FORMAT');
    expect([error.ntStatus, error.win32Error]).toEqual([STATUS_INVALID_IMAGE_NOT_MZ, ERROR_BAD_EXE_FORMAT]);
    expect(error.win32ErrorName).toBe('ERROR_BAD_EXE_FORMAT');
  });
});
