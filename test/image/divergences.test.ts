// Issue 15 ("Windows memory fidelity"): divergences from windows-semantics.md fixed in the image and
// section code, one regression test each, named by its B-number. Where the semantics document is
// silent, the source named in the test (and in docs/kernel.md, "Images: decisions and their sources")
// decided.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ERROR_BAD_EXE_FORMAT,
  ERROR_FILE_INVALID,
  ERROR_INVALID_ADDRESS,
  ERROR_NOT_ENOUGH_MEMORY,
  FILE_MAP_READ,
  FILE_MAP_WRITE,
  FRAME_SIZE,
  ImageFormatError,
  MEM_RESERVE,
  PAGE_EXECUTE_READ,
  PAGE_EXECUTE_READWRITE,
  PAGE_EXECUTE_WRITECOPY,
  PAGE_READONLY,
  PAGE_READWRITE,
  PAGE_WRITECOPY,
  SEC_COMMIT,
  SEC_FILE,
  SEC_IMAGE,
  STATUS_ACCESS_VIOLATION,
  STATUS_CONFLICTING_ADDRESSES,
  STATUS_IMAGE_NOT_AT_BASE,
  STATUS_INVALID_FILE_FOR_SECTION,
  STATUS_INVALID_IMAGE_FORMAT,
  STATUS_INVALID_IMAGE_NOT_MZ,
  STATUS_INVALID_IMAGE_WIN_64,
  STATUS_MAPPED_FILE_SIZE_ZERO,
  STATUS_SECTION_TOO_BIG,
  STATUS_SUCCESS,
  ntStatusToWin32,
  parsePe,
  relocateImage,
  type Kernel,
} from '../../src/index.js';
import { boot, expectWin32 } from '../os/helpers.js';
import { buildPe, u32 } from './build-pe.js';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../../fixtures/pe/${name}`, import.meta.url)));

const RX = 0x60000020; // CNT_CODE | MEM_EXECUTE | MEM_READ
const R_DATA = 0x40000040; // CNT_INITIALIZED_DATA | MEM_READ
const text = new Uint8Array(0x400).fill(0xc3);

/** Runs `action`, expects an ImageFormatError, returns it. */
function imageFormatError(action: () => unknown): ImageFormatError {
  try {
    action();
  } catch (error) {
    if (error instanceof ImageFormatError) return error;
    throw error;
  }
  throw new Error('expected an ImageFormatError');
}

/** What a failed call must leave unchanged (the repo's rule): sections, the process's regions, frames. */
function state(kernel: Kernel, process: { regions: { size: number } }) {
  return { sections: kernel.sections().length, regions: process.regions.size, frames: kernel.frames.usedCount };
}

describe('B62: section sizes against the file', () => {
  it('B62: an image section over an empty file fails with STATUS_INVALID_FILE_FOR_SECTION, not STATUS_INVALID_IMAGE_NOT_MZ', () => {
    const { kernel, process } = boot();
    const before = state(kernel, process);
    const empty = new Uint8Array(0);
    for (const action of [() => kernel.createImageSection(empty), () => process.loadImage(empty), () => parsePe(empty), () => kernel.createSection({ protect: PAGE_READONLY, file: empty, attributes: SEC_IMAGE })]) {
      const error = imageFormatError(action);
      expect([error.ntStatus, error.win32Error]).toEqual([STATUS_INVALID_FILE_FOR_SECTION, ERROR_BAD_EXE_FORMAT]);
    }
    // A file that is not empty but is no image still answers NOT_MZ (B89; kernel32 tests: test_MapViewOfFile).
    expect(imageFormatError(() => kernel.createSection({ protect: PAGE_READONLY, file: new Uint8Array(0x3456), attributes: SEC_IMAGE })).ntStatus).toBe(STATUS_INVALID_IMAGE_NOT_MZ);
    expect(state(kernel, process)).toEqual(before);
  });

  it('B62: CreateFileMapping(SEC_IMAGE) of a PE file is its image section; a size past ALIGN(SizeOfImage) is STATUS_SECTION_TOO_BIG (B90)', () => {
    const { kernel, process } = boot();
    const dll = fixture('few32.dll');
    const pe = parsePe(dll);
    const before = state(kernel, process);
    expectWin32(() => kernel.createSection({ protect: PAGE_READONLY, file: dll, attributes: SEC_IMAGE, size: pe.mappedSize + 1 }), ERROR_NOT_ENOUGH_MEMORY, STATUS_SECTION_TOO_BIG);
    expect(state(kernel, process)).toEqual(before);
    const section = kernel.createSection({ protect: PAGE_EXECUTE_READ, file: dll, attributes: SEC_IMAGE, size: pe.mappedSize });
    expect(section.attributes).toBe(SEC_IMAGE | SEC_FILE);
    expect(section.image?.pe.imageBase).toBe(pe.imageBase);
    expect(kernel.createImageSection(dll)).toBe(section); // one section per image
    expect(process.loadImage(section).base).toBe(pe.imageBase);
  });

  it('B62: a PAGE_READWRITE (or PAGE_EXECUTE_READWRITE) file section larger than its file succeeds, and the file grows', () => {
    const { kernel, process } = boot();
    for (const protect of [PAGE_READWRITE, PAGE_EXECUTE_READWRITE]) {
      // A fresh file each time: sections over one array share its pages (docs/kernel.md, files: sharing and flushing).
      const file = new Uint8Array(0x1800).fill(0x5a);
      const section = kernel.createSection({ protect, file, size: 0x3000 });
      expect([section.size, section.pageCount, file.length]).toEqual([0x3000, 3, 0x1800]);
      const view = process.mapViewOfSection(section, { access: FILE_MAP_WRITE });
      const other = process.mapViewOfSection(section, { access: FILE_MAP_READ });
      const bytes = process.readMemory(view, 0x3000);
      expect(bytes.subarray(0, 0x1800).every((b) => b === 0x5a)).toBe(true);
      expect(bytes.subarray(0x1800).every((b) => b === 0)).toBe(true); // the grown part of the file reads as zeros
      process.writeMemory(view + 0x2800, new Uint8Array([1, 2, 3]));
      expect([...process.readMemory(other + 0x2800, 3)]).toEqual([1, 2, 3]); // one section, past the old end too
    }
    // Wine's order: the size is checked against the file before the file's emptiness, so an empty file grows too.
    expect(kernel.createSection({ protect: PAGE_READWRITE, file: new Uint8Array(0), size: 0x1000 }).size).toBe(0x1000);
  });

  it('B62: a PAGE_READONLY file section larger than its file fails with STATUS_SECTION_TOO_BIG (as every protection without write access)', () => {
    const { kernel, process } = boot();
    const file = new Uint8Array(0x1800);
    const before = state(kernel, process);
    for (const protect of [PAGE_READONLY, PAGE_WRITECOPY, PAGE_EXECUTE_READ, PAGE_EXECUTE_WRITECOPY]) {
      expectWin32(() => kernel.createSection({ protect, file, size: 0x1801 }), ERROR_NOT_ENOUGH_MEMORY, STATUS_SECTION_TOO_BIG);
      expect(kernel.createSection({ protect, file, size: 0x1800 }).size).toBe(0x1800); // up to the file's size is fine
    }
    expect(kernel.sections().length).toBe(before.sections + 4);
  });

  it('B62: a zero-length file with SEC_COMMIT and no size fails with STATUS_MAPPED_FILE_SIZE_ZERO', () => {
    const { kernel, process } = boot();
    const before = state(kernel, process);
    for (const protect of [PAGE_READONLY, PAGE_READWRITE]) {
      expectWin32(() => kernel.createSection({ protect, file: new Uint8Array(0), attributes: SEC_COMMIT }), ERROR_FILE_INVALID, STATUS_MAPPED_FILE_SIZE_ZERO);
    }
    expectWin32(() => kernel.createSection({ protect: PAGE_READONLY, file: new Uint8Array(0), size: FRAME_SIZE }), ERROR_NOT_ENOUGH_MEMORY, STATUS_SECTION_TOO_BIG);
    expect(state(kernel, process)).toEqual(before);
  });
});

describe('B89: image bitness is the loader\u2019s check, not the section\u2019s', () => {
  it('B89: a PE32 image with code does not load into a 64-bit process (ERROR_BAD_EXE_FORMAT), although its section is created', () => {
    const { kernel, process } = boot();
    expect(process.loadImage(fixture('absolute64.dll')).status).toBe(STATUS_SUCCESS); // a PE32+ image: a 64-bit process
    const dll32 = fixture('absolute32.dll');
    expect(parsePe(dll32).containsCode).toBe(true);
    const section = kernel.createImageSection(dll32); // STATUS_SUCCESS on 64-bit Windows
    const before = state(kernel, process);
    expectWin32(() => process.loadImage(section), ERROR_BAD_EXE_FORMAT, STATUS_INVALID_IMAGE_FORMAT);
    expect(state(kernel, process)).toEqual(before);
    kernel.closeSection(section);
    // From the bytes, the section the failed load made is closed again.
    const sections = kernel.sections().length;
    expectWin32(() => process.loadImage(fixture('few32.dll')), ERROR_BAD_EXE_FORMAT, STATUS_INVALID_IMAGE_FORMAT);
    expect(kernel.sections().length).toBe(sections);
  });

  it('B89: the other way round, a PE32+ image does not load into a process running PE32 code', () => {
    const { kernel, process } = boot();
    const first = process.loadImage(fixture('absolute32.dll')); // the process is 32-bit: its image stays below 2 GiB
    expect(first.base).toBeLessThan(0x8000_0000);
    const before = state(kernel, process);
    expectWin32(() => process.loadImage(fixture('hello64.exe')), ERROR_BAD_EXE_FORMAT, STATUS_INVALID_IMAGE_FORMAT);
    expect(state(kernel, process)).toEqual(before);
    // Another process is free to be 64-bit.
    expect(kernel.createProcess().loadImage(fixture('hello64.exe')).status).toBe(STATUS_SUCCESS);
  });

  it('B89: a PE32 image without code (data only) loads into a 64-bit process', () => {
    const { process } = boot();
    process.loadImage(fixture('absolute64.dll'));
    const data = buildPe({ sections: [{ name: '.rsrc', virtualAddress: 0x1000, virtualSize: 0x200, characteristics: R_DATA, data: new Uint8Array(0x200).fill(7) }] }).bytes;
    const pe = parsePe(data);
    expect([pe.is64, pe.sizeOfCode, pe.addressOfEntryPoint, pe.containsCode]).toEqual([false, 0, 0, false]);
    const loaded = process.loadImage(data);
    expect(loaded.base).toBe(pe.imageBase);
    expect(process.readMemory(loaded.base + 0x1000, 4)).toEqual(new Uint8Array([7, 7, 7, 7]));
    // An executable section alone makes it an image with code (loader tests: query_image_section).
    const code = buildPe({ sections: [{ name: '.text', virtualAddress: 0x1000, virtualSize: 0x400, characteristics: RX, data: text }] }).bytes;
    expect(parsePe(code).containsCode).toBe(true);
    expectWin32(() => process.loadImage(code), ERROR_BAD_EXE_FORMAT, STATUS_INVALID_IMAGE_FORMAT);
  });

  it('B89: a PE32+ image section on a 32-bit system fails with STATUS_INVALID_IMAGE_WIN_64', () => {
    const { kernel, process } = boot({ format: 'x86-pae' });
    const before = state(kernel, process);
    for (const action of [() => kernel.createImageSection(fixture('absolute64.dll')), () => process.loadImage(fixture('hello64.exe'))]) {
      const error = imageFormatError(action);
      expect([error.ntStatus, error.win32Error, error.field]).toEqual([STATUS_INVALID_IMAGE_WIN_64, ERROR_BAD_EXE_FORMAT, 'Magic']);
    }
    expect(state(kernel, process)).toEqual(before);
    expect(process.loadImage(fixture('few32.dll')).status).toBe(STATUS_SUCCESS);
  });
});

describe('B93/B94 with an explicit address', () => {
  it('B93/B94: a RELOCS_STRIPPED DLL is not mapped unrelocated at a requested address that is not its base', () => {
    const { kernel, process } = boot();
    const dll = fixture('norelocs32.dll');
    const pe = parsePe(dll);
    expect([pe.isDll, pe.relocsStripped]).toEqual([true, true]);
    const before = state(kernel, process);
    expectWin32(() => process.loadImage(dll, { address: pe.imageBase + 0x100000 }), ERROR_INVALID_ADDRESS, STATUS_CONFLICTING_ADDRESSES);
    expect(state(kernel, process)).toEqual(before);
    // At its own base the address is fine.
    const loaded = process.loadImage(dll, { address: pe.imageBase });
    expect([loaded.base, loaded.status, loaded.relocated]).toEqual([pe.imageBase, STATUS_SUCCESS, false]);
  });

  it('B93/B94: an EXE without relocations still loads unrelocated at another requested address, as when its base is taken', () => {
    const { process } = boot();
    const exe = buildPe({ characteristics: 0x0103, sections: [{ name: '.text', virtualAddress: 0x1000, virtualSize: 0x400, characteristics: RX, data: text }] }).bytes;
    const pe = parsePe(exe);
    expect([pe.isDll, pe.relocsStripped]).toEqual([false, true]);
    const loaded = process.loadImage(exe, { address: pe.imageBase + 0x100000 });
    expect([loaded.base, loaded.status, loaded.relocated]).toEqual([pe.imageBase + 0x100000, STATUS_IMAGE_NOT_AT_BASE, false]);
  });
});

describe('B95: LoadedImage.relocated means fixups were applied', () => {
  const image = (relocs?: { page: number; entries: number[]; sizeOfBlock?: number }[]) =>
    buildPe({ sections: [{ name: '.text', virtualAddress: 0x1000, virtualSize: 0x400, characteristics: RX, data: text }], relocs }).bytes;

  /** Loads `bytes` away from its base (the base reserved first). */
  function loadMoved(bytes: Uint8Array) {
    const { process } = boot();
    const pe = parsePe(bytes);
    process.virtualAlloc(pe.imageBase, FRAME_SIZE, MEM_RESERVE, PAGE_READWRITE);
    const loaded = process.loadImage(bytes);
    expect([loaded.status, loaded.base === pe.imageBase]).toEqual([STATUS_IMAGE_NOT_AT_BASE, false]);
    return { process, pe, loaded };
  }

  it('B95: an image moved off its base with no fixups at all (no relocation directory, B95 step 2) is not "relocated"', () => {
    const { pe, loaded } = loadMoved(image());
    expect([pe.relocsStripped, pe.relocations.length, loaded.relocated]).toEqual([false, 0, false]);
  });

  it('B95: a relocation directory of ABSOLUTE padding only applies nothing, so it is not "relocated" either', () => {
    const { pe, loaded } = loadMoved(image([{ page: 0x1000, entries: [0x0000, 0x0000] }]));
    expect([pe.relocations.length, loaded.relocated]).toEqual([2, false]);
  });

  it('B95: an image moved off its base with fixups is "relocated", and its fixups are applied', () => {
    const { process, pe, loaded } = loadMoved(image([{ page: 0x1000, entries: [0x3010, 0x3020] }]));
    expect(loaded.relocated).toBe(true);
    expect(u32(process.readMemory(loaded.base + 0x1010, 4), 0)).toBe((0xc3c3c3c3 + loaded.base - pe.imageBase) >>> 0);
  });
});

describe('Malformed PEs: statuses from the PE rules (windows-semantics.md §3; docs/kernel.md)', () => {
  const base = () => buildPe({ sections: [{ name: '.text', virtualAddress: 0x1000, virtualSize: 0x400, characteristics: RX, data: text }], relocs: [{ page: 0x1000, entries: [0x3010, 0x3020] }] });

  it('B89: a section table cut short by the end of the file is STATUS_INVALID_FILE_FOR_SECTION (Wine get_image_params), whatever SizeOfHeaders says', () => {
    const b = base();
    for (const cut of [b.sectionTable, b.sectionTable + 20, b.sectionTable + 40, b.sectionTable + 79]) {
      const error = imageFormatError(() => parsePe(b.bytes.slice(0, cut)));
      expect([error.ntStatus, error.win32Error, error.field, error.offset]).toEqual([STATUS_INVALID_FILE_FOR_SECTION, ERROR_BAD_EXE_FORMAT, 'NumberOfSections', b.fileHeader + 2]);
    }
    // The whole table present, the file cut after it: SizeOfHeaders past the end of the file, as before.
    expect(imageFormatError(() => parsePe(b.bytes.slice(0, b.sectionTable + 80))).field).toBe('SizeOfHeaders');
  });

  it('B95: a fixup whose field ends past SizeOfImage is STATUS_ACCESS_VIOLATION, also inside the last mapped page (mmukit is stricter than Wine here)', () => {
    // SizeOfImage 0x2100: the image maps 0x3000 bytes. A HIGHLOW ending at 0x2100 is applied; one at 0x2800
    // (inside the mapped page, where Wine and ReactOS would write it) and one straddling 0x3000 are refused.
    const image = (entry: number) => buildPe({ sizeOfImage: 0x2100, sections: [{ name: '.text', virtualAddress: 0x1000, virtualSize: 0x400, characteristics: RX, data: text }], relocs: [{ page: 0x2000, entries: [entry, 0x0000] }] });
    const inside = image(0x30fc).bytes;
    const pe = parsePe(inside);
    expect([pe.sizeOfImage, pe.mappedSize, pe.relocations[0].rva]).toEqual([0x2100, 0x3000, 0x20fc]);
    const { process } = boot();
    process.virtualAlloc(pe.imageBase, FRAME_SIZE, MEM_RESERVE, PAGE_READWRITE);
    const loaded = process.loadImage(inside);
    expect(loaded.relocated).toBe(true);
    expect(process.readMemory(loaded.base, pe.mappedSize)).toEqual(relocateImage(pe, loaded.base));
    for (const entry of [0x3800, 0x3ffe]) {
      const past = image(entry);
      const error = imageFormatError(() => parsePe(past.bytes));
      expect([error.ntStatus, error.win32Error, error.field, error.offset]).toEqual([STATUS_ACCESS_VIOLATION, ntStatusToWin32(STATUS_ACCESS_VIOLATION), 'TypeOffset', past.relocData + 8]);
    }
  });

  it('B95: a block with SizeOfBlock 0 ends the relocation table (Wine, ReactOS): the blocks after it are not applied', () => {
    const terminatedFirst = buildPe({
      sections: [{ name: '.text', virtualAddress: 0x1000, virtualSize: 0x400, characteristics: RX, data: text }],
      relocs: [{ page: 0x1000, entries: [], sizeOfBlock: 0 }, { page: 0x1000, entries: [0x3010, 0x3020] }],
    }).bytes;
    const terminatedLater = buildPe({
      sections: [{ name: '.text', virtualAddress: 0x1000, virtualSize: 0x400, characteristics: RX, data: text }],
      relocs: [{ page: 0x1000, entries: [0x3010, 0x0000] }, { page: 0x1000, entries: [], sizeOfBlock: 0 }, { page: 0x1000, entries: [0x3020, 0x0000] }],
    }).bytes;
    for (const [bytes, relocated, fixups] of [
      [terminatedFirst, false, []],
      [terminatedLater, true, [0x1010]],
    ] as const) {
      const { process } = boot();
      const pe = parsePe(bytes);
      expect(pe.relocations.filter((r) => r.type !== 0).map((r) => r.rva)).toEqual(fixups);
      process.virtualAlloc(pe.imageBase, FRAME_SIZE, MEM_RESERVE, PAGE_READWRITE);
      const loaded = process.loadImage(bytes);
      const delta = loaded.base - pe.imageBase;
      expect([loaded.status, loaded.relocated]).toEqual([STATUS_IMAGE_NOT_AT_BASE, relocated]);
      const at = (rva: number) => u32(process.readMemory(loaded.base + rva, 4), 0);
      expect(at(0x1010)).toBe(relocated ? (0xc3c3c3c3 + delta) >>> 0 : 0xc3c3c3c3);
      expect(at(0x1020)).toBe(0xc3c3c3c3); // after the terminator: never applied
    }
  });
});
