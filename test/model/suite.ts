/**
 * Defines the CI model-based tests for some configurations: one test per
 * configuration running its `ciRuns` sequences, and a summary line at the end.
 * The configurations are split over two test files so that vitest runs them on
 * both cores.
 *
 * A failure prints fast-check's seed and path, the shrunk operation list and the
 * configuration's name. Replay it with
 *   npm run soak -- --config '<configuration>' --seed <seed> --path '<path>'
 * (or MODEL_SEED=<seed> MODEL_PATH=<path> npx vitest run test/model/<file> -t '<configuration>'),
 * then keep the list as a regression test (regressions.test.ts).
 *
 * CI runs fixed seeds, one per configuration, so that a red run is a change's
 * doing and replays exactly; `npm run soak` (or MODEL_RANDOM=1 here) draws fresh
 * ones to explore.
 */
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import type { RunConfig } from './configs.js';
import { totals } from './harness.js';
import { modelProperty } from './property.js';

/** The seed of the first configuration of a file in CI (the next ones count up from it). */
const CI_SEED = 20_261_126;

export function modelBasedTests(title: string, configs: readonly RunConfig[]): void {
  const replay = process.env.MODEL_SEED !== undefined ? { seed: Number(process.env.MODEL_SEED), path: process.env.MODEL_PATH, endOnFailure: true } : null;
  const explore = process.env.MODEL_RANDOM === '1';
  const started = performance.now();

  describe(`model-based (${title}): mmukit agrees with the reference model`, () => {
    for (const [index, config] of configs.entries()) {
      const seed = replay ?? (explore ? {} : { seed: CI_SEED + index });
      // Budgeted in sequences, not seconds: on a loaded 2-core machine a configuration can take
      // well over vitest's 60 s default, and shrinking a failure longer still.
      it(`${config.ciRuns} sequences of up to ${config.maxLength} steps (${config.name})`, { timeout: 300_000 }, () => {
        fc.assert(modelProperty(config), { numRuns: config.ciRuns, ...seed });
      });
    }
  });

  afterAll(() => {
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const { taken, restored, twice, discarded, saved, fromSnapshot, loaded } = totals.snapshots;
    console.log(
      `model-based (${title}): ${totals.sequences} sequences, ${totals.steps} steps in ${seconds} s (snapshots: ${taken} taken, ${restored} restores, ${twice} of them twice, ${discarded} discarded; ${saved} saved, ${fromSnapshot} of them of a snapshot, ${loaded} loaded)`,
    );
  });
}
