/**
 * The RISC-V two-stage (hypervisor) walker against the H extension's rules, one rule per test,
 * with both stages' tables built by hand in a PhysicalMemory; then a property test against a
 * reference that composes the two walks separately.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Access, Privilege, type TranslatedPrivilege } from '../../src/mmu/access.js';
import { defaultControls } from '../../src/mmu/controls.js';
import { InvalidArgumentError } from '../../src/mmu/errors.js';
import { FaultReason } from '../../src/mmu/fault-reason.js';
import { type PageTableFormat, SV32, SV39, SV48, SV57 } from '../../src/mmu/formats/format.js';
import { RISCV_PTE, type RiscvPteFields, decodeRiscvPte, encodeRiscvPte, readRiscvPte, writeRiscvPte } from '../../src/mmu/formats/riscv.js';
import { Perm } from '../../src/mmu/permissions.js';
import { PhysicalMemory } from '../../src/mmu/physical-memory.js';
import { GSTAGE_ROOT_SIZE, GStageMode, gStageAddressBits, gStageLevels } from '../../src/mmu/walkers/riscv-gstage-walker.js';
import { RiscvTwoStageWalker, defaultVsControls } from '../../src/mmu/walkers/riscv-two-stage-walker.js';
import { GuestPageFaultCause, HtinstPseudo, TranslationStage, TwoStageWalkResult } from '../../src/mmu/walkers/two-stage-walk-result.js';
import { mulberry32 } from '../support/random.js';
import { bit } from './helpers.js';

const { Read, Write, Execute } = Access;
const { Supervisor, User } = Privilege;
const RAM = 0x8000_0000;
const A = BigInt(RISCV_PTE.A);
const D = BigInt(RISCV_PTE.D);
/** G-stage leaf of ordinary guest RAM: every permission, U (required at the G-stage), A and D. */
const GUEST_RAM: Partial<RiscvPteFields> = { read: true, write: true, execute: true, user: true, accessed: true, dirty: true };
/** VS-stage leaf of a supervisor page with every permission, A and D. */
const VS_RWX: Partial<RiscvPteFields> = { read: true, write: true, execute: true, accessed: true, dirty: true };

/** The first-stage format whose PTE layout and level alignment a G-stage mode of that depth shares. */
const SAME_DEPTH: Record<number, PageTableFormat> = { 3: SV39, 4: SV48, 5: SV57 };

/**
 * A virtual machine in one PhysicalMemory: G-stage tables in host frames, guest pages backed by
 * host frames, and VS-stage tables in guest pages (written at the host frame behind them).
 */
class Guest {
  readonly memory: PhysicalMemory;
  readonly hs = defaultControls();
  readonly vs = defaultVsControls();
  readonly walker: RiscvTwoStageWalker;
  readonly gRoot: number;
  vsRoot = 0;
  private host = RAM;
  private gpaNext: number;
  private readonly pages = new Map<number, number>();

  constructor(
    readonly gMode: GStageMode = GStageMode.Sv39x4,
    readonly vsFormat: PageTableFormat | null = SV39,
    size = 8 << 20,
  ) {
    this.memory = new PhysicalMemory({ size, base: RAM });
    this.walker = new RiscvTwoStageWalker(this.memory, this.hs, this.vs);
    this.gpaNext = gMode === GStageMode.Bare ? RAM + (size >> 1) : 0x10_0000;
    this.gRoot = gMode === GStageMode.Bare ? 0 : this.hostFrames(GSTAGE_ROOT_SIZE / 4096);
    this.walker.setHgatp(gMode, this.gRoot);
    if (vsFormat !== null) this.useVsRoot(this.vsTable());
  }

  /** Supervisor-physical address just past the last host frame handed out. */
  get hostEnd(): number {
    return this.host;
  }

  hostFrames(n = 1): number {
    const at = this.host;
    this.host += n * 4096;
    return at;
  }

  useVsRoot(gpa: number): void {
    this.vsRoot = gpa;
    this.walker.setVsatp(this.vsFormat, gpa);
  }

  get gLevels(): number {
    return gStageLevels(this.gMode);
  }

  /** Index into a G-stage table of `level`: 11 GPA bits at the root, 9 below (computed here with bigints, independently of the walker). */
  gIndex(gpa: number, level: number): number {
    const shift = BigInt(12 + 9 * (this.gLevels - 1 - level));
    return Number((BigInt(gpa) >> shift) & (level === 0 ? 0x7ffn : 0x1ffn));
  }

  /** Supervisor-physical address of the G-stage entry of `level` for `gpa`, creating pointer tables above it. */
  gEntry(gpa: number, level: number): number {
    const format = SAME_DEPTH[this.gLevels];
    let table = this.gRoot;
    for (let l = 0; l < level; l++) {
      const at = table + this.gIndex(gpa, l) * 8;
      const value = readRiscvPte(this.memory, at, format);
      if (value === 0n) {
        const next = this.hostFrames();
        writeRiscvPte(this.memory, at, encodeRiscvPte({ valid: true, address: next }, format, l), format);
        table = next;
      } else {
        table = decodeRiscvPte(value, format).address;
      }
    }
    return table + this.gIndex(gpa, level) * 8;
  }

  /** Writes a G-stage leaf (valid by default) for `gpa` at `level`; returns its address. */
  gMap(gpa: number, level: number, fields: Partial<RiscvPteFields>, allowReserved = false): number {
    const format = SAME_DEPTH[this.gLevels];
    const at = this.gEntry(gpa, level);
    writeRiscvPte(this.memory, at, encodeRiscvPte({ valid: true, ...fields }, format, level, { allowReserved }), format);
    return at;
  }

  /** Backs the guest page of `gpa` with a host frame through a 4 KiB G-stage leaf carrying `fields`; returns the frame. */
  ram(gpa: number, fields: Partial<RiscvPteFields> = GUEST_RAM): number {
    const page = gpa - (gpa % 4096);
    if (this.gMode === GStageMode.Bare) {
      this.pages.set(page, page);
      return page;
    }
    const spa = this.pages.get(page) ?? this.hostFrames();
    this.pages.set(page, spa);
    this.gMap(page, this.gLevels - 1, { ...fields, address: spa });
    return spa;
  }

  /** The host address behind a guest-physical address this fixture backed. */
  spa(gpa: number): number {
    const frame = this.pages.get(gpa - (gpa % 4096));
    if (frame === undefined) throw new Error(`GPA 0x${gpa.toString(16)} has no host frame`);
    return frame + (gpa % 4096);
  }

  /** A fresh guest page for a VS-stage table. */
  vsTable(): number {
    const gpa = this.gpaNext;
    this.gpaNext += 4096;
    this.ram(gpa);
    return gpa;
  }

  /** Guest-physical address of the VS-stage entry of `level` for `gva`, creating pointer tables above it. */
  vsEntry(gva: number, level: number): number {
    const format = this.vsFormat!;
    let table = this.vsRoot;
    for (let l = 0; l < level; l++) {
      const at = format.entryAddress(table, gva, l);
      const value = readRiscvPte(this.memory, this.spa(at), format);
      if (value === 0n) {
        const next = this.vsTable();
        writeRiscvPte(this.memory, this.spa(at), encodeRiscvPte({ valid: true, address: next }, format, l), format);
        table = next;
      } else {
        table = decodeRiscvPte(value, format).address;
      }
    }
    return format.entryAddress(table, gva, level);
  }

  /** Writes a VS-stage leaf (valid by default) for `gva` at `level`; returns the entry's guest-physical address. */
  vsMap(gva: number, level: number, fields: Partial<RiscvPteFields>, allowReserved = false): number {
    const format = this.vsFormat!;
    const at = this.vsEntry(gva, level);
    writeRiscvPte(this.memory, this.spa(at), encodeRiscvPte({ valid: true, ...fields }, format, level, { allowReserved }), format);
    return at;
  }

  /** The VS-stage entry at guest-physical `gpa`. */
  vsPte(gpa: number): bigint {
    return readRiscvPte(this.memory, this.spa(gpa), this.vsFormat!);
  }

  /** The 8-byte entry at supervisor-physical `spa`. */
  pte(spa: number): bigint {
    return readRiscvPte(this.memory, spa, SV39);
  }

  walk(gva: number, access: Access, privilege: TranslatedPrivilege = Supervisor, hlvx = false): TwoStageWalkResult {
    const out = new TwoStageWalkResult();
    this.walker.walk(gva, access, privilege, out, hlvx);
    return out;
  }
}

/**
 * The usual scene: Sv39 over Sv39x4, GVA 0x40_1000 → GPA 0x20_3000 (a 4 KiB VS leaf) → a host
 * frame (a 4 KiB G leaf), with `vsFields` and `gFields` on the two leaves.
 */
function scene(vsFields: Partial<RiscvPteFields> = VS_RWX, gFields: Partial<RiscvPteFields> = GUEST_RAM) {
  const guest = new Guest();
  const gva = 0x40_1000;
  const gpa = 0x20_3000;
  const vsLeaf = guest.vsMap(gva, 2, { ...vsFields, address: gpa }, true);
  const frame = guest.ram(gpa, gFields);
  const gLeaf = guest.gEntry(gpa, 2);
  return { guest, gva, gpa, frame, vsLeaf, gLeaf };
}

describe('G-stage geometry (Guest Physical Address Translation)', () => {
  it('Sv39x4: the root is 16 KiB with 2048 entries, indexed by GPA bits 40:30', () => {
    const guest = new Guest(GStageMode.Sv39x4, null);
    const gpa = 2 ** 41 - 4096;
    const frame = guest.ram(gpa);
    expect(guest.gEntry(gpa, 0) - guest.gRoot).toBe(0x3ff8); // entry 2047: past the first 4 KiB
    const out = guest.walk(gpa + 0x10, Read);
    expect(out).toMatchObject({ ok: true, pageBase: frame, pageShift: 12, pteReads: 3, gPteReads: 3, gpa: gpa + 0x10 });
  });

  it('Sv39x4: a GPA with a bit set at or above bit 41 is a guest-page fault, before anything is read', () => {
    const guest = new Guest(GStageMode.Sv39x4, null);
    const out = guest.walk(2 ** 41, Read);
    expect(out).toMatchObject({ ok: false, faultStage: TranslationStage.G, faultReason: FaultReason.NonCanonical, cause: 21, pteReads: 0 });
    expect(out).toMatchObject({ faultGpa: 2 ** 41, htval: 2 ** 39, implicit: false, htinst: 0 });
  });

  it('Sv48x4 (50-bit GPAs, 4 levels) and Sv57x4 (59-bit, 5 levels) use their widths and 11-bit root index', () => {
    for (const [mode, bits, levels] of [[GStageMode.Sv48x4, 50, 4], [GStageMode.Sv57x4, 59, 5]] as const) {
      const guest = new Guest(mode, null);
      const top = 2 ** bits - 4096;
      const frame = guest.ram(top);
      expect(guest.gEntry(top, 0) - guest.gRoot).toBe(0x3ff8);
      expect(guest.walk(top + 8, Write)).toMatchObject({ ok: true, pageBase: frame, pteReads: levels });
      expect(guest.walk(2 ** bits, Execute)).toMatchObject({ ok: false, faultStage: TranslationStage.G, cause: 20, pteReads: 0 });
    }
    expect([GStageMode.Bare, GStageMode.Sv39x4, GStageMode.Sv48x4, GStageMode.Sv57x4].map(gStageAddressBits)).toEqual([0, 41, 50, 59]);
    expect([GStageMode.Bare, GStageMode.Sv39x4, GStageMode.Sv48x4, GStageMode.Sv57x4].map(gStageLevels)).toEqual([0, 3, 4, 5]);
  });

  it('hgatp: the root must be 16 KiB aligned (PPN[1:0] read as zero); Bare needs PPN 0; reserved modes are rejected', () => {
    const guest = new Guest();
    expect(() => guest.walker.setHgatp(GStageMode.Sv39x4, RAM + 0x1000)).toThrow(InvalidArgumentError);
    expect(() => guest.walker.setHgatp(GStageMode.Sv39x4, RAM + 0x2000)).toThrow(InvalidArgumentError);
    expect(() => guest.walker.setHgatp(GStageMode.Sv48x4, RAM + 0x4000)).not.toThrow();
    expect(() => guest.walker.setHgatp(GStageMode.Bare, RAM)).toThrow(InvalidArgumentError);
    expect(() => guest.walker.setHgatp(1 as GStageMode, RAM)).toThrow(InvalidArgumentError);
  });
});

describe('G-stage checks: every access is a U-mode access', () => {
  it('a G-stage leaf with U = 0 faults even for VS-mode, and U = 1 serves VS-mode and VU-mode alike', () => {
    const noU = scene(VS_RWX, { ...GUEST_RAM, user: false });
    expect(noU.guest.walk(noU.gva, Read, Supervisor)).toMatchObject({ ok: false, faultStage: TranslationStage.G, faultReason: FaultReason.Protection, cause: 21 });
    const u = scene({ ...VS_RWX, user: true });
    expect(u.guest.walk(u.gva, Read, User)).toMatchObject({ ok: true, pageBase: u.frame });
    const s = scene();
    expect(s.guest.walk(s.gva, Write, Supervisor)).toMatchObject({ ok: true, pageBase: s.frame });
  });

  it('the G bit of a G-stage PTE is ignored; a VS-stage G bit makes the translation global', () => {
    const s = scene(VS_RWX, { ...GUEST_RAM, global: true });
    expect(s.guest.walk(s.gva, Read)).toMatchObject({ ok: true, global: false });
    const g = scene({ ...VS_RWX, global: true });
    expect(g.guest.walk(g.gva, Read)).toMatchObject({ ok: true, global: true });
  });

  it('reserved bits, a U bit in a G-stage pointer, and a misaligned G-stage superpage are guest-page faults', () => {
    const reserved = scene();
    reserved.guest.memory.write32(reserved.gLeaf + 4, reserved.guest.memory.read32(reserved.gLeaf + 4) | (1 << 22)); // PTE bit 54
    expect(reserved.guest.walk(reserved.gva, Write)).toMatchObject({ faultStage: TranslationStage.G, faultReason: FaultReason.ReservedBit, cause: 23 });

    const pointer = scene();
    const l1 = pointer.guest.gEntry(pointer.gpa, 1);
    pointer.guest.memory.write32(l1, pointer.guest.memory.read32(l1) | RISCV_PTE.U);
    const out = pointer.guest.walk(pointer.gva, Read);
    expect(out).toMatchObject({ faultStage: TranslationStage.G, faultReason: FaultReason.ReservedBit, cause: 21, implicit: false });

    const guest = new Guest(GStageMode.Sv39x4, null);
    guest.gMap(0x60_0000, 1, { ...GUEST_RAM, address: RAM + 0x60_1000 }, true); // a 2 MiB leaf on a 4 KiB boundary
    expect(guest.walk(0x60_0000, Execute)).toMatchObject({ faultStage: TranslationStage.G, faultReason: FaultReason.MisalignedSuperpage, cause: 20 });
  });
});

describe('fault causes and trap values', () => {
  it('a G-stage fault on the access itself is an instruction, load or store/AMO guest-page fault (20, 21, 23)', () => {
    const { guest, gva, gLeaf } = scene();
    guest.memory.write32(gLeaf, 0); // the data page's G-stage leaf: invalid
    const causes = [Execute, Read, Write].map((access) => guest.walk(gva, access));
    expect(causes.map((o) => [o.faultStage, o.faultReason, o.cause])).toEqual([
      [TranslationStage.G, FaultReason.NotPresent, GuestPageFaultCause.Instruction],
      [TranslationStage.G, FaultReason.NotPresent, GuestPageFaultCause.Load],
      [TranslationStage.G, FaultReason.NotPresent, GuestPageFaultCause.Store],
    ]);
    expect([GuestPageFaultCause.Instruction, GuestPageFaultCause.Load, GuestPageFaultCause.Store]).toEqual([20, 21, 23]);
  });

  it('a VS-stage fault is an ordinary page fault (12, 13, 15) with no guest-physical address', () => {
    const { guest, gva, vsLeaf } = scene();
    guest.memory.write32(guest.spa(vsLeaf), 0);
    const outs = [Execute, Read, Write].map((access) => guest.walk(gva, access));
    expect(outs.map((o) => [o.faultStage, o.cause, o.htval, o.htinst])).toEqual([
      [TranslationStage.VS, 12, 0, 0],
      [TranslationStage.VS, 13, 0, 0],
      [TranslationStage.VS, 15, 0, 0],
    ]);
    expect(guest.walk(2 ** 39, Read)).toMatchObject({ faultStage: TranslationStage.VS, faultReason: FaultReason.NonCanonical, cause: 13, pteReads: 0 });
  });

  it('htval is the faulting GPA shifted right by 2, offset bits included; htinst is 0 for the access itself', () => {
    const { guest, gva, gLeaf } = scene();
    guest.memory.write32(gLeaf, 0);
    const out = guest.walk(gva + 0xabc, Read);
    expect(out).toMatchObject({ faultGpa: 0x20_3abc, gpa: 0x20_3abc, htval: 0x20_3abc >> 2, htinst: 0, implicit: false });
    const far = new Guest(GStageMode.Sv39x4, null);
    expect(far.walk(0x1_2345_6789, Write)).toMatchObject({ cause: 23, faultGpa: 0x1_2345_6789, htval: Math.floor(0x1_2345_6789 / 4) });
  });
});

describe('implicit accesses of the VS-stage walk', () => {
  it('a VS-level table the G-stage does not map: a guest-page fault of the original type, at the PTE GPA, with the read pseudoinstruction', () => {
    const { guest, gva } = scene();
    const l1Entry = guest.vsEntry(gva, 1);
    guest.memory.write32(guest.gEntry(l1Entry, 2), 0); // the G-stage leaf behind the VS L1 table
    const out = guest.walk(gva, Execute);
    expect(out).toMatchObject({ ok: false, faultStage: TranslationStage.G, cause: 20, implicit: true, implicitWrite: false, level: 1 });
    expect(out).toMatchObject({ faultGpa: l1Entry, htval: l1Entry / 4, htinst: HtinstPseudo.Read64 });
    expect(HtinstPseudo.Read64).toBe(0x3000);
    // Root PTE: 3 G reads + 1 read; L1 PTE: 3 G reads, and the last of them faults.
    expect(out).toMatchObject({ pteReads: 7, gPteReads: 6 });
  });

  it('a VS-stage PTE read is checked at the G-stage as an implicit load, also for a fetch: MXR (either one) never makes an execute-only page readable for it', () => {
    const { guest, gva } = scene();
    const rootPage = guest.vsRoot;
    guest.ram(rootPage, { user: true, execute: true, accessed: true, dirty: true }); // the VS root's guest page: execute-only
    expect(guest.walk(gva, Execute)).toMatchObject({ faultStage: TranslationStage.G, faultReason: FaultReason.Protection, cause: 20, implicit: true, level: 0 });
    guest.vs.mxr = true; // vsstatus.MXR does not reach the G-stage
    expect(guest.walk(gva, Read)).toMatchObject({ faultStage: TranslationStage.G, cause: 21, implicit: true });
    // sstatus.MXR overrides G-stage execute-only permission for explicit loads only (riscv-isa-manual PR #1543;
    // Spike since PR #1760): the implicit read of the VS root PTE still needs R.
    guest.hs.mxr = true;
    expect(guest.walk(gva, Read)).toMatchObject({ faultStage: TranslationStage.G, faultReason: FaultReason.Protection, cause: 21, implicit: true, level: 0 });
    guest.ram(rootPage, { user: true, read: true, execute: true, accessed: true, dirty: true });
    expect(guest.walk(gva, Read)).toMatchObject({ ok: true });
  });

  it('VSXLEN = 32 (an Sv32 VS-stage over Sv39x4): 4-byte PTEs and the 32-bit pseudoinstructions', () => {
    const guest = new Guest(GStageMode.Sv39x4, SV32);
    const gva = 0x8040_1000;
    guest.vsMap(gva, 1, { ...VS_RWX, address: 0x20_3000 });
    const frame = guest.ram(0x20_3000);
    expect(guest.walk(gva + 4, Read)).toMatchObject({ ok: true, pageBase: frame, pteReads: 2 * 4 + 3 });
    const l0Entry = guest.vsEntry(gva, 1);
    guest.memory.write32(guest.gEntry(l0Entry, 2), 0);
    expect(guest.walk(gva, Write)).toMatchObject({ faultStage: TranslationStage.G, cause: 23, faultGpa: l0Entry, htinst: HtinstPseudo.Read32 });
    expect(HtinstPseudo.Read32).toBe(0x2000);
  });

  it('a VS-stage A/D update is an implicit store: the G-stage leaf of the PTE page must grant W, else a fault with the write pseudoinstruction and nothing written', () => {
    const { guest, gva, vsLeaf } = scene({ ...VS_RWX, accessed: false, dirty: false });
    guest.ram(vsLeaf, { read: true, user: true, accessed: true, dirty: true }); // the VS L0 table's page: read-only at the G-stage
    const before = guest.vsPte(vsLeaf);
    const out = guest.walk(gva, Read);
    expect(out).toMatchObject({ ok: false, faultStage: TranslationStage.G, faultReason: FaultReason.Protection, cause: 21 });
    expect(out).toMatchObject({ implicit: true, implicitWrite: true, faultGpa: vsLeaf, htval: vsLeaf / 4, htinst: HtinstPseudo.Write64, pteWrites: 0 });
    expect(HtinstPseudo.Write64).toBe(0x3020);
    expect(guest.vsPte(vsLeaf)).toBe(before);
  });

  it('with W at the G-stage, the implicit store sets D in the G-stage leaf of the PTE page, then A (and D) in the VS leaf', () => {
    const { guest, gva, vsLeaf } = scene({ ...VS_RWX, accessed: false, dirty: false });
    const gLeafOfTable = guest.gEntry(vsLeaf, 2);
    guest.ram(vsLeaf, { ...GUEST_RAM, dirty: false });
    const out = guest.walk(gva, Write);
    expect(out).toMatchObject({ ok: true, pteWrites: 2 });
    expect(guest.vsPte(vsLeaf) & (A | D)).toBe(A | D);
    expect(guest.pte(gLeafOfTable) & D).toBe(D);
  });
});

describe('Bare stages', () => {
  it('vsatp Bare: the GVA is the GPA, and only the G-stage is walked', () => {
    const guest = new Guest(GStageMode.Sv39x4, null);
    const frame = guest.ram(0x20_3000);
    expect(guest.walk(0x20_3456, Write, User)).toMatchObject({ ok: true, gpa: 0x20_3456, pageBase: frame, pageShift: 12, pteReads: 3, gPteReads: 3 });
  });

  it('hgatp Bare: the GPA is the supervisor-physical address, with no G-stage reads and no G-stage protection', () => {
    const guest = new Guest(GStageMode.Bare, SV39);
    const data = RAM + 0x20_0000;
    guest.vsMap(0x40_1000, 2, { ...VS_RWX, address: data });
    expect(guest.walk(0x40_1234, Execute)).toMatchObject({ ok: true, pageBase: data, gpa: data + 0x234, pteReads: 3, gPteReads: 0 });
  });

  it('both Bare: the identity, with nothing read', () => {
    const guest = new Guest(GStageMode.Bare, null);
    expect(guest.walk(RAM + 0x12_3456, Write)).toMatchObject({ ok: true, pageBase: RAM + 0x12_3000, pageShift: 12, pteReads: 0 });
  });
});

describe('the combined page is the smaller of the two stages’ pages', () => {
  it('a VS 2 MiB megapage over G-stage 4 KiB pages gives 4 KiB pages', () => {
    const guest = new Guest();
    guest.vsMap(0x4000_0000, 1, { ...VS_RWX, address: 0x20_0000 });
    const frame = guest.ram(0x20_5000);
    const out = guest.walk(0x4000_5123, Read);
    expect(out).toMatchObject({ ok: true, pageBase: frame, pageShift: 12, vsPageShift: 21, vsPageBase: 0x20_0000, gPageShift: 12, gpa: 0x20_5123 });
  });

  it('a VS 4 KiB page over a G-stage 2 MiB megapage gives 4 KiB pages', () => {
    const guest = new Guest();
    const host2M = RAM + 0x60_0000;
    guest.vsMap(0x40_1000, 2, { ...VS_RWX, address: 0x60_3000 });
    guest.gMap(0x60_0000, 1, { ...GUEST_RAM, address: host2M });
    const out = guest.walk(0x40_1abc, Read);
    expect(out).toMatchObject({ ok: true, pageBase: host2M + 0x3000, pageShift: 12, vsPageShift: 12, gPageShift: 21, gPageBase: host2M });
    expect(out.pteReads).toBe(3 * (3 + 1) + 2); // each VS PTE after 3 G reads, the data after 2
  });

  it('a VS 1 GiB page over a G-stage 2 MiB megapage gives 2 MiB pages; a Bare stage takes the other one’s size', () => {
    const guest = new Guest();
    const host2M = RAM + 0x60_0000;
    guest.vsMap(0x4000_0000, 0, { ...VS_RWX, address: 0x4000_0000 });
    guest.gMap(0x4060_0000, 1, { ...GUEST_RAM, address: host2M });
    expect(guest.walk(0x4061_2345, Read)).toMatchObject({ ok: true, pageBase: host2M, pageShift: 21, vsPageShift: 30 });

    const bareVs = new Guest(GStageMode.Sv39x4, null);
    bareVs.gMap(0x60_0000, 1, { ...GUEST_RAM, address: host2M });
    expect(bareVs.walk(0x61_2345, Read)).toMatchObject({ ok: true, pageBase: host2M, pageShift: 21, vsPageShift: 21, vsPageBase: 0x60_0000 });
  });
});

describe('memory references: (n + 1)(m + 1) − 1 for n VS levels over m G levels', () => {
  // Each of the n VS PTE reads needs m G reads first (n(m + 1)), then the final GPA needs m more.
  for (const [vsFormat, gMode, n, m] of [
    [SV39, GStageMode.Sv39x4, 3, 3],
    [SV48, GStageMode.Sv48x4, 4, 4],
    [SV57, GStageMode.Sv57x4, 5, 5],
    [SV39, GStageMode.Sv48x4, 3, 4],
  ] as const) {
    it(`${vsFormat.name} over ${n === m ? vsFormat.name : 'sv48'}x4 with 4 KiB pages: ${(n + 1) * (m + 1) - 1} reads`, () => {
      const guest = new Guest(gMode, vsFormat);
      const gva = 0x40_1000;
      guest.vsMap(gva, n - 1, { ...VS_RWX, address: 0x20_3000 });
      guest.ram(0x20_3000);
      const out = guest.walk(gva, Read);
      expect(out).toMatchObject({ ok: true, pteReads: (n + 1) * (m + 1) - 1, gPteReads: n * m + m });
    });
  }

  it('a VS-stage superpage drops its levels from the product: a 2 MiB VS leaf over Sv39x4 reads 2 × (3 + 1) + 3 = 11', () => {
    const guest = new Guest();
    guest.vsMap(0x4000_0000, 1, { ...VS_RWX, address: 0x20_0000 });
    guest.ram(0x20_5000);
    expect(guest.walk(0x4000_5123, Read)).toMatchObject({ ok: true, pteReads: 11, gPteReads: 9, vsPageShift: 21 });
  });
});

describe('permissions: both stages must allow the access', () => {
  it('the intersection: VS RW over G R-only allows loads (perm Read) and faults stores at the G-stage', () => {
    const { guest, gva } = scene({ read: true, write: true, accessed: true, dirty: true }, { read: true, user: true, accessed: true, dirty: true });
    expect(guest.walk(gva, Read)).toMatchObject({ ok: true, perm: Perm.Read | Perm.Dirty, vsPerm: Perm.Read | Perm.Write | Perm.Dirty });
    expect(guest.walk(gva, Write)).toMatchObject({ ok: false, faultStage: TranslationStage.G, cause: 23 });
    expect(guest.walk(gva, Execute)).toMatchObject({ ok: false, faultStage: TranslationStage.VS, cause: 12 });
  });

  it('vsstatus.MXR makes a VS-stage execute-only page readable but not a G-stage one; sstatus.MXR both', () => {
    const vsX = scene({ execute: true, accessed: true }, GUEST_RAM);
    expect(vsX.guest.walk(vsX.gva, Read)).toMatchObject({ faultStage: TranslationStage.VS, cause: 13 });
    vsX.guest.vs.mxr = true;
    expect(vsX.guest.walk(vsX.gva, Read)).toMatchObject({ ok: true });

    const gX = scene(VS_RWX, { execute: true, user: true, accessed: true, dirty: true });
    gX.guest.vs.mxr = true;
    expect(gX.guest.walk(gX.gva, Read)).toMatchObject({ faultStage: TranslationStage.G, cause: 21 });
    gX.guest.vs.mxr = false;
    gX.guest.hs.mxr = true;
    expect(gX.guest.walk(gX.gva, Read)).toMatchObject({ ok: true, perm: Perm.Read | Perm.Execute | Perm.Dirty });
  });

  it('HLVX needs execute permission at both stages instead of read, and faults as a load', () => {
    const xOnly = scene({ execute: true, accessed: true }, { execute: true, user: true, accessed: true });
    expect(xOnly.guest.walk(xOnly.gva, Read, Supervisor, true)).toMatchObject({ ok: true });
    expect(xOnly.guest.walk(xOnly.gva, Read)).toMatchObject({ faultStage: TranslationStage.VS, cause: 13 });
    const gNoX = scene({ read: true, execute: true, accessed: true }, { read: true, user: true, accessed: true });
    expect(gNoX.guest.walk(gNoX.gva, Read, Supervisor, true)).toMatchObject({ faultStage: TranslationStage.G, cause: 21 });
    const vsNoX = scene({ read: true, accessed: true });
    expect(vsNoX.guest.walk(vsNoX.gva, Read, Supervisor, true)).toMatchObject({ faultStage: TranslationStage.VS, cause: 13 });
    expect(() => vsNoX.guest.walk(vsNoX.gva, Write, Supervisor, true)).toThrow(InvalidArgumentError);
  });

  it('VS-mode reaches VS-stage U pages only with vsstatus.SUM (the HS-level SUM is ignored), and VU-mode needs U', () => {
    const { guest, gva } = scene({ ...VS_RWX, user: true });
    guest.hs.sum = true;
    expect(guest.walk(gva, Read, Supervisor)).toMatchObject({ faultStage: TranslationStage.VS, cause: 13 });
    guest.vs.sum = true;
    expect(guest.walk(gva, Read, Supervisor)).toMatchObject({ ok: true });
    expect(guest.walk(gva, Execute, Supervisor)).toMatchObject({ faultStage: TranslationStage.VS, cause: 12 });
    const s = scene();
    expect(s.guest.walk(s.gva, Read, User)).toMatchObject({ faultStage: TranslationStage.VS, cause: 13 });
  });
});

describe('A and D bits', () => {
  it('Svade (menvcfg.ADUE = 0): a clear VS-stage A is a page fault, a clear G-stage A a guest-page fault; nothing is written', () => {
    const vsA = scene({ ...VS_RWX, accessed: false });
    vsA.guest.hs.hardwareAD = false;
    expect(vsA.guest.walk(vsA.gva, Read)).toMatchObject({ faultStage: TranslationStage.VS, faultReason: FaultReason.AccessedDirty, cause: 13, pteWrites: 0 });
    const gA = scene(VS_RWX, { ...GUEST_RAM, accessed: false });
    gA.guest.hs.hardwareAD = false;
    expect(gA.guest.walk(gA.gva, Read)).toMatchObject({ faultStage: TranslationStage.G, faultReason: FaultReason.AccessedDirty, cause: 21 });
    expect(gA.guest.pte(gA.gLeaf) & A).toBe(0n);
  });

  it('Svade: a store needs D at both stages (15 at the VS-stage, 23 at the G-stage)', () => {
    const vsD = scene({ ...VS_RWX, dirty: false });
    vsD.guest.hs.hardwareAD = false;
    expect(vsD.guest.walk(vsD.gva, Write)).toMatchObject({ faultStage: TranslationStage.VS, cause: 15 });
    expect(vsD.guest.walk(vsD.gva, Read)).toMatchObject({ ok: true, perm: Perm.Read | Perm.Write | Perm.Execute });
    const gD = scene(VS_RWX, { ...GUEST_RAM, dirty: false });
    gD.guest.hs.hardwareAD = false;
    expect(gD.guest.walk(gD.gva, Write)).toMatchObject({ faultStage: TranslationStage.G, cause: 23 });
  });

  it('henvcfg.ADUE = 0 with menvcfg.ADUE = 1: the VS-stage faults on a clear A while the G-stage sets its own', () => {
    const { guest, gva, gLeaf } = scene({ ...VS_RWX, accessed: false }, { ...GUEST_RAM, accessed: false });
    guest.vs.hardwareAD = false;
    expect(guest.walk(gva, Read)).toMatchObject({ faultStage: TranslationStage.VS, faultReason: FaultReason.AccessedDirty });
    guest.vs.hardwareAD = true;
    expect(guest.walk(gva, Read)).toMatchObject({ ok: true, pteWrites: 2 });
    expect(guest.pte(gLeaf) & A).toBe(A);
  });

  it('Svadu: a store sets A and D in the VS leaf, D in the G leaf of the PTE page, A and D in the data page’s G leaf', () => {
    const { guest, gva, vsLeaf, gLeaf } = scene({ ...VS_RWX, accessed: false, dirty: false }, { ...GUEST_RAM, accessed: false, dirty: false });
    const tableLeaf = guest.gEntry(vsLeaf, 2);
    guest.ram(vsLeaf, { ...GUEST_RAM, dirty: false });
    const out = guest.walk(gva, Write);
    expect(out).toMatchObject({ ok: true, pteWrites: 3, perm: Perm.Read | Perm.Write | Perm.Execute | Perm.Dirty });
    expect(guest.vsPte(vsLeaf) & (A | D)).toBe(A | D);
    expect(guest.pte(gLeaf) & (A | D)).toBe(A | D);
    expect(guest.pte(tableLeaf) & (A | D)).toBe(A | D);
    expect(guest.walk(gva, Write)).toMatchObject({ ok: true, pteWrites: 0 });
  });

  it('Svadu keeps D exact: a store whose final GPA faults leaves the VS leaf and the G leaf of its page unchanged', () => {
    const { guest, gva, vsLeaf } = scene({ ...VS_RWX, accessed: false, dirty: false }, { read: true, user: true, accessed: true, dirty: true });
    const tableLeaf = guest.gEntry(vsLeaf, 2);
    guest.ram(vsLeaf, { ...GUEST_RAM, dirty: false });
    const vsBefore = guest.vsPte(vsLeaf);
    const gBefore = guest.pte(tableLeaf);
    expect(guest.walk(gva, Write)).toMatchObject({ ok: false, faultStage: TranslationStage.G, cause: 23, implicit: false, pteWrites: 0 });
    expect(guest.vsPte(vsLeaf)).toBe(vsBefore);
    expect(guest.pte(tableLeaf)).toBe(gBefore);
  });

  it('the VS root table and the data sharing one G-stage leaf: D is set once, not twice', () => {
    const guest = new Guest();
    const gva = 0x40_1000;
    const vsLeaf = guest.vsMap(gva, 2, { ...VS_RWX, accessed: false, dirty: false, address: 0 });
    const page = vsLeaf - (vsLeaf % 4096);
    guest.vsMap(gva, 2, { ...VS_RWX, accessed: false, dirty: false, address: page }); // the data is the L0 table's own page
    guest.ram(page, { ...GUEST_RAM, dirty: false });
    expect(guest.walk(gva, Write)).toMatchObject({ ok: true, pteWrites: 2 }); // G leaf D (final walk), VS leaf A|D
    expect(guest.pte(guest.gEntry(page, 2)) & D).toBe(D);
  });
});

describe('page-table accesses that reach no memory', () => {
  it('a G-stage pointer outside RAM is an access fault (5), not a guest-page fault, and htval stays 0', () => {
    const { guest, gva, gpa } = scene();
    const l1 = guest.gEntry(gpa, 1);
    writeRiscvPte(guest.memory, l1, encodeRiscvPte({ valid: true, address: 0x1000 }, SV39, 1), SV39);
    expect(guest.walk(gva, Read)).toMatchObject({ ok: false, faultStage: TranslationStage.G, faultReason: FaultReason.BusError, cause: 5, htval: 0, pageTableAccess: 'read' });
  });

  it('a VS-stage table whose G-stage leaf points outside RAM is an access fault of the original type (1 for a fetch)', () => {
    const { guest, gva } = scene();
    const rootLeaf = guest.gEntry(guest.vsRoot, 2);
    writeRiscvPte(guest.memory, rootLeaf, encodeRiscvPte({ ...GUEST_RAM, valid: true, address: 0x1000 }, SV39, 2), SV39);
    expect(guest.walk(gva, Execute)).toMatchObject({ ok: false, faultStage: TranslationStage.VS, faultReason: FaultReason.BusError, cause: 1, entryAddress: 0x1000 + (guest.vsRoot % 4096) });
  });
});

describe('argument checks', () => {
  it('throws for a bad access, privilege, vsatp root or format, and never for guest data', () => {
    const { guest, gva } = scene();
    expect(() => guest.walker.walk(gva, 3 as Access, Supervisor, new TwoStageWalkResult())).toThrow(InvalidArgumentError);
    expect(() => guest.walker.walk(gva, Read, 2 as TranslatedPrivilege, new TwoStageWalkResult())).toThrow(InvalidArgumentError);
    expect(() => guest.walker.setVsatp(SV39, 0x1234)).toThrow(InvalidArgumentError);
    expect(() => guest.walker.setVsatp(null, 0x1000)).toThrow(InvalidArgumentError);
    expect(guest.walk(-1, Read)).toMatchObject({ ok: false, faultReason: FaultReason.NonCanonical });
    expect(guest.walk(0.5, Read)).toMatchObject({ ok: false, faultReason: FaultReason.NonCanonical });
  });
});

// ---------------------------------------------------------------------------------------------
// Property: the combined walk equals the two walks done separately.

interface Controls {
  hsMxr: boolean;
  hsAD: boolean;
  vsSum: boolean;
  vsMxr: boolean;
  vsAD: boolean;
}

interface Expected {
  ok: boolean;
  pageBase?: number;
  pageShift?: number;
  gpa?: number;
  perm?: number;
  faultStage: number;
  cause: number;
  faultGpa: number;
  htinst: number;
  implicit: boolean;
  implicitWrite: boolean;
  pteReads: number;
  gPteReads: number;
  pteWrites: number;
}

interface GWalk {
  fault: boolean;
  base: number;
  shift: number;
  leaf: number;
  pte: bigint;
  reads: number;
}

const field = (pte: bigint, n: number): boolean => ((pte >> BigInt(n)) & 1n) === 1n;

/**
 * A reference two-stage walk for Sv39 over Sv39x4, written from the spec with bigint PTEs: the
 * VS-stage walk with every PTE address translated by a separate G-stage walk, then a G-stage walk
 * of the final GPA. Reads live memory through an overlay of its own writes, so that it can run
 * before the walker and predict the memory the walker leaves.
 */
class Reference {
  readonly overlay = new Map<number, bigint>();
  reads = 0;
  gReads = 0;
  writes = 0;

  constructor(
    private readonly memory: PhysicalMemory,
    private readonly gRoot: number,
    private readonly vsRoot: number,
    private readonly c: Controls,
  ) {}

  read(spa: number): bigint {
    return this.overlay.get(spa) ?? readRiscvPte(this.memory, spa, SV39);
  }

  setBits(spa: number, bits: bigint): void {
    const value = this.read(spa);
    if ((value & bits) === bits) return;
    this.overlay.set(spa, value | bits);
    this.writes++;
  }

  /** One G-stage walk; `kind` is the access checked ('implicit': the read of a VS-level PTE, which MXR does not affect). */
  g(gpa: number, kind: 'load' | 'store' | 'fetch' | 'hlvx' | 'implicit'): GWalk {
    const fault: GWalk = { fault: true, base: 0, shift: 0, leaf: 0, pte: 0n, reads: 0 };
    if (gpa >= 2 ** 41) return fault;
    let table = this.gRoot;
    for (let i = 2; i >= 0; i--) {
      const index = Math.floor(gpa / 2 ** (12 + 9 * i)) % (i === 2 ? 2048 : 512);
      const at = table + index * 8;
      this.reads++;
      this.gReads++;
      const pte = this.read(at);
      const [v, r, w, x, u, a, d] = [0, 1, 2, 3, 4, 6, 7].map((n) => field(pte, n));
      const ppn = Number((pte >> 10n) & ((1n << 44n) - 1n));
      if (!v || (w && !r) || pte >> 54n !== 0n) return fault;
      if (!r && !x) {
        if (d || a || u || i === 0) return fault;
        table = ppn * 4096;
        continue;
      }
      if (!u) return fault;
      const allowed = kind === 'hlvx' ? x : kind === 'implicit' ? r : kind === 'load' ? r || (this.c.hsMxr && x) : kind === 'store' ? w : x;
      if (!allowed || ppn % 2 ** (9 * i) !== 0) return fault;
      const need = kind === 'store' ? A | D : A;
      if ((pte & need) !== need) {
        if (!this.c.hsAD) return fault;
        this.setBits(at, need);
      }
      return { fault: false, base: ppn * 4096, shift: 12 + 9 * i, leaf: at, pte: this.read(at), reads: 0 };
    }
    return fault;
  }

  walk(gva: number, access: Access, privilege: TranslatedPrivilege, hlvx: boolean): Expected {
    const kind = hlvx ? 'hlvx' : access === Read ? 'load' : access === Write ? 'store' : 'fetch';
    const result = (stage: number, gpa = 0, implicit = false, implicitWrite = false): Expected => ({
      ok: false,
      faultStage: stage,
      cause: stage === TranslationStage.G ? [21, 23, 20][access] : [13, 15, 12][access],
      faultGpa: stage === TranslationStage.G ? gpa : 0,
      htinst: implicit ? (implicitWrite ? 0x3020 : 0x3000) : 0,
      implicit,
      implicitWrite,
      pteReads: this.reads,
      gPteReads: this.gReads,
      pteWrites: this.writes,
    });
    const c = this.c;
    let table = this.vsRoot;
    for (let i = 2; i >= 0; i--) {
      const pteGpa = table + (Math.floor(gva / 2 ** (12 + 9 * i)) % 512) * 8;
      const g = this.g(pteGpa, 'implicit');
      if (g.fault) return result(TranslationStage.G, pteGpa, true);
      const pteSpa = g.base + (pteGpa % 2 ** g.shift);
      this.reads++;
      const pte = this.read(pteSpa);
      const [v, r, w, x, u, gBit, a, d] = [0, 1, 2, 3, 4, 5, 6, 7].map((n) => field(pte, n));
      void gBit;
      const ppn = Number((pte >> 10n) & ((1n << 44n) - 1n));
      if (!v || (w && !r) || pte >> 54n !== 0n) return result(TranslationStage.VS);
      if (!r && !x) {
        if (d || a || u || i === 0) return result(TranslationStage.VS);
        table = ppn * 4096;
        continue;
      }
      if (privilege === User ? !u : u && (kind === 'fetch' || !c.vsSum)) return result(TranslationStage.VS);
      const mxr = c.vsMxr || c.hsMxr;
      const allowed = kind === 'hlvx' ? x : kind === 'load' ? r || (mxr && x) : kind === 'store' ? w : x;
      if (!allowed || ppn % 2 ** (9 * i) !== 0) return result(TranslationStage.VS);
      const need = (kind === 'store' ? A | D : A) & ~pte;
      let gLeafToDirty = -1;
      if (need !== 0n) {
        if (!(c.hsAD && c.vsAD)) return result(TranslationStage.VS);
        if (!field(g.pte, 2)) return result(TranslationStage.G, pteGpa, true, true);
        gLeafToDirty = g.leaf;
      }
      const vsShift = 12 + 9 * i;
      const gpa = ppn * 4096 + (gva % 2 ** vsShift);
      const final = this.g(gpa, kind);
      if (final.fault) return { ...result(TranslationStage.G, gpa), gpa };
      const gPte = final.pte;
      if (gLeafToDirty >= 0) this.setBits(gLeafToDirty, D);
      if (need !== 0n) this.setBits(pteSpa, need);
      const shift = Math.min(vsShift, final.shift);
      const spa = final.base + (gpa % 2 ** final.shift);
      const vsReadable = r || (mxr && x);
      const gReadable = field(gPte, 1) || (c.hsMxr && field(gPte, 3));
      const perm =
        (vsReadable && gReadable ? Perm.Read : 0) |
        (w && field(gPte, 2) ? Perm.Write : 0) |
        (x && field(gPte, 3) ? Perm.Execute : 0) |
        (u ? Perm.User : 0) |
        ((d || (need & D) !== 0n) && field(gPte, 7) ? Perm.Dirty : 0);
      return {
        ok: true,
        pageBase: spa - (spa % 2 ** shift),
        pageShift: shift,
        gpa,
        perm,
        faultStage: TranslationStage.None,
        cause: 0,
        faultGpa: 0,
        htinst: 0,
        implicit: false,
        implicitWrite: false,
        pteReads: this.reads,
        gPteReads: this.gReads,
        pteWrites: this.writes,
      };
    }
    return result(TranslationStage.VS);
  }
}

/** A random leaf or pointer's flags, with reserved encodings now and then. */
function randomFlags(rand: () => number, odds: Record<string, number>): Partial<RiscvPteFields> {
  const pick = (name: string) => rand() < odds[name];
  return {
    valid: pick('valid'),
    read: pick('read'),
    write: pick('write'),
    execute: pick('execute'),
    user: pick('user'),
    global: pick('global'),
    accessed: pick('accessed'),
    dirty: pick('dirty'),
  };
}

const G_ODDS = { valid: 0.93, read: 0.8, write: 0.6, execute: 0.5, user: 0.9, global: 0.1, accessed: 0.8, dirty: 0.65 };
const VS_ODDS = { valid: 0.93, read: 0.75, write: 0.45, execute: 0.5, user: 0.35, global: 0.2, accessed: 0.75, dirty: 0.6 };

/** Random Sv39-over-Sv39x4 tables: guest pages with random G leaves, VS paths through them, a few GVAs. */
function randomVm(seed: number) {
  const rand = mulberry32(seed);
  const choose = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)];
  const guest = new Guest(GStageMode.Sv39x4, SV39, 4 << 20);
  // Guest pages: 16 near GPA 0 (sharing G tables), 8 above 4 GiB (another root entry). The first
  // 8 hold VS tables: their G leaves are mostly usable, or walks would rarely get past them.
  const pool = [...Array.from({ length: 16 }, (_, k) => k * 4096), ...Array.from({ length: 8 }, (_, k) => 2 ** 32 + k * 4096)];
  const tablePages = [...pool.slice(0, 6), ...pool.slice(16, 18)];
  for (const gpa of pool) {
    const frame = guest.ram(gpa);
    const usable = tablePages.includes(gpa) && rand() < 0.85;
    const flags = usable ? { ...GUEST_RAM, write: rand() < 0.8, accessed: rand() < 0.8, dirty: rand() < 0.6 } : randomFlags(rand, G_ODDS);
    const at = guest.gMap(gpa, 2, { ...flags, address: frame }, true);
    if (rand() < 0.03) guest.memory.write32(at + 4, guest.memory.read32(at + 4) | (1 << 22)); // a reserved bit
  }
  // One 2 MiB G-stage megapage of data (never tables) at GPA 0x40_0000.
  guest.gMap(0x40_0000, 1, { ...randomFlags(rand, G_ODDS), valid: true, address: RAM + 0x20_0000 }, true);
  // Tables of each level in pages of their own (the root, L1 tables, L0 tables), so that levels rarely overwrite each other.
  const [rootPage, l1Pages, l0Pages] = [tablePages[0], tablePages.slice(1, 4), tablePages.slice(4)];
  guest.useVsRoot(rootPage);
  const format = SV39;
  const writeVs = (gpa: number, value: bigint) => writeRiscvPte(guest.memory, guest.spa(gpa), value, format);
  const gvas: number[] = [];
  for (let n = 0; n < 5; n++) {
    const gva = choose([0, 1, 511]) * 2 ** 30 + choose([0, 3]) * 2 ** 21 + choose([0, 7]) * 4096;
    gvas.push(gva);
    const rootEntry = format.entryAddress(guest.vsRoot, gva, 0);
    if (readRiscvPte(guest.memory, guest.spa(rootEntry), format) === 0n || rand() < 0.2) {
      const pointer = rand() < 0.06 ? { valid: true, user: true } : { valid: rand() < 0.95 };
      writeVs(rootEntry, encodeRiscvPte({ ...pointer, address: choose(rand() < 0.9 ? l1Pages : tablePages) }, format, 0, { allowReserved: true }));
    }
    const l1Table = decodeRiscvPte(readRiscvPte(guest.memory, guest.spa(rootEntry), format), format).address;
    if (!tablePages.includes(l1Table)) continue;
    const l1Entry = format.entryAddress(l1Table, gva, 1);
    if (rand() < 0.25) {
      writeVs(l1Entry, encodeRiscvPte({ ...randomFlags(rand, VS_ODDS), address: choose([0, 0x40_0000]) }, format, 1, { allowReserved: true }));
      continue;
    }
    writeVs(l1Entry, encodeRiscvPte({ valid: rand() < 0.95, address: choose(rand() < 0.9 ? l0Pages : tablePages) }, format, 1));
    const l0Table = decodeRiscvPte(readRiscvPte(guest.memory, guest.spa(l1Entry), format), format).address;
    const l0Entry = format.entryAddress(l0Table, gva, 2);
    const target = rand() < 0.2 ? 0x40_0000 + choose([0, 5]) * 4096 : choose(pool);
    writeVs(l0Entry, encodeRiscvPte({ ...randomFlags(rand, VS_ODDS), address: target }, format, 2, { allowReserved: true }));
    if (rand() < 0.04) writeVs(l0Entry, readRiscvPte(guest.memory, guest.spa(l0Entry), format) | bit(55));
  }
  return { guest, gvas, rand };
}

describe('property: the combined walk equals the two walks done separately', () => {
  it('agrees with a reference composition on outcome, addresses, codes, counts and the A/D bits left in memory', () => {
    const seen = new Map<string, number>();
    const tally = (kind: string) => seen.set(kind, (seen.get(kind) ?? 0) + 1);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const { guest, gvas, rand } = randomVm(seed);
        for (let n = 0; n < 8; n++) {
          const c: Controls = { hsMxr: rand() < 0.3, hsAD: rand() < 0.6, vsSum: rand() < 0.5, vsMxr: rand() < 0.3, vsAD: rand() < 0.7 };
          Object.assign(guest.hs, { mxr: c.hsMxr, hardwareAD: c.hsAD });
          Object.assign(guest.vs, { sum: c.vsSum, mxr: c.vsMxr, hardwareAD: c.vsAD });
          const gva = gvas[Math.floor(rand() * gvas.length)] + Math.floor(rand() * 4096);
          const access = [Read, Write, Execute][Math.floor(rand() * 3)];
          const privilege = rand() < 0.5 ? Supervisor : User;
          const hlvx = access === Read && rand() < 0.35;

          const reference = new Reference(guest.memory, guest.gRoot, guest.vsRoot, c);
          const expected = reference.walk(gva, access, privilege, hlvx);
          const tables = guest.hostEnd - RAM; // every PTE of both stages lives below hostEnd
          const before = guest.memory.readBytes(RAM, tables);
          const out = guest.walk(gva, access, privilege, hlvx);
          const vsCompleted = out.ok || (out.faultStage === TranslationStage.G && !out.implicit);
          const actual: Expected = {
            ok: out.ok,
            ...(out.ok ? { pageBase: out.pageBase, pageShift: out.pageShift, perm: out.perm } : {}),
            ...(vsCompleted ? { gpa: out.gpa } : {}),
            faultStage: out.faultStage,
            cause: out.cause,
            faultGpa: out.faultGpa,
            htinst: out.htinst,
            implicit: out.implicit,
            implicitWrite: out.implicitWrite,
            pteReads: out.pteReads,
            gPteReads: out.gPteReads,
            pteWrites: out.pteWrites,
          };
          expect(actual).toEqual(expected);
          tally(out.ok ? `ok ${out.pageShift}` : out.implicitWrite ? 'implicit write' : out.implicit ? 'implicit read' : `stage ${out.faultStage}`);
          if (out.pteWrites > 0) tally('writes');
          if (hlvx && out.ok) tally('hlvx ok');
          if (!out.ok && out.faultStage === TranslationStage.G) expect(out.htval).toBe(Math.floor(out.faultGpa / 4));

          // Memory: exactly the reference's A/D writes, nothing else.
          const predicted = new DataView(before.buffer.slice(0));
          for (const [at, value] of reference.overlay) predicted.setBigUint64(at - RAM, value, true);
          const after = guest.memory.readBytes(RAM, tables);
          let mismatch = -1;
          for (let i = 0; i < tables && mismatch < 0; i++) if (after[i] !== predicted.getUint8(i)) mismatch = i;
          expect(mismatch).toBe(-1);
        }
      }),
      { numRuns: 250 },
    );
    // The generator must reach every kind of outcome, or the agreement above proves little.
    for (const kind of ['ok 12', 'ok 21', 'stage 1', 'stage 2', 'implicit read', 'implicit write', 'writes', 'hlvx ok']) {
      expect(seen.get(kind) ?? 0, kind).toBeGreaterThan(0);
    }
  });
});
