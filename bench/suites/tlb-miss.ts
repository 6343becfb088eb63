/**
 * TLB misses: a 4-level x86-64 walk and a 3-level Sv39 walk, with the
 * default paging-structure (walk) caches and without (`walkCache: null`),
 * against a hand-written walk over the same tables: read each entry with a
 * DataView, check it is present, go down a level, then load the data; and
 * against that walk with the TLB work by hand around it (probe a 4 KiB L1 DTLB
 * array and the STLB, fill both over their LRU victims), which is what the
 * MMU's miss does on top of its walk.
 *
 * Misses are forced by striding: every access goes to the next of 2048 pages,
 * more than the L1 (64) and L2 (1536) TLBs hold, so under LRU every access
 * misses both. One row instead flushes with `invalidateAll()` before each
 * access. Entries are mapped with Accessed and Dirty already set, so no walk
 * writes an entry back (the hand-written walk writes nothing either).
 */
import { Access, FAULTED, FrameAllocator, Mmu, PageFaultError, PageTableBuilder, PhysicalMemory, Privilege, WalkResult, type FormatName } from '../../src/index.js';
import { consume, cyclesOf, garbageCollectionsDuring, printTable, ratio, rowNamed, runBenchmarkJs, type BjsCase, type Context, type Row, type Suite } from '../harness.js';
import { handLevel, probe, refill } from '../hand-written-levels.js';

const PAGES = 2048; // > 64 + 1536: a cyclic sweep misses every LRU set of both TLB levels
const BASE = 0x4000_0000; // 1 GiB: 2 MiB aligned, canonical in Sv39
const ASID = 1;
const TWO_32 = 4_294_967_296;

function build(format: FormatName) {
  const memory = new PhysicalMemory({ size: 8 << 20 });
  const frames = new FrameAllocator(memory);
  const tables = new PageTableBuilder(memory, format, frames);
  const data = frames.allocate() * 4096; // every page maps this frame: the data load is the same for every row
  for (let i = 0; i < PAGES; i++) tables.map(BASE + i * 4096, data, { writable: true, user: true, accessed: true, dirty: true });
  const vas = new Float64Array(PAGES);
  for (let i = 0; i < PAGES; i++) vas[i] = BASE + i * 4096 + ((i * 64) & 0xffc);
  const mmu = (walkCache: null | 'default') => {
    const m = new Mmu({ memory, format, walkCache });
    m.setRoot(tables.root, ASID);
    m.setPrivilege(Privilege.User);
    return m;
  };
  return { view: memory.view, root: tables.root, vas, withCaches: mmu('default'), without: mmu(null) };
}

/** x86-64, 4 levels: PML4 (bits 47–39), PDPT (38–30), PD (29–21), PT (20–12). */
function handX86(view: DataView, root: number) {
  const next = (table: number, index: number): number => {
    const a = table + index * 8;
    const lo = view.getUint32(a, true);
    if ((lo & 1) === 0) throw new Error('not present');
    return (lo & 0xffff_f000) + (view.getUint32(a + 4, true) & 0xf_ffff) * TWO_32;
  };
  return (va: number): number => {
    const lo = va >>> 0;
    const hi = (va - lo) / TWO_32;
    let t = next(root, (hi >>> 7) & 511);
    t = next(t, ((hi << 2) | (lo >>> 30)) & 511);
    t = next(t, (lo >>> 21) & 511);
    return next(t, (lo >>> 12) & 511);
  };
}

/** Sv39, 3 levels: VPN[2] (bits 38–30), VPN[1] (29–21), VPN[0] (20–12); PPN in bits 53–10. */
function handSv39(view: DataView, root: number) {
  const next = (table: number, index: number): number => {
    const a = table + index * 8;
    const lo = view.getUint32(a, true);
    if ((lo & 1) === 0) throw new Error('not valid');
    return ((lo >>> 10) + (view.getUint32(a + 4, true) & 0x3f_ffff) * 4_194_304) * 4096;
  };
  return (va: number): number => {
    const lo = va >>> 0;
    const hi = (va - lo) / TWO_32;
    let t = next(root, ((hi << 2) | (lo >>> 30)) & 511);
    t = next(t, (lo >>> 21) & 511);
    return next(t, (lo >>> 12) & 511);
  };
}

function casesFor(format: 'x86-64' | 'sv39'): BjsCase[] {
  const { view, root, vas, withCaches, without } = build(format);
  const levels = format === 'x86-64' ? 4 : 3;
  const hand = format === 'x86-64' ? handX86(view, root) : handSv39(view, root);
  const result = new WalkResult();
  const handLoop = () => {
    let s = 0;
    for (let i = 0; i < PAGES; i++) {
      const va = vas[i];
      s += view.getUint32(hand(va) + (va & 0xfff), true);
    }
    consume(s);
  };
  // The MMU's TLB work on a miss, by hand: the Skylake L1 DTLB's 4 KiB array and STLB, LRU.
  const handL1 = handLevel(16, 4);
  const handL2 = handLevel(128, 12);
  const handClock = new Float64Array(1);
  const handFillLoop = () => {
    let s = 0;
    for (let i = 0; i < PAGES; i++) {
      const va = vas[i];
      const pageVa = va - (va & 0xfff);
      let frame: number;
      let e = probe(handL1, pageVa, handClock);
      if (e >= 0) {
        frame = handL1.frame[e];
      } else if ((e = probe(handL2, pageVa, handClock)) >= 0) {
        frame = handL2.frame[e];
        refill(handL1, pageVa, frame, handClock);
      } else {
        frame = hand(va);
        refill(handL2, pageVa, frame, handClock);
        refill(handL1, pageVa, frame, handClock);
      }
      s += view.getUint32(frame + (va & 0xfff), true);
    }
    consume(s);
  };
  const walkerLoop = (mmu: Mmu) => () => {
    const walker = mmu.walker;
    let s = 0;
    for (let i = 0; i < PAGES; i++) {
      const va = vas[i];
      walker.walk(va, Access.Read, Privilege.User, root, ASID, result);
      s += view.getUint32(result.pageBase + (va & 0xfff), true);
    }
    consume(s);
  };
  const readLoop = (mmu: Mmu) => () => {
    let s = 0;
    for (let i = 0; i < PAGES; i++) s += mmu.read32(vas[i]);
    consume(s);
  };
  const flushLoop = () => {
    let s = 0;
    for (let i = 0; i < PAGES; i++) {
      withCaches.invalidateAll();
      s += withCaches.read32(vas[i]);
    }
    consume(s);
  };
  /** Counters of one untimed pass, per access. */
  const counts = (mmu: Mmu, fn: () => void, forced: string) => (): Record<string, string> => {
    mmu.resetStats();
    fn();
    const s = mmu.stats();
    const l1 = s.tlb.l1d.hits / PAGES;
    const l2 = (s.tlb.l2?.hits ?? 0) / PAGES;
    return {
      'misses forced by': forced,
      'PTE reads/op': (s.pteReads / PAGES).toFixed(2),
      'walk-cache hits/op': (s.walkCacheHits / PAGES).toFixed(2),
      'L1/L2 TLB hits/op': `${l1.toFixed(2)}/${l2.toFixed(2)}`,
    };
  };
  /** Entries read and walk-cache hits per walk, from one untimed pass of the walker alone. */
  const walkerCounts = (mmu: Mmu) => (): Record<string, string> => {
    let reads = 0;
    let hits = 0;
    for (let i = 0; i < PAGES; i++) {
      mmu.walker.walk(vas[i], Access.Read, Privilege.User, root, ASID, result);
      reads += result.pteReads;
      hits += result.walkCacheHits;
    }
    return { 'misses forced by': 'no TLB', 'PTE reads/op': (reads / PAGES).toFixed(2), 'walk-cache hits/op': (hits / PAGES).toFixed(2), 'L1/L2 TLB hits/op': 'no TLB' };
  };
  const walkerCachedLoop = walkerLoop(withCaches);
  const walkerPlainLoop = walkerLoop(without);
  const readCached = readLoop(withCaches);
  const readPlain = readLoop(without);
  const stride = `stride ${PAGES} pages`;
  const cases: BjsCase[] = [
    {
      name: `${format} hand-written walk`,
      fn: handLoop,
      opsPerCall: PAGES,
      extra: () => ({ 'misses forced by': 'no TLB', 'PTE reads/op': levels.toFixed(2), 'walk-cache hits/op': '0.00', 'L1/L2 TLB hits/op': 'no TLB' }),
    },
    {
      name: `${format} hand-written walk + fill`,
      fn: handFillLoop,
      opsPerCall: PAGES,
      extra: () => ({ 'misses forced by': stride, 'PTE reads/op': levels.toFixed(2), 'walk-cache hits/op': '0.00', 'L1/L2 TLB hits/op': '0.00/0.00' }),
    },
    { name: `${format} walker.walk, no walk cache`, fn: walkerPlainLoop, opsPerCall: PAGES, extra: walkerCounts(without) },
    { name: `${format} walker.walk, walk caches`, fn: walkerCachedLoop, opsPerCall: PAGES, extra: walkerCounts(withCaches) },
    {
      name: `${format} read32 miss, no walk cache`,
      fn: readPlain,
      opsPerCall: PAGES,
      cycles: () => cyclesOf(() => without.cycles, readPlain, PAGES),
      extra: counts(without, readPlain, stride),
    },
    {
      name: `${format} read32 miss, walk caches`,
      fn: readCached,
      opsPerCall: PAGES,
      cycles: () => cyclesOf(() => withCaches.cycles, readCached, PAGES),
      extra: counts(withCaches, readCached, stride),
    },
  ];
  if (format === 'x86-64') {
    cases.push({
      name: `${format} invalidateAll + read32`,
      fn: flushLoop,
      opsPerCall: PAGES,
      cycles: () => cyclesOf(() => withCaches.cycles, flushLoop, PAGES),
      extra: counts(withCaches, flushLoop, 'invalidateAll()'),
    });
  }
  return cases;
}

/**
 * A page fault delivered to the caller by the MMU alone (no kernel): a read of an address whose
 * PTE is not present (a walk of four levels, the last entry clear), reported by tryRead32 or
 * thrown by read32 and caught, against throwing and catching a plain Error.
 */
function faultCases(): BjsCase[] {
  const { withCaches: mmu } = build('x86-64');
  const unmapped = BASE + PAGES * 4096; // inside the last page table's range: three levels present, the PTE clear
  const OPS_PER_CALL = 64;
  const quiet = () => {
    let n = 0;
    for (let i = 0; i < OPS_PER_CALL; i++) if (mmu.tryRead32(unmapped + i * 8) === FAULTED) n++;
    consume(n);
  };
  const thrown = () => {
    let n = 0;
    for (let i = 0; i < OPS_PER_CALL; i++) {
      try {
        mmu.read32(unmapped + i * 8);
      } catch (e) {
        if (e instanceof PageFaultError) n++;
      }
    }
    consume(n);
  };
  const plainError = () => {
    let n = 0;
    for (let i = 0; i < OPS_PER_CALL; i++) {
      try {
        throw new Error(`fault ${i}`);
      } catch (e) {
        if (e instanceof Error) n++;
      }
    }
    consume(n);
  };
  return [
    { name: 'throw new Error + catch', fn: plainError, opsPerCall: OPS_PER_CALL },
    { name: 'mmu.tryRead32 → FAULTED', fn: quiet, opsPerCall: OPS_PER_CALL },
    { name: 'mmu.read32 → PageFaultError caught', fn: thrown, opsPerCall: OPS_PER_CALL },
  ];
}

/** Garbage collections during many faults reported by tryRead32: the MMU's fault path allocates nothing. */
async function gcDuringFaults(ctx: Context): Promise<string> {
  const { withCaches: mmu } = build('x86-64');
  const unmapped = BASE + PAGES * 4096;
  const faults = ctx.quick ? 20_000 : 500_000;
  const run = (count: number) => {
    let n = 0;
    for (let i = 0; i < count; i++) if (mmu.tryRead32(unmapped + (i & 511) * 8) === FAULTED) n += mmu.faultRecord.vector;
    consume(n);
  };
  run(faults / 10); // optimized first: unoptimized code boxes numbers
  const before = mmu.stats().faults;
  const count = await garbageCollectionsDuring(() => run(faults));
  return `Allocation check: ${mmu.stats().faults - before} page faults reported by tryRead32 (each read from mmu.faultRecord), ${count} garbage collections (the MMU's fault path allocates nothing: expect 0–1).`;
}

export const suite: Suite = {
  name: 'tlb-miss',
  description: 'x86-64 4-level and Sv39 3-level walks, with and without walk caches, vs a hand-written walk',
  async run(ctx: Context) {
    const rows: Row[] = [];
    for (const format of ['x86-64', 'sv39'] as const) rows.push(...runBenchmarkJs(ctx, casesFor(format)));
    const handOf = (row: Row) => `${row.name.split(' ')[0]} hand-written walk`;
    const plainOf = (row: Row) =>
      row.name.includes('walk caches') ? row.name.replace('walk caches', 'no walk cache') : row.name.includes('invalidateAll') ? `${row.name.split(' ')[0]} read32 miss, no walk cache` : undefined;
    printTable({
      title: 'TLB miss: page walks',
      method: `benchmark.js; one op = one access that misses every TLB level (or one walk, for the walker.walk and hand-written rows), then loads 4 bytes. ${PAGES} pages from 0x${BASE.toString(16)} all mapping one data frame, Accessed/Dirty preset; Skylake TLBs; default walk caches: x86-64 PML4E 2, PDPTE 4, PDE 32 entries; Sv39 4 + 8 entries. ± = 95% margin of error.`,
      rows,
      ratios: {
        'vs hand-written': handOf,
        'vs walk + fill': (row) => (row.name.includes('read32') ? `${row.name.split(' ')[0]} hand-written walk + fill` : undefined),
        'vs no walk cache': plainOf,
      },
      extraColumns: ['misses forced by', 'PTE reads/op', 'walk-cache hits/op', 'L1/L2 TLB hits/op'],
      notes: [
        'The read32 rows pay what a miss costs in the MMU: the L1 and L2 probes, the walk, filling both TLB levels (victim choice included) and the load. walker.walk rows are the walk alone.',
      ],
    });
    const faultRows = runBenchmarkJs(ctx, faultCases());
    printTable({
      title: 'Page faults delivered by the MMU (no kernel)',
      method: 'benchmark.js; one op = one read32 of an address whose PTE is clear (x86-64, default walk caches: the walk, the fault record, the delivery). ± = 95% margin of error.',
      rows: faultRows,
      ratios: { 'vs throw + catch': (row) => (row.name.startsWith('throw') ? undefined : 'throw new Error + catch') },
    });
    ctx.targets.note(await gcDuringFaults(ctx));
    const microsecondsOf = (row: Row) => 1e6 / row.opsPerSec;
    ctx.targets.record('mmu-fault-quiet-us', microsecondsOf(rowNamed(faultRows, 'mmu.tryRead32 → FAULTED')));
    ctx.targets.record('mmu-fault-thrown-us', microsecondsOf(rowNamed(faultRows, 'mmu.read32 → PageFaultError caught')));
    const read = rowNamed(rows, 'x86-64 read32 miss, no walk cache');
    const hand = rowNamed(rows, 'x86-64 hand-written walk');
    // The baseline is a hand-written walk + fill: the same TLB work as the MMU's miss, by hand.
    ctx.targets.record('walk-vs-hand', ratio(read, rowNamed(rows, 'x86-64 hand-written walk + fill')), `full miss path, 4 PTE reads; ${ratio(read, hand).toFixed(2)}x the bare hand-written walk`);
    ctx.targets.note(
      `Walks: x86-64 walker.walk alone (no walk cache) ${ratio(rowNamed(rows, 'x86-64 walker.walk, no walk cache'), hand).toFixed(2)}x the hand-written walk; ` +
        `Sv39 read32 miss (no walk cache) ${ratio(rowNamed(rows, 'sv39 read32 miss, no walk cache'), rowNamed(rows, 'sv39 hand-written walk')).toFixed(2)}x, walker alone ${ratio(rowNamed(rows, 'sv39 walker.walk, no walk cache'), rowNamed(rows, 'sv39 hand-written walk')).toFixed(2)}x.`,
    );
  },
};
