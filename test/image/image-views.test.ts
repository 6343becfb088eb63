import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ERROR_INVALID_ADDRESS,
  ERROR_INVALID_PARAMETER,
  ERROR_NOT_ENOUGH_MEMORY,
  FILE_MAP_READ,
  MEM_IMAGE,
  MEM_RESERVE,
  PAGE_EXECUTE_WRITECOPY,
  PAGE_NOACCESS,
  PAGE_READONLY,
  PAGE_READWRITE,
  PAGE_WRITECOPY,
  SEC_FILE,
  SEC_IMAGE,
  STATUS_CONFLICTING_ADDRESSES,
  STATUS_IMAGE_NOT_AT_BASE,
  STATUS_SECTION_TOO_BIG,
  STATUS_SUCCESS,
  parsePe,
  relocateImage,
  type Process,
  type Section,
} from '../../src/index.js';
import { boot, expectWin32 } from '../os/helpers.js';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../../fixtures/pe/${name}`, import.meta.url)));

/** absolute32.dll with IMAGE_DLLCHARACTERISTICS_DYNAMIC_BASE cleared: relocations, but not one the kernel relocates. */
function withoutDynamicBase(bytes: Uint8Array): Uint8Array {
  const copy = bytes.slice();
  const view = new DataView(copy.buffer);
  const optionalHeader = view.getUint32(0x3c, true) + 24;
  view.setUint16(optionalHeader + 70, view.getUint16(optionalHeader + 70, true) & ~0x0040, true);
  expect(parsePe(copy).dynamicBase).toBe(false);
  return copy;
}

/** The Protect virtualQuery reports at each page of the image view at `base`. */
function protections(process: Process, base: number, section: Section): number[] {
  return Array.from({ length: section.pageCount }, (_, i) => process.virtualQuery(base + i * 0x1000).protect);
}

describe('H. Image views (NtMapViewOfSection of a SEC_IMAGE section)', () => {
  it('B84: mapViewOfSection of an image section maps a MEM_IMAGE view with the section protections loadImage gives', () => {
    const { kernel, process } = boot();
    const section = kernel.createImageSection(fixture('absolute32.dll'));
    const base = process.mapViewOfSection(section, { access: FILE_MAP_READ });
    expect(base).toBe(section.image!.pe.imageBase);
    const info = process.virtualQuery(base);
    expect([info.type, info.allocationProtect, info.protect]).toEqual([MEM_IMAGE, PAGE_EXECUTE_WRITECOPY, PAGE_READONLY]);
    const loaded = kernel.createProcess();
    const { base: loadedBase } = loaded.loadImage(section);
    expect(protections(process, base, section)).toEqual(protections(loaded, loadedBase, section));
    expect(protections(process, base, section)).toEqual([...section.image!.protections]);
    expect(protections(process, base, section)).toContain(PAGE_WRITECOPY); // .data: MEM_WRITE gives WRITECOPY (§3.7)
    process.unmapViewOfSection(base);
    expect(process.virtualQuery(base).type).toBe(0);
  });

  it('B91: the same (non-DYNAMIC_BASE) image mapped twice → STATUS_SUCCESS at its base, then STATUS_IMAGE_NOT_AT_BASE elsewhere with the same protections', () => {
    const { kernel, process } = boot();
    const section = kernel.createImageSection(withoutDynamicBase(fixture('absolute32.dll')));
    const pe = section.image!.pe;
    const first = process.mapImageView(section);
    expect(first).toEqual({ base: pe.imageBase, status: STATUS_SUCCESS, relocated: false });
    const second = process.mapImageView(section);
    expect(STATUS_IMAGE_NOT_AT_BASE).toBe(0x4000_0003); // a success code
    expect(second.status).toBe(STATUS_IMAGE_NOT_AT_BASE);
    expect(second.base).not.toBe(first.base);
    expect(second.relocated).toBe(false);
    expect(protections(process, second.base, section)).toEqual(protections(process, first.base, section));
    expect(process.virtualQuery(second.base).type).toBe(MEM_IMAGE);
  });

  it('B92: a DYNAMIC_BASE image with relocations whose ImageBase is taken is relocated by the kernel: STATUS_SUCCESS, ImageBase rewritten, fixups applied', () => {
    const { kernel, process } = boot();
    const dll = fixture('absolute32.dll');
    const pe = parsePe(dll);
    expect(pe.dynamicBase).toBe(true);
    process.virtualAlloc(pe.imageBase, 0x1000, MEM_RESERVE, PAGE_NOACCESS);
    const view = process.mapImageView(kernel.createImageSection(dll));
    expect(view.status).toBe(STATUS_SUCCESS);
    expect(view.base).not.toBe(pe.imageBase);
    expect(view.relocated).toBe(true);
    const bytes = process.readMemory(view.base, pe.mappedSize);
    expect(new DataView(bytes.buffer).getUint32(pe.imageBaseOffset, true)).toBe(view.base); // the in-memory ImageBase
    expect(bytes).toEqual(relocateImage(pe, view.base, true));
  });

  it('B92: the same image without DYNAMIC_BASE → STATUS_IMAGE_NOT_AT_BASE, header unchanged and no fixups applied', () => {
    const { kernel, process } = boot();
    const dll = withoutDynamicBase(fixture('absolute32.dll'));
    const pe = parsePe(dll);
    process.virtualAlloc(pe.imageBase, 0x1000, MEM_RESERVE, PAGE_NOACCESS);
    const section = kernel.createImageSection(dll);
    const view = process.mapImageView(section);
    expect([view.status, view.relocated]).toEqual([STATUS_IMAGE_NOT_AT_BASE, false]);
    const original = relocateImage(pe, pe.imageBase); // the image as laid out at its base: no fixup applied
    expect(process.readMemory(view.base, pe.mappedSize)).toEqual(original);
    // A write to a page with fixups copies the unrelocated page (copy-on-write), and the bytes stay unrelocated.
    const fixupPage = section.image!.fixupPages.indexOf(1);
    const dataPage = [...section.image!.protections].indexOf(PAGE_WRITECOPY);
    process.writeMemory(view.base + dataPage * 0x1000, new Uint8Array([0xaa]));
    expect(process.readMemory(view.base + fixupPage * 0x1000, 0x1000)).toEqual(original.subarray(fixupPage * 0x1000, (fixupPage + 1) * 0x1000));
    expect(process.virtualQuery(view.base + dataPage * 0x1000).protect).toBe(PAGE_READWRITE);
    // A forked child sees the same unrelocated view; LoadLibrary in another process still relocates its own copy.
    const child = process.fork();
    expect(child.readMemory(view.base, pe.mappedSize).subarray(0, 0x1000)).toEqual(original.subarray(0, 0x1000));
    const other = kernel.createProcess();
    other.virtualAlloc(view.base, 0x1000, MEM_RESERVE, PAGE_NOACCESS);
    other.virtualAlloc(pe.imageBase, 0x1000, MEM_RESERVE, PAGE_NOACCESS);
    const loaded = other.loadImage(section);
    expect(loaded.relocated).toBe(true);
    expect(other.readMemory(loaded.base, pe.mappedSize)).toEqual(relocateImage(pe, loaded.base));
    process.unmapViewOfSection(view.base);
  });

  it('B92: an explicit address is NtMapViewOfSection\'s BaseAddress, with the same statuses', () => {
    const { kernel, process } = boot();
    const address = 0x3000_0000;
    const plain = kernel.createImageSection(withoutDynamicBase(fixture('absolute32.dll')));
    expect(process.mapImageView(plain, { address })).toEqual({ base: address, status: STATUS_IMAGE_NOT_AT_BASE, relocated: false });
    expectWin32(() => process.mapImageView(plain, { address }), ERROR_INVALID_ADDRESS, STATUS_CONFLICTING_ADDRESSES);
    const other = kernel.createProcess();
    const aslr = kernel.createImageSection(fixture('absolute32.dll'));
    expect(other.mapImageView(aslr, { address })).toEqual({ base: address, status: STATUS_SUCCESS, relocated: true });
    expect(other.mapViewOfSection(aslr, { access: FILE_MAP_READ, address: 0x4000_0000 })).toBe(0x4000_0000);
  });

  it('B93: the kernel maps a RELOCS_STRIPPED DLL away from its base (STATUS_IMAGE_NOT_AT_BASE), where LoadLibrary refuses it', () => {
    const { kernel, process } = boot();
    const dll = fixture('norelocs32.dll');
    const pe = parsePe(dll);
    process.virtualAlloc(pe.imageBase, 0x1000, MEM_RESERVE, PAGE_NOACCESS);
    const section = kernel.createImageSection(dll);
    expectWin32(() => process.loadImage(section), ERROR_INVALID_ADDRESS, STATUS_CONFLICTING_ADDRESSES);
    const view = process.mapImageView(section);
    expect([view.status, view.relocated]).toEqual([STATUS_IMAGE_NOT_AT_BASE, false]);
    expect(process.readMemory(view.base, pe.mappedSize)).toEqual(relocateImage(pe, pe.imageBase));
  });

  it('B97: under the aslr policy, NtMapViewOfSection puts a DYNAMIC_BASE image at its system-wide base, as LoadLibrary does', () => {
    const { kernel, process } = boot({ relocationPolicy: 'aslr' });
    const section = kernel.createImageSection(fixture('absolute32.dll'));
    const view = process.mapImageView(section);
    expect(view.status).toBe(STATUS_SUCCESS);
    expect(kernel.createProcess().loadImage(section).base).toBe(view.base);
    expect(view.base).not.toBe(section.image!.pe.imageBase);
  });

  it('B90: createImageSection takes MaximumSize ALIGN(SizeOfImage, page) or 1; a larger one → STATUS_SECTION_TOO_BIG', () => {
    const { kernel } = boot();
    const dll = fixture('absolute32.dll');
    const size = parsePe(dll).mappedSize;
    const before = kernel.sections().length;
    expectWin32(() => kernel.createImageSection(dll, { maximumSize: size + 1 }), ERROR_NOT_ENOUGH_MEMORY, STATUS_SECTION_TOO_BIG);
    expect(kernel.sections().length).toBe(before); // nothing created
    const section = kernel.createImageSection(dll, { maximumSize: 1 });
    expect(kernel.createImageSection(dll, { maximumSize: size })).toBe(section);
    expectWin32(() => kernel.createImageSection(dll, { maximumSize: size + 0x1000 }), ERROR_NOT_ENOUGH_MEMORY, STATUS_SECTION_TOO_BIG); // the existing section too
    // What NtQuerySection reports after MaximumSize 1 is not pinned by the authority: mmukit reports the image's size.
    expect(kernel.querySection(section)).toEqual({ baseAddress: 0, attributes: SEC_IMAGE | SEC_FILE, size });
  });

  it('B61: createImageSection checks the protection, then ignores it', () => {
    const { kernel, process } = boot();
    const dll = fixture('absolute32.dll');
    expectWin32(() => kernel.createImageSection(dll, { protect: PAGE_NOACCESS }), ERROR_INVALID_PARAMETER);
    expectWin32(() => kernel.createImageSection(dll, { protect: 0x7777 }), ERROR_INVALID_PARAMETER);
    const section = kernel.createImageSection(dll, { protect: PAGE_READONLY });
    expect(section.protect).toBe(PAGE_EXECUTE_WRITECOPY);
    const base = process.mapImageView(section).base;
    expect(protections(process, base, section)).toEqual([...section.image!.protections]);
  });
});
