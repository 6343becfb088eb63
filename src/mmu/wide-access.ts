/**
 * Accessors for every address a 64-bit register can hold, given as a BigInt or
 * as two 32-bit halves, for emulators that keep their registers that way: the
 * canonical check, the reduction to the format's virtual-address bits and the
 * exact path above 2^53 (the upper half of Sv57 and of x86 5-level paging, where
 * Linux puts its kernel) are the library's, not the caller's.
 * @module
 */
import { Access } from './access.js';
import { InvalidArgumentError } from './errors.js';
import { FaultReason } from './fault-reason.js';
import { MmuBulkAccess } from './bulk-access.js';
import { FAULTED, RETRY } from './slow-path.js';
import { TRANSLATION_CACHE_SLOTS } from './translation-cache.js';

const TWO_32 = 4_294_967_296;
/** Bits 63:32 at and above this put an address at or above 2^53, past what a number holds exactly. */
const EXACT_HIGH_LIMIT = 0x20_0000;
const PAGE_SIZE = 4096;
const PAGE_MASK = 0xfff;
const SLOT_MASK = TRANSLATION_CACHE_SLOTS - 1;
/** As the hit path's: translation-cache hits are folded into the cycle count every 2^30. */
const HIT_FOLD = 1 << 30;

/** What a wide access does. */
const enum Kind {
  Read,
  Write,
  Translate,
}

/** Access sizes of the wide reads and writes. */
export type WideSize = 1 | 2 | 4 | 8;

/** Bounds of a 64-bit register value given as a bigint. */
const MIN_REGISTER = -(1n << 63n);
const REGISTER_LIMIT = 1n << 64n;

/** The sizes each kind of access takes (compares, not an array lookup: these run on every access). */
function requireSize(size: unknown, eight: boolean, one: boolean): void {
  if (size === 4 || size === 2 || (size === 1 && one) || (size === 8 && eight)) return;
  throw new InvalidArgumentError(`size must be one of ${one ? '1, ' : ''}2, 4${eight ? ', 8' : ''}, got ${String(size)}`);
}

function requireHalf(value: unknown, what: string): number {
  if (typeof value === 'number' && value >= -0x8000_0000 && value < TWO_32 && Math.floor(value) === value) return value >>> 0;
  throw new InvalidArgumentError(`${what} must be a 32-bit integer (signed or unsigned), got ${String(value)}`);
}

function requireAccess(access: unknown): Access {
  if (access !== Access.Read && access !== Access.Write && access !== Access.Execute) {
    throw new InvalidArgumentError(`access must be Access.Read, Access.Write or Access.Execute, got ${String(access)}`);
  }
  return access;
}

/**
 * The wide accessors of an {@link Mmu} (its base class; use {@link Mmu}).
 * @internal
 */
export abstract class MmuWideAccess extends MmuBulkAccess {
  /** Bits 63:32 of the value the last 8-byte wide read returned (see {@link Mmu.read64Halves}). */
  private resultHigh = 0;
  /** Bits 63:32 and 31:0 of the address the last wide access was given, once split. */
  private argumentHigh = 0;
  private argumentLow = 0;
  /** Eight bytes in which a bigint is split into halves and put back together without allocating. */
  private readonly splitter = new DataView(new ArrayBuffer(8));

  /** @internal */ abstract tryRead8(va: number): number;
  /** @internal */ abstract tryRead16(va: number): number;
  /** @internal */ abstract tryRead32(va: number): number;
  /** @internal */ abstract tryWrite8(va: number, value: number): boolean;
  /** @internal */ abstract tryWrite16(va: number, value: number): boolean;
  /** @internal */ abstract tryWrite32(va: number, value: number): boolean;
  /** @internal */ abstract tryFetch16(va: number): number;
  /** @internal */ abstract tryFetch32(va: number): number;

  // ---------------------------------------------------------------- BigInt addresses

  /**
   * Reads `size` bytes (little-endian, unsigned) at the address held in a 64-bit
   * register, given as a BigInt: for emulators that keep registers as BigInts.
   *
   * The address is taken as the hardware takes it. With translation on, a
   * 64-bit format's address must be canonical (bits 63 down to `vaBits - 1`
   * all equal; otherwise a `NonCanonical` fault: x86 #GP, a RISC-V page
   * fault) and is translated by its low `vaBits` bits; a 32-bit format's
   * (x86-32, PAE, Sv32) is its low 32 bits. Untranslated (paging off, RISC-V
   * M-mode), it is the physical address, and one at or above 2^53 reaches no
   * memory (`BusError`). Every address is exact, including the upper half of
   * Sv57 and 5-level paging above 2^53, which the number-taking accessors
   * cannot express: a fault there records its exact address in
   * {@link FaultRecord.addressHigh} and {@link FaultRecord.addressLow}
   * ({@link TranslationFault.addressBig}). Costs, statistics and faults are
   * those of {@link Mmu.read32}; below 2^53 it is {@link Mmu.tryRead32} after the split.
   *
   * @param va - the register value: a bigint in [-2^63, 2^64), negative values as two's complement.
   * @param size - 1, 2, 4 or 8 bytes.
   * @returns the value read, zero-extended.
   * @throws {@link PageFaultError}, {@link FaultLoopError} as {@link Mmu.read8}.
   * @throws {@link InvalidArgumentError} when `va` or `size` is not one of those.
   *
   * @example
   * ```ts
   * const memory = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000 });
   * const tables = new PageTableBuilder(memory, 'sv57', new FrameAllocator(memory));
   * const kernel = 0xff60_0000_0000_1000n;            // in Sv57's upper half
   * // A page start is an exact number up to 2^57: map the page by its low 57 bits.
   * tables.map(Number(BigInt.asUintN(57, kernel)), 0x8008_0000, { writable: true });
   * const mmu = new Mmu({ memory, format: 'sv57' });
   * mmu.setRoot(tables.root, 1);
   * mmu.writeN(kernel + 7n, 4, 0x1122_3344n);          // 0xff60_0000_0000_1007: no number holds it
   * memory.read32(0x8008_0007);                        // 0x1122_3344
   * mmu.readN(kernel + 7n, 2);                         // 0x3344n
   * mmu.tryReadN(kernel + 0x1007n, 1);                 // -1n: the next page is not mapped
   * mmu.faultRecord.addressBig;                        // 0x160_0000_0000_2007n, exact (stval: sign-extend it)
   * ```
   */
  readN(va: bigint, size: WideSize): bigint {
    const value = this.tryReadN(va, size);
    if (value === -1n) this.throwLastFault();
    return value;
  }

  /**
   * {@link Mmu.readN} without the exception: returns -1n (no unsigned load yields it) when the
   * access faults and no handler resolves it, the fault being in {@link Mmu.faultRecord}.
   * @throws {@link FaultLoopError}, or what the fault handler throws, as {@link Mmu.read8}.
   * @throws {@link InvalidArgumentError} as {@link Mmu.readN}.
   */
  tryReadN(va: bigint, size: WideSize): bigint {
    requireSize(size, true, true);
    this.splitBig(va);
    const value = this.wide(this.argumentHigh, this.argumentLow, size, Kind.Read, Access.Read, 0, 0);
    if (value === FAULTED) return -1n;
    if (size !== 8) return BigInt(value);
    this.splitter.setUint32(0, value, true);
    this.splitter.setUint32(4, this.resultHigh, true);
    return this.splitter.getBigUint64(0, true);
  }

  /**
   * Writes the low `size` bytes of `value`, little-endian, at the address held in a 64-bit
   * register (as {@link Mmu.readN} takes it). A write that crosses a page boundary translates
   * both pages before writing any byte.
   * @param va - the register value, as {@link Mmu.readN}.
   * @param size - 1, 2, 4 or 8 bytes.
   * @param value - a bigint; its low `8 * size` bits are written.
   * @throws {@link PageFaultError}, {@link FaultLoopError} as {@link Mmu.read8}; nothing is written then.
   * @throws {@link InvalidArgumentError} when `va`, `size` or `value` is not one of those.
   */
  writeN(va: bigint, size: WideSize, value: bigint): void {
    if (!this.tryWriteN(va, size, value)) this.throwLastFault();
  }

  /**
   * {@link Mmu.writeN} without the exception: false when the access faults and no handler
   * resolves it (nothing is written; the fault is in {@link Mmu.faultRecord}).
   * @throws {@link FaultLoopError}, or what the fault handler throws, as {@link Mmu.read8}.
   * @throws {@link InvalidArgumentError} as {@link Mmu.writeN}.
   */
  tryWriteN(va: bigint, size: WideSize, value: bigint): boolean {
    requireSize(size, true, true);
    if (typeof value !== 'bigint') throw new InvalidArgumentError(`value must be a bigint, got ${String(value)}`);
    this.splitBig(va);
    this.splitter.setBigUint64(0, value, true); // modulo 2^64: the low `size` bytes are what count
    return this.wide(this.argumentHigh, this.argumentLow, size, Kind.Write, Access.Write, this.splitter.getUint32(0, true), this.splitter.getUint32(4, true)) !== FAULTED;
  }

  /**
   * Fetches `size` bytes of instruction stream (an execute access through the instruction
   * TLB) at the address held in a 64-bit register, as {@link Mmu.readN} takes it.
   * @param va - the register value, as {@link Mmu.readN}.
   * @param size - 2 or 4 bytes.
   * @throws {@link PageFaultError}, {@link FaultLoopError} as {@link Mmu.read8}.
   * @throws {@link InvalidArgumentError} when `va` or `size` is not one of those.
   */
  fetchN(va: bigint, size: 2 | 4): bigint {
    const value = this.tryFetchN(va, size);
    if (value === -1n) this.throwLastFault();
    return value;
  }

  /**
   * {@link Mmu.fetchN} without the exception: -1n when the fetch faults and no handler resolves it.
   * @throws {@link FaultLoopError}, or what the fault handler throws, as {@link Mmu.read8}.
   * @throws {@link InvalidArgumentError} as {@link Mmu.fetchN}.
   */
  tryFetchN(va: bigint, size: 2 | 4): bigint {
    requireSize(size, false, false);
    this.splitBig(va);
    const value = this.wide(this.argumentHigh, this.argumentLow, size, Kind.Read, Access.Execute, 0, 0);
    return value === FAULTED ? -1n : BigInt(value);
  }

  /**
   * Translates the address held in a 64-bit register (as {@link Mmu.readN} takes it) for an
   * access without performing it, as {@link Mmu.translate} does.
   * @param va - the register value, as {@link Mmu.readN}.
   * @param access - the access to translate for.
   * @returns the physical address.
   * @throws {@link PageFaultError}, {@link FaultLoopError} as {@link Mmu.read8}.
   * @throws {@link InvalidArgumentError} when `va` or `access` is not one of those.
   */
  translateN(va: bigint, access: Access): number {
    const pa = this.tryTranslateN(va, access);
    if (pa === FAULTED) this.throwLastFault();
    return pa;
  }

  /**
   * {@link Mmu.translateN} without the exception: {@link FAULTED} when the translation faults
   * and no handler resolves it.
   * @throws {@link FaultLoopError}, or what the fault handler throws, as {@link Mmu.read8}.
   * @throws {@link InvalidArgumentError} as {@link Mmu.translateN}.
   */
  tryTranslateN(va: bigint, access: Access): number {
    requireAccess(access);
    this.splitBig(va);
    return this.wide(this.argumentHigh, this.argumentLow, 1, Kind.Translate, access, 0, 0);
  }

  // ---------------------------------------------------------------- 32-bit halves

  /**
   * Reads `size` bytes at the address held in a 64-bit register kept as two 32-bit halves:
   * for emulators that keep registers as pairs of int32s. The address is taken as
   * {@link Mmu.readN} takes it, and nothing is allocated.
   * @param high - bits 63:32 of the register (signed or unsigned 32-bit).
   * @param low - bits 31:0 (signed or unsigned 32-bit).
   * @param size - 1, 2 or 4 bytes (8: {@link Mmu.read64Halves}).
   * @returns the value read, unsigned.
   * @throws {@link PageFaultError}, {@link FaultLoopError} as {@link Mmu.read8}.
   * @throws {@link InvalidArgumentError} when a half or `size` is not one of those.
   */
  readHalves(high: number, low: number, size: 1 | 2 | 4): number {
    const value = this.tryReadHalves(high, low, size);
    if (value === FAULTED) this.throwLastFault();
    return value;
  }

  /**
   * {@link Mmu.readHalves} without the exception: {@link FAULTED} when the access faults and no
   * handler resolves it.
   * @throws {@link FaultLoopError}, or what the fault handler throws, as {@link Mmu.read8}.
   * @throws {@link InvalidArgumentError} as {@link Mmu.readHalves}.
   */
  tryReadHalves(high: number, low: number, size: 1 | 2 | 4): number {
    requireSize(size, false, true);
    return this.wide(requireHalf(high, 'high'), requireHalf(low, 'low'), size, Kind.Read, Access.Read, 0, 0);
  }

  /**
   * Reads 8 bytes at the address in two halves (as {@link Mmu.readHalves}): returns bits 31:0
   * of the value, and leaves bits 63:32 in {@link Mmu.readHigh}.
   * @param high - bits 63:32 of the address.
   * @param low - bits 31:0 of the address.
   * @returns bits 31:0 of the value, unsigned.
   * @throws {@link PageFaultError}, {@link FaultLoopError} as {@link Mmu.read8}.
   * @throws {@link InvalidArgumentError} when a half is not a 32-bit integer.
   */
  read64Halves(high: number, low: number): number {
    const value = this.tryRead64Halves(high, low);
    if (value === FAULTED) this.throwLastFault();
    return value;
  }

  /**
   * {@link Mmu.read64Halves} without the exception: {@link FAULTED} when the access faults and
   * no handler resolves it.
   * @throws {@link FaultLoopError}, or what the fault handler throws, as {@link Mmu.read8}.
   * @throws {@link InvalidArgumentError} as {@link Mmu.read64Halves}.
   */
  tryRead64Halves(high: number, low: number): number {
    return this.wide(requireHalf(high, 'high'), requireHalf(low, 'low'), 8, Kind.Read, Access.Read, 0, 0);
  }

  /** Bits 63:32 of the value the last successful {@link Mmu.read64Halves} (or `tryRead64Halves`) read. */
  get readHigh(): number {
    return this.resultHigh;
  }

  /**
   * Writes the low `size` bytes of `value` at the address in two halves (as {@link Mmu.readHalves}).
   * @param high - bits 63:32 of the address.
   * @param low - bits 31:0 of the address.
   * @param size - 1, 2 or 4 bytes (8: {@link Mmu.write64Halves}).
   * @param value - an integer; its low `8 * size` bits are written.
   * @throws {@link PageFaultError}, {@link FaultLoopError} as {@link Mmu.read8}; nothing is written then.
   * @throws {@link InvalidArgumentError} when a half, `size` or `value` is not one of those.
   */
  writeHalves(high: number, low: number, size: 1 | 2 | 4, value: number): void {
    if (!this.tryWriteHalves(high, low, size, value)) this.throwLastFault();
  }

  /**
   * {@link Mmu.writeHalves} without the exception: false when the access faults and no handler
   * resolves it (nothing is written).
   * @throws {@link FaultLoopError}, or what the fault handler throws, as {@link Mmu.read8}.
   * @throws {@link InvalidArgumentError} as {@link Mmu.writeHalves}.
   */
  tryWriteHalves(high: number, low: number, size: 1 | 2 | 4, value: number): boolean {
    requireSize(size, false, true);
    if (typeof value !== 'number' || !Number.isInteger(value)) throw new InvalidArgumentError(`value must be an integer, got ${String(value)}`);
    return this.wide(requireHalf(high, 'high'), requireHalf(low, 'low'), size, Kind.Write, Access.Write, value % TWO_32 >>> 0, 0) !== FAULTED;
  }

  /**
   * Writes 8 bytes, given as two halves, at the address in two halves (as {@link Mmu.readHalves}).
   * @param high - bits 63:32 of the address.
   * @param low - bits 31:0 of the address.
   * @param valueHigh - bits 63:32 of the value (signed or unsigned 32-bit).
   * @param valueLow - bits 31:0 of the value.
   * @throws {@link PageFaultError}, {@link FaultLoopError} as {@link Mmu.read8}; nothing is written then.
   * @throws {@link InvalidArgumentError} when a half is not a 32-bit integer.
   */
  write64Halves(high: number, low: number, valueHigh: number, valueLow: number): void {
    if (!this.tryWrite64Halves(high, low, valueHigh, valueLow)) this.throwLastFault();
  }

  /**
   * {@link Mmu.write64Halves} without the exception: false when the access faults and no
   * handler resolves it (nothing is written).
   * @throws {@link FaultLoopError}, or what the fault handler throws, as {@link Mmu.read8}.
   * @throws {@link InvalidArgumentError} as {@link Mmu.write64Halves}.
   */
  tryWrite64Halves(high: number, low: number, valueHigh: number, valueLow: number): boolean {
    const h = requireHalf(high, 'high');
    const l = requireHalf(low, 'low');
    return this.wide(h, l, 8, Kind.Write, Access.Write, requireHalf(valueLow, 'valueLow'), requireHalf(valueHigh, 'valueHigh')) !== FAULTED;
  }

  /**
   * Fetches `size` bytes of instruction stream at the address in two halves (as {@link Mmu.readHalves}).
   * @param high - bits 63:32 of the address.
   * @param low - bits 31:0 of the address.
   * @param size - 2 or 4 bytes.
   * @throws {@link PageFaultError}, {@link FaultLoopError} as {@link Mmu.read8}.
   * @throws {@link InvalidArgumentError} when a half or `size` is not one of those.
   */
  fetchHalves(high: number, low: number, size: 2 | 4): number {
    const value = this.tryFetchHalves(high, low, size);
    if (value === FAULTED) this.throwLastFault();
    return value;
  }

  /**
   * {@link Mmu.fetchHalves} without the exception: {@link FAULTED} when the fetch faults and no
   * handler resolves it.
   * @throws {@link FaultLoopError}, or what the fault handler throws, as {@link Mmu.read8}.
   * @throws {@link InvalidArgumentError} as {@link Mmu.fetchHalves}.
   */
  tryFetchHalves(high: number, low: number, size: 2 | 4): number {
    requireSize(size, false, false);
    return this.wide(requireHalf(high, 'high'), requireHalf(low, 'low'), size, Kind.Read, Access.Execute, 0, 0);
  }

  /**
   * Translates the address in two halves (as {@link Mmu.readHalves} takes it) for an access
   * without performing it, as {@link Mmu.translate} does.
   * @param high - bits 63:32 of the address.
   * @param low - bits 31:0 of the address.
   * @param access - the access to translate for.
   * @returns the physical address.
   * @throws {@link PageFaultError}, {@link FaultLoopError} as {@link Mmu.read8}.
   * @throws {@link InvalidArgumentError} when a half or `access` is not one of those.
   */
  translateHalves(high: number, low: number, access: Access): number {
    const pa = this.tryTranslateHalves(high, low, access);
    if (pa === FAULTED) this.throwLastFault();
    return pa;
  }

  /**
   * {@link Mmu.translateHalves} without the exception: {@link FAULTED} when the translation
   * faults and no handler resolves it.
   * @throws {@link FaultLoopError}, or what the fault handler throws, as {@link Mmu.read8}.
   * @throws {@link InvalidArgumentError} as {@link Mmu.translateHalves}.
   */
  tryTranslateHalves(high: number, low: number, access: Access): number {
    requireAccess(access);
    return this.wide(requireHalf(high, 'high'), requireHalf(low, 'low'), 1, Kind.Translate, access, 0, 0);
  }

  // ---------------------------------------------------------------- the shared path

  /** Checks a bigint register value and splits it into `argumentHigh` and `argumentLow` (two's complement). */
  private splitBig(va: bigint): void {
    if (typeof va !== 'bigint' || va < MIN_REGISTER || va >= REGISTER_LIMIT) {
      throw new InvalidArgumentError(`va must be a bigint holding a 64-bit register value (in [-2^63, 2^64)), got ${String(va)}`);
    }
    this.splitter.setBigUint64(0, va, true);
    this.argumentLow = this.splitter.getUint32(0, true);
    this.argumentHigh = this.splitter.getUint32(4, true);
  }

  /**
   * One wide access at the 64-bit address (`high`, `low`), both unsigned: the address rule of
   * {@link Mmu.readN}, then the number-taking try-accessor when the address fits a number
   * exactly and the size is one it has, else the exact path. Returns the value read (bits
   * 31:0 for 8 bytes, bits 63:32 in `resultHigh`), 0 for a write, the physical address for a
   * translation, or FAULTED.
   */
  private wide(high: number, low: number, size: WideSize, kind: Kind, access: Access, valueLow: number, valueHigh: number): number {
    const format = this.currentFormat;
    const bare = access === Access.Execute ? this.fetchBare : this.dataBare;
    let addressHigh = high;
    if (format.vaBits <= 32) {
      addressHigh = 0; // a 32-bit CPU's address, translated or not: the low half
    } else if (!bare) {
      // Canonical: bits 63 down to vaBits - 1 all equal (bit vaBits - 1 is bit k of the high half).
      const k = format.vaBits - 33;
      const top = (high | 0) >> k;
      if (top !== 0 && top !== -1) return this.exactPath(high, low, size, kind, access, valueLow, valueHigh, FaultReason.NonCanonical);
      addressHigh = high & ((1 << (k + 1)) - 1);
    }
    if (addressHigh < EXACT_HIGH_LIMIT && size !== 8) {
      // The address fits a number exactly: the number-taking accessors, translation cache first.
      const va = addressHigh * TWO_32 + low;
      if (kind === Kind.Translate) return this.tryTranslate(va, access);
      if (kind === Kind.Write) {
        const written = size === 4 ? this.tryWrite32(va, valueLow) : size === 2 ? this.tryWrite16(va, valueLow & 0xffff) : this.tryWrite8(va, valueLow & 0xff);
        return written ? 0 : FAULTED;
      }
      if (access === Access.Execute) return size === 4 ? this.tryFetch32(va) : this.tryFetch16(va);
      return size === 4 ? this.tryRead32(va) : size === 2 ? this.tryRead16(va) : this.tryRead8(va);
    }
    // At or above 2^53 (translated: Sv57's or 5-level paging's upper half; untranslated: no memory
    // is there, which resolve reports), or 8 bytes: the exact path.
    return this.exactPath(addressHigh, low, size, kind, access, valueLow, valueHigh, FaultReason.None);
  }

  /**
   * The exact path: the page of (`high`, `low`) is translated as a number (a page start below
   * 2^57 is exact), the offset added after, faults recorded with the exact address. With
   * `reason` other than None, raises that fault instead (a non-canonical address). The retry
   * loop and fault delivery are those of the try-accessors.
   */
  private exactPath(high: number, low: number, size: WideSize, kind: Kind, access: Access, valueLow: number, valueHigh: number, reason: FaultReason): number {
    const quiet = this.quiet;
    this.quiet = true;
    try {
      for (let attempt = 0; ; attempt++) {
        const result = reason === FaultReason.None ? this.exactAttempt(high, low, size, kind, access, valueLow, valueHigh) : this.raiseExact(high, low, access, reason);
        if (this.delivered) break;
        if (result !== RETRY) return result;
        this.checkRetryBudget(attempt);
      }
    } finally {
      this.quiet = quiet;
      this.wideAddress = false;
    }
    if (this.pendingException !== null) throw this.takePendingException();
    this.delivered = false;
    return FAULTED;
  }

  /** Raises `reason` for the 64-bit address (`high`, `low`), recorded exactly. */
  private raiseExact(high: number, low: number, access: Access, reason: FaultReason): number {
    this.setWideAddress(high, low);
    return this.raise(reason, high * TWO_32 + low, access, -1, -1);
  }

  private setWideAddress(high: number, low: number): void {
    this.wideAddress = true;
    this.wideHigh = high;
    this.wideLow = low;
  }

  /** {@link MmuWideAccess.setWideAddress} of the address (`high`, `low`) + `delta`, carried into the high half. */
  private setWideAddressAt(high: number, low: number, delta: number): void {
    const sum = low + delta;
    this.setWideAddress((high + Math.floor(sum / TWO_32)) % TWO_32, sum % TWO_32);
  }

  /** One attempt of the exact path; RETRY when a fault was raised (resolved or delivered). */
  private exactAttempt(high: number, low: number, size: WideSize, kind: Kind, access: Access, valueLow: number, valueHigh: number): number {
    const offset = low & PAGE_MASK;
    const pageLow = low - offset;
    const pageVa = high * TWO_32 + pageLow; // a multiple of 4096 below 2^57: exact
    const va = pageVa + offset; // for the fault record's number field; its halves are exact
    if (kind !== Kind.Translate && offset + size <= PAGE_SIZE) {
      // The translation cache first, as the number-taking accessors do (with the same effect on the model).
      const page = this.cachedPage(pageVa, access);
      if (page >= 0) return this.onRamPage(page + offset, size, kind, valueLow, valueHigh);
    }
    this.setWideAddress(high, low);
    // Untranslated above 2^53 this faults (no memory there), recording the rounded address as physical.
    const bare = access === Access.Execute ? this.fetchBare : this.dataBare;
    const pa = this.resolve(va < 2 ** 53 || bare ? va : pageVa, access);
    if (pa === RETRY) return RETRY;
    const base = va < 2 ** 53 ? pa - (pa & PAGE_MASK) : pa; // resolve of a number above 2^53 saw the page start
    if (kind === Kind.Translate) return base + offset;
    if (offset + size <= PAGE_SIZE) {
      if (this.pmp !== null && this.pmpDenies(base + offset, size, access, va)) return RETRY;
      return this.exactOnPage(base + offset, va, high, low, size, kind, access, valueLow, valueHigh);
    }
    // Crossing into the next page: translated (and checked by PMP) before any byte moves; its
    // faults are at its first byte. Past the top of the address space it wraps to 0; off the
    // lower half it is the non-canonical hole, recorded at its zero-extended address.
    const first = PAGE_SIZE - offset;
    const next = this.nextPage(pageVa + PAGE_SIZE, access);
    const nextCounted = next < 0 ? pageVa + PAGE_SIZE : next;
    const nextHigh = Math.floor(nextCounted / TWO_32);
    const nextLow = nextCounted % TWO_32;
    this.setWideAddress(nextHigh, nextLow);
    const pa2 = next < 0 ? this.raise(FaultReason.NonCanonical, nextCounted, access, -1, -1) : this.resolve(next, access);
    if (pa2 === RETRY) return RETRY;
    if (this.pmp !== null) {
      // Both parts, in the order the number-taking accessors check them.
      this.setWideAddress(high, low);
      if (this.pmpDenies(base + offset, first, access, va)) return RETRY;
      this.setWideAddress(nextHigh, nextLow);
      if (this.pmpDenies(pa2, size - first, access, next)) return RETRY;
    }
    // Byte by byte in address order, each recorded at its own exact address should it reach no device.
    let lowValue = 0;
    let highValue = 0;
    for (let i = 0; i < size; i++) {
      const onFirst = i < first;
      if (onFirst) this.setWideAddressAt(high, low, i);
      else this.setWideAddressAt(nextHigh, nextLow, i - first);
      const target = onFirst ? base + offset + i : pa2 + i - first;
      const byteVa = onFirst ? va + i : next + i - first;
      if (kind === Kind.Write) {
        const byte = ((i < 4 ? valueLow : valueHigh) >>> (8 * (i & 3))) & 0xff;
        if (!this.physicalWrite(target, 1, byte, byteVa)) return RETRY;
        continue;
      }
      const byte = this.physicalRead(target, 1, byteVa, access);
      if (byte === RETRY) return RETRY;
      if (i >= 4) highValue += byte * 2 ** (8 * (i - 4));
      else lowValue += byte * 2 ** (8 * i);
    }
    if (kind === Kind.Write) return 0;
    this.resultHigh = highValue;
    return lowValue;
  }

  /**
   * The translation cache's answer for the page at `pageVa`: the RAM byte offset of the page's
   * start, or -1 when its slot has no tag for the access. A hit does to the model what a hit of
   * the number-taking accessors does (`mmu.ts`): the L1 entry's replacement state and hit count
   * in accurate mode, an L1 hit's cycles in both.
   */
  private cachedPage(pageVa: number, access: Access): number {
    const slot = (pageVa >>> 12) & SLOT_MASK;
    let page: number;
    if (access === Access.Execute) {
      const i = slot + this.fetchBase;
      if (this.fetchTag[i] !== pageVa) return -1;
      if (this.exact && this.fetchEntry[i] >= 0) this.l1i.touchHit(this.fetchEntry[i]);
      page = pageVa + this.fetchAddend[i];
    } else {
      const i = slot + this.dataBase;
      if ((access === Access.Write ? this.writeTag[i] : this.readTag[i]) !== pageVa) return -1;
      if (this.exact && this.dataEntry[i] >= 0) this.l1d.touchHit(this.dataEntry[i]);
      page = pageVa + this.dataAddend[i];
    }
    if (++this.cacheHits[0] === HIT_FOLD) this.foldCacheHits();
    return page;
  }

  /** A read or write of RAM at byte offset `offset` (a translation-cache hit). */
  private onRamPage(offset: number, size: WideSize, kind: Kind, valueLow: number, valueHigh: number): number {
    const view = this.view;
    if (kind === Kind.Write) {
      if (size === 8) {
        view.setUint32(offset, valueLow, true);
        view.setUint32(offset + 4, valueHigh, true);
      } else if (size === 4) view.setUint32(offset, valueLow, true);
      else if (size === 2) view.setUint16(offset, valueLow, true);
      else view.setUint8(offset, valueLow);
      return 0;
    }
    if (size === 8) {
      this.resultHigh = view.getUint32(offset + 4, true);
      return view.getUint32(offset, true);
    }
    return size === 4 ? view.getUint32(offset, true) : size === 2 ? view.getUint16(offset, true) : view.getUint8(offset);
  }

  /** The data access of the exact path on one page, at physical `pa`, of the address (`high`, `low`). */
  private exactOnPage(pa: number, va: number, high: number, low: number, size: WideSize, kind: Kind, access: Access, valueLow: number, valueHigh: number): number {
    if (kind === Kind.Write) {
      if (size !== 8) return this.physicalWrite(pa, size, size === 4 ? valueLow : size === 2 ? valueLow & 0xffff : valueLow & 0xff, va) ? 0 : RETRY;
      if (!this.physicalWrite(pa, 4, valueLow, va)) return RETRY;
      this.setWideAddressAt(high, low, 4); // the second word's own address, should it reach no device
      return this.physicalWrite(pa + 4, 4, valueHigh, va + 4) ? 0 : RETRY;
    }
    if (size !== 8) return this.physicalRead(pa, size, va, access);
    const lowValue = this.physicalRead(pa, 4, va, access);
    if (lowValue === RETRY) return RETRY;
    this.setWideAddressAt(high, low, 4);
    const highValue = this.physicalRead(pa + 4, 4, va + 4, access);
    if (highValue === RETRY) return RETRY;
    this.resultHigh = highValue;
    return lowValue;
  }
}
