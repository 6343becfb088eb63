/**
 * The seed's scenario (shared/seed/memory-protection.txt) as a function of the
 * DLL's bytes, with no Node API: `seed-demo.ts` runs it in Node (`npm run demo`)
 * and `browser/` runs the same code in a web page.
 *
 * Two processes load the same DLL at its default base and share all of its
 * physical pages. One writes a data page and gets its own copy; the other does
 * not see the change. A third finds the DLL's base taken, loads it elsewhere
 * and pays for a private copy of every page that holds a fixup — for this
 * 32-bit DLL, whose code addresses its data absolutely, the whole code section.
 * Then the same under the ASLR policy, where the kernel relocates once and
 * every process shares the relocated pages.
 */
import {
  FRAME_SIZE,
  Kernel,
  MEM_RESERVE,
  PAGE_READWRITE,
  frameMappingCounts,
  imageReport,
  type ImageReport,
  type Process,
  type RelocationPolicy,
  WindowsExceptionError,
} from '../src/index.js';

/** One process's line of the report. */
export interface SeedRow {
  name: string;
  image: ImageReport;
  demandZeroFaults: number;
  sectionFaults: number;
  copyOnWriteFaults: number;
  relocatedPages: number;
  cycles: number;
}

/** What one run under one policy found. */
export interface SeedRun {
  policy: RelocationPolicy;
  rows: SeedRow[];
  /** What process 2 read at the data page process 1 wrote, and what process 1 wrote. */
  isolation: { written: number; seenByOther: number };
  usedFrames: number;
  lines: string[];
  /** The kernel after the run, to inspect further (the browser page draws each process's memory map from it). */
  kernel: Kernel;
  /** The three processes, in the order of {@link SeedRun.rows}. */
  processes: Process[];
}

/** What each relocation policy means, printed under the policy's heading. */
const POLICY_TEXT: Record<RelocationPolicy, string[]> = {
  private: [
    "  (pre-ASLR, the seed's model: a process that cannot load the DLL at its preferred base relocates",
    '  its own copy, so every page holding a fixup becomes a private page of that process)',
  ],
  aslr: [
    '  (the kernel picks one system-wide base for the DLL and relocates it once; every process that',
    '  maps the DLL there shares the relocated pages)',
  ],
};

/** What the table's columns count, printed under it. */
const COLUMNS_TEXT = [
  'shared, private: pages of the DLL on frames another process also maps / on frames of its own',
  'reloc-copies, write-copies: private pages made because fixups were written / by copy-on-write',
  'saved KiB: shared pages x 4 KiB, the physical memory this process does not need thanks to sharing',
  'page-ins, relocations: faults taken while the process loaded the DLL and touched every page',
  '  (reading a page of the DLL in; relocating a page into a private copy); the write comes after',
  "cycles: emulated CPU cycles charged to the process's CPU: TLB lookups, page walks, faults and",
  "  the kernel's work in them (docs/cycle-model.md); process 1 also paid for the copy-on-write",
];

/** Runs the scenario under one policy. */
export function runSeed(dll: Uint8Array, policy: RelocationPolicy): SeedRun {
  const kernel = new Kernel({ cpus: 3, memorySize: 32 << 20, relocationPolicy: policy });
  const names = ['process 1', 'process 2', 'process 3'];
  const processes: Process[] = names.map(() => kernel.createProcess());
  const section = kernel.createImageSection(dll);
  const pe = section.image!.pe;

  // Process 3 already has something at the DLL's preferred base.
  processes[2].virtualAlloc(pe.imageBase, pe.mappedSize, MEM_RESERVE, PAGE_READWRITE);

  const loadFaults: Array<{ demandZeroFaults: number; sectionFaults: number; copyOnWriteFaults: number; relocatedPages: number }> = [];
  const bases: number[] = [];
  processes.forEach((process, i) => {
    const cpu = kernel.run(i, process);
    const statsBefore = { ...kernel.stats };
    const loaded = process.loadImage(section);
    bases.push(loaded.base);
    // Touch every page the way running code would: fetch from code, read data.
    for (let page = 0; page < pe.mappedSize / FRAME_SIZE; page++) {
      try {
        cpu.mmu.read8(loaded.base + page * FRAME_SIZE);
      } catch (error) {
        // A NOACCESS page (none in this DLL) would fault: nothing to share there.
        if (!(error instanceof WindowsExceptionError)) throw error;
      }
    }
    const after = kernel.stats;
    loadFaults.push({
      demandZeroFaults: after.demandZeroFaults - statsBefore.demandZeroFaults,
      sectionFaults: after.sectionFaults - statsBefore.sectionFaults,
      copyOnWriteFaults: after.copyOnWriteFaults - statsBefore.copyOnWriteFaults,
      relocatedPages: after.relocatedPages - statsBefore.relocatedPages,
    });
  });

  // Process 1 writes its first writable data page: copy-on-write gives it its own copy.
  const dataPage = section.image!.protections.findIndex((p, i) => i > 0 && (p === 0x08 || p === 0x80) && section.image!.fixupPages[i] === 0);
  const writable = dataPage >= 0 ? dataPage : section.image!.protections.findIndex((p) => p === 0x08);
  const offset = writable * FRAME_SIZE + 16;
  const cpu1 = kernel.cpus[0].mmu;
  const cpu2 = kernel.cpus[1].mmu;
  const original = cpu2.read32(bases[1] + offset);
  cpu1.write32(bases[0] + offset, original ^ 0x5a5a5a5a);
  const seenByOther = cpu2.read32(bases[1] + offset);

  const counts = frameMappingCounts(kernel);
  const rows = processes.map((process, i) => ({
    name: names[i],
    image: imageReport(process, bases[i], counts),
    ...loadFaults[i],
    cycles: kernel.cpus[i].mmu.cycles,
  }));
  const lines: string[] = [];
  const hex = (n: number): string => `0x${n.toString(16)}`;
  lines.push(`policy '${policy}': ${pe.is64 ? 'PE32+' : 'PE32'} DLL, ${pe.mappedSize / FRAME_SIZE} pages, preferred base ${hex(pe.imageBase)}`);
  lines.push(...POLICY_TEXT[policy]);
  lines.push('process     base        shared  private  reloc-copies  write-copies  saved KiB  page-ins  relocations  cycles');
  for (const r of rows) {
    lines.push(
      `${r.name.padEnd(11)} 0x${r.image.base.toString(16).padEnd(9)} ${String(r.image.sharedPages).padStart(6)} ${String(r.image.privatePages).padStart(8)} ${String(r.image.relocationCopies).padStart(13)} ${String(r.image.writeCopies).padStart(13)} ${String(r.image.savedBytes / 1024).padStart(10)} ${String(r.sectionFaults).padStart(9)} ${String(r.relocatedPages).padStart(12)} ${String(r.cycles).padStart(7)}`,
    );
  }
  lines.push(...COLUMNS_TEXT);
  const third = rows[2].image.base;
  if (third === pe.imageBase) {
    lines.push(`process 3: its reservation did not cover ${hex(pe.imageBase)}, so it loaded the DLL at the preferred base`);
  } else if (policy === 'aslr' && third === bases[0]) {
    lines.push(`process 3 reserved ${hex(pe.imageBase)} before loading, which does not matter here: the DLL goes to the`);
    lines.push(`  system-wide base ${hex(third)} in every process, and that range is free in all three`);
  } else {
    lines.push(`process 3 reserved ${hex(pe.imageBase)} before loading, so the loader put the DLL in the lowest free`);
    lines.push(`  64 KiB-aligned range, ${hex(third)} (nothing is ever allocated below 0x10000, LOWEST_USER_ADDRESS)`);
  }
  lines.push(`process 1 wrote 0x${(original ^ 0x5a5a5a5a).toString(16)} at +0x${offset.toString(16)}; process 2 still reads 0x${seenByOther.toString(16)}`);
  lines.push(`faults: ${kernel.stats.sectionFaults} section page-ins, ${kernel.stats.relocatedPages} private relocations, ${kernel.stats.copyOnWriteFaults} copy-on-write; frames in use ${kernel.frames.usedCount}`);
  return { policy, rows, isolation: { written: original ^ 0x5a5a5a5a, seenByOther }, usedFrames: kernel.frames.usedCount, lines, kernel, processes };
}
