/**
 * The RISC-V Physical Memory Protection registers of an {@link Mmu}: `pmpcfg` and `pmpaddr` as
 * the hart's CSRs hold them, and the check an emulator may ask for. The check every access makes
 * is in the slow path; the PMP itself in `pmp.ts`.
 * @module
 */
import { Access, Privilege } from './access.js';
import { InvalidArgumentError } from './errors.js';
import { Pmp } from './pmp.js';
import { requireInteger } from './validate.js';
import { MmuControlRegisters } from './control-registers.js';

/** The PMP of a RISC-V MMU built without entries: reads 0, ignores writes, allows everything. */
const NO_PMP = new Pmp(0, 56);

/**
 * The PMP registers of an {@link Mmu} (its base class; use {@link Mmu}).
 * @internal
 */
export abstract class MmuPmpRegisters extends MmuControlRegisters {
  /** PMP entries the hart implements ({@link MmuOptions.pmpEntries}; 0 on x86). */
  get pmpEntries(): number {
    return this.pmp?.entries ?? 0;
  }

  /**
   * Reads the `pmp{index}cfg` byte (RISC-V `pmpcfg` CSRs hold four or eight of them: on RV64,
   * `pmpcfg0` holds entries 0–7 and `pmpcfg2` entries 8–15). Unimplemented entries read 0.
   * @param index - the entry, an integer in [0, 64).
   * @throws {@link InvalidArgumentError} on x86 or for a bad index.
   */
  readPmpcfg(index: number): number {
    return this.pmpOf('readPmpcfg').readConfig(index);
  }

  /**
   * Reads `pmpaddr{index}`: bits 55:2 of an address on RV64 (33:2 on RV32), as a bigint (54 bits).
   * @param index - the entry, an integer in [0, 64).
   * @throws {@link InvalidArgumentError} on x86 or for a bad index.
   */
  readPmpaddr(index: number): bigint {
    return this.pmpOf('readPmpaddr').readAddress(index);
  }

  /**
   * Writes the `pmp{index}cfg` byte: R (bit 0), W (1), X (2), A (4:3: OFF, TOR, NA4, NAPOT) and
   * L (7), with the WARL rules of {@link Pmp.writeConfig} (a locked entry ignores the write).
   *
   * From then on every access is checked against the entries (RISC-V privileged spec §3.7): loads,
   * stores and fetches at their effective privilege (an M-mode load or store with MPRV at MPP's),
   * and every page-table read and A/D write-back of a walk as an S-mode access. A denied access is
   * an access fault (`scause` 1, 5 or 7; {@link FaultReason.PmpViolation}) at its first byte, and
   * a store crossing into a denied page writes nothing. Loads, stores and fetches are checked on
   * every access, whatever the TLBs hold. Page-table accesses are checked when a walk makes them:
   * a translation already in a TLB or a walk cache was checked when it was walked, and is used
   * until SFENCE.VMA (or any other invalidation) drops it, as §3.7.2 lets hardware do; follow a
   * PMP change with `sfenceVma(null, null)`, as the spec asks of software. The MMU's own
   * translation caches, which only hold pages PMP allows as a whole, are emptied by any change.
   * @param index - the entry, an integer in [0, 64).
   * @param value - the byte, an integer in [0, 255].
   * @throws {@link InvalidArgumentError} on x86 or for a bad index or value (nothing changes).
   *
   * @example
   * ```ts
   * const memory = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000 });
   * const mmu = new Mmu({ memory, format: 'sv39', pmpEntries: 16 });
   * mmu.setPaging(false);                                   // satp = Bare: S-mode, untranslated
   * mmu.tryRead32(0x8000_0000);                             // FAULTED: no entry matches an S-mode access
   * mmu.writePmpaddr(0, 0x2000_0000 | 0x1_ffff);           // NAPOT, 1 MiB at 0x8000_0000: base / 4, 17 ones
   * mmu.writePmpcfg(0, PmpConfig.R | PmpConfig.W | (PmpMatch.Napot << 3));
   * mmu.read32(0x8000_0000);                                // 0
   * mmu.tryFetch32(0x8000_0000);                            // FAULTED: instruction access fault, X clear
   * ```
   */
  writePmpcfg(index: number, value: number): void {
    if (this.pmpOf('writePmpcfg').writeConfig(index, value)) this.caches.clear();
  }

  /**
   * Writes `pmpaddr{index}` (a number or, for all 54 bits, a bigint), with the WARL rules of
   * {@link Pmp.writeAddress}. See {@link Mmu.writePmpcfg} for what the entries do.
   * @param index - the entry, an integer in [0, 64).
   * @param value - the register value, a non-negative integer below 2^64; the bits the register does not hold are dropped.
   * @throws {@link InvalidArgumentError} on x86 or for a bad index or value (nothing changes).
   */
  writePmpaddr(index: number, value: number | bigint): void {
    if (this.pmpOf('writePmpaddr').writeAddress(index, value)) this.caches.clear();
  }

  /**
   * Whether PMP allows an access of `size` bytes at physical address `pa`, for an emulator that
   * translates with {@link Mmu.translate} and accesses memory itself (`translate` checks the
   * page-table accesses, not the access it was asked for). True when no PMP is implemented.
   * @param pa - physical address of the first byte, an integer in [0, 2^53).
   * @param size - bytes, an integer in [1, 2^30].
   * @param access - read, write or execute.
   * @param privilege - the effective privilege; default the one the MMU would check this access with now.
   * @throws {@link InvalidArgumentError} on x86 or for a bad argument.
   */
  pmpAllows(pa: number, size: number, access: Access, privilege?: Privilege): boolean {
    const pmp = this.pmpOf('pmpAllows');
    requireInteger(pa, 'pa', 0, Number.MAX_SAFE_INTEGER);
    requireInteger(size, 'size', 1, 2 ** 30);
    if (access !== Access.Read && access !== Access.Write && access !== Access.Execute) throw new InvalidArgumentError(`access must be an Access, got ${String(access)}`);
    if (privilege !== undefined && privilege !== Privilege.Supervisor && privilege !== Privilege.User && privilege !== Privilege.Machine) {
      throw new InvalidArgumentError(`privilege must be a Privilege, got ${String(privilege)}`);
    }
    const effective = privilege ?? (access === Access.Execute ? this.fetchPmpPrivilege : this.dataPmpPrivilege);
    return pmp.allowsUnchecked(pa, size, access, effective);
  }

  /** The PMP to read or write (one with no entries when none is implemented); throws on x86. */
  private pmpOf(what: string): Pmp {
    if (this.currentFormat.architecture !== 'riscv') throw new InvalidArgumentError(`${what}: PMP is RISC-V only (x86 has no equivalent: MTRRs set memory types, not permissions)`);
    return this.pmp ?? NO_PMP;
  }
}
