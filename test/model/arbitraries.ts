/**
 * fast-check generators of operation sequences, weighted towards what finds
 * bugs: accesses and protection changes on the allocations that exist, with
 * enough sections, views, images, forks and context switches mixed in to
 * reach the shared and copy-on-write paths on several CPUs.
 */
import fc from 'fast-check';
import type { RunConfig } from './configs.js';
import {
  AT_ROUND_TO_PAGE,
  CURRENT_PROCESS_HANDLE,
  CURRENT_THREAD_HANDLE,
  DUPLICATE_CLOSE_SOURCE,
  DUPLICATE_SAME_ACCESS,
  DUPLICATE_SAME_ATTRIBUTES,
  FILE_MAP_ALL_ACCESS,
  FILE_MAP_COPY,
  FILE_MAP_EXECUTE,
  FILE_MAP_READ,
  FILE_MAP_WRITE,
  FILE_READ_DATA,
  GENERIC_ALL,
  GENERIC_EXECUTE,
  GENERIC_READ,
  GENERIC_WRITE,
  HANDLE_FLAG_INHERIT,
  HANDLE_FLAG_PROTECT_FROM_CLOSE,
  MAP_PROCESS,
  MAP_SYSTEM,
  MEM_COMMIT,
  MEM_DECOMMIT,
  MEM_LARGE_PAGES,
  MEM_PHYSICAL,
  MEM_RELEASE,
  MEM_RESERVE,
  MEM_RESET,
  MEM_TOP_DOWN,
  MEM_WRITE_WATCH,
  MEMORY_CLASS_BASIC,
  MEMORY_CLASS_IMAGE,
  MEMORY_CLASS_REGION,
  OBJ_INHERIT,
  OBJ_OPENIF,
  PAGE,
  PAGE_EXECUTE,
  PAGE_EXECUTE_READ,
  PAGE_EXECUTE_READWRITE,
  PAGE_EXECUTE_WRITECOPY,
  PAGE_GUARD,
  PAGE_NOACCESS,
  PAGE_READONLY,
  PAGE_READWRITE,
  PAGE_WRITECOPY,
  PROCESS_ALL_ACCESS,
  PROCESS_DUP_HANDLE,
  PROCESS_QUERY_INFORMATION,
  PROCESS_QUERY_LIMITED_INFORMATION,
  PROCESS_VM_OPERATION,
  PROCESS_VM_READ,
  PROCESS_VM_WRITE,
  SEC_COMMIT,
  SEC_RESERVE,
  SECTION_ALL_ACCESS,
  SECTION_MAP_EXECUTE,
  SECTION_MAP_READ,
  SECTION_MAP_WRITE,
  SECTION_QUERY,
  THREAD_ALL_ACCESS,
  THREAD_QUERY_INFORMATION,
  THREAD_QUERY_LIMITED_INFORMATION,
  THREAD_SET_INFORMATION,
  VIEW_SHARE,
  VIEW_UNMAP,
  WRITE_WATCH_FLAG_RESET,
} from './model-constants.js';
import { CREATE_REMOTE_THREAD_ACCESS } from './model-objects.js';
import { EXITED_CALLS, PAST_THE_END, type ClientRef, type HandleRef, type ImageName, type ObjectRef, type Op, type Where } from './ops.js';

function weighted<T>(choices: ReadonlyArray<readonly [T, number]>): fc.Arbitrary<T> {
  return fc.oneof(...choices.map(([value, weight]) => ({ arbitrary: fc.constant(value), weight })));
}

/** Page protections, valid ones first; the invalid ones check the error paths (B10–B14, MS-GUARD). */
const protection = weighted([
  [PAGE_READWRITE, 16],
  [PAGE_READONLY, 5],
  [PAGE_NOACCESS, 3],
  [PAGE_EXECUTE_READ, 3],
  [PAGE_EXECUTE_READWRITE, 3],
  [PAGE_EXECUTE, 1],
  [PAGE_READWRITE | PAGE_GUARD, 4],
  [PAGE_READONLY | PAGE_GUARD, 1],
  [PAGE_EXECUTE_READ | PAGE_GUARD, 1],
  [PAGE_WRITECOPY, 3], // views only
  [PAGE_EXECUTE_WRITECOPY, 1], // views only
  [PAGE_WRITECOPY | PAGE_GUARD, 1],
  [0, 1], // no base value
  [PAGE_READONLY | PAGE_READWRITE, 1], // two base values
  [PAGE_NOACCESS | PAGE_GUARD, 1], // guard needs access
]);

const sectionProtection = weighted([
  [PAGE_READWRITE, 8],
  [PAGE_READONLY, 2],
  [PAGE_WRITECOPY, 2],
  [PAGE_EXECUTE_READ, 1],
  [PAGE_EXECUTE_READWRITE, 2],
  [PAGE_EXECUTE_WRITECOPY, 1],
  [PAGE_NOACCESS, 1], // invalid for sections (B60)
  [PAGE_EXECUTE, 1], // invalid for sections (B60)
]);

const viewAccess = weighted([
  [FILE_MAP_WRITE, 8],
  [FILE_MAP_READ, 4],
  [FILE_MAP_COPY, 6],
  [FILE_MAP_WRITE | FILE_MAP_COPY, 1], // COPY ignored with WRITE (B74)
  [FILE_MAP_READ | FILE_MAP_COPY, 1],
  [0, 1], // a NOACCESS view (B67)
  [FILE_MAP_EXECUTE | FILE_MAP_READ, 1],
  [FILE_MAP_EXECUTE | FILE_MAP_WRITE, 1],
  [FILE_MAP_EXECUTE | FILE_MAP_COPY, 1],
]);

/** Byte counts covering 1..20 pages, exactly or a little short (rounding, B18). */
const pagesOfBytes = fc
  .tuple(fc.integer({ min: 1, max: 20 }), weighted([[0, 6], [1, 1], [PAGE - 1, 1]]))
  .map(([pages, short]) => pages * PAGE - short);

/** Mostly a page or a few: ranges for protect and decommit that stay inside an allocation. */
const fewPagesOfBytes = fc.oneof(
  { arbitrary: fc.tuple(fc.integer({ min: 1, max: 4 }), weighted([[0, 6], [1, 1], [PAGE - 1, 1]])).map(([pages, short]) => pages * PAGE - short), weight: 4 },
  { arbitrary: pagesOfBytes, weight: 1 },
);

/** VirtualLock's and NtLockVirtualMemory's sizes; the unlocks' (a page, mostly); the flushes' (0: to the view's end). */
const lockBytes = fc.oneof({ arbitrary: fewPagesOfBytes, weight: 6 }, { arbitrary: fc.constant(0), weight: 1 });
const unlockBytes = fc.oneof({ arbitrary: fc.constantFrom(1, PAGE), weight: 4 }, { arbitrary: fewPagesOfBytes, weight: 3 }, { arbitrary: fc.constant(0), weight: 1 });
const flushBytes = fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, { arbitrary: fewPagesOfBytes, weight: 3 }, { arbitrary: pagesOfBytes, weight: 1 });

const offsetInPage = fc.oneof(
  { arbitrary: fc.constant(0), weight: 6 },
  { arbitrary: fc.integer({ min: 0, max: PAGE - 1 }), weight: 3 },
  { arbitrary: fc.constantFrom(PAGE - 4, PAGE - 2, PAGE - 8, PAGE - 1), weight: 2 },
);

/** A page inside the allocation (modulo its size), or the page before it (-1), or the one after it (PAST_THE_END). */
const pageInAllocation = fc.oneof(
  { arbitrary: fc.nat(24), weight: 10 },
  { arbitrary: fc.constant(-1), weight: 1 },
  { arbitrary: fc.constant(PAST_THE_END), weight: 1 },
);

function whereIn(config: RunConfig): fc.Arbitrary<Where> {
  const top = config.userTop;
  return fc.oneof(
    { arbitrary: fc.record({ at: fc.constant('alloc' as const), index: fc.nat(7), page: pageInAllocation, offset: offsetInPage }), weight: 14 },
    { arbitrary: fc.record({ at: fc.constant('alloc' as const), index: fc.nat(7), page: fc.constant(0), offset: fc.constant(0) }), weight: 6 },
    { arbitrary: fc.record({ at: fc.constant('image' as const), image: fc.constantFrom(...config.images) }), weight: 1 },
    {
      arbitrary: fc.record({
        at: fc.constant('fixed' as const),
        address: fc.constantFrom(0, 0x1000, 0x10000, 0x20000, 0x30000, 0x400000, 0x7ffe0000, top - 0x10000, top - 1, top, top + 0x1000),
      }),
      weight: 2,
    },
  );
}

/** NtAllocateVirtualMemory's AllocationType: the Win32 combinations, then one error of B16, B21 or the NT mask each. */
const ntAllocationType = weighted([
  [MEM_RESERVE | MEM_COMMIT, 5],
  [MEM_RESERVE, 2],
  [MEM_COMMIT, 4],
  [MEM_RESERVE | MEM_COMMIT | MEM_TOP_DOWN, 2],
  [MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH, 1],
  [MEM_RESET, 1],
  [MEM_RESERVE | MEM_COMMIT | AT_ROUND_TO_PAGE, 1], // B16: STATUS_INVALID_PARAMETER_5
  [MEM_RESERVE | MEM_PHYSICAL, 1], // B16: outside the NT mask
  [MEM_COMMIT | MEM_WRITE_WATCH, 1], // B21
  [MEM_COMMIT | MEM_RESET, 1],
  [MEM_TOP_DOWN, 1], // no action
]);

/**
 * ZeroBits (B20): mostly none; bounds that leave room, little room or none (16 and up: nothing fits
 * above 0x10000); invalid values; on 64-bit, masks.
 */
function zeroBitsOf(config: RunConfig): fc.Arbitrary<number> {
  const masks = config.userTop > 2 ** 32 ? [{ arbitrary: fc.constantFrom(0xffff_ffff, 0x7fff_ffff, 2 ** 40 - 1), weight: 1 }] : [];
  return fc.oneof(
    { arbitrary: fc.constant(0), weight: 12 },
    { arbitrary: fc.constantFrom(1, 4, 8, 12, 15, 16, 20, 21), weight: 4 },
    { arbitrary: fc.constantFrom(22, 31), weight: 1 },
    ...masks,
  );
}

/** NtMapViewOfSection's protection for a data section: views of every kind, those the section may refuse (B64), malformed ones. */
const ntMapProtection = weighted([
  [PAGE_READWRITE, 6],
  [PAGE_READONLY, 3],
  [PAGE_WRITECOPY, 4], // charged commit (B77)
  [PAGE_EXECUTE_WRITECOPY, 2],
  [PAGE_EXECUTE_READ, 1],
  [PAGE_EXECUTE_READWRITE, 1],
  [PAGE_NOACCESS, 1],
  [PAGE_EXECUTE, 1],
  [PAGE_READWRITE | PAGE_GUARD, 1],
  [PAGE_WRITECOPY | PAGE_GUARD, 1], // charged commit too (B77; regressions.test.ts)
  [0, 1], // malformed
  [PAGE_READONLY | PAGE_READWRITE, 1],
]);

/** NtLockVirtualMemory's MapType: MAP_PROCESS, MAP_SYSTEM (no privilege), both, neither, an unknown bit. */
const mapType = weighted([[MAP_PROCESS, 12], [MAP_SYSTEM, 1], [MAP_PROCESS | MAP_SYSTEM, 1], [0, 1], [4, 1]]);

/** Mostly the first live process or two, so that their allocations pile up and get reused. */
const proc = fc.oneof({ arbitrary: fc.constant(0), weight: 6 }, { arbitrary: fc.constant(1), weight: 3 }, { arbitrary: fc.nat(7), weight: 2 });

/** Mostly null (let the kernel choose), sometimes an explicit address. */
const maybe = <T>(arbitrary: fc.Arbitrary<T>, explicitWeight: number) =>
  fc.oneof({ arbitrary: fc.constant(null), weight: 10 - explicitWeight }, { arbitrary, weight: explicitWeight });

/** Two flags together (JavaScript's | makes GENERIC_READ | GENERIC_WRITE negative; the calls take DWORDs). */
const both = (a: number, b: number) => (a | b) >>> 0;

/**
 * A handle of the process: mostly an open one (the runner picks it), sometimes with tag bits set
 * (ignored), sometimes a value that is not open: 0, 3 (tag bits alone), one never given out.
 */
const handleRef: fc.Arbitrary<HandleRef> = fc.oneof(
  { arbitrary: fc.record({ open: fc.nat(7), tag: fc.constant(0) }), weight: 12 },
  { arbitrary: fc.record({ open: fc.nat(7), tag: fc.integer({ min: 1, max: 3 }) }), weight: 2 },
  { arbitrary: fc.record({ value: fc.constantFrom(0, 3, 0x400) }), weight: 1 },
);
/** CloseHandle's: also the pseudo-handles, which close nothing. */
const closeRef: fc.Arbitrary<HandleRef> = fc.oneof({ arbitrary: handleRef, weight: 12 }, { arbitrary: fc.constantFrom({ value: CURRENT_PROCESS_HANDLE }, { value: CURRENT_THREAD_HANDLE }), weight: 1 });
/** DuplicateHandle's: also the pseudo-handles, which duplicate into real handles to what they stand for. */
const dupRef: fc.Arbitrary<HandleRef> = fc.oneof({ arbitrary: handleRef, weight: 12 }, { arbitrary: fc.constantFrom({ value: CURRENT_PROCESS_HANDLE }, { value: CURRENT_THREAD_HANDLE }), weight: 1 });

/**
 * OpenProcess's access: the rights the calls through a handle need (PROCESS_VM_OPERATION, _VM_READ,
 * _VM_WRITE, _QUERY_LIMITED_INFORMATION or _QUERY_INFORMATION, which implies it, _DUP_HANDLE,
 * CreateRemoteThread's), alone and together; GENERIC_* through the Process mapping; none; a bit
 * outside the type's mask (dropped).
 */
const processDesiredAccess = weighted([
  [PROCESS_ALL_ACCESS, 5],
  [PROCESS_VM_OPERATION, 2],
  [PROCESS_VM_OPERATION | PROCESS_VM_READ | PROCESS_VM_WRITE, 3],
  [PROCESS_VM_READ, 1],
  [PROCESS_VM_WRITE, 1],
  [PROCESS_VM_WRITE | PROCESS_VM_OPERATION, 1],
  [PROCESS_QUERY_INFORMATION, 1],
  [PROCESS_QUERY_LIMITED_INFORMATION | PROCESS_VM_OPERATION, 1],
  [PROCESS_DUP_HANDLE, 2],
  [CREATE_REMOTE_THREAD_ACCESS, 1],
  [GENERIC_READ, 1],
  [GENERIC_WRITE, 1],
  [GENERIC_EXECUTE, 1],
  [GENERIC_ALL, 1],
  [0, 1],
  [0x0020_0000 | PROCESS_VM_READ, 1],
]);
/** OpenThread's: THREAD_QUERY_INFORMATION and THREAD_SET_INFORMATION imply their limited forms. */
const threadDesiredAccess = weighted([
  [THREAD_ALL_ACCESS, 3],
  [THREAD_QUERY_LIMITED_INFORMATION, 2],
  [THREAD_QUERY_INFORMATION, 1],
  [THREAD_SET_INFORMATION, 1],
  [GENERIC_READ, 1],
  [GENERIC_EXECUTE, 1],
  [both(GENERIC_WRITE, GENERIC_ALL), 1],
  [0, 1],
]);

/**
 * A process (or thread) handle of the caller: mostly one it holds (naming a live object mostly);
 * GetCurrentProcess(); now and then GetCurrentThread(), a handle of another type, a value not open.
 */
const objectRef: fc.Arbitrary<ObjectRef> = fc.oneof(
  { arbitrary: fc.record({ of: fc.nat(7), exited: weighted([[false, 5], [true, 1]]) }), weight: 12 },
  { arbitrary: fc.constant({ pseudo: 'process' as const }), weight: 3 },
  { arbitrary: fc.constant({ pseudo: 'thread' as const }), weight: 1 },
  { arbitrary: fc.record({ other: fc.nat(7) }), weight: 1 },
  { arbitrary: fc.record({ value: fc.constantFrom(0, 0x400) }), weight: 1 },
);

/** An id for OpenProcess or OpenThread: mostly a live one; an exited one; one of the other kind; one never given out; 0. */
const clientRef: fc.Arbitrary<ClientRef> = fc.oneof(
  { arbitrary: fc.record({ live: fc.nat(7) }), weight: 8 },
  { arbitrary: fc.record({ exited: fc.nat(7) }), weight: 3 },
  { arbitrary: fc.record({ other: fc.nat(7) }), weight: 1 },
  { arbitrary: fc.record({ unused: fc.constantFrom(0, 1, 1000) }), weight: 1 },
  { arbitrary: fc.constant({ id: 0 }), weight: 1 },
);

/** Names: case-sensitive, `Local\` the plain namespace, `Global\` another. */
const objectName = weighted([['map', 6], ['Map', 2], ['Local\\map', 3], ['Global\\map', 2], ['other', 3], ['Local\\other', 1]]);
/** Names a section cannot have: empty (STATUS_OBJECT_NAME_INVALID), or a backslash that is no namespace's (STATUS_OBJECT_PATH_NOT_FOUND; the prefixes are case-sensitive). */
const badName = fc.constantFrom('', 'dir\\map', 'local\\map', 'Global\\dir\\map');

/** CreateFile's access: read/write mostly, read-only (B66: no writable section), write-only, FILE_* rights, none. */
const fileDesiredAccess = weighted([
  [both(GENERIC_READ, GENERIC_WRITE), 4],
  [GENERIC_READ, 3],
  [GENERIC_WRITE, 1],
  [both(GENERIC_READ, GENERIC_EXECUTE), 1],
  [FILE_READ_DATA, 1],
  [GENERIC_ALL, 1],
  [0, 1],
]);
/** NtCreateSection's, NtOpenSection's and DuplicateHandle's access: SECTION_* rights and GENERIC_* (each valid for a file too). */
const sectionDesiredAccess = weighted([
  [SECTION_ALL_ACCESS, 4],
  [SECTION_MAP_READ, 2],
  [SECTION_MAP_READ | SECTION_MAP_WRITE, 3],
  [SECTION_QUERY | SECTION_MAP_READ, 1],
  [SECTION_MAP_WRITE, 1],
  [SECTION_MAP_READ | SECTION_MAP_EXECUTE, 1],
  [GENERIC_READ, 2],
  [both(GENERIC_READ, GENERIC_WRITE), 2],
  [both(GENERIC_READ, GENERIC_EXECUTE), 1],
  [GENERIC_ALL, 1],
  [0, 1],
]);
/** OpenFileMapping's FILE_MAP_* access (COPY alone asks for read; EXECUTE for SECTION_MAP_EXECUTE). */
const mappingDesiredAccess = weighted([
  [FILE_MAP_READ, 3],
  [FILE_MAP_WRITE, 2],
  [FILE_MAP_READ | FILE_MAP_WRITE, 2],
  [FILE_MAP_ALL_ACCESS, 2],
  [FILE_MAP_COPY, 2],
  [FILE_MAP_COPY | FILE_MAP_READ, 1],
  [FILE_MAP_EXECUTE | FILE_MAP_READ, 1],
  [GENERIC_READ, 1],
  [0, 1],
]);

/**
 * CreateFileMapping (`nt` false) or NtCreateSection: anonymous (SEC_COMMIT, SEC_RESERVE) or over a
 * file handle of the process, named mostly; now and then no size, or a name no section may have
 * (the other arguments valid then: the documents do not order those errors against the others).
 */
function createMappingArbitrary(nt: boolean): fc.Arbitrary<Op> {
  const drawn = fc.record({
    proc,
    file: fc.option(handleRef, { nil: null, freq: 2 }),
    protect: sectionProtection,
    attributes: weighted([[0, 3], [SEC_COMMIT, 1], [SEC_RESERVE, 2]]),
    pages: fc.integer({ min: 1, max: 20 }),
    tail: weighted([[0, 3], [1, 1], [0x123, 1]]),
    name: fc.option(objectName, { nil: null, freq: 4 }),
    inherit: fc.boolean(),
    access: sectionDesiredAccess,
    objectAttributes: weighted([[OBJ_OPENIF, 3], [0, 3], [OBJ_INHERIT, 1], [OBJ_OPENIF | OBJ_INHERIT, 1]]),
  });
  const rare = fc.oneof(
    fc.record({ file: fc.constant(null), pages: fc.constant(0), tail: fc.constant(0), protect: fc.constant(PAGE_READWRITE) }),
    fc.record({ file: fc.constant(null), name: badName, protect: fc.constant(PAGE_READWRITE) }),
  );
  return fc
    .oneof({ arbitrary: drawn, weight: 12 }, { arbitrary: fc.tuple(drawn, rare).map(([d, r]) => ({ ...d, ...r })), weight: 1 })
    .map(({ proc: p, file, protect, attributes, pages, tail, name, inherit, access, objectAttributes }): Op => {
      const sec = file === null ? attributes : 0; // SEC_* for anonymous sections only
      if (nt) return { op: 'ntCreateSection', proc: p, file, protect, attributes: sec, pages, tail, name, access, objectAttributes };
      return { op: 'createFileMapping', proc: p, file, protect: protect | sec, pages, tail, name, inherit };
    });
}

/** DuplicateHandle's options (NtDuplicateObject's: DUPLICATE_SAME_ATTRIBUTES too), an unknown one now and then. */
const dupOptions = (nt: boolean) =>
  weighted([
    [DUPLICATE_SAME_ACCESS, 5],
    [DUPLICATE_CLOSE_SOURCE | DUPLICATE_SAME_ACCESS, 3],
    [0, 3],
    [DUPLICATE_CLOSE_SOURCE, 2],
    [8, 1], // unknown
    ...(nt ? ([[DUPLICATE_SAME_ACCESS | DUPLICATE_SAME_ATTRIBUTES, 3], [DUPLICATE_SAME_ATTRIBUTES | DUPLICATE_CLOSE_SOURCE, 1]] as const) : []),
  ]);
/** DuplicateHandle's access without DUPLICATE_SAME_ACCESS, mapped by the object's type: section rights and GENERIC_* mostly, process rights too. */
const dupAccess = fc.oneof({ arbitrary: sectionDesiredAccess, weight: 3 }, { arbitrary: processDesiredAccess, weight: 1 });

/**
 * Process and thread handles (the brief of the process handles; Process's TSDoc): OpenProcess and
 * OpenThread (and their NT calls) of live, exited and unknown ids; DuplicateHandle through process
 * handles (source, target, pseudo-handles); CreateRemoteThread; GetProcessId and GetThreadId; a
 * thread's exit, and running one (its process's current thread, for GetCurrentThread()); and the
 * memory calls through a process handle (`memory`: the ops that take one), whatever its rights.
 * Weighted modestly: about one step in twelve.
 */
function processOps(memory: ReadonlyArray<fc.WeightedArbitrary<Op>>, cpu: fc.Arbitrary<number>): Array<fc.WeightedArbitrary<Op>> {
  const open = (op: 'openProcess' | 'openThread') =>
    fc.record({
      op: fc.constant(op),
      proc,
      target: clientRef,
      access: op === 'openProcess' ? processDesiredAccess : threadDesiredAccess,
      inherit: fc.boolean(),
      nt: weighted([[false, 2], [true, 1]]),
    });
  const duplicate = (nt: boolean) =>
    fc.record({
      op: fc.constant('duplicateVia' as const),
      proc,
      source: fc.oneof({ arbitrary: objectRef, weight: 2 }, { arbitrary: fc.constant({ pseudo: 'process' as const }), weight: 1 }),
      handle: dupRef,
      target: fc.option(objectRef, { nil: null, freq: 6 }),
      access: dupAccess,
      inherit: fc.boolean(),
      options: dupOptions(nt),
      nt: fc.constant(nt),
    });
  // Read and write 0 bytes too: they succeed without looking at the handle.
  const empty = fc.oneof(
    fc.record({ op: fc.constant('readMemory' as const), proc, where: fc.constant({ at: 'alloc' as const, index: 0, page: 0, offset: 0 }), bytes: fc.constant(0) }),
    fc.record({ op: fc.constant('writeMemory' as const), proc, where: fc.constant({ at: 'alloc' as const, index: 0, page: 0, offset: 0 }), words: fc.constant(0) }),
  );
  const through = fc.tuple(fc.oneof(...memory, { arbitrary: empty, weight: 2 }), objectRef).map(([op, via]): Op => ({ ...op, via }) as Op);
  return [
    { weight: 3, arbitrary: open('openProcess') },
    { weight: 1, arbitrary: open('openThread') },
    { weight: 7, arbitrary: through },
    { weight: 2, arbitrary: fc.oneof({ arbitrary: duplicate(false), weight: 2 }, { arbitrary: duplicate(true), weight: 1 }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('createRemoteThread' as const), proc, handle: objectRef, inherit: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('getId' as const), proc, call: weighted([['process', 2], ['thread', 1], ['processOfThread', 1]] as const), handle: objectRef }) },
    { weight: 1, arbitrary: fc.record({ op: weighted([['exitThread', 1], ['runThread', 2]] as const), thread: fc.nat(7), cpu }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('exit' as const), proc, held: fc.constant(true) }) },
  ];
}

/** Handle operations: making, opening, closing, duplicating, attributes, queries, and views through handles (docs/kernel.md, "Handles and named sections"). */
function handleOps(config: RunConfig, where: fc.Arbitrary<Where>): Array<fc.WeightedArbitrary<Op>> {
  const name = fc.oneof({ arbitrary: objectName, weight: 12 }, { arbitrary: badName, weight: 1 });
  const duplicate = (nt: boolean) =>
    fc.record({
      op: fc.constant('duplicateHandle' as const),
      proc,
      handle: dupRef,
      target: weighted([['self', 6], ['other', 3], [null, 2], ['exited', 1]] as const),
      access: dupAccess,
      inherit: fc.boolean(),
      options: dupOptions(nt),
      nt: fc.constant(nt),
    });
  const flags = weighted([[0, 3], [HANDLE_FLAG_INHERIT, 2], [HANDLE_FLAG_PROTECT_FROM_CLOSE, 3], [HANDLE_FLAG_INHERIT | HANDLE_FLAG_PROTECT_FROM_CLOSE, 2], [0xff, 1]]);
  return [
    { weight: 2, arbitrary: fc.record({ op: fc.constant('createFile' as const), proc, file: fc.nat(3), access: fileDesiredAccess, inherit: fc.boolean() }) },
    { weight: 4, arbitrary: createMappingArbitrary(false) },
    { weight: 2, arbitrary: createMappingArbitrary(true) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('openFileMapping' as const), proc, access: mappingDesiredAccess, inherit: fc.boolean(), name }) },
    {
      weight: 1,
      arbitrary: fc.record({ op: fc.constant('ntOpenSection' as const), proc, access: sectionDesiredAccess, name, objectAttributes: weighted([[0, 3], [OBJ_INHERIT, 1]]) }),
    },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('closeHandle' as const), proc, handle: closeRef }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('ntClose' as const), proc, handle: closeRef }) },
    { weight: 2, arbitrary: fc.oneof({ arbitrary: duplicate(false), weight: 2 }, { arbitrary: duplicate(true), weight: 1 }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('getHandleInformation' as const), proc, handle: handleRef }) },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('setHandleInformation' as const),
        proc,
        handle: handleRef,
        mask: weighted([[HANDLE_FLAG_INHERIT, 3], [HANDLE_FLAG_PROTECT_FROM_CLOSE, 3], [HANDLE_FLAG_INHERIT | HANDLE_FLAG_PROTECT_FROM_CLOSE, 2], [0, 1], [0xffffffff, 1]]),
        flags,
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('querySection' as const), proc, handle: handleRef }) },
    {
      weight: 3,
      arbitrary: fc.record({ op: fc.constant('map' as const), proc, section: handleRef, access: viewAccess, offset: weighted([[0, 10], [0x10000, 2]]), where: maybe(where, 2) }),
    },
    { weight: 2, arbitrary: ntMapArbitrary(config, where, true) },
  ];
}

/** One operation, for `config`'s CPUs and images. */
export function opArbitrary(config: RunConfig): fc.Arbitrary<Op> {
  const where = whereIn(config);
  const cpu = fc.nat(config.kernel.cpus! - 1);
  const access = fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('read' as const), width: fc.constantFrom(1 as const, 2 as const, 4 as const, 8 as const) }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('write' as const), width: fc.constantFrom(4 as const, 8 as const) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('execute' as const), width: fc.constantFrom(1 as const, 2 as const, 4 as const) }) },
  );
  // Write-watch calls: mostly inside an allocation (the harness picks a write-watched one), sometimes anywhere.
  const watchWhere = fc.oneof(
    { arbitrary: fc.record({ at: fc.constant('alloc' as const), index: fc.nat(7), page: fc.nat(24), offset: offsetInPage }), weight: 4 },
    { arbitrary: fc.record({ at: fc.constant('alloc' as const), index: fc.nat(7), page: fc.constant(0), offset: fc.constant(0) }), weight: 2 },
    { arbitrary: where, weight: 1 },
  );
  // The memory ops that may go through a process handle (processOps).
  const memory: Array<fc.WeightedArbitrary<Op>> = [];
  const m = (entry: fc.WeightedArbitrary<Op>) => {
    memory.push(entry);
    return entry;
  };
  return fc.oneof(
    m({
      weight: 14,
      arbitrary: fc.record({
        op: fc.constant('alloc' as const),
        proc,
        where: maybe(where, 5),
        bytes: fc.oneof({ arbitrary: pagesOfBytes, weight: 20 }, { arbitrary: fc.constant(0), weight: 1 }),
        type: weighted([['reserve+commit', 5], ['reserve', 3], ['commit', 5], ['reserve+commit+watch', 4], ['reserve+watch', 1], ['commit+watch', 1]] as const),
        protect: protection,
        topDown: fc.boolean(),
      }),
    }),
    m({ weight: 1, arbitrary: fc.record({ op: fc.constant('reset' as const), proc, where, bytes: fewPagesOfBytes }) }),
    m({ weight: 9, arbitrary: fc.record({ op: fc.constant('protect' as const), proc, where, bytes: fewPagesOfBytes, protect: protection }) }),
    m({ weight: 3, arbitrary: fc.record({ op: fc.constant('decommit' as const), proc, where, bytes: fc.oneof({ arbitrary: fc.constant(0), weight: 1 }, { arbitrary: fewPagesOfBytes, weight: 3 }) }) }),
    m({ weight: 3, arbitrary: fc.record({ op: fc.constant('release' as const), proc, where, bytes: weighted([[0, 8], [PAGE, 1]]) }) }),
    m({
      weight: 4,
      arbitrary: fc.record({
        op: fc.constant('ntFree' as const),
        proc,
        where,
        // 0 (the whole allocation, B42), a page or a few with their rounding (B43, B44), or a whole allocation's worth (B45 when it runs past).
        bytes: fc.oneof({ arbitrary: fc.constant(0), weight: 2 }, { arbitrary: fewPagesOfBytes, weight: 5 }, { arbitrary: fc.constantFrom(1, 2, PAGE + 1), weight: 1 }, { arbitrary: pagesOfBytes, weight: 1 }),
        freeType: weighted([[MEM_RELEASE, 6], [MEM_DECOMMIT, 3], [MEM_RELEASE | MEM_DECOMMIT, 1], [0, 1]]),
      }),
    }),
    m({
      weight: 4,
      arbitrary: fc.record({
        op: fc.constant('ntAlloc' as const),
        proc,
        where: maybe(where, 5),
        bytes: fc.oneof({ arbitrary: pagesOfBytes, weight: 20 }, { arbitrary: fc.constant(0), weight: 1 }),
        type: ntAllocationType,
        protect: protection,
        zeroBits: zeroBitsOf(config),
      }),
    }),
    m({
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant('ntProtect' as const),
        proc,
        where,
        bytes: fc.oneof({ arbitrary: fewPagesOfBytes, weight: 8 }, { arbitrary: fc.constant(0), weight: 1 }),
        protect: protection,
      }),
    }),
    m({
      weight: 3,
      arbitrary: fc.oneof(
        {
          arbitrary: fc.record({
            op: fc.constant('ntQuery' as const),
            proc,
            where,
            infoClass: weighted([[MEMORY_CLASS_BASIC, 2], [MEMORY_CLASS_REGION, 3], [MEMORY_CLASS_IMAGE, 3]]),
          }),
          weight: 8,
        },
        // An unknown class, at an address inside user space (which of the two errors wins is not pinned).
        { arbitrary: fc.record({ op: fc.constant('ntQuery' as const), proc, where: watchWhere.filter((w) => w.at === 'alloc'), infoClass: fc.constantFrom(42, 0xffff) }), weight: 1 },
      ),
    }),
    {
      weight: 4,
      arbitrary: fc.record({
        op: fc.constant('getWriteWatch' as const),
        proc,
        where: watchWhere,
        bytes: fc.oneof({ arbitrary: fc.constantFrom(1, PAGE), weight: 4 }, { arbitrary: fewPagesOfBytes, weight: 6 }, { arbitrary: pagesOfBytes, weight: 1 }, { arbitrary: fc.constant(0), weight: 1 }),
        flags: weighted([[0, 6], [WRITE_WATCH_FLAG_RESET, 5], [2, 1]]),
        maxCount: weighted([[null, 8], [1, 2], [2, 1], [0, 1]]),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('resetWriteWatch' as const), proc, where: watchWhere, bytes: fc.oneof({ arbitrary: fewPagesOfBytes, weight: 4 }, { arbitrary: fc.constant(0), weight: 1 }) }) },
    { weight: 28, arbitrary: fc.tuple(proc, cpu, where, access).map(([p, c, w, a]) => ({ op: 'access' as const, proc: p, cpu: c, where: w, ...a })) },
    m({ weight: 4, arbitrary: fc.record({ op: fc.constant('readMemory' as const), proc, where, bytes: fc.integer({ min: 1, max: 2 * PAGE + 16 }) }) }),
    m({ weight: 4, arbitrary: fc.record({ op: fc.constant('writeMemory' as const), proc, where, words: fc.integer({ min: 1, max: 600 }) }) }),
    m({
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant('ntRead' as const),
        proc,
        where,
        bytes: fc.oneof({ arbitrary: fc.integer({ min: 1, max: 3 * PAGE + 16 }), weight: 6 }, { arbitrary: fc.constant(0), weight: 1 }),
        // What the caller's buffer held before: the bytes past the prefix must stay, the prefix's must not.
        fill: fc.constantFrom(0, 0xa5),
      }),
    }),
    m({ weight: 3, arbitrary: fc.record({ op: fc.constant('ntWrite' as const), proc, where, words: fc.integer({ min: 0, max: 2100 }) }) }),
    { weight: 3, arbitrary: fc.record({ op: fc.constant('lock' as const), proc, where, bytes: lockBytes }) },
    // Inside an allocation; the harness prefers a locked page.
    { weight: 3, arbitrary: fc.record({ op: fc.constant('unlock' as const), proc, where: watchWhere, bytes: unlockBytes }) },
    m({ weight: 2, arbitrary: fc.record({ op: fc.constant('ntLock' as const), proc, where, bytes: lockBytes, mapType }) }),
    m({ weight: 2, arbitrary: fc.record({ op: fc.constant('ntUnlock' as const), proc, where: watchWhere, bytes: unlockBytes, mapType }) }),
    m({ weight: 4, arbitrary: fc.record({ op: fc.constant('query' as const), proc, where }) }),
    { weight: 2, arbitrary: fc.record({ op: fc.constant('fork' as const), proc }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('exit' as const), proc }) },
    { weight: 1, arbitrary: fc.constant({ op: 'spawn' as const }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('run' as const), proc, cpu }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('idle' as const), cpu }) },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant('createSection' as const),
        backing: weighted([['commit', 4], ['reserve', 2], ['file', 3]] as const),
        pages: fc.integer({ min: 1, max: 20 }),
        tail: weighted([[0, 3], [1, 1], [PAGE - 1, 1], [0x123, 1]]),
        protect: sectionProtection,
        // Half the file sections are over a file an earlier one made: they share its pages.
        file: fc.option(fc.nat(3), { nil: undefined, freq: 2 }),
      }),
    },
    {
      // A section over an image's file (read-only: nothing may write the fixture), for NtAreMappedFilesTheSame.
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant('createSection' as const),
        backing: fc.constant('file' as const),
        pages: fc.constant(1),
        tail: fc.constant(0),
        protect: weighted([[PAGE_READONLY, 3], [PAGE_WRITECOPY, 2], [PAGE_EXECUTE_READ, 1], [PAGE_EXECUTE_WRITECOPY, 1]]),
        image: fc.constantFrom(...config.images),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('closeSection' as const), section: fc.nat(7) }) },
    {
      weight: 5,
      arbitrary: fc.record({
        op: fc.constant('map' as const),
        proc,
        section: fc.nat(7),
        access: viewAccess,
        offset: weighted([[0, 10], [0x10000, 2], [0x1000, 1]]),
        where: maybe(where, 2),
      }),
    },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('unmap' as const), proc, where }) },
    m({ weight: 1, arbitrary: fc.record({ op: fc.constant('ntUnmap' as const), proc, where: watchWhere }) }),
    // Inside an allocation; the harness prefers a view of a file.
    { weight: 2, arbitrary: fc.record({ op: fc.constant('flush' as const), proc, where: watchWhere, bytes: flushBytes }) },
    m({ weight: 2, arbitrary: fc.record({ op: fc.constant('ntFlush' as const), proc, where: watchWhere, bytes: flushBytes }) }),
    { weight: 2, arbitrary: fc.record({ op: fc.constant('areSame' as const), proc, where: watchWhere, other: watchWhere }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('loadImage' as const), proc, image: fc.constantFrom(...config.images) }) },
    { weight: 2, arbitrary: mapImageArbitrary(config) },
    m({ weight: 5, arbitrary: ntMapArbitrary(config, where) }),
    { weight: 1, arbitrary: fc.record({ op: fc.constant('onExited' as const), call: fc.constantFrom(...EXITED_CALLS) }) },
    ...handleOps(config, where),
    ...processOps(memory, cpu),
    ...snapshotOps,
  );
}

/**
 * Snapshots (issue 17): take one, restore one (the newest mostly; now and then restoring it, changing
 * mmukit only, and restoring it again), discard one. About one step in twenty-two; the harness keeps
 * at most four open. A save and load of the kernel about one step in three hundred and sixty.
 */
const snapshotOps: Array<fc.WeightedArbitrary<Op>> = [
  { weight: 5, arbitrary: fc.constant({ op: 'snapshot' as const }) },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('restore' as const),
      snapshot: fc.oneof({ arbitrary: fc.constant(-1), weight: 2 }, { arbitrary: fc.nat(3), weight: 1 }),
      twice: weighted([[false, 2], [true, 1]]),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('discardSnapshot' as const), snapshot: fc.oneof(fc.constant(-1), fc.nat(3)) }) },
  // Save and load (the current state, or an open snapshot half the time): rarer than weight 1 allows, as each
  // saves the kernel twice, loads it and runs the full comparison (some fifty ordinary steps' worth, and CI's
  // budget, +15% of the suites' time, is a hundred or so per test file): a third of this entry's draws are a
  // `snapshot` instead.
  {
    weight: 1,
    arbitrary: fc.oneof(
      {
        weight: 2,
        arbitrary: fc.record({
          op: fc.constant('saveLoad' as const),
          snapshot: fc.option(fc.oneof({ arbitrary: fc.constant(-1), weight: 2 }, { arbitrary: fc.nat(3), weight: 1 }), { nil: null, freq: 2 }),
        }),
      },
      { weight: 1, arbitrary: fc.constant({ op: 'snapshot' as const }) },
    ),
  },
];

/**
 * An image view's BaseAddress: mostly where the kernel chooses (its base, then elsewhere: B91, B92),
 * sometimes explicit: the image's own base, a taken or unaligned one (B76), or free ones below 2 GiB
 * (where 32-bit images may go).
 */
function imageBaseArbitrary(config: RunConfig): fc.Arbitrary<{ image: ImageName; where: Where | null }> {
  const at = fc.oneof(
    { arbitrary: fc.constant(null), weight: 12 },
    { arbitrary: fc.constant('own base' as const), weight: 3 },
    { arbitrary: fc.record({ at: fc.constant('alloc' as const), index: fc.nat(7), page: fc.constant(0), offset: fc.constantFrom(0, PAGE) }), weight: 2 },
    { arbitrary: fc.record({ at: fc.constant('fixed' as const), address: fc.constantFrom(0x1000, 0x20000, 0x400000, 0x1000_0000, 0x6000_0000) }), weight: 2 },
  );
  return fc.tuple(fc.constantFrom(...config.images), at).map(([image, w]) => ({ image, where: w === 'own base' ? { at: 'image' as const, image } : w }));
}

/** NtMapViewOfSection of an image section through mapImageView, with the kernel's policy or either. */
function mapImageArbitrary(config: RunConfig): fc.Arbitrary<Op> {
  return fc
    .tuple(proc, imageBaseArbitrary(config), weighted([[null, 6], ['private', 1], ['aslr', 1]] as const))
    .map(([p, { image, where }, policy]): Op => ({ op: 'mapImage', proc: p, image, where, policy }));
}

/**
 * NtMapViewOfSection through ntMapViewOfSection: of a data section, mostly with arguments that work,
 * each of the others now and then (docs/kernel.md, "NtMapViewOfSection": every argument's errors,
 * ZeroBits, MEM_TOP_DOWN, MEM_RESERVE past a file's end, CommitSize, AT_ROUND_TO_PAGE, VIEW_UNMAP);
 * sometimes of an image section, at the image's base or elsewhere. `viaHandle`: of a data section
 * through a handle of the process (its access checked, B65).
 */
function ntMapArbitrary(config: RunConfig, where: fc.Arbitrary<Where>, viaHandle = false): fc.Arbitrary<Op> {
  const common = {
    op: fc.constant('ntMap' as const),
    proc,
    zeroBits: zeroBitsOf(config),
    inheritDisposition: weighted([[VIEW_SHARE, 12], [VIEW_UNMAP, 6], [0, 1]]),
  };
  const wide = config.userTop > 2 ** 32;
  const data = fc.record({
    ...common,
    section: viaHandle ? handleRef : fc.nat(7),
    protect: ntMapProtection,
    where: maybe(where, 3),
    commitSize: weighted([[0, 10], [PAGE, 2], [3 * PAGE, 1], [0x100000, 1]]),
    offset: weighted([[0, 10], [0x10000, 2], [0x1000, 1]]),
    // To the end; a page or three (one a byte short); past a small section's end (MEM_RESERVE); past user space.
    viewSize: weighted([[0, 8], [PAGE, 2], [3 * PAGE - 1, 1], [0x30000, 2], [config.userTop + PAGE, 1]]),
    // B76: AT_ROUND_TO_PAGE works on 32-bit only; MEM_COMMIT and SEC_NO_CHANGE (MEM_PHYSICAL's value) never.
    allocationType: weighted([
      [0, 10],
      [MEM_TOP_DOWN, 3],
      [MEM_RESERVE, 2],
      [MEM_RESERVE | MEM_TOP_DOWN, 1],
      [MEM_LARGE_PAGES, 1],
      [AT_ROUND_TO_PAGE, wide ? 1 : 3],
      [MEM_COMMIT, 1],
      [MEM_PHYSICAL, 1],
    ]),
  });
  // Arguments that rarely meet by chance, to override the draw's.
  const focus = fc.oneof(
    // MEM_RESERVE on a file section, past its end: those pages stay reserved.
    fc.record({
      allocationType: fc.constantFrom(MEM_RESERVE, MEM_RESERVE | MEM_TOP_DOWN),
      viewSize: fc.constantFrom(0x30000, 0x21000),
      offset: fc.constant(0),
      protect: fc.constantFrom(PAGE_READWRITE, PAGE_READONLY, PAGE_WRITECOPY),
    }),
    // ZeroBits with an explicit address, below its bound or not.
    fc.record({ zeroBits: fc.constantFrom(1, 4, 8, 12), where: fc.record({ at: fc.constant('fixed' as const), address: fc.constantFrom(0x20000, 0x400000, 0x1000_0000, 0x6000_0000) }) }),
    // CommitSize (a SEC_RESERVE section commits; any other must accept it or refuse it).
    fc.record({ commitSize: fc.constantFrom(PAGE, 2 * PAGE, 5 * PAGE), viewSize: fc.constant(0), allocationType: fc.constant(0) }),
    // AT_ROUND_TO_PAGE at a page past an allocation's end, often free (B76; 64-bit: STATUS_INVALID_PARAMETER_9).
    fc.record({
      allocationType: fc.constant(AT_ROUND_TO_PAGE),
      where: fc.record({ at: fc.constant('alloc' as const), index: fc.nat(7), page: fc.constant(PAST_THE_END), offset: offsetInPage }),
    }),
  );
  const images = fc.record({
    ...common,
    inheritDisposition: weighted([[VIEW_SHARE, 12], [VIEW_UNMAP, 6], [0, 1]]),
    protect: protection, // ignored (B84) once well-formed
    commitSize: fc.constant(0),
    offset: fc.constant(0),
    viewSize: fc.constant(0),
    allocationType: weighted([[0, 3], [MEM_TOP_DOWN, 1]]),
    at: imageBaseArbitrary(config),
  });
  const imageViews = images.map(({ at, ...rest }): Op => ({ ...rest, section: at.image, where: at.where }));
  return fc.oneof(
    { arbitrary: data, weight: 3 },
    { arbitrary: fc.tuple(data, focus).map(([drawn, focused]): Op => ({ ...drawn, ...focused })), weight: 2 },
    ...(viaHandle ? [] : [{ arbitrary: imageViews, weight: 1 }]),
  );
}

/**
 * What a sequence starts with, so that its later operations find memory to work on:
 * allocations that succeed, a section with a view or two, an image.
 */
function setupArbitrary(config: RunConfig): fc.Arbitrary<Op> {
  const usable = weighted([
    [PAGE_READWRITE, 6],
    [PAGE_EXECUTE_READWRITE, 2],
    [PAGE_READONLY, 1],
    [PAGE_READWRITE | PAGE_GUARD, 1],
  ]);
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        op: fc.constant('alloc' as const),
        proc: fc.nat(1),
        where: fc.constant(null),
        bytes: pagesOfBytes,
        type: weighted([['reserve+commit', 3], ['reserve+commit+watch', 2]] as const),
        protect: usable,
        topDown: fc.boolean(),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant('createSection' as const),
        backing: weighted([['commit', 2], ['file', 2]] as const),
        pages: fc.integer({ min: 1, max: 20 }),
        tail: fc.constant(0),
        protect: fc.constant(PAGE_READWRITE),
        file: fc.option(fc.nat(1), { nil: undefined, freq: 3 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('map' as const),
        proc: fc.nat(1),
        section: fc.nat(3),
        access: fc.constantFrom(FILE_MAP_WRITE, FILE_MAP_COPY, FILE_MAP_READ),
        offset: fc.constant(0),
        where: fc.constant(null),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('loadImage' as const), proc: fc.nat(1), image: fc.constantFrom(...config.images) }) },
    {
      // A handle for the handle calls to find.
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('createFileMapping' as const),
        proc: fc.nat(1),
        file: fc.constant(null),
        protect: fc.constant(PAGE_READWRITE),
        pages: fc.integer({ min: 1, max: 20 }),
        tail: fc.constant(0),
        name: fc.option(objectName, { nil: null, freq: 3 }),
        inherit: fc.boolean(),
      }),
    },
  );
}

/** Half the sequences start with a write-watched allocation (B103), for the write-watch calls to find. */
const watchedSetup: fc.Arbitrary<Op> = fc.record({
  op: fc.constant('alloc' as const),
  proc: fc.constant(0),
  where: fc.constant(null),
  bytes: pagesOfBytes,
  type: fc.constant('reserve+commit+watch' as const),
  protect: fc.constant(PAGE_READWRITE),
  topDown: fc.boolean(),
});

/**
 * A quarter of the sequences start with a section over a file mapped FILE_MAP_WRITE in the first
 * process (the first section made, so `section: 0`), for writes to dirty and flushes to write back.
 */
const fileViewSetup: fc.Arbitrary<Op[]> = fc.integer({ min: 1, max: 20 }).map((pages) => [
  { op: 'createSection', backing: 'file', pages, tail: 0, protect: PAGE_READWRITE },
  { op: 'map', proc: 0, section: 0, access: FILE_MAP_WRITE, offset: 0, where: null },
]);

/**
 * As many start with an image mapped in the first process and a data view there of the image's file
 * (section 0, read-only: the fixture is never written), for NtAreMappedFilesTheSame to compare.
 */
function imageFileSetup(config: RunConfig): fc.Arbitrary<Op[]> {
  return fc.constantFrom(...config.images).map((image): Op[] => [
    { op: 'createSection', backing: 'file', pages: 1, tail: 0, protect: PAGE_READONLY, image },
    { op: 'map', proc: 0, section: 0, access: FILE_MAP_READ, offset: 0, where: null },
    { op: 'loadImage', proc: 0, image },
  ]);
}

/**
 * As many start with a named section made through a handle (anonymous, or over a file opened read/write)
 * and mapped through it in the first process, and opened by name, read-only, in the second; that
 * handle protected from close a third of the time.
 */
const handleSetup: fc.Arbitrary<Op[]> = fc
  .tuple(fc.boolean(), fc.integer({ min: 1, max: 20 }), objectName, fc.boolean(), fc.nat(2))
  .map(([overFile, pages, name, inherit, protect]): Op[] => [
    ...(overFile ? [{ op: 'createFile' as const, proc: 0, file: 0, access: both(GENERIC_READ, GENERIC_WRITE), inherit: false }] : []),
    { op: 'createFileMapping', proc: 0, file: overFile ? { open: 0, tag: 0 } : null, protect: PAGE_READWRITE, pages, tail: 0, name, inherit },
    { op: 'map', proc: 0, section: { open: 0, tag: 0 }, access: FILE_MAP_WRITE, offset: 0, where: null },
    { op: 'openFileMapping', proc: 1, access: FILE_MAP_READ, inherit: false, name },
    ...(protect === 0
      ? [{ op: 'setHandleInformation' as const, proc: 1, handle: { open: 0, tag: 0 }, mask: HANDLE_FLAG_PROTECT_FROM_CLOSE, flags: HANDLE_FLAG_PROTECT_FROM_CLOSE }]
      : []),
  ]);

/**
 * Half the sequences start with a process handle for the calls through one: the first process opens
 * the second, with every right mostly; a third of those then make a thread there, for the thread
 * handles.
 */
const processHandleSetup: fc.Arbitrary<Op[]> = fc
  .tuple(fc.oneof({ arbitrary: fc.constant(PROCESS_ALL_ACCESS), weight: 2 }, { arbitrary: processDesiredAccess, weight: 1 }), fc.boolean(), weighted([[false, 2], [true, 1]]))
  .map(([access, inherit, thread]): Op[] => [
    { op: 'openProcess', proc: 0, target: { live: 1 }, access, inherit, nt: false },
    ...(thread ? [{ op: 'createRemoteThread' as const, proc: 0, handle: { of: 0, exited: false }, inherit: false }] : []),
  ]);

/** A sequence: a short setup, then up to `maxLength` operations of every kind. */
export function sequenceArbitrary(config: RunConfig, maxLength: number): fc.Arbitrary<Op[]> {
  return fc
    .tuple(
      fc.option(watchedSetup, { nil: null, freq: 2 }),
      fc.oneof({ arbitrary: fileViewSetup, weight: 2 }, { arbitrary: imageFileSetup(config), weight: 1 }, { arbitrary: handleSetup, weight: 3 }, { arbitrary: fc.constant([]), weight: 5 }),
      fc.option(processHandleSetup, { nil: null, freq: 2 }),
      fc.array(setupArbitrary(config), { maxLength: 5 }),
      fc.array(opArbitrary(config), { maxLength, size: 'max' }),
    )
    .map(([watched, fileView, processHandle, setup, body]) => [...(watched === null ? [] : [watched]), ...fileView, ...(processHandle ?? []), ...setup, ...body]);
}
