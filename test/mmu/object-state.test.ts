// The object-graph state a snapshot keeps (src/mmu/object-state.ts): typed arrays copied and restored into the
// same arrays, fields set back, objects restored in place, maps and sets refilled, frozen objects' contents
// restored, opaque objects and weak collections kept by reference, keys added to plain objects removed.
import { describe, expect, it } from 'vitest';
import { captureState, restoreState } from '../../src/mmu/object-state.js';

class Holder {
  count = 1;
  name = 'a';
  ref: object | null = null;
  readonly numbers = new Float64Array([1, 2, 3]);
  readonly inner = { depth: 1, list: [1, 2] as number[] };
  readonly table = new Map<string, { n: number }>([['x', { n: 1 }]]);
  readonly members = new Set<number>([1, 2]);
}

describe('captureState / restoreState', () => {
  it('puts fields, arrays, nested objects, maps and sets back, in the same objects', () => {
    const h = new Holder();
    const inner = h.inner;
    const entry = h.table.get('x')!;
    const state = captureState(h);
    h.count = 7;
    h.name = 'b';
    h.ref = {};
    h.numbers[1] = 99;
    h.inner.depth = 5;
    h.inner.list.push(3);
    entry.n = 42;
    h.table.set('y', { n: 2 });
    h.members.delete(1);
    (h.inner as Record<string, unknown>).extra = true;
    restoreState(state);
    expect([h.count, h.name, h.ref]).toEqual([1, 'a', null]);
    expect([...h.numbers]).toEqual([1, 2, 3]);
    expect(h.inner).toBe(inner);
    expect(h.inner).toEqual({ depth: 1, list: [1, 2] });
    expect([...h.table.keys()]).toEqual(['x']);
    expect(h.table.get('x')).toBe(entry);
    expect(entry.n).toBe(1);
    expect([...h.members]).toEqual([1, 2]);
  });

  it('restores what a frozen object holds; keeps opaque objects and weak maps by reference, untouched', () => {
    const array = new Int32Array([5]);
    const frozen = Object.freeze({ array, nested: { v: 1 } });
    const opaque = { v: 1 };
    const weak = new WeakMap<object, number>();
    const root = { frozen, opaque, weak, shared: array };
    const state = captureState(root, { opaque: (o) => o === opaque });
    array[0] = 6;
    frozen.nested.v = 2;
    opaque.v = 2;
    weak.set(opaque, 1);
    restoreState(state);
    expect(array[0]).toBe(5);
    expect(frozen.nested.v).toBe(1);
    expect(opaque.v).toBe(2); // opaque: not restored
    expect(weak.get(opaque)).toBe(1); // weak collections hold no snapshot state
  });

  it('skips the fields it is told to: neither captured nor restored', () => {
    const root = { state: 1, handler: 'kept' as string };
    const state = captureState(root, { skipFields: new Set(['handler']) });
    root.state = 2;
    root.handler = 'changed';
    restoreState(state);
    expect(root).toEqual({ state: 1, handler: 'changed' });
  });
});
