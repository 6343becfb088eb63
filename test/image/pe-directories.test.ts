// The export, import and TLS directories of the loader fixtures (fixtures/pe), read by
// src/os/image/pe-directories.ts and compared with what pefile read (expected.json's `loader`
// section, written by crosscheck.py), and the loader's lookups: hint first, then binary search,
// ordinal − Base, empty EAT slots, forwarders.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ImageFormatError, STATUS_INVALID_IMAGE_FORMAT, parsePe, type PeImage } from '../../src/index.js';
import { ExportTable, fileReader, parseForwarder, peExports, peImports, peTlsDirectory } from '../../src/os/image/pe-directories.js';

const dir = new URL('../../fixtures/pe/', import.meta.url);
const load = (name: string) => new Uint8Array(readFileSync(new URL(name, dir)));

interface ExpectedLoader {
  exports: {
    name: string;
    base: number;
    numberOfFunctions: number;
    numberOfNames: number;
    directory: { virtualAddress: number; size: number };
    entries: { ordinal: number; name: string | null; rva: number; forwarder: string | null }[];
    names: string[];
  } | null;
  imports: { dll: string; originalFirstThunk: number; firstThunk: number; thunks: { iatRva: number; byOrdinal: boolean; ordinal: number | null; name: string | null; hint: number | null }[] }[];
  tls: {
    startAddressOfRawData: number;
    endAddressOfRawData: number;
    addressOfIndex: number;
    addressOfCallBacks: number;
    sizeOfZeroFill: number;
    characteristics: number;
    callbacks: number[];
    rawData: string;
    indexInFile: number;
  } | null;
}

const expected = (JSON.parse(readFileSync(new URL('expected.json', dir), 'utf8')) as { loader: Record<string, ExpectedLoader> }).loader;

/** The file offset of an RVA inside a section's file data. */
function fileOffset(pe: PeImage, rva: number): number {
  const s = pe.sections.find((x) => rva >= x.virtualAddress && rva < x.virtualAddress + x.sizeOfRawData)!;
  return rva - s.virtualAddress + s.pointerToRawData;
}

describe.each(Object.keys(expected))('%s', (name) => {
  const want = expected[name];
  const pe = parsePe(load(name));

  it('reads the export directory as pefile does', () => {
    const got = peExports(pe);
    if (want.exports === null) {
      expect(got).toBeNull();
      return;
    }
    expect(got).not.toBeNull();
    const e = got!;
    expect({
      name: e.directory.name,
      base: e.directory.base,
      numberOfFunctions: e.directory.numberOfFunctions,
      numberOfNames: e.directory.numberOfNames,
      directory: e.directory.directory,
    }).toEqual({ name: want.exports.name, base: want.exports.base, numberOfFunctions: want.exports.numberOfFunctions, numberOfNames: want.exports.numberOfNames, directory: want.exports.directory });
    expect(e.names).toEqual(want.exports.names);
    expect(e.exports.map((x) => ({ ordinal: x.ordinal, name: x.name, rva: x.rva, forwarder: x.forwarder?.text ?? null }))).toEqual(want.exports.entries);
  });

  it('reads the import descriptors and lookup tables as pefile does', () => {
    const got = peImports(pe);
    expect(
      got.map((d) => ({
        dll: d.dllName,
        originalFirstThunk: d.originalFirstThunk,
        firstThunk: d.firstThunk,
        thunks: d.thunks.map((t) => ({ iatRva: t.iatRva, byOrdinal: t.byOrdinal, ordinal: t.ordinal, name: t.name, hint: t.hint })),
      })),
    ).toEqual(want.imports);
    for (const d of got) expect(d.lookupTable).toBe(d.originalFirstThunk);
  });

  it('reads the TLS directory as pefile does', () => {
    const got = peTlsDirectory(pe);
    if (want.tls === null) {
      expect(got).toBeNull();
      return;
    }
    const { rawData, indexInFile, ...fields } = want.tls;
    expect({ ...got }).toEqual(fields);
    const reader = fileReader(pe);
    const data = reader.bytes(got!.startAddressOfRawData - pe.imageBase, got!.endAddressOfRawData - got!.startAddressOfRawData, 'raw data');
    expect(Buffer.from(data).toString('hex')).toBe(rawData);
    expect(new DataView(reader.bytes(got!.addressOfIndex - pe.imageBase, 4, 'index').slice().buffer).getUint32(0, true)).toBe(indexInFile);
  });
});

describe('the fixtures have what the loader tests need', () => {
  it('exporter32.dll: Base 5, an empty slot at ordinal 12, a NONAME export, name and ordinal forwarders', () => {
    const e = peExports(parsePe(load('exporter32.dll')))!;
    expect(e.directory.base).toBe(5);
    expect(e.exports.some((x) => x.ordinal === 12)).toBe(false);
    expect(e.exports.find((x) => x.ordinal === 11)!.name).toBeNull();
    expect(e.exports.find((x) => x.name === 'fwd_name')!.forwarder).toEqual({ text: 'target32.target_func', module: 'target32.dll', name: 'target_func', ordinal: null });
    expect(e.exports.find((x) => x.name === 'fwd_ord')!.forwarder).toEqual({ text: 'target32.#2', module: 'target32.dll', name: null, ordinal: 2 });
  });

  it('importer64.dll: 64-bit lookup entries with the ordinal flag in bit 63', () => {
    const [exporter] = peImports(parsePe(load('importer64.dll')));
    expect(exporter.thunks.filter((t) => t.byOrdinal).map((t) => t.ordinal)).toEqual([10, 11]);
    expect(exporter.thunks[1].iatRva - exporter.thunks[0].iatRva).toBe(8);
  });
});

describe('export lookups (ReactOS LdrpSnapThunk, LdrpNameToOrdinal)', () => {
  const pe = parsePe(load('exporter32.dll'));
  const table = ExportTable.read(fileReader(pe), pe.dataDirectories)!;

  it('finds a name by binary search, with or without a hint', () => {
    expect(table.indexOfName('zeta')).toBe(8 - 5);
    expect(table.indexOfName('zeta', 6)).toBe(3);
    expect(table.indexOfName('zeta', 0)).toBe(3); // the hint names another export: binary search
    expect(table.indexOfName('zeta', 99)).toBe(3); // a hint past the table: binary search
    expect(table.indexOfName('Zeta')).toBe(-1); // strcmp: case matters
    expect(table.target(-1)).toBeNull();
  });

  it('takes ordinal − Base as a 16-bit index; an index past NumberOfFunctions or an empty slot is no export', () => {
    expect(table.indexOfOrdinal(5)).toBe(0);
    expect(table.target(table.indexOfOrdinal(13))).toEqual({ rva: expected['exporter32.dll'].exports!.entries.find((x) => x.ordinal === 13)!.rva, forwarder: null });
    expect(table.indexOfOrdinal(4)).toBe(0xffff);
    expect(table.target(table.indexOfOrdinal(4))).toBeNull();
    expect(table.target(table.indexOfOrdinal(12))).toBeNull(); // EAT slot 0
    expect(table.target(table.indexOfOrdinal(14))).toBeNull();
  });

  it('trusts a matching hint over the sorted order: a name the binary search cannot find is found by its hint', () => {
    // Swap name-table entries 2 (counter) and 5 (last), with their ordinal-table entries: the table
    // is no longer sorted.
    const bytes = load('exporter32.dll');
    const names = fileOffset(pe, table.directory.addressOfNames);
    const ordinals = fileOffset(pe, table.directory.addressOfNameOrdinals);
    const view = new DataView(bytes.buffer);
    const swap = (at: number, size: 2 | 4, i: number, j: number) => {
      const get = (k: number) => (size === 4 ? view.getUint32(at + k * 4, true) : view.getUint16(at + k * 2, true));
      const set = (k: number, v: number) => (size === 4 ? view.setUint32(at + k * 4, v, true) : view.setUint16(at + k * 2, v, true));
      const a = get(i);
      set(i, get(j));
      set(j, a);
    };
    swap(names, 4, 2, 5);
    swap(ordinals, 2, 2, 5);
    const patched = parsePe(bytes);
    const t = ExportTable.read(fileReader(patched), patched.dataDirectories)!;
    expect(t.nameAt(2)).toBe('last');
    expect(t.indexOfName('last', 2)).toBe(13 - 5); // the hint
    expect(t.indexOfName('last')).toBe(-1); // binary search misses it
    expect(t.indexOfName('counter', 2)).toBe(-1); // the hint names `last`; the search misses `counter`
  });

  it('splits forwarders at the last dot, appending .dll to a module without one', () => {
    expect(parseForwarder('NTDLL.RtlAllocateHeap')).toEqual({ text: 'NTDLL.RtlAllocateHeap', module: 'NTDLL.dll', name: 'RtlAllocateHeap', ordinal: null });
    expect(parseForwarder('api.set.Func')).toEqual({ text: 'api.set.Func', module: 'api.set', name: 'Func', ordinal: null });
    expect(parseForwarder('x.#27').ordinal).toBe(27);
    expect(parseForwarder('x.#').name).toBe('#'); // not an ordinal
  });
});

describe('malformed directories', () => {
  it('an export directory pointing outside the image is STATUS_INVALID_IMAGE_FORMAT', () => {
    const bytes = load('exporter32.dll');
    const pe = parsePe(bytes);
    const dirOffset = pe.imageBaseOffset - 28 + 96; // DataDirectory[0] of a PE32 optional header
    new DataView(bytes.buffer).setUint32(dirOffset, pe.mappedSize - 8, true);
    let error: unknown;
    try {
      peExports(parsePe(bytes));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ImageFormatError);
    expect((error as ImageFormatError).ntStatus).toBe(STATUS_INVALID_IMAGE_FORMAT);
  });

  it('an image without the directories has none', () => {
    const pe = parsePe(load('norelocs32.dll'));
    expect(peExports(pe)).toBeNull();
    expect(peTlsDirectory(pe)).toBeNull();
  });
});
