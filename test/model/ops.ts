/**
 * The operations of a model-based sequence, as plain data: fast-check generates
 * and shrinks arrays of them, a failing array prints as a literal that a
 * regression test can paste, and the runner resolves the symbolic parts
 * (which process, which allocation) against the state reached so far.
 */

/** Names of the PE fixtures a sequence may load (fixtures/pe). */
export type ImageName = 'few32.dll' | 'norelocs32.dll' | 'hello32.exe' | 'absolute64.dll';

/** {@link Where}'s `page` for the page just past the end of an allocation. */
export const PAST_THE_END = 1000;

/**
 * An address, relative to the state reached:
 * - `alloc`: page `page` of the process's `index`-th allocation (both modulo
 *   what exists; for getWriteWatch and resetWriteWatch, the `index`-th write-watched one
 *   when there is one; -1 is the page before it, {@link PAST_THE_END} the page after
 *   it), plus `offset` bytes;
 * - `image`: the preferred base of an image (to take it before a load);
 * - `fixed`: an absolute address (free space, the edges of user space).
 */
export type Where =
  | { at: 'alloc'; index: number; page: number; offset: number }
  | { at: 'image'; image: ImageName }
  | { at: 'fixed'; address: number };

/** NtMapViewOfSection's arguments besides the process and the section, as mmukit's options name them (`address`: BaseAddress). */
export interface NtMapArgs {
  protect: number;
  address: number;
  zeroBits: number;
  commitSize: number;
  offset: number;
  viewSize: number;
  inheritDisposition: number;
  allocationType: number;
}

/**
 * A handle of the process: its `open`-th open handle (modulo; in value order, among those of the
 * kind the call takes when there are any) with `tag` in the two tag bits the kernel ignores; or a
 * fixed value (0, 3, one never given out, the current-process pseudo-handle 0xffffffff).
 */
export type HandleRef = { open: number; tag: number } | { value: number };

/**
 * A process or thread handle of the calling process, for the calls that take one:
 * - `of`: its `of`-th handle to an object of the type the call takes (a process; a thread for
 *   GetThreadId), in value order, modulo; `exited`: among those naming an exited object when there
 *   are any (else those naming a live one, when there are any); with none, GetCurrentProcess()
 *   (GetCurrentThread() for a thread);
 * - `pseudo`: GetCurrentProcess() (0xffffffff) or GetCurrentThread() (0xfffffffe);
 * - `other`: its `other`-th handle to an object of another type (a section, a file; a thread for a
 *   process), or a value never given out when it has none;
 * - `value`: a fixed value (0; one never given out).
 */
export type ObjectRef = { of: number; exited: boolean } | { pseudo: 'process' | 'thread' } | { other: number } | { value: number };

/**
 * A process or thread id for OpenProcess and OpenThread: `live`, the `live`-th live one of the kind
 * asked for (modulo); `exited`, an exited one (half the time, by parity, one a handle still holds);
 * `other`, an id of the other kind (a thread's for OpenProcess); `unused`, an id never given out (the
 * next one, or further); `id`, a fixed value (0).
 */
export type ClientRef = { live: number } | { exited: number } | { other: number } | { unused: number } | { id: number };

/**
 * `via`: the call made by the process through a process handle (VirtualAllocEx, VirtualProtectEx,
 * VirtualFreeEx, VirtualQueryEx, ReadProcessMemory, WriteProcessMemory; the NT calls' ProcessHandle):
 * the addresses are resolved in the process it names, when it names a live one.
 */
export type Via = { via?: ObjectRef };

/** A process: the `proc`-th live one (modulo how many are live). */
export type Op =
  | ({ op: 'alloc'; proc: number; where: Where | null; bytes: number; type: 'reserve' | 'commit' | 'reserve+commit' | 'reserve+watch' | 'reserve+commit+watch' | 'commit+watch'; protect: number; topDown: boolean } & Via)
  | ({ op: 'reset'; proc: number; where: Where; bytes: number } & Via)
  | ({ op: 'protect'; proc: number; where: Where; bytes: number; protect: number } & Via)
  | ({ op: 'decommit'; proc: number; where: Where; bytes: number } & Via)
  | ({ op: 'release'; proc: number; where: Where; bytes: number } & Via)
  | ({ op: 'ntAlloc'; proc: number; where: Where | null; bytes: number; type: number; protect: number; zeroBits: number } & Via)
  | ({ op: 'ntProtect'; proc: number; where: Where; bytes: number; protect: number } & Via)
  | ({ op: 'ntQuery'; proc: number; where: Where; infoClass: number } & Via)
  | ({ op: 'ntFree'; proc: number; where: Where; bytes: number; freeType: number } & Via)
  | { op: 'getWriteWatch'; proc: number; where: Where; bytes: number; flags: number; maxCount: number | null }
  | { op: 'resetWriteWatch'; proc: number; where: Where; bytes: number }
  | { op: 'access'; proc: number; cpu: number; where: Where; kind: 'read' | 'write' | 'execute'; width: 1 | 2 | 4 | 8 }
  | ({ op: 'readMemory'; proc: number; where: Where; bytes: number } & Via)
  | ({ op: 'writeMemory'; proc: number; where: Where; words: number } & Via)
  | ({ op: 'ntRead'; proc: number; where: Where; bytes: number; fill: number } & Via)
  | ({ op: 'ntWrite'; proc: number; where: Where; words: number } & Via)
  | { op: 'lock'; proc: number; where: Where; bytes: number }
  | { op: 'unlock'; proc: number; where: Where; bytes: number }
  /** NtLockVirtualMemory / NtUnlockVirtualMemory with their MapType (MAP_PROCESS, MAP_SYSTEM, or a bad one). */
  | ({ op: 'ntLock' | 'ntUnlock'; proc: number; where: Where; bytes: number; mapType: number } & Via)
  | ({ op: 'query'; proc: number; where: Where } & Via)
  | { op: 'fork'; proc: number }
  /** `held`: a process another one holds a handle to, when there is one (its handle then names an exited process). */
  | { op: 'exit'; proc: number; held?: boolean }
  | { op: 'spawn' }
  | { op: 'run'; proc: number; cpu: number }
  | { op: 'idle'; cpu: number }
  /**
   * `file` (backing 'file' only): over the file of the `file`-th file section made so far (modulo), not a new file; pages and tail are then the file's.
   * `image` (backing 'file' only): over that image's file (its fixture's bytes), with a protection that may not write it.
   */
  | { op: 'createSection'; backing: 'commit' | 'reserve' | 'file'; pages: number; tail: number; protect: number; file?: number; image?: ImageName }
  | { op: 'closeSection'; section: number }
  /** `section`: the `section`-th section made so far (modulo), or a handle of the process (MapViewOfFile through it, B65). */
  | { op: 'map'; proc: number; section: number | HandleRef; access: number; offset: number; where: Where | null }
  | { op: 'unmap'; proc: number; where: Where }
  | { op: 'flush'; proc: number; where: Where; bytes: number }
  /**
   * NtMapViewOfSection of the `section`-th section made so far (modulo), of an image's section, or
   * through a handle of the process; the rest are the call's arguments (`where` its BaseAddress, null for 0).
   */
  | ({ op: 'ntMap'; proc: number; section: number | ImageName | HandleRef; where: Where | null } & Omit<NtMapArgs, 'address'> & Via)
  | ({ op: 'ntUnmap'; proc: number; where: Where } & Via)
  | ({ op: 'ntFlush'; proc: number; where: Where; bytes: number } & Via)
  /** NtAreMappedFilesTheSame(`where`, `other`). */
  | { op: 'areSame'; proc: number; where: Where; other: Where }
  /** NtMapViewOfSection of an image's section; `policy` null: the kernel's. */
  | { op: 'mapImage'; proc: number; image: ImageName; where: Where | null; policy: 'private' | 'aslr' | null }
  | { op: 'loadImage'; proc: number; image: ImageName }
  | { op: 'onExited'; call: ExitedCall }
  /** CreateFile over the `file`-th file made so far (modulo; a new one when there is none). */
  | { op: 'createFile'; proc: number; file: number; access: number; inherit: boolean }
  /**
   * CreateFileMapping: over a file handle, or anonymous (`file` null: INVALID_HANDLE_VALUE) of
   * `pages` × 4 KiB − `tail` bytes (a file section is its file's size: MaximumSize 0); `protect` is
   * flProtect (PAGE_* | SEC_*).
   */
  | { op: 'createFileMapping'; proc: number; file: HandleRef | null; protect: number; pages: number; tail: number; name: string | null; inherit: boolean }
  /** NtCreateSection: as createFileMapping, with SEC_* in `attributes`, the handle's access and OBJ_* attributes. */
  | { op: 'ntCreateSection'; proc: number; file: HandleRef | null; protect: number; attributes: number; pages: number; tail: number; name: string | null; access: number; objectAttributes: number }
  | { op: 'openFileMapping'; proc: number; access: number; inherit: boolean; name: string }
  | { op: 'ntOpenSection'; proc: number; access: number; name: string; objectAttributes: number }
  | { op: 'closeHandle' | 'ntClose' | 'getHandleInformation' | 'querySection'; proc: number; handle: HandleRef }
  | { op: 'setHandleInformation'; proc: number; handle: HandleRef; mask: number; flags: number }
  /**
   * DuplicateHandle, or NtDuplicateObject (`nt`; `inherit` is then OBJ_INHERIT), into the process
   * itself, another live one, an exited one, or none (null).
   */
  | { op: 'duplicateHandle'; proc: number; handle: HandleRef; target: 'self' | 'other' | 'exited' | null; access: number; inherit: boolean; options: number; nt: boolean }
  /** OpenProcess or NtOpenProcess (`nt`; `inherit` is then OBJ_INHERIT), OpenThread or NtOpenThread. */
  | { op: 'openProcess' | 'openThread'; proc: number; target: ClientRef; access: number; inherit: boolean; nt: boolean }
  /**
   * DuplicateHandle or NtDuplicateObject through process handles of the caller: from the `source`
   * process's `handle` (resolved in its table; GetCurrentProcess() and GetCurrentThread() stand for
   * what they name there) into `target`'s (null: none).
   */
  | { op: 'duplicateVia'; proc: number; source: ObjectRef; handle: HandleRef; target: ObjectRef | null; access: number; inherit: boolean; options: number; nt: boolean }
  /** CreateRemoteThread through a process handle of the caller: a thread with the default stack. */
  | { op: 'createRemoteThread'; proc: number; handle: ObjectRef; inherit: boolean }
  /** GetProcessId, GetThreadId, GetProcessIdOfThread. */
  | { op: 'getId'; proc: number; call: 'process' | 'thread' | 'processOfThread'; handle: ObjectRef }
  /** The `thread`-th live thread of any process exits (ExitThread), or runs on a CPU (kernel.runThread, then its process with no thread: the process's current thread, its stack not grown by the harness's accesses). */
  | { op: 'exitThread' | 'runThread'; thread: number; cpu: number }
  /** kernel.snapshot(), the model's whole world captured with it (skipped with four open). */
  | { op: 'snapshot' }
  /**
   * kernel.restore of the `snapshot`-th open snapshot (modulo; the newest with `snapshot` -1), the model's
   * world put back to it; `twice`: then changes on mmukit's side only (writes, allocations, frees, a fork,
   * an exit, a spawn, sections, views, a flush, a thread, CPU switches) and the same restore again.
   */
  | { op: 'restore'; snapshot: number; twice: boolean }
  /** kernel.discardSnapshot of the `snapshot`-th open snapshot (modulo): it and the newer ones dropped, nothing put back. */
  | { op: 'discardSnapshot'; snapshot: number }
  /**
   * kernel.saveState, then Kernel.loadState of its bytes: the sequence goes on in the loaded kernel (no
   * snapshot open). `snapshot` null: the current state; else the `snapshot`-th open snapshot (as `restore`
   * picks it; the current state when none is open), saved, then restored to (the model's world with it).
   */
  | { op: 'saveLoad'; snapshot: number | null };

/** The calls `onExited` makes on an exited process. */
export const EXITED_CALLS = [
  'alloc',
  'query',
  'protect',
  'readMemory',
  'map',
  'fork',
  'loadImage',
  'run',
  'ntAlloc',
  'ntProtect',
  'ntQuery',
  'flush',
  'mapImage',
  'ntMap',
  'ntUnmap',
  'ntLock',
  'ntUnlock',
  'ntFlush',
  'areSame',
  'createFile',
  'createFileMapping',
  'openFileMapping',
  'closeHandle',
  'ntClose',
  'duplicateHandle',
  'getHandleInformation',
  'ntCreateSection',
  'ntOpenSection',
  'querySection',
  'openProcess',
  'ntOpenProcess',
  'allocEx',
  'ntAllocEx',
  'createRemoteThread',
] as const;
export type ExitedCall = (typeof EXITED_CALLS)[number];

const hex = (n: number) => `0x${n.toString(16)}`;

/** One line for a log: the op with its numbers in hex where they are addresses or flags. */
export function describeOp(op: Op): string {
  return JSON.stringify(op, (key, value: unknown) =>
    typeof value === 'number' && ['address', 'protect', 'access', 'offset', 'bytes', 'freeType', 'type', 'allocationType', 'commitSize', 'viewSize', 'value', 'mask', 'flags', 'options', 'objectAttributes', 'attributes'].includes(key) ? hex(value) : value,
  );
}
