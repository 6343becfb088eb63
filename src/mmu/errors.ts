/**
 * Typed errors thrown by the hardware half.
 *
 * Every error mmukit throws extends {@link MmukitError} and carries a stable
 * machine-readable {@link MmukitError.code}, so callers can branch on the code
 * instead of parsing messages.
 */

import type { MmukitErrorCode } from './error-codes.js';

/**
 * Base class of every error thrown by mmukit.
 *
 * | class | `code` |
 * |---|---|
 * | {@link InvalidArgumentError} | `'INVALID_ARGUMENT'` |
 * | {@link PhysicalAccessError} | `'PHYSICAL_UNMAPPED'`, `'PHYSICAL_ROM_WRITE'` |
 * | {@link OutOfFramesError} | `'OUT_OF_FRAMES'` |
 * | {@link PageFaultError} | `'PAGE_FAULT'` |
 * | {@link FaultLoopError} | `'FAULT_LOOP'` |
 * | {@link WindowsError}, {@link WindowsExceptionError} | the NTSTATUS name, e.g. `'STATUS_ACCESS_VIOLATION'` |
 * | {@link ImageFormatError} | `'IMAGE_FORMAT'` |
 * | {@link SavedStateError} | `'SAVED_STATE'` |
 *
 * The TLB module's {@link TlbConfigError} is the one exception: it extends `Error` only.
 *
 * @example
 * ```ts
 * const mem = new PhysicalMemory({ size: 1 << 20 });
 * let code = '';
 * try { mem.read32(0xdead_0000); } catch (e) { if (e instanceof MmukitError) code = e.code; }
 * code; // 'PHYSICAL_UNMAPPED'
 * ```
 */
export class MmukitError extends Error {
  /**
   * A stable identifier of the kind of error, for example `'OUT_OF_FRAMES'`:
   * one of {@link MmukitErrorCode}, so a misspelt comparison does not type-check.
   */
  readonly code: MmukitErrorCode;

  /**
   * Creates an error with a code and a message.
   * @param code - stable identifier of the error kind.
   * @param message - human-readable explanation; omitted by subclasses whose
   *   message is built from their fields only when it is read (see {@link MmukitError.describe}).
   */
  constructor(code: MmukitErrorCode, message?: string) {
    // No message argument: Error then defines no own `message`, and the prototype's accessor
    // below answers from describe() on first read.
    if (message === undefined) super();
    else super(message);
    this.code = code;
    this.name = new.target.name;
  }

  /**
   * The message of an error constructed without one, built when `message` (or
   * `stack`, `toString`) is first read: the errors that stand for a guest's
   * fault are thrown by the million and mostly caught without being read, and
   * formatting their message costs more than the rest of the fault.
   * Subclasses that pass no message override it; the default is `''`.
   *
   * One consequence: the structured clone of such an error (`structuredClone`,
   * `postMessage` to a worker, Node's advanced IPC serialization) copies only
   * a message that has been read; read `message` before sending the error.
   */
  protected describe(): string {
    return '';
  }

  /**
   * The error as plain data for `JSON.stringify` (which would otherwise drop
   * the message): `name`, `code`, `message` and the subclass's own fields; a
   * {@link PageFaultError}'s `fault` becomes {@link TranslationFault.toJSON}, with
   * names for the reason, access and privilege.
   *
   * @example
   * ```ts
   * JSON.stringify(new OutOfFramesError(1, 0));
   * // '{"name":"OutOfFramesError","code":"OUT_OF_FRAMES","message":"out of physical frames: 1 requested, 0 free","requested":1,"available":0}'
   * ```
   */
  toJSON(): Record<string, unknown> {
    const json: Record<string, unknown> = { name: this.name, code: this.code, message: this.message };
    for (const key of Object.keys(this)) {
      if (key in json) continue;
      const value: unknown = (this as unknown as Record<string, unknown>)[key];
      const toJSON = value !== null && typeof value === 'object' ? (value as { toJSON?: unknown }).toJSON : undefined;
      json[key] = typeof toJSON === 'function' ? (toJSON as () => unknown).call(value) : value;
    }
    return json;
  }
}

// `message` of an error constructed without one: describe(), computed once and then kept as the
// error's own property. An assignment to `message` also makes an own property, as on any Error.
// Read on something that is not an error instance (a prototype, when a debugger or util.inspect
// shows it) it answers '' and stores nothing: a value kept on a prototype would shadow the message
// of every later error. A describe() that throws must not make showing the error throw: the
// message is then the code. A frozen error keeps nothing and describes itself on every read.
const hasOwn = Object.prototype.hasOwnProperty;
Object.defineProperty(MmukitError.prototype, 'message', {
  configurable: true,
  enumerable: false,
  get(this: MmukitError): string {
    if (!hasOwn.call(this, 'code')) return '';
    let message: string;
    try {
      message = String((this as unknown as { describe(): string }).describe());
    } catch {
      message = String(this.code);
    }
    if (Object.isExtensible(this)) Object.defineProperty(this, 'message', { value: message, writable: true, enumerable: false, configurable: true });
    return message;
  },
  set(this: MmukitError, value: unknown) {
    Object.defineProperty(this, 'message', { value, writable: true, enumerable: false, configurable: true });
  },
});

/**
 * An argument to a public entry point was invalid (not an integer, out of range,
 * unaligned, unknown option). Nothing was changed by the failed call.
 * {@link MmukitError.code} is `'INVALID_ARGUMENT'`.
 */
export class InvalidArgumentError extends MmukitError {
  /**
   * Creates the error.
   * @param message - what was wrong with which argument.
   */
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

/**
 * A physical access reached no device: the address is outside RAM, ROM and every
 * MMIO region, or it wrote to a ROM configured to fault. Thrown by
 * {@link PhysicalMemory} when it is configured with `unmapped: 'fault'` (the
 * default); the MMU turns it into an access fault for the guest
 * ({@link FaultReason.BusError}: x86 `#MC`, RISC-V access-fault `scause` 1, 5 or 7).
 *
 * {@link MmukitError.code} is `'PHYSICAL_UNMAPPED'` or `'PHYSICAL_ROM_WRITE'`.
 */
export class PhysicalAccessError extends MmukitError {
  /** The physical address of the first byte of the failed access. */
  readonly physicalAddress: number;
  /** Size of the access in bytes (1, 2, 4 or 8), or the length of a block access. */
  readonly size: number;
  /** True for a write, false for a read. */
  readonly write: boolean;

  /**
   * Creates the error for one failed access.
   * @param physicalAddress - address of the failed access.
   * @param size - access size in bytes.
   * @param write - whether the access was a write.
   * @param reason - `'UNMAPPED'` or `'ROM_WRITE'`.
   */
  constructor(physicalAddress: number, size: number, write: boolean, reason: 'UNMAPPED' | 'ROM_WRITE') {
    super(
      reason === 'UNMAPPED' ? 'PHYSICAL_UNMAPPED' : 'PHYSICAL_ROM_WRITE',
      `${write ? 'write' : 'read'} of ${String(size)} byte(s) at physical ${typeof physicalAddress === 'number' && Number.isFinite(physicalAddress) ? `0x${physicalAddress.toString(16)}` : String(physicalAddress)}: ` +
        (reason === 'UNMAPPED' ? 'no RAM, ROM or MMIO region there' : 'ROM is read-only'),
    );
    this.physicalAddress = physicalAddress;
    this.size = size;
    this.write = write;
  }
}

/**
 * The frame allocator has no free frame left. The request that needed it
 * changed nothing. {@link MmukitError.code} is `'OUT_OF_FRAMES'`. (Inside a
 * {@link Kernel}'s fault handler it becomes STATUS_IN_PAGE_ERROR, see
 * {@link WindowsExceptionError}.)
 */
export class OutOfFramesError extends MmukitError {
  /** How many frames (4 KiB each) were requested. */
  readonly requested: number;
  /** How many were free at the time. */
  readonly available: number;

  /**
   * Creates the error.
   * @param requested - number of frames asked for.
   * @param available - number of frames that were free.
   */
  constructor(requested: number, available: number) {
    super('OUT_OF_FRAMES', `out of physical frames: ${requested} requested, ${available} free`);
    this.requested = requested;
    this.available = available;
  }
}

/** Why a saved state could not be saved or loaded: see {@link SavedStateError.reason}. */
export type SavedStateErrorReason = 'not-a-saved-state' | 'version' | 'corrupt' | 'mismatch' | 'unsupported';

/**
 * A saved state (`Kernel.saveState`, {@link MachineSnapshots.save}) could not be written or loaded. The failed
 * call changed nothing: a load that fails leaves the machine it was loading into as it was, and
 * `Kernel.loadState` makes no kernel. {@link MmukitError.code} is `'SAVED_STATE'`; {@link SavedStateError.reason}
 * says why:
 *
 * | reason | meaning |
 * |---|---|
 * | `'not-a-saved-state'` | the bytes do not start with mmukit's signature (another file, an empty array) |
 * | `'version'` | a saved state of a format version this mmukit does not read |
 * | `'corrupt'` | the checksum or the structure is wrong: a truncated or damaged blob |
 * | `'mismatch'` | a kernel's state given to a machine's load or the reverse, or a machine of another size or MMU count |
 * | `'unsupported'` | the state holds what cannot be saved (an object the format does not know, a custom page-table format not passed back) |
 */
export class SavedStateError extends MmukitError {
  /** Why: see the table above. */
  readonly reason: SavedStateErrorReason;

  /**
   * Creates the error.
   * @param reason - why the state could not be saved or loaded.
   * @param message - what exactly was wrong.
   */
  constructor(reason: SavedStateErrorReason, message: string) {
    super('SAVED_STATE', message);
    this.reason = reason;
  }
}

/** `Error` as V8 and JavaScriptCore have it: `stackTraceLimit` bounds the frames a new error captures. */
const errorConstructor = Error as unknown as { stackTraceLimit?: unknown };

/**
 * Builds an error without capturing a JavaScript stack: for errors that stand
 * for the guest's fault, where the host's frames say nothing and capturing them
 * costs several times the rest of the fault. `Error.stackTraceLimit` is 0 for the
 * construction only and restored; an engine without that knob, or with frozen
 * intrinsics, captures as usual. The error's `stack` is then its name and message.
 * @internal
 */
export function withoutStackTrace<T>(make: () => T): T {
  const limit = errorConstructor.stackTraceLimit;
  if (typeof limit !== 'number' || limit <= 0) return make();
  try {
    errorConstructor.stackTraceLimit = 0;
  } catch {
    return make();
  }
  try {
    return make();
  } finally {
    errorConstructor.stackTraceLimit = limit;
  }
}
