// The loader (src/os/objects/modules.ts): module lists with reference counts, import binding into
// the guest's IAT pages, GetProcAddress, TLS slots, DONT_RESOLVE_DLL_REFERENCES, the main executable,
// and failed loads that leave nothing behind. The fixtures are the loader DLLs of fixtures/pe; what
// each IAT slot must hold comes from expected.json's `loader.*.bindings`, resolved by crosscheck.py
// with pefile, not by mmukit.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DLL_PROCESS_ATTACH,
  DONT_RESOLVE_DLL_REFERENCES,
  ERROR_BAD_EXE_FORMAT,
  ERROR_INVALID_ORDINAL,
  ERROR_INVALID_PARAMETER,
  ERROR_MOD_NOT_FOUND,
  ERROR_NOT_SUPPORTED,
  ERROR_PROC_NOT_FOUND,
  LOAD_LIBRARY_AS_DATAFILE,
  LOAD_WITH_ALTERED_SEARCH_PATH,
  MEM_IMAGE,
  MEM_RESERVE,
  PAGE_EXECUTE_READ,
  PAGE_GUARD,
  PAGE_NOACCESS,
  PAGE_READONLY,
  PAGE_READWRITE,
  PAGE_WRITECOPY,
  STATUS_DLL_NOT_FOUND,
  STATUS_ENTRYPOINT_NOT_FOUND,
  STATUS_GUARD_PAGE_VIOLATION,
  STATUS_IMAGE_NOT_AT_BASE,
  STATUS_INVALID_IMAGE_FORMAT,
  STATUS_INVALID_IMAGE_NOT_MZ,
  STATUS_ORDINAL_NOT_FOUND,
  STATUS_PROCEDURE_NOT_FOUND,
  STATUS_SUCCESS,
  imageReport,
  parsePe,
  type Kernel,
  type Process,
} from '../../src/index.js';
import { peImports } from '../../src/os/image/pe-directories.js';
import {
  freeLibrary,
  getModuleHandle,
  getProcAddress,
  loadExecutable,
  loadLibrary,
  modules,
  type LoadedModule,
  type ModuleResolver,
} from '../../src/os/objects/modules.js';
import { boot, expectWin32 } from '../os/helpers.js';

const dir = new URL('../../fixtures/pe/', import.meta.url);
const cache = new Map<string, Uint8Array>();
/** The fixture's bytes: the same array for every load, as a real file cache would give. */
function fixture(name: string): Uint8Array {
  let bytes = cache.get(name);
  if (bytes === undefined) {
    bytes = new Uint8Array(readFileSync(new URL(name, dir)));
    cache.set(name, bytes);
  }
  return bytes;
}
const FIXTURES = ['norelocs32.dll', 'target32.dll', 'exporter32.dll', 'importer32.dll', 'app32.exe', 'badname32.dll', 'badordinal32.dll', 'target64.dll', 'exporter64.dll', 'importer64.dll', 'app64.exe'];
/** A resolver over the fixtures (case-insensitive), with `overrides` by lower-case name (undefined: missing). */
function resolver(overrides: Record<string, Uint8Array | undefined> = {}): ModuleResolver {
  return (name) => {
    const key = name.toLowerCase();
    if (key in overrides) return overrides[key];
    return FIXTURES.includes(key) ? fixture(key) : undefined;
  };
}

interface Binding {
  dll: string;
  rva: number;
}
const loader = (JSON.parse(readFileSync(new URL('expected.json', dir), 'utf8')) as {
  loader: Record<string, { bindings: (Binding | null)[][]; tls: { addressOfIndex: number; addressOfCallBacks: number; callbacks: number[]; indexInFile: number } | null } >;
}).loader;

const PAGE = 0x1000;
const u32 = (p: Process, va: number) => new DataView(p.readMemory(va, 4).buffer).getUint32(0, true);
/** The pointer-sized IAT slots of `descriptor` in `process`, as numbers. */
function iat(process: Process, module: LoadedModule, descriptor: number): number[] {
  const d = peImports(module.image)[descriptor];
  const size = module.image.is64 ? 8 : 4;
  const bytes = process.readMemory(module.base + d.firstThunk, d.thunks.length * size);
  const view = new DataView(bytes.buffer);
  return d.thunks.map((_, i) => view.getUint32(i * size, true) + (size === 8 ? view.getUint32(i * size + 4, true) * 2 ** 32 : 0));
}
/** The lookup-table values of `descriptor` as the file holds them (what an unbound IAT holds). */
function fileThunks(module: LoadedModule, descriptor: number): number[] {
  const d = peImports(module.image)[descriptor];
  const size = module.image.is64 ? 8 : 4;
  const s = module.image.sections.find((x) => d.firstThunk >= x.virtualAddress && d.firstThunk < x.virtualAddress + x.sizeOfRawData)!;
  const view = new DataView(module.image.bytes.buffer, module.image.bytes.byteOffset);
  const at = d.firstThunk - s.virtualAddress + s.pointerToRawData;
  return d.thunks.map((_, i) => view.getUint32(at + i * size, true) + (size === 8 ? view.getUint32(at + i * size + 4, true) * 2 ** 32 : 0));
}
const baseOf = (process: Process, name: string) => getModuleHandle(process, name);

/** Everything a failed load must leave as it was. */
function state(kernel: Kernel, process: Process) {
  return {
    modules: modules(process).map((m) => [m.name, m.base, m.loadCount, m.dependencies]),
    regions: [...process.regions].map((a) => [a.base, a.size, a.type]),
    sections: kernel.sections().map((s) => s.id),
    committed: kernel.committed,
    // Data frames: page tables made for a range stay after it is unmapped.
    frames: kernel.frames.usedCount - kernel.processes().reduce((n, p) => n + p.space.tables.tableCount, 0),
  };
}

describe.each([32, 64])('binding %i-bit imports', (bits) => {
  const importer = `importer${bits}.dll`;

  it('loads the imported DLLs first and writes each IAT slot with the export pefile resolves it to (forwarders followed)', () => {
    const { process } = boot();
    const loaded = loadLibrary(process, `importer${bits}`, resolver());
    expect(loaded.initializationOrder.map((m) => m.name)).toEqual([`exporter${bits}.dll`, `target${bits}.dll`, importer]);
    expect(loaded.module.dependencies).toEqual([`exporter${bits}.dll`, `target${bits}.dll`]);
    expect(modules(process).map((m) => [m.name, m.loadCount])).toEqual([
      [importer, 1],
      [`exporter${bits}.dll`, 1],
      [`target${bits}.dll`, 1],
    ]);
    const bindings = loader[importer].bindings;
    bindings.forEach((slots, d) => {
      const want = slots.map((b) => baseOf(process, b!.dll) + b!.rva);
      expect(iat(process, loaded.module, d)).toEqual(want);
    });
    // The same addresses GetProcAddress gives, by name and by ordinal.
    const exporter = baseOf(process, `exporter${bits}.dll`);
    const target = baseOf(process, `target${bits}.dll`);
    expect(iat(process, loaded.module, 0)).toEqual([
      getProcAddress(process, exporter, 'alpha'),
      getProcAddress(process, exporter, 'beta'),
      getProcAddress(process, exporter, 'counter'),
      getProcAddress(process, target, 'target_func'), // fwd_name → target.target_func
      getProcAddress(process, target, 2), // fwd_ord (ordinal 10) → target.#2
      getProcAddress(process, exporter, 11), // secret, NONAME
    ]);
  });

  it('makes the IAT pages private copies and restores their protection (B85, B95)', () => {
    const { kernel, process } = boot();
    const other = kernel.createProcess();
    const a = loadLibrary(process, importer, resolver()).module;
    const b = loadLibrary(other, importer, resolver()).module;
    expect(b.base).toBe(a.base); // same preferred base, same section
    const iatPage = a.base + Math.floor(peImports(a.image)[0].firstThunk / PAGE) * PAGE;
    const info = process.virtualQuery(iatPage);
    // .idata is MEM_READ | MEM_WRITE: PAGE_WRITECOPY, restored, and written: it reports PAGE_READWRITE (B80, B81).
    expect(info).toMatchObject({ type: MEM_IMAGE, allocationBase: a.base, protect: PAGE_READWRITE, regionSize: PAGE });
    expect(process.virtualQuery(iatPage + PAGE).protect).not.toBe(PAGE_READWRITE);
    // Only the pages the loader wrote are private: the IAT page and the page of *AddressOfIndex (.data).
    const indexPage = Math.floor(a.tls!.addressOfIndex / PAGE) * PAGE;
    const privatePages = imageReport(process, a.base).pageAddresses.private;
    expect([...privatePages].sort((x, y) => x - y)).toEqual([indexPage, iatPage].sort((x, y) => x - y));
    const text = a.image.sections.find((s) => s.name === '.text')!;
    expect(process.virtualQuery(a.base + text.virtualAddress).protect).toBe(PAGE_EXECUTE_READ);
    // The other process's IAT page is its own copy with the same contents.
    expect(iat(other, b, 0)).toEqual(iat(process, a, 0));
    expect(imageReport(other, b.base).pageAddresses.private).toContain(iatPage);
  });
});

describe('the IAT in a read-only section (the MSVC layout: imports in .rdata)', () => {
  it('is written through a copy-on-write unprotect and is PAGE_READONLY again afterwards', () => {
    const bytes = fixture('importer32.dll').slice();
    const pe = parsePe(bytes);
    const idata = pe.sections.find((s) => s.name === '.idata')!;
    new DataView(bytes.buffer).setUint32(idata.headerOffset + 36, 0x4000_0040, true); // MEM_READ | CNT_INITIALIZED_DATA
    const { process } = boot();
    const loaded = loadLibrary(process, 'importer32.dll', resolver({ 'importer32.dll': bytes })).module;
    const iatPage = loaded.base + idata.virtualAddress;
    expect(process.virtualQuery(iatPage).protect).toBe(PAGE_READONLY);
    expect(imageReport(process, loaded.base).pageAddresses.private).toContain(iatPage);
    expect(iat(process, loaded, 1)).toEqual([baseOf(process, 'target32') + 0x1000]);
  });
});

describe('reference counts (B96)', () => {
  it('LoadLibrary of a loaded module returns the same base and raises its count; FreeLibrary unloads at 0', () => {
    const { kernel, process } = boot();
    const before = state(kernel, process);
    const first = loadLibrary(process, 'exporter32.dll', fixture('exporter32.dll'));
    const second = loadLibrary(process, 'EXPORTER32', resolver());
    expect(second.base).toBe(first.base);
    expect(second.initializationOrder).toEqual([]);
    expect(second.module.loadCount).toBe(2);
    expect(freeLibrary(process, first.base)).toEqual([]);
    expect(getModuleHandle(process, 'exporter32.dll')).toBe(first.base);
    expect(freeLibrary(process, first.base).map((m) => m.name)).toEqual(['exporter32.dll']);
    expect(getModuleHandle(process, 'exporter32.dll')).toBe(0);
    expect(process.virtualQuery(first.base).state).not.toBe(MEM_IMAGE);
    expect(state(kernel, process)).toEqual(before);
  });

  it('three loads and three frees, then GetModuleHandle is NULL and a fresh load works (testNestedLoadLibraryA)', () => {
    const { process } = boot();
    const base = loadLibrary(process, 'target32.dll', resolver()).base;
    loadLibrary(process, 'target32.dll', resolver());
    loadLibrary(process, 'target32.dll', resolver());
    freeLibrary(process, base);
    freeLibrary(process, base);
    expect(getModuleHandle(process, 'target32.dll')).toBe(base);
    freeLibrary(process, base);
    expect(getModuleHandle(process, 'target32.dll')).toBe(0);
    expectWin32(() => freeLibrary(process, base), ERROR_MOD_NOT_FOUND, STATUS_DLL_NOT_FOUND);
    expect(loadLibrary(process, 'target32.dll', resolver()).base).toBe(base);
  });

  it('a module stays loaded while a loaded module imports it, also through a forwarder (subtest_export_forwarder_dep_chain)', () => {
    const { kernel, process } = boot();
    const before = state(kernel, process);
    const target = loadLibrary(process, 'target32.dll', resolver()).base;
    const exporter = loadLibrary(process, 'exporter32.dll', resolver()).base;
    const importer = loadLibrary(process, 'importer32.dll', resolver()).base;
    expect(modules(process).map((m) => [m.name, m.loadCount])).toEqual([
      ['target32.dll', 2],
      ['exporter32.dll', 2],
      ['importer32.dll', 1],
    ]);
    freeLibrary(process, target);
    freeLibrary(process, exporter);
    expect(getModuleHandle(process, 'target32.dll')).toBe(target); // held by importer32.dll's forwarded import
    expect(getModuleHandle(process, 'exporter32.dll')).toBe(exporter);
    // The unload order is the reverse of the initialization order, and a detach callback sees each module still mapped.
    const seen: string[] = [];
    const unloaded = freeLibrary(process, importer, (m) => {
      seen.push(m.name);
      expect(process.virtualQuery(m.base).type).toBe(MEM_IMAGE);
    });
    expect(unloaded.map((m) => m.name)).toEqual(['importer32.dll', 'exporter32.dll', 'target32.dll']);
    expect(seen).toEqual(['importer32.dll', 'exporter32.dll', 'target32.dll']);
    expect(state(kernel, process)).toEqual(before);
  });

  it('an export forwarder nobody binds through adds no dependency; GetProcAddress through one adds the forwarding module\'s', () => {
    const { kernel, process } = boot();
    const before = state(kernel, process);
    const exporter = loadLibrary(process, 'exporter32.dll', resolver()).module;
    expect(exporter.dependencies).toEqual([]);
    expect(getModuleHandle(process, 'target32.dll')).toBe(0);
    const address = getProcAddress(process, exporter.base, 'fwd_name', resolver());
    const target = getModuleHandle(process, 'target32.dll');
    expect(address).toBe(target + 0x1000);
    expect(modules(process).find((m) => m.name === 'exporter32.dll')!.dependencies).toEqual(['target32.dll']);
    expect(getProcAddress(process, exporter.base, 10)).toBe(getProcAddress(process, target, 2)); // fwd_ord: no second reference
    expect(modules(process).find((m) => m.name === 'target32.dll')!.loadCount).toBe(1);
    freeLibrary(process, exporter.base);
    expect(state(kernel, process)).toEqual(before);
  });

  it('GetModuleHandle does not change the count and finds names as LoadLibrary does', () => {
    const { process } = boot();
    const base = loadLibrary(process, 'exporter32.dll', resolver()).base;
    for (const name of ['exporter32.dll', 'EXPORTER32.DLL', 'exporter32', 'exporter32   ', 'C:\\windows\\system32\\exporter32.dll', 'lib/Exporter32.Dll']) {
      expect(getModuleHandle(process, name)).toBe(base);
    }
    expect(getModuleHandle(process, 'exporter32.')).toBe(0); // a trailing dot: no extension, another file
    expect(getModuleHandle(process, 'exporter')).toBe(0);
    expect(getModuleHandle(process, null)).toBe(0); // no main executable
    expect(modules(process)[0].loadCount).toBe(1);
    expect(loadLibrary(process, 'Exporter32   ', resolver()).base).toBe(base);
  });

  it('two processes load the same bytes into one section; the loader holds it while a module maps it', () => {
    const { kernel, process } = boot();
    const other = kernel.createProcess();
    loadLibrary(process, 'importer32.dll', resolver());
    loadLibrary(other, 'importer32.dll', resolver());
    expect(kernel.sections().length).toBe(3);
    other.exit();
    freeLibrary(process, getModuleHandle(process, 'importer32.dll'));
    expect(kernel.sections().length).toBe(0);
  });
});

describe('GetProcAddress', () => {
  it('by name and by ordinal (ordinal − Base), NONAME exports only by ordinal', () => {
    const { process } = boot();
    const { base } = loadLibrary(process, 'exporter32.dll', resolver());
    expect(getProcAddress(process, base, 'alpha')).toBe(base + 0x1000);
    expect(getProcAddress(process, base, 5)).toBe(base + 0x1000);
    expect(getProcAddress(process, base, 11)).toBe(base + loader['importer32.dll'].bindings[0][5]!.rva);
    expectWin32(() => getProcAddress(process, base, 'secret'), ERROR_PROC_NOT_FOUND, STATUS_PROCEDURE_NOT_FOUND);
    expectWin32(() => getProcAddress(process, base, 12), ERROR_PROC_NOT_FOUND, STATUS_PROCEDURE_NOT_FOUND); // an empty EAT slot
    expectWin32(() => getProcAddress(process, base, 4), ERROR_PROC_NOT_FOUND, STATUS_PROCEDURE_NOT_FOUND); // below Base
    expectWin32(() => getProcAddress(process, base, 14), ERROR_PROC_NOT_FOUND, STATUS_PROCEDURE_NOT_FOUND);
    expectWin32(() => getProcAddress(process, base, 'does not exist'), ERROR_PROC_NOT_FOUND, STATUS_PROCEDURE_NOT_FOUND);
    expectWin32(() => getProcAddress(process, base, 'ALPHA'), ERROR_PROC_NOT_FOUND); // names are case-sensitive
  });

  it('a module handle that is not a module is ERROR_MOD_NOT_FOUND (testGetProcAddress_Wrong)', () => {
    const { process } = boot();
    const { base } = loadLibrary(process, 'exporter32.dll', resolver());
    expectWin32(() => getProcAddress(process, 0xdeadbeef, 'alpha'), ERROR_MOD_NOT_FOUND, STATUS_DLL_NOT_FOUND);
    expectWin32(() => getProcAddress(process, base + 0x1000, 'alpha'), ERROR_MOD_NOT_FOUND, STATUS_DLL_NOT_FOUND);
    expectWin32(() => getProcAddress(process, base, 1.5), ERROR_INVALID_PARAMETER);
  });

  it('a forwarder whose module cannot be found is ERROR_PROC_NOT_FOUND, and leaves nothing', () => {
    const { kernel, process } = boot();
    const { base } = loadLibrary(process, 'exporter32.dll', resolver());
    const before = state(kernel, process);
    expectWin32(() => getProcAddress(process, base, 'fwd_name'), ERROR_PROC_NOT_FOUND, STATUS_PROCEDURE_NOT_FOUND);
    expect(state(kernel, process)).toEqual(before);
  });
});

describe('TLS and the entry point', () => {
  it('writes the TLS slot to *AddressOfIndex as 32 bits and reports the directory as the pages hold it', () => {
    const { process } = boot();
    const importer = loadLibrary(process, 'importer32.dll', resolver()).module;
    const file = loader['importer32.dll'].tls!;
    expect(file.indexInFile).toBe(0xdeadbeef);
    expect(importer.tls).toMatchObject({ index: 0, addressOfIndex: file.addressOfIndex, callbacks: file.callbacks });
    expect(u32(process, importer.tls!.addressOfIndex)).toBe(0);
    expect(importer.entryPoint).toBe(importer.base + importer.image.addressOfEntryPoint);
    // A second module with TLS gets the next slot; a freed slot is given again.
    const app = loadLibrary(process, 'app32.exe', resolver()).module; // an EXE by LoadLibrary: no slot
    expect(app.tls!.index).toBeNull();
    expect(u32(process, app.tls!.addressOfIndex)).toBe(0xdeadbeef);
    expect(DLL_PROCESS_ATTACH).toBe(1);
  });

  it('a relocated module reports relocated VAs; the loader leaves the header ImageBase as the file has it (B92, private policy)', () => {
    const { process } = boot();
    process.virtualAlloc(0x1050_0000, 0x1000, MEM_RESERVE, PAGE_NOACCESS); // occupy importer32.dll's base
    const importer = loadLibrary(process, 'importer32.dll', resolver()).module;
    const preferred = importer.image.imageBase;
    const delta = importer.base - preferred;
    expect(delta).not.toBe(0);
    expect(importer.status).toBe(STATUS_IMAGE_NOT_AT_BASE);
    expect(importer.relocated).toBe(true);
    expect(importer.headerImageBase).toBe(preferred);
    const file = loader['importer32.dll'].tls!;
    expect(importer.tls!.addressOfIndex).toBe(file.addressOfIndex + delta);
    expect(importer.tls!.callbacks).toEqual(file.callbacks.map((c) => c + delta));
    expect(u32(process, importer.tls!.addressOfIndex)).toBe(0);
    expect(importer.entryPoint).toBe(importer.base + importer.image.addressOfEntryPoint);
    expect(iat(process, importer, 1)).toEqual([baseOf(process, 'target32.dll') + 0x1000]);
  });

  it('under ASLR the kernel relocates and the header ImageBase is the actual base (B92, B97)', () => {
    const { process } = boot({ relocationPolicy: 'aslr' });
    const importer = loadLibrary(process, 'importer32.dll', resolver()).module;
    expect(importer.base).not.toBe(importer.image.imageBase);
    expect(importer.status).toBe(STATUS_SUCCESS);
    expect(importer.headerImageBase).toBe(importer.base);
    const file = loader['importer32.dll'].tls!;
    expect(importer.tls!.callbacks).toEqual(file.callbacks.map((c) => c - importer.image.imageBase + importer.base));
    loader['importer32.dll'].bindings.forEach((slots, d) => {
      expect(iat(process, importer, d)).toEqual(slots.map((b) => baseOf(process, b!.dll) + b!.rva));
    });
  });
});

describe('modules() is a query', () => {
  it('reads a guarded header and TLS directory page without taking their guard (B52 is for accesses, not reports)', () => {
    const { process } = boot();
    const importer = loadLibrary(process, 'importer32.dll', resolver()).module;
    const tlsPage = Math.floor(importer.image.dataDirectories[9].virtualAddress / PAGE) * PAGE;
    for (const page of [0, tlsPage]) process.virtualProtect(importer.base + page, PAGE, PAGE_READONLY | PAGE_GUARD);
    const before = [0, tlsPage].map((page) => process.virtualQuery(importer.base + page));
    for (let i = 0; i < 2; i++) {
      const [reported] = modules(process);
      expect(reported.headerImageBase).toBe(importer.image.imageBase);
      expect(reported.tls).toEqual(importer.tls);
    }
    expect([0, tlsPage].map((page) => process.virtualQuery(importer.base + page))).toEqual(before);
    expect(before.every((info) => (info.protect & PAGE_GUARD) !== 0)).toBe(true);
    // The guard is still there for the process: its first read trips it.
    expectWin32(() => process.readMemory(importer.base, 4), STATUS_GUARD_PAGE_VIOLATION);
  });
});

describe('DONT_RESOLVE_DLL_REFERENCES and EXEs', () => {
  it('maps the DLL alone: no imports loaded, the IAT as in the file, no TLS slot, nothing to initialize (test_import_resolution)', () => {
    const { process } = boot();
    const loaded = loadLibrary(process, 'importer32.dll', resolver(), DONT_RESOLVE_DLL_REFERENCES);
    expect(modules(process).map((m) => m.name)).toEqual(['importer32.dll']);
    expect(loaded.initializationOrder).toEqual([]);
    expect(loaded.module).toMatchObject({ importsResolved: false, runsInitializers: false, loadCount: 1 });
    expect(iat(process, loaded.module, 0)).toEqual(fileThunks(loaded.module, 0));
    expect(loaded.module.tls!.index).toBeNull();
    expect(u32(process, loaded.module.tls!.addressOfIndex)).toBe(0xdeadbeef);
    expect(imageReport(process, loaded.base).pageAddresses.private).toEqual([]);
    // A later plain LoadLibrary returns the same module, still unresolved.
    const again = loadLibrary(process, 'importer32.dll', resolver());
    expect(again.base).toBe(loaded.base);
    expect(again.module).toMatchObject({ importsResolved: false, loadCount: 2 });
    expect(modules(process).length).toBe(1);
  });

  it('LoadLibrary of an EXE binds nothing', () => {
    const { process } = boot();
    const app = loadLibrary(process, 'app32.exe', resolver()).module;
    expect(app).toMatchObject({ isDll: false, importsResolved: false, runsInitializers: false, main: false });
    expect(modules(process).length).toBe(1);
  });

  it('the main executable: imports bound, TLS slot 0, pinned, GetModuleHandle(NULL)', () => {
    for (const bits of [32, 64]) {
      const { process } = boot();
      const started = loadExecutable(process, `app${bits}.exe`, resolver());
      expect(started.module).toMatchObject({ main: true, loadCount: -1, importsResolved: true, runsInitializers: false });
      expect(started.initializationOrder.map((m) => m.name)).toEqual([`exporter${bits}.dll`, `target${bits}.dll`]);
      expect(started.module.tls!.index).toBe(0);
      expect(getModuleHandle(process, null)).toBe(started.base);
      loader[`app${bits}.exe`].bindings.forEach((slots, d) => {
        expect(iat(process, started.module, d)).toEqual(slots.map((b) => baseOf(process, b!.dll) + b!.rva));
      });
      // A DLL loaded afterwards gets the next TLS slot.
      expect(loadLibrary(process, `importer${bits}.dll`, resolver()).module.tls!.index).toBe(1);
      expect(freeLibrary(process, started.base)).toEqual([]);
      expect(getModuleHandle(process, null)).toBe(started.base);
      expectWin32(() => loadExecutable(process, `app${bits}.exe`, resolver()), ERROR_INVALID_PARAMETER);
    }
  });

  it('a DLL is not an executable', () => {
    const { kernel, process } = boot();
    const before = state(kernel, process);
    expectWin32(() => loadExecutable(process, 'importer32.dll', resolver()), ERROR_BAD_EXE_FORMAT, STATUS_INVALID_IMAGE_FORMAT);
    expect(state(kernel, process)).toEqual(before);
  });
});

describe('failed loads leave nothing behind', () => {
  it.each([
    ['a missing DLL', 'importer32.dll', { 'exporter32.dll': undefined }, ERROR_MOD_NOT_FOUND, STATUS_DLL_NOT_FOUND],
    // ReactOS LdrpSnapThunk: a forwarder whose DLL cannot be loaded fails the thunk, here a by-name import.
    ['a forwarder to a missing DLL', 'importer32.dll', { 'target32.dll': undefined }, ERROR_PROC_NOT_FOUND, STATUS_ENTRYPOINT_NOT_FOUND],
    ['a missing name', 'badname32.dll', {}, ERROR_PROC_NOT_FOUND, STATUS_ENTRYPOINT_NOT_FOUND],
    ['a missing ordinal', 'badordinal32.dll', {}, ERROR_INVALID_ORDINAL, STATUS_ORDINAL_NOT_FOUND],
    ['an exporter without an export directory', 'importer32.dll', { 'exporter32.dll': fixture('norelocs32.dll') }, ERROR_BAD_EXE_FORMAT, STATUS_INVALID_IMAGE_FORMAT],
    ["a forwarder's DLL that is not an image", 'importer32.dll', { 'target32.dll': new Uint8Array(64) }, ERROR_PROC_NOT_FOUND, STATUS_ENTRYPOINT_NOT_FOUND],
    ['bytes that are not an image', 'target32.dll', { 'target32.dll': new Uint8Array(64) }, ERROR_BAD_EXE_FORMAT, STATUS_INVALID_IMAGE_NOT_MZ],
  ] as const)('%s', (_, name, overrides, win32, status) => {
    const { kernel, process } = boot();
    const before = state(kernel, process);
    expectWin32(() => loadLibrary(process, name, resolver(overrides as Record<string, Uint8Array | undefined>)), win32, status);
    expect(state(kernel, process)).toEqual(before);
  });

  it('after exporter32.dll was mapped and bound, and with modules loaded before, whose counts come back', () => {
    const { kernel, process } = boot();
    loadLibrary(process, 'exporter32.dll', resolver());
    const before = state(kernel, process);
    expectWin32(() => loadLibrary(process, 'badname32.dll', resolver()), ERROR_PROC_NOT_FOUND, STATUS_ENTRYPOINT_NOT_FOUND);
    expect(state(kernel, process)).toEqual(before);
    expect(modules(process)[0].loadCount).toBe(1);
    expectWin32(() => loadLibrary(process, 'badordinal32.dll', resolver()), ERROR_INVALID_ORDINAL, STATUS_ORDINAL_NOT_FOUND);
    expect(state(kernel, process)).toEqual(before);
  });

  it('a hint that names another export falls back to the binary search, which an unsorted table defeats', () => {
    // exporter32.dll with name-table entries 2 (counter) and 5 (last) swapped: importer32.dll imports
    // counter with hint 2, which now names `last`; the binary search cannot find counter.
    const bytes = fixture('exporter32.dll').slice();
    const pe = parsePe(bytes);
    const edata = pe.sections.find((s) => s.name === '.edata')!;
    const off = (rva: number) => rva - edata.virtualAddress + edata.pointerToRawData;
    const view = new DataView(bytes.buffer);
    const names = off(view.getUint32(off(pe.dataDirectories[0].virtualAddress) + 32, true));
    const ordinals = off(view.getUint32(off(pe.dataDirectories[0].virtualAddress) + 36, true));
    const [n2, n5] = [view.getUint32(names + 8, true), view.getUint32(names + 20, true)];
    view.setUint32(names + 8, n5, true);
    view.setUint32(names + 20, n2, true);
    const [o2, o5] = [view.getUint16(ordinals + 4, true), view.getUint16(ordinals + 10, true)];
    view.setUint16(ordinals + 4, o5, true);
    view.setUint16(ordinals + 10, o2, true);
    const { kernel, process } = boot();
    const before = state(kernel, process);
    const error = expectWin32(() => loadLibrary(process, 'importer32.dll', resolver({ 'exporter32.dll': bytes })), ERROR_PROC_NOT_FOUND, STATUS_ENTRYPOINT_NOT_FOUND);
    expect(error.message).toContain('"counter"');
    expect(state(kernel, process)).toEqual(before);
  });

  it('flags: unknown bits and bad combinations are ERROR_INVALID_PARAMETER, data-file loads are not modelled', () => {
    const { process } = boot();
    expectWin32(() => loadLibrary(process, 'target32.dll', resolver(), 0x1_0000), ERROR_INVALID_PARAMETER);
    expectWin32(() => loadLibrary(process, 'target32.dll', resolver(), LOAD_WITH_ALTERED_SEARCH_PATH | 0x800), ERROR_INVALID_PARAMETER);
    expectWin32(() => loadLibrary(process, 'target32.dll', resolver(), LOAD_LIBRARY_AS_DATAFILE), ERROR_NOT_SUPPORTED);
    expect(loadLibrary(process, 'target32.dll', resolver(), LOAD_WITH_ALTERED_SEARCH_PATH).module.name).toBe('target32.dll');
    expectWin32(() => loadLibrary(process, '', resolver()), ERROR_MOD_NOT_FOUND, STATUS_DLL_NOT_FOUND);
    expectWin32(() => loadLibrary(process, 'x.dll', 'x.dll' as unknown as Uint8Array), ERROR_INVALID_PARAMETER);
    expect(modules(process).length).toBe(1);
  });

  it('a 64-bit DLL does not load into a 32-bit process, and nothing stays', () => {
    const { kernel, process } = boot();
    loadLibrary(process, 'target32.dll', resolver());
    const before = state(kernel, process);
    expectWin32(() => loadLibrary(process, 'importer64.dll', resolver()), ERROR_BAD_EXE_FORMAT);
    expect(state(kernel, process)).toEqual(before);
    expect(process.virtualQuery(0x1030_0000).protect).not.toBe(PAGE_WRITECOPY);
  });
});
