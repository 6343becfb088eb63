/**
 * RegionTree microbenchmarks (benchmark.js): find() over 100 and 100 000
 * regions, reported with their ratio (same run, since these machines are shared
 * and noisy), and the cost of findGap + insert (bottom-up and top-down) with
 * 100 000 regions already allocated.
 *
 *   npx tsx bench/region-tree.ts            full run
 *   npx tsx bench/region-tree.ts --quick    every case briefly
 */
import Benchmark from 'benchmark';
import { RegionTree } from '../src/os/region-tree.js';

const quick = process.argv.includes('--quick');
const options = quick ? { maxTime: 0.1, minSamples: 2 } : { maxTime: 1.5, minSamples: 10 };

interface Vad {
  readonly base: number;
  readonly size: number;
}

const GRANULE = 0x1_0000; // Windows allocation granularity
const LOW = 0x1_0000;
const HIGH = 2 ** 47;
const QUERIES = 4096; // find() calls per benchmark op

/** A tree of `n` regions allocated bottom-up, and pseudo-random addresses inside and between them. */
function setup(n: number): { tree: RegionTree<Vad>; addresses: Float64Array } {
  const tree = new RegionTree<Vad>();
  for (let i = 0; i < n; i++) {
    const size = ((i % 4) + 1) * 0x1000;
    tree.insert({ base: tree.findGap(size, GRANULE, LOW, HIGH, false), size });
  }
  const addresses = new Float64Array(QUERIES);
  let seed = 0x9e37_79b9;
  for (let i = 0; i < QUERIES; i++) {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    addresses[i] = LOW + (seed % n) * GRANULE + (seed & 0x7fff); // half hit a region, half a gap
  }
  return { tree, addresses };
}

const small = setup(100);
const large = setup(100_000);
let sink = 0;

function findAll(tree: RegionTree<Vad>, addresses: Float64Array): void {
  let hits = 0;
  for (let i = 0; i < QUERIES; i++) if (tree.find(addresses[i]) !== undefined) hits++;
  sink ^= hits;
}

const hz = new Map<string, number>();
const suite = new Benchmark.Suite('RegionTree');
suite.add('find, 100 regions', () => findAll(small.tree, small.addresses), options);
suite.add('find, 100 000 regions', () => findAll(large.tree, large.addresses), options);

// Allocation on top of 100 000 regions: findGap + insert, then undo with remove so
// every sample sees the same tree (remove of the last region is O(1)).
const ALLOCS = 256;
const scratch: Vad[] = [];
for (const topDown of [false, true]) {
  suite.add(
    `findGap+insert+remove ${topDown ? 'top-down' : 'bottom-up'}, 100 000 regions`,
    () => {
      for (let i = 0; i < ALLOCS; i++) {
        const v = { base: large.tree.findGap(0x2000, GRANULE, LOW, HIGH, topDown), size: 0x2000 };
        large.tree.insert(v);
        scratch.push(v);
      }
      while (scratch.length > 0) large.tree.remove(scratch.pop()!);
    },
    options,
  );
}

suite.on('cycle', (event: Benchmark.Event) => {
  const b = event.target as unknown as Benchmark;
  hz.set(b.name ?? '', b.hz ?? 0);
  const perCall = (b.name ?? '').startsWith('find,') ? QUERIES : ALLOCS;
  console.log(`${b.name}: ${((b.hz ?? 0) * perCall).toExponential(3)} calls/s ±${(b.stats?.rme ?? 0).toFixed(1)}%`);
});
suite.run();

const ratio = hz.get('find, 100 regions')! / hz.get('find, 100 000 regions')!;
console.log(`find() 100 regions / 100 000 regions: ${ratio.toFixed(2)}x slower at 100 000 (log2 ratio ${(Math.log2(100_000) / Math.log2(100)).toFixed(2)})`);
if (sink === 0.5) console.log('');
