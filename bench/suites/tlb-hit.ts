/**
 * TLB hits: `read32`, `write32` and `fetch` whose translation is in the L1 TLB,
 * in accurate mode (the TLB model updated on every hit) and in fast mode (the
 * translation cache alone), against three baselines over the same physical addresses:
 * - a raw typed-array load or store (no translation at all);
 * - a hand-written loop of the same TLB model, inline: 16 sets × 4 ways
 *   (DTLB) or 16 × 8 (ITLB), tag and ASID compare, permission check, LRU
 *   stamp update, cycle count;
 * - a `Map<vpn, frame>` translation (what a first emulator often writes).
 * Once with 32-bit virtual addresses (0x40_0000) and once with 48-bit ones
 * (0x7fff_0000_0000, above 2^32: no 32-bit shortcut applies to them).
 * One more row per width reads a working set that misses the L1 TLB and hits
 * the L2 on every access, compared with the L1 hit.
 */
import { Access, FrameAllocator, Mmu, PageTableBuilder, PhysicalMemory, Privilege, TRANSLATION_CACHE_SLOTS, type MmuMode } from '../../src/index.js';
import { consume, cyclesOf, garbageCollectionsDuring, printTable, rowNamed, ratio, runBenchmarkJs, type BjsCase, type Context, type Row, type Suite } from '../harness.js';
import { handLevel, probe, refill } from '../hand-written-levels.js';

const PAGES = 32; // fits the 64-entry L1 DTLB and the 128-entry L1 ITLB: every access is an L1 hit
/**
 * The L2-hit rows' working set: past the L1 DTLB's reach (64 entries, 16 sets × 4 ways: 32 of
 * these pages per set) and well inside the STLB's (1536 entries, 128 sets × 12 ways: 4 per set),
 * and twice the translation cache's 256 slots. Visited in an order that comes back to a page
 * only after all the others, so under LRU every access misses the L1 and hits the L2.
 */
const L2_PAGES = 512;
const OPS = 1024; // accesses per benchmark call
const ASID = 1;

/** Permission bits of the hand-written model. */
const R = 1;
const W = 2;
const X = 4;

interface Setup {
  mmu: Mmu;
  view: DataView;
  vas: Float64Array;
  pas: Float64Array;
  physicalPages: number[];
}

function build(base: number, mode: MmuMode = 'accurate'): Setup {
  const memory = new PhysicalMemory({ size: 4 << 20 });
  const frames = new FrameAllocator(memory);
  const tables = new PageTableBuilder(memory, 'x86-64', frames);
  const physicalPages: number[] = [];
  for (let i = 0; i < PAGES; i++) {
    const pa = frames.allocate() * 4096;
    physicalPages.push(pa);
    tables.map(base + i * 4096, pa, { writable: true, executable: true, user: true, accessed: true, dirty: true });
  }
  const mmu = new Mmu({ memory, format: 'x86-64', mode });
  mmu.setRoot(tables.root, ASID);
  mmu.setPrivilege(Privilege.User);
  for (let i = 0; i < PAGES; i++) {
    mmu.read32(base + i * 4096);
    mmu.write32(base + i * 4096, 0);
    mmu.fetch(base + i * 4096);
  }
  // Stride through the pages, 64 bytes at a time, in an order that is not sequential.
  const vas = new Float64Array(OPS);
  const pas = new Float64Array(OPS);
  for (let i = 0; i < OPS; i++) {
    const page = (i * 7) % PAGES;
    const offset = (i * 64) & 0xffc;
    vas[i] = base + page * 4096 + offset;
    pas[i] = physicalPages[page] + offset;
  }
  return { mmu, view: memory.view, vas, pas, physicalPages };
}

/** An MMU whose L2 TLB (and not its L1 DTLB) holds all of {@link L2_PAGES} pages, and the order to read them in. */
function buildL2(base: number): { mmu: Mmu; vas: Float64Array; data: number } {
  const memory = new PhysicalMemory({ size: 4 << 20 });
  const frames = new FrameAllocator(memory);
  const tables = new PageTableBuilder(memory, 'x86-64', frames);
  const data = frames.allocate() * 4096;
  for (let i = 0; i < L2_PAGES; i++) tables.map(base + i * 4096, data, { writable: true, user: true, accessed: true, dirty: true });
  const mmu = new Mmu({ memory, format: 'x86-64' });
  mmu.setRoot(tables.root, ASID);
  mmu.setPrivilege(Privilege.User);
  const vas = new Float64Array(OPS);
  for (let i = 0; i < OPS; i++) vas[i] = base + ((i * 7) % L2_PAGES) * 4096 + ((i * 64) & 0xffc);
  // Filled through translate, not read32: the L1-hit rows run after this, and read32's type
  // feedback should not hold slow-path calls before they do (see tablesFor).
  for (let i = 0; i < L2_PAGES; i++) mmu.translate(base + i * 4096, Access.Read);
  return { mmu, vas, data };
}

/**
 * The hand-written model: one set-associative array as parallel typed arrays,
 * filled with the same pages as the MMU's, probed inline.
 */
function handWrittenTlb(base: number, physical: (i: number) => number, sets: number, ways: number) {
  const size = sets * ways;
  const tag = new Float64Array(size).fill(-1);
  const frame = new Float64Array(size);
  const asid = new Int32Array(size);
  const perm = new Uint8Array(size);
  const stamp = new Float64Array(size);
  for (let i = 0; i < PAGES; i++) {
    const va = base + i * 4096;
    const first = ((va >>> 12) & (sets - 1)) * ways;
    for (let e = first; e < first + ways; e++) {
      if (tag[e] === -1) {
        tag[e] = va;
        frame[e] = physical(i);
        asid[e] = ASID;
        perm[e] = R | W | X;
        break;
      }
    }
  }
  return { tag, frame, asid, perm, stamp, setMask: sets - 1, ways };
}

/**
 * The L1-hit rows of one address width, timed now, and the L2-hit case of that width, timed by
 * the caller after every L1-hit row: its accesses all take the slow path, and once the accessors'
 * shared type feedback has seen that, V8 inlines the slow path into every hit loop it optimizes
 * later, which made the L1-hit rows measured after it up to a third slower.
 */
function tablesFor(ctx: Context, label: string, base: number): { rows: Row[]; l2Cases: BjsCase[]; checkL2: () => void } {
  const { mmu, view, vas, pas, physicalPages } = build(base);
  const fast = build(base, 'fast').mmu;
  const pageOf = (i: number) => physicalPages[i];
  const d = handWrittenTlb(base, pageOf, 16, 4); // Skylake L1 DTLB, 4 KiB array: 64 entries, 4-way
  const ins = handWrittenTlb(base, pageOf, 16, 8); // Skylake L1 ITLB: 128 entries, 8-way
  const counters = new Float64Array(2); // [cycles, LRU clock]

  // One function per access kind, the model inline in each, as the MMU's accessors are.
  function handRead32(va: number): number {
    const pageVa = va - (va & 0xfff);
    const first = ((va >>> 12) & 15) * 4;
    for (let e = first; e < first + 4; e++) {
      if (d.tag[e] === pageVa && d.asid[e] === ASID) {
        if ((d.perm[e] & R) === 0) break;
        d.stamp[e] = ++counters[1];
        counters[0] += 1;
        return view.getUint32(d.frame[e] + (va - pageVa), true);
      }
    }
    throw new Error('miss');
  }
  function handWrite32(va: number, value: number): void {
    const pageVa = va - (va & 0xfff);
    const first = ((va >>> 12) & 15) * 4;
    for (let e = first; e < first + 4; e++) {
      if (d.tag[e] === pageVa && d.asid[e] === ASID) {
        if ((d.perm[e] & W) === 0) break;
        d.stamp[e] = ++counters[1];
        counters[0] += 1;
        view.setUint32(d.frame[e] + (va - pageVa), value, true);
        return;
      }
    }
    throw new Error('miss');
  }
  function handFetch(va: number): number {
    const pageVa = va - (va & 0xfff);
    const first = ((va >>> 12) & 15) * 8;
    for (let e = first; e < first + 8; e++) {
      if (ins.tag[e] === pageVa && ins.asid[e] === ASID) {
        if ((ins.perm[e] & X) === 0) break;
        ins.stamp[e] = ++counters[1];
        counters[0] += 1;
        return view.getUint32(ins.frame[e] + (va - pageVa), true);
      }
    }
    throw new Error('miss');
  }

  const map = new Map<number, number>();
  for (let i = 0; i < PAGES; i++) map.set(Math.floor((base + i * 4096) / 4096), pageOf(i));

  const mmuCycles = () => mmu.cycles;
  const handCycles = () => counters[0];
  // Every loop written out, so each call site sees one function and may inline it.
  const rawLoad = () => {
    let s = 0;
    for (let i = 0; i < OPS; i++) s += view.getUint32(pas[i], true);
    consume(s);
  };
  const handReads = () => {
    let s = 0;
    for (let i = 0; i < OPS; i++) s += handRead32(vas[i]);
    consume(s);
  };
  const mapReads = () => {
    let s = 0;
    for (let i = 0; i < OPS; i++) {
      const va = vas[i];
      s += view.getUint32(map.get(Math.floor(va / 4096))! + (va % 4096), true);
    }
    consume(s);
  };
  const mmuReads = () => {
    let s = 0;
    for (let i = 0; i < OPS; i++) s += mmu.read32(vas[i]);
    consume(s);
  };
  const rawStores = () => {
    for (let i = 0; i < OPS; i++) view.setUint32(pas[i], i, true);
  };
  const handWrites = () => {
    for (let i = 0; i < OPS; i++) handWrite32(vas[i], i);
  };
  const mapWrites = () => {
    for (let i = 0; i < OPS; i++) {
      const va = vas[i];
      view.setUint32(map.get(Math.floor(va / 4096))! + (va % 4096), i, true);
    }
  };
  const mmuWrites = () => {
    for (let i = 0; i < OPS; i++) mmu.write32(vas[i], i);
  };
  const handFetches = () => {
    let s = 0;
    for (let i = 0; i < OPS; i++) s += handFetch(vas[i]);
    consume(s);
  };
  const mmuFetches = () => {
    let s = 0;
    for (let i = 0; i < OPS; i++) s += mmu.fetch(vas[i]);
    consume(s);
  };
  const fastReads = () => {
    let s = 0;
    for (let i = 0; i < OPS; i++) s += fast.read32(vas[i]);
    consume(s);
  };
  const fastWrites = () => {
    for (let i = 0; i < OPS; i++) fast.write32(vas[i], i);
  };
  const fastFetches = () => {
    let s = 0;
    for (let i = 0; i < OPS; i++) s += fast.fetch(vas[i]);
    consume(s);
  };
  // The hit check an interpreter or JIT inlines in fast mode (docs/emulator-loop.md): the
  // translation cache's arrays read directly, the MMU called only when the check fails.
  const cache = fast.translationCache; // the privilege stays supervisor throughout
  const fastView = fast.memory.view;
  const slotMask = TRANSLATION_CACHE_SLOTS - 1;
  const inlinedReads = () => {
    const readTag = cache.readTag;
    const dataAddend = cache.dataAddend;
    let s = 0;
    for (let i = 0; i < OPS; i++) {
      const va = vas[i];
      const slot = (va >>> 12) & slotMask;
      s += readTag[slot] === va - (va & 0xfff) && (va & 0xfff) <= 4092 ? fastView.getUint32(va + dataAddend[slot], true) : fast.read32(va);
    }
    consume(s);
  };
  // The wide accessors (src/mmu/wide-access.ts), given the 64-bit register an emulator keeps:
  // canonical, so a 48-bit VA with bit 47 set is its sign extension.
  const registerOf = (va: number): bigint => (va >= 2 ** 47 ? BigInt(va) - (1n << 48n) : BigInt(va));
  const highs = Int32Array.from(vas, (va) => Number(BigInt.asIntN(32, registerOf(va) >> 32n)));
  const lows = Int32Array.from(vas, (va) => Number(BigInt.asIntN(32, registerOf(va))));
  const bigs = Array.from(vas, registerOf);
  const halvesReads = () => {
    let s = 0;
    for (let i = 0; i < OPS; i++) s += mmu.readHalves(highs[i], lows[i], 4);
    consume(s);
  };
  const bigReads = () => {
    let s = 0n;
    for (let i = 0; i < OPS; i++) s += mmu.readN(bigs[i], 4);
    consume(Number(s & 0xffffn));
  };
  const fastCycles = () => fast.cycles;
  const l2 = buildL2(base);
  const l2Reads = () => {
    let s = 0;
    for (let i = 0; i < OPS; i++) s += l2.mmu.read32(l2.vas[i]);
    consume(s);
  };
  /** TLB hits per access in one untimed pass: every one must be an L1 miss and an L2 hit. */
  const l2Levels = (): Record<string, string> => {
    const before = l2.mmu.stats().tlb;
    l2Reads();
    const after = l2.mmu.stats().tlb;
    const l1Hits = (after.l1d.hits - before.l1d.hits) / OPS;
    const l2Hits = ((after.l2?.hits ?? 0) - (before.l2?.hits ?? 0)) / OPS;
    return { 'L1/L2 TLB hits/op': `${l1Hits.toFixed(2)}/${l2Hits.toFixed(2)}` };
  };
  const cases: BjsCase[] = [
    { name: `${label} raw load`, fn: rawLoad, opsPerCall: OPS },
    { name: `${label} hand-written read32`, fn: handReads, opsPerCall: OPS, cycles: () => cyclesOf(handCycles, handReads, OPS) },
    { name: `${label} Map read32`, fn: mapReads, opsPerCall: OPS },
    { name: `${label} mmu.read32`, fn: mmuReads, opsPerCall: OPS, cycles: () => cyclesOf(mmuCycles, mmuReads, OPS) },
    { name: `${label} raw store`, fn: rawStores, opsPerCall: OPS },
    { name: `${label} hand-written write32`, fn: handWrites, opsPerCall: OPS, cycles: () => cyclesOf(handCycles, handWrites, OPS) },
    { name: `${label} Map write32`, fn: mapWrites, opsPerCall: OPS },
    { name: `${label} mmu.write32`, fn: mmuWrites, opsPerCall: OPS, cycles: () => cyclesOf(mmuCycles, mmuWrites, OPS) },
    { name: `${label} hand-written fetch`, fn: handFetches, opsPerCall: OPS, cycles: () => cyclesOf(handCycles, handFetches, OPS) },
    { name: `${label} mmu.fetch`, fn: mmuFetches, opsPerCall: OPS, cycles: () => cyclesOf(mmuCycles, mmuFetches, OPS) },
    { name: `${label} fast read32`, fn: fastReads, opsPerCall: OPS, cycles: () => cyclesOf(fastCycles, fastReads, OPS) },
    { name: `${label} fast write32`, fn: fastWrites, opsPerCall: OPS, cycles: () => cyclesOf(fastCycles, fastWrites, OPS) },
    { name: `${label} fast fetch`, fn: fastFetches, opsPerCall: OPS, cycles: () => cyclesOf(fastCycles, fastFetches, OPS) },
    { name: `${label} fast, check inlined by the caller, read32`, fn: inlinedReads, opsPerCall: OPS },
    { name: `${label} mmu.readHalves (register as two int32s), read32`, fn: halvesReads, opsPerCall: OPS, cycles: () => cyclesOf(mmuCycles, halvesReads, OPS) },
    { name: `${label} mmu.readN (register as a bigint), read32`, fn: bigReads, opsPerCall: OPS, cycles: () => cyclesOf(mmuCycles, bigReads, OPS) },
  ];
  const l2Case: BjsCase = { name: `${label} mmu.read32, L2 hit`, fn: l2Reads, opsPerCall: OPS, cycles: () => cyclesOf(() => l2.mmu.cycles, l2Reads, OPS), extra: l2Levels };
  // The same work written by hand (bench/hand-written-levels.ts): the L1 DTLB's 4 KiB array and the
  // STLB, LRU; each access misses the L1, hits the L2 and refills the L1 over its LRU victim.
  const handL1 = handLevel(16, 4);
  const handL2 = handLevel(128, 12);
  const handClock = new Float64Array(2); // [LRU clock, cycles]
  for (let i = 0; i < L2_PAGES; i++) refill(handL2, base + i * 4096, l2.data, handClock);
  const l2View = l2.mmu.memory.view;
  function handTwoLevelRead32(va: number): number {
    const pageVa = va - (va & 0xfff);
    let e = probe(handL1, pageVa, handClock);
    if (e >= 0) {
      handClock[1] += 1;
      return l2View.getUint32(handL1.frame[e] + (va - pageVa), true);
    }
    e = probe(handL2, pageVa, handClock);
    if (e < 0) throw new Error('miss');
    handClock[1] += 8;
    refill(handL1, pageVa, handL2.frame[e], handClock);
    return l2View.getUint32(handL2.frame[e] + (va - pageVa), true);
  }
  const handL2Reads = () => {
    let s = 0;
    for (let i = 0; i < OPS; i++) s += handTwoLevelRead32(l2.vas[i]);
    consume(s);
  };
  const handL2Case: BjsCase = { name: `${label} hand-written read32, L2 hit`, fn: handL2Reads, opsPerCall: OPS };
  const walksBefore = mmu.stats().walks;
  const fastWalksBefore = fast.stats().walks;
  const l2Before = l2.mmu.stats();
  const rows = runBenchmarkJs(ctx, cases);
  const walks = mmu.stats().walks - walksBefore;
  if (walks !== 0) throw new Error(`expected only L1 hits, saw ${walks} walks`);
  if (fast.stats().walks !== fastWalksBefore) throw new Error(`fast mode walked during the timed runs; expected only hits`);
  const checkL2 = () => {
    const l2After = l2.mmu.stats();
    const l1Hits = l2After.tlb.l1d.hits - l2Before.tlb.l1d.hits;
    if (l2After.walks !== l2Before.walks || l1Hits !== 0) {
      throw new Error(`expected only L1 misses that hit the L2, saw ${l1Hits} L1 hits and ${l2After.walks - l2Before.walks} walks`);
    }
  };
  return { rows, l2Cases: [l2Case, handL2Case], checkL2 };
}

/** The baseline row of each kind for a row, from the row's name: `<width> <what> <access>`. */
function baselineFor(kind: 'raw' | 'hand' | 'map') {
  return (row: Row): string | undefined => {
    const width = row.name.split(' ')[0];
    const n = row.name;
    const access = n.endsWith('write32') ? 'write32' : n.endsWith('fetch') ? 'fetch' : n.endsWith('read32') ? 'read32' : null;
    if (n.includes(' fast') && kind !== 'raw') return undefined;
    if (kind === 'raw') return `${width} ${n.endsWith('store') || access === 'write32' ? 'raw store' : 'raw load'}`;
    if (access === null) return undefined;
    if (kind === 'hand') return `${width} hand-written ${access}`;
    return access === 'fetch' ? undefined : `${width} Map ${access}`;
  };
}

/** An Sv39 MMU in S-mode with one page mapped and cached, for the RISC-V M-mode rows. */
function riscvMmu(): Mmu {
  const memory = new PhysicalMemory({ size: 1 << 20 });
  const tables = new PageTableBuilder(memory, 'sv39', new FrameAllocator(memory));
  tables.map(0x40_0000, 0x8000, { writable: true });
  const mmu = new Mmu({ memory, format: 'sv39' });
  mmu.setRoot(tables.root, 1);
  mmu.read32(0x40_0000);
  return mmu;
}

/**
 * Mode and control changes a guest makes often: SUM/AC toggled around user copies (STAC/CLAC),
 * user/supervisor switches on every trap, RISC-V M-mode entered and left (a trap to firmware and
 * its mret) and MPRV set and cleared around it, paging turned off and on (x86 CR0.PG, RISC-V satp
 * to Bare and back), a full flush. One op = one change; the pairs count as two.
 */
function controlCases(): BjsCase[] {
  const { mmu } = build(0x40_0000);
  const riscv = riscvMmu();
  const on = { sum: true, ac: true };
  const off = { sum: false, ac: false };
  return [
    { name: 'setControls (SUM and AC on, then off)', fn: () => { mmu.setControls(on); mmu.setControls(off); }, opsPerCall: 2 },
    { name: 'setPrivilege (user, then supervisor)', fn: () => { mmu.setPrivilege(Privilege.User); mmu.setPrivilege(Privilege.Supervisor); }, opsPerCall: 2 },
    { name: 'RISC-V M-mode entry and exit (setPrivilege Machine, then Supervisor)', fn: () => { riscv.setPrivilege(Privilege.Machine); riscv.setPrivilege(Privilege.Supervisor); }, opsPerCall: 2 },
    { name: 'RISC-V MPRV set and cleared (setModifyPrivilege S, then null)', fn: () => { riscv.setModifyPrivilege(Privilege.Supervisor); riscv.setModifyPrivilege(null); }, opsPerCall: 2 },
    { name: 'setPaging (off, then on)', fn: () => { mmu.setPaging(false); mmu.setPaging(true); }, opsPerCall: 2 },
    { name: 'read32 of 32 pages, then invalidateAll', fn: () => { for (let i = 0; i < PAGES; i++) mmu.read32(0x40_0000 + i * 4096); mmu.invalidateAll(); }, opsPerCall: 1 },
  ];
}

async function gcDuringHits(ctx: Context): Promise<string> {
  const { mmu, vas } = build(0x40_0000);
  const rounds = ctx.quick ? 200 : 2000;
  const walksBefore = mmu.stats().walks;
  const count = await garbageCollectionsDuring(() => {
    let s = 0;
    for (let round = 0; round < rounds; round++) for (let i = 0; i < OPS; i++) s += mmu.read32(vas[i]);
    consume(s);
  });
  return `Allocation check: ${rounds * OPS} L1-hit read32, ${mmu.stats().walks - walksBefore} walks, ${count} garbage collections (the hit path allocates nothing: expect 0–1).`;
}

export const suite: Suite = {
  name: 'tlb-hit',
  description: 'read32 / write32 / fetch hitting the L1 TLB, 32- and 48-bit VAs, vs raw loads, a hand-written TLB and a Map; read32 missing the L1 and hitting the L2',
  async run(ctx) {
    const narrow = tablesFor(ctx, '32-bit', 0x40_0000);
    const wide = tablesFor(ctx, '48-bit', 0x7fff_0000_0000);
    const [narrowL2, narrowHandL2, wideL2, wideHandL2] = runBenchmarkJs(ctx, [...narrow.l2Cases, ...wide.l2Cases]);
    narrow.checkL2();
    wide.checkL2();
    const rows = [...narrow.rows, narrowL2, narrowHandL2, ...wide.rows, wideL2, wideHandL2];
    const gcLine = await gcDuringHits(ctx);
    const controls = runBenchmarkJs(ctx, controlCases());
    printTable({
      title: 'Mode and control changes',
      method: 'benchmark.js; one op = one change (each case alternates two). The last row refills 32 L1 entries by walks before each full flush, so its time is mostly those walks.',
      rows: controls,
      ratios: {},
    });
    const nsPerChange = (name: string) => 1e9 / rowNamed(controls, name).opsPerSec;
    ctx.targets.record(
      'controls-ns',
      Math.max(
        nsPerChange('setControls (SUM and AC on, then off)'),
        nsPerChange('setPrivilege (user, then supervisor)'),
        nsPerChange('RISC-V M-mode entry and exit (setPrivilege Machine, then Supervisor)'),
      ),
      'the slowest of setControls, setPrivilege and M-mode entry/exit',
    );
    printTable({
      title: 'TLB hit (L1), x86-64 tables, Skylake TLBs',
      method: `benchmark.js; one op = one access; ${OPS} accesses per call over ${PAGES} pages (all L1 hits; the "L2 hit" rows: see under the table), 64-byte stride in a shuffled page order. 32-bit VAs at 0x40_0000, 48-bit VAs at 0x7fff_0000_0000. "mmu." rows: accurate mode (every hit updates the TLB model); "fast" rows: fast mode (translation-cache hits, the model untouched); "check inlined by the caller": the bench's loop tests the translation cache's arrays itself and calls the MMU only on a failed check, as an interpreter or JIT may (no cycles counted for its hits). ± = 95% margin of error. Ratios are row time / baseline time.`,
      rows,
      ratios: {
        'vs raw': baselineFor('raw'),
        'vs hand-written': baselineFor('hand'),
        'vs Map': baselineFor('map'),
        'vs L1 hit': (row) => (row.name.endsWith('L2 hit') ? `${row.name.split(' ')[0]} ${row.name.includes('hand-written') ? 'hand-written read32' : 'mmu.read32'}` : undefined),
      },
      extraColumns: ['L1/L2 TLB hits/op'],
      notes: [
        gcLine,
        `The "L2 hit" rows read ${L2_PAGES} pages, past the L1 DTLB's reach and inside the L2's, in an order that comes back to a page only after all the others: every access misses the L1 (and the translation cache) and hits the L2, which then refills the L1 (its LRU victim evicted). "hand-written read32, L2 hit" does that work by hand (two LRU levels as typed arrays, bench/hand-written-levels.ts): the floor of the model's own work, its "vs L1 hit" against the hand-written L1 hit.`,
      ],
    });
    const r32 = rowNamed(rows, '32-bit mmu.read32');
    ctx.targets.record('hit-vs-hand', ratio(r32, rowNamed(rows, '32-bit hand-written read32')), '32-bit VAs');
    ctx.targets.record('hit-vs-map', ratio(r32, rowNamed(rows, '32-bit Map read32')), '32-bit VAs');
    const handL2Ratio = ratio(rowNamed(rows, '32-bit hand-written read32, L2 hit'), rowNamed(rows, '32-bit hand-written read32'));
    ctx.targets.record(
      'l2-vs-l1',
      ratio(rowNamed(rows, '32-bit mmu.read32, L2 hit'), r32),
      `32-bit VAs; ${ratio(rowNamed(rows, '32-bit mmu.read32, L2 hit'), rowNamed(rows, '32-bit hand-written read32, L2 hit')).toFixed(2)}x the hand-written L2 hit, which is ${handL2Ratio.toFixed(2)}x the hand-written L1 hit`,
    );
    ctx.targets.record('fast-vs-raw-32', ratio(rowNamed(rows, '32-bit fast read32'), rowNamed(rows, '32-bit raw load')));
    ctx.targets.record('fast-vs-raw-48', ratio(rowNamed(rows, '48-bit fast read32'), rowNamed(rows, '48-bit raw load')));
    ctx.targets.note(
      `fast mode with the hit check inlined by the caller (the translation cache's arrays, docs/emulator-loop.md): ` +
        `${ratio(rowNamed(rows, '32-bit fast, check inlined by the caller, read32'), rowNamed(rows, '32-bit raw load')).toFixed(2)}x a raw load (32-bit VAs), ` +
        `${ratio(rowNamed(rows, '48-bit fast, check inlined by the caller, read32'), rowNamed(rows, '48-bit raw load')).toFixed(2)}x (48-bit VAs); no cycles are counted for such hits.`,
    );
    const r48 = rowNamed(rows, '48-bit mmu.read32');
    ctx.targets.note(
      `48-bit VAs: read32 hit ${ratio(r48, rowNamed(rows, '48-bit hand-written read32')).toFixed(2)}x the hand-written loop, ${ratio(r48, rowNamed(rows, '48-bit raw load')).toFixed(2)}x a raw load, L2 hit ${ratio(rowNamed(rows, '48-bit mmu.read32, L2 hit'), r48).toFixed(2)}x an L1 hit; ` +
        `write32 ${ratio(rowNamed(rows, '32-bit mmu.write32'), rowNamed(rows, '32-bit hand-written write32')).toFixed(2)}x and fetch ${ratio(rowNamed(rows, '32-bit mmu.fetch'), rowNamed(rows, '32-bit hand-written fetch')).toFixed(2)}x their hand-written loops (32-bit VAs).`,
    );
  },
};
