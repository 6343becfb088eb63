// A bare machine's saved state loaded into a machine built another way either loads or is refused with a
// SavedStateError, leaving the machine exactly as it was (its saved bytes, and how it runs after).
import { describe, expect, it } from 'vitest';
import {
  FrameAllocator,
  MachineSnapshots,
  Mmu,
  PageTableBuilder,
  PhysicalMemory,
  Privilege,
  SavedStateError,
  SIFIVE_U54_TLB,
  type FormatName,
  type MmuOptions,
} from '../../src/index.js';

const PAGE = 4096;

interface Shape {
  format: FormatName;
  cpus: number;
  size: number;
  frames: boolean;
  mmu: Partial<MmuOptions>;
}

function machine(shape: Shape) {
  const memory = new PhysicalMemory({ size: shape.size });
  const frames = new FrameAllocator(memory);
  const tables = new PageTableBuilder(memory, shape.format, frames);
  const mmus = Array.from({ length: shape.cpus }, () => new Mmu({ memory, format: shape.format, ...shape.mmu }));
  for (let i = 0; i < 16; i++) tables.map(0x40_0000 + i * PAGE, frames.allocate() * PAGE, { writable: true, user: true });
  for (const mmu of mmus) {
    mmu.setRoot(tables.root, 1);
    mmu.setPrivilege(Privilege.User);
  }
  const snapshots = new MachineSnapshots({ memory, mmus, ...(shape.frames ? { frames } : {}) });
  return { memory, mmus, snapshots };
}

function run(m: ReturnType<typeof machine>, seed: number): unknown[] {
  const out: unknown[] = [];
  let x = seed | 1;
  for (let i = 0; i < 100; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const va = 0x40_0000 + ((x >>> 3) % 20) * PAGE + ((x >>> 9) % (PAGE / 4)) * 4;
    for (const mmu of m.mmus) out.push(x & 1 ? mmu.tryWrite32(va, x >>> 0) : mmu.tryRead32(va), mmu.faultRecord.reason, mmu.cycles);
  }
  return out;
}

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

const base: Shape = { format: 'x86-64', cpus: 1, size: 4 << 20, frames: true, mmu: {} };
const shapes: Array<[string, Shape]> = [
  ['base', base],
  ['sv39', { ...base, format: 'sv39' }],
  ['sv48', { ...base, format: 'sv48' }],
  ['x86-32', { ...base, format: 'x86-32' }],
  ['2 cpus', { ...base, cpus: 2 }],
  ['8 MiB', { ...base, size: 8 << 20 }],
  ['no frames', { ...base, frames: false }],
  ['fast', { ...base, mmu: { mode: 'fast' } }],
  ['no walk cache', { ...base, mmu: { walkCache: null } }],
  ['no asids', { ...base, mmu: { asids: false } }],
  ['u54 tlb', { ...base, format: 'sv39', mmu: { tlb: SIFIVE_U54_TLB } }],
  ['pmp 4', { ...base, format: 'sv39', mmu: { pmpEntries: 4 } }],
  ['cycles', { ...base, mmu: { cycles: { pteRead: 99 } } }],
  ['retries', { ...base, mmu: { maxFaultRetries: 1 } }],
];

describe('MachineSnapshots.load into a machine of another shape', () => {
  for (const [fromName, from] of shapes) {
    it(`a state of '${fromName}' loads into every other shape or is refused leaving it unchanged`, () => {
      const source = machine(from);
      run(source, 3);
      const saved = source.snapshots.save();
      const problems: string[] = [];
      for (const [intoName, into] of shapes) {
        if (intoName === fromName) continue;
        let target: ReturnType<typeof machine>;
        try {
          target = machine(into);
        } catch {
          continue; // a shape the options refuse (a cycle key, …)
        }
        const twin = machine(into);
        run(target, 5);
        run(twin, 5);
        const before = target.snapshots.save();
        try {
          target.snapshots.load(saved);
          // Loaded: then it runs as the saved machine does from there.
          const after = machine(from);
          after.snapshots.load(saved);
          if (JSON.stringify(run(target, 9)) !== JSON.stringify(run(after, 9))) problems.push(`${fromName} -> ${intoName}: loaded, but runs differently from the saved machine`);
          continue;
        } catch (e) {
          if (!(e instanceof SavedStateError)) {
            problems.push(`${fromName} -> ${intoName}: ${String(e)}`);
            continue;
          }
        }
        if (!same(target.snapshots.save(), before)) problems.push(`${fromName} -> ${intoName}: refused, but its saved bytes changed`);
        if (JSON.stringify(run(target, 9)) !== JSON.stringify(run(twin, 9))) problems.push(`${fromName} -> ${intoName}: refused, but it runs differently`);
      }
      expect(problems).toEqual([]);
    });
  }
});

describe('MachineSnapshots.load: a refused load changes nothing', () => {
  it('an MMU the caller tagged (an expando field) whose state is refused for its RAM size leaves the target MMU untagged', () => {
    const source = machine({ ...base, size: 8 << 20 });
    (source.mmus[0] as unknown as { label: string }).label = 'cpu0'; // a caller's own field on its MMU: saved with it
    const saved = source.snapshots.save();
    const target = machine(base); // 4 MiB: the RAM does not fit, found after the MMUs' graph was loaded
    const before = target.snapshots.save();
    expect(() => target.snapshots.load(saved)).toThrow(SavedStateError);
    expect((target.mmus[0] as unknown as { label?: string }).label).toBeUndefined();
    expect(same(target.snapshots.save(), before)).toBe(true);
  });
});
