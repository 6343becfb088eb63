/**
 * x86 EPT (Intel SDM Vol. 3C §28.2, §29.3 in 2023+ editions): the EPT walker
 * rule by rule, then the two-dimensional walk of a guest over EPT. EPT tables
 * are built by hand in host memory; guest tables are built with the x86
 * helpers in a guest-physical space of their own and installed into host
 * memory through EPT (guest page p at host 2 MiB + p), so a walk that
 * skipped EPT would read zeros.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Access, Privilege, type TranslatedPrivilege } from '../../src/mmu/access.js';
import { defaultControls } from '../../src/mmu/controls.js';
import { InvalidArgumentError } from '../../src/mmu/errors.js';
import { FaultReason } from '../../src/mmu/fault-reason.js';
import { X86PageFaultCode, X86Vector } from '../../src/mmu/fault.js';
import { SV39, X86_32, X86_64, X86_64_LA57, X86_PAE, type PageTableFormat } from '../../src/mmu/formats/format.js';
import { X86_PTE } from '../../src/mmu/formats/x86.js';
import { Perm } from '../../src/mmu/permissions.js';
import { PhysicalMemory } from '../../src/mmu/physical-memory.js';
import { WalkResult } from '../../src/mmu/walk-result.js';
import { EptNestedWalker } from '../../src/mmu/walkers/ept-nested-walker.js';
import { EptNestedWalkResult, EptOutcome, EptPermission, EptQualification, EptWalkResult, NestedWalkStage } from '../../src/mmu/walkers/ept-walk-result.js';
import { EPTP, EPT_ENTRY, EptAccessOrigin, EptWalker, type EptWalkerOptions } from '../../src/mmu/walkers/ept-walker.js';
import { X86Walker } from '../../src/mmu/walkers/x86-walker.js';
import { PageTables, bit } from './helpers.js';

const { Read, Write, Execute } = Access;
const { Supervisor, User } = Privilege;
const { Final, GuestPagingStructure, NoLinearAddress } = EptAccessOrigin;
const Q = EptQualification;
const RWX = 7n;
const WB = 6n << 3n;
/** A leaf's default bits: read, write, execute, write-back. */
const LEAF = RWX | WB;
const ADDRESS_MASK = 0xf_ffff_ffff_f000n;

/** EPT paging structures built by hand in `memory`, tables taken from a bump pointer at `base`. */
class EptTables {
  readonly root: number;
  private next: number;

  constructor(
    readonly memory: PhysicalMemory,
    base: number,
    readonly levels: 4 | 5 = 4,
    /** Rights of the entries that reference tables (add bit 10 for mode-based execute control). */
    readonly pointerFlags: bigint = RWX,
  ) {
    this.next = base;
    this.root = this.alloc();
  }

  alloc(): number {
    const address = this.next;
    this.next += 0x1000;
    return address;
  }

  /** The EPTP of these tables: walk length, WB, plus `flags` (e.g. {@link EPTP.AccessedDirty}). */
  eptp(flags = 0): number {
    return this.root | (this.levels === 5 ? EPTP.WalkLength5 : EPTP.WalkLength4) | EPTP.MemoryTypeWriteBack | flags;
  }

  /** Index of `gpa` in a table of `level` (0 = the EPTP's table). */
  index(gpa: number, level: number): number {
    return Math.floor(gpa / 2 ** (12 + 9 * (this.levels - 1 - level))) % 512;
  }

  /** The table of `level` on the path of `gpa`, creating pointer entries above it. */
  tableFor(gpa: number, level: number): number {
    let table = this.root;
    for (let l = 0; l < level; l++) {
      const at = table + this.index(gpa, l) * 8;
      const value = this.memory.read64(at);
      if (value === 0n) {
        const next = this.alloc();
        this.memory.write64(at, BigInt(next) | this.pointerFlags);
        table = next;
      } else {
        table = Number(value & ADDRESS_MASK);
      }
    }
    return table;
  }

  /** Address of the entry of `level` for `gpa`. */
  entry(gpa: number, level: number): number {
    return this.tableFor(gpa, level) + this.index(gpa, level) * 8;
  }

  /** Maps the page of `gpa` at `level` (last: 4 KiB; above: bit 7, a large page) to `hpa` with `flags`. */
  map(gpa: number, hpa: number, level = this.levels - 1, flags = LEAF): number {
    const at = this.entry(gpa, level);
    this.memory.write64(at, BigInt(hpa) | flags | (level < this.levels - 1 ? BigInt(EPT_ENTRY.LargePage) : 0n));
    return at;
  }

  read(address: number): bigint {
    return this.memory.read64(address);
  }

  write(address: number, value: bigint): void {
    this.memory.write64(address, value);
  }

  /** Replaces bits 2:0 (and bit 10) of the entry at `address`. */
  setRights(address: number, rights: bigint): void {
    this.write(address, (this.read(address) & ~0x407n) | rights);
  }
}

/** An EPT walker over fresh tables in 4 MiB of RAM at 0, the EPTP already loaded. */
function eptFixture(options: EptWalkerOptions = {}, levels: 4 | 5 = 4, eptpFlags = 0, pointerFlags = RWX) {
  const memory = new PhysicalMemory({ size: 4 << 20 });
  const tables = new EptTables(memory, 0x1000, levels, pointerFlags);
  const walker = new EptWalker(memory, { ...options, eptp: tables.eptp(eptpFlags) });
  const walk = (gpa: number, access: Access, origin: EptAccessOrigin = Final, linear = 0x7000_1234, guestPerm = 0): EptWalkResult => {
    const out = new EptWalkResult();
    walker.walk(gpa, access, origin, linear, guestPerm, out);
    return out;
  };
  return { memory, tables, walker, walk };
}

const GPA = 0x1234_5000;
const HPA = 0xab_cd00_0000;

describe('EPT translation (SDM §28.2.2)', () => {
  it('translates a 4 KiB page in 4 reads, carrying memory type and ignore-PAT without using them', () => {
    const { tables, walk } = eptFixture();
    const pte = tables.map(GPA, HPA, 3, LEAF | BigInt(EPT_ENTRY.IgnorePat));
    const out = walk(GPA + 0x678, Read);
    expect(out).toMatchObject({ ok: true, outcome: EptOutcome.Translated, hostAddress: HPA + 0x678, pageBase: HPA, pageShift: 12 });
    expect(out).toMatchObject({ level: 3, entryAddress: pte, entryReads: 4, entryWrites: 0, memoryType: 6, ignorePat: true, guestPhysicalAddress: GPA + 0x678 });
    expect(out.permissions).toBe(EptPermission.Read | EptPermission.Write | EptPermission.Execute);
  });

  it('maps a 2 MiB page with bit 7 of an EPT PDE, in 3 reads', () => {
    const { tables, walk } = eptFixture();
    tables.map(0x4000_0000, 0x8_0020_0000, 2);
    expect(walk(0x401f_fff0, Write)).toMatchObject({ ok: true, hostAddress: 0x8_003f_fff0, pageBase: 0x8_0020_0000, pageShift: 21, level: 2, entryReads: 3 });
  });

  it('maps a 1 GiB page with bit 7 of an EPT PDPTE, in 2 reads', () => {
    const { tables, walk } = eptFixture();
    tables.map(0x80_4000_0000, 0xf_c000_0000, 1);
    expect(walk(0x80_7fff_ffff, Execute)).toMatchObject({ ok: true, hostAddress: 0xf_ffff_ffff, pageBase: 0xf_c000_0000, pageShift: 30, level: 1, entryReads: 2 });
  });

  it('walks 5 levels when EPTP bits 5:3 are 4, indexing the EPT PML5 table with GPA bits 56:48', () => {
    const { tables, walk, walker } = eptFixture({}, 5);
    expect(walker.walkLength).toBe(5);
    tables.map(2 ** 48 + 0x5000, HPA);
    expect(walk(2 ** 48 + 0x5010, Read)).toMatchObject({ ok: true, hostAddress: HPA + 0x10, level: 4, entryReads: 5 });
    // GPA 0x5000 uses EPT PML5E 0, which is not present.
    expect(walk(0x5010, Read)).toMatchObject({ ok: false, outcome: EptOutcome.Violation, level: 0, entryReads: 1 });
  });

  it('uses only GPA bits 47:0 with a page-walk length of 4 (§29.3.2)', () => {
    const { tables, walk } = eptFixture();
    tables.map(0x5000, HPA);
    expect(walk(2 ** 48 + 0x5010, Read)).toMatchObject({ ok: true, hostAddress: HPA + 0x10, guestPhysicalAddress: 2 ** 48 + 0x5010 });
  });

  it('reads the EPTP: the table address, walk length and A/D enable', () => {
    const { tables, walker } = eptFixture({}, 4, EPTP.AccessedDirty);
    expect(walker.eptp).toBe(BigInt(tables.eptp(EPTP.AccessedDirty)));
    expect(walker.rootAddress).toBe(tables.root);
    expect(walker.accessedDirtyEnabled).toBe(true);
    walker.setEptp(BigInt(tables.root) | BigInt(EPTP.WalkLength4)); // UC paging structures, A/D off
    expect(walker.accessedDirtyEnabled).toBe(false);
  });

  it('refuses an EPTP that VM entry would refuse (§26.2.1.1), naming the field', () => {
    const walker = new EptWalker(new PhysicalMemory({ size: 1 << 20 }), { maxPhysicalAddressBits: 46 });
    const good = 0x1000 | EPTP.WalkLength4 | EPTP.MemoryTypeWriteBack;
    const bad: [bigint | number, RegExp][] = [
      [(good & ~7) | 1, /bits 2:0/], // WC paging structures
      [(good & ~7) | 7, /bits 2:0/],
      [(good & ~0x38) | (2 << 3), /bits 5:3/], // a walk length of 3
      [(good & ~0x38) | (5 << 3), /bits 5:3/],
      [good | 0x80, /bit 7/],
      [good | 0x100, /bits 11:8/],
      [good | 0x800, /bits 11:8/],
      [BigInt(good) | (1n << 46n), /bits 63:46/],
      [BigInt(good) | (1n << 63n), /bits 63:46/],
    ];
    for (const [eptp, message] of bad) expect(() => walker.setEptp(eptp), String(eptp)).toThrow(message);
    expect(walker.eptp).toBeNull();
    walker.setEptp(good);
    walker.setEptp(good & ~7); // UC is fine too
    walker.setEptp((good & ~0x38) | EPTP.WalkLength5);
    expect(walker.walkLength).toBe(5);
    const plain = new EptWalker(new PhysicalMemory({ size: 1 << 20 }), { fiveLevel: false, accessedDirty: false });
    expect(() => plain.setEptp((good & ~0x38) | EPTP.WalkLength5)).toThrow(/bits 5:3/);
    expect(() => plain.setEptp(good | EPTP.AccessedDirty)).toThrow(/bit 6/);
  });

  it('refuses to walk before an EPTP is loaded, and bad caller arguments', () => {
    const walker = new EptWalker(new PhysicalMemory({ size: 1 << 20 }));
    expect(() => walker.walk(0, Read, Final, 0, 0, new EptWalkResult())).toThrow(/no EPTP/);
    const { walker: loaded } = eptFixture();
    for (const gpa of [-1, 2 ** 52, 0.5, Number.NaN]) expect(() => loaded.walk(gpa, Read, Final, 0, 0, new EptWalkResult())).toThrow(InvalidArgumentError);
    expect(() => loaded.walk(0, 3 as Access, Final, 0, 0, new EptWalkResult())).toThrow(InvalidArgumentError);
    expect(() => loaded.walk(0, Read, 3 as EptAccessOrigin, 0, 0, new EptWalkResult())).toThrow(InvalidArgumentError);
    expect(() => new EptWalker(new PhysicalMemory({ size: 1 << 20 }), { executeOnly: 1 as unknown as boolean })).toThrow(InvalidArgumentError);
    expect(() => new EptWalker(new PhysicalMemory({ size: 1 << 20 }), { maxPhysicalAddresBits: 40 } as EptWalkerOptions)).toThrow(/maxPhysicalAddressBits/);
  });
});

describe('EPT misconfigurations (§28.2.3.1)', () => {
  /** A 4 KiB mapping of GPA and the addresses of its four entries. */
  function mapped(options: EptWalkerOptions = {}) {
    const f = eptFixture(options);
    f.tables.map(GPA, HPA);
    const entries = [0, 1, 2, 3].map((l) => f.tables.entry(GPA, l));
    return { ...f, entries };
  }

  it.each([
    [0b010n, 'write-only'],
    [0b110n, 'write/execute'],
  ])('bits 2:0 = %s (%s) at any level', (rights) => {
    for (const level of [0, 1, 2, 3]) {
      const { tables, walk, entries } = mapped();
      tables.setRights(entries[level], rights);
      const out = walk(GPA + 8, Read);
      expect(out).toMatchObject({ ok: false, outcome: EptOutcome.Misconfiguration, level, entryAddress: entries[level], exitQualification: 0, guestPhysicalAddress: GPA + 8 });
    }
  });

  it('bits 2:0 = 100b (execute-only) only when the processor does not support it', () => {
    for (const level of [1, 3]) {
      const without = mapped({ executeOnly: false });
      without.tables.setRights(without.entries[level], 0b100n);
      expect(without.walk(GPA, Execute)).toMatchObject({ outcome: EptOutcome.Misconfiguration, level });
      const withIt = mapped();
      withIt.tables.setRights(withIt.entries[level], 0b100n);
      expect(withIt.walk(GPA, Execute)).toMatchObject({ ok: true, permissions: EptPermission.Execute });
      expect(withIt.walk(GPA, Read)).toMatchObject({ outcome: EptOutcome.Violation, exitQualification: Q.DataRead | Q.Executable | Q.LinearAddressValid | Q.FinalTranslation });
    }
  });

  it('a bit between MAXPHYADDR and 51 at any level; bits 63:52 are ignored', () => {
    for (const level of [0, 1, 2, 3]) {
      const { tables, walk, entries } = mapped({ maxPhysicalAddressBits: 40 });
      tables.write(entries[level], tables.read(entries[level]) | bit(40));
      expect(walk(GPA, Read)).toMatchObject({ outcome: EptOutcome.Misconfiguration, level });
      tables.write(entries[level], (tables.read(entries[level]) & ~bit(40)) | bit(52) | bit(62) | bit(63));
      expect(walk(GPA, Read).ok).toBe(true);
    }
    const { tables, walk, entries } = mapped({ maxPhysicalAddressBits: 52 });
    tables.write(entries[3], tables.read(entries[3]) | bit(51));
    expect(walk(GPA, Read)).toMatchObject({ ok: true, hostAddress: HPA + 2 ** 51 });
  });

  it('bits 6:3 of an entry that references a table (memory type and ignore-PAT exist only in leaves)', () => {
    for (const level of [0, 1, 2]) {
      for (const n of [3, 4, 5, 6]) {
        const { tables, walk, entries } = mapped();
        tables.write(entries[level], tables.read(entries[level]) | bit(n));
        expect(walk(GPA, Read), `level ${level} bit ${n}`).toMatchObject({ outcome: EptOutcome.Misconfiguration, level });
      }
    }
  });

  it('bit 7 in an EPT PML4E, in an EPT PML5E, and in an EPT PDPTE without 1 GiB-page support', () => {
    // Bit 7 alone (memory-type bits 5:3 clear): bits 6:3 are reserved in a table pointer too, so
    // setting them as well would make the entry a misconfiguration whatever bit 7 meant.
    const four = mapped();
    four.tables.write(four.entries[0], four.tables.read(four.entries[0]) | BigInt(EPT_ENTRY.LargePage));
    expect(four.walk(GPA, Read)).toMatchObject({ outcome: EptOutcome.Misconfiguration, level: 0 });

    for (const level of [0, 1]) {
      const five = eptFixture({}, 5);
      five.tables.map(GPA, HPA);
      const at = five.tables.entry(GPA, level);
      five.tables.write(at, five.tables.read(at) | BigInt(EPT_ENTRY.LargePage));
      expect(five.walk(GPA, Read), `level ${level}`).toMatchObject({ outcome: EptOutcome.Misconfiguration, level });
    }

    const noGiB = eptFixture({ gigabytePages: false });
    noGiB.tables.map(0x4000_0000, 0x4000_0000, 1, RWX); // UC: only bit 7 can make it a misconfiguration
    expect(noGiB.walk(0x4000_0000, Read)).toMatchObject({ outcome: EptOutcome.Misconfiguration, level: 1 });
  });

  it('address bits below the page size of a 2 MiB (20:12) or 1 GiB (29:12) page', () => {
    for (const n of [12, 20]) {
      const { tables, walk } = eptFixture();
      const pde = tables.map(0x4000_0000, 0x20_0000, 2);
      tables.write(pde, tables.read(pde) | bit(n));
      expect(walk(0x4000_0000, Read)).toMatchObject({ outcome: EptOutcome.Misconfiguration, level: 2 });
    }
    for (const n of [12, 29]) {
      const { tables, walk } = eptFixture();
      const pdpte = tables.map(0x4000_0000, 0x4000_0000, 1);
      tables.write(pdpte, tables.read(pdpte) | bit(n));
      expect(walk(0x4000_0000, Read)).toMatchObject({ outcome: EptOutcome.Misconfiguration, level: 1 });
    }
  });

  it('a leaf memory type of 2, 3 or 7; the others (UC, WC, WT, WP, WB) translate', () => {
    for (const level of [2, 3]) {
      for (let type = 0; type < 8; type++) {
        const { tables, walk } = eptFixture();
        tables.map(0x4000_0000, 0x20_0000, level, RWX | (BigInt(type) << 3n));
        const out = walk(0x4000_0000, Read);
        if (type === 2 || type === 3 || type === 7) expect(out, `type ${type}`).toMatchObject({ outcome: EptOutcome.Misconfiguration, level });
        else expect(out, `type ${type}`).toMatchObject({ ok: true, memoryType: type });
      }
    }
  });

  it('ignores bit 7 of an EPT PTE', () => {
    const { tables, walk, entries } = mapped();
    tables.write(entries[3], tables.read(entries[3]) | BigInt(EPT_ENTRY.LargePage));
    expect(walk(GPA, Read)).toMatchObject({ ok: true, pageShift: 12 });
  });

  it('ignores every other bit of a not-present entry: a violation, not a misconfiguration', () => {
    const { tables, walk, entries } = mapped({ maxPhysicalAddressBits: 40 });
    tables.write(entries[1], bit(45) | 0xf8n);
    expect(walk(GPA, Read)).toMatchObject({ outcome: EptOutcome.Violation, level: 1 });
  });

  it('wins over a right missing higher up: a walk that meets a misconfiguration does not complete', () => {
    const { tables, walk, entries } = mapped();
    tables.setRights(entries[0], 0b001n); // read-only EPT PML4E
    tables.write(entries[3], (tables.read(entries[3]) & ~0x38n) | (7n << 3n)); // reserved memory type in the PTE
    expect(walk(GPA, Write)).toMatchObject({ outcome: EptOutcome.Misconfiguration, level: 3 });
  });
});

describe('EPT violations and their exit qualification (§28.2.3.2, Table 27-7)', () => {
  const FINAL = Q.LinearAddressValid | Q.FinalTranslation;

  it('a not-present entry at any level: bits 3–5 are the AND including that entry, so 0', () => {
    for (const level of [0, 1, 2, 3]) {
      const { tables, walk } = eptFixture();
      tables.map(GPA, HPA);
      tables.setRights(tables.entry(GPA, level), 0n);
      const out = walk(GPA + 4, Read, Final, 0x40_1004);
      expect(out).toMatchObject({ ok: false, outcome: EptOutcome.Violation, level, entryReads: level + 1, permissions: 0 });
      expect(out).toMatchObject({ exitQualification: Q.DataRead | FINAL, guestPhysicalAddress: GPA + 4, guestLinearAddress: 0x40_1004 });
    }
  });

  it('bits 0–2 give the access, bits 3–5 what the GPA allowed', () => {
    const { tables, walk } = eptFixture();
    const pte = tables.map(GPA, HPA, 3, 0b001n | WB);
    expect(walk(GPA, Write).exitQualification).toBe(Q.DataWrite | Q.Readable | FINAL);
    expect(walk(GPA, Execute).exitQualification).toBe(Q.InstructionFetch | Q.Readable | FINAL);
    tables.setRights(pte, 0b011n);
    expect(walk(GPA, Execute).exitQualification).toBe(Q.InstructionFetch | Q.Readable | Q.Writable | FINAL);
    tables.setRights(pte, 0b100n);
    expect(walk(GPA, Read).exitQualification).toBe(Q.DataRead | Q.Executable | FINAL);
    expect(walk(GPA, Write).exitQualification).toBe(Q.DataWrite | Q.Executable | FINAL);
  });

  it('a right must be set at every level: the permissions are the AND over the walk', () => {
    const { tables, walk } = eptFixture();
    tables.map(GPA, HPA);
    tables.setRights(tables.entry(GPA, 1), 0b101n); // EPT PDPTE: read and execute only
    const out = walk(GPA, Write);
    expect(out).toMatchObject({ outcome: EptOutcome.Violation, level: 3, permissions: EptPermission.Read | EptPermission.Execute });
    expect(out.exitQualification).toBe(Q.DataWrite | Q.Readable | Q.Executable | FINAL);
    expect(walk(GPA, Read).ok).toBe(true);
  });

  it('bit 8 is clear for a guest paging-structure access, bit 7 clear (and no linear address) for a PDPTE load', () => {
    const { tables, walk } = eptFixture();
    tables.map(GPA, HPA, 3, 0b100n | WB); // execute-only: every data access faults
    expect(walk(GPA, Read, GuestPagingStructure, 0x40_1000)).toMatchObject({ exitQualification: Q.DataRead | Q.Executable | Q.LinearAddressValid, guestLinearAddress: 0x40_1000 });
    expect(walk(GPA, Write, GuestPagingStructure, 0x40_1000).exitQualification).toBe(Q.DataWrite | Q.Executable | Q.LinearAddressValid);
    expect(walk(GPA, Read, NoLinearAddress, 0x40_1000)).toMatchObject({ exitQualification: Q.DataRead | Q.Executable, guestLinearAddress: 0 });
  });

  it('reports bits 9–11 (user-mode, writable, execute-disabled linear address) only with advanced exit information, for a final access', () => {
    const advanced = eptFixture({ advancedExitInformation: true });
    advanced.tables.map(GPA, HPA, 3, 0n | WB);
    advanced.tables.setRights(advanced.tables.entry(GPA, 3), 0n);
    const userRw = Perm.Read | Perm.Write | Perm.User;
    expect(advanced.walk(GPA, Write, Final, 0x40_1000, userRw).exitQualification).toBe(
      Q.DataWrite | FINAL | Q.UserModeLinearAddress | Q.WritableLinearAddress | Q.ExecuteDisabledLinearAddress,
    );
    expect(advanced.walk(GPA, Read, Final, 0x40_1000, Perm.Read | Perm.Execute).exitQualification).toBe(Q.DataRead | FINAL);
    expect(advanced.walk(GPA, Read, GuestPagingStructure, 0x40_1000, 0).exitQualification).toBe(Q.DataRead | Q.LinearAddressValid);
    const plain = eptFixture();
    plain.tables.map(GPA, HPA, 3, 0n);
    expect(plain.walk(GPA, Write, Final, 0x40_1000, userRw).exitQualification).toBe(Q.DataWrite | FINAL);
  });

  it('reports an EPT table outside memory as a bus error, not an EPT event', () => {
    const memory = new PhysicalMemory({ size: 1 << 20 });
    const walker = new EptWalker(memory, { eptp: 0x800_0000 | EPTP.WalkLength4 | EPTP.MemoryTypeWriteBack });
    const out = new EptWalkResult();
    walker.walk(0x5000, Read, Final, 0, 0, out);
    expect(out).toMatchObject({ ok: false, outcome: EptOutcome.BusError, pageTableAccess: 'read', level: 0, entryAddress: 0x800_0000 });
  });
});

describe('accessed and dirty flags for EPT (§28.2.4)', () => {
  const A = BigInt(EPT_ENTRY.Accessed);
  const D = BigInt(EPT_ENTRY.Dirty);

  it('leaves bits 8 and 9 alone when EPTP bit 6 is clear', () => {
    const { tables, walk } = eptFixture();
    tables.map(GPA, HPA);
    const entries = [0, 1, 2, 3].map((l) => tables.entry(GPA, l));
    const before = entries.map((e) => tables.read(e));
    expect(walk(GPA, Write)).toMatchObject({ ok: true, entryWrites: 0, dirty: true });
    expect(entries.map((e) => tables.read(e))).toEqual(before);
  });

  it('with EPTP bit 6: A in every entry used, D in the leaf for a write only', () => {
    const { tables, walk } = eptFixture({}, 4, EPTP.AccessedDirty);
    tables.map(GPA, HPA);
    const entries = [0, 1, 2, 3].map((l) => tables.entry(GPA, l));
    expect(walk(GPA, Read)).toMatchObject({ ok: true, entryWrites: 4, dirty: false });
    expect(entries.map((e) => tables.read(e) & (A | D))).toEqual([A, A, A, A]);
    expect(walk(GPA, Read)).toMatchObject({ entryWrites: 0, dirty: false });
    expect(walk(GPA, Write)).toMatchObject({ entryWrites: 1, dirty: true, entryAddress: entries[3] });
    expect(entries.map((e) => tables.read(e) & (A | D))).toEqual([A, A, A, A | D]);
    expect(walk(GPA, Read)).toMatchObject({ entryWrites: 0, dirty: true });
  });

  it('sets D in the EPT PDE that maps a 2 MiB page', () => {
    const { tables, walk } = eptFixture({}, 4, EPTP.AccessedDirty);
    const pde = tables.map(0x4000_0000, 0x20_0000, 2);
    expect(walk(0x4000_1000, Write)).toMatchObject({ ok: true, entryWrites: 3 });
    expect(tables.read(pde) & (A | D)).toBe(A | D);
  });

  it('sets nothing for an access that causes a violation', () => {
    const { tables, walk } = eptFixture({}, 4, EPTP.AccessedDirty);
    tables.map(GPA, HPA, 3, 0b001n | WB);
    expect(walk(GPA, Write)).toMatchObject({ outcome: EptOutcome.Violation, entryWrites: 0 });
    expect(tables.read(tables.entry(GPA, 0)) & A).toBe(0n);
  });

  it('treats a guest paging-structure read as a write: D is set, and a read-only page is a violation with bits 0 and 1', () => {
    const on = eptFixture({}, 4, EPTP.AccessedDirty);
    const pte = on.tables.map(GPA, HPA);
    expect(on.walk(GPA, Read, GuestPagingStructure)).toMatchObject({ ok: true, dirty: true });
    expect(on.tables.read(pte) & D).toBe(D);
    on.tables.setRights(pte, 0b001n);
    expect(on.walk(GPA, Read, GuestPagingStructure).exitQualification).toBe(Q.DataRead | Q.DataWrite | Q.Readable | Q.LinearAddressValid);
    // The PAE PDPTE load by MOV to CR stays a read: no violation, no D.
    on.tables.write(pte, on.tables.read(pte) & ~D);
    expect(on.walk(GPA, Read, NoLinearAddress)).toMatchObject({ ok: true, dirty: false });
    expect(on.tables.read(pte) & D).toBe(0n);

    const off = eptFixture();
    off.tables.map(GPA, HPA, 3, 0b001n | WB);
    expect(off.walk(GPA, Read, GuestPagingStructure)).toMatchObject({ ok: true, entryWrites: 0 });
  });
});

describe('mode-based execute control for EPT', () => {
  const UX = BigInt(EPT_ENTRY.UserExecute);
  const user = Perm.Read | Perm.User | Perm.Execute;
  const supervisor = Perm.Read | Perm.Execute;
  const mbec = () => eptFixture({ modeBasedExecute: true }, 4, 0, RWX | UX);

  it('lets bit 10 govern fetches from user-mode linear addresses and bit 2 those from supervisor-mode ones', () => {
    const { tables, walk } = mbec();
    const pte = tables.map(GPA, HPA, 3, 0b001n | UX | WB);
    expect(walk(GPA, Execute, Final, 0x40_1000, user)).toMatchObject({ ok: true, permissions: EptPermission.Read | EptPermission.UserExecute });
    expect(walk(GPA, Execute, Final, 0x40_1000, supervisor).exitQualification).toBe(
      Q.InstructionFetch | Q.Readable | Q.UserExecutable | Q.LinearAddressValid | Q.FinalTranslation,
    );
    tables.setRights(pte, 0b101n);
    expect(walk(GPA, Execute, Final, 0x40_1000, supervisor).ok).toBe(true);
    expect(walk(GPA, Execute, Final, 0x40_1000, user).exitQualification).toBe(Q.InstructionFetch | Q.Readable | Q.Executable | Q.LinearAddressValid | Q.FinalTranslation);
  });

  it('needs bit 10 at every level: qualification bit 6 is its AND', () => {
    const { tables, walk } = mbec();
    tables.map(GPA, HPA, 3, RWX | UX | WB);
    tables.setRights(tables.entry(GPA, 2), RWX); // the EPT PDE has no user-execute right
    const out = walk(GPA, Execute, Final, 0x40_1000, user);
    expect(out).toMatchObject({ outcome: EptOutcome.Violation, permissions: EptPermission.Read | EptPermission.Write | EptPermission.Execute });
    expect(out.exitQualification & Q.UserExecutable).toBe(0);
  });

  it('counts an entry with only bit 10 as present (user-execute-only); without the control it is not present', () => {
    const on = mbec();
    on.tables.map(GPA, HPA, 3, UX | WB);
    expect(on.walk(GPA, Execute, Final, 0x40_1000, user).ok).toBe(true);
    expect(on.walk(GPA, Read)).toMatchObject({ outcome: EptOutcome.Violation, exitQualification: Q.DataRead | Q.UserExecutable | Q.LinearAddressValid | Q.FinalTranslation });
    const noExecuteOnly = eptFixture({ modeBasedExecute: true, executeOnly: false }, 4, 0, RWX | UX);
    noExecuteOnly.tables.map(GPA, HPA, 3, UX | WB);
    expect(noExecuteOnly.walk(GPA, Execute, Final, 0, user).outcome).toBe(EptOutcome.Misconfiguration);
    const off = eptFixture({}, 4, 0, RWX | UX);
    off.tables.map(GPA, HPA, 3, UX | WB);
    expect(off.walk(GPA, Execute, Final, 0, user)).toMatchObject({ outcome: EptOutcome.Violation, level: 3, exitQualification: Q.InstructionFetch | Q.LinearAddressValid | Q.FinalTranslation });
  });

  it('without the control, ignores bit 10 and reports qualification bit 6 as 0', () => {
    const { tables, walk } = eptFixture({}, 4, 0, RWX | UX);
    tables.map(GPA, HPA, 3, 0b001n | UX | WB);
    expect(walk(GPA, Execute, Final, 0, user).exitQualification).toBe(Q.InstructionFetch | Q.Readable | Q.LinearAddressValid | Q.FinalTranslation);
  });
});

// ---------------------------------------------------------------------------------------------
// Two-dimensional walks

/** Host memory layout of the nested fixtures. */
const HOST_SIZE = 8 << 20;
/** Guest-physical page p of the guest tables lives at host-physical GUEST_TABLES_HPA + p. */
const GUEST_TABLES_HPA = 0x20_0000;
/** EPT tables are allocated from here in host memory. */
const EPT_TABLES_HPA = 0x60_0000;
const VA = 0x7f_4020_3000;
const DATA_GPA = 0x9_a000;
const DATA_HPA = 0x3_1234_5000;

interface NestedOptions {
  format?: PageTableFormat;
  eptLevels?: 4 | 5;
  eptpFlags?: number;
  ept?: EptWalkerOptions;
  /** EPT page size of the guest tables: 4 KiB pages (level = last), or one 2 MiB page (level = last - 1) over guest-physical [0, 2 MiB). */
  tablePageLevel?: 'small' | 'large';
  /** Rights of the EPT pointers and of the mappings of the guest tables. */
  eptRights?: bigint;
}

/** A guest (its tables in a guest-physical space of their own) and EPT tables in host memory. */
function nestedFixture(options: NestedOptions = {}) {
  const format = options.format ?? X86_64;
  const host = new PhysicalMemory({ size: HOST_SIZE });
  const rights = options.eptRights ?? RWX;
  const ept = new EptTables(host, EPT_TABLES_HPA, options.eptLevels ?? 4, rights);
  const guest = new PageTables(format, { size: 1 << 20 });
  const controls = defaultControls();
  let tablesEnd = 0;
  return {
    format,
    host,
    ept,
    guest,
    controls,
    /** Copies the guest tables built so far into host memory and maps their pages in EPT; returns the walkers. */
    install() {
      tablesEnd = guest.alloc();
      for (let gpa = 0; gpa < tablesEnd; gpa += 0x1000) {
        if (options.tablePageLevel !== 'large') ept.map(gpa, GUEST_TABLES_HPA + gpa, ept.levels - 1, rights | WB);
        host.writeBytes(GUEST_TABLES_HPA + gpa, guest.memory.readBytes(gpa, 0x1000));
      }
      if (options.tablePageLevel === 'large') ept.map(0, GUEST_TABLES_HPA, ept.levels - 2, rights | WB);
      const eptWalker = new EptWalker(host, { ...options.ept, eptp: ept.eptp(options.eptpFlags ?? 0) });
      const nested = new EptNestedWalker(format, host, controls, eptWalker);
      const walk = (va: number, access: Access, privilege: TranslatedPrivilege = Supervisor): EptNestedWalkResult => {
        const out = new EptNestedWalkResult();
        nested.walk(va, access, privilege, guest.root, out);
        return out;
      };
      return { eptWalker, nested, walk };
    },
    /** Host-physical address of the guest entry of `level` for `va` (after install). */
    guestEntryHpa(va: number, level: number): number {
      return GUEST_TABLES_HPA + guest.entry(va, level);
    },
    /** The EPT PTE mapping the guest-physical page of the guest table of `level` on the path of `va`. */
    eptEntryOfGuestTable(va: number, level: number): number {
      return ept.entry(guest.tableFor(va, level), ept.levels - 1);
    },
  };
}

/** A guest with one user-writable 4 KiB page at VA → DATA_GPA, EPT mapping DATA_GPA → DATA_HPA (RWX). */
function simpleNested(options: NestedOptions = {}, dataRights = RWX) {
  const f = nestedFixture(options);
  const last = f.format.levels.length - 1;
  f.guest.mapX86(VA, last, { writable: true, user: true, address: DATA_GPA });
  f.ept.map(DATA_GPA, DATA_HPA, f.ept.levels - 1, dataRights | WB);
  return { ...f, ...f.install(), last };
}

describe('two-dimensional walks: guest paging over EPT (§28.2.3.3)', () => {
  it('translates through both dimensions in 24 memory references for 4-level over 4-level', () => {
    const { walk, host, guest, guestEntryHpa } = simpleNested();
    const out = walk(VA + 0x123, Write, User);
    expect(out).toMatchObject({ ok: true, stage: NestedWalkStage.None, hostAddress: DATA_HPA + 0x123, hostPageBase: DATA_HPA, pageShift: 12 });
    expect(out).toMatchObject({ guestPhysicalAddress: DATA_GPA + 0x123, memoryReferences: 24, guestEntryWrites: 4, eptEntryWrites: 0 });
    expect(out.guest).toMatchObject({ ok: true, pageBase: DATA_GPA, pteReads: 4 });
    expect(out.ept).toMatchObject({ ok: true, guestPhysicalAddress: DATA_GPA + 0x123, entryReads: 4 });
    // The guest's A/D flags were written at the host-physical addresses of its entries, not at their guest-physical ones.
    const A = BigInt(X86_PTE.A);
    const D = BigInt(X86_PTE.D);
    for (let level = 0; level < 4; level++) expect(host.read64(guestEntryHpa(VA, level)) & A).toBe(A);
    expect(host.read64(guestEntryHpa(VA, 3)) & D).toBe(D);
    expect(host.read64(guest.entry(VA, 3))).toBe(0n);
  });

  it.each([
    ['4-level', 4, 24, X86_64],
    ['5-level (LA57)', 5, 35, X86_64_LA57],
    ['4-level', 5, 29, X86_64],
    ['5-level (LA57)', 4, 29, X86_64_LA57],
    ['PAE', 4, 19, X86_PAE],
    ['32-bit', 4, 14, X86_32],
  ] as const)('counts (n + 1)(m + 1) − 1 references: %s guest over %i-level EPT → %i', (_name, eptLevels, expected, format) => {
    const n = format.levels.length;
    expect((n + 1) * (eptLevels + 1) - 1).toBe(expected);
    const va = format.vaBits === 32 ? 0x40_3000 : VA;
    const f = nestedFixture({ format, eptLevels });
    f.guest.mapX86(va, n - 1, { writable: true, user: true, address: DATA_GPA });
    f.ept.map(DATA_GPA, DATA_HPA);
    const out = f.install().walk(va + 4, Read, User);
    expect(out).toMatchObject({ ok: true, hostAddress: DATA_HPA + 4, memoryReferences: expected });
    expect(out.guest.pteReads).toBe(n);
    expect(out.ept.entryReads).toBe(eptLevels);
  });

  it('drops the levels a large page skips: a 2 MiB guest page, or guest tables in one 2 MiB EPT page', () => {
    const largeGuest = nestedFixture();
    largeGuest.guest.mapX86(0x4000_0000, 2, { address: 0x20_0000 });
    largeGuest.ept.map(0x20_1000, DATA_HPA);
    expect(largeGuest.install().walk(0x4000_1008, Read)).toMatchObject({ ok: true, hostAddress: DATA_HPA + 8, memoryReferences: (3 + 1) * (4 + 1) - 1 });

    const largeEpt = nestedFixture({ tablePageLevel: 'large' });
    largeEpt.guest.mapX86(VA, 3, { address: DATA_GPA }); // DATA_GPA lies in the same 2 MiB EPT page as the tables
    expect(largeEpt.install().walk(VA, Read)).toMatchObject({ ok: true, hostAddress: GUEST_TABLES_HPA + DATA_GPA, memoryReferences: (4 + 1) * (3 + 1) - 1 });
  });

  it('makes the combined page the smaller of the guest page and the EPT page', () => {
    const cases = [
      // guest page (level, VA, GPA), EPT page (level, GPA, HPA), expected shift
      { guest: [2, 0x4000_0000, 0x60_0000], ept: [3, 0x60_3000, 0x7_0000_3000], va: 0x4000_3abc, shift: 12, base: 0x7_0000_3000 },
      { guest: [3, 0x4000_3000, 0x80_5000], ept: [2, 0x80_0000, 0x7_0020_0000], va: 0x4000_3abc, shift: 12, base: 0x7_0020_5000 },
      { guest: [2, 0x4000_0000, 0x4020_0000], ept: [1, 0x4000_0000, 0x1_0000_0000], va: 0x4012_3456, shift: 21, base: 0x1_0020_0000 },
      { guest: [1, 0x80_0000_0000, 0x4000_0000], ept: [2, 0x4020_0000, 0x2_0000_0000], va: 0x80_0021_2345, shift: 21, base: 0x2_0000_0000 },
    ];
    for (const c of cases) {
      const f = nestedFixture();
      f.guest.mapX86(c.guest[1], c.guest[0], { address: c.guest[2] });
      f.ept.map(c.ept[1], c.ept[2], c.ept[0]);
      const out = f.install().walk(c.va, Read);
      expect(out, JSON.stringify(c)).toMatchObject({ ok: true, pageShift: c.shift, hostPageBase: c.base, hostAddress: c.base + (c.va % 2 ** c.shift) });
      expect(out.guest.pageShift).toBe(12 + 9 * (3 - c.guest[0]));
      expect(out.ept.pageShift).toBe(12 + 9 * (3 - c.ept[0]));
    }
  });

  it('reports a guest fault as the guest stage, with its #PF error code, before any EPT walk of the final address', () => {
    const { walk, guestEntryHpa, host } = simpleNested();
    const pte = guestEntryHpa(VA, 3);
    host.write64(pte, host.read64(pte) & ~BigInt(X86_PTE.RW));
    const out = walk(VA, Write, User);
    expect(out).toMatchObject({ ok: false, stage: NestedWalkStage.Guest, guestVector: X86Vector.PageFault, memoryReferences: 20 });
    expect(out.guestErrorCode).toBe(X86PageFaultCode.Present | X86PageFaultCode.Write | X86PageFaultCode.User);
    expect(out.guest).toMatchObject({ faultReason: FaultReason.Protection, level: 3 });
    expect(out.ept.guestPhysicalAddress).not.toBe(DATA_GPA); // the last EPT walk was of the guest PTE's address

    host.write64(pte, 0n);
    expect(walk(VA, Execute, Supervisor)).toMatchObject({ stage: NestedWalkStage.Guest, guestErrorCode: X86PageFaultCode.InstructionFetch });
    const pml4e = guestEntryHpa(VA, 0);
    host.write64(pml4e, host.read64(pml4e) | BigInt(X86_PTE.PS)); // PS is reserved in a PML4E
    expect(walk(VA, Read, Supervisor)).toMatchObject({ stage: NestedWalkStage.Guest, guestErrorCode: X86PageFaultCode.Present | X86PageFaultCode.ReservedBit });
    expect(walk(2 ** 48, Read, Supervisor)).toMatchObject({ stage: NestedWalkStage.Guest, guestVector: X86Vector.GeneralProtection, memoryReferences: 0 });
  });

  it('reports an EPT violation on a guest paging-structure entry with bit 8 clear, the entry\'s GPA and the linear address', () => {
    const f = simpleNested();
    const pdTable = f.guest.tableFor(VA, 2);
    f.ept.setRights(f.eptEntryOfGuestTable(VA, 2), 0n);
    const out = f.walk(VA + 0x10, Read, User);
    expect(out).toMatchObject({ ok: false, stage: NestedWalkStage.Ept, memoryReferences: 2 * 5 + 4 });
    expect(out.ept).toMatchObject({ outcome: EptOutcome.Violation, level: 3, guestPhysicalAddress: f.guest.entry(VA, 2), guestLinearAddress: VA + 0x10 });
    expect(out.ept.exitQualification).toBe(Q.DataRead | Q.LinearAddressValid);
    expect(f.guest.entry(VA, 2)).toBe(pdTable + X86_64.entryIndex(VA, 2) * 8);
    expect(out.guest).toMatchObject({ level: 2, entryAddress: f.guest.entry(VA, 2) });
  });

  it('reports an EPT misconfiguration met while translating a guest entry\'s address', () => {
    const f = simpleNested();
    const at = f.eptEntryOfGuestTable(VA, 1);
    f.ept.write(at, (f.ept.read(at) & ~0x38n) | (2n << 3n));
    const out = f.walk(VA, Read);
    expect(out).toMatchObject({ stage: NestedWalkStage.Ept, guest: { level: 1 } });
    expect(out.ept).toMatchObject({ outcome: EptOutcome.Misconfiguration, guestPhysicalAddress: f.guest.entry(VA, 1), exitQualification: 0 });
  });

  it('reports an EPT violation on the final access with bit 8 set; the guest A/D flags are already written', () => {
    const { walk, guestEntryHpa, host } = simpleNested({}, 0b001n);
    const out = walk(VA + 0x40, Write, User);
    expect(out).toMatchObject({ ok: false, stage: NestedWalkStage.Ept, guestPhysicalAddress: DATA_GPA + 0x40, memoryReferences: 24 });
    expect(out.ept).toMatchObject({ outcome: EptOutcome.Violation, guestPhysicalAddress: DATA_GPA + 0x40, guestLinearAddress: VA + 0x40 });
    expect(out.ept.exitQualification).toBe(Q.DataWrite | Q.Readable | Q.LinearAddressValid | Q.FinalTranslation);
    expect(host.read64(guestEntryHpa(VA, 3)) & BigInt(X86_PTE.D)).toBe(BigInt(X86_PTE.D));
  });

  it('with EPT A/D on, treats guest entry reads as writes: a read-only guest table page faults even for a read', () => {
    const f = simpleNested({ eptpFlags: EPTP.AccessedDirty });
    f.ept.setRights(f.eptEntryOfGuestTable(VA, 3), 0b001n);
    // Guest A flags already set: no guest A/D write is due, only the read itself.
    for (let level = 0; level < 4; level++) f.host.write64(f.guestEntryHpa(VA, level), f.host.read64(f.guestEntryHpa(VA, level)) | BigInt(X86_PTE.A));
    const out = f.walk(VA, Read);
    expect(out).toMatchObject({ stage: NestedWalkStage.Ept, guest: { level: 3 } });
    expect(out.ept.exitQualification).toBe(Q.DataRead | Q.DataWrite | Q.Readable | Q.LinearAddressValid);
  });

  it('with EPT A/D off, reads a read-only guest table page, and faults only when a guest A/D flag must be written there', () => {
    const f = simpleNested();
    f.ept.setRights(f.eptEntryOfGuestTable(VA, 3), 0b001n);
    const out = f.walk(VA, Read);
    expect(out).toMatchObject({ stage: NestedWalkStage.Ept, guest: { level: 3, entryAddress: f.guest.entry(VA, 3) } });
    expect(out.ept).toMatchObject({ outcome: EptOutcome.Violation, guestPhysicalAddress: f.guest.entry(VA, 3) });
    expect(out.ept.exitQualification).toBe(Q.DataWrite | Q.Readable | Q.LinearAddressValid);
    // Once the guest PTE's A flag is set, a read needs no write to that page.
    const pte = f.guestEntryHpa(VA, 3);
    f.host.write64(pte, f.host.read64(pte) | BigInt(X86_PTE.A));
    expect(f.walk(VA, Read)).toMatchObject({ ok: true, guestEntryWrites: 0 });
  });

  it('an EPT violation on the guest A write of an upper-level entry names that entry and keeps the guest read count', () => {
    const f = simpleNested();
    f.ept.setRights(f.eptEntryOfGuestTable(VA, 0), 0b001n); // the guest PML4 page: read-only in EPT
    const out = f.walk(VA, Read);
    // All four guest entries were read (4 × (4 + 1)), then the PML4E's A write was walked again as a write (4).
    expect(out).toMatchObject({ stage: NestedWalkStage.Ept, memoryReferences: 4 * 5 + 4, guestEntryWrites: 0 });
    expect(out.guest).toMatchObject({ level: 0, entryAddress: f.guest.entry(VA, 0), pteReads: 4 });
    expect(out.ept).toMatchObject({ outcome: EptOutcome.Violation, guestPhysicalAddress: f.guest.entry(VA, 0) });
    expect(out.ept.exitQualification).toBe(Q.DataWrite | Q.Readable | Q.LinearAddressValid);
  });

  it('with EPT A/D on, sets EPT A and D for the guest table pages it reads, and D for the data page only on a write', () => {
    const f = simpleNested({ eptpFlags: EPTP.AccessedDirty });
    const A = BigInt(EPT_ENTRY.Accessed);
    const D = BigInt(EPT_ENTRY.Dirty);
    const dataPte = f.ept.entry(DATA_GPA, 3);
    expect(f.walk(VA, Read)).toMatchObject({ ok: true, perm: Perm.Read | Perm.Write | Perm.Execute | Perm.User });
    for (let level = 0; level < 4; level++) expect(f.ept.read(f.eptEntryOfGuestTable(VA, level)) & (A | D)).toBe(A | D);
    expect(f.ept.read(dataPte) & (A | D)).toBe(A);
    const write = f.walk(VA, Write);
    expect(write.perm & Perm.Dirty).toBe(Perm.Dirty);
    expect(f.ept.read(dataPte) & (A | D)).toBe(A | D);
  });

  it('combines the rights: each access needs both stages', () => {
    const readOnlyEpt = simpleNested({}, 0b101n);
    expect(readOnlyEpt.walk(VA, Read, User).perm).toBe(Perm.Read | Perm.Execute | Perm.User);
    expect(readOnlyEpt.walk(VA, Execute, User).perm).toBe(Perm.Read | Perm.Execute | Perm.User);
    const f = nestedFixture({ eptpFlags: EPTP.AccessedDirty });
    f.guest.mapX86(VA, 3, { user: true, noExecute: true, dirty: true, address: DATA_GPA });
    f.ept.map(DATA_GPA, DATA_HPA, 3, RWX | WB);
    const { walk } = f.install();
    // Guest read-only, execute-disabled, D already set; EPT RWX with D clear: a later write must walk to set EPT D.
    expect(walk(VA, Read, User).perm).toBe(Perm.Read | Perm.User);
    const executeOnly = simpleNested({}, 0b100n);
    expect(executeOnly.walk(VA, Execute, User).perm).toBe(Perm.Execute | Perm.User);
  });

  it('uses bit 10 for user-mode linear addresses with mode-based execute control, whatever the CPL', () => {
    const UX = BigInt(EPT_ENTRY.UserExecute);
    const f = nestedFixture({ ept: { modeBasedExecute: true }, eptRights: RWX | UX });
    f.guest.mapX86(VA, 3, { user: true, address: DATA_GPA });
    f.guest.mapX86(VA + 0x1000, 3, { user: false, address: DATA_GPA });
    f.ept.map(DATA_GPA, DATA_HPA, 3, 0b001n | UX | WB);
    const { walk } = f.install();
    expect(walk(VA, Execute, User)).toMatchObject({ ok: true, perm: Perm.Read | Perm.Execute | Perm.User });
    expect(walk(VA, Execute, Supervisor).ok).toBe(true); // a supervisor fetch from a user-mode address (SMEP off)
    const out = walk(VA + 0x1000, Execute, Supervisor);
    expect(out).toMatchObject({ stage: NestedWalkStage.Ept });
    expect(out.ept.exitQualification).toBe(Q.InstructionFetch | Q.Readable | Q.UserExecutable | Q.LinearAddressValid | Q.FinalTranslation);
  });

  it('refuses a non-x86 guest format, a walk before an EPTP is loaded, and bad walk arguments', () => {
    const memory = new PhysicalMemory({ size: 1 << 20 });
    const ept = new EptWalker(memory);
    expect(() => new EptNestedWalker(SV39, memory, defaultControls(), ept)).toThrow(InvalidArgumentError);
    expect(() => new EptNestedWalker(X86_64, memory, defaultControls(), {} as EptWalker)).toThrow(InvalidArgumentError);
    const nested = new EptNestedWalker(X86_64, memory, defaultControls(), ept);
    expect(() => nested.walk(0, Read, Supervisor, 0x1000, new EptNestedWalkResult())).toThrow(/no EPTP/);
    ept.setEptp(0x1000 | EPTP.WalkLength4 | EPTP.MemoryTypeWriteBack);
    expect(() => nested.walk(0, Read, Supervisor, -1, new EptNestedWalkResult())).toThrow(InvalidArgumentError);
  });
});

// ---------------------------------------------------------------------------------------------
// Property: the nested walk is the guest walk, then the EPT walk of its result.

/** Guest mappings the property draws from: 4 KiB pages in two regions and 2 MiB pages. */
const PROPERTY_VAS = [0x40_0000, 0x40_1000, 0x40_2000, 0x7f_c000_0000, 0x7f_c000_1000, 0x60_0000_0000];
const DATA_GPAS = Array.from({ length: 12 }, (_, i) => 0x20_0000 + i * 0x1000);
const EPT_RIGHTS = [0n, 0b001n, 0b011n, 0b101n, 0b111n, 0b100n];

/** The one VA region the property maps with 2 MiB guest pages (a PDE with PS = 1 never shares a PD slot with 4 KiB pages). */
const LARGE_VA = 0x60_0000_0000;
const guestMappingArb = fc.record({
  va: fc.constantFrom(...PROPERTY_VAS),
  gpa: fc.constantFrom(...DATA_GPAS),
  present: fc.constantFrom(true, true, true, false),
  writable: fc.boolean(),
  user: fc.boolean(),
  noExecute: fc.boolean(),
});
const eptDataArb = fc.record({ rights: fc.constantFrom(...EPT_RIGHTS, 0b111n, 0b011n), hpaPage: fc.integer({ min: 0, max: 0xff_ffff }), type: fc.constantFrom(0n, 1n, 4n, 5n, 6n) });
/** An access to one of the mapped addresses (`pick` modulo their number), or to an unmapped one. */
const accessArb = fc.record({
  pick: fc.nat(),
  unmapped: fc.constantFrom(false, false, false, false, true),
  access: fc.constantFrom<Access>(Read, Write, Execute),
  privilege: fc.constantFrom<TranslatedPrivilege>(Supervisor, User),
});

/** Index of the first byte where `a` and `b` differ, or -1. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : a.length;
}

/** Combined Perm bits as the specification states them: each access needs both stages (mode-based execute control off). */
function expectedPerm(guestPerm: number, ept: EptWalkResult): number {
  let perm = guestPerm & Perm.User;
  if ((ept.permissions & EptPermission.Read) !== 0) perm |= Perm.Read;
  if ((guestPerm & Perm.Write) !== 0 && (ept.permissions & EptPermission.Write) !== 0) perm |= Perm.Write;
  if ((guestPerm & Perm.Execute) !== 0 && (ept.permissions & EptPermission.Execute) !== 0) perm |= Perm.Execute;
  // Dirty: a write needs no walk, which only a page EPT lets the guest write can say (a guest with CR0.WP = 0
  // writes read-only guest pages on Dirty alone; EPT's write right still applies).
  if ((guestPerm & Perm.Dirty) !== 0 && ept.dirty && (ept.permissions & EptPermission.Write) !== 0) perm |= Perm.Dirty;
  return perm;
}

describe('property: a nested walk equals the guest walk followed by the EPT walk of its result', () => {
  it('for random guest mappings, EPT rights and accesses (EPT A/D on and off)', () => {
    fc.assert(
      fc.property(
        fc.array(guestMappingArb, { minLength: 1, maxLength: 6 }),
        fc.array(eptDataArb, { minLength: DATA_GPAS.length, maxLength: DATA_GPAS.length }),
        fc.boolean(),
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 64, maxLength: 64 }),
        fc.array(accessArb, { minLength: 1, maxLength: 6 }),
        (mappings, eptData, ad, frameShuffle, accesses) => {
          // The guest's tables, in a guest-physical space of their own.
          const guest = new PageTables(X86_64, { size: 512 << 10 });
          for (const m of mappings) {
            const large = m.va === LARGE_VA;
            guest.mapX86(m.va, large ? 2 : 3, { present: m.present, writable: m.writable, user: m.user, noExecute: m.noExecute, address: large ? 0x40_0000 : m.gpa });
          }
          const tablesEnd = guest.alloc();

          // Host memory: EPT tables at 3 MiB; guest table pages scattered over [1 MiB, 2 MiB) in a random order.
          const host = new PhysicalMemory({ size: 4 << 20 });
          const ept = new EptTables(host, 0x30_0000);
          const used = new Set<number>();
          const guestTableHpa = new Map<number, number>();
          for (let gpa = 0; gpa < tablesEnd; gpa += 0x1000) {
            let frame = frameShuffle[(gpa >> 12) % frameShuffle.length];
            while (used.has(frame)) frame = (frame + 1) % 256;
            used.add(frame);
            const hpa = 0x10_0000 + frame * 0x1000;
            guestTableHpa.set(gpa, hpa);
            ept.map(gpa, hpa, 3, RWX | WB);
            host.writeBytes(hpa, guest.memory.readBytes(gpa, 0x1000));
          }
          DATA_GPAS.forEach((gpa, i) => {
            const d = eptData[i];
            ept.map(gpa, d.hpaPage * 0x1000, 3, d.rights | (d.type << 3n));
          });
          ept.map(0x40_0000, 0x80_0000, 2, (eptData[0].rights === 0n ? RWX : eptData[0].rights) | WB); // the 2 MiB guest pages' GPA: a 2 MiB EPT page
          const eptp = ept.eptp(ad ? EPTP.AccessedDirty : 0);

          // Two worlds from the same start: the nested walker's, and the reference's (guest walk in guest-physical space, EPT walk in host memory).
          const nestedHost = new PhysicalMemory({ size: host.ramSize, buffer: host.buffer.slice(0) });
          const controls = defaultControls();
          const nested = new EptNestedWalker(X86_64, nestedHost, controls, new EptWalker(nestedHost, { eptp }));
          const refGuest = new X86Walker(X86_64, guest.memory, controls, { walkCache: null });
          const refEpt = new EptWalker(host, { eptp });

          for (const access of accesses) {
            const a = { ...access, va: access.unmapped ? 0x50_0018 : mappings[access.pick % mappings.length].va + 0x18 };
            const out = new EptNestedWalkResult();
            nested.walk(a.va, a.access, a.privilege, guest.root, out);
            const g = new WalkResult();
            refGuest.walk(a.va, a.access, a.privilege, guest.root, 0, g);
            if (!g.ok) {
              expect(out).toMatchObject({ ok: false, stage: NestedWalkStage.Guest, memoryReferences: g.pteReads * 5 });
              expect(out.guest).toMatchObject({ faultReason: g.faultReason, level: g.level, entryAddress: g.entryAddress });
              continue;
            }
            const gpa = g.pageBase + (a.va % 2 ** g.pageShift);
            const e = new EptWalkResult();
            refEpt.walk(gpa, a.access, Final, a.va, g.perm, e);
            expect(out.guest).toMatchObject({ ok: true, pageBase: g.pageBase, pageShift: g.pageShift, perm: g.perm, pteWrites: g.pteWrites });
            expect(out.memoryReferences).toBe(g.pteReads * 5 + e.entryReads);
            expect(out.ept).toMatchObject({ ok: e.ok, outcome: e.outcome, exitQualification: e.exitQualification, guestPhysicalAddress: gpa, permissions: e.permissions });
            if (!e.ok) {
              expect(out).toMatchObject({ ok: false, stage: NestedWalkStage.Ept });
              continue;
            }
            const shift = Math.min(g.pageShift, e.pageShift);
            expect(out).toMatchObject({ ok: true, stage: NestedWalkStage.None, hostAddress: e.hostAddress, pageShift: shift, hostPageBase: e.hostAddress - (a.va % 2 ** shift) });
            expect(out.perm).toBe(expectedPerm(g.perm, e));
          }
          // The guest's A/D updates landed, through EPT, exactly where the reference made them.
          for (const [gpa, hpa] of guestTableHpa) expect(firstDifference(nestedHost.readBytes(hpa, 0x1000), guest.memory.readBytes(gpa, 0x1000)), `guest table page 0x${gpa.toString(16)}`).toBe(-1);
        },
      ),
      { numRuns: 150 },
    );
  });
});
