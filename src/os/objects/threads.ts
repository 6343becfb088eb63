/**
 * Threads and their stacks (B59): a stack reserved and committed as CreateThread makes it, growing
 * down through its guard page as the thread touches it, and raising STATUS_STACK_OVERFLOW once at
 * its end. A CPU runs a thread ({@link Kernel.runThread}); the kernel's page-fault handler asks the
 * CPU's thread whether a guard page it hit is that thread's stack.
 *
 * Sources:
 * - sizes: Microsoft's "Thread Stack Size" (the linker's 1 MiB default, the header's reserve rounded
 *   up to the allocation granularity) and CreateThread pages (STACK_SIZE_PARAM_IS_A_RESERVATION); Wine's
 *   ntdll tests, test_RtlCreateUserStack (CreateThread(0x3f00) commits 0x4000 under the default reserve,
 *   a commit at or above the reserve makes the reserve that commit rounded up to 1 MiB: 0x20000 →
 *   0x100000, 0x100000 → 0x100000; CreateThread(0x3ff000, STACK_SIZE_PARAM_IS_A_RESERVATION) reserves
 *   0x400000);
 * - layout: Wine's ntdll tests, test_stack_size_thread (one MEM_PRIVATE reservation, AllocationProtect
 *   PAGE_READWRITE: reserved pages, then the guard, then the committed pages up to StackBase), and
 *   ReactOS's RtlpCreateUserStack (the reserve rounded to the allocation granularity, the commit to a page,
 *   a guard page whenever the reserve exceeds the commit);
 * - growth and the end of the stack: the Windows Research Kernel's MiCheckForUserStackOverflow, followed
 *   step by step in `Thread.growStack`; Wine's test_stack_size_thread (a 0x8000-byte frame leaves
 *   0x9000 committed);
 * - exit: Microsoft's "Thread Stack Size" (a stack is freed when its thread exits), ReactOS's
 *   RtlFreeUserThreadStack (MEM_RELEASE of whatever is at TEB.DeallocationStack);
 * - SetThreadStackGuarantee: Wine's kernel32 tests, test_SetThreadStackGuarantee (rounded up to a page,
 *   two pages at least in a 64-bit process, never lowered, a size at or above the reserve refused), and
 *   Wine's kernelbase, which does the same.
 * @module
 */
import { FRAME_SIZE } from '../../mmu/physical-memory.js';
import type { Cpu } from '../kernel/cpu.js';
import {
  ALLOCATION_GRANULARITY,
  ERROR_INVALID_HANDLE,
  ERROR_INVALID_PARAMETER,
  MEM_COMMIT,
  MEM_IMAGE,
  MEM_RESERVE,
  PAGE_GUARD,
  PAGE_READWRITE,
  STATUS_INVALID_HANDLE,
  STATUS_INVALID_PARAMETER,
  STATUS_STACK_OVERFLOW,
} from '../rules/constants.js';
import { kernelException, WindowsError, type ExceptionAccessType, type WindowsExceptionError } from '../rules/errors.js';
import type { PeImage } from '../image/pe-parser.js';
import type { Kernel } from '../kernel/kernel.js';
import { requireKnownOptions } from '../rules/known-options.js';
import type { Process } from '../kernel/process.js';
import { sectionImageInformation } from '../records/section-information.js';
import { releaseAllocation, virtualAlloc, virtualProtect } from '../memory/virtual-memory.js';
import { requireUlong } from './handles.js';
import { registerClientId, releaseClientIdIfUnused } from './client-ids.js';

const PAGE = FRAME_SIZE;
const MEGABYTE = 0x10_0000;

/** CreateThread's dwCreationFlags bit: dwStackSize is the stack's reserve, not its commit (Microsoft's CreateThread page). */
export const STACK_SIZE_PARAM_IS_A_RESERVATION = 0x1_0000;

/**
 * The guard region a stack grows through: one page, the Windows Research Kernel's GUARD_PAGE_SIZE.
 * Wine's tests accept one, two or three guard pages below a new thread's stack; mmukit makes one.
 */
export const STACK_GUARD_PAGE_SIZE = PAGE;

/** The stack reserve and commit of a process whose main image gives none: the linker's defaults, 1 MiB and one page. */
export const DEFAULT_STACK_RESERVE = MEGABYTE;
/** @see {@link DEFAULT_STACK_RESERVE} */
export const DEFAULT_STACK_COMMIT = PAGE;

const roundUp = (value: number, to: number): number => Math.ceil(value / to) * to;

/** {@link Process.createThread}'s options: CreateThread's dwStackSize and dwCreationFlags, as a guest passes them. */
export interface CreateThreadOptions {
  /**
   * dwStackSize: the commit, rounded up to a page (a commit at or above the reserve makes the reserve the
   * commit rounded up to 1 MiB); with {@link STACK_SIZE_PARAM_IS_A_RESERVATION} in `flags`, the reserve,
   * rounded up to 64 KiB. 0 (the default) takes the main image's header value.
   */
  stackSize?: number;
  /** dwCreationFlags: only {@link STACK_SIZE_PARAM_IS_A_RESERVATION} is read; other bits (CREATE_SUSPENDED, …) do not change the stack. */
  flags?: number;
}

const CREATE_THREAD_OPTION_KEYS = ['stackSize', 'flags'];

/** A stack's size before it is reserved: what {@link Process.createThread} reserves and commits ({@link stackSizes}). */
export interface StackSizes {
  /** Bytes reserved: a multiple of 64 KiB. */
  readonly reserve: number;
  /** Bytes committed above the guard page: a multiple of the page size, at most `reserve`. */
  readonly commit: number;
}


/**
 * A thread of a {@link Process}: its id and its stack, with the stack fields Windows keeps in the
 * thread's TEB. The stack is one MEM_PRIVATE reservation [{@link Thread.deallocationStack},
 * {@link Thread.stackBase}): reserved pages, then a guard page (PAGE_READWRITE | PAGE_GUARD), then the
 * committed pages from {@link Thread.stackLimit} up. While a CPU runs the thread ({@link Kernel.runThread}), a
 * touch of a guard page inside that range grows the stack instead of raising
 * STATUS_GUARD_PAGE_VIOLATION (B59).
 *
 * Make one with {@link Process.createThread}; end it with {@link Thread.exit} (or the process's exit).
 *
 * @example
 * ```ts
 * const kernel = new Kernel();
 * const p = kernel.createProcess();
 * const t = p.createThread();                       // 1 MiB reserved, one page committed
 * t.stackBase - t.stackLimit;                       // 0x1000
 * p.virtualQuery(t.stackLimit - 0x1000).protect;    // PAGE_READWRITE | PAGE_GUARD
 * const cpu = kernel.runThread(0, t);
 * cpu.mmu.write32(t.stackBase - 0x1800, 1);         // through the guard: no exception
 * t.stackBase - t.stackLimit;                       // 0x2000
 * t.exit();                                         // the stack is released
 * ```
 */
export class Thread {
  /** The process the thread belongs to. */
  readonly process: Process;
  /** Thread id: drawn from the kernel's one sequence of process and thread ids (as Windows' client-id table), never reused. */
  readonly id: number;
  /** The object type's name, as NtQueryObject(ObjectTypeInformation) gives it: what a thread handle refers to. */
  readonly objectType = 'Thread';
  /** Handles to this thread in every process ({@link Process.openThread}, {@link Process.createRemoteThread}); an exited thread stays known by its id while one is open. */
  handleCount = 0;
  /** TEB.DeallocationStack: the stack reservation's base (its AllocationBase). Its lowest page is never committed. */
  readonly deallocationStack: number;
  /** TEB.NtTib.StackBase: one past the stack's highest byte, the reservation's end. */
  readonly stackBase: number;
  private limit: number;
  private guarantee = 0;
  private ended = false;

  /** @internal Made by {@link Process.createThread}. */
  constructor(process: Process, id: number, deallocationStack: number, stackBase: number, stackLimit: number) {
    this.process = process;
    this.id = id;
    this.deallocationStack = deallocationStack;
    this.stackBase = stackBase;
    this.limit = stackLimit;
  }

  /**
   * TEB.NtTib.StackLimit: the lowest committed page of the stack above its guard page; the committed stack
   * is [stackLimit, stackBase). It moves down one page each time the stack grows through its guard.
   */
  get stackLimit(): number {
    return this.limit;
  }

  /** TEB.GuaranteedStackBytes, set by {@link Thread.setStackGuarantee}: 0 until then. */
  get guaranteedStackBytes(): number {
    return this.guarantee;
  }

  /**
   * True after {@link Thread.exit}, once its process exited, or when its process no longer lists it (a kernel
   * restored to a snapshot taken before the thread was made).
   */
  get exited(): boolean {
    return this.ended || this.process.exited || !this.process.liveThreads.has(this);
  }

  /**
   * @internal The fault path's question (MiCheckForUserStackOverflow's first test): is `va`, a guard
   * page of `process` that a CPU running this thread touched, inside this thread's stack?
   */
  holdsStackAddress(process: Process, va: number): boolean {
    return this.process === process && va >= this.deallocationStack && va < this.stackBase && !this.ended;
  }

  /**
   * @internal A touch of the guard page at `va` in this thread's stack, whose guard bit the fault path
   * has cleared: the Windows Research Kernel's MiCheckForUserStackOverflow. The guard region R is one page,
   * or with a stack guarantee that guarantee rounded up to pages plus one page. With room below, StackLimit
   * becomes the faulting page and the R bytes below it are committed as guard pages: the access is retried
   * (null). Without room (the next guard would reach the reservation's last page), the R bytes above that
   * never-committed last page are committed without guard, StackLimit moves there, and the access raises
   * STATUS_STACK_OVERFLOW; so does a commit that fails (the commit limit), after the guard bits between
   * the new guard and the faulting page are cleared.
   * @returns null when the stack grew, or the STATUS_STACK_OVERFLOW exception for the access to throw.
   */
  growStack(va: number, type: ExceptionAccessType): WindowsExceptionError | null {
    const process = this.process;
    const faultPage = va - (va % PAGE);
    const guarded = this.guarantee !== 0;
    const region = guarded ? roundUp(this.guarantee, PAGE) + PAGE : STACK_GUARD_PAGE_SIZE;
    // With a guarantee, the lowest acceptable guard is one page lower, so that the larger region still fits.
    const lowest = guarded ? this.deallocationStack - PAGE : this.deallocationStack;
    const next = faultPage - region;
    if (next - PAGE <= lowest) {
      const aboveLast = this.deallocationStack + PAGE;
      if (commitStackPages(process, aboveLast, region, PAGE_READWRITE)) this.limit = aboveLast;
      return kernelException(STATUS_STACK_OVERFLOW, type, va);
    }
    this.limit = faultPage;
    if (commitStackPages(process, next, region, PAGE_READWRITE | PAGE_GUARD)) return null;
    if (region > STACK_GUARD_PAGE_SIZE) {
      try {
        virtualProtect(process, next + PAGE, region - PAGE, PAGE_READWRITE);
      } catch (error) {
        if (!(error instanceof WindowsError)) throw error;
      }
    }
    return kernelException(STATUS_STACK_OVERFLOW, type, va);
  }

  /**
   * ExitThread: ends the thread and releases its stack — the private allocation at
   * {@link Thread.deallocationStack}, with its commit and frames, as Windows releases TEB.DeallocationStack
   * (whatever the program left there: nothing if it freed the stack itself; a view stays) — and takes it off
   * every CPU that runs it (they keep running its process, with no thread). The process lives on: mmukit
   * processes need no thread. Idempotent, as {@link Process.exit} is; after the process's exit there is
   * nothing left to release.
   *
   * @example
   * ```ts
   * const t = p.createThread();
   * t.exit();
   * p.virtualQuery(t.deallocationStack).state; // MEM_FREE
   * t.exited;                                  // true
   * ```
   */
  exit(): void {
    if (this.exited) return;
    const process = this.process;
    process.kernel.changes?.touchAll(); // its stack, its process's lists, the client-id table
    const stack = process.regions.find(this.deallocationStack);
    if (stack !== undefined && stack.base === this.deallocationStack && stack.view === null) releaseAllocation(process, stack);
    this.ended = true;
    process.liveThreads.delete(this);
    releaseClientIdIfUnused(this);
    for (const cpu of process.kernel.cpus) if (cpu.thread === this) cpu.thread = null;
  }

  /**
   * SetThreadStackGuarantee: raises the stack the thread keeps for handling its STATUS_STACK_OVERFLOW
   * (TEB.GuaranteedStackBytes). `size` rounds up to a page (to two pages at least in a 64-bit process);
   * 0 only queries, and a size not above the current guarantee changes nothing. The kernel reads it at
   * the next guard-page fault: the guard region grows to the guarantee plus one page, and the overflow
   * leaves the guarantee committed.
   *
   * @returns the previous guarantee (the value SetThreadStackGuarantee writes back into `*size`).
   * @throws {@link WindowsError} STATUS_INVALID_PARAMETER / ERROR_INVALID_PARAMETER (nothing changes) when
   *   the rounded size is at least the stack's reserve, or `size` is not a ULONG; STATUS_INVALID_HANDLE /
   *   ERROR_INVALID_HANDLE for an exited thread.
   *
   * @example
   * ```ts
   * const t = kernel.createProcess().createThread();  // a 64-bit process
   * t.setStackGuarantee(200);                         // 0: there was none
   * t.guaranteedStackBytes;                           // 0x2000: a page, then two at least
   * t.setStackGuarantee(2000);                        // 0x2000, and the guarantee stays 0x2000
   * ```
   */
  setStackGuarantee(size: number): number {
    requireLiveThread(this);
    this.process.kernel.changes?.touchAll(); // the stack's guard pages may move
    const requested = requireUlong(size, 'size');
    const previous = this.guarantee;
    let bytes = roundUp(requested, PAGE);
    if (bytes !== 0 && is64BitProcess(this.process)) bytes = Math.max(bytes, 2 * PAGE);
    const reserve = this.stackBase - this.deallocationStack;
    if (bytes >= reserve) {
      throw new WindowsError(STATUS_INVALID_PARAMETER, `a guarantee of 0x${bytes.toString(16)} bytes does not fit the stack's reserve of 0x${reserve.toString(16)}`, ERROR_INVALID_PARAMETER);
    }
    if (bytes > previous) this.guarantee = bytes;
    return previous;
  }
}

/** MEM_COMMIT of [address, address + size) in the stack with `protect`; false when the commit fails (commit limit, outside the reservation). */
function commitStackPages(process: Process, address: number, size: number, protect: number): boolean {
  try {
    virtualAlloc(process, address, size, MEM_COMMIT, protect);
    return true;
  } catch (error) {
    if (error instanceof WindowsError) return false;
    throw error;
  }
}

/**
 * The process's main image (PEB.ImageBaseAddress): the EXE image (no IMAGE_FILE_DLL) mapped in it, the
 * lowest if there are several; null when it maps none. mmukit processes have no main image of their own.
 */
function mainImage(process: Process): PeImage | null {
  for (const allocation of process.regions) {
    const view = allocation.view;
    if (allocation.type !== MEM_IMAGE || view === null || view.firstPage !== 0) continue;
    const image = view.section.image;
    if (image !== null && !image.pe.isDll) return image.pe;
  }
  return null;
}

/** Whether the process's threads run 64-bit code: a 64-bit page-table format, and a main image (if any) that is PE32+. */
function is64BitProcess(process: Process): boolean {
  if (process.kernel.format.vaBits <= 32) return false;
  const image = mainImage(process);
  return image === null || image.is64;
}

/**
 * What CreateThread reserves and commits for a new stack in `process`. The defaults are the main image's
 * SizeOfStackReserve and SizeOfStackCommit ({@link DEFAULT_STACK_RESERVE} and
 * {@link DEFAULT_STACK_COMMIT} without one, or for a header value of 0). `stackSize` replaces the commit,
 * or with {@link STACK_SIZE_PARAM_IS_A_RESERVATION} the reserve. The commit rounds up to a page, the
 * reserve to 64 KiB, and a commit at or above the reserve makes the reserve the commit rounded up to 1 MiB.
 *
 * @example
 * ```ts
 * const p = new Kernel().createProcess();
 * stackSizes(p, { stackSize: 0x3f00 });                                            // { reserve: 0x100000, commit: 0x4000 }
 * stackSizes(p, { stackSize: 0x3ff000, flags: STACK_SIZE_PARAM_IS_A_RESERVATION }); // { reserve: 0x400000, commit: 0x1000 }
 * stackSizes(p, { stackSize: 0x20000, flags: 0 }).reserve;                         // 0x100000: the default reserve
 * stackSizes(p, { stackSize: 0x180000 });                                          // { reserve: 0x200000, commit: 0x180000 }
 * ```
 * @throws {@link WindowsError} STATUS_INVALID_PARAMETER / ERROR_INVALID_PARAMETER for an unknown option, a
 *   `stackSize` that is not an integer in [0, top of user space], or `flags` that are not a DWORD.
 */
export function stackSizes(process: Process, options: CreateThreadOptions = {}): StackSizes {
  if (options === null || typeof options !== 'object') throw new WindowsError(STATUS_INVALID_PARAMETER, 'options must be an object', ERROR_INVALID_PARAMETER);
  requireKnownOptions(options, CREATE_THREAD_OPTION_KEYS, 'createThread');
  const stackSize = options.stackSize === undefined ? 0 : options.stackSize;
  if (typeof stackSize !== 'number' || !Number.isInteger(stackSize) || stackSize < 0 || stackSize > process.kernel.userTop) {
    throw new WindowsError(STATUS_INVALID_PARAMETER, `stackSize must be an integer in [0, 0x${process.kernel.userTop.toString(16)}], got ${String(stackSize)}`, ERROR_INVALID_PARAMETER);
  }
  const flags = options.flags === undefined ? 0 : requireUlong(options.flags, 'flags');
  const reservation = (flags & STACK_SIZE_PARAM_IS_A_RESERVATION) !== 0;
  const pe = mainImage(process);
  const header = pe === null ? null : sectionImageInformation(pe);
  let reserve = reservation && stackSize !== 0 ? stackSize : header?.maximumStackSize || DEFAULT_STACK_RESERVE;
  let commit = !reservation && stackSize !== 0 ? stackSize : header?.committedStackSize || DEFAULT_STACK_COMMIT;
  commit = roundUp(commit, PAGE);
  reserve = roundUp(reserve, ALLOCATION_GRANULARITY);
  if (commit >= reserve) reserve = roundUp(commit, MEGABYTE);
  return { reserve, commit };
}

/**
 * CreateThread: a thread of `process` with a new stack ({@link stackSizes}), reserved as one MEM_PRIVATE
 * reservation at the lowest free 64 KiB boundary (below 2 GiB in a 32-bit process), its top `commit`
 * bytes committed PAGE_READWRITE, and one guard page (PAGE_READWRITE | PAGE_GUARD) below them when the
 * reserve leaves room (a commit equal to the reserve commits it all, with no guard). Commit is charged
 * for the committed pages and the guard page. Nothing changes when it fails.
 * @internal Called through {@link Process.createThread}.
 */
export function createThread(process: Process, options: CreateThreadOptions = {}): Thread {
  const kernel = process.kernel;
  kernel.requireLive(process);
  const { reserve, commit } = stackSizes(process, options);
  const limit = is64BitProcess(process) ? Infinity : 0x8000_0000;
  const base = virtualAlloc(process, 0, reserve, MEM_RESERVE, PAGE_READWRITE, limit);
  const stackBase = base + reserve;
  const stackLimit = stackBase - commit;
  try {
    virtualAlloc(process, stackLimit, commit, MEM_COMMIT, PAGE_READWRITE);
    if (stackLimit > base) virtualAlloc(process, stackLimit - STACK_GUARD_PAGE_SIZE, STACK_GUARD_PAGE_SIZE, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
  } catch (error) {
    releaseAllocation(process, process.regions.find(base)!);
    throw error;
  }
  const thread = new Thread(process, kernel.nextClientId(), base, stackBase, stackLimit);
  registerClientId(thread);
  process.liveThreads.add(thread);
  return thread;
}

/** Throws STATUS_INVALID_HANDLE for a value that is not a live {@link Thread}. */
function requireLiveThread(thread: Thread): void {
  if (!(thread instanceof Thread) || thread.exited) {
    throw new WindowsError(STATUS_INVALID_HANDLE, 'thread handle is not valid (exited, or not a thread)', ERROR_INVALID_HANDLE);
  }
}

/** @internal The live threads of `process`, in creation order (none once it exited): {@link Process.threads}. */
export function threadsOf(process: Process): Thread[] {
  if (process.exited) return [];
  return [...process.liveThreads];
}

/**
 * Runs `thread` on a CPU of `kernel`: {@link Kernel.run} for its process, then {@link Cpu.thread} set.
 * @throws {@link WindowsError} STATUS_INVALID_HANDLE / ERROR_INVALID_HANDLE for an exited thread, or one of another kernel.
 * @internal Called through {@link Kernel.runThread}.
 */
export function runThread(kernel: Kernel, cpu: number | Cpu, thread: Thread): Cpu {
  requireLiveThread(thread);
  const target = kernel.run(cpu, thread.process);
  target.thread = thread;
  thread.process.setCurrentThread(thread);
  return target;
}
