import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ERROR_ACCESS_DENIED,
  ERROR_INVALID_ADDRESS,
  ERROR_INVALID_PARAMETER,
  Kernel,
  FRAME_SIZE,
  ImageFormatError,
  MEM_COMMIT,
  MEM_FREE,
  MEM_IMAGE,
  MEM_RESERVE,
  PAGE_EXECUTE_READWRITE,
  PAGE_EXECUTE_WRITECOPY,
  PAGE_READONLY,
  PAGE_READWRITE,
  PAGE_WRITECOPY,
  STATUS_CONFLICTING_ADDRESSES,
  STATUS_IMAGE_NOT_AT_BASE,
  STATUS_INVALID_PARAMETER,
  STATUS_SUCCESS,
  fixupPages,
  imageReport,
  parsePe,
  relocateImage,
  type Process,
} from '../../src/index.js';
import { defaultDll, runSeed } from '../../examples/seed-demo.js';
import { boot, expectWin32, windowsError } from '../os/helpers.js';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../../fixtures/pe/${name}`, import.meta.url)));
const DLLS = ['absolute32.dll', 'absolute64.dll', 'few32.dll', 'flat32.dll'];

/** Every mapped byte of the image at `base`, read through `process`'s address space. */
function mappedBytes(process: Process, base: number, size: number): Uint8Array {
  return process.readMemory(base, size);
}

describe('H. Image mapping', () => {
  it('B83: the image view reports EXECUTE_WRITECOPY, MEM_IMAGE, a read-only header, and ends at ALIGN(SizeOfImage)', () => {
    const { process } = boot();
    const dll = fixture('absolute32.dll');
    const pe = parsePe(dll);
    const { base, status } = process.loadImage(dll);
    expect([base, status]).toEqual([pe.imageBase, STATUS_SUCCESS]);
    const head = process.virtualQuery(base);
    expect([head.allocationBase, head.allocationProtect, head.state, head.protect, head.type]).toEqual([base, PAGE_EXECUTE_WRITECOPY, MEM_COMMIT, PAGE_READONLY, MEM_IMAGE]);
    expect(process.virtualQuery(base + pe.mappedSize).state).toBe(MEM_FREE);
  });

  it('B84 (§3.7): each section reports the protection its characteristics give', () => {
    const { process: first, kernel } = boot();
    for (const name of ['absolute32.dll', 'absolute64.dll']) {
      // B89: a process that loaded PE32 code cannot load a PE32+ image, so each DLL gets its own process.
      const process = name === 'absolute32.dll' ? first : kernel.createProcess();
      const dll = fixture(name);
      const { base, section } = process.loadImage(dll);
      const protections = section.image!.protections;
      for (const s of parsePe(dll).sections) {
        const info = process.virtualQuery(base + s.virtualAddress);
        expect(info.protect, `${name} ${s.name}`).toBe(protections[s.virtualAddress / FRAME_SIZE]);
        const read = (s.characteristics & 0x40000000) !== 0;
        const write = (s.characteristics & 0x80000000) !== 0;
        const exec = (s.characteristics & 0x20000000) !== 0;
        const expected = write ? (exec ? PAGE_EXECUTE_WRITECOPY : PAGE_WRITECOPY) : exec ? (read ? 0x20 : 0x10) : read ? PAGE_READONLY : 0x01;
        expect(info.protect, `${name} ${s.name}`).toBe(expected);
      }
    }
    expect(kernel.stats.accessViolations).toBe(0);
  });

  it('B85: VirtualProtect inside an image turns READWRITE into WRITECOPY', () => {
    const { process } = boot();
    const { base } = process.loadImage(fixture('absolute32.dll'));
    process.virtualProtect(base + FRAME_SIZE, FRAME_SIZE, PAGE_READWRITE);
    expect(process.virtualQuery(base + FRAME_SIZE).protect).toBe(PAGE_WRITECOPY);
    process.virtualProtect(base + FRAME_SIZE, FRAME_SIZE, PAGE_EXECUTE_READWRITE);
    expect(process.virtualQuery(base + FRAME_SIZE).protect).toBe(PAGE_EXECUTE_WRITECOPY);
    expect(process.virtualQuery(base).allocationProtect).toBe(PAGE_EXECUTE_WRITECOPY);
  });

  it('B88: committing over an image header is denied', () => {
    const { process } = boot();
    const { base } = process.loadImage(fixture('few32.dll'));
    expectWin32(() => process.virtualAlloc(base, FRAME_SIZE, MEM_COMMIT, PAGE_READWRITE), ERROR_ACCESS_DENIED);
  });

  it('B91: the same image twice in one process: the second is STATUS_IMAGE_NOT_AT_BASE with the same protections', () => {
    const { process } = boot();
    const dll = fixture('absolute32.dll');
    const first = process.loadImage(dll);
    const second = process.loadImage(dll);
    expect(second.status).toBe(STATUS_IMAGE_NOT_AT_BASE);
    expect(second.base).not.toBe(first.base);
    const fixups = new Set(fixupPages(first.image));
    let relocatedData = 0;
    for (let page = 0; page < first.image.mappedSize / FRAME_SIZE; page++) {
      const atBase = process.virtualQuery(first.base + page * FRAME_SIZE).protect;
      // The loader relocated the second mapping by writing its fixup pages: those are private
      // copies, and a copied WRITECOPY page reports READWRITE (B81, B95), touched or not.
      const written = fixups.has(page) && atBase === PAGE_WRITECOPY;
      if (written) relocatedData++;
      expect(process.virtualQuery(second.base + page * FRAME_SIZE).protect).toBe(written ? PAGE_READWRITE : atBase);
    }
    expect(relocatedData).toBeGreaterThan(0);
  });

  it('B93/B94: a DLL without relocations whose base is taken fails with STATUS_CONFLICTING_ADDRESSES and maps nothing', () => {
    const { process, kernel } = boot();
    const dll = fixture('norelocs32.dll');
    const pe = parsePe(dll);
    expect(pe.relocsStripped).toBe(true);
    process.virtualAlloc(pe.imageBase, FRAME_SIZE, MEM_RESERVE, PAGE_READWRITE);
    const regions = process.regions.size;
    const used = kernel.frames.usedCount;
    expectWin32(() => process.loadImage(dll), ERROR_INVALID_ADDRESS, STATUS_CONFLICTING_ADDRESSES);
    expect(process.regions.size).toBe(regions);
    expect(kernel.frames.usedCount).toBe(used);
  });

  it('B89: a malformed image is rejected with ImageFormatError and nothing changes', () => {
    const { process, kernel } = boot();
    const broken = fixture('few32.dll').slice(0, 300);
    const used = kernel.frames.usedCount;
    expect(() => process.loadImage(broken)).toThrow(ImageFormatError);
    const bad = fixture('few32.dll');
    bad[0] = 0x4e;
    expect(() => process.loadImage(bad)).toThrow(ImageFormatError);
    expect(process.regions.size).toBe(0);
    expect(kernel.frames.usedCount).toBe(used);
  });
});

describe('B95: relocation writes only the fixup pages, which become private; the rest stays shared', () => {
  for (const name of DLLS) {
    it(`${name}: bytes at the preferred and at a relocated base equal the independently relocated image`, () => {
      const { kernel, process: first } = boot({ cpus: 2 });
      const dll = fixture(name);
      const pe = parsePe(dll);
      const second = kernel.createProcess();
      second.virtualAlloc(pe.imageBase, FRAME_SIZE, MEM_RESERVE, PAGE_READWRITE);
      const atBase = first.loadImage(dll);
      const moved = second.loadImage(dll);
      expect(atBase.base).toBe(pe.imageBase);
      expect(moved.base).not.toBe(pe.imageBase);
      expect(moved.status).toBe(STATUS_IMAGE_NOT_AT_BASE);
      expect(mappedBytes(first, atBase.base, pe.mappedSize)).toEqual(relocateImage(pe, pe.imageBase));
      expect(mappedBytes(second, moved.base, pe.mappedSize)).toEqual(relocateImage(pe, moved.base));
    });

    it(`${name}: exactly the fixup pages are private after relocation; lazy and eager agree`, () => {
      const { kernel, process: first } = boot({ cpus: 3 });
      const dll = fixture(name);
      const pe = parsePe(dll);
      const fixups = new Set(fixupPages(pe));
      const lazy = kernel.createProcess();
      const eager = kernel.createProcess();
      for (const p of [lazy, eager]) p.virtualAlloc(pe.imageBase, FRAME_SIZE, MEM_RESERVE, PAGE_READWRITE);
      const a = first.loadImage(dll);
      const b = lazy.loadImage(dll);
      const c = eager.loadImage(dll, { eager: true });
      expect(kernel.stats.relocatedPages).toBe(fixups.size); // eager relocated before any touch
      const pages = pe.mappedSize / FRAME_SIZE;
      for (let page = 0; page < pages; page++) {
        const va = (base: number) => base + page * FRAME_SIZE;
        kernel.run(0, first).mmu.read8(va(a.base));
        kernel.run(1, lazy).mmu.read8(va(b.base));
        kernel.run(2, eager).mmu.read8(va(c.base));
        const shared = kernel.cpus[0].mmu.translate(va(a.base), 0);
        expect(kernel.cpus[1].mmu.translate(va(b.base), 0) === shared, `page ${page}`).toBe(!fixups.has(page));
        expect(kernel.cpus[2].mmu.translate(va(c.base), 0) === shared, `page ${page}`).toBe(!fixups.has(page));
      }
      expect(mappedBytes(lazy, b.base, pe.mappedSize)).toEqual(mappedBytes(eager, c.base, pe.mappedSize));
      const report = imageReport(lazy, b.base);
      expect(report.relocationCopies).toBe(fixups.size);
      expect(report.sharedPages).toBe(pages - fixups.size);
      // The page sets behind the counts, as virtual addresses: no process internals needed.
      const at = (pageList: Iterable<number>) => [...pageList].sort((x, y) => x - y).map((page) => b.base + page * FRAME_SIZE);
      const all = Array.from({ length: pages }, (_, page) => page);
      expect(report.pageAddresses.relocationCopies).toEqual(at(fixups));
      expect(report.pageAddresses.shared).toEqual(at(all.filter((page) => !fixups.has(page))));
      expect(report.pageAddresses.private).toEqual(at(fixups));
      expect(report.pageAddresses.resident).toEqual(at(all));
      expect(report.pageAddresses.writeCopies).toEqual([]);
      for (const key of ['resident', 'shared', 'private', 'relocationCopies', 'writeCopies'] as const) {
        const count = { resident: report.residentPages, shared: report.sharedPages, private: report.privatePages, relocationCopies: report.relocationCopies, writeCopies: report.writeCopies }[key];
        expect(report.pageAddresses[key].length, key).toBe(count);
      }
    });
  }

  it('the seed\u2019s last sentence: relocating absolute32.dll copies every code page; absolute64.dll copies none', () => {
    for (const [name, everyCodePage] of [
      ['absolute32.dll', true],
      ['absolute64.dll', false],
    ] as const) {
      const pe = parsePe(fixture(name));
      const fixups = new Set(fixupPages(pe));
      const text = pe.sections.find((s) => s.name === '.text')!;
      const codePages: number[] = [];
      for (let va = text.virtualAddress; va < text.virtualAddress + text.virtualSize; va += FRAME_SIZE) codePages.push(va / FRAME_SIZE);
      const copied = codePages.filter((p) => fixups.has(p)).length;
      expect(copied === codePages.length, name).toBe(everyCodePage);
      if (!everyCodePage) expect(copied).toBe(0);
    }
  });
});

describe('B97: the ASLR policy relocates once and shares the relocated pages', () => {
  it('three processes share every page of a DLL relocated by the kernel; a busy range relocates privately', () => {
    const { kernel, process: p1 } = boot({ cpus: 3, relocationPolicy: 'aslr' });
    const dll = fixture('absolute32.dll');
    const pe = parsePe(dll);
    const p2 = kernel.createProcess();
    const p3 = kernel.createProcess();
    const a = p1.loadImage(dll);
    const b = p2.loadImage(dll);
    expect(a.base).toBe(b.base);
    expect(a.base).not.toBe(pe.imageBase);
    expect(a.status).toBe(STATUS_SUCCESS);
    // The kernel relocated it, so the header's ImageBase says where it is (B92).
    expect(mappedBytes(p1, a.base, pe.mappedSize)).toEqual(relocateImage(pe, a.base, true));
    p3.virtualAlloc(a.base, FRAME_SIZE, MEM_RESERVE, PAGE_READWRITE);
    const c = p3.loadImage(dll);
    expect(c.base).not.toBe(a.base);
    expect(mappedBytes(p3, c.base, pe.mappedSize)).toEqual(relocateImage(pe, c.base, true));
    const pages = pe.mappedSize / FRAME_SIZE;
    [p1, p2, p3].forEach((p, i) => {
      const mmu = kernel.run(i, p).mmu;
      const base = [a.base, b.base, c.base][i];
      for (let page = 0; page < pages; page++) mmu.read8(base + page * FRAME_SIZE);
    });
    expect(imageReport(p1, a.base).relocationCopies).toBe(0);
    expect(imageReport(p2, b.base).sharedPages).toBe(pages);
    // The private relocation wrote every fixup page and the header (page 0, which holds no fixup).
    expect(fixupPages(pe)).not.toContain(0);
    expect(imageReport(p3, c.base).relocationCopies).toBe(fixupPages(pe).length + 1);
  });
});

describe('The seed demo', () => {
  it('pre-ASLR: two processes share everything, the writer copies one page, the relocated third pays for every fixup page', () => {
    const dll = defaultDll();
    const fixups = fixupPages(parsePe(dll)).length;
    const run = runSeed(dll, 'private');
    const [p1, p2, p3] = run.rows;
    const pages = p1.image.pages;
    expect(p2.image.sharedPages).toBe(pages);
    expect(p1.image.writeCopies).toBe(1);
    expect(p1.image.sharedPages).toBe(pages - 1);
    // The one written page, by address: the same page in the private and write-copy sets, and in no shared set.
    const written = p1.image.pageAddresses.writeCopies;
    expect(written).toHaveLength(1);
    expect(p1.image.pageAddresses.private).toEqual(written);
    expect(p1.image.pageAddresses.shared).not.toContain(written[0]);
    expect(written[0] % FRAME_SIZE).toBe(0);
    expect(run.isolation.seenByOther).not.toBe(run.isolation.written);
    expect(p3.image.relocationCopies).toBe(fixups);
    expect(p3.image.sharedPages).toBe(pages - fixups);
  });

  it('ASLR: all three share the relocated pages', () => {
    const run = runSeed(defaultDll(), 'aslr');
    const [, p2, p3] = run.rows;
    expect(p3.image.sharedPages).toBe(p3.image.pages);
    expect(p3.image.relocationCopies).toBe(0);
    expect(p2.image.base).toBe(p3.image.base);
  });
});

describe('an image argument that is not the bytes of a PE file', () => {
  it('says a Uint8Array or a section was expected, what was given, and how to read a file', () => {
    const p = new Kernel().createProcess();
    const w = windowsError(() => p.loadImage('./a.dll' as never));
    expect(w.ntStatus).toBe(STATUS_INVALID_PARAMETER);
    expect(w.win32Error).toBe(ERROR_INVALID_PARAMETER);
    expect(w.message).toContain("expected a Uint8Array (the PE file's bytes) or an image section");
    expect(w.message).toContain('got the string "./a.dll"');
    expect(w.message).toContain('fs.readFileSync');
    expect(() => p.loadImage(new ArrayBuffer(8) as never)).toThrow('got an ArrayBuffer: wrap it, new Uint8Array(buffer)');
    expect(() => p.kernel.createImageSection([0x4d, 0x5a] as never)).toThrow('got an array of 2 element(s)');
  });
});
