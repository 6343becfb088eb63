import { describe, expect, it } from 'vitest';
import { Access, Privilege } from '../../src/mmu/access.js';
import { InvalidArgumentError } from '../../src/mmu/errors.js';
import { FaultReason } from '../../src/mmu/fault-reason.js';
import { SV32, SV39, SV48, SV57, X86_64 } from '../../src/mmu/formats/format.js';
import { RISCV_PTE, type RiscvPteFields, encodeRiscvPte } from '../../src/mmu/formats/riscv.js';
import { Perm } from '../../src/mmu/permissions.js';
import { WalkResult } from '../../src/mmu/walk-result.js';
import type { WalkerOptions } from '../../src/mmu/walkers/create-walker.js';
import { RiscvWalker } from '../../src/mmu/walkers/riscv-walker.js';
import { ramDigest } from '../mmu/ram-digest.js';
import { PageTables, bit, walkerFor } from './helpers.js';

const { Read, Write, Execute } = Access;
const { Supervisor, User } = Privilege;
const A = BigInt(RISCV_PTE.A);
const D = BigInt(RISCV_PTE.D);
const RAM = 0x8000_0000;
const RWX_AD: Partial<RiscvPteFields> = { read: true, write: true, execute: true, accessed: true, dirty: true };

/** Sv39 tables in RAM at 0x8000_0000 with one 4 KiB page VA 0x40_1000 → PA 0x8020_3000 carrying `fields`. */
function sv39Page(fields: Partial<RiscvPteFields> = RWX_AD, options: WalkerOptions = { walkCache: null }) {
  const t = new PageTables(SV39, { base: RAM });
  const va = 0x40_1000;
  t.mapRiscv(va, 2, { address: 0x8020_3000, ...fields }, true);
  const entries = [0, 1, 2].map((l) => t.entry(va, l));
  return { t, va, entries, ...walkerFor(t, options) };
}

describe('RISC-V walks: page sizes of every format', () => {
  it('Sv32: a 4 KiB page with a 34-bit physical address, in 2 reads of 4-byte PTEs', () => {
    const t = new PageTables(SV32, { base: RAM });
    t.mapRiscv(0xffff_f000, 1, { read: true, accessed: true, address: 0x3_ffff_f000 });
    expect(walkerFor(t).walk(0xffff_ffff, Read)).toMatchObject({ ok: true, pageBase: 0x3_ffff_f000, pageShift: 12, level: 1, pteReads: 2 });
  });

  it('Sv32: a 4 MiB megapage', () => {
    const t = new PageTables(SV32, { base: RAM });
    t.mapRiscv(0x8040_0000, 0, { read: true, accessed: true, address: 0x2_0040_0000 });
    expect(walkerFor(t).walk(0x807f_ffff, Read)).toMatchObject({ ok: true, pageBase: 0x2_0040_0000, pageShift: 22, level: 0, pteReads: 1 });
  });

  it('Sv39: a 4 KiB page in 3 reads, at the top of the space (2^39 − 4096)', () => {
    const t = new PageTables(SV39, { base: RAM });
    const va = 2 ** 39 - 4096;
    t.mapRiscv(va, 2, { read: true, accessed: true, address: 0xff_ffff_ffff_f000 % 2 ** 50 });
    expect(walkerFor(t).walk(va + 0x10, Read)).toMatchObject({ ok: true, pageBase: 0xff_ffff_ffff_f000 % 2 ** 50, level: 2, pteReads: 3 });
  });

  it('Sv39: a 2 MiB megapage and a 1 GiB gigapage', () => {
    const t = new PageTables(SV39, { base: RAM });
    t.mapRiscv(0x20_0000, 1, { read: true, accessed: true, address: 0x1_0020_0000 });
    t.mapRiscv(0x4000_0000, 0, { read: true, accessed: true, address: 0x40_0000_0000 });
    const { walk } = walkerFor(t);
    expect(walk(0x3f_ffff, Read)).toMatchObject({ ok: true, pageBase: 0x1_0020_0000, pageShift: 21, pteReads: 2 });
    expect(walk(0x7fff_ffff, Read)).toMatchObject({ ok: true, pageBase: 0x40_0000_0000, pageShift: 30, pteReads: 1 });
  });

  it('Sv48: a 512 GiB terapage near 2^48', () => {
    const t = new PageTables(SV48, { base: RAM });
    const va = 2 ** 48 - 2 ** 39;
    t.mapRiscv(va, 0, { read: true, accessed: true, address: 2 ** 45 });
    expect(walkerFor(t).walk(va + 0x12_3456_789a, Read)).toMatchObject({ ok: true, pageBase: 2 ** 45, pageShift: 39, level: 0, pteReads: 1 });
  });

  it('Sv57: a 4 KiB page at 2^57 − 4096 in 5 reads, and a 256 TiB petapage at 2^56', () => {
    const t = new PageTables(SV57, { base: RAM });
    t.mapRiscv(2 ** 57 - 4096, 4, { read: true, accessed: true, address: 0x9000_0000 });
    t.mapRiscv(2 ** 56, 0, { read: true, accessed: true, address: 2 ** 48 });
    const { walk } = walkerFor(t);
    expect(walk(2 ** 57 - 2048, Read)).toMatchObject({ ok: true, pageBase: 0x9000_0000, level: 4, pteReads: 5 });
    expect(walk(2 ** 56 + 2 ** 40, Read)).toMatchObject({ ok: true, pageBase: 2 ** 48, pageShift: 48, pteReads: 1 });
  });

  it('rejects addresses at or above 2^vaBits as NonCanonical', () => {
    const { walk } = sv39Page();
    expect(walk(2 ** 39, Read)).toMatchObject({ faultReason: FaultReason.NonCanonical, pteReads: 0 });
  });
});

describe('RISC-V invalid PTEs (step 3, step 4)', () => {
  it('V = 0 → NotPresent at that level', () => {
    const { t, va, entries, walk } = sv39Page();
    for (const level of [2, 1, 0]) {
      t.clearBits(entries[level], 1n);
      expect(walk(va, Read)).toMatchObject({ faultReason: FaultReason.NotPresent, level, entryAddress: entries[level] });
    }
  });

  it('W = 1 with R = 0 is a reserved encoding, in a leaf and as W+X', () => {
    for (const fields of [{ write: true }, { write: true, execute: true }]) {
      const { walk, va } = sv39Page({ ...fields, accessed: true, dirty: true });
      expect(walk(va, Execute)).toMatchObject({ faultReason: FaultReason.ReservedEncoding, level: 2 });
    }
  });

  it('W = 1 with R = 0 in a would-be pointer is a reserved encoding too', () => {
    const { t, va, entries, walk } = sv39Page();
    t.orBits(entries[0], BigInt(RISCV_PTE.W));
    expect(walk(va, Read)).toMatchObject({ faultReason: FaultReason.ReservedEncoding, level: 0 });
  });

  it('a pointer at the last level is a reserved encoding (a page fault)', () => {
    const { t, va, entries, walk } = sv39Page();
    t.write(entries[2], encodeRiscvPte({ valid: true, address: 0x8010_0000 }, SV39, 2));
    expect(walk(va, Read)).toMatchObject({ faultReason: FaultReason.ReservedEncoding, level: 2, pteReads: 3 });
  });

  it('bits 60:54 are reserved, in a leaf and in a pointer', () => {
    for (const [n, level] of [
      [54, 2],
      [60, 0],
    ]) {
      const { t, va, entries, walk } = sv39Page();
      t.orBits(entries[level], bit(n));
      expect(walk(va, Read), `bit ${n}`).toMatchObject({ faultReason: FaultReason.ReservedBit, level });
    }
  });

  it('N (bit 63) is reserved without Svnapot', () => {
    const { t, va, entries, walk } = sv39Page();
    t.orBits(entries[2], bit(63));
    expect(walk(va, Read).faultReason).toBe(FaultReason.ReservedBit);
  });

  it('PBMT (bits 62:61) is reserved without Svpbmt', () => {
    const { t, va, entries, walk } = sv39Page();
    t.orBits(entries[2], bit(61));
    expect(walk(va, Read).faultReason).toBe(FaultReason.ReservedBit);
  });

  it('with Svpbmt: PBMT = NC/IO is reported as the memory type; PBMT = 3 in a leaf is reserved', () => {
    const { t, va, entries, walk } = sv39Page(RWX_AD, { walkCache: null, svpbmt: true });
    t.orBits(entries[2], 2n << 61n);
    expect(walk(va, Read)).toMatchObject({ ok: true, memoryType: 2 });
    t.orBits(entries[2], 3n << 61n);
    expect(walk(va, Read)).toMatchObject({ faultReason: FaultReason.ReservedBit, level: 2 });
  });

  it('with Svpbmt: PBMT in a non-leaf PTE is reserved', () => {
    const { t, va, entries, walk } = sv39Page(RWX_AD, { walkCache: null, svpbmt: true });
    t.orBits(entries[1], 1n << 61n);
    expect(walk(va, Read)).toMatchObject({ faultReason: FaultReason.ReservedBit, level: 1 });
  });

  it('with Svnapot: a 64 KiB NAPOT PTE maps the whole 64 KiB region', () => {
    const t = new PageTables(SV39, { base: RAM });
    t.mapRiscv(0x1_3000, 2, { read: true, accessed: true, napot: true, address: 0x8011_0000 });
    const out = walkerFor(t, { walkCache: null, svnapot: true }).walk(0x1_3abc, Read);
    expect(out).toMatchObject({ ok: true, pageBase: 0x8011_0000, pageShift: 16 });
  });

  it('with Svnapot: PPN bits 3:0 other than 1000, or N in a superpage leaf, are reserved encodings', () => {
    const t = new PageTables(SV39, { base: RAM });
    t.set(0x1000, 2, bit(63) | (0x8011_4n << 10n) | 0x43n); // ppn[3:0] = 0100
    t.mapRiscv(0x20_0000, 1, { read: true, accessed: true, napot: true, address: 0x8020_0000 }, true);
    const { walk } = walkerFor(t, { walkCache: null, svnapot: true });
    expect(walk(0x1000, Read)).toMatchObject({ faultReason: FaultReason.ReservedEncoding, level: 2 });
    expect(walk(0x20_0000, Read)).toMatchObject({ faultReason: FaultReason.ReservedEncoding, level: 1 });
  });

  it('with Svnapot: N in a non-leaf PTE is reserved', () => {
    const { t, va, entries, walk } = sv39Page(RWX_AD, { walkCache: null, svnapot: true });
    t.orBits(entries[0], bit(63));
    expect(walk(va, Read)).toMatchObject({ faultReason: FaultReason.ReservedBit, level: 0 });
  });

  // Privileged spec §4.3.1 / §4.4.1: D, A and U are reserved in non-leaf PTEs; step 2 of the
  // translation process (v1.12 and later): a reserved bit set in a PTE is a page fault.
  it.each([
    ['D', RISCV_PTE.D],
    ['A', RISCV_PTE.A],
    ['U', RISCV_PTE.U],
  ])('%s in a non-leaf PTE is reserved: a page fault at that level, memory unchanged (§4.3.1)', (_name, bitValue) => {
    for (const level of [0, 1]) {
      const { t, va, entries, walk } = sv39Page();
      t.orBits(entries[level], BigInt(bitValue));
      const before = ramDigest(t.memory);
      for (const access of [Read, Write, Execute]) {
        expect(walk(va, access)).toMatchObject({ ok: false, faultReason: FaultReason.ReservedBit, level });
      }
      expect(ramDigest(t.memory)).toBe(before);
    }
  });

  it('RSW bits are ignored', () => {
    const { t, va, entries, walk } = sv39Page();
    for (const e of entries) t.orBits(e, BigInt(RISCV_PTE.RSW));
    expect(walk(va, Read).ok).toBe(true);
  });
});

describe('RISC-V misaligned superpages (step 6)', () => {
  it('a megapage with ppn[0] ≠ 0 faults', () => {
    const t = new PageTables(SV39, { base: RAM });
    t.mapRiscv(0x20_0000, 1, { read: true, accessed: true, address: 0x8020_1000 }, true);
    expect(walkerFor(t).walk(0x20_0000, Read)).toMatchObject({ faultReason: FaultReason.MisalignedSuperpage, level: 1 });
  });

  it('a gigapage with ppn[1] ≠ 0 faults', () => {
    const t = new PageTables(SV39, { base: RAM });
    t.mapRiscv(0x4000_0000, 0, { read: true, accessed: true, address: 0x8020_0000 }, true);
    expect(walkerFor(t).walk(0x4000_0000, Read)).toMatchObject({ faultReason: FaultReason.MisalignedSuperpage, level: 0 });
  });

  it('an Sv32 megapage with ppn[0] ≠ 0 faults', () => {
    const t = new PageTables(SV32, { base: RAM });
    t.mapRiscv(0x40_0000, 0, { read: true, accessed: true, address: 0x8000_1000 }, true);
    expect(walkerFor(t).walk(0x40_0000, Read)).toMatchObject({ faultReason: FaultReason.MisalignedSuperpage });
  });

  it('an Sv57 petapage with a PPN bit in the PTE high half below bit 48 of the address faults', () => {
    const t = new PageTables(SV57, { base: RAM });
    t.mapRiscv(0, 0, { read: true, accessed: true, address: 2 ** 47 }, true);
    expect(walkerFor(t).walk(0, Read)).toMatchObject({ faultReason: FaultReason.MisalignedSuperpage });
  });

  it('the permission check comes first (step 5 before step 6)', () => {
    const t = new PageTables(SV39, { base: RAM });
    t.mapRiscv(0x20_0000, 1, { read: true, accessed: true, address: 0x8020_1000 }, true);
    expect(walkerFor(t).walk(0x20_0000, Write).faultReason).toBe(FaultReason.Protection);
  });

  it('the alignment check comes before A/D: no A/D fault and no write', () => {
    const t = new PageTables(SV39, { base: RAM });
    const pte = t.mapRiscv(0x20_0000, 1, { read: true, address: 0x8020_1000 }, true);
    const before = t.read(pte);
    for (const hardwareAD of [false, true]) {
      const { walk, controls } = walkerFor(t);
      controls.hardwareAD = hardwareAD;
      expect(walk(0x20_0000, Read)).toMatchObject({ faultReason: FaultReason.MisalignedSuperpage, pteWrites: 0 });
    }
    expect(t.read(pte)).toBe(before);
  });
});

describe('RISC-V access rights (step 5)', () => {
  const user = { ...RWX_AD, user: true };

  it('U-mode may access a U = 1 page and may not access a U = 0 page', () => {
    expect(sv39Page(user).walk(0x40_1000, Read, User).ok).toBe(true);
    expect(sv39Page(RWX_AD).walk(0x40_1000, Read, User)).toMatchObject({ faultReason: FaultReason.Protection, level: 2 });
  });

  it('S-mode loads and stores to a U = 1 page fault with SUM = 0 and succeed with SUM = 1', () => {
    const { va, walk, controls } = sv39Page(user);
    expect([walk(va, Read).faultReason, walk(va, Write).faultReason]).toEqual([FaultReason.Protection, FaultReason.Protection]);
    controls.sum = true;
    expect([walk(va, Read).ok, walk(va, Write).ok]).toEqual([true, true]);
  });

  it('S-mode fetch from a U = 1 page faults even with SUM = 1', () => {
    const { va, walk, controls } = sv39Page(user);
    controls.sum = true;
    expect(walk(va, Execute, Supervisor).faultReason).toBe(FaultReason.Protection);
    expect(walk(va, Execute, User).ok).toBe(true);
  });

  it('S-mode may access a U = 0 page', () => {
    const { va, walk } = sv39Page();
    expect([walk(va, Read).ok, walk(va, Write).ok, walk(va, Execute).ok]).toEqual([true, true, true]);
  });

  it('an execute-only page is readable only with MXR = 1, and never writable', () => {
    const { va, walk, controls } = sv39Page({ execute: true, accessed: true, dirty: true, user: true });
    expect(walk(va, Read, User).faultReason).toBe(FaultReason.Protection);
    controls.mxr = true;
    expect(walk(va, Read, User)).toMatchObject({ ok: true, perm: Perm.Execute | Perm.User | Perm.Dirty });
    expect(walk(va, Write, User).faultReason).toBe(FaultReason.Protection);
  });

  it('a read-only page faults on a store and, without X, on a fetch', () => {
    const { va, walk } = sv39Page({ read: true, accessed: true });
    expect([walk(va, Write).faultReason, walk(va, Execute).faultReason]).toEqual([FaultReason.Protection, FaultReason.Protection]);
  });

  it('reports R/W/X/U as the permission class', () => {
    expect(sv39Page({ read: true, execute: true, user: true, accessed: true }).walk(0x40_1000, Read, User).perm).toBe(
      Perm.Read | Perm.Execute | Perm.User,
    );
  });
});

describe('RISC-V accessed and dirty bits (step 7)', () => {
  const clean = { read: true, write: true };

  it('hardwareAD (Svadu): a load with A = 0 sets A only, in one write', () => {
    const { t, va, entries, walk } = sv39Page(clean);
    const out = walk(va, Read);
    expect(out).toMatchObject({ ok: true, pteWrites: 1 });
    expect(out.perm & Perm.Dirty).toBe(0);
    expect(t.read(entries[2]) & (A | D)).toBe(A);
  });

  it('hardwareAD: a store sets A and D and reports Dirty', () => {
    const { t, va, entries, walk } = sv39Page(clean);
    const out = walk(va, Write);
    expect(out).toMatchObject({ ok: true, pteWrites: 1 });
    expect(out.perm & Perm.Dirty).toBe(Perm.Dirty);
    expect(t.read(entries[2]) & (A | D)).toBe(A | D);
  });

  it('hardwareAD: never writes a non-leaf PTE', () => {
    const { t, va, entries, walk } = sv39Page(clean);
    const before = entries.slice(0, 2).map((e) => t.read(e));
    walk(va, Write);
    expect(entries.slice(0, 2).map((e) => t.read(e))).toEqual(before);
  });

  it('hardwareAD: D after a read — the read reports no Dirty, the later store sets D', () => {
    const { t, va, entries, walk } = sv39Page(clean);
    expect(walk(va, Read).perm & Perm.Dirty).toBe(0);
    expect(walk(va, Write)).toMatchObject({ ok: true, pteWrites: 1 });
    expect(t.read(entries[2]) & D).toBe(D);
  });

  it('Svade: a load with A = 0 is an AccessedDirty fault and memory is unchanged', () => {
    const { t, va, entries, walk, controls } = sv39Page(clean);
    controls.hardwareAD = false;
    const before = t.read(entries[2]);
    expect(walk(va, Read)).toMatchObject({ ok: false, faultReason: FaultReason.AccessedDirty, level: 2, pteWrites: 0 });
    expect(t.read(entries[2])).toBe(before);
  });

  it('Svade: a store with A = 1 and D = 0 is an AccessedDirty fault; a load of it succeeds without Dirty', () => {
    const { t, va, entries, walk, controls } = sv39Page({ ...clean, accessed: true });
    controls.hardwareAD = false;
    const before = t.read(entries[2]);
    expect(walk(va, Write)).toMatchObject({ faultReason: FaultReason.AccessedDirty, pteWrites: 0 });
    expect(t.read(entries[2])).toBe(before);
    const load = walk(va, Read);
    expect(load).toMatchObject({ ok: true, pteWrites: 0 });
    expect(load.perm & Perm.Dirty).toBe(0);
  });

  it('Svade: a store with A = D = 1 succeeds and reports Dirty', () => {
    const { va, walk, controls } = sv39Page(RWX_AD);
    controls.hardwareAD = false;
    expect(walk(va, Write)).toMatchObject({ ok: true, pteWrites: 0, perm: Perm.Read | Perm.Write | Perm.Execute | Perm.Dirty });
  });

  it('no A/D write on a protection fault', () => {
    const { va, walk } = sv39Page({ read: true });
    expect(walk(va, Write)).toMatchObject({ faultReason: FaultReason.Protection, pteWrites: 0 });
  });
});

describe('RISC-V global mappings', () => {
  it('G in a non-leaf PTE makes every mapping below it global', () => {
    const { t, va, entries, walk } = sv39Page();
    expect(walk(va, Read).global).toBe(false);
    t.orBits(entries[0], BigInt(RISCV_PTE.G));
    expect(walk(va, Read).global).toBe(true);
  });

  it('G in the leaf alone makes the mapping global', () => {
    expect(sv39Page({ ...RWX_AD, global: true }).walk(0x40_1000, Read).global).toBe(true);
  });
});

describe('RISC-V bus errors and robustness', () => {
  it('a root table outside RAM is an access fault (BusError) at level 0', () => {
    const { walker } = sv39Page();
    const out = new WalkResult();
    walker.walk(0x40_1000, Read, Supervisor, 0x1000, 0, out);
    expect(out).toMatchObject({ ok: false, faultReason: FaultReason.BusError, level: 0, entryAddress: 0x1000 + 8 * 0, pteReads: 1, pageTableAccess: 'read' });
  });

  it('a pointer to a table above 2^53 is a BusError, not a thrown error', () => {
    const { t, va, entries, walk } = sv39Page();
    t.write(entries[0], encodeRiscvPte({ valid: true, address: 2 ** 55 }, SV39, 0));
    expect(walk(va, Read)).toMatchObject({ faultReason: FaultReason.BusError, level: 1, pageTableAccess: 'read' });
  });

  it('a leaf page ending above 2^53 is a BusError and sets no A/D bit', () => {
    const { t, va, entries, walk } = sv39Page();
    t.write(entries[2], encodeRiscvPte({ valid: true, read: true, address: 2 ** 54 }, SV39, 2));
    expect(walk(va, Read)).toMatchObject({ faultReason: FaultReason.BusError, level: 2, pteWrites: 0, pageTableAccess: null }); // no table access failed
  });

  it('rejects an x86 format, and Svpbmt / Svnapot / MAXPHYADDR where they do not apply', () => {
    const t = new PageTables(SV32, { base: RAM });
    expect(() => new RiscvWalker(X86_64, t.memory, walkerFor(t).controls)).toThrow(InvalidArgumentError);
    expect(() => walkerFor(t, { svnapot: true })).toThrow(InvalidArgumentError);
    expect(() => walkerFor(t, { svpbmt: true })).toThrow(InvalidArgumentError);
    expect(() => walkerFor(t, { maxPhysicalAddressBits: 40 })).toThrow(InvalidArgumentError);
  });
});
