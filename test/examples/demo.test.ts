import { describe, expect, it } from 'vitest';
import { runDemo } from '../../examples/demo.js';

describe('README demo', () => {
  it('translates, misses, walks, faults and reports', () => {
    const { stats, protectionFault, demandFaults, lines } = runDemo();
    expect(protectionFault).toContain('error code 0x7');
    expect(protectionFault).toContain('CR2 0x400000');
    expect(demandFaults).toBe(16);
    expect(stats.faults).toBe(17);
    expect(stats.faultRetries).toBe(16);
    expect(stats.tlb.l1d.misses).toBeGreaterThan(0);
    expect(stats.tlb.l2?.hits).toBeGreaterThan(0);
    expect(stats.walks).toBeGreaterThan(100);
    expect(stats.cycles).toBeGreaterThan(stats.walks);
    expect(lines.some((l) => l.startsWith('cycles '))).toBe(true);
  });
});
