// NtQuerySection (issue 15): SectionBasicInformation (B61, B62, B90) and SectionImageInformation
// (B98), checked against the headers of real MinGW-built images read independently here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ERROR_INVALID_HANDLE,
  ImageFlags,
  PAGE_READONLY,
  PAGE_READWRITE,
  SEC_COMMIT,
  SEC_FILE,
  SEC_IMAGE,
  SEC_NOCACHE,
  SEC_RESERVE,
  STATUS_INVALID_HANDLE,
  STATUS_SECTION_NOT_IMAGE,
} from '../../src/index.js';
import { buildPe } from '../image/build-pe.js';
import { boot, expectWin32 } from './helpers.js';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../../fixtures/pe/${name}`, import.meta.url)));

/** The header fields SectionImageInformation reports, read straight from the file. */
function headers(bytes: Uint8Array) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lfanew = dv.getUint32(0x3c, true);
  const opt = lfanew + 24;
  const is64 = dv.getUint16(opt, true) === 0x20b;
  const qword = (at: number) => dv.getUint32(at, true) + dv.getUint32(at + 4, true) * 2 ** 32;
  const imageBase = is64 ? qword(opt + 24) : dv.getUint32(opt + 28, true);
  return {
    machine: dv.getUint16(lfanew + 4, true),
    characteristics: dv.getUint16(lfanew + 22, true),
    entry: dv.getUint32(opt + 16, true),
    imageBase,
    sizeOfImage: dv.getUint32(opt + 56, true),
    majorSubsystem: dv.getUint16(opt + 48, true),
    minorSubsystem: dv.getUint16(opt + 50, true),
    checkSum: dv.getUint32(opt + 64, true),
    subsystem: dv.getUint16(opt + 68, true),
    dllCharacteristics: dv.getUint16(opt + 70, true),
    stackReserve: is64 ? qword(opt + 72) : dv.getUint32(opt + 72, true),
    stackCommit: is64 ? qword(opt + 80) : dv.getUint32(opt + 76, true),
    relocDirectorySize: dv.getUint32(opt + (is64 ? 112 : 96) + 5 * 8 + 4, true),
  };
}

describe('NtQuerySection(SectionBasicInformation)', () => {
  it('B61/B62: an anonymous section reports SEC_COMMIT or SEC_RESERVE (with its modifier) and its size rounded to a page', () => {
    const { kernel } = boot();
    expect(kernel.querySection(kernel.createSection({ size: 0x3452, protect: PAGE_READWRITE }))).toEqual({ baseAddress: 0, attributes: SEC_COMMIT, size: 0x4000 });
    expect(kernel.querySection(kernel.createSection({ size: 4090, protect: PAGE_READWRITE, attributes: SEC_RESERVE })).attributes).toBe(SEC_RESERVE);
    expect(kernel.querySection(kernel.createSection({ size: 4090, protect: PAGE_READWRITE, attributes: SEC_COMMIT | SEC_NOCACHE })).attributes).toBe(SEC_COMMIT | SEC_NOCACHE);
  });

  it('B61/B62: a file section reports SEC_FILE and the file size exactly', () => {
    const { kernel } = boot();
    expect(kernel.querySection(kernel.createSection({ file: new Uint8Array(0x3456), protect: PAGE_READONLY }))).toEqual({ baseAddress: 0, attributes: SEC_FILE, size: 0x3456 });
    expect(kernel.querySection(kernel.createSection({ file: new Uint8Array(0x3456), protect: PAGE_READONLY, size: 36 })).size).toBe(36);
  });

  it('B90: an image section reports SEC_FILE | SEC_IMAGE, NULL base and ALIGN(SizeOfImage, page)', () => {
    const { kernel } = boot();
    const dll = fixture('absolute32.dll');
    const info = kernel.querySection(kernel.createImageSection(dll));
    expect(info).toEqual({ baseAddress: 0, attributes: SEC_FILE | SEC_IMAGE, size: Math.ceil(headers(dll).sizeOfImage / 0x1000) * 0x1000 });
  });

  it('B62: SectionImageInformation of a data section is STATUS_SECTION_NOT_IMAGE; a closed section is an invalid handle', () => {
    const { kernel } = boot();
    const data = kernel.createSection({ size: 0x1000, protect: PAGE_READWRITE });
    expect(() => kernel.querySectionImage(data)).toThrow(expect.objectContaining({ ntStatus: STATUS_SECTION_NOT_IMAGE }));
    kernel.closeSection(data);
    expectWin32(() => kernel.querySection(data), ERROR_INVALID_HANDLE, STATUS_INVALID_HANDLE);
    expectWin32(() => kernel.querySection({} as never), ERROR_INVALID_HANDLE);
  });
});

describe('NtQuerySection(SectionImageInformation) (B98)', () => {
  for (const name of ['absolute32.dll', 'absolute64.dll', 'hello32.exe', 'hello64.exe', 'flat32.dll', 'norelocs32.dll']) {
    it(`${name}: the headers' values, and the flags B98 derives from them`, () => {
      const { kernel } = boot();
      const bytes = fixture(name);
      const h = headers(bytes);
      const info = kernel.querySectionImage(kernel.createImageSection(bytes));
      expect(info).toMatchObject({
        transferAddress: h.imageBase + h.entry,
        maximumStackSize: h.stackReserve,
        committedStackSize: h.stackCommit,
        subSystemType: h.subsystem,
        subSystemMajorVersion: h.majorSubsystem,
        subSystemMinorVersion: h.minorSubsystem,
        imageCharacteristics: h.characteristics,
        dllCharacteristics: h.dllCharacteristics,
        machine: h.machine,
        imageFileSize: bytes.length,
        checkSum: h.checkSum,
        imageContainsCode: true,
      });
      const flat = name.startsWith('flat');
      expect((info.imageFlags & ImageFlags.ImageMappedFlat) !== 0).toBe(flat);
      const dynamicBase = (h.dllCharacteristics & 0x40) !== 0;
      expect((info.imageFlags & ImageFlags.ImageDynamicallyRelocated) !== 0).toBe(dynamicBase && !flat);
    });
  }

  it('B98: DYNAMIC_BASE with relocations but no code is still dynamically relocated; without either it is not', () => {
    const { kernel } = boot();
    const data = { virtualAddress: 0x1000, virtualSize: 0x100, characteristics: 0x40000040, data: new Uint8Array(0x100) };
    const withRelocs = buildPe({ dllCharacteristics: 0x40, sections: [data], relocs: [{ page: 0x1000, entries: [(3 << 12) | 0x10] }] }).bytes;
    const bare = buildPe({ dllCharacteristics: 0x40, sections: [data] }).bytes;
    const fixed = buildPe({ dllCharacteristics: 0, sections: [data], relocs: [{ page: 0x1000, entries: [(3 << 12) | 0x10] }] }).bytes;
    const flags = (bytes: Uint8Array) => kernel.querySectionImage(kernel.createImageSection(bytes)).imageFlags & ImageFlags.ImageDynamicallyRelocated;
    expect(kernel.querySectionImage(kernel.createImageSection(withRelocs)).imageContainsCode).toBe(false);
    expect(flags(withRelocs)).toBe(ImageFlags.ImageDynamicallyRelocated);
    expect(flags(bare)).toBe(0);
    expect(flags(fixed)).toBe(0);
  });
});
