// Handles, named sections and file objects (issue 16): handle values and reuse, CloseHandle / NtClose,
// CreateFileMapping and OpenFileMapping with names (B63, B72), the access a handle grants (B65), file
// handles and the sections they may back (B66), DuplicateHandle, handle information, inheritance by
// fork and closing at exit. boot() checks verify() (handle counts and names included) after every test.
import { describe, expect, it } from 'vitest';
import {
  CURRENT_PROCESS_HANDLE,
  DUPLICATE_CLOSE_SOURCE,
  DUPLICATE_SAME_ACCESS,
  ERROR_ACCESS_DENIED,
  ERROR_FILE_NOT_FOUND,
  ERROR_INVALID_HANDLE,
  ERROR_INVALID_NAME,
  ERROR_INVALID_PARAMETER,
  ERROR_PATH_NOT_FOUND,
  FILE_MAP_COPY,
  FILE_MAP_READ,
  FILE_MAP_WRITE,
  GENERIC_READ,
  GENERIC_WRITE,
  HANDLE_FLAG_INHERIT,
  HANDLE_FLAG_PROTECT_FROM_CLOSE,
  INVALID_HANDLE_VALUE,
  MEM_COMMIT,
  MEM_MAPPED,
  PAGE_READONLY,
  PAGE_READWRITE,
  PAGE_WRITECOPY,
  SECTION_MAP_READ,
  SECTION_MAP_WRITE,
  SECTION_QUERY,
  SEC_COMMIT,
  STANDARD_RIGHTS_REQUIRED,
  STATUS_ACCESS_DENIED,
  STATUS_HANDLE_NOT_CLOSABLE,
  STATUS_INVALID_HANDLE,
  STATUS_OBJECT_NAME_INVALID,
  STATUS_OBJECT_NAME_NOT_FOUND,
  STATUS_OBJECT_PATH_NOT_FOUND,
  STATUS_OBJECT_TYPE_MISMATCH,
  STATUS_SUCCESS,
  OBJ_OPENIF,
  OBJ_INHERIT,
  STATUS_OBJECT_NAME_COLLISION,
  STATUS_OBJECT_NAME_EXISTS,
  DUPLICATE_SAME_ATTRIBUTES,
  STATUS_INVALID_PAGE_PROTECTION,
  STANDARD_RIGHTS_READ,
  type Kernel,
  type Process,
} from '../../src/index.js';
import { boot, expectWin32 } from './helpers.js';

const PG = 0x1000;

/** What a failed call must leave alone: sections, commit, names and every process's handles. */
function state(kernel: Kernel) {
  return {
    sections: kernel.sections().map((s) => [s.id, s.handleCount, s.name, s.viewCount]),
    committed: kernel.committed,
    handles: kernel.processes().map((p) => [...p.handles.entries()].map(([h, e]) => [h, e.access, e.attributes])),
  };
}

const mapping = (p: Process, name: string | null = null, protect = PAGE_READWRITE, size = PG) => p.createFileMapping(INVALID_HANDLE_VALUE, protect, size, name).handle;

describe('handle values (Windows Research Kernel ExCreateHandle; kernel32 test_DuplicateHandle)', () => {
  it('are 4, 8, 12, …; a closed value is the next one given out; the two tag bits are ignored', () => {
    const { process } = boot();
    const [a, b, c] = [mapping(process), mapping(process), mapping(process)];
    expect([a, b, c]).toEqual([4, 8, 12]);
    process.closeHandle(b);
    expect(mapping(process)).toBe(8);
    expect(process.handles.get(a + 3)).toBe(process.handles.get(a)); // tag bits
    expect(process.handles.count).toBe(3);
  });
});

describe('CloseHandle and NtClose', () => {
  it('an open handle closes once; a second close, 0 or a made-up value → ERROR_INVALID_HANDLE (STATUS_INVALID_HANDLE)', () => {
    const { process, kernel } = boot();
    const h = mapping(process);
    expect(process.ntClose(h)).toBe(STATUS_SUCCESS);
    expect(process.ntClose(h)).toBe(STATUS_INVALID_HANDLE);
    for (const bad of [h, 0, 0x1234]) expectWin32(() => process.closeHandle(bad), ERROR_INVALID_HANDLE, STATUS_INVALID_HANDLE);
    expect(kernel.sections()).toEqual([]); // the unmapped section went with its handle
  });

  it('a handle protected from close stays open (STATUS_HANDLE_NOT_CLOSABLE, ERROR_INVALID_HANDLE); the current-process pseudo-handle is not closed', () => {
    const { process } = boot();
    const h = mapping(process);
    process.setHandleInformation(h, HANDLE_FLAG_PROTECT_FROM_CLOSE, HANDLE_FLAG_PROTECT_FROM_CLOSE);
    expect(process.ntClose(h)).toBe(STATUS_HANDLE_NOT_CLOSABLE);
    expectWin32(() => process.closeHandle(h), ERROR_INVALID_HANDLE, STATUS_HANDLE_NOT_CLOSABLE);
    expect(process.getHandleInformation(h)).toBe(HANDLE_FLAG_PROTECT_FROM_CLOSE);
    process.setHandleInformation(h, HANDLE_FLAG_PROTECT_FROM_CLOSE, 0);
    process.closeHandle(h);
    expect(process.ntClose(CURRENT_PROCESS_HANDLE)).toBe(STATUS_SUCCESS);
  });
});

describe('named sections (B63, B72, B73)', () => {
  it('a second CreateFileMapping of a name opens the same section, whatever its size, with alreadyExists', () => {
    const { kernel, process, mmu } = boot();
    const first = process.createFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, PG, 'Wine Test Mapping');
    expect(first.alreadyExists).toBe(false);
    const again = process.createFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, 0x10_0000, 'Wine Test Mapping');
    expect(again.alreadyExists).toBe(true);
    expect(kernel.sections()).toHaveLength(1);
    expect(kernel.committed).toBe(1); // the 1 MiB request was charged, then dropped with the section it made
    const v1 = process.mapViewOfSection(first.handle, { access: FILE_MAP_WRITE });
    const v2 = process.mapViewOfSection(again.handle, { access: FILE_MAP_READ });
    mmu.write32(v1, 0x1a2b3c4d);
    expect(mmu.read32(v2)).toBe(0x1a2b3c4d);
    expect(process.virtualQuery(v2).regionSize).toBe(PG); // the existing section's size
  });

  it('names are case-sensitive; Local\\ is the plain namespace, Global\\ another', () => {
    const { kernel, process } = boot();
    mapping(process, 'Wine Test Mapping');
    expectWin32(() => process.openFileMapping(FILE_MAP_READ, false, 'WINE TEST MAPPING'), ERROR_FILE_NOT_FOUND, STATUS_OBJECT_NAME_NOT_FOUND);
    expect(process.createFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, PG, 'WINE TEST MAPPING').alreadyExists).toBe(false);
    expect(process.createFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, PG, 'Local\\Wine Test Mapping').alreadyExists).toBe(true);
    expect(process.createFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, PG, 'Global\\Wine Test Mapping').alreadyExists).toBe(false);
    expect(kernel.sections()).toHaveLength(3);
  });

  it('bad names: empty or over-long → STATUS_OBJECT_NAME_INVALID; a backslash → STATUS_OBJECT_PATH_NOT_FOUND; nothing created', () => {
    const { kernel, process } = boot();
    const before = state(kernel);
    for (const name of ['', 'x'.repeat(32767), 'Local\\']) expectWin32(() => mapping(process, name), ERROR_INVALID_NAME, STATUS_OBJECT_NAME_INVALID);
    expectWin32(() => mapping(process, 'a\\b'), ERROR_PATH_NOT_FOUND, STATUS_OBJECT_PATH_NOT_FOUND);
    expectWin32(() => process.openFileMapping(FILE_MAP_READ, false, 'nobody'), ERROR_FILE_NOT_FOUND, STATUS_OBJECT_NAME_NOT_FOUND);
    expect(state(kernel)).toEqual(before);
    expect(mapping(process, 'x'.repeat(32766))).toBe(4);
  });

  it('B72: closing every handle takes the name, not the views; the name can then make a fresh section', () => {
    const { kernel, process, mmu } = boot();
    const h = mapping(process, 'foo');
    const view = process.mapViewOfSection(h, { access: FILE_MAP_WRITE });
    mmu.write32(view, 7);
    process.closeHandle(h);
    expect(process.virtualQuery(view)).toMatchObject({ state: MEM_COMMIT, type: MEM_MAPPED });
    expect(mmu.read32(view)).toBe(7);
    expectWin32(() => process.openFileMapping(FILE_MAP_READ, false, 'foo'), ERROR_FILE_NOT_FOUND);
    const fresh = process.createFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, PG, 'foo');
    expect(fresh.alreadyExists).toBe(false);
    expect(mmu.read32(process.mapViewOfSection(fresh.handle, { access: FILE_MAP_READ }))).toBe(0);
    expect(kernel.sections()).toHaveLength(2);
  });

  it('B73: a write through one process\'s view of a named section is seen through another process\'s; B74: a FILE_MAP_COPY view is not', () => {
    const { kernel, process } = boot();
    const child = kernel.createProcess();
    const h = mapping(process, 'winetest_virtual.c');
    const parentView = process.mapViewOfSection(h, { access: FILE_MAP_READ });
    const opened = child.createFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, PG, 'winetest_virtual.c');
    expect(opened.alreadyExists).toBe(true);
    const copy = child.mapViewOfSection(opened.handle, { access: FILE_MAP_COPY });
    child.writeMemory(copy, new Uint8Array([0xef, 0xbe, 0xad, 0xde]));
    expect([...process.readMemory(parentView, 4)]).toEqual([0, 0, 0, 0]);
    const shared = child.mapViewOfSection(child.openFileMapping(FILE_MAP_READ | FILE_MAP_WRITE, false, 'winetest_virtual.c'), { access: FILE_MAP_WRITE });
    child.writeMemory(shared, new Uint8Array([0x4d, 0x3c, 0x2b, 0x1a]));
    expect([...process.readMemory(parentView, 4)]).toEqual([0x4d, 0x3c, 0x2b, 0x1a]);
  });
});

describe('the access a section handle grants (B64, B65)', () => {
  it('CreateFileMapping\'s handle: query and read, plus write for a writable protection', () => {
    const { process } = boot();
    expect(process.handles.get(mapping(process))!.access).toBe(STANDARD_RIGHTS_REQUIRED | SECTION_QUERY | SECTION_MAP_READ | SECTION_MAP_WRITE);
    const ro = mapping(process, null, PAGE_READONLY);
    expect(process.handles.get(ro)!.access).toBe(STANDARD_RIGHTS_REQUIRED | SECTION_QUERY | SECTION_MAP_READ);
    expectWin32(() => process.mapViewOfSection(ro, { access: FILE_MAP_WRITE }), ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED);
  });

  it('a FILE_MAP_WRITE handle maps FILE_MAP_WRITE, not FILE_MAP_READ; a FILE_MAP_READ handle maps read and access 0, not write', () => {
    const { kernel, process } = boot();
    mapping(process, 'Local\\Foo');
    const write = process.openFileMapping(FILE_MAP_WRITE, false, 'Local\\Foo');
    const read = process.openFileMapping(FILE_MAP_READ, false, 'Foo');
    const before = state(kernel);
    expectWin32(() => process.mapViewOfSection(write, { access: FILE_MAP_READ }), ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED);
    expectWin32(() => process.mapViewOfSection(read, { access: FILE_MAP_WRITE }), ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED);
    expect(process.ntMapViewOfSection(read, { protect: PAGE_READWRITE }).status).toBe(STATUS_ACCESS_DENIED);
    expect(state(kernel)).toEqual(before);
    expect(process.virtualQuery(process.mapViewOfSection(write, { access: FILE_MAP_WRITE })).protect).toBe(PAGE_READWRITE);
    expect(process.mapViewOfSection(read, { access: 0 })).toBeGreaterThan(0);
    expect(process.ntMapViewOfSection(read, { protect: PAGE_WRITECOPY }).status).toBe(STATUS_SUCCESS);
  });

  it('a handle with no access cannot map even access 0', () => {
    const { process } = boot();
    const none = process.duplicateHandle(mapping(process), process, 0, false, 0);
    expectWin32(() => process.mapViewOfSection(none, { access: 0 }), ERROR_ACCESS_DENIED);
  });

  it('NtQuerySection needs SECTION_QUERY: not with FILE_MAP_READ or FILE_MAP_WRITE alone', () => {
    const { process } = boot();
    mapping(process, 'q', PAGE_READWRITE, 4090);
    expectWin32(() => process.querySection(process.openFileMapping(FILE_MAP_READ, false, 'q')), ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED);
    expectWin32(() => process.querySection(process.openFileMapping(FILE_MAP_WRITE, false, 'q')), ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED);
    expect(process.querySection(process.openFileMapping(FILE_MAP_READ | SECTION_QUERY, false, 'q'))).toEqual({ baseAddress: 0, attributes: SEC_COMMIT, size: PG });
  });
});

describe('file handles (B66)', () => {
  it('a GENERIC_READ file backs READONLY and WRITECOPY sections, not READWRITE; a file opened with no access backs none', () => {
    const { kernel, process } = boot();
    const bytes = new Uint8Array(PG).fill(3);
    const read = process.createFile(bytes, GENERIC_READ);
    const before = state(kernel);
    expectWin32(() => process.createFileMapping(read, PAGE_READWRITE, 0), ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED);
    expect(state(kernel)).toEqual(before);
    for (const protect of [PAGE_READONLY, PAGE_WRITECOPY]) expect(process.createFileMapping(read, protect, 0).alreadyExists).toBe(false);
    const none = process.createFile(bytes, 0);
    for (const protect of [PAGE_READONLY, PAGE_WRITECOPY, PAGE_READWRITE]) expectWin32(() => process.createFileMapping(none, protect, 0), ERROR_ACCESS_DENIED);
    const rw = process.createFile(bytes, GENERIC_READ | GENERIC_WRITE);
    const view = process.mapViewOfSection(process.createFileMapping(rw, PAGE_READWRITE, 0).handle, { access: FILE_MAP_WRITE });
    expect(process.readMemory(view, 1)[0]).toBe(3);
  });

  it('a file handle is not a section and a section handle is not a file: ERROR_INVALID_HANDLE (STATUS_OBJECT_TYPE_MISMATCH)', () => {
    const { process } = boot();
    const file = process.createFile(new Uint8Array(PG), GENERIC_READ);
    expectWin32(() => process.mapViewOfSection(file, { access: FILE_MAP_READ }), ERROR_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH);
    expectWin32(() => process.createFileMapping(mapping(process), PAGE_READONLY, 0), ERROR_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH);
    expectWin32(() => process.createFileMapping(0x400, PAGE_READONLY, 0), ERROR_INVALID_HANDLE, STATUS_INVALID_HANDLE);
  });

  it('closing the file handle leaves its section usable', () => {
    const { process } = boot();
    const file = process.createFile(new Uint8Array([1, 2, 3]), GENERIC_READ);
    const { handle } = process.createFileMapping(file, PAGE_READONLY, 0);
    process.closeHandle(file);
    expect([...process.readMemory(process.mapViewOfSection(handle, { access: FILE_MAP_READ }), 3)]).toEqual([1, 2, 3]);
  });
});

describe('DuplicateHandle (kernel32 test_DuplicateHandle)', () => {
  it('DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE gives the same value back, even with a lower value free', () => {
    const { process } = boot();
    const low = mapping(process);
    const h = mapping(process);
    process.closeHandle(low);
    const access = process.handles.get(h)!.access;
    expect(process.duplicateHandle(h, process, 0, false, DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE)).toBe(h);
    expect(process.handles.get(h)!.access).toBe(access);
    expect(process.handles.count).toBe(1);
  });

  it('a protected source stays open under DUPLICATE_CLOSE_SOURCE; the duplicate is another value; inherit sets HANDLE_FLAG_INHERIT', () => {
    const { process } = boot();
    const h = mapping(process);
    process.setHandleInformation(h, HANDLE_FLAG_PROTECT_FROM_CLOSE, HANDLE_FLAG_PROTECT_FROM_CLOSE);
    const d = process.duplicateHandle(h, process, 0, true, DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE);
    expect(d).not.toBe(h);
    expect(process.getHandleInformation(h)).toBe(HANDLE_FLAG_PROTECT_FROM_CLOSE);
    expect(process.getHandleInformation(d)).toBe(HANDLE_FLAG_INHERIT);
  });

  it('into another process: the object is shared; a desired FILE_MAP_READ duplicate cannot map for write', () => {
    const { kernel, process } = boot();
    const other = kernel.createProcess();
    const h = mapping(process);
    const d = process.duplicateHandle(h, other, FILE_MAP_READ, false, 0);
    process.closeHandle(h);
    expect(kernel.sections()).toHaveLength(1); // the other process's handle keeps it
    expectWin32(() => other.mapViewOfSection(d, { access: FILE_MAP_WRITE }), ERROR_ACCESS_DENIED);
    expect(other.mapViewOfSection(d, { access: FILE_MAP_READ })).toBeGreaterThan(0);
  });

  it('no target: DUPLICATE_CLOSE_SOURCE closes the source; without it → ERROR_INVALID_PARAMETER; a bad source → ERROR_INVALID_HANDLE', () => {
    const { process } = boot();
    const h = mapping(process);
    expectWin32(() => process.duplicateHandle(h, null, 0, false, DUPLICATE_SAME_ACCESS), ERROR_INVALID_PARAMETER);
    expect(process.duplicateHandle(h, null, 0, false, DUPLICATE_CLOSE_SOURCE)).toBe(0);
    expect(process.handles.count).toBe(0);
    expectWin32(() => process.duplicateHandle(h, process, 0, false, DUPLICATE_SAME_ACCESS), ERROR_INVALID_HANDLE);
  });
});

describe('inheritance and exit', () => {
  it('fork gives the child the inheritable handles at the same values, not the others', () => {
    const { kernel, process } = boot();
    const kept = process.createFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, PG, 'inherited', true).handle;
    const dropped = mapping(process);
    const child = process.fork();
    expect(child.handles.get(kept)).toMatchObject({ attributes: HANDLE_FLAG_INHERIT, access: process.handles.get(kept)!.access });
    expect(child.handles.get(dropped)).toBeUndefined();
    process.exit();
    expect(child.openFileMapping(FILE_MAP_READ, false, 'inherited')).toBe(dropped); // the child's free slot
    child.exit();
    expect(kernel.sections()).toEqual([]);
  });

  it('exit closes every handle, protected ones too: the names go and unmapped sections are destroyed', () => {
    const { kernel, process } = boot();
    const other = kernel.createProcess();
    const h = mapping(other, 'gone');
    other.setHandleInformation(h, HANDLE_FLAG_PROTECT_FROM_CLOSE, HANDLE_FLAG_PROTECT_FROM_CLOSE);
    other.exit();
    expectWin32(() => process.openFileMapping(FILE_MAP_READ, false, 'gone'), ERROR_FILE_NOT_FOUND);
    expect(kernel.sections()).toEqual([]);
    expect(kernel.committed).toBe(0);
  });
});

describe('NtCreateSection, NtOpenSection, NtDuplicateObject (ntdll test_name_collisions)', () => {
  it('a name that exists: STATUS_OBJECT_NAME_COLLISION without OBJ_OPENIF (nothing made), STATUS_OBJECT_NAME_EXISTS with it', () => {
    const { kernel, process } = boot();
    const made = process.ntCreateSection({ desiredAccess: SECTION_MAP_READ | SECTION_QUERY, protect: PAGE_READWRITE, maximumSize: PG, name: 'nt' });
    expect(made).toEqual({ status: STATUS_SUCCESS, handle: 4 });
    expect(process.handles.get(made.handle)!.access).toBe(SECTION_MAP_READ | SECTION_QUERY); // what was asked, not the protection's
    const before = state(kernel);
    expect(process.ntCreateSection({ desiredAccess: SECTION_MAP_READ, protect: PAGE_READWRITE, maximumSize: PG, name: 'nt' })).toEqual({ status: STATUS_OBJECT_NAME_COLLISION, handle: 0 });
    expect(state(kernel)).toEqual(before);
    const opened = process.ntCreateSection({ desiredAccess: GENERIC_READ, protect: PAGE_READWRITE, maximumSize: PG, name: 'nt', objectAttributes: OBJ_OPENIF | OBJ_INHERIT });
    expect(opened.status).toBe(STATUS_OBJECT_NAME_EXISTS);
    expect(process.handles.get(opened.handle)).toMatchObject({ attributes: HANDLE_FLAG_INHERIT, access: STANDARD_RIGHTS_READ | SECTION_QUERY | SECTION_MAP_READ });
    expect(kernel.sections()).toHaveLength(1);
  });

  it('NtOpenSection: STATUS_OBJECT_NAME_NOT_FOUND, or a handle with the access asked; failures of the arguments are statuses too', () => {
    const { process } = boot();
    expect(process.ntOpenSection(SECTION_MAP_READ, 'missing')).toEqual({ status: STATUS_OBJECT_NAME_NOT_FOUND, handle: 0 });
    mapping(process, 'there');
    const r = process.ntOpenSection(SECTION_MAP_WRITE, 'there');
    expect(r.status).toBe(STATUS_SUCCESS);
    expect(process.handles.get(r.handle)!.access).toBe(SECTION_MAP_WRITE);
    expect(process.ntOpenSection(SECTION_MAP_READ, 'a\\b').status).toBe(STATUS_OBJECT_PATH_NOT_FOUND);
    expect(process.ntCreateSection({ desiredAccess: 0, protect: 0, maximumSize: PG }).status).toBe(STATUS_INVALID_PAGE_PROTECTION);
  });

  it('NtDuplicateObject: OBJ_INHERIT and DUPLICATE_SAME_ATTRIBUTES; an invalid source is STATUS_INVALID_HANDLE', () => {
    const { process } = boot();
    const h = mapping(process);
    process.setHandleInformation(h, HANDLE_FLAG_PROTECT_FROM_CLOSE, HANDLE_FLAG_PROTECT_FROM_CLOSE);
    const same = process.ntDuplicateObject(h, process, 0, 0, DUPLICATE_SAME_ACCESS | DUPLICATE_SAME_ATTRIBUTES);
    expect(process.getHandleInformation(same.handle)).toBe(HANDLE_FLAG_PROTECT_FROM_CLOSE);
    const inherited = process.ntDuplicateObject(h, process, SECTION_MAP_READ, OBJ_INHERIT, 0);
    expect(process.handles.get(inherited.handle)).toMatchObject({ access: SECTION_MAP_READ, attributes: HANDLE_FLAG_INHERIT });
    expect(process.ntDuplicateObject(0x400, process, 0, 0, DUPLICATE_SAME_ACCESS)).toEqual({ status: STATUS_INVALID_HANDLE, handle: 0 });
  });
});
