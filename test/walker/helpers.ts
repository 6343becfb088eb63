/**
 * Test helpers: page tables built by hand in a PhysicalMemory, tables taken
 * from a bump pointer, entries written with the format's encoders.
 */

import { type Access, Privilege, type TranslatedPrivilege } from '../../src/mmu/access.js';
import { type ControlState, defaultControls } from '../../src/mmu/controls.js';
import { type PageTableFormat, readPte, writePte } from '../../src/mmu/formats/format.js';
import { decodeRiscvPte, encodeRiscvPte, type RiscvPteFields } from '../../src/mmu/formats/riscv.js';
import { decodeX86Pte, encodeX86Pte, type X86PteFields } from '../../src/mmu/formats/x86.js';
import { PhysicalMemory } from '../../src/mmu/physical-memory.js';
import { WalkResult } from '../../src/mmu/walk-result.js';
import type { PageWalker } from '../../src/mmu/walker.js';
import { createWalker, type WalkerOptions } from '../../src/mmu/walkers/create-walker.js';

/** Page tables of one format in their own RAM, with a root allocated up front. */
export class PageTables {
  readonly memory: PhysicalMemory;
  readonly root: number;
  private next: number;

  constructor(
    readonly format: PageTableFormat,
    options: { size?: number; base?: number } = {},
  ) {
    const base = options.base ?? 0;
    this.memory = new PhysicalMemory({ size: options.size ?? 4 << 20, base });
    this.next = base + 0x1000;
    this.root = this.alloc();
  }

  /** A fresh zeroed 4 KiB table. */
  alloc(): number {
    const address = this.next;
    this.next += 0x1000;
    return address;
  }

  /** The default entry pointing to a table: present/valid, and for x86 writable and user. */
  pointer(level: number, address: number): bigint {
    if (this.format.architecture === 'riscv') return encodeRiscvPte({ valid: true, address }, this.format, level);
    if (this.format.name === 'x86-pae' && level === 0) return encodeX86Pte({ present: true, address }, this.format, level);
    return encodeX86Pte({ present: true, writable: true, user: true, address }, this.format, level);
  }

  /** The table of `level` on the path of `va`, creating default pointer entries above it as needed. */
  tableFor(va: number, level: number): number {
    let table = this.root;
    for (let l = 0; l < level; l++) {
      const at = this.format.entryAddress(table, va, l);
      const value = this.read(at);
      if (value === 0n) {
        const next = this.alloc();
        this.write(at, this.pointer(l, next));
        table = next;
      } else {
        table = this.targetOf(value, l);
      }
    }
    return table;
  }

  /** Address of the entry of `level` for `va` (creating the tables above it). */
  entry(va: number, level: number): number {
    return this.format.entryAddress(this.tableFor(va, level), va, level);
  }

  /** Writes `value` as the entry of `level` for `va`; returns its address. */
  set(va: number, level: number, value: bigint): number {
    const at = this.entry(va, level);
    this.write(at, value);
    return at;
  }

  /** Maps an x86 page: the leaf at `level` with `fields` (present by default). */
  mapX86(va: number, level: number, fields: Partial<X86PteFields>): number {
    const last = level === this.format.levels.length - 1;
    return this.set(va, level, encodeX86Pte({ present: true, pageSize: !last, ...fields }, this.format, level));
  }

  /** Maps a RISC-V page: the leaf at `level` with `fields` (valid by default). */
  mapRiscv(va: number, level: number, fields: Partial<RiscvPteFields>, allowReserved = false): number {
    return this.set(va, level, encodeRiscvPte({ valid: true, ...fields }, this.format, level, { allowReserved }));
  }

  /** ORs `bits` into the entry at `address`. */
  orBits(address: number, bits: bigint): void {
    this.write(address, this.read(address) | bits);
  }

  /** Clears `bits` in the entry at `address`. */
  clearBits(address: number, bits: bigint): void {
    this.write(address, this.read(address) & ~bits);
  }

  read(address: number): bigint {
    return readPte(this.memory, address, this.format);
  }

  write(address: number, value: bigint): void {
    writePte(this.memory, address, value, this.format);
  }

  private targetOf(value: bigint, level: number): number {
    return this.format.architecture === 'riscv' ? decodeRiscvPte(value, this.format).address : decodeX86Pte(value, this.format, level).address;
  }
}

/** A walker over `tables` with its own controls, and a walk() that returns a fresh result. */
export function walkerFor(tables: PageTables, options: WalkerOptions = { walkCache: null }, controls: ControlState = defaultControls()) {
  const walker: PageWalker = createWalker(tables.format, tables.memory, controls, options);
  return {
    walker,
    controls,
    walk(va: number, access: Access, privilege: TranslatedPrivilege = Privilege.Supervisor, asid = 0): WalkResult {
      const out = new WalkResult();
      walker.walk(va, access, privilege, tables.root, asid, out);
      return out;
    },
  };
}

/** Bit `n` of an entry, as a bigint mask. */
export const bit = (n: number): bigint => 1n << BigInt(n);
