/**
 * The seed's scenario (shared/seed/memory-protection.txt), made real: the
 * README's first command. The scenario itself is in `seed-scenario.ts`, free
 * of Node APIs so that the browser page (`browser/`) runs the same code; this
 * file reads the DLL from disk and prints.
 *
 * Run: npm run demo
 *      npm run demo -- --trace trace.json   (also writes a timeline of the fault path: docs/timeline.md)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FRAME_SIZE, Kernel, MEM_COMMIT, MEM_RESERVE, PAGE_GUARD, PAGE_READONLY, PAGE_READWRITE, WindowsExceptionError } from '../src/index.js';
import { TraceRecorder } from '../src/mmu/trace-recorder.js';
import { toChromeTrace, type ChromeTrace } from '../src/mmu/chrome-trace.js';

export { runSeed, type SeedRow, type SeedRun } from './seed-scenario.js';
import { runSeed } from './seed-scenario.js';

/** The 32-bit DLL whose code holds many absolute addresses of its data. */
export function defaultDll(): Uint8Array {
  return new Uint8Array(readFileSync(fileURLToPath(new URL('../fixtures/pe/absolute32.dll', import.meta.url))));
}

/**
 * The seed's scenario under a trace recorder (the private policy), then a coda on two CPUs that
 * the seed leaves out: process 1's heap, written on CPU 0 (demand-zero faults, zero fills), read on
 * CPU 1, made read-only (a shootdown: CPU 0 sends CPU 1 an IPI per page), and a guard page.
 * `runSeed` makes its kernel inside; this is the same sequence on a kernel made here, with the
 * recorder attached before the first fault.
 */
export function traceSeed(dll: Uint8Array, recorder: TraceRecorder): Kernel {
  const kernel = new Kernel({ cpus: 3, memorySize: 32 << 20 });
  kernel.setTracer(recorder, { process: 'seed demo' });
  const section = kernel.createImageSection(dll);
  const pe = section.image!.pe;
  const processes = [kernel.createProcess(), kernel.createProcess(), kernel.createProcess()];
  // As in the seed: process 3 has something at the DLL's preferred base, so it relocates a copy.
  processes[2].virtualAlloc(pe.imageBase, pe.mappedSize, MEM_RESERVE, PAGE_READWRITE);
  const bases = processes.map((process, i) => {
    const cpu = kernel.run(i, process);
    const loaded = process.loadImage(section);
    for (let page = 0; page < pe.mappedSize / FRAME_SIZE; page++) cpu.mmu.read8(loaded.base + page * FRAME_SIZE);
    return loaded.base;
  });
  // Process 1 writes a data page: copy-on-write. Process 2 reads the same page: its own, unchanged.
  const writable = section.image!.protections.findIndex((p, i) => i > 0 && (p === 0x08 || p === 0x80) && section.image!.fixupPages[i] === 0);
  const offset = (writable >= 0 ? writable : 1) * FRAME_SIZE + 16;
  const [cpu0, cpu1] = [kernel.cpus[0].mmu, kernel.cpus[1].mmu];
  cpu0.write32(bases[0] + offset, cpu1.read32(bases[1] + offset) ^ 0x5a5a5a5a);

  // The coda: process 1 on CPUs 0 and 1.
  const heap = processes[0].virtualAlloc(0, 16 * FRAME_SIZE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
  for (let page = 0; page < 16; page++) cpu0.write32(heap + page * FRAME_SIZE, page);
  kernel.run(1, processes[0]);
  for (let page = 0; page < 16; page++) cpu1.read32(heap + page * FRAME_SIZE);
  processes[0].virtualProtect(heap, 4 * FRAME_SIZE, PAGE_READONLY);
  const guard = processes[0].virtualAlloc(0, FRAME_SIZE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
  try {
    cpu0.read32(guard);
  } catch (error) {
    if (!(error instanceof WindowsExceptionError)) throw error;
  }
  cpu0.write32(guard, 1);
  return kernel;
}

/** Runs {@link traceSeed} and returns its trace (and what it recorded, for the summary line). */
export function seedTrace(dll: Uint8Array = defaultDll(), capacity = 1 << 16): { trace: ChromeTrace; recorder: TraceRecorder; kernel: Kernel } {
  const recorder = new TraceRecorder({ capacity });
  const kernel = traceSeed(dll, recorder);
  return { trace: toChromeTrace(recorder), recorder, kernel };
}

/** The path after `--trace` (or in `--trace=path`), or null. */
function traceArgument(argv: readonly string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--trace') {
      const path = argv[i + 1];
      if (path === undefined || path.startsWith('--')) throw new Error('--trace needs a file name: npm run demo -- --trace trace.json');
      return path;
    }
    if (argv[i].startsWith('--trace=')) return argv[i].slice('--trace='.length);
  }
  return null;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const tracePath = traceArgument(process.argv.slice(2));
  const dll = defaultDll();
  for (const policy of ['private', 'aslr'] as const) {
    for (const line of runSeed(dll, policy).lines) console.log(line);
    console.log('');
  }
  if (tracePath !== null) {
    const { trace, recorder, kernel } = seedTrace(dll);
    writeFileSync(tracePath, JSON.stringify(trace));
    const s = kernel.stats;
    console.log(`trace: ${recorder.size} events on ${recorder.tracks().length} tracks written to ${tracePath} (${s.sectionFaults} page-ins, ${s.relocatedPages} relocations, ${s.copyOnWriteFaults} copy-on-write, ${s.demandZeroFaults} demand-zero, ${s.shootdownIpis} IPIs)`);
    console.log('open it in https://ui.perfetto.dev or chrome://tracing; docs/timeline.md explains what it shows');
  }
}
