// The translation cache in front of the TLB model, in both modes.
//
// Accurate mode must be the model exactly: the same values and faults, the same TLB contents,
// statistics and cycles as the same MMU with the cache switched off, after every step of random
// programs that map, remap, unmap (with the invalidation a correct kernel issues), switch
// privilege, ASID, control bits and paging, and touch MMIO. Fast mode must give the same values
// and faults, and never more walks.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Access,
  FrameAllocator,
  Mmu,
  PageFaultError,
  PageTableBuilder,
  PhysicalMemory,
  Privilege,
  TRANSLATION_CACHE_SLOTS,
  type MmuMode,
  type TlbHierarchyConfig,
} from '../../src/index.js';
import { withoutTranslationCache } from '../../src/mmu/mmu.js';
import { ramDigest } from './ram-digest.js';

const PAGE = 4096;
const BASE = 0x40_0000;
const PAGES = 12;
const MMIO = 0x1000_0000;
/** A 2 MiB region mapped either by one large page or by 4 KiB pages, to mix page sizes in the L1. */
const LARGE = 0x4000_0000;
const LARGE_FRAME = 0x60_0000;

/** Small TLBs, so that random programs evict, promote from the L2 and replace. */
const SMALL_TLB: TlbHierarchyConfig = {
  l1i: { name: 'itlb', arrays: [{ entries: 4, ways: 2, pageShifts: [12], replacement: 'lru' }] },
  l1d: {
    name: 'dtlb',
    arrays: [
      { entries: 4, ways: 2, pageShifts: [12], replacement: 'plru' },
      { entries: 2, ways: 2, pageShifts: [21], replacement: 'fifo' },
    ],
  },
  l2: { name: 'stlb', arrays: [{ entries: 8, ways: 4, pageShifts: [12, 21], replacement: 'lru' }] },
};

interface Attributes {
  writable: boolean;
  user: boolean;
  executable: boolean;
  mmio: boolean;
  frame: number;
}

type Step =
  | { op: 'read' | 'write' | 'fetch'; page: number; offset: number; size: 1 | 2 | 4 }
  | { op: 'map'; page: number; attributes: Attributes }
  | { op: 'unmap'; page: number }
  | { op: 'privilege'; user: boolean }
  | { op: 'asid'; asid: number }
  | { op: 'controls'; wp: boolean; smap: boolean; nxe: boolean }
  | { op: 'paging'; on: boolean }
  | { op: 'mode'; mode: MmuMode }
  | { op: 'large'; small: boolean; stale: boolean }
  | { op: 'largeAccess'; page: number; write: boolean }
  | { op: 'bulk'; page: number; offset: number; length: number; write: boolean };

const attributes = fc.record({
  writable: fc.boolean(),
  user: fc.boolean(),
  executable: fc.boolean(),
  mmio: fc.nat(4).map((n) => n === 0),
  frame: fc.nat(5),
});

/** Steps a correct kernel takes; with `stale`, also page-table changes left without their invalidation. */
const stepOf = (stale: boolean): fc.Arbitrary<Step> => fc.oneof(
  { weight: 12, arbitrary: fc.record({ op: fc.constantFrom('read', 'write', 'fetch'), page: fc.nat(PAGES - 1), offset: fc.oneof(fc.nat(PAGE - 4), fc.constant(PAGE - 1)), size: fc.constantFrom(1, 2, 4) }) as fc.Arbitrary<Step> },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('map'), page: fc.nat(PAGES - 1), attributes }) as fc.Arbitrary<Step> },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('unmap'), page: fc.nat(PAGES - 1) }) as fc.Arbitrary<Step> },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('privilege'), user: fc.boolean() }) as fc.Arbitrary<Step> },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('asid'), asid: fc.nat(2) }) as fc.Arbitrary<Step> },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('controls'), wp: fc.boolean(), smap: fc.boolean(), nxe: fc.boolean() }) as fc.Arbitrary<Step> },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('paging'), on: fc.boolean() }) as fc.Arbitrary<Step> },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('large'), small: fc.boolean(), stale: stale ? fc.boolean() : fc.constant(false) }) as fc.Arbitrary<Step> },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('largeAccess'), page: fc.nat(3), write: fc.boolean() }) as fc.Arbitrary<Step> },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('bulk'), page: fc.nat(PAGES - 1), offset: fc.nat(PAGE - 1), length: fc.nat(3 * PAGE), write: fc.boolean() }) as fc.Arbitrary<Step> },
);
const step = stepOf(false);
const anyStep = stepOf(true);

/** One machine: tables with every page mapped, some to an MMIO device, and an MMU. */
function machine(mode: MmuMode | 'model') {
  const memory = new PhysicalMemory({ size: 8 << 20 });
  const deviceLog: string[] = [];
  memory.mapMmio(MMIO, 16 * PAGE, { read: (offset) => (offset * 3) & 0xff, write: (offset, size, value) => deviceLog.push(`${offset}:${size}:${value}`) }, 'dev');
  const frames = new FrameAllocator(memory);
  const tables = new PageTableBuilder(memory, 'x86-64', frames);
  const dataFrames = Array.from({ length: 6 }, () => frames.allocate() * PAGE);
  dataFrames.forEach((pa, i) => {
    for (let b = 0; b < PAGE; b += 4) memory.write32(pa + b, (i << 24) | b);
  });
  const mapPage = (page: number, a: Attributes) => {
    const pa = a.mmio ? MMIO + a.frame * PAGE : dataFrames[a.frame];
    tables.map(BASE + page * PAGE, pa, { writable: a.writable, user: a.user, executable: a.executable });
  };
  for (let page = 0; page < PAGES; page++) mapPage(page, { writable: page % 3 !== 0, user: page % 4 !== 1, executable: page % 2 === 0, mmio: page === 5, frame: page % 6 });
  /** The large region as one 2 MiB page (small: false) or as four 4 KiB pages of the same frames. */
  const mapLarge = (small: boolean) => {
    for (let page = 0; page < 4; page++) tables.unmap(LARGE + page * PAGE);
    if (small) for (let page = 0; page < 4; page++) tables.map(LARGE + page * PAGE, LARGE_FRAME + (3 - page) * PAGE, { writable: true, user: true });
    else tables.map(LARGE, LARGE_FRAME, { writable: true, user: true, pageShift: 21 });
  };
  mapLarge(false);
  // No paging-structure caches: a stale one would hide the page-table changes the programs make.
  const mmu = new Mmu({ memory, format: 'x86-64', tlb: SMALL_TLB, walkCache: null, controls: { nxe: true }, mode: mode === 'model' ? 'accurate' : mode });
  if (mode === 'model') withoutTranslationCache(mmu);
  mmu.setRoot(tables.root, 1);
  return { memory, tables, mmu, mapPage, mapLarge, deviceLog };
}

type Machine = ReturnType<typeof machine>;

/** Runs one step; returns what a program would observe. */
function run(m: Machine, s: Step): string {
  const va = s.op === 'read' || s.op === 'write' || s.op === 'fetch' || s.op === 'map' || s.op === 'unmap' ? BASE + s.page * PAGE : 0;
  try {
    switch (s.op) {
      case 'read':
        return String(s.size === 1 ? m.mmu.read8(va + s.offset) : s.size === 2 ? m.mmu.read16(va + s.offset) : m.mmu.read32(va + s.offset));
      case 'write':
        if (s.size === 1) m.mmu.write8(va + s.offset, 0xa5);
        else if (s.size === 2) m.mmu.write16(va + s.offset, 0xbeef);
        else m.mmu.write32(va + s.offset, 0xc0ffee);
        return 'ok';
      case 'fetch':
        return String(s.size === 1 ? m.mmu.fetch8(va + s.offset) : s.size === 2 ? m.mmu.fetch16(va + s.offset) : m.mmu.fetch32(va + s.offset));
      case 'map':
        m.tables.unmap(va);
        m.mapPage(s.page, s.attributes);
        m.mmu.invalidatePage(va); // as a correct kernel does after changing a PTE
        return 'ok';
      case 'unmap':
        m.tables.unmap(va);
        m.mmu.invalidatePage(va);
        return 'ok';
      case 'privilege':
        m.mmu.setPrivilege(s.user ? Privilege.User : Privilege.Supervisor);
        return 'ok';
      case 'asid':
        m.mmu.setRoot(m.tables.root, 1 + s.asid);
        return 'ok';
      case 'controls':
        m.mmu.setControls({ wp: s.wp, smap: s.smap, nxe: s.nxe });
        return 'ok';
      case 'paging':
        m.mmu.setPaging(s.on);
        return 'ok';
      case 'mode':
        m.mmu.setMode(s.mode);
        return 'ok';
      case 'large':
        m.mapLarge(s.small);
        if (!s.stale) for (let page = 0; page < 4; page++) m.mmu.invalidatePage(LARGE + page * PAGE);
        return 'ok';
      case 'bulk': {
        // Up to four pages, past the last mapped page into unmapped ones too: readBytes and writeBytes
        // translate each page once, from the translation cache where it answers.
        const start = BASE + s.page * PAGE + s.offset;
        if (s.write) {
          m.mmu.writeBytes(start, new Uint8Array(s.length).fill(s.page + 1));
          return 'ok';
        }
        const bytes = m.mmu.readBytes(start, s.length);
        let sum = 0;
        for (let b = 0; b < bytes.length; b++) sum = (sum * 31 + bytes[b]) >>> 0;
        return String(sum);
      }
      case 'largeAccess':
        if (!s.write) return String(m.mmu.read32(LARGE + s.page * PAGE + 0x10));
        m.mmu.write32(LARGE + s.page * PAGE + 0x10, s.page);
        return 'ok';
    }
  } catch (e) {
    if (e instanceof PageFaultError) return `fault ${e.fault.toString()}`;
    throw e;
  }
}

/** Everything of the model an accurate-mode cache must leave exactly as the model alone would. */
function modelState(m: Machine) {
  return {
    stats: m.mmu.stats(),
    cycles: m.mmu.cycles,
    entries: m.mmu.tlb.levels().map((tlb) => [...tlb.entries()]),
  };
}

/** A digest of RAM (data, and page tables with their A/D bits) and what the device saw. */
function memoryState(m: Machine) {
  return { ram: ramDigest(m.memory), device: m.deviceLog.join(',') };
}

describe('translation cache', () => {
  it('accurate mode is the TLB model exactly: values, faults, TLB contents, statistics and cycles', () => {
    fc.assert(
      fc.property(fc.array(anyStep, { minLength: 30, maxLength: 150, size: 'max' }), (steps) => {
        const model = machine('model');
        const accurate = machine('accurate');
        steps.forEach((s, n) => {
          const expected = run(model, s);
          expect({ n, s, outcome: run(accurate, s) }).toEqual({ n, s, outcome: expected });
          expect(modelState(accurate)).toEqual(modelState(model));
        });
        expect(memoryState(accurate)).toEqual(memoryState(model));
      }),
      { numRuns: 80, seed: 0x7ca },
    );
  });

  // Two orders of events the random programs rarely produce: a 4 KiB and a 2 MiB entry for one
  // page in the L1 at once (the page tables changed without an invalidation), so that the
  // lookup order (4 KiB array first) decides which entry an access uses.
  it('accurate mode: a large entry filled behind a stale 4 KiB one is not cached (the lookup still finds the 4 KiB one)', () => {
    const model = machine('model');
    const accurate = machine('accurate');
    const program: Step[] = [
      { op: 'large', small: true, stale: false },
      { op: 'largeAccess', page: 1, write: false }, // a 4 KiB entry, D clear
      { op: 'large', small: false, stale: true }, // now a 2 MiB page, the 4 KiB entry left in place
      { op: 'largeAccess', page: 1, write: true }, // clean 4 KiB entry: walk, fill the 2 MiB entry
      { op: 'largeAccess', page: 1, write: true },
      { op: 'largeAccess', page: 1, write: false },
    ];
    for (const s of program) {
      expect(run(accurate, s)).toBe(run(model, s));
      expect(modelState(accurate)).toEqual(modelState(model));
    }
  });

  it('accurate mode: a 4 KiB entry inserted under another privilege empties the slot that named the large entry', () => {
    const model = machine('model');
    const accurate = machine('accurate');
    const pressure: Step[] = [0, 2, 4, 6, 8, 10, 1, 3].map((page) => ({ op: 'read', page, offset: 0, size: 4 }));
    const program: Step[] = [
      { op: 'privilege', user: true },
      { op: 'largeAccess', page: 2, write: false }, // user cache: the slot names the 2 MiB entry (D clear)
      { op: 'large', small: true, stale: true }, // 4 KiB pages now, the 2 MiB entry left in place
      { op: 'privilege', user: false },
      { op: 'largeAccess', page: 2, write: true }, // the clean 2 MiB entry walks again: a 4 KiB entry comes first
      { op: 'privilege', user: true },
      { op: 'largeAccess', page: 2, write: false }, // the model uses (and touches) the 4 KiB entry
      { op: 'privilege', user: false },
      ...pressure, // which entry the L1 evicts next shows which one was touched
      { op: 'largeAccess', page: 2, write: false },
      ...pressure,
    ];
    for (const s of program) {
      expect(run(accurate, s)).toBe(run(model, s));
      expect(modelState(accurate)).toEqual(modelState(model));
    }
  });

  // Not compared: the number of walks. Fast-mode hits leave the replacement state alone, so the two
  // MMUs can evict different entries and either may walk where the other hits (MMIO pages and
  // page-crossing accesses always go through the TLBs); a run with bulk accesses walked once more in
  // fast mode. That fast mode walks less on a working set past the L1 is the next tests' subject.
  it('fast mode gives the same values and faults, and writes the same memory', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 30, maxLength: 150, size: 'max' }), fc.array(fc.nat(119), { maxLength: 4 }), (steps, switches) => {
        const accurate = machine('accurate');
        const fast = machine('fast');
        steps.forEach((s, n) => {
          // Now and then the fast MMU switches mode and back: it must stay coherent through it.
          if (switches.includes(n)) {
            run(fast, { op: 'mode', mode: 'accurate' });
            run(fast, { op: 'mode', mode: 'fast' });
          }
          expect({ n, s, outcome: run(fast, s) }).toEqual({ n, s, outcome: run(accurate, s) });
        });
        expect(memoryState(fast)).toEqual(memoryState(accurate));
      }),
      { numRuns: 80, seed: 0xfa57 },
    );
  });

  it('a fast-mode hit completes from the cache alone: no TLB lookup is counted, the L1-hit latency is', () => {
    const m = machine('fast');
    m.mmu.read32(BASE + 2 * PAGE);
    const before = m.mmu.stats();
    expect(m.mmu.read32(BASE + 2 * PAGE + 8)).toBe(((2 % 6) << 24) | 8);
    const after = m.mmu.stats();
    expect(after.tlb.l1d).toEqual(before.tlb.l1d);
    expect(after.cycles - before.cycles).toBe(m.mmu.cycleModel.l1Hit);
  });

  it('keeps a translation past its L1 entry in fast mode, and drops it on INVLPG', () => {
    const m = machine('fast');
    const va = BASE + 2 * PAGE;
    expect(m.mmu.read32(va)).toBe((2 << 24) | 0);
    m.mmu.tlb.l1d.invalidateEntry(m.mmu.tlb.l1d.peek(va, 1)); // the L1 loses it (as a replacement would)
    m.mmu.tlb.l2!.invalidateEntry(m.mmu.tlb.l2!.peek(va, 1));
    const walks = m.mmu.stats().walks;
    expect(m.mmu.read32(va)).toBe((2 << 24) | 0); // still cached: no walk
    expect(m.mmu.stats().walks).toBe(walks);
    m.tables.unmap(va);
    m.mapPage(2, { writable: true, user: true, executable: false, mmio: false, frame: 4 });
    m.mmu.invalidatePage(va);
    expect(m.mmu.read32(va)).toBe((4 << 24) | 0); // the new mapping
  });

  it('a bulk access translates a cached page from its slot: no TLB lookup in fast mode, the L1 hit in accurate mode', () => {
    for (const mode of ['fast', 'accurate'] as const) {
      const m = machine(mode);
      const start = BASE + 6 * PAGE; // pages 6-8: RAM, writable by the supervisor
      for (let page = 0; page < 3; page++) m.mmu.read8(start + page * PAGE);
      const before = m.mmu.stats();
      const bytes = m.mmu.readBytes(start + 8, 2 * PAGE);
      const after = m.mmu.stats();
      expect(bytes[0]).toBe(m.memory.read8(m.mmu.translate(start + 8, Access.Read)));
      expect(after.walks).toBe(before.walks);
      expect(after.tlb.l1d.misses).toBe(before.tlb.l1d.misses);
      expect(after.tlb.l1d.hits - before.tlb.l1d.hits).toBe(mode === 'fast' ? 0 : 3);
      expect(after.cycles - before.cycles).toBe(3 * m.mmu.cycleModel.l1Hit);
    }
  });

  it('switching privilege keeps each privilege\'s translations (no flush)', () => {
    const m = machine('fast');
    m.mmu.read32(BASE + 2 * PAGE); // supervisor
    m.mmu.setPrivilege(Privilege.User);
    m.mmu.read32(BASE + 2 * PAGE);
    const lookups = () => m.mmu.stats().tlb.l1d.hits + m.mmu.stats().tlb.l1d.misses;
    const before = lookups();
    m.mmu.setPrivilege(Privilege.Supervisor);
    m.mmu.read32(BASE + 2 * PAGE);
    m.mmu.setPrivilege(Privilege.User);
    m.mmu.read32(BASE + 2 * PAGE);
    expect(lookups()).toBe(before);
  });

  it('caches the RAM pages of a megapage that also covers a device, and only those', () => {
    const build = (mode: MmuMode | 'model') => {
      const memory = new PhysicalMemory({ size: 1 << 20 });
      const seen: number[] = [];
      memory.mapMmio(0x10_0000, PAGE, { read: () => 0x77, write: (offset) => seen.push(offset) }, 'dev');
      const tables = new PageTableBuilder(memory, 'x86-64', new FrameAllocator(memory));
      tables.map(0x4000_0000, 0, { writable: true, pageShift: 21 }); // RAM (1 MiB) and the device
      const mmu = new Mmu({ memory, format: 'x86-64', mode: mode === 'model' ? 'accurate' : mode });
      if (mode === 'model') withoutTranslationCache(mmu);
      mmu.setRoot(tables.root, 1);
      return { mmu, seen };
    };
    const program = (m: ReturnType<typeof build>) => {
      const out: number[] = [];
      for (let round = 0; round < 3; round++) {
        m.mmu.write32(0x4000_8000 + round * 4, round);
        out.push(m.mmu.read32(0x4000_8000), m.mmu.read32(0x4010_0000));
        m.mmu.write32(0x4010_0010, round);
      }
      return out;
    };
    const [model, accurate, fast] = [build('model'), build('accurate'), build('fast')];
    const expected = program(model);
    expect(program(accurate)).toEqual(expected);
    expect(accurate.mmu.stats()).toEqual(model.mmu.stats());
    expect(program(fast)).toEqual(expected);
    expect(fast.seen).toEqual([0x10, 0x10, 0x10]); // every device write reached the device
    expect(fast.mmu.translationCache.readTag.includes(0x4000_8000)).toBe(true);
    expect(fast.mmu.translationCache.readTag.includes(0x4010_0000)).toBe(false);
  });

  it('never caches MMIO: the device sees every access', () => {
    const m = machine('fast');
    const va = BASE + 5 * PAGE; // mapped to the device
    m.mmu.write32(va, 1);
    m.mmu.write32(va, 2);
    expect(m.deviceLog).toEqual([`${5 * PAGE}:4:1`, `${5 * PAGE}:4:2`]);
    expect(m.mmu.translationCache.writeTag.includes(va)).toBe(false);
  });

  it('an emulator can inline the documented hit check on the exposed arrays (fast mode)', () => {
    const m = machine('fast');
    m.mmu.setPrivilege(Privilege.User);
    const view = m.memory.view;
    const read32 = (va: number): number => {
      const cache = m.mmu.translationCache;
      const slot = (va >>> 12) & (TRANSLATION_CACHE_SLOTS - 1);
      if (cache.readTag[slot] === va - (va & 0xfff) && (va & 0xfff) <= 4092) return view.getUint32(va + cache.dataAddend[slot], true);
      return m.mmu.read32(va);
    };
    const walksBefore = m.mmu.stats().walks;
    const seen = [0, 2, 3, 4].map((page) => read32(BASE + page * PAGE + 0x40));
    const again = [0, 2, 3, 4].map((page) => read32(BASE + page * PAGE + 0x40));
    expect(again).toEqual(seen);
    expect(seen).toEqual([0, 2, 3, 4].map((page) => ((page % 6) << 24) | 0x40));
    expect(m.mmu.stats().walks - walksBefore).toBe(4); // the second round hit the inlined check
  });

  it('with paging off, RAM is reached through identity slots and the TLBs see nothing', () => {
    const m = machine('accurate');
    m.mmu.setPaging(false);
    const before = m.mmu.stats().tlb;
    m.memory.write32(0x3000, 77);
    expect(m.mmu.read32(0x3000)).toBe(77);
    expect(m.mmu.read32(0x3000)).toBe(77);
    m.mmu.write32(0x3004, 5);
    expect(m.memory.read32(0x3004)).toBe(5);
    expect(m.mmu.stats().tlb).toEqual(before);
    m.mmu.setPaging(true);
    expect(m.mmu.translationCache.filledSlots).toBe(0);
  });

  it('refuses an unknown mode and changes nothing', () => {
    const m = machine('fast');
    expect(() => m.mmu.setMode('turbo' as MmuMode)).toThrow(/mode must be/);
    expect(m.mmu.mode).toBe('fast');
    expect(() => new Mmu({ memory: m.memory, format: 'x86-64', mode: 'exact' as MmuMode })).toThrow(/mode must be/);
  });

  it('translate() fills the cache too, so a later access of the same kind hits', () => {
    const m = machine('fast');
    m.mmu.translate(BASE + 2 * PAGE, Access.Write);
    const walks = m.mmu.stats().walks;
    m.mmu.write32(BASE + 2 * PAGE, 9);
    expect(m.mmu.stats().walks).toBe(walks);
  });
});
