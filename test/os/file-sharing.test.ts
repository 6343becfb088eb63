import { describe, expect, it } from 'vitest';
import {
  ERROR_INVALID_ADDRESS,
  ERROR_INVALID_HANDLE,
  ERROR_INVALID_PARAMETER,
  FILE_MAP_COPY,
  FILE_MAP_READ,
  FILE_MAP_WRITE,
  MEM_COMMIT,
  MEM_RESERVE,
  PAGE_READONLY,
  PAGE_READWRITE,
  PAGE_WRITECOPY,
  STATUS_INVALID_HANDLE,
  STATUS_INVALID_PARAMETER,
  STATUS_NOT_MAPPED_VIEW,
  verify,
} from '../../src/index.js';
import { boot, expectWin32, forgetKernel } from './helpers.js';

const pg = 0x1000;

/** A file of `pages` pages, page i filled with i + 1. */
function fileOf(pages: number, extra = 0): Uint8Array {
  const file = new Uint8Array(pages * pg + extra);
  for (let i = 0; i < file.length; i++) file[i] = Math.floor(i / pg) + 1;
  return file;
}

describe('sections over one file share its pages (the file cache)', () => {
  it('B73: a write through a view of one section is seen at once through a view of another, both ways', () => {
    const { kernel, process, mmu } = boot();
    const file = fileOf(2);
    const a = kernel.createSection({ protect: PAGE_READWRITE, file });
    const b = kernel.createSection({ protect: PAGE_READWRITE, file });
    const other = kernel.createProcess();
    const va = process.mapViewOfSection(a, { access: FILE_MAP_WRITE });
    const vb = other.mapViewOfSection(b, { access: FILE_MAP_WRITE });
    mmu.write32(va + 8, 0x1a2b3c4d);
    expect(new DataView(other.readMemory(vb + 8, 4).buffer).getUint32(0, true)).toBe(0x1a2b3c4d);
    other.writeMemory(vb + pg + 1, new Uint8Array([0x77]));
    expect(mmu.read8(va + pg + 1)).toBe(0x77);
    // One frame per file page, whichever section read it in: the second section read nothing in.
    expect(a.frames[0]).toBe(b.frames[0]);
    expect(a.frames[1]).toBe(b.frames[1]);
    expect(kernel.stats.sectionFaults).toBe(2);
    expect(Array.from(b.readBytes(kernel.memory, 8, 4))).toEqual([0x4d, 0x3c, 0x2b, 0x1a]);
    expect(file[8]).toBe(1); // not flushed yet
    expect(verify(kernel)).toEqual([]);
  });

  it('a section created after a page was read in shares it, and a read-only section sees writes', () => {
    const { kernel, process, mmu } = boot();
    const file = fileOf(1);
    const a = kernel.createSection({ protect: PAGE_READWRITE, file });
    const va = process.mapViewOfSection(a, { access: FILE_MAP_WRITE });
    mmu.write8(va, 0x55);
    const late = kernel.createSection({ protect: PAGE_READONLY, file });
    expect(late.frames[0]).toBe(a.frames[0]);
    const vl = process.mapViewOfSection(late, { access: FILE_MAP_READ });
    expect(mmu.read8(vl)).toBe(0x55);
    expect(kernel.stats.sectionFaults).toBe(1);
  });

  it('B74/B75: copy-on-write views of one section get private copies and never change the shared pages', () => {
    const { kernel, process, mmu } = boot();
    const file = fileOf(1);
    const shared = kernel.createSection({ protect: PAGE_READWRITE, file });
    const cow = kernel.createSection({ protect: PAGE_WRITECOPY, file });
    const vs = process.mapViewOfSection(shared, { access: FILE_MAP_WRITE });
    const vc = process.mapViewOfSection(cow, { access: FILE_MAP_COPY });
    mmu.write8(vc, 0xee);
    expect(mmu.read8(vs)).toBe(1);
    expect(mmu.read8(vc)).toBe(0xee);
    // The shared view's write reaches the copy-on-write view's pages it has not copied, never its copy.
    mmu.write8(vs, 0x42);
    expect(mmu.read8(vc)).toBe(0xee);
    expect(process.flushViewOfFile(vc)).toBe(1); // the file's page, dirtied by the shared view
    expect(file[0]).toBe(0x42);
    expect(process.flushViewOfFile(vs)).toBe(0);
    process.unmapViewOfSection(vs);
    kernel.closeSection(shared);
    process.unmapViewOfSection(vc);
    kernel.closeSection(cow);
    expect(file[0]).toBe(0x42); // the private 0xee never reached the file (B75)
  });

  it('verify() reports two sections over one file that hold different frames', () => {
    const { kernel, process, mmu } = boot();
    forgetKernel(kernel);
    const file = fileOf(1);
    const a = kernel.createSection({ protect: PAGE_READWRITE, file });
    const b = kernel.createSection({ protect: PAGE_READWRITE, file });
    mmu.read8(process.mapViewOfSection(a, { access: FILE_MAP_READ }));
    b.frames[0] = -1;
    expect(verify(kernel).some((p) => p.kind === 'record' && p.message.includes('over one file'))).toBe(true);
  });

  it('a data section over an image-section array is unaffected by the cache, and anonymous sections share nothing', () => {
    const { kernel } = boot();
    const one = kernel.createSection({ protect: PAGE_READWRITE, size: pg });
    const two = kernel.createSection({ protect: PAGE_READWRITE, size: pg });
    expect(one.cache).toBeNull();
    expect(two.cache).toBeNull();
    expect(kernel.fileCaches()).toEqual([]);
  });
});

describe('FlushViewOfFile and write-back', () => {
  it('flush writes the dirty pages of the range to the array, only those, and reports how many', () => {
    const { kernel, process, mmu } = boot();
    const file = fileOf(3);
    const section = kernel.createSection({ protect: PAGE_READWRITE, file });
    const v = process.mapViewOfSection(section, { access: FILE_MAP_WRITE });
    mmu.write8(v + 5, 0xa1);
    mmu.write8(v + 2 * pg + 5, 0xa3);
    expect(mmu.read8(v + pg)).toBe(2); // resident, clean
    expect(process.flushViewOfFile(v + pg, 1)).toBe(0);
    expect(process.flushViewOfFile(v + 10, 1)).toBe(1); // the first page only
    expect(file[5]).toBe(0xa1);
    expect(file[2 * pg + 5]).toBe(3);
    expect(process.flushViewOfFile(v + 2 * pg + 100, 0)).toBe(1); // size 0: to the view's end
    expect(file[2 * pg + 5]).toBe(0xa3);
    expect(process.flushViewOfFile(v)).toBe(0); // nothing dirty any more
    expectWin32(() => process.flushViewOfFile(v + pg, 0x100000), ERROR_INVALID_ADDRESS, STATUS_NOT_MAPPED_VIEW); // a range past the view's end (WRK MmFlushVirtualMemory)
  });

  it('a write-back through another section over the file: flush of either view writes the shared page', () => {
    const { kernel, process, mmu } = boot();
    const file = fileOf(1);
    const a = kernel.createSection({ protect: PAGE_READWRITE, file });
    const b = kernel.createSection({ protect: PAGE_READONLY, file });
    const va = process.mapViewOfSection(a, { access: FILE_MAP_WRITE });
    const vb = process.mapViewOfSection(b, { access: FILE_MAP_READ });
    mmu.write8(va + 1, 0x99);
    expect(process.flushViewOfFile(vb)).toBe(1);
    expect(file[1]).toBe(0x99);
  });

  it('the last section over the file going away writes its dirty pages back, and frees every frame', () => {
    const { kernel, process, mmu } = boot();
    const file = fileOf(2);
    const a = kernel.createSection({ protect: PAGE_READWRITE, file });
    const b = kernel.createSection({ protect: PAGE_READWRITE, file });
    const va = process.mapViewOfSection(a, { access: FILE_MAP_WRITE });
    const vb = kernel.createProcess().mapViewOfSection(b, { access: FILE_MAP_WRITE });
    mmu.write8(va, 0x10);
    mmu.write8(va + pg, 0x20);
    expect(vb).toBeGreaterThan(0);
    process.unmapViewOfSection(va);
    kernel.closeSection(a);
    expect(file[0]).toBe(1); // b still spans the pages: they stay in the cache, unwritten
    expect(kernel.fileCaches().length).toBe(1);
    kernel.closeSection(b); // b's view keeps it alive (B72)
    expect(file[0]).toBe(1);
    for (const p of kernel.processes()) if (p !== process) p.exit();
    expect(file[0]).toBe(0x10);
    expect(file[pg]).toBe(0x20);
    expect(kernel.fileCaches()).toEqual([]);
    expect(kernel.sections()).toEqual([]);
    process.exit();
    expect(verify(kernel)).toEqual([]);
  });

  it('closing everything returns kernel.usedFrames to where it started', () => {
    const { kernel } = boot();
    const start = kernel.usedFrames;
    const process = kernel.createProcess();
    const mmu = kernel.run(0, process).mmu;
    const file = fileOf(4);
    const sections = [0, 1, 2].map(() => kernel.createSection({ protect: PAGE_READWRITE, file }));
    const views = sections.map((s) => process.mapViewOfSection(s, { access: FILE_MAP_WRITE }));
    for (let i = 0; i < 4; i++) mmu.write8(views[i % 3] + i * pg, 0xc0 + i);
    const copy = process.mapViewOfSection(sections[0], { access: FILE_MAP_COPY });
    mmu.write8(copy + pg, 0xff);
    expect(kernel.usedFrames).toBeGreaterThan(start);
    for (const v of [...views, copy]) process.unmapViewOfSection(v);
    for (const s of sections) kernel.closeSection(s);
    expect(Array.from(file.filter((_, i) => i % pg === 0))).toEqual([0xc0, 0xc1, 0xc2, 0xc3]);
    process.exit(); // its page tables
    expect(kernel.usedFrames).toBe(start);
  });

  it('B62: a section larger than its file shares the file pages; bytes past the array end are never written', () => {
    const { kernel, process, mmu } = boot();
    const file = fileOf(1, 0x10); // 0x1010 bytes: two pages, the second mostly past the end
    const small = kernel.createSection({ protect: PAGE_READWRITE, file });
    const grown = kernel.createSection({ protect: PAGE_READWRITE, file, size: 3 * pg });
    const vs = process.mapViewOfSection(small, { access: FILE_MAP_WRITE });
    const vg = process.mapViewOfSection(grown, { access: FILE_MAP_WRITE });
    mmu.write8(vg + pg + 4, 0x44); // inside the array
    mmu.write8(vg + pg + 0x20, 0x55); // past the array's end, inside both sections' second page
    mmu.write8(vg + 2 * pg, 0x66); // a page only the grown section spans
    expect(mmu.read8(vs + pg + 0x20)).toBe(0x55); // one frame: the small view's tail shows it
    expect(small.frames[2]).toBeUndefined();
    expect(process.flushViewOfFile(vg)).toBe(1);
    expect(file.length).toBe(0x1010);
    expect(file[pg + 4]).toBe(0x44);
    // The grown section goes first: its third page leaves the cache (nothing of it is in the file).
    process.unmapViewOfSection(vg);
    kernel.closeSection(grown);
    expect(mmu.read8(vs + pg + 0x20)).toBe(0x55);
    process.unmapViewOfSection(vs);
    kernel.closeSection(small);
    expect(file.length).toBe(0x1010);
  });

  it('a dirty page only the leaving section spans is written back when it leaves the cache', () => {
    const { kernel, process, mmu } = boot();
    const file = fileOf(2);
    const wide = kernel.createSection({ protect: PAGE_READWRITE, file });
    const narrow = kernel.createSection({ protect: PAGE_READWRITE, file, size: pg });
    const v = process.mapViewOfSection(wide, { access: FILE_MAP_WRITE });
    mmu.write8(v, 0x31);
    mmu.write8(v + pg, 0x32);
    process.unmapViewOfSection(v);
    kernel.closeSection(wide);
    expect(file[pg]).toBe(0x32); // only the wide section spanned the second page
    expect(file[0]).toBe(1); // still cached by the narrow one
    const vn = process.mapViewOfSection(narrow, { access: FILE_MAP_READ });
    expect(mmu.read8(vn)).toBe(0x31);
    kernel.closeSection(narrow);
    process.unmapViewOfSection(vn);
    expect(file[0]).toBe(0x31);
  });

  it('anonymous and image views have nothing to write', () => {
    const { kernel, process, mmu } = boot();
    const anonymous = kernel.createSection({ protect: PAGE_READWRITE, size: pg });
    const v = process.mapViewOfSection(anonymous, { access: FILE_MAP_WRITE });
    mmu.write8(v, 1);
    expect(process.flushViewOfFile(v)).toBe(0);
  });

  it('errors: not in an allocation, private memory, exited process, bad arguments', () => {
    const { kernel, process } = boot();
    const privateBase = process.virtualAlloc(0, pg, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    expectWin32(() => process.flushViewOfFile(0x7000_0000), ERROR_INVALID_ADDRESS, STATUS_NOT_MAPPED_VIEW);
    expectWin32(() => process.flushViewOfFile(privateBase), ERROR_INVALID_ADDRESS, STATUS_NOT_MAPPED_VIEW);
    expectWin32(() => process.flushViewOfFile(-1), ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER);
    expectWin32(() => process.flushViewOfFile(privateBase, 1.5), ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER);
    const dead = kernel.createProcess();
    dead.exit();
    expectWin32(() => dead.flushViewOfFile(privateBase), ERROR_INVALID_HANDLE, STATUS_INVALID_HANDLE);
  });
});
