// A kernel with the default MMU options makes its RAM, frame allocator and CPUs when first
// needed; with any of the caller's own (a TLB geometry, latencies, a format object) at once.
// Both must be the same machine, step for step.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ImageFormatError,
  InvalidArgumentError,
  Kernel,
  MEM_COMMIT,
  MEM_RESERVE,
  PAGE_READWRITE,
  SKYLAKE_TLB,
  WindowsExceptionError,
  type KernelOptions,
} from '../../src/index.js';
import { snapshot } from '../robustness/snapshot.js';

const PAGE = 0x1000;
const made = (kernel: Kernel): boolean => Reflect.get(kernel, 'machine') !== null;

/** Some work on every CPU: demand-zero, copy-on-write, an access violation, an image. */
function exercise(kernel: Kernel): number[] {
  const dll = new Uint8Array(readFileSync(new URL('../../fixtures/pe/absolute32.dll', import.meta.url)));
  const p = kernel.createProcess();
  const base = p.virtualAlloc(0, 8 * PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
  for (const cpu of kernel.cpus) {
    kernel.run(cpu, p);
    for (let i = 0; i < 8; i++) cpu.mmu.write32(base + i * PAGE, i + cpu.index);
  }
  const child = p.fork();
  const cpu = kernel.run(0, child);
  cpu.mmu.write32(base, 7);
  expect(() => cpu.mmu.read32(0x10)).toThrow(WindowsExceptionError);
  child.loadImage(kernel.createImageSection(dll), { address: 0x2000_0000, eager: true });
  return kernel.cpus.map((c) => c.mmu.cycles);
}

describe('when a kernel makes its machine', () => {
  it('not for parsing or rejecting an image, with the default MMU options', () => {
    const kernel = new Kernel();
    expect(() => kernel.createImageSection(new Uint8Array(100))).toThrow(ImageFormatError);
    expect(kernel.createImageSection(new Uint8Array(readFileSync(new URL('../../fixtures/pe/few32.dll', import.meta.url)))).pageCount).toBeGreaterThan(0);
    expect(kernel.commitLimit).toBe((64 << 20) / PAGE);
    expect(made(kernel)).toBe(false);
    expect(kernel.usedFrames).toBe(0);
    expect(made(kernel)).toBe(true);
    expect([kernel.zeroFrame, kernel.emptyRoot, kernel.memory.ramSize, kernel.frames.usedCount]).toEqual([0, PAGE, 64 << 20, 2]);
    expect(kernel.cpus[0].mmu.root).toBe(kernel.emptyRoot);
  });

  it('at once when the caller gave MMU options of its own', () => {
    expect(made(new Kernel({ tlb: SKYLAKE_TLB }))).toBe(true);
    expect(made(new Kernel({ cycles: {} }))).toBe(true);
    expect(made(new Kernel({ memorySize: 16 * PAGE, format: new Kernel({ memorySize: 16 * PAGE }).format }))).toBe(true);
    expect(made(new Kernel({ memorySize: 16 * PAGE, format: 'sv39' }))).toBe(false);
  });

  it('checks memorySize in the constructor either way', () => {
    expect(() => new Kernel({ memorySize: 16 * PAGE + 1 })).toThrow(new InvalidArgumentError('size must be a multiple of 0x1000, got 0x10001'));
    expect(() => new Kernel({ memorySize: 16 * PAGE + 1, tlb: SKYLAKE_TLB })).toThrow(new InvalidArgumentError('size must be a multiple of 0x1000, got 0x10001'));
  });

  for (const options of [{ cpus: 2 }, { cpus: 3, format: 'x86-pae' }, { cpus: 2, format: 'sv39', asids: false }] as KernelOptions[]) {
    it(`made later or at once, the same machine: ${JSON.stringify(options)}`, () => {
      const lazy = new Kernel({ memorySize: 256 * PAGE, ...options });
      const eager = new Kernel({ memorySize: 256 * PAGE, ...options, cycles: {} });
      expect(made(lazy)).toBe(false);
      expect(snapshot(lazy)).toEqual(snapshot(eager));
      expect(exercise(lazy)).toEqual(exercise(eager));
      expect(snapshot(lazy)).toEqual(snapshot(eager));
      expect(lazy.stats).toEqual(eager.stats);
    });
  }
});
