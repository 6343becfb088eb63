import { describe, expect, it } from 'vitest';
import { Access, Privilege } from '../../src/mmu/access.js';
import { InvalidArgumentError } from '../../src/mmu/errors.js';
import { FaultReason } from '../../src/mmu/fault-reason.js';
import { SV39, X86_32, X86_64, X86_64_LA57, X86_PAE } from '../../src/mmu/formats/format.js';
import { X86_PTE, encodeX86Pte } from '../../src/mmu/formats/x86.js';
import { Perm } from '../../src/mmu/permissions.js';
import { WalkResult } from '../../src/mmu/walk-result.js';
import { X86Walker } from '../../src/mmu/walkers/x86-walker.js';
import { PageTables, bit, walkerFor } from './helpers.js';

const { Read, Write, Execute } = Access;
const { Supervisor, User } = Privilege;
const A = BigInt(X86_PTE.A);
const D = BigInt(X86_PTE.D);
const RW = BigInt(X86_PTE.RW);
const US = BigInt(X86_PTE.US);
const XD = bit(63);

/** x86-64 tables with one user-writable 4 KiB page at VA 0x40_1000 → PA 0x12_3000. */
function fourLevel() {
  const t = new PageTables(X86_64);
  const va = 0x40_1000;
  t.mapX86(va, 3, { writable: true, user: true, address: 0x12_3000 });
  const entries = [0, 1, 2, 3].map((l) => t.entry(va, l));
  return { t, va, entries, ...walkerFor(t) };
}

describe('x86-64 4-level walks (SDM §4.5)', () => {
  it('translates a 4 KiB page, reading one entry per level', () => {
    const { walk, va, entries } = fourLevel();
    const out = walk(va + 0x234, Read, User);
    expect(out).toMatchObject({ ok: true, pageBase: 0x12_3000, pageShift: 12, level: 3, entryAddress: entries[3], pteReads: 4 });
    expect(out.perm).toBe(Perm.Read | Perm.Write | Perm.Execute | Perm.User);
  });

  it('translates a 2 MiB page mapped by a PDE with PS = 1 (Table 4-17)', () => {
    const t = new PageTables(X86_64);
    t.mapX86(0x4000_0000, 2, { writable: true, address: 0x8_0020_0000 });
    const out = walkerFor(t).walk(0x401f_ffff, Read);
    expect(out).toMatchObject({ ok: true, pageBase: 0x8_0020_0000, pageShift: 21, level: 2, pteReads: 3 });
  });

  it('translates a 1 GiB page mapped by a PDPTE with PS = 1 (Table 4-15)', () => {
    const t = new PageTables(X86_64);
    t.mapX86(0x7f_c000_0000, 1, { address: 0xf_ffc0_0000_0000 });
    const out = walkerFor(t).walk(0x7f_c123_4567, Read);
    expect(out).toMatchObject({ ok: true, pageBase: 0xf_ffc0_0000_0000, pageShift: 30, level: 1, pteReads: 2 });
  });

  it('translates the highest kernel page (0xFFFF_FFFF_FFFF_F000 passed as 2^48 − 4096) to a high physical address', () => {
    const t = new PageTables(X86_64);
    const va = 2 ** 48 - 4096;
    t.mapX86(va, 3, { address: 0xf_ffff_ffff_f000 });
    expect(walkerFor(t).walk(va + 0xfff, Read)).toMatchObject({ ok: true, pageBase: 0xf_ffff_ffff_f000, pageShift: 12 });
  });

  it('reports NotPresent at the level whose P flag is clear', () => {
    const { t, walk, va, entries } = fourLevel();
    for (const level of [3, 2, 1, 0]) {
      t.clearBits(entries[level], 1n);
      expect(walk(va, Read)).toMatchObject({ ok: false, faultReason: FaultReason.NotPresent, level, entryAddress: entries[level], pteReads: level + 1 });
    }
  });

  it('ignores every other bit of a not-present entry (reserved bits are checked only when P = 1)', () => {
    const { t, walk, va, entries } = fourLevel();
    t.write(entries[1], 0xffff_ffff_ffff_fffen);
    expect(walk(va, Read)).toMatchObject({ faultReason: FaultReason.NotPresent, level: 1 });
  });

  it('rejects addresses outside [0, 2^48) and non-integers as NonCanonical without reading memory', () => {
    const { walk } = fourLevel();
    for (const va of [2 ** 48, -4096, 4096.5, Number.NaN, Infinity]) {
      expect(walk(va, Read)).toMatchObject({ ok: false, faultReason: FaultReason.NonCanonical, level: 0, pteReads: 0 });
    }
  });

  it('reports G and the memory type PWT | PCD << 1 | PAT << 2 of the leaf', () => {
    const t = new PageTables(X86_64);
    t.mapX86(0x1000, 3, { global: true, cacheDisable: true, pat: true, address: 0x5000 });
    t.mapX86(0x20_0000, 2, { writeThrough: true, pat: true, address: 0x40_0000 });
    const { walk } = walkerFor(t);
    expect(walk(0x1000, Read)).toMatchObject({ global: true, memoryType: 0b110 });
    expect(walk(0x20_0000, Read)).toMatchObject({ global: false, memoryType: 0b101 });
  });
});

describe('x86-64 5-level walks (CR4.LA57)', () => {
  it('translates a page near the top of the 57-bit space in 5 reads', () => {
    const t = new PageTables(X86_64_LA57);
    const va = 2 ** 57 - 0x2000;
    t.mapX86(va, 4, { address: 0xabc_d000 });
    expect(walkerFor(t).walk(va + 8, Read)).toMatchObject({ ok: true, pageBase: 0xabc_d000, level: 4, pteReads: 5 });
  });

  it('translates a 2 MiB page just above 2^56', () => {
    const t = new PageTables(X86_64_LA57);
    t.mapX86(2 ** 56, 3, { address: 0x60_0000 });
    expect(walkerFor(t).walk(2 ** 56 + 0x1234, Read)).toMatchObject({ ok: true, pageBase: 0x60_0000, pageShift: 21, pteReads: 4 });
  });

  it('treats 2^57 as non-canonical but accepts 2^48 (a 4-level non-canonical address)', () => {
    const t = new PageTables(X86_64_LA57);
    t.mapX86(2 ** 48, 4, { address: 0x7000 });
    const { walk } = walkerFor(t);
    expect(walk(2 ** 57, Read).faultReason).toBe(FaultReason.NonCanonical);
    expect(walk(2 ** 48, Read)).toMatchObject({ ok: true, pageBase: 0x7000 });
  });

  it('treats PS in a PML5E as a reserved bit', () => {
    const t = new PageTables(X86_64_LA57);
    t.mapX86(0x1000, 4, { address: 0x7000 });
    t.orBits(t.entry(0x1000, 0), BigInt(X86_PTE.PS));
    expect(walkerFor(t).walk(0x1000, Read)).toMatchObject({ faultReason: FaultReason.ReservedBit, level: 0 });
  });
});

describe('x86 32-bit paging (SDM §4.3)', () => {
  it('translates a 4 KiB page through 4-byte entries in 2 reads', () => {
    const t = new PageTables(X86_32);
    t.mapX86(0xc000_1000, 1, { writable: true, address: 0xfff_f000 });
    expect(walkerFor(t).walk(0xc000_1fff, Write)).toMatchObject({ ok: true, pageBase: 0xfff_f000, pageShift: 12, pteReads: 2 });
  });

  it('translates a 4 MiB page with CR4.PSE = 1, PSE-36 bits 20:13 giving PA bits 39:32 (Table 4-4)', () => {
    const t = new PageTables(X86_32);
    t.mapX86(0xffc0_0000, 0, { address: 0xab_0040_0000 });
    expect(walkerFor(t).walk(0xffff_ffff, Read)).toMatchObject({ ok: true, pageBase: 0xab_0040_0000, pageShift: 22, level: 0, pteReads: 1 });
  });

  it('ignores PS with CR4.PSE = 0: the PDE references a page table', () => {
    const t = new PageTables(X86_32, { size: 16 << 20 });
    t.mapX86(0x0040_0000, 0, { user: true, address: 0x80_0000 }); // PS = 1, 4 MiB page at 8 MiB
    t.write(0x80_0000 + 0x5 * 4, encodeX86Pte({ present: true, address: 0x5000 }, X86_32, 1)); // … or a PT at 8 MiB
    const { walk, controls } = walkerFor(t);
    expect(walk(0x0040_5000, Read)).toMatchObject({ pageBase: 0x80_0000, pageShift: 22 });
    controls.pse = false;
    expect(walk(0x0040_5000, Read)).toMatchObject({ ok: true, pageBase: 0x5000, pageShift: 12, pteReads: 2 });
  });

  it('treats bit 21 of a 4 MiB PDE as reserved', () => {
    const t = new PageTables(X86_32);
    t.orBits(t.mapX86(0x40_0000, 0, { address: 0x40_0000 }), bit(21));
    expect(walkerFor(t).walk(0x40_0000, Read)).toMatchObject({ faultReason: FaultReason.ReservedBit, level: 0 });
  });

  it('treats PSE-36 bits at or above MAXPHYADDR as reserved (MAXPHYADDR 36: PDE bits 21:17)', () => {
    const t = new PageTables(X86_32);
    t.mapX86(0x40_0000, 0, { address: 0x1_0040_0000 }); // PA bit 32 → PDE bit 13: fine
    t.mapX86(0x80_0000, 0, { address: 0x10_0040_0000 }); // PA bit 36 → PDE bit 17: reserved when MAXPHYADDR = 36
    const { walk } = walkerFor(t, { walkCache: null, maxPhysicalAddressBits: 36 });
    expect(walk(0x40_0000, Read)).toMatchObject({ ok: true, pageBase: 0x1_0040_0000 });
    expect(walk(0x80_0000, Read)).toMatchObject({ faultReason: FaultReason.ReservedBit });
  });

  it('has no XD: every page is executable whatever EFER.NXE says (§4.6)', () => {
    const t = new PageTables(X86_32);
    t.mapX86(0x1000, 1, { user: true, address: 0x3000 });
    const { walk, controls } = walkerFor(t);
    controls.nxe = true;
    expect(walk(0x1000, Execute, User)).toMatchObject({ ok: true });
    expect(walk(0x1000, Execute, User).perm & Perm.Execute).toBe(Perm.Execute);
  });
});

describe('x86 PAE paging (SDM §4.4)', () => {
  it('translates a 4 KiB page through a 4-entry PDPT in 3 reads', () => {
    const t = new PageTables(X86_PAE);
    t.mapX86(0xc000_0000, 2, { writable: true, user: true, address: 0x2_0000_5000 });
    expect(walkerFor(t).walk(0xc000_0010, Read, User)).toMatchObject({ ok: true, pageBase: 0x2_0000_5000, pteReads: 3, level: 2 });
  });

  it('translates a 2 MiB page mapped by a PDE with PS = 1 (Table 4-9)', () => {
    const t = new PageTables(X86_PAE);
    t.mapX86(0x4060_0000, 1, { address: 0x60_0000 });
    expect(walkerFor(t).walk(0x407f_ffff, Read)).toMatchObject({ ok: true, pageBase: 0x60_0000, pageShift: 21, pteReads: 2 });
  });

  it('treats PDPTE bits 2:1 and 8:5 as reserved (Table 4-8)', () => {
    for (const n of [1, 2, 5, 6, 7, 8]) {
      const t = new PageTables(X86_PAE);
      t.mapX86(0x1000, 2, { address: 0x5000 });
      t.orBits(t.entry(0x1000, 0), bit(n));
      expect(walkerFor(t).walk(0x1000, Read), `bit ${n}`).toMatchObject({ faultReason: FaultReason.ReservedBit, level: 0 });
    }
  });

  it('treats PDPTE bit 63 as reserved even with NXE = 1', () => {
    const t = new PageTables(X86_PAE);
    t.mapX86(0x1000, 2, { address: 0x5000 });
    t.orBits(t.entry(0x1000, 0), XD);
    expect(walkerFor(t).walk(0x1000, Read)).toMatchObject({ faultReason: FaultReason.ReservedBit, level: 0 });
  });

  it('treats bits 62:52 of a PAE PDE or PTE as reserved, where 4-level paging ignores them', () => {
    for (const format of [X86_PAE, X86_64]) {
      const t = new PageTables(format);
      const last = format.levels.length - 1;
      t.orBits(t.mapX86(0x1000, last, { address: 0x5000 }), bit(55));
      const expected = format === X86_PAE ? { faultReason: FaultReason.ReservedBit, level: last } : { ok: true };
      expect(walkerFor(t).walk(0x1000, Read), format.name).toMatchObject(expected);
    }
  });

  it('never writes the PDPTE (it has no A flag); A goes into the PDE and PTE', () => {
    const t = new PageTables(X86_PAE);
    t.mapX86(0x1000, 2, { address: 0x5000 });
    const [pdpte, pde, pte] = [0, 1, 2].map((l) => t.entry(0x1000, l));
    const before = t.read(pdpte);
    expect(walkerFor(t).walk(0x1000, Read).pteWrites).toBe(2);
    expect([t.read(pdpte) === before, (t.read(pde) & A) !== 0n, (t.read(pte) & A) !== 0n]).toEqual([true, true, true]);
  });

  it('honours XD in a PDE with NXE = 1 (§4.6)', () => {
    const t = new PageTables(X86_PAE);
    t.mapX86(0x1000, 2, { address: 0x5000 });
    t.orBits(t.entry(0x1000, 1), XD);
    expect(walkerFor(t).walk(0x1000, Execute)).toMatchObject({ faultReason: FaultReason.Protection, level: 2 });
  });
});

describe('x86 reserved bits (SDM §4.7: RSVD)', () => {
  it('faults on bit 51 when MAXPHYADDR is 46, and maps it when MAXPHYADDR is 52', () => {
    const { t, va, entries } = fourLevel();
    t.orBits(entries[3], bit(51));
    expect(walkerFor(t, { walkCache: null, maxPhysicalAddressBits: 46 }).walk(va, Read)).toMatchObject({ faultReason: FaultReason.ReservedBit, level: 3 });
    expect(walkerFor(t).walk(va, Read)).toMatchObject({ ok: true, pageBase: 2 ** 51 + 0x12_3000 });
  });

  it('faults on bits 51:MAXPHYADDR in a non-leaf entry', () => {
    const { t, va, entries } = fourLevel();
    t.orBits(entries[1], bit(40));
    expect(walkerFor(t, { walkCache: null, maxPhysicalAddressBits: 39 }).walk(va, Read)).toMatchObject({ faultReason: FaultReason.ReservedBit, level: 1 });
  });

  it('faults on XD when EFER.NXE = 0 (bit 63 is reserved), at any level', () => {
    for (const level of [0, 3]) {
      const { t, va, entries, walk, controls } = fourLevel();
      t.orBits(entries[level], XD);
      controls.nxe = false;
      expect(walk(va, Read)).toMatchObject({ faultReason: FaultReason.ReservedBit, level });
    }
  });

  it('faults on PS in a PML4E', () => {
    const { t, va, entries, walk } = fourLevel();
    t.orBits(entries[0], BigInt(X86_PTE.PS));
    expect(walk(va, Read)).toMatchObject({ faultReason: FaultReason.ReservedBit, level: 0 });
  });

  it('faults on bits 29:13 of a 1 GiB page entry', () => {
    const t = new PageTables(X86_64);
    t.orBits(t.mapX86(0x4000_0000, 1, { address: 0x4000_0000 }), bit(29));
    expect(walkerFor(t).walk(0x4000_0000, Read)).toMatchObject({ faultReason: FaultReason.ReservedBit, level: 1 });
  });

  it('faults on bits 20:13 of a 2 MiB page entry, but not on PAT (bit 12)', () => {
    const t = new PageTables(X86_64);
    t.orBits(t.mapX86(0x20_0000, 2, { address: 0x20_0000 }), bit(13));
    t.mapX86(0x40_0000, 2, { address: 0x40_0000, pat: true });
    const { walk } = walkerFor(t);
    expect(walk(0x20_0000, Read)).toMatchObject({ faultReason: FaultReason.ReservedBit, level: 2 });
    expect(walk(0x40_0000, Read)).toMatchObject({ ok: true, pageBase: 0x40_0000 });
  });

  it('ignores bits 62:52 and 11:9 of 4-level entries (available to software)', () => {
    const { t, va, entries, walk } = fourLevel();
    for (const e of entries) t.orBits(e, (0x7ffn << 52n) | 0xe00n);
    expect(walk(va, Read)).toMatchObject({ ok: true, pageBase: 0x12_3000 });
  });

  it('reports a reserved bit even when the access would also be denied', () => {
    const { t, va, entries, walk } = fourLevel();
    t.clearBits(entries[3], US);
    t.orBits(entries[3], bit(51));
    expect(walkerFor(t, { walkCache: null, maxPhysicalAddressBits: 48 }).walk(va, Read, User).faultReason).toBe(FaultReason.ReservedBit);
    expect(walk(va, Read, User).faultReason).toBe(FaultReason.Protection);
  });
});

describe('x86 access rights (SDM §4.6)', () => {
  it('user read needs U/S = 1 in the leaf', () => {
    const { t, va, entries, walk } = fourLevel();
    t.clearBits(entries[3], US);
    expect(walk(va, Read, User)).toMatchObject({ ok: false, faultReason: FaultReason.Protection, level: 3 });
  });

  it('user read needs U/S = 1 at every level: U/S = 0 in the PML4E alone denies it', () => {
    const { t, va, entries, walk } = fourLevel();
    t.clearBits(entries[0], US);
    expect(walk(va, Read, User)).toMatchObject({ faultReason: FaultReason.Protection, level: 3 });
    expect(walk(va, Read, Supervisor).perm & Perm.User).toBe(0);
  });

  it('user read with U/S = 1 everywhere is allowed and reports a user page', () => {
    const { va, walk } = fourLevel();
    expect(walk(va, Read, User)).toMatchObject({ ok: true });
    expect(walk(va, Read, User).perm & Perm.User).toBe(Perm.User);
  });

  it('user write needs R/W = 1 at every level: R/W = 0 in the PDE alone denies it', () => {
    const { t, va, entries, walk } = fourLevel();
    t.clearBits(entries[2], RW);
    expect(walk(va, Write, User)).toMatchObject({ faultReason: FaultReason.Protection });
    expect(walk(va, Read, User)).toMatchObject({ ok: true, perm: Perm.Read | Perm.Execute | Perm.User });
  });

  it('user write to a writable user page is allowed', () => {
    const { va, walk } = fourLevel();
    expect(walk(va, Write, User)).toMatchObject({ ok: true });
  });

  it('supervisor write to a read-only page faults with CR0.WP = 1', () => {
    const { t, va, entries, walk } = fourLevel();
    t.clearBits(entries[3], RW);
    expect(walk(va, Write, Supervisor).faultReason).toBe(FaultReason.Protection);
  });

  it('supervisor write to a read-only page succeeds with CR0.WP = 0, and sets D', () => {
    const { t, va, entries, walk, controls } = fourLevel();
    t.clearBits(entries[3], RW);
    controls.wp = false;
    expect(walk(va, Write, Supervisor)).toMatchObject({ ok: true });
    expect(t.read(entries[3]) & D).toBe(D);
  });

  it('supervisor write to a read-only user page follows CR0.WP too', () => {
    const { t, va, entries, walk, controls } = fourLevel();
    t.clearBits(entries[1], RW);
    expect(walk(va, Write, Supervisor).faultReason).toBe(FaultReason.Protection);
    controls.wp = false;
    expect(walk(va, Write, Supervisor).ok).toBe(true);
  });

  it('user write to a read-only page faults even with CR0.WP = 0', () => {
    const { t, va, entries, walk, controls } = fourLevel();
    t.clearBits(entries[3], RW);
    controls.wp = false;
    expect(walk(va, Write, User).faultReason).toBe(FaultReason.Protection);
  });

  it('fetch with XD = 1 at any level faults when EFER.NXE = 1, for user and supervisor', () => {
    const { t, va, entries, walk } = fourLevel();
    t.orBits(entries[1], XD);
    expect(walk(va, Execute, User).faultReason).toBe(FaultReason.Protection);
    expect(walk(va, Execute, Supervisor).faultReason).toBe(FaultReason.Protection);
    expect(walk(va, Read, User)).toMatchObject({ ok: true, perm: Perm.Read | Perm.Write | Perm.User });
  });

  it('fetch with XD = 0 everywhere is allowed', () => {
    const { va, walk } = fourLevel();
    expect(walk(va, Execute, User).ok).toBe(true);
  });

  it('with EFER.NXE = 0 every present page is executable', () => {
    const { va, walk, controls } = fourLevel();
    controls.nxe = false;
    expect(walk(va, Execute, User)).toMatchObject({ ok: true });
    expect(walk(va, Execute, User).perm & Perm.Execute).toBe(Perm.Execute);
  });

  it('SMEP: a supervisor fetch from a user page faults with CR4.SMEP = 1 and succeeds without', () => {
    const { va, walk, controls } = fourLevel();
    expect(walk(va, Execute, Supervisor).ok).toBe(true);
    controls.smep = true;
    expect(walk(va, Execute, Supervisor).faultReason).toBe(FaultReason.Protection);
  });

  it('SMEP does not affect supervisor data accesses or user fetches', () => {
    const { va, walk, controls } = fourLevel();
    controls.smep = true;
    expect([walk(va, Read, Supervisor).ok, walk(va, Write, Supervisor).ok, walk(va, Execute, User).ok]).toEqual([true, true, true]);
  });

  it('SMEP does not affect a supervisor fetch from a supervisor page', () => {
    const { t, va, entries, walk, controls } = fourLevel();
    t.clearBits(entries[2], US);
    controls.smep = true;
    expect(walk(va, Execute, Supervisor).ok).toBe(true);
  });

  it('SMAP: a supervisor read or write of a user page faults with CR4.SMAP = 1 and EFLAGS.AC = 0', () => {
    const { va, walk, controls } = fourLevel();
    controls.smap = true;
    expect(walk(va, Read, Supervisor).faultReason).toBe(FaultReason.Protection);
    expect(walk(va, Write, Supervisor).faultReason).toBe(FaultReason.Protection);
  });

  it('SMAP: EFLAGS.AC = 1 lifts it for explicit accesses', () => {
    const { va, walk, controls } = fourLevel();
    controls.smap = true;
    controls.ac = true;
    expect([walk(va, Read, Supervisor).ok, walk(va, Write, Supervisor).ok]).toEqual([true, true]);
  });

  it('SMAP does not affect supervisor pages or user-mode accesses', () => {
    const { t, va, entries, walk, controls } = fourLevel();
    controls.smap = true;
    expect(walk(va, Read, User).ok).toBe(true);
    t.clearBits(entries[3], US);
    expect(walk(va, Read, Supervisor).ok).toBe(true);
  });

  it('reads control bits live: a change applies to the next walk', () => {
    const { t, va, entries, walk, controls } = fourLevel();
    t.clearBits(entries[3], RW);
    controls.wp = false;
    expect(walk(va, Write).ok).toBe(true);
    controls.wp = true;
    expect(walk(va, Write).ok).toBe(false);
  });
});

describe('x86 accessed and dirty flags (SDM §4.8)', () => {
  it('a read sets A in every entry used, D in none, one write per entry', () => {
    const { t, va, entries, walk } = fourLevel();
    const out = walk(va, Read);
    expect(out.pteWrites).toBe(4);
    expect(entries.map((e) => (t.read(e) & (A | D)).toString())).toEqual(['32', '32', '32', '32']);
    expect(out.perm & Perm.Dirty).toBe(0);
    expect(walk(va, Read).pteWrites).toBe(0);
  });

  it('a write sets D in the leaf only, together with its A in one write', () => {
    const { t, va, entries, walk } = fourLevel();
    const out = walk(va, Write);
    expect(out.pteWrites).toBe(4);
    expect(entries.map((e) => (t.read(e) & (A | D)).toString())).toEqual(['32', '32', '32', '96']);
    expect(out.perm & Perm.Dirty).toBe(Perm.Dirty);
  });

  it('D after a read: the read reports no Dirty; a later write sets D and reports Dirty', () => {
    const { t, va, entries, walk } = fourLevel();
    expect(walk(va, Read).perm & Perm.Dirty).toBe(0);
    expect(t.read(entries[3]) & D).toBe(0n);
    const write = walk(va, Write);
    expect(write).toMatchObject({ ok: true, pteWrites: 1 });
    expect(write.perm & Perm.Dirty).toBe(Perm.Dirty);
    expect(t.read(entries[3]) & D).toBe(D);
    expect(walk(va, Read).perm & Perm.Dirty).toBe(Perm.Dirty); // already dirty
  });

  it('a fetch sets A but not D', () => {
    const { t, va, entries, walk } = fourLevel();
    walk(va, Execute);
    expect(t.read(entries[3]) & (A | D)).toBe(A);
  });

  it('sets D in the PDE that maps a 2 MiB page', () => {
    const t = new PageTables(X86_64);
    const pde = t.mapX86(0x20_0000, 2, { writable: true, address: 0x20_0000 });
    walkerFor(t).walk(0x20_0000, Write);
    expect(t.read(pde) & (A | D)).toBe(A | D);
  });

  it('writes nothing on a protection fault', () => {
    const { t, va, entries, walk } = fourLevel();
    t.clearBits(entries[3], RW);
    const before = entries.map((e) => t.read(e));
    expect(walk(va, Write, User)).toMatchObject({ ok: false, pteWrites: 0 });
    expect(entries.map((e) => t.read(e))).toEqual(before);
  });

  it('writes nothing on a not-present fault below present entries', () => {
    const { t, va, entries, walk } = fourLevel();
    t.clearBits(entries[3], 1n);
    expect(walk(va, Read).pteWrites).toBe(0);
    expect(entries.slice(0, 3).map((e) => t.read(e) & A)).toEqual([0n, 0n, 0n]);
  });
});

describe('x86 bus errors and robustness', () => {
  it('reports BusError when the root table is outside memory', () => {
    const t = new PageTables(X86_64);
    const { walker } = walkerFor(t);
    const out = new WalkResult();
    walker.walk(0x1000, Read, Supervisor, 0x4000_0000, 0, out);
    expect(out).toMatchObject({ ok: false, faultReason: FaultReason.BusError, level: 0, entryAddress: 0x4000_0000, pageTableAccess: 'read' });
  });

  it('reports BusError at the level whose table is outside memory', () => {
    const { t, va, entries, walk } = fourLevel();
    t.write(entries[1], encodeX86Pte({ present: true, writable: true, user: true, address: 0x7_0000_0000 }, X86_64, 1));
    expect(walk(va, Read)).toMatchObject({ faultReason: FaultReason.BusError, level: 2, pteReads: 3, pageTableAccess: 'read' });
  });

  it('reports BusError when an A-flag write hits a ROM that faults on writes', () => {
    const t = new PageTables(X86_64);
    const rom = new Uint8Array(0x1000);
    new DataView(rom.buffer).setUint32(1 * 8, X86_PTE.P | 0x5000, true); // PTE index 1, A = 0
    t.memory.mapRom(0x100_0000, rom, { writes: 'fault' });
    const pde = t.entry(0x1000, 2);
    t.write(pde, encodeX86Pte({ present: true, address: 0x100_0000 }, X86_64, 2));
    expect(walkerFor(t).walk(0x1000, Read)).toMatchObject({ ok: false, faultReason: FaultReason.BusError, level: 3, entryAddress: 0x100_0008, pageTableAccess: 'write' });
  });

  it('rejects a non-x86 format and a MAXPHYADDR outside [32, 52]', () => {
    const t = new PageTables(X86_64);
    expect(() => new X86Walker(SV39, t.memory, walkerFor(t).controls)).toThrow(InvalidArgumentError);
    expect(() => walkerFor(t, { maxPhysicalAddressBits: 53 })).toThrow(InvalidArgumentError);
    expect(() => walkerFor(t, { svnapot: true })).toThrow(InvalidArgumentError);
  });
});
