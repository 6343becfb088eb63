/**
 * The process a memory call works on. Called on a {@link Process} (`process.virtualAlloc(…)`), the call
 * works on that process; called with a process handle (`caller.virtualAllocEx(handle, …)`, the NT calls'
 * `processHandle`), it works on the process the handle names in the caller's table, which the call
 * looks up at its process step: after its own argument checks and before the address space, where
 * NtAllocateVirtualMemory and the other calls reference their ProcessHandle (ObReferenceObjectByHandle).
 * The object layer makes the references (objects/process-handles.ts); this layer only resolves them, so
 * the address-space calls never reach up into handle tables.
 * @module
 */
import type { Kernel } from '../kernel/kernel.js';
import type { Process } from '../kernel/process.js';

/** @internal A process named by a handle, resolved when the call reaches its process step. */
export interface ProcessReference {
  /** The kernel of the calling process (and of the process the handle names). */
  readonly kernel: Kernel;
  /**
   * The process the handle names, checked for the access the call needs.
   * @throws {@link WindowsError} STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH, STATUS_ACCESS_DENIED or
   *   STATUS_PROCESS_IS_TERMINATING.
   */
  resolve(): Process;
}

/** @internal What the memory calls take as their process: the process itself, or a handle to resolve. */
export type ProcessArgument = Process | ProcessReference;
