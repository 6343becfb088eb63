// Bad arguments at every public entry point of the image loader (src/os/image): parsing,
// layout, relocation, loading, reports and the PE directories (exports, imports, TLS). Contract:
// ImageFormatError for a malformed image (B89; the fuzzing is pe-fuzz.test.ts) or a table outside
// it, InvalidArgumentError for a layout, relocation or directory call with something that is not a
// parsed image (or not a reader, an index, a name), WindowsError for the loader's Windows calls
// (LoadLibrary / NtMapViewOfSection errors of §3.9, B76, B93), and the kernel unchanged. The
// loader's calls on a process (LoadLibrary, GetProcAddress, …) are in bad-arguments-kernel.test.ts.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ERROR_BAD_EXE_FORMAT,
  ERROR_INVALID_ADDRESS,
  ERROR_INVALID_HANDLE,
  ERROR_INVALID_PARAMETER,
  ERROR_MAPPED_ALIGNMENT,
  ERROR_NOACCESS,
  ExportTable,
  ImageFormatError,
  Kernel,
  MEM_COMMIT,
  MEM_RESERVE,
  PAGE_READWRITE,
  STATUS_ACCESS_VIOLATION,
  STATUS_CONFLICTING_ADDRESSES,
  STATUS_INVALID_HANDLE,
  STATUS_INVALID_IMAGE_FORMAT,
  STATUS_INVALID_PARAMETER,
  STATUS_MAPPED_ALIGNMENT,
  STATUS_NOT_MAPPED_VIEW,
  WindowsError,
  aslrEligible,
  fileReader,
  fixupPages,
  frameMappingCounts,
  imagePageCount,
  imageReport,
  originalImage,
  originalPage,
  pageProtections,
  parseForwarder,
  parsePe,
  peExports,
  peImports,
  peTlsDirectory,
  readImports,
  readTlsDirectory,
  relocateImage,
  relocatedPage,
  sectionProtection,
  sharedPages,
  verify,
  type ImageReader,
  type PeForwarder,
  type PeImage,
  type Process,
} from '../../src/index.js';
import { HUGE, INVALID_ARGUMENT, NEGATIVES, NON_INTEGERS, NOT_OBJECTS, WRONG_TYPES, bad, counter, coverageTest, returns, row, runTable, throws, unknownKey, win32, type Row } from './harness.js';
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

// ------------------------------------------------------------------ the PE directories

/** exporter32.dll (export Base 5, 9 EAT entries, 7 names, an empty slot at ordinal 12) and importer32.dll (imports, TLS). */
const EXPORTER = parsePe(fixture('exporter32.dll'));
const IMPORTER = parsePe(fixture('importer32.dll'));
const EXPORTS = EXPORTER.dataDirectories;
/** Things that are not ImageReaders (an object with a `bytes` method). */
const NOT_READERS = [...NOT_OBJECTS, undefined, {}, { bytes: 5 }, FEW];
/** A reader whose every read fails, as a module's unreadable page does for the loader's reader: its error is the caller's. */
const FAILING_READER: ImageReader = {
  bytes: () => {
    throw new WindowsError(STATUS_ACCESS_VIOLATION, 'not readable', ERROR_NOACCESS);
  },
};
/** The file offset of `rva` (inside a section of `pe`). */
function fileOffset(pe: PeImage, rva: number): number {
  const s = pe.sections.find((x) => rva >= x.virtualAddress && rva < x.virtualAddress + x.sizeOfRawData)!;
  return rva - s.virtualAddress + s.pointerToRawData;
}
/** The file offset of data directory `index` of a PE32 image (the DataDirectory array starts 68 bytes past ImageBase). */
const directoryEntry = (pe: PeImage, index: number) => pe.imageBaseOffset + 68 + 8 * index;
/** The fixture `name` with the DWORD at file offset `at(pe)` set to `value`, parsed again (parsePe does not read the directories). */
function patched(name: string, at: (pe: PeImage) => number, value: number): PeImage {
  const bytes = fixture(name);
  new DataView(bytes.buffer).setUint32(at(parsePe(bytes)), value, true);
  return parsePe(bytes);
}
const OUTSIDE = 0x7fff_0000;
/** exporter32.dll whose export directory, Name, EAT or name table is outside the image, or with more than 65536 exports. */
const EXPORTS_OUTSIDE = [
  patched('exporter32.dll', (pe) => directoryEntry(pe, 0), OUTSIDE),
  ...[12, 28, 32].map((field) => patched('exporter32.dll', (pe) => fileOffset(pe, pe.dataDirectories[0].virtualAddress + field), OUTSIDE)),
  patched('exporter32.dll', (pe) => fileOffset(pe, pe.dataDirectories[0].virtualAddress + 20), 0x2_0000),
];
/** importer32.dll whose import directory, first DLL name or first hint/name entry is outside the image. */
const IMPORTS_OUTSIDE = [
  patched('importer32.dll', (pe) => directoryEntry(pe, 1), OUTSIDE),
  patched('importer32.dll', (pe) => fileOffset(pe, pe.dataDirectories[1].virtualAddress + 12), OUTSIDE),
  patched('importer32.dll', (pe) => fileOffset(pe, peImports(pe)[0].lookupTable), OUTSIDE),
];
/** importer32.dll whose TLS directory or callback array is outside the image. */
const TLS_OUTSIDE = [
  patched('importer32.dll', (pe) => directoryEntry(pe, 9), OUTSIDE),
  patched('importer32.dll', (pe) => fileOffset(pe, pe.dataDirectories[9].virtualAddress + 12), OUTSIDE),
];
/** exporter32.dll's export table, read from the file. */
const readExports = () => ExportTable.read(fileReader(EXPORTER), EXPORTS)!;
const EXPORTER_TABLE = readExports();
const EXPORT_TABLE = { setup: readExports, state: () => ({}) };
/** Index arguments that are no index at all. */
const NOT_INDEXES = [...NON_INTEGERS, ...WRONG_TYPES, undefined];
/** What parseForwarder gives for any string: a frozen forwarder of that text, a name or an ordinal. */
const isForwarder = (r: unknown, text: unknown) => {
  const f = r as PeForwarder;
  return Object.isFrozen(f) && f.text === text && typeof f.module === 'string' && (f.name === null ? Number.isInteger(f.ordinal) && f.ordinal! >= 0 : typeof f.name === 'string' && f.ordinal === null);
};

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

  // ------------------------------------------------------------------ PE directories
  row('fileReader', NONE, [
    bad('pe not a PeImage from parsePe', NOT_IMAGES, (_, v) => fileReader(v as PeImage), INVALID_ARGUMENT),
    bad('a read at an RVA outside the image, or no RVA', [-1, 0.5, NaN, EXPORTER.mappedSize - 2, EXPORTER.mappedSize, 2 ** 32, ...HUGE, '0', null, undefined, {}], (_, v) => fileReader(EXPORTER).bytes(v as number, 4, 'test'), IMAGE_FORMAT),
    bad('a read of a length past the image, or no length', [-1, 0.5, NaN, EXPORTER.mappedSize + 1, ...HUGE, '4', null, undefined, {}], (_, v) => fileReader(EXPORTER).bytes(0, v as number, 'test'), IMAGE_FORMAT),
  ]),
  row('parseForwarder', NONE, [
    bad('text not a string', [...NOT_OBJECTS.filter((v) => typeof v !== 'string'), undefined, {}, ['target32', 'f'], { toString: () => 'target32.f' }], (_, v) => parseForwarder(v as string), INVALID_ARGUMENT),
    bad('any string: a forwarder, never a throw', fc.oneof(fc.constantFrom('', '.', 'a.', '.b', 'a.#', 'a.#x', 'a.#-1', 'a.#1.5', 'a.#99999999999999999999', 'x'.repeat(5000)), fc.string({ maxLength: 24 })), (_, v) => parseForwarder(v as string), returns('a frozen PeForwarder of the text', isForwarder)),
  ]),
  ...([
    ['peExports', peExports, EXPORTS_OUTSIDE],
    ['peImports', peImports, IMPORTS_OUTSIDE],
    ['peTlsDirectory', peTlsDirectory, TLS_OUTSIDE],
  ] as const).map(([name, read, broken]) =>
    row(name, NONE, [
      bad('pe not a PeImage from parsePe', NOT_IMAGES, (_, v) => read(v as PeImage), INVALID_ARGUMENT),
      bad('a directory or table outside the image', broken, (_, v) => read(v as PeImage), IMAGE_FORMAT),
    ]),
  ),
  row('readImports', NONE, [
    bad('reader not an ImageReader', NOT_READERS, (_, v) => readImports(v as ImageReader, IMPORTER), INVALID_ARGUMENT),
    bad('pe not a PeImage from parsePe', NOT_IMAGES, (_, v) => readImports(fileReader(IMPORTER), v as PeImage), INVALID_ARGUMENT),
    bad('a directory or table outside the image', IMPORTS_OUTSIDE, (_, v) => readImports(fileReader(v as PeImage), v as PeImage), IMAGE_FORMAT),
    bad("the reader's error is the caller's", [0], () => readImports(FAILING_READER, IMPORTER), throws(WindowsError)),
  ]),
  row('readTlsDirectory', NONE, [
    bad('reader not an ImageReader', NOT_READERS, (_, v) => readTlsDirectory(v as ImageReader, IMPORTER, IMPORTER.imageBase), INVALID_ARGUMENT),
    bad('pe not a PeImage from parsePe', NOT_IMAGES, (_, v) => readTlsDirectory(fileReader(IMPORTER), v as PeImage, IMPORTER.imageBase), INVALID_ARGUMENT),
    bad('base not an address', [...NON_INTEGERS, ...NEGATIVES, ...HUGE, ...WRONG_TYPES, undefined], (_, v) => readTlsDirectory(fileReader(IMPORTER), IMPORTER, v as number), INVALID_ARGUMENT),
    bad('a base that puts the callback array outside the image', [0, IMPORTER.imageBase + 0x10_0000, IMPORTER.imageBase - 0x10_0000], (_, v) => readTlsDirectory(fileReader(IMPORTER), IMPORTER, v as number), IMAGE_FORMAT),
    bad('a directory or table outside the image', TLS_OUTSIDE, (_, v) => readTlsDirectory(fileReader(v as PeImage), v as PeImage, IMPORTER.imageBase), IMAGE_FORMAT),
    bad("the reader's error is the caller's", [0], () => readTlsDirectory(FAILING_READER, IMPORTER, IMPORTER.imageBase), throws(WindowsError)),
  ]),
  row('static ExportTable.read', NONE, [
    bad('reader not an ImageReader', NOT_READERS, (_, v) => ExportTable.read(v as ImageReader, EXPORTS), INVALID_ARGUMENT),
    bad('dataDirectories not an array of data directories', [...NOT_OBJECTS, undefined, {}, 'dirs', [null], [5], ['x'], [{ virtualAddress: '0x3000', size: 40 }], [{ virtualAddress: 0x3000 }], [{ virtualAddress: 0x3000, size: null }]], (_, v) => ExportTable.read(fileReader(EXPORTER), v as never), INVALID_ARGUMENT),
    bad('no export directory: null', [[], [{ virtualAddress: 0, size: 0 }], [{ virtualAddress: 0x3000, size: 0 }], parsePe(NORELOCS).dataDirectories], (_, v) => ExportTable.read(fileReader(EXPORTER), v as never), returns('null', (r) => r === null)),
    bad('a directory outside the image', [-8, 0.5, EXPORTER.mappedSize - 20, EXPORTER.mappedSize, 2 ** 32], (_, v) => ExportTable.read(fileReader(EXPORTER), [{ virtualAddress: v as number, size: 40 }]), IMAGE_FORMAT),
    bad("the reader's error is the caller's", [0], () => ExportTable.read(FAILING_READER, EXPORTS), throws(WindowsError)),
    bad(
      'a reader that gives fewer bytes than asked (a malformed read; empty arrays for the Name used to loop forever)',
      [() => new Uint8Array(0), (rva: number, length: number, what: string) => (what === 'IMAGE_EXPORT_DIRECTORY.Name' ? new Uint8Array(0) : fileReader(EXPORTER).bytes(rva, length, what)), (rva: number, length: number, what: string) => fileReader(EXPORTER).bytes(rva, length - 1, what)],
      (_, v) => ExportTable.read({ bytes: v as ImageReader['bytes'] }, EXPORTS),
      IMAGE_FORMAT,
    ),
  ]),
  ...(['nameAt', 'nameOrdinalAt', 'functionAt'] as const).map((op) => {
    const count = op === 'functionAt' ? EXPORTER_TABLE.directory.numberOfFunctions : EXPORTER_TABLE.directory.numberOfNames;
    return row(`ExportTable.${op}`, EXPORT_TABLE, [
      bad(`index not an entry of the ${op === 'functionAt' ? 'EAT' : 'name table'} (${count} entries)`, [...NOT_INDEXES, -1, -2, count, 100, 2 ** 31, ...HUGE], (t: ExportTable, v) => t[op](v as number), INVALID_ARGUMENT),
    ]);
  }),
  row('ExportTable.indexOfName', EXPORT_TABLE, [
    bad('name not a string', [...NOT_OBJECTS.filter((v) => typeof v !== 'string'), undefined, {}, ['alpha'], { toString: () => 'alpha' }], (t: ExportTable, v) => t.indexOfName(v as string), INVALID_ARGUMENT),
    bad('a name not exported (case differs, a prefix, longer, NONAME, empty): -1', ['', 'ALPHA', 'alph', 'alphaa', 'secret', '\0', 'é'], (t: ExportTable, v) => t.indexOfName(v as string), returns('-1', (r) => r === -1)),
    bad('hint not an entry that holds the name: the binary search answers', [...NOT_INDEXES, -2, 0, 6, 7, 2 ** 31, ...HUGE], (t: ExportTable, v) => [t.indexOfName('counter', v as number), t.indexOfName('counter')], returns('the index found without a hint', (r) => (r as number[])[0] === (r as number[])[1] && (r as number[])[0] >= 0)),
  ]),
  row('ExportTable.indexOfOrdinal', EXPORT_TABLE, [
    bad('ordinal not an ordinal (an integer 0–65535)', [...NOT_INDEXES, -1, 65536, 2 ** 32 + 5, ...HUGE], (t: ExportTable, v) => t.indexOfOrdinal(v as number), INVALID_ARGUMENT),
    bad('an ordinal below Base or past the EAT: (ordinal − Base) as 16 bits', [0, 4, 14, 65535], (t: ExportTable, v) => t.indexOfOrdinal(v as number), returns('(ordinal − 5) & 0xffff', (r, v) => r === (((v as number) - 5) & 0xffff))),
  ]),
  row('ExportTable.target', EXPORT_TABLE, [
    bad('index not an integer', NOT_INDEXES, (t: ExportTable, v) => t.target(v as number), INVALID_ARGUMENT),
    bad("an index past the EAT (a failed lookup's -1 included), or an empty slot (ordinal 12): null", [-1, -2, 7, 9, 100, 2 ** 31, 2 ** 53], (t: ExportTable, v) => t.target(v as number), returns('null', (r) => r === null)),
  ]),
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
