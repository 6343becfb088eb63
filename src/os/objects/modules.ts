/**
 * The user-mode loader an HLE emulator needs, on mmukit's kernel: LoadLibrary(Ex), FreeLibrary,
 * GetModuleHandle, GetProcAddress and the binding of a process's main executable, with a module list
 * and reference counts per process ([the loader](../../../docs/images.md#the-loader-modules-and-imports)).
 * mmukit has no file system: the caller hands the DLL bytes for a name to a {@link ModuleResolver}.
 *
 * What Windows does, and where that is pinned (docs/kernel.md B92, B96):
 * - LoadLibrary of a loaded module returns the same base and raises its load count; FreeLibrary
 *   lowers it and unloads the module at 0, releasing the references the module held on its
 *   dependencies (kernel32 tests testNestedLoadLibraryA; Wine `LdrUnloadDll`). A module stays loaded
 *   while a loaded module imports it, forwarders included (loader tests
 *   subtest_export_forwarder_dep_chain).
 * - A DLL's static imports are loaded, and bound, before it; they come before it in the
 *   initialization order (ReactOS `LdrpLoadImportModule`, `LdrpWalkImportDescriptor`).
 * - Binding (ReactOS `LdrpSnapIAT`, `LdrpSnapThunk`): per import descriptor, the DLL is loaded, the
 *   IAT range (data directory 12, else the section holding the import directory) is made
 *   PAGE_READWRITE (copy-on-write in an image: the written pages become the process's own, B85,
 *   B95), each slot gets the export's address (the final target of a forwarder), and the old
 *   protection is put back. A name the exporter lacks is STATUS_ENTRYPOINT_NOT_FOUND, an ordinal
 *   STATUS_ORDINAL_NOT_FOUND (also when a forwarder on the way fails), an exporter without an export
 *   directory STATUS_INVALID_IMAGE_FORMAT, a DLL that cannot be found STATUS_DLL_NOT_FOUND; the
 *   load then fails as a whole and everything it mapped is unmapped.
 * - DONT_RESOLVE_DLL_REFERENCES, and LoadLibrary of an EXE: mapped, nothing imported, no TLS slot, no
 *   initialization; a later LoadLibrary returns the same, still unresolved, module (loader tests
 *   test_import_resolution).
 * - TLS: a module with a TLS directory, loaded normally, gets the process's lowest free TLS slot,
 *   written as a 32-bit value to *AddressOfIndex (a write into its image pages).
 * @module
 */
import {
  DONT_RESOLVE_DLL_REFERENCES,
  ERROR_INVALID_PARAMETER,
  ERROR_NOACCESS,
  LOAD_LIBRARY_AS_DATAFILE,
  LOAD_LIBRARY_AS_DATAFILE_EXCLUSIVE,
  LOAD_LIBRARY_AS_IMAGE_RESOURCE,
  LOAD_WITH_ALTERED_SEARCH_PATH,
  PAGE_READWRITE,
  STATUS_ACCESS_VIOLATION,
  STATUS_DLL_NOT_FOUND,
  STATUS_ENTRYPOINT_NOT_FOUND,
  STATUS_INVALID_IMAGE_FORMAT,
  STATUS_INVALID_PARAMETER,
  STATUS_NOT_SUPPORTED,
  STATUS_ORDINAL_NOT_FOUND,
  STATUS_PROCEDURE_NOT_FOUND,
  STATUS_SUCCESS,
} from '../rules/constants.js';
import { FRAME_SIZE } from '../../mmu/physical-memory.js';
import { imageLayoutBase, type Allocation } from '../records/allocation.js';
import { WindowsError } from '../rules/errors.js';
import { loadImage, notAnImage } from '../memory/image-views.js';
import {
  ExportTable,
  IMAGE_DIRECTORY_ENTRY_IAT,
  IMAGE_DIRECTORY_ENTRY_IMPORT,
  readImports,
  readTlsDirectory,
  type ImageReader,
  type PeForwarder,
  type PeImportDescriptor,
  type PeImportThunk,
  type PeTlsDirectory,
} from '../image/pe-directories.js';
import type { PeImage } from '../image/pe-parser.js';
import { privatelyRelocatedPage } from '../memory/page-faults.js';
import { ntWriteVirtualMemory, readProcessMemory } from '../memory/process-memory.js';
import type { Process } from '../kernel/process.js';
import { NO_FRAME } from '../records/section.js';
import { virtualProtect } from '../memory/virtual-memory.js';
import {
  PINNED,
  addHolder,
  directory,
  dllName,
  holdSection,
  lookupName,
  moduleList,
  releaseExited,
  releaseSection,
  type DllName,
  type ModuleList,
  type ModuleRecord,
} from './module-list.js';

export { forgetModules } from './module-list.js';

/**
 * Gives the bytes of the DLL (or EXE) a name stands for, or undefined when there is none (the load
 * then fails with STATUS_DLL_NOT_FOUND / ERROR_MOD_NOT_FOUND). It is called only for a module that
 * is not loaded yet, with the name as the loader compares it: the base name, ".dll" appended when it
 * had no extension, in the case the caller or the import descriptor wrote it. Compare it
 * case-insensitively. Returning the same `Uint8Array` for a name every time lets every process share
 * the image's pages.
 */
export type ModuleResolver = (name: string) => Uint8Array | undefined;

/** What {@link Process.loadLibrary} takes for the module: its bytes (its dependencies must then be loaded already), or a resolver. */
export type ModuleSource = Uint8Array | ModuleResolver;

/** The TLS directory of a loaded module, as its pages hold it (relocated VAs), and its slot. */
export interface ModuleTls extends PeTlsDirectory {
  /** The TLS slot the loader gave the module and wrote to *AddressOfIndex, or null (DONT_RESOLVE_DLL_REFERENCES, an EXE loaded by loadLibrary). */
  readonly index: number | null;
}

/** A loaded module as the loader reports it (a snapshot). */
export interface LoadedModule {
  /** The base name it was loaded by (`exporter32.dll`). */
  readonly name: string;
  /** Its base address: the HMODULE. */
  readonly base: number;
  /** OptionalHeader.SizeOfImage. */
  readonly sizeOfImage: number;
  /** LoadLibrary calls plus references from other loaded modules; -1 for the main executable (pinned). */
  readonly loadCount: number;
  /** base + AddressOfEntryPoint (DllMain for a DLL), or 0 when AddressOfEntryPoint is 0. */
  readonly entryPoint: number;
  /** IMAGE_FILE_DLL. */
  readonly isDll: boolean;
  /** The process's main executable ({@link Process.loadExecutable}). */
  readonly main: boolean;
  /** Whether its imports were bound (false after DONT_RESOLVE_DLL_REFERENCES, and for an EXE loaded by {@link Process.loadLibrary}). */
  readonly importsResolved: boolean;
  /** Whether the loader runs its TLS callbacks and entry point (DLL_PROCESS_ATTACH / DETACH): a DLL loaded with its imports bound. */
  readonly runsInitializers: boolean;
  /** The mapping's status: STATUS_SUCCESS, or STATUS_IMAGE_NOT_AT_BASE (B91). */
  readonly status: number;
  /** Whether base-relocation fixups were applied to its pages. */
  readonly relocated: boolean;
  /**
   * OptionalHeader.ImageBase as its header page holds it: the actual base when the kernel relocated the
   * image (B92: the `'aslr'` policy), the file's preferred base when the loader relocated it or it is at
   * its base. The report reads the module's pages as the kernel holds them, whatever their
   * protection: a guard page keeps its guard, nothing is read in. Null when the module's view is no
   * longer mapped (unmapped behind the loader's back).
   */
  readonly headerImageBase: number | null;
  /** The TLS directory and slot (read as {@link LoadedModule.headerImageBase} is), or null when it has none, its view is no longer mapped, or the directory is malformed. */
  readonly tls: ModuleTls | null;
  /** The names of the modules it holds a reference on: its static imports and the targets of forwarders it was bound through. */
  readonly dependencies: readonly string[];
  /** The parsed image. */
  readonly image: PeImage;
}

/** What {@link Process.loadLibrary} and {@link Process.loadExecutable} return. */
export interface LoadLibraryResult {
  /** The module's base (HMODULE). */
  readonly base: number;
  /** The module. */
  readonly module: LoadedModule;
  /**
   * The modules this call loaded whose initializers must run, in initialization order: each after the
   * DLLs it imports, the requested DLL last. An emulator calls each one's TLS callbacks, then its entry
   * point, with DLL_PROCESS_ATTACH, in this order (the main executable is not in it: its TLS callbacks
   * run after these, then the process starts at its entry point). Empty when the module was loaded already.
   */
  readonly initializationOrder: readonly LoadedModule[];
}

/** LoadLibraryEx flags that concern only where files are searched: mmukit has no file system, they change nothing. */
const SEARCH_FLAGS = 0x10 | 0x80 | 0x100 | 0x200 | 0x400 | 0x800 | 0x1000 | 0x2000 | 0x4000 | 0x8000;
/** The LOAD_LIBRARY_SEARCH_* flags LOAD_WITH_ALTERED_SEARCH_PATH may not be combined with. */
const SEARCH_DIRECTORY_FLAGS = 0x100 | 0x200 | 0x400 | 0x800 | 0x1000;
const DATA_FILE_FLAGS = LOAD_LIBRARY_AS_DATAFILE | LOAD_LIBRARY_AS_IMAGE_RESOURCE | LOAD_LIBRARY_AS_DATAFILE_EXCLUSIVE;
/** A bound on forwarder chains (a forwarder loop never ends on Windows either). */
const MAX_FORWARDS = 32;

function requireFlags(flags: unknown): number {
  if (typeof flags !== 'number' || !Number.isInteger(flags) || flags < 0 || flags > 0xffff_ffff) {
    throw new WindowsError(STATUS_INVALID_PARAMETER, `flags must be LoadLibraryEx flags, got ${String(flags)}`, ERROR_INVALID_PARAMETER);
  }
  if ((flags & ~(DONT_RESOLVE_DLL_REFERENCES | LOAD_WITH_ALTERED_SEARCH_PATH | SEARCH_FLAGS | DATA_FILE_FLAGS)) !== 0) {
    throw new WindowsError(STATUS_INVALID_PARAMETER, `unknown LoadLibraryEx flags 0x${flags.toString(16)}`, ERROR_INVALID_PARAMETER);
  }
  if ((flags & LOAD_WITH_ALTERED_SEARCH_PATH) !== 0 && (flags & SEARCH_DIRECTORY_FLAGS) !== 0) {
    throw new WindowsError(STATUS_INVALID_PARAMETER, 'LOAD_WITH_ALTERED_SEARCH_PATH cannot be combined with a LOAD_LIBRARY_SEARCH_* flag', ERROR_INVALID_PARAMETER);
  }
  if ((flags & DATA_FILE_FLAGS) !== 0) throw new WindowsError(STATUS_NOT_SUPPORTED, 'data-file and resource loads are not modelled by mmukit');
  return flags;
}

function resolverOf(requested: DllName, source: unknown): ModuleResolver {
  if (typeof source === 'function') return source as ModuleResolver;
  if (source instanceof Uint8Array) return (name) => (dllName(name).key === requested.key ? source : undefined);
  throw notAnImage(source, false);
}

/** One load: the process, its list, where bytes come from, and the modules it scheduled for initialization. */
interface LoadContext {
  readonly process: Process;
  readonly list: ModuleList;
  readonly resolver: ModuleResolver;
  readonly initialized: ModuleRecord[];
}

/** Reads a module's tables from its pages in the process, as the loader does. */
function memoryReader(record: ModuleRecord): ImageReader {
  return {
    bytes(rva, length, what) {
      if (!Number.isInteger(rva) || rva < 0 || rva + length > record.pe.mappedSize) {
        throw new WindowsError(STATUS_INVALID_IMAGE_FORMAT, `${record.name}: ${what} at RVA 0x${rva.toString(16)} is outside the image`);
      }
      try {
        return readProcessMemory(record.process, record.base + rva, length);
      } catch (error) {
        if (error instanceof WindowsError) throw new WindowsError(STATUS_ACCESS_VIOLATION, `${record.name}: ${what} at 0x${(record.base + rva).toString(16)} is not readable`, ERROR_NOACCESS);
        throw error;
      }
    },
  };
}

/** The bytes page `i` of a view shows now, read as the kernel holds them: no fault, nothing read in, the guard bit left alone. */
function viewPageBytes(process: Process, allocation: Allocation, i: number): Uint8Array {
  const memory = process.kernel.memory;
  if (allocation.frame[i] !== NO_FRAME) return memory.readBytes(allocation.frame[i] * FRAME_SIZE, FRAME_SIZE);
  if (allocation.copied[i] === 1) return privatelyRelocatedPage(allocation, i); // relocated by the process, not yet touched
  const { section, firstPage } = allocation.view!;
  const layoutBase = imageLayoutBase(allocation);
  const resident = section.residentFrameForView(firstPage + i, layoutBase);
  return resident !== NO_FRAME ? memory.readBytes(resident * FRAME_SIZE, FRAME_SIZE) : section.untouchedPage(firstPage + i, layoutBase, memory);
}

/**
 * Reads a module's pages for its report ({@link Process.modules}): as the kernel holds them, whatever
 * their protection, so that a query changes nothing (a guard page keeps its guard, B52 concerns the
 * guest's own accesses and ReadProcessMemory). Throws {@link WindowsError} STATUS_ACCESS_VIOLATION
 * when the module's view is no longer mapped at its base.
 */
function reportReader(record: ModuleRecord): ImageReader {
  return {
    bytes(rva, length, what) {
      const allocation = record.process.regions.find(record.base);
      if (!Number.isInteger(rva) || rva < 0 || rva + length > record.pe.mappedSize) {
        throw new WindowsError(STATUS_INVALID_IMAGE_FORMAT, `${record.name}: ${what} at RVA ${String(rva)} is outside the image`);
      }
      if (allocation === undefined || allocation.base !== record.base || allocation.view?.section !== record.section) {
        throw new WindowsError(STATUS_ACCESS_VIOLATION, `${record.name}: its view at 0x${record.base.toString(16)} is no longer mapped`, ERROR_NOACCESS);
      }
      const out = new Uint8Array(length);
      for (let done = 0; done < length; ) {
        const offset = rva + done;
        const inPage = offset % FRAME_SIZE;
        const n = Math.min(FRAME_SIZE - inPage, length - done);
        out.set(viewPageBytes(record.process, allocation, Math.floor(offset / FRAME_SIZE)).subarray(inPage, inPage + n), done);
        done += n;
      }
      return out;
    },
  };
}

/** Maps the image for `name` (LdrpMapDll: NtCreateSection, NtMapViewOfSection, relocation) and enters it in the list, load count 1. */
function mapModule(ctx: LoadContext, name: DllName, main: boolean): ModuleRecord {
  const bytes = ctx.resolver(name.name);
  if (bytes === undefined) throw new WindowsError(STATUS_DLL_NOT_FOUND, `${name.name} was not found: the resolver has no bytes for it`);
  if (!(bytes instanceof Uint8Array)) throw notAnImage(bytes, false);
  const kernel = ctx.process.kernel;
  const section = kernel.imageSection(bytes);
  holdSection(kernel, section);
  let mapped;
  try {
    if (main && section.image!.pe.isDll) throw new WindowsError(STATUS_INVALID_IMAGE_FORMAT, `${name.name} is a DLL, not an executable`);
    mapped = loadImage(ctx.process, section, {}, (s) => kernel.aslrBaseFor(s));
  } catch (error) {
    releaseSection(kernel, section, null);
    throw error;
  }
  const record: ModuleRecord = {
    process: ctx.process,
    name: name.name,
    key: name.key,
    base: mapped.base,
    pe: mapped.image,
    section,
    status: mapped.status,
    relocated: mapped.relocated,
    loadCount: main ? PINNED : 1,
    deps: [],
    main,
    resolved: false,
    initOrder: 0,
    tlsIndex: null,
  };
  addHolder(kernel, record);
  ctx.list.records.push(record);
  if (main) ctx.list.main = record;
  return record;
}

/** Unmaps a module and gives back its section hold. */
function unmapModule(record: ModuleRecord): void {
  record.process.unmapViewOfSection(record.base);
  releaseSection(record.process.kernel, record.section, record);
}

/** Maps a module that is not loaded and, unless told not to, binds its imports, gives it its TLS slot and schedules its initialization. */
function loadNew(ctx: LoadContext, name: DllName, main: boolean, dontResolve: boolean): ModuleRecord {
  const record = mapModule(ctx, name, main);
  if (dontResolve || !(record.pe.isDll || main)) return record;
  record.resolved = true;
  bindImports(ctx, record);
  const tls = readTlsDirectory(memoryReader(record), record.pe, record.base);
  if (tls !== null) {
    record.tlsIndex = ctx.list.takeTlsSlot();
    const slot = new Uint8Array(4);
    new DataView(slot.buffer).setUint32(0, record.tlsIndex, true);
    writeGuest(record, tls.addressOfIndex, slot, 'AddressOfIndex');
  }
  if (!main) {
    record.initOrder = ++ctx.list.sequence;
    ctx.initialized.push(record);
  }
  return record;
}

/** `owner` takes a reference on the module `name` (LdrpLoadImportModule): loaded now when it is not; at most one reference per pair. */
function reference(ctx: LoadContext, owner: ModuleRecord, name: DllName): ModuleRecord {
  const existing = ctx.list.find(name.key);
  if (existing === owner || (existing !== undefined && owner.deps.includes(existing))) return existing;
  const module = existing ?? loadNew(ctx, name, false, false);
  if (existing !== undefined && existing.loadCount !== PINNED) existing.loadCount++;
  owner.deps.push(module);
  return module;
}

function exportsOf(record: ModuleRecord): ExportTable | null {
  return ExportTable.read(memoryReader(record), record.pe.dataDirectories);
}

/**
 * The address `key` (a name or an ordinal) resolves to in `module`, forwarders followed, as
 * LdrGetProcedureAddress finds it; forwarded-to modules are referenced by `owner`.
 * @throws {@link WindowsError} STATUS_PROCEDURE_NOT_FOUND when it is not exported, or a forwarder fails.
 */
function resolveExport(ctx: LoadContext, owner: ModuleRecord, module: ModuleRecord, key: string | number, depth: number): number {
  const table = exportsOf(module);
  const target = table === null ? null : table.target(typeof key === 'string' ? table.indexOfName(key) : table.indexOfOrdinal(key));
  if (target === null) throw new WindowsError(STATUS_PROCEDURE_NOT_FOUND, `${module.name} exports no ${typeof key === 'string' ? `"${key}"` : `ordinal ${key}`}`);
  return target.forwarder === null ? module.base + target.rva : forward(ctx, owner, target.forwarder, depth);
}

/** Follows a forwarder: loads (references) its module and resolves its name or ordinal there. */
function forward(ctx: LoadContext, owner: ModuleRecord, forwarder: PeForwarder, depth: number): number {
  if (depth >= MAX_FORWARDS) throw new WindowsError(STATUS_PROCEDURE_NOT_FOUND, `forwarder "${forwarder.text}": more than ${MAX_FORWARDS} forwarders in a chain`);
  const module = reference(ctx, owner, dllName(forwarder.module));
  return resolveExport(ctx, owner, module, forwarder.name ?? forwarderOrdinal(forwarder), depth + 1);
}

/** The ordinal of a "DLL.#N" forwarder as the loader takes it: IMAGE_ORDINAL, the low 16 bits of N (ReactOS `LdrpSnapThunk`). */
function forwarderOrdinal(forwarder: PeForwarder): number {
  const ordinal = forwarder.ordinal!;
  if (!Number.isFinite(ordinal)) throw new WindowsError(STATUS_PROCEDURE_NOT_FOUND, `forwarder "${forwarder.text}": the ordinal is out of range`);
  return ordinal % 0x1_0000;
}

/** The address one lookup-table entry binds to (LdrpSnapThunk with Static TRUE). */
function snapThunk(ctx: LoadContext, importer: ModuleRecord, exporter: ModuleRecord, table: ExportTable, thunk: PeImportThunk): number {
  const failure = () =>
    thunk.byOrdinal
      ? new WindowsError(STATUS_ORDINAL_NOT_FOUND, `${importer.name} imports ordinal ${thunk.ordinal} from ${exporter.name}, which does not export it`)
      : new WindowsError(STATUS_ENTRYPOINT_NOT_FOUND, `${importer.name} imports "${thunk.name}" from ${exporter.name}, which does not export it`);
  const target = table.target(thunk.byOrdinal ? table.indexOfOrdinal(thunk.ordinal!) : table.indexOfName(thunk.name!, thunk.hint!));
  if (target === null) throw failure();
  if (target.forwarder === null) return exporter.base + target.rva;
  try {
    return forward(ctx, importer, target.forwarder, 0);
  } catch (error) {
    // ReactOS LdrpSnapThunk: a forwarder that cannot be loaded or resolved takes the thunk's failure path.
    if (error instanceof WindowsError) throw failure();
    throw error;
  }
}

/** The range LdrpSnapIAT unprotects: data directory 12, else the section holding the import directory. */
function iatRange(record: ModuleRecord, importRva: number): { rva: number; size: number } {
  const iat = directory(record.pe, IMAGE_DIRECTORY_ENTRY_IAT);
  if (iat !== null) return { rva: iat.virtualAddress, size: iat.size };
  const section = record.pe.sections.find((s) => importRva >= s.virtualAddress && importRva < s.virtualAddress + s.sizeOfRawData);
  if (section === undefined) throw new WindowsError(STATUS_INVALID_IMAGE_FORMAT, `${record.name}: no IAT directory and no section holds the import directory`);
  return { rva: section.virtualAddress, size: section.virtualSize || section.sizeOfRawData };
}

/** Writes into a module's pages as the loader's own stores do: only where the pages are writable or copy-on-write. */
function writeGuest(record: ModuleRecord, address: number, data: Uint8Array, what: string): void {
  const written = ntWriteVirtualMemory(record.process, address, data);
  if (written.status !== STATUS_SUCCESS) {
    throw new WindowsError(STATUS_ACCESS_VIOLATION, `${record.name}: writing ${what} at 0x${address.toString(16)} faulted after ${written.bytes} bytes`, ERROR_NOACCESS);
  }
}

/** Writes one descriptor's addresses into its IAT: unprotect the IAT range, write, restore (LdrpSnapIAT). */
function writeIat(record: ModuleRecord, descriptor: PeImportDescriptor, addresses: readonly number[]): void {
  const size = record.pe.is64 ? 8 : 4;
  const data = new Uint8Array(addresses.length * size);
  const view = new DataView(data.buffer);
  addresses.forEach((address, i) => {
    view.setUint32(i * size, address % 0x1_0000_0000, true);
    if (size === 8) view.setUint32(i * size + 4, Math.floor(address / 0x1_0000_0000), true);
  });
  const range = iatRange(record, directory(record.pe, IMAGE_DIRECTORY_ENTRY_IMPORT)!.virtualAddress);
  const process = record.process;
  const old = virtualProtect(process, record.base + range.rva, range.size, PAGE_READWRITE);
  try {
    writeGuest(record, record.base + descriptor.firstThunk, data, `the IAT of ${descriptor.dllName}`);
  } finally {
    virtualProtect(process, record.base + range.rva, range.size, old);
  }
}

/** Loads each imported DLL and binds its thunks, descriptor by descriptor (LdrpWalkImportDescriptor). */
function bindImports(ctx: LoadContext, record: ModuleRecord): void {
  for (const descriptor of readImports(memoryReader(record), record.pe)) {
    const exporter = reference(ctx, record, dllName(descriptor.dllName));
    const table = exportsOf(exporter);
    if (table === null) throw new WindowsError(STATUS_INVALID_IMAGE_FORMAT, `${record.name} imports from ${exporter.name}, which has no export directory`);
    writeIat(record, descriptor, descriptor.thunks.map((thunk) => snapThunk(ctx, record, exporter, table, thunk)));
  }
}

/** The pointer-sized value at `offset` of `bytes`. */
function readPointer(bytes: Uint8Array, offset: number, is64: boolean): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.getUint32(offset, true) + (is64 ? view.getUint32(offset + 4, true) * 0x1_0000_0000 : 0);
}

/** The report of a module, read from its pages now. */
function snapshot(record: ModuleRecord): LoadedModule {
  const reader = reportReader(record);
  let headerImageBase: number | null = null;
  let tls: ModuleTls | null = null;
  try {
    headerImageBase = readPointer(reader.bytes(record.pe.imageBaseOffset, record.pe.is64 ? 8 : 4, 'ImageBase'), 0, record.pe.is64);
  } catch (error) {
    if (!(error instanceof WindowsError)) throw error;
  }
  try {
    const directory = readTlsDirectory(reader, record.pe, record.base);
    if (directory !== null) tls = Object.freeze({ ...directory, index: record.tlsIndex });
  } catch (error) {
    if (!(error instanceof WindowsError)) throw error;
  }
  return Object.freeze({
    name: record.name,
    base: record.base,
    sizeOfImage: record.pe.sizeOfImage,
    loadCount: record.loadCount,
    entryPoint: record.pe.addressOfEntryPoint === 0 ? 0 : record.base + record.pe.addressOfEntryPoint,
    isDll: record.pe.isDll,
    main: record.main,
    importsResolved: record.resolved,
    runsInitializers: record.initOrder !== 0,
    status: record.status,
    relocated: record.relocated,
    headerImageBase,
    tls,
    dependencies: Object.freeze(record.deps.map((d) => d.name)),
    image: record.pe,
  });
}

/** FreeLibrary's and GetProcAddress's error for a handle that is not a loaded module's base (testGetProcAddress_Wrong). */
function notLoaded(base: unknown): WindowsError {
  const shown = typeof base === 'number' ? `0x${base.toString(16)}` : typeof base;
  return new WindowsError(STATUS_DLL_NOT_FOUND, `${shown} is not the base of a loaded module`);
}

/** Checks the process and gives back the holds of exited processes' modules. */
function begin(process: Process): ModuleList {
  process.kernel.requireLive(process);
  releaseExited(process.kernel);
  return moduleList(process);
}

function load(process: Process, name: unknown, source: unknown, flags: number, main: boolean): LoadLibraryResult {
  const list = begin(process);
  const requested = dllName(name);
  const resolver = resolverOf(requested, source);
  const existing = list.find(requested.key);
  if (existing !== undefined) {
    if (main) throw new WindowsError(STATUS_INVALID_PARAMETER, `${requested.name} is loaded already`, ERROR_INVALID_PARAMETER);
    if (existing.loadCount !== PINNED) existing.loadCount++;
    return Object.freeze({ base: existing.base, module: snapshot(existing), initializationOrder: Object.freeze([]) });
  }
  const ctx: LoadContext = { process, list, resolver, initialized: [] };
  const record = list.transaction(() => loadNew(ctx, requested, main, (flags & DONT_RESOLVE_DLL_REFERENCES) !== 0), unmapModule);
  return Object.freeze({ base: record.base, module: snapshot(record), initializationOrder: Object.freeze(ctx.initialized.map(snapshot)) });
}

/**
 * LoadLibraryEx: the module `name` stands for, loaded if it is not, with its imports.
 * @internal The free function behind {@link Process.loadLibrary}; see there.
 */
export function loadLibrary(process: Process, name: string, source: ModuleSource, flags = 0): LoadLibraryResult {
  const checked = requireFlags(flags);
  return load(process, name, source, checked, false);
}

/**
 * The process's main executable: mapped, its imports loaded and bound, its TLS slot given (slot 0
 * when it is the first), pinned (load count -1). What CreateProcess and LdrInitializeThunk do before
 * the first instruction.
 * @internal The free function behind {@link Process.loadExecutable}; see there.
 */
export function loadExecutable(process: Process, name: string, source: ModuleSource): LoadLibraryResult {
  const list = begin(process);
  if (list.main !== null) throw new WindowsError(STATUS_INVALID_PARAMETER, `the process already has its executable, ${list.main.name}`, ERROR_INVALID_PARAMETER);
  return load(process, name, source, 0, true);
}

/**
 * FreeLibrary: lowers the module's load count; at 0 the module is unloaded, and the references it
 * held on other modules are released in turn. `detach` is called for every module to unload before
 * any is unmapped; when it throws, nothing is unloaded and the counts are put back.
 * @internal The free function behind {@link Process.freeLibrary}; see there.
 */
export function freeLibrary(process: Process, base: number, detach?: (module: LoadedModule) => void): LoadedModule[] {
  const list = begin(process);
  const record = list.atBase(base);
  if (record === undefined) throw notLoaded(base);
  if (detach !== undefined && typeof detach !== 'function') throw new WindowsError(STATUS_INVALID_PARAMETER, 'detach must be a function', ERROR_INVALID_PARAMETER);
  const counts = list.records.map((r) => r.loadCount);
  const unloading: ModuleRecord[] = [];
  const release = (module: ModuleRecord) => {
    if (module.loadCount === PINNED || --module.loadCount > 0) return;
    unloading.push(module);
    for (const dep of module.deps) release(dep);
  };
  release(record);
  // Reverse initialization order (process_detach walks InInitializationOrderModuleList backwards).
  unloading.sort((a, b) => b.initOrder - a.initOrder);
  // Every detach call first, then the unmapping: a detach that throws leaves every module loaded
  // and every load count as it was (its error is the caller's).
  let reports: LoadedModule[];
  try {
    reports = unloading.map(snapshot);
    if (detach !== undefined) for (const report of reports) if (report.runsInitializers) detach(report);
  } catch (error) {
    list.records.forEach((r, i) => (r.loadCount = counts[i]));
    throw error;
  }
  for (const module of unloading) {
    list.records.splice(list.records.indexOf(module), 1);
    if (module.tlsIndex !== null) list.tlsSlots.delete(module.tlsIndex);
    unmapModule(module);
  }
  return reports;
}

/**
 * GetModuleHandle: the base of the module `name` stands for, or of the main executable for null; 0
 * when there is none (a string that names no module, an empty one included). The load count does
 * not change.
 * @internal The free function behind {@link Process.getModuleHandle}; see there.
 */
export function getModuleHandle(process: Process, name: string | null): number {
  const list = begin(process);
  if (name === null) return list.main?.base ?? 0;
  const requested = lookupName(name);
  return requested === null ? 0 : (list.find(requested.key)?.base ?? 0);
}

/**
 * GetProcAddress: the address a name or an ordinal resolves to in a loaded module, forwarders
 * followed (a forwarded-to module not loaded yet is loaded through `source`, and the forwarding
 * module holds a reference on it).
 * @internal The free function behind {@link Process.getProcAddress}; see there.
 */
export function getProcAddress(process: Process, base: number, nameOrOrdinal: string | number, source?: ModuleResolver): number {
  const list = begin(process);
  const record = list.atBase(base);
  if (record === undefined) throw notLoaded(base);
  const key = nameOrOrdinal;
  if (typeof key !== 'string' && !(typeof key === 'number' && Number.isInteger(key) && key >= 0 && key <= 0xffff)) {
    throw new WindowsError(STATUS_INVALID_PARAMETER, `a procedure is a name or an ordinal 0..65535, got ${String(key)}`, ERROR_INVALID_PARAMETER);
  }
  if (source !== undefined && typeof source !== 'function') throw new WindowsError(STATUS_INVALID_PARAMETER, 'the resolver must be a function', ERROR_INVALID_PARAMETER);
  const ctx: LoadContext = { process, list, resolver: source ?? (() => undefined), initialized: [] };
  return list.transaction(() => {
    try {
      return resolveExport(ctx, record, record, key, 0);
    } catch (error) {
      if (error instanceof WindowsError && error.ntStatus !== STATUS_PROCEDURE_NOT_FOUND) {
        throw new WindowsError(STATUS_PROCEDURE_NOT_FOUND, `${record.name}: ${typeof key === 'string' ? `"${key}"` : `ordinal ${key}`} cannot be resolved: ${error.message}`);
      }
      throw error;
    }
  }, unmapModule);
}

/**
 * The process's loaded modules, in load order.
 * @internal The free function behind {@link Process.modules}; see there.
 */
export function modules(process: Process): LoadedModule[] {
  return begin(process).records.map(snapshot);
}
