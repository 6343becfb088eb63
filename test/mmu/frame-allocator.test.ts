import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, OutOfFramesError } from '../../src/mmu/errors.js';
import { FrameAllocator } from '../../src/mmu/frame-allocator.js';
import { PhysicalMemory } from '../../src/mmu/physical-memory.js';

describe('FrameAllocator', () => {
  it('hands out zeroed frames from the bottom of the pool', () => {
    const mem = new PhysicalMemory({ size: 4 * 4096, base: 0x10000 });
    mem.bytes.fill(0xaa);
    const frames = new FrameAllocator(mem, { reserved: 1 });
    expect(frames.totalCount).toBe(3);
    const f = frames.allocate();
    expect(f).toBe(0x11);
    expect(mem.readBytes(f * 4096, 4096).every((b) => b === 0)).toBe(true);
    expect(mem.read8(0x10000)).toBe(0xaa); // the reserved frame is untouched
  });

  it('zeroes a freed frame before its next owner gets it', () => {
    const mem = new PhysicalMemory({ size: 2 * 4096 });
    const frames = new FrameAllocator(mem);
    const f = frames.allocate();
    mem.write32(f * 4096 + 100, 0xdeadbeef);
    frames.release(f);
    const g = frames.allocate();
    expect(g).toBe(f); // LIFO reuse
    expect(mem.read32(g * 4096 + 100)).toBe(0);
  });

  it('counts references and frees at zero', () => {
    const mem = new PhysicalMemory({ size: 2 * 4096 });
    const frames = new FrameAllocator(mem);
    const f = frames.allocate();
    expect(frames.retain(f)).toBe(2);
    expect(frames.release(f)).toBe(1);
    expect(frames.isAllocated(f)).toBe(true);
    expect(frames.release(f)).toBe(0);
    expect(frames.isAllocated(f)).toBe(false);
    expect(frames.freeCount).toBe(2);
    expect(() => frames.release(f)).toThrow(InvalidArgumentError);
    expect(() => frames.retain(f)).toThrow(InvalidArgumentError);
    expect(() => frames.refCount(99)).toThrow(InvalidArgumentError);
  });

  it('throws OutOfFramesError when empty and changes nothing', () => {
    const mem = new PhysicalMemory({ size: 2 * 4096 });
    const frames = new FrameAllocator(mem);
    frames.allocate();
    expect(() => frames.allocateMany(2)).toThrow(OutOfFramesError);
    expect(frames.freeCount).toBe(1);
    frames.allocate();
    let caught: unknown;
    try {
      frames.allocate();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(OutOfFramesError);
    expect((caught as OutOfFramesError).code).toBe('OUT_OF_FRAMES');
    expect(frames.usedCount).toBe(2);
  });
});

describe('FrameAllocator.limit', () => {
  it('caps the frames allocated at once, as if the pool were that small', () => {
    const mem = new PhysicalMemory({ size: 8 * 4096 });
    const frames = new FrameAllocator(mem, { limit: 3 });
    expect([frames.limit, frames.availableCount, frames.freeCount]).toEqual([3, 3, 8]);
    const a = frames.allocate();
    frames.allocateForOverwrite();
    expect(() => frames.allocateMany(2)).toThrow(OutOfFramesError); // all or none: one is left
    expect(frames.usedCount).toBe(2);
    frames.allocate();
    expect(frames.availableCount).toBe(0);
    expect(() => frames.allocate()).toThrow(OutOfFramesError);
    expect(() => frames.allocateForOverwrite()).toThrow(OutOfFramesError);
    frames.release(a);
    expect(frames.availableCount).toBe(1);
    expect(frames.allocateMany(1)).toHaveLength(1);
  });

  it('may be lowered below the frames in use (frees nothing) and raised again', () => {
    const mem = new PhysicalMemory({ size: 8 * 4096 });
    const frames = new FrameAllocator(mem);
    expect(frames.limit).toBe(8);
    frames.allocateMany(4);
    frames.limit = 2;
    expect([frames.usedCount, frames.availableCount]).toEqual([4, 0]);
    let caught: unknown;
    try {
      frames.allocate();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(OutOfFramesError);
    expect(frames.usedCount).toBe(4);
    frames.limit = frames.totalCount;
    expect(frames.availableCount).toBe(4);
    frames.allocate();
  });

  it('rejects limits that are not an integer in [0, totalCount] and keeps the old one', () => {
    const mem = new PhysicalMemory({ size: 4 * 4096 });
    const frames = new FrameAllocator(mem, { reserved: 1 });
    for (const bad of [-1, 4, 1.5, NaN, Infinity, '2', null]) {
      expect(() => (frames.limit = bad as number)).toThrow(InvalidArgumentError);
      expect(frames.limit).toBe(3);
      if (bad !== null) expect(() => new FrameAllocator(mem, { reserved: 1, limit: bad as number })).toThrow(InvalidArgumentError);
    }
    frames.limit = 0;
    expect(() => frames.allocate()).toThrow(OutOfFramesError);
    expect(frames.allocateMany(0)).toEqual([]);
  });
});
