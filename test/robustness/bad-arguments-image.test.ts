// Bad arguments at every public entry point of the image loader (src/os/image): parsing,
// layout, relocation, loading and reports. Contract: ImageFormatError for a malformed image
// (B89; the fuzzing is pe-fuzz.test.ts), InvalidArgumentError for a layout or relocation call
// with something that is not a parsed image, WindowsError for the loader's Windows calls
// (LoadLibrary / NtMapViewOfSection errors of §3.9, B76, B93), and the kernel unchanged.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ERROR_BAD_EXE_FORMAT,
  ERROR_INVALID_ADDRESS,
  ERROR_INVALID_HANDLE,
  ERROR_INVALID_PARAMETER,
  ERROR_MAPPED_ALIGNMENT,
  ImageFormatError,
  Kernel,
  MEM_COMMIT,
  MEM_RESERVE,
  PAGE_READWRITE,
  STATUS_CONFLICTING_ADDRESSES,
  STATUS_INVALID_HANDLE,
  STATUS_INVALID_IMAGE_FORMAT,
  STATUS_INVALID_PARAMETER,
  STATUS_MAPPED_ALIGNMENT,
  STATUS_NOT_MAPPED_VIEW,
  aslrEligible,
  fixupPages,
  frameMappingCounts,
  imagePageCount,
  imageReport,
  originalImage,
  originalPage,
  pageProtections,
  parsePe,
  relocateImage,
  relocatedPage,
  sectionProtection,
  sharedPages,
  verify,
  type PeImage,
  type Process,
} from '../../src/index.js';
import { HUGE, INVALID_ARGUMENT, NEGATIVES, NON_INTEGERS, NOT_OBJECTS, bad, counter, coverageTest, returns, row, runTable, throws, unknownKey, win32, type Row } from './harness.js';
import { snapshot } from './snapshot.js';

const PAGE = 0x1000;
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../../fixtures/pe/${name}`, import.meta.url)));
const FEW = fixture('few32.dll');
const NORELOCS = fixture('norelocs32.dll');
const FEW64 = fixture('absolute64.dll');
const PE = parsePe(FEW);
const PE64 = parsePe(FEW64);
const PAGES = PE.mappedSize / PAGE;
const INVALID_PARAMETER = win32(ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER);
const INVALID_HANDLE = win32(ERROR_INVALID_HANDLE, STATUS_INVALID_HANDLE);
const IMAGE_FORMAT = throws(ImageFormatError, 'IMAGE_FORMAT');
/** Things that are not PeImages: parsePe's result only is (a copy, even a faithful one, is refused). */
const NOT_IMAGES = [...NOT_OBJECTS, undefined, {}, { ...PE }, FEW];

function world() {
  const kernel = new Kernel({ memorySize: 256 * PAGE, cpus: 2 });
  const p = kernel.createProcess();
  kernel.run(0, p);
  const loaded = p.loadImage(FEW); // at 0x10000000, which is norelocs32.dll's base too
  p.virtualAlloc(0x5000_0000, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
  const anonymous = kernel.createSection({ protect: PAGE_READWRITE, size: PAGE });
  const imageSection = kernel.createImageSection(fixture('absolute32.dll'));
  const closedImage = kernel.createImageSection(fixture('flat32.dll'));
  kernel.closeSection(closedImage);
  const dead = kernel.createProcess();
  dead.exit();
  const other = new Kernel({ memorySize: 64 * PAGE });
  const foreignImage = other.createImageSection(fixture('hello32.exe'));
  return { kernel, p, loaded, anonymous, imageSection, closedImage, dead, foreignImage };
}
type W = ReturnType<typeof world>;
const WORLD = { setup: world, state: (w: W) => w.kernel };
const NONE = { setup: () => ({}), state: () => ({}) };

const TABLE: Row<any>[] = [
  row('parsePe', NONE, [
    bad('not a Uint8Array', [...NOT_OBJECTS, undefined, {}, [0x4d, 0x5a], 'MZ', new Uint16Array(64), FEW.buffer], (_, v) => parsePe(v as Uint8Array), IMAGE_FORMAT),
    bad('malformed: empty, truncated, no MZ (B89)', [new Uint8Array(0), FEW.slice(0, 63), FEW.slice(0, 0x80), new Uint8Array(4096)], (_, v) => parsePe(v as Uint8Array), IMAGE_FORMAT),
  ], 'the mutation fuzzing is test/robustness/pe-fuzz.test.ts'),
  row('new ImageFormatError', NONE, [bad('any values: an error constructor never throws', [NaN, -1, null, undefined, {}, '5', 5n], (_, v) => new ImageFormatError(v as number, v as number, v as string, v as string), returns('an ImageFormatError', (r) => r instanceof ImageFormatError))]),
  ...(['imagePageCount', 'pageProtections', 'sharedPages', 'originalImage', 'fixupPages', 'aslrEligible'] as const).map((name) =>
    row(name, NONE, [bad('image not a PeImage from parsePe', NOT_IMAGES, (_, v) => ({ imagePageCount, pageProtections, sharedPages, originalImage, fixupPages, aslrEligible })[name](v as PeImage), INVALID_ARGUMENT)]),
  ),
  row('sectionProtection', NONE, [bad('any characteristics: a DWORD function, never a throw', [NaN, -1, 0.5, 2 ** 64, '0x40000000', null, undefined, {}], (_, v) => sectionProtection(v as number), returns('a PAGE_* value', (r) => typeof r === 'number' && [1, 2, 4, 8, 0x10, 0x20, 0x40, 0x80].includes(r as number)))]),
  row('originalPage', NONE, [
    bad('image not a PeImage from parsePe', NOT_IMAGES, (_, v) => originalPage(v as PeImage, 0), INVALID_ARGUMENT),
    bad('pageIndex not a page of the image', [...NON_INTEGERS, -1, PAGES, ...HUGE, '0', null, undefined], (_, v) => originalPage(PE, v as number), INVALID_ARGUMENT),
  ]),
  ...(['relocatedPage', 'relocateImage'] as const).map((name) => {
    const call = (image: unknown, page: unknown, base: unknown, update: unknown = false) =>
      name === 'relocatedPage' ? relocatedPage(image as PeImage, page as number, base as number, update as boolean) : relocateImage(image as PeImage, base as number, update as boolean);
    return row(name, NONE, [
      bad('image not a PeImage from parsePe', NOT_IMAGES, (_, v) => call(v, 0, 0x2000_0000), INVALID_ARGUMENT),
      ...(name === 'relocatedPage' ? [bad('pageIndex not a page of the image', [...NON_INTEGERS, -1, PAGES, '0', null], (_, v) => call(PE, v, 0x2000_0000), INVALID_ARGUMENT)] : []),
      bad('newBase not an address a PE32 image can load at', [...NON_INTEGERS, ...NEGATIVES, 2 ** 32, ...HUGE, '0x20000000', null, undefined], (_, v) => call(PE, 0, v), INVALID_ARGUMENT),
      bad('newBase not an address a PE32+ image can load at', [NaN, -1, 2 ** 53, 2 ** 64], (_, v) => call(PE64, 0, v), INVALID_ARGUMENT),
      bad('updateHeaderImageBase not a boolean', [1, 'yes', null], (_, v) => call(PE, 0, 0x2000_0000, v), INVALID_ARGUMENT),
    ]);
  }),

  row('Kernel.createImageSection', WORLD, [
    bad('bytes not a Uint8Array', [...NOT_OBJECTS, undefined, {}, [0x4d, 0x5a], new Uint16Array(64)], (w: W, v) => w.kernel.createImageSection(v as Uint8Array), INVALID_PARAMETER),
    bad('malformed bytes (B89): nothing created', [new Uint8Array(0), FEW.slice(0, 200), new Uint8Array(4096)], (w: W, v) => w.kernel.createImageSection(v as Uint8Array), IMAGE_FORMAT),
  ]),
  row('Process.loadImage', WORLD, [
    bad('on an exited process', [0], (w: W) => w.dead.loadImage(FEW), INVALID_HANDLE),
    bad('image neither bytes nor a section (a file name, an ArrayBuffer, an array)', [null, undefined, 5, 'dll', './a.dll', {}, [0x4d, 0x5a], new ArrayBuffer(8), new Uint16Array(4)], (w: W, v) => w.p.loadImage(v as Uint8Array), INVALID_PARAMETER),
    bad('a closed or another kernel\'s image section', ['closed', 'foreign'], (w: W, v) => w.p.loadImage(v === 'closed' ? w.closedImage : w.foreignImage), INVALID_HANDLE),
    bad('a section that is not an image', [0], (w: W) => w.p.loadImage(w.anonymous), win32(ERROR_BAD_EXE_FORMAT, STATUS_INVALID_IMAGE_FORMAT)),
    bad('malformed bytes (B89): no section left behind', [new Uint8Array(0), FEW.slice(0, 300), Uint8Array.from(FEW, (b, i) => (i === 0 ? 0x4e : b))], (w: W, v) => w.p.loadImage(v as Uint8Array), IMAGE_FORMAT),
    bad('options not an object', [null, 5, 'eager'], (w: W, v) => w.p.loadImage(w.imageSection, v as never), INVALID_PARAMETER),
    bad('an unknown option key (a typo): did you mean', [0], (w: W) => w.p.loadImage(w.imageSection, { Eager: true } as never), unknownKey(INVALID_PARAMETER, 'Eager', 'eager')),
    bad('unknown policy', ['ASLR', 'shared', 5], (w: W, v) => w.p.loadImage(w.imageSection, { policy: v as never }), INVALID_PARAMETER),
    bad('eager not a boolean', [1, 'yes', null], (w: W, v) => w.p.loadImage(w.imageSection, { eager: v as boolean }), INVALID_PARAMETER),
    bad('address not an address', [NaN, -0x10000, 0.5, '0x20000000', null, {}, 2 ** 64], (w: W, v) => w.p.loadImage(w.imageSection, { address: v as number }), INVALID_PARAMETER),
    bad('address not 64 KiB aligned (B76)', [0x2000_1000, 0x2000_0000 + 42], (w: W, v) => w.p.loadImage(w.imageSection, { address: v as number }), win32(ERROR_MAPPED_ALIGNMENT, STATUS_MAPPED_ALIGNMENT)),
    bad('address outside the user space a PE32 image can use', [0, 0x8000_0000, 2 ** 40], (w: W, v) => w.p.loadImage(w.imageSection, { address: v as number }), INVALID_PARAMETER),
    bad('address in use', [0], (w: W) => w.p.loadImage(w.imageSection, { address: w.loaded.base }), win32(ERROR_INVALID_ADDRESS, STATUS_CONFLICTING_ADDRESSES)),
    bad('a DLL without relocations whose base is taken (B93), as bytes: no section left behind', [0], (w: W) => w.p.loadImage(NORELOCS), win32(ERROR_INVALID_ADDRESS, STATUS_CONFLICTING_ADDRESSES)),
  ]),
  row('imageReport', WORLD, [
    bad('process exited or not a process', ['dead', null, undefined, {}, 5], (w: W, v) => imageReport((v === 'dead' ? w.dead : v) as Process, w.loaded.base), INVALID_HANDLE),
    bad('base not an address', [NaN, -1, 0.5, '0x10000000', null, {}, 2 ** 64], (w: W, v) => imageReport(w.p, v as number), INVALID_PARAMETER),
    bad('no image mapped at base', [0, 0x7000_0000], (w: W, v) => imageReport(w.p, v as number), win32(ERROR_INVALID_ADDRESS, STATUS_NOT_MAPPED_VIEW)),
    bad('counts not a Map', [null, 5, {}, [[1, 1]]], (w: W, v) => imageReport(w.p, w.loaded.base, v as never), INVALID_ARGUMENT),
  ]),
  row('frameMappingCounts', NONE, [bad('not a Kernel', [...NOT_OBJECTS, undefined, {}], (_, v) => frameMappingCounts(v as Kernel), INVALID_ARGUMENT)]),
];

describe('bad arguments: images (src/os/image)', () => {
  runTable(TABLE);
});

describe('regressions', () => {
  it('a failed load of bytes closes the image section it created; a later load of the same bytes works', () => {
    const w = world();
    const before = snapshot(w.kernel);
    const sections = w.kernel.sections().length;
    expect(() => w.p.loadImage(NORELOCS)).toThrow();
    expect(w.kernel.sections().length).toBe(sections);
    expect(snapshot(w.kernel)).toEqual(before);
    const q = w.kernel.createProcess();
    expect(q.loadImage(NORELOCS).base).toBe(parsePe(NORELOCS).imageBase);
    expect(w.kernel.sections().length).toBe(sections + 1);
    expect(verify(w.kernel)).toEqual([]);
  });

  it('loading a closed image section is refused (it used to map a view of a destroyed section)', () => {
    const w = world();
    expect(() => w.p.loadImage(w.closedImage)).toThrow(expect.objectContaining({ win32Error: ERROR_INVALID_HANDLE }));
    expect(verify(w.kernel)).toEqual([]);
  });

  it('the bytes of a closed image section that a view still maps get a fresh section', () => {
    const w = world();
    const dll = fixture('few32.dll');
    const first = w.p.loadImage(dll);
    w.kernel.closeSection(first.section);
    const q = w.kernel.createProcess();
    const second = q.loadImage(dll);
    expect(second.section).not.toBe(first.section);
    expect(second.section.open).toBe(true);
    expect(verify(w.kernel)).toEqual([]);
  });
});

coverageTest('image', TABLE);

afterAll(() => {
  // eslint-disable-next-line no-console
  console.log(`image bad arguments: ${TABLE.length} rows (entry points), ${counter.rows} tested, ${counter.calls} bad calls, each checked against a full snapshot`);
});
