/**
 * The model-based property: any sequence of operations leaves mmukit and the
 * reference model in agreement. Shared by the CI tests and the soak script.
 */
import fc from 'fast-check';
import { sequenceArbitrary } from './arbitraries.js';
import type { RunConfig } from './configs.js';
import { Harness } from './harness.js';
import type { Op } from './ops.js';

/** Runs one sequence on a fresh kernel; throws a readable SequenceFailure on the first disagreement. */
export function runSequence(config: RunConfig, ops: readonly Op[]): void {
  new Harness(config).run(ops);
}

/** The fast-check property for `config`. */
export function modelProperty(config: RunConfig, maxLength = config.maxLength): fc.IProperty<[Op[]]> {
  return fc.property(sequenceArbitrary(config, maxLength), (ops) => {
    runSequence(config, ops);
  });
}
