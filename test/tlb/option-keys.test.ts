import { describe, expect, it } from 'vitest';
import { closestKey, unknownKeyMessage } from '../../src/tlb/option-keys.js';
import { InvalidArgumentError, Mmu, PhysicalMemory, Tlb, TlbConfigError, TlbHierarchy, SKYLAKE_TLB } from '../../src/index.js';

const MMU_KEYS = ['memory', 'format', 'tlb', 'cycles', 'walkCache', 'controls', 'asids', 'faultHandler', 'maxFaultRetries', 'walker'];

describe('unknown option keys', () => {
  it('suggests the nearest key: a typo, a transposition, a case slip, a prefix, an abbreviation', () => {
    expect(closestKey('tlbs', MMU_KEYS)).toBe('tlb');
    expect(closestKey('fromat', MMU_KEYS)).toBe('format');
    expect(closestKey('walkcache', MMU_KEYS)).toBe('walkCache');
    expect(closestKey('maxFault', MMU_KEYS)).toBe('maxFaultRetries');
    expect(closestKey('writeable', ['readable', 'writable', 'user'])).toBe('writable');
    expect(closestKey('maxPhysAddrBits', ['walkCache', 'maxPhysicalAddressBits'])).toBe('maxPhysicalAddressBits');
  });

  it('suggests nothing when no key is close', () => {
    expect(closestKey('banana', MMU_KEYS)).toBeNull();
    expect(unknownKeyMessage({ banana: 1 }, MMU_KEYS, 'MmuOptions')).toBe(`unknown option \`banana\` in MmuOptions (known options: ${MMU_KEYS.join(', ')})`);
  });

  it('accepts known keys and ignores inherited ones', () => {
    expect(unknownKeyMessage({ memory: 1, tlb: 2 }, MMU_KEYS, 'MmuOptions')).toBeNull();
    expect(unknownKeyMessage(Object.create({ bogus: 1 }) as object, MMU_KEYS, 'MmuOptions')).toBeNull();
  });

  it('makes each layer throw its own typed error, naming the key and the suggestion', () => {
    const memory = new PhysicalMemory({ size: 1 << 20 });
    expect(() => new Mmu({ memory, format: 'x86-64', tlbs: SKYLAKE_TLB } as never)).toThrow(InvalidArgumentError);
    expect(() => new Mmu({ memory, format: 'x86-64', tlbs: SKYLAKE_TLB } as never)).toThrow('unknown option `tlbs` in MmuOptions: did you mean `tlb`?');
    expect(() => new TlbHierarchy({ ...SKYLAKE_TLB, L2: null } as never)).toThrow(TlbConfigError);
    expect(() => new TlbHierarchy({ ...SKYLAKE_TLB, L2: null } as never)).toThrow('did you mean `l2`?');
  });

  it('knows every TlbArrayConfig key, setIndex included, and suggests it for a slip or a shorter name', () => {
    const array = { entries: 24, ways: 8, pageShifts: [12], replacement: 'fifo-fill', seed: 3, setIndex: 'xor' };
    expect(() => new Tlb({ name: 'x', arrays: [array] } as never)).not.toThrow();
    for (const key of ['setindex', 'setIndx', 'index']) {
      const { setIndex, ...rest } = array;
      expect(() => new Tlb({ name: 'x', arrays: [{ ...rest, [key]: setIndex }] } as never)).toThrow(`unknown option \`${key}\` in TlbArrayConfig (TLB "x": arrays[0]): did you mean \`setIndex\`?`);
    }
  });
});
