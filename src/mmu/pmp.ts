/**
 * RISC-V Physical Memory Protection (privileged spec §3.7): the `pmpcfg` and
 * `pmpaddr` registers of one hart, and the check every physical access makes
 * against them.
 * @module
 */
import { Access, Privilege } from './access.js';
import { InvalidArgumentError } from './errors.js';

/** Bits of a `pmp{i}cfg` byte (privileged spec §3.7.1, Figure "PMP configuration register format"). */
export const PmpConfig = {
  /** R: reads allowed. */
  R: 0x01,
  /** W: writes allowed (reserved without R). */
  W: 0x02,
  /** X: instruction fetches allowed. */
  X: 0x04,
  /** A, bits 4:3: the address-matching mode ({@link PmpMatch}). */
  A: 0x18,
  /** L: locked until reset; the entry then also applies to M-mode. */
  L: 0x80,
} as const;

/** Address-matching modes, the value of the A field (`(cfg & PmpConfig.A) >> 3`). */
export const PmpMatch = {
  /** The entry matches nothing. */
  Off: 0,
  /** Top of range: `pmpaddr[i-1] * 4 <= pa < pmpaddr[i] * 4` (0 as the bottom for entry 0). */
  Tor: 1,
  /** Naturally aligned four bytes at `pmpaddr[i] * 4`. */
  Na4: 2,
  /** A naturally aligned power-of-two region of at least 8 bytes, its size given by the trailing ones of `pmpaddr[i]`. */
  Napot: 3,
} as const;

/** The most PMP entries a hart has (pmpcfg0–15, pmpaddr0–63). */
export const MAX_PMP_ENTRIES = 64;

/** Bits of `pmpcfg` this model keeps: R, W, X, A and L (bits 6:5 are reserved, read as zero). */
const CONFIG_BITS = 0x9f;
const TWO_32 = 4_294_967_296;

/**
 * The PMP of one RISC-V hart: `entries` configurable entries (the rest of the
 * 64 read as zero, as unimplemented ones do), each a `pmpcfg` byte and a
 * `pmpaddr` register, with the WARL rules of §3.7.1: reserved config bits read
 * as zero, a locked entry ignores writes to both its registers, and a locked
 * TOR entry also locks the `pmpaddr` below it. The grain is 4 bytes (G = 0), so
 * every mode is selectable. The R = 0, W = 1 combination is reserved: this model
 * stores such a write with W cleared.
 *
 * An {@link Mmu} built with `pmpEntries` owns one and checks every access
 * against it; read it through the MMU's `readPmpcfg` and the other methods.
 *
 * @example
 * ```ts
 * const pmp = new Pmp(16, 56);
 * pmp.writeAddress(0, (0x8000_0000n >> 2n) | 0x7fffn);   // NAPOT: 256 KiB at 0x8000_0000
 * pmp.writeConfig(0, PmpConfig.R | PmpConfig.X | (PmpMatch.Napot << 3));
 * pmp.allows(0x8000_1000, 4, Access.Read, Privilege.User);    // true
 * pmp.allows(0x8000_1000, 4, Access.Write, Privilege.User);   // false: W clear
 * pmp.allows(0x9000_0000, 4, Access.Read, Privilege.Machine); // true: no entry matches an M-mode access
 * pmp.allows(0x9000_0000, 4, Access.Read, Privilege.User);    // false: nor an S- or U-mode one
 * ```
 */
export class Pmp {
  /** Entries that can be configured; the others read as zero and match nothing. */
  readonly entries: number;
  /** Physical address width: 34 bits (RV32, `pmpaddr` holds bits 33:2) or 56 (RV64, bits 55:2). */
  readonly addressBits: number;
  private readonly config: Uint8Array;
  /** `pmpaddr` of each entry, as a bigint (54 bits on RV64: more than a number holds exactly). */
  private readonly address: bigint[];
  /** The byte range each entry matches, `[low, high)`; empty (0, 0) when it matches nothing. Above 2^53 rounded: no memory is there. */
  private readonly low: Float64Array;
  private readonly high: Float64Array;

  /**
   * An unconfigured PMP (every entry OFF, nothing locked), as after reset.
   * @param entries - configurable entries, an integer in [0, 64].
   * @param addressBits - 34 (RV32) or 56 (RV64).
   * @throws {@link InvalidArgumentError} for anything else.
   */
  constructor(entries: number, addressBits: number) {
    if (!Number.isInteger(entries) || entries < 0 || entries > MAX_PMP_ENTRIES) throw new InvalidArgumentError(`pmp entries must be an integer in [0, ${MAX_PMP_ENTRIES}], got ${String(entries)}`);
    if (addressBits !== 34 && addressBits !== 56) throw new InvalidArgumentError(`addressBits must be 34 (RV32) or 56 (RV64), got ${String(addressBits)}`);
    this.entries = entries;
    this.addressBits = addressBits;
    this.config = new Uint8Array(entries);
    this.address = Array.from({ length: entries }, () => 0n);
    this.low = new Float64Array(entries);
    this.high = new Float64Array(entries);
  }

  /** Whether any entry is implemented: then an S- or U-mode access that no entry matches fails (§3.7.1). */
  get implemented(): boolean {
    return this.entries > 0;
  }

  /**
   * The `pmp{index}cfg` byte.
   * @param index - an entry, an integer in [0, 64) (unimplemented ones read 0).
   * @throws {@link InvalidArgumentError} when `index` is not one.
   */
  readConfig(index: number): number {
    requireIndex(index);
    return index < this.entries ? this.config[index] : 0;
  }

  /**
   * The `pmpaddr{index}` register.
   * @param index - an entry, an integer in [0, 64) (unimplemented ones read 0).
   * @throws {@link InvalidArgumentError} when `index` is not one.
   */
  readAddress(index: number): bigint {
    requireIndex(index);
    return index < this.entries ? this.address[index] : 0n;
  }

  /**
   * Writes the `pmp{index}cfg` byte, with the WARL rules: ignored for a locked or unimplemented
   * entry; bits 6:5 read as zero; W without R is stored with W clear.
   * @param index - an entry, an integer in [0, 64).
   * @param value - the byte, an integer in [0, 255].
   * @returns whether the register changed.
   * @throws {@link InvalidArgumentError} when `index` or `value` is out of range (nothing changes).
   */
  writeConfig(index: number, value: number): boolean {
    requireIndex(index);
    if (!Number.isInteger(value) || value < 0 || value > 0xff) throw new InvalidArgumentError(`pmpcfg value must be a byte, got ${String(value)}`);
    if (index >= this.entries || (this.config[index] & PmpConfig.L) !== 0) return false;
    let legal = value & CONFIG_BITS;
    if ((legal & (PmpConfig.R | PmpConfig.W)) === PmpConfig.W) legal &= ~PmpConfig.W;
    if (legal === this.config[index]) return false;
    this.config[index] = legal;
    this.decode();
    return true;
  }

  /**
   * Writes `pmpaddr{index}`: bits 33:2 (RV32) or 55:2 (RV64) of an address, the higher bits
   * dropped as the register does not hold them. Ignored for an unimplemented entry, a locked
   * one, and the one below a locked TOR entry.
   * @param index - an entry, an integer in [0, 64).
   * @param value - the register value: a non-negative integer number or bigint (below 2^64).
   * @returns whether the register changed.
   * @throws {@link InvalidArgumentError} when `index` or `value` is out of range (nothing changes).
   */
  writeAddress(index: number, value: number | bigint): boolean {
    requireIndex(index);
    const bits = toRegister(value);
    if (index >= this.entries || this.locked(index)) return false;
    const kept = BigInt.asUintN(this.addressBits - 2, bits);
    if (kept === this.address[index]) return false;
    this.address[index] = kept;
    this.decode();
    return true;
  }

  /**
   * Whether an access of `size` bytes at physical address `pa` is allowed: the lowest-numbered
   * entry that matches any of its bytes decides, and must match all of them (else the access
   * fails); an M-mode access is then allowed unless the entry is locked without the permission,
   * an S- or U-mode access needs the permission. An access no entry matches is allowed in M-mode
   * only (§3.7.1, "Priority and Matching Logic").
   * @param pa - the physical address of the first byte.
   * @param size - the number of bytes (the accesses of one page are checked together).
   * @param access - read, write or execute.
   * @param privilege - the effective privilege (MPP's for an M-mode load or store with MPRV; S for a page-table access).
   * @returns true when allowed.
   * @throws {@link InvalidArgumentError} when `pa` is not an integer in [0, 2^53), `size` not one in [1, 2^30], or `access` or `privilege` not one of those.
   */
  allows(pa: number, size: number, access: Access, privilege: Privilege): boolean {
    if (!Number.isSafeInteger(pa) || pa < 0) throw new InvalidArgumentError(`pa must be an integer in [0, 2^53), got ${String(pa)}`);
    if (!Number.isInteger(size) || size < 1 || size > 2 ** 30) throw new InvalidArgumentError(`size must be an integer in [1, 2^30], got ${String(size)}`);
    if (access !== Access.Read && access !== Access.Write && access !== Access.Execute) throw new InvalidArgumentError(`access must be an Access, got ${String(access)}`);
    if (privilege !== Privilege.Supervisor && privilege !== Privilege.User && privilege !== Privilege.Machine) throw new InvalidArgumentError(`privilege must be a Privilege, got ${String(privilege)}`);
    return this.allowsUnchecked(pa, size, access, privilege);
  }

  /** {@link Pmp.allows} without the argument checks: the MMU's own calls, on every access. @internal */
  allowsUnchecked(pa: number, size: number, access: Access, privilege: Privilege): boolean {
    const end = pa + size;
    const low = this.low;
    const high = this.high;
    for (let i = 0; i < this.entries; i++) {
      if (end <= low[i] || pa >= high[i]) continue;
      if (pa < low[i] || end > high[i]) return false; // matches some bytes, not all
      const config = this.config[i];
      if (privilege === Privilege.Machine && (config & PmpConfig.L) === 0) return true;
      return (config & permission(access)) !== 0;
    }
    return privilege === Privilege.Machine || this.entries === 0;
  }

  /** Whether entry `index` is locked, or is the bottom of a locked TOR entry above it. */
  private locked(index: number): boolean {
    if ((this.config[index] & PmpConfig.L) !== 0) return true;
    const above = index + 1;
    return above < this.entries && (this.config[above] & (PmpConfig.L | PmpConfig.A)) === (PmpConfig.L | (PmpMatch.Tor << 3));
  }

  /** Recomputes every entry's byte range from the registers (a TOR entry depends on the one below). */
  private decode(): void {
    for (let i = 0; i < this.entries; i++) {
      const mode = (this.config[i] & PmpConfig.A) >> 3;
      let low = 0n;
      let high = 0n;
      if (mode === PmpMatch.Tor) {
        low = i === 0 ? 0n : this.address[i - 1] << 2n;
        high = this.address[i] << 2n;
        if (low >= high) low = high = 0n; // an empty range matches nothing
      } else if (mode === PmpMatch.Na4) {
        low = this.address[i] << 2n;
        high = low + 4n;
      } else if (mode === PmpMatch.Napot) {
        const value = this.address[i];
        let ones = 0n;
        while (ones < BigInt(this.addressBits - 2) && ((value >> ones) & 1n) === 1n) ones++;
        const size = 1n << (ones + 3n);
        low = (value & ~((1n << ones) - 1n)) << 2n;
        high = low + size;
      }
      this.low[i] = Number(low);
      this.high[i] = Number(high);
    }
  }
}

/** The cfg bit an access needs. */
function permission(access: Access): number {
  return access === Access.Execute ? PmpConfig.X : access === Access.Write ? PmpConfig.W : PmpConfig.R;
}

function requireIndex(index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_PMP_ENTRIES) throw new InvalidArgumentError(`PMP entry index must be an integer in [0, ${MAX_PMP_ENTRIES}), got ${String(index)}`);
}

function toRegister(value: unknown): bigint {
  if (typeof value === 'bigint' && value >= 0n && value < 1n << 64n) return value;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < TWO_32 * TWO_32) return BigInt(value);
  throw new InvalidArgumentError(`pmpaddr value must be a non-negative integer below 2^64 (number or bigint), got ${String(value)}`);
}
