import { readPte, type PageTableFormat } from '../../mmu/formats/format.js';
import { decodeRiscvPte } from '../../mmu/formats/riscv.js';
import { decodeX86Pte } from '../../mmu/formats/x86.js';
import type { MappingAttributes } from '../../mmu/page-table-builder.js';
import { Perm } from '../../mmu/permissions.js';
import { FRAME_SIZE } from '../../mmu/physical-memory.js';
import { TRANSLATION_CACHE_SLOTS, type TranslationCache } from '../../mmu/translation-cache.js';
import { GLOBAL_ASID, type Tlb } from '../../tlb/tlb.js';
import { imageLayoutBase, type Allocation } from '../records/allocation.js';
import { PAGE_GUARD } from '../rules/constants.js';
import type { Cpu } from '../kernel/cpu.js';
import { InvalidArgumentError } from '../../mmu/errors.js';
import { Kernel } from '../kernel/kernel.js';
import type { Process } from '../kernel/process.js';
import { protectionAccess } from '../rules/protection.js';
import { NO_FRAME, Section } from '../records/section.js';
import { clientIdEntries } from '../objects/client-ids.js';
import type { KernelObject } from '../objects/handle-table.js';
import type { Thread } from '../objects/threads.js';

/**
 * What {@link verify} found wrong:
 * - `'refcount'`: an allocated frame's reference count differs from the references found;
 * - `'leaked-frame'`: a frame is allocated but nothing references it;
 * - `'freed-frame-referenced'`: a free frame is still referenced (mapped, held by a section, or a page table);
 * - `'bad-frame'`: a record names a frame the allocator does not manage;
 * - `'zero-frame'`: the shared zero frame is not all zeros;
 * - `'table-frame-mapped'`: a page-table frame is also mapped as a page or held by a section;
 * - `'record'`: allocation or section records disagree with each other (a frame on an
 *   uncommitted page, a shared view page not mapping its section's frame, a copied view
 *   page mapping the section's frame, a write-watch record on a view or not one 0/1 bit a page,
 *   two sections over one file holding different frames for a page);
 * - `'page-table'`: a table entry points at something that is not one of the process's tables;
 * - `'pte-large-page'`: a leaf maps a page larger than 4 KiB (the kernel maps none);
 * - `'pte-outside-allocation'`: a leaf maps an address no allocation contains;
 * - `'pte-unexpected'`: a leaf is present where the records want none (no frame, not
 *   committed, guard, no access);
 * - `'pte-frame'`: a leaf maps another frame than the records;
 * - `'pte-permission'`: a leaf allows more (write, execute, user) than the records;
 * - `'asid-conflict'`: two live processes have the same ASID;
 * - `'cpu-root'`: a CPU runs a process that has exited, or its MMU's root table or ASID is not its process's;
 * - `'stale-tlb'`: a TLB entry of a live process translates a page its tables no longer map;
 * - `'stale-tlb-frame'`: a TLB entry translates to another frame than the tables;
 * - `'stale-tlb-permission'`: a TLB entry allows a write, fetch or user access the tables no longer allow;
 * - `'stale-translation-cache'`: a CPU's translation cache (see {@link TranslationCache}) holds a
 *   page its running process's tables do not map, map to another frame, or do not allow
 *   the cached write or fetch; or it holds anything while the CPU runs no process;
 * - `'tlb-cpumask'`: a CPU caches entries of a live process outside the process's
 *   shootdown mask (a later shootdown would miss them);
 * - `'commit'`: {@link Kernel.committed} differs from the committed private pages plus
 *   the committed pages of live anonymous sections and the charge of copy-on-write views (B77);
 * - `'view-count'`: a section's view count differs from the views mapping it;
 * - `'section-lifetime'`: a view maps a section the kernel no longer lists, a closed
 *   section without views still exists, or a file cache and the data sections over its
 *   file disagree (a section missing from it, or a cache with no section);
 * - `'handles'`: an object's handle count differs from the handles referring to it in the live
 *   processes' tables, a handle refers to a section the kernel no longer lists, or a name and its
 *   section disagree (a named section without handles keeps its name: B72 says it must go).
 */
export type VerifyProblemKind =
  | 'refcount'
  | 'leaked-frame'
  | 'freed-frame-referenced'
  | 'bad-frame'
  | 'zero-frame'
  | 'table-frame-mapped'
  | 'record'
  | 'page-table'
  | 'pte-large-page'
  | 'pte-outside-allocation'
  | 'pte-unexpected'
  | 'pte-frame'
  | 'pte-permission'
  | 'asid-conflict'
  | 'cpu-root'
  | 'stale-tlb'
  | 'stale-tlb-frame'
  | 'stale-tlb-permission'
  | 'stale-translation-cache'
  | 'tlb-cpumask'
  | 'commit'
  | 'view-count'
  | 'section-lifetime'
  | 'handles';

/** One inconsistency found by {@link verify}. */
export interface VerifyProblem {
  /** What kind of inconsistency (see {@link VerifyProblemKind}). */
  kind: VerifyProblemKind;
  /** A human-readable description with the numbers involved. */
  message: string;
  /** The process concerned, when there is one. */
  pid?: number;
  /** The virtual address concerned, when there is one. */
  address?: number;
  /** The CPU concerned (TLB problems). */
  cpu?: number;
}

/** The rights a leaf entry grants, as the hardware reads them. */
interface LeafRights {
  /** Physical address of the 4 KiB page `va` falls in. */
  pa: number;
  /** log2 of the page size. */
  pageShift: number;
  /** Writes allowed. */
  writable: boolean;
  /** User accesses allowed. */
  user: boolean;
  /** Fetches allowed (always true where the format cannot forbid them). */
  executable: boolean;
}

const hex = (value: number): string => `0x${value.toString(16)}`;

/**
 * Checks that the kernel's records, reference counts, page tables and TLBs
 * agree, and returns every inconsistency found (an empty array when
 * consistent). A debugging tool: it reads every record, every page-table page
 * and every TLB entry (linear in their number), changes nothing, and charges
 * no cycles.
 *
 * What it checks:
 * - **Frames**: every frame's reference count equals the process pages mapping it, plus
 *   the sections holding it, plus 1 per page table it is, plus 1 for the zero frame's
 *   kernel reference; no frame is leaked (allocated, referenced by nothing) or referenced
 *   while free. The zero frame is all zeros.
 * - **Page tables**: every present leaf of every live process lies in an allocation, maps
 *   the frame the records name, and allows no more (write, execute, user) than
 *   {@link AddressSpace.attributes} says (so a write-watched page not written since the last
 *   reset must not be writable: its next write would go unrecorded). A *missing* entry where the records would
 *   allow one is not a problem: the kernel fills entries lazily, and the next fault
 *   writes it (for example after a guard page's guard was cleared).
 * - **CPUs**: a CPU running a process has that process's root table and ASID loaded.
 * - **TLBs**: every valid entry (L1 I, L1 D, L2 of every CPU) of a live process's ASID
 *   (without ASIDs: of the process the CPU runs) translates as that process's tables
 *   do now, with no more write, execute or user rights. Entries of ASIDs no live process
 *   has are unreachable and ignored; so are walk caches.
 * - **Commit**: {@link Kernel.committed} equals the committed pages of private memory plus
 *   the committed pages of live anonymous sections and the charge of copy-on-write views (B77).
 * - **Sections**: each section's view count equals the views mapping it; the data sections over one
 *   file are that file's cache and hold the same frames.
 *
 * @param kernel - the kernel to check.
 * @returns every problem found, in the order checked (frames, page tables, TLBs, commit and sections).
 *
 * @throws {@link InvalidArgumentError} when `kernel` is not a Kernel.
 * @example
 * ```ts
 * const kernel = new Kernel();
 * const p = kernel.createProcess();
 * const base = p.virtualAlloc(0, 0x2000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
 * kernel.run(0, p).mmu.write32(base, 1);
 * verify(kernel);                                 // []: records, page tables and TLBs agree
 * // A bug of the kind verify catches: an entry written behind the kernel's back.
 * p.space.tables.mapPage(0x7000_0000, kernel.zeroFrame * 4096, { user: true });
 * verify(kernel).map((problem) => problem.kind);  // ['pte-outside-allocation']
 * ```
 */
export function verify(kernel: Kernel): VerifyProblem[] {
  if (!(kernel instanceof Kernel)) throw new InvalidArgumentError('kernel must be a Kernel');
  const problems: VerifyProblem[] = [];
  const processes = kernel.processes();
  checkFrames(kernel, processes, problems);
  for (const process of processes) checkPageTables(kernel, process, problems);
  checkTlbs(kernel, processes, problems);
  checkCommitAndSections(kernel, processes, problems);
  checkHandles(kernel, processes, problems);
  return problems;
}

// ------------------------------------------------------------------ frames

function checkFrames(kernel: Kernel, processes: readonly Process[], problems: VerifyProblem[]): void {
  const frames = kernel.frames;
  const first = frames.firstFrame;
  const refs = new Uint32Array(frames.totalCount);
  const isTable = new Uint8Array(frames.totalCount);
  const inPool = (frame: number): boolean => Number.isInteger(frame) && frame >= first && frame < first + frames.totalCount;

  refs[kernel.zeroFrame - first]++;
  refs[kernel.emptyRoot / FRAME_SIZE - first]++;
  for (const process of processes) {
    for (const table of process.space.tables.tables()) {
      const frame = table / FRAME_SIZE;
      if (!inPool(frame)) {
        problems.push({ kind: 'bad-frame', message: `page table at ${hex(table)} of process ${process.pid} is not a managed frame`, pid: process.pid });
        continue;
      }
      refs[frame - first]++;
      isTable[frame - first] = 1;
    }
  }
  const reference = (frame: number, what: () => string, pid?: number, address?: number): void => {
    if (!inPool(frame)) {
      problems.push({ kind: 'bad-frame', message: `${what()} names frame ${hex(frame)}, which the allocator does not manage`, pid, address });
      return;
    }
    refs[frame - first]++;
    if (isTable[frame - first] === 1) {
      problems.push({ kind: 'table-frame-mapped', message: `${what()} uses frame ${hex(frame)}, which is a page table`, pid, address });
    }
  };
  for (const section of kernel.sections()) {
    for (let i = 0; i < section.pageCount; i++) {
      const frame = section.frames[i];
      if (frame === NO_FRAME) continue;
      if (section.committed[i] !== 1) problems.push({ kind: 'record', message: `section ${section.id} page ${i} has frame ${hex(frame)} but is not committed` });
    }
    for (const frame of section.heldFrames()) reference(frame, () => `section ${section.id}`);
  }
  for (const process of processes) {
    for (const allocation of process.regions) {
      const watch = allocation.writeWatch;
      if (watch !== null && (allocation.view !== null || watch.length !== allocation.pageCount || watch.some((bit) => bit > 1))) {
        problems.push({ kind: 'record', message: `process ${process.pid}: the write-watch record of the allocation at ${hex(allocation.base)} is not one 0/1 bit per page of private memory`, pid: process.pid, address: allocation.base });
      }
      for (let i = 0; i < allocation.pageCount; i++) {
        const frame = allocation.frame[i];
        if (frame === NO_FRAME) continue;
        const va = allocation.base + i * FRAME_SIZE;
        reference(frame, () => `process ${process.pid} page ${hex(va)}`, process.pid, va);
        checkPageRecord(process, allocation, i, va, problems);
      }
    }
  }

  const zero = kernel.memory.readBytes(kernel.zeroFrame * FRAME_SIZE, FRAME_SIZE);
  if (zero.some((b) => b !== 0)) problems.push({ kind: 'zero-frame', message: `the zero frame ${hex(kernel.zeroFrame)} holds non-zero bytes` });
  const emptyRoot = kernel.memory.readBytes(kernel.emptyRoot, FRAME_SIZE);
  if (emptyRoot.some((b) => b !== 0)) problems.push({ kind: 'zero-frame', message: `the idle CPUs' empty root table ${hex(kernel.emptyRoot)} holds non-zero bytes` });

  for (let index = 0; index < frames.totalCount; index++) {
    const frame = first + index;
    const count = frames.refCount(frame);
    const expected = refs[index];
    if (count === expected) continue;
    if (count === 0) {
      problems.push({ kind: 'freed-frame-referenced', message: `frame ${hex(frame)} is free but has ${expected} reference(s)` });
    } else if (expected === 0) {
      problems.push({ kind: 'leaked-frame', message: `frame ${hex(frame)} has reference count ${count} but nothing references it` });
    } else {
      problems.push({ kind: 'refcount', message: `frame ${hex(frame)} has reference count ${count}, but ${expected} reference(s) were found` });
    }
  }
}

/** Checks one page's frame against its allocation's other records. */
function checkPageRecord(process: Process, allocation: Allocation, i: number, va: number, problems: VerifyProblem[]): void {
  const frame = allocation.frame[i];
  const pid = process.pid;
  if (!allocation.isCommitted(i)) {
    problems.push({ kind: 'record', message: `process ${pid} page ${hex(va)} has frame ${hex(frame)} but is not committed`, pid, address: va });
  }
  const view = allocation.view;
  if (view === null) return;
  const sectionFrame = view.section.residentFrameForView(view.firstPage + i, imageLayoutBase(allocation));
  if (allocation.copied[i] === 1) {
    if (frame === sectionFrame) {
      problems.push({ kind: 'record', message: `process ${pid} view page ${hex(va)} is marked copied but maps section ${view.section.id}'s frame`, pid, address: va });
    }
  } else if (frame !== sectionFrame) {
    problems.push({
      kind: 'record',
      message: `process ${pid} view page ${hex(va)} maps frame ${hex(frame)}, but section ${view.section.id} holds ${hex(sectionFrame)} there`,
      pid,
      address: va,
    });
  }
}

// ------------------------------------------------------------------ page tables

/** Reads a leaf's rights; null when `entry` at `level` is not a present leaf. */
function leafRights(format: PageTableFormat, entry: bigint, level: number, va: number, nxe: boolean): LeafRights | null {
  const pageShift = format.levels[level].leafShift || 12;
  const offset = va % 2 ** pageShift;
  const inPage = offset - (offset % FRAME_SIZE);
  if (format.architecture === 'x86') {
    const f = decodeX86Pte(entry, format, level);
    if (!f.present) return null;
    const canForbidFetch = format.pteSize === 8 && nxe;
    return { pa: f.address + inPage, pageShift, writable: f.writable, user: f.user, executable: !canForbidFetch || !f.noExecute };
  }
  const f = decodeRiscvPte(entry, format);
  if (!f.valid) return null;
  return { pa: f.address + inPage, pageShift, writable: f.write, user: f.user, executable: f.execute };
}

/** Whether the format can express "no execute" in a leaf. */
function formatForbidsFetch(format: PageTableFormat): boolean {
  return format.architecture === 'riscv' || format.pteSize === 8;
}

/** Why the records want no entry for page `i`. */
function whyNoEntry(kernel: Kernel, allocation: Allocation, i: number): string {
  if (allocation.frame[i] === NO_FRAME) return 'the page has no frame';
  if (!allocation.isCommitted(i)) return 'the page is not committed';
  if ((allocation.protect[i] & PAGE_GUARD) !== 0) return 'the page is a guard page';
  if (protectionAccess(allocation.protect[i]) === 0) return 'the page allows no access';
  return `the records want none (zero frame ${hex(kernel.zeroFrame)})`;
}

/** Walks every table of `process` and checks each present leaf against the records. */
function checkPageTables(kernel: Kernel, process: Process, problems: VerifyProblem[]): void {
  const tables = process.space.tables;
  const format = tables.format;
  const memory = tables.memory;
  const pid = process.pid;
  const own = new Set(tables.tables());
  const visited = new Set<number>();
  const last = format.levels.length - 1;

  const walk = (table: number, level: number, vaBase: number): void => {
    visited.add(table);
    const { indexShift, indexBits } = format.levels[level];
    const span = 2 ** indexShift;
    for (let index = 0; index < 2 ** indexBits; index++) {
      const entryAddress = table + index * format.pteSize;
      const entry = readPte(memory, entryAddress, format);
      if (entry === 0n) continue;
      const va = vaBase + index * span;
      let leaf: boolean;
      let next: number;
      if (format.architecture === 'x86') {
        const f = decodeX86Pte(entry, format, level);
        if (!f.present) continue;
        leaf = level === last || f.pageSize;
        next = f.address;
      } else {
        const f = decodeRiscvPte(entry, format);
        if (!f.valid) continue;
        leaf = f.read || f.write || f.execute;
        next = f.address;
      }
      if (!leaf) {
        if (level === last || !own.has(next) || visited.has(next)) {
          problems.push({ kind: 'page-table', message: `process ${pid}: entry at ${hex(entryAddress)} (level ${level}) points at ${hex(next)}, not an unused table of the process`, pid, address: va });
          continue;
        }
        walk(next, level + 1, va);
        continue;
      }
      if (format.levels[level].leafShift !== 12) {
        problems.push({ kind: 'pte-large-page', message: `process ${pid}: a ${2 ** (format.levels[level].leafShift || indexShift)}-byte page maps ${hex(va)}`, pid, address: va });
        continue;
      }
      checkLeaf(kernel, process, va, leafRights(format, entry, level, va, true)!, problems);
    }
  };
  walk(tables.root, 0, 0);
}

function checkLeaf(kernel: Kernel, process: Process, va: number, rights: LeafRights, problems: VerifyProblem[]): void {
  const pid = process.pid;
  const allocation = process.regions.find(va);
  if (allocation === undefined) {
    problems.push({ kind: 'pte-outside-allocation', message: `process ${pid}: ${hex(va)} is mapped (to ${hex(rights.pa)}) but is in no allocation`, pid, address: va });
    return;
  }
  const i = allocation.pageIndex(va);
  const wanted: MappingAttributes | null = process.space.attributes(allocation, i, kernel.zeroFrame);
  if (wanted === null) {
    problems.push({ kind: 'pte-unexpected', message: `process ${pid}: ${hex(va)} is mapped (to ${hex(rights.pa)}) but ${whyNoEntry(kernel, allocation, i)}`, pid, address: va });
    return;
  }
  const recorded = allocation.frame[i] * FRAME_SIZE;
  if (rights.pa !== recorded) {
    problems.push({ kind: 'pte-frame', message: `process ${pid}: ${hex(va)} maps ${hex(rights.pa)}, but the records say ${hex(recorded)}`, pid, address: va });
  }
  const extra: string[] = [];
  if (rights.writable && wanted.writable !== true) extra.push('write');
  if (rights.executable && wanted.executable !== true && formatForbidsFetch(process.space.tables.format)) extra.push('execute');
  if (rights.user && wanted.user !== true) extra.push('user');
  if (extra.length > 0) {
    problems.push({ kind: 'pte-permission', message: `process ${pid}: the entry for ${hex(va)} allows ${extra.join(', ')}, which the records do not`, pid, address: va });
  }
}

// ------------------------------------------------------------------ TLBs

function checkTlbs(kernel: Kernel, processes: readonly Process[], problems: VerifyProblem[]): void {
  const byAsid = new Map<number, Process>();
  for (const process of processes) {
    const other = byAsid.get(process.asid);
    if (other !== undefined) {
      problems.push({ kind: 'asid-conflict', message: `processes ${other.pid} and ${process.pid} both have ASID ${process.asid}`, pid: process.pid });
    } else {
      byAsid.set(process.asid, process);
    }
  }
  for (const cpu of kernel.cpus) {
    const running = cpu.process;
    if (running !== null) {
      const mmu = cpu.mmu;
      if (running.exited || !processes.includes(running)) {
        problems.push({ kind: 'cpu-root', message: `CPU ${cpu.index} runs process ${running.pid}, which has exited`, pid: running.pid, cpu: cpu.index });
      } else if (mmu.root !== running.space.root || mmu.asid !== running.asid) {
        problems.push({
          kind: 'cpu-root',
          message: `CPU ${cpu.index} runs process ${running.pid} (root ${hex(running.space.root)}, ASID ${running.asid}) but its MMU has root ${hex(mmu.root)}, ASID ${mmu.asid}`,
          pid: running.pid,
          cpu: cpu.index,
        });
      }
    }
    const nxe = cpu.mmu.controls.nxe;
    checkTranslationCache(kernel, cpu, nxe, problems);
    const levels = [cpu.mmu.tlb.l1i, cpu.mmu.tlb.l1d, cpu.mmu.tlb.l2].filter((t): t is Tlb => t !== null);
    for (const tlb of levels) {
      for (const entry of tlb.entries()) {
        const owners = ownersOf(kernel, cpu, entry.asid, byAsid, processes);
        for (const owner of owners) checkTlbEntry(cpu, tlb, owner, entry.va, entry.pageBase, entry.perm, nxe, problems);
      }
    }
  }
}

/**
 * The CPU's translation cache (its current privilege's, the user one on a kernel's CPUs) against
 * the running process's page tables: every cached read, write or fetch must be one the tables
 * map to the same frame and allow.
 */
function checkTranslationCache(kernel: Kernel, cpu: Cpu, nxe: boolean, problems: VerifyProblem[]): void {
  const cache = cpu.mmu.translationCache;
  const fetchCache = cpu.mmu.fetchTranslationCache;
  const kinds = [
    { access: 'read', tags: cache.readTag, addends: cache.dataAddend },
    { access: 'write', tags: cache.writeTag, addends: cache.dataAddend },
    { access: 'fetch', tags: fetchCache.fetchTag, addends: fetchCache.fetchAddend },
  ] as const;
  const running = cpu.process;
  for (let slot = 0; slot < TRANSLATION_CACHE_SLOTS; slot++) {
    for (const { access, tags, addends } of kinds) {
      const va = tags[slot];
      if (va === -1) continue;
      const pa = va + addends[slot] + kernel.memory.ramBase;
      const where = `CPU ${cpu.index} translation cache: ${access} of ${hex(va)} → ${hex(pa)}`;
      if (running === null) {
        problems.push({ kind: 'stale-translation-cache', message: `${where}, but the CPU runs no process`, address: va, cpu: cpu.index });
        continue;
      }
      const tables = running.space.tables;
      let page: ReturnType<typeof tables.lookup>;
      try {
        page = tables.lookup(va);
      } catch {
        page = null;
      }
      const rights = page === null ? null : leafRights(tables.format, page.entry, page.level, va, nxe);
      const wrong =
        rights === null ? 'the page tables map nothing there'
        : rights.pa !== pa ? `the page tables map ${hex(rights.pa)}`
        : access === 'write' && !rights.writable ? 'the page tables do not allow writes'
        : access === 'fetch' && !rights.executable ? 'the page tables do not allow fetches'
        : null;
      if (wrong !== null) problems.push({ kind: 'stale-translation-cache', message: `${where} (process ${running.pid}), but ${wrong}`, pid: running.pid, address: va, cpu: cpu.index });
    }
  }
}

/** The live processes whose accesses on `cpu` could hit an entry tagged `asid`. */
function ownersOf(kernel: Kernel, cpu: Cpu, asid: number, byAsid: ReadonlyMap<number, Process>, processes: readonly Process[]): readonly Process[] {
  if (!kernel.asids) {
    // Without ASIDs every context switch flushes: only the running process can hit.
    const running = cpu.process;
    return running !== null && (asid === running.asid || asid === GLOBAL_ASID) ? [running] : [];
  }
  if (asid === GLOBAL_ASID) return processes;
  const owner = byAsid.get(asid);
  return owner === undefined ? [] : [owner];
}

function checkTlbEntry(cpu: Cpu, tlb: Tlb, process: Process, va: number, pageBase: number, perm: number, nxe: boolean, problems: VerifyProblem[]): void {
  const pid = process.pid;
  const where = `CPU ${cpu.index} ${tlb.name}: entry ${hex(va)} (ASID ${process.asid}, process ${pid})`;
  if (cpu.mmu.asidsEnabled && !process.cpuMask.has(cpu.index)) {
    problems.push({ kind: 'tlb-cpumask', message: `${where} is cached on a CPU outside the process's shootdown mask`, pid, address: va, cpu: cpu.index });
  }
  const tables = process.space.tables;
  let page: ReturnType<typeof tables.lookup>;
  try {
    page = tables.lookup(va);
  } catch {
    page = null;
  }
  if (page === null) {
    problems.push({ kind: 'stale-tlb', message: `${where} translates to ${hex(pageBase)}, but the page tables map nothing there`, pid, address: va, cpu: cpu.index });
    return;
  }
  const rights = leafRights(tables.format, page.entry, page.level, va, nxe);
  if (rights === null) return;
  if (rights.pa !== pageBase) {
    problems.push({ kind: 'stale-tlb-frame', message: `${where} translates to ${hex(pageBase)}, but the page tables map ${hex(rights.pa)}`, pid, address: va, cpu: cpu.index });
  }
  const extra: string[] = [];
  if ((perm & Perm.Write) !== 0 && !rights.writable) extra.push('write');
  if ((perm & Perm.Execute) !== 0 && !rights.executable) extra.push('execute');
  if ((perm & Perm.User) !== 0 && !rights.user) extra.push('user');
  if (extra.length > 0) {
    problems.push({ kind: 'stale-tlb-permission', message: `${where} allows ${extra.join(', ')}, which the page tables no longer do`, pid, address: va, cpu: cpu.index });
  }
}

// ------------------------------------------------------------------ commit, sections

function checkCommitAndSections(kernel: Kernel, processes: readonly Process[], problems: VerifyProblem[]): void {
  const live = new Set<Section>(kernel.sections());
  const views = new Map<Section, number>();
  let committed = 0;
  for (const process of processes) {
    for (const allocation of process.regions) {
      const view = allocation.view;
      if (view === null) {
        for (let i = 0; i < allocation.pageCount; i++) committed += allocation.committed[i];
        continue;
      }
      committed += view.commitCharge ?? 0; // B77: a copy-on-write view's charge
      views.set(view.section, (views.get(view.section) ?? 0) + 1);
      if (!live.has(view.section)) {
        problems.push({ kind: 'section-lifetime', message: `process ${process.pid}: the view at ${hex(allocation.base)} maps section ${view.section.id}, which no longer exists`, pid: process.pid, address: allocation.base });
      }
    }
  }
  for (const section of live) {
    if (section.file === null) committed += kernel.sectionCharge(section);
    const found = views.get(section) ?? 0;
    if (section.viewCount !== found) {
      problems.push({ kind: 'view-count', message: `section ${section.id} counts ${section.viewCount} view(s), but ${found} map it` });
    }
    if (!section.open && found === 0) {
      problems.push({ kind: 'section-lifetime', message: `section ${section.id} is closed and unmapped but still exists` });
    }
  }
  for (const [section, found] of views) {
    if (!live.has(section) && section.viewCount !== found) {
      problems.push({ kind: 'view-count', message: `section ${section.id} counts ${section.viewCount} view(s), but ${found} map it` });
    }
  }
  if (kernel.committed !== committed) {
    problems.push({ kind: 'commit', message: `the kernel counts ${kernel.committed} committed page(s), but private memory and anonymous sections hold ${committed}` });
  }
  checkFileCaches(kernel, live, problems);
}

/** Every live data section over a file is in that file's cache, and the sections over one file hold the same frames. */
function checkFileCaches(kernel: Kernel, live: ReadonlySet<Section>, problems: VerifyProblem[]): void {
  const cached = new Set<Section>();
  for (const cache of kernel.fileCaches()) {
    const widest = cache.widest();
    if (widest === null) problems.push({ kind: 'section-lifetime', message: 'a file cache outlived the last section over its file' });
    for (const section of cache.sections) {
      cached.add(section);
      if (!live.has(section) || section.cache !== cache || section.file !== cache.file) {
        problems.push({ kind: 'section-lifetime', message: `section ${section.id} is in a file cache it does not belong to` });
      }
      for (let i = 0; widest !== null && i < section.pageCount; i++) {
        if (section.frames[i] !== widest.frames[i]) {
          problems.push({ kind: 'record', message: `sections ${section.id} and ${widest.id} are over one file but hold different frames for page ${i}` });
        }
      }
    }
  }
  for (const section of live) {
    if (section.file !== null && section.image === null && !cached.has(section)) {
      problems.push({ kind: 'section-lifetime', message: `section ${section.id} is over a file but not in its file cache` });
    }
  }
}

// ------------------------------------------------------------------ handles and names

function checkHandles(kernel: Kernel, processes: readonly Process[], problems: VerifyProblem[]): void {
  const live = new Set<Section>(kernel.sections());
  const counted = new Map<object, number>();
  for (const process of processes) {
    for (const [handle, entry] of process.handles.entries()) {
      counted.set(entry.object, (counted.get(entry.object) ?? 0) + 1);
      if (entry.object instanceof Section && !live.has(entry.object)) {
        problems.push({ kind: 'handles', message: `process ${process.pid} handle ${handle} refers to section ${entry.object.id}, which no longer exists`, pid: process.pid });
      }
    }
  }
  for (const [object, found] of counted) {
    const count = (object as { handleCount: number }).handleCount;
    if (count !== found) problems.push({ kind: 'handles', message: `an object counts ${count} handle(s), but ${found} refer to it` });
  }
  for (const section of live) {
    if (section.handleCount !== (counted.get(section) ?? 0)) problems.push({ kind: 'handles', message: `section ${section.id} counts ${section.handleCount} handle(s), but ${counted.get(section) ?? 0} refer to it` });
    if (section.name !== null && (kernel.objectNames.lookup(section.name) !== section || section.handleCount === 0)) {
      problems.push({ kind: 'handles', message: `section ${section.id} keeps the name ${section.name} without a handle, or the namespace names another section` });
    }
  }
  for (const [path, section] of kernel.objectNames.entries()) {
    if (!live.has(section) || section.name !== path) problems.push({ kind: 'handles', message: `the name ${path} refers to a section that does not exist or has another name` });
  }
  checkClientIds(kernel, processes, counted, problems);
}

/**
 * The client-id table against the processes, threads and handles: every live process and thread is known by its
 * id; an exited one only while a handle refers to it; every process or thread a handle refers to is still known;
 * and each one's handle count is the number of handles to it.
 */
function checkClientIds(kernel: Kernel, processes: readonly Process[], counted: ReadonlyMap<object, number>, problems: VerifyProblem[]): void {
  const ids = clientIdEntries(kernel);
  for (const process of processes) {
    if (ids.processes.get(process.pid) !== process) problems.push({ kind: 'handles', message: `live process ${process.pid} is not known by its id`, pid: process.pid });
    for (const thread of process.threads()) {
      if (ids.threads.get(thread.id) !== thread) problems.push({ kind: 'handles', message: `live thread ${thread.id} of process ${process.pid} is not known by its id`, pid: process.pid });
    }
  }
  const known: Array<Process | Thread> = [...ids.processes.values(), ...ids.threads.values()];
  for (const object of known) {
    const name = object.objectType === 'Process' ? `process ${object.pid}` : `thread ${object.id}`;
    const found = counted.get(object) ?? 0;
    if (object.handleCount !== found) problems.push({ kind: 'handles', message: `${name} counts ${object.handleCount} handle(s), but ${found} refer to it` });
    if (object.exited && object.handleCount === 0) problems.push({ kind: 'handles', message: `${name} exited with no handle left, but its id is still taken` });
  }
  for (const object of counted.keys()) {
    const type = (object as KernelObject).objectType;
    if (type === 'Process' && ids.processes.get((object as Process).pid) !== object) problems.push({ kind: 'handles', message: `a handle refers to process ${(object as Process).pid}, which its id no longer names` });
    if (type === 'Thread' && ids.threads.get((object as Thread).id) !== object) problems.push({ kind: 'handles', message: `a handle refers to thread ${(object as Thread).id}, which its id no longer names` });
  }
}
