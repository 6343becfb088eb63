/**
 * The loader's per-process module list (the PEB's loader data): one record per loaded image, its
 * load count and the modules it holds references on, the process's TLS slots, the name rules
 * LoadLibrary and GetModuleHandle compare by, and the image-section holds the loader keeps while a
 * module is loaded. The calls that change it are in [modules.ts](./modules.ts).
 *
 * Sources: Microsoft's LoadLibraryExW and GetModuleHandleW pages (".dll" appended to a name without
 * an extension unless it ends with "."), kernel32 tests testLoadLibraryA (trailing spaces ignored,
 * case ignored), Wine ntdll `LdrGetDllHandle` (the base name compared case-insensitively).
 * @module
 */
import { ERROR_INVALID_PARAMETER, STATUS_DLL_NOT_FOUND, STATUS_INVALID_PARAMETER } from '../rules/constants.js';
import { WindowsError } from '../rules/errors.js';
import type { PeImage, PeDataDirectory } from '../image/pe-parser.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Process } from '../kernel/process.js';
import type { Section } from '../records/section.js';

/** The load count of the main executable: pinned, never unloaded by FreeLibrary. */
export const PINNED = -1;

/** A DLL name as the loader compares it: the base name, ".dll" appended when it has no extension. */
export interface DllName {
  /** The name passed to the resolver and recorded for the module (its case kept). */
  readonly name: string;
  /** The comparison key: the name in upper case (RtlEqualUnicodeString with CaseInSensitive). */
  readonly key: string;
}

/**
 * The name LoadLibrary, GetModuleHandle and the import descriptors look a module up by: trailing
 * spaces dropped, the base name after the last `\` or `/` (mmukit has no file system, so a module's
 * only name is its base name), ".dll" appended when the name has no dot, and a trailing "." (the
 * way to say "no extension") dropped; null when nothing is left (empty, spaces, ".", a directory).
 * @throws {@link WindowsError} STATUS_INVALID_PARAMETER / ERROR_INVALID_PARAMETER for a name that is not a string.
 */
export function lookupName(raw: unknown): DllName | null {
  if (typeof raw !== 'string') throw new WindowsError(STATUS_INVALID_PARAMETER, `a module name must be a string, got ${typeof raw}`, ERROR_INVALID_PARAMETER);
  let name = raw.replace(/ +$/, '');
  name = name.slice(Math.max(name.lastIndexOf('\\'), name.lastIndexOf('/')) + 1);
  if (name.endsWith('.')) name = name.slice(0, -1);
  else if (name.length > 0 && !name.includes('.')) name += '.dll';
  return name.length === 0 ? null : { name, key: name.toUpperCase() };
}

/**
 * {@link lookupName} for a module to load: a name that names no module cannot be found.
 * @throws {@link WindowsError} STATUS_INVALID_PARAMETER for a name that is not a string;
 *   STATUS_DLL_NOT_FOUND / ERROR_MOD_NOT_FOUND for one that names no module.
 */
export function dllName(raw: unknown): DllName {
  const name = lookupName(raw);
  if (name === null) throw new WindowsError(STATUS_DLL_NOT_FOUND, `${JSON.stringify(raw)} names no module`);
  return name;
}

/** One loaded module (LDR_DATA_TABLE_ENTRY), mutable while its process runs. */
export interface ModuleRecord {
  readonly process: Process;
  /** The base name it was loaded by. */
  readonly name: string;
  /** {@link DllName.key}. */
  readonly key: string;
  /** Where its image view is: the HMODULE. */
  readonly base: number;
  readonly pe: PeImage;
  readonly section: Section;
  /** The mapping's status: STATUS_SUCCESS or STATUS_IMAGE_NOT_AT_BASE. */
  readonly status: number;
  /** Whether the mapping's fixups were applied (LoadedImage.relocated). */
  readonly relocated: boolean;
  /** LoadLibrary calls plus references held by other modules; {@link PINNED} for the main executable. */
  loadCount: number;
  /** The modules this one holds one reference each on: its static imports and the targets of forwarders it was bound through. */
  deps: ModuleRecord[];
  /** The process's main executable. */
  readonly main: boolean;
  /** Whether its imports were bound (false for DONT_RESOLVE_DLL_REFERENCES and for an EXE loaded by LoadLibrary). */
  resolved: boolean;
  /** Its place in the initialization order (1, 2, …), 0 when it is never initialized. */
  initOrder: number;
  /** Its TLS slot, or null. */
  tlsIndex: number | null;
}

/** A process's modules, in load order, and its TLS slots. */
export class ModuleList {
  records: ModuleRecord[] = [];
  readonly tlsSlots = new Set<number>();
  main: ModuleRecord | null = null;
  /** The last initialization-order number given out. */
  sequence = 0;

  /** The module loaded under `key`, or undefined. */
  find(key: string): ModuleRecord | undefined {
    return this.records.find((r) => r.key === key);
  }

  /** The module whose base is `base`, or undefined. */
  atBase(base: number): ModuleRecord | undefined {
    return this.records.find((r) => r.base === base);
  }

  /** The lowest free TLS slot, taken. */
  takeTlsSlot(): number {
    let slot = 0;
    while (this.tlsSlots.has(slot)) slot++;
    this.tlsSlots.add(slot);
    return slot;
  }

  /**
   * Runs `body`; when it throws, puts the list back as it was (counts, references, TLS slots, order)
   * and unmaps every module `body` mapped, with `unmap`, newest first.
   */
  transaction<T>(body: () => T, unmap: (record: ModuleRecord) => void): T {
    const records = [...this.records];
    const state = records.map((r) => ({ loadCount: r.loadCount, deps: [...r.deps], resolved: r.resolved, initOrder: r.initOrder, tlsIndex: r.tlsIndex }));
    const tlsSlots = [...this.tlsSlots];
    const { main, sequence } = this;
    try {
      return body();
    } catch (error) {
      for (const record of [...this.records].reverse()) if (!records.includes(record)) unmap(record);
      this.records = records;
      records.forEach((r, i) => Object.assign(r, state[i]));
      this.tlsSlots.clear();
      for (const slot of tlsSlots) this.tlsSlots.add(slot);
      this.main = main;
      this.sequence = sequence;
      throw error;
    }
  }
}

/** The module list of `process` (made empty on first use). */
export function moduleList(process: Process): ModuleList {
  return (process.moduleList ??= new ModuleList());
}

/** Whether `process` has a module list with modules in it. */
export function hasModules(process: Process): boolean {
  return (process.moduleList?.records.length ?? 0) > 0;
}

/**
 * The image sections loaded modules map, per kernel, with the modules mapping each. LoadLibrary
 * closes its section handle once the view is mapped; mmukit keeps the creator's hold on a section it
 * opened for as long as a module maps it, so that the next load of the same bytes, in any process,
 * finds the same section (and its shared pages) through the kernel's image-section cache.
 */
const holds = new WeakMap<Kernel, Map<Section, Set<ModuleRecord>>>();

/** @internal The loader's holds of `kernel` (made empty on first use): what a kernel snapshot keeps of them. */
export function loaderHolds(kernel: Kernel): Map<Section, Set<ModuleRecord>> {
  return holdsOf(kernel);
}

function holdsOf(kernel: Kernel): Map<Section, Set<ModuleRecord>> {
  let table = holds.get(kernel);
  if (table === undefined) {
    table = new Map();
    holds.set(kernel, table);
  }
  return table;
}

/** Takes the creator's hold on `section` for the loader unless someone holds it already; returns whether it did. */
export function holdSection(kernel: Kernel, section: Section): void {
  const table = holdsOf(kernel);
  if (table.has(section)) return;
  table.set(section, new Set());
  if (!section.creatorHolds) {
    section.creatorHolds = true;
    section.loaderHeld = true;
  }
}

/** Records that `record` maps its section. */
export function addHolder(kernel: Kernel, record: ModuleRecord): void {
  holdsOf(kernel).get(record.section)?.add(record);
}

/** Drops `record`'s use of `section` (null record: none was made); the last use gives the loader's hold back. */
export function releaseSection(kernel: Kernel, section: Section, record: ModuleRecord | null): void {
  const table = holdsOf(kernel);
  const holders = table.get(section);
  if (holders === undefined) return;
  if (record !== null) holders.delete(record);
  if (holders.size > 0) return;
  table.delete(section);
  if (section.loaderHeld) {
    section.loaderHeld = false;
    if (section.creatorHolds) kernel.closeSection(section);
  }
}

/** Gives back the holds of modules of exited processes (their views are gone with the process). */
export function releaseExited(kernel: Kernel): void {
  for (const [section, holders] of [...holdsOf(kernel)]) {
    for (const record of [...holders]) if (record.process.exited) releaseSection(kernel, section, record);
  }
}

/** Forgets the modules of `process` and gives back their section holds (for Process.exit, after its views are gone). */
export function forgetModules(process: Process): void {
  const list = process.moduleList;
  if (list === null) return;
  for (const record of list.records) releaseSection(process.kernel, record.section, record);
  process.moduleList = null;
}

/** Data directory `index` when present and not empty, else null. */
export function directory(pe: PeImage, index: number): PeDataDirectory | null {
  const dir = pe.dataDirectories[index];
  return dir !== undefined && dir.virtualAddress !== 0 && dir.size !== 0 ? dir : null;
}
