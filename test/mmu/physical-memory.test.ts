import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, PhysicalAccessError } from '../../src/mmu/errors.js';
import { PhysicalMemory } from '../../src/mmu/physical-memory.js';

describe('PhysicalMemory RAM', () => {
  it('reads back little-endian values of every width', () => {
    const mem = new PhysicalMemory({ size: 0x4000 });
    mem.write32(0x100, 0x11223344);
    expect(mem.read8(0x100)).toBe(0x44);
    expect(mem.read8(0x103)).toBe(0x11);
    expect(mem.read16(0x101)).toBe(0x2233);
    expect(mem.read32(0x100)).toBe(0x11223344);
    mem.write64(0x200, 0x8877665544332211n);
    expect(mem.read32(0x200)).toBe(0x44332211);
    expect(mem.read32(0x204)).toBe(0x88776655);
    expect(mem.read64(0x200)).toBe(0x8877665544332211n);
    mem.write16(0x300, 0x1abcd);
    expect(mem.read16(0x300)).toBe(0xabcd);
    mem.write8(0x400, 0x1ff);
    expect(mem.read8(0x400)).toBe(0xff);
  });

  it('returns unsigned 32-bit values', () => {
    const mem = new PhysicalMemory({ size: 0x1000 });
    mem.write32(0, 0xffffffff);
    expect(mem.read32(0)).toBe(4294967295);
    mem.write32(4, -1);
    expect(mem.read32(4)).toBe(0xffffffff);
  });

  it('honours a RAM base address', () => {
    const mem = new PhysicalMemory({ size: 0x2000, base: 0x8000_0000 });
    mem.write32(0x8000_1ffc, 7);
    expect(mem.read32(0x8000_1ffc)).toBe(7);
    expect(mem.bytes[0x1ffc]).toBe(7);
    expect(mem.firstFrame).toBe(0x80000);
    expect(() => mem.read32(0x1000)).toThrow(PhysicalAccessError);
  });

  it('rejects bad construction arguments', () => {
    expect(() => new PhysicalMemory({ size: 0 })).toThrow(InvalidArgumentError);
    expect(() => new PhysicalMemory({ size: 4097 })).toThrow(InvalidArgumentError);
    expect(() => new PhysicalMemory({ size: 4096, base: 12 })).toThrow(InvalidArgumentError);
    expect(() => new PhysicalMemory({ size: Number.NaN })).toThrow(InvalidArgumentError);
    expect(() => new PhysicalMemory({ size: 4096, buffer: new ArrayBuffer(8192) })).toThrow(InvalidArgumentError);
  });

  it('can be backed by a SharedArrayBuffer that another view sees', () => {
    const mem = new PhysicalMemory({ size: 0x1000, shared: true });
    expect(mem.buffer).toBeInstanceOf(SharedArrayBuffer);
    const other = new PhysicalMemory({ size: 0x1000, buffer: mem.buffer });
    mem.write32(8, 0xcafe);
    expect(other.read32(8)).toBe(0xcafe);
  });
});

describe('PhysicalMemory out of range', () => {
  it('throws a typed error carrying the address, size and direction', () => {
    const mem = new PhysicalMemory({ size: 0x1000 });
    let caught: unknown;
    try {
      mem.read32(0x1000);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(PhysicalAccessError);
    const err = caught as PhysicalAccessError;
    expect(err.physicalAddress).toBe(0x1000);
    expect(err.size).toBe(4);
    expect(err.write).toBe(false);
    expect(err.code).toBe('PHYSICAL_UNMAPPED');
  });

  it('a write straddling the end of RAM writes nothing', () => {
    const mem = new PhysicalMemory({ size: 0x1000 });
    expect(() => mem.write32(0xffe, 0xaabbccdd)).toThrow(PhysicalAccessError);
    expect(mem.read16(0xffe)).toBe(0);
    expect(() => mem.write64(0xffc, 1n)).toThrow(PhysicalAccessError);
    expect(mem.read32(0xffc)).toBe(0);
  });

  it('open-bus memory reads all ones and drops writes', () => {
    const mem = new PhysicalMemory({ size: 0x1000, unmapped: 'open-bus' });
    expect(mem.read32(0x10_0000)).toBe(0xffffffff);
    expect(mem.read8(0x10_0000)).toBe(0xff);
    mem.write32(0x10_0000, 5);
    expect(mem.read16(0xfff)).toBe(0xff00);
  });

  it('rejects non-integer addresses', () => {
    const mem = new PhysicalMemory({ size: 0x1000 });
    expect(() => mem.read32(1.5)).toThrow(InvalidArgumentError);
    expect(() => mem.write8(Number.NaN, 1)).toThrow(InvalidArgumentError);
  });
});

describe('PhysicalMemory ROM and MMIO', () => {
  it('reads ROM and ignores writes when configured to', () => {
    const mem = new PhysicalMemory({ size: 0x1000 });
    const rom = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    mem.mapRom(0xffff_0000, rom, { name: 'bios' });
    expect(mem.read32(0xffff_0000)).toBe(0x04030201);
    expect(mem.read64(0xffff_0000)).toBe(0x0807060504030201n);
    mem.write32(0xffff_0000, 0);
    expect(mem.read32(0xffff_0000)).toBe(0x04030201);
  });

  it('faults on ROM writes when configured to', () => {
    const mem = new PhysicalMemory({ size: 0x1000 });
    mem.mapRom(0x10000, new Uint8Array(16), { writes: 'fault' });
    expect(() => mem.write8(0x10004, 1)).toThrow(expect.objectContaining({ code: 'PHYSICAL_ROM_WRITE' }));
  });

  it('calls MMIO devices with the offset, size and value', () => {
    const mem = new PhysicalMemory({ size: 0x1000 });
    const log: string[] = [];
    mem.mapMmio(0x1000_0000, 0x100, {
      read: (offset, size) => {
        log.push(`r${size}@${offset}`);
        return 0x12345678 >>> (8 * (4 - size));
      },
      write: (offset, size, value) => {
        log.push(`w${size}@${offset}=${value.toString(16)}`);
      },
    });
    expect(mem.read32(0x1000_0010)).toBe(0x12345678);
    mem.write16(0x1000_0020, 0xbeef);
    mem.write64(0x1000_0040, 0x1111111122222222n);
    expect(mem.read64(0x1000_0040)).toBe(0x1234567812345678n);
    expect(log).toEqual(['r4@16', 'w2@32=beef', 'w4@64=22222222', 'w4@68=11111111', 'r4@64', 'r4@68']);
  });

  it('rejects overlapping regions', () => {
    const mem = new PhysicalMemory({ size: 0x2000 });
    const dev = { read: () => 0, write: () => undefined };
    expect(() => mem.mapMmio(0x1000, 0x10, dev)).toThrow(InvalidArgumentError);
    mem.mapMmio(0x10000, 0x100, dev, 'a');
    expect(() => mem.mapRom(0x100f0, new Uint8Array(0x20))).toThrow(InvalidArgumentError);
    expect(() => mem.mapMmio(0x10000, 0x100, { read: () => 0 } as never)).toThrow(InvalidArgumentError);
    expect(mem.regions().map((r) => r.kind)).toEqual(['ram', 'mmio']);
  });

  it('block copies go through the map', () => {
    const mem = new PhysicalMemory({ size: 0x1000 });
    mem.mapRom(0x2000, Uint8Array.from([9, 8, 7]));
    expect(Array.from(mem.readBytes(0x2000, 3))).toEqual([9, 8, 7]);
    mem.writeBytes(0x10, Uint8Array.from([1, 2, 3]));
    expect(Array.from(mem.readBytes(0x10, 3))).toEqual([1, 2, 3]);
    expect(() => mem.writeBytes(0xffe, Uint8Array.from([1, 2, 3]))).toThrow(PhysicalAccessError);
    expect(mem.read16(0xffe)).toBe(0);
  });
});
