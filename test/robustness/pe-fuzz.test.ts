// PE fuzzing with mutated real fixtures (fixtures/pe, built by mingw-w64), extending the
// 3000-input truncation and bit-flip fuzz of test/image/malformed.test.ts with mutations that know
// the PE layout: truncation at every header and table boundary, huge counts (NumberOfSections,
// NumberOfRvaAndSizes, SizeOfOptionalHeader, a relocation block's SizeOfBlock), overlapping and
// out-of-image sections, relocation blocks pointing anywhere (past SizeOfImage, into the headers,
// fields straddling page ends), zero and maximal alignments, and random combinations of these
// (fast-check, seeded).
//
// Every input is parsed, laid out, relocated, and loaded into a kernel (its pages touched).
// Asserted: only ImageFormatError escapes parsing (and, from the loader, the WindowsErrors the
// semantics give for an image that cannot be placed); the whole run stays under a generous time
// bound; nothing outside the image's bytes is read (each input sits in a larger buffer between
// canary bytes and is passed as a subarray: no output ever contains the canary); a rejected image
// leaves the kernel unchanged (snapshot); an accepted one maps exactly ALIGN(SizeOfImage) bytes,
// with the bytes the relocation rules give, and unloading it returns every frame.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ImageFormatError,
  Kernel,
  MEM_FREE,
  MEM_IMAGE,
  MEM_RESERVE,
  PAGE_NOACCESS,
  PAGE_READWRITE,
  STATUS_CONFLICTING_ADDRESSES,
  STATUS_NO_MEMORY,
  WindowsError,
  fixupPages,
  originalImage,
  originalPage,
  pageProtections,
  parsePe,
  relocateImage,
  relocatedPage,
  sharedPages,
  verify,
  type PeImage,
} from '../../src/index.js';
import { buildPe } from '../image/build-pe.js';
import { snapshot } from './snapshot.js';

const PAGE = 0x1000;
const FIXTURE_NAMES = ['absolute32.dll', 'absolute64.dll', 'few32.dll', 'norelocs32.dll', 'flat32.dll', 'hello32.exe', 'hello64.exe'];
const SEEDS: Array<[string, Uint8Array]> = [
  ...FIXTURE_NAMES.map((name): [string, Uint8Array] => [name, new Uint8Array(readFileSync(new URL(`../../fixtures/pe/${name}`, import.meta.url)))]),
  [
    'synthetic64',
    buildPe({ is64: true, sections: [{ virtualAddress: 0x1000, virtualSize: 0x2000, characteristics: 0xc0000040, data: new Uint8Array(0x2000).fill(0x11) }], relocs: [{ page: 0x1000, entries: [0xaffc, 0x4100, 0x1234, 0x1200, 0x2300] }] }).bytes,
  ],
];

// ------------------------------------------------------------------ where things are in a PE file

const u32 = (b: Uint8Array, at: number) => (at + 4 <= b.length ? (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0 : 0);

/** A field to mutate: its file offset, its width, and its value in the seed. */
interface Field {
  readonly name: string;
  readonly at: number;
  readonly size: 2 | 4 | 8;
}

interface Layout {
  readonly fields: readonly Field[];
  /** File offsets where a structure starts or ends: truncation points. */
  readonly boundaries: readonly number[];
  /** File offset of the first relocation block, or -1. */
  readonly relocData: number;
  readonly relocBlocks: readonly number[];
  readonly sizeOfImage: number;
}

/** The layout of a well-formed seed (read with parsePe, which accepts every seed). */
function layoutOf(bytes: Uint8Array): Layout {
  const pe = parsePe(bytes);
  const lfanew = u32(bytes, 0x3c);
  const fh = lfanew + 4;
  const opt = fh + 20;
  const is64 = pe.is64;
  const field = (name: string, at: number, size: 2 | 4 | 8): Field => ({ name, at, size });
  const fields: Field[] = [
    field('e_lfanew', 0x3c, 4),
    field('Machine', fh, 2),
    field('NumberOfSections', fh + 2, 2),
    field('SizeOfOptionalHeader', fh + 16, 2),
    field('Characteristics', fh + 18, 2),
    field('Magic', opt, 2),
    field('AddressOfEntryPoint', opt + 16, 4),
    is64 ? field('ImageBase', opt + 24, 8) : field('ImageBase', opt + 28, 4),
    field('SectionAlignment', opt + 32, 4),
    field('FileAlignment', opt + 36, 4),
    field('SizeOfImage', opt + 56, 4),
    field('SizeOfHeaders', opt + 60, 4),
    field('DllCharacteristics', opt + 70, 2),
    field('NumberOfRvaAndSizes', opt + (is64 ? 108 : 92), 4),
  ];
  const dirs = opt + (is64 ? 112 : 96);
  // The loader reads only the base relocation directory (5); the first and last slots stand for the rest.
  for (const d of [0, 5, pe.numberOfRvaAndSizes - 1]) {
    if (d >= 0 && d < pe.numberOfRvaAndSizes) fields.push(field(`DataDirectory[${d}].VirtualAddress`, dirs + 8 * d, 4), field(`DataDirectory[${d}].Size`, dirs + 8 * d + 4, 4));
  }
  const boundaries = new Set<number>([0, 2, 0x3c, 0x40, lfanew, fh, opt, opt + 2, dirs, pe.sizeOfHeaders, bytes.length]);
  for (let d = 0; d <= pe.numberOfRvaAndSizes; d++) boundaries.add(dirs + 8 * d);
  const table = opt + pe.sizeOfOptionalHeader;
  pe.sections.forEach((s, i) => {
    const at = table + 40 * i;
    boundaries.add(at);
    boundaries.add(at + 40);
    boundaries.add(s.pointerToRawData);
    boundaries.add(s.pointerToRawData + s.sizeOfRawData);
    fields.push(field(`Section[${i}].VirtualSize`, at + 8, 4), field(`Section[${i}].VirtualAddress`, at + 12, 4), field(`Section[${i}].SizeOfRawData`, at + 16, 4), field(`Section[${i}].PointerToRawData`, at + 20, 4), field(`Section[${i}].Characteristics`, at + 36, 4));
  });
  // The relocation blocks: their file offsets, from the entries parsePe found.
  const relocBlocks: number[] = [];
  let relocData = -1;
  if (pe.relocations.length > 0) {
    const offsets = pe.relocations.map((r) => r.offset);
    let p = Math.min(...offsets) - 8;
    relocData = p;
    const end = Math.max(...offsets) + 2;
    while (p < end) {
      const sizeOfBlock = u32(bytes, p + 4);
      if (sizeOfBlock < 8) break;
      relocBlocks.push(p);
      boundaries.add(p);
      boundaries.add(p + 8);
      boundaries.add(p + sizeOfBlock);
      p += sizeOfBlock;
    }
    relocBlocks.slice(0, 3).forEach((block, i) => fields.push(field(`Block[${i}].VirtualAddress`, block, 4), field(`Block[${i}].SizeOfBlock`, block + 4, 4)));
  }
  return { fields, boundaries: [...boundaries].filter((b) => b >= 0 && b <= bytes.length).sort((a, b) => a - b), relocData, relocBlocks, sizeOfImage: pe.sizeOfImage };
}

const LAYOUTS = SEEDS.map(([, bytes]) => layoutOf(bytes));

function read(bytes: Uint8Array, f: Field): bigint {
  let v = 0n;
  for (let k = f.size - 1; k >= 0; k--) v = (v << 8n) | BigInt(bytes[f.at + k] ?? 0);
  return v;
}

function write(bytes: Uint8Array, at: number, size: number, value: bigint): void {
  for (let k = 0; k < size && at + k < bytes.length; k++) bytes[at + k] = Number((value >> BigInt(8 * k)) & 0xffn);
}

/** Values worth trying in a field of `size` bytes holding `original`. */
function interesting(original: bigint, size: number, layout: Layout, fileLength: number): bigint[] {
  const max = (1n << BigInt(8 * size)) - 1n;
  const values = [0n, 1n, 2n, 0x7fn, 0x80n, 0xffn, 0x100n, 0xfffn, 0x1000n, 0x1001n, 0xfff8n, 0xffffn, 0x10000n, 0x7fff_ffffn, 0x8000_0000n, 0xffff_f000n, 0xffff_fff8n, 0xffff_ffffn, max, max - 1n];
  values.push(original + 1n, original - 1n, original * 2n, original + 0x1000n, original - 0x1000n, original ^ 0x8000_0000n);
  values.push(BigInt(layout.sizeOfImage), BigInt(layout.sizeOfImage) - 1n, BigInt(layout.sizeOfImage) - 2n, BigInt(layout.sizeOfImage) + 0x1000n, BigInt(fileLength), BigInt(fileLength) + 1n);
  if (size === 8) values.push(1n << 53n, (1n << 53n) + 0x10000n, 1n << 63n);
  return [...new Set(values.map((v) => v & max))];
}

// ------------------------------------------------------------------ running one input

/** An 8-byte pattern around every input: it must never show up in anything computed from the image. */
const CANARY = Uint8Array.from([0xde, 0xad, 0xc0, 0xde, 0xfe, 0xed, 0xfa, 0xce]);
const CANARY_COPIES = 64;

/** `bytes` in a buffer with the canary before and after, as a subarray (byteOffset > 0). */
function framed(bytes: Uint8Array): Uint8Array {
  const pad = CANARY.length * CANARY_COPIES;
  const buffer = new Uint8Array(pad + bytes.length + pad);
  for (let k = 0; k < CANARY_COPIES; k++) {
    buffer.set(CANARY, k * CANARY.length);
    buffer.set(CANARY, pad + bytes.length + k * CANARY.length);
  }
  buffer.set(bytes, pad);
  return buffer.subarray(pad, pad + bytes.length);
}

function containsCanary(data: Uint8Array, original: Uint8Array): boolean {
  const hay = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (hay.indexOf(Buffer.from(CANARY)) < 0) return false;
  // Only if the image itself does not hold the pattern (mutations copy nothing into it, but be exact).
  return Buffer.from(original).indexOf(Buffer.from(CANARY)) < 0;
}

const stats = { inputs: 0, structured: 0, random: 0, accepted: 0, rejected: 0, loaded: 0, loadRefused: 0, pagesTouched: 0, snapshots: 0, byField: new Map<string, number>() };

/** Pages of an accepted image that a load touches: all of a small image, a sample of a large one. */
function pagesToTouch(pe: PeImage): number[] {
  const pages = pe.mappedSize / PAGE;
  if (pages <= 48) return Array.from({ length: pages }, (_, i) => i);
  return [...new Set([0, 1, pages - 2, pages - 1, ...fixupPages(pe).slice(0, 6)])];
}

const kernel = new Kernel({ memorySize: 256 * PAGE, cpus: 1 });
const KERNEL_FRAMES = kernel.frames.usedCount;

/** Loads an accepted image into a fresh process (at its preferred base, or relocated), touches its pages, unloads it. */
function load(pe: PeImage, input: Uint8Array, relocate: boolean, eager: boolean, compare: boolean): void {
  const p = kernel.createProcess();
  const cpu = kernel.run(0, p);
  try {
    let reserved = -1;
    if (relocate && pe.imageBase >= 0x10000 && pe.imageBase + PAGE <= kernel.userTop) {
      reserved = p.virtualAlloc(pe.imageBase, PAGE, MEM_RESERVE, PAGE_READWRITE); // the preferred base is busy
    }
    let base: number;
    try {
      base = p.loadImage(input, { eager }).base;
    } catch (error) {
      // An image that parses but cannot be placed: no room (a huge SizeOfImage), or a DLL without relocations at a busy base (B93).
      if (error instanceof WindowsError && (error.ntStatus === STATUS_NO_MEMORY || error.ntStatus === STATUS_CONFLICTING_ADDRESSES)) {
        stats.loadRefused++;
        expect(kernel.sections().length, 'a refused load leaves no section').toBe(0);
        return;
      }
      throw error;
    }
    stats.loaded++;
    // The view spans exactly ALIGN(SizeOfImage, page), and nothing else was mapped.
    const allocation = p.regions.find(base)!;
    expect([allocation.base, allocation.size, allocation.type]).toEqual([base, pe.mappedSize, MEM_IMAGE]);
    expect(p.regions.size).toBe(reserved < 0 ? 1 : 2);
    expect(p.virtualQuery(base + pe.mappedSize - 1).allocationBase).toBe(base);
    const after = base + pe.mappedSize;
    if (after < kernel.userTop && after !== reserved) expect(p.virtualQuery(after).state).toBe(MEM_FREE);
    const protections = pageProtections(pe);
    const expected = compare && pe.mappedSize <= 48 * PAGE ? relocateImage(pe, base) : null;
    for (const page of pagesToTouch(pe)) {
      const va = base + page * PAGE;
      if ((protections[page] & 0xff) === PAGE_NOACCESS) continue;
      cpu.mmu.read8(va);
      stats.pagesTouched++;
      const bytes = p.readMemory(va, PAGE);
      expect(containsCanary(bytes, pe.bytes), `page ${page} holds canary bytes`).toBe(false);
      if (expected !== null) expect(Buffer.from(bytes).equals(Buffer.from(expected.subarray(page * PAGE, (page + 1) * PAGE))), `page ${page} of the image at 0x${base.toString(16)}`).toBe(true);
    }
    if (stats.loaded % 16 === 1) expect(verify(kernel)).toEqual([]);
  } finally {
    p.exit();
    for (const section of kernel.sections()) if (section.open) kernel.closeSection(section);
  }
  expect(kernel.frames.usedCount, 'frames left after unloading').toBe(KERNEL_FRAMES);
}

/** Runs one input through everything; returns whether it was accepted. */
function run(raw: Uint8Array, variant: number): boolean {
  stats.inputs++;
  const input = framed(raw);
  let pe: PeImage;
  try {
    pe = parsePe(input);
  } catch (error) {
    if (!(error instanceof ImageFormatError)) throw new Error(`parsePe threw ${String(error)}`, { cause: error });
    expect(error.offset >= 0 && error.offset <= Math.max(raw.length, 0x40), `offset ${error.offset} of a ${raw.length}-byte input`).toBe(true);
    stats.rejected++;
    stats.byField.set(error.field, (stats.byField.get(error.field) ?? 0) + 1);
    // The loader rejects it the same way and the kernel is unchanged (every 8th input: a full snapshot).
    const p = kernel.createProcess();
    const full = variant % 8 === 0;
    const before = full ? snapshot(kernel) : null;
    const sections = kernel.sections().length;
    expect(() => p.loadImage(input)).toThrow(ImageFormatError);
    expect(kernel.sections().length).toBe(sections);
    if (before !== null) {
      expect(snapshot(kernel), 'a rejected image changed the kernel').toEqual(before);
      stats.snapshots++;
    }
    p.exit();
    return false;
  }
  stats.accepted++;
  // What parsePe accepts, the layout and relocation code must handle, reading nothing outside the input.
  const pages = pe.mappedSize / PAGE;
  expect(pageProtections(pe).length).toBe(pages);
  expect(sharedPages(pe).length).toBe(pages);
  const fixups = fixupPages(pe);
  expect(fixups.every((page) => page >= 0 && page < pages)).toBe(true);
  const outside = pe.relocations.find((r) => !(r.rva >= 0 && r.rva < pe.sizeOfImage));
  expect(outside, 'a relocation outside the image').toBeUndefined();
  const newBase = pe.is64 ? (pe.imageBase + 2 ** 32 < 2 ** 53 ? pe.imageBase + 2 ** 32 : pe.imageBase - 2 ** 32) : (pe.imageBase + 0x1000_0000) % 2 ** 32;
  const samples = [0, pages - 1, ...fixups.slice(0, 4)];
  for (const page of samples) {
    expect(containsCanary(originalPage(pe, page), pe.bytes)).toBe(false);
    expect(containsCanary(relocatedPage(pe, page, newBase), pe.bytes)).toBe(false);
  }
  const loads = pe.mappedSize <= 0x100_0000 && variant % 2 === 0;
  if (!loads && pe.mappedSize <= 0x40000) {
    expect(containsCanary(originalImage(pe), pe.bytes)).toBe(false);
    expect(containsCanary(relocateImage(pe, newBase), pe.bytes)).toBe(false);
  }
  if (loads) load(pe, input, variant % 4 === 2, variant % 5 === 0, variant % 3 === 0);
  return true;
}

// ------------------------------------------------------------------ mutations

interface Mutation {
  readonly kind: 'field' | 'truncate' | 'flip' | 'splat' | 'block' | 'section';
  /** Field index, truncation boundary index, or byte position (scaled to the input). */
  readonly a: number;
  /** Value index, delta, or bit. */
  readonly b: number;
}

/** Applies mutations to a copy of seed `s`. */
function mutate(s: number, mutations: readonly Mutation[]): Uint8Array {
  const seed = SEEDS[s][1];
  const layout = LAYOUTS[s];
  let bytes = seed.slice();
  for (const m of mutations) {
    switch (m.kind) {
      case 'field': {
        const f = layout.fields[m.a % layout.fields.length];
        const values = interesting(read(seed, f), f.size, layout, seed.length);
        write(bytes, f.at, f.size, values[m.b % values.length]);
        break;
      }
      case 'truncate': {
        const at = layout.boundaries[m.a % layout.boundaries.length] + ((m.b % 3) - 1);
        bytes = bytes.slice(0, Math.max(0, Math.min(bytes.length, at)));
        break;
      }
      case 'flip':
        if (bytes.length > 0) bytes[m.a % bytes.length] ^= 1 << m.b % 8;
        break;
      case 'splat':
        if (bytes.length > 0) bytes[m.a % Math.min(bytes.length, 0x400)] = [0, 0xff, 0x7f, 0x80, 0x01, 0x10][m.b % 6];
        break;
      case 'block': {
        // A relocation block pointing anywhere: a page past SizeOfImage, in the headers, at the
        // last page, or an entry at the very end of its page (a field straddling two pages).
        if (layout.relocBlocks.length === 0) break;
        const block = layout.relocBlocks[m.a % layout.relocBlocks.length];
        const pages = [layout.sizeOfImage, layout.sizeOfImage - 0x1000, 0, 0x1000, 0xffff_f000, (layout.sizeOfImage + 0xfff) & ~0xfff];
        if (m.b % 3 === 0) write(bytes, block, 4, BigInt(pages[(m.b >> 2) % pages.length] >>> 0));
        else if (m.b % 3 === 1) write(bytes, block + 8, 2, BigInt((([3, 10, 1, 2, 4, 5, 11][(m.b >> 2) % 7]) << 12) | [0xfff, 0xffe, 0xffc, 0xffa, 0x000][(m.b >> 4) % 5]));
        else write(bytes, block + 4, 4, BigInt([0, 2, 8, 10, 0x7fff_fff8, 0xffff_fff8, 0x1_0000 - 8][(m.b >> 2) % 7]));
        break;
      }
      case 'section': {
        // Overlapping or out-of-image sections: copy one section's VirtualAddress onto the next,
        // or move a section to / past the end of the image.
        const sections = layout.fields.filter((f) => f.name.endsWith('.VirtualAddress') && f.name.startsWith('Section'));
        if (sections.length < 2) break;
        const i = m.a % (sections.length - 1);
        if (m.b % 3 === 0) write(bytes, sections[i + 1].at, 4, read(seed, sections[i]));
        else if (m.b % 3 === 1) write(bytes, sections[i].at, 4, BigInt(layout.sizeOfImage & ~0xfff));
        else write(bytes, sections[i].at - 4, 4, 0xffff_f000n); // VirtualSize
        break;
      }
    }
  }
  return bytes;
}

// ------------------------------------------------------------------ the tests

const started = Date.now();

describe('PE fuzzing with mutated real fixtures', () => {
  it('truncation at every header and table boundary of every seed (and one byte either side)', () => {
    SEEDS.forEach((_, s) => {
      LAYOUTS[s].boundaries.forEach((_, b) => {
        for (let delta = 0; delta < 3; delta++) {
          run(mutate(s, [{ kind: 'truncate', a: b, b: delta }]), stats.inputs);
          stats.structured++;
        }
      });
    });
  });

  it('every header field, section field and relocation block field set to every interesting value', () => {
    SEEDS.forEach(([, seed], s) => {
      LAYOUTS[s].fields.forEach((f, i) => {
        const values = interesting(read(seed, f), f.size, LAYOUTS[s], seed.length);
        // Every other value for the fields that steer sizes and counts (the odd ones on odd seeds), every 7th for the rest.
        const steering = /NumberOf|SizeOf|Alignment|e_lfanew|Magic|Machine|ImageBase|Block|DataDirectory\[5\]/.test(f.name);
        for (let v = steering ? s % 2 : s % 7; v < values.length; v += steering ? 2 : 7) {
          run(mutate(s, [{ kind: 'field', a: i, b: v }]), stats.inputs);
          stats.structured++;
        }
      });
    });
  });

  it('relocation blocks pointing anywhere, overlapping and out-of-image sections', () => {
    SEEDS.forEach((_, s) => {
      for (let a = 0; a < 3; a++) {
        for (let b = 0; b < 64; b++) {
          run(mutate(s, [{ kind: 'block', a, b }]), stats.inputs);
          stats.structured++;
        }
        for (let b = 0; b < 3; b++) {
          run(mutate(s, [{ kind: 'section', a, b }]), stats.inputs);
          stats.structured++;
        }
      }
    });
  });

  it('random combinations of mutations (fast-check, seeded)', () => {
    const mutation: fc.Arbitrary<Mutation> = fc.record({
      kind: fc.constantFrom<Mutation['kind']>('field', 'field', 'field', 'truncate', 'flip', 'splat', 'block', 'section'),
      a: fc.nat({ max: 1 << 20 }),
      b: fc.nat({ max: 1 << 10 }),
    });
    fc.assert(
      fc.property(fc.nat({ max: SEEDS.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 5 }), (s, mutations) => {
        run(mutate(s, mutations), stats.inputs);
        stats.random++;
      }),
      { numRuns: 2000, seed: 0x9e5eed, endOnFailure: true },
    );
  });

  it('the kernel is consistent after every load and unload, and holds only its own frames', () => {
    expect(verify(kernel)).toEqual([]);
    expect(kernel.frames.usedCount).toBe(KERNEL_FRAMES);
    expect(kernel.sections()).toEqual([]);
    expect(stats.accepted).toBeGreaterThan(1000);
    expect(stats.rejected).toBeGreaterThan(1500);
    expect(stats.loaded).toBeGreaterThan(300);
  });

  it('nothing hangs: the whole run stays under a generous bound', () => {
    // Not a benchmark: a bound that only an input making the parser or loader loop would break.
    expect(Date.now() - started).toBeLessThan(120_000);
  });

  afterAll(() => {
    const ms = Date.now() - started;
    const fields = Object.fromEntries([...stats.byField].sort((a, b) => b[1] - a[1]).slice(0, 12));
    // eslint-disable-next-line no-console
    console.log(
      `pe-fuzz: ${stats.inputs} inputs tried (${stats.structured} structured, ${stats.random} random) in ${ms} ms: ` +
        `${stats.accepted} accepted (${stats.loaded} loaded, ${stats.pagesTouched} pages touched, ${stats.loadRefused} refused a place), ` +
        `${stats.rejected} rejected (${stats.snapshots} with a full kernel snapshot); rejected by field:`,
      fields,
    );
  });
});
