/**
 * Bulk access through the MMU: `readBytes`, `writeBytes` and `copyBytes` of 1 MiB of virtual
 * memory, against `Uint8Array.prototype.set` of 1 MiB (the bare copy, no translation), and
 * against reading the same 1 MiB with 262 144 `read32` calls (what hashing guest memory cost
 * before the bulk accessors).
 *
 * The 256 pages fit the L2 TLB but not the 64-entry L1 DTLB, so each page translation is an L1
 * miss and an L2 hit. Twice over: frames in one contiguous run (the frame allocator's usual
 * result), and frames shuffled (each page its own copy).
 */
import { FrameAllocator, Mmu, PageTableBuilder, PhysicalMemory } from '../../src/index.js';
import { consume, cyclesOf, printTable, prng, ratio, rowNamed, runBenchmarkJs, type BjsCase, type Context, type Row, type Suite } from '../harness.js';

const MIB = 1 << 20;
const PAGES = MIB / 4096;
const SOURCE = 0x1000_0000;
const DESTINATION = 0x2000_0000;

function build(shuffled: boolean) {
  const memory = new PhysicalMemory({ size: 8 << 20 });
  const frames = new FrameAllocator(memory);
  const tables = new PageTableBuilder(memory, 'x86-64', frames);
  for (const base of [SOURCE, DESTINATION]) {
    const pas = Array.from({ length: PAGES }, () => frames.allocate() * 4096);
    if (shuffled) {
      const random = prng(base);
      for (let i = pas.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [pas[i], pas[j]] = [pas[j], pas[i]];
      }
    }
    pas.forEach((pa, i) => tables.map(base + i * 4096, pa, { writable: true, accessed: true, dirty: true }));
  }
  const mmu = new Mmu({ memory, format: 'x86-64' });
  mmu.setRoot(tables.root, 1);
  const data = Uint8Array.from({ length: MIB }, (_, i) => (i * 7) & 0xff);
  mmu.writeBytes(SOURCE, data);
  return { memory, mmu, data };
}

function cases(label: string, shuffled: boolean): BjsCase[] {
  const { memory, mmu, data } = build(shuffled);
  const into = new Uint8Array(MIB);
  const ramStart = 0x10_0000; // any 1 MiB of RAM: the bare copy translates nothing
  const mmuCycles = () => mmu.cycles;
  const readBytes = () => {
    mmu.readBytes(SOURCE, MIB, into);
    consume(into[4097]);
  };
  const writeBytes = () => mmu.writeBytes(DESTINATION, data);
  const copyBytes = () => mmu.copyBytes(DESTINATION, SOURCE, MIB);
  // The same tables under a second MMU in fast mode: its translation-cache slots outlive the L1
  // entries they came from, so a repeated 1 MiB read finds all 256 pages in the cache's 256 slots.
  const fast = new Mmu({ memory, format: 'x86-64', mode: 'fast' });
  fast.setRoot(mmu.root, 1);
  const fastReadBytes = () => {
    fast.readBytes(SOURCE, MIB, into);
    consume(into[4097]);
  };
  const list: BjsCase[] = [
    { name: `${label} mmu.readBytes`, fn: readBytes, opsPerCall: 1, cycles: () => cyclesOf(mmuCycles, readBytes, 1) },
    { name: `${label} mmu.readBytes, fast mode`, fn: fastReadBytes, opsPerCall: 1, cycles: () => cyclesOf(() => fast.cycles, fastReadBytes, 1) },
    { name: `${label} mmu.writeBytes`, fn: writeBytes, opsPerCall: 1, cycles: () => cyclesOf(mmuCycles, writeBytes, 1) },
    { name: `${label} mmu.copyBytes`, fn: copyBytes, opsPerCall: 1, cycles: () => cyclesOf(mmuCycles, copyBytes, 1) },
  ];
  if (!shuffled) {
    const bareSet = () => {
      into.set(memory.bytes.subarray(ramStart, ramStart + MIB));
      consume(into[4097]);
    };
    const read32Loop = () => {
      let s = 0;
      for (let va = SOURCE; va < SOURCE + MIB; va += 4) s = (s + mmu.read32(va)) | 0;
      consume(s);
    };
    list.unshift({ name: 'Uint8Array.set', fn: bareSet, opsPerCall: 1 });
    list.push({ name: `${label} 262144 × mmu.read32`, fn: read32Loop, opsPerCall: 1, cycles: () => cyclesOf(mmuCycles, read32Loop, 1) });
  }
  return list;
}

export const suite: Suite = {
  name: 'bulk',
  description: 'readBytes / writeBytes / copyBytes of 1 MiB through the MMU vs Uint8Array.set and a read32 loop',
  run(ctx: Context) {
    const rows: Row[] = [...runBenchmarkJs(ctx, cases('contiguous', false)), ...runBenchmarkJs(ctx, cases('shuffled', true))];
    printTable({
      title: 'Bulk access, 1 MiB (256 pages), x86-64 tables, Skylake TLBs',
      method: 'benchmark.js; one op = 1 MiB moved. Accurate mode unless the row says fast: pages are L2-TLB hits (256 pages > the 64-entry L1 DTLB); in fast mode they are translation-cache hits after the first call. "contiguous": frames in one physical run; "shuffled": frames in a random order. ± = 95% margin of error.',
      rows,
      ratios: { 'vs Uint8Array.set': (row) => (row.name === 'Uint8Array.set' ? undefined : 'Uint8Array.set') },
    });
    const read = rowNamed(rows, 'contiguous mmu.readBytes');
    ctx.targets.record(
      'bulk-vs-set',
      ratio(read, rowNamed(rows, 'Uint8Array.set')),
      `contiguous frames, accurate mode; fast mode ${ratio(rowNamed(rows, 'contiguous mmu.readBytes, fast mode'), rowNamed(rows, 'Uint8Array.set')).toFixed(2)}x`,
    );
    ctx.targets.note(
      `Bulk: readBytes of 1 MiB with shuffled frames ${ratio(rowNamed(rows, 'shuffled mmu.readBytes'), rowNamed(rows, 'Uint8Array.set')).toFixed(2)}x Uint8Array.set; ` +
        `the same 1 MiB by read32 ${ratio(rowNamed(rows, 'contiguous 262144 × mmu.read32'), read).toFixed(0)}x readBytes.`,
    );
  },
};
