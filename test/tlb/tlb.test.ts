import { describe, expect, it } from 'vitest';
import { ANY_ASID, GLOBAL_ASID, INVALID_TAG, Tlb } from '../../src/tlb/index.js';
import { GiB1, KiB4, MiB2, page, tlbOf, touch, translate } from './helpers.js';

/** A level with a 4 KiB array (16 entries, 4-way), a 2 MiB array (4 entries, fully associative). */
const smallAndHuge = (): Tlb =>
  new Tlb({
    name: 'two-array',
    arrays: [
      { entries: 16, ways: 4, pageShifts: [12] },
      { entries: 4, ways: 4, pageShifts: [21] },
    ],
  });

describe('set mapping', () => {
  it('maps 4 KiB page n of a 64-entry 4-way TLB to set n mod 16', () => {
    const tlb = tlbOf(64, 4);
    for (const n of [0, 5, 15, 16, 21, 0x12345]) {
      const e = tlb.insert(page(n), 0, 12, 0, 0);
      const info = [...tlb.entries()].find((x) => x.index === e);
      expect(info?.set).toBe(n % 16);
      expect(Math.floor(e / 4)).toBe(n % 16);
    }
  });

  it('keeps a fifth page of one set from disturbing other sets', () => {
    const tlb = tlbOf(64, 4);
    for (const n of [5, 21, 37, 53, 6]) touch(tlb, page(n)); // four pages of set 5, one of set 6
    touch(tlb, page(69)); // set 5 again: evicts page 5, the LRU of that set
    expect([5, 21, 37, 53, 69, 6].map((n) => tlb.peek(page(n), 0) >= 0)).toEqual([false, true, true, true, true, true]);
    expect(tlb.stats.evictions).toBe(1);
  });

  it('has conflict misses when direct-mapped, and none for pages of different sets', () => {
    const tlb = tlbOf(16, 1);
    let hits = 0;
    for (let i = 0; i < 20; i++) if (touch(tlb, page(i % 2 === 0 ? 3 : 3 + 16))) hits++;
    expect(hits).toBe(0);
    const other = tlbOf(16, 1);
    hits = 0;
    for (let i = 0; i < 20; i++) if (touch(other, page(i % 2 === 0 ? 3 : 4))) hits++;
    expect(hits).toBe(18);
  });
});

describe('lookup and insert', () => {
  it('returns the entry whose page holds the address, with the inserted fields', () => {
    const tlb = tlbOf(64, 4);
    const e = tlb.insert(0x7fff_1234, 9, 12, 0x8_0000, 0b101, -7);
    expect(tlb.lookup(0x7fff_1ff8, 9)).toBe(e);
    expect(tlb.tag[e]).toBe(0x7fff_1000);
    expect([tlb.asid[e], tlb.pageBase[e], tlb.perm[e], tlb.pageShift[e], tlb.extra[e]]).toEqual([9, 0x8_0000, 0b101, 12, -7]);
    expect(translate(tlb, 0x7fff_1ff8, 9)).toBe(0x8_0ff8);
    expect(tlb.lookup(0x7fff_2000, 9)).toBe(-1);
  });

  it('never duplicates an entry on re-insert; updates it in place', () => {
    const tlb = tlbOf(64, 4);
    const e = tlb.insert(0x5000, 1, 12, 0x1000, 1);
    expect(tlb.insert(0x5abc, 1, 12, 0x2000, 3, 42)).toBe(e);
    expect(tlb.validCount()).toBe(1);
    expect([tlb.pageBase[e], tlb.perm[e], tlb.extra[e]]).toEqual([0x2000, 3, 42]);
    expect(tlb.stats.evictions).toBe(0);
  });

  it('replaces an entry a global insert would shadow rather than keep both', () => {
    const tlb = tlbOf(64, 4);
    tlb.insert(0x5000, 1, 12, 0x1000, 1);
    tlb.insert(0x5000, 2, 12, 0x1000, 1);
    const e = tlb.insert(0x5000, GLOBAL_ASID, 12, 0x9000, 1);
    expect(tlb.validCount()).toBe(1);
    expect(tlb.peek(0x5000, 1)).toBe(e);
    expect(translate(tlb, 0x5000, 2)).toBe(0x9000);
  });

  it('peek neither counts nor updates replacement state', () => {
    const tlb = tlbOf(2, 2, 'lru');
    tlb.insert(page(1), 0, 12, 0, 0);
    tlb.insert(page(2), 0, 12, 0, 0);
    expect(tlb.peek(page(1), 0)).toBe(0); // would make page 2 the LRU if it counted
    expect(tlb.insert(page(3), 0, 12, 0, 0)).toBe(0);
    expect(tlb.stats.snapshot()).toMatchObject({ hits: 0, misses: 0 });
  });

  it('rejects out-of-range insert arguments', () => {
    const tlb = tlbOf(4, 4);
    expect(() => tlb.insert(-1, 0, 12, 0, 0)).toThrow(RangeError);
    expect(() => tlb.insert(2 ** 57, 0, 12, 0, 0)).toThrow(RangeError);
    expect(() => tlb.insert(0, ANY_ASID, 12, 0, 0)).toThrow(RangeError);
    expect(() => tlb.insert(0, 0, 12.5, 0, 0)).toThrow(RangeError);
    expect(() => tlb.insert(0, 0, 12, 2 ** 53, 0)).toThrow(RangeError);
    expect(tlb.validCount()).toBe(0);
  });
});

describe('ASIDs and global entries', () => {
  it('isolates ASIDs', () => {
    const tlb = tlbOf(16, 4);
    tlb.insert(0x1000, 1, 12, 0xa000, 0);
    expect(tlb.lookup(0x1000, 1)).toBeGreaterThanOrEqual(0);
    expect(tlb.lookup(0x1000, 2)).toBe(-1);
    tlb.insert(0x1000, 2, 12, 0xb000, 0);
    expect([translate(tlb, 0x1000, 1), translate(tlb, 0x1000, 2)]).toEqual([0xa000, 0xb000]);
  });

  it('shows global entries to every ASID; invalidateAsid and invalidateNonGlobal keep them', () => {
    const tlb = tlbOf(16, 4);
    tlb.insert(0x1000, GLOBAL_ASID, 12, 0xa000, 0);
    tlb.insert(0x2000, 1, 12, 0xb000, 0);
    tlb.insert(0x3000, 2, 12, 0xc000, 0);
    expect([0, 1, 2, 4095].map((asid) => tlb.lookup(0x1000, asid) >= 0)).toEqual([true, true, true, true]);
    tlb.invalidateAsid(1);
    expect([tlb.peek(0x1000, 7) >= 0, tlb.peek(0x2000, 1), tlb.peek(0x3000, 2) >= 0]).toEqual([true, -1, true]);
    tlb.invalidateNonGlobal();
    expect([tlb.peek(0x1000, 7) >= 0, tlb.peek(0x3000, 2)]).toEqual([true, -1]);
    tlb.invalidateAll();
    expect(tlb.peek(0x1000, 7)).toBe(-1);
    expect(() => tlb.invalidateAsid(GLOBAL_ASID)).toThrow(RangeError);
  });

  it('invalidatePage removes the page for one ASID, any ASID, and globals only when asked', () => {
    const tlb = tlbOf(16, 16);
    tlb.insert(0x1000, GLOBAL_ASID, 12, 0, 0);
    tlb.insert(0x2000, 1, 12, 0, 0);
    tlb.insert(0x2000, 2, 12, 0, 0);
    tlb.insert(0x3000, 1, 12, 0, 0);
    tlb.invalidatePage(0x1abc, 5, false); // x86 INVLPG would pass true: globals stay here
    expect(tlb.peek(0x1000, 5)).toBeGreaterThanOrEqual(0);
    tlb.invalidatePage(0x2fff, 1, false); // SFENCE.VMA va, asid=1
    expect([tlb.peek(0x2000, 1), tlb.peek(0x2000, 2) >= 0, tlb.peek(0x3000, 1) >= 0]).toEqual([-1, true, true]);
    tlb.invalidatePage(0x2000, ANY_ASID, false);
    expect(tlb.peek(0x2000, 2)).toBe(-1);
    tlb.invalidatePage(0x1000, 5, true); // INVLPG: current PCID and globals
    expect(tlb.peek(0x1000, 5)).toBe(-1);
    expect(tlb.validCount()).toBe(1);
  });

  it('invalidateEntry removes one entry and marks its tag invalid', () => {
    const tlb = tlbOf(16, 4);
    const e = tlb.insert(0x1000, 3, 12, 0, 0);
    tlb.invalidateEntry(e);
    expect(tlb.tag[e]).toBe(INVALID_TAG);
    expect(tlb.peek(0x1000, 3)).toBe(-1);
    expect(() => tlb.invalidateEntry(16)).toThrow(RangeError);
  });
});

describe('huge pages', () => {
  it('serves every 4 KiB page of a 2 MiB page from one entry', () => {
    const tlb = smallAndHuge();
    const va = 0x4000_0000 + 5 * MiB2;
    const e = tlb.insert(va + 0x1234, 3, 21, 0x1_0000_0000, 0);
    expect(e).toBe(16); // first entry of the 2 MiB array
    for (let off = 0; off < MiB2; off += KiB4) {
      expect(tlb.lookup(va + off + 8, 3)).toBe(e);
      expect(tlb.pageBase[e] + (va + off + 8 - tlb.tag[e])).toBe(0x1_0000_0000 + off + 8);
    }
    expect(tlb.validCount()).toBe(1);
    expect(tlb.lookup(va + MiB2, 3)).toBe(-1);
  });

  it('fractures a 1 GiB page into the 2 MiB sub-page holding the address', () => {
    const tlb = smallAndHuge();
    const gib = 3 * GiB1;
    const base = 2 ** 39;
    const va = gib + 7 * MiB2 + 0x1234;
    const e = tlb.insert(va, 1, 30, base, 0);
    expect([tlb.pageShift[e], tlb.sourceShift[e], tlb.tag[e], tlb.pageBase[e]]).toEqual([21, 30, gib + 7 * MiB2, base + 7 * MiB2]);
    expect(translate(tlb, va, 1)).toBe(base + 7 * MiB2 + 0x1234);
    expect(tlb.peek(gib + 8 * MiB2, 1)).toBe(-1); // other sub-pages need their own entries
    const e2 = tlb.insert(gib + 8 * MiB2, 1, 30, base, 0);
    expect(translate(tlb, gib + 8 * MiB2 + 4, 1)).toBe(base + 8 * MiB2 + 4);
    expect(e2).not.toBe(e);
  });

  it('invalidating any address of a fractured page removes every fragment', () => {
    const tlb = smallAndHuge();
    tlb.insert(GiB1 + 1 * MiB2, 1, 30, 0, 0);
    tlb.insert(GiB1 + 9 * MiB2, 1, 30, 0, 0);
    tlb.insert(2 * GiB1, 1, 30, 0, 0); // a different 1 GiB page
    tlb.insert(0x5000, 1, 12, 0, 0);
    tlb.invalidatePage(GiB1 + 100 * MiB2, 1, false);
    expect(tlb.validCount()).toBe(2);
    expect(tlb.peek(2 * GiB1, 1)).toBeGreaterThanOrEqual(0);
    expect(tlb.peek(0x5000, 1)).toBeGreaterThanOrEqual(0);
    expect(tlb.stats.invalidations).toBe(2);
  });

  it('inserts nothing when no array holds a shift at or below the page size', () => {
    const tlb = new Tlb({ name: 'huge-only', arrays: [{ entries: 8, ways: 8, pageShifts: [21, 30] }] });
    expect(tlb.insert(0x1000, 0, 12, 0, 0)).toBe(-1);
    expect(tlb.validCount()).toBe(0);
    expect([tlb.fitPageShift(12), tlb.fitPageShift(22), tlb.fitPageShift(39)]).toEqual([-1, 21, 30]);
  });

  it('stores and probes 2 MiB and 4 MiB pages in one array', () => {
    const tlb = new Tlb({ name: 'pse', arrays: [{ entries: 8, ways: 8, pageShifts: [22, 21] }] });
    const e4 = tlb.insert(0x0080_0000 + 0x3_0000, 0, 22, 0x0400_0000, 0); // 4 MiB page at 8 MiB
    const e2 = tlb.insert(0x0040_0000, 0, 21, 0x0200_0000, 0); // 2 MiB page at 4 MiB
    expect(tlb.peek(0x00bf_ffff, 0)).toBe(e4);
    expect(tlb.peek(0x005f_ffff, 0)).toBe(e2);
    expect(tlb.peek(0x0060_0000, 0)).toBe(-1);
    expect(translate(tlb, 0x00bf_ffff, 0)).toBe(0x0400_0000 + 0x3f_ffff);
  });
  it('keeps counting a page size right when a 4 KiB page evicts a 2 MiB one of the same array after a miss', () => {
    const tlb = new Tlb({ name: 'mixed', arrays: [{ entries: 2, ways: 2, pageShifts: [12, 21], replacement: 'lru' }] });
    tlb.insert(0, 1, 21, 0x40_0000, 0);
    tlb.insert(0x20_0000, 1, 21, 0x60_0000, 0);
    // The miss path: a lookup that misses, then the insert of that address, twice; each evicts a 2 MiB entry.
    for (const va of [0x1000_0000, 0x1000_1000]) {
      expect(tlb.lookup(va, 1)).toBe(-1);
      tlb.insertUnchecked(va, 1, 12, va, 0, 0);
    }
    expect([...tlb.entries()].map((x) => x.pageShift)).toEqual([12, 12]);
    expect(tlb.lookup(0x20_0000, 1)).toBe(-1);
    // Both 4 KiB entries are still found by an invalidation (which skips page sizes it counts as empty).
    tlb.invalidatePage(0x1000_0000, 1, true);
    tlb.invalidatePage(0x1000_1000, 1, true);
    expect(tlb.validCount()).toBe(0);
    expect([...tlb.entries()]).toEqual([]);
  });
});

describe('high addresses', () => {
  it('translates 4 KiB pages just below 2^47 and just above 2^56 exactly', () => {
    const tlb = tlbOf(64, 4);
    const low = 2 ** 47 - KiB4;
    tlb.insert(low + 0x123, 4, 12, 2 ** 52 - KiB4, 0);
    expect(translate(tlb, low + 0xfff, 4)).toBe(2 ** 52 - 1);
    expect(tlb.peek(2 ** 47, 4)).toBe(-1);

    const high = 2 ** 56 + 0x1230; // multiples of 16 are exact here
    const e = tlb.insert(high, 4, 12, 0x7000, 0);
    expect(tlb.tag[e]).toBe(2 ** 56 + 0x1000);
    expect(Math.floor(e / 4)).toBe(1); // set = page number (2^44 + 1) mod 16
    expect(translate(tlb, 2 ** 56 + 0x1ff0, 4)).toBe(0x7ff0);
    expect(tlb.peek(2 ** 56 + 0x2000, 4)).toBe(-1);
    expect(tlb.peek(0x1000, 4)).toBe(-1); // same low 32 bits, different page
  });

  it('indexes 1 GiB pages by page number above 2^32, on both the fast and the slow path', () => {
    // 4 sets: 30 + 2 <= 32 uses `>>>`; 8 sets: 30 + 3 > 32 uses the multiply.
    for (const [entries, sets] of [[8, 4], [16, 8]]) {
      const tlb = new Tlb({ name: 'gib', arrays: [{ entries, ways: 2, pageShifts: [30] }] });
      const va = 2 ** 47 + 6 * GiB1 + 0x12345;
      const e = tlb.insert(va, 0, 30, 2 ** 40, 0);
      expect(Math.floor(e / 2)).toBe((2 ** 17 + 6) % sets);
      expect(tlb.tag[e]).toBe(2 ** 47 + 6 * GiB1);
      expect(translate(tlb, va, 0)).toBe(2 ** 40 + 0x12345);
    }
  });

  it('indexes 512 GiB and 256 TiB pages near 2^56', () => {
    const tlb = new Tlb({
      name: 'tera',
      arrays: [
        { entries: 8, ways: 2, pageShifts: [39] },
        { entries: 2, ways: 1, pageShifts: [48] },
      ],
    });
    const va = 2 ** 56 + 5 * 2 ** 39 + 0x7000;
    const e = tlb.insert(va, 0, 39, 2 ** 45, 0);
    expect(Math.floor(e / 2)).toBe((2 ** 17 + 5) % 4);
    expect(translate(tlb, va + 16, 0)).toBe(2 ** 45 + 0x7010);
    const peta = 2 ** 56 + 3 * 2 ** 48;
    const p = tlb.insert(peta + 2 ** 40, 0, 48, 2 ** 50, 0);
    expect(p - 8).toBe((2 ** 8 + 3) % 2);
    expect(translate(tlb, peta + 2 ** 47, 0)).toBe(2 ** 50 + 2 ** 47);
  });
});

describe('statistics', () => {
  it('counts hits, misses, evictions, flushes and invalidations exactly', () => {
    const tlb = tlbOf(2, 2, 'lru');
    const A = page(1);
    const B = page(2);
    const C = page(3);
    tlb.lookup(A, 0); // miss
    tlb.insert(A, 0, 12, 0, 0);
    tlb.insert(B, 0, 12, 0, 0);
    tlb.lookup(A, 0); // hit
    tlb.lookup(B, 0); // hit
    tlb.insert(C, 0, 12, 0, 0); // evicts A
    tlb.insert(C, 0, 12, 0, 0); // update, not an eviction
    tlb.lookup(A, 0); // miss
    tlb.peek(B, 0); // not counted
    tlb.invalidatePage(B, 0, false); // flush, 1 removed
    tlb.invalidatePage(B, 0, false); // flush, nothing removed
    tlb.invalidateAsid(7); // flush, nothing removed
    tlb.invalidateAll(); // flush, removes C
    tlb.insert(A, 0, 12, 0, 0);
    tlb.invalidateEntry(tlb.peek(A, 0)); // an invalidation, not a flush
    expect(tlb.stats.snapshot()).toEqual({ hits: 2, misses: 2, evictions: 1, flushes: 4, invalidations: 3 });
    expect([tlb.stats.hits, tlb.stats.misses, tlb.stats.evictions, tlb.stats.flushes, tlb.stats.invalidations]).toEqual([
      2, 2, 1, 4, 3,
    ]);
    tlb.stats.reset();
    expect(tlb.stats.snapshot()).toEqual({ hits: 0, misses: 0, evictions: 0, flushes: 0, invalidations: 0 });
  });
});

describe('debug views', () => {
  it('lists valid entries as plain objects', () => {
    const tlb = smallAndHuge();
    tlb.insert(0x3000, 2, 12, 0x9000, 5, 11);
    tlb.insert(GiB1, GLOBAL_ASID, 30, 0, 1);
    expect([...tlb.entries()]).toEqual([
      { index: 12, array: 0, set: 3, way: 0, va: 0x3000, asid: 2, global: false, pageShift: 12, sourcePageShift: 12, pageBase: 0x9000, perm: 5, extra: 11 },
      { index: 16, array: 1, set: 0, way: 0, va: GiB1, asid: -1, global: true, pageShift: 21, sourcePageShift: 30, pageBase: 0, perm: 1, extra: 0 },
    ]);
    expect(tlb.size).toBe(20);
    expect(tlb.pageShifts).toEqual([12, 21]);
    expect(tlb.name).toBe('two-array');
  });
});
