/**
 * mmukit benchmarks. Every figure is reported beside a baseline measured in
 * the same run, as a ratio, because these machines are shared and noisy; see
 * docs/benchmarks.md for how to read the tables.
 *
 *   npm run bench                          every suite, full length
 *   npm run bench -- --quick               every case briefly (CI smoke run)
 *   npm run bench -- --suite faults        one suite (comma-separated for several)
 *
 * Suites live in bench/suites/, one file each; bench/harness.ts times, prints
 * and summarizes.
 */
import { Targets, finish, machine, type Context, type Suite } from './harness.js';

const SUITES = ['tlb-hit', 'tlb-miss', 'faults', 'images', 'shootdown', 'scaling', 'bulk', 'riscv-guest'] as const;

function parseArgs(argv: string[]): { quick: boolean; suites: string[] } {
  const quick = argv.includes('--quick');
  const selected: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--suite') selected.push(...(argv[++i] ?? '').split(','));
    else if (arg.startsWith('--suite=')) selected.push(...arg.slice('--suite='.length).split(','));
    else if (arg !== '--quick') throw new Error(`unknown argument '${arg}' (expected --quick, --suite NAME)`);
  }
  for (const name of selected) {
    if (!(SUITES as readonly string[]).includes(name)) throw new Error(`unknown suite '${name}'; suites: ${SUITES.join(', ')}`);
  }
  return { quick, suites: selected.length > 0 ? selected : [...SUITES] };
}

const { quick, suites } = parseArgs(process.argv.slice(2));
const ctx: Context = { quick, targets: new Targets() };
const m = machine();
console.log(`# mmukit benchmarks${quick ? ' (--quick: brief, noisy figures)' : ''}\n`);
console.log(`node ${m.node}, ${m.cpus} × ${m.cpu}, load average ${m.loadavg.join(' ')}, ${m.date}`);

const started = performance.now();
for (const name of suites) {
  const t0 = performance.now();
  const { suite } = (await import(`./suites/${name}.js`)) as { suite: Suite };
  console.log(`\n## ${suite.name}: ${suite.description}`);
  await suite.run(ctx);
  console.log(`\n(${suite.name}: ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
ctx.targets.print();
console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`);
finish();
