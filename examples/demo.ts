/**
 * The README's demo: one emulated x86-64 CPU over 16 MiB of RAM. It builds page
 * tables, runs a user-mode access pattern through the MMU (misses, walks, hits),
 * takes a protection fault the way a guest would see it, resolves demand-paging
 * faults with a handler, and prints TLB statistics and cycles.
 *
 * Run: npm run demo
 */
import {
  FaultResolution,
  FrameAllocator,
  Mmu,
  PageFaultError,
  PageTableBuilder,
  PhysicalMemory,
  Privilege,
  type MmuStats,
} from '../src/index.js';

const PAGE = 4096;
const CODE = 0x40_0000;
const DATA = 0x60_0000;
const HUGE = 0x80_0000;
const HEAP = 0x1000_0000;

export interface DemoResult {
  stats: MmuStats;
  protectionFault: string;
  demandFaults: number;
  lines: string[];
}

/** Runs the scenario and returns what it printed, so tests can check it. */
export function runDemo(): DemoResult {
  const lines: string[] = [];
  const say = (line: string) => lines.push(line);

  const memory = new PhysicalMemory({ size: 16 << 20 });
  // The first 2 MiB of RAM stay out of the allocator: the 2 MiB page below maps them.
  const frames = new FrameAllocator(memory, { reserved: 512 });
  const tables = new PageTableBuilder(memory, 'x86-64', frames);
  const mmu = new Mmu({ memory, format: 'x86-64' });

  // A code page (read + execute), 128 data pages (read + write), one 2 MiB page.
  tables.map(CODE, frames.allocate() * PAGE, { user: true, executable: true });
  for (let i = 0; i < 128; i++) tables.map(DATA + i * PAGE, frames.allocate() * PAGE, { user: true, writable: true });
  tables.map(HUGE, 0, { user: true, writable: true, pageShift: 21 });

  mmu.setRoot(tables.root, 1);
  mmu.setPrivilege(Privilege.User);
  say(`x86-64, 4-level paging, Skylake TLBs; root table at 0x${tables.root.toString(16)}, PCID 1, user mode`);

  // 1. Instruction fetch: ITLB miss, a 4-level walk, then hits.
  mmu.fetch(CODE);
  mmu.fetch(CODE + 4);
  say(`fetch 0x${CODE.toString(16)}: ITLB miss, walk of ${mmu.stats().pteReads} entries; next fetch hits`);

  // 2. Data: write then read 128 pages, twice. The L1 DTLB (64 entries) cannot hold them all.
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 128; i++) mmu.write32(DATA + i * PAGE, i);
    for (let i = 0; i < 128; i++) if (mmu.read32(DATA + i * PAGE) !== i) throw new Error('data mismatch');
  }
  say('wrote and read 128 data pages twice: L1 DTLB misses, STLB hits on the second round');

  // 3. One 2 MiB page: 512 pages' worth of accesses, one walk.
  const walksBefore = mmu.stats().walks;
  for (let va = HUGE; va < HUGE + 0x20_0000; va += PAGE) mmu.read8(va);
  say(`read every 4 KiB of a 2 MiB page: ${mmu.stats().walks - walksBefore} walk`);

  // 4. A write to the read-only code page: the fault a guest kernel would receive.
  let protectionFault = '';
  try {
    mmu.write32(CODE, 0x90909090);
  } catch (e) {
    if (!(e instanceof PageFaultError)) throw e;
    const f = e.fault;
    protectionFault = `${f.toString()} -> inject vector ${f.vector}, error code 0x${f.errorCode.toString(16)}, CR2 0x${f.faultAddress.toString(16)}`;
  }
  say(`write to the code page: ${protectionFault}`);

  // 5. Demand paging: a handler maps a zeroed frame on first touch of the heap and retries.
  let demandFaults = 0;
  mmu.faultHandler = {
    handleFault(fault) {
      if (fault.address < HEAP || fault.address >= HEAP + 64 * PAGE) return FaultResolution.Deliver;
      tables.map(fault.address - (fault.address % PAGE), frames.allocate() * PAGE, { user: true, writable: true });
      demandFaults++;
      return FaultResolution.Retry;
    },
  };
  for (let i = 0; i < 16; i++) mmu.write32(HEAP + i * PAGE + 8, 0xc0ffee);
  say(`touched 16 heap pages: ${demandFaults} demand-zero faults resolved by the handler`);

  const stats = mmu.stats();
  say('');
  say('TLB       hits   misses  evictions');
  for (const [name, s] of [
    ['L1 ITLB', stats.tlb.l1i],
    ['L1 DTLB', stats.tlb.l1d],
    ['STLB', stats.tlb.l2],
  ] as const) {
    if (s) say(`${name.padEnd(8)} ${String(s.hits).padStart(6)} ${String(s.misses).padStart(8)} ${String(s.evictions).padStart(10)}`);
  }
  say('');
  say(`walks ${stats.walks} (${stats.walkCacheHits} shortened by the paging-structure caches), PTE reads ${stats.pteReads}, A/D writes ${stats.pteWrites}, faults ${stats.faults} (${stats.faultRetries} resolved)`);
  say(`cycles ${stats.cycles}`);
  return { stats, protectionFault, demandFaults, lines };
}

// Print when run directly (npm run demo), not when a test imports it.
if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of runDemo().lines) console.log(line);
}
