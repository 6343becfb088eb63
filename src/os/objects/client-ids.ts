/**
 * The client-id table: process and thread ids and the objects they name, as Windows' PspCidTable. An id
 * names its object while the object exists: while it runs, and after it exited while a handle still refers
 * to it (a process or thread object lives on, with its id, until its last reference goes). OpenProcess and
 * OpenThread look ids up here; an id whose object is gone is STATUS_INVALID_CID. Process and thread ids come
 * from one sequence ({@link Kernel.nextClientId}), as from Windows' one table, so no id names both; none is reused.
 * @module
 */
import type { Kernel } from '../kernel/kernel.js';
import type { Process } from '../kernel/process.js';
import type { Thread } from './threads.js';

interface ClientIds {
  readonly processes: Map<number, Process>;
  readonly threads: Map<number, Thread>;
}

const tables = new WeakMap<Kernel, ClientIds>();

function tableOf(kernel: Kernel): ClientIds {
  let table = tables.get(kernel);
  if (table === undefined) tables.set(kernel, (table = { processes: new Map(), threads: new Map() }));
  return table;
}

/** @internal Enters a new process or thread under its id. */
export function registerClientId(object: Process | Thread): void {
  if (object.objectType === 'Process') tableOf(object.kernel).processes.set(object.pid, object);
  else tableOf(object.process.kernel).threads.set(object.id, object);
}

/** @internal Takes an exited process or thread out of the table once no handle refers to it (its object is deleted). */
export function releaseClientIdIfUnused(object: Process | Thread): void {
  if (!object.exited || object.handleCount > 0) return;
  if (object.objectType === 'Process') tableOf(object.kernel).processes.delete(object.pid);
  else tableOf(object.process.kernel).threads.delete(object.id);
}

/** @internal The process `pid` names: live, or exited with a handle still open; undefined when there is none. */
export function processOfId(kernel: Kernel, pid: number): Process | undefined {
  return tableOf(kernel).processes.get(pid);
}

/** @internal The thread `tid` names: live, or exited with a handle still open; undefined when there is none. */
export function threadOfId(kernel: Kernel, tid: number): Thread | undefined {
  return tableOf(kernel).threads.get(tid);
}

/** @internal Every process and thread the table names, for `verify()`. */
export function clientIdEntries(kernel: Kernel): { processes: ReadonlyMap<number, Process>; threads: ReadonlyMap<number, Thread> } {
  return tableOf(kernel);
}
