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
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Targets, finish, machine, type Context, type Suite, type TargetsRecord } from './harness.js';

const SUITES = ['tlb-hit', 'tlb-miss', 'faults', 'images', 'shootdown', 'scaling', 'bulk', 'riscv-guest', 'snapshots', 'trace', 'two-stage'] as const;

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

/**
 * Runs one suite in this process and sends what it recorded to the parent. Each suite runs in a
 * process of its own: in one process, what V8 learned in one suite (types, inlining, optimized
 * code) shapes the next one's figures; `walker.walk` measured 140 ns run alone and 255 ns after
 * the `tlb-hit` suite in the same process.
 */
async function runChild(name: string, quick: boolean): Promise<void> {
  const ctx: Context = { quick, targets: new Targets() };
  const t0 = performance.now();
  const { suite } = (await import(`./suites/${name}.js`)) as { suite: Suite };
  console.log(`\n## ${suite.name}: ${suite.description}`);
  await suite.run(ctx);
  console.log(`\n(${suite.name}: ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  finish();
  await new Promise<void>((resolve, reject) => process.send!(ctx.targets.export(), (error: Error | null) => (error ? reject(error) : resolve())));
}

/** Runs `name` in a child process (this file with `--child`), and merges what it recorded into `targets`. */
function runInChild(name: string, quick: boolean, targets: Targets): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--child', name, ...(quick ? ['--quick'] : [])], { stdio: 'inherit' });
    let received = false;
    child.on('message', (record) => {
      targets.merge(record as TargetsRecord);
      received = true;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0 && received) resolve();
      else reject(new Error(`suite ${name} failed (exit code ${String(code)}${signal ? `, signal ${signal}` : ''})`));
    });
  });
}

const args = process.argv.slice(2);
const childAt = args.indexOf('--child');
if (childAt >= 0) {
  await runChild(args[childAt + 1], args.includes('--quick'));
} else {
  const { quick, suites } = parseArgs(args);
  const targets = new Targets();
  const m = machine();
  console.log(`# mmukit benchmarks${quick ? ' (--quick: brief, noisy figures)' : ''}\n`);
  console.log(`node ${m.node}, ${m.cpus} × ${m.cpu}, load average ${m.loadavg.join(' ')}, ${m.date}; each suite in a process of its own`);
  const started = performance.now();
  for (const name of suites) await runInChild(name, quick, targets);
  targets.print();
  console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
