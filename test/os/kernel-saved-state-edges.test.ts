// Kernel saved states at their edges (found by a review): names that are not well-formed UTF-16, blobs whose checksum
// matches but whose records are not a kernel's, DLL files passed again after a load.
import { describe, expect, it } from 'vitest';
import {
  FILE_MAP_WRITE,
  INVALID_HANDLE_VALUE,
  Kernel,
  PAGE_READWRITE,
  SavedStateError,
  WindowsError,
} from '../../src/index.js';
import { ByteWriter } from '../../src/mmu/byte-codec.js';
import { openSavedState, writeSavedState } from '../../src/mmu/saved-state.js';
import { encodeGraph, StateView } from '../../src/mmu/state-graph.js';
import { kernelCodec } from '../../src/os/kernel/kernel-state-codec.js';
import { loadLibrary } from '../../src/os/objects/modules.js';
import { dllResolver } from './dll-fixtures.js';
import { fingerprint } from './fingerprint.js';
import { boot } from './helpers.js';

const resolver = dllResolver;

/** A kernel's saved state with its records' graph replaced by `roots` (its options and machine kept): a blob "written by another mmukit", checksum and all. */
function withRecords(kernel: Kernel, roots: unknown[]): Uint8Array {
  const input = openSavedState(kernel.saveState(), 'kernel');
  const options = input.string();
  const machine = input.bytesView(input.count()).slice();
  return writeSavedState('kernel', (out: ByteWriter) => {
    out.string(options);
    out.varuint(machine.length);
    out.bytes(machine);
    encodeGraph(out, roots, new StateView([], new Set()), kernelCodec(kernel));
  });
}

function errorOf(action: () => unknown): unknown {
  try {
    action();
  } catch (e) {
    return e;
  }
  return null;
}

describe('kernel saved states: edges', () => {
  it('an object name that is not well-formed UTF-16 (a lone surrogate, legal in a Windows name) loads as the same name', () => {
    const { kernel, process } = boot();
    const name = 'map\uD800';
    const { handle } = process.createFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, 0x1000, name);
    process.mapViewOfSection(handle, { access: FILE_MAP_WRITE });
    const loaded = Kernel.loadState(kernel.saveState());
    const p = loaded.processes()[0];
    // The saved state wrote the name as UTF-8, which turns the lone surrogate into U+FFFD: the loaded kernel knows
    // the section as 'map\uFFFD', and the name the program uses opens nothing.
    expect(loaded.sections()[0].name).toBe(kernel.sections()[0].name);
    expect(() => p.openFileMapping(FILE_MAP_WRITE, false, name)).not.toThrow();
  });

  it('two names that differ only in their lone surrogates stay two names', () => {
    const { kernel, process } = boot();
    process.createFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, 0x1000, 'a\uD800');
    process.createFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, 0x1000, 'a\uD801');
    const loaded = Kernel.loadState(kernel.saveState());
    expect(fingerprint(loaded)).toEqual(fingerprint(kernel));
    expect(new Set(loaded.sections().map((s) => s.name)).size).toBe(2);
  });

  it('a checksum-valid blob whose records root is not an object fails as a SavedStateError (not a TypeError)', () => {
    const { kernel } = boot();
    const error = errorOf(() => Kernel.loadState(withRecords(kernel, [null])));
    expect(error).toBeInstanceOf(SavedStateError);
  });

  it('a checksum-valid blob whose kernel holds a wrong kind of value fails as a SavedStateError (not a TypeError)', () => {
    const { kernel } = boot();
    const fake = Object.assign(Object.create(Kernel.prototype) as object, { liveSections: 5 });
    const error = errorOf(() => Kernel.loadState(withRecords(kernel, [{ kernel: fake, clientIds: { processes: new Map(), threads: new Map() }, loaderHolds: new Map(), aslrBases: new Map() }])));
    expect(error).toBeInstanceOf(SavedStateError);
  });

  it('after a load, loading a DLL the saved kernel had loaded (same resolver, the caller\'s bytes) gives what the saved kernel gives', () => {
    const { kernel, process } = boot({ relocationPolicy: 'aslr' });
    loadLibrary(process, 'importer64.dll', resolver);
    const loaded = Kernel.loadState(kernel.saveState());
    const bases = [kernel, loaded].map((k) => {
      const q = k.createProcess();
      const result = loadLibrary(q, 'exporter64.dll', resolver);
      return [result.base, k.sections().length];
    });
    // The saved kernel finds the DLL's image section by its bytes (one section per file) and maps it at the same ASLR
    // base; the loaded kernel holds its own copy of the bytes, and finds the caller's bytes to be that file (restored
    // image files are matched by content), so it too maps the one image section at its base.
    expect(bases[1]).toEqual(bases[0]);
  });
});

// Checked and fine: a name that is well-formed UTF-16 round-trips; WindowsError names stay typed.
describe('kernel saved states: names', () => {
  it('a plain Unicode name loads as the same name', () => {
    const { kernel, process } = boot();
    const name = 'карта\u{1F600}';
    process.createFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, 0x1000, name);
    const loaded = Kernel.loadState(kernel.saveState());
    expect(() => loaded.processes()[0].openFileMapping(FILE_MAP_WRITE, false, name)).not.toThrow(WindowsError);
  });
});
