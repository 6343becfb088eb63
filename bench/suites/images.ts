/**
 * Images: loading a real DLL (fixtures/pe/absolute32.dll: PE32, 14 pages,
 * 2406 HIGHLOW fixups on 7 pages) into a fresh process and touching every
 * page, at its preferred base and relocated, with lazy (on first touch) and
 * eager (at load) relocation, against a naive private load done by hand:
 * allocate a frame per page and copy the laid-out image into it, plus apply
 * every fixup for the relocated rows.
 *
 * A keeper process maps the image throughout, so the section's pages stay
 * resident and the rows measure the steady state: what the second and later
 * processes pay. Creating and exiting the processes is untimed.
 *
 * A second table times a malformed PE rejected, by the parser alone and by a
 * fresh kernel.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FRAME_SIZE, ImageFormatError, Kernel, SKYLAKE_TLB, originalImage, parsePe, type LoadImageOptions, type Process } from '../../src/index.js';
import { consume, printTable, ratio, rowNamed, runBatches, type BatchCase, type Context, type Row, type Suite } from '../harness.js';

const RELOCATED_BASE = 0x2000_0000; // free, 64 KiB aligned, below 2 GiB (a 32-bit image must stay there)
const IMAGE_REL_BASED_HIGHLOW = 3;

export const suite: Suite = {
  name: 'images',
  description: 'absolute32.dll loaded at its base and relocated, eager vs lazy, every page touched, vs a hand-written copy + fixup',
  run(ctx: Context) {
    const dll = new Uint8Array(readFileSync(fileURLToPath(new URL('../../fixtures/pe/absolute32.dll', import.meta.url))));
    const LOADS = ctx.quick ? 4 : 16; // image loads per timed batch
    const kernel = new Kernel({ memorySize: 64 << 20, relocationPolicy: 'private' });
    const cpu = kernel.cpus[0];
    const section = kernel.createImageSection(dll);
    const pe = section.image!.pe;
    const pages = pe.mappedSize / FRAME_SIZE;
    const rows: Row[] = [];

    // ---------------------------------------------------------------- bare: a naive private load
    const layout = originalImage(pe); // the image as mapped, untimed: the parse and layout are the kernel's section, made once too
    const memory = new Uint8Array((pages * LOADS + 1) * FRAME_SIZE);
    const view = new DataView(memory.buffer);
    const freeStack = new Int32Array(pages * LOADS);
    let top = 0;
    const fixups = pe.relocations.filter((r) => r.type === IMAGE_REL_BASED_HIGHLOW).map((r) => r.rva);
    const fixupRvas = new Float64Array(fixups);
    const delta = RELOCATED_BASE - pe.imageBase;
    const refill = () => {
      top = 0;
      for (let f = pages * LOADS - 1; f >= 0; f--) freeStack[top++] = f;
    };
    const naiveLoad = (relocate: boolean) => () => {
      for (let l = 0; l < LOADS; l++) {
        const frames = new Int32Array(pages);
        for (let i = 0; i < pages; i++) {
          const f = freeStack[--top];
          frames[i] = f;
          memory.set(layout.subarray(i * FRAME_SIZE, (i + 1) * FRAME_SIZE), f * FRAME_SIZE);
        }
        if (relocate) {
          for (let j = 0; j < fixupRvas.length; j++) {
            const rva = fixupRvas[j];
            const at = frames[Math.floor(rva / FRAME_SIZE)] * FRAME_SIZE + (rva % FRAME_SIZE);
            if ((rva % FRAME_SIZE) <= FRAME_SIZE - 4) view.setUint32(at, (view.getUint32(at, true) + delta) >>> 0, true);
          }
        }
        consume(frames[0]);
      }
    };
    const batch = (name: string, run: () => void, prepare?: () => void, cleanup?: () => void, cycles?: () => number): BatchCase => ({
      name,
      opsPerBatch: LOADS,
      batches: ctx.quick ? 3 : 40,
      prepare,
      run,
      cleanup,
      cycles,
    });
    rows.push(runBatches(ctx, batch('bare: alloc + copy every page', naiveLoad(false), refill)).row);
    rows.push(runBatches(ctx, batch('bare: alloc + copy + apply fixups', naiveLoad(true), refill)).row);

    // ---------------------------------------------------------------- the kernel
    let processes: Process[] = [];
    const prepare = () => {
      processes = Array.from({ length: LOADS }, () => kernel.createProcess());
    };
    const cleanup = () => {
      for (const p of processes) p.exit();
    };
    const load = (options: LoadImageOptions) => () => {
      let s = 0;
      for (const p of processes) {
        kernel.run(cpu, p);
        const image = p.loadImage(section, options);
        for (let i = 0; i < pages; i++) s += cpu.mmu.read8(image.base + i * FRAME_SIZE);
      }
      consume(s);
    };
    const cycles = () => cpu.mmu.cycles;
    /** Runs a kernel case, with the section page-ins and private relocations it caused per load. */
    const counted = (name: string, options: LoadImageOptions): Row => {
      let pageIns = 0;
      let relocations = 0;
      let loads = 0;
      let before = { ...kernel.stats };
      const row = runBatches(
        ctx,
        batch(
          name,
          load(options),
          () => {
            prepare();
            before = { ...kernel.stats };
          },
          () => {
            pageIns += kernel.stats.sectionFaults - before.sectionFaults;
            relocations += kernel.stats.relocatedPages - before.relocatedPages;
            loads += LOADS;
            cleanup();
          },
          cycles,
        ),
      ).row;
      row.extra = { 'faults/load': `${(pageIns / loads).toFixed(1)} page-in, ${(relocations / loads).toFixed(1)} relocated` };
      return row;
    };
    // A process that keeps the image mapped (at its base and at its ASLR base) throughout,
    // so the section's frames stay resident: every measured load is a later one.
    const keeper = kernel.createProcess();
    processes = [keeper];
    load({})();
    const aslrKeeper = kernel.createProcess();
    processes = [aslrKeeper];
    load({ policy: 'aslr' })();
    rows.push(counted('at base, lazy', {}));
    rows.push(counted('at base, eager', { eager: true }));
    rows.push(counted('relocated (private), lazy', { address: RELOCATED_BASE }));
    rows.push(counted('relocated (private), eager', { address: RELOCATED_BASE, eager: true }));
    rows.push(counted('relocated (ASLR, shared), lazy', { policy: 'aslr' }));

    for (const row of rows) {
      row.extra = { ...row.extra, 'ns/page': (1e9 / row.opsPerSec / pages).toFixed(0) };
    }
    printTable({
      title: `Images: ${pages}-page PE32 DLL loaded into a fresh process, every page touched`,
      method: `process.hrtime.bigint() around batches of ${LOADS} loads (one process each, created and exited untimed); one op = kernel.run + loadImage + a read8 of each of the ${pages} pages. median batch; ± = half the interquartile range over ${ctx.quick ? 3 : 40} batches. Image section resident (steady state).`,
      rows,
      ratios: {
        'vs copy': (row) => (row.name.startsWith('at base') || row.name === 'bare: alloc + copy every page' ? 'bare: alloc + copy every page' : undefined),
        'vs copy+fixups': (row) => (row.name.startsWith('relocated') || row.name === 'bare: alloc + copy + apply fixups' ? 'bare: alloc + copy + apply fixups' : undefined),
      },
      extraColumns: ['ns/page', 'faults/load'],
      notes: [
        'At its base the image is shared: a load maps the view and each touch is a fault that maps the resident section frame (no copy). Relocated privately, each of the 7 fixup pages is copied for this process (lazily on first touch, or eagerly at load) from bytes the kernel relocated once for this image and base. Under ASLR the relocated pages are shared like the base ones.',
      ],
    });
    const bareFixups = rowNamed(rows, 'bare: alloc + copy + apply fixups');
    const lazy = ratio(rowNamed(rows, 'relocated (private), lazy'), bareFixups);
    const eager = ratio(rowNamed(rows, 'relocated (private), eager'), bareFixups);
    ctx.targets.record('reloc-vs-fixups', Math.max(lazy, eager), `lazy ${lazy.toFixed(2)}x, eager ${eager.toFixed(2)}x`);

    rejections(ctx, dll);
  },
};

/**
 * A malformed image rejected: by the parser alone, and by a fresh kernel (its creation
 * included), with the default options (RAM made on first use, so never here) and with a TLB
 * geometry of the caller's (RAM and CPUs made at once).
 */
function rejections(ctx: Context, dll: Uint8Array): void {
  const malformed = dll.slice(0, dll.length >> 1); // .text's file data runs past the end of the file
  const OPS = ctx.quick ? 2 : 8;
  const reject = (make: () => void) => () => {
    for (let i = 0; i < OPS; i++) {
      try {
        make();
        throw new Error('the malformed image was accepted');
      } catch (error) {
        if (!(error instanceof ImageFormatError)) throw error;
      }
    }
  };
  const batch = (name: string, make: () => void): Row => runBatches(ctx, { name, opsPerBatch: OPS, batches: ctx.quick ? 2 : 12, warmup: 1, run: reject(make) }).row;
  const rows = [
    batch('bare: parsePe rejects', () => parsePe(malformed)),
    batch('new Kernel() + createImageSection rejects', () => new Kernel().createImageSection(malformed)),
    batch('new Kernel({ tlb }) + createImageSection rejects', () => new Kernel({ tlb: SKYLAKE_TLB }).createImageSection(malformed)),
  ];
  printTable({
    title: 'A malformed PE rejected (half of absolute32.dll: section data past the end of the file)',
    method: `process.hrtime.bigint() around batches of ${OPS} rejections; one op = (a new kernel, then) the parse that throws ImageFormatError. median batch; ± = half the interquartile range over ${ctx.quick ? 2 : 12} batches.`,
    rows,
    ratios: { 'vs parse': 'bare: parsePe rejects' },
    notes: [
      'new Kernel() with the default MMU options makes its RAM (64 MiB), frames and CPUs on first use, so a kernel that only rejects an image never allocates them. Given a TLB geometry, latencies or a format object, it makes them at once: the last row, whose allocation of 64 MiB makes V8 collect garbage (external memory pressure) at a cost that grows with the heap: tens of milliseconds in a test worker.',
    ],
  });
  ctx.targets.note(`A malformed PE rejected by a new Kernel(): ${(1e6 / rowNamed(rows, 'new Kernel() + createImageSection rejects').opsPerSec).toFixed(1)} µs (the parse alone ${(1e6 / rowNamed(rows, 'bare: parsePe rejects').opsPerSec).toFixed(1)} µs).`);
}
