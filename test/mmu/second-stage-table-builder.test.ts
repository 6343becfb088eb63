/**
 * SecondStageTableBuilder: the tables it writes are checked by walking them with the real
 * second-stage walkers (RiscvGStageWalker, EptWalker) and, end to end, through Mmu; then a
 * property test against a model of the mappings.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Access } from '../../src/mmu/access.js';
import { defaultControls } from '../../src/mmu/controls.js';
import { InvalidArgumentError, OutOfFramesError } from '../../src/mmu/errors.js';
import { FaultReason } from '../../src/mmu/fault-reason.js';
import { FrameAllocator } from '../../src/mmu/frame-allocator.js';
import { Mmu } from '../../src/mmu/mmu.js';
import { Perm } from '../../src/mmu/permissions.js';
import { PhysicalMemory } from '../../src/mmu/physical-memory.js';
import {
  type EptMappingAttributes,
  type EptTableKind,
  type GStageMappingAttributes,
  type GStageTableKind,
  type SecondStageKind,
  SecondStageTableBuilder,
} from '../../src/mmu/second-stage-table-builder.js';
import { EPTP, EptAccessOrigin, EptWalker } from '../../src/mmu/walkers/ept-walker.js';
import { EptOutcome, EptPermission, EptWalkResult } from '../../src/mmu/walkers/ept-walk-result.js';
import { GSTAGE_ROOT_SIZE, GStageMode, RiscvGStageWalker } from '../../src/mmu/walkers/riscv-gstage-walker.js';
import { ramDigest } from './ram-digest.js';

const { Read, Write, Execute } = Access;
const KiB4 = 0x1000;
const MiB2 = 0x20_0000;
const GiB1 = 0x4000_0000;
const G_KINDS: readonly GStageTableKind[] = ['sv39x4', 'sv48x4', 'sv57x4'];
const EPT_KINDS: readonly EptTableKind[] = ['ept4', 'ept5'];
const MODES: Record<GStageTableKind, GStageMode> = { sv39x4: GStageMode.Sv39x4, sv48x4: GStageMode.Sv48x4, sv57x4: GStageMode.Sv57x4 };
const BITS: Record<SecondStageKind, number> = { sv39x4: 41, sv48x4: 50, sv57x4: 59, ept4: 48, ept5: 52 };

/**
 * `offset` made exact at `base`: above 2^53 consecutive numbers are 2^(e-52) apart, so byte offsets
 * there are rounded down to a multiple of 256 (exact below 2^61).
 */
function exact(base: number, offset: number): number {
  return base + offset > Number.MAX_SAFE_INTEGER ? offset - (offset % 256) : offset;
}

function setup<K extends SecondStageKind>(kind: K, size = 2 << 20, base = 0x8000_0000) {
  const memory = new PhysicalMemory({ size, base });
  const frames = new FrameAllocator(memory);
  const tables = new SecondStageTableBuilder(memory, kind, frames);
  return { memory, frames, tables };
}

/** A G-stage walker over `tables`, Svade (no hardware A/D updates) unless told otherwise. */
function gWalker(tables: SecondStageTableBuilder<GStageTableKind>, hardwareAD = false) {
  const controls = { ...defaultControls(), hardwareAD };
  const walker = new RiscvGStageWalker(tables.memory, controls);
  const { mode, root } = tables.hgatp();
  walker.setHgatp(mode, root);
  return walker;
}

/** An EPT walker over `tables` with mode-based execute control, and a walk function. */
function eptWalker(tables: SecondStageTableBuilder<EptTableKind>, accessedDirty = false) {
  const walker = new EptWalker(tables.memory, { modeBasedExecute: true, eptp: tables.eptp({ accessedDirty }) });
  const out = new EptWalkResult();
  const walk = (gpa: number, access: Access, user = false): EptWalkResult => {
    walker.walk(gpa, access, EptAccessOrigin.Final, 0, user ? Perm.User : 0, out);
    return out;
  };
  return { walker, walk };
}

describe('SecondStageTableBuilder: the root', () => {
  it('allocates a zeroed, 16 KiB-aligned G-stage root of four frames, and one frame for EPT', () => {
    for (const kind of G_KINDS) {
      const { memory, frames, tables } = setup(kind);
      expect(tables.root % GSTAGE_ROOT_SIZE).toBe(0);
      expect(tables.tableCount).toBe(4);
      expect(tables.tables()).toEqual([0, 1, 2, 3].map((i) => tables.root + i * KiB4));
      expect(frames.usedCount).toBe(4);
      for (let o = 0; o < GSTAGE_ROOT_SIZE; o += 4) expect(memory.read32(tables.root + o)).toBe(0);
    }
    for (const kind of EPT_KINDS) {
      const { frames, tables } = setup(kind);
      expect(tables.tableCount).toBe(1);
      expect(frames.usedCount).toBe(1);
      expect(tables.tables()).toEqual([tables.root]);
    }
  });

  it('finds an aligned block past unaligned free frames and gives the others back in order', () => {
    const memory = new PhysicalMemory({ size: 1 << 20 });
    const frames = new FrameAllocator(memory, { reserved: 1 });
    const tables = new SecondStageTableBuilder(memory, 'sv39x4', frames);
    expect(tables.root).toBe(0x4000);
    expect(frames.usedCount).toBe(4);
    expect([frames.allocate(), frames.allocate(), frames.allocate(), frames.allocate()]).toEqual([1, 2, 3, 8]);

    // Frames with old data: the root is zeroed, the frames given back are left alone.
    const dirty = new PhysicalMemory({ size: 1 << 20 });
    dirty.bytes.fill(0xa5);
    const g = new SecondStageTableBuilder(dirty, 'sv57x4', new FrameAllocator(dirty, { reserved: 2 }));
    expect(g.root).toBe(0x4000);
    for (let o = 0; o < GSTAGE_ROOT_SIZE; o += 4) expect(dirty.read32(g.root + o)).toBe(0);
    expect(dirty.read32(0x2000)).toBe(0xa5a5_a5a5);
    expect(dirty.read32(0x8000)).toBe(0xa5a5_a5a5);
  });

  it('fails with OutOfFramesError, leaving the allocator as it was, when no whole aligned block can be reached', () => {
    // 16 frames: take them all, then free 1–3 and 5–7: 6 free frames, no 16 KiB block among them.
    const make = () => {
      const memory = new PhysicalMemory({ size: 16 * KiB4 });
      const frames = new FrameAllocator(memory);
      frames.allocateMany(16);
      for (const f of [1, 2, 3, 5, 6, 7]) frames.release(f);
      return { memory, frames };
    };
    const { memory, frames } = make();
    memory.bytes.fill(0xa5); // free frames hold old data: a failed search must not even zero them
    const digest = ramDigest(memory);
    expect(() => new SecondStageTableBuilder(memory, 'sv48x4', frames)).toThrow(OutOfFramesError);
    expect(ramDigest(memory)).toBe(digest);
    const twin = make().frames;
    expect(frames.freeCount).toBe(twin.freeCount);
    expect(frames.allocateMany(6)).toEqual(twin.allocateMany(6)); // the same free list, in the same order

    // A limit that stops the search first.
    const small = new PhysicalMemory({ size: 1 << 20 });
    const limited = new FrameAllocator(small, { limit: 3 });
    expect(() => new SecondStageTableBuilder(small, 'sv39x4', limited)).toThrow(OutOfFramesError);
    expect(limited.usedCount).toBe(0);
    limited.limit = 0;
    expect(() => new SecondStageTableBuilder(small, 'ept4', limited)).toThrow(OutOfFramesError);
  });

  it('rejects a bad kind, memory or allocator with InvalidArgumentError, allocating nothing', () => {
    const memory = new PhysicalMemory({ size: 1 << 20 });
    const frames = new FrameAllocator(memory);
    const other = new FrameAllocator(new PhysicalMemory({ size: 1 << 20 }));
    const bad: (() => unknown)[] = [
      () => new SecondStageTableBuilder(memory, 'sv39' as SecondStageKind, frames),
      () => new SecondStageTableBuilder(memory, 'toString' as SecondStageKind, frames),
      () => new SecondStageTableBuilder(memory, 8 as unknown as SecondStageKind, frames),
      () => new SecondStageTableBuilder({} as PhysicalMemory, 'ept4', frames),
      () => new SecondStageTableBuilder(memory, 'ept4', other),
      () => new SecondStageTableBuilder(memory, 'sv39x4', null as unknown as FrameAllocator),
    ];
    for (const make of bad) expect(make).toThrow(InvalidArgumentError);
    expect(frames.usedCount).toBe(0);
    expect(other.usedCount).toBe(0);
  });
});

describe('SecondStageTableBuilder: RISC-V G-stage', () => {
  for (const kind of G_KINDS) {
    it(`${kind}: maps 4 KiB pages and every superpage size, walked by RiscvGStageWalker`, () => {
      const { tables } = setup(kind);
      const walker = gWalker(tables);
      expect(tables.pageSizes).toEqual([KiB4, MiB2, GiB1, 2 ** 39, 2 ** 48].slice(0, tables.levels));
      const top = 2 ** BITS[kind];
      const cases = [
        { gpa: 0x5000, pa: 0x8040_0000, size: KiB4 },
        { gpa: top - GiB1 - KiB4, pa: 0x8040_1000, size: KiB4 }, // the root's two extra index bits
        { gpa: MiB2 * 3, pa: 0x8060_0000, size: MiB2 },
        { gpa: top - GiB1, pa: GiB1 * 5, size: GiB1 },
        ...tables.pageSizes.slice(3).map((size) => ({ gpa: size, pa: size * 2, size })),
      ];
      for (const { gpa, pa, size } of cases) expect(tables.map(gpa, pa, { pageSize: size })).toBe(false);
      for (const { gpa, pa, size } of cases) {
        for (const offset of [0, 0x123, size - 1].map((o) => exact(gpa, o))) {
          expect(walker.translate(gpa + offset, Write, false), `0x${gpa.toString(16)}`).toBe(FaultReason.None);
          expect(walker.pageBase + ((gpa + offset) % size)).toBe(pa + offset);
          expect(walker.pageSize).toBe(size);
          expect(walker.perm).toBe(Perm.Read | Perm.Write | Perm.Execute | Perm.User | Perm.Dirty);
        }
        expect(walker.writes).toBe(0); // A and D preset
        const page = tables.lookup(gpa)!;
        expect(page).toMatchObject({ pageBase: pa, pageSize: size, entryAddress: walker.leafAddress });
        // V R W X U A D; G clear; the PPN at bit 10.
        expect(page.entry).toBe((BigInt(pa / KiB4) << 10n) | 0xdfn);
      }
      expect(walker.translate(0x6000, Read, false)).toBe(FaultReason.NotPresent);
      expect(walker.translate(top, Read, false)).toBe(FaultReason.NonCanonical);
    });
  }

  it('writes the permissions and A/D asked for, every leaf U and never G', () => {
    const { tables } = setup('sv39x4');
    const walker = gWalker(tables);
    const hardware = gWalker(tables, true);
    const P = 0x8010_0000;
    tables.map(0x1000, P, { writable: false });
    tables.map(0x2000, P, { readable: false, writable: false });
    tables.map(0x3000, P, { executable: false });
    tables.map(0x4000, P, { accessed: false, dirty: false });
    tables.map(0x5000, P, { dirty: false });
    const expectations: [number, Access, FaultReason][] = [
      [0x1000, Read, FaultReason.None],
      [0x1000, Execute, FaultReason.None],
      [0x1000, Write, FaultReason.Protection],
      [0x2000, Execute, FaultReason.None],
      [0x2000, Read, FaultReason.Protection],
      [0x3000, Write, FaultReason.None],
      [0x3000, Execute, FaultReason.Protection],
      [0x4000, Read, FaultReason.AccessedDirty],
      [0x5000, Read, FaultReason.None],
      [0x5000, Write, FaultReason.AccessedDirty],
    ];
    for (const [gpa, access, reason] of expectations) expect(walker.translate(gpa, access, false), `0x${gpa.toString(16)} ${access}`).toBe(reason);
    expect(walker.translate(0x2000, Read, true)).toBe(FaultReason.None); // HLVX: X stands for R
    // With Svadu the walker sets them, and lookup sees it.
    expect(hardware.translate(0x5000, Write, false)).toBe(FaultReason.None);
    expect(tables.lookup(0x5000)!.attributes).toEqual({ readable: true, writable: true, executable: true, accessed: true, dirty: true, pageSize: KiB4 });
    for (const gpa of [0x1000, 0x2000, 0x3000, 0x4000, 0x5000]) {
      const entry = Number(tables.lookup(gpa)!.entry & 0x3ffn);
      expect(entry & 0x10).toBe(0x10); // U
      expect(entry & 0x20).toBe(0); // G
    }
    expect(tables.lookup(0x2000)!.attributes).toMatchObject({ readable: false, writable: false, executable: true });
  });

  it('translates above 2^53 in Sv57x4', () => {
    const { tables } = setup('sv57x4');
    const walker = gWalker(tables);
    const gpa = 2 ** 58 + 2 ** 40 + 0x7000;
    tables.map(gpa, 0x8020_0000);
    expect(walker.translate(gpa + 0x10, Read, false)).toBe(FaultReason.None);
    expect(walker.pageBase).toBe(0x8020_0000);
    expect(tables.lookup(gpa)!.pageBase).toBe(0x8020_0000);
    expect(tables.unmap(gpa)).toBe(true);
    expect(walker.translate(gpa, Read, false)).toBe(FaultReason.NotPresent);
  });

  it('hgatp: the mode, root and CSR value', () => {
    const { tables } = setup('sv48x4');
    expect(tables.hgatp(5)).toEqual({ mode: GStageMode.Sv48x4, root: tables.root, vmid: 5, value: (9n << 60n) | (5n << 44n) | BigInt(tables.root / KiB4) });
    expect(tables.hgatp().vmid).toBe(0);
    for (const vmid of [-1, 0x4000, 1.5, NaN, '1']) expect(() => tables.hgatp(vmid as number)).toThrow(InvalidArgumentError);
    expect(() => (tables as SecondStageTableBuilder).eptp()).toThrow(InvalidArgumentError);
    for (const kind of G_KINDS) expect(setup(kind).tables.hgatp().mode).toBe(MODES[kind]);
  });
});

describe('SecondStageTableBuilder: x86 EPT', () => {
  for (const kind of EPT_KINDS) {
    it(`${kind}: maps 4 KiB, 2 MiB and 1 GiB pages, walked by EptWalker`, () => {
      const { tables } = setup(kind);
      const { walker, walk } = eptWalker(tables);
      expect(walker.walkLength).toBe(tables.levels);
      expect(walker.rootAddress).toBe(tables.root);
      expect(tables.pageSizes).toEqual([KiB4, MiB2, GiB1]);
      const top = 2 ** BITS[kind];
      const cases = [
        { gpa: 0x5000, pa: 0x8040_0000, size: KiB4 },
        { gpa: top - GiB1 - KiB4, pa: 2 ** 51, size: KiB4 },
        { gpa: MiB2 * 7, pa: 0x8060_0000, size: MiB2 },
        { gpa: top - GiB1, pa: 2 ** 52 - GiB1, size: GiB1 },
      ];
      for (const { gpa, pa, size } of cases) tables.map(gpa, pa, { pageSize: size });
      for (const { gpa, pa, size } of cases) {
        for (const offset of [0, 0x123, size - 1]) {
          const out = walk(gpa + offset, Write);
          expect(out).toMatchObject({ ok: true, hostAddress: pa + offset, pageShift: Math.log2(size), memoryType: 6, ignorePat: false });
          expect(out.permissions).toBe(EptPermission.Read | EptPermission.Write | EptPermission.Execute | EptPermission.UserExecute);
        }
        expect(tables.lookup(gpa)).toMatchObject({ pageBase: pa, pageSize: size, level: tables.levels - 1 - Math.log2(size / KiB4) / 9 });
      }
      expect(walk(0x6000, Read)).toMatchObject({ ok: false, outcome: EptOutcome.Violation, permissions: 0 });
    });
  }

  it('writes read, write, execute, user-execute, memory type and ignore-PAT as asked', () => {
    const { tables } = setup('ept4');
    const { walk } = eptWalker(tables);
    const P = 0x10_0000;
    tables.map(0x1000, P, { write: false, memoryType: 0, ignorePat: true });
    tables.map(0x2000, P, { read: false, write: false }); // execute-only
    tables.map(0x3000, P, { execute: false });
    tables.map(0x4000, P, { userExecute: false, memoryType: 4 });
    tables.map(0x5000, P, { read: false, write: false, execute: false, userExecute: true }); // user-execute only (MBEC)
    tables.map(0x6000, P, { memoryType: 1 });
    tables.map(0x7000, P, { memoryType: 5 });
    const ok = (gpa: number, access: Access, user = false) => walk(gpa, access, user).ok;
    expect([ok(0x1000, Read), ok(0x1000, Write), ok(0x1000, Execute), ok(0x1000, Execute, true)]).toEqual([true, false, true, true]);
    expect(walk(0x1000, Read)).toMatchObject({ memoryType: 0, ignorePat: true });
    expect([ok(0x2000, Read), ok(0x2000, Write), ok(0x2000, Execute), ok(0x2000, Execute, true)]).toEqual([false, false, true, true]);
    expect([ok(0x3000, Read), ok(0x3000, Write), ok(0x3000, Execute), ok(0x3000, Execute, true)]).toEqual([true, true, false, false]);
    expect([ok(0x4000, Read), ok(0x4000, Execute), ok(0x4000, Execute, true)]).toEqual([true, true, false]);
    expect(walk(0x4000, Read).memoryType).toBe(4);
    expect([ok(0x5000, Read), ok(0x5000, Execute), ok(0x5000, Execute, true)]).toEqual([false, false, true]);
    expect(walk(0x6000, Read).memoryType).toBe(1);
    expect(walk(0x7000, Read).memoryType).toBe(5);
    expect(tables.lookup(0x1000)!.attributes).toEqual({
      read: true, write: false, execute: true, userExecute: true, memoryType: 0, ignorePat: true, accessed: true, dirty: true, pageSize: KiB4,
    });
  });

  it('presets A and D, or leaves them to an A/D-enabled walk', () => {
    const { tables } = setup('ept5');
    const { walk } = eptWalker(tables, true);
    tables.map(0x1000, 0x10_0000);
    tables.map(0x2000, 0x10_0000, { accessed: false, dirty: false });
    expect(walk(0x1000, Write)).toMatchObject({ ok: true, entryWrites: 4 }); // A in the 4 fresh pointer entries only
    expect(walk(0x2000, Read)).toMatchObject({ ok: true, entryWrites: 1, dirty: false });
    expect(tables.lookup(0x2000)!.attributes).toMatchObject({ accessed: true, dirty: false });
    expect(walk(0x2000, Write)).toMatchObject({ ok: true, entryWrites: 1 });
    expect(tables.lookup(0x2000)!.attributes).toMatchObject({ accessed: true, dirty: true });
  });

  it('eptp: root, walk length, memory type and A/D enable, as EptWalker and Mmu accept them', () => {
    for (const kind of EPT_KINDS) {
      const { tables, memory } = setup(kind);
      const levels = BigInt(tables.levels - 1);
      expect(tables.eptp()).toBe(BigInt(tables.root) | (levels << 3n) | 6n);
      expect(tables.eptp({ accessedDirty: true })).toBe(BigInt(tables.root) | (levels << 3n) | 6n | BigInt(EPTP.AccessedDirty));
      expect(tables.eptp({ memoryType: 0, accessedDirty: false })).toBe(BigInt(tables.root) | (levels << 3n));
      const walker = new EptWalker(memory, { eptp: tables.eptp({ accessedDirty: true }) });
      expect([walker.walkLength, walker.rootAddress, walker.accessedDirtyEnabled]).toEqual([tables.levels, tables.root, true]);
      for (const options of [null, 1, { memoryType: 1 }, { memoryType: 7 }, { accessedDirty: 1 }, { ad: true }]) {
        expect(() => tables.eptp(options as object), JSON.stringify(options)).toThrow(InvalidArgumentError);
      }
      expect(() => (tables as SecondStageTableBuilder).hgatp()).toThrow(InvalidArgumentError);
    }
  });
});

describe('SecondStageTableBuilder: through Mmu', () => {
  it('RISC-V: a guest reads and writes its RAM through hgatp', () => {
    const memory = new PhysicalMemory({ size: 8 << 20, base: 0x8000_0000 });
    const g = new SecondStageTableBuilder(memory, 'sv39x4', new FrameAllocator(memory));
    g.map(0x0, 0x8040_0000);
    g.map(MiB2, 0x8060_0000, { writable: false, pageSize: MiB2 });
    memory.write32(0x8040_0010, 0x1234);
    memory.write32(0x8060_1000, 0x4321);
    const mmu = new Mmu({ memory, format: 'sv39' });
    const { mode, root } = g.hgatp();
    mmu.setHgatp(mode, root, 1);
    mmu.setGuestRoot(null, 0, 0);
    mmu.setVirtualized(true);
    expect(mmu.read32(0x10)).toBe(0x1234);
    mmu.write32(0x20, 7);
    expect(memory.read32(0x8040_0020)).toBe(7);
    expect(mmu.read32(MiB2 + 0x1000)).toBe(0x4321);
    expect(() => mmu.write32(MiB2, 1)).toThrow(); // a store guest-page fault: the 2 MiB page is read-only
  });

  it('x86: a guest reads and writes its RAM through EPT, with A/D flags', () => {
    const memory = new PhysicalMemory({ size: 8 << 20 });
    const ept = new SecondStageTableBuilder(memory, 'ept4', new FrameAllocator(memory));
    ept.map(0x0, 0x40_0000, { execute: false, dirty: false });
    memory.write32(0x40_0010, 0x5678);
    const mmu = new Mmu({ memory, format: 'x86-64' });
    mmu.setEptp(ept.eptp({ accessedDirty: true }), 1);
    mmu.setGuestRoot(null, 0, 0);
    mmu.setVirtualized(true);
    expect(mmu.read32(0x10)).toBe(0x5678);
    expect(ept.lookup(0)!.attributes.dirty).toBe(false);
    mmu.write32(0x14, 9);
    expect(memory.read32(0x40_0014)).toBe(9);
    expect(ept.lookup(0)!.attributes.dirty).toBe(true);
  });
});

describe('SecondStageTableBuilder: map over maps, unmap', () => {
  it('replaces a page of the same size, refuses to split or swallow pages, frees empty tables', () => {
    const { memory, frames, tables } = setup('sv39x4');
    const walker = gWalker(tables);
    expect(tables.map(0x20_1000, 0x8000_0000)).toBe(false);
    expect(tables.map(0x20_1000, 0x8000_1000)).toBe(true);
    expect(walker.translate(0x20_1000, Read, false)).toBe(FaultReason.None);
    expect(walker.pageBase).toBe(0x8000_1000);
    const used = frames.usedCount;
    const digest = ramDigest(memory);
    expect(() => tables.map(0x20_0000, 0x8020_0000, { pageSize: MiB2 })).toThrow(/smaller pages/);
    expect(() => tables.map(0x0, 0x8000_0000, { pageSize: GiB1 })).toThrow(/smaller pages/);
    expect([ramDigest(memory), frames.usedCount]).toEqual([digest, used]);

    expect(tables.unmap(0x20_1000)).toBe(true);
    expect(tables.unmap(0x20_1000)).toBe(false);
    expect(walker.translate(0x20_1000, Read, false)).toBe(FaultReason.NotPresent);
    // The last-level table is empty now: a 2 MiB page takes its place and it goes back to the allocator.
    const before = tables.tables();
    expect(tables.map(0x20_0000, 0x8020_0000, { pageSize: MiB2 })).toBe(false);
    expect(tables.tableCount).toBe(before.length - 1);
    expect(frames.usedCount).toBe(used - 1);
    expect(walker.translate(0x20_1000, Read, false)).toBe(FaultReason.None);
    expect(walker.pageBase).toBe(0x8020_0000);

    const d2 = ramDigest(memory);
    expect(() => tables.map(0x20_3000, 0x8000_0000)).toThrow(/larger page/);
    expect(ramDigest(memory)).toBe(d2);
    expect(tables.unmap(0x20_3000)).toBe(true); // unmaps the whole 2 MiB page
    expect(walker.translate(0x20_0000, Read, false)).toBe(FaultReason.NotPresent);
    expect(tables.lookup(0x20_0000)).toBeNull();
  });

  it('swallows a whole empty subtree under a 1 GiB EPT page', () => {
    const { frames, tables } = setup('ept4');
    const { walk } = eptWalker(tables);
    tables.map(GiB1 + 0x5000, 0x1000);
    tables.map(GiB1 + MiB2 * 9, 0x1000);
    expect(tables.tableCount).toBe(5); // PML4, PDPT, PD, two PTs
    tables.unmap(GiB1 + 0x5000);
    expect(() => tables.map(GiB1, 0, { pageSize: GiB1 })).toThrow(InvalidArgumentError);
    tables.unmap(GiB1 + MiB2 * 9);
    tables.map(GiB1, 0, { pageSize: GiB1 });
    expect(tables.tableCount).toBe(2);
    expect(frames.usedCount).toBe(2);
    expect(walk(GiB1 + MiB2 * 9 + 4, Read)).toMatchObject({ ok: true, hostAddress: MiB2 * 9 + 4, pageShift: 30 });
  });

  it('OutOfFramesError from map changes nothing', () => {
    for (const kind of ['sv48x4', 'ept5'] as const) {
      const { memory, frames, tables } = setup(kind);
      tables.map(0x1000, 0x10_0000);
      frames.limit = frames.usedCount + 1; // one frame more, but a new GiB region needs two (three for ept5) tables
      const digest = ramDigest(memory);
      const used = frames.usedCount;
      expect(() => tables.map(2 ** 45, 0x10_0000)).toThrow(OutOfFramesError);
      expect([ramDigest(memory), frames.usedCount, tables.tableCount]).toEqual([digest, used, used]);
      expect(tables.lookup(2 ** 45)).toBeNull();
      tables.map(0x40_0000, 0x10_0000); // one new last-level table: fits
    }
  });
});

describe('SecondStageTableBuilder: bad arguments throw InvalidArgumentError and change nothing', () => {
  const commonBad = (top: number): [number, number, object][] => [
    [0x1001, 0x1000, {}],
    [0x1000, 0x1001, {}],
    [-0x1000, 0x1000, {}],
    [top, 0x1000, {}],
    [NaN, 0x1000, {}],
    [Infinity, 0x1000, {}],
    ['0x1000' as unknown as number, 0x1000, {}],
    [0x1000, -0x1000, {}],
    [0x1000, NaN, {}],
    [0x1000, 2 ** 60, {}],
    [0x1000, 1n as unknown as number, {}],
    [0x1000, 0x1000, null as unknown as object],
    [0x1000, 0x1000, 'rw' as unknown as object],
    [0x1000, 0x1000, { pageSize: 0x2000 }],
    [0x1000, 0x1000, { pageSize: 12 }],
    [0x1000, 0x1000, { pageSize: '4096' }],
    [0x1000, 0x0, { pageSize: MiB2 }], // gpa not aligned to 2 MiB
    [0x0, 0x1000, { pageSize: MiB2 }], // pa not aligned to 2 MiB
    [0x1000, 0x1000, { user: true }],
  ];
  const gBad: [number, number, object][] = [
    [0x1000, 0x1000, { readable: false, writable: false, executable: false }],
    [0x1000, 0x1000, { readable: false }], // writable by default: W without R
    [0x1000, 0x1000, { readable: false, writable: true, executable: true }],
    [0x1000, 0x1000, { writable: 1 }],
    [0x1000, 0x1000, { dirty: 'yes' }],
    [0x1000, 0x1000, { read: true }], // an EPT key
    [0x1000, 2 ** 53, {}],
    [0x0, 2 ** 53 - MiB2, { pageSize: GiB1 }], // not aligned to 1 GiB
  ];
  const eptBad: [number, number, object][] = [
    [0x1000, 0x1000, { read: false, write: false, execute: false }],
    [0x1000, 0x1000, { read: false, write: false, execute: false, userExecute: false }],
    [0x1000, 0x1000, { read: false }], // write by default: a misconfiguration
    [0x1000, 0x1000, { memoryType: 2 }],
    [0x1000, 0x1000, { memoryType: 3 }],
    [0x1000, 0x1000, { memoryType: 7 }],
    [0x1000, 0x1000, { memoryType: 8 }],
    [0x1000, 0x1000, { memoryType: 6.5 }],
    [0x1000, 0x1000, { ignorePat: 1 }],
    [0x1000, 0x1000, { readable: true }], // a G-stage key
    [0x1000, 2 ** 52, {}],
    [0x0, 2 ** 52, { pageSize: MiB2 }],
  ];
  for (const kind of [...G_KINDS, ...EPT_KINDS]) {
    it(kind, () => {
      const { memory, frames, tables } = setup(kind);
      tables.map(MiB2 * 5, 0x20_0000, { pageSize: MiB2 });
      tables.map(0x1000, 0x10_0000);
      const digest = ramDigest(memory);
      const used = frames.usedCount;
      const bad = [...commonBad(2 ** BITS[kind]), ...(EPT_KINDS.includes(kind as EptTableKind) ? eptBad : gBad)];
      bad.push([MiB2 * 5 + 0x3000, 0x0, {}], [0, 0, { pageSize: GiB1 }]); // under a larger page; over smaller ones
      const bigger = tables.pageSizes.at(-1)! * 2;
      bad.push([0, 0, { pageSize: bigger }]);
      for (const [gpa, pa, attributes] of bad) {
        expect(() => tables.map(gpa, pa, attributes as never), `map(${String(gpa)}, ${String(pa)}, ${JSON.stringify(attributes)})`).toThrow(InvalidArgumentError);
      }
      for (const gpa of [0x1001, -0x1000, 2 ** BITS[kind], NaN, '4096', null, undefined]) {
        expect(() => tables.unmap(gpa as number), `unmap(${String(gpa)})`).toThrow(InvalidArgumentError);
        expect(() => tables.lookup(gpa as number), `lookup(${String(gpa)})`).toThrow(InvalidArgumentError);
      }
      expect([ramDigest(memory), frames.usedCount]).toEqual([digest, used]);
      expect(tables.lookup(0x1000)!.pageBase).toBe(0x10_0000);
    });
  }
});

// ---------------------------------------------------------------- property

/** A model mapping: what map was given, with the defaults filled in. */
interface Mapping {
  gpa: number;
  pa: number;
  size: number;
  g: Required<GStageMappingAttributes> | null;
  e: Required<EptMappingAttributes> | null;
}

const bool = fc.boolean();
const gAttributes = fc.record({ readable: bool, writable: bool, executable: bool, accessed: bool, dirty: bool }, { requiredKeys: [] });
const eptAttributes = fc.record(
  { read: bool, write: bool, execute: bool, userExecute: bool, memoryType: fc.constantFrom(0, 1, 4, 5, 6), ignorePat: bool, accessed: bool, dirty: bool },
  { requiredKeys: [] },
);

function normalG(a: GStageMappingAttributes, pageSize: number): Required<GStageMappingAttributes> {
  return { readable: a.readable ?? true, writable: a.writable ?? true, executable: a.executable ?? true, accessed: a.accessed ?? true, dirty: a.dirty ?? true, pageSize };
}

function normalEpt(a: EptMappingAttributes, pageSize: number): Required<EptMappingAttributes> {
  const execute = a.execute ?? true;
  return {
    read: a.read ?? true,
    write: a.write ?? true,
    execute,
    userExecute: a.userExecute ?? execute,
    memoryType: a.memoryType ?? 6,
    ignorePat: a.ignorePat ?? false,
    accessed: a.accessed ?? true,
    dirty: a.dirty ?? true,
    pageSize,
  };
}

/** A guest-physical address in a few hot regions (the bottom and the top of the space), so that pages of different sizes meet. */
const gpaParts = fc.record({
  region: fc.nat(2),
  giga: fc.nat(1),
  mega: fc.nat(3),
  page: fc.nat(7),
  sizeIndex: fc.nat(2),
  paIndex: fc.nat(0xff),
});

const operation = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('map' as const), where: gpaParts, g: gAttributes, e: eptAttributes }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('unmap' as const), where: gpaParts }) },
);

interface Where {
  region: number;
  giga: number;
  mega: number;
  page: number;
  sizeIndex: number;
  paIndex: number;
}

function placeOf(kind: SecondStageKind, where: Where) {
  const top = 2 ** BITS[kind];
  const regionBase = [0, 4 * GiB1, top - 2 * GiB1][where.region];
  const raw = regionBase + where.giga * GiB1 + where.mega * MiB2 + where.page * KiB4;
  const size = [KiB4, MiB2, GiB1][where.sizeIndex];
  return { gpa: raw - (raw % size), raw, size, pa: where.paIndex * GiB1 };
}

describe('SecondStageTableBuilder: property', () => {
  for (const kind of [...G_KINDS, ...EPT_KINDS]) {
    it(`${kind}: after random maps and unmaps each mapped GPA translates to its page with its permissions; others fault`, () => {
      const ept = EPT_KINDS.includes(kind as EptTableKind);
      fc.assert(
        fc.property(fc.array(operation, { minLength: 1, maxLength: 16 }), fc.array(fc.nat(0xfff), { minLength: 4, maxLength: 4 }), (ops, offsets) => {
          const { memory, frames, tables } = setup(kind, 1 << 20, 0);
          let model: Mapping[] = [];
          for (const o of ops) {
            const { gpa, raw, size, pa } = placeOf(kind, o.where);
            if (o.op === 'unmap') {
              const hit = model.find((m) => raw >= m.gpa && raw < m.gpa + m.size);
              expect(tables.unmap(raw)).toBe(hit !== undefined);
              model = model.filter((m) => m !== hit);
              continue;
            }
            const g = ept ? null : normalG(o.g, size);
            const e = ept ? normalEpt(o.e, size) : null;
            const invalid = g !== null ? (!g.readable && !g.writable && !g.executable) || (g.writable && !g.readable) : !e!.read && !e!.write && !e!.execute && !e!.userExecute || (e!.write && !e!.read);
            const conflict = model.some((m) => (m.size > size && gpa >= m.gpa && gpa < m.gpa + m.size) || (m.size < size && m.gpa >= gpa && m.gpa < gpa + size));
            const attributes = { ...(ept ? o.e : o.g), pageSize: size };
            if (invalid || conflict) {
              const digest = ramDigest(memory);
              expect(() => tables.map(gpa, pa, attributes)).toThrow(InvalidArgumentError);
              expect(ramDigest(memory)).toBe(digest);
              continue;
            }
            const same = model.find((m) => m.gpa === gpa && m.size === size);
            expect(tables.map(gpa, pa, attributes)).toBe(same !== undefined);
            model = model.filter((m) => m !== same);
            model.push({ gpa, pa, size, g, e });
          }
          expect(new Set(tables.tables()).size).toBe(tables.tableCount);
          expect(frames.usedCount).toBe(tables.tableCount);

          if (ept) {
            const { walk } = eptWalker(tables as SecondStageTableBuilder<EptTableKind>);
            for (const m of model) {
              const a = m.e!;
              expect(tables.lookup(m.gpa)!.attributes).toEqual(a);
              const rights = (a.read ? 1 : 0) | (a.write ? 2 : 0) | (a.execute ? 4 : 0) | (a.userExecute ? 8 : 0);
              for (const offset of [0, m.size - 1, ...offsets.map((n) => (n * KiB4 + n) % m.size)]) {
                const checks: [Access, boolean, boolean][] = [[Read, false, a.read], [Write, false, a.write], [Execute, false, a.execute], [Execute, true, a.userExecute]];
                for (const [access, user, allowed] of checks) {
                  const out = walk(m.gpa + offset, access, user);
                  expect(out.ok).toBe(allowed);
                  expect(out.permissions).toBe(rights);
                  if (allowed) expect(out).toMatchObject({ hostAddress: m.pa + offset, pageShift: Math.log2(m.size), memoryType: a.memoryType, ignorePat: a.ignorePat });
                  else expect(out.outcome).toBe(EptOutcome.Violation);
                }
              }
            }
          } else {
            const walker = gWalker(tables as SecondStageTableBuilder<GStageTableKind>);
            for (const m of model) {
              const a = m.g!;
              expect(tables.lookup(m.gpa)!.attributes).toEqual(a);
              for (const offset of [0, m.size - 1, ...offsets.map((n) => (n * KiB4 + n) % m.size)].map((o) => exact(m.gpa, o))) {
                const checks: [Access, boolean, boolean][] = [[Read, a.readable, false], [Write, a.writable, true], [Execute, a.executable, false]];
                for (const [access, allowed, store] of checks) {
                  const expected = !allowed ? FaultReason.Protection : !a.accessed || (store && !a.dirty) ? FaultReason.AccessedDirty : FaultReason.None;
                  expect(walker.translate(m.gpa + offset, access, false)).toBe(expected);
                  if (expected === FaultReason.None) {
                    expect(walker.pageBase + ((m.gpa + offset) % m.size)).toBe(m.pa + offset);
                    expect(walker.pageSize).toBe(m.size);
                    expect(walker.perm & ~Perm.Dirty).toBe((a.readable ? Perm.Read : 0) | (a.writable ? Perm.Write : 0) | (a.executable ? Perm.Execute : 0) | Perm.User);
                  }
                }
              }
            }
          }

          // Probes the model says are unmapped fault as not present.
          for (const region of [0, 1, 2]) {
            for (const n of offsets) {
              const { raw } = placeOf(kind, { region, giga: n & 1, mega: (n >> 1) & 3, page: (n >> 3) & 7, sizeIndex: 0, paIndex: 0 });
              const probe = raw + exact(raw, n % KiB4);
              if (model.some((m) => probe >= m.gpa && probe < m.gpa + m.size)) continue;
              expect(tables.lookup(raw)).toBeNull();
              if (ept) {
                const { walk } = eptWalker(tables as SecondStageTableBuilder<EptTableKind>);
                expect(walk(probe, Read)).toMatchObject({ ok: false, outcome: EptOutcome.Violation, permissions: 0 });
              } else {
                expect(gWalker(tables as SecondStageTableBuilder<GStageTableKind>).translate(probe, Read, false)).toBe(FaultReason.NotPresent);
              }
            }
          }
        }),
        { numRuns: 60 },
      );
    });
  }
});
