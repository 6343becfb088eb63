import { describe, expect, it } from 'vitest';
import { Tlb, TlbConfigError, TlbHierarchy, validateTlbConfig } from '../../src/tlb/index.js';
import type { TlbArrayConfig, TlbConfig } from '../../src/tlb/index.js';

const level = (...arrays: TlbArrayConfig[]): TlbConfig => ({ name: 'cfg', arrays });
const a4k = (extra: Partial<TlbArrayConfig> = {}): TlbArrayConfig => ({ entries: 64, ways: 4, pageShifts: [12], ...extra });

function configError(config: unknown): TlbConfigError {
  try {
    new Tlb(config as TlbConfig);
  } catch (e) {
    expect(e).toBeInstanceOf(TlbConfigError);
    return e as TlbConfigError;
  }
  throw new Error('expected a TlbConfigError');
}

describe('TLB configuration validation', () => {
  it.each<[string, unknown, RegExp]>([
    ['zero entries', level(a4k({ entries: 0 })), /arrays\[0\]\.entries/],
    ['fractional entries', level(a4k({ entries: 6.5 })), /arrays\[0\]\.entries/],
    ['too many entries', level(a4k({ entries: 2 ** 21, ways: 1 })), /arrays\[0\]\.entries/],
    ['zero ways', level(a4k({ ways: 0 })), /arrays\[0\]\.ways/],
    ['ways not dividing entries', level(a4k({ ways: 5 })), /must divide entries \(64 % 5/],
    ['ways not dividing entries into a non-power-of-two set count', level(a4k({ entries: 48, ways: 10 })), /ways must divide entries \(48 % 10 !== 0\)/],
    ['PLRU on 12 ways', level(a4k({ entries: 12, ways: 12, replacement: 'plru' })), /tree-PLRU .* \(got 12\)/],
    ['unknown policy', level(a4k({ replacement: 'mru' as never })), /replacement must be one of lru, plru, fifo, fifo-fill, random \(got "mru"\)/],
    ['unknown set-index function', level(a4k({ setIndex: 'hash' as never })), /arrays\[0\]\.setIndex must be one of modulo, xor \(got "hash"\)/],
    ['set-index function not a string', level(a4k({ setIndex: 1 as never })), /setIndex must be one of modulo, xor \(got 1\)/],
    ['bad seed', level(a4k({ replacement: 'random', seed: -1 })), /seed/],
    ['empty pageShifts', level(a4k({ pageShifts: [] })), /pageShifts must be a non-empty array/],
    ['page shift below 4 KiB', level(a4k({ pageShifts: [11] })), /pageShifts: 11 is not an integer in \[12, 56\]/],
    ['page shift above 2^56', level(a4k({ pageShifts: [57] })), /pageShifts: 57/],
    ['fractional page shift', level(a4k({ pageShifts: [12.5] })), /pageShifts: 12\.5/],
    ['repeated page shift', level(a4k({ pageShifts: [21, 12, 21] })), /repeats 21/],
    ['page shift in two arrays', level(a4k(), a4k({ entries: 8, ways: 8, pageShifts: [21, 12] })), /page shift 12 is held by both arrays\[0\] and arrays\[1\]/],
    ['no arrays', level(), /arrays must be a non-empty array/],
    ['name not a string', { name: 3, arrays: [a4k()] }, /name must be a string/],
    ['not an object', null, /must be an object/],
  ])('rejects %s', (_what, config, message) => {
    const error = configError(config);
    expect(error.name).toBe('TlbConfigError');
    expect(error.message).toMatch(message);
  });

  it('accepts real geometries, including non-power-of-two ways and a fully associative 12-entry array', () => {
    expect(() => new Tlb(level({ entries: 1536, ways: 12, pageShifts: [12, 21] }))).not.toThrow();
    expect(() => new Tlb(level({ entries: 12, ways: 12, pageShifts: [12] }))).not.toThrow();
    expect(() => new Tlb(level({ entries: 16, ways: 1, pageShifts: [12], replacement: 'plru' }))).not.toThrow();
  });

  it('accepts set counts that are not powers of two, with either set-index function and every policy that allows the ways', () => {
    const sets = (array: TlbArrayConfig) => validateTlbConfig(level(array)).arrays[0].sets;
    expect(sets({ entries: 1536, ways: 8, pageShifts: [12, 21] })).toBe(192);
    expect(sets({ entries: 1536, ways: 4, pageShifts: [12], setIndex: 'xor' })).toBe(384);
    expect(sets({ entries: 48, ways: 16, pageShifts: [12], replacement: 'plru' })).toBe(3);
    expect(sets({ entries: 7, ways: 1, pageShifts: [12], replacement: 'fifo-fill' })).toBe(7);
    expect(validateTlbConfig(level({ entries: 24, ways: 8, pageShifts: [12], setIndex: 'xor' })).arrays[0].setIndex).toBe('xor');
    // Tree-PLRU still needs a power-of-two associativity, whatever the set count.
    expect(configError(level({ entries: 36, ways: 12, pageShifts: [12], replacement: 'plru' })).message).toMatch(/tree-PLRU .* \(got 12\)/);
  });

  it('resolves defaults and sorts page shifts without touching the input', () => {
    const input = level({ entries: 8, ways: 8, pageShifts: [30, 12, 21] });
    const resolved = validateTlbConfig(input);
    expect(resolved.arrays[0]).toEqual({ entries: 8, ways: 8, sets: 1, pageShifts: [12, 21, 30], replacement: 'lru', seed: 1, setIndex: 'modulo' });
    expect(input.arrays[0].pageShifts).toEqual([30, 12, 21]);
    expect(Object.isFrozen(resolved.arrays[0].pageShifts)).toBe(true);
  });

  it('requires both L1s of a hierarchy to hold 4 KiB pages', () => {
    const l1 = level(a4k());
    const hugeOnly = { name: 'itlb-huge', arrays: [{ entries: 8, ways: 8, pageShifts: [21] }] };
    expect(() => new TlbHierarchy({ l1i: hugeOnly, l1d: l1 })).toThrow(/TLB "itlb-huge": an L1 TLB must hold 4 KiB pages/);
    expect(() => new TlbHierarchy({ l1i: l1, l1d: l1, l2: level(a4k({ ways: 3 })) })).toThrow(TlbConfigError);
  });
});
