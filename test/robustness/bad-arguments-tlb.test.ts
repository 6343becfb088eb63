// Bad arguments at every public entry point of the TLB module (src/tlb) and of the kernel's
// region tree. src/tlb imports nothing from the rest of mmukit, so its documented errors are its
// own TlbConfigError (configurations) and RangeError (out-of-range values); RegionTree, a
// generic container, documents RangeError too. Lookups are the hot path: they never throw and
// answer a miss (-1, undefined, []) for anything that is not an address.
import { afterAll, describe } from 'vitest';
import {
  ANY_ASID,
  GLOBAL_ASID,
  RegionTree,
  ReplacementState,
  Tlb,
  TlbConfigError,
  TlbHierarchy,
  fullyAssociativeTlb,
  setIndexOf,
  validateTlbConfig,
  type RegionBounds,
  type TlbConfig,
} from '../../src/index.js';
import { HUGE, NEGATIVES, NON_INTEGERS, NOT_OBJECTS, WRONG_TYPES, bad, counter, coverageTest, noArguments, outside, returns, row, runTable, throws, unknownKey, type Row } from './harness.js';

const CONFIG_ERROR = throws(TlbConfigError);
const RANGE = throws(RangeError);
const MISS = returns('-1 (a miss)', (r) => r === -1);
const VA = 0x7fff_1000;
/** Not a TLB address: [0, 2^57) holds every format's addresses (integers above 2^53 included, by design). */
const BAD_VA = [...NON_INTEGERS, ...NEGATIVES, 2 ** 57, 2 ** 64, Number.MAX_VALUE, ...WRONG_TYPES, undefined];
const BAD_ASID = [...NON_INTEGERS, -3, -(2 ** 31), 2 ** 31, '1', null, undefined, {}];

const L1: TlbConfig = { name: 'l1', arrays: [{ entries: 16, ways: 4, pageShifts: [12] }, { entries: 4, ways: 4, pageShifts: [21] }] };
const L2: TlbConfig = { name: 'l2', arrays: [{ entries: 64, ways: 8, pageShifts: [12, 21], replacement: 'plru' }] };

function tlbs() {
  const tlb = new Tlb(L1);
  tlb.insert(VA, 5, 12, 0x8_0000, 3);
  tlb.insert(0x4000_0000, GLOBAL_ASID, 21, 0x20_0000, 1);
  const hierarchy = new TlbHierarchy({ l1i: L1, l1d: L1, l2: L2 });
  hierarchy.fill(VA, 5, 12, 0x8_0000, 3, 0, false);
  return { tlb, hierarchy };
}
type T = ReturnType<typeof tlbs>;
const TLBS = { setup: tlbs, state: (c: T) => ({ tlbs: [c.tlb, ...c.hierarchy.levels()] }) };
/** For lookups: they count hits and misses, but the entries stay. */
const TLB_LOOKUPS = { setup: tlbs, state: (c: T) => ({ tlbEntries: [c.tlb, ...c.hierarchy.levels()] }) };
const NONE = { setup: () => ({}), state: () => ({}) };

function replacement() {
  return ['lru', 'plru', 'fifo', 'fifo-fill', 'random'].map((policy) => new ReplacementState(policy as 'lru', 4, 4, 7));
}
const REPLACEMENT = { setup: replacement, state: () => ({}) };

interface Region extends RegionBounds {
  name: string;
}
function regions() {
  const tree = new RegionTree<Region>();
  tree.insert({ base: 0x10000, size: 0x10000, name: 'a' });
  tree.insert({ base: 0x30000, size: 0x2000, name: 'b' });
  return { tree };
}
type R = ReturnType<typeof regions>;
const treeState = (tree: RegionTree<Region>) => [...tree].map((r) => `${r.name}@${r.base.toString(16)}+${r.size.toString(16)}`).join(' ');
const TREE = { setup: regions, state: (c: R) => ({ extra: treeState(c.tree) }) };

const badConfigs: unknown[] = [
  null,
  undefined,
  42,
  'l1',
  {},
  { name: 5, arrays: [{ entries: 4, ways: 4, pageShifts: [12] }] },
  { name: 'x', arrays: [] },
  { name: 'x', arrays: 'many' },
  { name: 'x', arrays: [null] },
  { name: 'x', arrays: [{ entries: 0, ways: 1, pageShifts: [12] }] },
  { name: 'x', arrays: [{ entries: 48, ways: 10, pageShifts: [12] }] },
  { name: 'x', arrays: [{ entries: 48, ways: 16, pageShifts: [12], setIndex: 'hash' }] },
  { name: 'x', arrays: [{ entries: 2 ** 21, ways: 1, pageShifts: [12] }] },
  { name: 'x', arrays: [{ entries: 4.5, ways: 1, pageShifts: [12] }] },
  { name: 'x', arrays: [{ entries: 6, ways: 3, pageShifts: [12], replacement: 'plru' }] },
  { name: 'x', arrays: [{ entries: 4, ways: 4, pageShifts: [12], replacement: 'mru' }] },
  { name: 'x', arrays: [{ entries: 4, ways: 4, pageShifts: [12], seed: -1 }] },
  { name: 'x', arrays: [{ entries: 4, ways: 4, pageShifts: [] }] },
  { name: 'x', arrays: [{ entries: 4, ways: 4, pageShifts: [11] }] },
  { name: 'x', arrays: [{ entries: 4, ways: 4, pageShifts: [12, 12] }] },
  { name: 'x', arrays: [{ entries: 4, ways: 4, pageShifts: [12] }, { entries: 4, ways: 4, pageShifts: [12] }] },
  { name: 'x', arrays: [{ entries: 4, ways: 4, pageShifts: ['12'] }] },
];

const TABLE: Row<any>[] = [
  // ------------------------------------------------------------------ configuration
  row('validateTlbConfig', NONE, [
    bad('an invalid configuration', badConfigs, (_, v) => validateTlbConfig(v as TlbConfig), CONFIG_ERROR),
    bad('an unknown option key (a typo): did you mean', [0], () => validateTlbConfig({ name: 'x', arrays: [{ entries: 4, ways: 4, pageShifts: [12], replacment: 'fifo' }] } as never), unknownKey(CONFIG_ERROR, 'replacment', 'replacement')),
    bad('an unknown option key (a typo): did you mean', [0], () => validateTlbConfig({ name: 'x', array: [] } as never), unknownKey(CONFIG_ERROR, 'array', 'arrays')),
  ]),
  row('fullyAssociativeTlb', NONE, [
    bad('bad entries, policy or page shifts: reported when a Tlb is built from the config', [[0], [2 ** 21], [NaN], ['16'], [16, 'mru'], [16, 'lru', null], [16, 'lru', [11]], [16, 'lru', [12], 5]], (_, args: unknown[]) => new Tlb(fullyAssociativeTlb(...(args as [number]))), CONFIG_ERROR),
  ], 'the preset builder only assembles a config; the Tlb constructor validates it'),
  row('new Tlb', NONE, [bad('an invalid configuration', badConfigs, (_, v) => new Tlb(v as TlbConfig), CONFIG_ERROR)]),
  row('setIndexOf', NONE, [
    bad('va not an address', BAD_VA, (_, v) => setIndexOf(v as number, 12, 192), RANGE),
    bad('page shift not in [0, 56]', [...NON_INTEGERS, -1, 57, '12', null, undefined], (_, v) => setIndexOf(VA, v as number, 192), RANGE),
    bad('sets not in [1, 2^20]', [...NON_INTEGERS, 0, -1, 2 ** 20 + 1, ...HUGE, '192', null, undefined], (_, v) => setIndexOf(VA, 12, v as number), RANGE),
    bad('unknown set-index function', ['hash', '', 'XOR', null, 5, {}, 'toString'], (_, v) => setIndexOf(VA, 12, 192, v as 'xor'), RANGE),
  ]),
  row('new TlbHierarchy', NONE, [
    bad('config not an object, or a level invalid', [...NOT_OBJECTS, undefined, {}, { l1i: L1 }, { l1i: L1, l1d: null }, { l1i: L1, l1d: L1, l2: 5 }], (_, v) => new TlbHierarchy(v as never), CONFIG_ERROR),
    bad('an L1 without 4 KiB pages', [0], () => new TlbHierarchy({ l1i: { name: 'big', arrays: [{ entries: 4, ways: 4, pageShifts: [21] }] }, l1d: L1 }), CONFIG_ERROR),
  ]),
  row('new ReplacementState', NONE, [
    bad('unknown policy', ['mru', '', null, 5, 'toString', '__proto__'], (_, v) => new ReplacementState(v as 'lru', 4, 4), RANGE),
    bad('sets or ways not positive integers', [[0, 4], [4, 0], [1.5, 4], [4, NaN], [-1, 4], ['4', 4]], (_, [sets, ways]: number[]) => new ReplacementState('lru', sets, ways), RANGE),
    bad('PLRU with a non-power-of-two associativity', [3, 6, 12], (_, v) => new ReplacementState('plru', 4, v as number), RANGE),
    bad('seed not an integer', [NaN, 1.5, '1', null, {}], (_, v) => new ReplacementState('random', 4, 4, v as number), RANGE),
  ]),

  // ------------------------------------------------------------------ Tlb
  row('Tlb.lookup', TLB_LOOKUPS, [
    bad('va not an address: a miss, never a throw (the hot path)', [...NON_INTEGERS, ...NEGATIVES, 2 ** 57, 2 ** 64, null, undefined, {}, 'x', VA + 0.5], (c: T, v) => c.tlb.lookup(v as number, 5), MISS),
    bad('asid not an ASID: a miss', [NaN, -3, 0.5, 99, undefined, null, {}], (c: T, v) => c.tlb.lookup(VA, v as number), MISS),
  ], 'a bigint address throws the host TypeError (no check on the hot path)'),
  row('Tlb.peek', TLBS, [
    bad('va not an address: -1', BAD_VA, (c: T, v) => c.tlb.peek(v as number, 5), MISS),
    bad('asid not an ASID: -1', BAD_ASID, (c: T, v) => c.tlb.peek(VA, v as number), MISS),
  ]),
  row('Tlb.insert', TLBS, [
    bad('va not an integer in [0, 2^57)', BAD_VA, (c: T, v) => c.tlb.insert(v as number, 5, 12, 0, 0), RANGE),
    bad('asid not GLOBAL_ASID or in [0, 2^31)', [...BAD_ASID, ANY_ASID], (c: T, v) => c.tlb.insert(VA, v as number, 12, 0, 0), RANGE),
    bad('pageShift not an integer in [0, 64)', [...NON_INTEGERS, -1, 64, '12', null, undefined], (c: T, v) => c.tlb.insert(VA, 5, v as number, 0, 0), RANGE),
    bad('pageBase not an integer in [0, 2^53)', [...NON_INTEGERS, -1, ...HUGE, '0', null, undefined], (c: T, v) => c.tlb.insert(VA, 5, 12, v as number, 0), RANGE),
    bad('perm not an integer', [NaN, 0.5, '3', null, undefined, {}], (c: T, v) => c.tlb.insert(VA, 5, 12, 0, v as number), RANGE),
    bad('extra not an integer', [NaN, 0.5, '3', null, {}], (c: T, v) => c.tlb.insert(VA, 5, 12, 0, 0, v as number), RANGE),
  ], 'perm is stored modulo 256 and extra as an int32, as documented'),
  row('Tlb.invalidatePage', TLBS, [
    bad('va not an integer in [0, 2^57)', BAD_VA, (c: T, v) => c.tlb.invalidatePage(v as number, 5, true), RANGE),
    bad('asid not an ASID or ANY_ASID', [...BAD_ASID, GLOBAL_ASID], (c: T, v) => c.tlb.invalidatePage(VA, v as number, true), RANGE),
    bad('includeGlobal not a boolean', [0, 1, 'yes', null, undefined], (c: T, v) => c.tlb.invalidatePage(VA, 5, v as boolean), RANGE),
  ]),
  row('Tlb.invalidateAsid', TLBS, [bad('not an ASID or ANY_ASID', [...BAD_ASID, GLOBAL_ASID], (c: T, v) => c.tlb.invalidateAsid(v as number), RANGE)]),
  row('Tlb.invalidateAsidRange', TLBS, [
    bad('first or last not an ASID, or last below first', [...NON_INTEGERS, -1, 2 ** 31, '0', null], (c: T, v) => c.tlb.invalidateAsidRange(v as number, 5), RANGE),
    bad('last below first or not an ASID', [-1, 0.5, 2 ** 31, NaN, '5'], (c: T, v) => c.tlb.invalidateAsidRange(1, v as number), RANGE),
    bad('va neither null nor an address', [-1, 0.5, 2 ** 57, NaN, '0'], (c: T, v) => c.tlb.invalidateAsidRange(0, 5, v as number), RANGE),
  ]),
  noArguments('Tlb.invalidateAll', TLBS),
  noArguments('Tlb.invalidateNonGlobal', TLBS),
  row('Tlb.invalidateEntry', TLBS, [bad('not an entry index', [...NON_INTEGERS, -1, 20, ...HUGE, '0', null, undefined], (c: T, v) => c.tlb.invalidateEntry(v as number), RANGE)]),
  row('Tlb.fitPageShift', TLBS, [bad('not a page shift: -1', [...NON_INTEGERS, -1, 64, '12', null, undefined], (c: T, v) => c.tlb.fitPageShift(v as number), MISS)]),
  noArguments('Tlb.validCount', TLBS),
  noArguments('Tlb.entries', TLBS),

  // ------------------------------------------------------------------ TlbHierarchy
  row('TlbHierarchy.lookupFull', TLB_LOOKUPS, [
    bad('va not an address: a miss', [...NON_INTEGERS, ...NEGATIVES, 2 ** 57, null, undefined, 'x'], (c: T, v) => c.hierarchy.lookupFull(v as number, 5, false), MISS),
    bad('instruction not a boolean', [0, 1, 'yes', null, undefined], (c: T, v) => c.hierarchy.lookupFull(VA, 5, v as boolean), RANGE),
  ]),
  row('TlbHierarchy.promote', TLBS, [
    bad('e2 not a valid L2 entry', [...NON_INTEGERS, -1, 64, 3, '0', null, undefined], (c: T, v) => c.hierarchy.promote(v as number, VA, false), RANGE),
    bad('va outside the entry\'s page, or not an address', [NaN, -1, VA + 0x1000, VA - 1, 2 ** 57, '0'], (c: T, v) => c.hierarchy.promote(c.hierarchy.l2!.peek(VA, 5), v as number, false), RANGE),
    bad('instruction not a boolean', [0, 'yes', null], (c: T, v) => c.hierarchy.promote(c.hierarchy.l2!.peek(VA, 5), VA, v as boolean), RANGE),
  ]),
  row('TlbHierarchy.fill', TLBS, [
    bad('va not an integer in [0, 2^57)', BAD_VA, (c: T, v) => c.hierarchy.fill(v as number, 5, 12, 0, 0, 0, false), RANGE),
    bad('asid not GLOBAL_ASID or an ASID', BAD_ASID, (c: T, v) => c.hierarchy.fill(VA, v as number, 12, 0, 0, 0, false), RANGE),
    bad('pageShift not a shift', [-1, 64, 0.5, NaN, null], (c: T, v) => c.hierarchy.fill(VA, 5, v as number, 0, 0, 0, false), RANGE),
    bad('pageShift below 12: nothing cached, -1 (documented)', [0, 11], (c: T, v) => c.hierarchy.fill(VA, 5, v as number, 0, 0, 0, false), MISS),
    bad('pageBase not an address', [-1, NaN, 2 ** 53, null], (c: T, v) => c.hierarchy.fill(VA, 5, 12, v as number, 0, 0, false), RANGE),
    bad('instruction not a boolean', [0, 1, 'yes', null, undefined], (c: T, v) => c.hierarchy.fill(VA, 5, 12, 0, 0, 0, v as boolean), RANGE),
  ]),
  row('TlbHierarchy.invalidatePage', TLBS, [
    bad('va not an integer in [0, 2^57)', BAD_VA, (c: T, v) => c.hierarchy.invalidatePage(v as number, 5, true), RANGE),
    bad('asid not an ASID or ANY_ASID', BAD_ASID, (c: T, v) => c.hierarchy.invalidatePage(VA, v as number, true), RANGE),
  ]),
  row('TlbHierarchy.invalidateAsid', TLBS, [bad('not an ASID or ANY_ASID', [...BAD_ASID, GLOBAL_ASID], (c: T, v) => c.hierarchy.invalidateAsid(v as number), RANGE)]),
  row('TlbHierarchy.invalidateAsidRange', TLBS, [
    bad('first or last not an ASID, or last below first', [...NON_INTEGERS, -1, 2 ** 31, '0', null], (c: T, v) => c.hierarchy.invalidateAsidRange(v as number, 5), RANGE),
    bad('va neither null nor an address', [-1, 0.5, 2 ** 57, NaN, '0'], (c: T, v) => c.hierarchy.invalidateAsidRange(0, 5, v as number), RANGE),
  ]),
  noArguments('TlbHierarchy.invalidateAll', TLBS),
  noArguments('TlbHierarchy.invalidateNonGlobal', TLBS),
  noArguments('TlbHierarchy.resetStats', TLBS),
  noArguments('TlbHierarchy.levels', TLBS),

  // ------------------------------------------------------------------ replacement, statistics
  noArguments('ReplacementState.lruStamps', REPLACEMENT),
  noArguments('ReplacementState.lruClock', REPLACEMENT),
  ...(['touch', 'fill'] as const).map((op) =>
    row(`ReplacementState.${op}`, REPLACEMENT, [
      bad('set not a set index', [...NON_INTEGERS, -1, 4, '0', null, undefined], (c: ReplacementState[], v) => c.forEach((r) => r[op](v as number, 0)), RANGE),
      bad('way not a way index', [...NON_INTEGERS, -1, 4, '0', null, undefined], (c: ReplacementState[], v) => c.forEach((r) => r[op](0, v as number)), RANGE),
    ]),
  ),
  row('ReplacementState.victim', REPLACEMENT, [bad('set not a set index', [...NON_INTEGERS, -1, 4, '0', null, undefined], (c: ReplacementState[], v) => c.forEach((r) => r.victim(v as number)), RANGE)]),
  noArguments('TlbStats.reset', NONE),
  noArguments('TlbStats.snapshot', NONE),
  row('new TlbConfigError', NONE, [bad('any message: an error constructor never throws', [null, undefined, 5, {}, 1n], (_, v) => new TlbConfigError(v as string), returns('a TlbConfigError', (r) => r instanceof TlbConfigError))]),

  // ------------------------------------------------------------------ RegionTree
  row('new RegionTree', NONE, [
    bad('regions not iterable', [5, {}, true, 1n], (_, v) => new RegionTree(v as never), RANGE),
    bad('a region that is not a region, or overlapping ones', [[null], [5], [{ base: -1, size: 1 }], [{ base: 0, size: 0x2000 }, { base: 0x1000, size: 1 }]], (_, v) => new RegionTree(v as never), RANGE),
  ]),
  row('RegionTree.insert', TREE, [
    bad('not a region', [...NOT_OBJECTS, undefined, {}, { base: 0 }, { size: 1 }], (c: R, v) => c.tree.insert(v as Region), RANGE),
    bad('base not an integer in [0, 2^53)', [...NON_INTEGERS, ...NEGATIVES, ...HUGE, '0', null], (c: R, v) => c.tree.insert({ base: v as number, size: 0x1000, name: 'x' }), RANGE),
    bad('size not a positive integer, or the end past 2^53', [...NON_INTEGERS, 0, ...NEGATIVES, 2 ** 53, '1', null], (c: R, v) => c.tree.insert({ base: 0x50000, size: v as number, name: 'x' }), RANGE),
    bad('overlapping a region', [0x10000, 0x1f000, 0x31000, 0x8000], (c: R, v) => c.tree.insert({ base: v as number, size: 0x9000, name: 'x' }), RANGE),
  ]),
  row('RegionTree.remove', TREE, [bad('not a region of the tree: false', [...NOT_OBJECTS, undefined, {}, { base: 0x10000, size: 0x10000, name: 'a' }], (c: R, v) => c.tree.remove(v as Region), returns('false', (r) => r === false))]),
  ...(['find', 'floor', 'ceiling'] as const).map((op) =>
    row(`RegionTree.${op}`, TREE, [bad('not an address: undefined', [NaN, '0x10000', null, undefined, {}, 1n], (c: R, v) => c.tree[op](v as number), returns('undefined', (r) => r === undefined))], 'numbers (also negative or fractional ones) work by plain comparison, as documented'),
  ),
  row('RegionTree.overlapping', TREE, [bad('start or end not an address: []', [NaN, '0x10000', null, undefined, {}, 1n], (c: R, v) => [c.tree.overlapping(v as number, 0x40000), c.tree.overlapping(0, v as number)].flat(), returns('[]', (r) => Array.isArray(r) && r.length === 0))]),
  row('RegionTree.findGap', TREE, [
    bad('size not a positive integer', [...NON_INTEGERS, 0, -1, ...HUGE, '1', null], (c: R, v) => c.tree.findGap(v as number, 0x10000, 0x10000, 2 ** 47, false), RANGE),
    bad('alignment not a positive integer', [...NON_INTEGERS, 0, -1, '1', null], (c: R, v) => c.tree.findGap(0x1000, v as number, 0x10000, 2 ** 47, false), RANGE),
    bad('low not an address', [...NON_INTEGERS, -1, ...HUGE, '1', null], (c: R, v) => c.tree.findGap(0x1000, 0x10000, v as number, 2 ** 47, false), RANGE),
    bad('high not an integer <= 2^53', [NaN, 0.5, 2 ** 53 + 2, '1', null], (c: R, v) => c.tree.findGap(0x1000, 0x10000, 0x10000, v as number, false), RANGE),
    bad('topDown not a boolean', [0, 'yes', null, undefined], (c: R, v) => c.tree.findGap(0x1000, 0x10000, 0x10000, 2 ** 47, v as boolean), RANGE),
    bad('hint not an integer', [NaN, 0.5, '1', null], (c: R, v) => c.tree.findGap(0x1000, 0x10000, 0x10000, 2 ** 47, false, v as number), RANGE),
  ]),
  noArguments('RegionTree.first', TREE),
  noArguments('RegionTree.last', TREE),
  noArguments('RegionTree.clear', TREE),
  noArguments('RegionTree.[Symbol.iterator]', TREE),
];

describe('bad arguments: TLBs and the region tree', () => {
  runTable(TABLE);
});

describe('bad arguments: property checks', () => {
  runTable([
    row('Tlb.insert', TLBS, [bad('generated non-addresses', outside(0, 2 ** 57 - 1), (c: T, v) => c.tlb.insert(v as number, 5, 12, 0, 0), RANGE)]),
    row('Tlb.lookup', TLB_LOOKUPS, [bad('generated non-addresses', outside(0, 2 ** 53 - 1, { types: false }), (c: T, v) => c.tlb.lookup(v as number, 5), MISS)]),
    row('RegionTree.insert', TREE, [bad('generated non-bases', outside(0, 2 ** 53 - 1), (c: R, v) => c.tree.insert({ base: v as number, size: 0x1000, name: 'x' }), RANGE)]),
  ]);
});

coverageTest('tlb', TABLE);

afterAll(() => {
  // eslint-disable-next-line no-console
  console.log(`TLB bad arguments: ${TABLE.length} rows (entry points), ${counter.rows} tested, ${counter.calls} bad calls, each checked against a full snapshot`);
});
