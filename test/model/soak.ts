/**
 * Runs model-based sequences for as long as asked, round-robin over the
 * configurations, printing progress and, on the first failure, the shrunk
 * operation list with the seed and path that replay it.
 *
 *   npm run soak -- --minutes 10
 *   npm run soak -- --runs 1000000 --max-length 80
 *   npm run soak -- --config 'Sv39' --minutes 5 --stats      (and how often each call succeeded or failed how)
 *   npm run soak -- --config 'x86-64, 2 CPUs' --seed 123 --path '4:1:0' --max-length 80   (replay)
 */
// Every restore checks that the record units it skipped are unchanged, as in the test runs.
import '../support/snapshot-checks.js';
import fc from 'fast-check';
import { parseArgs } from 'node:util';
import { CONFIGS } from './configs.js';
import { totals } from './harness.js';
import { modelProperty } from './property.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string' },
    runs: { type: 'string' },
    config: { type: 'string' },
    'max-length': { type: 'string' },
    seed: { type: 'string' },
    path: { type: 'string' },
    batch: { type: 'string', default: '50' },
    stats: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log('usage: npm run soak -- [--minutes M | --runs N] [--config NAME] [--max-length L] [--seed S --path P] [--batch B] [--stats]');
  console.log(`configurations: ${CONFIGS.map((c) => `'${c.name}'`).join(', ')}`);
  process.exit(0);
}

const exact = CONFIGS.filter((c) => c.name === values.config);
const configs = exact.length > 0 ? exact : CONFIGS.filter((c) => values.config === undefined || c.name.includes(values.config));
if (configs.length === 0) {
  console.error(`no configuration matches '${values.config}'; there are ${CONFIGS.map((c) => `'${c.name}'`).join(', ')}`);
  process.exit(2);
}
const maxLength = values['max-length'] !== undefined ? Number(values['max-length']) : undefined;
const batch = Number(values.batch);
const deadline = values.minutes !== undefined ? Date.now() + Number(values.minutes) * 60_000 : Infinity;
const runLimit = values.runs !== undefined ? Number(values.runs) : values.minutes !== undefined ? Infinity : 10_000;
const started = Date.now();
let lastReport = started;

function report(final = false): void {
  const seconds = (Date.now() - started) / 1000;
  const rate = totals.sequences / Math.max(seconds, 0.001);
  const { taken, restored, twice, saved, fromSnapshot, loaded } = totals.snapshots;
  console.log(
    `${final ? 'done' : 'progress'}: ${totals.sequences} sequences, ${totals.steps} steps in ${seconds.toFixed(0)} s (${rate.toFixed(0)} sequences/s; ${taken} snapshots, ${restored} restores, ${twice} twice; ${saved} saved, ${fromSnapshot} of a snapshot, ${loaded} loaded)`,
  );
  if (final && values.stats) {
    console.log('outcomes (how often each call ended how, on mmukit):');
    for (const [outcome, count] of [...totals.outcomes].sort(([a], [b]) => a.localeCompare(b))) console.log(`  ${String(count).padStart(8)}  ${outcome}`);
  }
}

if (values.seed !== undefined) {
  // Replay one failure exactly (the same configuration and --max-length it ran with).
  const config = configs[0];
  const details = fc.check(modelProperty(config, maxLength ?? config.maxLength), { seed: Number(values.seed), path: values.path, endOnFailure: true });
  console.log(details.failed ? fc.defaultReportMessage(details) + '\n' + String(details.errorInstance) : `replay of ${config.name} passed`);
  process.exit(details.failed ? 1 : 0);
}

console.log(`soak: ${configs.map((c) => c.name).join(' | ')}; ${values.minutes !== undefined ? `${values.minutes} minute(s)` : `${runLimit} sequences`}`);
for (let round = 0; Date.now() < deadline && totals.sequences < runLimit; round++) {
  const config = configs[round % configs.length];
  const seed = (Math.random() * 2 ** 31) | 0;
  const length = maxLength ?? config.maxLength;
  const details = fc.check(modelProperty(config, length), { numRuns: Math.min(batch, runLimit - totals.sequences), seed });
  if (details.failed) {
    report(true);
    console.log(`\nFAILED on '${config.name}' (max length ${length})`);
    console.log(fc.defaultReportMessage(details));
    console.log(String(details.errorInstance instanceof Error ? details.errorInstance.message : details.errorInstance));
    console.log(`\nreplay: npm run soak -- --config '${config.name}' --max-length ${length} --seed ${details.seed} --path '${details.counterexamplePath}'`);
    process.exit(1);
  }
  if (Date.now() - lastReport > 10_000) {
    report();
    lastReport = Date.now();
  }
}
report(true);
